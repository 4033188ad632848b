/*
 * model_i.h - the lake's metadata files (model.c): the root model.json,
 * the per-table manifests, the OptionsetMetadata CSVs, and the folder
 * names they live in. Everything that changes what they describe calls
 * these inside its own write transaction.
 */
#ifndef LAKEVIEW_MODEL_I_H
#define LAKEVIEW_MODEL_I_H

#include "store_i.h"
#include "table_i.h"

#define LV_ATHENA_DIR "Microsoft.Athena.TrickleFeedService"
#define LV_OPTIONSET_DIR "OptionsetMetadata"
#define LV_SNAPSHOT_DIR "Snapshot"
#define LV_SNAPSHOT_KEEP 5

/* The table's folder (created when missing). */
int lv_model_table_dir(struct lv_wtxn *w, const struct lv_table *t,
		      uint64_t *ino);

/* Rewrite Microsoft.Athena.TrickleFeedService/<table>-model.json. */
int lv_model_table_manifest(struct lv_wtxn *w, const struct lv_table *t);

/* Rewrite the root model.json from every table and its snapshots. */
int lv_model_root(struct lv_wtxn *w);

/* Rewrite the OptionsetMetadata/ CSVs from every table's options. */
int lv_model_optionsets(struct lv_wtxn *w);

/* The rewrite that follows a change to the tables: the manifest of @t
 * (unless NULL, for a table just removed) and, when @all (a table came,
 * went or changed its schema), the root model.json and the option-set
 * CSVs, in that order. */
int lv_model_refresh(struct lv_wtxn *w, const struct lv_table *t, int all)
	__attribute__((warn_unused_result));

#endif
