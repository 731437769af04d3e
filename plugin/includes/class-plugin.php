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

	/** Stores the defaults (autoloaded, so public pages read them without a query) and grants the stats capability. */
	public static function activate(): void {
		Settings::install();
		foreach ( Settings::get()['statsRoles'] as $role_name ) {
			get_role( $role_name )?->add_cap( self::STATS_CAPABILITY );
		}
		Outbox::resume();
	}

	/**
	 * Tracking stops with the plugin's hooks; cached reports go so a later activation starts fresh.
	 * Queued writes stay and are sent after the next activation.
	 */
	public static function deactivate(): void {
		Settings::invalidate_reports();
		wp_clear_scheduled_hook( Outbox::HOOK );
	}
}
