<?php
/**
 * A video deleted from the media library: a running job is cancelled (the daemon's next heartbeat
 * finds the video gone and stops without publishing), and the daemon is told at once so it removes
 * the published ladder (it checks with the site first). Without the webhook, the daemon's daily
 * clean-up (`gc`) removes that ladder after its grace period.
 *
 * @package VideoCompressor
 */

defined( 'ABSPATH' ) || exit;

add_action( 'delete_attachment', 'vcmp_on_delete_attachment' );

/**
 * Runs before WordPress deletes the attachment and its meta.
 *
 * @param int $attachment_id The attachment being deleted.
 */
function vcmp_on_delete_attachment( int $attachment_id ): void {
	if ( ! vcmp_is_tracked( $attachment_id ) ) {
		return;
	}
	$status = (string) get_post_meta( $attachment_id, 'vcmp_status', true );
	if ( 'pending' === $status || 'processing' === $status ) {
		// Until the row is gone, a worker reading it sees `cancelled`, never a video to publish.
		update_post_meta( $attachment_id, 'vcmp_status', 'cancelled' );
	}
	vcmp_queue_ping( 'deleted', $attachment_id );
	/**
	 * A tracked video is being deleted.
	 *
	 * @param int    $attachment_id The video.
	 * @param string $status        Its status before deletion.
	 */
	do_action( 'vcmp_video_deleted', $attachment_id, $status );
}
