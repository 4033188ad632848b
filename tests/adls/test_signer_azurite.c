/*
 * test_signer_azurite.c - the request signer (core/adls_sign.c) against a
 * live Azurite, through libcurl: proof that what the unit tests pin byte
 * for byte is also what the server accepts.
 *
 * Suite `adls`. Needs a running Azurite (tests/adls/azurite.sh):
 *   tests/adls/azurite.sh install && tests/adls/azurite.sh start "$D"
 *   ./test_signer_azurite "$(cat "$D/azurite.url")"
 *   tests/adls/azurite.sh stop "$D"
 * The endpoint comes from argv[1], else $LV_AZURITE_URL; with neither the
 * test is skipped (exit 77, meson's skip code).
 *
 * Built by meson (links liblakeview and libcurl).
 *
 * It creates a uniquely named container, exercises Shared Key on every
 * request shape the pusher uses (Put Blob with Content-MD5, empty Put Blob,
 * a percent-encoded blob name, Put Block with content-derived ids, Put Block
 * List, Get, List with prefix/delimiter, conditional Put, Delete), a wrong
 * key (403), and a fixed account SAS (ACCOUNT_SAS below; Put and Get, plus
 * a tampered sig: 403); then deletes the container.
 * Prints "N passed, N failed"; exit 1 on any failure.
 */
#define _GNU_SOURCE /* memmem */

/*
 * An account SAS for devstoreaccount1 (sv 2023-11-03, ss=b, srt=sco,
 * sp=rwdlac, se=2099-01-01T00:00:00Z, spr=https,http), signed by hand
 * following adls-blob.md A1 "SAS" (the library does not make SAS tokens):
 *   STS='devstoreaccount1\nrwdlac\nb\nsco\n\n2099-01-01T00:00:00Z\n\n'
 *   STS="$STS"'https,http\n2023-11-03\n\n'
 *   printf '%b' "$STS" | openssl dgst -sha256 -mac HMAC \
 *     -macopt hexkey:$(printf %s "$KEY" | base64 -d | xxd -p -c 256) \
 *     -binary | base64
 * gives nsrJAUgiS3hXizSAbHEsbG1XlRWKTs393EGiAjeY4+s= (percent-encoded below).
 */
#define ACCOUNT_SAS                                                          \
	"sv=2023-11-03&ss=b&srt=sco&sp=rwdlac&se=2099-01-01T00%3A00%3A00Z"   \
	"&spr=https%2Chttp&sig=nsrJAUgiS3hXizSAbHEsbG1XlRWKTs393EGiAjeY4%2Bs%3D"
#include "lakeview/adls_sign.h"
#include "lakeview/codec.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define DEV_ACCOUNT "devstoreaccount1"
#define DEV_KEY                                                              \
	"Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZ" \
	"FPTOtr/KBHBeksoGMGw=="
/* Largest response body kept. */
#define BODY_MAX (1u << 20)
/* Most headers per request in this test (signed ones + Authorization + curl overrides). */
#define REQ_HEADERS_MAX 16
/* Longest "Name: value" line. */
#define HEADER_LINE_MAX 512

static int passed;
static int failed;

#define CHECK(expr)                                                          \
	do {                                                                 \
		if (expr) {                                                  \
			passed++;                                            \
		} else {                                                     \
			failed++;                                            \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
				__LINE__, #expr);                            \
		}                                                            \
	} while (0)

struct body {
	char *data;
	size_t len;
};

struct response {
	long status;
	struct body body;
	char content_md5[64];
};

static struct lv_adls_sign_key key;
static CURL *curl;
static char endpoint[LV_ADLS_SIGN_URL_MAX];

/* snprintf that reports truncation: 0, or -1 (and buf = ""). */
static int fmt(char *buf, size_t size, const char *f, ...)
	__attribute__((format(printf, 3, 4)));
static int fmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;
	int k;

	va_start(ap, f);
	k = vsnprintf(buf, size, f, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= size) {
		if (size > 0)
			buf[0] = '\0';
		return -1;
	}
	return 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct body *b = ud;
	size_t len = size * n;

	if (len > BODY_MAX - b->len)
		return 0; /* abort: over the ceiling */
	memcpy(b->data + b->len, p, len);
	b->len += len;
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct response *r = ud;
	size_t len = size * n;
	const char *name = "content-md5:";
	size_t nl = strlen(name);

	if (len > nl && strncasecmp(p, name, nl) == 0) {
		size_t i = nl;
		size_t o = 0;

		while (i < len && p[i] == ' ')
			i++;
		while (i < len && p[i] != '\r' && p[i] != '\n' &&
		       o + 1 < sizeof(r->content_md5))
			r->content_md5[o++] = p[i++];
		r->content_md5[o] = '\0';
	}
	return len;
}

/*
 * Send one request. hdrs are signed and sent (the SAME array, so they
 * cannot drift apart); with sas != 0 no Authorization header is added.
 * A wrong_key != NULL signs with that key instead.
 */
static int send_req(const char *method, const char *url,
		    const struct lv_adls_sign_header *extra, size_t n_extra,
		    const void *data, size_t len, int sas,
		    const struct lv_adls_sign_key *wrong_key, struct response *r)
{
	struct lv_adls_sign_header h[REQ_HEADERS_MAX];
	char lines[REQ_HEADERS_MAX + 3][HEADER_LINE_MAX];
	char date[LV_ADLS_SIGN_DATE_SIZE];
	char auth[LV_ADLS_SIGN_AUTH_SIZE];
	struct curl_slist *list = NULL;
	struct curl_slist *tmp;
	struct lv_adls_sign_request req;
	size_t n = 0;
	size_t nl;
	size_t i;
	int rc;
	int have_ctype = 0;
	CURLcode cc;

	memset(r, 0, sizeof(*r));
	r->body.data = malloc(BODY_MAX);
	if (r->body.data == NULL)
		return -ENOMEM;
	if (n_extra + 2 > REQ_HEADERS_MAX)
		return -E2BIG;
	rc = lv_adls_sign_date(time(NULL), date, sizeof(date));
	if (rc != 0)
		return rc;
	h[n++] = (struct lv_adls_sign_header){ "x-ms-date", date };
	h[n++] = (struct lv_adls_sign_header){ "x-ms-version", LV_ADLS_SIGN_API_VERSION };
	for (i = 0; i < n_extra; i++) {
		h[n++] = extra[i];
		if (strcasecmp(extra[i].name, "Content-Type") == 0)
			have_ctype = 1;
	}
	req = (struct lv_adls_sign_request){
		.method = method, .url = url, .headers = h, .n_headers = n,
		.content_length = len,
	};
	for (i = 0; i < n; i++) {
		int k = snprintf(lines[i], HEADER_LINE_MAX, "%s: %s", h[i].name, h[i].value);

		if (k < 0 || k >= HEADER_LINE_MAX) {
			rc = -ENAMETOOLONG;
			goto out;
		}
	}
	nl = n;
	/* curl would add "Expect: 100-continue" and, with POSTFIELDS, a form
	 * Content-Type that was not signed: suppress both */
	memcpy(lines[nl++], "Expect:", sizeof("Expect:"));
	if (!have_ctype)
		memcpy(lines[nl++], "Content-Type:", sizeof("Content-Type:"));
	if (!sas) {
		int k;

		rc = lv_adls_sign_shared_key(wrong_key != NULL ? wrong_key : &key,
					     &req, auth, sizeof(auth));
		if (rc != 0)
			goto out;
		k = snprintf(lines[nl], HEADER_LINE_MAX, "Authorization: %s", auth);
		if (k < 0 || k >= HEADER_LINE_MAX) {
			rc = -ENAMETOOLONG;
			goto out;
		}
		nl++;
	}
	for (i = 0; i < nl; i++) {
		tmp = curl_slist_append(list, lines[i]);
		if (tmp == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		list = tmp;
	}

	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "HEAD") == 0) {
		curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
	} else {
		curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
		if (strcmp(method, "PUT") == 0) {
			/* always a Content-Length: Azurite rejects chunked */
			curl_easy_setopt(curl, CURLOPT_POSTFIELDS, data != NULL ? data : "");
			curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		}
	}
	cc = curl_easy_perform(curl);
	if (cc != CURLE_OK) {
		char red[LV_ADLS_SIGN_URL_MAX];

		if (lv_adls_sign_redact(url, red, sizeof(red)) != 0)
			red[0] = '\0';
		fprintf(stderr, "curl %s %s: %s\n", method, red, curl_easy_strerror(cc));
		rc = -EIO;
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
out:
	curl_slist_free_all(list);
	return rc;
}

static long call(const char *method, const char *path,
		 const struct lv_adls_sign_header *extra, size_t n_extra,
		 const void *data, size_t len, struct response *r)
{
	char url[LV_ADLS_SIGN_URL_MAX];

	memset(r, 0, sizeof(*r));
	if (fmt(url, sizeof(url), "%s%s", endpoint, path) != 0)
		return -1;
	if (send_req(method, url, extra, n_extra, data, len, 0, NULL, r) != 0)
		return -1;
	return r->status;
}

/*
 * Replay one golden vector of adls-blob.md A1 verbatim (fixed date,
 * x-ms-version 2021-08-06, the reference's Authorization value), without
 * the signer: proves the reference vectors hold for this Azurite, while
 * the unit test proves the signer reproduces them byte for byte.
 */
static long golden(const char *method, const char *path, const char *ctype,
		   const char *body, const char *sig, struct response *r)
{
	char url[LV_ADLS_SIGN_URL_MAX];
	char auth[HEADER_LINE_MAX];
	char ct[HEADER_LINE_MAX];
	const char *fixed[] = {
		"x-ms-date: Tue, 24 Nov 2026 18:50:00 GMT",
		"x-ms-version: 2021-08-06",
		"Expect:",
	};
	struct curl_slist *list = NULL;
	struct curl_slist *tmp;
	size_t i;
	long status = -1;

	memset(r, 0, sizeof(*r));
	r->body.data = malloc(BODY_MAX);
	if (r->body.data == NULL ||
	    fmt(url, sizeof(url), "%s%s", endpoint, path) != 0 ||
	    fmt(auth, sizeof(auth), "Authorization: SharedKey %s:%s", DEV_ACCOUNT, sig) != 0 ||
	    fmt(ct, sizeof(ct), "Content-Type:%s%s", ctype != NULL ? " " : "",
		ctype != NULL ? ctype : "") != 0)
		return -1;
	for (i = 0; i < 3; i++) {
		tmp = curl_slist_append(list, fixed[i]);
		if (tmp == NULL)
			goto out;
		list = tmp;
	}
	tmp = curl_slist_append(list, ct);
	if (tmp == NULL)
		goto out;
	list = tmp;
	tmp = curl_slist_append(list, auth);
	if (tmp == NULL)
		goto out;
	list = tmp;
	if (body != NULL) {
		tmp = curl_slist_append(list, "x-ms-blob-type: BlockBlob");
		if (tmp == NULL)
			goto out;
		list = tmp;
	}
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	}
	if (curl_easy_perform(curl) == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
out:
	curl_slist_free_all(list);
	return status;
}

static void done(struct response *r)
{
	free(r->body.data);
	r->body.data = NULL;
}

static int body_is(const struct response *r, const void *want, size_t len)
{
	return r->body.len == len && (len == 0 || memcmp(r->body.data, want, len) == 0);
}

int main(int argc, char **argv)
{
	const char *ep = argc > 1 ? argv[1] : getenv("LV_AZURITE_URL");
	static const char csv[] = "1,\"a\",True\n2,\"b\",False\n"; /* 24 bytes */
	static char block_a[300000];
	static const char block_b[] = "tail of file\n";
	char c[64];
	char path[1024];
	char md5[LV_MD5_B64_SIZE];
	char id_a[LV_ADLS_SIGN_BLOCK_ID_SIZE];
	char id_b[LV_ADLS_SIGN_BLOCK_ID_SIZE];
	char id_enc[3 * LV_ADLS_SIGN_BLOCK_ID_SIZE];
	char xml[512];
	char sas[LV_ADLS_SIGN_SAS_MAX];
	char url[LV_ADLS_SIGN_URL_MAX];
	char *joined = NULL;
	struct lv_adls_sign_key bad;
	struct response r;
	size_t i;
	int k;

	if (ep == NULL || ep[0] == '\0') {
		printf("SKIP: no Azurite endpoint (argv[1] or LV_AZURITE_URL)\n");
		return 77;
	}
	k = snprintf(endpoint, sizeof(endpoint), "%s", ep);
	if (k < 0 || (size_t)k >= sizeof(endpoint))
		return 1;
	while (k > 0 && (endpoint[k - 1] == '/' || endpoint[k - 1] == '\n'))
		endpoint[--k] = '\0';
	if (lv_adls_sign_key_init(&key, DEV_ACCOUNT, DEV_KEY) != 0 ||
	    curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	curl = curl_easy_init();
	if (curl == NULL)
		return 1;
	CHECK(fmt(c, sizeof(c), "/lvsign%ld%ld", (long)getpid(), (long)time(NULL) % 100000) == 0);

	/* Create Container */
	CHECK(fmt(path, sizeof(path), "%s?restype=container", c) == 0);
	CHECK(call("PUT", path, NULL, 0, NULL, 0, &r) == 201);
	done(&r);

	/* The two golden vectors of adls-blob.md A1, replayed verbatim: a fresh
	 * in-memory Azurite has no container "snap", so create it (409 if a
	 * previous run on this instance left it) */
	CHECK(call("PUT", "/snap?restype=container", NULL, 0, NULL, 0, &r) == 201 ||
	      r.status == 409);
	done(&r);
	CHECK(golden("PUT", "/snap/2026/a.csv", "text/csv", "abcdefghijklmnopqrstuvwx",
		     "eBGmh12NKsCVbmKTTKw3HVXh0XSYWInk6reo82VC+5w=", &r) == 201);
	done(&r);
	CHECK(golden("GET", "/snap?restype=container&comp=list", NULL, NULL,
		     "FsKdzM0C4e97e6Fl1ZCmUDoLtMbBlu+q4YzPmVi/vac=", &r) == 200);
	CHECK(r.body.len > 0 && memmem(r.body.data, r.body.len, "2026/a.csv", 10) != NULL);
	done(&r);
	/* one byte more and the same signature no longer holds */
	CHECK(golden("PUT", "/snap/2026/a.csv", "text/csv", "abcdefghijklmnopqrstuvwxy",
		     "eBGmh12NKsCVbmKTTKw3HVXh0XSYWInk6reo82VC+5w=", &r) == 403);
	done(&r);
	CHECK(call("DELETE", "/snap?restype=container", NULL, 0, NULL, 0, &r) == 202);
	done(&r);

	/* Put Blob with Content-MD5 and Content-Type; Get it back */
	CHECK(lv_md5_base64(csv, sizeof(csv) - 1, md5, sizeof(md5)) == 0);
	{
		const struct lv_adls_sign_header h[] = {
			{ "x-ms-blob-type", "BlockBlob" },
			{ "Content-Type", "text/csv" },
			{ "Content-MD5", md5 },
		};

		CHECK(fmt(path, sizeof(path), "%s/2026/a.csv", c) == 0);
		CHECK(call("PUT", path, h, 3, csv, sizeof(csv) - 1, &r) == 201);
		done(&r);
		CHECK(call("GET", path, NULL, 0, NULL, 0, &r) == 200);
		CHECK(body_is(&r, csv, sizeof(csv) - 1));
		CHECK(strcmp(r.content_md5, md5) == 0);
		done(&r);
		/* conditional create-only Put on an existing blob: 409 */
		{
			const struct lv_adls_sign_header h2[] = {
				{ "x-ms-blob-type", "BlockBlob" },
				{ "If-None-Match", "*" },
			};

			CHECK(call("PUT", path, h2, 2, csv, sizeof(csv) - 1, &r) == 409);
			done(&r);
		}
	}

	/* Empty Put Blob: Content-Length signed as "" */
	{
		const struct lv_adls_sign_header h[] = { { "x-ms-blob-type", "BlockBlob" } };

		CHECK(fmt(path, sizeof(path), "%s/empty.csv", c) == 0);
		CHECK(call("PUT", path, h, 1, NULL, 0, &r) == 201);
		done(&r);
		CHECK(call("GET", path, NULL, 0, NULL, 0, &r) == 200);
		CHECK(r.body.len == 0);
		done(&r);
	}

	/* A blob name that needs percent-encoding: path signed as sent */
	{
		const struct lv_adls_sign_header h[] = { { "x-ms-blob-type", "BlockBlob" } };
		char enc[256];

		CHECK(lv_url_encode_str("dir/big file+x.csv", 1, enc, sizeof(enc)) == 0);
		CHECK(fmt(path, sizeof(path), "%s/%s", c, enc) == 0);
		CHECK(call("PUT", path, h, 1, csv, sizeof(csv) - 1, &r) == 201);
		done(&r);
		CHECK(call("HEAD", path, NULL, 0, NULL, 0, &r) == 200);
		done(&r);
	}

	/* Put Block x2 (content-derived ids, transactional MD5), Put Block List */
	for (i = 0; i < sizeof(block_a); i++)
		block_a[i] = (char)('a' + i % 26);
	CHECK(lv_adls_sign_block_id(block_a, sizeof(block_a), id_a, sizeof(id_a)) == 0);
	CHECK(lv_adls_sign_block_id(block_b, sizeof(block_b) - 1, id_b, sizeof(id_b)) == 0);
	{
		const struct { const char *data; size_t len; const char *id; } blk[] = {
			{ block_a, sizeof(block_a), id_a },
			{ block_b, sizeof(block_b) - 1, id_b },
		};

		for (i = 0; i < 2; i++) {
			const struct lv_adls_sign_header h[] = { { "Content-MD5", md5 } };

			CHECK(lv_md5_base64(blk[i].data, blk[i].len, md5, sizeof(md5)) == 0);
			CHECK(lv_url_encode_str(blk[i].id, 0, id_enc, sizeof(id_enc)) == 0);
			CHECK(fmt(path, sizeof(path), "%s/model.json?comp=block&blockid=%s", c, id_enc) == 0);
			CHECK(call("PUT", path, h, 1, blk[i].data, blk[i].len, &r) == 201);
			done(&r);
		}
	}
	{
		const struct lv_adls_sign_header h[] = {
			{ "x-ms-blob-content-type", "application/json" },
			{ "Content-Type", "application/xml" },
		};

		/* block A listed twice: content-derived ids repeat for equal chunks */
		k = snprintf(xml, sizeof(xml),
			     "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>"
			     "<Latest>%s</Latest><Latest>%s</Latest><Latest>%s</Latest>"
			     "</BlockList>", id_a, id_b, id_a);
		CHECK(k > 0 && (size_t)k < sizeof(xml));
		CHECK(fmt(path, sizeof(path), "%s/model.json?comp=blocklist", c) == 0);
		CHECK(call("PUT", path, h, 2, xml, (size_t)k, &r) == 201);
		done(&r);
	}
	joined = malloc(2 * sizeof(block_a) + sizeof(block_b));
	CHECK(joined != NULL);
	if (joined != NULL) {
		memcpy(joined, block_a, sizeof(block_a));
		memcpy(joined + sizeof(block_a), block_b, sizeof(block_b) - 1);
		memcpy(joined + sizeof(block_a) + sizeof(block_b) - 1, block_a, sizeof(block_a));
		CHECK(fmt(path, sizeof(path), "%s/model.json", c) == 0);
		CHECK(call("GET", path, NULL, 0, NULL, 0, &r) == 200);
		CHECK(body_is(&r, joined, 2 * sizeof(block_a) + sizeof(block_b) - 1));
		done(&r);
	}

	/* List Blobs: several query parameters, an encoded '/' in a value */
	CHECK(fmt(path, sizeof(path),
		 "%s?restype=container&comp=list&prefix=2026%%2F&delimiter=%%2F&maxresults=10", c) == 0);
	CHECK(call("GET", path, NULL, 0, NULL, 0, &r) == 200);
	CHECK(r.body.len > 0 && memmem(r.body.data, r.body.len, "2026/a.csv", 10) != NULL);
	done(&r);
	CHECK(fmt(path, sizeof(path),
		 "%s?restype=container&comp=list&prefix=dir%%2Fbig%%20file%%2B", c) == 0);
	CHECK(call("GET", path, NULL, 0, NULL, 0, &r) == 200);
	CHECK(r.body.len > 0 && memmem(r.body.data, r.body.len, "big file+x.csv", 14) != NULL);
	done(&r);

	/* Wrong key: 403 */
	CHECK(lv_adls_sign_key_init(&bad, DEV_ACCOUNT,
				    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==") == 0);
	CHECK(fmt(url, sizeof(url), "%s%s/2026/a.csv", endpoint, c) == 0);
	CHECK(send_req("GET", url, NULL, 0, NULL, 0, 0, &bad, &r) == 0 && r.status == 403);
	done(&r);
	lv_adls_sign_key_wipe(&bad);

	/* Account SAS: Put + Get; tampered sig: 403 */
	{
		const struct lv_adls_sign_header h[] = { { "x-ms-blob-type", "BlockBlob" } };
		char base[LV_ADLS_SIGN_URL_MAX];
		char *sig;

		CHECK(fmt(sas, sizeof(sas), "%s", ACCOUNT_SAS) == 0);
		CHECK(fmt(base, sizeof(base), "%s%s/sas.csv", endpoint, c) == 0);
		CHECK(lv_adls_sign_sas_append(base, sas, url, sizeof(url)) == 0);
		CHECK(send_req("PUT", url, h, 1, csv, sizeof(csv) - 1, 1, NULL, &r) == 0 &&
		      r.status == 201);
		done(&r);
		CHECK(send_req("GET", url, NULL, 0, NULL, 0, 1, NULL, &r) == 0 && r.status == 200);
		CHECK(body_is(&r, csv, sizeof(csv) - 1));
		done(&r);
		sig = strstr(url, "&sig=");
		CHECK(sig != NULL);
		if (sig != NULL) {
			sig[5] = sig[5] == 'A' ? 'B' : 'A';
			CHECK(send_req("GET", url, NULL, 0, NULL, 0, 1, NULL, &r) == 0 &&
			      r.status == 403);
			done(&r);
		}
	}

	/* Delete Blob, then Get: 404; Delete Container */
	CHECK(fmt(path, sizeof(path), "%s/2026/a.csv", c) == 0);
	CHECK(call("DELETE", path, NULL, 0, NULL, 0, &r) == 202);
	done(&r);
	CHECK(call("GET", path, NULL, 0, NULL, 0, &r) == 404);
	done(&r);
	CHECK(fmt(path, sizeof(path), "%s?restype=container", c) == 0);
	CHECK(call("DELETE", path, NULL, 0, NULL, 0, &r) == 202);
	done(&r);

	free(joined);
	curl_easy_cleanup(curl);
	curl_global_cleanup();
	lv_adls_sign_key_wipe(&key);
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
