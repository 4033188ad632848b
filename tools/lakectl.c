/*
 * lakectl.c - the command line of a lakeview link: what the Synapse Link
 * portal does, as commands (link, manage tables, monitor, unlink, relink)
 * plus the tools a local lake wants (ingest, snapshot, ls, cat).
 *
 * Dispatch only: each command lives in a file named for it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "lakectl.h"

static const char usage[] =
	"usage: lakectl COMMAND [OPTIONS]\n"
	"\n"
	"Synapse Link for Dataverse, locally: manage a lakeview store.\n"
	"\n"
	"commands:\n"
	"  link       create a store (one link: environment + organization)\n"
	"  tables     add, remove or list the tables of the link\n"
	"  sync       pull the linked Dataverse tables (once or --follow)\n"
	"  ingest     apply Web API change items from a JSON-lines file\n"
	"  snapshot   take snapshots of changed partitions, refresh model.json\n"
	"  status     the link's tables and their state\n"
	"  push       push the lake to the linked storage container\n"
	"  unlink     stop the link (optionally delete container and store)\n"
	"  relink     resume an unlinked link\n"
	"  ls         list lake paths without mounting\n"
	"  cat        print a lake file without mounting\n"
	"\n"
	"Every command takes --store DIR (or $LAKEVIEW_STORE) and --help.\n"
	"Mount the lake with: lakeview STORE MOUNTPOINT\n";

int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("lakectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "lakectl %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'lakectl %s --help')\n", cmd);
	return EXIT_USAGE;
}

int fail_rc(int rc, const char *what)
{
	return fail("%s: %s", what, lv_err_message(rc));
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "link", cmd_link }, { "tables", cmd_tables },
		{ "ingest", cmd_ingest }, { "snapshot", cmd_snapshot },
		{ "status", cmd_status }, { "sync", cmd_sync },
		{ "push", cmd_push }, { "unlink", cmd_unlink }, { "relink", cmd_relink }, { "ls", cmd_ls }, { "cat", cmd_cat },
	};

	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		puts("lakectl " LAKEVIEW_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0) {
			optind = 1;
			return cmds[i].fn(argc - 1, argv + 1);
		}
	fprintf(stderr, "lakectl: unknown command '%s' (see 'lakectl --help')\n", argv[1]);
	return EXIT_USAGE;
}
