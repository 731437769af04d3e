<?php
/**
 * Talks to the Clickpath backend through WordPress's HTTP API: timeouts, no redirects,
 * and exactly the configured host allowed even when it is on loopback or a private network.
 *
 * @package Clickpath
 */

namespace Clickpath;

use WP_Error;

defined( 'ABSPATH' ) || exit;

final class Backend {

	private const TIMEOUT_SECONDS = 8;

	private string $base_url;

	private string $api_key;

	private int $timeout;

	/** @param int $timeout Seconds; shorter where one screen makes several requests (the network screen). */
	public function __construct( string $base_url, string $api_key, int $timeout = self::TIMEOUT_SECONDS ) {
		$this->base_url = $base_url;
		$this->api_key  = $api_key;
		$this->timeout  = $timeout;
	}

	/** The client for the connected site, or an error saying how to connect. */
	public static function connected(): self|WP_Error {
		$settings = Settings::get();
		$key      = Settings::api_key();
		if ( '' === $settings['backendUrl'] || '' === $settings['siteId'] || '' === $key ) {
			return new WP_Error(
				'clickpath_not_connected',
				__( 'Clickpath is not connected yet. An administrator can connect it under Settings → Clickpath.', 'clickpath' ),
				array( 'status' => 409 )
			);
		}
		return new self( $settings['backendUrl'], $key );
	}

	/**
	 * Normalises a backend URL: http(s) only, a host, no credentials, query or fragment.
	 * Returns `scheme://host[:port][/path]` without a trailing slash.
	 */
	public static function normalize_url( string $url ): string|WP_Error {
		$url   = trim( $url );
		$parts = wp_parse_url( $url );
		$bad   = new WP_Error(
			'clickpath_invalid_url',
			__( 'The server URL must be an http:// or https:// address such as https://stats.example.com, without a user name, query or fragment.', 'clickpath' ),
			array( 'status' => 400 )
		);
		if ( ! is_array( $parts ) || empty( $parts['host'] ) || empty( $parts['scheme'] ) ) {
			return $bad;
		}
		$scheme = strtolower( $parts['scheme'] );
		if ( ! in_array( $scheme, array( 'http', 'https' ), true ) || isset( $parts['user'] ) || isset( $parts['pass'] ) || isset( $parts['query'] ) || isset( $parts['fragment'] ) ) {
			return $bad;
		}
		$host = strtolower( $parts['host'] );
		if ( ! preg_match( '/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)$/', $host ) || strlen( $url ) > 500 ) {
			return $bad;
		}
		$port = isset( $parts['port'] ) ? ':' . (int) $parts['port'] : '';
		$path = isset( $parts['path'] ) ? rtrim( $parts['path'], '/' ) : '';
		if ( '' !== $path && ! preg_match( '#^(/[A-Za-z0-9._~-]+)+$#', $path ) ) {
			return $bad;
		}
		return $scheme . '://' . $host . $port . $path;
	}

	/**
	 * Sends a request to `/api/v1/<path>` and decodes the JSON answer.
	 *
	 * @param array<int, array{0: string, 1: string}> $query Name/value pairs; names may repeat (filter=…).
	 * @param mixed                                   $body  Sent as JSON when not null.
	 * @return array{status: int, body: string, type: string, json: mixed}|WP_Error
	 */
	public function request( string $method, string $path, array $query = array(), $body = null ) {
		$url = $this->base_url . '/api/v1/' . ltrim( $path, '/' );
		if ( $query ) {
			$url .= '?' . implode(
				'&',
				array_map( static fn ( $pair ) => rawurlencode( $pair[0] ) . '=' . rawurlencode( $pair[1] ), $query )
			);
		}
		$args = array(
			'method'              => $method,
			'timeout'             => $this->timeout,
			'redirection'         => 0,
			'reject_unsafe_urls'  => true,
			'limit_response_size' => 20 * MB_IN_BYTES,
			'user-agent'          => 'Clickpath-WordPress/' . CLICKPATH_VERSION . '; ' . home_url( '/' ),
			'headers'             => array(
				'Authorization' => 'Bearer ' . $this->api_key,
				'Accept'        => 'application/json, text/csv',
			),
		);
		if ( null !== $body ) {
			$args['headers']['Content-Type'] = 'application/json';
			$args['body']                    = wp_json_encode( $body );
		}
		$response = $this->with_host_allowed( fn () => wp_safe_remote_request( $url, $args ) );
		if ( is_wp_error( $response ) ) {
			return new WP_Error(
				'clickpath_unreachable',
				/* translators: 1: backend host, 2: error message from WordPress's HTTP API */
				sprintf( __( 'Could not reach the Clickpath server at %1$s: %2$s', 'clickpath' ), $this->host(), $response->get_error_message() ),
				array( 'status' => 502 )
			);
		}
		$status = (int) wp_remote_retrieve_response_code( $response );
		// Whatever the server echoes (an error naming the key, a redirect carrying it) may reach a browser: mask the key.
		$redact = fn ( string $text ) => str_replace( $this->api_key, Settings::key_mask( $this->api_key ), $text );
		$text   = $redact( (string) wp_remote_retrieve_body( $response ) );
		$type   = (string) wp_remote_retrieve_header( $response, 'content-type' );
		if ( $status >= 300 && $status < 400 ) {
			return new WP_Error(
				'clickpath_redirect_refused',
				/* translators: %s: the redirect target */
				sprintf( __( 'The Clickpath server answered with a redirect (to %s). Redirects are not followed: enter the final server URL in the settings.', 'clickpath' ), esc_url_raw( $redact( (string) wp_remote_retrieve_header( $response, 'location' ) ) ) ),
				array( 'status' => 502 )
			);
		}
		$json = str_contains( $type, 'json' ) ? json_decode( $text ) : null;
		return array(
			'status' => $status,
			'body'   => $text,
			'type'   => $type,
			'json'   => $json,
		);
	}

	/**
	 * The backend's answer as the REST proxy returns it: the decoded body on success, its
	 * own error (code, message, status) otherwise, and a revoked key said in plain words.
	 *
	 * @param array{status: int, body: string, type: string, json: mixed}|WP_Error $response
	 * @return mixed|WP_Error
	 */
	public static function result( $response ) {
		if ( is_wp_error( $response ) ) {
			return $response;
		}
		$status = $response['status'];
		if ( $status >= 200 && $status < 300 ) {
			return 204 === $status ? null : $response['json'];
		}
		$error = is_object( $response['json'] ) && isset( $response['json']->error ) && is_object( $response['json']->error ) ? $response['json']->error : null;
		if ( 401 === $status ) {
			// Not the visitor's 401: WordPress would read it as "log in again".
			return new WP_Error(
				'clickpath_key_rejected',
				__( 'The Clickpath server refused the API key: it was revoked, rotated or mistyped. An administrator can paste a new key under Settings → Clickpath.', 'clickpath' ),
				array( 'status' => 502 )
			);
		}
		if ( $status >= 400 && $status < 500 && $error && isset( $error->code, $error->message ) ) {
			// The backend's own code (validation_failed, not_found…): the report panel explains it the same way on both hosts.
			return new WP_Error(
				sanitize_key( (string) $error->code ),
				sanitize_text_field( (string) $error->message ),
				array(
					'status'  => $status,
					'details' => $error->details ?? null,
				)
			);
		}
		return new WP_Error(
			'clickpath_backend_error',
			/* translators: %d: HTTP status code */
			sprintf( __( 'The Clickpath server failed with HTTP %d. Try again in a moment.', 'clickpath' ), $status ),
			array( 'status' => 502 )
		);
	}

	private function host(): string {
		return (string) wp_parse_url( $this->base_url, PHP_URL_HOST );
	}

	/**
	 * Runs a request with exactly the backend's host and port allowed by `wp_safe_remote_*`:
	 * a backend on the same machine or network is fine, every other private address is not.
	 *
	 * @param callable(): mixed $send
	 * @return mixed
	 */
	private function with_host_allowed( callable $send ) {
		$host       = $this->host();
		$port       = (int) wp_parse_url( $this->base_url, PHP_URL_PORT );
		$allow_host = static fn ( $external, $checked ) => $checked === $host ? true : $external;
		$allow_port = static fn ( $ports, $checked = '' ) => $port && $checked === $host ? array_merge( (array) $ports, array( $port ) ) : $ports;
		add_filter( 'http_request_host_is_external', $allow_host, 10, 2 );
		add_filter( 'http_allowed_safe_ports', $allow_port, 10, 2 );
		try {
			return $send();
		} finally {
			remove_filter( 'http_request_host_is_external', $allow_host, 10 );
			remove_filter( 'http_allowed_safe_ports', $allow_port );
		}
	}
}
