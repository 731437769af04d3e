<?php
/**
 * Removes everything the plugin stored: its options, cached reports and the stats capability.
 * Data on the Clickpath server stays there; delete the site in the Clickpath dashboard to erase it.
 *
 * @package Clickpath
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

require_once __DIR__ . '/includes/class-settings.php';
require_once __DIR__ . '/includes/class-plugin.php';

Clickpath\Settings::delete_transients();
delete_option( Clickpath\Settings::OPTION );
delete_option( Clickpath\Settings::KEY_OPTION );
foreach ( wp_roles()->role_objects as $clickpath_role ) {
	$clickpath_role->remove_cap( Clickpath\Plugin::STATS_CAPABILITY );
}
