<?php
/**
 * The tracker tag on real public pages (HTTP requests to the test site's php -S server), and the
 * cost of the plugin on a public page load: no added database query, no remote request.
 *
 * @package Clickpath
 */

namespace Clickpath\Tests;

use Clickpath\Settings;

final class TrackingTest extends TestCase {

	private static string $recorder = '';

	public static function setUpBeforeClass(): void {
		parent::setUpBeforeClass();
		self::$recorder = WPMU_PLUGIN_DIR . '/clickpath-http-recorder.php';
		copy( __DIR__ . '/support/http-recorder.php', self::$recorder );
	}

	public static function tearDownAfterClass(): void {
		@unlink( self::$recorder ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
		parent::tearDownAfterClass();
	}

	/** The tracker's script tags in the HTML. @return string[] */
	private static function tracker_tags( string $html ): array {
		preg_match_all( '#<script\b[^>]*\ssrc=[\'"][^\'"]*clickpath\.js[^\'"]*[\'"][^>]*></script>#', $html, $matches );
		return $matches[0];
	}

	private static function attributes( string $tag ): array {
		preg_match_all( '#\s([a-z0-9-]+)(?:=([\'"])(.*?)\2)?(?=[\s>])#', $tag, $matches, PREG_SET_ORDER );
		$attributes = array();
		foreach ( $matches as $match ) {
			$attributes[ $match[1] ] = isset( $match[3] ) ? html_entity_decode( $match[3] ) : true;
		}
		return $attributes;
	}

	private function only_tag( string $html ): array {
		$tags = self::tracker_tags( $html );
		$this->assertCount( 1, $tags, 'one tracker tag' );
		return self::attributes( $tags[0] );
	}

	public function test_anonymous_visitors_get_the_deferred_tracker_configured_for_the_site(): void {
		$this->connect_site();
		$page = ( new HttpClient() )->get( '/' );
		$this->assertSame( 200, $page['status'] );
		$tag = $this->only_tag( $page['body'] );
		$this->assertTrue( $tag['defer'] ?? false, 'defer' );
		$this->assertSame( self::PUBLIC_ID, $tag['data-site'] ?? null );
		$this->assertSame( self::BACKEND . '/api/event', $tag['data-api'] ?? null );
		$this->assertStringStartsWith( plugins_url( 'assets/clickpath.js', CLICKPATH_FILE ), $tag['src'] );
		$this->assertArrayNotHasKey( 'data-404', $tag );
		$this->assertArrayNotHasKey( 'data-mode', $tag );
		$this->assertArrayNotHasKey( 'data-dnt', $tag );
		$this->assertArrayNotHasKey( 'async', $tag );
		$this->assertStringNotContainsString( 'clickpath("identify"', $page['body'] );
		$this->assertNoKey( $page['body'], 'the home page' );

		// A post page too.
		$post = ( new HttpClient() )->get( (string) wp_parse_url( get_permalink( $this->post() ), PHP_URL_PATH ) );
		$this->assertSame( 200, $post['status'] );
		$this->only_tag( $post['body'] );
	}

	public function test_404_pages_are_marked(): void {
		$this->connect_site();
		$page = ( new HttpClient() )->get( '/no-such-page-' . wp_generate_password( 8, false ) . '/' );
		$this->assertSame( 404, $page['status'] );
		$this->assertTrue( $this->only_tag( $page['body'] )['data-404'] ?? false, 'data-404' );

		$this->connect_site( array( 'track404' => false ) );
		$page = ( new HttpClient() )->get( '/no-such-page-' . wp_generate_password( 8, false ) . '/' );
		$this->assertSame( 404, $page['status'] );
		$this->assertArrayNotHasKey( 'data-404', $this->only_tag( $page['body'] ) );
	}

	public function test_options_change_the_tag(): void {
		$this->connect_site(
			array(
				'trackerSource'   => 'backend',
				'identityMode'    => 'first-party',
				'honorDoNotTrack' => true,
			)
		);
		$tag = $this->only_tag( ( new HttpClient() )->get( '/' )['body'] );
		$this->assertSame( self::BACKEND . '/js/clickpath.js', $tag['src'], 'served by the backend, no version' );
		$this->assertArrayNotHasKey( 'data-api', $tag );
		$this->assertSame( 'first-party', $tag['data-mode'] ?? null );
		$this->assertTrue( $tag['data-dnt'] ?? false );
	}

	public function test_excluded_roles_get_no_tracker_and_identified_users_a_hashed_id(): void {
		$this->connect_site(
			array(
				'identityMode'  => 'first-party',
				'identifyUsers' => true,
			)
		);
		$admin = ( new HttpClient() )->login( (string) getenv( 'CLICKPATH_WP_ADMIN_USER' ), (string) getenv( 'CLICKPATH_WP_ADMIN_PASSWORD' ) );
		$page  = $admin->get( '/' );
		$this->assertSame( 200, $page['status'] );
		$this->assertStringContainsString( 'wp-admin-bar', $page['body'], 'logged in' );
		$this->assertSame( array(), self::tracker_tags( $page['body'] ), 'administrators are excluded by default' );
		$this->assertNoKey( $page['body'], 'the home page seen by an administrator' );

		$subscriber = $this->user( 'subscriber' );
		$page       = ( new HttpClient() )->login( $subscriber->user_login, self::password_of( $subscriber->user_login ) )->get( '/' );
		$this->only_tag( $page['body'] );
		$identity = Settings::user_identity( $subscriber->ID, Settings::get() );
		$this->assertMatchesRegularExpression( '/^wp-[0-9a-f]{32}$/', $identity );
		$this->assertStringContainsString( 'clickpath("identify","' . $identity . '")', $page['body'] );
		$this->assertStringNotContainsString( '"' . $subscriber->ID . '"', $page['body'] );

		// With no excluded roles, administrators are tracked too.
		$this->connect_site( array( 'excludedRoles' => array( 'subscriber' ) ) );
		$this->only_tag( $admin->get( '/' )['body'] );
		$this->assertSame( array(), self::tracker_tags( ( new HttpClient() )->login( $subscriber->user_login, self::password_of( $subscriber->user_login ) )->get( '/' )['body'] ) );
	}

	public function test_no_tracker_when_not_connected(): void {
		$this->assertSame( array(), self::tracker_tags( ( new HttpClient() )->get( '/' )['body'] ), 'fresh install' );
		$this->connect_site( array( 'publicId' => '' ) );
		$this->assertSame( array(), self::tracker_tags( ( new HttpClient() )->get( '/' )['body'] ) );
		$this->connect_site();
		$this->rest( 'POST', '/clickpath/v1/disconnect' ); // refused: no user…
		self::act_as( $this->user( 'administrator' )->ID );
		$this->assertSame( 200, $this->rest( 'POST', '/clickpath/v1/disconnect' )->get_status() );
		$this->assertSame( array(), self::tracker_tags( ( new HttpClient() )->get( '/' )['body'] ), 'after disconnecting' );
	}

	/** The query counter's figure for one anonymous request (and the page). */
	private static function counted( string $path ): array {
		$page = ( new HttpClient() )->get(
			$path,
			array(
				'X-Clickpath-Count-Queries' => '1',
				'X-Clickpath-Record-Http'   => '1',
			)
		);
		if ( ! preg_match( '/<!-- clickpath-queries: (\d+) -->/', $page['body'], $queries ) || ! preg_match( '/<!-- clickpath-http: (\d+)([^>]*)-->/', $page['body'], $http ) ) {
			throw new \RuntimeException( "No query/HTTP counter in $path (HTTP {$page['status']})" );
		}
		return array(
			'queries' => (int) $queries[1],
			'http'    => (int) $http[1],
			'urls'    => trim( $http[2] ),
			'html'    => $page['body'],
		);
	}

	public function test_no_queries_and_no_remote_requests_added_on_a_public_page_load(): void {
		$this->connect_site( array( 'identityMode' => 'first-party' ) );
		$post = (string) wp_parse_url( get_permalink( $this->post() ), PHP_URL_PATH );
		$on   = array();
		$off  = array();
		foreach ( array( '/', $post ) as $path ) {
			self::counted( $path ); // warm-up
			$on[ $path ] = self::counted( $path );
			$this->assertCount( 1, self::tracker_tags( $on[ $path ]['html'] ), 'measured with the tracker on the page' );
		}
		deactivate_plugins( 'clickpath/clickpath.php' );
		try {
			$this->assertFalse( is_plugin_active( 'clickpath/clickpath.php' ) );
			foreach ( array( '/', $post ) as $path ) {
				self::counted( $path );
				$off[ $path ] = self::counted( $path );
				$this->assertSame( array(), self::tracker_tags( $off[ $path ]['html'] ), 'deactivated: tracking stops' );
			}
		} finally {
			$this->assertNull( activate_plugin( 'clickpath/clickpath.php' ) );
		}
		foreach ( array( '/', $post ) as $path ) {
			$this->assertGreaterThan( 0, $off[ $path ]['queries'] );
			$this->assertSame( $off[ $path ]['queries'], $on[ $path ]['queries'], "database queries on $path: plugin inactive vs active" );
			$this->assertSame( 0, $on[ $path ]['http'], "remote requests on $path with the plugin active: {$on[$path]['urls']}" );
			$this->assertSame( 0, $off[ $path ]['http'] );
		}
	}

	/** The recorder is not blind: an admin screen that does ask the backend shows up in it. */
	public function test_the_http_recorder_sees_remote_requests(): void {
		$this->connect_site();
		$admin = ( new HttpClient() )->login( (string) getenv( 'CLICKPATH_WP_ADMIN_USER' ), (string) getenv( 'CLICKPATH_WP_ADMIN_PASSWORD' ) );
		$this->post();
		$page = $admin->get( '/wp-admin/edit.php', array( 'X-Clickpath-Record-Http' => '1' ) );
		$this->assertSame( 200, $page['status'] );
		$this->assertMatchesRegularExpression( '#<!-- clickpath-http: [1-9]\d* [^>]*' . preg_quote( self::BACKEND . '/api/v1/sites/' . self::SITE_ID . '/stats/breakdown/page', '#' ) . '#', $page['body'] );
		// The posts list still renders (the backend is unreachable from the test site): a dash per post.
		$this->assertStringContainsString( 'column-clickpath_views', $page['body'] );
		$this->assertNoKey( $page['body'], 'the posts list' );
	}
}
