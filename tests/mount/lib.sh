# lib.sh - shared helpers of the mount tests, sourced by every case.
#
# Each case is an executable bash script that builds its own store in its
# own work directory, mounts it for real, checks, and leaves nothing
# behind: the EXIT trap unmounts every mount under the work directory and
# kills, by PID, every daemon the case started. Exit 77 (skip) only when
# /dev/fuse is missing.
#
# Environment: LAKEVIEW (the daemon) and LAKECTL (the CLI), set by
# tests/mount/meson.build.

set -euo pipefail

: "${LAKEVIEW:?LAKEVIEW must name the lakeview daemon}"
: "${LAKECTL:?LAKECTL must name lakectl}"

if [ ! -c /dev/fuse ]; then
	echo "SKIP: /dev/fuse is missing"
	exit 77
fi

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FIXTURES=$HERE/fixtures
ROWS="python3 $HERE/rows.py"
WORK=$(mktemp -d /tmp/lakeview-mount.XXXXXX)
STORE=$WORK/store
MNT=$WORK/mnt
PIDS=$WORK/daemon.pids
DLOG=$WORK/daemon.log
mkdir -p "$MNT"
: > "$PIDS"

# The store's clock (LAKEVIEW_NOW): every snapshot gets its own second.
NOW=1767225600   # 2026-01-01T00:00:00Z
tick() { NOW=$((NOW + 60)); }

log() { echo "# $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# Unmount what is under $WORK (deepest first) and stop the daemons we
# started, by PID.
stop_all() {
	local m pid
	for m in $(awk -v w="$WORK" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r); do
		fusermount3 -u "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	while read -r pid; do
		[ -n "$pid" ] || continue
		kill "$pid" 2>/dev/null && sleep 0.2
		kill -9 "$pid" 2>/dev/null
	done < "$PIDS"
}

cleanup() {
	local rc=$?
	set +e
	stop_all
	if [ $rc -ne 0 ] && [ -s "$DLOG" ]; then
		echo "--- daemon log ---" >&2
		tail -n 200 "$DLOG" >&2
	fi
	rm -rf "$WORK"
	exit $rc
}
trap cleanup EXIT

lakectl() { LAKEVIEW_NOW=$NOW "$LAKECTL" "$@"; }

# A store with an in-place Year table (account), an in-place Month table
# (contact) and an append-only table (lead), changed and snapshotted a
# few times so that every partition has several snapshots.
make_store() {
	local rows=${1:-300} text=${2:-120}
	lakectl link --store "$STORE" --environment test --organization org1 >/dev/null
	lakectl tables add --store "$STORE" account --schema "$FIXTURES/account.json" >/dev/null
	lakectl tables add --store "$STORE" contact --schema "$FIXTURES/contact.json" --partition month >/dev/null
	lakectl tables add --store "$STORE" lead --schema "$FIXTURES/lead.json" --append-only >/dev/null
	$ROWS upsert account 0 "$rows" 1 --text "$text" | lakectl ingest --store "$STORE" account - >/dev/null
	$ROWS upsert contact 0 "$((rows / 2))" 1 --text "$text" | lakectl ingest --store "$STORE" contact - >/dev/null
	$ROWS upsert lead 0 "$((rows / 4))" 1 --text "$text" | lakectl ingest --store "$STORE" lead - >/dev/null
	tick; lakectl snapshot --store "$STORE" >/dev/null
	$ROWS upsert account 0 "$((rows / 3))" 1000 --text "$text" | lakectl ingest --store "$STORE" account - >/dev/null
	$ROWS delete account "$((rows - 10))" 5 | lakectl ingest --store "$STORE" account - >/dev/null
	$ROWS upsert lead "$((rows / 4))" 20 1 --text "$text" | lakectl ingest --store "$STORE" lead - >/dev/null
	tick; lakectl snapshot --store "$STORE" >/dev/null
	$ROWS upsert contact 0 20 2000 --text "$text" | lakectl ingest --store "$STORE" contact - >/dev/null
	$ROWS upsert account 0 20 3000 --text "$text" | lakectl ingest --store "$STORE" account - >/dev/null
	tick; lakectl snapshot --store "$STORE" >/dev/null
}

# Wait until the mount point answers from FUSE (or fail after $2 s).
wait_mounted() {
	local mnt=$1 secs=${2:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		if [ "$(stat -f -c %T "$mnt" 2>/dev/null)" = fuseblk ] ||
		   [ "$(stat -f -c %t "$mnt" 2>/dev/null)" = 65735546 ]; then
			return 0
		fi
		sleep 0.05
	done
	fail "$mnt did not answer within $secs s"
}

is_fuse() { [ "$(stat -f -c %t "$1" 2>/dev/null)" = 65735546 ]; }

# Mount detached (the normal way); the call returns once it answers.
# The daemon's PID comes from its status file.
lv_mount() {
	"$LAKEVIEW" "$STORE" "$MNT" "$@"
	is_fuse "$MNT" || fail "lakeview returned before $MNT answered"
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["daemon_pid"])' \
		"$MNT/.lakeview/status.json" >> "$PIDS"
	DAEMON_PID=$(tail -n 1 "$PIDS")
}

# Mount in the foreground (-f) as a background job, log to $DLOG.
lv_mount_fg() {
	"$LAKEVIEW" -f "$STORE" "$MNT" "$@" 2>>"$DLOG" &
	DAEMON_PID=$!
	echo "$DAEMON_PID" >> "$PIDS"
	wait_mounted "$MNT"
}

# Unmount and wait for the daemon to exit (by PID).
lv_umount() {
	local i
	fusermount3 -u "$MNT" || fail "fusermount3 -u $MNT failed"
	for ((i = 0; i < 200; i++)); do
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$DAEMON_PID" 2>/dev/null && fail "daemon $DAEMON_PID still running after unmount"
	if grep -Eiq 'assert|sanitizer|runtime error|uninitiali[sz]ed' "$DLOG" 2>/dev/null; then
		fail "daemon log reports a problem"
	fi
	return 0
}

# Every file of the lake, one relative path per line (no directories).
lake_files() { lakectl ls --store "$STORE" -R | grep -v '/$'; }

# sha256 of every lake file, as "sum  path" lines, from lakectl.
lake_sums() {
	local p
	lake_files | while IFS= read -r p; do
		printf '%s  %s\n' "$(lakectl cat --store "$STORE" "$p" | sha256sum | cut -d' ' -f1)" "$p"
	done
}
