#!/usr/bin/env bash
# Runs the test suite, installing what it needs first (ffmpeg, nginx as Debian/Ubuntu packages, as root; npm dependencies).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_node
ensure_ffmpeg
ensure_nginx
ensure_chromium
ensure_wordpress
ensure_node_modules
npm test
