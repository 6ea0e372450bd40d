<?php
/**
 * The player: `[vc_video id=…]`, and the block editor's core Video block for an uploaded video,
 * both render a <video> that plays the HLS ladder with the bundled hls.js (Safari plays it
 * natively) and the poster; until the ladder is ready, the original file plays instead.
 *
 * @package VideoCompressor
 */

defined( 'ABSPATH' ) || exit;

add_action(
	'wp_enqueue_scripts',
	function () {
		$base = plugins_url( 'assets/', VC_PLUGIN_FILE );
		// Bundled, never from a CDN: the site's visitors only ever load files of this site.
		wp_register_script( 'vc-hls', $base . 'hls.min.js', array(), VC_PLUGIN_VERSION, true );
		wp_register_script( 'vc-player', $base . 'vc-player.js', array( 'vc-hls' ), VC_PLUGIN_VERSION, true );
	}
);

/** The player's HTML for one attachment; '' when it is not a video. */
function vc_render_player( int $attachment_id, array $attrs = array() ): string {
	if ( 'attachment' !== get_post_type( $attachment_id ) || ! vc_is_video( $attachment_id ) ) {
		return '';
	}
	$original = (string) wp_get_attachment_url( $attachment_id );
	$status   = (string) get_post_meta( $attachment_id, 'vc_status', true );
	$hls      = (string) get_post_meta( $attachment_id, 'vc_hls_url', true );
	$poster   = (string) get_post_meta( $attachment_id, 'vc_poster_url', true );
	$class    = trim( 'vc-video ' . ( $attrs['class'] ?? '' ) );
	$common   = sprintf(
		'class="%s" controls playsinline preload="metadata" data-vc-id="%d" data-vc-status="%s"',
		esc_attr( $class ),
		$attachment_id,
		esc_attr( '' === $status ? 'none' : $status )
	);
	if ( 'completed' !== $status || '' === $hls ) {
		// Not transcoded yet (or failed): the original upload still plays.
		return sprintf( '<video %s src="%s"></video>', $common, esc_url( $original ) );
	}
	wp_enqueue_script( 'vc-player' );
	return sprintf(
		'<video %s data-vc-hls="%s" data-vc-fallback="%s"%s></video>',
		$common,
		esc_url( $hls ),
		esc_url( $original ),
		'' === $poster ? '' : ' poster="' . esc_url( $poster ) . '"'
	);
}

add_shortcode(
	'vc_video',
	function ( $atts ) {
		$atts = shortcode_atts(
			array(
				'id'    => 0,
				'class' => '',
			),
			$atts,
			'vc_video'
		);
		return vc_render_player( (int) $atts['id'], array( 'class' => (string) $atts['class'] ) );
	}
);

/**
 * Editors keep using the block editor's own Video block: when it shows a video of the media
 * library, its front-end output becomes our player (the figure and caption stay).
 */
add_filter(
	'render_block_core/video',
	function ( string $content, array $block ) {
		$id = (int) ( $block['attrs']['id'] ?? 0 );
		if ( $id <= 0 ) {
			return $content;
		}
		$player = vc_render_player( $id );
		if ( '' === $player ) {
			return $content;
		}
		$replaced = preg_replace( '#<video\b[^>]*>.*?</video>#s', $player, $content, 1 );
		return is_string( $replaced ) ? $replaced : $content;
	},
	10,
	2
);
