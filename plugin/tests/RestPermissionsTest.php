<?php
/**
 * The capability matrix of every `clickpath/v1` route (enumerated from the REST server, so a new
 * route is covered automatically), in this process and over real HTTP with cookies and nonces.
 *
 * @package Clickpath
 */

namespace Clickpath\Tests;

use Clickpath\Settings;
use RuntimeException;
use WP_REST_Response;

final class RestPermissionsTest extends TestCase {

	/** Sample values for URL parameters, by name. A new parameter name must get one here. */
	private const URL_PARAMS = array(
		'dimension'      => 'page',
		'visitorId'      => 'c:AbCdEfGhIj12',
		'id'             => '65a1b2c3d4e5f60718293a4c',
		'subscriptionId' => '65a1b2c3d4e5f60718293a4c',
	);

	/** Sample values for required arguments, by name. */
	private const REQUIRED_ARGS = array(
		'from'       => '2024-01-01',
		'to'         => '2024-01-31',
		'backendUrl' => 'https://stats.example.test',
		'spike'      => array(
			'enabled'   => true,
			'threshold' => 100,
		),
		'drop'       => array(
			'enabled' => false,
			'percent' => 50,
		),
		'recipients' => array( '65a1b2c3d4e5f60718293a4c' ),
		'frequency'  => 'weekly',
	);

	/** Sample values for required arguments whose name other routes use with another type, by route. */
	private const ROUTE_ARGS = array(
		'/clickpath/v1/alerts'        => array( 'email' => true ),
		'/clickpath/v1/email-reports' => array( 'email' => 'owner@example.org' ),
	);

	/** Routes for administrators only, whatever the method (the rest: reads need the stats capability). */
	private const ADMIN_ROUTES = '#^/clickpath/v1/(settings|self-test|alerts|email-reports)(/|$)#';

	/**
	 * Every handler of every clickpath/v1 route: route, method, a concrete path, the required
	 * arguments and the capability it must demand.
	 *
	 * @return array<int, array{route: string, method: string, path: string, args: array<string, string>, capability: string}>
	 */
	private function endpoints(): array {
		$server    = rest_get_server();
		$endpoints = array();
		foreach ( $server->get_routes( 'clickpath/v1' ) as $route => $handlers ) {
			if ( '/clickpath/v1' === $route ) {
				// Core's namespace index (lists the routes, like /wp-json/ itself); no plugin callback.
				foreach ( $handlers as $handler ) {
					$this->assertSame( array( $server, 'get_namespace_index' ), $handler['callback'] );
				}
				continue;
			}
			$path = $this->sample_path( $route );
			$this->assertMatchesRegularExpression( '@^' . $route . '$@i', $path, "sample path for $route" );
			foreach ( $handlers as $handler ) {
				$this->assertArrayHasKey( 'permission_callback', $handler, "$route has no permission_callback" );
				$this->assertIsCallable( $handler['permission_callback'], "$route: permission_callback" );
				$this->assertNotSame( '__return_true', $handler['permission_callback'], "$route is public" );
				$args = array();
				foreach ( $handler['args'] ?? array() as $name => $spec ) {
					if ( ! empty( $spec['required'] ) ) {
						$samples = ( self::ROUTE_ARGS[ $route ] ?? array() ) + self::REQUIRED_ARGS;
						if ( ! isset( $samples[ $name ] ) ) {
							throw new RuntimeException( "Add a sample value for the required argument '$name' of $route to RestPermissionsTest::REQUIRED_ARGS" );
						}
						$args[ $name ] = $samples[ $name ];
					}
				}
				foreach ( array_keys( array_filter( $handler['methods'] ) ) as $method ) {
					$endpoints[] = array(
						'route'      => $route,
						'method'     => $method,
						'path'       => $path,
						'args'       => $args,
						// Reads need the stats capability; writes, the settings, self-test, alerts and email reports manage_options.
						'capability' => ( preg_match( self::ADMIN_ROUTES, $route ) || 'GET' !== $method ) ? 'manage_options' : 'view_clickpath_stats',
					);
				}
			}
		}
		return $endpoints;
	}

	/** Replaces each (?P<name>…) group of a route regex with a sample value. */
	private function sample_path( string $route ): string {
		$path   = '';
		$i      = 0;
		$length = strlen( $route );
		for ( $start = strpos( $route, '(?P<' ); false !== $start; $start = strpos( $route, '(?P<', $i ) ) {
			$path .= substr( $route, $i, $start - $i );
			$close = strpos( $route, '>', $start );
			$name  = substr( $route, $start + 4, $close - $start - 4 );
			if ( ! isset( self::URL_PARAMS[ $name ] ) ) {
				throw new RuntimeException( "Add a sample value for the URL parameter '$name' of $route to RestPermissionsTest::URL_PARAMS" );
			}
			$depth = 0;
			for ( $j = $start; $j < $length; $j++ ) {
				if ( '\\' === $route[ $j ] ) {
					++$j;
					continue;
				}
				if ( '(' === $route[ $j ] ) {
					++$depth;
				} elseif ( ')' === $route[ $j ] && 0 === --$depth ) {
					break;
				}
			}
			$path .= self::URL_PARAMS[ $name ];
			$i     = $j + 1;
		}
		return $path . substr( $route, $i );
	}

	public function test_the_routes_are_all_found(): void {
		$found = array_map( static fn ( $e ) => $e['method'] . ' ' . $e['route'], $this->endpoints() );
		foreach ( array(
			'GET /clickpath/v1/settings',
			'POST /clickpath/v1/settings',
			'POST /clickpath/v1/connect',
			'POST /clickpath/v1/disconnect',
			'GET /clickpath/v1/self-test',
			'GET /clickpath/v1/stats/overview',
			'GET /clickpath/v1/stats/timeseries',
			'GET /clickpath/v1/stats/realtime',
			'GET /clickpath/v1/visitors',
			'GET /clickpath/v1/goals',
			'POST /clickpath/v1/goals',
			'GET /clickpath/v1/funnels',
			'POST /clickpath/v1/funnels',
			'GET /clickpath/v1/annotations',
			'POST /clickpath/v1/annotations',
			'GET /clickpath/v1/alerts',
			'PUT /clickpath/v1/alerts',
			'GET /clickpath/v1/email-reports',
			'POST /clickpath/v1/email-reports',
		) as $expected ) {
			$this->assertContains( $expected, $found );
		}
		foreach ( array( 'GET stats/breakdown/', 'GET visitors/', 'DELETE goals/', 'GET funnels/', 'GET export/breakdown/', 'DELETE email-reports/', 'POST email-reports/' ) as $prefix ) {
			list( $method, $path ) = explode( ' ', $prefix );
			$this->assertNotEmpty( array_filter( $found, static fn ( $f ) => str_starts_with( $f, $method . ' /clickpath/v1/' . $path ) ), "no route {$prefix}…" );
		}
		$this->assertGreaterThanOrEqual( 19, count( $found ) );
	}

	public function test_capability_matrix_in_process(): void {
		$editor     = $this->user( 'editor' );
		$subscriber = $this->user( 'subscriber' );
		$author     = $this->user( 'author' );
		$admin      = $this->user( 'administrator' );
		// Give authors the stats capability the way the settings screen does.
		Settings::save( array_merge( Settings::get(), array( 'statsRoles' => array( 'administrator', 'author' ) ) ) );
		Settings::apply_stats_roles( array( 'administrator', 'author' ) );

		// Stop right after the permission check: no callback runs, so no side effects.
		$this->hook( 'rest_dispatch_request', static fn ( $result, $request ) => str_starts_with( $request->get_route(), '/clickpath/v1/' ) ? new WP_REST_Response( array( 'allowed' => true ), 299 ) : $result, 10, 2 );

		$users   = array(
			'anonymous'           => array( 0, array() ),
			'subscriber'          => array( $subscriber->ID, array() ),
			'editor'              => array( $editor->ID, array() ),
			'author (statsRoles)' => array( $author->ID, array( 'view_clickpath_stats' ) ),
			'administrator'       => array( $admin->ID, array( 'view_clickpath_stats', 'manage_options' ) ),
		);
		$checked = 0;
		foreach ( $users as $who => list( $user_id, $capabilities ) ) {
			self::act_as( $user_id );
			foreach ( $this->endpoints() as $endpoint ) {
				$response = $this->rest( $endpoint['method'], $endpoint['path'], $endpoint['args'], 'GET' === $endpoint['method'] ? null : array() );
				$label    = "$who → {$endpoint['method']} {$endpoint['path']}";
				if ( in_array( $endpoint['capability'], $capabilities, true ) ) {
					$this->assertSame( 299, $response->get_status(), "$label should be allowed: " . wp_json_encode( $response->get_data() ) );
				} else {
					$this->assertErrorCode( 'rest_forbidden', $user_id ? 403 : 401, $response );
					$this->assertSame( $user_id ? 403 : 401, $response->get_status(), "$label should be refused" );
				}
				++$checked;
			}
		}
		$this->assertGreaterThan( 90, $checked );

		// Taking authors out of statsRoles takes the capability away again.
		Settings::apply_stats_roles( array( 'administrator' ) );
		self::act_as( $author->ID );
		$this->assertErrorCode( 'rest_forbidden', 403, $this->rest( 'GET', '/clickpath/v1/stats/overview', self::REQUIRED_ARGS ) );
	}

	public function test_subscriber_with_a_valid_nonce_is_refused_over_http(): void {
		$subscriber = $this->user( 'subscriber' );
		$author     = $this->user( 'author' );
		Settings::save( array_merge( Settings::get(), array( 'statsRoles' => array( 'administrator', 'author' ) ) ) );
		Settings::apply_stats_roles( array( 'administrator', 'author' ) );
		$this->connect_site();
		$key_before = get_option( Settings::KEY_OPTION );

		$browser = ( new HttpClient() )->login( $subscriber->user_login, self::password_of( $subscriber->user_login ) );
		$nonce   = $browser->rest_nonce();
		// The nonce is valid: core's own route recognises the subscriber with it.
		$me = $browser->get( '/wp-json/wp/v2/users/me', array( 'X-WP-Nonce' => $nonce ) );
		$this->assertSame( 200, $me['status'], $me['body'] );
		$this->assertSame( $subscriber->ID, json_decode( $me['body'], true )['id'] ?? null );

		$stats_user  = ( new HttpClient() )->login( $author->user_login, self::password_of( $author->user_login ) );
		$stats_nonce = $stats_user->rest_nonce();

		foreach ( $this->endpoints() as $endpoint ) {
			$url      = '/wp-json' . $endpoint['path'] . ( $endpoint['args'] ? '?' . http_build_query( $endpoint['args'] ) : '' );
			$headers  = array(
				'X-WP-Nonce'   => $nonce,
				'Content-Type' => 'application/json',
			);
			$body     = 'GET' === $endpoint['method'] ? null : '{"track404":false,"backendUrl":"https://stats.example.test"}';
			$response = $browser->request( $endpoint['method'], $url, $headers, $body );
			$this->assertSame( 403, $response['status'], "subscriber → {$endpoint['method']} $url: {$response['body']}" );
			$this->assertSame( 'rest_forbidden', json_decode( $response['body'], true )['code'] ?? null );
			$this->assertNoKey( $response['body'], "the answer to {$endpoint['method']} $url" );

			// A role given the stats capability gets past the check for the reads (and only those).
			$response = $stats_user->request(
				$endpoint['method'],
				$url,
				array(
					'X-WP-Nonce'   => $stats_nonce,
					'Content-Type' => 'application/json',
				),
				$body
			);
			if ( 'view_clickpath_stats' === $endpoint['capability'] ) {
				$this->assertNotContains( $response['status'], array( 401, 403 ), "author (statsRoles) → GET $url: {$response['body']}" );
			} else {
				$this->assertSame( 403, $response['status'], "author → {$endpoint['method']} $url" );
			}
		}
		$this->assertSame( $key_before, get_option( Settings::KEY_OPTION ), 'the refused disconnect removed nothing' );
		$this->assertSame( array(), $this->backend->calls, 'this process sent nothing' );
	}

	public function test_settings_writes_without_a_valid_nonce_are_refused_over_http(): void {
		global $wpdb;
		$this->connect_site();
		$subscriber  = $this->user( 'subscriber' );
		$other_nonce = ( new HttpClient() )->login( $subscriber->user_login, self::password_of( $subscriber->user_login ) )->rest_nonce();
		$admin       = ( new HttpClient() )->login( (string) getenv( 'CLICKPATH_WP_ADMIN_USER' ), (string) getenv( 'CLICKPATH_WP_ADMIN_PASSWORD' ) );
		$snapshot    = static fn () => $wpdb->get_results( "SELECT option_name, option_value FROM {$wpdb->options} WHERE option_name LIKE 'clickpath%' ORDER BY option_name", ARRAY_A );
		$before      = $snapshot();
		$this->assertCount( 2, $before, 'settings and key stored' );
		$json = array( 'Content-Type' => 'application/json' );

		foreach ( array(
			'no nonce'                   => array( array(), '' ),
			'an invalid header nonce'    => array( array( 'X-WP-Nonce' => 'abcdef0123' ), '' ),
			'an invalid _wpnonce'        => array( array(), '?_wpnonce=abcdef0123' ),
			'another user’s valid nonce' => array( array( 'X-WP-Nonce' => $other_nonce ), '' ),
		) as $case => list( $headers, $query ) ) {
			foreach ( array(
				array( '/clickpath/v1/settings', '{"track404":false,"retentionDays":30,"statsRoles":["administrator","subscriber"]}' ),
				array( '/clickpath/v1/disconnect', '{}' ),
				array( '/clickpath/v1/connect', '{"backendUrl":"https://evil.example.test","apiKey":"cp_live_attacker"}' ),
				array( '/clickpath/v1/annotations', '{"day":"2024-01-01","text":"x"}' ),
			) as list( $route, $body ) ) {
				$response = $admin->request( 'POST', '/wp-json' . $route . $query, $headers + $json, $body );
				$this->assertContains( $response['status'], array( 401, 403 ), "POST $route with $case: {$response['body']}" );
				$code = json_decode( $response['body'], true )['code'] ?? '';
				$this->assertContains( $code, array( 'rest_forbidden', 'rest_cookie_invalid_nonce' ), "POST $route with $case" );
			}
		}
		$this->assertSame( $before, $snapshot(), 'nothing changed' );
		$this->assertFalse( get_role( 'subscriber' )->has_cap( 'view_clickpath_stats' ) );

		// The same request with the administrator's own nonce goes through (the refusals were about the nonce).
		$response = $admin->request( 'POST', '/wp-json/clickpath/v1/settings', array( 'X-WP-Nonce' => $admin->rest_nonce() ) + $json, '{"track404":false}' );
		$this->assertSame( 200, $response['status'], $response['body'] );
		$this->assertFalse( Settings::get()['track404'] );
		$this->assertNoKey( $response['body'], 'the settings answer' );
	}
}
