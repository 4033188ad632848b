/*
 * pq_write.c - write one Parquet file with liblakeview's encoder from a
 * JSON description, for the readers suite (test_parquet_readers.py).
 *
 *   pq_write SPEC.json OUT.parquet
 *
 * SPEC: {"columns": [{"name", "type", "precision", "scale"}...],
 *        "options": {"codec": "zstd"|"none", "zstd_level", "row_group_bytes",
 *                    "page_bytes", "page_rows", "dict_bytes", "no_dictionary",
 *                    "kv": {"key": "value"...}},
 *        "rows": [[value...]...]}
 * Types: string int32 int64 decimal double boolean date timestamp. Values:
 * JSON null is null; dates are days and timestamps microseconds since
 * 1970-01-01 (integers); decimals are text (or an integer: the unscaled
 * value). A row with a value the encoder refuses exits 3 with the error.
 * Exit status: 0, 1 on a bad spec or failed write, 3 on a refused value.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lakeview/err.h"
#include "lakeview/parquet.h"

static const char *const types[] = {
	[LV_PARQUET_STRING] = "string", [LV_PARQUET_INT32] = "int32",
	[LV_PARQUET_INT64] = "int64", [LV_PARQUET_DECIMAL] = "decimal",
	[LV_PARQUET_DOUBLE] = "double", [LV_PARQUET_BOOLEAN] = "boolean",
	[LV_PARQUET_DATE] = "date", [LV_PARQUET_TIMESTAMP] = "timestamp",
};

static int type_of(const char *s)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (s && !strcmp(s, types[i]))
			return (int)i;
	return -1;
}

static int put(struct lv_parquet_writer *w, size_t i, enum lv_parquet_type t,
	       json_t *v)
{
	if (json_is_null(v))
		return lv_parquet_null(w, i);
	switch (t) {
	case LV_PARQUET_STRING:
		return lv_parquet_string(w, i, json_string_value(v), json_string_length(v));
	case LV_PARQUET_INT32:
	case LV_PARQUET_DATE:
		return lv_parquet_int32(w, i, (int32_t)json_integer_value(v));
	case LV_PARQUET_INT64:
	case LV_PARQUET_TIMESTAMP:
		return lv_parquet_int64(w, i, (int64_t)json_integer_value(v));
	case LV_PARQUET_DECIMAL:
		if (json_is_integer(v))
			return lv_parquet_int64(w, i, (int64_t)json_integer_value(v));
		return lv_parquet_decimal(w, i, json_string_value(v), json_string_length(v));
	case LV_PARQUET_DOUBLE:
		return lv_parquet_double(w, i, json_number_value(v));
	case LV_PARQUET_BOOLEAN:
		return lv_parquet_bool(w, i, json_is_true(v));
	}
	return -EINVAL;
}

static size_t opt_size(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? (size_t)json_integer_value(v) : 0;
}

int main(int argc, char **argv)
{
	struct lv_parquet_column cols[256] = { { 0 } };
	struct lv_parquet_kv kv[16];
	struct lv_parquet_options o = { 0 };
	struct lv_parquet_writer *w = NULL;
	json_t *spec, *jc, *rows, *opt, *row, *jkv, *v;
	json_error_t jerr;
	size_t ncols, r, i, nkv = 0;
	const char *k;
	int fd, rc;

	if (argc != 3) {
		fprintf(stderr, "usage: pq_write SPEC.json OUT.parquet\n");
		return 1;
	}
	spec = json_load_file(argv[1], 0, &jerr);
	if (!spec) {
		fprintf(stderr, "pq_write: %s: %s\n", argv[1], jerr.text);
		return 1;
	}
	jc = json_object_get(spec, "columns");
	rows = json_object_get(spec, "rows");
	opt = json_object_get(spec, "options");
	ncols = json_array_size(jc);
	if (!ncols || ncols > 256 || !json_is_array(rows)) {
		fprintf(stderr, "pq_write: 1 to 256 columns and rows, please\n");
		return 1;
	}
	json_array_foreach(jc, i, v) {
		int t = type_of(json_string_value(json_object_get(v, "type")));

		if (t < 0) {
			fprintf(stderr, "pq_write: column %zu: unknown type\n", i);
			return 1;
		}
		cols[i].name = json_string_value(json_object_get(v, "name"));
		cols[i].type = (enum lv_parquet_type)t;
		cols[i].precision = (int)json_integer_value(json_object_get(v, "precision"));
		cols[i].scale = (int)json_integer_value(json_object_get(v, "scale"));
	}
	v = json_object_get(opt, "codec");
	if (v && !strcmp(json_string_value(v), "zstd"))
		o.codec = LV_PARQUET_ZSTD;
	o.zstd_level = (int)opt_size(opt, "zstd_level");
	o.row_group_bytes = opt_size(opt, "row_group_bytes");
	o.page_bytes = opt_size(opt, "page_bytes");
	o.page_rows = opt_size(opt, "page_rows");
	o.dict_bytes = opt_size(opt, "dict_bytes");
	o.no_dictionary = json_is_true(json_object_get(opt, "no_dictionary"));
	jkv = json_object_get(opt, "kv");
	json_object_foreach(jkv, k, v) {
		if (nkv == 16)
			break;
		kv[nkv].key = k;
		kv[nkv++].value = json_string_value(v);
	}
	o.kv = kv;
	o.nkv = nkv;
	fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(argv[2]);
		return 1;
	}
	rc = lv_parquet_writer_new(&w, cols, ncols, &o, lv_parquet_write_fd, &fd);
	json_array_foreach(rows, r, row) {
		for (i = 0; i < ncols && !rc; i++)
			rc = put(w, i, cols[i].type, json_array_get(row, i));
		if (rc) {
			fprintf(stderr, "pq_write: row %zu column %zu: %s\n", r, i - 1,
				lv_err_message(rc));
			return 3;
		}
		rc = lv_parquet_end_row(w);
	}
	if (!rc)
		rc = lv_parquet_finish(w);
	if (rc) {
		fprintf(stderr, "pq_write: %s\n", lv_err_message(rc));
		return 1;
	}
	lv_parquet_writer_free(w);
	json_decref(spec);
	return close(fd) ? 1 : 0;
}
