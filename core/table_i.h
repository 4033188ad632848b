/*
 * table_i.h - table records inside a transaction, and the column helpers
 * schema.c builds tables with (see lakeview/table.h).
 */
#ifndef LAKEVIEW_TABLE_I_H
#define LAKEVIEW_TABLE_I_H

#include "lakeview/table.h"
#include "store_i.h"

#define LV_TABLE_MAX_COLS 2048  /* Spark's CDM connector reads at most 2048 */

/* Append a column to @t (checked: at most LV_TABLE_MAX_COLS, no name
 * twice). 0, LV_ETOOBIG, LV_EBADVALUE (with the detail), -ENOMEM. */
int lv_table_add_col(struct lv_table *t, const char *name, const char *prop,
		     const char *attrtype, int type, int fmt, int flags,
		     int maxlen, int precision, int scale);
/* Recompute the column hashes and the createdon / versionnumber indexes. */
void lv_table_index(struct lv_table *t);
/* model.json dataType of an enum lv_ctype. */
const char *lv_ctype_name(int type);
/* The record's JSON (malloc'ed, NULL on -ENOMEM), and back. */
char *lv_table_to_json(const struct lv_table *t);
int lv_table_from_json(const char *s, size_t len, struct lv_table *t);

int lv_table_load(MDB_txn *txn, struct lv_store *st, const char *name,
		  struct lv_table *t);
int lv_table_save(struct lv_wtxn *w, const struct lv_table *t)
	__attribute__((warn_unused_result));

/* Save @t as a new record: a fresh id (never reused) and the time it was
 * added. -EEXIST (with the detail) when the name is taken. */
int lv_table_insert(struct lv_wtxn *w, struct lv_table *t)
	__attribute__((warn_unused_result));

/* Delete the record of table @name (MDB_NOTFOUND when there is none). */
int lv_table_delete(struct lv_wtxn *w, const char *name)
	__attribute__((warn_unused_result));

/* Call fn for every table record inside a transaction. */
int lv_table_each(MDB_txn *txn, struct lv_store *st,
		  int (*fn)(void *arg, struct lv_table *t), void *arg);

#endif
