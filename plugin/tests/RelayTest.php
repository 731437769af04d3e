<?php
/**
 * The first-party relay (issue 15, point 3): turning it on gets a relay secret and writes the
 * config relay.php reads; relay.php (over HTTP, without WordPress) spools this site's hits and
 * answers 202; the forwarder signs each hit, removes a line only once the backend accepted it,
 * drops what the backend refuses for good without blocking the queue, backs off while the backend
 * is down, and keeps the spool bounded. The end-to-end test (tests/e2e/relay.e2e.mjs) runs the
 * same path against the real backend.
 *
 * @package Clickpath
 */

namespace Clickpath\Tests;

use Clickpath\Relay;
use Clickpath\Relay_Spool;
use Clickpath\Settings;

final class RelayTest extends TestCase {

	private const SECRET = 'relay-secret-for-tests-0123456789abcdefghij';

	/** @var resource|null */
	private $stub = null;

	/** @var resource|null A php-fpm master this test started. */
	private $fpm = null;

	private string $fpm_dir = '';

	private string $stub_log = '';

	private string $stub_plan = '';

	protected function setUp(): void {
		parent::setUp();
		self::remove_relay_files();
	}

	protected function tearDown(): void {
		foreach ( array( $this->stub, $this->fpm ) as $process ) {
			if ( is_resource( $process ) ) {
				proc_terminate( $process );
				proc_close( $process );
			}
		}
		if ( '' !== $this->fpm_dir ) {
			array_map( 'wp_delete_file', (array) glob( $this->fpm_dir . '/*' ) );
			rmdir( $this->fpm_dir );
		}
		foreach ( array( $this->stub_log, $this->stub_plan ) as $file ) {
			if ( '' !== $file ) {
				wp_delete_file( $file );
			}
		}
		self::remove_relay_files();
		wp_clear_scheduled_hook( Relay::HOOK );
		parent::tearDown();
	}

	private static function remove_relay_files(): void {
		Relay::delete_files();
	}

	/** Connects to `$backend` and turns the relay on, the backend (fake) issuing the secret. */
	private function relay_on( string $backend = self::BACKEND ): void {
		$this->connect_site( array( 'backendUrl' => $backend ) );
		$this->backend->on( 'POST', '#/api/v1/sites/' . self::SITE_ID . '/relay-secret$#', FakeBackend::json( 201, array( 'secret' => self::SECRET ) ) );
		self::act_as( $this->user( 'administrator' )->ID );
		$response = $this->rest( 'POST', '/clickpath/v1/settings', array(), array( 'relay' => true ) );
		$this->assertSame( 200, $response->get_status(), self::as_json( $response ) );
		$this->assertTrue( Settings::get()['relay'] );
	}

	private static function relay_path(): string {
		return (string) wp_parse_url( Relay::endpoint(), PHP_URL_PATH ) . ( is_multisite() ? '?b=' . get_current_blog_id() : '' );
	}

	private static function hit( string $path = '/', string $public_id = self::PUBLIC_ID ): string {
		return (string) wp_json_encode(
			array(
				's' => $public_id,
				'i' => 'e' . bin2hex( random_bytes( 6 ) ),
				'k' => 'pv',
				'u' => home_url( $path ),
			)
		);
	}

	/** @return array{status: int, headers: array<string, string[]>, body: string} */
	private static function post_hit( string $body, string $type = 'text/plain', array $headers = array() ): array {
		return ( new HttpClient() )->request( 'POST', self::relay_path(), array( 'Content-Type' => $type ) + $headers, $body );
	}

	/** @return array<int, array<string, mixed>> */
	private static function spooled(): array {
		$config = Relay_Spool::config( Relay::dir() );
		$file   = Relay_Spool::spool_file( Relay::dir(), $config );
		$lines  = is_file( $file ) ? array_filter( explode( "\n", (string) file_get_contents( $file ) ) ) : array();
		return array_values( array_map( static fn ( $line ) => json_decode( $line, true ), $lines ) );
	}

	/** Starts the stand-in collector (support/relay-backend-stub.php) answering `$plan`, one status per request. */
	private function start_stub( array $plan, int $delay_ms = 0 ): string {
		$socket = stream_socket_server( 'tcp://127.0.0.1:0' );
		$port   = (int) substr( strrchr( stream_socket_get_name( $socket, false ), ':' ), 1 );
		fclose( $socket );
		$this->stub_log  = (string) tempnam( get_temp_dir(), 'clickpath-relay-log' );
		$this->stub_plan = (string) tempnam( get_temp_dir(), 'clickpath-relay-plan' );
		file_put_contents( $this->stub_plan, (string) wp_json_encode( $plan ) );
		// phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.system_calls_proc_open -- the test starts its own stand-in collector.
		$this->stub = proc_open(
			array( PHP_BINARY, '-S', '127.0.0.1:' . $port, __DIR__ . '/support/relay-backend-stub.php' ),
			array(
				0 => array( 'file', '/dev/null', 'r' ),
				1 => array( 'file', '/dev/null', 'w' ),
				2 => array( 'file', '/dev/null', 'w' ),
			),
			$pipes,
			null,
			array(
				'CLICKPATH_STUB_LOG'      => $this->stub_log,
				'CLICKPATH_STUB_PLAN'     => $this->stub_plan,
				'CLICKPATH_STUB_DELAY_MS' => (string) $delay_ms,
			)
		);
		return 'http://127.0.0.1:' . $this->wait_for_port( $port );
	}

	private function wait_for_port( int $port ): int {
		for ( $i = 0; $i < 100; $i++ ) {
			$probe = @fsockopen( '127.0.0.1', $port, $errno, $errstr, 0.1 ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- refused until the server listens.
			if ( $probe ) {
				fclose( $probe );
				return $port;
			}
			usleep( 50000 );
		}
		$this->fail( "nothing listens on port $port" );
	}

	private static function free_port(): int {
		$socket = stream_socket_server( 'tcp://127.0.0.1:0' );
		$port   = (int) substr( strrchr( stream_socket_get_name( $socket, false ), ':' ), 1 );
		fclose( $socket );
		return $port;
	}

	/** Starts a php-fpm master with one worker (as most hosts run PHP) and returns its FastCGI port. */
	private function start_fpm(): int {
		$binaries = (array) glob( '/usr/sbin/php-fpm*' );
		$this->assertNotEmpty( $binaries, 'php-fpm is not installed (Debian package php-fpm)' );
		$port          = self::free_port();
		$this->fpm_dir = get_temp_dir() . 'clickpath-fpm-' . bin2hex( random_bytes( 4 ) );
		mkdir( $this->fpm_dir );
		file_put_contents(
			$this->fpm_dir . '/fpm.conf',
			"[global]\nerror_log = {$this->fpm_dir}/error.log\ndaemonize = no\npid = {$this->fpm_dir}/fpm.pid\n" .
			"[relay]\nlisten = 127.0.0.1:$port\npm = static\npm.max_children = 1\n"
		);
		// phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.system_calls_proc_open -- the test starts its own PHP-FPM.
		$this->fpm = proc_open(
			array( (string) $binaries[0], '--nodaemonize', '--allow-to-run-as-root', '-y', $this->fpm_dir . '/fpm.conf' ),
			array(
				0 => array( 'file', '/dev/null', 'r' ),
				1 => array( 'file', '/dev/null', 'w' ),
				2 => array( 'file', '/dev/null', 'w' ),
			),
			$pipes
		);
		return $this->wait_for_port( $port );
	}

	/**
	 * POSTs a hit to relay.php through FastCGI (cgi-fcgi), as a web server in front of PHP-FPM would.
	 *
	 * @return array{seconds: float, output: string}
	 */
	private static function fastcgi_hit( int $port, string $body ): array {
		$env     = array(
			'SCRIPT_FILENAME' => WP_PLUGIN_DIR . '/clickpath/relay.php',
			'SCRIPT_NAME'     => '/wp-content/plugins/clickpath/relay.php',
			'REQUEST_METHOD'  => 'POST',
			'CONTENT_TYPE'    => 'text/plain',
			'CONTENT_LENGTH'  => (string) strlen( $body ),
			'REMOTE_ADDR'     => '81.2.69.142',
			'HTTP_USER_AGENT' => 'FPM visitor/1.0',
			'SERVER_PROTOCOL' => 'HTTP/1.1',
		);
		$started = microtime( true );
		// phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.system_calls_proc_open -- a FastCGI client for the test.
		$client = proc_open(
			array( '/usr/bin/cgi-fcgi', '-bind', '-connect', '127.0.0.1:' . $port ),
			array(
				0 => array( 'pipe', 'r' ),
				1 => array( 'pipe', 'w' ),
				2 => array( 'file', '/dev/null', 'w' ),
			),
			$pipes,
			null,
			$env
		);
		fwrite( $pipes[0], $body );
		fclose( $pipes[0] );
		$output = (string) stream_get_contents( $pipes[1] );
		fclose( $pipes[1] );
		proc_close( $client );
		return array(
			'seconds' => microtime( true ) - $started,
			'output'  => $output,
		);
	}

	/** @return array<int, array<string, mixed>> */
	private function received(): array {
		$lines = array_filter( explode( "\n", (string) file_get_contents( $this->stub_log ) ) );
		return array_values( array_map( static fn ( $line ) => json_decode( $line, true ), $lines ) );
	}

	/** Spools `$count` hits the way relay.php does. */
	private static function spool( int $count ): void {
		$config = Relay_Spool::config( Relay::dir() );
		for ( $i = 0; $i < $count; $i++ ) {
			Relay_Spool::append(
				Relay::dir(),
				$config,
				array(
					'at'   => time(),
					'ip'   => '81.2.69.' . ( 10 + $i ),
					'ua'   => 'Mozilla/5.0 visitor ' . $i,
					'dnt'  => false,
					'type' => 'text/plain',
					'body' => self::hit( '/p' . $i ),
				)
			);
		}
	}

	private static function forward(): ?array {
		return Relay::run( true );
	}

	public function test_turning_it_on_gets_a_secret_writes_a_config_that_prints_nothing_and_points_the_tag_at_the_site(): void {
		$this->relay_on();
		$config = Relay_Spool::config( Relay::dir() );
		$this->assertSame( self::SECRET, $config['secret'] );
		$this->assertSame( self::PUBLIC_ID, $config['publicId'] );
		$this->assertTrue( $config['enabled'] );
		$this->assertNotFalse( wp_next_scheduled( Relay::HOOK ) );
		$this->assertFileExists( dirname( Relay::dir() ) . '/.htaccess' );

		// The config is PHP that returns an array: requested over HTTP it shows nothing.
		$url    = str_replace( ABSPATH, '/', Relay::dir() . '/config.php' );
		$served = ( new HttpClient() )->get( $url );
		$this->assertStringNotContainsString( self::SECRET, $served['body'] );
		$this->assertSame( '', trim( $served['body'] ) );

		$html = ( new HttpClient() )->get( '/' )['body'];
		$this->assertStringContainsString( 'data-api="' . esc_attr( Relay::endpoint() ) . '"', $html );
		$this->assertStringNotContainsString( self::BACKEND, $html );
		$this->assertStringNotContainsString( self::SECRET, $html );
	}

	public function test_turning_it_on_needs_a_key_that_may_manage_the_site(): void {
		$this->connect_site( array( 'scopes' => array( 'stats:read' ) ) );
		self::act_as( $this->user( 'administrator' )->ID );
		$response = $this->rest( 'POST', '/clickpath/v1/settings', array(), array( 'relay' => true ) );
		$this->assertErrorCode( 'clickpath_key_scope', 403, $response );
		$this->assertFalse( Settings::get()['relay'] );
		$this->assertNull( Relay_Spool::config( Relay::dir() ) );
	}

	public function test_relay_php_spools_this_sites_hits_with_the_visitors_ip_and_user_agent_and_refuses_the_rest(): void {
		$this->relay_on();
		$body   = self::hit();
		$answer = self::post_hit( $body, 'text/plain', array( 'User-Agent' => "Visitor/1.0 (\u{e9})" ) );
		$this->assertSame( 202, $answer['status'] );
		$this->assertSame( '{"queued":1}', $answer['body'], 'queued, not yet accepted by the server' );
		$spooled = self::spooled();
		$this->assertCount( 1, $spooled );
		$this->assertSame( '127.0.0.1', $spooled[0]['ip'] );
		$this->assertSame( 'Visitor/1.0 ()', $spooled[0]['ua'], 'printable ASCII only: it is signed byte for byte' );
		$this->assertSame( $body, $spooled[0]['body'] );

		$this->assertSame( 400, self::post_hit( self::hit( '/', 'someoneElse99' ) )['status'], 'another site’s hit' );
		$this->assertSame( 415, self::post_hit( $body, 'application/x-www-form-urlencoded' )['status'] );
		$this->assertSame( 413, self::post_hit( str_repeat( 'x', Relay_Spool::MAX_BODY_BYTES + 1 ) )['status'] );
		$this->assertSame( 405, ( new HttpClient() )->get( self::relay_path() )['status'] );
		$this->assertCount( 1, self::spooled(), 'nothing refused was spooled' );

		// Off: relay.php takes no more hits; what is spooled stays to be sent.
		$response = $this->rest( 'POST', '/clickpath/v1/settings', array(), array( 'relay' => false ) );
		$this->assertSame( 200, $response->get_status() );
		$this->assertSame( 404, self::post_hit( self::hit() )['status'] );
		$this->assertCount( 1, self::spooled() );
		$this->assertStringNotContainsString( 'relay.php', ( new HttpClient() )->get( '/' )['body'] );
	}

	public function test_the_forwarder_signs_each_hit_sends_its_body_unchanged_and_keeps_what_the_backend_did_not_accept(): void {
		$backend = $this->start_stub( array( 202, 503 ) );
		$this->relay_on( $backend );
		self::spool( 3 );
		$bodies = array_column( self::spooled(), 'body' );

		$first = self::forward();
		$this->assertSame( 1, $first['sent'] );
		$this->assertTrue( $first['left'] );
		$this->assertSame( array_slice( $bodies, 1 ), array_column( self::spooled(), 'body' ), 'only the accepted hit left the spool' );
		$state = Relay_Spool::state( Relay::dir(), Relay_Spool::config( Relay::dir() ) );
		$this->assertGreaterThan( time(), $state['retryAt'], 'a 503 backs off' );
		$this->assertNull( Relay::run(), 'the cron run waits for the backoff' );

		$second = self::forward();
		$this->assertSame( 2, $second['sent'] );
		$this->assertFalse( $second['left'] );
		$this->assertSame( array(), self::spooled() );

		$received = $this->received();
		$this->assertCount( 4, $received, 'three hits, one of them twice' );
		foreach ( $received as $i => $request ) {
			$this->assertSame( '/api/event', $request['uri'] );
			$this->assertSame( 'text/plain', $request['type'] );
			$signed = implode( "\n", array( 'v1', self::PUBLIC_ID, $request['time'], $request['ip'], $request['ua'], hash( 'sha256', $request['body'] ) ) );
			$this->assertSame( hash_hmac( 'sha256', $signed, self::SECRET ), $request['signature'], "request $i is signed" );
			$this->assertEqualsWithDelta( time(), (int) $request['time'], 5, 'signed when sent' );
		}
		$this->assertSame( $bodies, array( $received[0]['body'], $received[2]['body'], $received[3]['body'] ) );
		$this->assertSame( array( '81.2.69.10', '81.2.69.11', '81.2.69.11', '81.2.69.12' ), array_column( $received, 'ip' ) );
	}

	public function test_under_php_fpm_the_visitor_is_answered_before_the_hit_is_forwarded_in_the_same_process(): void {
		$backend = $this->start_stub( array(), 1500 ); // a slow server: 1.5 s per hit
		$this->relay_on( $backend );
		$port   = $this->start_fpm();
		$answer = self::fastcgi_hit( $port, self::hit() );
		$this->assertStringContainsString( 'Status: 202', $answer['output'] );
		$this->assertStringContainsString( '{"queued":1}', $answer['output'] );
		$this->assertLessThan( 1.0, $answer['seconds'], 'the answer did not wait for the server' );
		$received = $this->received();
		for ( $i = 0; $i < 100 && ! $received; $i++ ) {
			usleep( 50000 );
			$received = $this->received();
		}
		$this->assertCount( 1, $received, 'forwarded by the same PHP-FPM process, without WP-Cron' );
		$this->assertSame( '81.2.69.142', $received[0]['ip'] );
		$this->assertSame( 'FPM visitor/1.0', $received[0]['ua'] );
		$left = self::spooled();
		for ( $i = 0; $i < 60 && $left; $i++ ) {
			usleep( 50000 ); // the server's answer arrives 1.5 s after the request
			$left = self::spooled();
		}
		$this->assertSame( array(), $left );
	}

	public function test_the_settings_screen_warns_of_hits_waiting_and_turning_it_off_and_on_gets_a_new_secret(): void {
		$socket = stream_socket_server( 'tcp://127.0.0.1:0' );
		$port   = (int) substr( strrchr( stream_socket_get_name( $socket, false ), ':' ), 1 );
		fclose( $socket ); // Nothing listens there.
		$this->relay_on( 'http://127.0.0.1:' . $port );
		self::spool( 2 );
		self::forward();
		$warnings = $this->rest( 'GET', '/clickpath/v1/settings' )->get_data()['warnings'];
		$this->assertCount( 1, $warnings, (string) wp_json_encode( $warnings ) );
		$this->assertStringContainsString( 'could not forward 2 hits to the Clickpath server (backend unreachable', $warnings[0] );

		// Saving while on keeps the secret; off and on again gets a new one and forgets the failures.
		$issued = 0;
		$this->backend->on(
			'POST',
			'#/relay-secret$#',
			static function () use ( &$issued ) {
				++$issued;
				return FakeBackend::json( 201, array( 'secret' => 'rotated-secret-' . $issued ) );
			}
		);
		$this->assertSame( 200, $this->rest( 'POST', '/clickpath/v1/settings', array(), array( 'track404' => false ) )->get_status() );
		$this->assertSame( self::SECRET, Relay_Spool::config( Relay::dir() )['secret'] );
		$this->assertSame( 200, $this->rest( 'POST', '/clickpath/v1/settings', array(), array( 'relay' => false ) )->get_status() );
		$this->assertSame( 200, $this->rest( 'POST', '/clickpath/v1/settings', array(), array( 'relay' => true ) )->get_status() );
		$this->assertSame( 'rotated-secret-1', Relay_Spool::config( Relay::dir() )['secret'] );
		$this->assertSame( array(), $this->rest( 'GET', '/clickpath/v1/settings' )->get_data()['warnings'] );
		$this->assertCount( 2, self::spooled(), 'the hits still wait' );

		// Files gone (a site moved without wp-content/clickpath-relay): the screen says what to do.
		Relay::delete_files();
		$warnings = $this->rest( 'GET', '/clickpath/v1/settings' )->get_data()['warnings'];
		$this->assertStringContainsString( 'files are missing', implode( ' ', $warnings ) );
	}

	public function test_reading_realtime_in_wordpress_forwards_the_spool_first(): void {
		$backend = $this->start_stub( array() );
		$this->relay_on( $backend );
		self::spool( 2 );
		$this->backend->on( 'GET', '#/stats/realtime#', FakeBackend::json( 200, array( 'events' => array() ) ) );
		$response = $this->rest( 'GET', '/clickpath/v1/stats/realtime' );
		$this->assertSame( 200, $response->get_status(), self::as_json( $response ) );
		$this->assertCount( 2, $this->received() );
		$this->assertSame( array(), self::spooled() );

		// A visitor cannot make the site forward (or do anything else) by asking for Realtime.
		self::spool( 1 );
		wp_set_current_user( 0 );
		$this->assertSame( 401, $this->rest( 'GET', '/clickpath/v1/stats/realtime' )->get_status() );
		$this->assertCount( 1, self::spooled() );
	}

	public function test_a_hit_the_backend_refuses_is_dropped_with_a_count_and_does_not_block_the_others(): void {
		$backend = $this->start_stub( array( 400, 202 ) );
		$this->relay_on( $backend );
		self::spool( 2 );
		$result = self::forward();
		$this->assertSame( 1, $result['sent'] );
		$this->assertSame( 1, $result['dropped'] );
		$this->assertSame( array(), self::spooled() );
		$state = Relay_Spool::state( Relay::dir(), Relay_Spool::config( Relay::dir() ) );
		$this->assertSame( 1, $state['dropped'] );
		$this->assertSame( 0, $state['retryAt'] );
	}

	public function test_a_hit_that_keeps_failing_with_500_is_dropped_after_max_tries_and_the_queue_moves_on(): void {
		$backend = $this->start_stub( array_merge( array_fill( 0, Relay_Spool::MAX_TRIES, 500 ), array( 202 ) ) );
		$this->relay_on( $backend );
		self::spool( 2 );
		for ( $i = 1; $i < Relay_Spool::MAX_TRIES; $i++ ) {
			$this->assertSame( 0, self::forward()['dropped'], "try $i keeps the hit" );
			$this->assertCount( 2, self::spooled() );
		}
		$last = self::forward();
		$this->assertSame( 1, $last['dropped'] );
		$this->assertCount( 1, self::spooled() );
		$this->assertSame( 1, self::forward()['sent'] );
		$this->assertSame( array(), self::spooled() );
	}

	public function test_an_unreachable_backend_loses_nothing_and_a_full_spool_drops_its_oldest_hits_with_a_count(): void {
		$socket = stream_socket_server( 'tcp://127.0.0.1:0' );
		$port   = (int) substr( strrchr( stream_socket_get_name( $socket, false ), ':' ), 1 );
		fclose( $socket ); // Nothing listens there: connections are refused.
		$this->relay_on( 'http://127.0.0.1:' . $port );
		self::spool( 3 );
		$result = self::forward();
		$this->assertSame( 0, $result['sent'] );
		$this->assertSame( 0, $result['dropped'] );
		$this->assertCount( 3, self::spooled() );
		$state = Relay_Spool::state( Relay::dir(), Relay_Spool::config( Relay::dir() ) );
		$this->assertStringStartsWith( 'backend unreachable', $state['lastError'] );

		// Over the bound: the forwarder cuts the oldest lines.
		$config = Relay_Spool::config( Relay::dir() );
		$line   = (string) wp_json_encode(
			array(
				'at'   => time(),
				'ip'   => '81.2.69.1',
				'ua'   => 'x',
				'type' => 'text/plain',
				'body' => str_repeat( 'a', 1000 ),
			)
		) . "\n";
		file_put_contents( Relay_Spool::spool_file( Relay::dir(), $config ), str_repeat( $line, (int) ( Relay_Spool::MAX_SPOOL_BYTES / strlen( $line ) ) + 100 ), FILE_APPEND );
		$result = self::forward();
		$this->assertGreaterThanOrEqual( 100, $result['dropped'] );
		$this->assertLessThanOrEqual( Relay_Spool::MAX_SPOOL_BYTES, filesize( Relay_Spool::spool_file( Relay::dir(), $config ) ) );
		$this->assertSame( $result['dropped'], Relay_Spool::state( Relay::dir(), $config )['dropped'] );
	}

	public function test_uninstall_removes_the_relay_folder_with_its_dotfiles(): void {
		$this->relay_on();
		self::spool( 1 );
		$this->assertFileExists( dirname( Relay::dir() ) . '/.htaccess' );
		Relay::delete_files();
		Relay::delete_files( true );
		$this->assertDirectoryDoesNotExist( Relay::dir() );
		$this->assertDirectoryDoesNotExist( Relay_Spool::base_dir() );
	}

	public function test_the_visitor_is_remote_addr_unless_it_is_a_trusted_proxy(): void {
		$forwarded = array(
			'REMOTE_ADDR'          => '10.0.0.2',
			'HTTP_X_FORWARDED_FOR' => '6.6.6.6, 81.2.69.142, 10.0.0.1',
		);
		$this->assertSame( '10.0.0.2', Relay_Spool::visitor_ip( $forwarded, array() ), 'no trusted proxy: X-Forwarded-For is ignored' );
		$this->assertSame( '10.0.0.2', Relay_Spool::visitor_ip( $forwarded, array( '10.0.0.9' ) ) );
		$this->assertSame( '81.2.69.142', Relay_Spool::visitor_ip( $forwarded, array( '10.0.0.2', '10.0.0.1' ) ), 'the right-most untrusted hop' );
		$this->assertSame( '10.0.0.2', Relay_Spool::visitor_ip( array( 'HTTP_X_FORWARDED_FOR' => 'junk' ) + $forwarded, array( '10.0.0.2' ) ) );
	}
}
