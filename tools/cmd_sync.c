/*
 * cmd_sync.c - `lakectl sync`: pull the linked Dataverse tables, once or
 * for as long as it runs (the trickle feed), and take the snapshots.
 *
 * --follow is meant to run under systemd (lakeview-sync@.service): plain
 * log lines when stderr is not a terminal (every few seconds per table),
 * one line per table in flight rewritten in place when it is; an initial
 * sync says rows read of about how many Dataverse counted, rows/s and the
 * time left (progress.c), as `lakectl status` does for it.
 * and SIGTERM ends it between commits (a commit in flight completes; an
 * interrupted sleep or request simply ends the run). The flag the handler
 * sets is also the Dataverse client's cancel flag, so a stop does not wait
 * for the end of a table, a backoff or a slow answer: the sync stops at
 * its next commit point within a second or two.
 *
 * Tables sync concurrently: a round hands the tables to tables_in_flight
 * threads (lakeview.conf, default 8), each with its own Dataverse client,
 * so an org of forty tables syncs in about the time of its slowest tables
 * rather than their sum; a page of a real org takes seconds to answer and
 * the threads spend it waiting. The store is written by one thread at a
 * time, and a 429 with Retry-After pauses all of them (lv_dv_share(), why
 * in dataverse.c). A table that fails only ends its own sync; its thread
 * takes the next table. A 429 for too many concurrent requests lowers the
 * number of tables in flight for the rest of the run instead of failing
 * any (slot_take()).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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
	"Up to tables_in_flight tables (lakeview.conf, default 8) sync at once.\n"
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

/* Default tables in flight: 8 tables paging at the fastest a busy org
 * answers (0.5 s a page) ask 16 requests/s, 4,800 per 5 minutes: under
 * Dataverse's 6,000 per user, with 44 of its 52 concurrent requests left
 * to the user's other clients, while a round of 40 tables takes about the
 * time of its slowest tables, not their sum (lakeview.conf(5)). */
#define IN_FLIGHT_DEFAULT 8
#define IN_FLIGHT_MAX 52
#define LOG_EVERY 5.0   /* seconds between a table's log lines */

static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;  /* stderr, the work list */

/* What the terminal shows: one line per table in flight, rewritten in
 * place below the lines already printed (finished tables, failures). */
static struct board {
	int tty;
	int cols, rows;                     /* the terminal's size */
	int drawn;                          /* lines of the block on screen */
	int active[IN_FLIGHT_MAX];
	char line[IN_FLIGHT_MAX][320];
} board;

static void board_clear(void)
{
	if (board.drawn)
		fprintf(stderr, "\033[%dA\r\033[J", board.drawn);
	board.drawn = 0;
}

/* Each line cut to the terminal's width and the block to its height: a
 * wrapped line would take two rows, and the cursor moves back by lines. */
static void board_draw(void)
{
	for (int i = 0; i < IN_FLIGHT_MAX && board.drawn < board.rows - 1; i++)
		if (board.active[i]) {
			fprintf(stderr, "%.*s\033[K\n", board.cols - 1, board.line[i]);
			board.drawn++;
		}
	fflush(stderr);
}

static void board_open(void)
{
	struct winsize ws;

	board.tty = isatty(2);
	board.cols = 80;
	board.rows = 24;
	if (board.tty && ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 && ws.ws_row > 1) {
		board.cols = ws.ws_col;
		board.rows = ws.ws_row;
	}
}

struct prog {
	int slot;        /* the worker's line on the board */
	struct timespec start;
	double logged;   /* seconds since start of the last log line */
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
	char est[256] = "";

	/* a read of the whole table has an end: say how far it is */
	if (p->initial)
		lc_progress_text(est, sizeof(est), p);
	pthread_mutex_lock(&out_mu);
	if (board.tty && !p->done) {
		if (p->initial)
			snprintf(board.line[g->slot], sizeof(board.line[0]), "%-24s %s", p->table, est);
		else
			snprintf(board.line[g->slot], sizeof(board.line[0]),
				 "%-24s %llu changes in %llu pages, %.0f/s", p->table,
				 (unsigned long long)p->rows, (unsigned long long)p->pages, rate);
		board.active[g->slot] = 1;
		board_clear();
		board_draw();
	} else if (p->done || s - g->logged >= LOG_EVERY) {
		g->logged = s;
		if (board.tty) {
			board.active[g->slot] = 0;
			board_clear();
		}
		if (p->done)
			fprintf(stderr, "%s: %llu rows in %llu pages in %.1f s (%.0f rows/s), %llu applied, %llu unchanged, %llu removed\n",
				p->table, (unsigned long long)p->rows, (unsigned long long)p->pages,
				s, rate, (unsigned long long)p->applied, (unsigned long long)p->skipped,
				(unsigned long long)p->deleted);
		else if (p->initial)
			fprintf(stderr, "%s: %s ...\n", p->table, est);
		else
			fprintf(stderr, "%s: %llu changes in %llu pages in %.1f s ...\n", p->table,
				(unsigned long long)p->rows, (unsigned long long)p->pages, s);
		if (board.tty)
			board_draw();
	}
	pthread_mutex_unlock(&out_mu);
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

/* One round's work list, shared by the threads that sync it. */
struct round {
	struct lv_store *st;
	struct lv_dv_shared *sh;
	char **names;
	int n, next;     /* next table to start, under out_mu */
	int failed;
};

struct worker {
	struct round *r;
	int slot;
	struct lv_dv *dv;
	pthread_t th;
};

/* A table may start while fewer than the org's limit are in flight: the
 * limit is tables_in_flight until Dataverse answers a request with the
 * concurrency-limit 429, which lowers it (dataverse.c); said once. */
static int slot_take(struct lv_dv_shared *sh)
{
	static unsigned told;
	int rc = -1;

	int say = 0;

	pthread_mutex_lock(&sh->mu);
	/* tables told to wait for a place go first (dataverse.c park()) */
	while ((sh->busy >= sh->limit || sh->waiting > 0) && !stop) {
		struct timespec ts = { 0, 100 * 1000000L };

		pthread_mutex_unlock(&sh->mu);
		(void)nanosleep(&ts, NULL);
		pthread_mutex_lock(&sh->mu);
	}
	if (!stop) {
		sh->busy++;
		rc = 0;
	}
	if (sh->lowered != told) {
		told = sh->lowered;
		say = sh->limit;
	}
	pthread_mutex_unlock(&sh->mu);
	if (say) {
		pthread_mutex_lock(&out_mu);
		board_clear();
		fprintf(stderr, "lakectl sync: Dataverse refused concurrent requests (0x80072326); "
			"%d table%s in flight from now on\n", say, say == 1 ? "" : "s");
		board_draw();
		pthread_mutex_unlock(&out_mu);
	}
	return rc;
}

static void slot_give(struct lv_dv_shared *sh)
{
	pthread_mutex_lock(&sh->mu);
	sh->busy--;
	pthread_mutex_unlock(&sh->mu);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct round *r = w->r;

	for (;;) {
		struct prog g = { 0 };
		const char *name;
		int rc;

		if (slot_take(r->sh))
			break;
		pthread_mutex_lock(&out_mu);
		name = !stop && r->next < r->n ? r->names[r->next++] : NULL;
		pthread_mutex_unlock(&out_mu);
		if (!name) {
			slot_give(r->sh);
			break;
		}
		g.slot = w->slot;
		clock_gettime(CLOCK_MONOTONIC, &g.start);
		rc = lv_dv_sync_table(w->dv, r->st, name, progress, &g);
		slot_give(r->sh);
		if (rc == -ECANCELED && stop)
			break;  /* stopped at a commit point: not a failure */
		if (rc) {
			char msg[600];

			/* the detail is this thread's: read it before the lock */
			snprintf(msg, sizeof(msg), "%s: sync failed: %s", name, lv_err_message(rc));
			pthread_mutex_lock(&out_mu);
			board.active[w->slot] = 0;
			board_clear();
			fail("%s", msg);
			board_draw();
			r->failed = 1;
			pthread_mutex_unlock(&out_mu);
		}
	}
	return NULL;
}

static int sync_round(struct lv_store *st, struct lv_dv_shared *sh, struct worker *w,
		      int nw, int argc, char **argv, long snap_interval)
{
	struct names all = { NULL, 0 };
	struct round r = { 0 };
	int failed = 0, started = 0, rc;

	if (argc == 0) {
		rc = lv_table_list(st, collect, &all);
		if (rc)
			return fail_rc(rc, "cannot list tables");
	}
	r.st = st;
	r.sh = sh;
	r.names = argc ? argv : all.v;
	r.n = argc ? argc : all.n;
	if (nw > r.n)
		nw = r.n;
	board_open();
	for (int i = 0; i < nw; i++) {
		w[i].r = &r;
		w[i].slot = i;
		if (i > 0 && pthread_create(&w[i].th, NULL, worker_main, &w[i]) != 0)
			break;
		started = i + 1;
	}
	if (nw > 0)
		worker_main(&w[0]);  /* this thread is one of them */
	for (int i = 1; i < started; i++)
		pthread_join(w[i].th, NULL);
	pthread_mutex_lock(&out_mu);
	memset(board.active, 0, sizeof(board.active));
	board_clear();
	pthread_mutex_unlock(&out_mu);
	failed = r.failed;
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
	struct worker w[IN_FLIGHT_MAX];
	struct lv_dv_shared sh = LV_DV_SHARED_INIT;
	int nw = 0;
	unsigned inflight;
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
	inflight = lv_store_conf_uint(st, "tables_in_flight");
	if (!inflight)
		inflight = IN_FLIGHT_DEFAULT;
	for (; nw < (int)inflight && nw < IN_FLIGHT_MAX; nw++) {
		rc = lv_dv_from_store(st, &w[nw].dv);
		if (rc) {
			rc = fail_rc(rc, "cannot connect to Dataverse");
			goto out;
		}
		lv_dv_set_cancel(w[nw].dv, &stop);
		lv_dv_share(w[nw].dv, &sh);
	}
	sh.limit = nw;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (;;) {
		/* an unlink (or a deleted store) ends a follower between rounds */
		if (lv_store_conf_reload(st) != 0 || link_active(st)) {
			rc = 1;
			break;
		}
		rc = sync_round(st, &sh, w, nw, argc - optind, argv + optind, snap);
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
	for (int i = 0; i < nw; i++)
		lv_dv_free(w[i].dv);
	lv_store_close(st);
	return rc;
}
