/**
 * @file delta.h
 * @brief Delta Lake tables of the lake: `deltalake/<table>/`, one Delta
 *        version per snapshot that changed the table.
 *
 * Caveats first:
 *  - Off unless lakeview.conf says `delta = on`. Turning it on makes the
 *    next snapshot (`lakectl snapshot`, or the snapshot interval of `sync
 *    --follow`) write version 0 of every table from its partitions; the
 *    CSV lake is the same, byte for byte, either way. Turning it off
 *    leaves the Delta tables as they are, no longer updated.
 *  - A version is written inside the snapshot's write transaction: a
 *    reader (the mount, the push) sees all of it or none of it, and a
 *    crash leaves the previous version whole.
 *  - Versions and CSV snapshots share one retention: the files of the
 *    newest LV_DELTA_KEEP versions stay; older ones are removed from the
 *    tree (and so from the container at the next push), after their
 *    `remove` actions.
 *  - Append-only tables are rewritten whole at each version (the newest
 *    record of each live row, as Synapse Link's merge gives); in-place
 *    tables rewrite only the partitions changed since the last version.
 *  - Every 10th version also writes a Parquet checkpoint of the table and
 *    `_delta_log/_last_checkpoint`, so a reader replays at most 10 commits.
 */
#ifndef LAKEVIEW_DELTA_H
#define LAKEVIEW_DELTA_H

#include <stdint.h>

#include "lakeview/store.h"
#include "lakeview/table.h"

/** Versions whose data files are kept readable (the CSV snapshots'). */
#define LV_DELTA_KEEP 5

/** Where a table's Delta table stands. */
struct lv_delta_info {
	int64_t version;     /**< newest version, -1 before the first */
	uint64_t rows;       /**< rows of that version */
	uint64_t files;      /**< its data files */
	uint64_t bytes;      /**< their size */
};

/**
 * Is Delta on for this link (`delta` in lakeview.conf)?
 * @return 1 on, 0 off; LV_ECONF (with the detail) for a value that is
 *         neither on nor off, or, when on, a delta_file_mb that is not a
 *         size of 1 to 4096 MiB.
 */
int lv_delta_enabled(const struct lv_store *st);

/**
 * Where table @p t's Delta table stands, read in its own read
 * transaction. @return 0 (version -1 when none was written), or an LMDB
 * code.
 */
int lv_delta_info(struct lv_store *st, const struct lv_table *t,
		  struct lv_delta_info *out)
	__attribute__((warn_unused_result));

#endif
