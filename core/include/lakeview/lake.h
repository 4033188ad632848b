/**
 * @file lake.h
 * @brief The lake's tables: adding, removing and updating a table of the
 *        link together with its folder, manifest, model.json entry and
 *        option-set rows.
 *
 * Caveats first:
 *  - Each call is one write transaction: the table record and the lake's
 *    metadata files change together or not at all. While it runs the
 *    store's writer lock is held: other writers (a batch, a sync) wait,
 *    and the call blocks while another process holds the lock.
 *  - Removing a table drops its rows and row states; the change log keeps
 *    its history.
 */
#ifndef LAKEVIEW_LAKE_H
#define LAKEVIEW_LAKE_H

#include "lakeview/store.h"
#include "lakeview/table.h"

/**
 * Add a table to the store and create its lake folder, per-table
 * manifest and model.json entry, in one commit. Sets @p t's id and
 * added time.
 * @return 0; -EEXIST if it is there already; other codes.
 */
int lv_lake_table_add(struct lv_store *st, struct lv_table *t)
	__attribute__((warn_unused_result));

/**
 * Remove a table: its rows, folder, snapshots and manifest leave the lake
 * and model.json in one commit (the change log keeps its history).
 * @return 0; LV_ENOTABLE.
 */
int lv_lake_table_remove(struct lv_store *st, const char *name)
	__attribute__((warn_unused_result));

/**
 * Save a table's state, sync state and schema, and rewrite its per-table
 * manifest, in one commit. When @p schema_changed, model.json and the
 * OptionsetMetadata CSVs are rewritten in the same commit.
 * @return 0; LV_ENOTABLE when the table was removed (or removed and
 *         added again) since @p t was loaded; store errors.
 */
int lv_lake_table_update(struct lv_store *st, const struct lv_table *t,
			 int schema_changed) __attribute__((warn_unused_result));

#endif
