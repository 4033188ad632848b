#!/usr/bin/env python3
"""Bad answers from the server: a malformed JSON page, a row without its
id, a value of the wrong type for the schema, a 20 MiB string value, a
nextLink or deltaLink to another host, a nextLink that repeats or a run
of pages without rows that never ends (a paging loop), a nextLink with
CR/LF in it (refused at once, not retried as a network error).

Each case: a store synced clean, then the source changes and lv_widget's
next delta page is bad.  `lakectl sync lv_widget` exits non-zero with one
clear error line; `status` shows lv_widget Failed with a reason; the lake is
byte-for-byte what it was (ls -R + sha256 of every file).  A full `lakectl
sync` then still syncs the other tables to the source.  Once the cause is
gone, lv_widget syncs again and equals the source.

The stand-in serves everything through lvtest.Proxy (the stand-in runs with
--base-url = the proxy), which rewrites the bodies the stand-in cannot make
wrong itself (missing id, wrong type, links to another host).
"""
import os
import random
import re
import sys
import unittest

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lvtest  # noqa: E402
from lvtest import TABLES  # noqa: E402

SET = "lv_widgets"


class BadAnswers(unittest.TestCase):
    def setUp(self):
        self.proxy = lvtest.Proxy()
        self.standin = lvtest.Standin(lvtest.org_spec(
            seed=41, sizes={"lv_widget": 120, "lv_gadget": 60, "lv_event": 60}),
            args=["--base-url", self.proxy.url])
        self.proxy.target = self.standin.port
        self.store = lvtest.Store(self.standin, page_size=50, url=self.proxy.url,
                                  token_url="%s/%s/oauth2/v2.0/token" % (self.proxy.url, lvtest.TENANT),
                                  conf={"retry_tries": 3})
        lvtest.add_tables(self.store)
        self.store.sync()
        self.rng = random.Random(7)

    def tearDown(self):
        self.proxy.rewrite = None
        self.store.close()
        self.standin.stop()
        self.proxy.stop()

    def change_source(self, widget_changes=(3, 3, 2)):
        c, u, d = widget_changes
        lvtest.mutate(self.standin, self.rng, "lv_widget", creates=c, updates=u, deletes=d, moves=1)
        for t in ("lv_gadget", "lv_event"):
            lvtest.mutate(self.standin, self.rng, t, creates=5, updates=5, deletes=2, moves=1)

    def rewrite_delta(self, fn, query="deltatoken"):
        """Rewrite the body of lv_widget's delta pages with fn(text)."""
        def rw(method, path, status, body):
            if SET in path.split("?")[0] and query in path and status == 200:
                return fn(body.decode("utf-8")).encode("utf-8")
            return body
        self.proxy.rewrite = rw

    def expect_failure(self, words):
        """lv_widget fails cleanly.  Independent checks run as subtests so
        that one failure does not hide the others."""
        before = self.store.digest()
        p = self.store.sync("lv_widget", expect_ok=False)
        err = p.stderr.decode("utf-8", "replace")
        self.assertNotEqual(p.returncode, 0, "sync of a bad answer succeeded: " + err)
        self.assertNotIn(p.returncode, (-9, -11, -6, 2), "crash or usage error: " + err)
        lines = [l for l in err.split("\n") if l.startswith("lakectl")]
        with self.subTest("one clear error line"):
            self.assertEqual(len(lines), 1, "one error line expected, stderr was: %r" % err)
            line = lines[0]
            self.assertIn("lv_widget", line)
            self.assertLess(len(line), 1000, "error line too long: %r..." % line[:200])
            self.assertRegex(line, words, "error line does not say what is wrong")
            self.assertNotRegex(line, r"(.{12,}): \1", "error line repeats itself (garbled)")
        with self.subTest("status: Failed with a reason"):
            st = self.store.table_status("lv_widget")
            self.assertEqual(st["state"], "Failed", st)
            reason = st.get("reason") or ""
            self.assertRegex(reason, words, "status reason does not say what is wrong: %r" % reason[:300])
            self.assertNotIn("\n", reason)
        with self.subTest("the lake is intact (ls -R, sha256 of every file)"):
            after = self.store.digest()
            self.assertEqual(after[0], before[0], "ls -R changed after a failed sync")
            changed = sorted(p for p in before[1] if before[1][p] != after[1].get(p))
            self.assertEqual(changed, [], "files changed by a failed sync")
        with self.subTest("the other tables keep syncing"):
            p = self.store.sync(expect_ok=False)
            self.assertEqual(p.returncode, 1, p.stderr)
            lvtest.check_inplace(self, self.standin, self.store, "lv_gadget", True)
            lvtest.check_append_latest(self, self.standin, self.store, "lv_event")
            for t in self.store.status()["tables"]:
                self.assertEqual(t["state"], "Failed" if t["name"] == "lv_widget" else "Completed", t)
        return lines[0] if lines else ""

    def recovers(self):
        self.proxy.rewrite = None
        self.standin.clear_faults()
        self.store.sync()
        lvtest.check_all(self, self.standin, self.store)
        self.assertEqual(self.store.table_status("lv_widget")["state"], "Completed")

    # -----------------------------------------------------------------------
    def test_malformed_json_page(self):
        self.change_source()
        self.standin.fault("malformed", path=SET, query="deltatoken", count=2)
        self.expect_failure(r"(?i)json|malformed|parse|syntax")
        self.recovers()

    def test_row_without_id(self):
        self.change_source()
        self.rewrite_delta(lambda s: re.sub(r',"lv_widgetid":"[0-9a-f-]{36}"', "", s, count=1))
        self.expect_failure(r"lv_widgetid|\bid\b")
        self.recovers()

    def test_wrong_type_for_the_schema(self):
        self.change_source()
        self.rewrite_delta(lambda s: re.sub(r'"lv_qty":(-?[0-9]+|null)', '"lv_qty":"twelve"', s, count=1))
        self.expect_failure(r"lv_qty")
        self.recovers()

    def test_bad_guid_in_lookup(self):
        self.change_source()
        self.rewrite_delta(lambda s: re.sub(r'"_ownerid_value":("[0-9a-f-]{36}"|null)',
                                            '"_ownerid_value":"not-a-guid"', s, count=1))
        self.expect_failure(r"ownerid")
        self.recovers()

    def test_twenty_mib_string(self):
        self.change_source()
        big = self.standin.upsert("lv_widget", [{"name": "big", "lv_description": "x" * (20 << 20)}])
        self.expect_failure(r"(?i)lv_description|MiB|too (long|large|big)")
        self.standin.delete("lv_widget", [big["rows"][0]["id"]])
        self.recovers()

    def test_next_link_to_another_host(self):
        self.change_source(widget_changes=(60, 30, 10))   # a delta of two pages
        host = "localhost:%d" % self.proxy.port
        self.rewrite_delta(lambda s: s.replace('"@odata.nextLink":"http://127.0.0.1:%d' % self.proxy.port,
                                               '"@odata.nextLink":"http://' + host))
        self.proxy.seen.clear()
        self.expect_failure(r"(?i)nextLink|host|points away")
        self.assertEqual([s for s in self.proxy.seen if s[1] == host], [],
                         "lakeview followed a link to another host (with its bearer token)")
        self.recovers()

    def test_next_link_repeats(self):
        """The delta's first page sends itself as its nextLink."""
        self.change_source()

        def rw(method, path, status, body):
            if SET in path.split("?")[0] and "deltatoken" in path and status == 200:
                s = body.decode("utf-8")
                link = "http://127.0.0.1:%d%s" % (self.proxy.port, path)
                s = s.replace('"@odata.deltaLink"', '"@odata.nextLink"')
                import json
                doc = json.loads(s)
                doc["@odata.nextLink"] = link
                return json.dumps(doc).encode()
            return body
        self.proxy.rewrite = rw
        self.expect_failure(r"(?i)repeats.*loop")
        self.recovers()

    def test_empty_pages_forever(self):
        """Pages without rows, each with a new nextLink, without end."""
        self.change_source()
        host = "http://127.0.0.1:%d" % self.proxy.port

        def answer(method, path):
            if SET in path.split("?")[0] and "deltatoken" in path:
                head, _, n = path.partition("&lvloop=")
                link = "%s%s&lvloop=%d" % (host, head, int(n or -1) + 1)
                return ('{"value":[],"@odata.nextLink":"%s"}' % link).encode()
            return None
        self.proxy.answer = answer
        self.proxy.seen.clear()
        try:
            self.expect_failure(r"(?i)without rows.*loop")
        finally:
            self.proxy.answer = None
        self.assertLess(len([s for s in self.proxy.seen if "lvloop=" in s[2]]), 2000)
        self.recovers()

    def test_next_link_with_crlf(self):
        self.change_source(widget_changes=(60, 30, 10))   # a delta of two pages
        self.rewrite_delta(lambda s: s.replace('"@odata.nextLink":"http://127.0.0.1:%d/' % self.proxy.port,
                                               '"@odata.nextLink":"http://127.0.0.1:%d/\\r\\nX-Evil: 1\\r\\n/'
                                               % self.proxy.port))
        self.proxy.seen.clear()
        self.expect_failure(r"(?i)nextLink.*(control|space)")
        widget = [s for s in self.proxy.seen if SET in s[2] and "deltatoken" in s[2]]
        # the first sync met the bad page once, the check of the other
        # tables once more: never a retry of the bad link
        self.assertLessEqual(len(widget), 2, widget)
        self.recovers()

    def test_delta_link_to_another_host(self):
        self.change_source()
        self.rewrite_delta(lambda s: s.replace('"@odata.deltaLink":"http://127.0.0.1:',
                                               '"@odata.deltaLink":"http://evil.example:'))
        self.expect_failure(r"(?i)deltaLink|host|points away")
        self.recovers()


if __name__ == "__main__":
    lvtest.main()
