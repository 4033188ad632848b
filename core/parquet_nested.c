/*
 * parquet_nested.c - small Parquet files of nested records: JSON objects
 * in, shredded into columns by a schema tree, one file out.
 *
 * Why this shape:
 *  - Delta's checkpoints are Parquet files whose columns are structs,
 *    maps and lists (reference/delta-parquet.md §3.4, §6.8); everything
 *    else lakeview writes is flat (parquet.c). A checkpoint holds one row
 *    per action of a table — thousands, not millions — so this writer
 *    keeps the whole file in memory, writes one row group of one PLAIN,
 *    uncompressed v1 data page per leaf column, and no statistics: every
 *    reader reads that, and none needs more for a file this size.
 *  - The records are jansson objects because that is what the Delta log
 *    is made of already: a map is a JSON object, a list a JSON array, a
 *    missing or null member a null. The shredding is Dremel's: each leaf
 *    gets a repetition and a definition level per value, computed by one
 *    recursive walk of the schema beside the record.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lakeview/err.h"
#include "lakeview/parquet.h"
#include "parquet_i.h"

struct leaf {
	size_t node;
	int max_rep, max_def;
	uint32_t *rep, *def;
	size_t n, cap;
	struct lv_buf val;
	uint8_t bits;          /* booleans: the byte being filled */
	size_t nbits;
};

struct shred {
	const struct lv_pqn *s;
	size_t ns;
	size_t *end;           /* node -> one past its subtree */
	int *leaf;             /* node -> leaf index or -1 */
	int *replevel;         /* node -> repeated nodes from the root to it */
	struct leaf *l;
	size_t nl;
	int rc;
};

static int is_group(const struct lv_pqn *n)
{
	return n->kind == LV_PQN_GROUP || n->kind == LV_PQN_MAP || n->kind == LV_PQN_LIST;
}

/* Walk the preorder array: subtree ends, leaves, levels. */
static size_t index_tree(struct shred *h, size_t i, int rep, int def)
{
	const struct lv_pqn *n = &h->s[i];
	size_t j = i + 1;

	rep += n->repetition == LV_PQN_REPEATED;
	def += n->repetition != LV_PQN_REQUIRED;
	if (i == 0)
		rep = def = 0;  /* the root is the message, no level of its own */
	h->replevel[i] = rep;
	if (!is_group(n)) {
		h->leaf[i] = (int)h->nl;
		h->l[h->nl].node = i;
		h->l[h->nl].max_rep = rep;
		h->l[h->nl].max_def = def;
		lv_buf_init(&h->l[h->nl].val, (size_t)64 << 20);
		h->nl++;
	} else {
		for (int c = 0; c < n->nchildren && j < h->ns; c++)
			j = index_tree(h, j, rep, def);
	}
	h->end[i] = j;
	return j;
}

static void put(struct shred *h, size_t node, int r, int d, json_t *v)
{
	struct leaf *l = &h->l[h->leaf[node]];
	const struct lv_pqn *n = &h->s[node];
	int rc = 0;

	if (h->rc)
		return;
	if (l->n == l->cap) {
		size_t nc = l->cap ? 2 * l->cap : 64;
		uint32_t *a = realloc(l->rep, nc * sizeof(*a)), *b;

		if (!a) {
			h->rc = -ENOMEM;
			return;
		}
		l->rep = a;
		b = realloc(l->def, nc * sizeof(*b));
		if (!b) {
			h->rc = -ENOMEM;
			return;
		}
		l->def = b;
		l->cap = nc;
	}
	l->rep[l->n] = (uint32_t)r;
	l->def[l->n] = (uint32_t)d;
	l->n++;
	if (d < l->max_def)
		return;  /* a null at some level: no value */
	switch (n->kind) {
	case LV_PQN_STRING: {
		const char *s = json_string_value(v);
		size_t len = s ? json_string_length(v) : 0;
		uint8_t le[4] = { (uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16),
				  (uint8_t)(len >> 24) };

		if (!s) {
			h->rc = lv_err_set(-EINVAL, "parquet: column %s wants a string", n->name);
			return;
		}
		rc = lv_buf_add(&l->val, le, 4);
		if (!rc)
			rc = lv_buf_add(&l->val, s, len);
		break;
	}
	case LV_PQN_INT32: {
		int32_t x = (int32_t)json_integer_value(v);
		uint8_t le[4] = { (uint8_t)x, (uint8_t)(x >> 8), (uint8_t)(x >> 16),
				  (uint8_t)((uint32_t)x >> 24) };

		rc = lv_buf_add(&l->val, le, 4);
		break;
	}
	case LV_PQN_INT64: {
		uint64_t x = (uint64_t)json_integer_value(v);
		uint8_t le[8];

		for (int k = 0; k < 8; k++)
			le[k] = (uint8_t)(x >> (8 * k));
		rc = lv_buf_add(&l->val, le, 8);
		break;
	}
	default: /* LV_PQN_BOOLEAN: bit-packed, least significant bit first */
		if (json_is_true(v))
			l->bits |= (uint8_t)(1u << (l->nbits % 8));
		if (++l->nbits % 8 == 0) {
			rc = lv_buf_addc(&l->val, (char)l->bits);
			l->bits = 0;
		}
		break;
	}
	if (rc)
		h->rc = rc;
}

/* Every leaf under @node gets (r, d) and no value. */
static void nulls(struct shred *h, size_t node, int r, int d)
{
	for (size_t i = node; i < h->end[node]; i++)
		if (h->leaf[i] >= 0)
			put(h, i, r, d, NULL);
}

static void walk(struct shred *h, size_t i, json_t *v, int r, int d);

/* The children of group @i, members of object @v. */
static void members(struct shred *h, size_t i, json_t *v, int r, int d)
{
	for (size_t c = i + 1; c < h->end[i]; c = h->end[c])
		walk(h, c, json_object_get(v, h->s[c].name), r, d);
}

static void walk(struct shred *h, size_t i, json_t *v, int r, int d)
{
	const struct lv_pqn *n = &h->s[i];
	size_t rep = i + 1, k = 0;
	const char *key;
	json_t *x;

	if (n->repetition == LV_PQN_OPTIONAL) {
		if (!v || json_is_null(v)) {
			nulls(h, i, r, d);
			return;
		}
		d++;
	} else if (!v) {
		h->rc = lv_err_set(-EINVAL, "parquet: required column %s is missing", n->name);
		return;
	}
	if (!is_group(n)) {
		put(h, i, r, d, v);
		return;
	}
	if (n->kind == LV_PQN_GROUP) {
		members(h, i, v, r, d);
		return;
	}
	/* a MAP or LIST: its one child repeats, once per entry */
	if ((n->kind == LV_PQN_MAP && !json_object_size(v)) ||
	    (n->kind == LV_PQN_LIST && !json_array_size(v))) {
		nulls(h, rep, r, d);  /* there, and empty */
		return;
	}
	if (n->kind == LV_PQN_MAP) {
		json_object_foreach(v, key, x) {
			json_t *e = json_pack("{s:s,s:O}", h->s[rep + 1].name, key,
					      h->s[h->end[rep + 1]].name, x);

			if (!e) {
				h->rc = -ENOMEM;
				return;
			}
			members(h, rep, e, k++ ? h->replevel[rep] : r, d + 1);
			json_decref(e);
		}
		return;
	}
	json_array_foreach(v, k, x) {
		json_t *e = json_pack("{s:O}", h->s[rep + 1].name, x);

		if (!e) {
			h->rc = -ENOMEM;
			return;
		}
		members(h, rep, e, k ? h->replevel[rep] : r, d + 1);
		json_decref(e);
	}
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int k = 0; k < 4; k++)
		p[k] = (uint8_t)(v >> (8 * k));
}

/* Levels, 4-byte length first, RLE/bit-packed hybrid. */
static int levels(struct lv_buf *b, const uint32_t *v, size_t n, int max)
{
	size_t at = b->len;
	uint8_t z[4] = { 0 };
	int rc;

	if (!max)
		return 0;
	rc = lv_buf_add(b, z, 4);
	if (!rc)
		rc = lv_parquet_rle(b, v, n, lv_parquet_width((uint32_t)max));
	if (!rc)
		put_le32((uint8_t *)b->p + at, (uint32_t)(b->len - at - 4));
	return rc;
}

static int phys(int kind)
{
	return kind == LV_PQN_STRING ? PQ_BYTE_ARRAY : kind == LV_PQN_INT32 ? PQ_INT32 :
	       kind == LV_PQN_INT64 ? PQ_INT64 : PQ_BOOLEAN;
}

static void schema_element(struct lv_thrift *t, const struct lv_pqn *n, int root)
{
	lv_thrift_elem_struct(t);
	if (!is_group(n))
		lv_thrift_i32(t, 1, phys(n->kind));
	if (!root)
		lv_thrift_i32(t, 3, n->repetition);
	lv_thrift_string(t, 4, n->name);
	if (is_group(n))
		lv_thrift_i32(t, 5, n->nchildren);
	if (n->kind == LV_PQN_STRING || n->kind == LV_PQN_MAP || n->kind == LV_PQN_LIST) {
		/* converted UTF8 0 / MAP 1 / LIST 3; logical STRING 1 / MAP 2 / LIST 3 */
		lv_thrift_i32(t, 6, n->kind == LV_PQN_STRING ? 0 : n->kind == LV_PQN_MAP ? 1 : 3);
		lv_thrift_struct(t, 10);
		lv_thrift_empty(t, n->kind == LV_PQN_STRING ? 1 : n->kind == LV_PQN_MAP ? 2 : 3);
		lv_thrift_struct_end(t);
	}
	lv_thrift_struct_end(t);
}

int lv_parquet_nested_write(const struct lv_pqn *schema, size_t nschema, json_t *rows,
			    struct lv_buf *out)
{
	struct shred h = { .s = schema, .ns = nschema };
	struct lv_buf body, hdr, meta;
	int64_t *offs = NULL;
	size_t nrows = json_array_size(rows), i;
	json_t *row;
	int rc = 0;

	lv_buf_init(&body, (size_t)64 << 20);
	lv_buf_init(&hdr, 4096);
	lv_buf_init(&meta, (size_t)16 << 20);
	h.end = calloc(nschema, sizeof(*h.end));
	h.leaf = calloc(nschema, sizeof(*h.leaf));
	h.replevel = calloc(nschema, sizeof(*h.replevel));
	h.l = calloc(nschema, sizeof(*h.l));
	offs = calloc(nschema, sizeof(*offs));
	if (!nschema || !h.end || !h.leaf || !h.replevel || !h.l || !offs) {
		rc = nschema ? -ENOMEM : -EINVAL;
		goto out;
	}
	for (i = 0; i < nschema; i++)
		h.leaf[i] = -1;
	if (index_tree(&h, 0, 0, 0) != nschema) {
		rc = lv_err_set(-EINVAL, "parquet: the nested schema's child counts do not add up");
		goto out;
	}
	json_array_foreach(rows, i, row)
		members(&h, 0, row, 0, 0);
	rc = h.rc;
	if (rc)
		goto out;
	rc = lv_buf_add(out, "PAR1", 4);
	/* one page per leaf, in schema order */
	for (i = 0; !rc && i < h.nl; i++) {
		struct leaf *l = &h.l[i];
		struct lv_thrift t;

		if (l->nbits % 8)
			rc = lv_buf_addc(&l->val, (char)l->bits);
		lv_buf_reset(&body);
		lv_buf_reset(&hdr);
		if (!rc)
			rc = levels(&body, l->rep, l->n, l->max_rep);
		if (!rc)
			rc = levels(&body, l->def, l->n, l->max_def);
		if (!rc && l->val.len)
			rc = lv_buf_add(&body, l->val.p, l->val.len);
		if (rc)
			break;
		lv_thrift_init(&t, &hdr);
		lv_thrift_i32(&t, 1, PQ_DATA_PAGE);
		lv_thrift_i32(&t, 2, (int32_t)body.len);
		lv_thrift_i32(&t, 3, (int32_t)body.len);
		lv_thrift_struct(&t, 5);
		lv_thrift_i32(&t, 1, (int32_t)l->n);
		lv_thrift_i32(&t, 2, PQ_PLAIN);
		lv_thrift_i32(&t, 3, PQ_RLE);
		lv_thrift_i32(&t, 4, PQ_RLE);
		lv_thrift_struct_end(&t);
		rc = lv_thrift_end(&t);
		offs[i] = (int64_t)out->len;
		if (!rc)
			rc = lv_buf_add(out, hdr.p, hdr.len);
		if (!rc && body.len)
			rc = lv_buf_add(out, body.p, body.len);
		l->val.len = hdr.len + body.len;  /* the chunk's size, from here on */
	}
	if (rc)
		goto out;
	{
		struct lv_thrift t;
		uint8_t tail[8];
		int64_t total = 0;

		lv_thrift_init(&t, &meta);
		lv_thrift_i32(&t, 1, 1);
		lv_thrift_list(&t, 2, LV_THRIFT_STRUCT, nschema);
		for (i = 0; i < nschema; i++)
			schema_element(&t, &schema[i], i == 0);
		lv_thrift_i64(&t, 3, (int64_t)nrows);
		lv_thrift_list(&t, 4, LV_THRIFT_STRUCT, 1);
		lv_thrift_elem_struct(&t);
		lv_thrift_list(&t, 1, LV_THRIFT_STRUCT, h.nl);
		for (i = 0; i < h.nl; i++) {
			struct leaf *l = &h.l[i];
			size_t depth = 0, path[64];

			/* the path from the root's child to the leaf */
			for (size_t a = 1; a <= l->node && depth < 64; a++)
				if (a <= l->node && h.end[a] > l->node)
					path[depth++] = a;
			lv_thrift_elem_struct(&t);
			lv_thrift_i64(&t, 2, 0); /* deprecated; "writers should set 0" */
			lv_thrift_struct(&t, 3);
			lv_thrift_i32(&t, 1, phys(schema[l->node].kind));
			lv_thrift_list(&t, 2, LV_THRIFT_I32, 2);
			lv_thrift_elem_i32(&t, PQ_PLAIN);
			lv_thrift_elem_i32(&t, PQ_RLE);
			lv_thrift_list(&t, 3, LV_THRIFT_BINARY, depth);
			for (size_t k = 0; k < depth; k++)
				lv_thrift_elem_binary(&t, schema[path[k]].name,
						      strlen(schema[path[k]].name));
			lv_thrift_i32(&t, 4, 0);  /* UNCOMPRESSED */
			lv_thrift_i64(&t, 5, (int64_t)l->n);
			lv_thrift_i64(&t, 6, (int64_t)l->val.len);
			lv_thrift_i64(&t, 7, (int64_t)l->val.len);
			lv_thrift_i64(&t, 9, offs[i]);
			lv_thrift_struct_end(&t);
			lv_thrift_struct_end(&t);
			total += (int64_t)l->val.len;
		}
		lv_thrift_i64(&t, 2, total);
		lv_thrift_i64(&t, 3, (int64_t)nrows);
		lv_thrift_struct_end(&t);
		lv_thrift_string(&t, 6, "lakeview version " LV_PROJECT_VERSION);
		rc = lv_thrift_end(&t);
		if (!rc)
			rc = lv_buf_add(out, meta.p, meta.len);
		put_le32(tail, (uint32_t)meta.len);
		memcpy(tail + 4, "PAR1", 4);
		if (!rc)
			rc = lv_buf_add(out, tail, 8);
	}
out:
	for (i = 0; h.l && i < h.nl; i++) {
		free(h.l[i].rep);
		free(h.l[i].def);
		lv_buf_free(&h.l[i].val);
	}
	free(h.l);
	free(h.end);
	free(h.leaf);
	free(h.replevel);
	free(offs);
	lv_buf_free(&body);
	lv_buf_free(&hdr);
	lv_buf_free(&meta);
	return rc;
}
