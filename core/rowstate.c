/*
 * rowstate.c - where each row is: its state (versionnumber, SinkCreatedOn,
 * partition, segment), 20 bytes a row, committed and in the batch.
 *
 * Why this shape:
 *  - A batch touches the store only to read until it commits: row states
 *    it writes stay in memory (struct rsmap, indexed by id with open
 *    addressing) and go out at commit in key order, as one appended run;
 *    runs are merged into the rows table after RUNS_MAX runs, or sooner
 *    once they hold enough states (see "Where committed row states live").
 *    So the bytes a commit writes grow with what the batch changed, not
 *    with the size of the table: updating the rows table in place wrote
 *    that table again at every batch.
 *  - Lookups (one per change) ask the filter of ids (rowfilter.c) first,
 *    so the rows a large import creates cost no descent of the tree.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_i.h"
#include "lakeview/err.h"
#include "rowfilter_i.h"
#include "rowstate_i.h"

static size_t idx_find(const struct idx *x, const void *base, size_t stride,
		       const uint8_t id[16], uint64_t h)
{
	size_t mask = x->nslots - 1, at;
	uint32_t tag = (uint32_t)(h >> 32);

	if (!x->nslots)
		return IDX_NONE;
	for (at = h & mask; x->slots[at]; at = (at + 1) & mask) {
		uint64_t v = x->slots[at];
		size_t i = (uint32_t)v - 1;

		if ((uint32_t)(v >> 32) == tag &&
		    memcmp((const char *)base + i * stride, id, 16) == 0)
			return i;
	}
	return IDX_NONE;
}

static void idx_set(struct idx *x, uint64_t h, size_t i)
{
	size_t mask = x->nslots - 1, at = h & mask;

	while (x->slots[at])
		at = (at + 1) & mask;
	x->slots[at] = (h >> 32 << 32) | (uint64_t)(i + 1);
}

/* Make room for one more element; @n elements exist (they are re-indexed
 * when the slots grow). */
static int idx_grow(struct idx *x, const void *base, size_t stride, size_t n)
{
	size_t nslots = x->nslots ? x->nslots : 1024;
	uint64_t *old = x->slots;

	if ((n + 1) * 2 <= x->nslots)
		return 0;
	while ((n + 1) * 2 > nslots)
		nslots *= 2;
	x->slots = calloc(nslots, sizeof(*x->slots));
	if (!x->slots) {
		x->slots = old;
		return -ENOMEM;
	}
	x->nslots = nslots;
	free(old);
	for (size_t i = 0; i < n; i++)
		idx_set(x, lv_id_hash((const uint8_t *)base + i * stride), i);
	return 0;
}

/* --- row state -------------------------------------------------------------- */

struct rsent *lv_rsmap_find(struct rsmap *m, const uint8_t id[16])
{
	size_t i = idx_find(&m->x, m->e, sizeof(*m->e), id, lv_id_hash(id));

	return i == IDX_NONE ? NULL : &m->e[i];
}

/* Set the state of row @id (hash @h; @e its entry or NULL when it has
 * none yet); *out (may be NULL) gets the entry. */
int lv_rsmap_put(struct rsmap *m, const uint8_t id[16], uint64_t h,
		  struct rsent *e, const struct rowstate *st, struct rsent **out)
{
	int rc;

	if (e) {
		e->st = *st;
		goto done;
	}
	if (m->n == RSMAP_MAX)
		return lv_err_set(LV_ETOOBIG, "batch changes more than %u rows; commit smaller batches",
				  RSMAP_MAX);
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;

		e = realloc(m->e, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		m->e = e;
		m->cap = cap;
	}
	rc = idx_grow(&m->x, m->e, sizeof(*m->e), m->n);
	if (rc)
		return rc;
	e = &m->e[m->n];
	memset(e, 0, sizeof(*e));
	memcpy(e->id, id, 16);
	e->st = *st;
	idx_set(&m->x, h, m->n++);
done:
	if (out)
		*out = e;
	return 0;
}

void lv_rsmap_free(struct rsmap *m)
{
	free(m->e);
	free(m->x.slots);
	memset(m, 0, sizeof(*m));
}

/*
 * Where committed row states live: the base (the rows table, keyed table
 * id + row id, updated in place) and up to RUNS_MAX runs (the rowruns
 * table, keyed run + table id + row id). A run is the row states one batch
 * wrote, appended in key order behind everything the rowruns table holds:
 * dense pages, written once. Updating the base in place instead touches a
 * random leaf per row: a batch of 100,000 rows into a table of a million
 * copies (copy on write) and writes every leaf of it, some 75 MB, each
 * time. Runs are merged into the base (in key order, the newest state of a
 * row winning) when there are RUNS_MAX of them, or when they hold more
 * than RUNS_MIN states and half as many as the base, so the base is
 * rewritten about once per doubling of the table, or per RUNS_MAX
 * batches, not per batch. Filters (below) say which run holds a row, so
 * more runs cost a lookup little.
 *
 * A state is looked up in the batch, then in the runs, newest first, then
 * in the base. The run directory of a table (struct rundir) is kept in the
 * meta table under "rowruns/<table id>". A store made before the rowruns
 * table existed gets it at its first batch.
 */

static void rundir_key(char *k, size_t len, uint32_t table)
{
	snprintf(k, len, "rowruns/%u", table);
}

/* The table's run directory (empty when it has none). */
int lv_rundir_load(MDB_txn *txn, struct lv_store *st, uint32_t table,
		       struct rundir *rd)
{
	char kb[32];
	MDB_val k, d;
	const unsigned char *p;
	int rc;

	memset(rd, 0, sizeof(*rd));
	rundir_key(kb, sizeof(kb), table);
	k.mv_size = strlen(kb);
	k.mv_data = kb;
	rc = mdb_get(txn, st->meta, &k, &d);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return rc;
	p = d.mv_data;
	if (d.mv_size < 12)
		return -EIO;
	rd->base_n = lv_get_be64(p);
	rd->n = lv_get_be32(p + 8);
	if (rd->n > RUNS_MAX || d.mv_size != 12 + 16 * (size_t)rd->n)
		return -EIO;
	for (uint32_t i = 0; i < rd->n; i++) {
		rd->r[i].run = lv_get_be64(p + 12 + 16 * i);
		rd->r[i].count = lv_get_be64(p + 20 + 16 * i);
	}
	return 0;
}

static int rundir_save(struct lv_wtxn *w, uint32_t table, const struct rundir *rd)
{
	char kb[32];
	unsigned char vb[RUNDIR_MAX];
	MDB_val k, d = { 12 + 16 * (size_t)rd->n, vb };

	rundir_key(kb, sizeof(kb), table);
	k.mv_size = strlen(kb);
	k.mv_data = kb;
	lv_be64(vb, rd->base_n);
	lv_be32(vb + 8, rd->n);
	for (uint32_t i = 0; i < rd->n; i++) {
		lv_be64(vb + 12 + 16 * i, rd->r[i].run);
		lv_be64(vb + 20 + 16 * i, rd->r[i].count);
	}
	return mdb_put(w->txn, w->st->meta, &k, &d, 0);
}

static const uint8_t zero_id[16];

/* Delete every key of @ksize bytes that starts with @prefix (@plen bytes). */
int lv_del_prefix(MDB_cursor *cur, const unsigned char *prefix, size_t plen,
		      size_t ksize)
{
	MDB_val k = { plen, (void *)prefix }, d;
	int rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);

	while (rc == 0 && k.mv_size == ksize && memcmp(k.mv_data, prefix, plen) == 0) {
		rc = mdb_cursor_del(cur, 0);
		if (!rc)
			rc = mdb_cursor_get(cur, &k, &d, MDB_GET_CURRENT);
	}
	return rc == MDB_NOTFOUND || rc == EINVAL ? 0 : rc;
}

void lv_rowstate_prefetch(const struct lv_batch *b, uint64_t h)
{
	if (b->rs.x.nslots)
		__builtin_prefetch(&b->rs.x.slots[h & (b->rs.x.nslots - 1)]);
	if (b->rf) {
		__builtin_prefetch(lv_bloom_block(&b->rf->base, h));
		for (uint32_t r = 0; r < b->rf->nruns; r++)
			__builtin_prefetch(lv_bloom_block(&b->rf->runs[r], h));
	}
}

int lv_rowstate_get(struct lv_batch *b, const uint8_t id[16], uint64_t h,
		   struct rowstate *s, struct rsent **in_batch)
{
	unsigned char kb[20];
	MDB_val k = { 20, kb }, d;
	size_t i = idx_find(&b->rs.x, b->rs.e, sizeof(*b->rs.e), id, h);
	int rc;

	if (in_batch)
		*in_batch = i == IDX_NONE ? NULL : &b->rs.e[i];
	if (i != IDX_NONE) {
		*s = b->rs.e[i].st;
		return 0;
	}
	if (!b->rf && b->rf_try && ++b->lookups > b->t.count / 32)
		lv_rowfilter_build(b);
	for (uint32_t r = b->rd.n; r > 0; r--) {
		unsigned char rk[RUNKEY];
		MDB_val rkv = { RUNKEY, rk };

		if (b->rf && !lv_bloom_maybe(&b->rf->runs[r - 1], h))
			continue;
		lv_run_key(rk, b->rd.r[r - 1].run, b->t.id, id);
		rc = mdb_get(b->rtxn ? b->rtxn : b->w.txn, b->rowruns, &rkv, &d);
		if (rc == 0)
			goto found;
		if (rc != MDB_NOTFOUND)
			return rc;
	}
	if (b->rf && !lv_bloom_maybe(&b->rf->base, h))
		return MDB_NOTFOUND;
	lv_row_key(kb, b->t.id, id);
	rc = mdb_get(b->rtxn ? b->rtxn : b->w.txn, b->st->rows, &k, &d);
found:
	if (rc)
		return rc;
	if (d.mv_size != sizeof(*s))
		return -EIO;
	memcpy(s, d.mv_data, sizeof(*s));
	return 0;
}

/* The state is kept in the batch; lv_rowstate_flush() writes it. */
int lv_rowstate_put(struct lv_batch *b, const uint8_t id[16], const struct rowstate *s)
{
	uint64_t h = lv_id_hash(id);
	size_t i = idx_find(&b->rs.x, b->rs.e, sizeof(*b->rs.e), id, h);

	return lv_rsmap_put(&b->rs, id, h, i == IDX_NONE ? NULL : &b->rs.e[i], s, NULL);
}

struct sortkey {
	uint64_t k;    /* the id's first 8 bytes, big-endian: its sort order */
	uint64_t i;    /* element index */
};

/* Sort @n keys (LSD radix, a byte a pass, passes that change nothing
 * skipped); @tmp holds n keys. */
static void radix_sort(struct sortkey *v, struct sortkey *tmp, size_t n)
{
	for (int shift = 0; shift < 64; shift += 8) {
		size_t count[256] = { 0 }, pos = 0;

		for (size_t i = 0; i < n; i++)
			count[(v[i].k >> shift) & 0xff]++;
		if (count[(v[0].k >> shift) & 0xff] == n)
			continue;
		for (int d = 0; d < 256; d++) {
			size_t c = count[d];

			count[d] = pos;
			pos += c;
		}
		for (size_t i = 0; i < n; i++)
			tmp[count[(v[i].k >> shift) & 0xff]++] = v[i];
		memcpy(v, tmp, n * sizeof(*v));
	}
}

/* The batch's row states in key order: an array of indexes into rs.e
 * (malloc'd, n entries), or NULL with -ENOMEM. */
static struct sortkey *rs_sorted(struct rsmap *m)
{
	struct sortkey *v = malloc(2 * (m->n ? m->n : 1) * sizeof(*v));

	if (!v)
		return NULL;
	for (size_t i = 0; i < m->n; i++) {
		v[i].k = lv_get_be64(m->e[i].id);
		v[i].i = i;
	}
	radix_sort(v, v + m->n, m->n);
	/* ids sharing their first 8 bytes: order them by the rest */
	for (size_t i = 1; i < m->n; i++)
		for (size_t j = i; j > 0 && v[j - 1].k == v[j].k &&
		     memcmp(m->e[v[j - 1].i].id, m->e[v[j].i].id, 16) > 0; j--) {
			struct sortkey t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v;
}

/*
 * Put states into the base, in key order (puts in order touch each leaf
 * once and descend from the root only when they leave it). Appended while
 * the table's keys are the last of the rows table (dense pages).
 */
struct baseput {
	MDB_cursor *cur;
	unsigned flags;
};

static int base_put(struct lv_batch *b, struct baseput *bp, const uint8_t id[16],
		    const void *st)
{
	unsigned char kb[20];
	MDB_val k = { 20, kb }, d = { sizeof(struct rowstate), (void *)st };
	int rc;

	lv_row_key(kb, b->t.id, id);
	rc = mdb_cursor_put(bp->cur, &k, &d, bp->flags);
	if (rc == MDB_KEYEXIST && bp->flags) {
		bp->flags = 0;  /* not past the last key: put in place from here on */
		rc = mdb_cursor_put(bp->cur, &k, &d, 0);
	}
	return rc;
}

/* A run being merged: its cursor and current entry. */
struct runcur {
	MDB_cursor *cur;
	uint64_t run;
	int live;
	uint8_t id[16];
	struct rowstate st;
};

static int runcur_next(struct lv_batch *b, struct runcur *rc_, MDB_cursor_op op)
{
	unsigned char rk[RUNKEY];
	MDB_val k = { RUNKEY, rk }, d;
	int rc;

	if (op == MDB_SET_RANGE)
		lv_run_key(rk, rc_->run, b->t.id, zero_id);
	rc = mdb_cursor_get(rc_->cur, &k, &d, op);
	rc_->live = rc == 0 && k.mv_size == RUNKEY && lv_get_be64(k.mv_data) == rc_->run &&
		    lv_get_be32((unsigned char *)k.mv_data + 8) == b->t.id;
	if (rc == MDB_NOTFOUND)
		rc = 0;
	if (rc_->live) {
		if (d.mv_size != sizeof(rc_->st))
			return -EIO;
		memcpy(rc_->id, (unsigned char *)k.mv_data + 12, 16);
		memcpy(&rc_->st, d.mv_data, sizeof(rc_->st));
	}
	return rc;
}

/* Delete the entries of the runs in @rd of table @table. */
static int runs_delete(MDB_txn *txn, MDB_dbi dbi, uint32_t table,
		       const struct rundir *rd)
{
	MDB_stat ms;
	uint64_t total = 0;
	MDB_cursor *cur;
	int rc;

	for (uint32_t i = 0; i < rd->n; i++)
		total += rd->r[i].count;
	rc = mdb_stat(txn, dbi, &ms);
	if (rc)
		return rc;
	if (ms.ms_entries == total)
		return mdb_drop(txn, dbi, 0);  /* they are all it holds */
	rc = mdb_cursor_open(txn, dbi, &cur);
	if (rc)
		return rc;
	for (uint32_t i = 0; !rc && i < rd->n; i++) {
		unsigned char rk[RUNKEY];

		lv_run_key(rk, rd->r[i].run, table, zero_id);
		rc = lv_del_prefix(cur, rk, 12, RUNKEY);  /* run + table */
	}
	mdb_cursor_close(cur);
	return rc;
}

int lv_rowruns_drop(struct lv_wtxn *w, uint32_t table)
{
	struct rundir rd;
	char kb[32];
	MDB_val k;
	int rc;

	if (!w->st->has_rowruns)
		return 0;
	rc = lv_rundir_load(w->txn, w->st, table, &rd);
	if (!rc)
		rc = runs_delete(w->txn, w->st->rowruns, table, &rd);
	if (rc)
		return rc;
	rundir_key(kb, sizeof(kb), table);
	k.mv_size = strlen(kb);
	k.mv_data = kb;
	rc = mdb_del(w->txn, w->st->meta, &k, NULL);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/*
 * Merge the table's runs, and the batch's states in @v (NULL: none), into
 * the base in key order; the newest state of a row wins. The runs are
 * deleted and the directory emptied (the caller saves it).
 */
static int runs_merge(struct lv_batch *b, const struct sortkey *v)
{
	struct runcur rcs[RUNS_MAX];
	struct baseput bp = { NULL, MDB_APPEND };
	size_t vi = 0, nv = v ? b->rs.n : 0;
	uint32_t nr = b->rd.n;
	uint64_t merged = 0;
	int rc;

	memset(rcs, 0, sizeof(rcs));
	rc = mdb_cursor_open(b->w.txn, b->st->rows, &bp.cur);
	for (uint32_t i = 0; !rc && i < nr; i++) {
		rcs[i].run = b->rd.r[i].run;
		rc = mdb_cursor_open(b->w.txn, b->rowruns, &rcs[i].cur);
		if (!rc)
			rc = runcur_next(b, &rcs[i], MDB_SET_RANGE);
	}
	while (!rc) {
		const uint8_t *min = vi < nv ? b->rs.e[v[vi].i].id : NULL;
		const void *st = vi < nv ? &b->rs.e[v[vi].i].st : NULL;
		uint8_t id[16];

		/* the smallest id; of equal ones the newest: the batch, then
		 * the runs from the newest */
		for (uint32_t i = nr; i > 0; i--)
			if (rcs[i - 1].live && (!min || memcmp(rcs[i - 1].id, min, 16) < 0)) {
				min = rcs[i - 1].id;
				st = &rcs[i - 1].st;
			}
		if (!min)
			break;
		memcpy(id, min, 16);
		rc = base_put(b, &bp, id, st);
		merged++;
		if (vi < nv && memcmp(b->rs.e[v[vi].i].id, id, 16) == 0)
			vi++;
		for (uint32_t i = 0; !rc && i < nr; i++)
			if (rcs[i].live && memcmp(rcs[i].id, id, 16) == 0)
				rc = runcur_next(b, &rcs[i], MDB_NEXT);
	}
	for (uint32_t i = 0; i < nr; i++)
		if (rcs[i].cur)
			mdb_cursor_close(rcs[i].cur);
	if (bp.cur)
		mdb_cursor_close(bp.cur);
	if (!rc && nr)
		rc = runs_delete(b->w.txn, b->rowruns, b->t.id, &b->rd);
	if (rc)
		return rc;
	/* the levels changed: the filters no longer say where a row is */
	if (b->st->rowfilter)
		((struct rowfilter *)b->st->rowfilter)->txnid = 0;
	b->rf = NULL;
	b->rf_try = 0;
	b->rd.n = 0;
	b->rd.base_n += merged;
	return 0;
}

/* Append the batch's states (@v, in key order) to the rowruns table as a
 * new run of the table. */
static int run_append(struct lv_batch *b, const struct sortkey *v)
{
	uint64_t run = ++b->w.next_run;
	MDB_cursor *cur;
	int rc;

	rc = mdb_cursor_open(b->w.txn, b->rowruns, &cur);
	for (size_t i = 0; !rc && i < b->rs.n; i++) {
		struct rsent *e = &b->rs.e[v[i].i];
		unsigned char rk[RUNKEY];

		if (i + 8 < b->rs.n)  /* key order is random in memory */
			__builtin_prefetch(&b->rs.e[v[i + 8].i]);
		MDB_val k = { RUNKEY, rk }, d = { sizeof(e->st), &e->st };

		lv_run_key(rk, run, b->t.id, e->id);
		rc = mdb_cursor_put(cur, &k, &d, MDB_APPEND);
	}
	if (!rc) {
		mdb_cursor_close(cur);
		b->rd.r[b->rd.n].run = run;
		b->rd.r[b->rd.n].count = b->rs.n;
		b->rd.n++;
	}
	return rc;
}

/* Get the rowruns table, making it in a store that lacks it. */
static int runs_open(struct lv_batch *b)
{
	int rc;

	if (b->has_runs)
		return 0;
	rc = mdb_dbi_open(b->w.txn, "rowruns", MDB_CREATE, &b->rowruns);
	if (rc)
		return rc;
	b->has_runs = b->made_runs = 1;
	/* a lakeview that knows no runs must not write this store now */
	return lv_meta_put_u64(b->w.txn, b->st, "format", LV_STORE_FORMAT);
}

/*
 * Write the batch's row states: a new run, or (RUNS_MAX runs, or runs of
 * half the base) everything merged into the base. With @all, or when the
 * batch has merged already, into the base whatever the runs hold. The
 * states stay in the batch (later items still find them there).
 */
int lv_rowstate_flush(struct lv_batch *b, int all)
{
	struct sortkey *v;
	uint64_t inruns = b->rs.n;
	int rc;

	if (!b->rs.n && !(all && b->rd.n))
		return 0;
	v = rs_sorted(&b->rs);
	if (!v)
		return -ENOMEM;
	for (uint32_t i = 0; i < b->rd.n; i++)
		inruns += b->rd.r[i].count;
	rc = runs_open(b);
	if (!rc) {
		if (all || b->rd.n == RUNS_MAX ||
		    (b->rd.base_n && inruns >= RUNS_MIN && inruns >= b->rd.base_n / 2))
			rc = runs_merge(b, v);
		else
			rc = run_append(b, v);
	}
	if (!rc)
		rc = rundir_save(&b->w, b->t.id, &b->rd);
	free(v);
	return rc;
}

/*
 * During a full resync the rows seen are marked under the table id with
 * its top bit set (SEEN_BIT), in the same transactions as the pages that
 * carry them, so a resync interrupted by a crash resumes with its marks
 * intact.
 */
int lv_rowstate_seen(struct lv_batch *b, const uint8_t id[16])
{
	unsigned char kb[20];
	MDB_val k = { 20, kb }, d = { 0, NULL };

	lv_row_key(kb, b->t.id | SEEN_BIT, id);
	return mdb_put(b->w.txn, b->st->rows, &k, &d, 0);
}


int lv_rows_drop(struct lv_wtxn *w, uint32_t id)
{
	unsigned char kb[4];
	MDB_val k = { 4, kb }, d;
	MDB_cursor *cur;
	int rc;

	lv_be32(kb, id);
	rc = mdb_cursor_open(w->txn, w->st->rows, &cur);
	if (rc)
		return rc;
	rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
	while (rc == 0 && k.mv_size == 20 && lv_get_be32(k.mv_data) == id) {
		rc = mdb_cursor_del(cur, 0);
		if (!rc)
			rc = mdb_cursor_get(cur, &k, &d, MDB_GET_CURRENT);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND || rc == EINVAL ? 0 : rc;
}
