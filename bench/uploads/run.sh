#!/usr/bin/env bash
# Upload benchmark (issue 14): one large WAV file through Kiln's upload API (create, PUT every 8 MiB part to its
# signed URL in order, complete → validated and Ready) against `dd` copying the same file to the same disk, in the
# same run, alternating. Kiln runs in Release (Production environment) on SQLite with the local blob store; the
# server's memory growth is its peak RSS (VmHWM) during the upload minus its RSS just before.
# Per round: the time until the API answered the completion (Kiln flushes the object to disk before it answers, so
# its fair comparison is `dd conv=fsync`; `dd` into the page cache is shown too), the same followed by `sync`, the
# server's peak memory growth and the CPU time it spent (user + system, from /proc/<pid>/stat).
# Usage: bench/uploads/run.sh [--mib 1024] [--repeats 3] [--baseline DIR]
#   --baseline DIR: also upload through another checkout's Kiln.Web (built with `dotnet build -c Release src/Kiln.Web`).
# Verify the script with --mib 256; the issue's figure is --mib 1024.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
MIB=1024; REPEATS=3; BASELINE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --mib) MIB="$2"; shift 2 ;;
    --repeats) REPEATS="$2"; shift 2 ;;
    --baseline) BASELINE="$(cd "$2" && pwd)"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
DIR="$(mktemp -d "${BENCH_DIR:-/tmp}/kiln-bench-uploads.XXXXXX")"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
WEBPID=""
cleanup() { [ -n "$WEBPID" ] && kill "$WEBPID" 2>/dev/null && wait "$WEBPID" 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT
trap "exit 130" INT TERM

echo "# $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); $MIB MiB; disk $(df -h "$DIR" | awk 'NR==2 {print $1, $2}'); $(date -u +%FT%TZ)"
dotnet build -c Release "$ROOT/src/Kiln.Web/Kiln.Web.csproj" -v q -nologo >&2

# A 16-bit 48 kHz mono WAV of random samples (random, so no layer of the stack can compress or skip it).
python3 - "$DIR/big.wav" "$MIB" <<'EOF'
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
EOF
cat "$DIR/big.wav" >/dev/null # in the page cache for both sides

start_kiln() { # checkout name
  local dll="$1/src/Kiln.Web/bin/Release/net10.0/Kiln.Web.dll"
  WEBPORT="$(free_port)"; mkdir -p "$DIR/$2"
  (cd "$(dirname "$dll")" && ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production \
    Kiln__Database__Provider=Sqlite Kiln__Database__ConnectionString="Data Source=$DIR/$2/kiln.db" Kiln__Database__MigrateOnStartup=true \
    Kiln__Storage__LocalPath="$DIR/$2/blobs" Kiln__Storage__PublicBaseUrl="http://127.0.0.1:$WEBPORT" \
    Kiln__Uploads__MaxBytes=$((4 * 1024 * 1024 * 1024)) \
    Kiln__Billing__Plans__0__Id=free Kiln__Billing__Plans__0__Name=Free Kiln__Billing__Plans__0__MaxUploadBytes=$((4 * 1024 * 1024 * 1024)) \
    Kiln__Billing__Plans__0__MaxConcurrentJobs=2 Kiln__Worker__Enabled=false \
    Kiln__RateLimit__UploadsPerMinute=100000 Kiln__RateLimit__BlobsPerMinute=100000 \
    ASPNETCORE_URLS="http://127.0.0.1:$WEBPORT" exec dotnet "$dll" >"$DIR/$2/web.log" 2>&1) &
  WEBPID=$!
  for _ in $(seq 1 240); do curl -fs "http://127.0.0.1:$WEBPORT/health/live" >/dev/null 2>&1 && break; sleep 0.5; done
  curl -fs "http://127.0.0.1:$WEBPORT/health/live" >/dev/null || { tail -40 "$DIR/$2/web.log" >&2; exit 1; }
  local base="http://127.0.0.1:$WEBPORT" email="bench-$RANDOM@example.com"
  curl -fs -X POST "$base/api/auth/register" -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"correct horse battery\"}" >/dev/null
  TOKEN="$(curl -fs -X POST "$base/api/auth/login" -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"correct horse battery\"}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])')"
  # Warm-up: small uploads through every code path, enough of them for the JIT's tiering to settle (a few uploads
  # left the tiered compiler using a core through the measured one: a long-running server is past that).
  head -c $((9 * 1024 * 1024)) "$DIR/big.wav" | python3 -c "
import struct,sys; d=bytearray(sys.stdin.buffer.read()); d[4:8]=struct.pack('<I',len(d)-8); d[40:44]=struct.pack('<I',len(d)-44); open('$DIR/warm.wav','wb').write(d)"
  for _ in $(seq 1 25); do python3 "$ROOT/bench/uploads/upload.py" "$base" "$TOKEN" "$DIR/warm.wav" >/dev/null; done
  sleep 1
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$WEBPID/stat"; } # the server's user + system CPU
stop_kiln() { kill "$WEBPID" 2>/dev/null; wait "$WEBPID" 2>/dev/null || true; WEBPID=""; }

RESULTS="$DIR/results.txt"; : >"$RESULTS"
run_dd() { # round
  local t0 t1 t2 t2b t3
  sync; t0=$(date +%s.%N)
  dd if="$DIR/big.wav" of="$DIR/dd.out" bs=8M status=none; t1=$(date +%s.%N); sync; t2=$(date +%s.%N)
  rm -f "$DIR/dd.out"; sync; t2b=$(date +%s.%N)
  # conv=fsync: dd flushes its own file before it exits, as Kiln does before it answers a completion.
  dd if="$DIR/big.wav" of="$DIR/dd.out" bs=8M conv=fsync status=none; t3=$(date +%s.%N)
  echo "$1 dd $(python3 -c "print(round($t1-$t0,3), round($t2-$t0,3), 0, 0, round($t3-$t2b,3))")" | tee -a "$RESULTS"
  rm -f "$DIR/dd.out"; sync
}
run_kiln() { # round build checkout
  start_kiln "$3" "$2-$1"
  local before out t0 t2 hwm cpu0 cpu1
  before="$(awk '/VmRSS/ {print $2}' "/proc/$WEBPID/status")"
  cpu0="$(cpu_ticks)"
  sync; t0=$(date +%s.%N)
  out="$(python3 "$ROOT/bench/uploads/upload.py" "http://127.0.0.1:$WEBPORT" "$TOKEN" "$DIR/big.wav")"
  local t1; t1=$(date +%s.%N); sync; t2=$(date +%s.%N)
  hwm="$(awk '/VmHWM/ {print $2}' "/proc/$WEBPID/status")"
  cpu1="$(cpu_ticks)"
  echo "# $2 round $1: $out" >>"$RESULTS"
  echo "$out" | grep -q '"status": "ready"' || { echo "upload not ready: $out" >&2; exit 1; }
  echo "$1 $2 $(python3 -c "print(round($t1-$t0,3), round($t2-$t0,3), round(($hwm-$before)/1024,1), round(($cpu1-$cpu0)/$(getconf CLK_TCK),2), 0)")" | tee -a "$RESULTS"
  stop_kiln
  rm -rf "${DIR:?}/$2-$1"; sync
}

for r in $(seq 1 "$REPEATS"); do
  run_dd "$r"
  run_kiln "$r" tree "$ROOT"
  [ -n "$BASELINE" ] && run_kiln "$r" baseline "$BASELINE"
done

echo
echo "# medians over $REPEATS rounds: seconds, MiB/s, ratio to dd (dd's time / the upload's), server memory growth and CPU"
python3 - "$RESULTS" "$MIB" <<'EOF'
import sys, statistics, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    if line.startswith('#'): print(line.rstrip()); continue
    r, who, *v = line.split()
    rows[who].append([float(x) for x in v])
mib = int(sys.argv[2])
med = lambda who, i: statistics.median(x[i] for x in rows[who])
ddn, dds, ddf = med('dd', 0), med('dd', 1), med('dd', 4)
print(f"dd        page cache {ddn:6.2f} s {mib/ddn:6.0f} MiB/s   + sync {dds:6.2f} s   conv=fsync {ddf:6.2f} s {mib/ddf:6.0f} MiB/s")
parts = max(1, -(-mib // 8))
for who in rows:
    if who == 'dd': continue
    n, s, m, c = med(who, 0), med(who, 1), med(who, 2), med(who, 3)
    print(f"{who:9} answered {n:6.2f} s {mib/n:6.0f} MiB/s  x dd {ddn/n:4.2f}  x dd conv=fsync {ddf/n:4.2f}   + sync {s:6.2f} s  x dd+sync {dds/s:4.2f}"
          + f"   server memory +{m:.0f} MB, CPU {c:.2f} s ({1000*c/parts:.1f} ms per 8 MiB part)")
EOF
