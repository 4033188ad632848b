#!/usr/bin/env python3
"""Semantics of the lake (lake-format.md §4.1, DESIGN.md §4,
`lakectl ingest --help`, `lakectl tables --help`), one test each.

Run one test:  test_semantics.py Semantics.test_inplace_update_replaces_row
"""
import json
import os
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lakelib  # noqa: E402
from lakelib import parse_csv  # noqa: E402

T = 1615000000


def gid(n):
    return "6121a0b0-0000-4000-9000-%012x" % n


def gizmo(n, version, createdon, name, cost="1.5"):
    return ('{"@odata.etag":"W/\\"%d\\"","lv_gizmoid":"%s","lv_name":%s,"createdon":"%s",'
            '"lv_cost":%s,"lv_gizmosize":null,"versionnumber":%d,"modifiedon":"%s"}'
            % (version, gid(n), json.dumps(name), createdon, cost, version, createdon))


def event(n, version, createdon, subject):
    return json.dumps({"@odata.etag": 'W/"%d"' % version, "lv_eventid": gid(n),
                       "lv_subject": subject, "createdon": createdon, "versionnumber": version})


def deleted(table, n):
    return json.dumps({"@odata.context": "https://x.crm.dynamics.com/api/data/v9.2/$metadata#%ss/$deletedEntity"
                       % table, "id": gid(n), "reason": "deleted"})


class Semantics(unittest.TestCase):
    def setUp(self):
        self.lake = lakelib.Lake()
        self.addCleanup(self.lake.close)

    def rows(self, path):
        """{id: record} of a partition file (asserting ids are unique)."""
        recs = parse_csv(self.lake.cat(path))
        ids = [r[0] for r in recs]
        self.assertEqual(len(ids), len(set(ids)), "%s holds a row twice: %s" % (path, ids))
        return {r[0]: r for r in recs}

    def all_ids(self, table):
        out = []
        for p in self.lake.files(table):
            if p.count("/") == 1:
                out += [(p, r[0]) for r in parse_csv(self.lake.cat(p))]
        return out

    # -- in place ---------------------------------------------------------
    def test_inplace_create_update_delete(self):
        lk = self.lake
        lk.add("lv_gizmo")
        lk.ingest("lv_gizmo", [gizmo(1, 1, "2021-02-01T00:00:00Z", "one"),
                               gizmo(2, 2, "2021-03-01T00:00:00Z", "two"),
                               gizmo(3, 3, "2021-04-01T00:00:00Z", "three")], now=T)
        before = lk.cat("lv_gizmo/2021.csv")
        self.assertEqual([r[0] for r in parse_csv(before)], [gid(1), gid(2), gid(3)])
        # update: the row is replaced where it stands, others untouched
        lk.ingest("lv_gizmo", [gizmo(2, 12, "2021-03-01T00:00:00Z", "two, updated", "99")], now=T + 60)
        recs = parse_csv(lk.cat("lv_gizmo/2021.csv"))
        self.assertEqual([r[0] for r in recs], [gid(1), gid(2), gid(3)])
        self.assertEqual(recs[1][4], "two, updated")
        self.assertEqual(recs[1][6], "99")
        self.assertEqual(recs[1][1], lakelib.sink(T))       # SinkCreatedOn kept
        self.assertEqual(recs[1][2], lakelib.sink(T + 60))  # SinkModifiedOn moved
        old = parse_csv(before)
        self.assertEqual(recs[0], old[0])
        self.assertEqual(recs[2], old[2])
        # delete: the row is gone, the others stay byte-identical
        out = lk.ingest("lv_gizmo", [deleted("lv_gizmo", 2)], now=T + 120)
        self.assertIn("1 deletes", out)
        recs = parse_csv(lk.cat("lv_gizmo/2021.csv"))
        self.assertEqual(recs, [old[0], old[2]])
        # a delete of a row never seen is skipped
        out = lk.ingest("lv_gizmo", [deleted("lv_gizmo", 77)], now=T + 180)
        self.assertIn("skipped 1", out)
        self.assertEqual(parse_csv(lk.cat("lv_gizmo/2021.csv")), [old[0], old[2]])
        # re-create after delete (a newer version) comes back
        lk.ingest("lv_gizmo", [gizmo(2, 30, "2021-03-01T00:00:00Z", "two again")], now=T + 240)
        self.assertEqual(self.rows("lv_gizmo/2021.csv")[gid(2)][4], "two again")

    def test_create_then_delete_in_one_batch(self):
        """A row created and deleted within one ingest batch must not stay."""
        lk = self.lake
        lk.add("lv_gizmo")
        lk.ingest("lv_gizmo", [gizmo(1, 1, "2021-02-01T00:00:00Z", "keeps"),
                               gizmo(2, 2, "2021-02-01T00:00:00Z", "created"),
                               deleted("lv_gizmo", 2)], now=T)
        self.assertEqual(sorted(self.rows("lv_gizmo/2021.csv")), [gid(1)])

    def test_update_in_the_batch_that_created_the_row(self):
        lk = self.lake
        lk.add("lv_gizmo")
        lk.ingest("lv_gizmo", [gizmo(1, 1, "2021-02-01T00:00:00Z", "v1"),
                               gizmo(1, 2, "2021-02-01T00:00:00Z", "v2")], now=T)
        rows = self.rows("lv_gizmo/2021.csv")
        self.assertEqual(rows[gid(1)][4], "v2")

    # -- append-only ------------------------------------------------------
    def test_append_only_appends_every_change(self):
        lk = self.lake
        lk.add("lv_event", append_only=True)
        lk.ingest("lv_event", [event(1, 1, "2021-02-01T00:00:00Z", "created"),
                               event(1, 2, "2021-02-01T00:00:00Z", "updated")], now=T)
        first = lk.cat("lv_event/2021.csv")
        lk.ingest("lv_event", [deleted("lv_event", 1), event(2, 3, "2021-05-05T00:00:00Z", "other")],
                  now=T + 3600)
        data = lk.cat("lv_event/2021.csv")
        self.assertTrue(data.startswith(first), "append-only files only grow")
        recs = parse_csv(data)
        self.assertEqual([(r[0], r[4], r[-1]) for r in recs],
                         [(gid(1), "created", ""), (gid(1), "updated", ""),
                          (gid(1), "", "True"), (gid(2), "other", "")])
        self.assertEqual(recs[2][1], lakelib.sink(T + 3600))
        names = [a["name"] for a in lk.manifest("lv_event")["entities"][0]["attributes"]]
        self.assertEqual(names[-1], "IsDelete")
        for r in recs:
            self.assertEqual(len(r), len(names))

    # -- partitions ---------------------------------------------------------
    def test_partition_move_leaves_no_copy(self):
        lk = self.lake
        lk.add("lv_gizmo")
        lk.ingest("lv_gizmo", [gizmo(1, 1, "2020-06-01T00:00:00Z", "moves"),
                               gizmo(2, 2, "2020-06-02T00:00:00Z", "stays")], now=T)
        lk.ingest("lv_gizmo", [gizmo(1, 5, "2021-06-01T00:00:00Z", "moved")], now=T + 60)
        self.assertEqual(sorted(self.all_ids("lv_gizmo")),
                         [("lv_gizmo/2020.csv", gid(2)), ("lv_gizmo/2021.csv", gid(1))])
        self.assertEqual(self.rows("lv_gizmo/2021.csv")[gid(1)][4], "moved")

    def test_partition_move_within_one_batch(self):
        lk = self.lake
        lk.add("lv_gizmo", month=True)
        lk.ingest("lv_gizmo", [gizmo(1, 1, "2021-01-15T00:00:00Z", "january"),
                               gizmo(1, 2, "2021-03-15T00:00:00Z", "march")], now=T)
        self.assertEqual(self.all_ids("lv_gizmo"), [("lv_gizmo/2021-03.csv", gid(1))])

    def test_year_and_month_file_names(self):
        lk = self.lake
        lk.add("lv_gizmo", month=True)
        lk.add("lv_widget")
        lk.add("lv_event", append_only=True)
        lk.ingest("lv_gizmo", [gizmo(1, 1, "2021-03-31T23:59:59Z", "march"),
                               gizmo(2, 2, "2021-12-01T00:00:00Z", "december"),
                               gizmo(3, 3, "2020-01-01T00:00:00Z", "january")], now=T)
        lk.ingest("lv_widget", [json.dumps({"lv_widgetid": gid(9), "createdon": "2021-03-05T00:00:00Z",
                                            "versionnumber": 1})], now=T)
        lk.ingest("lv_event", [event(4, 1, "2019-03-05T00:00:00Z", "x")], now=T)
        self.assertEqual(lk.files("lv_gizmo"),
                         ["lv_gizmo/2020-01.csv", "lv_gizmo/2021-03.csv", "lv_gizmo/2021-12.csv"])
        self.assertEqual(lk.files("lv_widget"), ["lv_widget/2021.csv"])
        self.assertEqual(lk.files("lv_event"), ["lv_event/2019.csv"])
        ann = {a["name"]: a["value"] for a in lk.manifest("lv_gizmo")["entities"][0]["annotations"]}
        self.assertEqual(ann["Athena:PartitionGranularity"], "Month")

    # -- idempotence and ordering -----------------------------------------
    def test_reingest_is_idempotent(self):
        lk = self.lake
        for t, ao, mo in lakelib.TABLES:
            lk.add(t, append_only=ao, month=mo)
        for t, f in (("lv_widget", "lv_widget.1.jsonl"), ("lv_gizmo", "lv_gizmo.1.jsonl"),
                     ("lv_event", "lv_event.1.jsonl")):
            lk.ingest(t, lakelib.fixture(f), now=T)
        lk.snapshot(now=T)
        before = lk.digest()
        for t, f, n in (("lv_widget", "lv_widget.1.jsonl", 7), ("lv_gizmo", "lv_gizmo.1.jsonl", 4),
                        ("lv_event", "lv_event.1.jsonl", 3)):
            out = lk.ingest(t, lakelib.fixture(f), now=T + 3600)
            self.assertIn("applied 0 changes", out)
            self.assertIn("skipped %d" % n, out)
        self.assertEqual(lk.digest(), before, "a re-ingest changed bytes of the lake")
        lk.snapshot(now=T + 7200)
        self.assertEqual(lk.digest()[0], before[0], "a re-ingest made partitions look changed")

    def test_older_version_does_not_overwrite(self):
        lk = self.lake
        lk.add("lv_gizmo")
        lk.ingest("lv_gizmo", [gizmo(1, 10, "2021-02-01T00:00:00Z", "newer")], now=T)
        before = lk.digest()
        out = lk.ingest("lv_gizmo", [gizmo(1, 9, "2021-02-01T00:00:00Z", "older")], now=T + 60)
        self.assertIn("skipped 1", out)
        self.assertEqual(lk.digest(), before)

    def test_older_version_in_one_batch_does_not_overwrite(self):
        lk = self.lake
        lk.add("lv_gizmo")
        lk.ingest("lv_gizmo", [gizmo(1, 10, "2021-02-01T00:00:00Z", "newer"),
                               gizmo(1, 9, "2021-02-01T00:00:00Z", "older")], now=T)
        self.assertEqual(self.rows("lv_gizmo/2021.csv")[gid(1)][4], "newer")

    def test_same_version_twice_is_a_noop(self):
        lk = self.lake
        lk.add("lv_gizmo")
        lk.add("lv_event", append_only=True)
        out = lk.ingest("lv_gizmo", [gizmo(1, 10, "2021-02-01T00:00:00Z", "a"),
                                     gizmo(1, 10, "2021-02-01T00:00:00Z", "a")], now=T)
        self.assertIn("skipped 1", out)
        out = lk.ingest("lv_event", [event(1, 10, "2021-02-01T00:00:00Z", "a"),
                                     event(1, 10, "2021-02-01T00:00:00Z", "a")], now=T)
        self.assertIn("skipped 1", out)
        self.assertEqual(len(parse_csv(lk.cat("lv_event/2021.csv"))), 1)
        counts = {t["name"]: t["count"] for t in json.loads(lk.ok("status", "--json"))["tables"]}
        self.assertEqual(counts, {"lv_gizmo": 1, "lv_event": 1})
        before = lk.digest()
        out = lk.ingest("lv_gizmo", [gizmo(1, 10, "2021-02-01T00:00:00Z", "a")], now=T + 60)
        self.assertIn("skipped 1", out)
        self.assertEqual(lk.digest(), before)

    # -- table remove -------------------------------------------------------
    def test_table_remove_and_readd(self):
        lk = self.lake
        lk.add("lv_gizmo")
        lk.add("lv_event", append_only=True)
        lk.ingest("lv_gizmo", [gizmo(1, 1, "2021-02-01T00:00:00Z", "old row")], now=T)
        lk.ingest("lv_event", [event(1, 1, "2021-02-01T00:00:00Z", "other table")], now=T)
        lk.snapshot(now=T)
        lk.ingest("lv_gizmo", [gizmo(1, 2, "2021-02-01T00:00:00Z", "old row 2")], now=T + 60)
        lk.snapshot(now=T + 60)
        other = {p: lk.cat(p) for p in lk.files("lv_event")}
        self.assertTrue(any("/Snapshot/" in p for p in lk.files("lv_gizmo")))
        lk.ok("tables", "remove", "lv_gizmo", now=T + 120)
        listing = lk.ls()
        self.assertEqual([p for p in listing if "gizmo" in p], [], "remove left files behind")
        self.assertNotIn("lv_gizmo", [e["name"] for e in lk.model()["entities"]])
        self.assertEqual({p: lk.cat(p) for p in lk.files("lv_event")}, other)
        self.assertNotIn("lv_gizmo", lk.ok("tables", "list"))
        self.assertNotIn(b"lv_gizmo", lk.cat("OptionsetMetadata/GlobalOptionsetMetadata.csv"))
        # re-add starts fresh: the old row (version 2) is not remembered
        lk.add("lv_gizmo", now=T + 180)
        self.assertEqual(lk.files("lv_gizmo"), [])
        self.assertEqual(lk.manifest("lv_gizmo")["entities"][0]["partitions"], [])
        ent = [e for e in lk.model()["entities"] if e["name"] == "lv_gizmo"]
        self.assertEqual(len(ent), 1)
        self.assertEqual(ent[0]["partitions"], [])
        out = lk.ingest("lv_gizmo", [gizmo(1, 1, "2021-02-01T00:00:00Z", "fresh")], now=T + 240)
        self.assertIn("applied 1 changes", out)
        self.assertEqual([r[4] for r in parse_csv(lk.cat("lv_gizmo/2021.csv"))], ["fresh"])
        self.assertEqual([p for p in lk.ls() if "Snapshot" in p and "gizmo" in p], [])
        # removing a table that is not there is an error
        p = lk.run("tables", "remove", "lv_nothere")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(b"lv_nothere", p.stderr)


if __name__ == "__main__":
    lakelib.main()
