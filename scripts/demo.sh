#!/bin/sh
# demo.sh - lakeview's main job on a built-in sample: a Dataverse stand-in
# with a sample organisation -> lakectl link / tables add / sync -> the lake
# mounted at ./lake/dataverse-demo-org5b3f1e0a, then changes at the source,
# a second sync and snapshot, and what they did to the lake.
#
# Usage: scripts/demo.sh          run the demo (leaves the lake mounted)
#        scripts/demo.sh stop     unmount and stop what the demo started
#
# Everything it starts is recorded by PID in .demo/ and stopped by PID.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
state="$root/.demo"
org=org5b3f1e0a
mnt="$root/lake/dataverse-demo-$org"
store="$state/store"

stop() {
	if [ -d "$mnt" ] && mountpoint -q "$mnt" 2>/dev/null; then
		fusermount3 -u "$mnt" 2>/dev/null || umount "$mnt" 2>/dev/null || umount -l "$mnt"
		echo "unmounted $mnt"
	fi
	for p in lakeview standin; do
		if [ -f "$state/$p.pid" ]; then
			pid=$(cat "$state/$p.pid")
			if kill -0 "$pid" 2>/dev/null; then
				kill "$pid" 2>/dev/null || true
				i=0
				while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
					sleep 0.1; i=$((i + 1))
				done
				echo "stopped $p (pid $pid)"
			fi
			rm -f "$state/$p.pid"
		fi
	done
}

if [ "${1:-}" = stop ]; then
	stop
	exit 0
fi
[ $# -eq 0 ] || { echo "usage: scripts/demo.sh [stop]" >&2; exit 2; }

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Installing what is missing and building"
scripts/setup.sh
build="$root/build-demo"
[ -f "$build/build.ninja" ] || meson setup "$build" --buildtype=release >/dev/null
ninja -C "$build" >/dev/null
lakectl="$build/tools/lakectl"
lakeview="$build/fs/lakeview"

stop >/dev/null 2>&1 || true
rm -rf "$state"
mkdir -p "$state" "$mnt"

say "Starting the Dataverse stand-in with a sample organisation (account, contact)"
python3 tests/dataverse/standin.py --sample-org --sample-rows 5000 --seed 7 \
	>"$state/standin.out" 2>"$state/standin.err" &
echo $! >"$state/standin.pid"
i=0
until grep -q '^READY ' "$state/standin.out" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "demo: the stand-in did not start; see $state/standin.err" >&2; exit 1; }
	sleep 0.1
done
url=$(awk '/^READY/ {print $2}' "$state/standin.out")
tenant=00000000-0000-0000-0000-000000000001
echo "Dataverse stand-in at $url"
umask 077
printf 's3cret-value\n' >"$state/client-secret"
umask 022

say "lakectl link: a store for environment 'demo', organization '$org'"
"$lakectl" link --store "$store" --environment demo --organization "$org" \
	--dataverse-url "$url" --tenant-id "$tenant" --client-id lakeview-test \
	--client-secret-file "$state/client-secret" \
	--token-url "$url/$tenant/oauth2/v2.0/token"
"$lakectl" tables available --store "$store"

say "lakectl tables add: account in place by Year, contact append-only"
"$lakectl" tables add --store "$store" account --partition year
"$lakectl" tables add --store "$store" contact --append-only

say "lakectl sync: the initial sync (and the first snapshot)"
"$lakectl" sync --store "$store" --once
"$lakectl" status --store "$store"

say "Mounting the lake at ./lake/dataverse-demo-$org"
"$lakeview" -f "$store" "$mnt" 2>"$state/lakeview.err" &
echo $! >"$state/lakeview.pid"
i=0
until mountpoint -q "$mnt"; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "demo: the mount did not come up; see $state/lakeview.err" >&2; exit 1; }
	sleep 0.1
done
cd "$root/lake"
python3 - "dataverse-demo-$org" <<'PY'
import os, sys
top = sys.argv[1]
for d, dirs, files in os.walk(top):
    dirs.sort()
    depth = d[len(top):].count("/")
    print("  " * depth + os.path.basename(d) + "/")
    files.sort()
    for f in files[:4]:
        print("  " * (depth + 1) + f"{f}  ({os.path.getsize(os.path.join(d, f))} bytes)")
    if len(files) > 4:
        print("  " * (depth + 1) + f"... {len(files) - 4} more")
PY
snap=$(ls "dataverse-demo-$org/account/Snapshot" | head -1)

say "head -3 account/Snapshot/$snap"
head -3 "dataverse-demo-$org/account/Snapshot/$snap"

say "model.json: entities and where their partitions point"
python3 - "dataverse-demo-$org/model.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
for e in m["entities"]:
    ann = {a["name"]: a.get("value") for a in e["annotations"]}
    print(f'{e["name"]}: {len(e["attributes"])} attributes, '
          f'{ann.get("Athena:PartitionGranularity")} partitions, {ann.get("Athena:InitialSyncState")}')
    for p in e["partitions"][:3]:
        print(f'    {p["name"]} -> {p["location"]}')
PY
cd "$root"

say "Changing rows at the source: 20 accounts renamed, 5 deleted, 10 contacts added"
python3 - "$url" <<'PY'
import json, sys, urllib.request
base = sys.argv[1]
def call(method, path, body=None):
    req = urllib.request.Request(base + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))
rows = call("GET", "/admin/tables/account/rows?limit=25")["rows"]
call("PATCH", "/admin/tables/account/rows",
     {"rows": [{"accountid": r["accountid"], "name": r["name"] + " (renamed)"} for r in rows[:20]]})
call("POST", "/admin/tables/account/rows/delete", {"ids": [r["accountid"] for r in rows[20:25]]})
call("POST", "/admin/tables/contact/rows",
     {"rows": [{"firstname": "Ada", "lastname": f"Lovelace {i}", "createdon": "2025-06-0%dT10:00:00Z" % (i % 9 + 1)} for i in range(10)]})
print("done")
PY

say "lakectl sync and lakectl snapshot again"
sleep 1  # snapshot names carry seconds: make the new ones distinct
"$lakectl" sync --store "$store" --once --snapshot-interval 0
ls -l "$mnt/account/Snapshot" | tail -4
newest=$(ls "$mnt/account/Snapshot" | sort | tail -1)
echo "renamed rows in the newest snapshot ($newest):"
grep -c '(renamed)' "$mnt/account/Snapshot/$newest" || true
python3 - "$mnt/model.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
for e in m["entities"]:
    print(e["name"], "->", ", ".join(p["location"].rsplit("/", 1)[1] for p in e["partitions"][:4]), "...")
PY

say "Look around"
cat <<EOF2
The lake is mounted read-only at ./lake/dataverse-demo-$org:
  ls -l lake/dataverse-demo-$org/account
  grep -c . lake/dataverse-demo-$org/contact/*.csv
  python3 -c "import csv; print(sum(1 for _ in csv.reader(open('lake/dataverse-demo-$org/account/2021.csv'))))"
  $lakectl status --store $store
  cat lake/dataverse-demo-$org/.lakeview/status.json

Stop everything the demo started with:  scripts/demo.sh stop
EOF2
