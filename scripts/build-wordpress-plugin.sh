#!/usr/bin/env bash
# Builds the WordPress plugin as users install it: copies hls.js and Plyr from node_modules (the
# versions package-lock.json pins; hls.js is the one the dashboard plays with) into
# wordpress/video-compressor/assets/, with their licences in assets/licenses/, then zips the plugin
# into dist/video-compressor-wordpress.zip for Plugins → Add New → Upload.
set -euo pipefail
cd "$(dirname "$0")/.."
ASSETS=wordpress/video-compressor/assets
# node_modules file → file in $ASSETS (kept in step with .gitignore, which ignores the copies).
COPIES=(
  hls.js/dist/hls.min.js:hls.min.js
  hls.js/LICENSE:licenses/hls.js-LICENSE
  plyr/dist/plyr.min.js:plyr.min.js
  plyr/dist/plyr.css:plyr.css
  plyr/dist/plyr.svg:plyr.svg
  plyr/LICENSE.md:licenses/plyr-LICENSE.md
)
for copy in "${COPIES[@]}"; do
  if [ ! -f "node_modules/${copy%%:*}" ]; then
    echo "node_modules/${copy%%:*} is missing: run npm ci first." >&2
    exit 1
  fi
done
mkdir -p "$ASSETS/licenses"
for copy in "${COPIES[@]}"; do
  cp "node_modules/${copy%%:*}" "$ASSETS/${copy#*:}"
done
# Which versions are bundled, under which licence (readme.txt points here).
node -e '
  const pkg = (name) => require("./node_modules/" + name + "/package.json");
  const line = (name) => `${name} ${pkg(name).version} (${pkg(name).license}), ${pkg(name).homepage ?? ""}`;
  console.log(["Bundled third-party libraries:", line("hls.js"), line("plyr")].join("\n"));
' > "$ASSETS/licenses/BUNDLED.txt"
[ "${1:-}" = "--no-zip" ] && exit 0
mkdir -p dist
rm -f dist/video-compressor-wordpress.zip
if command -v zip >/dev/null 2>&1; then
  (cd wordpress && zip -qr ../dist/video-compressor-wordpress.zip video-compressor)
else
  (cd wordpress && python3 -m zipfile -c ../dist/video-compressor-wordpress.zip video-compressor)
fi
echo "dist/video-compressor-wordpress.zip" >&2
