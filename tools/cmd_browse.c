/*
 * cmd_browse.c - `lakectl ls` and `lakectl cat`: the lake without a mount.
 *
 * They read through the same tree API as the FUSE daemon, so `lakectl cat`
 * prints exactly the bytes a mount serves; tests compare the two.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lakectl.h"
#include "lakeview/reader.h"
#include "lakeview/time.h"

static const char ls_help[] =
	"usage: lakectl ls --store DIR [-R] [-l] [PATH]\n"
	"\n"
	"List lake PATH (default: the container root). Directories end in '/'.\n"
	"-R lists every path below PATH, relative to the container root;\n"
	"-l adds size, modification time (UTC) and generation.\n";

static const char cat_help[] =
	"usage: lakectl cat --store DIR PATH\n"
	"\n"
	"Print the bytes of lake file PATH (e.g. account/2021.csv), exactly as\n"
	"a mount serves them.\n";

static const struct lc_opt ls_opts[] = {
	LC_OPT_STORE,
	{ "recursive", 'R', 'R', NULL, "every path below PATH" },
	{ "long", 'l', 'l', NULL, "size, modification time (UTC), generation" },
	LC_OPT_END,
};

static const struct lc_cmd ls_cmd = { "ls", ls_help, ls_opts };
static const struct lc_cmd cat_cmd = { "cat", cat_help, lc_opts_store_only };

static int print_node(struct lv_reader *r, const struct lv_node *n, int full,
		      int lng)
{
	char path[LV_PATH_MAX + 1];
	int rc;

	if (full) {
		rc = lv_node_path(r, n->ino, path, sizeof(path));
		if (rc)
			return rc;
	} else {
		snprintf(path, sizeof(path), "%s", n->name);
	}
	if (lng) {
		char ts[32];

		if (lv_time_iso(ts, sizeof(ts), n->mtime) != 0)
			ts[0] = '\0';
		printf("%12" PRIu64 " %s %6" PRIu64 " ", n->size, ts, n->generation);
	}
	printf("%s%s\n", path, S_ISDIR(n->mode) ? "/" : "");
	return 0;
}

static int walk(struct lv_reader *r, uint64_t dir, int recursive, int lng)
{
	struct lv_node n;
	uint64_t cookie = 0;
	int rc;

	while ((rc = lv_dir_next(r, dir, &cookie, &n)) == 1) {
		rc = print_node(r, &n, recursive, lng);
		if (!rc && recursive && S_ISDIR(n.mode))
			rc = walk(r, n.ino, 1, lng);
		if (rc)
			return rc;
	}
	return rc;
}

int cmd_ls(int argc, char **argv)
{
	const char *path = "";
	struct lc_args a;
	struct lv_store *st;
	struct lv_reader *r;
	struct lv_node n;
	int rc, rec, lng;

	if (lc_opts_parse(&a, &ls_cmd, argc, argv))
		return a.status;
	rec = lc_flag(&a, 'R');
	lng = lc_flag(&a, 'l');
	if (optind < argc - 1)
		return usage_error("ls", "name at most one PATH");
	if (optind == argc - 1)
		path = argv[optind];
	rc = lc_open(&a, LV_STORE_RDONLY, &st);
	if (rc)
		return rc;
	rc = lv_reader_begin(st, &r);
	if (rc) {
		lv_store_close(st);
		return fail_rc(rc, "cannot read the store");
	}
	rc = lv_path_lookup(r, path, &n);
	if (rc)
		rc = fail("%s: %s", path, rc == -ENOENT ? "no such path in the lake" : lv_strerror(rc));
	else if (S_ISDIR(n.mode))
		rc = walk(r, n.ino, rec, lng) ? fail("listing failed") : 0;
	else
		rc = print_node(r, &n, 1, lng) ? fail("listing failed") : 0;
	lv_reader_end(r);
	lv_store_close(st);
	return rc;
}

int cmd_cat(int argc, char **argv)
{
	struct lc_args a;
	struct lv_store *st;
	struct lv_reader *r;
	struct lv_node n;
	struct iovec iov[64];
	uint64_t off = 0;
	int rc;

	if (lc_opts_parse(&a, &cat_cmd, argc, argv))
		return a.status;
	if (optind != argc - 1)
		return usage_error("cat", "name exactly one PATH");
	rc = lc_open(&a, LV_STORE_RDONLY, &st);
	if (rc)
		return rc;
	rc = lv_reader_begin(st, &r);
	if (rc) {
		lv_store_close(st);
		return fail_rc(rc, "cannot read the store");
	}
	rc = lv_path_lookup(r, argv[optind], &n);
	if (rc) {
		rc = fail("%s: %s", argv[optind], rc == -ENOENT ? "no such file in the lake (see 'lakectl ls')" : lv_strerror(rc));
		goto out;
	}
	if (S_ISDIR(n.mode)) {
		rc = fail("%s is a directory (see 'lakectl ls')", argv[optind]);
		goto out;
	}
	while (off < n.size) {
		size_t got;
		int k = lv_file_read(r, &n, off, 8u << 20, iov, 64, &got);

		if (k < 0) {
			rc = fail_rc(k, "read failed");
			goto out;
		}
		if (k == 0)
			break;
		for (int i = 0; i < k;) {
			ssize_t w = writev(1, iov + i, k - i);

			if (w < 0) {
				if (errno == EINTR)
					continue;
				rc = errno == EPIPE ? 0 : fail("write failed: %s", strerror(errno));
				goto out;
			}
			while (i < k && (size_t)w >= iov[i].iov_len) {
				w -= (ssize_t)iov[i].iov_len;
				i++;
			}
			if (i < k) {
				iov[i].iov_base = (char *)iov[i].iov_base + w;
				iov[i].iov_len -= (size_t)w;
			}
		}
		off += got;
	}
	rc = 0;
out:
	lv_reader_end(r);
	lv_store_close(st);
	return rc;
}
