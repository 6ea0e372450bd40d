<?php
/**
 * Plugin Name:       Video Compressor
 * Description:       Streams uploaded videos as adaptive HLS produced by the video-compressor daemon: marks video uploads pending, lets the daemon claim them over the REST API, and plays the result with a bundled hls.js.
 * Version:           2.0.0
 * Requires at least: 6.1
 * Requires PHP:      8.1
 * Author:            The video-compressor authors
 * License:           MIT
 * License URI:       https://opensource.org/license/mit
 * Update URI:        false
 * Text Domain:       video-compressor
 * Domain Path:       /languages
 *
 * @package VideoCompressor
 */

defined( 'ABSPATH' ) || exit;

/** Reported by GET video-compressor/v1/status; `video-compressor doctor` accepts any 2.x. */
const VCMP_PLUGIN_VERSION = '2.0.0';
/** Every record field of the daemon's contract is stored as attachment meta with this prefix. */
const VCMP_META_PREFIX = 'vcmp_';
const VCMP_PLUGIN_FILE = __FILE__;

require_once __DIR__ . '/includes/capabilities.php';
require_once __DIR__ . '/includes/upgrade.php';
require_once __DIR__ . '/includes/meta.php';
require_once __DIR__ . '/includes/query.php';
require_once __DIR__ . '/includes/rest.php';
require_once __DIR__ . '/includes/jobs.php';
require_once __DIR__ . '/includes/webhook.php';
require_once __DIR__ . '/includes/deletion.php';
require_once __DIR__ . '/includes/library.php';
require_once __DIR__ . '/includes/player.php';
require_once __DIR__ . '/includes/admin.php';
require_once __DIR__ . '/includes/media-screen.php';
require_once __DIR__ . '/includes/site-health.php';
if ( defined( 'WP_CLI' ) && WP_CLI ) {
	require_once __DIR__ . '/includes/cli.php';
}

register_activation_hook( __FILE__, 'vcmp_activate' );
add_action( 'init', 'vcmp_load_textdomain', 0 );

/** Loads the translations shipped in languages/ (the directory's own language packs win). */
function vcmp_load_textdomain(): void {
	load_plugin_textdomain( 'video-compressor', false, dirname( plugin_basename( VCMP_PLUGIN_FILE ) ) . '/languages' );
}
