/*
 * reader_i.h - what core modules see of a reader (see lakeview/reader.h):
 * its transaction, for the modules that read their own tables in the
 * same version (push, status, the tree's change log).
 */
#ifndef LAKEVIEW_READER_I_H
#define LAKEVIEW_READER_I_H

#include "lakeview/reader.h"
#include "store_i.h"

struct lv_reader {
	struct lv_store *st;
	MDB_txn *txn;
};

MDB_txn *lv_reader_txn(struct lv_reader *r);

/* Call @fn with each content chunk of file @n, in order (pointers into
 * the map, valid while the reader lives). Stops at a non-zero return. */
int lv_file_chunks(struct lv_reader *r, const struct lv_node *n,
		   int (*fn)(void *arg, const void *p, size_t len), void *arg);

#endif
