/**
 * @file dataverse.h
 * @brief The Dataverse source: Web API metadata and change-tracked sync.
 *
 * Caveats first:
 *  - Every request carries Authorization: Bearer, OData-Version 4.0,
 *    OData-MaxVersion 4.0 and Accept: application/json; tracked queries
 *    add Prefer: odata.track-changes,odata.maxpagesize=N and never use
 *    $filter, $orderby, $expand or $top (Dataverse refuses them).
 *  - nextLink and deltaLink URLs are followed verbatim, and only when they
 *    point at the environment's own host: a link to another host is an
 *    error (it would receive our bearer token).
 *  - Memory per page is bounded: a page body larger than LV_DV_PAGE_MAX
 *    is refused (lower the page size); bodies are not stream-parsed.
 *  - Retries: 429 waits Retry-After; 408, 500, 502, 503, 504 and transport
 *    errors back off exponentially with full jitter (base 1 s, cap 60 s,
 *    bounded tries); a 401 renews the token once; any other 4xx fails.
 *  - A sync commits each page together with the paging or delta state in
 *    one transaction: killed at any moment, it resumes from the last page
 *    it committed, never losing or repeating a change.
 *  - A server that keeps paging (a link already followed, or more than 256
 *    pages in a row without rows) fails the table; so does a link that can
 *    never be fetched (control characters, spaces), before it is stored.
 *  - URLs are https://, or http:// to a loopback host only.
 */
#ifndef LAKEVIEW_DATAVERSE_H
#define LAKEVIEW_DATAVERSE_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "lakeview/store.h"

#define LV_DV_PAGE_MAX ((size_t)256 << 20)

/** How to reach an environment (what `lakectl link` is given). */
struct lv_dv_conf {
	const char *url;          /**< https://org.crm.dynamics.com */
	const char *tenant_id;
	const char *client_id;
	const char *secret;       /**< the client secret itself */
	const char *token_url;    /**< NULL: login.microsoftonline.com/<tenant> */
	const char *ca_file;      /**< NULL: the system's CAs */
	unsigned page_size;       /**< 0: 5000 */
	unsigned retry_base_ms;   /**< 0: 1000 */
	unsigned retry_tries;     /**< 0: 8 */
};

struct lv_dv;

/**
 * Connect (nothing is sent yet). @return 0, -ENOMEM, -EINVAL (a URL that
 * is not https:// nor http:// to loopback; the detail says so).
 */
int lv_dv_new(const struct lv_dv_conf *conf, struct lv_dv **out)
	__attribute__((warn_unused_result));

/**
 * Connect with the link saved in a store's lakeview.conf; the secret comes
 * from the configured secret file or $LAKEVIEW_CLIENT_SECRET.
 * @return 0; LV_ECONF when the store has no source linked.
 */
int lv_dv_from_store(struct lv_store *st, struct lv_dv **out)
	__attribute__((warn_unused_result));

void lv_dv_free(struct lv_dv *dv);

/**
 * Watch @p flag (set by a signal handler; NULL: none). Once it is set, a
 * sync stops at its next commit point: a request or backoff in flight
 * ends within a tenth of a second, and no further page is fetched.
 */
void lv_dv_set_cancel(struct lv_dv *dv, const volatile sig_atomic_t *flag);

/** What the clients of one org in one process share (lv_dv_share()). */
struct lv_dv_shared {
	pthread_mutex_t writer;   /**< held around every store write */
	pthread_mutex_t mu;       /**< guards pause_ms */
	int64_t pause_ms;         /**< CLOCK_MONOTONIC ms no request starts before */
};

#define LV_DV_SHARED_INIT { PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, 0 }

/**
 * Caveat: one lv_dv per thread (its connection and token are its own);
 * several threads may sync different tables of one store at once only if
 * their clients all share @p sh here.
 *
 * Every write this client makes to the store (each page's batch with its
 * link, state changes, a table's failure) then holds sh->writer, so tables
 * fetched by several threads are committed by one at a time: the store has
 * one writer. Fetching and parsing a page happen outside it. And a 429
 * with Retry-After answered to any of them pauses every request of all of
 * them until then: Dataverse's limits are per user, not per table.
 * NULL (the default): nothing shared, for a single-threaded caller.
 */
void lv_dv_share(struct lv_dv *dv, struct lv_dv_shared *sh);

/** A table of the environment (lv_dv_tables()). */
struct lv_dv_table {
	const char *name;         /**< LogicalName */
	const char *entityset;
	int change_tracking;
};

/**
 * List the environment's tables (EntityDefinitions); with @p tracked only
 * those with change tracking. Calls @p fn for each.
 */
int lv_dv_tables(struct lv_dv *dv, int tracked,
		 int (*fn)(void *arg, const struct lv_dv_table *t), void *arg)
	__attribute__((warn_unused_result));

/**
 * Fetch `EntityDefinitions(LogicalName='x')?$expand=Attributes` (malloc'd).
 * @return 0; LV_EREMOTE with the server's message (unknown table...).
 */
int lv_dv_metadata(struct lv_dv *dv, const char *table, char **json,
		   size_t *len) __attribute__((warn_unused_result));

/** Progress of a sync, reported after each committed page. */
struct lv_sync_progress {
	const char *table;
	uint64_t rows;            /**< items fetched in this run */
	uint64_t pages;
	uint64_t applied, skipped, deleted;
	int done;                 /**< the delta link was reached */
	int initial;              /**< an initial sync or full resync */
};

typedef void (*lv_progress_fn)(void *arg, const struct lv_sync_progress *p);

/**
 * Bring table @p table up to date: resume the initial sync or follow the
 * delta link, page by page, a commit per page. On an expired delta token
 * or a schema change, a full resync (rows the new full read lacks are
 * deleted). A failure marks the table Failed with the reason in its
 * status (and returns the error); committed data stays. A stop by the
 * cancel flag returns -ECANCELED and leaves the status as it was.
 */
int lv_dv_sync_table(struct lv_dv *dv, struct lv_store *st, const char *table,
		     lv_progress_fn progress, void *arg)
	__attribute__((warn_unused_result));

#endif
