#!/usr/bin/env python3
"""Initial sync and deltas: several tables, many pages (page size 50), in
place with Year and Month partitions and append-only; creates, updates
(including partition moves), deletes at the source between syncs.  After
each sync the lake equals what the stand-in holds, row by row, values
compared after csv parsing with what the Web API serves."""
import os
import random
import sys
import unittest

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lvtest  # noqa: E402
from lvtest import TABLES  # noqa: E402


class Sync(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.standin = lvtest.Standin(lvtest.org_spec(seed=11))
        cls.store = lvtest.Store(cls.standin, page_size=50)
        lvtest.add_tables(cls.store)
        cls.models = {n: lvtest.AppendModel(n) for n, t in TABLES.items() if t[2]["append_only"]}
        cls.rng = random.Random(1234)

    @classmethod
    def tearDownClass(cls):
        cls.store.close()
        cls.standin.stop()

    def sync_and_check(self, label):
        self.store.sync()
        for m in self.models.values():
            m.after_sync(self.standin, self.store)
        with self.subTest(label):
            lvtest.check_all(self, self.standin, self.store, self.models)

    def test_1_initial_then_deltas(self):
        self.sync_and_check("initial")
        reqs = [r for r in self.standin.requests() if "lv_widgets" in r["path"]]
        self.assertGreaterEqual(len(reqs), 8, "the initial sync of lv_widget should take many pages")
        for rnd in range(3):
            for t in TABLES:
                lvtest.mutate(self.standin, self.rng, t, creates=60, updates=70, deletes=30, moves=15)
            self.sync_and_check("delta %d" % (rnd + 1))

    def test_2_empty_delta_changes_nothing(self):
        self.store.sync()
        before = self.store.digest()
        self.store.sync()
        self.assertEqual(self.store.digest(), before)
        for m in self.models.values():
            m.after_sync(self.standin, self.store)
        lvtest.check_all(self, self.standin, self.store, self.models)

    def test_4_tables_in_flight(self):
        """Tables page at the same time (their page requests interleave at
        the server), and one failing table does not stop the others."""
        store = lvtest.Store(self.standin, page_size=100, conf={"tables_in_flight": 3})
        try:
            lvtest.add_tables(store)
            self.standin.clear_requests()
            self.standin.admin("POST", "/admin/config", {"page_delay": 0.05})
            self.standin.admin("PATCH", "/admin/tables/lv_event", {"ChangeTrackingEnabled": False})
            try:
                p = store.run("sync")
            finally:
                self.standin.admin("POST", "/admin/config", {"page_delay": 0})
                self.standin.admin("PATCH", "/admin/tables/lv_event", {"ChangeTrackingEnabled": True})
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertIn(b"lv_event: sync failed", p.stderr)
            seq = [r["path"] for r in sorted(self.standin.requests(), key=lambda r: r["seq"])
                   if r["path"].endswith(("/lv_widgets", "/lv_gadgets"))]
            w = [i for i, x in enumerate(seq) if x.endswith("/lv_widgets")]
            g = [i for i, x in enumerate(seq) if x.endswith("/lv_gadgets")]
            self.assertGreaterEqual(min(len(w), len(g)), 3, seq)
            # one after another, each table's pages would form one block
            self.assertTrue(w[0] < g[-1] and g[0] < w[-1], seq)
            state = {t["name"]: t["state"] for t in store.status()["tables"]}
            self.assertEqual(state, {"lv_widget": "Completed", "lv_gadget": "Completed",
                                     "lv_event": "Failed"})
        finally:
            store.close()

    def test_5_throttle_is_shared(self):
        """A 429 with Retry-After to one table's request holds back the
        requests of every table in flight until then (per-user limits)."""
        store = lvtest.Store(self.standin, page_size=100, conf={"tables_in_flight": 3})
        try:
            lvtest.add_tables(store)
            self.standin.clear_requests()
            self.standin.admin("POST", "/admin/config", {"page_delay": 0.05})
            self.standin.fault("429", path="lv_widgets", after=1, retry_after=2)
            try:
                store.ok("sync")
            finally:
                self.standin.admin("POST", "/admin/config", {"page_delay": 0})
                self.standin.clear_faults()
            reqs = sorted(self.standin.requests(), key=lambda r: r["seq"])
            hit = [i for i, r in enumerate(reqs) if r["status"] == 429]
            self.assertEqual(len(hit), 1, reqs)
            # requests are logged as they arrive, in whole seconds: none may
            # arrive within 2 s of the 429 but the (at most two) other tables'
            # requests already on their way when it was answered
            t429 = lvtest.parse_iso(reqs[hit[0]]["time"])
            after = [(lvtest.parse_iso(r["time"]) - t429).total_seconds()
                     for r in reqs[hit[0] + 1:] if "/api/data/" in r["path"]]
            self.assertTrue(after, reqs)
            self.assertFalse([d for d in after if d < 2][2:], after)
        finally:
            store.close()

    def test_6_concurrency_limit_lowers_tables_in_flight(self):
        """Dataverse's 429 for too many concurrent requests (0x80072326)
        lowers the number of tables in flight; no table fails of it."""
        store = lvtest.Store(self.standin, page_size=50, conf={"tables_in_flight": 3})
        try:
            lvtest.add_tables(store)
            self.standin.clear_requests()
            self.standin.admin("POST", "/admin/config", {"page_delay": 0.2, "max_concurrent": 2})
            try:
                p = store.run("sync")
            finally:
                self.standin.admin("POST", "/admin/config", {"page_delay": 0, "max_concurrent": 0})
            err = p.stderr.decode("utf-8", "replace")
            self.assertEqual(p.returncode, 0, err)
            self.assertIn("Dataverse refused concurrent requests (0x80072326); "
                          "2 tables in flight from now on", err)
            reqs = sorted(self.standin.requests(), key=lambda r: r["seq"])
            told = [i for i, r in enumerate(reqs) if r.get("fault") == "concurrency"]
            self.assertTrue(told, "the stand-in never refused a request: the test tests nothing")
            # once lowered, the three tables never again ask three at a time
            # (allow the requests already on their way when it was answered)
            self.assertLessEqual(len(told), 3, [reqs[i] for i in told])
            state = {t["name"]: t["state"] for t in store.status()["tables"]}
            self.assertEqual(set(state.values()), {"Completed"}, state)
            for t in TABLES:
                if not TABLES[t][2]["append_only"]:
                    self.assertEqual(store.table_status(t)["count"],
                                     len(self.standin.live_ids(t)), t)
        finally:
            store.close()

    def test_3_month_and_year_file_names(self):
        self.store.sync()
        import re
        for p in self.store.partitions("lv_gadget"):
            self.assertRegex(p, r"^20\d\d-(0[1-9]|1[0-2])$")
        for t in ("lv_widget", "lv_event"):
            for p in self.store.partitions(t):
                self.assertRegex(p, r"^\d{4}$")
        del re

    def test_4_big_delta_over_many_pages(self):
        """A delta larger than several pages (deltas page too)."""
        self.store.sync()
        for m in self.models.values():
            m.after_sync(self.standin, self.store)
        for t in TABLES:
            lvtest.mutate(self.standin, self.rng, t, creates=150, updates=120, deletes=60, moves=30)
        self.standin.clear_requests()
        self.sync_and_check("big delta")
        delta_reqs = [r for r in self.standin.requests() if "lv_widgets" in r["path"]]
        self.assertGreaterEqual(len(delta_reqs), 6, "a 330-change delta at page size 50")


if __name__ == "__main__":
    lvtest.main()
