<?php
/**
 * Activation and upgrades, per site: the capability for administrators, the notice about videos
 * uploaded before activation, and the move from the 1.x prefix `vc_` (which WPBakery Page Builder
 * also uses) to `vcmp_`.
 *
 * @package VideoCompressor
 */

defined( 'ABSPATH' ) || exit;

/** The schema of the plugin's data; bumped when an upgrade step is added. */
const VCMP_DB_VERSION = 2;

/** Activation: the upgrade steps now, and the existing-videos notice for the settings screen. */
function vcmp_activate(): void {
	vcmp_maybe_upgrade();
	update_option( 'vcmp_existing_notice', 1, false );
}

add_action( 'init', 'vcmp_maybe_upgrade', 1 );

/** Runs the steps this site has not had yet (network activation reaches each site on its first request). */
function vcmp_maybe_upgrade(): void {
	$version = (int) get_option( 'vcmp_db_version', 0 );
	if ( $version >= VCMP_DB_VERSION ) {
		return;
	}
	vcmp_grant_capability();
	if ( $version < 2 ) {
		vcmp_migrate_from_vc_prefix();
	}
	update_option( 'vcmp_db_version', VCMP_DB_VERSION, true );
}

/**
 * 1.x stored the fields as `vc_<field>`: renamed in place, on attachments only and only for the
 * plugin's own field names (WPBakery's `vc_` meta are left alone). Options likewise; the secret
 * is no longer autoloaded.
 */
function vcmp_migrate_from_vc_prefix(): void {
	global $wpdb;
	foreach ( array_keys( vcmp_meta_fields() ) as $field ) {
		$wpdb->query(
			$wpdb->prepare(
				"UPDATE {$wpdb->postmeta} m JOIN {$wpdb->posts} p ON p.ID = m.post_id AND p.post_type = 'attachment' SET m.meta_key = %s WHERE m.meta_key = %s",
				VCMP_META_PREFIX . $field,
				'vc_' . $field
			)
		);
	}
	foreach ( array( 'webhook_url', 'webhook_secret' ) as $option ) {
		$old = get_option( 'vc_' . $option, null );
		if ( null !== $old ) {
			update_option( 'vcmp_' . $option, (string) $old, false );
			delete_option( 'vc_' . $option );
		}
	}
	// The renames bypassed the meta API: no cached copy of the old keys may survive.
	wp_cache_flush();
}
