/*
 * lakectl.h - shared pieces of the lakectl commands.
 *
 * Every command is one function `int cmd_x(int argc, char **argv)` in a
 * file named for it; lakectl.c dispatches. Commands print errors for
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

/* --store DIR, or $LAKEVIEW_STORE; NULL (after a usage error) if none. */
const char *store_arg(const char *opt, const char *cmd);
/* Open the store named by --store / $LAKEVIEW_STORE, reporting errors. */
int open_store(const char *dir, unsigned flags, struct lv_store **st);

/*
 * Refuse long options that are not spelled out in full: getopt_long takes
 * any unambiguous prefix, so "--client-secret VALUE" would be read as
 * "--client-secret-file" and the secret echoed in an error. Prints the
 * usage error (never an option's value) and returns non-zero.
 */
int check_exact(int argc, char **argv, const struct option *opts);

/* Does argv ask for help (--help / -h)? Prints @p text then. */
int want_help(int argc, char **argv, const char *text);

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


#endif
