/*
 * store_i.h - internals shared by the modules that write the store.
 *
 * Everything that changes the store goes through a struct lv_wtxn: one
 * LMDB write transaction plus the bookkeeping that must commit with it
 * (id counters, byte counters, and through its commit hook whatever a
 * layer above must write with it: the tree's change log). One
 * commit is one unit of durability: a crash before it loses the whole
 * transaction, a crash after it loses nothing.
 */
#ifndef LAKEVIEW_STORE_I_H
#define LAKEVIEW_STORE_I_H

#include <lmdb.h>
#include <stdint.h>
#include <string.h>

#include "lakeview/store.h"

#define LV_CONF_MAX_KEYS 64
#define LV_URL_MAX 2048

struct lv_store {
	char *dir;
	MDB_env *env;
	unsigned flags;
	MDB_dbi meta;      /* string key -> value (counters, link facts) */
	MDB_dbi tables;    /* table name -> JSON table record */
	MDB_dbi rows;      /* table id BE32 + row guid (16) -> row state (base) */
	MDB_dbi rowruns;   /* run BE64 + table id BE32 + row guid -> row state */
	int has_rowruns;   /* rowruns exists (stores made before it lack it) */
	MDB_dbi log;       /* first seq BE64 -> a group of changes (changelog.c) */
	MDB_dbi nodes;     /* ino BE64 -> node record */
	MDB_dbi names;     /* parent BE64 + name -> ino BE64 */
	MDB_dbi children;  /* parent BE64 + ino BE64 -> "" */
	MDB_dbi manifests; /* manifest id BE64 -> manifest */
	MDB_dbi chunks;    /* chunk id BE64 -> bytes */
	MDB_dbi refs;      /* kind + id BE64 -> u32 reference count */
	MDB_dbi treelog;   /* tree generation BE64 -> changed nodes */
	MDB_dbi pushed;    /* path -> push record (ADLS) */
	char container[16 + 2 * LV_LINK_NAME_MAX];
	char lake_url[LV_URL_MAX];
	int nconf;
	char *conf_key[LV_CONF_MAX_KEYS];
	char *conf_val[LV_CONF_MAX_KEYS];
	/* rowfilter.c's filter of the row ids the rows table holds, kept from one
	 * batch to the next of this process; freed with the store */
	void *rowfilter;
	void (*rowfilter_free)(void *);
	/* batch.c's buffers of the last batch, for the next one */
	void *spare_batch;
	void (*spare_batch_free)(void *);
};

struct lv_wtxn {
	struct lv_store *st;
	MDB_txn *txn;
	int64_t now;
	/* counters, loaded at begin and written at commit */
	uint64_t next_ino, next_chunk, next_manifest, next_seg, seq, tree_gen;
	uint64_t next_run;
	uint64_t bytes_encoded;
	uint64_t chunk_bytes;
	int counters_dirty;
	/* The one commit hook, for a layer above the store that must write
	 * in this same transaction when it commits (the tree's change log,
	 * treelog.c; the store knows nothing of it). hook_commit runs first
	 * in lv_wtxn_commit, inside the transaction; hook_end frees @hook
	 * after the commit or an abort. */
	void *hook;
	int (*hook_commit)(struct lv_wtxn *w);
	void (*hook_end)(struct lv_wtxn *w);
};

int lv_wtxn_begin(struct lv_store *st, struct lv_wtxn *w)
	__attribute__((warn_unused_result));
int lv_wtxn_commit(struct lv_wtxn *w) __attribute__((warn_unused_result));
void lv_wtxn_abort(struct lv_wtxn *w);

/* meta table helpers */
int lv_meta_get_u64(MDB_txn *txn, struct lv_store *st, const char *key,
		    uint64_t *v);
int lv_meta_put_u64(MDB_txn *txn, struct lv_store *st, const char *key,
		    uint64_t v) __attribute__((warn_unused_result));
int lv_meta_get_str(MDB_txn *txn, struct lv_store *st, const char *key,
		    char *buf, size_t len);
int lv_meta_put_str(MDB_txn *txn, struct lv_store *st, const char *key,
		    const char *v) __attribute__((warn_unused_result));

static inline void lv_be64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

static inline uint64_t lv_get_be64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static inline void lv_be32(unsigned char *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

static inline uint32_t lv_get_be32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | p[3];
}

#endif
