<?php
/**
 * A fake Clickpath backend: answers WordPress's HTTP API through `pre_http_request`, so no request
 * leaves the process, and records every call (method, URL, headers, decoded JSON body, arguments).
 *
 * Also records whether each URL would pass `wp_http_validate_url()` at the moment of the call,
 * i.e. whether the real request would have been allowed by `wp_safe_remote_*` (pre_http_request
 * runs before that check).
 *
 * @package Clickpath
 */

namespace Clickpath\Tests;

use WP_Error;

final class FakeBackend {

	/** @var array<int, array<string, mixed>> */
	public array $calls = array();

	/** @var array<int, array{0: string, 1: string, 2: mixed}> method, URL regex, answer (array, WP_Error or callable) */
	private array $routes = array();

	private bool $installed = false;

	/** @var callable */
	private $filter;

	public function __construct() {
		$this->filter = array( $this, 'handle' );
	}

	public function install(): self {
		if ( ! $this->installed ) {
			add_filter( 'pre_http_request', $this->filter, 10, 3 );
			$this->installed = true;
		}
		return $this;
	}

	public function uninstall(): void {
		remove_filter( 'pre_http_request', $this->filter, 10 );
		$this->installed = false;
	}

	/**
	 * Answers requests whose method matches and whose URL matches the regex. Later routes win.
	 *
	 * @param array<string, mixed>|WP_Error|callable $answer An answer built by json()/status(), a WP_Error, or fn( $call ) => answer.
	 */
	public function on( string $method, string $url_regex, $answer ): self {
		$this->routes[] = array( strtoupper( $method ), $url_regex, $answer );
		return $this;
	}

	/** A JSON answer. @param mixed $body */
	public static function json( int $status, $body, array $headers = array() ): array {
		return self::status( $status, (string) wp_json_encode( $body ), $headers + array( 'content-type' => 'application/json; charset=utf-8' ) );
	}

	/**
	 * The backend's /api/v1/me answer for an API key of $site with $scopes.
	 *
	 * @param array<string, mixed> $site   The key's site, as the backend describes it.
	 * @param string[]             $scopes The key's scopes.
	 */
	public static function key_answer( array $site, array $scopes = array( 'stats:read', 'sites:manage' ) ): array {
		return self::json(
			200,
			array(
				'type' => 'apiKey',
				'key'  => array(
					'id'     => '65a1b2c3d4e5f60718293a00',
					'name'   => 'WordPress',
					'prefix' => 'cp_live_ab',
					'scopes' => $scopes,
				),
				'site' => $site,
			)
		);
	}

	/** A raw answer in the shape WordPress's HTTP API returns. */
	public static function status( int $status, string $body = '', array $headers = array() ): array {
		return array(
			'headers'  => array_change_key_case( $headers, CASE_LOWER ),
			'body'     => $body,
			'response' => array(
				'code'    => $status,
				'message' => get_status_header_desc( $status ),
			),
			'cookies'  => array(),
			'filename' => null,
		);
	}

	/**
	 * @param false|array|WP_Error $pre
	 * @param array<string, mixed> $args
	 * @return array<string, mixed>|WP_Error
	 */
	public function handle( $pre, $args, $url ) {
		$headers       = array_change_key_case( (array) ( $args['headers'] ?? array() ), CASE_LOWER );
		$call          = array(
			'method'  => strtoupper( (string) ( $args['method'] ?? 'GET' ) ),
			'url'     => (string) $url,
			'headers' => $headers,
			'body'    => isset( $args['body'] ) && is_string( $args['body'] ) ? json_decode( $args['body'], true ) : null,
			'rawBody' => $args['body'] ?? null,
			'args'    => $args,
			// Whether wp_safe_remote_* would let this URL through right now.
			'safe'    => false !== wp_http_validate_url( $url ),
		);
		$this->calls[] = $call;
		foreach ( array_reverse( $this->routes ) as list( $method, $regex, $answer ) ) {
			if ( $method === $call['method'] && preg_match( $regex, $call['url'] ) ) {
				return is_callable( $answer ) && ! is_array( $answer ) ? $answer( $call ) : $answer;
			}
		}
		return self::json(
			404,
			array(
				'error' => array(
					'code'    => 'not_found',
					'message' => 'The fake backend has no answer for ' . $call['method'] . ' ' . $call['url'],
				),
			)
		);
	}

	/** Calls whose URL matches the regex. @return array<int, array<string, mixed>> */
	public function calls_to( string $url_regex, ?string $method = null ): array {
		return array_values(
			array_filter(
				$this->calls,
				static fn ( $call ) => preg_match( $url_regex, $call['url'] ) && ( null === $method || strtoupper( $method ) === $call['method'] )
			)
		);
	}
}
