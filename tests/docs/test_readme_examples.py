#!/usr/bin/env python3
"""test_readme_examples.py - the README's reading examples run on a real lake.

The README embeds doc/examples/read_pandas.py verbatim (checked here, so the
two cannot drift); the example runs with Debian's python3 and pandas on a
lake built by lakectl from the lake suite's fixtures and copied out with
`lakectl cat` (the same bytes a mount serves).
"""
import os, shutil, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAKECTL = os.environ["LAKECTL"]
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
        return 0
    finally:
        shutil.rmtree(tmp)


sys.exit(main())
