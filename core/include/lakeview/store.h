/**
 * @file store.h
 * @brief A lakeview store: one directory, one LMDB environment, one link.
 *
 * Caveats first (most of them LMDB's own rules, from lmdb.h):
 *  - One process writes at a time; LMDB's writer lock serialises write
 *    transactions across processes, so `lakectl ingest` and a running
 *    `lakectl sync --follow` take turns, each commit whole.
 *  - Readers run in any number of processes and never block the writer,
 *    but a read transaction held open pins the pages it sees: the file
 *    grows while it lives. Keep them short (the FUSE daemon holds one per
 *    open file handle on purpose, so that a reader sees one version).
 *  - The store must live on a local filesystem (LMDB needs a working
 *    mmap and fcntl locks): not on NFS, not on a FUSE mount.
 *  - Do not open the same store twice in one process.
 *
 * A store directory holds `data.mdb`/`lock.mdb` and `lakeview.conf`, a
 * plain `key = value` file with the link (environment, organization, lake
 * URL, source and sink). Secrets are never written there unless the file
 * is mode 0600; the code that reads secrets prefers files named in the
 * config and environment variables.
 */
#ifndef LAKEVIEW_STORE_H
#define LAKEVIEW_STORE_H

#include <stdint.h>
#include <stddef.h>

struct lv_store;

/** Open read-only (the FUSE daemon, `lakectl cat`): no write transaction. */
#define LV_STORE_RDONLY 0x1

/**
 * Store format version written in the meta table. 2 keeps row states in
 * runs beside the rows table and the change log in groups; a format 1
 * store is read as it is and becomes format 2 at its first batch (so a
 * lakeview that reads only format 1 refuses it from then on).
 */
#define LV_STORE_FORMAT 2
/** Oldest store format this lakeview opens. */
#define LV_STORE_FORMAT_MIN 1

/** Longest environment or organization name accepted. */
#define LV_LINK_NAME_MAX 100

/**
 * Create a new store in @p dir (created if missing; must be empty).
 *
 * @param dir          directory to create the store in
 * @param environment  environment name (letters, digits, '-')
 * @param organization organization unique name (letters, digits)
 * @param out          the open store, for writing
 * @return 0; -EEXIST if @p dir already holds a store or other files;
 *         LV_EBADNAME for names that cannot form a container name;
 *         other negative errno / LMDB codes.
 */
int lv_store_create(const char *dir, const char *environment,
		    const char *organization, struct lv_store **out)
	__attribute__((warn_unused_result));

/**
 * Open an existing store.
 * @return 0; LV_ENOSTORE if @p dir is not a store; LV_EFORMAT if it was
 *         written by an incompatible version; LMDB or errno codes.
 *         May block briefly on LMDB's lock file.
 */
int lv_store_open(const char *dir, unsigned flags, struct lv_store **out)
	__attribute__((warn_unused_result));

/** The files of a store directory. */
enum lv_store_file {
	LV_STORE_DATA,   /**< `data.mdb`: LMDB's data file */
	LV_STORE_LOCK,   /**< `lock.mdb`: LMDB's lock file (reader slots) */
	LV_STORE_CONF,   /**< `lakeview.conf`: the link */
	LV_STORE_NFILES  /**< how many there are, to loop over them */
};

/**
 * Write the path of one file of the store in @p dir into @p buf (whether
 * or not it exists; nothing is read). For whoever watches the store
 * (inotify on the data file) or removes it (unlink of every file).
 * @return 0; -EINVAL for an unknown @p which; -ENAMETOOLONG when the path
 *         does not fit @p len (@p buf then holds "").
 */
int lv_store_file(const char *dir, enum lv_store_file which, char *buf,
		  size_t len) __attribute__((warn_unused_result));

/** Close the store; every reader and transaction must be ended first. */
void lv_store_close(struct lv_store *st);

/** The store's directory as given to open/create. */
const char *lv_store_dir(const struct lv_store *st);

/** Container name, `dataverse-<env>-<org>` (lower case). */
const char *lv_store_container(const struct lv_store *st);

/**
 * The container name of a link of @p environment and @p organization,
 * `dataverse-<env>-<org>` in lower case, into @p buf (truncated to
 * @p len; 16 + 2 * LV_LINK_NAME_MAX bytes always suffice). The one rule:
 * lv_store_container() and the link's sink both use it.
 */
void lv_store_container_name(const char *environment,
			     const char *organization, char *buf, size_t len);

/**
 * Lake URL: the absolute URL model.json locations start with
 * (`https://localhost/<container>` until a sink is linked).
 */
const char *lv_store_lake_url(const struct lv_store *st);

/**
 * Read a key of lakeview.conf. @return the value, or NULL when unset.
 * The pointer stays valid until lv_store_conf_set() or close.
 */
const char *lv_store_conf_get(const struct lv_store *st, const char *key);

/** A numeric key of lakeview.conf, 0 when unset or not a number. */
unsigned lv_store_conf_uint(const struct lv_store *st, const char *key);

/**
 * Set (or with @p value NULL, remove) a key of lakeview.conf and rewrite
 * the file atomically (temporary file, fsync, rename).
 * @return 0 or a negative errno.
 */
int lv_store_conf_set(struct lv_store *st, const char *key, const char *value)
	__attribute__((warn_unused_result));

/**
 * Read lakeview.conf again (another process may have changed it, e.g.
 * `lakectl unlink` while a `sync --follow` runs). Pointers from
 * lv_store_conf_get() become invalid. @return 0, LV_ENOSTORE, LV_ECONF.
 */
int lv_store_conf_reload(struct lv_store *st)
	__attribute__((warn_unused_result));

/** Counters of the store, for status output and benchmarks. */
struct lv_store_stats {
	uint64_t last_seq;         /**< newest change sequence number */
	int64_t last_commit;       /**< unix seconds of the newest commit */
	int64_t last_snapshot;     /**< unix seconds of the last snapshot */
	uint64_t tree_gen;         /**< commits that changed the file tree */
	uint64_t chunk_bytes;      /**< bytes in live content chunks */
	uint64_t bytes_encoded;    /**< CSV bytes (re)encoded, ever */
	uint64_t map_used;         /**< bytes of the LMDB map in use */
	unsigned readers;          /**< LMDB reader slots in use */
	unsigned max_readers;      /**< LMDB reader slots in all */
};

/** Fill @p out. @return 0 or an LMDB code. */
int lv_store_stats(struct lv_store *st, struct lv_store_stats *out);

/**
 * Clear reader slots left by dead processes (mdb_reader_check).
 * @param dead  if not NULL, receives how many were cleared
 */
int lv_store_reader_check(struct lv_store *st, int *dead);

/**
 * Check that the open file @p fd (named @p path, a @p what such as
 * "secret file") is safe to trust: none of the permission bits in
 * @p forbidden set (077 for a secret: only its
 * owner may read it; 027 for lakeview.conf: its group may read it, to
 * share a store, but only its owner may write it, since whoever writes it
 * can point token_url elsewhere and receive the client secret).
 * @return 0, or @p rc with a one-line detail that says the chmod to run.
 */
int lv_store_check_private(int fd, const char *path, const char *what,
			    unsigned forbidden, int rc);

#endif
