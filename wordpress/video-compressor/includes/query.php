<?php
/**
 * `GET /wp-json/wp/v2/media?vcmp_status=pending&media_type=video`: core REST has no meta query, so the
 * daemon's poll is a collection parameter mapped onto WP_Query here, in priority then age order.
 * With `vcmp_tracked=1` the same route is the operator's listing instead: every tracked video, newest
 * first, optionally by `vcmp_status` and `vcmp_search`.
 *
 * @package VideoCompressor
 */

defined( 'ABSPATH' ) || exit;

add_filter( 'rest_attachment_collection_params', 'vcmp_collection_params' );

/**
 * The collection parameters of the daemon's poll and of the operator's listing.
 *
 * @param array $params Core's parameters of GET /wp/v2/media.
 */
function vcmp_collection_params( array $params ): array {
	$params['vcmp_status']          = array(
		'description' => 'Only attachments with this video-compressor status (sorted by priority, then oldest first).',
		'type'        => 'string',
		'enum'        => VCMP_STATUSES,
	);
	$params['vcmp_due_before']      = array(
		'description' => 'With vcmp_status: only records whose vcmp_next_attempt_at is unset or not after this ISO-8601 time.',
		'type'        => 'string',
	);
	$params['vcmp_heartbeat_before'] = array(
		'description' => 'With vcmp_status=processing: only records whose lease (vcmp_heartbeat_at) is older than this ISO-8601 time.',
		'type'        => 'string',
	);
	$params['vcmp_tracked']          = array(
		'description' => 'Every video with a video-compressor status (vcmp_status filters it), newest first: the operator\'s listing.',
		'type'        => 'boolean',
	);
	$params['vcmp_search']           = array(
		'description' => 'With vcmp_tracked: the attachment id (or the daemon\'s key wordpress-<id>) exactly, or a title substring, case-insensitively.',
		'type'        => 'string',
		'maxLength'   => 200,
	);
	return $params;
}

add_filter( 'rest_attachment_query', 'vcmp_media_query', 10, 2 );

/**
 * Maps vcmp_status (the poll) or vcmp_tracked (the operator's listing) onto WP_Query.
 *
 * @param array           $args    WP_Query arguments of core's media route.
 * @param WP_REST_Request $request The request.
 */
function vcmp_media_query( array $args, WP_REST_Request $request ): array {
	if ( true === $request->get_param( 'vcmp_tracked' ) ) {
		return vcmp_tracked_query( $args, $request );
	}
	$status = $request->get_param( 'vcmp_status' );
	if ( null === $status || '' === $status ) {
		return $args;
	}
	if ( ! vcmp_can_manage() ) {
		// The queue is not public: an anonymous listing by status finds nothing.
		$args['post__in'] = array( 0 );
		return $args;
	}
	if ( 'pending' === $status ) {
		vcmp_note_poll();
	}
	$meta = array(
		'relation'    => 'AND',
		'vcmp_status' => array(
			'key'   => 'vcmp_status',
			'value' => $status,
		),
	);
	$due  = $request->get_param( 'vcmp_due_before' );
	if ( is_string( $due ) && '' !== $due ) {
		$meta[] = array(
			'relation' => 'OR',
			array(
				'key'     => 'vcmp_next_attempt_at',
				'compare' => 'NOT EXISTS',
			),
			array(
				'key'     => 'vcmp_next_attempt_at',
				'value'   => $due,
				'compare' => '<=',
			),
		);
	}
	$stale = $request->get_param( 'vcmp_heartbeat_before' );
	if ( is_string( $stale ) && '' !== $stale ) {
		// The same condition as the claim's reclaim: a listed record can be claimed.
		$meta[] = array(
			'key'     => 'vcmp_heartbeat_at',
			'value'   => $stale,
			'compare' => '<',
		);
	}
	$args['meta_query']       = $meta; // phpcs:ignore WordPress.DB.SlowDBQuery
	$args['vcmp_queue_order'] = true;
	return $args;
}

add_filter( 'posts_clauses', 'vcmp_queue_order', 10, 2 );

/**
 * The poll's order: priority (a video without one counts as the default, so a video marked
 * pending by hand or by another tool is listed too), then oldest first.
 *
 * @param array    $clauses The query's SQL clauses.
 * @param WP_Query $query   The query.
 */
function vcmp_queue_order( array $clauses, WP_Query $query ): array {
	if ( true !== $query->get( 'vcmp_queue_order' ) ) {
		return $clauses;
	}
	global $wpdb;
	$clauses['join']   .= " LEFT JOIN {$wpdb->postmeta} vcmp_priority ON vcmp_priority.post_id = {$wpdb->posts}.ID AND vcmp_priority.meta_key = 'vcmp_priority'";
	$clauses['orderby'] = $wpdb->prepare( 'COALESCE(CAST(vcmp_priority.meta_value AS SIGNED), %d) ASC', VCMP_DEFAULT_PRIORITY ) . ", {$wpdb->posts}.post_date ASC, {$wpdb->posts}.ID ASC";
	// Two priority rows for one video (written by hand) must not list it twice.
	$clauses['groupby'] = "{$wpdb->posts}.ID";
	return $clauses;
}

/** When the daemon last polled, for Site Health; written at most once a minute. */
function vcmp_note_poll(): void {
	if ( ! vcmp_can_manage() ) {
		return;
	}
	$last = (int) get_option( 'vcmp_last_poll', 0 );
	if ( time() - $last >= MINUTE_IN_SECONDS ) {
		update_option( 'vcmp_last_poll', time(), false );
	}
}

/**
 * The operator's listing: unlike the poll, a record needs only a status (videos from before the
 * plugin's vcmp_priority, or edited by hand, are listed too).
 *
 * @param array           $args    WP_Query arguments of core's media route.
 * @param WP_REST_Request $request The request.
 */
function vcmp_tracked_query( array $args, WP_REST_Request $request ): array {
	if ( ! vcmp_can_manage() ) {
		$args['post__in'] = array( 0 );
		return $args;
	}
	$status = $request->get_param( 'vcmp_status' );
	$meta   = array( 'key' => 'vcmp_status' );
	if ( is_string( $status ) && '' !== $status ) {
		$meta['value'] = $status;
	} else {
		$meta['compare'] = 'EXISTS';
	}
	$args['meta_query'] = array( $meta ); // phpcs:ignore WordPress.DB.SlowDBQuery
	$search             = trim( (string) $request->get_param( 'vcmp_search' ) );
	if ( '' !== $search ) {
		$args['vcmp_search'] = $search;
	}
	$args['orderby'] = array(
		'date' => 'DESC',
		'ID'   => 'DESC',
	);
	return $args;
}

/**
 * `vcmp_search` of vcmp_tracked_query(): the title the daemon shows (vcmp_title, else the attachment's)
 * matched by substring; the user's % and _ are literal characters.
 */
add_filter( 'posts_where', 'vcmp_search_where', 10, 2 );

/**
 * The SQL of vcmp_search.
 *
 * @param string   $where The query's WHERE clause.
 * @param WP_Query $query The query.
 */
function vcmp_search_where( string $where, WP_Query $query ): string {
	$search = $query->get( 'vcmp_search' );
	if ( ! is_string( $search ) || '' === $search ) {
		return $where;
	}
	global $wpdb;
	$id = preg_match( '/^(?:wordpress-)?(\d{1,19})$/', $search, $match ) ? (int) $match[1] : 0;
	return $where . $wpdb->prepare(
		" AND ({$wpdb->posts}.ID = %d OR LOWER(COALESCE(NULLIF((SELECT t.meta_value FROM {$wpdb->postmeta} t
		   WHERE t.post_id = {$wpdb->posts}.ID AND t.meta_key = 'vcmp_title' ORDER BY t.meta_id LIMIT 1), ''), {$wpdb->posts}.post_title)) LIKE LOWER(%s))",
		$id,
		'%' . $wpdb->esc_like( $search ) . '%'
	);
}
