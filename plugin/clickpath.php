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

require_once __DIR__ . '/includes/class-settings.php';
require_once __DIR__ . '/includes/class-plugin.php';

register_activation_hook( __FILE__, array( 'Clickpath\Plugin', 'activate' ) );
register_deactivation_hook( __FILE__, array( 'Clickpath\Plugin', 'deactivate' ) );

Clickpath\Plugin::boot();
