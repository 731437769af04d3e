<?php
/**
 * Base class of the plugin's tests: a real WordPress, no automatic rollback, so every test
 * restores what it changed (the plugin's options, roles, users, posts, transients, filters).
 *
 * @package Clickpath
 */

namespace Clickpath\Tests;

use Clickpath\Outbox;
use Clickpath\Settings;
use PHPUnit\Framework\TestCase as PHPUnitTestCase;
use WP_REST_Request;
use WP_REST_Response;

abstract class TestCase extends PHPUnitTestCase {

	public const SITE_ID = '65a1b2c3d4e5f60718293a4b';

	public const PUBLIC_ID = 'pub_TestSite123';

	/** Where the fake backend "is": a private address on a non-standard port, which wp_safe_remote_* only allows while the plugin allows exactly it. */
	public const BACKEND = 'http://10.20.30.40:8443';

	private static string $key = '';

	protected FakeBackend $backend;

	/** @var array<string, array{value: mixed, autoload: string}|null> */
	private array $saved_options = array();

	/** @var int[] */
	private array $user_ids = array();

	/** @var int[] Posts that tearDown deletes. */
	protected array $post_ids = array();

	/** @var array<int, array{0: string, 1: callable, 2: int}> */
	private array $hooks = array();

	/** A long, recognisable API key, different on every run. */
	public static function key(): string {
		if ( '' === self::$key ) {
			self::$key = 'cp_live_' . bin2hex( random_bytes( 20 ) );
		}
		return self::$key;
	}

	/** The part of the key the mask never shows: it must appear nowhere a browser can see. */
	public static function secret_part(): string {
		return substr( self::key(), 10 );
	}

	protected function setUp(): void {
		parent::setUp();
		global $wpdb;
		foreach ( array( Settings::OPTION, Settings::KEY_OPTION, $wpdb->prefix . 'user_roles' ) as $name ) {
			$row                          = $wpdb->get_row( $wpdb->prepare( "SELECT option_value, autoload FROM {$wpdb->options} WHERE option_name = %s", $name ) );
			$this->saved_options[ $name ] = $row ? array(
				'value'    => maybe_unserialize( $row->option_value ),
				'autoload' => $row->autoload,
			) : null;
		}
		self::reset_outbox();
		wp_set_current_user( 0 );
		$this->backend = ( new FakeBackend() )->install();
	}

	protected function tearDown(): void {
		global $wpdb;
		$this->backend->uninstall();
		foreach ( $this->hooks as list( $hook, $callback, $priority ) ) {
			remove_filter( $hook, $callback, $priority );
		}
		$this->hooks = array();
		wp_set_current_user( 0 );
		foreach ( $this->post_ids as $id ) {
			wp_delete_post( $id, true );
		}
		foreach ( $this->user_ids as $id ) {
			wp_delete_user( $id );
		}
		self::reset_outbox(); // what the test queued, and anything deleting its posts and users queued.
		foreach ( $this->saved_options as $name => $saved ) {
			$wpdb->delete( $wpdb->options, array( 'option_name' => $name ) );
			if ( null !== $saved ) {
				$wpdb->insert(
					$wpdb->options,
					array(
						'option_name'  => $name,
						'option_value' => maybe_serialize( $saved['value'] ),
						'autoload'     => $saved['autoload'],
					)
				);
			}
		}
		Settings::delete_transients();
		wp_cache_flush();
		wp_roles()->for_site();
		parent::tearDown();
	}

	/** Adds a filter/action that tearDown removes. */
	protected function hook( string $hook, callable $callback, int $priority = 10, int $args = 1 ): void {
		add_filter( $hook, $callback, $priority, $args );
		$this->hooks[] = array( $hook, $callback, $priority );
	}

	/** Empties the outbox (queued backend writes) and unschedules its cron event. */
	protected static function reset_outbox(): void {
		delete_option( Outbox::OPTION );
		wp_clear_scheduled_hook( Outbox::HOOK );
	}

	/** @return string[] The texts of the annotations waiting in the outbox, oldest first. */
	protected static function pending_annotations(): array {
		$entries = array_filter( Outbox::read()['entries'], static fn ( $entry ) => str_ends_with( $entry['path'], '/annotations' ) );
		return array_values( array_map( static fn ( $entry ) => $entry['body']['text'], $entries ) );
	}

	/**
	 * Stores a connected state as Connect would (settings + non-autoloaded key).
	 *
	 * @param array<string, mixed> $settings
	 */
	protected function connect_site( array $settings = array(), ?string $key = null ): void {
		$host = (string) wp_parse_url( home_url(), PHP_URL_HOST );
		Settings::save(
			array_merge(
				Settings::get(),
				array(
					'backendUrl' => self::BACKEND,
					'siteId'     => self::SITE_ID,
					'publicId'   => self::PUBLIC_ID,
					'siteName'   => 'Test site',
					'siteDomain' => $host,
					'scopes'     => array( 'stats:read', 'sites:manage' ),
				),
				$settings
			)
		);
		Settings::store_api_key( $key ?? self::key() );
	}

	/** A user with a known password (its login is also its password's prefix). */
	protected function user( string $role, array $extra = array() ): \WP_User {
		$login = 'cp_' . $role . '_' . wp_generate_password( 6, false );
		$id    = wp_insert_user(
			array_merge(
				array(
					'user_login' => $login,
					'user_pass'  => self::password_of( $login ),
					'user_email' => $login . '@example.org',
					'role'       => $role,
				),
				$extra
			)
		);
		$this->assertIsInt( $id, 'creating a ' . $role );
		$this->user_ids[] = $id;
		return get_user_by( 'id', $id );
	}

	protected static function password_of( string $login ): string {
		return 'Pw-' . $login . '-9!';
	}

	/** Makes $user_id the current user with freshly read capabilities. */
	protected static function act_as( int $user_id ): void {
		wp_set_current_user( 0 );
		if ( $user_id ) {
			clean_user_cache( $user_id );
			wp_set_current_user( $user_id );
		}
	}

	protected function post( array $data = array() ): int {
		$id = wp_insert_post(
			array_merge(
				array(
					'post_title'   => 'Clickpath test post',
					'post_content' => 'Hello.',
					'post_status'  => 'publish',
					'post_type'    => 'post',
				),
				$data
			),
			true
		);
		$this->assertIsInt( $id );
		$this->post_ids[] = $id;
		return $id;
	}

	/**
	 * Dispatches a REST request in this process (no cookie/nonce check: that is the HTTP tests' job).
	 *
	 * @param array<string, mixed> $query
	 * @param mixed                $json  Sent as a JSON body when not null; a string is sent as-is.
	 */
	protected function rest( string $method, string $route, array $query = array(), $json = null ): WP_REST_Response {
		$request = new WP_REST_Request( $method, $route );
		if ( $query ) {
			$request->set_query_params( $query );
		}
		if ( null !== $json ) {
			$request->set_header( 'Content-Type', 'application/json' );
			$request->set_body( is_string( $json ) ? $json : (string) wp_json_encode( $json ) );
		}
		return rest_do_request( $request );
	}

	/** The response as the browser would get it (errors included), JSON-encoded. */
	protected static function as_json( WP_REST_Response $response ): string {
		return (string) wp_json_encode( rest_get_server()->response_to_data( $response, false ) );
	}

	protected function assertErrorCode( string $code, int $status, WP_REST_Response $response ): void {
		$data = $response->get_data();
		$this->assertSame( $status, $response->get_status(), 'HTTP status; body: ' . wp_json_encode( $data ) );
		$this->assertIsArray( $data );
		$this->assertSame( $code, $data['code'] ?? null, 'error code; body: ' . wp_json_encode( $data ) );
	}

	/**
	 * Whether WordPress loads the option on every request, read from its stored row past every cache.
	 * WordPress 6.6 stores 'on'/'off'/'auto…' where earlier versions store 'yes'/'no'.
	 */
	protected function assertAutoloaded( bool $expected, string $option, string $message = '' ): void {
		global $wpdb;
		$value = $wpdb->get_var( $wpdb->prepare( "SELECT autoload FROM {$wpdb->options} WHERE option_name = %s", $option ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery -- reads what was stored, past every cache.
		$this->assertNotNull( $value, "option $option is stored" );
		$autoloading = function_exists( 'wp_autoload_values_to_autoload' ) ? wp_autoload_values_to_autoload() : array( 'yes' );
		$this->assertSame( $expected, in_array( $value, $autoloading, true ), ( $message ? "$message; " : '' ) . "$option has autoload '$value'" );
	}

	protected function assertNoKey( string $text, string $where ): void {
		$this->assertStringNotContainsString( self::key(), $text, "The API key appears in $where" );
		$this->assertStringNotContainsString( self::secret_part(), $text, "The unmasked part of the API key appears in $where" );
	}
}
