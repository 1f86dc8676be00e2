#!/usr/bin/env bash
# Upload benchmark (issue 14): one large WAV file through Kiln's upload API (create, PUT every 8 MiB part to its
# signed URL in order, complete → validated and Ready) against `dd` copying the same file to the same disk, in the
# same run, alternating. Kiln runs in Release (Production environment) on SQLite with the local blob store; the
# server's memory growth is its peak RSS (VmHWM) during the upload minus its RSS just before.
# Two figures per round: without fsync (what the API answers when the bytes are in the page cache; dd without
# conv=fsync) and "+ sync" (each side followed by `sync`, so every byte written has reached the disk).
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
    ASPNETCORE_URLS="http://127.0.0.1:$WEBPORT" exec dotnet "$dll" >"$DIR/$2/web.log" 2>&1) &
  WEBPID=$!
  for _ in $(seq 1 240); do curl -fs "http://127.0.0.1:$WEBPORT/health/live" >/dev/null 2>&1 && break; sleep 0.5; done
  curl -fs "http://127.0.0.1:$WEBPORT/health/live" >/dev/null || { tail -40 "$DIR/$2/web.log" >&2; exit 1; }
  local base="http://127.0.0.1:$WEBPORT" email="bench-$RANDOM@example.com"
  curl -fs -X POST "$base/api/auth/register" -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"correct horse battery\"}" >/dev/null
  TOKEN="$(curl -fs -X POST "$base/api/auth/login" -H 'Content-Type: application/json' -d "{\"email\":\"$email\",\"password\":\"correct horse battery\"}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["accessToken"])')"
  # Warm-up: a small upload through every code path (JIT).
  head -c $((9 * 1024 * 1024)) "$DIR/big.wav" | python3 -c "
import struct,sys; d=bytearray(sys.stdin.buffer.read()); d[4:8]=struct.pack('<I',len(d)-8); d[40:44]=struct.pack('<I',len(d)-44); open('$DIR/warm.wav','wb').write(d)"
  python3 "$ROOT/bench/uploads/upload.py" "$base" "$TOKEN" "$DIR/warm.wav" >/dev/null
}
stop_kiln() { kill "$WEBPID" 2>/dev/null; wait "$WEBPID" 2>/dev/null || true; WEBPID=""; }

RESULTS="$DIR/results.txt"; : >"$RESULTS"
run_dd() { # round
  local t0 t1 t2
  sync; t0=$(date +%s.%N)
  dd if="$DIR/big.wav" of="$DIR/dd.out" bs=8M status=none; t1=$(date +%s.%N); sync; t2=$(date +%s.%N)
  echo "$1 dd $(python3 -c "print(round($t1-$t0,3), round($t2-$t0,3))") 0" | tee -a "$RESULTS"
  rm -f "$DIR/dd.out"; sync
}
run_kiln() { # round build checkout
  start_kiln "$3" "$2-$1"
  local before out t0 t2 hwm
  before="$(awk '/VmRSS/ {print $2}' "/proc/$WEBPID/status")"
  sync; t0=$(date +%s.%N)
  out="$(python3 "$ROOT/bench/uploads/upload.py" "http://127.0.0.1:$WEBPORT" "$TOKEN" "$DIR/big.wav")"
  local t1; t1=$(date +%s.%N); sync; t2=$(date +%s.%N)
  hwm="$(awk '/VmHWM/ {print $2}' "/proc/$WEBPID/status")"
  echo "# $2 round $1: $out" >>"$RESULTS"
  echo "$out" | grep -q '"status": "ready"' || { echo "upload not ready: $out" >&2; exit 1; }
  echo "$1 $2 $(python3 -c "print(round($t1-$t0,3), round($t2-$t0,3), round(($hwm-$before)/1024,1))")" | tee -a "$RESULTS"
  stop_kiln
  rm -rf "${DIR:?}/$2-$1"; sync
}

for r in $(seq 1 "$REPEATS"); do
  run_dd "$r"
  run_kiln "$r" tree "$ROOT"
  [ -n "$BASELINE" ] && run_kiln "$r" baseline "$BASELINE"
done

echo
echo "# medians over $REPEATS rounds: seconds, MB/s, ratio to dd (dd's time / the upload's), server memory growth"
python3 - "$RESULTS" "$MIB" <<'EOF'
import sys, statistics, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    if line.startswith('#'): print(line.rstrip()); continue
    r, who, nosync, synced, mem = line.split()
    rows[who].append((float(nosync), float(synced), float(mem)))
mib = int(sys.argv[2])
dd = rows['dd']; ddn = statistics.median(x[0] for x in dd); dds = statistics.median(x[1] for x in dd)
for who, v in rows.items():
    n = statistics.median(x[0] for x in v); s = statistics.median(x[1] for x in v); m = statistics.median(x[2] for x in v)
    print(f"{who:9} no fsync {n:7.2f} s {mib/n:7.0f} MiB/s ratio {ddn/n:5.2f}   + sync {s:7.2f} s {mib/s:7.0f} MiB/s ratio {dds/s:5.2f}"
          + (f"   server memory +{m:.0f} MB" if who != 'dd' else ""))
EOF
