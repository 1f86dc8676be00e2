#!/usr/bin/env bash
# Fairness bench (issue 14): on PostgreSQL with one web process and one worker (real processes, loopback only),
# workspace A queues a deep backlog of no-op jobs through the API at a cap of 2 before the worker starts; once the
# worker drains it, workspace B submits 10. Prints B's wait to start and whether B finished before A's backlog drained.
# SQLite's claim follows the same rule and is covered by FairSchedulingTests on both databases.
# Usage: bench/fairness/run.sh [backlog=10000] [more options: --b-jobs 10 --cap 2 --concurrency 4 --keep]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BACKLOG=${1:-10000}
shift || true
[ -f "$ROOT/node_modules/s3rver/bin/s3rver.js" ] || { echo "s3rver is missing: npm install in $ROOT" >&2; exit 2; }
for p in src/Kiln.Web src/Kiln.Worker src/Kiln.Cli bench/Kiln.Bench.Chaos; do dotnet build "$ROOT/$p" -v quiet -nologo >/dev/null; done
cd "$ROOT"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u '+%F %H:%M') UTC; load $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet "$ROOT/bench/Kiln.Bench.Chaos/bin/Debug/net10.0/Kiln.Bench.Chaos.dll" --root "$ROOT" --scenario fairness --backlog "$BACKLOG" \
  --concurrency 4 --pdf /dev/null "$@"
