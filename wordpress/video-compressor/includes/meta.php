<?php
/**
 * The daemon's record fields as attachment meta (`vc_<field>`), and new video uploads marked pending.
 *
 * @package VideoCompressor
 */

defined( 'ABSPATH' ) || exit;

/** Field => REST type. Datetimes are ISO-8601 UTC strings, as the daemon writes them. */
function vc_meta_fields(): array {
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
const VC_STATUSES = array( 'pending', 'processing', 'completed', 'failed', 'cancelled' );

/** Readers and writers of the meta: whoever may upload media (authors, editors, admins, the daemon's user). */
function vc_can_manage(): bool {
	return current_user_can( 'upload_files' );
}

add_action(
	'init',
	function () {
		foreach ( vc_meta_fields() as $field => $type ) {
			$show = true;
			if ( 'array' === $type ) {
				$show = array( 'schema' => array( 'items' => array( 'type' => 'string' ) ) );
			}
			if ( 'status' === $field ) {
				$show = array( 'schema' => array( 'enum' => VC_STATUSES ) );
			}
			register_post_meta(
				'attachment',
				VC_META_PREFIX . $field,
				array(
					'type'          => $type,
					'single'        => true,
					'show_in_rest'  => $show,
					'auth_callback' => 'vc_can_manage',
				)
			);
		}
	}
);

/** Meta is public in REST by default: only users who may manage media see the pipeline's state. */
add_filter(
	'rest_prepare_attachment',
	function ( WP_REST_Response $response ) {
		if ( vc_can_manage() ) {
			return $response;
		}
		$data = $response->get_data();
		if ( isset( $data['meta'] ) && is_array( $data['meta'] ) ) {
			foreach ( array_keys( $data['meta'] ) as $key ) {
				if ( str_starts_with( $key, VC_META_PREFIX ) ) {
					unset( $data['meta'][ $key ] );
				}
			}
			$response->set_data( $data );
		}
		return $response;
	}
);

/** True for attachments the daemon should transcode. */
function vc_is_video( int $attachment_id ): bool {
	return str_starts_with( (string) get_post_mime_type( $attachment_id ), 'video/' );
}

/**
 * Fires for uploads from wp-admin and from REST alike. Images and documents are left alone: only
 * a video gets a status, so only videos are ever listed for the daemon.
 */
add_action(
	'add_attachment',
	function ( int $attachment_id ) {
		if ( ! vc_is_video( $attachment_id ) ) {
			return;
		}
		update_post_meta( $attachment_id, 'vc_source_url', (string) wp_get_attachment_url( $attachment_id ) );
		update_post_meta( $attachment_id, 'vc_priority', 5 );
		update_post_meta( $attachment_id, 'vc_retry_count', 0 );
		update_post_meta( $attachment_id, 'vc_title', get_the_title( $attachment_id ) );
		// Last: the status makes the record visible to the daemon's poll.
		update_post_meta( $attachment_id, 'vc_status', 'pending' );
		do_action( 'vc_video_pending', $attachment_id );
	}
);
