#!/bin/sh
# readers.sh - install the pinned independent readers the readers suite
# checks the lake with (DuckDB's Node API, from package-lock.json).
#
#   tests/readers/readers.sh install   npm ci here unless node_modules holds
#                                      @duckdb/node-api already; silent then
#
# Exit status: 0, or 1 with a one-line message on stderr.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
case "${1:-}" in
install)
	[ -f "$here/node_modules/@duckdb/node-api/package.json" ] && exit 0
	command -v npm >/dev/null 2>&1 || { echo "readers.sh: npm is missing (apt-get install npm, or Node.js 20)" >&2; exit 1; }
	(cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
		{ echo "readers.sh: npm ci failed in $here" >&2; exit 1; }
	;;
*)
	echo "usage: $0 install" >&2
	exit 2
	;;
esac
