#!/usr/bin/env bash
# Live channel benchmark: one Kiln web process on a throwaway PostgreSQL 15 (pg_stat_statements loaded), no worker.
# Opens 0, 100 and 1,000 idle SSE streams (GET /api/events, and GET /api/jobs/{id}/events on a job that stays queued)
# and measures the database statements/s and transactions/s they cause, the web process's CPU and memory, and the delay
# from one job-event INSERT to its arrival on all 1,000 streams. Then restarts the web process with the old design
# (Kiln:Events:LegacyPollMilliseconds=500: every job stream polls the log and the job twice a second) for comparison.
# Usage: bench/events/run.sh [--repeats 3] [--window 10] [--legacy 100]   (about 2.5 minutes with the defaults, plus the build)
#        bench/events/run.sh --fanout-only --baseline DIR [--repeats 5]
#   --fanout-only: only the 1,000 /api/events streams with one fan-out event; --baseline DIR: also run them, alternating,
#   on another checkout's Kiln.Web (built with `dotnet build -c Release src/Kiln.Web`), e.g. the revision before a change.
# The warm-up is 11 s because an idle PostgreSQL 15 backend flushes its statistics only after 10 s: a shorter one would
# count the streams' own connection set-up (authentication, starting point) in pg_stat_database's window.
# Environment: PGBIN (default: newest /usr/lib/postgresql/*/bin), KEEP_CLUSTER=1 to keep the cluster.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PGBIN="${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}"
REPEATS=1; WINDOW=10; LEGACY=100; BASELINE=""; FANOUT_ONLY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --repeats) REPEATS="$2"; shift 2 ;;
    --baseline) BASELINE="$(cd "$2" && pwd)"; shift 2 ;;
    --fanout-only) FANOUT_ONLY=1; shift ;;
    --window) WINDOW="$2"; shift 2 ;;
    --legacy) LEGACY="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
DIR="$(mktemp -d /tmp/kiln-bench-events.XXXXXX)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PGPORT="$(free_port)"; WEBPORT="$(free_port)"
AS=()
if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$DIR"; AS=(runuser -u postgres --); fi
WEBPID=""
cleanup() {
  [ -n "$WEBPID" ] && kill "$WEBPID" 2>/dev/null && wait "$WEBPID" 2>/dev/null || true
  "${AS[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
  [ "${KEEP_CLUSTER:-0}" = 1 ] || rm -rf "$DIR"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

"${AS[@]}" "$PGBIN/initdb" -D "$DIR/data" -U kiln --auth=trust -E UTF8 >/dev/null
"${AS[@]}" "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/log.txt" -w -t 60 \
  -o "-p $PGPORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_preload_libraries=pg_stat_statements" start >/dev/null
PSQL="$PGBIN/psql -h 127.0.0.1 -p $PGPORT -U kiln -d kiln"
"$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U kiln kiln
$PSQL -XAtq -c "CREATE EXTENSION pg_stat_statements"
echo "# PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on port $PGPORT; web on $WEBPORT; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

dotnet build -c Release "$ROOT/src/Kiln.Web/Kiln.Web.csproj" -v q -nologo >&2
start_web() { # legacy-poll-ms [checkout]
  local dll="${2:-$ROOT}/src/Kiln.Web/bin/Release/net10.0/Kiln.Web.dll"
  Kiln__Database__Provider=Postgres \
  Kiln__Database__ConnectionString="Host=127.0.0.1;Port=$PGPORT;Username=kiln;Database=kiln;Maximum Pool Size=100" \
  Kiln__Database__MigrateOnStartup=true Kiln__Worker__Enabled=false Kiln__Pipelines__Diagnostics=true \
  Kiln__Storage__LocalPath="$DIR/blobs" Kiln__RateLimit__PermitsPerMinute=1000000 \
  Kiln__Events__LegacyPollMilliseconds="$1" Logging__LogLevel__Default=Warning ASPNETCORE_URLS="http://127.0.0.1:$WEBPORT" \
  dotnet "$dll" >"$DIR/web.log" 2>&1 &
  WEBPID=$!
  for _ in $(seq 1 120); do curl -fs "http://127.0.0.1:$WEBPORT/health/live" >/dev/null 2>&1 && return; sleep 0.5; done
  echo "web did not start" >&2; cat "$DIR/web.log" >&2; exit 1
}
stop_web() { kill "$WEBPID"; wait "$WEBPID" 2>/dev/null || true; WEBPID=""; }

start_web 0
BASE="http://127.0.0.1:$WEBPORT"
curl -fs -X POST "$BASE/api/auth/register" -H 'Content-Type: application/json' -d '{"email":"bench@example.com","password":"correct horse battery"}' >/dev/null
TOKEN="$(curl -fs -X POST "$BASE/api/auth/login" -H 'Content-Type: application/json' -d '{"email":"bench@example.com","password":"correct horse battery"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])')"
KEY="$(curl -fs -X POST "$BASE/api/api-keys" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"name":"bench"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')"
JOB="$(curl -fs -X POST "$BASE/api/jobs" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d '{"pipeline":"noop"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
WS="$(curl -fs "$BASE/api/me" -H "Authorization: Bearer $KEY" | python3 -c 'import json,sys; print(json.load(sys.stdin)["workspaceId"])')"
echo "# job $JOB stays queued (no worker); workspace $WS" >&2

run() { # label path streams [fanout]
  local extra=()
  [ "${4:-}" = fanout ] && extra=(--fanout-job "$JOB" --workspace "$WS")
  for r in $(seq 1 "$REPEATS"); do
    printf '%s\t' "$1"
    python3 "$ROOT/bench/events/streams.py" --port "$WEBPORT" --path "$2" --key "$KEY" --streams "$3" --window "$WINDOW" --warmup 11 \
      --psql "$PSQL" --web-pid "$WEBPID" "${extra[@]}"
  done
}
if [ "$FANOUT_ONLY" = 1 ]; then
  # The same 1,000 streams of one workspace and one event, this tree and the baseline taking turns (one web process at a time).
  stop_web
  R="$REPEATS"; REPEATS=1
  for _ in $(seq 1 "$R"); do
    start_web 0; run "this tree: 1,000 /api/events" "/api/events" 1000 fanout; stop_web
    if [ -n "$BASELINE" ]; then start_web 0 "$BASELINE"; run "baseline: 1,000 /api/events" "/api/events" 1000 fanout; stop_web; fi
  done
  exit 0
fi
run "idle, no streams" "/api/events" 0
run "notifier /api/events" "/api/events" 100
run "notifier /api/events" "/api/events" 1000 fanout
run "notifier /api/jobs/{id}/events" "/api/jobs/$JOB/events" 1000 fanout
stop_web
start_web 500
run "legacy 500 ms poll /api/jobs/{id}/events" "/api/jobs/$JOB/events" "$LEGACY" fanout
stop_web
$PSQL -XAtq -c "SELECT 'top statements: ' || string_agg(calls || ' × ' || left(regexp_replace(query, '\s+', ' ', 'g'), 90), ' | ') FROM (SELECT calls, query FROM pg_stat_statements ORDER BY calls DESC LIMIT 4) s" >&2
