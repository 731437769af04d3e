<?php
/**
 * Uninstalling on a network removes what the plugin stored in every site (settings, key, cached
 * reports, queue, cron event, capability) and the network's server URL. Runs last (its own suite
 * in phpunit-multisite.xml.dist) and network-activates the plugin again afterwards.
 *
 * @package Clickpath
 */

namespace Clickpath\Tests;

use Clickpath\Network;
use Clickpath\Outbox;
use Clickpath\Plugin;
use Clickpath\Settings;

final class NetworkUninstallTest extends MultisiteTestCase {

	private const PLUGIN = 'clickpath/clickpath.php';

	/** Stores everything the plugin can store in the current site. */
	private function fill_current_site( string $backend_site ): void {
		$this->connect_current_site( $backend_site, 'cp_live_' . bin2hex( random_bytes( 16 ) ) );
		Settings::apply_stats_roles( array( 'administrator', 'editor' ) );
		set_transient( Settings::cache_key( 'r', 'x' ), array( 'data' => 1 ), 300 );
		Outbox::add( 'POST', 'sites/' . $backend_site . '/annotations', array( 'text' => 'never sent' ) );
	}

	/** @return string[] What the plugin left in the current site: options, transients, capabilities, cron. */
	private static function leftovers(): array {
		wp_cache_flush();
		wp_roles()->for_site();
		$left = self::stored_options();
		foreach ( wp_roles()->role_objects as $name => $role ) {
			if ( $role->has_cap( Plugin::STATS_CAPABILITY ) ) {
				$left[] = "role $name";
			}
		}
		if ( wp_next_scheduled( Outbox::HOOK ) ) {
			$left[] = 'cron ' . Outbox::HOOK;
		}
		return $left;
	}

	public function test_uninstall_cleans_every_site_and_the_network(): void {
		self::act_as( $this->super_admin()->ID );
		$this->assertSame( 'https://stats.example.com', Network::set_backend_url( 'https://stats.example.com' ) );
		$sites = array( get_main_site_id(), $this->site( 'one' ), $this->site( 'two' ) );
		foreach ( $sites as $i => $site ) {
			$this->in_site( $site, fn () => $this->fill_current_site( sprintf( '65a1b2c3d4e5f607182920%02d', $i ) ) );
			$this->assertGreaterThanOrEqual( 7, count( $this->in_site( $site, static fn () => self::leftovers() ) ), "site $site holds the plugin's data" );
		}

		try {
			deactivate_plugins( self::PLUGIN, false, true );
			$this->assertTrue( uninstall_plugin( self::PLUGIN ) );
			wp_cache_flush();
			foreach ( $sites as $site ) {
				$this->assertSame( array(), $this->in_site( $site, static fn () => self::leftovers() ), "left behind in site $site" );
			}
			$this->assertFalse( get_site_option( Network::OPTION ), 'the network’s server URL is gone' );
		} finally {
			$this->assertNull( activate_plugin( self::PLUGIN, '', true ) );
		}
		foreach ( $sites as $site ) {
			$this->in_site(
				$site,
				function () {
					$this->assertSame( '', Settings::get()['siteId'], 'activating again starts fresh' );
					$this->assertTrue( get_role( 'administrator' )->has_cap( Plugin::STATS_CAPABILITY ) );
				}
			);
		}
	}
}
