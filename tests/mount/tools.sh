#!/bin/bash
# Everyday tools on the mounted lake: ls -l, find, stat, grep -r, wc -l,
# head, python3's csv module; getfattr shows the provenance xattrs and
# the size-probe protocol of getxattr/listxattr is right.
. "$(dirname "$0")/lib.sh"

make_store 300 100
lv_mount -o uid=4242,gid=4343

# ls -l: modes, owner from uid=/gid=, exact sizes.
ls -l "$MNT/account" > "$WORK/ls"
grep -Eq '^-r--r--r-- 1 4242 4343 ' "$WORK/ls" || { cat "$WORK/ls"; fail "ls -l: wrong mode or owner"; }
grep -Eq '^dr-xr-xr-x ' "$WORK/ls" || fail "ls -l: Snapshot/ is not dr-xr-xr-x"
for p in account/2019.csv contact/2019-01.csv lead/2020.csv model.json; do
	want=$(lakectl cat --store "$STORE" "$p" | wc -c)
	got=$(stat -c %s "$MNT/$p")
	[ "$want" = "$got" ] || fail "stat size of $p: $got, lake has $want"
done

# find: every file, the same count as the lake.
[ "$(find "$MNT" -type f | wc -l)" = "$(lake_files | wc -l)" ] || fail "find -type f count"
[ "$(find "$MNT" -name '*.csv' -path '*/Snapshot/*' | wc -l)" -gt 10 ] || fail "find: too few snapshots"

# grep -r, wc -l, head against lakectl cat.
want=$(lake_files | grep '\.csv$' | while read -r p; do lakectl cat --store "$STORE" "$p" | grep -c 'Inc\.' || true; done | paste -sd+ | bc)
got=$(grep -rc 'Inc\.' "$MNT" --include='*.csv' | awk -F: '{ s += $NF } END { print s }')
[ "$want" = "$got" ] || fail "grep -r counts $got, lake has $want"
[ "$(wc -l < "$MNT/account/2020.csv")" = "$(lakectl cat --store "$STORE" account/2020.csv | wc -l)" ] || fail "wc -l"
head -c 300 "$MNT/account/2021.csv" | cmp - <(lakectl cat --store "$STORE" account/2021.csv | head -c 300) || fail "head -c"
head -n 3 "$MNT/contact/2019-01.csv" | cmp - <(lakectl cat --store "$STORE" contact/2019-01.csv | head -n 3) || fail "head -n"

# python3 csv: every row of every account partition parses, same as the lake.
python3 - "$MNT" "$WORK" <<'PY' || fail "python csv"
import csv, glob, io, os, sys
mnt = sys.argv[1]
rows = 0
for path in sorted(glob.glob(os.path.join(mnt, "account", "*.csv"))):
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.reader(f):
            assert len(row) >= 9, (path, row)
            rows += 1
assert rows > 100, rows
with open(os.path.join(mnt, "model.json"), encoding="utf-8") as f:
    import json
    model = json.load(f)
assert {e["name"] for e in model["entities"]} >= {"account", "contact", "lead"}
print("# csv rows:", rows)
PY

# getfattr -d shows the provenance attributes.
snap=$(ls "$MNT/account/Snapshot" | head -n 1)
getfattr --absolute-names -d "$MNT/account/Snapshot/$snap" > "$WORK/xa"
for a in generation seq commit_time snapshot_of; do
	grep -q "^user.lakeview.$a=" "$WORK/xa" || { cat "$WORK/xa"; fail "getfattr: no user.lakeview.$a"; }
done
part=${snap%_*}
grep -qx "user.lakeview.snapshot_of=\"account/$part.csv\"" "$WORK/xa" || { cat "$WORK/xa"; fail "snapshot_of"; }
grep -Eq '^user.lakeview.commit_time="[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"$' "$WORK/xa" || fail "commit_time is not ISO 8601 UTC"
getfattr --absolute-names -d "$MNT/account/2019.csv" > "$WORK/xa2"
grep -q snapshot_of "$WORK/xa2" && fail "a live partition has snapshot_of"
grep -q '^user.lakeview.seq=' "$WORK/xa2" || fail "live partition: no seq"

# The size-probe protocol: size 0 -> needed size, too small -> ERANGE.
python3 - "$MNT/account/Snapshot/$snap" <<'PY' || fail "xattr size protocol"
import ctypes, errno, os, sys
libc = ctypes.CDLL(None, use_errno=True)
path = sys.argv[1].encode()
name = b"user.lakeview.snapshot_of"
need = libc.getxattr(path, name, None, ctypes.c_size_t(0))
assert need > 0, need
buf = ctypes.create_string_buffer(need)
assert libc.getxattr(path, name, buf, ctypes.c_size_t(need - 1)) == -1
assert ctypes.get_errno() == errno.ERANGE
assert libc.getxattr(path, name, buf, ctypes.c_size_t(need)) == need
lneed = libc.listxattr(path, None, ctypes.c_size_t(0))
lbuf = ctypes.create_string_buffer(lneed)
assert libc.listxattr(path, lbuf, ctypes.c_size_t(lneed - 1)) == -1
assert ctypes.get_errno() == errno.ERANGE
assert libc.listxattr(path, lbuf, ctypes.c_size_t(lneed)) == lneed
names = lbuf.raw[:lneed].split(b"\0")[:-1]
assert sorted(names) == sorted([b"user.lakeview.generation", b"user.lakeview.seq",
                                b"user.lakeview.commit_time", name]), names
try:
    os.getxattr(sys.argv[1], "user.nonexistent")
    raise SystemExit("user.nonexistent exists")
except OSError as e:
    assert e.errno == errno.ENODATA, e
PY
lv_umount

# umask= restricts the modes.
lv_mount -o umask=027
[ "$(stat -c %a "$MNT/account/2019.csv")" = 440 ] || fail "umask=027: file mode $(stat -c %a "$MNT/account/2019.csv")"
[ "$(stat -c %a "$MNT/account")" = 550 ] || fail "umask=027: dir mode"
[ "$(stat -c %u "$MNT/account")" = "$(id -u)" ] || fail "default owner is not the daemon's uid"
lv_umount
log "ok"
