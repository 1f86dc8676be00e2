#!/usr/bin/env bash
# Restores a backup made by deploy/backup.sh into an EMPTY (or disposable) database and blob store.
#
#   deploy/restore.sh /backups/kiln-20261206T011500Z
#
# Stop every Kiln web and worker process first, and start them again afterwards (they migrate forward if the backup
# is from an older release). Same variables as backup.sh: KILN_DATABASE_URL or PG*, and KILN_BLOB_DIR or
# KILN_S3_BUCKET [+ KILN_S3_ENDPOINT]. The database must exist (createdb); objects the dump contains are dropped
# and recreated (--clean --if-exists) in one transaction, so a failed restore leaves the database as it was.
# Blobs are copied back without deleting anything already in the store.
set -euo pipefail
src=${1:?usage: restore.sh <backup-folder made by backup.sh>}
[ -f "$src/database.dump" ] || { echo "$src/database.dump not found: not a Kiln backup folder" >&2; exit 1; }
PG_BIN=${PG_BIN:-}
pg() { if [ -n "$PG_BIN" ]; then "$PG_BIN/$1" "${@:2}"; else "$@"; fi; }
db_args=(); [ -n "${KILN_DATABASE_URL:-}" ] && db_args=(--dbname "$KILN_DATABASE_URL")
t0=$(date +%s); say() { echo "[restore $(( $(date +%s) - t0 ))s] $*"; }

# The dump must be the one the manifest describes (a truncated copy fails here, not half-way through).
if [ -f "$src/manifest.txt" ]; then
  expected=$(awk '$2=="database.dump"{print $1}' "$src/manifest.txt")
  actual=$(sha256sum "$src/database.dump" | cut -d' ' -f1)
  [ -z "$expected" ] || [ "$expected" = "$actual" ] || { echo "database.dump does not match manifest.txt (sha256)" >&2; exit 1; }
fi

pg pg_restore "${db_args[@]}" --clean --if-exists --no-owner --no-privileges --single-transaction --exit-on-error "$src/database.dump"
say "database restored"

if [ -d "$src/blobs" ]; then
  if [ -n "${KILN_BLOB_DIR:-}" ]; then
    mkdir -p "$KILN_BLOB_DIR"
    if command -v rsync >/dev/null; then rsync -a "$src/blobs"/ "$KILN_BLOB_DIR"/; else cp -a "$src/blobs"/. "$KILN_BLOB_DIR"/; fi
    say "blobs restored to $KILN_BLOB_DIR ($(find "$src/blobs" -type f | wc -l) files)"
  elif [ -n "${KILN_S3_BUCKET:-}" ]; then
    command -v aws >/dev/null || { echo "KILN_S3_BUCKET is set but the aws CLI is missing" >&2; exit 1; }
    endpoint=(); [ -n "${KILN_S3_ENDPOINT:-}" ] && endpoint=(--endpoint-url "$KILN_S3_ENDPOINT")
    aws "${endpoint[@]}" s3 sync --only-show-errors "$src/blobs" "s3://$KILN_S3_BUCKET"
    say "blobs restored to s3://$KILN_S3_BUCKET"
  else
    echo "The backup has blobs: set KILN_BLOB_DIR or KILN_S3_BUCKET to restore them" >&2
    exit 1
  fi
fi
say "restore complete from $src"
