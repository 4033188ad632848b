#!/usr/bin/env python3
"""Deterministic Dataverse Web API change rows for the mount tests.

  rows.py upsert TABLE FIRST COUNT VERSION [--text N]
      COUNT rows with ids FIRST.., versionnumber VERSION+i; createdon spread
      over 2019-2023 (every month), names with commas, quotes and line
      breaks now and then, a description of about N bytes (default 80).
  rows.py delete TABLE FIRST COUNT
      $deletedEntity items for ids FIRST..FIRST+COUNT-1.

One JSON object per line on stdout, as `lakectl ingest` reads them.
"""
import json
import sys
import uuid

PRIMARY = {"account": ("accountid", "name"), "contact": ("contactid", "fullname"),
           "lead": ("leadid", "subject")}
WORDS = ("lake view snapshot partition model csv dataverse synapse export "
         "row column change delta token sink zebra").split()


def guid(table, i):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "lakeview-test/%s/%d" % (table, i)))


def name(i, version):
    base = "Org %d v%d" % (i, version)
    if i % 7 == 0:
        base += ", Inc."
    if i % 11 == 0:
        base += ' "quoted"'
    if i % 29 == 0:
        base += "\nsecond line"
    return base


def upsert(table, first, count, version, text):
    pid, pname = PRIMARY[table]
    for k in range(count):
        i = first + k
        v = version + k
        year = 2019 + i % 5
        month = 1 + (i // 5) % 12
        words = []
        n = 0
        j = i * 31 + v
        while n < text:
            w = WORDS[j % len(WORDS)]
            words.append(w)
            n += len(w) + 1
            j = (j * 1103515245 + 12345) & 0x7FFFFFFF
        row = {
            "@odata.etag": 'W/"%d"' % v,
            pid: guid(table, i),
            pname: name(i, v),
            "createdon": "%04d-%02d-%02dT%02d:%02d:%02dZ" % (
                year, month, 1 + i % 28, i % 24, i % 60, (i * 7) % 60),
            "versionnumber": v,
            "revenue": round((i * 37 % 100000) + 0.25 * (v % 4), 2),
            "description": " ".join(words),
        }
        print(json.dumps(row))


def delete(table, first, count):
    for k in range(count):
        print(json.dumps({
            "@odata.context": "https://example.crm.dynamics.com/api/data/v9.2/"
                              "$metadata#%ss/$deletedEntity" % table,
            "id": guid(table, first + k), "reason": "deleted"}))


def main(argv):
    if len(argv) >= 6 and argv[1] == "upsert":
        text = 80
        if len(argv) >= 8 and argv[6] == "--text":
            text = int(argv[7])
        upsert(argv[2], int(argv[3]), int(argv[4]), int(argv[5]), text)
    elif len(argv) == 5 and argv[1] == "delete":
        delete(argv[2], int(argv[3]), int(argv[4]))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
