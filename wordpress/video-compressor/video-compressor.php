<?php
/**
 * Plugin Name:       Video Compressor
 * Description:       Streams uploaded videos as adaptive HLS produced by the video-compressor daemon: marks new video uploads pending, lets the daemon claim them over the REST API, and plays the result with a bundled hls.js.
 * Version:           1.0.0
 * Requires at least: 6.1
 * Requires PHP:      8.1
 * License:           MIT
 * Text Domain:       video-compressor
 *
 * @package VideoCompressor
 */

defined( 'ABSPATH' ) || exit;

/** Reported by GET /wp-json/video-compressor/v1/status; `video-compressor doctor` checks it. */
const VC_PLUGIN_VERSION = '1.0.0';
/** Every record field of the daemon's contract is stored as attachment meta with this prefix. */
const VC_META_PREFIX = 'vc_';
const VC_PLUGIN_FILE = __FILE__;

require_once __DIR__ . '/includes/meta.php';
require_once __DIR__ . '/includes/query.php';
require_once __DIR__ . '/includes/rest.php';
require_once __DIR__ . '/includes/jobs.php';
require_once __DIR__ . '/includes/webhook.php';
require_once __DIR__ . '/includes/player.php';
require_once __DIR__ . '/includes/admin.php';
