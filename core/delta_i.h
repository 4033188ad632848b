/*
 * delta_i.h - writing Delta versions inside a snapshot's transaction
 * (see delta.c).
 */
#ifndef LAKEVIEW_DELTA_I_H
#define LAKEVIEW_DELTA_I_H

#include "lakeview/delta.h"
#include "store_i.h"

/* Name of the lake's folder of Delta tables. */
#define LV_DELTA_DIR "deltalake"

/* Write the next Delta version of @t when its partitions or columns
 * changed since the last one (*@written 1), else nothing (*@written 0).
 * Errors name the table; the caller aborts the transaction. */
int lv_delta_version(struct lv_wtxn *w, const struct lv_table *t, int *written)
	__attribute__((warn_unused_result));

/* lv_delta_info() inside the caller's read or write transaction. */
int lv_delta_info_txn(MDB_txn *txn, struct lv_store *st, const struct lv_table *t,
		      struct lv_delta_info *out) __attribute__((warn_unused_result));

/* Remove @t's Delta table (its folder and its state): the table left
 * the link. */
int lv_delta_drop(struct lv_wtxn *w, const struct lv_table *t)
	__attribute__((warn_unused_result));

#endif
