#!/usr/bin/env bash
# Container smoke test: builds both Kiln images with the unchanged Dockerfiles, starts deploy/compose.yaml
# (PostgreSQL, the S3 store, two web processes behind nginx, two workers, Prometheus) as a throwaway podman-compose
# project on free loopback ports, and walks the journey a user and an operator would:
#   sign up → API key → upload a PDF through presigned links to the store's public address (nginx's S3 port; the
#   bucket's CORS rule answers the browser's preflight) → run pdf-podcast (only the worker containers run jobs) →
#   download every artifact through its presigned link and check its SHA-256 → the objects are in the S3 volume, not
#   on the local one → the job in /metrics (scraped over the compose network WITH the token, refused without it) →
#   Prometheus has every target up and the finished job in its series. The local-disk mode
#   (KILN_STORAGE_PROVIDER=Local) is checked by how compose resolves it, not run again (it would double the time).
# Then `down -t 2`, and the containers, volumes and network are removed (trap, also on failure).
# Run as root (./kiln.sh test does, when podman is available). Budget: about 8 minutes on a fresh machine, most of
# it the one-time podman setup and the first image builds; later runs reuse the layers.
# Env: KILN_SMOKE_KEEP=1 leaves the stack running for inspection; KILN_SMOKE_SKIP_SETUP=1 skips podman-setup.sh;
# KILN_IMAGE_TAG (default latest) tags the images it builds and runs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
t0=$(date +%s); lap() { echo "[smoke $(( $(date +%s) - t0 ))s] $*"; }
fail() { echo "[smoke] FAILED: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "run as root (podman here is rootful)"
command -v podman >/dev/null && command -v podman-compose >/dev/null || fail "podman and podman-compose are needed (deploy/podman-setup.sh installs them)"
if [ "${KILN_SMOKE_SKIP_SETUP:-0}" != 1 ]; then deploy/podman-setup.sh; fi
for tool in curl jq sha256sum; do command -v $tool >/dev/null || fail "$tool is missing"; done

PROJECT=kiln-smoke-$$
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
export KILN_HTTP_PORT=$(free_port) KILN_PROMETHEUS_PORT=$(free_port) KILN_S3_PORT=$(free_port) KILN_BIND=127.0.0.1
export KILN_PUBLIC_URL="http://127.0.0.1:$KILN_HTTP_PORT" KILN_S3_PUBLIC_URL="http://127.0.0.1:$KILN_S3_PORT"
export KILN_POSTGRES_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
export KILN_METRICS_TOKEN=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
export KILN_BLOB_SIGNING_KEY=$(head -c 32 /dev/urandom | base64)
export KILN_IMAGE_TAG=${KILN_IMAGE_TAG:-latest} KILN_STORAGE_PROVIDER=S3
BASE=$KILN_PUBLIC_URL
compose() { podman-compose ${COMPOSE_OPTS:-} -p "$PROJECT" -f deploy/compose.yaml "$@"; }
container() { podman ps -a --filter "label=io.podman.compose.project=$PROJECT" --filter "label=com.docker.compose.service=$1" --format '{{.Names}}' | head -1; }
logs_dir=$(mktemp -d /tmp/kiln-smoke-logs.XXXXXX)

cleanup() {
  local rc=$?
  if [ $rc -ne 0 ]; then
    echo "[smoke] container logs (last lines) — full logs in $logs_dir" >&2
    for s in web-1 web-2 worker-1 worker-2 proxy postgres s3 prometheus; do
      c=$(container $s 2>/dev/null || true); [ -n "$c" ] || continue
      podman logs "$c" > "$logs_dir/$s.log" 2>&1 || true
      echo "--- $s" >&2; tail -15 "$logs_dir/$s.log" >&2
    done
  fi
  if [ "${KILN_SMOKE_KEEP:-0}" = 1 ]; then echo "[smoke] KILN_SMOKE_KEEP=1: project $PROJECT left running on $BASE"; return; fi
  compose down -t 2 >/dev/null 2>&1 || true
  podman ps -aq --filter "label=io.podman.compose.project=$PROJECT" | xargs -r podman rm -f >/dev/null 2>&1 || true
  podman volume ls -q --filter "label=io.podman.compose.project=$PROJECT" | xargs -r podman volume rm -f >/dev/null 2>&1 || true
  podman network rm -f "${PROJECT}_default" >/dev/null 2>&1 || true
  [ $rc -eq 0 ] && rm -rf "$logs_dir"
  lap "cleaned up project $PROJECT"
}
trap cleanup EXIT

# --- images -------------------------------------------------------------------------------------------
build() { # image dockerfile context [podman build options…]
  if ! nice -n 10 podman build --layers "${@:4}" -t "$1" -f "$2" "$3" > "$logs_dir/build-${1##*/}.log" 2>&1; then
    tail -40 "$logs_dir/build-${1##*/}.log" >&2; fail "podman build $1 failed"
  fi
  lap "built $1"
}
build "localhost/kiln-services:$KILN_IMAGE_TAG" deploy/compose/Dockerfile.services deploy/compose
# npm inside the build trusts the host's extra CAs (an HTTPS egress proxy's), when there are any.
ca_mount=(); [ -d /usr/local/share/ca-certificates ] && ca_mount=(-v /usr/local/share/ca-certificates:/hostca:ro)
build "localhost/kiln-s3:$KILN_IMAGE_TAG" deploy/compose/Dockerfile.s3 deploy/compose "${ca_mount[@]}"
build "localhost/kiln-web:$KILN_IMAGE_TAG" deploy/Dockerfile.web .
build "localhost/kiln-worker:$KILN_IMAGE_TAG" deploy/Dockerfile.worker .

# --- stack -------------------------------------------------------------------------------------------
# The shared blob volume belongs to the images' unprivileged user (uid 1654).
podman volume create --label "io.podman.compose.project=$PROJECT" "${PROJECT}_blobs" >/dev/null
blob_volume=$(podman volume inspect --format '{{.Mountpoint}}' "${PROJECT}_blobs")
# HOME=/data/home holds the file Data Protection key ring the web processes share on this machine.
mkdir -p "$blob_volume/home" && chown -R 1654:1654 "$blob_volume"
compose up -d --no-build postgres > "$logs_dir/up.log" 2>&1 || { cat "$logs_dir/up.log" >&2; fail "compose up postgres"; }
pg=$(container postgres)
for _ in $(seq 1 60); do
  podman exec "$pg" runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_isready -q -h /run/postgresql -U kiln 2>/dev/null && \
    podman exec "$pg" runuser -u postgres -- psql -h /run/postgresql -U kiln -d kiln -Atc 'select 1' >/dev/null 2>&1 && break
  sleep 1
done
podman exec "$pg" runuser -u postgres -- psql -h /run/postgresql -U kiln -d kiln -Atc 'select 1' >/dev/null || fail "PostgreSQL did not start"
lap "PostgreSQL ready"
compose up -d --no-build >> "$logs_dir/up.log" 2>&1 || { cat "$logs_dir/up.log" >&2; fail "compose up"; }
ready=0
for _ in $(seq 1 120); do
  if curl -fsS -o /dev/null "$BASE/health/ready" 2>/dev/null; then ready=1; break; fi
  sleep 1
done
[ $ready = 1 ] || fail "$BASE/health/ready did not answer 200 within 120 s"
lap "stack up: nginx on $BASE answers /health/ready"

# --- the journey -------------------------------------------------------------------------------------
api() { # method path [json-body] — through nginx, with the API key once there is one
  local auth=(); [ -n "${AUTH:-}" ] && auth=(-H "Authorization: Bearer $AUTH")
  if [ $# -ge 3 ]; then curl -sS -X "$1" "${auth[@]}" -H 'Content-Type: application/json' --data "$3" -w '\n%{http_code}' "$BASE$2"
  else curl -sS -X "$1" "${auth[@]}" -w '\n%{http_code}' "$BASE$2"; fi
}
expect() { # status response → body
  local body status; status=$(printf '%s' "$2" | tail -1); body=$(printf '%s' "$2" | sed '$d')
  [ "$status" = "$1" ] || fail "expected HTTP $1, got $status: $body"
  printf '%s' "$body"
}
email="smoke-$$@example.test"; password="Smoke-test-$(head -c 6 /dev/urandom | base64 | tr -d '/+=')9!"
AUTH=""
expect 201 "$(api POST /api/auth/register "{\"email\":\"$email\",\"password\":\"$password\"}")" >/dev/null
# An API key from the bearer token (a token from one web process must work on the other: shared key ring).
key=""
for _ in 1 2 3; do
  token=$(expect 200 "$(api POST /api/auth/login "{\"email\":\"$email\",\"password\":\"$password\"}")" | jq -r .accessToken)
  resp=$(AUTH=$token api POST /api/api-keys '{"name":"smoke"}')
  if [ "$(printf '%s' "$resp" | tail -1)" = 201 ]; then key=$(printf '%s' "$resp" | sed '$d' | jq -r .key); break; fi
  echo "[smoke] warning: the bearer token was refused by the other web process ($(printf '%s' "$resp" | tail -1)); retrying" >&2
done
[ -n "$key" ] && [ "$key" != null ] || fail "could not create an API key"
AUTH=$key
lap "signed up $email, API key created"

pdf=deploy/smoke/book.pdf
size=$(stat -c %s "$pdf")
created=$(expect 201 "$(api POST /api/uploads "{\"fileName\":\"book.pdf\",\"size\":$size,\"contentType\":\"application/pdf\"}")")
upload=$(jq -r .id <<<"$created"); part_size=$(jq -r .partSize <<<"$created")
# Presigned for the store's public address (Kiln:Storage:S3:PublicServiceUrl), not compose's internal http://s3:9000.
jq -r '.parts[].url' <<<"$created" | grep -qv "^$KILN_S3_PUBLIC_URL/" && fail "an upload part link does not point at $KILN_S3_PUBLIC_URL: $(jq -c '.parts[0].url' <<<"$created")"
# What a browser asks before a cross-origin PUT: the bucket's CORS rule allows Kiln's origin, and only it.
preflight() { curl -sS -X OPTIONS -o /dev/null -w '%{http_code}' -H "Origin: $1" -H 'Access-Control-Request-Method: PUT' \
  -H 'Access-Control-Request-Headers: content-type' "$(jq -r '.parts[0].url' <<<"$created")"; }
[ "$(preflight "$BASE")" = 200 ] || fail "the S3 store refused the CORS preflight from $BASE"
[ "$(preflight http://elsewhere.example)" = 403 ] || fail "the S3 store allowed a CORS preflight from another origin"
parts="[]"
while read -r n url; do
  offset=$(( (n - 1) * part_size ))
  headers=$(tail -c +$((offset + 1)) "$pdf" | head -c "$part_size" | curl -fsS -X PUT -H "Origin: $BASE" --data-binary @- -D - -o /dev/null "$url" | tr -d '\r')
  # A browser may read the ETag only when the store exposes it to Kiln's origin.
  grep -qi "^access-control-expose-headers:.*etag" <<<"$headers" && grep -qi "^access-control-allow-origin: $BASE$" <<<"$headers" \
    || fail "the part upload's response does not expose ETag to $BASE: $headers"
  etag=$(awk 'tolower($1)=="etag:"{print $2}' <<<"$headers")
  parts=$(jq -c --argjson n "$n" --arg e "$etag" '. + [{partNumber: $n, etag: $e}]' <<<"$parts")
done < <(jq -r '.parts[] | "\(.partNumber) \(.url)"' <<<"$created")
status=$(expect 200 "$(api POST "/api/uploads/$upload/complete" "{\"parts\":$parts}")" | jq -r .status)
[ "$status" = ready ] || fail "the upload is $status, not ready"
lap "uploaded $pdf ($size bytes) through presigned links on $KILN_S3_PUBLIC_URL (nginx → s3); CORS preflight allowed"

job=$(expect 201 "$(api POST /api/jobs "{\"pipeline\":\"pdf-podcast\",\"uploads\":[\"$upload\"],\"options\":{}}")" | jq -r .id)
final=""
for _ in $(seq 1 240); do
  body=$(expect 200 "$(api GET "/api/jobs/$job")")
  final=$(jq -r .status <<<"$body")
  case $final in succeeded|failed|canceled) break ;; esac
  sleep 1
done
[ "$final" = succeeded ] || fail "pdf-podcast job $job ended $final: $(jq -c '{errorCode, errorMessage, waitingFor}' <<<"$body")"
lap "pdf-podcast job $job succeeded on a worker container"

artifacts=$(expect 200 "$(api GET "/api/jobs/$job/artifacts")")
count=$(jq length <<<"$artifacts"); [ "$count" -gt 0 ] || fail "the job has no artifacts"
jq -r '.[].downloadUrl' <<<"$artifacts" | grep -qv "^$KILN_S3_PUBLIC_URL/" && fail "an artifact link does not point at $KILN_S3_PUBLIC_URL: $(jq -c '.[0].downloadUrl' <<<"$artifacts")"
while read -r name url sha; do
  got=$(curl -fsS "$url" | sha256sum | cut -d' ' -f1)
  [ "$got" = "$(tr 'A-F' 'a-f' <<<"$sha")" ] || fail "artifact $name downloaded with another SHA-256"
done < <(jq -r '.[] | "\(.name) \(.downloadUrl) \(.sha256)"' <<<"$artifacts")
lap "downloaded $count artifacts ($(jq -r '[.[].name] | join(", ")' <<<"$artifacts")) through presigned links, SHA-256 verified"

# The bytes live in the store's volume (s3rver keeps objects as files), and nothing went to the local-disk volume.
s3_objects=$(podman exec "$(container s3)" find /data/kiln -type f -name '*._S3rver_object' | wc -l)
[ "$s3_objects" -ge $((count + 1)) ] || fail "the S3 volume holds $s3_objects objects, want the upload and $count artifacts"
[ ! -e "$blob_volume/blobs" ] || fail "blobs were written to the local volume in S3 mode: $(find "$blob_volume/blobs" -type f | head -3)"
# Local-disk mode stays one variable away: every Kiln service resolves to the Local store on the shared volume.
# (podman-compose 1.0 has no `config`; --dry-run prints the podman commands, and this project's volumes exist already.)
local_cfg=$(KILN_STORAGE_PROVIDER=Local COMPOSE_OPTS=--dry-run compose up -d --no-build 2>/dev/null | tr ' ' '\n')
[ "$(grep -c '^Kiln__Storage__Provider=Local$' <<<"$local_cfg")" = 4 ] || fail "KILN_STORAGE_PROVIDER=Local does not reach the 4 Kiln services"
[ "$(grep -c "^${PROJECT}_blobs:/data$" <<<"$local_cfg")" = 4 ] || fail "the Kiln services do not all mount the blobs volume"
lap "S3 volume holds $s3_objects objects, local volume none; KILN_STORAGE_PROVIDER=Local resolves for all 4 Kiln services"

# --- metrics -----------------------------------------------------------------------------------------
# Scraped from the Prometheus container over the compose network (not loopback): the token is what lets it in.
prom=$(container prometheus)
scrape() { podman exec "$prom" curl -sS -H "Authorization: Bearer $KILN_METRICS_TOKEN" "http://$1/metrics"; }
sum_of() { # metric-prefix label-filter… (reads stdin)
  local m=$1; shift; local text; text=$(grep "^$m{" || true)
  for f in "$@"; do text=$(grep -F "$f" <<<"$text" || true); done
  awk '{s += $NF} END {print s + 0}' <<<"$text"
}
refused=$(podman exec "$prom" curl -s -o /dev/null -w '%{http_code}' http://web-1:8080/metrics)
[ "$refused" = 401 ] || fail "web-1 /metrics without the token answered $refused, not 401"
created_jobs=$( (scrape web-1:8080; scrape web-2:8080) | sum_of kiln_jobs_created_total 'pipeline="pdf-podcast"')
finished_jobs=$( (scrape worker-1:9464; scrape worker-2:9464) | sum_of kiln_jobs_finished_total 'pipeline="pdf-podcast"' 'status="succeeded"')
[ "$created_jobs" = 1 ] || fail "kiln_jobs_created_total{pipeline=\"pdf-podcast\"} over both web processes is $created_jobs, not 1"
[ "$finished_jobs" = 1 ] || fail "kiln_jobs_finished_total{pipeline=\"pdf-podcast\",status=\"succeeded\"} over both workers is $finished_jobs, not 1"
lap "/metrics: the job is counted once on the web side (created) and once on the worker side (succeeded); no token → 401"

promq() { curl -fsS --get --data-urlencode "query=$1" "http://127.0.0.1:$KILN_PROMETHEUS_PORT/api/v1/query" | jq -r '.data.result[0].value[1] // "none"'; }
ok=0
for _ in $(seq 1 45); do
  up=$(promq 'sum(up{job=~"kiln-.*"})'); done_jobs=$(promq 'sum(kiln_jobs_finished_total{pipeline="pdf-podcast",status="succeeded"})')
  if [ "$up" = 4 ] && [ "$done_jobs" = 1 ]; then ok=1; break; fi
  sleep 2
done
[ $ok = 1 ] || fail "Prometheus: $up of 4 Kiln targets up, finished pdf-podcast jobs $done_jobs (want 4 and 1)"
lap "Prometheus scrapes all 4 Kiln processes with the token and has the job"
echo "[smoke] OK in $(( $(date +%s) - t0 )) s"
