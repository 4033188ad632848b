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
};

/**
 * Take a snapshot of every partition changed since its last snapshot,
 * point the root model.json at the newest snapshots, retire the snapshots
 * beyond the newest 5 of each partition; with Delta on, write the next
 * Delta version of every table that changed (delta.h). One commit.
 */
int lv_lake_snapshot(struct lv_store *st, struct lv_snapshot_stats *out)
	__attribute__((warn_unused_result));

#endif
