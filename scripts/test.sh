#!/usr/bin/env bash
# Runs the test suite (npm test: unit, integration and the CmsSource contract, in parallel), installing
# what it needs first: FFmpeg (a Debian/Ubuntu package, as root) and the npm dependencies. No root,
# nginx, WordPress, PM2 or Chromium needed: those tests are `npm run test:e2e` (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_node
ensure_ffmpeg
ensure_node_modules
npm test
