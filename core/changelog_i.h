/*
 * changelog_i.h - the change log's writer (changelog.c).
 */
#ifndef LAKEVIEW_CHANGELOG_I_H
#define LAKEVIEW_CHANGELOG_I_H

#include "batch_i.h"

#define LOG_GROUP_MAX (16 * 4096 - 16)  /* a group: 16 LMDB overflow pages */
#define LOG_REC_MAXHDR (1 + 16 + 3 * 10)  /* op, id, three varints */

/* The versionnumber an @odata.etag W/"n" carries (0 when it carries
 * none): 0, or LV_EBADVALUE when the number passes INT64_MAX. */
int lv_log_etag_version(const struct lv_jfield *f, int64_t *version);
/* Log the change the batch just encoded. */
int lv_log_change(struct lv_batch *b, const uint8_t id[16], int del,
		  int64_t version, uint32_t sink_created);
/* Write the group being filled. */
int lv_log_flush(struct lv_batch *b);

#endif
