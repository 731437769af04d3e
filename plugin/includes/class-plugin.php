<?php
/**
 * Wires the plugin's parts to WordPress. Public page loads only pay for the tracker
 * tag; admin, REST and privacy code is loaded where it is used.
 *
 * @package Clickpath
 */

namespace Clickpath;

defined( 'ABSPATH' ) || exit;

final class Plugin {

	/** Who may read the reports; granted to administrators, assignable to other roles in the settings. */
	public const STATS_CAPABILITY = 'view_clickpath_stats';

	/** Who may change the connection and collection settings. */
	public const SETTINGS_CAPABILITY = 'manage_options';

	public static function boot(): void {
		add_action( 'init', array( self::class, 'load_textdomain' ) );
		add_action( 'wp_enqueue_scripts', array( self::class, 'track' ) );
		add_shortcode( 'clickpath_optout', array( self::class, 'optout_shortcode' ) );
		add_action( 'init', array( self::class, 'register_optout_block' ) );
		add_action( 'rest_api_init', array( self::class, 'rest' ) );
		add_filter( 'wp_privacy_personal_data_exporters', array( self::class, 'register_exporter' ) );
		add_filter( 'wp_privacy_personal_data_erasers', array( self::class, 'register_eraser' ) );
		if ( is_admin() ) {
			self::load( 'admin' );
			Admin::register();
		}
		self::load( 'annotations' );
		Annotations::register();
	}

	/** Requires `includes/class-<name>.php` once. */
	public static function load( string $name ): void {
		require_once CLICKPATH_DIR . '/includes/class-' . $name . '.php';
	}

	public static function load_textdomain(): void {
		load_plugin_textdomain( 'clickpath', false, dirname( plugin_basename( CLICKPATH_FILE ) ) . '/languages' );
	}

	public static function track(): void {
		self::load( 'tracking' );
		Tracking::enqueue();
	}

	public static function rest(): void {
		self::load( 'backend' );
		self::load( 'rest' );
		( new Rest() )->register_routes();
	}

	/**
	 * @param array<string, mixed> $attributes Shortcode attributes (unused).
	 */
	public static function optout_shortcode( $attributes = array() ): string {
		self::load( 'privacy' );
		return Privacy::optout_html();
	}

	public static function register_optout_block(): void {
		self::load( 'privacy' );
		Privacy::register_block();
	}

	/**
	 * @param array<string, array<string, mixed>> $exporters
	 * @return array<string, array<string, mixed>>
	 */
	public static function register_exporter( $exporters ) {
		self::load( 'backend' );
		self::load( 'privacy' );
		return Privacy::register_exporter( $exporters );
	}

	/**
	 * @param array<string, array<string, mixed>> $erasers
	 * @return array<string, array<string, mixed>>
	 */
	public static function register_eraser( $erasers ) {
		self::load( 'backend' );
		self::load( 'privacy' );
		return Privacy::register_eraser( $erasers );
	}

	/** Stores the defaults (autoloaded, so public pages read them without a query) and grants the stats capability. */
	public static function activate(): void {
		Settings::install();
		foreach ( Settings::get()['statsRoles'] as $role_name ) {
			get_role( $role_name )?->add_cap( self::STATS_CAPABILITY );
		}
	}

	/** Tracking stops with the plugin's hooks; cached reports go so a later activation starts fresh. */
	public static function deactivate(): void {
		Settings::invalidate_reports();
	}
}
