<?php
/**
 * Tools → Site Health: is the daemon polling, and (with the webhook set) does it answer?
 *
 * @package VideoCompressor
 */

defined( 'ABSPATH' ) || exit;

/** A daemon polls every two minutes: ten without a poll means it is not running (or cannot log in). */
const VCMP_POLL_SILENCE_SECONDS = 600;

add_filter( 'site_status_tests', 'vcmp_site_status_tests' );

/**
 * Registers the test.
 *
 * @param array $tests Core's tests.
 */
function vcmp_site_status_tests( array $tests ): array {
	$tests['direct']['video_compressor_daemon'] = array(
		'label' => __( 'Video Compressor daemon', 'video-compressor' ),
		'test'  => 'vcmp_site_health_test',
	);
	return $tests;
}

/** The test's result, in Site Health's shape. */
function vcmp_site_health_test(): array {
	[ $status, $message ] = vcmp_daemon_health();
	$labels               = array(
		'good'        => __( 'The Video Compressor daemon is polling', 'video-compressor' ),
		'recommended' => __( 'The Video Compressor daemon has not polled recently', 'video-compressor' ),
		'critical'    => __( 'The Video Compressor daemon cannot be reached', 'video-compressor' ),
	);
	return array(
		'label'       => $labels[ $status ],
		'status'      => $status,
		'badge'       => array(
			'label' => __( 'Media', 'video-compressor' ),
			'color' => 'blue',
		),
		'description' => '<p>' . esc_html( $message ) . '</p>',
		'test'        => 'video_compressor_daemon',
	);
}

/**
 * The daemon's last poll, and its /health when the webhook URL says where it is.
 *
 * @return array{0: string, 1: string} Status ('good', 'recommended', 'critical') and explanation.
 */
function vcmp_daemon_health(): array {
	$last = (int) get_option( 'vcmp_last_poll', 0 );
	/* translators: %s: how long ago, e.g. "3 mins". */
	$polled = 0 === $last ? __( 'The daemon has never polled this site.', 'video-compressor' ) : sprintf( __( 'The daemon last polled %s ago.', 'video-compressor' ), human_time_diff( $last ) );
	$url    = (string) get_option( 'vcmp_webhook_url', '' );
	if ( '' !== $url ) {
		$health = (string) preg_replace( '#/api/webhooks/wordpress/?$#', '/health', $url );
		$answer = wp_remote_get( $health, array( 'timeout' => 3 ) );
		if ( is_wp_error( $answer ) || 200 !== wp_remote_retrieve_response_code( $answer ) ) {
			$why = is_wp_error( $answer ) ? $answer->get_error_message() : 'HTTP ' . wp_remote_retrieve_response_code( $answer );
			/* translators: 1: URL, 2: error. */
			return array( 'critical', sprintf( __( '%1$s did not answer (%2$s).', 'video-compressor' ), $health, $why ) . ' ' . $polled );
		}
	}
	if ( 0 === $last || time() - $last > VCMP_POLL_SILENCE_SECONDS ) {
		return array( 'recommended', $polled . ' ' . __( 'Check that the daemon runs with SOURCES including wordpress and this site\'s address, user and Application Password.', 'video-compressor' ) );
	}
	return array( 'good', $polled );
}
