/*
 * buf.c - bounded growable buffers.
 *
 * Shaped after curl's dynbuf: the ceiling is part of the buffer, so the
 * code that appends untrusted bytes cannot forget to check it. Every
 * failure says which it was: the ceiling (LV_ETOOBIG, the input's fault)
 * or memory (-ENOMEM, the machine's), because a caller reports the two
 * differently.
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

/* A failure of this module: no detail but its code (err.h's contract). */
static int fail(int rc)
{
	lv_err_clear();
	return rc;
}

int lv_buf_grow(struct lv_buf *b, size_t n, char **at)
{
	size_t need, cap;
	char *p;

	*at = NULL;
	if (n > b->max || b->len > b->max - n)
		return fail(LV_ETOOBIG);
	need = b->len + n + 1;
	if (need > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < need)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p)
			return fail(-ENOMEM);
		b->p = p;
		b->cap = cap;
	}
	*at = b->p + b->len;
	return 0;
}

int lv_buf_add(struct lv_buf *b, const void *p, size_t n)
{
	char *dst;
	int rc = lv_buf_grow(b, n, &dst);

	if (rc)
		return rc;
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
	int n, rc;
	char *dst;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return fail(-EINVAL);
	if ((size_t)n < sizeof(small))
		return lv_buf_add(b, small, (size_t)n);
	rc = lv_buf_grow(b, (size_t)n, &dst);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf(dst, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}
