<?php
/**
 * The first-party relay's endpoint: the tracker posts here, on the site's own domain, when the
 * relay is on. It runs without WordPress (a hit costs one file append), so it reads its config
 * from <wp-content>/clickpath-relay/ and answers 404 while the relay is off.
 *
 * @package Clickpath
 */

define( 'CLICKPATH_RELAY', true );

require __DIR__ . '/includes/class-relay-spool.php';

exit( Clickpath\Relay_Spool::serve() ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- an exit status, not output.
