<?php
/**
 * REST routes under `clickpath/v1`: the settings screen's endpoints (its self-test, the site's
 * alerts and email reports too), and a proxy that forwards the report panel's requests to the
 * backend with the API key, server-side.
 *
 * @package Clickpath
 */

namespace Clickpath;

use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

final class Rest {

	public const NAMESPACE = 'clickpath/v1';

	/** Seconds a report answer is cached: briefly while its range includes today, longer once it is history. */
	private const CACHE_LIVE = 10;

	private const CACHE_PAST = 300;

	/** Registers the routes (rest_api_init). */
	public static function register(): void {
		( new self() )->register_routes();
	}

	public function register_routes(): void {
		$this->route( 'settings', WP_REST_Server::READABLE, array( $this, 'get_settings' ) );
		$this->route( 'settings', WP_REST_Server::CREATABLE, array( $this, 'update_settings' ) );
		$this->route(
			'connect',
			WP_REST_Server::CREATABLE,
			array( $this, 'connect' ),
			array(
				'backendUrl' => array(
					'type'      => 'string',
					'required'  => true,
					'maxLength' => 500,
				),
				'apiKey'     => array(
					'type'      => 'string',
					'maxLength' => 200,
					'pattern'   => '^[A-Za-z0-9_-]+\z',
				),
			)
		);
		$this->route( 'disconnect', WP_REST_Server::CREATABLE, array( $this, 'disconnect' ) );
		$this->route( 'self-test', WP_REST_Server::READABLE, array( $this, 'self_test' ) );

		foreach ( Api_Routes::OPERATIONS as $id => $operation ) {
			$this->register_operation( $id, $operation );
		}
	}

	/**
	 * Registers one operation of the generated table (Api_Routes, from the backend's OpenAPI
	 * document) with its argument schemas, so that WordPress answers 400 to a bad argument before
	 * any request; two checks the document cannot state are added here.
	 *
	 * @param array{route: string, method: string, access: string, args: array<string, array<string, mixed>>} $operation
	 */
	private function register_operation( string $id, array $operation ): void {
		$args = $operation['args'];
		if ( isset( $args['filter'] ) ) {
			// PHP reads a repeated filter= as its last value, so filters arrive as filter[]=; their syntax is checked here.
			$args['filter'] = array(
				'validate_callback' => array( $this, 'validate_filters' ),
				'sanitize_callback' => static fn ( $value ) => array_values( (array) $value ),
			);
		}
		if ( 'addEmailReport' === $id ) {
			$args['weekday']['validate_callback'] = array( $this, 'validate_weekday' );
		}
		if ( 'admin' === $operation['access'] ) {
			$this->site_setting( $operation['route'], $operation['method'], $args );
		} else {
			$this->proxy( $operation['route'], $operation['method'], 'write' === $operation['access'], $args );
		}
	}

	// ---- settings -------------------------------------------------------------

	public function get_settings(): WP_REST_Response {
		return new WP_REST_Response( self::settings_view( Settings::get() ) );
	}

	public function update_settings( WP_REST_Request $request ): WP_REST_Response|WP_Error {
		$input = $request->get_json_params();
		if ( ! is_array( $input ) ) {
			return new WP_Error( 'clickpath_invalid_settings', __( 'Send the settings as a JSON object.', 'clickpath' ), array( 'status' => 400 ) );
		}
		$current = Settings::get();
		$next    = Settings::sanitize( $input, $current );
		if ( is_wp_error( $next ) ) {
			return $next;
		}
		$changed = array_filter( Settings::SITE_LEVEL, static fn ( $name ) => $next[ $name ] !== $current[ $name ] );
		$client  = Backend::connected();
		if ( $changed && ! is_wp_error( $client ) ) {
			if ( ! in_array( 'sites:manage', $current['scopes'], true ) ) {
				return new WP_Error(
					'clickpath_key_scope',
					__( 'The API key may only read stats, so it cannot change how the Clickpath server collects for this site. Connect with a key that has the sites:manage scope, or change these options in the Clickpath dashboard.', 'clickpath' ),
					array( 'status' => 403 )
				);
			}
			$pushed = Backend::result(
				$client->request( 'PATCH', 'sites/' . rawurlencode( $current['siteId'] ), array(), array( 'settings' => self::site_settings( $next ) ) )
			);
			if ( is_wp_error( $pushed ) ) {
				return $pushed;
			}
		}
		if ( $next['relay'] || $current['relay'] ) {
			$relay = Relay::apply( $next );
			if ( is_wp_error( $relay ) ) {
				return $relay;
			}
		}
		Settings::save( $next );
		Settings::apply_stats_roles( $next['statsRoles'] );
		Settings::invalidate_reports();
		return new WP_REST_Response( self::settings_view( $next ) );
	}

	public function connect( WP_REST_Request $request ): WP_REST_Response|WP_Error {
		$url = Backend::normalize_url( (string) $request['backendUrl'] );
		if ( is_wp_error( $url ) ) {
			return $url;
		}
		// Multisite: the URL decides where this server sends requests, so a sub-site admin may not choose it.
		$locked = Network::check_backend_url( $url );
		if ( $locked ) {
			return $locked;
		}
		$typed = (string) ( $request['apiKey'] ?? '' );
		if ( '' !== $typed && Settings::key_from_constant() ) {
			return new WP_Error( 'clickpath_key_in_config', __( 'The API key is set by the CLICKPATH_API_KEY constant in wp-config.php. Change it there.', 'clickpath' ), array( 'status' => 400 ) );
		}
		$key = '' !== $typed ? $typed : Settings::api_key();
		if ( '' === $key ) {
			return new WP_Error( 'clickpath_key_missing', __( 'Paste an API key created in the Clickpath dashboard (Sites → API keys).', 'clickpath' ), array( 'status' => 400 ) );
		}
		$me = Backend::result( ( new Backend( $url, $key ) )->request( 'GET', 'me' ) );
		if ( is_wp_error( $me ) ) {
			return $me;
		}
		if ( ! is_object( $me ) || 'apiKey' !== ( $me->type ?? '' ) || ! isset( $me->site->id, $me->site->publicId, $me->key->scopes ) ) {
			return new WP_Error( 'clickpath_not_a_key', __( 'The server did not recognise this as a site API key. Paste a key from the site’s API keys page, not a password.', 'clickpath' ), array( 'status' => 400 ) );
		}
		$scopes = array_values( array_intersect( (array) $me->key->scopes, array( 'stats:read', 'sites:manage', 'events:write' ) ) );
		if ( ! array_intersect( $scopes, array( 'stats:read', 'sites:manage' ) ) ) {
			return new WP_Error( 'clickpath_key_scope', __( 'This API key cannot read stats. Create a key with the stats:read scope (and sites:manage to change collection options from WordPress).', 'clickpath' ), array( 'status' => 400 ) );
		}
		$settings = array_merge(
			Settings::get(),
			array(
				'backendUrl'   => $url,
				'siteId'       => sanitize_text_field( (string) $me->site->id ),
				'publicId'     => sanitize_text_field( (string) $me->site->publicId ),
				'siteName'     => sanitize_text_field( (string) ( $me->site->name ?? '' ) ),
				'siteDomain'   => sanitize_text_field( (string) ( $me->site->domain ?? '' ) ),
				'siteTimezone' => sanitize_text_field( (string) ( $me->site->timezone ?? '' ) ),
				'scopes'       => $scopes,
			),
			self::from_site_settings( $me->site->settings ?? null )
		);
		if ( '' !== $typed ) {
			Settings::store_api_key( $typed );
		}
		if ( $settings['relay'] && is_wp_error( Relay::apply( $settings ) ) ) {
			// Connected elsewhere, or with a key that may not issue a relay secret: hits go straight to the server again.
			$settings['relay'] = false;
			Relay::apply( $settings );
		}
		Settings::save( $settings );
		Settings::invalidate_reports();
		return new WP_REST_Response( self::settings_view( $settings ) );
	}

	public function disconnect(): WP_REST_Response {
		Settings::delete_api_key();
		$settings = array_merge(
			Settings::get(),
			array(
				'siteId'       => '',
				'publicId'     => '',
				'siteName'     => '',
				'siteDomain'   => '',
				'siteTimezone' => '',
				'scopes'       => array(),
				'relay'        => false,
			)
		);
		Relay::apply( $settings );
		Settings::save( $settings );
		Settings::invalidate_reports();
		return new WP_REST_Response( self::settings_view( $settings ) );
	}

	/** What the settings screen's collection self-test runs against (Self_Test::setup()). */
	public function self_test(): WP_REST_Response|WP_Error {
		$setup = Self_Test::setup();
		return is_wp_error( $setup ) ? $setup : new WP_REST_Response( $setup );
	}

	/**
	 * What the settings screen sees. Never the key: only whether one is stored, and a mask.
	 *
	 * @param array<string, mixed> $settings
	 * @return array<string, mixed>
	 */
	public static function settings_view( array $settings ): array {
		$key       = Settings::api_key();
		$connected = Settings::is_tracking_ready( $settings ) && '' !== $settings['siteId'] && '' !== $key;
		$warnings  = array();
		if ( $connected ) {
			$home = strtolower( (string) wp_parse_url( home_url(), PHP_URL_HOST ) );
			$bare = static fn ( string $host ) => preg_replace( '/^www\./', '', $host );
			if ( $bare( strtolower( $settings['siteDomain'] ) ) !== $bare( $home ) ) {
				$warnings[] = sprintf(
					/* translators: 1: the Clickpath site's domain, 2: this WordPress's host */
					__( 'The Clickpath site is set up for %1$s, but this WordPress runs at %2$s. Check that you pasted the key of the right site.', 'clickpath' ),
					$settings['siteDomain'],
					$home
				);
			}
			if ( ! in_array( 'sites:manage', $settings['scopes'], true ) ) {
				$warnings[] = __( 'The API key may only read stats: collection options, alerts, email reports, automatic annotations and personal-data erasure need a key with the sites:manage scope.', 'clickpath' );
			}
		}
		if ( $settings['relay'] ) {
			$warnings = array_merge( $warnings, Relay::warnings() );
		}
		$view = array(
			'backendUrl' => $settings['backendUrl'],
			'connected'  => $connected,
			'site'       => $connected ? array(
				'id'     => $settings['siteId'],
				'name'   => $settings['siteName'],
				'domain' => $settings['siteDomain'],
			) : null,
			'key'        => '' === $key ? null : array(
				'mask'         => Settings::key_mask( $key ),
				'fromConstant' => Settings::key_from_constant(),
			),
			'scopes'     => $settings['scopes'],
			'warnings'   => $warnings,
		);
		// A sub-site admin on multisite connects to the network's server: the screen shows it read-only.
		$view['backendUrlLocked'] = ! Network::may_set_backend_url();
		if ( $view['backendUrlLocked'] && ! $connected ) {
			$view['backendUrl'] = Network::backend_url();
		}
		foreach ( array( 'identityMode', 'excludedRoles', 'statsRoles', 'trackerSource', 'track404', 'identifyUsers', 'autoAnnotations', 'honorDoNotTrack', 'trackOutbound', 'trackDownloads', 'trackEngagement', 'relay', 'retentionDays' ) as $name ) {
			$view[ $name ] = $settings[ $name ];
		}
		return $view;
	}

	/** @return array<string, mixed> The backend's names for the site-level options. */
	private static function site_settings( array $settings ): array {
		return array(
			'identityMode'          => $settings['identityMode'],
			'honorDoNotTrack'       => $settings['honorDoNotTrack'],
			'rawEventRetentionDays' => $settings['retentionDays'],
			'trackOutbound'         => $settings['trackOutbound'],
			'trackDownloads'        => $settings['trackDownloads'],
			'trackEngagement'       => $settings['trackEngagement'],
		);
	}

	/**
	 * The backend's site settings in the plugin's names; anything missing or malformed is left out.
	 *
	 * @param mixed $remote
	 * @return array<string, mixed>
	 */
	private static function from_site_settings( $remote ): array {
		if ( ! is_object( $remote ) ) {
			return array();
		}
		$remote = get_object_vars( $remote );
		$local  = array();
		if ( isset( $remote['identityMode'] ) && in_array( $remote['identityMode'], Settings::IDENTITY_MODES, true ) ) {
			$local['identityMode'] = $remote['identityMode'];
		}
		if ( isset( $remote['rawEventRetentionDays'] ) && is_int( $remote['rawEventRetentionDays'] ) ) {
			$local['retentionDays'] = $remote['rawEventRetentionDays'];
		}
		foreach ( array( 'honorDoNotTrack', 'trackOutbound', 'trackDownloads', 'trackEngagement' ) as $flag ) {
			if ( isset( $remote[ $flag ] ) && is_bool( $remote[ $flag ] ) ) {
				$local[ $flag ] = $remote[ $flag ];
			}
		}
		return $local;
	}

	// ---- reports and alerts (settings screen) ------------------------------------

	/**
	 * Registers one administrators-only route relayed to the same path under the connected site.
	 * The JSON body sent on is built from the declared, validated and sanitized arguments only.
	 *
	 * @param array<string, array<string, mixed>> $args
	 */
	private function site_setting( string $pattern, string $method, array $args = array() ): void {
		register_rest_route(
			self::NAMESPACE,
			'/' . $pattern,
			array(
				'methods'             => $method,
				'callback'            => fn ( WP_REST_Request $request ) => $this->relay( $request, $method, array_keys( $args ) ),
				'permission_callback' => static fn () => current_user_can( Plugin::SETTINGS_CAPABILITY ),
				'args'                => $args,
			)
		);
	}

	/**
	 * Sends one settings request to the backend and answers with its status and body (no cache:
	 * the screen shows what the server holds now).
	 *
	 * @param string[] $fields
	 */
	private function relay( WP_REST_Request $request, string $method, array $fields ): WP_REST_Response|WP_Error {
		$client = Backend::connected();
		if ( is_wp_error( $client ) ) {
			return $client;
		}
		$body = null;
		if ( $fields ) {
			$body = array();
			foreach ( $fields as $name ) {
				$value = $request->get_param( $name );
				if ( null !== $value ) {
					$body[ $name ] = $value;
				}
			}
		}
		$response = $client->request( $method, self::site_path( $request ), array(), $body );
		$result   = Backend::result( $response );
		if ( is_wp_error( $result ) ) {
			return $result;
		}
		// WordPress sends no body for null data, which a JSON client only expects with a 204 (a preview's 202 has none).
		return new WP_REST_Response( null === $result && 204 !== $response['status'] ? (object) array() : $result, $response['status'] );
	}

	/**
	 * A weekday goes with weekly reports only (the backend refuses it on a monthly one).
	 *
	 * @param mixed           $value
	 * @param WP_REST_Request $request
	 * @param string          $param
	 */
	public function validate_weekday( $value, $request, $param ): bool|WP_Error {
		if ( 'monthly' === $request->get_param( 'frequency' ) ) {
			return new WP_Error( 'rest_invalid_param', __( 'weekday applies to weekly reports only.', 'clickpath' ), array( 'status' => 400 ) );
		}
		return rest_validate_request_arg( $value, $request, $param );
	}

	// ---- report proxy ------------------------------------------------------------

	/**
	 * Registers one proxied route. Reads need the stats capability; writes (create, edit and
	 * delete goals, funnels and annotations) change the site for everyone and need the settings
	 * capability.
	 *
	 * @param array<string, array<string, mixed>> $args
	 */
	private function proxy( string $pattern, string $method, bool $write, array $args ): void {
		$capability = $write ? Plugin::SETTINGS_CAPABILITY : Plugin::STATS_CAPABILITY;
		register_rest_route(
			self::NAMESPACE,
			'/' . $pattern,
			array(
				'methods'             => $method,
				'callback'            => fn ( WP_REST_Request $request ) => $this->forward( $request, $method ),
				'permission_callback' => static fn () => current_user_can( $capability ),
				'args'                => $args,
			)
		);
	}

	private function forward( WP_REST_Request $request, string $method ): WP_REST_Response|WP_Error {
		$client = Backend::connected();
		if ( is_wp_error( $client ) ) {
			return $client;
		}
		$route = substr( $request->get_route(), strlen( '/' . self::NAMESPACE . '/' ) );
		$path  = self::site_path( $request );
		$query = array();
		foreach ( array_keys( $request->get_attributes()['args'] ?? array() ) as $name ) {
			$value = $request->get_param( $name );
			if ( null === $value ) {
				continue;
			}
			foreach ( (array) $value as $item ) {
				$query[] = array( $name, (string) $item );
			}
		}
		$body = null;
		if ( 'POST' === $method || 'PATCH' === $method ) {
			$body = $request->get_json_params();
			if ( ! is_array( $body ) || strlen( (string) wp_json_encode( $body ) ) > 10000 ) {
				return new WP_Error( 'clickpath_invalid_body', __( 'Send a JSON object of at most 10 KB.', 'clickpath' ), array( 'status' => 400 ) );
			}
		}
		$cacheable = 'GET' === $method && 'stats/realtime' !== $route && ! str_starts_with( $route, 'export/' );
		$cache_key = Settings::cache_key( 'r', $path . '|' . wp_json_encode( $query ) );
		if ( $cacheable ) {
			$cached = get_transient( $cache_key );
			if ( is_array( $cached ) ) {
				return new WP_REST_Response( $cached['data'], 200 );
			}
		}
		$response = $client->request( $method, $path, $query, $body );
		if ( str_starts_with( $route, 'export/' ) && ! is_wp_error( $response ) && 200 === $response['status'] ) {
			return $this->export_response( $response, $route );
		}
		$result = Backend::result( $response );
		if ( is_wp_error( $result ) ) {
			return $result;
		}
		if ( 'GET' !== $method ) {
			// A change to goals, funnels or annotations shows in every cached report.
			Settings::invalidate_reports();
		}
		if ( $cacheable ) {
			$to  = (string) $request->get_param( 'to' );
			$ttl = '' !== $to && $to < wp_date( 'Y-m-d' ) ? self::CACHE_PAST : self::CACHE_LIVE;
			set_transient( $cache_key, array( 'data' => $result ), $ttl );
		}
		return new WP_REST_Response( $result, 'POST' === $method ? 201 : ( null === $result ? 204 : 200 ) );
	}

	/** @param array{status: int, body: string, type: string, json: mixed} $response */
	private function export_response( array $response, string $route ): WP_REST_Response {
		$format = str_contains( $response['type'], 'json' ) ? 'json' : 'csv';
		$name   = 'clickpath-' . sanitize_file_name( str_replace( '/', '-', $route ) ) . '-' . wp_date( 'Y-m-d' ) . '.' . $format;
		$result = new WP_REST_Response( $response['body'], 200 );
		$result->header( 'Content-Type', 'json' === $format ? 'application/json; charset=utf-8' : 'text/csv; charset=utf-8' );
		$result->header( 'Content-Disposition', 'attachment; filename="' . $name . '"' );
		$result->header( 'X-Content-Type-Options', 'nosniff' );
		$result->header( 'Cache-Control', 'no-store' );
		return $result;
	}

	/**
	 * Sends an export as the file the backend produced instead of a JSON-encoded string.
	 *
	 * @param bool            $served
	 * @param mixed           $result
	 * @param WP_REST_Request $request
	 */
	public static function serve_export( $served, $result, $request ): bool {
		if ( $served || ! $result instanceof WP_REST_Response || 200 !== $result->get_status() || ! str_starts_with( (string) $request->get_route(), '/' . self::NAMESPACE . '/export/' ) || ! is_string( $result->get_data() ) ) {
			return (bool) $served;
		}
		echo $result->get_data(); // phpcs:ignore WordPress.Security.EscapeOutput -- a CSV/JSON download, sent as an attachment with nosniff.
		return true;
	}

	/** @param mixed $value */
	public function validate_filters( $value ): bool|WP_Error {
		$filters = (array) $value;
		if ( count( $filters ) > 10 ) {
			return new WP_Error( 'rest_invalid_param', __( 'At most 10 filters.', 'clickpath' ), array( 'status' => 400 ) );
		}
		foreach ( $filters as $filter ) {
			if ( ! is_string( $filter ) || strlen( $filter ) > 300 || ! preg_match( '/^[a-z_]+:(is|is_not|contains):/', $filter ) ) {
				return new WP_Error( 'rest_invalid_param', __( 'A filter looks like dimension:is|is_not|contains:value (at most 300 characters).', 'clickpath' ), array( 'status' => 400 ) );
			}
		}
		return true;
	}

	// ---- helpers -------------------------------------------------------------------

	/** The backend path of a proxied request: the same route under the connected site. */
	private static function site_path( WP_REST_Request $request ): string {
		$route = substr( $request->get_route(), strlen( '/' . self::NAMESPACE . '/' ) );
		return 'sites/' . rawurlencode( Settings::get()['siteId'] ) . '/' . implode( '/', array_map( 'rawurlencode', explode( '/', $route ) ) );
	}

	/**
	 * A settings route: administrators only.
	 *
	 * @param callable                            $callback
	 * @param array<string, array<string, mixed>> $args
	 */
	private function route( string $path, string $methods, $callback, array $args = array() ): void {
		register_rest_route(
			self::NAMESPACE,
			'/' . $path,
			array(
				'methods'             => $methods,
				'callback'            => $callback,
				'permission_callback' => static fn () => current_user_can( Plugin::SETTINGS_CAPABILITY ),
				'args'                => $args,
			)
		);
	}
}
