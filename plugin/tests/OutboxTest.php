<?php
/**
 * The outbox: backend writes that WordPress makes as a side effect (automatic annotations) are
 * queued and sent by WP-Cron, never during the request that caused them. Publishing with the
 * backend down returns at once and queues the note; the cron run retries with exponential backoff
 * and sends it once the backend is back; the queue is bounded and survives concurrent writes.
 *
 * @package Clickpath
 */

namespace Clickpath\Tests;

use Clickpath\Outbox;
use Clickpath\Settings;
use WP_Error;

final class OutboxTest extends TestCase {

	/** @var resource|null A php -S process this test started (the stand-in backend). */
	private $stub = null;

	private string $stub_log = '';

	protected function tearDown(): void {
		if ( is_resource( $this->stub ) ) {
			proc_terminate( $this->stub );
			proc_close( $this->stub );
		}
		if ( '' !== $this->stub_log ) {
			wp_delete_file( $this->stub_log );
		}
		delete_transient( 'doing_cron' );
		parent::tearDown();
	}

	/** Lets the time the queue waits pass: the next run may send now. */
	private static function time_passes(): void {
		$queue            = Outbox::read();
		$queue['retryAt'] = time() - 1;
		update_option( Outbox::OPTION, $queue, false );
		Outbox::resume();
	}

	/** Runs WP-Cron on the test site the way a visit spawns it: GET /wp-cron.php, which runs the due events. */
	private static function run_site_cron(): void {
		delete_transient( 'doing_cron' ); // wp-cron.php runs at most once a minute otherwise.
		$response = ( new HttpClient() )->get( '/wp-cron.php' );
		self::assertSame( 200, $response['status'], 'wp-cron.php' );
	}

	private static function free_port(): int {
		$socket = stream_socket_server( 'tcp://127.0.0.1:0' );
		$name   = stream_socket_get_name( $socket, false );
		fclose( $socket );
		return (int) substr( strrchr( $name, ':' ), 1 );
	}

	/** Starts the stand-in backend (support/backend-stub.php under php -S) and returns its URL. */
	private function start_stub_backend( int $port ): string {
		$this->stub_log = (string) tempnam( get_temp_dir(), 'clickpath-stub' );
		// phpcs:ignore WordPress.PHP.DiscouragedPHPFunctions.system_calls_proc_open -- the test starts its own stand-in backend.
		$this->stub = proc_open(
			array( PHP_BINARY, '-S', '127.0.0.1:' . $port, __DIR__ . '/support/backend-stub.php' ),
			array(
				0 => array( 'file', '/dev/null', 'r' ),
				1 => array( 'file', '/dev/null', 'w' ),
				2 => array( 'file', '/dev/null', 'w' ),
			),
			$pipes,
			null,
			array( 'CLICKPATH_STUB_LOG' => $this->stub_log )
		);
		$this->assertIsResource( $this->stub );
		for ( $i = 0; $i < 100; $i++ ) {
			$socket = @fsockopen( '127.0.0.1', $port, $errno, $errstr, 0.1 ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- refused until the server listens.
			if ( $socket ) {
				fclose( $socket );
				return 'http://127.0.0.1:' . $port;
			}
			usleep( 50000 );
		}
		$this->fail( 'the stand-in backend did not start' );
	}

	/** @return array<int, array<string, string>> What the stand-in backend received. */
	private function stub_requests(): array {
		$lines = array_filter( explode( "\n", (string) file_get_contents( $this->stub_log ) ) );
		return array_values( array_map( static fn ( $line ) => json_decode( $line, true ), $lines ) );
	}

	public function test_publishing_with_the_backend_down_returns_fast_and_the_cron_run_sends_the_note_once_it_is_back(): void {
		// A backend that accepts connections and never answers: a synchronous request would wait for its whole timeout.
		$hanging = stream_socket_server( 'tcp://127.0.0.1:0' );
		$port    = (int) substr( strrchr( stream_socket_get_name( $hanging, false ), ':' ), 1 );
		$this->connect_site( array( 'backendUrl' => 'http://127.0.0.1:' . $port ) );
		$this->backend->uninstall(); // real requests from here on
		$admin = ( new HttpClient() )->login( (string) getenv( 'CLICKPATH_WP_ADMIN_USER' ), (string) getenv( 'CLICKPATH_WP_ADMIN_PASSWORD' ) );
		$nonce = $admin->rest_nonce();

		// Publish through the block editor's REST call, in the site's own PHP process.
		$started  = microtime( true );
		$response = $admin->request(
			'POST',
			'/wp-json/wp/v2/posts',
			array(
				'Content-Type' => 'application/json',
				'X-WP-Nonce'   => $nonce,
			),
			(string) wp_json_encode(
				array(
					'title'   => 'Launch day',
					'status'  => 'publish',
					'content' => 'Hello.',
				)
			)
		);
		$seconds  = microtime( true ) - $started;
		$this->assertSame( 201, $response['status'], $response['body'] );
		$post_id          = (int) json_decode( $response['body'], true )['id'];
		$this->post_ids[] = $post_id;
		$this->assertLessThan( 2.0, $seconds, 'publishing waited for the backend' );
		$this->assertFalse( @stream_socket_accept( $hanging, 0 ), 'no connection to the backend during the request' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- times out with a warning when nobody connected.
		fclose( $hanging );

		$queue = Outbox::read();
		$this->assertCount( 1, $queue['entries'] );
		$entry = $queue['entries'][0];
		$this->assertSame( 'POST', $entry['method'] );
		$this->assertSame( 'sites/' . self::SITE_ID . '/annotations', $entry['path'] );
		$this->assertSame(
			array(
				'day'  => wp_date( 'Y-m-d' ),
				'text' => 'Published: Launch day',
			),
			$entry['body']
		);
		$this->assertSame( 0, $entry['attempts'] );
		$this->assertLessThanOrEqual( time(), wp_next_scheduled( Outbox::HOOK ), 'a cron run is due' );

		// The cron run while the backend is down (now refusing connections): kept, retried later.
		$before = time();
		self::run_site_cron();
		$queue = Outbox::read();
		$this->assertCount( 1, $queue['entries'], 'kept for later' );
		$this->assertSame( 1, $queue['entries'][0]['attempts'] );
		$this->assertSame( 1, $queue['failures'] );
		$this->assertGreaterThanOrEqual( $before + Outbox::FIRST_DELAY, $queue['retryAt'] );
		$this->assertLessThanOrEqual( time() + Outbox::FIRST_DELAY * 1.2, $queue['retryAt'] );
		$this->assertSame( $queue['retryAt'], wp_next_scheduled( Outbox::HOOK ), 'the next run waits for the backoff' );

		// The backend is back (on another port: the settings say where) and the backoff has passed.
		$url = $this->start_stub_backend( self::free_port() );
		Settings::save( array_merge( Settings::get(), array( 'backendUrl' => $url ) ) );
		self::time_passes();
		self::run_site_cron();
		$received = $this->stub_requests();
		$this->assertCount( 1, $received );
		$this->assertSame( 'POST', $received[0]['method'] );
		$this->assertSame( '/api/v1/sites/' . self::SITE_ID . '/annotations', $received[0]['uri'] );
		$this->assertSame( 'Bearer ' . self::key(), $received[0]['authorization'] );
		$this->assertSame( 'application/json', $received[0]['contentType'] );
		$this->assertSame( $entry['body'], json_decode( $received[0]['body'], true ) );
		$queue = Outbox::read();
		$this->assertSame( array(), $queue['entries'] );
		$this->assertSame( 0, $queue['failures'] );
		$this->assertFalse( wp_next_scheduled( Outbox::HOOK ), 'nothing left to run' );

		// A second run sends nothing again.
		Outbox::run();
		$this->assertCount( 1, $this->stub_requests() );
	}

	public function test_the_queue_is_bounded_and_keeps_the_newest(): void {
		$this->connect_site();
		for ( $i = 1; $i <= Outbox::MAX_ENTRIES + 5; $i++ ) {
			Outbox::add( 'POST', 'sites/' . self::SITE_ID . '/annotations', array( 'text' => "note $i" ) );
		}
		$queue = Outbox::read();
		$this->assertCount( Outbox::MAX_ENTRIES, $queue['entries'] );
		$this->assertSame( 'note 6', $queue['entries'][0]['body']['text'], 'the oldest five were pushed out' );
		$this->assertSame( 'note ' . ( Outbox::MAX_ENTRIES + 5 ), end( $queue['entries'] )['body']['text'] );
		$this->assertSame( 5, $queue['dropped'] );
		// The same request again is not queued twice.
		Outbox::add( 'POST', 'sites/' . self::SITE_ID . '/annotations', array( 'text' => 'note 50' ) );
		$this->assertCount( Outbox::MAX_ENTRIES, Outbox::read()['entries'] );
		$this->assertSame( 5, Outbox::read()['dropped'] );
		// Stored outside the autoloaded options: public pages do not load it.
		$this->assertAutoloaded( false, Outbox::OPTION );

		// One cron run sends a bounded batch and schedules the next run for the rest.
		$this->backend->on( 'POST', '#/annotations$#', FakeBackend::json( 201, array( 'id' => '65a1b2c3d4e5f60718293a4e' ) ) );
		Outbox::run();
		$this->assertCount( 20, $this->backend->calls );
		$this->assertCount( Outbox::MAX_ENTRIES - 20, Outbox::read()['entries'] );
		$this->assertLessThanOrEqual( time(), wp_next_scheduled( Outbox::HOOK ) );
	}

	public function test_failures_back_off_exponentially_and_an_entry_is_given_up_after_the_last_attempt(): void {
		$this->connect_site();
		$this->backend->on( 'POST', '#/annotations$#', new WP_Error( 'http_request_failed', 'cURL error 7: Failed to connect' ) );
		Outbox::add( 'POST', 'sites/' . self::SITE_ID . '/annotations', array( 'text' => 'first' ) );
		Outbox::add( 'POST', 'sites/' . self::SITE_ID . '/annotations', array( 'text' => 'second' ) );
		for ( $failures = 1; $failures < Outbox::MAX_ATTEMPTS; $failures++ ) {
			$calls = count( $this->backend->calls );
			$now   = time();
			Outbox::run();
			$this->assertCount( $calls + 1, $this->backend->calls, 'one try per run while the backend is down' );
			$queue = Outbox::read();
			$delay = (int) min( Outbox::MAX_DELAY, Outbox::FIRST_DELAY * 2 ** ( $failures - 1 ) );
			$this->assertSame( $failures, $queue['failures'] );
			$this->assertSame( $failures, $queue['entries'][0]['attempts'] );
			$this->assertSame( 0, $queue['entries'][1]['attempts'], 'the second waits its turn' );
			$this->assertGreaterThanOrEqual( $now + $delay, $queue['retryAt'], "delay after $failures failure(s)" );
			$this->assertLessThanOrEqual( time() + $delay * 1.2, $queue['retryAt'], "delay after $failures failure(s)" );
			$this->assertSame( $queue['retryAt'], wp_next_scheduled( Outbox::HOOK ) );
			// Before the delay is over a run sends nothing.
			Outbox::run();
			$this->assertCount( $calls + 1, $this->backend->calls, 'no try before the backoff is over' );
			self::time_passes();
		}
		Outbox::run();
		$queue = Outbox::read();
		$this->assertSame( array( 'second' ), array_map( static fn ( $entry ) => $entry['body']['text'], $queue['entries'] ), 'the first is given up' );
		$this->assertSame( 1, $queue['dropped'] );

		// Back: a refusal that will not change (400) is dropped and the run goes on; a success clears the backoff.
		Outbox::add( 'POST', 'sites/' . self::SITE_ID . '/annotations', array( 'text' => 'third' ) );
		$this->backend->on(
			'POST',
			'#/annotations$#',
			static fn ( $call ) => 'second' === $call['body']['text']
				? FakeBackend::json(
					400,
					array(
						'error' => array(
							'code'    => 'validation_failed',
							'message' => 'Bad',
						),
					)
				)
				: FakeBackend::json( 201, array( 'id' => '65a1b2c3d4e5f60718293a4e' ) )
		);
		self::time_passes();
		Outbox::run();
		$queue = Outbox::read();
		$this->assertSame( array(), $queue['entries'] );
		$this->assertSame( 2, $queue['dropped'] );
		$this->assertSame( 0, $queue['failures'] );
		$this->assertSame( 0, $queue['retryAt'] );
		$this->assertSame( array( 'second', 'third' ), array_map( static fn ( $call ) => $call['body']['text'], array_slice( $this->backend->calls, -2 ) ) );
	}

	public function test_a_rejected_key_or_a_server_error_is_retried_later(): void {
		$this->connect_site();
		Outbox::add( 'POST', 'sites/' . self::SITE_ID . '/annotations', array( 'text' => 'note' ) );
		foreach ( array( 401, 429, 500, 503 ) as $status ) {
			$this->backend->on( 'POST', '#/annotations$#', FakeBackend::json( $status, array() ) );
			self::time_passes();
			Outbox::run();
			$this->assertCount( 1, Outbox::read()['entries'], "HTTP $status" );
		}
		$this->assertSame( 4, Outbox::read()['entries'][0]['attempts'] );
	}

	public function test_entries_queued_while_a_run_sends_are_kept(): void {
		$this->connect_site();
		Outbox::add( 'POST', 'sites/' . self::SITE_ID . '/annotations', array( 'text' => 'first' ) );
		// While the run waits for the backend, a web request publishes a post and queues a note.
		$this->backend->on(
			'POST',
			'#/annotations$#',
			static function ( $call ) {
				if ( 'first' === $call['body']['text'] ) {
					Outbox::add( 'POST', 'sites/' . self::SITE_ID . '/annotations', array( 'text' => 'meanwhile' ) );
				}
				return FakeBackend::json( 201, array( 'id' => '65a1b2c3d4e5f60718293a4e' ) );
			}
		);
		Outbox::run();
		$this->assertSame( array( 'meanwhile' ), array_map( static fn ( $entry ) => $entry['body']['text'], Outbox::read()['entries'] ) );
		$this->assertLessThanOrEqual( time(), wp_next_scheduled( Outbox::HOOK ) );
	}

	public function test_entries_of_a_site_no_longer_connected_are_dropped_unsent(): void {
		$this->connect_site();
		Outbox::add( 'POST', 'sites/' . self::SITE_ID . '/annotations', array( 'text' => 'note' ) );
		$this->connect_site( array( 'siteId' => '65a1b2c3d4e5f60718293a99' ) );
		Outbox::run();
		$this->assertSame( array(), $this->backend->calls );
		$this->assertSame( array(), Outbox::read()['entries'] );

		Outbox::add( 'POST', 'sites/65a1b2c3d4e5f60718293a99/annotations', array( 'text' => 'note' ) );
		Settings::delete_api_key();
		Outbox::run();
		$this->assertSame( array(), $this->backend->calls );
		$this->assertSame( array(), Outbox::read()['entries'] );
		$this->assertFalse( wp_next_scheduled( Outbox::HOOK ) );
	}

	public function test_deactivation_unschedules_and_activation_resumes(): void {
		$this->connect_site();
		Outbox::add( 'POST', 'sites/' . self::SITE_ID . '/annotations', array( 'text' => 'note' ) );
		deactivate_plugins( 'clickpath/clickpath.php' );
		try {
			$this->assertFalse( wp_next_scheduled( Outbox::HOOK ) );
			$this->assertCount( 1, Outbox::read()['entries'], 'kept while deactivated' );
		} finally {
			$this->assertNull( activate_plugin( 'clickpath/clickpath.php' ) );
		}
		$this->assertLessThanOrEqual( time(), wp_next_scheduled( Outbox::HOOK ) );
	}
}
