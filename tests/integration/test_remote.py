#!/usr/bin/env python3
"""The remote client under faults of the token endpoint, stopped by a
signal, and given plain-http URLs (issue 13, sections 2, 4 and 5).

TokenFaults: the stand-in's token endpoint answers 503, 429 with
Retry-After, or drops the connection of the renewal that follows a token
revocation (401 on a data page).  The sync completes and the lake equals
the source; a 401 from the token endpoint still fails at once.

Stop: SIGTERM while the sync waits out a long Retry-After, while a page is
slow to come, and while pages keep coming: lakectl exits within ~3 s with
"lakectl sync: stopped" and status 0; what it committed is whole pages,
the table is not marked Failed, and a second sync completes the lake.

OutOfMemory: a failed strdup() of the stored nextLink (an LD_PRELOAD shim,
tests/integration/failstrdup.c) fails the sync instead of restarting the
table's initial read.

PlainHttp: http:// URLs to hosts other than loopback are refused by link
and by sync with one line that says to use https, before any request
(example.invalid never resolves: a DNS error would show).  Every other
test of the suite links the stand-in by http://127.0.0.1: loopback works.
"""
import os
import re
import signal
import subprocess
import sys
import time
import unittest

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lvtest  # noqa: E402

SET = "lv_widgets"


class OneStandin(unittest.TestCase):
    """One stand-in for the class, a fresh store for each test with
    TABLES added, faults and the request log cleared around it."""
    SEED, SIZES, PAGE, TABLES = 0, {}, 50, ()

    @classmethod
    def setUpClass(cls):
        cls.standin = lvtest.Standin(lvtest.org_spec(seed=cls.SEED, sizes=cls.SIZES))

    @classmethod
    def tearDownClass(cls):
        cls.standin.stop()

    def setUp(self):
        self.standin.clear_faults()
        self.store = lvtest.Store(self.standin, page_size=self.PAGE, retry_base_ms=50)
        for t in self.TABLES:
            opts = lvtest.TABLES[t][2]
            self.store.add(t, append_only=opts["append_only"], month=opts["month"])
        self.standin.clear_requests()

    def tearDown(self):
        self.standin.clear_faults()
        self.store.close()


class TokenFaults(OneStandin):
    SEED, SIZES, TABLES = 61, {"lv_widget": 120, "lv_gadget": 40, "lv_event": 40}, tuple(lvtest.TABLES)

    def synced(self, faults):
        for f in faults:
            self.standin.fault(**f)
        p = self.store.sync(expect_ok=False)
        err = p.stderr.decode("utf-8", "replace")
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(self.standin.pending_faults(), [], "faults that never fired")
        lvtest.check_all(self, self.standin, self.store)
        for t in self.store.status()["tables"]:
            self.assertEqual(t["state"], "Completed", t)
        return self.standin.requests()

    def test_token_503(self):
        self.synced([{"kind": "503", "path": "/oauth2/", "count": 2}])

    def test_token_429_waits_retry_after(self):
        t0 = time.time()
        log = self.synced([{"kind": "429", "path": "/oauth2/", "count": 1, "retry_after": 2}])
        self.assertGreaterEqual(time.time() - t0, 2, "retried before Retry-After: 2 had passed")
        tok = [r for r in log if "/oauth2/" in r["path"]]
        self.assertGreaterEqual(len(tok), 2, tok)

    def test_token_503_after_revocation(self):
        # the case of the issue: a data page answers 401 (its token
        # revoked) and the renewal meets a 503
        log = self.synced([{"kind": "401", "path": SET, "query": "skiptoken", "count": 1},
                           {"kind": "503", "path": "/oauth2/", "after": 1, "count": 1}])
        self.assertTrue(any(r.get("fault") == "401" for r in log))

    def test_token_dropped_after_revocation(self):
        # a data page answers 401 (its token revoked); the renewal's
        # connection is dropped twice, then the token endpoint answers
        log = self.synced([{"kind": "401", "path": SET, "query": "skiptoken", "count": 1},
                           {"kind": "drop", "path": "/oauth2/", "after": 1, "count": 2}])
        self.assertTrue(any(r.get("fault") == "401" for r in log))

    def test_token_401_fails_at_once(self):
        self.standin.fault("401", path="/oauth2/", count=50)
        t0 = time.time()
        p = self.store.sync("lv_widget", expect_ok=False)
        err = p.stderr.decode("utf-8", "replace")
        self.assertNotEqual(p.returncode, 0, err)
        self.assertLess(time.time() - t0, 5)
        lines = [l for l in err.split("\n") if l.startswith("lakectl")]
        self.assertEqual(len(lines), 1, err)
        self.assertRegex(lines[0], r"token endpoint answered HTTP 401")
        tok = [r for r in self.standin.requests() if "/oauth2/" in r["path"]]
        self.assertEqual(len(tok), 1, "a 401 from the token endpoint was retried")


class Stop(OneStandin):
    SEED, SIZES, PAGE, TABLES = 62, {"lv_widget": 200, "lv_gadget": 20, "lv_event": 20}, 10, ("lv_widget",)

    def wait_for(self, cond, what, limit=30):
        deadline = time.time() + limit
        while time.time() < deadline:
            if cond():
                return
            time.sleep(0.05)
        self.fail("timed out waiting for " + what)

    def fired(self, kind):
        return lambda: any(r.get("fault") == kind for r in self.standin.requests())

    def stop_and_check(self, p, *args):
        t0 = time.time()
        os.kill(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except Exception:
            self.store.kill(p)
            self.fail("lakectl sync did not end within 10 s of SIGTERM")
        took = time.time() - t0
        err = p.stderr.read().decode("utf-8", "replace")
        p.stderr.close()
        lvtest._live.pop(p.pid, None)
        self.assertLess(took, 3.0, "SIGTERM took %.1f s to end the sync" % took)
        self.assertEqual(p.returncode, 0, err)
        self.assertIn("lakectl sync: stopped", err)
        self.assertNotIn("sync failed", err)
        st = self.store.table_status("lv_widget")
        self.assertNotEqual(st["state"], "Failed", st)
        # what was committed is whole pages of the initial read
        rows = sum(len(v) for v in self.store.partitions("lv_widget").values())
        self.assertEqual(rows % self.PAGE, 0, "a page was committed in part")
        self.assertLess(rows, 200, "the sync was not stopped before the end")
        self.standin.clear_faults()
        self.store.sync(*args)
        lvtest.check_inplace(self, self.standin, self.store, "lv_widget", False)
        self.assertEqual(self.store.table_status("lv_widget")["state"], "Completed")

    def stop_at_fault(self, mode, **fault):
        """Sync (--once or --follow) meets @fault on its third page; then
        SIGTERM."""
        self.standin.fault(path=SET, query="skiptoken", after=2, count=1, **fault)
        p = self.store.spawn("sync", mode)
        self.wait_for(self.fired(fault["kind"]), "the fault")
        time.sleep(0.3)
        self.stop_and_check(p)

    def test_sigterm_during_retry_after(self):
        self.stop_at_fault("--once", kind="429", retry_after=120)

    def test_sigterm_during_slow_answer(self):
        self.stop_at_fault("--follow", kind="slow", ms=60000)

    def test_sigterm_between_pages(self):
        # every page takes 0.3 s: 20 pages would take 6 s to the table's end
        self.standin.fault("slow", path=SET, count=1000, ms=300)
        p = self.store.spawn("sync")
        self.wait_for(lambda: len([r for r in self.standin.requests()
                                   if "skiptoken" in r["query"]]) >= 3, "three pages")
        self.stop_and_check(p)


class OutOfMemory(OneStandin):
    SEED, SIZES, PAGE, TABLES = 64, {"lv_widget": 60, "lv_gadget": 5, "lv_event": 5}, 10, ("lv_widget",)

    def test_failed_strdup_of_the_stored_link(self):
        """Out of memory while loading the stored nextLink is an error; the
        table is not read again from its start."""
        shim = os.environ.get("FAILSTRDUP")
        if not shim or not os.path.exists(shim):
            self.skipTest("FAILSTRDUP (the strdup shim) not built")
        self.standin.fault("400", path=SET, query="skiptoken", after=2, count=1)
        self.store.sync(expect_ok=False)
        self.assertEqual(self.store.table_status("lv_widget")["state"], "Failed")
        self.standin.clear_requests()
        env = dict(self.store.env(), LD_PRELOAD=shim, LVTEST_FAIL_STRDUP="skiptoken")
        # under ASan the shim comes before its runtime; its strdup hands on
        # to ASan's (RTLD_NEXT), so the order check may be waived
        env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"),
                                                      "verify_asan_link_order=0"]))
        p = subprocess.run(self.store.argv("sync"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, env=env, timeout=120)
        err = p.stderr.decode("utf-8", "replace")
        self.assertNotEqual(p.returncode, 0, "the sync went on without its stored link: " + err)
        lines = [l for l in err.split("\n") if l.startswith("lakectl")]
        self.assertEqual(len(lines), 1, err)
        self.assertRegex(lines[0], r"lv_widget.*out of memory")
        pages = [r for r in self.standin.requests() if r["path"].endswith("/" + SET)]
        self.assertEqual(pages, [], "the table was read again from its start")
        self.store.sync()
        lvtest.check_inplace(self, self.standin, self.store, "lv_widget", False)


class PlainHttp(OneStandin):
    SEED, SIZES = 63, {"lv_widget": 10, "lv_gadget": 5, "lv_event": 5}

    def expect_refused(self, p, what):
        err = p.stderr.decode("utf-8", "replace")
        self.assertNotEqual(p.returncode, 0, err)
        lines = [l for l in err.split("\n") if l]
        self.assertEqual(len(lines), 1, err)
        self.assertIn(what, lines[0])
        self.assertRegex(lines[0], r"use https")
        self.assertNotRegex(lines[0], r"(?i)resolve host|connection")

    def test_link_refuses_http_to_a_remote_host(self):
        s = lvtest.Store(link=False)
        try:
            p = s.link("http://example.invalid", self.standin.token_url, expect_ok=False)
            self.expect_refused(p, "Dataverse URL")
            p = s.link(self.standin.url, "http://login.example.invalid/t/oauth2/v2.0/token",
                       expect_ok=False)
            self.expect_refused(p, "token URL")
            p = s.run("link", "--environment", "e", "--organization", "o",
                      "--adls-url", "http://acct.blob.example.invalid",
                      "--adls-account", "acct", "--adls-key-file", s.secret_file)
            self.expect_refused(p, "storage URL")
            self.assertFalse(os.path.exists(s.dir), "link wrote a store")
        finally:
            s.close()

    def test_sync_refuses_an_edited_conf(self):
        s = self.store
        s.add("lv_widget")
        s.conf_set(dataverse_url="http://example.invalid")
        self.expect_refused(s.sync(expect_ok=False), "Dataverse URL")
        s.conf_set(dataverse_url=self.standin.url, token_url="http://10.0.0.1/t/oauth2/v2.0/token")
        self.expect_refused(s.sync(expect_ok=False), "token URL")
        s.conf_set(token_url="http://127.0.0.1.example.invalid/t/oauth2/v2.0/token")
        self.expect_refused(s.sync(expect_ok=False), "token URL")


if __name__ == "__main__":
    lvtest.main()
