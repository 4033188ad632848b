/*
 * cmd_snapshot.c - `lakectl snapshot`: force the hourly snapshot now.
 */
#include <stdio.h>

#include "lakectl.h"
#include "lakeview/snapshot.h"

static const char help[] =
	"usage: lakectl snapshot --store DIR\n"
	"\n"
	"Take a read-only snapshot (<table>/Snapshot/<partition>_<unix-seconds>.csv)\n"
	"of every partition changed since its last snapshot, point model.json at\n"
	"the newest snapshots, and retire snapshots beyond the newest 5 per\n"
	"partition. One commit; readers of older snapshots are not disturbed.\n";

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
	if (rc)
		rc = fail_rc(rc, "snapshot failed");
	else
		printf("snapshot: %u taken, %u retired\n", s.taken, s.retired);
	lv_store_close(st);
	return rc;
}
