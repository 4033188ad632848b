/*
 * pagecache.c - which version of a file the kernel page cache may hold.
 *
 * Why this exists: repeat reads are only fast (1.0-1.2x tmpfs on our
 * machines) when the kernel keeps a file's pages across opens
 * (FOPEN_KEEP_CACHE), and only correct when those pages belong to the
 * version the new handle reads. The page cache is per inode, not per
 * handle, while our handles each pin their own version. So for every
 * inode we remember the generation whose bytes may be in the cache and
 * how many open handles read through it, and decide at open:
 *
 *  - same generation as the cache             -> keep_cache
 *  - cache idle (no handle reads through it)   -> drop it (no keep_cache),
 *                                                 it now holds this version
 *  - cache in use by another version           -> direct_io for this handle,
 *                                                 so versions never mix
 *
 * By default only snapshot files come here (they never change, so their
 * cache is always right); live files use direct_io (ops.c explains why)
 * unless -o live_cache asks for this scheme for them too.
 *
 * The table is a fixed array (LVFS_PCACHE_SLOTS) with short linear
 * probing. When an inode has no record, we assume nothing about its
 * cache: no keep_cache, and direct_io if no slot can be taken for it.
 * Losing a record only costs a page-cache refill, never correctness.
 */
#include <string.h>

#include "lakeview_i.h"

static unsigned slot_of(uint64_t ino)
{
	uint64_t h = ino * 0x9e3779b97f4a7c15ULL;

	return (unsigned)(h >> 32) & (LVFS_PCACHE_SLOTS - 1);
}

void lvfs_pcache_init(struct lvfs_pcache *pc)
{
	pthread_mutex_init(&pc->lock, NULL);
	memset(pc->slot, 0, sizeof(pc->slot));
}

static struct lvfs_pc_slot *find(struct lvfs_pcache *pc, uint64_t ino)
{
	unsigned s = slot_of(ino);
	unsigned i;

	for (i = 0; i < LVFS_PCACHE_PROBE; i++) {
		struct lvfs_pc_slot *e = &pc->slot[(s + i) & (LVFS_PCACHE_SLOTS - 1)];

		if (e->ino == ino)
			return e;
	}
	return NULL;
}

static struct lvfs_pc_slot *take(struct lvfs_pcache *pc, uint64_t ino)
{
	struct lvfs_pc_slot *victim = NULL;
	unsigned s = slot_of(ino);
	unsigned i;

	for (i = 0; i < LVFS_PCACHE_PROBE; i++) {
		struct lvfs_pc_slot *e = &pc->slot[(s + i) & (LVFS_PCACHE_SLOTS - 1)];

		if (e->ino == 0)
			return e;
		if (e->users == 0 && victim == NULL)
			victim = e;
	}
	return victim;
}

/**
 * Decide how a handle reading generation @p gen of @p ino uses the cache.
 * @param track  1 for files (the handle counts as a cache user until
 *               lvfs_pcache_release), 0 for directories (readdir cache)
 * @param keep_cache  set to 1 when the cached pages are this version
 * @param direct_io   set to 1 when the handle must bypass the cache
 */
void lvfs_pcache_open(struct lvfs_pcache *pc, uint64_t ino, uint64_t gen,
		      int track, int *keep_cache, int *direct_io)
{
	struct lvfs_pc_slot *e;

	*keep_cache = 0;
	*direct_io = 0;
	pthread_mutex_lock(&pc->lock);
	e = find(pc, ino);
	if (e != NULL) {
		if (track && e->users > 0 && e->gen != gen) {
			*direct_io = 1;
			goto out;
		}
		*keep_cache = (e->gen == gen);
		e->gen = gen;
		if (track)
			e->users++;
		goto out;
	}
	e = take(pc, ino);
	if (e == NULL) {
		/* Nowhere to remember it: never share the cache blindly. */
		*direct_io = track;
		goto out;
	}
	e->ino = ino;
	e->gen = gen;
	e->users = track ? 1 : 0;
out:
	pthread_mutex_unlock(&pc->lock);
}

/**
 * Does some open handle read a version other than @p gen of @p ino
 * through the page cache? (Then attributes of @p gen get a zero timeout.)
 */
int lvfs_pcache_other_version(struct lvfs_pcache *pc, uint64_t ino,
			      uint64_t gen)
{
	struct lvfs_pc_slot *e;
	int other;

	pthread_mutex_lock(&pc->lock);
	e = find(pc, ino);
	other = e != NULL && e->users > 0 && e->gen != gen;
	pthread_mutex_unlock(&pc->lock);
	return other;
}

/** A handle that read through the cache (direct_io 0, track 1) closed. */
void lvfs_pcache_release(struct lvfs_pcache *pc, uint64_t ino)
{
	struct lvfs_pc_slot *e;

	pthread_mutex_lock(&pc->lock);
	e = find(pc, ino);
	if (e != NULL && e->users > 0)
		e->users--;
	pthread_mutex_unlock(&pc->lock);
}

void lvfs_pcache_destroy(struct lvfs_pcache *pc)
{
	pthread_mutex_destroy(&pc->lock);
}
