/**
 * @file csv.h
 * @brief The lake's CSV dialect, and the value formats of Synapse Link.
 *
 * Caveats first: the dialect is fixed, not configurable: no header, ','
 * between fields, '"' around strings and dates with embedded quotes
 * doubled, UTF-8 without BOM, every record ends with "\n", CR and LF
 * inside values stay raw inside the quotes. GUIDs, numbers and booleans
 * are never quoted; null is nothing at all between two commas.
 */
#ifndef LAKEVIEW_CSV_H
#define LAKEVIEW_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "lakeview/buf.h"

/** Append @p s (@p n bytes) as a quoted CSV field. */
int lv_csv_quoted(struct lv_buf *b, const char *s, size_t n)
	__attribute__((warn_unused_result));

/**
 * Length of the first record in @p p (including its "\n"), honouring
 * quotes; @p n if the data ends without a terminator.
 */
size_t lv_csv_record_len(const char *p, size_t n);

/** Sink date format `M/d/yyyy h:mm:ss AM` of unix seconds @p t. */
int lv_time_sink(struct lv_buf *b, int64_t t)
	__attribute__((warn_unused_result));

/** ISO 8601 UTC with 7 fraction digits, `Z` suffix (refreshTime). */
int lv_time_iso7z(struct lv_buf *b, int64_t t)
	__attribute__((warn_unused_result));

/**
 * Parse an ISO 8601 date (`yyyy-MM-dd`) or date-time (`yyyy-MM-ddTHH:mm:ss`
 * with optional fraction and `Z` or `±HH:MM`) into UTC seconds and
 * 100-ns ticks of the fraction.
 * @return 0, or LV_EBADVALUE when @p s is not such a date.
 */
int lv_time_parse(const char *s, size_t n, int64_t *secs, uint32_t *ticks,
		  int *date_only);

/** Civil date of unix seconds (UTC). */
void lv_time_civil(int64_t t, int *year, int *month, int *day, int *hour,
		   int *min, int *sec);

#endif
