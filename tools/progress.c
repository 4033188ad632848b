/*
 * progress.c - how far a read of a whole table is, in words: one format
 * for `lakectl sync` (its progress lines and logs) and `lakectl status`,
 * so the two never tell a user different things.
 */
#include <stdio.h>

#include "lakectl.h"
#include "lakeview/dataverse.h"

/* 1234567 -> "1,234,567" */
static const char *grouped(char *buf, size_t len, unsigned long long v)
{
	char raw[32];
	int n = snprintf(raw, sizeof(raw), "%llu", v), o = 0;

	for (int i = 0; i < n && (size_t)o + 2 < len; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = raw[i];
	}
	buf[o] = '\0';
	return buf;
}

static void duration(char *buf, size_t len, double s)
{
	if (s < 90)
		snprintf(buf, len, "%.0f s", s);
	else if (s < 90 * 60)
		snprintf(buf, len, "%.0f min", s / 60);
	else
		snprintf(buf, len, "%.1f h", s / 3600);
}

void lc_progress_text(char *buf, size_t len, const struct lv_sync_progress *p)
{
	char rows[32], total[32], rate_s[32], left_s[32];
	double rate, left;
	int n;

	lv_sync_eta(p, &rate, &left);
	grouped(rows, sizeof(rows), p->read_rows);
	if (p->total >= 0)
		n = snprintf(buf, len, "%s of about %s rows (%.0f%%)", rows,
			     grouped(total, sizeof(total), (unsigned long long)p->total),
			     p->total ? 100.0 * (double)p->read_rows / (double)p->total : 100.0);
	else
		n = snprintf(buf, len, "%s rows of a count Dataverse did not give", rows);
	if (n < 0 || (size_t)n >= len)
		return;
	if (rate <= 0) {
		snprintf(buf + n, len - (size_t)n, ", starting");
		return;
	}
	grouped(rate_s, sizeof(rate_s), (unsigned long long)(rate + 0.5));
	if (left >= 0) {
		duration(left_s, sizeof(left_s), left);
		snprintf(buf + n, len - (size_t)n, ", %s rows/s, about %s left", rate_s, left_s);
	} else {
		snprintf(buf + n, len - (size_t)n, ", %s rows/s, time left unknown", rate_s);
	}
}
