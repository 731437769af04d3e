<?php
/**
 * Uninstall removes every option, transient and capability the plugin created. Runs last (its own
 * test suite in phpunit.xml.dist) and activates the plugin again afterwards.
 *
 * @package Clickpath
 */

namespace Clickpath\Tests;

use Clickpath\Outbox;
use Clickpath\Settings;

final class UninstallTest extends TestCase {

	private const PLUGIN = 'clickpath/clickpath.php';

	/** @return string[] Options and transients the plugin could have left. */
	private static function leftovers(): array {
		global $wpdb;
		return $wpdb->get_col(
			"SELECT option_name FROM {$wpdb->options}
			WHERE option_name LIKE 'clickpath%'
				OR option_name LIKE '\\_transient\\_clickpath%'
				OR option_name LIKE '\\_transient\\_timeout\\_clickpath%'
				OR option_name LIKE '\\_site\\_transient\\_clickpath%'
				OR option_name LIKE '\\_site\\_transient\\_timeout\\_clickpath%'"
		);
	}

	/** @return string[] Roles that have the stats capability, read from the database. */
	private static function roles_with_capability(): array {
		global $wpdb;
		$roles = maybe_unserialize( $wpdb->get_var( $wpdb->prepare( "SELECT option_value FROM {$wpdb->options} WHERE option_name = %s", $wpdb->prefix . 'user_roles' ) ) );
		return array_keys( array_filter( $roles, static fn ( $role ) => ! empty( $role['capabilities']['view_clickpath_stats'] ) ) );
	}

	public function test_uninstall_removes_every_option_transient_and_capability(): void {
		global $wpdb;
		// Everything the plugin can store: settings, key, cached reports (both kinds), unsent writes and their cron event, capabilities.
		self::act_as( $this->user( 'administrator' )->ID );
		$this->connect_site();
		Settings::save( array_merge( Settings::get(), array( 'statsRoles' => array( 'administrator', 'editor', 'author' ) ) ) );
		Settings::apply_stats_roles( array( 'administrator', 'editor', 'author' ) );
		$this->backend->on( 'GET', '#/stats/overview#', FakeBackend::json( 200, array( 'visitors' => 1 ) ) );
		$this->assertSame(
			200,
			$this->rest(
				'GET',
				'/clickpath/v1/stats/overview',
				array(
					'from' => '2024-01-01',
					'to'   => '2024-01-02',
				)
			)->get_status()
		);
		set_transient( Settings::TRANSIENT_PREFIX . 'posts_' . md5( 'x' ), array( '/' => 3 ), 300 );
		Outbox::add( 'POST', 'sites/' . self::SITE_ID . '/annotations', array( 'text' => 'never sent' ) );
		$this->assertNotFalse( wp_next_scheduled( Outbox::HOOK ) );
		$this->assertGreaterThanOrEqual( 5, count( self::leftovers() ), 'settings, key, outbox and cached reports stored: ' . implode( ', ', self::leftovers() ) );
		$this->assertEqualsCanonicalizing( array( 'administrator', 'editor', 'author' ), self::roles_with_capability() );

		try {
			deactivate_plugins( self::PLUGIN );
			$this->assertTrue( uninstall_plugin( self::PLUGIN ) );
			wp_cache_flush();

			$this->assertSame( array(), self::leftovers(), 'options/transients left behind' );
			$this->assertSame( array(), self::roles_with_capability(), 'roles still holding view_clickpath_stats' );
			wp_roles()->for_site();
			foreach ( wp_roles()->role_objects as $name => $role ) {
				$this->assertFalse( $role->has_cap( 'view_clickpath_stats' ), $name );
			}
			$this->assertSame( '0', $wpdb->get_var( "SELECT COUNT(*) FROM {$wpdb->usermeta} WHERE meta_value LIKE '%view_clickpath_stats%'" ), 'no user holds the capability directly' );
			$this->assertFalse( get_option( Settings::KEY_OPTION ) );
			$this->assertFalse( wp_next_scheduled( Outbox::HOOK ), 'the cron event is gone' );
		} finally {
			$this->assertNull( activate_plugin( self::PLUGIN ) );
		}
		// Activating again starts fresh: defaults, a new secret, administrators can read the stats.
		$settings = Settings::get();
		$this->assertSame( '', $settings['siteId'] );
		$this->assertSame( array( 'administrator' ), $settings['statsRoles'] );
		$this->assertMatchesRegularExpression( '/^[0-9a-f]{64}$/', $settings['identitySecret'] );
		$this->assertSame( array( 'administrator' ), self::roles_with_capability() );
	}
}
