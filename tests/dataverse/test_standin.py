#!/usr/bin/env python3
"""Self-test of the Dataverse stand-in (tests/dataverse/standin.py).

Runs the server as a subprocess on a free port (READY line), talks to it with
http.client, and always stops it by PID.  python3 standard library only:

    python3 tests/dataverse/test_standin.py [-v]
"""

import gzip
import http.client
import json
import os
import re
import select
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
STANDIN = os.path.join(HERE, "standin.py")
TENANT = "00000000-0000-0000-0000-000000000001"
GUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
DT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

ACC = ["aaaaaaaa-0000-4000-8000-%012d" % i for i in range(1, 40)]
CON = ["cccccccc-0000-4000-8000-%012d" % i for i in range(1, 10)]
OWNER = "0b0b0b0b-0000-4000-8000-000000000001"
CURRENCY = "cu000000-0000-4000-8000-000000000001".replace("u", "0")

ORG = {
    "start_version": 5000,
    "tables": [
        {"LogicalName": "account", "EntitySetName": "accounts", "PrimaryNameAttribute": "name",
         "DisplayName": "Account",
         "Attributes": [
             {"LogicalName": "accountid", "AttributeType": "Uniqueidentifier"},
             {"LogicalName": "name", "AttributeType": "String", "MaxLength": 160},
             {"LogicalName": "description", "AttributeType": "Memo"},
             {"LogicalName": "numberofemployees", "AttributeType": "Integer"},
             {"LogicalName": "lv_bignum", "AttributeType": "BigInt"},
             {"LogicalName": "revenue", "AttributeType": "Money"},
             {"LogicalName": "exchangerate", "AttributeType": "Decimal", "Precision": 10},
             {"LogicalName": "address1_latitude", "AttributeType": "Double", "Precision": 5},
             {"LogicalName": "creditonhold", "AttributeType": "Boolean"},
             {"LogicalName": "lv_contractstart", "AttributeType": "DateTime",
              "DateTimeBehavior": "DateOnly"},
             {"LogicalName": "industrycode", "AttributeType": "Picklist",
              "OptionSet": {"Name": "account_industrycode", "IsGlobal": False,
                            "Options": [{"Value": 1, "Label": "Accounting"},
                                        {"Value": 2, "Label": "Agriculture"}]}},
             {"LogicalName": "statecode", "AttributeType": "State"},
             {"LogicalName": "statecodename", "AttributeType": "Virtual", "AttributeOf": "statecode"},
             {"LogicalName": "statuscode", "AttributeType": "Status"},
             {"LogicalName": "primarycontactid", "AttributeType": "Lookup", "Targets": ["contact"]},
             {"LogicalName": "transactioncurrencyid", "AttributeType": "Lookup",
              "Targets": ["transactioncurrency"]},
             {"LogicalName": "ownerid", "AttributeType": "Owner"},
             {"LogicalName": "owneridname", "AttributeType": "String", "AttributeOf": "ownerid"},
             {"LogicalName": "isprivate", "AttributeType": "Boolean", "IsValidForRead": False},
         ],
         "rows": [
             {"accountid": ACC[0], "name": "Contoso, Ltd.", "description": "line 1\nline 2\r\nend",
              "numberofemployees": 120, "lv_bignum": 9007199254740993, "revenue": 20000,
              "exchangerate": 1, "address1_latitude": 47.64, "creditonhold": False,
              "lv_contractstart": "2024-03-15", "industrycode": 1, "statecode": 0, "statuscode": 1,
              "_primarycontactid_value": CON[0], "transactioncurrencyid": CURRENCY,
              "ownerid": OWNER, "createdon": "2019-05-01T10:00:00Z"},
             {"accountid": ACC[1], "name": '"Fabrikam" West', "createdon": "2021-07-02T00:00:00Z"},
             {"accountid": ACC[2], "name": "Café 日本", "createdon": "2025-12-31T23:59:59Z"},
         ]},
        {"LogicalName": "contact", "PrimaryNameAttribute": "fullname",
         "Attributes": [
             {"LogicalName": "fullname", "AttributeType": "String"},
             {"LogicalName": "birthdate", "AttributeType": "DateTime", "DateTimeBehavior": "DateOnly"},
             {"LogicalName": "parentcustomerid", "AttributeType": "Customer",
              "Targets": ["account", "contact"]},
         ],
         "rows": [{"contactid": CON[0], "fullname": "Zoë Müller", "birthdate": "1980-02-29",
                   "parentcustomerid": ACC[0]}]},
        {"LogicalName": "task", "PrimaryIdAttribute": "activityid",
         "PrimaryNameAttribute": "subject", "ChangeTrackingEnabled": False,
         "Attributes": [{"LogicalName": "subject", "AttributeType": "String"}],
         "rows": [{"subject": "Call back"}]},
    ],
}


class StandIn:
    """The server as a subprocess; stop() kills exactly the PID it started."""

    def __init__(self, *args, timeout=60):
        self.errf = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, STANDIN, "--port", "0"] + list(args),
                                     stdout=subprocess.PIPE, stderr=self.errf, text=True)
        try:
            ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
            line = self.proc.stdout.readline() if ready else ""
            m = re.match(r"^READY (https?)://127\.0\.0\.1:(\d+)\n$", line)
            if not m:
                raise RuntimeError("no READY line (got %r); stderr: %s" % (line, self.stderr()))
        except BaseException:
            self.stop()
            raise
        self.scheme, self.port = m.group(1), int(m.group(2))
        self.base = "%s://127.0.0.1:%d" % (self.scheme, self.port)

    def stderr(self):
        self.errf.seek(0)
        return self.errf.read().decode("utf-8", "replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()          # SIGTERM to our own child's PID
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.proc.stdout:
            self.proc.stdout.close()
        self.errf.close()
        return self.proc.returncode

    # -- HTTP helpers -------------------------------------------------------
    def conn(self):
        if self.scheme == "https":
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=30, context=ctx)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def request(self, method, url, headers=None, body=None, conn=None):
        """-> (status, {lower-case header: value}, body bytes)."""
        parts = urlsplit(url)
        if parts.scheme:
            self_url = urlsplit(self.base)
            assert parts.netloc == self_url.netloc, "link points elsewhere: %s" % url
            url = parts.path + ("?" + parts.query if parts.query else "")
        c = conn or self.conn()
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
            c.request(method, url, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            if conn is None:
                c.close()

    def admin(self, method, path, obj=None):
        st, _, data = self.request(method, "/admin/" + path, {"Content-Type": "application/json"},
                                   obj if obj is not None else None)
        return st, json.loads(data) if data else None

    def token_request(self, **form):
        body = urlencode(form)
        return self.request("POST", "/%s/oauth2/v2.0/token" % form.pop("_tenant", TENANT),
                            {"Content-Type": "application/x-www-form-urlencoded"}, body)

    def token(self):
        st, _, data = self.token_request(grant_type="client_credentials", client_id="lakeview-test",
                                         client_secret="s3cret-value", scope=self.base + "/.default")
        assert st == 200, data
        return json.loads(data)["access_token"]

    def api(self, path, token, prefer=None, extra=None, conn=None):
        h = {"Authorization": "Bearer " + token, "Accept": "application/json",
             "OData-Version": "4.0", "OData-MaxVersion": "4.0"}
        if prefer:
            h["Prefer"] = prefer
        h.update(extra or {})
        url = path if "://" in path else "/api/data/v9.2/" + path
        st, hd, data = self.request("GET", url, h, conn=conn)
        return st, hd, data

    def api_json(self, path, token, prefer=None, extra=None):
        st, hd, data = self.api(path, token, prefer, extra)
        return st, hd, json.loads(data) if data else None

    def sync(self, path, token, pagesize=None):
        """Follow nextLinks; -> (pages, all values, deltaLink)."""
        prefer = "odata.track-changes" + (",odata.maxpagesize=%d" % pagesize if pagesize else "")
        pages, values = [], []
        url = path
        while True:
            st, _, d = self.api_json(url, token, prefer)
            assert st == 200, d
            pages.append(d)
            values.extend(d["value"])
            if "@odata.nextLink" in d:
                assert "@odata.deltaLink" not in d
                url = d["@odata.nextLink"]
                continue
            return pages, values, d["@odata.deltaLink"]


class StandInTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="standin-test-")
        cls.org_file = os.path.join(cls.tmp, "org.json")
        with open(cls.org_file, "w", encoding="utf-8") as fh:
            json.dump(ORG, fh, ensure_ascii=False)
        cls.s = StandIn("--org", cls.org_file)

    @classmethod
    def tearDownClass(cls):
        rc = cls.s.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        assert rc == 0, "stand-in exited with %r on SIGTERM" % rc

    def setUp(self):
        st, _ = self.s.admin("POST", "reset")
        self.assertEqual(st, 200)
        self.tok = self.s.token()

    def upsert(self, table, rows):
        st, d = self.s.admin("POST", "tables/%s/rows" % table, {"rows": rows})
        self.assertEqual(st, 200, d)
        return d

    def error_code(self, data):
        return json.loads(data)["error"]["code"]

    # -- token endpoint -----------------------------------------------------
    def test_token_flow(self):
        s = self.s
        st, hd, data = s.token_request(grant_type="client_credentials", client_id="lakeview-test",
                                       client_secret="s3cret-value", scope=s.base + "/.default")
        self.assertEqual(st, 200)
        d = json.loads(data)
        self.assertEqual(d["token_type"], "Bearer")
        self.assertEqual(d["expires_in"], 3599)
        self.assertEqual(d["ext_expires_in"], 3599)
        self.assertEqual(d["access_token"].count("."), 2)
        st, _, _ = s.api("accounts", d["access_token"], "odata.track-changes")
        self.assertEqual(st, 200)

        def err(form, status, error, code):
            st, _, data = s.token_request(**form)
            self.assertEqual(st, status, data)
            e = json.loads(data)
            self.assertEqual(e["error"], error)
            self.assertEqual(e["error_codes"], [code])
            for k in ("error_description", "timestamp", "trace_id", "correlation_id"):
                self.assertIn(k, e)
        good = dict(grant_type="client_credentials", client_id="lakeview-test",
                    client_secret="s3cret-value", scope=s.base + "/.default")
        err(dict(good, client_secret="wrong"), 401, "invalid_client", 7000215)
        err(dict(good, client_id="nobody"), 400, "unauthorized_client", 700016)
        err(dict(good, scope="https://other.crm.dynamics.com/.default"), 400, "invalid_resource",
            500011)
        err(dict(good, scope=s.base), 400, "invalid_scope", 1002012)
        err(dict(good, grant_type="password"), 400, "unsupported_grant_type", 70003)
        err({k: v for k, v in good.items() if k != "scope"}, 400, "invalid_request", 90014)
        err(dict(good, _tenant="11111111-1111-1111-1111-111111111111"), 400, "invalid_request",
            90002)
        # client secret in HTTP Basic auth instead of the form
        import base64
        basic = base64.b64encode(b"lakeview-test:s3cret-value").decode()
        st, _, data = s.request("POST", "/%s/oauth2/v2.0/token" % TENANT,
                                {"Content-Type": "application/x-www-form-urlencoded",
                                 "Authorization": "Basic " + basic},
                                urlencode({"grant_type": "client_credentials",
                                           "scope": s.base + "/.default"}))
        self.assertEqual(st, 200, data)

    def test_token_lifetime_and_expiry(self):
        s = self.s
        st, cfg = s.admin("POST", "config", {"token_lifetime": 60})
        self.assertEqual(cfg["token_lifetime"], 60)
        tok = s.token()
        self.assertEqual(s.api("accounts", tok)[0], 200)
        s.admin("POST", "clock", {"advance_seconds": 61})
        st, hd, data = s.api("accounts", tok)
        self.assertEqual(st, 401)
        self.assertIn("expired", json.loads(data)["error"]["message"])
        self.assertEqual(s.api("accounts", s.token())[0], 200)

    def test_401_without_or_with_bad_token(self):
        for hdrs in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic eDp5"}):
            st, hd, data = self.s.request("GET", "/api/data/v9.2/accounts", hdrs)
            self.assertEqual(st, 401)
            self.assertTrue(hd["www-authenticate"].startswith(
                "Bearer authorization_uri=%s/%s/oauth2/authorize" % (self.s.base, TENANT)))
            e = json.loads(data)["error"]
            self.assertEqual(e["code"], "0x80048306")
            self.assertTrue(e["message"])
        st, _, _ = self.s.request("GET", "/api/data/v9.2/EntityDefinitions")
        self.assertEqual(st, 401)
        st, _ = self.s.admin("POST", "tokens/revoke")
        self.assertEqual(self.s.api("accounts", self.tok)[0], 401)

    # -- metadata -----------------------------------------------------------
    def test_metadata_list_filter_select(self):
        st, _, d = self.s.api_json("EntityDefinitions?$select=LogicalName,EntitySetName,"
                                   "PrimaryIdAttribute,ChangeTrackingEnabled"
                                   "&$filter=ChangeTrackingEnabled%20eq%20true", self.tok)
        self.assertEqual(st, 200)
        self.assertIn("$metadata#EntityDefinitions(LogicalName,EntitySetName,", d["@odata.context"])
        names = sorted(e["LogicalName"] for e in d["value"])
        self.assertEqual(names, ["account", "contact"])
        for e in d["value"]:
            self.assertEqual(set(e), {"LogicalName", "EntitySetName", "PrimaryIdAttribute",
                                      "ChangeTrackingEnabled", "MetadataId"})
        c = [e for e in d["value"] if e["LogicalName"] == "contact"][0]
        self.assertEqual((c["EntitySetName"], c["PrimaryIdAttribute"]), ("contacts", "contactid"))
        # everything, unknown filter clauses are ignored rather than failing
        st, _, d = self.s.api_json("EntityDefinitions", self.tok)
        self.assertEqual(len(d["value"]), 3)
        st, _, d = self.s.api_json("EntityDefinitions?$filter=startswith(LogicalName,'a')%20and%20"
                                   "ChangeTrackingEnabled%20eq%20false", self.tok)
        self.assertEqual(st, 200)
        self.assertEqual([e["LogicalName"] for e in d["value"]], ["task"])
        st, _, d = self.s.api_json("EntityDefinitions?$filter=CanChangeTrackingBeEnabled/Value"
                                   "%20eq%20true%20and%20IsCustomEntity%20eq%20false", self.tok)
        self.assertEqual(len(d["value"]), 3)
        st, _, d = self.s.api_json("EntityDefinitions?$filter=((((", self.tok)
        self.assertEqual(st, 200)
        st, _, d = self.s.api_json("EntityDefinitions?$select=Nope", self.tok)
        self.assertEqual(st, 400)

    def test_metadata_entity_shape(self):
        st, _, d = self.s.api_json("EntityDefinitions(LogicalName='account')", self.tok)
        self.assertEqual(st, 200)
        self.assertTrue(d["@odata.context"].endswith("$metadata#EntityDefinitions/$entity"))
        for k, v in {"LogicalName": "account", "EntitySetName": "accounts",
                     "PrimaryIdAttribute": "accountid", "PrimaryNameAttribute": "name",
                     "ChangeTrackingEnabled": True}.items():
            self.assertEqual(d[k], v)
        self.assertTrue(GUID_RE.match(d["MetadataId"]))
        self.assertEqual(d["CanChangeTrackingBeEnabled"]["Value"], True)
        self.assertEqual(d["DisplayName"]["UserLocalizedLabel"]["Label"], "Account")
        self.assertNotIn("Attributes", d)

        st, _, d = self.s.api_json("EntityDefinitions(LogicalName='account')?$expand=Attributes",
                                   self.tok)
        attrs = {a["LogicalName"]: a for a in d["Attributes"]}
        for a in attrs.values():
            for k in ("MetadataId", "AttributeType", "AttributeTypeName", "AttributeOf",
                      "IsValidForRead", "LogicalName", "SchemaName", "EntityLogicalName"):
                self.assertIn(k, a)
        self.assertEqual(attrs["name"]["@odata.type"], "#Microsoft.Dynamics.CRM.StringAttributeMetadata")
        self.assertEqual(attrs["name"]["AttributeTypeName"], {"Value": "StringType"})
        self.assertEqual(attrs["name"]["MaxLength"], 160)
        self.assertTrue(attrs["name"]["IsPrimaryName"])
        self.assertTrue(attrs["accountid"]["IsPrimaryId"])
        self.assertEqual(attrs["accountid"]["AttributeType"], "Uniqueidentifier")
        self.assertEqual(attrs["revenue"]["Precision"], 2)
        self.assertEqual(attrs["exchangerate"]["Precision"], 10)
        self.assertEqual(attrs["lv_contractstart"]["DateTimeBehavior"], {"Value": "DateOnly"})
        self.assertEqual(attrs["createdon"]["DateTimeBehavior"], {"Value": "UserLocal"})
        self.assertEqual(attrs["versionnumber"]["AttributeType"], "BigInt")
        self.assertEqual(attrs["primarycontactid"]["Targets"], ["contact"])
        self.assertEqual(attrs["ownerid"]["AttributeType"], "Owner")
        self.assertEqual(attrs["ownerid"]["Targets"], ["systemuser", "team"])
        self.assertEqual(attrs["owneridname"]["AttributeOf"], "ownerid")
        self.assertEqual(attrs["statecodename"]["AttributeType"], "Virtual")
        self.assertFalse(attrs["isprivate"]["IsValidForRead"])
        os_ = attrs["industrycode"]["OptionSet"]
        self.assertEqual((os_["Name"], os_["IsGlobal"]), ("account_industrycode", False))
        opt = os_["Options"][0]
        self.assertEqual(opt["Value"], 1)
        self.assertEqual(opt["Label"]["LocalizedLabels"][0], dict(
            opt["Label"]["LocalizedLabels"][0], Label="Accounting", LanguageCode=1033))
        self.assertEqual(opt["Label"]["UserLocalizedLabel"]["Label"], "Accounting")
        st_opts = attrs["statuscode"]["OptionSet"]["Options"]
        self.assertEqual([(o["Value"], o["State"]) for o in st_opts], [(1, 0), (2, 1)])
        self.assertEqual([o["Value"] for o in attrs["statecode"]["OptionSet"]["Options"]], [0, 1])
        # attribute collection, type cast, single attribute, $select in expand
        st, _, d = self.s.api_json("EntityDefinitions(LogicalName='account')/Attributes/"
                                   "Microsoft.Dynamics.CRM.DateTimeAttributeMetadata"
                                   "?$select=LogicalName,DateTimeBehavior", self.tok)
        self.assertEqual(sorted(a["LogicalName"] for a in d["value"]),
                         ["createdon", "lv_contractstart", "modifiedon"])
        st, _, d = self.s.api_json("EntityDefinitions(LogicalName='contact')?$expand=Attributes("
                                   "$select=LogicalName,AttributeType)", self.tok)
        a = [x for x in d["Attributes"] if x["LogicalName"] == "parentcustomerid"][0]
        self.assertEqual(a["AttributeType"], "Customer")
        self.assertNotIn("Targets", a)
        st, _, d = self.s.api_json("EntityDefinitions(LogicalName='contact')/Attributes("
                                   "LogicalName='birthdate')", self.tok)
        self.assertEqual(d["DateTimeBehavior"]["Value"], "DateOnly")

    def test_metadata_unknown_table(self):
        st, _, data = self.s.api("EntityDefinitions(LogicalName='nope')", self.tok)
        self.assertEqual(st, 404)
        self.assertEqual(self.error_code(data), "0x80040217")
        st, _, data = self.s.api("nopes", self.tok, "odata.track-changes")
        self.assertEqual(st, 404)
        self.assertIn("error", json.loads(data))

    # -- data: rows -----------------------------------------------------------
    def test_row_values(self):
        st, hd, d = self.s.api_json("accounts", self.tok, "odata.track-changes")
        self.assertEqual(st, 200)
        self.assertEqual(hd["odata-version"], "4.0")
        self.assertIn("odata.track-changes", hd["preference-applied"])
        self.assertTrue(hd["content-type"].startswith("application/json"))
        self.assertEqual(d["@odata.context"], self.s.base + "/api/data/v9.2/$metadata#accounts")
        rows = {r["accountid"]: r for r in d["value"]}
        r = rows[ACC[0]]
        self.assertEqual(r["@odata.etag"], 'W/"%d"' % r["versionnumber"])
        self.assertEqual(r["name"], "Contoso, Ltd.")
        self.assertEqual(r["description"], "line 1\nline 2\r\nend")
        self.assertEqual(r["numberofemployees"], 120)
        self.assertEqual(r["lv_bignum"], 9007199254740993)
        self.assertEqual(r["revenue"], 20000)
        self.assertIsInstance(r["revenue"], float)
        self.assertIsInstance(r["address1_latitude"], float)
        self.assertIs(r["creditonhold"], False)
        self.assertEqual(r["lv_contractstart"], "2024-03-15")
        self.assertEqual(r["createdon"], "2019-05-01T10:00:00Z")
        self.assertTrue(DT_RE.match(r["modifiedon"]))
        self.assertEqual((r["industrycode"], r["statecode"], r["statuscode"]), (1, 0, 1))
        self.assertEqual(r["_primarycontactid_value"], CON[0])
        self.assertEqual(r["_ownerid_value"], OWNER)
        self.assertEqual(r["_transactioncurrencyid_value"], CURRENCY)
        for k in ("primarycontactid", "ownerid", "owneridname", "statecodename", "isprivate"):
            self.assertNotIn(k, r)
        self.assertIsNone(rows[ACC[1]]["_primarycontactid_value"])
        self.assertEqual(rows[ACC[1]]["name"], '"Fabrikam" West')
        self.assertEqual(rows[ACC[2]]["name"], "Café 日本")
        self.assertIn("Café 日本".encode("utf-8"), self.s.api("accounts", self.tok)[2])
        st, _, d = self.s.api_json("contacts", self.tok, "odata.track-changes")
        c = d["value"][0]
        self.assertEqual((c["birthdate"], c["_parentcustomerid_value"]), ("1980-02-29", ACC[0]))
        self.assertEqual(c["fullname"], "Zoë Müller")
        # single row and $count
        st, _, d = self.s.api_json("accounts(%s)?$select=name" % ACC[2], self.tok)
        self.assertEqual((st, d["name"], d["accountid"]), (200, "Café 日本", ACC[2]))
        st, _, data = self.s.api("accounts/$count", self.tok)
        self.assertEqual((st, data), (200, b"3"))

    def test_select(self):
        st, _, d = self.s.api_json("accounts?$select=name,revenue", self.tok,
                                   "odata.track-changes")
        self.assertEqual(st, 200)
        self.assertEqual(d["@odata.context"],
                         self.s.base + "/api/data/v9.2/$metadata#accounts(name,revenue)")
        for r in d["value"]:
            self.assertEqual(list(r), ["@odata.etag", "name", "revenue",
                                       "_transactioncurrencyid_value", "accountid"])
        self.assertIn("$select=name,revenue&$deltatoken=", d["@odata.deltaLink"])
        st, _, data = self.s.api("accounts?$select=name,primarycontactid", self.tok,
                                 "odata.track-changes")
        self.assertEqual(st, 400)
        self.assertEqual(self.error_code(data), "0x80060888")
        st, _, data = self.s.api("accounts?$select=statecodename", self.tok, "odata.track-changes")
        self.assertEqual(st, 400)
        st, _, d = self.s.api_json("accounts?$select=_primarycontactid_value,versionnumber",
                                   self.tok, "odata.track-changes")
        self.assertEqual(list(d["value"][0]), ["@odata.etag", "_primarycontactid_value",
                                               "versionnumber", "accountid"])

    # -- change tracking ------------------------------------------------------
    def test_initial_sync_paging_and_stability(self):
        s = self.s
        self.upsert("accounts", [{"accountid": ACC[i], "name": "Row %d" % i} for i in range(3, 25)])
        # 25 rows, page size 10 -> 3 pages
        st, hd, p1 = s.api_json("accounts?$select=name", self.tok,
                                "odata.track-changes,odata.maxpagesize=10")
        self.assertEqual(st, 200)
        self.assertIn("odata.maxpagesize=10", hd["preference-applied"])
        self.assertEqual(len(p1["value"]), 10)
        self.assertNotIn("@odata.deltaLink", p1)
        nl = p1["@odata.nextLink"]
        self.assertTrue(nl.startswith(s.base + "/api/data/v9.2/accounts?$select=name&$skiptoken="))
        # change the table between page requests: the snapshot must not move
        st, all_rows = s.admin("GET", "tables/account/rows")
        last = all_rows["rows"][-1]
        mid = all_rows["rows"][12]
        self.upsert("account", [{"accountid": last["accountid"], "name": "changed"},
                                {"accountid": ACC[30], "name": "brand new"}])
        s.admin("DELETE", "tables/account/rows", {"ids": [mid["accountid"]]})
        pages, values = [p1], list(p1["value"])
        url = nl
        while True:
            # later pages work with or without the Prefer header
            st, _, d = s.api_json(url, self.tok, None if len(pages) == 1 else
                                  "odata.track-changes,odata.maxpagesize=10")
            self.assertEqual(st, 200, d)
            pages.append(d)
            values.extend(d["value"])
            if "@odata.nextLink" in d:
                self.assertNotIn("@odata.deltaLink", d)
                url = d["@odata.nextLink"]
            else:
                break
        self.assertEqual([len(p["value"]) for p in pages], [10, 10, 5])
        self.assertEqual([r["accountid"] for r in values],
                         [r["accountid"] for r in all_rows["rows"]])
        versions = [int(r["@odata.etag"][3:-1]) for r in values]
        self.assertEqual(versions, sorted(versions))
        self.assertEqual(values[-1]["name"], last["name"])     # old state: snapshot
        dl = pages[-1]["@odata.deltaLink"]
        m = re.search(r"\$deltatoken=(\d+)%21(\d\d)%2f(\d\d)%2f(\d{4})%20(\d\d)%3a(\d\d)%3a(\d\d)$", dl)
        self.assertTrue(m, dl)
        self.assertEqual(int(m.group(1)), all_rows["version"])
        # retrying a page of the snapshot returns the same bytes
        a = s.api(nl, self.tok)[2]
        b = s.api(nl, self.tok)[2]
        self.assertEqual(a, b)
        # the delta shows exactly what changed after the snapshot
        st, _, d = s.api_json(dl, self.tok)
        self.assertEqual(st, 200)
        self.assertTrue(d["@odata.context"].endswith("$metadata#accounts(name)/$delta"))
        ups = [r for r in d["value"] if "reason" not in r]
        dels = [r for r in d["value"] if "reason" in r]
        self.assertEqual([r["accountid"] for r in ups], [last["accountid"], ACC[30]])
        self.assertEqual(ups[0]["name"], "changed")
        self.assertEqual(dels, [{"@odata.context": s.base + "/api/data/v9.2/$metadata#accounts/"
                                 "$deletedEntity", "id": mid["accountid"], "reason": "deleted"}])
        self.assertEqual(d["value"][-1], dels[0])    # upserts first, then deletes

    def test_delta_paging_tombstones_and_empty_delta(self):
        s = self.s
        _, _, dl = s.sync("accounts", self.tok)
        # several updates of one row -> latest state once; a create+delete -> tombstone only
        self.upsert("account", [{"accountid": ACC[0], "name": "v2"}])
        self.upsert("account", [{"accountid": ACC[0], "name": "v3", "numberofemployees": 7}])
        self.upsert("account", [{"accountid": ACC[i], "name": "new %d" % i} for i in range(5, 13)])
        s.admin("POST", "tables/account/rows/delete", {"ids": [ACC[1], ACC[12]]})
        pages, values, dl2 = s.sync(dl, self.tok, pagesize=4)
        self.assertEqual([len(p["value"]) for p in pages], [4, 4, 2])
        for p in pages[:-1]:
            self.assertIn("@odata.nextLink", p)
            self.assertNotIn("@odata.deltaLink", p)
            self.assertTrue(p["@odata.context"].endswith("/$delta"))
        ups = [r for r in values if "reason" not in r]
        dels = [r["id"] for r in values if r.get("reason") == "deleted"]
        self.assertEqual([r["accountid"] for r in ups], [ACC[0]] + ACC[5:12])
        self.assertEqual((ups[0]["name"], ups[0]["numberofemployees"], ups[0]["revenue"]),
                         ("v3", 7, 20000.0))         # merge keeps untouched columns
        self.assertEqual(dels, [ACC[1], ACC[12]])
        versions = [r["versionnumber"] for r in ups]
        self.assertEqual(versions, sorted(versions))
        # nothing changed -> empty value and a fresh deltaLink
        st, _, d = s.api_json(dl2, self.tok, "odata.track-changes")
        self.assertEqual((st, d["value"]), (200, []))
        self.assertIn("$deltatoken=", d["@odata.deltaLink"])
        # Airbyte style: rebuild <set>?$deltatoken=<decoded token>
        tok = unquote(parse_qs(urlsplit(dl2).query)["$deltatoken"][0])
        self.assertTrue(re.match(r"^\d+!\d\d/\d\d/\d{4} \d\d:\d\d:\d\d$", tok), tok)
        self.upsert("account", [{"accountid": ACC[1], "name": "re-created"}])
        st, _, d = s.api_json("accounts?$deltatoken=" + quote(tok, safe=""), self.tok,
                              "odata.track-changes,odata.maxpagesize=100")
        self.assertEqual(st, 200)
        self.assertEqual([(r.get("accountid"), r.get("reason")) for r in d["value"]],
                         [(ACC[1], None)])

    def test_expired_delta_token(self):
        s = self.s
        _, _, dl = s.sync("accounts", self.tok)
        self.assertEqual(s.api(dl, self.tok)[0], 200)
        # retention: token older than 7 days
        s.admin("POST", "clock", {"advance_seconds": 8 * 86400})
        tok = s.token()                                  # the bearer token expired too
        st, _, data = s.api(dl, tok)
        self.assertEqual(st, 400)
        e = json.loads(data)["error"]
        self.assertEqual(e["code"], "0x80044352")
        self.assertEqual(e["message"], "Version stamp associated with the client has expired. "
                                       "Please perform a full sync.")
        # a full sync gives a working token again; retention is configurable
        _, _, dl = s.sync("accounts", tok)
        self.assertEqual(s.api(dl, tok)[0], 200)
        s.admin("POST", "config", {"retention_seconds": 60})
        s.admin("POST", "clock", {"advance_seconds": 61})
        self.assertEqual(s.api(dl, tok)[0], 400)
        # garbage token
        st, _, data = s.api("accounts?$deltatoken=garbage", tok, "odata.track-changes")
        self.assertEqual(st, 400)

    def test_change_tracking_off(self):
        st, _, data = self.s.api("tasks", self.tok, "odata.track-changes")
        self.assertEqual(st, 400)
        e = json.loads(data)["error"]
        self.assertEqual(e["code"], "0x80072491")
        self.assertEqual(e["message"], "Entity task isn't enabled for change tracking.")
        st, _, d = self.s.api_json("tasks", self.tok)              # untracked query is fine
        self.assertEqual((st, len(d["value"])), (200, 1))
        self.assertNotIn("@odata.deltaLink", d)
        # toggling through the admin API
        st, _ = self.s.admin("PATCH", "tables/task", {"ChangeTrackingEnabled": True})
        self.assertEqual(self.s.api("tasks", self.tok, "odata.track-changes")[0], 200)
        self.s.admin("PATCH", "tables/account", {"ChangeTrackingEnabled": False})
        st, _, data = self.s.api("accounts", self.tok, "odata.track-changes")
        self.assertEqual((st, self.error_code(data)), (400, "0x80072491"))
        st, _, d = self.s.api_json("EntityDefinitions(LogicalName='account')?$select="
                                   "ChangeTrackingEnabled", self.tok)
        self.assertIs(d["ChangeTrackingEnabled"], False)

    def test_rejected_query_options(self):
        for opt, q in (("filter", "$filter=name%20eq%20'x'"), ("orderby", "$orderby=name"),
                       ("expand", "$expand=primarycontactid"), ("top", "$top=5")):
            st, _, data = self.s.api("accounts?" + q, self.tok, "odata.track-changes")
            self.assertEqual(st, 400, opt)
            e = json.loads(data)["error"]
            self.assertEqual(e["message"], 'The "$%s" query parameter isn\'t supported when '
                                           'Change Tracking is enabled.' % opt)
            self.assertTrue(e["code"].startswith("0x"))
        st, _, d = self.s.api_json("accounts?$top=2", self.tok)        # untracked: fine
        self.assertEqual((st, len(d["value"])), (200, 2))

    # -- faults ---------------------------------------------------------------
    def fault(self, **f):
        st, d = self.s.admin("POST", "faults", f)
        self.assertEqual(st, 200, d)
        return d

    def test_fault_429_and_5xx(self):
        self.fault(kind="429", retry_after=3, path="accounts")
        st, hd, data = self.s.api("accounts", self.tok, "odata.track-changes")
        self.assertEqual(st, 429)
        self.assertEqual(hd["retry-after"], "3")
        self.assertEqual(self.error_code(data), "0x80072322")
        self.assertEqual(self.s.api("accounts", self.tok, "odata.track-changes")[0], 200)
        for code in (500, 502, 503, 504):
            self.fault(kind=str(code))
            st, _, data = self.s.api("accounts", self.tok, "odata.track-changes")
            self.assertEqual(st, code)
            self.assertIn("code", json.loads(data)["error"])
        self.assertEqual(self.s.api("accounts", self.tok)[0], 200)

    def test_fault_matching_count_after(self):
        self.fault(kind="503", count=2, after=1, path="/contacts", query="deltatoken")
        self.assertEqual(self.s.api("accounts?$deltatoken=x", self.tok)[0], 400)  # no match
        _, _, dl = self.s.sync("contacts", self.tok)
        statuses = [self.s.api(dl, self.tok)[0] for _ in range(4)]
        self.assertEqual(statuses, [200, 503, 503, 200])
        st, d = self.s.admin("GET", "faults")
        self.assertEqual(d["faults"], [])
        self.fault(kind="500", method="POST")
        self.assertEqual(self.s.api("accounts", self.tok)[0], 200)
        st, d = self.s.admin("DELETE", "faults")
        self.assertEqual(d["cleared"], 1)
        st, d = self.s.admin("POST", "faults", {"kind": "bogus"})
        self.assertEqual(st, 400)

    def test_fault_401(self):
        self.fault(kind="401")
        st, hd, data = self.s.api("accounts", self.tok)
        self.assertEqual(st, 401)
        self.assertIn("authorization_uri=", hd["www-authenticate"])
        self.assertEqual(self.s.api("accounts", self.tok)[0], 401)     # token was revoked
        tok = self.s.token()
        self.assertEqual(self.s.api("accounts", tok)[0], 200)
        self.fault(kind="401", revoke=False)
        self.assertEqual(self.s.api("accounts", tok)[0], 401)
        self.assertEqual(self.s.api("accounts", tok)[0], 200)          # once only

    def test_fault_drop(self):
        for when in ("before", "headers", "body"):
            self.fault(kind="drop", when=when, path="accounts")
            c = self.s.conn()
            try:
                with self.assertRaises((http.client.HTTPException, ConnectionError, OSError),
                                       msg=when):
                    c.request("GET", "/api/data/v9.2/accounts",
                              headers={"Authorization": "Bearer " + self.tok})
                    r = c.getresponse()
                    r.read()
            finally:
                c.close()
            self.assertEqual(self.s.api("accounts", self.tok)[0], 200)
        st, d = self.s.admin("GET", "requests")
        self.assertEqual([r["status"] for r in d["requests"] if r["fault"] == "drop"],
                         ["dropped", 200, 200])

    def test_fault_slow_and_malformed(self):
        self.fault(kind="slow", ms=600)
        t0 = time.monotonic()
        self.assertEqual(self.s.api("accounts", self.tok)[0], 200)
        self.assertGreaterEqual(time.monotonic() - t0, 0.55)
        self.fault(kind="slow", ms=400, when="body")
        t0 = time.monotonic()
        st, _, data = self.s.api("accounts", self.tok)
        self.assertEqual(st, 200)
        json.loads(data)
        self.assertGreaterEqual(time.monotonic() - t0, 0.35)
        self.fault(kind="malformed")
        st, hd, data = self.s.api("accounts", self.tok, "odata.track-changes")
        self.assertEqual(st, 200)
        self.assertEqual(int(hd["content-length"]), len(data))
        with self.assertRaises(ValueError):
            json.loads(data)

    def test_fault_expire_delta(self):
        _, _, dl = self.s.sync("accounts", self.tok)
        self.assertEqual(self.s.api(dl, self.tok)[0], 200)
        d = self.fault(kind="expire-delta")
        self.assertTrue(d["queued"][0]["applied"])
        st, _, data = self.s.api(dl, self.tok)
        self.assertEqual((st, self.error_code(data)), (400, "0x80044352"))
        _, _, dl = self.s.sync("accounts", self.tok)          # new tokens are fine
        self.assertEqual(self.s.api(dl, self.tok)[0], 200)
        self.s.admin("POST", "expire-delta")
        self.assertEqual(self.s.api(dl, self.tok)[0], 400)

    # -- request log ------------------------------------------------------------
    def test_request_log(self):
        self.s.admin("DELETE", "requests")
        self.s.api("accounts?$select=name", self.tok,
                   "odata.track-changes,odata.maxpagesize=7", {"X-Test": "yes"})
        st, d = self.s.admin("GET", "requests?clear=1")
        self.assertEqual(len(d["requests"]), 1)
        r = d["requests"][0]
        self.assertEqual((r["method"], r["path"], r["query"]),
                         ("GET", "/api/data/v9.2/accounts", "$select=name"))
        self.assertEqual(r["headers"]["prefer"], "odata.track-changes,odata.maxpagesize=7")
        self.assertEqual(r["headers"]["x-test"], "yes")
        self.assertEqual(r["headers"]["authorization"], "Bearer " + self.tok)
        self.assertEqual(r["headers"]["odata-version"], "4.0")
        self.assertIn(["X-Test", "yes"], r["raw_headers"])
        self.assertEqual(r["status"], 200)
        st, d = self.s.admin("GET", "requests")
        self.assertEqual(d["requests"], [])
        self.s.token()
        st, d = self.s.admin("GET", "requests?path=oauth2")
        self.assertIn("grant_type=client_credentials", d["requests"][0]["body"])

    # -- admin: schema and rows --------------------------------------------------
    def test_schema_changes(self):
        s = self.s
        st, d = s.admin("POST", "tables/account/attributes",
                        {"LogicalName": "lv_tier", "AttributeType": "Picklist",
                         "OptionSet": [{"Value": 100000000, "Label": "Gold"}]})
        self.assertEqual(st, 201, d)
        st, _, md = s.api_json("EntityDefinitions(LogicalName='account')?$expand=Attributes", self.tok)
        self.assertIn("lv_tier", [a["LogicalName"] for a in md["Attributes"]])
        st, _, d = s.api_json("accounts(%s)" % ACC[0], self.tok)
        self.assertIsNone(d["lv_tier"])
        self.upsert("account", [{"accountid": ACC[0], "lv_tier": 100000000}])
        self.assertEqual(s.api_json("accounts(%s)" % ACC[0], self.tok)[2]["lv_tier"], 100000000)
        # type change: Integer -> String (served converted), then removal
        st, d = s.admin("PATCH", "tables/account/attributes/numberofemployees",
                        {"AttributeType": "String", "MaxLength": 20})
        self.assertEqual(st, 200, d)
        self.assertEqual(s.api_json("accounts(%s)" % ACC[0], self.tok)[2]["numberofemployees"], "120")
        st, d = s.admin("DELETE", "tables/account/attributes/numberofemployees")
        self.assertEqual(st, 200)
        self.assertNotIn("numberofemployees", s.api_json("accounts(%s)" % ACC[0], self.tok)[2])
        st, d = s.admin("POST", "tables/account/attributes", {"LogicalName": "name"})
        self.assertEqual(st, 409)
        st, d = s.admin("POST", "tables/account/rows", {"rows": [{"nosuchcolumn": 1}]})
        self.assertEqual(st, 400)
        st, d = s.admin("POST", "tables/account/rows", {"rows": [{"revenue": "lots"}]})
        self.assertEqual(st, 400)

    def test_admin_tables_and_rows(self):
        s = self.s
        spec = {"LogicalName": "lv_widget", "Attributes": [
            {"LogicalName": "lv_name", "AttributeType": "String"},
            {"LogicalName": "lv_when", "AttributeType": "DateTime"}],
            "PrimaryNameAttribute": "lv_name",
            "rows": [{"lv_name": "w1", "lv_when": "2024-01-02T03:04:05.678+02:00"}]}
        st, d = s.admin("POST", "tables", spec)
        self.assertEqual(st, 201, d)
        self.assertEqual(s.admin("POST", "tables", spec)[0], 409)
        st, _, d = s.api_json("lv_widgets", self.tok, "odata.track-changes")
        self.assertEqual(st, 200, d)
        r = d["value"][0]
        self.assertEqual(r["lv_when"], "2024-01-02T01:04:05Z")
        self.assertTrue(GUID_RE.match(r["lv_widgetid"]))
        # createdon/modifiedon set by the server clock, overridable
        s.admin("POST", "clock", {"now": "2030-06-01T12:00:00Z"})
        out = self.upsert("lv_widget", [{"lv_name": "w2"},
                                        {"lv_name": "w3", "createdon": "2020-02-02T02:02:02Z"}])
        self.assertTrue(all(x["created"] for x in out["rows"]))
        st, rows = s.admin("GET", "tables/lv_widget/rows")
        self.assertEqual(rows["count"], 3)
        by_name = {x["lv_name"]: x for x in rows["rows"]}
        self.assertEqual(by_name["w2"]["createdon"], "2030-06-01T12:00:00Z")
        self.assertEqual(by_name["w3"]["createdon"], "2020-02-02T02:02:02Z")
        self.assertEqual(by_name["w3"]["modifiedon"], "2030-06-01T12:00:00Z")
        self.assertEqual(by_name["w3"]["versionnumber"], out["rows"][1]["version"])
        st, w = s.admin("GET", "tables/lv_widget/rows?format=webapi&limit=1")
        self.assertEqual(len(w["rows"]), 1)
        self.assertIn("@odata.etag", w["rows"][0])
        st, d = s.admin("PATCH", "tables/lv_widget/rows", {"rows": [{"lv_widgetid": ACC[0]}]})
        self.assertEqual(st, 404)
        st, d = s.admin("DELETE", "tables/lv_widget/rows",
                        {"ids": [by_name["w1"]["lv_widgetid"], ACC[0]]})
        self.assertEqual((len(d["deleted"]), d["missing"]), (1, [ACC[0]]))
        st, d = s.admin("GET", "tables/lv_widget/tombstones")
        self.assertEqual(d["tombstones"][0]["id"], by_name["w1"]["lv_widgetid"])
        st, d = s.admin("GET", "tables")
        self.assertIn("lv_widget", [t["LogicalName"] for t in d["tables"]])
        st, d = s.admin("DELETE", "tables/lv_widget")
        self.assertEqual(st, 200)
        self.assertEqual(s.api("lv_widgets", s.token())[0], 404)
        # reset brings back the org file state
        s.admin("POST", "reset")
        st, d = s.admin("GET", "tables")
        self.assertEqual([t["LogicalName"] for t in d["tables"]], ["account", "contact", "task"])

    # -- HTTP robustness ----------------------------------------------------------
    def test_keepalive_gzip_and_bad_requests(self):
        c = self.s.conn()
        try:
            socks = set()
            for _ in range(3):
                st, hd, _ = self.s.api("accounts", self.tok, conn=c)
                self.assertEqual(st, 200)
                self.assertIn("content-length", hd)
                socks.add(id(c.sock))
            self.assertEqual(len(socks), 1)
        finally:
            c.close()
        self.upsert("account", [{"accountid": ACC[i], "name": "n" * 50} for i in range(3, 30)])
        st, hd, data = self.s.api("accounts", self.tok, None, {"Accept-Encoding": "gzip"})
        self.assertEqual(hd.get("content-encoding"), "gzip")
        self.assertEqual(len(json.loads(gzip.decompress(data))["value"]), 30)
        # garbage on the wire must not hurt the server
        for junk in (b"\x00\xff garbage\r\n\r\n", b"GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
                     b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
                     b"POST /admin/faults HTTP/1.1\r\nContent-Length: 5\r\n\r\n{nope"):
            with socket.create_connection(("127.0.0.1", self.s.port), timeout=10) as so:
                try:
                    so.sendall(junk)
                    so.shutdown(socket.SHUT_WR)
                    so.recv(65536)
                except OSError:
                    pass
        self.assertEqual(self.s.admin("GET", "health")[0], 200)
        st, _, data = self.s.request("GET", "/nothing/here")
        self.assertEqual(st, 404)
        json.loads(data)
        st, _, data = self.s.request("POST", "/api/data/v9.2/accounts",
                                     {"Authorization": "Bearer " + self.tok}, "{}")
        self.assertEqual(st, 405)
        self.assertEqual(self.s.admin("GET", "nope")[0], 404)
        st, _, _ = self.s.request("POST", "/admin/tables", {}, "{not json")
        self.assertEqual(st, 400)


class SampleOrgTest(unittest.TestCase):
    """--sample-org: realistic, deterministic data for the demo and benchmarks."""

    def test_sample_org(self):
        a = StandIn("--sample-org", "--sample-rows", "2500", "--seed", "7")
        try:
            b = StandIn("--sample-org", "--sample-rows", "2500", "--seed", "7")
            try:
                st, ra = a.admin("GET", "tables/contact/rows?limit=50")
                st, rb = b.admin("GET", "tables/contact/rows?limit=50")
                self.assertEqual(ra, rb)                     # same seed, same rows
            finally:
                self.assertEqual(b.stop(), 0)
            tok = a.token()
            st, d = a.admin("GET", "tables")
            counts = {t["LogicalName"]: (t["live_rows"], t["ChangeTrackingEnabled"])
                      for t in d["tables"]}
            self.assertEqual(counts["account"], (1000, True))
            self.assertEqual(counts["contact"], (1500, True))
            self.assertFalse(counts["task"][1])
            st, _, md = a.api_json("EntityDefinitions?$expand=Attributes", tok)
            kinds = set()
            for e in md["value"]:
                for at in e["Attributes"]:
                    kinds.add(at["AttributeType"])
                    if at["AttributeType"] == "DateTime":
                        kinds.add("DateTime/" + at["DateTimeBehavior"]["Value"])
                    if at["AttributeOf"]:
                        kinds.add("helper")
                    if not at["IsValidForRead"]:
                        kinds.add("unreadable")
                    if at["AttributeType"] in ("Picklist", "State", "Status"):
                        self.assertTrue(at["OptionSet"]["Options"])
            for k in ("String", "Memo", "Integer", "BigInt", "Decimal", "Money", "Double",
                      "Boolean", "DateTime/UserLocal", "DateTime/DateOnly", "Picklist", "State",
                      "Status", "Lookup", "Owner", "Customer", "Uniqueidentifier", "Virtual",
                      "helper", "unreadable"):
                self.assertIn(k, kinds)
            pages, acc, dl = a.sync("accounts", tok, pagesize=300)
            self.assertEqual((len(pages), len(acc)), (4, 1000))
            names = [r["name"] for r in acc]
            self.assertTrue(any("," in n for n in names))
            self.assertTrue(any(n.startswith('"') for n in names))
            self.assertTrue(any(any(ord(ch) > 127 for ch in n) for n in names))
            descs = [r["description"] or "" for r in acc]
            self.assertTrue(any("\r\n" in x for x in descs))
            self.assertTrue(any("\n" in x.replace("\r\n", "") for x in descs))
            years = {r["createdon"][:4] for r in acc}
            self.assertEqual(years, {str(y) for y in range(2019, 2026)})
            self.assertGreaterEqual(len({r["createdon"][:7] for r in acc}), 60)
            acc_ids = {r["accountid"] for r in acc}
            _, con, _ = a.sync("contacts", tok)
            self.assertEqual(len(con), 1500)
            parents = [r["_parentcustomerid_value"] for r in con if r["_parentcustomerid_value"]]
            self.assertTrue(parents and all(p in acc_ids for p in parents))
            self.assertTrue(all(DATE_RE.match(r["birthdate"]) for r in con if r["birthdate"]))
            self.assertTrue(any(r["lv_loyaltypoints"] and r["lv_loyaltypoints"] > 2 ** 32
                                for r in con))
            self.assertGreater(acc[0]["versionnumber"], 2 ** 32)
            # admin view == Web API view
            st, rows = a.admin("GET", "tables/account/rows?format=webapi")
            self.assertEqual(rows["rows"], acc)
            # changes to generated rows show up in the delta
            a.admin("POST", "tables/account/rows", {"rows": [{"accountid": acc[5]["accountid"],
                                                              "name": "Edited"}]})
            a.admin("DELETE", "tables/account/rows", {"ids": [acc[6]["accountid"]]})
            st, _, d = a.api_json(dl, tok)
            self.assertEqual([(r.get("name"), r.get("id")) for r in d["value"]],
                             [("Edited", None), (None, acc[6]["accountid"])])
            self.assertEqual(d["value"][0]["description"], acc[5]["description"])
            self.assertEqual(a.api("tasks", tok, "odata.track-changes")[0], 400)
        finally:
            self.assertEqual(a.stop(), 0)


@unittest.skipUnless(shutil.which("openssl"), "openssl not installed")
class TlsTest(unittest.TestCase):
    def test_https(self):
        tmp = tempfile.mkdtemp(prefix="standin-tls-")
        try:
            cert, key = os.path.join(tmp, "c.pem"), os.path.join(tmp, "k.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                            "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                           check=True, capture_output=True)
            s = StandIn("--org", self._org(tmp), "--tls-cert", cert,
                        "--tls-key", key)
            try:
                self.assertEqual(s.scheme, "https")
                tok = s.token()
                st, _, d = s.api_json("accounts", tok, "odata.track-changes")
                self.assertEqual(st, 200)
                self.assertTrue(d["@odata.deltaLink"].startswith("https://127.0.0.1:%d/" % s.port))
            finally:
                self.assertEqual(s.stop(), 0)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _org(self, tmp):
        p = os.path.join(tmp, "org.json")
        with open(p, "w") as fh:
            json.dump({"tables": [{"LogicalName": "account", "rows": [{"name": "x"}],
                                   "Attributes": [{"LogicalName": "name"}]}]}, fh)
        return p


if __name__ == "__main__":
    # meson's codes: 0 pass, 1 fail, 77 skip. A run in which any test was
    # skipped is not a pass: it says so with 77.
    _r = unittest.main(exit=False, verbosity=2).result
    sys.exit(1 if not _r.wasSuccessful() else 77 if _r.skipped else 0)
