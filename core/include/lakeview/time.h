/**
 * @file time.h
 * @brief The clock, and the date formats of Synapse Link and of status.
 *
 * Caveats first: all times are UTC unix seconds; nothing here reads the
 * time zone or the locale. lv_clock_now() honours `LAKEVIEW_NOW`, so a
 * test can fix every date the lake shows.
 */
#ifndef LAKEVIEW_TIME_H
#define LAKEVIEW_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "lakeview/buf.h"

/**
 * Current time in seconds as the store sees it. `LAKEVIEW_NOW=<unix
 * seconds>` in the environment fixes it (tests and golden files).
 */
int64_t lv_clock_now(void);

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

/**
 * Format unix seconds @p t as `yyyy-MM-ddTHH:mm:ssZ` into @p buf.
 * @return 0, or LV_ETOOBIG when @p len is under 21 bytes.
 */
int lv_time_iso(char *buf, size_t len, int64_t t)
	__attribute__((warn_unused_result));

#endif
