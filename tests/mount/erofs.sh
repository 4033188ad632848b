#!/bin/bash
# Every write operation through the mount fails with EROFS ("Read-only
# file system"), and the store is unchanged afterwards.
. "$(dirname "$0")/lib.sh"

make_store 200 80
lakectl ls --store "$STORE" -R > "$WORK/ls.before"
lake_sums > "$WORK/sums.before"
lv_mount

f=$MNT/account/2019.csv
d=$MNT/account
export LC_ALL=C

# expect_erofs DESCRIPTION COMMAND...: fails, and says read-only.
expect_erofs() {
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then
		fail "$what succeeded"
	fi
	case "$out" in
	*"Read-only file system"*) log "$what: EROFS" ;;
	*) fail "$what: expected EROFS, got: $out" ;;
	esac
}

expect_erofs "touch (new)"      touch "$d/new.csv"
expect_erofs "touch (existing)" touch "$f"
expect_erofs "echo >"           sh -c "echo x > '$f'"
expect_erofs "echo >>"          sh -c "echo x >> '$f'"
expect_erofs "echo > new"       sh -c "echo x > '$d/other.csv'"
expect_erofs "mkdir"            mkdir "$d/newdir"
expect_erofs "rm"               rm -f "$f"
expect_erofs "rmdir"            rmdir "$d/Snapshot"
expect_erofs "mv"               mv "$f" "$d/renamed.csv"
expect_erofs "mv across"        mv "$f" "$MNT/contact/x.csv"
expect_erofs "ln"               ln "$f" "$d/hardlink.csv"
expect_erofs "ln -s"            ln -s 2019.csv "$d/symlink.csv"
expect_erofs "chmod"            chmod 644 "$f"
expect_erofs "chown"            chown 1:1 "$f"
expect_erofs "truncate"         truncate -s 0 "$f"
expect_erofs "setfattr"         setfattr -n user.test -v 1 "$f"
expect_erofs "setfattr -x"      setfattr -x user.lakeview.seq "$f"
expect_erofs "cp onto"          cp /etc/hostname "$f"
expect_erofs "mknod"            mkfifo "$d/fifo"
expect_erofs "fallocate"        fallocate -l 4096 "$f"
expect_erofs "utime"            touch -d @0 "$f"
expect_erofs "python O_RDWR"    python3 -c "import os,sys; os.open(sys.argv[1], os.O_RDWR)" "$f"
expect_erofs "python O_TRUNC"   python3 -c "import os,sys; os.open(sys.argv[1], os.O_WRONLY|os.O_TRUNC)" "$f"
expect_erofs "python status"    python3 -c "import sys; open(sys.argv[1], 'w')" "$MNT/.lakeview/status.json"

# The same through the daemon itself: remount read-write without the
# helper (root only), so the requests reach lakeview, which says EROFS.
if mount -i -o remount,rw "$MNT" 2>/dev/null; then
	grep -q " $MNT fuse.lakeview rw," /proc/mounts || fail "remount rw did not take"
	expect_erofs "daemon: touch"     touch "$d/new.csv"
	expect_erofs "daemon: echo >"    sh -c "echo x > '$f'"
	expect_erofs "daemon: echo >>"   sh -c "echo x >> '$f'"
	expect_erofs "daemon: mkdir"     mkdir "$d/newdir"
	expect_erofs "daemon: rm"        rm -f "$f"
	expect_erofs "daemon: rmdir"     rmdir "$d/Snapshot"
	expect_erofs "daemon: mv"        mv "$f" "$d/renamed.csv"
	expect_erofs "daemon: ln"        ln "$f" "$d/hardlink.csv"
	expect_erofs "daemon: ln -s"     ln -s 2019.csv "$d/symlink.csv"
	expect_erofs "daemon: chmod"     chmod 644 "$f"
	expect_erofs "daemon: truncate"  truncate -s 0 "$f"
	expect_erofs "daemon: setfattr"  setfattr -n user.test -v 1 "$f"
	expect_erofs "daemon: setfattr -x" setfattr -x user.lakeview.seq "$f"
	expect_erofs "daemon: mkfifo"    mkfifo "$d/fifo"
else
	log "remount rw refused; daemon-side EROFS not exercised"
fi

lv_umount
lakectl ls --store "$STORE" -R | diff -u "$WORK/ls.before" - || fail "the store's listing changed"
lake_sums | diff -u "$WORK/sums.before" - || fail "the store's content changed"
log "ok"
