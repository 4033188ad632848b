/*
 * tree_i.h - the write side of the file tree: nodes and directories (see
 * tree.c; the read side is lakeview/reader.h, content editing fedit_i.h).
 *
 * Only the materialiser writes the tree, inside a store write
 * transaction; every change is logged for the FUSE notifier (treelog.c).
 */
#ifndef LAKEVIEW_TREE_I_H
#define LAKEVIEW_TREE_I_H

#include "lakeview/tree.h"
#include "store_i.h"

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

#endif
