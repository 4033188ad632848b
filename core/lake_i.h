/*
 * lake_i.h - materialiser internals shared by lake.c, model.c, table.c.
 */
#ifndef LAKEVIEW_LAKE_I_H
#define LAKEVIEW_LAKE_I_H

#include "lakeview/lake.h"
#include "store_i.h"
#include "table_i.h"

#define LV_ATHENA_DIR "Microsoft.Athena.TrickleFeedService"
#define LV_OPTIONSET_DIR "OptionsetMetadata"
#define LV_SNAPSHOT_DIR "Snapshot"
#define LV_SNAPSHOT_KEEP 5

/* Name of a partition key (yyyymm, mm = 0 for Year partitions). */
void lv_part_name(uint32_t key, char *buf, size_t len);

/* The table's folder (created when missing). */
int lv_lake_table_dir(struct lv_wtxn *w, const struct lv_table *t,
		      uint64_t *ino);

/* Rewrite Microsoft.Athena.TrickleFeedService/<table>-model.json. */
int lv_lake_table_manifest(struct lv_wtxn *w, const struct lv_table *t);

/* Rewrite the root model.json from every table and its snapshots. */
int lv_lake_root_model(struct lv_wtxn *w);

/* Rewrite the OptionsetMetadata/ CSVs from every table's options. */
int lv_lake_optionsets(struct lv_wtxn *w);

/* Delete the row states table @table keeps in runs (lake.c), and their
 * directory: with lv_rows_drop(), all that is left of a removed table. */
int lv_rowruns_drop(struct lv_wtxn *w, uint32_t table)
	__attribute__((warn_unused_result));

/* Call fn for every table record inside a transaction. */
int lv_table_each(MDB_txn *txn, struct lv_store *st,
		  int (*fn)(void *arg, struct lv_table *t), void *arg);

#endif
