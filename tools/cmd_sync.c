/*
 * cmd_sync.c - `lakectl sync`: pull the linked Dataverse tables, once or
 * for as long as it runs (the trickle feed), and take the snapshots.
 *
 * --follow is meant to run under systemd (lakeview-sync@.service): plain
 * log lines when stderr is not a terminal, a progress line when it is,
 * and SIGTERM ends it between commits (a commit in flight completes; an
 * interrupted sleep or request simply ends the run). The flag the handler
 * sets is also the Dataverse client's cancel flag, so a stop does not wait
 * for the end of a table, a backoff or a slow answer: the sync stops at
 * its next commit point within a second or two.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lakectl.h"
#include "lakeview/time.h"
#include "lakeview/dataverse.h"
#include "lakeview/snapshot.h"
#include "lakeview/table.h"

static const char help[] =
	"usage: lakectl sync --store DIR [--once | --follow [--interval SECONDS]]\n"
	"                    [--snapshot-interval SECONDS] [TABLE...]\n"
	"\n"
	"Pull the link's tables (or the TABLEs named) from Dataverse: the first\n"
	"sync of a table reads it whole, later ones follow its delta link. Each\n"
	"page is committed with its paging state, so an interrupted sync resumes\n"
	"where it stopped. Snapshots are taken when --snapshot-interval (default\n"
	"3600) has passed since the last one.\n"
	"\n"
	"When a storage account is linked, each round ends with a push.\n"
	"\n"
	"--once (default) syncs each table once; --follow syncs every --interval\n"
	"seconds (default 60) until SIGTERM or SIGINT. A table that fails is\n"
	"marked Failed with the reason (see lakectl status); the others go on.\n"
	"Exit status: 0 when every table synced, 1 otherwise.\n";

static const struct lc_opt opts[] = {
	LC_OPT_STORE,
	{ "once", 0, '1', NULL, "sync each table once (default)" },
	{ "follow", 0, 'f', NULL, "sync every --interval seconds until SIGTERM/SIGINT" },
	{ "interval", 0, 'i', "SECONDS", "between rounds of --follow, 1 to 604800 (60)" },
	{ "snapshot-interval", 0, 'n', "SECONDS", "between snapshots, 0 to 604800 (3600)" },
	LC_OPT_END,
};

static const struct lc_cmd cmd = { "sync", help, opts };

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct prog {
	int tty;
	struct timespec start;
};

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void progress(void *arg, const struct lv_sync_progress *p)
{
	struct prog *g = arg;
	double s = since(&g->start);
	double rate = s > 0 ? (double)p->rows / s : 0;

	if (g->tty) {
		fprintf(stderr, "\r%-24s %10llu rows  %6llu pages  %9.0f rows/s%s",
			p->table, (unsigned long long)p->rows, (unsigned long long)p->pages,
			rate, p->done ? "\n" : "");
	} else if (p->done || p->pages % 20 == 0) {
		fprintf(stderr, "%s: %llu rows in %llu pages (%.0f rows/s), %llu applied, %llu unchanged, %llu removed%s\n",
			p->table, (unsigned long long)p->rows, (unsigned long long)p->pages,
			rate, (unsigned long long)p->applied, (unsigned long long)p->skipped,
			(unsigned long long)p->deleted, p->done ? "" : " ...");
	}
}

struct names {
	char **v;
	int n;
};

static int collect(void *arg, const struct lv_table *t)
{
	struct names *n = arg;
	char **v = realloc(n->v, (size_t)(n->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	n->v = v;
	n->v[n->n] = strdup(t->name);
	if (!n->v[n->n])
		return -ENOMEM;
	n->n++;
	return 0;
}

static int sync_round(struct lv_store *st, struct lv_dv *dv, int argc, char **argv,
		      long snap_interval)
{
	struct names all = { NULL, 0 };
	int failed = 0, rc;

	if (argc == 0) {
		rc = lv_table_list(st, collect, &all);
		if (rc)
			return fail_rc(rc, "cannot list tables");
	}
	for (int i = 0; i < (argc ? argc : all.n) && !stop; i++) {
		const char *name = argc ? argv[i] : all.v[i];
		struct prog g;

		g.tty = isatty(2);
		clock_gettime(CLOCK_MONOTONIC, &g.start);
		rc = lv_dv_sync_table(dv, st, name, progress, &g);
		if (rc == -ECANCELED && stop) {
			if (g.tty)
				fputc('\n', stderr);
			break;  /* stopped at a commit point: not a failure */
		}
		if (rc) {
			if (g.tty)
				fputc('\n', stderr);
			fail("%s: sync failed: %s", name, lv_err_message(rc));
			failed = 1;
		}
	}
	for (int i = 0; i < all.n; i++)
		free(all.v[i]);
	free(all.v);
	if (!stop && snap_interval >= 0) {
		struct lv_store_stats s;

		rc = lv_store_stats(st, &s);
		if (!rc && lv_clock_now() - s.last_snapshot >= snap_interval) {
			struct lv_snapshot_stats ss;

			rc = lv_lake_snapshot(st, &ss);
			if (rc) {
				fail_rc(rc, "snapshot failed");
				failed = 1;
			} else {
				fprintf(stderr, "snapshot: %u taken, %u retired\n", ss.taken, ss.retired);
			}
		}
	}
	return failed;
}

int cmd_sync(int argc, char **argv)
{
	struct lc_args a;
	long interval = 60, snap = 3600;
	int follow = 0, once = 0, c, rc;
	struct lv_store *st = NULL;
	struct lv_dv *dv = NULL;
	struct sigaction sa;
	char *end;

	if (lc_opts_begin(&a, &cmd, argc, argv))
		return a.status;
	while ((c = lc_opts_next(&a)) > 0) {
		switch (c) {
		case '1': once = 1; break;
		case 'f': follow = 1; break;
		case 'i':
		case 'n': {
			long v = strtol(optarg, &end, 10);

			if (*end || v < (c == 'n' ? 0 : 1) || v > 86400 * 7)
				return usage_error("sync", "%s takes seconds (%d to 604800), not '%s'",
						   c == 'i' ? "--interval" : "--snapshot-interval",
						   c == 'n' ? 0 : 1, optarg);
			if (c == 'i')
				interval = v;
			else
				snap = v;
			break;
		}
		}
	}
	if (c < 0)
		return -c;
	if (once && follow)
		return usage_error("sync", "--once and --follow exclude each other");
	rc = lc_open(&a, 0, &st);
	if (rc)
		return rc;
	rc = link_active(st);
	if (rc)
		goto out;
	rc = lv_dv_from_store(st, &dv);
	if (rc) {
		rc = fail_rc(rc, "cannot connect to Dataverse");
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	lv_dv_set_cancel(dv, &stop);
	for (;;) {
		/* an unlink (or a deleted store) ends a follower between rounds */
		if (lv_store_conf_reload(st) != 0 || link_active(st)) {
			rc = 1;
			break;
		}
		rc = sync_round(st, dv, argc - optind, argv + optind, snap);
		/* a linked sink gets what the round committed */
		if (!stop && lv_store_conf_get(st, "adls_url") && do_push(st))
			rc = 1;
		if (!follow || stop)
			break;
		for (long s = 0; s < interval && !stop; s++)
			sleep(1);
		if (stop)
			break;
	}
	if (stop)
		fprintf(stderr, "lakectl sync: stopped\n");
out:
	lv_dv_free(dv);
	lv_store_close(st);
	return rc;
}
