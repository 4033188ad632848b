/*
 * lake.c - the lake's tables: adding, removing and updating a table of
 * the link, with everything that goes with it in the same commit.
 *
 * A table is more than its record (table.c): it has a folder in the lake,
 * a manifest under Microsoft.Athena.TrickleFeedService/, an entry in the
 * root model.json and rows in the OptionsetMetadata CSVs (model.c), and
 * row states (the batch's). Adding or removing one changes all of these
 * in one write transaction, so a reader sees the table whole or not at
 * all. That is why the lifecycle lives here, above the records and the
 * metadata files it ties together, and not in table.c: the records stay
 * a plain store of JSON documents that everything else can read without
 * pulling in the lake.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delta_i.h"
#include "lakeview/err.h"
#include "lakeview/lake.h"
#include "model_i.h"
#include "rowstate_i.h"
#include "table_i.h"
#include "tree_i.h"

/* Commit the transaction, or abort it when @rc says so. */
static int end(struct lv_wtxn *w, int rc)
{
	if (rc) {
		lv_wtxn_abort(w);
		return rc;
	}
	return lv_wtxn_commit(w);
}

int lv_lake_table_add(struct lv_store *st, struct lv_table *t)
{
	struct lv_wtxn w;
	int rc;

	rc = lv_wtxn_begin(st, &w);
	if (rc)
		return rc;
	rc = lv_table_insert(&w, t);
	if (!rc)
		rc = lv_model_refresh(&w, t, 1);
	return end(&w, rc);
}

int lv_lake_table_remove(struct lv_store *st, const char *name)
{
	struct lv_wtxn w;
	struct lv_table t;
	struct lv_node n;
	char fname[LV_TABLE_NAME_MAX + 16];
	int rc;

	rc = lv_wtxn_begin(st, &w);
	if (rc)
		return rc;
	rc = lv_table_load(w.txn, st, name, &t);
	if (rc)
		goto out;
	rc = lv_rows_drop(&w, t.id);
	if (!rc)
		rc = lv_rows_drop(&w, t.id | 0x80000000u);
	if (!rc)
		rc = lv_rowruns_drop(&w, t.id);
	if (!rc)
		rc = lv_delta_drop(&w, &t);
	if (!rc)
		rc = lv_table_delete(&w, name);
	if (!rc) {
		rc = lv_tree_lookup(&w, LV_ROOT_INO, t.name, &n);
		if (rc == 0)
			rc = lv_tree_remove(&w, n.ino);
		else if (rc == -ENOENT)
			rc = 0;
	}
	if (!rc) {
		struct lv_node a;

		snprintf(fname, sizeof(fname), "%s-model.json", t.name);
		rc = lv_tree_lookup(&w, LV_ROOT_INO, LV_ATHENA_DIR, &a);
		if (rc == 0) {
			rc = lv_tree_lookup(&w, a.ino, fname, &n);
			if (rc == 0)
				rc = lv_tree_remove(&w, n.ino);
		}
		if (rc == -ENOENT)
			rc = 0;
	}
	lv_table_free(&t);
	if (!rc)
		rc = lv_model_refresh(&w, NULL, 1);
out:
	return end(&w, rc);
}

int lv_lake_table_update(struct lv_store *st, const struct lv_table *t,
			 int schema_changed)
{
	struct lv_wtxn w;
	struct lv_table cur;
	int rc;

	rc = lv_wtxn_begin(st, &w);
	if (rc)
		return rc;
	/* the table must still be the one we loaded (not removed and re-added) */
	rc = lv_table_load(w.txn, st, t->name, &cur);
	if (rc)
		goto out;
	if (cur.id != t->id) {
		lv_table_free(&cur);
		rc = lv_err_set(LV_ENOTABLE, "table '%s' was removed meanwhile", t->name);
		goto out;
	}
	lv_table_free(&cur);
	rc = lv_table_save(&w, t);
	if (!rc)
		rc = lv_model_refresh(&w, t, schema_changed);
out:
	return end(&w, rc);
}

