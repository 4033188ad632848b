/**
 * @file parquet.h
 * @brief Parquet files from typed columns: values in, row by row, a file
 *        out through a write callback.
 *
 * Caveats first:
 *  - Write-only and flat: one level of OPTIONAL columns of the types
 *    below, no nesting, no repeated fields. Every column is nullable (a
 *    null is definition level 0 and takes no value bytes).
 *  - The file is written in one pass, front to back, through the caller's
 *    write function; nothing is ever sought or rewritten. The bytes given
 *    to it before lv_parquet_finish() returns 0 are not a Parquet file
 *    yet (the footer comes last): write to a temporary name and rename.
 *  - Memory is bounded by the row group: the writer buffers at most one
 *    row group (LV_PARQUET_ROW_GROUP_BYTES unless the options say less),
 *    plus the footer's metadata (LV_PARQUET_FOOTER_MAX). A single value
 *    larger than the row group is refused (LV_ETOOBIG).
 *  - Each row gives every column exactly one value or null, in any column
 *    order, then lv_parquet_end_row(). A value of the wrong kind for its
 *    column, or a second value for a column in one row, is -EINVAL: a bug
 *    of the caller, not of the data. Values that do not fit their column
 *    (a decimal with too many digits) are LV_EBADVALUE / LV_ETOOBIG with
 *    the detail naming the column: the caller adds the table and row.
 *  - A value function that fails with -EINVAL, LV_EBADVALUE or
 *    LV_ETOOBIG leaves the writer as it was before the call. After any
 *    other failure (the write function's, -ENOMEM) the writer is broken:
 *    every later call returns the same code; free it, drop the output.
 *  - The writer does not block except in the caller's write function and
 *    is not thread-safe; separate writers are independent.
 *
 * What the file holds, and why (sources in ../shared/reference/
 * delta-parquet.md): format version 1, v1 data pages; definition levels
 * in the RLE/bit-packed hybrid; values PLAIN, or RLE_DICTIONARY with a
 * dictionary page for strings while the dictionary pays and stays under
 * its ceiling; both converted and logical type annotations (readers
 * misread dates and decimals with only one); column chunk statistics
 * (min_value, max_value, null_count) with TYPE_ORDER column orders so
 * readers may trust them; ZSTD or no compression.
 */
#ifndef LAKEVIEW_PARQUET_H
#define LAKEVIEW_PARQUET_H

#include <stddef.h>
#include <stdint.h>

#include "lakeview/buf.h"

/** Default ceiling of the bytes one row group buffers (and the max). */
#define LV_PARQUET_ROW_GROUP_BYTES ((size_t)128 << 20)
/** Default target size of a data page's values. */
#define LV_PARQUET_PAGE_BYTES ((size_t)1 << 20)
/** Default ceiling of rows in one data page (parquet-java's default). */
#define LV_PARQUET_PAGE_ROWS 20000
/** Default ceiling of a string column's dictionary page, in bytes. */
#define LV_PARQUET_DICT_BYTES ((size_t)1 << 20)
/** Ceiling of the footer (metadata of every row group), in bytes. */
#define LV_PARQUET_FOOTER_MAX ((size_t)64 << 20)
/** Strings longer than this get no min/max statistics in their chunk. */
#define LV_PARQUET_STAT_MAX 4096
/** Largest decimal precision (Spark's and Delta's). */
#define LV_PARQUET_DECIMAL_MAX 38

/** Column types; each names its physical type and annotations. */
enum lv_parquet_type {
	LV_PARQUET_STRING,    /**< BYTE_ARRAY, UTF8 / STRING */
	LV_PARQUET_INT32,     /**< INT32, no annotation (as Spark) */
	LV_PARQUET_INT64,     /**< INT64, no annotation (as Spark) */
	LV_PARQUET_DECIMAL,   /**< DECIMAL(p,s): INT32 p<=9, INT64 p<=18, else
			           FIXED_LEN_BYTE_ARRAY of the fewest bytes */
	LV_PARQUET_DOUBLE,    /**< DOUBLE */
	LV_PARQUET_BOOLEAN,   /**< BOOLEAN */
	LV_PARQUET_DATE,      /**< INT32 days since 1970-01-01, DATE */
	LV_PARQUET_TIMESTAMP, /**< INT64 microseconds since 1970-01-01 UTC,
			           TIMESTAMP(isAdjustedToUTC, MICROS) */
};

/** One column of the schema. */
struct lv_parquet_column {
	const char *name;          /**< UTF-8, non-empty; copied */
	enum lv_parquet_type type;
	int precision;             /**< DECIMAL: 1..LV_PARQUET_DECIMAL_MAX */
	int scale;                 /**< DECIMAL: 0..precision */
	int plain;                 /**< STRING: always PLAIN (unique values,
				        where a dictionary cannot pay) */
};

/** Compression of the pages. */
enum lv_parquet_codec {
	LV_PARQUET_UNCOMPRESSED = 0,
	LV_PARQUET_ZSTD = 6,       /**< the value is Parquet's codec id */
};

/** One key-value pair of the footer (e.g. org.apache.spark.version). */
struct lv_parquet_kv {
	const char *key;
	const char *value;         /**< may be NULL */
};

/** Options; a zeroed struct (or NULL) gives the defaults. */
struct lv_parquet_options {
	enum lv_parquet_codec codec;  /**< default: uncompressed */
	int zstd_level;               /**< 0: zstd's default (3) */
	size_t row_group_bytes;       /**< 0: LV_PARQUET_ROW_GROUP_BYTES (the max) */
	size_t page_bytes;            /**< 0: LV_PARQUET_PAGE_BYTES */
	size_t page_rows;             /**< 0: LV_PARQUET_PAGE_ROWS */
	size_t dict_bytes;            /**< 0: LV_PARQUET_DICT_BYTES */
	int no_dictionary;            /**< 1: strings always PLAIN */
	const char *created_by;       /**< NULL: "lakeview version <x.y.z>" */
	/**
	 * Footer key-values, copied. org.apache.spark.version=3.4.0, for one,
	 * lets Spark read dates before 1582 and timestamps before 1900 without
	 * its rebase check (reference/delta-parquet.md §8.1).
	 */
	const struct lv_parquet_kv *kv;
	size_t nkv;
};

/**
 * Where the bytes go: write all @p n bytes or fail. Returns 0 or a
 * negative code, which the writer passes on (and is broken after).
 */
typedef int (*lv_parquet_write_fn)(void *ctx, const void *p, size_t n);

/** A ready write function: @p ctx is a struct lv_buf (its ceiling holds). */
int lv_parquet_write_buf(void *ctx, const void *p, size_t n);
/** A ready write function: @p ctx points to an int file descriptor. */
int lv_parquet_write_fd(void *ctx, const void *p, size_t n);

struct lv_parquet_writer;

/**
 * Start a file: validates the schema and writes the leading magic.
 * @param cols,ncols  the columns, 1..32767; names unique and non-empty
 * @param opt         NULL for the defaults
 * @return 0; -EINVAL (bad schema or options, with the detail); -ENOMEM;
 *         the write function's code. On error *@p out is NULL.
 */
int lv_parquet_writer_new(struct lv_parquet_writer **out,
			  const struct lv_parquet_column *cols, size_t ncols,
			  const struct lv_parquet_options *opt,
			  lv_parquet_write_fn write, void *ctx)
	__attribute__((warn_unused_result));

/** Give column @p col of the current row a null. */
int lv_parquet_null(struct lv_parquet_writer *w, size_t col)
	__attribute__((warn_unused_result));
/** STRING: @p n bytes of UTF-8 (not checked; may hold NUL). */
int lv_parquet_string(struct lv_parquet_writer *w, size_t col,
		      const char *s, size_t n)
	__attribute__((warn_unused_result));
/** INT32 or DATE (days since 1970-01-01). */
int lv_parquet_int32(struct lv_parquet_writer *w, size_t col, int32_t v)
	__attribute__((warn_unused_result));
/**
 * INT64, TIMESTAMP (µs since 1970-01-01 UTC), or the unscaled value of a
 * DECIMAL (LV_ETOOBIG when it has more digits than the precision).
 */
int lv_parquet_int64(struct lv_parquet_writer *w, size_t col, int64_t v)
	__attribute__((warn_unused_result));
/**
 * DECIMAL from its text: an optional '-' or '+', digits, an optional '.'
 * and digits (no exponent, no spaces), exactly: never through a double.
 * Fewer fraction digits than the scale are padded; more are refused
 * unless they are zeros.
 * @return 0; LV_EBADVALUE (not such a text, or fraction digits past the
 *         scale); LV_ETOOBIG (more digits than the precision); -EINVAL.
 */
int lv_parquet_decimal(struct lv_parquet_writer *w, size_t col,
		       const char *s, size_t n)
	__attribute__((warn_unused_result));
/** DOUBLE. NaN is allowed (the chunk then gets no min/max). */
int lv_parquet_double(struct lv_parquet_writer *w, size_t col, double v)
	__attribute__((warn_unused_result));
/** BOOLEAN: 0 is false, anything else true. */
int lv_parquet_bool(struct lv_parquet_writer *w, size_t col, int v)
	__attribute__((warn_unused_result));

/**
 * End the current row: every column must have had its value or null
 * (-EINVAL otherwise). May write a finished row group (it blocks in the
 * write function then).
 */
int lv_parquet_end_row(struct lv_parquet_writer *w)
	__attribute__((warn_unused_result));

/**
 * Write the last row group and the footer. A row begun and not ended is
 * -EINVAL. A file with no rows is valid (no row groups).
 * @return 0, or the code of the failure (the output is then not a file).
 */
int lv_parquet_finish(struct lv_parquet_writer *w)
	__attribute__((warn_unused_result));

/** Rows ended so far. */
uint64_t lv_parquet_rows(const struct lv_parquet_writer *w);
/** Bytes handed to the write function so far (the file size after finish). */
uint64_t lv_parquet_written(const struct lv_parquet_writer *w);

/** Free the writer (NULL is fine). It does not finish the file. */
void lv_parquet_writer_free(struct lv_parquet_writer *w);

#endif
