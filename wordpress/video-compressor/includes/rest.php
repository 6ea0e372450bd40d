<?php
/**
 * The plugin's own routes: the atomic claim the daemon needs (core REST has no compare-and-set)
 * and a status route for `video-compressor doctor`.
 *
 * @package VideoCompressor
 */

defined( 'ABSPATH' ) || exit;

/** A processing video whose heartbeat is older than this may be reclaimed (the daemon sends its own LEASE). */
const VC_DEFAULT_LEASE_SECONDS = 120;

/** ISO-8601 UTC with milliseconds, the format the daemon writes: such strings sort by time. */
function vc_iso( ?int $timestamp = null ): string {
	return gmdate( 'Y-m-d\TH:i:s.000\Z', $timestamp ?? time() );
}

/** Videos per vc_status (attachments only). */
function vc_status_counts(): array {
	global $wpdb;
	$rows   = $wpdb->get_results(
		"SELECT pm.meta_value AS status, COUNT(*) AS n FROM {$wpdb->postmeta} pm
		 JOIN {$wpdb->posts} p ON p.ID = pm.post_id AND p.post_type = 'attachment'
		 WHERE pm.meta_key = 'vc_status' GROUP BY pm.meta_value"
	);
	$counts = array_fill_keys( VC_STATUSES, 0 );
	foreach ( $rows as $row ) {
		$counts[ $row->status ] = (int) $row->n;
	}
	return $counts;
}

add_action(
	'rest_api_init',
	function () {
		register_rest_route(
			'video-compressor/v1',
			'/claim/(?P<id>\d+)',
			array(
				'methods'             => 'POST',
				'callback'            => 'vc_rest_claim',
				'permission_callback' => function ( WP_REST_Request $request ) {
					return vc_can_manage() && current_user_can( 'edit_post', (int) $request['id'] );
				},
				'args'                => array(
					'worker' => array(
						'type'     => 'string',
						'required' => true,
						'pattern'  => '^[A-Za-z0-9._:-]{1,128}$',
					),
					'lease'  => array(
						'type'    => 'integer',
						'minimum' => 10,
						'default' => VC_DEFAULT_LEASE_SECONDS,
					),
				),
			)
		);
		register_rest_route(
			'video-compressor/v1',
			'/status',
			array(
				'methods'             => 'GET',
				'callback'            => function () {
					return array(
						'plugin'  => 'video-compressor',
						'version' => VC_PLUGIN_VERSION,
						'counts'  => vc_status_counts(),
					);
				},
				'permission_callback' => 'vc_can_manage',
			)
		);
	}
);

/**
 * One worker wins: each UPDATE below is a single-statement compare-and-set, so MariaDB serialises
 * concurrent claims and exactly one sees an affected row. The loser gets 409.
 */
function vc_rest_claim( WP_REST_Request $request ) {
	global $wpdb;
	$id = (int) $request['id'];
	if ( 'attachment' !== get_post_type( $id ) || ! vc_is_video( $id ) ) {
		return new WP_Error( 'vc_not_found', 'No video attachment with this id.', array( 'status' => 404 ) );
	}
	$now      = vc_iso();
	$previous = (string) get_post_meta( $id, 'vc_claimed_by', true );
	$won      = $wpdb->query(
		$wpdb->prepare(
			"UPDATE {$wpdb->postmeta} SET meta_value = 'processing' WHERE post_id = %d AND meta_key = 'vc_status' AND meta_value = 'pending'",
			$id
		)
	);
	$reclaimed = false;
	if ( 1 !== $won ) {
		// A processing video whose worker stopped heart-beating: the heartbeat itself is the token.
		$stale_before = vc_iso( time() - (int) $request['lease'] );
		$won          = $wpdb->query(
			$wpdb->prepare(
				"UPDATE {$wpdb->postmeta} h JOIN {$wpdb->postmeta} s ON s.post_id = h.post_id AND s.meta_key = 'vc_status'
				 SET h.meta_value = %s
				 WHERE h.post_id = %d AND h.meta_key = 'vc_heartbeat_at' AND h.meta_value <> '' AND h.meta_value < %s AND s.meta_value = 'processing'",
				$now,
				$id,
				$stale_before
			)
		);
		$reclaimed = 1 === $won;
	}
	// The UPDATEs bypassed the meta API: drop the cached copy before reading or writing meta again.
	wp_cache_delete( $id, 'post_meta' );
	if ( 1 !== $won ) {
		return new WP_Error(
			'vc_claim_conflict',
			'Another worker holds this video, or it is not pending.',
			array(
				'status'     => 409,
				'vc_status'  => (string) get_post_meta( $id, 'vc_status', true ),
				'claimed_by' => (string) get_post_meta( $id, 'vc_claimed_by', true ),
			)
		);
	}
	$worker = (string) $request['worker'];
	update_post_meta( $id, 'vc_claimed_by', $worker );
	update_post_meta( $id, 'vc_claimed_at', $now );
	update_post_meta( $id, 'vc_heartbeat_at', $now );
	update_post_meta( $id, 'vc_progress', 0 );
	update_post_meta( $id, 'vc_step', 'claimed' );
	return array(
		'id'                => $id,
		'status'            => 'processing',
		'claimed_by'        => $worker,
		'claimed_at'        => $now,
		'reclaimed'         => $reclaimed,
		'previous_worker'   => $reclaimed ? $previous : null,
	);
}
