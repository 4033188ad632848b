/*
 * tree_i.h - the write side of the file tree (see lakeview/tree.h).
 *
 * Only the materialiser writes the tree. A file's content is edited
 * through a struct lv_fedit: load the manifest, replace, insert, append or
 * drop chunks, commit. The edit knows whether the manifest is shared with
 * a snapshot; if so the commit writes a new manifest (copy on write) and
 * the snapshot keeps the old one untouched, so a snapshot never changes.
 * Chunk reference counts count manifests; manifest reference counts count
 * nodes. A chunk or manifest whose count drops to zero is deleted in the
 * same transaction: nothing unreferenced survives a commit.
 */
#ifndef LAKEVIEW_TREE_I_H
#define LAKEVIEW_TREE_I_H

#include "lakeview/tree.h"
#include "store_i.h"

/* Target (and, for partition segments, most) size of a content chunk:
 * small enough that an update rewrites little, large enough that a 1 GiB
 * file is ~16k chunks. 64 KiB less the 16-byte page header LMDB puts
 * before a large value, so a full chunk fills exactly 16 overflow pages
 * of 4 KiB; one byte more would take a 17th page, mostly empty. */
#define LV_CHUNK_TARGET (64 * 1024 - 16)

struct lv_ment {
	uint64_t seg;    /* segment id (partitions) or 0 */
	uint64_t chunk;  /* chunk id */
	uint64_t end;    /* end offset of this chunk in the file; inside a
			  * struct lv_fedit: the chunk's length */
};

struct lv_fedit {
	struct lv_node node;
	uint64_t old_manifest;
	int shared;              /* old manifest is referenced elsewhere */
	size_t n, cap;
	struct lv_ment *e;
	uint64_t *added;         /* chunks created by this edit */
	size_t nadded, capadded;
	uint64_t *dropped;       /* chunks removed from the manifest */
	size_t ndropped, capdropped;
	int dirty;
};

int lv_tree_init_root(struct lv_wtxn *w);

/* Get or create directory @name under @parent. */
int lv_tree_mkdir(struct lv_wtxn *w, uint64_t parent, const char *name,
		  uint64_t *ino);

/* Read a node inside a write transaction. */
int lv_tree_get(struct lv_wtxn *w, uint64_t ino, struct lv_node *out);
int lv_tree_lookup(struct lv_wtxn *w, uint64_t parent, const char *name,
		   struct lv_node *out);

/* Create an empty regular file (or return the existing one). */
int lv_tree_mkfile(struct lv_wtxn *w, uint64_t parent, const char *name,
		   uint32_t flags, uint64_t *ino);

/* Replace the whole content of file @name under @parent (created when
 * missing). No change at all (no generation bump) when the bytes are the
 * same. */
int lv_tree_put_file(struct lv_wtxn *w, uint64_t parent, const char *name,
		     const void *data, size_t len, uint64_t seq, uint64_t *ino);

/* The children of @dir (only regular files when @files_only), in inode
 * order, in a malloc'd array; nothing to free on error. */
int lv_tree_children(struct lv_wtxn *w, uint64_t dir, int files_only,
		     struct lv_node **out, size_t *n);

/* Remove a node (recursively for directories). */
int lv_tree_remove(struct lv_wtxn *w, uint64_t ino);

/* New file @name under @parent sharing the content of @src. */
int lv_tree_share(struct lv_wtxn *w, uint64_t src, uint64_t parent,
		  const char *name, uint32_t flags, uint64_t snapshot_of,
		  uint64_t *ino);

/* Mark a snapshot node: the generation of the partition it copies, and
 * its time stamp (the one in its name). */
int lv_tree_snapshot_stamp(struct lv_wtxn *w, uint64_t ino, uint64_t generation,
			   int64_t stamp);

/* Content editing. */
int lv_fedit_begin(struct lv_wtxn *w, uint64_t ino, struct lv_fedit *e);
void lv_fedit_free(struct lv_fedit *e);
/* Store @len bytes as a new chunk and return its id. */
int lv_chunk_new(struct lv_wtxn *w, struct lv_fedit *e, const void *data,
		 size_t len, uint64_t *id);
/* Bytes of chunk @id (pointer into the map, valid in this transaction). */
int lv_chunk_bytes(struct lv_wtxn *w, uint64_t id, const void **p,
		   size_t *len);
/* Put entry (seg, chunk of len bytes) at index @at, shifting the rest. */
int lv_fedit_insert(struct lv_fedit *e, size_t at, uint64_t seg,
		    uint64_t chunk, size_t len);
/* Replace the chunk at index @at (len = new length). */
int lv_fedit_replace(struct lv_fedit *e, size_t at, uint64_t chunk,
		     size_t len);
/* Remove the entry at index @at. */
int lv_fedit_remove(struct lv_fedit *e, size_t at);
/* Length of entry @at. */
static inline uint64_t lv_fedit_len(const struct lv_fedit *e, size_t at)
{
	return e->e[at].end;
}
/* Write the edit back (no-op when nothing changed). */
int lv_fedit_commit(struct lv_wtxn *w, struct lv_fedit *e, uint64_t seq);

/* Call @fn with each content chunk of file @n, in order (pointers into
 * the map, valid while the reader lives). Stops at a non-zero return. */
int lv_file_chunks(struct lv_reader *r, const struct lv_node *n,
		   int (*fn)(void *arg, const void *p, size_t len), void *arg);
MDB_txn *lv_reader_txn(struct lv_reader *r);

#endif
