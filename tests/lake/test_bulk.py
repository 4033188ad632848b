#!/usr/bin/env python3
"""A larger stream: 20,000 creates plus random updates (some moving the row
to another partition), deletes, stale versions and duplicates, ingested with
--batch 1000 into an in-place Month table and an append-only table; the
lake must end with exactly the records lakelib.Model predicts (sorted
record sets per partition for in place, the exact sequence for
append-only).  Seeded, so a failure reproduces.
"""
import json
import os
import random
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lakelib  # noqa: E402
from lakelib import parse_csv  # noqa: E402

T = 1615000000
N = 20000
SEED = int(os.environ.get("LAKE_BULK_SEED", "20240601"))


def gid(n):
    return "b0b0b0b0-0000-4000-8000-%012x" % n


def stream(rng, table, n_rows, n_changes):
    """Creates of n_rows rows, then n_changes random updates/deletes/
    stale/duplicate items, interleaved so batches mix every kind."""
    version = {}
    created = {}
    live = set()
    v = 1
    items = []

    def upsert(i, ver, createdon, text):
        return json.dumps({"@odata.etag": 'W/"%d"' % ver, table + "id": gid(i),
                           ("lv_name" if table == "lv_gizmo" else "lv_subject"): text,
                           "createdon": createdon, "versionnumber": ver,
                           ("lv_cost" if table == "lv_gizmo" else "lv_count"): ver % 997},
                          ensure_ascii=False)

    def createdon():
        return "20%02d-%02d-%02dT%02d:00:00Z" % (rng.randint(19, 22), rng.randint(1, 12),
                                                 rng.randint(1, 28), rng.randint(0, 23))

    pending = list(range(n_rows))
    changes = n_changes
    while pending or changes:
        if pending and (not live or rng.random() < 0.6 or not changes):
            i = pending.pop()
            v += 1
            version[i] = v
            created[i] = createdon()
            live.add(i)
            items.append(upsert(i, v, created[i], "row %d, \"created\"\nline 2 \u00e9" % i))
            continue
        changes -= 1
        i = rng.choice(sorted(live)) if rng.random() < 0.9 else rng.randrange(n_rows)
        r = rng.random()
        if i not in version:
            continue
        if r < 0.45:
            v += 1
            version[i] = v
            if rng.random() < 0.3:
                created[i] = createdon()  # moves to another partition
            items.append(upsert(i, v, created[i], "row %d v%d" % (i, v)))
            live.add(i)
        elif r < 0.7:
            items.append(json.dumps({"@odata.context": "https://x/api/data/v9.2/$metadata#%ss/$deletedEntity"
                                     % table, "id": gid(i), "reason": "deleted"}))
            live.discard(i)
        elif r < 0.85:  # stale: an older version than the row holds
            items.append(upsert(i, max(1, version[i] - rng.randint(1, 5)), created[i], "stale"))
        else:  # a retry of the newest item for that row
            items.append(upsert(i, version[i], created[i], "row %d retry" % i))
    return items


class Bulk(unittest.TestCase):
    def run_table(self, table, append_only, month, n_rows, n_changes, seed):
        rng = random.Random(seed)
        items = stream(rng, table, n_rows, n_changes)
        schema = lakelib.Schema(lakelib.fixture(table + ".schema.json"), append_only)
        model = lakelib.Model(schema, month)
        with lakelib.Lake() as lk:
            lk.add(table, append_only=append_only, month=month)
            # three ingests at three clock values, --batch 1000
            thirds = [items[:len(items) // 3], items[len(items) // 3:2 * len(items) // 3],
                      items[2 * len(items) // 3:]]
            for k, part in enumerate(thirds):
                now = T + k * 86400
                path = os.path.join(lk.tmp, "part%d.jsonl" % k)
                with open(path, "w", encoding="utf-8") as f:
                    f.write("\n".join(part) + "\n")
                out = lk.ingest(table, path, batch=1000, now=now)
                for line in part:
                    model.apply(lakelib.loads(line), now)
            want = model.expected()
            got = {}
            for name, data in lk.partitions(table).items():
                recs = parse_csv(data)
                if recs:
                    got[name[:-4]] = recs if append_only else sorted(recs)
            self.assertEqual(sorted(got), sorted(want), "partitions")
            for p in sorted(want):
                g, w = got[p], want[p]
                if g != w:
                    gs, ws = set(map(tuple, g)), set(map(tuple, w))
                    extra = sorted(gs - ws)[:3]
                    missing = sorted(ws - gs)[:3]
                    self.fail("%s/%s.csv: %d records, model has %d; extra %s; missing %s"
                              % (table, p, len(g), len(w), extra, missing))
            count = {t["name"]: t["count"] for t in json.loads(lk.ok("status", "--json"))["tables"]}
            want_count = sum(len(v) for v in want.values())
            self.assertEqual(count[table], want_count, "status count")
            return out

    def test_inplace_month_20000_rows(self):
        self.run_table("lv_gizmo", False, True, N, N // 2, SEED)

    def test_append_only_20000_rows(self):
        self.run_table("lv_event", True, False, N, N // 2, SEED + 1)


if __name__ == "__main__":
    lakelib.main()
