<?php
/**
 * The settings screen's "Reports & alerts" routes: the site's traffic alerts and scheduled email
 * reports relayed to the backend (method, path, the sanitized body), administrators only, and
 * bad arguments refused before anything is sent.
 *
 * @package Clickpath
 */

namespace Clickpath\Tests;

use Clickpath\Settings;

final class ReportsAlertsTest extends TestCase {

	private const SUBSCRIPTION = '65a1b2c3d4e5f60718293a4e';

	private const MEMBER = '65a1b2c3d4e5f60718293a4f';

	private const ALERTS = array(
		'spike'      => array(
			'enabled'   => true,
			'threshold' => 250,
		),
		'drop'       => array(
			'enabled' => false,
			'percent' => 50,
		),
		'email'      => true,
		'recipients' => array( self::MEMBER ),
	);

	private string $site;

	protected function setUp(): void {
		parent::setUp();
		self::act_as( $this->user( 'administrator' )->ID );
		$this->connect_site();
		$this->site = self::BACKEND . '/api/v1/sites/' . self::SITE_ID;
	}

	protected function tearDown(): void {
		foreach ( $this->backend->calls as $call ) {
			$this->assertTrue( $call['safe'], 'wp_http_validate_url refuses ' . $call['url'] );
			$this->assertSame( 0, $call['args']['redirection'] );
			$this->assertSame( 'Bearer ' . self::key(), $call['headers']['authorization'] );
		}
		parent::tearDown();
	}

	/** The fake backend's answer to GET/PUT alerts: what it was sent (or the defaults), with the latest alerts. */
	private function alerts_backend(): void {
		$recent = array(
			array(
				'kind'   => 'spike',
				'period' => '2026-03-10T14:00:00+01:00',
				'at'     => '2026-03-10T13:20:00.000Z',
				'data'   => array(
					'visitors'  => 120,
					'threshold' => 100,
				),
			),
		);
		$this->backend->on( 'GET', '#/alerts$#', FakeBackend::json( 200, self::ALERTS + array( 'recent' => $recent ) ) );
		$this->backend->on( 'PUT', '#/alerts$#', static fn ( $call ) => FakeBackend::json( 200, $call['body'] + array( 'recent' => $recent ) ) );
	}

	public function test_alerts_are_read_and_saved_through_the_site_path_with_the_sanitized_body(): void {
		$this->alerts_backend();
		$read = $this->rest( 'GET', '/clickpath/v1/alerts' );
		$this->assertSame( 200, $read->get_status() );
		$this->assertSame( 250, $read->get_data()->spike->threshold );
		$this->assertSame( 'spike', $read->get_data()->recent[0]->kind );
		$this->assertSame( 'GET', $this->backend->calls[0]['method'] );
		$this->assertSame( $this->site . '/alerts', $this->backend->calls[0]['url'] );
		$this->assertNull( $this->backend->calls[0]['rawBody'] );

		// Numbers typed as strings arrive as numbers; a key the backend does not know is not sent on.
		$saved = $this->rest(
			'PUT',
			'/clickpath/v1/alerts',
			array(),
			array(
				'spike'      => array(
					'enabled'   => true,
					'threshold' => '300',
				),
				'drop'       => array(
					'enabled' => true,
					'percent' => 40,
				),
				'email'      => false,
				'recipients' => array( self::MEMBER ),
				'extra'      => 'dropped',
			)
		);
		$this->assertSame( 200, $saved->get_status(), wp_json_encode( $saved->get_data() ) );
		$put = $this->backend->calls_to( '#/alerts$#', 'PUT' );
		$this->assertCount( 1, $put );
		$this->assertSame( $this->site . '/alerts', $put[0]['url'] );
		$this->assertSame( 'application/json', $put[0]['headers']['content-type'] );
		$this->assertSame(
			'{"spike":{"enabled":true,"threshold":300},"drop":{"enabled":true,"percent":40},"email":false,"recipients":["' . self::MEMBER . '"]}',
			$put[0]['rawBody']
		);
		$this->assertSame( 40, $saved->get_data()->drop->percent );

		// Never cached: each read asks the server.
		$this->rest( 'GET', '/clickpath/v1/alerts' );
		$this->assertCount( 2, $this->backend->calls_to( '#/alerts$#', 'GET' ) );
	}

	public function test_bad_alert_settings_are_refused_before_the_backend(): void {
		$this->alerts_backend();
		$with                 = static fn ( array $change ) => array_replace_recursive( self::ALERTS, $change );
		$bad                  = array(
			'threshold 0'           => $with( array( 'spike' => array( 'threshold' => 0 ) ) ),
			'threshold too big'     => $with( array( 'spike' => array( 'threshold' => 10000001 ) ) ),
			'threshold a fraction'  => $with( array( 'spike' => array( 'threshold' => 1.5 ) ) ),
			'percent 100'           => $with( array( 'drop' => array( 'percent' => 100 ) ) ),
			'percent text'          => $with( array( 'drop' => array( 'percent' => 'half' ) ) ),
			'enabled not a flag'    => $with( array( 'spike' => array( 'enabled' => 'maybe' ) ) ),
			'email not a flag'      => $with( array( 'email' => 'owner@example.org' ) ),
			'an unknown property'   => $with( array( 'spike' => array( 'window' => 60 ) ) ),
			'a recipient not an id' => $with( array( 'recipients' => array( 'ada@example.org' ) ) ),
			'21 recipients'         => $with( array( 'recipients' => array_fill( 0, 21, self::MEMBER ) ) ),
			'spike not an object'   => $with( array( 'spike' => 'on' ) ),
		);
		$bad['no drop']       = self::ALERTS;
		$bad['no threshold']  = self::ALERTS;
		$bad['no recipients'] = self::ALERTS;
		unset( $bad['no drop']['drop'], $bad['no threshold']['spike']['threshold'], $bad['no recipients']['recipients'] );
		foreach ( $bad as $case => $body ) {
			$response = $this->rest( 'PUT', '/clickpath/v1/alerts', array(), $body );
			$this->assertSame( 400, $response->get_status(), $case . ': ' . wp_json_encode( $response->get_data() ) );
			$this->assertContains( $response->get_data()['code'], array( 'rest_invalid_param', 'rest_missing_callback_param' ), $case );
		}
		$this->assertSame( array(), $this->backend->calls );
	}

	public function test_a_key_without_sites_manage_gets_the_backends_reason(): void {
		$this->connect_site( array( 'scopes' => array( 'stats:read' ) ) );
		$forbidden = FakeBackend::json(
			403,
			array(
				'error' => array(
					'code'    => 'forbidden',
					'message' => 'This API key lacks the sites:manage scope',
				),
			)
		);
		$this->backend->on( 'GET', '#.#', $forbidden )->on( 'PUT', '#.#', $forbidden )->on( 'POST', '#.#', $forbidden );
		foreach ( array(
			array( 'GET', '/clickpath/v1/alerts', null ),
			array( 'PUT', '/clickpath/v1/alerts', self::ALERTS ),
			array( 'GET', '/clickpath/v1/email-reports', null ),
			array(
				'POST',
				'/clickpath/v1/email-reports',
				array(
					'email'     => 'owner@example.org',
					'frequency' => 'monthly',
				),
			),
		) as list( $method, $route, $body ) ) {
			$response = $this->rest( $method, $route, array(), $body );
			$this->assertErrorCode( 'forbidden', 403, $response );
			$this->assertSame( 'This API key lacks the sites:manage scope', $response->get_data()['message'] );
			$this->assertNoKey( self::as_json( $response ), "the answer to $method $route" );
		}
		$this->assertCount( 4, $this->backend->calls );
	}

	public function test_email_reports_are_listed_added_removed_and_previewed(): void {
		$subscription = array(
			'id'         => self::SUBSCRIPTION,
			'email'      => 'owner@example.org',
			'frequency'  => 'weekly',
			'weekday'    => 3,
			'createdAt'  => '2026-03-01T08:00:00.000Z',
			'lastSentAt' => null,
		);
		$this->backend
			->on( 'GET', '#/email-reports$#', FakeBackend::json( 200, array( 'subscriptions' => array( $subscription ) ) ) )
			->on( 'POST', '#/email-reports$#', static fn ( $call ) => FakeBackend::json( 201, array_merge( $subscription, $call['body'] ) ) )
			->on( 'DELETE', '#/email-reports/' . self::SUBSCRIPTION . '$#', FakeBackend::status( 204 ) )
			->on( 'POST', '#/email-reports/' . self::SUBSCRIPTION . '/preview$#', FakeBackend::status( 202 ) );

		$list = $this->rest( 'GET', '/clickpath/v1/email-reports' );
		$this->assertSame( 200, $list->get_status() );
		$this->assertSame( 'owner@example.org', $list->get_data()->subscriptions[0]->email );
		$this->assertSame( $this->site . '/email-reports', $this->backend->calls[0]['url'] );

		$weekly = $this->rest(
			'POST',
			'/clickpath/v1/email-reports',
			array(),
			array(
				'email'     => 'owner@example.org',
				'frequency' => 'weekly',
				'weekday'   => 3,
			)
		);
		$this->assertSame( 201, $weekly->get_status(), wp_json_encode( $weekly->get_data() ) );
		$monthly = $this->rest(
			'POST',
			'/clickpath/v1/email-reports',
			array(),
			array(
				'email'     => 'team@example.org',
				'frequency' => 'monthly',
			)
		);
		$this->assertSame( 201, $monthly->get_status() );
		$posts = $this->backend->calls_to( '#/email-reports$#', 'POST' );
		$this->assertSame( $this->site . '/email-reports', $posts[0]['url'] );
		$this->assertSame( '{"email":"owner@example.org","frequency":"weekly","weekday":3}', $posts[0]['rawBody'] );
		$this->assertSame( '{"email":"team@example.org","frequency":"monthly"}', $posts[1]['rawBody'], 'no weekday for a monthly report' );

		$removed = $this->rest( 'DELETE', '/clickpath/v1/email-reports/' . self::SUBSCRIPTION );
		$this->assertSame( 204, $removed->get_status() );
		$delete = $this->backend->calls_to( '#/email-reports/#', 'DELETE' );
		$this->assertSame( $this->site . '/email-reports/' . self::SUBSCRIPTION, $delete[0]['url'] );
		$this->assertNull( $delete[0]['rawBody'] );

		$preview = $this->rest( 'POST', '/clickpath/v1/email-reports/' . self::SUBSCRIPTION . '/preview', array(), array() );
		$this->assertSame( 202, $preview->get_status() );
		// An empty JSON object, not null: WordPress would send a 202 without a body, which api-fetch cannot parse.
		$this->assertSame( '{}', wp_json_encode( $preview->get_data() ) );
		$sent = $this->backend->calls_to( '#/preview$#', 'POST' );
		$this->assertSame( $this->site . '/email-reports/' . self::SUBSCRIPTION . '/preview', $sent[0]['url'] );
		$this->assertNull( $sent[0]['rawBody'], 'a preview sends no body' );
	}

	public function test_the_backends_refusal_of_a_subscription_comes_back_with_its_details(): void {
		$this->backend->on(
			'POST',
			'#/email-reports$#',
			FakeBackend::json(
				409,
				array(
					'error' => array(
						'code'    => 'conflict',
						'message' => 'owner@example.org already gets the weekly report of this site',
					),
				)
			)
		);
		$response = $this->rest(
			'POST',
			'/clickpath/v1/email-reports',
			array(),
			array(
				'email'     => 'owner@example.org',
				'frequency' => 'weekly',
			)
		);
		$this->assertErrorCode( 'conflict', 409, $response );
		$this->assertSame( 'owner@example.org already gets the weekly report of this site', $response->get_data()['message'] );
	}

	public function test_bad_subscriptions_are_refused_before_the_backend(): void {
		$weekly = array(
			'email'     => 'owner@example.org',
			'frequency' => 'weekly',
			'weekday'   => 1,
		);
		foreach ( array(
			'not an email'       => array( 'email' => 'owner' ) + $weekly,
			'a header injection' => array( 'email' => "owner@example.org\r\nBcc: x@example.org" ) + $weekly,
			'too long'           => array( 'email' => str_repeat( 'a', 250 ) . '@example.org' ) + $weekly,
			'daily'              => array( 'frequency' => 'daily' ) + $weekly,
			'weekday 0'          => array( 'weekday' => 0 ) + $weekly,
			'weekday 8'          => array( 'weekday' => 8 ) + $weekly,
			'a weekday name'     => array( 'weekday' => 'monday' ) + $weekly,
			'monthly, weekday'   => array( 'frequency' => 'monthly' ) + $weekly,
			'no email'           => array(
				'frequency' => 'weekly',
				'weekday'   => 1,
			),
			'no frequency'       => array( 'email' => 'owner@example.org' ),
		) as $case => $body ) {
			$response = $this->rest( 'POST', '/clickpath/v1/email-reports', array(), $body );
			$this->assertSame( 400, $response->get_status(), $case . ': ' . wp_json_encode( $response->get_data() ) );
		}
		// A subscription id that is not an id matches no route.
		foreach ( array(
			'DELETE' => '/clickpath/v1/email-reports/x1',
			'POST'   => '/clickpath/v1/email-reports/../alerts/preview',
		) as $method => $route ) {
			$this->assertSame( 404, $this->rest( $method, $route )->get_status(), "$method $route" );
		}
		$this->assertSame( array(), $this->backend->calls );
	}

	public function test_only_administrators_reach_the_backend(): void {
		$author = $this->user( 'author' );
		Settings::apply_stats_roles( array( 'administrator', 'author' ) );
		$routes = array(
			array( 'GET', '/clickpath/v1/alerts', null ),
			array( 'PUT', '/clickpath/v1/alerts', self::ALERTS ),
			array( 'GET', '/clickpath/v1/email-reports', null ),
			array(
				'POST',
				'/clickpath/v1/email-reports',
				array(
					'email'     => 'owner@example.org',
					'frequency' => 'weekly',
				),
			),
			array( 'DELETE', '/clickpath/v1/email-reports/' . self::SUBSCRIPTION, null ),
			array( 'POST', '/clickpath/v1/email-reports/' . self::SUBSCRIPTION . '/preview', null ),
		);
		foreach ( array(
			'editor'              => $this->user( 'editor' )->ID,
			'author (statsRoles)' => $author->ID,
			'subscriber'          => $this->user( 'subscriber' )->ID,
		) as $who => $user_id ) {
			self::act_as( $user_id );
			foreach ( $routes as list( $method, $route, $body ) ) {
				$this->assertErrorCode( 'rest_forbidden', 403, $this->rest( $method, $route, array(), $body ) );
			}
		}
		self::act_as( 0 );
		$this->assertErrorCode( 'rest_forbidden', 401, $this->rest( 'GET', '/clickpath/v1/alerts' ) );
		$this->assertSame( array(), $this->backend->calls );
		Settings::apply_stats_roles( array( 'administrator' ) );
	}

	public function test_not_connected_says_so_without_a_request(): void {
		Settings::delete_api_key();
		$this->assertErrorCode( 'clickpath_not_connected', 409, $this->rest( 'GET', '/clickpath/v1/alerts' ) );
		$this->assertErrorCode( 'clickpath_not_connected', 409, $this->rest( 'PUT', '/clickpath/v1/alerts', array(), self::ALERTS ) );
		$this->assertErrorCode( 'clickpath_not_connected', 409, $this->rest( 'GET', '/clickpath/v1/email-reports' ) );
		$this->assertSame( array(), $this->backend->calls );
	}
}
