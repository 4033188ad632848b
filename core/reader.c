/*
 * reader.c - the read side of the file tree: one consistent version of
 * the whole lake through one LMDB read transaction.
 *
 * Why this shape: the FUSE daemon, `lakectl cat`/`ls`, the push and the
 * status all read the tree; none of them may see half a commit, and none
 * should copy file bytes it only passes on. So a reader is one read
 * transaction (cheap to renew, MDB_NOTLS so it may move between threads),
 * and a file read hands out pointers into the map: the manifest is
 * binary-searched for the first chunk, then each chunk is one lookup.
 *
 * Layering: above the node records (noderec.c) and the manifests
 * (manifest.c); nothing here writes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lakeview/err.h"
#include "manifest_i.h"
#include "noderec_i.h"
#include "reader_i.h"

int lv_reader_begin(struct lv_store *st, struct lv_reader **out)
{
	struct lv_reader *r = calloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->st = st;
	rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &r->txn);
	if (rc) {
		free(r);
		lv_err_clear();  /* LMDB's code says it all; no older detail */
		return rc;
	}
	*out = r;
	return 0;
}

int lv_reader_refresh(struct lv_reader *r)
{
	int rc;

	mdb_txn_reset(r->txn);
	rc = mdb_txn_renew(r->txn);
	if (rc)
		lv_err_clear();
	return rc;
}

void lv_reader_end(struct lv_reader *r)
{
	if (!r)
		return;
	mdb_txn_abort(r->txn);
	free(r);
}

MDB_txn *lv_reader_txn(struct lv_reader *r)
{
	return r->txn;
}

uint64_t lv_reader_tree_gen(struct lv_reader *r)
{
	uint64_t v = 0;

	lv_meta_get_u64(r->txn, r->st, "tree_gen", &v);
	return v;
}

int lv_node_get(struct lv_reader *r, uint64_t ino, struct lv_node *out)
{
	return lv_noderec_get(r->txn, r->st, ino, out);
}

int lv_node_lookup(struct lv_reader *r, uint64_t parent, const char *name,
		   struct lv_node *out)
{
	struct lv_node p;
	int rc = lv_noderec_get(r->txn, r->st, parent, &p);

	if (rc)
		return rc;
	if (!S_ISDIR(p.mode))
		return -ENOTDIR;
	return lv_noderec_find(r->txn, r->st, parent, name, out);
}

int lv_path_lookup(struct lv_reader *r, const char *path, struct lv_node *out)
{
	char comp[LV_NAME_MAX + 1];
	const char *p = path, *s;
	int rc;

	if (strlen(path) > LV_PATH_MAX)
		return -ENAMETOOLONG;
	rc = lv_noderec_get(r->txn, r->st, LV_ROOT_INO, out);
	while (!rc) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		s = strchr(p, '/');
		if (!s)
			s = p + strlen(p);
		if ((size_t)(s - p) > LV_NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(comp, p, (size_t)(s - p));
		comp[s - p] = '\0';
		p = s;
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			rc = lv_noderec_get(r->txn, r->st, out->parent, out);
			continue;
		}
		rc = lv_node_lookup(r, out->ino, comp, out);
	}
	return rc;
}

int lv_node_path(struct lv_reader *r, uint64_t ino, char *buf, size_t len)
{
	struct lv_node n;
	size_t pos = len;
	int rc, depth = 0;

	if (!len)
		return -ENAMETOOLONG;
	buf[--pos] = '\0';
	while (ino != LV_ROOT_INO) {
		size_t nl;

		if (++depth > 64)
			return -ELOOP;
		rc = lv_noderec_get(r->txn, r->st, ino, &n);
		if (rc)
			return rc;
		nl = strlen(n.name);
		if (nl + (pos < len - 1 ? 1 : 0) > pos)
			return -ENAMETOOLONG;
		if (pos < len - 1)
			buf[--pos] = '/';
		pos -= nl;
		memcpy(buf + pos, n.name, nl);
		ino = n.parent;
	}
	memmove(buf, buf + pos, len - pos);
	return 0;
}

int lv_dir_next(struct lv_reader *r, uint64_t dir, uint64_t *cookie,
		struct lv_node *out)
{
	unsigned char ck[16];
	MDB_val k = { 16, ck }, d;
	MDB_cursor *cur;
	uint64_t child;
	int rc;

	rc = mdb_cursor_open(r->txn, r->st->children, &cur);
	if (rc)
		return rc;
	lv_be64(ck, dir);
	lv_be64(ck + 8, *cookie);
	rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
	if (rc == 0 && k.mv_size == 16 && lv_get_be64(k.mv_data) == dir &&
	    lv_get_be64((unsigned char *)k.mv_data + 8) == *cookie && *cookie)
		rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
	mdb_cursor_close(cur);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return rc;
	if (k.mv_size != 16 || lv_get_be64(k.mv_data) != dir)
		return 0;
	child = lv_get_be64((unsigned char *)k.mv_data + 8);
	rc = lv_noderec_get(r->txn, r->st, child, out);
	if (rc)
		return rc == -ENOENT ? -EIO : rc;
	*cookie = child;
	return 1;
}

int lv_file_read(struct lv_reader *r, const struct lv_node *n, uint64_t off,
		 size_t len, struct iovec *iov, int maxiov, size_t *got)
{
	const struct lv_ment *m;
	size_t cnt, lo, hi;
	int niov = 0, rc;

	*got = 0;
	if (!S_ISREG(n->mode))
		return -EISDIR;
	if (off >= n->size || len == 0 || !n->manifest)
		return 0;
	if (len > n->size - off)
		len = (size_t)(n->size - off);
	rc = lv_manifest_get(r->txn, r->st, n->manifest, &m, &cnt);
	if (rc)
		return rc;
	/* first chunk whose end is past off */
	lo = 0;
	hi = cnt;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		uint64_t end;

		memcpy(&end, &m[mid].end, 8);
		if (end <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < cnt && len > 0 && niov < maxiov; i++) {
		uint64_t end, start = 0, cid;
		unsigned char kb[8];
		MDB_val k = { 8, kb }, d;
		size_t skip, take;

		memcpy(&end, &m[i].end, 8);
		if (i)
			memcpy(&start, &m[i - 1].end, 8);
		memcpy(&cid, &m[i].chunk, 8);
		lv_be64(kb, cid);
		rc = mdb_get(r->txn, r->st->chunks, &k, &d);
		if (rc)
			return rc == MDB_NOTFOUND ? -EIO : rc;
		if (d.mv_size != end - start)
			return -EIO;
		skip = (size_t)(off - start);
		take = d.mv_size - skip;
		if (take > len)
			take = len;
		iov[niov].iov_base = (char *)d.mv_data + skip;
		iov[niov].iov_len = take;
		niov++;
		off += take;
		len -= take;
		*got += take;
	}
	return niov;
}

int lv_file_chunks(struct lv_reader *r, const struct lv_node *n,
		   int (*fn)(void *arg, const void *p, size_t len), void *arg)
{
	const struct lv_ment *m;
	size_t cnt;
	int rc;

	if (!n->manifest)
		return 0;
	rc = lv_manifest_get(r->txn, r->st, n->manifest, &m, &cnt);
	for (size_t i = 0; !rc && i < cnt; i++) {
		unsigned char kb[8];
		MDB_val k = { 8, kb }, d;
		uint64_t cid;

		memcpy(&cid, &m[i].chunk, 8);
		lv_be64(kb, cid);
		rc = mdb_get(r->txn, r->st->chunks, &k, &d);
		if (rc)
			return rc == MDB_NOTFOUND ? -EIO : rc;
		rc = fn(arg, d.mv_data, d.mv_size);
	}
	return rc;
}
