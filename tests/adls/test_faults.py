#!/usr/bin/env python3
"""test_faults.py - pushes that meet a fault, and the run after it (suite adls).

 - test_azurite_stopped_mid_push: Azurite with on-disk persistence is
   stopped while a push uploads a multi-block partition; the push exits
   non-zero with one clear line, so does a push while it is down; Azurite
   restarted on the same port and data directory; the next push ends equal
   and sends at most the remaining work.
 - test_sigkill_at_random_points: a push SIGKILLed after a random number of
   requests (seeded, several times), then run to completion: remote equal to
   local, no block uploaded twice, each resumed run writes exactly the files
   its store still had pending and sends at most their bytes.
 - test_wrong_key: 403 -> one clear line, non-zero exit, no retry, nothing
   recorded as pushed; with the right key the next push ends equal.
 - test_expired_sas: an account SAS whose expiry has passed -> one clear line,
   non-zero exit, no signature in the output; a valid SAS then ends equal.
"""
import os
import random
import subprocess
import time

import adlstest as T


def one_clear_line(test, r, *words):
    err = r.stderr.strip()
    test.assertNotEqual(r.returncode, 0, "expected a failure: %r" % r.stdout)
    test.assertTrue(err, "no error message")
    test.assertEqual(len(err.splitlines()), 1, "not one line: %r" % err)
    low = err.lower()
    test.assertTrue(any(w in low for w in words), "%r names none of %s" % (err, words))
    test.assertNotIn(T.KEY, r.stdout + r.stderr)


class Faults(T.AdlsCase):

    def pending(self, s):
        p = s.status(json_=True)["push"]
        return (sum(p[k]["files"] for k in ("data", "snapshots", "metadata")),
                sum(p[k]["bytes"] for k in ("data", "snapshots", "metadata")), p)

    def test_azurite_stopped_mid_push(self):
        data = os.path.join(self.tmp, "azdata")
        az = T.Azurite(os.path.join(self.tmp, "az2"), location=data)
        self.addCleanup(lambda: az2.stop() if az2 else None)
        self.addCleanup(az.stop)
        az2 = None
        blob = T.Blob(az.url)
        s = self.new_store(az.url)
        self.small_lake(s)
        self.bench_lake(s, 60000)
        s.snapshot()
        total_files, total_bytes, _ = self.pending(s)

        p = T.popen([T.LAKECTL, "push", "--store", s.dir], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 30
            while p.poll() is None and time.monotonic() < deadline:
                # some blocks of the big partition are on the server
                if len(blob.block_list(s.container, "bench/2021.csv", "uncommitted")) >= 20:
                    break
                time.sleep(0.01)
            az.stop()  # SIGTERM: Azurite closes its database cleanly
            out, err = p.communicate(timeout=120)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        r = subprocess.CompletedProcess(p.args, p.returncode, out, err)
        self.assertNotEqual(p.returncode, 0,
                            "push finished before Azurite stopped; make the lake bigger")
        one_clear_line(self, r, "transport", "connect", "refused", "reach")
        self.assertIn("lakectl push", r.stderr)  # says how to resume
        print("push with Azurite stopped: %s" % r.stderr.strip())

        # still down: fails the same way, quickly
        t0 = time.monotonic()
        r = s.push(check=False)
        one_clear_line(self, r, "transport", "connect", "refused", "reach")
        self.assertLess(time.monotonic() - t0, 20)

        left_files, left_bytes, _ = self.pending(s)
        self.assertGreater(left_files, 0)
        self.assertLess(left_files, total_files)
        az2 = T.Azurite(os.path.join(self.tmp, "az3"), port=az.port, location=data)
        self.assertEqual(az2.url, az.url)
        st = T.parse_push(s.push().stdout)
        self.assertRemoteEqual(s, T.Blob(az2.url))
        self.assertEqual(st["uploaded"] + st["copied"], left_files)
        self.assertLessEqual(st["bytes"], left_bytes + 200 + 100 * 1000)
        self.assertGreater(st["blocks_reused"], 0, "blocks already on the server were sent again")
        print("stopped mid-push: %d/%d files, %d/%d bytes left; the resumed push sent %d bytes "
              "(%d blocks reused)" % (left_files, total_files, left_bytes, total_bytes,
                                      st["bytes"], st["blocks_reused"]))

    def test_sigkill_at_random_points(self):
        px = self.proxy()
        s = self.new_store(px.url)
        self.small_lake(s)
        self.bench_lake(s, 40000)
        s.snapshot()
        rnd = random.Random(20261125)
        self.kill_and_resume(s, px, sorted(rnd.sample(range(3, 130), 4)))
        self.assertRemoteEqual(s)
        # an incremental push (updates, a new partition, snapshot rounds that
        # retire pushed snapshots) killed too: the remote model.json never
        # names a missing blob at any kill point
        for n in range(5):
            s.ingest_rows("bench", [T.bench_row(n * 7919, 2021, 2 * 10**9 + n),
                                    T.bench_row(50000 + n, 2024, 2 * 10**9 + 100 + n)])
            s.snapshot()
        self.kill_and_resume(s, px, sorted(rnd.sample(range(2, 40), 4)))
        self.assertRemoteEqual(s)

    def kill_and_resume(self, s, px, points):
        print("kill after requests: %s" % points)
        block_puts = {}
        done = 0
        for k in points + [None]:
            files_left, bytes_left, _ = self.pending(s)
            m = px.mark()
            p = T.popen([T.LAKECTL, "push", "--store", s.dir],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                if k is not None:
                    while p.poll() is None and len(px.log) - m < k:
                        time.sleep(0.001)
                    if p.poll() is None:
                        p.kill()
                out, err = p.communicate(timeout=300)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            time.sleep(0.3)  # let the proxy finish what was in flight
            reqs = px.since(m)
            for r in reqs:
                if T.kind_of(r) == "put-block" and r["status"] == 201:
                    key = (T.blob_of(r), r["query"]["blockid"])
                    block_puts[key] = block_puts.get(key, 0) + 1
            if k is None or p.returncode == 0:
                self.assertModelConsistent(s)
                self.assertEqual(p.returncode, 0, err)
                st = T.parse_push(out)
                written = {T.blob_of(r) for r in reqs
                           if T.kind_of(r) in ("put", "put-block-list")
                           and r["status"] in (201, 202)}
                # exactly what was pending, nothing the killed runs committed
                self.assertEqual(st["uploaded"] + st["copied"], files_left)
                self.assertEqual(len(written), files_left)
                self.assertLessEqual(st["bytes"], bytes_left + 200 + 100 * 1000)
                print("resumed push: %d files, %d bytes pending; sent %d bytes, "
                      "%d blocks reused" % (files_left, bytes_left, st["bytes"],
                                            st["blocks_reused"]))
                break
            self.assertEqual(p.returncode, -9)
            self.assertModelConsistent(s)
            done += 1
        self.assertGreater(done, 0, "no push was killed")
        twice = {k: n for k, n in block_puts.items() if n > 1}
        self.assertEqual(twice, {}, "blocks uploaded more than once")

    def test_wrong_key(self):
        px = self.proxy()
        s = self.new_store(px.url)
        self.small_lake(s)
        s.push()
        s.ingest("lv_widget", os.path.join(T.FIXTURES, "lv_widget.2.jsonl"))
        s.snapshot()
        files_left, _, _ = self.pending(s)
        T.spit(self.keyfile, T.WRONG_KEY + "\n")
        m = px.mark()
        r = s.push(check=False)
        one_clear_line(self, r, "403", "auth")
        self.assertNotIn(T.WRONG_KEY, r.stdout + r.stderr)
        reqs = px.since(m)
        self.assertEqual([x["status"] for x in reqs], [403], "a 403 must not be retried")
        self.assertEqual(self.pending(s)[0], files_left)
        print("wrong key: %s" % r.stderr.strip())
        # link with a wrong key writes nothing
        r = T.Store(os.path.join(self.tmp, "S2"), org="org2").link(
            self.az.url, keyfile=self.keyfile, check=False)
        one_clear_line(self, r, "403", "auth")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "S2", "lakeview.conf")))
        T.spit(self.keyfile, T.KEY + "\n")
        s.push()
        self.assertRemoteEqual(s)

    def test_expired_sas(self):
        good = T.account_sas(T.KEY, "2099-01-01T00:00:00Z")
        expired = T.account_sas(T.KEY, "2001-01-01T00:00:00Z", start="2000-01-01T00:00:00Z")
        sasfile = self.write("sas", good + "\n")
        s = T.Store(os.path.join(self.tmp, "S"))
        r = s.link(self.az.url, sasfile=sasfile)
        outs = [r]
        self.small_lake(s)
        outs.append(s.push())
        self.assertRemoteEqual(s)
        self.bench_lake(s, 500)
        s.snapshot()
        T.spit(sasfile, expired + "\n")
        r = s.push(check=False)
        outs.append(r)
        one_clear_line(self, r, "403", "auth", "expired", "sas")
        print("expired SAS: %s" % r.stderr.strip())
        T.spit(sasfile, good + "\n")
        outs.append(s.push())
        self.assertRemoteEqual(s)
        for sas in (good, expired):
            sig = dict(x.split("=", 1) for x in sas.split("&"))["sig"]
            for o in outs:
                self.assertNotIn(sig, o.stdout + o.stderr)
                self.assertNotIn(T.urllib.parse.unquote(sig), o.stdout + o.stderr)


if __name__ == "__main__":
    T.main()
