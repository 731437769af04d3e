<?php
/**
 * The plugin's settings: one autoloaded option read on public pages (no extra query),
 * and the API key in its own option that is never autoloaded, never sent to a browser.
 *
 * @package Clickpath
 */

namespace Clickpath;

use WP_Error;

defined( 'ABSPATH' ) || exit;

final class Settings {

	public const OPTION = 'clickpath_settings';

	public const KEY_OPTION = 'clickpath_api_key';

	/** Report responses cached by the REST proxy are transients with this prefix. */
	public const TRANSIENT_PREFIX = 'clickpath_';

	public const IDENTITY_MODES = array( 'cookieless', 'first-party' );

	public const TRACKER_SOURCES = array( 'plugin', 'backend' );

	/** Collection options the backend applies (it drops what the site does not collect). */
	public const SITE_LEVEL = array( 'identityMode', 'honorDoNotTrack', 'retentionDays', 'trackOutbound', 'trackDownloads', 'trackEngagement' );

	public const DEFAULTS = array(
		'backendUrl'      => '',
		'siteId'          => '',
		'publicId'        => '',
		'siteName'        => '',
		'siteDomain'      => '',
		'siteTimezone'    => '',
		'scopes'          => array(),
		'identityMode'    => 'cookieless',
		'excludedRoles'   => array( 'administrator' ),
		'statsRoles'      => array( 'administrator' ),
		'trackerSource'   => 'plugin',
		'track404'        => true,
		'identifyUsers'   => false,
		'autoAnnotations' => true,
		'honorDoNotTrack' => false,
		'trackOutbound'   => true,
		'trackDownloads'  => true,
		'trackEngagement' => true,
		'relay'           => false,
		'retentionDays'   => 760,
		'identitySecret'  => '',
		'cacheGeneration' => 0,
	);

	/** @return array<string, mixed> */
	public static function get(): array {
		$stored = get_option( self::OPTION, array() );
		return array_merge( self::DEFAULTS, is_array( $stored ) ? $stored : array() );
	}

	/** @param array<string, mixed> $settings */
	public static function save( array $settings ): void {
		update_option( self::OPTION, array_intersect_key( array_merge( self::DEFAULTS, $settings ), self::DEFAULTS ), true );
	}

	/** Creates the option on activation, with a secret that keys the hashed WordPress user ids. */
	public static function install(): void {
		$settings = self::get();
		if ( '' === $settings['identitySecret'] ) {
			$settings['identitySecret'] = bin2hex( random_bytes( 32 ) );
		}
		self::save( $settings );
	}

	/** True when the tracker can be configured: public pages need nothing else (no key). */
	public static function is_tracking_ready( array $settings ): bool {
		return '' !== $settings['backendUrl'] && '' !== $settings['publicId'];
	}

	public static function key_from_constant(): bool {
		return defined( 'CLICKPATH_API_KEY' ) && is_string( CLICKPATH_API_KEY ) && '' !== CLICKPATH_API_KEY;
	}

	/** The API key: the wp-config.php constant wins over the stored option. Server-side use only. */
	public static function api_key(): string {
		if ( self::key_from_constant() ) {
			return CLICKPATH_API_KEY;
		}
		$key = get_option( self::KEY_OPTION, '' );
		return is_string( $key ) ? $key : '';
	}

	public static function store_api_key( string $key ): void {
		// add_option is the only call that sets autoload on an existing install's first write.
		if ( false === get_option( self::KEY_OPTION, false ) ) {
			add_option( self::KEY_OPTION, $key, '', false );
		} else {
			update_option( self::KEY_OPTION, $key, false );
		}
	}

	public static function delete_api_key(): void {
		delete_option( self::KEY_OPTION );
	}

	/** `cp_live_ab…` plus dots: enough to recognise a key, useless to an attacker. */
	public static function key_mask( string $key ): string {
		return '' === $key ? '' : substr( $key, 0, min( 10, intdiv( strlen( $key ), 3 ) ) ) . '…••••';
	}

	/**
	 * A stable pseudonymous id for a WordPress user: the same on every device, meaningless
	 * without this site's secret. The exporter and eraser use it to find the person's data.
	 */
	public static function user_identity( int $user_id, array $settings ): string {
		return 'wp-' . substr( hash_hmac( 'sha256', 'user:' . $user_id, (string) $settings['identitySecret'] ), 0, 32 );
	}

	/**
	 * Validates a settings change from the settings screen. Unknown keys are refused
	 * rather than ignored, so a typo never silently does nothing.
	 *
	 * @param array<string, mixed> $input
	 * @param array<string, mixed> $current
	 * @return array<string, mixed>|WP_Error The merged settings.
	 */
	public static function sanitize( array $input, array $current ) {
		$editable = array( 'identityMode', 'excludedRoles', 'statsRoles', 'trackerSource', 'track404', 'identifyUsers', 'autoAnnotations', 'honorDoNotTrack', 'trackOutbound', 'trackDownloads', 'trackEngagement', 'relay', 'retentionDays' );
		$unknown  = array_diff( array_keys( $input ), $editable );
		if ( $unknown ) {
			/* translators: %s: comma-separated setting names */
			return self::invalid( sprintf( __( 'Unknown settings: %s.', 'clickpath' ), implode( ', ', array_map( 'sanitize_key', $unknown ) ) ) );
		}
		$roles = array_keys( wp_roles()->get_names() );
		$next  = $current;
		foreach ( $input as $name => $value ) {
			switch ( $name ) {
				case 'identityMode':
				case 'trackerSource':
					$allowed = 'identityMode' === $name ? self::IDENTITY_MODES : self::TRACKER_SOURCES;
					if ( ! is_string( $value ) || ! in_array( $value, $allowed, true ) ) {
						/* translators: 1: setting name, 2: allowed values */
						return self::invalid( sprintf( __( '%1$s must be one of: %2$s.', 'clickpath' ), $name, implode( ', ', $allowed ) ) );
					}
					$next[ $name ] = $value;
					break;
				case 'excludedRoles':
				case 'statsRoles':
					// Element types first: array_diff() on a nested array would raise "Array to string conversion".
					if ( ! is_array( $value ) || count( $value ) !== count( array_filter( $value, 'is_string' ) ) || array_diff( $value, $roles ) ) {
						/* translators: %s: setting name */
						return self::invalid( sprintf( __( '%s must list existing roles.', 'clickpath' ), $name ) );
					}
					$next[ $name ] = array_values( array_unique( $value ) );
					break;
				case 'retentionDays':
					if ( ! is_int( $value ) || $value < 1 || $value > 3650 ) {
						return self::invalid( __( 'retentionDays must be a whole number of days from 1 to 3650.', 'clickpath' ) );
					}
					$next[ $name ] = $value;
					break;
				default:
					if ( ! is_bool( $value ) ) {
						/* translators: %s: setting name */
						return self::invalid( sprintf( __( '%s must be true or false.', 'clickpath' ), $name ) );
					}
					$next[ $name ] = $value;
			}
		}
		if ( ! in_array( 'administrator', $next['statsRoles'], true ) ) {
			// Administrators manage the plugin; locking them out of its reports helps nobody.
			$next['statsRoles'][] = 'administrator';
		}
		return $next;
	}

	/** Gives exactly the listed roles the stats capability. */
	public static function apply_stats_roles( array $role_names ): void {
		foreach ( wp_roles()->role_objects as $name => $role ) {
			if ( in_array( $name, $role_names, true ) ) {
				$role->add_cap( Plugin::STATS_CAPABILITY );
			} elseif ( $role->has_cap( Plugin::STATS_CAPABILITY ) ) {
				$role->remove_cap( Plugin::STATS_CAPABILITY );
			}
		}
	}

	/**
	 * The transient name of a cached report. It carries the cache generation, so a bump makes
	 * every earlier entry unreachable, wherever transients live (database or object cache).
	 */
	public static function cache_key( string $kind, string $what ): string {
		return self::TRANSIENT_PREFIX . $kind . '_' . md5( self::get()['cacheGeneration'] . '|' . $what );
	}

	/** Forgets every cached report: after a change to the connection, settings, goals or annotations. */
	public static function invalidate_reports(): void {
		$settings                    = self::get();
		$settings['cacheGeneration'] = (int) $settings['cacheGeneration'] + 1;
		self::save( $settings );
		self::delete_transients();
	}

	/** Removes the cached reports stored in the database (transients with the plugin's prefix). */
	public static function delete_transients(): void {
		global $wpdb;
		$like     = $wpdb->esc_like( '_transient_' . self::TRANSIENT_PREFIX ) . '%';
		$timeouts = $wpdb->esc_like( '_transient_timeout_' . self::TRANSIENT_PREFIX ) . '%';
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery -- WordPress has no API to delete transients by prefix, and a DELETE has nothing to cache.
		$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->options} WHERE option_name LIKE %s OR option_name LIKE %s", $like, $timeouts ) );
	}

	private static function invalid( string $message ): WP_Error {
		return new WP_Error( 'clickpath_invalid_settings', $message, array( 'status' => 400 ) );
	}
}
