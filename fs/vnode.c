/*
 * vnode.c - the virtual nodes: the hidden .lakeview/ folder and its
 * status.json, for every operation that can reach them.
 *
 * Why it is shaped this way: health belongs in-band (a file any tool can
 * read), but backup tools, `find` and `grep -r` must not wander into it,
 * so - like ZFS's .zfs - the folder is reachable by name from the root
 * and absent from every listing. Its two nodes have fixed inode numbers
 * at the top of the 64-bit range (LVFS_INO_CTL, LVFS_INO_STATUS), which
 * the store's allocator, counting up from 1, never reaches. Everything
 * about them lives here, so ops.c asks once per operation
 * (lvfs_vnode_is / lvfs_vnode_is_entry) and hands the request over.
 *
 * The document is generated when the file is opened and served from the
 * handle's own buffer (it is not lake data, so copying it is fine), with
 * direct_io so that the size a reader sees and the bytes it gets always
 * match. Its content: lv_status_json() of the store, extended as one
 * jansson object with the daemon's own members (open handles, LMDB
 * reader slots, mount point, pid) and dumped once.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lakeview/status.h"
#include "lakeview/time.h"
#include "lakeview/err.h"
#include "lakeview_i.h"

int lvfs_vnode_is(uint64_t ino)
{
	return ino == LVFS_INO_CTL || ino == LVFS_INO_STATUS;
}

int lvfs_vnode_is_entry(uint64_t parent, const char *name)
{
	return lvfs_vnode_is(parent) ||
	       (parent == LV_ROOT_INO && strcmp(name, LVFS_CTL_NAME) == 0);
}

/* Attributes of a virtual node; @p size is the document's length. */
static void vnode_stat(struct lvfs *fs, uint64_t ino, size_t size,
		       struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	st->st_atime = fs->started;
	st->st_mtime = fs->started;
	st->st_ctime = fs->started;
	st->st_blksize = LVFS_BLKSIZE;
	if (ino == LVFS_INO_CTL) {
		st->st_mode = S_IFDIR | (0555 & ~fs->umask);
		st->st_nlink = 2;
		return;
	}
	st->st_mode = S_IFREG | (0444 & ~fs->umask);
	st->st_nlink = 1;
	st->st_size = (off_t)size;
	st->st_blocks = (blkcnt_t)((size + 511) / 512);
	st->st_mtime = time(NULL);
	st->st_ctime = st->st_mtime;
}

/* Length of a valid UTF-8 sequence at @p s (at most @p n bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	size_t i;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0 && s[0] >= 0xc2)
		len = 2;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3;
	else if ((s[0] & 0xf8) == 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

/*
 * @p s as a JSON string; a path need not be UTF-8 (jansson refuses
 * that), so invalid bytes become U+FFFD. NULL when out of memory.
 */
static json_t *path_string(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	struct lv_buf b;
	json_t *j;
	int rc = 0;

	j = json_string(s);
	if (j != NULL)
		return j;
	lv_buf_init(&b, 4 * n + 1);
	while (rc == 0 && n > 0) {
		size_t l = utf8_len(p, n);

		if (l == 0) {
			rc = lv_buf_adds(&b, "\xef\xbf\xbd");
			l = 1;
		} else {
			rc = lv_buf_add(&b, p, l);
		}
		p += l;
		n -= l;
	}
	j = rc == 0 ? json_stringn(b.p ? b.p : "", b.len) : NULL;
	lv_buf_free(&b);
	return j;
}

/*
 * Build status.json into @p out (initialised by the caller with its
 * ceiling): the store's status document with the daemon's members added
 * to the same object. @return 0 or a liblakeview code.
 */
static int status_doc(struct lvfs *fs, struct lv_buf *out)
{
	struct lv_store_stats ss;
	struct lv_reader *r = NULL;
	struct lv_buf core;
	json_t *doc = NULL;
	char when[32];
	char *s = NULL;
	int rc;

	lv_buf_init(&core, LVFS_STATUS_MAX);
	rc = lvfs_pool_get(&fs->pool, &r);
	if (rc != 0)
		goto out;
	rc = lv_status_json(fs->st, r, &core);
	lvfs_pool_put(&fs->pool, r);
	if (rc != 0)
		goto out;

	memset(&ss, 0, sizeof(ss));
	rc = lv_store_stats(fs->st, &ss);
	if (rc != 0)
		goto out;

	doc = json_loadb(core.p, core.len, 0, NULL);
	if (doc == NULL || !json_is_object(doc)) {
		rc = -EPROTO;
		goto out;
	}
	if (lv_time_iso(when, sizeof(when), (int64_t)fs->started) != 0)
		when[0] = '\0';
	if (json_object_set_new(doc, "open_handles",
			json_integer(atomic_load(&fs->open_handles))) ||
	    json_object_set_new(doc, "lmdb_readers",
			json_integer(ss.readers)) ||
	    json_object_set_new(doc, "lmdb_max_readers",
			json_integer(ss.max_readers)) ||
	    json_object_set_new(doc, "daemon_pid", json_integer(getpid())) ||
	    json_object_set_new(doc, "mounted_since", json_string(when)) ||
	    json_object_set_new(doc, "mount_point",
			path_string(fs->mnt_path))) {
		rc = -ENOMEM;
		goto out;
	}
	s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (s == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	rc = lv_buf_adds(out, s);
	if (rc == 0)
		rc = lv_buf_addc(out, '\n');
out:
	free(s);
	json_decref(doc);
	lv_buf_free(&core);
	return rc;
}

/* Size of status.json right now (generated to be exact). */
static int status_size(struct lvfs *fs, size_t *size)
{
	struct lv_buf b;
	int rc;

	lv_buf_init(&b, LVFS_STATUS_MAX);
	rc = status_doc(fs, &b);
	*size = b.len;
	lv_buf_free(&b);
	return rc;
}

static void fill_entry(struct lvfs *fs, uint64_t ino, size_t size,
		       struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = ino;
	vnode_stat(fs, ino, size, &e->attr);
	e->attr_timeout = ino == LVFS_INO_STATUS ? 0.0 : fs->o.attr_timeout;
	e->entry_timeout = fs->o.entry_timeout;
}

void lvfs_vnode_lookup(fuse_req_t req, struct lvfs *fs, uint64_t parent,
		       const char *name)
{
	struct fuse_entry_param e;
	size_t size = 0;
	int rc;

	if (parent == LVFS_INO_STATUS) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	if (parent != LVFS_INO_CTL) {   /* the root's ".lakeview" */
		fill_entry(fs, LVFS_INO_CTL, 0, &e);
		fuse_reply_entry(req, &e);
		return;
	}
	if (strcmp(name, LVFS_STATUS_NAME) != 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	rc = status_size(fs, &size);
	if (rc != 0) {
		fuse_reply_err(req, lv_err_errno(rc));
		return;
	}
	fill_entry(fs, LVFS_INO_STATUS, size, &e);
	fuse_reply_entry(req, &e);
}

void lvfs_vnode_getattr(fuse_req_t req, struct lvfs *fs, uint64_t ino,
			const struct lvfs_fh *h)
{
	struct stat st;
	size_t size = 0;
	int rc;

	if (ino == LVFS_INO_STATUS && h != NULL && h->kind == LVFS_FH_STATUS) {
		vnode_stat(fs, ino, h->doc.len, &st);
		fuse_reply_attr(req, &st, 0.0);
		return;
	}
	if (ino == LVFS_INO_STATUS) {
		rc = status_size(fs, &size);
		if (rc != 0) {
			fuse_reply_err(req, lv_err_errno(rc));
			return;
		}
	}
	vnode_stat(fs, ino, size, &st);
	fuse_reply_attr(req, &st, ino == LVFS_INO_STATUS ?
			0.0 : fs->o.attr_timeout);
}

int lvfs_vnode_open(struct lvfs *fs, uint64_t ino, struct lvfs_fh *h,
		    struct fuse_file_info *fi)
{
	if (ino == LVFS_INO_CTL)
		return -EISDIR;
	h->kind = LVFS_FH_STATUS;
	fi->direct_io = 1;
	fi->keep_cache = 0;
	return status_doc(fs, &h->doc);
}

void lvfs_vnode_read(fuse_req_t req, const struct lvfs_fh *h, size_t size,
		     off_t off)
{
	char *copy;

	if (off < 0 || (size_t)off >= h->doc.len) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	if (size > h->doc.len - (size_t)off)
		size = h->doc.len - (size_t)off;
	/*
	 * Reply from a copy: once the kernel has the reply, the file may be
	 * closed and released on another thread before writev() returns
	 * here (ASan then sees the handle's buffer freed under it). The
	 * status document is small.
	 */
	copy = malloc(size);
	if (copy == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	memcpy(copy, h->doc.p + off, size);
	fuse_reply_buf(req, copy, size);
	free(copy);
}

void lvfs_vnode_opendir(fuse_req_t req, uint64_t ino,
			struct fuse_file_info *fi)
{
	if (ino == LVFS_INO_STATUS) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	fuse_reply_open(req, fi);
}

int lvfs_vnode_readdir(fuse_req_t req, struct lvfs *fs, uint64_t ino,
		       off_t off, int plus, char *buf, size_t size,
		       size_t *len)
{
	static const char *const names[] = { ".", "..", LVFS_STATUS_NAME };
	const uint64_t inos[] = { LVFS_INO_CTL, LV_ROOT_INO, LVFS_INO_STATUS };
	const mode_t types[] = { S_IFDIR, S_IFDIR, S_IFREG };
	size_t pos = 0;
	size_t n;
	off_t i;

	*len = 0;
	if (ino != LVFS_INO_CTL)
		return -ENOTDIR;
	for (i = off < 0 ? 0 : off; i < 3; i++) {
		n = lvfs_dirent_add(req, fs, plus, buf + pos, size - pos,
				    names[i], NULL, inos[i], types[i], i + 1);
		if (n == 0)
			break;
		pos += n;
	}
	*len = pos;
	return 0;
}

void lvfs_vnode_getxattr(fuse_req_t req)
{
	fuse_reply_err(req, ENODATA);
}

void lvfs_vnode_listxattr(fuse_req_t req, size_t size)
{
	if (size == 0)
		fuse_reply_xattr(req, 0);
	else
		fuse_reply_buf(req, NULL, 0);
}
