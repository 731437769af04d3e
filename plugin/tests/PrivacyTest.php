<?php
/**
 * Privacy tools: the personal-data exporter and eraser (with a fake backend), the opt-out
 * shortcode and block, and the suggested privacy-policy text.
 *
 * @package Clickpath
 */

namespace Clickpath\Tests;

use Clickpath\Settings;
use WP_Error;

final class PrivacyTest extends TestCase {

	private \WP_User $person;

	protected function setUp(): void {
		parent::setUp();
		$this->person = $this->user( 'subscriber' );
	}

	private static function exporter(): callable {
		$exporters = apply_filters( 'wp_privacy_personal_data_exporters', array() );
		return $exporters['clickpath']['callback'];
	}

	private static function eraser(): callable {
		$erasers = apply_filters( 'wp_privacy_personal_data_erasers', array() );
		return $erasers['clickpath']['callback'];
	}

	private function person_url(): string {
		return self::BACKEND . '/api/v1/sites/' . self::SITE_ID . '/people/' . Settings::user_identity( $this->person->ID, Settings::get() );
	}

	private static function visit( string $id, array $paths ): array {
		$clickstream = array();
		foreach ( $paths as $i => $path ) {
			$clickstream[] = is_array( $path ) ? $path : array(
				'ts'   => '2024-03-01T10:0' . $i . ':00.000Z',
				'kind' => 'pv',
				'path' => $path,
			);
		}
		return array(
			'id'          => $id,
			'start'       => '2024-03-01T10:00:00.000Z',
			'source'      => 'Google',
			'device'      => 'desktop',
			'browser'     => 'Firefox',
			'os'          => 'Linux',
			'city'        => 'Berlin',
			'country'     => 'DE',
			'clickstream' => $clickstream,
		);
	}

	public function test_the_exporter_and_eraser_are_registered(): void {
		$exporters = apply_filters( 'wp_privacy_personal_data_exporters', array() );
		$erasers   = apply_filters( 'wp_privacy_personal_data_erasers', array() );
		$this->assertArrayHasKey( 'clickpath', $exporters );
		$this->assertArrayHasKey( 'clickpath', $erasers );
		$this->assertSame( 'Clickpath analytics', $exporters['clickpath']['exporter_friendly_name'] );
		$this->assertSame( 'Clickpath analytics', $erasers['clickpath']['eraser_friendly_name'] );
	}

	public function test_the_exporter_returns_one_item_per_visit_with_the_pages_in_order(): void {
		$this->connect_site( array( 'identityMode' => 'first-party' ) );
		$this->backend->on(
			'GET',
			'#^' . preg_quote( $this->person_url(), '#' ) . '$#',
			FakeBackend::json(
				200,
				array(
					'userId'   => Settings::user_identity( $this->person->ID, Settings::get() ),
					'visitors' => array(
						array(
							'visitor' => array( 'id' => 'f:AbCdEfGhIj12' ),
							'visits'  => array(
								self::visit(
									'v1',
									array(
										'/',
										'/pricing/',
										array(
											'ts'   => '2024-03-01T10:05:00.000Z',
											'kind' => 'ev',
											'name' => 'signup',
										),
										'/thanks/',
									)
								),
								self::visit( 'v2', array( '/blog/' ) ),
							),
						),
						array(
							'visitor' => array( 'id' => 'f:ZyXwVuTsRq98' ),
							'visits'  => array( self::visit( 'v3', array( '/docs/', '/docs/start/' ) ) ),
						),
					),
				)
			)
		);
		$result = ( self::exporter() )( $this->person->user_email, 1 );
		$this->assertIsArray( $result );
		$this->assertTrue( $result['done'] );
		$this->assertCount( 3, $result['data'], 'one item per visit' );
		$this->assertSame( array( 'clickpath-visit-v1', 'clickpath-visit-v2', 'clickpath-visit-v3' ), array_column( $result['data'], 'item_id' ) );
		$this->assertSame( array( 'clickpath-visits' ), array_unique( array_column( $result['data'], 'group_id' ) ) );
		$first = array_column( $result['data'][0]['data'], 'value', 'name' );
		$this->assertSame(
			"2024-03-01T10:00:00.000Z /\n2024-03-01T10:01:00.000Z /pricing/\n2024-03-01T10:05:00.000Z signup\n2024-03-01T10:03:00.000Z /thanks/",
			$first['Pages and events'],
			'pages and events in the order the backend gave them'
		);
		$this->assertSame( '2024-03-01T10:00:00.000Z', $first['Start'] );
		$this->assertSame( 'Google', $first['Came from'] );
		$this->assertSame( 'desktop Firefox Linux', $first['Device'] );
		$this->assertSame( 'Berlin DE', $first['Location'] );
		$this->assertCount( 1, $this->backend->calls );
		$this->assertSame( 'GET', $this->backend->calls[0]['method'] );
		$this->assertMatchesRegularExpression( '#/people/wp-[0-9a-f]{32}$#', $this->backend->calls[0]['url'] );
		$this->assertTrue( $this->backend->calls[0]['safe'] );

		// Nobody stored: nothing to export.
		$this->backend->on(
			'GET',
			'#/people/#',
			FakeBackend::json(
				200,
				array(
					'userId'   => 'x',
					'visitors' => array(),
				)
			)
		);
		$this->assertSame(
			array(
				'data' => array(),
				'done' => true,
			),
			( self::exporter() )( $this->person->user_email, 1 )
		);
		// The backend fails: WordPress shows the error.
		$this->backend->on( 'GET', '#/people/#', new WP_Error( 'http_request_failed', 'down' ) );
		$error = ( self::exporter() )( $this->person->user_email, 1 );
		$this->assertInstanceOf( WP_Error::class, $error );
		$this->assertSame( 'clickpath_unreachable', $error->get_error_code() );
	}

	public function test_the_eraser_deletes_the_person_on_the_backend(): void {
		$this->connect_site( array( 'identityMode' => 'first-party' ) );
		$this->backend->on(
			'DELETE',
			'#^' . preg_quote( $this->person_url(), '#' ) . '$#',
			FakeBackend::json(
				200,
				array(
					'visitors' => 2,
					'visits'   => 5,
					'events'   => 40,
				)
			)
		);
		$result = ( self::eraser() )( $this->person->user_email, 1 );
		$this->assertSame(
			array(
				'items_removed'  => true,
				'items_retained' => false,
				'messages'       => array(),
				'done'           => true,
			),
			$result
		);
		$this->assertCount( 1, $this->backend->calls );
		$this->assertSame( 'DELETE', $this->backend->calls[0]['method'] );
		$this->assertSame( $this->person_url(), $this->backend->calls[0]['url'] );
		$this->assertSame( 'Bearer ' . self::key(), $this->backend->calls[0]['headers']['authorization'] );

		// Nothing stored about them.
		$this->backend->on(
			'DELETE',
			'#/people/#',
			FakeBackend::json(
				200,
				array(
					'visitors' => 0,
					'visits'   => 0,
					'events'   => 0,
				)
			)
		);
		$result = ( self::eraser() )( $this->person->user_email, 1 );
		$this->assertFalse( $result['items_removed'] );
		$this->assertFalse( $result['items_retained'] );

		// The backend could not wait for the newest visits: erased what it had, and says to run it again.
		$this->backend->on(
			'DELETE',
			'#/people/#',
			FakeBackend::json(
				200,
				array(
					'visitors' => 1,
					'visits'   => 1,
					'events'   => 3,
					'complete' => false,
				)
			)
		);
		$result = ( self::eraser() )( $this->person->user_email, 1 );
		$this->assertTrue( $result['items_removed'] );
		$this->assertTrue( $result['items_retained'] );
		$this->assertCount( 1, $result['messages'] );
		$this->assertStringContainsString( 'Run the erasure again in a minute', $result['messages'][0] );
	}

	public function test_the_eraser_reports_a_backend_failure_as_retained(): void {
		$this->connect_site( array( 'identityMode' => 'first-party' ) );
		foreach ( array(
			new WP_Error( 'http_request_failed', 'cURL error 7: Connection refused' ),
			FakeBackend::json(
				403,
				array(
					'error' => array(
						'code'    => 'forbidden',
						'message' => 'This key may not erase data',
					),
				)
			),
			FakeBackend::json(
				401,
				array(
					'error' => array(
						'code'    => 'unauthenticated',
						'message' => 'x',
					),
				)
			),
			FakeBackend::status( 500, 'oops' ),
		) as $answer ) {
			$this->backend->on( 'DELETE', '#/people/#', $answer );
			$result = ( self::eraser() )( $this->person->user_email, 1 );
			$this->assertFalse( $result['items_removed'] );
			$this->assertTrue( $result['items_retained'] );
			$this->assertCount( 1, $result['messages'] );
			$this->assertStringStartsWith( 'Clickpath analytics could not erase the data: ', $result['messages'][0] );
			$this->assertTrue( $result['done'] );
			$this->assertNoKey( $result['messages'][0], 'the eraser message' );
		}
	}

	public function test_nothing_is_asked_when_not_connected_cookieless_or_unknown(): void {
		$empty_export = array(
			'data' => array(),
			'done' => true,
		);
		$noop_erase   = array(
			'items_removed'  => false,
			'items_retained' => false,
			'messages'       => array(),
			'done'           => true,
		);
		// Not connected (first-party mode, but no key).
		Settings::save( array_merge( Settings::get(), array( 'identityMode' => 'first-party' ) ) );
		$this->assertSame( $empty_export, ( self::exporter() )( $this->person->user_email, 1 ) );
		$this->assertSame( $noop_erase, ( self::eraser() )( $this->person->user_email, 1 ) );
		// Connected, cookieless: no person is ever identified.
		$this->connect_site( array( 'identityMode' => 'cookieless' ) );
		$this->assertSame( $empty_export, ( self::exporter() )( $this->person->user_email, 1 ) );
		$this->assertSame( $noop_erase, ( self::eraser() )( $this->person->user_email, 1 ) );
		// First-party, but no WordPress user with that email.
		$this->connect_site( array( 'identityMode' => 'first-party' ) );
		$this->assertSame( $empty_export, ( self::exporter() )( 'nobody@example.org', 1 ) );
		$this->assertSame( $noop_erase, ( self::eraser() )( 'nobody@example.org', 1 ) );
		$this->assertSame( array(), $this->backend->calls, 'no request' );
	}

	public function test_the_optout_shortcode_and_block(): void {
		$html = do_shortcode( '[clickpath_optout]' );
		$this->assertStringContainsString( '<p class="clickpath-optout">', $html );
		$this->assertMatchesRegularExpression( '#<label><input type="checkbox" class="clickpath-optout__toggle" checked> [^<]+</label>#', $html );
		$this->assertStringContainsString( 'Include my visits', $html );
		$this->assertStringNotContainsString( 'onerror', do_shortcode( '[clickpath_optout label="<img src=x onerror=alert(1)>"]' ), 'attributes are ignored' );

		// On a real page: two shortcodes and the block render three toggles and the script once.
		$this->connect_site();
		$id   = $this->post(
			array(
				'post_type'    => 'page',
				'post_title'   => 'Privacy',
				'post_content' => "[clickpath_optout]\n\n<!-- wp:clickpath/optout /-->\n\n[clickpath_optout]",
			)
		);
		$page = ( new HttpClient() )->get( (string) wp_parse_url( get_permalink( $id ), PHP_URL_PATH ) );
		$this->assertSame( 200, $page['status'] );
		$this->assertSame( 3, substr_count( $page['body'], 'class="clickpath-optout__toggle"' ) );
		$this->assertSame( 1, substr_count( $page['body'], 'querySelectorAll(".clickpath-optout__toggle")' ), 'the opt-out script once' );
		// Printed by WordPress (wp_add_inline_script on its own handle), in the footer, after every toggle.
		$this->assertSame( 1, preg_match( '#<script[^>]*\sid=[\'"]clickpath-optout-js-after[\'"][^>]*>[^<]*querySelectorAll#', $page['body'], $script, PREG_OFFSET_CAPTURE ) );
		$this->assertGreaterThan( strrpos( $page['body'], 'class="clickpath-optout__toggle"' ), $script[0][1] );
		$this->assertStringContainsString( 'localStorage', $page['body'] );
		$this->assertStringContainsString( 'clickpath.js', $page['body'], 'the tracker is on the page too' );
		// The tracker honours the same flag.
		$this->assertStringContainsString( 'clickpath_ignore', (string) file_get_contents( WP_PLUGIN_DIR . '/clickpath/assets/clickpath.js' ) );
	}

	public function test_the_privacy_policy_guide_has_the_suggested_text(): void {
		$this->connect_site(
			array(
				'identityMode'  => 'first-party',
				'retentionDays' => 123,
			)
		);
		$admin = ( new HttpClient() )->login( (string) getenv( 'CLICKPATH_WP_ADMIN_USER' ), (string) getenv( 'CLICKPATH_WP_ADMIN_PASSWORD' ) );
		$guide = $admin->get( '/wp-admin/options-privacy.php?tab=policyguide' );
		$this->assertSame( 200, $guide['status'] );
		$this->assertStringContainsString( 'Clickpath analytics', $guide['body'] );
		$this->assertStringContainsString( 'never sold or shared', $guide['body'] );
		$this->assertStringContainsString( 'local storage', $guide['body'], 'the first-party wording' );
		$this->assertStringContainsString( '123 days', $guide['body'] );
		$this->assertNoKey( $guide['body'], 'the privacy policy guide' );
	}
}
