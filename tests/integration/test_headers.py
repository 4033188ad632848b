#!/usr/bin/env python3
"""Headers of every request lakectl sends (the stand-in logs them all):
link, tables available/add, an initial sync, a delta, and retries after a
401 and a 503.  Every Web API request carries Authorization: Bearer,
OData-Version: 4.0, OData-MaxVersion: 4.0, Accept: application/json;
tracked queries carry Prefer: odata.track-changes (and the page size) and
never $filter/$orderby/$expand/$top; the secret only goes to the token
endpoint, in the POST body."""
import os
import random
import sys
import unittest
import urllib.parse

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lvtest  # noqa: E402
from lvtest import TABLES  # noqa: E402

SETS = ("lv_widgets", "lv_gadgets", "lv_events")


class Headers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.standin = lvtest.Standin(lvtest.org_spec(
            seed=61, sizes={"lv_widget": 150, "lv_gadget": 80, "lv_event": 80}))
        s = cls.standin
        cls.store = lvtest.Store(s, page_size=40)
        cls.store.ok("tables", "available")
        lvtest.add_tables(cls.store)
        s.fault("401", path="lv_widgets", query="skiptoken", count=1)
        s.fault("503", path="lv_gadgets", count=1)
        cls.store.sync()
        rng = random.Random(3)
        for t in TABLES:
            lvtest.mutate(s, rng, t, creates=50, updates=20, deletes=10, moves=5)
        s.fault("401", path="lv_events", query="deltatoken", count=1)
        cls.store.sync()
        cls.log = [r for r in s.requests() if r["headers"].get("user-agent") != lvtest.UA]

    @classmethod
    def tearDownClass(cls):
        cls.store.close()
        cls.standin.stop()

    def api(self):
        return [r for r in self.log if r["path"].startswith(lvtest.API + "/")]

    def tracked(self):
        return [r for r in self.api() if r["path"].rsplit("/", 1)[-1] in SETS]

    def test_saw_all_kinds_of_requests(self):
        paths = [r["path"] for r in self.log]
        self.assertTrue(any("/oauth2/v2.0/token" in p for p in paths))
        self.assertTrue(any("EntityDefinitions" in p for p in paths))
        q = [r["query"] for r in self.tracked()]
        self.assertTrue(any("skiptoken" in x for x in q), "no nextLink followed")
        self.assertTrue(any("deltatoken" in x for x in q), "no deltaLink followed")
        self.assertTrue(any(r.get("fault") == "401" for r in self.log))

    def test_every_web_api_request_has_the_odata_headers(self):
        bad = []
        for r in self.api():
            h = r["headers"]
            want = {"authorization": lambda v: v.startswith("Bearer ") and len(v) > 20,
                    "odata-version": lambda v: v == "4.0",
                    "odata-maxversion": lambda v: v == "4.0",
                    "accept": lambda v: v == "application/json"}
            for k, ok in want.items():
                if k not in h or not ok(h[k]):
                    bad.append((r["seq"], r["path"], k, h.get(k)))
        self.assertEqual(bad, [])
        self.assertGreater(len(self.api()), 10)

    def test_tracked_queries_prefer_track_changes(self):
        bad = []
        for r in self.tracked():
            prefer = [p.strip() for p in r["headers"].get("prefer", "").split(",")]
            if "odata.track-changes" not in prefer or "odata.maxpagesize=40" not in prefer:
                bad.append((r["seq"], r["path"], r["query"][:60], r["headers"].get("prefer")))
        self.assertEqual(bad, [])

    def test_tracked_queries_have_no_refused_options(self):
        for r in self.tracked():
            q = urllib.parse.parse_qs(r["query"], keep_blank_values=True)
            for opt in ("$filter", "$orderby", "$expand", "$top"):
                self.assertNotIn(opt, q, r["query"])
            self.assertNotEqual(r["status"], 400, r)

    def test_no_request_was_refused(self):
        """Nothing the client sent was refused except the injected faults."""
        bad = [(r["seq"], r["path"], r["status"]) for r in self.log
               if not r.get("fault") and r["status"] not in (200,)]
        self.assertEqual(bad, [])

    def test_secret_only_in_token_request_bodies(self):
        for r in self.log:
            token_call = r["path"].endswith("/oauth2/v2.0/token")
            where = r["path"] + "?" + r["query"] + repr(r["headers"])
            self.assertNotIn(lvtest.SECRET, where)
            if token_call:
                self.assertEqual(r["method"], "POST")
            else:
                self.assertNotIn(lvtest.SECRET, r.get("body") or "")


if __name__ == "__main__":
    lvtest.main()
