/**
 * @file oauth.h
 * @brief OAuth 2.0 client credentials (Microsoft Entra ID), for Dataverse
 *        and for storage.
 *
 * Caveats first: the client secret is held in memory only, never logged,
 * never put in an error text. A token is cached and renewed before it
 * expires (at 80 % of its lifetime, and at least 60 s early); callers ask
 * for a forced renewal once after a 401.
 */
#ifndef LAKEVIEW_OAUTH_H
#define LAKEVIEW_OAUTH_H

#include <stdint.h>

#include "lakeview/http.h"

/** Longest access token kept (callers size their Authorization value by it). */
#define LV_OAUTH_TOKEN_MAX 16384

/** A token source; opaque, so the client secret never leaves oauth.c. */
struct lv_oauth;

/**
 * Create a token source; copies every string. No request is made yet.
 * @return 0 with *out set, or -ENOMEM.
 */
int lv_oauth_new(const char *token_url, const char *client_id,
		 const char *secret, const char *scope, struct lv_oauth **out)
	__attribute__((warn_unused_result));

/**
 * A second token source with the same credentials and the cached token,
 * for another thread. @return 0 with *out set, or -ENOMEM.
 */
int lv_oauth_dup(const struct lv_oauth *o, struct lv_oauth **out)
	__attribute__((warn_unused_result));

/** Wipe the secret and token, free everything. Safe on NULL. */
void lv_oauth_free(struct lv_oauth *o);

/**
 * A valid access token, fetched when missing, due for renewal or @p force.
 * A fetch is retried by the caller's policy @p retry (lv_http_retry_wait():
 * transport errors, 408, 429 after its Retry-After, 5xx); may block that
 * long. A 400 or 401 fails at once.
 * @return 0 with *token set; LV_EAUTH (credentials or scope refused, the
 *         detail quotes the server's error); LV_ETRANSPORT; LV_EREMOTE
 *         (after the last try); -ECANCELED (retry->cancel was set).
 */
int lv_oauth_token(struct lv_oauth *o, struct lv_http *h,
		   struct lv_http_retry *retry, int force, const char **token)
	__attribute__((warn_unused_result));

/**
 * Read a secret from a file (first line, surrounding white space removed)
 * or, when @p path is NULL, from the environment variable @p env.
 * @return a malloc'd string, or NULL with the detail set for LV_EAUTH
 *         (lv_err_message(LV_EAUTH)).
 */
char *lv_secret_load(const char *path, const char *env);

#endif
