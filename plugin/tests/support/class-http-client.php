<?php
/**
 * A small cURL client for real HTTP requests to the test site's `php -S` server, with a cookie
 * jar per instance (one instance = one browser). Deliberately not WordPress's HTTP API, so the
 * fake backend's `pre_http_request` filter in this process never sees these requests.
 *
 * @package Clickpath
 */

namespace Clickpath\Tests;

use RuntimeException;

final class HttpClient {

	/** @var array<string, string> */
	public array $cookies = array();

	private string $base;

	public function __construct( ?string $base = null ) {
		$this->base = rtrim( $base ?? (string) getenv( 'CLICKPATH_WP_URL' ), '/' );
	}

	/**
	 * @param array<string, string>      $headers
	 * @param array<string, string>|string|null $body Form fields, or a raw body (send your Content-Type).
	 * @return array{status: int, headers: array<string, string[]>, body: string}
	 */
	public function request( string $method, string $path, array $headers = array(), $body = null ): array {
		$curl          = curl_init( $this->base . $path );
		$response_head = array();
		$header_lines  = array();
		foreach ( $headers as $name => $value ) {
			$header_lines[] = $name . ': ' . $value;
		}
		if ( $this->cookies ) {
			$header_lines[] = 'Cookie: ' . implode(
				'; ',
				array_map( static fn ( $name, $value ) => $name . '=' . $value, array_keys( $this->cookies ), $this->cookies )
			);
		}
		curl_setopt_array(
			$curl,
			array(
				CURLOPT_CUSTOMREQUEST  => $method,
				CURLOPT_RETURNTRANSFER => true,
				CURLOPT_FOLLOWLOCATION => false,
				CURLOPT_TIMEOUT        => 20,
				CURLOPT_HTTPHEADER     => $header_lines,
				CURLOPT_HEADERFUNCTION => static function ( $handle, $line ) use ( &$response_head ) {
					$parts = explode( ':', $line, 2 );
					if ( 2 === count( $parts ) ) {
						$response_head[ strtolower( trim( $parts[0] ) ) ][] = trim( $parts[1] );
					}
					return strlen( $line );
				},
			)
		);
		if ( null !== $body ) {
			curl_setopt( $curl, CURLOPT_POSTFIELDS, is_array( $body ) ? http_build_query( $body ) : $body );
		}
		$text = curl_exec( $curl );
		if ( false === $text ) {
			$error = curl_error( $curl );
			curl_close( $curl );
			throw new RuntimeException( "$method $path failed: $error" );
		}
		$status = (int) curl_getinfo( $curl, CURLINFO_RESPONSE_CODE );
		curl_close( $curl );
		foreach ( $response_head['set-cookie'] ?? array() as $cookie ) {
			list( $pair )         = explode( ';', $cookie, 2 );
			list( $name, $value ) = array_pad( explode( '=', $pair, 2 ), 2, '' );
			if ( 'deleted' === $value || '' === $value || preg_match( '/expires=[^;]*19[0-9]{2}/i', $cookie ) ) {
				unset( $this->cookies[ trim( $name ) ] );
			} else {
				$this->cookies[ trim( $name ) ] = trim( $value );
			}
		}
		// Whatever the server did, this process must read the database afresh afterwards.
		wp_cache_flush();
		return array(
			'status'  => $status,
			'headers' => $response_head,
			'body'    => (string) $text,
		);
	}

	/** @return array{status: int, headers: array<string, string[]>, body: string} */
	public function get( string $path, array $headers = array() ): array {
		return $this->request( 'GET', $path, $headers );
	}

	/** Logs in through wp-login.php like a browser (with the test cookie). */
	public function login( string $user, string $password ): self {
		$this->cookies['wordpress_test_cookie'] = 'WP%20Cookie%20check';
		$response                               = $this->request(
			'POST',
			'/wp-login.php',
			array( 'Content-Type' => 'application/x-www-form-urlencoded' ),
			array(
				'log'         => $user,
				'pwd'         => $password,
				'wp-submit'   => 'Log In',
				'redirect_to' => $this->base . '/wp-admin/',
				'testcookie'  => '1',
			)
		);
		$logged_in                              = array_filter( array_keys( $this->cookies ), static fn ( $name ) => str_starts_with( $name, 'wordpress_logged_in_' ) );
		if ( 302 !== $response['status'] || ! $logged_in ) {
			throw new RuntimeException( "Logging in as $user failed: HTTP {$response['status']}" );
		}
		return $this;
	}

	/** A wp_rest nonce for the logged-in user, the way wp-admin renews it (admin-ajax.php?action=rest-nonce). */
	public function rest_nonce(): string {
		$response = $this->get( '/wp-admin/admin-ajax.php?action=rest-nonce' );
		if ( 200 !== $response['status'] || ! preg_match( '/^[a-f0-9]{10}$/', trim( $response['body'] ) ) ) {
			throw new RuntimeException( 'No REST nonce: HTTP ' . $response['status'] . ' ' . substr( $response['body'], 0, 200 ) );
		}
		return trim( $response['body'] );
	}
}
