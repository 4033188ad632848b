#!/usr/bin/env python3
"""test_push.py - what a push leaves in the container, what it sends, and in
which order (suite adls; run one: test_push.py Push.test_first_push_equal).

 - test_first_push_equal: after a push every blob's bytes equal `lakectl
   cat`, every lake file has its blob, nothing else is there, container
   dataverse-demo-org1.
 - test_second_push_sends_only_changes: updates, deletes, a new partition
   and six snapshot rounds (one snapshot pushed by the first push retires);
   the second push makes the container equal again, deletes the retired
   snapshot's blob, and its bytes (counted by lakectl AND on the wire by a
   recording proxy) stay within 1.1 x the changed bytes + Put Block List
   XML; a third push without changes sends 0 bytes and no write request.
 - test_intermediate_snapshot_reuses_server_blocks: a snapshot of a big
   partition at a generation that was never pushed sends only the blocks
   that are not on the server yet (adls.h: "blocks already on the server
   are not sent again").
 - test_removed_table_leaves_container: `tables remove` then push deletes
   every blob of the table (partitions, snapshots, manifest).
 - test_delta_order: with delta = on, a Delta commit is committed after the
   data files it adds, retired data files are deleted after the commit that
   removes them, and the container equals the lake.
 - test_order: in the request sequence of a first and a second push, data
   files are committed before per-table manifests, those before model.json,
   every file model.json names is committed before it, and deletes come
   after it.
"""
import json
import os
import re
import hashlib

import adlstest as T

SMALL_FILE = 4 << 20  # files up to this go up as one Put Blob (adls.h / push.c)


def widget_row(n, version):
    """A copy of the first lv_widget fixture row, renamed and re-versioned."""
    with open(os.path.join(T.FIXTURES, "lv_widget.1.jsonl")) as f:
        row = json.loads(f.readline())
    row["lv_name"] = "rotation %d" % n
    row["versionnumber"] = version
    row["@odata.etag"] = 'W/"%d"' % version
    return row


def partition_of_snapshot(path):
    """bench/Snapshot/2021_1795605005.csv -> bench/2021.csv"""
    m = re.match(r"^(.*)/Snapshot/(.*)_\d+\.csv$", path)
    return m and "%s/%s.csv" % (m.group(1), m.group(2))


def segments(data, blocks):
    """Split data by a committed block list [(id, size)]."""
    out, off = [], 0
    for _, size in blocks:
        out.append(data[off:off + size])
        off += size
    assert off == len(data), "block list sizes %d != blob size %d" % (off, len(data))
    return out


class Push(T.AdlsCase):

    def build(self, s, bench_rows=20000):
        self.small_lake(s)
        self.bench_lake(s, bench_rows)
        s.snapshot()

    def test_first_push_equal(self):
        s = self.new_store()
        self.build(s)
        self.assertEqual(self.blob.list(s.container), {}, "link must leave an empty container")
        st = T.parse_push(s.push().stdout)
        lake = self.assertRemoteEqual(s)
        self.assertEqual(s.container, "dataverse-demo-org1")
        self.assertEqual(self.blob.containers(), ["dataverse-demo-org1"])
        self.assertEqual(st["uploaded"] + st["copied"], len(lake))
        # big enough that the partition went up in blocks
        self.assertGreater(len(lake["bench/2021.csv"]), SMALL_FILE)
        self.assertGreater(len(self.blob.block_list(s.container, "bench/2021.csv")), 1)
        print("first push: %d files, %d bytes in the lake, %d bytes sent, %d copied" % (
            len(lake), sum(map(len, lake.values())), st["bytes"], st["copied"]))

    def test_second_push_sends_only_changes(self):
        px = self.proxy()
        s = self.new_store(px.url)
        self.build(s)
        st1 = T.parse_push(s.push().stdout)
        before = self.assertRemoteEqual(s)
        old_blocks = {p: self.blob.block_list(s.container, p) for p in before
                      if len(before[p]) > SMALL_FILE}

        # changes: 5 updates and 3 deletes in the big partition, a new
        # partition (2023), and 5 snapshot rounds of one small partition so
        # that its first snapshot (pushed above) retires (KEEP = 5)
        schema, upd = T.gen_rows(self.tmp, 20000, updates=5, of=20000)
        s.ingest("bench", upd)
        s.ingest_rows("bench", [T.bench_delete(i) for i in (11, 5000, 17000)])
        s.ingest_rows("bench", [T.bench_row(30000 + i, 2023, 2 * 10**9 + i) for i in range(3)])
        for n in range(5):
            s.ingest_rows("lv_widget", [widget_row(n, 3 * 10**9 + n)])
            s.snapshot()
        after = s.lake()
        retired = sorted(p for p in before if p not in after)
        self.assertTrue(any("/Snapshot/" in p for p in retired),
                        "no pushed snapshot retired: %s" % retired)
        self.assertIn("bench/2023.csv", after)

        m = px.mark()
        st2 = T.parse_push(s.push().stdout)
        reqs = px.since(m)
        self.assertRemoteEqual(s)
        for p in retired:
            self.assertNotIn(p, self.blob.list(s.container))
        self.assertEqual(st2["deleted"], len(retired))

        # the changed bytes, computed from contents only
        changed, detail = 0, {}
        new_blocks = {}
        for p, data in after.items():
            if before.get(p) == data:
                continue
            part = partition_of_snapshot(p)
            if part and after.get(part) == data:
                detail[p] = "server copy"  # a snapshot of the pushed partition
                continue
            if len(data) > SMALL_FILE:
                nb = self.blob.block_list(s.container, p)
                new_blocks[p] = nb
                old = set()
                if p in before:
                    old = {hashlib.sha256(x).digest()
                           for x in segments(before[p], old_blocks[p])}
                c = sum(len(x) for x in segments(data, nb)
                        if hashlib.sha256(x).digest() not in old)
            else:
                c = len(data)
            detail[p] = c
            changed += c
        # per-request overhead: lakectl counts request bodies only; the one
        # body that carries no file bytes is Put Block List's XML:
        # <?xml ...?><BlockList> + per block <Latest>24-char id</Latest>
        # (41 bytes; 100 allowed) -- headers are not body bytes
        overhead = sum(200 + 100 * len(nb) for nb in new_blocks.values())
        wire = sum(r["body"] for r in reqs)
        wire_xml = sum(r["body"] for r in reqs if T.kind_of(r) == "put-block-list")
        lake_bytes = sum(map(len, after.values()))
        print("second push: lake %d bytes; changed %d bytes; sent %d (lakectl) / %d (wire, "
              "%d of it block-list XML); allowed %.0f" % (
                  lake_bytes, changed, st2["bytes"], wire, wire_xml, 1.1 * changed + overhead))
        print("changed files: %s" % json.dumps(detail, sort_keys=True))
        self.assertEqual(st2["bytes"], wire, "lakectl's byte count disagrees with the wire")
        self.assertLessEqual(wire_xml, overhead)
        self.assertLessEqual(st2["bytes"], 1.1 * changed + overhead,
                             "sent more than the changed bytes: %s" % detail)
        self.assertLess(st2["bytes"], lake_bytes / 4)
        self.assertGreater(st2["blocks_reused"], 0)

        # nothing changed: nothing travels, nothing is written
        m = px.mark()
        st3 = T.parse_push(s.push().stdout)
        reqs = px.since(m)
        self.assertEqual((st3["bytes"], st3["uploaded"], st3["copied"], st3["deleted"]),
                         (0, 0, 0, 0))
        self.assertEqual(st3["unchanged"], len(after))
        self.assertEqual([r for r in reqs if r["method"] in ("PUT", "DELETE")], [])
        print("third push: %d bytes sent, %d requests" % (st3["bytes"], len(reqs)))
        print("first push: %d bytes sent for a %d-byte lake" % (
            st1["bytes"], sum(map(len, before.values()))))

    def test_intermediate_snapshot_reuses_server_blocks(self):
        """adls.h: "blocks already on the server are not sent again". Two
        one-row updates of a 4.6 MB partition, a snapshot after each, one
        push: the newest snapshot is a server copy, but the intermediate one
        (the partition at a generation never pushed) is a new blob that
        differs from the pushed partition in one 64 KiB chunk; every other
        block is already on the server (in bench/2021.csv)."""
        px = self.proxy()
        s = self.new_store(px.url)
        self.bench_lake(s, 20000)
        s.snapshot()
        s.push()
        before = s.lake()
        on_server = set()
        for p, data in before.items():
            if len(data) > SMALL_FILE:
                on_server |= {hashlib.sha256(x).digest()
                              for x in segments(data, self.blob.block_list(s.container, p))}
        s.ingest_rows("bench", [T.bench_row(100, 2021, 2 * 10**9, name="first change")])
        s.snapshot()
        s.ingest_rows("bench", [T.bench_row(15000, 2021, 2 * 10**9 + 1, name="second change")])
        s.snapshot()
        after = s.lake()
        st = T.parse_push(s.push().stdout)
        self.assertRemoteEqual(s)
        changed, overhead, detail = 0, 0, {}
        for p, data in after.items():
            if before.get(p) == data:
                continue
            part = partition_of_snapshot(p)
            if part and after.get(part) == data:
                detail[p] = "server copy"
                continue
            if len(data) > SMALL_FILE:
                nb = self.blob.block_list(s.container, p)
                overhead += 200 + 100 * len(nb)
                c = sum(len(x) for x in segments(data, nb)
                        if hashlib.sha256(x).digest() not in on_server)
            else:
                c = len(data)
            detail[p] = c
            changed += c
        print("intermediate snapshot: changed %d bytes, sent %d; %s" % (
            changed, st["bytes"], json.dumps(detail, sort_keys=True)))
        self.assertLessEqual(st["bytes"], 1.1 * changed + overhead,
                             "blocks already on the server were sent again")

    def test_removed_table_leaves_container(self):
        s = self.new_store()
        self.small_lake(s)
        s.snapshot()
        s.push()
        gizmo = [p for p in self.blob.list(s.container) if "gizmo" in p]
        self.assertTrue(gizmo)
        T.run(["tables", "remove", "--store", s.dir, "lv_gizmo"])
        st = T.parse_push(s.push().stdout)
        self.assertEqual(st["deleted"], len(gizmo))
        self.assertRemoteEqual(s)
        self.assertNotIn("lv_gizmo", s.cat("model.json").decode())

    def check_order(self, s, reqs, lake):
        commits = {}   # blob -> index of its last successful commit
        deletes = []
        for i, r in enumerate(reqs):
            if r["status"] not in (200, 201, 202):
                continue
            b, k = T.blob_of(r), T.kind_of(r)
            if k in ("put", "put-block-list"):
                commits[b] = i
            elif k == "delete":
                deletes.append((i, b))
        self.assertIn("model.json", commits, "push did not upload model.json")
        top = commits["model.json"]
        for b, i in commits.items():
            if b != "model.json":
                self.assertLess(i, top, "%s committed after model.json" % b)
        manifests = [i for b, i in commits.items()
                     if b.startswith("Microsoft.Athena.TrickleFeedService/")]
        data = [i for b, i in commits.items()
                if b != "model.json" and not b.startswith("Microsoft.Athena.TrickleFeedService/")]
        if manifests and data:
            self.assertLess(max(data), min(manifests), "a data file came after a manifest")
        for i, b in deletes:
            self.assertGreater(i, top, "%s deleted before model.json was replaced" % b)
        # every location model.json names exists at the moment it is committed
        model = json.loads(lake["model.json"])
        prefix = s.lake_url + "/"
        for e in model["entities"]:
            for p in e.get("partitions", []):
                loc = p["location"]
                self.assertTrue(loc.startswith(prefix), loc)
                path = loc[len(prefix):]
                self.assertIn(path, lake, "model.json names %s, not in the lake" % path)
                self.assertTrue(path in commits or path in self.present,
                                "model.json names %s, never pushed" % path)
                if path in commits:
                    self.assertLess(commits[path], top)

    def test_order(self):
        px = self.proxy()
        s = self.new_store(px.url)
        s.lake_url = px.url + "/" + s.container
        self.build(s, bench_rows=3000)
        self.present = set()
        m = px.mark()
        s.push()
        lake = s.lake()
        self.check_order(s, px.since(m), lake)
        # a second push with new rows, new snapshots and a retired one
        self.present = set(lake)
        for n in range(5):
            s.ingest_rows("lv_widget", [widget_row(n, 3 * 10**9 + n)])
            s.ingest_rows("bench", [T.bench_row(40000 + n, 2022, 2 * 10**9 + n)])
            s.snapshot()
        lake2 = s.lake()
        self.present = set(lake) & set(lake2)
        m = px.mark()
        st = T.parse_push(s.push().stdout)
        self.assertGreater(st["deleted"], 0)
        self.check_order(s, px.since(m), lake2)
        self.assertRemoteEqual(s)


    def test_delta_order(self):
        """With delta = on, a Delta commit reaches the container after every
        data file it adds, and a file a version retires is deleted only
        after the commit that removes it: a reader of the container never
        meets a commit naming a missing file. The container then equals the
        lake, Delta tables included."""
        px = self.proxy()
        s = self.new_store(px.url)
        s.lake_url = px.url + "/" + s.container
        self.small_lake(s)
        s.set_conf("delta", "on")
        s.snapshot()
        present = set()
        for round_ in range(6):
            m = px.mark()
            s.push()
            lake = s.lake()
            commits, deletes = {}, []
            for i, r in enumerate(px.since(m)):
                if r["status"] not in (200, 201, 202):
                    continue
                b, k = T.blob_of(r), T.kind_of(r)
                if k in ("put", "put-block-list"):
                    commits[b] = i
                elif k == "delete":
                    deletes.append((i, b))
            logs = [b for b in commits if "/_delta_log/" in b]
            if round_ == 0:
                self.assertTrue(logs, "the first push sends the Delta logs")
            for b in logs:
                if not b.endswith(".json"):
                    continue
                table = b.split("/")[1]
                for line in lake[b].decode().splitlines():
                    a = json.loads(line)
                    if "add" in a:
                        f = "deltalake/%s/%s" % (table, a["add"]["path"])
                        self.assertTrue(f in present or commits.get(f, 1 << 30) < commits[b],
                                        "%s committed before its file %s" % (b, f))
                    if "remove" in a:
                        f = "deltalake/%s/%s" % (table, a["remove"]["path"])
                        for i, d in deletes:
                            if d == f:
                                self.assertGreater(i, commits[b], "%s deleted before %s" % (f, b))
            self.assertRemoteEqual(s)
            present = set(lake)
            s.ingest_rows("lv_widget", [widget_row(round_, 4 * 10**9 + round_)])
            s.snapshot()


if __name__ == "__main__":
    T.main()
