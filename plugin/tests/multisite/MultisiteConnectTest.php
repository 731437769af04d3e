<?php
/**
 * Connecting on a network: each site connects its own key and reads its own numbers with it;
 * only a super admin may choose the server URL (a sub-site admin connects to the network's URL
 * or gets a 403 with the reason, and no request is made).
 *
 * @package Clickpath
 */

namespace Clickpath\Tests;

use Clickpath\Network;
use Clickpath\Settings;

final class MultisiteConnectTest extends MultisiteTestCase {

	private const NETWORK_URL = 'https://stats.example.com';

	private const SITE_A = '65a1b2c3d4e5f60718290aaa';

	private const SITE_B = '65a1b2c3d4e5f60718290bbb';

	private function connect( string $url, ?string $key = null ) {
		return $this->rest(
			'POST',
			'/clickpath/v1/connect',
			array(),
			null === $key ? array( 'backendUrl' => $url ) : array(
				'backendUrl' => $url,
				'apiKey'     => $key,
			)
		);
	}

	private function set_network_url( string $url ): void {
		self::act_as( $this->super_admin()->ID );
		$this->assertSame( $url, Network::set_backend_url( $url ) );
		wp_set_current_user( 0 );
	}

	public function test_each_site_connects_its_own_key_and_reads_its_own_numbers(): void {
		$this->set_network_url( self::NETWORK_URL );
		$keys   = array(
			self::SITE_A => 'cp_live_' . bin2hex( random_bytes( 16 ) ),
			self::SITE_B => 'cp_live_' . bin2hex( random_bytes( 16 ) ),
		);
		$sites  = array(
			self::SITE_A => $this->site( 'alpha' ),
			self::SITE_B => $this->site( 'beta' ),
		);
		$admins = array(
			self::SITE_A => $this->site_admin( $sites[ self::SITE_A ] ),
			self::SITE_B => $this->site_admin( $sites[ self::SITE_B ] ),
		);
		// The backend knows each key as the key of one site.
		$this->backend->on(
			'GET',
			'#^https://stats\.example\.com/api/v1/me$#',
			static function ( $call ) use ( $keys ) {
				$site = array_search( substr( $call['headers']['authorization'], 7 ), $keys, true );
				return false === $site ? FakeBackend::json(
					401,
					array(
						'error' => array(
							'code'    => 'unauthenticated',
							'message' => 'no',
						),
					)
				) : self::me( $site );
			}
		);
		$this->backend->on(
			'GET',
			'#/api/v1/sites/[0-9a-f]{24}/stats/overview\?#',
			static fn ( $call ) => FakeBackend::json( 200, array( 'metrics' => array( 'visitors' => substr( $call['url'], strpos( $call['url'], '/sites/' ) + 7, 24 ) ) ) )
		);

		foreach ( $sites as $backend_site => $site ) {
			self::act_as( $admins[ $backend_site ]->ID );
			$this->in_site(
				$site,
				function () use ( $backend_site, $keys ) {
					$view = $this->rest( 'GET', '/clickpath/v1/settings' )->get_data();
					$this->assertTrue( $view['backendUrlLocked'], 'a sub-site admin sees the URL read-only' );
					$this->assertSame( self::NETWORK_URL, $view['backendUrl'], 'and it is the network’s' );
					$response = $this->connect( self::NETWORK_URL, $keys[ $backend_site ] );
					$this->assertSame( 200, $response->get_status(), wp_json_encode( $response->get_data() ) );
					$this->assertSame( $backend_site, $response->get_data()['site']['id'] );
				}
			);
		}
		wp_set_current_user( 0 );

		// Each site stores its own key and site, and reads its own numbers with its own key.
		foreach ( $sites as $backend_site => $site ) {
			self::act_as( $admins[ $backend_site ]->ID );
			$this->in_site(
				$site,
				function () use ( $backend_site, $keys ) {
					$this->assertSame( $keys[ $backend_site ], Settings::api_key() );
					$this->assertSame( $backend_site, Settings::get()['siteId'] );
					$this->assertSame( self::NETWORK_URL, Settings::get()['backendUrl'] );
					$calls    = count( $this->backend->calls );
					$response = $this->rest(
						'GET',
						'/clickpath/v1/stats/overview',
						array(
							'from' => '2024-01-01',
							'to'   => '2024-01-07',
						)
					);
					$this->assertSame( 200, $response->get_status(), wp_json_encode( $response->get_data() ) );
					$this->assertSame( $backend_site, $response->get_data()->metrics->visitors );
					$call = $this->backend->calls[ $calls ];
					$this->assertStringContainsString( '/sites/' . $backend_site . '/', $call['url'] );
					$this->assertSame( 'Bearer ' . $keys[ $backend_site ], $call['headers']['authorization'] );
				}
			);
		}
		$this->assertFalse( get_option( Settings::KEY_OPTION ), 'the main site has no key' );

		// One site's administrator has no say in another site.
		self::act_as( $admins[ self::SITE_A ]->ID );
		$this->in_site(
			$sites[ self::SITE_B ],
			function () use ( $keys ) {
				$this->assertSame( 403, $this->connect( self::NETWORK_URL, $keys[ self::SITE_A ] )->get_status() );
				$this->assertSame( 403, $this->rest( 'POST', '/clickpath/v1/disconnect' )->get_status() );
				$this->assertSame( $keys[ self::SITE_B ], Settings::api_key() );
			}
		);
	}

	public function test_a_sub_site_admin_may_not_choose_the_server_url(): void {
		$site  = $this->site( 'locked' );
		$admin = $this->site_admin( $site );
		self::act_as( $admin->ID );
		$this->in_site(
			$site,
			function () {
				$before = get_option( Settings::OPTION );
				// No network URL yet: nothing to connect to.
				$response = $this->connect( self::NETWORK_URL, self::key() );
				$this->assertErrorCode( 'clickpath_backend_url_locked', 403, $response );
				$this->assertStringContainsString( 'network administrator', $response->get_data()['message'] );
				$this->assertFalse( Network::may_set_backend_url() );
				$this->assertFalse( current_user_can( Network::CAPABILITY ), 'no access to Network Admin → Clickpath' );
				$this->assertSame( '', $this->rest( 'GET', '/clickpath/v1/settings' )->get_data()['backendUrl'] );

				$set = Network::set_backend_url( 'http://127.0.0.1:6379' );
				$this->assertInstanceOf( \WP_Error::class, $set );
				$this->assertSame( 403, $set->get_error_data()['status'] );
				$this->assertFalse( get_site_option( Network::OPTION ), 'the network URL was not set' );
				$this->assertSame( $before, get_option( Settings::OPTION ) );
			}
		);
		$this->set_network_url( self::NETWORK_URL );
		self::act_as( $admin->ID );
		$this->in_site(
			$site,
			function () {
				$before = get_option( Settings::OPTION );
				// An internal host, another server, the same host on another port: refused before any request.
				foreach ( array( 'http://127.0.0.1:6379', 'http://10.0.0.5', 'https://evil.example', 'https://stats.example.com:8443' ) as $url ) {
					$response = $this->connect( $url, self::key() );
					$this->assertErrorCode( 'clickpath_backend_url_locked', 403, $response );
					$this->assertStringContainsString( self::NETWORK_URL, $response->get_data()['message'], 'names the network’s server' );
				}
				// The settings route has no backendUrl to change.
				$this->assertSame( 400, $this->rest( 'POST', '/clickpath/v1/settings', array(), array( 'backendUrl' => 'http://127.0.0.1:6379' ) )->get_status() );
				$this->assertSame( array(), $this->backend->calls, 'no request was made' );
				$this->assertSame( $before, get_option( Settings::OPTION ) );
				$this->assertFalse( get_option( Settings::KEY_OPTION ) );
			}
		);
	}

	public function test_a_super_admin_sets_the_network_url_and_may_connect_a_site_anywhere(): void {
		$site = $this->site( 'super' );
		self::act_as( $this->super_admin()->ID );
		$this->assertTrue( Network::may_set_backend_url() );
		$this->assertSame( 'https://stats.example.com/clickpath', Network::set_backend_url( ' HTTPS://Stats.Example.com/clickpath/ ' ), 'normalised' );
		$this->assertSame( array( 'backendUrl' => 'https://stats.example.com/clickpath' ), get_site_option( Network::OPTION ) );
		$this->assertSame( 'clickpath_invalid_url', Network::set_backend_url( 'gopher://127.0.0.1:6379/' )->get_error_code() );
		$this->assertSame( 'https://stats.example.com/clickpath', Network::backend_url(), 'a refused URL changes nothing' );

		$this->backend->on( 'GET', '#^http://10\.20\.30\.40:8443/api/v1/me$#', self::me( self::SITE_A ) );
		$this->in_site(
			$site,
			function () {
				$this->assertFalse( $this->rest( 'GET', '/clickpath/v1/settings' )->get_data()['backendUrlLocked'] );
				$response = $this->connect( self::BACKEND, self::key() );
				$this->assertSame( 200, $response->get_status(), wp_json_encode( $response->get_data() ) );
				$this->assertSame( self::BACKEND, Settings::get()['backendUrl'] );
			}
		);
		$this->assertSame( '', Network::set_backend_url( '' ) );
		$this->assertFalse( get_site_option( Network::OPTION ), 'an empty URL removes it' );
	}

	/** The network screen's form over real HTTP: a super admin saves the URL; a sub-site admin cannot reach it. */
	public function test_the_network_screen_saves_the_url_for_super_admins_only(): void {
		$super = $this->super_admin();
		$site  = $this->site( 'form' );
		$admin = $this->site_admin( $site );

		$browser = ( new HttpClient() )->login( $super->user_login, self::password_of( $super->user_login ) );
		$page    = $browser->get( '/wp-admin/network/admin.php?page=clickpath-network' );
		$this->assertSame( 200, $page['status'] );
		$this->assertMatchesRegularExpression( '/name="_wpnonce" value="([0-9a-f]+)"/', $page['body'] );
		preg_match( '/name="_wpnonce" value="([0-9a-f]+)"/', $page['body'], $nonce );
		$saved = $browser->request(
			'POST',
			'/wp-admin/network/edit.php?action=clickpath-network',
			array(),
			array(
				'_wpnonce'         => $nonce[1],
				'_wp_http_referer' => '/wp-admin/network/admin.php?page=clickpath-network',
				'backend_url'      => 'https://Stats.Example.com/',
			)
		);
		$this->assertSame( 302, $saved['status'], $saved['body'] );
		$this->assertStringContainsString( 'updated=1', $saved['headers']['location'][0] ?? '' );
		wp_cache_flush();
		$this->assertSame( self::NETWORK_URL, Network::backend_url() );

		$other = ( new HttpClient() )->login( $admin->user_login, self::password_of( $admin->user_login ) );
		$page  = $other->get( '/wp-admin/network/admin.php?page=clickpath-network' );
		$this->assertNotSame( 200, $page['status'], 'a sub-site admin cannot open the network screen' );
		$saved = $other->request( 'POST', '/wp-admin/network/edit.php?action=clickpath-network', array(), array( 'backend_url' => 'http://127.0.0.1:6379' ) );
		$this->assertNotSame( 302, $saved['status'] );
		wp_cache_flush();
		$this->assertSame( self::NETWORK_URL, Network::backend_url(), 'unchanged' );
	}
}
