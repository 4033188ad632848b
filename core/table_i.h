/*
 * table_i.h - table records inside a write transaction.
 */
#ifndef LAKEVIEW_TABLE_I_H
#define LAKEVIEW_TABLE_I_H

#include "lakeview/table.h"
#include "store_i.h"

#define LV_TABLE_MAX_COLS 2048  /* Spark's CDM connector reads at most 2048 */

void lv_table_index(struct lv_table *t);
const char *lv_ctype_name(int type);
char *lv_table_to_json(const struct lv_table *t);
int lv_table_from_json(const char *s, size_t len, struct lv_table *t);

/* Delete every row-state record under table id @id (a table's rows, or,
 * with the top bit set, its resync marks). */
int lv_rows_drop(struct lv_wtxn *w, uint32_t id) __attribute__((warn_unused_result));

int lv_table_load(MDB_txn *txn, struct lv_store *st, const char *name,
		  struct lv_table *t);
int lv_table_save(struct lv_wtxn *w, const struct lv_table *t)
	__attribute__((warn_unused_result));

#endif
