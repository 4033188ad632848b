#!/usr/bin/env python3
"""test_status.py - `lakectl status` for the sink, and secrets (suite adls).

 - test_pending_then_zero: before a push, pending files and bytes per class
   (data, snapshots, metadata) equal the lake's, computed from `ls`/`cat`;
   after it 0, with the last push time; text and --json agree.
 - test_last_error: a failed push (wrong key) shows its error in status;
   the pending work stays; the next successful push clears the error.
 - test_no_secret_anywhere: key, wrong key, SAS signatures (valid and
   expired) never appear in any output of link/push/status/unlink/relink,
   in lakeview.conf or in any other file of the store (data.mdb included),
   whether the secret came from a file or from $LAKEVIEW_ADLS_KEY.
"""
import base64
import calendar
import os
import re
import time
import urllib.parse

import adlstest as T

CLASSES = ("data", "snapshots", "metadata")


def klass(path):
    if path == "model.json" or path.startswith("Microsoft.Athena.TrickleFeedService/"):
        return "metadata"
    if "/Snapshot/" in path:
        return "snapshots"
    return "data"


def text_pending(out):
    got = {}
    for c, f, b in re.findall(r"(?m)^pending:\s+(\w+)\s+(\d+) files\s+(\d+) bytes$", out):
        got[c] = (int(f), int(b))
    return got


class Status(T.AdlsCase):

    def expected(self, s):
        want = {c: [0, 0] for c in CLASSES}
        for p, data in s.lake().items():
            want[klass(p)][0] += 1
            want[klass(p)][1] += len(data)
        return {c: tuple(v) for c, v in want.items()}

    def check(self, s, want):
        out = s.status()
        self.assertEqual(text_pending(out), want, out)
        j = s.status(json_=True)["push"]
        self.assertEqual({c: (j[c]["files"], j[c]["bytes"]) for c in CLASSES}, want)
        return out, j

    def test_pending_then_zero(self):
        s = self.new_store()
        self.small_lake(s)
        self.bench_lake(s, 3000)
        s.snapshot()
        want = self.expected(s)
        self.assertTrue(all(want[c][0] > 0 for c in CLASSES), want)
        out, j = self.check(s, want)
        self.assertRegex(out, r"(?m)^last push: -$")
        self.assertIsNone(j["last_push"])
        print("before push:\n" + "\n".join(l for l in out.splitlines() if l.startswith(("last", "pending"))))
        t0 = int(time.time())
        s.push()
        t1 = int(time.time())
        out, j = self.check(s, {c: (0, 0) for c in CLASSES})
        m = re.search(r"(?m)^last push: (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)Z$", out)
        self.assertTrue(m, out)
        t = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%d %H:%M:%S"))
        self.assertTrue(t0 - 1 <= t <= t1 + 1, (t0, t, t1))
        self.assertEqual(j["last_error"], "")
        # a change shows up as pending again, in its class only
        s.ingest("lv_widget", os.path.join(T.FIXTURES, "lv_widget.2.jsonl"))
        j = s.status(json_=True)["push"]
        self.assertGreater(j["data"]["files"], 0)
        self.assertEqual(j["snapshots"]["files"], 0)

    def test_last_error(self):
        s = self.new_store()
        self.small_lake(s)
        want = self.expected(s)
        T.spit(self.keyfile, T.WRONG_KEY + "\n")
        r = s.push(check=False)
        self.assertNotEqual(r.returncode, 0)
        out, j = self.check(s, want)
        m = re.search(r"(?m)^last push: -; last error: (.+)$", out)
        self.assertTrue(m, out)
        self.assertRegex(m.group(1), r"403")
        self.assertRegex(j["last_error"], r"403")
        print("status after a failed push: %s" % m.group(0))
        T.spit(self.keyfile, T.KEY + "\n")
        s.push()
        out, j = self.check(s, {c: (0, 0) for c in CLASSES})
        self.assertNotIn("last error", out)
        self.assertEqual(j["last_error"], "")

    def test_no_secret_anywhere(self):
        outs = []

        def do(args, check=True, env=None):
            r = T.run(args, check=check, env=env)
            outs.append(r.stdout + r.stderr)
            return r

        # 1. key file, including a failed push with a wrong key
        s = T.Store(os.path.join(self.tmp, "S"))
        outs.append(s.link(self.az.url, keyfile=self.keyfile).stdout)
        self.small_lake(s)
        do(["push", "--store", s.dir])
        T.spit(self.keyfile, T.WRONG_KEY + "\n")
        s.ingest("lv_widget", os.path.join(T.FIXTURES, "lv_widget.2.jsonl"))
        do(["push", "--store", s.dir], check=False)
        do(["status", "--store", s.dir])
        do(["status", "--store", s.dir, "--json"])
        T.spit(self.keyfile, T.KEY + "\n")
        do(["unlink", "--store", s.dir])
        do(["relink", "--store", s.dir])

        # 2. SAS file, valid then expired
        good = T.account_sas(T.KEY, "2099-01-01T00:00:00Z")
        expired = T.account_sas(T.KEY, "2001-01-01T00:00:00Z")
        sasfile = self.write("sas", good + "\n")
        s2 = T.Store(os.path.join(self.tmp, "S2"), org="org2")
        outs.append(s2.link(self.az.url, sasfile=sasfile).stdout)
        self.small_lake(s2)
        do(["push", "--store", s2.dir])
        T.spit(sasfile, expired + "\n")
        s2.ingest("lv_widget", os.path.join(T.FIXTURES, "lv_widget.2.jsonl"))
        do(["push", "--store", s2.dir], check=False)
        do(["status", "--store", s2.dir])
        do(["status", "--store", s2.dir, "--json"])

        # 3. key from the environment
        env = dict(os.environ, LAKEVIEW_ADLS_KEY=T.KEY)
        s3 = os.path.join(self.tmp, "S3")
        do(["link", "--store", s3, "--environment", "demo", "--organization", "org3",
            "--adls-url", self.az.url, "--adls-account", T.ACCOUNT], env=env)
        do(["tables", "add", "--store", s3, "lv_gizmo", "--schema",
            os.path.join(T.FIXTURES, "lv_gizmo.schema.json")], env=env)
        do(["ingest", "--store", s3, "lv_gizmo", os.path.join(T.FIXTURES, "lv_gizmo.1.jsonl")],
           env=env)
        do(["push", "--store", s3], env=env)
        r = do(["push", "--store", s3], check=False, env=dict(env, LAKEVIEW_ADLS_KEY=T.WRONG_KEY))
        do(["status", "--store", s3, "--json"], env=env)

        secrets = {}
        for name, k in (("key", T.KEY), ("wrong key", T.WRONG_KEY)):
            secrets[name] = k.encode()
            secrets[name + " (raw)"] = base64.b64decode(k)
        for name, sas in (("sas", good), ("expired sas", expired)):
            sig = dict(x.split("=", 1) for x in sas.split("&"))["sig"]
            secrets[name + " sig"] = sig.encode()
            secrets[name + " sig (decoded)"] = urllib.parse.unquote(sig).encode()
        blobs = [("output %d" % i, o.encode()) for i, o in enumerate(outs)]
        for d in (s.dir, s2.dir, s3):
            for f in sorted(os.listdir(d)):
                with open(os.path.join(d, f), "rb") as fh:
                    blobs.append((os.path.join(os.path.basename(d), f), fh.read()))
        self.assertTrue(any(n.endswith("lakeview.conf") for n, _ in blobs))
        self.assertTrue(any(n.endswith("data.mdb") for n, _ in blobs))
        leaks = ["%s in %s" % (sn, bn) for bn, b in blobs for sn, sv in secrets.items()
                 if sv in b]
        self.assertEqual(leaks, [])


if __name__ == "__main__":
    T.main()
