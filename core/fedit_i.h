/*
 * fedit_i.h - editing a file's content (see fedit.c).
 *
 * Only the materialiser writes the tree. A file's content is edited
 * through a struct lv_fedit: load the manifest, replace, insert, append or
 * drop chunks, commit. Chunks themselves are in manifest_i.h.
 */
#ifndef LAKEVIEW_FEDIT_I_H
#define LAKEVIEW_FEDIT_I_H

#include "lakeview/tree.h"
#include "manifest_i.h"
#include "store_i.h"

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

int lv_fedit_begin(struct lv_wtxn *w, uint64_t ino, struct lv_fedit *e);
void lv_fedit_free(struct lv_fedit *e);
/* Store @len bytes as a new chunk of this edit and return its id. */
int lv_chunk_new(struct lv_wtxn *w, struct lv_fedit *e, const void *data,
		 size_t len, uint64_t *id);
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

#endif
