/*
 * buf.c - bounded growable buffers.
 *
 * Shaped after curl's dynbuf: the ceiling is part of the buffer, so the
 * code that appends untrusted bytes cannot forget to check it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lakeview/buf.h"
#include "lakeview/err.h"

void lv_buf_init(struct lv_buf *b, size_t max)
{
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

void lv_buf_free(struct lv_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = 0;
	b->cap = 0;
}

void lv_buf_reset(struct lv_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

char *lv_buf_grow(struct lv_buf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (n > b->max || b->len > b->max - n)
		return NULL;
	need = b->len + n + 1;
	if (need > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < need)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return NULL;
		b->p = p;
		b->cap = cap;
	}
	return b->p + b->len;
}

int lv_buf_add(struct lv_buf *b, const void *p, size_t n)
{
	char *dst;

	if (n > b->max || b->len > b->max - n)
		return LV_ETOOBIG;
	dst = lv_buf_grow(b, n);
	if (!dst)
		return -ENOMEM;
	if (n)
		memcpy(dst, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int lv_buf_adds(struct lv_buf *b, const char *s)
{
	return lv_buf_add(b, s, strlen(s));
}

int lv_buf_addc(struct lv_buf *b, char c)
{
	return lv_buf_add(b, &c, 1);
}

int lv_buf_addf(struct lv_buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	int n;
	char *dst;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n < sizeof(small))
		return lv_buf_add(b, small, (size_t)n);
	if ((size_t)n > b->max || b->len > b->max - (size_t)n)
		return LV_ETOOBIG;
	dst = lv_buf_grow(b, (size_t)n);
	if (!dst)
		return -ENOMEM;
	va_start(ap, fmt);
	vsnprintf(dst, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}
