/**
 * @file http.h
 * @brief A small HTTPS client on libcurl, shared by the Dataverse source
 *        and the ADLS sink.
 *
 * Caveats first:
 *  - TLS is verified by default (peer and host name). A private CA is
 *    given with a CA file; there is no switch to turn verification off.
 *  - Response bodies are buffered whole, up to a ceiling the caller names:
 *    a larger body fails with LV_ETOOBIG instead of growing memory.
 *  - One struct lv_http is one connection cache (curl easy handle): reuse
 *    it for every request to a host; use it from one thread at a time.
 *  - Requests block, at most for the timeout given at creation.
 *  - The library never logs headers: Authorization values cannot leak
 *    through it.
 *  - Plain http:// is for loopback only (lv_http_url_check()): a bearer
 *    token or a client secret never travels in clear over a network.
 *  - A cancel flag (lv_http_set_cancel()) ends a request in flight and a
 *    backoff sleep within a tenth of a second: a signal handler sets it.
 */
#ifndef LAKEVIEW_HTTP_H
#define LAKEVIEW_HTTP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "lakeview/buf.h"

struct lv_http;

struct lv_http_opts {
	const char *ca_file;   /**< PEM bundle of trusted CAs, or NULL */
	long timeout;          /**< seconds for a whole request (0: 300) */
	long connect_timeout;  /**< seconds to connect (0: 30) */
};

struct lv_http_resp {
	long status;           /**< HTTP status, 0 when none came */
	long retry_after;      /**< Retry-After seconds, -1 when absent */
	struct lv_buf body;    /**< the body (bounded) */
	char error[256];       /**< transport error text */
	size_t sent;           /**< request body bytes sent */
	char etag[128];        /**< ETag header, if any */
	const char *want;      /**< one more header to capture (name), or NULL */
	char got[256];         /**< its value */
};

/** Create a client. @return 0 or -ENOMEM. */
int lv_http_new(const struct lv_http_opts *opts, struct lv_http **out);
/** Free a client and its connections. */
void lv_http_free(struct lv_http *h);

/** Set up @p r for a response body of at most @p max bytes. */
void lv_http_resp_init(struct lv_http_resp *r, size_t max);
/** Free the response body. */
void lv_http_resp_free(struct lv_http_resp *r);

/**
 * Watch @p flag (set by a signal handler, or NULL for none): once it is
 * non-zero, a request in flight ends with -ECANCELED.
 */
void lv_http_set_cancel(struct lv_http *h, const volatile sig_atomic_t *flag);

/**
 * Check that @p url (what the user calls @p what, e.g. "Dataverse URL")
 * is https://, or http:// to a loopback host (127.0.0.0/8, [::1],
 * localhost) such as a local stand-in or Azurite. Sends nothing.
 * @return 0, or -EINVAL with a one-line detail that says to use https.
 */
int lv_http_url_check(const char *what, const char *url)
	__attribute__((warn_unused_result));

/**
 * Send one request.
 * @param method   "GET", "POST", "PUT", "DELETE", "HEAD"
 * @param url      absolute http(s) URL
 * @param headers  NULL-terminated "Name: value" strings, or NULL
 * @param body     request body (may be NULL with @p len 0)
 * @return 0 when a response arrived (whatever its status: see r->status);
 *         LV_ETRANSPORT with r->error set when none did (connection
 *         refused or dropped, TLS failure, timeout); LV_ETOOBIG when the
 *         body passed its ceiling; -EINVAL with r->error set when the
 *         URL can never work (malformed, control characters); -ECANCELED
 *         when the cancel flag was set; -ENOMEM.
 */
int lv_http_request(struct lv_http *h, const char *method, const char *url,
		    const char *const *headers, const void *body, size_t len,
		    struct lv_http_resp *r) __attribute__((warn_unused_result));

/** How a client retries: one policy for the Dataverse and Blob clients. */
struct lv_http_retry {
	unsigned base_ms;      /**< first backoff step in ms */
	unsigned tries;        /**< attempts in all, the first one included */
	unsigned seed;         /**< rand_r state of the jitter */
	const volatile sig_atomic_t *cancel; /**< wakes a backoff; NULL: none */
};

/**
 * Set up a remote client the one way both remote clients do: a connection
 * (lv_http_new()) trusting @p ca_file (or the system CAs when NULL), with a
 * whole-request timeout of @p timeout seconds and a 30 s connect timeout;
 * and its retry policy: @p base_ms (0: 1000) and @p tries (0: 8), with a
 * fresh jitter seed and no cancel flag. @return 0 or -ENOMEM (nothing to
 * free then).
 */
int lv_http_client_init(const char *ca_file, long timeout, unsigned base_ms,
			unsigned tries, struct lv_http **h,
			struct lv_http_retry *retry)
	__attribute__((warn_unused_result));

/** Is HTTP @p status worth another try: 408, 429, 500, 502, 503, 504? */
int lv_http_retryable(long status);

/**
 * Sleep before retry @p attempt (0-based): @p retry_after seconds when the
 * server said (>= 0), else full jitter: a random time up to
 * min(60 s, r->base_ms * 2^attempt), drawn from r->seed. The sleep ends
 * early when r->cancel is set. @return 0, or -ECANCELED.
 */
int lv_http_backoff(struct lv_http_retry *r, unsigned attempt, long retry_after)
	__attribute__((warn_unused_result));

/**
 * The one retry decision of every remote client: after attempt @p attempt
 * (0-based) ended with @p rc from lv_http_request() and response @p resp,
 * is another try worth it? Transport errors, 408, 429 and 5xx are, while
 * tries are left; the sleep honours Retry-After when the server sent it.
 * A client with a bearer token passes @p renew (0 at first): the first 401
 * sets it to 1 (fetch a new token, forced) and is tried again at once;
 * the caller sets 2 once it has renewed. NULL: no token to renew.
 * @return 1 (try again, after the sleep); 0 (give up: report rc/resp);
 *         -ECANCELED when the cancel flag ended the sleep.
 * May block for the backoff (up to an hour for a Retry-After).
 */
int lv_http_retry_wait(struct lv_http_retry *r, unsigned attempt, int rc,
		       const struct lv_http_resp *resp, int *renew)
	__attribute__((warn_unused_result));

/**
 * Detects a server that sends the same paging link or marker again: a
 * ring of hashes of the last LV_HTTP_LOOP_RING values seen.
 */
#define LV_HTTP_LOOP_RING 64
struct lv_http_loop {
	uint64_t seen[LV_HTTP_LOOP_RING];
	unsigned n;
};

/**
 * Remember @p s (@p len bytes) in @p l. @return 1 when it was among the
 * last LV_HTTP_LOOP_RING values already (a loop), else 0.
 */
int lv_http_loop_seen(struct lv_http_loop *l, const char *s, size_t len);

#endif
