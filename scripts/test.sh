#!/bin/sh
# test.sh - the one test command: install what is missing, build, run every
# suite, end with one line "N passed, N failed".
#
# Usage: scripts/test.sh [meson test options, e.g. --suite unit]
# Environment:
#   LAKEVIEW_BUILD     build directory (default: build-test)
#   LAKEVIEW_SANITIZE  set to 0 to build without ASan+UBSan (default: on)
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/setup.sh

build=${LAKEVIEW_BUILD:-build-test}
sanitize=${LAKEVIEW_SANITIZE:-1}
if [ ! -f "$build/build.ninja" ]; then
	if [ "$sanitize" = 1 ]; then
		meson setup "$build" -Db_sanitize=address,undefined -Db_lundef=false \
			-Dwerror=true >/dev/null
	else
		meson setup "$build" -Dwerror=true >/dev/null
	fi
fi
ninja -C "$build" >/dev/null

# The sanitizers must fail a test, not only print.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

set +e
meson test -C "$build" --print-errorlogs --no-rebuild "$@" >"$build/test-output.txt" 2>&1
status=$?
set -e
# show what failed, then the one closing line
grep -E '^ *[0-9]+/[0-9]+ ' "$build/test-output.txt" || true
if [ $status -ne 0 ]; then
	sed -n '/^--- command ---/,/^-------/p' "$build/test-output.txt" | tail -200
fi
json="$build/meson-logs/testlog.json"
python3 - "$json" <<'PY'
import json, sys
passed = failed = skipped = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif r == "SKIP":
        skipped += 1
    else:
        failed += 1
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PY
exit $status
