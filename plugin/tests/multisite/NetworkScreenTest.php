<?php
/**
 * Network Admin → Clickpath: every site of a page with its connection and its last seven days,
 * read with each site's own key, cached per site; a failing site shows its error in its row.
 *
 * @package Clickpath
 */

namespace Clickpath\Tests;

use Clickpath\Network;

final class NetworkScreenTest extends MultisiteTestCase {

	private const SITE_A = '65a1b2c3d4e5f60718291aaa';

	private const SITE_B = '65a1b2c3d4e5f60718291bbb';

	/** @return array<int, array<string, mixed>> The page's rows by WordPress site id. */
	private static function rows_by_site( array $page ): array {
		return array_column( $page['rows'], null, 'id' );
	}

	public function test_the_screen_lists_each_site_with_its_numbers_and_its_errors(): void {
		self::act_as( $this->super_admin()->ID );
		$key_a = 'cp_live_' . bin2hex( random_bytes( 16 ) );
		$key_b = 'cp_live_' . bin2hex( random_bytes( 16 ) );
		$alpha = $this->site( 'alpha' );
		$beta  = $this->site( 'beta' );
		$gamma = $this->site( 'gamma' );
		$this->in_site( $alpha, fn () => $this->connect_current_site( self::SITE_A, $key_a ) );
		$this->in_site( $beta, fn () => $this->connect_current_site( self::SITE_B, $key_b ) );
		$this->backend->on(
			'GET',
			'#/api/v1/sites/' . self::SITE_A . '/stats/overview\?#',
			FakeBackend::json(
				200,
				array(
					'metrics' => array(
						'visitors'  => 1234,
						'pageviews' => 5678,
					),
				)
			)
		);
		$this->backend->on( 'GET', '#/api/v1/sites/' . self::SITE_B . '/stats/overview\?#', FakeBackend::status( 500, 'down' ) );

		$rows = self::rows_by_site( Network::sites_page( 1 ) );
		$this->assertSame( 1234, $rows[ $alpha ]['visitors'] );
		$this->assertSame( 5678, $rows[ $alpha ]['pageviews'] );
		$this->assertSame( '', $rows[ $alpha ]['error'] );
		$this->assertTrue( $rows[ $beta ]['connected'] );
		$this->assertNull( $rows[ $beta ]['visitors'] );
		$this->assertStringContainsString( 'HTTP 500', $rows[ $beta ]['error'], 'the failure is shown in its row' );
		$this->assertFalse( $rows[ $gamma ]['connected'] );
		$this->assertSame( 'Site gamma', $rows[ $gamma ]['name'] );
		$this->assertArrayHasKey( get_main_site_id(), $rows, 'the main site is listed too' );

		// One request per connected site, with that site's key, the last seven days, a short timeout.
		$this->assertCount( 2, $this->backend->calls );
		$to   = $this->in_site( $alpha, static fn () => wp_date( 'Y-m-d' ) );
		$from = $this->in_site( $alpha, static fn () => wp_date( 'Y-m-d', time() - 6 * DAY_IN_SECONDS ) );
		$this->assertStringEndsWith( '/sites/' . self::SITE_A . "/stats/overview?from=$from&to=$to&compare=none", $this->backend->calls[0]['url'] );
		$this->assertSame( 'Bearer ' . $key_a, $this->backend->calls[0]['headers']['authorization'] );
		$this->assertSame( 'Bearer ' . $key_b, $this->backend->calls[1]['headers']['authorization'] );
		$this->assertSame( 3, $this->backend->calls[0]['args']['timeout'] );

		// Cached per site, in that site: the next view asks nothing.
		$this->assertSame( $rows, self::rows_by_site( Network::sites_page( 1 ) ) );
		$this->assertCount( 2, $this->backend->calls );

		// The screen itself: names, numbers, the error, and no key.
		ob_start();
		Network::render();
		$html = (string) ob_get_clean();
		$this->assertStringContainsString( 'Site alpha', $html );
		$this->assertStringContainsString( number_format_i18n( 1234 ), $html );
		$this->assertStringContainsString( number_format_i18n( 5678 ), $html );
		$this->assertStringContainsString( 'HTTP 500', $html );
		$this->assertStringContainsString( 'Not connected', $html );
		$this->assertStringNotContainsString( $key_a, $html );
		$this->assertStringNotContainsString( substr( $key_b, 10 ), $html );
		$this->assertCount( 2, $this->backend->calls, 'rendered from the cache' );
	}

	public function test_pages_are_bounded_and_a_spent_time_budget_loads_nothing_more(): void {
		self::act_as( $this->super_admin()->ID );
		$ids = array();
		foreach ( array( 'one', 'two', 'three' ) as $slug ) {
			$ids[] = $this->site( $slug );
			$this->in_site( end( $ids ), fn () => $this->connect_current_site( self::SITE_A, self::key() ) );
		}
		$all   = array_map(
			'intval',
			get_sites(
				array(
					'fields'     => 'ids',
					'orderby'    => 'id',
					'network_id' => get_current_network_id(),
				)
			)
		);
		$first = Network::sites_page( 1, 2, 0 );
		$this->assertSame( count( $all ), $first['total'] );
		$this->assertSame( (int) ceil( count( $all ) / 2 ), $first['pages'] );
		$this->assertSame( array_slice( $all, 0, 2 ), array_column( $first['rows'], 'id' ) );
		$last = Network::sites_page( 99, 2, 0 );
		$this->assertSame( array_slice( $all, ( $first['pages'] - 1 ) * 2 ), array_column( $last['rows'], 'id' ), 'a page past the end shows the last one' );
		$this->assertLessThanOrEqual( Network::PER_PAGE, count( Network::sites_page( 1, 1000, 0 )['rows'] ), 'never more than PER_PAGE sites' );

		// No time left: connected rows say so and nothing is requested or cached.
		$rows = self::rows_by_site( Network::sites_page( 1, Network::PER_PAGE, 0 ) );
		foreach ( $ids as $id ) {
			$this->assertStringContainsString( 'Reload', $rows[ $id ]['error'] );
			$this->assertNull( $rows[ $id ]['visitors'] );
		}
		$this->assertSame( array(), $this->backend->calls );
		$this->assertSame( array(), $this->in_site( $ids[0], static fn () => array_filter( self::stored_options(), static fn ( $name ) => str_contains( $name, 'transient' ) ) ) );
	}
}
