#!/usr/bin/env python3
"""Snapshots (DESIGN.md §4, lake-format.md §1.4, `lakectl snapshot --help`):
seven snapshots of a changing partition, LAKEVIEW_NOW advancing an hour
each time: exactly the newest 5 remain, named
<table>/Snapshot/<partition>_<unix-seconds>.csv; model.json points at the
newest; a snapshot's bytes never change once it is listed; a partition
that did not change gets no new snapshot.
"""
import os
import re
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lakelib  # noqa: E402
from test_semantics import gizmo  # noqa: E402

T = 1615000000
ROUNDS = 7


class Snapshots(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        lk = cls.lake = lakelib.Lake()
        lk.add("lv_gizmo")
        lk.ingest("lv_gizmo", [gizmo(1, 1, "2021-02-01T00:00:00Z", "changes"),
                               gizmo(2, 2, "2020-02-01T00:00:00Z", "never changes")], now=T)
        cls.seen = {}        # snapshot path -> bytes when first listed
        cls.changed = []     # (path, round) whose bytes changed after listing
        cls.stamps = []      # stamps of the 2021 snapshots taken
        cls.outputs = []
        cls.models = []
        for i in range(ROUNDS):
            now = T + i * 3600
            if i:
                lk.ingest("lv_gizmo", [gizmo(1, 1 + i * 10, "2021-02-01T00:00:00Z", "round %d" % i)],
                          now=now - 5)
            cls.outputs.append(lk.snapshot(now=now))
            cls.stamps.append(now)
            cls.record(i)
            cls.models.append(lk.model())
        # one more snapshot with nothing changed anywhere
        cls.idle = lk.snapshot(now=T + ROUNDS * 3600)
        cls.record(ROUNDS)
        cls.final = lk.ls()

    @classmethod
    def record(cls, rnd):
        for p in cls.lake.files("lv_gizmo/Snapshot"):
            data = cls.lake.cat(p)
            if p not in cls.seen:
                cls.seen[p] = data
            elif cls.seen[p] != data:
                cls.changed.append((p, rnd))

    @classmethod
    def tearDownClass(cls):
        cls.lake.close()

    def snaps(self, part):
        out = []
        for p in self.final:
            m = re.match(r"^lv_gizmo/Snapshot/%s_([0-9]+)\.csv$" % part, p)
            if m:
                out.append(int(m.group(1)))
        return sorted(out)

    def test_names(self):
        for p in self.final:
            if "/Snapshot/" in p and not p.endswith("/"):
                self.assertRegex(p, r"^lv_gizmo/Snapshot/20(20|21)_1[0-9]{9}\.csv$")

    def test_retention_keeps_newest_five(self):
        self.assertEqual(self.snaps("2021"), self.stamps[-5:])
        self.assertIn("retired", self.outputs[-1])

    def test_unchanged_partition_gets_no_new_snapshot(self):
        self.assertEqual(self.snaps("2020"), [T])
        self.assertEqual(self.snaps("2021")[-1], self.stamps[-1])
        self.assertRegex(self.idle, r"\b0 taken\b")

    def test_snapshot_bytes_never_change(self):
        self.assertEqual(self.changed, [])
        self.assertGreaterEqual(len(self.seen), ROUNDS + 1)
        # each snapshot holds the partition as it was when taken
        for i, stamp in enumerate(self.stamps):
            data = self.seen["lv_gizmo/Snapshot/2021_%d.csv" % stamp]
            want = "changes" if i == 0 else "round %d" % i
            self.assertEqual(lakelib.parse_csv(data)[0][4], want)

    def test_model_points_at_newest_snapshot(self):
        for i, model in enumerate(self.models):
            ent = [e for e in model["entities"] if e["name"] == "lv_gizmo"][0]
            locs = {p["name"]: p["location"] for p in ent["partitions"]}
            self.assertEqual(locs.get("2021"), "%s/lv_gizmo/Snapshot/2021_%d.csv"
                             % (lakelib.LAKE_URL, self.stamps[i]), "after snapshot %d" % (i + 1))
            self.assertEqual(locs.get("2020"), "%s/lv_gizmo/Snapshot/2020_%d.csv"
                             % (lakelib.LAKE_URL, T))


if __name__ == "__main__":
    lakelib.main()
