#!/usr/bin/env bash
# npm run test:chaos: the chaos scenarios (docs/reliability.md), in two groups at once to fit CI's
# time: the memory scenario (CPU-bound, judged by RSS only) and the PostgreSQL fleet (which
# restarts the machine's PostgreSQL, used by nothing else here) beside the others, which run one at
# a time. Each group's output is printed whole; the summary table is built from the rows every
# scenario records.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
ensure_test_postgres || exit 1
npm run build >/dev/null || exit 1
rm -rf test/chaos/artifacts
mkdir -p test/chaos/artifacts
run() { node --import tsx --test --test-reporter=spec --test-concurrency=1 "$@"; }
side=(test/chaos/memory.test.ts test/chaos/postgres-fleet.test.ts)
main=()
for file in test/chaos/*.test.ts; do
  [[ " ${side[*]} " == *" $file "* ]] || main+=("$file")
done
run "${side[@]}" > test/chaos/artifacts/side.log 2>&1 &
side_pid=$!
run "${main[@]}"
code=$?
wait "$side_pid" || code=1
cat test/chaos/artifacts/side.log
npx tsx scripts/chaos-summary.ts || code=1
exit $code
