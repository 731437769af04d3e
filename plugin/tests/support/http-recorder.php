<?php
/**
 * Plugin Name: Clickpath HTTP recorder (tests only)
 * Description: Must-use plugin for Clickpath's tests. When a request carries the header
 * "X-Clickpath-Record-Http: 1", records every outgoing request made through WordPress's HTTP API
 * (the `pre_http_request` filter, which every wp_remote_* / wp_safe_remote_* call passes) and
 * appends "<!-- clickpath-http: N url … -->" to the HTML response. Never ship this file; the
 * tests copy it into wp-content/mu-plugins/ and remove it afterwards.
 *
 * @package Clickpath
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

if ( isset( $_SERVER['HTTP_X_CLICKPATH_RECORD_HTTP'] ) && '1' === $_SERVER['HTTP_X_CLICKPATH_RECORD_HTTP'] ) {
	$GLOBALS['clickpath_recorded_http'] = array();
	add_filter(
		'pre_http_request',
		static function ( $pre, $args, $url ) {
			$GLOBALS['clickpath_recorded_http'][] = (string) $url;
			return $pre;
		},
		-1000000,
		3
	);
	add_action(
		'shutdown',
		static function () {
			foreach ( headers_list() as $header ) {
				if ( 0 === stripos( $header, 'content-type:' ) && false === stripos( $header, 'text/html' ) ) {
					return;
				}
			}
			$urls = array_map( static fn ( $url ) => str_replace( array( '--', '>' ), '', $url ), $GLOBALS['clickpath_recorded_http'] );
			// phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- an HTML comment for the tests to read; '--' and '>' are removed, so it cannot end early.
			echo "\n<!-- clickpath-http: " . count( $urls ) . ( $urls ? ' ' . implode( ' ', $urls ) : '' ) . " -->\n";
		},
		PHP_INT_MAX - 1
	);
}
