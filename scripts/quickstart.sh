#!/usr/bin/env bash
# Starts the daemon on the embedded store, installing what it needs first:
# ffmpeg (Debian/Ubuntu package, as root), npm dependencies, the build, and a .env with a fresh API key.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_node
ensure_ffmpeg
ensure_node_modules
npm run --silent build
if [ ! -f .env ]; then
  key=$(node -e 'console.log(require("node:crypto").randomBytes(24).toString("hex"))')
  sed "s/^API_KEY=.*/API_KEY=${key}/" .env.example > .env
  chmod 600 .env
  echo "Created .env with a new API key (X-API-Key): ${key}"
fi
exec node dist/cli.js start
