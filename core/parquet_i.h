/*
 * parquet_i.h - the Parquet writer's state, shared by parquet.c (pages,
 * values, row groups) and parquet_col.c (what the writer knows of each
 * column: its schema element, statistics, dictionary, and the footer
 * metadata that names them). Core's own; the API is lakeview/parquet.h.
 */
#ifndef LAKEVIEW_PARQUET_I_H
#define LAKEVIEW_PARQUET_I_H

#include <stddef.h>
#include <stdint.h>
#include <zstd.h>

#include "lakeview/buf.h"
#include "lakeview/parquet.h"
#include "thrift_i.h"

/* Parquet's enums (parquet.thrift) */
enum { PQ_BOOLEAN = 0, PQ_INT32 = 1, PQ_INT64 = 2, PQ_DOUBLE = 5,
       PQ_BYTE_ARRAY = 6, PQ_FLBA = 7 };
enum { PQ_PLAIN = 0, PQ_RLE = 3, PQ_RLE_DICTIONARY = 8 };
enum { PQ_DATA_PAGE = 0, PQ_DICTIONARY_PAGE = 2 };

/* A string column's dictionary: distinct values, PLAIN, in first-seen order. */
struct pq_dict {
	uint32_t *slots;        /* open addressing: entry + 1, 0 is free */
	size_t nslots;          /* a power of two, at least twice n */
	uint32_t *off;          /* entry -> offset of its PLAIN bytes */
	size_t n, cap;
	struct lv_buf plain;    /* the dictionary page's body */
};

struct pq_col {
	char *name;
	enum lv_parquet_type type;
	int phys, width;        /* physical type; FLBA bytes */
	int precision, scale;
	__int128 limit;         /* DECIMAL: 10^precision, the first too big */
	/* the page being filled */
	uint32_t *lev;          /* definition levels, page_rows of room */
	size_t nlev;
	uint32_t *idx;          /* dictionary indices (strings) */
	size_t nidx;
	struct lv_buf val;      /* PLAIN values */
	size_t nval, nbool;
	size_t plain_bytes;     /* the page's strings as PLAIN would take */
	size_t pending;         /* bytes counted in the row group's size */
	/* the chunk of this row group */
	struct lv_buf chunk;    /* finished data pages, headers included */
	size_t chunk_seen;      /* chunk.len counted in the row group's size */
	uint64_t chunk_values, raw, packed, rows;
	int used_plain, used_dict, dict_on, plain;
	struct pq_dict d;
	/* statistics of the chunk */
	int64_t nulls;
	int have, nan, long_str;
	int64_t imin, imax;
	double dmin, dmax;
	__int128 qmin, qmax;
	struct lv_buf smin, smax;
};

struct lv_parquet_writer {
	struct pq_col *c;
	size_t n;
	lv_parquet_write_fn write;
	void *ctx;
	int codec, level, no_dict;
	size_t rg_max, page_bytes, page_rows, dict_bytes;
	char *created_by;
	char **kv;              /* key, value, key, value...; values may be NULL */
	size_t nkv;
	uint64_t off, rows, rg_rows;
	size_t rg_bytes, nrg;
	struct lv_buf groups;   /* the footer's RowGroup structs so far */
	struct lv_buf body, hdr, zbuf;  /* scratch: a page, its header, zstd */
	ZSTD_CCtx *z;
	int rc;                 /* broken: every call returns it */
};

/* The RLE/bit-packed hybrid of @n values of @width bits (no length). */
int lv_parquet_rle(struct lv_buf *b, const uint32_t *v, size_t n, int width);
/* Bits needed for @max (0 for 0). */
int lv_parquet_width(uint32_t max);

__int128 lv_pq_pow10(int p);
/* @v as @width bytes of big-endian two's complement. */
void lv_pq_be(uint8_t *b, __int128 v, int width);
/* Decimal text -> unscaled value; 0, LV_EBADVALUE or LV_ETOOBIG. */
int lv_pq_decimal_parse(const char *s, size_t n, int precision, int scale,
			__int128 *out);

int lv_pq_dict_add(struct pq_dict *d, const char *s, size_t n, size_t max,
		   uint32_t *idx, int *added);
void lv_pq_dict_reset(struct pq_dict *d);

void lv_pq_stat_str(struct pq_col *c, const char *s, size_t n);
void lv_pq_stat_dec(struct pq_col *c, __int128 v);

static inline void lv_pq_stat_int(struct pq_col *c, int64_t v)
{
	if (!c->have) {
		c->have = 1;
		c->imin = c->imax = v;
	} else if (v < c->imin) {
		c->imin = v;
	} else if (v > c->imax) {
		c->imax = v;
	}
}

static inline void lv_pq_stat_double(struct pq_col *c, double v)
{
	if (v != v) {
		c->nan = 1;
	} else if (!c->have) {
		c->have = 1;
		c->dmin = c->dmax = v;
	} else if (v < c->dmin) {
		c->dmin = v;
	} else if (v > c->dmax) {
		c->dmax = v;
	}
}

/* The chunk's ColumnChunk struct, as the next element of a list in @t. */
void lv_pq_column_chunk(struct lv_parquet_writer *w, struct pq_col *c,
			struct lv_thrift *t, int64_t dict_off, int64_t data_off);
/* The FileMetaData's fields (the caller ends the struct). */
void lv_pq_file_meta(struct lv_parquet_writer *w, struct lv_thrift *t);
/* Forget a column's chunk and statistics (a new row group). */
void lv_pq_col_reset(struct lv_parquet_writer *w, struct pq_col *c);

/* ---- nested records (parquet_nested.c), for Delta's checkpoints ---- */

/* Repetition of a schema node (parquet.thrift's FieldRepetitionType). */
enum { LV_PQN_REQUIRED = 0, LV_PQN_OPTIONAL = 1, LV_PQN_REPEATED = 2 };
/* What a node is: a leaf's type, or a kind of group. A MAP has one
 * REPEATED group child (key_value) of a REQUIRED key and an OPTIONAL
 * value; a LIST one REPEATED group child (list) of one element. */
enum { LV_PQN_STRING, LV_PQN_INT32, LV_PQN_INT64, LV_PQN_BOOLEAN,
       LV_PQN_GROUP, LV_PQN_MAP, LV_PQN_LIST };

/* One node of a nested schema; the schema is the preorder array of its
 * nodes, the root (the message) first. */
struct lv_pqn {
	const char *name;
	int repetition;
	int kind;
	int nchildren;        /* groups */
};

/*
 * Append to @out a Parquet file of @rows (a JSON array of objects: a
 * member per child of the root, null or missing for a null; a MAP member
 * is an object, a LIST member an array). In memory, uncompressed, one row
 * group, no statistics: for files of thousands of rows.
 * Returns 0; -EINVAL (with the detail) for a value the schema refuses;
 * -ENOMEM or LV_ETOOBIG.
 */
struct json_t;
int lv_parquet_nested_write(const struct lv_pqn *schema, size_t nschema,
			    struct json_t *rows, struct lv_buf *out);

#endif
