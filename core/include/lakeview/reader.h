/**
 * @file reader.h
 * @brief Reading the file tree: one consistent version of the whole lake.
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
 * The nodes a reader hands out are described in lakeview/tree.h.
 */
#ifndef LAKEVIEW_READER_H
#define LAKEVIEW_READER_H

#include <stdint.h>
#include <stddef.h>
#include <sys/uio.h>

#include "lakeview/store.h"
#include "lakeview/tree.h"

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

#endif
