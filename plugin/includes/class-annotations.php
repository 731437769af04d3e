<?php
/**
 * Automatic annotations: publishing or updating a post, and activating or updating a
 * plugin or theme, adds a dated note to the Clickpath time series ("why did traffic jump?").
 * Notes go through the outbox, so publishing never waits for the backend.
 *
 * @package Clickpath
 */

namespace Clickpath;

defined( 'ABSPATH' ) || exit;

final class Annotations {

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

	/** Queues the note in the outbox, dated today: it is sent later, by WP-Cron, never during this request. */
	private static function queue( string $text ): void {
		$settings = Settings::get();
		if ( ! $settings['autoAnnotations'] || ! in_array( 'sites:manage', $settings['scopes'], true ) || ! Settings::is_tracking_ready( $settings ) || '' === $settings['siteId'] ) {
			return;
		}
		Outbox::add(
			'POST',
			'sites/' . rawurlencode( $settings['siteId'] ) . '/annotations',
			array(
				'day'  => wp_date( 'Y-m-d' ),
				// Plain text, like post titles: plugin and theme names may carry markup too.
				'text' => mb_substr( wp_strip_all_tags( $text ), 0, 500 ),
			)
		);
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
