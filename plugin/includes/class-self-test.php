<?php
/**
 * The collection self-test's server side. The test itself runs in the administrator's browser
 * (the settings screen loads the front page as a visitor, the tracker script and a test event);
 * this answers what it needs to know: which tag WordPress prints, and whether the stored API key
 * still opens this site on the Clickpath server.
 *
 * @package Clickpath
 */

namespace Clickpath;

use WP_Error;

defined( 'ABSPATH' ) || exit;

final class Self_Test {

	/**
	 * The tag the front page should carry and the key's check, or an error when not connected.
	 *
	 * @return array<string, mixed>|WP_Error
	 */
	public static function setup() {
		$client = Backend::connected();
		if ( is_wp_error( $client ) ) {
			return $client;
		}
		$settings = Settings::get();
		$urls     = Tracking::urls( $settings );
		return array(
			'frontPage'       => home_url( '/' ),
			'site'            => $settings['publicId'],
			'src'             => $urls['src'],
			// With the first-party relay on, the tag posts to this site, which forwards to the server.
			'api'             => $settings['relay'] ? Relay::endpoint() : $urls['api'],
			'trackerSource'   => $settings['trackerSource'],
			'honorDoNotTrack' => (bool) $settings['honorDoNotTrack'],
			'trackEngagement' => (bool) $settings['trackEngagement'],
			'connection'      => self::connection( $client, $settings ),
		);
	}

	/**
	 * Asks the server who the stored key is: it must still be accepted, and belong to the site
	 * WordPress is connected to (a key pasted from another site reads someone else's stats).
	 *
	 * @param array<string, mixed> $settings
	 * @return array{ok: bool, code?: string, message?: string}
	 */
	private static function connection( Backend $client, array $settings ): array {
		$me = Backend::result( $client->request( 'GET', 'me' ) );
		if ( is_wp_error( $me ) ) {
			return array(
				'ok'      => false,
				'code'    => (string) $me->get_error_code(),
				'message' => $me->get_error_message(),
			);
		}
		if ( ! is_object( $me ) || 'apiKey' !== ( $me->type ?? '' ) || ! isset( $me->site->id ) ) {
			return array(
				'ok'      => false,
				'code'    => 'clickpath_not_a_key',
				'message' => __( 'The server did not recognise the stored key as a site API key.', 'clickpath' ),
			);
		}
		if ( (string) $me->site->id !== $settings['siteId'] ) {
			return array(
				'ok'      => false,
				'code'    => 'clickpath_key_other_site',
				'message' => sprintf(
					/* translators: 1: a Clickpath site's name, 2: its domain, 3: the connected site's name */
					__( 'The stored key belongs to the Clickpath site %1$s (%2$s), not to %3$s, the site this WordPress is connected to.', 'clickpath' ),
					sanitize_text_field( (string) ( $me->site->name ?? '' ) ),
					sanitize_text_field( (string) ( $me->site->domain ?? '' ) ),
					$settings['siteName']
				),
			);
		}
		if ( (string) ( $me->site->publicId ?? '' ) !== $settings['publicId'] ) {
			return array(
				'ok'      => false,
				'code'    => 'clickpath_public_id_changed',
				'message' => __( 'The Clickpath server knows this site by another public id than the one in the tracker tag, so visits are sent for a site it does not know.', 'clickpath' ),
			);
		}
		return array( 'ok' => true );
	}
}
