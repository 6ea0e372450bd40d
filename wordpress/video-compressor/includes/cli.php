<?php
/**
 * `wp vcmp`: the queue from the command line.
 *
 * @package VideoCompressor
 */

defined( 'ABSPATH' ) || exit;

/**
 * Queues and reports videos for the Video Compressor daemon.
 */
class VCMP_CLI_Command {

	/**
	 * Queues videos: those never processed (`--all`), or the given ones (`--ids`), whose failed or
	 * cancelled ones are retried.
	 *
	 * ## OPTIONS
	 *
	 * [--all]
	 * : Every video in the library without a status (uploaded before the plugin was active).
	 *
	 * [--ids=<ids>]
	 * : Comma-separated attachment ids.
	 *
	 * ## EXAMPLES
	 *
	 *     wp vcmp queue --all
	 *     wp vcmp queue --ids=12,34
	 *
	 * @param array $args       Positional arguments (none).
	 * @param array $assoc_args `all` or `ids`.
	 */
	public function queue( array $args, array $assoc_args ): void {
		if ( ! empty( $assoc_args['all'] ) ) {
			$done = array(
				'queued'  => 0,
				'retried' => 0,
				'skipped' => 0,
			);
			do {
				$batch = vcmp_untracked_video_ids( VCMP_QUEUE_BATCH );
				$step  = vcmp_queue_videos( $batch );
				foreach ( $step as $key => $n ) {
					$done[ $key ] += $n;
				}
			} while ( count( $batch ) === VCMP_QUEUE_BATCH && $step['queued'] > 0 );
		} elseif ( isset( $assoc_args['ids'] ) && preg_match( '/^\d+(,\d+)*$/', (string) $assoc_args['ids'] ) ) {
			$done = vcmp_queue_videos( array_map( 'intval', explode( ',', (string) $assoc_args['ids'] ) ) );
		} else {
			WP_CLI::error( 'Give --all, or --ids=<id,id,…>.' );
			return;
		}
		WP_CLI::success( sprintf( '%d queued, %d retried, %d skipped.', $done['queued'], $done['retried'], $done['skipped'] ) );
	}

	/**
	 * Videos per status, and how many were never processed.
	 *
	 * @param array $args       Unused.
	 * @param array $assoc_args Unused.
	 */
	public function status( array $args, array $assoc_args ): void {
		foreach ( vcmp_status_counts() as $status => $n ) {
			WP_CLI::line( sprintf( '%-11s %d', $status, $n ) );
		}
		WP_CLI::line( sprintf( '%-11s %d', 'never', vcmp_untracked_video_count() ) );
	}
}

WP_CLI::add_command( 'vcmp', 'VCMP_CLI_Command' );
