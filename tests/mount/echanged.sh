#!/bin/bash
# When the daemon falls further behind than the store's change log
# reaches (LV_ECHANGED: more than 4096 tree generations), it invalidates
# everything it handed out: changed sizes and a folder whose name was
# cached as missing become visible at once. The daemon is held with
# SIGSTOP while the writer commits.
. "$(dirname "$0")/lib.sh"

lakectl link --store "$STORE" --environment test --organization org1 >/dev/null
lakectl tables add --store "$STORE" account --schema "$FIXTURES/account.json" >/dev/null
$ROWS upsert account 0 50 1 | lakectl ingest --store "$STORE" account - >/dev/null
python3 - > "$WORK/rows.jsonl" <<'PY'
import json, uuid
for i in range(4200):
    print(json.dumps({"@odata.etag": 'W/"%d"' % (1000 + i),
        "accountid": str(uuid.uuid5(uuid.NAMESPACE_URL, "lakeview-test/account/%d" % (i % 50 * 5))),
        "name": "n%d" % i, "createdon": "2019-01-01T00:00:00Z",
        "versionnumber": 1000 + i, "revenue": 1.0}))
PY

lv_mount_fg
stat -c %s "$MNT/account/2019.csv" > /dev/null
stat "$MNT/contact" >/dev/null 2>&1 && fail "contact/ exists before it is added"
kill -STOP "$DAEMON_PID"
# One commit per line: 4200 tree generations.
lakectl ingest --store "$STORE" account "$WORK/rows.jsonl" --batch 1 >/dev/null ||
	{ kill -CONT "$DAEMON_PID"; fail "ingest"; }
lakectl tables add --store "$STORE" contact --schema "$FIXTURES/contact.json" >/dev/null
$ROWS upsert contact 0 3 1 | lakectl ingest --store "$STORE" contact - >/dev/null
kill -CONT "$DAEMON_PID"
want=$(lakectl cat --store "$STORE" account/2019.csv | sha256sum)
for ((i = 0; i < 20; i++)); do
	[ "$(sha256sum < "$MNT/account/2019.csv")" = "$want" ] && [ -d "$MNT/contact" ] && break
	sleep 0.1
done
[ "$(sha256sum < "$MNT/account/2019.csv")" = "$want" ] || fail "account/2019.csv stale after 2 s"
[ "$(stat -c %s "$MNT/account/2019.csv")" = "$(lakectl cat --store "$STORE" account/2019.csv | wc -c)" ] || fail "stale size"
[ -d "$MNT/contact" ] || fail "contact/ still missing after 2 s"
grep -q "invalidating everything" "$DLOG" || fail "the full invalidation did not run"
lv_umount
log "ok"
