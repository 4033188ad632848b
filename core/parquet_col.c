/*
 * parquet_col.c - what the Parquet writer knows of each column: its type
 * and schema element, its chunk's statistics and dictionary, and the
 * footer metadata that names them; and the writer's birth and death.
 *
 * Apart from parquet.c (pages, values, row groups) so that each stays a
 * file one can read in a sitting; this file calls nothing of parquet.c.
 * Why the annotations are as they are (ref: delta-parquet.md §4):
 *  - every column carries both the converted_type and the logicalType a
 *    modern reader expects: hyparquet converts dates and decimals only by
 *    the converted type, arrow-rs refuses a DECIMAL logical type without
 *    the SchemaElement's scale and precision (fields 7 and 8);
 *  - integers carry no annotation, as Spark writes them;
 *  - decimals are INT32 up to precision 9, INT64 up to 18, else a
 *    FIXED_LEN_BYTE_ARRAY of the fewest bytes that hold the precision,
 *    Spark's layout, so the unscaled values are exact everywhere.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lakeview/err.h"
#include "parquet_i.h"

/*
 * created_by in the form parquet-java parses, "<app> version <x.y.z>": it
 * distrusts the old-style statistics of a writer it cannot name. The
 * version is the project's (core/meson.build passes it).
 */
#define CREATED_BY "lakeview version " LV_PROJECT_VERSION

__int128 lv_pq_pow10(int p)
{
	__int128 v = 1;

	while (p-- > 0)
		v *= 10;
	return v;
}

void lv_pq_be(uint8_t *b, __int128 v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		b[i] = (uint8_t)v;
		v >>= 8; /* arithmetic: the sign fills the high bytes */
	}
}

/* The fewest bytes whose two's complement holds @precision digits. */
static int flba_width(int precision)
{
	unsigned __int128 top = (unsigned __int128)lv_pq_pow10(precision) - 1;
	int n = 1;

	while (n < 16 && top > ((unsigned __int128)1 << (8 * n - 1)) - 1)
		n++;
	return n;
}

int lv_pq_decimal_parse(const char *s, size_t n, int precision, int scale,
			__int128 *out)
{
	__int128 v = 0;
	size_t i = 0;
	int neg = 0, digits = 0, frac = 0, dot = 0, any = 0;

	if (i < n && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	for (; i < n; i++) {
		if (s[i] == '.' && !dot) {
			dot = 1;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			return LV_EBADVALUE;
		any = 1;
		if (dot && frac == scale) {
			if (s[i] != '0')
				return LV_EBADVALUE;
			continue;
		}
		frac += dot;
		if (v == 0 && s[i] == '0')
			continue;
		if (++digits > precision)
			return LV_ETOOBIG;
		v = v * 10 + (s[i] - '0');
	}
	if (!any)
		return LV_EBADVALUE;
	for (; frac < scale; frac++) {
		if (v && ++digits > precision)
			return LV_ETOOBIG;
		v *= 10;
	}
	*out = neg ? -v : v;
	return 0;
}

/* ---- the dictionary ---- */

static uint64_t hash(const char *s, size_t n)
{
	uint64_t h = 0x9E3779B97F4A7C15ull ^ n, k;

	while (n >= 8) {
		memcpy(&k, s, 8);
		h = (h ^ k) * 0xFF51AFD7ED558CCDull;
		h ^= h >> 32;
		s += 8;
		n -= 8;
	}
	k = 0;
	memcpy(&k, s, n);
	h = (h ^ k) * 0xC4CEB9FE1A85EC53ull;
	return h ^ h >> 29;
}

static const uint8_t *entry(const struct pq_dict *d, uint32_t i, uint32_t *len)
{
	const uint8_t *p = (const uint8_t *)d->plain.p + d->off[i];

	*len = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
	return p + 4;
}

static int rehash(struct pq_dict *d, size_t nslots)
{
	uint32_t *s = calloc(nslots, sizeof(*s)), len;

	if (!s)
		return -ENOMEM;
	for (uint32_t i = 0; i < d->n; i++) {
		const uint8_t *p = entry(d, i, &len);
		size_t h = hash((const char *)p, len) & (nslots - 1);

		while (s[h])
			h = (h + 1) & (nslots - 1);
		s[h] = i + 1;
	}
	free(d->slots);
	d->slots = s;
	d->nslots = nslots;
	return 0;
}

int lv_pq_dict_add(struct pq_dict *d, const char *s, size_t n, size_t max,
		   uint32_t *idx, int *added)
{
	size_t h, mask;
	uint8_t le[4];
	uint32_t len;
	int rc;

	if (d->nslots < 2 * (d->n + 1)) {
		rc = rehash(d, d->nslots ? d->nslots * 2 : 1024);
		if (rc)
			return rc;
	}
	mask = d->nslots - 1;
	for (h = hash(s, n) & mask; d->slots[h]; h = (h + 1) & mask) {
		const uint8_t *p = entry(d, d->slots[h] - 1, &len);

		if (len == n && !memcmp(p, s, n)) {
			*idx = d->slots[h] - 1;
			*added = 0;
			return 0;
		}
	}
	if (d->plain.len + 4 + n > max || d->n >= UINT32_MAX - 1)
		return LV_ETOOBIG;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 1024;
		uint32_t *o = realloc(d->off, cap * sizeof(*o));

		if (!o)
			return -ENOMEM;
		d->off = o;
		d->cap = cap;
	}
	le[0] = (uint8_t)n;
	le[1] = (uint8_t)(n >> 8);
	le[2] = (uint8_t)(n >> 16);
	le[3] = (uint8_t)(n >> 24);
	d->off[d->n] = (uint32_t)d->plain.len;
	rc = lv_buf_add(&d->plain, le, 4);
	if (!rc)
		rc = lv_buf_add(&d->plain, s, n);
	if (rc) {
		d->plain.len = d->off[d->n];
		return rc;
	}
	d->slots[h] = (uint32_t)++d->n;
	*idx = (uint32_t)(d->n - 1);
	*added = 1;
	return 0;
}

void lv_pq_dict_reset(struct pq_dict *d)
{
	if (d->nslots)
		memset(d->slots, 0, d->nslots * sizeof(*d->slots));
	d->n = 0;
	lv_buf_reset(&d->plain);
}

/* ---- statistics ---- */

static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int r = memcmp(a, b, an < bn ? an : bn);

	return r ? r : (an > bn) - (an < bn);
}

/* The buffers hold at most LV_PARQUET_STAT_MAX bytes: no failure is left. */
static void set_bytes(struct lv_buf *b, const char *s, size_t n)
{
	lv_buf_reset(b);
	if (lv_buf_add(b, s, n))
		b->len = 0;
}

void lv_pq_stat_str(struct pq_col *c, const char *s, size_t n)
{
	if (c->long_str)
		return;
	if (n > LV_PARQUET_STAT_MAX) {
		c->long_str = 1;
		return;
	}
	if (!c->have) {
		c->have = 1;
		set_bytes(&c->smin, s, n);
		set_bytes(&c->smax, s, n);
	} else if (bytes_cmp(s, n, c->smin.p, c->smin.len) < 0) {
		set_bytes(&c->smin, s, n);
	} else if (bytes_cmp(s, n, c->smax.p, c->smax.len) > 0) {
		set_bytes(&c->smax, s, n);
	}
}

void lv_pq_stat_dec(struct pq_col *c, __int128 v)
{
	if (!c->have) {
		c->have = 1;
		c->qmin = c->qmax = v;
	} else if (v < c->qmin) {
		c->qmin = v;
	} else if (v > c->qmax) {
		c->qmax = v;
	}
}

/* min (@max 0) or max as PLAIN bytes without a length; their count. */
static size_t stat_bytes(const struct pq_col *c, int max, uint8_t *b,
			 const char **p)
{
	int64_t i = max ? c->imax : c->imin;
	__int128 q = max ? c->qmax : c->qmin;
	double d = max ? c->dmax : c->dmin;
	size_t n = 0;

	*p = (const char *)b;
	switch (c->type) {
	case LV_PARQUET_STRING:
		*p = max ? c->smax.p : c->smin.p;
		return max ? c->smax.len : c->smin.len;
	case LV_PARQUET_BOOLEAN:
		b[0] = (uint8_t)i;
		return 1;
	case LV_PARQUET_DOUBLE:
		if (d == 0) /* the spec: a zero min is -0.0, a zero max +0.0 */
			d = max ? 0.0 : -0.0;
		memcpy(&i, &d, 8);
		n = 8;
		break;
	case LV_PARQUET_DECIMAL:
		if (c->phys == PQ_FLBA) {
			lv_pq_be(b, q, c->width);
			return (size_t)c->width;
		}
		i = (int64_t)q;
		n = c->phys == PQ_INT32 ? 4 : 8;
		break;
	default:
		n = c->phys == PQ_INT32 ? 4 : 8;
		break;
	}
	for (size_t k = 0; k < n; k++)
		b[k] = (uint8_t)((uint64_t)i >> (8 * k));
	return n;
}

void lv_pq_column_chunk(struct lv_parquet_writer *w, struct pq_col *c,
			struct lv_thrift *t, int64_t dict_off, int64_t data_off)
{
	int nenc = 1 + (c->used_plain || c->used_dict) + c->used_dict;
	uint8_t b[16];
	const char *p;
	size_t n;

	lv_thrift_elem_struct(t);
	lv_thrift_i64(t, 2, 0); /* deprecated; "writers should set 0" */
	lv_thrift_struct(t, 3);
	lv_thrift_i32(t, 1, c->phys);
	lv_thrift_list(t, 2, LV_THRIFT_I32, (size_t)nenc);
	if (c->used_plain || c->used_dict)
		lv_thrift_elem_i32(t, PQ_PLAIN);
	lv_thrift_elem_i32(t, PQ_RLE);
	if (c->used_dict)
		lv_thrift_elem_i32(t, PQ_RLE_DICTIONARY);
	lv_thrift_list(t, 3, LV_THRIFT_BINARY, 1);
	lv_thrift_elem_binary(t, c->name, strlen(c->name));
	lv_thrift_i32(t, 4, w->codec);
	lv_thrift_i64(t, 5, (int64_t)c->chunk_values);
	lv_thrift_i64(t, 6, (int64_t)c->raw);
	lv_thrift_i64(t, 7, (int64_t)c->packed);
	lv_thrift_i64(t, 9, data_off);
	if (dict_off >= 0)
		lv_thrift_i64(t, 11, dict_off);
	lv_thrift_struct(t, 12);
	lv_thrift_i64(t, 3, c->nulls);
	if (c->have && !c->nan && !c->long_str) {
		n = stat_bytes(c, 1, b, &p);
		lv_thrift_binary(t, 5, p, n);
		n = stat_bytes(c, 0, b, &p);
		lv_thrift_binary(t, 6, p, n);
	}
	lv_thrift_struct_end(t);
	lv_thrift_struct_end(t);
	lv_thrift_struct_end(t);
}

/* ---- the schema and the footer ---- */

static void schema_element(struct lv_thrift *t, const struct pq_col *c)
{
	lv_thrift_elem_struct(t);
	lv_thrift_i32(t, 1, c->phys);
	if (c->phys == PQ_FLBA)
		lv_thrift_i32(t, 2, c->width);
	lv_thrift_i32(t, 3, 1); /* OPTIONAL */
	lv_thrift_string(t, 4, c->name);
	switch (c->type) {
	case LV_PARQUET_STRING:
		lv_thrift_i32(t, 6, 0); /* UTF8 */
		lv_thrift_struct(t, 10);
		lv_thrift_empty(t, 1); /* STRING */
		lv_thrift_struct_end(t);
		break;
	case LV_PARQUET_DECIMAL:
		lv_thrift_i32(t, 6, 5); /* DECIMAL */
		lv_thrift_i32(t, 7, c->scale);
		lv_thrift_i32(t, 8, c->precision);
		lv_thrift_struct(t, 10);
		lv_thrift_struct(t, 5);
		lv_thrift_i32(t, 1, c->scale);
		lv_thrift_i32(t, 2, c->precision);
		lv_thrift_struct_end(t);
		lv_thrift_struct_end(t);
		break;
	case LV_PARQUET_DATE:
		lv_thrift_i32(t, 6, 6); /* DATE */
		lv_thrift_struct(t, 10);
		lv_thrift_empty(t, 6);
		lv_thrift_struct_end(t);
		break;
	case LV_PARQUET_TIMESTAMP:
		lv_thrift_i32(t, 6, 10); /* TIMESTAMP_MICROS */
		lv_thrift_struct(t, 10);
		lv_thrift_struct(t, 8);
		lv_thrift_bool(t, 1, 1); /* isAdjustedToUTC */
		lv_thrift_struct(t, 2);
		lv_thrift_empty(t, 2); /* MICROS */
		lv_thrift_struct_end(t);
		lv_thrift_struct_end(t);
		lv_thrift_struct_end(t);
		break;
	default:
		break;
	}
	lv_thrift_struct_end(t);
}

void lv_pq_file_meta(struct lv_parquet_writer *w, struct lv_thrift *t)
{
	lv_thrift_i32(t, 1, 1);
	lv_thrift_list(t, 2, LV_THRIFT_STRUCT, w->n + 1);
	lv_thrift_elem_struct(t);
	lv_thrift_string(t, 4, "schema");
	lv_thrift_i32(t, 5, (int32_t)w->n);
	lv_thrift_struct_end(t);
	for (size_t i = 0; i < w->n; i++)
		schema_element(t, &w->c[i]);
	lv_thrift_i64(t, 3, (int64_t)w->rows);
	lv_thrift_list(t, 4, LV_THRIFT_STRUCT, w->nrg);
	lv_thrift_raw(t, w->groups.p, w->groups.len);
	if (w->nkv) {
		lv_thrift_list(t, 5, LV_THRIFT_STRUCT, w->nkv);
		for (size_t i = 0; i < w->nkv; i++) {
			lv_thrift_elem_struct(t);
			lv_thrift_string(t, 1, w->kv[2 * i]);
			if (w->kv[2 * i + 1])
				lv_thrift_string(t, 2, w->kv[2 * i + 1]);
			lv_thrift_struct_end(t);
		}
	}
	lv_thrift_string(t, 6, w->created_by);
	lv_thrift_list(t, 7, LV_THRIFT_STRUCT, w->n);
	for (size_t i = 0; i < w->n; i++) {
		lv_thrift_elem_struct(t);
		lv_thrift_empty(t, 1); /* TYPE_ORDER */
		lv_thrift_struct_end(t);
	}
}

void lv_pq_col_reset(struct lv_parquet_writer *w, struct pq_col *c)
{
	lv_buf_reset(&c->chunk);
	c->chunk_seen = 0;
	c->chunk_values = c->raw = c->packed = c->rows = 0;
	c->used_plain = c->used_dict = 0;
	c->dict_on = c->type == LV_PARQUET_STRING && !w->no_dict && !c->plain;
	lv_pq_dict_reset(&c->d);
	c->nulls = 0;
	c->have = c->nan = c->long_str = 0;
	lv_buf_reset(&c->smin);
	lv_buf_reset(&c->smax);
}

/* ---- the writer's birth and death ---- */

static char *dup(const char *s)
{
	return strdup(s ? s : "");
}

static int col_init(struct lv_parquet_writer *w, struct pq_col *c,
		    const struct lv_parquet_column *in)
{
	static const int phys[] = {
		[LV_PARQUET_STRING] = PQ_BYTE_ARRAY, [LV_PARQUET_INT32] = PQ_INT32,
		[LV_PARQUET_INT64] = PQ_INT64, [LV_PARQUET_DECIMAL] = PQ_FLBA,
		[LV_PARQUET_DOUBLE] = PQ_DOUBLE, [LV_PARQUET_BOOLEAN] = PQ_BOOLEAN,
		[LV_PARQUET_DATE] = PQ_INT32, [LV_PARQUET_TIMESTAMP] = PQ_INT64,
	};
	char q[96];

	if (!in->name || !*in->name)
		return lv_err_set(-EINVAL, "Parquet: a column without a name");
	if ((unsigned)in->type > LV_PARQUET_TIMESTAMP)
		return lv_err_set(-EINVAL, "Parquet column '%s': unknown type %d",
				  lv_err_quote(in->name, q, sizeof(q)), (int)in->type);
	c->type = in->type;
	c->phys = phys[in->type];
	c->plain = in->plain;
	if (in->type == LV_PARQUET_DECIMAL) {
		if (in->precision < 1 || in->precision > LV_PARQUET_DECIMAL_MAX ||
		    in->scale < 0 || in->scale > in->precision)
			return lv_err_set(-EINVAL, "Parquet column '%s': DECIMAL(%d,%d) out of range",
					  lv_err_quote(in->name, q, sizeof(q)),
					  in->precision, in->scale);
		c->precision = in->precision;
		c->scale = in->scale;
		c->phys = in->precision <= 9 ? PQ_INT32 :
			  in->precision <= 18 ? PQ_INT64 : PQ_FLBA;
		c->width = flba_width(in->precision);
		c->limit = lv_pq_pow10(in->precision);
	}
	c->name = strdup(in->name);
	c->lev = malloc(w->page_rows * sizeof(*c->lev));
	if (c->type == LV_PARQUET_STRING)
		c->idx = malloc(w->page_rows * sizeof(*c->idx));
	if (!c->name || !c->lev || (c->type == LV_PARQUET_STRING && !c->idx))
		return -ENOMEM;
	lv_buf_init(&c->val, w->rg_max + 16);
	lv_buf_init(&c->chunk, 2 * w->rg_max + ((size_t)1 << 20));
	lv_buf_init(&c->d.plain, w->dict_bytes);
	lv_buf_init(&c->smin, LV_PARQUET_STAT_MAX);
	lv_buf_init(&c->smax, LV_PARQUET_STAT_MAX);
	lv_pq_col_reset(w, c);
	return 0;
}

static int options(struct lv_parquet_writer *w, const struct lv_parquet_options *o)
{
	static const struct lv_parquet_options none;

	if (!o)
		o = &none;
	if (o->codec != LV_PARQUET_UNCOMPRESSED && o->codec != LV_PARQUET_ZSTD)
		return lv_err_set(-EINVAL, "Parquet: unknown codec %d", (int)o->codec);
	if (o->row_group_bytes > LV_PARQUET_ROW_GROUP_BYTES)
		return lv_err_set(-EINVAL, "Parquet: row groups of %zu bytes (at most %zu)",
				  o->row_group_bytes, LV_PARQUET_ROW_GROUP_BYTES);
	if (o->page_rows > ((size_t)1 << 24) || o->dict_bytes > INT32_MAX ||
	    o->page_bytes > INT32_MAX || o->nkv > 4096)
		return lv_err_set(-EINVAL, "Parquet: page, dictionary or key-value options out of range");
	w->codec = o->codec;
	w->level = o->zstd_level ? o->zstd_level : ZSTD_CLEVEL_DEFAULT;
	w->rg_max = o->row_group_bytes ? o->row_group_bytes : LV_PARQUET_ROW_GROUP_BYTES;
	w->page_bytes = o->page_bytes ? o->page_bytes : LV_PARQUET_PAGE_BYTES;
	w->page_rows = o->page_rows ? o->page_rows : LV_PARQUET_PAGE_ROWS;
	w->dict_bytes = o->dict_bytes ? o->dict_bytes : LV_PARQUET_DICT_BYTES;
	w->no_dict = o->no_dictionary;
	w->created_by = dup(o->created_by ? o->created_by : CREATED_BY);
	if (!w->created_by)
		return -ENOMEM;
	if (o->nkv) {
		w->kv = calloc(2 * o->nkv, sizeof(*w->kv));
		if (!w->kv)
			return -ENOMEM;
		w->nkv = o->nkv;
		for (size_t i = 0; i < o->nkv; i++) {
			if (!o->kv[i].key)
				return lv_err_set(-EINVAL, "Parquet: a key-value without a key");
			w->kv[2 * i] = dup(o->kv[i].key);
			if (o->kv[i].value)
				w->kv[2 * i + 1] = dup(o->kv[i].value);
			if (!w->kv[2 * i] || (o->kv[i].value && !w->kv[2 * i + 1]))
				return -ENOMEM;
		}
	}
	if (w->codec == LV_PARQUET_ZSTD && !(w->z = ZSTD_createCCtx()))
		return -ENOMEM;
	return 0;
}

int lv_parquet_writer_new(struct lv_parquet_writer **out,
			  const struct lv_parquet_column *cols, size_t ncols,
			  const struct lv_parquet_options *opt,
			  lv_parquet_write_fn write, void *ctx)
{
	struct lv_parquet_writer *w;
	int rc;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!cols || !ncols || ncols > INT16_MAX || !write)
		return lv_err_set(-EINVAL, "Parquet: 1 to %d columns and a write function",
				  INT16_MAX);
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->write = write;
	w->ctx = ctx;
	lv_buf_init(&w->groups, LV_PARQUET_FOOTER_MAX);
	lv_buf_init(&w->body, LV_PARQUET_FOOTER_MAX + 2 * w->rg_max);
	lv_buf_init(&w->hdr, 256);
	lv_buf_init(&w->zbuf, 0);
	rc = options(w, opt);
	if (rc)
		goto out;
	w->body.max = LV_PARQUET_FOOTER_MAX + 2 * w->rg_max;
	w->zbuf.max = ZSTD_compressBound(w->body.max);
	w->c = calloc(ncols, sizeof(*w->c));
	if (!w->c) {
		rc = -ENOMEM;
		goto out;
	}
	w->n = ncols;
	for (size_t i = 0; i < ncols; i++) {
		rc = col_init(w, &w->c[i], &cols[i]);
		if (rc)
			goto out;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(w->c[j].name, w->c[i].name)) {
				char q[96];

				rc = lv_err_set(-EINVAL, "Parquet: column '%s' twice",
						lv_err_quote(cols[i].name, q, sizeof(q)));
				goto out;
			}
	}
	rc = w->write(w->ctx, "PAR1", 4);
	w->off = 4;
out:
	if (rc) {
		lv_parquet_writer_free(w);
		return rc;
	}
	*out = w;
	return 0;
}

void lv_parquet_writer_free(struct lv_parquet_writer *w)
{
	if (!w)
		return;
	for (size_t i = 0; w->c && i < w->n; i++) {
		struct pq_col *c = &w->c[i];

		free(c->name);
		free(c->lev);
		free(c->idx);
		lv_buf_free(&c->val);
		lv_buf_free(&c->chunk);
		free(c->d.slots);
		free(c->d.off);
		lv_buf_free(&c->d.plain);
		lv_buf_free(&c->smin);
		lv_buf_free(&c->smax);
	}
	free(w->c);
	for (size_t i = 0; i < 2 * w->nkv; i++)
		free(w->kv[i]);
	free(w->kv);
	free(w->created_by);
	lv_buf_free(&w->groups);
	lv_buf_free(&w->body);
	lv_buf_free(&w->hdr);
	lv_buf_free(&w->zbuf);
	ZSTD_freeCCtx(w->z);
	free(w);
}
