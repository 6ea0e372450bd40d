<?php
/**
 * The player: `[vc_video id=…]`, and the block editor's core Video block for an uploaded video,
 * both render a <video> that plays the HLS ladder with the bundled hls.js (natively where hls.js
 * cannot run, e.g. older iOS), dressed by the bundled Plyr with the poster and the storyboard's
 * thumbnails on the seek bar; until the ladder is ready, the original file plays instead.
 *
 * @package VideoCompressor
 */

defined( 'ABSPATH' ) || exit;

add_action(
	'wp_enqueue_scripts',
	function () {
		$base = plugins_url( 'assets/', VC_PLUGIN_FILE );
		// Bundled, never from a CDN: the site's visitors only ever load files of this site.
		// hls.min.js, plyr.min.js, plyr.css and plyr.svg are copied from node_modules by
		// scripts/build-wordpress-plugin.sh; their licences are in assets/licenses/.
		wp_register_style( 'vc-plyr', $base . 'plyr.css', array(), VC_PLUGIN_VERSION );
		wp_register_script( 'vc-hls', $base . 'hls.min.js', array(), VC_PLUGIN_VERSION, true );
		wp_register_script( 'vc-plyr', $base . 'plyr.min.js', array(), VC_PLUGIN_VERSION, true );
		wp_register_script( 'vc-player', $base . 'vc-player.js', array( 'vc-hls', 'vc-plyr' ), VC_PLUGIN_VERSION, true );
		// Plyr's defaults load its icons and a blank video from Plyr's CDN: vc-player.js is told
		// where the bundled icons are, and never uses a blank video.
		wp_add_inline_script(
			'vc-player',
			'var vcPlayer = ' . wp_json_encode( array( 'iconUrl' => $base . 'plyr.svg' ) ) . ';',
			'before'
		);
	}
);

/** The player's HTML for one attachment; '' when it is not a video. */
function vc_render_player( int $attachment_id, array $attrs = array() ): string {
	if ( 'attachment' !== get_post_type( $attachment_id ) || ! vc_is_video( $attachment_id ) ) {
		return '';
	}
	$original   = (string) wp_get_attachment_url( $attachment_id );
	$status     = (string) get_post_meta( $attachment_id, 'vc_status', true );
	$hls        = (string) get_post_meta( $attachment_id, 'vc_hls_url', true );
	$poster     = (string) get_post_meta( $attachment_id, 'vc_poster_url', true );
	$storyboard = (string) get_post_meta( $attachment_id, 'vc_storyboard_url', true );
	$class      = trim( 'vc-video ' . ( $attrs['class'] ?? '' ) );
	$ready      = 'completed' === $status && '' !== $hls;
	$common     = sprintf(
		'class="%s" controls playsinline preload="%s" data-vc-id="%d" data-vc-status="%s"',
		esc_attr( $class ),
		// The ladder's <source>s load nothing before vc-player.js has chosen how to play them.
		$ready ? 'none' : 'metadata',
		$attachment_id,
		esc_attr( '' === $status ? 'none' : $status )
	);
	if ( ! $ready ) {
		// Not transcoded yet (or failed): the original upload still plays.
		return sprintf( '<video %s src="%s"></video>', $common, esc_url( $original ) );
	}
	wp_enqueue_style( 'vc-plyr' );
	wp_enqueue_script( 'vc-player' );
	// The <source> children serve browsers without JavaScript (HLS where it plays natively, else
	// the original upload); vc-player.js removes them and attaches hls.js and Plyr instead.
	return sprintf(
		'<video %s data-vc-hls="%s" data-vc-fallback="%s"%s%s><source src="%s" type="application/vnd.apple.mpegurl"><source src="%s"></video>',
		$common,
		esc_url( $hls ),
		esc_url( $original ),
		'' === $poster ? '' : ' poster="' . esc_url( $poster ) . '"',
		'' === $storyboard ? '' : ' data-vc-storyboard="' . esc_url( $storyboard ) . '"',
		esc_url( $hls ),
		esc_url( $original )
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
