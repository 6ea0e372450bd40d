<?php
/**
 * Who may do what. The daemon's user and administrators hold `manage_video_compressor`: they write
 * the plugin's fields, claim, heartbeat and complete videos, and operate the queue. Whoever may
 * edit a video (its Author, Editors) reads its status and may re-queue it when it failed.
 *
 * @package VideoCompressor
 */

defined( 'ABSPATH' ) || exit;

/** The capability of the daemon's user and of administrators. */
const VCMP_CAP = 'manage_video_compressor';

/** Grants the capability to the administrator role of the current site (activation, upgrade). */
function vcmp_grant_capability(): void {
	$role = get_role( 'administrator' );
	if ( $role instanceof WP_Role && ! $role->has_cap( VCMP_CAP ) ) {
		$role->add_cap( VCMP_CAP );
	}
}

/** True for the daemon's user and administrators. */
function vcmp_can_manage(): bool {
	return current_user_can( VCMP_CAP );
}

/** True for an attachment that is a video (whatever its status). */
function vcmp_is_video( int $attachment_id ): bool {
	return 'attachment' === get_post_type( $attachment_id ) && str_starts_with( (string) get_post_mime_type( $attachment_id ), 'video/' );
}

/** A video attachment with a status: one the daemon tracks. */
function vcmp_is_tracked( int $id ): bool {
	return vcmp_is_video( $id ) && '' !== (string) get_post_meta( $id, 'vcmp_status', true );
}

/**
 * The rule of the routes that act on one video: a guest is refused (401), then a missing video
 * is 404 (before the 403 edit_post would answer for a post that does not exist), then `$allowed`.
 *
 * @param int  $id      The attachment id of the request.
 * @param bool $tracked Whether the video must already have a status.
 * @param bool $allowed The caller's right once the video exists.
 * @return bool|WP_Error
 */
function vcmp_video_permission( int $id, bool $tracked, bool $allowed ) {
	if ( ! is_user_logged_in() ) {
		return false;
	}
	if ( ! ( $tracked ? vcmp_is_tracked( $id ) : vcmp_is_video( $id ) ) ) {
		return new WP_Error( 'vcmp_not_found', __( 'No video attachment with this id.', 'video-compressor' ), array( 'status' => 404 ) );
	}
	return $allowed;
}
