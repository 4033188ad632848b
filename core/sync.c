/*
 * sync.c - the sync loop: a table brought up to date page by page, each
 * page committed with the link that follows it; and where an initial
 * sync stands. The client it pages with is dataverse.c.
 *
 * Why this shape:
 *  - A page and the link that follows it are committed in one batch, so
 *    the stored nextLink/deltaLink always names exactly the first change
 *    not yet in the store. Killed anywhere, the next run GETs that link
 *    again; changes it re-delivers are skipped by id and versionnumber.
 *  - Pages are parsed without a DOM: the page's top level by the row
 *    decoder, the items of "value" by raw spans handed to the batch, which
 *    decodes each once. Numbers keep their exact text all the way.
 *  - A server's paging is not trusted to end: a link already followed in
 *    this run, or a long run of pages without rows, is a paging loop and
 *    fails the table; a link that can never be fetched (control bytes,
 *    another host) fails it before it is stored.
 *  - The cancel flag is looked at between pages: a stop leaves the last
 *    commit standing and does not mark the table Failed.
 *  - Within a table, the next page is fetched while a page commits: its
 *    nextLink is known as soon as the page is in, and a real org takes
 *    seconds to answer a page, so waiting for each commit before asking
 *    would add the commit's time to every page. One page at a time is in
 *    commit (on a short-lived thread, joined before the next commit), so
 *    commits stay in page order with their links; killed meanwhile, the
 *    fetched page was never committed and its link is fetched again.
 *  - Tables sync on several threads at once (lakectl sync), one client
 *    each, and the store has ONE writer: every store write of a sync runs
 *    under the writer lock (lv_dv_share()), fetching and parsing run
 *    outside it. Tables do not share a committing thread: a page's batch
 *    already is one short transaction with its link, a page waiting in a
 *    queue behind other tables' would be a page not committed when
 *    killed, and the lock keeps the store's per-process batch buffers
 *    (store_i.h) single-threaded for free.
 *  - Progress with an end: before a read of the whole table starts, the
 *    client asks Dataverse how many rows it holds (a count up to a day
 *    old; unknown when the server does not answer, never guessed). The
 *    rows read so far, that count and the seconds spent paging live in the
 *    sync state and are committed with each page, so a resumed sync goes
 *    on counting and `lakectl status`, another process, reads the same
 *    numbers (lv_sync_progress_of()).
 */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataverse_i.h"
#include "jrow.h"
#include "lakeview/batch.h"
#include "lakeview/err.h"
#include "lakeview/lake.h"
#include "lakeview/schema.h"
#include "lakeview/table.h"
#include "lakeview/time.h"

#define EXPIRED_CODE "0x80044352"
/* pages in a row without rows that still send a nextLink: a paging loop
 * (Dataverse fills pages up to the page size, so one empty page with a
 * nextLink is already odd) */
#define EMPTY_PAGES_MAX 256

/* The store is written by one thread at a time: its LMDB write transaction
 * and the batch buffers it keeps between batches (store_i.h) are shared by
 * every table of the process. Fetching and parsing run outside the lock. */
static void wlock(struct lv_dv *dv, int *held)
{
	if (!*held && dv->sh)
		pthread_mutex_lock(&dv->sh->writer);
	*held = 1;
}

static void wunlock(struct lv_dv *dv, int *held)
{
	if (*held && dv->sh)
		pthread_mutex_unlock(&dv->sh->writer);
	*held = 0;
}

struct sync_state {
	char *next;      /* nextLink to resume an initial sync or resync */
	char *delta;     /* deltaLink of the last completed read */
	int resync;      /* a full resync is under way */
	/* a read of the whole table (initial sync or resync) under way: */
	uint64_t read_rows;   /* items it read so far */
	int64_t total;        /* rows Dataverse counted before it began, -1 unknown */
	double read_secs;     /* seconds spent paging it */
};

static int reading(const struct sync_state *s)
{
	return !s->delta || s->resync;
}

static void state_free(struct sync_state *s)
{
	free(s->next);
	free(s->delta);
	memset(s, 0, sizeof(*s));
}

/* -ENOMEM is an error, never a lost link (that would restart the table) */
static int state_load(const struct lv_table *t, struct sync_state *s)
{
	json_t *o = t->sync_json ? json_loads(t->sync_json, 0, NULL) : NULL;
	const char *n = json_string_value(json_object_get(o, "next"));
	const char *d = json_string_value(json_object_get(o, "delta"));
	int rc = 0;

	memset(s, 0, sizeof(*s));
	if (t->sync_json && !o)
		rc = lv_err_set(-ENOMEM, "cannot read the stored sync state of %s: out of memory",
				t->name);
	s->next = n ? strdup(n) : NULL;
	s->delta = d ? strdup(d) : NULL;
	s->resync = json_is_true(json_object_get(o, "resync"));
	s->total = -1;
	{
		json_t *rd = json_object_get(o, "read");
		json_t *tot = json_object_get(rd, "total");

		if (json_integer_value(json_object_get(rd, "rows")) > 0)
			s->read_rows = (uint64_t)json_integer_value(json_object_get(rd, "rows"));
		if (json_is_integer(tot) && json_integer_value(tot) >= 0)
			s->total = json_integer_value(tot);
		if (json_number_value(json_object_get(rd, "secs")) > 0)
			s->read_secs = json_number_value(json_object_get(rd, "secs"));
	}
	json_decref(o);
	if (!rc && ((n && !s->next) || (d && !s->delta)))
		rc = lv_err_set(-ENOMEM, "cannot hold the stored link of %s: out of memory",
				t->name);
	return rc;
}

static int state_store(struct lv_table *t, const struct sync_state *s)
{
	json_t *o = json_pack("{sososb}", "next", s->next ? json_string(s->next) : json_null(),
			      "delta", s->delta ? json_string(s->delta) : json_null(),
			      "resync", s->resync);
	char *str;
	int rc;

	if (!o)
		return -ENOMEM;
	if (reading(s) && json_object_set_new(o, "read", json_pack("{sIsosf}",
			"rows", (json_int_t)s->read_rows,
			"total", s->total >= 0 ? json_integer(s->total) : json_null(),
			"secs", s->read_secs))) {
		json_decref(o);
		return -ENOMEM;
	}
	str = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!str)
		return -ENOMEM;
	rc = lv_table_set_sync(t, str);
	free(str);
	return rc;
}

static int set_str(char **dst, const char *src, size_t n)
{
	char *p = NULL;

	if (src) {
		p = strndup(src, n);
		if (!p)
			return -ENOMEM;
	}
	free(*dst);
	*dst = p;
	return 0;
}

/* Record a failure in the table's status, keeping everything committed. */
static int fail_table(struct lv_store *st, const char *name, int rc)
{
	struct lv_table t;
	char reason[512];

	snprintf(reason, sizeof(reason), "%s", lv_err_message(rc));
	if (lv_table_get(st, name, &t) == 0) {
		lv_table_set_state(&t, LV_STATE_FAILED, reason);
		if (lv_lake_table_update(st, &t, 0) != 0) {
			/* keep the first error */
		}
		lv_table_free(&t);
	}
	lv_err_set(rc, "%s", reason);
	return rc;
}

static int initial_url(struct lv_dv *dv, const struct lv_table *t, char *url, size_t len)
{
	size_t n;
	int first = 1;

	n = (size_t)snprintf(url, len, "%s%s?$select=", dv->api, t->entityset);
	for (size_t i = 0; i < t->ncols && n < len; i++) {
		const struct lv_column *c = &t->cols[i];

		if (!c->prop[0] || (c->flags & LV_COL_REMOVED))
			continue;
		n += (size_t)snprintf(url + n, len - n, "%s%s", first ? "" : ",", c->prop);
		first = 0;
	}
	if (n >= len)  /* too many columns for a URL: let the server send all */
		snprintf(url, len, "%s%s", dv->api, t->entityset);
	return 0;
}

static int link_ok(struct lv_dv *dv, const char *link, size_t n)
{
	size_t o = strlen(dv->origin);

	return n > o && strncmp(link, dv->origin, o) == 0 && link[o] == '/';
}

/* A URL holds no control bytes nor spaces (RFC 3986): such a link can
 * never be fetched, and CR/LF in it would be a header injection. */
static int link_clean(const char *link, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)link[i] <= 0x20 || link[i] == 0x7f)
			return 0;
	return 1;
}

/* A link of the server's, before it is stored: 0 or the error. */
static int check_link(struct lv_dv *dv, const struct lv_jfield *l, const char *what)
{
	if (!link_ok(dv, l->val, l->vlen))
		return lv_err_set(LV_EBADVALUE, "the server's %s points away from %s; refusing to follow it",
				  what, dv->origin);
	if (l->vlen >= URL_MAX)
		return lv_err_set(LV_ETOOBIG, "a next/delta link longer than %d bytes", URL_MAX);
	if (!link_clean(l->val, l->vlen))
		return lv_err_set(LV_EBADVALUE, "the server's %s holds a control character or a space; refusing it",
				  what);
	return 0;
}

/* A page with @items rows and this nextLink: is the server paging in a
 * loop? (*empty counts the pages in a row without rows.) */
static int check_loop(const struct lv_jfield *next, struct lv_http_loop *loop,
		      unsigned *empty, uint64_t items)
{
	if (lv_http_loop_seen(loop, next->val, next->vlen))
		return lv_err_set(LV_EBADVALUE, "the server's nextLink repeats a link already followed (a paging loop)");
	*empty = items ? 0 : *empty + 1;
	if (*empty > EMPTY_PAGES_MAX)
		return lv_err_set(LV_EBADVALUE, "the server sent %u pages in a row without rows, each with a nextLink (a paging loop)",
				  *empty);
	return 0;
}

static double mono_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Read the whole table again (a resync), from its first page. */
static void read_again(struct sync_state *s)
{
	s->resync = 1;
	free(s->next);
	s->next = NULL;
}

/* A read of the whole table starts: its count, for progress with an end.
 * The count is an estimate and optional: a server without it (or any
 * failure but a stop) leaves it unknown, and the sync goes on. */
static int read_begin(struct lv_dv *dv, const char *name, struct sync_state *s)
{
	int64_t n = -1;
	int rc;

	s->read_rows = 0;
	s->read_secs = 0;
	rc = lv_dv_count(dv, name, &n);
	if (rc == -ECANCELED)
		return rc;
	lv_err_clear();
	s->total = rc ? -1 : n;
	return 0;
}

/* Before the first request of a run or of a resync: a read of the whole
 * table starting from its first page gets its count, and the sync state
 * is stored with the table, InProgress while such a read is under way,
 * under the writer lock; on failure the lock stays held for the caller's
 * fail path (a stop is -ECANCELED). */
static int state_begin(struct lv_dv *dv, struct lv_store *st, const char *name,
		       struct sync_state *s, int *held)
{
	struct lv_table c;
	int rc;

	if (reading(s) && !s->next) {
		rc = read_begin(dv, name, s);
		if (rc)
			return rc;
	}
	wlock(dv, held);
	rc = lv_table_get(st, name, &c);
	if (rc)
		return rc;
	lv_table_set_state(&c, reading(s) ? LV_STATE_INPROGRESS : NULL, "");
	rc = state_store(&c, s);
	if (!rc)
		rc = lv_lake_table_update(st, &c, 0);
	lv_table_free(&c);
	if (!rc)
		wunlock(dv, held);
	return rc;
}

int lv_sync_progress_of(const struct lv_table *t, struct lv_sync_progress *p)
{
	struct sync_state s;
	int rc;

	memset(p, 0, sizeof(*p));
	if (!t->sync_json || !strstr(t->sync_json, "\"read\""))
		return -ENOENT;
	rc = state_load(t, &s);
	if (!rc && !reading(&s))
		rc = -ENOENT;
	if (!rc) {
		p->table = t->name;
		p->initial = 1;
		p->read_rows = s.read_rows;
		p->total = s.total;
		p->read_secs = s.read_secs;
	}
	state_free(&s);
	lv_err_clear();
	return rc;
}

void lv_sync_eta(const struct lv_sync_progress *p, double *rate, double *left)
{
	*rate = p->read_secs > 0 ? (double)p->read_rows / p->read_secs : 0;
	*left = -1;
	if (p->total >= 0 && *rate > 0 && p->read_rows < (uint64_t)p->total)
		*left = (double)((uint64_t)p->total - p->read_rows) / *rate;
}

/* A page on its way into the store: what its commit needs, and how it
 * went. One job per table; a commit runs on its own thread while the
 * table's thread fetches the next page (the nextLink is known as soon as
 * the page is in), and is joined before the next commit starts, so the
 * commits of a table stay in page order and the sync state (s) is only
 * ever changed by one of them at a time. */
struct page_job {
	struct lv_dv *dv;
	struct lv_store *st;
	const char *name;
	lv_progress_fn progress;
	void *arg;
	struct lv_sync_progress *p;
	struct sync_state *s;
	const struct lv_table *t;
	int *changed;
	struct lv_http_loop *loop;
	unsigned *empty;
	double *mark;            /* when the read's seconds were last counted */
	const struct lv_jfield *val, *next, *delta;
	int initial;
	pthread_t th;
	int running;
	int rc;                  /* of a commit on its own thread, and its detail: */
	char msg[512];           /* the detail is thread-local (err.c) */
};

/* Apply and commit one page with its link, under the writer lock, which
 * it always gives back before returning. */
static int commit_page(struct page_job *j)
{
	struct lv_sync_progress *p = j->p;
	struct sync_state *s = j->s;
	struct lv_batch *b = NULL;
	struct lv_batch_stats bs;
	struct lv_table *bt;
	uint64_t rows0 = p->rows;
	size_t pos = 0, ilen;
	const char *item;
	int rc, k, held = 0;
	double now;

	wlock(j->dv, &held);
	rc = lv_batch_begin(j->st, j->name, &b);
	if (rc)
		goto out;
	lv_batch_set_resync(b, s->resync);
	if (s->resync && !s->next) {
		/* a resync starting over: marks of an earlier pass lie */
		rc = lv_batch_clear_seen(b);
		if (rc)
			goto abort;
	}
	if (*j->changed) {
		/* the schema goes with the first page that applies a
		 * record, or with the last page at the latest */
		rc = lv_batch_adopt_schema(b, j->t, j->delta != NULL);
		if (rc)
			goto abort;
	}
	for (;;) {
		int applied;

		k = lv_json_array_next(j->val->val, j->val->vlen, &pos, &item, &ilen);
		if (k <= 0) {
			rc = k;
			break;
		}
		p->rows++;
		rc = lv_batch_item(b, item, ilen, &applied);
		if (rc) {
			rc = lv_err_set(rc, "item %llu of page %llu: %s",
					(unsigned long long)p->rows,
					(unsigned long long)p->pages + 1, lv_err_message(rc));
			break;
		}
	}
	if (!rc && j->next)
		rc = check_loop(j->next, j->loop, j->empty, p->rows - rows0);
	if (rc)
		goto abort;
	rc = set_str(&s->next, j->next ? j->next->val : NULL, j->next ? j->next->vlen : 0);
	if (!rc && j->delta)
		rc = set_str(&s->delta, j->delta->val, j->delta->vlen);
	if (!rc && j->delta && s->resync) {
		uint64_t gone = 0;

		rc = lv_batch_delete_unseen(b, &gone);
		p->deleted += gone;
		s->resync = 0;
	}
	now = mono_s();
	if (j->initial) {
		s->read_rows += p->rows - rows0;
		s->read_secs += now - *j->mark;
	}
	*j->mark = now;
	bt = lv_batch_table(b);
	if (!rc)
		rc = state_store(bt, s);
	if (!rc && j->delta) {
		int64_t t = lv_clock_now();

		lv_table_set_state(bt, LV_STATE_COMPLETED, "");
		bt->last_sync = t;
		if (!bt->initial_done)
			bt->initial_done = t;
	}
	if (rc)
		goto abort;
	rc = lv_batch_commit(b, &bs);
	if (rc)
		goto out;
	wunlock(j->dv, &held);
	if (bs.schema_committed)
		*j->changed = 0;
	p->pages++;
	p->applied += bs.applied;
	p->skipped += bs.skipped;
	p->done = j->delta != NULL;
	p->initial = j->initial;
	p->read_rows = s->read_rows;
	p->total = s->total;
	p->read_secs = s->read_secs;
	if (j->progress)
		j->progress(j->arg, p);
	return 0;
abort:
	lv_batch_abort(b);
out:
	wunlock(j->dv, &held);
	return rc;
}

static void *commit_main(void *arg)
{
	struct page_job *j = arg;

	j->rc = commit_page(j);
	if (j->rc)
		snprintf(j->msg, sizeof(j->msg), "%s", lv_err_message(j->rc));
	return NULL;
}

/* Wait for the commit in flight: 0, or its error with its detail. */
static int commit_join(struct page_job *j)
{
	if (!j->running)
		return 0;
	pthread_join(j->th, NULL);
	j->running = 0;
	return j->rc ? lv_err_set(j->rc, "%s", j->msg) : 0;
}

/* Before the fetching side goes on or gives up with @rc: the commit in
 * flight completes (it is a whole page with its link, so it stands even
 * when what follows fails), and its own failure goes first. */
static int settle(struct page_job *j, int rc)
{
	int crc = commit_join(j);

	return crc ? crc : rc;
}

int lv_dv_sync_table(struct lv_dv *dv, struct lv_store *st, const char *name,
		     lv_progress_fn progress, void *arg)
{
	struct lv_sync_progress p = { 0 };
	struct lv_table t, fresh;
	struct sync_state s = { 0 };
	struct lv_http_resp r[2];
	struct lv_jrow page[2];
	struct lv_http_loop loop = { { 0 }, 0 };
	struct page_job job;
	char *meta = NULL, *url = NULL;
	size_t mlen;
	unsigned empty = 0;
	double mark;
	int rc, changed = 0, expired_once = 0, held = 0, cur = 0;

	lv_err_clear();
	memset(&t, 0, sizeof(t));
	memset(&job, 0, sizeof(job));
	for (int i = 0; i < 2; i++) {
		lv_http_resp_init(&r[i], LV_DV_PAGE_MAX);
		lv_jrow_init(&page[i]);
	}
	rc = lv_table_get(st, name, &t);
	if (rc)
		goto done;
	/* 1. schema: follow the source, or fail on a type change */
	rc = lv_dv_metadata(dv, t.name, &meta, &mlen);
	if (!rc)
		rc = lv_table_from_metadata(meta, mlen, t.append_only, t.by_month, &fresh);
	if (rc)
		goto fail;
	rc = lv_table_merge(&t, &fresh, &changed);
	lv_table_free(&fresh);
	if (rc)
		goto fail;
	rc = state_load(&t, &s);
	if (rc)
		goto fail;
	if (changed && (s.delta || s.next))
		read_again(&s);  /* existing rows need the new columns' values */
	/* the sync state now; a new schema goes with the first page's commit,
	 * so model.json changes with the first record that has the column */
	rc = state_begin(dv, st, name, &s, &held);
	if (rc)
		goto fail;
	p.table = t.name;
	mark = mono_s();
	job = (struct page_job){ .dv = dv, .st = st, .name = name, .progress = progress,
				 .arg = arg, .p = &p, .s = &s, .t = &t, .changed = &changed,
				 .loop = &loop, .empty = &empty, .mark = &mark };

	url = malloc(2 * URL_MAX);  /* the URL fetched, and the next one */
	if (!url) {
		rc = -ENOMEM;
		goto fail;
	}
	for (;;) {
		const struct lv_jfield *val, *next, *delta;
		int initial;

		if (dv->retry.cancel && *dv->retry.cancel) {
			/* a stop: the commit in flight completes and stands */
			rc = settle(&job, -ECANCELED);
			goto fail;
		}
		if (job.running) {
			/* the page being committed named this one */
			memcpy(url, url + URL_MAX, strlen(url + URL_MAX) + 1);
		} else {
			if (s.next)
				snprintf(url, URL_MAX, "%s", s.next);
			else if (s.delta && !s.resync)
				snprintf(url, URL_MAX, "%s", s.delta);
			else
				initial_url(dv, &t, url, URL_MAX);
			if (!s.next || loop.n == 0)  /* a nextLink back to the first URL loops */
				(void)lv_http_loop_seen(&loop, url, strlen(url));
		}
		/* only a page with a deltaLink ends a read, and it commits
		 * before the next fetch: no commit in flight changes these */
		initial = !s.delta || s.resync;
		rc = lv_dv_get(dv, url, 1, &r[cur]);
		if (rc) {
			rc = settle(&job, rc);
			if (rc && !job.rc && strcmp(dv->code, EXPIRED_CODE) == 0 && !expired_once) {
				/* the delta token expired: read the whole table again */
				expired_once = 1;
				read_again(&s);
				rc = state_begin(dv, st, name, &s, &held);
				if (rc)
					goto fail;
				continue;
			}
			goto fail;
		}
		rc = lv_jrow_parse(&page[cur], r[cur].body.p ? r[cur].body.p : "", r[cur].body.len);
		if (rc) {
			rc = lv_err_set(rc, "malformed page from %s: %s", dv->origin, lv_err_message(rc));
			rc = settle(&job, rc);
			goto fail;
		}
		val = lv_jrow_get(&page[cur], "value", 5, lv_jrow_hash("value", 5));
		next = lv_jrow_get(&page[cur], "@odata.nextLink", 15,
				   lv_jrow_hash("@odata.nextLink", 15));
		delta = lv_jrow_get(&page[cur], "@odata.deltaLink", 16,
				    lv_jrow_hash("@odata.deltaLink", 16));
		if (!val || val->kind != LV_J_NESTED || (!next && !delta) ||
		    (next && next->kind != LV_J_STR) || (delta && delta->kind != LV_J_STR))
			rc = lv_err_set(LV_EBADJSON, "page from %s has no \"value\" array or no next/delta link", dv->origin);
		if (!rc && next)
			rc = check_link(dv, next, "nextLink");
		if (!rc && delta)
			rc = check_link(dv, delta, "deltaLink");
		/* the page before this one is in the store, or failed */
		rc = settle(&job, rc);
		if (rc)
			goto fail;
		job.val = val;
		job.next = next;
		job.delta = delta;
		job.initial = initial;
		if (delta) {
			rc = commit_page(&job);  /* the last page: nothing to fetch */
			if (rc)
				goto fail;
			break;
		}
		memcpy(url + URL_MAX, next->val, next->vlen);  /* < URL_MAX: check_link() */
		url[URL_MAX + next->vlen] = '\0';
		if (pthread_create(&job.th, NULL, commit_main, &job) == 0) {
			job.running = 1;
			cur ^= 1;    /* the next page goes into the other buffer */
		} else {
			rc = commit_page(&job);
			if (rc)
				goto fail;
		}
	}
	rc = 0;
	goto done;
fail:
	if (rc != -ECANCELED) {
		wlock(dv, &held);
		fail_table(st, name, rc);
	}
done:
	wunlock(dv, &held);
	free(url);
	free(meta);
	state_free(&s);
	lv_table_free(&t);
	for (int i = 0; i < 2; i++) {
		lv_jrow_free(&page[i]);
		lv_http_resp_free(&r[i]);
	}
	return rc;
}
