#!/bin/bash
# The command line and -o options: sshfs-style table, mount(8) and
# mount.fuse3 calling conventions, fstab hints, one-line errors.
. "$(dirname "$0")/lib.sh"

make_store 60 40
export LC_ALL=C
mkdir -p "$WORK/bin"
ln -s "$LAKEVIEW" "$WORK/bin/lakeview"
ln -s "$LAKEVIEW" "$WORK/bin/mount.lakeview"

# expect_fail STATUS PATTERN COMMAND...: exits STATUS (or any non-zero
# for "!0") and prints exactly one line on stderr, matching PATTERN.
expect_fail() {
	local want=$1 pat=$2 rc=0
	shift 2
	"$@" > "$WORK/out" 2> "$WORK/err" || rc=$?
	if [ "$want" = '!0' ]; then
		[ "$rc" -ne 0 ] || fail "$* succeeded"
	else
		[ "$rc" = "$want" ] || fail "$*: exit $rc, expected $want ($(cat "$WORK/err"))"
	fi
	[ "$(wc -l < "$WORK/err")" = 1 ] || { cat "$WORK/err"; fail "$*: not one line on stderr"; }
	grep -Eq -- "$pat" "$WORK/err" || fail "$*: '$(cat "$WORK/err")' does not match '$pat'"
	is_fuse "$MNT" && fail "$*: mounted anyway"
	log "refused ($rc): $(cat "$WORK/err")"
}

expect_fail 2 "unknown mount option 'bogus'"   "$LAKEVIEW" "$STORE" "$MNT" -o ro,bogus
expect_fail 2 "unknown mount option 'nonempty'" "$LAKEVIEW" "$STORE" "$MNT" -o nonempty
expect_fail 2 "unknown command-line option"    "$LAKEVIEW" "$STORE" "$MNT" -x
expect_fail 2 "unexpected argument"            "$LAKEVIEW" "$STORE" "$MNT" extra
expect_fail 2 "usage"                          "$LAKEVIEW" "$STORE"
expect_fail 2 "uid=abc"                        "$LAKEVIEW" "$STORE" "$MNT" -o uid=abc
expect_fail 2 "umask"                          "$LAKEVIEW" "$STORE" "$MNT" -o umask=7777
expect_fail '!0' "No such file"                "$LAKEVIEW" "$WORK/nostore" "$MNT"
mkdir "$WORK/empty"
expect_fail '!0' "not a lakeview store"        "$LAKEVIEW" "$WORK/empty" "$MNT"
expect_fail '!0' "mount point .*No such file"  "$LAKEVIEW" "$STORE" "$WORK/nomnt"
mkdir "$WORK/full" && touch "$WORK/full/x"
expect_fail '!0' "not empty"                   "$LAKEVIEW" "$STORE" "$WORK/full"
expect_fail '!0' "not a directory"             "$LAKEVIEW" "$STORE" "$WORK/full/x"
if ! grep -Eq '^[[:space:]]*user_allow_other[[:space:]]*$' /etc/fuse.conf 2>/dev/null; then
	chmod 755 "$WORK"
	expect_fail '!0' "user_allow_other" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$LAKEVIEW" "$STORE" "$MNT" -o allow_other
fi

"$LAKEVIEW" --version | grep -q '^lakeview ' || fail "--version"
"$LAKEVIEW" --help | grep -q 'attr_timeout' || fail "--help"

# fstab-style options are accepted and ignored; rw is mapped to ro;
# fsname is the store, the type fuse.lakeview.
lv_mount -o rw,nofail,_netdev,noauto,auto,user,users,defaults,x-systemd.automount,x-systemd.requires=network-online.target,x-gvfs-show,comment=x,relatime,nodev,nosuid,noatime,attr_timeout=120,entry_timeout=90,negative_timeout=5,max_threads=4,max_idle_threads=2,max_readahead=131072
line=$(awk -v m="$MNT" '$2 == m' /proc/mounts)
case "$line" in
"$STORE $MNT fuse.lakeview ro,"*) log "/proc/mounts: $line" ;;
*) fail "/proc/mounts: $line" ;;
esac
lv_umount

# mount(8) calls the helper as mount.lakeview STORE MNT [-sfnv] -o opts.
(cd "$WORK" && bin/mount.lakeview "$STORE" mnt -n -o rw,nofail)
is_fuse "$MNT" || fail "mount.lakeview did not mount"
awk -v m="$MNT" '$2 == m { print $1, $3, $4 }' /proc/mounts | grep -q "^$STORE fuse.lakeview ro," || fail "mount.lakeview: wrong /proc/mounts line"
python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["daemon_pid"])' "$MNT/.lakeview/status.json" >> "$PIDS"
DAEMON_PID=$(tail -n 1 "$PIDS")
lv_umount
"$WORK/bin/mount.lakeview" "$STORE" "$MNT" -f -o ro   # mount -f: fake
is_fuse "$MNT" && fail "mount.lakeview -f (fake) mounted"
expect_fail 2 "unknown mount option 'bogus'" "$WORK/bin/mount.lakeview" "$STORE" "$MNT" -o bogus
"$WORK/bin/mount.lakeview" "$STORE" "$MNT" -s -o bogus 2>/dev/null   # sloppy
is_fuse "$MNT" || fail "mount.lakeview -s did not mount"
python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["daemon_pid"])' "$MNT/.lakeview/status.json" >> "$PIDS"
DAEMON_PID=$(tail -n 1 "$PIDS")
lv_umount

# mount.fuse3 (fstab type fuse.lakeview, or lakeview#STORE) runs
# `lakeview STORE MNT -o opts` through /bin/sh. (mount(8) itself runs
# helpers without PATH, so `mount -t fuse.lakeview` needs an installed
# lakeview; here mount.fuse3 is called directly with our PATH.)
PATH=$WORK/bin:$PATH mount.fuse3 "lakeview#$STORE" "$MNT" -o rw,dev,suid,nofail,_netdev,x-systemd.automount
is_fuse "$MNT" || fail "mount.fuse3: not mounted"
awk -v m="$MNT" '$2 == m { print $1, $3 }' /proc/mounts | grep -qx "$STORE fuse.lakeview" || fail "mount.fuse3: /proc/mounts"
python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["daemon_pid"])' "$MNT/.lakeview/status.json" >> "$PIDS"
DAEMON_PID=$(tail -n 1 "$PIDS")
cmp <(lakectl cat --store "$STORE" model.json) "$MNT/model.json" || fail "mount.fuse3: model.json"
lv_umount
log "mount.fuse3 lakeview#STORE: mounted and unmounted"

# Clean shutdown on SIGINT (detached) and SIGTERM (foreground). (A job
# started with & by a non-interactive shell has SIGINT ignored, and
# libfuse keeps ignored signals ignored, so SIGINT goes to the detached
# daemon here.)
lv_mount
kill -INT "$DAEMON_PID"
for ((i = 0; i < 100; i++)); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.05; done
kill -0 "$DAEMON_PID" 2>/dev/null && fail "SIGINT: daemon still running"
is_fuse "$MNT" && fail "SIGINT: still mounted"
lv_mount_fg
kill -TERM "$DAEMON_PID"
rc=0; wait "$DAEMON_PID" || rc=$?
[ "$rc" = 0 ] || fail "SIGTERM: foreground daemon exited $rc"
is_fuse "$MNT" && fail "SIGTERM: still mounted"
log "ok"
