/*
 * batch.c - applying a batch of changes: the batch begins a write
 * transaction, each item is checked against the row's state, encoded,
 * queued for its partition and logged, and the commit flushes the
 * partitions, the row states and the log together.
 *
 * Why this shape: a batch is the unit of durability. Every change is
 * logged and materialised in the same write transaction, so the log and
 * the lake never disagree, and a crash loses at most the batch in flight.
 * The work of one change is split by noun: rowstate.c (where the row is),
 * encode.c (its record), partition.c (its partition and segments),
 * changelog.c (the log); this file holds the order they run in. Records
 * are encoded once, into the batch's arena, which is where the partition
 * flush and the change log take them from.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_i.h"
#include "changelog_i.h"
#include "encode_i.h"
#include "lakeview/codec.h"
#include "lakeview/err.h"
#include "lakeview/time.h"
#include "model_i.h"
#include "partition_i.h"
#include "rowfilter_i.h"
#include "rowstate_i.h"
#include "tree_i.h"

/* --- the batch ---------------------------------------------------------------- */

/* Index the batch's schema: the primary id column, the length of each
 * column's property name. */
static int index_schema(struct lv_batch *b)
{
	uint16_t *plen = realloc(b->plen, (b->t.ncols ? b->t.ncols : 1) * sizeof(*plen));

	if (!plen)
		return -ENOMEM;
	b->plen = plen;
	b->idattr_len = strlen(b->t.idattr);
	b->h_idattr = lv_jrow_hash(b->t.idattr, b->idattr_len);
	b->h_ctx = lv_jrow_hash("@odata.context", 14);
	b->h_id = lv_jrow_hash("id", 2);
	b->h_etag = lv_jrow_hash("@odata.etag", 11);
	b->iidattr = -1;
	for (size_t i = 0; i < b->t.ncols; i++) {
		plen[i] = (uint16_t)strlen(b->t.cols[i].prop);
		if (strcmp(b->t.cols[i].name, b->t.idattr) == 0 &&
		    !(b->t.cols[i].flags & (LV_COL_ID | LV_COL_SINK_C | LV_COL_SINK_M |
					    LV_COL_ISDELETE | LV_COL_REMOVED)))
			b->iidattr = (int)i;
	}
	return 0;
}

static void batch_destroy(void *p)
{
	struct lv_batch *b = p;

	if (!b)
		return;
	for (size_t i = 0; i < b->capparts; i++)
		free(b->parts[i].ops);
	free(b->parts);
	lv_rsmap_free(&b->rs);
	free(b->plen);
	lv_jrow_free(&b->row);
	lv_buf_free(&b->arena);
	lv_buf_free(&b->lg);
	lv_table_free(&b->t);
	lv_table_free(&b->old);
	free(b);
}

int lv_batch_begin(struct lv_store *st, const char *table, struct lv_batch **out)
{
	struct lv_batch *b;
	int rc;

	*out = NULL;
	/* the last batch's buffers, kept on the store: a large batch fills
	 * tens of MB, and fresh memory costs a page fault per 4 KiB */
	b = st->spare_batch;
	st->spare_batch = NULL;
	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return -ENOMEM;
		lv_jrow_init(&b->row);
		lv_buf_init(&b->arena, ARENA_MAX);
		lv_buf_init(&b->lg, LOG_GROUP_MAX + LOG_REC_MAXHDR + LV_VALUE_MAX * 2);
	}
	b->st = st;
	rc = lv_wtxn_begin(st, &b->w);
	if (rc)
		goto out;
	/* begun while this writer holds the lock: it sees what the write
	 * transaction saw at its start; without one, lv_rowstate_get() reads through
	 * the write transaction */
	if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &b->rtxn))
		b->rtxn = NULL;
	rc = lv_table_load(b->w.txn, st, table, &b->t);
	if (!rc)
		rc = index_schema(b);
	if (!rc)
		rc = lv_rundir_load(b->w.txn, st, b->t.id, &b->rd);
	if (rc)
		goto out;
	b->has_runs = st->has_rowruns;
	b->rowruns = st->rowruns;
	if (!b->rd.n && !b->rd.base_n)
		b->rd.base_n = b->t.count;  /* no directory yet: the base is all */
	lv_rowfilter_attach(b);
	rc = lv_model_table_dir(&b->w, &b->t, &b->dir_ino);
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
	if (!rc)
		rc = index_schema(b);
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

static void end_rtxn(struct lv_batch *b)
{
	if (b->rtxn)
		mdb_txn_abort(b->rtxn);
	b->rtxn = NULL;
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
	/* the scan below reads the base: everything goes there first, and
	 * from here on states are read through the write transaction */
	rc = lv_rowstate_flush(b, 1);
	if (rc)
		return rc;
	end_rtxn(b);
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
		rc = lv_del_prefix(cur, kb, 4, 20);
	}
	mdb_cursor_close(cur);
	/* 3. delete them, as if the source had sent tombstones */
	b->resync = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		char item[128], g[37];
		int applied;

		lv_guid_format(ids[i], g);
		snprintf(item, sizeof(item),
			 "{\"@odata.context\":\"#$deletedEntity\",\"id\":\"%s\"}", g);
		rc = lv_batch_item(b, item, strlen(item), &applied);
		*deleted += (uint64_t)applied;
	}
	free(ids);
	return rc;
}

/* Empty the batch and keep it (its buffers) for the store's next one. */
static void batch_free(struct lv_batch *b)
{
	struct lv_store *st = b->st;
	size_t keep_parts = b->capparts;

	end_rtxn(b);
	lv_table_free(&b->t);
	lv_table_free(&b->old);
	if (st->spare_batch || b->arena.cap > SPARE_MAX) {
		batch_destroy(b);
		return;
	}
	b->nparts = 0;
	b->rs.n = 0;
	if (b->rs.x.slots)
		memset(b->rs.x.slots, 0, b->rs.x.nslots * sizeof(*b->rs.x.slots));
	lv_buf_reset(&b->arena);
	lv_buf_reset(&b->lg);
	b->lg_n = 0;
	{
		/* everything else back to zero, the allocations kept */
		struct lv_batch keep = *b;

		memset(b, 0, sizeof(*b));
		b->parts = keep.parts;
		b->capparts = keep_parts;
		b->rs = keep.rs;
		b->plen = keep.plen;
		b->row = keep.row;
		b->arena = keep.arena;
		b->lg = keep.lg;
	}
	st->spare_batch = b;
	st->spare_batch_free = batch_destroy;
}

void lv_batch_abort(struct lv_batch *b)
{
	if (!b)
		return;
	end_rtxn(b);
	lv_wtxn_abort(&b->w);
	batch_free(b);
}

/* A value of row @idf that cannot be written: the detail names the table
 * and the row, then says what is wrong, on one line. */
static int row_error(struct lv_batch *b, const struct lv_jfield *idf, int rc)
{
	char detail[512];

	snprintf(detail, sizeof(detail), "%s", lv_err_message(rc));
	return lv_err_set(rc, "table %s, row %.*s: %s", b->t.name,
			  (int)(idf->vlen > 36 ? 36 : idf->vlen), idf->val, detail);
}

static int apply(struct lv_batch *b, const struct lv_jrow *row, int *applied)
{
	const struct lv_jfield *f, *ctx;
	struct rowstate old, now;
	struct part *p;
	struct op *o = NULL;
	uint8_t id[16];
	int64_t version = 0;
	struct rsent *e = NULL;
	struct opref orig = { 0, 0 }, cur = { 0, 0 };
	uint64_t h;
	int del, have, rc, perr;
	uint32_t key;

	ctx = lv_jrow_get(row, "@odata.context", 14, b->h_ctx);
	del = ctx && ctx->kind == LV_J_STR && ctx->vlen >= 14 &&
	      memcmp(ctx->val + ctx->vlen - 14, "$deletedEntity", 14) == 0;
	if (del) {
		f = lv_jrow_get(row, "id", 2, b->h_id);
		if (!f)
			return lv_err_set(LV_EBADVALUE, "deleted entry without \"id\"");
	} else {
		f = lv_jrow_get(row, b->t.idattr, b->idattr_len, b->h_idattr);
		if (!f)
			return lv_err_set(LV_EBADVALUE, "row without its id \"%s\"", b->t.idattr);
	}
	if (f->kind != LV_J_STR || lv_guid_parse(f->val, f->vlen, id))
		return lv_err_set(LV_EBADVALUE, "row id \"%s\" is not a GUID",
				  del ? "id" : b->t.idattr);
	h = lv_id_hash(id);
	lv_rowstate_prefetch(b, h);
	if (!del) {
		const struct lv_jfield *vf = NULL;

		if (b->t.iversion >= 0) {
			const struct lv_column *c = &b->t.cols[b->t.iversion];

			vf = lv_jrow_get(row, c->prop, b->plen[b->t.iversion], c->hash);
		}
		if (vf && vf->kind == LV_J_NUM && !memchr(vf->val, '.', vf->vlen)) {
			/* a version clamped to INT64_MAX would make every later
			 * update of the row look stale: out of range is refused */
			if (lv_int_parse(vf->val, vf->vlen, 64, &version) || version < 0)
				rc = lv_err_set(LV_EBADVALUE, "versionnumber %.*s is not a version number (0 to 9223372036854775807)",
						(int)(vf->vlen > 40 ? 40 : vf->vlen), vf->val);
			else
				rc = 0;
		} else {
			rc = lv_log_etag_version(lv_jrow_get(row, "@odata.etag", 11, b->h_etag),
						 &version);
		}
		if (rc)
			return row_error(b, f, rc);
	}
	if (b->resync && !del) {
		rc = lv_rowstate_seen(b, id);
		if (rc)
			return rc;
	}
	rc = lv_rowstate_get(b, id, h, &old, &e);
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

	key = lv_part_of(b, del ? NULL : row, have ? &old : NULL, &perr);
	if (perr)
		return lv_err_set(LV_EBADVALUE, "column 'createdon': year outside 1-9999");
	memset(&now, 0, sizeof(now));
	now.version = del ? (have ? old.version : 0) : version;
	now.sink_created = (have && !(old.flags & ROWSTATE_DELETED) && !b->t.append_only) ?
			   old.sink_created : (uint32_t)b->w.now;
	now.part = key;
	now.flags = del ? ROWSTATE_DELETED : 0;
	rc = lv_encode_row(b, row, id, b->t.append_only ? b->w.now : (int64_t)now.sink_created,
		    b->w.now, del);
	if (rc == LV_EBADVALUE || rc == LV_ETOOBIG)
		return row_error(b, f, rc);
	if (rc)
		return rc;
	rc = lv_log_change(b, id, del, version, (uint32_t)now.sink_created);
	if (rc)
		return rc;

	if (b->t.append_only) {
		p = lv_part_get(b, key);
		o = p ? lv_part_add(b, p, id, NULL) : NULL;
		if (!o)
			return -ENOMEM;
		lv_part_stash(b, o);
		b->t.count++;
		rc = lv_rsmap_put(&b->rs, id, h, e, &now, NULL);
		goto done;
	}

	/* in place: the row's ops (only a row the batch holds has any) */
	if (e) {
		orig = e->orig;
		cur = e->cur;
	}
	/* the row leaves its old partition when it moves or goes */
	if (have && !(old.flags & ROWSTATE_DELETED) && (del || old.part != key)) {
		p = lv_part_get(b, old.part);
		if (!p)
			return -ENOMEM;
		o = lv_part_op(b, &orig, &cur, old.part);
		if (!o) {
			/* old.seg is 0 only for a row placed by this batch,
			 * which has its op already */
			o = lv_part_add(b, p, id, old.seg ? &orig : &cur);
			if (!o)
				return -ENOMEM;
			o->old_seg = old.seg;
		}
		o->del = 1;
	}
	if (del) {
		lv_part_unstash(b);
		b->t.count--;
		now.seg = 0;
		goto put;
	}
	p = lv_part_get(b, key);
	if (!p)
		return -ENOMEM;
	o = lv_part_op(b, &orig, &cur, key);
	if (!o) {
		uint64_t seg = (have && !(old.flags & ROWSTATE_DELETED) && old.part == key) ?
			       old.seg : 0;

		o = lv_part_add(b, p, id, seg ? &orig : &cur);
		if (!o)
			return -ENOMEM;
		o->old_seg = seg;
	}
	o->del = 0;
	lv_part_stash(b, o);
	if (!have || (old.flags & ROWSTATE_DELETED))
		b->t.count++;
	now.seg = (uint32_t)o->old_seg & 0x7fffffff;
	o->st = now;
	/* kept now, so later items of this batch see the row; a row not in a
	 * segment yet (seg 0) gets its segment when the batch is flushed */
put:
	rc = lv_rsmap_put(&b->rs, id, h, e, &now, &e);
	if (!rc) {
		e->orig = orig;
		e->cur = cur;
		if (!del && o)
			o->rsi = (uint32_t)(e - b->rs.e);
	}
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

int lv_batch_item(struct lv_batch *b, const char *json, size_t len, int *applied)
{
	int rc;

	*applied = 0;
	lv_err_clear();
	rc = lv_jrow_parse(&b->row, json, len);
	return rc ? rc : apply(b, &b->row, applied);
}

int lv_batch_apply(struct lv_batch *b, const struct lv_item *it, int *applied)
{
	*applied = 0;
	lv_err_clear();
	if (it->rc)
		return *it->detail ? lv_err_set(it->rc, "%s", it->detail) : it->rc;
	return apply(b, &it->row, applied);
}

int lv_batch_commit(struct lv_batch *b, struct lv_batch_stats *stats)
{
	size_t txnid;
	int rc = 0, created = 0;

	for (size_t i = 0; !rc && i < b->nparts; i++)
		rc = lv_part_flush(b, &b->parts[i], &created);
	if (!rc)
		rc = lv_rowstate_flush(b, 0);
	if (!rc)
		rc = lv_log_flush(b);
	if (rc)
		goto out;
	b->w.bytes_encoded += b->stats.bytes_encoded;
	if (b->schema_changed && !b->stats.applied && !b->schema_force) {
		/* no record carries the new schema yet: it waits for one */
		rc = copy_schema(&b->t, &b->old);
		if (!rc)
			rc = index_schema(b);
		if (rc)
			goto out;
		b->schema_changed = 0;
	}
	b->stats.schema_committed = b->schema_changed;
	rc = lv_table_save(&b->w, &b->t);
	if (!rc)
		rc = lv_model_refresh(&b->w, &b->t, b->schema_changed);
	if (rc)
		goto out;
	if (stats)
		*stats = b->stats;
	end_rtxn(b);
	txnid = mdb_txn_id(b->w.txn);
	rc = lv_wtxn_commit(&b->w);
	if (!rc)
		lv_rowfilter_committed(b, txnid);
	if (!rc && b->made_runs) {
		b->st->rowruns = b->rowruns;
		b->st->has_rowruns = 1;
	}
	batch_free(b);
	return rc;
out:
	lv_batch_abort(b);
	return rc;
}

