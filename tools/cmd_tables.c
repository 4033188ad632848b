/*
 * cmd_tables.c - `lakectl tables add|remove|list`: the portal's
 * "Manage tables".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lakectl.h"
#include "lakeview/dataverse.h"
#include "lakeview/lake.h"
#include "lakeview/schema.h"
#include "lakeview/table.h"

#define SCHEMA_MAX (64u << 20)

static const char help[] =
	"usage: lakectl tables add    --store DIR TABLE... [--schema FILE.json]\n"
	"                             [--append-only] [--partition year|month]\n"
	"       lakectl tables available --store DIR\n"
	"       lakectl tables remove --store DIR TABLE\n"
	"       lakectl tables list   --store DIR\n"
	"\n"
	"add:    add TABLEs to the link. Their schema is fetched from the linked\n"
	"        Dataverse environment, or read from FILE.json (one TABLE): its\n"
	"        metadata as GET EntityDefinitions(LogicalName='TABLE')\n"
	"        ?$expand=Attributes returns it. Only tables with change\n"
	"        tracking can be added to a linked store. The first sync reads\n"
	"        them whole. In-place tables (default) hold each row once;\n"
	"        append-only tables append every change (deletes with IsDelete).\n"
	"        Partitions by createdon: year (default) or month; append-only\n"
	"        tables and tables without createdon use year.\n"
	"remove: drop TABLE's folder, snapshots and manifest from the lake and\n"
	"        model.json, in one commit.\n"
	"list:   the tables, with their options.\n"
	"available: the linked environment's tables with change tracking.\n";

/* `tables --help` shows add's table: the others take --store only. */
static const struct lc_opt add_opts[] = {
	LC_OPT_STORE,
	{ "schema", 0, 'f', "FILE.json", "the table's metadata from a file (one TABLE)" },
	{ "append-only", 0, 'a', NULL, "append every change (deletes with IsDelete)" },
	{ "partition", 0, 'p', "year|month", "partition by createdon year (default) or month" },
	LC_OPT_END,
};

static const struct lc_cmd tables_cmd = { "tables", help, add_opts };
static const struct lc_cmd add_cmd = { "tables add", help, add_opts };
static const struct lc_cmd available_cmd = { "tables available", help, lc_opts_store_only };
static const struct lc_cmd remove_cmd = { "tables remove", help, lc_opts_store_only };
static const struct lc_cmd list_cmd = { "tables list", help, lc_opts_store_only };

static int read_file(const char *path, char **out, size_t *len)
{
	struct stat sb;
	char *buf;
	ssize_t n;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) != 0 || (size_t)sb.st_size > SCHEMA_MAX) {
		close(fd);
		return -EFBIG;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)sb.st_size && (n = read(fd, buf + got, (size_t)sb.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

struct tracked {
	const char *want;
	int found, tracking;
};

static int find_tracked(void *arg, const struct lv_dv_table *t)
{
	struct tracked *k = arg;

	if (strcmp(t->name, k->want) == 0) {
		k->found = 1;
		k->tracking = t->change_tracking;
	}
	return 0;
}

static int add_one(struct lv_store *st, struct lv_dv *dv, const char *table,
		   const char *schema, int append_only, int by_month)
{
	struct lv_table t;
	char *json = NULL;
	size_t len = 0;
	int rc;

	if (schema) {
		rc = read_file(schema, &json, &len);
		if (rc)
			return fail("cannot read schema %s: %s", schema, strerror(-rc));
	} else {
		struct tracked k = { table, 0, 0 };

		rc = lv_dv_tables(dv, 0, find_tracked, &k);
		if (rc)
			return fail_rc(rc, "cannot list the environment's tables");
		if (!k.found)
			return fail("table '%s' is not in the Dataverse environment (see 'lakectl tables available')", table);
		if (!k.tracking)
			return fail("Entity %s isn't enabled for change tracking; enable \"Track changes\" on the table in Power Apps, then add it", table);
		rc = lv_dv_metadata(dv, table, &json, &len);
		if (rc)
			return fail_rc(rc, table);
	}
	rc = lv_table_from_metadata(json, len, append_only, by_month, &t);
	free(json);
	if (rc)
		return fail_rc(rc, schema ? schema : table);
	if (strcmp(t.name, table) != 0) {
		rc = fail("%s describes table '%s', not '%s'", schema ? schema : "the metadata",
			  t.name, table);
		goto out;
	}
	if (by_month && t.append_only && !append_only)
		fprintf(stderr, "lakectl: note: %s has no createdon, so it is append-only by Year\n", table);
	rc = lv_lake_table_add(st, &t);
	if (rc) {
		rc = fail_rc(rc, "cannot add the table");
		goto out;
	}
	printf("added %s: %zu columns, %s, partitioned by %s\n", t.name, t.ncols,
	       t.append_only ? "append-only" : "in place", t.by_month ? "Month" : "Year");
out:
	lv_table_free(&t);
	return rc;
}

static int tables_add(int argc, char **argv)
{
	struct lc_args a;
	const char *schema = NULL;
	int append_only = 0, by_month = 0, c, rc = 0;
	struct lv_store *st = NULL;
	struct lv_dv *dv = NULL;

	if (lc_opts_begin(&a, &add_cmd, argc, argv))
		return a.status;
	while ((c = lc_opts_next(&a)) > 0) {
		switch (c) {
		case 'f': schema = optarg; break;
		case 'a': append_only = 1; break;
		case 'p':
			if (!strcmp(optarg, "year"))
				by_month = 0;
			else if (!strcmp(optarg, "month"))
				by_month = 1;
			else
				return usage_error("tables add", "--partition is year or month, not '%s'", optarg);
			break;
		}
	}
	if (c < 0)
		return -c;
	if (optind >= argc)
		return usage_error("tables add", "name at least one TABLE");
	if (schema && optind != argc - 1)
		return usage_error("tables add", "--schema describes one TABLE; name exactly one");
	rc = lc_open(&a, 0, &st);
	if (rc)
		return rc;
	if (!schema) {
		if (!lv_store_conf_get(st, "dataverse_url")) {
			lv_store_close(st);
			return usage_error("tables add", "this store has no Dataverse source: pass --schema FILE.json");
		}
		rc = lv_dv_from_store(st, &dv);
		if (rc) {
			rc = fail_rc(rc, "cannot connect to Dataverse");
			goto out;
		}
	}
	for (int i = optind; i < argc && !rc; i++)
		rc = add_one(st, dv, argv[i], schema, append_only, by_month);
out:
	lv_dv_free(dv);
	lv_store_close(st);
	return rc;
}

static int print_available(void *arg, const struct lv_dv_table *t)
{
	(void)arg;
	printf("%-40s %s\n", t->name, t->entityset);
	return 0;
}

static int tables_available(int argc, char **argv)
{
	struct lc_args a;
	struct lv_store *st;
	struct lv_dv *dv = NULL;
	int rc;

	if (lc_parse_open(&a, &available_cmd, argc, argv, LV_STORE_RDONLY, &st))
		return a.status;
	rc = lv_dv_from_store(st, &dv);
	if (!rc)
		rc = lv_dv_tables(dv, 1, print_available, NULL);
	if (rc)
		rc = fail_rc(rc, "cannot list the environment's tables");
	lv_dv_free(dv);
	lv_store_close(st);
	return rc;
}

static int tables_remove(int argc, char **argv)
{
	struct lc_args a;
	struct lv_store *st;
	int rc;

	if (lc_opts_parse(&a, &remove_cmd, argc, argv))
		return a.status;
	if (optind != argc - 1)
		return usage_error("tables remove", "name exactly one TABLE");
	rc = lc_open(&a, 0, &st);
	if (rc)
		return rc;
	rc = lv_lake_table_remove(st, argv[optind]);
	if (rc)
		rc = fail_rc(rc, "cannot remove the table");
	else
		printf("removed %s\n", argv[optind]);
	lv_store_close(st);
	return rc;
}

static int print_table(void *arg, const struct lv_table *t)
{
	(void)arg;
	printf("%-32s %-12s %-6s %-11s %zu columns\n", t->name,
	       t->append_only ? "append-only" : "in-place",
	       t->by_month ? "Month" : "Year", t->state, t->ncols);
	return 0;
}

static int tables_list(int argc, char **argv)
{
	struct lc_args a;
	struct lv_store *st;
	int rc;

	if (lc_parse_open(&a, &list_cmd, argc, argv, LV_STORE_RDONLY, &st))
		return a.status;
	rc = lv_table_list(st, print_table, NULL);
	if (rc)
		rc = fail_rc(rc, "cannot list tables");
	lv_store_close(st);
	return rc;
}

int cmd_tables(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("tables", "name a subcommand: add, remove, list or available");
	if (lc_wants_help(argc, argv)) {
		lc_help(&tables_cmd);
		return 0;
	}
	if (!strcmp(argv[1], "add"))
		return tables_add(argc - 1, argv + 1);
	if (!strcmp(argv[1], "remove"))
		return tables_remove(argc - 1, argv + 1);
	if (!strcmp(argv[1], "list"))
		return tables_list(argc - 1, argv + 1);
	if (!strcmp(argv[1], "available"))
		return tables_available(argc - 1, argv + 1);
	return usage_error("tables", "unknown subcommand '%s'", argv[1]);
}
