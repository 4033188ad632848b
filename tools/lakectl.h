/*
 * lakectl.h - shared pieces of the lakectl commands.
 *
 * Every command is one function `int cmd_x(int argc, char **argv)` in a
 * file named for it, with one static option table (struct lc_cmd) from
 * which opts.c parses its command line and prints its --help; lakectl.c
 * dispatches. Commands print errors for
 * people through die()/fail(): one line saying what happened and what to
 * do, exit status 1 for failures, 2 for bad usage.
 */
#ifndef LAKECTL_H
#define LAKECTL_H

#include <getopt.h>

#include "lakeview/err.h"
#include "lakeview/store.h"

#define EXIT_USAGE 2

/* Print "lakectl: <msg>" and return 1 (for `return fail(...)`). */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same for usage errors: returns EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Report a library error: the detail when set, else lv_strerror. */
int fail_rc(int rc, const char *what);


/*
 * opts.c: one option table per command, in one shape (the daemon's
 * fuse_opt table is the model). getopt_long's options and --help are
 * made from it; doc/lakectl.1.scd lists the same options under each
 * command (tests/docs/test_options.py).
 */
#define LC_OPTS_MAX  32
#define LC_KEY_STORE 0x100   /* --store: taken by lc_opts_next itself */

struct lc_opt {
	const char *name;       /* long name, without "--"; NULL ends a table */
	char shortname;         /* its short option letter, or 0 */
	int key;                /* what lc_opts_next returns for it */
	const char *arg;        /* the value's name in help ("DIR"); NULL: a flag */
	const char *help;       /* one line */
};

/* The row every command has, and the end of a table. */
#define LC_OPT_STORE \
	{ "store", 0, LC_KEY_STORE, "DIR", "the store (default: $LAKEVIEW_STORE)" }
#define LC_OPT_END { NULL, 0, 0, NULL, NULL }

/* The table of the commands that take --store only. */
extern const struct lc_opt lc_opts_store_only[];

struct lc_cmd {
	const char *name;            /* as errors name it: "tables add" */
	const char *help;            /* usage lines and what it does */
	const struct lc_opt *opts;   /* its option table */
};

/* Parser state of one command line. */
struct lc_args {
	const struct lc_cmd *cmd;
	int argc;
	char **argv;
	const char *store;      /* --store, as given */
	const char *dir;        /* the store directory, once lc_store_dir ran */
	int status;             /* exit status when parsing says stop */
	int given[LC_OPTS_MAX]; /* lc_opts_parse: which rows were given */
	struct option lopts[LC_OPTS_MAX + 1];
	char shorts[2 * LC_OPTS_MAX + 2];
};

/* Print @p cmd's help text and its options (from the table) to stdout. */
void lc_help(const struct lc_cmd *cmd);
/* Does argv ask for help (--help / -h before "--")? */
int lc_wants_help(int argc, char **argv);
/*
 * Begin parsing: with --help, print the help; refuse abbreviated long
 * options. @return 0 to go on, or 1 to return a->status (0 after help,
 * EXIT_USAGE after a usage error it printed).
 */
int lc_opts_begin(struct lc_args *a, const struct lc_cmd *cmd, int argc,
		  char **argv);
/*
 * The next option's key (optarg holds its value); --store is taken here.
 * @return a key > 0, 0 after the last option (optind: the first
 * argument), or -EXIT_USAGE after printing the usage error.
 */
int lc_opts_next(struct lc_args *a);
/*
 * lc_opts_begin and lc_opts_next for a table of flags (and --store): the
 * flags given are then told by lc_flag(). @return 0, or 1 to return
 * a->status.
 */
int lc_opts_parse(struct lc_args *a, const struct lc_cmd *cmd, int argc,
		  char **argv);
/* Was the flag of key @p key given (after lc_opts_parse)? */
int lc_flag(const struct lc_args *a, int key);
/*
 * The whole command line of a command that takes no arguments: parse
 * (lc_opts_parse), refuse arguments, open the store with @p flags.
 * @return 0 with *st open, or 1 to return a->status.
 */
int lc_parse_open(struct lc_args *a, const struct lc_cmd *cmd, int argc,
		  char **argv, unsigned flags, struct lv_store **st);
/* EXIT_USAGE (printed) when arguments follow the options, else 0. */
int lc_no_args(struct lc_args *a);
/* The store directory: --store or $LAKEVIEW_STORE; NULL after a usage error. */
const char *lc_store_dir(struct lc_args *a);
/* Open the command's store: 0, EXIT_USAGE or 1 (both printed). */
int lc_open(struct lc_args *a, unsigned flags, struct lv_store **st);

int cmd_link(int argc, char **argv);
int cmd_tables(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_cat(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_unlink(int argc, char **argv);
int cmd_relink(int argc, char **argv);

/* 0 when the link is active; prints why not and returns 1 otherwise. */
int link_active(struct lv_store *st);
/* Push to the linked sink, printing the outcome. */
int do_push(struct lv_store *st);

struct lv_sync_progress;
/* How far a read of a whole table is, in words (progress.c): "1,234 of
 * about 10,000 rows (12%), 456 rows/s, about 19 s left". */
void lc_progress_text(char *buf, size_t len, const struct lv_sync_progress *p);

#endif
