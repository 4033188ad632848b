#!/bin/sh
# test_demo.sh - scripts/demo.sh runs to the end, and 'demo.sh stop' leaves
# nothing mounted or running (checked by the PIDs the demo recorded).
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
start=$(date +%s)
out=$(mktemp)
trap 'scripts/demo.sh stop >/dev/null 2>&1 || true; rm -f "$out"' EXIT
scripts/demo.sh >"$out" 2>&1 || { tail -30 "$out"; echo "FAIL: demo.sh failed"; exit 1; }
took=$(( $(date +%s) - start ))
mnt="$root/lake/dataverse-demo-org5b3f1e0a"
pids="$(cat .demo/standin.pid .demo/lakeview.pid)"
grep -q "Stop everything the demo started" "$out" || { echo "FAIL: the demo did not finish"; exit 1; }
mountpoint -q "$mnt" || { echo "FAIL: the demo left no mount to look around in"; exit 1; }
grep -q '(renamed)' "$mnt/account/Snapshot/"*.csv || { echo "FAIL: the new snapshot lacks the changes"; exit 1; }
scripts/demo.sh stop
if mountpoint -q "$mnt"; then echo "FAIL: still mounted after demo.sh stop"; exit 1; fi
for p in $pids; do
	if kill -0 "$p" 2>/dev/null; then echo "FAIL: pid $p still running after demo.sh stop"; exit 1; fi
done
echo "demo ran in ${took}s and stopped cleanly"
[ "$took" -lt 300 ] || { echo "FAIL: the demo took more than 5 minutes"; exit 1; }
