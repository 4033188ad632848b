#!/usr/bin/env python3
"""test_delta_sync.py - Delta tables of a lake synced over HTTP from the
Dataverse stand-in, through a column added at the source.

delta = on for a store that syncs lv_widget (every attribute kind),
lv_gadget (by month) and lv_event (append-only) from the stand-in. After
the initial sync and a snapshot, and again after a column is added to
lv_widget in Dataverse and rows change (creates, updates, deletes, moves
between partitions): the Delta tables, replayed from their logs and read by
DuckDB, parquet-wasm and hyparquet, equal the CSV snapshots
(test_delta_readers.DeltaChecks); the new column joins the schema at the
end (before PartitionId) in the version that first carries it, with a new
metaData, and files written before it read it as null. A decimal's scale
lowered at the source makes lv_widget's next version fail with one line
naming table, row and column, while the CSV snapshots and the other
tables' versions are still written.

Environment (tests/readers/meson.build sets them): LAKECTL, LAKE_TESTS.
"""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("LAKE_TESTS") or os.path.join(HERE, "..", "lake"))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import lakelib  # noqa: E402
import lvtest  # noqa: E402
from test_delta_readers import DeltaChecks  # noqa: E402


class DeltaSync(DeltaChecks, unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        r = subprocess.run([os.path.join(HERE, "readers.sh"), "install"])
        if r.returncode:
            raise unittest.SkipTest("readers.sh install failed")
        cls.out = tempfile.mkdtemp(prefix="delta-sync-")
        cls.read_cache = {}
        cls.rng = random.Random(16)
        cls.standin = lvtest.Standin(lvtest.org_spec(
            seed=16, sizes={"lv_widget": 150, "lv_gadget": 80, "lv_event": 60}))
        cls.store = lvtest.Store(cls.standin, page_size=50)
        cls.store.conf_set(delta="on")
        lvtest.add_tables(cls.store)
        cls.lake = lakelib.Lake(link=False)
        cls.lake.store = cls.store.dir

    @classmethod
    def tearDownClass(cls):
        cls.store.close()
        cls.standin.stop()
        cls.lake.close()
        shutil.rmtree(cls.out, ignore_errors=True)

    def test_sync_and_column_added(self):
        self.store.sync()
        self.store.ok("snapshot")
        for t in lvtest.TABLES:
            version, _, _ = self.check_table(t)
            self.assertEqual(version, 0, t)

        self.standin.admin("POST", "/admin/tables/lv_widget/attributes",
                           {"LogicalName": "lv_note", "AttributeType": "String",
                            "MaxLength": 50})
        _, meta0, active0 = self.replay("lv_widget")
        lvtest.mutate(self.standin, self.rng, "lv_widget", creates=4, updates=4,
                      deletes=2, moves=2)
        self.store.sync()
        self.store.ok("snapshot")
        version, meta, active = self.check_table("lv_widget")
        self.assertEqual(version, 1)
        self.assertNotEqual(meta, meta0, "a column added gives a new metaData")
        names = [f["name"] for f in json.loads(meta["schemaString"])["fields"]]
        old = [f["name"] for f in json.loads(meta0["schemaString"])["fields"]]
        self.assertEqual(names, old[:-1] + ["lv_note", "PartitionId"])
        self.assertEqual(meta["id"], meta0["id"], "the same table")
        kept = set(active0) & set(active)
        self.assertTrue(kept, "partitions no change touched keep their files")
        rows = self.delta_rows("lv_widget", meta, {p: active[p] for p in kept})
        for reader, rs in rows.items():
            self.assertTrue(all(r["lv_note"] is None for r in rs), reader)

        for t in ("lv_gadget", "lv_event"):
            lvtest.mutate(self.standin, self.rng, t, creates=3, updates=3, deletes=1, moves=1)
        self.store.sync()
        self.store.ok("snapshot")
        for t in lvtest.TABLES:
            self.check_table(t)

        # a decimal's scale lowered at the source: the values already in
        # the lake no longer fit lv_widget's Delta type. The snapshot fails
        # with one line naming table, row and column; lv_widget's Delta
        # table stays at its version; the CSV snapshots and the other
        # tables' versions are written all the same.
        before = {t: self.replay(t)[0] for t in lvtest.TABLES}
        self.standin.admin("PATCH", "/admin/tables/lv_widget/attributes/lv_rate",
                           {"Precision": 1})
        lvtest.mutate(self.standin, self.rng, "lv_widget", creates=2, updates=2, deletes=0,
                      moves=0)
        lvtest.mutate(self.standin, self.rng, "lv_gadget", creates=2, updates=2, deletes=0,
                      moves=0)
        self.store.sync()
        snaps = len(self.lake.files("lv_widget/Snapshot/"))
        p = self.store.run("snapshot")
        err = p.stderr.decode()
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        for what in ("table 'lv_widget'", "column 'lv_rate'", "decimal(38,1)", "row "):
            self.assertIn(what, err)
        self.assertIn("a table's Delta version failed", p.stdout.decode())
        self.assertEqual(self.replay("lv_widget")[0], before["lv_widget"])
        self.assertEqual(self.replay("lv_gadget")[0], before["lv_gadget"] + 1)
        self.assertGreater(len(self.lake.files("lv_widget/Snapshot/")), snaps)
        self.check_table("lv_gadget")


if __name__ == "__main__":
    unittest.main(verbosity=2)
