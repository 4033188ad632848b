#!/usr/bin/env python3
"""Dataverse Web API stand-in for lakeview's tests and demo.

WHY THIS EXISTS AND WHY IT IS SHAPED THIS WAY
=============================================
lakeview pulls Dataverse tables with Web API change tracking
(``Prefer: odata.track-changes``).  Nobody can run the real service locally, so
this one file plays the parts a sync client talks to, as described in
/work/shared/reference/dataverse-api.md:

* the Entra ID token endpoint (client-credentials grant, §3),
* ``EntityDefinitions`` metadata in the real JSON shape (§2),
* change-tracked entity-set queries: initial sync snapshot, paging with
  ``@odata.nextLink``, a final ``@odata.deltaLink``, deltas with tombstones,
  expired tokens, tables without change tracking, the query options that are
  refused (§1, checklist §1.9),
* Dataverse-shaped errors, throttling and transient faults (§4).

Design choices, each for a reason:

* python3 standard library only, one file: it must run on any developer or CI
  machine with no install step, and be easy to read when a test fails.
* Binds to 127.0.0.1 only; the admin interface has no authentication.
* One global row-version counter for the whole organisation (like SQL Server
  rowversion behind Dataverse).  Each insert/update stamps the row with the
  next version; ``versionnumber`` and the ``@odata.etag`` ``W/"<n>"`` are that
  number; a delete moves the row to a tombstone list with its own version.
  A delta token is ``<version at snapshot>!<MM/dd/yyyy HH:mm:ss UTC>``.
* Each table keeps its live rows in a dict whose insertion order IS version
  order (an update re-inserts the row at the end), so a delta is a reverse scan
  that stops at the token's version, and an initial sync is one list() call.
* Paging is snapshot based: the first request of a query freezes the list of
  rows (immutable row objects) and the delta token; ``$skiptoken`` names the
  snapshot and the offset, so later pages return the snapshot's rows even if
  the table changes between page requests; a later page keeps the first
  page's size unless it sends its own odata.maxpagesize.  The skiptoken looks like
  Dataverse's XML paging cookie (percent-encoded twice) on purpose: clients
  must follow ``@odata.nextLink`` verbatim and never parse it.
* Sample rows (``--sample-org``) are not stored: a row is a pure function of
  (seed, table, index): one of 4096 random "templates" (names, descriptions,
  money, choices) plus cheap per-row fields (id, dates, lookups) from a hash of
  the index.  A million-row organisation starts in about 3 s and ~220 MB; only
  rows touched through the admin API become stored objects.  Page bodies are
  serialised by hand (not json.dumps of a dict) from cached per-template
  fragments, and the next page of a snapshot is built in a background thread
  while the client reads the current one.
* Faults (429, 5xx, 401, dropped connections, slow and malformed answers,
  expired delta tokens) are queued by tests through the admin API and consumed
  by the next matching requests, so a test decides exactly which request fails.
* Every non-admin request is logged (method, path, query, all headers) so a
  test can assert on what the client sent.

Things the stand-in deliberately does NOT do: ``$filter``/``$orderby``/
``$expand`` on ordinary (untracked) data queries (501), writes through the Web
API (use /admin), ``$metadata`` CSDL, ``odata.include-annotations`` (ignored).

USAGE
=====
    python3 tests/dataverse/standin.py [--port N] [--org FILE.json]
        [--sample-org] [--sample-rows N] [--seed S]
        [--tls-cert F --tls-key F] [--base-url URL] [--token-lifetime S]
        [--retention-days D] [--max-page-size N] [--verbose]

When it listens it prints exactly one line to stdout,
``READY http://127.0.0.1:<port>`` (``https://`` with TLS), and nothing more.
SIGTERM/SIGINT stop it with exit status 0.  ``--verbose`` logs requests to
stderr.

* Token endpoint: ``POST <base>/<tenant>/oauth2/v2.0/token`` form fields
  ``grant_type=client_credentials``, ``client_id``, ``client_secret`` (or HTTP
  Basic), ``scope=<base>/.default``.  Defaults: tenant
  ``00000000-0000-0000-0000-000000000001``, client ``lakeview-test``, secret
  ``s3cret-value``.
* Web API: ``<base>/api/data/v9.2/``: ``EntityDefinitions``,
  ``EntityDefinitions(LogicalName='x')[?$expand=Attributes]``,
  ``EntityDefinitions(LogicalName='x')/Attributes[/Microsoft.Dynamics.CRM.<Kind>AttributeMetadata]``,
  ``<EntitySetName>`` (tracked and plain), ``<EntitySetName>(<guid>)``,
  ``<EntitySetName>/$count``, ``WhoAmI``.  All need ``Authorization: Bearer``.
* nextLink/deltaLink are absolute URLs on ``<base>`` (the READY URL unless
  ``--base-url`` overrides it); ``$select`` is carried over into both.

ADMIN API (no auth, JSON in and out, loopback only)
===================================================
Tables are named by LogicalName or EntitySetName.  Errors: ``{"error": "..."}``
with 400/404/409.

    GET    /admin/health                       -> {"ok":true,"base_url","version","tables":[..],
                                                   "in_flight_max": most Web API requests
                                                   answered at once since the reset}
    POST   /admin/reset                        -> back to the startup org (data, faults, log,
                                                  tokens, clock, config, snapshots)
    GET    /admin/config                       -> {"token_lifetime","retention_seconds",...}
    POST   /admin/config   {"token_lifetime":60,"retention_seconds":604800,"max_page_size":5000,
                            "default_page_size":5000,"client_id","client_secret","tenant_id",
                            "gzip":true,"snapshot_ttl":1800,"page_delay":0.4,
                            "max_concurrent":2}  -> new config
                                                (page_delay: seconds after its request each
                                                 page of an entity set is ready, like a busy
                                                 org's; also --page-delay;
                                                 max_concurrent: Web API requests answered at
                                                 once, more get 429 0x80072326 as Dataverse's
                                                 limit of 52 does; 0 = no limit)
    POST   /admin/clock    {"advance_seconds":N} | {"offset_seconds":N} | {"now":"<ISO>"}
                                                -> {"now","offset_seconds"} (server clock used
                                                   for tokens, createdon/modifiedon, retention)
    GET    /admin/tables                       -> {"tables":[{"LogicalName","EntitySetName",
                                                   "ChangeTrackingEnabled","live_rows","tombstones"}]}
    POST   /admin/tables   <table spec, see ORG FILE>              -> 201 {"table":..}
    GET    /admin/tables/T                     -> {"table":<spec without rows>,"live_rows","tombstones"}
    PATCH  /admin/tables/T {"ChangeTrackingEnabled":false, ...}    -> {"table":..}
    DELETE /admin/tables/T                     -> {"deleted":"T"}
    POST   /admin/tables/T/attributes   <attribute spec>           -> 201 {"attribute":..}
    PATCH  /admin/tables/T/attributes/A {"AttributeType":"String","MaxLength":100}
                                                -> {"attribute":..} (type change: values are
                                                   converted when served; null if impossible)
    DELETE /admin/tables/T/attributes/A        -> {"deleted":"A"}
    POST   /admin/tables/T/rows  {"rows":[{...},...]}              -> {"rows":[{"id","version",
                                                   "created"}],"version":N}   (upsert, merge)
    PATCH  /admin/tables/T/rows  {"rows":[...]}  update only; 404 if any id is missing
    DELETE /admin/tables/T/rows  {"ids":[..]}   (also POST /admin/tables/T/rows/delete)
                                                -> {"deleted":[{"id","version"}],"missing":[..]}
    GET    /admin/tables/T/rows[?format=webapi&offset=0&limit=N]
                                                -> {"rows":[...],"count":N,"version":N}
                                                   (live rows in version order, logical names)
    GET    /admin/tables/T/tombstones          -> {"tombstones":[{"id","version","deletedon"}]}
    POST   /admin/faults {"kind":..,"count":1,"after":0,"method":"GET","path":"accounts",
                          "query":"$deltatoken", ...}  (or {"faults":[..]}) -> {"queued":[..]}
    GET    /admin/faults                       -> {"faults":[pending faults]}
    DELETE /admin/faults                       -> {"cleared":n}
    GET    /admin/requests[?clear=1&path=substr] -> {"requests":[{"seq","time","method","path",
                                                   "query","headers"{lower-case name:value},
                                                   "raw_headers":[[n,v]..],"body","status",
                                                   "fault"}]}
    DELETE /admin/requests                     -> {"cleared":n}
    POST   /admin/expire-delta                 -> every delta token issued so far is expired
    POST   /admin/tokens/revoke                -> every bearer token issued so far is invalid

Fault kinds (``count`` requests, after letting ``after`` matching ones pass;
``method`` exact, ``path``/``query`` substrings; admin requests never match):

    "429"                  429 + Retry-After: retry_after (default 1) + 0x80072322 body
    "500","502","503","504" (any 4xx/5xx) Dataverse error body; "retry_after" adds the header
    "401"                  401 + WWW-Authenticate; "revoke": true (default) also invalidates
                           the bearer token that was presented
    "drop"                 close the connection; "when": "before" (no bytes, default),
                           "headers" (status+headers sent), "body" (half the body sent)
    "slow"                 wait "ms" (default 1000) first; "when":"body" stalls mid-body
    "malformed"            200 with the real headers but a truncated, invalid JSON body
    "expire-delta"         applied at once: all delta tokens issued so far become expired
    optional "code"/"message" override the error body of status faults.

ORG FILE (--org FILE.json, also the body of POST /admin/tables for one table)
=============================================================================
    {
      "tenant_id": "...", "client_id": "...", "client_secret": "...",   (optional)
      "token_lifetime": 3599, "retention_days": 7, "start_version": 1000, (optional)
      "tables": [
        {
          "LogicalName": "account",                 required, lower case
          "EntitySetName": "accounts",              default: plural of LogicalName
          "PrimaryIdAttribute": "accountid",        default: <LogicalName>id
          "PrimaryNameAttribute": "name",           default: "name"
          "ChangeTrackingEnabled": true,            default true
          "DisplayName": "Account",                 string or Dataverse label object
          ... any other EntityMetadata property is passed through as given ...
          "auto_system_attributes": true,           add <pk>, versionnumber, createdon,
                                                    modifiedon when missing (default true)
          "Attributes": [
            {"LogicalName": "name", "AttributeType": "String", "MaxLength": 160},
            {"LogicalName": "revenue", "AttributeType": "Money", "Precision": 2},
            {"LogicalName": "birthdate", "AttributeType": "DateTime",
             "DateTimeBehavior": "DateOnly"},
            {"LogicalName": "parentcustomerid", "AttributeType": "Customer",
             "Targets": ["account", "contact"]},
            {"LogicalName": "industrycode", "AttributeType": "Picklist",
             "OptionSet": {"Name": "account_industrycode", "IsGlobal": false,
                           "Options": [{"Value": 1, "Label": "Accounting"}]}},
            {"LogicalName": "statuscode", "AttributeType": "Status",
             "OptionSet": [{"Value": 1, "Label": "Active", "State": 0}]},
            {"LogicalName": "statecodename", "AttributeType": "Virtual",
             "AttributeOf": "statecode"},
            {"LogicalName": "isprivate", "AttributeType": "Boolean", "IsValidForRead": false}
          ],
          "rows": [ {"accountid": "<guid, optional>", "name": "Contoso, Ltd.",
                     "parentcustomerid": "<guid>"  (or "_parentcustomerid_value"),
                     "createdon": "2021-03-04T05:06:07Z", "birthdate": "1980-02-29"} ]
        }
      ]
    }
AttributeType is one of String, Memo, Integer, BigInt, Decimal, Money, Double,
Boolean, DateTime, Picklist, State, Status, Lookup, Owner, Customer,
Uniqueidentifier, EntityName, Virtual, ...; missing properties get Dataverse
defaults; any other property is passed through into the metadata as given.
Rows use logical names; ``versionnumber`` and ``@odata.*`` keys are ignored;
``createdon``/``modifiedon`` default to the server clock.

DATA SERVED
===========
Readable columns only (not Virtual, not AttributeOf helpers, not IsValidForRead
false).  Lookup/Owner/Customer as ``_<name>_value`` (lower-case GUID or null),
Money with 4 decimals, Decimal with its Precision, Double as shortest repr,
Integer/BigInt/Picklist/State/Status as integers, Boolean true/false, DateTime
UserLocal/TimeZoneIndependent as ``2023-04-07T21:59:01Z``, DateOnly as
``2024-03-15``, strings as UTF-8 (not \\u-escaped).  With ``$select`` only the
selected columns plus the primary key come back (and
``_transactioncurrencyid_value`` when a Money column is selected), like
Dataverse; ``@odata.etag`` always carries the version.
"""

from __future__ import annotations

import argparse
import base64
import functools
import json
import os
import random
import re
import signal
import socket
import ssl
import sys
import threading
import time
import traceback
import uuid
import zlib
from collections import OrderedDict, deque
from concurrent.futures import Future, ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from json.encoder import encode_basestring as _jstr  # C-accelerated, keeps UTF-8
from urllib.parse import parse_qsl, quote, unquote, urlsplit

API_PREFIX = "/api/data/v9.2"
DEFAULT_TENANT = "00000000-0000-0000-0000-000000000001"
DEFAULT_CLIENT_ID = "lakeview-test"
DEFAULT_CLIENT_SECRET = "s3cret-value"
MAX_BODY = 256 * 1024 * 1024
NS = uuid.UUID("6f1c2a52-8d3e-4c57-9a3b-1c2d3e4f5a6b")  # namespace for stable MetadataIds
GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DELTA_TOKEN_RE = re.compile(r"^(\d+)!(\d{2})/(\d{2})/(\d{4}) (\d{2}):(\d{2}):(\d{2})$")

# Dataverse error codes used here (dataverse-api.md §1.6, §4).
E_EXPIRED_VERSION = "0x80044352"
E_CT_NOT_ENABLED = "0x80072491"
E_ODATA = "0x80060888"
E_NOT_FOUND = "0x80040217"
E_INVALID_ARG = "0x80040203"
E_AUTH = "0x80048306"
E_THROTTLE_REQUESTS = "0x80072322"
E_THROTTLE_CONCURRENCY = "0x80072326"
E_INTERNAL = "0x80040216"


class ApiError(Exception):
    """A Dataverse-shaped error answer: {"error":{"code":..,"message":..}}."""

    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or []


class AdminError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------

def _dumps(obj):
    """Compact JSON, UTF-8 kept (like Dataverse)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def _uuid5(key):
    return str(uuid.uuid5(NS, key))


def fmt_dt(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def fmt_token_time(ts):
    return time.strftime("%m/%d/%Y %H:%M:%S", time.gmtime(ts))


def _lower_pct(s):
    # Dataverse writes percent-escapes in lower case (%21, %2f, %3a).
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), s)


def parse_iso(value):
    """ISO-8601 string -> epoch seconds (UTC).  Raises ValueError."""
    from datetime import datetime, timezone
    v = value.strip()
    if v.endswith("Z") or v.endswith("z"):
        v = v[:-1] + "+00:00"
    d = datetime.fromisoformat(v)
    if d.tzinfo is None:
        d = d.replace(tzinfo=timezone.utc)
    return d.timestamp()


def plural(name):
    if re.search(r"[^aeiou]y$", name):
        return name[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", name):
        return name + "es"
    return name + "s"


def schema_name(logical):
    return "".join(p[:1].upper() + p[1:] for p in logical.split("_")) or logical


def label(text, key):
    """Dataverse Label object for one en-US label (or empty when text is None)."""
    if isinstance(text, dict):
        return text
    if text is None:
        return {"LocalizedLabels": [], "UserLocalizedLabel": None}
    one = {"Label": text, "LanguageCode": 1033, "IsManaged": True,
           "MetadataId": _uuid5("label:" + key), "HasChanged": None}
    return {"LocalizedLabels": [one], "UserLocalizedLabel": dict(one)}


def split_prefer(headers):
    """Prefer header(s) -> {name: value or True}; commas inside quotes are kept."""
    prefs = {}
    for h in headers.get_all("Prefer") or []:
        items, cur, q = [], [], False
        for ch in h:
            if ch == '"':
                q = not q
            if ch == "," and not q:
                items.append("".join(cur))
                cur = []
            else:
                cur.append(ch)
        items.append("".join(cur))
        for it in items:
            it = it.strip()
            if not it:
                continue
            name, eq, val = it.partition("=")
            prefs[name.strip().lower()] = val.strip().strip('"') if eq else True
    return prefs


# ---------------------------------------------------------------------------
# metadata model
# ---------------------------------------------------------------------------

LOOKUP_KINDS = {"Lookup", "Owner", "Customer"}
KNOWN_TYPES = {"Boolean", "Customer", "DateTime", "Decimal", "Double", "Integer", "Lookup",
               "Memo", "Money", "Owner", "PartyList", "Picklist", "State", "Status", "String",
               "Uniqueidentifier", "CalendarRules", "Virtual", "BigInt", "ManagedProperty",
               "EntityName"}
NOT_DATA_TYPES = {"Virtual", "PartyList", "CalendarRules", "ManagedProperty"}
ODATA_CLASS = {"String": "StringAttributeMetadata", "Memo": "MemoAttributeMetadata",
               "Integer": "IntegerAttributeMetadata", "BigInt": "BigIntAttributeMetadata",
               "Decimal": "DecimalAttributeMetadata", "Money": "MoneyAttributeMetadata",
               "Double": "DoubleAttributeMetadata", "Boolean": "BooleanAttributeMetadata",
               "DateTime": "DateTimeAttributeMetadata", "Picklist": "PicklistAttributeMetadata",
               "State": "StateAttributeMetadata", "Status": "StatusAttributeMetadata",
               "Lookup": "LookupAttributeMetadata", "Owner": "LookupAttributeMetadata",
               "Customer": "LookupAttributeMetadata", "EntityName": "EntityNameAttributeMetadata",
               "ManagedProperty": "ManagedPropertyAttributeMetadata"}
VIRTUAL_CLASS = {"ImageType": "ImageAttributeMetadata", "FileType": "FileAttributeMetadata",
                 "MultiSelectPicklistType": "MultiSelectPicklistAttributeMetadata"}
# keys that survive a type change (everything else is type specific)
COMMON_ATTR_KEYS = {"LogicalName", "SchemaName", "DisplayName", "AttributeOf", "IsValidForRead",
                    "IsValidForCreate", "IsValidForUpdate", "MetadataId", "IsCustomAttribute",
                    "Description"}
TYPE_SPECIFIC_ORDER = ["Format", "FormatName", "MaxLength", "DatabaseLength", "Precision",
                       "PrecisionSource", "MinValue", "MaxValue", "DateTimeBehavior",
                       "CanChangeDateTimeBehavior", "Targets", "DefaultValue", "OptionSet"]
RENDER_HEAD = ["MetadataId", "HasChanged", "AttributeOf", "AttributeType", "EntityLogicalName",
               "IsPrimaryId", "IsPrimaryName", "IsValidForCreate", "IsValidForRead",
               "IsValidForUpdate", "IsCustomAttribute", "LogicalName", "SchemaName",
               "AttributeTypeName"]


def normalize_optionset(spec, kind, table, attr):
    if spec is None:
        if kind == "State":
            spec = [{"Value": 0, "Label": "Active", "DefaultStatus": 1, "InvariantName": "Active"},
                    {"Value": 1, "Label": "Inactive", "DefaultStatus": 2, "InvariantName": "Inactive"}]
        elif kind == "Status":
            spec = [{"Value": 1, "Label": "Active", "State": 0},
                    {"Value": 2, "Label": "Inactive", "State": 1}]
        else:
            spec = []
    if isinstance(spec, list):
        spec = {"Options": spec}
    if not isinstance(spec, dict):
        raise AdminError(400, "OptionSet of %s must be an object or a list" % attr)
    os_ = dict(spec)
    os_.setdefault("Name", "%s_%s" % (table, attr))
    os_.setdefault("IsGlobal", False)
    opts = []
    for o in os_.get("Options") or []:
        if isinstance(o, (int, float)) and not isinstance(o, bool):
            o = {"Value": int(o)}
        if not isinstance(o, dict) or "Value" not in o:
            raise AdminError(400, "each option of %s needs a Value" % attr)
        o = dict(o)
        o["Value"] = int(o["Value"])
        o.setdefault("Label", str(o["Value"]))
        opts.append(o)
    os_["Options"] = opts
    return os_


def normalize_attr(spec, table):
    if not isinstance(spec, dict) or not isinstance(spec.get("LogicalName"), str) \
            or not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", spec["LogicalName"]):
        raise AdminError(400, "attribute spec needs a LogicalName (letters, digits, _): %r" % (spec,))
    a = dict(spec)
    ln = a["LogicalName"] = a["LogicalName"].lower()
    at = a.setdefault("AttributeType", "String")
    if at not in KNOWN_TYPES:
        raise AdminError(400, "unknown AttributeType %r for %s" % (at, ln))
    atn = a.get("AttributeTypeName")
    if isinstance(atn, str):
        a["AttributeTypeName"] = {"Value": atn}
    elif not isinstance(atn, dict):
        a["AttributeTypeName"] = {"Value": at + "Type"}
    a.setdefault("SchemaName", schema_name(ln))
    a.setdefault("AttributeOf", None)
    a.setdefault("IsValidForRead", True)
    a.setdefault("IsValidForCreate", at not in ("Virtual",) and a["AttributeOf"] is None)
    a.setdefault("IsValidForUpdate", a["IsValidForCreate"])
    a.setdefault("IsCustomAttribute", "_" in ln and not ln.startswith("address"))
    a.setdefault("MetadataId", _uuid5("attr:%s.%s" % (table, ln)))
    a.setdefault("DisplayName", None if a["AttributeOf"] else ln)
    if at == "String":
        a.setdefault("Format", "Text")
        a.setdefault("FormatName", {"Value": a["Format"]})
        a.setdefault("MaxLength", 100)
    elif at == "Memo":
        a.setdefault("Format", "TextArea")
        a.setdefault("MaxLength", 2000)
    elif at == "Integer":
        a.setdefault("Format", "None")
        a.setdefault("MinValue", -2147483648)
        a.setdefault("MaxValue", 2147483647)
    elif at == "BigInt":
        a.setdefault("MinValue", -9223372036854775808)
        a.setdefault("MaxValue", 9223372036854775807)
    elif at == "Decimal":
        a.setdefault("Precision", 2)
        a.setdefault("MinValue", -100000000000)
        a.setdefault("MaxValue", 100000000000)
    elif at == "Money":
        a.setdefault("Precision", 2)
        a.setdefault("PrecisionSource", 2)
        a.setdefault("MinValue", -922337203685477.0)
        a.setdefault("MaxValue", 922337203685477.0)
    elif at == "Double":
        a.setdefault("Precision", 2)
        a.setdefault("MinValue", -100000000000.0)
        a.setdefault("MaxValue", 100000000000.0)
    elif at == "Boolean":
        a.setdefault("DefaultValue", False)
    elif at == "DateTime":
        b = a.get("DateTimeBehavior") or "UserLocal"
        if isinstance(b, str):
            b = {"Value": b}
        if b.get("Value") not in ("UserLocal", "DateOnly", "TimeZoneIndependent"):
            raise AdminError(400, "DateTimeBehavior of %s must be UserLocal, DateOnly or "
                                  "TimeZoneIndependent" % ln)
        a["DateTimeBehavior"] = b
        a.setdefault("Format", "DateOnly" if b["Value"] == "DateOnly" else "DateAndTime")
    elif at in LOOKUP_KINDS:
        default = {"Owner": ["systemuser", "team"], "Customer": ["account", "contact"]}.get(at, [])
        a.setdefault("Targets", default)
        if not isinstance(a["Targets"], list):
            raise AdminError(400, "Targets of %s must be a list" % ln)
    if at in ("Picklist", "State", "Status") or a["AttributeTypeName"]["Value"] == \
            "MultiSelectPicklistType":
        a["OptionSet"] = normalize_optionset(a.get("OptionSet"), at, table, ln)
    return a


def is_data_attr(a):
    """Is this attribute a Web API property of the entity (returned in rows)?"""
    if a.get("AttributeOf") or not a.get("IsValidForRead", True):
        return False
    if a["AttributeType"] in NOT_DATA_TYPES:
        return a["AttributeType"] == "Virtual" and \
            a["AttributeTypeName"].get("Value") == "MultiSelectPicklistType"
    return True


def webapi_name(a):
    return "_%s_value" % a["LogicalName"] if a["AttributeType"] in LOOKUP_KINDS else a["LogicalName"]


def render_option(o, kind, key):
    d = {"Value": o["Value"], "Color": o.get("Color"), "IsManaged": o.get("IsManaged", True),
         "ExternalValue": o.get("ExternalValue", ""), "ParentValues": o.get("ParentValues", []),
         "Tag": o.get("Tag"), "IsHidden": o.get("IsHidden", False),
         "MetadataId": o.get("MetadataId", _uuid5("opt:%s:%s" % (key, o["Value"]))),
         "HasChanged": None}
    if kind == "Status":
        d["State"] = o.get("State", 0)
    if kind == "State":
        d["DefaultStatus"] = o.get("DefaultStatus", o["Value"] + 1)
        d["InvariantName"] = o.get("InvariantName", o["Label"] if isinstance(o["Label"], str) else "")
    d["Label"] = label(o["Label"], "opt:%s:%s" % (key, o["Value"]))
    d["Description"] = label(o.get("Description"), "optd:%s:%s" % (key, o["Value"]))
    for k, v in o.items():
        if k not in d:
            d[k] = v
    return d


def render_optionset(os_, kind):
    name = os_["Name"]
    d = {"MetadataId": os_.get("MetadataId", _uuid5("os:" + name)), "HasChanged": None,
         "IsCustomOptionSet": os_.get("IsCustomOptionSet", "_" in name and os_["IsGlobal"]),
         "IsGlobal": bool(os_["IsGlobal"]), "IsManaged": os_.get("IsManaged", True),
         "Name": name, "ExternalTypeName": None,
         "OptionSetType": os_.get("OptionSetType", kind if kind in ("State", "Status") else "Picklist"),
         "IntroducedVersion": "5.0.0.0",
         "Description": label(os_.get("Description"), "osd:" + name),
         "DisplayName": label(os_.get("DisplayName", name), "os:" + name),
         "Options": [render_option(o, kind, name) for o in os_["Options"]]}
    return d


def render_attr(a, table):
    at = a["AttributeType"]
    cls = ODATA_CLASS.get(at)
    if at == "Virtual":
        cls = VIRTUAL_CLASS.get(a["AttributeTypeName"].get("Value"))
    d = {}
    if cls:
        d["@odata.type"] = "#Microsoft.Dynamics.CRM." + cls
    d.update({"MetadataId": a["MetadataId"], "HasChanged": None, "AttributeOf": a["AttributeOf"],
              "AttributeType": at, "EntityLogicalName": table.name,
              "IsPrimaryId": a["LogicalName"] == table.pk,
              "IsPrimaryName": a["LogicalName"] == table.meta.get("PrimaryNameAttribute"),
              "IsValidForCreate": a["IsValidForCreate"], "IsValidForRead": a["IsValidForRead"],
              "IsValidForUpdate": a["IsValidForUpdate"],
              "IsCustomAttribute": a["IsCustomAttribute"], "LogicalName": a["LogicalName"],
              "SchemaName": a["SchemaName"], "AttributeTypeName": a["AttributeTypeName"]})
    for k in TYPE_SPECIFIC_ORDER:
        if k in a:
            d[k] = render_optionset(a[k], at) if k == "OptionSet" else a[k]
    for k, v in a.items():
        if k not in d and k != "DisplayName":
            d[k] = v
    d["DisplayName"] = label(a["DisplayName"], "attrdn:%s.%s" % (table.name, a["LogicalName"]))
    return d


# ---------------------------------------------------------------------------
# value formatting (stored python value -> JSON text), tolerant of type changes
# ---------------------------------------------------------------------------

def _f_str(v):
    if type(v) is str:
        return _jstr(v)
    if isinstance(v, bool):
        return _jstr("true" if v else "false")
    if isinstance(v, (dict, list)):
        return _jstr(_dumps(v))
    return _jstr(str(v))


def _f_int(v):
    try:
        if isinstance(v, float):
            return str(int(v)) if v == v and abs(v) != float("inf") else "null"
        return str(int(v))
    except (TypeError, ValueError):
        return "null"


def _f_money(v):
    try:
        f = float(v)
        return "%.4f" % f if f == f and abs(f) != float("inf") else "null"
    except (TypeError, ValueError):
        return "null"


@functools.lru_cache(maxsize=None)
def _mk_decimal(prec):
    prec = max(0, min(int(prec or 0), 10))

    def f(v):
        try:
            x = float(v)
            return "%.*f" % (prec, x) if x == x and abs(x) != float("inf") else "null"
        except (TypeError, ValueError):
            return "null"
    return f


def _f_double(v):
    try:
        x = float(v)
        return repr(x) if x == x and abs(x) != float("inf") else "null"
    except (TypeError, ValueError):
        return "null"


def _f_bool(v):
    if isinstance(v, str):
        return "true" if v.strip().lower() in ("true", "1", "yes") else "false"
    return "true" if v else "false"


def _f_guid(v):
    return _jstr(v.lower()) if type(v) is str else _f_str(v)


def _f_datetime(v):
    if type(v) is not str:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return '"%s"' % fmt_dt(v)
        return "null"
    if len(v) == 10:
        return '"%sT00:00:00Z"' % v
    return _jstr(v)


def _f_dateonly(v):
    if type(v) is not str:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return '"%s"' % fmt_dt(v)[:10]
        return "null"
    return _jstr(v[:10])


def _f_multiselect(v):
    if isinstance(v, list):
        return _jstr(",".join(str(x) for x in v))
    return _f_str(v)


def formatter(a):
    at = a["AttributeType"]
    if at in ("String", "Memo", "EntityName"):
        return _f_str
    if at in ("Integer", "BigInt", "Picklist", "State", "Status"):
        return _f_int
    if at == "Money":
        return _f_money
    if at == "Decimal":
        return _mk_decimal(a.get("Precision", 2))
    if at == "Double":
        return _f_double
    if at == "Boolean":
        return _f_bool
    if at in LOOKUP_KINDS or at == "Uniqueidentifier":
        return _f_guid
    if at == "DateTime":
        return _f_dateonly if a["DateTimeBehavior"]["Value"] == "DateOnly" else _f_datetime
    if at == "Virtual":
        return _f_multiselect
    return _f_str


def coerce_input(a, v):
    """Admin input value -> stored value; raises AdminError for nonsense."""
    if v is None:
        return None
    at, ln = a["AttributeType"], a["LogicalName"]
    try:
        if at == "DateTime":
            dateonly = a["DateTimeBehavior"]["Value"] == "DateOnly"
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                s = fmt_dt(v)
            elif isinstance(v, str):
                s = v.strip()
                if re.match(r"^\d{4}-\d{2}-\d{2}$", s):
                    parse_iso(s + "T00:00:00Z")
                    s = s + "T00:00:00Z"
                else:
                    s = fmt_dt(parse_iso(s))
            else:
                raise ValueError
            return s[:10] if dateonly else s
        if at in LOOKUP_KINDS or at == "Uniqueidentifier":
            if not isinstance(v, str) or not GUID_RE.match(v.strip("{}")):
                raise ValueError
            return v.strip("{}").lower()
        if at in ("Integer", "BigInt", "Picklist", "State", "Status"):
            if isinstance(v, bool):
                raise ValueError
            if isinstance(v, float) and not v.is_integer():
                raise ValueError
            return int(v)
        if at in ("Money", "Decimal", "Double"):
            if isinstance(v, bool):
                raise ValueError
            return float(v)
        if at == "Boolean":
            if isinstance(v, bool):
                return v
            if v in (0, 1):
                return bool(v)
            raise ValueError
        if at in ("String", "Memo", "EntityName"):
            return v if isinstance(v, str) else str(v)
    except (TypeError, ValueError, OverflowError):
        raise AdminError(400, "bad value for %s (%s): %r" % (ln, at, v))
    return v


# ---------------------------------------------------------------------------
# rows, tables, snapshots
# ---------------------------------------------------------------------------

class Row:
    """An immutable stored row state: a new object per update."""
    __slots__ = ("id", "version", "vals")

    def __init__(self, rid, version, vals):
        self.id, self.version, self.vals = rid, version, vals


class Tomb:
    __slots__ = ("id", "version", "ts")

    def __init__(self, rid, version, ts):
        self.id, self.version, self.ts = rid, version, ts


M64 = (1 << 64) - 1


def mix64(x):
    """splitmix64 finaliser: a cheap, well-spread hash of a row index."""
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


_DAYS = {}
_TIMES = []


def fmt_dt_fast(ts):
    """fmt_dt for integer seconds from cached date and time-of-day strings (hot path)."""
    if not _TIMES:
        _TIMES.extend("T%02d:%02d:%02dZ" % (s // 3600, s // 60 % 60, s % 60) for s in range(86400))
    day, sec = divmod(int(ts), 86400)
    d = _DAYS.get(day)
    if d is None:
        d = _DAYS[day] = time.strftime("%Y-%m-%d", time.gmtime(day * 86400))
    return d + _TIMES[sec]


class Generator:
    """Deterministic, lazily generated sample rows: row index -> values.

    A row = one of K "templates" (the expensive random content: names,
    descriptions, money, choices; generated once per template) + a few cheap
    per-row fields (id, dates, lookups) derived from a hash of the index.
    Serialised template columns are cached per column plan, so serving a
    generated row costs a few microseconds."""

    def __init__(self, ids, base_version, salt, template_fn, unique_fn, unique_cols, k=4096):
        self.ids, self.base, self.salt = ids, base_version, salt
        self.template_fn, self.unique_fn = template_fn, unique_fn
        self.unique_cols = frozenset(unique_cols)
        self.k = max(1, min(k, len(ids)))
        self.templates = {}
        self.plans = OrderedDict()       # plan tuple -> (unique positions, {k: fragments})
        self.lock = threading.Lock()

    def _template(self, k):
        t = self.templates.get(k)
        if t is None:
            t = self.templates[k] = self.template_fn(k)
        return t

    def values(self, idx):
        h = mix64(idx ^ self.salt)
        v = dict(self._template(h % self.k))
        v.update(self.unique_fn(idx, h))
        return v

    def plan_state(self, plan):
        key = tuple(plan)
        with self.lock:
            st = self.plans.get(key)
            if st is None:
                upos = [(i, prefix, ln, fn) for i, (prefix, ln, fn) in enumerate(plan)
                        if fn is None or ln in self.unique_cols]
                st = self.plans[key] = (plan, upos, {})
                while len(self.plans) > 8:
                    self.plans.popitem(last=False)
            else:
                self.plans.move_to_end(key)
        return st

    def row_text(self, st, idx, version):
        """== serialize_row(plan, version, self.values(idx)), only faster."""
        plan, upos, cache = st
        h = mix64(idx ^ self.salt)
        k = h % self.k
        frags = cache.get(k)
        if frags is None:
            tv = self._template(k)
            uc = self.unique_cols
            frags = []
            for prefix, ln, fn in plan:
                if fn is None or ln in uc:
                    frags.append(None)
                else:
                    v = tv.get(ln)
                    frags.append(prefix + ("null" if v is None else fn(v)))
            cache[k] = frags
        parts = frags[:]
        u = self.unique_fn(idx, h)
        for pos, prefix, ln, fn in upos:
            if fn is None:
                parts[pos] = prefix + str(version)
            else:
                v = u.get(ln)
                parts[pos] = prefix + ("null" if v is None else fn(v))
        return '{"@odata.etag":"W/\\"%d\\""%s}' % (version, "".join(parts))


class Table:
    def __init__(self, spec):
        if not isinstance(spec, dict) or not isinstance(spec.get("LogicalName"), str) or \
                not re.match(r"^[a-z_][a-z0-9_]*$", spec["LogicalName"].lower()):
            raise AdminError(400, "table spec needs a LogicalName (lower-case letters, digits, _)")
        name = spec["LogicalName"].lower()
        meta = {k: v for k, v in spec.items()
                if k not in ("Attributes", "rows", "auto_system_attributes")}
        meta["LogicalName"] = name
        meta.setdefault("EntitySetName", plural(name))
        meta.setdefault("PrimaryIdAttribute", name + "id")
        meta.setdefault("PrimaryNameAttribute", "name")
        meta.setdefault("ChangeTrackingEnabled", True)
        meta["ChangeTrackingEnabled"] = bool(meta["ChangeTrackingEnabled"])
        meta.setdefault("SchemaName", schema_name(name))
        meta.setdefault("DisplayName", name)
        meta.setdefault("MetadataId", _uuid5("entity:" + name))
        self.meta = meta
        self.name = name
        self.pk = meta["PrimaryIdAttribute"]
        self.attrs = OrderedDict()
        for s in spec.get("Attributes") or []:
            a = normalize_attr(s, name)
            self.attrs[a["LogicalName"]] = a
        if spec.get("auto_system_attributes", True):
            if self.pk not in self.attrs:
                pk = normalize_attr({"LogicalName": self.pk, "AttributeType": "Uniqueidentifier",
                                     "IsValidForUpdate": False}, name)
                self.attrs[self.pk] = pk
                self.attrs.move_to_end(self.pk, last=False)
            for s in ({"LogicalName": "createdon", "AttributeType": "DateTime",
                       "IsValidForCreate": False, "IsValidForUpdate": False},
                      {"LogicalName": "modifiedon", "AttributeType": "DateTime",
                       "IsValidForCreate": False, "IsValidForUpdate": False},
                      {"LogicalName": "versionnumber", "AttributeType": "BigInt",
                       "IsValidForCreate": False, "IsValidForUpdate": False}):
                if s["LogicalName"] not in self.attrs:
                    self.attrs[s["LogicalName"]] = normalize_attr(s, name)
        if self.pk not in self.attrs:
            raise AdminError(400, "table %s has no attribute %s (PrimaryIdAttribute)" % (name, self.pk))
        self.live = {}      # id -> int (generated index) | Row; insertion order == version order
        self.tombs = {}     # id -> Tomb; insertion order == version order
        self.gen = None     # Generator for sample rows

    @property
    def set_name(self):
        return self.meta["EntitySetName"]

    def entry_version(self, e):
        return self.gen.base + e if type(e) is int else e.version

    def entry_values(self, e):
        return self.gen.values(e) if type(e) is int else e.vals

    def spec(self):
        d = dict(self.meta)
        d["Attributes"] = list(self.attrs.values())
        return d

    def data_attrs(self):
        return [a for a in self.attrs.values() if is_data_attr(a)]

    def plan(self, select):
        """Column plan [(json prefix, logical name, formatter or None for versionnumber)].

        select: list of Web API property names, or None for every readable column."""
        data = self.data_attrs()
        by_web = {webapi_name(a): a for a in data}
        if select is None:
            chosen = data
        else:
            chosen, seen = [], set()
            for n in select:
                a = by_web.get(n)
                if a is None:
                    raise ApiError(400, E_ODATA, "Could not find a property named '%s' on type "
                                   "'Microsoft.Dynamics.CRM.%s'." % (n, self.name))
                if n not in seen:
                    seen.add(n)
                    chosen.append(a)
            if any(a["AttributeType"] == "Money" for a in chosen):
                cur = self.attrs.get("transactioncurrencyid")
                if cur is not None and is_data_attr(cur) and "_transactioncurrencyid_value" not in seen:
                    chosen.append(cur)
                    seen.add("_transactioncurrencyid_value")
            if self.pk not in seen and self.pk in by_web:
                chosen.append(by_web[self.pk])
        plan = []
        for a in chosen:
            fn = None if a["LogicalName"] == "versionnumber" else formatter(a)
            plan.append((',"%s":' % webapi_name(a), a["LogicalName"], fn))
        return plan


def serialize_row(plan, version, vals):
    out = ['{"@odata.etag":"W/\\"%d\\""' % version]
    ap = out.append
    get = vals.get
    for prefix, ln, fn in plan:
        ap(prefix)
        if fn is None:
            ap(str(version))
            continue
        v = get(ln)
        ap("null" if v is None else fn(v))
    ap("}")
    return "".join(out)


class Snapshot:
    __slots__ = ("sid", "table", "kind", "items", "plan", "select_raw", "context", "token",
                 "last_used", "cache", "lock", "deleted_ctx", "page_size")

    def __init__(self, sid, table, kind, items, plan, select_raw, context, token, deleted_ctx):
        self.sid, self.table, self.kind, self.items = sid, table, kind, items
        self.plan, self.select_raw, self.context, self.token = plan, select_raw, context, token
        self.deleted_ctx = deleted_ctx
        self.page_size = None    # set by the first page; later pages reuse it by default
        self.last_used = time.monotonic()
        self.cache = {}          # (offset, size) -> Future(bytes)
        self.lock = threading.Lock()


# ---------------------------------------------------------------------------
# the organisation: all mutable state, guarded by one lock
# ---------------------------------------------------------------------------

class Org:
    def __init__(self, loader, seed, overrides):
        self.lock = threading.RLock()
        self.loader = loader          # () -> (config dict, [Table], start/last version)
        self.seed = seed
        self.overrides = overrides    # CLI settings that survive /admin/reset
        self.base = "http://127.0.0.1:0"
        self.prefetch = ThreadPoolExecutor(max_workers=2, thread_name_prefix="prefetch")
        self.reset()

    # -- lifecycle --------------------------------------------------------
    def reset(self):
        with self.lock:
            cfg, tables, version = self.loader()
            self.config = {"tenant_id": DEFAULT_TENANT, "client_id": DEFAULT_CLIENT_ID,
                           "client_secret": DEFAULT_CLIENT_SECRET, "token_lifetime": 3599,
                           "retention_seconds": 7 * 86400, "max_page_size": 5000,
                           "default_page_size": 5000, "snapshot_ttl": 1800, "gzip": True,
                           "page_delay": 0.0, "max_concurrent": 0}
            self.config.update(cfg)
            self.config.update(self.overrides)
            self.tables = OrderedDict((t.name, t) for t in tables)
            self.version = version
            self.expired_below = 0     # delta tokens with version <= this are expired
            self.tokens = {}           # bearer token -> expiry (server clock)
            self.faults = []
            self.in_flight = 0         # Web API requests being answered
            self.in_flight_max = 0     # the most at once since the reset
            self.fault_seq = 0
            self.log = deque(maxlen=20000)
            self.log_seq = 0
            self.snapshots = OrderedDict()
            self.clock_offset = 0.0
            self.id_rng = random.Random("ids:%s" % self.seed)

    def now(self):
        return time.time() + self.clock_offset

    def next_version(self):
        self.version += 1
        return self.version

    def table(self, name, admin=True):
        t = self.tables.get(name.lower())
        if t is None:
            for cand in self.tables.values():
                if cand.set_name == name:
                    t = cand
                    break
        if t is None and admin:
            raise AdminError(404, "no table %r" % name)
        return t

    def table_by_set(self, set_name):
        for t in self.tables.values():
            if t.set_name == set_name:
                return t
        return None

    def add_table(self, spec):
        t = Table(spec)
        with self.lock:
            if t.name in self.tables or self.table_by_set(t.set_name):
                raise AdminError(409, "table %s / %s exists" % (t.name, t.set_name))
            self.tables[t.name] = t
            self.upsert(t, spec.get("rows") or [], must_exist=False)
        return t

    # -- rows ---------------------------------------------------------------
    def input_row(self, t, row):
        if not isinstance(row, dict):
            raise AdminError(400, "rows must be JSON objects")
        vals = {}
        for k, v in row.items():
            if k.startswith("@odata.") or k == "versionnumber":
                continue
            name = k
            m = re.match(r"^_(\w+)_value$", k)
            if m and m.group(1) in t.attrs and t.attrs[m.group(1)]["AttributeType"] in LOOKUP_KINDS:
                name = m.group(1)
            a = t.attrs.get(name.lower())
            if a is None:
                raise AdminError(400, "table %s has no attribute %r" % (t.name, k))
            vals[a["LogicalName"]] = coerce_input(a, v)
        return vals

    def new_guid(self):
        return str(uuid.UUID(int=self.id_rng.getrandbits(128), version=4))

    def upsert(self, t, rows, must_exist=False):
        """Insert or merge rows; returns [{"id","version","created"}]."""
        if not isinstance(rows, list):
            raise AdminError(400, '"rows" must be a list')
        prepared = [self.input_row(t, r) for r in rows]
        out = []
        with self.lock:
            if must_exist:
                missing = [v.get(t.pk) for v in prepared if v.get(t.pk) not in t.live]
                if missing:
                    raise AdminError(404, "no such rows in %s: %s" % (t.name, missing))
            now_s = fmt_dt(self.now())
            for vals in prepared:
                rid = vals.get(t.pk) or self.new_guid()
                vals[t.pk] = rid
                old = t.live.get(rid)
                if old is not None:
                    merged = dict(t.entry_values(old))
                    merged.update(vals)
                    if "modifiedon" not in vals:
                        merged["modifiedon"] = now_s
                    del t.live[rid]
                    created = False
                else:
                    merged = vals
                    merged.setdefault("createdon", now_s)
                    merged.setdefault("modifiedon", now_s)
                    t.tombs.pop(rid, None)   # re-created after a delete
                    created = True
                row = Row(rid, self.next_version(), merged)
                t.live[rid] = row
                out.append({"id": rid, "version": row.version, "created": created})
        return out

    def delete(self, t, ids):
        if not isinstance(ids, list):
            raise AdminError(400, '"ids" must be a list')
        deleted, missing = [], []
        with self.lock:
            ts = self.now()
            for rid in ids:
                rid = str(rid).strip("{}").lower()
                if t.live.pop(rid, None) is None:
                    missing.append(rid)
                    continue
                tomb = Tomb(rid, self.next_version(), ts)
                t.tombs[rid] = tomb
                deleted.append({"id": rid, "version": tomb.version})
        return {"deleted": deleted, "missing": missing}

    # -- auth ---------------------------------------------------------------
    def issue_token(self, client_id):
        with self.lock:
            now = self.now()
            life = int(self.config["token_lifetime"])
            if len(self.tokens) > 5000:
                self.tokens = {k: v for k, v in self.tokens.items() if v > now}

            def b64(obj):
                raw = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
                return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
            tok = ".".join([
                b64({"typ": "JWT", "alg": "RS256", "kid": "lakeview-standin"}),
                b64({"aud": self.base, "iss": "https://sts.windows.net/%s/" % self.config["tenant_id"],
                     "iat": int(now), "nbf": int(now), "exp": int(now + life), "appid": client_id,
                     "tid": self.config["tenant_id"], "jti": uuid.uuid4().hex}),
                b64(os.urandom(32))])
            self.tokens[tok] = now + life
            return tok, life

    # -- faults and request log --------------------------------------------
    def add_fault(self, f):
        if not isinstance(f, dict) or "kind" not in f:
            raise AdminError(400, 'a fault needs a "kind"')
        f = dict(f)
        kind = str(f["kind"]).lower()
        f["kind"] = kind
        if kind == "expire-delta":
            self.expire_delta()
            return {"kind": kind, "applied": True}
        if kind not in ("drop", "slow", "malformed") and not re.match(r"^[45]\d\d$", kind):
            raise AdminError(400, "unknown fault kind %r" % kind)
        for k in ("count", "after", "ms", "retry_after"):
            if k in f and (not isinstance(f[k], (int, float)) or isinstance(f[k], bool)):
                raise AdminError(400, "fault %s must be a number" % k)
        f.setdefault("count", 1)
        f.setdefault("after", 0)
        with self.lock:
            self.fault_seq += 1
            f["id"] = self.fault_seq
            self.faults.append(f)
        return dict(f)

    def admit(self):
        """One more Web API request in flight, unless max_concurrent are."""
        with self.lock:
            limit = int(self.config.get("max_concurrent") or 0)
            if limit and self.in_flight >= limit:
                return False
            self.in_flight += 1
            self.in_flight_max = max(self.in_flight_max, self.in_flight)
            return True

    def release(self):
        with self.lock:
            self.in_flight -= 1

    def take_fault(self, method, path, query):
        with self.lock:
            for f in self.faults:
                if f.get("method") and f["method"].upper() != method:
                    continue
                if f.get("path") and f["path"] not in path and f["path"] not in unquote(path):
                    continue
                if f.get("query") and f["query"] not in query and f["query"] not in unquote(query):
                    continue
                if f["after"] > 0:
                    f["after"] -= 1
                    continue
                f["count"] -= 1
                if f["count"] <= 0:
                    self.faults.remove(f)
                return dict(f)
        return None

    def expire_delta(self):
        with self.lock:
            self.expired_below = self.version
            self.next_version()  # tokens issued from now on are newer than the mark

    def log_request(self, handler, method, path, query, body):
        raw = [[k, v] for k, v in handler.headers.items()]
        rec = {"seq": 0, "time": fmt_dt(self.now()), "method": method, "path": path,
               "query": query, "headers": {k.lower(): v for k, v in raw}, "raw_headers": raw,
               "body": body[:4096].decode("utf-8", "replace") if body else "",
               "status": None, "fault": None}
        with self.lock:
            self.log_seq += 1
            rec["seq"] = self.log_seq
            self.log.append(rec)
        return rec

    # -- snapshots ----------------------------------------------------------
    def put_snapshot(self, snap):
        with self.lock:
            ttl = float(self.config["snapshot_ttl"])
            now = time.monotonic()
            for sid in [s for s, v in self.snapshots.items() if now - v.last_used > ttl]:
                del self.snapshots[sid]
            while len(self.snapshots) >= 256:
                self.snapshots.popitem(last=False)
            self.snapshots[snap.sid] = snap

    def get_snapshot(self, sid):
        with self.lock:
            s = self.snapshots.get(sid)
            if s is not None:
                s.last_used = time.monotonic()
                self.snapshots.move_to_end(sid)
            return s


# ---------------------------------------------------------------------------
# loading: org file and the built-in sample organisation
# ---------------------------------------------------------------------------

def load_org_file(path):
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    if not isinstance(doc, dict) or not isinstance(doc.get("tables", []), list):
        raise SystemExit("org file %s: expected an object with a \"tables\" list" % path)

    def loader():
        cfg = {}
        for k in ("tenant_id", "client_id", "client_secret", "token_lifetime", "max_page_size"):
            if k in doc:
                cfg[k] = doc[k]
        if "retention_days" in doc:
            cfg["retention_seconds"] = float(doc["retention_days"]) * 86400
        tmp = Org.__new__(Org)      # reuse Org.upsert for the rows, on a scratch org
        tmp.lock = threading.RLock()
        tmp.version = int(doc.get("start_version", 1000))
        tmp.clock_offset = 0.0
        tmp.id_rng = random.Random("file:" + path)
        tmp.tables = OrderedDict()
        for spec in doc.get("tables", []):
            t = Table(spec)
            tmp.tables[t.name] = t
            tmp.upsert(t, spec.get("rows") or [])
        return cfg, list(tmp.tables.values()), tmp.version
    return loader


FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
         "Elizabeth", "José", "Zoë", "Jürgen", "Françoise", "Björn", "Ólafur", "Łukasz", "Siobhán",
         "Renée", "Søren", "陽翔", "さくら", "Мария", "Nguyễn", "Aarav", "Chloé", "Mateo", "Inés",
         "Ana María", "Jean-Luc"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "García", "Miller", "Davis", "Müller",
        "O'Neil", "O'Brien", "Smith-Jones", "van der Berg", "山田", "佐藤", "Kowalski", "Ångström",
        "Dubois", "Rossi", "Petrović", "Öztürk", "Nakamura", "Fernández", "Lefèvre", "Schäfer"]
COMPANIES = ["Contoso", "Fabrikam", "Adventure Works", "Northwind Traders", "Litware", "A. Datum",
             "Tailspin Toys", "Wide World Importers", "Blue Yonder Airlines", "Coho Winery",
             "Alpine Ski House", "Proseware", "Lamna Healthcare", "Trey Research", "Fourth Coffee",
             "Wingtip Toys", "Margie's Travel", "Humongous Insurance", "Woodgrove Bank",
             "Relecloud", "Café Müller", "Bäckerei Schütz", "Société Générale d'Équipement",
             "株式会社日本商事", "Zürich Präzision", "Øresund Logistik", "São Paulo Comércio",
             "Graphic Design Institute", "City Power & Light", "Southridge Video"]
SUFFIXES = ["", ", Ltd.", " Inc.", " GmbH", " (Europe)", " West", ", LLC", " & Sons", " S.A.",
            " Holdings"]
CITIES = [("Redmond", "USA"), ("Seattle", "USA"), ("München", "Germany"), ("Zürich", "Switzerland"),
          ("São Paulo", "Brazil"), ("東京", "Japan"), ("Reykjavík", "Iceland"), ("Kraków", "Poland"),
          ("Montréal", "Canada"), ("København", "Denmark"), ("Paris", "France"),
          ("London", "United Kingdom"), ("Dublin", "Ireland"), ("Sydney", "Australia")]
STREETS = ["1 Microsoft Way", "221B Baker Street", "Hauptstraße 5", "Rua Augusta, 1500",
           "Bahnhofstrasse 10", "1-2-3 Marunouchi", "Calle de Alcalá 42", "10 Downing St."]
DESCRIPTIONS = [
    "Key account in the {ind} sector.\nPrefers email contact; renewal due in Q{q}.",
    "Signed master agreement on {d}.\r\nNet 30 payment terms, \"gold\" support tier.",
    "Line one, with a comma\nLine two with \"quotes\"\nLine three\twith a tab",
    "Visited the {city} office; met with the CFO.\n\nFollow-up: send pricing, discuss volume "
    "discount (5%–10%).",
    "Überprüfung abgeschlossen — Kunde zufrieden.\nNächster Termin: {d}.",
    "日本支社との取引。\n担当者: 山田様",
    "Single-line note: backslash \\ and slash / are kept verbatim; so is 'this'.",
    "Escalation history:\r\n- 2021: late delivery\r\n- 2023: invoice dispute, resolved",
    "Trailing newline on purpose\n",
    "",
]
INDUSTRIES = [(1, "Accounting"), (2, "Agriculture and Non-petrol Natural Resource Extraction"),
              (3, "Broadcasting Printing and Publishing"), (4, "Brokers"),
              (5, "Building Supply Retail"), (6, "Business Services"), (7, "Consulting"),
              (8, "Consumer Services"), (9, "Design, Direction and Creative Management"),
              (10, "Distributors, Dispatchers and Processors"), (11, "Doctor's Offices and Clinics"),
              (12, "Durable Manufacturing"), (13, "Eating and Drinking Places"),
              (14, "Entertainment Retail"), (15, "Equipment Rental and Leasing"),
              (16, "Financial"), (17, "Food and Tobacco Processing")]
CUSTOMER_TYPES = [(1, "Competitor"), (2, "Consultant"), (3, "Customer"), (4, "Investor"),
                  (5, "Partner"), (6, "Influencer"), (7, "Press"), (8, "Prospect"),
                  (9, "Reseller"), (10, "Supplier"), (11, "Vendor"), (12, "Other")]
REGIONS = [(100000000, "North America"), (100000001, "Europe"), (100000002, "Asia Pacific"),
           (100000003, "Latin America")]
REGION_OPTIONSET = {"Name": "lv_region", "IsGlobal": True,
                    "Options": [{"Value": v, "Label": l} for v, l in REGIONS]}
T_START, T_END = 1546300800, 1767225599     # 2019-01-01 .. 2025-12-31 23:59:59 UTC
T_BIRTH0, T_BIRTH1 = -631152000, 1104537600  # 1950 .. 2005


def _ids(seed, name, n):
    r = random.Random("%s/%s/ids" % (seed, name))
    out = []
    ap = out.append
    for _ in range(n):
        h = "%032x" % r.getrandbits(128)
        ap("%s-%s-4%s-%s-%s" % (h[:8], h[8:12], h[13:16], "89ab"[int(h[16], 16) & 3] + h[17:20],
                                 h[20:]))
    return out


def sample_org(n_rows, seed):
    """Loader for --sample-org: account, contact (change tracked) and task (not)."""
    n_acc = max(1, n_rows * 2 // 5)
    n_con = max(1, n_rows - n_acc)
    n_task = 50
    users = _ids(seed, "systemuser", 12)
    teams = _ids(seed, "team", 3)
    owners = [(u, "systemuser") for u in users] + [(tm, "team") for tm in teams]
    currencies = list(zip(_ids(seed, "transactioncurrency", 4), [1.0, 0.9216, 0.7891, 151.27]))
    stages = _ids(seed, "processstage", 4)
    ind_vals = [v for v, _ in INDUSTRIES]
    ct_vals = [v for v, _ in CUSTOMER_TYPES]
    reg_vals = [v for v, _ in REGIONS]

    account_spec = {
        "LogicalName": "account", "EntitySetName": "accounts", "PrimaryIdAttribute": "accountid",
        "PrimaryNameAttribute": "name", "ChangeTrackingEnabled": True, "ObjectTypeCode": 1,
        "DisplayName": "Account", "OwnershipType": "UserOwned", "IsCustomEntity": False,
        "PrimaryImageAttribute": "entityimage", "CanChangeTrackingBeEnabled": True,
        "Attributes": [
            {"LogicalName": "accountid", "AttributeType": "Uniqueidentifier", "DisplayName": "Account",
             "IsValidForUpdate": False},
            {"LogicalName": "name", "AttributeType": "String", "MaxLength": 160,
             "DisplayName": "Account Name"},
            {"LogicalName": "accountnumber", "AttributeType": "String", "MaxLength": 20,
             "DisplayName": "Account Number"},
            {"LogicalName": "telephone1", "AttributeType": "String", "MaxLength": 50,
             "Format": "Phone", "DisplayName": "Main Phone"},
            {"LogicalName": "emailaddress1", "AttributeType": "String", "MaxLength": 100,
             "Format": "Email", "DisplayName": "Email"},
            {"LogicalName": "websiteurl", "AttributeType": "String", "MaxLength": 200,
             "Format": "Url", "DisplayName": "Website"},
            {"LogicalName": "address1_city", "AttributeType": "String", "MaxLength": 80,
             "DisplayName": "Address 1: City"},
            {"LogicalName": "address1_composite", "AttributeType": "Memo", "MaxLength": 1000,
             "IsValidForCreate": False, "IsValidForUpdate": False, "DisplayName": "Address 1"},
            {"LogicalName": "description", "AttributeType": "Memo", "MaxLength": 2000,
             "DisplayName": "Description"},
            {"LogicalName": "numberofemployees", "AttributeType": "Integer", "MinValue": 0,
             "MaxValue": 1000000000, "DisplayName": "Number of Employees"},
            {"LogicalName": "revenue", "AttributeType": "Money", "Precision": 2,
             "MinValue": 0.0, "MaxValue": 100000000000000.0, "DisplayName": "Annual Revenue"},
            {"LogicalName": "revenue_base", "AttributeType": "Money", "Precision": 4,
             "IsValidForCreate": False, "IsValidForUpdate": False,
             "DisplayName": "Annual Revenue (Base)"},
            {"LogicalName": "creditlimit", "AttributeType": "Money", "Precision": 2,
             "MinValue": 0.0, "MaxValue": 100000000000000.0, "DisplayName": "Credit Limit"},
            {"LogicalName": "exchangerate", "AttributeType": "Decimal", "Precision": 10,
             "MinValue": 1e-10, "MaxValue": 100000000000, "IsValidForCreate": False,
             "IsValidForUpdate": False, "DisplayName": "Exchange Rate"},
            {"LogicalName": "address1_latitude", "AttributeType": "Double", "Precision": 5,
             "MinValue": -90.0, "MaxValue": 90.0, "DisplayName": "Address 1: Latitude"},
            {"LogicalName": "address1_longitude", "AttributeType": "Double", "Precision": 5,
             "MinValue": -180.0, "MaxValue": 180.0, "DisplayName": "Address 1: Longitude"},
            {"LogicalName": "creditonhold", "AttributeType": "Boolean", "DisplayName": "Credit Hold"},
            {"LogicalName": "donotemail", "AttributeType": "Boolean",
             "DisplayName": "Do not allow Emails"},
            {"LogicalName": "isprivate", "AttributeType": "Boolean", "IsValidForRead": False,
             "IsValidForCreate": False, "IsValidForUpdate": False, "DisplayName": None},
            {"LogicalName": "industrycode", "AttributeType": "Picklist", "DisplayName": "Industry",
             "OptionSet": {"Name": "account_industrycode", "IsGlobal": False,
                           "Options": [{"Value": v, "Label": l} for v, l in INDUSTRIES]}},
            {"LogicalName": "industrycodename", "AttributeType": "Virtual",
             "AttributeTypeName": "VirtualType", "AttributeOf": "industrycode"},
            {"LogicalName": "customertypecode", "AttributeType": "Picklist",
             "DisplayName": "Relationship Type",
             "OptionSet": {"Name": "account_customertypecode", "IsGlobal": False,
                           "Options": [{"Value": v, "Label": l} for v, l in CUSTOMER_TYPES]}},
            {"LogicalName": "lv_region", "AttributeType": "Picklist", "DisplayName": "Region",
             "IsCustomAttribute": True, "OptionSet": REGION_OPTIONSET},
            {"LogicalName": "statecode", "AttributeType": "State", "DisplayName": "Status",
             "OptionSet": {"Name": "account_statecode", "Options": [
                 {"Value": 0, "Label": "Active", "DefaultStatus": 1, "InvariantName": "Active"},
                 {"Value": 1, "Label": "Inactive", "DefaultStatus": 2, "InvariantName": "Inactive"}]}},
            {"LogicalName": "statecodename", "AttributeType": "Virtual",
             "AttributeTypeName": "VirtualType", "AttributeOf": "statecode"},
            {"LogicalName": "statuscode", "AttributeType": "Status", "DisplayName": "Status Reason",
             "OptionSet": {"Name": "account_statuscode", "Options": [
                 {"Value": 1, "Label": "Active", "State": 0},
                 {"Value": 2, "Label": "Inactive", "State": 1}]}},
            {"LogicalName": "primarycontactid", "AttributeType": "Lookup", "Targets": ["contact"],
             "DisplayName": "Primary Contact"},
            {"LogicalName": "primarycontactidname", "AttributeType": "String", "MaxLength": 100,
             "AttributeOf": "primarycontactid"},
            {"LogicalName": "parentaccountid", "AttributeType": "Lookup", "Targets": ["account"],
             "DisplayName": "Parent Account"},
            {"LogicalName": "parentaccountidname", "AttributeType": "String", "MaxLength": 100,
             "AttributeOf": "parentaccountid"},
            {"LogicalName": "transactioncurrencyid", "AttributeType": "Lookup",
             "Targets": ["transactioncurrency"], "DisplayName": "Currency"},
            {"LogicalName": "ownerid", "AttributeType": "Owner", "Targets": ["systemuser", "team"],
             "DisplayName": "Owner"},
            {"LogicalName": "owneridtype", "AttributeType": "EntityName", "AttributeOf": "ownerid"},
            {"LogicalName": "owneridname", "AttributeType": "String", "MaxLength": 100,
             "AttributeOf": "ownerid"},
            {"LogicalName": "createdby", "AttributeType": "Lookup", "Targets": ["systemuser"],
             "DisplayName": "Created By", "IsValidForCreate": False, "IsValidForUpdate": False},
            {"LogicalName": "createdbyname", "AttributeType": "String", "MaxLength": 100,
             "AttributeOf": "createdby"},
            {"LogicalName": "createdon", "AttributeType": "DateTime",
             "DateTimeBehavior": "UserLocal", "DisplayName": "Created On",
             "IsValidForCreate": False, "IsValidForUpdate": False},
            {"LogicalName": "modifiedon", "AttributeType": "DateTime",
             "DateTimeBehavior": "UserLocal", "DisplayName": "Modified On",
             "IsValidForCreate": False, "IsValidForUpdate": False},
            {"LogicalName": "lastusedincampaign", "AttributeType": "DateTime",
             "DateTimeBehavior": "UserLocal", "DisplayName": "Last Date Included in Campaign"},
            {"LogicalName": "lv_contractstart", "AttributeType": "DateTime",
             "DateTimeBehavior": "DateOnly", "DisplayName": "Contract Start",
             "IsCustomAttribute": True},
            {"LogicalName": "stageid", "AttributeType": "Uniqueidentifier",
             "DisplayName": "Process Stage"},
            {"LogicalName": "entityimage", "AttributeType": "Virtual",
             "AttributeTypeName": "ImageType", "AttributeOf": None, "IsValidForCreate": True,
             "DisplayName": "Default Image"},
            {"LogicalName": "versionnumber", "AttributeType": "BigInt",
             "DisplayName": "Version Number", "IsValidForCreate": False, "IsValidForUpdate": False},
        ]}

    contact_spec = {
        "LogicalName": "contact", "EntitySetName": "contacts", "PrimaryIdAttribute": "contactid",
        "PrimaryNameAttribute": "fullname", "ChangeTrackingEnabled": True, "ObjectTypeCode": 2,
        "DisplayName": "Contact", "OwnershipType": "UserOwned", "IsCustomEntity": False,
        "PrimaryImageAttribute": "entityimage", "CanChangeTrackingBeEnabled": True,
        "Attributes": [
            {"LogicalName": "contactid", "AttributeType": "Uniqueidentifier", "DisplayName": "Contact",
             "IsValidForUpdate": False},
            {"LogicalName": "firstname", "AttributeType": "String", "MaxLength": 50,
             "DisplayName": "First Name"},
            {"LogicalName": "lastname", "AttributeType": "String", "MaxLength": 50,
             "DisplayName": "Last Name"},
            {"LogicalName": "fullname", "AttributeType": "String", "MaxLength": 160,
             "DisplayName": "Full Name", "IsValidForCreate": False, "IsValidForUpdate": False},
            {"LogicalName": "jobtitle", "AttributeType": "String", "MaxLength": 100,
             "DisplayName": "Job Title"},
            {"LogicalName": "telephone1", "AttributeType": "String", "MaxLength": 50,
             "Format": "Phone", "DisplayName": "Business Phone"},
            {"LogicalName": "emailaddress1", "AttributeType": "String", "MaxLength": 100,
             "Format": "Email", "DisplayName": "Email"},
            {"LogicalName": "address1_city", "AttributeType": "String", "MaxLength": 80,
             "DisplayName": "Address 1: City"},
            {"LogicalName": "description", "AttributeType": "Memo", "MaxLength": 2000,
             "DisplayName": "Description"},
            {"LogicalName": "birthdate", "AttributeType": "DateTime", "DateTimeBehavior": "DateOnly",
             "DisplayName": "Birthday"},
            {"LogicalName": "anniversary", "AttributeType": "DateTime",
             "DateTimeBehavior": "DateOnly", "DisplayName": "Anniversary"},
            {"LogicalName": "lastusedincampaign", "AttributeType": "DateTime",
             "DateTimeBehavior": "UserLocal", "DisplayName": "Last Date Included in Campaign"},
            {"LogicalName": "createdon", "AttributeType": "DateTime",
             "DateTimeBehavior": "UserLocal", "DisplayName": "Created On",
             "IsValidForCreate": False, "IsValidForUpdate": False},
            {"LogicalName": "modifiedon", "AttributeType": "DateTime",
             "DateTimeBehavior": "UserLocal", "DisplayName": "Modified On",
             "IsValidForCreate": False, "IsValidForUpdate": False},
            {"LogicalName": "numberofchildren", "AttributeType": "Integer", "MinValue": 0,
             "MaxValue": 1000000000, "DisplayName": "No. of Children"},
            {"LogicalName": "lv_loyaltypoints", "AttributeType": "BigInt",
             "DisplayName": "Loyalty Points", "IsCustomAttribute": True},
            {"LogicalName": "address1_latitude", "AttributeType": "Double", "Precision": 5,
             "MinValue": -90.0, "MaxValue": 90.0, "DisplayName": "Address 1: Latitude"},
            {"LogicalName": "exchangerate", "AttributeType": "Decimal", "Precision": 10,
             "MinValue": 1e-10, "MaxValue": 100000000000, "IsValidForCreate": False,
             "IsValidForUpdate": False, "DisplayName": "Exchange Rate"},
            {"LogicalName": "annualincome", "AttributeType": "Money", "Precision": 2,
             "MinValue": 0.0, "MaxValue": 100000000000000.0, "DisplayName": "Annual Income"},
            {"LogicalName": "creditlimit", "AttributeType": "Money", "Precision": 2,
             "MinValue": 0.0, "MaxValue": 100000000000000.0, "DisplayName": "Credit Limit"},
            {"LogicalName": "creditonhold", "AttributeType": "Boolean", "DisplayName": "Credit Hold"},
            {"LogicalName": "donotemail", "AttributeType": "Boolean",
             "DisplayName": "Do not allow Emails"},
            {"LogicalName": "gendercode", "AttributeType": "Picklist", "DisplayName": "Gender",
             "OptionSet": {"Name": "contact_gendercode", "IsGlobal": False,
                           "Options": [{"Value": 1, "Label": "Male"},
                                       {"Value": 2, "Label": "Female"}]}},
            {"LogicalName": "gendercodename", "AttributeType": "Virtual",
             "AttributeTypeName": "VirtualType", "AttributeOf": "gendercode"},
            {"LogicalName": "familystatuscode", "AttributeType": "Picklist",
             "DisplayName": "Marital Status",
             "OptionSet": {"Name": "contact_familystatuscode", "IsGlobal": False, "Options": [
                 {"Value": 1, "Label": "Single"}, {"Value": 2, "Label": "Married"},
                 {"Value": 3, "Label": "Divorced"}, {"Value": 4, "Label": "Widowed"}]}},
            {"LogicalName": "lv_region", "AttributeType": "Picklist", "DisplayName": "Region",
             "IsCustomAttribute": True, "OptionSet": REGION_OPTIONSET},
            {"LogicalName": "statecode", "AttributeType": "State", "DisplayName": "Status",
             "OptionSet": {"Name": "contact_statecode", "Options": [
                 {"Value": 0, "Label": "Active", "DefaultStatus": 1, "InvariantName": "Active"},
                 {"Value": 1, "Label": "Inactive", "DefaultStatus": 2, "InvariantName": "Inactive"}]}},
            {"LogicalName": "statuscode", "AttributeType": "Status", "DisplayName": "Status Reason",
             "OptionSet": {"Name": "contact_statuscode", "Options": [
                 {"Value": 1, "Label": "Active", "State": 0},
                 {"Value": 2, "Label": "Inactive", "State": 1}]}},
            {"LogicalName": "parentcustomerid", "AttributeType": "Customer",
             "Targets": ["account", "contact"], "DisplayName": "Company Name"},
            {"LogicalName": "parentcustomeridtype", "AttributeType": "EntityName",
             "AttributeOf": "parentcustomerid"},
            {"LogicalName": "parentcustomeridname", "AttributeType": "String", "MaxLength": 100,
             "AttributeOf": "parentcustomerid"},
            {"LogicalName": "ownerid", "AttributeType": "Owner", "Targets": ["systemuser", "team"],
             "DisplayName": "Owner"},
            {"LogicalName": "owneridtype", "AttributeType": "EntityName", "AttributeOf": "ownerid"},
            {"LogicalName": "transactioncurrencyid", "AttributeType": "Lookup",
             "Targets": ["transactioncurrency"], "DisplayName": "Currency"},
            {"LogicalName": "createdby", "AttributeType": "Lookup", "Targets": ["systemuser"],
             "DisplayName": "Created By", "IsValidForCreate": False, "IsValidForUpdate": False},
            {"LogicalName": "modifiedby", "AttributeType": "Lookup", "Targets": ["systemuser"],
             "DisplayName": "Modified By", "IsValidForCreate": False, "IsValidForUpdate": False},
            {"LogicalName": "versionnumber", "AttributeType": "BigInt",
             "DisplayName": "Version Number", "IsValidForCreate": False, "IsValidForUpdate": False},
            {"LogicalName": "subscriptionid", "AttributeType": "Uniqueidentifier",
             "IsValidForRead": False, "IsValidForCreate": False, "IsValidForUpdate": False},
            {"LogicalName": "entityimage", "AttributeType": "Virtual",
             "AttributeTypeName": "ImageType", "DisplayName": "Entity Image"},
        ]}

    task_spec = {
        "LogicalName": "task", "EntitySetName": "tasks", "PrimaryIdAttribute": "activityid",
        "PrimaryNameAttribute": "subject", "ChangeTrackingEnabled": False, "ObjectTypeCode": 4212,
        "DisplayName": "Task", "IsActivity": True, "ActivityTypeMask": 1,
        "OwnershipType": "UserOwned", "IsCustomEntity": False, "CanChangeTrackingBeEnabled": True,
        "Attributes": [
            {"LogicalName": "activityid", "AttributeType": "Uniqueidentifier", "DisplayName": "Task"},
            {"LogicalName": "subject", "AttributeType": "String", "MaxLength": 200,
             "DisplayName": "Subject"},
            {"LogicalName": "description", "AttributeType": "Memo", "MaxLength": 2000,
             "DisplayName": "Description"},
            {"LogicalName": "scheduledend", "AttributeType": "DateTime",
             "DateTimeBehavior": "UserLocal", "DisplayName": "Due Date"},
            {"LogicalName": "actualdurationminutes", "AttributeType": "Integer",
             "DisplayName": "Duration"},
            {"LogicalName": "prioritycode", "AttributeType": "Picklist", "DisplayName": "Priority",
             "OptionSet": {"Name": "task_prioritycode", "Options": [
                 {"Value": 0, "Label": "Low"}, {"Value": 1, "Label": "Normal"},
                 {"Value": 2, "Label": "High"}]}},
            {"LogicalName": "statecode", "AttributeType": "State", "DisplayName": "Activity Status",
             "OptionSet": {"Name": "task_statecode", "Options": [
                 {"Value": 0, "Label": "Open", "DefaultStatus": 2, "InvariantName": "Open"},
                 {"Value": 1, "Label": "Completed", "DefaultStatus": 5, "InvariantName": "Completed"},
                 {"Value": 2, "Label": "Canceled", "DefaultStatus": 6, "InvariantName": "Canceled"}]}},
            {"LogicalName": "statuscode", "AttributeType": "Status", "DisplayName": "Status Reason",
             "OptionSet": {"Name": "task_statuscode", "Options": [
                 {"Value": 2, "Label": "Not Started", "State": 0},
                 {"Value": 3, "Label": "In Progress", "State": 0},
                 {"Value": 5, "Label": "Completed", "State": 1},
                 {"Value": 6, "Label": "Canceled", "State": 2}]}},
            {"LogicalName": "regardingobjectid", "AttributeType": "Lookup",
             "Targets": ["account", "contact"], "DisplayName": "Regarding"},
            {"LogicalName": "ownerid", "AttributeType": "Owner", "DisplayName": "Owner"},
            {"LogicalName": "createdon", "AttributeType": "DateTime", "DisplayName": "Created On"},
            {"LogicalName": "modifiedon", "AttributeType": "DateTime", "DisplayName": "Modified On"},
            {"LogicalName": "versionnumber", "AttributeType": "BigInt",
             "DisplayName": "Version Number"},
        ]}

    seed_i = int.from_bytes(("%s" % seed).encode()[:16].ljust(16, b"\0"), "big") % (1 << 61)
    span = T_END - T_START

    def desc(rnd, city):
        x = rnd()
        if x < 0.25:
            return None
        t = DESCRIPTIONS[int(rnd() * len(DESCRIPTIONS))]
        s = t.format(ind=INDUSTRIES[int(rnd() * len(INDUSTRIES))][1], q=1 + int(rnd() * 4),
                     d=fmt_dt(T_START + int(rnd() * span))[:10], city=city)
        if x > 0.99:
            s = (s + " ") * 40     # a long one now and then
        return s[:2000]

    def dates(h):
        """createdon spread over 2019-2025, modifiedon up to 400 days later."""
        h2 = mix64(h)
        created = T_START + h2 % span
        modified = min(T_END, created + (h2 >> 32) % (400 * 86400))
        return fmt_dt_fast(created), fmt_dt_fast(modified)

    # Templates: the random content of a row (Random seeded per template).
    def account_template(k):
        rnd = random.Random(seed_i * 7919 + k * 4 + 1).random
        comp = COMPANIES[int(rnd() * len(COMPANIES))]
        if rnd() < 0.06:
            name = '"%s" %s' % (comp, ["West", "East", "North", "South"][int(rnd() * 4)])
        else:
            name = comp + SUFFIXES[int(rnd() * len(SUFFIXES))]
        city, country = CITIES[int(rnd() * len(CITIES))]
        cur, rate = currencies[0] if rnd() < 0.7 else currencies[int(rnd() * len(currencies))]
        revenue = round(10000 + rnd() * rnd() * 5e9, 2) if rnd() < 0.8 else None
        state = 0 if rnd() < 0.85 else 1
        slug = re.sub(r"[^a-z0-9]+", "", comp.lower().encode("ascii", "ignore").decode()) or "example"
        base = T_START + int(rnd() * span)
        return {
            "name": name,
            "telephone1": "+1-425-555-%04d" % int(rnd() * 10000) if rnd() < 0.9 else None,
            "emailaddress1": "info%d@%s.example.com" % (k, slug) if rnd() < 0.8 else None,
            "websiteurl": "https://www.%s.example.com/" % slug if rnd() < 0.6 else None,
            "address1_city": city,
            "address1_composite": "%s\r\n%s\r\n%s" % (STREETS[int(rnd() * len(STREETS))], city,
                                                      country),
            "description": desc(rnd, city),
            "numberofemployees": int(1 + rnd() * rnd() * 250000) if rnd() < 0.7 else None,
            "revenue": revenue,
            "revenue_base": round(revenue / rate, 4) if revenue is not None else None,
            "creditlimit": float([5000, 10000, 25000, 50000, 100000, 1000000][int(rnd() * 6)])
            if rnd() < 0.5 else None,
            "exchangerate": rate, "transactioncurrencyid": cur,
            "address1_latitude": round(-60 + rnd() * 130, 5),
            "address1_longitude": round(-180 + rnd() * 360, 5),
            "creditonhold": rnd() < 0.1, "donotemail": rnd() < 0.2,
            "industrycode": ind_vals[int(rnd() * len(ind_vals))] if rnd() < 0.8 else None,
            "customertypecode": ct_vals[int(rnd() * len(ct_vals))] if rnd() < 0.7 else None,
            "lv_region": reg_vals[int(rnd() * len(reg_vals))],
            "statecode": state, "statuscode": state + 1,
            "ownerid": owners[int(rnd() * len(owners))][0],
            "createdby": users[int(rnd() * len(users))],
            "lastusedincampaign": fmt_dt(base + int(rnd() * (T_END - base))) if rnd() < 0.3 else None,
            "lv_contractstart": fmt_dt(base)[:10] if rnd() < 0.5 else None,
            "stageid": stages[int(rnd() * len(stages))] if rnd() < 0.2 else None,
        }

    def account_unique(i, h):
        created, modified = dates(h)
        return {
            "accountid": acc_ids[i], "accountnumber": "AC%07d" % i if h >> 60 else None,
            "createdon": created, "modifiedon": modified,
            "primarycontactid": con_ids[(h >> 16) % n_con] if (h >> 48) % 10 < 6 else None,
            "parentaccountid": acc_ids[(h >> 20) % n_acc] if (h >> 52) % 100 < 15 else None,
        }

    def contact_template(k):
        rnd = random.Random(seed_i * 7919 + k * 4 + 2).random
        first = FIRST[int(rnd() * len(FIRST))]
        last = LAST[int(rnd() * len(LAST))]
        city = CITIES[int(rnd() * len(CITIES))][0]
        cur, rate = currencies[0] if rnd() < 0.7 else currencies[int(rnd() * len(currencies))]
        state = 0 if rnd() < 0.9 else 1
        ascii_first = first.encode("ascii", "ignore").decode().lower().replace(" ", "") or "user"
        base = T_START + int(rnd() * span)
        return {
            "firstname": first, "lastname": last, "fullname": "%s %s" % (first, last),
            "jobtitle": ["CEO", "CFO", "Purchasing Manager", "Engineer, Senior",
                         "Head of \"Special\" Projects", None][int(rnd() * 6)],
            "telephone1": "+44 20 7946 %04d" % int(rnd() * 10000) if rnd() < 0.8 else None,
            "emailaddress1": "%s.%d@example.org" % (ascii_first, k) if rnd() < 0.85 else None,
            "address1_city": city,
            "description": desc(rnd, city),
            "birthdate": fmt_dt(T_BIRTH0 + int(rnd() * (T_BIRTH1 - T_BIRTH0)))[:10]
            if rnd() < 0.7 else None,
            "anniversary": fmt_dt(T_START - int(rnd() * 20 * 365 * 86400))[:10]
            if rnd() < 0.2 else None,
            "lastusedincampaign": fmt_dt(base + int(rnd() * (T_END - base))) if rnd() < 0.3 else None,
            "numberofchildren": int(rnd() * 5) if rnd() < 0.5 else None,
            "lv_loyaltypoints": int(rnd() * 5e12) if rnd() < 0.6 else None,
            "address1_latitude": round(-60 + rnd() * 130, 5),
            "exchangerate": rate, "transactioncurrencyid": cur,
            "annualincome": round(20000 + rnd() * 480000, 2) if rnd() < 0.5 else None,
            "creditlimit": float([1000, 5000, 10000][int(rnd() * 3)]) if rnd() < 0.3 else None,
            "creditonhold": rnd() < 0.05, "donotemail": rnd() < 0.3,
            "gendercode": [1, 2, None][int(rnd() * 3)],
            "familystatuscode": [1, 2, 3, 4, None][int(rnd() * 5)],
            "lv_region": reg_vals[int(rnd() * len(reg_vals))],
            "statecode": state, "statuscode": state + 1,
            "ownerid": owners[int(rnd() * len(owners))][0],
            "createdby": users[int(rnd() * len(users))],
            "modifiedby": users[int(rnd() * len(users))],
        }

    def contact_unique(i, h):
        created, modified = dates(h)
        return {"contactid": con_ids[i], "createdon": created, "modifiedon": modified,
                "parentcustomerid": acc_ids[(h >> 16) % n_acc] if (h >> 48) % 10 < 8 else None}

    def task_template(k):
        rnd = random.Random(seed_i * 7919 + k * 4 + 3).random
        state = [0, 0, 1, 2][int(rnd() * 4)]
        return {
            "subject": ["Call back", "Send proposal", "Prepare Q%d review" % (1 + k % 4),
                        "Follow up: \"pricing\", terms"][int(rnd() * 4)],
            "description": desc(rnd, "Redmond"),
            "scheduledend": fmt_dt(T_START + int(rnd() * span)),
            "actualdurationminutes": int(rnd() * 240),
            "prioritycode": int(rnd() * 3), "statecode": state,
            "statuscode": {0: 2, 1: 5, 2: 6}[state],
            "ownerid": owners[int(rnd() * len(owners))][0],
        }

    def task_unique(i, h):
        created, modified = dates(h)
        return {"activityid": task_ids[i], "createdon": created, "modifiedon": modified,
                "regardingobjectid": acc_ids[(h >> 16) % n_acc] if (h >> 48) % 10 < 7 else None}

    acc_ids = _ids(seed, "account", n_acc)
    con_ids = _ids(seed, "contact", n_con)
    task_ids = _ids(seed, "task", n_task)

    def loader():
        version = 12644410000       # > 2^32 on purpose: versions are 64-bit
        tables = []
        for no, (spec, ids, tf, uf) in enumerate((
                (account_spec, acc_ids, account_template, account_unique),
                (contact_spec, con_ids, contact_template, contact_unique),
                (task_spec, task_ids, task_template, task_unique))):
            t = Table(spec)
            ucols = uf(0, 0).keys()
            t.gen = Generator(ids, version + 1, (seed_i * 31 + no) & M64, tf, uf, ucols)
            t.live = dict(zip(ids, range(len(ids))))
            version += len(ids)
            tables.append(t)
        return {}, tables, version
    return loader


# ---------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------

class Resp:
    __slots__ = ("status", "headers", "body")

    def __init__(self, status, body=b"", headers=None, ctype="application/json; charset=utf-8"):
        self.status = status
        self.body = body if isinstance(body, bytes) else body.encode("utf-8")
        self.headers = list(headers or [])
        if ctype and self.body:
            self.headers.insert(0, ("Content-Type", ctype))


ODATA_CTYPE = ("application/json; odata.metadata=minimal; odata.streaming=true; "
               "IEEE754Compatible=false; charset=utf-8")
ODATA_HEADERS = [("OData-Version", "4.0")]
DROPPED = object()


def json_resp(status, obj, headers=None):
    return Resp(status, _dumps(obj), headers)


def odata_resp(status, body, headers=None):
    return Resp(status, body, ODATA_HEADERS + list(headers or []), ODATA_CTYPE)


def api_error_resp(e):
    body = _dumps({"error": {"code": e.code, "message": e.message}})
    return odata_resp(e.status, body, e.headers)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, org, ssl_ctx, verbose):
        self.org, self.ssl_ctx, self.verbose = org, ssl_ctx, verbose
        super().__init__(addr, Handler)

    def handle_error(self, request, client_address):
        if self.verbose:
            super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "lakeview-dataverse-standin/1.0"
    timeout = 300

    def setup(self):
        if self.server.ssl_ctx is not None:
            self.request.settimeout(30)
            self.request = self.server.ssl_ctx.wrap_socket(self.request, server_side=True)
        super().setup()

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("standin %s %s\n" % (self.address_string(), fmt % args))

    def do_GET(self):
        self._handle("GET")

    def do_HEAD(self):
        self._handle("HEAD")

    def do_POST(self):
        self._handle("POST")

    def do_PUT(self):
        self._handle("PUT")

    def do_PATCH(self):
        self._handle("PATCH")

    def do_DELETE(self):
        self._handle("DELETE")

    def do_OPTIONS(self):
        self._handle("OPTIONS")

    # -- plumbing -----------------------------------------------------------
    def _read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise ValueError("truncated chunked body")
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    raise OverflowError
                chunks.append(self.rfile.read(size))
                self.rfile.readline(3)
            return b"".join(chunks)
        cl = self.headers.get("Content-Length")
        if not cl:
            return b""
        n = int(cl)
        if n < 0:
            raise ValueError("negative Content-Length")
        if n > MAX_BODY:
            raise OverflowError
        data = self.rfile.read(n)
        if len(data) != n:
            raise ValueError("truncated body")
        return data

    def _handle(self, method):
        org = self.server.org
        rec = None
        self.arrived = time.monotonic()   # page_delay counts from here
        try:
            parts = urlsplit(self.path)
            path, query = parts.path or "/", parts.query
            try:
                body = self._read_body()
            except OverflowError:
                self.close_connection = True
                return self._send(json_resp(413, {"error": "request body too large"}), method)
            except ValueError as e:
                self.close_connection = True
                return self._send(json_resp(400, {"error": "bad request body: %s" % e}), method)
            if path == "/admin" or path.startswith("/admin/"):
                if self.client_address[0] not in ("127.0.0.1", "::1", "::ffff:127.0.0.1"):
                    return self._send(json_resp(403, {"error": "admin is loopback only"}), method)
                return self._send(Admin(org, self).dispatch(method, path, query, body), method)
            rec = org.log_request(self, method, path, query, body)
            fault = org.take_fault(method, path, query)
            if fault:
                rec["fault"] = fault["kind"]
            resp = self._pre_fault(fault, path) if fault else None
            if resp is DROPPED:
                rec["status"] = "dropped"
                return
            admitted = resp is None and path.startswith("/api/")
            if admitted and not org.admit():
                admitted = False
                rec["fault"] = "concurrency"
                resp = api_error_resp(ApiError(429, E_THROTTLE_CONCURRENCY,
                                               "Number of concurrent requests exceeded the limit "
                                               "of %d." % org.config["max_concurrent"],
                                               [("Retry-After", "1")]))
            try:
                if resp is None:
                    resp = self._route(method, path, query, body)
            finally:
                if admitted:
                    org.release()
            rec["status"] = resp.status
            self._send(resp, method, fault)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout):
            self.close_connection = True
        except Exception as e:  # never let a request kill the server
            traceback.print_exc(file=sys.stderr)
            if rec is not None:
                rec["status"] = 500
            try:
                self._send(api_error_resp(ApiError(500, E_INTERNAL,
                                                   "stand-in internal error: %s" % e)), method)
            except Exception:
                self.close_connection = True

    def _pre_fault(self, f, path):
        kind = f["kind"]
        if kind == "slow":
            if f.get("when", "before") != "body":
                time.sleep(float(f.get("ms", 1000)) / 1000.0)
            return None
        if kind == "malformed":
            return None
        if kind == "drop":
            if f.get("when", "before") == "before":
                self._abort()
                return DROPPED
            return None
        status = int(kind)
        hdrs = []
        if f.get("retry_after") is not None or status == 429:
            hdrs.append(("Retry-After", str(int(f.get("retry_after", 1)))))
        if status == 401:
            org = self.server.org
            if f.get("revoke", True):
                tok = (self.headers.get("Authorization") or "").partition(" ")[2].strip()
                with org.lock:
                    org.tokens.pop(tok, None)
            hdrs.append(("WWW-Authenticate", self._www_auth()))
            return api_error_resp(ApiError(401, f.get("code", E_AUTH),
                                           f.get("message", "The access token was rejected "
                                                 "(injected fault)."), hdrs))
        code, msg = {
            429: (E_THROTTLE_REQUESTS, "Number of requests exceeded the limit of 6000 over time "
                                       "window of 300 seconds."),
            503: ("0x80040216", "The service is temporarily unavailable (injected fault)."),
        }.get(status, ("0x80040216" if status >= 500 else E_INVALID_ARG,
                       "Injected fault %d." % status))
        return api_error_resp(ApiError(status, f.get("code", code), f.get("message", msg), hdrs))

    def _abort(self):
        self.close_connection = True
        try:
            self.wfile.flush()
        except Exception:
            pass
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except Exception:
            pass

    def _send(self, resp, method, fault=None):
        org = self.server.org
        body = resp.body
        headers = list(resp.headers)
        kind = fault["kind"] if fault else None
        if kind == "malformed":
            body = body[: max(1, len(body) // 2)] if len(body) > 40 else b'{"value":[{"@odata.etag":'
            if not any(k == "Content-Type" for k, _ in headers):
                headers.insert(0, ("Content-Type", ODATA_CTYPE))
        ae = (self.headers.get("Accept-Encoding") or "").lower()
        if body and len(body) > 1024 and "gzip" in ae and org.config.get("gzip", True):
            co = zlib.compressobj(1, zlib.DEFLATED, 31)
            body = co.compress(body) + co.flush()
            headers.append(("Content-Encoding", "gzip"))
            headers.append(("Vary", "Accept-Encoding"))
        reason = self.responses.get(resp.status, ("Unknown",))[0]
        head = ["HTTP/1.1 %d %s" % (resp.status, reason),
                "Date: %s" % self.date_time_string(),
                "Server: %s" % self.server_version]
        for k, v in headers:
            head.append("%s: %s" % (k, v))
        head.append("Content-Length: %d" % len(body))
        if self.close_connection:
            head.append("Connection: close")
        raw_head = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1", "replace")
        if method == "HEAD":
            body = b""
        if self.server.verbose:
            self.log_request(resp.status, len(body))
        when = fault.get("when") if fault else None
        if kind == "drop" and when in ("headers", "body"):
            self.wfile.write(raw_head + (body[: len(body) // 2] if when == "body" else b""))
            self._abort()
            return
        if kind == "slow" and when == "body" and len(body) > 1:
            self.wfile.write(raw_head + body[: len(body) // 2])
            self.wfile.flush()
            time.sleep(float(fault.get("ms", 1000)) / 1000.0)
            self.wfile.write(body[len(body) // 2:])
            return
        self.wfile.write(raw_head + body)

    def _www_auth(self):
        org = self.server.org
        return "Bearer authorization_uri=%s/%s/oauth2/authorize, resource_id=%s/" % (
            org.base, org.config["tenant_id"], org.base)

    # -- routing --------------------------------------------------------------
    def _route(self, method, path, query, body):
        m = re.match(r"^/([^/]+)/oauth2/v2\.0/token/?$", path)
        if m:
            return Token(self.server.org, self).handle(method, unquote(m.group(1)), body)
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            try:
                return Api(self.server.org, self).handle(method, path[len(API_PREFIX) + 1:], query)
            except ApiError as e:
                return api_error_resp(e)
        return api_error_resp(ApiError(404, "", "Resource not found: %s" % path))


# ---------------------------------------------------------------------------
# token endpoint (Entra ID v2.0 client-credentials look-alike)
# ---------------------------------------------------------------------------

class Token:
    def __init__(self, org, handler):
        self.org, self.h = org, handler

    def err(self, status, error, code, desc):
        now = self.org.now()
        trace, corr = str(uuid.uuid4()), str(uuid.uuid4())
        stamp = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(now))
        return json_resp(status, {
            "error": error,
            "error_description": "AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s"
                                 % (code, desc, trace, corr, stamp),
            "error_codes": [code], "timestamp": stamp, "trace_id": trace,
            "correlation_id": corr,
            "error_uri": "%s/error?code=%d" % (self.org.base, code)},
            [("Cache-Control", "no-store, no-cache"), ("Pragma", "no-cache")])

    def handle(self, method, tenant, body):
        cfg = self.org.config
        if method != "POST":
            return self.err(400, "invalid_request", 900561,
                            "The endpoint only accepts POST requests. Received a %s request." % method)
        if tenant not in (cfg["tenant_id"], "organizations"):
            return self.err(400, "invalid_request", 90002,
                            "Tenant '%s' not found. Check to make sure you have the correct tenant "
                            "ID and are signing into the correct cloud." % tenant)
        try:
            form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            form = {}
        auth = self.h.headers.get("Authorization") or ""
        if auth.lower().startswith("basic "):
            try:
                cid, _, sec = base64.b64decode(auth[6:].strip()).decode().partition(":")
                form.setdefault("client_id", unquote(cid))
                form.setdefault("client_secret", unquote(sec))
            except Exception:
                pass
        gt = form.get("grant_type")
        if not gt:
            return self.err(400, "invalid_request", 900144,
                            "The request body must contain the following parameter: 'grant_type'.")
        if gt != "client_credentials":
            return self.err(400, "unsupported_grant_type", 70003,
                            "The app requested an unsupported grant type '%s'." % gt)
        cid = form.get("client_id")
        if not cid:
            return self.err(400, "invalid_request", 900144,
                            "The request body must contain the following parameter: 'client_id'.")
        if cid != cfg["client_id"]:
            return self.err(400, "unauthorized_client", 700016,
                            "Application with identifier '%s' was not found in the directory '%s'. "
                            "This can happen if the application has not been installed by the "
                            "administrator of the tenant." % (cid, cfg["tenant_id"]))
        sec = form.get("client_secret")
        if not sec:
            return self.err(401, "invalid_client", 7000218,
                            "The request body must contain the following parameter: "
                            "'client_assertion' or 'client_secret'.")
        if sec != cfg["client_secret"]:
            return self.err(401, "invalid_client", 7000215,
                            "Invalid client secret provided. Ensure the secret being sent in the "
                            "request is the client secret value, not the client secret ID, for a "
                            "secret added to app '%s'." % cid)
        scope = form.get("scope")
        if not scope:
            return self.err(400, "invalid_request", 90014,
                            "The required field 'scope' is missing from the credential. Ensure "
                            "that you have all the necessary parameters for the login request.")
        if not scope.endswith("/.default") or " " in scope.strip():
            return self.err(400, "invalid_scope", 1002012,
                            "The provided value for scope %s is not valid. Client credential flows "
                            "must have a scope value with /.default suffixed to the resource "
                            "identifier (application ID URI)." % scope)
        resource = scope[: -len("/.default")].rstrip("/")
        if resource != self.org.base.rstrip("/"):
            return self.err(400, "invalid_resource", 500011,
                            "The resource principal named %s was not found in the tenant named %s. "
                            "This can happen if the application has not been installed by the "
                            "administrator of the tenant or consented to by any user in the tenant."
                            % (resource, cfg["tenant_id"]))
        tok, life = self.org.issue_token(cid)
        return json_resp(200, {"token_type": "Bearer", "expires_in": life, "ext_expires_in": life,
                               "access_token": tok},
                         [("Cache-Control", "no-store, no-cache"), ("Pragma", "no-cache")])


# ---------------------------------------------------------------------------
# Web API
# ---------------------------------------------------------------------------

def parse_query(query):
    """Raw query -> {lower-case option name: value} (first wins)."""
    out = {}
    try:
        pairs = parse_qsl(query, keep_blank_values=True)
    except ValueError:
        raise ApiError(400, E_ODATA, "The query string is not valid.")
    for k, v in pairs:
        k = k.strip().lower()
        if k and not k.startswith("$") and k in ("select", "filter", "orderby", "expand", "top",
                                                 "skip", "skiptoken", "deltatoken", "count"):
            k = "$" + k
        out.setdefault(k, v)
    return out


def parse_filter(s):
    """Tiny OData $filter subset: `path eq|ne literal` clauses joined by and/or.

    Returns a predicate over a dict.  Clauses it can't parse are ignored (true)."""
    def literal(t):
        t = t.strip()
        low = t.lower()
        if low in ("true", "false"):
            return low == "true"
        if low == "null":
            return None
        m = re.match(r"^(?:[\w.]+)?'((?:[^']|'')*)'$", t)
        if m:
            return m.group(1).replace("''", "'")
        try:
            return int(t)
        except ValueError:
            try:
                return float(t)
            except ValueError:
                return ValueError

    groups = []
    for g in re.split(r"\s+or\s+", s.strip(), flags=re.I):
        clauses = []
        for c in re.split(r"\s+and\s+", g, flags=re.I):
            c = c.strip().strip("()").strip()
            m = re.match(r"^([\w/]+)\s+(eq|ne)\s+(.+)$", c, flags=re.I)
            if not m:
                continue
            lit = literal(m.group(3))
            if lit is ValueError:
                continue
            clauses.append((m.group(1).split("/"), m.group(2).lower(), lit))
        groups.append(clauses)

    def get(d, path):
        for p in path:
            if not isinstance(d, dict):
                return None
            d = d.get(p)
        return d

    def pred(d):
        for clauses in groups:
            ok = True
            for path, op, lit in clauses:
                v = get(d, path)
                if (v == lit) != (op == "eq"):
                    ok = False
                    break
            if ok:
                return True
        return False
    return pred


def parse_expand(s):
    """`Attributes` or `Attributes($select=a,b)` -> (True, select list|None); else (False, None)."""
    if not s:
        return False, None
    m = re.match(r"^\s*Attributes\s*(?:\((.*)\))?\s*$", s)
    if not m:
        raise ApiError(400, E_ODATA, "Could not find a property named '%s' on type "
                       "'Microsoft.Dynamics.CRM.EntityMetadata'." % s.split("(")[0].strip())
    inner = m.group(1) or ""
    sel = None
    for part in inner.split(";"):
        k, _, v = part.partition("=")
        if k.strip().lower() == "$select":
            sel = [x.strip() for x in v.split(",") if x.strip()]
    return True, sel


class Api:
    def __init__(self, org, handler):
        self.org, self.h = org, handler
        self.base = org.base
        self.root = org.base + API_PREFIX

    def handle(self, method, rest, query):
        self.check_auth()
        if method not in ("GET", "HEAD"):
            raise ApiError(405, E_ODATA, "The requested resource does not support http method "
                           "'%s'. (The stand-in is read-only; use /admin.)" % method)
        seg = unquote(rest).rstrip("/")
        q = parse_query(query)
        if seg == "":
            return odata_resp(200, _dumps({
                "@odata.context": self.root + "/$metadata",
                "value": [{"name": t.set_name, "kind": "EntitySet", "url": t.set_name}
                          for t in self.org.tables.values()]}))
        if seg in ("WhoAmI", "WhoAmI()"):
            return odata_resp(200, _dumps({
                "@odata.context": self.root + "/$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse",
                "BusinessUnitId": _uuid5("bu"), "UserId": _uuid5("user:" + self.org.config["client_id"]),
                "OrganizationId": _uuid5("org")}))
        m = re.match(r"^RetrieveTotalRecordCount\(EntityNames=(.*)\)$", seg)
        if m:
            return self.total_count(m.group(1), q)
        if seg == "$metadata":
            raise ApiError(501, E_ODATA, "The lakeview stand-in does not serve $metadata; use "
                           "EntityDefinitions.")
        if seg == "EntityDefinitions":
            return self.entity_list(q)
        m = re.match(r"^EntityDefinitions\((?:LogicalName=)?'([^']*)'\)(/.*)?$", seg) or \
            re.match(r"^EntityDefinitions\(([0-9a-fA-F-]{36})\)(/.*)?$", seg)
        if m:
            return self.entity_one(m.group(1), m.group(2) or "", q)
        m = re.match(r"^(\w+)(?:\(\{?([0-9a-fA-F-]{36})\}?\))?(/\$count)?$", seg)
        if m:
            t = self.org.table_by_set(m.group(1))
            if t is not None:
                if m.group(2):
                    return self.single_row(t, m.group(2).lower(), q)
                return self.entity_set(t, q, count=bool(m.group(3)))
        raise ApiError(404, E_ODATA, "Resource not found for the segment '%s'." % seg.split("/")[0].split("(")[0])

    def check_auth(self):
        org = self.org
        hdr = [("WWW-Authenticate", self.h._www_auth())]
        auth = self.h.headers.get("Authorization")
        if not auth:
            raise ApiError(401, E_AUTH, "Bearer token is required: the request has no "
                           "Authorization header.", hdr)
        scheme, _, tok = auth.strip().partition(" ")
        tok = tok.strip()
        with org.lock:
            exp = org.tokens.get(tok) if scheme.lower() == "bearer" else None
        if exp is None:
            raise ApiError(401, E_AUTH, "The access token is invalid.", hdr)
        if org.now() >= exp:
            raise ApiError(401, E_AUTH, "The access token has expired.", hdr)

    # -- metadata -------------------------------------------------------------
    def total_count(self, arg, q):
        """RetrieveTotalRecordCount: live rows per logical name (the real one is up to 24 h old)."""
        if arg.startswith("@"):
            arg = q.get(arg, "")
        try:
            names = json.loads(arg)
        except ValueError:
            raise ApiError(400, E_ODATA, "EntityNames must be a JSON array of logical names.")
        if not isinstance(names, list):
            raise ApiError(400, E_ODATA, "EntityNames must be a JSON array of logical names.")
        vals = []
        for n in names:
            t = self.org.tables.get(n) if isinstance(n, str) else None
            if t is None:
                raise ApiError(404, E_ODATA, "Entity '%s' was not found." % n)
            vals.append(len(t.live))
        return odata_resp(200, _dumps({
            "@odata.context": self.root + "/$metadata#Microsoft.Dynamics.CRM.RetrieveTotalRecordCountResponse",
            "EntityRecordCountCollection": {"Count": len(names), "IsReadOnly": False,
                                            "Keys": names, "Values": vals}}))

    def render_entity(self, t, select, expand, attr_select):
        m = t.meta
        d = {"ActivityTypeMask": m.get("ActivityTypeMask", 0), "IsActivity": m.get("IsActivity", False),
             "IsCustomEntity": m.get("IsCustomEntity", "_" in t.name),
             "ChangeTrackingEnabled": m["ChangeTrackingEnabled"], "IsIntersect": False,
             "IsManaged": m.get("IsManaged", True), "LogicalName": t.name,
             "ObjectTypeCode": m.get("ObjectTypeCode", 10000 + (int(_uuid5(t.name)[:4], 16) % 9000)),
             "OwnershipType": m.get("OwnershipType", "UserOwned"),
             "PrimaryNameAttribute": m["PrimaryNameAttribute"],
             "PrimaryImageAttribute": m.get("PrimaryImageAttribute"),
             "PrimaryIdAttribute": t.pk, "SchemaName": m["SchemaName"],
             "LogicalCollectionName": m.get("LogicalCollectionName", t.set_name),
             "CollectionSchemaName": m.get("CollectionSchemaName", schema_name(t.set_name)),
             "EntitySetName": t.set_name, "MetadataId": m["MetadataId"], "HasChanged": None,
             "DisplayName": label(m.get("DisplayName"), "entitydn:" + t.name)}
        ctbe = m.get("CanChangeTrackingBeEnabled", True)
        d["CanChangeTrackingBeEnabled"] = ctbe if isinstance(ctbe, dict) else {
            "Value": bool(ctbe), "CanBeChanged": False,
            "ManagedPropertyLogicalName": "canchangetrackingbeenabled"}
        for k, v in m.items():
            if k not in d:
                d[k] = v
        if select is not None:
            for s in select:
                if s not in d and s != "Attributes":
                    raise ApiError(400, E_ODATA, "Could not find a property named '%s' on type "
                                   "'Microsoft.Dynamics.CRM.EntityMetadata'." % s)
            d = {k: v for k, v in d.items() if k in select or k == "MetadataId"}
        if expand:
            d["Attributes"] = self.render_attrs(t, attr_select, None)
        return d

    def render_attrs(self, t, select, cast):
        out = []
        for a in t.attrs.values():
            r = render_attr(a, t)
            if cast and r.get("@odata.type") != "#Microsoft.Dynamics.CRM." + cast:
                continue
            if select:
                r = {k: v for k, v in r.items() if k in select or k in ("@odata.type", "MetadataId")}
            out.append(r)
        return out

    def ctx(self, what, select, expand=False):
        inner = list(select or [])
        if expand:
            inner.append("Attributes()")
        return "%s/$metadata#%s%s" % (self.root, what, "(%s)" % ",".join(inner) if inner else "")

    def entity_list(self, q):
        select = [s.strip() for s in q["$select"].split(",") if s.strip()] if "$select" in q else None
        expand, attr_sel = parse_expand(q.get("$expand"))
        pred = parse_filter(q["$filter"]) if q.get("$filter") else None
        with self.org.lock:
            tables = list(self.org.tables.values())
        vals = []
        for t in tables:
            full = self.render_entity(t, None, False, None)
            if pred is not None and not pred(full):
                continue
            vals.append(self.render_entity(t, select, expand, attr_sel))
        return odata_resp(200, _dumps({"@odata.context": self.ctx("EntityDefinitions", select, expand),
                                           "value": vals}))

    def find_entity(self, key):
        with self.org.lock:
            for t in self.org.tables.values():
                if t.name == key or t.meta["MetadataId"] == key.lower():
                    return t
        raise ApiError(404, E_NOT_FOUND, "Could not find an entity with LogicalName = '%s'." % key)

    def entity_one(self, key, sub, q):
        t = self.find_entity(key)
        select = [s.strip() for s in q["$select"].split(",") if s.strip()] if "$select" in q else None
        if sub == "":
            expand, attr_sel = parse_expand(q.get("$expand"))
            d = {"@odata.context": self.ctx("EntityDefinitions", select, expand) + "/$entity"}
            d.update(self.render_entity(t, select, expand, attr_sel))
            return odata_resp(200, _dumps(d))
        m = re.match(r"^/Attributes(?:/Microsoft\.Dynamics\.CRM\.(\w+))?$", sub)
        if m:
            attrs = self.render_attrs(t, select, m.group(1))
            what = "EntityDefinitions('%s')/Attributes" % t.meta["MetadataId"]
            if m.group(1):
                what += "/Microsoft.Dynamics.CRM." + m.group(1)
            return odata_resp(200, _dumps({"@odata.context": self.ctx(what, select),
                                               "value": attrs}))
        m = re.match(r"^/Attributes\((?:LogicalName=)?'([^']*)'\)$", sub)
        if m:
            a = t.attrs.get(m.group(1).lower())
            if a is None:
                raise ApiError(404, E_NOT_FOUND, "Could not find attribute '%s' on entity '%s'."
                               % (m.group(1), t.name))
            d = {"@odata.context": self.root + "/$metadata#EntityDefinitions('%s')/Attributes/$entity"
                 % t.meta["MetadataId"]}
            d.update(render_attr(a, t))
            return odata_resp(200, _dumps(d))
        raise ApiError(404, E_ODATA, "Resource not found for the segment '%s'." % sub.strip("/"))

    # -- data -------------------------------------------------------------------
    def single_row(self, t, rid, q):
        sel = self.select_list(q)
        plan = t.plan(sel)
        with self.org.lock:
            e = t.live.get(rid)
            if e is None:
                raise ApiError(404, E_NOT_FOUND, "%s With Id = %s Does Not Exist" % (t.name, rid))
            ver = t.entry_version(e)
        row = serialize_row(plan, ver, t.entry_values(e))
        ctx = self.ctx(t.set_name, sel) + "/$entity"
        return odata_resp(200, '{"@odata.context":%s,%s' % (_jstr(ctx), row[1:]))

    @staticmethod
    def select_list(q):
        if "$select" not in q:
            return None
        return [s.strip() for s in q["$select"].split(",") if s.strip()] or None

    def entity_set(self, t, q, count=False):
        org = self.org
        prefer = split_prefer(self.h.headers)
        skiptoken, deltatoken = q.get("$skiptoken"), q.get("$deltatoken")
        snap = None
        if skiptoken is not None:
            snap = self.find_snapshot(skiptoken, t)
        tracking = "odata.track-changes" in prefer or deltatoken is not None or \
            (snap is not None and snap.kind != "plain")
        for opt in ("$skip", "$apply", "$search"):
            if opt in q:
                raise ApiError(400, E_ODATA, "The query parameter %s is not supported." % opt)
        if tracking:
            for opt in ("$filter", "$orderby", "$expand", "$top"):
                if opt in q:
                    raise ApiError(400, E_ODATA, 'The "%s" query parameter isn\'t supported when '
                                   'Change Tracking is enabled.' % opt)
            if not t.meta["ChangeTrackingEnabled"]:
                raise ApiError(400, E_CT_NOT_ENABLED, "Entity %s isn't enabled for change tracking."
                               % t.name)
        else:
            for opt in ("$filter", "$orderby", "$expand"):
                if opt in q:
                    raise ApiError(501, E_ODATA, "The lakeview stand-in does not implement %s on "
                                   "ordinary queries." % opt)
        size = snap.page_size if snap is not None else org.config["default_page_size"]
        mps = prefer.get("odata.maxpagesize")
        applied = ["odata.track-changes"] if tracking else []
        if mps is not None and mps is not True:
            try:
                size = max(1, int(mps))
                applied.append("odata.maxpagesize=%d" % min(size, int(org.config["max_page_size"])))
            except ValueError:
                pass
        size = max(1, min(int(size), int(org.config["max_page_size"])))
        hdrs = [("Preference-Applied", ",".join(applied))] if applied else []
        if snap is None:
            select = self.select_list(q)
            plan = t.plan(select)
            select_raw = ",".join(select) if select else None
            if deltatoken is not None:
                snap = self.delta_snapshot(t, deltatoken, plan, select_raw, count)
            else:
                snap = self.initial_snapshot(t, plan, select_raw, tracking, q.get("$top"), count)
            if count:
                return Resp(200, str(len(snap.items)), ODATA_HEADERS, "text/plain; charset=utf-8")
            snap.page_size = size
            org.put_snapshot(snap)
            offset = 0
        else:
            offset = self.snapshot_offset
        body = self.page(snap, offset, size)
        return odata_resp(200, body, hdrs)

    def find_snapshot(self, skiptoken, t):
        m = re.search(r'pagingcookie="([^"]*)"', skiptoken)
        inner = unquote(m.group(1)) if m else ""
        ms = re.search(r'snapshot="([0-9a-f]+)"', inner)
        mo = re.search(r'offset="(\d+)"', inner)
        snap = self.org.get_snapshot(ms.group(1)) if ms else None
        if snap is None or mo is None or snap.table is not t and snap.table.name != t.name:
            raise ApiError(400, E_INVALID_ARG, "The paging cookie ($skiptoken) is invalid or has "
                           "expired. Restart the query without $skiptoken.")
        self.snapshot_offset = min(int(mo.group(1)), len(snap.items))
        return snap

    def initial_snapshot(self, t, plan, select_raw, tracking, top, count):
        org = self.org
        if top is not None:
            try:
                top = int(top)
                if top < 0:
                    raise ValueError
            except ValueError:
                raise ApiError(400, E_ODATA, "Invalid value for $top: '%s'." % top)
        with org.lock:
            items = list(t.live.values())
            ver, ts = org.version, org.now()
        if top is not None:
            items = items[:top]
        ctx = self.ctx(t.set_name, select_raw.split(",") if select_raw else None)
        token = "%d!%s" % (ver, fmt_token_time(ts)) if tracking else None
        return Snapshot(uuid.uuid4().hex[:16], t, "initial" if tracking else "plain", items, plan,
                        select_raw, ctx, token, self.root + "/$metadata#%s/$deletedEntity" % t.set_name)

    def delta_snapshot(self, t, deltatoken, plan, select_raw, count):
        org = self.org
        m = DELTA_TOKEN_RE.match(deltatoken.strip())
        if not m:
            raise ApiError(400, E_INVALID_ARG, "The delta token '%s' is not valid." % deltatoken)
        tver = int(m.group(1))
        mo, dd, yy, hh, mi, ss = (int(x) for x in m.group(2, 3, 4, 5, 6, 7))
        try:
            from datetime import datetime, timezone
            tts = datetime(yy, mo, dd, hh, mi, ss, tzinfo=timezone.utc).timestamp()
        except ValueError:
            raise ApiError(400, E_INVALID_ARG, "The delta token '%s' is not valid." % deltatoken)
        with org.lock:
            now = org.now()
            if tver <= org.expired_below or tver > org.version or \
                    now - tts > float(org.config["retention_seconds"]):
                raise ApiError(400, E_EXPIRED_VERSION, "Version stamp associated with the client "
                               "has expired. Please perform a full sync.")
            ups = []
            for e in reversed(t.live.values()):
                if (t.gen.base + e if type(e) is int else e.version) <= tver:
                    break
                ups.append(e)
            ups.reverse()
            dels = []
            for tb in reversed(t.tombs.values()):
                if tb.version <= tver:
                    break
                dels.append(tb)
            dels.reverse()
            ver = org.version
        ctx = self.ctx(t.set_name, select_raw.split(",") if select_raw else None) + "/$delta"
        return Snapshot(uuid.uuid4().hex[:16], t, "delta", ups + dels, plan, select_raw, ctx,
                        "%d!%s" % (ver, fmt_token_time(now)),
                        self.root + "/$metadata#%s/$deletedEntity" % t.set_name)

    # -- pages --------------------------------------------------------------
    def link(self, snap, param):
        url = "%s/%s?" % (self.root, snap.table.set_name)
        if snap.select_raw:
            url += "$select=%s&" % quote(snap.select_raw, safe=",_")
        return url + param

    def build_page(self, snap, offset, size):
        t = snap.table
        items = snap.items[offset:offset + size]
        end = offset + len(items)
        plan = snap.plan
        parts = []
        ap = parts.append
        dctx = _jstr(snap.deleted_ctx)
        gen = t.gen
        st = gen.plan_state(plan) if gen is not None else None
        for e in items:
            if type(e) is int:
                ap(gen.row_text(st, e, gen.base + e))
            elif type(e) is Row:
                ap(serialize_row(plan, e.version, e.vals))
            else:
                ap('{"@odata.context":%s,"id":"%s","reason":"deleted"}' % (dctx, e.id))
        body = '{"@odata.context":%s,"value":[%s]' % (_jstr(snap.context), ",".join(parts))
        if end < len(snap.items):
            page_no = end // max(1, size) + 1
            inner = '<cookie page="%d" snapshot="%s" offset="%d" />' % (page_no - 1, snap.sid, end)
            cookie = '<cookie pagenumber="%d" pagingcookie="%s" istracking="%s" />' % (
                page_no, quote(inner, safe=""), "False" if snap.kind == "plain" else "True")
            body += ',"@odata.nextLink":%s' % _jstr(self.link(snap, "$skiptoken=" + quote(cookie, safe="=")))
        elif snap.token:
            body += ',"@odata.deltaLink":%s' % _jstr(
                self.link(snap, "$deltatoken=" + _lower_pct(quote(snap.token, safe=""))))
        return (body + "}").encode("utf-8")

    def page(self, snap, offset, size):
        """Page bytes, from the snapshot's cache when prefetched; schedules the next page."""
        key = (offset, size)
        with snap.lock:
            fut = snap.cache.get(key)
            mine = fut is None
            if mine:
                fut = snap.cache[key] = Future()
        if mine:
            try:
                fut.set_result(self.build_page(snap, offset, size))
            except BaseException as e:
                fut.set_exception(e)
                with snap.lock:
                    snap.cache.pop(key, None)
        body = fut.result()
        delay = float(self.org.config.get("page_delay") or 0)
        if delay > 0:
            # a real org takes 0.5-4 s per page: this page is ready `delay`
            # after its request arrived (or when built, if that took longer)
            left = delay - (time.monotonic() - getattr(self.h, "arrived", time.monotonic()))
            if left > 0:
                time.sleep(left)
        nxt = offset + size
        with snap.lock:
            for k in [k for k in snap.cache if k[0] < offset]:
                del snap.cache[k]
            if nxt < len(snap.items) and (nxt, size) not in snap.cache:
                f2 = snap.cache[(nxt, size)] = Future()
                api = Api(self.org, self.h)

                def work(f=f2, o=nxt):
                    try:
                        f.set_result(api.build_page(snap, o, size))
                    except BaseException as e:  # surfaced when the page is requested
                        f.set_exception(e)
                try:
                    self.org.prefetch.submit(work)
                except RuntimeError:          # executor shut down
                    del snap.cache[(nxt, size)]
        return body


# ---------------------------------------------------------------------------
# admin API
# ---------------------------------------------------------------------------

class Admin:
    def __init__(self, org, handler):
        self.org, self.h = org, handler

    def dispatch(self, method, path, query, body):
        try:
            try:
                data = json.loads(body.decode("utf-8")) if body.strip() else {}
            except (ValueError, UnicodeDecodeError) as e:
                raise AdminError(400, "body is not valid JSON: %s" % e)
            q = dict(parse_qsl(query, keep_blank_values=True))
            segs = [unquote(s) for s in path.strip("/").split("/")[1:]]
            return self.route(method, segs, q, data)
        except AdminError as e:
            return json_resp(e.status, {"error": e.message})

    def route(self, method, segs, q, data):
        org = self.org
        n = len(segs)
        head = segs[0] if segs else ""
        if head == "health" and method == "GET":
            with org.lock:
                return json_resp(200, {"ok": True, "base_url": org.base, "version": org.version,
                                       "tables": list(org.tables),
                                       "in_flight_max": org.in_flight_max})
        if head == "reset" and method == "POST":
            org.reset()
            return json_resp(200, {"ok": True, "version": org.version})
        if head == "config" and n == 1:
            if method in ("POST", "PATCH"):
                if not isinstance(data, dict):
                    raise AdminError(400, "config must be an object")
                with org.lock:
                    for k, v in data.items():
                        if k == "retention_days":
                            org.config["retention_seconds"] = float(v) * 86400
                        elif k in org.config:
                            org.config[k] = v
                        else:
                            raise AdminError(400, "unknown config key %r" % k)
            return json_resp(200, dict(org.config))
        if head == "clock" and n == 1:
            if method == "POST":
                with org.lock:
                    if "advance_seconds" in data:
                        org.clock_offset += float(data["advance_seconds"])
                    elif "offset_seconds" in data:
                        org.clock_offset = float(data["offset_seconds"])
                    elif "now" in data:
                        try:
                            org.clock_offset = parse_iso(str(data["now"])) - time.time()
                        except ValueError:
                            raise AdminError(400, "bad ISO time %r" % data["now"])
                    else:
                        raise AdminError(400, "give advance_seconds, offset_seconds or now")
            return json_resp(200, {"now": fmt_dt(org.now()), "offset_seconds": org.clock_offset})
        if head == "expire-delta" and method == "POST":
            org.expire_delta()
            return json_resp(200, {"expired_below": org.expired_below})
        if head == "tokens" and segs[1:] == ["revoke"] and method == "POST":
            with org.lock:
                k = len(org.tokens)
                org.tokens.clear()
            return json_resp(200, {"revoked": k})
        if head == "faults" and n == 1:
            if method == "GET":
                with org.lock:
                    return json_resp(200, {"faults": [dict(f) for f in org.faults]})
            if method == "DELETE":
                with org.lock:
                    k = len(org.faults)
                    org.faults.clear()
                return json_resp(200, {"cleared": k})
            if method == "POST":
                items = data.get("faults") if isinstance(data, dict) and "faults" in data else [data]
                if not isinstance(items, list):
                    raise AdminError(400, '"faults" must be a list')
                return json_resp(200, {"queued": [org.add_fault(f) for f in items]})
        if head == "requests" and n == 1:
            if method == "DELETE":
                with org.lock:
                    k = len(org.log)
                    org.log.clear()
                return json_resp(200, {"cleared": k})
            if method == "GET":
                with org.lock:
                    recs = [dict(r) for r in org.log]
                    if q.get("clear") not in (None, "", "0", "false"):
                        org.log.clear()
                if q.get("path"):
                    recs = [r for r in recs if q["path"] in r["path"]]
                return json_resp(200, {"requests": recs})
        if head == "tables":
            return self.tables(method, segs[1:], q, data)
        raise AdminError(404, "no admin endpoint %s %s" % (method, "/admin/" + "/".join(segs)))

    def tables(self, method, segs, q, data):
        org = self.org
        if not segs:
            if method == "GET":
                with org.lock:
                    return json_resp(200, {"tables": [
                        {"LogicalName": t.name, "EntitySetName": t.set_name,
                         "ChangeTrackingEnabled": t.meta["ChangeTrackingEnabled"],
                         "live_rows": len(t.live), "tombstones": len(t.tombs)}
                        for t in org.tables.values()]})
            if method == "POST":
                t = org.add_table(data)
                return json_resp(201, {"table": t.spec(), "live_rows": len(t.live)})
            raise AdminError(405, "use GET or POST on /admin/tables")
        with org.lock:
            t = org.table(segs[0])
        rest = segs[1:]
        if not rest:
            if method == "GET":
                with org.lock:
                    return json_resp(200, {"table": t.spec(), "live_rows": len(t.live),
                                           "tombstones": len(t.tombs)})
            if method == "DELETE":
                with org.lock:
                    org.tables.pop(t.name, None)
                return json_resp(200, {"deleted": t.name})
            if method == "PATCH":
                if not isinstance(data, dict):
                    raise AdminError(400, "body must be an object")
                for k in ("LogicalName", "PrimaryIdAttribute", "Attributes", "rows"):
                    if k in data:
                        raise AdminError(400, "%s can't be changed" % k)
                with org.lock:
                    if "EntitySetName" in data:
                        other = org.table_by_set(data["EntitySetName"])
                        if other is not None and other is not t:
                            raise AdminError(409, "EntitySetName %s is taken" % data["EntitySetName"])
                    t.meta.update(data)
                    if "ChangeTrackingEnabled" in data:
                        t.meta["ChangeTrackingEnabled"] = bool(data["ChangeTrackingEnabled"])
                    return json_resp(200, {"table": t.spec()})
            raise AdminError(405, "use GET, PATCH or DELETE on /admin/tables/T")
        if rest[0] == "attributes":
            return self.attributes(method, t, rest[1:], data)
        if rest[0] == "tombstones" and method == "GET":
            with org.lock:
                tl = [{"id": tb.id, "version": tb.version, "deletedon": fmt_dt(tb.ts)}
                      for tb in t.tombs.values()]
            return json_resp(200, {"tombstones": tl})
        if rest[0] == "rows":
            if rest[1:] == ["delete"] and method == "POST" or rest[1:] == [] and method == "DELETE":
                ids = data.get("ids") if isinstance(data, dict) else None
                return json_resp(200, org.delete(t, ids))
            if rest[1:]:
                raise AdminError(404, "unknown rows endpoint")
            if method in ("POST", "PUT", "PATCH"):
                rows = data.get("rows") if isinstance(data, dict) else data
                out = org.upsert(t, rows, must_exist=(method == "PATCH"))
                return json_resp(200, {"rows": out, "version": org.version})
            if method == "GET":
                return self.rows(t, q)
        raise AdminError(404, "no admin endpoint %s /admin/tables/%s" % (method, "/".join(segs)))

    def attributes(self, method, t, rest, data):
        org = self.org
        with org.lock:
            if not rest and method == "POST":
                a = normalize_attr(data, t.name)
                if a["LogicalName"] in t.attrs:
                    raise AdminError(409, "attribute %s exists" % a["LogicalName"])
                t.attrs[a["LogicalName"]] = a
                return json_resp(201, {"attribute": a})
            if not rest and method == "GET":
                return json_resp(200, {"attributes": list(t.attrs.values())})
            if len(rest) != 1:
                raise AdminError(404, "unknown attributes endpoint")
            old = t.attrs.get(rest[0].lower())
            if old is None:
                raise AdminError(404, "table %s has no attribute %s" % (t.name, rest[0]))
            ln = old["LogicalName"]
            if method == "DELETE":
                if ln == t.pk:
                    raise AdminError(400, "can't remove the primary key")
                del t.attrs[ln]
                return json_resp(200, {"deleted": ln})
            if method == "PATCH":
                if not isinstance(data, dict):
                    raise AdminError(400, "body must be an object")
                if data.get("LogicalName", ln).lower() != ln:
                    raise AdminError(400, "LogicalName can't be changed")
                if "AttributeType" in data and data["AttributeType"] != old["AttributeType"]:
                    spec = {k: v for k, v in old.items() if k in COMMON_ATTR_KEYS}
                else:
                    spec = dict(old)
                    if "AttributeTypeName" not in data:
                        spec.pop("AttributeTypeName", None)
                spec.update(data)
                a = normalize_attr(spec, t.name)
                t.attrs[ln] = a
                return json_resp(200, {"attribute": a})
            if method == "GET":
                return json_resp(200, {"attribute": old})
        raise AdminError(405, "method not allowed")

    def rows(self, t, q):
        org = self.org
        try:
            offset = int(q.get("offset") or 0)
            limit = int(q["limit"]) if q.get("limit") else None
        except ValueError:
            raise AdminError(400, "offset/limit must be integers")
        with org.lock:
            entries = list(t.live.values())
            ver = org.version
            total = len(entries)
        entries = entries[offset: offset + limit if limit is not None else None]
        if q.get("format") == "webapi":
            plan = t.plan(None)
            rows = [json.loads(serialize_row(plan, t.entry_version(e), t.entry_values(e)))
                    for e in entries]
        else:
            cols = [a["LogicalName"] for a in t.data_attrs()]
            rows = []
            for e in entries:
                vals = t.entry_values(e)
                r = {c: vals.get(c) for c in cols}
                r["versionnumber"] = t.entry_version(e)
                rows.append(r)
        return json_resp(200, {"rows": rows, "count": total, "version": ver})


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description="Dataverse Web API stand-in (see module docstring).")
    ap.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = any free port)")
    ap.add_argument("--org", metavar="FILE.json", help="load an org description")
    ap.add_argument("--sample-org", action="store_true",
                    help="built-in sample org: account, contact (tracked), task (not tracked)")
    ap.add_argument("--sample-rows", type=int, default=5000,
                    help="sample rows in total, 40%% accounts / 60%% contacts (default 5000)")
    ap.add_argument("--seed", default="42", help="seed for sample data and generated ids")
    ap.add_argument("--tls-cert", help="PEM certificate: serve HTTPS")
    ap.add_argument("--tls-key", help="PEM private key for --tls-cert")
    ap.add_argument("--base-url", help="URL advertised in links and required in the token scope "
                                       "(default: the listening URL)")
    ap.add_argument("--token-lifetime", type=int, help="bearer token lifetime, seconds (3599)")
    ap.add_argument("--retention-days", type=float, help="delta token retention (7 days)")
    ap.add_argument("--max-page-size", type=int, help="largest odata.maxpagesize honoured (5000)")
    ap.add_argument("--page-delay", type=float, help="seconds each page takes to answer (0)")
    ap.add_argument("--verbose", action="store_true", help="log requests to stderr")
    args = ap.parse_args(argv)

    if args.org and args.sample_org:
        ap.error("--org and --sample-org are exclusive")
    if bool(args.tls_cert) != bool(args.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    if args.sample_rows < 1:
        ap.error("--sample-rows must be >= 1")
    if args.org:
        loader = load_org_file(args.org)
    elif args.sample_org:
        loader = sample_org(args.sample_rows, args.seed)
    else:
        def loader():
            return {}, [], 1000
    overrides = {}
    if args.token_lifetime is not None:
        overrides["token_lifetime"] = args.token_lifetime
    if args.retention_days is not None:
        overrides["retention_seconds"] = args.retention_days * 86400
    if args.max_page_size is not None:
        overrides["max_page_size"] = args.max_page_size
    if args.page_delay is not None:
        overrides["page_delay"] = args.page_delay
    org = Org(loader, args.seed, overrides)

    ctx = None
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
    server = Server(("127.0.0.1", args.port), org, ctx, args.verbose)
    port = server.server_address[1]
    url = "%s://127.0.0.1:%d" % ("https" if ctx else "http", port)
    org.base = (args.base_url or url).rstrip("/")

    def stop(signum, frame):
        raise SystemExit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.stdout.write("READY %s\n" % url)
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.25)
    except (SystemExit, KeyboardInterrupt):
        pass
    finally:
        try:
            server.server_close()
            org.prefetch.shutdown(wait=False, cancel_futures=True)
        finally:
            sys.stderr.flush()
            os._exit(0)


if __name__ == "__main__":
    main()
