/**
 * @file batch.h
 * @brief Applying changes: a batch of Web API change-tracking items,
 *        logged and materialised in one commit.
 *
 * Caveats first:
 *  - A batch is one LMDB write transaction: every change of the batch, the
 *    files they touch, the per-table manifest and whatever sync state the
 *    caller attaches commit together or not at all. A crash loses at most
 *    the batch in flight, never part of it; re-applying a committed batch
 *    changes nothing (a change whose id and versionnumber the store has
 *    already seen is skipped, and so is one older than what it holds).
 *  - While a batch is open the store's writer lock is held: other writers
 *    wait. Keep batches bounded (lakectl commits every 10,000 changes).
 *  - Items are Web API change-tracking items exactly as a delta page holds
 *    them: a row object with `@odata.etag`, `<table>id` and values, or a
 *    deleted entry `{"@odata.context":"…/$deletedEntity","id":…}`.
 */
#ifndef LAKEVIEW_BATCH_H
#define LAKEVIEW_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "lakeview/store.h"
#include "lakeview/item.h"
#include "lakeview/table.h"

/** Largest value one column may hold (bytes of its CSV text). */
#define LV_VALUE_MAX (8u << 20)

struct lv_batch;

/** What a batch did. */
struct lv_batch_stats {
	uint64_t applied;      /**< changes logged and materialised */
	uint64_t upserts;
	uint64_t deletes;
	uint64_t skipped;      /**< duplicates and stale versions */
	uint64_t first_seq, last_seq;
	uint64_t bytes_encoded;  /**< CSV bytes (re)written to chunks */
	int schema_committed;    /**< an adopted schema went with this commit */
};

/**
 * Begin a batch of changes to table @p table.
 * @return 0, LV_ENOTABLE, or store errors. Blocks while another process
 *         holds the writer lock.
 */
int lv_batch_begin(struct lv_store *st, const char *table,
		   struct lv_batch **out) __attribute__((warn_unused_result));

/**
 * Apply one item (JSON text of one row or deleted entry).
 * @param applied  set to 1 if applied, 0 if skipped as a duplicate/stale
 * @return 0, or LV_EBADJSON / LV_EBADVALUE / LV_ETOOBIG with the detail
 *         naming the field. After an error the batch must be aborted.
 */
int lv_batch_item(struct lv_batch *b, const char *json, size_t len,
		  int *applied) __attribute__((warn_unused_result));

/**
 * lv_batch_item() for an item parsed with lv_item_parse(): the same
 * result, errors and detail (a parse error included).
 */
int lv_batch_apply(struct lv_batch *b, const struct lv_item *it, int *applied)
	__attribute__((warn_unused_result));

/** The table the batch writes to (its sync state may be edited). */
struct lv_table *lv_batch_table(struct lv_batch *b);

/**
 * Full resync mode: every row the batch applies is marked as seen (the
 * marks persist across batches until lv_batch_delete_unseen()).
 */
void lv_batch_set_resync(struct lv_batch *b, int on);

/** Drop the seen marks of an earlier, unfinished resync (a new one starts). */
int lv_batch_clear_seen(struct lv_batch *b) __attribute__((warn_unused_result));

/**
 * End a full resync: delete every live row of the table that no batch in
 * resync mode marked, as if the source had sent its tombstone, and clear
 * the marks. @p deleted receives the count.
 */
int lv_batch_delete_unseen(struct lv_batch *b, uint64_t *deleted)
	__attribute__((warn_unused_result));

/**
 * Take the columns, option sets and entity set of @p t (a schema merged
 * with lv_table_merge()) into the batch's table, before its first item.
 * If the batch applies a record (or @p force), its commit saves the
 * schema and rewrites the per-table manifest, model.json and the
 * OptionsetMetadata CSVs with it; otherwise the schema is left for a
 * later batch (stats.schema_committed says which happened).
 */
int lv_batch_adopt_schema(struct lv_batch *b, const struct lv_table *t,
			  int force)
	__attribute__((warn_unused_result));

/**
 * Materialise and commit everything the batch holds (including changes
 * made to lv_batch_table()). The batch is freed, whatever the result.
 */
int lv_batch_commit(struct lv_batch *b, struct lv_batch_stats *stats)
	__attribute__((warn_unused_result));

/** Drop the batch; nothing of it reaches the store. */
void lv_batch_abort(struct lv_batch *b);

#endif
