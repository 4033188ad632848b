#!/usr/bin/env python3
"""Bad input (DESIGN.md §6 last rule, `lakectl ingest --help`): each case
gets a clear one-line error naming the line and the field or problem, a
non-zero exit status, and loses nothing already committed; the batch that
holds the bad line is applied whole-or-nothing.

How "whole-or-nothing" is checked: the bad file is good lines G1 G2 G3 then
the bad line, ingested with --batch 2.  Batch 1 (G1 G2) commits; batch 2
(G3 + bad) must not be applied at all.  So the store must end byte-identical
(`lakectl ls -R` + sha256 of every `lakectl cat`) to a reference store that
ingested only G1 G2 at the same LAKEVIEW_NOW.
"""
import json
import os
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lakelib  # noqa: E402

T = 1615000000
T2 = T + 3600
GUID = "0a1b2c3d-0000-4000-8000-%012x"


def good(n):
    return json.dumps({"@odata.etag": 'W/"%d"' % n, "lv_widgetid": GUID % (0x500 + n),
                       "lv_name": "good %d" % n, "lv_price": 1.25, "createdon": "2021-05-0%dT00:00:00Z" % n,
                       "versionnumber": 500 + n})


def row(**kw):
    o = {"@odata.etag": 'W/"900"', "lv_widgetid": GUID % 0x900, "lv_name": "bad",
         "createdon": "2021-05-09T00:00:00Z", "versionnumber": 900}
    o.update(kw)
    return json.dumps(o)


def base(lake):
    lake.add("lv_widget", now=T)
    lake.add("lv_event", append_only=True, now=T)
    lake.ingest("lv_widget", lakelib.fixture("lv_widget.1.jsonl"), now=T)
    lake.ingest("lv_event", lakelib.fixture("lv_event.1.jsonl"), now=T)
    lake.snapshot(now=T)


class BadInput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # the reference: base + G1 G2 committed at T2
        # each test starts from a copy of one base store (building it per
        # test cost ~10 s each under ASan)
        cls.base = lakelib.Lake()
        base(cls.base)
        cls.ref = lakelib.Lake.copy_of(cls.base)
        cls.ref.ingest("lv_widget", [good(1), good(2)], now=T2)
        cls.ref_after = cls.ref.digest()

    @classmethod
    def tearDownClass(cls):
        cls.ref.close()
        cls.base.close()

    def setUp(self):
        self.lake = lakelib.Lake.copy_of(self.base)
        self.addCleanup(self.lake.close)

    def one_line(self, p):
        err = p.stderr.decode("utf-8", "replace")
        self.assertTrue(err.endswith("\n") and err.count("\n") == 1,
                        "error is not exactly one line: %r" % err[:500])
        self.assertLess(len(err), 400, "error line too long: %r" % err[:500])
        self.assertEqual(p.stdout, b"", "nothing on stdout after an error")
        return err

    def bad_ingest(self, bad_line, *words, table="lv_widget"):
        """Ingest G1 G2 G3 <bad> with --batch 2; check the error and that the
        store equals the reference (batch 1 committed, batch 2 not)."""
        path = os.path.join(self.lake.tmp, "bad.jsonl")
        if isinstance(bad_line, str):
            bad_line = bad_line.encode("utf-8")
        with open(path, "wb") as f:
            f.write(("\n".join([good(1), good(2), good(3)]) + "\n").encode())
            f.write(bad_line + b"\n")
        p = self.lake.run("ingest", table, path, "--batch", "2", now=T2)
        self.assertNotEqual(p.returncode, 0, "bad input accepted")
        self.assertNotEqual(p.returncode, 2, "bad data is not a usage error")
        err = self.one_line(p)
        self.assertRegex(err, r"\bline 4\b", "the error names the line")
        for w in words:
            self.assertIn(w, err, "the error names %r" % w)
        self.assertEqual(self.lake.digest(), self.ref_after,
                         "committed batches lost or the failing batch partly applied")
        # and a first-batch failure leaves the store exactly as it was
        before = self.lake.digest()
        p = self.lake.run("ingest", table, path, now=T2 + 60)
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(self.lake.digest(), before)
        return err

    def test_malformed_json(self):
        self.bad_ingest('{"lv_widgetid": "%s", "lv_name": "unterminated' % (GUID % 0x901))

    def test_truncated_object(self):
        self.bad_ingest('{"lv_widgetid": "%s", "lv_name": "x",' % (GUID % 0x901))

    def test_string_in_money_column(self):
        self.bad_ingest(row(lv_price="12.50"), "lv_price")

    def test_number_in_string_column(self):
        self.bad_ingest(row(lv_name=42), "lv_name")

    def test_bad_guid(self):
        self.bad_ingest(row(lv_widgetid="not-a-guid"), "lv_widgetid")

    def test_bad_guid_in_lookup(self):
        self.bad_ingest(row(_lv_parentid_value="1234"), "lv_parentid")

    def test_bad_date(self):
        self.bad_ingest(row(createdon="2021-02-30T00:00:00Z"), "createdon")

    def test_bad_date_text(self):
        self.bad_ingest(row(modifiedon="yesterday"), "modifiedon")

    def test_invalid_utf8(self):
        line = row(lv_name="XX").encode().replace(b"XX", b"\xff\xfe\xc3(")
        self.bad_ingest(line, "UTF-8")

    def test_row_without_id(self):
        o = json.loads(row())
        del o["lv_widgetid"]
        self.bad_ingest(json.dumps(o), "lv_widgetid")

    def test_ten_mib_value(self):
        self.bad_ingest(row(lv_description="x" * (10 << 20)), "lv_description")

    def test_twenty_mib_line(self):
        self.bad_ingest(row(lv_description="y" * (20 << 20)), "MiB")

    def test_long_line_starting_a_batch(self):
        """A too-long line that opens a new batch: the error must not claim
        that lines of the batch committed before it were not applied."""
        path = os.path.join(self.lake.tmp, "long.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            f.write(good(1) + "\n" + good(2) + "\n" + row(lv_description="z" * (20 << 20)) + "\n")
        p = self.lake.run("ingest", "lv_widget", path, "--batch", "2", now=T2)
        self.assertNotEqual(p.returncode, 0)
        err = self.one_line(p)
        self.assertRegex(err, r"\bline 3\b")
        self.assertNotRegex(err, r"lines 1-3", "claims committed lines 1-2 were not applied: " + err)
        self.assertEqual(self.lake.digest(), self.ref_after)

    # -- hostile names ----------------------------------------------------
    def bad_schema(self, mutate, name, table_arg=None):
        with open(lakelib.fixture("lv_gizmo.schema.json"), encoding="utf-8") as f:
            doc = json.load(f)
        mutate(doc)
        path = os.path.join(self.lake.tmp, "schema.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        before = self.lake.digest()
        p = self.lake.run("tables", "add", table_arg or doc["LogicalName"], "--schema", path)
        self.assertNotEqual(p.returncode, 0, "hostile name %r accepted" % name)
        err = self.one_line(p)
        self.assertIn(name, err, "the error names the name")
        self.assertEqual(self.lake.digest(), before)
        self.assertNotIn(name, self.lake.ok("tables", "list"))
        if table_arg == "lv_gizmo":
            self.assertNotIn("lv_gizmo", self.lake.ok("tables", "list"))

    def test_duplicate_key(self):
        # JSON readers keep the last of two equal keys; lakeview refuses
        line = row(lv_name="first")[:-1] + ', "lv_name": "second"}'
        self.bad_ingest(line, "duplicate key", "lv_name")

    # -- values that do not fit the type model.json declares ---------------
    def bad_value(self, column, text, *words):
        """A row whose @column holds the raw JSON number @text."""
        line = row(**{column: "@@"}).replace('"@@"', text)
        return self.bad_ingest(line, "lv_widget", GUID % 0x900, column, *words)

    def test_exponent_past_a_decimal(self):
        self.bad_value("lv_price", "1e400", "digits before the point", "decimal(38,4)")

    def test_exponent_too_small_to_write_out(self):
        self.bad_value("lv_price", "1e-400", "after the point")

    def test_money_with_too_many_digits(self):
        self.bad_value("lv_price", "1" * 35 + ".5", "34 digits")

    def test_integer_past_64_bits(self):
        self.bad_value("lv_quantity", "99999999999999999999", "range")

    def test_integer_past_32_bits(self):
        self.bad_value("lv_quantity", "2147483648", "32-bit")

    def test_double_past_its_range(self):
        self.bad_value("lv_weight", "1e400", "double")

    def test_versionnumber_past_64_bits(self):
        self.bad_value("versionnumber", "9223372036854775808", "9223372036854775807")

    def test_etag_past_64_bits(self):
        o = json.loads(row())
        del o["versionnumber"]
        o["@odata.etag"] = 'W/"99999999999999999999"'
        self.bad_ingest(json.dumps(o), "lv_widget", GUID % 0x900, "@odata.etag")

    def test_numbers_that_fit_are_written_as_sent(self):
        path = os.path.join(self.lake.tmp, "ok.jsonl")
        line = row(lv_price="@p", lv_quantity="@q", lv_weight="@w").replace(
            '"@p"', "-" + "9" * 34 + ".9999").replace('"@q"', "-2147483648").replace(
            '"@w"', "1.5E+20")
        with open(path, "w") as f:
            f.write(line + "\n")
        self.lake.ok("ingest", "lv_widget", path)
        data = self.lake.cat("lv_widget/2021.csv").decode()
        for text in ("-" + "9" * 34 + ".9999", "-2147483648", "1.5E+20"):
            self.assertIn("," + text + ",", data)

    def test_decimal_exponent_is_written_out(self):
        """A DECIMAL column cannot be parsed from "1e-06" by Spark or DuckDB:
        the exact value is written in plain digits, never through a double."""
        cases = [("1e-06", "0.000001"), ("-1.25E+3", "-1250"), ("0.00120e2", "0.120"),
                 ("12.5e-1", "1.25"), ("0e10", "0"), ("1234567890123456789e-19", "0.1234567890123456789")]
        path = os.path.join(self.lake.tmp, "exp.jsonl")
        with open(path, "w") as f:
            for i, (sent, _) in enumerate(cases):
                line = row(lv_price="@p").replace('"@p"', sent)
                line = line.replace(GUID % 0x900, GUID % (0x910 + i))
                f.write(line + "\n")
        self.lake.ok("ingest", "lv_widget", path)
        data = self.lake.cat("lv_widget/2021.csv").decode()
        for sent, written in cases:
            self.assertIn("," + written + ",", data, sent)
            self.assertNotIn("," + sent + ",", data)

    # -- metadata numbers out of range ---------------------------------------
    def bad_meta(self, attr, key, value, *words):
        def m(d):
            for a in d["Attributes"]:
                if a["LogicalName"] == attr:
                    a[key] = value
        with open(lakelib.fixture("lv_widget.schema.json"), encoding="utf-8") as f:
            doc = json.load(f)
        m(doc)
        doc["LogicalName"], doc["EntitySetName"] = "lv_thing", "lv_things"
        path = os.path.join(self.lake.tmp, "schema.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        before = self.lake.digest()
        p = self.lake.run("tables", "add", doc["LogicalName"], "--schema", path)
        self.assertNotEqual(p.returncode, 0, "%s %s accepted" % (key, value))
        err = self.one_line(p)
        for w in (attr, key, str(value)) + words:
            self.assertIn(w, err)
        self.assertEqual(self.lake.digest(), before)

    def test_precision_out_of_range(self):
        self.bad_meta("lv_ratio", "Precision", 100000)

    def test_maxlength_out_of_range(self):
        self.bad_meta("lv_name", "MaxLength", 4294967301)

    def test_reserved_table_name(self):
        def m(d):
            d["LogicalName"] = "model"
        self.bad_schema(m, "model")
        p = self.lake.run("tables", "add", "model", "--schema", os.path.join(self.lake.tmp, "schema.json"))
        self.assertIn("reserved", p.stderr.decode())
        self.assertIn("model.json", p.stderr.decode())

    def test_names_with_a_newline_stay_on_one_line(self):
        # one_line() (in bad_schema) fails when the name breaks the line
        def m(d):
            d["LogicalName"] = "lv_gizmo\nlakectl: forged"
        self.bad_schema(m, "lv_gizmo\\x0alakectl: forged", table_arg="lv_gizmo")

        def c(d):
            d["Attributes"].append({"LogicalName": "bad\r\nname", "AttributeType": "String"})
        self.bad_schema(c, "bad\\x0d\\x0aname", table_arg="lv_gizmo")

    def test_table_name_dotdot(self):
        def m(d):
            d["LogicalName"] = "../x"
        self.bad_schema(m, "../x")

    def test_table_name_with_slash(self):
        def m(d):
            d["LogicalName"] = "lv/gizmo"
        self.bad_schema(m, "lv/gizmo")

    def test_table_argument_dotdot(self):
        self.bad_schema(lambda d: None, "../x", table_arg="../x")

    def test_column_name_dotdot(self):
        def m(d):
            d["Attributes"][1]["LogicalName"] = "../x"
        self.bad_schema(m, "../x")

    def test_column_name_with_slash(self):
        def m(d):
            d["Attributes"][1]["LogicalName"] = "a/b"
        self.bad_schema(m, "a/b")

    # -- usage errors -------------------------------------------------------
    def test_usage_errors_exit_2(self):
        fx = lakelib.fixture("lv_gizmo.1.jsonl")
        schema = lakelib.fixture("lv_gizmo.schema.json")
        cases = [
            ("ingest", "--bogus", "lv_widget", fx),
            ("ingest", "lv_widget"),
            ("ingest",),
            ("ingest", "lv_widget", fx, "--batch"),
            ("ingest", "lv_widget", fx, "--batch", "0"),
            ("ingest", "lv_widget", fx, "extra"),
            ("tables", "add", "lv_gizmo"),
            ("tables", "add", "lv_gizmo", "--schema", schema, "--partition", "week"),
            ("tables", "add", "--schema", schema),
            ("tables", "add", "lv_gizmo", "--schema", schema, "--bogus"),
            ("tables", "remove"),
            ("tables", "frobnicate", "lv_gizmo"),
            ("snapshot", "--bogus"),
            ("status", "--bogus"),
            ("ls", "--bogus"),
            ("ls", "a", "b"),
            ("cat",),
            ("cat", "--bogus", "model.json"),
        ]
        before = self.lake.digest()
        for args in cases:
            p = self.lake.run(*args, now=T2)
            self.assertEqual(p.returncode, 2, "lakectl %s: exit %d, want 2" % (" ".join(args), p.returncode))
            self.one_line(p)
        for args in (["bogus"], ["link", "--store", os.path.join(self.lake.tmp, "s2")],
                     ["link", "--store", os.path.join(self.lake.tmp, "s3"), "--environment", "e"],
                     ["tables"], []):
            p = self.lake.run(*args, store=False) if args else None
            if p is None:
                import subprocess
                p = subprocess.run([lakelib.LAKECTL], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                self.assertEqual(p.returncode, 2, "lakectl with no command")
                continue
            self.assertEqual(p.returncode, 2, "lakectl %s: exit %d, want 2" % (" ".join(args), p.returncode))
            self.one_line(p)
        self.assertEqual(self.lake.digest(), before)


if __name__ == "__main__":
    lakelib.main()
