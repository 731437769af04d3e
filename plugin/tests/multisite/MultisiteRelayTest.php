<?php
/**
 * The first-party relay on a network: each site turns it on with its own key and gets its own
 * secret, folder and endpoint (relay.php?b=<site id>); relay.php keeps each site's hits in that
 * site's spool and refuses another site's hits.
 *
 * @package Clickpath
 */

namespace Clickpath\Tests;

use Clickpath\Relay;
use Clickpath\Relay_Spool;

final class MultisiteRelayTest extends MultisiteTestCase {

	private const SITE_A = '65a1b2c3d4e5f60718291aaa';

	private const SITE_B = '65a1b2c3d4e5f60718291bbb';

	/** @var int[] WordPress site ids whose relay folders tearDown removes. */
	private array $relay_sites = array();

	protected function tearDown(): void {
		foreach ( $this->relay_sites as $id ) {
			$this->in_site(
				$id,
				static function () {
					Relay::delete_files();
					wp_clear_scheduled_hook( Relay::HOOK );
				}
			);
		}
		parent::tearDown();
	}

	/** Turns the relay on in site `$site` as its own administrator; returns its endpoint and config. */
	private function relay_on( int $site, string $backend_site ): array {
		$this->relay_sites[] = $site;
		$admin               = $this->site_admin( $site );
		return $this->in_site(
			$site,
			function () use ( $admin, $backend_site ) {
				$this->connect_current_site( $backend_site, 'cp_live_' . bin2hex( random_bytes( 16 ) ) );
				self::act_as( $admin->ID );
				$response = $this->rest( 'POST', '/clickpath/v1/settings', array(), array( 'relay' => true ) );
				$this->assertSame( 200, $response->get_status(), self::as_json( $response ) );
				return array(
					'endpoint' => Relay::endpoint(),
					'dir'      => Relay::dir(),
					'config'   => Relay_Spool::config( Relay::dir() ),
					'home'     => home_url( '/' ),
				);
			}
		);
	}

	private static function post_hit( string $endpoint, string $public_id ): int {
		$url  = (string) wp_parse_url( $endpoint, PHP_URL_PATH ) . '?' . (string) wp_parse_url( $endpoint, PHP_URL_QUERY );
		$body = (string) wp_json_encode(
			array(
				's' => $public_id,
				'i' => 'e' . bin2hex( random_bytes( 6 ) ),
				'k' => 'pv',
				'u' => 'http://127.0.0.1/',
			)
		);
		return ( new HttpClient() )->request( 'POST', $url, array( 'Content-Type' => 'text/plain' ), $body )['status'];
	}

	private static function spooled( array $relay ): int {
		$file = Relay_Spool::spool_file( $relay['dir'], $relay['config'] );
		return is_file( $file ) ? count( file( $file ) ) : 0;
	}

	public function test_each_site_has_its_own_secret_folder_and_endpoint_and_keeps_its_own_hits(): void {
		// The backend issues each site's secret to that site's key.
		$this->backend->on(
			'POST',
			'#/api/v1/sites/(\w+)/relay-secret$#',
			static fn ( $call ) => FakeBackend::json( 201, array( 'secret' => 'secret-of-' . preg_replace( '#.*/sites/(\w+)/.*#', '$1', $call['url'] ) ) )
		);
		$site_a = $this->site( 'alpha' );
		$site_b = $this->site( 'beta' );
		$a      = $this->relay_on( $site_a, self::SITE_A );
		$b      = $this->relay_on( $site_b, self::SITE_B );

		$this->assertSame( 'secret-of-' . self::SITE_A, $a['config']['secret'] );
		$this->assertSame( 'secret-of-' . self::SITE_B, $b['config']['secret'] );
		$this->assertStringEndsWith( '/' . $site_a, $a['dir'] );
		$this->assertStringEndsWith( '/' . $site_b, $b['dir'] );
		$this->assertStringEndsWith( 'relay.php?b=' . $site_a, $a['endpoint'] );

		$this->assertSame( 202, self::post_hit( $a['endpoint'], $a['config']['publicId'] ) );
		$this->assertSame( 202, self::post_hit( $b['endpoint'], $b['config']['publicId'] ) );
		$this->assertSame( 202, self::post_hit( $b['endpoint'], $b['config']['publicId'] ) );
		$this->assertSame( 400, self::post_hit( $a['endpoint'], $b['config']['publicId'] ), 'site B’s hit sent to site A’s relay' );
		$this->assertSame( 1, self::spooled( $a ) );
		$this->assertSame( 2, self::spooled( $b ) );

		// The site's own page names its relay (under the site's path, which multisite's rewrite maps to wp-content/).
		$page = ( new HttpClient() )->get( (string) wp_parse_url( $a['home'], PHP_URL_PATH ) );
		$this->assertMatchesRegularExpression( '#data-api="[^"]*/wp-content/plugins/clickpath/relay\.php\?b=' . $site_a . '"#', $page['body'] );
	}
}
