#!/bin/sh
# test_units.sh - systemd-analyze verify passes on the shipped units.
# PID 1 need not be systemd; the sync unit is checked with ExecStart
# pointing at the built lakectl (verify wants the binary to exist).
set -eu
src=$1
lakectl=$2
command -v systemd-analyze >/dev/null || { echo "systemd-analyze missing"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s|@BINDIR@/lakectl|$lakectl|" "$src/scripts/systemd/lakeview-sync@.service.in" \
	>"$dir/lakeview-sync@.service"
cp "$src/scripts/systemd/srv-lake.mount" "$src/scripts/systemd/srv-lake.automount" "$dir/"
cd "$dir"
out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no \
	"$dir/lakeview-sync@demo.service" "$dir/srv-lake.mount" "$dir/srv-lake.automount" 2>&1 || echo "exit status $?")
# lines about units we do not ship (network-online.target...) are not ours
ours=$(printf '%s\n' "$out" | grep -E 'lakeview-sync|srv-lake|exit status' || true)
if [ -n "$ours" ]; then
	printf '%s\n' "$out"
	exit 1
fi
echo "units verified"
