#!/usr/bin/env bash
# Text-quality bench for pdf-podcast (and the shared cleanup pdf-audiobook uses).
# Usage: bench/text-quality/run.sh [--ref GIT_REF] [--out DIR] [PDF...]
#   --ref   measure another commit (e.g. main) with this harness: it is copied into a temporary worktree of REF.
#   PDF...  defaults to the Debian documentation PDFs listed below (decompressed into $CACHE).
# Prints a Markdown table; writes script.md, chapters.txt and flagged.txt per PDF under --out for reading.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
REF=""
OUT=""
PDFS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --ref) REF="$2"; shift 2;;
    --out) OUT="$2"; shift 2;;
    *) PDFS+=("$(realpath "$1")"); shift;;
  esac
done
CACHE="${CACHE:-/tmp/kiln-text-quality-pdfs}"
mkdir -p "$CACHE"
if [ ${#PDFS[@]} -eq 0 ]; then
  # package: path (outline?) — apt-get install libtasn1-doc gnucobol3 bzip2-doc zlib1g-dev
  for f in /usr/share/doc/libtasn1-doc/libtasn1.pdf \
           /usr/share/doc/gnucobol3/gnucobol.pdf.gz \
           /usr/share/doc/bzip2/manual.pdf.gz \
           /usr/share/doc/zlib1g-dev/crc-doc.1.0.pdf.gz; do
    [ -e "$f" ] || { echo "missing $f (apt-get install libtasn1-doc gnucobol3 bzip2-doc zlib1g-dev)" >&2; exit 1; }
    b="$(basename "$f" .gz)"
    case "$b" in manual.pdf) b="bzip2-manual.pdf";; esac
    case "$f" in *.gz) zcat "$f" > "$CACHE/$b";; *) cp "$f" "$CACHE/$b";; esac
    PDFS+=("$CACHE/$b")
  done
fi
SRC="$ROOT"
if [ -n "$REF" ]; then
  SRC="$(mktemp -d /tmp/kiln-text-quality-ref.XXXXXX)"
  git -C "$ROOT" worktree add --detach "$SRC" "$REF" >/dev/null 2>&1
  trap 'git -C "$ROOT" worktree remove --force "$SRC" >/dev/null 2>&1 || true' EXIT
  mkdir -p "$SRC/bench/text-quality"
  cp "$HERE/Program.cs" "$HERE/Kiln.Bench.TextQuality.csproj" "$SRC/bench/text-quality/"
fi
OUT="${OUT:-/tmp/kiln-text-quality-out/${REF:-worktree}}"
mkdir -p "$OUT"
dotnet build "$SRC/bench/text-quality/Kiln.Bench.TextQuality.csproj" -c Release -v quiet -nologo >&2
echo "# $(date -u +%Y-%m-%dT%H:%MZ) ref=${REF:-$(git -C "$ROOT" rev-parse --short HEAD)+worktree} out=$OUT" >&2
dotnet "$SRC/bench/text-quality/bin/Release/net10.0/Kiln.Bench.TextQuality.dll" "$OUT" "${PDFS[@]}"
