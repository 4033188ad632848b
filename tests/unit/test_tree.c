/*
 * test_tree.c - the file tree in LMDB (core/tree.c, noderec.c, manifest.c,
 * fedit.c, reader.c, treelog.c): nodes, directories, chunked content,
 * snapshots sharing manifests (copy on write), freeing of unreferenced
 * chunks, readers pinning a version, the change log.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "lakeview/err.h"
#include "lakeview/reader.h"
#include "lakeview/tree.h"
#include "lakeview/treelog.h"
#include "fedit_i.h"
#include "tree_i.h"

static char dir[4096];

/* Read the whole file @n through the reader into a malloc'd buffer. */
static char *slurp(struct lv_reader *r, const struct lv_node *n)
{
	char *out = malloc(n->size + 1);
	struct iovec iov[4];
	uint64_t off = 0;

	while (out && off < n->size) {
		size_t got;
		/* odd sizes and few iovecs, to cross chunk boundaries */
		int k = lv_file_read(r, n, off, 100003, iov, 4, &got);

		if (k <= 0) {
			free(out);
			return NULL;
		}
		for (int i = 0; i < k; i++) {
			memcpy(out + off, iov[i].iov_base, iov[i].iov_len);
			off += iov[i].iov_len;
		}
	}
	if (out)
		out[n->size] = '\0';
	return out;
}

static int count_changes(void *arg, uint64_t ino, uint64_t parent, const char *name)
{
	(*(int *)arg)++;
	(void)ino; (void)parent; (void)name;
	return 0;
}

int main(void)
{
	struct lv_store *st;
	struct lv_wtxn w;
	struct lv_reader *r, *old;
	struct lv_node n, m;
	struct lv_fedit e;
	struct lv_store_stats s;
	uint64_t tdir, f, snap, cookie = 0, id, gen0;
	char *big, *got, path[256];
	size_t bigsz = 300000;
	int changes = 0, k;

	if (check_tmpdir(dir, sizeof(dir), "tree"))
		return 1;
	strncat(dir, "/s", sizeof(dir) - strlen(dir) - 1);
	CHECK_RC(lv_store_create(dir, "env", "org", &st));
	CHECK_RC(lv_tree_init(st));
	CHECK(strcmp(lv_store_container(st), "dataverse-env-org") == 0);

	big = malloc(bigsz);
	for (size_t i = 0; i < bigsz; i++)
		big[i] = (char)('a' + i % 26);

	/* a directory and a multi-chunk file */
	CHECK_RC(lv_wtxn_begin(st, &w));
	CHECK_RC(lv_tree_mkdir(&w, LV_ROOT_INO, "account", &tdir));
	CHECK_RC(lv_tree_put_file(&w, tdir, "2021.csv", big, bigsz, 7, &f));
	CHECK(lv_tree_put_file(&w, tdir, "../x", "a", 1, 0, NULL) == LV_EBADNAME);
	CHECK_RC(lv_wtxn_commit(&w));

	CHECK_RC(lv_reader_begin(st, &r));
	gen0 = lv_reader_tree_gen(r);
	CHECK_RC(lv_path_lookup(r, "/account/2021.csv", &n));
	CHECK(n.ino == f && n.size == bigsz && S_ISREG(n.mode) && n.seq == 7);
	got = slurp(r, &n);
	CHECK(got && memcmp(got, big, bigsz) == 0);
	free(got);
	CHECK_RC(lv_node_path(r, f, path, sizeof(path)));
	CHECK(strcmp(path, "account/2021.csv") == 0);
	CHECK(lv_path_lookup(r, "account/nope.csv", &m) == -ENOENT);
	CHECK(lv_node_lookup(r, f, "x", &m) == -ENOTDIR);
	CHECK(lv_dir_next(r, LV_ROOT_INO, &cookie, &m) == 1 && m.ino == tdir);
	CHECK(lv_dir_next(r, LV_ROOT_INO, &cookie, &m) == 0);
	/* reads past the end */
	{
		struct iovec iov[2];
		size_t g;

		CHECK(lv_file_read(r, &n, bigsz, 10, iov, 2, &g) == 0 && g == 0);
		CHECK(lv_file_read(r, &n, bigsz - 5, 10, iov, 2, &g) == 1 && g == 5);
	}
	lv_reader_end(r);

	/* identical content: no new generation */
	CHECK_RC(lv_wtxn_begin(st, &w));
	CHECK_RC(lv_tree_put_file(&w, tdir, "2021.csv", big, bigsz, 9, &f));
	CHECK_RC(lv_tree_get(&w, f, &m));
	CHECK(m.generation == n.generation);
	/* snapshot shares the manifest */
	CHECK_RC(lv_tree_share(&w, f, tdir, "snap.csv", LV_NODE_SNAPSHOT, f, &snap));
	CHECK_RC(lv_wtxn_commit(&w));
	CHECK_RC(lv_store_stats(st, &s));
	CHECK(s.chunk_bytes == bigsz);  /* no bytes copied */

	/* an old reader pins the version it saw */
	CHECK_RC(lv_reader_begin(st, &old));
	CHECK_RC(lv_node_get(old, f, &n));

	/* edit the live file: copy on write keeps the snapshot */
	CHECK_RC(lv_wtxn_begin(st, &w));
	CHECK_RC(lv_fedit_begin(&w, f, &e));
	CHECK(e.shared == 1 && e.n == (bigsz + LV_CHUNK_TARGET - 1) / LV_CHUNK_TARGET);
	CHECK_RC(lv_chunk_new(&w, &e, "XYZ", 3, &id));
	CHECK_RC(lv_fedit_replace(&e, 1, id, 3));
	CHECK_RC(lv_fedit_commit(&w, &e, 11));
	lv_fedit_free(&e);
	CHECK_RC(lv_wtxn_commit(&w));

	CHECK_RC(lv_reader_begin(st, &r));
	CHECK_RC(lv_node_get(r, f, &m));
	CHECK(m.size == bigsz - LV_CHUNK_TARGET + 3 && m.generation == n.generation + 1);
	got = slurp(r, &m);
	CHECK(got && memcmp(got, big, LV_CHUNK_TARGET) == 0 &&
	      memcmp(got + LV_CHUNK_TARGET, "XYZ", 3) == 0 &&
	      memcmp(got + LV_CHUNK_TARGET + 3, big + 2 * LV_CHUNK_TARGET,
		     bigsz - 2 * LV_CHUNK_TARGET) == 0);
	free(got);
	CHECK_RC(lv_node_get(r, snap, &m));
	got = slurp(r, &m);
	CHECK(got && m.size == bigsz && memcmp(got, big, bigsz) == 0);
	free(got);
	/* the old reader still sees the old bytes */
	got = slurp(old, &n);
	CHECK(got && memcmp(got, big, bigsz) == 0);
	free(got);
	lv_reader_end(old);
	/* changes since gen0: the file, the snapshot, their directory */
	CHECK_RC(lv_tree_changes(r, gen0, count_changes, &changes));
	CHECK(changes >= 3);
	CHECK(lv_tree_changes(r, 0, count_changes, &changes) == 0);
	lv_reader_end(r);

	/* removing everything frees every chunk */
	CHECK_RC(lv_wtxn_begin(st, &w));
	CHECK_RC(lv_tree_remove(&w, snap));
	CHECK_RC(lv_wtxn_commit(&w));
	CHECK_RC(lv_store_stats(st, &s));
	CHECK(s.chunk_bytes == bigsz - LV_CHUNK_TARGET + 3);
	CHECK_RC(lv_wtxn_begin(st, &w));
	CHECK_RC(lv_tree_remove(&w, tdir));
	CHECK(lv_tree_remove(&w, LV_ROOT_INO) == -EBUSY);
	CHECK_RC(lv_wtxn_commit(&w));
	CHECK_RC(lv_store_stats(st, &s));
	CHECK(s.chunk_bytes == 0);
	CHECK_RC(lv_reader_begin(st, &r));
	CHECK(lv_path_lookup(r, "account", &m) == -ENOENT);
	cookie = 0;
	CHECK(lv_dir_next(r, LV_ROOT_INO, &cookie, &m) == 0);
	k = lv_node_get(r, f, &m);
	CHECK(k == -ENOENT);
	lv_reader_end(r);

	/* a second store in a non-empty directory is refused */
	CHECK(lv_store_create(dir, "env", "org", &(struct lv_store *){ NULL }) == -EEXIST);
	lv_store_close(st);
	/* reopen read-only */
	CHECK_RC(lv_store_open(dir, LV_STORE_RDONLY, &st));
	lv_store_close(st);
	CHECK(lv_store_open("/nonexistent/store", 0, &st) == LV_ENOSTORE);
	free(big);
	return check_done();
}
