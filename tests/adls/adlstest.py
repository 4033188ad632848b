"""adlstest.py - shared machinery of the `adls` suite (python3 stdlib only).

 - Azurite: install (azurite.sh install = npm ci of the pinned 3.35.0) when
   missing, start one instance per test in a scratch directory, stop it by
   PID in every case (unittest cleanup, atexit, and SIGTERM/SIGINT/SIGHUP
   handlers: meson's timeout sends SIGTERM).
 - Blob: an independent Shared Key signer (adls-blob.md A1) and the few Blob
   calls the tests need to read the container back (list, get, block list,
   put, delete, container create/delete) plus an account SAS generator.
 - Recorder: a loopback HTTP proxy in front of Azurite that forwards every
   request unchanged (Shared Key signs the path, not the Host) and records
   method, path, query, request body length and status, in order: the
   request sequence of a push, and the bytes that actually crossed the wire.
 - Store: lakectl driven through subprocess, a lake built from
   scripts/bench/gen_rows.py and tests/lake/fixtures.

Environment (set by tests/adls/meson.build): LAKECTL, ADLS_TESTS (this
directory), LAKE_FIXTURES, GEN_ROWS.
"""
import atexit
import base64
import datetime
import email.utils
import hashlib
import hmac
import http.client
import http.server
import json
import os
import re
import shutil
import signal
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import xml.etree.ElementTree as ET

HERE = os.environ.get("ADLS_TESTS") or os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LAKECTL = os.environ.get("LAKECTL") or os.path.join(ROOT, "build", "tools", "lakectl")
FIXTURES = os.environ.get("LAKE_FIXTURES") or os.path.join(ROOT, "tests", "lake", "fixtures")
GEN_ROWS = os.environ.get("GEN_ROWS") or os.path.join(ROOT, "scripts", "bench", "gen_rows.py")
AZURITE_SH = os.path.join(HERE, "azurite.sh")

ACCOUNT = "devstoreaccount1"
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
WRONG_KEY = base64.b64encode(b"\x01" * 64).decode()
API_VERSION = "2023-11-03"
CONTAINER = "dataverse-demo-org1"

PUSH_RE = re.compile(r"push: (\d+) uploaded, (\d+) copied on the server, (\d+) deleted, "
                     r"(\d+) unchanged; (\d+) bytes sent \(files over 4 MiB go as blocks: (\d+) sent, (\d+) reused\)")

# ---------------------------------------------------------------------------
# Azurite instances: every start is registered so that any exit stops it.

_running = {}  # dir -> pid
_lock = threading.Lock()


def _stop_all():
    for d in list(_running):
        try:
            subprocess.run(["sh", AZURITE_SH, "stop", d], timeout=30,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except Exception:
            pass
        pid = _running.pop(d, None)
        if pid:  # azurite.sh refused or failed: make sure, by PID only
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


_tmpdirs = []
_children = []


def popen(args, **kw):
    """subprocess.Popen, registered so that a signal kills it first."""
    p = subprocess.Popen(args, **kw)
    _children.append(p)
    return p


def _on_signal(signum, frame):
    for p in _children:
        if p.poll() is None:
            p.kill()
    _stop_all()
    for d in _tmpdirs:
        shutil.rmtree(d, True)
    os._exit(128 + signum)


atexit.register(_stop_all)
for _s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_s, _on_signal)

_installed = False


def install_azurite():
    global _installed
    if _installed:
        return
    r = subprocess.run(["sh", AZURITE_SH, "install"], capture_output=True, text=True,
                       timeout=600)
    if r.returncode != 0:
        raise RuntimeError("azurite.sh install failed: " + r.stderr.strip())
    _installed = True


class Azurite:
    """One azurite-blob process; url is the endpoint with the account."""

    def __init__(self, dir, port=None, location=None, debug=None):
        install_azurite()
        self.dir = dir
        env = dict(os.environ)
        for k, v in (("AZURITE_PORT", port), ("AZURITE_LOCATION", location),
                     ("AZURITE_DEBUG", debug)):
            env.pop(k, None)
            if v is not None:
                env[k] = str(v)
        r = subprocess.run(["sh", AZURITE_SH, "start", dir], env=env, capture_output=True,
                           text=True, timeout=60)
        pidf = os.path.join(dir, "azurite.pid")
        if os.path.exists(pidf):
            with _lock:
                _running[dir] = int(slurp(pidf).strip())
        if r.returncode != 0:
            self.stop()
            raise RuntimeError("azurite.sh start failed: " + r.stderr.strip())
        self.pid = _running[dir]
        self.url = slurp(os.path.join(dir, "azurite.url")).strip()
        self.port = int(urllib.parse.urlsplit(self.url).port)

    def stop(self):
        if self.dir not in _running:
            return
        r = subprocess.run(["sh", AZURITE_SH, "stop", self.dir], capture_output=True,
                           text=True, timeout=60)
        pid = _running.pop(self.dir, None)
        if r.returncode != 0 and pid:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def kill(self):
        """SIGKILL, as a crash would: no graceful close."""
        pid = _running.pop(self.dir, None)
        if pid:
            os.kill(pid, signal.SIGKILL)
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except OSError:
                    break
                # a zombie of ours? azurite was started by azurite.sh's
                # subshell, so it is not our child: just wait for it to go
                st = slurp("/proc/%d/stat" % pid).rsplit(")", 1)[1].split()[0] \
                    if os.path.exists("/proc/%d/stat" % pid) else "X"
                if st == "Z":
                    break
                time.sleep(0.05)


# ---------------------------------------------------------------------------
# Shared Key signer and Blob calls (independent of lakeview's signer).

def slurp(path):
    with open(path) as f:
        return f.read()


def spit(path, text):
    with open(path, "w") as f:
        f.write(text)


def _rfc1123():
    return email.utils.formatdate(usegmt=True)


def shared_key(account, key_b64, method, path, query, headers, body_len):
    """Authorization value. path: the URI path as sent (percent-encoded);
    query: list of (name, value) decoded; headers: dict (any case)."""
    h = {k.lower(): v for k, v in headers.items()}

    def g(n):
        return h.get(n, "")
    clen = str(body_len) if body_len else ""
    lines = [method, g("content-encoding"), g("content-language"), clen, g("content-md5"),
             g("content-type"), "", g("if-modified-since"), g("if-match"), g("if-none-match"),
             g("if-unmodified-since"), g("range")]
    canon_h = "".join("%s:%s\n" % (k, h[k].strip()) for k in sorted(h) if k.startswith("x-ms-"))
    res = "/" + account + path
    q = {}
    for k, v in query:
        q.setdefault(k.lower(), []).append(v)
    for k in sorted(q):
        res += "\n%s:%s" % (k, ",".join(sorted(q[k])))
    sts = "\n".join(lines) + "\n" + canon_h + res
    mac = hmac.new(base64.b64decode(key_b64), sts.encode(), hashlib.sha256).digest()
    return "SharedKey %s:%s" % (account, base64.b64encode(mac).decode())


def account_sas(key_b64, expiry, start=None, version="2021-08-06", perms="rwdlac"):
    """Account SAS token (query string without '?'), adls-blob.md A1."""
    fields = [ACCOUNT, perms, "b", "sco", start or "", expiry, "", "https,http", version, ""]
    sts = "\n".join(fields) + "\n"
    sig = base64.b64encode(hmac.new(base64.b64decode(key_b64), sts.encode(),
                                    hashlib.sha256).digest()).decode()
    q = [("sv", version), ("ss", "b"), ("srt", "sco"), ("sp", perms)]
    if start:
        q.append(("st", start))
    q += [("se", expiry), ("spr", "https,http"), ("sig", sig)]
    return urllib.parse.urlencode(q, safe=":")


class Blob:
    """Minimal Blob client over http.client, Shared Key."""

    def __init__(self, url, key=KEY):
        u = urllib.parse.urlsplit(url)
        self.host, self.port, self.base = u.hostname, u.port, u.path.rstrip("/")
        self.key = key

    def req(self, method, path, query=(), body=b"", headers=None):
        """path: container[/blob] unencoded. Returns (status, headers, body)."""
        p = self.base + "/" + urllib.parse.quote(path, safe="/")
        hdr = {"x-ms-date": _rfc1123(), "x-ms-version": API_VERSION}
        hdr.update(headers or {})
        if body and "Content-Type" not in hdr:
            hdr["Content-Type"] = "application/octet-stream"
        hdr["Authorization"] = shared_key(ACCOUNT, self.key, method, p, list(query), hdr,
                                          len(body))
        hdr["Content-Length"] = str(len(body))
        qs = urllib.parse.urlencode(list(query), quote_via=urllib.parse.quote)
        c = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            c.request(method, p + ("?" + qs if qs else ""), body=body, headers=hdr)
            r = c.getresponse()
            data = r.read()
            return r.status, dict(r.getheaders()), data
        finally:
            c.close()

    def containers(self):
        st, _, body = self.req("GET", "", [("comp", "list")])
        assert st == 200, (st, body)
        return [e.text for e in ET.fromstring(body).iter("Name")]

    def exists(self, c):
        st, _, _ = self.req("GET", c, [("restype", "container")])
        return st == 200

    def create(self, c, metadata=None):
        hdr = {"x-ms-meta-" + k: v for k, v in (metadata or {}).items()}
        return self.req("PUT", c, [("restype", "container")], headers=hdr)[0]

    def delete_container(self, c):
        return self.req("DELETE", c, [("restype", "container")])[0]

    def list(self, c):
        """{name: size} of every blob in container c (follows NextMarker)."""
        out, marker = {}, None
        while True:
            q = [("restype", "container"), ("comp", "list"), ("maxresults", "100")]
            if marker:
                q.append(("marker", marker))
            st, _, body = self.req("GET", c, q)
            if st != 200:
                raise AssertionError("list %s: %d %s" % (c, st, body[:300]))
            root = ET.fromstring(body)
            for b in root.iter("Blob"):
                out[b.find("Name").text] = int(b.find("Properties/Content-Length").text)
            marker = root.findtext("NextMarker")
            if not marker:
                return out

    def get(self, c, name):
        st, _, body = self.req("GET", c + "/" + name)
        if st != 200:
            raise AssertionError("get %s/%s: %d %s" % (c, name, st, body[:300]))
        return body

    def put(self, c, name, data, ctype="text/csv"):
        return self.req("PUT", c + "/" + name, body=data,
                        headers={"x-ms-blob-type": "BlockBlob", "Content-Type": ctype})[0]

    def delete(self, c, name):
        return self.req("DELETE", c + "/" + name)[0]

    def block_list(self, c, name, which="committed"):
        """[(id, size)] of the committed (or uncommitted) blocks ([] for a
        Put Blob upload)."""
        st, _, body = self.req("GET", c + "/" + name, [("comp", "blocklist"),
                                                         ("blocklisttype", which)])
        if st == 404 and which == "uncommitted":
            return []
        assert st == 200, (st, body[:300])
        root = ET.fromstring(body)
        cb = root.find(which.capitalize() + "Blocks")
        if cb is None:
            return []
        return [(b.findtext("Name"), int(b.findtext("Size"))) for b in cb.iter("Block")]


# ---------------------------------------------------------------------------
# Recording proxy.

class Recorder:
    """Loopback proxy: url is the endpoint lakectl is given; every request is
    forwarded to upstream_port and recorded as a dict(method, path, query,
    qs, body, status). fail_when(rec) -> True drops the connection instead
    of forwarding (a transport error)."""

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.log = []
        self.fail_when = None
        rec = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def handle_any(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                u = urllib.parse.urlsplit(self.path)
                entry = {"method": self.command, "path": urllib.parse.unquote(u.path),
                         "query": dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True)),
                         "body": len(body), "status": None, "t": time.monotonic()}
                with _lock:
                    rec.log.append(entry)
                if rec.fail_when and rec.fail_when(entry):
                    entry["status"] = "dropped"
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                hdr = {k: v for k, v in self.headers.items()
                       if k.lower() not in ("host", "connection", "keep-alive", "expect")}
                c = http.client.HTTPConnection("127.0.0.1", rec.upstream_port, timeout=120)
                try:
                    c.request(self.command, self.path, body=body if n else None, headers=hdr)
                    r = c.getresponse()
                    data = r.read()
                except OSError:
                    entry["status"] = "upstream-down"
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                finally:
                    c.close()
                entry["status"] = r.status
                self.send_response_only(r.status, r.reason)
                for k, v in r.getheaders():
                    if k.lower() in ("transfer-encoding", "connection", "content-length",
                                     "keep-alive"):
                        continue
                    self.send_header(k, v)
                if self.command == "HEAD":
                    self.send_header("Content-Length", r.getheader("Content-Length") or "0")
                else:
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_PUT = do_DELETE = do_HEAD = do_POST = do_PATCH = handle_any

        class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True

            def handle_error(self, request, client_address):
                pass  # a client killed mid-request: nothing to report

        self.server = S(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d/%s" % (self.port, ACCOUNT)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def mark(self):
        return len(self.log)

    def since(self, m):
        return self.log[m:]


def blob_of(entry):
    """'blob path' of a recorded request (container stripped), or None."""
    parts = entry["path"].split("/", 3)  # '', account, container, blob
    return parts[3] if len(parts) > 3 else None


def kind_of(entry):
    q, m = entry["query"], entry["method"]
    if q.get("restype") == "container":
        return "container-" + ("list" if q.get("comp") == "list" else m.lower())
    if m == "PUT" and q.get("comp") == "block":
        return "put-block"
    if m == "PUT" and q.get("comp") == "blocklist":
        return "put-block-list"
    if m == "GET" and q.get("comp") == "blocklist":
        return "get-block-list"
    if m == "PUT":
        return "put"  # Put Blob or Copy Blob (x-ms-copy-source, empty body)
    return m.lower()


# ---------------------------------------------------------------------------
# Stores.

def run(args, check=True, timeout=300, env=None, input=None):
    r = subprocess.run([LAKECTL] + args, capture_output=True, text=True, timeout=timeout,
                       env=env, input=input if input is not None else "")
    if check and r.returncode != 0:
        raise AssertionError("lakectl %s: exit %d\nstdout: %s\nstderr: %s" % (
            " ".join(args), r.returncode, r.stdout, r.stderr))
    return r


def parse_push(out):
    m = PUSH_RE.search(out)
    if not m:
        raise AssertionError("no push summary in: %r" % out)
    k = ("uploaded", "copied", "deleted", "unchanged", "bytes", "blocks_sent", "blocks_reused")
    return dict(zip(k, map(int, m.groups())))


class Store:
    def __init__(self, dir, env="demo", org="org1"):
        self.dir, self.env, self.org = dir, env, org
        self.work = os.path.dirname(dir)
        self.container = "dataverse-%s-%s" % (env, org)

    def link(self, url, keyfile=None, sasfile=None, adopt=False, check=True):
        a = ["link", "--store", self.dir, "--environment", self.env, "--organization",
             self.org, "--adls-url", url, "--adls-account", ACCOUNT]
        if keyfile:
            a += ["--adls-key-file", keyfile]
        if sasfile:
            a += ["--adls-sas-file", sasfile]
        if adopt:
            a.append("--adopt")
        r = run(a, check=check)
        if r.returncode == 0:
            self.fast_retries()
        return r

    def fast_retries(self, base_ms=20, tries=3):
        conf = os.path.join(self.dir, "lakeview.conf")
        text = slurp(conf)
        text = re.sub(r"(?m)^(retry_base_ms|retry_tries) = .*\n", "", text)
        text += "retry_base_ms = %d\nretry_tries = %d\n" % (base_ms, tries)
        spit(conf, text)

    def set_conf(self, key, value):
        conf = os.path.join(self.dir, "lakeview.conf")
        text = slurp(conf)
        text = re.sub(r"(?m)^%s = .*\n" % re.escape(key), "", text)
        text += "%s = %s\n" % (key, value)
        spit(conf, text)

    def add_table(self, name, schema):
        run(["tables", "add", "--store", self.dir, name, "--schema", schema])

    def ingest(self, table, path):
        return run(["ingest", "--store", self.dir, table, path]).stdout

    def ingest_rows(self, table, rows):
        p = os.path.join(self.work, "rows-%d.jsonl" % time.monotonic_ns())
        with open(p, "w") as f:
            for r in rows:
                f.write(json.dumps(r) + "\n")
        return self.ingest(table, p)

    def snapshot(self):
        return run(["snapshot", "--store", self.dir]).stdout

    def push(self, check=True, timeout=300):
        return run(["push", "--store", self.dir], check=check, timeout=timeout)

    def status(self, json_=False):
        a = ["status", "--store", self.dir] + (["--json"] if json_ else [])
        r = run(a)
        return json.loads(r.stdout) if json_ else r.stdout

    def files(self):
        """Every lake file path (lakectl ls -R, directories dropped)."""
        out = run(["ls", "--store", self.dir, "-R"]).stdout.split("\n")
        return sorted(p for p in out if p and not p.endswith("/"))

    def cat(self, path):
        r = subprocess.run([LAKECTL, "cat", "--store", self.dir, path], capture_output=True,
                           timeout=120)
        if r.returncode != 0:
            raise AssertionError("lakectl cat %s: %s" % (path, r.stderr.decode()))
        return r.stdout

    def lake(self):
        return {p: self.cat(p) for p in self.files()}


def gen_rows(work, n, updates=None, of=None):
    """(schema path, rows path) of the bench table: n creates, or K updates."""
    schema = os.path.join(work, "bench.schema.json")
    rows = os.path.join(work, "bench-%s-%s.jsonl" % (n, updates))
    a = [sys.executable, GEN_ROWS, schema, str(n)]
    if updates:
        a += ["--updates", str(updates), "--of", str(of)]
    with open(rows, "w") as f:
        subprocess.run(a, stdout=f, check=True, timeout=120)
    return schema, rows


def bench_row(i, year, version, name=None):
    """One bench create/update row (same id scheme as gen_rows.py)."""
    import random
    import uuid
    rid = str(uuid.UUID(int=random.Random(i).getrandbits(128)))
    return {"@odata.etag": 'W/"%d"' % version, "benchid": rid,
            "name": name or "Row %d" % i, "city": "Porto", "amount": 1.5, "qty": i,
            "createdon": "%d-05-06T07:08:09Z" % year, "versionnumber": version}


def bench_delete(i):
    import random
    import uuid
    rid = str(uuid.UUID(int=random.Random(i).getrandbits(128)))
    return {"@odata.context": "https://org1.crm.dynamics.com/api/data/v9.2/$metadata#benches/$deletedEntity",
            "id": rid, "reason": "deleted"}


# ---------------------------------------------------------------------------
# Test base.

class AdlsCase(unittest.TestCase):
    """Per test: a scratch dir, one Azurite, a key file; all removed after."""

    maxDiff = 4000

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="lv-adls-")
        _tmpdirs.append(self.tmp)
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.az = Azurite(os.path.join(self.tmp, "az"))
        self.addCleanup(self.az.stop)
        self.keyfile = self.write("key", KEY + "\n")
        self.blob = Blob(self.az.url)

    def write(self, name, text):
        p = os.path.join(self.tmp, name)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, 0o600)  # lakeview refuses key, SAS and secret files others can read
        return p

    def proxy(self, upstream_port=None):
        r = Recorder(upstream_port or self.az.port)
        self.addCleanup(r.close)
        return r

    def new_store(self, url=None, name="S", **kw):
        s = Store(os.path.join(self.tmp, name))
        s.link(url or self.az.url, keyfile=kw.pop("keyfile", self.keyfile), **kw)
        return s

    def small_lake(self, s):
        """lv_widget + lv_gizmo fixtures: a few small partitions."""
        s.add_table("lv_widget", os.path.join(FIXTURES, "lv_widget.schema.json"))
        s.add_table("lv_gizmo", os.path.join(FIXTURES, "lv_gizmo.schema.json"))
        s.ingest("lv_widget", os.path.join(FIXTURES, "lv_widget.1.jsonl"))
        s.ingest("lv_gizmo", os.path.join(FIXTURES, "lv_gizmo.1.jsonl"))

    def bench_lake(self, s, n):
        schema, rows = gen_rows(self.tmp, n)
        s.add_table("bench", schema)
        s.ingest("bench", rows)

    def assertRemoteEqual(self, s, blob=None):
        """Every blob's bytes equal lakectl cat; every lake file has its blob;
        nothing else is there."""
        blob = blob or self.blob
        lake = s.lake()
        remote = blob.list(s.container)
        self.assertEqual(sorted(remote), sorted(lake),
                         "blob names differ from lake files: only remote %s, only local %s" % (
                             sorted(set(remote) - set(lake)), sorted(set(lake) - set(remote))))
        for p, data in lake.items():
            st, h, got = blob.req("GET", s.container + "/" + p)
            self.assertEqual(st, 200, p)
            self.assertEqual(len(got), len(data), p)
            self.assertTrue(got == data, "blob %s differs from lakectl cat" % p)
            # stored properties: the whole-blob MD5 (Put Blob's Content-MD5 or
            # Put Block List's x-ms-blob-content-md5) and the type
            h = {k.lower(): v for k, v in h.items()}
            self.assertEqual(h.get("content-md5"),
                             base64.b64encode(hashlib.md5(data).digest()).decode(), p)
            self.assertEqual(h.get("content-type"),
                             "application/json" if p.endswith(".json") else "text/csv", p)
        return lake

    def assertModelConsistent(self, s, blob=None):
        """What a cloud reader sees now: if model.json is there, every
        location it names is there too."""
        blob = blob or self.blob
        names = blob.list(s.container)
        if "model.json" not in names:
            return 0
        model = json.loads(blob.get(s.container, "model.json"))
        n = 0
        for e in model["entities"]:
            for p in e.get("partitions", []):
                path = p["location"].split("/" + s.container + "/", 1)[1]
                self.assertIn(path, names, "remote model.json names a missing blob")
                n += 1
        return n


def main():
    unittest.main(verbosity=2)
