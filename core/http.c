/*
 * http.c - one libcurl easy handle per client, reused for every request so
 * that connections (and TLS sessions) are kept alive across pages.
 *
 * Bodies are collected into a bounded struct lv_buf: the write callback
 * refuses bytes past the ceiling and the request fails with LV_ETOOBIG.
 * Redirects are not followed: neither Dataverse nor Blob storage sends
 * them for the calls we make, and following one could carry a bearer
 * token to another host.
 *
 * The setup both remote clients share (timeouts, CA, the retry policy and
 * which statuses are worth a retry, the plain-http rule, loop detection
 * and cancellation) is here too, so the Dataverse source, the token
 * requests and the Blob sink cannot drift apart in how they treat a
 * server.
 *
 * Cancellation is a flag the caller's signal handler sets: libcurl's
 * progress callback polls it during a transfer, and a backoff sleeps in
 * slices of 100 ms so that it wakes within one, whatever the signal
 * disposition (SA_RESTART or not) did to nanosleep.
 */
#define _GNU_SOURCE  /* memrchr */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "lakeview/err.h"
#include "lakeview/http.h"

struct lv_http {
	CURL *curl;
	char *ca_file;
	long timeout, connect_timeout;
	const volatile sig_atomic_t *cancel;
};

#define SLICE_MS 100

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

int lv_http_new(const struct lv_http_opts *opts, struct lv_http **out)
{
	struct lv_http *h;

	pthread_once(&init_once, global_init);
	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->curl = curl_easy_init();
	if (!h->curl) {
		free(h);
		return -ENOMEM;
	}
	if (opts && opts->ca_file) {
		h->ca_file = strdup(opts->ca_file);
		if (!h->ca_file) {
			lv_http_free(h);
			return -ENOMEM;
		}
	}
	h->timeout = opts && opts->timeout ? opts->timeout : 300;
	h->connect_timeout = opts && opts->connect_timeout ? opts->connect_timeout : 30;
	*out = h;
	return 0;
}

void lv_http_free(struct lv_http *h)
{
	if (!h)
		return;
	if (h->curl)
		curl_easy_cleanup(h->curl);
	free(h->ca_file);
	free(h);
}

void lv_http_set_cancel(struct lv_http *h, const volatile sig_atomic_t *flag)
{
	h->cancel = flag;
}

static int canceled(const volatile sig_atomic_t *flag)
{
	return flag && *flag;
}

/* Is the host of @p hp (the authority, @p n bytes) a loopback address? */
static int loopback_host(const char *hp, size_t n)
{
	char host[256];
	const char *at = memrchr(hp, '@', n), *end;
	struct in6_addr a6;
	struct in_addr a4;
	size_t hl;

	if (at) {  /* user:pass@host: the host is what counts */
		n -= (size_t)(at + 1 - hp);
		hp = at + 1;
	}
	if (n && hp[0] == '[') {
		end = memchr(hp, ']', n);
		if (!end || (size_t)(end - hp - 1) >= sizeof(host))
			return 0;
		hl = (size_t)(end - hp - 1);
		memcpy(host, hp + 1, hl);
		host[hl] = '\0';
		return inet_pton(AF_INET6, host, &a6) == 1 &&
		       memcmp(&a6, &in6addr_loopback, sizeof(a6)) == 0;
	}
	end = memchr(hp, ':', n);
	hl = end ? (size_t)(end - hp) : n;
	if (hl >= sizeof(host))
		return 0;
	memcpy(host, hp, hl);
	host[hl] = '\0';
	if (hl && host[hl - 1] == '.')
		host[--hl] = '\0';
	if (strcasecmp(host, "localhost") == 0)
		return 1;
	return inet_pton(AF_INET, host, &a4) == 1 &&
	       (ntohl(a4.s_addr) >> 24) == 127;
}

int lv_http_url_check(const char *what, const char *url)
{
	const char *hp;

	if (strncasecmp(url, "https://", 8) == 0)
		return 0;
	if (strncasecmp(url, "http://", 7) != 0)
		return lv_err_set(-EINVAL, "%s '%.200s': expected an https:// URL", what, url);
	hp = url + 7;
	if (loopback_host(hp, strcspn(hp, "/?#")))
		return 0;
	return lv_err_set(-EINVAL, "%s '%.200s': plain http is only allowed to a loopback address (127.0.0.1, ::1, localhost); use https://",
			  what, url);
}

void lv_http_resp_init(struct lv_http_resp *r, size_t max)
{
	memset(r, 0, sizeof(*r));
	lv_buf_init(&r->body, max);
	r->retry_after = -1;
}

void lv_http_resp_free(struct lv_http_resp *r)
{
	lv_buf_free(&r->body);
}

struct sink {
	struct lv_http_resp *r;
	int too_big;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;

	if (lv_buf_add(&s->r->body, p, size * n)) {
		s->too_big = 1;
		return 0;
	}
	return size * n;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
		       curl_off_t un)
{
	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return canceled(arg);  /* non-zero aborts the transfer */
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t len = size * n;

	if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		char *end;
		long v = strtol(p + 12, &end, 10);

		if (end != p + 12 && v >= 0)
			s->r->retry_after = v > 3600 ? 3600 : v;
	} else if (s->r->want && len > strlen(s->r->want) + 1 &&
		   strncasecmp(p, s->r->want, strlen(s->r->want)) == 0 &&
		   p[strlen(s->r->want)] == ':') {
		size_t i = strlen(s->r->want) + 1, j = 0;

		while (i < len && p[i] == ' ')
			i++;
		while (i < len && p[i] != '\r' && p[i] != '\n' && j + 1 < sizeof(s->r->got))
			s->r->got[j++] = p[i++];
		s->r->got[j] = '\0';
	} else if (len > 5 && strncasecmp(p, "ETag:", 5) == 0) {
		size_t i = 5, j = 0;

		while (i < len && p[i] == ' ')
			i++;
		/* kept without quotes, as blob listings show it */
		while (i < len && p[i] != '\r' && p[i] != '\n' &&
		       j + 1 < sizeof(s->r->etag)) {
			if (p[i] != '"')
				s->r->etag[j++] = p[i];
			i++;
		}
		s->r->etag[j] = '\0';
	}
	return len;
}

int lv_http_request(struct lv_http *h, const char *method, const char *url,
		    const char *const *headers, const void *body, size_t len,
		    struct lv_http_resp *r)
{
	struct curl_slist *hl = NULL, *t;
	struct sink s = { r, 0 };
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode res;
	int rc = 0;

	lv_buf_reset(&r->body);
	r->status = 0;
	r->retry_after = -1;
	r->error[0] = '\0';
	r->etag[0] = '\0';
	r->got[0] = '\0';
	r->sent = 0;
	if (canceled(h->cancel))
		return -ECANCELED;
	for (size_t i = 0; headers && headers[i]; i++) {
		t = curl_slist_append(hl, headers[i]);
		if (!t) {
			rc = -ENOMEM;
			goto out;
		}
		hl = t;
	}
	/* libcurl would add a form Content-Type to bodies: unsigned, refused */
	{
		int has_ct = 0;

		for (size_t i = 0; headers && headers[i]; i++)
			if (strncasecmp(headers[i], "Content-Type:", 13) == 0)
				has_ct = 1;
		if (!has_ct) {
			t = curl_slist_append(hl, "Content-Type:");
			if (!t) {
				rc = -ENOMEM;
				goto out;
			}
			hl = t;
		}
	}
	/* no "Expect: 100-continue" round trip for uploads */
	t = curl_slist_append(hl, "Expect:");
	if (!t) {
		rc = -ENOMEM;
		goto out;
	}
	hl = t;
	curl_easy_reset(h->curl);
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, &s);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT, h->timeout);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT, h->connect_timeout);
	curl_easy_setopt(h->curl, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "lakeview/0.1");
	if (h->cancel) {
		curl_easy_setopt(h->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(h->curl, CURLOPT_XFERINFODATA, (void *)h->cancel);
		curl_easy_setopt(h->curl, CURLOPT_NOPROGRESS, 0L);
	}
	if (h->ca_file)
		curl_easy_setopt(h->curl, CURLOPT_CAINFO, h->ca_file);
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(h->curl, CURLOPT_NOBODY, 1L);
	} else {
		curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	res = curl_easy_perform(h->curl);
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &r->status);
	if (s.too_big) {
		rc = LV_ETOOBIG;
		snprintf(r->error, sizeof(r->error), "response body larger than %zu bytes",
			 r->body.max);
		goto out;
	}
	if (res != CURLE_OK) {
		snprintf(r->error, sizeof(r->error), "%s", errbuf[0] ? errbuf :
			 curl_easy_strerror(res));
		r->status = 0;
		/* a malformed URL fails the same way on every try */
		rc = res == CURLE_ABORTED_BY_CALLBACK && canceled(h->cancel) ? -ECANCELED :
		     res == CURLE_URL_MALFORMAT || res == CURLE_UNSUPPORTED_PROTOCOL ? -EINVAL :
		     LV_ETRANSPORT;
		goto out;
	}
	r->sent = len;
out:
	curl_slist_free_all(hl);
	return rc;
}

int lv_http_client_init(const char *ca_file, long timeout, unsigned base_ms,
			unsigned tries, struct lv_http **h,
			struct lv_http_retry *retry)
{
	struct lv_http_opts ho = { ca_file, timeout, 30 };

	retry->base_ms = base_ms ? base_ms : 1000;
	retry->tries = tries ? tries : 8;
	retry->seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	retry->cancel = NULL;
	return lv_http_new(&ho, h);
}

int lv_http_retryable(long status)
{
	return status == 408 || status == 429 || status == 500 || status == 502 ||
	       status == 503 || status == 504;
}

int lv_http_backoff(struct lv_http_retry *r, unsigned attempt, long retry_after)
{
	unsigned long ms, cap = 60000, exp = r->base_ms;

	if (retry_after >= 0) {
		ms = (unsigned long)retry_after * 1000;
	} else {
		for (unsigned i = 0; i < attempt && exp < cap; i++)
			exp *= 2;
		if (exp > cap)
			exp = cap;
		ms = (unsigned long)rand_r(&r->seed) % (exp + 1);
	}
	while (ms > 0) {
		unsigned long step = ms < SLICE_MS ? ms : SLICE_MS;
		struct timespec ts = { 0, (long)step * 1000000 };

		if (canceled(r->cancel))
			return -ECANCELED;
		/* an interrupted slice is simply cut short: the flag decides */
		(void)nanosleep(&ts, NULL);
		ms -= step;
	}
	return canceled(r->cancel) ? -ECANCELED : 0;
}

int lv_http_retry_wait(struct lv_http_retry *r, unsigned attempt, int rc,
		       const struct lv_http_resp *resp, int *renew)
{
	int wait;

	if (renew && *renew == 0 && rc == 0 && resp->status == 401) {
		*renew = 1;  /* a token revoked before its expiry: renew once */
		return 1;
	}
	if (attempt + 1 >= r->tries)
		return 0;
	if (rc == LV_ETRANSPORT)
		wait = lv_http_backoff(r, attempt, -1);
	else if (rc == 0 && lv_http_retryable(resp->status))
		wait = lv_http_backoff(r, attempt, resp->retry_after);
	else
		return 0;
	return wait ? wait : 1;
}

int lv_http_loop_seen(struct lv_http_loop *l, const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;  /* FNV-1a */
	unsigned n = l->n < LV_HTTP_LOOP_RING ? l->n : LV_HTTP_LOOP_RING;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	for (unsigned i = 0; i < n; i++)
		if (l->seen[i] == h)
			return 1;
	l->seen[l->n % LV_HTTP_LOOP_RING] = h;
	l->n++;
	return 0;
}
