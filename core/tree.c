/*
 * tree.c - the lake's file tree in LMDB: nodes, directories, manifests,
 * chunks, and the change log the FUSE notifier follows.
 *
 * Why this shape:
 *  - Inode numbers are allocated from a counter and never reused, and the
 *    root is 1, so a remount serves the same numbers (tools like rsync and
 *    find's cycle detection rely on that) and a stale number can only
 *    answer ENOENT, never another file.
 *  - Directory entries are indexed twice: by (parent, name) for lookup and
 *    by (parent, ino) for readdir, whose offset must be a 64-bit cookie
 *    that survives concurrent changes.
 *  - File bytes live in immutable chunks of about 64 KiB listed by a
 *    manifest with end offsets, so a read binary-searches the manifest and
 *    hands out pointers into the map, a partition update rewrites only the
 *    chunks it touches, and a snapshot shares the manifest (copy on write
 *    when the live file changes next).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lakeview/err.h"
#include "tree_i.h"

#define REF_CHUNK 'c'
#define REF_MANIFEST 'm'

struct node_rec {
	uint64_t parent;
	uint32_t mode;
	uint32_t flags;
	uint64_t size;
	int64_t mtime;
	uint64_t generation;
	uint64_t seq;
	int64_t commit_time;
	uint64_t snapshot_of;
	uint64_t manifest;
	uint16_t namelen;
} __attribute__((packed));

struct lv_reader {
	struct lv_store *st;
	MDB_txn *txn;
};

/* --- encoding ---------------------------------------------------------- */

static int node_decode(uint64_t ino, const MDB_val *d, struct lv_node *n)
{
	struct node_rec r;

	if (d->mv_size < sizeof(r))
		return -EIO;
	memcpy(&r, d->mv_data, sizeof(r));
	if (r.namelen > LV_NAME_MAX || d->mv_size != sizeof(r) + r.namelen)
		return -EIO;
	n->ino = ino;
	n->parent = r.parent;
	n->mode = r.mode;
	n->flags = r.flags;
	n->size = r.size;
	n->mtime = r.mtime;
	n->generation = r.generation;
	n->seq = r.seq;
	n->commit_time = r.commit_time;
	n->snapshot_of = r.snapshot_of;
	n->manifest = r.manifest;
	memcpy(n->name, (const char *)d->mv_data + sizeof(r), r.namelen);
	n->name[r.namelen] = '\0';
	return 0;
}

static int node_get_txn(MDB_txn *txn, struct lv_store *st, uint64_t ino,
			struct lv_node *n)
{
	unsigned char kb[8];
	MDB_val k = { 8, kb }, d;
	int rc;

	lv_be64(kb, ino);
	rc = mdb_get(txn, st->nodes, &k, &d);
	if (rc == MDB_NOTFOUND)
		return -ENOENT;
	if (rc)
		return rc;
	return node_decode(ino, &d, n);
}

static int node_put(struct lv_wtxn *w, const struct lv_node *n)
{
	unsigned char kb[8], vb[sizeof(struct node_rec) + LV_NAME_MAX];
	struct node_rec r;
	size_t nl = strlen(n->name);
	MDB_val k = { 8, kb }, d;

	r.parent = n->parent;
	r.mode = n->mode;
	r.flags = n->flags;
	r.size = n->size;
	r.mtime = n->mtime;
	r.generation = n->generation;
	r.seq = n->seq;
	r.commit_time = n->commit_time;
	r.snapshot_of = n->snapshot_of;
	r.manifest = n->manifest;
	r.namelen = (uint16_t)nl;
	memcpy(vb, &r, sizeof(r));
	memcpy(vb + sizeof(r), n->name, nl);
	lv_be64(kb, n->ino);
	d.mv_size = sizeof(r) + nl;
	d.mv_data = vb;
	return mdb_put(w->txn, w->st->nodes, &k, &d, 0);
}

static size_t name_key(unsigned char *kb, uint64_t parent, const char *name)
{
	size_t nl = strlen(name);

	lv_be64(kb, parent);
	memcpy(kb + 8, name, nl);
	return 8 + nl;
}

static int lookup_txn(MDB_txn *txn, struct lv_store *st, uint64_t parent,
		      const char *name, struct lv_node *out)
{
	unsigned char kb[8 + LV_NAME_MAX];
	MDB_val k, d;
	int rc;

	if (strlen(name) > LV_NAME_MAX)
		return -ENAMETOOLONG;
	k.mv_data = kb;
	k.mv_size = name_key(kb, parent, name);
	rc = mdb_get(txn, st->names, &k, &d);
	if (rc == MDB_NOTFOUND)
		return -ENOENT;
	if (rc)
		return rc;
	if (d.mv_size != 8)
		return -EIO;
	return node_get_txn(txn, st, lv_get_be64(d.mv_data), out);
}

/* --- reference counts -------------------------------------------------- */

static int ref_get(struct lv_wtxn *w, int kind, uint64_t id, uint32_t *v)
{
	unsigned char kb[9];
	MDB_val k = { 9, kb }, d;
	int rc;

	kb[0] = (unsigned char)kind;
	lv_be64(kb + 1, id);
	rc = mdb_get(w->txn, w->st->refs, &k, &d);
	if (rc == MDB_NOTFOUND) {
		*v = 0;
		return 0;
	}
	if (rc)
		return rc;
	memcpy(v, d.mv_data, 4);
	return 0;
}

static int ref_set(struct lv_wtxn *w, int kind, uint64_t id, uint32_t v)
{
	unsigned char kb[9];
	MDB_val k = { 9, kb }, d = { 4, &v };
	int rc;

	kb[0] = (unsigned char)kind;
	lv_be64(kb + 1, id);
	if (v == 0) {
		rc = mdb_del(w->txn, w->st->refs, &k, NULL);
		return rc == MDB_NOTFOUND ? 0 : rc;
	}
	return mdb_put(w->txn, w->st->refs, &k, &d, 0);
}

static int chunk_free(struct lv_wtxn *w, uint64_t id)
{
	unsigned char kb[8];
	MDB_val k = { 8, kb }, d;
	int rc;

	lv_be64(kb, id);
	rc = mdb_get(w->txn, w->st->chunks, &k, &d);
	if (rc)
		return rc == MDB_NOTFOUND ? -EIO : rc;
	w->chunk_bytes -= d.mv_size;
	return mdb_del(w->txn, w->st->chunks, &k, NULL);
}

static int chunk_incref(struct lv_wtxn *w, uint64_t id)
{
	uint32_t v;
	int rc = ref_get(w, REF_CHUNK, id, &v);

	return rc ? rc : ref_set(w, REF_CHUNK, id, v + 1);
}

static int chunk_decref(struct lv_wtxn *w, uint64_t id)
{
	uint32_t v;
	int rc = ref_get(w, REF_CHUNK, id, &v);

	if (rc)
		return rc;
	if (v <= 1) {
		rc = ref_set(w, REF_CHUNK, id, 0);
		return rc ? rc : chunk_free(w, id);
	}
	return ref_set(w, REF_CHUNK, id, v - 1);
}

/* --- manifests ----------------------------------------------------------- */

static int manifest_get(MDB_txn *txn, struct lv_store *st, uint64_t id,
			const struct lv_ment **e, size_t *n)
{
	unsigned char kb[8];
	MDB_val k = { 8, kb }, d;
	int rc;

	lv_be64(kb, id);
	rc = mdb_get(txn, st->manifests, &k, &d);
	if (rc == MDB_NOTFOUND)
		return -EIO;
	if (rc)
		return rc;
	if (d.mv_size % sizeof(struct lv_ment))
		return -EIO;
	*e = d.mv_data;
	*n = d.mv_size / sizeof(struct lv_ment);
	return 0;
}

static int manifest_decref(struct lv_wtxn *w, uint64_t id)
{
	const struct lv_ment *e;
	size_t n;
	uint32_t v;
	unsigned char kb[8];
	MDB_val k = { 8, kb };
	int rc;

	if (!id)
		return 0;
	rc = ref_get(w, REF_MANIFEST, id, &v);
	if (rc)
		return rc;
	if (v > 1)
		return ref_set(w, REF_MANIFEST, id, v - 1);
	rc = manifest_get(w->txn, w->st, id, &e, &n);
	if (rc)
		return rc;
	/* copy the ids: deleting chunks may move the manifest's pages */
	{
		uint64_t *ids = malloc((n ? n : 1) * sizeof(*ids));

		if (!ids)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++)
			memcpy(&ids[i], &e[i].chunk, 8);
		for (size_t i = 0; !rc && i < n; i++)
			rc = chunk_decref(w, ids[i]);
		free(ids);
	}
	if (!rc)
		rc = ref_set(w, REF_MANIFEST, id, 0);
	if (!rc) {
		lv_be64(kb, id);
		rc = mdb_del(w->txn, w->st->manifests, &k, NULL);
	}
	return rc;
}

/* --- nodes ---------------------------------------------------------------- */

int lv_tree_init_root(struct lv_wtxn *w)
{
	struct lv_node n;

	memset(&n, 0, sizeof(n));
	n.ino = LV_ROOT_INO;
	n.parent = LV_ROOT_INO;
	n.mode = S_IFDIR | 0555;
	n.mtime = w->now;
	n.commit_time = w->now;
	n.generation = 1;
	return node_put(w, &n);
}

int lv_tree_get(struct lv_wtxn *w, uint64_t ino, struct lv_node *out)
{
	return node_get_txn(w->txn, w->st, ino, out);
}

int lv_tree_lookup(struct lv_wtxn *w, uint64_t parent, const char *name,
		   struct lv_node *out)
{
	return lookup_txn(w->txn, w->st, parent, name, out);
}

static int touch_dir(struct lv_wtxn *w, uint64_t dir)
{
	struct lv_node d;
	int rc = lv_tree_get(w, dir, &d);

	if (rc)
		return rc;
	if (d.mtime == w->now && d.commit_time == w->now) {
		/* still record the change: the listing changed */
		return lv_wtxn_changed(w, d.ino, d.parent, d.name);
	}
	d.mtime = w->now;
	d.commit_time = w->now;
	d.generation++;
	rc = node_put(w, &d);
	return rc ? rc : lv_wtxn_changed(w, d.ino, d.parent, d.name);
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
	rc = node_put(w, n);
	if (rc)
		return rc;
	lv_be64(ib, n->ino);
	k.mv_data = kb;
	k.mv_size = name_key(kb, parent, name);
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
	rc = lv_wtxn_changed(w, n->ino, parent, name);
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
	rc = manifest_decref(w, n.manifest);
	if (rc)
		return rc;
	lv_be64(kb, ino);
	k.mv_data = kb;
	k.mv_size = 8;
	rc = mdb_del(w->txn, w->st->nodes, &k, NULL);
	if (rc)
		return rc;
	k.mv_size = name_key(kb, n.parent, n.name);
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
	rc = lv_wtxn_changed(w, ino, n.parent, n.name);
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
		rc = ref_get(w, REF_MANIFEST, s.manifest, &v);
		if (!rc)
			rc = ref_set(w, REF_MANIFEST, s.manifest, v + 1);
		if (rc)
			return rc;
	}
	rc = node_put(w, &n);
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
	return node_put(w, &n);
}

/* --- content editing ------------------------------------------------------ */

void lv_fedit_free(struct lv_fedit *e)
{
	free(e->e);
	free(e->added);
	free(e->dropped);
	memset(e, 0, sizeof(*e));
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t c;
	void *np;

	if (need <= *cap)
		return 0;
	c = *cap ? *cap : 16;
	while (c < need)
		c *= 2;
	np = realloc(*p, c * size);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = c;
	return 0;
}

int lv_fedit_begin(struct lv_wtxn *w, uint64_t ino, struct lv_fedit *e)
{
	const struct lv_ment *m;
	size_t n = 0;
	uint32_t refs = 0;
	uint64_t prev = 0;
	int rc;

	memset(e, 0, sizeof(*e));
	rc = lv_tree_get(w, ino, &e->node);
	if (rc)
		return rc;
	if (!S_ISREG(e->node.mode))
		return -EISDIR;
	e->old_manifest = e->node.manifest;
	if (!e->old_manifest)
		return 0;
	rc = ref_get(w, REF_MANIFEST, e->old_manifest, &refs);
	if (rc)
		return rc;
	e->shared = refs > 1;
	rc = manifest_get(w->txn, w->st, e->old_manifest, &m, &n);
	if (rc)
		return rc;
	rc = grow((void **)&e->e, &e->cap, n, sizeof(*e->e));
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		memcpy(&e->e[i], &m[i], sizeof(*m));
		e->e[i].end -= prev;
		prev += e->e[i].end;
	}
	e->n = n;
	return 0;
}

int lv_chunk_new(struct lv_wtxn *w, struct lv_fedit *e, const void *data,
		 size_t len, uint64_t *id)
{
	unsigned char kb[8];
	MDB_val k = { 8, kb }, d = { len, (void *)data };
	int rc;

	rc = grow((void **)&e->added, &e->capadded, e->nadded + 1,
		  sizeof(*e->added));
	if (rc)
		return rc;
	*id = w->next_chunk++;
	lv_be64(kb, *id);
	rc = mdb_put(w->txn, w->st->chunks, &k, &d, MDB_APPEND);
	if (rc)
		return rc;
	w->chunk_bytes += len;
	e->added[e->nadded++] = *id;
	return 0;
}

int lv_chunk_bytes(struct lv_wtxn *w, uint64_t id, const void **p, size_t *len)
{
	unsigned char kb[8];
	MDB_val k = { 8, kb }, d;
	int rc;

	lv_be64(kb, id);
	rc = mdb_get(w->txn, w->st->chunks, &k, &d);
	if (rc)
		return rc == MDB_NOTFOUND ? -EIO : rc;
	*p = d.mv_data;
	*len = d.mv_size;
	return 0;
}

static int drop(struct lv_fedit *e, uint64_t chunk)
{
	int rc = grow((void **)&e->dropped, &e->capdropped, e->ndropped + 1,
		      sizeof(*e->dropped));

	if (rc)
		return rc;
	e->dropped[e->ndropped++] = chunk;
	return 0;
}

int lv_fedit_insert(struct lv_fedit *e, size_t at, uint64_t seg,
		    uint64_t chunk, size_t len)
{
	int rc = grow((void **)&e->e, &e->cap, e->n + 1, sizeof(*e->e));

	if (rc)
		return rc;
	if (at > e->n)
		at = e->n;
	memmove(&e->e[at + 1], &e->e[at], (e->n - at) * sizeof(*e->e));
	e->e[at].seg = seg;
	e->e[at].chunk = chunk;
	e->e[at].end = len;
	e->n++;
	e->dirty = 1;
	return 0;
}

int lv_fedit_replace(struct lv_fedit *e, size_t at, uint64_t chunk, size_t len)
{
	int rc = drop(e, e->e[at].chunk);

	if (rc)
		return rc;
	e->e[at].chunk = chunk;
	e->e[at].end = len;
	e->dirty = 1;
	return 0;
}

int lv_fedit_remove(struct lv_fedit *e, size_t at)
{
	int rc = drop(e, e->e[at].chunk);

	if (rc)
		return rc;
	memmove(&e->e[at], &e->e[at + 1], (e->n - at - 1) * sizeof(*e->e));
	e->n--;
	e->dirty = 1;
	return 0;
}

int lv_fedit_commit(struct lv_wtxn *w, struct lv_fedit *e, uint64_t seq)
{
	unsigned char kb[8];
	MDB_val k = { 8, kb }, d;
	uint64_t mid, end = 0;
	uint32_t v;
	int rc = 0;

	if (!e->dirty)
		return 0;
	/* turn lengths into end offsets, in place (the edit ends here) */
	for (size_t i = 0; i < e->n; i++) {
		end += e->e[i].end;
		e->e[i].end = end;
	}
	if (e->shared || !e->old_manifest) {
		/* new manifest: every chunk it lists gains a reference */
		for (size_t i = 0; !rc && i < e->n; i++)
			rc = chunk_incref(w, e->e[i].chunk);
		if (!rc && e->old_manifest)
			rc = manifest_decref(w, e->old_manifest);
		if (rc)
			return rc;
		mid = e->n ? w->next_manifest++ : 0;
		if (mid) {
			rc = ref_set(w, REF_MANIFEST, mid, 1);
			if (rc)
				return rc;
		}
		/* chunks created by this edit but no longer listed */
		for (size_t i = 0; !rc && i < e->nadded; i++) {
			rc = ref_get(w, REF_CHUNK, e->added[i], &v);
			if (!rc && v == 0)
				rc = chunk_free(w, e->added[i]);
		}
	} else {
		mid = e->old_manifest;
		for (size_t i = 0; !rc && i < e->nadded; i++)
			rc = chunk_incref(w, e->added[i]);
		for (size_t i = 0; !rc && i < e->ndropped; i++)
			rc = chunk_decref(w, e->dropped[i]);
		if (!rc && e->n == 0) {
			rc = ref_set(w, REF_MANIFEST, mid, 0);
			lv_be64(kb, mid);
			if (!rc)
				rc = mdb_del(w->txn, w->st->manifests, &k, NULL);
			mid = 0;
		}
	}
	if (rc)
		return rc;
	if (mid) {
		lv_be64(kb, mid);
		d.mv_size = e->n * sizeof(*e->e);
		d.mv_data = e->e;
		rc = mdb_put(w->txn, w->st->manifests, &k, &d, 0);
		if (rc)
			return rc;
	}
	e->node.manifest = mid;
	e->node.size = end;
	e->node.generation++;
	e->node.mtime = w->now;
	e->node.commit_time = w->now;
	if (seq)
		e->node.seq = seq;
	rc = node_put(w, &e->node);
	if (!rc)
		rc = lv_wtxn_changed(w, e->node.ino, e->node.parent, e->node.name);
	e->dirty = 0;
	e->old_manifest = mid;
	e->shared = 0;
	e->nadded = e->ndropped = 0;
	/* back to lengths, so the edit can go on */
	for (size_t i = e->n; i > 0; i--)
		e->e[i - 1].end -= i > 1 ? e->e[i - 2].end : 0;
	return rc;
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
	if (manifest_get(w->txn, w->st, n->manifest, &m, &cnt))
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

/* --- read side ------------------------------------------------------------ */

int lv_reader_begin(struct lv_store *st, struct lv_reader **out)
{
	struct lv_reader *r = calloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->st = st;
	rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &r->txn);
	if (rc) {
		free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int lv_reader_refresh(struct lv_reader *r)
{
	mdb_txn_reset(r->txn);
	return mdb_txn_renew(r->txn);
}

void lv_reader_end(struct lv_reader *r)
{
	if (!r)
		return;
	mdb_txn_abort(r->txn);
	free(r);
}

MDB_txn *lv_reader_txn(struct lv_reader *r)
{
	return r->txn;
}

uint64_t lv_reader_tree_gen(struct lv_reader *r)
{
	uint64_t v = 0;

	lv_meta_get_u64(r->txn, r->st, "tree_gen", &v);
	return v;
}

int lv_node_get(struct lv_reader *r, uint64_t ino, struct lv_node *out)
{
	return node_get_txn(r->txn, r->st, ino, out);
}

int lv_node_lookup(struct lv_reader *r, uint64_t parent, const char *name,
		   struct lv_node *out)
{
	struct lv_node p;
	int rc = node_get_txn(r->txn, r->st, parent, &p);

	if (rc)
		return rc;
	if (!S_ISDIR(p.mode))
		return -ENOTDIR;
	return lookup_txn(r->txn, r->st, parent, name, out);
}

int lv_path_lookup(struct lv_reader *r, const char *path, struct lv_node *out)
{
	char comp[LV_NAME_MAX + 1];
	const char *p = path, *s;
	int rc;

	if (strlen(path) > LV_PATH_MAX)
		return -ENAMETOOLONG;
	rc = node_get_txn(r->txn, r->st, LV_ROOT_INO, out);
	while (!rc) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		s = strchr(p, '/');
		if (!s)
			s = p + strlen(p);
		if ((size_t)(s - p) > LV_NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(comp, p, (size_t)(s - p));
		comp[s - p] = '\0';
		p = s;
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			rc = node_get_txn(r->txn, r->st, out->parent, out);
			continue;
		}
		rc = lv_node_lookup(r, out->ino, comp, out);
	}
	return rc;
}

int lv_node_path(struct lv_reader *r, uint64_t ino, char *buf, size_t len)
{
	struct lv_node n;
	size_t pos = len;
	int rc, depth = 0;

	if (!len)
		return -ENAMETOOLONG;
	buf[--pos] = '\0';
	while (ino != LV_ROOT_INO) {
		size_t nl;

		if (++depth > 64)
			return -ELOOP;
		rc = node_get_txn(r->txn, r->st, ino, &n);
		if (rc)
			return rc;
		nl = strlen(n.name);
		if (nl + (pos < len - 1 ? 1 : 0) > pos)
			return -ENAMETOOLONG;
		if (pos < len - 1)
			buf[--pos] = '/';
		pos -= nl;
		memcpy(buf + pos, n.name, nl);
		ino = n.parent;
	}
	memmove(buf, buf + pos, len - pos);
	return 0;
}

int lv_dir_next(struct lv_reader *r, uint64_t dir, uint64_t *cookie,
		struct lv_node *out)
{
	unsigned char ck[16];
	MDB_val k = { 16, ck }, d;
	MDB_cursor *cur;
	uint64_t child;
	int rc;

	rc = mdb_cursor_open(r->txn, r->st->children, &cur);
	if (rc)
		return rc;
	lv_be64(ck, dir);
	lv_be64(ck + 8, *cookie);
	rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
	if (rc == 0 && k.mv_size == 16 && lv_get_be64(k.mv_data) == dir &&
	    lv_get_be64((unsigned char *)k.mv_data + 8) == *cookie && *cookie)
		rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
	mdb_cursor_close(cur);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return rc;
	if (k.mv_size != 16 || lv_get_be64(k.mv_data) != dir)
		return 0;
	child = lv_get_be64((unsigned char *)k.mv_data + 8);
	rc = node_get_txn(r->txn, r->st, child, out);
	if (rc)
		return rc == -ENOENT ? -EIO : rc;
	*cookie = child;
	return 1;
}

int lv_file_read(struct lv_reader *r, const struct lv_node *n, uint64_t off,
		 size_t len, struct iovec *iov, int maxiov, size_t *got)
{
	const struct lv_ment *m;
	size_t cnt, lo, hi;
	int niov = 0, rc;

	*got = 0;
	if (!S_ISREG(n->mode))
		return -EISDIR;
	if (off >= n->size || len == 0 || !n->manifest)
		return 0;
	if (len > n->size - off)
		len = (size_t)(n->size - off);
	rc = manifest_get(r->txn, r->st, n->manifest, &m, &cnt);
	if (rc)
		return rc;
	/* first chunk whose end is past off */
	lo = 0;
	hi = cnt;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		uint64_t end;

		memcpy(&end, &m[mid].end, 8);
		if (end <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < cnt && len > 0 && niov < maxiov; i++) {
		uint64_t end, start = 0, cid;
		unsigned char kb[8];
		MDB_val k = { 8, kb }, d;
		size_t skip, take;

		memcpy(&end, &m[i].end, 8);
		if (i)
			memcpy(&start, &m[i - 1].end, 8);
		memcpy(&cid, &m[i].chunk, 8);
		lv_be64(kb, cid);
		rc = mdb_get(r->txn, r->st->chunks, &k, &d);
		if (rc)
			return rc == MDB_NOTFOUND ? -EIO : rc;
		if (d.mv_size != end - start)
			return -EIO;
		skip = (size_t)(off - start);
		take = d.mv_size - skip;
		if (take > len)
			take = len;
		iov[niov].iov_base = (char *)d.mv_data + skip;
		iov[niov].iov_len = take;
		niov++;
		off += take;
		len -= take;
		*got += take;
	}
	return niov;
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

int lv_file_chunks(struct lv_reader *r, const struct lv_node *n,
		   int (*fn)(void *arg, const void *p, size_t len), void *arg)
{
	const struct lv_ment *m;
	size_t cnt;
	int rc;

	if (!n->manifest)
		return 0;
	rc = manifest_get(r->txn, r->st, n->manifest, &m, &cnt);
	for (size_t i = 0; !rc && i < cnt; i++) {
		unsigned char kb[8];
		MDB_val k = { 8, kb }, d;
		uint64_t cid;

		memcpy(&cid, &m[i].chunk, 8);
		lv_be64(kb, cid);
		rc = mdb_get(r->txn, r->st->chunks, &k, &d);
		if (rc)
			return rc == MDB_NOTFOUND ? -EIO : rc;
		rc = fn(arg, d.mv_data, d.mv_size);
	}
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
