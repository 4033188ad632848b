#!/usr/bin/env python3
"""test_parquet_readers.py - Parquet files from liblakeview's encoder read
back, value by value, by three independent readers.

pq_write (tests/readers/pq_write.c) writes files with every column type,
nulls, empty strings, non-ASCII text, dates and timestamps back to
1753-01-01 and out to 9999-12-31, integers and decimals at the edges of
their ranges and precisions, several row groups and pages, dictionary
strings, strings that fall back from the dictionary to PLAIN, zstd and no
compression, and no rows at all. DuckDB (read_parquet), parquet-wasm
(arrow-rs) and hyparquet (+ hyparquet-compressors), pinned in
package-lock.json, must each return exactly the rows that went in, and
see the types the encoder declared. DuckDB's parquet_metadata checks the
column chunk statistics (min, max, null count of every chunk against the
rows of its row group), the encodings, the codec and the footer's
key-value metadata.

Environment (tests/readers/meson.build sets it): PQ_WRITE.
Exit status: 0 pass, 1 fail (meson's codes).
"""
import datetime
import json
import math
import os
import random
import shutil
import subprocess
import tempfile
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
PQ_WRITE = os.environ.get("PQ_WRITE", "pq_write")
READERS = ("duckdb", "arrow", "hyparquet")
EPOCH = datetime.date(1970, 1, 1)

# the logical types each reader must see, per encoder type
ARROW_TYPES = {"string": "Utf8", "int32": "Int32", "int64": "Int64", "double": "Float64",
               "boolean": "Bool", "date": "Date32<DAY>",
               "timestamp": "Timestamp<MICROSECOND, UTC>"}
DUCK_TYPES = {"string": "VARCHAR", "int32": "INTEGER", "int64": "BIGINT", "double": "DOUBLE",
              "boolean": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMP WITH TIME ZONE"}
HYP_TYPES = {"string": "BYTE_ARRAY/UTF8/STRING", "int32": "INT32//", "int64": "INT64//",
             "double": "DOUBLE//", "boolean": "BOOLEAN//", "date": "INT32/DATE/DATE",
             "timestamp": "INT64/TIMESTAMP_MICROS/TIMESTAMP"}


def days(y, m, d):
    return (datetime.date(y, m, d) - EPOCH).days


def micros(y, mo, d, h=0, mi=0, s=0, us=0):
    t = datetime.datetime(y, mo, d, h, mi, s, us, tzinfo=datetime.timezone.utc)
    e = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    delta = t - e
    return (delta.days * 86400 + delta.seconds) * 1000000 + delta.microseconds


def dec_text(unscaled, scale):
    neg = unscaled < 0
    s = str(abs(unscaled)).rjust(scale + 1, "0")
    if scale:
        s = s[:-scale] + "." + s[-scale:]
    return ("-" if neg else "") + s


def canon(col, v):
    """The value as the test compares it (None for null)."""
    if v is None:
        return None
    t = col["type"]
    if t == "decimal":
        if isinstance(v, int):
            return dec_text(v, col["scale"])
        whole, _, frac = v.lstrip("+").partition(".")
        neg = whole.startswith("-")
        digits = whole.lstrip("-") + frac.ljust(col["scale"], "0")[:col["scale"]]
        return dec_text(int(digits or "0") * (-1 if neg else 1), col["scale"])
    if t in ("int32", "int64", "date", "timestamp"):
        return int(v)
    if t == "double":
        return float(v)
    return v


def write(path, cols, rows, **options):
    spec = os.path.join(os.path.dirname(path), os.path.basename(path) + ".json")
    with open(spec, "w") as f:
        json.dump({"columns": cols, "options": options, "rows": rows}, f)
    p = subprocess.run([PQ_WRITE, spec, path], capture_output=True, text=True)
    if p.returncode:
        raise AssertionError("pq_write %s: %s" % (path, p.stderr.strip()))


def read(reader, path):
    return read_many(reader, [path])[0]


def read_many(reader, paths):
    """Each file's rows and types, read by @reader in one process."""
    p = subprocess.run(["node", os.path.join(HERE, "pq_read.mjs"), reader, *paths],
                       capture_output=True, text=True, timeout=300)
    if p.returncode:
        raise AssertionError("%s cannot read %s: %s" % (reader, " ".join(paths), p.stderr.strip()))
    return [json.loads(line) for line in p.stdout.splitlines()]


def duck(sql):
    p = subprocess.run(["node", os.path.join(HERE, "duck.mjs"), "-"], input=sql,
                       capture_output=True, text=True, timeout=300)
    if p.returncode:
        raise AssertionError("DuckDB: %s" % p.stderr.strip())
    return json.loads(p.stdout)


EVERY_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "i32", "type": "int32"},
    {"name": "i64", "type": "int64"},
    {"name": "dec9", "type": "decimal", "precision": 9, "scale": 2},
    {"name": "dec18", "type": "decimal", "precision": 18, "scale": 4},
    {"name": "dec38", "type": "decimal", "precision": 38, "scale": 10},
    {"name": "dec19", "type": "decimal", "precision": 19, "scale": 0},
    {"name": "dec5_5", "type": "decimal", "precision": 5, "scale": 5},
    {"name": "dbl", "type": "double"},
    {"name": "flag", "type": "boolean"},
    {"name": "day", "type": "date"},
    {"name": "at", "type": "timestamp"},
]

EVERY_ROWS = [
    ["caf\u00e9 \u65e5\u672c \U0001F600", 0, 0, "0", "0", "0", "0", "0", 0.0, True,
     days(1753, 1, 1), micros(1753, 1, 1)],
    ["", 2**31 - 1, 2**63 - 1, "9999999.99", "99999999999999.9999",
     "9" * 28 + "." + "9" * 10, "9" * 19, "0.99999", 1.7976931348623157e308, False,
     days(9999, 12, 31), micros(9999, 12, 31, 23, 59, 59, 999999)],
    ["a,\"b\"\r\nc", -2**31, -2**63, "-9999999.99", "-99999999999999.9999",
     "-" + "9" * 28 + "." + "9" * 10, "-" + "9" * 19, "-0.99999", -5e-324, True,
     days(1969, 12, 31), micros(1969, 12, 31, 23, 59, 59, 999999)],
    [None] * 12,
    ["x" * 5000, 7, -1, "-0.01", "0.0001", "0.0000000001", "1", "0.00001", 0.1, None,
     days(2024, 2, 29), micros(2026, 12, 5, 7, 17, 55, 123456)],
    [None, None, 123456789012, "12.5", -12345, "1234567890123456789.5", None, None,
     None, False, None, None],
]


class ParquetReaders(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if subprocess.run([os.path.join(HERE, "readers.sh"), "install"]).returncode:
            raise unittest.SkipTest("readers.sh install failed")
        cls.tmp = tempfile.mkdtemp(prefix="pq-readers-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.tmp, name + ".parquet")

    def check_reads(self, path, cols, rows):
        want = [[canon(c, v) for c, v in zip(cols, r)] for r in rows]
        for reader in READERS:
            got = read(reader, path)
            types = got["types"]
            self.assertEqual(list(types), [c["name"] for c in cols], reader)
            for c in cols:
                t = types[c["name"]]
                if c["type"] == "decimal":
                    p, sc = c["precision"], c["scale"]
                    exp = {"duckdb": "DECIMAL(%d,%d)" % (p, sc),
                           "arrow": "Decimal[%de%s%d]" % (p, "+" if sc else "", sc),
                           "hyparquet": None}[reader]
                    if exp:
                        self.assertEqual(t, exp, reader)
                    else:
                        self.assertTrue(t.endswith("/DECIMAL/DECIMAL"), t)
                else:
                    exp = {"duckdb": DUCK_TYPES, "arrow": ARROW_TYPES,
                           "hyparquet": HYP_TYPES}[reader][c["type"]]
                    self.assertEqual(t, exp, "%s %s" % (reader, c["name"]))
            self.assertEqual(len(got["rows"]), len(want), reader)
            for n, (g, w) in enumerate(zip(got["rows"], want)):
                for c, gv, wv in zip(cols, g, w):
                    where = "%s %s row %d column %s" % (reader, os.path.basename(path), n,
                                                        c["name"])
                    if gv is not None and c["type"] == "decimal" and reader == "hyparquet":
                        self.assertTrue(math.isclose(gv["approx"], float(wv), rel_tol=1e-12,
                                                     abs_tol=1e-300), where)
                        gv = gv["exact"]
                    self.assertEqual(canon(c, gv), wv, where)

    def check_stats(self, path, cols):
        """Every chunk's min, max and null count equal the rows' own."""
        q = path.replace("'", "''")
        meta = duck("SELECT row_group_id, row_group_num_rows, path_in_schema, "
                    "stats_min_value, stats_max_value, stats_null_count "
                    "FROM parquet_metadata('%s') ORDER BY row_group_id, column_id" % q)
        lo, case = 0, []
        for m in meta:
            g = int(m["row_group_id"])
            if len(case) == g:
                lo += int(m["row_group_num_rows"])
                case.append("WHEN file_row_number < %d THEN %d" % (lo, g))
        if not case:
            return
        sel = []
        for i, c in enumerate(cols):
            n = '"%s"' % c["name"]
            sel.append("min(%s)::VARCHAR AS lo%d, max(%s)::VARCHAR AS hi%d, "
                       "count(*) - count(%s) AS nulls%d" % (n, i, n, i, n, i))
        real = duck("SELECT g, %s FROM (SELECT *, CASE %s END AS g FROM read_parquet('%s', "
                    "file_row_number = true)) GROUP BY g" % (", ".join(sel), " ".join(case), q))
        real = {int(r["g"]): r for r in real}
        for m in meta:
            g = int(m["row_group_id"])
            i = [c["name"] for c in cols].index(m["path_in_schema"])
            where = "%s group %d column %s" % (os.path.basename(path), g, m["path_in_schema"])
            r = real[g]
            self.assertEqual(int(m["stats_null_count"]), int(r["nulls%d" % i]), where)
            if cols[i]["type"] == "string" and r["hi%d" % i] and len(r["hi%d" % i]) > 4096:
                self.assertIsNone(m["stats_max_value"], where)
                continue
            self.assertEqual(m["stats_min_value"], r["lo%d" % i], where)
            self.assertEqual(m["stats_max_value"], r["hi%d" % i], where)

    def test_every_type_plain(self):
        p = self.path("every_plain")
        write(p, EVERY_TYPE, EVERY_ROWS, no_dictionary=True,
              kv={"org.apache.spark.version": "3.4.0"})
        self.check_reads(p, EVERY_TYPE, EVERY_ROWS)
        self.check_stats(p, EVERY_TYPE)
        kv = duck("SELECT decode(key) AS k, decode(value) AS v FROM "
                  "parquet_kv_metadata('%s')" % p)
        self.assertEqual(kv, [{"k": "org.apache.spark.version", "v": "3.4.0"}])
        meta = duck("SELECT DISTINCT compression, encodings FROM parquet_metadata('%s')" % p)
        self.assertEqual(meta, [{"compression": "UNCOMPRESSED", "encodings": "PLAIN, RLE"}])
        created = duck("SELECT created_by, format_version FROM "
                       "parquet_file_metadata('%s')" % p)
        self.assertRegex(created[0]["created_by"], r"^lakeview version \d+\.\d+\.\d+$")
        self.assertEqual(str(created[0]["format_version"]), "1")

    def test_every_type_zstd(self):
        p = self.path("every_zstd")
        write(p, EVERY_TYPE, EVERY_ROWS, codec="zstd")
        self.check_reads(p, EVERY_TYPE, EVERY_ROWS)
        meta = duck("SELECT DISTINCT compression FROM parquet_metadata('%s')" % p)
        self.assertEqual(meta, [{"compression": "ZSTD"}])
        schema = duck("SELECT name, converted_type, logical_type, scale, precision, "
                      "type_length FROM parquet_schema('%s') WHERE name LIKE 'dec%%' "
                      "ORDER BY name" % p)
        by = {s["name"]: s for s in schema}
        self.assertEqual(by["dec38"]["converted_type"], "DECIMAL")
        self.assertEqual(by["dec38"]["logical_type"], "DecimalType(scale=10, precision=38)")
        self.assertEqual((str(by["dec38"]["scale"]), str(by["dec38"]["precision"])),
                         ("10", "38"))
        self.assertEqual(str(by["dec38"]["type_length"]), "16")
        self.assertEqual(str(by["dec19"]["type_length"]), "9")

    def test_row_groups_pages_dictionary(self):
        """Many rows: several row groups and pages, dictionary and fallback."""
        rnd = random.Random(16)
        cols = [{"name": "Id", "type": "string"},
                {"name": "state", "type": "string"},
                {"name": "city", "type": "string"},
                {"name": "n", "type": "int64"},
                {"name": "amount", "type": "decimal", "precision": 38, "scale": 2},
                {"name": "price", "type": "decimal", "precision": 12, "scale": 3},
                {"name": "ok", "type": "boolean"},
                {"name": "ratio", "type": "double"},
                {"name": "createdon", "type": "timestamp"},
                {"name": "birthday", "type": "date"},
                {"name": "nothing", "type": "string"},
                {"name": "rare", "type": "int32"}]
        states = ["Active", "Inactive", "", "\u00c9tat \u00e9trange", None]
        rows = []
        for i in range(30000):
            rows.append([
                str(uuid.UUID(int=rnd.getrandbits(128))),
                rnd.choice(states),
                # many distinct values: the dictionary passes its ceiling
                "city-%d" % rnd.randrange(1800) if i % 7 else None,
                i * 1000003 - 2**40,
                dec_text(rnd.randrange(-10**38 + 1, 10**38), 2) if i % 11 else None,
                rnd.randrange(-10**12 + 1, 10**12),
                rnd.random() < 0.5 if i % 13 else None,
                rnd.uniform(-1e6, 1e6),
                micros(1753, 1, 1) + rnd.randrange(0, 2**62 // 8) if i % 5 else None,
                rnd.randrange(days(1753, 1, 1), days(9999, 12, 31)),
                None,
                i if i % 9973 == 0 else None,
            ])
        p = self.path("many")
        write(p, cols, rows, codec="zstd", row_group_bytes=600000, page_rows=3000,
              page_bytes=40000, dict_bytes=20000)
        self.check_reads(p, cols, rows)
        self.check_stats(p, cols)
        meta = duck("SELECT row_group_id, path_in_schema AS c, encodings AS e FROM "
                    "parquet_metadata('%s')" % p)
        groups = {m["row_group_id"] for m in meta}
        self.assertGreater(len(groups), 2)
        enc = {}
        for m in meta:
            enc.setdefault(m["c"], set()).add(m["e"])
        self.assertEqual(enc["state"], {"PLAIN, RLE, RLE_DICTIONARY"})
        self.assertEqual(enc["Id"], {"PLAIN, RLE"})  # GUIDs: no dictionary pays
        # the dictionary passes its ceiling: dictionary pages, then PLAIN
        self.assertIn("PLAIN, RLE, RLE_DICTIONARY", enc["city"])

        # and the same rows uncompressed, no dictionary, one row group
        p2 = self.path("many_plain")
        write(p2, cols, rows, no_dictionary=True)
        self.check_reads(p2, cols, rows)
        self.assertGreater(os.path.getsize(p2), os.path.getsize(p))

    def test_no_rows(self):
        p = self.path("empty")
        write(p, EVERY_TYPE, [])
        self.check_reads(p, EVERY_TYPE, [])


if __name__ == "__main__":
    unittest.main()
