/*
 * time.c - the clock and the date formats of the lake.
 *
 * One place for time, because every layer needs it: the batch stamps
 * SinkModifiedOn, model.json and status print ISO dates, the signer dates
 * its requests, the daemon prints when it started. Dates use a
 * civil-from-days conversion, not gmtime, so that they are pure functions
 * of their input with no locale and no time zone; the clock is one
 * function so that tests can fix it (LAKEVIEW_NOW).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lakeview/err.h"
#include "lakeview/time.h"

int64_t lv_clock_now(void)
{
	const char *fixed = getenv("LAKEVIEW_NOW");
	char *end;
	long long v;

	if (fixed && *fixed) {
		errno = 0;
		v = strtoll(fixed, &end, 10);
		if (!errno && *end == '\0' && v > 0)
			return v;
	}
	return (int64_t)time(NULL);
}

/* days since 1970-01-01 -> civil date (Howard Hinnant's algorithm) */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void lv_time_civil(int64_t t, int *year, int *month, int *day, int *hour,
		   int *min, int *sec)
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t rem = t - days * 86400;

	civil_from_days(days, year, month, day);
	*hour = (int)(rem / 3600);
	*min = (int)(rem % 3600 / 60);
	*sec = (int)(rem % 60);
}

int lv_time_sink(struct lv_buf *b, int64_t t)
{
	int y, mo, d, h, mi, s;

	lv_time_civil(t, &y, &mo, &d, &h, &mi, &s);
	return lv_buf_addf(b, "%d/%d/%04d %d:%02d:%02d %s", mo, d, y,
			   h % 12 == 0 ? 12 : h % 12, mi, s, h < 12 ? "AM" : "PM");
}

int lv_time_iso7z(struct lv_buf *b, int64_t t)
{
	int y, mo, d, h, mi, s;

	lv_time_civil(t, &y, &mo, &d, &h, &mi, &s);
	return lv_buf_addf(b, "%04d-%02d-%02dT%02d:%02d:%02d.0000000Z", y, mo,
			   d, h, mi, s);
}

static int digits(const char *s, size_t n, size_t at, int count, int *v)
{
	int r = 0;

	if (at + (size_t)count > n)
		return -1;
	for (int i = 0; i < count; i++) {
		char c = s[at + (size_t)i];

		if (c < '0' || c > '9')
			return -1;
		r = r * 10 + (c - '0');
	}
	*v = r;
	return 0;
}

int lv_time_parse(const char *s, size_t n, int64_t *secs, uint32_t *ticks,
		  int *date_only)
{
	int y, mo, d, h = 0, mi = 0, se = 0, oh = 0, om = 0, sign = 0;
	uint32_t frac = 0;
	size_t i;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	*date_only = 0;
	if (digits(s, n, 0, 4, &y) || n < 10 || s[4] != '-' ||
	    digits(s, n, 5, 2, &mo) || s[7] != '-' || digits(s, n, 8, 2, &d))
		return LV_EBADVALUE;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)))
		return LV_EBADVALUE;
	if (n == 10) {
		*date_only = 1;
		goto done;
	}
	if (n < 19 || (s[10] != 'T' && s[10] != ' ') || digits(s, n, 11, 2, &h) ||
	    s[13] != ':' || digits(s, n, 14, 2, &mi) || s[16] != ':' ||
	    digits(s, n, 17, 2, &se) || h > 23 || mi > 59 || se > 59)
		return LV_EBADVALUE;
	i = 19;
	if (i < n && s[i] == '.') {
		int nd = 0;

		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, nd++)
			if (nd < 7)
				frac = frac * 10 + (uint32_t)(s[i] - '0');
		if (nd == 0)
			return LV_EBADVALUE;
		for (; nd < 7; nd++)
			frac *= 10;
	}
	if (i < n && s[i] == 'Z') {
		i++;
	} else if (i < n && (s[i] == '+' || s[i] == '-')) {
		sign = s[i] == '-' ? -1 : 1;
		if (digits(s, n, i + 1, 2, &oh) || i + 3 >= n || s[i + 3] != ':' ||
		    digits(s, n, i + 4, 2, &om) || oh > 23 || om > 59)
			return LV_EBADVALUE;
		i += 6;
	}
	if (i != n)
		return LV_EBADVALUE;
done:
	*secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se -
		sign * (oh * 3600 + om * 60);
	*ticks = frac;
	return 0;
}

int lv_time_iso(char *buf, size_t len, int64_t t)
{
	int y, mo, d, h, mi, s, n;

	lv_time_civil(t, &y, &mo, &d, &h, &mi, &s);
	n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, h,
		     mi, s);
	if (n < 0 || (size_t)n >= len)
		return LV_ETOOBIG;
	return 0;
}
