#!/usr/bin/env python3
"""A value from the Web API that does not fit its column (issue 13 §3): the
table shows Failed with one line naming the table, the row id and the
column; nothing of that page is applied; the other tables go on and
complete; once the source is fixed, the next sync completes the table with
nothing lost."""
import os
import sys
import unittest

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lvtest  # noqa: E402


class Values(unittest.TestCase):
    def setUp(self):
        self.standin = lvtest.Standin(lvtest.org_spec(
            seed=53, sizes={"lv_widget": 30, "lv_gadget": 20, "lv_event": 20}))
        self.addCleanup(self.standin.stop)
        self.store = lvtest.Store(self.standin, page_size=50)
        self.addCleanup(self.store.close)
        lvtest.add_tables(self.store)
        self.store.sync()

    def test_integer_out_of_range_fails_only_its_table(self):
        rid = self.standin.live_ids("lv_widget")[0]
        self.standin.upsert("lv_widget", [{"lv_widgetid": rid, "lv_qty": 99999999999999999999}])
        self.standin.upsert("lv_gadget", [{"name": "after the bad row"}])
        before = self.store.partitions("lv_widget")
        self.store.sync(expect_ok=False)
        st = self.store.table_status("lv_widget")
        self.assertEqual(st["state"], "Failed")
        for w in ("lv_widget", rid.lower(), "lv_qty", "range"):
            self.assertIn(w, st.get("reason", ""), st)
        self.assertNotIn("\n", st.get("reason", ""))
        self.assertEqual(self.store.partitions("lv_widget"), before, "part of the failing page applied")
        # the other tables went on
        self.assertEqual(self.store.table_status("lv_gadget")["state"], "Completed")
        lvtest.check_inplace(self, self.standin, self.store, "lv_gadget", True)
        # the source is mended: the next sync completes the table
        self.standin.upsert("lv_widget", [{"lv_widgetid": rid, "lv_qty": 7}])
        self.store.sync()
        self.assertEqual(self.store.table_status("lv_widget")["state"], "Completed")
        lvtest.check_inplace(self, self.standin, self.store, "lv_widget", False)


if __name__ == "__main__":
    lvtest.main()
