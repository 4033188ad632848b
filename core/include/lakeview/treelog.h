/**
 * @file treelog.h
 * @brief The tree's change log: which nodes each commit changed.
 *
 * Caveats first:
 *  - The log keeps the newest 4096 tree generations only; a follower that
 *    falls further behind gets LV_ECHANGED and must invalidate everything.
 *  - It names nodes, not what changed in them: a follower re-reads them.
 *
 * Every write transaction that changes the tree logs the nodes it changed
 * under a new tree generation, in the same commit, so a FUSE daemon can
 * invalidate exactly those (the daemon's notifier).
 */
#ifndef LAKEVIEW_TREELOG_H
#define LAKEVIEW_TREELOG_H

#include <stdint.h>

#include "lakeview/reader.h"

/**
 * Callback of lv_tree_changes(): node @p ino changed (content, attributes,
 * or removal); @p parent and @p name locate its directory entry.
 */
typedef int (*lv_change_fn)(void *arg, uint64_t ino, uint64_t parent,
			    const char *name);

/**
 * Report every node changed by commits after tree generation @p since, up
 * to the reader's version. Used by the FUSE notifier to invalidate caches.
 * @return 0; LV_ECHANGED when the change log no longer reaches back to
 *         @p since (invalidate everything instead); or what @p fn returned
 *         if non-zero.
 */
int lv_tree_changes(struct lv_reader *r, uint64_t since, lv_change_fn fn,
		    void *arg);

#endif
