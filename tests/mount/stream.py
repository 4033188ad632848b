#!/usr/bin/env python3
"""Readers against a writer, for consistency.sh.

  stream.py LAKECTL STORE MNT NOW

Handles opened on a snapshot, on an in-place partition and on an
append-only partition read slowly, in 4 KiB chunks, while the writer
ingests changes (updates, deletes, appends) and takes snapshots until
the snapshot the first handle reads is retired (more than 5 snapshots
retire the oldest). Each handle must return exactly the bytes the file
had when it was opened (checked against `lakectl cat` taken right
before the open), and after every commit a new open through the mount
must see the new version within 1 s.

The handles are read by a thread that runs concurrently with the
writer, while another thread stat()s the live files in a loop: the
kernel keeps one size per inode, and a stat() refreshes it to the newest
version, which is what breaks page-cached reads of an older version
(fs/ops.c explains why live files use direct_io).
"""
import hashlib
import json
import os
import subprocess
import sys
import threading
import time

LAKECTL, STORE, MNT, NOW = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
HERE = os.path.dirname(os.path.abspath(__file__))
CHUNK = 4096
FRESH_LIMIT = 1.0
clock = [NOW]


def lakectl(*args, data=None):
    env = dict(os.environ, LAKEVIEW_NOW=str(clock[0]))
    r = subprocess.run([LAKECTL] + list(args), input=data, env=env,
                       capture_output=True, check=False)
    if r.returncode != 0:
        raise SystemExit("lakectl %s: %s" % (" ".join(args), r.stderr.decode()))
    return r.stdout


def cat(path):
    return lakectl("cat", "--store", STORE, path)


def rows(*args):
    return subprocess.run([sys.executable, os.path.join(HERE, "rows.py")] + list(args),
                          capture_output=True, check=True).stdout


def sha(b):
    return hashlib.sha256(b).hexdigest()


class Handle:
    """An open file through the mount and the lake's bytes at open time."""

    def __init__(self, path):
        self.path = path
        for _ in range(50):
            before = cat(path)
            fd = os.open(os.path.join(MNT, path), os.O_RDONLY)
            after = cat(path)
            if before == after:
                break
            os.close(fd)    # a commit slipped in between: open again
        else:
            raise SystemExit("%s: could not pin a version to check" % path)
        self.fd, self.expected, self.got = fd, before, bytearray()
        self.eof = False

    def read(self, chunks, pause=0.0):
        for _ in range(chunks):
            if self.eof:
                return
            b = os.read(self.fd, CHUNK)
            if not b:
                self.eof = True
                return
            self.got += b
            if pause:
                time.sleep(pause)

    def finish(self):
        while not self.eof:
            self.read(64)
        os.close(self.fd)
        if bytes(self.got) != self.expected:
            n = next((i for i, (a, b) in enumerate(zip(self.got, self.expected)) if a != b),
                     min(len(self.got), len(self.expected)))
            raise SystemExit("%s: handle read %d bytes, the version it opened has %d; "
                             "first difference at %d" % (self.path, len(self.got),
                                                         len(self.expected), n))
        return len(self.got)


def snapshots(table, part):
    names = [n for n in os.listdir(os.path.join(MNT, table, "Snapshot"))
             if n.startswith(part + "_")]
    return sorted(names, key=lambda n: int(n.split("_")[1].split(".")[0]))


def lake_snapshots(table, part):
    out = lakectl("ls", "--store", STORE, "-R").decode().split("\n")
    pre = "%s/Snapshot/%s_" % (table, part)
    return sorted((p.split("/")[-1] for p in out if p.startswith(pre)),
                  key=lambda n: int(n.split("_")[1].split(".")[0]))


def wait_fresh(path, what):
    """A new open of PATH returns the lake's current bytes within 1 s."""
    want = cat(path)
    t0 = time.monotonic()
    while True:
        try:
            with open(os.path.join(MNT, path), "rb") as f:
                got = f.read()
        except FileNotFoundError:
            got = None
        if got == want:
            return time.monotonic() - t0
        if time.monotonic() - t0 > FRESH_LIMIT:
            raise SystemExit("%s: new open still sees the old version after %.2f s (%s)"
                             % (path, time.monotonic() - t0, what))
        time.sleep(0.01)


def wait_listing(table, part, what):
    want = lake_snapshots(table, part)
    t0 = time.monotonic()
    while snapshots(table, part) != want:
        if time.monotonic() - t0 > FRESH_LIMIT:
            raise SystemExit("%s/Snapshot listing still stale after 1 s (%s): %s vs %s"
                             % (table, what, snapshots(table, part), want))
        time.sleep(0.01)
    return time.monotonic() - t0


def main():
    part = "2019"
    snaps = snapshots("account", part)
    assert len(snaps) >= 2, snaps
    oldest = "account/Snapshot/" + snaps[0]
    live = "account/%s.csv" % part
    append = "lead/%s.csv" % part

    snap_h = Handle(oldest)
    append_h = Handle(append)
    live_a = Handle(live)
    live_b = None
    for h in (snap_h, append_h, live_a):
        h.read(2)

    # The concurrent reader (all handles, slowly) and a stat() loop.
    stop = threading.Event()
    errors = []

    def background():
        try:
            while not stop.is_set() and not all(
                    h.eof for h in [snap_h, append_h] + live_handles):
                snap_h.read(1, 0.003)
                append_h.read(1, 0.003)
                with live_lock:
                    for h in live_handles:
                        if not h.gate.is_set() and len(h.got) > len(h.expected) // 2:
                            continue   # keep the rest for after more commits
                        h.read(1, 0.001)
                if len(snap_h.got) > len(snap_h.expected) // 2 and not retired.is_set():
                    retired.wait(0.05)   # keep the rest for after the retirement
        except BaseException as e:   # reported by the main thread
            errors.append(e)

    def statter():
        while not stop.is_set():
            for p in (live, append):
                try:
                    os.stat(os.path.join(MNT, p))
                except FileNotFoundError:
                    pass
            time.sleep(0.0005)

    live_a.gate = threading.Event()
    live_lock = threading.Lock()
    live_handles = [live_a]
    retired = threading.Event()
    t = threading.Thread(target=background)
    t.start()
    s_thread = threading.Thread(target=statter)
    s_thread.start()

    worst = 0.0
    version = 10000
    first = 5000
    for rnd in range(1, 9):
        # The writer: update 2019 rows (ids i with i % 5 == 0), delete a
        # few, append to the append-only table, then take a snapshot.
        ids = [i for i in range(0, 600, 5)][:40]
        data = b"".join(rows("upsert", "account", str(i), "1", str(version + i),
                             "--text", str(100 + (rnd * 37 + i) % 200)) for i in ids[:20])
        version += 1000
        lakectl("ingest", "--store", STORE, "account", "-", data=data)
        lakectl("ingest", "--store", STORE, "account", "-",
                data=rows("delete", "account", str(600 + 25 * rnd), "25"))
        lakectl("ingest", "--store", STORE, "lead", "-",
                data=rows("upsert", "lead", str(first), "15", "1", "--text", "150"))
        first += 15
        worst = max(worst, wait_fresh(live, "round %d ingest" % rnd))
        clock[0] += 60
        lakectl("snapshot", "--store", STORE)
        worst = max(worst, wait_listing("account", part, "round %d snapshot" % rnd))
        worst = max(worst, wait_fresh(live, "round %d snapshot" % rnd))
        worst = max(worst, wait_fresh("model.json", "round %d snapshot" % rnd))
        worst = max(worst, wait_fresh(append, "round %d" % rnd))

        # In-place handles: A from before the first commit, B opened
        # after the first commit while A is still open.
        if rnd == 2:
            live_b = Handle(live)
            live_b.gate = threading.Event()
            with live_lock:
                live_handles.append(live_b)

        if rnd == 4:
            live_a.gate.set()
        if rnd == 6:
            live_b.gate.set()
        if oldest.split("/")[-1] not in lake_snapshots("account", part):
            retired.set()
        if errors:
            raise errors[0]

    if not retired.is_set():
        raise SystemExit("the writer never retired %s" % oldest)
    if os.path.exists(os.path.join(MNT, oldest)):
        raise SystemExit("%s still reachable by name after retirement" % oldest)
    t.join(60)
    stop.set()
    s_thread.join()
    if errors:
        raise errors[0]
    for h in (snap_h, append_h, live_a, live_b):
        n = h.finish()
        print("# %-40s %7d bytes, the version it opened" % (h.path, n))
    print("# worst freshness %.3f s" % worst)


if __name__ == "__main__":
    main()
