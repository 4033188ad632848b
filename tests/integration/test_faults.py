#!/usr/bin/env python3
"""Every injected fault ends with the same lake as a clean run.

For each fault kind a fresh pair of stores is linked to one stand-in: a
clean one and a faulted one.  Both sync the initial load (the faulted one
with the fault injected on a later page of lv_widget's initial read), then
the source changes and both sync the delta (fault injected on the first and
on a later delta page).  After each step the faulted lake equals the clean
lake (paths, records without Sink dates, status counts), both equal the
source, and the stand-in's log shows that the fault fired. The three
tables sync side by side (tables_in_flight 3), so each fault lands while
other tables page and commit.
"""
import os
import random
import sys
import unittest

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lvtest  # noqa: E402
from lvtest import TABLES  # noqa: E402

SET = "lv_widgets"


class Faults(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.standin = lvtest.Standin(lvtest.org_spec(
            seed=21, sizes={"lv_widget": 220, "lv_gadget": 120, "lv_event": 120}))
        cls.rng = random.Random(99)

    @classmethod
    def tearDownClass(cls):
        cls.standin.stop()

    def setUp(self):
        self.standin.clear_faults()
        self.stores = []

    def tearDown(self):
        self.standin.clear_faults()
        for s in self.stores:
            s.close()

    def new_store(self):
        s = lvtest.Store(self.standin, page_size=50, retry_base_ms=50,
                         conf={"tables_in_flight": 3})
        lvtest.add_tables(s)
        self.stores.append(s)
        return s

    def faulted_sync(self, store, faults):
        self.standin.clear_requests()
        for f in faults:
            self.standin.fault(**f)
        p = store.sync()
        left = self.standin.pending_faults()
        self.assertEqual(left, [], "faults that never fired")
        log = self.standin.requests()
        fired = [r for r in log if r.get("fault")]
        self.assertEqual(len(fired), sum(f.get("count", 1) for f in faults if f["kind"] != "expire-delta"),
                         "requests that met a fault")
        return p, log

    def run_case(self, faults_initial, faults_delta, check_log=None):
        clean, faulted = self.new_store(), self.new_store()
        clean.sync()
        _, log = self.faulted_sync(faulted, faults_initial)
        if check_log:
            check_log(log)
        lvtest.assert_same_lake(self, clean, faulted, "after the initial sync")
        lvtest.check_all(self, self.standin, faulted)
        for t in TABLES:
            lvtest.mutate(self.standin, self.rng, t, creates=40, updates=40, deletes=20, moves=10)
        clean.sync()
        _, log = self.faulted_sync(faulted, faults_delta)
        if check_log:
            check_log(log)
        lvtest.assert_same_lake(self, clean, faulted, "after a delta")
        lvtest.check_all(self, self.standin, faulted)
        for t in faulted.status()["tables"]:
            self.assertEqual(t["state"], "Completed", t)

    @staticmethod
    def at(kind, **kw):
        """Faults on a later page of the initial read of lv_widget."""
        f = {"kind": kind, "path": SET, "query": "skiptoken", "after": 1, "count": 1}
        f.update(kw)
        return [f]

    @staticmethod
    def delta(kind, **kw):
        """Faults on the first and on a later page of lv_widget's delta."""
        f1 = {"kind": kind, "path": SET, "query": "deltatoken", "count": 1}
        f2 = {"kind": kind, "path": SET, "query": "skiptoken", "count": 1}
        f1.update(kw)
        f2.update(kw)
        return [f1, f2]

    def status_case(self, kind, count=2):
        self.run_case(self.at(kind, count=count), self.delta(kind))

    # -- throttling and server errors -----------------------------------------
    def test_429_waits_retry_after(self):
        def stamp(r):
            return lvtest.parse_iso(r["time"]).timestamp()

        def check(log):
            n = 0
            for i, r in enumerate(log):
                if r.get("fault") == "429":
                    n += 1
                    nxt = [x for x in log[i + 1:] if x["path"] == r["path"] and x["query"] == r["query"]]
                    self.assertTrue(nxt, "the throttled request was never retried")
                    # the log has whole seconds: a wait of Retry-After: 2
                    # always shows as >= 2 s, no wait as 0 or 1 s
                    self.assertGreaterEqual(stamp(nxt[0]) - stamp(r), 2,
                                            "retried before Retry-After: 2 had passed")
            self.assertGreater(n, 0)
        self.run_case(self.at("429", retry_after=2), self.delta("429", retry_after=2), check)

    def test_500(self):
        self.status_case("500")

    def test_502(self):
        self.status_case("502")

    def test_503(self):
        self.status_case("503")

    def test_504(self):
        self.status_case("504")

    def test_503_on_metadata(self):
        f = [{"kind": "503", "path": "EntityDefinitions", "count": 2}]
        self.run_case(f, f)

    # -- authentication ----------------------------------------------------
    def test_401_once_renews_the_token(self):
        def check(log):
            i = [k for k, r in enumerate(log) if r.get("fault") == "401"]
            self.assertTrue(i)
            after = log[i[0] + 1:]
            self.assertTrue(any("/oauth2/" in r["path"] for r in after),
                            "no new token requested after a 401")
        self.run_case(self.at("401"), self.delta("401"), check)

    # -- connections -----------------------------------------------------------
    def test_drop_before_answer(self):
        self.run_case(self.at("drop", when="before"), self.delta("drop", when="before"))

    def test_drop_after_headers(self):
        self.run_case(self.at("drop", when="headers"), self.delta("drop", when="headers"))

    def test_drop_mid_body(self):
        self.run_case(self.at("drop", when="body"), self.delta("drop", when="body"))

    def test_slow_page(self):
        self.run_case(self.at("slow", ms=2500), self.delta("slow", ms=1500))

    def test_slow_mid_body(self):
        self.run_case(self.at("slow", ms=2500, when="body"), self.delta("slow", ms=1500, when="body"))

    def test_mixed_faults_in_one_sync(self):
        mix = [{"kind": "503", "path": "lv_gadgets", "count": 1},
               {"kind": "429", "retry_after": 1, "path": "lv_events", "count": 1},
               {"kind": "drop", "when": "body", "path": SET, "query": "skiptoken", "count": 1},
               {"kind": "401", "path": SET, "after": 2, "count": 1}]
        self.run_case(mix, [dict(f, query=f.get("query", "")) for f in mix[:3]])

    # -- expired delta token -----------------------------------------------------
    def test_expired_delta_token_resyncs(self):
        """Deltas with an expired token: a full resync; rows deleted at the
        source while the token was expired disappear (in place) or get an
        IsDelete record (append-only)."""
        clean, faulted = self.new_store(), self.new_store()
        clean.sync()
        faulted.sync()
        gone = {}
        for t in TABLES:
            gone[t] = lvtest.mutate(self.standin, self.rng, t, creates=30, updates=30,
                                    deletes=25, moves=10)["deleted"]
        clean.sync()   # an ordinary delta
        self.standin.clear_requests()
        self.standin.admin("POST", "/admin/expire-delta")
        faulted.sync()
        log = self.standin.requests()
        expired = [r for r in log if r["status"] == 400 and "deltatoken" in r["query"]]
        self.assertGreaterEqual(len(expired), len(TABLES), "every table's delta token was refused")
        lvtest.check_all(self, self.standin, faulted)
        lvtest.assert_same_lake(self, clean, faulted, "after a resync", ordered=False)
        for t, ids in gone.items():
            if TABLES[t][2]["append_only"]:
                continue
            ids_in_lake = {r[0] for recs in faulted.partitions(t).values() for r in recs}
            self.assertEqual(sorted(set(ids) & ids_in_lake), [], "%s: rows deleted while expired" % t)
        for t in faulted.status()["tables"]:
            self.assertEqual(t["state"], "Completed", t)
        # and the next delta works again
        for t in TABLES:
            lvtest.mutate(self.standin, self.rng, t, creates=5, updates=5, deletes=5, moves=2)
        clean.sync()
        faulted.sync()
        lvtest.check_all(self, self.standin, faulted)
        lvtest.assert_same_lake(self, clean, faulted, "after the delta that follows", ordered=False)


if __name__ == "__main__":
    lvtest.main()
