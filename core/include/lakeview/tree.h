/**
 * @file tree.h
 * @brief The lake as a tree of files stored in LMDB: the read side.
 *
 * Caveats first:
 *  - Everything read through a struct lv_reader is one consistent version
 *    of the whole tree (one LMDB read transaction). Pointers handed out by
 *    lv_file_read() point straight into LMDB's map and stay valid until
 *    that reader is refreshed or ended; never write through them.
 *  - A reader pins the version it sees: the store file cannot reuse pages
 *    freed after it began. Hold one only as long as needed (a FUSE request,
 *    or an open file handle that must read one version from start to end).
 *  - Readers may be used by one thread at a time (the store is opened with
 *    MDB_NOTLS, so that thread may change between uses).
 *
 * Shape: every node has a stable inode number (the root is 1) that is
 * never reused, so inode numbers survive remounts. A file's content is a
 * manifest: an ordered list of immutable chunks (a few dozen KiB each) with
 * their end offsets; a snapshot shares its partition's manifest, so a
 * snapshot costs one small record whatever the file size. Every commit
 * that changes the tree bumps the tree generation and logs which nodes
 * changed, so a FUSE daemon can invalidate exactly those (lv_tree_changes).
 */
#ifndef LAKEVIEW_TREE_H
#define LAKEVIEW_TREE_H

#include <stdint.h>
#include <stddef.h>
#include <sys/uio.h>

#include "lakeview/store.h"

/** Inode number of the root directory (the container). */
#define LV_ROOT_INO 1

/** Longest file or directory name in the lake. */
#define LV_NAME_MAX 255

/** Longest path in the lake (bytes, without NUL). */
#define LV_PATH_MAX 1024

/** Node flags. */
#define LV_NODE_SNAPSHOT 0x1  /**< a file under <table>/Snapshot/ */
#define LV_NODE_NOPUSH   0x2  /**< never pushed to ADLS */

/** One file or directory. */
struct lv_node {
	uint64_t ino;            /**< stable inode number */
	uint64_t parent;         /**< parent's inode (the root's is 1) */
	uint32_t mode;           /**< S_IFDIR|0555 or S_IFREG|0444 */
	uint32_t flags;          /**< LV_NODE_* */
	uint64_t size;           /**< exact size in bytes */
	int64_t mtime;           /**< seconds of the last content change */
	uint64_t generation;     /**< bumps with every content change */
	uint64_t seq;            /**< last change sequence that touched it */
	int64_t commit_time;     /**< seconds of the commit that wrote it */
	uint64_t snapshot_of;    /**< for snapshots: the partition's inode */
	uint64_t manifest;       /**< content manifest id (0 for empty/dirs) */
	char name[LV_NAME_MAX + 1];
};

struct lv_reader;

/**
 * Begin a read of the current committed version.
 * @return 0, -ENOMEM, or an LMDB code (MDB_READERS_FULL when every reader
 *         slot is taken).
 */
int lv_reader_begin(struct lv_store *st, struct lv_reader **out)
	__attribute__((warn_unused_result));

/**
 * Move the reader to the newest committed version (mdb_txn_reset/renew).
 * Every pointer from lv_file_read() becomes invalid.
 */
int lv_reader_refresh(struct lv_reader *r)
	__attribute__((warn_unused_result));

/** End the read; every pointer it handed out becomes invalid. */
void lv_reader_end(struct lv_reader *r);

/** Tree generation of the version this reader sees. */
uint64_t lv_reader_tree_gen(struct lv_reader *r);

/** Get node @p ino. @return 0 or -ENOENT. */
int lv_node_get(struct lv_reader *r, uint64_t ino, struct lv_node *out);

/** Look up @p name in directory @p parent. @return 0, -ENOENT, -ENOTDIR. */
int lv_node_lookup(struct lv_reader *r, uint64_t parent, const char *name,
		   struct lv_node *out);

/**
 * Look up a path relative to the root ("" or "/" is the root; a leading
 * '/' is optional). @return 0, -ENOENT, -ENOTDIR, -ENAMETOOLONG.
 */
int lv_path_lookup(struct lv_reader *r, const char *path, struct lv_node *out);

/**
 * Write the path of @p ino, relative to the root and without a leading
 * '/', into @p buf. @return 0, -ENOENT or -ENAMETOOLONG.
 */
int lv_node_path(struct lv_reader *r, uint64_t ino, char *buf, size_t len);

/**
 * Next child of directory @p dir, in inode order. Start with *cookie = 0;
 * the cookie is updated to resume after the returned child (usable as a
 * readdir offset).
 * @return 1 with @p out filled, 0 at the end, or a negative code.
 */
int lv_dir_next(struct lv_reader *r, uint64_t dir, uint64_t *cookie,
		struct lv_node *out);

/**
 * Read up to @p len bytes of file @p n from @p off without copying:
 * fills @p iov with at most @p maxiov pointers into the map.
 * @param got  total bytes described by the iovecs (short only at EOF or
 *             when @p maxiov ran out)
 * @return number of iovecs used (0 at EOF), or a negative code (-EIO when
 *         the manifest or a chunk is missing: a corrupt store).
 */
int lv_file_read(struct lv_reader *r, const struct lv_node *n, uint64_t off,
		 size_t len, struct iovec *iov, int maxiov, size_t *got);

/**
 * Callback of lv_tree_changes(): node @p ino changed (content, attributes,
 * or removal); @p parent and @p name locate its directory entry.
 */
typedef int (*lv_change_fn)(void *arg, uint64_t ino, uint64_t parent,
			    const char *name);

/**
 * Report every node changed by commits after tree generation @p since, up
 * to the reader's version. Used by the FUSE notifier to invalidate caches.
 * @return 0; LV_ECHANGED when the change log no longer reaches back to
 *         @p since (invalidate everything instead); or what @p fn returned
 *         if non-zero.
 */
int lv_tree_changes(struct lv_reader *r, uint64_t since, lv_change_fn fn,
		    void *arg);

#endif
