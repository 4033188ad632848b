/*
 * snapshot.c - read-only timestamped copies of the live partitions.
 *
 * A snapshot is `<table>/Snapshot/<partition>_<unix-seconds>.csv` sharing
 * the partition's manifest: it costs one node record, whatever the size of
 * the partition, and it can never change afterwards because the next
 * write to the partition copies the manifest instead of editing it.
 * A partition gets a new snapshot only when its generation moved since
 * its newest snapshot (the snapshot node keeps the generation it copied).
 * Retention: the newest LV_SNAPSHOT_KEEP per partition stay; the root
 * model.json, rewritten in the same commit, points at the newest, so a
 * referenced snapshot is never retired.
 * With Delta on (delta.h), each table's next Delta version follows, in a
 * write transaction of its own, built from the newest CSV snapshot of
 * each partition: so a version holds exactly the rows of the CSV
 * snapshots of its moment whatever commits in between, a table whose
 * version fails (a value that no longer fits its type) neither blocks
 * the CSV snapshots nor the other tables, and a crash between the two
 * leaves a version the next run writes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "delta_i.h"
#include "lakeview/err.h"
#include "lakeview/snapshot.h"
#include "model_i.h"
#include "table_i.h"
#include "tree_i.h"

struct snap_ctx {
	struct lv_wtxn *w;
	struct lv_snapshot_stats *stats;
};

/* The names of the tables, for the Delta pass. */
struct names {
	char (*v)[LV_TABLE_NAME_MAX + 1];
	size_t n;
};

static int note_name(void *arg, const struct lv_table *t)
{
	struct names *nm = arg;
	void *v = realloc(nm->v, (nm->n + 1) * sizeof(*nm->v));

	if (!v)
		return -ENOMEM;
	nm->v = v;
	snprintf(nm->v[nm->n++], sizeof(*nm->v), "%s", t->name);
	return 0;
}

/* One Delta version of each table that changed, each in its own commit.
 * Returns 0, or the first table's failure (the others still ran). */
static int delta_pass(struct lv_store *st, struct lv_snapshot_stats *s)
{
	struct names nm = { NULL, 0 };
	char *first_msg = NULL;
	int rc, first = 0;

	rc = lv_table_list(st, note_name, &nm);
	for (size_t i = 0; !rc && i < nm.n; i++) {
		struct lv_table t;
		struct lv_wtxn w;
		int written = 0, trc;

		trc = lv_wtxn_begin(st, &w);
		if (trc) {
			rc = trc;
			break;
		}
		trc = lv_table_load(w.txn, st, nm.v[i], &t);
		if (trc == LV_ENOTABLE) {  /* removed meanwhile */
			lv_wtxn_abort(&w);
			continue;
		}
		if (!trc) {
			trc = lv_delta_version(&w, &t, &written);
			lv_table_free(&t);
		}
		if (!trc && written)
			trc = lv_wtxn_commit(&w);
		else
			lv_wtxn_abort(&w);
		if (!trc) {
			s->delta_versions += (unsigned)written;
		} else {
			s->delta_failed++;
			if (!first) {
				first = trc;
				first_msg = strdup(lv_err_message(trc));
			}
		}
	}
	free(nm.v);
	if (!rc && first) {
		rc = lv_err_set(first, "%s", first_msg ? first_msg : lv_strerror(first));
	}
	free(first_msg);
	return rc;
}

/* newest first */
static int newer(const void *a, const void *b)
{
	const struct lv_node *x = a, *y = b;

	if (x->mtime != y->mtime)
		return x->mtime > y->mtime ? -1 : 1;
	return -strcmp(x->name, y->name);
}

static int snap_table(void *arg, struct lv_table *t)
{
	struct snap_ctx *c = arg;
	struct lv_wtxn *w = c->w;
	struct lv_node *live = NULL, *snaps = NULL;
	size_t nlive = 0, nsnaps = 0;
	uint64_t dir, sdir;
	int rc;

	rc = lv_model_table_dir(w, t, &dir);
	if (!rc)
		rc = lv_tree_children(w, dir, 1, &live, &nlive);
	if (rc)
		goto out;
	for (size_t i = 0; i < nlive; i++) {
		struct lv_node *p = &live[i], *mine = NULL;
		size_t nmine = 0, nl = strlen(p->name);
		char name[LV_NAME_MAX + 1];
		int64_t stamp = w->now;
		uint64_t ino;

		if (!S_ISREG(p->mode) || nl < 5)
			continue;
		rc = lv_tree_mkdir(w, dir, LV_SNAPSHOT_DIR, &sdir);
		if (!rc)
			rc = lv_tree_children(w, sdir, 1, &snaps, &nsnaps);
		if (rc)
			goto out;
		mine = malloc((nsnaps ? nsnaps : 1) * sizeof(*mine));
		if (!mine) {
			rc = -ENOMEM;
			goto out;
		}
		for (size_t j = 0; j < nsnaps; j++)
			if (snaps[j].snapshot_of == p->ino)
				mine[nmine++] = snaps[j];
		free(snaps);
		snaps = NULL;
		qsort(mine, nmine, sizeof(*mine), newer);
		if (nmine && mine[0].generation == p->generation) {
			free(mine);
			continue;  /* unchanged since its newest snapshot */
		}
		/* a unique, time-sorted name even when two land in one second */
		if (nmine && mine[0].mtime >= stamp)
			stamp = mine[0].mtime + 1;
		snprintf(name, sizeof(name), "%.*s_%lld.csv", (int)(nl - 4), p->name,
			 (long long)stamp);
		rc = lv_tree_share(w, p->ino, sdir, name, LV_NODE_SNAPSHOT, p->ino, &ino);
		if (!rc)
			rc = lv_tree_snapshot_stamp(w, ino, p->generation, stamp);
		if (rc) {
			free(mine);
			goto out;
		}
		c->stats->taken++;
		/* retire beyond the newest KEEP (the new one is newest) */
		for (size_t j = LV_SNAPSHOT_KEEP - 1; j < nmine; j++) {
			rc = lv_tree_remove(w, mine[j].ino);
			if (rc)
				break;
			c->stats->retired++;
		}
		free(mine);
		if (rc)
			goto out;
	}
out:
	free(live);
	free(snaps);
	return rc;
}

int lv_lake_snapshot(struct lv_store *st, struct lv_snapshot_stats *out)
{
	struct lv_snapshot_stats s = { 0, 0, 0, 0 };
	struct snap_ctx c;
	struct lv_wtxn w;
	int rc, delta;

	delta = lv_delta_enabled(st);
	if (delta < 0)
		return delta;
	rc = lv_wtxn_begin(st, &w);
	if (rc)
		return rc;
	c.w = &w;
	c.stats = &s;
	rc = lv_table_each(w.txn, st, snap_table, &c);
	if (!rc)
		rc = lv_model_root(&w);
	if (!rc)
		rc = lv_meta_put_u64(w.txn, st, "last_snapshot", (uint64_t)w.now);
	if (rc) {
		lv_wtxn_abort(&w);
		return rc;
	}
	rc = lv_wtxn_commit(&w);
	if (!rc && delta)
		rc = delta_pass(st, &s);
	if (out)
		*out = s;
	return rc;
}
