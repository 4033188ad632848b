/*
 * cmd_status.c - `lakectl status`: the portal's Tables tab.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lakectl.h"
#include "lakeview/dataverse.h"
#include "lakeview/delta.h"
#include "lakeview/push.h"
#include "lakeview/status.h"
#include "lakeview/table.h"
#include "lakeview/time.h"

static const char help[] =
	"usage: lakectl status --store DIR [--json]\n"
	"\n"
	"Per table: sync state (NotStarted, InProgress, Completed, Failed with\n"
	"its reason), last synchronized on, count (rows; changes when\n"
	"append-only), append only, partition strategy; and the link itself.\n"
	"A table InProgress also shows how far its initial sync is: rows read\n"
	"of about how many Dataverse counted, rows/s and the time left.\n";

static const struct lc_opt opts[] = {
	LC_OPT_STORE,
	{ "json", 0, 'j', NULL, "the status as one JSON object (as .lakeview/status.json)" },
	LC_OPT_END,
};

static const struct lc_cmd cmd = { "status", help, opts };

static void when(int64_t t, char *buf, size_t len)
{
	int y, mo, d, h, mi, s;

	if (!t) {
		snprintf(buf, len, "-");
		return;
	}
	/* status's own format: a space, not ISO's 'T' */
	lv_time_civil(t, &y, &mo, &d, &h, &mi, &s);
	snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02dZ", y, mo, d, h, mi, s);
}

static int row(void *arg, const struct lv_table *t)
{
	struct lv_store *st = arg;
	struct lv_delta_info d;
	struct lv_sync_progress p;
	char ls[32];

	when(t->last_sync ? t->last_sync : t->last_change, ls, sizeof(ls));
	printf("%-28s %-11s %-21s %10llu  %-3s  %s\n", t->name, t->state, ls,
	       (unsigned long long)t->count, t->append_only ? "yes" : "no",
	       t->by_month ? "Month" : "Year");
	if (t->reason[0])
		printf("    reason: %s\n", t->reason);
	if (strcmp(t->state, LV_STATE_INPROGRESS) == 0 && lv_sync_progress_of(t, &p) == 0) {
		char text[256];

		lc_progress_text(text, sizeof(text), &p);
		printf("    progress: %s\n", text);
	}
	if (lv_delta_enabled(st) == 1 && lv_delta_info(st, t, &d) == 0) {
		if (d.version < 0)
			printf("    delta: no version yet (the next snapshot writes it)\n");
		else
			printf("    delta: version %lld, %llu rows in %llu files, %llu bytes\n",
			       (long long)d.version, (unsigned long long)d.rows,
			       (unsigned long long)d.files, (unsigned long long)d.bytes);
	}
	return 0;
}

int cmd_status(int argc, char **argv)
{
	const char *src;
	struct lc_args a;
	struct lv_store *st;
	struct lv_store_stats s;
	int rc, json;

	if (lc_parse_open(&a, &cmd, argc, argv, LV_STORE_RDONLY, &st))
		return a.status;
	json = lc_flag(&a, 'j');
	if (json) {
		struct lv_reader *r;
		struct lv_buf b;

		lv_buf_init(&b, 64u << 20);
		rc = lv_reader_begin(st, &r);
		if (!rc) {
			rc = lv_status_json(st, r, &b);
			lv_reader_end(r);
		}
		if (rc)
			rc = fail_rc(rc, "cannot read the status");
		else
			printf("%s\n", b.p);
		lv_buf_free(&b);
		lv_store_close(st);
		return rc;
	}
	rc = lv_store_stats(st, &s);
	src = lv_store_conf_get(st, "dataverse_url");
	printf("store:     %s\ncontainer: %s\nlake URL:  %s\nsource:    %s\n",
	       lv_store_dir(st), lv_store_container(st), lv_store_lake_url(st),
	       src ? src : "(none: changes come from 'lakectl ingest')");
	printf("sink:      %s\n", lv_store_conf_get(st, "adls_url") ? lv_store_lake_url(st) :
	       "(none: the lake is local only)");
	if (lv_store_conf_get(st, "unlinked"))
		printf("link:      unlinked %s (lakectl relink resumes)\n",
		       lv_store_conf_get(st, "unlinked"));
	printf("changes:   %llu\n", (unsigned long long)s.last_seq);
	if (lv_store_conf_get(st, "adls_url")) {
		struct lv_push_pending p;
		static const char *const cls[] = { "data", "snapshots", "metadata" };
		char lp[32];

		if (lv_push_pending(st, &p) == 0) {
			when(p.last_push, lp, sizeof(lp));
			printf("last push: %s%s%s\n", lp, p.last_error[0] ? "; last error: " : "",
			       p.last_error);
			for (int i = 0; i < 3; i++)
				printf("pending:   %-9s %6llu files %14llu bytes\n", cls[i],
				       (unsigned long long)p.files[i], (unsigned long long)p.bytes[i]);
		}
	}
	putchar('\n');
	printf("%-28s %-11s %-21s %10s  %-3s  %s\n", "TABLE", "SYNC STATUS",
	       "LAST SYNCHRONIZED ON", "COUNT", "APPEND ONLY", "PARTITION");
	rc = lv_table_list(st, row, st);
	if (rc)
		rc = fail_rc(rc, "cannot list tables");
	lv_store_close(st);
	return rc;
}
