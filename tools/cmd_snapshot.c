/*
 * cmd_snapshot.c - `lakectl snapshot`: force the hourly snapshot now.
 */
#include <stdio.h>

#include "lakectl.h"
#include "lakeview/delta.h"
#include "lakeview/snapshot.h"

static const char help[] =
	"usage: lakectl snapshot --store DIR\n"
	"\n"
	"Take a read-only snapshot (<table>/Snapshot/<partition>_<unix-seconds>.csv)\n"
	"of every partition changed since its last snapshot, point model.json at\n"
	"the newest snapshots, and retire snapshots beyond the newest 5 per\n"
	"partition. With delta = on in lakeview.conf, also write the next Delta\n"
	"version (deltalake/<table>/) of every table that changed. One commit;\n"
	"readers of older snapshots and Delta versions are not disturbed.\n";

static const struct lc_cmd cmd = { "snapshot", help, lc_opts_store_only };

int cmd_snapshot(int argc, char **argv)
{
	struct lv_snapshot_stats s;
	struct lv_store *st;
	struct lc_args a;
	int rc;

	if (lc_parse_open(&a, &cmd, argc, argv, 0, &st))
		return a.status;
	rc = lv_lake_snapshot(st, &s);
	if (!rc || s.delta_failed) {  /* the CSV snapshots are committed */
		if (lv_delta_enabled(st) == 1)
			printf("snapshot: %u taken, %u retired, %u Delta versions%s\n", s.taken,
			       s.retired, s.delta_versions,
			       s.delta_failed ? ", a table's Delta version failed" : "");
		else
			printf("snapshot: %u taken, %u retired\n", s.taken, s.retired);
	}
	if (rc)
		rc = fail_rc(rc, "snapshot failed");
	lv_store_close(st);
	return rc;
}
