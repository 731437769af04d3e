<?php
/**
 * The API key never reaches a browser: not in any REST answer, not in the HTML of the settings
 * page, the stats page, the dashboard, the posts list or a public page (real HTTP requests as an
 * administrator); only its mask does.
 *
 * @package Clickpath
 */

namespace Clickpath\Tests;

use Clickpath\Settings;
use WP_Error;

final class ApiKeyExposureTest extends TestCase {

	private const ENTRIES = array( 'settings', 'stats', 'widget' );

	/** @var string[] Stub bundle files this test created (the built admin-ui may be absent). */
	private array $stubs = array();

	private function admin(): HttpClient {
		return ( new HttpClient() )->login( (string) getenv( 'CLICKPATH_WP_ADMIN_USER' ), (string) getenv( 'CLICKPATH_WP_ADMIN_PASSWORD' ) );
	}

	/**
	 * Without a build the screens show a notice instead of their bundle; with minimal stand-in
	 * asset files the page prints the bundle's configuration (REST root, nonce, initial state),
	 * which is where a key could leak. Only in the test site's copy of the plugin.
	 */
	private function stub_build(): bool {
		$dir = WP_PLUGIN_DIR . '/clickpath/build';
		if ( is_link( WP_PLUGIN_DIR . '/clickpath' ) ) {
			return file_exists( "$dir/settings.asset.php" );
		}
		if ( ! is_dir( $dir ) ) {
			mkdir( $dir );
			$this->stubs[] = $dir;
		}
		foreach ( self::ENTRIES as $entry ) {
			$file = "$dir/$entry.asset.php";
			if ( ! file_exists( $file ) ) {
				file_put_contents( $file, "<?php return array( 'dependencies' => array(), 'version' => 'test' );\n" );
				array_unshift( $this->stubs, $file );
			}
		}
		return true;
	}

	protected function tearDown(): void {
		foreach ( $this->stubs as $path ) {
			is_dir( $path ) ? rmdir( $path ) : unlink( $path );
		}
		parent::tearDown();
	}

	public function test_rest_answers_never_contain_the_key(): void {
		self::act_as( $this->user( 'administrator' )->ID );
		$this->connect_site();
		$answers = array();

		$answers['GET settings']            = $this->rest( 'GET', '/clickpath/v1/settings' );
		$answers['POST settings']           = $this->rest( 'POST', '/clickpath/v1/settings', array(), array( 'track404' => false ) );
		$answers['POST settings (invalid)'] = $this->rest( 'POST', '/clickpath/v1/settings', array(), array( 'apiKey' => self::key() ) );

		// Proxy errors, including a backend that echoes the request back.
		$echo                                 = static fn ( $call ) => FakeBackend::json(
			400,
			array(
				'error' => array(
					'code'    => 'bad',
					'message' => 'You sent ' . wp_json_encode( $call['headers'] ),
					'details' => $call['headers'],
				),
			)
		);
		$this->backend->on( 'GET', '#/stats/overview#', $echo );
		$answers['proxy 400 echoing headers'] = $this->rest(
			'GET',
			'/clickpath/v1/stats/overview',
			array(
				'from' => '2024-01-01',
				'to'   => '2024-01-02',
			)
		);
		$this->backend->on( 'GET', '#/stats/timeseries#', new WP_Error( 'http_request_failed', 'cURL error 28: timed out' ) );
		$answers['proxy unreachable'] = $this->rest(
			'GET',
			'/clickpath/v1/stats/timeseries',
			array(
				'from' => '2024-01-01',
				'to'   => '2024-01-02',
			)
		);
		$this->backend->on(
			'GET',
			'#/visitors\?#',
			FakeBackend::json(
				401,
				array(
					'error' => array(
						'code'    => 'unauthenticated',
						'message' => 'bad key',
					),
				)
			)
		);
		$answers['proxy key rejected'] = $this->rest(
			'GET',
			'/clickpath/v1/visitors',
			array(
				'from' => '2024-01-01',
				'to'   => '2024-01-02',
			)
		);
		$this->backend->on( 'GET', '#/goals$#', FakeBackend::status( 302, '', array( 'location' => 'https://evil.example/?k=' . self::key() ) ) );
		$answers['proxy redirect'] = $this->rest( 'GET', '/clickpath/v1/goals' );
		$this->backend->on(
			'GET',
			'#/funnels$#',
			FakeBackend::json(
				500,
				array(
					'error' => array(
						'code'    => 'x',
						'message' => self::key(),
					),
				)
			)
		);
		$answers['proxy 500'] = $this->rest( 'GET', '/clickpath/v1/funnels' );

		// Connect: failing, refused and successful; then disconnect.
		$this->backend->on( 'GET', '#/api/v1/me$#', new WP_Error( 'http_request_failed', 'cURL error 7' ) );
		$answers['connect unreachable'] = $this->rest( 'POST', '/clickpath/v1/connect', array(), array( 'backendUrl' => self::BACKEND ) );
		$answers['connect bad url']     = $this->rest(
			'POST',
			'/clickpath/v1/connect',
			array(),
			array(
				'backendUrl' => 'ftp://x',
				'apiKey'     => self::key(),
			)
		);
		$this->backend->on( 'GET', '#/api/v1/me$#', $echo );
		$answers['connect 400 echoing headers'] = $this->rest( 'POST', '/clickpath/v1/connect', array(), array( 'backendUrl' => self::BACKEND ) );
		$this->backend->on(
			'GET',
			'#/api/v1/me$#',
			FakeBackend::json(
				200,
				array(
					'type' => 'apiKey',
					'key'  => array( 'scopes' => array( 'stats:read' ) ),
					'site' => array(
						'id'       => self::SITE_ID,
						'publicId' => self::PUBLIC_ID,
						'name'     => 'x',
						'domain'   => 'x.example',
					),
				)
			)
		);
		$answers['connect ok'] = $this->rest(
			'POST',
			'/clickpath/v1/connect',
			array(),
			array(
				'backendUrl' => self::BACKEND,
				'apiKey'     => self::key(),
			)
		);
		$answers['disconnect'] = $this->rest( 'POST', '/clickpath/v1/disconnect' );

		foreach ( $answers as $what => $response ) {
			$json = self::as_json( $response );
			$this->assertNoKey( $json . wp_json_encode( $response->get_headers() ), "the answer to $what" );
		}
		$this->assertStringContainsString( wp_json_encode( Settings::key_mask( self::key() ) ), self::as_json( $answers['GET settings'] ) );
		$this->assertNotEmpty( $this->backend->calls );
	}

	public function test_admin_pages_and_public_pages_never_contain_the_key(): void {
		$this->connect_site();
		$this->post();
		$admin        = $this->admin();
		$pages        = array(
			'settings page' => '/wp-admin/options-general.php?page=clickpath-settings',
			'stats page'    => '/wp-admin/admin.php?page=clickpath',
			'dashboard'     => '/wp-admin/index.php',
			'posts list'    => '/wp-admin/edit.php',
			'plugins list'  => '/wp-admin/plugins.php',
			'public page'   => '/',
		);
		$built_before = file_exists( WP_PLUGIN_DIR . '/clickpath/build/settings.asset.php' );
		if ( ! $built_before ) {
			// Without the admin-ui build: a notice, and still no key.
			$page = $admin->get( $pages['settings page'] );
			$this->assertSame( 200, $page['status'] );
			$this->assertStringContainsString( 'The Clickpath admin screens are missing', $page['body'] );
			$this->assertNoKey( $page['body'], 'the settings page without a build' );
		}
		$this->assertTrue( $this->stub_build(), 'admin bundles (or stand-ins) in place' );

		foreach ( $pages as $what => $path ) {
			$page = $admin->get( $path );
			$this->assertSame( 200, $page['status'], "$what ($path)" );
			$this->assertNoKey( $page['body'], "the HTML of the $what" );
			foreach ( $page['headers'] as $name => $values ) {
				$this->assertNoKey( $name . ': ' . implode( "\n", $values ), "the headers of the $what" );
			}
		}
		$anonymous = ( new HttpClient() )->get( '/' );
		$this->assertNoKey( $anonymous['body'], 'the public page seen by a visitor' );

		// The screens did get their configuration, with the mask standing in for the key.
		$settings = $admin->get( $pages['settings page'] )['body'];
		$this->assertStringContainsString( 'window.clickpathAdmin', $settings );
		$this->assertStringContainsString( '"mask":"' . substr( self::key(), 0, 10 ), $settings );
		$this->assertStringContainsString( 'id="clickpath-settings"', $settings );
		$stats = $admin->get( $pages['stats page'] )['body'];
		$this->assertStringContainsString( 'id="clickpath-stats"', $stats );
		$this->assertStringContainsString( 'window.clickpathAdmin', $stats );
		$dashboard = $admin->get( $pages['dashboard'] )['body'];
		$this->assertStringContainsString( 'id="clickpath-widget"', $dashboard );
		$this->assertStringContainsString( 'window.clickpathAdmin', $dashboard );

		// Over HTTP, the settings route answers the mask too.
		$rest = $admin->get( '/wp-json/clickpath/v1/settings', array( 'X-WP-Nonce' => $admin->rest_nonce() ) );
		$this->assertSame( 200, $rest['status'] );
		$this->assertNoKey( $rest['body'], 'GET /wp-json/clickpath/v1/settings' );
		$this->assertSame( Settings::key_mask( self::key() ), json_decode( $rest['body'], true )['key']['mask'] );
		// The route index describes the routes, nothing stored.
		$index = ( new HttpClient() )->get( '/wp-json/clickpath/v1' );
		$this->assertSame( 200, $index['status'] );
		$this->assertNoKey( $index['body'], 'the clickpath/v1 index' );
	}

	public function test_the_stats_page_is_for_the_stats_capability_and_settings_for_administrators(): void {
		$this->connect_site();
		$this->stub_build();
		$editor = $this->user( 'editor' );
		$client = ( new HttpClient() )->login( $editor->user_login, self::password_of( $editor->user_login ) );
		$this->assertSame( 403, $client->get( '/wp-admin/admin.php?page=clickpath' )['status'] );
		$dashboard = $client->get( '/wp-admin/index.php' );
		$this->assertStringNotContainsString( 'clickpath-widget', $dashboard['body'] );
		$this->assertStringNotContainsString( 'clickpathAdmin', $dashboard['body'] );

		Settings::save( array_merge( Settings::get(), array( 'statsRoles' => array( 'administrator', 'editor' ) ) ) );
		Settings::apply_stats_roles( array( 'administrator', 'editor' ) );
		$stats = $client->get( '/wp-admin/admin.php?page=clickpath' );
		$this->assertSame( 200, $stats['status'] );
		$this->assertStringContainsString( 'id="clickpath-stats"', $stats['body'] );
		$this->assertStringContainsString( '"settingsUrl":""', $stats['body'], 'no settings link for a non-administrator' );
		$this->assertNoKey( $stats['body'], 'the stats page seen by an editor' );
		$this->assertStringContainsString( 'clickpath-widget', $client->get( '/wp-admin/index.php' )['body'] );
		$this->assertSame( 403, $client->get( '/wp-admin/options-general.php?page=clickpath-settings' )['status'] );
	}
}
