#!/usr/bin/env bash
# Runs the store test suite against PostgreSQL (test/postgres/*.test.ts).
# With TEST_POSTGRES_URL set, it uses that database (each test file works in its own schema).
# Without it, it uses the machine's own server: installs the Debian package when missing (as root),
# starts the cluster, creates the role and database vcmp_test (idempotent), and points the tests there.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
ensure_node
ensure_node_modules
ensure_test_postgres
exec node --import tsx --test --test-reporter=spec --test-concurrency=2 test/postgres/*.test.ts
