#!/usr/bin/env python3
"""test_delta_readers.py - the Delta tables of the lake, replayed from their
_delta_log and read by three independent Parquet readers, hold the rows of
the CSV snapshots taken at the same moment, value by value.

A store with delta = on gets an in-place table with every type (lv_widget),
an append-only table (lv_event) and a table that is removed and added again
(lv_gizmo); creates, updates, deletes and a partition move come from the
lake suite's fixtures, one snapshot after each. After every snapshot, for
every table: the log is replayed here (JSON lines, the Delta protocol's
rules: versions 0..n without a gap, protocol reader 1 / writer 2, the last
metaData, add minus remove); every file the replay says is active exists
and is read by DuckDB (read_parquet), parquet-wasm (arrow-rs) and hyparquet
(pinned in package-lock.json); their rows, with PartitionId from the log,
equal the records of the CSV snapshots model.json points at, typed by the
Delta schema (the newest record of each live row for the append-only table),
the schema's types are the ones the Dataverse metadata says, and `lakectl
status` (text and --json) shows each table's version and row count. Also: a
second store fed the same changes with Delta off has the same CSV lake byte
for byte; a snapshot that changed nothing writes no version; a partition no
change touched keeps its files; files only versions older than the newest
five need leave the lake; the checkpoint at version 10 reads alike in the
three readers and holds the state the JSON commits 0..10 give, and
_last_checkpoint names it.

Environment (tests/readers/meson.build sets them): LAKECTL, LAKE_TESTS.
Exit status: 0 pass, 1 fail (meson's codes).
"""
import datetime
import decimal
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("LAKE_TESTS") or os.path.join(HERE, "..", "lake"))
sys.path.insert(0, HERE)
import lakelib  # noqa: E402
from test_parquet_readers import READERS, canon, read_many  # noqa: E402

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)

# Dataverse AttributeType -> the Delta type the issue asks for (written out
# here independently of core/delta_file.c)
DELTA_TYPE = {"String": "string", "Memo": "string", "EntityName": "string",
              "Uniqueidentifier": "string", "Lookup": "string", "Owner": "string",
              "Customer": "string", "Virtual": "string", "Integer": "integer",
              "BigInt": "long", "Picklist": "long", "State": "long", "Status": "long",
              "Double": "double", "Boolean": "boolean"}


def raw_csv(data):
    """Records of a lake CSV as lists of (text, quoted): unlike Python's csv,
    this tells a null (nothing) from an empty string ("")."""
    recs, rec, i, n = [], [], 0, len(data)
    text = data.decode("utf-8")
    n = len(text)
    while i < n:
        if text[i] == '"':
            j, buf = i + 1, []
            while True:
                k = text.index('"', j)
                buf.append(text[j:k])
                if k + 1 < n and text[k + 1] == '"':
                    buf.append('"')
                    j = k + 2
                    continue
                break
            rec.append(("".join(buf), True))
            i = k + 1
        else:
            j = i
            while j < n and text[j] not in ",\n":
                j += 1
            rec.append((text[i:j], False))
            i = j
        if i >= n or text[i] == "\n":
            recs.append(rec)
            rec = []
        i += 1
    return recs


def micros_of(text):
    """A lake date-time (Sink format or ISO) -> microseconds since 1970."""
    if lakelib.SINK_RE.match(text):
        d = datetime.datetime.strptime(text, "%m/%d/%Y %I:%M:%S %p").replace(
            tzinfo=datetime.timezone.utc)
        frac = "0"
    else:
        d, frac = lakelib.iso_parts(text)
    delta = d - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1000000 + int(frac) // 10


def enc_col(spark):
    """A Delta schema type -> the column description canon() takes."""
    if spark.startswith("decimal("):
        return {"type": "decimal", "scale": int(spark[8:-1].split(",")[1])}
    return {"type": {"integer": "int32", "long": "int64"}.get(spark, spark)}


def exact(v):
    """hyparquet gives a decimal as its float and, read again, its exact
    text: the two must agree, the exact one is compared."""
    if isinstance(v, dict):
        assert math.isclose(v["approx"], float(v["exact"]), rel_tol=1e-12), v
        return v["exact"]
    return v


def typed(spark, text, quoted):
    if not quoted and text == "":
        return None
    if spark == "string":
        return text
    if spark == "boolean":
        return {"True": True, "False": False}[text]
    if spark == "timestamp":
        return micros_of(text)
    if spark == "date":
        return (lakelib.iso_parts(text)[0] - EPOCH).days
    return canon(enc_col(spark), text)


class DeltaChecks:
    """Checks of a lake's Delta tables against its CSV snapshots; the test
    class gives self.lake (a lakelib.Lake on the store), self.out (a
    scratch folder) and self.read_cache ({})."""

    # -- the Delta side ---------------------------------------------------
    def fetch(self, path):
        """A lake file into the output folder (each immutable file once)."""
        local = os.path.join(self.out, path)
        if not os.path.exists(local):
            os.makedirs(os.path.dirname(local), exist_ok=True)
            with open(local, "wb") as f:
                f.write(self.lake.cat(path))
        return local

    def replay(self, table):
        """(version, metaData, {path: add}) from the table's _delta_log."""
        log = "deltalake/%s/_delta_log/" % table
        names = sorted(p[len(log):] for p in self.lake.files(log))
        commits = [n for n in names if n.endswith(".json")]
        self.assertEqual(commits, ["%020d.json" % v for v in range(len(commits))],
                         "%s: commits must be versions 0..n without a gap" % table)
        meta, active, proto = None, {}, None
        for n in commits:
            for line in self.lake.cat(log + n).decode().splitlines():
                a = json.loads(line)
                self.assertEqual(len(a), 1, line)
                (kind, body), = a.items()
                if kind == "protocol":
                    proto = body
                elif kind == "metaData":
                    meta = body
                elif kind == "add":
                    self.assertNotIn(body["path"], active, "added twice: " + body["path"])
                    active[body["path"]] = body
                elif kind == "remove":
                    self.assertIn(body["path"], active, "removed but not active: " + body["path"])
                    del active[body["path"]]
                else:
                    self.assertEqual(kind, "commitInfo", line)
        self.assertEqual(proto, {"minReaderVersion": 1, "minWriterVersion": 2})
        self.assertEqual(meta["partitionColumns"], ["PartitionId"])
        self.assertEqual(meta["format"], {"provider": "parquet", "options": {}})
        return len(commits) - 1, meta, active

    def delta_rows(self, table, meta, active):
        """Rows of the active files, per reader, typed as canon() gives."""
        fields = json.loads(meta["schemaString"])["fields"]
        types = {f["name"]: f["type"] for f in fields}
        got = {r: [] for r in READERS}
        files = sorted(active.items())
        local = {path: self.fetch("deltalake/%s/%s" % (table, path)) for path, _ in files}
        for reader in READERS:
            todo = [local[p] for p, _ in files if (local[p], reader) not in self.read_cache]
            for lp, res in zip(todo, read_many(reader, todo) if todo else []):
                self.read_cache[(lp, reader)] = res
        for path, add in files:
            self.assertEqual(os.path.getsize(local[path]), add["size"], path)
            stats = json.loads(add["stats"])
            for reader in READERS:
                res = self.read_cache[(local[path], reader)]
                names = list(res["types"])
                self.assertEqual(len(res["rows"]), stats["numRecords"], path)
                for row in res["rows"]:
                    d = {n: canon(enc_col(types[n]), exact(v)) for n, v in zip(names, row)}
                    for n in types:
                        d.setdefault(n, None)  # a column added after this file
                    d["PartitionId"] = add["partitionValues"]["PartitionId"]
                    got[reader].append(d)
        return got

    # -- the CSV side -----------------------------------------------------
    def csv_rows(self, table, meta):
        """The rows of the CSV snapshots model.json names, typed by the
        Delta schema; newest record per live row when append-only."""
        fields = json.loads(meta["schemaString"])["fields"]
        types = {f["name"]: f["type"] for f in fields}
        model = self.lake.model()
        ent = [e for e in model["entities"] if e["name"] == table][0]
        names = [a["name"] for a in ent["attributes"]]
        self.assertEqual([f["name"] for f in fields], names + ["PartitionId"])
        rows = {}
        parts = sorted(ent.get("partitions", []), key=lambda p: p["name"])
        for p in parts:
            loc = p["location"]
            path = loc[loc.index("/%s/Snapshot/" % table) + 1:]
            for rec in raw_csv(self.lake.cat(path)):
                d = {n: None for n in names}
                for n, (text, quoted) in zip(names, rec):
                    d[n] = typed(types[n], text, quoted)
                d["PartitionId"] = p["name"]
                rows[d["Id"]] = d  # append-only: a later record wins
        return [d for d in rows.values() if not d.get("IsDelete")]

    def check_table(self, table):
        version, meta, active = self.replay(table)
        want = sorted(self.csv_rows(table, meta), key=lambda d: d["Id"])
        for reader, rows in self.delta_rows(table, meta, active).items():
            rows.sort(key=lambda d: d["Id"])
            self.assertEqual(len(rows), len(want), "%s, %s: row count" % (table, reader))
            for g, w in zip(rows, want):
                self.assertEqual(g, w, "%s, %s: row %s" % (table, reader, w["Id"]))
        # status shows the version and its row count, as the portal's Count
        st = json.loads(self.lake.ok("status", "--json"))
        d = [t for t in st["tables"] if t["name"] == table][0]["delta"]
        self.assertEqual((d["version"], d["rows"], d["files"]),
                         (version, len(want), len(active)), table)
        self.assertIn("delta: version %d, %d rows" % (version, len(want)),
                      self.lake.ok("status"))
        return version, meta, active


class Delta(DeltaChecks, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        r = subprocess.run([os.path.join(HERE, "readers.sh"), "install"])
        if r.returncode:
            raise unittest.SkipTest("readers.sh install failed")
        cls.out = tempfile.mkdtemp(prefix="delta-readers-")
        cls.lake = lakelib.Lake()
        cls.plain = lakelib.Lake()  # the same changes, Delta off
        for lake in (cls.lake, cls.plain):
            lake.add("lv_widget")
            lake.add("lv_event", append_only=True)
            lake.add("lv_gizmo", month=True)
        with open(os.path.join(cls.lake.store, "lakeview.conf"), "a") as f:
            f.write("delta = on\n")
        cls.read_cache = {}
        cls.now = lakelib.T0

    @classmethod
    def tearDownClass(cls):
        cls.lake.close()
        cls.plain.close()
        shutil.rmtree(cls.out, ignore_errors=True)

    # -- driving both stores ----------------------------------------------
    def step(self, ingests, remove=()):
        Delta.now += 100
        for lake in (self.lake, self.plain):
            for t in remove:
                lake.ok("tables", "remove", t, now=self.now)
                lake.add(t, month=True, now=self.now)
            for t, n in ingests:
                lake.ingest(t, n if isinstance(n, list) else
                            lakelib.fixture("%s.%d.jsonl" % (t, n)), now=self.now)
        out = self.lake.snapshot(now=self.now)
        self.plain.snapshot(now=self.now)
        return out

    def check_types(self, table, meta):
        with open(lakelib.fixture(table + ".schema.json")) as f:
            schema = json.load(f)
        types = {f["name"]: f["type"] for f in json.loads(meta["schemaString"])["fields"]}
        for a in schema["Attributes"]:
            n, at = a["LogicalName"], a["AttributeType"]
            if n not in types:
                continue
            if at == "DateTime":
                beh = (a.get("DateTimeBehavior") or {}).get("Value")
                want = "date" if beh == "DateOnly" else "timestamp"
            elif at == "Money":
                want = "decimal(38,4)"
            elif at == "Decimal":
                want = "decimal(38,%d)" % a["Precision"]
            else:
                want = DELTA_TYPE[at]
            self.assertEqual(types[n], want, "%s.%s (%s)" % (table, n, at))
        for n in ("SinkCreatedOn", "SinkModifiedOn"):
            self.assertEqual(types[n], "timestamp")

    def check_all(self, tables=("lv_widget", "lv_event", "lv_gizmo")):
        res = {t: self.check_table(t) for t in tables}
        # the CSV lake is the one Delta off writes, byte for byte
        listing, digest = self.lake.digest()
        plain_listing, plain_digest = self.plain.digest()
        self.assertEqual([p for p in listing if not p.startswith("deltalake/")], plain_listing)
        self.assertEqual({p: h for p, h in digest.items() if not p.startswith("deltalake/")},
                         plain_digest)
        return res

    # -- the story ----------------------------------------------------------
    def test_versions_follow_snapshots(self):
        out = self.step([("lv_widget", 1), ("lv_event", 1), ("lv_gizmo", 1)])
        self.assertIn("3 Delta versions", out)
        v0 = self.check_all()
        for t, (version, meta, _) in v0.items():
            self.assertEqual(version, 0, t)
            self.check_types(t, meta)

        # updates, deletes, a partition move, append-only changes
        self.step([("lv_widget", 2), ("lv_event", 2), ("lv_gizmo", 2)])
        v1 = self.check_all()
        self.assertEqual({t: v[0] for t, v in v1.items()},
                         {"lv_widget": 1, "lv_event": 1, "lv_gizmo": 1})

        # lv_widget.3 touches one partition: the others keep their files
        before = v1["lv_widget"][2]
        self.step([("lv_widget", 3)])
        v2 = self.check_all()
        after = v2["lv_widget"][2]
        self.assertEqual(v2["lv_widget"][0], 2)
        self.assertEqual(v2["lv_event"][0], 1, "an unchanged table gets no version")
        kept = set(before) & set(after)
        self.assertTrue(kept, "an untouched partition must keep its files")
        self.assertTrue(set(after) - set(before), "the changed partition gets new files")

        # a snapshot that changed nothing writes no version
        out = self.step([])
        self.assertIn("0 Delta versions", out)

        # removed and added again: a new Delta table from version 0
        old_id = v2["lv_gizmo"][1]["id"]
        self.step([("lv_gizmo", 1)], remove=("lv_gizmo",))
        version, meta, _ = self.check_all()["lv_gizmo"]
        self.assertEqual(version, 0)
        self.assertNotEqual(meta["id"], old_id)

        # ten more versions: a checkpoint at 10, and retention
        for i in range(9):
            self.step([("lv_widget", [update(i)])])
        version, _, active = self.replay("lv_widget")
        self.assertGreaterEqual(version, 10)
        self.check_checkpoint("lv_widget", 10)
        removed_at = {}
        log = "deltalake/lv_widget/_delta_log/"
        for v in range(version + 1):
            for line in self.lake.cat(log + "%020d.json" % v).decode().splitlines():
                a = json.loads(line)
                if "remove" in a:
                    removed_at[a["remove"]["path"]] = v
        files = set(p[len("deltalake/lv_widget/"):] for p in self.lake.files("deltalake/lv_widget/")
                    if p.endswith(".parquet") and "/_delta_log/" not in p)
        self.assertTrue(removed_at)
        for path, v in removed_at.items():
            needed = v > version - KEEP + 1
            self.assertEqual(path in files, needed,
                             "%s removed at version %d of %d" % (path, v, version))
        self.assertEqual(files, set(active) | {p for p, v in removed_at.items()
                                               if v > version - KEEP + 1},
                         "only the files a kept version needs stay")
        self.check_all(("lv_widget",))

    def check_checkpoint(self, table, at):
        """The checkpoint at version @at, read by each reader, holds the
        state a replay of the JSON commits 0..@at gives."""
        log = "deltalake/%s/_delta_log/" % table
        self.assertEqual(json.loads(self.lake.cat(log + "_last_checkpoint"))["version"], at)
        want_meta, want_active, removed = None, {}, set()
        for v in range(at + 1):
            for line in self.lake.cat(log + "%020d.json" % v).decode().splitlines():
                (kind, body), = json.loads(line).items()
                if kind == "metaData":
                    want_meta = body
                elif kind == "add":
                    want_active[body["path"]] = body
                elif kind == "remove":
                    removed.add(body["path"])
                    del want_active[body["path"]]
        local = self.fetch(log + "%020d.checkpoint.parquet" % at)
        first = None
        for reader in READERS:
            rows = read_ckpt(reader, local)
            if first is None:
                first = rows
            self.assertEqual(rows, first, "%s reads the checkpoint as DuckDB does" % reader)
            got = {}
            for r in rows:
                self.assertEqual(len(r), 1, r)
                (kind, body), = r.items()
                got.setdefault(kind, []).append(body)
            self.assertEqual(got["protocol"], [{"minReaderVersion": 1, "minWriterVersion": 2}])
            self.assertEqual(got["metaData"], [want_meta])
            adds = {a["path"]: a for a in got["add"]}
            self.assertEqual(set(adds), set(want_active), reader)
            for path, a in adds.items():
                w = dict(want_active[path], dataChange=False)
                self.assertEqual(a, w, reader)
            for rm in got.get("remove", []):
                self.assertIn(rm["path"], removed)
        self.assertEqual(json.loads(self.lake.cat(log + "_last_checkpoint")),
                         {"version": at, "size": len(first),
                          "sizeInBytes": os.path.getsize(local)})


class Files(DeltaChecks, unittest.TestCase):
    """Data files are runs of a partition's segments: with delta_file_mb = 1
    a 6 MB partition is several files; rows appended rewrite only the last
    one, an update only the file holding its row, and every version still
    equals the CSV snapshots in the three readers."""

    @classmethod
    def setUpClass(cls):
        r = subprocess.run([os.path.join(HERE, "readers.sh"), "install"])
        if r.returncode:
            raise unittest.SkipTest("readers.sh install failed")
        cls.out = tempfile.mkdtemp(prefix="delta-files-")
        cls.read_cache = {}
        cls.lake = lakelib.Lake()
        schema = os.path.join(cls.out, "bench.json")
        rows = os.path.join(cls.out, "rows.jsonl")
        with open(rows, "w") as f:
            subprocess.run([sys.executable, os.path.join(HERE, "..", "..", "scripts", "bench",
                                                         "gen_rows.py"), schema, "30000"],
                           stdout=f, check=True)
        cls.lake.add("bench", schema=schema)
        cls.lake.ok("ingest", "bench", rows)
        with open(os.path.join(cls.lake.store, "lakeview.conf"), "a") as f:
            f.write("delta = on\ndelta_file_mb = 1\n")

    @classmethod
    def tearDownClass(cls):
        cls.lake.close()
        shutil.rmtree(cls.out, ignore_errors=True)

    def version_actions(self, v):
        log = "deltalake/bench/_delta_log/%020d.json" % v
        acts = [json.loads(l) for l in self.lake.cat(log).decode().splitlines()]
        return ([a["add"]["path"] for a in acts if "add" in a],
                [a["remove"]["path"] for a in acts if "remove" in a])

    def row(self, i, version, name):
        return {"@odata.etag": 'W/"%d"' % version, "benchid": "%08x-0000-4000-8000-%012x" % (i, i),
                "name": name, "city": "Porto", "amount": 1.5, "qty": i,
                "createdon": "2021-06-01T10:00:00Z", "versionnumber": version}

    def test_only_changed_files(self):
        self.lake.snapshot(now=self.lake.now + 10)
        version, _, active = self.check_table("bench")
        self.assertEqual(version, 0)
        self.assertGreaterEqual(len(active), 4, "a 6 MB partition in files of 1 MiB of CSV")

        # rows appended: only the tail file is rewritten
        self.lake.ingest("bench", [self.row(i, 10 ** 8 + i, "new %d" % i) for i in range(50)],
                         now=self.lake.now + 20)
        self.lake.snapshot(now=self.lake.now + 30)
        version, _, after = self.check_table("bench")
        adds, removes = self.version_actions(1)
        self.assertEqual(len(removes), 1, removes)
        self.assertEqual(len(set(active) & set(after)), len(active) - 1)

        # one row in the middle updated: only the file holding it
        mid = json.loads(open(os.path.join(self.out, "rows.jsonl")).readlines()[15000])
        mid.update({"name": "updated", "versionnumber": 10 ** 9, "@odata.etag": 'W/"1000000000"'})
        self.lake.ingest("bench", [mid], now=self.lake.now + 40)
        self.lake.snapshot(now=self.lake.now + 50)
        version, _, last = self.check_table("bench")
        adds, removes = self.version_actions(2)
        self.assertEqual((len(adds), len(removes)), (1, 1), (adds, removes))
        self.assertNotIn(removes[0], set(after) - set(active), "not the tail file")

        # a value of delta or delta_file_mb that is not one: one line, no snapshot
        conf = os.path.join(self.lake.store, "lakeview.conf")
        with open(conf) as f:
            good = f.read()
        for bad, words in (("delta = maybe\n", ("delta", "on or", "off")),
                           ("delta = on\ndelta_file_mb = 5000\n", ("delta_file_mb", "4096"))):
            with open(conf, "w") as f:
                f.write(good.replace("delta = on\ndelta_file_mb = 1\n", bad))
            snaps = self.lake.files("bench/Snapshot/")
            self.lake.ingest("bench", [self.row(7, 2 * 10 ** 9 + len(bad), bad)],
                             now=self.lake.now + 60)
            p = self.lake.run("snapshot", now=self.lake.now + 70)
            err = p.stderr.decode()
            self.assertNotEqual(p.returncode, 0)
            self.assertEqual(len(err.strip().splitlines()), 1, err)
            for w in words:
                self.assertIn(w, err)
            self.assertEqual(self.lake.files("bench/Snapshot/"), snaps, "nothing committed")
        with open(conf, "w") as f:
            f.write(good)


KEEP = 5  # LV_DELTA_KEEP: versions and CSV snapshots share one retention


def update(i):
    """A new version of one lv_widget row, in one of three years."""
    return {"@odata.etag": 'W/"%d"' % (9000 + i), "lv_widgetid": "0a1b2c3d-0000-4000-8000-0000000009%02d" % (i % 3),
            "lv_name": "update %d" % i, "versionnumber": 9000 + i, "lv_price": i + 0.25,
            "createdon": "202%d-05-05T05:05:05Z" % (i % 3)}


def read_ckpt(reader, path):
    p = subprocess.run(["node", os.path.join(HERE, "delta_ckpt.mjs"), reader, path],
                       capture_output=True, text=True, timeout=300)
    if p.returncode:
        raise AssertionError("%s cannot read %s: %s" % (reader, path, p.stderr.strip()))
    return json.loads(p.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
