<?php
/**
 * The media library for editors: an "HLS" status column and a status filter in the list view, the
 * status (with Re-queue / Cancel) in the attachment details of the grid view and the edit screen,
 * and the same two actions as row links.
 *
 * @package VideoCompressor
 */

defined( 'ABSPATH' ) || exit;

/** A video's status for people: "processing 40 %", "failed: <error>", or '' without one. */
function vcmp_status_label( int $id ): string {
	$status = (string) get_post_meta( $id, 'vcmp_status', true );
	if ( 'processing' === $status ) {
		/* translators: %d: percent done. */
		return sprintf( __( 'processing %d %%', 'video-compressor' ), (int) get_post_meta( $id, 'vcmp_progress', true ) );
	}
	if ( 'failed' === $status ) {
		/* translators: %s: the error message. */
		return sprintf( __( 'failed: %s', 'video-compressor' ), (string) get_post_meta( $id, 'vcmp_error', true ) );
	}
	return $status;
}

/** The actions this user may take on this video now: action => label. */
function vcmp_video_actions( int $id ): array {
	$status  = (string) get_post_meta( $id, 'vcmp_status', true );
	$actions = array();
	$retry   = vcmp_can_manage() ? array( 'failed', 'cancelled' ) : array( 'failed' );
	if ( in_array( $status, $retry, true ) && current_user_can( 'edit_post', $id ) ) {
		$actions['retry'] = __( 'Re-queue', 'video-compressor' );
	}
	if ( in_array( $status, array( 'pending', 'processing' ), true ) && vcmp_can_manage() ) {
		$actions['cancel'] = __( 'Cancel', 'video-compressor' );
	}
	return $actions;
}

/** The nonce-protected link of one action. */
function vcmp_action_url( int $id, string $action ): string {
	$url = add_query_arg(
		array(
			'action'      => 'vcmp_job',
			'vcmp_do'     => $action,
			'attachment'  => $id,
		),
		admin_url( 'admin-post.php' )
	);
	return wp_nonce_url( $url, 'vcmp_job_' . $action . '_' . $id );
}

add_action( 'admin_post_vcmp_job', 'vcmp_handle_job_action' );

/** Re-queue or cancel one video from the media screens, then back where the user was. */
function vcmp_handle_job_action(): void {
	$id     = isset( $_GET['attachment'] ) ? (int) $_GET['attachment'] : 0; // phpcs:ignore WordPress.Security.NonceVerification -- checked below.
	$action = isset( $_GET['vcmp_do'] ) ? sanitize_key( wp_unslash( $_GET['vcmp_do'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification -- checked below.
	check_admin_referer( 'vcmp_job_' . $action . '_' . $id );
	if ( ! isset( vcmp_video_actions( $id )[ $action ] ) ) {
		wp_die( esc_html__( 'This action is not available for this video now.', 'video-compressor' ), 403 );
	}
	$done = vcmp_apply_action( $id, $action );
	$back = wp_get_referer() ? wp_get_referer() : admin_url( 'upload.php' );
	wp_safe_redirect( add_query_arg( 'vcmp_done', true === $done ? $action : 'conflict', $back ) );
	exit;
}

add_filter( 'manage_media_columns', 'vcmp_media_columns' );

/**
 * The "HLS" column.
 *
 * @param array $columns Core's columns.
 */
function vcmp_media_columns( array $columns ): array {
	$columns['vcmp_status'] = __( 'HLS', 'video-compressor' );
	return $columns;
}

add_action( 'manage_media_custom_column', 'vcmp_media_column', 10, 2 );

/**
 * One cell of the "HLS" column.
 *
 * @param string $column The column.
 * @param int    $id     The attachment.
 */
function vcmp_media_column( string $column, int $id ): void {
	if ( 'vcmp_status' !== $column ) {
		return;
	}
	$label = vcmp_status_label( $id );
	printf( '<span class="vcmp-status" data-vcmp-status="%s">%s</span>', esc_attr( (string) get_post_meta( $id, 'vcmp_status', true ) ), esc_html( '' === $label ? '—' : $label ) );
}

add_filter( 'media_row_actions', 'vcmp_media_row_actions', 10, 2 );

/**
 * Re-queue / Cancel under the file name in the list view.
 *
 * @param array   $actions Core's row actions.
 * @param WP_Post $post    The attachment.
 */
function vcmp_media_row_actions( array $actions, WP_Post $post ): array {
	foreach ( vcmp_video_actions( $post->ID ) as $action => $label ) {
		$actions[ 'vcmp_' . $action ] = sprintf( '<a href="%s">%s</a>', esc_url( vcmp_action_url( $post->ID, $action ) ), esc_html( $label ) );
	}
	return $actions;
}

add_filter( 'attachment_fields_to_edit', 'vcmp_attachment_fields', 10, 2 );

/**
 * The status and its actions in the attachment details (grid view, edit screen). Read-only.
 *
 * @param array   $fields Core's fields.
 * @param WP_Post $post   The attachment.
 */
function vcmp_attachment_fields( array $fields, WP_Post $post ): array {
	if ( ! vcmp_is_tracked( $post->ID ) || ! current_user_can( 'edit_post', $post->ID ) ) {
		return $fields;
	}
	$links = '';
	foreach ( vcmp_video_actions( $post->ID ) as $action => $label ) {
		$links .= sprintf( ' <a class="button button-small" href="%s">%s</a>', esc_url( vcmp_action_url( $post->ID, $action ) ), esc_html( $label ) );
	}
	$fields['vcmp_status'] = array(
		'label' => __( 'HLS', 'video-compressor' ),
		'input' => 'html',
		'html'  => '<span class="vcmp-status">' . esc_html( vcmp_status_label( $post->ID ) ) . '</span>' . $links,
	);
	return $fields;
}

add_action( 'restrict_manage_posts', 'vcmp_status_filter' );

/** The status filter above the list view. */
function vcmp_status_filter(): void {
	$screen = get_current_screen();
	if ( ! $screen || 'upload' !== $screen->id ) {
		return;
	}
	$current = isset( $_GET['vcmp_status'] ) ? sanitize_key( wp_unslash( $_GET['vcmp_status'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification -- a filter.
	echo '<label class="screen-reader-text" for="vcmp-status-filter">' . esc_html__( 'Filter by HLS status', 'video-compressor' ) . '</label>';
	echo '<select name="vcmp_status" id="vcmp-status-filter"><option value="">' . esc_html__( 'All HLS statuses', 'video-compressor' ) . '</option>';
	foreach ( VCMP_STATUSES as $status ) {
		printf( '<option value="%s"%s>%s</option>', esc_attr( $status ), selected( $current, $status, false ), esc_html( $status ) );
	}
	echo '</select>';
}

add_action( 'pre_get_posts', 'vcmp_apply_status_filter' );

/**
 * Applies the filter to the list view's query.
 *
 * @param WP_Query $query The query.
 */
function vcmp_apply_status_filter( WP_Query $query ): void {
	if ( ! is_admin() || ! $query->is_main_query() || 'attachment' !== $query->get( 'post_type' ) || empty( $_GET['vcmp_status'] ) ) { // phpcs:ignore WordPress.Security.NonceVerification -- a filter.
		return;
	}
	$status = sanitize_key( wp_unslash( $_GET['vcmp_status'] ) ); // phpcs:ignore WordPress.Security.NonceVerification -- a filter.
	if ( in_array( $status, VCMP_STATUSES, true ) ) {
		$query->set( 'meta_query', array( array( 'key' => 'vcmp_status', 'value' => $status ) ) ); // phpcs:ignore WordPress.DB.SlowDBQuery
	}
}
