"""Shared helpers of the lake suite (tests/lake): running lakectl against a
throw-away store, reading the lake back, a Python model of the CSV value
formats, and a validator for Microsoft's model.json JSON schema.

Standard library only.  Environment (set by tests/lake/meson.build):
  LAKECTL     the lakectl binary (default: <repo>/build/tools/lakectl)
  LAKE_TESTS  this directory (default: the directory of this file)
"""
import csv
import datetime
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.environ.get("LAKE_TESTS") or os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
GOLDEN = os.path.join(HERE, "golden")
LAKECTL = os.environ.get("LAKECTL") or os.path.normpath(
    os.path.join(HERE, "..", "..", "build", "tools", "lakectl"))

ENV = "dev"
ORG = "org1a2b3c4d"
CONTAINER = "dataverse-%s-%s" % (ENV, ORG)
# DESIGN.md §4: with no sink linked the lake URL is https://localhost/<container>
LAKE_URL = "https://localhost/" + CONTAINER

T0 = 1615000000  # 2021-03-06T03:06:40Z


def require_lakectl():
    if not os.access(LAKECTL, os.X_OK):
        print("lakectl not found at %s (set LAKECTL)" % LAKECTL, file=sys.stderr)
        sys.exit(77)


class LakectlError(AssertionError):
    pass


class Lake:
    """A store in a fresh temporary directory; remove with close()."""

    def __init__(self, link=True, now=T0):
        require_lakectl()
        self.tmp = tempfile.mkdtemp(prefix="lake-test-")
        self.store = os.path.join(self.tmp, "store")
        self.now = now
        if link:
            self.ok("link", "--environment", ENV, "--organization", ORG)

    @classmethod
    def copy_of(cls, other):
        """A new Lake whose store is a copy of @other's (no process may
        have @other's store open): cheaper than building it again."""
        lake = cls(link=False, now=other.now)
        shutil.copytree(other.store, lake.store, symlinks=True)
        return lake

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- running lakectl --------------------------------------------------
    def run(self, cmd, *args, now=None, stdin=None, store=True, timeout=240):
        argv = [LAKECTL, cmd]
        if cmd == "tables" and args and not args[0].startswith("-"):
            argv.append(args[0])
            args = args[1:]
        if store:
            argv += ["--store", self.store]
        argv += list(args)
        env = dict(os.environ)
        env.pop("LAKEVIEW_STORE", None)
        env["LAKEVIEW_NOW"] = str(self.now if now is None else now)
        env["LC_ALL"] = "C"
        if isinstance(stdin, str):
            stdin = stdin.encode("utf-8")
        p = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=env, timeout=timeout)
        return p

    def ok(self, cmd, *args, **kw):
        p = self.run(cmd, *args, **kw)
        if p.returncode != 0:
            raise LakectlError("lakectl %s %s failed (%d): %s" % (
                cmd, " ".join(args), p.returncode, p.stderr.decode("utf-8", "replace")))
        return p.stdout.decode("utf-8")

    def add(self, table, schema=None, append_only=False, month=False, **kw):
        args = ["add", table, "--schema", schema or fixture(table + ".schema.json")]
        if append_only:
            args.append("--append-only")
        if month:
            args += ["--partition", "month"]
        return self.ok("tables", *args, **kw)

    def ingest(self, table, data, batch=None, now=None):
        """data: a path, or a list of JSON lines (str/dict), or bytes."""
        args = ["ingest", table]
        stdin = None
        if isinstance(data, str) and os.path.exists(data):
            args.append(data)
        else:
            if isinstance(data, list):
                data = "".join((l if isinstance(l, str) else json.dumps(l)) + "\n" for l in data)
            stdin = data
            args.append("-")
        if batch:
            args += ["--batch", str(batch)]
        return self.ok(*args, now=now, stdin=stdin)

    def snapshot(self, now=None):
        return self.ok("snapshot", now=now)

    # -- reading the lake -------------------------------------------------
    def ls(self, path=None, recursive=True):
        args = ["-R"] if recursive else []
        if path:
            args.append(path)
        return [l for l in self.ok("ls", *args).split("\n") if l]

    def files(self, under=None):
        """Every file path of the lake (sorted), from `ls -R`."""
        return sorted(p for p in self.ls(under) if not p.endswith("/"))

    def cat(self, path):
        p = self.run("cat", path)
        if p.returncode != 0:
            raise LakectlError("lakectl cat %s: %s" % (path, p.stderr.decode("utf-8", "replace")))
        return p.stdout

    def exists(self, path):
        return path in self.ls()

    def tree(self):
        """{path: bytes} of every file, plus the sorted listing."""
        return {p: self.cat(p) for p in self.files()}

    def digest(self):
        """A fingerprint of the whole lake: listing + sha256 of each file."""
        listing = sorted(self.ls())
        return listing, {p: hashlib.sha256(self.cat(p)).hexdigest()
                         for p in listing if not p.endswith("/")}

    def model(self):
        return json.loads(self.cat("model.json"))

    def manifest(self, table):
        return json.loads(self.cat("Microsoft.Athena.TrickleFeedService/%s-model.json" % table))

    def records(self, path):
        return parse_csv(self.cat(path))

    def partitions(self, table):
        """{partition file name: bytes} of the live partitions of a table."""
        return {p.split("/", 1)[1]: self.cat(p) for p in self.files(table)
                if p.count("/") == 1 and p.endswith(".csv")}


def fixture(name):
    return os.path.join(FIXTURES, name)


def parse_csv(data):
    """Records of a lake CSV, as Python's csv module reads them."""
    text = data.decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline=""), strict=True))


# -- value formats (lake-format.md §3.3, core/schema.c mapping table) ------

def sink(t):
    """M/d/yyyy h:mm:ss AM|PM of unix seconds (lake-format.md §3.3)."""
    d = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
    h = d.hour % 12 or 12
    return "%d/%d/%04d %d:%02d:%02d %s" % (d.month, d.day, d.year, h, d.minute,
                                            d.second, "AM" if d.hour < 12 else "PM")


SINK_RE = re.compile(r"^(1[0-2]|[1-9])/(3[01]|[12][0-9]|[1-9])/[0-9]{4} "
                     r"(1[0-2]|[1-9]):[0-5][0-9]:[0-5][0-9] (AM|PM)$")

ISO_RE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:T([0-9]{2}):([0-9]{2}):([0-9]{2})"
                    r"(?:\.([0-9]+))?(Z|[+-][0-9]{2}:[0-9]{2})?)?$")


def iso_parts(s):
    m = ISO_RE.match(s)
    if not m:
        raise ValueError("not an ISO date: %r" % s)
    y, mo, d, h, mi, se, frac, tz = m.groups()
    dt = datetime.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(se or 0),
                           tzinfo=datetime.timezone.utc)
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        dt -= sign * datetime.timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6]))
    return dt, ((frac or "") + "0000000")[:7]


def fmt_createdon(s):
    """createdon: yyyy-MM-ddTHH:mm:ss.fffffff+00:00 (lake-format.md §3.3)."""
    dt, frac = iso_parts(s)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + frac + "+00:00"


def fmt_datetime(s):
    """other dateTime: yyyy-MM-ddTHH:mm:ssZ; DateOnly -> T00:00:00Z."""
    dt, _ = iso_parts(s)
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


class Num(str):
    """A JSON number kept as its text."""


def loads(line):
    """Parse a JSON line keeping numbers as their exact text."""
    return json.loads(line, parse_float=Num, parse_int=Num)


def is_delete(item):
    return str(item.get("@odata.context", "")).endswith("$deletedEntity")


class Schema:
    """The lake columns of a table, from its metadata, by the mapping table
    at the top of core/schema.c (written out independently here)."""

    def __init__(self, path, append_only=False):
        with open(path, encoding="utf-8") as f:
            self.meta = json.load(f)
        self.name = self.meta["LogicalName"]
        self.idattr = self.meta["PrimaryIdAttribute"]
        self.cols = [("Id", "id", "guid"), ("SinkCreatedOn", "sinkc", "dateTime"),
                     ("SinkModifiedOn", "sinkm", "dateTime")]
        self.has_createdon = False
        for a in self.meta["Attributes"]:
            at = a["AttributeType"]
            tn = (a.get("AttributeTypeName") or {}).get("Value")
            name = a["LogicalName"]
            if a.get("AttributeOf") or a.get("IsValidForRead") is False:
                continue
            if at == "Uniqueidentifier":
                self.cols.append((name, name, "guid"))
            elif at in ("Lookup", "Owner", "Customer"):
                self.cols.append((name, "_%s_value" % name, "guid"))
            elif at in ("String", "Memo", "EntityName"):
                self.cols.append((name, name, "string"))
            elif at in ("Integer", "BigInt", "Picklist", "State", "Status"):
                self.cols.append((name, name, "int64"))
            elif at in ("Decimal", "Money"):
                self.cols.append((name, name, "decimal"))
            elif at == "Double":
                self.cols.append((name, name, "double"))
            elif at == "Boolean":
                self.cols.append((name, name, "boolean"))
            elif at == "DateTime":
                if name == "createdon":
                    self.has_createdon = True
                    self.cols.append((name, name, "dateTimeOffset"))
                else:
                    self.cols.append((name, name, "dateTime"))
            elif at == "Virtual" and tn == "MultiSelectPicklistType":
                self.cols.append((name, name, "string"))
        self.append_only = append_only or not self.has_createdon
        if self.append_only:
            self.cols.append(("IsDelete", "isdelete", "boolean"))

    @property
    def names(self):
        return [c[0] for c in self.cols]

    def record(self, item, sink_c, sink_m, delete=False):
        """The CSV values (as csv.reader returns them) of one change."""
        out = []
        rid = (item["id"] if delete else item[self.idattr]).lower()
        for name, prop, typ in self.cols:
            if prop == "id":
                out.append(rid)
            elif prop == "sinkc":
                out.append(sink(sink_c))
            elif prop == "sinkm":
                out.append(sink(sink_m))
            elif prop == "isdelete":
                out.append("True" if delete else "")
            elif delete:
                out.append(rid if name == self.idattr else "")
            else:
                out.append(self.value(typ, name, item.get(prop)))
        return out

    @staticmethod
    def value(typ, name, v):
        if v is None:
            return ""
        if typ == "guid":
            return v.lower()
        if typ == "boolean":
            return "True" if v else "False"
        if typ == "dateTimeOffset":
            return fmt_createdon(v)
        if typ == "dateTime":
            return fmt_datetime(v)
        return str(v)

    def partition(self, item, by_month, now, old=None):
        """Partition name of an upsert (None for a delete: keeps old)."""
        c = item.get("createdon") if item is not None else None
        if c:
            dt, _ = iso_parts(c)
        elif old is not None:
            return old
        else:
            dt = datetime.datetime.fromtimestamp(now, datetime.timezone.utc)
        if by_month and not self.append_only:
            return "%04d-%02d" % (dt.year, dt.month)
        return "%04d" % dt.year


def version_of(item):
    v = item.get("versionnumber")
    if v is not None:
        return int(v)
    m = re.search(r'"([0-9]+)"', item.get("@odata.etag", ""))
    return int(m.group(1)) if m else 0


class Model:
    """A simple Python model of the documented semantics (lake-format.md
    §4.1, `lakectl ingest --help`): in place keeps the newest version of
    each row in the partition of its createdon; append-only appends every
    applied change; same or older versions are skipped."""

    def __init__(self, schema, by_month=False):
        self.s = schema
        self.by_month = by_month
        self.rows = {}      # id -> dict(version, part, item, sink_c, sink_m, deleted)
        self.appended = {}  # part -> [records]
        self.skipped = 0
        self.applied = 0

    def apply(self, item, now):
        delete = is_delete(item)
        rid = (item["id"] if delete else item[self.s.idattr]).lower()
        old = self.rows.get(rid)
        version = 0 if delete else version_of(item)
        if old is not None:
            if old["deleted"] and (delete or (version and version <= old["version"])):
                self.skipped += 1
                return
            if not old["deleted"] and not delete and version and version <= old["version"]:
                self.skipped += 1
                return
        if old is None and delete and not self.s.append_only:
            self.skipped += 1
            return
        part = self.s.partition(None if delete else item, self.by_month, now,
                                old["part"] if old else None)
        live_old = old is not None and not old["deleted"]
        sink_c = old["sink_c"] if (live_old and not self.s.append_only) else now
        self.applied += 1
        if self.s.append_only:
            self.appended.setdefault(part, []).append(
                self.s.record(item, now, now, delete))
        self.rows[rid] = {"version": (old["version"] if old else 0) if delete else version,
                          "part": part, "item": item, "sink_c": sink_c, "sink_m": now,
                          "deleted": delete}

    def expected(self):
        """{partition: [records]}: sorted record lists for in place, in
        order for append-only."""
        if self.s.append_only:
            return {p: list(r) for p, r in self.appended.items()}
        out = {}
        for rid, r in self.rows.items():
            if r["deleted"]:
                continue
            out.setdefault(r["part"], []).append(
                self.s.record(r["item"], r["sink_c"], r["sink_m"]))
        return {p: sorted(v) for p, v in out.items()}


# -- model.json validation ---------------------------------------------------
#
# The rules of Microsoft's model.json JSON schema (draft-07),
# https://github.com/microsoft/CDM/blob/master/docs/schema/modeljsonschema.json
# written out as code (the schema file itself is not copied here):
#  root: object; required name, version, entities; name string 1..256 chars
#    matching ^[^\s](.*[^\s])?$; description string <= 4000; version enum
#    ["1.0"]; application/culture/modifiedTime strings; isHidden boolean;
#    annotations array of annotation; entities array, each oneOf
#    localEntity / referenceEntity.
#  annotation: object, required name (1..256, ^[^\s](.*[^\s])?$), value string.
#  entity: required $type (enum LocalEntity, ReferenceEntity) and name
#    (1..256, ^[^\s]([^."]*[^\s])?$ - no '.' or '"'), description <= 4000,
#    annotations, isHidden boolean.
#  localEntity: entity + $type const LocalEntity, required attributes (array
#    of attribute), partitions array of partition, schemas array of strings.
#  attribute: required name (1..256, ^[^\s](.*[^\s])?$) and dataType enum
#    [unclassified string int64 double date time dateTime dateTimeOffset
#    decimal boolean guid json]; description <= 4000; annotations.
#  partition: required name (1..256, pattern as attribute); description
#    <= 4000; refreshTime string; location string, format uri; fileFormat-
#    Settings; isHidden boolean.
#  fileFormatSettings: required $type; oneOf [CsvFormatSettings].
#  CsvFormatSettings: $type const CsvFormatSettings, columnHeaders boolean,
#    delimiter string, quoteStyle enum [QuoteStyle.Csv QuoteStyle.None],
#    csvStyle enum [CsvStyle.QuoteAlways CsvStyle.QuoteAfterDelimiter].

NAME_RE = re.compile(r"^[^\s](.*[^\s])?$", re.S)
ENTITY_NAME_RE = re.compile(r'^[^\s]([^."]*[^\s])?$', re.S)
DATA_TYPES = {"unclassified", "string", "int64", "double", "date", "time", "dateTime",
              "dateTimeOffset", "decimal", "boolean", "guid", "json"}
URI_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$")


def _name(errs, where, v, pattern=NAME_RE):
    if not isinstance(v, str):
        errs.append("%s: name must be a string" % where)
    elif not (1 <= len(v) <= 256) or not pattern.match(v):
        errs.append("%s: name %r breaks the schema's length/pattern rule" % (where, v))


def _desc(errs, where, o):
    if "description" in o and (not isinstance(o["description"], str) or len(o["description"]) > 4000):
        errs.append("%s: description must be a string of at most 4000 chars" % where)


def _annotations(errs, where, o):
    if "annotations" not in o:
        return
    if not isinstance(o["annotations"], list):
        errs.append("%s: annotations must be an array" % where)
        return
    for i, a in enumerate(o["annotations"]):
        w = "%s.annotations[%d]" % (where, i)
        if not isinstance(a, dict) or "name" not in a:
            errs.append("%s: annotation needs a name" % w)
            continue
        _name(errs, w, a["name"])
        if "value" in a and not isinstance(a["value"], str):
            errs.append("%s: annotation value must be a string" % w)


def _bool(errs, where, o, key):
    if key in o and not isinstance(o[key], bool):
        errs.append("%s: %s must be a boolean" % (where, key))


def validate_model(doc):
    """Errors (list of str) of @doc against the model.json schema rules."""
    errs = []
    if not isinstance(doc, dict):
        return ["root: must be an object"]
    for k in ("name", "version", "entities"):
        if k not in doc:
            errs.append("root: required key %r missing" % k)
    if "name" in doc:
        _name(errs, "root", doc["name"])
    _desc(errs, "root", doc)
    if "version" in doc and doc["version"] != "1.0":
        errs.append("root: version must be \"1.0\"")
    for k in ("application", "culture", "modifiedTime"):
        if k in doc and not isinstance(doc[k], str):
            errs.append("root: %s must be a string" % k)
    _bool(errs, "root", doc, "isHidden")
    _annotations(errs, "root", doc)
    ents = doc.get("entities", [])
    if not isinstance(ents, list):
        return errs + ["root: entities must be an array"]
    for i, e in enumerate(ents):
        w = "entities[%d]" % i
        if not isinstance(e, dict):
            errs.append("%s: must be an object" % w)
            continue
        if "$type" not in e or "name" not in e:
            errs.append("%s: required $type/name missing" % w)
        if e.get("$type") != "LocalEntity":
            errs.append("%s: $type must be LocalEntity" % w)
        if "name" in e:
            _name(errs, w, e["name"], ENTITY_NAME_RE)
        _desc(errs, w, e)
        _annotations(errs, w, e)
        _bool(errs, w, e, "isHidden")
        if not isinstance(e.get("attributes"), list):
            errs.append("%s: attributes (array) required for a LocalEntity" % w)
        for j, a in enumerate(e.get("attributes") or []):
            wa = "%s.attributes[%d]" % (w, j)
            if not isinstance(a, dict) or "name" not in a or "dataType" not in a:
                errs.append("%s: required name/dataType missing" % wa)
                continue
            _name(errs, wa, a["name"])
            _desc(errs, wa, a)
            _annotations(errs, wa, a)
            if a["dataType"] not in DATA_TYPES:
                errs.append("%s: dataType %r not in the schema's enum" % (wa, a["dataType"]))
        if "partitions" in e and not isinstance(e["partitions"], list):
            errs.append("%s: partitions must be an array" % w)
        for j, p in enumerate(e.get("partitions") or []):
            wp = "%s.partitions[%d]" % (w, j)
            if not isinstance(p, dict) or "name" not in p:
                errs.append("%s: required name missing" % wp)
                continue
            _name(errs, wp, p["name"])
            _desc(errs, wp, p)
            _bool(errs, wp, p, "isHidden")
            if "refreshTime" in p and not isinstance(p["refreshTime"], str):
                errs.append("%s: refreshTime must be a string" % wp)
            if "location" in p and (not isinstance(p["location"], str) or not URI_RE.match(p["location"])):
                errs.append("%s: location must be a URI" % wp)
            if "fileFormatSettings" in p:
                f = p["fileFormatSettings"]
                if not isinstance(f, dict) or f.get("$type") != "CsvFormatSettings":
                    errs.append("%s: fileFormatSettings must be CsvFormatSettings" % wp)
                    continue
                if "columnHeaders" in f and not isinstance(f["columnHeaders"], bool):
                    errs.append("%s: columnHeaders must be a boolean" % wp)
                if "delimiter" in f and not isinstance(f["delimiter"], str):
                    errs.append("%s: delimiter must be a string" % wp)
                if "quoteStyle" in f and f["quoteStyle"] not in ("QuoteStyle.Csv", "QuoteStyle.None"):
                    errs.append("%s: quoteStyle %r not in enum" % (wp, f["quoteStyle"]))
                if "csvStyle" in f and f["csvStyle"] not in ("CsvStyle.QuoteAlways", "CsvStyle.QuoteAfterDelimiter"):
                    errs.append("%s: csvStyle %r not in enum" % (wp, f["csvStyle"]))
    return errs


def main(argv=None):
    """unittest.main that also accepts being run from meson with a test id."""
    require_lakectl()
    unittest.main(module="__main__", argv=argv, verbosity=2)


# -- the golden scenario -------------------------------------------------------
# Times chosen for the Sink date format's edge cases: noon, after midnight,
# the last second of a year, single- and double-digit months and days.
T1 = 1615032005  # 2021-03-06T12:00:05Z -> 3/6/2021 12:00:05 PM
T2 = 1637626029  # 2021-11-23T00:07:09Z -> 11/23/2021 12:07:09 AM
T3 = 1640995199  # 2021-12-31T23:59:59Z -> 12/31/2021 11:59:59 PM
T4 = 1641027900  # 2022-01-01T09:05:00Z -> 1/1/2022 9:05:00 AM
T5 = 1641027960  # 2022-01-01T09:06:00Z

TABLES = [  # name, append-only, by month
    ("lv_widget", False, False),
    ("lv_gizmo", False, True),
    ("lv_event", True, False),
]

SCENARIO = [
    ("ingest", "lv_widget", "lv_widget.1.jsonl", T1),
    ("ingest", "lv_gizmo", "lv_gizmo.1.jsonl", T1),
    ("ingest", "lv_event", "lv_event.1.jsonl", T1),
    ("snapshot", T1),
    ("ingest", "lv_widget", "lv_widget.2.jsonl", T2),
    ("ingest", "lv_gizmo", "lv_gizmo.2.jsonl", T2),
    ("ingest", "lv_event", "lv_event.2.jsonl", T2),
    ("snapshot", T2),
    ("ingest", "lv_widget", "lv_widget.3.jsonl", T3),
    ("snapshot", T4),
    ("ingest", "lv_event", "lv_event.3.jsonl", T5),
]


def build_scenario(lake):
    """Run the golden scenario on a linked Lake.  Returns (transcript,
    {table: Model}) - the commands' outputs, and the Python model of what
    the lake must hold."""
    out = []
    models = {}
    for name, append_only, month in TABLES:
        out.append("$ tables add %s%s%s" % (name, " --append-only" if append_only else "",
                                            " --partition month" if month else ""))
        out.append(lake.add(name, append_only=append_only, month=month, now=T0).rstrip("\n"))
        models[name] = Model(Schema(fixture(name + ".schema.json"), append_only), month)
    for step in SCENARIO:
        if step[0] == "ingest":
            _, table, fname, now = step
            out.append("$ LAKEVIEW_NOW=%d ingest %s %s" % (now, table, fname))
            out.append(lake.ingest(table, fixture(fname), now=now).rstrip("\n"))
            with open(fixture(fname), encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        models[table].apply(loads(line), now)
        else:
            out.append("$ LAKEVIEW_NOW=%d snapshot" % step[1])
            out.append(lake.snapshot(now=step[1]).rstrip("\n"))
    return "\n".join(out) + "\n", models
