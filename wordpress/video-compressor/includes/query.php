<?php
/**
 * `GET /wp-json/wp/v2/media?vc_status=pending&media_type=video`: core REST has no meta query, so the
 * daemon's poll is a collection parameter mapped onto WP_Query here, in priority then age order.
 * With `vc_tracked=1` the same route is the operator's listing instead: every tracked video, newest
 * first, optionally by `vc_status` and `vc_search`.
 *
 * @package VideoCompressor
 */

defined( 'ABSPATH' ) || exit;

add_filter(
	'rest_attachment_collection_params',
	function ( array $params ) {
		$params['vc_status']          = array(
			'description' => 'Only attachments with this video-compressor status (sorted by priority, then oldest first).',
			'type'        => 'string',
			'enum'        => VC_STATUSES,
		);
		$params['vc_due_before']      = array(
			'description' => 'With vc_status: only records whose vc_next_attempt_at is unset or not after this ISO-8601 time.',
			'type'        => 'string',
		);
		$params['vc_heartbeat_before'] = array(
			'description' => 'With vc_status=processing: only records whose lease (vc_heartbeat_at) is older than this ISO-8601 time.',
			'type'        => 'string',
		);
		$params['vc_tracked']          = array(
			'description' => 'Every video with a video-compressor status (vc_status filters it), newest first: the operator\'s listing.',
			'type'        => 'boolean',
		);
		$params['vc_search']           = array(
			'description' => 'With vc_tracked: the attachment id (or the daemon\'s key wordpress-<id>) exactly, or a title substring, case-insensitively.',
			'type'        => 'string',
			'maxLength'   => 200,
		);
		return $params;
	}
);

add_filter(
	'rest_attachment_query',
	function ( array $args, WP_REST_Request $request ) {
		if ( true === $request->get_param( 'vc_tracked' ) ) {
			return vc_tracked_query( $args, $request );
		}
		$status = $request->get_param( 'vc_status' );
		if ( null === $status || '' === $status ) {
			return $args;
		}
		if ( ! vc_can_manage() ) {
			// The queue is not public: an anonymous listing by status finds nothing.
			$args['post__in'] = array( 0 );
			return $args;
		}
		$meta = array(
			'relation'    => 'AND',
			'vc_status'   => array(
				'key'   => 'vc_status',
				'value' => $status,
			),
			'vc_priority' => array(
				'key'     => 'vc_priority',
				'type'    => 'NUMERIC',
				'compare' => 'EXISTS',
			),
		);
		$due = $request->get_param( 'vc_due_before' );
		if ( is_string( $due ) && '' !== $due ) {
			$meta[] = array(
				'relation' => 'OR',
				array(
					'key'     => 'vc_next_attempt_at',
					'compare' => 'NOT EXISTS',
				),
				array(
					'key'     => 'vc_next_attempt_at',
					'value'   => $due,
					'compare' => '<=',
				),
			);
		}
		$stale = $request->get_param( 'vc_heartbeat_before' );
		if ( is_string( $stale ) && '' !== $stale ) {
			// The same condition as the claim's reclaim: a listed record can be claimed.
			$meta[] = array(
				'key'     => 'vc_heartbeat_at',
				'value'   => $stale,
				'compare' => '<',
			);
		}
		$args['meta_query'] = $meta; // phpcs:ignore WordPress.DB.SlowDBQuery
		$args['orderby']    = array(
			'vc_priority' => 'ASC',
			'date'        => 'ASC',
			'ID'          => 'ASC',
		);
		return $args;
	},
	10,
	2
);

/**
 * The operator's listing: unlike the poll, a record needs only a status (videos from before the
 * plugin's vc_priority, or edited by hand, are listed too).
 *
 * @param array           $args    WP_Query arguments of core's media route.
 * @param WP_REST_Request $request The request.
 */
function vc_tracked_query( array $args, WP_REST_Request $request ): array {
	if ( ! vc_can_manage() ) {
		$args['post__in'] = array( 0 );
		return $args;
	}
	$status = $request->get_param( 'vc_status' );
	$meta   = array( 'key' => 'vc_status' );
	if ( is_string( $status ) && '' !== $status ) {
		$meta['value'] = $status;
	} else {
		$meta['compare'] = 'EXISTS';
	}
	$args['meta_query'] = array( $meta ); // phpcs:ignore WordPress.DB.SlowDBQuery
	$search             = trim( (string) $request->get_param( 'vc_search' ) );
	if ( '' !== $search ) {
		$args['vc_search'] = $search;
	}
	$args['orderby'] = array(
		'date' => 'DESC',
		'ID'   => 'DESC',
	);
	return $args;
}

/**
 * `vc_search` of vc_tracked_query(): the title the daemon shows (vc_title, else the attachment's)
 * matched by substring; the user's % and _ are literal characters.
 */
add_filter(
	'posts_where',
	function ( string $where, WP_Query $query ) {
		$search = $query->get( 'vc_search' );
		if ( ! is_string( $search ) || '' === $search ) {
			return $where;
		}
		global $wpdb;
		$id = preg_match( '/^(?:wordpress-)?(\d{1,19})$/', $search, $match ) ? (int) $match[1] : 0;
		return $where . $wpdb->prepare(
			" AND ({$wpdb->posts}.ID = %d OR LOWER(COALESCE(NULLIF((SELECT t.meta_value FROM {$wpdb->postmeta} t
			   WHERE t.post_id = {$wpdb->posts}.ID AND t.meta_key = 'vc_title' ORDER BY t.meta_id LIMIT 1), ''), {$wpdb->posts}.post_title)) LIKE LOWER(%s))",
			$id,
			'%' . $wpdb->esc_like( $search ) . '%'
		);
	},
	10,
	2
);
