/*
 * encode.c - a change as the CSV record the lake holds: Id,
 * SinkCreatedOn, SinkModifiedOn, the table's columns in metadata order,
 * IsDelete on append-only tables; values as lake-format.md says
 * (core/csv.c has the dialect).
 *
 * Why this shape: it runs once per value of every change, so the record
 * is written straight into the batch's arena with small inline helpers
 * (put1, putn, put2) rather than printf, and the two most recent Sink
 * times are kept formatted: a batch stamps most of its records with the
 * same second.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_i.h"
#include "encode_i.h"
#include "lakeview/codec.h"
#include "lakeview/csv.h"
#include "lakeview/err.h"
#include "lakeview/time.h"

/* --- encoding --------------------------------------------------------------- */

static int bad(const struct lv_column *c, const char *want)
{
	return lv_err_set(LV_EBADVALUE, "column '%s' (%s): expected %s", c->name,
			  c->attrtype, want);
}

/* lv_buf_addc() and lv_buf_add() without a call when there is room (the
 * encoder calls them for every value of every change) */
static inline int put1(struct lv_buf *o, char c)
{
	if (o->len + 2 <= o->cap && o->len < o->max) {
		o->p[o->len++] = c;
		o->p[o->len] = '\0';
		return 0;
	}
	return lv_buf_addc(o, c);
}

static inline int putn(struct lv_buf *o, const void *s, size_t n)
{
	if (o->len + n + 1 <= o->cap && n <= o->max - o->len) {
		memcpy(o->p + o->len, s, n);
		o->len += n;
		o->p[o->len] = '\0';
		return 0;
	}
	return lv_buf_add(o, s, n);
}

static char *put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

static int encode_date(struct lv_buf *o, const struct lv_column *c,
		       const struct lv_jfield *f)
{
	int64_t secs;
	uint32_t ticks;
	int y, mo, d, h, mi, s, date_only, rc;
	char *p, *start;

	if (f->kind != LV_J_STR || lv_time_parse(f->val, f->vlen, &secs, &ticks, &date_only))
		return bad(c, "an ISO 8601 date");
	lv_time_civil(secs, &y, &mo, &d, &h, &mi, &s);
	if (y < 1 || y > 9999)
		return bad(c, "a date in years 1-9999");
	rc = lv_buf_grow(o, 40, &p);
	if (rc)
		return rc;
	start = p;
	*p++ = '"';
	p = put2(put2(p, y / 100), y % 100);
	*p++ = '-';
	p = put2(p, mo);
	*p++ = '-';
	p = put2(p, d);
	*p++ = 'T';
	p = put2(p, h);
	*p++ = ':';
	p = put2(p, mi);
	*p++ = ':';
	p = put2(p, s);
	if (c->fmt == LV_F_DATE_OFF7) {
		*p++ = '.';
		for (int i = 6; i >= 0; i--) {
			p[i] = (char)('0' + ticks % 10);
			ticks /= 10;
		}
		p += 7;
		memcpy(p, "+00:00", 6);
		p += 6;
	} else {
		*p++ = 'Z';
	}
	*p++ = '"';
	o->len += (size_t)(p - start);
	o->p[o->len] = '\0';
	return 0;
}

/*
 * Numbers are written as Dataverse sent them, once they are known to fit
 * the type model.json declares, so that every typed reader (Spark, pandas,
 * DuckDB, the CDM tools) can load the file: a value that does not fit is
 * refused, never written for a reader to fail on.
 */

/* Integer, Picklist, State, Status are 32-bit in Dataverse; BigInt 64. */
static int encode_int(struct lv_buf *o, const struct lv_column *c,
		      const struct lv_jfield *f)
{
	int bits = strcmp(c->attrtype, "BigInt") ? 32 : 64;
	int64_t v;
	int rc = lv_int_parse(f->val, f->vlen, bits, &v);

	if (rc == LV_ETOOBIG)
		return lv_err_set(LV_EBADVALUE, "column '%s' (%s): %.*s is outside the range of a %d-bit integer",
				  c->name, c->attrtype, (int)(f->vlen > 40 ? 40 : f->vlen), f->val, bits);
	if (rc)
		return bad(c, "an integer");
	return putn(o, f->val, f->vlen);
}

/*
 * A decimal(p,s) holds at most p - s digits before the point.  JSON lets a
 * number carry an exponent ("1e-06" from a serializer that prints small
 * values so); a DECIMAL column in Spark, DuckDB or pandas cannot parse one,
 * so the exact value is written out in plain digits, never through a
 * double.  An exponent that would need more than DEC_FRAC_MAX digits after
 * the point is refused rather than rounded.
 */
#define DEC_FRAC_MAX 64
#define DEC_DIGITS_MAX 128	/* significant digits of a mantissa */

static int decimal_too_big(const struct lv_column *c, const struct lv_jfield *f,
			   int max)
{
	return lv_err_set(LV_EBADVALUE, "column '%s' (%s): %.*s has more than %d digits before the point, the most decimal(%d,%d) holds",
			  c->name, c->attrtype, (int)(f->vlen > 40 ? 40 : f->vlen), f->val, max,
			  c->precision, c->scale);
}

/* Write the JSON number @f, which has an exponent, as plain digits; its
 * grammar was checked by the decoder (jrow.c). */
static int encode_decimal_exp(struct lv_buf *o, const struct lv_column *c,
			      const struct lv_jfield *f, int max)
{
	const char *p = f->val, *e = f->val + f->vlen;
	char digits[DEC_DIGITS_MAX];
	int nd = 0, point = 0, exp = 0, expneg = 0, neg = 0, frac = 0, i, rc;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	/* the mantissa's significant digits; @point counts those before it */
	for (; *p != 'e' && *p != 'E'; p++) {
		if (*p == '.') {
			frac = 1;
		} else if (nd == 0 && *p == '0') {
			point -= frac;	/* leading zeros say nothing */
		} else {
			if (nd == (int)sizeof(digits))
				goto too_long;
			digits[nd++] = *p;
			point += !frac;
		}
	}
	p++;
	if (*p == '+' || *p == '-')
		expneg = *p++ == '-';
	for (; p < e; p++)
		if (exp < 100000)
			exp = exp * 10 + (*p - '0');
	if (expneg)
		exp = -exp;
	if (nd == 0)
		return put1(o, '0');
	point += exp;	/* |exp| <= 100000: no overflow */
	if (point > max)
		return decimal_too_big(c, f, max);
	if (nd - point > DEC_FRAC_MAX)
		return lv_err_set(LV_EBADVALUE, "column '%s' (%s): %.*s needs more than %d digits after the point; send it without an exponent",
				  c->name, c->attrtype, (int)(f->vlen > 40 ? 40 : f->vlen), f->val,
				  DEC_FRAC_MAX);
	if (neg && (rc = put1(o, '-')))
		return rc;
	if (point <= 0) {
		if ((rc = putn(o, "0.", 2)))
			return rc;
		for (i = point; i < 0; i++)
			if ((rc = put1(o, '0')))
				return rc;
		return putn(o, digits, (size_t)nd);
	}
	if (point >= nd) {
		if ((rc = putn(o, digits, (size_t)nd)))
			return rc;
		for (i = nd; i < point; i++)
			if ((rc = put1(o, '0')))
				return rc;
		return 0;
	}
	if ((rc = putn(o, digits, (size_t)point)) || (rc = put1(o, '.')))
		return rc;
	return putn(o, digits + point, (size_t)(nd - point));
too_long:
	return lv_err_set(LV_EBADVALUE, "column '%s' (%s): %.*s has more than %d significant digits, more than a decimal holds",
			  c->name, c->attrtype, (int)(f->vlen > 40 ? 40 : f->vlen), f->val,
			  DEC_DIGITS_MAX);
}

static int encode_decimal(struct lv_buf *o, const struct lv_column *c,
			  const struct lv_jfield *f)
{
	const char *p = f->val, *e = f->val + f->vlen;
	int digits = 0, max = c->precision - c->scale;

	if (memchr(p, 'e', f->vlen) || memchr(p, 'E', f->vlen))
		return encode_decimal_exp(o, c, f, max);
	if (p < e && *p == '-')
		p++;
	while (p < e && *p == '0')
		p++;
	for (; p < e && *p != '.'; p++)
		digits++;
	if (digits > max)
		return decimal_too_big(c, f, max);
	return putn(o, f->val, f->vlen);
}

/* Doubles keep Dataverse's text, exponent and all (Spark's, pandas' and
 * DuckDB's parsers read "1.5E+20"); one past a double's range is refused. */
static int encode_double(struct lv_buf *o, const struct lv_column *c,
			 const struct lv_jfield *f)
{
	char tmp[64];
	double v;

	if (f->vlen >= sizeof(tmp))
		return bad(c, "a number of at most 63 characters");
	memcpy(tmp, f->val, f->vlen);
	tmp[f->vlen] = '\0';
	v = strtod(tmp, NULL);
	if (!isfinite(v))
		return lv_err_set(LV_EBADVALUE, "column '%s' (%s): %s is outside the range of a double",
				  c->name, c->attrtype, tmp);
	return putn(o, f->val, f->vlen);
}

static int encode_value(struct lv_buf *o, const struct lv_column *c,
			const struct lv_jfield *f)
{
	uint8_t id[16];
	char g[37];

	if (f->kind == LV_J_NULL)
		return 0;
	if (f->vlen > LV_VALUE_MAX)
		return lv_err_set(LV_ETOOBIG, "column '%s': value of %zu bytes passes the %u MiB limit",
				  c->name, f->vlen, LV_VALUE_MAX >> 20);
	switch (c->type) {
	case LV_T_GUID:
		if (f->kind != LV_J_STR || lv_guid_parse(f->val, f->vlen, id))
			return bad(c, "a GUID");
		lv_guid_format(id, g);
		return putn(o, g, 36);
	case LV_T_STRING:
		if (f->kind != LV_J_STR)
			return bad(c, "a string");
		return lv_csv_quoted(o, f->val, f->vlen);
	case LV_T_INT64:
		if (f->kind != LV_J_NUM)
			return bad(c, "an integer");
		return encode_int(o, c, f);
	case LV_T_DECIMAL:
		if (f->kind != LV_J_NUM)
			return bad(c, "a number");
		return encode_decimal(o, c, f);
	case LV_T_DOUBLE:
		if (f->kind != LV_J_NUM)
			return bad(c, "a number");
		return encode_double(o, c, f);
	case LV_T_BOOLEAN:
		if (f->kind == LV_J_TRUE)
			return lv_buf_adds(o, "True");
		if (f->kind == LV_J_FALSE)
			return lv_buf_adds(o, "False");
		return bad(c, "true or false");
	case LV_T_DATETIME:
	case LV_T_DATETIMEOFFSET:
		return encode_date(o, c, f);
	}
	return bad(c, "a known type");
}

/* Sink times repeat for every row of a batch: format each once. */
static int add_sink(struct lv_batch *b, struct lv_buf *o, int64_t t)
{
	struct lv_buf tmp;
	int i;

	for (i = 0; i < 2; i++)
		if (b->sink_n[i] && b->sink_t[i] == t)
			return putn(o, b->sink_s[i], b->sink_n[i]);
	i = b->sink_n[0] ? 1 : 0;
	if (b->sink_n[0] && b->sink_n[1])
		i = b->sink_t[0] < b->sink_t[1] ? 0 : 1;  /* replace the older */
	lv_buf_init(&tmp, sizeof(b->sink_s[0]) - 1);
	if (lv_buf_addc(&tmp, '"') || lv_time_sink(&tmp, t) || lv_buf_addc(&tmp, '"')) {
		lv_buf_free(&tmp);
		return -ENOMEM;
	}
	memcpy(b->sink_s[i], tmp.p, tmp.len);
	b->sink_n[i] = tmp.len;
	b->sink_t[i] = t;
	lv_buf_free(&tmp);
	return putn(o, b->sink_s[i], b->sink_n[i]);
}

int lv_encode_row(struct lv_batch *b, const struct lv_jrow *row,
		  const uint8_t id[16], int64_t sink_c, int64_t sink_m, int del)
{
	struct lv_buf *o = &b->arena;
	size_t start = o->len;
	char g[37];
	int rc = 0;

	b->rec_off = start;
	lv_guid_format(id, g);
	b->idf_len = b->vf_len = 0;
	for (size_t i = 0; !rc && i < b->t.ncols; i++) {
		const struct lv_column *c = &b->t.cols[i];
		const struct lv_jfield *f;

		if (i)
			rc = put1(o, ',');
		if (rc)
			break;
		if (o->len - start > REC_MAX) {
			rc = LV_ETOOBIG;
			break;
		}
		if (((int)i == b->iidattr || (int)i == b->t.iversion) &&
		    !(c->flags & LV_COL_REMOVED)) {
			size_t at = o->len - start;

			/* as below; the log wants to know where they are */
			if (del) {
				if ((int)i == b->iidattr)
					rc = putn(o, g, 36);
			} else {
				f = lv_jrow_get(row, c->prop, b->plen[i], c->hash);
				if (f)
					rc = encode_value(o, c, f);
			}
			if ((int)i == b->iidattr) {
				b->idf_off = at;
				b->idf_len = o->len - start - at;
			} else {
				b->vf_off = at;
				b->vf_len = o->len - start - at;
			}
			continue;
		}
		if (c->flags & LV_COL_ID)
			rc = putn(o, g, 36);
		else if (c->flags & (LV_COL_SINK_C | LV_COL_SINK_M))
			rc = add_sink(b, o, (c->flags & LV_COL_SINK_C) ? sink_c : sink_m);
		else if (c->flags & LV_COL_ISDELETE) {
			if (del)
				rc = lv_buf_adds(o, "True");
		} else if (c->flags & LV_COL_REMOVED) {
			continue;
		} else if (del) {
			continue;  /* a tombstone holds only its id */
		} else {
			f = lv_jrow_get(row, c->prop, b->plen[i], c->hash);
			if (f)
				rc = encode_value(o, c, f);
		}
	}
	if (!rc)
		rc = put1(o, '\n');
	if (!rc && o->len - start > REC_MAX)
		rc = LV_ETOOBIG;
	b->rec_len = o->len - start;
	if (rc) {
		o->len = start;
		if (o->p)
			o->p[start] = '\0';
	}
	if (rc == LV_ETOOBIG && !lv_err_detail_for(rc))
		lv_err_set(rc, o->max - start <= REC_MAX ?
			   "batch larger than %zu bytes; commit smaller batches" :
			   "record larger than %zu bytes",
			   o->max - start <= REC_MAX ? o->max : (size_t)REC_MAX);
	return rc;
}

