/*
 * rowstate_i.h - row states (rowstate.c): the batch's map of the states
 * it wrote, lookups of committed ones, and their runs.
 */
#ifndef LAKEVIEW_ROWSTATE_I_H
#define LAKEVIEW_ROWSTATE_I_H

#include "store_i.h"
#include "batch_i.h"

/* The batch's state of row @id (hash @h), or NULL. */
struct rsent *lv_rsmap_find(struct rsmap *m, const uint8_t id[16]);
/* Put @st for @id into the map (at @e when the caller found it). */
int lv_rsmap_put(struct rsmap *m, const uint8_t id[16], uint64_t h,
		 struct rsent *e, const struct rowstate *st, struct rsent **out);
void lv_rsmap_free(struct rsmap *m);

/* Load the directory of @table's runs. */
int lv_rundir_load(MDB_txn *txn, struct lv_store *st, uint32_t table,
		   struct rundir *rd);
/* Delete every key under @prefix (keys of @ksize bytes). */
int lv_del_prefix(MDB_cursor *cur, const unsigned char *prefix, size_t plen,
		  size_t ksize);

/* Start reading the state of the row with hash @h into the cache. */
void lv_rowstate_prefetch(const struct lv_batch *b, uint64_t h);
/* The row's state: 0 with *s, or MDB_NOTFOUND; *in_batch when this
 * batch wrote it. */
int lv_rowstate_get(struct lv_batch *b, const uint8_t id[16], uint64_t h,
		    struct rowstate *s, struct rsent **in_batch);
int lv_rowstate_put(struct lv_batch *b, const uint8_t id[16],
		    const struct rowstate *s);
/* Write the batch's row states as a run (and merge runs when due). */
int lv_rowstate_flush(struct lv_batch *b, int all);
/* Mark @id seen by a resync: a row state under the table id with
 * SEEN_BIT set. */
#define SEEN_BIT 0x80000000u
int lv_rowstate_seen(struct lv_batch *b, const uint8_t id[16]);

/* Delete every row-state record under table id @id (a table's rows, or,
 * with the top bit set, its resync marks). */
int lv_rows_drop(struct lv_wtxn *w, uint32_t id)
	__attribute__((warn_unused_result));
/* Delete the row states table @table keeps in runs, and their directory:
 * with lv_rows_drop(), all that is left of a removed table. */
int lv_rowruns_drop(struct lv_wtxn *w, uint32_t table)
	__attribute__((warn_unused_result));

#endif
