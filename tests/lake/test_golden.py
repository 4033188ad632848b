#!/usr/bin/env python3
"""Golden files: the fixed fixtures (fixtures/*.schema.json, fixtures/*.jsonl)
run through the fixed scenario of lakelib.build_scenario (an in-place Year
table, an in-place Month table, an append-only table; three ingests, three
snapshots, LAKEVIEW_NOW fixed) must produce, byte for byte, the lake stored
under golden/lake/: every partition CSV, every Snapshot/ file, model.json,
the Microsoft.Athena.TrickleFeedService/<table>-model.json manifests and the
OptionsetMetadata/*.csv files; golden/ls-R.txt is the sorted `lakectl ls -R`
listing and golden/transcript.txt what the commands printed.

    test_golden.py            compare
    test_golden.py --regen    rewrite golden/ from the current lakectl
                              (then review every changed byte by hand
                              against reference/lake-format.md)
"""
import difflib
import os
import shutil
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lakelib  # noqa: E402


def produce():
    with lakelib.Lake() as lake:
        transcript, _ = lakelib.build_scenario(lake)
        listing = "\n".join(sorted(lake.ls())) + "\n"
        files = lake.tree()
    return transcript, listing, files


def regen():
    transcript, listing, files = produce()
    shutil.rmtree(lakelib.GOLDEN, ignore_errors=True)
    os.makedirs(os.path.join(lakelib.GOLDEN, "lake"))
    with open(os.path.join(lakelib.GOLDEN, "transcript.txt"), "w", encoding="utf-8") as f:
        f.write(transcript)
    with open(os.path.join(lakelib.GOLDEN, "ls-R.txt"), "w", encoding="utf-8") as f:
        f.write(listing)
    for path, data in files.items():
        dst = os.path.join(lakelib.GOLDEN, "lake", path)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, "wb") as f:
            f.write(data)
    print("rewrote %s: %d lake files" % (lakelib.GOLDEN, len(files)))
    return 0


def show_diff(name, want, got):
    a = want.decode("utf-8", "replace").splitlines(keepends=True)
    b = got.decode("utf-8", "replace").splitlines(keepends=True)
    diff = list(difflib.unified_diff(a, b, "golden/" + name, "lakectl/" + name))
    sys.stdout.writelines(repr(l)[1:-1] + "\n" for l in diff[:60])


def compare():
    transcript, listing, files = produce()
    failures = []

    def check(name, want_path, got):
        try:
            with open(want_path, "rb") as f:
                want = f.read()
        except FileNotFoundError:
            failures.append("%s: no golden file (run with --regen and review)" % name)
            return
        if want != got:
            failures.append("%s: differs from the golden file" % name)
            show_diff(name, want, got)

    check("transcript.txt", os.path.join(lakelib.GOLDEN, "transcript.txt"), transcript.encode())
    check("ls-R.txt", os.path.join(lakelib.GOLDEN, "ls-R.txt"), listing.encode())
    golden_lake = os.path.join(lakelib.GOLDEN, "lake")
    golden_files = set()
    for root, _, names in os.walk(golden_lake):
        for n in names:
            golden_files.add(os.path.relpath(os.path.join(root, n), golden_lake))
    for path in sorted(golden_files - set(files)):
        failures.append("%s: in the golden lake, missing from lakectl's" % path)
    for path in sorted(files):
        check(path, os.path.join(golden_lake, path), files[path])
    for f in failures:
        print("FAIL", f)
    if not failures:
        print("ok: %d lake files, listing and transcript match golden/" % len(files))
    return 1 if failures else 0


if __name__ == "__main__":
    lakelib.require_lakectl()
    sys.exit(regen() if "--regen" in sys.argv[1:] else compare())
