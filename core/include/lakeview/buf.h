/**
 * @file buf.h
 * @brief Growable byte buffers that carry their own ceiling (curl's dynbuf).
 *
 * Caveats first: a buffer never grows past the maximum it was created with;
 * an append that would pass it fails with LV_ETOOBIG and leaves the buffer
 * as it was. Every use names its ceiling, so no input can grow memory
 * without bound. The content is always NUL-terminated (not counted in len).
 */
#ifndef LAKEVIEW_BUF_H
#define LAKEVIEW_BUF_H

#include <stddef.h>

struct lv_buf {
	char *p;      /**< bytes, NUL-terminated; NULL until the first append */
	size_t len;   /**< bytes in use */
	size_t cap;   /**< bytes allocated */
	size_t max;   /**< ceiling on len */
};

/** Set up an empty buffer that may hold at most @p max bytes. */
void lv_buf_init(struct lv_buf *b, size_t max);
/** Free the bytes; the buffer is empty and reusable afterwards. */
void lv_buf_free(struct lv_buf *b);
/** Forget the content, keep the allocation. */
void lv_buf_reset(struct lv_buf *b);
/**
 * Append @p n bytes. @return 0, LV_ETOOBIG (the ceiling) or -ENOMEM; a
 * failure clears the error detail (err.h) and leaves the buffer as it was.
 */
int lv_buf_add(struct lv_buf *b, const void *p, size_t n)
	__attribute__((warn_unused_result));
/** Append a NUL-terminated string. */
int lv_buf_adds(struct lv_buf *b, const char *s)
	__attribute__((warn_unused_result));
/** Append one byte. */
int lv_buf_addc(struct lv_buf *b, char c)
	__attribute__((warn_unused_result));
/** Append printf-formatted text (-EINVAL for a bad format). */
int lv_buf_addf(struct lv_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), warn_unused_result));
/**
 * Make room for @p n more bytes (and the NUL after them) and set @p at to
 * where they go; the caller writes them and adds @p n to len.
 * @return 0; LV_ETOOBIG when len + @p n would pass the ceiling; -ENOMEM.
 *         On failure @p at is NULL and the buffer is as it was.
 */
int lv_buf_grow(struct lv_buf *b, size_t n, char **at)
	__attribute__((warn_unused_result));

#endif
