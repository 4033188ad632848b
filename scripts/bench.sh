#!/bin/sh
# bench.sh - lakeview's speed and memory goals, measured (never asserted
# in tests: these machines are noisy). Every figure is reported next to a
# baseline measured in the same run, as a ratio.
#
# Usage: scripts/bench.sh [ingest|update|snapshot|sync|paged|push|mount|delta|all] [ROWS]
#   ingest    1,000,000 upserts of ~200-byte rows: changes/s, store bytes
#             per CSV byte; baseline: python3 json+csv converting the same
#             rows (what a script would do), and cp of the input.
#   update    1,000 random updates into a 1 GiB partition: time and CSV
#             bytes re-encoded, against a full rewrite of the partition.
#   snapshot  a snapshot of that 1 GiB partition: time and new store bytes.
#   sync      initial sync of 1,000,000 rows from the Dataverse stand-in:
#             rows/s and lakectl CPU seconds per 100,000 rows, against a
#             python3 client fetching the same pages without storing them.
#             Then paging like a real org, pages that take SYNC_DELAY s
#             (0.4): one table against its pages x the delay; two tables,
#             then eight, at once against the slowest synced alone, and
#             against the sum and max of the tables' own paging times.
#   paged     only that second part of sync.
#   push      first push of a lake with a 1 GiB partition and its snapshot,
#             and an incremental push after 1,000 updates, to Azurite,
#             against rclone copy of the same tree; directly and through
#             tests/adls/latency_proxy.py (20 ms more round trip) [ROWS].
#   mount     reads of a 1 GiB snapshot (cat, grep -c, wc -l; first and
#             repeat), ls -lR of 10,000 files, a stat loop, against tmpfs,
#             ext4 and rclone mount of the same files; the daemon's RssAnon
#             while serving a 10 GiB lake (scripts/bench/mount.sh;
#             MOUNT_RUNS, default 3, pairs of runs per figure).
#   delta     the Delta version of a 1 GiB partition against DuckDB's COPY
#             to Parquet of the same CSV, its bytes, a DuckDB aggregate
#             over Delta vs CSV through the mount, the share rewritten
#             after 1,000 updates (scripts/bench/delta.sh; DELTA_ROWS).
# Environment: BENCH_DIR (default: a directory under /var/tmp; the store
# must be on a local disk, not tmpfs, to measure fsync honestly).
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
what=${1:-all}
rows=${2:-1000000}
push_rows=${2:-}

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
. "$root/scripts/bench/mount.sh"
. "$root/scripts/bench/delta.sh"

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

# Start the sample-org stand-in with the options given; sets spid and url.
standin_start() { # [--org FILE] [stand-in options]: the sample org by default
	case ${1:-} in --org) ;; *) set -- --sample-org "$@" ;; esac
	python3 tests/dataverse/standin.py --seed 3 "$@" \
		>"$dir/standin.out" 2>"$dir/standin.err" &
	spid=$!
	i=0
	until grep -q '^READY ' "$dir/standin.out" 2>/dev/null; do
		i=$((i + 1)); [ $i -lt 600 ] || { echo "stand-in did not start"; kill $spid; return 1; }
		sleep 0.1
	done
	url=$(awk '/^READY/ {print $2}' "$dir/standin.out")
}

sync_prelude() {
	trap 'kill $spid 2>/dev/null || true; rm -rf "$dir"' EXIT
	t0=00000000-0000-0000-0000-000000000001
	printf 's3cret-value\n' >"$dir/secret"
	chmod 600 "$dir/secret"
}

bench_sync() {
	echo "== sync: initial sync of 1,000,000 rows from the Dataverse stand-in"
	sync_prelude
	standin_start --sample-rows "${SYNC_ROWS:-1000000}" || return 1
	rm -rf "$dir/d"
	"$lakectl" link --store "$dir/d" --environment bench --organization d --dataverse-url "$url" \
		--tenant-id $t0 --client-id lakeview-test --client-secret-file "$dir/secret" \
		--token-url "$url/$t0/oauth2/v2.0/token" >/dev/null
	"$lakectl" tables add --store "$dir/d" account contact >/dev/null
	# lakectl's CPU time is the figure that does not depend on the
	# stand-in's speed (python serves ~30k rows/s on this machine)
	/usr/bin/time -f "%e %U %S" -o "$dir/t" "$lakectl" sync --store "$dir/d" --snapshot-interval 604800 2>>"$dir/log"
	read -r wall user sys <"$dir/t"
	# baseline: python3 fetching and parsing the same pages, storing nothing
	tok=$(curl -s -d "grant_type=client_credentials&client_id=lakeview-test&client_secret=s3cret-value&scope=$url/.default" \
		"$url/$t0/oauth2/v2.0/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
	tcurl=$(elapsed python3 - "$url" "$tok" <<'PY'
import json, sys, urllib.request
base, tok = sys.argv[1], sys.argv[2]
for s in ("accounts", "contacts"):
    url = base + "/api/data/v9.2/" + s
    while url:
        req = urllib.request.Request(url, headers={"Authorization": "Bearer " + tok,
            "Prefer": "odata.track-changes,odata.maxpagesize=5000", "Accept": "application/json"})
        body = urllib.request.urlopen(req).read()
        j = json.loads(body)
        url = j.get("@odata.nextLink")
PY
)
	kill $spid; wait $spid 2>/dev/null || true
	echo "lakectl sync: $wall s wall, $(python3 -c "print(int(1000000 / $wall))") rows/s, lakectl CPU $(python3 -c "print('%.2f' % (($user + $sys) / 10))") s per 100,000 rows"
	echo "  vs python3 fetching the same pages without storing them: $tcurl s   ratio = $(ratio "$wall" "$tcurl")"
	bench_sync_paged
}

# Paging like a real org: a stand-in whose pages take SYNC_DELAY s, like a
# busy org's. One table alone against its page count x the delay (the
# next page is fetched while a page commits); two tables, then eight, at
# once against the slowest of them synced alone and against the sum and
# the max of the tables' own paging times in that same run.
paged_sync() { # STORE TABLE... -> wall seconds; the log in $dir/plog
	s=$1; shift
	rm -rf "$dir/$s"
	"$lakectl" link --store "$dir/$s" --environment bench --organization "$s" --dataverse-url "$url" \
		--tenant-id $t0 --client-id lakeview-test --client-secret-file "$dir/secret" \
		--token-url "$url/$t0/oauth2/v2.0/token" --page-size 1000 >/dev/null
	"$lakectl" tables add --store "$dir/$s" "$@" >/dev/null
	/usr/bin/time -f "%e" -o "$dir/tp" "$lakectl" sync --store "$dir/$s" --snapshot-interval 604800 2>"$dir/plog"
	cat "$dir/tp"
}

paging() { # sum|max|pages of the tables' last log lines in $dir/plog
	awk -v what="$1" '/ pages in [0-9.]+ s / && !/\.\.\.$/ {
		for (i = 1; i < NF; i++) if ($i == "pages" && $(i+1) == "in") {
			s += $(i+2); if ($(i+2) > m) m = $(i+2); p += $(i-1) } }
		END { print (what == "sum" ? s : what == "max" ? m : p) + 0 }' "$dir/plog"
}

bench_sync_paged() {
	delay=${SYNC_DELAY:-0.4}
	standin_start --sample-rows "${SYNC_PAGED_ROWS:-20000}" --page-delay "$delay" || return 1
	paged_sync p1 contact >/dev/null
	one=$(paging max); pages=$(paging pages)
	echo "one table (contact, $pages pages of 1000 rows, $delay s each): $one s paging"
	echo "  vs its pages x $delay s = $(python3 -c "print('%.1f' % ($pages * $delay))") s   ratio = $(ratio "$one" "$(python3 -c "print($pages * $delay)")") (goal <= 1.1)"
	# the floor this server sets: a client that only fetches the pages
	tok=$(curl -s -d "grant_type=client_credentials&client_id=lakeview-test&client_secret=s3cret-value&scope=$url/.default" \
		"$url/$t0/oauth2/v2.0/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
	fetch=$(elapsed python3 - "$url" "$tok" <<'PY'
import json, sys, urllib.request
base, tok = sys.argv[1], sys.argv[2]
url = base + "/api/data/v9.2/contacts"
while url:
    req = urllib.request.Request(url, headers={"Authorization": "Bearer " + tok,
        "Prefer": "odata.track-changes,odata.maxpagesize=1000", "Accept": "application/json"})
    url = json.loads(urllib.request.urlopen(req).read()).get("@odata.nextLink")
PY
)
	echo "  vs a python client only fetching the same pages $fetch s   ratio = $(ratio "$one" "$fetch")"
	alone=$(paged_sync p1 contact)
	both=$(paged_sync p2 account contact)
	kill $spid; wait $spid 2>/dev/null || true
	grep ' pages in ' "$dir/plog" | grep -v '\.\.\.$' | sed 's/^/  /'
	echo "two tables at once: $both s wall; the slower (contact) synced alone: $alone s   ratio = $(ratio "$both" "$alone") (goal <= 1.25)"
	echo "  vs the sum of the tables' paging times $(paging sum) s   ratio = $(ratio "$both" "$(paging sum)")"
	echo "  vs the slowest table's paging time $(paging max) s   ratio = $(ratio "$both" "$(paging max)")"
	python3 - "$dir/org8.json" <<'PY'
import json, random, sys
sys.path.insert(0, "tests/integration")
import lvtest
rng = random.Random(8)
tables = [lvtest.table_spec("lv_t%d" % i, lvtest.SIMPLE_ATTRS,
                            [lvtest.make_row(rng, "simple", "lv_t%did" % i) for _ in range(8000)])
          for i in range(8)]
json.dump({"tables": tables, "start_version": 5000}, open(sys.argv[1], "w"))
PY
	standin_start --org "$dir/org8.json" --page-delay "$delay" || return 1
	alone=$(paged_sync p3 lv_t0)
	eight=$(paged_sync p4 lv_t0 lv_t1 lv_t2 lv_t3 lv_t4 lv_t5 lv_t6 lv_t7)
	kill $spid; wait $spid 2>/dev/null || true
	echo "eight tables of 8,000 rows at once (tables_in_flight default): $eight s wall; one of them alone: $alone s   ratio = $(ratio "$eight" "$alone") (goal <= 1.5)"
	echo "  vs the sum of the tables' paging times $(paging sum) s   ratio = $(ratio "$eight" "$(paging sum)")"
}

# One measured push round against the Azurite at $1 (a fresh instance),
# its first push and an incremental one after 1,000 updates, each next to
# rclone copy of the same tree to the same endpoint. $2 names the run.
push_round() {
	aurl=$1
	rm -rf "$dir/p" "$dir/tree"
	"$lakectl" link --store "$dir/p" --environment bench --organization p --adls-url "$aurl" \
		--adls-account devstoreaccount1 --adls-key-file "$dir/key" >/dev/null
	"$lakectl" tables add --store "$dir/p" bench --schema "$dir/bench.json" >/dev/null
	"$lakectl" ingest --batch 200000 --store "$dir/p" bench "$dir/big.jsonl" >/dev/null
	"$lakectl" snapshot --store "$dir/p" >/dev/null   # a lake: the partition and its snapshot
	size=$("$lakectl" ls -l --store "$dir/p" bench/2021.csv | awk '{print $1}')
	t1=$(elapsed "$lakectl" push --store "$dir/p")
	rss1=$(maxrss)
	sent1=$(grep -o '[0-9]* bytes sent' "$dir/log" | tail -1 | cut -d' ' -f1)
	# rclone: the same tree (as files) to the same Azurite; its defaults
	# (4 MiB blocks, 16 in flight). rclone 1.60 reaches an emulator at a
	# given URL through use_emulator + endpoint (account and key implied).
	mkdir -p "$dir/tree"
	"$lakectl" ls --store "$dir/p" -R | while read -r f; do
		case $f in */) mkdir -p "$dir/tree/$f" ;; *) "$lakectl" cat --store "$dir/p" "$f" >"$dir/tree/$f" ;; esac
	done
	rc_copy() { # -> seconds; bytes rclone transferred in $dir/rbytes
		/usr/bin/time -f "%e %M" -o "$dir/time" rclone copy "$dir/tree" :azureblob:rclone-bench \
			--azureblob-use-emulator --azureblob-endpoint "$aurl" \
			--stats 1h --stats-log-level NOTICE --use-json-log >"$dir/rclone.log" 2>&1
		grep -o '"bytes":[0-9]*' "$dir/rclone.log" | tail -1 | cut -d: -f2 >"$dir/rbytes"
		cut -d' ' -f1 "$dir/time"
	}
	r1=$(rc_copy); rb1=$(cat "$dir/rbytes")
	"$lakectl" ingest --store "$dir/p" bench "$dir/upd.jsonl" >/dev/null
	t2=$(elapsed "$lakectl" push --store "$dir/p")
	sent2=$(grep -o '[0-9]* bytes sent' "$dir/log" | tail -1 | cut -d' ' -f1)
	"$lakectl" cat --store "$dir/p" bench/2021.csv >"$dir/tree/bench/2021.csv"
	for f in model.json Microsoft.Athena.TrickleFeedService/bench-model.json; do
		"$lakectl" cat --store "$dir/p" "$f" >"$dir/tree/$f"
	done
	r2=$(rc_copy); rb2=$(cat "$dir/rbytes")
	lake=$(du -sb "$dir/tree" | cut -f1)
	mbs() { python3 -c "print('%.1f' % ($1 / $2 / 1e6))"; }
	echo "$2: first push of a $lake-byte lake (a $size-byte partition and its snapshot):" \
		"lakeview $t1 s ($sent1 bytes sent); rclone copy $r1 s ($rb1 bytes)"
	echo "  speed lakeview/rclone = $(ratio "$r1" "$t1") (goal >= 1), lakectl push max RSS $rss1 KiB"
	echo "$2: after 1,000 updates: lakeview $t2 s, $sent2 bytes sent; rclone copy $r2 s, $rb2 bytes (it re-sends changed files whole)"
	echo "  speed lakeview/rclone = $(ratio "$r2" "$t2") (goal >= 1), bytes sent lakeview/rclone = $(ratio "$sent2" "$rb2") (goal <= 0.25)"
}

bench_push() {
	echo "== push: first push of a lake with a ~1 GiB partition and its snapshot, then an incremental push after 1,000 updates, vs rclone copy; directly and through a proxy adding 20 ms of round trip"
	sh tests/adls/azurite.sh install
	rm -rf "$dir/az" "$dir/az2"; mkdir -p "$dir/az" "$dir/az2"
	trap 'kill $ppid 2>/dev/null || true; sh tests/adls/azurite.sh stop "$dir/az" >/dev/null 2>&1; sh tests/adls/azurite.sh stop "$dir/az2" >/dev/null 2>&1; rm -rf "$dir"' EXIT
	key='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
	printf '%s\n' "$key" >"$dir/key"
	chmod 600 "$dir/key"  # lakectl refuses a key others can read
	n=${push_rows:-4700000}
	python3 "$gen" "$dir/bench.json" "$n" >"$dir/big.jsonl"
	python3 "$gen" "$dir/bench.json" 0 --updates 1000 --of "$n" >"$dir/upd.jsonl"
	AZURITE_LOCATION="$dir/az/data" sh tests/adls/azurite.sh start "$dir/az" >/dev/null
	push_round "$(cat "$dir/az/azurite.url")" direct
	sh tests/adls/azurite.sh stop "$dir/az" >/dev/null
	rm -rf "$dir/az"
	# a fresh Azurite behind a loopback proxy adding 20 ms to every round
	# trip (tests/adls/latency_proxy.py), for both clients
	AZURITE_LOCATION="$dir/az2/data" sh tests/adls/azurite.sh start "$dir/az2" >/dev/null
	aport=$(sed 's|.*:\([0-9]*\)/.*|\1|' "$dir/az2/azurite.url")
	python3 tests/adls/latency_proxy.py 0 "$aport" 20 >"$dir/proxy.out" &
	ppid=$!
	until grep -q '^ready ' "$dir/proxy.out" 2>/dev/null; do sleep 0.1; done
	push_round "http://127.0.0.1:$(awk '/^ready/ {print $2}' "$dir/proxy.out")/devstoreaccount1" "20 ms away"
	kill $ppid
	sh tests/adls/azurite.sh stop "$dir/az2" >/dev/null
}

case $what in
ingest) bench_ingest ;;
update) bench_update ;;
snapshot) bench_update; bench_snapshot ;;
sync) bench_sync ;;
paged) echo "== sync: paging like a real org"; sync_prelude; bench_sync_paged ;;
push) bench_push ;;
mount) bench_mount ;;
delta) bench_delta ;;
all) bench_ingest; bench_update; bench_snapshot; bench_sync; bench_push; bench_mount; bench_delta ;;
*) echo "usage: scripts/bench.sh [ingest|update|snapshot|sync|paged|push|mount|delta|all] [ROWS]" >&2; exit 2 ;;
esac
