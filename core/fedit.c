/*
 * fedit.c - editing a file's content: a struct lv_fedit over its manifest.
 *
 * Only the materialiser writes file content. An edit loads the manifest,
 * replaces, inserts, appends or drops chunks, and commits. The edit knows
 * whether the manifest is shared with a snapshot; if so the commit writes
 * a new manifest (copy on write) and the snapshot keeps the old one
 * untouched, so a snapshot never changes. Inside an edit an entry holds
 * its chunk's length, not its end offset, so that inserting or dropping
 * a chunk in the middle costs a memmove and no renumbering; the commit
 * turns lengths into end offsets and back.
 *
 * Layering: above the node records (noderec.c), the chunks and manifests
 * (manifest.c) and the tree's change log (treelog.c); tree.c uses an edit
 * to replace a whole file (lv_tree_put_file).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fedit_i.h"
#include "noderec_i.h"
#include "treelog_i.h"

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
	rc = lv_noderec_get(w->txn, w->st, ino, &e->node);
	if (rc)
		return rc;
	if (!S_ISREG(e->node.mode))
		return -EISDIR;
	e->old_manifest = e->node.manifest;
	if (!e->old_manifest)
		return 0;
	rc = lv_ref_get(w, LV_REF_MANIFEST, e->old_manifest, &refs);
	if (rc)
		return rc;
	e->shared = refs > 1;
	rc = lv_manifest_get(w->txn, w->st, e->old_manifest, &m, &n);
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
			rc = lv_chunk_incref(w, e->e[i].chunk);
		if (!rc && e->old_manifest)
			rc = lv_manifest_decref(w, e->old_manifest);
		if (rc)
			return rc;
		mid = e->n ? w->next_manifest++ : 0;
		if (mid) {
			rc = lv_ref_set(w, LV_REF_MANIFEST, mid, 1);
			if (rc)
				return rc;
		}
		/* chunks created by this edit but no longer listed */
		for (size_t i = 0; !rc && i < e->nadded; i++) {
			rc = lv_ref_get(w, LV_REF_CHUNK, e->added[i], &v);
			if (!rc && v == 0)
				rc = lv_chunk_free(w, e->added[i]);
		}
	} else {
		mid = e->old_manifest;
		for (size_t i = 0; !rc && i < e->nadded; i++)
			rc = lv_chunk_incref(w, e->added[i]);
		for (size_t i = 0; !rc && i < e->ndropped; i++)
			rc = lv_chunk_decref(w, e->dropped[i]);
		if (!rc && e->n == 0) {
			rc = lv_ref_set(w, LV_REF_MANIFEST, mid, 0);
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
	rc = lv_noderec_put(w, &e->node);
	if (!rc)
		rc = lv_treelog_add(w, e->node.ino, e->node.parent, e->node.name);
	e->dirty = 0;
	e->old_manifest = mid;
	e->shared = 0;
	e->nadded = e->ndropped = 0;
	/* back to lengths, so the edit can go on */
	for (size_t i = e->n; i > 0; i--)
		e->e[i - 1].end -= i > 1 ? e->e[i - 2].end : 0;
	return rc;
}
