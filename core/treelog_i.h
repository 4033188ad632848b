/*
 * treelog_i.h - the write side of the tree's change log (see treelog.c
 * and lakeview/treelog.h).
 */
#ifndef LAKEVIEW_TREELOG_I_H
#define LAKEVIEW_TREELOG_I_H

#include "store_i.h"

/* Record that node @ino (entry @parent/@name) changed in this write
 * transaction; the commit logs it under the next tree generation. A node
 * is recorded once however often it changes. The first call hooks the
 * log onto @w (struct lv_wtxn's commit hook). @return 0 or -ENOMEM. */
int lv_treelog_add(struct lv_wtxn *w, uint64_t ino, uint64_t parent,
		   const char *name) __attribute__((warn_unused_result));

#endif
