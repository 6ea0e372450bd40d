<?php
/**
 * Media → Video Compressor (for holders of the capability): videos by status, the existing videos
 * still to process, re-queueing, and the daemon's webhook. Every form is nonce-protected and says
 * what it did.
 *
 * @package VideoCompressor
 */

defined( 'ABSPATH' ) || exit;

add_action( 'admin_menu', 'vcmp_add_settings_page' );

/** The screen under Media. */
function vcmp_add_settings_page(): void {
	add_media_page( __( 'Video Compressor', 'video-compressor' ), __( 'Video Compressor', 'video-compressor' ), VCMP_CAP, 'video-compressor', 'vcmp_render_settings_page' );
}

/** The confirmation of the form just sent, from the redirect's query arguments. */
function vcmp_settings_notice(): string {
	// phpcs:disable WordPress.Security.NonceVerification -- read-only messages after a checked redirect.
	if ( isset( $_GET['vcmp_requeued'] ) ) {
		$n = (int) $_GET['vcmp_requeued'];
		/* translators: %d: number of videos. */
		return sprintf( _n( '%d video re-queued.', '%d videos re-queued.', $n, 'video-compressor' ), $n );
	}
	if ( isset( $_GET['vcmp_queued'] ) ) {
		$n = (int) $_GET['vcmp_queued'];
		/* translators: %d: number of videos. */
		return sprintf( _n( '%d video queued.', '%d videos queued.', $n, 'video-compressor' ), $n );
	}
	$saved = isset( $_GET['vcmp_saved'] ) ? sanitize_key( wp_unslash( $_GET['vcmp_saved'] ) ) : '';
	// phpcs:enable
	$messages = array(
		'ok'         => __( 'Settings saved.', 'video-compressor' ),
		'bad_secret' => __( 'Settings saved, except the secret: it must be at least 16 printable characters without spaces. The previous secret is kept.', 'video-compressor' ),
		'bad_url'    => __( 'The webhook URL must be an http or https address; it was not saved.', 'video-compressor' ),
	);
	return $messages[ $saved ] ?? '';
}

/** The settings screen. */
function vcmp_render_settings_page(): void {
	if ( ! vcmp_can_manage() ) {
		wp_die( esc_html__( 'Sorry, you are not allowed to manage Video Compressor.', 'video-compressor' ), 403 );
	}
	echo '<div class="wrap"><h1>' . esc_html__( 'Video Compressor', 'video-compressor' ) . '</h1>';
	$notice = vcmp_settings_notice();
	if ( '' !== $notice ) {
		printf( '<div class="notice notice-success is-dismissible" id="vcmp-notice"><p>%s</p></div>', esc_html( $notice ) );
	}
	echo '<h2>' . esc_html__( 'Videos by status', 'video-compressor' ) . '</h2><table class="widefat striped" style="max-width:30em"><tbody>';
	foreach ( vcmp_status_counts() as $status => $n ) {
		printf( '<tr><th>%s</th><td>%d</td></tr>', esc_html( $status ), (int) $n );
	}
	echo '</tbody></table>';
	$untracked = vcmp_untracked_video_count();
	echo '<h2>' . esc_html__( 'Existing videos', 'video-compressor' ) . '</h2><p>';
	/* translators: %d: number of videos. */
	echo esc_html( sprintf( _n( '%d video in the library has never been processed.', '%d videos in the library have never been processed.', $untracked, 'video-compressor' ), $untracked ) );
	echo '</p>';
	if ( $untracked > 0 ) {
		vcmp_queue_existing_form( $untracked );
	}
	vcmp_render_requeue_form();
	vcmp_render_webhook_form();
	/* translators: %s: plugin version. */
	printf( '<p>%s</p></div>', esc_html( sprintf( __( 'Plugin version %s.', 'video-compressor' ), VCMP_PLUGIN_VERSION ) ) );
}

/** Failed (or failed and completed) videos back to the queue. */
function vcmp_render_requeue_form(): void {
	echo '<h2>' . esc_html__( 'Re-queue', 'video-compressor' ) . '</h2><form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '">';
	echo '<input type="hidden" name="action" value="vcmp_requeue">';
	wp_nonce_field( 'vcmp_requeue' );
	echo '<p><label><input type="radio" name="scope" value="failed" checked> ' . esc_html__( 'failed videos', 'video-compressor' ) . '</label> ';
	echo '<label><input type="radio" name="scope" value="all"> ' . esc_html__( 'failed and completed videos (transcode again)', 'video-compressor' ) . '</label></p>';
	submit_button( __( 'Re-queue', 'video-compressor' ), 'secondary', 'submit', false );
	echo '</form>';
}

/** The webhook: URL, and a secret that is set or replaced but never shown. */
function vcmp_render_webhook_form(): void {
	echo '<h2>' . esc_html__( 'Daemon webhook (optional)', 'video-compressor' ) . '</h2><form method="post" action="' . esc_url( admin_url( 'admin-post.php' ) ) . '">';
	echo '<input type="hidden" name="action" value="vcmp_save_settings">';
	wp_nonce_field( 'vcmp_save_settings' );
	printf(
		'<p><label>%s <input type="url" class="regular-text" name="vcmp_webhook_url" value="%s" placeholder="https://video.example.com/api/webhooks/wordpress"></label></p>',
		esc_html__( 'URL', 'video-compressor' ),
		esc_attr( (string) get_option( 'vcmp_webhook_url', '' ) )
	);
	if ( vcmp_secret_from_constant() ) {
		echo '<p>' . esc_html__( 'Secret: set by VCMP_WEBHOOK_SECRET in wp-config.php.', 'video-compressor' ) . '</p>';
	} else {
		$set = '' !== vcmp_webhook_secret();
		printf(
			'<p><label>%s <input type="password" class="regular-text" name="vcmp_webhook_secret" value="" autocomplete="new-password" placeholder="%s"></label></p>',
			esc_html__( 'Secret (WP_WEBHOOK_SECRET of the daemon)', 'video-compressor' ),
			esc_attr( $set ? __( 'set: type a new one to replace it', 'video-compressor' ) : __( 'not set', 'video-compressor' ) )
		);
		if ( $set ) {
			echo '<p><label><input type="checkbox" name="vcmp_remove_secret" value="1"> ' . esc_html__( 'Remove the secret', 'video-compressor' ) . '</label></p>';
		}
	}
	submit_button( __( 'Save', 'video-compressor' ) );
	echo '</form>';
}

add_action( 'admin_post_vcmp_save_settings', 'vcmp_handle_save_settings' );

/** Saves the webhook settings; an empty secret field keeps the current secret. */
function vcmp_handle_save_settings(): void {
	if ( ! vcmp_can_manage() ) {
		wp_die( esc_html__( 'Sorry, you are not allowed to manage Video Compressor.', 'video-compressor' ), 403 );
	}
	check_admin_referer( 'vcmp_save_settings' );
	$outcome = 'ok';
	$url     = isset( $_POST['vcmp_webhook_url'] ) ? trim( (string) wp_unslash( $_POST['vcmp_webhook_url'] ) ) : ''; // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- sanitised next.
	$clean   = vcmp_sanitize_webhook_url( $url );
	if ( '' !== $url && '' === $clean ) {
		$outcome = 'bad_url';
	} else {
		update_option( 'vcmp_webhook_url', $clean, false );
	}
	$secret = isset( $_POST['vcmp_webhook_secret'] ) ? (string) wp_unslash( $_POST['vcmp_webhook_secret'] ) : ''; // phpcs:ignore WordPress.Security.ValidatedSanitizedInput.InputNotSanitized -- sanitised next.
	if ( ! empty( $_POST['vcmp_remove_secret'] ) ) {
		delete_option( 'vcmp_webhook_secret' );
	} elseif ( '' !== $secret && ! vcmp_secret_from_constant() ) {
		$clean_secret = vcmp_sanitize_secret( $secret );
		if ( null === $clean_secret ) {
			$outcome = 'ok' === $outcome ? 'bad_secret' : $outcome;
		} else {
			update_option( 'vcmp_webhook_secret', $clean_secret, false );
		}
	}
	wp_safe_redirect( admin_url( 'upload.php?page=video-compressor&vcmp_saved=' . $outcome ) );
	exit;
}

/**
 * Failed (or failed and completed) videos back to pending, first in line, with a fresh retry
 * budget: the same compare-and-set transitions as the daemon's routes.
 */
function vcmp_requeue( string $scope ): int {
	global $wpdb;
	$statuses = 'all' === $scope ? array( 'failed', 'completed' ) : array( 'failed' );
	$in       = implode( ',', array_fill( 0, count( $statuses ), '%s' ) );
	$ids      = $wpdb->get_col(
		$wpdb->prepare( "SELECT post_id FROM {$wpdb->postmeta} WHERE meta_key = 'vcmp_status' AND meta_value IN ($in)", $statuses ) // phpcs:ignore WordPress.DB.PreparedSQL
	);
	$count    = 0;
	foreach ( $ids as $id ) {
		if ( true === vcmp_apply_action( (int) $id, 'requeue', 1, $statuses ) ) {
			++$count;
		}
	}
	return $count;
}

add_action( 'admin_post_vcmp_requeue', 'vcmp_handle_requeue' );

/** The re-queue form. */
function vcmp_handle_requeue(): void {
	if ( ! vcmp_can_manage() ) {
		wp_die( esc_html__( 'Sorry, you are not allowed to re-queue videos.', 'video-compressor' ), 403 );
	}
	check_admin_referer( 'vcmp_requeue' );
	$scope = isset( $_POST['scope'] ) && 'all' === $_POST['scope'] ? 'all' : 'failed';
	$count = vcmp_requeue( $scope );
	wp_safe_redirect( admin_url( 'upload.php?page=video-compressor&vcmp_requeued=' . $count ) );
	exit;
}
