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

#endif
