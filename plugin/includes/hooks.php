<?php
/**
 * Every action, filter, shortcode and cron hook the plugin registers, in one place: read this
 * file to know when the plugin's code runs. Callbacks are static methods; the autoloader in
 * clickpath.php reads a class only when one of its hooks fires, so a public page load reads
 * the settings and tracking classes and nothing else (on multisite, Network too: its `init` check).
 *
 * Not here, on purpose: Backend::with_host_allowed() adds two HTTP filters around a single
 * request and removes them right after it (they allow exactly the backend's host and port).
 *
 * @package Clickpath
 */

namespace Clickpath;

defined( 'ABSPATH' ) || exit;

register_activation_hook( CLICKPATH_FILE, array( Plugin::class, 'activate' ) );
register_deactivation_hook( CLICKPATH_FILE, array( Plugin::class, 'deactivate' ) );

// Multisite: a new site gets its defaults once core made its tables; a site network activation did
// not reach gets them on its first request.
if ( is_multisite() ) {
	add_action( 'wp_initialize_site', array( Network::class, 'install_new_site' ), 200 );
	add_action( 'init', array( Network::class, 'install_lazily' ), 1 );
}

// Public pages: the tracker tag. WordPress 6.1 has no script loading strategy, so `defer`
// and the data attributes go on the tag through script_loader_tag.
add_action( 'wp_enqueue_scripts', array( Tracking::class, 'enqueue' ) );
if ( ! is_admin() ) {
	add_filter( 'script_loader_tag', array( Tracking::class, 'script_tag' ), 10, 2 );
}

// Visitor opt-out, as a shortcode and a server-rendered block.
add_shortcode( 'clickpath_optout', array( Privacy::class, 'optout_html' ) );
add_action( 'init', array( Privacy::class, 'register_block' ) );

// REST routes (clickpath/v1), and exports sent as the file the backend produced.
add_action( 'rest_api_init', array( Rest::class, 'register' ) );
add_filter( 'rest_pre_serve_request', array( Rest::class, 'serve_export' ), 10, 3 );

// Tools → Export/Erase Personal Data.
add_filter( 'wp_privacy_personal_data_exporters', array( Privacy::class, 'register_exporter' ) );
add_filter( 'wp_privacy_personal_data_erasers', array( Privacy::class, 'register_eraser' ) );

// Automatic annotations: queued in the outbox, sent by WP-Cron (never during the request).
add_action( 'transition_post_status', array( Annotations::class, 'post_status' ), 10, 3 );
add_action( 'activated_plugin', array( Annotations::class, 'plugin_activated' ) );
add_action( 'switch_theme', array( Annotations::class, 'theme_switched' ) );
add_action( 'upgrader_process_complete', array( Annotations::class, 'upgraded' ), 10, 2 );
add_action( Outbox::HOOK, array( Outbox::class, 'run' ) );

// First-party relay: relay.php spools hits without WordPress; this job forwards them every minute.
add_filter( 'cron_schedules', array( Relay::class, 'cron_schedules' ) ); // phpcs:ignore WordPress.WP.CronInterval.ChangeDetected -- Relay::cron_schedules adds a minute: hits wait in the spool at most that long under php -S or mod_php.
add_action( Relay::HOOK, array( Relay::class, 'run' ) );
add_filter( 'rest_pre_dispatch', array( Relay::class, 'before_realtime' ), 10, 3 );

// wp-admin: menu pages, their bundles, the dashboard widget, the posts list column.
if ( is_admin() ) {
	add_action( 'admin_menu', array( Admin::class, 'menu' ) );
	add_action( 'admin_enqueue_scripts', array( Admin::class, 'enqueue_screen' ) );
	add_action( 'admin_notices', array( Admin::class, 'missing_bundle_notice' ) );
	add_action( 'wp_dashboard_setup', array( Admin::class, 'dashboard_widget' ) );
	add_filter( 'plugin_action_links_' . plugin_basename( CLICKPATH_FILE ), array( Admin::class, 'action_links' ) );
	add_action( 'admin_init', array( Privacy::class, 'add_policy_content' ) );
	add_action( 'enqueue_block_editor_assets', array( Privacy::class, 'enqueue_block_editor_script' ) );
	foreach ( array( 'post', 'page' ) as $clickpath_post_type ) {
		add_filter( "manage_{$clickpath_post_type}_posts_columns", array( Admin::class, 'add_views_column' ) );
		add_action( "manage_{$clickpath_post_type}_posts_custom_column", array( Admin::class, 'views_column' ), 10, 2 );
	}
	unset( $clickpath_post_type );
	// Network Admin → Clickpath: the network's server URL and every site's numbers.
	add_action( 'network_admin_menu', array( Network::class, 'menu' ) );
	add_action( 'network_admin_edit_clickpath-network', array( Network::class, 'save' ) );
}
