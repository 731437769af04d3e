<?php
/**
 * The first-party relay, WordPress side: turning it on (a relay secret from the backend, the
 * config relay.php reads), the tracker's endpoint while it is on, and the WP-Cron job that
 * forwards the spool every minute. The hot path and the forwarder are in Relay_Spool.
 *
 * @package Clickpath
 */

namespace Clickpath;

use WP_Error;

defined( 'ABSPATH' ) || exit;

final class Relay {

	/** The WP-Cron event that forwards the spool. */
	public const HOOK = 'clickpath_relay_forward';

	public const SCHEDULE = 'clickpath_minute';

	/** One cron run forwards at most this many hits, for at most TIME_BUDGET seconds. */
	private const BATCH = 5000;

	private const TIME_BUDGET = 20.0;

	/** @param array<string, array<string, mixed>> $schedules */
	public static function cron_schedules( array $schedules ): array {
		$schedules[ self::SCHEDULE ] = array(
			'interval' => MINUTE_IN_SECONDS,
			'display'  => __( 'Every minute (Clickpath relay)', 'clickpath' ),
		);
		return $schedules;
	}

	public static function dir(): string {
		return Relay_Spool::dir_for( get_current_blog_id() );
	}

	/** Where the tracker posts while the relay is on: relay.php, on this site's own domain. */
	public static function endpoint(): string {
		$url = plugins_url( 'relay.php', CLICKPATH_FILE );
		return is_multisite() ? add_query_arg( 'b', get_current_blog_id(), $url ) : $url;
	}

	/**
	 * Brings the relay in line with `$settings`: on, it needs a connection with the sites:manage
	 * scope, gets a relay secret the first time (or after the connection changed) and writes the
	 * config; off, relay.php stops taking hits while the cron job still sends what is spooled.
	 *
	 * @param array<string, mixed> $settings
	 */
	public static function apply( array $settings ): bool|WP_Error {
		$dir     = self::dir();
		$current = Relay_Spool::config( $dir );
		if ( ! $settings['relay'] ) {
			if ( $current && $current['enabled'] ) {
				return self::write_config( $dir, array( 'enabled' => false ) + $current );
			}
			return true;
		}
		$client = Backend::connected();
		if ( is_wp_error( $client ) ) {
			return $client;
		}
		if ( ! in_array( 'sites:manage', $settings['scopes'], true ) ) {
			return new WP_Error(
				'clickpath_key_scope',
				__( 'The first-party relay needs an API key with the sites:manage scope: the Clickpath server issues the relay’s secret only to such a key.', 'clickpath' ),
				array( 'status' => 403 )
			);
		}
		// Saving while it is on keeps the secret; turning it on (again) or a new connection gets a new one.
		$secret = $current && $current['enabled'] && $current['backend'] === $settings['backendUrl'] && $current['publicId'] === $settings['publicId'] ? $current['secret'] : '';
		if ( '' === $secret ) {
			$issued = Backend::result( $client->request( 'POST', 'sites/' . rawurlencode( $settings['siteId'] ) . '/relay-secret' ) );
			if ( is_wp_error( $issued ) ) {
				return $issued;
			}
			if ( ! is_object( $issued ) || ! isset( $issued->secret ) || ! is_string( $issued->secret ) ) {
				return new WP_Error( 'clickpath_relay_secret', __( 'The Clickpath server did not issue a relay secret. Is it up to date?', 'clickpath' ), array( 'status' => 502 ) );
			}
			$secret = $issued->secret;
			if ( $current ) {
				// A fresh start: the counts shown in the settings screen were about the old secret.
				Relay_Spool::reset_state( $dir, $current );
			}
		}
		$written = self::write_config(
			$dir,
			array(
				'enabled'        => true,
				'backend'        => (string) $settings['backendUrl'],
				'publicId'       => (string) $settings['publicId'],
				'secret'         => $secret,
				'token'          => $current['token'] ?? bin2hex( random_bytes( 16 ) ),
				'trustedProxies' => self::trusted_proxies(),
			)
		);
		if ( true === $written && ! wp_next_scheduled( self::HOOK ) ) {
			wp_schedule_event( time() + MINUTE_IN_SECONDS, self::SCHEDULE, self::HOOK );
		}
		return $written;
	}

	/**
	 * Addresses of the reverse proxies in front of this site (constant CLICKPATH_RELAY_TRUSTED_PROXIES
	 * in wp-config.php, comma-separated). Only from these is X-Forwarded-For believed; without them
	 * the visitor is REMOTE_ADDR, which nobody can forge.
	 *
	 * @return array<int, string>
	 */
	private static function trusted_proxies(): array {
		$listed = defined( 'CLICKPATH_RELAY_TRUSTED_PROXIES' ) && is_string( CLICKPATH_RELAY_TRUSTED_PROXIES ) ? explode( ',', CLICKPATH_RELAY_TRUSTED_PROXIES ) : array();
		return array_values( array_filter( array_map( 'trim', $listed ), static fn ( $ip ) => false !== filter_var( $ip, FILTER_VALIDATE_IP ) ) );
	}

	/**
	 * Writes config.php (and the folder's guards) atomically.
	 *
	 * @param array<string, mixed> $config
	 */
	private static function write_config( string $dir, array $config ): bool|WP_Error {
		$failed = new WP_Error(
			'clickpath_relay_folder',
			/* translators: %s: a folder path */
			sprintf( __( 'The first-party relay needs a folder it can write: %s. Make wp-content writable by the web server, or leave the relay off.', 'clickpath' ), $dir ),
			array( 'status' => 500 )
		);
		if ( ! wp_mkdir_p( $dir ) ) {
			return $failed;
		}
		// phpcs:disable WordPress.WP.AlternativeFunctions -- relay.php reads these without WordPress; WP_Filesystem may not be direct.
		$guards = array(
			dirname( $dir ) . '/.htaccess' => "Require all denied\n<IfModule !mod_authz_core.c>\nDeny from all\n</IfModule>\n",
			dirname( $dir ) . '/index.php' => "<?php\n// Silence.\n",
			$dir . '/index.php'            => "<?php\n// Silence.\n",
		);
		foreach ( $guards as $file => $content ) {
			if ( ! is_file( $file ) && false === file_put_contents( $file, $content ) ) {
				return $failed;
			}
		}
		$php = "<?php\n// The Clickpath plugin's first-party relay config (relay.php reads it). Prints nothing.\nreturn " . var_export( $config, true ) . ";\n"; // phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_var_export -- writes PHP source, not debug output.
		$tmp = $dir . '/config.php.' . bin2hex( random_bytes( 4 ) );
		if ( false === file_put_contents( $tmp, $php ) || ! chmod( $tmp, 0640 ) || ! rename( $tmp, $dir . '/config.php' ) ) {
			@unlink( $tmp ); // phpcs:ignore WordPress.PHP.NoSilencedErrors -- it may not exist.
			return $failed;
		}
		// phpcs:enable
		if ( function_exists( 'opcache_invalidate' ) ) {
			// relay.php includes the config: a cached copy of the old one would keep the old secret.
			opcache_invalidate( $dir . '/config.php', true );
		}
		return true;
	}

	/**
	 * Before WordPress answers a Realtime read (the stats page, the settings screen's self-test),
	 * forwards what the relay holds, briefly, so hits just spooled show up there now rather than
	 * after the next cron run. The backoff after a failure still applies.
	 *
	 * @param mixed            $result
	 * @param \WP_REST_Server  $server
	 * @param \WP_REST_Request $request
	 * @return mixed
	 */
	public static function before_realtime( $result, $server, $request ) {
		if ( null === $result && '/clickpath/v1/stats/realtime' === $request->get_route() && Settings::get()['relay'] && current_user_can( Plugin::STATS_CAPABILITY ) ) {
			$config = Relay_Spool::config( self::dir() );
			if ( $config ) {
				Relay_Spool::forward( self::dir(), $config, 200, 2.0 );
			}
		}
		return $result;
	}

	/**
	 * What an administrator should know about the relay, for the settings screen: missing files,
	 * hits waiting because the server fails, hits dropped, hits the server did not trust.
	 *
	 * @return array<int, string>
	 */
	public static function warnings(): array {
		$dir    = self::dir();
		$config = Relay_Spool::config( $dir );
		if ( null === $config ) {
			return array( __( 'The first-party relay’s files are missing (wp-content/clickpath-relay/). Save the settings again to write them.', 'clickpath' ) );
		}
		$state    = Relay_Spool::state( $dir, $config );
		$spool    = Relay_Spool::spool_file( $dir, $config );
		$waiting  = is_file( $spool ) ? substr_count( (string) file_get_contents( $spool ), "\n" ) : 0; // phpcs:ignore WordPress.WP.AlternativeFunctions.file_get_contents_file_get_contents -- a local file of at most 16 MB.
		$warnings = array();
		if ( $state['failures'] > 0 && $waiting > 0 ) {
			$warnings[] = sprintf(
				/* translators: 1: a number of hits, 2: an error such as "HTTP 503" */
				_n( 'The first-party relay could not forward %1$d hit to the Clickpath server (%2$s). It keeps it and tries again.', 'The first-party relay could not forward %1$d hits to the Clickpath server (%2$s). It keeps them and tries again.', $waiting, 'clickpath' ),
				$waiting,
				$state['lastError']
			);
		}
		if ( $state['dropped'] > 0 ) {
			$warnings[] = sprintf(
				/* translators: %d: a number of hits */
				_n( 'The first-party relay dropped %d hit: the Clickpath server refused it, or the relay’s queue was full.', 'The first-party relay dropped %d hits: the Clickpath server refused them, or the relay’s queue was full.', $state['dropped'], 'clickpath' ),
				$state['dropped']
			);
		}
		if ( $state['ignored'] > 0 ) {
			$warnings[] = sprintf(
				/* translators: %d: a number of hits */
				_n( 'The Clickpath server did not trust the visitor’s address and browser of %d relayed hit: its relay secret changed. Turn the first-party relay off and on again.', 'The Clickpath server did not trust the visitors’ addresses and browsers of %d relayed hits: its relay secret changed. Turn the first-party relay off and on again.', $state['ignored'], 'clickpath' ),
				$state['ignored']
			);
		}
		return $warnings;
	}

	/** Schedules the forwarder again after an activation, when a relay config (and maybe a spool) exists. */
	public static function resume(): void {
		if ( Relay_Spool::config( self::dir() ) && ! wp_next_scheduled( self::HOOK ) ) {
			wp_schedule_event( time(), self::SCHEDULE, self::HOOK );
		}
	}

	/**
	 * The cron run: forwards a batch. Once the relay is off and the spool is empty, it unschedules itself.
	 *
	 * @param bool $ignore_backoff Also send while backing off after a failure (tests; the cron passes nothing).
	 * @return array{sent: int, dropped: int, left: bool}|null
	 */
	public static function run( bool $ignore_backoff = false ): ?array {
		$dir    = self::dir();
		$config = Relay_Spool::config( $dir );
		if ( null === $config ) {
			wp_clear_scheduled_hook( self::HOOK );
			return null;
		}
		$result = Relay_Spool::forward( $dir, $config, self::BATCH, self::TIME_BUDGET, $ignore_backoff );
		if ( ! $config['enabled'] && $result && ! $result['left'] ) {
			wp_clear_scheduled_hook( self::HOOK );
		}
		return $result;
	}

	/** Removes this site's relay folder, or with `$base` the shared folder around it (uninstall). */
	public static function delete_files( bool $base = false ): void {
		$dir = $base ? Relay_Spool::base_dir() : self::dir();
		// Two patterns: GLOB_BRACE is missing on some systems (musl), and `*` skips dotfiles (.htaccess).
		foreach ( array_merge( (array) glob( $dir . '/*' ), (array) glob( $dir . '/.*' ) ) as $file ) {
			if ( is_string( $file ) && is_file( $file ) ) {
				wp_delete_file( $file );
			}
		}
		@rmdir( $dir ); // phpcs:ignore WordPress.PHP.NoSilencedErrors, WordPress.WP.AlternativeFunctions.file_system_operations_rmdir -- best effort; the folder may hold files of another process.
	}
}
