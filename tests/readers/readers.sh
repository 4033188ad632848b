#!/bin/sh
# readers.sh - install the pinned independent readers the readers suite
# checks the lake with (from package-lock.json): DuckDB's Node API, and for
# Parquet parquet-wasm (arrow-rs, read through apache-arrow) and hyparquet
# with hyparquet-compressors (zstd).
#
#   tests/readers/readers.sh install   npm ci here unless node_modules holds
#                                      every one of them already; silent then
#
# Exit status: 0, or 1 with a one-line message on stderr.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
case "${1:-}" in
install)
	have=1
	for p in @duckdb/node-api parquet-wasm apache-arrow hyparquet hyparquet-compressors; do
		[ -f "$here/node_modules/$p/package.json" ] || have=0
	done
	[ "$have" = 1 ] && exit 0
	command -v npm >/dev/null 2>&1 || { echo "readers.sh: npm is missing (apt-get install npm, or Node.js 20)" >&2; exit 1; }
	(cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
		{ echo "readers.sh: npm ci failed in $here" >&2; exit 1; }
	;;
*)
	echo "usage: $0 install" >&2
	exit 2
	;;
esac
