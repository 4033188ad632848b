#!/usr/bin/env node
// pq_read.mjs - read one Parquet file with one of the pinned independent
// readers and print {"types": {...}, "rows": [[...]...]} as JSON, values
// made comparable across readers:
//   strings as strings; int32 as numbers; int64, timestamps (microseconds
//   since 1970-01-01 UTC) and decimals as exact decimal text ("-1.50");
//   dates as days since 1970-01-01; doubles as numbers; booleans; null.
// "types" is what the reader made of each column (its own type names).
//
//   node pq_read.mjs duckdb|arrow|hyparquet FILE.parquet...
//
// With several files, one JSON document per line, in the order given.
//
// hyparquet turns decimals into floats (lossy past 2^53), so it is read
// twice: as it converts (its floats under "approx") and with the decimal
// annotations taken out of the metadata it parsed, for the exact values.
// Exit status: 0, or 1 with the reader's error on stderr.
import fs from 'node:fs';

const [reader, ...files] = process.argv.slice(2);
let file, bytes;
if (!reader || !files.length) {
  process.stderr.write('usage: pq_read.mjs duckdb|arrow|hyparquet FILE\n');
  process.exit(2);
}

// unscaled bigint -> decimal text with `scale` fraction digits
function decText(v, scale) {
  const neg = v < 0n;
  let s = (neg ? -v : v).toString().padStart(scale + 1, '0');
  if (scale) s = s.slice(0, s.length - scale) + '.' + s.slice(s.length - scale);
  return (neg ? '-' : '') + s;
}

// big-endian two's complement bytes -> bigint
function beInt(b) {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  if (b.length && b[0] & 0x80) v -= 1n << BigInt(8 * b.length);
  return v;
}

async function duckdb() {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const src = `read_parquet('${file.replace(/'/g, "''")}')`;
  const desc = (await con.runAndReadAll(`DESCRIBE SELECT * FROM ${src}`)).getRowObjectsJson();
  const types = {};
  const sel = desc.map(({ column_name: n, column_type: t }) => {
    types[n] = t;
    const q = '"' + n.replace(/"/g, '""') + '"';
    if (t.startsWith('TIMESTAMP')) return `epoch_us(${q})::VARCHAR`;
    if (t === 'DATE') return `(${q} - DATE '1970-01-01')`;
    if (t === 'BIGINT' || t.startsWith('DECIMAL')) return `${q}::VARCHAR`;
    return q;
  });
  const r = await con.runAndReadAll(`SELECT ${sel.join(', ')} FROM ${src}`);
  return { types, rows: r.getRowsJson() };
}

async function arrow() {
  const wasm = await import('parquet-wasm');
  const { tableFromIPC } = await import('apache-arrow');
  const t = tableFromIPC(wasm.readParquet(new Uint8Array(bytes)).intoIPCStream());
  const types = {};
  const cols = t.schema.fields.map((f, i) => {
    types[f.name] = String(f.type);
    const out = [];
    const vec = t.getChildAt(i);
    let base = 0;
    for (const d of vec.data) {
      for (let j = 0; j < d.length; j++) {
        if (!d.getValid(j)) { out.push(null); continue; }
        const k = d.offset + j;
        const ty = f.type;
        if (ty.typeId === 7) { // Decimal: 128-bit little-endian words
          const w = d.values.subarray(4 * k, 4 * k + 4);
          let v = 0n;
          for (let x = 3; x >= 0; x--) v = (v << 32n) | BigInt(w[x]);
          if (w[3] & 0x80000000) v -= 1n << 128n;
          out.push(decText(v, ty.scale));
        } else if (ty.typeId === 10 || ty.typeId === 8) { // Timestamp, Date
          out.push(ty.typeId === 10 ? d.values[k].toString() : d.values[k]);
        } else if (ty.typeId === 2 && ty.bitWidth === 64) {
          out.push(d.values[k].toString());
        } else {
          out.push(vec.get(base + j));
        }
      }
      base += d.length;
    }
    return out;
  });
  const rows = [];
  for (let r = 0; r < t.numRows; r++) rows.push(cols.map((c) => c[r]));
  return { types, rows };
}

async function hyparquet() {
  const { parquetMetadata, parquetReadObjects } = await import('hyparquet');
  const { compressors } = await import('hyparquet-compressors');
  const file_ = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const parsers = {
    timestampFromMicroseconds: (m) => m.toString(),
    dateFromDays: (d) => d,
  };
  const meta = parquetMetadata(file_);
  const leaves = meta.schema.slice(1);
  const types = {};
  for (const e of leaves) {
    types[e.name] = [e.type, e.converted_type ?? null, e.logical_type?.type ?? null].join('/');
  }
  const conv = await parquetReadObjects({ file: file_, compressors, parsers, metadata: meta });
  // the decimals again, as their raw unscaled values
  const raw = structuredClone(meta);
  for (const e of raw.schema) {
    if (e.converted_type === 'DECIMAL') { delete e.converted_type; delete e.logical_type; }
  }
  const exact = await parquetReadObjects({ file: file_, compressors, parsers, metadata: raw });
  const rows = conv.map((o, r) => leaves.map((e) => {
    const v = o[e.name];
    if (v === null || v === undefined) return null;
    if (e.converted_type === 'DECIMAL') {
      const x = exact[r][e.name];
      const u = x instanceof Uint8Array ? beInt(x) : BigInt(x);
      return { approx: v, exact: decText(u, e.scale || 0) };
    }
    if (typeof v === 'bigint') return v.toString();
    return v;
  }));
  return { types, rows };
}

try {
  const f = { duckdb, arrow, hyparquet }[reader];
  if (!f) throw new Error('unknown reader ' + reader);
  for (file of files) {  // one process for many files: node starts once
    bytes = fs.readFileSync(file);
    const out = await f();
    process.stdout.write(JSON.stringify(out) + '\n');
  }
} catch (e) {
  process.stderr.write(reader + ': ' + String(e && e.message || e).split('\n')[0] + '\n');
  process.exit(1);
}
