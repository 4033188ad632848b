/*
 * partition_i.h - partitions and their pending changes (partition.c).
 */
#ifndef LAKEVIEW_PARTITION_I_H
#define LAKEVIEW_PARTITION_I_H

#include "batch_i.h"

/* Name of a partition key (yyyymm, mm = 0 for Year partitions). */
void lv_part_name(uint32_t key, char *buf, size_t len);
/* The partition @row belongs in (by createdon, or SinkCreatedOn). */
uint32_t lv_part_of(struct lv_batch *b, const struct lv_jrow *row,
		    const struct rowstate *old, int *err);
/* The batch's pending changes of partition @key (made when missing). */
struct part *lv_part_get(struct lv_batch *b, uint32_t key);
struct op *lv_part_add(struct lv_batch *b, struct part *p, const uint8_t id[16],
		       struct opref *ref);
struct op *lv_part_op(struct lv_batch *b, const struct opref *orig,
		      const struct opref *cur, uint32_t key);
void lv_part_stash(struct lv_batch *b, struct op *o);
void lv_part_unstash(struct lv_batch *b);
/* Write partition @p's pending changes into its segments. */
int lv_part_flush(struct lv_batch *b, struct part *p, int *created);

#endif
