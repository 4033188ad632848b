#!/usr/bin/env python3
"""Who may read and who may redirect: a new store is private (directory
0700, data.mdb, lock.mdb and lakeview.conf 0600); lakeview.conf and secret
files that others could change (or, for secrets, read) are refused with one
line that says the chmod to run, before anything reaches the network; a
numeric conf key that is not a number in its range is refused naming it."""
import os
import stat
import sys
import unittest

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lvtest  # noqa: E402


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


class Private(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.standin = lvtest.Standin(lvtest.org_spec(seed=52, sizes={"lv_widget": 10}))

    @classmethod
    def tearDownClass(cls):
        cls.standin.stop()

    def setUp(self):
        self.store = lvtest.Store(self.standin)
        self.addCleanup(self.store.close)

    def one_line(self, p, *words):
        self.assertNotEqual(p.returncode, 0)
        err = p.stderr.decode("utf-8", "replace")
        self.assertEqual(err.count("\n"), 1, err)
        for w in words:
            self.assertIn(w, err)
        return err

    def test_store_is_private(self):
        self.assertEqual(mode(self.store.dir), 0o700)
        for f in ("data.mdb", "lock.mdb", "lakeview.conf"):
            self.assertEqual(mode(os.path.join(self.store.dir, f)), 0o600, f)
        # after a sync too (the conf is rewritten, LMDB grows)
        self.store.add("lv_widget")
        self.store.sync()
        for f in ("data.mdb", "lock.mdb", "lakeview.conf"):
            self.assertEqual(mode(os.path.join(self.store.dir, f)), 0o600, f)

    def test_conf_others_can_write_is_refused(self):
        for m, word in ((0o620, "written by others"), (0o602, "written by others"),
                        (0o604, "read by others")):
            os.chmod(self.store.conf_path, m)
            p = self.store.run("status")
            self.one_line(p, "lakeview.conf", word, "chmod", self.store.conf_path)
            p = self.store.run("sync", "--once")
            self.one_line(p, "lakeview.conf", "chmod")
        # its group may read it: a store shared with a group
        os.chmod(self.store.conf_path, 0o640)
        self.store.ok("status")

    def test_secret_others_can_read_is_refused(self):
        self.store.add("lv_widget")
        before = len(self.standin.requests(clear=True))
        os.chmod(self.store.secret_file, 0o644)
        p = self.store.run("sync", "--once")
        self.one_line(p, "secret file", self.store.secret_file, "chmod 600")
        self.assertEqual(self.standin.requests(), [], "a request went out with a readable secret")
        os.chmod(self.store.secret_file, 0o600)
        self.store.sync()
        del before

    def test_link_refuses_a_readable_secret(self):
        other = lvtest.Store(self.standin, link=False)
        self.addCleanup(other.close)
        os.chmod(other.secret_file, 0o640)
        p = other.link(self.standin.url, self.standin.token_url, expect_ok=False)
        self.one_line(p, "secret file", "chmod 600")
        self.assertFalse(os.path.exists(other.dir), "link made a store")

    def test_numeric_conf_key_out_of_range(self):
        for v in ("-1", "4294967296", "12abc", "0"):
            self.store.conf_set(page_size=v)
            p = self.store.run("status")
            self.one_line(p, "page_size", v, "1 to 5000")
        self.store.conf_set(page_size="100")
        self.store.ok("status")


if __name__ == "__main__":
    lvtest.main()
