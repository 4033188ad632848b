/*
 * vfile.c - the hidden .lakeview/ folder and its status.json.
 *
 * Why it is shaped this way: health belongs in-band (a file any tool can
 * read), but backup tools, `find` and `grep -r` must not wander into it,
 * so - like ZFS's .zfs - the folder is reachable by name from the root
 * and absent from every listing. Its two nodes have fixed inode numbers
 * at the top of the 64-bit range (LVFS_INO_CTL, LVFS_INO_STATUS), which
 * the store's allocator, counting up from 1, never reaches.
 *
 * The document is generated when the file is opened and served from the
 * handle's own buffer (it is not lake data, so copying it is fine), with
 * direct_io so that the size a reader sees and the bytes it gets always
 * match. Its content: lv_status_json() of the store, plus the daemon's
 * own members (open handles, LMDB reader slots, mount point, pid).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lakeview/status.h"
#include "lakeview_i.h"

/** Is @p ino one of the virtual nodes? */
int lvfs_vfile_is(uint64_t ino)
{
	return ino == LVFS_INO_CTL || ino == LVFS_INO_STATUS;
}

/** Attributes of a virtual node; @p size is the document's length. */
void lvfs_vfile_stat(struct lvfs *fs, uint64_t ino, size_t size,
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

/* Append @p s as a JSON string; invalid UTF-8 becomes U+FFFD. */
static int add_json_string(struct lv_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	int rc;

	rc = lv_buf_addc(b, '"');
	while (rc == 0 && n > 0) {
		size_t l = utf8_len(p, n);

		if (l == 0) {
			rc = lv_buf_adds(b, "\\ufffd");
			l = 1;
		} else if (*p == '"' || *p == '\\') {
			rc = lv_buf_addf(b, "\\%c", *p);
		} else if (*p < 0x20) {
			rc = lv_buf_addf(b, "\\u%04x", *p);
		} else {
			rc = lv_buf_add(b, p, l);
		}
		p += l;
		n -= l;
	}
	if (rc == 0)
		rc = lv_buf_addc(b, '"');
	return rc;
}

/**
 * Build status.json into @p out (initialised by the caller with its
 * ceiling). @return 0 or a liblakeview code.
 */
int lvfs_status_doc(struct lvfs *fs, struct lv_buf *out)
{
	struct lv_store_stats ss;
	struct lv_reader *r = NULL;
	char when[32];
	struct tm tm;
	int rc;

	rc = lvfs_pool_get(&fs->pool, &r);
	if (rc != 0)
		return rc;
	rc = lv_status_json(fs->st, r, out);
	lvfs_pool_put(&fs->pool, r);
	if (rc != 0)
		return rc;

	memset(&ss, 0, sizeof(ss));
	rc = lv_store_stats(fs->st, &ss);
	if (rc != 0)
		return rc;

	/* lv_status_json leaves len just past the closing brace. */
	while (out->len > 0 && out->p[out->len - 1] != '}')
		out->len--;
	if (out->len == 0)
		return -EPROTO;
	out->len--;
	out->p[out->len] = '\0';

	if (gmtime_r(&fs->started, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		when[0] = '\0';

	rc = lv_buf_addf(out, "%s\"open_handles\":%ld,\"lmdb_readers\":%u,"
			 "\"lmdb_max_readers\":%u,\"daemon_pid\":%ld,"
			 "\"mounted_since\":\"%s\",\"mount_point\":",
			 out->len > 1 ? "," : "",
			 (long)atomic_load(&fs->open_handles), ss.readers,
			 ss.max_readers, (long)getpid(), when);
	if (rc == 0)
		rc = add_json_string(out, fs->mnt_path);
	if (rc == 0)
		rc = lv_buf_adds(out, "}\n");
	return rc;
}
