<?php
/**
 * Router for `php -S` serving Debian's WordPress package (tests and local development only):
 * /wp-content/* comes from /var/lib/wordpress (where Debian keeps uploads, plugins and themes),
 * existing core files are served or run as they are, everything else goes to index.php.
 */
$vc_path = rawurldecode( (string) parse_url( $_SERVER['REQUEST_URI'], PHP_URL_PATH ) );
if ( str_starts_with( $vc_path, '/wp-content/' ) ) {
	$vc_root = '/var/lib/wordpress/wp-content/';
	$vc_file = realpath( '/var/lib/wordpress' . $vc_path );
	if ( false === $vc_file || ! str_starts_with( $vc_file, $vc_root ) || ! is_file( $vc_file ) || str_ends_with( $vc_file, '.php' ) ) {
		http_response_code( 404 );
		return true;
	}
	$vc_types = array(
		'mp4'  => 'video/mp4',
		'webm' => 'video/webm',
		'mov'  => 'video/quicktime',
		'js'   => 'text/javascript',
		'css'  => 'text/css',
		'png'  => 'image/png',
		'jpg'  => 'image/jpeg',
		'txt'  => 'text/plain',
	);
	$vc_ext = strtolower( pathinfo( $vc_file, PATHINFO_EXTENSION ) );
	header( 'Content-Type: ' . ( $vc_types[ $vc_ext ] ?? 'application/octet-stream' ) );
	header( 'Content-Length: ' . filesize( $vc_file ) );
	readfile( $vc_file );
	return true;
}
if ( '/' !== $vc_path && file_exists( '/usr/share/wordpress' . $vc_path ) ) {
	return false;
}
$_SERVER['SCRIPT_NAME'] = '/index.php';
$_SERVER['PHP_SELF']    = '/index.php';
require '/usr/share/wordpress/index.php';
