/*
 * cmd_ingest.c - `lakectl ingest`: apply Web API change items from a
 * JSON-lines file, the offline twin of a sync.
 *
 * Lines are read with a bounded buffer (a line longer than LINE_MAX is an
 * error naming the line, never an allocation of whatever size arrives)
 * and applied in batches; each batch is one commit, so a failure keeps
 * every batch before it and nothing of the batch it fails in.
 *
 * A reader thread reads and parses the lines (lv_item_parse() needs no
 * store) into a ring of RING items, while this thread applies them: the
 * JSON decoding of a large import runs beside the store's work, and
 * beside each commit's wait for the disk. What the reader finds (a bad
 * line, a line too long, a read error) travels in the ring and is
 * reported when the applying reaches it, exactly as without the thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lakectl.h"
#include "lakeview/time.h"
#include "lakeview/batch.h"

#define LINE_MAX_BYTES (16u << 20)
#define READ_CHUNK (1u << 20)
#define RING 1024                 /* items parsed ahead */
#define RING_BYTES (64u << 20)    /* JSON bytes in the ring at most (beyond one line) */
#define HANDOVER 64               /* items passed between the threads at once */
#define ITEM_KEEP (64u << 10)     /* a reused item larger than this is shrunk */

static const char help[] =
	"usage: lakectl ingest --store DIR TABLE FILE.jsonl|- [--batch N]\n"
	"\n"
	"Apply change items to TABLE: one JSON object per line, exactly as a\n"
	"Web API change-tracking page holds them: a row (with @odata.etag,\n"
	"<table>id and the values) or a deleted entry\n"
	"  {\"@odata.context\":\".../$deletedEntity\",\"id\":\"<guid>\",\"reason\":\"deleted\"}\n"
	"Rows already applied (same id and versionnumber) and older versions\n"
	"are skipped. Blank lines are ignored.\n"
	"\n"
	"Lines are committed in batches of N (default 10000). A bad line stops\n"
	"the ingest: every batch before it stays committed, the batch holding\n"
	"it is not applied at all, and the error names the line and the field.\n";

static const struct lc_opt opts[] = {
	LC_OPT_STORE,
	{ "batch", 0, 'b', "N", "lines per commit, 1 to 10000000 (default 10000)" },
	LC_OPT_END,
};

static const struct lc_cmd cmd = { "ingest", help, opts };

struct reader {
	int fd;
	char *buf;
	size_t len, off, cap;
	int eof;
};

/* Next line (without "\n") or NULL at end; -E2BIG/-errno in *err. */
static char *next_line(struct reader *r, size_t *n, int *err)
{
	*err = 0;
	for (;;) {
		char *nl = r->len > r->off ? memchr(r->buf + r->off, '\n', r->len - r->off) : NULL;

		if (nl) {
			char *line = r->buf + r->off;

			*n = (size_t)(nl - line);
			r->off += *n + 1;
			return line;
		}
		if (r->eof) {
			if (r->off < r->len) {
				char *line = r->buf + r->off;

				*n = r->len - r->off;
				r->off = r->len;
				return line;
			}
			return NULL;
		}
		if (r->len - r->off > LINE_MAX_BYTES) {
			*err = -E2BIG;
			return NULL;
		}
		if (r->len > r->off)
			memmove(r->buf, r->buf + r->off, r->len - r->off);
		r->len -= r->off;
		r->off = 0;
		if (r->cap - r->len < READ_CHUNK) {
			size_t cap = r->cap ? r->cap * 2 : 4 * READ_CHUNK;
			char *b;

			if (cap > LINE_MAX_BYTES + 2 * READ_CHUNK)
				cap = LINE_MAX_BYTES + 2 * READ_CHUNK;
			b = realloc(r->buf, cap);
			if (!b) {
				*err = -ENOMEM;
				return NULL;
			}
			r->buf = b;
			r->cap = cap;
		}
		{
			ssize_t got = read(r->fd, r->buf + r->len, r->cap - r->len);

			if (got < 0) {
				if (errno == EINTR)
					continue;
				*err = -errno;
				return NULL;
			}
			if (got == 0)
				r->eof = 1;
			r->len += (size_t)got;
		}
	}
}

static int blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

/* An ingest is a sync from a file: the table counts as synchronized. */
static void mark_synced(struct lv_table *t)
{
	int64_t now = lv_clock_now();

	if (strcmp(t->state, LV_STATE_FAILED) != 0) {
		if (!t->initial_done)
			t->initial_done = now;
		lv_table_set_state(t, LV_STATE_COMPLETED, NULL);
	}
	t->last_sync = now;
}

/* Commit a batch (which is freed either way) and add what it did to @p t. */
static int commit(struct lv_batch *b, struct lv_batch_stats *t)
{
	struct lv_batch_stats bs;
	int rc;

	mark_synced(lv_batch_table(b));
	rc = lv_batch_commit(b, &bs);
	if (rc)
		return fail_rc(rc, "commit failed");
	t->applied += bs.applied;
	t->upserts += bs.upserts;
	t->deletes += bs.deletes;
	t->skipped += bs.skipped;
	if (!t->first_seq)
		t->first_seq = bs.first_seq;
	if (bs.last_seq)
		t->last_seq = bs.last_seq;
	return 0;
}

enum { SLOT_ITEM, SLOT_END, SLOT_ERR };

struct slot {
	struct lv_item *it;
	unsigned long lineno;
	size_t len;
	int kind;
	int err;                  /* SLOT_ERR: -E2BIG, -ENOMEM or -errno */
};

/* The ring: the reader fills slots [tail, head + RING), the applier
 * empties [head, tail). Both counters only grow; they and @bytes change
 * under @mu, in steps of up to HANDOVER items. */
struct ring {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot s[RING];
	size_t head, tail;
	size_t bytes;             /* JSON bytes in [head, tail) */
	int stop;                 /* the applier is done: the reader stops */
	struct reader *r;
};

static void unlock(void *mu)
{
	pthread_mutex_unlock(mu);
}

/* Wait (holding q->mu) until the ring has room or the applier stopped. */
static void wait_room(struct ring *q)
{
	pthread_cleanup_push(unlock, &q->mu);
	while (!q->stop && (q->tail - q->head == RING ||
			    (q->bytes > RING_BYTES && q->tail != q->head)))
		pthread_cond_wait(&q->cv, &q->mu);
	pthread_cleanup_pop(0);
}

/* The reader thread. It may be cancelled where it waits: in read() or for
 * room in the ring (the applier stops early on an error, and a pipe may
 * never send the rest). */
static void *read_items(void *arg)
{
	struct ring *q = arg;
	size_t tail, room = 0, pending = 0, pending_bytes = 0;
	unsigned long lineno = 0;
	int last = 0;

	pthread_mutex_lock(&q->mu);
	tail = q->tail;
	pthread_mutex_unlock(&q->mu);
	while (!last) {
		struct slot *sl;
		size_t n;
		int err;
		char *line;

		if (!room) {
			/* hand over what is done; wait for free slots */
			pthread_mutex_lock(&q->mu);
			q->tail += pending;
			q->bytes += pending_bytes;
			pending = pending_bytes = 0;
			pthread_cond_broadcast(&q->cv);
			wait_room(q);
			room = RING - (q->tail - q->head);
			if (room > HANDOVER)
				room = HANDOVER;
			last = q->stop;
			pthread_mutex_unlock(&q->mu);
			if (last)
				return NULL;
		}
		line = next_line(q->r, &n, &err);
		if (line && blank(line, n)) {
			lineno++;
			continue;
		}
		sl = &q->s[tail % RING];
		if (!line) {
			sl->kind = err ? SLOT_ERR : SLOT_END;
			sl->err = err;
			sl->lineno = lineno + 1;
			last = 1;
		} else {
			lineno++;
			sl->kind = SLOT_ITEM;
			sl->lineno = lineno;
			sl->len = n;
			if (sl->it && lv_item_size(sl->it) > ITEM_KEEP) {
				lv_item_free(sl->it);
				sl->it = NULL;
			}
			if (!sl->it && lv_item_new(&sl->it)) {
				sl->kind = SLOT_ERR;
				sl->err = -ENOMEM;
				last = 1;
			} else {
				(void)lv_item_parse(sl->it, line, n);  /* the item keeps the error */
			}
		}
		tail++;
		room--;
		pending++;
		pending_bytes += sl->kind == SLOT_ITEM ? n : 0;
		if (pending == HANDOVER)
			room = 0;
	}
	pthread_mutex_lock(&q->mu);
	q->tail += pending;
	q->bytes += pending_bytes;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

int cmd_ingest(int argc, char **argv)
{
	struct lc_args a;
	const char *dir = NULL, *table, *file;
	struct lv_batch_stats total = { 0 };
	struct lv_store *st = NULL;
	struct lv_batch *b = NULL;
	struct reader r = { 0 };
	struct ring *q = NULL;
	pthread_t reader;
	int started = 0;
	size_t head = 0, avail = 0, done = 0, done_bytes = 0;
	unsigned long batch = 10000, inbatch = 0, lineno = 0, batch_start = 1;
	char *end;
	int c, rc;

	if (lc_opts_begin(&a, &cmd, argc, argv))
		return a.status;
	while ((c = lc_opts_next(&a)) > 0) {
		switch (c) {
		case 'b':
			errno = 0;
			batch = strtoul(optarg, &end, 10);
			if (errno || *end || batch == 0 || batch > 10000000)
				return usage_error("ingest", "--batch takes a number from 1 to 10000000, not '%s'", optarg);
			break;
		}
	}
	if (c < 0)
		return -c;
	if (optind != argc - 2)
		return usage_error("ingest", "name a TABLE and a FILE (or - for standard input)");
	table = argv[optind];
	file = argv[optind + 1];
	dir = lc_store_dir(&a);
	if (!dir)
		return EXIT_USAGE;
	r.fd = strcmp(file, "-") == 0 ? 0 : open(file, O_RDONLY | O_CLOEXEC);
	if (r.fd < 0)
		return fail("cannot read %s: %s", file, strerror(errno));
	rc = lc_open(&a, 0, &st);
	if (rc)
		goto out;
	q = calloc(1, sizeof(*q));
	if (!q || pthread_mutex_init(&q->mu, NULL)) {
		free(q);
		q = NULL;
		rc = fail("cannot ingest: %s", strerror(ENOMEM));
		goto out;
	}
	if (pthread_cond_init(&q->cv, NULL)) {
		pthread_mutex_destroy(&q->mu);
		free(q);
		q = NULL;
		rc = fail("cannot ingest: %s", strerror(ENOMEM));
		goto out;
	}
	q->r = &r;
	rc = pthread_create(&reader, NULL, read_items, q);
	if (rc) {
		rc = fail("cannot start the reader thread: %s", strerror(rc));
		goto out;
	}
	started = 1;
	for (;;) {
		struct slot *sl;
		int applied;

		if (head == avail) {
			/* give back what was applied; wait for parsed items */
			pthread_mutex_lock(&q->mu);
			q->head += done;
			q->bytes -= done_bytes;
			done = done_bytes = 0;
			pthread_cond_broadcast(&q->cv);
			while (q->tail == head)
				pthread_cond_wait(&q->cv, &q->mu);
			avail = q->tail;
			pthread_mutex_unlock(&q->mu);
		}
		sl = &q->s[head % RING];
		if (sl->kind == SLOT_ERR) {
			int err = sl->err;

			lineno = sl->lineno - 1;
			rc = err == -E2BIG ?
				fail("%s line %lu: longer than %u MiB; nothing of lines %lu-%lu was applied%s",
				     file, lineno + 1, LINE_MAX_BYTES >> 20, b ? batch_start : lineno + 1,
				     lineno + 1, total.applied || total.skipped ? ", earlier lines are committed" : "") :
				fail("cannot read %s: %s", file, strerror(-err));
			goto out;
		}
		if (sl->kind == SLOT_END)
			break;
		lineno = sl->lineno;
		if (!b) {
			rc = lv_batch_begin(st, table, &b);
			if (rc) {
				rc = fail_rc(rc, "cannot ingest");
				goto out;
			}
			batch_start = lineno;
		}
		if (head + 1 < avail && q->s[(head + 1) % RING].kind == SLOT_ITEM)
			lv_item_prefetch(q->s[(head + 1) % RING].it);
		rc = lv_batch_apply(b, sl->it, &applied);
		if (rc) {
			rc = fail("%s line %lu: %s; nothing of lines %lu-%lu was applied%s",
				  file, lineno, lv_err_message(rc), batch_start, lineno,
				  total.applied || total.skipped ? ", earlier lines are committed" : "");
			goto out;
		}
		head++;
		done++;
		done_bytes += sl->len;
		if (done == HANDOVER) {
			pthread_mutex_lock(&q->mu);
			q->head += done;
			q->bytes -= done_bytes;
			done = done_bytes = 0;
			pthread_cond_broadcast(&q->cv);
			pthread_mutex_unlock(&q->mu);
		}
		if (++inbatch >= batch) {
			rc = commit(b, &total);
			b = NULL;
			if (rc)
				goto out;
			inbatch = 0;
		}
	}
	if (b) {
		rc = commit(b, &total);
		b = NULL;
		if (rc)
			goto out;
	}
	printf("%s: applied %llu changes (%llu upserts, %llu deletes), skipped %llu",
	       table, (unsigned long long)total.applied, (unsigned long long)total.upserts,
	       (unsigned long long)total.deletes, (unsigned long long)total.skipped);
	if (total.applied)
		printf(", sequence %llu-%llu", (unsigned long long)total.first_seq,
		       (unsigned long long)total.last_seq);
	putchar('\n');
	rc = 0;
out:
	lv_batch_abort(b);
	if (started) {
		/* done, or stopped early: the reader may be blocked in read() */
		pthread_mutex_lock(&q->mu);
		q->stop = 1;
		pthread_cond_broadcast(&q->cv);
		pthread_mutex_unlock(&q->mu);
		pthread_cancel(reader);
		pthread_join(reader, NULL);
	}
	if (q) {
		for (size_t i = 0; i < RING; i++)
			lv_item_free(q->s[i].it);
		pthread_cond_destroy(&q->cv);
		pthread_mutex_destroy(&q->mu);
		free(q);
	}
	lv_store_close(st);
	if (r.fd > 0)
		close(r.fd);
	free(r.buf);
	return rc;
}
