/*
 * jrow.h - a decoder for one flat JSON object: a Web API row.
 *
 * Why not jansson here: a row is parsed for every change (a million per
 * initial sync of a large table), numbers must keep their exact decimal
 * text (a money value of 922337203685477.0000 does not survive a double),
 * and the lookups by column name must not be linear. This decoder keeps
 * number text raw, decodes strings only when they hold escapes, checks
 * UTF-8, and hashes the keys once. Nested objects and arrays are skipped
 * (kept as raw text) since Web API rows carry none in the columns we map.
 *
 * Internal to core; not installed.
 */
#ifndef LAKEVIEW_JROW_H
#define LAKEVIEW_JROW_H

#include <stddef.h>
#include <stdint.h>

#include "lakeview/buf.h"

enum lv_jkind { LV_J_NULL, LV_J_TRUE, LV_J_FALSE, LV_J_NUM, LV_J_STR,
		LV_J_NESTED };

/* Most fields one row may carry, and the deepest nesting skipped. */
#define LV_JROW_MAX_FIELDS 4096
#define LV_JROW_MAX_DEPTH 32

struct lv_jfield {
	const char *key;
	size_t klen;
	const char *val;    /* string content (decoded), number text, raw */
	size_t vlen;
	uint32_t hash;
	uint8_t kind;
	uint8_t key_scratch, val_scratch;
	size_t koff, voff;  /* offsets into scratch while parsing */
};

struct lv_jrow {
	struct lv_jfield *f;
	size_t n, cap;
	uint32_t *slots;    /* open addressing: index + 1, 0 = empty */
	size_t nslots;
	struct lv_buf scratch;
};

void lv_jrow_init(struct lv_jrow *r);
void lv_jrow_free(struct lv_jrow *r);

/*
 * Parse @p n bytes holding exactly one JSON object (surrounding white
 * space allowed). Pointers in the fields point into @p p or the row's
 * scratch, valid until the next parse.
 * Returns 0 or LV_EBADJSON / LV_ETOOBIG with the detail set (byte offset).
 */
int lv_jrow_parse(struct lv_jrow *r, const char *p, size_t n);

uint32_t lv_jrow_hash(const char *key, size_t len);

/* Field @p key (with its precomputed hash), or NULL. */
const struct lv_jfield *lv_jrow_get(const struct lv_jrow *r, const char *key,
				    size_t klen, uint32_t hash);

/*
 * Iterate the elements of the JSON array held in @p p / @p n (e.g. the raw
 * text of a LV_J_NESTED field). Start with *pos = 0. On return 1, *elem /
 * *elen span the next element's raw text; 0 at the end; LV_EBADJSON.
 */
int lv_json_array_next(const char *p, size_t n, size_t *pos, const char **elem,
		       size_t *elen);

/* Is @p p / @p n valid UTF-8 (no overlongs, no surrogates)? */
int lv_utf8_valid(const char *p, size_t n);

#endif
