<?php
/**
 * Minimal classic theme for the test site: the head, each post's content (with shortcodes and
 * the attachment's own player), the footer scripts.
 *
 * @package VideoCompressor
 */

?><!doctype html>
<html><head><meta charset="utf-8"><?php wp_head(); ?></head>
<body>
<?php
while ( have_posts() ) {
	the_post();
	echo '<article>';
	the_content();
	echo '</article>';
}
wp_footer();
?>
</body></html>
