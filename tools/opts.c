/*
 * opts.c - the one shape of a lakectl command's options: a static table
 * per command (long name, short letter, value name, help line), from
 * which both the getopt_long options and the `--help` text are made, and
 * the one way a command finds and opens its store.
 *
 * Why it is shaped this way: eleven commands each wrote their own help,
 * getopt table, error cases and store opening, and their help and the
 * man page drifted. The model is the daemon's fuse_opt table
 * (fs/options.c): one row per option, everything else derived. The
 * rules every command shares live here once: --help anywhere before
 * "--" prints the help; options are never abbreviated (check_exact);
 * a missing value or an unknown option is a usage error (exit 2) naming
 * the command; --store DIR, else $LAKEVIEW_STORE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lakectl.h"

static const char *store_arg(const char *opt, const char *cmd)
{
	const char *env = getenv("LAKEVIEW_STORE");

	if (opt && *opt)
		return opt;
	if (env && *env)
		return env;
	usage_error(cmd, "no store given: pass --store DIR or set LAKEVIEW_STORE");
	return NULL;
}

static int open_store(const char *dir, unsigned flags, struct lv_store **st)
{
	int rc = lv_store_open(dir, flags, st);

	if (rc)
		return fail_rc(rc, "cannot open the store");
	return 0;
}

/*
 * Refuse long options that are not spelled out in full: getopt_long takes
 * any unambiguous prefix, so "--client-secret VALUE" would be read as
 * "--client-secret-file" and the secret echoed in an error. Prints the
 * usage error (never an option's value) and returns non-zero.
 */
static int check_exact(int argc, char **argv, const struct option *opts)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		size_t n;
		const struct option *o;

		if (strcmp(a, "--") == 0)
			break;
		if (strncmp(a, "--", 2) != 0)
			continue;
		n = strcspn(a + 2, "=");
		for (o = opts; o->name; o++)
			if (strlen(o->name) == n && strncmp(o->name, a + 2, n) == 0)
				break;
		if (!o->name) {
			usage_error(argv[0], "unknown option --%.*s", (int)n, a + 2);
			return 1;
		}
		if (o->has_arg == required_argument && a[2 + n] != '=')
			i++;  /* its value */
	}
	return 0;
}

static int is_store(const struct lc_opt *o)
{
	return o->key == LC_KEY_STORE;
}

void lc_help(const struct lc_cmd *cmd)
{
	const struct lc_opt *o;
	char col[64];

	fputs(cmd->help, stdout);
	fputs("\noptions:\n", stdout);
	for (o = cmd->opts; o->name; o++) {
		if (o->shortname)
			snprintf(col, sizeof(col), "-%c, --%s%s%s", o->shortname,
				 o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(col, sizeof(col), "--%s%s%s", o->name,
				 o->arg ? " " : "", o->arg ? o->arg : "");
		printf("  %-30s %s\n", col, o->help);
	}
	printf("  %-30s %s\n", "-h, --help", "this help");
}

int lc_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	}
	return 0;
}

int lc_opts_begin(struct lc_args *a, const struct lc_cmd *cmd, int argc,
		  char **argv)
{
	const struct lc_opt *o;
	size_t n = 0, s = 0;

	memset(a, 0, sizeof(*a));
	a->cmd = cmd;
	a->argc = argc;
	a->argv = argv;
	a->shorts[s++] = ':';
	for (o = cmd->opts; o->name && n < LC_OPTS_MAX; o++, n++) {
		a->lopts[n].name = o->name;
		a->lopts[n].has_arg = o->arg ? required_argument : no_argument;
		a->lopts[n].val = o->key;
		if (o->shortname) {
			a->shorts[s++] = o->shortname;
			if (o->arg)
				a->shorts[s++] = ':';
		}
	}
	if (lc_wants_help(argc, argv)) {
		lc_help(cmd);
		return 1;
	}
	if (check_exact(argc, argv, a->lopts)) {
		a->status = EXIT_USAGE;
		return 1;
	}
	return 0;
}

int lc_opts_next(struct lc_args *a)
{
	const struct lc_opt *o;
	int c;

	while ((c = getopt_long(a->argc, a->argv, a->shorts, a->lopts, NULL)) != -1) {
		for (o = a->cmd->opts; o->name; o++)
			if (o->key == c)
				break;
		if (c == ':')
			return -usage_error(a->cmd->name, "option %s needs a value", a->argv[optind - 1]);
		if (!o->name || c == '?')
			return -usage_error(a->cmd->name, "unknown option %s", a->argv[optind - 1]);
		if (!is_store(o))
			return c;
		a->store = optarg;
	}
	return 0;
}

const struct lc_opt lc_opts_store_only[] = {
	LC_OPT_STORE,
	LC_OPT_END,
};

int lc_opts_parse(struct lc_args *a, const struct lc_cmd *cmd, int argc,
		  char **argv)
{
	int c, i;

	if (lc_opts_begin(a, cmd, argc, argv))
		return 1;
	while ((c = lc_opts_next(a)) > 0)
		for (i = 0; cmd->opts[i].name && i < LC_OPTS_MAX; i++)
			if (cmd->opts[i].key == c)
				a->given[i] = 1;
	a->status = -c;
	return c != 0;
}

int lc_flag(const struct lc_args *a, int key)
{
	int i;

	for (i = 0; a->cmd->opts[i].name && i < LC_OPTS_MAX; i++)
		if (a->cmd->opts[i].key == key)
			return a->given[i];
	return 0;
}

int lc_parse_open(struct lc_args *a, const struct lc_cmd *cmd, int argc,
		  char **argv, unsigned flags, struct lv_store **st)
{
	if (lc_opts_parse(a, cmd, argc, argv))
		return 1;
	a->status = lc_no_args(a);
	if (!a->status)
		a->status = lc_open(a, flags, st);
	return a->status != 0;
}

int lc_no_args(struct lc_args *a)
{
	if (optind != a->argc)
		return usage_error(a->cmd->name, "unexpected argument '%s'", a->argv[optind]);
	return 0;
}

const char *lc_store_dir(struct lc_args *a)
{
	if (!a->dir)
		a->dir = store_arg(a->store, a->cmd->name);
	return a->dir;
}

int lc_open(struct lc_args *a, unsigned flags, struct lv_store **st)
{
	if (!lc_store_dir(a))
		return EXIT_USAGE;
	return open_store(a->dir, flags, st);
}
