/*
 * readers.c - short-lived LMDB readers for lookup, getattr, readdir, xattr.
 *
 * Why a pool: every metadata request must see the newest committed tree,
 * so it needs a read transaction that starts now and ends soon (LMDB's
 * rule: long readers make the file grow). Beginning a transaction per
 * request works but takes a reader slot each time; keeping one reader
 * per worker thread ties slots to libfuse's thread lifetimes. A small
 * pool does both jobs: a request takes an idle reader, refreshes it to
 * the newest version (mdb_txn_reset/renew: no allocation, no slot
 * search), uses it from one thread, and gives it back.
 *
 * An idle reader still pins the version it last saw. The notifier calls
 * lvfs_pool_refresh_idle() after each commit it notices, so an idle
 * reader never pins more than one poll period's worth of old pages.
 * At most LVFS_POOL_MAX readers are kept; extra ones are ended on put.
 */
#include <stdlib.h>

#include "lakeview_i.h"

void lvfs_pool_init(struct lvfs_pool *p, struct lv_store *st)
{
	pthread_mutex_init(&p->lock, NULL);
	p->st = st;
	p->nidle = 0;
}

/**
 * Take a reader that sees the newest committed version.
 * @return 0, or a liblakeview code (MDB_READERS_FULL when every slot of
 *         the store is in use).
 */
int lvfs_pool_get(struct lvfs_pool *p, struct lv_reader **out)
{
	struct lv_reader *r = NULL;
	int rc;

	pthread_mutex_lock(&p->lock);
	if (p->nidle > 0)
		r = p->idle[--p->nidle];
	pthread_mutex_unlock(&p->lock);

	if (r == NULL)
		return lv_reader_begin(p->st, out);

	rc = lv_reader_refresh(r);
	if (rc != 0) {
		lv_reader_end(r);
		return lv_reader_begin(p->st, out);
	}
	*out = r;
	return 0;
}

/** Give a reader back (NULL is allowed); ends it when the pool is full. */
void lvfs_pool_put(struct lvfs_pool *p, struct lv_reader *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	if (p->nidle < LVFS_POOL_MAX) {
		p->idle[p->nidle++] = r;
		r = NULL;
	}
	pthread_mutex_unlock(&p->lock);
	if (r != NULL)
		lv_reader_end(r);
}

/** Move idle readers to the newest version so they pin nothing old. */
void lvfs_pool_refresh_idle(struct lvfs_pool *p)
{
	unsigned i;

	pthread_mutex_lock(&p->lock);
	for (i = 0; i < p->nidle; ) {
		if (lv_reader_refresh(p->idle[i]) != 0) {
			lv_reader_end(p->idle[i]);
			p->idle[i] = p->idle[--p->nidle];
			continue;
		}
		i++;
	}
	pthread_mutex_unlock(&p->lock);
}

void lvfs_pool_destroy(struct lvfs_pool *p)
{
	pthread_mutex_lock(&p->lock);
	while (p->nidle > 0)
		lv_reader_end(p->idle[--p->nidle]);
	pthread_mutex_unlock(&p->lock);
	pthread_mutex_destroy(&p->lock);
}
