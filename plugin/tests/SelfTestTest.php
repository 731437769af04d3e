<?php
/**
 * GET clickpath/v1/self-test: what the settings screen's collection self-test runs against (the
 * tag the front page should carry, where it sends events) and the stored key's check against the
 * server, for administrators only, with a nonce over HTTP, and never the key itself.
 *
 * @package Clickpath
 */

namespace Clickpath\Tests;

use Clickpath\Settings;
use WP_Error;

final class SelfTestTest extends TestCase {

	private const ME = '#^http://10\.20\.30\.40:8443/api/v1/me$#';

	protected function setUp(): void {
		parent::setUp();
		self::act_as( $this->user( 'administrator' )->ID );
	}

	/** The /api/v1/me answer for a key of the connected site (or of the site given). */
	private static function me( array $site = array() ): array {
		$described = array(
			'id'       => self::SITE_ID,
			'publicId' => self::PUBLIC_ID,
			'name'     => 'Test site',
			'domain'   => 'blog.example.org',
		);
		return FakeBackend::key_answer( array_merge( $described, $site ), array( 'stats:read' ) );
	}

	/** @return array<string, mixed> */
	private function self_test( int $status = 200 ): array {
		$response = $this->rest( 'GET', '/clickpath/v1/self-test' );
		$this->assertSame( $status, $response->get_status(), wp_json_encode( $response->get_data() ) );
		$this->assertNoKey( self::as_json( $response ), 'the self-test answer' );
		return $response->get_data();
	}

	public function test_when_connected_it_names_the_tag_the_front_page_should_carry_and_checks_the_key(): void {
		$this->connect_site(
			array(
				'honorDoNotTrack' => true,
				'trackEngagement' => false,
			)
		);
		$this->backend->on( 'GET', self::ME, self::me() );

		$this->assertSame(
			array(
				'frontPage'       => home_url( '/' ),
				'site'            => self::PUBLIC_ID,
				'src'             => plugins_url( 'assets/clickpath.js', CLICKPATH_FILE ),
				'api'             => self::BACKEND . '/api/event',
				'trackerSource'   => 'plugin',
				'honorDoNotTrack' => true,
				'trackEngagement' => false,
				'connection'      => array( 'ok' => true ),
			),
			$this->self_test()
		);
		$calls = $this->backend->calls_to( self::ME, 'GET' );
		$this->assertCount( 1, $calls, 'one request: GET /me' );
		$this->assertSame( 'Bearer ' . self::key(), $calls[0]['headers']['authorization'] );
		$this->assertCount( 1, $this->backend->calls );
	}

	public function test_with_the_tracker_served_by_the_server_it_names_the_servers_script(): void {
		$this->connect_site( array( 'trackerSource' => 'backend' ) );
		$this->backend->on( 'GET', self::ME, self::me() );
		$answer = $this->self_test();
		$this->assertSame( self::BACKEND . '/js/clickpath.js', $answer['src'] );
		$this->assertSame( 'backend', $answer['trackerSource'] );
	}

	public function test_a_revoked_or_mistyped_key_is_a_failed_check_not_a_failed_request(): void {
		$this->connect_site();
		$error = array(
			'code'    => 'unauthorized',
			'message' => 'Invalid API key ' . self::key(),
		);
		$this->backend->on( 'GET', self::ME, FakeBackend::json( 401, array( 'error' => $error ) ) );
		$connection = $this->self_test()['connection'];
		$this->assertFalse( $connection['ok'] );
		$this->assertSame( 'clickpath_key_rejected', $connection['code'] );
		$this->assertStringContainsString( 'refused the API key', $connection['message'] );
	}

	public function test_a_key_of_another_site_fails_the_check_and_names_that_site(): void {
		$this->connect_site();
		$this->backend->on(
			'GET',
			self::ME,
			self::me(
				array(
					'id'       => '65a1b2c3d4e5f60718293a99',
					'publicId' => 'pub_OtherSite99',
					'name'     => 'Shop <b>x</b>',
					'domain'   => 'shop.example.org',
				)
			)
		);
		$connection = $this->self_test()['connection'];
		$this->assertSame( 'clickpath_key_other_site', $connection['code'] );
		$this->assertSame( 'The stored key belongs to the Clickpath site Shop x (shop.example.org), not to Test site, the site this WordPress is connected to.', $connection['message'] );
	}

	public function test_a_public_id_the_server_no_longer_uses_fails_the_check(): void {
		$this->connect_site();
		$this->backend->on( 'GET', self::ME, self::me( array( 'publicId' => 'pub_Rotated12345' ) ) );
		$this->assertSame( 'clickpath_public_id_changed', $this->self_test()['connection']['code'] );
	}

	public function test_an_unreachable_server_and_an_answer_that_is_no_key_fail_the_check(): void {
		$this->connect_site();
		$this->backend->on( 'GET', self::ME, new WP_Error( 'http_request_failed', 'cURL error 7: Failed to connect' ) );
		$connection = $this->self_test()['connection'];
		$this->assertSame( 'clickpath_unreachable', $connection['code'] );
		$this->assertStringContainsString( 'Failed to connect', $connection['message'] );

		$this->backend->on( 'GET', self::ME, FakeBackend::json( 200, array( 'type' => 'user' ) ) );
		$this->assertSame( 'clickpath_not_a_key', $this->self_test()['connection']['code'] );
	}

	public function test_not_connected_is_an_error_and_asks_nothing_of_the_server(): void {
		$this->connect_site();
		Settings::delete_api_key();
		$this->assertErrorCode( 'clickpath_not_connected', 409, $this->rest( 'GET', '/clickpath/v1/self-test' ) );
		$this->assertSame( array(), $this->backend->calls );
	}

	public function test_only_administrators_may_run_it(): void {
		$this->connect_site();
		$this->backend->on( 'GET', self::ME, self::me() );
		Settings::apply_stats_roles( array( 'administrator', 'editor' ) );
		foreach ( array(
			'anonymous'         => array( 0, 401 ),
			'subscriber'        => array( $this->user( 'subscriber' )->ID, 403 ),
			'editor with stats' => array( $this->user( 'editor' )->ID, 403 ),
		) as $who => list( $user_id, $status ) ) {
			self::act_as( $user_id );
			$response = $this->rest( 'GET', '/clickpath/v1/self-test' );
			$this->assertSame( $status, $response->get_status(), $who );
			$this->assertErrorCode( 'rest_forbidden', $status, $response );
		}
		$this->assertSame( array(), $this->backend->calls, 'a refused caller made the plugin ask the server nothing' );
		Settings::apply_stats_roles( array( 'administrator' ) );
	}

	public function test_over_http_an_administrator_needs_the_rest_nonce(): void {
		// A closed port: the key check fails at once instead of waiting for a timeout.
		$socket = stream_socket_server( 'tcp://127.0.0.1:0' );
		$port   = (int) substr( strrchr( stream_socket_get_name( $socket, false ), ':' ), 1 );
		fclose( $socket );
		$this->connect_site( array( 'backendUrl' => 'http://127.0.0.1:' . $port ) );
		$admin = ( new HttpClient() )->login( (string) getenv( 'CLICKPATH_WP_ADMIN_USER' ), (string) getenv( 'CLICKPATH_WP_ADMIN_PASSWORD' ) );

		foreach ( array(
			'no nonce'         => array(),
			'an invalid nonce' => array( 'X-WP-Nonce' => 'abcdef0123' ),
		) as $case => $headers ) {
			$response = $admin->get( '/wp-json/clickpath/v1/self-test', $headers );
			$this->assertContains( $response['status'], array( 401, 403 ), "$case: {$response['body']}" );
			$this->assertContains( json_decode( $response['body'], true )['code'] ?? '', array( 'rest_forbidden', 'rest_cookie_invalid_nonce' ), $case );
		}

		$response = $admin->get( '/wp-json/clickpath/v1/self-test', array( 'X-WP-Nonce' => $admin->rest_nonce() ) );
		$this->assertSame( 200, $response['status'], $response['body'] );
		$this->assertNoKey( $response['body'], 'the self-test answer over HTTP' );
		$answer = json_decode( $response['body'], true );
		$this->assertSame( self::PUBLIC_ID, $answer['site'] );
		$this->assertSame( 'clickpath_unreachable', $answer['connection']['code'] );
	}
}
