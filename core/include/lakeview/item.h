/**
 * @file item.h
 * @brief A change-tracking item parsed ahead of its batch.
 *
 * Caveats first:
 *  - Parsing touches no store and takes no lock: lakectl ingest parses on
 *    a second thread while the batch applies the items before.
 *  - An item owns a copy of its JSON text and its decoded row; reuse one
 *    item for many lines (lv_item_parse() resets it) and free it once.
 */
#ifndef LAKEVIEW_ITEM_H
#define LAKEVIEW_ITEM_H

#include <stddef.h>

/** Largest JSON text of one item lv_item_parse() takes. */
#define LV_ITEM_MAX (16u << 20)

/**
 * An item parsed ahead of its batch: lv_item_parse() touches no store,
 * so a reader thread may parse items while another thread applies them
 * (each item used by one thread at a time). An item is reused by parsing
 * into it again.
 */
struct lv_item;

/** A new empty item. @return 0 or -ENOMEM (*out is NULL then). */
int lv_item_new(struct lv_item **out) __attribute__((warn_unused_result));
void lv_item_free(struct lv_item *it);

/**
 * Parse the JSON text of one item into @p it (which keeps its own copy).
 * @return 0, or LV_EBADJSON / LV_ETOOBIG; the item keeps the error and
 *         its detail, and lv_batch_apply() reports them.
 */
int lv_item_parse(struct lv_item *it, const char *json, size_t len);

/**
 * Hint that @p it is applied soon: start moving its bytes into this CPU's
 * cache (an item parsed by another thread is in that thread's). Nothing
 * else happens; any time is fine.
 */
void lv_item_prefetch(const struct lv_item *it);

/** Bytes the item holds allocated (to bound items in flight). */
size_t lv_item_size(const struct lv_item *it);

#endif
