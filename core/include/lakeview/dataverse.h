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
 *    is refused (lower the page size); bodies are not stream-parsed. A
 *    table in sync holds two pages (one fetched while one commits).
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
struct lv_table;

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
	pthread_mutex_t mu;       /**< guards the fields below */
	int64_t pause_ms;         /**< CLOCK_MONOTONIC ms no request starts before */
	int busy;                 /**< tables in flight, kept by the caller */
	int waiting;              /**< of those, told to wait for a place: they
				       go before tables not started yet */
	int limit;                /**< most tables in flight: set by the caller,
				       lowered by a concurrency-limit 429 */
	unsigned lowered;         /**< how many times a 429 lowered it */
};

#define LV_DV_SHARED_INIT { PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, 1, 0 }

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
 * them until then: Dataverse's limits are per user, not per table. A 429
 * for too many concurrent requests (0x80072326) lowers sh->limit to one
 * less than sh->busy (at least 1): the caller starts a table only while
 * busy < limit and no table waits, and a client told so gives its place
 * up (busy - 1, waiting + 1) and waits until busy < limit before it
 * retries with its tries counted afresh, so the org sees fewer tables in
 * flight at once instead of failed ones.
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

/**
 * Count the rows of @p table as Dataverse last counted them
 * (RetrieveTotalRecordCount: a count up to 24 hours old, where `$count`
 * stops at 5,000). @return 0 with *count; an error (the server has no
 * such function, or no count for the table) with *count = -1.
 */
int lv_dv_count(struct lv_dv *dv, const char *table, int64_t *count)
	__attribute__((warn_unused_result));

/** Progress of a sync, reported after each committed page. */
struct lv_sync_progress {
	const char *table;
	uint64_t rows;            /**< items fetched in this run */
	uint64_t pages;
	uint64_t applied, skipped, deleted;
	int done;                 /**< the delta link was reached */
	int initial;              /**< an initial sync or full resync */
	/* of an initial sync or resync, over every run that worked on it: */
	uint64_t read_rows;       /**< items read so far */
	int64_t total;            /**< rows Dataverse counted before it began; -1 unknown */
	double read_secs;         /**< seconds spent paging it */
};

/**
 * Where the initial sync (or full resync) of @p t stands, from its stored
 * sync state: what `lakectl status` shows for a table InProgress.
 * @return 0 and *p filled (table, read_rows, total, read_secs, initial);
 * -ENOENT when no such read is under way.
 */
int lv_sync_progress_of(const struct lv_table *t, struct lv_sync_progress *p);

/**
 * The pace of @p p's read: *rate rows per second of paging (0 before the
 * first page) and *left seconds until the count is reached at that pace
 * (-1 when the count is unknown, the pace is, or the read has passed the
 * count: Dataverse's count may be a day old).
 */
void lv_sync_eta(const struct lv_sync_progress *p, double *rate, double *left);

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
