#!/bin/bash
# Every file `lakectl ls -R` lists is byte-identical through the mount,
# and the mount lists exactly those paths: a store with in-place and
# append-only tables, Year and Month partitions, several snapshots.
. "$(dirname "$0")/lib.sh"

make_store 400 150
lv_mount

n=0
while IFS= read -r p; do
	lakectl cat --store "$STORE" "$p" > "$WORK/expected"
	cmp "$WORK/expected" "$MNT/$p" || fail "$p differs through the mount"
	n=$((n + 1))
done < <(lake_files)
[ "$n" -gt 50 ] || fail "only $n files in the lake"
log "$n files identical"

# Several snapshots per partition, both partition schemes, both modes.
[ "$(ls "$MNT/account/Snapshot" | grep -c '^2019_')" -ge 2 ] || fail "account/2019 has fewer than 2 snapshots"
ls "$MNT/contact" | grep -Eq '^[0-9]{4}-[0-9]{2}\.csv$' || fail "no Month partitions in contact/"
ls "$MNT/account" | grep -Eq '^[0-9]{4}\.csv$' || fail "no Year partitions in account/"
[ -s "$MNT/lead/2019.csv" ] || fail "append-only lead/2019.csv missing"

# The listing through the mount is the lake's listing (directories with /).
(cd "$MNT" && find . -mindepth 1 \( -type d -printf '%P/\n' -o -printf '%P\n' \)) | sort > "$WORK/mount.ls"
lakectl ls --store "$STORE" -R | sort > "$WORK/lake.ls"
diff -u "$WORK/lake.ls" "$WORK/mount.ls" || fail "listings differ"

# Second pass: snapshots come from the page cache (keep_cache); still equal.
while IFS= read -r p; do
	lakectl cat --store "$STORE" "$p" | cmp - "$MNT/$p" || fail "$p differs on the second read"
done < <(lake_files | head -n 20)

# Inode numbers are the store's: stable across a remount.
stat -c '%i %n' "$MNT"/account/* "$MNT"/model.json > "$WORK/ino.1"
lv_umount
lv_mount
stat -c '%i %n' "$MNT"/account/* "$MNT"/model.json > "$WORK/ino.2"
diff -u "$WORK/ino.1" "$WORK/ino.2" || fail "inode numbers changed across a remount"
[ "$(stat -c %i "$MNT")" = 1 ] || fail "the root is not inode 1"
lv_umount
log "ok"
