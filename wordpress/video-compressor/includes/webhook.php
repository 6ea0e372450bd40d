<?php
/**
 * Optional: tells the daemon at once that a video was uploaded (POST <daemon>/api/webhooks/wordpress,
 * signed with a shared secret), so pickup does not wait for the next poll. The poll stays the
 * source of truth: a lost notification only delays the video.
 *
 * @package VideoCompressor
 */

defined( 'ABSPATH' ) || exit;

add_action(
	'init',
	function () {
		register_setting(
			'vc_settings',
			'vc_webhook_url',
			array(
				'type'              => 'string',
				'default'           => '',
				'sanitize_callback' => 'esc_url_raw',
				'show_in_rest'      => true,
			)
		);
		register_setting(
			'vc_settings',
			'vc_webhook_secret',
			array(
				'type'         => 'string',
				'default'      => '',
				'show_in_rest' => true,
			)
		);
	}
);

/** hex(HMAC-SHA256(secret, raw body)); the daemon recomputes it over the bytes it received. */
function vc_webhook_signature( string $secret, string $body ): string {
	return 'sha256=' . hash_hmac( 'sha256', $body, $secret );
}

add_action(
	'vc_video_pending',
	function ( int $attachment_id ) {
		$url    = (string) get_option( 'vc_webhook_url', '' );
		$secret = (string) get_option( 'vc_webhook_secret', '' );
		if ( '' === $url || '' === $secret ) {
			return;
		}
		$body = (string) wp_json_encode(
			array(
				'event' => 'attachment.pending',
				'id'    => $attachment_id,
				'at'    => vc_iso(),
			)
		);
		// Short and best-effort: an unreachable daemon must not make uploads fail.
		$result = wp_remote_post(
			$url,
			array(
				'timeout' => 3,
				'headers' => array(
					'Content-Type'   => 'application/json',
					'X-VC-Signature' => vc_webhook_signature( $secret, $body ),
				),
				'body'    => $body,
			)
		);
		if ( is_wp_error( $result ) ) {
			error_log( 'video-compressor: webhook to the daemon failed: ' . $result->get_error_message() ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions
		}
	}
);
