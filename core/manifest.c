/*
 * manifest.c - what a file's content is made of: immutable chunks, the
 * manifests that list them, and the reference counts that free both.
 *
 * Why this shape: file bytes live in immutable chunks of about 64 KiB
 * listed by a manifest with end offsets, so a read binary-searches the
 * manifest and hands out pointers into the map, a partition update
 * rewrites only the chunks it touches, and a snapshot shares the manifest
 * (copy on write when the live file changes next, fedit.c). Chunk
 * reference counts count manifests; manifest reference counts count
 * nodes. A chunk or manifest whose count drops to zero is deleted in the
 * same transaction: nothing unreferenced survives a commit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "manifest_i.h"

/* --- reference counts -------------------------------------------------- */

int lv_ref_get(struct lv_wtxn *w, int kind, uint64_t id, uint32_t *v)
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

int lv_ref_set(struct lv_wtxn *w, int kind, uint64_t id, uint32_t v)
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

int lv_chunk_free(struct lv_wtxn *w, uint64_t id)
{
	unsigned char kb[8];
	MDB_val k = { 8, kb };
	const void *p;
	size_t len;
	int rc = lv_chunk_bytes(w, id, &p, &len);

	if (rc)
		return rc;
	w->chunk_bytes -= len;
	lv_be64(kb, id);
	return mdb_del(w->txn, w->st->chunks, &k, NULL);
}

int lv_chunk_incref(struct lv_wtxn *w, uint64_t id)
{
	uint32_t v;
	int rc = lv_ref_get(w, LV_REF_CHUNK, id, &v);

	return rc ? rc : lv_ref_set(w, LV_REF_CHUNK, id, v + 1);
}

int lv_chunk_decref(struct lv_wtxn *w, uint64_t id)
{
	uint32_t v;
	int rc = lv_ref_get(w, LV_REF_CHUNK, id, &v);

	if (rc)
		return rc;
	if (v <= 1) {
		rc = lv_ref_set(w, LV_REF_CHUNK, id, 0);
		return rc ? rc : lv_chunk_free(w, id);
	}
	return lv_ref_set(w, LV_REF_CHUNK, id, v - 1);
}

/* --- chunks and manifests ----------------------------------------------- */

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

int lv_manifest_get(MDB_txn *txn, struct lv_store *st, uint64_t id,
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

int lv_manifest_decref(struct lv_wtxn *w, uint64_t id)
{
	const struct lv_ment *e;
	size_t n;
	uint32_t v;
	unsigned char kb[8];
	MDB_val k = { 8, kb };
	int rc;

	if (!id)
		return 0;
	rc = lv_ref_get(w, LV_REF_MANIFEST, id, &v);
	if (rc)
		return rc;
	if (v > 1)
		return lv_ref_set(w, LV_REF_MANIFEST, id, v - 1);
	rc = lv_manifest_get(w->txn, w->st, id, &e, &n);
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
			rc = lv_chunk_decref(w, ids[i]);
		free(ids);
	}
	if (!rc)
		rc = lv_ref_set(w, LV_REF_MANIFEST, id, 0);
	if (!rc) {
		lv_be64(kb, id);
		rc = mdb_del(w->txn, w->st->manifests, &k, NULL);
	}
	return rc;
}
