#!/usr/bin/env bash
# A throwaway WordPress on 127.0.0.1 with our plugin active, for the tests and for trying the
# plugin locally. Root only (Debian packages, MariaDB). Never on a machine whose WordPress or
# MariaDB you care about: it replaces the database vc_wp_test and /etc/wordpress/config-127.0.0.1.php.
#
#   scripts/wordpress-test-site.sh setup PORT   install if needed, build the site, print JSON
#                                              {url, docroot, router, admin, editor, author, subscriber}
#   scripts/wordpress-test-site.sh serve PORT   serve it in the foreground (php -S, 4 workers)
#   scripts/wordpress-test-site.sh PORT         both
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

WP_CONTENT=/var/lib/wordpress/wp-content

# The plugin as users install it (hls.js, Plyr and their licences copied in from node_modules),
# and the test theme.
build_plugin() {
  scripts/build-wordpress-plugin.sh --no-zip
  rm -rf "$WP_CONTENT/plugins/video-compressor" "$WP_CONTENT/themes/vc-test"
  # Must-use plugins a test left behind (it writes them to reach inside a request) go too.
  rm -f "$WP_CONTENT"/mu-plugins/vcmp-test-*.php
  cp -r wordpress/video-compressor "$WP_CONTENT/plugins/video-compressor"
  cp -r wordpress/test-site/theme "$WP_CONTENT/themes/vc-test"
}

write_config() {
  local port=$1 db_password=$2 salts
  salts=$(php -r 'foreach (["AUTH_KEY","SECURE_AUTH_KEY","LOGGED_IN_KEY","NONCE_KEY","AUTH_SALT","SECURE_AUTH_SALT","LOGGED_IN_SALT","NONCE_SALT"] as $k) printf("define(%s, %s);\n", var_export($k, true), var_export(bin2hex(random_bytes(32)), true));')
  cat > /etc/wordpress/config-127.0.0.1.php <<PHP
<?php
// Written by scripts/wordpress-test-site.sh: a throwaway test site.
define('DB_NAME', 'vc_wp_test');
define('DB_USER', 'vc_wp_test');
define('DB_PASSWORD', '$db_password');
define('DB_HOST', 'localhost');
define('WP_HOME', 'http://127.0.0.1:$port');
define('WP_SITEURL', 'http://127.0.0.1:$port');
// Application Passwords work over plain HTTP only on a "local" site.
define('WP_ENVIRONMENT_TYPE', 'local');
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
$salts
PHP
}

setup() {
  local port=$1 started db_password
  started=$(date +%s.%N)
  if [ "$(id -u)" -ne 0 ]; then
    echo "The WordPress test site needs root (Debian packages, MariaDB)." >&2
    exit 1
  fi
  ensure_wordpress
  service mariadb start >/dev/null 2>&1 || service mariadb restart >/dev/null
  db_password=$(php -r 'echo bin2hex(random_bytes(16));')
  mariadb <<SQL
DROP DATABASE IF EXISTS vc_wp_test;
CREATE DATABASE vc_wp_test CHARACTER SET utf8mb4;
CREATE OR REPLACE USER 'vc_wp_test'@'localhost' IDENTIFIED BY '$db_password';
GRANT ALL ON vc_wp_test.* TO 'vc_wp_test'@'localhost';
SQL
  write_config "$port" "$db_password"
  build_plugin
  php wordpress/test-site/setup.php install "$(php -r 'echo bin2hex(random_bytes(12));')"
  local users
  users=$(php wordpress/test-site/setup.php configure)
  php -r '$u = json_decode($argv[1], true); echo json_encode($u + ["url" => $argv[2], "docroot" => "/usr/share/wordpress", "router" => $argv[3], "setupSeconds" => round(microtime(true) - (float) $argv[4], 1)]), "\n";' \
    "$users" "http://127.0.0.1:$port" "$PWD/wordpress/test-site/router.php" "$started"
}

serve() {
  PHP_CLI_SERVER_WORKERS=4 exec php -S "127.0.0.1:$1" -t /usr/share/wordpress wordpress/test-site/router.php
}

case "${1:-}" in
  setup) setup "${2:?port}" ;;
  serve) serve "${2:?port}" ;;
  [0-9]*) setup "$1" && echo "Serving http://127.0.0.1:$1 (Ctrl-C stops)" >&2 && serve "$1" ;;
  *) echo "usage: $0 setup PORT | serve PORT | PORT" >&2; exit 2 ;;
esac
