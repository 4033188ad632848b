#!/bin/sh
# run_with_azurite.sh PROGRAM [ARGS...] - run PROGRAM with a fresh Azurite
# endpoint as its last argument (and in $LV_AZURITE_URL): install Azurite
# when missing, start it in a scratch directory, stop it by PID however
# PROGRAM ends (exit, signal, meson timeout). Exit status: PROGRAM's.
set -u
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { echo "usage: $0 PROGRAM [ARGS...]" >&2; exit 2; }
sh "$here/azurite.sh" install || exit 1
dir=$(mktemp -d "${TMPDIR:-/tmp}/lv-adls-sh.XXXXXX") || exit 1
cleanup() {
	sh "$here/azurite.sh" stop "$dir" || true
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP
sh "$here/azurite.sh" start "$dir" || exit 1
url=$(cat "$dir/azurite.url")
LV_AZURITE_URL=$url "$@" "$url"
