#!/bin/sh
# azurite.sh - install, start and stop the Azurite Blob emulator that the
# `adls` test suite pushes to.
#
#   tests/adls/azurite.sh install     npm ci here (azurite pinned at 3.35.0 by
#                                     package-lock.json) unless
#                                     node_modules/.bin/azurite-blob exists;
#                                     silent when it does
#   tests/adls/azurite.sh start DIR   start azurite-blob on 127.0.0.1:<free port>,
#                                     in-memory; write DIR/azurite.pid,
#                                     DIR/azurite.url (the endpoint,
#                                     http://127.0.0.1:<port>/devstoreaccount1)
#                                     and DIR/azurite.log; return once it
#                                     answers HTTP (at most ~20 s)
#   tests/adls/azurite.sh stop DIR    SIGTERM the PID in DIR/azurite.pid (only
#                                     if it is an azurite process), wait for it
#                                     to exit (SIGKILL after 10 s)
#
# Optional environment for `start` (the adls tests use them):
#   AZURITE_PORT=N        listen on port N instead of a free one (restart an
#                         instance on the port a client is configured with)
#   AZURITE_LOCATION=DIR  persist to DIR (--location) instead of
#                         --inMemoryPersistence, so data survives a restart
#   AZURITE_DEBUG=FILE    write Azurite's debug log to FILE (--debug)
#
# Account devstoreaccount1 with the well-known Azurite key (see
# shared reference adls-blob.md A3). Flags and why:
#   --inMemoryPersistence  nothing written to disk, every start is empty
#   --disableTelemetry     telemetry is ON by default: outbound traffic, and on
#                          an offline machine it prints getaddrinfo errors
#   --silent               no access log
# Not passed: --loose. It only makes Azurite ignore headers and parameters it
# does not support (e.g. x-ms-content-crc64 is then accepted unchecked); strict
# mode is what catches a client sending something Azure would treat
# differently, and nothing lakeview sends needs it. Not passed either:
# --skipApiVersionCheck (we pin an x-ms-version that 3.35.0 accepts).
#
# Exit status: 0 on success; 1 with a one-line message on stderr otherwise.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
bin="$here/node_modules/.bin/azurite-blob"
start_timeout_ms=20000
stop_timeout_s=10

die() {
	echo "azurite.sh: $*" >&2
	exit 1
}

usage() {
	echo "usage: $0 install | start DIR | stop DIR" >&2
	exit 2
}

# Is PID $1 running? A zombie (exited, not yet reaped by a parent that is
# not ours to control) counts as gone.
alive() {
	kill -0 "$1" 2>/dev/null || return 1
	[ -r "/proc/$1/stat" ] || return 0
	state=$(sed 's/^.*) //' "/proc/$1/stat" | cut -c1)
	[ "$state" != Z ]
}

# Is $1 a live azurite process? (PID reuse guard; no /proc: trust kill -0.)
is_azurite() {
	alive "$1" || return 1
	[ -r "/proc/$1/cmdline" ] || return 0
	tr '\0' ' ' <"/proc/$1/cmdline" | grep -q azurite
}

cmd_install() {
	[ -x "$bin" ] && return 0
	command -v npm >/dev/null 2>&1 || die "npm not found: install Node.js (>= 20) and npm"
	(cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
		die "npm ci failed in $here"
	[ -x "$bin" ] || die "npm ci did not install $bin"
}

# Print a TCP port that is free on 127.0.0.1 right now.
free_port() {
	node -e '
		const s = require("net").createServer();
		s.listen(0, "127.0.0.1", () => {
			process.stdout.write(String(s.address().port));
			s.close();
		});'
}

# Wait until $2 answers any HTTP response. Exit 0 up, 2 if PID $1 died, 3 on timeout.
wait_ready() {
	node -e '
		const http = require("http");
		const pid = Number(process.argv[1]), url = process.argv[2];
		const deadline = Date.now() + Number(process.argv[3]);
		function alive() { try { process.kill(pid, 0); return true; } catch (e) { return e.code === "EPERM"; } }
		function again() {
			if (!alive()) process.exit(2);
			if (Date.now() > deadline) process.exit(3);
			setTimeout(probe, 100);
		}
		function probe() {
			const req = http.get(url, (res) => { res.resume(); process.exit(0); });
			req.setTimeout(1000, () => req.destroy());
			req.on("error", again);
		}
		probe();' "$1" "$2" "$start_timeout_ms"
}

cmd_start() {
	dir=$1
	mkdir -p "$dir" || die "cannot create $dir"
	dir=$(cd "$dir" && pwd)
	[ -x "$bin" ] || die "azurite-blob is not installed; run: $0 install"
	if [ -f "$dir/azurite.pid" ]; then
		old=$(cat "$dir/azurite.pid")
		if is_azurite "$old"; then
			die "already running in $dir (pid $old); run: $0 stop $dir"
		fi
		rm -f "$dir/azurite.pid"
	fi
	rm -f "$dir/azurite.url"
	: >"$dir/azurite.log"

	# The port is free when chosen but could be taken before Azurite binds
	# it: try up to three ports.
	if [ -n "${AZURITE_LOCATION:-}" ]; then
		mkdir -p "$AZURITE_LOCATION" || die "cannot create $AZURITE_LOCATION"
		set -- --location "$AZURITE_LOCATION"
	else
		set -- --inMemoryPersistence
	fi
	if [ -n "${AZURITE_DEBUG:-}" ]; then
		set -- "$@" --debug "$AZURITE_DEBUG"
	fi
	for attempt in 1 2 3; do
		if [ -n "${AZURITE_PORT:-}" ]; then
			port=$AZURITE_PORT
		else
			port=$(free_port) || die "cannot find a free port (node failed)"
		fi
		url="http://127.0.0.1:$port/devstoreaccount1"
		# cd so that nothing Azurite might write lands in the work tree;
		# exec keeps $! the PID of Azurite's node process itself
		(cd "$dir" && exec "$bin" --blobHost 127.0.0.1 --blobPort "$port" \
			"$@" --disableTelemetry --silent \
			</dev/null >>"$dir/azurite.log" 2>&1) &
		pid=$!
		echo "$pid" >"$dir/azurite.pid"
		rc=0
		wait_ready "$pid" "$url" || rc=$?
		case $rc in
		0)
			echo "$url" >"$dir/azurite.url"
			return 0
			;;
		2)
			rm -f "$dir/azurite.pid"
			if grep -q EADDRINUSE "$dir/azurite.log" && [ "$attempt" -lt 3 ] &&
				[ -z "${AZURITE_PORT:-}" ]; then
				continue
			fi
			die "azurite-blob exited during start-up (see $dir/azurite.log)"
			;;
		*)
			kill "$pid" 2>/dev/null || true
			rm -f "$dir/azurite.pid"
			die "azurite-blob did not answer on $url within $((start_timeout_ms / 1000)) s (see $dir/azurite.log)"
			;;
		esac
	done
	die "azurite-blob could not bind a port after 3 tries (see $dir/azurite.log)"
}

cmd_stop() {
	dir=$1
	pidf="$dir/azurite.pid"
	[ -f "$pidf" ] || return 0
	pid=$(cat "$pidf")
	case $pid in
	'' | *[!0-9]*) die "bad pid file $pidf" ;;
	esac
	if ! alive "$pid"; then
		rm -f "$pidf" "$dir/azurite.url"
		return 0
	fi
	is_azurite "$pid" || die "pid $pid from $pidf is not azurite; not killing it"
	kill -TERM "$pid" 2>/dev/null || true
	i=0
	while alive "$pid"; do
		i=$((i + 1))
		if [ "$i" -gt $((stop_timeout_s * 10)) ]; then
			kill -KILL "$pid" 2>/dev/null || true
			sleep 1
			alive "$pid" && die "pid $pid survived SIGKILL"
			break
		fi
		sleep 0.1
	done
	rm -f "$pidf" "$dir/azurite.url"
}

[ $# -ge 1 ] || usage
case $1 in
install)
	[ $# -eq 1 ] || usage
	cmd_install
	;;
start)
	[ $# -eq 2 ] || usage
	cmd_start "$2"
	;;
stop)
	[ $# -eq 2 ] || usage
	cmd_stop "$2"
	;;
*)
	usage
	;;
esac
