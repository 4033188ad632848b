/*
 * adls_i.h - Blob calls used by the push (push.c), inside core only.
 */
#ifndef LAKEVIEW_ADLS_I_H
#define LAKEVIEW_ADLS_I_H

#include "lakeview/adls.h"
#include "lakeview/adls_sign.h"

/* Uploads and copies give the new blob's ETag in @etag (64 bytes). */
int lv_adls_put_blob(struct lv_adls *a, const char *c, const char *path,
		     const void *data, size_t len, const char *ctype, char *etag);
int lv_adls_put_block(struct lv_adls *a, const char *c, const char *path,
		      const char *id, const void *data, size_t len);
int lv_adls_put_block_list(struct lv_adls *a, const char *c, const char *path,
			   const char (*ids)[LV_ADLS_SIGN_BLOCK_ID_SIZE], size_t n,
			   const char *md5_b64, const char *ctype, char *etag);
/* Ids of the blocks the server holds for a blob (committed and not);
 * a missing blob has none. */
int lv_adls_block_ids(struct lv_adls *a, const char *c, const char *path,
		      int (*fn)(void *arg, const char *id), void *arg);
int lv_adls_copy(struct lv_adls *a, const char *c, const char *dst,
		 const char *src, char *etag);
int lv_adls_delete(struct lv_adls *a, const char *c, const char *path);

/* A second client with the same endpoint and credentials and its own
 * connection, for another thread; free it with lv_adls_free. */
int lv_adls_clone(const struct lv_adls *a, struct lv_adls **out);
/* Count @n bytes sent by a clone in @a's total. */
void lv_adls_add_sent(struct lv_adls *a, uint64_t n);

/*
 * Put Block in parallel (adls_queue.c): lanes each with their own client
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
