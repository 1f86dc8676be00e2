#!/usr/bin/env bash
# Speech-to-text bench: ~70 s of festival HTS speech (20 Harvard sentences, 0.5 s pauses), clean and with pink noise at
# −20 dBFS, through Kiln's pocketsphinx engine at parallelism 1 and 2 (chunks of 20 s), with the baseline in the same
# run: one plain pocketsphinx_continuous over the whole file. Prints wall time, real-time factor and WER.
# Usage: bench/speech/run.sh [RUNS] [SENTENCES]   (defaults 1 and 20: ≈ 60 s of audio, six transcriptions, about
# 2.5 minutes on an idle 2-core machine; `run.sh 1 10` halves it)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
RUNS="${1:-1}"
SENTENCES="${2:-20}"
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u +%F); load $(cut -d' ' -f1-3 /proc/loadavg)"
i=0; inputs=()
while IFS= read -r sentence; do
  printf '%s\n' "$sentence" > "$WORK/s$i.txt"
  text2wave -eval '(voice_cmu_us_slt_arctic_hts)' "$WORK/s$i.txt" -o "$WORK/s$i.wav"
  inputs+=(-i "$WORK/s$i.wav"); i=$((i + 1))
done < <(head -n "$SENTENCES" "$HERE/harvard.txt")
head -n "$SENTENCES" "$HERE/harvard.txt" > "$WORK/reference.txt"
graph=""; for n in $(seq 0 $((i - 1))); do graph+="[$n:a]aresample=16000,apad=pad_dur=0.5[a$n];"; done
for n in $(seq 0 $((i - 1))); do graph+="[a$n]"; done
ffmpeg -v error -y "${inputs[@]}" -filter_complex "${graph}concat=n=$i:v=0:a=1" -ac 1 -ar 16000 "$WORK/clean.wav"
ffmpeg -v error -y -i "$WORK/clean.wav" -filter_complex "anoisesrc=color=pink:amplitude=0.1:sample_rate=16000:seed=7[n];[0:a][n]amix=inputs=2:duration=first:normalize=0" -ac 1 -ar 16000 "$WORK/noisy.wav"
dotnet build "$HERE/../../src/Kiln.Core" -v quiet -nologo >/dev/null
for kind in clean noisy; do
  echo "== $kind ($(ffprobe -v error -show_entries format=duration -of csv=p=0 "$WORK/$kind.wav") s)"
  for run in $(seq 1 "$RUNS"); do
    start=$(date +%s.%N)
    hyp=$(pocketsphinx_continuous -infile "$WORK/$kind.wav" -logfn /dev/null | tr '\n' ' ')
    printf 'baseline run %d: plain pocketsphinx_continuous wall %.2f s\n' "$run" "$(echo "$(date +%s.%N) - $start" | bc)"
    for p in 1 2; do dotnet run --no-build "$HERE/Transcribe.cs" -- "$WORK/$kind.wav" "$WORK/reference.txt" "$p" 20 2>/dev/null || dotnet run "$HERE/Transcribe.cs" -- "$WORK/$kind.wav" "$WORK/reference.txt" "$p" 20; done
  done
done
