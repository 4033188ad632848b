#!/usr/bin/env python3
"""test_readme_examples.py - the README's reading examples run on a real lake.

The README embeds doc/examples/read_pandas.py and doc/examples/read_duckdb.sql
verbatim (checked here, so they cannot drift). The pandas example runs with
Debian's python3 and pandas on a lake built by lakectl from the lake suite's
fixtures and copied out with `lakectl cat` (the same bytes a mount serves);
the DuckDB example runs as pasted, with DuckDB 1.5 (tests/readers, pinned
from npm), against a real mount of the same store, and must give the names
and revenues that Python's csv module reads from the files model.json lists;
so must the Delta example (doc/examples/read_delta_duckdb.sql) once the
store has delta = on and a snapshot, through the same mount.
"""
import csv, decimal, json, os, shutil, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAKECTL = os.environ["LAKECTL"]
LAKEVIEW = os.environ["LAKEVIEW"]
README_LAKE = "/mnt/dataverse-prod-org5b3f1e0a"
FIX = os.path.join(ROOT, "tests/lake/fixtures")


def run(*args, **kw):
    return subprocess.run([LAKECTL, *args], check=True, capture_output=True, text=True, **kw)


def main():
    example = open(os.path.join(ROOT, "doc/examples/read_pandas.py")).read()
    readme = open(os.path.join(ROOT, "README.md")).read()
    if "```python\n" + example + "```" not in readme:
        print("README.md does not embed doc/examples/read_pandas.py verbatim")
        return 1
    py = "/usr/bin/python3"
    if subprocess.run([py, "-c", "import pandas"], capture_output=True).returncode:
        print("pandas is not installed for /usr/bin/python3 (scripts/setup.sh installs it)")
        return 1
    tmp = tempfile.mkdtemp()
    try:
        store, lake = os.path.join(tmp, "s"), os.path.join(tmp, "lake")
        run("link", "--store", store, "--environment", "prod", "--organization", "org5b3f1e0a")
        # the widget fixture, renamed to the README's 'account' with 'revenue'
        schema = open(os.path.join(FIX, "lv_widget.schema.json")).read()
        rows = open(os.path.join(FIX, "lv_widget.1.jsonl")).read()
        for a, b in (("lv_widgetid", "accountid"), ("lv_widgets", "accounts"),
                     ("lv_widget", "account"), ("lv_name", "name"), ("lv_price", "revenue")):
            schema, rows = schema.replace(a, b), rows.replace(a, b)
        open(os.path.join(tmp, "account.json"), "w").write(schema)
        open(os.path.join(tmp, "rows.jsonl"), "w").write(rows)
        run("tables", "add", "--store", store, "account", "--schema", os.path.join(tmp, "account.json"))
        run("ingest", "--store", store, "account", os.path.join(tmp, "rows.jsonl"))
        run("snapshot", "--store", store)
        for line in run("ls", "--store", store, "-R").stdout.splitlines():
            dst = os.path.join(lake, line)
            if line.endswith("/"):
                os.makedirs(dst, exist_ok=True)
            else:
                with open(dst, "w") as f:
                    subprocess.run([LAKECTL, "cat", "--store", store, line], stdout=f, check=True)
        out = subprocess.run([py, os.path.join(ROOT, "doc/examples/read_pandas.py"), lake],
                             capture_output=True, text=True)
        print(out.stdout, out.stderr)
        if out.returncode or "name" not in out.stdout or "revenue" not in out.stdout:
            print("the pandas example failed")
            return 1
        return duckdb_example(store, os.path.join(tmp, "mnt"), lake)
    finally:
        shutil.rmtree(tmp)


def duckdb_example(store, mnt, copy):
    """The README's DuckDB example, pasted against a real mount."""
    sql = open(os.path.join(ROOT, "doc/examples/read_duckdb.sql")).read()
    readme = open(os.path.join(ROOT, "README.md")).read()
    if "```sql\n" + sql + "```" not in readme:
        print("README.md does not embed doc/examples/read_duckdb.sql verbatim")
        return 1
    if not os.path.exists("/dev/fuse"):
        print("SKIP: /dev/fuse is missing, the DuckDB example needs a mount")
        return 77
    if subprocess.run([os.path.join(ROOT, "tests/readers/readers.sh"), "install"]).returncode:
        print("tests/readers/readers.sh install failed")
        return 1
    os.makedirs(mnt)
    r = subprocess.run([LAKEVIEW, store, mnt], capture_output=True, text=True)
    if r.returncode:
        print("lakeview failed to mount:", r.stderr)
        return 1
    pid = None
    try:
        with open(os.path.join(mnt, ".lakeview/status.json")) as f:
            pid = json.load(f)["daemon_pid"]
        out = subprocess.run(["node", os.path.join(ROOT, "tests/readers/duck.mjs"), "-"],
                             input=sql.replace(README_LAKE, mnt), capture_output=True, text=True)
        print(out.stdout, out.stderr)
        if out.returncode:
            print("the DuckDB example failed")
            return 1
        got = json.loads(out.stdout)
        # the same rows, read by Python's csv from the files model.json lists
        model = json.load(open(os.path.join(copy, "model.json")))
        account = next(e for e in model["entities"] if e["name"] == "account")
        cols = [a["name"] for a in account["attributes"]]
        want = []
        for p in account["partitions"]:
            with open(os.path.join(copy, "account/Snapshot", p["location"].rsplit("/", 1)[1]),
                      newline="") as f:
                want += [dict(zip(cols, r)) for r in csv.reader(f)]
        want = [{"name": r["name"] or None, "revenue": r["revenue"] or None} for r in want][:5]
        if not got or got != want:
            print("DuckDB read %r, csv reads %r" % (got, want))
            return 1
        return delta_example(store, mnt, copy, account, cols)
    finally:
        subprocess.run(["fusermount3", "-u", mnt], capture_output=True)
        for _ in range(100):
            if pid is None or not os.path.exists("/proc/%d" % pid):
                break
            time.sleep(0.05)
        else:
            os.kill(pid, 9)


def delta_example(store, mnt, copy, account, cols):
    """The README's Delta example, pasted against the same mount after
    `delta = on` and a snapshot: the rows of the CSV snapshots, by name."""
    sql = open(os.path.join(ROOT, "doc/examples/read_delta_duckdb.sql")).read()
    readme = open(os.path.join(ROOT, "README.md")).read()
    if "```sql\n" + sql + "```" not in readme:
        print("README.md does not embed doc/examples/read_delta_duckdb.sql verbatim")
        return 1
    with open(os.path.join(store, "lakeview.conf"), "a") as f:
        f.write("delta = on\n")
    run("snapshot", "--store", store)
    out = subprocess.run(["node", os.path.join(ROOT, "tests/readers/duck.mjs"), "-"],
                         input=sql.replace(README_LAKE, mnt), capture_output=True, text=True)
    print(out.stdout, out.stderr)
    if out.returncode:
        print("the Delta DuckDB example failed")
        return 1
    got = [(r["name"], None if r["revenue"] is None else decimal.Decimal(r["revenue"]))
           for r in json.loads(out.stdout)]
    want = []
    for p in account["partitions"]:
        with open(os.path.join(copy, "account/Snapshot", p["location"].rsplit("/", 1)[1]),
                  newline="") as f:
            want += [dict(zip(cols, r)) for r in csv.reader(f)]
    want = sorted((r["name"], decimal.Decimal(r["revenue"]) if r["revenue"] else None)
                  for r in want)[:5]
    if not got or got != want:
        print("DuckDB read the Delta table as %r, csv reads %r" % (got, want))
        return 1
    return 0


sys.exit(main())
