#!/usr/bin/env node
// delta_ckpt.mjs - read a Delta checkpoint (a Parquet file of nested
// actions) with one of the pinned independent readers and print its rows
// as a JSON array of actions, made comparable across readers: each row is
// {"<kind>": {...}} with the one non-null column, null members dropped,
// maps as objects, lists as arrays, 64-bit integers as numbers.
//
//   node delta_ckpt.mjs duckdb|arrow|hyparquet FILE.checkpoint.parquet
//
// Exit status: 0, or 1 with the reader's error on stderr.
import fs from 'node:fs';

const [reader, file] = process.argv.slice(2);
const bytes = fs.readFileSync(file);

function plain(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Map) return plain(Object.fromEntries(v));
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === 'object') {
    if (typeof v.toJSON === 'function' && !(v.constructor === Object)) return plain(v.toJSON());
    if (typeof v.toArray === 'function') return plain(Array.from(v.toArray()));
    const o = {};
    for (const [k, x] of Object.entries(v)) {
      const p = plain(x);
      if (p !== null) o[k] = p;
    }
    return o;
  }
  return v;
}

// a MAP as a list of {key, value} entries (arrow, DuckDB) -> an object
function maps(v) {
  if (Array.isArray(v)) {
    if (v.length && v.every((e) => e && typeof e === 'object' && 'key' in e && Object.keys(e).every((k) => k === 'key' || k === 'value')))
      return Object.fromEntries(v.map((e) => [e.key, e.value ?? null]));
    return v.map(maps);
  }
  if (v && typeof v === 'object') {
    const o = {};
    for (const [k, x] of Object.entries(v)) o[k] = maps(x);
    return o;
  }
  return v;
}

async function duckdb() {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const src = `read_parquet('${file.replace(/'/g, "''")}')`;
  const r = await con.runAndReadAll(`SELECT to_json(t)::VARCHAR AS j FROM ${src} t`);
  return r.getRowObjectsJson().map((o) => JSON.parse(o.j));
}

async function arrow() {
  const wasm = await import('parquet-wasm');
  const { tableFromIPC } = await import('apache-arrow');
  const t = tableFromIPC(wasm.readParquet(new Uint8Array(bytes)).intoIPCStream());
  const rows = [];
  for (let i = 0; i < t.numRows; i++) rows.push(t.get(i).toJSON());
  return rows;
}

async function hyparquet() {
  const { parquetReadObjects } = await import('hyparquet');
  const { compressors } = await import('hyparquet-compressors');
  const f = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return parquetReadObjects({ file: f, compressors });
}

try {
  const f = { duckdb, arrow, hyparquet }[reader];
  if (!f) throw new Error('unknown reader ' + reader);
  const rows = (await f()).map((r) => maps(plain(r)));
  process.stdout.write(JSON.stringify(rows) + '\n');
} catch (e) {
  process.stderr.write(reader + ': ' + String(e && e.message || e).split('\n')[0] + '\n');
  process.exit(1);
}
