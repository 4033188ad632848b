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

int cmd_snapshot(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct lv_snapshot_stats s;
	const char *dir = NULL;
	struct lv_store *st;
	int c, rc;

	if (want_help(argc, argv, help))
		return 0;
	if (check_exact(argc, argv, opts))
		return EXIT_USAGE;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 's': dir = optarg; break;
		case ':': return usage_error("snapshot", "option %s needs a value", argv[optind - 1]);
		default: return usage_error("snapshot", "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return usage_error("snapshot", "unexpected argument '%s'", argv[optind]);
	dir = store_arg(dir, "snapshot");
	if (!dir)
		return EXIT_USAGE;
	rc = open_store(dir, 0, &st);
	if (rc)
		return rc;
	rc = lv_lake_snapshot(st, &s);
	if (rc)
		rc = fail_rc(rc, "snapshot failed");
	else
		printf("snapshot: %u taken, %u retired\n", s.taken, s.retired);
	lv_store_close(st);
	return rc;
}
