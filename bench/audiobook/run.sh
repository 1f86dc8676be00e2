#!/usr/bin/env bash
# Audiobook bench: one PDF → M4B through `kiln run pdf-audiobook`, with the time of each step, the real-time factor
# (wall time / audio length), the loudness of every produced file against its target (−18 LUFS ±1, ≤ −3 dBTP), and
# in the same run the baseline: espeak-ng alone speaking the same cleaned text (the floor any narration pays).
# Usage: bench/audiobook/run.sh [PDF] [RUNS] [PAGES]   (default: the gnucobol manual, 93 pages; 3 runs; all pages)
# PAGES is a page range for the pipeline (e.g. 20-27) for a short run; the median of the runs is printed at the end.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
PDF="${1:-/tmp/kiln-text-quality-pdfs/gnucobol.pdf}"
RUNS="${2:-3}"
PAGES="${3:-}"
[ -f "$PDF" ] || { echo "missing $PDF (apt-get install gnucobol3; gunzip -c /usr/share/doc/gnucobol3/gnucobol.pdf.gz > $PDF)" >&2; exit 1; }
dotnet build "$ROOT/src/Kiln.Cli" -c Release -v quiet -nologo >/dev/null
KILN="dotnet $ROOT/src/Kiln.Cli/bin/Release/net10.0/kiln.dll"
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%F)"
echo "pdf: $(basename "$PDF"), $(pdfinfo "$PDF" | awk '/^Pages/{print $2}') pages${PAGES:+, pages $PAGES narrated}"
echo "load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg) (other work shares this machine)"
for run in $(seq 1 "$RUNS"); do
  out="$WORK/out-$run"
  start=$(date +%s.%N)
  # Stamp each progress line so the time of each step can be read off.
  $KILN run pdf-audiobook "$PDF" ${PAGES:+--pages "$PAGES"} --out "$out" 2>&1 | while IFS= read -r line; do printf '%s %s\n' "$(date +%s.%N)" "$line"; done > "$WORK/log-$run.txt"
  end=$(date +%s.%N)
  audio=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$out/book.m4b")
  printf 'run %d: wall %.1f s, audio %.1f s, real-time factor %.4f\n' "$run" "$(echo "$end - $start" | bc)" "$audio" "$(echo "($end - $start) / $audio" | bc -l)"
  echo "$(echo "$end - $start" | bc) $audio" >> "$WORK/walls.txt"
  # (POSIX awk: Debian's default awk is mawk, without gawk's match() captures.)
  awk '
    match($0, /\] [a-z]+:/) { step = substr($0, RSTART + 2, RLENGTH - 3); if (!(step in first)) { first[step] = $1; order[++n] = step } last[step] = $1 }
    END { for (i = 1; i <= n; i++) { s = order[i]; e = (i < n) ? first[order[i+1]] : last[s]; printf "  %-9s %7.1f s\n", s, e - first[s] } }' "$WORK/log-$run.txt"
done
sort -n "$WORK/walls.txt" | awk '{ w[NR] = $1; a[NR] = $2 } END { m = int((NR + 1) / 2); printf "median of %d runs: wall %.1f s, audio %.1f s, real-time factor %.4f\n", NR, w[m], a[m], w[m] / a[m] }'
echo "loudness (last run):"
for f in "$out"/*.m4b "$out"/*.mp3; do
  ffmpeg -nostats -hide_banner -i "$f" -af ebur128=peak=true:framelog=verbose -f null - 2>&1 \
    | awk -v f="$(basename "$f")" '/I:/{i=$2} /Peak:/{p=$2} END{printf "  %-16s %6s LUFS  %6s dBTP\n", f, i, p}'
done
# Baseline: espeak-ng alone on the same text, one call (its floor).
start=$(date +%s.%N)
espeak-ng -v en-us+m3 -s 165 -f "$out/book.txt" -w "$WORK/baseline.wav"
end=$(date +%s.%N)
printf 'baseline espeak-ng alone on book.txt: %.1f s for %.1f s of audio\n' "$(echo "$end - $start" | bc)" "$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$WORK/baseline.wav")"
