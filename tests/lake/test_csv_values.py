#!/usr/bin/env python3
"""Python's csv module reads every CSV of the golden scenario's lake back to
the exact values of the input (lake-format.md §3): strings with embedded
CR/LF and quotes, numbers as their JSON text, True/False, dates in the
documented formats, empty for null; every record has as many fields as
model.json has attributes for its entity (append-only: IsDelete last, True
on deletes, empty otherwise); Sink dates match M/d/yyyy h:mm:ss AM|PM.

The expected values come from lakelib.Model, a Python model of the
semantics fed with the same fixture lines, independent of the goldens.
"""
import json
import os
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lakelib  # noqa: E402
from lakelib import SINK_RE, parse_csv  # noqa: E402


class CsvValues(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lake = lakelib.Lake()
        cls.transcript, cls.models = lakelib.build_scenario(cls.lake)
        cls.files = cls.lake.tree()
        cls.entities = {}
        for e in json.loads(cls.files["model.json"])["entities"]:
            cls.entities[e["name"]] = e

    @classmethod
    def tearDownClass(cls):
        cls.lake.close()

    def width(self, table):
        return len(self.entities[table]["attributes"])

    def test_attribute_names_are_the_csv_columns(self):
        for table, m in self.models.items():
            names = [a["name"] for a in self.entities[table]["attributes"]]
            self.assertEqual(names, m.s.names, table)
            if m.s.append_only:
                self.assertEqual(names[-1], "IsDelete")
            else:
                self.assertNotIn("IsDelete", names)

    def test_live_partitions_read_back_exactly(self):
        for table, m in self.models.items():
            want = m.expected()
            got = {}
            for path, data in self.files.items():
                if path.startswith(table + "/") and path.count("/") == 1:
                    part = path.split("/")[1][:-4]
                    recs = parse_csv(data)
                    got[part] = recs if m.s.append_only else sorted(recs)
            # a partition emptied by deletes stays as an empty file
            got = {p: r for p, r in got.items() if r}
            self.assertEqual(sorted(got), sorted(want), "%s: partitions" % table)
            for part in want:
                self.assertEqual(len(got[part]), len(want[part]), "%s/%s.csv" % (table, part))
                for g, w in zip(got[part], want[part]):
                    self.assertEqual(g, w, "%s/%s.csv: record of %s" % (table, part, w[0]))

    def test_every_record_has_the_entity_width(self):
        for path, data in self.files.items():
            if not path.endswith(".csv") or path.startswith("OptionsetMetadata/"):
                continue
            table = path.split("/")[0]
            for i, rec in enumerate(parse_csv(data)):
                self.assertEqual(len(rec), self.width(table), "%s record %d" % (path, i + 1))

    def test_sink_dates_format(self):
        n = 0
        for path, data in self.files.items():
            if not path.endswith(".csv") or path.startswith("OptionsetMetadata/"):
                continue
            for rec in parse_csv(data):
                for v in rec[1:3]:
                    self.assertRegex(v, SINK_RE, path)
                    n += 1
        self.assertGreater(n, 20)
        # the edge cases the scenario's clock was chosen for
        text = b"".join(self.files.values()).decode()
        for s in ("3/6/2021 12:00:05 PM", "11/23/2021 12:07:09 AM", "1/1/2022 9:06:00 AM"):
            self.assertIn('"%s"' % s, text)

    def test_append_only_isdelete(self):
        m = self.models["lv_event"]
        deletes = 0
        for path, data in self.files.items():
            if path.startswith("lv_event/") and path.endswith(".csv"):
                for rec in parse_csv(data):
                    self.assertIn(rec[-1], ("True", ""), path)
                    if rec[-1] == "True":
                        deletes += 1
                        # only Id, Sink dates and the key column are filled
                        self.assertEqual([v for v in rec[3:-1] if v], [rec[0]], path)
        self.assertGreater(deletes, 0)
        self.assertTrue(m.s.append_only)

    def test_raw_bytes_of_values(self):
        """Quoting rules (lake-format.md §3.2): strings and dates quoted,
        GUIDs/numbers/booleans bare, CR/LF raw inside quotes, no BOM, every
        record ends in \\n (no \\r\\n terminators)."""
        data = self.files["lv_widget/2021.csv"]
        self.assertFalse(data.startswith(b"\xef\xbb\xbf"))
        self.assertTrue(data.endswith(b"\n"))
        self.assertIn(b'"Contoso, ""East""\r\n"', data)
        self.assertIn(b'"Line one\r\nLine two\nLine three\r"', data)
        self.assertIn(b',1000.5,', data)
        self.assertIn(b',False,"2021-03-04T05:06:07.0000000+00:00","2024-03-15T00:00:00Z",', data)
        self.assertIn(b',"account","1,2,3"\n', data)
        old = self.files["lv_widget/Snapshot/2020_1615032005.csv"]
        self.assertIn(b",-922337203685477.0000,", old)
        self.assertIn('"\u00dcn\u00efc\u00f6d\u00e9 \u2014 \u65e5\u672c\u8a9e \U0001F680 \u00f1"'.encode(), old)
        self.assertIn(b"0a1b2c3d-0000-4000-8000-0000000000ab,", old)  # GUIDs lower case
        giz = self.files["lv_gizmo/2021-03.csv"]
        self.assertIn(b",922337203685477.1234,", giz)

    def test_optionset_metadata(self):
        """OptionsetMetadata/*.csv: columns of lake-format.md §1.6."""
        want = {k: [] for k in ("OptionsetMetadata", "GlobalOptionsetMetadata", "StateMetadata",
                                "StatusMetadata", "TargetMetadata")}
        for table, m in self.models.items():
            for a in m.s.meta["Attributes"]:
                if a.get("AttributeOf") or a.get("IsValidForRead") is False:
                    continue
                name, at = a["LogicalName"], a["AttributeType"]
                for t in a.get("Targets") or []:
                    want["TargetMetadata"].append([table, name, t, t + "id"])
                os_ = a.get("OptionSet") or {}
                for o in os_.get("Options") or []:
                    for l in o["Label"]["LocalizedLabels"]:
                        v, lc, text = str(o["Value"]), str(l["LanguageCode"]), l["Label"]
                        if at == "State":
                            want["StateMetadata"].append([table, v, "False", lc, text])
                        elif at == "Status":
                            want["StatusMetadata"].append([table, str(o["State"]), v, "False", lc, text])
                        elif os_.get("IsGlobal"):
                            want["GlobalOptionsetMetadata"].append(
                                [name, v, "False", lc, text, os_["Name"], table, ""])
                        else:
                            want["OptionsetMetadata"].append([table, name, v, "False", lc, text])
        for f, rows in want.items():
            got = parse_csv(self.files["OptionsetMetadata/%s.csv" % f])
            self.assertEqual(sorted(got), sorted(rows), f)
            self.assertTrue(rows, f)


if __name__ == "__main__":
    lakelib.main()
