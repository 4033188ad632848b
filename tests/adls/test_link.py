#!/usr/bin/env python3
"""test_link.py - the link lifecycle against Azurite (suite adls).

 - test_link_creates_container: link creates dataverse-demo-org1 (empty).
 - test_foreign_container_refused: a container holding a blob lakeview did
   not write is refused with a message naming --adopt, and nothing is
   written; an empty existing container is accepted; --adopt takes the
   foreign one and the push fills it.
 - test_unlink_stops_push: after unlink, push refuses with a message naming
   relink; store and container are kept.
 - test_unlink_delete_needs_yes: --delete-file-system without --yes and
   without a terminal deletes nothing; with --yes the container and the
   store are gone.
 - test_relink_kept_container: a blob deleted behind lakeview's back while
   unlinked is pushed again by relink; the rest is reused, not re-sent.
 - test_relink_kept_container_changed_blob: likewise for a blob whose bytes
   were replaced behind lakeview's back (relink promises "missing or changed
   files are pushed again").
 - test_relink_deleted_container: the container deleted while unlinked is
   recreated by relink and the whole lake is pushed again.
"""
import os

import adlstest as T


class Link(T.AdlsCase):

    def test_link_creates_container(self):
        self.assertFalse(self.blob.exists(T.CONTAINER))
        s = T.Store(os.path.join(self.tmp, "S"))
        r = s.link(self.az.url, keyfile=self.keyfile)
        self.assertIn(T.CONTAINER, r.stdout)
        self.assertTrue(self.blob.exists(T.CONTAINER))
        self.assertEqual(self.blob.containers(), [T.CONTAINER])
        self.assertEqual(self.blob.list(T.CONTAINER), {})
        self.small_lake(s)
        s.snapshot()
        s.push()
        self.assertRemoteEqual(s)

    def test_foreign_container_refused(self):
        self.assertEqual(self.blob.create(T.CONTAINER), 201)
        self.assertEqual(self.blob.put(T.CONTAINER, "someone/else.csv", b"1,2\n"), 201)
        s = T.Store(os.path.join(self.tmp, "S"))
        r = s.link(self.az.url, keyfile=self.keyfile, check=False)
        self.assertNotEqual(r.returncode, 0)
        err = r.stderr.strip()
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn("--adopt", err)
        self.assertIn(T.CONTAINER, err)
        print("foreign container: %s" % err)
        self.assertFalse(os.path.exists(os.path.join(s.dir, "lakeview.conf")))
        self.assertEqual(self.blob.list(T.CONTAINER), {"someone/else.csv": 4})

        # an empty existing container is fine without --adopt
        self.assertEqual(self.blob.create("dataverse-demo-org2"), 201)
        s2 = T.Store(os.path.join(self.tmp, "S2"), org="org2")
        s2.link(self.az.url, keyfile=self.keyfile)

        s.link(self.az.url, keyfile=self.keyfile, adopt=True)
        self.small_lake(s)
        s.push()
        remote = self.blob.list(T.CONTAINER)
        for p, data in s.lake().items():
            self.assertEqual(self.blob.get(T.CONTAINER, p), data, p)
        self.assertIn("someone/else.csv", remote)  # adopted, not wiped

    def test_unlink_stops_push(self):
        s = self.new_store()
        self.small_lake(s)
        s.push()
        r = T.run(["unlink", "--store", s.dir])
        self.assertIn("relink", r.stdout)
        s.ingest("lv_widget", os.path.join(T.FIXTURES, "lv_widget.2.jsonl"))
        before = self.blob.list(T.CONTAINER)
        r = s.push(check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
        self.assertIn("relink", r.stderr)
        print("push after unlink: %s" % r.stderr.strip())
        self.assertEqual(self.blob.list(T.CONTAINER), before)
        self.assertTrue(os.path.exists(os.path.join(s.dir, "lakeview.conf")))
        self.assertIn("unlinked", s.status())

    def test_unlink_delete_needs_yes(self):
        s = self.new_store()
        self.small_lake(s)
        s.push()
        before = self.blob.list(T.CONTAINER)
        # stdin is a pipe (no terminal); answering "y" on it must not count
        for stdin in ("", "y\n"):
            r = T.run(["unlink", "--store", s.dir, "--delete-file-system"], check=False,
                      input=stdin)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("--yes", r.stderr)
            self.assertEqual(self.blob.list(T.CONTAINER), before)
            self.assertTrue(os.path.exists(os.path.join(s.dir, "lakeview.conf")))
            self.assertTrue(os.path.exists(os.path.join(s.dir, "data.mdb")))
        print("unlink --delete-file-system without --yes: %s" % r.stderr.strip())
        s.push()  # still linked
        r = T.run(["unlink", "--store", s.dir, "--delete-file-system", "--yes"])
        self.assertFalse(self.blob.exists(T.CONTAINER))
        self.assertFalse(os.path.exists(s.dir))
        self.assertEqual(self.blob.containers(), [])

    def test_relink_kept_container(self):
        px = self.proxy()
        s = self.new_store(px.url)
        self.small_lake(s)
        self.bench_lake(s, 2000)
        s.snapshot()
        s.push()
        T.run(["unlink", "--store", s.dir])
        victim = "bench/2021.csv"
        size = len(s.cat(victim))
        self.assertEqual(self.blob.delete(T.CONTAINER, victim), 202)
        m = px.mark()
        r = T.run(["relink", "--store", s.dir])
        print("relink (kept): %s" % r.stdout.strip().replace("\n", " | "))
        st = T.parse_push(r.stdout)
        self.assertIn("kept", r.stdout)
        self.assertEqual(st["uploaded"] + st["copied"], 1)
        self.assertEqual(st["bytes"], size)
        written = [T.blob_of(x) for x in px.since(m) if x["method"] == "PUT"]
        self.assertEqual(written, [victim])
        self.assertRemoteEqual(s)
        s.push()  # linked again

    def test_relink_kept_container_changed_blob(self):
        """relink says "missing or changed files are pushed again": a blob
        whose bytes were replaced while unlinked must be restored too."""
        s = self.new_store()
        self.small_lake(s)
        s.snapshot()
        s.push()
        T.run(["unlink", "--store", s.dir])
        victim = "lv_widget/2021.csv"
        self.assertEqual(self.blob.put(T.CONTAINER, victim, b"tampered\n"), 201)
        r = T.run(["relink", "--store", s.dir])
        print("relink (kept, one blob changed): %s" % r.stdout.strip().replace("\n", " | "))
        self.assertRemoteEqual(s)

    def test_relink_deleted_container(self):
        s = self.new_store()
        self.small_lake(s)
        s.snapshot()
        s.push()
        T.run(["unlink", "--store", s.dir])
        self.assertEqual(self.blob.delete_container(T.CONTAINER), 202)
        self.assertFalse(self.blob.exists(T.CONTAINER))
        r = T.run(["relink", "--store", s.dir])
        print("relink (deleted): %s" % r.stdout.strip().replace("\n", " | "))
        self.assertIn("recreated", r.stdout)
        st = T.parse_push(r.stdout)
        lake = self.assertRemoteEqual(s)
        self.assertEqual(st["uploaded"] + st["copied"], len(lake))
        self.assertEqual(st["unchanged"], 0)


if __name__ == "__main__":
    T.main()
