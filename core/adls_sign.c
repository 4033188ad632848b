/*
 * adls_sign.c - Azure Storage Shared Key and SAS: the string-to-sign, the
 * signature, SAS tokens in URLs, and redaction.
 * See lakeview/adls_sign.h for why it is shaped this way. The encodings
 * it needs (base64, MD5, percent-encoding) are codec.c's; strings are
 * built in a struct lv_buf bounded by the caller's output size.
 */
#include "lakeview/adls_sign.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "lakeview/codec.h"
#include "lakeview/err.h"
#include "lakeview/time.h"

/* Longest HTTP method we accept ("OPTIONS" is 7). */
#define METHOD_MAX 16
/* Base64 of a SHA-256 MAC is 44 characters. */
#define MAC_B64_SIZE 45

/* The 11 standard headers of the string-to-sign, in their order (A1). */
enum std_header {
	STD_CONTENT_ENCODING,
	STD_CONTENT_LANGUAGE,
	STD_CONTENT_LENGTH,
	STD_CONTENT_MD5,
	STD_CONTENT_TYPE,
	STD_DATE,
	STD_IF_MODIFIED_SINCE,
	STD_IF_MATCH,
	STD_IF_NONE_MATCH,
	STD_IF_UNMODIFIED_SINCE,
	STD_RANGE,
	STD_COUNT
};

static const char *const std_header_names[STD_COUNT] = {
	"content-encoding", "content-language", "content-length",
	"content-md5", "content-type", "date", "if-modified-since",
	"if-match", "if-none-match", "if-unmodified-since", "range",
};

/* ------------------------------------------------------------------ */
/* Building strings: appends to an lv_buf; the first error sticks.     */

static void add(struct lv_buf *b, int *rc, const char *p, size_t n)
{
	if (*rc == 0)
		*rc = lv_buf_add(b, p, n);
}

static void adds(struct lv_buf *b, int *rc, const char *p)
{
	add(b, rc, p, strlen(p));
}

/* The one way out of every public function: on error, the detail. */
static int sign_err(int rc, const char *what)
{
	if (rc == 0)
		return 0;
	return lv_err_set(rc, "%s: %s", what, lv_strerror(rc));
}

/* ------------------------------------------------------------------ */
/* Small character helpers.                                            */

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	       c == '\f';
}

static char lower_ascii(char c)
{
	if (c >= 'A' && c <= 'Z')
		return (char)(c - 'A' + 'a');
	return c;
}

/* Visible ASCII, no space: what may appear in a URL or a SAS token. */
static int is_url_char(char c)
{
	unsigned char u = (unsigned char)c;

	return u > 0x20 && u < 0x7f;
}

static int check_account(const char *account)
{
	size_t i;
	size_t n;

	if (account == NULL)
		return -EINVAL;
	n = strlen(account);
	if (n == 0)
		return -EINVAL;
	if (n > LV_ADLS_SIGN_ACCOUNT_MAX)
		return -ENAMETOOLONG;
	for (i = 0; i < n; i++) {
		char c = account[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return -EINVAL;
	}
	return 0;
}

/*
 * Find a "sig=" parameter (case-insensitive) that starts s or follows
 * '?' or '&'. Returns its offset, or -1.
 */
static long find_sig(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i + 4 <= len; i++) {
		if (i > 0 && s[i - 1] != '?' && s[i - 1] != '&')
			continue;
		if (strncasecmp(s + i, "sig=", 4) == 0)
			return (long)i;
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* Keys and dates.                                                     */

static int key_init(struct lv_adls_sign_key *key, const char *account,
		    const char *key_b64)
{
	int rc;
	size_t n = 0;

	if (key == NULL)
		return -EINVAL;
	lv_adls_sign_key_wipe(key);
	if (key_b64 == NULL) {
		rc = -EINVAL;
		goto out;
	}
	rc = check_account(account);
	if (rc != 0)
		goto out;
	rc = lv_base64_decode(key_b64, key->key, sizeof(key->key), &n);
	if (rc == -ERANGE)
		rc = -ENAMETOOLONG;
	if (rc != 0)
		goto out;
	if (n == 0) {
		rc = -EINVAL;
		goto out;
	}
	memcpy(key->account, account, strlen(account) + 1);
	key->key_len = n;
out:
	if (rc != 0)
		lv_adls_sign_key_wipe(key);
	return rc;
}

int lv_adls_sign_key_init(struct lv_adls_sign_key *key, const char *account,
			  const char *key_b64)
{
	return sign_err(key_init(key, account, key_b64),
			"storage account name or key");
}

void lv_adls_sign_key_wipe(struct lv_adls_sign_key *key)
{
	if (key == NULL)
		return;
	OPENSSL_cleanse(key, sizeof(*key));
}

/* Seconds of 0000-01-01 and of 10000-01-01: the years a date may show. */
#define YEAR0_SECS (-62167219200LL)
#define YEAR10000_SECS 253402300800LL

static int date_fmt(time_t t, char *out, size_t out_size)
{
	static const char wday[7][4] = { "Sun", "Mon", "Tue", "Wed",
					 "Thu", "Fri", "Sat" };
	static const char mon[12][4] = { "Jan", "Feb", "Mar", "Apr",
					 "May", "Jun", "Jul", "Aug",
					 "Sep", "Oct", "Nov", "Dec" };
	int64_t days;
	int year, month, day, hour, min, sec;
	int n;

	if (out != NULL && out_size > 0)
		out[0] = '\0';
	if (out == NULL)
		return -EINVAL;
	if (out_size < LV_ADLS_SIGN_DATE_SIZE)
		return -ERANGE;
	if ((long long)t < YEAR0_SECS || (long long)t >= YEAR10000_SECS)
		return -EOVERFLOW;
	lv_time_civil((int64_t)t, &year, &month, &day, &hour, &min, &sec);
	/* 1970-01-01 was a Thursday */
	days = (int64_t)t >= 0 ? (int64_t)t / 86400 : -((-(int64_t)t + 86399) / 86400);
	n = snprintf(out, out_size, "%s, %02d %s %04d %02d:%02d:%02d GMT",
		     wday[((days + 4) % 7 + 7) % 7], day, mon[month - 1], year,
		     hour, min, sec);
	if (n != LV_ADLS_SIGN_DATE_SIZE - 1) {
		out[0] = '\0';
		return -EOVERFLOW;
	}
	return 0;
}

int lv_adls_sign_date(time_t t, char *out, size_t out_size)
{
	return sign_err(date_fmt(t, out, out_size), "x-ms-date");
}

int lv_adls_sign_block_id(const void *data, size_t len, char *out,
			  size_t out_size)
{
	return sign_err(lv_md5_base64(data, len, out, out_size), "block id");
}

/* ------------------------------------------------------------------ */
/* Shared Key string-to-sign.                                          */

struct qparam {
	char *name;  /* lower-cased, in scratch */
	char *value; /* URL-decoded, in scratch */
};

struct xheader {
	char name[LV_ADLS_SIGN_HEADER_NAME_MAX + 1]; /* lower-cased */
	const char *value;			     /* trimmed, not NUL-ended */
	size_t value_len;
};

struct sts_work {
	struct qparam q[LV_ADLS_SIGN_QUERY_MAX];
	size_t nq;
	struct xheader x[LV_ADLS_SIGN_HEADERS_MAX];
	size_t nx;
	const char *std_value[STD_COUNT];
	size_t std_len[STD_COUNT];
	/* names and values of the query, each NUL-terminated: at most the
	 * raw query length plus one, since '=' and '&' make room for NULs */
	char scratch[LV_ADLS_SIGN_URL_MAX + 2];
};

/* Split url into path and query (both views into url). */
static int url_split(const char *url, const char **path, size_t *path_len,
		     const char **query, size_t *query_len)
{
	size_t n = strlen(url);
	size_t i;
	const char *p;
	const char *auth;

	if (n > LV_ADLS_SIGN_URL_MAX)
		return -ENAMETOOLONG;
	for (i = 0; i < n; i++)
		if (!is_url_char(url[i]))
			return -EINVAL;
	/* scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) "://" */
	if (!((url[0] >= 'A' && url[0] <= 'Z') || (url[0] >= 'a' && url[0] <= 'z')))
		return -EINVAL;
	p = strstr(url, "://");
	if (p == NULL)
		return -EINVAL;
	for (i = 1; url + i < p; i++) {
		char c = url[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))
			return -EINVAL;
	}
	auth = p + 3;
	p = auth + strcspn(auth, "/?#");
	if (p == auth)
		return -EINVAL; /* no host */
	*path = p;
	*path_len = strcspn(p, "?#");
	p += *path_len;
	if (*p == '?') {
		p++;
		*query = p;
		*query_len = strcspn(p, "#");
	} else {
		*query = p;
		*query_len = 0;
	}
	return 0;
}

static int qparam_cmp(const void *a, const void *b)
{
	const struct qparam *x = a;
	const struct qparam *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return strcmp(x->value, y->value);
}

/* Parse the query into w->q: names lower-cased, values URL-decoded. */
static int parse_query(struct sts_work *w, const char *q, size_t qlen)
{
	size_t pos = 0;
	size_t o = 0;

	w->nq = 0;
	while (pos < qlen) {
		size_t seg = pos;
		size_t end = pos;
		size_t eq;
		size_t i;

		while (end < qlen && q[end] != '&')
			end++;
		pos = end + 1;
		if (end == seg)
			continue; /* "&&" or trailing '&' */
		eq = seg;
		while (eq < end && q[eq] != '=')
			eq++;
		if (eq == end || eq == seg)
			return -EINVAL; /* no '=' or empty name */
		if (w->nq == LV_ADLS_SIGN_QUERY_MAX)
			return -E2BIG;
		w->q[w->nq].name = w->scratch + o;
		for (i = seg; i < eq; i++) {
			char c = q[i];

			if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			      (c >= '0' && c <= '9') || c == '-' || c == '.' ||
			      c == '_' || c == '~'))
				return -EINVAL;
			w->scratch[o++] = lower_ascii(c);
		}
		w->scratch[o++] = '\0';
		w->q[w->nq].value = w->scratch + o;
		for (i = eq + 1; i < end; i++) {
			char c = q[i];

			if (c == '=')
				return -EINVAL; /* Azurite would drop it */
			if (c == '+') {
				w->scratch[o++] = ' ';
			} else if (c == '%') {
				int hi;
				int lo;

				if (i + 2 >= end)
					return -EINVAL; /* truncated escape */
				hi = lv_hex_value(q[i + 1]);
				lo = lv_hex_value(q[i + 2]);
				if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
					return -EINVAL;
				w->scratch[o++] = (char)(hi * 16 + lo);
				i += 2;
			} else {
				w->scratch[o++] = c;
			}
		}
		w->scratch[o++] = '\0';
		w->nq++;
	}
	qsort(w->q, w->nq, sizeof(w->q[0]), qparam_cmp);
	return 0;
}

static int xheader_cmp(const void *a, const void *b)
{
	const struct xheader *x = a;
	const struct xheader *y = b;

	return strcmp(x->name, y->name);
}

/* Sort the request's headers into standard slots and x-ms-* entries. */
static int parse_headers(struct sts_work *w, const struct lv_adls_sign_request *req)
{
	size_t i;
	int have_date = 0;
	int have_xms_date = 0;

	if (req->n_headers > 0 && req->headers == NULL)
		return -EINVAL;
	if (req->n_headers > LV_ADLS_SIGN_HEADERS_MAX)
		return -E2BIG;
	for (i = 0; i < req->n_headers; i++) {
		const char *name = req->headers[i].name;
		const char *value = req->headers[i].value;
		char lname[LV_ADLS_SIGN_HEADER_NAME_MAX + 1];
		size_t nlen;
		size_t k;
		size_t vlen;
		int slot = -1;

		if (name == NULL || value == NULL)
			return -EINVAL;
		nlen = strlen(name);
		if (nlen == 0)
			return -EINVAL;
		if (nlen > LV_ADLS_SIGN_HEADER_NAME_MAX)
			return -ENAMETOOLONG;
		for (k = 0; k < nlen; k++) {
			if (!is_url_char(name[k]) || name[k] == ':')
				return -EINVAL;
			lname[k] = lower_ascii(name[k]);
		}
		lname[nlen] = '\0';
		for (k = 0; value[k] != '\0'; k++) {
			unsigned char u = (unsigned char)value[k];

			if ((u < 0x20 && u != '\t') || u == 0x7f)
				return -EINVAL;
		}
		while (*value == ' ' || *value == '\t')
			value++;
		vlen = strlen(value);
		while (vlen > 0 && (value[vlen - 1] == ' ' || value[vlen - 1] == '\t'))
			vlen--;

		for (k = 0; k < STD_COUNT; k++)
			if (strcmp(lname, std_header_names[k]) == 0)
				slot = (int)k;
		if (slot >= 0) {
			if (w->std_value[slot] != NULL)
				return -EINVAL; /* given twice */
			w->std_value[slot] = value;
			w->std_len[slot] = vlen;
			if (slot == STD_DATE)
				have_date = 1;
			continue;
		}
		if (strncmp(lname, "x-ms-", 5) != 0)
			continue; /* not signed */
		for (k = 0; k < w->nx; k++)
			if (strcmp(w->x[k].name, lname) == 0)
				return -EINVAL; /* given twice */
		memcpy(w->x[w->nx].name, lname, nlen + 1);
		w->x[w->nx].value = value;
		w->x[w->nx].value_len = vlen;
		w->nx++;
		if (strcmp(lname, "x-ms-date") == 0)
			have_xms_date = 1;
	}
	if (have_date && have_xms_date)
		return -EINVAL;
	if (w->std_value[STD_CONTENT_LENGTH] != NULL) {
		const char *v = w->std_value[STD_CONTENT_LENGTH];
		size_t vl = w->std_len[STD_CONTENT_LENGTH];
		unsigned long long n = 0;

		if (vl == 0 || vl > 20)
			return -EINVAL;
		for (i = 0; i < vl; i++) {
			unsigned d;

			if (v[i] < '0' || v[i] > '9')
				return -EINVAL;
			d = (unsigned)(v[i] - '0');
			if (n > (UINT64_MAX - d) / 10)
				return -EINVAL;
			n = n * 10 + d;
		}
		if (n != req->content_length)
			return -EINVAL;
	}
	qsort(w->x, w->nx, sizeof(w->x[0]), xheader_cmp);
	return 0;
}

static int check_method(const char *m)
{
	size_t i;

	if (m == NULL || m[0] == '\0')
		return -EINVAL;
	for (i = 0; m[i] != '\0'; i++) {
		if (i >= METHOD_MAX || m[i] < 'A' || m[i] > 'Z')
			return -EINVAL;
	}
	return 0;
}

static int sts_build(const char *account, const struct lv_adls_sign_request *req,
		     char *out, size_t out_size)
{
	struct sts_work *w = NULL;
	struct lv_buf s;
	const char *path = NULL;
	const char *query = NULL;
	size_t path_len = 0;
	size_t query_len = 0;
	size_t i;
	int rc;

	if (out != NULL && out_size > 0)
		out[0] = '\0';
	if (req == NULL || out == NULL || req->url == NULL)
		return -EINVAL;
	rc = check_account(account);
	if (rc != 0)
		return rc;
	rc = check_method(req->method);
	if (rc != 0)
		return rc;
	rc = url_split(req->url, &path, &path_len, &query, &query_len);
	if (rc != 0)
		return rc;

	lv_buf_init(&s, out_size ? out_size - 1 : 0);
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	rc = parse_headers(w, req);
	if (rc != 0)
		goto out;
	rc = parse_query(w, query, query_len);
	if (rc != 0)
		goto out;

	adds(&s, &rc, req->method);
	adds(&s, &rc, "\n");
	for (i = 0; i < STD_COUNT; i++) {
		if (i == STD_CONTENT_LENGTH) {
			char num[24];
			int n;

			/* empty for a zero-length body (2015-02-21 and later) */
			if (req->content_length > 0) {
				n = snprintf(num, sizeof(num), "%llu",
					     (unsigned long long)req->content_length);
				if (n < 0 || (size_t)n >= sizeof(num)) {
					rc = -EINVAL;
					goto out;
				}
				add(&s, &rc, num, (size_t)n);
			}
		} else if (w->std_value[i] != NULL) {
			add(&s, &rc, w->std_value[i], w->std_len[i]);
		}
		adds(&s, &rc, "\n");
	}
	for (i = 0; i < w->nx; i++) {
		adds(&s, &rc, w->x[i].name);
		adds(&s, &rc, ":");
		add(&s, &rc, w->x[i].value, w->x[i].value_len);
		adds(&s, &rc, "\n");
	}
	adds(&s, &rc, "/");
	adds(&s, &rc, account);
	if (path_len == 0)
		adds(&s, &rc, "/");
	else
		add(&s, &rc, path, path_len);
	for (i = 0; i < w->nq; i++) {
		if (i > 0 && strcmp(w->q[i].name, w->q[i - 1].name) == 0) {
			adds(&s, &rc, ",");
		} else {
			adds(&s, &rc, "\n");
			adds(&s, &rc, w->q[i].name);
			adds(&s, &rc, ":");
		}
		adds(&s, &rc, w->q[i].value);
	}
out:
	rc = lv_codec_copy_out(&s, rc, out, out_size);
	lv_buf_free(&s);
	free(w);
	return rc;
}

int lv_adls_sign_string_to_sign(const char *account,
				 const struct lv_adls_sign_request *req,
				 char *out, size_t out_size)
{
	return sign_err(sts_build(account, req, out, out_size), "string-to-sign");
}

/* base64(HMAC-SHA256(key, msg)) into a MAC_B64_SIZE buffer. */
static int hmac_b64(const struct lv_adls_sign_key *key, const char *msg,
		    char *sig, size_t sig_size)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	int rc;

	if (key->key_len == 0 || key->key_len > sizeof(key->key))
		return -EINVAL;
	if (HMAC(EVP_sha256(), key->key, (int)key->key_len,
		 (const unsigned char *)msg, strlen(msg), mac, &mac_len) == NULL ||
	    mac_len != 32) {
		rc = -EIO;
		goto out;
	}
	rc = lv_base64_encode(mac, mac_len, sig, sig_size);
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

static int shared_key(const struct lv_adls_sign_key *key,
		      const struct lv_adls_sign_request *req, char *out,
		      size_t out_size)
{
	char *sts = NULL;
	char sig[MAC_B64_SIZE];
	int rc;
	int n;

	if (out != NULL && out_size > 0)
		out[0] = '\0';
	if (key == NULL || req == NULL || out == NULL)
		return -EINVAL;
	sts = malloc(LV_ADLS_SIGN_STS_MAX);
	if (sts == NULL)
		return -ENOMEM;
	rc = sts_build(key->account, req, sts, LV_ADLS_SIGN_STS_MAX);
	if (rc == -ERANGE)
		rc = -ENAMETOOLONG;
	if (rc != 0)
		goto out;
	rc = hmac_b64(key, sts, sig, sizeof(sig));
	if (rc != 0)
		goto out;
	n = snprintf(out, out_size, "SharedKey %s:%s", key->account, sig);
	if (n < 0 || (size_t)n >= out_size)
		rc = -ERANGE;
out:
	free(sts);
	if (rc != 0 && out_size > 0)
		out[0] = '\0';
	return rc;
}

int lv_adls_sign_shared_key(const struct lv_adls_sign_key *key,
			    const struct lv_adls_sign_request *req,
			    char *out, size_t out_size)
{
	return sign_err(shared_key(key, req, out, out_size), "Shared Key signature");
}

/* ------------------------------------------------------------------ */
/* SAS.                                                                */

static int sas_normalize(const char *raw, size_t raw_len, char *out,
			 size_t out_size)
{
	size_t start = 0;
	size_t end = raw_len;
	size_t i;

	if (out != NULL && out_size > 0)
		out[0] = '\0';
	if (raw == NULL || out == NULL)
		return -EINVAL;
	while (start < end && is_space(raw[start]))
		start++;
	while (end > start && is_space(raw[end - 1]))
		end--;
	if (start < end && raw[start] == '?')
		start++;
	if (start == end)
		return -EINVAL;
	if (end - start > LV_ADLS_SIGN_SAS_MAX)
		return -ENAMETOOLONG;
	for (i = start; i < end; i++)
		if (!is_url_char(raw[i]) || raw[i] == '#')
			return -EINVAL;
	if (find_sig(raw + start, end - start) < 0)
		return -EINVAL;
	if (out_size <= end - start)
		return -ERANGE;
	memcpy(out, raw + start, end - start);
	out[end - start] = '\0';
	return 0;
}

int lv_adls_sign_sas_normalize(const char *raw, size_t raw_len, char *out,
			       size_t out_size)
{
	return sign_err(sas_normalize(raw, raw_len, out, out_size), "SAS token");
}

static int sas_append(const char *url, const char *token, char *out,
		      size_t out_size)
{
	char tok[LV_ADLS_SIGN_SAS_MAX + 1];
	const char *q;
	const char *sep;
	struct lv_buf s;
	size_t ulen;
	int rc;

	if (out != NULL && out_size > 0)
		out[0] = '\0';
	if (url == NULL || token == NULL || out == NULL)
		return -EINVAL;
	ulen = strlen(url);
	if (ulen == 0 || strchr(url, '#') != NULL)
		return -EINVAL;
	q = strchr(url, '?');
	if (q != NULL && find_sig(q + 1, strlen(q + 1)) >= 0)
		return -EEXIST;
	rc = sas_normalize(token, strlen(token), tok, sizeof(tok));
	if (rc != 0)
		return rc;
	if (q == NULL)
		sep = "?";
	else if (url[ulen - 1] == '?' || url[ulen - 1] == '&')
		sep = "";
	else
		sep = "&";
	if (ulen + strlen(sep) + strlen(tok) > LV_ADLS_SIGN_URL_MAX) {
		rc = -ENAMETOOLONG;
		goto out;
	}
	lv_buf_init(&s, out_size ? out_size - 1 : 0);
	add(&s, &rc, url, ulen);
	adds(&s, &rc, sep);
	adds(&s, &rc, tok);
	rc = lv_codec_copy_out(&s, rc, out, out_size);
	if (s.p != NULL)
		OPENSSL_cleanse(s.p, s.cap);  /* it holds the token */
	lv_buf_free(&s);
out:
	OPENSSL_cleanse(tok, sizeof(tok));
	return rc;
}

int lv_adls_sign_sas_append(const char *url, const char *token, char *out,
			    size_t out_size)
{
	return sign_err(sas_append(url, token, out, out_size), "SAS URL");
}

/* ------------------------------------------------------------------ */
/* Redaction.                                                          */

static int redact(const char *url, char *out, size_t out_size)
{
	struct lv_buf s;
	size_t n;
	size_t i = 0;
	int rc = 0;

	if (out != NULL && out_size > 0)
		out[0] = '\0';
	if (url == NULL || out == NULL)
		return -EINVAL;
	n = strlen(url);
	lv_buf_init(&s, out_size ? out_size - 1 : 0);
	while (i < n && rc == 0) {
		int at_param = i == 0 || url[i - 1] == '?' || url[i - 1] == '&';

		if (at_param && n - i >= 4 && strncasecmp(url + i, "sig=", 4) == 0) {
			add(&s, &rc, url + i, 4);
			adds(&s, &rc, "REDACTED");
			i += 4;
			while (i < n && url[i] != '&' && url[i] != '#')
				i++;
			continue;
		}
		add(&s, &rc, url + i, 1);
		i++;
	}
	rc = lv_codec_copy_out(&s, rc, out, out_size);
	lv_buf_free(&s);
	return rc;
}

int lv_adls_sign_redact(const char *url, char *out, size_t out_size)
{
	return sign_err(redact(url, out, out_size), "redacted URL");
}
