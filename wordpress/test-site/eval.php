<?php
/**
 * Runs PHP read from standard input inside the test site (what a site owner's code, a cron job or
 * WP-CLI would run), for the tests: `php eval.php [--cli] < code.php`. The code's output is printed.
 *
 * With --cli, WP-CLI's entry points used by the plugin's command (add_command, success, error,
 * line) are provided before WordPress loads, so the plugin registers `wp vcmp` as under WP-CLI
 * (which Debian does not package); the code then calls vcmp_test_cli( 'queue', [], [ 'all' => true ] ).
 *
 * @package VideoCompressor
 */

$_SERVER['HTTP_HOST']   = '127.0.0.1';
$_SERVER['SERVER_NAME'] = '127.0.0.1';
$_SERVER['REQUEST_URI'] = '/';

if ( in_array( '--cli', $argv, true ) ) {
	define( 'WP_CLI', true );
	// phpcs:disable Generic.Files.OneObjectStructurePerFile
	/** The part of WP-CLI's API the plugin's command uses. */
	class WP_CLI {
		/** @var array<string, string> */
		public static array $commands = array();
		public static function add_command( string $name, string $class_name ): void {
			self::$commands[ $name ] = $class_name;
		}
		public static function success( string $message ): void {
			echo 'Success: ', $message, "\n";
		}
		public static function line( string $message ): void {
			echo $message, "\n";
		}
		public static function error( string $message ): void {
			echo 'Error: ', $message, "\n";
			exit( 1 );
		}
	}
	/** Runs `wp <command> <sub>` as WP-CLI would: a method of the registered class. */
	function vcmp_test_cli( string $sub, array $args, array $assoc_args, string $command = 'vcmp' ): void {
		$class = WP_CLI::$commands[ $command ] ?? null;
		if ( null === $class ) {
			WP_CLI::error( "'$command' is not a registered wp command." );
		}
		( new $class() )->$sub( $args, $assoc_args );
	}
}

require '/usr/share/wordpress/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';
require_once ABSPATH . 'wp-admin/includes/post.php';
eval( '?>' . stream_get_contents( STDIN ) ); // phpcs:ignore Squiz.PHP.Eval -- test harness.
