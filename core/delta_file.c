/*
 * delta_file.c - the data files of a Delta table: the CSV records of a
 * lake partition in, typed Parquet files in the tree out, with the
 * statistics their `add` actions carry.
 *
 * Why this shape:
 *  - The records come from the partition's own segments, which the
 *    materialiser wrote: a version holds exactly the values of the CSV
 *    snapshot taken in the same commit, parsed back by the one rule for
 *    each column's format (csv.h, schema.c's table). Re-reading the change
 *    log instead would be a second way to the same values, and a second
 *    place for them to differ.
 *  - Types come from the table metadata (schema.c): GUIDs and lookups as
 *    strings, Integer as INT32 and the other whole numbers as INT64,
 *    decimal and money as DECIMAL(38, s) from their exact text, never a
 *    double, date-times as UTC microsecond TIMESTAMPs, DateOnly attributes
 *    (DateTimeBehavior) as DATE. A value that does not parse as its type
 *    is an error naming table, row and column, and the version is not
 *    written (the caller aborts the transaction).
 *  - A writer knows nothing of the store: files are built in memory (at
 *    most a file: delta_file_mb of CSV, ~1/5 of it as Parquet), so
 *    several can be built at once on other threads while the store's one
 *    writer puts the finished ones into the tree (delta_part.c).
 *  - A file is a run of whole partition segments, closed after
 *    delta_file_mb MiB of records (LV_DELTA_FILE_MB by default), and remembers which (its first
 *    segment, how many, a signature of their chunks): a version keeps
 *    every file whose segments are unchanged and rewrites only the runs
 *    that changed, so an append rewrites the tail file, not the
 *    partition (delta.c).
 *  - Statistics (numRecords, nullCount, minValues, maxValues) are Delta
 *    2.4's: the first 32 columns, strings cut to 32 characters (the max
 *    then gets U+FFFD appended), timestamps in milliseconds rounded
 *    outwards so a bound is never inside the data, no min/max for
 *    booleans and decimals (a missing bound only costs skipping).
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delta_file_i.h"
#include "lakeview/codec.h"
#include "lakeview/err.h"
#include "lakeview/time.h"

#define STR_PREFIX 32     /* characters a string statistic keeps */
#define DATA_MAX ((size_t)2 << 30)  /* a data file's ceiling */
#define PREFIX_MAX (STR_PREFIX * 4)

struct cstat {
	uint64_t nulls;
	int have;             /* min/max seen */
	int nan;              /* a NaN: no bounds for this double column */
	int64_t imin, imax;   /* ints, dates, timestamps (µs) */
	double dmin, dmax;
	size_t smin_n, smax_n;
	int smax_cut;
	char smin[PREFIX_MAX], smax[PREFIX_MAX];
};

struct tcache {
	char text[40];
	size_t n;
	int64_t secs;
	uint32_t ticks;
};

struct lv_dwriter {
	const struct lv_table *t;
	const struct lv_dcol *cols;
	size_t ncols, index;
	char part[32];
	/* the file being written, in memory */
	struct lv_parquet_writer *pw;
	struct lv_buf out;
	uint64_t csv_bytes, file_bytes;
	uint64_t seg0, sig;   /* the segments given since the last file */
	size_t nseg;
	struct cstat *st;
	struct tcache *tc;    /* per column */
	struct lv_dfile cur;
	/* the files done */
	struct lv_dfile *files;
	size_t nfiles;
	struct lv_buf scratch;
};

static int is_int_attr(const struct lv_column *c)
{
	return strcmp(c->attrtype, "Integer") == 0;
}

int lv_dcols_of(const struct lv_table *t, struct lv_dcol **out)
{
	struct lv_dcol *v = calloc(t->ncols ? t->ncols : 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < t->ncols; i++) {
		const struct lv_column *c = &t->cols[i];
		struct lv_dcol *d = &v[i];

		if (strcasecmp(c->name, LV_DELTA_PART_COL) == 0) {
			free(v);
			return lv_err_set(LV_EBADNAME,
					  "table '%s': column '%s' has the name of the Delta partition column; turn Delta off for this link (delta = off in lakeview.conf)",
					  t->name, c->name);
		}
		d->c = c;
		switch (c->type) {
		case LV_T_GUID:
		case LV_T_STRING:
			d->pt = LV_PARQUET_STRING;
			snprintf(d->spark, sizeof(d->spark), "string");
			break;
		case LV_T_INT64:
			d->pt = is_int_attr(c) ? LV_PARQUET_INT32 : LV_PARQUET_INT64;
			snprintf(d->spark, sizeof(d->spark), "%s",
				 is_int_attr(c) ? "integer" : "long");
			break;
		case LV_T_DECIMAL:
			d->pt = LV_PARQUET_DECIMAL;
			snprintf(d->spark, sizeof(d->spark), "decimal(%d,%d)",
				 c->precision, c->scale);
			break;
		case LV_T_DOUBLE:
			d->pt = LV_PARQUET_DOUBLE;
			snprintf(d->spark, sizeof(d->spark), "double");
			break;
		case LV_T_BOOLEAN:
			d->pt = LV_PARQUET_BOOLEAN;
			snprintf(d->spark, sizeof(d->spark), "boolean");
			break;
		default:
			d->pt = (c->flags & LV_COL_DATEONLY) ? LV_PARQUET_DATE
							     : LV_PARQUET_TIMESTAMP;
			snprintf(d->spark, sizeof(d->spark), "%s",
				 d->pt == LV_PARQUET_DATE ? "date" : "timestamp");
			break;
		}
	}
	*out = v;
	return 0;
}

static void uuid4(char out[37])
{
	uint8_t b[16];

	if (RAND_bytes(b, sizeof(b)) != 1) {
		/* no entropy: names stay unique by the version in them */
		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (uint8_t)(lv_clock_now() >> (i % 8));
	}
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	lv_guid_format(b, out);
}

static int file_open(struct lv_dwriter *dw)
{
	static const struct lv_parquet_kv kv[] = {
		/* Spark reads pre-1900 timestamps (Dataverse has 1753) from a
		 * file that states a Spark 3 writer (delta-parquet.md §8.1) */
		{ "org.apache.spark.version", "3.4.0" },
	};
	struct lv_parquet_options o = {
		.codec = LV_PARQUET_ZSTD,
		/* level 1: faster than the default 3 and, on Dataverse rows,
		 * no larger (measured: 21.9 MB vs 22.7 MB for 500,000 rows) */
		.zstd_level = 1,
		.row_group_bytes = (size_t)64 << 20,
		.kv = kv,
		.nkv = 1,
	};
	struct lv_parquet_column *pc;
	char u[37];
	int rc;

	uuid4(u);
	memset(&dw->cur, 0, sizeof(dw->cur));
	snprintf(dw->cur.name, sizeof(dw->cur.name), "part-%05zu-%s.c000.zstd.parquet",
		 dw->index + dw->nfiles, u);
	snprintf(dw->cur.path, sizeof(dw->cur.path), LV_DELTA_PART_COL "=%s/%s", dw->part,
		 dw->cur.name);
	snprintf(dw->cur.part, sizeof(dw->cur.part), "%s", dw->part);
	dw->csv_bytes = 0;
	lv_buf_free(&dw->out);
	memset(dw->st, 0, dw->ncols * sizeof(*dw->st));
	pc = calloc(dw->ncols, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	for (size_t i = 0; i < dw->ncols; i++) {
		pc[i].name = dw->cols[i].c->name;
		pc[i].type = dw->cols[i].pt;
		pc[i].precision = dw->cols[i].c->precision;
		pc[i].scale = dw->cols[i].c->scale;
		/* the row's Id and the primary key are unique: no dictionary */
		pc[i].plain = (dw->cols[i].c->flags & LV_COL_ID) ||
			      strcmp(dw->cols[i].c->name, dw->t->idattr) == 0;
	}
	rc = lv_parquet_writer_new(&dw->pw, pc, dw->ncols, &o, lv_parquet_write_buf, &dw->out);
	free(pc);
	return rc;
}

/* --- statistics ------------------------------------------------------- */

/* Bytes of the first STR_PREFIX characters of UTF-8 @s. */
static size_t prefix_len(const char *s, size_t n)
{
	size_t i = 0, chars = 0;

	while (i < n && chars < STR_PREFIX) {
		unsigned char c = (unsigned char)s[i];

		i += c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
		chars++;
	}
	return i > n ? n : i;
}

static int scmp(const char *a, size_t an, const char *b, size_t bn)
{
	int r = memcmp(a, b, an < bn ? an : bn);

	return r ? r : (an > bn) - (an < bn);
}

static void stat_str(struct cstat *s, const char *v, size_t n)
{
	size_t k = prefix_len(v, n);
	int cut = k < n;

	if (!s->have || scmp(v, k, s->smin, s->smin_n) < 0) {
		memcpy(s->smin, v, k);
		s->smin_n = k;
	}
	if (!s->have || scmp(v, k, s->smax, s->smax_n) > 0) {
		memcpy(s->smax, v, k);
		s->smax_n = k;
		s->smax_cut = cut;
	} else if (scmp(v, k, s->smax, s->smax_n) == 0) {
		s->smax_cut |= cut;
	}
	s->have = 1;
}

static void stat_int(struct cstat *s, int64_t v)
{
	if (!s->have || v < s->imin)
		s->imin = v;
	if (!s->have || v > s->imax)
		s->imax = v;
	s->have = 1;
}

static void stat_dbl(struct cstat *s, double v)
{
	if (isnan(v)) {
		s->nan = 1;
		return;
	}
	if (!s->have || v < s->dmin)
		s->dmin = v;
	if (!s->have || v > s->dmax)
		s->dmax = v;
	s->have = 1;
}

static json_t *ts_json(int64_t us, int up)
{
	int64_t ms = us / 1000 - (us % 1000 < 0);
	int64_t secs = ms / 1000 - (ms % 1000 < 0);
	int y, mo, d, h, mi, s;
	char b[40];

	if (up && us % 1000)
		ms++, secs = ms / 1000 - (ms % 1000 < 0);
	lv_time_civil(secs, &y, &mo, &d, &h, &mi, &s);
	snprintf(b, sizeof(b), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, mo, d, h, mi, s,
		 (int)(ms - secs * 1000));
	return json_string(b);
}

static json_t *date_json(int64_t days)
{
	int y, mo, d, h, mi, s;
	char b[24];

	lv_time_civil(days * 86400, &y, &mo, &d, &h, &mi, &s);
	snprintf(b, sizeof(b), "%04d-%02d-%02d", y, mo, d);
	return json_string(b);
}

static json_t *bound(const struct lv_dcol *dc, const struct cstat *s, int max)
{
	char tmp[PREFIX_MAX + 4];

	switch (dc->pt) {
	case LV_PARQUET_STRING:
		if (!max)
			return json_stringn(s->smin, s->smin_n);
		memcpy(tmp, s->smax, s->smax_n);
		if (s->smax_cut) {
			memcpy(tmp + s->smax_n, "\xef\xbf\xbd", 3);
			return json_stringn(tmp, s->smax_n + 3);
		}
		return json_stringn(tmp, s->smax_n);
	case LV_PARQUET_INT32:
	case LV_PARQUET_INT64:
		return json_integer(max ? s->imax : s->imin);
	case LV_PARQUET_DOUBLE:
		return s->nan || isinf(max ? s->dmax : s->dmin) ? NULL
			: json_real(max ? s->dmax : s->dmin);
	case LV_PARQUET_DATE:
		return date_json(max ? s->imax : s->imin);
	case LV_PARQUET_TIMESTAMP:
		return ts_json(max ? s->imax : s->imin, max);
	default:
		return NULL;  /* booleans, decimals: no bounds */
	}
}

static char *stats_json(const struct lv_dwriter *dw)
{
	json_t *o = json_object(), *mn = json_object(), *mx = json_object(), *nc = json_object();
	char *s = NULL;

	if (!o || !mn || !mx || !nc)
		goto out;
	for (size_t i = 0; i < dw->ncols && i < LV_DELTA_STAT_COLS; i++) {
		const struct cstat *st = &dw->st[i];
		const char *name = dw->cols[i].c->name;

		json_object_set_new(nc, name, json_integer((json_int_t)st->nulls));
		if (!st->have)
			continue;
		json_object_set_new(mn, name, bound(&dw->cols[i], st, 0));
		json_object_set_new(mx, name, bound(&dw->cols[i], st, 1));
	}
	json_object_set_new(o, "numRecords", json_integer((json_int_t)dw->cur.rows));
	json_object_set(o, "minValues", mn);
	json_object_set(o, "maxValues", mx);
	json_object_set(o, "nullCount", nc);
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
out:
	json_decref(o);
	json_decref(mn);
	json_decref(mx);
	json_decref(nc);
	return s;
}

static int file_close(struct lv_dwriter *dw)
{
	struct lv_dfile *v;
	int rc;

	rc = lv_parquet_finish(dw->pw);
	if (rc)
		return rc;
	dw->cur.rows = lv_parquet_rows(dw->pw);
	dw->cur.size = lv_parquet_written(dw->pw);
	lv_parquet_writer_free(dw->pw);
	dw->pw = NULL;
	dw->cur.seg0 = dw->seg0;
	dw->cur.sig = dw->sig;
	dw->cur.nseg = dw->nseg;
	dw->seg0 = dw->sig = 0;
	dw->nseg = 0;
	dw->cur.stats = stats_json(dw);
	if (!dw->cur.stats)
		return -ENOMEM;
	v = realloc(dw->files, (dw->nfiles + 1) * sizeof(*v));
	if (!v) {
		free(dw->cur.stats);
		return -ENOMEM;
	}
	dw->files = v;
	dw->cur.data = dw->out.p;  /* the file's bytes go with it */
	lv_buf_init(&dw->out, DATA_MAX);
	v[dw->nfiles++] = dw->cur;
	memset(&dw->cur, 0, sizeof(dw->cur));
	return 0;
}

/* --- records ---------------------------------------------------------- */

int lv_dwriter_new(struct lv_dwriter **out, const struct lv_table *t,
		   const struct lv_dcol *cols, const char *part, uint64_t file_bytes,
		   size_t index)
{
	struct lv_dwriter *dw = calloc(1, sizeof(*dw));

	*out = NULL;
	if (!dw)
		return -ENOMEM;
	dw->t = t;
	dw->cols = cols;
	dw->ncols = t->ncols;
	dw->file_bytes = file_bytes;
	dw->index = index;
	snprintf(dw->part, sizeof(dw->part), "%s", part);
	lv_buf_init(&dw->scratch, (size_t)LV_PARQUET_ROW_GROUP_BYTES);
	lv_buf_init(&dw->out, DATA_MAX);
	dw->st = calloc(dw->ncols ? dw->ncols : 1, sizeof(*dw->st));
	dw->tc = calloc(dw->ncols ? dw->ncols : 1, sizeof(*dw->tc));
	if (!dw->st || !dw->tc) {
		lv_dwriter_free(dw);
		return -ENOMEM;
	}
	*out = dw;
	return 0;
}

/* One field at @p (up to @end): its value (unquoted, into scratch when
 * it had doubled quotes), whether it was quoted, and where the next
 * starts. Returns 1 at the end of the record, 0 for more, -EIO when bad. */
static int next_field(struct lv_dwriter *dw, const char **p, const char *end,
		      const char **v, size_t *n, int *quoted)
{
	const char *s = *p;

	*quoted = 0;
	if (s < end && *s == '"') {
		const char *q = ++s;
		int dbl = 0;

		for (;;) {
			q = memchr(q, '"', (size_t)(end - q));
			if (!q)
				return -EIO;
			if (q + 1 < end && q[1] == '"') {
				dbl = 1;
				q += 2;
				continue;
			}
			break;
		}
		*quoted = 1;
		if (dbl) {
			lv_buf_reset(&dw->scratch);
			for (const char *r = s; r < q; r++) {
				if (lv_buf_addc(&dw->scratch, *r))
					return -ENOMEM;
				if (*r == '"')
					r++;
			}
			*v = dw->scratch.p ? dw->scratch.p : "";
			*n = dw->scratch.len;
		} else {
			*v = s;
			*n = (size_t)(q - s);
		}
		s = q + 1;
	} else {
		const char *q = s;

		while (q < end && *q != ',' && *q != '\n')
			q++;
		*v = s;
		*n = (size_t)(q - s);
		s = q;
	}
	if (s >= end || *s == '\n') {
		*p = s < end ? s + 1 : end;  /* past the record's "\n" */
		return 1;
	}
	if (*s != ',')
		return -EIO;
	*p = s + 1;
	return 0;
}

/* Digits of @s from *@i up to @max of them (at least one) -> *@v. */
static int digits(const char *s, size_t n, size_t *i, int max, unsigned *v)
{
	int k = 0;

	*v = 0;
	while (*i < n && k < max && s[*i] >= '0' && s[*i] <= '9') {
		*v = *v * 10 + (unsigned)(s[(*i)++] - '0');
		k++;
	}
	return k ? 0 : LV_EBADVALUE;
}

/* "M/d/yyyy h:mm:ss AM" (Sink columns) -> unix seconds */
static int parse_sink(const char *s, size_t n, int64_t *secs)
{
	unsigned mo, d, y, h, mi, se;
	char iso[32];
	uint32_t ticks;
	size_t i = 0;
	int dateonly;

	if (digits(s, n, &i, 2, &mo) || i >= n || s[i++] != '/' ||
	    digits(s, n, &i, 2, &d) || i >= n || s[i++] != '/' ||
	    digits(s, n, &i, 4, &y) || i >= n || s[i++] != ' ' ||
	    digits(s, n, &i, 2, &h) || i >= n || s[i++] != ':' ||
	    digits(s, n, &i, 2, &mi) || i >= n || s[i++] != ':' ||
	    digits(s, n, &i, 2, &se) || n - i != 3 || s[i] != ' ' ||
	    (s[i + 1] != 'A' && s[i + 1] != 'P') || s[i + 2] != 'M' || h < 1 || h > 12)
		return LV_EBADVALUE;
	h = h % 12 + (s[i + 1] == 'P' ? 12 : 0);
	snprintf(iso, sizeof(iso), "%04u-%02u-%02uT%02u:%02u:%02uZ", y, mo, d, h, mi, se);
	return lv_time_parse(iso, strlen(iso), secs, &ticks, &dateonly);
}

/* Date-times repeat (a batch's Sink times, a day's dates): each column
 * remembers its last text and what it parsed to. */
static int parse_time(struct lv_dwriter *dw, size_t i, const char *v, size_t n,
		      int64_t *secs, uint32_t *ticks)
{
	struct tcache *c = &dw->tc[i];
	int dateonly, rc;

	if (c->n == n && n && memcmp(c->text, v, n) == 0) {
		*secs = c->secs;
		*ticks = c->ticks;
		return 0;
	}
	*ticks = 0;
	rc = dw->cols[i].c->fmt == LV_F_SINK ? parse_sink(v, n, secs)
					     : lv_time_parse(v, n, secs, ticks, &dateonly);
	if (rc || n > sizeof(c->text))
		return rc;
	memcpy(c->text, v, n);
	c->n = n;
	c->secs = *secs;
	c->ticks = *ticks;
	return 0;
}

static int put_value(struct lv_dwriter *dw, size_t i, const char *v, size_t n,
		     int quoted)
{
	const struct lv_dcol *dc = &dw->cols[i];
	struct cstat *st = &dw->st[i];
	char tmp[64], *endp;
	int64_t x, secs;
	uint32_t ticks;
	int rc;
	double d;

	if (!n && !quoted) {
		st->nulls++;
		return lv_parquet_null(dw->pw, i);
	}
	switch (dc->pt) {
	case LV_PARQUET_STRING:
		stat_str(st, v, n);
		return lv_parquet_string(dw->pw, i, v, n);
	case LV_PARQUET_INT32:
	case LV_PARQUET_INT64:
		rc = lv_int_parse(v, n, dc->pt == LV_PARQUET_INT32 ? 32 : 64, &x);
		if (rc)
			return rc;
		stat_int(st, x);
		return dc->pt == LV_PARQUET_INT32 ? lv_parquet_int32(dw->pw, i, (int32_t)x)
						  : lv_parquet_int64(dw->pw, i, x);
	case LV_PARQUET_DECIMAL:
		return lv_parquet_decimal(dw->pw, i, v, n);
	case LV_PARQUET_DOUBLE:
		if (n >= sizeof(tmp))
			return LV_EBADVALUE;
		memcpy(tmp, v, n);
		tmp[n] = '\0';
		errno = 0;
		d = strtod(tmp, &endp);
		if (*endp || endp == tmp)
			return LV_EBADVALUE;
		stat_dbl(st, d);
		return lv_parquet_double(dw->pw, i, d);
	case LV_PARQUET_BOOLEAN:
		if (n == 4 && !memcmp(v, "True", 4))
			return lv_parquet_bool(dw->pw, i, 1);
		if (n == 5 && !memcmp(v, "False", 5))
			return lv_parquet_bool(dw->pw, i, 0);
		return LV_EBADVALUE;
	default:
		rc = parse_time(dw, i, v, n, &secs, &ticks);
		if (rc)
			return rc;
		if (dc->pt == LV_PARQUET_DATE) {
			x = secs / 86400 - (secs % 86400 < 0);
			if (x < INT32_MIN || x > INT32_MAX)
				return LV_ETOOBIG;
			stat_int(st, x);
			return lv_parquet_int32(dw->pw, i, (int32_t)x);
		}
		x = secs * 1000000 + ticks / 10;
		stat_int(st, x);
		return lv_parquet_int64(dw->pw, i, x);
	}
}

int lv_dwriter_record(struct lv_dwriter *dw, const char *rec, size_t len)
{
	size_t used;

	return lv_dwriter_take(dw, rec, len, &used);
}

int lv_dwriter_take(struct lv_dwriter *dw, const char *rec, size_t avail, size_t *used)
{
	const char *p = rec, *end = rec + avail, *v;
	size_t i = 0, n, len;
	int quoted, last = 0, rc;

	if (!dw->pw) {
		rc = file_open(dw);
		if (rc)
			return rc;
	}
	while (!last) {
		last = next_field(dw, &p, end, &v, &n, &quoted);
		if (last < 0 || i >= dw->ncols || (last && p[-1] != '\n'))
			return lv_err_set(-EIO, "table '%s', partition %s: a record of the lake is not the CSV lakeview writes (%.*s)",
					  dw->t->name, dw->part, (int)(avail > 60 ? 60 : avail), rec);
		rc = put_value(dw, i, v, n, quoted);
		if (rc == LV_EBADVALUE || rc == LV_ETOOBIG)
			return lv_err_set(rc, "table '%s', row %.36s, column '%s': value '%.*s' does not fit %s, its type in the metadata now; no Delta version of the table was written (remove and add the table again to rewrite it)",
					  dw->t->name, rec, dw->cols[i].c->name,
					  (int)(n > 60 ? 60 : n), v, dw->cols[i].spark);
		if (rc)
			return rc;
		i++;
	}
	for (; i < dw->ncols; i++) {  /* columns added after this record */
		dw->st[i].nulls++;
		rc = lv_parquet_null(dw->pw, i);
		if (rc)
			return rc;
	}
	rc = lv_parquet_end_row(dw->pw);
	if (rc)
		return rc;
	len = (size_t)(p - rec);
	*used = len;
	dw->cur.rows++;
	dw->csv_bytes += len;
	return 0;
}

int lv_dwriter_seg(struct lv_dwriter *dw, uint64_t seg, uint64_t chunk)
{
	if (!dw->nseg)
		dw->seg0 = seg;
	dw->nseg++;
	dw->sig = lv_dseg_sig(dw->sig, seg, chunk);
	if (dw->pw && dw->csv_bytes >= dw->file_bytes)
		return file_close(dw);
	return 0;
}

int lv_dwriter_cut(struct lv_dwriter *dw)
{
	int rc = dw->pw ? file_close(dw) : 0;

	dw->seg0 = dw->sig = 0;  /* segments without a row: in no file */
	dw->nseg = 0;
	return rc;
}

int lv_dwriter_finish(struct lv_dwriter *dw, struct lv_dfile **files, size_t *n)
{
	int rc = lv_dwriter_cut(dw);

	if (rc)
		return rc;
	*files = dw->files;
	*n = dw->nfiles;
	dw->files = NULL;
	dw->nfiles = 0;
	return 0;
}

void lv_dwriter_free(struct lv_dwriter *dw)
{
	if (!dw)
		return;
	lv_parquet_writer_free(dw->pw);
	lv_dfiles_free(dw->files, dw->nfiles);
	free(dw->st);
	free(dw->tc);
	lv_buf_free(&dw->scratch);
	lv_buf_free(&dw->out);
	free(dw);
}

void lv_dfiles_free(struct lv_dfile *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].stats);
		free(f[i].data);
	}
	free(f);
}

int lv_drec_id(const char *rec, size_t len, uint8_t id[16])
{
	if (len < 36 || lv_guid_parse(rec, 36, id))
		return -EIO;
	return 0;
}

int lv_drec_deleted(const char *rec, size_t len)
{
	return len >= 5 && memcmp(rec + len - 5, "True\n", 5) == 0 &&
	       (len == 5 || rec[len - 6] == ',');
}
