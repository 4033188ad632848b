#!/bin/bash
# fstab.sh - the ways mount(8) and fstab reach lakeview:
#   mount -t fuse.lakeview STORE MNT   (mount.fuse3 runs lakeview from PATH)
#   mount -t lakeview STORE MNT        (mount runs /sbin/mount.lakeview)
#   mount.fuse3 lakeview#STORE MNT -o ro,allow_other
# each served, with fstab-only options, and unmounted with umount(8).
# The /sbin/mount.lakeview link is made for the test and removed after.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "SKIP: mount(8) needs root"; exit 77; }
command -v mount.fuse3 >/dev/null || fail "mount.fuse3 missing (package fuse3)"

make_store
# mount(8) runs helpers with a fixed PATH: the links go in /sbin, made for
# the test (only where nothing is installed there) and removed after it
made=""
for l in /sbin/mount.lakeview /sbin/lakeview; do
	if [ ! -e "$l" ]; then
		ln -s "$LAKEVIEW" "$l"
		made="$made $l"
	fi
done
trap 'for l in $made; do rm -f "$l"; done; cleanup' EXIT

check_mounted() {
	is_fuse "$MNT" || fail "$1: nothing mounted"
	awk -v m="$MNT" '$2 == m { print $3, $4 }' /proc/mounts | grep -q '^fuse.lakeview ro' ||
		fail "$1: /proc/mounts does not show a read-only fuse.lakeview mount"
	cmp <(lakectl cat --store "$STORE" model.json) "$MNT/model.json" ||
		fail "$1: model.json differs through the mount"
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["daemon_pid"])' \
		"$MNT/.lakeview/status.json" >> "$PIDS"
	DAEMON_PID=$(tail -n 1 "$PIDS")
}

umount_and_wait() {
	umount "$MNT" || fail "$1: umount failed"
	for ((i = 0; i < 200; i++)); do
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$DAEMON_PID" 2>/dev/null && fail "$1: daemon still running after umount"
	is_fuse "$MNT" && fail "$1: still mounted after umount"
	return 0
}

log "mount -t fuse.lakeview"
mount -t fuse.lakeview -o ro,nofail,_netdev,allow_other "$STORE" "$MNT" ||
	fail "mount -t fuse.lakeview failed"
check_mounted "fuse.lakeview"
umount_and_wait "fuse.lakeview"

log "mount -t lakeview (through /sbin/mount.lakeview)"
mount -t lakeview -o ro,noauto,x-systemd.automount "$STORE" "$MNT" || fail "mount -t lakeview failed"
check_mounted "lakeview"
umount_and_wait "lakeview"

log "mount.fuse3 lakeview#STORE"
mount.fuse3 "lakeview#$STORE" "$MNT" -o ro,allow_other ||
	fail "mount.fuse3 lakeview#STORE failed"
check_mounted "mount.fuse3"
umount_and_wait "mount.fuse3"
log "all three forms mount, serve and unmount"
