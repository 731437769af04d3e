<?php
/**
 * Removes everything the plugin stored: its options, cached reports, unsent queue, cron event
 * and the stats capability.
 * Data on the Clickpath server stays there; delete the site in the Clickpath dashboard to erase it.
 *
 * @package Clickpath
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

require_once __DIR__ . '/includes/class-settings.php';
require_once __DIR__ . '/includes/class-plugin.php';
require_once __DIR__ . '/includes/class-outbox.php';

Clickpath\Settings::delete_transients();
delete_option( Clickpath\Settings::OPTION );
delete_option( Clickpath\Settings::KEY_OPTION );
delete_option( Clickpath\Outbox::OPTION );
wp_clear_scheduled_hook( Clickpath\Outbox::HOOK );
foreach ( wp_roles()->role_objects as $clickpath_role ) {
	$clickpath_role->remove_cap( Clickpath\Plugin::STATS_CAPABILITY );
}
