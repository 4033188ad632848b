/**
 * @file changelog.h
 * @brief Reading the change log: every change the store applied, in order.
 *
 * Caveats first:
 *  - The log is written by the batch (lakeview/batch.h) in the commit that
 *    applies the changes, so it never disagrees with the lake; it only
 *    grows (a removed table keeps its history).
 *  - lv_log_each() holds one read transaction for the whole walk: a long
 *    walk pins the store's pages as they were when it began.
 */
#ifndef LAKEVIEW_CHANGELOG_H
#define LAKEVIEW_CHANGELOG_H

#include <stddef.h>
#include <stdint.h>

#include "lakeview/store.h"

/** One change of the change log (see lv_log_each()). */
struct lv_change {
	uint64_t seq;           /**< store-wide sequence number */
	uint32_t table;         /**< table id (struct lv_table.id) */
	int del;                /**< 1: delete, 0: upsert */
	int64_t version;        /**< versionnumber */
	int64_t sink_time;      /**< when it was applied (unix seconds) */
	int64_t sink_created;   /**< the row's SinkCreatedOn (unix seconds) */
	uint8_t id[16];         /**< row id (GUID bytes in text order) */
	const char *record;     /**< the CSV record the change wrote to the
				 *   lake (Id, SinkCreatedOn, SinkModifiedOn,
				 *   values; "\n"-terminated), valid during
				 *   the call */
	size_t record_len;
};

/**
 * Call @p fn with every change of the log from sequence number @p from
 * on, in order, in one read transaction; stops at a non-zero return of
 * @p fn and returns it. Changes logged by lakeview versions that kept one
 * record per change are skipped.
 * @return 0, what @p fn returned, -EIO for a damaged record, store errors.
 */
int lv_log_each(struct lv_store *st, uint64_t from,
		int (*fn)(void *arg, const struct lv_change *c), void *arg)
	__attribute__((warn_unused_result));

#endif
