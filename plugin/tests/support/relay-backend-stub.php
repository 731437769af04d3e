<?php
/**
 * A stand-in collector for the relay tests (php -S router script): appends each request's relay
 * headers and body to the JSON-lines file CLICKPATH_STUB_LOG, and answers the next status of the
 * JSON array in CLICKPATH_STUB_PLAN (202 once the plan is used up), after CLICKPATH_STUB_DELAY_MS.
 *
 * @package Clickpath
 */

// phpcs:disable WordPress.WP.AlternativeFunctions, WordPress.Security.ValidatedSanitizedInput, WordPress.Security.EscapeOutput -- a test server outside WordPress: it records raw input and answers fixed JSON.

$clickpath_plan_file = (string) getenv( 'CLICKPATH_STUB_PLAN' );
$clickpath_handle    = fopen( $clickpath_plan_file, 'c+' );
flock( $clickpath_handle, LOCK_EX );
$clickpath_plan   = json_decode( (string) stream_get_contents( $clickpath_handle ), true );
$clickpath_status = is_array( $clickpath_plan ) && $clickpath_plan ? (int) array_shift( $clickpath_plan ) : 202;
ftruncate( $clickpath_handle, 0 );
rewind( $clickpath_handle );
fwrite( $clickpath_handle, (string) json_encode( is_array( $clickpath_plan ) ? $clickpath_plan : array() ) );
flock( $clickpath_handle, LOCK_UN );
fclose( $clickpath_handle );

file_put_contents(
	(string) getenv( 'CLICKPATH_STUB_LOG' ),
	json_encode(
		array(
			'uri'       => $_SERVER['REQUEST_URI'] ?? '',
			'type'      => $_SERVER['CONTENT_TYPE'] ?? '',
			'ip'        => $_SERVER['HTTP_X_CLICKPATH_RELAY_IP'] ?? '',
			'ua'        => $_SERVER['HTTP_X_CLICKPATH_RELAY_UA'] ?? '',
			'time'      => $_SERVER['HTTP_X_CLICKPATH_RELAY_TIME'] ?? '',
			'signature' => $_SERVER['HTTP_X_CLICKPATH_RELAY_SIGNATURE'] ?? '',
			'dnt'       => $_SERVER['HTTP_DNT'] ?? '',
			'body'      => file_get_contents( 'php://input' ),
			'status'    => $clickpath_status,
		)
	) . "\n",
	FILE_APPEND | LOCK_EX
);
usleep( 1000 * (int) getenv( 'CLICKPATH_STUB_DELAY_MS' ) );
http_response_code( $clickpath_status );
header( 'Content-Type: application/json' );
echo $clickpath_status < 300 ? '{"accepted":1,"relay":"verified"}' : '{"error":{"code":"x","message":"planned failure"}}';
