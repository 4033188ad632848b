/*
 * dataverse.c - the Dataverse Web API client: authentication, retries,
 * the org's shared throttle, and the calls that are not paging (tables,
 * metadata, row counts). The sync loop that pages a table is sync.c.
 *
 * Why this shape:
 *  - One request function (lv_dv_get()) owns authentication and retries,
 *    so every call (metadata, tables, counts, pages) behaves the same
 *    under throttling, token expiry and 5xx.
 *  - A cancel flag (lv_dv_set_cancel()) wakes backoffs, throttle pauses
 *    and requests: a stop ends a call within a second or two.
 *  - Clients of one org share its throttle (lv_dv_share()): a 429 with
 *    Retry-After told to one table's request holds back the requests of
 *    all, since Dataverse's limits are per user, not per table; and a 429
 *    for too many concurrent requests lowers how many tables the caller
 *    keeps in flight rather than failing any of them.
 */
#define _GNU_SOURCE  /* memmem */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "dataverse_i.h"
#include "lakeview/time.h"
#include "lakeview/dataverse.h"
#include "lakeview/err.h"
#include "lakeview/http.h"
#include "lakeview/oauth.h"
#include "lakeview/table.h"

#define META_MAX ((size_t)64 << 20)
/* the 429 of "Number of concurrent requests exceeded the limit of 52" */
#define CONCURRENCY_CODE "0x80072326"

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

/* This client's table was told there are too many requests at once: it
 * gives its place up and waits until fewer than the lowered limit of
 * tables are in flight, then goes on where it was (nothing failed). A
 * waiting table goes before any table not started yet (sh->waiting).
 * @return 1 when it waited, 0 when its place was free, or -ECANCELED. */
static int park(struct lv_dv *dv)
{
	struct lv_dv_shared *sh = dv->sh;
	int rc = 0;

	dv->parked = 0;
	pthread_mutex_lock(&sh->mu);
	sh->busy--;
	sh->waiting++;
	while (sh->busy >= sh->limit) {
		struct timespec ts = { 0, 20 * 1000000L };

		if (dv->retry.cancel && *dv->retry.cancel) {
			rc = -ECANCELED;
			break;
		}
		rc = 1;
		pthread_mutex_unlock(&sh->mu);
		(void)nanosleep(&ts, NULL);
		pthread_mutex_lock(&sh->mu);
	}
	sh->waiting--;
	sh->busy++;  /* the caller gives it back when the table ends */
	pthread_mutex_unlock(&sh->mu);
	return rc;
}

static void throttle_note(struct lv_dv *dv, const struct lv_http_resp *r)
{
	int64_t until;

	if (r->status != 429)
		return;
	pthread_mutex_lock(&dv->sh->mu);
	if (r->body.p && memmem(r->body.p, r->body.len, CONCURRENCY_CODE,
				 strlen(CONCURRENCY_CODE))) {
		/* too many requests at once: fewer tables in flight from now
		 * on; the threads told together lower it once, not each */
		int lim = dv->sh->busy > 1 ? dv->sh->busy - 1 : 1;

		if (lim < dv->sh->limit) {
			dv->sh->limit = lim;
			dv->sh->lowered++;
		}
		dv->parked = dv->sh->busy > 0;
	}
	if (r->retry_after >= 0) {
		until = mono_ms() + (int64_t)r->retry_after * 1000;
		if (until > dv->sh->pause_ms)
			dv->sh->pause_ms = until;
	}
	pthread_mutex_unlock(&dv->sh->mu);
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

int lv_dv_get(struct lv_dv *dv, const char *url, int tracked, struct lv_http_resp *r)
{
	char auth[LV_OAUTH_TOKEN_MAX + 32], prefer[96];
	const char *hdrs[8];
	const char *token;
	int rc, renewed = 0;

	dv->code[0] = '\0';
	snprintf(prefer, sizeof(prefer), "Prefer: odata.track-changes,odata.maxpagesize=%u",
		 dv->page_size);
	dv->parked = 0;
	for (unsigned attempt = 0;; attempt++) {
		int n = 0, again;

		if (dv->sh) {
			/* waits first, so the token is fresh when the request goes;
			 * a table that waited for its place starts its tries over */
			rc = dv->parked ? park(dv) : 0;
			if (rc == 1) {
				attempt = 0;
				rc = 0;
			}
			if (!rc)
				rc = throttle_wait(dv);
			if (rc)
				return rc;
		}
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
	rc = lv_dv_get(dv, url, 0, &r);
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
	rc = lv_dv_get(dv, url, 0, &r);
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

/* --- counts ---------------------------------------------------------------------- */

int lv_dv_count(struct lv_dv *dv, const char *table, int64_t *count)
{
	struct lv_http_resp r;
	char url[URL_MAX];
	json_t *doc = NULL, *c, *keys, *vals;
	unsigned tries;
	int rc;

	*count = -1;
	if (!lv_name_ok(table))
		return lv_err_set(LV_EBADNAME, "'%s' is not a Dataverse logical name", table);
	/* EntityNames=["table"] through a parameter alias, percent-encoded */
	snprintf(url, sizeof(url), "%sRetrieveTotalRecordCount(EntityNames=@n)?@n=%%5B%%22%s%%22%%5D",
		 dv->api, table);
	lv_http_resp_init(&r, (size_t)1 << 20);
	/* one try: an estimate is not worth holding the sync back */
	tries = dv->retry.tries;
	dv->retry.tries = 1;
	rc = lv_dv_get(dv, url, 0, &r);
	dv->retry.tries = tries;
	if (rc)
		goto out;
	doc = json_loadb(r.body.p ? r.body.p : "", r.body.len, 0, NULL);
	c = json_object_get(doc, "EntityRecordCountCollection");
	keys = json_object_get(c, "Keys");
	vals = json_object_get(c, "Values");
	for (size_t i = 0; i < json_array_size(keys) && i < json_array_size(vals); i++) {
		json_t *v = json_array_get(vals, i);

		if (json_is_string(json_array_get(keys, i)) &&
		    strcmp(json_string_value(json_array_get(keys, i)), table) == 0 &&
		    json_is_integer(v) && json_integer_value(v) >= 0) {
			*count = json_integer_value(v);
			goto out;
		}
	}
	rc = lv_err_set(LV_EBADJSON, "RetrieveTotalRecordCount answer from %s has no count of %s",
			dv->origin, table);
out:
	json_decref(doc);
	lv_http_resp_free(&r);
	return rc;
}
