/*
 * adls_sign.c - Azure Storage Shared Key / SAS signing and encoders.
 * See lakeview/adls_sign.h for why it is shaped this way.
 */
#include "lakeview/adls_sign.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

/* Longest HTTP method we accept ("OPTIONS" is 7). */
#define METHOD_MAX 16
/* Base64 of a SHA-256 MAC is 44 characters. */
#define MAC_B64_SIZE 45
/* A SAS file may hold this much, whitespace around the token included. */
#define SAS_FILE_MAX (2 * LV_ADLS_SIGN_SAS_MAX)
/* Account SAS versions start here (the account SAS was added in 2015-04-05). */
#define ACCOUNT_SAS_MIN_VERSION "2015-04-05"
/* From this version on the account SAS string carries the encryption scope. */
#define ACCOUNT_SAS_SCOPE_VERSION "2020-12-06"

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

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static const char hex_upper[] = "0123456789ABCDEF";

/* ------------------------------------------------------------------ */
/* Bounded string builder: the first overflow sticks as -ERANGE.       */

struct sbuf {
	char *buf;
	size_t size;
	size_t len;
	int err;
};

static void sb_init(struct sbuf *s, char *buf, size_t size)
{
	s->buf = buf;
	s->size = size;
	s->len = 0;
	s->err = 0;
	if (size == 0)
		s->err = -ERANGE;
	else
		buf[0] = '\0';
}

static void sb_add(struct sbuf *s, const char *p, size_t n)
{
	if (s->err != 0 || n == 0)
		return;
	if (n >= s->size - s->len) {
		s->err = -ERANGE;
		return;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->buf[s->len] = '\0';
}

static void sb_str(struct sbuf *s, const char *p)
{
	sb_add(s, p, strlen(p));
}

static void sb_ch(struct sbuf *s, char c)
{
	sb_add(s, &c, 1);
}

/* Percent-encode p[0..n) into the builder (RFC 3986 unreserved kept). */
static void sb_add_encoded(struct sbuf *s, const char *p, size_t n,
			   int keep_slash)
{
	size_t i;

	for (i = 0; i < n && s->err == 0; i++) {
		unsigned char c = (unsigned char)p[i];
		char esc[3];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~' || (keep_slash && c == '/')) {
			sb_ch(s, (char)c);
			continue;
		}
		esc[0] = '%';
		esc[1] = hex_upper[c >> 4];
		esc[2] = hex_upper[c & 0x0f];
		sb_add(s, esc, sizeof(esc));
	}
}

/* Returns the builder's error; on error the output is emptied. */
static int sb_finish(struct sbuf *s)
{
	if (s->err != 0 && s->size > 0)
		s->buf[0] = '\0';
	return s->err;
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

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Visible ASCII, no space: what may appear in a URL or a SAS token. */
static int is_url_char(char c)
{
	unsigned char u = (unsigned char)c;

	return u > 0x20 && u < 0x7f;
}

static int has_control(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char u = (unsigned char)*s;

		if (u < 0x20 || u == 0x7f)
			return 1;
	}
	return 0;
}

static int empty(const char *s)
{
	return s == NULL || s[0] == '\0';
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
/* Base64, MD5, URL encoding.                                          */

int lv_adls_sign_base64_encode(const void *in, size_t in_len, char *out,
			       size_t out_size)
{
	const unsigned char *p = in;
	size_t need;
	size_t i;
	size_t o = 0;

	if (out != NULL && out_size > 0)
		out[0] = '\0';
	if (out == NULL || (in == NULL && in_len > 0))
		return -EINVAL;
	if (in_len > (SIZE_MAX - 1) / 4 * 3 - 3)
		return -ERANGE;
	need = (in_len + 2) / 3 * 4 + 1;
	if (out_size < need)
		return -ERANGE;
	for (i = 0; i + 3 <= in_len; i += 3) {
		unsigned long v = ((unsigned long)p[i] << 16) |
				  ((unsigned long)p[i + 1] << 8) | p[i + 2];

		out[o++] = b64_alphabet[(v >> 18) & 0x3f];
		out[o++] = b64_alphabet[(v >> 12) & 0x3f];
		out[o++] = b64_alphabet[(v >> 6) & 0x3f];
		out[o++] = b64_alphabet[v & 0x3f];
	}
	if (in_len - i == 1) {
		unsigned long v = (unsigned long)p[i] << 16;

		out[o++] = b64_alphabet[(v >> 18) & 0x3f];
		out[o++] = b64_alphabet[(v >> 12) & 0x3f];
		out[o++] = '=';
		out[o++] = '=';
	} else if (in_len - i == 2) {
		unsigned long v = ((unsigned long)p[i] << 16) |
				  ((unsigned long)p[i + 1] << 8);

		out[o++] = b64_alphabet[(v >> 18) & 0x3f];
		out[o++] = b64_alphabet[(v >> 12) & 0x3f];
		out[o++] = b64_alphabet[(v >> 6) & 0x3f];
		out[o++] = '=';
	}
	out[o] = '\0';
	return 0;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int lv_adls_sign_base64_decode(const char *in, unsigned char *out,
			       size_t out_size, size_t *out_len)
{
	size_t n;
	size_t i;
	size_t o = 0;

	if (out_len != NULL)
		*out_len = 0;
	if (in == NULL || out_len == NULL || (out == NULL && out_size > 0))
		return -EINVAL;
	n = strlen(in);
	if (n % 4 != 0)
		return -EINVAL;
	for (i = 0; i < n; i += 4) {
		int v[4];
		int pad = 0;
		int k;
		size_t bytes;
		unsigned long group = 0;

		for (k = 0; k < 4; k++) {
			char c = in[i + (size_t)k];

			if (c == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad > 0)
				return -EINVAL; /* data after '=' */
			v[k] = b64_value(c);
			if (v[k] < 0)
				return -EINVAL;
		}
		group = ((unsigned long)v[0] << 18) | ((unsigned long)v[1] << 12) |
			((unsigned long)v[2] << 6) | (unsigned long)v[3];
		/* canonical: the bits dropped by padding must be zero */
		if ((pad == 1 && (group & 0xff) != 0) ||
		    (pad == 2 && (group & 0xffff) != 0))
			return -EINVAL;
		bytes = 3 - (size_t)pad;
		if (out_size - o < bytes)
			return -ERANGE;
		out[o++] = (unsigned char)(group >> 16);
		if (bytes > 1)
			out[o++] = (unsigned char)(group >> 8);
		if (bytes > 2)
			out[o++] = (unsigned char)group;
	}
	*out_len = o;
	return 0;
}

int lv_adls_sign_md5_base64(const void *data, size_t len, char *out,
			    size_t out_size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	static const char none[1] = "";

	if (out != NULL && out_size > 0)
		out[0] = '\0';
	if (out == NULL || (data == NULL && len > 0))
		return -EINVAL;
	if (out_size < LV_ADLS_SIGN_MD5_B64_SIZE)
		return -ERANGE;
	if (EVP_Digest(data != NULL ? data : none, len, md, &md_len, EVP_md5(),
		       NULL) != 1 ||
	    md_len != 16)
		return -EIO;
	return lv_adls_sign_base64_encode(md, md_len, out, out_size);
}

int lv_adls_sign_block_id(const void *data, size_t len, char *out,
			  size_t out_size)
{
	return lv_adls_sign_md5_base64(data, len, out, out_size);
}

int lv_adls_sign_url_encode(const char *in, int keep_slash, char *out,
			    size_t out_size)
{
	struct sbuf s;

	if (out != NULL && out_size > 0)
		out[0] = '\0';
	if (in == NULL || out == NULL)
		return -EINVAL;
	sb_init(&s, out, out_size);
	sb_add_encoded(&s, in, strlen(in), keep_slash);
	return sb_finish(&s);
}

/* ------------------------------------------------------------------ */
/* Keys and dates.                                                     */

int lv_adls_sign_key_init(struct lv_adls_sign_key *key, const char *account,
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
	rc = lv_adls_sign_base64_decode(key_b64, key->key, sizeof(key->key), &n);
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

void lv_adls_sign_key_wipe(struct lv_adls_sign_key *key)
{
	if (key == NULL)
		return;
	OPENSSL_cleanse(key, sizeof(*key));
}

int lv_adls_sign_date(time_t t, char *out, size_t out_size)
{
	static const char wday[7][4] = { "Sun", "Mon", "Tue", "Wed",
					 "Thu", "Fri", "Sat" };
	static const char mon[12][4] = { "Jan", "Feb", "Mar", "Apr",
					 "May", "Jun", "Jul", "Aug",
					 "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	long year;
	int n;

	if (out != NULL && out_size > 0)
		out[0] = '\0';
	if (out == NULL)
		return -EINVAL;
	if (out_size < LV_ADLS_SIGN_DATE_SIZE)
		return -ERANGE;
	if (gmtime_r(&t, &tm) == NULL)
		return -EOVERFLOW;
	year = (long)tm.tm_year + 1900;
	if (year < 0 || year > 9999 || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11)
		return -EOVERFLOW;
	n = snprintf(out, out_size, "%s, %02d %s %04ld %02d:%02d:%02d GMT",
		     wday[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon], year,
		     tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (n != LV_ADLS_SIGN_DATE_SIZE - 1) {
		out[0] = '\0';
		return -EOVERFLOW;
	}
	return 0;
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
				hi = hex_value(q[i + 1]);
				lo = hex_value(q[i + 2]);
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

int lv_adls_sign_string_to_sign(const char *account,
				 const struct lv_adls_sign_request *req,
				 char *out, size_t out_size)
{
	struct sts_work *w = NULL;
	struct sbuf s;
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

	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	rc = parse_headers(w, req);
	if (rc != 0)
		goto out;
	rc = parse_query(w, query, query_len);
	if (rc != 0)
		goto out;

	sb_init(&s, out, out_size);
	sb_str(&s, req->method);
	sb_ch(&s, '\n');
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
				sb_add(&s, num, (size_t)n);
			}
		} else if (w->std_value[i] != NULL) {
			sb_add(&s, w->std_value[i], w->std_len[i]);
		}
		sb_ch(&s, '\n');
	}
	for (i = 0; i < w->nx; i++) {
		sb_str(&s, w->x[i].name);
		sb_ch(&s, ':');
		sb_add(&s, w->x[i].value, w->x[i].value_len);
		sb_ch(&s, '\n');
	}
	sb_ch(&s, '/');
	sb_str(&s, account);
	if (path_len == 0)
		sb_ch(&s, '/');
	else
		sb_add(&s, path, path_len);
	for (i = 0; i < w->nq; i++) {
		if (i > 0 && strcmp(w->q[i].name, w->q[i - 1].name) == 0) {
			sb_ch(&s, ',');
		} else {
			sb_ch(&s, '\n');
			sb_str(&s, w->q[i].name);
			sb_ch(&s, ':');
		}
		sb_str(&s, w->q[i].value);
	}
	rc = sb_finish(&s);
out:
	free(w);
	if (rc != 0 && out_size > 0)
		out[0] = '\0';
	return rc;
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
	rc = lv_adls_sign_base64_encode(mac, mac_len, sig, sig_size);
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

int lv_adls_sign_shared_key(const struct lv_adls_sign_key *key,
			    const struct lv_adls_sign_request *req,
			    char *out, size_t out_size)
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
	rc = lv_adls_sign_string_to_sign(key->account, req, sts,
					 LV_ADLS_SIGN_STS_MAX);
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

/* ------------------------------------------------------------------ */
/* SAS.                                                                */

int lv_adls_sign_sas_normalize(const char *raw, size_t raw_len, char *out,
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

int lv_adls_sign_sas_load(const char *path, char *out, size_t out_size)
{
	char *buf = NULL;
	size_t len = 0;
	int fd = -1;
	int rc = 0;

	if (out != NULL && out_size > 0)
		out[0] = '\0';
	if (path == NULL || out == NULL)
		return -EINVAL;
	buf = malloc(SAS_FILE_MAX + 1);
	if (buf == NULL)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, buf + len, SAS_FILE_MAX + 1 - len);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > SAS_FILE_MAX) {
			rc = -EFBIG;
			goto out;
		}
	}
	rc = lv_adls_sign_sas_normalize(buf, len, out, out_size);
out:
	if (fd >= 0)
		close(fd);
	OPENSSL_cleanse(buf, SAS_FILE_MAX + 1);
	free(buf);
	return rc;
}

int lv_adls_sign_sas_append(const char *url, const char *token, char *out,
			    size_t out_size)
{
	char tok[LV_ADLS_SIGN_SAS_MAX + 1];
	const char *q;
	const char *sep;
	struct sbuf s;
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
	rc = lv_adls_sign_sas_normalize(token, strlen(token), tok, sizeof(tok));
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
	sb_init(&s, out, out_size);
	sb_add(&s, url, ulen);
	sb_str(&s, sep);
	sb_str(&s, tok);
	rc = sb_finish(&s);
out:
	OPENSSL_cleanse(tok, sizeof(tok));
	return rc;
}

static int check_version(const char *v)
{
	size_t i;

	if (v == NULL || strlen(v) != 10)
		return -EINVAL;
	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			if (v[i] != '-')
				return -EINVAL;
		} else if (v[i] < '0' || v[i] > '9') {
			return -EINVAL;
		}
	}
	return 0;
}

static const char *or_empty(const char *s)
{
	return s != NULL ? s : "";
}

int lv_adls_sign_account_sas_string(const char *account,
				    const struct lv_adls_sign_account_sas *sas,
				    char *out, size_t out_size)
{
	const char *fields[9];
	struct sbuf s;
	size_t i;
	int with_scope;
	int rc;

	if (out != NULL && out_size > 0)
		out[0] = '\0';
	if (sas == NULL || out == NULL)
		return -EINVAL;
	rc = check_account(account);
	if (rc != 0)
		return rc;
	rc = check_version(sas->version);
	if (rc != 0)
		return rc;
	if (strcmp(sas->version, ACCOUNT_SAS_MIN_VERSION) < 0)
		return -EINVAL;
	if (empty(sas->services) || empty(sas->resource_types) ||
	    empty(sas->permissions) || empty(sas->expiry))
		return -EINVAL;
	with_scope = strcmp(sas->version, ACCOUNT_SAS_SCOPE_VERSION) >= 0;
	if (!with_scope && !empty(sas->encryption_scope))
		return -EINVAL;

	/* A1: account\nsp\nss\nsrt\nst\nse\nsip\nspr\nsv\n[encryptionScope\n] */
	fields[0] = sas->permissions;
	fields[1] = sas->services;
	fields[2] = sas->resource_types;
	fields[3] = or_empty(sas->start);
	fields[4] = sas->expiry;
	fields[5] = or_empty(sas->ip);
	fields[6] = or_empty(sas->protocol);
	fields[7] = sas->version;
	fields[8] = or_empty(sas->encryption_scope);
	for (i = 0; i < 9; i++)
		if (has_control(fields[i]))
			return -EINVAL;

	sb_init(&s, out, out_size);
	sb_str(&s, account);
	sb_ch(&s, '\n');
	for (i = 0; i < (with_scope ? 9u : 8u); i++) {
		sb_str(&s, fields[i]);
		sb_ch(&s, '\n');
	}
	return sb_finish(&s);
}

static void sb_param(struct sbuf *s, const char *name, const char *value,
		     int first)
{
	if (empty(value))
		return;
	if (!first)
		sb_ch(s, '&');
	sb_str(s, name);
	sb_ch(s, '=');
	sb_add_encoded(s, value, strlen(value), 0);
}

int lv_adls_sign_account_sas(const struct lv_adls_sign_key *key,
			     const struct lv_adls_sign_account_sas *sas,
			     char *out, size_t out_size)
{
	char *sts = NULL;
	char sig[MAC_B64_SIZE];
	struct sbuf s;
	int rc;

	if (out != NULL && out_size > 0)
		out[0] = '\0';
	if (key == NULL || sas == NULL || out == NULL)
		return -EINVAL;
	sts = malloc(LV_ADLS_SIGN_SAS_MAX);
	if (sts == NULL)
		return -ENOMEM;
	rc = lv_adls_sign_account_sas_string(key->account, sas, sts,
					     LV_ADLS_SIGN_SAS_MAX);
	if (rc == -ERANGE)
		rc = -ENAMETOOLONG;
	if (rc != 0)
		goto out;
	rc = hmac_b64(key, sts, sig, sizeof(sig));
	if (rc != 0)
		goto out;
	sb_init(&s, out, out_size);
	sb_param(&s, "sv", sas->version, 1);
	sb_param(&s, "ss", sas->services, 0);
	sb_param(&s, "srt", sas->resource_types, 0);
	sb_param(&s, "sp", sas->permissions, 0);
	sb_param(&s, "st", sas->start, 0);
	sb_param(&s, "se", sas->expiry, 0);
	sb_param(&s, "sip", sas->ip, 0);
	sb_param(&s, "spr", sas->protocol, 0);
	sb_param(&s, "ses", sas->encryption_scope, 0);
	sb_param(&s, "sig", sig, 0);
	rc = sb_finish(&s);
out:
	free(sts);
	OPENSSL_cleanse(sig, sizeof(sig));
	if (rc != 0 && out_size > 0)
		out[0] = '\0';
	return rc;
}

/* ------------------------------------------------------------------ */
/* Redaction.                                                          */

int lv_adls_sign_redact(const char *url, char *out, size_t out_size)
{
	struct sbuf s;
	size_t n;
	size_t i = 0;

	if (out != NULL && out_size > 0)
		out[0] = '\0';
	if (url == NULL || out == NULL)
		return -EINVAL;
	n = strlen(url);
	sb_init(&s, out, out_size);
	while (i < n && s.err == 0) {
		int at_param = i == 0 || url[i - 1] == '?' || url[i - 1] == '&';

		if (at_param && n - i >= 4 && strncasecmp(url + i, "sig=", 4) == 0) {
			sb_add(&s, url + i, 4);
			sb_str(&s, "REDACTED");
			i += 4;
			while (i < n && url[i] != '&' && url[i] != '#')
				i++;
			continue;
		}
		sb_ch(&s, url[i]);
		i++;
	}
	return sb_finish(&s);
}
