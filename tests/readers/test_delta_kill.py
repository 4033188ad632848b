#!/usr/bin/env python3
"""kill -9 of `lakectl snapshot` while it writes a Delta version: the
previous version stays whole and readable, the next snapshot completes the
work, and a Delta version never exists without the CSV snapshot of the same
commit (nor the other way round).

A table of 150,000 rows in one partition takes most of a second to write
as Parquet; each round changes a few rows, starts a snapshot with its own
clock (LAKEVIEW_NOW, so the CSV snapshot's name carries the commit's time)
and kills it after a seeded random delay. After every round: the log
replays (versions 0..n, every active file present with its logged size);
every version's time is the time of a CSV snapshot of the partition (a kill
after the CSV snapshot's commit leaves the version to the next run); DuckDB
reads the newest version's files and counts the rows of the CSV snapshot of
that time while it is retained. After a last snapshot, the newest version
is the newest CSV snapshot's.

Environment (tests/readers/meson.build sets them): LAKECTL, LAKE_TESTS.
"""
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.environ.get("LAKE_TESTS") or os.path.join(HERE, "..", "lake"))
sys.path.insert(0, HERE)
import lakelib  # noqa: E402
from test_parquet_readers import duck  # noqa: E402

ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
SEED = int(os.environ.get("LVTEST_SEED") or time.time()) % 100000
ROWS = 150000


class DeltaKill(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        r = subprocess.run([os.path.join(HERE, "readers.sh"), "install"])
        if r.returncode:
            raise unittest.SkipTest("readers.sh install failed")
        print("kill delays seed: LVTEST_SEED=%d" % SEED, file=sys.stderr)
        cls.rng = random.Random(SEED)
        cls.lake = lakelib.Lake()
        cls.tmp = tempfile.mkdtemp(prefix="delta-kill-")
        schema = os.path.join(cls.tmp, "bench.json")
        rows = os.path.join(cls.tmp, "rows.jsonl")
        with open(rows, "w") as f:
            subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "bench", "gen_rows.py"),
                            schema, str(ROWS)], stdout=f, check=True)
        cls.lake.add("bench", schema=schema)
        cls.lake.ok("ingest", "bench", rows, "--batch", "100000")
        with open(os.path.join(cls.lake.store, "lakeview.conf"), "a") as f:
            f.write("delta = on\n")
        t0 = time.time()
        cls.lake.snapshot(now=cls.lake.now + 1)
        cls.snap_s = time.time() - t0

    @classmethod
    def tearDownClass(cls):
        cls.lake.close()
        subprocess.run(["rm", "-rf", cls.tmp])

    def change(self, now, i):
        """Three rows of the table get a new version."""
        lines = []
        for k in range(3):
            n = self.rng.randrange(ROWS)
            lines.append({"@odata.etag": 'W/"%d"' % (10 ** 7 + i * 10 + k),
                          "benchid": gen_id(n), "name": "killed %d.%d" % (i, k),
                          "createdon": "2021-01-01T10:00:00Z",
                          "versionnumber": 10 ** 7 + i * 10 + k})
        self.lake.ingest("bench", lines, now=now)

    def check(self, complete=False):
        lake = self.lake
        log = "deltalake/bench/_delta_log/"
        commits = sorted(p for p in lake.files(log) if p.endswith(".json"))
        self.assertEqual(commits, [log + "%020d.json" % v for v in range(len(commits))])
        active, times = {}, set()
        for c in commits:
            for line in lake.cat(c).decode().splitlines():
                (kind, body), = json.loads(line).items()
                if kind == "commitInfo":
                    times.add(body["timestamp"] // 1000)
                elif kind == "add":
                    active[body["path"]] = body
                elif kind == "remove":
                    del active[body["path"]]
        snaps = set(int(p.rsplit("_", 1)[1][:-4]) for p in lake.files("bench/Snapshot/"))
        # a Delta version is the moment of a CSV snapshot (retention keeps
        # the newest 5 of those); a kill between the CSV snapshot's commit
        # and the version's leaves the version to the next run
        recent = set(t for t in times if t >= min(snaps))
        self.assertTrue(recent <= snaps, (sorted(recent), sorted(snaps)))
        if complete:
            self.assertEqual(max(times), max(snaps))
        out = os.path.join(self.tmp, "v%d" % len(commits))
        paths = []
        for path, add in active.items():
            local = os.path.join(out, path)
            os.makedirs(os.path.dirname(local), exist_ok=True)
            with open(local, "wb") as f:
                f.write(lake.cat("deltalake/bench/" + path))
            self.assertEqual(os.path.getsize(local), add["size"])
            paths.append(local)
        newest = [p for p in lake.files("bench/Snapshot/") if p.endswith("_%d.csv" % max(times))]
        if complete:
            self.assertTrue(newest)
        if not newest:
            return  # that CSV snapshot is retired already
        csv_rows = len(lakelib.parse_csv(lake.cat(newest[0])))
        got = duck("SELECT count(*) AS n FROM read_parquet([%s]);" %
                   ", ".join("'%s'" % p for p in paths))
        self.assertEqual(int(got[0]["n"]), csv_rows)

    def test_kill_while_writing(self):
        self.check(complete=True)
        now = self.lake.now + 10
        killed = 0
        for i in range(5):
            now += 10
            self.change(now, i)
            env = dict(os.environ, LAKEVIEW_NOW=str(now + 5), LC_ALL="C")
            p = subprocess.Popen([lakelib.LAKECTL, "snapshot", "--store", self.lake.store],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            time.sleep(self.rng.uniform(0.05, self.snap_s))
            if p.poll() is None:
                killed += 1
            p.kill()
            p.wait()
            self.check()
            now += 10
        # the next snapshot completes what the killed ones left
        self.lake.snapshot(now=now + 5)
        self.check(complete=True)
        self.assertGreater(killed, 0, "no snapshot was still running when killed (seed %d)" % SEED)


def gen_id(i):
    """The id gen_rows.py gives row @i."""
    return str(uuid.UUID(int=random.Random(i).getrandbits(128)))


if __name__ == "__main__":
    unittest.main(verbosity=2)
