#!/bin/bash
# Loudness report for an audio or video file: integrated loudness (LUFS), loudness range (LU) and true peak
# (dBTP), measured with ffmpeg's EBU R128 filter, compared with a target. A Kiln command pipeline: it speaks the
# JSON-lines protocol on stdout (docs/pipelines.md, "Command pipelines") and writes report.json and report.md.
#
#   loudness-report.sh INPUT OUTPUT_DIR [--target=-16] [--max-peak=-1]
#
# Needs bash, ffmpeg/ffprobe and awk.
set -euo pipefail

json_string() {
    # A JSON string literal: escapes backslash, quote and the common control characters, drops the others.
    local s=$1
    s=${s//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\n'/\\n}; s=${s//$'\r'/\\r}; s=${s//$'\t'/\\t}
    s=$(printf '%s' "$s" | tr -d '\000-\037')
    printf '"%s"' "$s"
}
progress() { printf '{"type":"progress","percent":%d,"step":"%s","message":%s}\n' "$1" "$2" "$(json_string "$3")"; }
log() { printf '{"type":"log","line":%s}\n' "$(json_string "$1")"; }
fail() { printf '{"type":"error","code":"%s","message":%s,"transient":false}\n' "$1" "$(json_string "$2")"; exit 1; }
artifact() { printf '{"type":"artifact","path":%s,"name":"%s","contentType":"%s"}\n' "$(json_string "$1")" "$2" "$3"; }
is_number() { [[ $1 =~ ^-?[0-9]+(\.[0-9]+)?$ ]]; }

input=${1:-}
out=${2:-}
[[ -n $input && -n $out ]] || fail usage "Usage: loudness-report.sh INPUT OUTPUT_DIR [--target=LUFS] [--max-peak=dBTP]"
shift 2
target=-16
max_peak=-1
for arg in "$@"; do
    case $arg in
        --target=*) target=${arg#*=} ;;
        --max-peak=*) max_peak=${arg#*=} ;;
        *) fail usage "Unknown argument: $arg" ;;
    esac
done
is_number "$target" || fail invalid_target "The target loudness must be a number of LUFS."
is_number "$max_peak" || fail invalid_max_peak "The maximum true peak must be a number of dBTP."
[[ -f $input ]] || fail missing_input "The input file does not exist."
mkdir -p "$out"

progress 5 probe "Reading the file"
if ! streams=$(ffprobe -v error -select_streams a -show_entries stream=index -of csv=p=0 "$input" 2>/dev/null); then
    fail unreadable_media "The file could not be read as audio or video."
fi
[[ -n $streams ]] || fail no_audio "The file has no audio stream."
duration=$(ffprobe -v error -show_entries format=duration -of default=nw=1:nk=1 "$input" 2>/dev/null || true)
duration_us=0
is_number "$duration" && duration_us=$(awk -v d="$duration" 'BEGIN { printf "%d", d * 1000000 }')
log "Duration: ${duration:-unknown} s"

progress 10 measure "Measuring loudness"
measure_log=$(mktemp)
trap 'rm -f "$measure_log"' EXIT
last=10
# -progress writes key=value lines to stdout while the filter's summary goes to stderr (the log file).
if ! ffmpeg -hide_banner -nostdin -nostats -i "$input" -map 0:a:0 -af ebur128=peak=true -f null - -progress pipe:1 2>"$measure_log" \
    | while IFS='=' read -r key value; do
        if [[ $key == out_time_us && $value =~ ^[0-9]+$ && $duration_us -gt 0 ]]; then
            percent=$(( 10 + 80 * value / duration_us ))
            (( percent > 90 )) && percent=90
            if (( percent >= last + 5 )); then progress "$percent" measure "Measuring loudness"; last=$percent; fi
        fi
    done; then
    fail measure_failed "ffmpeg could not measure the loudness of this file."
fi
grep -q 'Summary:' "$measure_log" || fail measure_failed "ffmpeg could not measure the loudness of this file."

# The summary block: "I: -20.7 LUFS", "LRA: 4.1 LU", "Peak: -1.3 dBFS" (the true peak with peak=true).
summary=$(sed -n '/Summary:/,$p' "$measure_log")
value_of() { awk -v k="$1" '$1 == k { print $2; exit }' <<<"$summary"; }
integrated=$(value_of "I:")
lra=$(value_of "LRA:")
peak=$(value_of "Peak:")
is_number "$integrated" || fail measure_failed "ffmpeg gave no integrated loudness for this file."
is_number "$lra" || lra=0
# Silence measures -inf; JSON has no infinity, so it becomes null.
peak_json=$peak; is_number "$peak" || peak_json=null

progress 92 report "Writing the report"
read -r gain within peak_ok < <(awk -v i="$integrated" -v t="$target" -v p="$peak" -v m="$max_peak" 'BEGIN {
    g = t - i; within = (g <= 1 && g >= -1) ? "true" : "false"
    ok = (p == "-inf" || p + 0 <= m + 0) ? "true" : "false"
    printf "%.1f %s %s\n", g, within, ok }')
name=$(basename -- "$input")
cat > "$out/report.json" <<JSON
{
  "file": $(json_string "$name"),
  "durationSeconds": $(is_number "$duration" && printf '%s' "$duration" || printf null),
  "integratedLufs": $integrated,
  "loudnessRangeLu": $lra,
  "truePeakDbtp": $peak_json,
  "targetLufs": $target,
  "maxTruePeakDbtp": $max_peak,
  "gainToTargetDb": $gain,
  "withinTarget": $within,
  "truePeakOk": $peak_ok
}
JSON

verdict() { [[ $1 == true ]] && printf 'yes' || printf 'no'; }
cat > "$out/report.md" <<MD
# Loudness report: $name

| Measure | Value |
|---|---|
| Integrated loudness | $integrated LUFS |
| Loudness range | $lra LU |
| True peak | $peak dBTP |
| Duration | ${duration:-unknown} s |

- Target: $target LUFS ±1 LU — within target: **$(verdict "$within")** (gain to reach it: $gain dB)
- Maximum true peak: $max_peak dBTP — true peak within it: **$(verdict "$peak_ok")**

Measured with ffmpeg's EBU R128 filter (\`ebur128=peak=true\`).
MD

artifact "$out/report.json" report.json application/json
artifact "$out/report.md" report.md text/markdown
progress 100 done "Integrated $integrated LUFS, range $lra LU, true peak $peak dBTP"
