/*
 * partition.c - which partition a row lives in, the changes a batch holds
 * for each partition, and writing them into the partition's segments.
 *
 * Why this shape:
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

#include "batch_i.h"
#include "encode_i.h"
#include "fedit_i.h"
#include "lakeview/codec.h"
#include "lakeview/csv.h"
#include "lakeview/err.h"
#include "lakeview/time.h"
#include "model_i.h"
#include "partition_i.h"
#include "rowstate_i.h"
#include "tree_i.h"

void lv_part_name(uint32_t key, char *buf, size_t len)
{
	if (key % 100)
		snprintf(buf, len, "%04u-%02u", key / 100, key % 100);
	else
		snprintf(buf, len, "%04u", key / 100);
}

/* hex digit value + 1, 0 for anything else */
/* --- pending changes per partition ------------------------------------------ */

struct part *lv_part_get(struct lv_batch *b, uint32_t key)
{
	struct part *p;

	for (size_t i = 0; i < b->nparts; i++)
		if (b->parts[i].key == key)
			return &b->parts[i];
	if (b->nparts == b->capparts) {
		size_t cap = b->capparts ? 2 * b->capparts : 4;

		p = realloc(b->parts, cap * sizeof(*p));
		if (!p)
			return NULL;
		memset(p + b->capparts, 0, (cap - b->capparts) * sizeof(*p));
		b->parts = p;
		b->capparts = cap;
	}
	p = &b->parts[b->nparts++];
	p->key = key;
	p->nops = 0;
	return p;
}

/* New op for row @id at the end of p; @ref (may be NULL) says where. */
struct op *lv_part_add(struct lv_batch *b, struct part *p, const uint8_t id[16],
			   struct opref *ref)
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
	o = &p->ops[p->nops];
	memset(o, 0, sizeof(*o));
	memcpy(o->id, id, 16);
	if (ref) {
		ref->part = (uint32_t)(p - b->parts) + 1;
		ref->op = (uint32_t)p->nops;
	}
	p->nops++;
	return o;
}

/* The op of a row (its refs @orig, @cur) in partition @key, or NULL. */
struct op *lv_part_op(struct lv_batch *b, const struct opref *orig,
			const struct opref *cur, uint32_t key)
{
	if (orig->part && b->parts[orig->part - 1].key == key)
		return &b->parts[orig->part - 1].ops[orig->op];
	if (cur->part && b->parts[cur->part - 1].key == key)
		return &b->parts[cur->part - 1].ops[cur->op];
	return NULL;
}

/* Keep the record lv_encode_row() wrote for op @o (it is in the arena already). */
void lv_part_stash(struct lv_batch *b, struct op *o)
{
	o->off = (uint32_t)b->rec_off;
	o->len = (uint32_t)b->rec_len;
}

/* Forget the record lv_encode_row() wrote (it went to the log only). */
void lv_part_unstash(struct lv_batch *b)
{
	b->arena.len = b->rec_off;
}

uint32_t lv_part_of(struct lv_batch *b, const struct lv_jrow *row,
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

/* Apply one parsed item. */
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
			/* whole records, at most the target unless one is larger */
			while (cut < take) {
				size_t rl = lv_csv_record_len(data + off + cut, take - cut);

				if (cut && cut + rl > LV_CHUNK_TARGET)
					break;
				cut += rl;
			}
			take = cut;
		}
		if (!first) {
			s = b->w.next_seg++;
			/* the rows of a split-off segment move: update their state */
			for (size_t r = 0; r < take;) {
				size_t rl = lv_csv_record_len(data + off + r, take - r);
				uint8_t id[16];
				struct rowstate st;

				if (lv_guid_parse(data + off + r, 36 <= rl ? 36 : rl, id) == 0 &&
				    lv_rowstate_get(b, id, lv_id_hash(id), &st, NULL) == 0) {
					st.seg = (uint32_t)s & 0x7fffffff;
					rc = lv_rowstate_put(b, id, &st);
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

			if (rl >= 36 && lv_guid_parse(old + r, 36, id) == 0) {
				struct rsent *re = lv_rsmap_find(&b->rs, id);

				o = re ? lv_part_op(b, &re->orig, &re->cur, p->key) : NULL;
			}
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

static int appended(const struct op *o)
{
	return !(o->del || o->old_seg || o->done);
}

/*
 * Append the batch's new records to the tail segment, and past it to new
 * segments of at most LV_CHUNK_TARGET bytes (a record larger than that
 * gets a segment of its own). The tail is reopened only when the first new
 * record fits in it; nothing is rewritten when there is nothing to append.
 */
static int flush_appends(struct lv_batch *b, struct part *p, struct lv_fedit *e)
{
	struct lv_buf tail;
	uint64_t seg;
	size_t at, k = 0;
	int replace = 0, rc = 0;

	while (k < p->nops && !appended(&p->ops[k]))
		k++;
	if (k == p->nops)
		return 0;
	lv_buf_init(&tail, ARENA_MAX);
	if (e->n && e->e[e->n - 1].seg &&
	    lv_fedit_len(e, e->n - 1) + p->ops[k].len <= LV_CHUNK_TARGET) {
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
	for (; !rc && k < p->nops; k++) {
		struct op *o = &p->ops[k];

		if (!appended(o))
			continue;
		if (tail.len && tail.len + o->len > LV_CHUNK_TARGET) {
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
			/* the op of a row's current place is the one that holds
			 * its newest state: its segment is now known */
			o->st.seg = (uint32_t)seg & 0x7fffffff;
			b->rs.e[o->rsi].st = o->st;
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

int lv_part_flush(struct lv_batch *b, struct part *p, int *created)
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

