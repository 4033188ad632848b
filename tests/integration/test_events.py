#!/usr/bin/env python3
"""What happens when ...: one test per event at the source or in the link,
each against the Dataverse stand-in over HTTP, with a fresh stand-in and
store per test (lv_widget in place by Year, lv_gadget in place by Month,
lv_event append-only).

For every event the test states what changes in the live CSVs
(<table>/<part>.csv), in Snapshot/, in model.json (and the per-table
manifest Microsoft.Athena.TrickleFeedService/<table>-model.json) and in
`lakectl status --json`:

  row_created / row_updated / row_deleted   live CSVs change as Synapse
      Link does (in place: record inserted / replaced / removed;
      append-only: one full record appended, a delete with IsDelete True);
      model.json and Snapshot/ stay byte-identical until `lakectl
      snapshot`, which adds one snapshot per changed partition only and
      points model.json at it.  (The per-table manifest lists the live
      partition files: it changes only when a partition file appears.)
  row_moves_partition       an in-place row whose createdon moves leaves no
      copy in its old partition.
  column_added              the column is appended last in model.json and
      the manifest, which change in the same commit as the first record
      that carries it; append-only files keep their old bytes as a prefix.
  column_removed            the column stays where it was; new records
      have it empty.
  column_type_changed       sync fails for that table only (one-line
      reason naming the column and "remove and add the table"); the lake
      does not change; other tables go on.
  table_removed_and_readded drop folder + snapshots + manifest + model.json
      entry; re-add reads the table whole into a fresh folder.
  change_tracking_off, table_deleted_at_source  Failed with the source's
      message; the lake keeps the last good data; other tables go on.
  snapshot_reader_isolation a listed snapshot's bytes never change.
  timing                    model.json changes only at snapshots, with a new
      schema, and with table add/remove.
"""
import json
import os
import random
import sys
import unittest
from concurrent.futures import ThreadPoolExecutor

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lvtest  # noqa: E402
from lvtest import TABLES  # noqa: E402

T0 = 1767225600            # 2026-01-01T00:00:00Z, LAKEVIEW_NOW of the store
SIZES = {"lv_widget": 60, "lv_gadget": 30, "lv_event": 40}
PAGE = 25                  # several pages per table
YEARS = {"lv_widget": (2019, 2025), "lv_gadget": (2023, 2024), "lv_event": (2019, 2025)}
INPLACE = ("lv_widget", "lv_gadget")
MANIFEST = "Microsoft.Athena.TrickleFeedService/%s-model.json"
SINK = ("SinkCreatedOn", "SinkModifiedOn")


def csv_records(data):
    return lvtest.parse_csv(data)


def is_snapshot(path):
    return "/Snapshot/" in path and not path.endswith("/")


def live_part(path):
    """(table, partition) of a live partition file, else None."""
    parts = path.split("/")
    if len(parts) == 2 and parts[1].endswith(".csv") and parts[0] != "OptionsetMetadata":
        return parts[0], parts[1][:-4]
    return None


class Events(unittest.TestCase):
    maxDiff = 4000

    def setUp(self):
        seed = sum(map(ord, self._testMethodName))
        self.standin = lvtest.Standin(lvtest.org_spec(seed=seed, sizes=SIZES, untracked=False))
        self.addCleanup(self.standin.stop)
        self.store = lvtest.Store(self.standin, page_size=PAGE)
        self.addCleanup(self.store.close)
        self.store.now = T0
        lvtest.add_tables(self.store)
        self.store.sync()            # initial sync; the first round also snapshots
        self.rng = random.Random(seed)
        self.lake_url = self.store.status()["lake_url"]

    # -- helpers -------------------------------------------------------------
    def tick(self, s=60):
        self.store.now += s

    def snapshot(self):
        self.tick()
        return self.store.ok("snapshot")

    def sync(self, *tables, expect_ok=True):
        self.tick(1)
        return self.store.sync(*tables, expect_ok=expect_ok)

    def lake(self, only=None):
        """{path: bytes} of every file (for which only(path) is true)."""
        paths = [p for p in sorted(self.store.ls()) if not p.endswith("/")
                 and (only is None or only(p))]
        with ThreadPoolExecutor(8) as ex:   # one lakectl cat per file, 8 at a time
            return dict(zip(paths, ex.map(self.store.cat, paths)))

    def snapshots(self, lake):
        return {p: b for p, b in lake.items() if is_snapshot(p)}

    def model_locations(self, model_bytes, table):
        """{partition: lake path} model.json points at for @table."""
        for e in json.loads(model_bytes)["entities"]:
            if e["name"] == table:
                out = {}
                for p in e.get("partitions", []):
                    loc = p["location"]
                    self.assertTrue(loc.startswith(self.lake_url + "/"), loc)
                    out[p["name"]] = loc[len(self.lake_url) + 1:]
                return out
        return None

    def attr_names(self, model_bytes, table):
        for e in json.loads(model_bytes)["entities"]:
            if e["name"] == table:
                return [a["name"] for a in e["attributes"]]
        return None

    def table_files(self, lake, table):
        return {p: b for p, b in lake.items()
                if p.startswith(table + "/") or p == MANIFEST % table}

    def pick(self, table, n=1, where=None):
        pk = table + "id"
        rows = [r for r in self.standin.webapi_rows(table) if not where or where(r)]
        rows.sort(key=lambda r: r[pk])
        return self.rng.sample(rows, n)

    def cols(self, table):
        return lvtest.columns(self.standin, self.store, table)

    def expected(self, table, rid, delete=False):
        pk = table + "id"
        cols = self.cols(table)
        if delete:
            return lvtest.expected_record(cols, {"id": rid}, pk, delete=True)
        for r in self.standin.webapi_rows(table):
            if r[pk].lower() == rid.lower():
                return lvtest.expected_record(cols, r, pk)
        raise AssertionError("%s: no live row %s" % (table, rid))

    def where_is(self, lake, table, rid):
        """[(partition, record)] of every record of @rid in @table's live files."""
        out = []
        for p, b in lake.items():
            lp = live_part(p)
            if lp and lp[0] == table:
                out += [(lp[1], r) for r in csv_records(b) if r[0] == rid.lower()]
        return out

    def check_snapshot_step(self, before, after_sync, touched):
        """`lakectl snapshot` after a row-only sync: model.json changes,
        exactly one new snapshot per touched live partition (bytes = the live
        file), older snapshots unchanged, model.json points at the new ones."""
        out = self.snapshot()
        now = self.store.now
        after = self.lake()
        self.assertNotEqual(after["model.json"], after_sync["model.json"],
                            "model.json must change at the snapshot")
        new = {p for p in self.snapshots(after) if p not in self.snapshots(after_sync)}
        want = {"%s/Snapshot/%s_%d.csv" % (t, part, now) for t, part in touched}
        self.assertEqual(sorted(new), sorted(want), "new snapshots (one per changed partition); " + out)
        for p, b in self.snapshots(before).items():
            if p in after:
                self.assertEqual(after[p], b, "%s changed after it was listed" % p)
        for t, part in touched:
            snap = "%s/Snapshot/%s_%d.csv" % (t, part, now)
            self.assertEqual(after[snap], after["%s/%s.csv" % (t, part)], snap)
            self.assertEqual(self.model_locations(after["model.json"], t)[part], snap)
        return after

    # -- 1. rows -------------------------------------------------------------
    def row_event(self, kind):
        before = self.lake()
        ids = {}
        for t in TABLES:
            pk = t + "id"
            if kind == "created":
                r = lvtest.make_row(self.rng, TABLES[t][0], pk, YEARS[t])
                r["createdon"] = self.pick(t)[0]["createdon"]   # into an existing partition
                ids[t] = r[pk].lower()
                self.standin.upsert(t, [r])
            elif kind == "updated":
                old = self.pick(t)[0]
                r = lvtest.make_row(self.rng, TABLES[t][0], pk, YEARS[t])
                r[pk] = old[pk]
                del r["createdon"]           # stays in its partition
                r["name"] = "updated %s" % t
                ids[t] = old[pk].lower()
                self.standin.upsert(t, [r])
            else:
                old = self.pick(t)[0]
                ids[t] = old[pk].lower()
                self.standin.delete(t, [old[pk]])
        self.sync()
        after = self.lake()
        self.assertEqual(after["model.json"], before["model.json"],
                         "model.json must not change before `lakectl snapshot`")
        self.assertEqual(self.snapshots(after), self.snapshots(before),
                         "Snapshot/ must not change before `lakectl snapshot`")
        touched = set()
        for t, rid in ids.items():
            append = TABLES[t][2]["append_only"]
            width = len(self.attr_names(after["model.json"], t))
            changed = sorted(p for p in set(after) | set(before) if live_part(p)
                             and live_part(p)[0] == t and after.get(p) != before.get(p))
            self.assertEqual(len(changed), 1, "%s: live files changed: %s" % (t, changed))
            path = changed[0]
            touched.add(live_part(path))
            old_recs = csv_records(before.get(path, b""))
            new_recs = csv_records(after.get(path, b""))   # an emptied partition stays, 0 bytes
            for r in new_recs:
                self.assertEqual(len(r), width, "%s: record width" % path)
            if append:
                self.assertTrue(after[path].startswith(before.get(path, b"")),
                                "%s: append-only file must keep its bytes as a prefix" % path)
                tail = new_recs[len(old_recs):]
                self.assertEqual(len(tail), 1, "%s: records appended: %s" % (path, tail))
                self.assertEqual(lvtest.strip_sink(tail[0]),
                                 self.expected(t, rid, delete=(kind == "deleted")),
                                 "%s: the appended record" % path)
                if kind == "deleted":
                    self.assertEqual(tail[0][-1], "True", "IsDelete of the delete record")
                else:
                    self.assertEqual(tail[0][-1], "", "IsDelete of a change record")
                lvtest.check_append_latest(self, self.standin, self.store, t)
            else:
                others_old = sorted(r for r in old_recs if r[0] != rid)
                others_new = sorted(r for r in new_recs if r[0] != rid)
                self.assertEqual(others_new, others_old, "%s: other records untouched" % path)
                mine = [r for r in new_recs if r[0] == rid]
                had = [r for r in old_recs if r[0] == rid]
                if kind == "deleted":
                    self.assertEqual((len(had), mine), (1, []), "%s: deleted record" % path)
                else:
                    self.assertEqual((len(had), len(mine)), (0 if kind == "created" else 1, 1),
                                     "%s: records of %s before/after" % (path, rid))
                    self.assertEqual(lvtest.strip_sink(mine[0]), self.expected(t, rid))
                lvtest.check_inplace(self, self.standin, self.store, t, TABLES[t][2]["month"])
        for t in TABLES:   # no new partition: the per-table manifest stays too
            for p in (MANIFEST % t, "OptionsetMetadata/OptionsetMetadata.csv"):
                self.assertEqual(after[p], before[p], "%s changed by a row-only sync" % p)
        self.assertEqual({x["name"]: x["state"] for x in self.store.status()["tables"]},
                         {t: "Completed" for t in TABLES})
        self.check_snapshot_step(before, after, touched)

    def test_row_created(self):
        self.row_event("created")

    def test_row_updated(self):
        self.row_event("updated")

    def test_row_deleted(self):
        self.row_event("deleted")

    # -- 2. partition move -----------------------------------------------------
    def test_row_moves_partition(self):
        before = self.lake()
        moves = {}   # (table, id) -> (old partition, new partition)
        for t in INPLACE + ("lv_event",):
            pk = t + "id"
            month = TABLES[t][2]["month"]
            new_dates = (["2018-06-01T10:00:00Z", "2021-07-01T10:00:00Z"] if not month
                         else ["2022-06-01T10:00:00Z", "2024-07-01T10:00:00Z"])
            olds = self.pick(t, 2, where=lambda r, m=month: lvtest.partition_of(r["createdon"], m)
                             not in [lvtest.partition_of(d, m) for d in new_dates])
            rows = []
            for old, d in zip(olds, new_dates):
                rows.append({pk: old[pk], "createdon": d, "name": "moved"})
                moves[(t, old[pk].lower())] = (lvtest.partition_of(old["createdon"], month),
                                               lvtest.partition_of(d, month))
            self.standin.upsert(t, rows)
        self.sync()
        after = self.lake()
        self.assertEqual(after["model.json"], before["model.json"])
        self.assertEqual(self.snapshots(after), self.snapshots(before))
        for (t, rid), (pold, pnew) in moves.items():
            where = self.where_is(after, t, rid)
            if t in INPLACE:
                self.assertEqual([p for p, _ in where], [pnew],
                                 "%s %s moved %s -> %s: partitions holding it" % (t, rid, pold, pnew))
                self.assertEqual(lvtest.strip_sink(where[0][1]), self.expected(t, rid))
            else:
                # append-only: history stays; the change is appended to the new partition
                oldp, newp = "%s/%s.csv" % (t, pold), "%s/%s.csv" % (t, pnew)
                self.assertIn(rid, [r[0] for r in csv_records(before.get(oldp, b""))],
                              "%s: the row was in its old partition before the move" % oldp)
                self.assertEqual(after.get(oldp), before.get(oldp), "%s keeps its bytes" % oldp)
                self.assertTrue(after[newp].startswith(before.get(newp, b"")), newp)
                tail = csv_records(after[newp])[len(csv_records(before.get(newp, b""))):]
                self.assertEqual([r[0] for r in tail], [rid], "%s: records appended" % newp)
                self.assertEqual(lvtest.strip_sink(tail[0]), self.expected(t, rid))
        for t in INPLACE:
            lvtest.check_inplace(self, self.standin, self.store, t, TABLES[t][2]["month"])
        # the per-table manifest lists the live partitions, the new ones too
        for t in TABLES:
            man = {p["name"]: p["location"][len(self.lake_url) + 1:]
                   for p in json.loads(after[MANIFEST % t])["entities"][0]["partitions"]}
            live = {live_part(p)[1]: p for p in after if live_part(p) and live_part(p)[0] == t}
            self.assertEqual(man, live, "%s: partitions of the per-table manifest" % t)

    # -- 3. column added ---------------------------------------------------------
    def consistent(self, order):
        """One look at the lake while a sync may be committing.  order
        'model-first': model.json and manifests are read before the CSVs (a
        column in them means a record with it must exist); 'csv-first': the
        CSVs first (a record with the column means model.json has it)."""
        def read_meta():
            m = self.store.cat("model.json")
            return m, {t: self.store.cat(MANIFEST % t) for t in TABLES}

        if order == "model-first":
            m, mans = read_meta()
            parts = {t: self.store.partitions(t) for t in TABLES}
        else:
            parts = {t: self.store.partitions(t) for t in TABLES}
            m, mans = read_meta()
        bad = []
        for t in TABLES:
            widths = {len(r) for recs in parts[t].values() for r in recs}
            wide = self.base_width[t] + 1 in widths
            in_model = "lv_note" in self.attr_names(m, t)
            in_man = "lv_note" in self.attr_names(mans[t], t)
            if order == "model-first" and (in_model or in_man) and not wide:
                bad.append("%s: model.json=%s manifest=%s list lv_note, read before the CSVs, "
                           "but no record carries it" % (t, in_model, in_man))
            if order == "csv-first" and wide and not (in_model and in_man):
                bad.append("%s: a record carries lv_note, read before model.json=%s "
                           "manifest=%s" % (t, in_model, in_man))
            # only meaningful when the CSVs were read first: read after
            # model.json, they may already hold a commit model.json predates
            if order == "csv-first" and max(widths) > self.base_width[t] + (1 if in_model else 0):
                bad.append("%s: a record wider than model.json" % t)
        return bad

    def test_column_added(self):
        before = self.lake()
        self.base_width = {t: len(self.attr_names(before["model.json"], t)) for t in TABLES}
        old_attrs = {t: self.attr_names(before["model.json"], t) for t in TABLES}
        notes = {}
        for t in TABLES:
            pk = t + "id"
            self.standin.admin("POST", "/admin/tables/%s/attributes" % t,
                               {"LogicalName": "lv_note", "AttributeType": "String",
                                "MaxLength": 100})
            rows = self.pick(t, 3)
            for i, r in enumerate(rows):
                notes[(t, r[pk].lower())] = "note, \"%d\" é" % i
            self.standin.upsert(t, [{pk: r[pk], "lv_note": notes[(t, r[pk].lower())]}
                                    for r in rows])
        # slow later pages, so the lake can be looked at mid-sync; the tables
        # page side by side, so each page waits as long as all of them did
        # one after another (a look is many lakectl runs, slow under ASan)
        self.standin.fault("slow", ms=1200 * len(TABLES), path="/api/data/v9.2/lv_",
                           query="skiptoken", count=10)
        self.tick(1)
        p = self.store.spawn("sync")
        looks, bad = 0, []
        try:
            while p.poll() is None:
                for order in ("model-first", "csv-first"):
                    bad += [b for b in self.consistent(order) if b not in bad]
                looks += 1
        finally:
            rc = p.wait(timeout=120)
            err = p.stderr.read().decode("utf-8", "replace")
            p.stderr.close()
            lvtest._live.pop(p.pid, None)
            self.standin.clear_faults()
        self.assertEqual(rc, 0, err)
        self.assertGreaterEqual(looks, 2, "looks at the lake during the sync")
        bad += [b for b in self.consistent("model-first") if b not in bad]
        with self.subTest("model.json and the manifest change with the first record carrying "
                          "the column"):
            self.assertEqual(bad, [])
        after = self.lake()
        for t in TABLES:
            names = self.attr_names(after["model.json"], t)
            self.assertEqual(names, old_attrs[t] + ["lv_note"], "%s: model.json attributes" % t)
            self.assertEqual(self.attr_names(after[MANIFEST % t], t), names,
                             "%s: manifest attributes" % t)
        width = {t: self.base_width[t] + 1 for t in TABLES}
        for (t, rid), note in notes.items():
            recs = self.where_is(after, t, rid)
            self.assertTrue(recs, rid)
            self.assertEqual(len(recs[-1][1]), width[t], "%s: the new record's width" % t)
            self.assertEqual(recs[-1][1][-1], note, "%s: lv_note is the last field" % t)
        narrow = []
        for p, b in sorted(after.items()):
            lp = live_part(p)
            if not lp:
                continue
            t = lp[0]
            recs = csv_records(b)
            ws = {len(r) for r in recs}
            self.assertTrue(ws <= {width[t] - 1, width[t]}, "%s: record widths %s" % (p, ws))
            if width[t] - 1 in ws:
                narrow.append(p)
            if TABLES[t][2]["append_only"]:
                self.assertTrue(b.startswith(before.get(p, b"")),
                                "%s: older records must stay byte-identical" % p)
            else:
                ids = {rid for (tt, rid) in notes if tt == t}
                if ids & {r[0] for r in recs}:
                    self.assertEqual(ws, {width[t]}, "%s: a touched segment has the new width" % p)
        if lvtest.VERBOSE:
            lvtest.log("column_added: partitions still narrow: %s" % narrow)
        for t in TABLES:
            self.assertEqual(self.store.table_status(t)["state"], "Completed")
        for t in INPLACE:
            self.check_inplace_padded(t)
        with self.subTest("append-only: only the changed rows are appended"):
            t = "lv_event"
            appended = []
            for p, b in after.items():
                lp = live_part(p)
                if lp and lp[0] == t:
                    appended += csv_records(b)[len(csv_records(before.get(p, b""))):]
            self.assertEqual(sorted(r[0] for r in appended),
                             sorted(rid for (tt, rid) in notes if tt == t),
                             "%s: ids of the records appended by the column's sync "
                             "(%d appended)" % (t, len(appended)))

    def check_inplace_padded(self, table):
        """check_inplace, with records narrower than model.json padded."""
        cols = self.cols(table)
        pk = table + "id"
        want = {r[pk].lower(): lvtest.expected_record(cols, r, pk)
                for r in self.standin.webapi_rows(table)}
        got = {}
        for part, recs in self.store.partitions(table).items():
            for r in recs:
                self.assertNotIn(r[0], got, "%s: %s twice" % (table, r[0]))
                got[r[0]] = lvtest.strip_sink(r + [""] * (len(cols) - len(r)))
        self.assertEqual(sorted(got), sorted(want), "%s: ids" % table)
        bad = [(k, got[k], want[k]) for k in want if got[k] != want[k]]
        self.assertEqual(bad[:2], [], "%s: %d records differ" % (table, len(bad)))

    # -- 4. column removed -------------------------------------------------------
    def test_column_removed(self):
        before = self.lake()
        old_attrs = {t: self.attr_names(before["model.json"], t) for t in TABLES}
        upd = {}
        for t in TABLES:
            pk = t + "id"
            self.standin.admin("DELETE", "/admin/tables/%s/attributes/lv_qty" % t)
            rows = self.pick(t, 3)
            upd[t] = [r[pk].lower() for r in rows]
            self.standin.upsert(t, [{pk: r[pk], "name": "after removal"} for r in rows])
        self.sync()
        after = self.lake()
        for t in TABLES:
            names = self.attr_names(after["model.json"], t)
            self.assertEqual(names, old_attrs[t], "%s: model.json attributes after removal" % t)
            self.assertEqual(self.attr_names(after[MANIFEST % t], t), old_attrs[t],
                             "%s: manifest attributes after removal" % t)
            iq = names.index("lv_qty")
            for rid in upd[t]:
                rec = self.where_is(after, t, rid)[-1][1]
                self.assertEqual(len(rec), len(names), "%s: width of the new record" % t)
                self.assertEqual(rec[names.index("name")], "after removal")
                self.assertEqual(rec[iq], "", "%s: removed lv_qty must be written empty" % t)
            self.assertEqual(self.store.table_status(t)["state"], "Completed")
            for p, b in after.items():
                lp = live_part(p)
                if lp and lp[0] == t:
                    for r in csv_records(b):
                        self.assertEqual(len(r), len(names), "%s: record width" % p)
                    if TABLES[t][2]["append_only"]:
                        self.assertTrue(b.startswith(before.get(p, b"")), p)

    # -- 5. column type changed --------------------------------------------------
    def test_column_type_changed(self):
        before = self.store.digest()
        self.standin.admin("PATCH", "/admin/tables/lv_widget/attributes/lv_qty",
                           {"AttributeType": "String", "MaxLength": 20})
        lvtest.mutate(self.standin, self.rng, "lv_widget", creates=5, updates=5, deletes=2, moves=1)
        p = self.sync(expect_ok=False)
        err = p.stderr.decode("utf-8", "replace")
        self.assertNotEqual(p.returncode, 0, "sync must fail: " + err)
        t = self.store.table_status("lv_widget")
        self.assertEqual(t["state"], "Failed", t)
        reason = t.get("reason", "")
        self.assertNotIn("\n", reason)
        self.assertIn("lv_qty", reason)
        self.assertRegex(reason, r"remove and add the table")
        self.assertEqual(self.store.digest(), before, "nothing in the lake may change")
        # the other tables keep syncing
        lvtest.mutate(self.standin, self.rng, "lv_gadget", creates=4, updates=4, deletes=2, moves=1)
        p = self.sync(expect_ok=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(self.store.table_status("lv_widget")["state"], "Failed")
        self.assertEqual(self.store.table_status("lv_gadget")["state"], "Completed")
        lvtest.check_inplace(self, self.standin, self.store, "lv_gadget", True)
        lst, dig = self.store.digest()
        lst0, dig0 = before
        widget = [x for x in lst0 if x.startswith("lv_widget/") or x == MANIFEST % "lv_widget"
                  or x == "model.json"]
        self.assertEqual({x: dig.get(x) for x in widget}, {x: dig0.get(x) for x in widget},
                         "lv_widget's files and model.json")
        self.assertEqual([x for x in lst if x.startswith("lv_widget/")],
                         [x for x in lst0 if x.startswith("lv_widget/")])

    # -- 6. table removed and re-added -------------------------------------------
    def test_table_removed_and_readded(self):
        t = "lv_gadget"
        before = self.lake()
        old_snaps = {p for p in before if p.startswith(t + "/Snapshot/")}
        self.assertTrue(old_snaps)
        old_entities = {e["name"]: e for e in json.loads(before["model.json"])["entities"]}
        self.tick()
        self.store.ok("tables", "remove", t)
        after = self.lake()
        listing = self.store.ls()
        self.assertEqual(([p for p in listing if p.startswith(t + "/")],
                          MANIFEST % t in after,
                          self.attr_names(after["model.json"], t)),
                         ([], False, None),
                         "folder (and snapshots), manifest, model.json entry all gone")
        ents = {e["name"]: e for e in json.loads(after["model.json"])["entities"]}
        self.assertEqual(ents, {n: e for n, e in old_entities.items() if n != t},
                         "the other entities of model.json are unchanged")
        for p, b in before.items():
            if not p.startswith(t + "/") and p not in ("model.json", MANIFEST % t) \
                    and not p.startswith("OptionsetMetadata/"):
                self.assertEqual(after.get(p), b, "%s changed by removing %s" % (p, t))
        self.assertNotIn(t, [x["name"] for x in self.store.status()["tables"]])
        # re-add: a fresh initial sync into a fresh folder
        self.store.add(t, month=True)
        readded = self.lake()
        self.standin.clear_requests()
        self.sync()
        reqs = [r for r in self.standin.requests() if r["path"].endswith("/lv_gadgets")]
        self.assertTrue(reqs and "deltatoken" not in reqs[0]["query"],
                        "the first request after re-adding must be an initial read: %s"
                        % [r["query"][:80] for r in reqs])
        st = self.store.table_status(t)
        self.assertEqual((st["state"], st["count"]), ("Completed", len(self.standin.live_ids(t))))
        lvtest.check_inplace(self, self.standin, self.store, t, True)
        synced = self.lake()
        self.assertFalse([p for p in synced if p in old_snaps], "old snapshots are back")
        self.tick()
        self.store.ok("snapshot")
        snapped = self.lake()
        new_snaps = {p for p in snapped if p.startswith(t + "/Snapshot/")}
        self.assertTrue(new_snaps, "a Snapshot/ folder again after `lakectl snapshot`")
        self.assertIn(t + "/Snapshot/", self.store.ls())
        locs = self.model_locations(snapped["model.json"], t)
        self.assertEqual(sorted(locs.values()), sorted(new_snaps),
                         "model.json points at the new snapshots")
        self.assertFalse(set(locs.values()) & old_snaps, "model.json names an old snapshot")
        if lvtest.VERBOSE:
            lvtest.log("re-added model entry before sync: %s" %
                       self.model_locations(readded["model.json"], t))

    # -- 7. change tracking off / table deleted at source --------------------------
    def source_failure(self, break_it, message):
        t = "lv_gadget"
        before = self.lake()
        if break_it == "tracking":
            lvtest.mutate(self.standin, self.rng, t, creates=3, updates=3, deletes=1, moves=1)
            self.standin.admin("PATCH", "/admin/tables/" + t, {"ChangeTrackingEnabled": False})
        else:
            self.standin.admin("DELETE", "/admin/tables/" + t)
        lvtest.mutate(self.standin, self.rng, "lv_widget", creates=4, updates=4, deletes=2, moves=1)
        for rnd in range(2):
            p = self.sync(expect_ok=False)
            self.assertEqual(p.returncode, 1, p.stderr.decode("utf-8", "replace"))
            st = self.store.table_status(t)
            self.assertEqual(st["state"], "Failed", st)
            self.assertIn(message, st.get("reason", ""))
            self.assertNotIn("\n", st["reason"])
            after = self.lake()
            self.assertEqual(self.table_files(after, t), self.table_files(before, t),
                             "round %d: %s keeps its last good data byte for byte" % (rnd, t))
            self.assertEqual(after["model.json"], before["model.json"])
            self.assertEqual(self.store.table_status("lv_widget")["state"], "Completed")
            lvtest.check_inplace(self, self.standin, self.store, "lv_widget", False)
        self.assertNotEqual(self.table_files(after, "lv_widget"),
                            self.table_files(before, "lv_widget"), "lv_widget kept syncing")

    def test_change_tracking_off(self):
        self.source_failure("tracking", "Entity lv_gadget isn't enabled for change tracking.")

    def test_table_deleted_at_source(self):
        self.source_failure("delete", "Could not find an entity with LogicalName = 'lv_gadget'")

    # -- 8. snapshot reader isolation ------------------------------------------------
    def test_snapshot_reader_isolation(self):
        seen = {}      # snapshot path -> bytes when first listed
        changed = []

        def look(step):
            for p, b in self.lake(only=is_snapshot).items():
                if p not in seen:
                    seen[p] = b
                elif seen[p] != b:
                    changed.append((p, step))

        look("initial")
        first = dict(seen)
        steps = [
            ("rows", lambda: [lvtest.mutate(self.standin, self.rng, t, creates=5, updates=5,
                                            deletes=3, moves=2) for t in TABLES]),
            ("sync", self.sync),
            ("snapshot", self.snapshot),
            ("column added", lambda: self.standin.admin(
                "POST", "/admin/tables/lv_widget/attributes",
                {"LogicalName": "lv_note", "AttributeType": "String", "MaxLength": 50})),
            ("sync", self.sync),
            ("snapshot", self.snapshot),
            ("column removed", lambda: self.standin.admin(
                "DELETE", "/admin/tables/lv_event/attributes/lv_price")),
            ("rows", lambda: self.standin.upsert("lv_event", [{"name": "after removal %d" % i}
                                                              for i in range(3)])),
            ("sync", self.sync),
            ("snapshot", self.snapshot),
            ("type changed", lambda: self.standin.admin(
                "PATCH", "/admin/tables/lv_event/attributes/lv_flag", {"AttributeType": "Integer"})),
            ("failing sync", lambda: self.sync(expect_ok=False)),
            ("snapshot", self.snapshot),
            ("remove lv_gadget", lambda: self.store.ok("tables", "remove", "lv_gadget")),
            ("re-add lv_gadget", lambda: self.store.add("lv_gadget", month=True)),
            ("sync", lambda: self.sync(expect_ok=False)),
            ("snapshot", self.snapshot),
        ]
        for i in range(4):   # beyond the retention of 5 snapshots per partition
            steps += [("rows", lambda: lvtest.mutate(self.standin, self.rng, "lv_widget",
                                                     creates=3, updates=3, deletes=1, moves=0)),
                      ("sync", lambda: self.sync(expect_ok=False)), ("snapshot", self.snapshot)]
        for name, fn in steps:
            fn()
            if name not in ("rows", "column added", "column removed", "type changed"):
                look(name)   # after every step that ran lakectl
        self.assertEqual(changed, [], "snapshots whose bytes changed after they were listed")
        self.assertTrue(any(p not in self.store.ls() for p in first), "no snapshot was retired")
        self.assertGreater(len(seen), len(first))

    # -- 9. timing of model.json -----------------------------------------------------
    def test_timing(self):
        m0 = self.store.cat("model.json")
        for t in TABLES:
            lvtest.mutate(self.standin, self.rng, t, creates=5, updates=5, deletes=2, moves=1)
        self.sync()
        m1 = self.store.cat("model.json")
        self.assertEqual(m1, m0, "a sync with row changes only must not change model.json")
        self.sync()
        self.assertEqual(self.store.cat("model.json"), m0, "an empty sync")
        self.snapshot()
        m2 = self.store.cat("model.json")
        self.assertNotEqual(m2, m1, "`lakectl snapshot` after row changes refreshes model.json")
        # new schema: at the sync that first carries it
        self.standin.admin("POST", "/admin/tables/lv_gadget/attributes",
                           {"LogicalName": "lv_note", "AttributeType": "String", "MaxLength": 50})
        self.sync()
        m3 = self.store.cat("model.json")
        self.assertIn("lv_note", self.attr_names(m3, "lv_gadget"), "new schema at the sync")
        # table removed / added
        self.store.ok("tables", "remove", "lv_event")
        m4 = self.store.cat("model.json")
        self.assertIsNone(self.attr_names(m4, "lv_event"))
        self.store.add("lv_event", append_only=True)
        self.sync()
        m5 = self.store.cat("model.json")
        self.assertIsNotNone(self.attr_names(m5, "lv_event"), "a re-added table is in model.json")
        # rows only again: unchanged
        lvtest.mutate(self.standin, self.rng, "lv_widget", creates=3, updates=3, deletes=1, moves=0)
        self.sync()
        self.assertEqual(self.store.cat("model.json"), m5, "rows only, after the schema events")


if __name__ == "__main__":
    lvtest.main()
