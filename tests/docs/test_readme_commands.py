#!/usr/bin/env python3
"""test_readme_commands.py - every command in README.md works as written.

The README's fenced code blocks are extracted in README order. Each command
of a shell block (```sh, ```shell, ```bash) is run as written, against real
things:

  * the Dataverse stand-in (tests/dataverse/standin.py) in place of the
    environment and of Entra ID's token endpoint,
  * Azurite (tests/adls/azurite.sh) in place of the storage account,
  * a real FUSE mount of the built lakeview,

with the built lakectl and lakeview (LAKECTL, LAKEVIEW from meson) first on
PATH in place of `meson install`, in a fresh copy of the source tree (as
after `git clone`) under a temporary directory that stands in for the
machine: the README's system paths (/var/lib/lakeview/..., /mnt/...) are
mapped into it by the small substitution table SUBST below, HOME is a new
empty directory there, and EDITOR is a script that types the secret the
README asks for (EDITOR_TYPES). Nothing else of a command is changed.

A command that exits non-zero fails the test, naming its README line.
Commands that cannot run here are listed in NOT_RUN with the reason, and
blocks that are not shell (the pandas example, DuckDB SQL, the lake's
layout, fstab lines) in NOT_SHELL; a block that is neither run nor listed
fails the test ("not covered: ..."), as does a listing or substitution that
no longer matches anything in the README (so neither can go stale).

Everything started is stopped by PID and every mount is undone, however
the test ends. Skips (77) only when /dev/fuse is missing. Runs as root
here (as scripts/test.sh does); the mount block also works as a user.
"""
import json, os, re, select, shutil, signal, subprocess, sys, tempfile, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
README = os.path.join(ROOT, "README.md")
LAKECTL = os.environ["LAKECTL"]
LAKEVIEW = os.environ["LAKEVIEW"]

# the stand-in's defaults (tests/dataverse/README.md) and Azurite's account
TENANT = "00000000-0000-0000-0000-000000000001"
CLIENT = "lakeview-test"
SECRET = "s3cret-value"
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = ("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
               "K1SZFPTOtr/KBHBeksoGMGw==")

# README placeholder -> what it is here. {tmp} is the stand-in machine,
# {url} the stand-in's READY URL (it serves the token endpoint too, which
# lakectl reaches at login.microsoftonline.com unless given --token-url),
# {azurite} Azurite's endpoint, {store} the store S of the section
# (STORE_OF_SECTION). Longest match first, one pass: a replacement is never
# replaced again.
TOKEN = "--token-url {url}/" + TENANT + "/oauth2/v2.0/token"
SUBST = {
    "https://org5b3f1e0a.crm.dynamics.com": "{url} " + TOKEN,
    "<tenant-id>": TENANT,
    "<client-id>": CLIENT,
    "--dataverse-url ...": "--dataverse-url {url} " + TOKEN,
    "--tenant-id ...": "--tenant-id " + TENANT,
    "--client-id ...": "--client-id " + CLIENT,
    "--client-secret-file ...": "--client-secret-file ~/.config/lakeview/dataverse.secret",
    "https://mystorage.blob.core.windows.net": "{azurite}",
    "--adls-account mystorage": "--adls-account " + AZURITE_ACCOUNT,
    "/var/lib/lakeview/": "{tmp}/var/lib/lakeview/",
    "/mnt/dataverse-prod-org5b3f1e0a": "{tmp}/mnt/dataverse-prod-org5b3f1e0a",
    "--store S": "--store {store}",
}
# `S` is the store the section works on: the one linked under "Linking",
# and from "Pushing to ADLS Gen2" on the one linked there with a sink
# (link makes a new store; the README says so).
STORE_OF_SECTION = {
    None: "{tmp}/var/lib/lakeview/prod",
    "Pushing to ADLS Gen2": "{tmp}/var/lib/lakeview/cloud",
    "Unlinking and relinking": "{tmp}/var/lib/lakeview/cloud",
}
# What $EDITOR "types" into the files the README has you edit.
EDITOR_TYPES = {
    "dataverse.secret": SECRET,
    "storage.key": AZURITE_KEY,
}
# The environment the README's commands assume: the stand-in's sample
# organisation has account and contact (change tracked) and task (not);
# `tables add` also names activitypointer and email.
EXTRA_TABLES = [
    {"LogicalName": "activitypointer", "EntitySetName": "activitypointers",
     "PrimaryIdAttribute": "activityid", "PrimaryNameAttribute": "subject",
     "Attributes": [{"LogicalName": "subject", "AttributeType": "String", "MaxLength": 200}],
     "rows": [{"subject": "Call back about the renewal", "createdon": "2021-05-06T07:08:09Z"},
              {"subject": "Send the quote", "createdon": "2023-02-03T04:05:06Z"}]},
    {"LogicalName": "email", "EntitySetName": "emails",
     "PrimaryIdAttribute": "activityid", "PrimaryNameAttribute": "subject",
     "Attributes": [{"LogicalName": "subject", "AttributeType": "String", "MaxLength": 200}],
     "rows": [{"subject": "Hello, \"world\"", "createdon": "2022-01-02T03:04:05Z"}]},
]

# Shell commands not run here (key: the command without comments, spaces
# collapsed) and why.
NOT_RUN = {
    "scripts/demo.sh":
        "run to the end, then 'demo.sh stop', by tests/docs/test_demo.sh",
    "scripts/test.sh":
        "runs every suite, this test included (it would run itself)",
    "sudo meson install -C build":
        "installs into the real system; tests/install/test_install.sh installs the "
        "same tree with --destdir and checks every file; here the built lakectl and "
        "lakeview are first on PATH instead",
    "systemctl enable --now lakeview-sync@prod.service":
        "enables a service on this machine (and PID 1 may not be systemd); "
        "tests/install/test_units.sh verifies the unit; the command it runs, "
        "'lakectl sync --follow', is run above",
    "systemctl enable --now srv-lake.automount":
        "enables a mount on this machine (and PID 1 may not be systemd); "
        "tests/install/test_units.sh verifies the units, tests/mount/fstab.sh "
        "mounts the same way",
}
# Blocks that are not shell (key: language, first line) and what covers them.
NOT_SHELL = {
    ("python", "import json, sys"):
        "doc/examples/read_pandas.py, embedded verbatim; tests/docs/test_readme_examples.py "
        "checks that and runs it on a real lake",
    ("sql", "-- DuckDB: account as of its newest snapshots (the files model.json lists),"):
        "doc/examples/read_duckdb.sql, embedded verbatim; tests/docs/test_readme_examples.py "
        "checks that and runs it with DuckDB against a real mount",
    ("sql", "-- DuckDB: the Delta table of account at its newest version, from its log"):
        "doc/examples/read_delta_duckdb.sql, embedded verbatim; tests/docs/test_readme_examples.py "
        "checks that and runs it with DuckDB against a real mount",
    ("", "deltalake/account/"):
        "a picture of a Delta table's layout, not commands (tests/readers checks the layout)",
    ("", "dataverse-prod-org5b3f1e0a/"):
        "a picture of the lake's layout, not commands (the lake suite checks the layout)",
    ("", "contact                  41,000 of about 120,000 rows (34%), 2,310 rows/s, about 34 s left"):
        "a picture of sync's progress line on a terminal; tests/integration/test_status.py "
        "checks that line under a real pty (script(1)) and in status",
    ("", "# /etc/fstab"):
        "fstab lines, not commands; tests/mount/fstab.sh mounts both forms with mount(8)",
}
# Commands that run until stopped: run, wait for what shows they work,
# SIGTERM, and expect exit status 0.
FOLLOW = {
    "lakectl sync --store S --follow --interval 60 --snapshot-interval 3600": "sync-round",
}
SHELLS = ("sh", "shell", "bash")


def norm(cmd):
    """A command as a key: continuation lines joined, comments dropped."""
    lines = [re.sub(r"(^|\s+)#.*$", "", ln) for ln in cmd.split("\n")]
    return " ".join(" ".join(lines).replace("\\ ", " ").split())


def blocks(text):
    """(line, h2 section, language, [(line, command)], first line) per fenced block."""
    out, section, lines, i = [], None, text.split("\n"), 0
    while i < len(lines):
        ln = lines[i]
        if ln.startswith("## "):
            section = ln[3:].strip()
        m = re.match(r"^(\s*)```(\S*)\s*$", ln)
        if not m:
            i += 1
            continue
        indent, lang, start = len(m.group(1)), m.group(2), i + 1
        body = []
        i += 1
        while i < len(lines) and not re.match(r"^\s*```\s*$", lines[i]):
            body.append((i + 1, lines[i][indent:] if lines[i][:indent].isspace() else lines[i].lstrip()))
            i += 1
        if i == len(lines):
            raise SystemExit(f"README.md:{start}: unterminated code block")
        i += 1
        cmds, cur = [], None
        for no, t in body:
            if cur is None:
                if not t.strip() or t.strip().startswith("#"):
                    continue
                cur = (no, [t])
            else:
                cur[1].append(t)
            if not t.rstrip().endswith("\\"):
                cmds.append((cur[0], "\n".join(cur[1])))
                cur = None
        if cur is not None:
            cmds.append((cur[0], "\n".join(cur[1])))
        first = next((t.strip() for _, t in body if t.strip()), "")
        out.append((start, section, lang, cmds, first))
    return out


class Fail(Exception):
    pass


class Run:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="lakeview-readme.")
        os.chmod(self.tmp, 0o755)
        self.procs = []        # Popen objects we started (stand-in, followers)
        self.daemons = set()   # lakeview daemon PIDs (from status.json)
        self.azurite_dir = os.path.join(self.tmp, "azurite")
        self.azurite_started = False
        self.used = set()
        self.vals = {"tmp": self.tmp}

    # ---- the machine --------------------------------------------------
    def setup(self):
        t = self.tmp
        for d in ("var/lib", "mnt", "home", "bin"):
            os.makedirs(os.path.join(t, d))
        for name, target in (("lakectl", LAKECTL), ("lakeview", LAKEVIEW)):
            os.symlink(os.path.abspath(target), os.path.join(t, "bin", name))
        editor = os.path.join(t, "bin", "editor")
        with open(editor, "w") as f:
            f.write("#!/bin/sh\n# the user typing what the README asks for\ncase ${1##*/} in\n")
            for name, value in EDITOR_TYPES.items():
                f.write(f"{name}) printf '%s\\n' '{value}' > \"$1\" ;;\n")
            f.write("*) echo \"editor: nothing to type into $1\" >&2; exit 1 ;;\nesac\n")
        os.chmod(editor, 0o755)
        self.env = dict(os.environ)
        self.env.update(HOME=os.path.join(t, "home"), EDITOR=editor,
                        PATH=os.path.join(t, "bin") + ":" + os.environ.get("PATH", "/usr/bin:/bin"))
        self.env.pop("LAKEVIEW_STORE", None)
        # the clone: the source tree as git would check it out
        self.src = os.path.join(t, "lakeview")

        def ignore(d, names):
            top = os.path.abspath(d) == ROOT
            return [n for n in names if n in (".git", "node_modules", "__pycache__")
                    or (top and (n.startswith("build") or n in ("lake", ".demo")))]
        shutil.copytree(ROOT, self.src, ignore=ignore, symlinks=True)
        self.start_standin()
        self.start_azurite()

    def start_standin(self):
        err = open(os.path.join(self.tmp, "standin.err"), "w")
        p = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests/dataverse/standin.py"),
                              "--sample-org", "--sample-rows", "1000", "--seed", "7"],
                             stdout=subprocess.PIPE, stderr=err, text=True)
        self.procs.append(p)
        r, _, _ = select.select([p.stdout], [], [], 30)
        line = p.stdout.readline() if r else ""
        if not line.startswith("READY "):
            raise Fail(f"the stand-in did not start: {line!r} (see {err.name})")
        self.vals["url"] = url = line.split()[1]
        for spec in EXTRA_TABLES:
            req = urllib.request.Request(url + "/admin/tables", data=json.dumps(spec).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
            urllib.request.urlopen(req, timeout=10).read()
        print(f"# Dataverse stand-in at {url}")

    def start_azurite(self):
        sh = os.path.join(ROOT, "tests/adls/azurite.sh")
        for args in (["install"], ["start", self.azurite_dir]):
            r = subprocess.run([sh, *args], capture_output=True, text=True)
            if args[0] == "start":
                self.azurite_started = True
            if r.returncode:
                raise Fail(f"azurite.sh {args[0]}: {r.stderr.strip()}")
        with open(os.path.join(self.azurite_dir, "azurite.url")) as f:
            self.vals["azurite"] = f.read().strip()
        print(f"# Azurite at {self.vals['azurite']}")

    # ---- substitutions ------------------------------------------------
    def subst(self, cmd, section):
        vals = dict(self.vals)
        vals["store"] = STORE_OF_SECTION.get(section, STORE_OF_SECTION[None]).format(**vals)
        keys = sorted(SUBST, key=len, reverse=True)
        pat = "|".join(re.escape(k) + (r"(?!\w)" if re.match(r".*\w$", k) else "") for k in keys)

        def one(m):
            self.used.add(m.group(0))
            return SUBST[m.group(0)].format(**vals)
        return re.sub(pat, one, cmd)

    # ---- mounts and daemons -------------------------------------------
    def our_mounts(self):
        out = []
        with open("/proc/mounts") as f:
            for ln in f:
                mnt = ln.split()[1].replace("\\040", " ")
                if mnt.startswith(self.tmp + "/"):
                    out.append(mnt)
        return out

    def note_daemons(self):
        for m in self.our_mounts():
            try:
                with open(os.path.join(m, ".lakeview/status.json")) as f:
                    self.daemons.add(int(json.load(f)["daemon_pid"]))
            except (OSError, ValueError, KeyError):
                pass

    @staticmethod
    def alive(pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    # ---- running ------------------------------------------------------
    def run(self, no, section, cmd):
        key = norm(cmd)
        real = self.subst(cmd, section)
        shown = " ".join(norm(real).split())
        print(f"README.md:{no} $ {shown}", flush=True)
        t0 = time.monotonic()
        if key in FOLLOW:
            self.follow(no, real, FOLLOW[key])
        else:
            r = subprocess.run(["sh", "-c", real], cwd=self.src, env=self.env,
                               stdin=subprocess.DEVNULL, capture_output=True, text=True,
                               timeout=600)
            self.note_daemons()
            if r.returncode:
                raise Fail(f"README.md:{no}: `{key}` exited {r.returncode}\n"
                           f"--- stdout ---\n{r.stdout[-3000:]}--- stderr ---\n{r.stderr[-3000:]}")
            for ln in (r.stdout + r.stderr).splitlines()[:6]:
                print(f"    {ln}")
        print(f"    ok ({time.monotonic() - t0:.1f} s)", flush=True)

    def follow(self, no, real, until):
        """Run a command that runs until stopped; SIGTERM it once it has
        done its job once; it must then exit 0."""
        assert until == "sync-round"
        store = re.search(r"--store (\S+)", real).group(1)
        tables = subprocess.run([LAKECTL, "tables", "list", "--store", store], env=self.env,
                                capture_output=True, text=True, check=True).stdout
        want = {ln.split()[0] for ln in tables.splitlines() if ln.strip()}
        errf = os.path.join(self.tmp, f"follow.{no}.err")
        with open(errf, "w") as err:
            p = subprocess.Popen(["sh", "-c", "exec " + real], cwd=self.src, env=self.env,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        self.procs.append(p)
        deadline, done = time.monotonic() + 60, set()
        while time.monotonic() < deadline and p.poll() is None:
            with open(errf) as f:
                done = {m.group(1) for m in re.finditer(r"^(\S+): \d+ rows in \d+ pages .*removed$",
                                                        f.read(), re.M)}
            if want <= done:
                break
            time.sleep(0.2)
        if p.poll() is not None:
            raise Fail(f"README.md:{no}: exited {p.returncode} by itself:\n{open(errf).read()[-3000:]}")
        if not want <= done:
            raise Fail(f"README.md:{no}: no full round within 60 s (tables {sorted(want)}, "
                       f"done {sorted(done)}):\n{open(errf).read()[-3000:]}")
        time.sleep(0.3)   # into its sleep between rounds
        p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(20)
        except subprocess.TimeoutExpired:
            raise Fail(f"README.md:{no}: still running 20 s after SIGTERM")
        log = open(errf).read()
        for ln in log.splitlines()[:6]:
            print(f"    {ln}")
        if rc != 0 or "lakectl sync: stopped" not in log:
            raise Fail(f"README.md:{no}: exited {rc} on SIGTERM after a round:\n{log[-3000:]}")
        print(f"    (ran one round for {sorted(want)}, then SIGTERM: exit 0)")

    # ---- clean-up -----------------------------------------------------
    def cleanup(self):
        problems = []
        for m in sorted(self.our_mounts(), reverse=True):
            problems.append(f"{m} was still mounted")
            if subprocess.run(["fusermount3", "-u", m], capture_output=True).returncode:
                subprocess.run(["umount", "-l", m], capture_output=True)
        for pid in self.daemons:
            for _ in range(100):
                if not self.alive(pid):
                    break
                time.sleep(0.05)
            if self.alive(pid):
                problems.append(f"lakeview daemon {pid} still running")
                os.kill(pid, signal.SIGKILL)
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            if p.stdout:
                p.stdout.close()
        if self.azurite_started:
            subprocess.run([os.path.join(ROOT, "tests/adls/azurite.sh"), "stop", self.azurite_dir])
        shutil.rmtree(self.tmp, ignore_errors=True)
        return problems


def on_sigterm(sig, frame):
    raise Fail("stopped by SIGTERM (meson's timeout?)")


def main():
    signal.signal(signal.SIGTERM, on_sigterm)
    if not os.path.exists("/dev/fuse"):
        print("SKIP: /dev/fuse is missing (the README's mount block needs it)")
        return 77
    with open(README) as f:
        found = blocks(f.read())

    # coverage first: every block is run or listed, every listing is used
    uncovered, seen_not_run, seen_not_shell, plan = [], set(), set(), []
    for start, section, lang, cmds, first in found:
        if lang in SHELLS:
            for no, cmd in cmds:
                if norm(cmd) in NOT_RUN:
                    seen_not_run.add(norm(cmd))
                plan.append((no, section, cmd))
        elif (lang, first) in NOT_SHELL:
            seen_not_shell.add((lang, first))
        else:
            uncovered.append(f"README.md:{start}: ```{lang} block starting {first!r}")
    uncovered += [f"NOT_RUN lists {k!r}, which is not in the README" for k in NOT_RUN if k not in seen_not_run]
    uncovered += [f"NOT_SHELL lists {k!r}, which is not in the README" for k in NOT_SHELL if k not in seen_not_shell]
    uncovered += [f"FOLLOW lists {k!r}, which is not in the README" for k in FOLLOW
                  if k not in {norm(c) for _, _, c in plan}]
    if uncovered:
        for u in uncovered:
            print(f"not covered: {u}")
        return 1

    r = Run()
    status, ran, t0 = 0, 0, time.monotonic()
    try:
        r.setup()
        for no, section, cmd in plan:
            if norm(cmd) in NOT_RUN:
                print(f"README.md:{no} not run: {norm(cmd)}\n    ({NOT_RUN[norm(cmd)]})")
                continue
            r.run(no, section, cmd)
            ran += 1
        stale = [k for k in SUBST if k not in r.used]
        if stale:
            raise Fail("substitutions no README command uses (remove them): " + ", ".join(stale))
    except Fail as e:
        print(f"FAIL: {e}")
        status = 1
    finally:
        left = r.cleanup()
    if left and status == 0:
        print("FAIL: the README's commands left behind: " + "; ".join(left))
        status = 1
    skipped = sum(1 for _, _, c in plan if norm(c) in NOT_RUN)
    print(f"# {ran} README commands ran, {skipped} listed as not run here, "
          f"{len(NOT_SHELL)} non-shell blocks covered elsewhere; {time.monotonic() - t0:.0f} s")
    return status


sys.exit(main())
