#!/usr/bin/env bash
# Dubbing bench: a talk (festival's HTS voice reading a known script with natural pauses, looped to N minutes) over a
# quiet music-like background, dubbed offline into Spanish and Catalan by Kiln (`kiln run dubbing`: pocketsphinx →
# apertium → espeak-ng fitted to the original timing → sidechain-ducked mix, loudness-normalized, MP3 + captions), beside
# the naive chain in the same run: transcribe (pocketsphinx), translate (apertium, one call per language), synthesize
# (espeak-ng per segment), concatenate with adelay and one ffmpeg mix over the background. Reports wall time, the
# real-time factor of each step, and the share of segments whose dubbed speech ends before the next segment starts.
# Usage: bench/dubbing/run.sh [MINUTES]    (default 2; use 10 on a quiet machine). RUNS=1 by default.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
MINUTES="${1:-${MINUTES:-2}}"
RUNS="${RUNS:-1}"
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
dotnet build "$ROOT/src/Kiln.Cli" -c Release -v quiet -nologo >/dev/null
KILN="dotnet $ROOT/src/Kiln.Cli/bin/Release/net10.0/kiln.dll"
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc; }
rtf() { echo "scale=3; $1 / $DUR" | bc; }
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u '+%F %H:%M') UTC; load $(cut -d' ' -f1-3 /proc/loadavg)"

SCRIPT=(
  "Welcome to the workshop, the show about making things by hand."
  "Today we talk about kilns and the patience a firing takes."
  "A small electric kiln reaches twelve hundred degrees in eight hours."
  "The glaze melts into glass, and the colour shows when it cools."
  "Most cracks come from cooling too fast."
  "So leave the lid closed overnight, and thank you for listening."
)
PAUSE=(0.6 1.2 0.5 1.5 0.4 2.0)
for i in "${!SCRIPT[@]}"; do
  echo "${SCRIPT[$i]}" > "$WORK/s$i.txt"
  text2wave -eval '(voice_cmu_us_slt_arctic_hts)' "$WORK/s$i.txt" -o "$WORK/s$i.wav" 2>/dev/null
  ff -i "$WORK/s$i.wav" -af "apad=pad_dur=${PAUSE[$i]}" -ar 44100 -ac 1 "$WORK/p$i.wav"
  echo "file '$WORK/p$i.wav'" >> "$WORK/block.txt"
done
ff -f concat -safe 0 -i "$WORK/block.txt" -c:a pcm_s16le "$WORK/block.wav"
SECONDS_IN=$(echo "$MINUTES * 60" | bc)
ff -stream_loop -1 -i "$WORK/block.wav" -af "atrim=0:$SECONDS_IN" -c:a pcm_s16le "$WORK/talk.wav"
ff -f lavfi -i "sine=frequency=220:duration=$SECONDS_IN" -f lavfi -i "anoisesrc=color=pink:amplitude=0.03:duration=$SECONDS_IN" \
  -filter_complex "[0]volume=0.1[a];[a][1]amix=inputs=2:normalize=0" -ac 1 -ar 44100 "$WORK/bg.wav"
DUR=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$WORK/talk.wav")
echo "input: $MINUTES min talk ($DUR s; a $(ffprobe -v error -show_entries format=duration -of csv=p=0 "$WORK/block.wav") s block looped) + tone/noise background"

for run in $(seq 1 "$RUNS"); do
  echo "--- run $run"
  # Kiln: one command; each output line timestamped to find the steps.
  rm -rf "$WORK/kiln"; t0=$(now)
  $KILN run dubbing --input voice="$WORK/talk.wav" --input background="$WORK/bg.wav" -o 'targetLanguages=["es","ca"]' -o 'captionFormats=["srt"]' \
    --out "$WORK/kiln" 2>&1 | while IFS= read -r line; do echo "$(date +%s.%N) $line"; done > "$WORK/kiln.log"
  t1=$(now)
  first() { grep -m1 -E "$1" "$WORK/kiln.log" | cut -d' ' -f1; }
  [ -f "$WORK/kiln/manifest.json" ] || { echo "kiln run failed:"; tail -20 "$WORK/kiln.log"; exit 1; }
  k_total=$(secs "$t0" "$t1")
  # Step boundaries from the progress lines: per language translate → speak (synthesize + fit) → mix (+ normalize) → export.
  k_tx=$(secs "$t0" "$(first 'Translating into Spanish')")
  k_tr=0; k_sy=0; k_mx=0; k_ex=0
  for name in Spanish Catalan; do
    a=$(first "Translating into $name"); b=$(first "Speaking $name"); c=$(first "Mixing $name"); d=$(first "Exporting $name")
    e=$([ $name = Spanish ] && first 'Translating into Catalan' || echo "$t1")
    k_tr=$(echo "$k_tr + $b - $a" | bc); k_sy=$(echo "$k_sy + $c - $b" | bc); k_mx=$(echo "$k_mx + $d - $c" | bc); k_ex=$(echo "$k_ex + $e - $d" | bc)
  done
  k_fit=$(python3 -c "import json,sys; m=json.load(open('$WORK/kiln/manifest.json')); s=[x for l in m['languages'] for x in l['segments']]; print(f\"{sum(x['fitted'] for x in s)}/{len(s)} = {100*sum(x['fitted'] for x in s)/max(1,len(s)):.1f} %\")")
  k_lufs=$(python3 -c "import json; m=json.load(open('$WORK/kiln/manifest.json')); print(', '.join(f\"{l['code']} {l['integratedLufs']} LUFS / {l['truePeakDbtp']} dBTP\" for l in m['languages']))")
  echo "kiln: total ${k_total}s (RTF $(rtf "$k_total")); prepare+transcribe ${k_tx}s (RTF $(rtf "$k_tx")), translate ${k_tr}s (RTF $(rtf "$k_tr")), synthesize+fit ${k_sy}s (RTF $(rtf "$k_sy")), mix+normalize ${k_mx}s (RTF $(rtf "$k_mx")), export ${k_ex}s (RTF $(rtf "$k_ex")); fitted without overlap: $k_fit; $k_lufs"

  # Naive chain.
  N="$WORK/naive"; rm -rf "$N"; mkdir -p "$N"
  t0=$(now)
  ff -i "$WORK/talk.wav" -ar 16000 -ac 1 "$N/in16k.wav"
  pocketsphinx_continuous -infile "$N/in16k.wav" -time yes -logfn /dev/null > "$N/ps.txt" 2>/dev/null || true
  # Utterances: <s> … </s> with word timings; text without markers and alternates like word(2).
  awk '$1=="<s>"{st=$2; txt=""; next} $1=="</s>"{if (txt!="") printf "%s\t%s\t%s\n", st, $3, txt; next}
       NF==4 && $2 ~ /^[0-9.]+$/ && $1 !~ /^[<\[]/ {w=$1; sub(/\([0-9]+\)$/, "", w); txt = txt (txt==""?"":" ") w}' "$N/ps.txt" > "$N/segments.tsv"
  t1=$(now)
  nseg=$(wc -l < "$N/segments.tsv")
  declare -A T_TR T_SY T_MX FIT
  for lang in es ca; do
    mode=$([ "$lang" = es ] && echo eng-spa || echo eng-cat)
    voice=$([ "$lang" = es ] && echo es || echo ca)
    a=$(now)
    cut -f3 "$N/segments.tsv" | awk '{print; print "."; print "KILNSEP"}' | apertium -u "$mode" > "$N/tr-$lang.txt"
    # Back to one line per segment.
    awk 'BEGIN{RS="KILNSEP"} {gsub(/\n/, " "); gsub(/ +/, " "); sub(/^ /, ""); sub(/ \. ?$/, ""); if (NR <= '"$nseg"') print}' "$N/tr-$lang.txt" > "$N/lines-$lang.txt"
    b=$(now)
    i=0; fitted=0; inputs=(); filters=""
    while IFS=$'\t' read -r st en _; do
      line=$(sed -n "$((i + 1))p" "$N/lines-$lang.txt")
      espeak-ng -v "$voice" -w "$N/$lang-$i.wav" "${line:-.}"
      len=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$N/$lang-$i.wav")
      next=$(awk -F'\t' -v k=$((i + 2)) 'NR==k{print $1}' "$N/segments.tsv"); next=${next:-$DUR}
      [ "$(echo "$st + $len <= $next" | bc)" = 1 ] && fitted=$((fitted + 1))
      echo "$st $N/$lang-$i.wav" >> "$N/place-$lang.txt"
      i=$((i + 1))
    done < "$N/segments.tsv"
    c=$(now)
    # One ffmpeg: every segment delayed to its start, summed, then mixed over the background.
    args=(-i "$WORK/bg.wav"); j=1; chain=""
    while read -r st f; do args+=(-i "$f"); ms=$(printf '%.0f' "$(echo "$st * 1000" | bc)"); chain+="[$j]aresample=44100,adelay=${ms}|${ms}[d$j];"; j=$((j + 1)); done < "$N/place-$lang.txt"
    mixin=""; for k in $(seq 1 $((j - 1))); do mixin+="[d$k]"; done
    ff "${args[@]}" -filter_complex "${chain}${mixin}amix=inputs=$((j - 1)):normalize=0[v];[0][v]amix=inputs=2:duration=first:normalize=0" -ac 1 -b:a 128k "$N/dub-$lang.mp3"
    d=$(now)
    T_TR[$lang]=$(secs "$a" "$b"); T_SY[$lang]=$(secs "$b" "$c"); T_MX[$lang]=$(secs "$c" "$d"); FIT[$lang]=$fitted
  done
  t2=$(now)
  n_total=$(secs "$t0" "$t2"); n_tr=$(echo "${T_TR[es]} + ${T_TR[ca]}" | bc); n_sy=$(echo "${T_SY[es]} + ${T_SY[ca]}" | bc); n_mx=$(echo "${T_MX[es]} + ${T_MX[ca]}" | bc)
  nfit=$((FIT[es] + FIT[ca]))
  echo "naive: total ${n_total}s (RTF $(rtf "$n_total")); transcribe $(secs "$t0" "$t1")s (RTF $(rtf "$(secs "$t0" "$t1")")), translate ${n_tr}s (RTF $(rtf "$n_tr")), synthesize ${n_sy}s (RTF $(rtf "$n_sy")), adelay mix ${n_mx}s (RTF $(rtf "$n_mx")); $nseg segments; fitted without overlap: $nfit/$((2 * nseg)) = $(echo "scale=1; 100 * $nfit / (2 * $nseg)" | bc) %"
  for lang in es ca; do
    echo "naive $lang: $(ffmpeg -nostdin -nostats -hide_banner -i "$N/dub-$lang.mp3" -af ebur128=peak=true -f null - 2>&1 | awk '/I:/{i=$2} /Peak:/{p=$2} END{printf "%s LUFS, %s dBTP", i, p}'), $(ffprobe -v error -show_entries format=duration -of csv=p=0 "$N/dub-$lang.mp3") s"
  done
  echo "kiln es: $(ffprobe -v error -show_entries format=duration -of csv=p=0 "$WORK/kiln/dub-es.mp3") s"
  unset T_TR T_SY T_MX FIT
done
