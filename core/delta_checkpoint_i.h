/*
 * delta_checkpoint_i.h - Delta checkpoints (see delta_checkpoint.c).
 */
#ifndef LAKEVIEW_DELTA_CHECKPOINT_I_H
#define LAKEVIEW_DELTA_CHECKPOINT_I_H

#include <jansson.h>
#include <stdint.h>

#include "store_i.h"

/* A checkpoint after every this many versions (Delta's default). */
#define LV_DELTA_CHECKPOINT_EVERY 10

/* Write `<ver>.checkpoint.parquet` and `_last_checkpoint` into the log
 * folder @logdir: the table's state after version @ver (delta.c's state
 * record @state, its metaData action body @meta). */
int lv_delta_checkpoint(struct lv_wtxn *w, uint64_t logdir, int64_t ver, json_t *state,
			json_t *meta) __attribute__((warn_unused_result));

#endif
