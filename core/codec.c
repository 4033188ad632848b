/*
 * codec.c - base64, MD5-as-base64 and percent-encoding.
 *
 * Why this module: the signer, the Blob client and the OAuth form each
 * need the same few encodings, byte for byte (a signature over one
 * encoding and a request sent with another gives an opaque 403). One copy
 * of each lives here, below every client, and knows no protocol.
 * Percent-encoding appends to a struct lv_buf so its ceiling is the
 * caller's; the fixed-buffer wrappers serve headers and URLs of bounded
 * size.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "lakeview/codec.h"
#include "lakeview/err.h"

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static const char hex_upper[] = "0123456789ABCDEF";

int lv_codec_copy_out(const struct lv_buf *b, int rc, char *out,
		      size_t out_size)
{
	if (out != NULL && out_size > 0)
		out[0] = '\0';
	if (rc == LV_ETOOBIG)
		return -ERANGE;
	if (rc != 0)
		return rc;
	if (out == NULL || b->len >= out_size)
		return -ERANGE;
	if (b->len)
		memcpy(out, b->p, b->len);
	out[b->len] = '\0';
	return 0;
}

int lv_base64_encode(const void *in, size_t in_len, char *out, size_t out_size)
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

/* Value of a base64 digit, or -1 (for '=' and the NUL too). */
static int b64_value(char c)
{
	const char *p = c != '\0' ? strchr(b64_alphabet, c) : NULL;

	return p != NULL ? (int)(p - b64_alphabet) : -1;
}

int lv_base64_decode(const char *in, unsigned char *out, size_t out_size,
		     size_t *out_len)
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

int lv_md5_base64(const void *data, size_t len, char *out, size_t out_size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	static const char none[1] = "";

	if (out != NULL && out_size > 0)
		out[0] = '\0';
	if (out == NULL || (data == NULL && len > 0))
		return -EINVAL;
	if (out_size < LV_MD5_B64_SIZE)
		return -ERANGE;
	if (EVP_Digest(data != NULL ? data : none, len, md, &md_len, EVP_md5(),
		       NULL) != 1 ||
	    md_len != 16)
		return -EIO;
	return lv_base64_encode(md, md_len, out, out_size);
}

int lv_url_encode(struct lv_buf *b, const char *in, int keep_slash)
{
	int rc = 0;

	for (; *in != '\0' && rc == 0; in++) {
		unsigned char c = (unsigned char)*in;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~' || (keep_slash && c == '/')) {
			rc = lv_buf_addc(b, (char)c);
		} else {
			char esc[3] = { '%', hex_upper[c >> 4], hex_upper[c & 0x0f] };

			rc = lv_buf_add(b, esc, sizeof(esc));
		}
	}
	return rc;
}

int lv_url_encode_str(const char *in, int keep_slash, char *out,
		      size_t out_size)
{
	struct lv_buf b;
	int rc;

	if (out != NULL && out_size > 0)
		out[0] = '\0';
	if (in == NULL || out == NULL || out_size == 0)
		return in == NULL || out == NULL ? -EINVAL : -ERANGE;
	lv_buf_init(&b, out_size - 1);
	rc = lv_url_encode(&b, in, keep_slash);
	rc = lv_codec_copy_out(&b, rc, out, out_size);
	lv_buf_free(&b);
	return rc;
}

static const uint8_t hexv[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6,
	['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

int lv_guid_parse(const char *s, size_t n, uint8_t id[16])
{
	static const uint8_t at[16] = { 0, 2, 4, 6, 9, 11, 14, 16, 19, 21,
					24, 26, 28, 30, 32, 34 };
	unsigned bad = 0;

	if (n != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
		return -1;
	for (int i = 0; i < 16; i++) {
		unsigned hi = hexv[(unsigned char)s[at[i]]];
		unsigned lo = hexv[(unsigned char)s[at[i] + 1]];

		bad |= (hi - 1) | (lo - 1);  /* a 0 entry wraps: bit 31 set */
		id[i] = (uint8_t)((hi - 1) << 4 | (lo - 1));
	}
	return bad >> 31 ? -1 : 0;
}

void lv_guid_format(const uint8_t id[16], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	int j = 0;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[j++] = '-';
		out[j++] = hex[id[i] >> 4];
		out[j++] = hex[id[i] & 15];
	}
	out[36] = '\0';
}

int lv_int_parse(const char *s, size_t n, int bits, int64_t *out)
{
	uint64_t v = 0, lim;
	size_t i = 0;
	int neg = 0;

	if (n && s[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i == n)
		return LV_EBADVALUE;
	lim = bits == 32 ? (uint64_t)INT32_MAX : (uint64_t)INT64_MAX;
	lim += (uint64_t)neg;  /* one more below zero */
	for (; i < n; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9)
			return LV_EBADVALUE;
		if (v > (lim - d) / 10)
			return LV_ETOOBIG;
		v = v * 10 + d;
	}
	if (neg)
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		*out = (int64_t)v;
	return 0;
}
