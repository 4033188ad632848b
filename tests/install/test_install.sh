#!/bin/sh
# test_install.sh - `meson install --destdir` lays out every file a user
# needs: the programs, the mount.lakeview link, man pages, systemd units,
# the fstab example and the bash completion.
set -eu
build=$1
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
meson install -C "$build" --destdir "$dest" --no-rebuild >/dev/null
prefix=$(meson introspect "$build" --buildoptions | python3 -c \
	'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"]=="prefix"][0])')
root="$dest$prefix"
fail=0
for f in bin/lakectl bin/lakeview \
	share/man/man1/lakectl.1 share/man/man8/lakeview.8 share/man/man5/lakeview.conf.5 \
	lib/systemd/system/lakeview-sync@.service lib/systemd/system/srv-lake.mount \
	lib/systemd/system/srv-lake.automount share/doc/lakeview/fstab.example \
	share/bash-completion/completions/lakectl; do
	if [ ! -e "$root/$f" ]; then
		echo "missing after install: $f"
		fail=1
	fi
done
[ -L "$root/sbin/mount.lakeview" ] || { echo "mount.lakeview is not a link"; fail=1; }
# the link may be absolute (then it names the installed path) or relative
target=$(readlink "$root/sbin/mount.lakeview" || true)
case $target in
/*) [ "$target" = "$prefix/bin/lakeview" ] ;;
*) [ "$(readlink -f "$root/sbin/$target")" = "$(readlink -f "$root/bin/lakeview")" ] ;;
esac || { echo "mount.lakeview points at '$target', not at lakeview"; fail=1; }
grep -q "ExecStart=$prefix/bin/lakectl sync" "$root/lib/systemd/system/lakeview-sync@.service" ||
	{ echo "the sync unit does not run the installed lakectl"; fail=1; }
# the man pages render
for m in man1/lakectl.1 man8/lakeview.8 man5/lakeview.conf.5; do
	grep -q '^\.SH' "$root/share/man/$m" || { echo "$m is not a man page"; fail=1; }
done
# the completion loads in bash and completes a command
bash -c ". /usr/share/bash-completion/bash_completion 2>/dev/null || true
	. '$root/share/bash-completion/completions/lakectl'
	complete -p lakectl" >/dev/null || { echo "completion does not load"; fail=1; }
exit $fail
