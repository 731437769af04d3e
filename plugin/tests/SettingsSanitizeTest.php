<?php
/**
 * Settings::sanitize: every editable field's valid and invalid values, unknown keys, roles,
 * the administrator kept in statsRoles, retention bounds and type confusion.
 *
 * @package Clickpath
 */

namespace Clickpath\Tests;

use Clickpath\Settings;
use WP_Error;

final class SettingsSanitizeTest extends TestCase {

	private const BOOLEANS = array( 'track404', 'identifyUsers', 'autoAnnotations', 'honorDoNotTrack', 'trackOutbound', 'trackDownloads', 'trackEngagement' );

	private function current(): array {
		return Settings::DEFAULTS;
	}

	/** @param mixed $value */
	private function assertRefused( string $name, $value ): void {
		$result = Settings::sanitize( array( $name => $value ), $this->current() );
		$this->assertInstanceOf( WP_Error::class, $result, "$name = " . var_export( $value, true ) . ' was accepted' );
		$this->assertSame( 'clickpath_invalid_settings', $result->get_error_code() );
		$this->assertSame( 400, $result->get_error_data()['status'] ?? null );
	}

	/** @param mixed $value */
	private function assertAccepted( string $name, $value, $expected = null ): array {
		$result = Settings::sanitize( array( $name => $value ), $this->current() );
		$this->assertIsArray( $result, "$name = " . var_export( $value, true ) . ' was refused: ' . ( $result instanceof WP_Error ? $result->get_error_message() : '' ) );
		$this->assertSame( $expected ?? $value, $result[ $name ] );
		return $result;
	}

	public function test_identity_mode_and_tracker_source_accept_only_their_values(): void {
		foreach ( Settings::IDENTITY_MODES as $mode ) {
			$this->assertAccepted( 'identityMode', $mode );
		}
		foreach ( Settings::TRACKER_SOURCES as $source ) {
			$this->assertAccepted( 'trackerSource', $source );
		}
		foreach ( array( 'identityMode', 'trackerSource' ) as $name ) {
			foreach ( array( '', 'First-Party', 'fingerprint', 'cookieless ', 'cdn', 0, 1, true, false, null, array( 'cookieless' ), array( 'plugin' ), 1.5 ) as $bad ) {
				$this->assertRefused( $name, $bad );
			}
		}
	}

	public function test_boolean_flags_accept_only_booleans(): void {
		foreach ( self::BOOLEANS as $name ) {
			$this->assertAccepted( $name, true );
			$this->assertAccepted( $name, false );
			foreach ( array( 'true', 'false', '1', '0', '', 1, 0, 1.0, null, array(), array( true ), 'on', 'yes' ) as $bad ) {
				$this->assertRefused( $name, $bad );
			}
		}
	}

	public function test_retention_days_is_a_whole_number_from_1_to_3650(): void {
		foreach ( array( 1, 2, 30, 760, 3650 ) as $days ) {
			$this->assertAccepted( 'retentionDays', $days );
		}
		foreach ( array( 0, -1, 3651, PHP_INT_MAX, PHP_INT_MIN, '5', '760', 5.0, 30.5, true, false, null, array( 30 ), '1e3', ' 30' ) as $bad ) {
			$this->assertRefused( 'retentionDays', $bad );
		}
	}

	public function test_role_lists_must_name_existing_roles(): void {
		add_role( 'clickpath_test_role', 'Clickpath test role', array( 'read' => true ) );
		try {
			foreach ( array( 'excludedRoles', 'statsRoles' ) as $name ) {
				$result = Settings::sanitize( array( $name => array( 'editor', 'clickpath_test_role', 'editor' ) ), $this->current() );
				$this->assertIsArray( $result );
				$this->assertContains( 'editor', $result[ $name ] );
				$this->assertContains( 'clickpath_test_role', $result[ $name ] );
				$this->assertSame( 1, count( array_keys( $result[ $name ], 'editor', true ) ), 'duplicates are dropped' );
				$this->assertSame( array_values( $result[ $name ] ), $result[ $name ], 'a list, not a map' );
				foreach ( array(
					'administrator',                    // a string, not a list
					array( 'no_such_role' ),
					array( 'editor', 'no_such_role' ),
					array( 'Administrator' ),
					array( 1 ),
					array( true ),
					array( null ),
					array( array( 'administrator' ) ),  // nested
					array( 'editor', array() ),
					null,
					true,
					1,
				) as $bad ) {
					$this->assertRefused( $name, $bad );
				}
			}
			$this->assertAccepted( 'excludedRoles', array() );
		} finally {
			remove_role( 'clickpath_test_role' );
		}
		// A role that no longer exists is refused.
		$this->assertRefused( 'excludedRoles', array( 'clickpath_test_role' ) );
	}

	public function test_administrator_is_always_kept_in_stats_roles(): void {
		$this->assertSame( array( 'administrator' ), Settings::sanitize( array( 'statsRoles' => array() ), $this->current() )['statsRoles'] );
		$this->assertSame( array( 'editor', 'administrator' ), Settings::sanitize( array( 'statsRoles' => array( 'editor' ) ), $this->current() )['statsRoles'] );
		$this->assertSame( array( 'administrator', 'author' ), Settings::sanitize( array( 'statsRoles' => array( 'administrator', 'author' ) ), $this->current() )['statsRoles'] );
		// Even when the stored settings lack it and the change is about something else.
		$current               = $this->current();
		$current['statsRoles'] = array( 'editor' );
		$this->assertSame( array( 'editor', 'administrator' ), Settings::sanitize( array( 'track404' => false ), $current )['statsRoles'] );
		// Excluded roles have no such rule: administrators may be tracked.
		$this->assertSame( array(), Settings::sanitize( array( 'excludedRoles' => array() ), $this->current() )['excludedRoles'] );
	}

	public function test_unknown_and_read_only_keys_are_refused(): void {
		foreach ( array( 'foo', 'backendUrl', 'siteId', 'publicId', 'siteName', 'siteDomain', 'scopes', 'identitySecret', 'apiKey', 'key', 'TRACK404', 'track_404', '', '0' ) as $name ) {
			$result = Settings::sanitize( array( $name => true ), $this->current() );
			$this->assertInstanceOf( WP_Error::class, $result, "key '$name' was accepted" );
			$this->assertSame( 'clickpath_invalid_settings', $result->get_error_code() );
		}
		$result = Settings::sanitize( array( 0 => 'administrator' ), $this->current() );
		$this->assertInstanceOf( WP_Error::class, $result, 'a list instead of an object' );
		// One unknown key refuses the whole change, even next to valid ones.
		$result = Settings::sanitize(
			array(
				'track404'       => false,
				'identitySecret' => 'x',
			),
			$this->current()
		);
		$this->assertInstanceOf( WP_Error::class, $result );
		// The message names the unknown key, sanitised (no markup from the input).
		$result = Settings::sanitize( array( '<script>alert(1)</script>' => 1 ), $this->current() );
		$this->assertInstanceOf( WP_Error::class, $result );
		$this->assertStringNotContainsString( '<', $result->get_error_message() );
	}

	public function test_a_valid_change_merges_into_the_current_settings_and_one_bad_value_refuses_all(): void {
		$current = array_merge(
			$this->current(),
			array(
				'siteId'         => self::SITE_ID,
				'identitySecret' => 'secret',
			)
		);
		$result  = Settings::sanitize(
			array(
				'identityMode'  => 'first-party',
				'identifyUsers' => true,
				'retentionDays' => 90,
				'excludedRoles' => array( 'administrator', 'editor' ),
			),
			$current
		);
		$this->assertIsArray( $result );
		$this->assertSame( 'first-party', $result['identityMode'] );
		$this->assertTrue( $result['identifyUsers'] );
		$this->assertSame( 90, $result['retentionDays'] );
		$this->assertSame( array( 'administrator', 'editor' ), $result['excludedRoles'] );
		$this->assertSame( self::SITE_ID, $result['siteId'], 'untouched settings stay' );
		$this->assertSame( 'secret', $result['identitySecret'] );
		$this->assertSame( $current['trackOutbound'], $result['trackOutbound'] );
		$this->assertSame( array(), array_diff_key( $result, Settings::DEFAULTS ), 'no new keys' );

		$this->assertSame( $current, Settings::sanitize( array(), $current ) + $current, 'an empty change changes nothing' );
		$this->assertInstanceOf(
			WP_Error::class,
			Settings::sanitize(
				array(
					'identityMode'  => 'first-party',
					'retentionDays' => '90',
				),
				$current
			)
		);
	}

	public function test_the_rest_route_applies_the_same_rules_and_stores_nothing_on_error(): void {
		$admin = $this->user( 'administrator' );
		self::act_as( $admin->ID );
		$before = get_option( Settings::OPTION );

		foreach ( array( '"identityMode"', '[1,2]', '42', 'null', '{"identityMode":', '' ) as $body ) {
			$response = $this->rest( 'POST', '/clickpath/v1/settings', array(), '' === $body ? null : $body );
			$this->assertContains( $response->get_status(), array( 400 ), "body $body" );
		}
		foreach ( array(
			array( 'retentionDays' => '30' ),
			array( 'track404' => 'true' ),
			array( 'track404' => 1 ),
			array( 'statsRoles' => array( 'no_such_role' ) ),
			array( 'backendUrl' => 'https://evil.example' ),
			array( 'identitySecret' => 'known' ),
		) as $input ) {
			$response = $this->rest( 'POST', '/clickpath/v1/settings', array(), $input );
			$this->assertErrorCode( 'clickpath_invalid_settings', 400, $response );
		}
		$this->assertSame( $before, get_option( Settings::OPTION ), 'nothing stored' );

		// Not connected: a valid change is stored locally, roles get the capability.
		$response = $this->rest(
			'POST',
			'/clickpath/v1/settings',
			array(),
			array(
				'retentionDays' => 30,
				'statsRoles'    => array( 'editor' ),
			)
		);
		$this->assertSame( 200, $response->get_status() );
		$this->assertSame( 30, Settings::get()['retentionDays'] );
		$this->assertSame( array( 'editor', 'administrator' ), Settings::get()['statsRoles'] );
		$this->assertTrue( get_role( 'editor' )->has_cap( 'view_clickpath_stats' ) );
		$this->assertTrue( get_role( 'administrator' )->has_cap( 'view_clickpath_stats' ) );
		$this->assertFalse( get_role( 'author' )->has_cap( 'view_clickpath_stats' ) );
		$this->assertSame( array(), $this->backend->calls, 'not connected: nothing sent' );
	}

	public function test_site_level_changes_are_pushed_to_the_backend_only_with_sites_manage(): void {
		$admin = $this->user( 'administrator' );
		self::act_as( $admin->ID );
		$this->connect_site( array( 'scopes' => array( 'stats:read' ) ) );
		$response = $this->rest( 'POST', '/clickpath/v1/settings', array(), array( 'retentionDays' => 30 ) );
		$this->assertErrorCode( 'clickpath_key_scope', 403, $response );
		$this->assertSame( 760, Settings::get()['retentionDays'] );
		// A plugin-only option needs no scope and no request.
		$response = $this->rest( 'POST', '/clickpath/v1/settings', array(), array( 'track404' => false ) );
		$this->assertSame( 200, $response->get_status() );
		$this->assertSame( array(), $this->backend->calls );

		$this->connect_site( array( 'scopes' => array( 'stats:read', 'sites:manage' ) ) );
		$this->backend->on( 'PATCH', '#/api/v1/sites/' . self::SITE_ID . '$#', FakeBackend::json( 200, array( 'id' => self::SITE_ID ) ) );
		$response = $this->rest(
			'POST',
			'/clickpath/v1/settings',
			array(),
			array(
				'retentionDays' => 30,
				'identityMode'  => 'first-party',
			)
		);
		$this->assertSame( 200, $response->get_status(), wp_json_encode( $response->get_data() ) );
		$this->assertCount( 1, $this->backend->calls );
		$call = $this->backend->calls[0];
		$this->assertSame( 'PATCH', $call['method'] );
		$this->assertSame( 30, $call['body']['settings']['rawEventRetentionDays'] );
		$this->assertSame( 'first-party', $call['body']['settings']['identityMode'] );
		$this->assertSame( 'Bearer ' . self::key(), $call['headers']['authorization'] );
		$this->assertSame( 30, Settings::get()['retentionDays'] );

		// The backend refuses: nothing stored locally.
		$this->backend->on(
			'PATCH',
			'#/sites/#',
			FakeBackend::json(
				400,
				array(
					'error' => array(
						'code'    => 'invalid_settings',
						'message' => 'No.',
					),
				)
			)
		);
		$response = $this->rest( 'POST', '/clickpath/v1/settings', array(), array( 'retentionDays' => 31 ) );
		$this->assertErrorCode( 'invalid_settings', 400, $response );
		$this->assertSame( 30, Settings::get()['retentionDays'] );
	}
}
