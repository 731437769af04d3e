<?php
/**
 * Removes everything the plugin stored: its options, cached reports, unsent queue, cron events,
 * the first-party relay's folder and the stats capability, in every site of a multisite install,
 * and the network's server URL.
 * Data on the Clickpath server stays there; delete the site in the Clickpath dashboard to erase it.
 *
 * @package Clickpath
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

require_once __DIR__ . '/includes/class-settings.php';
require_once __DIR__ . '/includes/class-plugin.php';
require_once __DIR__ . '/includes/class-outbox.php';
require_once __DIR__ . '/includes/class-network.php';
require_once __DIR__ . '/includes/class-relay-spool.php';
require_once __DIR__ . '/includes/class-relay.php';

$clickpath_clean_site = static function (): void {
	Clickpath\Settings::delete_transients();
	delete_option( Clickpath\Settings::OPTION );
	delete_option( Clickpath\Settings::KEY_OPTION );
	delete_option( Clickpath\Outbox::OPTION );
	wp_clear_scheduled_hook( Clickpath\Outbox::HOOK );
	wp_clear_scheduled_hook( Clickpath\Relay::HOOK );
	Clickpath\Relay::delete_files();
	foreach ( wp_roles()->role_objects as $clickpath_role ) {
		$clickpath_role->remove_cap( Clickpath\Plugin::STATS_CAPABILITY );
	}
};

if ( ! is_multisite() ) {
	$clickpath_clean_site();
	Clickpath\Relay::delete_files( true );
	return;
}
// Every site of every network (the plugin's files are shared by all of them), in batches so that
// memory stays bounded however many sites there are.
for ( $clickpath_offset = 0; ; $clickpath_offset += Clickpath\Network::BATCH ) {
	$clickpath_ids = get_sites(
		array(
			'fields'                 => 'ids',
			'number'                 => Clickpath\Network::BATCH,
			'offset'                 => $clickpath_offset,
			'orderby'                => 'id',
			'network_id'             => null,
			'update_site_meta_cache' => false,
		)
	);
	foreach ( $clickpath_ids as $clickpath_id ) {
		switch_to_blog( (int) $clickpath_id );
		$clickpath_clean_site();
		restore_current_blog();
	}
	if ( count( $clickpath_ids ) < Clickpath\Network::BATCH ) {
		break;
	}
}
for ( $clickpath_offset = 0; ; $clickpath_offset += Clickpath\Network::BATCH ) {
	$clickpath_ids = get_networks(
		array(
			'fields' => 'ids',
			'number' => Clickpath\Network::BATCH,
			'offset' => $clickpath_offset,
		)
	);
	foreach ( $clickpath_ids as $clickpath_id ) {
		delete_network_option( (int) $clickpath_id, Clickpath\Network::OPTION );
	}
	if ( count( $clickpath_ids ) < Clickpath\Network::BATCH ) {
		break;
	}
}
Clickpath\Relay::delete_files( true );
