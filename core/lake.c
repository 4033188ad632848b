/*
 * lake.c - applying changes: the change log, row state, and the live
 * partition files.
 *
 * Why this shape:
 *  - Every change is logged (sequence number, table, row id, operation,
 *    versionnumber, sink time, the record) and materialised in the same
 *    write transaction, so the log and the lake never disagree.
 *  - A live partition is a list of segments of about 64 KiB of CSV
 *    records, each one content chunk. The row state of an in-place row
 *    says which segment holds it, so an update or delete re-encodes just
 *    that segment: the cost of a change is proportional to the segments
 *    it touches, not to the partition. Creates and append-only changes go
 *    to the tail segment.
 *  - Within a batch, the changes to each partition are gathered first
 *    (per row: the newest record, or a delete) and flushed at commit, so a
 *    segment touched by many changes of one batch is rewritten once.
 *  - Records are re-encoded from the bytes already in the segment: the
 *    first field of every record is the row's Id, which is how a segment's
 *    records are matched to the batch's changes.
 *  - A batch touches the store only to read until it commits: row states
 *    it writes stay in memory (struct rsmap) and go out at commit in key
 *    order, as one appended run (see "Where committed row states live");
 *    records are encoded once, into the batch's arena, which is where the
 *    partition flush and the change log take them from; the log is
 *    written in groups of 64 KiB. So the bytes a commit writes grow with
 *    what the batch changed, not with the size of the table: a bulk
 *    import of a million rows writes about twice its CSV, where updating
 *    the rows table in place wrote that table again at every batch.
 *  - Lookups of row states (one per change) go through a filter of the
 *    ids the table holds, kept from one batch to the next, so the rows a
 *    large import creates cost no descent of the row-state tree.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jrow.h"
#include "lake_i.h"
#include "lakeview/time.h"
#include "lakeview/csv.h"
#include "lakeview/err.h"
#include "fedit_i.h"
#include "tree_i.h"

#define ARENA_MAX ((size_t)2 << 30)
#define ROWSTATE_DELETED 0x1
#define REC_MAX ((size_t)LV_VALUE_MAX * 2)  /* bytes of one CSV record */
#define RSMAP_MAX (1u << 26)  /* rows one batch may change */
#define SPARE_MAX ((size_t)256 << 20)  /* larger arenas are not kept */
#define LOG_GROUP_HDR 17
#define LOG_GROUP_MAX (16 * 4096 - 16)  /* a group: 16 LMDB overflow pages */
#define LOG_REC_MAXHDR (1 + 16 + 3 * 10)  /* op, id, three varints */

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

/* --- small helpers -------------------------------------------------------- */

void lv_part_name(uint32_t key, char *buf, size_t len)
{
	if (key % 100)
		snprintf(buf, len, "%04u-%02u", key / 100, key % 100);
	else
		snprintf(buf, len, "%04u", key / 100);
}

/* hex digit value + 1, 0 for anything else */
static const uint8_t hexv[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6,
	['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

static int guid_parse(const char *s, size_t n, uint8_t id[16])
{
	static const uint8_t at[16] = { 0, 2, 4, 6, 9, 11, 14, 16, 19, 21,
					24, 26, 28, 30, 32, 34 };
	unsigned bad = 0;

	if (n != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
		return -1;
	for (int i = 0; i < 16; i++) {
		unsigned hi = hexv[(unsigned char)s[at[i]]];
		unsigned lo = hexv[(unsigned char)s[at[i] + 1]];

		bad |= (hi - 1) | (lo - 1);  /* a 0 entry wraps: bit 31 set */
		id[i] = (uint8_t)((hi - 1) << 4 | (lo - 1));
	}
	return bad >> 31 ? -1 : 0;
}

static void guid_format(const uint8_t id[16], char out[37])
{
	static const char hex[] = "0123456789abcdef";
	int j = 0;

	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[j++] = '-';
		out[j++] = hex[id[i] >> 4];
		out[j++] = hex[id[i] & 15];
	}
	out[36] = '\0';
}

static uint64_t id_hash(const uint8_t id[16])
{
	uint64_t a, b, h;

	memcpy(&a, id, 8);
	memcpy(&b, id + 8, 8);
	h = (a ^ (b * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
	return h ^ (h >> 33);
}

static size_t idx_find(const struct idx *x, const void *base, size_t stride,
		       const uint8_t id[16], uint64_t h)
{
	size_t mask = x->nslots - 1, at;
	uint32_t tag = (uint32_t)(h >> 32);

	if (!x->nslots)
		return IDX_NONE;
	for (at = h & mask; x->slots[at]; at = (at + 1) & mask) {
		uint64_t v = x->slots[at];
		size_t i = (uint32_t)v - 1;

		if ((uint32_t)(v >> 32) == tag &&
		    memcmp((const char *)base + i * stride, id, 16) == 0)
			return i;
	}
	return IDX_NONE;
}

static void idx_set(struct idx *x, uint64_t h, size_t i)
{
	size_t mask = x->nslots - 1, at = h & mask;

	while (x->slots[at])
		at = (at + 1) & mask;
	x->slots[at] = (h >> 32 << 32) | (uint64_t)(i + 1);
}

/* Make room for one more element; @n elements exist (they are re-indexed
 * when the slots grow). */
static int idx_grow(struct idx *x, const void *base, size_t stride, size_t n)
{
	size_t nslots = x->nslots ? x->nslots : 1024;
	uint64_t *old = x->slots;

	if ((n + 1) * 2 <= x->nslots)
		return 0;
	while ((n + 1) * 2 > nslots)
		nslots *= 2;
	x->slots = calloc(nslots, sizeof(*x->slots));
	if (!x->slots) {
		x->slots = old;
		return -ENOMEM;
	}
	x->nslots = nslots;
	free(old);
	for (size_t i = 0; i < n; i++)
		idx_set(x, id_hash((const uint8_t *)base + i * stride), i);
	return 0;
}

/* --- row state -------------------------------------------------------------- */

static void row_key(unsigned char k[20], uint32_t table, const uint8_t id[16])
{
	lv_be32(k, table);
	memcpy(k + 4, id, 16);
}

static struct rsent *rs_find(struct rsmap *m, const uint8_t id[16])
{
	size_t i = idx_find(&m->x, m->e, sizeof(*m->e), id, id_hash(id));

	return i == IDX_NONE ? NULL : &m->e[i];
}

/* Set the state of row @id (hash @h; @e its entry or NULL when it has
 * none yet); *out (may be NULL) gets the entry. */
static int rs_put(struct rsmap *m, const uint8_t id[16], uint64_t h,
		  struct rsent *e, const struct rowstate *st, struct rsent **out)
{
	int rc;

	if (e) {
		e->st = *st;
		goto done;
	}
	if (m->n == RSMAP_MAX)
		return lv_err_set(LV_ETOOBIG, "batch changes more than %u rows; commit smaller batches",
				  RSMAP_MAX);
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;

		e = realloc(m->e, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		m->e = e;
		m->cap = cap;
	}
	rc = idx_grow(&m->x, m->e, sizeof(*m->e), m->n);
	if (rc)
		return rc;
	e = &m->e[m->n];
	memset(e, 0, sizeof(*e));
	memcpy(e->id, id, 16);
	e->st = *st;
	idx_set(&m->x, h, m->n++);
done:
	if (out)
		*out = e;
	return 0;
}

static void rs_free(struct rsmap *m)
{
	free(m->e);
	free(m->x.slots);
	memset(m, 0, sizeof(*m));
}

/*
 * Where committed row states live: the base (the rows table, keyed table
 * id + row id, updated in place) and up to RUNS_MAX runs (the rowruns
 * table, keyed run + table id + row id). A run is the row states one batch
 * wrote, appended in key order behind everything the rowruns table holds:
 * dense pages, written once. Updating the base in place instead touches a
 * random leaf per row: a batch of 100,000 rows into a table of a million
 * copies (copy on write) and writes every leaf of it, some 75 MB, each
 * time. Runs are merged into the base (in key order, the newest state of a
 * row winning) when there are RUNS_MAX of them, or when they hold more
 * than RUNS_MIN states and half as many as the base, so the base is
 * rewritten about once per doubling of the table, or per RUNS_MAX
 * batches, not per batch. Filters (below) say which run holds a row, so
 * more runs cost a lookup little.
 *
 * A state is looked up in the batch, then in the runs, newest first, then
 * in the base. The run directory of a table (struct rundir) is kept in the
 * meta table under "rowruns/<table id>". A store made before the rowruns
 * table existed gets it at its first batch.
 */

static void rundir_key(char *k, size_t len, uint32_t table)
{
	snprintf(k, len, "rowruns/%u", table);
}

/* The table's run directory (empty when it has none). */
static int rundir_load(MDB_txn *txn, struct lv_store *st, uint32_t table,
		       struct rundir *rd)
{
	char kb[32];
	MDB_val k, d;
	const unsigned char *p;
	int rc;

	memset(rd, 0, sizeof(*rd));
	rundir_key(kb, sizeof(kb), table);
	k.mv_size = strlen(kb);
	k.mv_data = kb;
	rc = mdb_get(txn, st->meta, &k, &d);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return rc;
	p = d.mv_data;
	if (d.mv_size < 12)
		return -EIO;
	rd->base_n = lv_get_be64(p);
	rd->n = lv_get_be32(p + 8);
	if (rd->n > RUNS_MAX || d.mv_size != 12 + 16 * (size_t)rd->n)
		return -EIO;
	for (uint32_t i = 0; i < rd->n; i++) {
		rd->r[i].run = lv_get_be64(p + 12 + 16 * i);
		rd->r[i].count = lv_get_be64(p + 20 + 16 * i);
	}
	return 0;
}

static int rundir_save(struct lv_wtxn *w, uint32_t table, const struct rundir *rd)
{
	char kb[32];
	unsigned char vb[RUNDIR_MAX];
	MDB_val k, d = { 12 + 16 * (size_t)rd->n, vb };

	rundir_key(kb, sizeof(kb), table);
	k.mv_size = strlen(kb);
	k.mv_data = kb;
	lv_be64(vb, rd->base_n);
	lv_be32(vb + 8, rd->n);
	for (uint32_t i = 0; i < rd->n; i++) {
		lv_be64(vb + 12 + 16 * i, rd->r[i].run);
		lv_be64(vb + 20 + 16 * i, rd->r[i].count);
	}
	return mdb_put(w->txn, w->st->meta, &k, &d, 0);
}

static const uint8_t zero_id[16];

/* Delete every key of @ksize bytes that starts with @prefix (@plen bytes). */
static int del_prefix(MDB_cursor *cur, const unsigned char *prefix, size_t plen,
		      size_t ksize)
{
	MDB_val k = { plen, (void *)prefix }, d;
	int rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);

	while (rc == 0 && k.mv_size == ksize && memcmp(k.mv_data, prefix, plen) == 0) {
		rc = mdb_cursor_del(cur, 0);
		if (!rc)
			rc = mdb_cursor_get(cur, &k, &d, MDB_GET_CURRENT);
	}
	return rc == MDB_NOTFOUND || rc == EINVAL ? 0 : rc;
}

static void run_key(unsigned char k[RUNKEY], uint64_t run, uint32_t table,
		    const uint8_t id[16])
{
	lv_be64(k, run);
	lv_be32(k + 8, table);
	memcpy(k + 12, id, 16);
}

/*
 * Filters of the row ids a table holds: one for the base and one for each
 * run, blocked Bloom filters (one 512-bit block per id, 7 bits in it, ~12
 * bits an id). Most changes of an initial sync or a bulk import are rows
 * never seen, and a lookup that misses still descends to a random leaf of
 * a tree larger than the CPU's caches; a filter says "not there" from one
 * cache line, and a row that is there is looked up in the one run (or the
 * base) that holds it, not in every run before it. A "maybe" is looked up,
 * so a false positive costs a lookup and nothing else, and a filter is
 * never wrong about a row its level holds: it is built from the level, and
 * a run a batch appends gets its filter once the batch has committed.
 *
 * They live on the store from one batch to the next of a process and are
 * valid while the last commit to the store is the one they reflect: any
 * other commit (another process, another kind of write, a merge of the
 * runs) makes the next batch rebuild them, by a scan of the table's ids,
 * once the batch has made enough lookups to pay for the scan. Tables of
 * more than RF_MAX_BYTES worth of ids go without.
 */
#define RF_BITS_PER_ID 12
#define RF_MIN_IDS ((size_t)1 << 16)
#define RF_MAX_BYTES ((size_t)128 << 20)

struct bloom {
	uint64_t *w;            /* nblocks blocks of 8 words */
	size_t nblocks;         /* a power of two */
	size_t n, cap;          /* ids added; ids it is sized for */
};

struct rowfilter {
	uint32_t table;
	size_t txnid;           /* the commit it reflects; 0: none */
	struct bloom base;
	uint32_t nruns;
	uint64_t run[RUNS_MAX]; /* the runs, as in the table's directory */
	struct bloom runs[RUNS_MAX];
};

static void bloom_free(struct bloom *f)
{
	free(f->w);
	memset(f, 0, sizeof(*f));
}

/* Empty @f, sized for @ids ids. */
static int bloom_init(struct bloom *f, size_t ids)
{
	size_t nblocks = 1;

	if (ids < RF_MIN_IDS)
		ids = RF_MIN_IDS;
	while (nblocks * 512 < ids * RF_BITS_PER_ID)
		nblocks *= 2;
	if (f->nblocks != nblocks) {
		uint64_t *w = malloc(nblocks * 64);

		if (!w)
			return -ENOMEM;
		free(f->w);
		f->w = w;
		f->nblocks = nblocks;
	}
	memset(f->w, 0, nblocks * 64);
	f->n = 0;
	f->cap = nblocks * 512 / RF_BITS_PER_ID;
	return 0;
}

static uint64_t *bloom_block(const struct bloom *f, uint64_t h)
{
	uint64_t g = h * 0xc2b2ae3d27d4eb4full;

	return f->w + 8 * ((g >> 32) & (f->nblocks - 1));
}

static void bloom_add(struct bloom *f, uint64_t h)
{
	uint64_t *blk = bloom_block(f, h);

	for (int i = 0; i < 7; i++, h >>= 9)
		blk[(h >> 6) & 7] |= 1ull << (h & 63);
	f->n++;
}

static int bloom_maybe(const struct bloom *f, uint64_t h)
{
	const uint64_t *blk = bloom_block(f, h);

	for (int i = 0; i < 7; i++, h >>= 9)
		if (!(blk[(h >> 6) & 7] & (1ull << (h & 63))))
			return 0;
	return 1;
}

static void rf_free(void *p)
{
	struct rowfilter *f = p;

	if (!f)
		return;
	bloom_free(&f->base);
	for (int i = 0; i < RUNS_MAX; i++)
		bloom_free(&f->runs[i]);
	free(f);
}

/* Add the ids of the table's level [@from, @to) of table @dbi: keys of
 * @klen bytes from @from on whose first @plen bytes are @from's; the id
 * is the last 16 bytes of a key. */
static int bloom_scan(MDB_txn *txn, MDB_dbi dbi, const unsigned char *from,
		      size_t klen, size_t plen, struct bloom *f)
{
	MDB_val k = { klen, (void *)from }, d;
	MDB_cursor *cur;
	int rc;

	rc = mdb_cursor_open(txn, dbi, &cur);
	if (rc)
		return rc;
	rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
	while (rc == 0 && k.mv_size == klen && memcmp(k.mv_data, from, plen) == 0) {
		bloom_add(f, id_hash((const uint8_t *)k.mv_data + klen - 16));
		rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* (Re)build the store's filters for the batch's table from the table as
 * the batch began. On failure the batch goes on without them. */
static void rf_build(struct lv_batch *b)
{
	struct rowfilter *f = b->st->rowfilter;
	MDB_txn *txn = b->rtxn ? b->rtxn : b->w.txn;
	size_t total = 0;
	unsigned char kb[RUNKEY];

	b->rf_try = 0;
	for (uint32_t i = 0; i < b->rd.n; i++)
		total += b->rd.r[i].count;
	if ((2 * (size_t)b->t.count + total) * RF_BITS_PER_ID / 8 > RF_MAX_BYTES)
		return;
	if (!f) {
		f = calloc(1, sizeof(*f));
		if (!f)
			return;
		b->st->rowfilter = f;
		b->st->rowfilter_free = rf_free;
	}
	f->txnid = 0;
	f->table = b->t.id;
	if (bloom_init(&f->base, 2 * (size_t)b->t.count))
		return;
	row_key(kb, b->t.id, zero_id);
	if (bloom_scan(txn, b->st->rows, kb, 20, 4, &f->base))
		return;
	for (uint32_t i = 0; i < b->rd.n; i++) {
		if (bloom_init(&f->runs[i], b->rd.r[i].count))
			return;
		run_key(kb, b->rd.r[i].run, b->t.id, zero_id);
		if (bloom_scan(txn, b->rowruns, kb, RUNKEY, 12, &f->runs[i]))
			return;
		f->run[i] = b->rd.r[i].run;
	}
	f->nruns = b->rd.n;
	b->rf = f;
}

/* At batch begin: use the store's filters if they reflect the last commit
 * and the table's runs as they are. */
static void rf_attach(struct lv_batch *b)
{
	struct rowfilter *f = b->st->rowfilter;
	int ok = f && f->txnid && f->table == b->t.id && f->base.n <= f->base.cap &&
		 f->txnid + 1 == mdb_txn_id(b->w.txn) && f->nruns == b->rd.n;

	for (uint32_t i = 0; ok && i < b->rd.n; i++)
		ok = f->run[i] == b->rd.r[i].run;
	b->rf = ok ? f : NULL;
	b->rf_try = !ok;
	b->lookups = 0;
	if (f && !ok)
		f->txnid = 0;
}

/*
 * After the batch committed as transaction @txnid: a run it appended gets
 * its filter. A merge changed the levels: the filters are rebuilt when a
 * later batch needs them.
 */
static void rf_committed(struct lv_batch *b, size_t txnid)
{
	struct rowfilter *f = b->rf;

	if (!f)
		return;
	if (b->rd.n == f->nruns && !b->rs.n) {
		f->txnid = txnid;  /* the batch wrote no row state */
		return;
	}
	if (b->rd.n != f->nruns + 1 || b->rd.r[f->nruns].count != b->rs.n ||
	    bloom_init(&f->runs[f->nruns], b->rs.n)) {
		f->txnid = 0;
		return;
	}
	for (size_t i = 0; i < b->rs.n; i++)
		bloom_add(&f->runs[f->nruns], id_hash(b->rs.e[i].id));
	f->run[f->nruns] = b->rd.r[f->nruns].run;
	f->nruns++;
	f->txnid = txnid;
}

/* Start loading what row_get() of an id with hash @h reads first (the
 * batch's index slot, the filters' blocks): cache misses all, on tables
 * larger than the caches, and independent of each other. */
static void row_prefetch(const struct lv_batch *b, uint64_t h)
{
	if (b->rs.x.nslots)
		__builtin_prefetch(&b->rs.x.slots[h & (b->rs.x.nslots - 1)]);
	if (b->rf) {
		__builtin_prefetch(bloom_block(&b->rf->base, h));
		for (uint32_t r = 0; r < b->rf->nruns; r++)
			__builtin_prefetch(bloom_block(&b->rf->runs[r], h));
	}
}

static int row_get(struct lv_batch *b, const uint8_t id[16], uint64_t h,
		   struct rowstate *s, struct rsent **in_batch)
{
	unsigned char kb[20];
	MDB_val k = { 20, kb }, d;
	size_t i = idx_find(&b->rs.x, b->rs.e, sizeof(*b->rs.e), id, h);
	int rc;

	if (in_batch)
		*in_batch = i == IDX_NONE ? NULL : &b->rs.e[i];
	if (i != IDX_NONE) {
		*s = b->rs.e[i].st;
		return 0;
	}
	if (!b->rf && b->rf_try && ++b->lookups > b->t.count / 32)
		rf_build(b);
	for (uint32_t r = b->rd.n; r > 0; r--) {
		unsigned char rk[RUNKEY];
		MDB_val rkv = { RUNKEY, rk };

		if (b->rf && !bloom_maybe(&b->rf->runs[r - 1], h))
			continue;
		run_key(rk, b->rd.r[r - 1].run, b->t.id, id);
		rc = mdb_get(b->rtxn ? b->rtxn : b->w.txn, b->rowruns, &rkv, &d);
		if (rc == 0)
			goto found;
		if (rc != MDB_NOTFOUND)
			return rc;
	}
	if (b->rf && !bloom_maybe(&b->rf->base, h))
		return MDB_NOTFOUND;
	row_key(kb, b->t.id, id);
	rc = mdb_get(b->rtxn ? b->rtxn : b->w.txn, b->st->rows, &k, &d);
found:
	if (rc)
		return rc;
	if (d.mv_size != sizeof(*s))
		return -EIO;
	memcpy(s, d.mv_data, sizeof(*s));
	return 0;
}

/* The state is kept in the batch; rows_flush() writes it. */
static int row_put(struct lv_batch *b, const uint8_t id[16], const struct rowstate *s)
{
	uint64_t h = id_hash(id);
	size_t i = idx_find(&b->rs.x, b->rs.e, sizeof(*b->rs.e), id, h);

	return rs_put(&b->rs, id, h, i == IDX_NONE ? NULL : &b->rs.e[i], s, NULL);
}

struct sortkey {
	uint64_t k;    /* the id's first 8 bytes, big-endian: its sort order */
	uint64_t i;    /* element index */
};

/* Sort @n keys (LSD radix, a byte a pass, passes that change nothing
 * skipped); @tmp holds n keys. */
static void radix_sort(struct sortkey *v, struct sortkey *tmp, size_t n)
{
	for (int shift = 0; shift < 64; shift += 8) {
		size_t count[256] = { 0 }, pos = 0;

		for (size_t i = 0; i < n; i++)
			count[(v[i].k >> shift) & 0xff]++;
		if (count[(v[0].k >> shift) & 0xff] == n)
			continue;
		for (int d = 0; d < 256; d++) {
			size_t c = count[d];

			count[d] = pos;
			pos += c;
		}
		for (size_t i = 0; i < n; i++)
			tmp[count[(v[i].k >> shift) & 0xff]++] = v[i];
		memcpy(v, tmp, n * sizeof(*v));
	}
}

/* The batch's row states in key order: an array of indexes into rs.e
 * (malloc'd, n entries), or NULL with -ENOMEM. */
static struct sortkey *rs_sorted(struct rsmap *m)
{
	struct sortkey *v = malloc(2 * (m->n ? m->n : 1) * sizeof(*v));

	if (!v)
		return NULL;
	for (size_t i = 0; i < m->n; i++) {
		v[i].k = lv_get_be64(m->e[i].id);
		v[i].i = i;
	}
	radix_sort(v, v + m->n, m->n);
	/* ids sharing their first 8 bytes: order them by the rest */
	for (size_t i = 1; i < m->n; i++)
		for (size_t j = i; j > 0 && v[j - 1].k == v[j].k &&
		     memcmp(m->e[v[j - 1].i].id, m->e[v[j].i].id, 16) > 0; j--) {
			struct sortkey t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v;
}

/*
 * Put states into the base, in key order (puts in order touch each leaf
 * once and descend from the root only when they leave it). Appended while
 * the table's keys are the last of the rows table (dense pages).
 */
struct baseput {
	MDB_cursor *cur;
	unsigned flags;
};

static int base_put(struct lv_batch *b, struct baseput *bp, const uint8_t id[16],
		    const void *st)
{
	unsigned char kb[20];
	MDB_val k = { 20, kb }, d = { sizeof(struct rowstate), (void *)st };
	int rc;

	row_key(kb, b->t.id, id);
	rc = mdb_cursor_put(bp->cur, &k, &d, bp->flags);
	if (rc == MDB_KEYEXIST && bp->flags) {
		bp->flags = 0;  /* not past the last key: put in place from here on */
		rc = mdb_cursor_put(bp->cur, &k, &d, 0);
	}
	return rc;
}

/* A run being merged: its cursor and current entry. */
struct runcur {
	MDB_cursor *cur;
	uint64_t run;
	int live;
	uint8_t id[16];
	struct rowstate st;
};

static int runcur_next(struct lv_batch *b, struct runcur *rc_, MDB_cursor_op op)
{
	unsigned char rk[RUNKEY];
	MDB_val k = { RUNKEY, rk }, d;
	int rc;

	if (op == MDB_SET_RANGE)
		run_key(rk, rc_->run, b->t.id, zero_id);
	rc = mdb_cursor_get(rc_->cur, &k, &d, op);
	rc_->live = rc == 0 && k.mv_size == RUNKEY && lv_get_be64(k.mv_data) == rc_->run &&
		    lv_get_be32((unsigned char *)k.mv_data + 8) == b->t.id;
	if (rc == MDB_NOTFOUND)
		rc = 0;
	if (rc_->live) {
		if (d.mv_size != sizeof(rc_->st))
			return -EIO;
		memcpy(rc_->id, (unsigned char *)k.mv_data + 12, 16);
		memcpy(&rc_->st, d.mv_data, sizeof(rc_->st));
	}
	return rc;
}

/* Delete the entries of the runs in @rd of table @table. */
static int runs_delete(MDB_txn *txn, MDB_dbi dbi, uint32_t table,
		       const struct rundir *rd)
{
	MDB_stat ms;
	uint64_t total = 0;
	MDB_cursor *cur;
	int rc;

	for (uint32_t i = 0; i < rd->n; i++)
		total += rd->r[i].count;
	rc = mdb_stat(txn, dbi, &ms);
	if (rc)
		return rc;
	if (ms.ms_entries == total)
		return mdb_drop(txn, dbi, 0);  /* they are all it holds */
	rc = mdb_cursor_open(txn, dbi, &cur);
	if (rc)
		return rc;
	for (uint32_t i = 0; !rc && i < rd->n; i++) {
		unsigned char rk[RUNKEY];

		run_key(rk, rd->r[i].run, table, zero_id);
		rc = del_prefix(cur, rk, 12, RUNKEY);  /* run + table */
	}
	mdb_cursor_close(cur);
	return rc;
}

int lv_rowruns_drop(struct lv_wtxn *w, uint32_t table)
{
	struct rundir rd;
	char kb[32];
	MDB_val k;
	int rc;

	if (!w->st->has_rowruns)
		return 0;
	rc = rundir_load(w->txn, w->st, table, &rd);
	if (!rc)
		rc = runs_delete(w->txn, w->st->rowruns, table, &rd);
	if (rc)
		return rc;
	rundir_key(kb, sizeof(kb), table);
	k.mv_size = strlen(kb);
	k.mv_data = kb;
	rc = mdb_del(w->txn, w->st->meta, &k, NULL);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/*
 * Merge the table's runs, and the batch's states in @v (NULL: none), into
 * the base in key order; the newest state of a row wins. The runs are
 * deleted and the directory emptied (the caller saves it).
 */
static int runs_merge(struct lv_batch *b, const struct sortkey *v)
{
	struct runcur rcs[RUNS_MAX];
	struct baseput bp = { NULL, MDB_APPEND };
	size_t vi = 0, nv = v ? b->rs.n : 0;
	uint32_t nr = b->rd.n;
	uint64_t merged = 0;
	int rc;

	memset(rcs, 0, sizeof(rcs));
	rc = mdb_cursor_open(b->w.txn, b->st->rows, &bp.cur);
	for (uint32_t i = 0; !rc && i < nr; i++) {
		rcs[i].run = b->rd.r[i].run;
		rc = mdb_cursor_open(b->w.txn, b->rowruns, &rcs[i].cur);
		if (!rc)
			rc = runcur_next(b, &rcs[i], MDB_SET_RANGE);
	}
	while (!rc) {
		const uint8_t *min = vi < nv ? b->rs.e[v[vi].i].id : NULL;
		const void *st = vi < nv ? &b->rs.e[v[vi].i].st : NULL;
		uint8_t id[16];

		/* the smallest id; of equal ones the newest: the batch, then
		 * the runs from the newest */
		for (uint32_t i = nr; i > 0; i--)
			if (rcs[i - 1].live && (!min || memcmp(rcs[i - 1].id, min, 16) < 0)) {
				min = rcs[i - 1].id;
				st = &rcs[i - 1].st;
			}
		if (!min)
			break;
		memcpy(id, min, 16);
		rc = base_put(b, &bp, id, st);
		merged++;
		if (vi < nv && memcmp(b->rs.e[v[vi].i].id, id, 16) == 0)
			vi++;
		for (uint32_t i = 0; !rc && i < nr; i++)
			if (rcs[i].live && memcmp(rcs[i].id, id, 16) == 0)
				rc = runcur_next(b, &rcs[i], MDB_NEXT);
	}
	for (uint32_t i = 0; i < nr; i++)
		if (rcs[i].cur)
			mdb_cursor_close(rcs[i].cur);
	if (bp.cur)
		mdb_cursor_close(bp.cur);
	if (!rc && nr)
		rc = runs_delete(b->w.txn, b->rowruns, b->t.id, &b->rd);
	if (rc)
		return rc;
	/* the levels changed: the filters no longer say where a row is */
	if (b->st->rowfilter)
		((struct rowfilter *)b->st->rowfilter)->txnid = 0;
	b->rf = NULL;
	b->rf_try = 0;
	b->rd.n = 0;
	b->rd.base_n += merged;
	return 0;
}

/* Append the batch's states (@v, in key order) to the rowruns table as a
 * new run of the table. */
static int run_append(struct lv_batch *b, const struct sortkey *v)
{
	uint64_t run = ++b->w.next_run;
	MDB_cursor *cur;
	int rc;

	rc = mdb_cursor_open(b->w.txn, b->rowruns, &cur);
	for (size_t i = 0; !rc && i < b->rs.n; i++) {
		struct rsent *e = &b->rs.e[v[i].i];
		unsigned char rk[RUNKEY];

		if (i + 8 < b->rs.n)  /* key order is random in memory */
			__builtin_prefetch(&b->rs.e[v[i + 8].i]);
		MDB_val k = { RUNKEY, rk }, d = { sizeof(e->st), &e->st };

		run_key(rk, run, b->t.id, e->id);
		rc = mdb_cursor_put(cur, &k, &d, MDB_APPEND);
	}
	if (!rc) {
		mdb_cursor_close(cur);
		b->rd.r[b->rd.n].run = run;
		b->rd.r[b->rd.n].count = b->rs.n;
		b->rd.n++;
	}
	return rc;
}

/* Get the rowruns table, making it in a store that lacks it. */
static int runs_open(struct lv_batch *b)
{
	int rc;

	if (b->has_runs)
		return 0;
	rc = mdb_dbi_open(b->w.txn, "rowruns", MDB_CREATE, &b->rowruns);
	if (rc)
		return rc;
	b->has_runs = b->made_runs = 1;
	/* a lakeview that knows no runs must not write this store now */
	return lv_meta_put_u64(b->w.txn, b->st, "format", LV_STORE_FORMAT);
}

/*
 * Write the batch's row states: a new run, or (RUNS_MAX runs, or runs of
 * half the base) everything merged into the base. With @all, or when the
 * batch has merged already, into the base whatever the runs hold. The
 * states stay in the batch (later items still find them there).
 */
static int rows_flush(struct lv_batch *b, int all)
{
	struct sortkey *v;
	uint64_t inruns = b->rs.n;
	int rc;

	if (!b->rs.n && !(all && b->rd.n))
		return 0;
	v = rs_sorted(&b->rs);
	if (!v)
		return -ENOMEM;
	for (uint32_t i = 0; i < b->rd.n; i++)
		inruns += b->rd.r[i].count;
	rc = runs_open(b);
	if (!rc) {
		if (all || b->rd.n == RUNS_MAX ||
		    (b->rd.base_n && inruns >= RUNS_MIN && inruns >= b->rd.base_n / 2))
			rc = runs_merge(b, v);
		else
			rc = run_append(b, v);
	}
	if (!rc)
		rc = rundir_save(&b->w, b->t.id, &b->rd);
	free(v);
	return rc;
}

/*
 * During a full resync the rows seen are marked under the table id with
 * its top bit set, in the same transactions as the pages that carry them,
 * so a resync interrupted by a crash resumes with its marks intact.
 */
#define SEEN_BIT 0x80000000u

static int seen_put(struct lv_batch *b, const uint8_t id[16])
{
	unsigned char kb[20];
	MDB_val k = { 20, kb }, d = { 0, NULL };

	row_key(kb, b->t.id | SEEN_BIT, id);
	return mdb_put(b->w.txn, b->st->rows, &k, &d, 0);
}

/* --- encoding --------------------------------------------------------------- */

static int bad(const struct lv_column *c, const char *want)
{
	return lv_err_set(LV_EBADVALUE, "column '%s' (%s): expected %s", c->name,
			  c->attrtype, want);
}

/* lv_buf_addc() and lv_buf_add() without a call when there is room (the
 * encoder calls them for every value of every change) */
static inline int put1(struct lv_buf *o, char c)
{
	if (o->len + 2 <= o->cap && o->len < o->max) {
		o->p[o->len++] = c;
		o->p[o->len] = '\0';
		return 0;
	}
	return lv_buf_addc(o, c);
}

static inline int putn(struct lv_buf *o, const void *s, size_t n)
{
	if (o->len + n + 1 <= o->cap && n <= o->max - o->len) {
		memcpy(o->p + o->len, s, n);
		o->len += n;
		o->p[o->len] = '\0';
		return 0;
	}
	return lv_buf_add(o, s, n);
}

static char *put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

static int encode_date(struct lv_buf *o, const struct lv_column *c,
		       const struct lv_jfield *f)
{
	int64_t secs;
	uint32_t ticks;
	int y, mo, d, h, mi, s, date_only, rc;
	char *p, *start;

	if (f->kind != LV_J_STR || lv_time_parse(f->val, f->vlen, &secs, &ticks, &date_only))
		return bad(c, "an ISO 8601 date");
	lv_time_civil(secs, &y, &mo, &d, &h, &mi, &s);
	if (y < 1 || y > 9999)
		return bad(c, "a date in years 1-9999");
	rc = lv_buf_grow(o, 40, &p);
	if (rc)
		return rc;
	start = p;
	*p++ = '"';
	p = put2(put2(p, y / 100), y % 100);
	*p++ = '-';
	p = put2(p, mo);
	*p++ = '-';
	p = put2(p, d);
	*p++ = 'T';
	p = put2(p, h);
	*p++ = ':';
	p = put2(p, mi);
	*p++ = ':';
	p = put2(p, s);
	if (c->fmt == LV_F_DATE_OFF7) {
		*p++ = '.';
		for (int i = 6; i >= 0; i--) {
			p[i] = (char)('0' + ticks % 10);
			ticks /= 10;
		}
		p += 7;
		memcpy(p, "+00:00", 6);
		p += 6;
	} else {
		*p++ = 'Z';
	}
	*p++ = '"';
	o->len += (size_t)(p - start);
	o->p[o->len] = '\0';
	return 0;
}

static int encode_value(struct lv_buf *o, const struct lv_column *c,
			const struct lv_jfield *f)
{
	uint8_t id[16];
	char g[37];

	if (f->kind == LV_J_NULL)
		return 0;
	if (f->vlen > LV_VALUE_MAX)
		return lv_err_set(LV_ETOOBIG, "column '%s': value of %zu bytes passes the %u MiB limit",
				  c->name, f->vlen, LV_VALUE_MAX >> 20);
	switch (c->type) {
	case LV_T_GUID:
		if (f->kind != LV_J_STR || guid_parse(f->val, f->vlen, id))
			return bad(c, "a GUID");
		guid_format(id, g);
		return putn(o, g, 36);
	case LV_T_STRING:
		if (f->kind != LV_J_STR)
			return bad(c, "a string");
		return lv_csv_quoted(o, f->val, f->vlen);
	case LV_T_INT64:
		if (f->kind != LV_J_NUM || memchr(f->val, '.', f->vlen) ||
		    memchr(f->val, 'e', f->vlen) || memchr(f->val, 'E', f->vlen) ||
		    f->vlen > 20)
			return bad(c, "an integer");
		return putn(o, f->val, f->vlen);
	case LV_T_DECIMAL:
	case LV_T_DOUBLE:
		if (f->kind != LV_J_NUM)
			return bad(c, "a number");
		return putn(o, f->val, f->vlen);
	case LV_T_BOOLEAN:
		if (f->kind == LV_J_TRUE)
			return lv_buf_adds(o, "True");
		if (f->kind == LV_J_FALSE)
			return lv_buf_adds(o, "False");
		return bad(c, "true or false");
	case LV_T_DATETIME:
	case LV_T_DATETIMEOFFSET:
		return encode_date(o, c, f);
	}
	return bad(c, "a known type");
}

/* Sink times repeat for every row of a batch: format each once. */
static int add_sink(struct lv_batch *b, struct lv_buf *o, int64_t t)
{
	struct lv_buf tmp;
	int i;

	for (i = 0; i < 2; i++)
		if (b->sink_n[i] && b->sink_t[i] == t)
			return putn(o, b->sink_s[i], b->sink_n[i]);
	i = b->sink_n[0] ? 1 : 0;
	if (b->sink_n[0] && b->sink_n[1])
		i = b->sink_t[0] < b->sink_t[1] ? 0 : 1;  /* replace the older */
	lv_buf_init(&tmp, sizeof(b->sink_s[0]) - 1);
	if (lv_buf_addc(&tmp, '"') || lv_time_sink(&tmp, t) || lv_buf_addc(&tmp, '"')) {
		lv_buf_free(&tmp);
		return -ENOMEM;
	}
	memcpy(b->sink_s[i], tmp.p, tmp.len);
	b->sink_n[i] = tmp.len;
	b->sink_t[i] = t;
	lv_buf_free(&tmp);
	return putn(o, b->sink_s[i], b->sink_n[i]);
}

static int encode(struct lv_batch *b, const struct lv_jrow *row,
		  const uint8_t id[16], int64_t sink_c, int64_t sink_m, int del)
{
	struct lv_buf *o = &b->arena;
	size_t start = o->len;
	char g[37];
	int rc = 0;

	b->rec_off = start;
	guid_format(id, g);
	b->idf_len = b->vf_len = 0;
	for (size_t i = 0; !rc && i < b->t.ncols; i++) {
		const struct lv_column *c = &b->t.cols[i];
		const struct lv_jfield *f;

		if (i)
			rc = put1(o, ',');
		if (rc)
			break;
		if (o->len - start > REC_MAX) {
			rc = LV_ETOOBIG;
			break;
		}
		if (((int)i == b->iidattr || (int)i == b->t.iversion) &&
		    !(c->flags & LV_COL_REMOVED)) {
			size_t at = o->len - start;

			/* as below; the log wants to know where they are */
			if (del) {
				if ((int)i == b->iidattr)
					rc = putn(o, g, 36);
			} else {
				f = lv_jrow_get(row, c->prop, b->plen[i], c->hash);
				if (f)
					rc = encode_value(o, c, f);
			}
			if ((int)i == b->iidattr) {
				b->idf_off = at;
				b->idf_len = o->len - start - at;
			} else {
				b->vf_off = at;
				b->vf_len = o->len - start - at;
			}
			continue;
		}
		if (c->flags & LV_COL_ID)
			rc = putn(o, g, 36);
		else if (c->flags & (LV_COL_SINK_C | LV_COL_SINK_M))
			rc = add_sink(b, o, (c->flags & LV_COL_SINK_C) ? sink_c : sink_m);
		else if (c->flags & LV_COL_ISDELETE) {
			if (del)
				rc = lv_buf_adds(o, "True");
		} else if (c->flags & LV_COL_REMOVED) {
			continue;
		} else if (del) {
			continue;  /* a tombstone holds only its id */
		} else {
			f = lv_jrow_get(row, c->prop, b->plen[i], c->hash);
			if (f)
				rc = encode_value(o, c, f);
		}
	}
	if (!rc)
		rc = put1(o, '\n');
	if (!rc && o->len - start > REC_MAX)
		rc = LV_ETOOBIG;
	b->rec_len = o->len - start;
	if (rc) {
		o->len = start;
		if (o->p)
			o->p[start] = '\0';
	}
	if (rc == LV_ETOOBIG && !lv_err_detail_for(rc))
		lv_err_set(rc, o->max - start <= REC_MAX ?
			   "batch larger than %zu bytes; commit smaller batches" :
			   "record larger than %zu bytes",
			   o->max - start <= REC_MAX ? o->max : (size_t)REC_MAX);
	return rc;
}

/* --- pending changes per partition ------------------------------------------ */

static struct part *part_get(struct lv_batch *b, uint32_t key)
{
	struct part *p;

	for (size_t i = 0; i < b->nparts; i++)
		if (b->parts[i].key == key)
			return &b->parts[i];
	if (b->nparts == b->capparts) {
		size_t cap = b->capparts ? 2 * b->capparts : 4;

		p = realloc(b->parts, cap * sizeof(*p));
		if (!p)
			return NULL;
		memset(p + b->capparts, 0, (cap - b->capparts) * sizeof(*p));
		b->parts = p;
		b->capparts = cap;
	}
	p = &b->parts[b->nparts++];
	p->key = key;
	p->nops = 0;
	return p;
}

/* New op for row @id at the end of p; @ref (may be NULL) says where. */
static struct op *part_add(struct lv_batch *b, struct part *p, const uint8_t id[16],
			   struct opref *ref)
{
	struct op *o;

	if (p->nops == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;

		o = realloc(p->ops, cap * sizeof(*o));
		if (!o)
			return NULL;
		p->ops = o;
		p->cap = cap;
	}
	o = &p->ops[p->nops];
	memset(o, 0, sizeof(*o));
	memcpy(o->id, id, 16);
	if (ref) {
		ref->part = (uint32_t)(p - b->parts) + 1;
		ref->op = (uint32_t)p->nops;
	}
	p->nops++;
	return o;
}

/* The op of a row (its refs @orig, @cur) in partition @key, or NULL. */
static struct op *op_in(struct lv_batch *b, const struct opref *orig,
			const struct opref *cur, uint32_t key)
{
	if (orig->part && b->parts[orig->part - 1].key == key)
		return &b->parts[orig->part - 1].ops[orig->op];
	if (cur->part && b->parts[cur->part - 1].key == key)
		return &b->parts[cur->part - 1].ops[cur->op];
	return NULL;
}

/* Keep the record encode() wrote for op @o (it is in the arena already). */
static void stash(struct lv_batch *b, struct op *o)
{
	o->off = (uint32_t)b->rec_off;
	o->len = (uint32_t)b->rec_len;
}

/* Forget the record encode() wrote (it went to the log only). */
static void unstash(struct lv_batch *b)
{
	b->arena.len = b->rec_off;
}

/* --- the batch ---------------------------------------------------------------- */

/* Index the batch's schema: the primary id column, the length of each
 * column's property name. */
static int index_schema(struct lv_batch *b)
{
	uint16_t *plen = realloc(b->plen, (b->t.ncols ? b->t.ncols : 1) * sizeof(*plen));

	if (!plen)
		return -ENOMEM;
	b->plen = plen;
	b->idattr_len = strlen(b->t.idattr);
	b->h_idattr = lv_jrow_hash(b->t.idattr, b->idattr_len);
	b->h_ctx = lv_jrow_hash("@odata.context", 14);
	b->h_id = lv_jrow_hash("id", 2);
	b->h_etag = lv_jrow_hash("@odata.etag", 11);
	b->iidattr = -1;
	for (size_t i = 0; i < b->t.ncols; i++) {
		plen[i] = (uint16_t)strlen(b->t.cols[i].prop);
		if (strcmp(b->t.cols[i].name, b->t.idattr) == 0 &&
		    !(b->t.cols[i].flags & (LV_COL_ID | LV_COL_SINK_C | LV_COL_SINK_M |
					    LV_COL_ISDELETE | LV_COL_REMOVED)))
			b->iidattr = (int)i;
	}
	return 0;
}

static void batch_destroy(void *p)
{
	struct lv_batch *b = p;

	if (!b)
		return;
	for (size_t i = 0; i < b->capparts; i++)
		free(b->parts[i].ops);
	free(b->parts);
	rs_free(&b->rs);
	free(b->plen);
	lv_jrow_free(&b->row);
	lv_buf_free(&b->arena);
	lv_buf_free(&b->lg);
	lv_table_free(&b->t);
	lv_table_free(&b->old);
	free(b);
}

int lv_batch_begin(struct lv_store *st, const char *table, struct lv_batch **out)
{
	struct lv_batch *b;
	int rc;

	*out = NULL;
	/* the last batch's buffers, kept on the store: a large batch fills
	 * tens of MB, and fresh memory costs a page fault per 4 KiB */
	b = st->spare_batch;
	st->spare_batch = NULL;
	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return -ENOMEM;
		lv_jrow_init(&b->row);
		lv_buf_init(&b->arena, ARENA_MAX);
		lv_buf_init(&b->lg, LOG_GROUP_MAX + LOG_REC_MAXHDR + LV_VALUE_MAX * 2);
	}
	b->st = st;
	rc = lv_wtxn_begin(st, &b->w);
	if (rc)
		goto out;
	/* begun while this writer holds the lock: it sees what the write
	 * transaction saw at its start; without one, row_get() reads through
	 * the write transaction */
	if (mdb_txn_begin(st->env, NULL, MDB_RDONLY, &b->rtxn))
		b->rtxn = NULL;
	rc = lv_table_load(b->w.txn, st, table, &b->t);
	if (!rc)
		rc = index_schema(b);
	if (!rc)
		rc = rundir_load(b->w.txn, st, b->t.id, &b->rd);
	if (rc)
		goto out;
	b->has_runs = st->has_rowruns;
	b->rowruns = st->rowruns;
	if (!b->rd.n && !b->rd.base_n)
		b->rd.base_n = b->t.count;  /* no directory yet: the base is all */
	rf_attach(b);
	rc = lv_lake_table_dir(&b->w, &b->t, &b->dir_ino);
	if (rc)
		goto out;
	*out = b;
	return 0;
out:
	lv_batch_abort(b);
	return rc;
}

struct lv_table *lv_batch_table(struct lv_batch *b)
{
	return &b->t;
}

static int copy_schema(struct lv_table *dst, const struct lv_table *src)
{
	struct lv_column *cols = malloc((src->ncols ? src->ncols : 1) * sizeof(*cols));
	char *opts = src->options_json ? strdup(src->options_json) : NULL;

	if (!cols || (src->options_json && !opts)) {
		free(cols);
		free(opts);
		return -ENOMEM;
	}
	memcpy(cols, src->cols, src->ncols * sizeof(*cols));
	free(dst->cols);
	free(dst->options_json);
	dst->cols = cols;
	dst->ncols = src->ncols;
	dst->options_json = opts;
	snprintf(dst->entityset, sizeof(dst->entityset), "%s", src->entityset);
	lv_table_index(dst);
	return 0;
}

int lv_batch_adopt_schema(struct lv_batch *b, const struct lv_table *t, int force)
{
	int rc = copy_schema(&b->old, &b->t);

	if (!rc)
		rc = copy_schema(&b->t, t);
	if (!rc)
		rc = index_schema(b);
	if (rc)
		return rc;
	b->schema_changed = 1;
	b->schema_force = force;
	return 0;
}

void lv_batch_set_resync(struct lv_batch *b, int on)
{
	b->resync = on;
}

int lv_batch_clear_seen(struct lv_batch *b)
{
	return lv_rows_drop(&b->w, b->t.id | SEEN_BIT);
}

size_t lv_batch_pending(const struct lv_batch *b)
{
	return b->arena.len;
}

static void end_rtxn(struct lv_batch *b)
{
	if (b->rtxn)
		mdb_txn_abort(b->rtxn);
	b->rtxn = NULL;
}

int lv_batch_delete_unseen(struct lv_batch *b, uint64_t *deleted)
{
	unsigned char kb[20];
	MDB_val k = { 4, kb }, d;
	MDB_cursor *cur;
	uint8_t (*ids)[16] = NULL;
	size_t n = 0, cap = 0;
	int rc;

	*deleted = 0;
	/* the scan below reads the base: everything goes there first, and
	 * from here on states are read through the write transaction */
	rc = rows_flush(b, 1);
	if (rc)
		return rc;
	end_rtxn(b);
	rc = mdb_cursor_open(b->w.txn, b->st->rows, &cur);
	if (rc)
		return rc;
	/* 1. live rows without a mark */
	lv_be32(kb, b->t.id);
	rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
	while (rc == 0 && k.mv_size == 20 && lv_get_be32(k.mv_data) == b->t.id) {
		struct rowstate rs;
		unsigned char sk[20];
		MDB_val skv = { 20, sk }, sd;

		memcpy(&rs, d.mv_data, sizeof(rs));
		memcpy(sk, k.mv_data, 20);
		lv_be32(sk, b->t.id | SEEN_BIT);
		if (!(rs.flags & ROWSTATE_DELETED) &&
		    mdb_get(b->w.txn, b->st->rows, &skv, &sd) == MDB_NOTFOUND) {
			if (n == cap) {
				void *p = realloc(ids, (cap ? cap * 2 : 256) * 16);

				if (!p) {
					rc = -ENOMEM;
					break;
				}
				ids = p;
				cap = cap ? cap * 2 : 256;
			}
			memcpy(ids[n++], (unsigned char *)k.mv_data + 4, 16);
		}
		rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
	/* 2. drop the marks */
	if (!rc) {
		lv_be32(kb, b->t.id | SEEN_BIT);
		rc = del_prefix(cur, kb, 4, 20);
	}
	mdb_cursor_close(cur);
	/* 3. delete them, as if the source had sent tombstones */
	b->resync = 0;
	for (size_t i = 0; !rc && i < n; i++) {
		char item[128], g[37];
		int applied;

		guid_format(ids[i], g);
		snprintf(item, sizeof(item),
			 "{\"@odata.context\":\"#$deletedEntity\",\"id\":\"%s\"}", g);
		rc = lv_batch_item(b, item, strlen(item), &applied);
		*deleted += (uint64_t)applied;
	}
	free(ids);
	return rc;
}

/* Empty the batch and keep it (its buffers) for the store's next one. */
static void batch_free(struct lv_batch *b)
{
	struct lv_store *st = b->st;
	size_t keep_parts = b->capparts;

	end_rtxn(b);
	lv_table_free(&b->t);
	lv_table_free(&b->old);
	if (st->spare_batch || b->arena.cap > SPARE_MAX) {
		batch_destroy(b);
		return;
	}
	b->nparts = 0;
	b->rs.n = 0;
	if (b->rs.x.slots)
		memset(b->rs.x.slots, 0, b->rs.x.nslots * sizeof(*b->rs.x.slots));
	lv_buf_reset(&b->arena);
	lv_buf_reset(&b->lg);
	b->lg_n = 0;
	{
		/* everything else back to zero, the allocations kept */
		struct lv_batch keep = *b;

		memset(b, 0, sizeof(*b));
		b->parts = keep.parts;
		b->capparts = keep_parts;
		b->rs = keep.rs;
		b->plen = keep.plen;
		b->row = keep.row;
		b->arena = keep.arena;
		b->lg = keep.lg;
	}
	st->spare_batch = b;
	st->spare_batch_free = batch_destroy;
}

void lv_batch_abort(struct lv_batch *b)
{
	if (!b)
		return;
	end_rtxn(b);
	lv_wtxn_abort(&b->w);
	batch_free(b);
}

static int64_t etag_version(const struct lv_jfield *f)
{
	const char *p, *e;
	int64_t v = 0;

	if (!f || f->kind != LV_J_STR)
		return 0;
	p = memchr(f->val, '"', f->vlen);
	if (!p)
		return 0;
	e = f->val + f->vlen;
	for (p++; p < e && *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (*p - '0');
	return v;
}

/*
 * The change log. Changes are logged in groups, one LMDB record per group
 * of up to LOG_GROUP_MAX bytes (16 overflow pages of 4 KiB: no page is
 * left half used), keyed by the sequence number of the group's first
 * change (BE64); the group holds consecutive sequence numbers of one
 * table and one commit:
 *
 *   'G'  table id BE32  sink time BE64  count BE32      (LOG_GROUP_HDR)
 *   then per change, in sequence order:
 *   'U' or 'D'  row id (16)  versionnumber  SinkCreatedOn  n  values(n)
 *
 * versionnumber is a zigzag varint, SinkCreatedOn a zigzag varint of
 * seconds relative to the sink time (0 for a row created by this commit),
 * n a varint; the values are the lake's CSV record after its Id and Sink
 * fields, without the newline, with the primary id column written "="
 * (it is the row id) and versionnumber written "~" when it is the
 * header's. No CSV field of ours starts with either unquoted (strings and
 * dates are quoted, the rest are GUIDs, JSON numbers, True/False), so the
 * record reads back exactly: lv_log_each() does that. Stores written
 * before groups hold one record per change (table id BE32 first, so never
 * 'G' first); lv_log_each() skips those.
 */

static size_t put_varint(unsigned char *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (unsigned char)v;
	return n;
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int log_flush(struct lv_batch *b)
{
	unsigned char kb[8];
	MDB_val k = { 8, kb }, d;
	int rc;

	if (!b->lg_n)
		return 0;
	lv_be32((unsigned char *)b->lg.p + 13, b->lg_n);
	lv_be64(kb, b->lg_first);
	d.mv_size = b->lg.len;
	d.mv_data = b->lg.p;
	rc = mdb_put(b->w.txn, b->st->log, &k, &d, MDB_APPEND);
	lv_buf_reset(&b->lg);
	b->lg_n = 0;
	return rc;
}

/* Is @p/@len the decimal text of @v? */
static int is_decimal(const char *p, size_t len, int64_t v)
{
	char t[24], *e = t + sizeof(t), *q = e;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do {
		*--q = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--q = '-';
	return (size_t)(e - q) == len && memcmp(p, q, len) == 0;
}

static int log_change(struct lv_batch *b, const uint8_t id[16], int del,
		      int64_t version, uint32_t sink_created)
{
	const char *rec = b->arena.p + b->rec_off;
	size_t reclen = b->rec_len, skip = 0, end, from, vlen, at;
	size_t cut[2][3], ncut = 0;  /* offset, length, marker */
	unsigned char *p;
	int rc;

	/* Id and the Sink dates are in the header: keep the rest of the record */
	for (int commas = 0; commas < 3 && skip < reclen; skip++)
		if (rec[skip] == ',')
			commas++;
	end = reclen > skip && rec[reclen - 1] == '\n' ? reclen - 1 : reclen;
	/* the fields the header holds become "=" (cut[] in record order) */
	if (b->idf_len == 36 && b->idf_off >= skip) {
		cut[ncut][0] = b->idf_off;
		cut[ncut][1] = b->idf_len;
		cut[ncut++][2] = '=';
	}
	if (!del && b->vf_len && b->vf_off >= skip &&
	    is_decimal(rec + b->vf_off, b->vf_len, version)) {
		cut[ncut][0] = b->vf_off;
		cut[ncut][1] = b->vf_len;
		cut[ncut++][2] = '~';
		if (ncut == 2 && cut[0][0] > cut[1][0]) {
			size_t t[3];

			memcpy(t, cut[0], sizeof(t));
			memcpy(cut[0], cut[1], sizeof(t));
			memcpy(cut[1], t, sizeof(t));
		}
	}
	vlen = end - skip;
	for (size_t i = 0; i < ncut; i++)
		vlen -= cut[i][1] - 1;

	b->w.seq++;
	if (!b->stats.first_seq)
		b->stats.first_seq = b->w.seq;
	b->stats.last_seq = b->w.seq;
	if (b->lg_n && b->lg.len + LOG_REC_MAXHDR + vlen > LOG_GROUP_MAX) {
		rc = log_flush(b);
		if (rc)
			return rc;
	}
	if (!b->lg_n) {
		rc = lv_buf_grow(&b->lg, LOG_GROUP_HDR, (char **)&p);
		if (rc)
			return rc;
		p[0] = 'G';
		lv_be32(p + 1, b->t.id);
		lv_be64(p + 5, (uint64_t)b->w.now);
		lv_be32(p + 13, 0);
		b->lg.len += LOG_GROUP_HDR;
		b->lg_first = b->w.seq;
	}
	rc = lv_buf_grow(&b->lg, LOG_REC_MAXHDR + vlen, (char **)&p);
	if (rc)
		return rc;  /* lg's ceiling holds the largest record */
	at = 0;
	p[at++] = del ? 'D' : 'U';
	memcpy(p + at, id, 16);
	at += 16;
	at += put_varint(p + at, zigzag(version));
	at += put_varint(p + at, zigzag((int64_t)sink_created - b->w.now));
	at += put_varint(p + at, vlen);
	from = skip;
	for (size_t i = 0; i < ncut; i++) {
		memcpy(p + at, rec + from, cut[i][0] - from);
		at += cut[i][0] - from;
		p[at++] = (unsigned char)cut[i][2];
		from = cut[i][0] + cut[i][1];
	}
	memcpy(p + at, rec + from, end - from);
	at += end - from;
	b->lg.len += at;
	b->lg.p[b->lg.len] = '\0';
	b->lg_n++;
	return 0;
}

static uint32_t part_of(struct lv_batch *b, const struct lv_jrow *row,
			const struct rowstate *old, int *err)
{
	int y, mo, d, h, mi, s, date_only;
	int64_t secs;
	uint32_t ticks;

	*err = 0;
	if (row && b->t.icreatedon >= 0) {
		const struct lv_column *c = &b->t.cols[b->t.icreatedon];
		const struct lv_jfield *f = lv_jrow_get(row, c->prop, strlen(c->prop), c->hash);

		if (f && f->kind == LV_J_STR &&
		    lv_time_parse(f->val, f->vlen, &secs, &ticks, &date_only) == 0) {
			lv_time_civil(secs, &y, &mo, &d, &h, &mi, &s);
			if (y < 1 || y > 9999) {
				*err = 1;
				return 0;
			}
			return (uint32_t)y * 100 + (b->t.by_month ? (uint32_t)mo : 0);
		}
	}
	if (old)
		return old->part;
	lv_time_civil(b->w.now, &y, &mo, &d, &h, &mi, &s);
	return (uint32_t)y * 100 + (b->t.by_month ? (uint32_t)mo : 0);
}

/* Apply one parsed item. */
static int apply(struct lv_batch *b, const struct lv_jrow *row, int *applied)
{
	const struct lv_jfield *f, *ctx;
	struct rowstate old, now;
	struct part *p;
	struct op *o = NULL;
	uint8_t id[16];
	int64_t version = 0;
	struct rsent *e = NULL;
	struct opref orig = { 0, 0 }, cur = { 0, 0 };
	uint64_t h;
	int del, have, rc, perr;
	uint32_t key;

	ctx = lv_jrow_get(row, "@odata.context", 14, b->h_ctx);
	del = ctx && ctx->kind == LV_J_STR && ctx->vlen >= 14 &&
	      memcmp(ctx->val + ctx->vlen - 14, "$deletedEntity", 14) == 0;
	if (del) {
		f = lv_jrow_get(row, "id", 2, b->h_id);
		if (!f)
			return lv_err_set(LV_EBADVALUE, "deleted entry without \"id\"");
	} else {
		f = lv_jrow_get(row, b->t.idattr, b->idattr_len, b->h_idattr);
		if (!f)
			return lv_err_set(LV_EBADVALUE, "row without its id \"%s\"", b->t.idattr);
	}
	if (f->kind != LV_J_STR || guid_parse(f->val, f->vlen, id))
		return lv_err_set(LV_EBADVALUE, "row id \"%s\" is not a GUID",
				  del ? "id" : b->t.idattr);
	h = id_hash(id);
	row_prefetch(b, h);
	if (!del) {
		const struct lv_jfield *vf = NULL;

		if (b->t.iversion >= 0) {
			const struct lv_column *c = &b->t.cols[b->t.iversion];

			vf = lv_jrow_get(row, c->prop, b->plen[b->t.iversion], c->hash);
		}
		if (vf && vf->kind == LV_J_NUM && vf->vlen < 20 && !memchr(vf->val, '.', vf->vlen))
			version = strtoll(vf->val, NULL, 10);
		else
			version = etag_version(lv_jrow_get(row, "@odata.etag", 11,
							   b->h_etag));
	}
	if (b->resync && !del) {
		rc = seen_put(b, id);
		if (rc)
			return rc;
	}
	rc = row_get(b, id, h, &old, &e);
	if (rc && rc != MDB_NOTFOUND)
		return rc;
	have = rc == 0;
	/* idempotence: a version we hold already, or an older one, is skipped */
	if (have && (old.flags & ROWSTATE_DELETED) && (del || (version && version <= old.version)))
		goto skip;
	if (have && !(old.flags & ROWSTATE_DELETED) && !del && version &&
	    version <= old.version)
		goto skip;
	if (!have && del && !b->t.append_only)
		goto skip;  /* never seen, nothing to remove */

	key = part_of(b, del ? NULL : row, have ? &old : NULL, &perr);
	if (perr)
		return lv_err_set(LV_EBADVALUE, "column 'createdon': year outside 1-9999");
	memset(&now, 0, sizeof(now));
	now.version = del ? (have ? old.version : 0) : version;
	now.sink_created = (have && !(old.flags & ROWSTATE_DELETED) && !b->t.append_only) ?
			   old.sink_created : (uint32_t)b->w.now;
	now.part = key;
	now.flags = del ? ROWSTATE_DELETED : 0;
	rc = encode(b, row, id, b->t.append_only ? b->w.now : (int64_t)now.sink_created,
		    b->w.now, del);
	if (rc)
		return rc;
	rc = log_change(b, id, del, version, (uint32_t)now.sink_created);
	if (rc)
		return rc;

	if (b->t.append_only) {
		p = part_get(b, key);
		o = p ? part_add(b, p, id, NULL) : NULL;
		if (!o)
			return -ENOMEM;
		stash(b, o);
		b->t.count++;
		rc = rs_put(&b->rs, id, h, e, &now, NULL);
		goto done;
	}

	/* in place: the row's ops (only a row the batch holds has any) */
	if (e) {
		orig = e->orig;
		cur = e->cur;
	}
	/* the row leaves its old partition when it moves or goes */
	if (have && !(old.flags & ROWSTATE_DELETED) && (del || old.part != key)) {
		p = part_get(b, old.part);
		if (!p)
			return -ENOMEM;
		o = op_in(b, &orig, &cur, old.part);
		if (!o) {
			/* old.seg is 0 only for a row placed by this batch,
			 * which has its op already */
			o = part_add(b, p, id, old.seg ? &orig : &cur);
			if (!o)
				return -ENOMEM;
			o->old_seg = old.seg;
		}
		o->del = 1;
	}
	if (del) {
		unstash(b);
		b->t.count--;
		now.seg = 0;
		goto put;
	}
	p = part_get(b, key);
	if (!p)
		return -ENOMEM;
	o = op_in(b, &orig, &cur, key);
	if (!o) {
		uint64_t seg = (have && !(old.flags & ROWSTATE_DELETED) && old.part == key) ?
			       old.seg : 0;

		o = part_add(b, p, id, seg ? &orig : &cur);
		if (!o)
			return -ENOMEM;
		o->old_seg = seg;
	}
	o->del = 0;
	stash(b, o);
	if (!have || (old.flags & ROWSTATE_DELETED))
		b->t.count++;
	now.seg = (uint32_t)o->old_seg & 0x7fffffff;
	o->st = now;
	/* kept now, so later items of this batch see the row; a row not in a
	 * segment yet (seg 0) gets its segment when the batch is flushed */
put:
	rc = rs_put(&b->rs, id, h, e, &now, &e);
	if (!rc) {
		e->orig = orig;
		e->cur = cur;
		if (!del && o)
			o->rsi = (uint32_t)(e - b->rs.e);
	}
done:
	if (rc)
		return rc;
	*applied = 1;
	b->stats.applied++;
	if (del)
		b->stats.deletes++;
	else
		b->stats.upserts++;
	b->t.last_change = b->w.now;
	return 0;
skip:
	b->stats.skipped++;
	return 0;
}

int lv_batch_item(struct lv_batch *b, const char *json, size_t len, int *applied)
{
	int rc;

	*applied = 0;
	lv_err_clear();
	rc = lv_jrow_parse(&b->row, json, len);
	return rc ? rc : apply(b, &b->row, applied);
}

/* --- items parsed ahead ------------------------------------------------------ */

#define ITEM_DETAIL_MAX 512

struct lv_item {
	struct lv_buf text;    /* the item's own copy of its JSON */
	struct lv_jrow row;
	int rc;
	char detail[ITEM_DETAIL_MAX];
};

int lv_item_new(struct lv_item **out)
{
	struct lv_item *it = calloc(1, sizeof(*it));

	*out = it;
	if (!it)
		return -ENOMEM;
	lv_buf_init(&it->text, LV_ITEM_MAX);
	lv_jrow_init(&it->row);
	return 0;
}

void lv_item_free(struct lv_item *it)
{
	if (!it)
		return;
	lv_buf_free(&it->text);
	lv_jrow_free(&it->row);
	free(it);
}

int lv_item_parse(struct lv_item *it, const char *json, size_t len)
{
	lv_err_clear();
	lv_buf_reset(&it->text);
	it->rc = lv_buf_add(&it->text, json, len);
	if (it->rc == LV_ETOOBIG)
		lv_err_set(it->rc, "item of %zu bytes passes the %zu MiB limit", len,
			   (size_t)LV_ITEM_MAX >> 20);
	if (!it->rc)
		it->rc = lv_jrow_parse(&it->row, it->text.p, len);
	if (it->rc)
		snprintf(it->detail, sizeof(it->detail), "%s", lv_err_detail());
	else
		it->detail[0] = '\0';
	return it->rc;
}

void lv_item_prefetch(const struct lv_item *it)
{
	const char *t = it->text.p, *f = (const char *)it->row.f;

	for (size_t i = 0; i < it->text.len; i += 64)
		__builtin_prefetch(t + i);
	for (size_t i = 0; i < it->row.n * sizeof(*it->row.f); i += 64)
		__builtin_prefetch(f + i);
	for (size_t i = 0; i < it->row.nslots * sizeof(*it->row.slots); i += 64)
		__builtin_prefetch((const char *)it->row.slots + i);
	for (size_t i = 0; i < it->row.scratch.len; i += 64)
		__builtin_prefetch(it->row.scratch.p + i);
}

size_t lv_item_size(const struct lv_item *it)
{
	return it->text.cap + it->row.scratch.cap;
}

int lv_batch_apply(struct lv_batch *b, const struct lv_item *it, int *applied)
{
	*applied = 0;
	lv_err_clear();
	if (it->rc)
		return *it->detail ? lv_err_set(it->rc, "%s", it->detail) : it->rc;
	return apply(b, &it->row, applied);
}

/* --- flushing partitions --------------------------------------------------- */

/*
 * Copy a record kept from an old segment, widened to the table's current
 * column count: a column added since it was written is appended empty.
 * In-place partitions thus reach the new width segment by segment, at the
 * next write of each (append-only files keep their narrower records).
 */
static int copy_record(struct lv_buf *out, const char *rec, size_t len,
		       size_t ncols)
{
	size_t fields = 1;
	int inq = 0, rc;

	for (size_t i = 0; i < len; i++) {
		if (rec[i] == '"')
			inq = !inq;
		else if (rec[i] == ',' && !inq)
			fields++;
	}
	if (fields >= ncols || len == 0 || rec[len - 1] != '\n')
		return lv_buf_add(out, rec, len);
	rc = lv_buf_add(out, rec, len - 1);
	for (; !rc && fields < ncols; fields++)
		rc = lv_buf_addc(out, ',');
	return rc ? rc : lv_buf_addc(out, '\n');
}

static int cmp_seg(const void *a, const void *b)
{
	const struct op *x = *(struct op *const *)a, *y = *(struct op *const *)b;

	return x->old_seg < y->old_seg ? -1 : x->old_seg > y->old_seg;
}

/* Write @len bytes of records as segment @seg at index @at (replacing it
 * when @replace), splitting at record boundaries when they pass twice the
 * target. Rows that land in a new segment get their row state updated. */
static int place(struct lv_batch *b, struct lv_fedit *e, size_t at, int replace,
		 uint64_t seg, const char *data, size_t len, size_t *next_at)
{
	size_t off = 0;
	int first = 1, rc = 0;

	while (off < len) {
		size_t take = len - off, cut = 0;
		uint64_t chunk, s = seg;

		if (take > 2 * LV_CHUNK_TARGET) {
			/* whole records, at most the target unless one is larger */
			while (cut < take) {
				size_t rl = lv_csv_record_len(data + off + cut, take - cut);

				if (cut && cut + rl > LV_CHUNK_TARGET)
					break;
				cut += rl;
			}
			take = cut;
		}
		if (!first) {
			s = b->w.next_seg++;
			/* the rows of a split-off segment move: update their state */
			for (size_t r = 0; r < take;) {
				size_t rl = lv_csv_record_len(data + off + r, take - r);
				uint8_t id[16];
				struct rowstate st;

				if (guid_parse(data + off + r, 36 <= rl ? 36 : rl, id) == 0 &&
				    row_get(b, id, id_hash(id), &st, NULL) == 0) {
					st.seg = (uint32_t)s & 0x7fffffff;
					rc = row_put(b, id, &st);
					if (rc)
						return rc;
				}
				r += rl;
			}
		}
		rc = lv_chunk_new(&b->w, e, data + off, take, &chunk);
		if (rc)
			return rc;
		b->stats.bytes_encoded += take;
		if (first && replace)
			rc = lv_fedit_replace(e, at, chunk, take);
		else
			rc = lv_fedit_insert(e, at, s, chunk, take);
		if (rc)
			return rc;
		at++;
		off += take;
		first = 0;
	}
	if (first && replace)
		rc = lv_fedit_remove(e, at);  /* nothing left: drop the segment */
	*next_at = at;
	return rc;
}

static int flush_rewrites(struct lv_batch *b, struct part *p, struct lv_fedit *e)
{
	struct op **v = NULL;
	struct lv_buf out;
	size_t nv = 0, i = 0;
	int rc = 0;

	lv_buf_init(&out, ARENA_MAX);
	v = malloc((p->nops ? p->nops : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t k = 0; k < p->nops; k++)
		if (p->ops[k].old_seg)
			v[nv++] = &p->ops[k];
	qsort(v, nv, sizeof(*v), cmp_seg);
	while (i < nv) {
		uint64_t seg = v[i]->old_seg;
		size_t at, j, next;
		const char *old;
		size_t oldlen;

		for (at = 0; at < e->n && e->e[at].seg != seg; at++)
			;
		for (j = i; j < nv && v[j]->old_seg == seg; j++)
			;
		if (at == e->n) {
			/* the segment is gone (store damage): re-add rows at the tail */
			for (; i < j; i++)
				v[i]->old_seg = 0;
			continue;
		}
		rc = lv_chunk_bytes(&b->w, e->e[at].chunk, (const void **)&old, &oldlen);
		if (rc)
			goto out;
		lv_buf_reset(&out);
		for (size_t r = 0; r < oldlen;) {
			size_t rl = lv_csv_record_len(old + r, oldlen - r);
			uint8_t id[16];
			struct op *o = NULL;

			if (rl >= 36 && guid_parse(old + r, 36, id) == 0) {
				struct rsent *re = rs_find(&b->rs, id);

				o = re ? op_in(b, &re->orig, &re->cur, p->key) : NULL;
			}
			if (o && o->old_seg == seg) {
				o->done = 1;
				if (!o->del)
					rc = lv_buf_add(&out, b->arena.p + o->off, o->len);
			} else {
				rc = copy_record(&out, old + r, rl, b->t.ncols);
			}
			if (rc)
				goto out;
			r += rl;
		}
		/* rows the segment did not hold after all go to the tail */
		for (; i < j; i++)
			if (!v[i]->done)
				v[i]->old_seg = 0;
		rc = place(b, e, at, 1, seg, out.p, out.len, &next);
		if (rc)
			goto out;
	}
out:
	lv_buf_free(&out);
	free(v);
	return rc;
}

static int appended(const struct op *o)
{
	return !(o->del || o->old_seg || o->done);
}

/*
 * Append the batch's new records to the tail segment, and past it to new
 * segments of at most LV_CHUNK_TARGET bytes (a record larger than that
 * gets a segment of its own). The tail is reopened only when the first new
 * record fits in it; nothing is rewritten when there is nothing to append.
 */
static int flush_appends(struct lv_batch *b, struct part *p, struct lv_fedit *e)
{
	struct lv_buf tail;
	uint64_t seg;
	size_t at, k = 0;
	int replace = 0, rc = 0;

	while (k < p->nops && !appended(&p->ops[k]))
		k++;
	if (k == p->nops)
		return 0;
	lv_buf_init(&tail, ARENA_MAX);
	if (e->n && e->e[e->n - 1].seg &&
	    lv_fedit_len(e, e->n - 1) + p->ops[k].len <= LV_CHUNK_TARGET) {
		const void *old;
		size_t oldlen;

		at = e->n - 1;
		seg = e->e[at].seg;
		rc = lv_chunk_bytes(&b->w, e->e[at].chunk, &old, &oldlen);
		for (size_t r = 0; !rc && r < oldlen;) {
			size_t rl = lv_csv_record_len((const char *)old + r, oldlen - r);

			rc = b->t.append_only ? lv_buf_add(&tail, (const char *)old + r, rl) :
			     copy_record(&tail, (const char *)old + r, rl, b->t.ncols);
			r += rl;
		}
		replace = 1;
	} else {
		at = e->n;
		seg = b->w.next_seg++;
	}
	for (; !rc && k < p->nops; k++) {
		struct op *o = &p->ops[k];

		if (!appended(o))
			continue;
		if (tail.len && tail.len + o->len > LV_CHUNK_TARGET) {
			uint64_t chunk;

			rc = lv_chunk_new(&b->w, e, tail.p, tail.len, &chunk);
			if (!rc)
				rc = replace ? lv_fedit_replace(e, at, chunk, tail.len) :
					       lv_fedit_insert(e, at, seg, chunk, tail.len);
			if (rc)
				break;
			b->stats.bytes_encoded += tail.len;
			lv_buf_reset(&tail);
			at++;
			replace = 0;
			seg = b->w.next_seg++;
		}
		rc = lv_buf_add(&tail, b->arena.p + o->off, o->len);
		if (!rc && !b->t.append_only) {
			/* the op of a row's current place is the one that holds
			 * its newest state: its segment is now known */
			o->st.seg = (uint32_t)seg & 0x7fffffff;
			b->rs.e[o->rsi].st = o->st;
		}
		o->done = 1;
	}
	if (!rc && tail.len) {
		uint64_t chunk;

		rc = lv_chunk_new(&b->w, e, tail.p, tail.len, &chunk);
		if (!rc)
			rc = replace ? lv_fedit_replace(e, at, chunk, tail.len) :
				       lv_fedit_insert(e, at, seg, chunk, tail.len);
		b->stats.bytes_encoded += tail.len;
	}
	lv_buf_free(&tail);
	return rc;
}

static int flush_part(struct lv_batch *b, struct part *p, int *created)
{
	struct lv_fedit e;
	struct lv_node n;
	char name[32];
	uint64_t ino;
	int rc;

	lv_part_name(p->key, name, sizeof(name) - 4);
	memcpy(name + strlen(name), ".csv", 5);
	rc = lv_tree_lookup(&b->w, b->dir_ino, name, &n);
	if (rc == -ENOENT)
		*created = 1;
	else if (rc)
		return rc;
	rc = lv_tree_mkfile(&b->w, b->dir_ino, name, 0, &ino);
	if (rc)
		return rc;
	rc = lv_fedit_begin(&b->w, ino, &e);
	if (rc)
		goto out;
	if (!b->t.append_only) {
		rc = flush_rewrites(b, p, &e);
		if (rc)
			goto out;
	}
	rc = flush_appends(b, p, &e);
	if (rc)
		goto out;
	rc = lv_fedit_commit(&b->w, &e, b->stats.last_seq);
out:
	lv_fedit_free(&e);
	return rc;
}

int lv_batch_commit(struct lv_batch *b, struct lv_batch_stats *stats)
{
	size_t txnid;
	int rc = 0, created = 0;

	for (size_t i = 0; !rc && i < b->nparts; i++)
		rc = flush_part(b, &b->parts[i], &created);
	if (!rc)
		rc = rows_flush(b, 0);
	if (!rc)
		rc = log_flush(b);
	if (rc)
		goto out;
	b->w.bytes_encoded += b->stats.bytes_encoded;
	if (b->schema_changed && !b->stats.applied && !b->schema_force) {
		/* no record carries the new schema yet: it waits for one */
		rc = copy_schema(&b->t, &b->old);
		if (!rc)
			rc = index_schema(b);
		if (rc)
			goto out;
		b->schema_changed = 0;
	}
	b->stats.schema_committed = b->schema_changed;
	rc = lv_table_save(&b->w, &b->t);
	if (!rc)
		rc = lv_lake_table_manifest(&b->w, &b->t);
	if (!rc && b->schema_changed)
		rc = lv_lake_root_model(&b->w);
	if (!rc && b->schema_changed)
		rc = lv_lake_optionsets(&b->w);
	if (rc)
		goto out;
	if (stats)
		*stats = b->stats;
	end_rtxn(b);
	txnid = mdb_txn_id(b->w.txn);
	rc = lv_wtxn_commit(&b->w);
	if (!rc)
		rf_committed(b, txnid);
	if (!rc && b->made_runs) {
		b->st->rowruns = b->rowruns;
		b->st->has_rowruns = 1;
	}
	batch_free(b);
	return rc;
out:
	lv_batch_abort(b);
	return rc;
}

/* --- reading the change log ------------------------------------------------- */

static int get_varint(const unsigned char **p, const unsigned char *e, uint64_t *v)
{
	uint64_t r = 0;

	for (int shift = 0; shift < 64 && *p < e; shift += 7) {
		unsigned char c = *(*p)++;

		r |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -EIO;
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* The lake record of change @c whose stored values are @v/@n, into @o. */
static int log_record(struct lv_buf *o, const struct lv_change *c,
		      const char *v, size_t n)
{
	char g[37], num[24];
	size_t i = 0;
	int rc;

	guid_format(c->id, g);
	lv_buf_reset(o);
	rc = lv_buf_add(o, g, 36);
	if (!rc)
		rc = lv_buf_adds(o, ",\"");
	if (!rc)
		rc = lv_time_sink(o, c->sink_created);
	if (!rc)
		rc = lv_buf_adds(o, "\",\"");
	if (!rc)
		rc = lv_time_sink(o, c->sink_time);
	if (!rc)
		rc = lv_buf_adds(o, "\"");
	/* field by field: a field that is "=" or "~" is the header's */
	while (!rc && i <= n) {
		size_t start = i;
		int inq = 0;

		while (i < n && (inq || v[i] != ',')) {
			if (v[i] == '"')
				inq = !inq;
			i++;
		}
		rc = lv_buf_addc(o, ',');
		if (rc)
			break;
		if (i - start == 1 && v[start] == '=') {
			rc = lv_buf_add(o, g, 36);
		} else if (i - start == 1 && v[start] == '~') {
			snprintf(num, sizeof(num), "%lld", (long long)c->version);
			rc = lv_buf_adds(o, num);
		} else {
			rc = lv_buf_add(o, v + start, i - start);
		}
		i++;  /* past the comma (or the end) */
	}
	if (!rc)
		rc = lv_buf_addc(o, '\n');
	return rc;
}

int lv_log_each(struct lv_store *st, uint64_t from,
		int (*fn)(void *arg, const struct lv_change *c), void *arg)
{
	unsigned char kb[8];
	MDB_val k = { 8, kb }, d;
	MDB_cursor *cur = NULL;
	MDB_txn *txn;
	struct lv_buf rec;
	int rc;

	lv_buf_init(&rec, 2 * REC_MAX);
	rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
	if (rc)
		return rc;
	rc = mdb_cursor_open(txn, st->log, &cur);
	if (rc)
		goto out;
	/* the group holding @from starts at or before it */
	lv_be64(kb, from);
	rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
	if (rc == 0 && lv_get_be64(k.mv_data) > from)
		rc = mdb_cursor_get(cur, &k, &d, MDB_PREV);
	else if (rc == MDB_NOTFOUND)
		rc = mdb_cursor_get(cur, &k, &d, MDB_LAST);
	if (rc == MDB_NOTFOUND)
		rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST);
	while (rc == 0) {
		const unsigned char *p = d.mv_data, *e = p + d.mv_size;
		struct lv_change c;
		uint32_t count;

		if (k.mv_size != 8 || d.mv_size < LOG_GROUP_HDR || p[0] != 'G')
			goto next;  /* a record of a store from before groups */
		memset(&c, 0, sizeof(c));
		c.seq = lv_get_be64(k.mv_data);
		c.table = lv_get_be32(p + 1);
		c.sink_time = (int64_t)lv_get_be64(p + 5);
		count = lv_get_be32(p + 13);
		p += LOG_GROUP_HDR;
		for (uint32_t i = 0; i < count; i++, c.seq++) {
			uint64_t ver, sc, n;

			if (e - p < 17 || (p[0] != 'U' && p[0] != 'D')) {
				rc = -EIO;
				goto out;
			}
			c.del = p[0] == 'D';
			memcpy(c.id, p + 1, 16);
			p += 17;
			if (get_varint(&p, e, &ver) || get_varint(&p, e, &sc) ||
			    get_varint(&p, e, &n) || n > (size_t)(e - p)) {
				rc = -EIO;
				goto out;
			}
			c.version = unzigzag(ver);
			c.sink_created = c.sink_time + unzigzag(sc);
			if (c.seq >= from) {
				rc = log_record(&rec, &c, (const char *)p, (size_t)n);
				if (rc)
					goto out;
				c.record = rec.p;
				c.record_len = rec.len;
				rc = fn(arg, &c);
				if (rc)
					goto out;
			}
			p += n;
		}
next:
		rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
out:
	if (cur)
		mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	lv_buf_free(&rec);
	return rc;
}
