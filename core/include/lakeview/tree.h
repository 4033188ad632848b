/**
 * @file tree.h
 * @brief The lake as a tree of files stored in LMDB: its nodes.
 *
 * Caveats first:
 *  - Only the materialiser (core) writes the tree; everyone else reads it
 *    through a struct lv_reader (lakeview/reader.h), which sees one
 *    consistent version of the whole tree.
 *  - A new store has no tree until lv_tree_init() made its root: whoever
 *    creates a store (`lakectl link`) calls it right after
 *    lv_store_create().
 *
 * Shape: every node has a stable inode number (the root is 1) that is
 * never reused, so inode numbers survive remounts. A file's content is a
 * manifest: an ordered list of immutable chunks (a few dozen KiB each) with
 * their end offsets; a snapshot shares its partition's manifest, so a
 * snapshot costs one small record whatever the file size. Every commit
 * that changes the tree bumps the tree generation and logs which nodes
 * changed, so a FUSE daemon can invalidate exactly those
 * (lakeview/treelog.h).
 */
#ifndef LAKEVIEW_TREE_H
#define LAKEVIEW_TREE_H

#include <stdint.h>
#include <stddef.h>

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
#define LV_NODE_IMMUTABLE 0x4 /**< written once, never changed (Delta files) */

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

/**
 * Give a new store its tree: the root directory (inode 1), in one write
 * transaction. Does nothing when the root exists already.
 * @return 0, -EROFS for a store opened read-only, -ENOMEM, or an LMDB
 *         code. Blocks while another process holds LMDB's writer lock.
 */
int lv_tree_init(struct lv_store *st) __attribute__((warn_unused_result));

#endif
