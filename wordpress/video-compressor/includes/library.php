<?php
/**
 * Videos uploaded before the plugin was active have no status, so the daemon never sees them.
 * They are queued on request: the "process existing videos" button (settings screen and the
 * notice after activation), the media list's bulk action, and `wp vcmp queue`.
 *
 * @package VideoCompressor
 */

defined( 'ABSPATH' ) || exit;

/** One click or command queues at most this many videos (the rest on the next). */
const VCMP_QUEUE_BATCH = 500;

/** Video attachments without a status, oldest first. */
function vcmp_untracked_video_ids( int $limit ): array {
	global $wpdb;
	return array_map(
		'intval',
		$wpdb->get_col(
			$wpdb->prepare(
				"SELECT p.ID FROM {$wpdb->posts} p
				 LEFT JOIN {$wpdb->postmeta} s ON s.post_id = p.ID AND s.meta_key = 'vcmp_status'
				 WHERE p.post_type = 'attachment' AND p.post_mime_type LIKE 'video/%%' AND s.meta_id IS NULL
				 ORDER BY p.ID LIMIT %d",
				$limit
			)
		)
	);
}

/** How many videos have no status. */
function vcmp_untracked_video_count(): int {
	global $wpdb;
	return (int) $wpdb->get_var(
		"SELECT COUNT(*) FROM {$wpdb->posts} p
		 LEFT JOIN {$wpdb->postmeta} s ON s.post_id = p.ID AND s.meta_key = 'vcmp_status'
		 WHERE p.post_type = 'attachment' AND p.post_mime_type LIKE 'video/%' AND s.meta_id IS NULL"
	);
}

/**
 * Queues videos: one without a status becomes pending; a failed or cancelled one is retried, first
 * in line; others are left alone. Its callers are the operator's: the bulk action and the button
 * (which check the capability) and `wp vcmp` (the site's owner).
 *
 * @param int[] $ids Attachment ids.
 * @return array{queued: int, retried: int, skipped: int}
 */
function vcmp_queue_videos( array $ids ): array {
	$done = array(
		'queued'  => 0,
		'retried' => 0,
		'skipped' => 0,
	);
	foreach ( array_unique( array_map( 'intval', $ids ) ) as $id ) {
		$status = vcmp_is_video( $id ) ? (string) get_post_meta( $id, 'vcmp_status', true ) : 'not a video';
		if ( '' === $status ) {
			vcmp_mark_pending( $id );
			++$done['queued'];
		} elseif ( in_array( $status, array( 'failed', 'cancelled' ), true ) && true === vcmp_apply_action( $id, 'retry', 1, null, true ) ) {
			++$done['retried'];
		} else {
			++$done['skipped'];
		}
	}
	return $done;
}

add_filter( 'bulk_actions-upload', 'vcmp_bulk_actions' );

/**
 * "Transcode to HLS" in the media list's bulk actions.
 *
 * @param array $actions Core's bulk actions.
 */
function vcmp_bulk_actions( array $actions ): array {
	if ( vcmp_can_manage() ) {
		$actions['vcmp_queue'] = __( 'Transcode to HLS', 'video-compressor' );
	}
	return $actions;
}

add_filter( 'handle_bulk_actions-upload', 'vcmp_handle_bulk_queue', 10, 3 );

/**
 * Queues the selected videos; core checked the list's nonce before calling this.
 *
 * @param string $redirect Where core sends the browser next.
 * @param string $action   The chosen bulk action.
 * @param array  $ids      The selected attachments.
 */
function vcmp_handle_bulk_queue( string $redirect, string $action, array $ids ): string {
	if ( 'vcmp_queue' !== $action || ! vcmp_can_manage() ) {
		return $redirect;
	}
	$done = vcmp_queue_videos( $ids );
	return add_query_arg( 'vcmp_queued', $done['queued'] + $done['retried'], $redirect );
}

add_action( 'admin_post_vcmp_queue_existing', 'vcmp_handle_queue_existing' );

/** The "process existing videos" button: the next batch of videos without a status. */
function vcmp_handle_queue_existing(): void {
	if ( ! vcmp_can_manage() ) {
		wp_die( esc_html__( 'Sorry, you are not allowed to queue videos.', 'video-compressor' ), 403 );
	}
	check_admin_referer( 'vcmp_queue_existing' );
	$done = vcmp_queue_videos( vcmp_untracked_video_ids( VCMP_QUEUE_BATCH ) );
	delete_option( 'vcmp_existing_notice' );
	wp_safe_redirect( admin_url( 'upload.php?page=video-compressor&vcmp_queued=' . $done['queued'] ) );
	exit;
}

add_action( 'admin_notices', 'vcmp_existing_videos_notice' );

/** After activation, on the media and plugin screens: how many older videos wait, and the button. */
function vcmp_existing_videos_notice(): void {
	$screen = get_current_screen();
	if ( ! vcmp_can_manage() || ! get_option( 'vcmp_existing_notice' ) || ! $screen || ! in_array( $screen->id, array( 'upload', 'plugins' ), true ) ) {
		return;
	}
	$count = vcmp_untracked_video_count();
	if ( 0 === $count ) {
		delete_option( 'vcmp_existing_notice' );
		return;
	}
	echo '<div class="notice notice-info"><p>';
	/* translators: %d: number of videos. */
	echo esc_html( sprintf( _n( '%d video was uploaded before Video Compressor was active.', '%d videos were uploaded before Video Compressor was active.', $count, 'video-compressor' ), $count ) );
	echo '</p>';
	vcmp_queue_existing_form( $count );
	echo '</div>';
}

/**
 * The button that queues the videos without a status.
 *
 * @param int $count How many there are.
 */
function vcmp_queue_existing_form( int $count ): void {
	echo '<form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" style="margin-bottom:.5em">';
	echo '<input type="hidden" name="action" value="vcmp_queue_existing">';
	wp_nonce_field( 'vcmp_queue_existing' );
	/* translators: %d: number of videos. */
	submit_button( sprintf( _n( 'Process %d existing video', 'Process %d existing videos', $count, 'video-compressor' ), min( $count, VCMP_QUEUE_BATCH ) ), 'primary', 'submit', false );
	echo '</form>';
}
