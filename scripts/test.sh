#!/usr/bin/env bash
# Runs the test suite, installing what it needs first (ffmpeg as a Debian/Ubuntu package, as root; npm dependencies).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_node
ensure_ffmpeg
ensure_node_modules
npm test
