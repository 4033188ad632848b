#!/bin/sh
# setup.sh - install what lakeview needs to build, test and run its demo,
# and nothing that is already there.
#
# Idempotent and quiet when everything is present: it asks dpkg which
# packages are missing and only then runs apt-get (update once, install the
# missing ones). npm packages are installed only for the suites that need
# them (Azurite for the ADLS tests), from the lockfile in tests/adls.
#
# Usage: scripts/setup.sh [--with-bench]
set -eu

need="meson ninja-build pkg-config gcc libc6-dev libfuse3-dev fuse3 \
liblmdb-dev lmdb-utils libjansson-dev libcurl4-openssl-dev libssl-dev libzstd-dev \
python3 attr ca-certificates scdoc systemd python3-pandas"
[ "${1:-}" = "--with-bench" ] && need="$need hyperfine rclone time"

missing=""
for p in $need; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: missing packages:$missing; run as root or: sudo apt-get install$missing" >&2
		exit 1
	fi
	echo "setup: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
exit 0
