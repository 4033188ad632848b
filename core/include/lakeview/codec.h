/**
 * @file codec.h
 * @brief Byte-to-text encodings: base64, MD5 as base64, hex digits and
 *        percent-encoding (URLs, forms).
 *
 * Caveats first: these know nothing of HTTP or Azure; they are the one
 * copy of each encoding the remote clients (signer, Blob client, OAuth
 * form) share. Fixed-buffer functions never write a partial result: on an
 * error an output with out_size > 0 is set to "". They never block and
 * keep no state (thread-safe).
 *
 * Errors are negative errno codes (lv_strerror() names them):
 *   -EINVAL  a NULL argument or malformed input
 *   -ERANGE  the caller's output buffer is too small
 *   -EIO     OpenSSL refused MD5 (e.g. a FIPS-only provider)
 * The lv_buf functions return lv_buf's codes (LV_ETOOBIG, -ENOMEM).
 */
#ifndef LAKEVIEW_CODEC_H
#define LAKEVIEW_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "lakeview/buf.h"

/** Length of base64(MD5): always 24. */
#define LV_MD5_B64_LEN 24
/** Buffer size for base64(MD5) + NUL. */
#define LV_MD5_B64_SIZE (LV_MD5_B64_LEN + 1)

/**
 * Base64-encode bytes (RFC 4648, standard alphabet, with '=' padding).
 *
 * @param in        bytes (may be NULL when in_len is 0).
 * @param in_len    number of bytes.
 * @param out       receives 4*ceil(in_len/3) characters + NUL.
 * @param out_size  size of out.
 * @return 0; -EINVAL (NULL); -ERANGE (out too small).
 */
int lv_base64_encode(const void *in, size_t in_len, char *out, size_t out_size);

/**
 * Decode padded standard base64 (RFC 4648). Strict: the length must be a
 * multiple of 4, '=' only as final padding, no whitespace, and the unused
 * bits of the last group must be zero (canonical encoding).
 *
 * @param in        NUL-terminated base64 text.
 * @param out       receives the bytes (not NUL-terminated).
 * @param out_size  capacity of out in bytes.
 * @param out_len   receives the number of bytes written.
 * @return 0; -EINVAL (NULL, malformed input); -ERANGE (out too small).
 */
int lv_base64_decode(const char *in, unsigned char *out, size_t out_size,
		     size_t *out_len);

/**
 * MD5 of bytes, base64-encoded: the value of a Content-MD5 header. MD5 is
 * an identifier and a transport checksum here, not a security boundary.
 *
 * @param data      bytes (may be NULL when len is 0).
 * @param len       number of bytes.
 * @param out       receives LV_MD5_B64_LEN chars + NUL.
 * @param out_size  at least LV_MD5_B64_SIZE.
 * @return 0; -EINVAL (NULL); -ERANGE (out too small); -EIO (OpenSSL).
 */
int lv_md5_base64(const void *data, size_t len, char *out, size_t out_size);

/** Value of one hex digit (either case), or -1 when @p c is none. */
static inline int lv_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/**
 * Append @p in percent-encoded to @p b: every byte except the RFC 3986
 * unreserved set [A-Za-z0-9-._~] (and '/' when @p keep_slash is non-zero,
 * for blob paths) becomes %XX with upper-case hex. This is the encoding of
 * URL paths, query values and application/x-www-form-urlencoded values.
 *
 * @return 0; LV_ETOOBIG (b's ceiling); -ENOMEM. On error @p b keeps what
 *         was appended before the failing byte.
 */
int lv_url_encode(struct lv_buf *b, const char *in, int keep_slash)
	__attribute__((warn_unused_result));

/**
 * lv_url_encode() into a fixed buffer.
 *
 * @param in          NUL-terminated input.
 * @param keep_slash  non-zero to leave '/' as is.
 * @param out         receives the encoded string + NUL.
 * @param out_size    size of out (3*strlen(in)+1 always suffices).
 * @return 0; -EINVAL (NULL); -ERANGE (out too small); -ENOMEM.
 */
int lv_url_encode_str(const char *in, int keep_slash, char *out,
		      size_t out_size);

/**
 * Copy the content of @p b into @p out (the last step of building a
 * string with struct lv_buf for a fixed-size output).
 *
 * @param rc  the result of building @p b: when non-zero it is returned
 *            (LV_ETOOBIG as -ERANGE) and @p out is set to "".
 * @return 0; -ERANGE (out too small); @p rc.
 */
int lv_codec_copy_out(const struct lv_buf *b, int rc, char *out,
		      size_t out_size);

/**
 * Parse the GUID text @p s (@p n bytes, `8-4-4-4-12` hex digits, either
 * case) into its 16 bytes in text order.
 * @return 0, or -1 when @p s is not a GUID.
 */
int lv_guid_parse(const char *s, size_t n, uint8_t id[16]);

/** Format 16 GUID bytes as lower-case `8-4-4-4-12` text (36 chars + NUL). */
void lv_guid_format(const uint8_t id[16], char out[37]);

/**
 * Parse the decimal integer text @p s (@p n bytes: an optional '-', then
 * digits, nothing else) into *@p out, checking it fits a signed integer
 * of @p bits bits (32 or 64).
 * @return 0; LV_EBADVALUE when @p s is not such a text; LV_ETOOBIG when
 *         it is, but outside the range.
 */
int lv_int_parse(const char *s, size_t n, int bits, int64_t *out);

#endif
