#!/usr/bin/env python3
"""Link checks: wrong credentials fail with one line naming the problem and
create nothing; a table without change tracking cannot be added (with
Dataverse's message); `tables available` lists only tracked tables; the
secret never travels in argv and never shows in status, status --json,
lakeview.conf or any other file of the store."""
import os
import subprocess
import sys
import unittest

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lvtest  # noqa: E402

TRACKED = ["lv_event", "lv_gadget", "lv_widget"]


class Link(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.standin = lvtest.Standin(lvtest.org_spec(
            seed=51, sizes={"lv_widget": 30, "lv_gadget": 20, "lv_event": 20}))

    @classmethod
    def tearDownClass(cls):
        cls.standin.stop()

    def setUp(self):
        self.store = lvtest.Store(self.standin, link=False)

    def tearDown(self):
        self.store.close()

    def secret_file(self, text):
        path = os.path.join(self.store.tmp, "secret-" + str(abs(hash(text))))
        with open(path, "w") as f:
            f.write(text + "\n")
        os.chmod(path, 0o600)
        return path

    def failed_link(self, words, secret="s3cret-value", client=lvtest.CLIENT_ID, **kw):
        s = self.standin
        args = ["--environment", lvtest.ENV, "--organization", lvtest.ORG,
                "--dataverse-url", kw.get("url", s.url), "--tenant-id", kw.get("tenant", lvtest.TENANT),
                "--client-id", client, "--client-secret-file", self.secret_file(secret),
                "--token-url", kw.get("token_url", s.token_url)]
        p = self.store.run("link", *args)
        err = p.stderr.decode("utf-8", "replace")
        self.assertEqual(p.returncode, 1, err)
        self.assertEqual(p.stdout, b"")
        lines = err.rstrip("\n").split("\n")
        self.assertEqual(len(lines), 1, "one error line expected: %r" % err)
        self.assertRegex(lines[0], words)
        self.assertNotIn(secret, err, "the secret is echoed")
        self.assertFalse(os.path.exists(self.store.dir) and os.listdir(self.store.dir),
                         "a failed link wrote %s" % (os.path.exists(self.store.dir) and
                                                     os.listdir(self.store.dir)))
        return lines[0]

    # -- credentials ----------------------------------------------------------
    def test_wrong_secret(self):
        self.failed_link(r"(?i)secret|invalid_client", secret="not-the-secret")

    def test_unknown_client(self):
        self.failed_link(r"(?i)client|unauthorized_client|nobody", client="nobody")

    def test_wrong_tenant(self):
        other = "00000000-0000-0000-0000-0000000000ff"
        self.failed_link(r"(?i)tenant|" + other, tenant=other,
                         token_url="%s/%s/oauth2/v2.0/token" % (self.standin.url, other))

    def test_good_link_writes_the_store(self):
        self.store.link(self.standin.url, self.standin.token_url, 100)
        self.assertTrue(os.path.exists(self.store.conf_path))

    # -- tables ------------------------------------------------------------------
    def test_tables_available_lists_only_tracked_tables(self):
        self.store.link(self.standin.url, self.standin.token_url, 100)
        out = self.store.ok("tables", "available")
        names = sorted(l.split()[0] for l in out.split("\n") if l.strip())
        self.assertEqual(names, TRACKED)

    def test_untracked_table_cannot_be_added(self):
        self.store.link(self.standin.url, self.standin.token_url, 100)
        before = self.store.digest()
        p = self.store.run("tables", "add", "lv_untracked")
        err = p.stderr.decode()
        self.assertEqual(p.returncode, 1, err)
        self.assertEqual(len(err.rstrip("\n").split("\n")), 1, err)
        # Dataverse's own message (ChangeTrackingNotEnabledForEntity)
        self.assertIn("Entity lv_untracked isn't enabled for change tracking", err)
        self.assertNotIn("lv_untracked", self.store.ok("tables", "list"))
        self.assertEqual(self.store.digest(), before)

    def test_unknown_table_cannot_be_added(self):
        self.store.link(self.standin.url, self.standin.token_url, 100)
        p = self.store.run("tables", "add", "lv_nosuch")
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("lv_nosuch", p.stderr.decode())

    def test_table_whose_tracking_was_turned_off_fails_to_sync(self):
        """Tracking turned off after the table was added: the sync of that
        table fails with Dataverse's message; the others still sync."""
        self.store.link(self.standin.url, self.standin.token_url, 100)
        self.store.conf_set(retry_base_ms=50)
        lvtest.add_tables(self.store)
        self.standin.admin("PATCH", "/admin/tables/lv_event", {"ChangeTrackingEnabled": False})
        try:
            p = self.store.sync(expect_ok=False)
        finally:
            self.standin.admin("PATCH", "/admin/tables/lv_event", {"ChangeTrackingEnabled": True})
        self.assertEqual(p.returncode, 1)
        st = self.store.table_status("lv_event")
        self.assertEqual(st["state"], "Failed")
        self.assertIn("isn't enabled for change tracking", st.get("reason", ""))
        self.assertEqual(self.store.table_status("lv_widget")["state"], "Completed")

    # -- the secret ------------------------------------------------------------
    def test_no_secret_option_on_the_command_line(self):
        h = subprocess.run([lvtest.LAKECTL, "link", "--help"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT).stdout.decode()
        opts = set(w.strip("[]()|,") for w in h.split() if w.startswith(("--", "[--", "(--")))
        self.assertIn("--client-secret-file", opts)
        self.assertEqual([o for o in opts if "secret" in o and not o.endswith("-secret-file")], [],
                         "an option that takes a secret itself")

    def test_secret_value_option_is_refused(self):
        """`--client-secret VALUE` must be a usage error, not an accepted
        abbreviation of --client-secret-file (the value would be a file name,
        and it must not be echoed)."""
        s = self.standin
        for opt in (["--client-secret", "s3cret-value"], ["--client-secret=s3cret-value"],
                    ["--client-secret-value", "s3cret-value"]):
            with self.subTest(opt=opt):
                p = self.store.run("link", "--environment", lvtest.ENV, "--organization", lvtest.ORG,
                                   "--dataverse-url", s.url, "--tenant-id", lvtest.TENANT,
                                   "--client-id", lvtest.CLIENT_ID, "--token-url", s.token_url, *opt)
                err = p.stderr.decode()
                self.assertNotIn("s3cret-value", err + p.stdout.decode(), "the secret is echoed")
                self.assertEqual(p.returncode, 2, "not a usage error: " + err)
                self.assertFalse(os.path.exists(self.store.dir))

    def test_secret_never_in_status_conf_or_store(self):
        self.store.link(self.standin.url, self.standin.token_url, 100)
        self.store.conf_set(retry_base_ms=50)
        lvtest.add_tables(self.store)
        self.store.sync()
        outs = {"status": self.store.ok("status"), "status --json": self.store.ok("status", "--json")}
        with open(self.store.conf_path) as f:
            outs["lakeview.conf"] = f.read()
        for name, text in outs.items():
            self.assertNotIn(lvtest.SECRET, text, name)
        self.assertIn("client_secret_file", outs["lakeview.conf"])
        for root, _, files in os.walk(self.store.dir):
            for fn in files:
                with open(os.path.join(root, fn), "rb") as f:
                    self.assertNotIn(lvtest.SECRET.encode(), f.read(), fn)

    def test_secret_not_echoed_when_it_stops_working(self):
        """The secret is rotated at the source: sync fails with one line,
        the old secret is not printed or stored."""
        self.store.link(self.standin.url, self.standin.token_url, 100)
        self.store.conf_set(retry_base_ms=50)
        lvtest.add_tables(self.store, ["lv_widget"])
        self.standin.admin("POST", "/admin/config", {"client_secret": "rotated-secret"})
        self.standin.admin("POST", "/admin/tokens/revoke")
        try:
            p = self.store.sync(expect_ok=False)
        finally:
            self.standin.admin("POST", "/admin/config", {"client_secret": lvtest.SECRET})
        err = p.stderr.decode()
        self.assertNotEqual(p.returncode, 0)
        self.assertNotIn(lvtest.SECRET, err)
        self.assertRegex(err, r"(?i)secret|invalid_client|401")
        self.assertNotIn(lvtest.SECRET, self.store.ok("status", "--json"))


if __name__ == "__main__":
    lvtest.main()
