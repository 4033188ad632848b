#!/bin/bash
# allow_other.sh - `-o allow_other` as a non-root user:
#   without an uncommented `user_allow_other` in /etc/fuse.conf, lakeview
#   refuses with one line on stderr that names the fix (the line and the
#   file), exits non-zero and mounts nothing;
#   with it, the same user mounts (through the setuid fusermount3, as on
#   any Debian system), another user (root) can read the lake, and the user
#   unmounts with `fusermount3 -u`, which ends the daemon.
#
# The non-root user is `nobody` (or, where there is none, a temporary
# system user made with useradd and removed afterwards); the store and the
# mount point are handed to it with chown.
#
# Run as root, the test re-executes itself in a private mount namespace
# (unshare -m) and there bind-mounts its own fuse.conf over /etc/fuse.conf
# (the system's file without, then with, user_allow_other): the real
# /etc/fuse.conf is never written, so mount tests running at the same time
# elsewhere see it unchanged, and a killed test leaves nothing to restore.
# In that namespace, when /dev/fuse is not usable by the user (containers
# often make it 0600 root; Debian's udev makes it 0666), a 0666 node of the
# same device is bound over it, as udev would have made it:
# without that, libfuse cannot open /dev/fuse to hand it to fusermount3,
# whatever fuse.conf says.
# Without namespaces (unshare fails), /etc/fuse.conf is backed up, edited
# and restored by the EXIT trap instead, and the mounting half is skipped
# (with a message) if the user cannot open /dev/fuse.
# Run as a non-root user, that user is the one tested, and only the half
# the system's /etc/fuse.conf allows is run (it cannot be changed).
#
# Skips (77) only when /dev/fuse is missing (lib.sh).

if [ "$(id -u)" -eq 0 ] && [ -z "${LV_ALLOW_OTHER_NS:-}" ] && [ -c /dev/fuse ] &&
	unshare --mount --propagation private true 2>/dev/null; then
	LV_ALLOW_OTHER_NS=1 exec unshare --mount --propagation private "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
export LC_ALL=C

# --- who mounts, and how the test may change /etc/fuse.conf -------------
MADE_USER=""
FUSE_CONF_BACKUP=""
FUSE_CONF_ABSENT=""
CONF_BOUND=""
if [ "$(id -u)" -ne 0 ]; then
	mode=self
	RUN=()
	TUID=$(id -u)
elif [ -n "${LV_ALLOW_OTHER_NS:-}" ]; then
	mode=namespace
else
	mode=backup
fi
if [ "$mode" != self ]; then
	if TUID=$(id -u nobody 2>/dev/null) && TGID=$(id -g nobody 2>/dev/null); then
		TUSER=nobody
	else
		TUSER=lvtest$$
		useradd --system --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin --user-group "$TUSER" || fail "useradd $TUSER failed"
		MADE_USER=$TUSER
		TUID=$(id -u "$TUSER")
		TGID=$(id -g "$TUSER")
	fi
	RUN=(setpriv --reuid="$TUID" --regid="$TGID" --clear-groups)
	log "non-root user: $TUSER ($TUID), mode: $mode"
fi

ao_cleanup() {
	local rc=$?
	set +e
	stop_all  # lib.sh: before fuse.conf and the user go
	if [ -n "$FUSE_CONF_BACKUP" ]; then
		if [ -n "$FUSE_CONF_ABSENT" ]; then
			rm -f /etc/fuse.conf
		else
			cat "$FUSE_CONF_BACKUP" > /etc/fuse.conf
		fi
	fi
	if [ -n "$MADE_USER" ]; then
		sleep 0.2
		userdel "$MADE_USER" 2>/dev/null || echo "warning: userdel $MADE_USER failed" >&2
	fi
	(exit "$rc")
	cleanup   # lib.sh: unmounts, kills by PID, prints the daemon log, rm -rf $WORK
}
trap ao_cleanup EXIT

# The system's fuse.conf without any uncommented user_allow_other line,
# and with one.
conf_without=$WORK/fuse.conf.without
conf_with=$WORK/fuse.conf.with
{ grep -Ev '^[[:space:]]*user_allow_other[[:space:]]*(#.*)?$' /etc/fuse.conf 2>/dev/null || true; } > "$conf_without"
{ cat "$conf_without"; echo user_allow_other; } > "$conf_with"
has_line() { grep -Eq '^[[:space:]]*user_allow_other[[:space:]]*(#.*)?$' /etc/fuse.conf 2>/dev/null; }

# use_conf with|without: make /etc/fuse.conf say so (0 done, 1 not possible)
use_conf() {
	local f=$WORK/fuse.conf.$1
	case $mode in
	namespace)
		if [ -n "$CONF_BOUND" ]; then   # an earlier bind of ours
			umount /etc/fuse.conf || fail "cannot unbind our /etc/fuse.conf"
		fi
		mount --bind "$f" /etc/fuse.conf || fail "cannot bind $f over /etc/fuse.conf"
		CONF_BOUND=1
		;;
	backup)
		if [ -z "$FUSE_CONF_BACKUP" ]; then
			FUSE_CONF_BACKUP=$WORK/fuse.conf.orig
			[ -e /etc/fuse.conf ] || FUSE_CONF_ABSENT=1
			cp -p /etc/fuse.conf "$FUSE_CONF_BACKUP" 2>/dev/null || : > "$FUSE_CONF_BACKUP"
		fi
		cat "$f" > /etc/fuse.conf
		;;
	self)
		if [ "$1" = with ]; then has_line; else ! has_line; fi
		return
		;;
	esac
	if [ "$1" = with ]; then has_line || fail "user_allow_other not in effect"; else ! has_line || fail "user_allow_other still in effect"; fi
}

# --- the store and the mount point belong to the user --------------------
make_store 40 20
chmod 755 "$WORK"
[ "$mode" = self ] || chown -R "$TUID:$TGID" "$STORE" "$MNT"

# processes still running (not zombies) whose command line names our store
store_procs() {
	local p
	for p in /proc/[0-9]*; do
		[ -r "$p/cmdline" ] || continue
		tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -qF -- "$STORE" || continue
		[ "$(sed 's/^.*) //' "$p/stat" 2>/dev/null | cut -c1)" = Z ] && continue
		echo "${p#/proc/}"
	done
}
not_mounted() {
	is_fuse "$MNT" && fail "$1: $MNT is mounted"
	awk -v m="$MNT" '$2 == m { found = 1 } END { exit !found }' /proc/mounts &&
		fail "$1: $MNT is in /proc/mounts"
	return 0
}

skipped=""  # halves that could not run here: then the test is a skip (77), not a pass

# --- without user_allow_other: one line naming the fix, nothing mounted --
if use_conf without; then
	rc=0
	"${RUN[@]}" "$LAKEVIEW" "$STORE" "$MNT" -o allow_other > "$WORK/out" 2> "$WORK/err" || rc=$?
	[ "$rc" -ne 0 ] || fail "allow_other without user_allow_other: exit 0"
	[ "$(wc -l < "$WORK/err")" = 1 ] ||
		{ cat "$WORK/err" >&2; fail "not exactly one line on stderr"; }
	grep -q 'user_allow_other' "$WORK/err" || fail "stderr does not name user_allow_other: $(cat "$WORK/err")"
	grep -q '/etc/fuse.conf' "$WORK/err" || fail "stderr does not name /etc/fuse.conf: $(cat "$WORK/err")"
	[ ! -s "$WORK/out" ] || fail "something on stdout: $(cat "$WORK/out")"
	not_mounted "refused allow_other"
	[ -z "$(store_procs)" ] || fail "a process is left running: $(store_procs)"
	log "refused (exit $rc): $(cat "$WORK/err")"
else
	log "SKIPPED the refusal half: /etc/fuse.conf has user_allow_other and, not being root, the test cannot change it"
	skipped="$skipped refusal"
fi

# --- with user_allow_other: the user mounts, others read, the user unmounts
mount_half=1
if ! use_conf with; then
	log "SKIPPED the mounting half: /etc/fuse.conf lacks user_allow_other and, not being root, the test cannot change it"
	mount_half=0
	skipped="$skipped mounting"
elif ! "${RUN[@]}" sh -c 'exec 3<>/dev/fuse' 2>/dev/null; then
	if [ "$mode" = namespace ]; then
		mkdir "$WORK/dev"
		{ mount -t tmpfs -o mode=755 lakeview-test-dev "$WORK/dev" &&
			mknod -m 666 "$WORK/dev/fuse" c "$((0x$(stat -c %t /dev/fuse)))" "$((0x$(stat -c %T /dev/fuse)))" &&
			mount --bind "$WORK/dev/fuse" /dev/fuse; } || fail "cannot bind a 0666 /dev/fuse in the namespace"
		"${RUN[@]}" sh -c 'exec 3<>/dev/fuse' || fail "/dev/fuse still not usable by $TUID"
		log "/dev/fuse is $(stat -c %a "$WORK/dev/fuse") in this namespace (the system's is not usable by $TUID)"
	else
		log "SKIPPED the mounting half: /dev/fuse is not usable by uid $TUID here ($(stat -c '%a %U' /dev/fuse)), so libfuse cannot pass it to fusermount3; Debian's udev makes it 0666"
		mount_half=0
		skipped="$skipped mounting"
	fi
fi
if [ "$mount_half" = 1 ]; then
	rc=0
	"${RUN[@]}" "$LAKEVIEW" "$STORE" "$MNT" -o allow_other > "$WORK/out" 2> "$WORK/err" || rc=$?
	[ "$rc" = 0 ] || fail "allow_other with user_allow_other: exit $rc: $(cat "$WORK/err")"
	is_fuse "$MNT" || fail "lakeview returned 0 but $MNT is not mounted"
	DAEMON_PID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["daemon_pid"])' \
		"$MNT/.lakeview/status.json")
	echo "$DAEMON_PID" >> "$PIDS"
	line=$(awk -v m="$MNT" '$2 == m' /proc/mounts)
	log "/proc/mounts: $line"
	case ",$(echo "$line" | awk '{ print $4 }')," in
	*,allow_other,*) ;;
	*) fail "allow_other missing from the mount options: $line" ;;
	esac
	case ",$(echo "$line" | awk '{ print $4 }')," in
	*,user_id=$TUID,*) ;;
	*) fail "not mounted by uid $TUID: $line" ;;
	esac
	[ "$(stat -c %u "/proc/$DAEMON_PID")" = "$TUID" ] || fail "the daemon does not run as $TUID"
	# another user reads the lake (FUSE refuses even root without allow_other)
	if [ "$(id -u)" -eq 0 ]; then
		cmp <(lakectl cat --store "$STORE" model.json) "$MNT/model.json" ||
			fail "root cannot read model.json through the user's mount"
		ls "$MNT/account" > /dev/null || fail "root cannot list the user's mount"
	fi
	"${RUN[@]}" fusermount3 -u "$MNT" || fail "fusermount3 -u as $TUID failed"
	not_mounted "after fusermount3 -u"
	for ((i = 0; i < 200; i++)); do
		[ -d "/proc/$DAEMON_PID" ] || break
		[ "$(sed 's/^.*) //' "/proc/$DAEMON_PID/stat" 2>/dev/null | cut -c1)" = Z ] && break
		sleep 0.05
	done
	[ -z "$(store_procs)" ] || fail "daemon still running after fusermount3 -u: $(store_procs)"
	log "mounted with allow_other as $TUID, read by another user, unmounted with fusermount3 -u"
fi
if [ -n "$skipped" ]; then
	echo "SKIP: the$skipped half could not run here (see above)"
	exit 77
fi
log "ok"
