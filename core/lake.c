/*
 * lake.c - applying changes: the change log, row state, and the live
 * partition files.
 *
 * Why this shape:
 *  - Every change is logged (sequence number, table, row id, operation,
 *    versionnumber, sink time, the record) and materialised in the same
 *    write transaction, so the log and the lake never disagree.
 *  - A live partition is a list of segments of about 64 KiB of CSV
 *    records, each one content chunk. The row state of an in-place row
 *    says which segment holds it, so an update or delete re-encodes just
 *    that segment: the cost of a change is proportional to the segments
 *    it touches, not to the partition. Creates and append-only changes go
 *    to the tail segment.
 *  - Within a batch, the changes to each partition are gathered first
 *    (per row: the newest record, or a delete) and flushed at commit, so a
 *    segment touched by many changes of one batch is rewritten once.
 *  - Records are re-encoded from the bytes already in the segment: the
 *    first field of every record is the row's Id, which is how a segment's
 *    records are matched to the batch's changes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jrow.h"
#include "lake_i.h"
#include "lakeview/csv.h"
#include "lakeview/err.h"
#include "tree_i.h"

#define ARENA_MAX ((size_t)2 << 30)
#define ROWSTATE_DELETED 0x1

/* Row state: 20 bytes a row, because there is one per row of every
 * table (a million-row table keeps 20 MB of it). */
struct rowstate {
	int64_t version;
	uint32_t sink_created;  /* unix seconds (good until 2106) */
	uint32_t part;          /* partition key yyyymm */
	uint32_t seg : 31;      /* segment holding the row (in place) */
	uint32_t flags : 1;     /* ROWSTATE_DELETED */
} __attribute__((packed));

struct op {
	uint8_t id[16];
	uint64_t old_seg;      /* segment holding the row before the batch */
	size_t off, len;       /* record in the arena */
	struct rowstate st;    /* state to write when the row is placed */
	uint8_t del;
	uint8_t done;
};

struct part {
	uint32_t key;
	struct op *ops;
	size_t nops, cap;
	uint32_t *slots;       /* id -> op index + 1 (in-place tables) */
	size_t nslots;
};

struct lv_batch {
	struct lv_store *st;
	struct lv_wtxn w;
	struct lv_table t;
	struct lv_jrow row;
	struct lv_buf rec;     /* scratch for one record */
	struct lv_buf arena;   /* records of the batch */
	struct part *parts;
	size_t nparts;
	uint64_t dir_ino;
	struct lv_batch_stats stats;
	int resync;            /* full resync: remember which rows were seen */
	int schema_changed;    /* rewrite model.json and option sets too */
	int schema_force;      /* ... even when no record carries it */
	struct lv_table old;   /* the schema before lv_batch_adopt_schema() */
	int64_t sink_t[2];     /* two most recent Sink times, formatted */
	char sink_s[2][32];
	size_t sink_n[2];
};

/* --- small helpers -------------------------------------------------------- */

void lv_part_name(uint32_t key, char *buf, size_t len)
{
	if (key % 100)
		snprintf(buf, len, "%04u-%02u", key / 100, key % 100);
	else
		snprintf(buf, len, "%04u", key / 100);
}

static int guid_parse(const char *s, size_t n, uint8_t id[16])
{
	static const int dash[] = { 8, 13, 18, 23 };
	int j = 0;

	if (n != 36)
		return -1;
	for (int i = 0; i < 4; i++)
		if (s[dash[i]] != '-')
			return -1;
	for (size_t i = 0; i < 36; i++) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23)
			continue;
		hi = s[i];
		lo = s[i + 1];
		hi = hi >= '0' && hi <= '9' ? hi - '0' : (hi | 32) >= 'a' && (hi | 32) <= 'f' ? (hi | 32) - 'a' + 10 : -1;
		lo = lo >= '0' && lo <= '9' ? lo - '0' : (lo | 32) >= 'a' && (lo | 32) <= 'f' ? (lo | 32) - 'a' + 10 : -1;
		if (hi < 0 || lo < 0)
			return -1;
		id[j++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	return 0;
}

static void guid_format(const uint8_t id[16], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	int j = 0;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[j++] = '-';
		out[j++] = hex[id[i] >> 4];
		out[j++] = hex[id[i] & 15];
	}
	out[36] = '\0';
}

static uint64_t id_hash(const uint8_t id[16])
{
	uint64_t a, b;

	memcpy(&a, id, 8);
	memcpy(&b, id + 8, 8);
	a ^= b * 0x9e3779b97f4a7c15ull;
	return a ^ (a >> 29);
}

/* --- row state -------------------------------------------------------------- */

static void row_key(unsigned char k[20], uint32_t table, const uint8_t id[16])
{
	lv_be32(k, table);
	memcpy(k + 4, id, 16);
}

static int row_get(struct lv_batch *b, const uint8_t id[16], struct rowstate *s)
{
	unsigned char kb[20];
	MDB_val k = { 20, kb }, d;
	int rc;

	row_key(kb, b->t.id, id);
	rc = mdb_get(b->w.txn, b->st->rows, &k, &d);
	if (rc)
		return rc;
	if (d.mv_size != sizeof(*s))
		return -EIO;
	memcpy(s, d.mv_data, sizeof(*s));
	return 0;
}

static int row_put(struct lv_batch *b, const uint8_t id[16], const struct rowstate *s)
{
	unsigned char kb[20];
	MDB_val k = { 20, kb }, d = { sizeof(*s), (void *)s };

	row_key(kb, b->t.id, id);
	return mdb_put(b->w.txn, b->st->rows, &k, &d, 0);
}

/*
 * During a full resync the rows seen are marked under the table id with
 * its top bit set, in the same transactions as the pages that carry them,
 * so a resync interrupted by a crash resumes with its marks intact.
 */
#define SEEN_BIT 0x80000000u

static int seen_put(struct lv_batch *b, const uint8_t id[16])
{
	unsigned char kb[20];
	MDB_val k = { 20, kb }, d = { 0, NULL };

	row_key(kb, b->t.id | SEEN_BIT, id);
	return mdb_put(b->w.txn, b->st->rows, &k, &d, 0);
}

/* --- encoding --------------------------------------------------------------- */

static int bad(const struct lv_column *c, const char *want)
{
	return lv_err_set(LV_EBADVALUE, "column '%s' (%s): expected %s", c->name,
			  c->attrtype, want);
}

static char *put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

static int encode_date(struct lv_buf *o, const struct lv_column *c,
		       const struct lv_jfield *f)
{
	int64_t secs;
	uint32_t ticks;
	int y, mo, d, h, mi, s, date_only;
	char *p, *start;

	if (f->kind != LV_J_STR || lv_time_parse(f->val, f->vlen, &secs, &ticks, &date_only))
		return bad(c, "an ISO 8601 date");
	lv_time_civil(secs, &y, &mo, &d, &h, &mi, &s);
	if (y < 1 || y > 9999)
		return bad(c, "a date in years 1-9999");
	p = lv_buf_grow(o, 40);
	if (!p)
		return -ENOMEM;
	start = p;
	*p++ = '"';
	p = put2(put2(p, y / 100), y % 100);
	*p++ = '-';
	p = put2(p, mo);
	*p++ = '-';
	p = put2(p, d);
	*p++ = 'T';
	p = put2(p, h);
	*p++ = ':';
	p = put2(p, mi);
	*p++ = ':';
	p = put2(p, s);
	if (c->fmt == LV_F_DATE_OFF7) {
		*p++ = '.';
		for (int i = 6; i >= 0; i--) {
			p[i] = (char)('0' + ticks % 10);
			ticks /= 10;
		}
		p += 7;
		memcpy(p, "+00:00", 6);
		p += 6;
	} else {
		*p++ = 'Z';
	}
	*p++ = '"';
	o->len += (size_t)(p - start);
	o->p[o->len] = '\0';
	return 0;
}

static int encode_value(struct lv_buf *o, const struct lv_column *c,
			const struct lv_jfield *f)
{
	uint8_t id[16];
	char g[37];

	if (f->kind == LV_J_NULL)
		return 0;
	if (f->vlen > LV_VALUE_MAX)
		return lv_err_set(LV_ETOOBIG, "column '%s': value of %zu bytes passes the %u MiB limit",
				  c->name, f->vlen, LV_VALUE_MAX >> 20);
	switch (c->type) {
	case LV_T_GUID:
		if (f->kind != LV_J_STR || guid_parse(f->val, f->vlen, id))
			return bad(c, "a GUID");
		guid_format(id, g);
		return lv_buf_add(o, g, 36);
	case LV_T_STRING:
		if (f->kind != LV_J_STR)
			return bad(c, "a string");
		return lv_csv_quoted(o, f->val, f->vlen);
	case LV_T_INT64:
		if (f->kind != LV_J_NUM || memchr(f->val, '.', f->vlen) ||
		    memchr(f->val, 'e', f->vlen) || memchr(f->val, 'E', f->vlen) ||
		    f->vlen > 20)
			return bad(c, "an integer");
		return lv_buf_add(o, f->val, f->vlen);
	case LV_T_DECIMAL:
	case LV_T_DOUBLE:
		if (f->kind != LV_J_NUM)
			return bad(c, "a number");
		return lv_buf_add(o, f->val, f->vlen);
	case LV_T_BOOLEAN:
		if (f->kind == LV_J_TRUE)
			return lv_buf_adds(o, "True");
		if (f->kind == LV_J_FALSE)
			return lv_buf_adds(o, "False");
		return bad(c, "true or false");
	case LV_T_DATETIME:
	case LV_T_DATETIMEOFFSET:
		return encode_date(o, c, f);
	}
	return bad(c, "a known type");
}

/* Sink times repeat for every row of a batch: format each once. */
static int add_sink(struct lv_batch *b, struct lv_buf *o, int64_t t)
{
	struct lv_buf tmp;
	int i;

	for (i = 0; i < 2; i++)
		if (b->sink_n[i] && b->sink_t[i] == t)
			return lv_buf_add(o, b->sink_s[i], b->sink_n[i]);
	i = b->sink_n[0] ? 1 : 0;
	if (b->sink_n[0] && b->sink_n[1])
		i = b->sink_t[0] < b->sink_t[1] ? 0 : 1;  /* replace the older */
	lv_buf_init(&tmp, sizeof(b->sink_s[0]) - 1);
	if (lv_buf_addc(&tmp, '"') || lv_time_sink(&tmp, t) || lv_buf_addc(&tmp, '"')) {
		lv_buf_free(&tmp);
		return -ENOMEM;
	}
	memcpy(b->sink_s[i], tmp.p, tmp.len);
	b->sink_n[i] = tmp.len;
	b->sink_t[i] = t;
	lv_buf_free(&tmp);
	return lv_buf_add(o, b->sink_s[i], b->sink_n[i]);
}

static int encode(struct lv_batch *b, const struct lv_jrow *row,
		  const uint8_t id[16], int64_t sink_c, int64_t sink_m, int del)
{
	struct lv_buf *o = &b->rec;
	char g[37];
	int rc = 0;

	lv_buf_reset(o);
	guid_format(id, g);
	for (size_t i = 0; !rc && i < b->t.ncols; i++) {
		const struct lv_column *c = &b->t.cols[i];
		const struct lv_jfield *f;

		if (i)
			rc = lv_buf_addc(o, ',');
		if (rc)
			break;
		if (c->flags & LV_COL_ID)
			rc = lv_buf_add(o, g, 36);
		else if (c->flags & (LV_COL_SINK_C | LV_COL_SINK_M))
			rc = add_sink(b, o, (c->flags & LV_COL_SINK_C) ? sink_c : sink_m); else if (c->flags & LV_COL_ISDELETE) {
			if (del)
				rc = lv_buf_adds(o, "True");
		} else if (c->flags & LV_COL_REMOVED) {
			continue;
		} else if (del) {
			if (strcmp(c->name, b->t.idattr) == 0)
				rc = lv_buf_add(o, g, 36);
		} else {
			f = lv_jrow_get(row, c->prop, strlen(c->prop), c->hash);
			if (f)
				rc = encode_value(o, c, f);
		}
	}
	if (!rc)
		rc = lv_buf_addc(o, '\n');
	if (rc == LV_ETOOBIG && !*lv_err_detail())
		lv_err_set(rc, "record larger than %zu bytes", o->max);
	return rc;
}

/* --- pending changes per partition ------------------------------------------ */

static struct part *part_get(struct lv_batch *b, uint32_t key)
{
	struct part *p;

	for (size_t i = 0; i < b->nparts; i++)
		if (b->parts[i].key == key)
			return &b->parts[i];
	p = realloc(b->parts, (b->nparts + 1) * sizeof(*p));
	if (!p)
		return NULL;
	b->parts = p;
	p = &b->parts[b->nparts++];
	memset(p, 0, sizeof(*p));
	p->key = key;
	return p;
}

static int part_rehash(struct part *p, size_t nslots)
{
	uint32_t *s = calloc(nslots, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < p->nops; i++) {
		size_t at = id_hash(p->ops[i].id) & (nslots - 1);

		while (s[at])
			at = (at + 1) & (nslots - 1);
		s[at] = (uint32_t)i + 1;
	}
	free(p->slots);
	p->slots = s;
	p->nslots = nslots;
	return 0;
}

static struct op *part_find(struct part *p, const uint8_t id[16])
{
	size_t at;

	if (!p->nslots)
		return NULL;
	at = id_hash(id) & (p->nslots - 1);
	while (p->slots[at]) {
		struct op *o = &p->ops[p->slots[at] - 1];

		if (memcmp(o->id, id, 16) == 0)
			return o;
		at = (at + 1) & (p->nslots - 1);
	}
	return NULL;
}

/* New op at the end of p (indexed by id when @index). */
static struct op *part_add(struct part *p, const uint8_t id[16], int index)
{
	struct op *o;

	if (p->nops == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;

		o = realloc(p->ops, cap * sizeof(*o));
		if (!o)
			return NULL;
		p->ops = o;
		p->cap = cap;
	}
	o = &p->ops[p->nops++];
	memset(o, 0, sizeof(*o));
	memcpy(o->id, id, 16);
	if (index) {
		if ((p->nops) * 2 > p->nslots) {
			if (part_rehash(p, p->nslots ? p->nslots * 2 : 512))
				return NULL;
		} else {
			size_t at = id_hash(id) & (p->nslots - 1);

			while (p->slots[at])
				at = (at + 1) & (p->nslots - 1);
			p->slots[at] = (uint32_t)p->nops;
		}
	}
	return o;
}

static int stash(struct lv_batch *b, struct op *o)
{
	int rc;

	o->off = b->arena.len;
	o->len = b->rec.len;
	rc = lv_buf_add(&b->arena, b->rec.p, b->rec.len);
	if (rc == LV_ETOOBIG)
		rc = lv_err_set(rc, "batch larger than %zu bytes; commit smaller batches",
				b->arena.max);
	return rc;
}

/* --- the batch ---------------------------------------------------------------- */

int lv_batch_begin(struct lv_store *st, const char *table, struct lv_batch **out)
{
	struct lv_batch *b;
	int rc;

	*out = NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->st = st;
	lv_jrow_init(&b->row);
	lv_buf_init(&b->rec, LV_VALUE_MAX * 2);
	lv_buf_init(&b->arena, ARENA_MAX);
	rc = lv_wtxn_begin(st, &b->w);
	if (rc)
		goto out;
	rc = lv_table_load(b->w.txn, st, table, &b->t);
	if (rc)
		goto out;
	rc = lv_lake_table_dir(&b->w, &b->t, &b->dir_ino);
	if (rc)
		goto out;
	*out = b;
	return 0;
out:
	lv_batch_abort(b);
	return rc;
}

struct lv_table *lv_batch_table(struct lv_batch *b)
{
	return &b->t;
}

static int copy_schema(struct lv_table *dst, const struct lv_table *src)
{
	struct lv_column *cols = malloc((src->ncols ? src->ncols : 1) * sizeof(*cols));
	char *opts = src->options_json ? strdup(src->options_json) : NULL;

	if (!cols || (src->options_json && !opts)) {
		free(cols);
		free(opts);
		return -ENOMEM;
	}
	memcpy(cols, src->cols, src->ncols * sizeof(*cols));
	free(dst->cols);
	free(dst->options_json);
	dst->cols = cols;
	dst->ncols = src->ncols;
	dst->options_json = opts;
	snprintf(dst->entityset, sizeof(dst->entityset), "%s", src->entityset);
	lv_table_index(dst);
	return 0;
}

int lv_batch_adopt_schema(struct lv_batch *b, const struct lv_table *t, int force)
{
	int rc = copy_schema(&b->old, &b->t);

	if (!rc)
		rc = copy_schema(&b->t, t);
	if (rc)
		return rc;
	b->schema_changed = 1;
	b->schema_force = force;
	return 0;
}

void lv_batch_set_resync(struct lv_batch *b, int on)
{
	b->resync = on;
}

int lv_batch_clear_seen(struct lv_batch *b)
{
	return lv_rows_drop(&b->w, b->t.id | SEEN_BIT);
}

size_t lv_batch_pending(const struct lv_batch *b)
{
	return b->arena.len;
}

int lv_batch_delete_unseen(struct lv_batch *b, uint64_t *deleted)
{
	unsigned char kb[20];
	MDB_val k = { 4, kb }, d;
	MDB_cursor *cur;
	uint8_t (*ids)[16] = NULL;
	size_t n = 0, cap = 0;
	int rc;

	*deleted = 0;
	rc = mdb_cursor_open(b->w.txn, b->st->rows, &cur);
	if (rc)
		return rc;
	/* 1. live rows without a mark */
	lv_be32(kb, b->t.id);
	rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
	while (rc == 0 && k.mv_size == 20 && lv_get_be32(k.mv_data) == b->t.id) {
		struct rowstate rs;
		unsigned char sk[20];
		MDB_val skv = { 20, sk }, sd;

		memcpy(&rs, d.mv_data, sizeof(rs));
		memcpy(sk, k.mv_data, 20);
		lv_be32(sk, b->t.id | SEEN_BIT);
		if (!(rs.flags & ROWSTATE_DELETED) &&
		    mdb_get(b->w.txn, b->st->rows, &skv, &sd) == MDB_NOTFOUND) {
			if (n == cap) {
				void *p = realloc(ids, (cap ? cap * 2 : 256) * 16);

				if (!p) {
					rc = -ENOMEM;
					break;
				}
				ids = p;
				cap = cap ? cap * 2 : 256;
			}
			memcpy(ids[n++], (unsigned char *)k.mv_data + 4, 16);
		}
		rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
	/* 2. drop the marks */
	if (!rc) {
		lv_be32(kb, b->t.id | SEEN_BIT);
		k.mv_size = 4;
		k.mv_data = kb;
		rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
		while (rc == 0 && k.mv_size == 20 &&
		       lv_get_be32(k.mv_data) == (b->t.id | SEEN_BIT)) {
			rc = mdb_cursor_del(cur, 0);
			if (!rc)
				rc = mdb_cursor_get(cur, &k, &d, MDB_GET_CURRENT);
		}
		if (rc == MDB_NOTFOUND || rc == EINVAL)
			rc = 0;
	}
	mdb_cursor_close(cur);
	/* 3. delete them, as if the source had sent tombstones */
	b->resync = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		char item[128], g[37];
		int applied;

		guid_format(ids[i], g);
		snprintf(item, sizeof(item),
			 "{\"@odata.context\":\"#$deletedEntity\",\"id\":\"%s\"}", g);
		rc = lv_batch_item(b, item, strlen(item), &applied);
		*deleted += (uint64_t)applied;
	}
	free(ids);
	return rc;
}

static void batch_free(struct lv_batch *b)
{
	for (size_t i = 0; i < b->nparts; i++) {
		free(b->parts[i].ops);
		free(b->parts[i].slots);
	}
	free(b->parts);
	lv_jrow_free(&b->row);
	lv_buf_free(&b->rec);
	lv_buf_free(&b->arena);
	lv_table_free(&b->t);
	lv_table_free(&b->old);
	free(b);
}

void lv_batch_abort(struct lv_batch *b)
{
	if (!b)
		return;
	lv_wtxn_abort(&b->w);
	batch_free(b);
}

static int64_t etag_version(const struct lv_jfield *f)
{
	const char *p, *e;
	int64_t v = 0;

	if (!f || f->kind != LV_J_STR)
		return 0;
	p = memchr(f->val, '"', f->vlen);
	if (!p)
		return 0;
	e = f->val + f->vlen;
	for (p++; p < e && *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (*p - '0');
	return v;
}

/*
 * A change record: table id (BE32), 'U' or 'D', versionnumber, sink time,
 * SinkCreatedOn (u32 seconds), row id (16 bytes), then the CSV record
 * after its Id and Sink fields (those are the header's).
 */
#define LOG_HDR 41

static int log_change(struct lv_batch *b, const uint8_t id[16], int del,
		      int64_t version, uint32_t sink_created)
{
	unsigned char kb[8], hdr[LOG_HDR];
	MDB_val k = { 8, kb }, d;
	const char *body = b->rec.p;
	size_t bodylen = b->rec.len;
	char *val;
	int rc;

	/* Id and the Sink dates are in the header: keep the rest of the record */
	for (int commas = 0; commas < 3 && bodylen; bodylen--)
		if (*body++ == ',')
			commas++;

	b->w.seq++;
	if (!b->stats.first_seq)
		b->stats.first_seq = b->w.seq;
	b->stats.last_seq = b->w.seq;
	lv_be64(kb, b->w.seq);
	lv_be32(hdr, b->t.id);
	hdr[4] = del ? 'D' : 'U';
	memcpy(hdr + 5, &version, 8);
	memcpy(hdr + 13, &b->w.now, 8);
	memcpy(hdr + 21, &sink_created, 4);
	memcpy(hdr + 25, id, 16);
	d.mv_size = sizeof(hdr) + bodylen;
	d.mv_data = NULL;
	rc = mdb_put(b->w.txn, b->st->log, &k, &d, MDB_APPEND | MDB_RESERVE);
	if (rc)
		return rc;
	val = d.mv_data;
	memcpy(val, hdr, sizeof(hdr));
	memcpy(val + sizeof(hdr), body, bodylen);
	return 0;
}

static uint32_t part_of(struct lv_batch *b, const struct lv_jrow *row,
			const struct rowstate *old, int *err)
{
	int y, mo, d, h, mi, s, date_only;
	int64_t secs;
	uint32_t ticks;

	*err = 0;
	if (row && b->t.icreatedon >= 0) {
		const struct lv_column *c = &b->t.cols[b->t.icreatedon];
		const struct lv_jfield *f = lv_jrow_get(row, c->prop, strlen(c->prop), c->hash);

		if (f && f->kind == LV_J_STR &&
		    lv_time_parse(f->val, f->vlen, &secs, &ticks, &date_only) == 0) {
			lv_time_civil(secs, &y, &mo, &d, &h, &mi, &s);
			if (y < 1 || y > 9999) {
				*err = 1;
				return 0;
			}
			return (uint32_t)y * 100 + (b->t.by_month ? (uint32_t)mo : 0);
		}
	}
	if (old)
		return old->part;
	lv_time_civil(b->w.now, &y, &mo, &d, &h, &mi, &s);
	return (uint32_t)y * 100 + (b->t.by_month ? (uint32_t)mo : 0);
}

int lv_batch_item(struct lv_batch *b, const char *json, size_t len, int *applied)
{
	const struct lv_jfield *f, *ctx;
	struct rowstate old, now;
	struct part *p;
	struct op *o;
	uint8_t id[16];
	int64_t version = 0;
	int del, have, rc, perr;
	uint32_t key;

	*applied = 0;
	lv_err_clear();
	rc = lv_jrow_parse(&b->row, json, len);
	if (rc)
		return rc;
	ctx = lv_jrow_get(&b->row, "@odata.context", 14, lv_jrow_hash("@odata.context", 14));
	del = ctx && ctx->kind == LV_J_STR && ctx->vlen >= 14 &&
	      memcmp(ctx->val + ctx->vlen - 14, "$deletedEntity", 14) == 0;
	if (del) {
		f = lv_jrow_get(&b->row, "id", 2, lv_jrow_hash("id", 2));
		if (!f)
			return lv_err_set(LV_EBADVALUE, "deleted entry without \"id\"");
	} else {
		f = lv_jrow_get(&b->row, b->t.idattr, strlen(b->t.idattr),
				lv_jrow_hash(b->t.idattr, strlen(b->t.idattr)));
		if (!f)
			return lv_err_set(LV_EBADVALUE, "row without its id \"%s\"", b->t.idattr);
	}
	if (f->kind != LV_J_STR || guid_parse(f->val, f->vlen, id))
		return lv_err_set(LV_EBADVALUE, "row id \"%s\" is not a GUID",
				  del ? "id" : b->t.idattr);
	if (!del) {
		const struct lv_jfield *vf = NULL;

		if (b->t.iversion >= 0) {
			const struct lv_column *c = &b->t.cols[b->t.iversion];

			vf = lv_jrow_get(&b->row, c->prop, strlen(c->prop), c->hash);
		}
		if (vf && vf->kind == LV_J_NUM && vf->vlen < 20 && !memchr(vf->val, '.', vf->vlen))
			version = strtoll(vf->val, NULL, 10);
		else
			version = etag_version(lv_jrow_get(&b->row, "@odata.etag", 11,
							   lv_jrow_hash("@odata.etag", 11)));
	}
	if (b->resync && !del) {
		rc = seen_put(b, id);
		if (rc)
			return rc;
	}
	rc = row_get(b, id, &old);
	if (rc && rc != MDB_NOTFOUND)
		return rc;
	have = rc == 0;
	/* idempotence: a version we hold already, or an older one, is skipped */
	if (have && (old.flags & ROWSTATE_DELETED) && (del || (version && version <= old.version)))
		goto skip;
	if (have && !(old.flags & ROWSTATE_DELETED) && !del && version &&
	    version <= old.version)
		goto skip;
	if (!have && del && !b->t.append_only)
		goto skip;  /* never seen, nothing to remove */

	key = part_of(b, del ? NULL : &b->row, have ? &old : NULL, &perr);
	if (perr)
		return lv_err_set(LV_EBADVALUE, "column 'createdon': year outside 1-9999");
	memset(&now, 0, sizeof(now));
	now.version = del ? (have ? old.version : 0) : version;
	now.sink_created = (have && !(old.flags & ROWSTATE_DELETED) && !b->t.append_only) ?
			   old.sink_created : (uint32_t)b->w.now;
	now.part = key;
	now.flags = del ? ROWSTATE_DELETED : 0;
	rc = encode(b, &b->row, id, b->t.append_only ? b->w.now : (int64_t)now.sink_created,
		    b->w.now, del);
	if (rc)
		return rc;
	rc = log_change(b, id, del, version, (uint32_t)now.sink_created);
	if (rc)
		return rc;

	if (b->t.append_only) {
		p = part_get(b, key);
		o = p ? part_add(p, id, 0) : NULL;
		if (!o)
			return -ENOMEM;
		rc = stash(b, o);
		if (rc)
			return rc;
		b->t.count++;
		rc = row_put(b, id, &now);
		goto done;
	}

	/* in place: the row leaves its old partition when it moves or goes */
	if (have && !(old.flags & ROWSTATE_DELETED) && (del || old.part != key)) {
		p = part_get(b, old.part);
		if (!p)
			return -ENOMEM;
		o = part_find(p, id);
		if (!o) {
			o = part_add(p, id, 1);
			if (!o)
				return -ENOMEM;
			o->old_seg = old.seg;
		}
		o->del = 1;
	}
	if (del) {
		b->t.count--;
		now.seg = 0;
		rc = row_put(b, id, &now);
		goto done;
	}
	p = part_get(b, key);
	if (!p)
		return -ENOMEM;
	o = part_find(p, id);
	if (!o) {
		o = part_add(p, id, 1);
		if (!o)
			return -ENOMEM;
		o->old_seg = (have && !(old.flags & ROWSTATE_DELETED) && old.part == key) ? old.seg : 0;
	}
	o->del = 0;
	rc = stash(b, o);
	if (rc)
		return rc;
	if (!have || (old.flags & ROWSTATE_DELETED))
		b->t.count++;
	now.seg = (uint32_t)o->old_seg & 0x7fffffff;
	o->st = now;
	/* written now, so later items of this batch see the row; a row not in
	 * a segment yet (seg 0) gets its segment when the batch is flushed */
	rc = row_put(b, id, &now);
done:
	if (rc)
		return rc;
	*applied = 1;
	b->stats.applied++;
	if (del)
		b->stats.deletes++;
	else
		b->stats.upserts++;
	b->t.last_change = b->w.now;
	return 0;
skip:
	b->stats.skipped++;
	return 0;
}

/* --- flushing partitions --------------------------------------------------- */

/*
 * Copy a record kept from an old segment, widened to the table's current
 * column count: a column added since it was written is appended empty.
 * In-place partitions thus reach the new width segment by segment, at the
 * next write of each (append-only files keep their narrower records).
 */
static int copy_record(struct lv_buf *out, const char *rec, size_t len,
		       size_t ncols)
{
	size_t fields = 1;
	int inq = 0, rc;

	for (size_t i = 0; i < len; i++) {
		if (rec[i] == '"')
			inq = !inq;
		else if (rec[i] == ',' && !inq)
			fields++;
	}
	if (fields >= ncols || len == 0 || rec[len - 1] != '\n')
		return lv_buf_add(out, rec, len);
	rc = lv_buf_add(out, rec, len - 1);
	for (; !rc && fields < ncols; fields++)
		rc = lv_buf_addc(out, ',');
	return rc ? rc : lv_buf_addc(out, '\n');
}

static int cmp_seg(const void *a, const void *b)
{
	const struct op *x = *(struct op *const *)a, *y = *(struct op *const *)b;

	return x->old_seg < y->old_seg ? -1 : x->old_seg > y->old_seg;
}

/* Write @len bytes of records as segment @seg at index @at (replacing it
 * when @replace), splitting at record boundaries when they pass twice the
 * target. Rows that land in a new segment get their row state updated. */
static int place(struct lv_batch *b, struct lv_fedit *e, size_t at, int replace,
		 uint64_t seg, const char *data, size_t len, size_t *next_at)
{
	size_t off = 0;
	int first = 1, rc = 0;

	while (off < len) {
		size_t take = len - off, cut = 0;
		uint64_t chunk, s = seg;

		if (take > 2 * LV_CHUNK_TARGET) {
			while (cut < take && cut < LV_CHUNK_TARGET)
				cut += lv_csv_record_len(data + off + cut, take - cut);
			take = cut;
		}
		if (!first) {
			s = b->w.next_seg++;
			/* the rows of a split-off segment move: update their state */
			for (size_t r = 0; r < take;) {
				size_t rl = lv_csv_record_len(data + off + r, take - r);
				uint8_t id[16];
				struct rowstate st;

				if (guid_parse(data + off + r, 36 <= rl ? 36 : rl, id) == 0 &&
				    row_get(b, id, &st) == 0) {
					st.seg = (uint32_t)s & 0x7fffffff;
					rc = row_put(b, id, &st);
					if (rc)
						return rc;
				}
				r += rl;
			}
		}
		rc = lv_chunk_new(&b->w, e, data + off, take, &chunk);
		if (rc)
			return rc;
		b->stats.bytes_encoded += take;
		if (first && replace)
			rc = lv_fedit_replace(e, at, chunk, take);
		else
			rc = lv_fedit_insert(e, at, s, chunk, take);
		if (rc)
			return rc;
		at++;
		off += take;
		first = 0;
	}
	if (first && replace)
		rc = lv_fedit_remove(e, at);  /* nothing left: drop the segment */
	*next_at = at;
	return rc;
}

static int flush_rewrites(struct lv_batch *b, struct part *p, struct lv_fedit *e)
{
	struct op **v = NULL;
	struct lv_buf out;
	size_t nv = 0, i = 0;
	int rc = 0;

	lv_buf_init(&out, ARENA_MAX);
	v = malloc((p->nops ? p->nops : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t k = 0; k < p->nops; k++)
		if (p->ops[k].old_seg)
			v[nv++] = &p->ops[k];
	qsort(v, nv, sizeof(*v), cmp_seg);
	while (i < nv) {
		uint64_t seg = v[i]->old_seg;
		size_t at, j, next;
		const char *old;
		size_t oldlen;

		for (at = 0; at < e->n && e->e[at].seg != seg; at++)
			;
		for (j = i; j < nv && v[j]->old_seg == seg; j++)
			;
		if (at == e->n) {
			/* the segment is gone (store damage): re-add rows at the tail */
			for (; i < j; i++)
				v[i]->old_seg = 0;
			continue;
		}
		rc = lv_chunk_bytes(&b->w, e->e[at].chunk, (const void **)&old, &oldlen);
		if (rc)
			goto out;
		lv_buf_reset(&out);
		for (size_t r = 0; r < oldlen;) {
			size_t rl = lv_csv_record_len(old + r, oldlen - r);
			uint8_t id[16];
			struct op *o = NULL;

			if (rl >= 36 && guid_parse(old + r, 36, id) == 0)
				o = part_find(p, id);
			if (o && o->old_seg == seg) {
				o->done = 1;
				if (!o->del)
					rc = lv_buf_add(&out, b->arena.p + o->off, o->len);
			} else {
				rc = copy_record(&out, old + r, rl, b->t.ncols);
			}
			if (rc)
				goto out;
			r += rl;
		}
		/* rows the segment did not hold after all go to the tail */
		for (; i < j; i++)
			if (!v[i]->done)
				v[i]->old_seg = 0;
		rc = place(b, e, at, 1, seg, out.p, out.len, &next);
		if (rc)
			goto out;
	}
out:
	lv_buf_free(&out);
	free(v);
	return rc;
}

static int flush_appends(struct lv_batch *b, struct part *p, struct lv_fedit *e)
{
	struct lv_buf tail;
	uint64_t seg;
	size_t at;
	int replace = 0, rc = 0;

	lv_buf_init(&tail, ARENA_MAX);
	if (e->n && e->e[e->n - 1].seg && lv_fedit_len(e, e->n - 1) < LV_CHUNK_TARGET) {
		const void *old;
		size_t oldlen;

		at = e->n - 1;
		seg = e->e[at].seg;
		rc = lv_chunk_bytes(&b->w, e->e[at].chunk, &old, &oldlen);
		for (size_t r = 0; !rc && r < oldlen;) {
			size_t rl = lv_csv_record_len((const char *)old + r, oldlen - r);

			rc = b->t.append_only ? lv_buf_add(&tail, (const char *)old + r, rl) :
			     copy_record(&tail, (const char *)old + r, rl, b->t.ncols);
			r += rl;
		}
		replace = 1;
	} else {
		at = e->n;
		seg = b->w.next_seg++;
	}
	for (size_t k = 0; !rc && k < p->nops; k++) {
		struct op *o = &p->ops[k];

		if (o->del || o->old_seg || o->done)
			continue;
		if (tail.len >= LV_CHUNK_TARGET) {
			uint64_t chunk;

			rc = lv_chunk_new(&b->w, e, tail.p, tail.len, &chunk);
			if (!rc)
				rc = replace ? lv_fedit_replace(e, at, chunk, tail.len) :
					       lv_fedit_insert(e, at, seg, chunk, tail.len);
			if (rc)
				break;
			b->stats.bytes_encoded += tail.len;
			lv_buf_reset(&tail);
			at++;
			replace = 0;
			seg = b->w.next_seg++;
		}
		rc = lv_buf_add(&tail, b->arena.p + o->off, o->len);
		if (!rc && !b->t.append_only) {
			o->st.seg = (uint32_t)seg & 0x7fffffff;
			rc = row_put(b, o->id, &o->st);
		}
		o->done = 1;
	}
	if (!rc && tail.len) {
		uint64_t chunk;

		rc = lv_chunk_new(&b->w, e, tail.p, tail.len, &chunk);
		if (!rc)
			rc = replace ? lv_fedit_replace(e, at, chunk, tail.len) :
				       lv_fedit_insert(e, at, seg, chunk, tail.len);
		b->stats.bytes_encoded += tail.len;
	}
	lv_buf_free(&tail);
	return rc;
}

static int flush_part(struct lv_batch *b, struct part *p, int *created)
{
	struct lv_fedit e;
	struct lv_node n;
	char name[32];
	uint64_t ino;
	int rc;

	lv_part_name(p->key, name, sizeof(name) - 4);
	memcpy(name + strlen(name), ".csv", 5);
	rc = lv_tree_lookup(&b->w, b->dir_ino, name, &n);
	if (rc == -ENOENT)
		*created = 1;
	else if (rc)
		return rc;
	rc = lv_tree_mkfile(&b->w, b->dir_ino, name, 0, &ino);
	if (rc)
		return rc;
	rc = lv_fedit_begin(&b->w, ino, &e);
	if (rc)
		goto out;
	if (!b->t.append_only) {
		rc = flush_rewrites(b, p, &e);
		if (rc)
			goto out;
	}
	rc = flush_appends(b, p, &e);
	if (rc)
		goto out;
	rc = lv_fedit_commit(&b->w, &e, b->stats.last_seq);
out:
	lv_fedit_free(&e);
	return rc;
}

int lv_batch_commit(struct lv_batch *b, struct lv_batch_stats *stats)
{
	int rc = 0, created = 0;

	for (size_t i = 0; !rc && i < b->nparts; i++)
		rc = flush_part(b, &b->parts[i], &created);
	if (rc)
		goto out;
	b->w.bytes_encoded += b->stats.bytes_encoded;
	if (b->schema_changed && !b->stats.applied && !b->schema_force) {
		/* no record carries the new schema yet: it waits for one */
		rc = copy_schema(&b->t, &b->old);
		if (rc)
			goto out;
		b->schema_changed = 0;
	}
	b->stats.schema_committed = b->schema_changed;
	rc = lv_table_save(&b->w, &b->t);
	if (!rc)
		rc = lv_lake_table_manifest(&b->w, &b->t);
	if (!rc && b->schema_changed)
		rc = lv_lake_root_model(&b->w);
	if (!rc && b->schema_changed)
		rc = lv_lake_optionsets(&b->w);
	if (rc)
		goto out;
	if (stats)
		*stats = b->stats;
	rc = lv_wtxn_commit(&b->w);
	batch_free(b);
	return rc;
out:
	lv_batch_abort(b);
	return rc;
}
