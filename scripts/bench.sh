#!/bin/sh
# bench.sh - lakeview's speed and memory goals, measured (never asserted
# in tests: these machines are noisy). Every figure is reported next to a
# baseline measured in the same run, as a ratio.
#
# Usage: scripts/bench.sh [ingest|update|snapshot|all] [ROWS]
#   ingest    1,000,000 upserts of ~200-byte rows: changes/s, store bytes
#             per CSV byte; baseline: python3 json+csv converting the same
#             rows (what a script would do), and cp of the input.
#   update    1,000 random updates into a 1 GiB partition: time and CSV
#             bytes re-encoded, against a full rewrite of the partition.
#   snapshot  a snapshot of that 1 GiB partition: time and new store bytes.
# Environment: BENCH_DIR (default: a directory under /var/tmp; the store
# must be on a local disk, not tmpfs, to measure fsync honestly).
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
what=${1:-all}
rows=${2:-1000000}

scripts/setup.sh --with-bench
build=${LAKEVIEW_BUILD:-build-bench}
[ -f "$build/build.ninja" ] || meson setup "$build" --buildtype=release >/dev/null
ninja -C "$build" >/dev/null
lakectl="$root/$build/tools/lakectl"

dir=${BENCH_DIR:-$(mktemp -d /var/tmp/lakeview-bench.XXXXXX)}
trap 'rm -rf "$dir"' EXIT
gen="$root/scripts/bench/gen_rows.py"

elapsed() { # command... -> prints seconds (wall) on stdout, output to log
	/usr/bin/time -f "%e %M" -o "$dir/time" "$@" >>"$dir/log" 2>&1
	cut -d' ' -f1 "$dir/time"
}
maxrss() { cut -d' ' -f2 "$dir/time"; }
counter() { # store key
	"$lakectl" status --store "$1" --json | python3 -c \
		"import json,sys; print(json.load(sys.stdin)['counters']['$2'])"
}
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }

bench_ingest() {
	echo "== ingest: $rows upserts"
	python3 "$gen" "$dir/bench.json" "$rows" >"$dir/rows.jsonl"
	rm -rf "$dir/s"
	"$lakectl" link --store "$dir/s" --environment bench --organization b >/dev/null
	"$lakectl" tables add --store "$dir/s" bench --schema "$dir/bench.json" >/dev/null
	t=$(elapsed "$lakectl" ingest --batch 100000 --store "$dir/s" bench "$dir/rows.jsonl")
	rss=$(maxrss)
	csv=$("$lakectl" ls -l --store "$dir/s" bench/2021.csv | awk '{print $1}')
	store=$(du -sb "$dir/s" | cut -f1)
	tcp=$(elapsed dd if="$dir/rows.jsonl" of="$dir/copy" bs=1M conv=fsync)
	tpy=$(elapsed python3 -c '
import csv, json, sys
w = csv.writer(open(sys.argv[2], "w"))
for line in open(sys.argv[1]):
    r = json.loads(line)
    w.writerow([r["benchid"], r["name"], r["city"], r["amount"], r["qty"], r["createdon"], r["versionnumber"]])
' "$dir/rows.jsonl" "$dir/py.csv")
	echo "lakectl ingest: $t s, $(python3 -c "print(int($rows / $t))") changes/s (goal >= 200000), max RSS $rss KB"
	echo "  vs python3 json->csv script: $tpy s   ratio lakectl/python = $(ratio "$t" "$tpy")"
	echo "  vs dd of the input with fsync: $tcp s"
	echo "store bytes per CSV byte: $(ratio "$store" "$csv") (goal <= 2.5; store $store B, CSV $csv B)"
	rm -f "$dir/copy" "$dir/py.csv"
}

bench_update() {
	echo "== update: 1000 random updates into a 1 GiB partition"
	n=4700000
	python3 "$gen" "$dir/bench.json" "$n" >"$dir/big.jsonl"
	rm -rf "$dir/g"
	"$lakectl" link --store "$dir/g" --environment bench --organization g >/dev/null
	"$lakectl" tables add --store "$dir/g" bench --schema "$dir/bench.json" >/dev/null
	"$lakectl" ingest --batch 200000 --store "$dir/g" bench "$dir/big.jsonl" >/dev/null
	rm -f "$dir/big.jsonl"
	size=$("$lakectl" ls -l --store "$dir/g" bench/2021.csv | awk '{print $1}')
	python3 "$gen" "$dir/bench.json" 0 --updates 1000 --of "$n" >"$dir/upd.jsonl"
	before=$(counter "$dir/g" bytes_encoded)
	t=$(elapsed "$lakectl" ingest --store "$dir/g" bench "$dir/upd.jsonl")
	after=$(counter "$dir/g" bytes_encoded)
	tfull=$(elapsed sh -c "'$lakectl' cat --store '$dir/g' bench/2021.csv > '$dir/full.csv' && sync '$dir/full.csv'")
	rm -f "$dir/full.csv"
	echo "partition: $size bytes; 1000 updates: $t s, re-encoded $((after - before)) bytes"
	echo "  = $(python3 -c "print('%.2f%%' % (100.0 * ($after - $before) / $size))") of a full rewrite (goal <= 10%)"
	echo "  a full rewrite (cat the partition to a file + sync): $tfull s   ratio = $(ratio "$t" "$tfull")"
}

bench_snapshot() {
	echo "== snapshot of the 1 GiB partition"
	[ -d "$dir/g" ] || bench_update
	before=$(du -sb "$dir/g/data.mdb" | cut -f1)
	used=$(counter "$dir/g" map_used)
	t=$(elapsed "$lakectl" snapshot --store "$dir/g")
	after=$(du -sb "$dir/g/data.mdb" | cut -f1)
	used2=$(counter "$dir/g" map_used)
	tcp=$(elapsed cp "$root/$build/tools/lakectl" "$dir/x")
	echo "snapshot: $t s (goal <= 0.05 s, including process start; cp of a small file: $tcp s)"
	echo "  new store bytes: file $((after - before)), map in use $((used2 - used)) (goal <= 1 MiB)"
}

case $what in
ingest) bench_ingest ;;
update) bench_update ;;
snapshot) bench_update; bench_snapshot ;;
all) bench_ingest; bench_update; bench_snapshot ;;
*) echo "usage: scripts/bench.sh [ingest|update|snapshot|all] [ROWS]" >&2; exit 2 ;;
esac
