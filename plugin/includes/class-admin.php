<?php
/**
 * wp-admin screens: the stats page, the settings screen, the dashboard widget (all
 * rendered by the admin-ui bundles) and a views column in the posts and pages lists.
 *
 * @package Clickpath
 */

namespace Clickpath;

defined( 'ABSPATH' ) || exit;

final class Admin {

	private const STATS_PAGE = 'clickpath';

	private const SETTINGS_PAGE = 'clickpath-settings';

	/** Days the posts list's views column covers. */
	private const COLUMN_DAYS = 30;

	/** Set when this screen's bundle is not in this copy of the plugin (a build from the repository without `npm run build`). */
	private static bool $bundle_missing = false;

	public static function menu(): void {
		add_menu_page(
			__( 'Clickpath', 'clickpath' ),
			__( 'Clickpath', 'clickpath' ),
			Plugin::STATS_CAPABILITY,
			self::STATS_PAGE,
			array( self::class, 'render_stats' ),
			'dashicons-chart-area',
			3
		);
		add_options_page(
			__( 'Clickpath settings', 'clickpath' ),
			__( 'Clickpath', 'clickpath' ),
			Plugin::SETTINGS_CAPABILITY,
			self::SETTINGS_PAGE,
			array( self::class, 'render_settings' )
		);
	}

	/** Loads the bundle of the screen being shown, in the head, so it is styled from the first paint. */
	public static function enqueue_screen( string $hook_suffix ): void {
		if ( 'toplevel_page_' . self::STATS_PAGE === $hook_suffix ) {
			self::enqueue(
				'stats',
				array(
					'settingsUrl' => current_user_can( Plugin::SETTINGS_CAPABILITY ) ? admin_url( 'options-general.php?page=' . self::SETTINGS_PAGE ) : '',
					// The backend counts days in the site's zone; the panel shows every time in it too.
					'timezone'    => Settings::get()['siteTimezone'],
				)
			);
		} elseif ( 'settings_page_' . self::SETTINGS_PAGE === $hook_suffix ) {
			self::enqueue(
				'settings',
				array(
					'settings'  => Rest::settings_view( Settings::get() ),
					'roles'     => array_map( 'translate_user_role', wp_roles()->get_names() ),
					// A new email report goes to the administrator on the screen unless they change it.
					'userEmail' => wp_get_current_user()->user_email,
					'timezone'  => Settings::get()['siteTimezone'],
				)
			);
		} elseif ( 'index.php' === $hook_suffix && current_user_can( Plugin::STATS_CAPABILITY ) ) {
			self::enqueue( 'widget', array( 'statsUrl' => admin_url( 'admin.php?page=' . self::STATS_PAGE ) ) );
		}
	}

	public static function render_stats(): void {
		echo '<div class="wrap"><h1>' . esc_html__( 'Clickpath', 'clickpath' ) . '</h1><div id="clickpath-stats"></div></div>';
	}

	public static function render_settings(): void {
		echo '<div class="wrap"><h1>' . esc_html__( 'Clickpath settings', 'clickpath' ) . '</h1><div id="clickpath-settings"></div></div>';
	}

	public static function dashboard_widget(): void {
		if ( ! current_user_can( Plugin::STATS_CAPABILITY ) ) {
			return;
		}
		wp_add_dashboard_widget(
			'clickpath_widget',
			__( 'Clickpath', 'clickpath' ),
			static function () {
				echo '<div id="clickpath-widget"></div>';
			}
		);
	}

	/**
	 * @param array<string, string> $links
	 * @return array<string, string>
	 */
	public static function action_links( $links ) {
		$url = admin_url( 'options-general.php?page=' . self::SETTINGS_PAGE );
		array_unshift( $links, '<a href="' . esc_url( $url ) . '">' . esc_html__( 'Settings', 'clickpath' ) . '</a>' );
		return $links;
	}

	/**
	 * @param array<string, string> $columns
	 * @return array<string, string>
	 */
	public static function add_views_column( $columns ) {
		if ( current_user_can( Plugin::STATS_CAPABILITY ) ) {
			/* translators: %d: number of days */
			$columns['clickpath_views'] = sprintf( _n( 'Views (%d day)', 'Views (%d days)', self::COLUMN_DAYS, 'clickpath' ), self::COLUMN_DAYS );
		}
		return $columns;
	}

	public static function views_column( string $column, int $post_id ): void {
		if ( 'clickpath_views' !== $column ) {
			return;
		}
		$path  = (string) wp_parse_url( (string) get_permalink( $post_id ), PHP_URL_PATH );
		$views = self::views_by_path();
		if ( null === $views || 'publish' !== get_post_status( $post_id ) ) {
			echo '<span aria-hidden="true">—</span>';
			return;
		}
		$url = add_query_arg(
			array(
				'page'   => self::STATS_PAGE,
				'period' => self::COLUMN_DAYS . 'd',
				'filter' => 'page:is:' . $path,
			),
			admin_url( 'admin.php' )
		);
		printf(
			'<a href="%s" aria-label="%s">%s</a>',
			esc_url( $url ),
			/* translators: %s: page path */
			esc_attr( sprintf( __( 'Stats for %s', 'clickpath' ), $path ) ),
			esc_html( number_format_i18n( $views[ $path ] ?? 0 ) )
		);
	}

	/**
	 * Pageviews per path over the column's days: one backend request per list screen,
	 * cached with the other reports. Null when not connected or the backend failed.
	 *
	 * @return array<string, int>|null
	 */
	private static function views_by_path(): ?array {
		static $views = false;
		if ( false !== $views ) {
			return $views;
		}
		$views  = null;
		$client = Backend::connected();
		if ( is_wp_error( $client ) ) {
			return $views;
		}
		$settings  = Settings::get();
		$to        = wp_date( 'Y-m-d' );
		$from      = wp_date( 'Y-m-d', time() - ( self::COLUMN_DAYS - 1 ) * DAY_IN_SECONDS );
		$cache_key = Settings::cache_key( 'posts', $settings['siteId'] . '|' . $from . '|' . $to );
		$cached    = get_transient( $cache_key );
		if ( is_array( $cached ) ) {
			$views = $cached;
			return $views;
		}
		$query  = array( array( 'from', $from ), array( 'to', $to ), array( 'limit', '1000' ), array( 'sort', 'pageviews' ) );
		$result = Backend::result( $client->request( 'GET', 'sites/' . rawurlencode( $settings['siteId'] ) . '/stats/breakdown/page', $query ) );
		if ( is_wp_error( $result ) || ! isset( $result->rows ) || ! is_array( $result->rows ) ) {
			return $views;
		}
		$views = array();
		foreach ( $result->rows as $row ) {
			if ( isset( $row->key, $row->pageviews ) ) {
				$views[ (string) $row->key ] = (int) $row->pageviews;
			}
		}
		set_transient( $cache_key, $views, 5 * MINUTE_IN_SECONDS );
		return $views;
	}

	/**
	 * Enqueues one admin-ui bundle with its WordPress dependencies and prints its
	 * configuration: the REST root, a nonce, and the screen's initial state.
	 *
	 * @param array<string, mixed> $initial_state
	 */
	private static function enqueue( string $entry, array $initial_state ): void {
		$asset_file = CLICKPATH_DIR . "/build/$entry.asset.php";
		if ( ! file_exists( $asset_file ) ) {
			self::$bundle_missing = true;
			return;
		}
		$asset  = require $asset_file;
		$handle = "clickpath-$entry";
		wp_enqueue_script( $handle, plugins_url( "build/$entry.js", CLICKPATH_FILE ), $asset['dependencies'], $asset['version'], true );
		wp_enqueue_style( $handle, plugins_url( "build/$entry.css", CLICKPATH_FILE ), array( 'wp-components' ), $asset['version'] );
		wp_set_script_translations( $handle, 'clickpath', CLICKPATH_DIR . '/languages' );
		$config = array(
			'rest'         => array(
				'root'  => esc_url_raw( rest_url() ),
				'nonce' => wp_create_nonce( 'wp_rest' ),
			),
			'initialState' => $initial_state,
			// The panels run on this WordPress's own components, whose props differ between versions.
			'wpVersion'    => get_bloginfo( 'version' ),
		);
		wp_add_inline_script( $handle, 'window.clickpathAdmin = ' . wp_json_encode( $config, JSON_HEX_TAG | JSON_HEX_AMP ) . ';', 'before' );
	}

	public static function missing_bundle_notice(): void {
		if ( self::$bundle_missing ) {
			echo '<div class="notice notice-error"><p>' . esc_html__( 'The Clickpath admin screens are missing from this copy of the plugin. Reinstall it from the release zip.', 'clickpath' ) . '</p></div>';
		}
	}
}
