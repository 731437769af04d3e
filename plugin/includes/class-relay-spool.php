<?php
/**
 * The first-party relay's hot path and forwarder, in plain PHP: relay.php runs it without booting
 * WordPress, and the WP-Cron job (Relay::run) runs the same forwarder. A hit is appended to a
 * spool file under a lock and answered 202; forwarding signs each hit's visitor IP and user agent
 * with the site's relay secret and removes a line only once the backend accepted it (2xx).
 *
 * Everything lives in <wp-content>/clickpath-relay/<blog id>/: config.php (written by Relay, a PHP
 * file that returns an array and prints nothing), the spool and state files (random names), a
 * deny-all .htaccess and an empty index.php.
 *
 * @package Clickpath
 */

namespace Clickpath;

defined( 'ABSPATH' ) || defined( 'CLICKPATH_RELAY' ) || exit;

final class Relay_Spool {

	/** Largest hit accepted, as the backend's collector. */
	public const MAX_BODY_BYTES = 65536;

	/** The spool is cut back to this size, oldest hits first, by the forwarder. */
	public const MAX_SPOOL_BYTES = 8 * 1024 * 1024;

	/** The hot path refuses hits once the spool is this large (the forwarder is not keeping up at all). */
	private const HARD_SPOOL_BYTES = 2 * self::MAX_SPOOL_BYTES;

	/** A line the backend keeps failing with a 5xx other than 503 is dropped after this many tries. */
	public const MAX_TRIES = 5;

	/** Backoff after the first failed run, doubled after each further one (seconds). */
	private const FIRST_DELAY = 15;

	private const MAX_DELAY = 3600;

	private const MAX_USER_AGENT = 1000;

	/** Where every blog's relay folder lives: beside the plugins folder, so relay.php finds it without WordPress. */
	public static function base_dir(): string {
		return dirname( __DIR__, 3 ) . '/clickpath-relay';
	}

	public static function dir_for( int $blog_id ): string {
		return self::base_dir() . '/' . $blog_id;
	}

	/**
	 * The relay's config for a blog, or null when it has none.
	 *
	 * @return array{enabled: bool, backend: string, publicId: string, secret: string, token: string, trustedProxies: array<int, string>}|null
	 */
	public static function config( string $dir ): ?array {
		$file = $dir . '/config.php';
		if ( ! is_file( $file ) ) {
			return null;
		}
		$config = include $file;
		return is_array( $config ) && isset( $config['backend'], $config['publicId'], $config['secret'], $config['token'] ) ? $config : null;
	}

	/** @param array{token: string} $config */
	public static function spool_file( string $dir, array $config ): string {
		return $dir . '/hits-' . $config['token'] . '.ndjson';
	}

	/** @param array{token: string} $config */
	private static function state_file( string $dir, array $config ): string {
		return $dir . '/state-' . $config['token'] . '.json';
	}

	/**
	 * relay.php: stores one hit and answers 202 at once; returns the exit status. Under PHP-FPM or
	 * LiteSpeed the response is finished first and the spool forwarded in the same process.
	 */
	public static function serve(): int {
		// phpcs:disable WordPress.Security.NonceVerification, WordPress.Security.ValidatedSanitizedInput -- no WordPress here: every input is validated below by hand, and a visitor's hit carries no nonce.
		if ( 'POST' !== ( $_SERVER['REQUEST_METHOD'] ?? '' ) ) {
			header( 'Allow: POST' );
			return self::answer( 405 );
		}
		$blog   = isset( $_GET['b'] ) && is_string( $_GET['b'] ) && preg_match( '/^[1-9]\d{0,9}$/', $_GET['b'] ) ? (int) $_GET['b'] : 1;
		$dir    = self::dir_for( $blog );
		$config = self::config( $dir );
		if ( null === $config || ! $config['enabled'] ) {
			return self::answer( 404 );
		}
		$type = strtolower( trim( explode( ';', (string) ( $_SERVER['CONTENT_TYPE'] ?? '' ) )[0] ) );
		if ( 'text/plain' !== $type && 'application/json' !== $type ) {
			return self::answer( 415 );
		}
		$body = (string) file_get_contents( 'php://input', false, null, 0, self::MAX_BODY_BYTES + 1 );
		if ( strlen( $body ) > self::MAX_BODY_BYTES ) {
			return self::answer( 413 );
		}
		// Only this site's hits: junk from elsewhere never fills the spool.
		if ( ! str_contains( $body, '"s":"' . $config['publicId'] . '"' ) ) {
			return self::answer( 400 );
		}
		$hit = array(
			'at'   => time(),
			'ip'   => self::visitor_ip( $_SERVER, $config['trustedProxies'] ),
			'ua'   => self::printable( (string) ( $_SERVER['HTTP_USER_AGENT'] ?? '' ) ),
			'dnt'  => '1' === ( $_SERVER['HTTP_DNT'] ?? '' ) || '1' === ( $_SERVER['HTTP_SEC_GPC'] ?? '' ),
			'type' => $type,
			'body' => $body,
		);
		// phpcs:enable
		if ( ! self::append( $dir, $config, $hit ) ) {
			return self::answer( 503 );
		}
		// Queued, not yet accepted by the server: the settings screen's self-test reads this.
		self::answer( 202, '{"queued":1}' );
		if ( function_exists( 'fastcgi_finish_request' ) ) {
			fastcgi_finish_request();
		} elseif ( function_exists( 'litespeed_finish_request' ) ) {
			litespeed_finish_request();
		} else {
			// php -S, mod_php: forwarding here would delay the visitor's response; WP-Cron does it.
			return 0;
		}
		self::forward( $dir, $config, 50, 5.0 );
		return 0;
	}

	/**
	 * Appends one hit under an exclusive lock. False when it could not be stored (disk, permissions)
	 * or the spool is at its hard limit.
	 *
	 * @param array{token: string} $config
	 * @param array<string, mixed> $hit
	 */
	public static function append( string $dir, array $config, array $hit ): bool {
		$file = self::spool_file( $dir, $config );
		if ( @filesize( $file ) > self::HARD_SPOOL_BYTES ) { // phpcs:ignore WordPress.PHP.NoSilencedErrors -- a missing spool is an empty one.
			return false;
		}
		$line = json_encode( $hit, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE ); // phpcs:ignore WordPress.WP.AlternativeFunctions.json_encode_json_encode -- no WordPress on the hot path.
		return false !== $line && false !== file_put_contents( $file, $line . "\n", FILE_APPEND | LOCK_EX ); // phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_file_put_contents -- an append under flock; WP_Filesystem cannot lock.
	}

	/**
	 * The visitor's address: REMOTE_ADDR, unless that is one of the site's trusted proxies; then the
	 * right-most X-Forwarded-For address that is not a trusted proxy (the left part is client-written).
	 *
	 * @param array<string, mixed> $server
	 * @param array<int, string>   $trusted
	 */
	public static function visitor_ip( array $server, array $trusted ): string {
		$remote = (string) ( $server['REMOTE_ADDR'] ?? '' );
		if ( ! in_array( $remote, $trusted, true ) || empty( $server['HTTP_X_FORWARDED_FOR'] ) ) {
			return $remote;
		}
		$chain = array_reverse( array_map( 'trim', explode( ',', substr( (string) $server['HTTP_X_FORWARDED_FOR'], 0, 1000 ) ) ) );
		foreach ( $chain as $address ) {
			if ( ! in_array( $address, $trusted, true ) ) {
				return false === filter_var( $address, FILTER_VALIDATE_IP ) ? $remote : $address;
			}
		}
		return $remote;
	}

	/** Printable ASCII only, capped: the string is signed byte for byte and sent in a header. */
	private static function printable( string $text ): string {
		return substr( (string) preg_replace( '/[^\x20-\x7e]/', '', $text ), 0, self::MAX_USER_AGENT );
	}

	private static function answer( int $status, string $json = '' ): int {
		http_response_code( $status );
		header( 'Cache-Control: no-store' );
		header( 'Content-Length: ' . strlen( $json ) );
		if ( '' !== $json ) {
			header( 'Content-Type: application/json' );
			echo $json; // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- a constant JSON document.
		}
		return 0;
	}

	/**
	 * The forwarder's bookkeeping: when the next try may happen, failed runs in a row, tries of the
	 * first line, and totals of hits forwarded, dropped (refused, or pushed out of a full spool) and
	 * forwarded but not trusted by the backend (a rotated or mistyped secret).
	 *
	 * @param array{token: string} $config
	 * @return array{retryAt: int, failures: int, headTries: int, forwarded: int, dropped: int, ignored: int, lastError: string}
	 */
	public static function state( string $dir, array $config ): array {
		$state  = array(
			'retryAt'   => 0,
			'failures'  => 0,
			'headTries' => 0,
			'forwarded' => 0,
			'dropped'   => 0,
			'ignored'   => 0,
			'lastError' => '',
		);
		$stored = is_file( self::state_file( $dir, $config ) ) ? json_decode( (string) file_get_contents( self::state_file( $dir, $config ) ), true ) : null; // phpcs:ignore WordPress.WP.AlternativeFunctions.file_get_contents_file_get_contents -- a local file.
		return is_array( $stored ) ? array_merge( $state, array_intersect_key( $stored, $state ) ) : $state;
	}

	/**
	 * Forgets the forwarder's counts and backoff (the relay was turned on again).
	 *
	 * @param array{token: string} $config
	 */
	public static function reset_state( string $dir, array $config ): void {
		if ( is_file( self::state_file( $dir, $config ) ) ) {
			unlink( self::state_file( $dir, $config ) ); // phpcs:ignore WordPress.WP.AlternativeFunctions.unlink_unlink -- also used without WordPress.
		}
	}

	/**
	 * Sends up to `$max_lines` spooled hits, oldest first, for at most `$budget` seconds, one at a
	 * time on one kept-alive connection. A 2xx removes the line; a refusal that will not change (a
	 * 4xx other than 408 and 429) drops it with a count; 408, 429, 503 and an unreachable backend
	 * stop the run and back off without counting against the line; another 5xx does both, and the
	 * line is dropped after MAX_TRIES. Only one forwarder runs at a time (a lock file).
	 *
	 * @param array{backend: string, publicId: string, secret: string, token: string} $config
	 * @return array{sent: int, dropped: int, left: bool}|null Null when another run holds the lock or the backoff has not passed.
	 */
	public static function forward( string $dir, array $config, int $max_lines, float $budget, bool $ignore_backoff = false ): ?array {
		// phpcs:disable WordPress.WP.AlternativeFunctions -- plain file locking and reading: relay.php has no WordPress.
		$lock = @fopen( $dir . '/forward.lock', 'c' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- a missing folder means nothing to send.
		if ( false === $lock || ! flock( $lock, LOCK_EX | LOCK_NB ) ) {
			return null;
		}
		try {
			$state = self::state( $dir, $config );
			if ( ! $ignore_backoff && $state['retryAt'] > time() ) {
				return null;
			}
			$file     = self::spool_file( $dir, $config );
			$spool    = @fopen( $file, 'r' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- no spool yet: nothing to send.
			$consumed = 0;
			$sent     = 0;
			$dropped  = 0;
			$failed   = false;
			$start    = microtime( true );
			$http     = curl_init();
			while ( $spool && $sent + $dropped < $max_lines && microtime( true ) - $start < $budget ) {
				$line = fgets( $spool, 4 * self::MAX_BODY_BYTES );
				if ( false === $line || ! str_ends_with( $line, "\n" ) ) {
					break; // The end, or a line still being written.
				}
				$hit = json_decode( $line, true );
				if ( ! is_array( $hit ) || ! isset( $hit['ip'], $hit['ua'], $hit['body'], $hit['type'] ) ) {
					$consumed += strlen( $line );
					++$dropped;
					continue;
				}
				list( $status, $trusted ) = self::send( $http, $config, $hit );
				if ( $status >= 200 && $status < 300 ) {
					$consumed += strlen( $line );
					++$sent;
					$state['ignored']  += $trusted ? 0 : 1;
					$state['headTries'] = 0;
					continue;
				}
				$state['lastError'] = 0 === $status ? 'backend unreachable: ' . curl_error( $http ) : 'HTTP ' . $status;
				$transient          = in_array( $status, array( 0, 408, 429, 503 ), true );
				$counts             = ! $transient && $status >= 500;
				if ( ( $status >= 400 && $status < 500 && ! $transient ) || ( $counts && $state['headTries'] + 1 >= self::MAX_TRIES ) ) {
					$consumed          += strlen( $line );
					$state['headTries'] = 0;
					++$dropped;
					self::log( sprintf( 'Clickpath relay: dropped a hit the backend refused (%s).', $state['lastError'] ) );
					if ( ! $counts ) {
						continue;
					}
				} elseif ( $counts ) {
					++$state['headTries'];
				}
				$failed = true;
				break;
			}
			curl_close( $http );
			if ( $spool ) {
				fclose( $spool );
			}
			$left = self::remove_head( $file, $consumed );

			$state['dropped']  += $dropped + $left['dropped'];
			$state['forwarded'] = $state['forwarded'] + $sent;
			$state['failures']  = $failed ? $state['failures'] + 1 : 0;
			$state['retryAt']   = $failed ? time() + (int) min( self::MAX_DELAY, self::FIRST_DELAY * 2 ** min( 20, $state['failures'] - 1 ) ) : 0;
			self::save_state( $dir, $config, $state );
			return array(
				'sent'    => $sent,
				'dropped' => $dropped + $left['dropped'],
				'left'    => $left['bytes'] > 0,
			);
		} finally {
			flock( $lock, LOCK_UN );
			fclose( $lock );
		}
		// phpcs:enable
	}

	/**
	 * POSTs one hit's body unchanged to the collector with the signed visitor headers; returns the
	 * HTTP status (0 when the backend could not be reached) and whether the backend trusted the
	 * headers (it ignores them when the signature does not verify: a rotated or mistyped secret).
	 *
	 * @param \CurlHandle          $http
	 * @param array<string, mixed> $config
	 * @param array<string, mixed> $hit
	 * @return array{0: int, 1: bool}
	 */
	private static function send( $http, array $config, array $hit ): array {
		$time = (string) time();
		$ip   = (string) $hit['ip'];
		$ua   = (string) $hit['ua'];
		$body = (string) $hit['body'];
		// Signed at send time, so a hit queued through an outage is still fresh when it arrives.
		$signature = hash_hmac( 'sha256', implode( "\n", array( 'v1', $config['publicId'], $time, $ip, $ua, hash( 'sha256', $body ) ) ), $config['secret'] );
		$headers   = array(
			'Content-Type: ' . $hit['type'],
			'User-Agent: Clickpath-Relay/1',
			'X-Clickpath-Relay-Ip: ' . $ip,
			'X-Clickpath-Relay-Ua: ' . $ua,
			'X-Clickpath-Relay-Time: ' . $time,
			'X-Clickpath-Relay-Signature: ' . $signature,
			'Expect:',
		);
		if ( ! empty( $hit['dnt'] ) ) {
			$headers[] = 'DNT: 1';
		}
		// phpcs:disable WordPress.WP.AlternativeFunctions.curl_curl_setopt_array, WordPress.WP.AlternativeFunctions.curl_curl_exec, WordPress.WP.AlternativeFunctions.curl_curl_getinfo -- relay.php runs without WordPress's HTTP API; one handle keeps the connection alive across a batch.
		curl_setopt_array(
			$http,
			array(
				CURLOPT_URL            => $config['backend'] . '/api/event',
				CURLOPT_POST           => true,
				CURLOPT_POSTFIELDS     => $body,
				CURLOPT_HTTPHEADER     => $headers,
				CURLOPT_RETURNTRANSFER => true,
				CURLOPT_FOLLOWLOCATION => false,
				CURLOPT_CONNECTTIMEOUT => 3,
				CURLOPT_TIMEOUT        => 8,
				CURLOPT_PROTOCOLS      => CURLPROTO_HTTP | CURLPROTO_HTTPS,
			)
		);
		$answer = curl_exec( $http );
		$status = false === $answer ? 0 : (int) curl_getinfo( $http, CURLINFO_RESPONSE_CODE );
		// phpcs:enable
		return array( $status, ! ( is_string( $answer ) && str_contains( $answer, '"relay":"ignored"' ) ) );
	}

	/**
	 * Removes the first `$consumed` bytes of the spool under the same lock appends take, and cuts
	 * what is left to MAX_SPOOL_BYTES, oldest lines first.
	 *
	 * @return array{bytes: int, dropped: int} What is left, and the lines pushed out.
	 */
	private static function remove_head( string $file, int $consumed ): array {
		// phpcs:disable WordPress.WP.AlternativeFunctions -- the spool is rewritten under flock, which WP_Filesystem cannot take.
		$handle = @fopen( $file, 'r+' ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- no spool: nothing left.
		if ( false === $handle ) {
			return array(
				'bytes'   => 0,
				'dropped' => 0,
			);
		}
		flock( $handle, LOCK_EX );
		fseek( $handle, $consumed );
		$rest    = (string) stream_get_contents( $handle );
		$dropped = 0;
		if ( strlen( $rest ) > self::MAX_SPOOL_BYTES ) {
			$cut     = strpos( $rest, "\n", strlen( $rest ) - self::MAX_SPOOL_BYTES );
			$cut     = false === $cut ? strlen( $rest ) : $cut + 1;
			$dropped = substr_count( $rest, "\n", 0, $cut );
			$rest    = substr( $rest, $cut );
			self::log( sprintf( 'Clickpath relay: the spool was full; dropped the %d oldest hits.', $dropped ) );
		}
		if ( $consumed > 0 || $dropped > 0 ) {
			ftruncate( $handle, 0 );
			rewind( $handle );
			fwrite( $handle, $rest );
			fflush( $handle );
		}
		flock( $handle, LOCK_UN );
		fclose( $handle );
		// phpcs:enable
		return array(
			'bytes'   => strlen( $rest ),
			'dropped' => $dropped,
		);
	}

	/** @param array<string, mixed> $state */
	private static function save_state( string $dir, array $config, array $state ): void {
		$file = self::state_file( $dir, $config );
		// Written beside and renamed, so a reader never sees half a file.
		if ( false !== file_put_contents( $file . '.tmp', (string) json_encode( $state ) ) ) { // phpcs:ignore WordPress.WP.AlternativeFunctions -- no WordPress on the hot path.
			rename( $file . '.tmp', $file ); // phpcs:ignore WordPress.WP.AlternativeFunctions.rename_rename -- atomic replace.
		}
	}

	private static function log( string $message ): void {
		// Inside WordPress, only with WP_DEBUG_LOG on; in relay.php, the server's error log (no WordPress to ask).
		if ( ! defined( 'ABSPATH' ) || ( defined( 'WP_DEBUG_LOG' ) && WP_DEBUG_LOG ) ) {
			error_log( $message ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log -- a dropped hit must leave a trace for the administrator.
		}
	}
}
