<?php
/**
 * The operator's side for the daemon (its API, dashboard and CLI): retry, cancel and requeue as
 * compare-and-set transitions of vcmp_status, and every tracked video's status and ladder URL for
 * clean-up. The listing is a collection parameter of core's media route (query.php); priority,
 * ladder and cleared outputs are plain meta writes through core REST.
 *
 * @package VideoCompressor
 */

defined( 'ABSPATH' ) || exit;

/** Clean-up reads every tracked video: pages as large as one cheap query answers. */
const VCMP_MAX_REFS_PER_PAGE = 1000;

/**
 * The operator's actions need the capability. Whoever may edit a video (its Author) may also
 * retry it once it failed, at the normal priority: nothing more.
 *
 * @param WP_REST_Request $request The request, with the attachment `id`.
 * @param string          $action  A key of vcmp_transitions().
 * @return bool|WP_Error
 */
function vcmp_can_act_on_job( WP_REST_Request $request, string $action ) {
	$id      = (int) $request['id'];
	$allowed = vcmp_can_manage() || ( 'retry' === $action && current_user_can( 'edit_post', $id ) );
	return vcmp_video_permission( $id, true, $allowed );
}

/**
 * Each operator action: the statuses it starts from and the one it sets. The other meta it writes
 * are the daemon's (src/sources/operation-values.ts), see vcmp_transition_meta().
 */
function vcmp_transitions(): array {
	return array(
		'retry'   => array(
			'from' => array( 'failed', 'cancelled' ),
			'to'   => 'pending',
		),
		'cancel'  => array(
			'from' => array( 'pending', 'processing' ),
			'to'   => 'cancelled',
		),
		'requeue' => array(
			'from' => array( 'failed', 'completed' ),
			'to'   => 'pending',
		),
	);
}

/**
 * Meta written with a transition; null deletes. Retry: due now at priority 1 with a fresh retry
 * budget, retry_errors kept as history. Cancel keeps vcmp_claimed_by, so the worker's next heartbeat
 * sees `cancelled` rather than a lost lease. Requeue: a retry at the given priority with the
 * published outputs cleared.
 */
function vcmp_transition_meta( string $action, int $priority ): array {
	if ( 'cancel' === $action ) {
		return array(
			'next_attempt_at' => null,
			'step'            => null,
		);
	}
	$retry = array(
		'priority'        => 1,
		'retry_count'     => 0,
		'error'           => null,
		'error_code'      => null,
		'last_retry_at'   => null,
		'next_attempt_at' => null,
		'progress'        => 0,
		'step'            => null,
		'claimed_by'      => null,
		'claimed_at'      => null,
		'heartbeat_at'    => null,
	);
	if ( 'retry' === $action ) {
		return $retry;
	}
	$cleared = array_fill_keys( array( 'hls_url', 'poster_url', 'renditions', 'storyboard_url', 'preview_url', 'metadata_url', 'processing_ms', 'output_bytes', 'completed_at' ), null );
	return array_merge( $retry, $cleared, array( 'thumbnail_urls' => array() ), array( 'priority' => $priority ) );
}

add_action( 'rest_api_init', 'vcmp_register_job_routes' );

/** POST video-compressor/v1/jobs/<id>/{retry,cancel,requeue} and GET video-compressor/v1/refs. */
function vcmp_register_job_routes(): void {
	foreach ( array_keys( vcmp_transitions() ) as $action ) {
		$args = array();
		if ( 'requeue' === $action ) {
			$args = array(
				'priority' => array(
					'type'    => 'integer',
					'minimum' => 1,
					'maximum' => 10,
					'default' => 5,
				),
				'from'     => array(
					'description' => 'Only from this status (the one the caller listed), instead of failed or completed.',
					'type'        => 'string',
					'enum'        => vcmp_transitions()['requeue']['from'],
				),
			);
		}
		register_rest_route(
			'video-compressor/v1',
			'/jobs/(?P<id>\d+)/' . $action,
			array(
				'methods'             => 'POST',
				'callback'            => function ( WP_REST_Request $request ) use ( $action ) {
					return vcmp_rest_transition( $request, $action );
				},
				'permission_callback' => function ( WP_REST_Request $request ) use ( $action ) {
					return vcmp_can_act_on_job( $request, $action );
				},
				'args'                => $args,
			)
		);
	}
	register_rest_route(
		'video-compressor/v1',
		'/refs',
		array(
			'methods'             => 'GET',
			'callback'            => 'vcmp_rest_refs',
			'permission_callback' => 'vcmp_can_manage',
			'args'                => array(
				'after'    => array(
					'description' => 'Only videos with a larger attachment id: the last id of the previous page.',
					'type'        => 'integer',
					'minimum'     => 0,
					'default'     => 0,
				),
				'per_page' => array(
					'type'    => 'integer',
					'minimum' => 1,
					'maximum' => VCMP_MAX_REFS_PER_PAGE,
					'default' => VCMP_MAX_REFS_PER_PAGE,
				),
			),
		)
	);
}

/**
 * POST /jobs/<id>/{retry,cancel,requeue}: answers the video as GET /wp/v2/media/<id>?context=edit
 * does (`_fields` applies), 409 vcmp_conflict with its status when the action does not apply.
 *
 * @param WP_REST_Request $request The request.
 * @param string          $action  A key of vcmp_transitions().
 * @return WP_REST_Response|WP_Error
 */
function vcmp_rest_transition( WP_REST_Request $request, string $action ) {
	// Only requeue declares `from`: an undeclared parameter is never validated, so it is never read.
	$id   = (int) $request['id'];
	$from = 'requeue' === $action && is_string( $request['from'] ) ? array( $request['from'] ) : null;
	$done = vcmp_apply_action( $id, $action, (int) $request['priority'], $from );
	if ( is_wp_error( $done ) ) {
		return $done;
	}
	$item = new WP_REST_Request( 'GET', '/wp/v2/media/' . $id );
	$item->set_param( 'context', 'edit' );
	return rest_do_request( $item );
}

/**
 * An operator's action on one video, from whichever screen or route: the transition, and the
 * pending notice when it queues the video. Without the capability only a retry of a failed video
 * exists (its Author's), and it waits its turn: the front of the queue is the operator's to give.
 *
 * @param int        $id       The attachment.
 * @param string     $action   A key of vcmp_transitions().
 * @param int        $priority The requeue's priority (retry: 1).
 * @param array|null $from     Statuses it starts from, instead of the action's own.
 * @param bool|null  $operator Whether the caller acts as the operator; default: whether the user has the capability.
 * @return true|WP_Error
 */
function vcmp_apply_action( int $id, string $action, int $priority = 1, ?array $from = null, ?bool $operator = null ) {
	$transition = vcmp_transitions()[ $action ];
	$from       = $from ?? $transition['from'];
	$meta       = vcmp_transition_meta( $action, $priority );
	if ( 'retry' === $action && ! ( $operator ?? vcmp_can_manage() ) ) {
		$from             = array( 'failed' );
		$meta['priority'] = VCMP_DEFAULT_PRIORITY;
	}
	$done = vcmp_transition( $id, $from, $transition['to'], $meta );
	if ( true === $done && 'pending' === $transition['to'] ) {
		do_action( 'vcmp_video_pending', $id );
	}
	return $done;
}

/**
 * One compare-and-set UPDATE of the vcmp_status row, as the claim does, so that of two racing
 * actions (or an action and a claim) exactly one applies; the other meta are written in the same
 * transaction, so a worker polling meanwhile never claims a half-retried video, nor has its
 * claim undone by the rest of a retry (its own UPDATE waits for the row until COMMIT).
 *
 * @param int    $id   The attachment.
 * @param array  $from Statuses the transition starts from.
 * @param string $to   The status it sets.
 * @param array  $meta Field => value written after the status; null deletes.
 * @return true|WP_Error
 */
function vcmp_transition( int $id, array $from, string $to, array $meta ) {
	global $wpdb;
	$in = implode( ',', array_fill( 0, count( $from ), '%s' ) );
	$wpdb->query( 'START TRANSACTION' );
	$won = $wpdb->query(
		$wpdb->prepare(
			"UPDATE {$wpdb->postmeta} SET meta_value = %s WHERE post_id = %d AND meta_key = 'vcmp_status' AND meta_value IN ($in)", // phpcs:ignore WordPress.DB.PreparedSQL
			array_merge( array( $to, $id ), $from )
		)
	);
	// The UPDATE bypassed the meta API: drop the cached copy before reading or writing meta again.
	wp_cache_delete( $id, 'post_meta' );
	if ( 1 !== $won ) {
		$wpdb->query( 'ROLLBACK' );
		if ( false === $won ) {
			return vcmp_database_error();
		}
		$status = (string) get_post_meta( $id, 'vcmp_status', true );
		return new WP_Error(
			'vcmp_conflict',
			/* translators: 1: the video's status, 2: the statuses the action applies to. */
			sprintf( __( 'The video is %1$s; this action applies only to a video that is %2$s.', 'video-compressor' ), $status, implode( ' | ', $from ) ),
			array(
				'status'      => 409,
				'vcmp_status' => $status,
			)
		);
	}
	return vcmp_finish_transition( $id, $meta, $to );
}

/**
 * GET /refs?after=&per_page=: every tracked video's id, status and hls_url, by id. Pages are keyed
 * by the last id rather than numbered: a video deleted while clean-up pages through them must not
 * shift a live video off the page it was on (clean-up deletes the ladders of videos it does not see).
 *
 * @param WP_REST_Request $request The request.
 * @return WP_REST_Response
 */
function vcmp_rest_refs( WP_REST_Request $request ): WP_REST_Response {
	global $wpdb;
	$tracked = "FROM {$wpdb->postmeta} s JOIN {$wpdb->posts} p ON p.ID = s.post_id AND p.post_type = 'attachment' WHERE s.meta_key = 'vcmp_status'";
	$rows    = $wpdb->get_results(
		$wpdb->prepare(
			"SELECT s.post_id AS id, s.meta_value AS status,
			 (SELECT h.meta_value FROM {$wpdb->postmeta} h WHERE h.post_id = s.post_id AND h.meta_key = 'vcmp_hls_url' ORDER BY h.meta_id LIMIT 1) AS hls_url
			 $tracked AND s.post_id > %d ORDER BY s.post_id LIMIT %d", // phpcs:ignore WordPress.DB.PreparedSQL
			(int) $request['after'],
			(int) $request['per_page']
		)
	);
	$refs = array();
	foreach ( $rows as $row ) {
		$refs[] = array(
			'id'      => (int) $row->id,
			'status'  => (string) $row->status,
			'hls_url' => null === $row->hls_url || '' === $row->hls_url ? null : (string) $row->hls_url,
		);
	}
	$response = rest_ensure_response( $refs );
	$response->header( 'X-WP-Total', (string) (int) $wpdb->get_var( "SELECT COUNT(*) $tracked" ) ); // phpcs:ignore WordPress.DB.PreparedSQL
	return $response;
}
