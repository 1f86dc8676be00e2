#!/usr/bin/env bash
# Upload benchmark (issue 14): one large WAV file through Kiln's upload API (create, PUT every 8 MiB part to its
# signed URL, complete → validated and Ready), in the same rounds as
#   - `dd` copying the same file to the same disk (page cache, + sync, conv=fsync: Kiln flushes before it answers);
#   - local store: "bare", the smallest ASP.NET Core app taking the same PUTs into one file, fsync, rename
#     (bench/uploads/Bare: no auth, database, hash or validation): the ceiling HTTP on this machine allows;
#   - S3 store: "direct", the same file as a multipart upload straight to the same s3rver with the same part size and
#     parallelism (no Kiln): Kiln's extra is the rest (its API calls, the completion's validation).
# Each is run with the client sending the parts one after another on one connection (--parallel 1) and as the
# browser does, 3 at once (src/Kiln.Web/wwwroot/js/upload.js), each on its own connection.
# Kiln runs in Release (Production environment) on SQLite; its memory growth is the peak RSS (VmHWM, reset before
# each upload) minus the RSS just before; CPU is user + system from /proc/<pid>/stat, for the server, the client
# (upload.py's own getrusage, without Python's start-up) and s3rver.
# Usage: bench/uploads/run.sh [--mib 1024] [--repeats 3] [--parallel 1,3] [--store local|s3|local,s3] [--baseline DIR]
#   --baseline DIR: also upload through another checkout's Kiln.Web (built with `dotnet build -c Release src/Kiln.Web`).
# Verify the script with --mib 256; the issue's figure is --mib 1024.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/bench/uploads"
MIB=1024; REPEATS=3; BASELINE=""; PARALLEL="1,3"; STORES="local"
while [ $# -gt 0 ]; do
  case "$1" in
    --mib) MIB="$2"; shift 2 ;;
    --repeats) REPEATS="$2"; shift 2 ;;
    --parallel) PARALLEL="$2"; shift 2 ;;
    --store) STORES="$2"; shift 2 ;;
    --baseline) BASELINE="$(cd "$2" && pwd)"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
DIR="$(mktemp -d "${BENCH_DIR:-/tmp}/kiln-bench-uploads.XXXXXX")"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
WEBPID=""; S3PID=""
cleanup() {
  [ -n "$WEBPID" ] && kill "$WEBPID" 2>/dev/null && wait "$WEBPID" 2>/dev/null || true
  [ -n "$S3PID" ] && kill "$S3PID" 2>/dev/null && wait "$S3PID" 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT
trap "exit 130" INT TERM

echo "# $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); $MIB MiB; stores $STORES; parallel $PARALLEL; disk $(df -h "$DIR" | awk 'NR==2 {print $1, $2}'); $(date -u +%FT%TZ)"
dotnet build -c Release "$ROOT/src/Kiln.Web/Kiln.Web.csproj" -v q -nologo >&2
dotnet build -c Release "$HERE/Bare/Kiln.Bench.UploadBare.csproj" -v q -nologo >&2

# A 16-bit 48 kHz mono WAV of random samples (random, so no layer of the stack can compress or skip it).
python3 - "$DIR/big.wav" "$MIB" <<'PY'
import os, struct, sys
path, mib = sys.argv[1], int(sys.argv[2])
data = mib * 1024 * 1024 - 44
with open(path, "wb") as f:
    f.write(b"RIFF" + struct.pack("<I", 36 + data) + b"WAVEfmt " + struct.pack("<IHHIIHH", 16, 1, 1, 48000, 96000, 2, 16)
            + b"data" + struct.pack("<I", data))
    left = data
    block = os.urandom(8 << 20)
    while left > 0:
        n = min(left, len(block)); f.write(block[:n]); left -= n
PY
cat "$DIR/big.wav" >/dev/null # in the page cache for every side
head -c $((9 * 1024 * 1024)) "$DIR/big.wav" | python3 -c "
import struct,sys; d=bytearray(sys.stdin.buffer.read()); d[4:8]=struct.pack('<I',len(d)-8); d[40:44]=struct.pack('<I',len(d)-44); open('$DIR/warm.wav','wb').write(d)"
head -c $((64 * 1024 * 1024)) "$DIR/big.wav" | python3 -c "
import struct,sys; d=bytearray(sys.stdin.buffer.read()); d[4:8]=struct.pack('<I',len(d)-8); d[40:44]=struct.pack('<I',len(d)-44); open('$DIR/warm64.wav','wb').write(d)"

S3PORT=""
start_s3() {
  S3PORT="$(free_port)"; mkdir -p "$DIR/s3"
  (cd "$ROOT" && exec node node_modules/s3rver/bin/s3rver.js --address 127.0.0.1 --port "$S3PORT" --directory "$DIR/s3" \
    --configure-bucket kiln --silent >"$DIR/s3rver.log" 2>&1) &
  S3PID=$!
  for _ in $(seq 1 100); do [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$S3PORT/kiln")" = 200 ] && return; sleep 0.2; done
  tail -20 "$DIR/s3rver.log" >&2; exit 1
}
clean_s3() { rm -rf "$DIR/s3/kiln/ws" "$DIR/s3/kiln/bench"; } # the objects of the last upload (s3rver keeps them as files)

start_server() { # build checkout store
  WEBPORT="$(free_port)"; local run="$DIR/$1-$3"; rm -rf "$run"; mkdir -p "$run"
  # Tier-up without the 100 ms pause after each new method: the warm-up then leaves the server where a long-running
  # one is (steady-state code is the same; without this the JIT still spent 0.3-1.1 s rejitting during the measured
  # upload after 60 warm-up uploads, which decided the comparison more than the code did).
  export DOTNET_TC_CallCountingDelayMs="${DOTNET_TC_CallCountingDelayMs:-0}"
  if [ "$1" = bare ]; then
    (BARE_DIR="$run/blobs" ASPNETCORE_URLS="http://127.0.0.1:$WEBPORT" DOTNET_ENVIRONMENT=Production \
      exec dotnet "$HERE/Bare/bin/Release/net10.0/Kiln.Bench.UploadBare.dll" >"$run/web.log" 2>&1) &
  else
    local dll="$2/src/Kiln.Web/bin/Release/net10.0/Kiln.Web.dll" storage=()
    if [ "$3" = s3 ]; then
      storage=(Kiln__Storage__Provider=S3 Kiln__Storage__S3__ServiceUrl="http://127.0.0.1:$S3PORT" Kiln__Storage__S3__Bucket=kiln
               Kiln__Storage__S3__AccessKey=S3RVER Kiln__Storage__S3__SecretKey=S3RVER Kiln__Storage__S3__ForcePathStyle=true)
    else
      storage=(Kiln__Storage__Provider=Local Kiln__Storage__LocalPath="$run/blobs")
    fi
    (cd "$(dirname "$dll")" && exec env ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production \
      Kiln__Database__Provider=Sqlite Kiln__Database__ConnectionString="Data Source=$run/kiln.db" Kiln__Database__MigrateOnStartup=true \
      "${storage[@]}" Kiln__Storage__PublicBaseUrl="http://127.0.0.1:$WEBPORT" Kiln__Uploads__TempPath="$run/tmp" \
      Kiln__Uploads__MaxBytes=$((4 * 1024 * 1024 * 1024)) \
      Kiln__Billing__Plans__0__Id=free Kiln__Billing__Plans__0__Name=Free Kiln__Billing__Plans__0__MaxUploadBytes=$((4 * 1024 * 1024 * 1024)) \
      Kiln__Billing__Plans__0__MaxConcurrentJobs=2 Kiln__Worker__Enabled=false \
      Kiln__RateLimit__UploadsPerMinute=100000 Kiln__RateLimit__BlobsPerMinute=100000 \
      ASPNETCORE_URLS="http://127.0.0.1:$WEBPORT" dotnet "$dll" >"$run/web.log" 2>&1) &
  fi
  WEBPID=$!
  local probe="http://127.0.0.1:$WEBPORT/health/live"; [ "$1" = bare ] && probe="http://127.0.0.1:$WEBPORT/blobs/none?part=1"
  for _ in $(seq 1 240); do [ "$(curl -s -o /dev/null -w '%{http_code}' -X "$([ "$1" = bare ] && echo PUT || echo GET)" "$probe")" != 000 ] && break; sleep 0.5; done
  local base="http://127.0.0.1:$WEBPORT"
  TOKEN=none
  if [ "$1" != bare ]; then
    curl -fs "$probe" >/dev/null || { tail -40 "$run/web.log" >&2; exit 1; }
    local email="bench-$RANDOM@example.com"
    curl -fs -X POST "$base/api/auth/register" -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"correct horse battery\"}" >/dev/null
    TOKEN="$(curl -fs -X POST "$base/api/auth/login" -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"correct horse battery\"}" \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])')"
  fi
  # Warm-up: small uploads through every code path, enough of them for the JIT's tiering to settle (a long-running
  # server is past that). After 25 the tiered compiler still rejitted ~3,500 methods (27 % of the server's samples)
  # during a measured 512 MiB upload: what it still spends is measured (JIT CPU) and left out of "CPU per part".
  for i in $(seq 1 "${WARMUPS:-40}"); do python3 "$HERE/upload.py" --parallel $((i % 2 * 2 + 1)) "$base" "$TOKEN" "$DIR/warm.wav" >/dev/null; done
  # and a few of 64 MiB, so that the loops a part runs (per read of the body) are past tiering too.
  for i in 1 2 3 4; do python3 "$HERE/upload.py" --parallel $((i % 2 * 2 + 1)) "$base" "$TOKEN" "$DIR/warm64.wav" >/dev/null; done
  [ "$3" = s3 ] && clean_s3
  sleep 1
}
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # a process's user + system CPU
jit_ticks() { # CPU of the runtime's tiered-compilation thread(s): the JIT still tiering methods up (the thread
  # ends when idle and a new one starts, so a difference below zero means "unknown, small" and is counted as 0)
  local t sum=0 v
  for t in /proc/"$1"/task/*; do
    grep -q '^\.NET Tiered' "$t/comm" 2>/dev/null || continue
    v="$(awk '{sub(/.*\) /, ""); print $12 + $13}' "$t/stat")"; sum=$((sum + v))
  done
  echo "$sum"
}
stop_server() { kill "$WEBPID" 2>/dev/null; wait "$WEBPID" 2>/dev/null || true; WEBPID=""; }

RESULTS="$DIR/results.txt"; : >"$RESULTS"
HZ="$(getconf CLK_TCK)"
run_dd() { # round
  local t0 t1 t2 t2b t3
  sync; t0=$(date +%s.%N)
  dd if="$DIR/big.wav" of="$DIR/dd.out" bs=8M status=none; t1=$(date +%s.%N); sync; t2=$(date +%s.%N)
  rm -f "$DIR/dd.out"; sync; t2b=$(date +%s.%N)
  # conv=fsync: dd flushes its own file before it exits, as Kiln does before it answers a completion.
  dd if="$DIR/big.wav" of="$DIR/dd.out" bs=8M conv=fsync status=none; t3=$(date +%s.%N)
  echo "$1 dd - $(python3 -c "print(round($t1-$t0,3), round($t2-$t0,3), 0, 0, round($t3-$t2b,3), 0, 0, 0, 0)")" | tee -a "$RESULTS"
  rm -f "$DIR/dd.out"; sync
}
measure() { # round label store parallel [direct]: one upload of big.wav to the running server (or straight to s3rver)
  local before out t0 t1 t2 hwm cpu0 cpu1 jit0=0 jit1=0 s30=0 s31=0 pid="${WEBPID:-}"
  if [ -n "$pid" ]; then
    echo 5 >"/proc/$pid/clear_refs" 2>/dev/null || true # VmHWM := VmRSS
    before="$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")"; cpu0="$(ticks "$pid")"; jit0="$(jit_ticks "$pid")"
  fi
  [ -n "$S3PID" ] && s30="$(ticks "$S3PID")"
  sync; t0=$(date +%s.%N)
  if [ "${5:-}" = direct ]; then
    out="$(python3 "$HERE/upload.py" --parallel "$4" --s3-direct "http://127.0.0.1:$S3PORT/kiln" "$DIR/big.wav")"
  else
    out="$(python3 "$HERE/upload.py" --parallel "$4" "http://127.0.0.1:$WEBPORT" "$TOKEN" "$DIR/big.wav")"
  fi
  t1=$(date +%s.%N); sync; t2=$(date +%s.%N)
  local mem=0 cpu=0
  if [ -n "$pid" ]; then
    hwm="$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")"; cpu1="$(ticks "$pid")"; jit1="$(jit_ticks "$pid")"
    mem="$(python3 -c "print(round(($hwm-$before)/1024,1))")"; cpu="$(python3 -c "print(round(($cpu1-$cpu0)/$HZ,2))")"
  fi
  [ -n "$S3PID" ] && s31="$(ticks "$S3PID")"
  echo "# $2 round $1: $out" >>"$RESULTS"
  echo "$out" | grep -q '"status": "ready"' || { echo "upload not ready: $out" >&2; exit 1; }
  local client_total client_cpu
  client_total="$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total_s"])')"
  client_cpu="$(echo "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["client_cpu_s"])')"
  echo "$1 $2 $3 $(python3 -c "print(round($t1-$t0,3), round($t2-$t0,3), $mem, $cpu, 0, $client_total, $client_cpu, round(($s31-$s30)/$HZ,2), max(0, round(($jit1-$jit0)/$HZ,2)))")" | tee -a "$RESULTS"
  [ "$3" = s3 ] && clean_s3
  rm -rf "$DIR"/*-local/blobs/ws "$DIR"/*-local/blobs/.multipart; sync
}
run_server() { # round build checkout store
  start_server "$2" "$3" "$4"
  for p in ${PARALLEL//,/ }; do measure "$1" "$4/p$p/$2" "$4" "$p"; done
  stop_server
  rm -rf "${DIR:?}/$2-$4"; sync
}

case ",$STORES," in *,s3,*) start_s3 ;; esac
for r in $(seq 1 "$REPEATS"); do
  run_dd "$r"
  for store in ${STORES//,/ }; do
    if [ "$store" = s3 ]; then
      for p in ${PARALLEL//,/ }; do measure "$r" "s3/p$p/direct" s3 "$p" direct; done
    else
      run_server "$r" bare - local
    fi
    run_server "$r" tree "$ROOT" "$store"
    [ -n "$BASELINE" ] && run_server "$r" main "$BASELINE" "$store"
  done
done

echo
echo "# medians over $REPEATS rounds: seconds until the completion was answered (wall, with Python's start), MiB/s, ratios;"
echo "# server memory growth and CPU (Kiln or bare; without the tiered JIT's own thread, shown as + JIT), the client's CPU, s3rver's CPU;"
echo "# 'x bare' / 'x direct' = that row's time / this one's. CPU per part = all the server's CPU during the upload (completion too) / parts"
python3 - "$RESULTS" "$MIB" <<'PY'
import sys, statistics, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    if line.startswith('#'): print(line.rstrip()); continue
    r, who, store, *v = line.split()
    rows[who].append([float(x) for x in v])
mib = int(sys.argv[2])
med = lambda who, i: statistics.median(x[i] for x in rows[who])
ddn, dds, ddf = med('dd', 0), med('dd', 1), med('dd', 4)
print(f"dd                 page cache {ddn:6.2f} s {mib/ddn:6.0f} MiB/s   + sync {dds:6.2f} s   conv=fsync {ddf:6.2f} s {mib/ddf:6.0f} MiB/s")
parts = max(1, -(-mib // 8))
for who in sorted(w for w in rows if w != 'dd'):
    store, p, build = who.split('/')
    ref = f"{store}/{p}/{'bare' if store == 'local' else 'direct'}"
    n, s, m, c, ct, cc, s3c, jit = (med(who, i) for i in (0, 1, 2, 3, 5, 6, 7, 8))
    c = statistics.median(x[3] - x[8] for x in rows[who])  # the JIT still tiering up is left out (shown apart)
    vs = f"x {ref.split('/')[2]} {med(ref, 0)/n:4.2f}" if ref in rows and ref != who else " " * 11
    line = (f"{who:17}  answered {n:6.2f} s {mib/n:6.0f} MiB/s  {vs}  x dd {ddn/n:4.2f}  x dd conv=fsync {ddf/n:4.2f}  + sync {s:6.2f} s"
            + f"  client {ct:5.2f} s, client CPU {cc:4.2f} s")
    if build not in ('direct',):
        line += f"  server +{m:.0f} MB, CPU {c:.2f} s ({1000*c/parts:.1f} ms per 8 MiB part) + JIT {jit:.2f} s"
    if store == 's3': line += f"  s3rver CPU {s3c:.2f} s"
    print(line)
PY
