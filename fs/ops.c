/*
 * ops.c - the low-level FUSE operations of the lake view.
 *
 * Why it is shaped this way:
 *
 *  - Low-level API: inode numbers come straight from the store (stable
 *    across remounts), so the daemon keeps no path table and no lookup
 *    counts; forget is a no-op.
 *
 *  - Two kinds of readers. Metadata requests (lookup, getattr, readdir,
 *    xattr) take a pooled reader refreshed to the newest commit and give
 *    it back before replying. An open file handle has its own reader, one
 *    version from open to release, and replies point into LMDB's map
 *    (handle.c).
 *
 *  - The virtual .lakeview/ nodes are tested for once per operation
 *    (lvfs_vnode_is) and handed to vnode.c.
 *
 *  - Caching is long-lived and exact: entries and attributes carry long
 *    timeouts (notify.c invalidates exactly what a commit changed),
 *    directories use the kernel's readdir cache, and snapshot files -
 *    immutable - keep their page cache across opens (keep_cache while
 *    the generation is unchanged, pagecache.c).
 *
 *  - Live files are opened with direct_io by default (why: handle.c);
 *    `-o live_cache` puts them in the page cache too.
 *
 *  - getattr with a file handle answers with the handle's version (the
 *    kernel asks that way before cached reads); when that version is no
 *    longer current the answer carries a zero timeout so that others
 *    still see the new one.
 *
 *  - Everything that would write answers EROFS. The mount is also made
 *    with MS_RDONLY, so most of these never arrive; they are here for the
 *    ones that do (and for clarity).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "lakeview/err.h"
#include "lakeview_i.h"

static struct lvfs *fs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static struct lvfs_fh *fh_of(const struct fuse_file_info *fi)
{
	return fi ? (struct lvfs_fh *)(uintptr_t)fi->fh : NULL;
}

static void reply_rc(fuse_req_t req, int rc)
{
	fuse_reply_err(req, lv_err_errno(rc));
}

static void node_stat(const struct lvfs *fs, const struct lv_node *n,
		      struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = n->ino;
	if (S_ISDIR(n->mode)) {
		st->st_mode = S_IFDIR | (0555 & ~fs->umask);
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | (0444 & ~fs->umask);
		st->st_nlink = 1;
	}
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	st->st_size = (off_t)n->size;
	st->st_blocks = (blkcnt_t)((n->size + 511) / 512);
	st->st_blksize = LVFS_BLKSIZE;
	st->st_mtime = n->mtime;
	st->st_atime = n->mtime;
	st->st_ctime = n->commit_time > n->mtime ? n->commit_time : n->mtime;
}

/*
 * Attribute timeout for the current version of a node: zero while some
 * handle still reads another version through the page cache, so that the
 * kernel asks again (with that handle) before its cached reads.
 */
static double attr_timeout(struct lvfs *fs, const struct lv_node *n)
{
	if (!S_ISDIR(n->mode) &&
	    lvfs_pcache_other_version(&fs->pcache, n->ino, n->generation))
		return 0.0;
	return fs->o.attr_timeout;
}

static void fill_entry(struct lvfs *fs, const struct lv_node *n,
		       struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = n->ino;
	e->generation = 0;   /* inode numbers are never reused */
	node_stat(fs, n, &e->attr);
	e->attr_timeout = attr_timeout(fs, n);
	e->entry_timeout = fs->o.entry_timeout;
}


/* ---- init ------------------------------------------------------------ */

static void lvfs_init(void *userdata, struct fuse_conn_info *conn)
{
	struct lvfs *fs = userdata;

	if (fs->conn_opts != NULL)
		fuse_apply_conn_info_opts(fs->conn_opts, conn);
	/*
	 * Replies are memory iovecs. With splice wanted, libfuse 3.14 copies
	 * them through a pipe and they come back short (machine-limits §3).
	 */
	conn->want &= ~(FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	if (conn->capable & FUSE_CAP_AUTO_INVAL_DATA)
		conn->want |= FUSE_CAP_AUTO_INVAL_DATA;
	if (conn->capable & FUSE_CAP_READDIRPLUS)
		conn->want |= FUSE_CAP_READDIRPLUS;
	if (conn->capable & FUSE_CAP_ASYNC_READ)
		conn->want |= FUSE_CAP_ASYNC_READ;
	lvfs_log(LOG_DEBUG, "init: proto %u.%u capable 0x%x want 0x%x "
		 "max_readahead %u max_write %u", conn->proto_major,
		 conn->proto_minor, conn->capable, conn->want,
		 conn->max_readahead, conn->max_write);
}

/* ---- names and attributes ---------------------------------------------- */

static void lvfs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct lvfs *fs = fs_of(req);
	struct fuse_entry_param e;
	struct lv_reader *r = NULL;
	struct lv_node n;
	int rc;

	if (strlen(name) > LV_NAME_MAX) {
		fuse_reply_err(req, ENAMETOOLONG);
		return;
	}
	if (lvfs_vnode_is_entry(parent, name)) {
		lvfs_vnode_lookup(req, fs, parent, name);
		return;
	}

	rc = lvfs_pool_get(&fs->pool, &r);
	if (rc != 0) {
		reply_rc(req, rc);
		return;
	}
	rc = lv_node_lookup(r, parent, name, &n);
	lvfs_pool_put(&fs->pool, r);
	if (rc == -ENOENT) {
		/* Negative entry: the notifier invalidates it on creation. */
		memset(&e, 0, sizeof(e));
		e.entry_timeout = fs->o.negative_timeout;
		fuse_reply_entry(req, &e);
		return;
	}
	if (rc != 0) {
		reply_rc(req, rc);
		return;
	}
	fill_entry(fs, &n, &e);
	fuse_reply_entry(req, &e);
}

static void lvfs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	fuse_reply_none(req);
}

static void lvfs_forget_multi(fuse_req_t req, size_t count,
			      struct fuse_forget_data *forgets)
{
	fuse_reply_none(req);
}

static void lvfs_getattr(fuse_req_t req, fuse_ino_t ino,
			 struct fuse_file_info *fi)
{
	struct lvfs *fs = fs_of(req);
	struct lvfs_fh *h = fh_of(fi);
	struct lv_reader *r = NULL;
	struct stat st;
	struct lv_node n;
	int rc;

	if (lvfs_vnode_is(ino)) {
		lvfs_vnode_getattr(req, fs, ino, h);
		return;
	}

	rc = lvfs_pool_get(&fs->pool, &r);
	if (rc != 0) {
		reply_rc(req, rc);
		return;
	}
	rc = lv_node_get(r, ino, &n);
	lvfs_pool_put(&fs->pool, r);

	if (h != NULL && h->kind == LVFS_FH_FILE &&
	    (rc != 0 || n.generation != h->node.generation)) {
		/* The handle's version is no longer current: answer for it. */
		node_stat(fs, &h->node, &st);
		fuse_reply_attr(req, &st, 0.0);
		return;
	}
	if (rc != 0) {
		reply_rc(req, rc);
		return;
	}
	node_stat(fs, &n, &st);
	fuse_reply_attr(req, &st, attr_timeout(fs, &n));
}

static void lvfs_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct lvfs *fs = fs_of(req);
	struct lv_store_stats ss;
	struct statvfs sv;
	int rc;

	memset(&ss, 0, sizeof(ss));
	rc = lv_store_stats(fs->st, &ss);
	if (rc != 0) {
		reply_rc(req, rc);
		return;
	}
	memset(&sv, 0, sizeof(sv));
	sv.f_bsize = 4096;
	sv.f_frsize = 4096;
	sv.f_blocks = (fsblkcnt_t)((ss.chunk_bytes + 4095) / 4096);
	sv.f_namemax = LV_NAME_MAX;
	sv.f_flag = ST_RDONLY;
	fuse_reply_statfs(req, &sv);
}

static void lvfs_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	fuse_reply_err(req, (mask & W_OK) ? EROFS : 0);
}

/* ---- files ------------------------------------------------------------- */

static void lvfs_open(fuse_req_t req, fuse_ino_t ino,
		      struct fuse_file_info *fi)
{
	struct lvfs *fs = fs_of(req);
	struct lvfs_fh *h;
	int rc;

	if ((fi->flags & O_ACCMODE) != O_RDONLY ||
	    (fi->flags & (O_TRUNC | O_CREAT)) != 0) {
		fuse_reply_err(req, EROFS);
		return;
	}
	h = lvfs_fh_new(fs);
	if (h == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (lvfs_vnode_is(ino))
		rc = lvfs_vnode_open(fs, ino, h, fi);
	else
		rc = lvfs_fh_open_file(fs, ino, h, fi);
	if (rc != 0) {
		lvfs_fh_free(fs, h);
		reply_rc(req, rc);
		return;
	}
	fi->noflush = 1;
	fi->fh = (uintptr_t)h;
	if (fuse_reply_open(req, fi) != 0) {
		/* Interrupted: the kernel will not send release for it. */
		lvfs_fh_free(fs, h);
	}
}

static void lvfs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	struct lvfs_fh *h = fh_of(fi);

	if (h == NULL) {
		fuse_reply_err(req, EBADF);
		return;
	}
	if (h->kind == LVFS_FH_STATUS)
		lvfs_vnode_read(req, h, size, off);
	else
		lvfs_fh_read(req, ino, h, size, off);
}

static void lvfs_release(fuse_req_t req, fuse_ino_t ino,
			 struct fuse_file_info *fi)
{
	struct lvfs_fh *h = fh_of(fi);

	if (h != NULL)
		lvfs_fh_free(fs_of(req), h);
	fuse_reply_err(req, 0);
}

static void lvfs_flush(fuse_req_t req, fuse_ino_t ino,
		       struct fuse_file_info *fi)
{
	fuse_reply_err(req, 0);
}

static void lvfs_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		       struct fuse_file_info *fi)
{
	fuse_reply_err(req, 0);
}

/* ---- directories ------------------------------------------------------- */

static void lvfs_opendir(fuse_req_t req, fuse_ino_t ino,
			 struct fuse_file_info *fi)
{
	struct lvfs *fs = fs_of(req);
	struct lv_reader *r = NULL;
	struct lv_node n;
	int keep = 0;
	int direct = 0;
	int rc;

	fi->fh = 0;
	if (lvfs_vnode_is(ino)) {
		lvfs_vnode_opendir(req, ino, fi);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EROFS);
		return;
	}
	rc = lvfs_pool_get(&fs->pool, &r);
	if (rc != 0) {
		reply_rc(req, rc);
		return;
	}
	rc = lv_node_get(r, ino, &n);
	lvfs_pool_put(&fs->pool, r);
	if (rc == 0 && !S_ISDIR(n.mode))
		rc = -ENOTDIR;
	if (rc != 0) {
		reply_rc(req, rc);
		return;
	}
	lvfs_pcache_open(&fs->pcache, ino, n.generation, 0, &keep, &direct);
	fi->cache_readdir = 1;
	fi->keep_cache = keep;
	fuse_reply_open(req, fi);
}

/* One directory entry into the reply buffer; 0 if it did not fit. */
size_t lvfs_dirent_add(fuse_req_t req, struct lvfs *fs, int plus, char *buf,
		       size_t rem, const char *name, const struct lv_node *n,
		       uint64_t ino, mode_t type, off_t next)
{
	struct fuse_entry_param e;
	size_t need;

	memset(&e, 0, sizeof(e));
	if (n != NULL) {
		if (plus)
			fill_entry(fs, n, &e);
		else
			node_stat(fs, n, &e.attr);
	} else {
		/* ".", ".." and virtual entries: no attributes handed out. */
		e.attr.st_ino = ino;
		e.attr.st_mode = type;
	}
	if (plus)
		need = fuse_add_direntry_plus(req, buf, rem, name, &e, next);
	else
		need = fuse_add_direntry(req, buf, rem, name, &e.attr, next);
	return need > rem ? 0 : need;
}

/*
 * Offsets: 1 after ".", 2 after "..", then 2 + the lv_dir_next cookie
 * that resumes after the entry, so a readdir may restart anywhere.
 */
static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size,
		       off_t off, int plus)
{
	struct lvfs *fs = fs_of(req);
	struct lv_reader *r = NULL;
	struct lv_node dir;
	struct lv_node child;
	uint64_t cookie;
	size_t pos = 0;
	size_t n;
	char *buf;
	int rc = 0;

	if (size > LVFS_DIRBUF_MAX)
		size = LVFS_DIRBUF_MAX;
	buf = malloc(size);
	if (buf == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}

	if (lvfs_vnode_is(ino)) {
		rc = lvfs_vnode_readdir(req, fs, ino, off, plus, buf, size, &pos);
		goto reply;
	}

	rc = lvfs_pool_get(&fs->pool, &r);
	if (rc != 0)
		goto out;
	rc = lv_node_get(r, ino, &dir);
	if (rc == 0 && !S_ISDIR(dir.mode))
		rc = -ENOTDIR;
	if (rc != 0)
		goto out;

	if (off < 1) {
		n = lvfs_dirent_add(req, fs, plus, buf + pos, size - pos, ".", NULL,
			      dir.ino, S_IFDIR, 1);
		if (n == 0)
			goto reply;
		pos += n;
	}
	if (off < 2) {
		n = lvfs_dirent_add(req, fs, plus, buf + pos, size - pos, "..", NULL,
			      dir.ino == LV_ROOT_INO ? LV_ROOT_INO : dir.parent,
			      S_IFDIR, 2);
		if (n == 0)
			goto reply;
		pos += n;
	}
	cookie = off > 2 ? (uint64_t)off - 2 : 0;
	for (;;) {
		rc = lv_dir_next(r, ino, &cookie, &child);
		if (rc <= 0)
			break;
		n = lvfs_dirent_add(req, fs, plus, buf + pos, size - pos, child.name,
			      &child, child.ino, 0, (off_t)(cookie + 2));
		if (n == 0)
			break;
		pos += n;
	}
	if (rc < 0 && pos > 0)
		rc = 0;   /* give what we have; the next call reports it */
reply:
	if (rc >= 0)
		fuse_reply_buf(req, buf, pos);
out:
	if (rc < 0)
		reply_rc(req, rc);
	lvfs_pool_put(&fs->pool, r);
	free(buf);
}

static void lvfs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size,
			 off_t off, struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, 0);
}

static void lvfs_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
			     off_t off, struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, 1);
}

static void lvfs_releasedir(fuse_req_t req, fuse_ino_t ino,
			    struct fuse_file_info *fi)
{
	fuse_reply_err(req, 0);
}

/* ---- extended attributes ----------------------------------------------- */

static void lvfs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			  size_t size)
{
	struct lvfs *fs = fs_of(req);
	struct lv_reader *r = NULL;
	char val[LVFS_XATTR_MAX];
	struct lv_node n;
	int len;
	int rc;

	/*
	 * Only the user namespace exists here. EOPNOTSUPP (not ENODATA) for
	 * security.*, system.posix_acl_* and trusted.*: `ls -l` asks for
	 * security.selinux and the ACLs of every entry, the kernel forwards
	 * each call (FUSE caches no xattrs), and coreutils remembers
	 * "unsupported" per device but not "no data" - so ENODATA meant two
	 * round trips per file (ls -lR of 10,000 files: 2.3x ext4).
	 */
	if (strncmp(name, "user.", 5) != 0) {
		fuse_reply_err(req, EOPNOTSUPP);
		return;
	}
	if (lvfs_vnode_is(ino)) {
		lvfs_vnode_getxattr(req);
		return;
	}
	rc = lvfs_pool_get(&fs->pool, &r);
	if (rc != 0) {
		reply_rc(req, rc);
		return;
	}
	rc = lv_node_get(r, ino, &n);
	len = rc != 0 ? rc : lvfs_xattr_get(r, &n, name, val, sizeof(val));
	lvfs_pool_put(&fs->pool, r);

	if (len < 0)
		reply_rc(req, len);
	else if (size == 0)
		fuse_reply_xattr(req, (size_t)len);
	else if (size < (size_t)len)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, val, (size_t)len);
}

static void lvfs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct lvfs *fs = fs_of(req);
	struct lv_reader *r = NULL;
	char list[256];
	struct lv_node n;
	int len;
	int rc;

	if (lvfs_vnode_is(ino)) {
		lvfs_vnode_listxattr(req, size);
		return;
	}
	rc = lvfs_pool_get(&fs->pool, &r);
	if (rc != 0) {
		reply_rc(req, rc);
		return;
	}
	rc = lv_node_get(r, ino, &n);
	lvfs_pool_put(&fs->pool, r);
	len = rc != 0 ? rc : lvfs_xattr_list(&n, list, sizeof(list));

	if (len < 0)
		reply_rc(req, len);
	else if (size == 0)
		fuse_reply_xattr(req, (size_t)len);
	else if (size < (size_t)len)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, list, (size_t)len);
}

/* ---- everything that writes: EROFS --------------------------------------- */

static void erofs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr,
			  int to_set, struct fuse_file_info *fi)
{
	fuse_reply_err(req, EROFS);
}

static void erofs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
			mode_t mode, dev_t rdev)
{
	fuse_reply_err(req, EROFS);
}

static void erofs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
			mode_t mode)
{
	fuse_reply_err(req, EROFS);
}

static void erofs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, EROFS);
}

static void erofs_symlink(fuse_req_t req, const char *link,
			  fuse_ino_t parent, const char *name)
{
	fuse_reply_err(req, EROFS);
}

static void erofs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
			 fuse_ino_t newparent, const char *newname,
			 unsigned int flags)
{
	fuse_reply_err(req, EROFS);
}

static void erofs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
		       const char *newname)
{
	fuse_reply_err(req, EROFS);
}

static void erofs_write(fuse_req_t req, fuse_ino_t ino, const char *buf,
			size_t size, off_t off, struct fuse_file_info *fi)
{
	fuse_reply_err(req, EROFS);
}

static void erofs_create(fuse_req_t req, fuse_ino_t parent, const char *name,
			 mode_t mode, struct fuse_file_info *fi)
{
	fuse_reply_err(req, EROFS);
}

static void erofs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
			   const char *value, size_t size, int flags)
{
	fuse_reply_err(req, EROFS);
}

static void erofs_removexattr(fuse_req_t req, fuse_ino_t ino,
			      const char *name)
{
	fuse_reply_err(req, EROFS);
}

static void erofs_fallocate(fuse_req_t req, fuse_ino_t ino, int mode,
			    off_t offset, off_t length,
			    struct fuse_file_info *fi)
{
	fuse_reply_err(req, EROFS);
}

static void erofs_copy_file_range(fuse_req_t req, fuse_ino_t ino_in,
				  off_t off_in, struct fuse_file_info *fi_in,
				  fuse_ino_t ino_out, off_t off_out,
				  struct fuse_file_info *fi_out, size_t len,
				  int flags)
{
	fuse_reply_err(req, EROFS);
}

const struct fuse_lowlevel_ops lvfs_ops = {
	.init = lvfs_init,
	.lookup = lvfs_lookup,
	.forget = lvfs_forget,
	.forget_multi = lvfs_forget_multi,
	.getattr = lvfs_getattr,
	.statfs = lvfs_statfs,
	.access = lvfs_access,
	.open = lvfs_open,
	.read = lvfs_read,
	.flush = lvfs_flush,
	.release = lvfs_release,
	.fsync = lvfs_fsync,
	.opendir = lvfs_opendir,
	.readdir = lvfs_readdir,
	.readdirplus = lvfs_readdirplus,
	.releasedir = lvfs_releasedir,
	.getxattr = lvfs_getxattr,
	.listxattr = lvfs_listxattr,
	.setattr = erofs_setattr,
	.mknod = erofs_mknod,
	.mkdir = erofs_mkdir,
	.unlink = erofs_unlink,
	.rmdir = erofs_unlink,
	.symlink = erofs_symlink,
	.rename = erofs_rename,
	.link = erofs_link,
	.write = erofs_write,
	.create = erofs_create,
	.setxattr = erofs_setxattr,
	.removexattr = erofs_removexattr,
	.fallocate = erofs_fallocate,
	.copy_file_range = erofs_copy_file_range,
};

