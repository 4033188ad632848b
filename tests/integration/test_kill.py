#!/usr/bin/env python3
"""kill -9 of `lakectl sync` at random points, then a rerun: the same lake
as a clean run, no duplicate rows in in-place tables, no lost and no
repeated change in append-only tables.

Pages are slowed down with the stand-in's `slow` fault so a sync takes a few
seconds; the kill delays are spread over that time (seeded; the seed is
printed and LVTEST_SEED overrides it).  Initial syncs: several fresh stores,
each killed once or twice at different delays, all three tables in flight
at once (tables_in_flight = 3).  Deltas: several rounds of
source changes over many delta pages, each sync killed mid-way.
"""
import os
import random
import sys
import time
import unittest

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lvtest  # noqa: E402
from lvtest import TABLES  # noqa: E402

SEED = int(os.environ.get("LVTEST_SEED") or time.time()) % 100000
SLOW_MS = 60


class Kill(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        print("kill delays seed: LVTEST_SEED=%d" % SEED, file=sys.stderr)
        cls.rng = random.Random(SEED)
        cls.standin = lvtest.Standin(lvtest.org_spec(
            seed=31, sizes={"lv_widget": 2000, "lv_gadget": 300, "lv_event": 600}))
        cls.clean = lvtest.Store(cls.standin, page_size=50)
        lvtest.add_tables(cls.clean)
        t0 = time.time()
        cls.clean.sync()
        cls.clean_initial_s = time.time() - t0
        cls.stores = []

    @classmethod
    def tearDownClass(cls):
        cls.clean.close()
        for s in cls.stores:
            s.close()
        cls.standin.stop()

    def slow(self, ms):
        self.standin.clear_faults()
        self.standin.fault("slow", ms=ms, path="/api/data/", count=100000)

    def killed_sync(self, store, delay, ms=SLOW_MS):
        """Run sync with slow pages, kill -9 it after @delay s; True when it
        was still running at that moment."""
        self.slow(ms)
        p = store.spawn("sync")
        time.sleep(delay)
        running = p.poll() is None
        store.kill(p)
        self.standin.clear_faults()
        # the store stays readable after the kill
        store.status()
        return running

    def finish(self, store):
        self.standin.clear_faults()
        store.sync()

    def test_1_kill_during_initial_sync(self):
        # 2000+300+600 rows at 50 a page, each page delayed SLOW_MS: ~4-6 s
        spans = [(0.15, 0.6), (0.6, 1.5), (1.5, 2.5), (2.5, 4.0)]
        landed = 0
        for i, (lo, hi) in enumerate(spans):
            store = lvtest.Store(self.standin, page_size=50, conf={"tables_in_flight": 3})
            self.stores.append(store)
            lvtest.add_tables(store)
            delays = [self.rng.uniform(lo, hi)]
            if i % 2 == 1:
                delays.append(self.rng.uniform(0.1, 1.5))   # killed again while resuming
            for d in delays:
                landed += self.killed_sync(store, d)
            self.finish(store)
            with self.subTest(kill_delays=delays):
                lvtest.assert_same_lake(self, self.clean, store, "initial, killed at %s" % delays)
                lvtest.check_all(self, self.standin, store)
                for t in store.status()["tables"]:
                    self.assertEqual(t["state"], "Completed", t)
        self.assertGreaterEqual(landed, 4, "most kills should land while sync runs")

    def test_2_kill_during_deltas(self):
        store = lvtest.Store(self.standin, page_size=50, conf={"tables_in_flight": 3})
        self.stores.append(store)
        lvtest.add_tables(store)
        store.sync()
        landed = 0
        for rnd in range(3):
            for t in TABLES:
                n = 150 if t == "lv_widget" else 40
                lvtest.mutate(self.standin, self.rng, t, creates=n, updates=n, deletes=n // 3,
                              moves=n // 5)
            self.clean.sync()
            # ~8 delta pages of lv_widget, 2-3 of the others
            # each request delayed 400 ms: ~2.5 s for the whole delta with its
            # three tables in flight at once
            delays = [self.rng.uniform(0.1, 2.0)]
            if rnd == 1:
                delays.append(self.rng.uniform(0.1, 1.0))
            for d in delays:
                landed += self.killed_sync(store, d, ms=400)
            self.finish(store)
            with self.subTest(round=rnd, kill_delays=delays):
                lvtest.assert_same_lake(self, self.clean, store, "delta %d, killed at %s" % (rnd, delays))
                lvtest.check_all(self, self.standin, store)
        self.assertGreaterEqual(landed, 3, "most kills should land while sync runs")


if __name__ == "__main__":
    lvtest.main()
