#!/usr/bin/env bash
# Status API benchmark (issue 14): wrk with 64 connections against a bare ASP.NET Core minimal API built in the same run
# (bench/status-api/Bare) and against Kiln (Release, Production environment) on SQLite and then on a throwaway
# PostgreSQL 15 cluster: GET /health/live (anonymous), GET /api/me (a bearer access token from sign-in) and
# GET /api/jobs/{id} (an API key). Prints req/s, p50, p99 and the ratio to the bare endpoint of the same round.
# Usage: bench/status-api/run.sh [--seconds 15] [--repeats 3] [--connections 64] [--threads 2] [--db sqlite,postgres]
#        [--baseline DIR]   also run Kiln from another checkout (built with `dotnet build -c Release src/Kiln.Web`),
#                           alternating with this tree in every round, e.g. `git archive <rev>` of the revision before.
# Every row also gives the server's CPU per request: user + system ticks of its process (/proc/<pid>/stat) over the wrk
# run divided by the requests wrk counted — robust to other load on the machine, unlike req/s.
# Each Kiln process runs from its build directory with its embedded worker (the shipped default), the API rate limit raised out of the way
# (Kiln:RateLimit:PermitsPerMinute), the diagnostic `noop` pipeline on, and the default logging (Information: one request log line per request unless
# Kiln:Logging:RequestSampleRate says otherwise), its output to a file.
# Environment: PGBIN (default: newest /usr/lib/postgresql/*/bin), KEEP_DIR=1 to keep the scratch directory.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/bench/status-api"
PGBIN="${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}"
SECONDS_PER=15; REPEATS=3; CONNS=64; THREADS=2; DBS="sqlite,postgres"; BASELINE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_PER="$2"; shift 2 ;;
    --repeats) REPEATS="$2"; shift 2 ;;
    --connections) CONNS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --db) DBS="$2"; shift 2 ;;
    --baseline) BASELINE="$(cd "$2" && pwd)"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || apt-get install -y wrk >/dev/null
DIR="$(mktemp -d /tmp/kiln-bench-status.XXXXXX)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
AS=()
if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$DIR"; AS=(runuser -u postgres --); fi
PIDS=(); PGUP=0
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
  [ "$PGUP" = 1 ] && "${AS[@]}" "$PGBIN/pg_ctl" -D "$DIR/pg" -m fast -w stop >/dev/null 2>&1 || true
  [ "${KEEP_DIR:-0}" = 1 ] || rm -rf "$DIR"
}
trap cleanup EXIT
trap "exit 130" INT TERM
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

echo "# $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); wrk -t$THREADS -c$CONNS -d${SECONDS_PER}s, $REPEATS rounds; $(date -u +%FT%TZ)"
dotnet build -c Release "$ROOT/src/Kiln.Web/Kiln.Web.csproj" -v q -nologo >&2
dotnet build -c Release "$HERE/Bare/Kiln.Bench.Bare.csproj" -v q -nologo >&2

wait_up() { # url pid log
  for _ in $(seq 1 240); do
    curl -fs "$1" >/dev/null 2>&1 && return
    kill -0 "$2" 2>/dev/null || { echo "process exited" >&2; tail -50 "$3" >&2; exit 1; }
    sleep 0.5
  done
  echo "did not start: $1" >&2; tail -50 "$3" >&2; exit 1
}

BAREPORT="$(free_port)"
ASPNETCORE_URLS="http://127.0.0.1:$BAREPORT" DOTNET_ENVIRONMENT=Production \
  dotnet "$HERE/Bare/bin/Release/net10.0/Kiln.Bench.Bare.dll" >"$DIR/bare.log" 2>&1 &
BAREPID=$!; PIDS+=("$BAREPID")
wait_up "http://127.0.0.1:$BAREPORT/status" "$BAREPID" "$DIR/bare.log"

WEBPID=""; WEBPORT=""
start_kiln() { # db checkout name
  local dll="$2/src/Kiln.Web/bin/Release/net10.0/Kiln.Web.dll" conn provider
  WEBPORT="$(free_port)"
  mkdir -p "$DIR/$3"
  if [ "$1" = postgres ]; then provider=Postgres; conn="Host=127.0.0.1;Port=$PGPORT;Username=kiln;Database=kiln_$3;Maximum Pool Size=100"
  else provider=Sqlite; conn="Data Source=$DIR/$3/kiln.db"; fi
  # From the build's own directory, as a deployment runs it, so its appsettings.json applies.
  (cd "$(dirname "$dll")" && ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production \
    Kiln__Database__Provider="$provider" Kiln__Database__ConnectionString="$conn" Kiln__Database__MigrateOnStartup=true \
    Kiln__Storage__LocalPath="$DIR/$3/blobs" Kiln__RateLimit__PermitsPerMinute=100000000 \
    Kiln__Pipelines__Diagnostics=true ASPNETCORE_URLS="http://127.0.0.1:$WEBPORT" exec dotnet "$dll" >"$DIR/$3/web.log" 2>&1) &
  WEBPID=$!; PIDS+=("$WEBPID")
  wait_up "http://127.0.0.1:$WEBPORT/health/live" "$WEBPID" "$DIR/$3/web.log"
}
stop_kiln() { kill "$WEBPID" 2>/dev/null; wait "$WEBPID" 2>/dev/null || true; WEBPID=""; }

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
setup_account() { # base -> TOKEN KEY JOB
  local base="$1" email="bench-$RANDOM@example.com"
  curl -fs -X POST "$base/api/auth/register" -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"correct horse battery\"}" >/dev/null
  TOKEN="$(curl -fs -X POST "$base/api/auth/login" -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"correct horse battery\"}" | json '["accessToken"]')"
  KEY="$(curl -fs -X POST "$base/api/api-keys" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"name":"bench"}' | json '["key"]')"
  JOB="$(curl -fs -X POST "$base/api/jobs" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d '{"pipeline":"noop"}' | json '["id"]')"
  # Let the embedded worker finish the job, so the status read is the common one (a finished job).
  for _ in $(seq 1 60); do
    [ "$(curl -fs "$base/api/jobs/$JOB" -H "Authorization: Bearer $KEY" | json '["status"]')" = succeeded ] && break; sleep 0.5
  done
  curl -fs "$base/api/me" -H "Authorization: Bearer $TOKEN" >/dev/null
  curl -fs "$base/api/jobs/$JOB" -H "Authorization: Bearer $KEY" >/dev/null
}

# wrk's summary as "req/s p50_ms p99_ms non2xx"
to_ms() { python3 -c "
import sys
v=sys.argv[1]
for s,f in (('us',0.001),('ms',1),('s',1000)):
    if v.endswith(s) and not (s=='s' and (v.endswith('ms') or v.endswith('us'))): print(round(float(v[:-len(s)])*f,2)); break" "$1"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICK_HZ="$(getconf CLK_TCK)"
MEASURE_PID=""
measure() { # url [header]   (server: $MEASURE_PID)
  local out before after
  before="$(cpu_ticks "$MEASURE_PID")"
  if [ -n "${2:-}" ]; then out="$(wrk -t"$THREADS" -c"$CONNS" -d"${SECONDS_PER}s" --latency -H "$2" "$1")"
  else out="$(wrk -t"$THREADS" -c"$CONNS" -d"${SECONDS_PER}s" --latency "$1")"; fi
  after="$(cpu_ticks "$MEASURE_PID")"
  local rps p50 p99 bad reqs cpu
  rps="$(echo "$out" | awk '/^Requests\/sec/ {print $2}')"
  reqs="$(echo "$out" | awk '/requests in/ {print $1}')"
  cpu="$(python3 -c "print(round(($after - $before) / $TICK_HZ * 1e6 / max(1, $reqs), 1))")"
  p50="$(to_ms "$(echo "$out" | awk '$1=="50%" {print $2}')")"
  p99="$(to_ms "$(echo "$out" | awk '$1=="99%" {print $2}')")"
  bad="$(echo "$out" | awk '/Non-2xx/ {print $NF}')"
  echo "$rps $p50 $p99 ${bad:-0} $cpu"
}
RESULTS="$DIR/results.txt"; : >"$RESULTS"
record() { # round db build endpoint "rps p50 p99 bad cpu" bare_rps
  set -- "$1" "$2" "$3" "$4" $5 "$6"
  local ratio; ratio="$(python3 -c "print(f'{$5/${10}:.3f}')")"
  printf '%-2s %-8s %-9s %-16s %10s req/s  p50 %7s ms  p99 %7s ms  non-2xx %-6s  cpu %7s us/req  ratio %s\n' "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9" "$ratio" | tee -a "$RESULTS"
}

run_kiln() { # round db build checkout bare_rps
  start_kiln "$2" "$4" "$3-$2-$1"
  MEASURE_PID="$WEBPID"
  local base="http://127.0.0.1:$WEBPORT"
  setup_account "$base"
  wrk -t1 -c8 -d3s -H "Authorization: Bearer $KEY" "$base/api/jobs/$JOB" >/dev/null # warm-up (JIT, pools)
  record "$1" "$2" "$3" "/health/live" "$(measure "$base/health/live")" "$5"
  record "$1" "$2" "$3" "/api/me bearer" "$(measure "$base/api/me" "Authorization: Bearer $TOKEN")" "$5"
  record "$1" "$2" "$3" "/api/jobs/{id} key" "$(measure "$base/api/jobs/$JOB" "Authorization: Bearer $KEY")" "$5"
  local rss; rss="$(awk '/VmRSS/ {print int($2/1024)}' "/proc/$WEBPID/status")"
  echo "#   $3 $2 round $1: web RSS ${rss} MB, log lines $(wc -l <"$DIR/$3-$2-$1/web.log")" | tee -a "$RESULTS"
  stop_kiln
}

for db in ${DBS//,/ }; do
  if [ "$db" = postgres ] && [ "$PGUP" = 0 ]; then
    PGPORT="$(free_port)"
    "${AS[@]}" "$PGBIN/initdb" -D "$DIR/pg" -U kiln --auth=trust -E UTF8 >/dev/null
    "${AS[@]}" "$PGBIN/pg_ctl" -D "$DIR/pg" -l "$DIR/pg.log" -w -t 60 \
      -o "-p $PGPORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=256MB" start >/dev/null
    PGUP=1
  fi
  for r in $(seq 1 "$REPEATS"); do
    wrk -t1 -c8 -d2s "http://127.0.0.1:$BAREPORT/status" >/dev/null
    MEASURE_PID="$BAREPID"
    bare="$(measure "http://127.0.0.1:$BAREPORT/status")"
    record "$r" "$db" bare "bare JSON" "$bare" "${bare%% *}"
    run_kiln "$r" "$db" tree "$ROOT" "${bare%% *}"
    [ -n "$BASELINE" ] && run_kiln "$r" "$db" baseline "$BASELINE" "${bare%% *}"
  done
done

echo
echo "# medians over $REPEATS rounds (req/s, p50 ms, p99 ms, server CPU µs per request, ratio to the bare endpoint's median)"
python3 - "$RESULTS" <<'EOF'
import sys, statistics, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    if line.startswith('#'): continue
    parts = line.split()
    # round db build endpoint... rps req/s p50 X ms p99 Y ms non-2xx N cpu C us/req ratio R
    i = parts.index('req/s')
    key = (parts[1], parts[2], ' '.join(parts[3:i-1]))
    rows[key].append((float(parts[i-1]), float(parts[i+2]), float(parts[i+5]), parts[i+8], float(parts[i+10])))
bare = {db: statistics.median(r[0] for r in v) for (db, b, e), v in rows.items() if b == 'bare'}
for (db, b, e), v in rows.items():
    rps = statistics.median(r[0] for r in v)
    print(f"{db:8} {b:9} {e:18} {rps:10.0f} req/s  p50 {statistics.median(r[1] for r in v):6.2f} ms  p99 {statistics.median(r[2] for r in v):6.2f} ms  "
          f"non-2xx {','.join(r[3] for r in v)}  cpu {statistics.median(r[4] for r in v):7.1f} us/req  ratio {rps / bare[db]:.3f}")
EOF
