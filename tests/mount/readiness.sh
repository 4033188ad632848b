#!/bin/bash
# systemd readiness without libsystemd: with NOTIFY_SOCKET set, lakeview
# sends READY=1 only once the mount answers, and STOPPING=1 when it is
# unmounted. Path sockets and abstract (@) sockets, foreground and
# detached daemons.
. "$(dirname "$0")/lib.sh"

make_store 60 40

python3 - "$LAKEVIEW" "$STORE" "$MNT" "$PIDS" "$WORK" <<'PY' || fail "readiness"
import json, os, socket, subprocess, sys, time
lakeview, store, mnt, pids, work = sys.argv[1:6]
FUSE_MAGIC = 0x65735546

def fs_type(path):
    out = subprocess.run(["stat", "-f", "-c", "%t", path], capture_output=True, text=True)
    return int(out.stdout.strip() or "0", 16)

def receive(sock, what, timeout):
    sock.settimeout(timeout)
    msg = sock.recv(4096).decode()
    lines = msg.split("\n")
    assert what in lines, (what, msg)
    return lines

def run(address, foreground):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if address.startswith("@"):
        sock.bind("\0" + address[1:])
    else:
        sock.bind(address)
    env = dict(os.environ, NOTIFY_SOCKET=address)
    argv = [lakeview] + (["-f"] if foreground else []) + [store, mnt]
    proc = subprocess.Popen(argv, env=env, stderr=open(os.path.join(work, "daemon.log"), "a"))
    if foreground:
        with open(pids, "a") as f:
            f.write("%d\n" % proc.pid)
    else:
        assert proc.wait(timeout=30) == 0, "lakeview failed"
    receive(sock, "READY=1", 30)
    # READY=1 came after the mount answered: it serves right now.
    assert fs_type(mnt) == FUSE_MAGIC, "READY=1 before the mount answered"
    assert "model.json" in os.listdir(mnt)
    with open(os.path.join(mnt, ".lakeview", "status.json")) as f:
        pid = json.load(f)["daemon_pid"]
    if not foreground:
        with open(pids, "a") as f:
            f.write("%d\n" % pid)
    else:
        assert pid == proc.pid, (pid, proc.pid)
    subprocess.run(["fusermount3", "-u", mnt], check=True)
    receive(sock, "STOPPING=1", 10)
    if foreground:
        assert proc.wait(timeout=10) == 0, "foreground daemon exit status"
    else:
        for _ in range(200):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            raise SystemExit("daemon %d did not exit" % pid)
    sock.close()
    print("# %s %s: READY=1 then STOPPING=1" % (
        "foreground" if foreground else "detached", "abstract" if address[0] == "@" else "path"))

run(os.path.join(work, "notify.sock"), True)
run("@lakeview-test-%d" % os.getpid(), False)
run(os.path.join(work, "notify2.sock"), False)
run("@lakeview-test2-%d" % os.getpid(), True)
PY
! is_fuse "$MNT" || fail "still mounted"
log "ok"
