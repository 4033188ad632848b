#!/bin/bash
# Kill -9 the daemon: the mount point is left dead ("Transport endpoint
# is not connected"); the next lakeview on it detaches the dead mount by
# itself and mounts.
. "$(dirname "$0")/lib.sh"

make_store 100 60
lv_mount
cat "$MNT/model.json" > /dev/null
kill -9 "$DAEMON_PID"
for ((i = 0; i < 100; i++)); do
	kill -0 "$DAEMON_PID" 2>/dev/null || break
	sleep 0.05
done
export LC_ALL=C
if err=$(stat "$MNT" 2>&1); then
	fail "stat of a dead mount succeeded"
fi
case "$err" in
*"Transport endpoint is not connected"*) log "dead mount: ENOTCONN" ;;
*) fail "dead mount: unexpected error: $err" ;;
esac

lv_mount
lakectl cat --store "$STORE" model.json | cmp - "$MNT/model.json" || fail "model.json after recovery"
[ "$(awk -v m="$MNT" '$2 == m' /proc/mounts | wc -l)" = 1 ] || fail "more than one mount at $MNT"
lv_umount

# The same with a foreground daemon, twice in a row.
for round in 1 2; do
	lv_mount_fg
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
	stat "$MNT" >/dev/null 2>&1 && fail "round $round: dead mount still answers"
done
lv_mount
[ -s "$MNT/account/2019.csv" ] || fail "no data after the second recovery"
lv_umount
! is_fuse "$MNT" || fail "still mounted"
log "ok"
