#!/bin/bash
# .lakeview/status.json: readable, valid JSON with the daemon's members,
# reachable by name, absent from every listing (ls -a, find).
. "$(dirname "$0")/lib.sh"

make_store 100 60
lv_mount

python3 - "$MNT" "$STORE" <<'PY' || fail "status.json"
import json, os, sys
mnt, store = sys.argv[1], sys.argv[2]
path = os.path.join(mnt, ".lakeview", "status.json")
with open(path, "rb") as f:
    raw = f.read()
doc = json.loads(raw)
# ONE object, built in one place: the store's status members and the
# daemon's side by side, each once, no document glued onto another.
assert isinstance(doc, dict), type(doc)
end = json.JSONDecoder().raw_decode(raw.decode())[1]
assert raw.decode()[end:].strip() == "", "text after the object"
for key in ("store", "container", "lake_url", "last_seq", "last_commit",
            "tables", "counters",
            "open_handles", "lmdb_readers", "lmdb_max_readers", "daemon_pid",
            "mounted_since", "mount_point"):
    assert key in doc, key
    assert raw.count(b'"%s":' % key.encode()) == 1, key
assert not any(l.lstrip().startswith(b",") for l in raw.splitlines()), raw
assert doc["daemon_pid"] > 0, doc["daemon_pid"]
assert doc["mounted_since"].endswith("Z") and "T" in doc["mounted_since"], doc
assert doc["mount_point"] == os.path.realpath(mnt), doc["mount_point"]
assert doc["open_handles"] >= 1, doc["open_handles"]
assert 0 < doc["lmdb_readers"] <= doc["lmdb_max_readers"], doc
assert {t["name"] for t in doc["tables"]} == {"account", "contact", "lead"}
# The size stat reports is the size of what a read returns.
st = os.stat(path)
with open(path, "rb") as f:
    assert os.fstat(f.fileno()).st_size == len(f.read())
assert st.st_mode & 0o777 == 0o444
# Open handles are counted.
held = [open(os.path.join(mnt, "model.json"), "rb") for _ in range(3)]
doc2 = json.loads(open(path, "rb").read())
assert doc2["open_handles"] >= doc["open_handles"] + 3, (doc["open_handles"], doc2["open_handles"])
for h in held:
    h.close()
print("# status.json ok:", len(raw), "bytes")
PY

ls -a "$MNT" | grep -qx '.lakeview' && fail ".lakeview listed by ls -a"
find "$MNT" | grep -q '\.lakeview' && fail ".lakeview found by find"
grep -rl lmdb_max_readers "$MNT" >/dev/null 2>&1 && fail "grep -r wandered into .lakeview"
[ -d "$MNT/.lakeview" ] || fail ".lakeview is not reachable by name"
[ "$(ls "$MNT/.lakeview")" = status.json ] || fail "ls .lakeview"
ino=$(stat -c %i "$MNT/.lakeview/status.json")
[ "${#ino}" -ge 19 ] || fail "status.json inode $ino is not a reserved one"
lv_umount
log "ok"
