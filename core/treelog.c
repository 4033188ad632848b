/*
 * treelog.c - the tree's change log: written at each commit that changed
 * the tree, read by whoever follows the tree (the FUSE notifier).
 *
 * Why this shape: a daemon serving the tree from caches must learn which
 * nodes a commit changed without walking the tree. So every write
 * transaction gathers the nodes it touched (lv_treelog_add, called by
 * tree.c and fedit.c) and, inside the same LMDB transaction, logs them
 * under a new tree generation: the log and the tree can never disagree.
 * A record is (ino, parent, name) so that a follower can invalidate a
 * directory entry whose node is already gone. The log keeps the newest
 * LV_TREELOG_KEEP generations; a follower further behind starts over.
 *
 * Layering: the store is below the tree and knows nothing of it; the log
 * rides on a write transaction through the one commit hook the store
 * offers (struct lv_wtxn in store_i.h), so a commit stays one LMDB
 * transaction and writes what it always wrote, in the same order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lakeview/buf.h"
#include "lakeview/err.h"
#include "lakeview/treelog.h"
#include "reader_i.h"
#include "treelog_i.h"

#define LV_TREELOG_KEEP 4096

/* A changed tree node. */
struct changed {
	uint64_t ino;
	uint64_t parent;
	char *name;
};

/* The nodes changed by one write transaction (its hook). */
struct treelog {
	struct changed *changed;
	size_t nchanged, capchanged;
};

/* The hook's end: after commit or abort. */
static void treelog_end(struct lv_wtxn *w)
{
	struct treelog *t = w->hook;

	for (size_t i = 0; i < t->nchanged; i++)
		free(t->changed[i].name);
	free(t->changed);
	free(t);
}

/* The hook's commit, first in lv_wtxn_commit: log the changed nodes
 * under a new tree generation, prune old entries, and stamp the commit
 * time of the tree (meta "last_commit"). */
static int treelog_write(struct lv_wtxn *w)
{
	struct lv_buf b;
	unsigned char kb[8], rec[18];
	MDB_val k = { 8, kb }, d;
	MDB_cursor *cur = NULL;
	struct treelog *t = w->hook;
	int rc;

	if (!t->nchanged)
		return 0;
	lv_buf_init(&b, (size_t)1 << 30);
	for (size_t i = 0; i < t->nchanged; i++) {
		size_t n = strlen(t->changed[i].name);

		memcpy(rec, &t->changed[i].ino, 8);
		memcpy(rec + 8, &t->changed[i].parent, 8);
		rec[16] = (unsigned char)(n >> 8);
		rec[17] = (unsigned char)n;
		rc = lv_buf_add(&b, rec, sizeof(rec));
		if (!rc)
			rc = lv_buf_add(&b, t->changed[i].name, n);
		if (rc)
			goto out;
	}
	w->tree_gen++;
	lv_be64(kb, w->tree_gen);
	d.mv_size = b.len;
	d.mv_data = b.p;
	rc = mdb_put(w->txn, w->st->treelog, &k, &d, MDB_APPEND);
	if (rc)
		goto out;
	if (w->tree_gen > LV_TREELOG_KEEP) {
		rc = mdb_cursor_open(w->txn, w->st->treelog, &cur);
		if (rc)
			goto out;
		while ((rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST)) == 0) {
			if (lv_get_be64(k.mv_data) + LV_TREELOG_KEEP > w->tree_gen)
				break;
			rc = mdb_cursor_del(cur, 0);
			if (rc)
				goto out;
		}
		if (rc == MDB_NOTFOUND)
			rc = 0;
		if (rc)
			goto out;
	}
	rc = lv_meta_put_u64(w->txn, w->st, "last_commit", (uint64_t)w->now);
out:
	if (cur)
		mdb_cursor_close(cur);
	lv_buf_free(&b);
	return rc;
}

int lv_treelog_add(struct lv_wtxn *w, uint64_t ino, uint64_t parent,
		   const char *name)
{
	struct treelog *t = w->hook;
	struct changed *c;

	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t)
			return -ENOMEM;
		w->hook = t;
		w->hook_commit = treelog_write;
		w->hook_end = treelog_end;
	}
	for (size_t i = t->nchanged; i > 0; i--)
		if (t->changed[i - 1].ino == ino)
			return 0;
	if (t->nchanged == t->capchanged) {
		size_t cap = t->capchanged ? 2 * t->capchanged : 16;

		c = realloc(t->changed, cap * sizeof(*c));
		if (!c)
			return -ENOMEM;
		t->changed = c;
		t->capchanged = cap;
	}
	c = &t->changed[t->nchanged];
	c->name = strdup(name);
	if (!c->name)
		return -ENOMEM;
	c->ino = ino;
	c->parent = parent;
	t->nchanged++;
	return 0;
}

int lv_tree_changes(struct lv_reader *r, uint64_t since, lv_change_fn fn,
		    void *arg)
{
	unsigned char kb[8];
	MDB_val k = { 8, kb }, d;
	MDB_cursor *cur;
	uint64_t now = lv_reader_tree_gen(r);
	int rc;

	if (since >= now)
		return 0;
	rc = mdb_cursor_open(r->txn, r->st->treelog, &cur);
	if (rc)
		return rc;
	lv_be64(kb, since + 1);
	rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
	if (rc == 0 && lv_get_be64(k.mv_data) != since + 1)
		rc = LV_ECHANGED;
	if (rc == MDB_NOTFOUND)
		rc = LV_ECHANGED;
	while (rc == 0) {
		const unsigned char *p = d.mv_data, *e = p + d.mv_size;

		while (rc == 0 && p + 18 <= e) {
			uint64_t ino, parent;
			size_t nl = ((size_t)p[16] << 8) | p[17];
			char name[LV_NAME_MAX + 1];

			memcpy(&ino, p, 8);
			memcpy(&parent, p + 8, 8);
			if (nl > LV_NAME_MAX || p + 18 + nl > e) {
				rc = -EIO;
				break;
			}
			memcpy(name, p + 18, nl);
			name[nl] = '\0';
			rc = fn(arg, ino, parent, name);
			p += 18 + nl;
		}
		if (rc)
			break;
		rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}
