#!/usr/bin/env python3
"""test_options.py - the option lists the documentation gives are the ones
the programs take (issue 12: one source for each list).

  * `lakeview --help` (printed from the daemon's one option table,
    fs/options.c) lists exactly the options of the OPTIONS section of
    doc/lakeview.8.scd and of the "## Options" table of fs/README.md;
  * for every `lakectl` command, `lakectl CMD --help` (printed from the
    command's option table) lists exactly the options doc/lakectl.1.scd
    gives under that command;
  * every lakeview.conf key the code reads or writes (a string literal
    passed to lv_store_conf_get / _uint / _set in core/, tools/, fs/)
    is documented in doc/lakeview.conf.5.scd.

LAKEVIEW and LAKECTL name the built programs; either may be absent (77
when both are).
"""
import os, re, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOC = os.path.join(ROOT, "doc")
failures = []


def fail(msg):
    failures.append(msg)
    print("not ok - " + msg)


def norm(item):
    """'-o uid=N' / 'uid=N' / '--store DIR' / '-t TYPE' -> the option's name."""
    item = item.replace("\\", "").strip(" *`,[]")
    if item.startswith("-o "):
        item = item[3:]
    if item.startswith("x-"):
        return "x-*"
    return re.split(r"[= ]", item, maxsplit=1)[0].strip("*")


def help_options(text):
    """Options of a --help text: the column before the help of each line
    that starts (after the indent) with '-'."""
    out = set()
    for line in text.splitlines():
        s = line.strip()
        if not line.startswith("  ") or not s.startswith("-"):
            continue
        left = re.split(r"\s{2,}", s)[0]
        for item in left.split(", "):
            if item.strip(","):
                out.add(norm(item))
    return out


def section(text, start, end_re):
    i = text.index(start)
    m = re.compile(end_re, re.M).search(text, i + len(start))
    return text[i:m.start() if m else len(text)]


def compare(what, have, doc_name, doc):
    for o in sorted(have - doc):
        fail("%s: option %s of --help is not in %s" % (what, o, doc_name))
    for o in sorted(doc - have):
        fail("%s: %s lists option %s that --help does not" % (what, doc_name, o))


def check_lakeview(exe):
    text = subprocess.run([exe, "--help"], stdout=subprocess.PIPE, check=True).stdout.decode()
    have = help_options(text)
    assert len(have) > 20, have
    man = open(os.path.join(DOC, "lakeview.8.scd")).read()
    opts = section(man, "\n# OPTIONS", r"^# ")
    mdoc = set()
    for line in opts.splitlines():
        if line.startswith("*"):
            mdoc |= {norm(b) for b in re.findall(r"\*([^*\t]+)\*", line)}
    compare("lakeview", have, "lakeview.8.scd", mdoc)
    readme = open(os.path.join(ROOT, "fs", "README.md")).read()
    table = section(readme, "\n## Options", r"^##")
    rdoc = set()
    for line in table.splitlines():
        cells = line.split("|")
        if len(cells) > 2 and not set(cells[1].strip()) <= set("-"):
            rdoc |= {norm(b) for b in re.findall(r"`([^`]+)`", cells[1])}
    compare("lakeview", have, "fs/README.md", rdoc)


def main():
    lakeview = os.environ.get("LAKEVIEW")
    lakectl = os.environ.get("LAKECTL")
    if not lakeview and not lakectl:
        print("SKIP: neither LAKEVIEW nor LAKECTL given")
        return 77
    if lakeview:
        check_lakeview(lakeview)
    if lakectl:
        check_lakectl(lakectl)
    check_conf_keys()
    print("%d problem(s)" % len(failures))
    return 1 if failures else 0


COMMANDS = ["link", "tables", "sync", "ingest", "snapshot", "push", "status",
            "ls", "cat", "unlink", "relink"]
OPT = re.compile(r"(?<![\w-])(--[a-z][a-z-]*|-[A-Za-z])(?![\w-])")


def check_lakectl(exe):
    man = open(os.path.join(DOC, "lakectl.1.scd")).read()
    cmds = section(man, "\n# COMMANDS", r"^# ")
    entries = {}
    key = None
    for line in cmds.splitlines():
        m = re.match(r"^\*(\w+)", line)
        if m:
            key = m.group(1)
        if key:
            text = line.replace("*", "").replace("\\", "")
            entries.setdefault(key, set()).update(OPT.findall(text))
    for cmd in COMMANDS:
        text = subprocess.run([exe, cmd, "--help"], stdout=subprocess.PIPE,
                              check=True).stdout.decode()
        opts = text[text.index("\noptions:\n"):]
        have = set()
        for line in opts.splitlines()[2:]:
            left = re.split(r"\s{2,}", line.strip())[0]
            have |= {item.split()[0] for item in left.split(", ")}
        have -= {"-h", "--help"}
        if "--store" not in have:
            fail("lakectl %s --help: no --store" % cmd)
        doc = entries.get(cmd, set()) - {"-h", "--help"}
        if not doc:
            fail("lakectl.1.scd has no entry for %s" % cmd)
        compare("lakectl " + cmd, have, "lakectl.1.scd", doc)


CONF_CALL = re.compile(r'lv_store_conf_(?:get|uint|set)\(\s*[^,()]+,\s*"([A-Za-z0-9_]+)"')


def check_conf_keys():
    keys = {}
    for top in ("core", "tools", "fs"):
        for d, _, files in os.walk(os.path.join(ROOT, top)):
            for f in files:
                if f.endswith((".c", ".h")):
                    path = os.path.join(d, f)
                    for k in CONF_CALL.findall(open(path, errors="replace").read()):
                        keys.setdefault(k, os.path.relpath(path, ROOT))
    assert len(keys) > 10, keys
    man = open(os.path.join(DOC, "lakeview.conf.5.scd")).read()
    text = section(man, "\n# KEYS", r"^# ").replace("\\", "")
    documented = set(re.findall(r"\*([A-Za-z0-9_]+)\*", text))
    for k in sorted(set(keys) - documented):
        fail("lakeview.conf key %s (read in %s) is not in lakeview.conf.5.scd" % (k, keys[k]))


if __name__ == "__main__":
    sys.exit(main())
