/*
 * adls_queue_i.h - Put Block in parallel (adls_queue.c), used by the push.
 */
#ifndef LAKEVIEW_ADLS_QUEUE_I_H
#define LAKEVIEW_ADLS_QUEUE_I_H

#include "adls_i.h"

/*
 * Put Block in parallel: lanes each with their own client
 * and connection take queued blocks; the caller waits for all before it
 * commits the block list. The first error stops the queue and is what
 * lv_adls_queue_put and lv_adls_queue_wait return from then on (with its
 * detail in lv_err_detail of the calling thread).
 */
struct lv_adls_queue;
int lv_adls_queue_new(struct lv_adls *a, unsigned lanes, struct lv_adls_queue **out);
/* Queue a copy of @data as block @id of @c/@path; waits while the queue is
 * full. @c and @path must stay valid until lv_adls_queue_wait returns. */
int lv_adls_queue_put(struct lv_adls_queue *q, const char *c, const char *path,
		      const char *id, const void *data, size_t len);
/* Wait until every queued block is uploaded (or failed). */
int lv_adls_queue_wait(struct lv_adls_queue *q);
/* Stop the lanes (after a wait) and free; adds their bytes to the parent. */
void lv_adls_queue_free(struct lv_adls_queue *q);

#endif
