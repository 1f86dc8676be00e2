#!/usr/bin/env bash
# What one /metrics scrape costs the database with many finished jobs: the kiln_jobs gauge's query before this change
# (every job, grouped by pipeline and status) and after it (queued and running jobs only, from the partial index
# ix_jobs_active_pipeline). A throwaway PostgreSQL 15 on a free port, the schema from `kiln migrate`, N finished jobs
# and 200 queued/running ones, then each query RUNS times with EXPLAIN ANALYZE; prints the median execution times.
# Usage: bench/scale/run.sh [finished_jobs=1000000] [runs=7]
set -euo pipefail
N=${1:-1000000}
RUNS=${2:-7}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
DIR=$(mktemp -d /tmp/kiln-bench-scale-XXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
AS=(); [ "$(id -u)" = 0 ] && { chown postgres "$DIR"; AS=(runuser -u postgres --); }
cleanup() { "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$DIR"; }
trap cleanup EXIT
"${AS[@]}" "$BIN/initdb" -D "$DIR/data" -U kiln --auth=trust -E UTF8 --no-sync >/dev/null
"${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
PSQL=("$BIN/psql" -h 127.0.0.1 -p "$PORT" -U kiln -d postgres -v ON_ERROR_STOP=1 -qAt)

[ -f "$ROOT/src/Kiln.Cli/bin/Debug/net10.0/kiln.dll" ] || dotnet build "$ROOT/src/Kiln.Cli" -v quiet -nologo >/dev/null
Kiln__Database__Provider=Postgres Kiln__Database__ConnectionString="Host=127.0.0.1;Port=$PORT;Username=kiln;Database=postgres" \
  dotnet "$ROOT/src/Kiln.Cli/bin/Debug/net10.0/kiln.dll" migrate >/dev/null

"${PSQL[@]}" <<SQL
INSERT INTO jobs (id, workspace_id, pipeline_id, options_json, inputs_json, status, priority, attempt, max_attempts, run_after,
  timeout_seconds, cancel_requested, progress_percent, cost_estimate, created_at)
SELECT gen_random_uuid(), gen_random_uuid(), (ARRAY['noop','pdf-podcast','pdf-audiobook','dubbing','study-notes'])[1 + g % 5], '{}', '[]',
  CASE WHEN g <= 200 THEN g % 2 ELSE 2 + g % 3 END, 0, 1, 3, now(), 60, false, 0, 1, now()
FROM generate_series(1, $N + 200) g;
VACUUM ANALYZE jobs;
SQL

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure() {
  for _ in $(seq "$RUNS"); do
    "${PSQL[@]}" -c "EXPLAIN (ANALYZE, FORMAT JSON) $1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Execution Time"])'
  done | median
}
BEFORE='SELECT pipeline_id, status, count(*) FROM jobs GROUP BY pipeline_id, status'
AFTER='SELECT pipeline_id, status, count(*) FROM jobs WHERE status < 2 GROUP BY pipeline_id, status'
echo "jobs: $N finished + 200 queued/running; $RUNS runs each; median execution time"
echo "before (all jobs):            $(measure "$BEFORE") ms"
echo "after  (ix_jobs_active_pipeline): $(measure "$AFTER") ms"
echo "plan after: $("${PSQL[@]}" -c "EXPLAIN $AFTER" | grep -o 'Index Only Scan using [a-z_]*\|Seq Scan on [a-z_]*' | head -1)"
