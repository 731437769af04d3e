<?php
/**
 * Writes to the backend that happen as a side effect of something else (publishing a post,
 * updating a plugin) wait here and are sent by WP-Cron, so a slow or unreachable backend never
 * delays the request that caused them. The queue is a non-autoloaded option, bounded in size;
 * while the backend fails, sending backs off exponentially.
 *
 * @package Clickpath
 */

namespace Clickpath;

defined( 'ABSPATH' ) || exit;

final class Outbox {

	public const OPTION = 'clickpath_outbox';

	/** The WP-Cron event that sends the queue. */
	public const HOOK = 'clickpath_outbox_send';

	/** Entries kept at most; a new entry beyond this pushes the oldest out. */
	public const MAX_ENTRIES = 100;

	/** Failed tries after which an entry is given up. */
	public const MAX_ATTEMPTS = 10;

	/** Delay after the first failure, doubled after each further one up to MAX_DELAY (seconds). */
	public const FIRST_DELAY = 60;

	public const MAX_DELAY = 21600;

	/** One cron run sends at most this many entries, for at most TIME_BUDGET seconds. */
	private const BATCH = 20;

	private const TIME_BUDGET = 20;

	/** Held while a run sends, so two cron processes do not send the same entry twice. */
	private const LOCK = 'clickpath_outbox_lock';

	/**
	 * Queues a request to `/api/v1/<path>` of the connected site's backend and schedules a run.
	 * The same request already waiting is not queued twice.
	 *
	 * @param array<string, mixed> $body Sent as JSON.
	 */
	public static function add( string $method, string $path, array $body ): void {
		$queue = self::read();
		$id    = md5( $method . ' ' . $path . ' ' . wp_json_encode( $body ) );
		if ( in_array( $id, array_column( $queue['entries'], 'id' ), true ) ) {
			return;
		}
		$queue['entries'][] = array(
			'id'       => $id,
			'site'     => Settings::get()['siteId'],
			'method'   => $method,
			'path'     => $path,
			'body'     => $body,
			'queued'   => time(),
			'attempts' => 0,
		);

		$overflow = count( $queue['entries'] ) - self::MAX_ENTRIES;
		if ( $overflow > 0 ) {
			array_splice( $queue['entries'], 0, $overflow );
			$queue['dropped'] += $overflow;
		}
		self::write( $queue );
		self::schedule( max( time(), $queue['retryAt'] ) );
	}

	/**
	 * The queue as stored: entries oldest first, when the next try may happen, how many runs in a
	 * row failed, and how many entries were pushed out or given up.
	 *
	 * @return array{entries: array<int, array<string, mixed>>, retryAt: int, failures: int, dropped: int}
	 */
	public static function read(): array {
		// Read the database, not this request's copy: a cron run and a web request may both have written since.
		wp_cache_delete( self::OPTION, 'options' );
		$stored = get_option( self::OPTION, array() );
		$queue  = array(
			'entries'  => array(),
			'retryAt'  => 0,
			'failures' => 0,
			'dropped'  => 0,
		);
		return is_array( $stored ) ? array_merge( $queue, array_intersect_key( $stored, $queue ) ) : $queue;
	}

	/** Schedules a run for the entries left, e.g. after the plugin is activated again. */
	public static function resume(): void {
		$queue = self::read();
		if ( $queue['entries'] ) {
			self::schedule( max( time(), $queue['retryAt'] ) );
		}
	}

	/**
	 * The cron run: sends the due entries oldest first. A success removes the entry; a refusal
	 * that will not change (a 4xx other than 401, 408 and 429) drops it; any other failure stops
	 * the run and backs off, and an entry that failed MAX_ATTEMPTS times is given up.
	 */
	public static function run(): void {
		if ( get_transient( self::LOCK ) ) {
			// Another run is sending and schedules the next; this one is a fallback should it die.
			self::schedule( time() + 2 * self::TIME_BUDGET );
			return;
		}
		set_transient( self::LOCK, time(), 2 * self::TIME_BUDGET );
		try {
			self::send_due();
		} finally {
			delete_transient( self::LOCK );
		}
	}

	private static function send_due(): void {
		$queue = self::read();
		$now   = time();
		if ( ! $queue['entries'] || $queue['retryAt'] > $now ) {
			self::reschedule( $queue );
			return;
		}
		$client    = Backend::connected();
		$site      = Settings::get()['siteId'];
		$done      = array();
		$dropped   = 0;
		$tried     = 0;
		$backoff   = false;
		$failed_id = '';
		$start     = microtime( true );
		foreach ( $queue['entries'] as $entry ) {
			if ( is_wp_error( $client ) || $entry['site'] !== $site ) {
				// Disconnected, or connected to another site since: the request has nowhere to go.
				$done[] = $entry['id'];
				++$dropped;
				continue;
			}
			if ( $tried >= self::BATCH || microtime( true ) - $start > self::TIME_BUDGET ) {
				break;
			}
			++$tried;
			$response = $client->request( $entry['method'], $entry['path'], array(), $entry['body'] );
			$status   = is_wp_error( $response ) ? 0 : $response['status'];
			if ( $status >= 200 && $status < 300 ) {
				$done[] = $entry['id'];
				continue;
			}
			$retry = 0 === $status || $status >= 500 || in_array( $status, array( 401, 408, 429 ), true );
			if ( $retry && $entry['attempts'] + 1 < self::MAX_ATTEMPTS ) {
				$failed_id = $entry['id'];
			} else {
				self::log( $entry, is_wp_error( $response ) ? $response->get_error_message() : 'HTTP ' . $status );
				$done[] = $entry['id'];
				++$dropped;
			}
			if ( $retry ) {
				// Unreachable, failing or refusing the key: stop here and try again later.
				$backoff = true;
				break;
			}
		}

		// Merge into what is stored now, so entries that web requests queued meanwhile stay.
		$latest             = self::read();
		$latest['entries']  = array_values( array_filter( $latest['entries'], static fn ( $entry ) => ! in_array( $entry['id'], $done, true ) ) );
		$latest['dropped'] += $dropped;
		foreach ( $latest['entries'] as &$entry ) {
			if ( $entry['id'] === $failed_id ) {
				++$entry['attempts'];
			}
		}
		unset( $entry );
		$latest['failures'] = $backoff ? $queue['failures'] + 1 : 0;
		$latest['retryAt']  = $backoff ? $now + self::delay( $latest['failures'] ) : 0;
		self::write( $latest );
		self::reschedule( $latest );
	}

	/** Seconds to wait after `$failures` failed runs in a row: 1, 2, 4… minutes up to 6 hours, plus up to 20 % jitter. */
	private static function delay( int $failures ): int {
		$delay = (int) min( self::MAX_DELAY, self::FIRST_DELAY * 2 ** min( 20, max( 0, $failures - 1 ) ) );
		return $delay + wp_rand( 0, intdiv( $delay, 5 ) );
	}

	/** @param array{entries: array<int, array<string, mixed>>, retryAt: int} $queue */
	private static function reschedule( array $queue ): void {
		wp_clear_scheduled_hook( self::HOOK );
		if ( $queue['entries'] ) {
			wp_schedule_single_event( max( time(), $queue['retryAt'] ), self::HOOK );
		}
	}

	/** Moves the run to `$at` unless one is already due by then. */
	private static function schedule( int $at ): void {
		$next = wp_next_scheduled( self::HOOK );
		if ( false !== $next && $next <= $at ) {
			return;
		}
		wp_clear_scheduled_hook( self::HOOK );
		wp_schedule_single_event( $at, self::HOOK );
	}

	/** @param array{entries: array<int, array<string, mixed>>, retryAt: int, failures: int, dropped: int} $queue */
	private static function write( array $queue ): void {
		// Never autoloaded: public pages do not need it.
		if ( false === get_option( self::OPTION, false ) ) {
			add_option( self::OPTION, $queue, '', false );
		} else {
			update_option( self::OPTION, $queue, false );
		}
	}

	/** @param array<string, mixed> $entry */
	private static function log( array $entry, string $reason ): void {
		if ( defined( 'WP_DEBUG_LOG' ) && WP_DEBUG_LOG ) {
			// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- only with WP_DEBUG_LOG on: the administrator asked for a log.
			error_log( sprintf( 'Clickpath: gave up sending %s %s after %d attempt(s): %s', $entry['method'], $entry['path'], $entry['attempts'] + 1, $reason ) );
		}
	}
}
