#!/usr/bin/env python3
"""test_layering.py - core's modules call only down the layering table.

The table is the one in core/link.c's top comment (core's top module): one
row per line, modules separated by commas, top to bottom. A call from a
module to a module on its own row or a row above it fails the test, and so
does a module of liblakeview.a that the table does not name (a new module
must say where it stands). The calls are read from the library with nm, so
the test checks what the code does, not what it includes.

Usage: test_layering.py CORE_LINK_C LIBLAKEVIEW_A
"""
import re, subprocess, sys


def table(path):
    text = open(path).read()
    body = text[text.index("The layering of core"):text.index("*/")]
    rows = []
    for line in body.splitlines():
        m = re.match(r"^ \*   ([a-z_]+(?:, [a-z_]+)*),?\s{2,}", line)
        if m:
            rows.append([x.strip() for x in m.group(1).split(",")])
        elif re.match(r"^ \*   [a-z_]+(?:, [a-z_]+)*,\s*$", line):
            rows.append([x.strip() for x in line[4:].rstrip(", \n").split(",")])
    return rows


def calls(lib):
    defined, used = {}, []
    out = subprocess.run(["nm", "-A", lib], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        m = re.match(r"^.*?([a-z_0-9]+)\.c\.o:\s*(?:[0-9a-f]+)?\s+([A-Za-z])\s+(\S+)$", line)
        if not m:
            continue
        mod, kind, sym = m.groups()
        if not sym.startswith("lv_"):
            continue
        if kind == "U":
            used.append((mod, sym))
        elif kind in "TDRB":
            defined[sym] = mod
    return {(mod, defined[s]) for mod, s in used if s in defined and defined[s] != mod}, set(defined.values()) | {m for m, _ in used}


def main():
    rows = table(sys.argv[1])
    rank = {m: i for i, row in enumerate(rows) for m in row}
    edges, mods = calls(sys.argv[2])
    bad = []
    for m in sorted(mods - set(rank)):
        bad.append("%s.c is not in the layering table of core/link.c" % m)
    for a, b in sorted(edges):
        if a in rank and b in rank and rank[b] <= rank[a]:
            bad.append("%s.c calls %s.c, which is %s it in the layering" %
                       (a, b, "beside" if rank[a] == rank[b] else "above"))
    if len(rank) < 20:
        bad.append("the layering table of core/link.c has only %d modules: it was not read" % len(rank))
    for b in bad:
        print(b)
    print("%d modules, %d calls between them, %d problem(s)" % (len(mods), len(edges), len(bad)))
    return 1 if bad else 0


sys.exit(main())
