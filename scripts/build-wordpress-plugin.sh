#!/usr/bin/env bash
# Builds the WordPress plugin as users install it: copies hls.js from node_modules (the version
# package-lock.json pins, the same the dashboard plays with) into wordpress/video-compressor/assets/,
# then zips the plugin into dist/video-compressor-wordpress.zip for Plugins → Add New → Upload.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/hls.js/dist/hls.min.js ]; then
  echo "node_modules/hls.js is missing: run npm ci first." >&2
  exit 1
fi
cp node_modules/hls.js/dist/hls.min.js wordpress/video-compressor/assets/hls.min.js
[ "${1:-}" = "--no-zip" ] && exit 0
mkdir -p dist
rm -f dist/video-compressor-wordpress.zip
if command -v zip >/dev/null 2>&1; then
  (cd wordpress && zip -qr ../dist/video-compressor-wordpress.zip video-compressor)
else
  (cd wordpress && python3 -m zipfile -c ../dist/video-compressor-wordpress.zip video-compressor)
fi
echo "dist/video-compressor-wordpress.zip" >&2
