<?php
/**
 * Multisite: network activation, the network's Clickpath server URL (only super admins may set
 * or change it: every sub-site admin has manage_options, and the URL decides where this server
 * sends requests), and the Network Admin → Clickpath screen that lists every site with its
 * connection and its last seven days.
 *
 * Settings and API keys stay per site: each site connects its own key.
 *
 * @package Clickpath
 */

namespace Clickpath;

use WP_Error;
use WP_Site;

defined( 'ABSPATH' ) || exit;

final class Network {

	/** The network option (wp_sitemeta) holding the network's server URL. */
	public const OPTION = 'clickpath_network';

	/** Who may set the server URL on multisite: super admins (and on a single site, administrators). */
	public const CAPABILITY = 'manage_network_options';

	public const PAGE = 'clickpath-network';

	/** Sites per page of the network screen. */
	public const PER_PAGE = 50;

	/** Sites that network activation and deactivation set up at once; the others are set up on their first request. */
	public const BATCH = 100;

	/** Seconds per backend request of the network screen, and for all of a page's requests together. */
	private const REQUEST_TIMEOUT = 3;

	private const TIME_BUDGET = 15;

	/** Seconds a site's numbers are cached; a failure is kept shorter so a fixed backend shows soon. */
	private const CACHE_TTL = 300;

	private const FAILURE_TTL = 60;

	/** The network's Clickpath server URL, or '' (not multisite, or not set). */
	public static function backend_url(): string {
		if ( ! is_multisite() ) {
			return '';
		}
		$stored = get_site_option( self::OPTION, array() );
		return is_array( $stored ) && isset( $stored['backendUrl'] ) && is_string( $stored['backendUrl'] ) ? $stored['backendUrl'] : '';
	}

	/** Whether the current user may choose the server URL. */
	public static function may_set_backend_url(): bool {
		return ! is_multisite() || current_user_can( self::CAPABILITY );
	}

	/**
	 * Refuses a connect to `$url` by someone who may not choose the server: on multisite a sub-site
	 * administrator connects with the network's URL or not at all.
	 */
	public static function check_backend_url( string $url ): ?WP_Error {
		if ( self::may_set_backend_url() ) {
			return null;
		}
		$network_url = self::backend_url();
		if ( '' === $network_url ) {
			return new WP_Error(
				'clickpath_backend_url_locked',
				__( 'On this network only a network administrator may set the Clickpath server URL (Network Admin → Clickpath). Ask them to set it, then connect with this site’s API key.', 'clickpath' ),
				array( 'status' => 403 )
			);
		}
		if ( $url !== $network_url ) {
			return new WP_Error(
				'clickpath_backend_url_locked',
				/* translators: %s: the network's Clickpath server URL */
				sprintf( __( 'On this network the Clickpath server is %s, set by the network administrator; only they may change it.', 'clickpath' ), $network_url ),
				array( 'status' => 403 )
			);
		}
		return null;
	}

	/**
	 * Sets the network's server URL ('' removes it). Sites already connected keep the server they
	 * connected to until they connect again.
	 */
	public static function set_backend_url( string $url ): string|WP_Error {
		if ( ! is_multisite() || ! current_user_can( self::CAPABILITY ) ) {
			return new WP_Error( 'clickpath_backend_url_locked', __( 'Only a network administrator may set the network’s Clickpath server URL.', 'clickpath' ), array( 'status' => 403 ) );
		}
		if ( '' === trim( $url ) ) {
			delete_site_option( self::OPTION );
			return '';
		}
		$normal = Backend::normalize_url( $url );
		if ( is_wp_error( $normal ) ) {
			return $normal;
		}
		update_site_option( self::OPTION, array( 'backendUrl' => $normal ) );
		return $normal;
	}

	/**
	 * Runs `$callback` in each of the current network's first BATCH sites (lowest ids first).
	 * Bounded so that activating on a large network cannot time out; install_lazily() covers the rest.
	 *
	 * @param callable(): void $callback
	 */
	public static function for_first_sites( callable $callback ): void {
		$ids = get_sites(
			array(
				'fields'                 => 'ids',
				'number'                 => self::BATCH,
				'orderby'                => 'id',
				'network_id'             => get_current_network_id(),
				'update_site_meta_cache' => false,
			)
		);
		foreach ( $ids as $id ) {
			switch_to_blog( (int) $id );
			try {
				$callback();
			} finally {
				restore_current_blog();
			}
		}
	}

	/**
	 * A site created while the plugin is network-active gets its defaults at once (wp_initialize_site,
	 * after core created its tables).
	 *
	 * @param WP_Site $site
	 */
	public static function install_new_site( $site ): void {
		$active = (array) get_network_option( (int) $site->network_id, 'active_sitewide_plugins', array() );
		if ( ! isset( $active[ plugin_basename( CLICKPATH_FILE ) ] ) ) {
			return;
		}
		switch_to_blog( (int) $site->blog_id );
		try {
			Plugin::install_site();
		} finally {
			restore_current_blog();
		}
	}

	/** A site that network activation did not reach (beyond the first batch) is set up on its first request. */
	public static function install_lazily(): void {
		if ( false === get_option( Settings::OPTION, false ) && ! wp_installing() ) {
			Plugin::install_site();
		}
	}

	// ---- the network screen ------------------------------------------------------------------

	public static function menu(): void {
		add_menu_page(
			__( 'Clickpath', 'clickpath' ),
			__( 'Clickpath', 'clickpath' ),
			self::CAPABILITY,
			self::PAGE,
			array( self::class, 'render' ),
			'dashicons-chart-area',
			30
		);
	}

	/** The server URL form's handler (network_admin_edit_clickpath-network). */
	public static function save(): void {
		check_admin_referer( self::PAGE );
		$url    = isset( $_POST['backend_url'] ) ? sanitize_text_field( wp_unslash( $_POST['backend_url'] ) ) : '';
		$result = self::set_backend_url( $url );
		if ( is_wp_error( $result ) && 403 === ( $result->get_error_data()['status'] ?? 0 ) ) {
			wp_die( esc_html( $result->get_error_message() ), '', array( 'response' => 403 ) );
		}
		$arg = is_wp_error( $result ) ? array( 'clickpath_error' => 'url' ) : array( 'updated' => '1' );
		wp_safe_redirect( add_query_arg( $arg, network_admin_url( 'admin.php?page=' . self::PAGE ) ) );
		exit;
	}

	/**
	 * One page of the network's sites, each with its connection and its visitors and pageviews of
	 * the last seven days, read from the backend with that site's own key. A failing site shows its
	 * error in its row. At most `$per_page` sites (≤ PER_PAGE), one request each, each cut off after
	 * REQUEST_TIMEOUT seconds; once `$budget` seconds are spent the remaining rows are not loaded.
	 *
	 * @return array{rows: array<int, array<string, mixed>>, total: int, pages: int}
	 */
	public static function sites_page( int $page, int $per_page = self::PER_PAGE, float $budget = self::TIME_BUDGET ): array {
		$per_page = max( 1, min( self::PER_PAGE, $per_page ) );
		$query    = array(
			'network_id'             => get_current_network_id(),
			'update_site_meta_cache' => false,
		);
		$total    = (int) get_sites( $query + array( 'count' => true ) );
		$pages    = max( 1, (int) ceil( $total / $per_page ) );
		$page     = max( 1, min( $pages, $page ) );
		$ids      = get_sites(
			$query + array(
				'fields'  => 'ids',
				'number'  => $per_page,
				'offset'  => ( $page - 1 ) * $per_page,
				'orderby' => 'id',
			)
		);
		$deadline = microtime( true ) + $budget;
		$rows     = array();
		foreach ( $ids as $id ) {
			switch_to_blog( (int) $id );
			try {
				$rows[] = self::site_row( $deadline );
			} finally {
				restore_current_blog();
			}
		}
		return array(
			'rows'  => $rows,
			'total' => $total,
			'pages' => $pages,
		);
	}

	/** @return array<string, mixed> The current site's row. */
	private static function site_row( float $deadline ): array {
		$settings = Settings::get();
		$key      = Settings::api_key();
		$row      = array(
			'id'        => get_current_blog_id(),
			'name'      => (string) get_bloginfo( 'name' ),
			'url'       => home_url( '/' ),
			'settings'  => admin_url( 'options-general.php?page=clickpath-settings' ),
			'connected' => '' !== $settings['backendUrl'] && '' !== $settings['siteId'] && '' !== $key,
			'site'      => '' !== $settings['siteName'] ? $settings['siteName'] : $settings['siteDomain'],
			'server'    => $settings['backendUrl'],
			'visitors'  => null,
			'pageviews' => null,
			'error'     => '',
		);
		if ( ! $row['connected'] ) {
			return $row;
		}
		$to        = wp_date( 'Y-m-d' );
		$from      = wp_date( 'Y-m-d', time() - 6 * DAY_IN_SECONDS );
		$cache_key = Settings::cache_key( 'network', $settings['siteId'] . '|' . $from . '|' . $to );
		$cached    = get_transient( $cache_key );
		if ( is_array( $cached ) ) {
			return array_merge( $row, array_intersect_key( $cached, array_flip( array( 'visitors', 'pageviews', 'error' ) ) ) );
		}
		if ( microtime( true ) >= $deadline ) {
			$row['error'] = __( 'Not loaded: the other sites took the time this page may spend. Reload the page to load it.', 'clickpath' );
			return $row;
		}
		$client  = new Backend( $settings['backendUrl'], $key, self::REQUEST_TIMEOUT );
		$result  = Backend::result(
			$client->request(
				'GET',
				'sites/' . rawurlencode( $settings['siteId'] ) . '/stats/overview',
				array( array( 'from', $from ), array( 'to', $to ), array( 'compare', 'none' ) )
			)
		);
		$numbers = array(
			'visitors'  => null,
			'pageviews' => null,
			'error'     => '',
		);
		if ( is_wp_error( $result ) ) {
			$numbers['error'] = $result->get_error_message();
		} elseif ( ! isset( $result->metrics->visitors, $result->metrics->pageviews ) ) {
			$numbers['error'] = __( 'The Clickpath server answered without the numbers.', 'clickpath' );
		} else {
			$numbers['visitors']  = (int) $result->metrics->visitors;
			$numbers['pageviews'] = (int) $result->metrics->pageviews;
		}
		set_transient( $cache_key, $numbers, '' === $numbers['error'] ? self::CACHE_TTL : self::FAILURE_TTL );
		return array_merge( $row, $numbers );
	}

	public static function render(): void {
		// phpcs:disable WordPress.Security.NonceVerification.Recommended -- read-only display arguments (a page number, the outcome of a save).
		$page   = isset( $_GET['paged'] ) ? max( 1, absint( $_GET['paged'] ) ) : 1;
		$notice = isset( $_GET['updated'] ) ? 'updated' : ( isset( $_GET['clickpath_error'] ) ? 'error' : '' );
		// phpcs:enable WordPress.Security.NonceVerification.Recommended
		$data = self::sites_page( $page );

		echo '<div class="wrap clickpath-network"><h1>' . esc_html__( 'Clickpath', 'clickpath' ) . '</h1>';
		if ( 'updated' === $notice ) {
			echo '<div class="notice notice-success"><p>' . esc_html__( 'Saved.', 'clickpath' ) . '</p></div>';
		} elseif ( 'error' === $notice ) {
			echo '<div class="notice notice-error"><p>' . esc_html__( 'The server URL must be an http:// or https:// address such as https://stats.example.com, without a user name, query or fragment.', 'clickpath' ) . '</p></div>';
		}

		echo '<h2>' . esc_html__( 'Clickpath server', 'clickpath' ) . '</h2>';
		echo '<p>' . esc_html__( 'Site administrators connect their site with its own API key to this server; only network administrators may change it. Sites already connected keep their server until they connect again.', 'clickpath' ) . '</p>';
		echo '<form method="post" action="' . esc_url( network_admin_url( 'edit.php?action=' . self::PAGE ) ) . '">';
		wp_nonce_field( self::PAGE );
		echo '<label for="clickpath-backend-url">' . esc_html__( 'Clickpath server URL', 'clickpath' ) . '</label> ';
		echo '<input type="url" class="regular-text" id="clickpath-backend-url" name="backend_url" placeholder="https://stats.example.com" value="' . esc_attr( self::backend_url() ) . '"> ';
		submit_button( __( 'Save', 'clickpath' ), 'primary', 'submit', false );
		echo '</form>';

		/* translators: %s: number of sites */
		echo '<h2>' . esc_html( sprintf( _n( '%s site', '%s sites', $data['total'], 'clickpath' ), number_format_i18n( $data['total'] ) ) ) . '</h2>';
		echo '<table class="widefat striped clickpath-network__sites"><thead><tr>';
		foreach ( array( __( 'Site', 'clickpath' ), __( 'Clickpath', 'clickpath' ), __( 'Visitors (7 days)', 'clickpath' ), __( 'Pageviews (7 days)', 'clickpath' ) ) as $heading ) {
			echo '<th scope="col">' . esc_html( $heading ) . '</th>';
		}
		echo '</tr></thead><tbody>';
		foreach ( $data['rows'] as $row ) {
			echo '<tr data-site="' . esc_attr( (string) $row['id'] ) . '">';
			echo '<td><strong>' . esc_html( $row['name'] ) . '</strong><br><a href="' . esc_url( $row['url'] ) . '">' . esc_html( $row['url'] ) . '</a></td><td>';
			if ( $row['connected'] ) {
				/* translators: 1: the Clickpath site's name, 2: the server URL */
				echo esc_html( sprintf( __( 'Connected to %1$s on %2$s', 'clickpath' ), $row['site'], $row['server'] ) );
			} else {
				echo esc_html__( 'Not connected', 'clickpath' ) . ' · <a href="' . esc_url( $row['settings'] ) . '">' . esc_html__( 'Connect', 'clickpath' ) . '</a>';
			}
			if ( '' !== $row['error'] ) {
				echo '<p class="clickpath-network__error">' . esc_html( $row['error'] ) . '</p>';
			}
			echo '</td>';
			foreach ( array( 'visitors', 'pageviews' ) as $metric ) {
				echo '<td>' . ( null === $row[ $metric ] ? '<span aria-hidden="true">—</span>' : esc_html( number_format_i18n( $row[ $metric ] ) ) ) . '</td>';
			}
			echo '</tr>';
		}
		echo '</tbody></table>';
		if ( $data['pages'] > 1 ) {
			echo '<div class="tablenav"><div class="tablenav-pages">';
			echo wp_kses_post(
				(string) paginate_links(
					array(
						'base'    => add_query_arg( 'paged', '%#%', network_admin_url( 'admin.php?page=' . self::PAGE ) ),
						'format'  => '',
						'current' => min( $page, $data['pages'] ),
						'total'   => $data['pages'],
					)
				)
			);
			echo '</div></div>';
		}
		echo '</div>';
	}
}
