/*
 * noderec_i.h - the stored form of a tree node (see noderec.c).
 *
 * Used by the tree's write side (tree.c, fedit.c) and its read side
 * (reader.c); nothing above the tree sees node records.
 */
#ifndef LAKEVIEW_NODEREC_I_H
#define LAKEVIEW_NODEREC_I_H

#include "lakeview/tree.h"
#include "store_i.h"

/* Node @ino as seen by @txn. @return 0, -ENOENT, -EIO (a corrupt
 * record) or an LMDB code. */
int lv_noderec_get(MDB_txn *txn, struct lv_store *st, uint64_t ino,
		   struct lv_node *n);

/* Write node @n (its record only; the directory entries are the
 * caller's). @return 0 or an LMDB code. */
int lv_noderec_put(struct lv_wtxn *w, const struct lv_node *n);

/* The "names" key of @name under @parent into @kb (8 + LV_NAME_MAX
 * bytes); returns its length. */
size_t lv_noderec_name_key(unsigned char *kb, uint64_t parent,
			   const char *name);

/* Look up the entry @name of directory @parent. @return 0, -ENOENT,
 * -ENAMETOOLONG, -EIO or an LMDB code. */
int lv_noderec_find(MDB_txn *txn, struct lv_store *st, uint64_t parent,
		    const char *name, struct lv_node *out);

#endif
