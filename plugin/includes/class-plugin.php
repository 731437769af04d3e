<?php
/**
 * The plugin's capabilities, activation and deactivation. Its hooks are all in hooks.php.
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

	/**
	 * The activation hook. Network activation on multisite sets up sites in bounded batches
	 * (Network::for_first_sites); the others are set up on their first request.
	 *
	 * @param bool $network_wide Passed by WordPress: true for Network Activate.
	 */
	public static function activate( $network_wide = false ): void {
		if ( is_multisite() && $network_wide ) {
			Network::for_first_sites( array( self::class, 'install_site' ) );
			return;
		}
		self::install_site();
	}

	/** @param bool $network_wide Passed by WordPress: true for Network Deactivate. */
	public static function deactivate( $network_wide = false ): void {
		if ( is_multisite() && $network_wide ) {
			Network::for_first_sites( array( self::class, 'deactivate_site' ) );
			return;
		}
		self::deactivate_site();
	}

	/** Stores the current site's defaults (autoloaded, so public pages read them without a query) and grants the stats capability. */
	public static function install_site(): void {
		Settings::install();
		foreach ( Settings::get()['statsRoles'] as $role_name ) {
			get_role( $role_name )?->add_cap( self::STATS_CAPABILITY );
		}
		Outbox::resume();
		Relay::resume();
	}

	/**
	 * Tracking stops with the plugin's hooks; cached reports go so a later activation starts fresh.
	 * Queued writes stay and are sent after the next activation.
	 */
	public static function deactivate_site(): void {
		Settings::invalidate_reports();
		wp_clear_scheduled_hook( Outbox::HOOK );
		wp_clear_scheduled_hook( Relay::HOOK );
	}
}
