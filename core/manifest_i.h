/*
 * manifest_i.h - chunks, manifests and their reference counts (see
 * manifest.c). Internal to the file tree and the writers that fill it.
 */
#ifndef LAKEVIEW_MANIFEST_I_H
#define LAKEVIEW_MANIFEST_I_H

#include "store_i.h"

/* Target (and, for partition segments, most) size of a content chunk:
 * small enough that an update rewrites little, large enough that a 1 GiB
 * file is ~16k chunks. 64 KiB less the 16-byte page header LMDB puts
 * before a large value, so a full chunk fills exactly 16 overflow pages
 * of 4 KiB; one byte more would take a 17th page, mostly empty. */
#define LV_CHUNK_TARGET (64 * 1024 - 16)

/* Kinds of reference count (the first byte of a "refs" key). */
#define LV_REF_CHUNK 'c'
#define LV_REF_MANIFEST 'm'

/* One entry of a manifest, as stored. */
struct lv_ment {
	uint64_t seg;    /* segment id (partitions) or 0 */
	uint64_t chunk;  /* chunk id */
	uint64_t end;    /* end offset of this chunk in the file; inside a
			  * struct lv_fedit: the chunk's length */
};

/* Reference count of chunk or manifest @id (0 when none is stored). */
int lv_ref_get(struct lv_wtxn *w, int kind, uint64_t id, uint32_t *v);
/* Set it; 0 deletes the count (not the thing counted). */
int lv_ref_set(struct lv_wtxn *w, int kind, uint64_t id, uint32_t v);

/* Delete chunk @id (its count must be gone already). -EIO if missing. */
int lv_chunk_free(struct lv_wtxn *w, uint64_t id);
/* One more / one less manifest lists chunk @id; at zero it is freed. */
int lv_chunk_incref(struct lv_wtxn *w, uint64_t id);
int lv_chunk_decref(struct lv_wtxn *w, uint64_t id);
/* Bytes of chunk @id (pointer into the map, valid in this transaction). */
int lv_chunk_bytes(struct lv_wtxn *w, uint64_t id, const void **p,
		   size_t *len);

/* Entries of manifest @id (pointer into the map, valid in @txn; entries
 * may be unaligned: copy fields out with memcpy). -EIO if missing. */
int lv_manifest_get(MDB_txn *txn, struct lv_store *st, uint64_t id,
		    const struct lv_ment **e, size_t *n);
/* One node less uses manifest @id (0: none); at zero the manifest and
 * the chunks only it listed are deleted. */
int lv_manifest_decref(struct lv_wtxn *w, uint64_t id);

#endif
