<?php
/**
 * The plugin's own routes for the daemon: the atomic claim (core REST has no compare-and-set) and
 * a status route for `video-compressor doctor`.
 *
 * @package VideoCompressor
 */

defined( 'ABSPATH' ) || exit;

/** A processing video whose heartbeat is older than the lease may be reclaimed; the daemon sends its LEASE_SECONDS (same bounds). */
const VCMP_DEFAULT_LEASE_SECONDS = 120;
const VCMP_MIN_LEASE_SECONDS     = 30;
const VCMP_MAX_LEASE_SECONDS     = 86400;

/** ISO-8601 UTC with milliseconds, the format the daemon writes: such strings sort by time. */
function vcmp_iso( ?int $timestamp = null ): string {
	return gmdate( 'Y-m-d\TH:i:s.000\Z', $timestamp ?? time() );
}

/** Videos per vcmp_status (attachments only). */
function vcmp_status_counts(): array {
	global $wpdb;
	$rows   = $wpdb->get_results(
		"SELECT pm.meta_value AS status, COUNT(*) AS n FROM {$wpdb->postmeta} pm
		 JOIN {$wpdb->posts} p ON p.ID = pm.post_id AND p.post_type = 'attachment'
		 WHERE pm.meta_key = 'vcmp_status' GROUP BY pm.meta_value"
	);
	$counts = array_fill_keys( VCMP_STATUSES, 0 );
	foreach ( $rows as $row ) {
		if ( isset( $counts[ $row->status ] ) ) {
			$counts[ $row->status ] = (int) $row->n;
		}
	}
	return $counts;
}

add_action( 'rest_api_init', 'vcmp_register_daemon_routes' );

/** POST video-compressor/v1/claim/<id> and GET video-compressor/v1/status. */
function vcmp_register_daemon_routes(): void {
	register_rest_route(
		'video-compressor/v1',
		'/claim/(?P<id>\d+)',
		array(
			'methods'             => 'POST',
			'callback'            => 'vcmp_rest_claim',
			'permission_callback' => 'vcmp_claim_permission',
			'args'                => array(
				'worker' => array(
					'type'     => 'string',
					'required' => true,
					'pattern'  => '^[A-Za-z0-9._:-]{1,128}$',
				),
				'lease'      => array(
					'type'    => 'integer',
					'minimum' => VCMP_MIN_LEASE_SECONDS,
					'maximum' => VCMP_MAX_LEASE_SECONDS,
					'default' => VCMP_DEFAULT_LEASE_SECONDS,
				),
				'due_before' => array(
					'description' => 'The daemon\'s now (ISO-8601 UTC), as in its listing (vcmp_due_before): a pending video is due when its vcmp_next_attempt_at is not after it. Default: the server\'s now.',
					'type'        => 'string',
					'pattern'     => '^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{3})?Z$',
				),
			),
		)
	);
	register_rest_route(
		'video-compressor/v1',
		'/status',
		array(
			'methods'             => 'GET',
			'callback'            => 'vcmp_rest_status',
			'permission_callback' => 'vcmp_can_manage',
		)
	);
}

/** The plugin, its version and the videos per status. */
function vcmp_rest_status(): array {
	return array(
		'plugin'  => 'video-compressor',
		'version' => VCMP_PLUGIN_VERSION,
		'counts'  => vcmp_status_counts(),
	);
}

/**
 * Claiming needs the capability; a missing video is 404 first (the daemon then drops it).
 *
 * @param WP_REST_Request $request The request.
 * @return bool|WP_Error
 */
function vcmp_claim_permission( WP_REST_Request $request ) {
	return vcmp_video_permission( (int) $request['id'], false, vcmp_can_manage() );
}

/**
 * One worker wins. In one transaction: a compare-and-set UPDATE of the status (pending and due,
 * or processing with a heartbeat older than the lease), then the owner, claim time and heartbeat.
 * MariaDB serialises concurrent claims on the status row, so exactly one sees an affected row;
 * a request that dies before COMMIT leaves nothing behind (the connection's end rolls it back),
 * so no video is ever `processing` without an owner and a heartbeat. The loser gets 409.
 *
 * @param WP_REST_Request $request The request.
 * @return array|WP_Error
 */
function vcmp_rest_claim( WP_REST_Request $request ) {
	global $wpdb;
	$id       = (int) $request['id'];
	$worker   = (string) $request['worker'];
	$now      = vcmp_iso();
	$previous = (string) get_post_meta( $id, 'vcmp_claimed_by', true );
	$wpdb->query( 'START TRANSACTION' );
	$due = is_string( $request['due_before'] ) ? $request['due_before'] : $now;
	$won = vcmp_claim_status( $id, $now, $due, (int) $request['lease'] );
	if ( false === $won['rows'] || 1 !== $won['rows'] ) {
		$wpdb->query( 'ROLLBACK' );
		wp_cache_delete( $id, 'post_meta' );
		return false === $won['rows'] ? vcmp_database_error() : vcmp_claim_conflict( $id );
	}
	/** Fires inside the claim's transaction, after the status row is taken (tests stop a claim here). */
	do_action( 'vcmp_claim_status_taken', $id, $worker );
	$fields = array(
		'claimed_by'   => $worker,
		'claimed_at'   => $now,
		'heartbeat_at' => $now,
		'progress'     => 0,
		'step'         => 'claimed',
	);
	$done = vcmp_finish_transition( $id, $fields, 'processing' );
	if ( is_wp_error( $done ) ) {
		return $done;
	}
	/**
	 * A worker claimed a video.
	 *
	 * @param int    $id        The video.
	 * @param string $worker    The daemon's worker id.
	 * @param bool   $reclaimed Whether it took over a stale lease.
	 */
	do_action( 'vcmp_claimed', $id, $worker, $won['reclaimed'] );
	return array(
		'id'              => $id,
		'status'          => 'processing',
		'claimed_by'      => $worker,
		'claimed_at'      => $now,
		'reclaimed'       => $won['reclaimed'],
		'previous_worker' => $won['reclaimed'] ? $previous : null,
	);
}

/**
 * The compare-and-set of the claim. A pending video must be due (vcmp_next_attempt_at unset or
 * not after `$due`, the daemon's clock as in its listing); a processing one must have a heartbeat older than the lease, and the heartbeat itself is
 * then the token that makes the reclaim exclusive.
 *
 * @return array{rows: int|false, reclaimed: bool}
 */
function vcmp_claim_status( int $id, string $now, string $due, int $lease ): array {
	global $wpdb;
	$rows = $wpdb->query(
		$wpdb->prepare(
			"UPDATE {$wpdb->postmeta} s
			 LEFT JOIN {$wpdb->postmeta} n ON n.post_id = s.post_id AND n.meta_key = 'vcmp_next_attempt_at'
			 SET s.meta_value = 'processing'
			 WHERE s.post_id = %d AND s.meta_key = 'vcmp_status' AND s.meta_value = 'pending'
			 AND (n.meta_value IS NULL OR n.meta_value = '' OR n.meta_value <= %s)",
			$id,
			$due
		)
	);
	if ( 0 !== $rows ) {
		return array(
			'rows'      => $rows,
			'reclaimed' => false,
		);
	}
	$rows = $wpdb->query(
		$wpdb->prepare(
			"UPDATE {$wpdb->postmeta} h JOIN {$wpdb->postmeta} s ON s.post_id = h.post_id AND s.meta_key = 'vcmp_status'
			 SET h.meta_value = %s
			 WHERE h.post_id = %d AND h.meta_key = 'vcmp_heartbeat_at' AND h.meta_value <> '' AND h.meta_value < %s AND s.meta_value = 'processing'",
			$now,
			$id,
			vcmp_iso( time() - $lease )
		)
	);
	return array(
		'rows'      => $rows,
		'reclaimed' => 1 === $rows,
	);
}

/**
 * The rest of a status change, inside the transaction its compare-and-set opened: each field (null
 * deletes it), then COMMIT and the status's hooks. A database error rolls everything back.
 *
 * @param int    $id     The attachment.
 * @param array  $meta   Field => value.
 * @param string $status The status the compare-and-set wrote.
 * @return true|WP_Error
 */
function vcmp_finish_transition( int $id, array $meta, string $status ) {
	global $wpdb;
	foreach ( $meta as $field => $value ) {
		if ( null === $value ) {
			delete_post_meta( $id, VCMP_META_PREFIX . $field );
		} else {
			update_post_meta( $id, VCMP_META_PREFIX . $field, $value );
		}
		if ( '' !== $wpdb->last_error ) {
			$wpdb->query( 'ROLLBACK' );
			wp_cache_delete( $id, 'post_meta' );
			return vcmp_database_error();
		}
	}
	$wpdb->query( 'COMMIT' );
	vcmp_announce_status( $id, $status );
	return true;
}

/**
 * A status changed by SQL (claim, transitions) bypassed the meta API: the object cache is dropped
 * and the hooks update_post_meta() would have fired are fired, so caches keyed on post queries,
 * indexers and audit logs see the change.
 */
function vcmp_announce_status( int $id, string $status ): void {
	global $wpdb;
	wp_cache_delete( $id, 'post_meta' );
	$meta_id = (int) $wpdb->get_var( $wpdb->prepare( "SELECT meta_id FROM {$wpdb->postmeta} WHERE post_id = %d AND meta_key = 'vcmp_status' LIMIT 1", $id ) );
	do_action( 'updated_post_meta', $meta_id, $id, 'vcmp_status', $status );
	do_action( 'updated_postmeta', $meta_id, $id, 'vcmp_status', $status );
}

/** 500 for a failed query: never reported as a lost race. */
function vcmp_database_error(): WP_Error {
	return new WP_Error( 'vcmp_database_error', __( 'The database refused the update.', 'video-compressor' ), array( 'status' => 500 ) );
}

/** 409 with what the video is now: taken by another worker, not pending, or not due yet. */
function vcmp_claim_conflict( int $id ): WP_Error {
	return new WP_Error(
		'vcmp_claim_conflict',
		__( 'Another worker holds this video, or it is not pending, or not due yet.', 'video-compressor' ),
		array(
			'status'          => 409,
			'vcmp_status'     => (string) get_post_meta( $id, 'vcmp_status', true ),
			'claimed_by'      => (string) get_post_meta( $id, 'vcmp_claimed_by', true ),
			'next_attempt_at' => (string) get_post_meta( $id, 'vcmp_next_attempt_at', true ),
		)
	);
}
