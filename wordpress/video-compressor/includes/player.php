<?php
/**
 * The player. Editors keep using WordPress's own Video block and [video] shortcode (or
 * `[vcmp_video id=…]`): once a video's ladder is ready, its <video> is changed in place, keeping
 * every attribute (autoplay, loop, muted, preload, poster…) and child (<track> captions): the
 * original file moves into a <source> (the ladder's master playlist before it, for browsers that
 * play HLS natively without JavaScript), and data attributes tell vcmp-player.js to play the
 * ladder with the bundled hls.js (wherever Media Source Extensions exist; native HLS only where
 * they do not, as on older iPhones), dressed by the bundled Plyr with the storyboard's thumbnails.
 * Until then, and in feeds, the original file plays as before.
 *
 * @package VideoCompressor
 */

defined( 'ABSPATH' ) || exit;

add_action( 'wp_enqueue_scripts', 'vcmp_register_player_assets' );

/** Bundled, never from a CDN: visitors only ever load files of this site. */
function vcmp_register_player_assets(): void {
	$base = plugins_url( 'assets/', VCMP_PLUGIN_FILE );
	// hls.min.js, plyr.min.js, plyr.css and plyr.svg are copied from node_modules by
	// scripts/build-wordpress-plugin.sh; their licences are in assets/licenses/.
	wp_register_style( 'vcmp-plyr', $base . 'plyr.css', array(), VCMP_PLUGIN_VERSION );
	wp_register_script( 'vcmp-hls', $base . 'hls.min.js', array(), VCMP_PLUGIN_VERSION, true );
	wp_register_script( 'vcmp-plyr', $base . 'plyr.min.js', array(), VCMP_PLUGIN_VERSION, true );
	wp_register_script( 'vcmp-player', $base . 'vcmp-player.js', array( 'vcmp-hls', 'vcmp-plyr' ), VCMP_PLUGIN_VERSION, true );
	// Plyr's defaults load its icons and a blank video from Plyr's CDN: vcmp-player.js is told
	// where the bundled icons are, and never uses a blank video.
	wp_add_inline_script( 'vcmp-player', 'var vcmpPlayer = ' . wp_json_encode( array( 'iconUrl' => $base . 'plyr.svg' ) ) . ';', 'before' );
}

/**
 * The ladder of a video whose HLS is ready; null otherwise (not a video, not done, failed).
 *
 * @return array{id: int, hls: string, original: string, poster: string, storyboard: string, width: int, height: int}|null
 */
function vcmp_ready_ladder( int $attachment_id ): ?array {
	if ( ! vcmp_is_video( $attachment_id ) || 'completed' !== get_post_meta( $attachment_id, 'vcmp_status', true ) ) {
		return null;
	}
	$hls = (string) get_post_meta( $attachment_id, 'vcmp_hls_url', true );
	if ( '' === $hls ) {
		return null;
	}
	return array(
		'id'         => $attachment_id,
		'hls'        => $hls,
		'original'   => (string) wp_get_attachment_url( $attachment_id ),
		'poster'     => (string) get_post_meta( $attachment_id, 'vcmp_poster_url', true ),
		'storyboard' => (string) get_post_meta( $attachment_id, 'vcmp_storyboard_url', true ),
		'width'      => (int) get_post_meta( $attachment_id, 'vcmp_width', true ),
		'height'     => (int) get_post_meta( $attachment_id, 'vcmp_height', true ),
	);
}

/**
 * Turns the first <video> of `$html` into the ladder's player; `$html` unchanged when the video
 * is not ready, in feeds (readers get the original file), or when there is no <video>. Only the
 * opening tag changes (parsed by core's wp_kses_hair(): WordPress 6.1, Debian's, has no
 * WP_HTML_Tag_Processor), and the <source>s inside, which ours replace; <track>s stay.
 */
function vcmp_upgrade_video_html( string $html, int $attachment_id ): string {
	$ladder = is_feed() ? null : vcmp_ready_ladder( $attachment_id );
	if ( null === $ladder || ! preg_match( '#<video\b([^>]*)>#i', $html, $open, PREG_OFFSET_CAPTURE ) ) {
		return $html;
	}
	$attrs    = vcmp_parse_attributes( rtrim( $open[1][0], '/ ' ) );
	$original = isset( $attrs['src'] ) && true !== $attrs['src'] ? html_entity_decode( $attrs['src'] ) : $ladder['original'];
	$attrs    = vcmp_player_attributes( $attrs, $ladder );
	$start    = $open[0][1] + strlen( $open[0][0] );
	$end      = stripos( $html, '</video>', $start );
	$inner    = false === $end ? '' : substr( $html, $start, $end - $start );
	// Core's [video] output lists the original as <source type="video/mp4" src="…?_=1">: ours replace them.
	$inner   = (string) preg_replace( '#<source\b[^>]*>\s*(</source>)?#i', '', $inner );
	$sources = sprintf(
		'<source src="%s" type="application/vnd.apple.mpegurl"><source src="%s">',
		esc_url( $ladder['hls'] ),
		esc_url( $original )
	);
	wp_enqueue_style( 'vcmp-plyr' );
	wp_enqueue_script( 'vcmp-player' );
	$tail = false === $end ? substr( $html, $start ) : substr( $html, $end );
	return substr( $html, 0, $open[0][1] ) . '<video' . vcmp_render_attributes( $attrs ) . '>' . $sources . $inner . $tail;
}

/**
 * The attributes of an opening tag: name => raw (still escaped) value, or true for a bare one.
 *
 * @param string $attributes What follows the tag name.
 * @return array<string, string|true>
 */
function vcmp_parse_attributes( string $attributes ): array {
	$parsed = array();
	foreach ( wp_kses_hair( $attributes, wp_allowed_protocols() ) as $name => $attr ) {
		$parsed[ strtolower( $name ) ] = 'y' === $attr['vless'] ? true : $attr['value'];
	}
	return $parsed;
}

/**
 * Renders attributes parsed by vcmp_parse_attributes() (values already escaped).
 *
 * @param array<string, string|true> $attrs The attributes.
 */
function vcmp_render_attributes( array $attrs ): string {
	$html = '';
	foreach ( $attrs as $name => $value ) {
		$html .= true === $value ? " $name" : sprintf( ' %s="%s"', $name, str_replace( '"', '&quot;', $value ) );
	}
	return $html;
}

/**
 * The editor's attributes (controls, autoplay, loop, muted, poster, class…) with the player's: the
 * original `src` becomes a <source>, the ladder's data for vcmp-player.js, the poster and the size
 * from the record where the editor set none.
 *
 * @param array<string, string|true> $attrs  The <video>'s attributes.
 * @param array                      $ladder The ready ladder (vcmp_ready_ladder()).
 * @return array<string, string|true>
 */
function vcmp_player_attributes( array $attrs, array $ladder ): array {
	unset( $attrs['src'] );
	$classes        = array_diff( preg_split( '/\s+/', is_string( $attrs['class'] ?? null ) ? $attrs['class'] : '', -1, PREG_SPLIT_NO_EMPTY ), array( 'wp-video-shortcode' ) );
	$attrs['class'] = esc_attr( implode( ' ', array_unique( array_merge( $classes, array( 'vcmp-video' ) ) ) ) );
	// MediaElement.js leaves the <video> alone without `wp-video-shortcode`; the <source>s load
	// nothing before vcmp-player.js has chosen, which then restores the editor's preload.
	$attrs['data-vcmp-preload'] = is_string( $attrs['preload'] ?? null ) ? $attrs['preload'] : 'metadata';
	$attrs['preload']           = 'none';
	$attrs['playsinline']       = true;
	$attrs['data-vcmp-id']      = (string) (int) ( $ladder['id'] ?? 0 );
	$attrs['data-vcmp-hls']     = esc_url( $ladder['hls'] );
	$attrs['data-vcmp-fallback'] = esc_url( $ladder['original'] );
	if ( '' !== $ladder['storyboard'] ) {
		$attrs['data-vcmp-storyboard'] = esc_url( $ladder['storyboard'] );
	}
	if ( '' !== $ladder['poster'] && ! isset( $attrs['poster'] ) ) {
		$attrs['poster'] = esc_url( $ladder['poster'] );
	}
	if ( $ladder['width'] > 0 && $ladder['height'] > 0 && ! isset( $attrs['width'] ) ) {
		// The page reserves the video's box before it loads: no layout shift.
		$attrs['width']  = (string) $ladder['width'];
		$attrs['height'] = (string) $ladder['height'];
	}
	return $attrs;
}

add_filter( 'render_block_core/video', 'vcmp_render_video_block', 10, 2 );

/**
 * The Video block of a media-library video (the figure, caption and settings stay).
 *
 * @param string $content The block's HTML.
 * @param array  $block   The parsed block.
 */
function vcmp_render_video_block( string $content, array $block ): string {
	$id = (int) ( $block['attrs']['id'] ?? 0 );
	return $id > 0 ? vcmp_upgrade_video_html( $content, $id ) : $content;
}

add_filter( 'wp_video_shortcode', 'vcmp_render_video_shortcode', 10, 5 );

/**
 * Core's [video] shortcode of a media-library video: its output (size, loop, autoplay, preload,
 * class) becomes our player; MediaElement.js leaves it alone once `wp-video-shortcode` is gone.
 *
 * @param string $output  Core's HTML.
 * @param array  $atts    The shortcode's attributes.
 * @param string $video   Unused.
 * @param int    $post_id The post the shortcode is in.
 * @param string $library The media library core uses.
 */
function vcmp_render_video_shortcode( string $output, array $atts, $video, $post_id, $library ): string {
	$src = (string) ( $atts['src'] ?? '' );
	foreach ( wp_get_video_extensions() as $ext ) {
		$src = '' !== $src ? $src : (string) ( $atts[ $ext ] ?? '' );
	}
	$id = '' === $src ? 0 : attachment_url_to_postid( strtok( $src, '?' ) );
	return $id > 0 ? vcmp_upgrade_video_html( $output, $id ) : $output;
}

add_action( 'init', 'vcmp_register_shortcodes', 20 );

/**
 * `[vcmp_video id=…]`; `[vc_video]` of 1.x too, unless WPBakery Page Builder (whose own
 * `[vc_video]` it is) is active.
 */
function vcmp_register_shortcodes(): void {
	add_shortcode( 'vcmp_video', 'vcmp_video_shortcode' );
	if ( ! defined( 'WPB_VC_VERSION' ) && ! shortcode_exists( 'vc_video' ) ) {
		add_shortcode( 'vc_video', 'vcmp_video_shortcode' );
	}
}

/**
 * `[vcmp_video id=… class=…]`: the video's player, or the original file until it is ready.
 *
 * @param array|string $atts The shortcode's attributes.
 */
function vcmp_video_shortcode( $atts ): string {
	$atts = shortcode_atts(
		array(
			'id'    => 0,
			'class' => '',
		),
		$atts,
		'vcmp_video'
	);
	$id   = (int) $atts['id'];
	if ( ! vcmp_is_video( $id ) ) {
		return '';
	}
	$status = (string) get_post_meta( $id, 'vcmp_status', true );
	$html   = sprintf(
		'<video class="%s" controls playsinline preload="metadata" src="%s" data-vcmp-status="%s"></video>',
		esc_attr( trim( 'vcmp-video ' . $atts['class'] ) ),
		esc_url( (string) wp_get_attachment_url( $id ) ),
		esc_attr( '' === $status ? 'none' : $status )
	);
	return vcmp_upgrade_video_html( $html, $id );
}
