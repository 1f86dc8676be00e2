#!/usr/bin/env bash
# Proves that backup.sh + restore.sh bring a Kiln installation back: backs up, WIPES the database schema and the
# blob directory, restores, then checks
#   - the ledger balances: for every workspace, the sum of its ledger entries equals its account's posted and held
#     totals, held >= 0 and posted - held >= 0 (the invariant DbAssertions.LedgerBalances checks in the tests);
#   - every artifact's blob is back, with its recorded size and SHA-256;
#   - the restored database has exactly the rows it had (ledger entries, artifacts, jobs, users, totals).
# Destructive: point it only at a throwaway installation. The integration test BackupRestoreTests runs it against a
# throwaway PostgreSQL and blob folder, then also downloads every artifact through the API.
# Env: KILN_DATABASE_URL or PG*, KILN_BLOB_DIR (local store only), PG_BIN, KILN_BACKUP_TEST_DIR (default: a temp dir).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${KILN_BLOB_DIR:?set KILN_BLOB_DIR to the throwaway local blob store}"
PG_BIN=${PG_BIN:-}
pg() { if [ -n "$PG_BIN" ]; then "$PG_BIN/$1" "${@:2}"; else "$@"; fi; }
db_args=(); [ -n "${KILN_DATABASE_URL:-}" ] && db_args=(--dbname "$KILN_DATABASE_URL")
sql() { pg psql "${db_args[@]}" -X -q -v ON_ERROR_STOP=1 -At -F '|' -c "$1"; }
fail() { echo "backup-test: FAILED: $*" >&2; exit 1; }
work=${KILN_BACKUP_TEST_DIR:-$(mktemp -d /tmp/kiln-backup-test.XXXXXX)}
trap '[ -z "${KILN_BACKUP_TEST_DIR:-}" ] && rm -rf "$work"' EXIT

ledger_errors() {
  sql "SELECT count(*) FROM credit_accounts a
       FULL OUTER JOIN (SELECT workspace_id, sum(posted_delta) AS p, sum(held_delta) AS h FROM ledger_entries GROUP BY workspace_id) e
         ON e.workspace_id = a.workspace_id
       WHERE a.workspace_id IS NULL OR coalesce(e.p, 0) <> a.posted OR coalesce(e.h, 0) <> a.held
          OR a.held < 0 OR a.posted - a.held < 0"
}
summary() {
  sql "SELECT (SELECT count(*) FROM ledger_entries), (SELECT coalesce(sum(posted_delta), 0) FROM ledger_entries),
              (SELECT coalesce(sum(posted), 0) FROM credit_accounts), (SELECT coalesce(sum(held), 0) FROM credit_accounts),
              (SELECT count(*) FROM artifacts), (SELECT count(*) FROM jobs), (SELECT count(*) FROM users)"
}
check_artifacts() {
  local n=0 key size sha path
  while IFS='|' read -r key size sha; do
    [ -n "$key" ] || continue
    path="$KILN_BLOB_DIR/$key"
    [ -f "$path" ] || fail "artifact blob $key is missing"
    [ "$(stat -c %s "$path")" = "$size" ] || fail "artifact blob $key has $(stat -c %s "$path") bytes, expected $size"
    [ "$(sha256sum "$path" | cut -d' ' -f1)" = "$(echo "$sha" | tr 'A-F' 'a-f')" ] || fail "artifact blob $key has another SHA-256"
    n=$((n + 1))
  done < <(sql "SELECT blob_key, size, sha256 FROM artifacts ORDER BY blob_key")
  echo "$n"
}

[ "$(ledger_errors)" = 0 ] || fail "the ledger does not balance BEFORE the backup"
before=$(summary)
artifacts_before=$(check_artifacts)
[ "$artifacts_before" -gt 0 ] || fail "there are no artifacts to prove anything with: run a job first"
echo "backup-test: before: $artifacts_before artifacts, summary $before"

dest=$(KILN_BLOB_DIR="$KILN_BLOB_DIR" "$here/backup.sh" "$work/backups" | tail -1)
[ -f "$dest/database.dump" ] || fail "backup.sh did not report its folder"

# Wipe: every table, every blob.
sql "DROP SCHEMA public CASCADE; CREATE SCHEMA public;" >/dev/null
find "$KILN_BLOB_DIR" -mindepth 1 -delete
[ "$(sql "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")" = 0 ] || fail "the wipe left tables behind"
[ -z "$(ls -A "$KILN_BLOB_DIR")" ] || fail "the wipe left blobs behind"
echo "backup-test: wiped the database schema and $KILN_BLOB_DIR"

"$here/restore.sh" "$dest"

[ "$(ledger_errors)" = 0 ] || fail "the ledger does not balance AFTER the restore"
after=$(summary)
[ "$after" = "$before" ] || fail "restored rows differ: before $before, after $after"
artifacts_after=$(check_artifacts)
[ "$artifacts_after" = "$artifacts_before" ] || fail "$artifacts_after artifacts after the restore, $artifacts_before before"
echo "backup-test: OK: ledger balances, $artifacts_after artifacts restored byte for byte, summary $after"
