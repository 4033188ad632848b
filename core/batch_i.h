/*
 * batch_i.h - the state of a batch, shared by the modules that apply one:
 * batch.c (begin, apply, commit), rowstate.c (row states and their runs),
 * rowfilter.c (the filter of row ids), encode.c (CSV records),
 * partition.c (pending changes per partition and their flush),
 * changelog.c (the change log) and item.c (items parsed ahead).
 *
 * One struct for all of them because a change touches each in turn within
 * one write transaction, and the hot path (one change: find its row state,
 * encode its record, queue it for its partition, log it) must not copy
 * between them. Each module owns its fields; the comments say whose.
 */
#ifndef LAKEVIEW_BATCH_I_H
#define LAKEVIEW_BATCH_I_H

#include <lmdb.h>
#include <stdint.h>
#include <string.h>

#include "jrow.h"
#include "lakeview/batch.h"
#include "lakeview/buf.h"
#include "store_i.h"
#include "table_i.h"

#define ARENA_MAX ((size_t)2 << 30)
#define ROWSTATE_DELETED 0x1
#define REC_MAX ((size_t)LV_VALUE_MAX * 2)  /* bytes of one CSV record */
#define RSMAP_MAX (1u << 26)  /* rows one batch may change */
#define SPARE_MAX ((size_t)256 << 20)  /* larger arenas are not kept */

/* Row state: 20 bytes a row, because there is one per row of every
 * table (a million-row table keeps 20 MB of it). */
struct rowstate {
	int64_t version;
	uint32_t sink_created;  /* unix seconds (good until 2106) */
	uint32_t part;          /* partition key yyyymm */
	uint32_t seg : 31;      /* segment holding the row (in place) */
	uint32_t flags : 1;     /* ROWSTATE_DELETED */
} __attribute__((packed));

/*
 * An index by row id over an array whose elements start with the id:
 * open addressing, a slot holds (hash tag << 32 | element index + 1), so
 * a probe compares the tag and touches an element only when it matches.
 * Kept at most half full.
 */
struct idx {
	uint64_t *slots;
	size_t nslots;
};

#define IDX_NONE ((size_t)-1)

/* Where an op is: index into the batch's parts + 1 (0: none), and into
 * that part's ops. */
struct opref {
	uint32_t part;
	uint32_t op;
};

/*
 * A row state this batch wrote, waiting for the sorted write at commit,
 * and the row's ops: @orig in the partition that held the row when the
 * batch began (the op that rewrites the row's segment), @cur in the
 * partition a change of this batch appended it to. An op of a partition
 * the row passed through and left again is not referenced (it is a
 * delete of nothing and flushes to nothing).
 */
struct rsent {
	uint8_t id[16];
	struct rowstate st;
	struct opref orig, cur;
};

/* The batch's row states, indexed by id. */
struct rsmap {
	struct rsent *e;
	size_t n, cap;
	struct idx x;
};

/* The runs of a table's row states (see "Where committed row states
 * live" below). */
#define RUNS_MAX 16
#define RUNS_MIN ((uint64_t)1 << 20)  /* fewer states in runs: no merge for size */
#define RUNKEY 28               /* run BE64 + table id BE32 + row id */
#define RUNDIR_MAX (12 + 16 * RUNS_MAX)

struct rundir {
	uint64_t base_n;        /* states the base holds (about) */
	uint32_t n;             /* runs, oldest first */
	struct {
		uint64_t run, count;
	} r[RUNS_MAX];
};

struct op {
	uint8_t id[16];
	uint64_t old_seg;      /* segment holding the row before the batch */
	uint32_t off, len;     /* record in the arena (ARENA_MAX < 4 GiB) */
	uint32_t rsi;          /* the row's entry in the batch's row states */
	struct rowstate st;    /* state to write when the row is placed */
	uint8_t del;
	uint8_t done;
};

struct part {
	uint32_t key;
	struct op *ops;
	size_t nops, cap;
};

struct lv_batch {
	struct lv_store *st;
	struct lv_wtxn w;
	struct lv_table t;
	struct lv_jrow row;
	size_t rec_off, rec_len;  /* the record encode() wrote, in the arena */
	size_t idf_off, idf_len;  /* the primary id column's value in it */
	size_t vf_off, vf_len;    /* the versionnumber column's value in it */
	int iidattr;           /* index of the primary id column or -1 */
	uint16_t *plen;        /* strlen() of each column's prop */
	uint32_t h_ctx, h_id, h_etag, h_idattr;  /* hashes of the keys looked up */
	size_t idattr_len;
	struct lv_buf lg;      /* the change-log group being filled */
	uint64_t lg_first;     /* its first sequence number */
	uint32_t lg_n;         /* its changes */
	struct lv_buf arena;   /* records of the batch */
	struct part *parts;
	size_t nparts, capparts;  /* parts past nparts keep their ops arrays */
	struct rsmap rs;       /* row states written by the batch */
	MDB_txn *rtxn;         /* reads committed row states (or NULL) */
	struct rundir rd;      /* the table's runs */
	MDB_dbi rowruns;       /* the rowruns table (valid when has_runs) */
	int has_runs;          /* the store has it, or this batch made it */
	int made_runs;         /* this batch made it */
	struct rowfilter *rf;  /* ids the rows table holds, when valid */
	int rf_try;            /* build the filter when lookups pay for it */
	size_t lookups;        /* row state lookups that reached the table */
	uint64_t dir_ino;
	struct lv_batch_stats stats;
	int resync;            /* full resync: remember which rows were seen */
	int schema_changed;    /* rewrite model.json and option sets too */
	int schema_force;      /* ... even when no record carries it */
	struct lv_table old;   /* the schema before lv_batch_adopt_schema() */
	int64_t sink_t[2];     /* two most recent Sink times, formatted */
	char sink_s[2][32];
	size_t sink_n[2];
};

#define ITEM_DETAIL_MAX 512

struct lv_item {
	struct lv_buf text;    /* the item's own copy of its JSON */
	struct lv_jrow row;
	int rc;
	char detail[ITEM_DETAIL_MAX];
};

/* The hash of a row id (both halves mixed), and the keys of its state. */
static inline uint64_t lv_id_hash(const uint8_t id[16])
{
	uint64_t a, b, h;

	memcpy(&a, id, 8);
	memcpy(&b, id + 8, 8);
	h = (a ^ (b * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
	return h ^ (h >> 33);
}

static inline void lv_row_key(unsigned char k[20], uint32_t table, const uint8_t id[16])
{
	lv_be32(k, table);
	memcpy(k + 4, id, 16);
}

static inline void lv_run_key(unsigned char k[RUNKEY], uint64_t run, uint32_t table,
		    const uint8_t id[16])
{
	lv_be64(k, run);
	lv_be32(k + 8, table);
	memcpy(k + 12, id, 16);
}

#endif
