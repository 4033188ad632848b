/*
 * test_adls_sign.c - unit tests for core/adls_sign.c (Shared Key, SAS,
 * block ids, redaction) and the encodings it uses from core/codec.c
 * (base64, MD5, percent-encoding).
 *
 * Registered in meson as test 'test_adls_sign', suite 'unit' (links
 * liblakeview).
 *
 * Where the expected values come from:
 *  - GOLDEN_*: the two golden vectors of shared/reference/adls-blob.md A1
 *    (string-to-sign and signature, copied verbatim; Azurite accepted both).
 *  - "openssl:" values: a hand-written string-to-sign (following A1, not
 *    produced by the code under test) signed with
 *      printf '%b' "$STS" | openssl dgst -sha256 -mac HMAC \
 *        -macopt hexkey:$(printf %s "$KEY" | base64 -d | xxd -p -c 256) \
 *        -binary | base64
 *    The same rules are exercised live against Azurite by
 *    tests/adls/test_signer_azurite.c.
 *  - RFC 4648 section 10 (base64) and RFC 1321 appendix A.5 (MD5) vectors.
 * Exits 1 if any check fails; prints "N passed, N failed".
 */
#include "lakeview/adls_sign.h"
#include "lakeview/codec.h"
#include "lakeview/err.h"
#include "lakeview/oauth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* String equality with both sides printed (escaped) on failure. */
#define CHECK_STR(got, want) check_str(__FILE__, __LINE__, #got, (got), (want))

static void print_escaped(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\n')
			fputs("\\n", stderr);
		else
			fputc(*s, stderr);
	}
}

static void check_str(const char *file, int line, const char *expr,
		      const char *got, const char *want)
{
	if (strcmp(got, want) == 0) {
		passed++;
		return;
	}
	failed++;
	fprintf(stderr, "%s:%d: CHECK_STR failed: %s\n  got:  \"", file, line,
		expr);
	print_escaped(got);
	fputs("\"\n  want: \"", stderr);
	print_escaped(want);
	fputs("\"\n", stderr);
}

#define DEV_ACCOUNT "devstoreaccount1"
#define DEV_KEY                                                              \
	"Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZ" \
	"FPTOtr/KBHBeksoGMGw=="
#define AZURITE "http://127.0.0.1:10000/devstoreaccount1"
#define DATE "Tue, 24 Nov 2026 18:50:00 GMT"
/* date -u -d '2026-11-24 18:50:00' +%s */
#define DATE_EPOCH ((time_t)1795546200)

/* adls-blob.md A1, golden vector 1 (GET list). */
#define GOLDEN_LIST_STS                                                      \
	"GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Tue, 24 Nov 2026 18:50:00 "    \
	"GMT\nx-ms-version:2021-08-06\n/devstoreaccount1/devstoreaccount1/" \
	"snap\ncomp:list\nrestype:container"
#define GOLDEN_LIST_SIG "FsKdzM0C4e97e6Fl1ZCmUDoLtMbBlu+q4YzPmVi/vac="

/* adls-blob.md A1, golden vector 2 (PUT blob, 24-byte body, text/csv). */
#define GOLDEN_PUT_STS                                                       \
	"PUT\n\n\n24\n\ntext/csv\n\n\n\n\n\n\nx-ms-blob-type:BlockBlob\nx-ms-" \
	"date:Tue, 24 Nov 2026 18:50:00 GMT\nx-ms-version:2021-08-06\n/"     \
	"devstoreaccount1/devstoreaccount1/snap/2026/a.csv"
#define GOLDEN_PUT_SIG "eBGmh12NKsCVbmKTTKw3HVXh0XSYWInk6reo82VC+5w="

static struct lv_adls_sign_key dev_key;
static char sts[LV_ADLS_SIGN_STS_MAX];
static char auth[LV_ADLS_SIGN_AUTH_SIZE];

static void test_key_init(void)
{
	struct lv_adls_sign_key k;
	char long_account[LV_ADLS_SIGN_ACCOUNT_MAX + 2];

	CHECK(lv_adls_sign_key_init(&dev_key, DEV_ACCOUNT, DEV_KEY) == 0);
	CHECK(dev_key.key_len == 64);
	CHECK_STR(dev_key.account, DEV_ACCOUNT);

	CHECK(lv_adls_sign_key_init(&k, DEV_ACCOUNT, "not base64!") == -EINVAL);
	/* the library's error contract: the detail names what failed */
	CHECK(strstr(lv_err_detail(), "storage account name or key") != NULL);
	CHECK(k.key_len == 0);
	CHECK(lv_adls_sign_key_init(&k, DEV_ACCOUNT, "") == -EINVAL);
	CHECK(lv_adls_sign_key_init(&k, "", DEV_KEY) == -EINVAL);
	CHECK(lv_adls_sign_key_init(&k, "a/b", DEV_KEY) == -EINVAL);
	CHECK(lv_adls_sign_key_init(&k, DEV_ACCOUNT, NULL) == -EINVAL);
	memset(long_account, 'a', sizeof(long_account) - 1);
	long_account[sizeof(long_account) - 1] = '\0';
	CHECK(lv_adls_sign_key_init(&k, long_account, DEV_KEY) == -ENAMETOOLONG);
	lv_adls_sign_key_wipe(&k);
	lv_adls_sign_key_wipe(NULL);
}

static int sign_both(const struct lv_adls_sign_request *req)
{
	int rc = lv_adls_sign_string_to_sign(DEV_ACCOUNT, req, sts, sizeof(sts));

	if (rc != 0)
		return rc;
	return lv_adls_sign_shared_key(&dev_key, req, auth, sizeof(auth));
}

static void test_golden_list(void)
{
	/* header order and case deliberately differ from the canonical form */
	const struct lv_adls_sign_header h[] = {
		{ "X-MS-Version", "2021-08-06" },
		{ "x-ms-date", DATE },
		{ "Accept", "application/xml" }, /* not signed */
	};
	struct lv_adls_sign_request req = {
		.method = "GET",
		.url = AZURITE "/snap?restype=container&comp=list",
		.headers = h,
		.n_headers = 3,
		.content_length = 0,
	};

	CHECK(sign_both(&req) == 0);
	CHECK_STR(sts, GOLDEN_LIST_STS);
	CHECK_STR(auth, "SharedKey " DEV_ACCOUNT ":" GOLDEN_LIST_SIG);
}

static void test_golden_put(void)
{
	const struct lv_adls_sign_header h[] = {
		{ "x-ms-date", DATE },
		{ "Content-Type", "text/csv" },
		{ "x-ms-version", "2021-08-06" },
		{ "x-ms-blob-type", "BlockBlob" },
		{ "Content-Length", "24" },
	};
	struct lv_adls_sign_request req = {
		.method = "PUT",
		.url = AZURITE "/snap/2026/a.csv",
		.headers = h,
		.n_headers = 5,
		.content_length = 24,
	};

	CHECK(sign_both(&req) == 0);
	CHECK_STR(sts, GOLDEN_PUT_STS);
	CHECK_STR(auth, "SharedKey " DEV_ACCOUNT ":" GOLDEN_PUT_SIG);

	/* the Content-Length header is optional: the struct field rules */
	req.n_headers = 4;
	CHECK(sign_both(&req) == 0);
	CHECK_STR(sts, GOLDEN_PUT_STS);
	CHECK_STR(auth, "SharedKey " DEV_ACCOUNT ":" GOLDEN_PUT_SIG);

	/* a Content-Length header that disagrees with the body is refused */
	req.n_headers = 5;
	req.content_length = 25;
	CHECK(lv_adls_sign_string_to_sign(DEV_ACCOUNT, &req, sts, sizeof(sts)) == -EINVAL);
	CHECK_STR(sts, "");
}

static void test_empty_body(void)
{
	/* A1: Content-Length is the empty string for a zero-length body;
	 * B2: signing "0" instead gave 403 on Azurite. */
	const char *want_sts =
		"PUT\n\n\n\n\ntext/csv\n\n\n\n\n\n\nx-ms-blob-type:BlockBlob\n"
		"x-ms-date:" DATE "\nx-ms-version:2021-08-06\n"
		"/devstoreaccount1/devstoreaccount1/snap/2026/a.csv";
	const struct lv_adls_sign_header h[] = {
		{ "Content-Length", "0" },
		{ "Content-Type", "text/csv" },
		{ "x-ms-blob-type", "BlockBlob" },
		{ "x-ms-date", DATE },
		{ "x-ms-version", "2021-08-06" },
	};
	struct lv_adls_sign_request req = {
		.method = "PUT",
		.url = AZURITE "/snap/2026/a.csv",
		.headers = h,
		.n_headers = 5,
		.content_length = 0,
	};

	CHECK(sign_both(&req) == 0);
	CHECK_STR(sts, want_sts);
	CHECK(strstr(sts, "\n0\n") == NULL);
	/* openssl: HMAC of want_sts */
	CHECK_STR(auth, "SharedKey " DEV_ACCOUNT ":htdKDLa/pffu86RnkwKi8hPpxZKRbWgrm9qs7PtaTsY=");
	/* without the header, same result */
	req.headers = h + 1;
	req.n_headers = 4;
	CHECK(sign_both(&req) == 0);
	CHECK_STR(sts, want_sts);
}

static void test_host_style(void)
{
	/* host-style: canonical resource is "/" + account + path, account once */
	const char *want_sts =
		"PUT\n\n\n24\n\ntext/csv\n\n\n\n\n\n\nx-ms-blob-type:BlockBlob\n"
		"x-ms-date:" DATE "\nx-ms-version:2021-08-06\n"
		"/devstoreaccount1/snap/2026/a.csv";
	const struct lv_adls_sign_header h[] = {
		{ "Content-Type", "text/csv" },
		{ "x-ms-blob-type", "BlockBlob" },
		{ "x-ms-date", DATE },
		{ "x-ms-version", "2021-08-06" },
	};
	struct lv_adls_sign_request req = {
		.method = "PUT",
		.url = "https://devstoreaccount1.blob.core.windows.net/snap/2026/a.csv",
		.headers = h,
		.n_headers = 4,
		.content_length = 24,
	};

	CHECK(sign_both(&req) == 0);
	CHECK_STR(sts, want_sts);
	/* openssl: HMAC of want_sts */
	CHECK_STR(auth, "SharedKey " DEV_ACCOUNT ":lB2rVh7PpGB+Vs2LBKXg2wvQt7DT6e8DhSwWoINFTvg=");

	/* a URL without a path signs "/account/" (List Containers) */
	req.method = "GET";
	req.url = "https://myacct.blob.core.windows.net?comp=list";
	req.content_length = 0;
	req.n_headers = 0;
	CHECK(lv_adls_sign_string_to_sign("myacct", &req, sts, sizeof(sts)) == 0);
	CHECK_STR(sts, "GET\n\n\n\n\n\n\n\n\n\n\n\n/myacct/\ncomp:list");
	/* a fragment is not part of the request */
	req.url = "https://myacct.blob.core.windows.net/c/b#frag";
	CHECK(lv_adls_sign_string_to_sign("myacct", &req, sts, sizeof(sts)) == 0);
	CHECK_STR(sts, "GET\n\n\n\n\n\n\n\n\n\n\n\n/myacct/c/b");
}

static void test_query_and_headers(void)
{
	/* Put Block: percent-encoded path kept as sent, query names
	 * lower-cased and sorted, values decoded, x-ms-* sorted/trimmed. */
	const char *want_sts =
		"PUT\n\n\n13\n1B2M2Y8AsgTpgAmY7PhCfg==\n\n\n\n\n\n\n\n"
		"x-ms-client-request-id:abc\nx-ms-date:" DATE "\n"
		"x-ms-lease-id:L1\nx-ms-version:2023-11-03\n"
		"/devstoreaccount1/devstoreaccount1/snap/big%20file.csv\n"
		"blockid:kAFQmDzST7DWlj99KOF/cg==\ncomp:block\ntimeout:30";
	const struct lv_adls_sign_header h[] = {
		{ "x-ms-version", "2023-11-03" },
		{ "X-Ms-Lease-Id", "  L1\t" },
		{ "Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg==" },
		{ "x-ms-date", DATE },
		{ "x-ms-client-request-id", "abc" },
		{ "Expect", "" },
	};
	struct lv_adls_sign_request req = {
		.method = "PUT",
		.url = AZURITE "/snap/big%20file.csv?comp=block&Timeout=30"
			       "&blockid=kAFQmDzST7DWlj99KOF%2Fcg%3D%3D",
		.headers = h,
		.n_headers = 6,
		.content_length = 13,
	};

	CHECK(sign_both(&req) == 0);
	CHECK_STR(sts, want_sts);
	/* openssl: HMAC of want_sts */
	CHECK_STR(auth, "SharedKey " DEV_ACCOUNT ":f0lLWRWz5gL8a0Nj0+G/4Mzm+zT+WxWjwxLVTbrkWmU=");
}

static void test_all_standard_headers(void)
{
	const struct lv_adls_sign_header h[] = {
		{ "Range", "bytes=0-9" },
		{ "If-Unmodified-Since", "ius" },
		{ "If-None-Match", "*" },
		{ "If-Match", "\"0x8D\"" },
		{ "If-Modified-Since", "ims" },
		{ "Content-Type", "text/csv" },
		{ "Content-MD5", "md5" },
		{ "Content-Language", "en" },
		{ "Content-Encoding", "gzip" },
		{ "x-ms-date", DATE },
	};
	struct lv_adls_sign_request req = {
		.method = "DELETE",
		.url = "https://a.blob.core.windows.net/c/b",
		.headers = h,
		.n_headers = 10,
		.content_length = 7,
	};

	CHECK(lv_adls_sign_string_to_sign("a", &req, sts, sizeof(sts)) == 0);
	CHECK_STR(sts, "DELETE\ngzip\nen\n7\nmd5\ntext/csv\n\nims\n\"0x8D\"\n*\n"
		       "ius\nbytes=0-9\nx-ms-date:" DATE "\n/a/c/b");
}

static void test_query_rules(void)
{
	struct lv_adls_sign_request req = {
		.method = "GET",
		.url = NULL,
		.headers = NULL,
		.n_headers = 0,
		.content_length = 0,
	};
	const char *base = "GET\n\n\n\n\n\n\n\n\n\n\n\n/a/c";

	/* repeated names: one line, values sorted and comma-joined */
	req.url = "https://a.blob.core.windows.net/c?b=2&A=z&b=1&&b=10";
	CHECK(lv_adls_sign_string_to_sign("a", &req, sts, sizeof(sts)) == 0);
	CHECK(strncmp(sts, base, strlen(base)) == 0);
	CHECK_STR(sts + strlen(base), "\na:z\nb:1,10,2");

	/* '+' decodes to a space, %2B to '+', empty value kept */
	req.url = "https://a.blob.core.windows.net/c?prefix=a+b%2Bc&marker=";
	CHECK(lv_adls_sign_string_to_sign("a", &req, sts, sizeof(sts)) == 0);
	CHECK_STR(sts + strlen(base), "\nmarker:\nprefix:a b+c");

	/* refused: raw '=' in a value, no '=', bad escapes, %00, bad names */
	req.url = "https://a.blob.core.windows.net/c?blockid=QUJD==";
	CHECK(lv_adls_sign_string_to_sign("a", &req, sts, sizeof(sts)) == -EINVAL);
	req.url = "https://a.blob.core.windows.net/c?comp";
	CHECK(lv_adls_sign_string_to_sign("a", &req, sts, sizeof(sts)) == -EINVAL);
	req.url = "https://a.blob.core.windows.net/c?x=%4";
	CHECK(lv_adls_sign_string_to_sign("a", &req, sts, sizeof(sts)) == -EINVAL);
	req.url = "https://a.blob.core.windows.net/c?x=%G1";
	CHECK(lv_adls_sign_string_to_sign("a", &req, sts, sizeof(sts)) == -EINVAL);
	req.url = "https://a.blob.core.windows.net/c?x=%00";
	CHECK(lv_adls_sign_string_to_sign("a", &req, sts, sizeof(sts)) == -EINVAL);
	req.url = "https://a.blob.core.windows.net/c?x%41=1";
	CHECK(lv_adls_sign_string_to_sign("a", &req, sts, sizeof(sts)) == -EINVAL);
	req.url = "https://a.blob.core.windows.net/c?=1";
	CHECK(lv_adls_sign_string_to_sign("a", &req, sts, sizeof(sts)) == -EINVAL);
	/* bad URLs */
	req.url = "https://a.blob.core.windows.net/c d";
	CHECK(lv_adls_sign_string_to_sign("a", &req, sts, sizeof(sts)) == -EINVAL);
	req.url = "a.blob.core.windows.net/c";
	CHECK(lv_adls_sign_string_to_sign("a", &req, sts, sizeof(sts)) == -EINVAL);
	req.url = "https:///c";
	CHECK(lv_adls_sign_string_to_sign("a", &req, sts, sizeof(sts)) == -EINVAL);
}

static void test_query_ceilings(void)
{
	char url[LV_ADLS_SIGN_URL_MAX + 64];
	struct lv_adls_sign_request req = {
		.method = "GET",
		.url = url,
	};
	int n;
	int i;
	size_t len;

	len = (size_t)snprintf(url, sizeof(url), "https://a.b/c?");
	for (i = 0; i < LV_ADLS_SIGN_QUERY_MAX + 1; i++) {
		n = snprintf(url + len, sizeof(url) - len, "p%d=v&", i);
		CHECK(n > 0 && (size_t)n < sizeof(url) - len);
		len += (size_t)n;
	}
	CHECK(lv_adls_sign_string_to_sign("a", &req, sts, sizeof(sts)) == -E2BIG);

	memset(url, 'x', sizeof(url) - 1);
	memcpy(url, "https://a.b/", 12);
	url[LV_ADLS_SIGN_URL_MAX + 1] = '\0';
	CHECK(lv_adls_sign_string_to_sign("a", &req, sts, sizeof(sts)) == -ENAMETOOLONG);
	url[LV_ADLS_SIGN_URL_MAX] = '\0';
	CHECK(lv_adls_sign_string_to_sign("a", &req, sts, sizeof(sts)) == 0);
}

static void test_header_rules(void)
{
	struct lv_adls_sign_header h[LV_ADLS_SIGN_HEADERS_MAX + 1];
	struct lv_adls_sign_request req = {
		.method = "GET",
		.url = "https://a.blob.core.windows.net/c/b",
		.headers = h,
	};
	char small[16];
	size_t i;

	/* duplicate (case-insensitive) */
	h[0] = (struct lv_adls_sign_header){ "x-ms-date", DATE };
	h[1] = (struct lv_adls_sign_header){ "X-MS-DATE", DATE };
	req.n_headers = 2;
	CHECK(lv_adls_sign_string_to_sign("a", &req, sts, sizeof(sts)) == -EINVAL);
	h[1] = (struct lv_adls_sign_header){ "content-type", "a" };
	h[2] = (struct lv_adls_sign_header){ "Content-Type", "b" };
	req.n_headers = 3;
	CHECK(lv_adls_sign_string_to_sign("a", &req, sts, sizeof(sts)) == -EINVAL);
	/* Date together with x-ms-date is ambiguous */
	h[1] = (struct lv_adls_sign_header){ "Date", DATE };
	req.n_headers = 2;
	CHECK(lv_adls_sign_string_to_sign("a", &req, sts, sizeof(sts)) == -EINVAL);
	/* Date alone is signed in its line */
	req.headers = h + 1;
	req.n_headers = 1;
	CHECK(lv_adls_sign_string_to_sign("a", &req, sts, sizeof(sts)) == 0);
	CHECK_STR(sts, "GET\n\n\n\n\n\n" DATE "\n\n\n\n\n\n/a/c/b");
	req.headers = h;
	req.n_headers = 2;
	/* header injection */
	h[1] = (struct lv_adls_sign_header){ "x-ms-meta-a", "v\r\nx-ms-evil: 1" };
	CHECK(lv_adls_sign_string_to_sign("a", &req, sts, sizeof(sts)) == -EINVAL);
	h[1] = (struct lv_adls_sign_header){ "x-ms-meta a", "v" };
	CHECK(lv_adls_sign_string_to_sign("a", &req, sts, sizeof(sts)) == -EINVAL);
	h[1] = (struct lv_adls_sign_header){ "", "v" };
	CHECK(lv_adls_sign_string_to_sign("a", &req, sts, sizeof(sts)) == -EINVAL);
	h[1] = (struct lv_adls_sign_header){ "x-ms-meta-a", NULL };
	CHECK(lv_adls_sign_string_to_sign("a", &req, sts, sizeof(sts)) == -EINVAL);
	/* Content-Length header must be a plain decimal */
	h[1] = (struct lv_adls_sign_header){ "Content-Length", "+0" };
	CHECK(lv_adls_sign_string_to_sign("a", &req, sts, sizeof(sts)) == -EINVAL);
	/* methods are upper-case tokens */
	h[1] = (struct lv_adls_sign_header){ "x-ms-version", "2023-11-03" };
	req.method = "get";
	CHECK(lv_adls_sign_string_to_sign("a", &req, sts, sizeof(sts)) == -EINVAL);
	req.method = "GET";
	CHECK(lv_adls_sign_string_to_sign("a", &req, sts, sizeof(sts)) == 0);

	/* too many headers */
	for (i = 0; i < LV_ADLS_SIGN_HEADERS_MAX + 1; i++)
		h[i] = (struct lv_adls_sign_header){ "Accept", "x" };
	req.n_headers = LV_ADLS_SIGN_HEADERS_MAX + 1;
	CHECK(lv_adls_sign_string_to_sign("a", &req, sts, sizeof(sts)) == -E2BIG);
	req.n_headers = LV_ADLS_SIGN_HEADERS_MAX;
	CHECK(lv_adls_sign_string_to_sign("a", &req, sts, sizeof(sts)) == 0);

	/* output too small: -ERANGE and an empty string, never a prefix */
	req.n_headers = 0;
	memset(small, 'z', sizeof(small));
	CHECK(lv_adls_sign_string_to_sign("a", &req, small, sizeof(small)) == -ERANGE);
	CHECK(small[0] == '\0');
	CHECK(lv_adls_sign_shared_key(&dev_key, &req, small, sizeof(small)) == -ERANGE);
	CHECK(small[0] == '\0');
	CHECK(lv_adls_sign_shared_key(&dev_key, &req, auth, sizeof(auth)) == 0);
	CHECK(strlen(auth) == strlen("SharedKey " DEV_ACCOUNT ":") + 44);
}

static void test_date(void)
{
	char d[LV_ADLS_SIGN_DATE_SIZE];

	CHECK(lv_adls_sign_date(DATE_EPOCH, d, sizeof(d)) == 0);
	CHECK_STR(d, DATE);
	CHECK(lv_adls_sign_date(0, d, sizeof(d)) == 0);
	CHECK_STR(d, "Thu, 01 Jan 1970 00:00:00 GMT");
	CHECK(lv_adls_sign_date(951782400, d, sizeof(d)) == 0); /* leap day */
	CHECK_STR(d, "Tue, 29 Feb 2000 00:00:00 GMT");
	CHECK(lv_adls_sign_date(DATE_EPOCH, d, sizeof(d) - 1) == -ERANGE);
	CHECK(d[0] == '\0');
}

static void test_base64(void)
{
	/* RFC 4648 section 10 */
	static const char *const plain[] = { "", "f", "fo", "foo", "foob",
					     "fooba", "foobar" };
	static const char *const coded[] = { "", "Zg==", "Zm8=", "Zm9v",
					     "Zm9vYg==", "Zm9vYmE=",
					     "Zm9vYmFy" };
	char enc[16];
	unsigned char dec[16];
	size_t n = 99;
	size_t i;

	for (i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		CHECK(lv_base64_encode(plain[i], strlen(plain[i]), enc,
						 sizeof(enc)) == 0);
		CHECK_STR(enc, coded[i]);
		CHECK(lv_base64_decode(coded[i], dec, sizeof(dec), &n) == 0);
		CHECK(n == strlen(plain[i]) && memcmp(dec, plain[i], n) == 0);
	}
	CHECK(lv_base64_encode("foobar", 6, enc, 8) == -ERANGE);
	CHECK(lv_base64_encode("foobar", 6, enc, 9) == 0);
	CHECK(lv_base64_decode("Zm9vYmFy", dec, 5, &n) == -ERANGE);
	/* strictness */
	CHECK(lv_base64_decode("Zm9", dec, sizeof(dec), &n) == -EINVAL);
	CHECK(lv_base64_decode("Zm9v\n", dec, sizeof(dec), &n) == -EINVAL);
	CHECK(lv_base64_decode("Zg=a", dec, sizeof(dec), &n) == -EINVAL);
	CHECK(lv_base64_decode("Zg==Zg==", dec, sizeof(dec), &n) == -EINVAL);
	CHECK(lv_base64_decode("Z===", dec, sizeof(dec), &n) == -EINVAL);
	CHECK(lv_base64_decode("Zh==", dec, sizeof(dec), &n) == -EINVAL);
	CHECK(lv_base64_decode("Zm9=", dec, sizeof(dec), &n) == -EINVAL);
	CHECK(lv_base64_decode("Zm-v", dec, sizeof(dec), &n) == -EINVAL);
	/* round trip of every byte value */
	{
		unsigned char all[256];
		unsigned char back[256];
		char text[4 * 86 + 1];

		for (i = 0; i < 256; i++)
			all[i] = (unsigned char)i;
		CHECK(lv_base64_encode(all, 256, text, sizeof(text)) == 0);
		CHECK(lv_base64_decode(text, back, sizeof(back), &n) == 0);
		CHECK(n == 256 && memcmp(all, back, 256) == 0);
	}
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int hex_to_bytes(const char *hex, unsigned char *out, size_t n)
{
	size_t i;

	if (strlen(hex) != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		int hi = nibble(hex[2 * i]);
		int lo = nibble(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi * 16 + lo);
	}
	return 0;
}

static void test_md5(void)
{
	/* RFC 1321 appendix A.5 */
	static const char *const in[] = {
		"", "a", "abc", "message digest", "abcdefghijklmnopqrstuvwxyz",
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
		("1234567890123456789012345678901234567890"
		 "1234567890123456789012345678901234567890"),
	};
	static const char *const hex[] = {
		"d41d8cd98f00b204e9800998ecf8427e",
		"0cc175b9c0f1b6a831c399e269772661",
		"900150983cd24fb0d6963f7d28e17f72",
		"f96b697d7cb7938d525a2f31aaf161d0",
		"c3fcd3d76192e4007dfb496cca67e13b",
		"d174ab98d277d9f5a5611c2c9f419d9f",
		"57edf4a22be3c955ac49da2e2107b67a",
	};
	char got[LV_MD5_B64_SIZE];
	char want[LV_MD5_B64_SIZE];
	unsigned char raw[16];
	size_t i;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		CHECK(hex_to_bytes(hex[i], raw, 16) == 0);
		CHECK(lv_base64_encode(raw, 16, want, sizeof(want)) == 0);
		CHECK(lv_md5_base64(in[i], strlen(in[i]), got, sizeof(got)) == 0);
		CHECK_STR(got, want);
	}
	/* the well-known Content-MD5 of an empty body */
	CHECK(lv_md5_base64(NULL, 0, got, sizeof(got)) == 0);
	CHECK_STR(got, "1B2M2Y8AsgTpgAmY7PhCfg==");
	CHECK(lv_md5_base64("abc", 3, got, sizeof(got) - 1) == -ERANGE);
	CHECK(lv_md5_base64(NULL, 1, got, sizeof(got)) == -EINVAL);
}

static void test_block_id(void)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 63, 64, 1000, 4 << 20 };
	unsigned char *buf = calloc(1, 4 << 20);
	char id[LV_ADLS_SIGN_BLOCK_ID_SIZE];
	char id2[LV_ADLS_SIGN_BLOCK_ID_SIZE];
	char enc[3 * LV_ADLS_SIGN_BLOCK_ID_LEN + 1];
	size_t i;

	CHECK(buf != NULL);
	if (buf == NULL)
		return;
	for (i = 0; i < (4u << 20); i++)
		buf[i] = (unsigned char)(i * 2654435761u >> 13);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		CHECK(lv_adls_sign_block_id(buf, sizes[i], id, sizeof(id)) == 0);
		CHECK(strlen(id) == LV_ADLS_SIGN_BLOCK_ID_LEN);
	}
	/* content-derived: same bytes, same id; one changed byte, new id */
	CHECK(lv_adls_sign_block_id(buf, 1000, id, sizeof(id)) == 0);
	CHECK(lv_adls_sign_block_id(buf, 1000, id2, sizeof(id2)) == 0);
	CHECK_STR(id, id2);
	buf[999] ^= 1;
	CHECK(lv_adls_sign_block_id(buf, 1000, id2, sizeof(id2)) == 0);
	CHECK(strcmp(id, id2) != 0);
	CHECK(lv_adls_sign_block_id("abc", 3, id, sizeof(id)) == 0);
	CHECK_STR(id, "kAFQmDzST7DWlj99KOF/cg==");
	/* as a query value it must be percent-encoded */
	CHECK(lv_url_encode_str(id, 0, enc, sizeof(enc)) == 0);
	CHECK_STR(enc, "kAFQmDzST7DWlj99KOF%2Fcg%3D%3D");
	free(buf);
}

static void test_url_encode(void)
{
	char out[64];

	CHECK(lv_url_encode_str("a b+c/d=~._-", 0, out, sizeof(out)) == 0);
	CHECK_STR(out, "a%20b%2Bc%2Fd%3D~._-");
	CHECK(lv_url_encode_str("dir/big file.csv", 1, out, sizeof(out)) == 0);
	CHECK_STR(out, "dir/big%20file.csv");
	CHECK(lv_url_encode_str("\xc3\xa9", 0, out, sizeof(out)) == 0);
	CHECK_STR(out, "%C3%A9");
	CHECK(lv_url_encode_str("a b", 0, out, 4) == -ERANGE);
	CHECK(out[0] == '\0');
}

static void test_sas(void)
{
	char out[512];
	char tok[LV_ADLS_SIGN_SAS_MAX + 1];
	const char *t = "sv=2021-08-06&ss=b&srt=sco&sp=rl&sig=abc%2B%3D";
	char path[] = "/tmp/lv_sas_XXXXXX";
	int fd;

	/* normalise: whitespace around, one leading '?' */
	CHECK(lv_adls_sign_sas_normalize(" \t?sv=1&sig=x\r\n", 15, tok, sizeof(tok)) == 0);
	CHECK_STR(tok, "sv=1&sig=x");
	CHECK(lv_adls_sign_sas_normalize("  \n", 3, tok, sizeof(tok)) == -EINVAL);
	CHECK(lv_adls_sign_sas_normalize("?", 1, tok, sizeof(tok)) == -EINVAL);
	CHECK(lv_adls_sign_sas_normalize("sv=1&sig=x\nsv=2", 15, tok, sizeof(tok)) == -EINVAL);
	CHECK(lv_adls_sign_sas_normalize("sv=1&xsig=x", 11, tok, sizeof(tok)) == -EINVAL);
	CHECK(lv_adls_sign_sas_normalize("sv=1&sig=x", 10, tok, 10) == -ERANGE);

	/* append: '?' / '&' / nothing */
	CHECK(lv_adls_sign_sas_append(AZURITE "/snap/a.csv", t, out, sizeof(out)) == 0);
	CHECK_STR(out, AZURITE "/snap/a.csv?" "sv=2021-08-06&ss=b&srt=sco&sp=rl&sig=abc%2B%3D");
	CHECK(lv_adls_sign_sas_append(AZURITE "/snap?restype=container", "?sv=1&sig=x\n",
				      out, sizeof(out)) == 0);
	CHECK_STR(out, AZURITE "/snap?restype=container&sv=1&sig=x");
	CHECK(lv_adls_sign_sas_append(AZURITE "/snap?", "sv=1&sig=x", out, sizeof(out)) == 0);
	CHECK_STR(out, AZURITE "/snap?sv=1&sig=x");
	CHECK(lv_adls_sign_sas_append(AZURITE "/snap?comp=list&", "sv=1&sig=x", out, sizeof(out)) == 0);
	CHECK_STR(out, AZURITE "/snap?comp=list&sv=1&sig=x");
	CHECK(lv_adls_sign_sas_append(AZURITE "/snap?sig=y", "sv=1&sig=x", out, sizeof(out)) == -EEXIST);
	CHECK(lv_adls_sign_sas_append(AZURITE "/snap#f", "sv=1&sig=x", out, sizeof(out)) == -EINVAL);
	CHECK(lv_adls_sign_sas_append(AZURITE "/snap", "sv=1&sig=x", out, 10) == -ERANGE);
	CHECK(out[0] == '\0');

	/* from a file as an operator would write it: lakeview reads it with
	 * lv_secret_load() (the signer reads no files), then normalises it */
	fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd >= 0) {
		const char body[] = "?sv=2021-08-06&sig=abc\n";
		char *raw;

		CHECK(write(fd, body, sizeof(body) - 1) == (ssize_t)(sizeof(body) - 1));
		close(fd);
		raw = lv_secret_load(path, NULL);
		CHECK(raw != NULL);
		if (raw != NULL) {
			CHECK(lv_adls_sign_sas_normalize(raw, strlen(raw), tok, sizeof(tok)) == 0);
			CHECK_STR(tok, "sv=2021-08-06&sig=abc");
			free(raw);
		}
		unlink(path);
	}
	CHECK(lv_secret_load("/nonexistent/lv_sas", NULL) == NULL);
}

static void test_redact(void)
{
	char out[256];

	CHECK(lv_adls_sign_redact(AZURITE "/snap/a.csv?sv=2021-08-06&sig=abc%2B%3D&se=x",
				  out, sizeof(out)) == 0);
	CHECK_STR(out, AZURITE "/snap/a.csv?sv=2021-08-06&sig=REDACTED&se=x");
	CHECK(lv_adls_sign_redact("https://a/c?SIG=abc", out, sizeof(out)) == 0);
	CHECK_STR(out, "https://a/c?SIG=REDACTED");
	CHECK(lv_adls_sign_redact("sig=abc&sv=1", out, sizeof(out)) == 0);
	CHECK_STR(out, "sig=REDACTED&sv=1");
	CHECK(lv_adls_sign_redact("https://a/c?x=1&sig=a&sig=b#f", out, sizeof(out)) == 0);
	CHECK_STR(out, "https://a/c?x=1&sig=REDACTED&sig=REDACTED#f");
	/* only whole parameters named sig */
	CHECK(lv_adls_sign_redact("https://a/c?xsig=1&signal=2&sig", out, sizeof(out)) == 0);
	CHECK_STR(out, "https://a/c?xsig=1&signal=2&sig");
	CHECK(lv_adls_sign_redact("https://a/c", out, sizeof(out)) == 0);
	CHECK_STR(out, "https://a/c");
	CHECK(lv_adls_sign_redact("https://a/c?sig=secret", out, 20) == -ERANGE);
	CHECK(out[0] == '\0');
}

int main(void)
{
	test_key_init();
	test_golden_list();
	test_golden_put();
	test_empty_body();
	test_host_style();
	test_query_and_headers();
	test_all_standard_headers();
	test_query_rules();
	test_query_ceilings();
	test_header_rules();
	test_date();
	test_base64();
	test_md5();
	test_block_id();
	test_url_encode();
	test_sas();
	test_redact();
	lv_adls_sign_key_wipe(&dev_key);
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
