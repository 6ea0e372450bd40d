<?php
/**
 * `GET /wp-json/wp/v2/media?vc_status=pending&media_type=video`: core REST has no meta query, so the
 * daemon's poll is a collection parameter mapped onto WP_Query here, in priority then age order.
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
		return $params;
	}
);

add_filter(
	'rest_attachment_query',
	function ( array $args, WP_REST_Request $request ) {
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
