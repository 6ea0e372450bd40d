# Shared by quickstart.sh, test.sh and .ci/run: install what the daemon and its tests need.
# Sourced, not run. Root installs Debian packages; anyone else is told the exact command.

ensure_ffmpeg() {
  if command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1; then return 0; fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "ffmpeg is missing. Install it with: sudo apt-get update && sudo apt-get install -y ffmpeg" >&2
    exit 1
  fi
  echo "Installing ffmpeg (Debian/Ubuntu package)…" >&2
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ffmpeg >/dev/null
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
