/*
 * adls.c - the Blob REST API over libcurl, signed per adls_sign.h.
 *
 * Why this shape: one request function builds the header list once and
 * hands the same list to the signer and to libcurl, so what is signed is
 * what is sent; it also owns retries, so every call (a block, a block
 * list, a copy, a delete) behaves the same under throttling. Blob calls
 * (not dfs) because they work on hierarchical-namespace accounts and on
 * Azurite alike (reference/adls-blob.md, recommendations).
 *
 * With OAuth, a 401 renews the token once and retries, as the Dataverse
 * client does: a token can be revoked before its expiry. A listing is not
 * trusted to end: a NextMarker seen before is a loop, and a name or
 * marker longer than its buffer is an error, never cut.
 */
#define _GNU_SOURCE  /* memmem */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "adls_i.h"
#include "lakeview/codec.h"
#include "lakeview/err.h"
#include "lakeview/oauth.h"

#define URL_MAX LV_ADLS_SIGN_URL_MAX
#define SMALL_BODY (4u << 20)
#define MARKER_HEADER "x-ms-meta-lakeview"
/* a blob name is at most 1,024 characters: 4,096 bytes of UTF-8 */
#define NAME_MAX_BYTES 4096
#define MARKER_MAX 4096

struct lv_adls {
	struct lv_http *http;
	char base[1024];          /* endpoint without trailing '/' */
	char account[LV_ADLS_SIGN_ACCOUNT_MAX + 1];
	int mode;                 /* 'k' key, 's' SAS, 'o' OAuth */
	struct lv_adls_sign_key key;
	char sas[LV_ADLS_SIGN_SAS_MAX + 1];
	struct lv_oauth *oauth;   /* mode 'o' */
	struct lv_http_retry retry;
	uint64_t sent;
	char *ca_file;            /* kept for lv_adls_clone */
};

int lv_adls_lake_url(const char *url, const char *account,
		     const char *container, char *out, size_t len)
{
	char host[300];
	int n;

	n = snprintf(host, sizeof(host), "https://%s.blob.core.windows.net", account);
	if (n > 0 && (size_t)n < sizeof(host) && strncasecmp(url, host, (size_t)n) == 0 &&
	    (url[n] == '\0' || (url[n] == '/' && url[n + 1] == '\0')))
		n = snprintf(out, len, "https://%s.dfs.core.windows.net/%s", account, container);
	else
		n = snprintf(out, len, "%.*s/%s", (int)(strlen(url) - (url[strlen(url) - 1] == '/')),
			     url, container);
	return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

int lv_adls_new(const struct lv_adls_conf *c, struct lv_adls **out)
{
	struct lv_adls *a;
	size_t n;
	int rc;

	*out = NULL;
	if (!c->url || (strncmp(c->url, "https://", 8) && strncmp(c->url, "http://", 7)))
		return lv_err_set(-EINVAL, "storage URL '%s': expected https://<account>.blob.core.windows.net",
				  c->url ? c->url : "");
	rc = lv_http_url_check("storage URL", c->url);
	if (!rc && c->token_url && !c->key && !c->sas)
		rc = lv_http_url_check("storage token URL", c->token_url);
	if (rc)
		return rc;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	n = strlen(c->url);
	while (n && c->url[n - 1] == '/')
		n--;
	if (n >= sizeof(a->base)) {
		rc = -ENAMETOOLONG;
		goto out;
	}
	memcpy(a->base, c->url, n);
	a->base[n] = '\0';
	snprintf(a->account, sizeof(a->account), "%s", c->account ? c->account : "");
	if (c->ca_file && !(a->ca_file = strdup(c->ca_file))) {
		rc = -ENOMEM;
		goto out;
	}
	rc = lv_http_client_init(c->ca_file, 600, c->retry_base_ms, c->retry_tries,
				 &a->http, &a->retry);
	if (rc)
		goto out;
	if (c->key) {
		a->mode = 'k';
		rc = lv_adls_sign_key_init(&a->key, a->account, c->key);
		if (rc)
			rc = lv_err_set(LV_EAUTH, "the storage account key is not valid base64, or the account name '%s' is bad",
					a->account);
	} else if (c->sas) {
		a->mode = 's';
		rc = lv_adls_sign_sas_normalize(c->sas, strlen(c->sas), a->sas, sizeof(a->sas));
		if (rc)
			rc = lv_err_set(LV_EAUTH, "the SAS token is malformed (expected sv=...&sig=...)");
	} else if (c->client_id && c->secret) {
		char tu[1024];

		a->mode = 'o';
		if (c->token_url)
			snprintf(tu, sizeof(tu), "%s", c->token_url);
		else
			snprintf(tu, sizeof(tu), "https://login.microsoftonline.com/%s/oauth2/v2.0/token",
				 c->tenant_id ? c->tenant_id : "common");
		rc = lv_oauth_new(tu, c->client_id, c->secret,
				  "https://storage.azure.com/.default", &a->oauth);
	} else {
		rc = lv_err_set(LV_EAUTH, "no storage credentials: give an account key, a SAS or a client secret");
	}
	if (rc)
		goto out;
	*out = a;
	return 0;
out:
	lv_adls_free(a);
	return rc;
}

void lv_adls_free(struct lv_adls *a)
{
	if (!a)
		return;
	lv_adls_sign_key_wipe(&a->key);
	memset(a->sas, 0, sizeof(a->sas));
	lv_oauth_free(a->oauth);
	lv_http_free(a->http);
	free(a->ca_file);
	free(a);
}

int lv_adls_clone(const struct lv_adls *a, struct lv_adls **out)
{
	struct lv_http_retry retry;
	struct lv_adls *b = calloc(1, sizeof(*b));
	int rc = -ENOMEM;

	*out = NULL;
	if (!b)
		return -ENOMEM;
	memcpy(b, a, sizeof(*b));
	b->http = NULL;
	b->ca_file = NULL;
	b->sent = 0;
	b->retry.seed = a->retry.seed ^ (unsigned)(uintptr_t)b;
	b->oauth = NULL;
	if (a->ca_file && !(b->ca_file = strdup(a->ca_file)))
		goto out;
	if (a->oauth) {
		rc = lv_oauth_dup(a->oauth, &b->oauth);
		if (rc)
			goto out;
	}
	rc = lv_http_client_init(a->ca_file, 600, a->retry.base_ms, a->retry.tries,
				 &b->http, &retry);  /* b keeps its own seed */
	if (rc)
		goto out;
	*out = b;
	return 0;
out:
	lv_adls_free(b);
	return rc;
}

void lv_adls_add_sent(struct lv_adls *a, uint64_t n)
{
	a->sent += n;
}

uint64_t lv_adls_bytes_sent(const struct lv_adls *a)
{
	return a->sent;
}

int lv_adls_from_store(struct lv_store *st, struct lv_adls **out)
{
	struct lv_adls_conf c = { 0 };
	const char *kf = lv_store_conf_get(st, "adls_key_file");
	const char *sf = lv_store_conf_get(st, "adls_sas_file");
	const char *cf = lv_store_conf_get(st, "adls_client_secret_file");
	char *secret = NULL;
	int rc;

	*out = NULL;
	c.url = lv_store_conf_get(st, "adls_url");
	c.account = lv_store_conf_get(st, "adls_account");
	c.tenant_id = lv_store_conf_get(st, "adls_tenant_id");
	c.client_id = lv_store_conf_get(st, "adls_client_id");
	c.token_url = lv_store_conf_get(st, "adls_token_url");
	c.ca_file = lv_store_conf_get(st, "adls_ca_file");
	c.retry_base_ms = lv_store_conf_uint(st, "retry_base_ms");
	c.retry_tries = lv_store_conf_uint(st, "retry_tries");
	if (!c.url || !c.account)
		return lv_err_set(LV_ECONF, "this store has no ADLS sink linked (lakectl link ... --adls-url URL --adls-account NAME)");
	if (kf || (!sf && !c.client_id && getenv("LAKEVIEW_ADLS_KEY"))) {
		secret = lv_secret_load(kf, "LAKEVIEW_ADLS_KEY");
		c.key = secret;
	} else if (sf || (!c.client_id && getenv("LAKEVIEW_ADLS_SAS"))) {
		secret = lv_secret_load(sf, "LAKEVIEW_ADLS_SAS");
		c.sas = secret;
	} else {
		secret = lv_secret_load(cf, "LAKEVIEW_ADLS_CLIENT_SECRET");
		c.secret = secret;
	}
	if (!secret)
		return LV_EAUTH;
	rc = lv_adls_new(&c, out);
	memset(secret, 0, strlen(secret));
	free(secret);
	return rc;
}

/* --- requests ------------------------------------------------------------------ */

static int url_for(struct lv_adls *a, const char *c, const char *path,
		   const char *query, char *out, size_t len)
{
	char enc[URL_MAX];
	int n, rc = 0;

	if (path) {
		rc = lv_url_encode_str(path, 1, enc, sizeof(enc));
		if (rc)
			return -ENAMETOOLONG;
	}
	n = snprintf(out, len, "%s/%s%s%s%s%s", a->base, c, path ? "/" : "",
		     path ? enc : "", query ? "?" : "", query ? query : "");
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	if (a->mode == 's') {
		char tmp[URL_MAX];

		rc = lv_adls_sign_sas_append(out, a->sas, tmp, sizeof(tmp));
		if (!rc && strlen(tmp) < len)
			memcpy(out, tmp, strlen(tmp) + 1);
		else if (!rc)
			rc = -ENAMETOOLONG;
	}
	return rc;
}

static int xml_value(const char *body, size_t len, const char *tag, char *out,
		     size_t outlen)
{
	char open[64], close[64];
	const char *p, *e;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	p = body ? memmem(body, len, open, strlen(open)) : NULL;
	if (!p)
		return -1;
	p += strlen(open);
	e = memmem(p, len - (size_t)(p - body), close, strlen(close));
	if (!e)
		return -1;
	if ((size_t)(e - p) >= outlen)
		return -2;  /* there, but longer than @out */
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return 0;
}

/*
 * One Blob call: sign (each try), send, retry what is worth retrying.
 * @param hdrs extra headers (x-ms-*, Content-MD5, Content-Type...).
 * @return 0 on 2xx; LV_EREMOTE/LV_EAUTH with the detail; -ENOENT on 404.
 */
static int request(struct lv_adls *a, const char *method, const char *url,
		   const struct lv_adls_sign_header *extra, size_t nextra,
		   const void *body, size_t len, struct lv_http_resp *r)
{
	struct lv_adls_sign_header h[LV_ADLS_SIGN_HEADERS_MAX];
	char date[LV_ADLS_SIGN_DATE_SIZE], auth[LV_OAUTH_TOKEN_MAX + 32];
	char *lines[LV_ADLS_SIGN_HEADERS_MAX + 1];
	char redacted[URL_MAX];
	size_t n;
	int rc, again, renewed = 0;

	if (nextra + 4 > LV_ADLS_SIGN_HEADERS_MAX)
		return -E2BIG;
	for (unsigned attempt = 0;; attempt++) {
		n = 0;
		if (lv_adls_sign_date(time(NULL), date, sizeof(date)))
			return -EIO;
		h[n++] = (struct lv_adls_sign_header){ "x-ms-date", date };
		h[n++] = (struct lv_adls_sign_header){ "x-ms-version", LV_ADLS_SIGN_API_VERSION };
		for (size_t i = 0; i < nextra; i++)
			h[n++] = extra[i];
		auth[0] = '\0';
		if (a->mode == 'k') {
			struct lv_adls_sign_request req = { method, url, h, n, len };
			char sig[LV_ADLS_SIGN_AUTH_SIZE];

			rc = lv_adls_sign_shared_key(&a->key, &req, sig, sizeof(sig));
			if (rc)
				return lv_err_set(rc, "cannot sign a request for %s: %s", method,
						  lv_strerror(rc));
			snprintf(auth, sizeof(auth), "%s", sig);
		} else if (a->mode == 'o') {
			const char *tok;

			rc = lv_oauth_token(a->oauth, a->http, &a->retry, renewed == 1, &tok);
			if (rc)
				return rc;
			if (renewed == 1)
				renewed = 2;
			snprintf(auth, sizeof(auth), "Bearer %s", tok);
		}
		if (auth[0])
			h[n++] = (struct lv_adls_sign_header){ "Authorization", auth };
		for (size_t i = 0; i < n; i++) {
			size_t l = strlen(h[i].name) + strlen(h[i].value) + 3;

			lines[i] = malloc(l);
			if (!lines[i]) {
				for (size_t j = 0; j < i; j++)
					free(lines[j]);
				return -ENOMEM;
			}
			snprintf(lines[i], l, "%s: %s", h[i].name, h[i].value);
		}
		lines[n] = NULL;
		rc = lv_http_request(a->http, method, url, (const char *const *)lines, body, len, r);
		for (size_t i = 0; i < n; i++) {
			memset(lines[i], 0, strlen(lines[i]));
			free(lines[i]);
		}
		memset(auth, 0, sizeof(auth));
		a->sent += len;
		if (lv_adls_sign_redact(url, redacted, sizeof(redacted)))
			snprintf(redacted, sizeof(redacted), "(url)");
		again = lv_http_retry_wait(&a->retry, attempt, rc, r,
					   a->mode == 'o' ? &renewed : NULL);
		if (again < 0)
			return again;
		if (again)
			continue;
		if (rc == LV_ETRANSPORT || rc == -EINVAL)
			return lv_err_set(rc, "%s %s: %s (after %u tries)", method, redacted, r->error,
					  attempt + 1);
		if (rc)
			return rc;
		if (r->status >= 200 && r->status < 300)
			return 0;
		if (r->status == 404)
			return -ENOENT;
		{
			char code[128] = "", msg[512] = "";

			xml_value(r->body.p, r->body.len, "Code", code, sizeof(code));
			xml_value(r->body.p, r->body.len, "Message", msg, sizeof(msg));
			msg[strcspn(msg, "\r\n")] = '\0';
			return lv_err_set(r->status == 403 || r->status == 401 ? LV_EAUTH :
					  r->status == 409 ? -EEXIST : LV_EREMOTE,
					  "storage answered HTTP %ld%s%s%s%s to %s %s%s", r->status,
					  code[0] ? " " : "", code, msg[0] ? ": " : "", msg, method,
					  redacted,
					  r->status == 403 ? " (check the account key or SAS, and its expiry)" : "");
		}
	}
}

static int simple(struct lv_adls *a, const char *method, const char *c,
		  const char *path, const char *query,
		  const struct lv_adls_sign_header *h, size_t nh, const void *body,
		  size_t len, struct lv_http_resp *r)
{
	char url[URL_MAX];
	int rc = url_for(a, c, path, query, url, sizeof(url));

	if (rc)
		return rc;
	return request(a, method, url, h, nh, body, len, r);
}

/* --- containers -------------------------------------------------------------------- */

int lv_adls_container_exists(struct lv_adls *a, const char *c)
{
	struct lv_http_resp r;
	int rc;

	lv_http_resp_init(&r, 1 << 20);
	rc = simple(a, "GET", c, NULL, "restype=container", NULL, 0, NULL, 0, &r);
	lv_http_resp_free(&r);
	if (rc == -ENOENT)
		return 0;
	return rc ? rc : 1;
}

static int count_one(void *arg, const char *name, const char *etag)
{
	(void)name;
	(void)etag;
	(*(unsigned *)arg)++;
	return 1;  /* one is enough */
}

int lv_adls_container_claim(struct lv_adls *a, const char *c, int adopt)
{
	struct lv_adls_sign_header h[] = { { MARKER_HEADER, c } };
	struct lv_http_resp r;
	unsigned blobs = 0;
	int rc;

	lv_http_resp_init(&r, 1 << 20);
	r.want = MARKER_HEADER;
	rc = simple(a, "GET", c, NULL, "restype=container", NULL, 0, NULL, 0, &r);
	if (rc == -ENOENT) {
		rc = simple(a, "PUT", c, NULL, "restype=container", h, 1, NULL, 0, &r);
		if (rc == -EEXIST)
			rc = 0;  /* created meanwhile */
		goto out;
	}
	if (rc)
		goto out;
	if (strcmp(r.got, c) == 0)
		goto out;  /* ours */
	rc = lv_adls_list(a, c, NULL, count_one, &blobs);
	if (rc == 1)
		rc = 0;
	if (rc)
		goto out;
	if (blobs && !adopt) {
		rc = lv_err_set(-EEXIST, "container %s exists and holds files lakeview did not write; pass --adopt to take it over (its files may be overwritten or deleted)", c);
		goto out;
	}
	rc = simple(a, "PUT", c, NULL, "restype=container&comp=metadata", h, 1, NULL, 0, &r);
out:
	lv_http_resp_free(&r);
	return rc;
}

int lv_adls_container_delete(struct lv_adls *a, const char *c)
{
	struct lv_http_resp r;
	int rc;

	lv_http_resp_init(&r, 1 << 20);
	rc = simple(a, "DELETE", c, NULL, "restype=container", NULL, 0, NULL, 0, &r);
	lv_http_resp_free(&r);
	return rc == -ENOENT ? 0 : rc;
}

/* --- blobs ----------------------------------------------------------------------- */

int lv_adls_put_blob(struct lv_adls *a, const char *c, const char *path,
		     const void *data, size_t len, const char *ctype, char *etag)
{
	char md5[LV_MD5_B64_SIZE];
	struct lv_http_resp r;
	int rc;

	rc = lv_md5_base64(data, len, md5, sizeof(md5));
	if (rc)
		return lv_err_set(rc, "Content-MD5 of %s: %s", path, lv_strerror(rc));
	{
		struct lv_adls_sign_header h[] = {
			{ "x-ms-blob-type", "BlockBlob" },
			{ "Content-Type", ctype },
			{ "Content-MD5", md5 },
		};

		lv_http_resp_init(&r, 1 << 20);
		rc = simple(a, "PUT", c, path, NULL, h, 3, data, len, &r);
		snprintf(etag, 64, "%.63s", r.etag);
		lv_http_resp_free(&r);
	}
	return rc;
}

int lv_adls_put_block(struct lv_adls *a, const char *c, const char *path,
		      const char *id, const void *data, size_t len)
{
	char md5[LV_MD5_B64_SIZE], eid[3 * LV_ADLS_SIGN_BLOCK_ID_SIZE];
	char query[64 + sizeof(eid)];
	struct lv_http_resp r;
	int rc;

	rc = lv_md5_base64(data, len, md5, sizeof(md5));
	if (!rc)
		rc = lv_url_encode_str(id, 0, eid, sizeof(eid));
	if (rc)
		return rc;
	snprintf(query, sizeof(query), "comp=block&blockid=%s", eid);
	{
		struct lv_adls_sign_header h[] = { { "Content-MD5", md5 } };

		lv_http_resp_init(&r, 1 << 20);
		rc = simple(a, "PUT", c, path, query, h, 1, data, len, &r);
		lv_http_resp_free(&r);
	}
	return rc;
}

int lv_adls_put_block_list(struct lv_adls *a, const char *c, const char *path,
			   const char (*ids)[LV_ADLS_SIGN_BLOCK_ID_SIZE], size_t n,
			   const char *md5_b64, const char *ctype, char *etag)
{
	char md5[LV_MD5_B64_SIZE];
	struct lv_http_resp r;
	struct lv_buf x;
	int rc;

	lv_buf_init(&x, (size_t)64 << 20);
	rc = lv_buf_adds(&x, "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>");
	for (size_t i = 0; !rc && i < n; i++)
		rc = lv_buf_addf(&x, "<Latest>%s</Latest>", ids[i]);
	if (!rc)
		rc = lv_buf_adds(&x, "</BlockList>");
	if (!rc)
		rc = lv_md5_base64(x.p, x.len, md5, sizeof(md5));
	if (!rc) {
		struct lv_adls_sign_header h[] = {
			{ "Content-Type", "application/xml" },
			{ "Content-MD5", md5 },
			{ "x-ms-blob-content-md5", md5_b64 },
			{ "x-ms-blob-content-type", ctype },
		};

		lv_http_resp_init(&r, 1 << 20);
		rc = simple(a, "PUT", c, path, "comp=blocklist", h, 4, x.p, x.len, &r);
		snprintf(etag, 64, "%.63s", r.etag);
		lv_http_resp_free(&r);
	}
	lv_buf_free(&x);
	return rc;
}

struct first_val {
	char name[NAME_MAX_BYTES + 1];
	int got;
};

static int first_value(void *arg, const char *v)
{
	struct first_val *f = arg;

	if (!f->got) {
		snprintf(f->name, sizeof(f->name), "%s", v);
		f->got = 1;
	}
	return 0;
}

/* Decode the five XML entities of @s..@t into @val; then, for a name the
 * service sent Encoded="true" (it holds characters XML cannot carry), its
 * %XX escapes. @return 0, or -1 when it does not fit. */
static int tag_text(const char *s, const char *t, int encoded, char *val, size_t size)
{
	static const char *const ents[][2] = {
		{ "&amp;", "&" }, { "&lt;", "<" }, { "&gt;", ">" },
		{ "&quot;", "\"" }, { "&apos;", "'" } };
	size_t j = 0, k;

	for (const char *q = s; q < t; q++) {
		char c = *q;

		if (j + 1 >= size)
			return -1;
		if (c == '&') {
			for (k = 0; k < 5; k++)
				if ((size_t)(t - q) >= strlen(ents[k][0]) &&
				    !strncmp(q, ents[k][0], strlen(ents[k][0])))
					break;
			if (k < 5) {
				c = ents[k][1][0];
				q += strlen(ents[k][0]) - 1;
			}
		}
		val[j++] = c;
	}
	val[j] = '\0';
	if (encoded) {
		size_t i = 0, o = 0;

		for (; i < j; i++, o++) {
			if (val[i] == '%' && i + 2 < j && lv_hex_value(val[i + 1]) >= 0 &&
			    lv_hex_value(val[i + 2]) >= 0) {
				val[o] = (char)(lv_hex_value(val[i + 1]) * 16 + lv_hex_value(val[i + 2]));
				i += 2;
			} else {
				val[o] = val[i];
			}
		}
		val[o] = '\0';
	}
	return 0;
}

/* Each <tag>...</tag> (or <tag Encoded="true">) in @body, decoded, to @fn;
 * a value longer than NAME_MAX_BYTES is an error, never cut. */
static int each_tag(const char *body, size_t len, const char *tag,
		    int (*fn)(void *arg, const char *v), void *arg)
{
	char open[32], close[32], val[NAME_MAX_BYTES + 1];
	const char *p = body, *e = body + len;
	size_t ol;
	int rc = 0;

	snprintf(open, sizeof(open), "<%s", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	ol = strlen(open);
	while (p && p < e && !rc) {
		const char *s = memmem(p, (size_t)(e - p), open, ol), *t, *gt;
		int encoded;

		if (!s)
			break;
		if (s + ol >= e || (s[ol] != '>' && s[ol] != ' ')) {
			p = s + ol;  /* <NameX>: another tag */
			continue;
		}
		gt = memchr(s + ol, '>', (size_t)(e - s - (ptrdiff_t)ol));
		if (!gt)
			break;
		encoded = memmem(s + ol, (size_t)(gt - s - (ptrdiff_t)ol), "Encoded=\"true\"", 14) != NULL;
		s = gt + 1;
		t = memmem(s, (size_t)(e - s), close, strlen(close));
		if (!t)
			break;
		if (tag_text(s, t, encoded, val, sizeof(val)))
			return lv_err_set(LV_ETOOBIG, "storage listed a %s longer than %d bytes; refusing to cut it",
					  tag, NAME_MAX_BYTES);
		rc = fn(arg, val);
		p = t + strlen(close);
	}
	return rc;
}

int lv_adls_block_ids(struct lv_adls *a, const char *c, const char *path,
		      int (*fn)(void *arg, const char *id), void *arg)
{
	struct lv_http_resp r;
	int rc;

	lv_http_resp_init(&r, (size_t)64 << 20);
	rc = simple(a, "GET", c, path, "comp=blocklist&blocklisttype=all", NULL, 0, NULL, 0, &r);
	if (rc == -ENOENT)
		rc = 0;
	else if (!rc)
		rc = each_tag(r.body.p, r.body.len, "Name", fn, arg);
	lv_http_resp_free(&r);
	return rc;
}

int lv_adls_copy(struct lv_adls *a, const char *c, const char *dst, const char *src,
		 char *etag)
{
	char srcurl[URL_MAX];
	struct lv_http_resp r;
	int rc;

	rc = url_for(a, c, src, NULL, srcurl, sizeof(srcurl));
	if (rc)
		return rc;
	{
		struct lv_adls_sign_header h[] = { { "x-ms-copy-source", srcurl } };

		lv_http_resp_init(&r, 1 << 20);
		r.want = "x-ms-copy-status";
		rc = simple(a, "PUT", c, dst, NULL, h, 1, NULL, 0, &r);
	}
	/* large copies on Azure may finish later: wait for them */
	for (int i = 0; !rc && strcmp(r.got, "pending") == 0 && i < 600; i++) {
		sleep(1);
		r.want = "x-ms-copy-status";
		rc = simple(a, "HEAD", c, dst, NULL, NULL, 0, NULL, 0, &r);
	}
	if (!rc && r.got[0] && strcmp(r.got, "success") != 0)
		rc = lv_err_set(LV_EREMOTE, "server-side copy to %s ended '%s'", dst, r.got);
	snprintf(etag, 64, "%.63s", r.etag);
	lv_http_resp_free(&r);
	return rc;
}

int lv_adls_delete(struct lv_adls *a, const char *c, const char *path)
{
	struct lv_http_resp r;
	int rc;

	lv_http_resp_init(&r, 1 << 20);
	rc = simple(a, "DELETE", c, path, NULL, NULL, 0, NULL, 0, &r);
	lv_http_resp_free(&r);
	return rc == -ENOENT ? 0 : rc;
}

int lv_adls_list(struct lv_adls *a, const char *c, const char *prefix,
		 int (*fn)(void *arg, const char *name, const char *etag), void *arg)
{
	struct lv_http_resp r;
	char marker[MARKER_MAX + 1] = "", query[3 * MARKER_MAX + 3 * 1024 + 64];
	char ep[3 * 1024], em[3 * MARKER_MAX + 1];
	struct lv_http_loop loop = { { 0 }, 0 };
	int rc;

	lv_http_resp_init(&r, (size_t)64 << 20);
	do {
		int n = snprintf(query, sizeof(query), "restype=container&comp=list");
		const char *p, *e;

		if (prefix && !lv_url_encode_str(prefix, 0, ep, sizeof(ep)))
			n += snprintf(query + n, sizeof(query) - (size_t)n, "&prefix=%s", ep);
		if (marker[0] && !lv_url_encode_str(marker, 0, em, sizeof(em)))
			snprintf(query + n, sizeof(query) - (size_t)n, "&marker=%s", em);
		rc = simple(a, "GET", c, NULL, query, NULL, 0, NULL, 0, &r);
		if (rc)
			break;
		/* each <Blob>...</Blob>: its Name and its Etag */
		p = r.body.p;
		e = r.body.p + r.body.len;
		while (!rc && p && p < e) {
			const char *s0 = memmem(p, (size_t)(e - p), "<Blob>", 6), *t;
			struct first_val f = { "", 0 };
			char etag[128] = "";

			if (!s0)
				break;
			t = memmem(s0, (size_t)(e - s0), "</Blob>", 7);
			if (!t)
				break;
			rc = each_tag(s0, (size_t)(t - s0), "Name", first_value, &f);
			if (!rc) {
				xml_value(s0, (size_t)(t - s0), "Etag", etag, sizeof(etag));
				if (etag[0] == '"') {  /* some servers quote it */
					size_t el = strlen(etag);

					memmove(etag, etag + 1, el);
					if (el > 1 && etag[el - 2] == '"')
						etag[el - 2] = '\0';
				}
				if (f.got)
					rc = fn(arg, f.name, etag);
			}
			p = t + 7;
		}
		if (rc)
			break;
		rc = xml_value(r.body.p, r.body.len, "NextMarker", marker, sizeof(marker));
		if (rc == -2) {
			rc = lv_err_set(LV_ETOOBIG, "storage sent a NextMarker longer than %d bytes while listing %s",
					MARKER_MAX, c);
			break;
		}
		if (rc)
			marker[0] = '\0';
		rc = 0;
		if (marker[0] && lv_http_loop_seen(&loop, marker, strlen(marker))) {
			rc = lv_err_set(LV_EREMOTE, "storage sent a NextMarker it had sent before while listing %s (a listing loop)",
					c);
			break;
		}
	} while (marker[0]);
	lv_http_resp_free(&r);
	return rc;
}
