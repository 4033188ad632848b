/*
 * test_parquet.c - the Parquet encoder (core/parquet.c, parquet_col.c) and
 * its Thrift compact writer (core/thrift.c), against bytes the specs fix:
 * the compact protocol's encodings (apache/thrift
 * doc/specs/thrift-compact-protocol.md), the RLE/bit-packed hybrid
 * (apache/parquet-format Encodings.md, with its own bit-packing example),
 * and whole small files computed by hand from parquet.thrift: the magic at
 * both ends, the footer length, page headers, levels, values, dictionary
 * pages, statistics and the footer itself. The three independent readers
 * of tests/readers check what these bytes mean to real readers.
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <zstd.h>

#include "check.h"
#include "lakeview/err.h"
#include "lakeview/parquet.h"
#include "parquet_i.h"
#include "thrift_i.h"

static int same(const struct lv_buf *b, const uint8_t *want, size_t n)
{
	if (b->len == n && !memcmp(b->p, want, n))
		return 1;
	fprintf(stderr, "got  %zu:", b->len);
	for (size_t i = 0; i < b->len; i++)
		fprintf(stderr, " %02x", (uint8_t)b->p[i]);
	fprintf(stderr, "\nwant %zu:", n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, " %02x", want[i]);
	fprintf(stderr, "\n");
	return 0;
}

#define SAME(b, ...) do { \
	static const uint8_t want_[] = { __VA_ARGS__ }; \
	CHECK(same((b), want_, sizeof(want_))); \
} while (0)

static void test_thrift(void)
{
	struct lv_thrift t;
	struct lv_buf b;

	lv_buf_init(&b, 1024);
	/* SchemaElement "optional binary name (STRING)" */
	lv_thrift_init(&t, &b);
	lv_thrift_i32(&t, 1, 6);
	lv_thrift_i32(&t, 3, 1);
	lv_thrift_string(&t, 4, "name");
	lv_thrift_i32(&t, 6, 0);
	lv_thrift_struct(&t, 10);
	lv_thrift_empty(&t, 1);
	lv_thrift_struct_end(&t);
	CHECK(lv_thrift_end(&t) == 0);
	SAME(&b, 0x15, 0x0c, 0x25, 0x02, 0x18, 0x04, 'n', 'a', 'm', 'e', 0x25, 0x00,
	     0x4c, 0x1c, 0x00, 0x00, 0x00);

	/* PageHeader: v1 data page, 100 bytes, 60 compressed, 5 values */
	lv_buf_reset(&b);
	lv_thrift_init(&t, &b);
	lv_thrift_i32(&t, 1, 0);
	lv_thrift_i32(&t, 2, 100);
	lv_thrift_i32(&t, 3, 60);
	lv_thrift_struct(&t, 5);
	lv_thrift_i32(&t, 1, 5);
	lv_thrift_i32(&t, 2, 0);
	lv_thrift_i32(&t, 3, 3);
	lv_thrift_i32(&t, 4, 3);
	lv_thrift_struct_end(&t);
	CHECK(lv_thrift_end(&t) == 0);
	SAME(&b, 0x15, 0x00, 0x15, 0xc8, 0x01, 0x15, 0x78, 0x2c, 0x15, 0x0a, 0x15, 0x00,
	     0x15, 0x06, 0x15, 0x06, 0x00, 0x00);

	/* long-form headers, zigzag of negatives, i8 raw, bools, long lists */
	lv_buf_reset(&b);
	lv_thrift_init(&t, &b);
	lv_thrift_binary(&t, 20, "x", 1);   /* 08 28: type, zigzag(20) */
	lv_thrift_i64(&t, 21, -1);          /* delta 1: 16 01 */
	lv_thrift_i64(&t, 22, INT64_MIN);   /* zigzag = 2^64-1: ten bytes */
	lv_thrift_i8(&t, 23, -2);           /* 13 fe */
	lv_thrift_bool(&t, 24, 1);          /* 11 */
	lv_thrift_bool(&t, 25, 0);          /* 12 */
	lv_thrift_i16(&t, 41, 300);         /* delta 16: 04 52, zigzag 600 = d8 04 */
	lv_thrift_list(&t, 42, LV_THRIFT_I32, 15); /* 19 f5 0f */
	for (int i = 0; i < 15; i++)
		lv_thrift_elem_i32(&t, -i);
	CHECK(lv_thrift_end(&t) == 0);
	SAME(&b, 0x08, 0x28, 0x01, 'x', 0x16, 0x01,
	     0x16, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
	     0x13, 0xfe, 0x11, 0x12, 0x04, 0x52, 0xd8, 0x04, 0x19, 0xf5, 0x0f,
	     0x00, 0x01, 0x03, 0x05, 0x07, 0x09, 0x0b, 0x0d, 0x0f, 0x11, 0x13, 0x15,
	     0x17, 0x19, 0x1b, 0x00);

	/* an unbalanced struct is our bug, and is reported */
	lv_buf_reset(&b);
	lv_thrift_init(&t, &b);
	lv_thrift_struct(&t, 1);
	CHECK(lv_thrift_end(&t) == -EINVAL);
	lv_buf_free(&b);
}

static void test_rle(void)
{
	static const uint32_t a[] = { 1, 0, 1, 1, 1 };
	static const uint32_t ones[10] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	static const uint32_t z8[] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1 };
	static const uint32_t seq[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	uint32_t wide[20];
	struct lv_buf b;

	lv_buf_init(&b, 1024);
	CHECK(lv_parquet_rle(&b, a, 5, 1) == 0);
	SAME(&b, 0x03, 0x1d);            /* one bit-packed group, padded */
	lv_buf_reset(&b);
	CHECK(lv_parquet_rle(&b, ones, 10, 1) == 0);
	SAME(&b, 0x14, 0x01);            /* an RLE run of 10 */
	lv_buf_reset(&b);
	CHECK(lv_parquet_rle(&b, z8, 11, 1) == 0);
	SAME(&b, 0x10, 0x00, 0x03, 0x07);
	lv_buf_reset(&b);
	/* Encodings.md's example: 0..7 bit-packed at width 3 */
	CHECK(lv_parquet_rle(&b, seq, 8, 3) == 0);
	SAME(&b, 0x03, 0x88, 0xc6, 0xfa);
	lv_buf_reset(&b);
	for (int i = 0; i < 20; i++)
		wide[i] = 300;
	CHECK(lv_parquet_rle(&b, wide, 20, 9) == 0);
	SAME(&b, 0x28, 0x2c, 0x01);      /* the value in ceil(9/8) bytes */
	lv_buf_reset(&b);
	CHECK(lv_parquet_rle(&b, wide, 0, 9) == 0 && b.len == 0);
	CHECK(lv_parquet_width(0) == 0 && lv_parquet_width(1) == 1 &&
	      lv_parquet_width(7) == 3 && lv_parquet_width(8) == 4 &&
	      lv_parquet_width(UINT32_MAX) == 32);
	lv_buf_free(&b);
}

static void test_decimal(void)
{
	__int128 v = 0;
	uint8_t be[16];

	CHECK(lv_pq_decimal_parse("12.5", 4, 5, 2, &v) == 0 && v == 1250);
	CHECK(lv_pq_decimal_parse("-0.05", 5, 5, 2, &v) == 0 && v == -5);
	CHECK(lv_pq_decimal_parse("+000123.40", 10, 5, 2, &v) == 0 && v == 12340);
	CHECK(lv_pq_decimal_parse("1.230", 5, 5, 2, &v) == 0 && v == 123);
	CHECK(lv_pq_decimal_parse("1.", 2, 5, 2, &v) == 0 && v == 100);
	CHECK(lv_pq_decimal_parse(".5", 2, 5, 2, &v) == 0 && v == 50);
	CHECK(lv_pq_decimal_parse("1.234", 5, 5, 2, &v) == LV_EBADVALUE);
	CHECK(lv_pq_decimal_parse("999.99", 6, 5, 2, &v) == 0 && v == 99999);
	CHECK(lv_pq_decimal_parse("1000", 4, 5, 2, &v) == LV_ETOOBIG);
	CHECK(lv_pq_decimal_parse("1", 1, 2, 2, &v) == LV_ETOOBIG);
	CHECK(lv_pq_decimal_parse("", 0, 5, 2, &v) == LV_EBADVALUE);
	CHECK(lv_pq_decimal_parse("-", 1, 5, 2, &v) == LV_EBADVALUE);
	CHECK(lv_pq_decimal_parse(".", 1, 5, 2, &v) == LV_EBADVALUE);
	CHECK(lv_pq_decimal_parse("1e5", 3, 5, 2, &v) == LV_EBADVALUE);
	CHECK(lv_pq_decimal_parse("1.2.3", 5, 5, 2, &v) == LV_EBADVALUE);
	CHECK(lv_pq_decimal_parse(" 1", 2, 5, 2, &v) == LV_EBADVALUE);
	CHECK(lv_pq_decimal_parse("99999999999999999999999999999999999999", 38, 38, 0, &v) == 0 &&
	      v == lv_pq_pow10(38) - 1);
	CHECK(lv_pq_decimal_parse("999999999999999999999999999999999999999", 39, 38, 0, &v) ==
	      LV_ETOOBIG);
	lv_pq_be(be, -1, 16);
	CHECK(be[0] == 0xff && be[15] == 0xff);
	lv_pq_be(be, 258, 9);
	CHECK(be[0] == 0 && be[7] == 1 && be[8] == 2);
	lv_pq_be(be, -lv_pq_pow10(2), 2);  /* -100 = ff 9c */
	CHECK(be[0] == 0xff && be[1] == 0x9c);
}

/* An INT32 column "v" of rows 7, null, -1, uncompressed, by hand. */
static void test_file_plain(void)
{
	static const struct lv_parquet_column col = { "v", LV_PARQUET_INT32, 0, 0, 0 };
	static const struct lv_parquet_options o = { .created_by = "lakeview" };
	struct lv_parquet_writer *w;
	struct lv_buf out;

	lv_buf_init(&out, 1 << 20);
	CHECK_RC(lv_parquet_writer_new(&w, &col, 1, &o, lv_parquet_write_buf, &out));
	CHECK_RC(lv_parquet_int32(w, 0, 7));
	CHECK_RC(lv_parquet_end_row(w));
	CHECK_RC(lv_parquet_null(w, 0));
	CHECK_RC(lv_parquet_end_row(w));
	CHECK_RC(lv_parquet_int32(w, 0, -1));
	CHECK_RC(lv_parquet_end_row(w));
	CHECK_RC(lv_parquet_finish(w));
	CHECK(lv_parquet_rows(w) == 3 && lv_parquet_written(w) == out.len);
	lv_parquet_writer_free(w);
	SAME(&out,
	     'P', 'A', 'R', '1',
	     /* PageHeader: DATA_PAGE, 14 bytes twice, 3 values, PLAIN, RLE, RLE */
	     0x15, 0x00, 0x15, 0x1c, 0x15, 0x1c, 0x2c, 0x15, 0x06, 0x15, 0x00,
	     0x15, 0x06, 0x15, 0x06, 0x00, 0x00,
	     /* levels 1,0,1: length 2, one bit-packed group 0b101 */
	     0x02, 0x00, 0x00, 0x00, 0x03, 0x05,
	     /* values 7 and -1 */
	     0x07, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
	     /* FileMetaData (offset 35): version 1 */
	     0x15, 0x02,
	     /* schema: list of 2 structs; root "schema", 1 child */
	     0x19, 0x2c, 0x48, 0x06, 's', 'c', 'h', 'e', 'm', 'a', 0x15, 0x02, 0x00,
	     /* INT32, OPTIONAL, "v" */
	     0x15, 0x02, 0x25, 0x02, 0x18, 0x01, 'v', 0x00,
	     /* num_rows 3; row_groups: a list of 1 */
	     0x16, 0x06, 0x19, 0x1c,
	     /* RowGroup.columns: a list of 1 ColumnChunk; file_offset 0 */
	     0x19, 0x1c, 0x26, 0x00,
	     /* ColumnMetaData: INT32, [PLAIN, RLE], ["v"], UNCOMPRESSED */
	     0x1c, 0x15, 0x02, 0x19, 0x25, 0x00, 0x06, 0x19, 0x18, 0x01, 'v', 0x15, 0x00,
	     /* num_values 3, sizes 31 and 31, data_page_offset 4 */
	     0x16, 0x06, 0x16, 0x3e, 0x16, 0x3e, 0x26, 0x08,
	     /* Statistics: null_count 1, max_value 7, min_value -1 */
	     0x3c, 0x36, 0x02, 0x28, 0x04, 0x07, 0x00, 0x00, 0x00,
	     0x18, 0x04, 0xff, 0xff, 0xff, 0xff, 0x00,
	     0x00, 0x00,
	     /* total_byte_size 31, num_rows 3, file_offset 4, compressed 31, ordinal 0 */
	     0x16, 0x3e, 0x16, 0x06, 0x26, 0x08, 0x16, 0x3e, 0x14, 0x00, 0x00,
	     /* created_by "lakeview" */
	     0x28, 0x08, 'l', 'a', 'k', 'e', 'v', 'i', 'e', 'w',
	     /* column_orders: [TYPE_ORDER] */
	     0x19, 0x1c, 0x1c, 0x00, 0x00,
	     0x00,
	     /* footer length 97 (35 to 132), magic */
	     0x61, 0x00, 0x00, 0x00, 'P', 'A', 'R', '1');
	lv_buf_free(&out);
}

/* A string column "s" of "aa","bb" x10: a dictionary page, then indices. */
static void test_file_dictionary(void)
{
	static const struct lv_parquet_column col = { "s", LV_PARQUET_STRING, 0, 0, 0 };
	static const uint8_t head[] = {
		'P', 'A', 'R', '1',
		/* DICTIONARY_PAGE, 12 bytes twice; 2 values, PLAIN */
		0x15, 0x04, 0x15, 0x18, 0x15, 0x18, 0x4c, 0x15, 0x04, 0x15, 0x00, 0x00, 0x00,
		0x02, 0x00, 0x00, 0x00, 'a', 'a', 0x02, 0x00, 0x00, 0x00, 'b', 'b',
		/* DATA_PAGE, 11 bytes twice, 20 values, RLE_DICTIONARY, RLE, RLE */
		0x15, 0x00, 0x15, 0x16, 0x15, 0x16, 0x2c, 0x15, 0x28, 0x15, 0x10,
		0x15, 0x06, 0x15, 0x06, 0x00, 0x00,
		/* levels: an RLE run of twenty 1s */
		0x02, 0x00, 0x00, 0x00, 0x28, 0x01,
		/* bit width 1; 3 bit-packed groups of 0,1,0,1...; padding */
		0x01, 0x07, 0xaa, 0xaa, 0x0a,
	};
	/* ColumnMetaData.encodings [PLAIN, RLE, RLE_DICTIONARY] */
	static const uint8_t enc[] = { 0x19, 0x35, 0x00, 0x06, 0x10 };
	struct lv_parquet_writer *w;
	struct lv_buf out;

	lv_buf_init(&out, 1 << 20);
	CHECK_RC(lv_parquet_writer_new(&w, &col, 1, NULL, lv_parquet_write_buf, &out));
	for (int i = 0; i < 20; i++) {
		CHECK_RC(lv_parquet_string(w, 0, i % 2 ? "bb" : "aa", 2));
		CHECK_RC(lv_parquet_end_row(w));
	}
	CHECK_RC(lv_parquet_finish(w));
	lv_parquet_writer_free(w);
	CHECK(out.len > sizeof(head) && !memcmp(out.p, head, sizeof(head)));
	CHECK(memmem(out.p, out.len, enc, sizeof(enc)) != NULL);
	/* data_page_offset 29 (after 13 + 12 bytes), dictionary_page_offset 4 */
	CHECK(memmem(out.p, out.len, "\x26\x3a\x26\x08", 4) != NULL);
	lv_buf_free(&out);
}

/* zstd: the page body decompresses to what the uncompressed file holds. */
static void test_zstd(void)
{
	static const struct lv_parquet_column col = { "v", LV_PARQUET_INT64, 0, 0, 0 };
	/* 300 values: num_values zigzag 600, PLAIN, RLE, RLE */
	static const char tail[] = "\x2c\x15\xd8\x04\x15\x00\x15\x06\x15\x06\x00\x00";
	struct lv_parquet_options o = { .codec = LV_PARQUET_ZSTD };
	struct lv_parquet_writer *w;
	struct lv_buf plain, z;
	const uint8_t *p;
	char back[4096];
	uint64_t zn = 0;
	size_t n;
	int sh = 0;

	lv_buf_init(&plain, 1 << 20);
	lv_buf_init(&z, 1 << 20);
	for (int k = 0; k < 2; k++) {
		CHECK_RC(lv_parquet_writer_new(&w, &col, 1, k ? &o : NULL,
					       lv_parquet_write_buf, k ? &z : &plain));
		for (int i = 0; i < 300; i++) {
			CHECK_RC(lv_parquet_int64(w, 0, i / 10));
			CHECK_RC(lv_parquet_end_row(w));
		}
		CHECK_RC(lv_parquet_finish(w));
		lv_parquet_writer_free(w);
	}
	/*
	 * The body: levels 4 + 3 bytes (an RLE run of 300: d8 04 01), values
	 * 2400: 2407 bytes, zigzag 4814 = ce 25. Uncompressed, both sizes.
	 */
	CHECK(plain.len > 4 + 20 + 2407);
	CHECK(!memcmp(plain.p + 4, "\x15\x00\x15\xce\x25\x15\xce\x25", 8) &&
	      !memcmp(plain.p + 12, tail, 12));
	CHECK(!memcmp(plain.p + 24, "\x03\x00\x00\x00\xd8\x04\x01", 7));
	/* zstd: the same uncompressed size, then the frame's own size */
	CHECK(!memcmp(z.p + 4, "\x15\x00\x15\xce\x25\x15", 6));
	for (p = (const uint8_t *)z.p + 10; *p & 0x80; p++, sh += 7)
		zn |= (uint64_t)(*p & 0x7f) << sh;
	zn = (zn | (uint64_t)*p++ << sh) >> 1;
	CHECK(!memcmp(p, tail, 12));
	p += 12;
	CHECK(zn < 2407 && p + zn < (const uint8_t *)z.p + z.len);
	n = ZSTD_decompress(back, sizeof(back), p, zn);
	CHECK(!ZSTD_isError(n) && n == 2407 && !memcmp(back, plain.p + 24, 2407));
	/* ColumnMetaData: path ["v"], then codec ZSTD (6, zigzag 12) */
	CHECK(memmem(z.p, z.len, "\x19\x18\x01v\x15\x0c", 6) != NULL);
	lv_buf_free(&plain);
	lv_buf_free(&z);
}

/* Doubles: a zero min is -0.0, a zero max +0.0; a NaN drops min and max. */
static void test_double_stats(void)
{
	static const struct lv_parquet_column col = { "x", LV_PARQUET_DOUBLE, 0, 0, 0 };
	/* Statistics: null_count 0, max_value +0.0, min_value -0.0 */
	static const uint8_t zeros[] = {
		0x3c, 0x36, 0x00, 0x28, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x00,
		0x18, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x00,
	};
	static const double v[2][3] = { { 0.0, -0.0, -0.0 }, { 1.0, NAN, 2.0 } };
	struct lv_parquet_writer *w;
	struct lv_buf out;

	lv_buf_init(&out, 1 << 20);
	for (int k = 0; k < 2; k++) {
		lv_buf_reset(&out);
		CHECK_RC(lv_parquet_writer_new(&w, &col, 1, NULL, lv_parquet_write_buf, &out));
		for (int i = 0; i < 3; i++) {
			CHECK_RC(lv_parquet_double(w, 0, v[k][i]));
			CHECK_RC(lv_parquet_end_row(w));
		}
		CHECK_RC(lv_parquet_finish(w));
		lv_parquet_writer_free(w);
		if (!k)
			CHECK(memmem(out.p, out.len, zeros, sizeof(zeros)) != NULL);
		else    /* null_count alone */
			CHECK(memmem(out.p, out.len, "\x3c\x36\x00\x00\x00", 5) != NULL);
	}
	lv_buf_free(&out);
}

static void test_misuse_and_bounds(void)
{
	static const struct lv_parquet_column cols[] = {
		{ "s", LV_PARQUET_STRING, 0, 0, 0 },
		{ "d", LV_PARQUET_DECIMAL, 5, 2, 0 },
	};
	static const struct lv_parquet_column dup[] = {
		{ "a", LV_PARQUET_INT32, 0, 0, 0 }, { "a", LV_PARQUET_INT64, 0, 0, 0 },
	};
	static const struct lv_parquet_column wide = { "w", LV_PARQUET_DECIMAL, 39, 0, 0 };
	static const struct lv_parquet_column i64 = { "n", LV_PARQUET_INT64, 0, 0, 0 };
	struct lv_parquet_options o = { .row_group_bytes = 4000, .page_rows = 100 };
	struct lv_parquet_writer *w = NULL;
	struct lv_buf out;
	char big[5000];

	lv_buf_init(&out, 1 << 20);
	CHECK(lv_parquet_writer_new(&w, dup, 2, NULL, lv_parquet_write_buf, &out) == -EINVAL &&
	      !w);
	CHECK(lv_parquet_writer_new(&w, &wide, 1, NULL, lv_parquet_write_buf, &out) == -EINVAL);
	CHECK(lv_parquet_writer_new(&w, cols, 0, NULL, lv_parquet_write_buf, &out) == -EINVAL);
	o.row_group_bytes = LV_PARQUET_ROW_GROUP_BYTES + 1;
	CHECK(lv_parquet_writer_new(&w, cols, 2, &o, lv_parquet_write_buf, &out) == -EINVAL);
	o.row_group_bytes = 4000;

	lv_buf_reset(&out);
	CHECK_RC(lv_parquet_writer_new(&w, cols, 2, &o, lv_parquet_write_buf, &out));
	CHECK(lv_parquet_int32(w, 0, 1) == -EINVAL);        /* wrong kind */
	CHECK(lv_parquet_null(w, 2) == -EINVAL);            /* no such column */
	CHECK_RC(lv_parquet_string(w, 0, "x", 1));
	CHECK(lv_parquet_string(w, 0, "y", 1) == -EINVAL);  /* twice in a row */
	CHECK(lv_parquet_end_row(w) == -EINVAL);            /* "d" missing */
	CHECK(strstr(lv_err_message(-EINVAL), "'d'") != NULL);
	CHECK(lv_parquet_decimal(w, 1, "1000", 4) == LV_ETOOBIG);
	CHECK(strstr(lv_err_message(LV_ETOOBIG), "'d'") != NULL);
	CHECK(lv_parquet_decimal(w, 1, "1.005", 5) == LV_EBADVALUE);
	CHECK(lv_parquet_int64(w, 1, 100000) == LV_ETOOBIG);
	memset(big, 'b', sizeof(big));
	CHECK_RC(lv_parquet_decimal(w, 1, "-999.99", 7)); /* still usable */
	CHECK_RC(lv_parquet_end_row(w));
	CHECK(lv_parquet_string(w, 0, big, sizeof(big)) == LV_ETOOBIG);
	CHECK_RC(lv_parquet_null(w, 1));
	CHECK(lv_parquet_finish(w) == -EINVAL);             /* a row left open */
	CHECK_RC(lv_parquet_null(w, 0));
	CHECK_RC(lv_parquet_end_row(w));
	CHECK_RC(lv_parquet_finish(w));
	CHECK(lv_parquet_null(w, 0) != 0);                  /* finished */
	lv_parquet_writer_free(w);

	/* the row group ceiling: 4000 bytes of int64 end a group each 500 rows */
	lv_buf_reset(&out);
	CHECK_RC(lv_parquet_writer_new(&w, &i64, 1, &o, lv_parquet_write_buf, &out));
	for (int i = 0; i < 2000; i++) {
		CHECK_RC(lv_parquet_int64(w, 0, i));
		CHECK_RC(lv_parquet_end_row(w));
		CHECK(w->rg_bytes < 4000 + 1000);
	}
	CHECK(w->nrg >= 3);
	CHECK_RC(lv_parquet_finish(w));
	lv_parquet_writer_free(w);
	lv_buf_free(&out);
	lv_parquet_writer_free(NULL);
}

int main(void)
{
	test_thrift();
	test_rle();
	test_decimal();
	test_file_plain();
	test_file_dictionary();
	test_zstd();
	test_double_stats();
	test_misuse_and_bounds();
	return check_done();
}
