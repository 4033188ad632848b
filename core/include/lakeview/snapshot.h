/**
 * @file snapshot.h
 * @brief Snapshots: read-only timestamped copies of the live partitions,
 *        and their retention.
 *
 * Caveats first: a snapshot run is one write transaction, so it waits
 * for (and holds off) other writers; it copies no data, only manifests.
 */
#ifndef LAKEVIEW_SNAPSHOT_H
#define LAKEVIEW_SNAPSHOT_H

#include "lakeview/store.h"

/** Store-wide snapshot counts. */
struct lv_snapshot_stats {
	unsigned taken;     /**< snapshot files created */
	unsigned retired;   /**< old snapshot files removed */
	unsigned delta_versions; /**< Delta versions written (delta.h) */
	unsigned delta_failed;   /**< tables whose Delta version failed */
};

/**
 * Take a snapshot of every partition changed since its last snapshot,
 * point the root model.json at the newest snapshots, retire the snapshots
 * beyond the newest 5 of each partition, in one commit; then, with Delta
 * on, write the next Delta version of every table that changed
 * (delta.h), one commit per table.
 * @return 0; the CSV snapshot's failure (nothing written then); or, after
 *         the CSV snapshots committed, the first table's Delta failure
 *         (its detail names table, row and column; the other tables'
 *         versions are written). @p out is filled in both of the latter.
 */
int lv_lake_snapshot(struct lv_store *st, struct lv_snapshot_stats *out)
	__attribute__((warn_unused_result));

#endif
