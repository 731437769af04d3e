<?php
/**
 * The report proxy: what it forwards, how it caches, how it reports a failing backend, and
 * that hostile arguments never reach the backend.
 *
 * @package Clickpath
 */

namespace Clickpath\Tests;

use Clickpath\Settings;
use WP_Error;

final class ProxyTest extends TestCase {

	private const RANGE = array(
		'from' => '2024-01-01',
		'to'   => '2024-01-31',
	);

	private string $site_url;

	protected function setUp(): void {
		parent::setUp();
		self::act_as( $this->user( 'administrator' )->ID );
		$this->connect_site();
		$this->site_url = '#^' . preg_quote( self::BACKEND . '/api/v1/sites/' . self::SITE_ID . '/', '#' );
	}

	protected function tearDown(): void {
		foreach ( $this->backend->calls as $call ) {
			// Every request the proxy made would have passed wp_safe_remote_*'s checks, with the safe options.
			$this->assertTrue( $call['safe'], 'wp_http_validate_url refuses ' . $call['url'] );
			$this->assertSame( 0, $call['args']['redirection'] );
			$this->assertTrue( $call['args']['reject_unsafe_urls'] );
			$this->assertGreaterThan( 0, $call['args']['timeout'] );
			$this->assertLessThanOrEqual( 10, $call['args']['timeout'] );
			$this->assertSame( 'Bearer ' . self::key(), $call['headers']['authorization'] );
		}
		parent::tearDown();
	}

	private function overview( array $query = self::RANGE ) {
		return $this->rest( 'GET', '/clickpath/v1/stats/overview', $query );
	}

	public function test_not_connected(): void {
		Settings::delete_api_key();
		$response = $this->overview();
		$this->assertErrorCode( 'clickpath_not_connected', 409, $response );
		Settings::store_api_key( self::key() );
		Settings::save( array_merge( Settings::get(), array( 'siteId' => '' ) ) );
		$this->assertErrorCode( 'clickpath_not_connected', 409, $this->overview() );
		$this->assertErrorCode( 'clickpath_not_connected', 409, $this->rest( 'POST', '/clickpath/v1/goals', array(), array( 'name' => 'x' ) ) );
		$this->assertSame( array(), $this->backend->calls );
	}

	public function test_backend_unreachable(): void {
		$this->backend->on( 'GET', '#.#', new WP_Error( 'http_request_failed', 'cURL error 7: Failed to connect to 10.20.30.40 port 8443: Connection refused' ) );
		$response = $this->overview();
		$this->assertErrorCode( 'clickpath_unreachable', 502, $response );
		$this->assertStringContainsString( '10.20.30.40', $response->get_data()['message'] );
		$this->assertNoKey( self::as_json( $response ), 'the unreachable error' );
		$this->assertCount( 1, $this->backend->calls );
		// Errors are not cached.
		$this->overview();
		$this->assertCount( 2, $this->backend->calls );
	}

	public function test_revoked_key(): void {
		$this->backend->on(
			'GET',
			'#.#',
			FakeBackend::json(
				401,
				array(
					'error' => array(
						'code'    => 'unauthenticated',
						'message' => 'Invalid API key ' . self::key(),
					),
				)
			)
		);
		$response = $this->overview();
		// Not a 401: WordPress's REST client would take that for "log in again".
		$this->assertErrorCode( 'clickpath_key_rejected', 502, $response );
		$this->assertNoKey( self::as_json( $response ), 'the key-rejected error' );
	}

	public function test_backend_client_errors_pass_through_with_status_and_code(): void {
		$this->backend->on(
			'GET',
			'#.#',
			FakeBackend::json(
				400,
				array(
					'error' => array(
						'code'    => 'invalid_range',
						'message' => '"to" must not be before "from" <b>bold</b>',
						'details' => array( 'field' => 'to' ),
					),
				)
			)
		);
		$response = $this->overview();
		$this->assertErrorCode( 'invalid_range', 400, $response );
		$data = $response->get_data();
		$this->assertStringContainsString( '"to" must not be before "from"', $data['message'] );
		$this->assertStringNotContainsString( '<b>', $data['message'], 'the message is plain text' );
		$this->assertSame( array( 'field' => 'to' ), (array) $data['data']['details'] );

		$this->backend->on(
			'GET',
			'#.#',
			FakeBackend::json(
				404,
				array(
					'error' => array(
						'code'    => 'not_found',
						'message' => 'Visitor not found',
					),
				)
			)
		);
		$this->assertErrorCode( 'not_found', 404, $this->rest( 'GET', '/clickpath/v1/visitors/c:AbCdEfGhIj12' ) );
		$this->backend->on(
			'GET',
			'#.#',
			FakeBackend::json(
				429,
				array(
					'error' => array(
						'code'    => 'rate_limited',
						'message' => 'Slow down',
					),
				)
			)
		);
		$this->assertErrorCode( 'rate_limited', 429, $this->overview() );

		// Server errors and answers without the error shape become a generic 502.
		foreach ( array(
			FakeBackend::json(
				500,
				array(
					'error' => array(
						'code'    => 'internal',
						'message' => 'stack trace…',
					),
				)
			),
			FakeBackend::status( 400, '<html>Bad request</html>', array( 'content-type' => 'text/html' ) ),
			FakeBackend::status( 503, 'down' ),
		) as $answer ) {
			$this->backend->on( 'GET', '#.#', $answer );
			$response = $this->overview();
			$this->assertErrorCode( 'clickpath_backend_error', 502, $response );
			$this->assertStringNotContainsString( 'stack trace', $response->get_data()['message'] );
		}
	}

	public function test_redirects_are_refused(): void {
		foreach ( array( 301, 302, 307, 308 ) as $status ) {
			$this->backend->on( 'GET', '#.#', FakeBackend::status( $status, '', array( 'location' => 'http://127.0.0.1:22/steal' ) ) );
			$response = $this->overview();
			$this->assertErrorCode( 'clickpath_redirect_refused', 502, $response );
		}
		$this->assertCount( 4, $this->backend->calls, 'one request each, no redirect followed' );
	}

	public function test_a_successful_answer_is_passed_through_and_cached(): void {
		global $wpdb;
		$answer = array(
			'visitors'  => 12,
			'pageviews' => 34,
			'series'    => array(
				array(
					'day' => '2024-01-01',
					'v'   => 1,
				),
			),
		);
		$this->backend->on( 'GET', $this->site_url . 'stats/overview\?#', FakeBackend::json( 200, $answer ) );
		$response = $this->overview();
		$this->assertSame( 200, $response->get_status() );
		$this->assertSame( wp_json_encode( $answer ), wp_json_encode( $response->get_data() ) );
		$this->assertCount( 1, $this->backend->calls );
		$this->assertSame( 1, (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->options} WHERE option_name LIKE '\\_transient\\_clickpath\\_%'" ), 'cached in a transient' );

		// The same request again: served without calling the backend.
		$again = $this->overview();
		$this->assertSame( 200, $again->get_status() );
		$this->assertSame( wp_json_encode( $answer ), wp_json_encode( $again->get_data() ) );
		$this->assertCount( 1, $this->backend->calls, 'served from the cache' );

		// Other arguments are another report.
		$this->overview(
			array(
				'from' => '2024-02-01',
				'to'   => '2024-02-29',
			)
		);
		$this->assertCount( 2, $this->backend->calls );

		// A write (goals, funnels, annotations) empties the cache.
		$this->backend->on( 'POST', $this->site_url . 'goals$#', FakeBackend::json( 201, array( 'id' => '65a1b2c3d4e5f60718293a4d' ) ) );
		$created = $this->rest(
			'POST',
			'/clickpath/v1/goals',
			array(),
			array(
				'name'  => 'Signup',
				'match' => array(
					'type' => 'event',
					'name' => 'signup',
				),
			)
		);
		$this->assertSame( 201, $created->get_status() );
		$this->assertSame(
			array(
				'name'  => 'Signup',
				'match' => array(
					'type' => 'event',
					'name' => 'signup',
				),
			),
			end( $this->backend->calls )['body']
		);
		// No cache flush: the old entry may live on in an object cache, but the cache generation changed.
		$this->overview();
		$this->assertCount( 4, $this->backend->calls, 'asked again after the write' );

		// Realtime is never cached.
		$this->backend->on( 'GET', $this->site_url . 'stats/realtime#', FakeBackend::json( 200, array( 'visitors' => 1 ) ) );
		$this->rest( 'GET', '/clickpath/v1/stats/realtime' );
		$this->rest( 'GET', '/clickpath/v1/stats/realtime' );
		$this->assertCount( 2, $this->backend->calls_to( '#/stats/realtime#' ) );

		// A 204 answer (a deleted goal) is a 204.
		$this->backend->on( 'DELETE', $this->site_url . 'goals/65a1b2c3d4e5f60718293a4d$#', FakeBackend::status( 204 ) );
		$this->assertSame( 204, $this->rest( 'DELETE', '/clickpath/v1/goals/65a1b2c3d4e5f60718293a4d' )->get_status() );
	}

	public function test_goals_are_edited_and_funnels_and_notes_deleted_through_the_proxy(): void {
		$goal = $this->site_url . 'goals/65a1b2c3d4e5f60718293a4d$#';
		$this->backend->on( 'PATCH', $goal, FakeBackend::json( 200, array( 'id' => '65a1b2c3d4e5f60718293a4d' ) ) );
		$this->backend->on( 'DELETE', $this->site_url . 'funnels/65a1b2c3d4e5f60718293a4e$#', FakeBackend::status( 204 ) );
		$this->backend->on( 'DELETE', $this->site_url . 'annotations/65a1b2c3d4e5f60718293a4f$#', FakeBackend::status( 204 ) );

		$edited = $this->rest( 'PATCH', '/clickpath/v1/goals/65a1b2c3d4e5f60718293a4d', array(), array( 'name' => 'Signup' ) );
		$this->assertSame( 200, $edited->get_status() );
		$call = end( $this->backend->calls );
		$this->assertSame( 'PATCH', $call['method'] );
		$this->assertSame( array( 'name' => 'Signup' ), $call['body'] );
		$this->assertSame( 204, $this->rest( 'DELETE', '/clickpath/v1/funnels/65a1b2c3d4e5f60718293a4e' )->get_status() );
		$this->assertSame( 204, $this->rest( 'DELETE', '/clickpath/v1/annotations/65a1b2c3d4e5f60718293a4f' )->get_status() );
		$this->assertSame( array( 'PATCH', 'DELETE', 'DELETE' ), array_column( $this->backend->calls, 'method' ) );
		// A body that is not a JSON object is refused before the backend sees it.
		$this->assertSame( 400, $this->rest( 'PATCH', '/clickpath/v1/goals/65a1b2c3d4e5f60718293a4d', array(), '"x"' )->get_status() );
		$this->assertCount( 3, $this->backend->calls );
	}

	public function test_the_forwarded_url_carries_the_site_the_arguments_and_repeated_filters(): void {
		$this->backend->on( 'GET', '#.#', FakeBackend::json( 200, array( 'rows' => array() ) ) );
		$response = $this->rest(
			'GET',
			'/clickpath/v1/stats/breakdown/page',
			self::RANGE + array(
				'filter'  => array( 'country:is:DE', 'page:contains:/blog?a=1&b=2', 'source:is_not:Google' ),
				'limit'   => 50,
				'sort'    => 'visitors',
				'order'   => 'desc',
				'siteId'  => 'someone-elses-site', // not an argument of the route: dropped
				'_fields' => 'x',
			)
		);
		$this->assertSame( 200, $response->get_status(), wp_json_encode( $response->get_data() ) );
		$this->assertCount( 1, $this->backend->calls );
		$url                  = $this->backend->calls[0]['url'];
		list( $path, $query ) = explode( '?', $url, 2 );
		$this->assertSame( self::BACKEND . '/api/v1/sites/' . self::SITE_ID . '/stats/breakdown/page', $path );
		$pairs = array_map( static fn ( $pair ) => array_map( 'rawurldecode', explode( '=', $pair, 2 ) ), explode( '&', $query ) );
		$this->assertSame(
			array(
				array( 'from', '2024-01-01' ),
				array( 'to', '2024-01-31' ),
				array( 'filter', 'country:is:DE' ),
				array( 'filter', 'page:contains:/blog?a=1&b=2' ),
				array( 'filter', 'source:is_not:Google' ),
				array( 'limit', '50' ),
				array( 'sort', 'visitors' ),
				array( 'order', 'desc' ),
			),
			$pairs
		);
		$this->assertSame( 'GET', $this->backend->calls[0]['method'] );
		$this->assertNull( $this->backend->calls[0]['rawBody'] );

		// One filter as a plain string is one filter; the visitor and funnel ids go into the path.
		$this->rest( 'GET', '/clickpath/v1/visitors', self::RANGE + array( 'filter' => 'country:is:FR' ) );
		$this->assertStringEndsWith( '/visitors?from=2024-01-01&to=2024-01-31&filter=country%3Ais%3AFR', end( $this->backend->calls )['url'] );
		$this->rest( 'GET', '/clickpath/v1/visitors/f:AbCdEfGhIj12_-' );
		$this->assertSame( self::BACKEND . '/api/v1/sites/' . self::SITE_ID . '/visitors/f%3AAbCdEfGhIj12_-', end( $this->backend->calls )['url'] );
		$this->rest( 'GET', '/clickpath/v1/funnels/65a1b2c3d4e5f60718293a4c/report', self::RANGE );
		$this->assertSame( self::BACKEND . '/api/v1/sites/' . self::SITE_ID . '/funnels/65a1b2c3d4e5f60718293a4c/report?from=2024-01-01&to=2024-01-31', end( $this->backend->calls )['url'] );
		// Every goal's conversions in one request.
		$this->rest( 'GET', '/clickpath/v1/stats/goals', self::RANGE + array( 'filter' => 'country:is:FR' ) );
		$this->assertSame( self::BACKEND . '/api/v1/sites/' . self::SITE_ID . '/stats/goals?from=2024-01-01&to=2024-01-31&filter=country%3Ais%3AFR', end( $this->backend->calls )['url'] );
	}

	public function test_exports_are_files_and_not_cached(): void {
		$this->backend->on( 'GET', $this->site_url . 'export/breakdown/page\?#', FakeBackend::status( 200, "key,visitors\n/,3\n", array( 'content-type' => 'text/csv; charset=utf-8' ) ) );
		$response = $this->rest( 'GET', '/clickpath/v1/export/breakdown/page', self::RANGE + array( 'format' => 'csv' ) );
		$this->assertSame( 200, $response->get_status() );
		$this->assertSame( "key,visitors\n/,3\n", $response->get_data() );
		$this->assertStringStartsWith( 'text/csv', $response->get_headers()['Content-Type'] );
		$this->assertMatchesRegularExpression( '/^attachment; filename="clickpath-export-breakdown-page-\d{4}-\d{2}-\d{2}\.csv"$/', $response->get_headers()['Content-Disposition'] );
		$this->assertSame( 'nosniff', $response->get_headers()['X-Content-Type-Options'] );
		$this->rest( 'GET', '/clickpath/v1/export/breakdown/page', self::RANGE + array( 'format' => 'csv' ) );
		$this->assertCount( 2, $this->backend->calls );
		$this->assertStringContainsString( 'format=csv', $this->backend->calls[0]['url'] );
	}

	public function test_hostile_arguments_are_refused_without_a_backend_call(): void {
		$this->backend->on( 'GET', '#.#', FakeBackend::json( 200, array() ) );
		$this->backend->on( 'POST', '#.#', FakeBackend::json( 201, array() ) );
		$bad_queries = array(
			array(
				'from' => '2024-1-1',
				'to'   => '2024-01-31',
			),
			array(
				'from' => 'yesterday',
				'to'   => '2024-01-31',
			),
			array(
				'from' => "2024-01-01' OR '1'='1",
				'to'   => '2024-01-31',
			),
			array(
				'from' => "2024-01-01\n",
				'to'   => '2024-01-31',
			),
			array(
				'from' => '2024-01-01T00:00:00Z',
				'to'   => '2024-01-31',
			),
			array(
				'from' => array( '2024-01-01' ),
				'to'   => '2024-01-31',
			),
			array( 'to' => '2024-01-31' ),
			array(),
			self::RANGE + array( 'filter' => array_fill( 0, 11, 'country:is:DE' ) ),
			self::RANGE + array( 'filter' => array( 'country:eq:DE' ) ),
			self::RANGE + array( 'filter' => array( 'country' ) ),
			self::RANGE + array( 'filter' => array( '<script>alert(1)</script>' ) ),
			self::RANGE + array( 'filter' => array( 'page:is:' . str_repeat( 'a', 300 ) ) ),
			self::RANGE + array( 'filter' => array( array( 'country:is:DE' ) ) ),
			self::RANGE + array( 'filter' => array( 'Country:is:DE' ) ),
			self::RANGE + array( 'compare' => 'everything' ),
			self::RANGE + array( 'compareFrom' => 'last week' ),
		);
		foreach ( $bad_queries as $query ) {
			$response = $this->overview( $query );
			$this->assertSame( 400, $response->get_status(), 'overview ' . wp_json_encode( $query ) );
			$this->assertContains( $response->get_data()['code'], array( 'rest_invalid_param', 'rest_missing_callback_param' ) );
		}
		foreach ( array(
			array( 'limit' => 0 ),
			array( 'limit' => 1001 ),
			array( 'limit' => 'ten' ),
			array( 'page' => -1 ),
			array( 'sort' => 'visitors; DROP' ),
			array( 'order' => 'sideways' ),
			array( 'goal' => 'not-an-object-id' ),
			array( 'goal' => "65a1b2c3d4e5f60718293a4c\n" ),
		) as $extra ) {
			$this->assertSame( 400, $this->rest( 'GET', '/clickpath/v1/stats/breakdown/page', self::RANGE + $extra )->get_status(), wp_json_encode( $extra ) );
		}
		$this->assertSame( 400, $this->rest( 'GET', '/clickpath/v1/stats/realtime', array( 'after' => 'x' ) )->get_status() );
		$this->assertSame( 400, $this->rest( 'GET', '/clickpath/v1/stats/realtime', array( 'after' => "1700000000000:abc\n" ) )->get_status() );
		$this->assertSame( 400, $this->rest( 'GET', '/clickpath/v1/stats/timeseries', self::RANGE + array( 'interval' => 'minute' ) )->get_status() );
		$this->assertSame( 400, $this->rest( 'GET', '/clickpath/v1/export/breakdown/page', self::RANGE + array( 'format' => 'xlsx' ) )->get_status() );
		// Paths that match no route (WordPress matches routes case-insensitively, so "Page" would be one).
		foreach ( array( '/clickpath/v1/stats/breakdown/../../settings', '/clickpath/v1/stats/breakdown/' . str_repeat( 'a', 41 ), '/clickpath/v1/visitors/x:AbCdEfGhIj12', '/clickpath/v1/visitors/c:short', '/clickpath/v1/funnels/123/report', '/clickpath/v1/sites' ) as $route ) {
			$this->assertSame( 404, $this->rest( 'GET', $route, self::RANGE )->get_status(), $route );
		}
		$this->assertSame( 404, $this->rest( 'DELETE', '/clickpath/v1/goals/zzz' )->get_status() );
		// Bodies that are not a JSON object, or too large.
		foreach ( array( '"a goal"', '42', 'true', 'null', '{"name":', 'name=x', str_repeat( ' ', 3 ) ) as $body ) {
			foreach ( array( 'goals', 'funnels', 'annotations' ) as $route ) {
				$response = $this->rest( 'POST', "/clickpath/v1/$route", array(), $body );
				$this->assertSame( 400, $response->get_status(), "POST $route $body: " . wp_json_encode( $response->get_data() ) );
			}
		}
		$response = $this->rest( 'POST', '/clickpath/v1/goals', array(), array( 'name' => str_repeat( 'x', 10001 ) ) );
		$this->assertErrorCode( 'clickpath_invalid_body', 400, $response );
		$this->assertSame( array(), $this->backend->calls, 'nothing reached the backend' );
	}
}
