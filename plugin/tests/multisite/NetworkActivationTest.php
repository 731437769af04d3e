<?php
/**
 * Network activation: every site gets its settings and the stats capability, a site created
 * later gets them as it is created, a site activation did not reach gets them on its first
 * request; network deactivation stops each site's queue.
 *
 * @package Clickpath
 */

namespace Clickpath\Tests;

use Clickpath\Outbox;
use Clickpath\Plugin;
use Clickpath\Settings;

final class NetworkActivationTest extends MultisiteTestCase {

	private const PLUGIN = 'clickpath/clickpath.php';

	/** Whether the current site has the plugin's settings (with its own secret) and administrators may read the stats. */
	private function assert_set_up( string $where ): string {
		$stored = get_option( Settings::OPTION );
		$this->assertIsArray( $stored, "$where: settings stored" );
		$this->assertMatchesRegularExpression( '/^[0-9a-f]{64}$/', $stored['identitySecret'], "$where: its identity secret" );
		$this->assertTrue( get_role( 'administrator' )->has_cap( Plugin::STATS_CAPABILITY ), "$where: administrators may read the stats" );
		return $stored['identitySecret'];
	}

	public function test_network_activation_sets_up_every_site_and_sites_created_later(): void {
		$this->assertTrue( is_plugin_active_for_network( self::PLUGIN ), 'the bootstrap network-activated the plugin' );
		$early = $this->site( 'early' );
		$this->in_site( $early, fn () => $this->assert_set_up( 'a site created while network-active' ) );

		deactivate_plugins( self::PLUGIN, false, true );
		try {
			$this->assertFalse( is_plugin_active_for_network( self::PLUGIN ) );
			$inactive = $this->site( 'inactive' );
			$this->in_site(
				$inactive,
				function () {
					$this->assertFalse( get_option( Settings::OPTION ), 'not set up while the plugin is not network-active' );
					$this->assertFalse( get_role( 'administrator' )->has_cap( Plugin::STATS_CAPABILITY ) );
				}
			);

			$this->assertNull( activate_plugin( self::PLUGIN, '', true ) );
			$this->assertTrue( is_plugin_active_for_network( self::PLUGIN ) );
			$secrets = array(
				$this->assert_set_up( 'the main site' ),
				$this->in_site( $early, fn () => $this->assert_set_up( 'the early site' ) ),
				$this->in_site( $inactive, fn () => $this->assert_set_up( 'a site that existed before network activation' ) ),
			);
			$this->assertCount( 3, array_unique( $secrets ), 'each site has its own secret' );
		} finally {
			if ( ! is_plugin_active_for_network( self::PLUGIN ) ) {
				activate_plugin( self::PLUGIN, '', true );
			}
		}
	}

	/** A site beyond the first batch of network activation is set up by its first real request. */
	public function test_a_site_activation_did_not_reach_is_set_up_by_its_first_request(): void {
		$site     = $this->site( 'late' );
		$path     = $this->in_site(
			$site,
			function () {
				// As if activation had stopped before this site.
				delete_option( Settings::OPTION );
				get_role( 'administrator' )->remove_cap( Plugin::STATS_CAPABILITY );
				return (string) wp_parse_url( home_url( '/' ), PHP_URL_PATH );
			}
		);
		$response = ( new HttpClient() )->get( $path );
		$this->assertSame( 200, $response['status'], 'the site’s front page' );
		wp_cache_flush();
		$this->in_site(
			$site,
			function () {
				wp_roles()->for_site();
				$this->assert_set_up( 'after its first request' );
			}
		);
	}

	public function test_network_deactivation_stops_each_sites_queue(): void {
		$site = $this->site( 'queue' );
		$this->in_site(
			$site,
			static function () {
				Outbox::add( 'POST', 'sites/x/annotations', array( 'text' => 'waiting' ) );
			}
		);
		$this->assertNotFalse( $this->in_site( $site, static fn () => wp_next_scheduled( Outbox::HOOK ) ) );
		deactivate_plugins( self::PLUGIN, false, true );
		try {
			$this->assertFalse( $this->in_site( $site, static fn () => wp_next_scheduled( Outbox::HOOK ) ), 'the cron event is gone' );
			$this->assertCount( 1, $this->in_site( $site, static fn () => Outbox::read()['entries'] ), 'queued writes stay for the next activation' );
		} finally {
			$this->assertNull( activate_plugin( self::PLUGIN, '', true ) );
		}
		$this->assertNotFalse( $this->in_site( $site, static fn () => wp_next_scheduled( Outbox::HOOK ) ), 'network activation resumes the queue' );
		$this->in_site( $site, static fn () => self::reset_outbox() );
	}
}
