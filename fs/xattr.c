/*
 * xattr.c - provenance of every node as user.lakeview.* attributes.
 *
 * Why xattrs: tools that only see paths (shell scripts, pipelines that
 * poll a folder) need to know which version of a file they read and
 * where a snapshot came from, without a side channel. The values are
 * computed from the node record on each call (they are tiny), so they
 * are always consistent with the node's generation:
 *
 *   user.lakeview.generation   content generation (decimal)
 *   user.lakeview.seq          last change sequence that touched the node
 *   user.lakeview.commit_time  commit that wrote it, ISO 8601 UTC
 *   user.lakeview.snapshot_of  snapshots only: path of the partition file
 *
 * The size-probe protocol is the caller's (ops.c): these functions only
 * produce the bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lakeview/time.h"
#include "lakeview_i.h"

#define XA_GENERATION  "user.lakeview.generation"
#define XA_SEQ         "user.lakeview.seq"
#define XA_COMMIT_TIME "user.lakeview.commit_time"
#define XA_SNAPSHOT_OF "user.lakeview.snapshot_of"

static int put(char *buf, size_t len, const char *s)
{
	size_t n = strlen(s);

	if (n > len)
		return -ERANGE;
	memcpy(buf, s, n);
	return (int)n;
}

static void iso8601(int64_t t, char *out, size_t len)
{
	if (lv_time_iso(out, len, t) != 0)
		snprintf(out, len, "%lld", (long long)t);
}

/**
 * Value of attribute @p name of node @p n into @p buf (not terminated).
 * @return its length, -ENODATA for an attribute the node does not have,
 *         -ERANGE if @p len is too small, or a liblakeview code.
 */
int lvfs_xattr_get(struct lv_reader *r, const struct lv_node *n,
		   const char *name, char *buf, size_t len)
{
	char tmp[64];
	int rc;

	if (strcmp(name, XA_GENERATION) == 0) {
		snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)n->generation);
		return put(buf, len, tmp);
	}
	if (strcmp(name, XA_SEQ) == 0) {
		snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)n->seq);
		return put(buf, len, tmp);
	}
	if (strcmp(name, XA_COMMIT_TIME) == 0) {
		iso8601(n->commit_time, tmp, sizeof(tmp));
		return put(buf, len, tmp);
	}
	if (strcmp(name, XA_SNAPSHOT_OF) == 0 &&
	    (n->flags & LV_NODE_SNAPSHOT) != 0) {
		char path[LV_PATH_MAX + 1];

		rc = lv_node_path(r, n->snapshot_of, path, sizeof(path));
		if (rc != 0)
			return rc == -ENOENT ? -ENODATA : rc;
		return put(buf, len, path);
	}
	return -ENODATA;
}

/**
 * The NUL-separated list of attribute names of @p n into @p buf.
 * @return its length, or -ERANGE if @p len is too small.
 */
int lvfs_xattr_list(const struct lv_node *n, char *buf, size_t len)
{
	static const char common[] =
		XA_GENERATION "\0" XA_SEQ "\0" XA_COMMIT_TIME "\0";
	static const char snap[] = XA_SNAPSHOT_OF "\0";
	size_t need = sizeof(common) - 1;

	if ((n->flags & LV_NODE_SNAPSHOT) != 0)
		need += sizeof(snap) - 1;
	if (need > len)
		return -ERANGE;
	memcpy(buf, common, sizeof(common) - 1);
	if ((n->flags & LV_NODE_SNAPSHOT) != 0)
		memcpy(buf + sizeof(common) - 1, snap, sizeof(snap) - 1);
	return (int)need;
}
