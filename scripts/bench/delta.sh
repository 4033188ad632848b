# delta.sh - `scripts/bench.sh delta`: the Delta version of a 1 GiB
# partition, against DuckDB on the same rows in the same run (sourced by
# bench.sh; uses its $dir, $gen, $lakectl, elapsed, ratio, m_lv_mount).
#
#   write      lakectl snapshot with delta = on (the CSV snapshot costs
#              milliseconds; the rest is the Parquet of the partition)
#              against DuckDB's COPY (FROM read_csv(partition)) TO parquet
#              of the same CSV file: speed ratio, goal >= 1.
#   bytes      Parquet bytes / CSV bytes, goal <= 0.35.
#   query      count and sum of the money column per year: DuckDB over
#              the Delta files against DuckDB over the CSV partition, both
#              through a lakeview mount: speed ratio, goal >= 5.
#   update     1,000 random updates, then a snapshot: the share of the
#              table's Parquet bytes the new version rewrites (goal <= 15%)
#              and the snapshot's time against the first version's.

bench_delta() {
	echo "== delta: the Delta version of a 1 GiB partition"
	"$root/tests/readers/readers.sh" install
	duck="$root/tests/readers/duck.mjs"
	n=${DELTA_ROWS:-4700000}
	python3 "$gen" "$dir/bench.json" "$n" >"$dir/big.jsonl"
	rm -rf "$dir/d"
	"$lakectl" link --store "$dir/d" --environment bench --organization d >/dev/null
	"$lakectl" tables add --store "$dir/d" bench --schema "$dir/bench.json" >/dev/null
	"$lakectl" ingest --batch 200000 --store "$dir/d" bench "$dir/big.jsonl" >/dev/null
	rm -f "$dir/big.jsonl"
	"$lakectl" cat --store "$dir/d" bench/2021.csv >"$dir/p.csv"
	csv=$(stat -c %s "$dir/p.csv")
	sync

	printf "COPY (FROM read_csv('%s', header = false)) TO '%s' (FORMAT parquet);\n" \
		"$dir/p.csv" "$dir/duck.parquet" >"$dir/copy.sql"
	tduck=$(elapsed node "$duck" "$dir/copy.sql")
	duckpq=$(stat -c %s "$dir/duck.parquet")
	rm -f "$dir/duck.parquet"

	echo "delta = on" >>"$dir/d/lakeview.conf"
	t=$(elapsed "$lakectl" snapshot --store "$dir/d")
	rss=$(maxrss)
	pq=$("$lakectl" status --store "$dir/d" --json | python3 -c \
		"import json,sys; print([t for t in json.load(sys.stdin)['tables'] if t['name'] == 'bench'][0]['delta']['bytes'])")
	echo "partition: $csv CSV bytes, $n rows"
	echo "write: lakectl snapshot (Delta version 0) $t s, max RSS $rss KiB; DuckDB COPY to parquet $tduck s"
	echo "  speed ratio (DuckDB time / lakeview time) = $(ratio "$tduck" "$t") (goal >= 1)"
	echo "bytes: Parquet $pq = $(ratio "$pq" "$csv") x the CSV (goal <= 0.35); DuckDB's own: $(ratio "$duckpq" "$csv") x"

	mkdir -p "$dir/mnt"
	trap 'm_cleanup; rm -rf "$dir"' EXIT
	trap 'exit 130' INT TERM
	m_lv_mount "$dir/d" "$dir/mnt"
	lake="$dir/mnt"
	printf "SELECT year(createdon) AS y, count(*) AS n, sum(amount) AS s FROM read_parquet('%s/deltalake/bench/PartitionId=*/*.parquet') GROUP BY y ORDER BY y;\n" \
		"$lake" >"$dir/q_pq.sql"
	printf "SELECT year(createdon::TIMESTAMP) AS y, count(*) AS n, sum(amount::DECIMAL(38,4)) AS s FROM read_csv('%s/bench/2021.csv', header = false, all_varchar = true, names = ['Id', 'SinkCreatedOn', 'SinkModifiedOn', 'benchid', 'name', 'city', 'amount', 'qty', 'createdon', 'versionnumber']) GROUP BY y ORDER BY y;\n" \
		"$lake" >"$dir/q_csv.sql"
	node "$duck" "$dir/q_pq.sql" >"$dir/q_pq.out"
	node "$duck" "$dir/q_csv.sql" >"$dir/q_csv.out"
	if ! cmp -s "$dir/q_pq.out" "$dir/q_csv.out"; then
		echo "  the two queries disagree:"; cat "$dir/q_pq.out" "$dir/q_csv.out"
	fi
	tq_pq=$(elapsed node "$duck" "$dir/q_pq.sql")
	tq_csv=$(elapsed node "$duck" "$dir/q_csv.sql")
	m_lv_umount "$dir/mnt"
	echo "query (count, sum per year, through the mount): Delta $tq_pq s, CSV $tq_csv s"
	echo "  speed ratio (CSV time / Delta time) = $(ratio "$tq_csv" "$tq_pq") (goal >= 5)"

	python3 "$gen" "$dir/bench.json" 0 --updates 1000 --of "$n" >"$dir/upd.jsonl"
	"$lakectl" ingest --store "$dir/d" bench "$dir/upd.jsonl" >/dev/null
	t2=$(elapsed "$lakectl" snapshot --store "$dir/d")
	"$lakectl" cat --store "$dir/d" deltalake/bench/_delta_log/00000000000000000001.json >"$dir/v1.json"
	new=$(python3 -c "import json,sys; print(sum(json.loads(l)['add']['size'] for l in open(sys.argv[1]) if '\"add\"' in l))" "$dir/v1.json")
	echo "update: 1,000 random updates, then a snapshot: $t2 s (version 0: $t s)"
	echo "  the new version writes $new bytes = $(python3 -c "print('%.1f%%' % (100.0 * $new / $pq))") of the table's Parquet (goal <= 15%)"
	rm -f "$dir/p.csv" "$dir/upd.jsonl"
	rm -rf "$dir/d"
}
