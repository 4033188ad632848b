#!/usr/bin/env node
// duck.mjs - run SQL in DuckDB (the pinned @duckdb/node-api) and print the
// last statement's rows as one JSON array of objects on stdout.
//
//   node duck.mjs FILE.sql      or      node duck.mjs - < FILE.sql
//
// The SQL runs as written: the tests hand it exactly what a user would type.
// Exit status: 0, or 1 with DuckDB's error on stderr (first line only).
import fs from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const src = process.argv[2];
if (!src) {
  process.stderr.write('usage: duck.mjs FILE.sql | -\n');
  process.exit(2);
}
const sql = fs.readFileSync(src === '-' ? 0 : src, 'utf8');
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
try {
  const reader = await con.runAndReadAll(sql);
  process.stdout.write(JSON.stringify(reader.getRowObjectsJson()) + '\n');
} catch (e) {
  process.stderr.write('duckdb: ' + String(e.message).split('\n')[0] + '\n');
  process.exit(1);
}
