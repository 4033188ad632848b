/*
 * item.c - a change-tracking item parsed ahead of its batch: lakectl
 * ingest parses the next items on a second thread while the batch applies
 * the current ones, so an item owns its JSON text and its decoded row.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "batch_i.h"
#include "lakeview/err.h"

/* --- items parsed ahead ------------------------------------------------------ */


int lv_item_new(struct lv_item **out)
{
	struct lv_item *it = calloc(1, sizeof(*it));

	*out = it;
	if (!it)
		return -ENOMEM;
	lv_buf_init(&it->text, LV_ITEM_MAX);
	lv_jrow_init(&it->row);
	return 0;
}

void lv_item_free(struct lv_item *it)
{
	if (!it)
		return;
	lv_buf_free(&it->text);
	lv_jrow_free(&it->row);
	free(it);
}

int lv_item_parse(struct lv_item *it, const char *json, size_t len)
{
	lv_err_clear();
	lv_buf_reset(&it->text);
	it->rc = lv_buf_add(&it->text, json, len);
	if (it->rc == LV_ETOOBIG)
		lv_err_set(it->rc, "item of %zu bytes passes the %zu MiB limit", len,
			   (size_t)LV_ITEM_MAX >> 20);
	if (!it->rc)
		it->rc = lv_jrow_parse(&it->row, it->text.p, len);
	if (it->rc)
		snprintf(it->detail, sizeof(it->detail), "%s", lv_err_detail());
	else
		it->detail[0] = '\0';
	return it->rc;
}

void lv_item_prefetch(const struct lv_item *it)
{
	const char *t = it->text.p, *f = (const char *)it->row.f;

	for (size_t i = 0; i < it->text.len; i += 64)
		__builtin_prefetch(t + i);
	for (size_t i = 0; i < it->row.n * sizeof(*it->row.f); i += 64)
		__builtin_prefetch(f + i);
	for (size_t i = 0; i < it->row.nslots * sizeof(*it->row.slots); i += 64)
		__builtin_prefetch((const char *)it->row.slots + i);
	for (size_t i = 0; i < it->row.scratch.len; i += 64)
		__builtin_prefetch(it->row.scratch.p + i);
}

size_t lv_item_size(const struct lv_item *it)
{
	return it->text.cap + it->row.scratch.cap;
}

