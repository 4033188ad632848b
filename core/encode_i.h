/*
 * encode_i.h - a change as its CSV record (encode.c).
 */
#ifndef LAKEVIEW_ENCODE_I_H
#define LAKEVIEW_ENCODE_I_H

#include "batch_i.h"

/* Encode @row (or a delete of @id) as the lake's CSV record into the
 * batch's arena: b->rec_off/rec_len, and where the id and versionnumber
 * columns are in it. */
int lv_encode_row(struct lv_batch *b, const struct lv_jrow *row,
		  const uint8_t id[16], int64_t sink_c, int64_t sink_m, int del);

#endif
