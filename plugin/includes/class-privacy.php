<?php
/**
 * Privacy tools: suggested privacy-policy text, the personal-data exporter and eraser
 * (Tools → Export/Erase Personal Data) wired to the backend, and a visitor opt-out.
 *
 * @package Clickpath
 */

namespace Clickpath;

use WP_Error;

defined( 'ABSPATH' ) || exit;

final class Privacy {

	private const OPTOUT_HANDLE = 'clickpath-optout';

	public static function add_policy_content(): void {
		if ( ! function_exists( 'wp_add_privacy_policy_content' ) ) {
			return;
		}
		$settings    = Settings::get();
		$first_party = 'first-party' === $settings['identityMode'];
		$paragraphs  = array(
			__( 'This site measures its visitors with Clickpath, privacy-first analytics. We record which pages are viewed, the page you came from (referrer and campaign tags), links you click that lead to other sites or downloads, how long pages are actively read, and your browser, operating system, device type, screen size, language and approximate location (country, region and city, derived from your IP address).', 'clickpath' ),
			__( 'Your IP address is never stored: it is used once, when a page view arrives, to derive the approximate location and then discarded. Visitors’ data is never sold or shared with anyone, and is not used for advertising.', 'clickpath' ),
			$first_party
				? __( 'Returning visitors are recognised with a random identifier kept in your browser’s local storage (first-party, not shared with other sites). When you are logged in, your visits are linked to a pseudonymous form of your user account so that you can ask us for a copy of that data or its erasure.', 'clickpath' )
				: __( 'No cookies or similar identifiers are stored on your device. Visits are counted with an identifier that changes every day and cannot be linked across days.', 'clickpath' ),
			$settings['honorDoNotTrack']
				? __( 'If your browser sends a Do Not Track or Global Privacy Control signal, your visits are not recorded at all.', 'clickpath' )
				: '',
			sprintf(
				/* translators: %d: number of days */
				__( 'Detailed visit records are kept for %d days; after that only aggregate counts that identify no one remain. You can opt out of being counted at any time with the opt-out on our privacy page.', 'clickpath' ),
				(int) $settings['retentionDays']
			),
		);

		$html = '';
		foreach ( array_filter( $paragraphs ) as $paragraph ) {
			$html .= '<p class="privacy-policy-tutorial">' . esc_html( $paragraph ) . '</p>';
		}
		wp_add_privacy_policy_content( __( 'Clickpath analytics', 'clickpath' ), $html );
	}

	/**
	 * @param array<string, array<string, mixed>> $exporters
	 * @return array<string, array<string, mixed>>
	 */
	public static function register_exporter( $exporters ) {
		$exporters['clickpath'] = array(
			'exporter_friendly_name' => __( 'Clickpath analytics', 'clickpath' ),
			'callback'               => array( self::class, 'export' ),
		);
		return $exporters;
	}

	/**
	 * @param array<string, array<string, mixed>> $erasers
	 * @return array<string, array<string, mixed>>
	 */
	public static function register_eraser( $erasers ) {
		$erasers['clickpath'] = array(
			'eraser_friendly_name' => __( 'Clickpath analytics', 'clickpath' ),
			'callback'             => array( self::class, 'erase' ),
		);
		return $erasers;
	}

	/**
	 * The visits the backend holds for the WordPress user with this email, one export
	 * item per visit with its pages and events in order, all in the first page WordPress asks for.
	 *
	 * @return array{data: array<int, array<string, mixed>>, done: bool}|WP_Error
	 */
	public static function export( string $email ) {
		$person = self::person( $email );
		if ( null === $person ) {
			return array(
				'data' => array(),
				'done' => true,
			);
		}
		$result = Backend::result( $person['client']->request( 'GET', $person['path'] ) );
		if ( is_wp_error( $result ) ) {
			return $result;
		}
		$items = array();
		foreach ( (array) ( $result->visitors ?? array() ) as $profile ) {
			foreach ( (array) ( $profile->visits ?? array() ) as $visit ) {
				$steps = array();
				foreach ( (array) ( $visit->clickstream ?? array() ) as $event ) {
					$steps[] = sprintf( '%s %s', (string) ( $event->ts ?? '' ), 'pv' === ( $event->kind ?? '' ) ? (string) ( $event->path ?? '' ) : (string) ( $event->name ?? $event->kind ?? '' ) );
				}
				$items[] = array(
					'group_id'          => 'clickpath-visits',
					'group_label'       => __( 'Site visits (Clickpath analytics)', 'clickpath' ),
					'group_description' => __( 'Visits to this site recorded while you were logged in, with the pages you viewed in order.', 'clickpath' ),
					'item_id'           => 'clickpath-visit-' . sanitize_key( (string) ( $visit->id ?? '' ) ),
					'data'              => array(
						array(
							'name'  => __( 'Start', 'clickpath' ),
							'value' => (string) ( $visit->start ?? '' ),
						),
						array(
							'name'  => __( 'Came from', 'clickpath' ),
							'value' => (string) ( $visit->source ?? '' ),
						),
						array(
							'name'  => __( 'Device', 'clickpath' ),
							'value' => trim( ( $visit->device ?? '' ) . ' ' . ( $visit->browser ?? '' ) . ' ' . ( $visit->os ?? '' ) ),
						),
						array(
							'name'  => __( 'Location', 'clickpath' ),
							'value' => trim( ( $visit->city ?? '' ) . ' ' . ( $visit->country ?? '' ) ),
						),
						array(
							'name'  => __( 'Pages and events', 'clickpath' ),
							'value' => implode( "\n", $steps ),
						),
					),
				);
			}
		}
		return array(
			'data' => $items,
			'done' => true,
		);
	}

	/**
	 * Erases on the backend everything linked to the WordPress user with this email, in one
	 * request (WordPress's page number is not needed).
	 *
	 * @return array{items_removed: bool, items_retained: bool, messages: array<int, string>, done: bool}
	 */
	public static function erase( string $email ): array {
		$answer = array(
			'items_removed'  => false,
			'items_retained' => false,
			'messages'       => array(),
			'done'           => true,
		);
		$person = self::person( $email );
		if ( null === $person ) {
			return $answer;
		}
		$result = Backend::result( $person['client']->request( 'DELETE', $person['path'] ) );
		if ( is_wp_error( $result ) ) {
			$answer['items_retained'] = true;
			/* translators: %s: the error */
			$answer['messages'][] = sprintf( __( 'Clickpath analytics could not erase the data: %s', 'clickpath' ), $result->get_error_message() );
			return $answer;
		}
		$answer['items_removed'] = (int) ( $result->visitors ?? 0 ) > 0;
		if ( false === ( $result->complete ?? true ) ) {
			$answer['items_retained'] = true;
			$answer['messages'][]     = __( 'Clickpath analytics: visits from the last few seconds were still being processed. Run the erasure again in a minute to remove them too.', 'clickpath' );
		}
		return $answer;
	}

	/**
	 * The backend client and path for a person's data, or null when the site cannot hold
	 * any: no such user, not connected, or users are never identified.
	 *
	 * @return array{client: Backend, path: string}|null
	 */
	private static function person( string $email ): ?array {
		$user     = get_user_by( 'email', $email );
		$settings = Settings::get();
		$client   = Backend::connected();
		if ( ! $user || is_wp_error( $client ) || 'first-party' !== $settings['identityMode'] ) {
			return null;
		}
		// Identification may have been on earlier, so the person is looked up even when it is off now.
		$path = 'sites/' . rawurlencode( $settings['siteId'] ) . '/people/' . rawurlencode( Settings::user_identity( $user->ID, $settings ) );
		return array(
			'client' => $client,
			'path'   => $path,
		);
	}

	/**
	 * A checkbox that opts this browser out of (or back into) being counted. Its script is an
	 * inline script of a source-less handle, printed once in the footer, after every checkbox.
	 */
	public static function optout_html(): string {
		if ( ! wp_script_is( self::OPTOUT_HANDLE, 'registered' ) ) {
			wp_register_script( self::OPTOUT_HANDLE, false, array(), CLICKPATH_VERSION, true );
			// The tracker checks localStorage.clickpath_ignore before sending anything.
			wp_add_inline_script( self::OPTOUT_HANDLE, '(function(){try{var s=window.localStorage;document.querySelectorAll(".clickpath-optout__toggle").forEach(function(c){c.checked=!s.getItem("clickpath_ignore");c.addEventListener("change",function(){c.checked?s.removeItem("clickpath_ignore"):s.setItem("clickpath_ignore","1")})})}catch(e){}})();' );
		}
		wp_enqueue_script( self::OPTOUT_HANDLE );
		return '<p class="clickpath-optout"><label><input type="checkbox" class="clickpath-optout__toggle" checked> '
			. esc_html__( 'Include my visits in this site’s privacy-friendly statistics.', 'clickpath' )
			. '</label></p>';
	}

	/** The opt-out as a block; the server renders it, so the editor script only describes it. */
	public static function register_block(): void {
		register_block_type(
			'clickpath/optout',
			array(
				'render_callback' => array( self::class, 'optout_html' ),
			)
		);
	}

	public static function enqueue_block_editor_script(): void {
		wp_enqueue_script(
			'clickpath-optout-block',
			plugins_url( 'assets/optout-block.js', CLICKPATH_FILE ),
			array( 'wp-blocks', 'wp-element', 'wp-i18n', 'wp-block-editor', 'wp-server-side-render' ),
			CLICKPATH_VERSION,
			true
		);
		wp_set_script_translations( 'clickpath-optout-block', 'clickpath', CLICKPATH_DIR . '/languages' );
	}
}
