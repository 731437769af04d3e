<?php
/**
 * Connect and disconnect: malicious backend URLs, exactly the configured host allowed (and only
 * during the request), redirects refused, what a successful connect stores, and what it answers.
 *
 * @package Clickpath
 */

namespace Clickpath\Tests;

use Clickpath\Backend;
use Clickpath\Settings;

final class ConnectTest extends TestCase {

	protected function setUp(): void {
		parent::setUp();
		self::act_as( $this->user( 'administrator' )->ID );
	}

	private function connect( string $url, ?string $key = null ) {
		$body = array( 'backendUrl' => $url );
		if ( null !== $key ) {
			$body['apiKey'] = $key;
		}
		return $this->rest( 'POST', '/clickpath/v1/connect', array(), $body );
	}

	/** The /api/v1/me answer for an API key, as the backend sends it. */
	private static function me( array $site = array(), array $scopes = array( 'stats:read', 'sites:manage' ) ): array {
		$described = array(
			'id'       => self::SITE_ID,
			'publicId' => self::PUBLIC_ID,
			'name'     => 'My <b>blog</b>',
			'domain'   => (string) wp_parse_url( home_url(), PHP_URL_HOST ),
			'role'     => 'admin',
			'settings' => array(
				'identityMode'          => 'first-party',
				'rawEventRetentionDays' => 90,
				'honorDoNotTrack'       => true,
				'trackOutbound'         => false,
				'trackDownloads'        => 'yes', // malformed: ignored
				'somethingNew'          => true,
			),
		);
		return FakeBackend::key_answer( array_merge( $described, $site ), $scopes );
	}

	private function stored_row( string $name ): ?object {
		global $wpdb;
		return $wpdb->get_row( $wpdb->prepare( "SELECT option_value, autoload FROM {$wpdb->options} WHERE option_name = %s", $name ) );
	}

	public function test_malicious_backend_urls_are_refused_without_any_request(): void {
		$before = get_option( Settings::OPTION );
		foreach ( array(
			'file:///etc/passwd',
			'file://localhost/etc/passwd',
			'ftp://stats.example.com',
			'gopher://127.0.0.1:6379/_INFO',
			'dict://127.0.0.1:11211/',
			'php://filter/resource=/etc/passwd',
			'data:text/plain,hello',
			'javascript:alert(1)',
			'javascript://stats.example.com/%0Aalert(1)',
			'https://user:secret@stats.example.com',
			'https://user@stats.example.com',
			'https://stats.example.com@evil.example',
			'https://stats.example.com/?x=1',
			'https://stats.example.com/api?next=http://evil.example',
			'https://stats.example.com/#fragment',
			'https://stats.example.com/path with space',
			'https://stats.example.com/<script>',
			'https://exa mple.com',
			'https://evil.example\\@stats.example.com',
			'//stats.example.com',
			'stats.example.com',
			'http://',
			'',
			'https://' . str_repeat( 'a', 500 ) . '.example',
		) as $url ) {
			$response = $this->connect( $url, self::key() );
			$this->assertSame( 400, $response->get_status(), "$url: " . wp_json_encode( $response->get_data() ) );
			$this->assertContains( $response->get_data()['code'], array( 'clickpath_invalid_url', 'rest_invalid_param' ), $url );
			$this->assertNoKey( self::as_json( $response ), 'a refused connect' );
		}
		// Keys that are not keys.
		foreach ( array( 'key with spaces', "cp_live_abc\n", "cp_live_abc\r\nX-Evil: 1", '<script>', str_repeat( 'a', 201 ) ) as $key ) {
			$this->assertSame( 400, $this->connect( 'https://stats.example.com', $key )->get_status(), wp_json_encode( $key ) );
		}
		$this->assertSame( array(), $this->backend->calls, 'no request was made' );
		$this->assertSame( $before, get_option( Settings::OPTION ) );
		$this->assertFalse( get_option( Settings::KEY_OPTION ) );
	}

	public function test_backend_urls_are_normalised(): void {
		$this->assertSame( 'https://stats.example.com', Backend::normalize_url( ' HTTPS://Stats.Example.com/ ' ) );
		$this->assertSame( 'http://127.0.0.1:8080/clickpath', Backend::normalize_url( 'http://127.0.0.1:8080/clickpath/' ) );
		$this->assertSame( 'http://[::1]:3000', Backend::normalize_url( 'http://[::1]:3000' ) );
	}

	/**
	 * While the plugin talks to its backend, exactly that host (and port) passes wp_safe_remote_*'s
	 * checks; other private hosts stay refused; afterwards the allowance is gone.
	 */
	public function test_exactly_the_configured_host_is_allowed_during_the_request(): void {
		$filters_before = array( has_filter( 'http_request_host_is_external' ), has_filter( 'http_allowed_safe_ports' ) );
		foreach ( array(
			'http://127.0.0.1:' . $this->free_port(),
			'http://10.20.30.40:8443',
			'http://localhost:' . $this->free_port(),
		) as $backend ) {
			$port   = (int) wp_parse_url( $backend, PHP_URL_PORT );
			$probes = array(
				$backend . '/api/v1/me'               => true,
				'http://10.0.0.1/'                    => false,
				'http://10.0.0.1:' . $port . '/'      => false,
				'http://192.168.1.1:' . $port . '/'   => false,
				'http://172.16.0.1:' . $port . '/'    => false,
				// The backend's port is allowed for the backend's host only, not for any public host.
				'http://93.184.216.34:' . $port . '/' => false,
			);
			$this->assertFalse( wp_http_validate_url( $backend . '/api/v1/me' ), "$backend is refused before the request" );
			$seen = array();
			$this->backend->on(
				'GET',
				'#/api/v1/me$#',
				static function () use ( $probes, &$seen ) {
					foreach ( array_keys( $probes ) as $url ) {
						$seen[ $url ] = false !== wp_http_validate_url( $url );
					}
					return self::me();
				}
			);
			$response = $this->connect( $backend, self::key() );
			$this->assertSame( 200, $response->get_status(), wp_json_encode( $response->get_data() ) );
			$this->assertSame( $probes, $seen, "allowed during the request to $backend" );
			$this->assertFalse( wp_http_validate_url( $backend . '/api/v1/me' ), "$backend is refused again after the request" );
			$this->assertSame( $filters_before, array( has_filter( 'http_request_host_is_external' ), has_filter( 'http_allowed_safe_ports' ) ), 'the filters were removed' );
		}
		foreach ( $this->backend->calls as $call ) {
			$this->assertTrue( $call['safe'] );
			$this->assertSame( 0, $call['args']['redirection'] );
			$this->assertTrue( $call['args']['reject_unsafe_urls'] );
		}
	}

	public function test_a_redirect_is_refused(): void {
		$this->backend->on( 'GET', '#/api/v1/me$#', FakeBackend::status( 302, '', array( 'location' => 'http://evil.example/api/v1/me' ) ) );
		$response = $this->connect( 'https://stats.example.com', self::key() );
		$this->assertErrorCode( 'clickpath_redirect_refused', 502, $response );
		$this->assertCount( 1, $this->backend->calls, 'not followed' );
		$this->assertFalse( get_option( Settings::KEY_OPTION ), 'nothing stored' );
		$this->assertSame( '', Settings::get()['backendUrl'] );
	}

	public function test_answers_that_are_not_a_usable_key_store_nothing(): void {
		$cases = array(
			'clickpath_key_rejected'  => FakeBackend::json(
				401,
				array(
					'error' => array(
						'code'    => 'unauthenticated',
						'message' => 'Invalid key',
					),
				)
			),
			'clickpath_not_a_key'     => FakeBackend::json(
				200,
				array(
					'type'    => 'session',
					'account' => array(),
					'sites'   => array(),
				)
			),
			'clickpath_key_scope'     => self::me( array(), array( 'events:write' ) ),
			'clickpath_backend_error' => FakeBackend::status( 200, '<html>a captive portal</html>', array( 'content-type' => 'text/html' ) ),
		);
		foreach ( $cases as $code => $answer ) {
			$this->backend->on( 'GET', '#/api/v1/me$#', $answer );
			$response = $this->connect( 'https://stats.example.com', self::key() );
			if ( 'clickpath_backend_error' === $code ) {
				// A 200 that is not JSON is not a key either.
				$this->assertSame( 'clickpath_not_a_key', $response->get_data()['code'] );
			} else {
				$this->assertSame( $code, $response->get_data()['code'] );
			}
			$this->assertNoKey( self::as_json( $response ), "the $code answer" );
		}
		$this->assertFalse( get_option( Settings::KEY_OPTION ) );
		$this->assertSame( '', Settings::get()['siteId'] );
		$this->assertErrorCode( 'clickpath_key_missing', 400, $this->connect( 'https://stats.example.com' ) );
	}

	public function test_a_successful_connect_stores_the_key_non_autoloaded_and_answers_with_the_mask(): void {
		$this->backend->on( 'GET', '#^https://stats\.example\.com:8443/clickpath/api/v1/me$#', self::me() );
		$response = $this->connect( 'HTTPS://Stats.Example.com:8443/clickpath/', self::key() );
		$this->assertSame( 200, $response->get_status(), wp_json_encode( $response->get_data() ) );
		$this->assertCount( 1, $this->backend->calls );
		$this->assertSame( 'Bearer ' . self::key(), $this->backend->calls[0]['headers']['authorization'] );

		$json = self::as_json( $response );
		$this->assertNoKey( $json, 'the connect answer' );
		$data = $response->get_data();
		$this->assertTrue( $data['connected'] );
		$this->assertSame( Settings::key_mask( self::key() ), $data['key']['mask'] );
		$this->assertStringStartsWith( substr( self::key(), 0, 10 ), $data['key']['mask'] );
		$this->assertFalse( $data['key']['fromConstant'] );
		$this->assertSame( array( 'stats:read', 'sites:manage' ), $data['scopes'] );
		$this->assertSame( self::SITE_ID, $data['site']['id'] );
		$this->assertSame( 'My blog', $data['site']['name'], 'tags stripped' );
		$this->assertSame( array(), $data['warnings'], 'the domain matches and the key may manage the site' );
		$this->assertSame( 'https://stats.example.com:8443/clickpath', $data['backendUrl'] );

		// Stored: the key on its own, never autoloaded; the site and its collection settings in the settings.
		$row = $this->stored_row( Settings::KEY_OPTION );
		$this->assertNotNull( $row );
		$this->assertSame( self::key(), $row->option_value );
		$this->assertAutoloaded( false, Settings::KEY_OPTION );
		$settings_row = $this->stored_row( Settings::OPTION );
		$this->assertAutoloaded( true, Settings::OPTION, 'public pages read the settings without a query' );
		$this->assertStringNotContainsString( self::secret_part(), $settings_row->option_value, 'the key is not in the autoloaded settings' );
		$settings = Settings::get();
		$this->assertSame( 'https://stats.example.com:8443/clickpath', $settings['backendUrl'] );
		$this->assertSame( self::SITE_ID, $settings['siteId'] );
		$this->assertSame( self::PUBLIC_ID, $settings['publicId'] );
		$this->assertSame( 'first-party', $settings['identityMode'] );
		$this->assertSame( 90, $settings['retentionDays'] );
		$this->assertTrue( $settings['honorDoNotTrack'] );
		$this->assertFalse( $settings['trackOutbound'] );
		$this->assertTrue( $settings['trackDownloads'], 'a malformed remote value is ignored' );
		$this->assertArrayNotHasKey( 'somethingNew', $settings );

		// Reconnecting without typing the key uses the stored one.
		$this->backend->on( 'GET', '#/api/v1/me$#', self::me() );
		$this->assertSame( 200, $this->connect( 'https://stats.example.com:8443/clickpath' )->get_status() );
		$this->assertSame( 'Bearer ' . self::key(), end( $this->backend->calls )['headers']['authorization'] );

		// The settings screen's read answers with the mask only.
		$read = $this->rest( 'GET', '/clickpath/v1/settings' );
		$this->assertSame( 200, $read->get_status() );
		$this->assertNoKey( self::as_json( $read ), 'GET settings' );
		$this->assertSame( Settings::key_mask( self::key() ), $read->get_data()['key']['mask'] );
	}

	public function test_a_key_stored_autoloaded_by_an_older_version_stops_being_autoloaded(): void {
		add_option( Settings::KEY_OPTION, 'cp_live_olderkey0000000000', '', 'yes' );
		$this->backend->on( 'GET', '#/api/v1/me$#', self::me() );
		$this->assertSame( 200, $this->connect( 'https://stats.example.com', self::key() )->get_status() );
		$this->assertAutoloaded( false, Settings::KEY_OPTION );
		$this->assertSame( self::key(), $this->stored_row( Settings::KEY_OPTION )->option_value );
	}

	public function test_warnings_for_another_domain_and_a_read_only_key(): void {
		$this->backend->on( 'GET', '#/api/v1/me$#', self::me( array( 'domain' => 'shop.example.org' ), array( 'stats:read' ) ) );
		$response = $this->connect( 'https://stats.example.com', self::key() );
		$this->assertSame( 200, $response->get_status() );
		$warnings = $response->get_data()['warnings'];
		$this->assertCount( 2, $warnings );
		$this->assertStringContainsString( 'shop.example.org', $warnings[0] );
		$this->assertStringContainsString( (string) wp_parse_url( home_url(), PHP_URL_HOST ), $warnings[0] );
		$this->assertStringContainsString( 'sites:manage', $warnings[1] );
		$this->assertSame( array( 'stats:read' ), Settings::get()['scopes'] );
	}

	public function test_disconnect_removes_the_key_and_the_site(): void {
		global $wpdb;
		$this->connect_site();
		set_transient( Settings::TRANSIENT_PREFIX . 'r_test', array( 'data' => 1 ), 60 );
		$response = $this->rest( 'POST', '/clickpath/v1/disconnect' );
		$this->assertSame( 200, $response->get_status() );
		$this->assertNoKey( self::as_json( $response ), 'the disconnect answer' );
		$this->assertFalse( $response->get_data()['connected'] );
		$this->assertNull( $response->get_data()['key'] );
		$this->assertNull( $this->stored_row( Settings::KEY_OPTION ) );
		$settings = Settings::get();
		$this->assertSame( '', $settings['siteId'] );
		$this->assertSame( '', $settings['publicId'] );
		$this->assertSame( array(), $settings['scopes'] );
		$this->assertSame( self::BACKEND, $settings['backendUrl'], 'the URL stays for the next connect' );
		$this->assertSame( '0', $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->options} WHERE option_name LIKE '\\_transient%clickpath\\_%'" ) );
		$this->assertSame( array(), $this->backend->calls );
	}

	/** Real requests (no fake): the allowed loopback port really goes out, and a real redirect is refused. */
	public function test_real_requests_to_loopback(): void {
		$this->backend->uninstall();
		// Nothing listens there: refused by the network, not by wp_http_validate_url.
		$response = $this->connect( 'http://127.0.0.1:' . $this->free_port(), self::key() );
		$this->assertErrorCode( 'clickpath_unreachable', 502, $response );
		$this->assertStringNotContainsString( 'valid URL', $response->get_data()['message'] );
		$this->assertMatchesRegularExpression( '/cURL error 7|connect|refused/i', $response->get_data()['message'] );
		// The test site's wp-admin answers a redirect to wp-login.php.
		$response = $this->connect( (string) getenv( 'CLICKPATH_WP_URL' ) . '/wp-admin', self::key() );
		$this->assertErrorCode( 'clickpath_redirect_refused', 502, $response );
		$this->assertStringContainsString( 'wp-login.php', $response->get_data()['message'] );
		$this->assertFalse( get_option( Settings::KEY_OPTION ) );
	}

	private function free_port(): int {
		$socket = stream_socket_server( 'tcp://127.0.0.1:0' );
		$name   = stream_socket_get_name( $socket, false );
		fclose( $socket );
		return (int) substr( strrchr( $name, ':' ), 1 );
	}
}
