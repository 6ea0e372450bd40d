# Shared by quickstart.sh, test.sh and .ci/run: install what the daemon and its tests need.
# Sourced, not run. Root installs Debian packages; anyone else is told the exact command.

# apt-get install, refreshing the package lists once per run however many tools are missing.
apt_install() {
  if [ -z "${VC_APT_UPDATED:-}" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    VC_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_ffmpeg() {
  if command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1; then return 0; fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "ffmpeg is missing. Install it with: sudo apt-get update && sudo apt-get install -y ffmpeg" >&2
    exit 1
  fi
  echo "Installing ffmpeg (Debian/Ubuntu package)…" >&2
  apt_install ffmpeg
}

# nginx and openssl for test/e2e/nginx.test.ts: the shipped site under the Debian package, with a
# throwaway certificate. (On a machine with systemd, the package also starts its default site on :80.)
ensure_nginx() {
  if { command -v nginx || [ -x /usr/sbin/nginx ]; } >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1; then return 0; fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "nginx is missing (the nginx tests run it). Install it with: sudo apt-get update && sudo apt-get install -y --no-install-recommends nginx openssl" >&2
    exit 1
  fi
  echo "Installing nginx and openssl (Debian/Ubuntu packages)…" >&2
  apt_install nginx openssl
}

# Chromium for test/e2e/dashboard-browser.test.ts (driven by playwright-core; Debian's build plays
# H.264 through Media Source Extensions, which the dashboard's hls.js player needs).
ensure_chromium() {
  if [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then return 0; fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "chromium is missing (the dashboard test drives it). Install it with: sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium" >&2
    exit 1
  fi
  echo "Installing chromium (Debian/Ubuntu package)…" >&2
  apt_install chromium
}

# WordPress, PHP and MariaDB for test/e2e/wordpress-*.test.ts (scripts/wordpress-test-site.sh builds
# a throwaway site from them). Naming nginx and php-cgi keeps apt from pulling in apache2.
ensure_wordpress() {
  if [ -f /usr/share/wordpress/wp-load.php ] && command -v php >/dev/null 2>&1 && command -v php-cgi >/dev/null 2>&1 && command -v mariadb >/dev/null 2>&1; then return 0; fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "WordPress is missing (the WordPress tests run it). Install it with: sudo apt-get update && sudo apt-get install -y --no-install-recommends wordpress php php8.2-cgi php8.2-cli php8.2-mysql mariadb-server nginx" >&2
    exit 1
  fi
  echo "Installing WordPress, PHP and MariaDB (Debian packages)…" >&2
  apt_install wordpress php php8.2-cgi php8.2-cli php8.2-mysql mariadb-server nginx
}

ensure_node() {
  local major
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$major" -lt 20 ]; then
    echo "Node.js 20 or newer is required (found: $(node --version 2>/dev/null || echo none))." >&2
    exit 1
  fi
}

# npm ci only when node_modules is missing or older than the lock file (better-sqlite3 compiles).
ensure_node_modules() {
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

# --- PostgreSQL, for the shared-store tests (scripts/postgres-tests.sh, the chaos fleet scenario) ---
TEST_ROLE=vcmp_test

ensure_postgresql() {
  if command -v pg_ctlcluster >/dev/null 2>&1 && command -v pg_lsclusters >/dev/null 2>&1 && command -v psql >/dev/null 2>&1; then return 0; fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "PostgreSQL is missing. Install it with: sudo apt-get install -y postgresql (or set TEST_POSTGRES_URL)." >&2
    exit 1
  fi
  echo "Installing PostgreSQL (Debian package)…" >&2
  apt_install postgresql
}

# Starts the first cluster when it is down; prints its version, name and port.
ensure_cluster() {
  local version name port status
  read -r version name port status _ < <(pg_lsclusters --no-header | head -n 1) || true
  if [ -z "${version:-}" ]; then
    echo "No PostgreSQL cluster exists (pg_lsclusters is empty); create one with pg_createcluster." >&2
    exit 1
  fi
  if [ "$status" != "online" ]; then
    if [ "$(id -u)" -ne 0 ]; then
      echo "The PostgreSQL cluster $version/$name is $status. Start it with: sudo pg_ctlcluster $version $name start" >&2
      exit 1
    fi
    pg_ctlcluster "$version" "$name" start >&2
  fi
  echo "$version $name $port"
}

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

# The role and database of the tests, created once; the password is the role's name (a local test server only).
ensure_test_database() {
  local port=$1
  as_postgres psql -p "$port" -v ON_ERROR_STOP=1 -qtAc \
    "DO \$\$ BEGIN
       IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$TEST_ROLE') THEN
         CREATE ROLE $TEST_ROLE LOGIN PASSWORD '$TEST_ROLE';
       END IF;
     END \$\$;" >/dev/null
  if [ "$(as_postgres psql -p "$port" -qtAc "SELECT 1 FROM pg_database WHERE datname = '$TEST_ROLE'")" != "1" ]; then
    as_postgres createdb -p "$port" -O "$TEST_ROLE" "$TEST_ROLE"
  fi
}

# Points TEST_POSTGRES_URL at the machine's own server unless it is set: installs and starts it,
# creates the test role and database; as root, also TEST_POSTGRES_CLUSTER ("<version> <name>"),
# which the chaos fleet scenario restarts mid-run.
ensure_test_postgres() {
  if [ -n "${TEST_POSTGRES_URL:-}" ]; then return 0; fi
  ensure_postgresql
  local version name port
  read -r version name port < <(ensure_cluster)
  ensure_test_database "$port"
  export TEST_POSTGRES_URL="postgres://$TEST_ROLE:$TEST_ROLE@127.0.0.1:$port/$TEST_ROLE"
  if [ "$(id -u)" -eq 0 ]; then export TEST_POSTGRES_CLUSTER="$version $name"; fi
}
