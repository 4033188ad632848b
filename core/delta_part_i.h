/*
 * delta_part_i.h - the data files of one partition of a Delta version
 * (see delta_part.c).
 */
#ifndef LAKEVIEW_DELTA_PART_I_H
#define LAKEVIEW_DELTA_PART_I_H

#include <jansson.h>

#include "delta_file_i.h"
#include "store_i.h"

/* Call @fn for each CSV record of the file of manifest @manifest, read in
 * the write transaction @w. */
typedef int (*lv_drec_fn)(void *arg, const char *rec, size_t len);
int lv_dfile_records(struct lv_wtxn *w, uint64_t manifest, lv_drec_fn fn, void *arg)
	__attribute__((warn_unused_result));

/* Whether record number @ord of the partition goes into the Delta table
 * (append-only tables: the newest record of each live row). Called from
 * other threads: it may only read. */
typedef int (*lv_dkeep_fn)(void *arg, const char *rec, size_t len, uint64_t ord);

/* What to write: partition @part of table @t, whose CSV snapshot has
 * manifest @manifest, under the Delta table's folder @dir. With @keep,
 * the records it keeps (the partition is then read in order, by one
 * thread); without, every record. */
struct lv_dpart {
	const struct lv_table *t;
	const struct lv_dcol *cols;
	uint64_t dir;
	const char *part;
	uint64_t manifest;
	uint64_t file_bytes;
	lv_dkeep_fn keep;
	void *keep_arg;
};

/* Write the partition's data files: the files of @old (the last
 * version's, JSON as delta.c keeps them) whose segments are unchanged
 * stay (appended to @files), the others go to @removed, and the runs of
 * segments no kept file holds become new files in the tree (their JSON
 * appended to @adds). Errors name table, row and column. */
int lv_dpart_write(struct lv_wtxn *w, const struct lv_dpart *p, json_t *old,
		   json_t *files, json_t *removed, json_t *adds)
	__attribute__((warn_unused_result));

#endif
