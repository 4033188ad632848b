/**
 * @file push.h
 * @brief The push of a store's lake to its ADLS container, and the
 *        records of what was pushed.
 *
 * Caveats first:
 *  - The push writes data files first, per-table manifests next, the root
 *    model.json last, and deletes retired files only after model.json no
 *    longer names them: a cloud reader never sees a model pointing at a
 *    missing file. What was pushed is recorded per file in the store, so an
 *    interrupted push resumes; blocks already on the server are not sent
 *    again (their ids are content-derived).
 *  - Each record is its own small store commit (a write transaction, like
 *    every change to the store); lv_push blocks on the network throughout.
 */
#ifndef LAKEVIEW_PUSH_H
#define LAKEVIEW_PUSH_H

#include <stddef.h>
#include <stdint.h>

#include "lakeview/adls.h"
#include "lakeview/store.h"

/** What a push did. */
struct lv_push_stats {
	unsigned uploaded, copied, deleted, unchanged;
	uint64_t bytes_sent;       /**< request body bytes */
	uint64_t blocks_sent, blocks_reused;
};

/**
 * Push every file whose generation differs from what was last pushed, in
 * the order the caveats give, then delete remote files that left the lake.
 * @return 0; the first error (files pushed before it stay recorded).
 */
int lv_push(struct lv_store *st, struct lv_adls *a, struct lv_push_stats *out)
	__attribute__((warn_unused_result));

/** Pending work per file class (data, snapshots, metadata). */
struct lv_push_pending {
	uint64_t files[3], bytes[3];
	int64_t last_push;
	char last_error[512];
};

/** Compare the tree with the push records. */
int lv_push_pending(struct lv_store *st, struct lv_push_pending *out);

/**
 * Forget the push records of files that are not among the @p n blob
 * @p names the container holds, or whose ETag there (@p etags) is not the
 * one the push recorded (changed behind our back), so the next push sends
 * them again.
 */
int lv_push_verify(struct lv_store *st, const char *const *names,
		   const char *const *etags, size_t n)
	__attribute__((warn_unused_result));

/** Forget every push record (after the container was recreated). */
int lv_push_forget(struct lv_store *st) __attribute__((warn_unused_result));

#endif
