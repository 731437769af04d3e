<?php
/**
 * Automatic annotations: publishing or updating a post, and activating or updating a
 * plugin or theme, adds a dated note to the Clickpath time series ("why did traffic jump?").
 *
 * @package Clickpath
 */

namespace Clickpath;

defined( 'ABSPATH' ) || exit;

final class Annotations {

	/** Notes queued during this request, sent once at shutdown so a bulk action makes one request each. */
	private static array $pending = array();

	public static function register(): void {
		add_action( 'transition_post_status', array( self::class, 'post_status' ), 10, 3 );
		add_action( 'activated_plugin', array( self::class, 'plugin_activated' ) );
		add_action( 'switch_theme', array( self::class, 'theme_switched' ) );
		add_action( 'upgrader_process_complete', array( self::class, 'upgraded' ), 10, 2 );
	}

	/**
	 * @param string   $new_status
	 * @param string   $old_status
	 * @param \WP_Post $post
	 */
	public static function post_status( $new_status, $old_status, $post ): void {
		if ( 'publish' !== $new_status || ! is_post_type_viewable( $post->post_type ) || wp_is_post_revision( $post ) || wp_is_post_autosave( $post ) ) {
			return;
		}
		$title = wp_strip_all_tags( get_the_title( $post ) );
		self::queue(
			'publish' === $old_status
				/* translators: %s: post title */
				? sprintf( __( 'Updated: %s', 'clickpath' ), $title )
				/* translators: %s: post title */
				: sprintf( __( 'Published: %s', 'clickpath' ), $title )
		);
	}

	public static function plugin_activated( string $plugin ): void {
		$name = self::plugin_name( $plugin );
		/* translators: %s: plugin name */
		self::queue( sprintf( __( 'Plugin activated: %s', 'clickpath' ), $name ) );
	}

	public static function theme_switched( string $name ): void {
		/* translators: %s: theme name */
		self::queue( sprintf( __( 'Theme activated: %s', 'clickpath' ), $name ) );
	}

	/**
	 * @param \WP_Upgrader         $upgrader
	 * @param array<string, mixed> $options
	 */
	public static function upgraded( $upgrader, $options ): void {
		if ( 'update' !== ( $options['action'] ?? '' ) ) {
			return;
		}
		$type = $options['type'] ?? '';
		if ( 'plugin' === $type ) {
			foreach ( (array) ( $options['plugins'] ?? array() ) as $plugin ) {
				/* translators: %s: plugin name */
				self::queue( sprintf( __( 'Plugin updated: %s', 'clickpath' ), self::plugin_name( (string) $plugin ) ) );
			}
		} elseif ( 'theme' === $type ) {
			foreach ( (array) ( $options['themes'] ?? array() ) as $theme ) {
				/* translators: %s: theme name */
				self::queue( sprintf( __( 'Theme updated: %s', 'clickpath' ), wp_get_theme( (string) $theme )->get( 'Name' ) ) );
			}
		}
	}

	private static function queue( string $text ): void {
		$settings = Settings::get();
		if ( ! $settings['autoAnnotations'] || ! in_array( 'sites:manage', $settings['scopes'], true ) || ! Settings::is_tracking_ready( $settings ) ) {
			return;
		}
		if ( ! self::$pending ) {
			add_action( 'shutdown', array( self::class, 'send' ) );
		}
		// Plain text, like post titles: plugin and theme names may carry markup too.
		self::$pending[] = mb_substr( wp_strip_all_tags( $text ), 0, 500 );
	}

	/** Sends the queued notes; a failure is logged and never gets in the administrator's way. */
	public static function send(): void {
		Plugin::load( 'backend' );
		$client = Backend::connected();
		if ( is_wp_error( $client ) ) {
			return;
		}
		$path = 'sites/' . rawurlencode( Settings::get()['siteId'] ) . '/annotations';
		foreach ( array_unique( self::$pending ) as $text ) {
			$result = Backend::result(
				$client->request(
					'POST',
					$path,
					array(),
					array(
						'day'  => wp_date( 'Y-m-d' ),
						'text' => $text,
					)
				)
			);
			if ( is_wp_error( $result ) && defined( 'WP_DEBUG_LOG' ) && WP_DEBUG_LOG ) {
				error_log( 'Clickpath: could not add the annotation: ' . $result->get_error_message() ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions
			}
		}
		self::$pending = array();
	}

	private static function plugin_name( string $plugin ): string {
		$file = WP_PLUGIN_DIR . '/' . $plugin;
		if ( ! function_exists( 'get_plugin_data' ) ) {
			require_once ABSPATH . 'wp-admin/includes/plugin.php';
		}
		$name = is_readable( $file ) ? get_plugin_data( $file, false, false )['Name'] : '';
		return '' !== $name ? $name : $plugin;
	}
}
