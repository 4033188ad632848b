#!/usr/bin/env python3
"""test_csv_readers.py - DuckDB and Python's csv read every file of the lake
alike, cell by cell.

A lake whose values hold every kind of line break (\\n, \\r\\n, a lone \\r;
first, last and alone in a value; in the first record of a file), quotes,
commas and non-ASCII text, in an in-place table and an append-only one, with
live partitions, two generations of snapshots and OptionsetMetadata. Every
CSV file of it is read by DuckDB (the pinned @duckdb/node-api) with exactly
the read_csv options the README gives, and by Python's csv module as the
README says (newline=""); the two must agree on every cell, and both must
give back the values that went in.

Environment (tests/readers/meson.build sets them): LAKECTL, LAKE_TESTS.
Exit status: 0 pass, 1 fail (meson's codes).
"""
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("LAKE_TESTS") or os.path.join(HERE, "..", "lake"))
import lakelib  # noqa: E402

# The options the README's DuckDB example gives read_csv (kept equal to it:
# test_readme_examples.py checks that the README holds this text).
DUCK_OPTS = ("header = false, all_varchar = true, new_line = '\\n', "
             "delim = ',', quote = '\"', escape = '\"'")

# Values that break readers that guess the dialect.
TRICKY = [
    "\r\nfirst a CRLF", "a lone\rCR", "ends with CR\r", "\r", "\n", "\r\n",
    "LF\nin the middle", "mixed\r\n\n\r\r\nbreaks", 'quote "inside", and a comma',
    '""', ",", "caf\u00e9 \u65e5\u672c \U0001F600", "  spaces kept  ", "\r\r", "x\n",
]


_duck_cache = {}


def duck_rows(path):
    if path not in _duck_cache:
        _duck_cache[path] = _duck_read(path)
    return _duck_cache[path]


def _duck_read(path):
    sql = "SELECT * FROM read_csv('%s', %s);" % (path.replace("'", "''"), DUCK_OPTS)
    p = subprocess.run(["node", os.path.join(HERE, "duck.mjs"), "-"], input=sql.encode(),
                       capture_output=True, timeout=120)
    if p.returncode:
        raise AssertionError("DuckDB cannot read %s: %s" % (path, p.stderr.decode().strip()))
    rows = json.loads(p.stdout)
    # all_varchar: an empty field is NULL to DuckDB, '' to csv
    return [["" if v is None else v for v in r.values()] for r in rows]


def csv_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return [r for r in csv.reader(f)]


class Readers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        r = subprocess.run([os.path.join(HERE, "readers.sh"), "install"])
        if r.returncode:
            raise unittest.SkipTest("readers.sh install failed")
        cls.lake = lakelib.Lake()
        cls.out = tempfile.mkdtemp(prefix="readers-")
        cls.want = {}  # (table, id) -> text value the newest version holds
        lake = cls.lake
        lake.add("lv_widget")
        lake.add("lv_event", append_only=True)
        base = {}
        for t in ("lv_widget", "lv_event"):
            with open(lakelib.fixture(t + ".1.jsonl")) as f:
                base[t] = [r for r in map(json.loads, f) if t + "id" in r]
        col = {"lv_widget": "lv_description", "lv_event": "lv_subject"}
        for gen in range(2):
            for t, rows in base.items():
                items = []
                for i, r in enumerate(rows):
                    r = dict(r)
                    r[col[t]] = TRICKY[(i + gen * 5) % len(TRICKY)] + TRICKY[(i * 3 + gen) % len(TRICKY)]
                    r["versionnumber"] = (gen + 1) * 1000 + i
                    r["@odata.etag"] = 'W/"%d"' % r["versionnumber"]
                    if t == "lv_widget":
                        r["lv_name"] = TRICKY[(i + 7 + gen) % len(TRICKY)]
                    items.append(r)
                    cls.want[(t, r[t + "id"].lower())] = r[col[t]]
                lake.ingest(t, items)
            lake.snapshot(now=lakelib.T0 + 3600 * (gen + 1))
        cls.files = [p for p in lake.files() if p.endswith(".csv")]
        for p in cls.files:
            dst = os.path.join(cls.out, p)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open(dst, "wb") as f:
                f.write(lake.cat(p))

    @classmethod
    def tearDownClass(cls):
        cls.lake.close()
        shutil.rmtree(cls.out, ignore_errors=True)

    def test_every_kind_of_file_is_there(self):
        kinds = {"snapshot": 0, "live": 0, "optionset": 0}
        for p in self.files:
            kinds["snapshot" if "/Snapshot/" in p else
                  "optionset" if p.startswith("OptionsetMetadata/") else "live"] += 1
        self.assertTrue(all(kinds.values()), kinds)

    def test_duckdb_and_csv_agree_cell_by_cell(self):
        for p in self.files:
            with self.subTest(file=p):
                path = os.path.join(self.out, p)
                self.assertEqual(duck_rows(path), csv_rows(path))

    def test_values_come_back(self):
        seen = {}  # (table, id) -> every cell of its records in the live files
        for p in self.files:
            t = p.split("/")[0]
            if t not in ("lv_widget", "lv_event") or "/Snapshot/" in p:
                continue
            for r in duck_rows(os.path.join(self.out, p)):
                seen.setdefault((t, r[0]), set()).update(r)
        self.assertTrue(self.want)
        for (t, rid), v in self.want.items():
            self.assertIn((t, rid), seen, "%s %s not read back" % (t, rid))
            self.assertIn(v, seen[(t, rid)], "%s %s: %r not among its cells" % (t, rid, v))

    def test_first_record_holds_a_break(self):
        # the case that broke DuckDB's sniffer: a line break inside the
        # first record of a file
        firsts = 0
        for p in self.files:
            with open(os.path.join(self.out, p), "rb") as f:
                data = f.read()
            first = next(csv.reader(io.StringIO(data.decode(), newline="")), [])
            firsts += any(("\r" in c or "\n" in c) for c in first)
        self.assertGreater(firsts, 0, "no file starts with a record holding a line break")


if __name__ == "__main__":
    r = unittest.main(exit=False, verbosity=2).result
    sys.exit(1 if not r.wasSuccessful() else 77 if r.skipped else 0)
