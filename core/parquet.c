/*
 * parquet.c - the Parquet writer: typed values in, row by row; pages,
 * column chunks, row groups and the footer out, front to back.
 *
 * Ours because Debian 12 packages no Parquet library (Arrow is not in it);
 * it knows columns and pages, nothing of the store or of Dataverse, so the
 * Delta writer above it decides what a file holds. The shape, and why
 * (facts and sources: ../shared/reference/delta-parquet.md):
 *  - Row by row, because its caller fills row groups from records; each
 *    column keeps its own page and its own chunk of finished pages, so a
 *    column chunk is contiguous in the file (the format wants that) and
 *    memory holds one row group at most: at the end of the first row that
 *    reaches the ceiling, the row group is written out column by column.
 *  - v1 data pages (the Delta spec's advice for non-Delta readers):
 *    definition levels in the RLE/bit-packed hybrid with their 4-byte
 *    length, then the values, the whole body compressed.
 *  - Strings start dictionary-encoded (a PLAIN dictionary page first in
 *    the chunk, RLE_DICTIONARY data pages) and fall back to PLAIN for the
 *    rest of the row group when the dictionary passes its ceiling, or at
 *    the first page when it would not be smaller than PLAIN (a column of
 *    GUIDs). Other types are PLAIN: Parquet's statistics and zstd do what
 *    a dictionary would for them.
 *  - Statistics per column chunk, min_value/max_value in the type's order
 *    (TYPE_ORDER), never the deprecated signed min/max; a chunk with a NaN
 *    or a string past LV_PARQUET_STAT_MAX gets null_count alone, since a
 *    wrong bound is worse than none.
 *  - ZSTD (Debian's libzstd) or none: the codec the 2026 Delta spec
 *    prefers, read by DuckDB, arrow-rs and hyparquet-compressors.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "lakeview/err.h"
#include "lakeview/parquet.h"
#include "parquet_i.h"
#include "thrift_i.h"

int lv_parquet_write_buf(void *ctx, const void *p, size_t n)
{
	return lv_buf_add(ctx, p, n);
}

int lv_parquet_write_fd(void *ctx, const void *p, size_t n)
{
	const char *s = p;

	while (n) {
		ssize_t k = write(*(int *)ctx, s, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		s += k;
		n -= (size_t)k;
	}
	return 0;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* The hybrid never needs more than this for @n values of @width bits. */
static size_t rle_bound(size_t n, int width)
{
	return (n / 8 + 2) * ((size_t)width + 10);
}

static int run8(const uint32_t *v, size_t i, size_t n)
{
	if (n - i < 8)
		return 0;
	for (size_t k = 1; k < 8; k++)
		if (v[i + k] != v[i])
			return 0;
	return 1;
}

int lv_parquet_rle(struct lv_buf *b, const uint32_t *v, size_t n, int width)
{
	size_t vbytes = ((size_t)width + 7) / 8, i = 0;
	uint8_t *o;
	char *at;
	int rc;

	if (width < 0 || width > 32)
		return -EINVAL;
	rc = lv_buf_grow(b, rle_bound(n, width), &at);
	if (rc)
		return rc;
	o = (uint8_t *)at;
	while (i < n) {
		size_t j = i + 1, start = i, groups;
		uint64_t acc = 0;
		int nb = 0;

		while (j < n && v[j] == v[i])
			j++;
		if (j - i >= 8) {
			o += lv_thrift_varint(o, (uint64_t)(j - i) << 1);
			for (size_t k = 0; k < vbytes; k++)
				*o++ = (uint8_t)(v[i] >> (8 * k));
			i = j;
			continue;
		}
		/* bit-pack groups of 8 until a run of 8 starts at a group edge */
		do
			i += 8;
		while (i < n && !run8(v, i, n));
		groups = (i - start) / 8;
		o += lv_thrift_varint(o, (uint64_t)groups << 1 | 1);
		for (size_t k = start; k < start + groups * 8; k++) {
			acc |= (uint64_t)(k < n ? v[k] : 0) << nb;
			nb += width;
			while (nb >= 8) {
				*o++ = (uint8_t)acc;
				acc >>= 8;
				nb -= 8;
			}
		}
	}
	b->len = (size_t)(o - (uint8_t *)b->p);
	b->p[b->len] = 0;
	return 0;
}

int lv_parquet_width(uint32_t max)
{
	int w = 0;

	while (max) {
		w++;
		max >>= 1;
	}
	return w;
}

/* ---- the writer ---- */

static int fail(struct lv_parquet_writer *w, int rc)
{
	if (!w->rc)
		w->rc = rc;
	return rc;
}

static int emit(struct lv_parquet_writer *w, const void *p, size_t n)
{
	int rc;

	if (w->rc)
		return w->rc;
	rc = w->write(w->ctx, p, n);
	if (rc)
		return fail(w, rc);
	w->off += n;
	return 0;
}

/* Compress @body (or not); the page's bytes are then in *@out, *@outn. */
static int compress(struct lv_parquet_writer *w, const struct lv_buf *body,
		    const char **out, size_t *outn)
{
	char *at;
	size_t k;
	int rc;

	if (w->codec == LV_PARQUET_UNCOMPRESSED) {
		*out = body->len ? body->p : "";
		*outn = body->len;
		return 0;
	}
	lv_buf_reset(&w->zbuf);
	rc = lv_buf_grow(&w->zbuf, ZSTD_compressBound(body->len), &at);
	if (rc)
		return rc;
	k = ZSTD_compressCCtx(w->z, at, ZSTD_compressBound(body->len),
			      body->len ? body->p : "", body->len, w->level);
	if (ZSTD_isError(k))
		return lv_err_set(-EIO, "zstd: %s", ZSTD_getErrorName(k));
	w->zbuf.len = k;
	*out = at;
	*outn = k;
	return 0;
}

/*
 * A page: its header and compressed body appended to @to (a chunk). The
 * header of a data page (@dict 0) counts @nvalues levels in @enc; of a
 * dictionary page (@dict 1), @nvalues entries.
 */
static int page_out(struct lv_parquet_writer *w, struct pq_col *c,
		    struct lv_buf *to, int dict, int32_t nvalues, int enc)
{
	struct lv_thrift t;
	const char *z = NULL;
	size_t zn = 0;
	int rc;

	rc = compress(w, &w->body, &z, &zn);
	if (rc)
		return rc;
	if (w->body.len > INT32_MAX || zn > INT32_MAX)
		return lv_err_set(LV_ETOOBIG, "a Parquet page of %zu bytes", w->body.len);
	lv_buf_reset(&w->hdr);
	lv_thrift_init(&t, &w->hdr);
	lv_thrift_i32(&t, 1, dict ? PQ_DICTIONARY_PAGE : PQ_DATA_PAGE);
	lv_thrift_i32(&t, 2, (int32_t)w->body.len);
	lv_thrift_i32(&t, 3, (int32_t)zn);
	lv_thrift_struct(&t, dict ? 7 : 5);
	lv_thrift_i32(&t, 1, nvalues);
	lv_thrift_i32(&t, 2, enc);
	if (!dict) {
		lv_thrift_i32(&t, 3, PQ_RLE);
		lv_thrift_i32(&t, 4, PQ_RLE);
	}
	lv_thrift_struct_end(&t);
	rc = lv_thrift_end(&t);
	if (!rc)
		rc = lv_buf_add(to, w->hdr.p, w->hdr.len);
	if (!rc)
		rc = lv_buf_add(to, z, zn);
	if (rc)
		return rc;
	c->raw += w->hdr.len + w->body.len;
	c->packed += w->hdr.len + zn;
	return 0;
}

/* The page's dictionary indices become PLAIN values, for good in this chunk. */
static int dict_fallback(struct lv_parquet_writer *w, struct pq_col *c)
{
	size_t before = c->val.len;
	int rc;

	for (size_t i = 0; i < c->nidx; i++) {
		const uint8_t *p = (const uint8_t *)c->d.plain.p + c->d.off[c->idx[i]];
		uint32_t len = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
			       (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;

		rc = lv_buf_add(&c->val, p, 4 + (size_t)len);
		if (rc) {
			c->val.len = before;
			return rc;
		}
	}
	c->nidx = 0;
	c->dict_on = 0;
	if (!c->used_dict)
		lv_pq_dict_reset(&c->d);
	return 0;
}

/* The page being filled becomes a data page of the chunk. */
static int flush_page(struct lv_parquet_writer *w, struct pq_col *c)
{
	size_t pending = c->pending;
	int enc = PQ_PLAIN, rc, width;
	uint8_t *len;
	char *at;

	if (!c->nlev)
		return 0;
	if (c->dict_on && c->nidx && !c->used_dict) {
		/* first dictionary page of the chunk: does the dictionary pay? */
		width = lv_parquet_width(c->d.n - 1);
		if (c->d.plain.len + c->nidx * (size_t)width / 8 >= c->plain_bytes) {
			rc = dict_fallback(w, c);
			if (rc)
				return rc;
		}
	}
	lv_buf_reset(&w->body);
	rc = lv_buf_grow(&w->body, 4, &at);
	if (rc)
		return rc;
	w->body.len = 4;
	rc = lv_parquet_rle(&w->body, c->lev, c->nlev, 1);
	if (rc)
		return rc;
	len = (uint8_t *)w->body.p;
	put_le32(len, (uint32_t)(w->body.len - 4));
	if (c->nidx) {
		uint8_t bw = (uint8_t)lv_parquet_width(c->d.n - 1);

		if (!bw)
			bw = 1;
		enc = PQ_RLE_DICTIONARY;
		rc = lv_buf_add(&w->body, &bw, 1);
		if (!rc)
			rc = lv_parquet_rle(&w->body, c->idx, c->nidx, bw);
	} else if (c->val.len) {
		rc = lv_buf_add(&w->body, c->val.p, c->val.len);
	}
	if (!rc)
		rc = page_out(w, c, &c->chunk, 0, (int32_t)c->nlev, enc);
	if (rc)
		return rc;
	if (enc == PQ_RLE_DICTIONARY)
		c->used_dict = 1;
	else
		c->used_plain = 1;
	c->chunk_values += c->nlev;
	c->nlev = c->nidx = c->nval = c->nbool = 0;
	c->plain_bytes = 0;
	lv_buf_reset(&c->val);
	w->rg_bytes = w->rg_bytes - pending + c->chunk.len - c->chunk_seen;
	c->chunk_seen = c->chunk.len;
	c->pending = 0;
	return 0;
}

/* ---- values ---- */

static const char *col_name(const struct pq_col *c, char *buf, size_t len)
{
	return lv_err_quote(c->name, buf, len);
}

static int misuse(struct lv_parquet_writer *w, size_t col, const char *what)
{
	char q[96];

	if (col >= w->n)
		return lv_err_set(-EINVAL, "Parquet writer: no column %zu (%s)", col, what);
	return lv_err_set(-EINVAL, "Parquet column '%s': %s",
			  col_name(&w->c[col], q, sizeof(q)), what);
}

/* Column @col takes a value of a kind in @kinds (bits of lv_parquet_type). */
static int take(struct lv_parquet_writer *w, size_t col, unsigned kinds,
		struct pq_col **out)
{
	struct pq_col *c;

	if (!w)
		return -EINVAL;
	if (w->rc)
		return w->rc;
	if (col >= w->n)
		return misuse(w, col, "no such column");
	c = &w->c[col];
	if (c->rows != w->rg_rows)
		return misuse(w, col, "a second value in one row");
	if (!(kinds & 1u << c->type))
		return misuse(w, col, "a value of another type");
	*out = c;
	return 0;
}

/* The value (level @lev) is in: count it, and end the page when full. */
static int taken(struct lv_parquet_writer *w, struct pq_col *c, uint32_t lev,
		 size_t bytes)
{
	int rc;

	c->lev[c->nlev++] = lev;
	c->rows++;
	c->pending += bytes;
	w->rg_bytes += bytes;
	if (c->nlev < w->page_rows && c->val.len < w->page_bytes &&
	    c->nidx * 4 < w->page_bytes)
		return 0;
	rc = flush_page(w, c);
	return rc ? fail(w, rc) : 0;
}

int lv_parquet_null(struct lv_parquet_writer *w, size_t col)
{
	struct pq_col *c = NULL;
	int rc = take(w, col, ~0u, &c);

	if (rc)
		return rc;
	c->nulls++;
	return taken(w, c, 0, 0);
}

static int fixed(struct lv_parquet_writer *w, struct pq_col *c,
		 const void *p, size_t n)
{
	int rc = lv_buf_add(&c->val, p, n);

	if (rc)
		return rc;
	c->nval++;
	return taken(w, c, 1, n);
}

static void le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

/*
 * An integer of @n (4 or 8) bytes. Statistics first, here and for the
 * other fixed-size values: their append can fail only for want of memory
 * (the page buffer's ceiling is a row group), and a bound widened by a
 * value that failed is still a true bound.
 */
static int fixed_int(struct lv_parquet_writer *w, struct pq_col *c, int64_t v,
		     size_t n)
{
	uint8_t le[8];

	le64(le, (uint64_t)v);
	lv_pq_stat_int(c, v);
	return fixed(w, c, le, n);
}

int lv_parquet_int32(struct lv_parquet_writer *w, size_t col, int32_t v)
{
	struct pq_col *c = NULL;
	int rc = take(w, col, 1u << LV_PARQUET_INT32 | 1u << LV_PARQUET_DATE, &c);

	return rc ? rc : fixed_int(w, c, v, 4);
}

/* A decimal's unscaled value, checked against the precision, in its layout. */
static int decimal_put(struct lv_parquet_writer *w, struct pq_col *c, __int128 v)
{
	uint8_t b[16];
	char q[96];
	size_t n;

	if (v >= c->limit || v <= -c->limit)
		return lv_err_set(LV_ETOOBIG, "Parquet column '%s': a decimal with more than %d digits",
				  col_name(c, q, sizeof(q)), c->precision);
	if (c->phys == PQ_FLBA) {
		lv_pq_be(b, v, c->width);
		n = (size_t)c->width;
	} else { /* INT32 or INT64: the low bytes, little-endian */
		le64(b, (uint64_t)(int64_t)v);
		n = c->phys == PQ_INT32 ? 4 : 8;
	}
	lv_pq_stat_dec(c, v);
	return fixed(w, c, b, n);
}

int lv_parquet_int64(struct lv_parquet_writer *w, size_t col, int64_t v)
{
	struct pq_col *c = NULL;
	int rc = take(w, col, 1u << LV_PARQUET_INT64 | 1u << LV_PARQUET_TIMESTAMP |
		      1u << LV_PARQUET_DECIMAL, &c);

	if (rc)
		return rc;
	if (c->type == LV_PARQUET_DECIMAL)
		return decimal_put(w, c, v);
	return fixed_int(w, c, v, 8);
}

int lv_parquet_decimal(struct lv_parquet_writer *w, size_t col, const char *s,
		       size_t n)
{
	struct pq_col *c = NULL;
	int rc = take(w, col, 1u << LV_PARQUET_DECIMAL, &c);
	__int128 v;
	char q[96];

	if (rc)
		return rc;
	rc = lv_pq_decimal_parse(s, n, c->precision, c->scale, &v);
	if (rc == LV_EBADVALUE)
		return lv_err_set(rc, "Parquet column '%s': not a decimal of scale %d",
				  col_name(c, q, sizeof(q)), c->scale);
	if (rc == LV_ETOOBIG)
		return lv_err_set(rc, "Parquet column '%s': a decimal with more than %d digits",
				  col_name(c, q, sizeof(q)), c->precision);
	return decimal_put(w, c, v);
}

int lv_parquet_double(struct lv_parquet_writer *w, size_t col, double v)
{
	struct pq_col *c = NULL;
	int rc = take(w, col, 1u << LV_PARQUET_DOUBLE, &c);
	uint64_t u;
	uint8_t le[8];

	if (rc)
		return rc;
	memcpy(&u, &v, 8);
	le64(le, u);
	lv_pq_stat_double(c, v);
	return fixed(w, c, le, 8);
}

int lv_parquet_bool(struct lv_parquet_writer *w, size_t col, int v)
{
	struct pq_col *c = NULL;
	int rc = take(w, col, 1u << LV_PARQUET_BOOLEAN, &c);
	size_t add = 0;

	if (rc)
		return rc;
	if (c->nbool % 8 == 0) {
		rc = lv_buf_addc(&c->val, 0);
		if (rc)
			return rc;
		add = 1;
	}
	if (v)
		c->val.p[c->val.len - 1] |= (char)(1 << (c->nbool % 8));
	c->nbool++;
	c->nval++;
	lv_pq_stat_int(c, v ? 1 : 0);
	return taken(w, c, 1, add);
}

int lv_parquet_string(struct lv_parquet_writer *w, size_t col, const char *s,
		      size_t n)
{
	struct pq_col *c = NULL;
	int rc = take(w, col, 1u << LV_PARQUET_STRING, &c);
	size_t before;
	uint8_t le[4];
	uint32_t i;
	int added;

	if (rc)
		return rc;
	if (n > w->rg_max || n > UINT32_MAX - 4)
		return lv_err_set(LV_ETOOBIG, "Parquet: a string of %zu bytes", n);
	if (c->dict_on) {
		rc = lv_pq_dict_add(&c->d, s, n, w->dict_bytes, &i, &added);
		if (rc == LV_ETOOBIG) {
			rc = dict_fallback(w, c);
			if (rc)
				return fail(w, rc);
			w->rg_bytes += c->val.len - c->pending;
			c->pending = c->val.len;
		} else if (rc) {
			return fail(w, rc);
		} else {
			if (added)
				lv_pq_stat_str(c, s, n);
			c->idx[c->nidx++] = i;
			c->plain_bytes += 4 + n;
			return taken(w, c, 1, 4 + (added ? 4 + n : 0));
		}
	}
	before = c->val.len;
	put_le32(le, (uint32_t)n);
	rc = lv_buf_add(&c->val, le, 4);
	if (!rc)
		rc = lv_buf_add(&c->val, s, n);
	if (rc) {
		c->val.len = before; /* the row is as it was */
		return rc;
	}
	lv_pq_stat_str(c, s, n);
	c->nval++;
	return taken(w, c, 1, 4 + n);
}

/* ---- row groups and the footer ---- */

/* Write the chunk of @c at the current offset; its ColumnChunk into @t. */
static int chunk_out(struct lv_parquet_writer *w, struct pq_col *c,
		     struct lv_thrift *t, int64_t *first)
{
	int64_t dict_off = -1, data_off;
	int rc;

	rc = flush_page(w, c);
	if (rc)
		return rc;
	if (c->used_dict) {
		struct lv_buf tmp;

		lv_buf_init(&tmp, ZSTD_compressBound(c->d.plain.len) + 4096);
		lv_buf_reset(&w->body);
		rc = lv_buf_add(&w->body, c->d.plain.p, c->d.plain.len);
		if (!rc)
			rc = page_out(w, c, &tmp, 1, (int32_t)c->d.n, PQ_PLAIN);
		dict_off = (int64_t)w->off;
		if (!rc)
			rc = emit(w, tmp.p, tmp.len);
		lv_buf_free(&tmp);
		if (rc)
			return rc;
	}
	data_off = (int64_t)w->off;
	if (*first < 0)
		*first = dict_off >= 0 ? dict_off : data_off;
	rc = emit(w, c->chunk.p, c->chunk.len);
	if (rc)
		return rc;
	lv_pq_column_chunk(w, c, t, dict_off, data_off);
	return 0;
}

static int flush_group(struct lv_parquet_writer *w)
{
	int64_t first = -1, raw = 0, packed = 0;
	struct lv_thrift t;
	int rc = 0;

	if (w->nrg >= INT16_MAX)
		return lv_err_set(LV_ETOOBIG, "Parquet: more than %d row groups", INT16_MAX);
	lv_thrift_init(&t, &w->groups);
	lv_thrift_list(&t, 1, LV_THRIFT_STRUCT, w->n);
	for (size_t i = 0; i < w->n && !rc; i++) {
		rc = chunk_out(w, &w->c[i], &t, &first);
		raw += (int64_t)w->c[i].raw;
		packed += (int64_t)w->c[i].packed;
	}
	if (rc)
		return rc;
	lv_thrift_i64(&t, 2, raw);
	lv_thrift_i64(&t, 3, (int64_t)w->rg_rows);
	lv_thrift_i64(&t, 5, first);
	lv_thrift_i64(&t, 6, packed);
	lv_thrift_i16(&t, 7, (int16_t)w->nrg);
	rc = lv_thrift_end(&t);
	if (rc)
		return rc;
	w->nrg++;
	w->rg_rows = 0;
	w->rg_bytes = 0;
	for (size_t i = 0; i < w->n; i++)
		lv_pq_col_reset(w, &w->c[i]);
	return 0;
}

int lv_parquet_end_row(struct lv_parquet_writer *w)
{
	int rc;

	if (!w)
		return -EINVAL;
	if (w->rc)
		return w->rc;
	for (size_t i = 0; i < w->n; i++)
		if (w->c[i].rows != w->rg_rows + 1)
			return misuse(w, i, "no value in this row");
	w->rg_rows++;
	w->rows++;
	if (w->rg_bytes < w->rg_max)
		return 0;
	rc = flush_group(w);
	return rc ? fail(w, rc) : 0;
}

int lv_parquet_finish(struct lv_parquet_writer *w)
{
	struct lv_buf *f = &w->body;
	struct lv_thrift t;
	uint8_t tail[8];
	int rc;

	if (!w)
		return -EINVAL;
	if (w->rc)
		return w->rc;
	for (size_t i = 0; i < w->n; i++)
		if (w->c[i].rows != w->rg_rows)
			return misuse(w, i, "the last row was not ended");
	if (w->rg_rows) {
		rc = flush_group(w);
		if (rc)
			return fail(w, rc);
	}
	lv_buf_reset(f);
	lv_thrift_init(&t, f);
	lv_pq_file_meta(w, &t);
	rc = lv_thrift_end(&t);
	if (rc)
		return fail(w, rc);
	put_le32(tail, (uint32_t)f->len);
	memcpy(tail + 4, "PAR1", 4);
	rc = emit(w, f->p, f->len);
	if (!rc)
		rc = emit(w, tail, 8);
	if (!rc)
		w->rc = -EINVAL; /* finished: nothing more goes in */
	return rc;
}

uint64_t lv_parquet_rows(const struct lv_parquet_writer *w)
{
	return w ? w->rows : 0;
}

uint64_t lv_parquet_written(const struct lv_parquet_writer *w)
{
	return w ? w->off : 0;
}
