/**
 * @file adls.h
 * @brief Azure Blob REST client (works on ADLS Gen2 accounts and Azurite).
 *        The push of a store's lake to its container is lakeview/push.h.
 *
 * Caveats first:
 *  - Every request is signed anew on every try (Shared Key dates expire
 *    after 15 minutes), carries x-ms-version LV_ADLS_SIGN_API_VERSION and
 *    Content-MD5 on uploads; CRC64 is never sent (Azurite answers 500).
 *  - Retries: transport errors, 408, 429, 500, 502, 503, 504 with full
 *    jitter backoff, honouring Retry-After; other 4xx fail at once.
 *  - Secrets (account key, SAS, client secret) never reach logs or error
 *    texts: URLs are redacted (sig=REDACTED) before they are quoted.
 */
#ifndef LAKEVIEW_ADLS_H
#define LAKEVIEW_ADLS_H

#include <stddef.h>
#include <stdint.h>

#include "lakeview/http.h"
#include "lakeview/store.h"

/** How to reach the storage account (what `lakectl link --adls-…` gets). */
struct lv_adls_conf {
	const char *url;          /**< https://acct.blob.core.windows.net, or
				       an endpoint with the account in the
				       path (Azurite) */
	const char *account;
	const char *key;          /**< base64 account key (Shared Key) */
	const char *sas;          /**< SAS token (instead of a key) */
	const char *tenant_id;    /**< OAuth (instead of key or SAS) */
	const char *client_id;
	const char *secret;
	const char *token_url;    /**< NULL: login.microsoftonline.com */
	const char *ca_file;
	unsigned retry_base_ms;   /**< 0: 1000 */
	unsigned retry_tries;     /**< 0: 8 */
};

struct lv_adls;

int lv_adls_new(const struct lv_adls_conf *c, struct lv_adls **out)
	__attribute__((warn_unused_result));
/**
 * Connect with the sink saved in lakeview.conf; secrets come from the
 * files named there or $LAKEVIEW_ADLS_KEY / $LAKEVIEW_ADLS_SAS /
 * $LAKEVIEW_ADLS_CLIENT_SECRET. @return 0; LV_ECONF when no sink is linked.
 */
int lv_adls_from_store(struct lv_store *st, struct lv_adls **out)
	__attribute__((warn_unused_result));
void lv_adls_free(struct lv_adls *a);

/** The lake URL for a sink: https://acct.dfs.core.windows.net/<container>
 *  for Azure account URLs, <url>/<container> otherwise. */
int lv_adls_lake_url(const char *url, const char *account,
		     const char *container, char *out, size_t len);

/** Request body bytes sent by this client so far. */
uint64_t lv_adls_bytes_sent(const struct lv_adls *a);

/**
 * Make sure @p container exists and is ours: created when missing (with
 * our marker in its metadata); an existing one must carry the marker, be
 * empty, or @p adopt must be set. @return 0; -EEXIST (foreign content,
 * detail says how to proceed); LV_EAUTH; LV_EREMOTE; LV_ETRANSPORT.
 */
int lv_adls_container_claim(struct lv_adls *a, const char *container,
			    int adopt) __attribute__((warn_unused_result));

/** Does @p container exist? @return 1, 0, or a negative code. */
int lv_adls_container_exists(struct lv_adls *a, const char *container);

/** Delete @p container and everything in it. */
int lv_adls_container_delete(struct lv_adls *a, const char *container)
	__attribute__((warn_unused_result));

/**
 * Call @p fn with the name of every blob in @p container (under @p prefix
 * when not NULL), following continuation markers. A non-zero return of
 * @p fn stops the listing and is returned.
 */
int lv_adls_list(struct lv_adls *a, const char *container, const char *prefix,
		 int (*fn)(void *arg, const char *name, const char *etag), void *arg);

#endif
