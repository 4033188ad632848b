"""Shared helpers of the integration suite (tests/integration): lakectl
against the Dataverse stand-in (tests/dataverse/standin.py).

What it offers:
  Standin     the stand-in as a subprocess on a free port (READY line), its
              admin API, and a Web API reader that keeps numbers as text
  Store       a throw-away lakeview store linked to a stand-in; runs lakectl
  Proxy       an in-process HTTP proxy in front of the stand-in that can
              rewrite Web API answers (bad answers the stand-in can't make)
  org_spec()  a small deterministic organisation (several tables, every
              common attribute kind, awkward strings)
  mutate()    creates, updates (incl. partition moves) and deletes
  check_source(), lake_content(): compare a lake with the stand-in's rows
              or with another lake

Everything started here is stopped by PID (stop()/close(), tearDown, and an
atexit hook as the last resort); nothing is left running.

Environment (set by tests/integration/meson.build):
  LAKECTL   the lakectl binary (default <repo>/build/tools/lakectl)
  STANDIN   tests/dataverse/standin.py (default: found from this file)
Exit status of a test program: 0 pass, 1 fail, 77 skip.
"""
import atexit
import csv
import datetime
import hashlib
import http.client
import http.server
import io
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
LAKECTL = os.environ.get("LAKECTL") or os.path.join(ROOT, "build", "tools", "lakectl")
STANDIN = os.environ.get("STANDIN") or os.path.join(ROOT, "tests", "dataverse", "standin.py")

TENANT = "00000000-0000-0000-0000-000000000001"
CLIENT_ID = "lakeview-test"
SECRET = "s3cret-value"
ENV = "it"
ORG = "org0a1b2c3d"
API = "/api/data/v9.2"
UA = "lakeview-integration-test"

VERBOSE = bool(os.environ.get("LVTEST_VERBOSE"))


def log(*a):
    if VERBOSE:
        print("[lvtest]", *a, file=sys.stderr, flush=True)


def require():
    """Skip (77) when lakectl or the stand-in is missing."""
    if not os.access(LAKECTL, os.X_OK):
        print("lakectl not found at %s (set LAKECTL)" % LAKECTL, file=sys.stderr)
        sys.exit(77)
    if not os.path.exists(STANDIN):
        print("stand-in not found at %s (set STANDIN)" % STANDIN, file=sys.stderr)
        sys.exit(77)


def main():
    """unittest.main with exit status 0/1, and 77 when any test was skipped:
    a run with a skipped part is not a pass."""
    require()
    prog = unittest.main(exit=False, verbosity=2)
    r = prog.result
    if not r.wasSuccessful():
        sys.exit(1)
    if r.skipped:
        sys.exit(77)
    sys.exit(0)


# -- process bookkeeping -----------------------------------------------------

_live = {}  # pid -> Popen of everything we started and have not reaped


def _track(p):
    _live[p.pid] = p
    return p


def _stop(p, sig=signal.SIGTERM, wait=10):
    if p is None or p.poll() is not None:
        _live.pop(getattr(p, "pid", None), None)
        return
    try:
        os.kill(p.pid, sig)
        p.wait(timeout=wait)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.kill(p.pid, signal.SIGKILL)
            p.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    _live.pop(p.pid, None)


@atexit.register
def _reap_all():
    for p in list(_live.values()):
        _stop(p, wait=5)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# -- the stand-in ------------------------------------------------------------

class Num(str):
    """A JSON number kept as its exact text."""


def jloads(data):
    return json.loads(data, parse_float=Num, parse_int=Num)


class Standin:
    """tests/dataverse/standin.py as a subprocess on a free port."""

    def __init__(self, org=None, args=(), tmp=None):
        self.tmp = tmp or tempfile.mkdtemp(prefix="lvit-standin-")
        self._own_tmp = tmp is None
        argv = [sys.executable, STANDIN, "--port", "0"]
        if org is not None:
            path = os.path.join(self.tmp, "org.json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump(org, f)
            argv += ["--org", path]
        argv += list(args)
        self.errpath = os.path.join(self.tmp, "standin.stderr")
        self.err = open(self.errpath, "wb")
        self.proc = _track(subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.err,
                                            stdin=subprocess.DEVNULL))
        line = b""
        deadline = time.time() + 30
        while not line.endswith(b"\n"):
            r, _, _ = select.select([self.proc.stdout], [], [], max(0.1, deadline - time.time()))
            if not r:
                if time.time() > deadline:
                    self.stop()
                    raise RuntimeError("stand-in did not print READY in 30 s")
                continue
            c = os.read(self.proc.stdout.fileno(), 1)
            if not c:
                self.stop()
                raise RuntimeError("stand-in exited before READY: %s" % self.stderr())
            line += c
        m = re.match(r"^READY (https?://\S+)$", line.decode().strip())
        if not m:
            self.stop()
            raise RuntimeError("unexpected first line from the stand-in: %r" % line)
        self.url = m.group(1)
        self.port = int(self.url.rsplit(":", 1)[1])
        self.base = self.admin("GET", "/admin/health")["base_url"]
        self._token = None

    def stderr(self):
        try:
            with open(self.errpath, "rb") as f:
                return f.read().decode("utf-8", "replace")[-4000:]
        except OSError:
            return ""

    def stop(self):
        _stop(self.proc)
        try:
            self.proc.stdout.close()
        except Exception:
            pass
        self.err.close()
        if self._own_tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)

    @property
    def token_url(self):
        return "%s/%s/oauth2/v2.0/token" % (self.url, TENANT)

    # -- admin API ----------------------------------------------------------
    def request(self, method, path, body=None, headers=None, timeout=120):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            data = None
            h = {"User-Agent": UA}
            if body is not None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                h["Content-Type"] = "application/json"
            h.update(headers or {})
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
        finally:
            c.close()

    def admin(self, method, path, body=None):
        st, _, data = self.request(method, path, body)
        if st >= 300:
            raise AssertionError("stand-in admin %s %s -> %d %s" % (method, path, st, data[:500]))
        return json.loads(data) if data else None

    def fault(self, kind, **kw):
        f = {"kind": kind}
        f.update(kw)
        return self.admin("POST", "/admin/faults", f)

    def pending_faults(self):
        return self.admin("GET", "/admin/faults")["faults"]

    def clear_faults(self):
        self.admin("DELETE", "/admin/faults")

    def requests(self, clear=False):
        return self.admin("GET", "/admin/requests" + ("?clear=1" if clear else ""))["requests"]

    def clear_requests(self):
        self.admin("DELETE", "/admin/requests")

    def version(self):
        return self.admin("GET", "/admin/health")["version"]

    def upsert(self, table, rows):
        return self.admin("POST", "/admin/tables/%s/rows" % table, {"rows": rows})

    def delete(self, table, ids):
        return self.admin("DELETE", "/admin/tables/%s/rows" % table, {"ids": ids})

    def table_spec(self, table):
        return self.admin("GET", "/admin/tables/" + table)["table"]

    def live_ids(self, table):
        pk = self.table_spec(table)["PrimaryIdAttribute"]
        return [r[pk] for r in self.admin("GET", "/admin/tables/%s/rows" % table)["rows"]]

    def tombstones(self, table):
        return self.admin("GET", "/admin/tables/%s/tombstones" % table)["tombstones"]

    # -- Web API (what a client is served), numbers kept as text -------------
    def token(self):
        if self._token is None:
            form = urllib.parse.urlencode({
                "grant_type": "client_credentials", "client_id": CLIENT_ID,
                "client_secret": SECRET, "scope": self.base + "/.default"}).encode()
            st, _, data = self.request("POST", "/%s/oauth2/v2.0/token" % TENANT, form,
                                       {"Content-Type": "application/x-www-form-urlencoded"})
            if st != 200:
                raise AssertionError("token: %d %s" % (st, data))
            self._token = json.loads(data)["access_token"]
        return self._token

    def webapi_rows(self, table):
        """Every live row of @table exactly as the Web API serves it (plain,
        untracked query, all pages), numbers as Num text."""
        spec = self.table_spec(table)
        path = "%s/%s" % (API, spec["EntitySetName"])
        out = []
        while path:
            st, _, data = self.request("GET", path, None, {
                "Authorization": "Bearer " + self.token(), "Accept": "application/json",
                "OData-Version": "4.0", "OData-MaxVersion": "4.0",
                "Prefer": "odata.maxpagesize=5000"})
            if st == 401:
                self._token = None
                continue
            if st != 200:
                raise AssertionError("Web API %s: %d %s" % (path, st, data[:300]))
            doc = jloads(data)
            out += doc["value"]
            nl = doc.get("@odata.nextLink")
            path = None
            if nl:
                u = urllib.parse.urlsplit(nl)
                path = u.path + "?" + u.query
        return out


# -- in-process HTTP servers -------------------------------------------------

class QuietHandler(http.server.BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive, no access log on stderr."""
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass


class Server:
    """@handler served on a free loopback port from a daemon thread;
    port, url; stop() ends it."""

    def __init__(self, handler):
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1},
                                       daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


# -- a rewriting proxy (bad answers) ----------------------------------------

class Proxy(Server):
    """An HTTP proxy on 127.0.0.1 in front of a stand-in.  Start the
    stand-in with --base-url self.url so its links point here.  `rewrite`
    (None or fn(method, path_query, status, body) -> body) may change Web API
    answers; `answer` (None or fn(method, path_query) -> body or None)
    answers a Web API GET itself with 200 and that JSON body, without the
    stand-in; every request is recorded in `seen` as (method, host header,
    path_query)."""

    def __init__(self):
        self.rewrite = None
        self.answer = None
        self.target = None
        self.seen = []
        proxy = self

        class H(QuietHandler):
            def _do(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                proxy.seen.append((self.command, self.headers.get("Host"), self.path))
                own = proxy.answer(self.command, self.path) if proxy.answer else None
                if own is not None:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(own)))
                    self.end_headers()
                    self.wfile.write(own)
                    return
                hdrs = {k: v for k, v in self.headers.items()
                        if k.lower() not in ("host", "accept-encoding", "connection",
                                             "content-length")}
                c = http.client.HTTPConnection("127.0.0.1", proxy.target, timeout=300)
                try:
                    c.request(self.command, self.path, body=body, headers=hdrs)
                    r = c.getresponse()
                    data = r.read()
                    status = r.status
                    rh = [(k, v) for k, v in r.getheaders()
                          if k.lower() not in ("content-length", "connection",
                                               "transfer-encoding", "content-encoding")]
                finally:
                    c.close()
                if proxy.rewrite and self.path.startswith(API + "/"):
                    data = proxy.rewrite(self.command, self.path, status, data)
                self.send_response(status)
                for k, v in rh:
                    if k.lower() not in ("date", "server"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = _do

        Server.__init__(self, H)


# -- a lakeview store --------------------------------------------------------

class LakectlError(AssertionError):
    pass


class Store:
    """A lakeview store in a fresh temporary directory, linked to @standin
    (or created with link=False); close() removes it."""

    def __init__(self, standin=None, page_size=100, retry_base_ms=50, link=True, url=None,
                 token_url=None, conf=None, name="store"):
        self.tmp = tempfile.mkdtemp(prefix="lvit-store-")
        self.dir = os.path.join(self.tmp, name)
        self.secret_file = os.path.join(self.tmp, "secret")
        with open(self.secret_file, "w") as f:
            f.write(SECRET + "\n")
        os.chmod(self.secret_file, 0o600)  # lakeview refuses a secret others can read
        self.now = None  # LAKEVIEW_NOW when set
        if standin is not None and link:
            try:
                self.link(url or standin.url, token_url or standin.token_url, page_size)
                c = {"retry_base_ms": retry_base_ms}
                c.update(conf or {})
                self.conf_set(**c)
            except BaseException:
                self.close()
                raise

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def link(self, url, token_url, page_size=None, secret_file=None, expect_ok=True):
        args = ["--environment", ENV, "--organization", ORG, "--dataverse-url", url,
                "--tenant-id", TENANT, "--client-id", CLIENT_ID,
                "--client-secret-file", secret_file or self.secret_file, "--token-url", token_url]
        if page_size:
            args += ["--page-size", str(page_size)]
        p = self.run("link", *args)
        if expect_ok and p.returncode != 0:
            raise LakectlError("link failed: " + p.stderr.decode("utf-8", "replace"))
        return p

    @property
    def conf_path(self):
        return os.path.join(self.dir, "lakeview.conf")

    def conf_set(self, **kv):
        with open(self.conf_path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        for k, v in kv.items():
            new = "%s = %s" % (k, v)
            for i, l in enumerate(lines):
                if l.split("=", 1)[0].strip() == k:
                    lines[i] = new
                    break
            else:
                if lines and lines[-1] == "":
                    lines.insert(len(lines) - 1, new)
                else:
                    lines.append(new)
        with open(self.conf_path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines))

    # -- running lakectl ----------------------------------------------------
    def argv(self, cmd, *args):
        argv = [LAKECTL, cmd]
        if cmd == "tables" and args and not args[0].startswith("-"):
            argv.append(args[0])
            args = args[1:]
        return argv + ["--store", self.dir] + list(args)

    def env(self):
        env = dict(os.environ)
        for k in ("LAKEVIEW_STORE", "LAKEVIEW_CLIENT_SECRET", "LAKEVIEW_NOW"):
            env.pop(k, None)
        if self.now is not None:
            env["LAKEVIEW_NOW"] = str(self.now)
        env["LC_ALL"] = "C"
        return env

    def run(self, cmd, *args, timeout=300):
        return subprocess.run(self.argv(cmd, *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, env=self.env(), timeout=timeout)

    def ok(self, cmd, *args, **kw):
        p = self.run(cmd, *args, **kw)
        if p.returncode != 0:
            raise LakectlError("lakectl %s %s failed (%d): %s" % (
                cmd, " ".join(args), p.returncode, p.stderr.decode("utf-8", "replace")))
        return p.stdout.decode("utf-8")

    def spawn(self, cmd, *args):
        """Start lakectl in the background (for kill -9); returns the Popen."""
        return _track(subprocess.Popen(self.argv(cmd, *args), stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                       env=self.env()))

    def kill(self, p):
        """kill -9 a spawned lakectl (by its PID) and reap it."""
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
        p.wait(timeout=30)
        try:
            p.stderr.close()
        except Exception:
            pass
        _live.pop(p.pid, None)

    def add(self, table, append_only=False, month=False):
        args = ["add", table]
        if append_only:
            args.append("--append-only")
        if month:
            args += ["--partition", "month"]
        return self.ok("tables", *args)

    def sync(self, *tables, expect_ok=True):
        p = self.run("sync", *tables)
        if expect_ok and p.returncode != 0:
            raise LakectlError("lakectl sync failed (%d): %s" % (
                p.returncode, p.stderr.decode("utf-8", "replace")))
        return p

    def status(self):
        return json.loads(self.ok("status", "--json"))

    def table_status(self, table):
        for t in self.status()["tables"]:
            if t["name"] == table:
                return t
        raise AssertionError("no table %s in status" % table)

    # -- reading the lake ---------------------------------------------------
    def ls(self):
        return [l for l in self.ok("ls", "-R").split("\n") if l]

    def files(self):
        return sorted(p for p in self.ls() if not p.endswith("/"))

    def cat(self, path):
        p = self.run("cat", path)
        if p.returncode != 0:
            raise LakectlError("lakectl cat %s: %s" % (path, p.stderr.decode("utf-8", "replace")))
        return p.stdout

    def digest(self):
        """ls -R listing and the sha256 of every file."""
        listing = sorted(self.ls())
        return listing, {p: hashlib.sha256(self.cat(p)).hexdigest()
                         for p in listing if not p.endswith("/")}

    def model(self):
        return json.loads(self.cat("model.json"))

    def entity(self, table):
        for e in self.model()["entities"]:
            if e["name"] == table:
                return e
        raise AssertionError("no entity %s in model.json" % table)

    def ls_l(self):
        """{path: (size, mtime, generation)} of every file (ls -R -l)."""
        out = {}
        for l in self.ok("ls", "-R", "-l").split("\n"):
            f = l.split(None, 3)
            if len(f) == 4 and not f[3].endswith("/"):
                out[f[3]] = tuple(f[:3])
        return out

    def partitions(self, table):
        """{partition name: [records]} of the live partition files of @table
        (parsed files are cached by path, size, mtime and generation)."""
        cache = self.__dict__.setdefault("_pcache", {})
        out = {}
        for p, key in self.ls_l().items():
            parts = p.split("/")
            if len(parts) == 2 and parts[0] == table and parts[1].endswith(".csv"):
                if cache.get(p, (None,))[0] != key:
                    cache[p] = (key, parse_csv(self.cat(p)))
                out[parts[1][:-4]] = cache[p][1]
        return out


def parse_csv(data):
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline=""), strict=True))


# -- the organisation ----------------------------------------------------------

WIDGET_ATTRS = [
    {"LogicalName": "name", "AttributeType": "String", "MaxLength": 200},
    {"LogicalName": "lv_qty", "AttributeType": "Integer"},
    {"LogicalName": "lv_big", "AttributeType": "BigInt"},
    {"LogicalName": "lv_price", "AttributeType": "Money"},
    {"LogicalName": "lv_rate", "AttributeType": "Decimal", "Precision": 3},
    {"LogicalName": "lv_ratio", "AttributeType": "Double"},
    {"LogicalName": "lv_flag", "AttributeType": "Boolean"},
    {"LogicalName": "lv_start", "AttributeType": "DateTime", "DateTimeBehavior": "DateOnly"},
    {"LogicalName": "lv_when", "AttributeType": "DateTime"},
    {"LogicalName": "lv_kind", "AttributeType": "Picklist",
     "OptionSet": [{"Value": 1, "Label": "Small"}, {"Value": 2, "Label": "Large"}]},
    {"LogicalName": "lv_description", "AttributeType": "Memo", "MaxLength": 4000},
    {"LogicalName": "lv_parentid", "AttributeType": "Lookup", "Targets": ["lv_widget"]},
    {"LogicalName": "ownerid", "AttributeType": "Owner"},
    {"LogicalName": "statecode", "AttributeType": "State"},
    {"LogicalName": "statuscode", "AttributeType": "Status"},
    {"LogicalName": "owneridname", "AttributeType": "String", "AttributeOf": "ownerid"},
    {"LogicalName": "lv_secret", "AttributeType": "String", "IsValidForRead": False},
]
SIMPLE_ATTRS = [
    {"LogicalName": "name", "AttributeType": "String", "MaxLength": 200},
    {"LogicalName": "lv_qty", "AttributeType": "Integer"},
    {"LogicalName": "lv_price", "AttributeType": "Money"},
    {"LogicalName": "lv_flag", "AttributeType": "Boolean"},
    {"LogicalName": "lv_refid", "AttributeType": "Lookup", "Targets": ["lv_widget"]},
]

NAMES = ["Contoso, Ltd.", '"Fabrikam" West', "Café Ünïcode 日本", "multi\nline", "crlf\r\nvalue",
         "", "plain", "trailing space ", "comma,quote\",both", "O'Neil"]


def guid(rng):
    h = "%032x" % rng.getrandbits(128)
    return "%s-%s-4%s-%s-%s" % (h[:8], h[8:12], h[13:16], "89ab"[int(h[16], 16) & 3] + h[17:20],
                                 h[20:])


def iso(rng, y0, y1):
    t0 = datetime.datetime(y0, 1, 1, tzinfo=datetime.timezone.utc).timestamp()
    t1 = datetime.datetime(y1 + 1, 1, 1, tzinfo=datetime.timezone.utc).timestamp() - 1
    t = int(rng.uniform(t0, t1))
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def maybe(rng, v, p=0.15):
    return None if rng.random() < p else v


def make_row(rng, kind, pk, years=(2019, 2025), ids=None):
    r = {pk: guid(rng), "createdon": iso(rng, *years)}
    r["name"] = maybe(rng, rng.choice(NAMES) + " %d" % rng.randrange(10 ** 6), 0.05)
    r["lv_qty"] = maybe(rng, rng.randrange(-1000, 100000))
    r["lv_price"] = maybe(rng, round(rng.uniform(0, 99999), 2))
    r["lv_flag"] = maybe(rng, rng.random() < 0.5)
    ref = "lv_parentid" if kind == "widget" else "lv_refid"
    r[ref] = rng.choice(ids) if ids and rng.random() < 0.5 else None
    if kind == "widget":
        r["lv_big"] = maybe(rng, rng.randrange(2 ** 33, 2 ** 40))
        r["lv_rate"] = maybe(rng, round(rng.uniform(-10, 10), 3))
        r["lv_ratio"] = maybe(rng, rng.uniform(-1e6, 1e6))
        r["lv_start"] = maybe(rng, iso(rng, 2020, 2026)[:10])
        r["lv_when"] = maybe(rng, iso(rng, 2018, 2030))
        r["lv_kind"] = maybe(rng, rng.choice([1, 2]))
        r["lv_description"] = maybe(rng, "line one\nline \"two\", é\r\nthree %d" % rng.randrange(999))
        r["ownerid"] = guid(rng)
        r["statecode"] = rng.choice([0, 1])
        r["statuscode"] = r["statecode"] + 1
    return r


# table name -> (kind, attrs, rows, years, lakectl options)
TABLES = {
    "lv_widget": ("widget", WIDGET_ATTRS, {"month": False, "append_only": False}),
    "lv_gadget": ("simple", SIMPLE_ATTRS, {"month": True, "append_only": False}),
    "lv_event": ("simple", SIMPLE_ATTRS, {"month": False, "append_only": True}),
}


def table_spec(name, attrs, rows=(), tracked=True, set_name=None):
    t = {"LogicalName": name, "Attributes": [dict(a) for a in attrs], "rows": list(rows),
         "ChangeTrackingEnabled": tracked}
    if set_name:
        t["EntitySetName"] = set_name
    return t


def org_spec(seed=1, sizes=None, untracked=True, extra=()):
    """A deterministic organisation: lv_widget (every attribute kind, Year),
    lv_gadget (Month), lv_event (append-only), lv_untracked (no change
    tracking).  sizes: {table: rows}."""
    sizes = dict({"lv_widget": 400, "lv_gadget": 250, "lv_event": 200}, **(sizes or {}))
    rng = random.Random("org/%s" % seed)
    tables = []
    widget_ids = []
    for name, (kind, attrs, _) in TABLES.items():
        pk = name + "id"
        years = (2023, 2024) if name == "lv_gadget" else (2019, 2025)
        rows = []
        for _ in range(sizes[name]):
            rows.append(make_row(rng, kind, pk, years, widget_ids))
            if name == "lv_widget":
                widget_ids.append(rows[-1][pk])
        tables.append(table_spec(name, attrs, rows))
    if untracked:
        tables.append(table_spec("lv_untracked", SIMPLE_ATTRS[:2],
                                 [{"name": "x"}], tracked=False))
    tables += list(extra)
    return {"tables": tables, "start_version": 5000}


def add_tables(store, tables=None):
    for name in tables or TABLES:
        opts = TABLES[name][2]
        store.add(name, append_only=opts["append_only"], month=opts["month"])


def mutate(standin, rng, table, creates=20, updates=20, deletes=10, moves=5):
    """Random creates, updates (some moving the row to another partition via
    createdon) and deletes at the source; returns the ids touched."""
    kind = TABLES[table][0] if table in TABLES else "simple"
    pk = standin.table_spec(table)["PrimaryIdAttribute"]
    ids = standin.live_ids(table)
    widget_ids = standin.live_ids("lv_widget") if kind != "widget" and "lv_widget" in TABLES else ids
    years = (2023, 2024) if table == "lv_gadget" else (2019, 2025)
    rng.shuffle(ids)
    dels = ids[:deletes]
    ups = ids[deletes:deletes + updates]
    rows = []
    for i, rid in enumerate(ups):
        r = make_row(rng, kind, pk, years, widget_ids)
        r[pk] = rid
        if i >= moves:
            del r["createdon"]
        else:
            r["createdon"] = iso(rng, *years)
        if rng.random() < 0.3:   # partial update
            r = {k: v for k, v in r.items() if k in (pk, "name", "lv_qty", "createdon")}
        rows.append(r)
    for _ in range(creates):
        rows.append(make_row(rng, kind, pk, years, widget_ids))
    if rows:
        standin.upsert(table, rows)
    if dels:
        standin.delete(table, dels)
    return {"updated": ups, "deleted": dels}


# -- comparing -------------------------------------------------------------------

def fmt_createdon(s):
    dt = parse_iso(s)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.0000000+00:00")


def fmt_datetime(s):
    return parse_iso(s).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(s):
    if len(s) == 10:
        s += "T00:00:00Z"
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


LOOKUPS = ("Lookup", "Owner", "Customer")


def columns(standin, store, table):
    """[(lake column, Web API property or None, model.json dataType)] in
    the lake's column order, checked against the source's attributes."""
    spec = standin.table_spec(table)
    attrs = {a["LogicalName"]: a for a in spec["Attributes"]}
    ent = store.entity(table)
    out = []
    for a in ent["attributes"]:
        n = a["name"]
        if n in ("Id", "SinkCreatedOn", "SinkModifiedOn", "IsDelete"):
            out.append((n, None, a["dataType"]))
            continue
        sa = attrs.get(n)
        if sa is None:
            raise AssertionError("%s: lake column %s is not an attribute of the source" % (table, n))
        prop = "_%s_value" % n if sa["AttributeType"] in LOOKUPS else n
        out.append((n, prop, a["dataType"]))
    readable = sorted(n for n, a in attrs.items()
                      if not a.get("AttributeOf") and a.get("IsValidForRead", True) is not False
                      and a["AttributeType"] != "Virtual")
    got = sorted(c[0] for c in out if c[1] is not None)
    if got != readable:
        raise AssertionError("%s: lake columns %s, source's readable attributes %s" % (table, got, readable))
    return out


def value(v, dtype, name):
    if v is None:
        return ""
    if dtype == "guid":
        return v.lower()
    if dtype == "boolean":
        return "True" if v is True else "False" if v is False else "<not a bool %r>" % (v,)
    if dtype == "dateTimeOffset":
        return fmt_createdon(v)
    if dtype == "dateTime":
        return fmt_datetime(v)
    return str(v)


def expected_record(cols, row, pk, delete=False):
    """A lake record (without the Sink columns) of a Web API row."""
    rid = (row["id"] if delete else row[pk]).lower()
    rec = []
    for name, prop, dtype in cols:
        if name == "Id":
            rec.append(rid)
        elif name in ("SinkCreatedOn", "SinkModifiedOn"):
            continue
        elif name == "IsDelete":
            rec.append("True" if delete else "")
        elif delete:
            rec.append(rid if name == pk else "")
        else:
            rec.append(value(row.get(prop), dtype, name))
    return rec


def strip_sink(rec):
    return [rec[0]] + rec[3:]


def partition_of(createdon, by_month):
    dt = parse_iso(createdon)
    return "%04d-%02d" % (dt.year, dt.month) if by_month else "%04d" % dt.year


def check_inplace(tc, standin, store, table, by_month):
    """The in-place table holds exactly the live rows, one record each, in
    the partition of its createdon, values as served by the Web API."""
    cols = columns(standin, store, table)
    pk = standin.table_spec(table)["PrimaryIdAttribute"]
    rows = standin.webapi_rows(table)
    want = {}
    for r in rows:
        want[r[pk].lower()] = (partition_of(r["createdon"], by_month), expected_record(cols, r, pk))
    got = {}
    dups = []
    width = len(cols)
    for part, recs in store.partitions(table).items():
        for rec in recs:
            tc.assertEqual(len(rec), width, "%s/%s.csv: record width" % (table, part))
            if rec[0] in got:
                dups.append(rec[0])
            got[rec[0]] = (part, strip_sink(rec))
    tc.assertEqual(dups, [], "%s: ids with more than one record" % table)
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    tc.assertEqual((missing[:5], len(missing), extra[:5], len(extra)), ([], 0, [], 0),
                   "%s: (missing ids, count, extra ids, count) lake vs source" % table)
    bad = [(rid, got[rid], want[rid]) for rid in want if got[rid] != want[rid]]
    tc.assertEqual(bad[:3], [], "%s: %d records differ (id, (lake partition, record), "
                   "(source partition, record))" % (table, len(bad)))


class AppendModel:
    """The expected change records of an append-only table, built from the
    stand-in between syncs: each sync appends the rows changed since the
    previous sync (latest state, version order) then the tombstones."""

    def __init__(self, table):
        self.table = table
        self.version = 0          # stand-in version at the previous sync
        self.parts = {}           # partition -> [record]
        self.part_of = {}         # id -> last partition

    def after_sync(self, standin, store, prev_version=None):
        """Call after a successful sync that saw the source at its current
        state (nothing changed at the source during the sync)."""
        cols = columns(standin, store, self.table)
        pk = standin.table_spec(self.table)["PrimaryIdAttribute"]
        v0 = self.version if prev_version is None else prev_version
        ver = standin.version()
        rows = [r for r in standin.webapi_rows(self.table) if int(r["versionnumber"]) > v0]
        rows.sort(key=lambda r: int(r["versionnumber"]))
        tombs = [t for t in standin.tombstones(self.table) if t["version"] > v0]
        tombs.sort(key=lambda t: t["version"])
        for r in rows:
            rid = r[pk].lower()
            part = partition_of(r["createdon"], False)
            self.part_of[rid] = part
            self.parts.setdefault(part, []).append(expected_record(cols, r, pk))
        for t in tombs:
            rid = t["id"].lower()
            if rid not in self.part_of:
                continue  # created and deleted between two syncs: not modelled
            self.parts.setdefault(self.part_of[rid], []).append(
                expected_record(cols, {"id": rid}, pk, delete=True))
        self.version = ver

    def check(self, tc, store, ordered=True):
        got = {p: [strip_sink(r) for r in recs] for p, recs in store.partitions(self.table).items()}
        got = {p: r for p, r in got.items() if r}
        want = {p: list(r) for p, r in self.parts.items() if r}
        if not ordered:
            got = {p: sorted(r) for p, r in got.items()}
            want = {p: sorted(r) for p, r in want.items()}
        tc.assertEqual(sorted(got), sorted(want), "%s: partitions" % self.table)
        for p in want:
            if got[p] != want[p]:
                diff = [(i, g, w) for i, (g, w) in enumerate(zip(got[p], want[p])) if g != w]
                tc.fail("%s/%s.csv: %d records, %d expected; first differences (index, lake, "
                        "expected): %s" % (self.table, p, len(got[p]), len(want[p]), diff[:2]))


def check_append_latest(tc, standin, store, table):
    """Latest state of an append-only table (newest record per Id by
    versionnumber, deletes drop the row) equals the live rows."""
    cols = columns(standin, store, table)
    pk = standin.table_spec(table)["PrimaryIdAttribute"]
    names = [c[0] for c in cols]
    iv = names.index("versionnumber")
    idel = names.index("IsDelete")
    latest, deleted = {}, set()
    for part, recs in store.partitions(table).items():
        for rec in recs:
            if rec[idel] == "True":
                deleted.add(rec[0])   # ids are never re-created in these tests
            elif rec[0] not in latest or int(rec[iv]) > int(latest[rec[0]][iv]):
                latest[rec[0]] = rec
    live = {rid: strip_sink(rec) for rid, rec in latest.items() if rid not in deleted}
    want = {r[pk].lower(): expected_record(cols, r, pk) for r in standin.webapi_rows(table)}
    tc.assertEqual(sorted(live), sorted(want), "%s: live ids from the append-only records" % table)
    for rid in want:
        tc.assertEqual(live[rid], want[rid], "%s: latest record of %s" % (table, rid))


def lake_content(store, append_only=("lv_event",), tables=None, ordered=True):
    """{table: {partition: records without Sink columns}}: in-place tables
    sorted, append-only in file order (sorted too when not @ordered)."""
    out = {}
    names = tables or sorted({p.split("/")[0] for p in store.files()
                              if p.count("/") == 1 and p.endswith(".csv")
                              and not p.startswith("OptionsetMetadata/")})
    for t in names:
        parts = {}
        for part, recs in store.partitions(t).items():
            recs = [strip_sink(r) for r in recs]
            if t not in append_only or not ordered:
                recs = sorted(recs)
            if recs:
                parts[part] = recs
        out[t] = parts
    return out


def listing_without_snapshots(store):
    return sorted(p for p in store.ls() if "/Snapshot/" not in p)


def assert_same_lake(tc, a, b, msg="", ordered=True):
    """Lake @b equals lake @a: same non-snapshot paths, same records (Sink
    dates ignored)."""
    tc.assertEqual(listing_without_snapshots(b), listing_without_snapshots(a), msg + ": paths")
    ca, cb = lake_content(a, ordered=ordered), lake_content(b, ordered=ordered)
    for t in sorted(set(ca) | set(cb)):
        pa, pb = ca.get(t, {}), cb.get(t, {})
        tc.assertEqual(sorted(pb), sorted(pa), "%s: %s partitions" % (msg, t))
        for p in pa:
            if pa[p] != pb[p]:
                sa, sb = set(map(tuple, pa[p])), set(map(tuple, pb[p]))
                tc.fail("%s: %s/%s.csv differs: %d vs %d records; only in clean: %s; only in "
                        "this one: %s" % (msg, t, p, len(pa[p]), len(pb[p]),
                                          sorted(sa - sb)[:2], sorted(sb - sa)[:2]))
    sa = {t["name"]: t["count"] for t in a.status()["tables"]}
    sb = {t["name"]: t["count"] for t in b.status()["tables"]}
    tc.assertEqual(sb, sa, msg + ": status counts")


def check_all(tc, standin, store, models=None):
    """Every table of TABLES in @store against the source (in-place exactly,
    append-only against its AppendModel when given, else latest state)."""
    for name, (_, _, opts) in TABLES.items():
        if opts["append_only"]:
            if models and name in models:
                models[name].check(tc, store)
            else:
                check_append_latest(tc, standin, store, name)
        else:
            check_inplace(tc, standin, store, name, opts["month"])
