<?php
/**
 * PHPUnit bootstrap: loads a real WordPress (installed in its own test database by
 * scripts/test-plugin.mjs) and activates the plugin in it (network-wide on a multisite install:
 * `node scripts/test-plugin.mjs --multisite` with phpunit-multisite.xml.dist).
 *
 * Environment (set by the runner):
 *   CLICKPATH_WP_DIR            the WordPress directory (its wp-config.php names the test database)
 *   CLICKPATH_WP_URL            the URL its `php -S` server answers on (http://127.0.0.1:<port>)
 *   CLICKPATH_WP_ADMIN_USER     an administrator's login …
 *   CLICKPATH_WP_ADMIN_PASSWORD … and password, for the tests that log in over HTTP
 *
 * Guard against the silent false pass: when WordPress is not installed or the database is gone,
 * wp-load.php die()s and phpunit would exit 0 without running anything. The shutdown function
 * below turns any exit before loading finished into exit code 1.
 *
 * @package Clickpath
 */

// phpcs:disable WordPress.PHP.DevelopmentFunctions, WordPress.WP.AlternativeFunctions

$GLOBALS['clickpath_tests_loaded'] = false;
register_shutdown_function(
	static function () {
		if ( empty( $GLOBALS['clickpath_tests_loaded'] ) ) {
			fwrite( STDERR, "\nClickpath tests: WordPress did not finish loading (not installed, database unreachable, or the plugin failed to activate). No test ran.\n" );
			exit( 1 );
		}
	}
);

( static function () {
	foreach ( array( 'CLICKPATH_WP_DIR', 'CLICKPATH_WP_URL', 'CLICKPATH_WP_ADMIN_USER', 'CLICKPATH_WP_ADMIN_PASSWORD' ) as $name ) {
		if ( '' === (string) getenv( $name ) ) {
			fwrite( STDERR, "Clickpath tests: the environment variable $name is not set. Run the suite with `node scripts/test-plugin.mjs`.\n" );
			exit( 1 );
		}
	}
	if ( ! is_file( getenv( 'CLICKPATH_WP_DIR' ) . '/wp-load.php' ) ) {
		fwrite( STDERR, 'Clickpath tests: no wp-load.php in CLICKPATH_WP_DIR=' . getenv( 'CLICKPATH_WP_DIR' ) . "\n" );
		exit( 1 );
	}
	// WordPress reads the request from $_SERVER: make it look like GET / on the test site.
	$url                        = (string) getenv( 'CLICKPATH_WP_URL' );
	$host                       = (string) parse_url( $url, PHP_URL_HOST );
	$port                       = (int) parse_url( $url, PHP_URL_PORT );
	$_SERVER['HTTP_HOST']       = $host . ( $port ? ':' . $port : '' );
	$_SERVER['SERVER_NAME']     = $host;
	$_SERVER['SERVER_PORT']     = (string) ( $port ? $port : 80 );
	$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
	$_SERVER['REQUEST_METHOD']  = 'GET';
	$_SERVER['REQUEST_URI']     = '/';
	$_SERVER['REMOTE_ADDR']     = '127.0.0.1';
	$_SERVER['HTTP_USER_AGENT'] = 'Clickpath PHPUnit';
} )();

// PHPUnit includes this file inside a method: name the globals WordPress expects to share.
// phpcs:ignore WordPress.NamingConventions.PrefixAllGlobals
global $wpdb, $wp, $wp_query, $wp_the_query, $wp_rewrite, $wp_roles, $wp_filter, $wp_actions, $wp_current_filter, $shortcode_tags, $wp_version, $table_prefix, $current_user, $wp_locale, $wp_embed, $wp_widget_factory, $wp_scripts, $wp_styles, $post, $pagenow, $blog_id, $current_site, $current_blog, $phpmailer, $wp_theme_directories, $wp_plugin_paths, $wp_db_version, $wp_object_cache, $wp_textdomain_registry;

require getenv( 'CLICKPATH_WP_DIR' ) . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';
require_once ABSPATH . 'wp-admin/includes/user.php';
require_once ABSPATH . 'wp-admin/includes/post.php';

if ( ! is_plugin_active( 'clickpath/clickpath.php' ) ) {
	$clickpath_activated = activate_plugin( 'clickpath/clickpath.php', '', is_multisite() );
	if ( is_wp_error( $clickpath_activated ) ) {
		fwrite( STDERR, 'Clickpath tests: activate_plugin failed: ' . $clickpath_activated->get_error_message() . "\n" );
		exit( 1 );
	}
}
if ( ! class_exists( 'Clickpath\Plugin' ) || ! is_plugin_active( 'clickpath/clickpath.php' ) ) {
	fwrite( STDERR, "Clickpath tests: the plugin is not active after activate_plugin().\n" );
	exit( 1 );
}
require_once __DIR__ . '/support/class-fake-backend.php';
require_once __DIR__ . '/support/class-http-client.php';
require_once __DIR__ . '/support/class-test-case.php';
if ( is_multisite() ) {
	require_once ABSPATH . 'wp-admin/includes/ms.php';
	require_once __DIR__ . '/support/class-multisite-test-case.php';
}

$GLOBALS['clickpath_tests_loaded'] = true;
