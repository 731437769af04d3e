<?php
/**
 * Adds the tracker to public pages: one deferred script tag configured by data
 * attributes. Reads only the autoloaded settings and the already-loaded current user,
 * so a page load costs no database query and no remote request.
 *
 * @package Clickpath
 */

namespace Clickpath;

defined( 'ABSPATH' ) || exit;

final class Tracking {

	public const HANDLE = 'clickpath';

	/** @var array<string, string> data-* attributes of the tracker's script tag. */
	private static array $attributes = array();

	public static function enqueue(): void {
		$settings = Settings::get();
		if ( ! Settings::is_tracking_ready( $settings ) || is_preview() || is_customize_preview() ) {
			return;
		}
		$user = wp_get_current_user();
		if ( $user->exists() && array_intersect( (array) $user->roles, $settings['excludedRoles'] ) ) {
			return;
		}
		$from_plugin = 'plugin' === $settings['trackerSource'];
		$urls        = self::urls( $settings );

		self::$attributes = array( 'site' => $settings['publicId'] );
		if ( $settings['relay'] ) {
			// First-party relay: hits go to this site, which forwards them (Relay).
			self::$attributes['api'] = Relay::endpoint();
		} elseif ( $from_plugin ) {
			self::$attributes['api'] = $urls['api'];
		}
		if ( 'first-party' === $settings['identityMode'] ) {
			self::$attributes['mode'] = 'first-party';
		}
		if ( $settings['honorDoNotTrack'] ) {
			self::$attributes['dnt'] = '';
		}
		if ( $settings['track404'] && is_404() ) {
			self::$attributes['404'] = '';
		}
		/**
		 * Filters the tracker's data attributes, e.g. `localhost` to test on a local site.
		 *
		 * @param array<string, string> $attributes Name (without `data-`) → value; '' for a bare attribute.
		 */
		self::$attributes = (array) apply_filters( 'clickpath_tracker_attributes', self::$attributes );
		wp_enqueue_script( self::HANDLE, $urls['src'], array(), $from_plugin ? CLICKPATH_VERSION : null, true );
		if ( 'first-party' === $settings['identityMode'] && $settings['identifyUsers'] && $user->exists() ) {
			// Queued before the tracker loads; it replays the queue once it has a visitor id.
			wp_add_inline_script(
				self::HANDLE,
				sprintf(
					'window.clickpath=window.clickpath||function(){(clickpath.q=clickpath.q||[]).push(arguments)};clickpath("identify",%s);',
					wp_json_encode( Settings::user_identity( $user->ID, $settings ) )
				),
				'before'
			);
		}
	}

	/**
	 * Where the tag loads the tracker from (`src`, without the `ver` query) and the connected
	 * server's collector (`api`): the plugin's copy is told it in `data-api`; the server's own
	 * script sends to `/api/event` of the origin it was loaded from.
	 *
	 * @param array<string, mixed> $settings
	 * @return array{src: string, api: string}
	 */
	public static function urls( array $settings ): array {
		$backend = (string) $settings['backendUrl'];
		return array(
			'src' => 'plugin' === $settings['trackerSource'] ? plugins_url( 'assets/clickpath.js', CLICKPATH_FILE ) : $backend . '/js/clickpath.js',
			'api' => $backend . '/api/event',
		);
	}

	/** WordPress 6.1 has no script strategy API: `defer` and the data attributes go on the tag here. */
	public static function script_tag( string $tag, string $handle ): string {
		if ( self::HANDLE !== $handle ) {
			return $tag;
		}
		$extra = ' defer';
		foreach ( self::$attributes as $name => $value ) {
			$extra .= ' data-' . sanitize_key( (string) $name ) . ( '' === $value ? '' : '="' . esc_attr( (string) $value ) . '"' );
		}
		return preg_replace( '/<script(?=[^>]*\ssrc=)/', '<script' . $extra, $tag, 1 ) ?? $tag;
	}
}
