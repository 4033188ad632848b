/*
 * changelog.c - the change log: every applied change, written by the
 * batch in the commit that applies it, and read back by lv_log_each().
 *
 * Why this shape: every change is logged (sequence number, table, row id,
 * operation, versionnumber, sink time, the record) in the same write
 * transaction that materialises it, so the log and the lake never
 * disagree. Changes are written in groups of about 64 KiB (16 LMDB
 * overflow pages) under the first sequence number of the group, with a
 * compact header (see "The log's encoding" below), so the log costs about
 * half the CSV it records; the reader rebuilds each change's exact CSV
 * record. Writer and reader are in one file so that the encoding has one
 * home.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_i.h"
#include "changelog_i.h"
#include "lakeview/changelog.h"
#include "lakeview/codec.h"
#include "lakeview/csv.h"
#include "lakeview/err.h"
#include "lakeview/time.h"

#define LOG_GROUP_HDR 17

int lv_log_etag_version(const struct lv_jfield *f, int64_t *version)
{
	const char *p, *e, *q;

	*version = 0;
	if (!f || f->kind != LV_J_STR)
		return 0;
	p = memchr(f->val, '"', f->vlen);
	if (!p)
		return 0;
	e = f->val + f->vlen;
	for (q = ++p; q < e && *q >= '0' && *q <= '9'; q++)
		;
	if (q == p)
		return 0;
	if (lv_int_parse(p, (size_t)(q - p), 64, version))
		return lv_err_set(LV_EBADVALUE, "@odata.etag %.*s does not hold a version number of at most 19 digits",
				  (int)(f->vlen > 40 ? 40 : f->vlen), f->val);
	return 0;
}

/*
 * The change log. Changes are logged in groups, one LMDB record per group
 * of up to LOG_GROUP_MAX bytes (16 overflow pages of 4 KiB: no page is
 * left half used), keyed by the sequence number of the group's first
 * change (BE64); the group holds consecutive sequence numbers of one
 * table and one commit:
 *
 *   'G'  table id BE32  sink time BE64  count BE32      (LOG_GROUP_HDR)
 *   then per change, in sequence order:
 *   'U' or 'D'  row id (16)  versionnumber  SinkCreatedOn  n  values(n)
 *
 * versionnumber is a zigzag varint, SinkCreatedOn a zigzag varint of
 * seconds relative to the sink time (0 for a row created by this commit),
 * n a varint; the values are the lake's CSV record after its Id and Sink
 * fields, without the newline, with the primary id column written "="
 * (it is the row id) and versionnumber written "~" when it is the
 * header's. No CSV field of ours starts with either unquoted (strings and
 * dates are quoted, the rest are GUIDs, JSON numbers, True/False), so the
 * record reads back exactly: lv_log_each() does that. Stores written
 * before groups hold one record per change (table id BE32 first, so never
 * 'G' first); lv_log_each() skips those.
 */

static size_t put_varint(unsigned char *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (unsigned char)v;
	return n;
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

int lv_log_flush(struct lv_batch *b)
{
	unsigned char kb[8];
	MDB_val k = { 8, kb }, d;
	int rc;

	if (!b->lg_n)
		return 0;
	lv_be32((unsigned char *)b->lg.p + 13, b->lg_n);
	lv_be64(kb, b->lg_first);
	d.mv_size = b->lg.len;
	d.mv_data = b->lg.p;
	rc = mdb_put(b->w.txn, b->st->log, &k, &d, MDB_APPEND);
	lv_buf_reset(&b->lg);
	b->lg_n = 0;
	return rc;
}

/* Is @p/@len the decimal text of @v? */
static int is_decimal(const char *p, size_t len, int64_t v)
{
	char t[24], *e = t + sizeof(t), *q = e;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do {
		*--q = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--q = '-';
	return (size_t)(e - q) == len && memcmp(p, q, len) == 0;
}

int lv_log_change(struct lv_batch *b, const uint8_t id[16], int del,
		      int64_t version, uint32_t sink_created)
{
	const char *rec = b->arena.p + b->rec_off;
	size_t reclen = b->rec_len, skip = 0, end, from, vlen, at;
	size_t cut[2][3], ncut = 0;  /* offset, length, marker */
	unsigned char *p;
	int rc;

	/* Id and the Sink dates are in the header: keep the rest of the record */
	for (int commas = 0; commas < 3 && skip < reclen; skip++)
		if (rec[skip] == ',')
			commas++;
	end = reclen > skip && rec[reclen - 1] == '\n' ? reclen - 1 : reclen;
	/* the fields the header holds become "=" (cut[] in record order) */
	if (b->idf_len == 36 && b->idf_off >= skip) {
		cut[ncut][0] = b->idf_off;
		cut[ncut][1] = b->idf_len;
		cut[ncut++][2] = '=';
	}
	if (!del && b->vf_len && b->vf_off >= skip &&
	    is_decimal(rec + b->vf_off, b->vf_len, version)) {
		cut[ncut][0] = b->vf_off;
		cut[ncut][1] = b->vf_len;
		cut[ncut++][2] = '~';
		if (ncut == 2 && cut[0][0] > cut[1][0]) {
			size_t t[3];

			memcpy(t, cut[0], sizeof(t));
			memcpy(cut[0], cut[1], sizeof(t));
			memcpy(cut[1], t, sizeof(t));
		}
	}
	vlen = end - skip;
	for (size_t i = 0; i < ncut; i++)
		vlen -= cut[i][1] - 1;

	b->w.seq++;
	if (!b->stats.first_seq)
		b->stats.first_seq = b->w.seq;
	b->stats.last_seq = b->w.seq;
	if (b->lg_n && b->lg.len + LOG_REC_MAXHDR + vlen > LOG_GROUP_MAX) {
		rc = lv_log_flush(b);
		if (rc)
			return rc;
	}
	if (!b->lg_n) {
		rc = lv_buf_grow(&b->lg, LOG_GROUP_HDR, (char **)&p);
		if (rc)
			return rc;
		p[0] = 'G';
		lv_be32(p + 1, b->t.id);
		lv_be64(p + 5, (uint64_t)b->w.now);
		lv_be32(p + 13, 0);
		b->lg.len += LOG_GROUP_HDR;
		b->lg_first = b->w.seq;
	}
	rc = lv_buf_grow(&b->lg, LOG_REC_MAXHDR + vlen, (char **)&p);
	if (rc)
		return rc;  /* lg's ceiling holds the largest record */
	at = 0;
	p[at++] = del ? 'D' : 'U';
	memcpy(p + at, id, 16);
	at += 16;
	at += put_varint(p + at, zigzag(version));
	at += put_varint(p + at, zigzag((int64_t)sink_created - b->w.now));
	at += put_varint(p + at, vlen);
	from = skip;
	for (size_t i = 0; i < ncut; i++) {
		memcpy(p + at, rec + from, cut[i][0] - from);
		at += cut[i][0] - from;
		p[at++] = (unsigned char)cut[i][2];
		from = cut[i][0] + cut[i][1];
	}
	memcpy(p + at, rec + from, end - from);
	at += end - from;
	b->lg.len += at;
	b->lg.p[b->lg.len] = '\0';
	b->lg_n++;
	return 0;
}

/* --- reading the change log ------------------------------------------------- */

static int get_varint(const unsigned char **p, const unsigned char *e, uint64_t *v)
{
	uint64_t r = 0;

	for (int shift = 0; shift < 64 && *p < e; shift += 7) {
		unsigned char c = *(*p)++;

		r |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -EIO;
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* The lake record of change @c whose stored values are @v/@n, into @o. */
static int log_record(struct lv_buf *o, const struct lv_change *c,
		      const char *v, size_t n)
{
	char g[37], num[24];
	size_t i = 0;
	int rc;

	lv_guid_format(c->id, g);
	lv_buf_reset(o);
	rc = lv_buf_add(o, g, 36);
	if (!rc)
		rc = lv_buf_adds(o, ",\"");
	if (!rc)
		rc = lv_time_sink(o, c->sink_created);
	if (!rc)
		rc = lv_buf_adds(o, "\",\"");
	if (!rc)
		rc = lv_time_sink(o, c->sink_time);
	if (!rc)
		rc = lv_buf_adds(o, "\"");
	/* field by field: a field that is "=" or "~" is the header's */
	while (!rc && i <= n) {
		size_t start = i;
		int inq = 0;

		while (i < n && (inq || v[i] != ',')) {
			if (v[i] == '"')
				inq = !inq;
			i++;
		}
		rc = lv_buf_addc(o, ',');
		if (rc)
			break;
		if (i - start == 1 && v[start] == '=') {
			rc = lv_buf_add(o, g, 36);
		} else if (i - start == 1 && v[start] == '~') {
			snprintf(num, sizeof(num), "%lld", (long long)c->version);
			rc = lv_buf_adds(o, num);
		} else {
			rc = lv_buf_add(o, v + start, i - start);
		}
		i++;  /* past the comma (or the end) */
	}
	if (!rc)
		rc = lv_buf_addc(o, '\n');
	return rc;
}

int lv_log_each(struct lv_store *st, uint64_t from,
		int (*fn)(void *arg, const struct lv_change *c), void *arg)
{
	unsigned char kb[8];
	MDB_val k = { 8, kb }, d;
	MDB_cursor *cur = NULL;
	MDB_txn *txn;
	struct lv_buf rec;
	int rc;

	lv_buf_init(&rec, 2 * REC_MAX);
	rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
	if (rc)
		return rc;
	rc = mdb_cursor_open(txn, st->log, &cur);
	if (rc)
		goto out;
	/* the group holding @from starts at or before it */
	lv_be64(kb, from);
	rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
	if (rc == 0 && lv_get_be64(k.mv_data) > from)
		rc = mdb_cursor_get(cur, &k, &d, MDB_PREV);
	else if (rc == MDB_NOTFOUND)
		rc = mdb_cursor_get(cur, &k, &d, MDB_LAST);
	if (rc == MDB_NOTFOUND)
		rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST);
	while (rc == 0) {
		const unsigned char *p = d.mv_data, *e = p + d.mv_size;
		struct lv_change c;
		uint32_t count;

		if (k.mv_size != 8 || d.mv_size < LOG_GROUP_HDR || p[0] != 'G')
			goto next;  /* a record of a store from before groups */
		memset(&c, 0, sizeof(c));
		c.seq = lv_get_be64(k.mv_data);
		c.table = lv_get_be32(p + 1);
		c.sink_time = (int64_t)lv_get_be64(p + 5);
		count = lv_get_be32(p + 13);
		p += LOG_GROUP_HDR;
		for (uint32_t i = 0; i < count; i++, c.seq++) {
			uint64_t ver, sc, n;

			if (e - p < 17 || (p[0] != 'U' && p[0] != 'D')) {
				rc = -EIO;
				goto out;
			}
			c.del = p[0] == 'D';
			memcpy(c.id, p + 1, 16);
			p += 17;
			if (get_varint(&p, e, &ver) || get_varint(&p, e, &sc) ||
			    get_varint(&p, e, &n) || n > (size_t)(e - p)) {
				rc = -EIO;
				goto out;
			}
			c.version = unzigzag(ver);
			c.sink_created = c.sink_time + unzigzag(sc);
			if (c.seq >= from) {
				rc = log_record(&rec, &c, (const char *)p, (size_t)n);
				if (rc)
					goto out;
				c.record = rec.p;
				c.record_len = rec.len;
				rc = fn(arg, &c);
				if (rc)
					goto out;
			}
			p += n;
		}
next:
		rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
out:
	if (cur)
		mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	lv_buf_free(&rec);
	return rc;
}

