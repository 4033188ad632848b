#!/usr/bin/env python3
"""gen_rows.py - deterministic Web API rows for the benchmarks.

Usage: gen_rows.py SCHEMA_OUT N [--updates K --of N2] > rows.jsonl
Writes the `bench` table's metadata to SCHEMA_OUT and N create rows (about
200 bytes of CSV each) to stdout; with --updates K, K random updates of
rows 0..N2-1 instead (versions above the creates').
"""
import json, random, sys, uuid

schema = {
    "LogicalName": "bench", "EntitySetName": "benches", "PrimaryIdAttribute": "benchid",
    "Attributes": [
        {"LogicalName": "benchid", "AttributeType": "Uniqueidentifier"},
        {"LogicalName": "name", "AttributeType": "String", "MaxLength": 100},
        {"LogicalName": "city", "AttributeType": "String", "MaxLength": 80},
        {"LogicalName": "amount", "AttributeType": "Money"},
        {"LogicalName": "qty", "AttributeType": "Integer"},
        {"LogicalName": "createdon", "AttributeType": "DateTime"},
        {"LogicalName": "versionnumber", "AttributeType": "BigInt"},
    ],
}

def rid(i):
    return str(uuid.UUID(int=random.Random(i).getrandbits(128)))

def main():
    out, n = sys.argv[1], int(sys.argv[2])
    json.dump(schema, open(out, "w"))
    w = sys.stdout.write
    if "--updates" in sys.argv:
        k = int(sys.argv[sys.argv.index("--updates") + 1])
        of = int(sys.argv[sys.argv.index("--of") + 1])
        rnd = random.Random(42)
        for j in range(k):
            i = rnd.randrange(of)
            w('{"@odata.etag":"W/\\"%d\\"","benchid":"%s","name":"Updated account %d, rev %d",'
              '"city":"Lisbon","amount":%d.25,"qty":%d,"createdon":"2021-%02d-%02dT10:%02d:00Z",'
              '"versionnumber":%d}\n' % (10**9 + j, rid(i), i, j, i % 100000, j, 1 + i % 12,
                                          1 + i % 28, i % 60, 10**9 + j))
        return
    for i in range(n):
        w('{"@odata.etag":"W/\\"%d\\"","benchid":"%s","name":"Account number %08d, \\"Ltd\\"",'
          '"city":"Springfield %d","amount":%d.75,"qty":%d,"createdon":"2021-%02d-%02dT10:%02d:00Z",'
          '"versionnumber":%d}\n' % (i + 1, rid(i), i, i % 977, i % 100000, i % 1000, 1 + i % 12,
                                      1 + i % 28, i % 60, i + 1))

main()
