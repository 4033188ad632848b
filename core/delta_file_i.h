/*
 * delta_file_i.h - the data files of a Delta table (see delta_file.c):
 * the records of lake partitions in, Parquet files in the tree out, with
 * the statistics a Delta `add` action carries.
 */
#ifndef LAKEVIEW_DELTA_FILE_I_H
#define LAKEVIEW_DELTA_FILE_I_H

#include <stddef.h>
#include <stdint.h>

#include "lakeview/parquet.h"
#include "lakeview/table.h"
#include "lakeview/tree.h"

/* The Delta partition column; its value is the lake partition's name
 * ("2024", or "2024-05" by month). See delta.c for why this name. */
#define LV_DELTA_PART_COL "PartitionId"

/* A data file is closed after this many MiB of CSV went into it (about
 * 50 MiB of Parquet at the ~0.2 ratio zstd gives on Dataverse rows: a
 * 1 GiB partition is 4 files, which 2 cores build 2 at a time, and an
 * append rewrites at most 256 MiB of CSV); lakeview.conf's delta_file_mb
 * sets it (1..4096). */
#define LV_DELTA_FILE_MB 256
#define LV_DELTA_FILE_MB_MAX 4096

/* Columns that get min/max/nullCount statistics: the first 32, as Delta's
 * delta.dataSkippingNumIndexedCols default. */
#define LV_DELTA_STAT_COLS 32

/* One column of a table's Delta schema. */
struct lv_dcol {
	const struct lv_column *c;  /* the lake column it comes from */
	enum lv_parquet_type pt;    /* its Parquet type */
	char spark[32];             /* its Spark type name in schemaString */
};

/* Map a table's columns to Delta columns; *@out is malloc'd (n = t->ncols).
 * LV_EBADNAME when a column's name clashes with PartitionId. */
int lv_dcols_of(const struct lv_table *t, struct lv_dcol **out);

/* A data file a version adds. */
struct lv_dfile {
	char name[80];                 /* its file name */
	char path[LV_NAME_MAX + 64];   /* relative to the table's folder */
	char part[32];                 /* its PartitionId value */
	uint64_t ino;                  /* its node in the tree */
	uint64_t size, rows;
	char *stats;                   /* Delta stats JSON (malloc'd) */
	/* the partition segments it holds: a run of @nseg from segment @seg0,
	 * whose (segment, chunk) pairs give @sig (lv_dseg_sig) */
	uint64_t seg0, sig;
	size_t nseg;
	char *data;                    /* its bytes (size of them), malloc'd */
};

/* Free @n files and their bytes and stats. */
void lv_dfiles_free(struct lv_dfile *f, size_t n);

/* One entry of a partition's manifest: a segment and its content chunk. */
struct lv_dent {
	uint64_t seg, chunk;
};

/* Fold a (segment, chunk) pair into a run's signature: a run of
 * segments whose chunks are all unchanged has the same signature, so the
 * file made of it can stay. */
static inline uint64_t lv_dseg_sig(uint64_t sig, uint64_t seg, uint64_t chunk)
{
	sig ^= seg * 0x9e3779b97f4a7c15ull;
	sig = (sig << 29 | sig >> 35) * 0xbf58476d1ce4e5b9ull;
	sig ^= chunk * 0x94d049bb133111ebull;
	return (sig << 31 | sig >> 33) * 0x9e3779b97f4a7c15ull;
}

struct lv_dwriter;

/* Start writing, in memory, the files of partition @part of table @t
 * (PartitionId=<part>/part-<index>-<uuid>.c000.zstd.parquet), a file per
 * @file_bytes of CSV records. Knows nothing of the store: any thread. */
int lv_dwriter_new(struct lv_dwriter **out, const struct lv_table *t,
		   const struct lv_dcol *cols, const char *part, uint64_t file_bytes,
		   size_t index);
/* One CSV record of the partition (with its "\n"). Errors name table,
 * row and column. */
int lv_dwriter_record(struct lv_dwriter *dw, const char *rec, size_t len);
/* The first record of the @avail bytes at @rec (whole records follow):
 * lv_dwriter_record() without a scan for its end first; *@used is its
 * length. */
int lv_dwriter_take(struct lv_dwriter *dw, const char *rec, size_t avail, size_t *used);
/* The records of segment @seg (chunk @chunk) were given: the file being
 * written holds it; the file is closed once the writer's file_bytes of
 * records went in, so files end at segment boundaries. */
int lv_dwriter_seg(struct lv_dwriter *dw, uint64_t seg, uint64_t chunk);
/* Close the file being written (the next segment is not contiguous). */
int lv_dwriter_cut(struct lv_dwriter *dw);
/* Finish: the files written, moved to the caller (lv_dfiles_free). No
 * rows at all: *@n is 0. */
int lv_dwriter_finish(struct lv_dwriter *dw, struct lv_dfile **files,
		      size_t *n);
void lv_dwriter_free(struct lv_dwriter *dw);

/* The Id (first field) of a record, as 16 bytes; -EIO if it has none. */
int lv_drec_id(const char *rec, size_t len, uint8_t id[16]);
/* Whether the last field of a record is True (IsDelete of append-only). */
int lv_drec_deleted(const char *rec, size_t len);

#endif
