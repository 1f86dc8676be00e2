#!/usr/bin/env bash
# Chaos harness (issue 13): N mixed jobs (no-op, failing, slow, pdf-podcast) on 2 web processes + 2 workers over
# PostgreSQL + s3rver, all on loopback, while a random worker is killed with SIGKILL every 10 s (and restarted),
# PostgreSQL restarts once, the S3 server stops for 30 s and a web process is killed (and restarted). Then it checks
# and prints: one final state per job, no double success, every hold resolved once, the ledger balanced, no orphaned
# blobs or scratch directories, no 5xx but 503 + Retry-After, and the recovery times. Exit code 0 = every check held.
# Usage: bench/chaos/run.sh [jobs=2000] [more driver options, e.g. --create-seconds 60 --max-seconds 900 --keep]
# Everything it starts lives in one temp directory and is stopped and deleted at the end (--keep keeps the directory).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
JOBS=${1:-2000}
shift || true
command -v weasyprint >/dev/null || { echo "weasyprint is needed to make the test PDF (apt-get install weasyprint)" >&2; exit 2; }
[ -f "$ROOT/node_modules/s3rver/bin/s3rver.js" ] || { echo "s3rver is missing: npm install in $ROOT" >&2; exit 2; }
dotnet build "$ROOT/src/Kiln.Web" -v quiet -nologo >/dev/null
dotnet build "$ROOT/src/Kiln.Worker" -v quiet -nologo >/dev/null
dotnet build "$ROOT/src/Kiln.Cli" -v quiet -nologo >/dev/null
dotnet build "$ROOT/bench/Kiln.Bench.Chaos" -v quiet -nologo >/dev/null
PDF=$(mktemp --suffix=.pdf /tmp/kiln-chaos-XXXX)
trap 'rm -f "$PDF" "$PDF.html"' EXIT
cat > "$PDF.html" <<'HTML'
<html><body>
<h1>Chapter One: Kilns</h1><p>A kiln is a thermally insulated chamber used to harden clay into pottery. Potters load the kiln
carefully, because uneven heat cracks the work. Modern electric kilns hold a programmed temperature curve for hours.</p>
<h1>Chapter Two: Glazes</h1><p>Glazes are thin glassy coatings. They melt in the kiln and bond to the clay body. Too much
heat makes a glaze run; too little leaves it dry and rough. Testing small tiles first saves whole firings.</p>
</body></html>
HTML
weasyprint "$PDF.html" "$PDF" 2>/dev/null
cd "$ROOT"
dotnet "$ROOT/bench/Kiln.Bench.Chaos/bin/Debug/net10.0/Kiln.Bench.Chaos.dll" --root "$ROOT" --jobs "$JOBS" --pdf "$PDF" "$@"
