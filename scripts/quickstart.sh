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
  secret() { node -e "console.log(require('node:crypto').randomBytes($1).toString('hex'))"; }
  key=$(secret 24)
  password=$(secret 9)
  sed -e "s/^API_KEY=.*/API_KEY=${key}/" \
      -e "s/^ADMIN_PASSWORD=.*/ADMIN_PASSWORD=${password}/" \
      -e "s/^SESSION_SECRET=.*/SESSION_SECRET=$(secret 32)/" .env.example > .env
  chmod 600 .env
  echo "Created .env:"
  echo "  API key (X-API-Key header): ${key}"
  echo "  Dashboard: http://127.0.0.1:3000/admin  user: admin  password: ${password}"
fi
# The same Node flag as ecosystem.config.js's node_args (docs/operations.md, "Start with PM2").
exec node --optimize-for-size dist/cli.js start
