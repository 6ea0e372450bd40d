<?php
/**
 * Deleting the plugin removes everything it stored, on every site of a network: its options, the
 * record fields of every video (`vcmp_*` meta; the videos themselves stay), and the capability.
 * The published HLS files belong to the daemon: `video-compressor gc` removes them once the
 * records are gone.
 *
 * @package VideoCompressor
 */

defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

/** Removes the plugin's data from the current site. */
function vcmp_uninstall_site(): void {
	global $wpdb;
	foreach ( array( 'vcmp_webhook_url', 'vcmp_webhook_secret', 'vcmp_db_version', 'vcmp_last_poll', 'vcmp_existing_notice' ) as $option ) {
		delete_option( $option );
	}
	$wpdb->query( "DELETE FROM {$wpdb->postmeta} WHERE meta_key LIKE 'vcmp\\_%'" );
	foreach ( wp_roles()->role_objects as $role ) {
		$role->remove_cap( 'manage_video_compressor' );
	}
	wp_cache_flush();
}

if ( is_multisite() ) {
	foreach ( get_sites(
		array(
			'fields' => 'ids',
			'number' => 0,
		)
	) as $vcmp_site_id ) {
		switch_to_blog( (int) $vcmp_site_id );
		vcmp_uninstall_site();
		restore_current_blog();
	}
} else {
	vcmp_uninstall_site();
}
