/*
 * handle.c - open file handles: one version of a lake file per handle,
 * from open to release, read with replies straight into LMDB's map.
 *
 * Why it is shaped this way:
 *
 *  - An open file handle begins its own reader at open and ends it at
 *    release, so it reads one version from its first byte to its last
 *    whatever the writer commits or retires meanwhile.
 *
 *  - No copies of lake bytes: lv_file_read() returns pointers into LMDB's
 *    map and they go out through fuse_reply_buf()/fuse_reply_iov(). The
 *    pointers stay valid until the handle's reader ends (release), so the
 *    reply is written outside the handle's lock.
 *
 *  - Live files (partitions, model.json: anything not a snapshot) are
 *    opened with direct_io by default. The kernel keeps ONE size and ONE
 *    page cache per inode, while our handles each read their own
 *    version: once a live file changes, a handle still reading the old
 *    version through the page cache has its reads clamped to, or padded
 *    up to, the size of whatever version the kernel last heard of - and
 *    any stat() of the file by anyone refreshes that. Measured: a handle
 *    on a partition that shrank, read while another process stat()s the
 *    file in a loop, came back short in 10 runs out of 10. direct_io
 *    reads are not clamped by i_size, so each handle gets exactly its
 *    version and stat() stays exact for everyone. `-o live_cache` puts
 *    live files in the page cache too (keep_cache per generation, the
 *    getattr-with-handle answers in ops.c), for repeat-read speed, with
 *    that race documented.
 *
 * The handles of the virtual status.json share the struct (its kind is
 * LVFS_FH_STATUS, vnode.c fills and reads it) and its allocation here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lakeview/err.h"
#include "lakeview_i.h"

struct lvfs_fh *lvfs_fh_new(struct lvfs *fs)
{
	struct lvfs_fh *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	pthread_mutex_init(&h->lock, NULL);
	lv_buf_init(&h->doc, LVFS_STATUS_MAX);
	atomic_fetch_add(&fs->open_handles, 1);
	return h;
}

void lvfs_fh_free(struct lvfs *fs, struct lvfs_fh *h)
{
	if (h->kind == LVFS_FH_FILE) {
		if (!h->direct_io)
			lvfs_pcache_release(&fs->pcache, h->node.ino);
		lv_reader_end(h->r);
	}
	lv_buf_free(&h->doc);
	pthread_mutex_destroy(&h->lock);
	free(h);
	atomic_fetch_sub(&fs->open_handles, 1);
}


int lvfs_fh_open_file(struct lvfs *fs, fuse_ino_t ino, struct lvfs_fh *h,
		      struct fuse_file_info *fi)
{
	int keep = 0;
	int direct = 0;
	int rc;

	rc = lv_reader_begin(fs->st, &h->r);
	if (rc != 0)
		return rc;
	h->kind = LVFS_FH_FILE;
	rc = lv_node_get(h->r, ino, &h->node);
	if (rc == 0 && S_ISDIR(h->node.mode))
		rc = -EISDIR;
	if (rc != 0) {
		lv_reader_end(h->r);
		h->r = NULL;
		h->kind = 0;
		return rc;
	}
	if ((h->node.flags & (LV_NODE_SNAPSHOT | LV_NODE_IMMUTABLE)) == 0 &&
	    !fs->o.live_cache) {
		/* A live file may change while this handle reads it: keep
		 * its bytes out of the shared page cache (see the top). */
		direct = 1;
	} else {
		lvfs_pcache_open(&fs->pcache, ino, h->node.generation, 1,
				 &keep, &direct);
	}
	h->direct_io = direct;
	fi->keep_cache = keep;
	fi->direct_io = direct;
	return 0;
}

/* Pathological stores (chunks so small that 1023 iovecs do not cover a
 * request): gather into one buffer rather than reply short, which the
 * kernel would take for the end of the file. */
static void read_gather(fuse_req_t req, struct lvfs_fh *h, size_t size,
			off_t off)
{
	struct iovec iov[64];
	size_t done = 0;
	char *buf;
	int rc = 0;

	buf = malloc(size);
	if (buf == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	pthread_mutex_lock(&h->lock);
	while (done < size) {
		size_t got = 0;
		int i;

		rc = lv_file_read(h->r, &h->node, (uint64_t)off + done,
				  size - done, iov, 64, &got);
		if (rc <= 0 || got == 0)
			break;
		for (i = 0; i < rc; i++) {
			memcpy(buf + done, iov[i].iov_base, iov[i].iov_len);
			done += iov[i].iov_len;
		}
	}
	pthread_mutex_unlock(&h->lock);
	if (rc < 0)
		fuse_reply_err(req, lv_err_errno(rc));
	else
		fuse_reply_buf(req, buf, done);
	free(buf);
}

/*
 * Read-ahead of the store. Its map is MADV_RANDOM (LMDB's MDB_NORDAHEAD:
 * no read-around of B-tree pages), so on a cold store every 4 KiB page a
 * reply touched was one synchronous disk read (~60 MB/s here, a seventh
 * of ext4). Before each reply we ask (MADV_WILLNEED) for the chunks of
 * the request and of the LVFS_READAHEAD bytes after it that were not
 * asked for yet (h->ahead), so the disk reads run ahead of the copies.
 * On a warm store this only finds the pages cached.
 */
static void advise(const struct iovec *iov, int n)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = 0;
	uintptr_t e = 0;
	int i;

	for (i = 0; i <= n; i++) {
		uintptr_t ia = 0;
		uintptr_t ie = 0;

		if (i < n) {
			if (iov[i].iov_len == 0)
				continue;
			ia = (uintptr_t)iov[i].iov_base & ~(page - 1);
			ie = (uintptr_t)iov[i].iov_base + iov[i].iov_len;
			/* Chunks written one after the other sit a page
			 * header apart: one request for the run of them. */
			if (e != 0 && ia >= a && ia <= e + LVFS_ADVISE_GAP) {
				if (ie > e)
					e = ie;
				continue;
			}
		}
		if (e != 0)
			(void)madvise((void *)a, e - a, MADV_WILLNEED);
		a = ia;
		e = ie;
	}
}

/*
 * With h->lock held. Sequential reads (from the start, or from within the
 * range asked for last time) ask LVFS_READAHEAD bytes ahead; any other
 * read asks for its own bytes only.
 */
static void read_ahead(struct lvfs_fh *h, uint64_t off, size_t size)
{
	struct iovec iov[64];
	uint64_t from = off;
	uint64_t to = off + size;

	if (off == 0 || (off <= h->ahead &&
			 h->ahead - off <= size + LVFS_READAHEAD))
		to += LVFS_READAHEAD;
	if (to > h->node.size)
		to = h->node.size;
	if (h->ahead > from && h->ahead <= to)
		from = h->ahead;
	while (from < to) {
		size_t got = 0;
		int rc;

		rc = lv_file_read(h->r, &h->node, from, (size_t)(to - from),
				  iov, 64, &got);
		if (rc <= 0 || got == 0)
			break;
		advise(iov, rc);
		from += got;
	}
	if (from > h->ahead || off + size < h->ahead)
		h->ahead = from;
}

void lvfs_fh_read(fuse_req_t req, fuse_ino_t ino, struct lvfs_fh *h,
		  size_t size, off_t off)
{
	struct iovec iov[LVFS_READ_IOV_MAX];
	size_t done = 0;
	int n = 0;
	int rc = 0;

	if (off < 0 || (uint64_t)off >= h->node.size) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	if (size > h->node.size - (uint64_t)off)
		size = (size_t)(h->node.size - (uint64_t)off);

	pthread_mutex_lock(&h->lock);
	read_ahead(h, (uint64_t)off, size);
	while (done < size && n < LVFS_READ_IOV_MAX) {
		size_t got = 0;

		rc = lv_file_read(h->r, &h->node, (uint64_t)off + done,
				  size - done, iov + n, LVFS_READ_IOV_MAX - n,
				  &got);
		if (rc <= 0 || got == 0)
			break;
		n += rc;
		done += got;
	}
	pthread_mutex_unlock(&h->lock);

	if (rc < 0) {
		lvfs_log(LOG_ERR, "read of inode %llu at %lld: %s",
			 (unsigned long long)ino, (long long)off,
			 lv_strerror(rc));
		fuse_reply_err(req, lv_err_errno(rc));
		return;
	}
	if (done < size && n == LVFS_READ_IOV_MAX) {
		read_gather(req, h, size, off);
		return;
	}
	if (n == 1)
		fuse_reply_buf(req, iov[0].iov_base, iov[0].iov_len);
	else
		fuse_reply_iov(req, iov, n);
}

