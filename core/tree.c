/*
 * tree.c - the lake's file tree in LMDB: nodes and directories, written
 * inside a store write transaction by the materialiser.
 *
 * Why this shape:
 *  - Inode numbers are allocated from a counter and never reused, and the
 *    root is 1, so a remount serves the same numbers (tools like rsync and
 *    find's cycle detection rely on that) and a stale number can only
 *    answer ENOENT, never another file.
 *  - Directory entries are indexed twice: by (parent, name) for lookup and
 *    by (parent, ino) for readdir, whose offset must be a 64-bit cookie
 *    that survives concurrent changes.
 *  - File bytes live in immutable chunks listed by a manifest
 *    (manifest.c); a file's content is edited through fedit.c, and a
 *    snapshot shares its partition's manifest.
 *
 * Layering of the file tree, top to bottom (nothing calls up):
 *    tree.c (nodes, directories, whole files)
 *    fedit.c (content editing)        reader.c <- treelog.c (change log)
 *    noderec.c (node records)  manifest.c (chunks, manifests, counts)
 *    store.c (write transactions, meta counters) -- knows no tree
 * treelog.c is called by tree.c and fedit.c to gather changed nodes and
 * writes its log through the store's commit hook; it reads through a
 * reader. A new store gets its root from lv_tree_init(), called by
 * whoever creates the store, because the store is below the tree.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lakeview/err.h"
#include "fedit_i.h"
#include "manifest_i.h"
#include "noderec_i.h"
#include "tree_i.h"
#include "treelog_i.h"

/* --- nodes ---------------------------------------------------------------- */

static int root_create(struct lv_wtxn *w)
{
	struct lv_node n;

	memset(&n, 0, sizeof(n));
	n.ino = LV_ROOT_INO;
	n.parent = LV_ROOT_INO;
	n.mode = S_IFDIR | 0555;
	n.mtime = w->now;
	n.commit_time = w->now;
	n.generation = 1;
	return lv_noderec_put(w, &n);
}

int lv_tree_init(struct lv_store *st)
{
	struct lv_wtxn w;
	struct lv_node root;
	int rc;

	lv_err_clear();  /* its failures are LMDB or errno codes */
	rc = lv_wtxn_begin(st, &w);
	if (rc)
		return rc;
	rc = lv_noderec_get(w.txn, st, LV_ROOT_INO, &root);
	if (rc == -ENOENT) {
		rc = root_create(&w);
		if (!rc)
			return lv_wtxn_commit(&w);
	}
	lv_wtxn_abort(&w);  /* the root exists already (rc 0), or an error */
	return rc;
}

int lv_tree_get(struct lv_wtxn *w, uint64_t ino, struct lv_node *out)
{
	return lv_noderec_get(w->txn, w->st, ino, out);
}

int lv_tree_lookup(struct lv_wtxn *w, uint64_t parent, const char *name,
		   struct lv_node *out)
{
	return lv_noderec_find(w->txn, w->st, parent, name, out);
}

static int touch_dir(struct lv_wtxn *w, uint64_t dir)
{
	struct lv_node d;
	int rc = lv_tree_get(w, dir, &d);

	if (rc)
		return rc;
	if (d.mtime == w->now && d.commit_time == w->now) {
		/* still record the change: the listing changed */
		return lv_treelog_add(w, d.ino, d.parent, d.name);
	}
	d.mtime = w->now;
	d.commit_time = w->now;
	d.generation++;
	rc = lv_noderec_put(w, &d);
	return rc ? rc : lv_treelog_add(w, d.ino, d.parent, d.name);
}

static int node_create(struct lv_wtxn *w, uint64_t parent, const char *name,
		       uint32_t mode, uint32_t flags, struct lv_node *n)
{
	unsigned char kb[8 + LV_NAME_MAX], ib[8], ck[16];
	MDB_val k, d = { 8, ib }, e = { 0, NULL };
	size_t nl = strlen(name);
	int rc;

	if (nl == 0 || nl > LV_NAME_MAX || strchr(name, '/') ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return lv_err_set(LV_EBADNAME, "bad file name '%s'", name);
	memset(n, 0, sizeof(*n));
	n->ino = w->next_ino++;
	n->parent = parent;
	n->mode = mode;
	n->flags = flags;
	n->mtime = w->now;
	n->commit_time = w->now;
	n->generation = 1;
	memcpy(n->name, name, nl + 1);
	w->counters_dirty = 1;
	rc = lv_noderec_put(w, n);
	if (rc)
		return rc;
	lv_be64(ib, n->ino);
	k.mv_data = kb;
	k.mv_size = lv_noderec_name_key(kb, parent, name);
	rc = mdb_put(w->txn, w->st->names, &k, &d, MDB_NOOVERWRITE);
	if (rc)
		return rc;
	lv_be64(ck, parent);
	lv_be64(ck + 8, n->ino);
	k.mv_data = ck;
	k.mv_size = 16;
	rc = mdb_put(w->txn, w->st->children, &k, &e, 0);
	if (rc)
		return rc;
	rc = lv_treelog_add(w, n->ino, parent, name);
	return rc ? rc : touch_dir(w, parent);
}

int lv_tree_mkdir(struct lv_wtxn *w, uint64_t parent, const char *name,
		  uint64_t *ino)
{
	struct lv_node n;
	int rc = lv_tree_lookup(w, parent, name, &n);

	if (rc == 0) {
		if (!S_ISDIR(n.mode))
			return -ENOTDIR;
		*ino = n.ino;
		return 0;
	}
	if (rc != -ENOENT)
		return rc;
	rc = node_create(w, parent, name, S_IFDIR | 0555, 0, &n);
	if (rc)
		return rc;
	*ino = n.ino;
	return 0;
}

int lv_tree_mkfile(struct lv_wtxn *w, uint64_t parent, const char *name,
		   uint32_t flags, uint64_t *ino)
{
	struct lv_node n;
	int rc = lv_tree_lookup(w, parent, name, &n);

	if (rc == 0) {
		if (!S_ISREG(n.mode))
			return -EISDIR;
		*ino = n.ino;
		return 0;
	}
	if (rc != -ENOENT)
		return rc;
	rc = node_create(w, parent, name, S_IFREG | 0444, flags, &n);
	if (rc)
		return rc;
	*ino = n.ino;
	return 0;
}

int lv_tree_remove(struct lv_wtxn *w, uint64_t ino)
{
	struct lv_node n;
	unsigned char kb[8 + LV_NAME_MAX], ck[16];
	MDB_val k, d;
	MDB_cursor *cur = NULL;
	int rc;

	if (ino == LV_ROOT_INO)
		return -EBUSY;
	rc = lv_tree_get(w, ino, &n);
	if (rc)
		return rc;
	if (S_ISDIR(n.mode)) {
		/* remove children first; restart the cursor after each */
		for (;;) {
			uint64_t child;

			rc = mdb_cursor_open(w->txn, w->st->children, &cur);
			if (rc)
				return rc;
			lv_be64(ck, ino);
			lv_be64(ck + 8, 0);
			k.mv_data = ck;
			k.mv_size = 16;
			rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
			if (rc == 0 && (k.mv_size != 16 ||
					lv_get_be64(k.mv_data) != ino))
				rc = MDB_NOTFOUND;
			child = rc == 0 ? lv_get_be64((unsigned char *)k.mv_data + 8) : 0;
			mdb_cursor_close(cur);
			cur = NULL;
			if (rc == MDB_NOTFOUND)
				break;
			if (rc)
				return rc;
			rc = lv_tree_remove(w, child);
			if (rc)
				return rc;
		}
	}
	rc = lv_manifest_decref(w, n.manifest);
	if (rc)
		return rc;
	lv_be64(kb, ino);
	k.mv_data = kb;
	k.mv_size = 8;
	rc = mdb_del(w->txn, w->st->nodes, &k, NULL);
	if (rc)
		return rc;
	k.mv_size = lv_noderec_name_key(kb, n.parent, n.name);
	rc = mdb_del(w->txn, w->st->names, &k, NULL);
	if (rc)
		return rc;
	lv_be64(ck, n.parent);
	lv_be64(ck + 8, ino);
	k.mv_data = ck;
	k.mv_size = 16;
	rc = mdb_del(w->txn, w->st->children, &k, NULL);
	if (rc)
		return rc;
	rc = lv_treelog_add(w, ino, n.parent, n.name);
	return rc ? rc : touch_dir(w, n.parent);
}

int lv_tree_share(struct lv_wtxn *w, uint64_t src, uint64_t parent,
		  const char *name, uint32_t flags, uint64_t snapshot_of,
		  uint64_t *ino)
{
	struct lv_node s, n;
	uint32_t v;
	int rc;

	rc = lv_tree_get(w, src, &s);
	if (rc)
		return rc;
	rc = node_create(w, parent, name, S_IFREG | 0444, flags, &n);
	if (rc)
		return rc;
	n.size = s.size;
	n.mtime = w->now;
	n.seq = s.seq;
	n.snapshot_of = snapshot_of;
	n.manifest = s.manifest;
	if (s.manifest) {
		rc = lv_ref_get(w, LV_REF_MANIFEST, s.manifest, &v);
		if (!rc)
			rc = lv_ref_set(w, LV_REF_MANIFEST, s.manifest, v + 1);
		if (rc)
			return rc;
	}
	rc = lv_noderec_put(w, &n);
	if (rc)
		return rc;
	*ino = n.ino;
	return 0;
}

int lv_tree_snapshot_stamp(struct lv_wtxn *w, uint64_t ino, uint64_t generation,
			   int64_t stamp)
{
	struct lv_node n;
	int rc = lv_tree_get(w, ino, &n);

	if (rc)
		return rc;
	n.generation = generation;
	n.mtime = stamp;
	return lv_noderec_put(w, &n);
}

static int content_equal(struct lv_wtxn *w, const struct lv_node *n,
			 const void *data, size_t len)
{
	const struct lv_ment *m;
	size_t cnt, off = 0;

	if (n->size != len)
		return 0;
	if (!n->manifest)
		return len == 0;
	if (lv_manifest_get(w->txn, w->st, n->manifest, &m, &cnt))
		return 0;
	for (size_t i = 0; i < cnt; i++) {
		const void *p;
		size_t l;
		uint64_t cid;

		memcpy(&cid, &m[i].chunk, 8);
		if (lv_chunk_bytes(w, cid, &p, &l) || off + l > len ||
		    memcmp(p, (const char *)data + off, l))
			return 0;
		off += l;
	}
	return off == len;
}

int lv_tree_put_file(struct lv_wtxn *w, uint64_t parent, const char *name,
		     const void *data, size_t len, uint64_t seq, uint64_t *ino)
{
	struct lv_fedit e;
	uint64_t id, fino;
	size_t off;
	int rc;

	rc = lv_tree_mkfile(w, parent, name, 0, &fino);
	if (rc)
		return rc;
	if (ino)
		*ino = fino;
	rc = lv_fedit_begin(w, fino, &e);
	if (rc)
		goto out;
	if (content_equal(w, &e.node, data, len))
		goto out;
	while (e.n) {
		rc = lv_fedit_remove(&e, e.n - 1);
		if (rc)
			goto out;
	}
	for (off = 0; off < len; off += LV_CHUNK_TARGET) {
		size_t l = len - off < LV_CHUNK_TARGET ? len - off : LV_CHUNK_TARGET;

		rc = lv_chunk_new(w, &e, (const char *)data + off, l, &id);
		if (!rc)
			rc = lv_fedit_insert(&e, e.n, 0, id, l);
		if (rc)
			goto out;
	}
	e.dirty = 1;
	rc = lv_fedit_commit(w, &e, seq);
out:
	lv_fedit_free(&e);
	return rc;
}

int lv_tree_children(struct lv_wtxn *w, uint64_t dir, int files_only,
		     struct lv_node **out, size_t *n)
{
	unsigned char ck[16];
	MDB_val k = { 16, ck }, d;
	MDB_cursor *cur;
	int rc;

	*out = NULL;
	*n = 0;
	rc = mdb_cursor_open(w->txn, w->st->children, &cur);
	if (rc)
		return rc;
	lv_be64(ck, dir);
	lv_be64(ck + 8, 0);
	rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
	while (rc == 0 && k.mv_size == 16 && lv_get_be64(k.mv_data) == dir) {
		struct lv_node node, *v;

		rc = lv_tree_get(w, lv_get_be64((unsigned char *)k.mv_data + 8), &node);
		if (rc)
			break;
		if (!files_only || S_ISREG(node.mode)) {
			v = realloc(*out, (*n + 1) * sizeof(*v));
			if (!v) {
				rc = -ENOMEM;
				break;
			}
			*out = v;
			v[(*n)++] = node;
		}
		rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	if (rc == MDB_NOTFOUND)
		rc = 0;
	if (rc) {
		free(*out);  /* the caller frees nothing on error */
		*out = NULL;
		*n = 0;
	}
	return rc;
}
