/* test_csv.c - the CSV dialect and the date formats (core/csv.c). */
#include <string.h>

#include "check.h"
#include "lakeview/time.h"
#include "lakeview/csv.h"
#include "lakeview/err.h"

static const char *quoted(const char *s)
{
	static struct lv_buf b;

	lv_buf_free(&b);
	lv_buf_init(&b, 1024);
	if (lv_csv_quoted(&b, s, strlen(s)))
		return "<error>";
	return b.p;
}

static const char *sink(int64_t t)
{
	static struct lv_buf b;

	lv_buf_free(&b);
	lv_buf_init(&b, 64);
	if (lv_time_sink(&b, t))
		return "<error>";
	return b.p;
}

int main(void)
{
	struct lv_buf b;
	int64_t s;
	uint32_t ticks;
	int d;

	CHECK(strcmp(quoted("plain"), "\"plain\"") == 0);
	CHECK(strcmp(quoted("Contoso \"West\""), "\"Contoso \"\"West\"\"\"") == 0);
	CHECK(strcmp(quoted("a,b\r\nc"), "\"a,b\r\nc\"") == 0);
	CHECK(strcmp(quoted(""), "\"\"") == 0);
	CHECK(strcmp(quoted("\"\""), "\"\"\"\"\"\"") == 0);

	/* the ceiling holds */
	lv_buf_init(&b, 5);
	CHECK(lv_csv_quoted(&b, "abcd", 4) == LV_ETOOBIG);
	CHECK(b.len == 0);
	lv_buf_free(&b);

	/* record boundaries honour quotes */
	CHECK(lv_csv_record_len("a,b\nc\n", 6) == 4);
	CHECK(lv_csv_record_len("\"x\ny\",1\nz\n", 10) == 8);
	CHECK(lv_csv_record_len("\"a\"\"\n\"\nb", 8) == 7);
	CHECK(lv_csv_record_len("abc", 3) == 3);

	/* Sink dates: M/d/yyyy h:mm:ss AM, no padding, 12-hour clock */
	CHECK(strcmp(sink(1624897475), "6/28/2021 4:24:35 PM") == 0);
	CHECK(strcmp(sink(0), "1/1/1970 12:00:00 AM") == 0);
	CHECK(strcmp(sink(43200), "1/1/1970 12:00:00 PM") == 0);
	CHECK(strcmp(sink(951782400), "2/29/2000 12:00:00 AM") == 0);
	CHECK(strcmp(sink(1735689599), "12/31/2024 11:59:59 PM") == 0);

	/* ISO parsing: dates, times, fractions, offsets */
	CHECK(lv_time_parse("2021-06-28T16:24:35Z", 20, &s, &ticks, &d) == 0 &&
	      s == 1624897475 && ticks == 0 && !d);
	CHECK(lv_time_parse("2021-06-28T18:24:35+02:00", 25, &s, &ticks, &d) == 0 &&
	      s == 1624897475);
	CHECK(lv_time_parse("2021-06-28T16:24:35.1234567Z", 28, &s, &ticks, &d) == 0 &&
	      ticks == 1234567);
	CHECK(lv_time_parse("2021-06-28T16:24:35.5Z", 22, &s, &ticks, &d) == 0 &&
	      ticks == 5000000);
	CHECK(lv_time_parse("2024-03-15", 10, &s, &ticks, &d) == 0 && d == 1 &&
	      s == 1710460800);
	CHECK(lv_time_parse("2023-02-29", 10, &s, &ticks, &d) == LV_EBADVALUE);
	CHECK(lv_time_parse("2024-02-29", 10, &s, &ticks, &d) == 0);
	CHECK(lv_time_parse("2021-13-01", 10, &s, &ticks, &d) == LV_EBADVALUE);
	CHECK(lv_time_parse("2021-06-28T24:00:00Z", 20, &s, &ticks, &d) == LV_EBADVALUE);
	CHECK(lv_time_parse("yesterday", 9, &s, &ticks, &d) == LV_EBADVALUE);
	CHECK(lv_time_parse("2021-06-28T16:24:35Zjunk", 24, &s, &ticks, &d) == LV_EBADVALUE);

	lv_buf_init(&b, 64);
	CHECK(lv_time_iso7z(&b, 1624897475) == 0 &&
	      strcmp(b.p, "2021-06-28T16:24:35.0000000Z") == 0);
	lv_buf_free(&b);
	return check_done();
}
