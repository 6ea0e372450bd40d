<?php
/**
 * Media → Video Compressor: status counts, the webhook settings and a nonce-protected "re-queue"
 * action; plus an "HLS" column in the media library list so editors see each video's state.
 *
 * @package VideoCompressor
 */

defined( 'ABSPATH' ) || exit;

add_action(
	'admin_menu',
	function () {
		add_media_page( 'Video Compressor', 'Video Compressor', 'manage_options', 'video-compressor', 'vc_render_settings_page' );
	}
);

function vc_render_settings_page(): void {
	$counts  = vc_status_counts();
	$notice  = isset( $_GET['vc_requeued'] ) ? (int) $_GET['vc_requeued'] : null; // phpcs:ignore WordPress.Security.NonceVerification
	echo '<div class="wrap"><h1>Video Compressor</h1>';
	if ( null !== $notice ) {
		printf( '<div class="notice notice-success"><p>%d video(s) re-queued.</p></div>', (int) $notice );
	}
	echo '<h2>Videos by status</h2><table class="widefat striped" style="max-width:30em"><tbody>';
	foreach ( $counts as $status => $n ) {
		printf( '<tr><th>%s</th><td>%d</td></tr>', esc_html( $status ), (int) $n );
	}
	echo '</tbody></table>';
	echo '<h2>Re-queue</h2><form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '">';
	echo '<input type="hidden" name="action" value="vc_requeue">';
	wp_nonce_field( 'vc_requeue' );
	echo '<p><label><input type="radio" name="scope" value="failed" checked> failed videos</label> ';
	echo '<label><input type="radio" name="scope" value="all"> failed and completed videos (transcode again)</label></p>';
	submit_button( 'Re-queue', 'secondary', 'submit', false );
	echo '</form><h2>Daemon webhook (optional)</h2><form method="post" action="options.php">';
	settings_fields( 'vc_settings' );
	printf(
		'<p><label>URL <input type="url" class="regular-text" name="vc_webhook_url" value="%s" placeholder="https://video.example.com/api/webhooks/wordpress"></label></p>',
		esc_attr( (string) get_option( 'vc_webhook_url', '' ) )
	);
	printf(
		'<p><label>Secret (WP_WEBHOOK_SECRET of the daemon) <input type="password" class="regular-text" name="vc_webhook_secret" value="%s" autocomplete="off"></label></p>',
		esc_attr( (string) get_option( 'vc_webhook_secret', '' ) )
	);
	submit_button( 'Save' );
	printf( '</form><p>Plugin version %s.</p></div>', esc_html( VC_PLUGIN_VERSION ) );
}

/** Failed (or failed and completed) videos back to pending with a fresh retry budget, at the front of the queue. */
function vc_requeue( string $scope ): int {
	global $wpdb;
	$statuses = 'all' === $scope ? array( 'failed', 'completed' ) : array( 'failed' );
	$in       = implode( ',', array_fill( 0, count( $statuses ), '%s' ) );
	$ids      = $wpdb->get_col(
		$wpdb->prepare( "SELECT post_id FROM {$wpdb->postmeta} WHERE meta_key = 'vc_status' AND meta_value IN ($in)", $statuses ) // phpcs:ignore WordPress.DB.PreparedSQL
	);
	foreach ( $ids as $id ) {
		$id = (int) $id;
		foreach ( array( 'error', 'error_code', 'retry_errors', 'next_attempt_at', 'last_retry_at', 'claimed_by', 'claimed_at', 'heartbeat_at', 'step' ) as $field ) {
			delete_post_meta( $id, VC_META_PREFIX . $field );
		}
		update_post_meta( $id, 'vc_retry_count', 0 );
		update_post_meta( $id, 'vc_progress', 0 );
		update_post_meta( $id, 'vc_priority', 1 );
		update_post_meta( $id, 'vc_status', 'pending' );
		do_action( 'vc_video_pending', $id );
	}
	return count( $ids );
}

add_action(
	'admin_post_vc_requeue',
	function () {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( 'Sorry, you are not allowed to re-queue videos.', 403 );
		}
		check_admin_referer( 'vc_requeue' );
		$scope = isset( $_POST['scope'] ) && 'all' === $_POST['scope'] ? 'all' : 'failed';
		$count = vc_requeue( $scope );
		wp_safe_redirect( admin_url( 'upload.php?page=video-compressor&vc_requeued=' . $count ) );
		exit;
	}
);

add_filter(
	'manage_media_columns',
	function ( array $columns ) {
		$columns['vc_status'] = 'HLS';
		return $columns;
	}
);

add_action(
	'manage_media_custom_column',
	function ( string $column, int $id ) {
		if ( 'vc_status' !== $column ) {
			return;
		}
		$status = (string) get_post_meta( $id, 'vc_status', true );
		if ( '' === $status ) {
			echo '—';
			return;
		}
		$detail = 'processing' === $status ? ' ' . (int) get_post_meta( $id, 'vc_progress', true ) . '%' : '';
		$error  = 'failed' === $status ? (string) get_post_meta( $id, 'vc_error', true ) : '';
		printf( '<span title="%s">%s%s</span>', esc_attr( $error ), esc_html( $status ), esc_html( $detail ) );
	},
	10,
	2
);
