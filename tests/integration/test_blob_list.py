#!/usr/bin/env python3
"""The Blob client against a scripted storage endpoint and token endpoint
(in-process, loopback; no Azurite needed), through `lakectl link
--adls-url ... --adls-client-id ...` (issue 13, sections 2 and 4):

* the storage account's token request is retried on 503 and on 429 after
  its Retry-After; a 400 from the token endpoint fails at once;
* a 401 from storage renews the token once and retries;
* the container listing (link lists a container it did not write) stops
  on a NextMarker it has seen before, follows a NextMarker longer than
  1,099 bytes instead of ending the listing there, sees names sent
  Encoded="true", and refuses a name longer than any blob name can be
  rather than cutting it.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lvtest  # noqa: E402

CONTAINER = "dataverse-e-o"


class Fake(lvtest.Server):
    """Storage at /acct and a token endpoint at /tok/oauth2/v2.0/token."""

    def __init__(self):
        self.token_faults = []     # [(status, retry_after or None)] served first
        self.storage_401 = 0       # answers 401 to this many storage requests
        self.ours = True           # the container carries lakeview's marker
        self.pages = {"": ([], "")}  # marker -> ([blob names], next marker)
        self.raw_names = {}        # name -> raw XML of its <Name> element
        self.tokens = 0
        self.lists = 0
        self.auth = []
        fake = self

        class H(lvtest.QuietHandler):
            def reply(self, status, body=b"", headers=()):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(n)
                fake.tokens += 1
                if fake.token_faults:
                    st, ra = fake.token_faults.pop(0)
                    hdrs = [("Retry-After", str(ra))] if ra is not None else []
                    body = json.dumps({"error": "invalid_client" if st == 400 else "temporarily_unavailable",
                                       "error_description": "AADSTS0: injected %d" % st}).encode()
                    return self.reply(st, body, hdrs + [("Content-Type", "application/json")])
                body = json.dumps({"token_type": "Bearer", "expires_in": 3600,
                                   "access_token": "tok%d" % fake.tokens}).encode()
                self.reply(200, body, [("Content-Type", "application/json")])

            def do_GET(self):
                u = urllib.parse.urlsplit(self.path)
                q = urllib.parse.parse_qs(u.query, keep_blank_values=True)
                fake.auth.append(self.headers.get("Authorization"))
                if fake.storage_401:
                    fake.storage_401 -= 1
                    return self.reply(401, b"<Error><Code>InvalidAuthenticationInfo</Code></Error>")
                if q.get("comp") == ["list"]:
                    fake.lists += 1
                    names, nxt = fake.pages.get(q.get("marker", [""])[0], ([], ""))
                    blobs = "".join("<Blob>%s<Properties><Etag>0x8D1</Etag></Properties></Blob>"
                                    % fake.raw_names.get(n, "<Name>%s</Name>" % n) for n in names)
                    body = ('<?xml version="1.0" encoding="utf-8"?><EnumerationResults '
                            'ContainerName="%s"><Blobs>%s</Blobs>%s</EnumerationResults>'
                            % (CONTAINER, blobs,
                               "<NextMarker>%s</NextMarker>" % nxt if nxt else "<NextMarker />"))
                    return self.reply(200, body.encode(), [("Content-Type", "application/xml")])
                hdrs = [("x-ms-meta-lakeview", CONTAINER)] if fake.ours else []
                self.reply(200, b"", hdrs)

            do_HEAD = do_GET

            def do_PUT(self):
                n = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(n)
                self.reply(200)

        lvtest.Server.__init__(self, H)


class BlobClient(unittest.TestCase):
    def setUp(self):
        self.fake = Fake()
        self.tmp = tempfile.mkdtemp(prefix="lvit-blob-")
        self.secret = os.path.join(self.tmp, "secret")
        with open(self.secret, "w") as f:
            f.write("s3cret\n")
        os.chmod(self.secret, 0o600)  # lakeview refuses a secret others can read

    def tearDown(self):
        self.fake.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def link(self, timeout=30):
        base = "http://127.0.0.1:%d" % self.fake.port
        argv = [lvtest.LAKECTL, "link", "--store", os.path.join(self.tmp, "store"),
                "--environment", "e", "--organization", "o",
                "--adls-url", base + "/acct", "--adls-account", "acct",
                "--adls-tenant-id", "t", "--adls-client-id", "c",
                "--adls-client-secret-file", self.secret,
                "--adls-token-url", base + "/tok/oauth2/v2.0/token"]
        env = dict(os.environ, LC_ALL="C")
        t0 = time.time()
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, env=env, timeout=timeout)
        return p, p.stderr.decode("utf-8", "replace"), time.time() - t0

    def assert_refused(self, p, err, words):
        self.assertNotEqual(p.returncode, 0, err)
        lines = [l for l in err.split("\n") if l]
        self.assertEqual(len(lines), 1, err)
        self.assertRegex(lines[0], words)

    # -- the storage account's OAuth ----------------------------------------
    def test_token_503_is_retried(self):
        self.fake.token_faults = [(503, None)]
        p, err, _ = self.link()
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(self.fake.tokens, 2)

    def test_token_429_waits_retry_after(self):
        self.fake.token_faults = [(429, 1)]
        p, err, took = self.link()
        self.assertEqual(p.returncode, 0, err)
        self.assertGreaterEqual(took, 1.0, "retried before Retry-After: 1 had passed")

    def test_token_400_fails_at_once(self):
        self.fake.token_faults = [(400, None)] * 5
        p, err, _ = self.link()
        self.assert_refused(p, err, r"token endpoint answered HTTP 400: invalid_client")
        self.assertEqual(self.fake.tokens, 1)

    def test_storage_401_renews_the_token(self):
        self.fake.storage_401 = 1
        p, err, _ = self.link()
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(self.fake.tokens, 2, "no new token after a 401")
        self.assertEqual(self.fake.auth[-1], "Bearer tok2")

    # -- the container listing -------------------------------------------------
    def test_repeated_next_marker(self):
        self.fake.ours = False
        self.fake.pages = {"": ([], "m1"), "m1": ([], "m2"), "m2": ([], "m1")}
        p, err, _ = self.link(timeout=20)
        self.assert_refused(p, err, r"NextMarker.*before")
        self.assertLess(self.fake.lists, 10)

    def test_long_next_marker(self):
        self.fake.ours = False
        long_marker = "2!" + "x" * 1500
        self.fake.pages = {"": ([], long_marker), long_marker: (["foreign.csv"], "")}
        p, err, _ = self.link()
        self.assert_refused(p, err, r"holds files lakeview did not write")

    def test_encoded_name(self):
        self.fake.ours = False
        self.fake.pages = {"": (["x"], "")}
        self.fake.raw_names = {"x": '<Name Encoded="true">bad%01name.csv</Name>'}
        p, err, _ = self.link()
        self.assert_refused(p, err, r"holds files lakeview did not write")

    def test_name_longer_than_any_blob_name(self):
        self.fake.ours = False
        self.fake.pages = {"": (["n" * 5000], "")}
        p, err, _ = self.link()
        self.assert_refused(p, err, r"(?i)name longer than \d+ bytes")


if __name__ == "__main__":
    lvtest.main()
