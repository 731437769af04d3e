<?php
/**
 * The proxy registers exactly the generated table (includes/class-api-routes.php, written by
 * `npm run contract` from the backend's OpenAPI document): every operation with its route,
 * method and argument schemas, and no other backend route.
 *
 * @package Clickpath
 */

namespace Clickpath\Tests;

use Clickpath\Api_Routes;

final class ApiRoutesTest extends TestCase {

	/** The settings screen's own routes, answered by the plugin itself. */
	private const OWN_ROUTES = array(
		'GET /clickpath/v1/settings',
		'POST /clickpath/v1/settings',
		'POST /clickpath/v1/connect',
		'POST /clickpath/v1/disconnect',
		'GET /clickpath/v1/self-test',
	);

	/** @return array<string, array<string, mixed>> Handler args by "METHOD /route". */
	private function registered(): array {
		$found = array();
		foreach ( rest_get_server()->get_routes( 'clickpath/v1' ) as $route => $handlers ) {
			if ( '/clickpath/v1' === $route ) {
				continue;
			}
			foreach ( $handlers as $handler ) {
				foreach ( array_keys( array_filter( $handler['methods'] ) ) as $method ) {
					$found[ "$method $route" ] = $handler['args'] ?? array();
				}
			}
		}
		return $found;
	}

	public function test_the_registered_routes_are_the_generated_table_and_the_settings_routes(): void {
		$expected = self::OWN_ROUTES;
		foreach ( Api_Routes::OPERATIONS as $operation ) {
			$expected[] = $operation['method'] . ' /clickpath/v1/' . $operation['route'];
		}
		$found = array_keys( $this->registered() );
		sort( $expected );
		sort( $found );
		$this->assertSame( $expected, $found );
		$this->assertGreaterThan( 20, count( Api_Routes::OPERATIONS ) );
	}

	public function test_each_operation_takes_its_generated_arguments(): void {
		$registered = $this->registered();
		foreach ( Api_Routes::OPERATIONS as $id => $operation ) {
			$args = $registered[ $operation['method'] . ' /clickpath/v1/' . $operation['route'] ];
			$this->assertSame( array_keys( $operation['args'] ), array_keys( $args ), $id );
			foreach ( $operation['args'] as $name => $schema ) {
				if ( 'filter' === $name ) {
					// Replaced by the filter syntax check (Rest::validate_filters).
					$this->assertArrayHasKey( 'validate_callback', $args[ $name ], $id );
					continue;
				}
				$this->assertSame( $schema, array_intersect_key( $args[ $name ], $schema ), "$id $name" );
			}
		}
	}
}
