#!/usr/bin/env bash
# Backs up a Kiln installation (scaled mode): the PostgreSQL database, then the blob store.
#
#   deploy/backup.sh /backups            → /backups/kiln-20261206T011500Z/{database.dump, blobs/, manifest.txt}
#
# Database: PostgreSQL connection from KILN_DATABASE_URL (a libpq URI or "host=… dbname=…" string) or the usual
#   PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE variables. pg_dump's custom format (-Fc): compressed, consistent
#   (one snapshot), restorable table by table. PG_BIN may point at the server's binaries (default: PATH).
# Blobs, one of:
#   KILN_BLOB_DIR=/var/lib/kiln/blobs     the local store's root (Kiln:Storage:LocalPath): copied with rsync, hard-linked
#                                         against the previous backup in the same folder (only new blobs take space);
#                                         cp -a when rsync is missing.
#   KILN_S3_BUCKET=kiln-prod              an S3-compatible bucket, copied with `aws s3 sync` (AWS CLI; credentials from
#   [KILN_S3_ENDPOINT=https://…]          the usual AWS_* variables). Kiln's CLI has no blob commands.
#   KILN_BACKUP_SKIP_BLOBS=1              database only (e.g. the bucket is versioned and replicated on its own).
#
# The database is dumped FIRST, then the blobs are copied: every blob the dump refers to existed before the copy
# started, so it is in the backup (blobs written meanwhile are extra and harmless). Blobs are immutable once written
# (new artifacts get new keys), so a copy taken while Kiln runs is consistent with the dump.
# Keep backups private: the database holds the Data Protection key ring, password hashes and webhook secrets.
set -euo pipefail
dest_root=${1:?usage: backup.sh <backup-folder>}
PG_BIN=${PG_BIN:-}
pg() { if [ -n "$PG_BIN" ]; then "$PG_BIN/$1" "${@:2}"; else "$@"; fi; }
db_args=(); [ -n "${KILN_DATABASE_URL:-}" ] && db_args=(--dbname "$KILN_DATABASE_URL")
t0=$(date +%s); say() { echo "[backup $(( $(date +%s) - t0 ))s] $*"; }

stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$dest_root"
dest="$dest_root/kiln-$stamp"
previous=$(ls -1d "$dest_root"/kiln-*/ 2>/dev/null | sort | tail -1 || true)
partial="$dest.partial"
rm -rf "$partial"; mkdir -p "$partial"
umask 077

# --- database -------------------------------------------------------------------------------------
pg pg_dump "${db_args[@]}" --format=custom --compress=6 --no-owner --no-privileges --file "$partial/database.dump"
pg pg_restore --list "$partial/database.dump" > /dev/null   # a dump that cannot be listed is not a backup
say "database dumped ($(du -h "$partial/database.dump" | cut -f1))"

# --- blobs -------------------------------------------------------------------------------------------
blobs="none"
if [ "${KILN_BACKUP_SKIP_BLOBS:-0}" = 1 ]; then
  blobs="skipped"
elif [ -n "${KILN_BLOB_DIR:-}" ]; then
  [ -d "$KILN_BLOB_DIR" ] || { echo "KILN_BLOB_DIR=$KILN_BLOB_DIR is not a directory" >&2; exit 1; }
  mkdir -p "$partial/blobs"
  if command -v rsync >/dev/null; then
    link=(); [ -n "$previous" ] && [ -d "${previous%/}/blobs" ] && link=(--link-dest "$(cd "${previous%/}/blobs" && pwd)")
    rsync -a "${link[@]}" "$KILN_BLOB_DIR"/ "$partial/blobs"/
  else
    cp -a "$KILN_BLOB_DIR"/. "$partial/blobs"/
  fi
  blobs="local $(find "$partial/blobs" -type f | wc -l) files"
elif [ -n "${KILN_S3_BUCKET:-}" ]; then
  command -v aws >/dev/null || { echo "KILN_S3_BUCKET is set but the aws CLI is missing (apt-get install awscli)" >&2; exit 1; }
  endpoint=(); [ -n "${KILN_S3_ENDPOINT:-}" ] && endpoint=(--endpoint-url "$KILN_S3_ENDPOINT")
  aws "${endpoint[@]}" s3 sync --only-show-errors "s3://$KILN_S3_BUCKET" "$partial/blobs"
  blobs="s3 $KILN_S3_BUCKET $(find "$partial/blobs" -type f | wc -l) files"
else
  echo "Set KILN_BLOB_DIR (local store) or KILN_S3_BUCKET (S3), or KILN_BACKUP_SKIP_BLOBS=1 for the database only" >&2
  exit 1
fi
say "blobs copied ($blobs)"

{
  echo "created_utc=$stamp"
  echo "pg_dump=$(pg pg_dump --version)"
  echo "blobs=$blobs"
  (cd "$partial" && sha256sum database.dump)
} > "$partial/manifest.txt"
mv "$partial" "$dest"
say "backup complete: $dest"
echo "$dest"
