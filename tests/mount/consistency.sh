#!/bin/bash
# One version per open handle while the writer commits and retires
# snapshots; a new open sees the new version within 1 s. See stream.py.
. "$(dirname "$0")/lib.sh"

make_store 1500 250
lv_mount
python3 "$HERE/stream.py" "$LAKECTL" "$STORE" "$MNT" "$NOW" || fail "stream.py"

# Afterwards the whole lake is byte-identical through the mount.
while IFS= read -r p; do
	lakectl cat --store "$STORE" "$p" | cmp -s - "$MNT/$p" || fail "$p differs after the run"
done < <(lake_files)
lv_umount
log "ok"
