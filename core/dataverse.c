/*
 * dataverse.c - the Dataverse Web API source: metadata, change-tracked
 * paging, retries, and the sync loop that commits a page at a time.
 *
 * Why this shape:
 *  - A page and the link that follows it are committed in one batch, so
 *    the stored nextLink/deltaLink always names exactly the first change
 *    not yet in the store. Killed anywhere, the next run GETs that link
 *    again; changes it re-delivers are skipped by id and versionnumber.
 *  - Pages are parsed without a DOM: the page's top level by the row
 *    decoder, the items of "value" by raw spans handed to the batch, which
 *    decodes each once. Numbers keep their exact text all the way.
 *  - One request function owns authentication and retries, so every call
 *    (metadata, tables, pages) behaves the same under throttling.
 *  - A server's paging is not trusted to end: a link already followed in
 *    this run, or a long run of pages without rows, is a paging loop and
 *    fails the table; a link that can never be fetched (control bytes,
 *    another host) fails it before it is stored.
 *  - A cancel flag (lv_dv_set_cancel()) is looked at between pages and
 *    wakes backoffs and requests: a stop leaves the last commit standing
 *    and does not mark the table Failed.
 *  - Tables sync on several threads at once (lakectl sync), one client
 *    each, and the store has ONE writer: every store write of a sync runs
 *    under the writer lock (lv_dv_share()), fetching and parsing run
 *    outside it. The fetching threads commit themselves, in turn, rather
 *    than handing pages to a committing thread: a page's batch already is
 *    one short transaction with its link, a page waiting in a queue would
 *    be a page not committed when killed, and the lock keeps the store's
 *    per-process batch buffers (store_i.h) single-threaded for free.
 *    The same share carries the org's throttle: a Retry-After told to one
 *    table's request holds back the requests of all (limits are per user).
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "jrow.h"
#include "lakeview/time.h"
#include "lakeview/dataverse.h"
#include "lakeview/err.h"
#include "lakeview/http.h"
#include "lakeview/batch.h"
#include "lakeview/lake.h"
#include "lakeview/oauth.h"
#include "lakeview/schema.h"
#include "lakeview/table.h"

#define META_MAX ((size_t)64 << 20)
#define URL_MAX 8192
#define EXPIRED_CODE "0x80044352"
/* pages in a row without rows that still send a nextLink: a paging loop
 * (Dataverse fills pages up to the page size, so one empty page with a
 * nextLink is already odd) */
#define EMPTY_PAGES_MAX 256

struct lv_dv {
	struct lv_http *http;
	struct lv_oauth *oauth;
	char origin[512];         /* scheme://host[:port] */
	char api[600];            /* origin + /api/data/v9.2/ */
	unsigned page_size;
	struct lv_http_retry retry;
	char code[64];            /* error.code of the last failed request */
	struct lv_dv_shared *sh;  /* writer lock and throttle pause; NULL: none */
};

static int origin_of(const char *url, char *out, size_t len)
{
	const char *p = strstr(url, "://");
	size_t n;

	if (!p || (strncmp(url, "https://", 8) && strncmp(url, "http://", 7)))
		return -EINVAL;
	p += 3;
	n = (size_t)(p - url) + strcspn(p, "/?#");
	if (n >= len || n == (size_t)(p - url))
		return -EINVAL;
	memcpy(out, url, n);
	out[n] = '\0';
	return 0;
}

int lv_dv_new(const struct lv_dv_conf *c, struct lv_dv **out)
{
	struct lv_dv *dv;
	char token_url[1024], scope[600];
	int rc;

	*out = NULL;
	dv = calloc(1, sizeof(*dv));
	if (!dv)
		return -ENOMEM;
	rc = origin_of(c->url, dv->origin, sizeof(dv->origin));
	if (rc) {
		rc = lv_err_set(-EINVAL, "Dataverse URL '%s': expected https://<org>.crm.dynamics.com", c->url);
		goto out;
	}
	rc = lv_http_url_check("Dataverse URL", c->url);
	if (!rc && c->token_url)
		rc = lv_http_url_check("token URL", c->token_url);
	if (rc)
		goto out;
	snprintf(dv->api, sizeof(dv->api), "%s/api/data/v9.2/", dv->origin);
	if (c->token_url)
		snprintf(token_url, sizeof(token_url), "%s", c->token_url);
	else
		snprintf(token_url, sizeof(token_url),
			 "https://login.microsoftonline.com/%s/oauth2/v2.0/token", c->tenant_id);
	snprintf(scope, sizeof(scope), "%s/.default", dv->origin);
	rc = lv_http_client_init(c->ca_file, 300, c->retry_base_ms, c->retry_tries,
				 &dv->http, &dv->retry);
	if (!rc)
		rc = lv_oauth_new(token_url, c->client_id, c->secret, scope, &dv->oauth);
	if (rc)
		goto out;
	dv->page_size = c->page_size ? c->page_size : 5000;
	*out = dv;
	return 0;
out:
	lv_dv_free(dv);
	return rc;
}

void lv_dv_set_cancel(struct lv_dv *dv, const volatile sig_atomic_t *flag)
{
	dv->retry.cancel = flag;
	lv_http_set_cancel(dv->http, flag);
}

void lv_dv_share(struct lv_dv *dv, struct lv_dv_shared *sh)
{
	dv->sh = sh;
}

static int64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Wait out a pause another client of the org was told to take (429 with
 * Retry-After), in slices so a stop still ends it. */
static int throttle_wait(struct lv_dv *dv)
{
	for (;;) {
		int64_t left;
		struct timespec ts = { 0, 100 * 1000000L };

		pthread_mutex_lock(&dv->sh->mu);
		left = dv->sh->pause_ms - mono_ms();
		pthread_mutex_unlock(&dv->sh->mu);
		if (left <= 0)
			return 0;
		if (dv->retry.cancel && *dv->retry.cancel)
			return -ECANCELED;
		if (left < 100)
			ts.tv_nsec = (long)left * 1000000L;
		(void)nanosleep(&ts, NULL);
	}
}

static void throttle_note(struct lv_dv *dv, const struct lv_http_resp *r)
{
	int64_t until;

	if (r->status != 429 || r->retry_after < 0)
		return;
	until = mono_ms() + (int64_t)r->retry_after * 1000;
	pthread_mutex_lock(&dv->sh->mu);
	if (until > dv->sh->pause_ms)
		dv->sh->pause_ms = until;
	pthread_mutex_unlock(&dv->sh->mu);
}

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

void lv_dv_free(struct lv_dv *dv)
{
	if (!dv)
		return;
	lv_oauth_free(dv->oauth);
	lv_http_free(dv->http);
	free(dv);
}

int lv_dv_from_store(struct lv_store *st, struct lv_dv **out)
{
	struct lv_dv_conf c = { 0 };
	const char *sf;
	char *secret;
	int rc;

	*out = NULL;
	c.url = lv_store_conf_get(st, "dataverse_url");
	c.tenant_id = lv_store_conf_get(st, "tenant_id");
	c.client_id = lv_store_conf_get(st, "client_id");
	c.token_url = lv_store_conf_get(st, "token_url");
	c.ca_file = lv_store_conf_get(st, "ca_file");
	c.page_size = lv_store_conf_uint(st, "page_size");
	c.retry_base_ms = lv_store_conf_uint(st, "retry_base_ms");
	c.retry_tries = lv_store_conf_uint(st, "retry_tries");
	if (!c.url || !c.client_id || !c.tenant_id)
		return lv_err_set(LV_ECONF, "this store has no Dataverse source linked (lakectl link --dataverse-url ...)");
	sf = lv_store_conf_get(st, "client_secret_file");
	secret = lv_secret_load(sf, "LAKEVIEW_CLIENT_SECRET");
	if (!secret)
		return LV_EAUTH;
	c.secret = secret;
	rc = lv_dv_new(&c, out);
	memset(secret, 0, strlen(secret));
	free(secret);
	return rc;
}

/* --- requests ---------------------------------------------------------------- */

/* Error text of a Dataverse error body, into the thread's detail. */
static int remote_error(struct lv_dv *dv, const char *url, struct lv_http_resp *r)
{
	json_t *doc = json_loadb(r->body.p ? r->body.p : "", r->body.len, 0, NULL);
	json_t *e = json_object_get(doc, "error");
	const char *code = json_string_value(json_object_get(e, "code"));
	const char *msg = json_string_value(json_object_get(e, "message"));
	size_t ml = msg ? strcspn(msg, "\r\n") : 0;
	const char *q = strchr(url, '?');
	int rc;

	snprintf(dv->code, sizeof(dv->code), "%s", code ? code : "");
	rc = lv_err_set(r->status == 401 || r->status == 403 ? LV_EAUTH : LV_EREMOTE,
			"Dataverse answered HTTP %ld%s%s%s%.*s (GET %.*s)", r->status,
			code ? " " : "", code ? code : "", msg ? ": " : "", (int)ml,
			msg ? msg : "", (int)(q ? (size_t)(q - url) : strlen(url)), url);
	json_decref(doc);
	return rc;
}

static int dv_get(struct lv_dv *dv, const char *url, int tracked,
		  struct lv_http_resp *r)
{
	char auth[LV_OAUTH_TOKEN_MAX + 32], prefer[96];
	const char *hdrs[8];
	const char *token;
	int rc, renewed = 0;

	dv->code[0] = '\0';
	snprintf(prefer, sizeof(prefer), "Prefer: odata.track-changes,odata.maxpagesize=%u",
		 dv->page_size);
	for (unsigned attempt = 0;; attempt++) {
		int n = 0, again;

		rc = lv_oauth_token(dv->oauth, dv->http, &dv->retry, renewed == 1, &token);
		if (rc)
			return rc;
		if (renewed == 1)
			renewed = 2;
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		hdrs[n++] = auth;
		hdrs[n++] = "Accept: application/json";
		hdrs[n++] = "OData-MaxVersion: 4.0";
		hdrs[n++] = "OData-Version: 4.0";
		hdrs[n++] = "If-None-Match: null";
		if (tracked)
			hdrs[n++] = prefer;
		hdrs[n] = NULL;
		if (dv->sh) {
			rc = throttle_wait(dv);
			if (rc) {
				memset(auth, 0, sizeof(auth));
				return rc;
			}
		}
		rc = lv_http_request(dv->http, "GET", url, hdrs, NULL, 0, r);
		memset(auth, 0, sizeof(auth));
		if (!rc && dv->sh)
			throttle_note(dv, r);
		again = lv_http_retry_wait(&dv->retry, attempt, rc, r, &renewed);
		if (again < 0)
			return again;
		if (again)
			continue;
		if (rc == LV_ETRANSPORT)
			return lv_err_set(rc, "%s: %s (after %u tries)", dv->origin, r->error,
					  attempt + 1);
		if (rc == -EINVAL)
			return lv_err_set(LV_EBADVALUE, "%s: cannot GET this link: %s", dv->origin,
					  r->error);
		if (rc == LV_ETOOBIG)
			return lv_err_set(rc, "a page from %s is larger than %zu MiB; lower page_size in lakeview.conf",
					  dv->origin, r->body.max >> 20);
		if (rc)
			return rc;
		if (r->status >= 200 && r->status < 300)
			return 0;
		return remote_error(dv, url, r);
	}
}

/* --- metadata ------------------------------------------------------------------ */

int lv_dv_tables(struct lv_dv *dv, int tracked,
		 int (*fn)(void *arg, const struct lv_dv_table *t), void *arg)
{
	struct lv_http_resp r;
	char url[URL_MAX];
	json_t *doc = NULL, *v;
	size_t i;
	int rc;

	snprintf(url, sizeof(url),
		 "%sEntityDefinitions?$select=LogicalName,EntitySetName,ChangeTrackingEnabled%s",
		 dv->api, tracked ? "&$filter=ChangeTrackingEnabled%20eq%20true" : "");
	lv_http_resp_init(&r, META_MAX);
	rc = dv_get(dv, url, 0, &r);
	if (rc)
		goto out;
	doc = json_loadb(r.body.p ? r.body.p : "", r.body.len, 0, NULL);
	if (!json_is_array(json_object_get(doc, "value"))) {
		rc = lv_err_set(LV_EBADJSON, "EntityDefinitions answer from %s is not a table list", dv->origin);
		goto out;
	}
	json_array_foreach(json_object_get(doc, "value"), i, v) {
		struct lv_dv_table t;

		t.name = json_string_value(json_object_get(v, "LogicalName"));
		t.entityset = json_string_value(json_object_get(v, "EntitySetName"));
		t.change_tracking = json_is_true(json_object_get(v, "ChangeTrackingEnabled"));
		if (!t.name || (tracked && !t.change_tracking))
			continue;
		if (!t.entityset)
			t.entityset = t.name;
		rc = fn(arg, &t);
		if (rc)
			break;
	}
out:
	json_decref(doc);
	lv_http_resp_free(&r);
	return rc;
}

int lv_dv_metadata(struct lv_dv *dv, const char *table, char **json, size_t *len)
{
	struct lv_http_resp r;
	char url[URL_MAX];
	int rc;

	*json = NULL;
	if (!lv_name_ok(table))
		return lv_err_set(LV_EBADNAME, "'%s' is not a Dataverse logical name", table);
	snprintf(url, sizeof(url), "%sEntityDefinitions(LogicalName='%s')?$expand=Attributes",
		 dv->api, table);
	lv_http_resp_init(&r, META_MAX);
	rc = dv_get(dv, url, 0, &r);
	if (!rc) {
		*len = r.body.len;
		*json = r.body.p;  /* hand the buffer over */
		r.body.p = NULL;
		if (!*json)
			rc = lv_err_set(LV_EBADJSON, "empty metadata for %s", table);
	}
	lv_http_resp_free(&r);
	return rc;
}

/* --- sync ---------------------------------------------------------------------- */

struct sync_state {
	char *next;      /* nextLink to resume an initial sync or resync */
	char *delta;     /* deltaLink of the last completed read */
	int resync;      /* a full resync is under way */
};

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

int lv_dv_sync_table(struct lv_dv *dv, struct lv_store *st, const char *name,
		     lv_progress_fn progress, void *arg)
{
	struct lv_sync_progress p = { 0 };
	struct lv_table t, fresh;
	struct sync_state s = { 0 };
	struct lv_http_resp r;
	struct lv_jrow page;
	struct lv_http_loop loop = { { 0 }, 0 };
	char *meta = NULL, *url = NULL;
	size_t mlen;
	unsigned empty = 0;
	int rc, changed = 0, expired_once = 0, held = 0;

	lv_err_clear();
	memset(&t, 0, sizeof(t));
	lv_http_resp_init(&r, LV_DV_PAGE_MAX);
	lv_jrow_init(&page);
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
	if (changed && (s.delta || s.next)) {
		/* existing rows need the new columns' values: read everything */
		s.resync = 1;
		free(s.next);
		s.next = NULL;
	}
	/* the sync state now; a new schema goes with the first page's commit,
	 * so model.json changes with the first record that has the column */
	{
		struct lv_table cur;

		wlock(dv, &held);
		rc = lv_table_get(st, name, &cur);
		if (rc)
			goto fail;
		lv_table_set_state(&cur, !s.delta || s.resync ? LV_STATE_INPROGRESS : NULL, "");
		rc = state_store(&cur, &s);
		if (!rc)
			rc = lv_lake_table_update(st, &cur, 0);
		lv_table_free(&cur);
		if (rc)
			goto fail;
		wunlock(dv, &held);
	}
	p.table = t.name;

	url = malloc(URL_MAX);
	if (!url) {
		rc = -ENOMEM;
		goto fail;
	}
	for (;;) {
		const struct lv_jfield *val, *next, *delta;
		struct lv_batch *b = NULL;
		struct lv_batch_stats bs;
		struct lv_table *bt;
		size_t pos = 0;
		const char *item;
		size_t ilen;
		uint64_t rows0 = p.rows;
		int k;

		if (dv->retry.cancel && *dv->retry.cancel) {
			rc = -ECANCELED;  /* a stop: the last commit stands */
			goto done;
		}
		if (s.next)
			snprintf(url, URL_MAX, "%s", s.next);
		else if (s.delta && !s.resync)
			snprintf(url, URL_MAX, "%s", s.delta);
		else
			initial_url(dv, &t, url, URL_MAX);
		if (!s.next || loop.n == 0)  /* a nextLink back to the first URL loops */
			(void)lv_http_loop_seen(&loop, url, strlen(url));
		p.initial = !s.delta || s.resync;
		rc = dv_get(dv, url, 1, &r);
		if (rc && strcmp(dv->code, EXPIRED_CODE) == 0 && !expired_once) {
			/* the delta token expired: read the whole table again */
			expired_once = 1;
			s.resync = 1;
			free(s.next);
			s.next = NULL;
			{
				struct lv_table cur;

				wlock(dv, &held);
				rc = lv_table_get(st, name, &cur);
				if (!rc) {
					rc = state_store(&cur, &s);
					lv_table_set_state(&cur, LV_STATE_INPROGRESS, NULL);
					if (!rc)
						rc = lv_lake_table_update(st, &cur, 0);
					lv_table_free(&cur);
				}
			}
			if (rc)
				goto fail;
			wunlock(dv, &held);
			continue;
		}
		if (rc)
			goto fail;
		rc = lv_jrow_parse(&page, r.body.p ? r.body.p : "", r.body.len);
		if (rc) {
			rc = lv_err_set(rc, "malformed page from %s: %s", dv->origin, lv_err_message(rc));
			goto fail;
		}
		val = lv_jrow_get(&page, "value", 5, lv_jrow_hash("value", 5));
		next = lv_jrow_get(&page, "@odata.nextLink", 15, lv_jrow_hash("@odata.nextLink", 15));
		delta = lv_jrow_get(&page, "@odata.deltaLink", 16, lv_jrow_hash("@odata.deltaLink", 16));
		if (!val || val->kind != LV_J_NESTED || (!next && !delta) ||
		    (next && next->kind != LV_J_STR) || (delta && delta->kind != LV_J_STR)) {
			rc = lv_err_set(LV_EBADJSON, "page from %s has no \"value\" array or no next/delta link", dv->origin);
			goto fail;
		}
		rc = next ? check_link(dv, next, "nextLink") : 0;
		if (!rc && delta)
			rc = check_link(dv, delta, "deltaLink");
		if (rc)
			goto fail;
		wlock(dv, &held);
		rc = lv_batch_begin(st, name, &b);
		if (rc)
			goto fail;
		lv_batch_set_resync(b, s.resync);
		if (s.resync && !s.next) {
			/* a resync starting over: marks of an earlier pass lie */
			rc = lv_batch_clear_seen(b);
			if (rc) {
				lv_batch_abort(b);
				goto fail;
			}
		}
		if (changed) {
			/* the schema goes with the first page that applies a
			 * record, or with the last page at the latest */
			rc = lv_batch_adopt_schema(b, &t, delta != NULL);
			if (rc) {
				lv_batch_abort(b);
				goto fail;
			}
		}
		for (;;) {
			int applied;

			k = lv_json_array_next(val->val, val->vlen, &pos, &item, &ilen);
			if (k <= 0) {
				rc = k;
				break;
			}
			p.rows++;
			rc = lv_batch_item(b, item, ilen, &applied);
			if (rc) {
				rc = lv_err_set(rc, "item %llu of page %llu: %s",
						(unsigned long long)p.rows,
						(unsigned long long)p.pages + 1, lv_err_message(rc));
				break;
			}
		}
		if (!rc && next)
			rc = check_loop(next, &loop, &empty, p.rows - rows0);
		if (rc) {
			lv_batch_abort(b);
			goto fail;
		}
		rc = set_str(&s.next, next ? next->val : NULL, next ? next->vlen : 0);
		if (!rc && delta)
			rc = set_str(&s.delta, delta->val, delta->vlen);
		if (!rc && delta && s.resync) {
			uint64_t gone = 0;

			rc = lv_batch_delete_unseen(b, &gone);
			p.deleted += gone;
			s.resync = 0;
		}
		bt = lv_batch_table(b);
		if (!rc)
			rc = state_store(bt, &s);
		if (!rc && delta) {
			int64_t now = lv_clock_now();

			lv_table_set_state(bt, LV_STATE_COMPLETED, "");
			bt->last_sync = now;
			if (!bt->initial_done)
				bt->initial_done = now;
		}
		if (rc) {
			lv_batch_abort(b);
			goto fail;
		}
		rc = lv_batch_commit(b, &bs);
		if (rc)
			goto fail;
		wunlock(dv, &held);
		if (bs.schema_committed)
			changed = 0;
		p.pages++;
		p.applied += bs.applied;
		p.skipped += bs.skipped;
		p.done = delta != NULL;
		if (progress)
			progress(arg, &p);
		if (delta)
			break;
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
	lv_jrow_free(&page);
	lv_http_resp_free(&r);
	return rc;
}
