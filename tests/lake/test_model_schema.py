#!/usr/bin/env python3
"""model.json and every Microsoft.Athena.TrickleFeedService/<table>-model.json
of the golden scenario are valid against the rules of Microsoft's model.json
JSON schema (microsoft/CDM docs/schema/modeljsonschema.json, draft-07; the
rules are written out in lakelib.validate_model) and carry what Synapse Link
consumers rely on (lake-format.md §2, DESIGN.md §4):
  - name "cdm", description "cdm", version "1.0";
  - annotations Athena:PartitionGranularity (Year/Month) and
    Athena:InitialSyncState;
  - strings: trait is.constrained with maximumLength = maxLength;
    decimals: trait is.dataFormat.numeric.shaped, precision then scale,
    JSON numbers; maxLength -1 for every non-string;
  - root partitions: `location` an absolute URL ending in
    <table>/Snapshot/<partition>_<secs>.csv naming the newest snapshot of
    that partition, a file `lakectl ls -R` lists;
  - per-table manifest partitions: one per live <table>/<name>.csv.
"""
import json
import os
import re
import sys
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lakelib  # noqa: E402

SYNC_STATES = {"None", "NotStarted", "InProgress", "Completed", "CompletedWithFailures",
               "RequestedInitialData", "Paused", "PostProcessing", "Failed"}


def scale_of(attr_meta):
    if attr_meta["AttributeType"] == "Money":
        return 4  # core/schema.c: Money -> decimal(38,4)
    return attr_meta.get("Precision", 10)


class ModelSchema(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lake = lakelib.Lake()
        cls.transcript, cls.models = lakelib.build_scenario(cls.lake)
        cls.listing = set(cls.lake.ls())
        cls.root = cls.lake.model()
        cls.manifests = {t: cls.lake.manifest(t) for t, _, _ in lakelib.TABLES}

    @classmethod
    def tearDownClass(cls):
        cls.lake.close()

    def docs(self):
        yield "model.json", self.root
        for t, m in self.manifests.items():
            yield "%s-model.json" % t, m

    def test_valid_against_modeljsonschema(self):
        for name, doc in self.docs():
            self.assertEqual(lakelib.validate_model(doc), [], name)

    def test_validator_rejects_breakage(self):
        """The validator itself catches each kind of rule it claims."""
        bad = json.loads(json.dumps(self.root))
        bad["version"] = "1.1"
        e = bad["entities"][0]
        e["name"] = "a.b"
        e["attributes"][0]["dataType"] = "uuid"
        e["annotations"].append({"value": "x"})
        if e.get("partitions"):
            e["partitions"][0]["fileFormatSettings"]["csvStyle"] = "CsvStyle.Never"
        errs = lakelib.validate_model(bad)
        for what in ("version", "name 'a.b'", "dataType 'uuid'", "annotation needs a name"):
            self.assertTrue(any(what in x for x in errs), (what, errs))
        self.assertTrue(lakelib.validate_model({"name": " x", "entities": []}))

    def test_top_level(self):
        for name, doc in self.docs():
            self.assertEqual(doc["name"], "cdm", name)
            self.assertEqual(doc["description"], "cdm", name)
            self.assertEqual(doc["version"], "1.0", name)
            self.assertNotIn("culture", doc, name)
        self.assertEqual(sorted(e["name"] for e in self.root["entities"]),
                         sorted(t for t, _, _ in lakelib.TABLES))
        for t, m in self.manifests.items():
            self.assertEqual([e["name"] for e in m["entities"]], [t])

    def test_entity_annotations(self):
        for name, doc in self.docs():
            for e in doc["entities"]:
                self.assertEqual(e["$type"], "LocalEntity")
                self.assertEqual(e["description"], e["name"])
                ann = {a["name"]: a["value"] for a in e["annotations"]}
                month = dict((t, mo) for t, _, mo in lakelib.TABLES)[e["name"]]
                self.assertEqual(ann.get("Athena:PartitionGranularity"),
                                 "Month" if month else "Year", (name, e["name"]))
                self.assertIn(ann.get("Athena:InitialSyncState"), SYNC_STATES, name)
                # every table was ingested: the sync is complete
                self.assertEqual(ann.get("Athena:InitialSyncState"), "Completed", name)
                self.assertRegex(ann.get("Athena:InitialSyncDataCompletedTime", ""),
                                 lakelib.SINK_RE, name)

    def test_attribute_types_and_traits(self):
        for name, doc in self.docs():
            for e in doc["entities"]:
                s = self.models[e["name"]].s
                meta = {a["LogicalName"]: a for a in s.meta["Attributes"]}
                self.assertEqual([(a["name"], a["dataType"]) for a in e["attributes"]],
                                 [(c[0], c[2]) for c in s.cols], name)
                for a in e["attributes"]:
                    where = "%s %s.%s" % (name, e["name"], a["name"])
                    self.assertIsInstance(a["maxLength"], int, where)
                    traits = a.get("cdm:traits")
                    if a["dataType"] == "string":
                        self.assertGreater(a["maxLength"], 0, where)
                        self.assertEqual(traits, [{"traitReference": "is.constrained", "arguments": [
                            {"name": "maximumLength", "value": a["maxLength"]}]}], where)
                        m = meta[a["name"]]
                        if "MaxLength" in m:
                            self.assertEqual(a["maxLength"], m["MaxLength"], where)
                    elif a["dataType"] == "decimal":
                        self.assertEqual(a["maxLength"], -1, where)
                        self.assertEqual(len(traits), 1, where)
                        self.assertEqual(traits[0]["traitReference"], "is.dataFormat.numeric.shaped")
                        args = traits[0]["arguments"]
                        self.assertEqual([x["name"] for x in args], ["precision", "scale"], where)
                        for x in args:
                            self.assertIs(type(x["value"]), int, where)
                        self.assertEqual([x["value"] for x in args],
                                         [38, scale_of(meta[a["name"]])], where)
                    else:
                        self.assertEqual(a["maxLength"], -1, where)
                        self.assertIsNone(traits, where)

    def test_root_partitions_point_at_newest_snapshots(self):
        url = re.escape(lakelib.LAKE_URL)
        n = 0
        for e in self.root["entities"]:
            t = e["name"]
            live = {p.split("/")[1][:-4] for p in self.listing
                    if p.startswith(t + "/") and p.count("/") == 1 and p.endswith(".csv")}
            snaps = {}
            for p in self.listing:
                m = re.match(r"^%s/Snapshot/(.+)_([0-9]+)\.csv$" % re.escape(t), p)
                if m:
                    snaps.setdefault(m.group(1), []).append(int(m.group(2)))
            # every live partition with a snapshot is listed, once
            self.assertEqual(sorted(p["name"] for p in e["partitions"]),
                             sorted(x for x in live if x in snaps), t)
            for p in e["partitions"]:
                loc = p["location"]
                m = re.match(r"^%s/%s/Snapshot/%s_([0-9]+)\.csv$" % (url, re.escape(t), re.escape(p["name"])), loc)
                self.assertTrue(m, loc)
                self.assertEqual(int(m.group(1)), max(snaps[p["name"]]), loc)
                self.assertIn(loc[len(lakelib.LAKE_URL) + 1:], self.listing, loc)
                self.assertRegex(p["refreshTime"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
                self.assertEqual(p["fileFormatSettings"]["columnHeaders"], False)
                self.assertEqual(p["fileFormatSettings"]["delimiter"], ",")
                n += 1
        self.assertGreaterEqual(n, 9)

    def test_manifest_partitions_name_live_files(self):
        for t, doc in self.manifests.items():
            live = sorted(p.split("/")[1][:-4] for p in self.listing
                          if p.startswith(t + "/") and p.count("/") == 1 and p.endswith(".csv"))
            parts = doc["entities"][0].get("partitions", [])
            self.assertEqual(sorted(p["name"] for p in parts), live, t)
            self.assertTrue(live, t)
            for p in parts:
                if "location" in p:
                    self.assertTrue(p["location"].endswith("/%s/%s.csv" % (t, p["name"])), p)

    def test_manifest_entity_matches_root(self):
        root = {e["name"]: e for e in self.root["entities"]}
        for t, doc in self.manifests.items():
            a = dict(doc["entities"][0])
            b = dict(root[t])
            a.pop("partitions", None)
            b.pop("partitions", None)
            self.assertEqual(a, b, t)


if __name__ == "__main__":
    lakelib.main()
