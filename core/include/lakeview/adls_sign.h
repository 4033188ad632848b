/*
 * lakeview/adls_sign.h - Azure Storage request signing (Shared Key, SAS).
 *
 * Why this module is shaped this way
 * ----------------------------------
 * The ADLS pusher talks to the Blob REST API (see shared reference
 * adls-blob.md, A1/A2). Every request is authorised either by a Shared Key
 * "Authorization" header or by a SAS token in the query. Signing is the one
 * part of the client where a single wrong byte gives an opaque 403, so it
 * lives alone here, with no I/O (it reads no files: the key or SAS comes
 * in as a string, see lv_secret_load() in oauth.h) and no HTTP library.
 * The encodings it relies on (base64, MD5, percent-encoding) are codec.h's.
 *
 *  - A request is described as plain data (struct lv_adls_sign_request:
 *    method, full URL, header name/value pairs, body length). The client
 *    builds that array once and hands the SAME array to libcurl, so the
 *    signed headers and the sent headers cannot drift apart.
 *  - The string-to-sign is a public function of its own, so tests compare
 *    it byte for byte with the golden vectors and a developer can diff it
 *    against Azurite's debug log ("-d file" prints its StringToSign).
 *  - Canonicalisation follows A1 exactly:
 *      VERB, then the 11 standard headers (Content-Encoding,
 *      Content-Language, Content-Length, Content-MD5, Content-Type, Date,
 *      If-Modified-Since, If-Match, If-None-Match, If-Unmodified-Since,
 *      Range), each on its own line, empty when absent; Content-Length is
 *      the empty string when the body is 0 bytes (versions >= 2015-02-21);
 *      then every x-ms-* header as "name:value\n", name lower-cased, sorted
 *      by byte value, value trimmed; then "/" + account + the URI path
 *      exactly as sent (percent-encoding untouched), then one
 *      "\nname:value" line per query parameter, names lower-cased and
 *      sorted, values URL-decoded, repeated names joined with "," (values
 *      sorted, as the Shared Key page says).
 *    Host-style https://acct.blob.core.windows.net/c/b gives "/acct/c/b";
 *    Azurite's path-style http://127.0.0.1:10000/devstoreaccount1/c/b gives
 *    "/devstoreaccount1/devstoreaccount1/c/b" (account twice). The rule is
 *    the same for both, so no special case exists for Azurite.
 *  - Where Azure, the Azure SDKs and Azurite could disagree, the signer
 *    refuses instead of guessing (-EINVAL): a query value holding a raw '='
 *    (Azurite silently drops such a parameter from its string-to-sign, Azure
 *    does not: percent-encode it, e.g. with lv_url_encode_str()), a
 *    query parameter without '=', a query name needing decoding, a header
 *    given twice, both Date and x-ms-date (A1 says the Date line is then
 *    empty, but Azurite, like the C++ SDK, signs the Date value: tested),
 *    CR/LF in any name or value. In query values '+' decodes to a space
 *    (Azurite does that: tested); our encoder never emits a raw '+', so
 *    this never matters for our own URLs. lakeview sends x-ms-date, never
 *    Date; Date alone is signed in its line.
 *  - No freshness is checked here: Azure refuses a request whose x-ms-date
 *    is more than 15 minutes old, and a request without x-ms-version.
 *    Azurite checks neither, so the client must sign every attempt anew
 *    (including each retry) and always send x-ms-version.
 *  - Block ids are content-derived (base64 of MD5 of the block's bytes), so
 *    re-uploading an unchanged chunk reuses its id and every id of every
 *    blob has the same length (24 characters), which Azure and Azurite both
 *    require within a blob. MD5 here is an identifier and a transport
 *    checksum (Content-MD5), not a security boundary.
 *  - Secrets: the decoded key lives in struct lv_adls_sign_key and is wiped
 *    by lv_adls_sign_key_wipe(). Nothing here prints or logs; use
 *    lv_adls_sign_redact() before any URL reaches a log line.
 *
 * Every buffer has a named ceiling (LV_ADLS_SIGN_*_MAX / *_SIZE below).
 * Functions never block, allocate only bounded work areas, and are
 * thread-safe (no static mutable state; the error detail is per thread).
 *
 * Errors follow the library's contract (lakeview/err.h): every int
 * function returns 0 or a code lv_strerror() names, and on error sets the
 * detail (lv_err_detail()) to what failed and why. The codes:
 *   -EINVAL        malformed or ambiguous input (see above), NULL argument
 *   -ENAMETOOLONG  an input exceeds its named ceiling (URL, account, ...)
 *   -E2BIG         more headers or query parameters than the ceiling
 *   -ERANGE        the caller's output buffer is too small
 *   -ENOMEM        the work area could not be allocated
 *   -EIO           an OpenSSL primitive failed
 * On any error an output string buffer with out_size > 0 is set to "", so a
 * half-written (possibly secret-bearing) string never escapes.
 *
 * Part of liblakeview: uses codec.c, time.c, err.c and libcrypto.
 */
#ifndef LAKEVIEW_ADLS_SIGN_H
#define LAKEVIEW_ADLS_SIGN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lakeview/codec.h"

/**
 * x-ms-version the project pins: GA on Azure, accepted by Azurite 3.35.0
 * (which accepts up to 2025-11-05), >= 2019-12-12 so blocks may reach
 * 4000 MiB, >= 2017-11-09 so Bearer tokens work, and >= 2020-12-06 so the
 * account SAS layout carries the encryption-scope line. Keep it
 * configurable in the client; this is the default.
 */
#define LV_ADLS_SIGN_API_VERSION "2023-11-03"

/** Longest account name accepted (Azure allows 3..24; Azurite custom accounts may be longer). */
#define LV_ADLS_SIGN_ACCOUNT_MAX 64
/** Largest decoded account key in bytes (Azure and Azurite keys are 64). */
#define LV_ADLS_SIGN_KEY_MAX 128
/** Longest request URL in characters. */
#define LV_ADLS_SIGN_URL_MAX 8192
/** Most header pairs in one request description. */
#define LV_ADLS_SIGN_HEADERS_MAX 32
/** Longest header name. */
#define LV_ADLS_SIGN_HEADER_NAME_MAX 128
/** Most query parameters in one URL. */
#define LV_ADLS_SIGN_QUERY_MAX 32
/** Largest string-to-sign lv_adls_sign_shared_key() will build, NUL included. */
#define LV_ADLS_SIGN_STS_MAX 16384
/** Buffer size that always holds a Shared Key Authorization value:
 *  "SharedKey " + account + ":" + 44 base64 chars + NUL. */
#define LV_ADLS_SIGN_AUTH_SIZE (10 + LV_ADLS_SIGN_ACCOUNT_MAX + 1 + 44 + 1)
/** Buffer size for an x-ms-date value ("Tue, 24 Nov 2026 18:50:00 GMT" + NUL). */
#define LV_ADLS_SIGN_DATE_SIZE 30
/** Length of a block id from lv_adls_sign_block_id(): always 24. */
#define LV_ADLS_SIGN_BLOCK_ID_LEN LV_MD5_B64_LEN
/** Buffer size for a block id + NUL. */
#define LV_ADLS_SIGN_BLOCK_ID_SIZE (LV_ADLS_SIGN_BLOCK_ID_LEN + 1)
/** Longest SAS token (after trimming). */
#define LV_ADLS_SIGN_SAS_MAX 4096

/** Account name plus decoded account key. Treat as secret; wipe when done. */
struct lv_adls_sign_key {
	char account[LV_ADLS_SIGN_ACCOUNT_MAX + 1];
	unsigned char key[LV_ADLS_SIGN_KEY_MAX];
	size_t key_len;
};

/** One HTTP request header as it will be sent: "name: value". */
struct lv_adls_sign_header {
	const char *name;
	const char *value;
};

/**
 * A request to sign. Nothing is copied or kept after the call.
 *
 * - method: upper-case HTTP verb as sent ("PUT", "GET", "HEAD", "DELETE", ...).
 * - url: the full URL as sent, e.g.
 *   "http://127.0.0.1:10000/devstoreaccount1/snap/2026/a.csv?comp=block&blockid=..."
 *   (scheme://authority/path?query; a #fragment is ignored).
 * - headers/n_headers: every header that will be sent (standard and x-ms-*);
 *   others (Host, Accept, ...) may be present and are ignored by the signer.
 * - content_length: body length in bytes. A "Content-Length" entry in
 *   headers is optional; when present it must equal this.
 */
struct lv_adls_sign_request {
	const char *method;
	const char *url;
	const struct lv_adls_sign_header *headers;
	size_t n_headers;
	uint64_t content_length;
};

/**
 * Fill a key from an account name and its base64 account key.
 *
 * @param key      key to fill (wiped first).
 * @param account  storage account name: 1..LV_ADLS_SIGN_ACCOUNT_MAX chars of
 *                 [A-Za-z0-9_-] (Azure itself allows only [a-z0-9], 3..24).
 * @param key_b64  the account key as shown by Azure (padded base64, no
 *                 whitespace); surrounding whitespace is NOT stripped.
 * @return 0; -EINVAL for a NULL argument, a bad account name or bad base64
 *         (or an empty key); -ENAMETOOLONG if the account name or the
 *         decoded key is over its ceiling. On error the key is left wiped.
 */
int lv_adls_sign_key_init(struct lv_adls_sign_key *key, const char *account,
			  const char *key_b64);

/**
 * Overwrite the key material (OPENSSL_cleanse) so it does not linger in
 * memory. Safe on NULL and on an already wiped key.
 *
 * @param key  key to wipe.
 */
void lv_adls_sign_key_wipe(struct lv_adls_sign_key *key);

/**
 * Build the Shared Key string-to-sign for a request (for tests, debugging
 * and lv_adls_sign_shared_key()).
 *
 * @param account   account name used in the canonicalized resource.
 * @param req       request description.
 * @param out       receives the NUL-terminated string-to-sign.
 * @param out_size  size of out; lv_adls_sign_shared_key() uses
 *                  LV_ADLS_SIGN_STS_MAX.
 * @return 0; -EINVAL (NULL, method not [A-Z]+, URL without "://", control
 *         characters or spaces in the URL, malformed %-escape or %00 in a
 *         query value, raw '=' in a query value, query parameter without
 *         '=', query name with characters outside [A-Za-z0-9._~-], header
 *         name that is empty or holds ':' / whitespace, CR or LF in a value,
 *         a header given twice (case-insensitively), both Date and
 *         x-ms-date, Content-Length header not equal to content_length);
 *         -ENAMETOOLONG (URL over LV_ADLS_SIGN_URL_MAX, header name over
 *         LV_ADLS_SIGN_HEADER_NAME_MAX, account over LV_ADLS_SIGN_ACCOUNT_MAX);
 *         -E2BIG (over LV_ADLS_SIGN_HEADERS_MAX headers or
 *         LV_ADLS_SIGN_QUERY_MAX query parameters); -ERANGE (out too small);
 *         -ENOMEM.
 */
int lv_adls_sign_string_to_sign(const char *account,
				 const struct lv_adls_sign_request *req,
				 char *out, size_t out_size);

/**
 * Sign a request with Shared Key: writes the Authorization header VALUE,
 * "SharedKey <account>:<base64 HMAC-SHA256(key, string-to-sign)>".
 *
 * @param key       account and decoded key (lv_adls_sign_key_init()).
 * @param req       request description; see lv_adls_sign_string_to_sign().
 * @param out       receives the value; LV_ADLS_SIGN_AUTH_SIZE always suffices.
 * @param out_size  size of out.
 * @return 0; the errors of lv_adls_sign_string_to_sign() except that a
 *         string-to-sign over LV_ADLS_SIGN_STS_MAX gives -ENAMETOOLONG;
 *         -ERANGE if out is too small; -EINVAL for an empty key; -EIO if
 *         HMAC fails; -ENOMEM.
 */
int lv_adls_sign_shared_key(const struct lv_adls_sign_key *key,
			    const struct lv_adls_sign_request *req,
			    char *out, size_t out_size);

/**
 * Format a time as an RFC 1123 x-ms-date value, always in English and GMT
 * regardless of locale: "Tue, 24 Nov 2026 18:50:00 GMT".
 *
 * @param t         seconds since the epoch (UTC).
 * @param out       receives 29 characters + NUL.
 * @param out_size  at least LV_ADLS_SIGN_DATE_SIZE.
 * @return 0; -EINVAL (NULL out); -ERANGE (out too small); -EOVERFLOW (the
 *         year is outside 0..9999 or gmtime_r failed).
 */
int lv_adls_sign_date(time_t t, char *out, size_t out_size);

/**
 * Content-derived Put Block id: base64(MD5(data)), always
 * LV_ADLS_SIGN_BLOCK_ID_LEN characters, so all ids of a blob have the same
 * length and an unchanged chunk keeps its id. The id contains '+', '/' and
 * '=': percent-encode it (lv_url_encode_str()) for the blockid query
 * parameter; use it raw inside the <BlockList> XML body.
 *
 * @param data      block bytes (may be NULL when len is 0).
 * @param len       number of bytes.
 * @param out       receives the id + NUL.
 * @param out_size  at least LV_ADLS_SIGN_BLOCK_ID_SIZE.
 * @return as lv_md5_base64() (codec.h).
 */
int lv_adls_sign_block_id(const void *data, size_t len, char *out,
			  size_t out_size);

/**
 * Normalise a SAS token as read from a file or the environment: strip
 * surrounding whitespace (space, tab, CR, LF, VT, FF) and one leading '?'.
 *
 * @param raw       token text (need not be NUL-terminated).
 * @param raw_len   length of raw.
 * @param out       receives the token + NUL.
 * @param out_size  size of out.
 * @return 0; -EINVAL (NULL, empty token, whitespace/control characters or
 *         '#' inside it, or no "sig=" parameter); -ENAMETOOLONG (token over
 *         LV_ADLS_SIGN_SAS_MAX); -ERANGE (out too small).
 */
int lv_adls_sign_sas_normalize(const char *raw, size_t raw_len, char *out,
			       size_t out_size);

/**
 * Append a SAS token to a URL: "?token" when the URL has no query,
 * "&token" when it has one, and just "token" when it already ends in '?'
 * or '&'. The token is normalised first (lv_adls_sign_sas_normalize()).
 *
 * @param url       request URL without a fragment.
 * @param token     raw SAS token (leading '?' and whitespace allowed).
 * @param out       receives the URL + NUL.
 * @param out_size  size of out.
 * @return 0; -EINVAL (NULL, bad token, '#' in the URL); -EEXIST (the URL
 *         already carries a sig= parameter); -ENAMETOOLONG (result over
 *         LV_ADLS_SIGN_URL_MAX); -ERANGE (out too small).
 */
int lv_adls_sign_sas_append(const char *url, const char *token, char *out,
			    size_t out_size);

/**
 * Copy a URL (or a bare SAS token) for logging with the value of every
 * "sig" parameter replaced by REDACTED. A parameter counts when "sig="
 * (any case) starts the string or follows '?' or '&'; its value runs to
 * the next '&' or '#'.
 *
 * @param url       URL or token.
 * @param out       receives the redacted copy + NUL.
 * @param out_size  size of out.
 * @return 0; -EINVAL (NULL); -ERANGE (out too small; out is then "", never
 *         a truncated copy that might still hold part of a secret).
 */
int lv_adls_sign_redact(const char *url, char *out, size_t out_size);

#endif /* LAKEVIEW_ADLS_SIGN_H */
