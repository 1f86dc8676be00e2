#!/usr/bin/env bash
# Kiln's two commands: `./kiln.sh up` (serve the embedded default) and `./kiln.sh test` (the whole suite).
# Also: `./kiln.sh worker` (a worker process), `./kiln.sh cli …` (the kiln CLI), `./kiln.sh deps` (install tools).
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)

APT_PACKAGES=(postgresql ffmpeg poppler-utils qpdf espeak-ng festival festvox-us-slt-hts chromium python3)
need_tools() {
  local missing=()
  command -v pdftotext >/dev/null || missing+=(poppler-utils)
  command -v qpdf >/dev/null || missing+=(qpdf)
  command -v ffmpeg >/dev/null || missing+=(ffmpeg)
  command -v espeak-ng >/dev/null || missing+=(espeak-ng)
  # festival's HTS voice is the second podcast host's voice (espeak-ng stands in without it).
  command -v text2wave >/dev/null || missing+=(festival festvox-us-slt-hts)
  # The example command pipelines (and their tests) run /usr/bin/python3.
  [ -x /usr/bin/python3 ] || missing+=(python3)
  [ "${1:-}" = test ] && { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql); }
  [ "${1:-}" = test ] && { command -v chromium >/dev/null || missing+=(chromium); }
  [ "${1:-}" = test ] && { command -v node >/dev/null || missing+=(nodejs npm); }
  # Speech to text (podcast transcripts, dubbing, study notes) and offline translation (dubbing).
  command -v pocketsphinx_continuous >/dev/null || missing+=(pocketsphinx pocketsphinx-en-us)
  command -v apertium >/dev/null || missing+=(apertium apertium-eng-spa apertium-eng-cat apertium-en-gl apertium-fr-es)
  # Video links (study notes) and HTML to PDF (note export).
  command -v yt-dlp >/dev/null || missing+=(yt-dlp)
  command -v weasyprint >/dev/null || missing+=(weasyprint)
  # The scale-out test puts two web processes behind nginx; promtool checks the alert rules.
  [ "${1:-}" = test ] && { command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx); }
  [ "${1:-}" = test ] && { command -v promtool >/dev/null || missing+=(prometheus); }
  echo "${missing[@]:-}"
}

deps() {
  local missing; missing=$(need_tools "${1:-}")
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" = 0 ]; then
    echo "==> Installing Debian packages: $missing"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null; }
  else
    echo "Missing tools: $missing — run: sudo apt-get install -y $missing" >&2
    exit 1
  fi
}

npm_deps() {
  local p missing=0
  for p in s3rver axe-core maildev oauth2-mock-server podcast-partytime wavesurfer.js; do
    [ -d "node_modules/$p" ] || missing=1
  done
  if [ "$missing" = 1 ]; then
    echo "==> Installing npm packages (test peers and the bundled player)"
    npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1 || npm install --no-audit --no-fund --loglevel=error
  fi
}

case "${1:-help}" in
  up)
    deps up
    echo "==> Building"
    dotnet build src/Kiln.Web -c Release -v quiet -nologo >/dev/null
    dotnet build src/Kiln.Cli -c Release -v quiet -nologo >/dev/null
    mkdir -p data
    export Kiln__Database__ConnectionString="${Kiln__Database__ConnectionString:-Data Source=$ROOT/data/kiln.db}"
    export Kiln__Storage__LocalPath="${Kiln__Storage__LocalPath:-$ROOT/data/blobs}"
    URL="${KILN_URLS:-http://127.0.0.1:8080}"
    export Kiln__Storage__PublicBaseUrl="${Kiln__Storage__PublicBaseUrl:-$URL}"
    echo "==> Migrating"
    dotnet src/Kiln.Cli/bin/Release/net10.0/kiln.dll migrate
    if [ ! -f data/admin-password.txt ]; then
      pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
      dotnet src/Kiln.Cli/bin/Release/net10.0/kiln.dll admin create --email admin@kiln.local --password "$pw" >/dev/null
      echo "$pw" > data/admin-password.txt; chmod 600 data/admin-password.txt
    fi
    cat <<MSG

  Kiln is starting on $URL
  - Sign up at $URL/signup (new accounts get free credits), or
  - sign in as the operator: admin@kiln.local / $(cat data/admin-password.txt)   (stored in data/admin-password.txt)
  API docs: $URL/docs    Metrics: /metrics    Stop with Ctrl+C.

MSG
    exec dotnet src/Kiln.Web/bin/Release/net10.0/Kiln.Web.dll --urls "$URL" --contentRoot "$ROOT/src/Kiln.Web"
    ;;
  worker)
    dotnet build src/Kiln.Worker -c Release -v quiet -nologo >/dev/null
    exec dotnet src/Kiln.Worker/bin/Release/net10.0/Kiln.Worker.dll
    ;;
  cli)
    shift
    dotnet build src/Kiln.Cli -c Release -v quiet -nologo >/dev/null
    exec dotnet src/Kiln.Cli/bin/Release/net10.0/kiln.dll "$@"
    ;;
  deps)
    deps test; npm_deps
    ;;
  test)
    shift || true
    deps test
    npm_deps
    echo "==> Building"
    dotnet build Kiln.slnx -c Debug -v quiet -nologo
    status=0
    for project in tests/Kiln.Core.Tests tests/Kiln.IntegrationTests tests/Kiln.BrowserTests; do
      echo "==> Testing $project"
      dotnet test "$project" --no-build -v quiet -nologo --logger "console;verbosity=minimal" "$@" || status=1
    done
    # --- Container smoke test (deploy/smoke.sh): both images built, the compose stack up, a pdf-podcast journey. ---
    if [ "${KILN_SKIP_SMOKE:-0}" = 1 ]; then
      echo "==> Container smoke test skipped: KILN_SKIP_SMOKE=1"
    elif [ "$(id -u)" != 0 ]; then
      echo "==> Container smoke test skipped: it needs root (podman here runs rootful)"
    elif ! command -v podman >/dev/null; then
      echo "==> Container smoke test skipped: podman is not installed (apt-get install podman; deploy/podman-setup.sh does the rest)"
    else
      echo "==> Container smoke test (deploy/smoke.sh)"
      deploy/smoke.sh || status=1
    fi
    # --- end of the container smoke test ---
    exit $status
    ;;
  *)
    echo "usage: ./kiln.sh up | test | worker | cli <args> | deps"; exit 2
    ;;
esac
