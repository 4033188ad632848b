#!/usr/bin/env python3
"""`lakectl status --json` per table: state (NotStarted before the first
sync, InProgress while an initial sync is interrupted, Completed after),
count (rows in place; changes when append-only), last_synchronized_on,
append_only, partition; the plain `status` shows the same."""
import datetime
import os
import random
import re
import shlex
import subprocess
import sys
import time
import unittest

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lvtest  # noqa: E402
from lvtest import TABLES  # noqa: E402

NOW1 = 1767225600          # 2026-01-01T00:00:00Z
NOW2 = NOW1 + 3 * 3600


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.0000000Z")


class Status(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.standin = lvtest.Standin(lvtest.org_spec(
            seed=71, sizes={"lv_widget": 300, "lv_gadget": 120, "lv_event": 120}))
        cls.rng = random.Random(5)

    @classmethod
    def tearDownClass(cls):
        cls.standin.stop()

    def setUp(self):
        self.store = lvtest.Store(self.standin, page_size=50)
        lvtest.add_tables(self.store)

    def tearDown(self):
        self.store.close()

    def tables(self):
        return {t["name"]: t for t in self.store.status()["tables"]}

    def records(self, table):
        return sum(len(r) for r in self.store.partitions(table).values())

    def test_states_counts_and_options(self):
        st = self.tables()
        self.assertEqual(sorted(st), sorted(TABLES))
        for name, (_, _, opts) in TABLES.items():
            t = st[name]
            self.assertEqual(t["state"], "NotStarted", t)
            self.assertEqual(t["count"], 0, t)
            self.assertIsNone(t["last_synchronized_on"], t)
            self.assertIs(t["append_only"], opts["append_only"], t)
            self.assertEqual(t["partition"], "Month" if opts["month"] else "Year", t)
        self.store.now = NOW1
        self.store.sync()
        st = self.tables()
        for name, (_, _, opts) in TABLES.items():
            t = st[name]
            self.assertEqual(t["state"], "Completed", t)
            self.assertEqual(t["last_synchronized_on"], iso(NOW1), t)
            self.assertEqual(t["count"], len(self.standin.live_ids(name)), t)
            self.assertEqual(t["count"], self.records(name), t)
            self.assertIs(t["append_only"], opts["append_only"], t)
            self.assertEqual(t["partition"], "Month" if opts["month"] else "Year", t)
            self.assertNotIn("reason", t)
        for name in TABLES:
            lvtest.mutate(self.standin, self.rng, name, creates=30, updates=20, deletes=10, moves=5)
        self.store.now = NOW2
        self.store.sync()
        st = self.tables()
        for name, (_, _, opts) in TABLES.items():
            t = st[name]
            self.assertEqual(t["state"], "Completed", t)
            self.assertEqual(t["last_synchronized_on"], iso(NOW2), t)
            if opts["append_only"]:
                # changes: initial rows + 30 creates + 20 updates + 10 deletes
                self.assertEqual(t["count"], self.records(name), t)
                self.assertEqual(t["count"], 120 + 30 + 20 + 10, t)
            else:
                self.assertEqual(t["count"], len(self.standin.live_ids(name)), t)
                self.assertEqual(t["count"], self.records(name), t)

    def test_plain_status_shows_the_same(self):
        self.store.sync()
        out = self.store.ok("status")
        for name, t in self.tables().items():
            line = [l for l in out.split("\n") if l.split()[:1] == [name]]
            self.assertEqual(len(line), 1, out)
            f = line[0].split()
            self.assertEqual(f[1], t["state"])
            self.assertIn(str(t["count"]), f)
            self.assertIn(t["partition"], f)
            self.assertIn("yes" if t["append_only"] else "no", f)

    def test_in_progress_after_an_interrupted_initial_sync(self):
        self.standin.fault("slow", ms=400, path="/api/data/", count=1000)
        p = self.store.spawn("sync")
        time.sleep(1.5)
        self.store.kill(p)
        self.standin.clear_faults()
        st = self.tables()
        self.assertIn("InProgress", [t["state"] for t in st.values()], st)
        self.store.sync()
        for t in self.tables().values():
            self.assertEqual(t["state"], "Completed", t)

    def test_failed_with_reason_then_completed(self):
        self.store.sync()
        self.standin.fault("malformed", path="lv_gadgets", count=1)
        lvtest.mutate(self.standin, self.rng, "lv_gadget", creates=3, updates=0, deletes=0, moves=0)
        p = self.store.sync(expect_ok=False)
        self.assertEqual(p.returncode, 1)
        t = self.tables()["lv_gadget"]
        self.assertEqual(t["state"], "Failed", t)
        self.assertTrue(t.get("reason"), t)
        self.assertIn("reason:", self.store.ok("status"))
        self.store.sync()
        t = self.tables()["lv_gadget"]
        self.assertEqual(t["state"], "Completed", t)
        self.assertNotIn("reason", t)

    # -- progress with an end ---------------------------------------------------
    def watch(self, p, table, want):
        """status --json and plain status while @p syncs, until @table is
        InProgress with progress that want(progress) accepts."""
        deadline = time.time() + 60
        while p.poll() is None and time.time() < deadline:
            t = self.tables()[table]
            g = t.get("progress")
            if t["state"] == "InProgress" and g and want(g):
                return g, self.store.ok("status")
            time.sleep(0.1)
        self.fail("%s never showed the progress wanted (sync rc %s)" % (table, p.poll()))

    def finish(self, p):
        rc = p.wait(timeout=120)
        err = p.stderr.read().decode("utf-8", "replace")
        p.stderr.close()
        lvtest._live.pop(p.pid, None)
        self.assertEqual(rc, 0, err)
        return err

    def test_progress_with_an_end(self):
        total = len(self.standin.live_ids("lv_widget"))
        total_g = len(self.standin.live_ids("lv_gadget"))
        self.standin.admin("POST", "/admin/config", {"page_delay": 1.5})
        try:
            p = self.store.spawn("sync", "lv_widget", "lv_gadget")
            g, plain = self.watch(p, "lv_widget", lambda g: g["rows"] > 0)
            self.assertEqual(g["of_about"], total, g)
            self.assertGreater(g["rows_per_second"], 0, g)
            self.assertGreaterEqual(g["seconds_left"], 0, g)
            self.assertLess(g["rows"], total, g)
            self.assertRegex(plain, r"\n    progress: [\d,]+ of about %d rows \(\d+%%\), "
                             r"[\d,]+ rows/s, about \d+ (s|min) left\n" % total)
            # killed, the next sync goes on counting where the last commit was
            self.store.kill(p)
            done = self.tables()["lv_widget"]["progress"]["rows"]
            self.assertGreaterEqual(done, g["rows"])
            p = self.store.spawn("sync", "lv_widget")
            g, _ = self.watch(p, "lv_widget", lambda g: g["rows"] > done)
            self.assertEqual(g["of_about"], total, g)
            err = self.finish(p)
        finally:
            self.standin.admin("POST", "/admin/config", {"page_delay": 0})
        # without a terminal: a log line every few seconds saying how far
        self.assertRegex(err, r"(?m)^lv_widget: [\d,]+ of about %d rows \(\d+%%\), .* \.\.\.$"
                         % total)
        self.assertRegex(err, r"(?m)^lv_widget: \d+ rows in \d+ pages .*removed$")
        t = self.tables()["lv_widget"]
        self.assertEqual(t["state"], "Completed", t)
        self.assertNotIn("progress", t)
        plain = self.store.ok("status")   # lv_gadget, killed above, still has it
        self.assertNotRegex(plain, r"\nlv_widget .*\n    progress:")
        self.assertRegex(plain, r"\nlv_gadget .*\n    progress: [\d,]+ of about %d rows" % total_g)

    def test_progress_count_unknown(self):
        # a server without the count: shown as unknown, never guessed
        self.standin.fault("404", path="RetrieveTotalRecordCount", count=100)
        self.standin.fault("slow", ms=800, path="/api/data/v9.2/lv_widgets", count=100)
        try:
            p = self.store.spawn("sync", "lv_widget")
            g, plain = self.watch(p, "lv_widget", lambda g: g["rows"] > 0)
            self.assertIsNone(g["of_about"], g)
            self.assertIsNone(g["seconds_left"], g)
            self.assertGreater(g["rows_per_second"], 0, g)
            self.assertIn("rows of a count Dataverse did not give", plain)
            self.finish(p)
        finally:
            self.standin.clear_faults()
        self.assertEqual(self.tables()["lv_widget"]["count"],
                         len(self.standin.live_ids("lv_widget")))

    def test_progress_on_a_terminal(self):
        # one line per table in flight, rewritten in place, under a real pty
        self.standin.admin("POST", "/admin/config", {"page_delay": 0.3})
        try:
            # a narrow terminal: lines wider than it would wrap and the
            # cursor would go back too few rows
            cmd = "stty cols 60 rows 20; " + " ".join(shlex.quote(a) for a in self.store.argv("sync"))
            out = subprocess.run(["script", "-qefc", cmd, "/dev/null"], env=self.store.env(),
                                 stdin=subprocess.DEVNULL, capture_output=True,
                                 timeout=120)
        finally:
            self.standin.admin("POST", "/admin/config", {"page_delay": 0})
        text = out.stdout.decode("utf-8", "replace")
        self.assertEqual(out.returncode, 0, text)
        self.assertIn("\x1b[", text)          # lines rewritten in place
        drawn = re.findall(r"(?:^|[\r\n]|\x1b\[[0-9]*[A-Za-z])([^\r\n\x1b]*)\x1b\[K", text)
        self.assertTrue(drawn, text)
        self.assertLessEqual(max(len(d) for d in drawn), 59, drawn)
        for name in TABLES:
            n = len(self.standin.live_ids(name))
            self.assertRegex(text, r"%s +[\d,]+ of about %s rows" % (name, format(n, ",")))
            # a finished table's line replaces the block, then the block again
            self.assertRegex(text, r"(?m)(^|\x1b\[J)%s: \d+ rows in \d+ pages .*removed\r?$"
                             % name)


if __name__ == "__main__":
    lvtest.main()
