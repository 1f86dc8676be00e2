#!/usr/bin/env bash
# Makes this Debian 12 machine build and run Kiln's images with podman, without any container registry:
#   1. installs podman, runc, podman-compose, debootstrap, the CNI dnsname plugin (service names resolve inside a
#      compose network) and jq/curl for the smoke test;
#   2. configures podman: runc (crun refuses a hybrid cgroup layout) and default ulimits no higher than this
#      machine's hard limits (otherwise every `podman run` fails with "setrlimit … Operation not permitted");
#   3. builds localhost/debian:bookworm with debootstrap from the machine's own apt mirror
#      (also tagged docker.io/library/debian:bookworm, which deploy/compose/Dockerfile.services starts from);
#   4. builds stand-ins for mcr.microsoft.com/dotnet/{sdk,aspnet,runtime}:<major.minor> from the host's .NET
#      install, tagged with the official names, so deploy/Dockerfile.* build unchanged. The host's extra CA
#      certificates (an HTTPS egress proxy's) are baked in so NuGet restores inside builds.
# Idempotent: each step is skipped when its result is already there (FORCE=1 redoes the images).
# Run as root. Env: WORK (scratch dir; default a temp dir), MIRROR (Debian mirror URL), SKIP_APT=1,
#   CONTAINERS_CONF (default /etc/containers/containers.conf), NICE_LEVEL (default 10).
# The stand-ins are for this machine only: never push them anywhere. Elsewhere, the official images are pulled.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "podman-setup.sh: run as root (rootless podman needs subuid ranges this machine lacks)" >&2; exit 1; }
NICE="nice -n ${NICE_LEVEL:-10}"
t0=$(date +%s); lap() { echo "[podman-setup $(( $(date +%s) - t0 ))s] $*"; }
OWN_WORK=0
if [ -z "${WORK:-}" ]; then WORK=$(mktemp -d /tmp/kiln-podman-setup.XXXXXX); OWN_WORK=1; fi
mkdir -p "$WORK"
cleanup() { if [ "$OWN_WORK" = 1 ]; then rm -rf "$WORK"; fi; }
trap cleanup EXIT

# --- 1. packages ----------------------------------------------------------------------------
if [ "${SKIP_APT:-0}" != 1 ]; then
  want=(podman runc podman-compose debootstrap golang-github-containernetworking-plugin-dnsname jq curl)
  missing=()
  for p in "${want[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive $NICE apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive $NICE apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }
    lap "installed ${missing[*]}"
  fi
fi

# --- 2. podman configuration ----------------------------------------------------------------
nofile=$(ulimit -Hn); nproc=$(ulimit -Hu)
if [ "$nofile" = unlimited ] || [ "$nofile" -gt 1048576 ]; then nofile=1048576; fi
if [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ]; then nproc=32768; fi
conf=${CONTAINERS_CONF:-/etc/containers/containers.conf}
wanted_conf="# Written by Kiln's deploy/podman-setup.sh
[containers]
default_ulimits = [\"nofile=$nofile:$nofile\", \"nproc=$nproc:$nproc\"]

[engine]
runtime = \"runc\""
if [ ! -f "$conf" ] || [ "$(cat "$conf")" != "$wanted_conf" ]; then
  mkdir -p "$(dirname "$conf")"
  if [ -f "$conf" ]; then cp "$conf" "$conf.before-kiln"; fi
  printf '%s\n' "$wanted_conf" > "$conf"
  lap "podman configuration written to $conf (runc; nofile=$nofile nproc=$nproc)"
fi

# --- 3. Debian base image -------------------------------------------------------------------
if [ "${FORCE:-0}" = 1 ] || ! podman image exists localhost/debian:bookworm; then
  MIRROR=${MIRROR:-$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)}
  [ -n "$MIRROR" ] || MIRROR=$(awk '$1=="deb" && $3=="bookworm" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [ -n "$MIRROR" ] || { echo "no Debian mirror found in the apt sources; set MIRROR" >&2; exit 1; }
  rootfs="$WORK/rootfs"
  rm -rf "$rootfs"
  $NICE debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR" > "$WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap.log" >&2; exit 1; }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/lib/apt/lists/*
  printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s/debian-security bookworm-security main\n' \
    "$MIRROR" "$MIRROR" "${MIRROR%/debian}" > "$rootfs/etc/apt/sources.list"
  tar -C "$rootfs" -c . | $NICE podman import --change 'CMD ["/bin/bash"]' - localhost/debian:bookworm >/dev/null
  rm -rf "$rootfs"
  lap "localhost/debian:bookworm imported (debootstrap from $MIRROR)"
fi
podman tag localhost/debian:bookworm docker.io/library/debian:bookworm docker.io/library/debian:bookworm-slim

# --- 4. .NET stand-in images ----------------------------------------------------------------
command -v dotnet >/dev/null || { echo "no dotnet on PATH: cannot build the .NET stand-in images" >&2; exit 1; }
dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
tag=$(dotnet --list-runtimes | awk '/^Microsoft.NETCore.App /{split($2,v,"."); t=v[1]"."v[2]} END{print t}')
sdk_version=$(dotnet --version)
have=$(podman image inspect --format '{{index .Labels "kiln.dotnet-sdk"}}' "mcr.microsoft.com/dotnet/sdk:$tag" 2>/dev/null || true)
if [ "${FORCE:-0}" = 1 ] || [ "$have" != "$sdk_version" ] || ! podman image exists "mcr.microsoft.com/dotnet/aspnet:$tag"; then
  ctx="$WORK/dotnet-ctx"; mkdir -p "$ctx/no-ca"
  cadir=/usr/local/share/ca-certificates   # extra CAs the host trusts (an HTTPS egress proxy's); may be empty
  [ -d "$cadir" ] || cadir="$ctx/no-ca"
  cat > "$ctx/deps.Dockerfile" <<'DOCKERFILE'
FROM localhost/debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates libicu72 libssl3 tzdata \
 && (find /hostca -name '*.crt' -exec cp {} /usr/local/share/ca-certificates/ \; 2>/dev/null || true) && update-ca-certificates >/dev/null \
 && groupadd --system --gid=1654 app && useradd --uid=1654 --gid=1654 --shell /bin/false --no-create-home --system app \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
ENV DOTNET_RUNNING_IN_CONTAINER=true APP_UID=1654
DOCKERFILE
  cat > "$ctx/aspnet.Dockerfile" <<'DOCKERFILE'
FROM localhost/kiln-dotnet-deps
RUN mkdir -p /usr/share/dotnet/shared \
 && cp -a /hostdotnet/dotnet /hostdotnet/host /usr/share/dotnet/ \
 && (cp -a /hostdotnet/LICENSE.txt /usr/share/dotnet/ 2>/dev/null || true) \
 && cp -a /hostdotnet/shared/Microsoft.NETCore.App /hostdotnet/shared/Microsoft.AspNetCore.App /usr/share/dotnet/shared/ \
 && ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
ENV ASPNETCORE_HTTP_PORTS=8080
DOCKERFILE
  cat > "$ctx/sdk.Dockerfile" <<'DOCKERFILE'
FROM localhost/kiln-dotnet-deps
RUN apt-get update && apt-get install -y --no-install-recommends curl git && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && cp -a /hostdotnet /usr/share/dotnet && ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 NUGET_XMLDOC_MODE=skip
DOCKERFILE
  mounts=(-v "$dotnet_root:/hostdotnet:ro" -v "$cadir:/hostca:ro")
  label=(--label "kiln.dotnet-sdk=$sdk_version")
  $NICE podman build -q "${mounts[@]}" -f "$ctx/deps.Dockerfile" -t localhost/kiln-dotnet-deps "$ctx" >/dev/null
  $NICE podman build -q "${mounts[@]}" "${label[@]}" -f "$ctx/aspnet.Dockerfile" -t "mcr.microsoft.com/dotnet/aspnet:$tag" "$ctx" >/dev/null
  podman tag "mcr.microsoft.com/dotnet/aspnet:$tag" "mcr.microsoft.com/dotnet/runtime:$tag"
  lap "mcr.microsoft.com/dotnet/{aspnet,runtime}:$tag stand-ins built from $dotnet_root"
  $NICE podman build -q "${mounts[@]}" "${label[@]}" -f "$ctx/sdk.Dockerfile" -t "mcr.microsoft.com/dotnet/sdk:$tag" "$ctx" >/dev/null
  lap "mcr.microsoft.com/dotnet/sdk:$tag stand-in built (SDK $sdk_version)"
fi
lap "ready: localhost/debian:bookworm, mcr.microsoft.com/dotnet/{sdk,aspnet,runtime}:$tag"
