/*
 * rowfilter.c - the filters of the row ids a table holds, so that a
 * lookup of a row never seen costs one cache line, not a tree descent.
 * The filter structs and their probe are in rowfilter_i.h (inline: the
 * probe runs once per change); building, attaching and updating them
 * after a commit are here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "batch_i.h"
#include "rowfilter_i.h"
#include "rowstate_i.h"

static const uint8_t zero_id[16];  /* the first key of a table's ids */

static void bloom_free(struct bloom *f)
{
	free(f->w);
	memset(f, 0, sizeof(*f));
}

/* Empty @f, sized for @ids ids. */
static int bloom_init(struct bloom *f, size_t ids)
{
	size_t nblocks = 1;

	if (ids < RF_MIN_IDS)
		ids = RF_MIN_IDS;
	while (nblocks * 512 < ids * RF_BITS_PER_ID)
		nblocks *= 2;
	if (f->nblocks != nblocks) {
		uint64_t *w = malloc(nblocks * 64);

		if (!w)
			return -ENOMEM;
		free(f->w);
		f->w = w;
		f->nblocks = nblocks;
	}
	memset(f->w, 0, nblocks * 64);
	f->n = 0;
	f->cap = nblocks * 512 / RF_BITS_PER_ID;
	return 0;
}

static void bloom_add(struct bloom *f, uint64_t h)
{
	uint64_t *blk = lv_bloom_block(f, h);

	for (int i = 0; i < 7; i++, h >>= 9)
		blk[(h >> 6) & 7] |= 1ull << (h & 63);
	f->n++;
}

static void rf_free(void *p)
{
	struct rowfilter *f = p;

	if (!f)
		return;
	bloom_free(&f->base);
	for (int i = 0; i < RUNS_MAX; i++)
		bloom_free(&f->runs[i]);
	free(f);
}

/* Add the ids of the table's level [@from, @to) of table @dbi: keys of
 * @klen bytes from @from on whose first @plen bytes are @from's; the id
 * is the last 16 bytes of a key. */
static int bloom_scan(MDB_txn *txn, MDB_dbi dbi, const unsigned char *from,
		      size_t klen, size_t plen, struct bloom *f)
{
	MDB_val k = { klen, (void *)from }, d;
	MDB_cursor *cur;
	int rc;

	rc = mdb_cursor_open(txn, dbi, &cur);
	if (rc)
		return rc;
	rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
	while (rc == 0 && k.mv_size == klen && memcmp(k.mv_data, from, plen) == 0) {
		bloom_add(f, lv_id_hash((const uint8_t *)k.mv_data + klen - 16));
		rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* (Re)build the store's filters for the batch's table from the table as
 * the batch began. On failure the batch goes on without them. */
void lv_rowfilter_build(struct lv_batch *b)
{
	struct rowfilter *f = b->st->rowfilter;
	MDB_txn *txn = b->rtxn ? b->rtxn : b->w.txn;
	size_t total = 0;
	unsigned char kb[RUNKEY];

	b->rf_try = 0;
	for (uint32_t i = 0; i < b->rd.n; i++)
		total += b->rd.r[i].count;
	if ((2 * (size_t)b->t.count + total) * RF_BITS_PER_ID / 8 > RF_MAX_BYTES)
		return;
	if (!f) {
		f = calloc(1, sizeof(*f));
		if (!f)
			return;
		b->st->rowfilter = f;
		b->st->rowfilter_free = rf_free;
	}
	f->txnid = 0;
	f->table = b->t.id;
	if (bloom_init(&f->base, 2 * (size_t)b->t.count))
		return;
	lv_row_key(kb, b->t.id, zero_id);
	if (bloom_scan(txn, b->st->rows, kb, 20, 4, &f->base))
		return;
	for (uint32_t i = 0; i < b->rd.n; i++) {
		if (bloom_init(&f->runs[i], b->rd.r[i].count))
			return;
		lv_run_key(kb, b->rd.r[i].run, b->t.id, zero_id);
		if (bloom_scan(txn, b->rowruns, kb, RUNKEY, 12, &f->runs[i]))
			return;
		f->run[i] = b->rd.r[i].run;
	}
	f->nruns = b->rd.n;
	b->rf = f;
}

/* At batch begin: use the store's filters if they reflect the last commit
 * and the table's runs as they are. */
void lv_rowfilter_attach(struct lv_batch *b)
{
	struct rowfilter *f = b->st->rowfilter;
	int ok = f && f->txnid && f->table == b->t.id && f->base.n <= f->base.cap &&
		 f->txnid + 1 == mdb_txn_id(b->w.txn) && f->nruns == b->rd.n;

	for (uint32_t i = 0; ok && i < b->rd.n; i++)
		ok = f->run[i] == b->rd.r[i].run;
	b->rf = ok ? f : NULL;
	b->rf_try = !ok;
	b->lookups = 0;
	if (f && !ok)
		f->txnid = 0;
}

/*
 * After the batch committed as transaction @txnid: a run it appended gets
 * its filter. A merge changed the levels: the filters are rebuilt when a
 * later batch needs them.
 */
void lv_rowfilter_committed(struct lv_batch *b, size_t txnid)
{
	struct rowfilter *f = b->rf;

	if (!f)
		return;
	if (b->rd.n == f->nruns && !b->rs.n) {
		f->txnid = txnid;  /* the batch wrote no row state */
		return;
	}
	if (b->rd.n != f->nruns + 1 || b->rd.r[f->nruns].count != b->rs.n ||
	    bloom_init(&f->runs[f->nruns], b->rs.n)) {
		f->txnid = 0;
		return;
	}
	for (size_t i = 0; i < b->rs.n; i++)
		bloom_add(&f->runs[f->nruns], lv_id_hash(b->rs.e[i].id));
	f->run[f->nruns] = b->rd.r[f->nruns].run;
	f->nruns++;
	f->txnid = txnid;
}

/* Start loading what lv_rowstate_get() of an id with hash @h reads first (the
 * batch's index slot, the filters' blocks): cache misses all, on tables
 * larger than the caches, and independent of each other. */
