<?php
/**
 * Plugin Name: Clickpath query counter (tests only)
 * Description: Must-use plugin for Clickpath's tests and benchmark. When a request carries the
 * header "X-Clickpath-Count-Queries: 1", appends "<!-- clickpath-queries: N -->" to the HTML
 * response, N being $wpdb->num_queries at shutdown. Never ship this file in the plugin zip; the
 * harness (scripts/wordpress.mjs installQueryCounter()) copies it into wp-content/mu-plugins/.
 *
 * @package Clickpath
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

if ( isset( $_SERVER['HTTP_X_CLICKPATH_COUNT_QUERIES'] ) && '1' === $_SERVER['HTTP_X_CLICKPATH_COUNT_QUERIES'] ) {
	add_action(
		'shutdown',
		static function () {
			global $wpdb;
			// Only HTML: a comment would corrupt JSON, feeds, redirects and the like.
			foreach ( headers_list() as $header ) {
				if ( 0 === stripos( $header, 'content-type:' ) && false === stripos( $header, 'text/html' ) ) {
					return;
				}
			}
			$status = (int) http_response_code();
			if ( 'HEAD' === ( $_SERVER['REQUEST_METHOD'] ?? 'GET' ) || ( $status >= 300 && $status < 400 ) ) { // phpcs:ignore WordPress.Security.ValidatedSanitizedInput -- only compared with a constant.
				return;
			}
			echo "\n<!-- clickpath-queries: " . (int) $wpdb->num_queries . " -->\n";
		},
		PHP_INT_MAX
	);
}
