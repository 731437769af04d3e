<?php
/**
 * A stand-in Clickpath backend for tests that need a real HTTP server (php -S router script):
 * answers 201 with a JSON id to every request and appends each one to the JSON-lines file named
 * by CLICKPATH_STUB_LOG (method, URI, Authorization and Content-Type headers, body).
 *
 * @package Clickpath
 */

// phpcs:disable WordPress.WP.AlternativeFunctions, WordPress.Security.ValidatedSanitizedInput, WordPress.Security.EscapeOutput -- a test server outside WordPress: it records raw input and answers fixed JSON.

file_put_contents(
	(string) getenv( 'CLICKPATH_STUB_LOG' ),
	json_encode(
		array(
			'method'        => $_SERVER['REQUEST_METHOD'] ?? '',
			'uri'           => $_SERVER['REQUEST_URI'] ?? '',
			'authorization' => $_SERVER['HTTP_AUTHORIZATION'] ?? '',
			'contentType'   => $_SERVER['CONTENT_TYPE'] ?? '',
			'body'          => file_get_contents( 'php://input' ),
		)
	) . "\n",
	FILE_APPEND | LOCK_EX
);
http_response_code( 201 );
header( 'Content-Type: application/json; charset=utf-8' );
echo '{"id":"65a1b2c3d4e5f60718293a4f"}';
