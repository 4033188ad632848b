/*
 * lake_i.h - the batch's internals shared by lake.c and the lake's tables
 * (lake_top.c).
 */
#ifndef LAKEVIEW_LAKE_I_H
#define LAKEVIEW_LAKE_I_H

#include "lakeview/lake.h"
#include "store_i.h"
#include "table_i.h"
#include "model_i.h"

/* Name of a partition key (yyyymm, mm = 0 for Year partitions). */
void lv_part_name(uint32_t key, char *buf, size_t len);

/* Delete the row states table @table keeps in runs (lake.c), and their
 * directory: with lv_rows_drop(), all that is left of a removed table. */
int lv_rowruns_drop(struct lv_wtxn *w, uint32_t table)
	__attribute__((warn_unused_result));

#endif
