<?php
/**
 * The daemon's record fields as attachment meta (`vcmp_<field>`), and new video uploads marked pending.
 *
 * @package VideoCompressor
 */

defined( 'ABSPATH' ) || exit;

/** Field => REST type. Datetimes are ISO-8601 UTC strings, as the daemon writes them. */
function vcmp_meta_fields(): array {
	return array(
		'source_url'      => 'string',
		'status'          => 'string',
		'priority'        => 'integer',
		'title'           => 'string',
		'retry_count'     => 'integer',
		'last_retry_at'   => 'string',
		'next_attempt_at' => 'string',
		'retry_errors'    => 'array',
		'error'           => 'string',
		'error_code'      => 'string',
		'claimed_by'      => 'string',
		'claimed_at'      => 'string',
		'heartbeat_at'    => 'string',
		'progress'        => 'integer',
		'step'            => 'string',
		'hls_url'         => 'string',
		'poster_url'      => 'string',
		'renditions'      => 'string',
		'duration'        => 'number',
		'width'           => 'integer',
		'height'          => 'integer',
		'processing_ms'   => 'integer',
		'output_bytes'    => 'integer',
		'completed_at'    => 'string',
		'thumbnail_urls'  => 'array',
		'storyboard_url'  => 'string',
		'preview_url'     => 'string',
		'metadata_url'    => 'string',
		'ladder'          => 'array',
		'claim_token'     => 'string',
		'source_file_id'  => 'string',
		'source_bucket_id' => 'string',
	);
}

/** Statuses of the contract; anything else written through REST is refused. */
const VCMP_STATUSES = array( 'pending', 'processing', 'completed', 'failed', 'cancelled' );

/** Priorities of the queue (1 first); the daemon's own range. */
const VCMP_MIN_PRIORITY = 1;
const VCMP_MAX_PRIORITY = 10;
const VCMP_DEFAULT_PRIORITY = 5;

add_action( 'init', 'vcmp_register_meta' );

/**
 * Every field as REST-visible attachment meta. Writing any of them needs the capability: an
 * Author could otherwise mark their upload completed with a stream of their choosing, jump the
 * queue or reset the retry budget. Out-of-range values are refused by the schema.
 */
function vcmp_register_meta(): void {
	foreach ( vcmp_meta_fields() as $field => $type ) {
		$schema = array();
		if ( 'array' === $type ) {
			$schema = array( 'items' => array( 'type' => 'string' ) );
		} elseif ( 'status' === $field ) {
			$schema = array( 'enum' => VCMP_STATUSES );
		} elseif ( 'priority' === $field ) {
			$schema = array(
				'minimum' => VCMP_MIN_PRIORITY,
				'maximum' => VCMP_MAX_PRIORITY,
			);
		} elseif ( 'progress' === $field ) {
			$schema = array(
				'minimum' => 0,
				'maximum' => 100,
			);
		}
		register_post_meta(
			'attachment',
			VCMP_META_PREFIX . $field,
			array(
				'type'          => $type,
				'single'        => true,
				'show_in_rest'  => array() === $schema ? true : array( 'schema' => $schema ),
				'auth_callback' => 'vcmp_meta_write_allowed',
			)
		);
	}
}

/**
 * `auth_callback` of every field (adding, changing and deleting it through REST or XML-RPC).
 *
 * @param bool   $allowed  Core's default.
 * @param string $meta_key The meta key.
 * @param int    $post_id  The attachment.
 * @param int    $user_id  The user writing.
 */
function vcmp_meta_write_allowed( bool $allowed, string $meta_key, int $post_id, int $user_id ): bool {
	return user_can( $user_id, VCMP_CAP );
}

add_filter( 'rest_prepare_attachment', 'vcmp_hide_meta_from_readers', 10, 2 );

/**
 * Meta is public in REST by default: the pipeline's state is shown only to those who may edit
 * the video (its Author, Editors, the daemon).
 *
 * @param WP_REST_Response $response The attachment as REST answers it.
 * @param WP_Post          $post     The attachment.
 */
function vcmp_hide_meta_from_readers( WP_REST_Response $response, WP_Post $post ): WP_REST_Response {
	if ( current_user_can( 'edit_post', $post->ID ) ) {
		return $response;
	}
	$data = $response->get_data();
	if ( isset( $data['meta'] ) && is_array( $data['meta'] ) ) {
		foreach ( array_keys( $data['meta'] ) as $key ) {
			if ( str_starts_with( (string) $key, VCMP_META_PREFIX ) ) {
				unset( $data['meta'][ $key ] );
			}
		}
		$response->set_data( $data );
	}
	return $response;
}

add_action( 'add_attachment', 'vcmp_on_upload' );

/**
 * Fires for uploads from wp-admin and from REST alike. Images and documents are left alone: only
 * a video gets a status, so only videos are ever listed for the daemon.
 *
 * @param int $attachment_id The new attachment.
 */
function vcmp_on_upload( int $attachment_id ): void {
	if ( vcmp_is_video( $attachment_id ) ) {
		vcmp_mark_pending( $attachment_id );
	}
}

/**
 * Gives a video its first status: the record fields the daemon needs, the status last (it makes
 * the record visible to the poll). Used for uploads and for videos from before activation.
 *
 * @param int $attachment_id A video attachment without a status.
 */
function vcmp_mark_pending( int $attachment_id ): void {
	update_post_meta( $attachment_id, 'vcmp_source_url', (string) wp_get_attachment_url( $attachment_id ) );
	update_post_meta( $attachment_id, 'vcmp_priority', VCMP_DEFAULT_PRIORITY );
	update_post_meta( $attachment_id, 'vcmp_retry_count', 0 );
	update_post_meta( $attachment_id, 'vcmp_title', get_the_title( $attachment_id ) );
	update_post_meta( $attachment_id, 'vcmp_status', 'pending' );
	/**
	 * A video became pending (uploaded, queued from the library, retried or re-queued).
	 *
	 * @param int $attachment_id The video.
	 */
	do_action( 'vcmp_video_pending', $attachment_id );
}
