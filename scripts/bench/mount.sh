# mount.sh - bench_mount: the FUSE daemon against tmpfs, ext4 and rclone.
# Sourced by scripts/bench.sh (POSIX sh), which provides $root, $build,
# $lakectl, $dir (scratch, removed on exit), $gen and the helpers elapsed,
# maxrss, ratio and counter. Every figure is measured in the same run as
# its baseline and reported as a ratio to it:
#
#   reads     cat, grep -c WORD and wc -l of a 1 GiB snapshot CSV:
#             - first read: a freshly started lakeview (an empty page cache
#               for the file; the store file itself is warm in the page
#               cache, as it is after a sync) against the same bytes on
#               tmpfs (tmpfs cannot be cold: its read is the baseline);
#             - repeat reads on one mount against tmpfs;
#             - the same reads through `rclone mount --read-only` of an
#               ext4 folder holding the same file (--vfs-cache-mode off,
#               rclone's default; fresh mount for each first read);
#             - once, everything cold (drop_caches: lakeview's store, the
#               ext4 file, rclone) for cat, for information.
#   metadata  ls -lR of a lake of ~10,000 files (21 tables partitioned by
#             month, 240 partitions and 240 snapshots each) against the same
#             tree copied to ext4 (warm) and through rclone; a stat() loop
#             (a small C program, 200,000 calls) on one file of each.
#   memory    the daemon's RssAnon (private memory, sampled every 0.1 s)
#             while it serves a ~10 GiB lake: two partitions (1 GiB and
#             0.7 GiB) with 5 snapshots each, every file read through the
#             mount (two readers at a time) and ls -lR.
# Read ratios are speed ratios (baseline time / lakeview time: higher is
# better); ls and stat ratios are time ratios (lakeview / ext4: lower is
# better). Runs alternate with their baseline's and ratios are medians of
# the pairs' ratios (this 2-vCPU machine is noisy); times are medians.
# MOUNT_RUNS (default 3) sets the runs of the slow measurements (first
# reads, rclone); repeat reads and ls -lR run 7 times, the stat loop 5.
# The stores take ~1 minute to build (the 1 GiB partition's 4.7 M rows);
# the whole bench ~3 minutes on an idle machine.

m_runs=${MOUNT_RUNS:-3}
m_lvpid=''
m_rcpid=''
m_sampler=''
m_shm=''

m_ms() { # start end (date +%s%N) -> milliseconds, 1 decimal
	echo "$1 $2" | awk '{printf "%.1f", ($2 - $1) / 1e6}'
}

m_t() { # shell command -> wall milliseconds; its stdout goes to a file
	m_s=$(date +%s%N)
	sh -c "$1" >"$dir/m.out" 2>>"$dir/log"
	m_e=$(date +%s%N)
	m_ms "$m_s" "$m_e"
}

m_median() { # numbers...
	printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1}
		END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}

m_pair() { # "a1 a2 ..." "b1 b2 ..." -> median of ai / bi (runs interleaved
	# in pairs see the same load: steadier than a ratio of medians here)
	printf '%s\n%s\n' "$1" "$2" | awk 'NR == 1 {n = split($0, a, " ")}
		NR == 2 {split($0, b, " "); for (i = 1; i <= n; i++) print a[i] / b[i]}' |
		sort -g | awk '{r[NR] = $1} END {printf "%.2f",
			(NR % 2) ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2}'
}

m_div() { # a b [digits] -> a / b
	awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN {printf "%.*f", d, a / b}'
}

m_mounted() { # mount point -> true while something is mounted there
	awk -v m="$1" '$2 == m {f = 1} END {exit !f}' /proc/mounts
}

m_lv_mount() { # store mount point [options]
	: >"$dir/lv.err"
	"$root/$build/fs/lakeview" "$1" "$2" -f ${3:+-o "$3"} 2>"$dir/lv.err" &
	m_lvpid=$!
	m_i=0
	until grep -q '^lakeview: serving ' "$dir/lv.err"; do
		if ! kill -0 "$m_lvpid" 2>/dev/null || [ $m_i -ge 1500 ]; then
			echo "lakeview did not mount $1 on $2:" >&2
			cat "$dir/lv.err" >&2
			return 1
		fi
		m_i=$((m_i + 1))
		sleep 0.02
	done
}

m_lv_umount() { # mount point
	fusermount3 -u "$1"
	wait "$m_lvpid" || true
	m_lvpid=''
}

m_rc_mount() { # source mount point
	rclone mount --read-only --vfs-cache-mode off "$1" "$2" 2>>"$dir/rclone.log" &
	m_rcpid=$!
	m_i=0
	until m_mounted "$2"; do
		if ! kill -0 "$m_rcpid" 2>/dev/null || [ $m_i -ge 1500 ]; then
			echo "rclone did not mount $1 on $2 (see $dir/rclone.log)" >&2
			return 1
		fi
		m_i=$((m_i + 1))
		sleep 0.02
	done
	stat "$2" >/dev/null
}

m_rc_umount() { # mount point
	fusermount3 -u "$1"
	wait "$m_rcpid" || true
	m_rcpid=''
}

m_cleanup() { # whatever an interrupted run left: mounts, processes, tmpfs
	[ -z "$m_sampler" ] || kill "$m_sampler" 2>/dev/null || true
	for m_m in "$dir/mnt" "$dir/rmnt"; do
		m_mounted "$m_m" && { fusermount3 -u "$m_m" 2>/dev/null ||
			fusermount3 -u -z "$m_m" 2>/dev/null || true; }
	done
	for m_p in $m_lvpid $m_rcpid; do
		if kill "$m_p" 2>/dev/null; then wait "$m_p" 2>/dev/null || true; fi
	done
	[ -z "$m_shm" ] || rm -rf "$m_shm"
	m_sampler='' m_lvpid='' m_rcpid='' m_shm=''
}

m_drop_caches() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
}

# rows of the bench table (the format of gen_rows.py, generated ~8x
# faster): n rows from index off, createdon in year y (default 2021).
# The ids are spread like random GUIDs: ingest's id hash (core/batch_i.h
# lv_id_hash) takes its low bits from the first bytes of the id, so ids with
# a constant head (00000001-..., 00000002-...) collide: ~3x slower at 500k
# rows, and worse the more rows.
m_rows() { # n off [year]
	awk -v n="$1" -v off="$2" -v y="${3:-2021}" 'BEGIN {
	for (i = off; i < off + n; i++) {
		h = (i * 2654435761) % 4294967296
		printf "{\"@odata.etag\":\"W/\\\"%d\\\"\",\"benchid\":\"%08x-%04x-4%03x-8000-%012x\",\"name\":\"Account number %08d, \\\"Ltd\\\"\",\"city\":\"Springfield %d\",\"amount\":%d.75,\"qty\":%d,\"createdon\":\"%d-%02d-%02dT10:%02d:00Z\",\"versionnumber\":%d}\n", i + 1, h, int(h / 65536) % 65536, h % 4096, i, i, i % 977, i % 100000, i % 1000, y, 1 + i % 12, 1 + i % 28, i % 60, i + 1
	}}'
}

# rows of a table with one long text column: ~1.5 KB of CSV (wide=1) or
# ~80 bytes (wide=0) each; with wide=0 createdon walks 20 years x 12 months
m_rows_memo() { # table n off wide
	awk -v t="$1" -v n="$2" -v off="$3" -v wide="$4" 'BEGIN {
	s = ""
	if (wide)
		for (k = 0; k < 40; k++)
			s = s sprintf("lorem ipsum dolor sit amet %05d, ", k * 7)
	for (i = off; i < off + n; i++) {
		h = (i * 2654435761) % 4294967296
		y = wide ? 2022 : 2001 + int(i / 12) % 20
		printf "{\"@odata.etag\":\"W/\\\"%d\\\"\",\"%sid\":\"%08x-%04x-4%03x-8000-%012x\",\"notes\":\"row %d of %s %s\",\"createdon\":\"%d-%02d-%02dT10:%02d:00Z\",\"versionnumber\":%d}\n", i + 1, t, h, int(h / 65536) % 65536, h % 4096, i, i, t, s, y, 1 + i % 12, 1 + i % 28, i % 60, i + 1
	}}'
}

m_memo_schema() { # table
	printf '{"LogicalName":"%s","EntitySetName":"%ss","PrimaryIdAttribute":"%sid","Attributes":[{"LogicalName":"%sid","AttributeType":"Uniqueidentifier"},{"LogicalName":"notes","AttributeType":"Memo","MaxLength":1048576},{"LogicalName":"createdon","AttributeType":"DateTime"},{"LogicalName":"versionnumber","AttributeType":"BigInt"}]}\n' "$1" "$1" "$1" "$1"
}

m_cmd() { # tool file -> the read command (grep -c: ~4,800 matching rows)
	case $1 in
	cat) echo "cat $2 >/dev/null" ;;
	grep) echo "grep -c 'Springfield 976' $2" ;;
	wc) echo "wc -l $2" ;;
	esac
}

m_rate() { # bytes milliseconds -> GB/s
	awk -v b="$1" -v ms="$2" 'BEGIN {printf "%.2f", b / ms / 1e6}'
}

m_goal() { # value op limit -> "met" / "MISSED"
	awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
		ok = (op == ">=") ? v >= l : v <= l
		print ok ? "met" : "MISSED"}'
}

bench_mount() {
	echo "== mount: lakeview against tmpfs, ext4 and rclone mount (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
	trap 'm_cleanup; rm -rf "$dir"' EXIT
	trap 'exit 130' INT TERM
	m_cleanup
	mkdir -p "$dir/mnt" "$dir/rmnt"
	rm -rf "$dir/ml" "$dir/mm" "$dir/rsrc" "$dir/tree"
	m_shm=$(mktemp -d /dev/shm/lakeview-bench.XXXXXX)
	[ "$(stat -f -c %T "$dir")" = ext2/ext3 ] ||
		echo "note: $dir is on $(stat -f -c %T "$dir"), not ext4: the ext4 baselines are that filesystem"

	# -- the lake: bench (1 GiB partition) + wide (0.7 GiB), 5 snapshots each
	m_s=$(date +%s%N)
	python3 "$gen" "$dir/bench.json" 0 >/dev/null
	m_memo_schema wide >"$dir/wide.json"
	"$lakectl" link --store "$dir/ml" --environment bench --organization m >/dev/null
	"$lakectl" tables add --store "$dir/ml" bench --schema "$dir/bench.json" >/dev/null
	"$lakectl" tables add --store "$dir/ml" wide --schema "$dir/wide.json" >/dev/null
	m_rows 4700000 0 | "$lakectl" ingest --batch 200000 --store "$dir/ml" bench - >>"$dir/log"
	m_rows_memo wide 470000 0 1 | "$lakectl" ingest --batch 20000 --store "$dir/ml" wide - >>"$dir/log"
	"$lakectl" snapshot --store "$dir/ml" >>"$dir/log"
	for m_r in 1 2 3 4; do
		m_rows 1 $((4700000 + m_r)) | "$lakectl" ingest --store "$dir/ml" bench - >>"$dir/log"
		m_rows_memo wide 1 $((470000 + m_r)) 1 | "$lakectl" ingest --store "$dir/ml" wide - >>"$dir/log"
		"$lakectl" snapshot --store "$dir/ml" >>"$dir/log"
	done
	m_snap=$("$lakectl" ls -R --store "$dir/ml" bench/Snapshot | grep '^bench/Snapshot/2021_' | sort | tail -1)
	m_size=$("$lakectl" ls -l --store "$dir/ml" "$m_snap" | awk '{print $1}')
	m_served=$("$lakectl" ls -l -R --store "$dir/ml" | awk '$NF !~ /\/$/ {s += $1; n++} END {printf "%.0f %d", s, n}')
	# -- the metadata lake: 21 tables x (240 partitions + 240 snapshots)
	"$lakectl" link --store "$dir/mm" --environment bench --organization many >/dev/null
	for m_tab in $(seq -f 't%02g' 0 20); do
		m_memo_schema "$m_tab" >"$dir/m.json"
		"$lakectl" tables add --store "$dir/mm" "$m_tab" --schema "$dir/m.json" --partition month >/dev/null
		m_rows_memo "$m_tab" 240 0 0 | "$lakectl" ingest --store "$dir/mm" "$m_tab" - >>"$dir/log"
	done
	"$lakectl" snapshot --store "$dir/mm" >>"$dir/log"
	m_e=$(date +%s%N)
	echo "stores built in $(m_div "$(m_ms "$m_s" "$m_e")" 1000 1) s: lake $(m_div "${m_served% *}" 1073741824) GiB in ${m_served#* } files; snapshot $m_snap: $m_size bytes"

	# -- the same bytes on tmpfs, on ext4 for rclone, the tree on ext4
	m_lv_mount "$dir/ml" "$dir/mnt"
	cat "$dir/mnt/$m_snap" >"$m_shm/f.csv"
	mkdir -p "$dir/rsrc/${m_snap%/*}"
	cp "$m_shm/f.csv" "$dir/rsrc/$m_snap"
	cmp "$dir/mnt/$m_snap" "$m_shm/f.csv"
	m_lv_umount "$dir/mnt"
	m_lv_mount "$dir/mm" "$dir/mnt"
	cp -r "$dir/mnt/." "$dir/tree"
	m_nfiles=$(find "$dir/tree" -type f | wc -l)
	m_lv_umount "$dir/mnt"
	cat "$dir/ml/data.mdb" >/dev/null   # the store file warm, as after a sync

	m_lvf="$dir/mnt/$m_snap"
	m_rcf="$dir/rmnt/$m_snap"
	m_tmf="$m_shm/f.csv"
	echo "reads of the $m_size-byte snapshot; speed ratios (higher is better):"
	for m_tool in cat grep wc; do
		m_lvc=$(m_cmd $m_tool "$m_lvf")
		m_rcc=$(m_cmd $m_tool "$m_rcf")
		m_tmc=$(m_cmd $m_tool "$m_tmf")
		# first reads: a fresh mount each run, tmpfs just before
		m_lv1='' m_rc1='' m_rc2='' m_tm1='' m_tm2='' m_lv2=''
		m_i=0
		while [ $m_i -lt "$m_runs" ]; do
			m_i=$((m_i + 1))
			m_tm1="$m_tm1 $(m_t "$m_tmc")"
			m_lv_mount "$dir/ml" "$dir/mnt"
			m_lv1="$m_lv1 $(m_t "$m_lvc")"
			m_lv_umount "$dir/mnt"
			m_rc_mount "$dir/rsrc" "$dir/rmnt"
			m_rc1="$m_rc1 $(m_t "$m_rcc")"
			m_rc2="$m_rc2 $(m_t "$m_rcc")"
			m_rc_umount "$dir/rmnt"
		done
		# repeat reads: one mount, a warm-up read, then runs paired with tmpfs
		m_lv_mount "$dir/ml" "$dir/mnt"
		m_t "$m_lvc" >/dev/null
		for m_i in 1 2 3 4 5 6 7; do
			m_tm2="$m_tm2 $(m_t "$m_tmc")"
			m_lv2="$m_lv2 $(m_t "$m_lvc")"
		done
		m_lv_umount "$dir/mnt"
		m_q1=$(m_pair "$m_tm1" "$m_lv1"); m_q2=$(m_pair "$m_tm2" "$m_lv2")
		m_x1=$(m_pair "$m_rc1" "$m_lv1"); m_x2=$(m_pair "$m_rc2" "$m_lv2")
		# shellcheck disable=SC2086
		{
			m_tm1=$(m_median $m_tm1); m_lv1=$(m_median $m_lv1); m_tm2=$(m_median $m_tm2)
			m_lv2=$(m_median $m_lv2); m_rc1=$(m_median $m_rc1); m_rc2=$(m_median $m_rc2)
		}
		printf '  %-4s first read:  lakeview %6s ms (%s GB/s), tmpfs %6s ms: %s x tmpfs (goal >= 0.18: %s); rclone %7s ms: lakeview/rclone %s x (goal >= 3: %s)\n' \
			"$m_tool" "$m_lv1" "$(m_rate "$m_size" "$m_lv1")" "$m_tm1" "$m_q1" "$(m_goal "$m_q1" '>=' 0.18)" \
			"$m_rc1" "$m_x1" "$(m_goal "$m_x1" '>=' 3)"
		printf '  %-4s repeat read: lakeview %6s ms (%s GB/s), tmpfs %6s ms: %s x tmpfs (goal >= 0.9: %s); rclone %7s ms: lakeview/rclone %s x\n' \
			"$m_tool" "$m_lv2" "$(m_rate "$m_size" "$m_lv2")" "$m_tm2" "$m_q2" "$(m_goal "$m_q2" '>=' 0.9)" \
			"$m_rc2" "$m_x2"
	done
	# everything cold once (store, ext4 file and rclone's source on disk)
	m_drop_caches
	m_lv_mount "$dir/ml" "$dir/mnt"
	m_lvd=$(m_t "cat $m_lvf >/dev/null")
	m_lv_umount "$dir/mnt"
	m_drop_caches
	m_ed=$(m_t "cat $dir/rsrc/$m_snap >/dev/null")
	m_drop_caches
	m_rc_mount "$dir/rsrc" "$dir/rmnt"
	m_rcd=$(m_t "cat $m_rcf >/dev/null")
	m_rc_umount "$dir/rmnt"
	echo "  cat  all cold (drop_caches, disk): lakeview $m_lvd ms ($(m_rate "$m_size" "$m_lvd") GB/s), ext4 file $m_ed ms: $(m_div "$m_ed" "$m_lvd") x ext4; rclone $m_rcd ms: lakeview/rclone $(m_div "$m_rcd" "$m_lvd" 1) x"

	# -- metadata: ls -lR and a stat() loop
	echo "metadata: a lake of $m_nfiles files; time ratios (lower is better):"
	cat >"$dir/statloop.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
int main(int argc, char **argv)
{
	struct stat st;
	long i, n = argc > 2 ? strtol(argv[2], NULL, 10) : 0;

	for (i = 0; i < n; i++)
		if (stat(argv[1], &st) != 0) {
			perror(argv[1]);
			return 1;
		}
	return 0;
}
EOF
	cc -O2 -o "$dir/statloop" "$dir/statloop.c"
	m_sf=$(cd "$dir/tree" && find . -path '*/Snapshot/2010-05_*' -type f | sort | tail -1)
	m_sf=${m_sf#./}
	m_e4='' m_lv1='' m_lv2='' m_rc1='' m_rc2='' m_s4='' m_slv='' m_src=''
	m_i=0
	while [ $m_i -lt "$m_runs" ]; do
		m_i=$((m_i + 1))
		m_lv_mount "$dir/mm" "$dir/mnt"
		m_lv1="$m_lv1 $(m_t "ls -lR $dir/mnt")"
		m_lv_umount "$dir/mnt"
		m_rc_mount "$dir/tree" "$dir/rmnt"
		m_rc1="$m_rc1 $(m_t "ls -lR $dir/rmnt")"
		m_rc2="$m_rc2 $(m_t "ls -lR $dir/rmnt")"
		m_rc_umount "$dir/rmnt"
	done
	m_lv_mount "$dir/mm" "$dir/mnt"
	m_rc_mount "$dir/tree" "$dir/rmnt"
	m_t "ls -lR $dir/mnt" >/dev/null
	m_t "ls -lR $dir/tree" >/dev/null
	for m_i in 1 2 3 4 5 6 7; do
		m_e4="$m_e4 $(m_t "ls -lR $dir/tree")"
		m_lv2="$m_lv2 $(m_t "ls -lR $dir/mnt")"
	done
	for m_i in 1 2 3 4 5; do
		m_s4="$m_s4 $(m_t "$dir/statloop $dir/tree/$m_sf 200000")"
		m_slv="$m_slv $(m_t "$dir/statloop $dir/mnt/$m_sf 200000")"
		m_src="$m_src $(m_t "$dir/statloop $dir/rmnt/$m_sf 200000")"
	done
	m_rc_umount "$dir/rmnt"
	m_lv_umount "$dir/mnt"
	m_q2=$(m_pair "$m_lv2" "$m_e4")
	m_x1=$(m_pair "$m_rc1" "$m_lv1"); m_x2=$(m_pair "$m_rc2" "$m_lv2")
	m_qs=$(m_pair "$m_slv" "$m_s4")
	# shellcheck disable=SC2086
	{
		m_e4=$(m_median $m_e4); m_lv1=$(m_median $m_lv1); m_lv2=$(m_median $m_lv2)
		m_rc1=$(m_median $m_rc1); m_rc2=$(m_median $m_rc2)
		m_s4=$(m_median $m_s4); m_slv=$(m_median $m_slv); m_src=$(m_median $m_src)
	}
	m_q1=$(m_div "$m_lv1" "$m_e4")
	echo "  ls -lR first after mount: lakeview $m_lv1 ms, ext4 (warm) $m_e4 ms: $m_q1 x ext4 (goal <= 1.5: $(m_goal "$m_q1" '<=' 1.5)); rclone $m_rc1 ms: rclone/lakeview $m_x1 x (goal >= 3: $(m_goal "$m_x1" '>=' 3))"
	echo "  ls -lR repeat:            lakeview $m_lv2 ms, ext4 (warm) $m_e4 ms: $m_q2 x ext4 (goal <= 1.5: $(m_goal "$m_q2" '<=' 1.5)); rclone $m_rc2 ms: rclone/lakeview $m_x2 x"
	echo "  stat() x 200,000, cached: lakeview $(m_div "$m_slv" 200 2) us/call, ext4 $(m_div "$m_s4" 200 2) us/call: $m_qs x ext4 (goal <= 2: $(m_goal "$m_qs" '<=' 2)); rclone $(m_div "$m_src" 200 2) us/call"

	# -- memory while serving the whole lake
	cat "$dir/ml/data.mdb" >/dev/null   # warm again after drop_caches
	m_lv_mount "$dir/ml" "$dir/mnt"
	(while kill -0 "$m_lvpid" 2>/dev/null; do
		awk '/^RssAnon:/ {print $2}' "/proc/$m_lvpid/status" 2>/dev/null
		sleep 0.1
	done) >"$dir/rss" &
	m_sampler=$!
	m_s=$(date +%s%N)
	find "$dir/mnt" -type f -print0 | xargs -0 -P 2 -n 1 cat >/dev/null
	ls -lR "$dir/mnt" >/dev/null
	m_e=$(date +%s%N)
	m_end=$(awk '/^RssAnon:/ {print $2}' "/proc/$m_lvpid/status")
	m_lv_umount "$dir/mnt"
	wait "$m_sampler" 2>/dev/null || true   # it ends with the daemon
	m_sampler=''
	m_max=$(sort -n "$dir/rss" | tail -1)
	m_dur=$(m_ms "$m_s" "$m_e")
	echo "memory: served $(m_div "${m_served% *}" 1073741824) GiB (${m_served#* } files) in $(m_div "$m_dur" 1000 1) s ($(m_rate "${m_served% *}" "$m_dur") GB/s);" \
		"daemon RssAnon max $m_max KiB ($(m_div "$m_max" 1024 1) MiB, goal <= 64 MiB: $(m_goal "$m_max" '<=' 65536)), at the end $m_end KiB"
	m_cleanup
	rm -rf "$dir/ml" "$dir/mm" "$dir/rsrc" "$dir/tree"
}
