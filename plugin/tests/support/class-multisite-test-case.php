<?php
/**
 * Base class of the multisite tests (tests/multisite/, run on a subdirectory network): sites and
 * network users that tearDown deletes, the network's server URL restored, and helpers to act
 * inside one site.
 *
 * @package Clickpath
 */

namespace Clickpath\Tests;

use Clickpath\Network;
use Clickpath\Settings;
use WP_User;

abstract class MultisiteTestCase extends TestCase {

	/** @var int[] */
	private array $site_ids = array();

	/** @var int[] */
	private array $network_user_ids = array();

	/** @var mixed */
	private $network_option;

	protected function setUp(): void {
		parent::setUp();
		$this->assertTrue( is_multisite(), 'the multisite tests need a multisite install (node scripts/test-plugin.mjs --multisite)' );
		$this->network_option = get_site_option( Network::OPTION, null );
		// Sub-sites share the network's host, port included, which core's sanitizing would drop ("127.0.0.1:8081" → "127.0.0.18081").
		$this->hook( 'wp_normalize_site_data', static fn ( $data ) => array_merge( $data, array( 'domain' => get_network()->domain ) ), 20 );
	}

	protected function tearDown(): void {
		while ( ms_is_switched() ) {
			restore_current_blog();
		}
		wp_set_current_user( 0 );
		foreach ( $this->site_ids as $id ) {
			wp_delete_site( $id );
		}
		foreach ( $this->network_user_ids as $id ) {
			revoke_super_admin( $id );
			wpmu_delete_user( $id );
		}
		if ( null === $this->network_option ) {
			delete_site_option( Network::OPTION );
		} else {
			update_site_option( Network::OPTION, $this->network_option );
		}
		parent::tearDown();
	}

	/** A new site at /<slug>-<random>/ of the network; the plugin, network-active, sets it up as it is created. */
	protected function site( string $slug ): int {
		$id = wp_insert_site(
			array(
				'domain'  => get_network()->domain,
				'path'    => '/' . $slug . '-' . strtolower( wp_generate_password( 6, false ) ) . '/',
				'title'   => 'Site ' . $slug,
				'user_id' => 1,
			)
		);
		$this->assertIsInt( $id, 'creating site ' . $slug . ': ' . ( is_wp_error( $id ) ? $id->get_error_message() : '' ) );
		$this->site_ids[] = $id;
		return $id;
	}

	/**
	 * Runs $callback inside site $site_id (options, roles and the current user's capabilities are that site's).
	 *
	 * @return mixed What $callback returns.
	 */
	protected function in_site( int $site_id, callable $callback ) {
		switch_to_blog( $site_id );
		try {
			return $callback();
		} finally {
			restore_current_blog();
		}
	}

	/** A user who is an administrator of $site_id only (no role on the main site), with a known password. */
	protected function site_admin( int $site_id ): WP_User {
		$user = $this->network_user();
		add_user_to_blog( $site_id, $user->ID, 'administrator' );
		return $user;
	}

	/** A super admin, with a known password. */
	protected function super_admin(): WP_User {
		$user = $this->network_user();
		grant_super_admin( $user->ID );
		return $user;
	}

	/** A network user with no role on any site; tearDown deletes it from the whole network. */
	private function network_user(): WP_User {
		$login = 'cpms' . strtolower( wp_generate_password( 8, false ) );
		$id    = wpmu_create_user( $login, self::password_of( $login ), $login . '@example.org' );
		$this->assertIsInt( $id, 'creating ' . $login );
		$this->network_user_ids[] = $id;
		return get_user_by( 'id', $id );
	}

	/**
	 * The connected state of the current site, as Connect stores it, for site $site_id of the backend.
	 *
	 * @param array<string, mixed> $settings
	 */
	protected function connect_current_site( string $backend_site_id, string $key, array $settings = array() ): void {
		Settings::save(
			array_merge(
				Settings::get(),
				array(
					'backendUrl' => self::BACKEND,
					'siteId'     => $backend_site_id,
					'publicId'   => 'pub_' . substr( $backend_site_id, -8 ),
					'siteName'   => 'Clickpath ' . get_bloginfo( 'name' ),
					'siteDomain' => (string) wp_parse_url( home_url(), PHP_URL_HOST ),
					'scopes'     => array( 'stats:read', 'sites:manage' ),
				),
				$settings
			)
		);
		Settings::store_api_key( $key );
	}

	/** The /api/v1/me answer for a key of backend site $backend_site_id. */
	protected static function me( string $backend_site_id ): array {
		return FakeBackend::key_answer(
			array(
				'id'       => $backend_site_id,
				'publicId' => 'pub_' . substr( $backend_site_id, -8 ),
				'name'     => 'Backend site ' . $backend_site_id,
				'domain'   => (string) wp_parse_url( home_url(), PHP_URL_HOST ),
				'role'     => 'admin',
				'settings' => array(),
			)
		);
	}

	/** @return string[] The plugin's options and transients in the current site's options table. */
	protected static function stored_options(): array {
		global $wpdb;
		return $wpdb->get_col(
			"SELECT option_name FROM {$wpdb->options}
			WHERE option_name LIKE 'clickpath%'
				OR option_name LIKE '\\_transient\\_clickpath%'
				OR option_name LIKE '\\_transient\\_timeout\\_clickpath%'"
		);
	}
}
