#!/usr/bin/env bash
# Podcast bench: N minutes of noisy speech (festival's HTS voice reading a known script, a quiet passage, long pauses,
# pink noise 20 dB under the speech) through Kiln's podcast-episode processing steps, beside the naive chain in the
# same run (afftdn → silenceremove → two-pass loudnorm → MP3, each its own ffmpeg pass). Reports each step's time,
# the ratio, the loudness of both results against −16 LUFS / −1 dBTP, and pocketsphinx's real-time factor and word
# error rate on Kiln's output of a short clip of the same script.
# Usage: MINUTES=10 RUNS=3 bench/podcast/run.sh      (defaults: 60 minutes, 3 runs; ASR_BLOCKS=2 script blocks)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
MINUTES="${MINUTES:-60}"
RUNS="${RUNS:-3}"
ASR_BLOCKS="${ASR_BLOCKS:-2}"
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
dotnet build "$ROOT/src/Kiln.Cli" -c Release -v quiet -nologo >/dev/null
KILN="dotnet $ROOT/src/Kiln.Cli/bin/Release/net10.0/kiln.dll"
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc; }
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
loud() { ffmpeg -nostdin -nostats -hide_banner -i "$1" -af ebur128=peak=true:framelog=verbose -f null - 2>&1 | awk '/I:/{i=$2} /Peak:/{p=$2} END{printf "%s %s", i, p}'; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(date -u '+%F %H:%M') UTC; load $(cut -d' ' -f1-3 /proc/loadavg)"

# One block of the script: six sentences, one read 9 dB quieter (a second speaker far from the mic), natural pauses of
# 0.4 s and long ones of 2.5 and 4 s.
SCRIPT=(
  "Welcome back to the workshop, the show about making things by hand."
  "Today we talk about kilns, glazes and the patience a firing takes."
  "A small electric kiln reaches about twelve hundred degrees in eight hours."
  "The glaze melts into glass, and the colour only shows when it cools."
  "Most cracks come from cooling too fast, so leave the lid closed overnight."
  "You can find the firing schedules at workshop dot example dot com."
)
GAIN=(0 0 -9 0 0 0)
PAUSE=(0.4 2.5 0.4 4 0.4 0.4)
inputs=(); filters=""; n=0
for i in "${!SCRIPT[@]}"; do
  echo "${SCRIPT[$i]}" > "$WORK/s$i.txt"
  text2wave -eval '(voice_cmu_us_slt_arctic_hts)' "$WORK/s$i.txt" -o "$WORK/s$i.wav" 2>/dev/null
  ff -i "$WORK/s$i.wav" -af "volume=${GAIN[$i]}dB,apad=pad_dur=${PAUSE[$i]}" -ar 44100 -ac 1 "$WORK/p$i.wav"
  echo "file '$WORK/p$i.wav'" >> "$WORK/block.txt"
done
ff -f concat -safe 0 -i "$WORK/block.txt" -c:a pcm_s16le "$WORK/block.wav"
BLOCK=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$WORK/block.wav")
noisy() { # $1 = seconds, $2 = output
  ff -stream_loop -1 -i "$WORK/block.wav" -f lavfi -i "anoisesrc=c=pink:r=44100:a=0.02:s=7" \
    -filter_complex "[0]atrim=0:$1,volume=-6dB[s];[s][1]amix=inputs=2:duration=first:normalize=0" -c:a pcm_s16le "$2"
}
noisy $((MINUTES * 60)) "$WORK/noisy.wav"
echo "input: $MINUTES min of noisy speech (block of ${BLOCK}s looped), $(loud "$WORK/noisy.wav" | awk '{printf "%s LUFS, %s dBTP", $1, $2}')"

declare -a K_TIMES N_TIMES
for run in $(seq 1 "$RUNS"); do
  # Naive chain: each filter its own pass.
  t0=$(now)
  ff -i "$WORK/noisy.wav" -af afftdn "$WORK/n1.wav"; t1=$(now)
  ff -i "$WORK/n1.wav" -af "silenceremove=stop_periods=-1:stop_duration=1:stop_threshold=-40dB" "$WORK/n2.wav"; t2=$(now)
  m=$(ffmpeg -nostdin -nostats -hide_banner -i "$WORK/n2.wav" -af loudnorm=I=-16:TP=-1:LRA=11:print_format=json -f null - 2>&1 | sed -n '/^{/,/^}/p')
  g() { echo "$m" | sed -n "s/.*\"$1\" : \"\([^\"]*\)\".*/\1/p"; }
  t3=$(now)
  ff -i "$WORK/n2.wav" -af "loudnorm=I=-16:TP=-1:LRA=11:measured_I=$(g input_i):measured_TP=$(g input_tp):measured_LRA=$(g input_lra):measured_thresh=$(g input_thresh):offset=$(g target_offset):linear=true" -ar 44100 "$WORK/n3.wav"; t4=$(now)
  ff -i "$WORK/n3.wav" -c:a libmp3lame -b:a 128k "$WORK/naive.mp3"; t5=$(now)
  naive=$(secs "$t0" "$t5")
  printf 'run %d naive: afftdn %.1f s, silenceremove %.1f s, loudnorm measure %.1f s, loudnorm apply %.1f s, mp3 %.1f s = %.1f s; %s\n' "$run" \
    "$(secs "$t0" "$t1")" "$(secs "$t1" "$t2")" "$(secs "$t2" "$t3")" "$(secs "$t3" "$t4")" "$(secs "$t4" "$t5")" "$naive" \
    "$(loud "$WORK/naive.mp3" | awk '{printf "%s LUFS, %s dBTP", $1, $2}')"

  # Kiln: the pipeline's own processing steps (analyze + process + encode, which includes the check of the MP3 and the
  # peaks); the tag step and the CLI's start and upload checks are reported apart.
  rm -rf "$WORK/kiln"
  t0=$(now)
  $KILN run podcast-episode "$WORK/noisy.wav" -o transcribe=false -o chapters=false -o showNotes=false --out "$WORK/kiln" > "$WORK/kiln.log" 2>&1 || { cat "$WORK/kiln.log"; exit 1; }
  t1=$(now)
  read -r analyze process encode tag < <(/usr/bin/python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["stepSeconds"]; print(s["analyze"], s["process"]-s["analyze"], s["encode"], s["tag"])' "$WORK/kiln/episode.json")
  kiln=$(echo "$analyze + $process + $encode" | bc)
  printf 'run %d kiln:  analyze %.1f s, process %.1f s, encode+check+peaks %.1f s = %.1f s (tag %.1f s; whole kiln run %.1f s); %s; ratio %.2f\n' "$run" \
    "$analyze" "$process" "$encode" "$kiln" "$tag" "$(secs "$t0" "$t1")" "$(loud "$WORK/kiln/episode.mp3" | awk '{printf "%s LUFS, %s dBTP", $1, $2}')" \
    "$(echo "$kiln / $naive" | bc -l)"
  K_TIMES+=("$kiln"); N_TIMES+=("$naive")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
km=$(median "${K_TIMES[@]}"); nm=$(median "${N_TIMES[@]}")
printf 'median of %d runs: kiln %.1f s, naive %.1f s, ratio %.2f\n' "$RUNS" "$km" "$nm" "$(echo "$km / $nm" | bc -l)"
printf 'loudness error (last run, target -16): kiln %s LU, naive %s LU\n' \
  "$(loud "$WORK/kiln/episode.mp3" | awk '{printf "%+.1f", $1 + 16}')" "$(loud "$WORK/naive.mp3" | awk '{printf "%+.1f", $1 + 16}')"
echo "durations: input $(ffprobe -v error -show_entries format=duration -of csv=p=0 "$WORK/noisy.wav") s, kiln $(ffprobe -v error -show_entries format=duration -of csv=p=0 "$WORK/kiln/episode.mp3") s, naive $(ffprobe -v error -show_entries format=duration -of csv=p=0 "$WORK/naive.mp3") s"

# Transcription: the pipeline's transcribe step (the default engine, pocketsphinx) on ASR_BLOCKS blocks of the script;
# the engine hears the cut but otherwise unprocessed timeline the process pass writes for it.
secs_asr=$(echo "$BLOCK * $ASR_BLOCKS" | bc)
noisy "$secs_asr" "$WORK/asr-in.wav"
$KILN run podcast-episode "$WORK/asr-in.wav" -o chapters=false -o showNotes=false --out "$WORK/asr" > /dev/null 2>&1
for b in $(seq 1 "$ASR_BLOCKS"); do printf '%s\n' "${SCRIPT[@]}"; done > "$WORK/ref.txt"
/usr/bin/python3 - "$WORK/ref.txt" "$WORK/asr" <<'EOF'
import json, re, sys
norm = lambda t: re.sub(r"[^a-z' ]", " ", t.lower()).split()
ref = norm(open(sys.argv[1]).read())
hyp = norm(" ".join(s["body"] for s in json.load(open(sys.argv[2] + "/transcript.json"))["segments"]))
d = list(range(len(hyp) + 1))
for i, r in enumerate(ref, 1):
    prev, d[0] = d[0], i
    for j, h in enumerate(hyp, 1):
        prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (r != h))
m = json.load(open(sys.argv[2] + "/episode.json"))
took, audio = m["stepSeconds"]["transcribe"], m["durationSeconds"]
print(f"transcribe step ({m['transcript']['engine']}) on {audio:.0f} s of kiln's timeline, {len(ref)} words: real-time factor {took / audio:.2f}, WER {d[-1] / len(ref):.1%}")
EOF
