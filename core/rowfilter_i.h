/*
 * rowfilter_i.h - the filter of the row ids a table holds (rowfilter.c),
 * and its probe, inline because every row-state lookup asks it first.
 */
#ifndef LAKEVIEW_ROWFILTER_I_H
#define LAKEVIEW_ROWFILTER_I_H

#include "batch_i.h"

/*
 * Filters of the row ids a table holds: one for the base and one for each
 * run, blocked Bloom filters (one 512-bit block per id, 7 bits in it, ~12
 * bits an id). Most changes of an initial sync or a bulk import are rows
 * never seen, and a lookup that misses still descends to a random leaf of
 * a tree larger than the CPU's caches; a filter says "not there" from one
 * cache line, and a row that is there is looked up in the one run (or the
 * base) that holds it, not in every run before it. A "maybe" is looked up,
 * so a false positive costs a lookup and nothing else, and a filter is
 * never wrong about a row its level holds: it is built from the level, and
 * a run a batch appends gets its filter once the batch has committed.
 *
 * They live on the store from one batch to the next of a process and are
 * valid while the last commit to the store is the one they reflect: any
 * other commit (another process, another kind of write, a merge of the
 * runs) makes the next batch rebuild them, by a scan of the table's ids,
 * once the batch has made enough lookups to pay for the scan. Tables of
 * more than RF_MAX_BYTES worth of ids go without.
 */
#define RF_BITS_PER_ID 12
#define RF_MIN_IDS ((size_t)1 << 16)
#define RF_MAX_BYTES ((size_t)128 << 20)

struct bloom {
	uint64_t *w;            /* nblocks blocks of 8 words */
	size_t nblocks;         /* a power of two */
	size_t n, cap;          /* ids added; ids it is sized for */
};

struct rowfilter {
	uint32_t table;
	size_t txnid;           /* the commit it reflects; 0: none */
	struct bloom base;
	uint32_t nruns;
	uint64_t run[RUNS_MAX]; /* the runs, as in the table's directory */
	struct bloom runs[RUNS_MAX];
};

static inline uint64_t *lv_bloom_block(const struct bloom *f, uint64_t h)
{
	uint64_t g = h * 0xc2b2ae3d27d4eb4full;

	return f->w + 8 * ((g >> 32) & (f->nblocks - 1));
}

static inline int lv_bloom_maybe(const struct bloom *f, uint64_t h)
{
	const uint64_t *blk = lv_bloom_block(f, h);

	for (int i = 0; i < 7; i++, h >>= 9)
		if (!(blk[(h >> 6) & 7] & (1ull << (h & 63))))
			return 0;
	return 1;
}

/* Build the table's filters from the rows table and its runs. */
void lv_rowfilter_build(struct lv_batch *b);
/* Take the store's filters for the batch's table, when still valid. */
void lv_rowfilter_attach(struct lv_batch *b);
/* The batch committed as @txnid: its run joins the filters. */
void lv_rowfilter_committed(struct lv_batch *b, size_t txnid);

#endif
