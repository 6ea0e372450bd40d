<?php
/**
 * Optional: tells the daemon at once that videos became pending or were deleted (POST
 * <daemon>/api/webhooks/wordpress, signed with a shared secret), so pickup does not wait for the
 * next poll. The poll stays the source of truth: a lost notification only delays a video.
 *
 * At most one notification per request, sent at shutdown without waiting for an answer: an upload
 * or a re-queue of hundreds of videos never waits on the daemon, up or down.
 *
 * @package VideoCompressor
 */

defined( 'ABSPATH' ) || exit;

/** A shared secret shorter than this is refused (the daemon's WP_WEBHOOK_SECRET has the same floor). */
const VCMP_MIN_SECRET_LENGTH = 16;

/**
 * The secret: the VCMP_WEBHOOK_SECRET constant (wp-config.php) when defined, else the option,
 * which is not autoloaded, not in REST, and never printed back.
 */
function vcmp_webhook_secret(): string {
	if ( defined( 'VCMP_WEBHOOK_SECRET' ) && is_string( VCMP_WEBHOOK_SECRET ) && '' !== VCMP_WEBHOOK_SECRET ) {
		return VCMP_WEBHOOK_SECRET;
	}
	return (string) get_option( 'vcmp_webhook_secret', '' );
}

/** True when the secret comes from wp-config.php (the settings screen then cannot change it). */
function vcmp_secret_from_constant(): bool {
	return defined( 'VCMP_WEBHOOK_SECRET' ) && is_string( VCMP_WEBHOOK_SECRET ) && '' !== VCMP_WEBHOOK_SECRET;
}

/**
 * A secret as typed into the settings screen: printable ASCII without spaces at either end, at
 * least VCMP_MIN_SECRET_LENGTH characters; null when it is not usable.
 */
function vcmp_sanitize_secret( string $secret ): ?string {
	$secret = trim( $secret );
	return strlen( $secret ) >= VCMP_MIN_SECRET_LENGTH && strlen( $secret ) <= 256 && 1 === preg_match( '/^[\x21-\x7e]+$/', $secret ) ? $secret : null;
}

/** An http(s) URL, or '' for anything else. */
function vcmp_sanitize_webhook_url( string $url ): string {
	$url = esc_url_raw( trim( $url ), array( 'http', 'https' ) );
	return (string) $url;
}

/** hex(HMAC-SHA256(secret, raw body)); the daemon recomputes it over the bytes it received. */
function vcmp_webhook_signature( string $secret, string $body ): string {
	return 'sha256=' . hash_hmac( 'sha256', $body, $secret );
}

/**
 * The ids to tell the daemon about at the end of this request, by event.
 *
 * @return array{pending: int[], deleted: int[]}
 */
function &vcmp_webhook_outbox(): array {
	static $outbox = array(
		'pending' => array(),
		'deleted' => array(),
	);
	return $outbox;
}

add_action( 'vcmp_video_pending', 'vcmp_queue_pending_ping' );

/**
 * Notes a pending video for the shutdown ping.
 *
 * @param int $attachment_id The video.
 */
function vcmp_queue_pending_ping( int $attachment_id ): void {
	vcmp_queue_ping( 'pending', $attachment_id );
}

/**
 * Notes an event for the one ping this request sends at shutdown.
 *
 * @param string $event         'pending' or 'deleted'.
 * @param int    $attachment_id The video.
 */
function vcmp_queue_ping( string $event, int $attachment_id ): void {
	$outbox = &vcmp_webhook_outbox();
	if ( array() === $outbox['pending'] && array() === $outbox['deleted'] ) {
		add_action( 'shutdown', 'vcmp_send_ping' );
	}
	$outbox[ $event ][] = $attachment_id;
}

/**
 * The ping: `{event, id, ids, at}`. A deletion is named (the daemon removes that ladder at once,
 * after checking with the site); pending videos only wake its poll.
 */
function vcmp_send_ping(): void {
	$outbox = vcmp_webhook_outbox();
	$url    = (string) get_option( 'vcmp_webhook_url', '' );
	$secret = vcmp_webhook_secret();
	if ( '' === $url || '' === $secret ) {
		return;
	}
	$event = array() !== $outbox['deleted'] ? 'deleted' : 'pending';
	$ids   = array_values( array_unique( $outbox[ $event ] ) );
	$body  = (string) wp_json_encode(
		array(
			'event' => 'attachment.' . $event,
			'id'    => $ids[0],
			'ids'   => array_slice( $ids, 0, 1000 ),
			'at'    => vcmp_iso(),
		)
	);
	if ( function_exists( 'fastcgi_finish_request' ) ) {
		// The visitor's page is complete: the ping must not hold it open.
		fastcgi_finish_request();
	}
	wp_remote_post(
		$url,
		array(
			'blocking' => false,
			'timeout'  => 1,
			'headers'  => array(
				'Content-Type'   => 'application/json',
				'X-VC-Signature' => vcmp_webhook_signature( $secret, $body ),
			),
			'body'     => $body,
		)
	);
}
