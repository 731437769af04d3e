<?php
/**
 * Plugin Name:       Clickpath
 * Plugin URI:        https://github.com/clickpath/clickpath
 * Description:       Privacy-first visitor and clickstream analytics: who visits, from where, what they click and how they move through your site, reported inside WordPress.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Requires PHP:      8.0
 * Author:            Clickpath
 * License:           GPL-2.0-or-later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       clickpath
 * Domain Path:       /languages
 *
 * @package Clickpath
 */

defined( 'ABSPATH' ) || exit;

define( 'CLICKPATH_VERSION', '0.1.0' );
define( 'CLICKPATH_FILE', __FILE__ );
define( 'CLICKPATH_DIR', __DIR__ );

// Clickpath\Foo_Bar lives in includes/class-foo-bar.php; a class is read only when a hook first uses it.
spl_autoload_register(
	static function ( string $class_name ): void {
		if ( str_starts_with( $class_name, 'Clickpath\\' ) ) {
			$file = __DIR__ . '/includes/class-' . strtolower( str_replace( '_', '-', substr( $class_name, 10 ) ) ) . '.php';
			if ( is_file( $file ) ) {
				require_once $file;
			}
		}
	}
);

require __DIR__ . '/includes/hooks.php';
