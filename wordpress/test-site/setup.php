<?php
/**
 * Builds the throwaway test site from the command line (no browser, no wp-cli), in two runs:
 *   php setup.php install <admin password>   wp_install() on the empty database
 *   php setup.php configure                  theme, plugin, users, Application Passwords
 * `configure` prints one JSON object: the users and their Application Passwords.
 *
 * @package VideoCompressor
 */

$vc_mode             = $argv[1] ?? '';
$_SERVER['HTTP_HOST'] = '127.0.0.1';
$_SERVER['SERVER_NAME'] = '127.0.0.1';
$_SERVER['REQUEST_URI'] = '/';

if ( 'install' === $vc_mode ) {
	define( 'WP_INSTALLING', true );
	// Pluggable: defined first, so installing sends no mail.
	function wp_new_blog_notification() {}
	require '/usr/share/wordpress/wp-load.php';
	require ABSPATH . 'wp-admin/includes/upgrade.php';
	$vc_result = wp_install( 'Video Compressor test site', 'vc-admin', 'vc-admin@example.com', false, '', $argv[2] ?? wp_generate_password() );
	if ( empty( $vc_result['user_id'] ) ) {
		fwrite( STDERR, "wp_install failed\n" );
		exit( 1 );
	}
	exit( 0 );
}

if ( 'configure' !== $vc_mode ) {
	fwrite( STDERR, "usage: php setup.php install <password> | configure\n" );
	exit( 2 );
}

require '/usr/share/wordpress/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';
update_option( 'permalink_structure', '/%postname%/' );
switch_theme( 'vc-test' );
$vc_activated = activate_plugin( 'video-compressor/video-compressor.php' );
if ( is_wp_error( $vc_activated ) ) {
	fwrite( STDERR, 'activating the plugin failed: ' . $vc_activated->get_error_message() . "\n" );
	exit( 1 );
}
$vc_users = array();
foreach ( array( 'admin' => 'administrator', 'editor' => 'editor', 'author' => 'author', 'subscriber' => 'subscriber' ) as $vc_key => $vc_role ) {
	$vc_login = 'vc-' . $vc_key;
	// For wp-login.php (the admin screens); Application Passwords only work for the REST API.
	$vc_pass = wp_generate_password( 24, false );
	$vc_user  = get_user_by( 'login', $vc_login );
	$vc_id    = $vc_user ? $vc_user->ID : wp_insert_user(
		array(
			'user_login' => $vc_login,
			'user_pass'  => $vc_pass,
			'user_email' => $vc_login . '@example.com',
			'role'       => $vc_role,
		)
	);
	if ( is_wp_error( $vc_id ) ) {
		fwrite( STDERR, 'creating ' . $vc_login . ' failed: ' . $vc_id->get_error_message() . "\n" );
		exit( 1 );
	}
	$vc_created = WP_Application_Passwords::create_new_application_password( $vc_id, array( 'name' => 'video-compressor' ) );
	if ( is_wp_error( $vc_created ) ) {
		fwrite( STDERR, 'creating an Application Password failed: ' . $vc_created->get_error_message() . "\n" );
		exit( 1 );
	}
	if ( $vc_user ) {
		wp_set_password( $vc_pass, $vc_user->ID );
	}
	$vc_users[ $vc_key ] = array(
		'user'     => $vc_login,
		'password' => $vc_created[0],
		'login'    => $vc_pass,
	);
}
echo wp_json_encode( $vc_users ), "\n";
