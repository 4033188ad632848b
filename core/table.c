/*
 * table.c - table records: add, remove, list, load, save.
 *
 * A table record is a small JSON document keyed by the table's logical
 * name: its schema (the lake columns), options, sync state and counters.
 * JSON rather than a packed struct because it changes shape as features
 * come, is read once per batch, and `mdb_dump` shows it to a person.
 * Each table also gets a numeric id that never returns after the table is
 * removed, so the row state of a removed table can never leak into a table
 * added later under the same name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lake_i.h"
#include "lakeview/err.h"
#include "tree_i.h"

int lv_table_load(MDB_txn *txn, struct lv_store *st, const char *name,
		  struct lv_table *t)
{
	MDB_val k = { strlen(name), (void *)name }, d;
	int rc;

	rc = mdb_get(txn, st->tables, &k, &d);
	if (rc == MDB_NOTFOUND)
		return lv_err_set(LV_ENOTABLE, "table '%s' is not in the store (see 'lakectl tables list')", name);
	if (rc)
		return rc;
	return lv_table_from_json(d.mv_data, d.mv_size, t);
}

int lv_table_save(struct lv_wtxn *w, const struct lv_table *t)
{
	char *s = lv_table_to_json(t);
	MDB_val k = { strlen(t->name), (void *)t->name }, d;
	int rc;

	if (!s)
		return -ENOMEM;
	d.mv_size = strlen(s);
	d.mv_data = s;
	rc = mdb_put(w->txn, w->st->tables, &k, &d, 0);
	free(s);
	return rc;
}

int lv_table_each(MDB_txn *txn, struct lv_store *st,
		  int (*fn)(void *arg, struct lv_table *t), void *arg)
{
	MDB_cursor *cur;
	MDB_val k, d;
	int rc;

	rc = mdb_cursor_open(txn, st->tables, &cur);
	if (rc)
		return rc;
	rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST);
	while (rc == 0) {
		struct lv_table t;

		rc = lv_table_from_json(d.mv_data, d.mv_size, &t);
		if (rc)
			break;
		rc = fn(arg, &t);
		lv_table_free(&t);
		if (rc)
			break;
		rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int lv_table_add(struct lv_store *st, struct lv_table *t)
{
	struct lv_wtxn w;
	struct lv_table old;
	uint64_t id = 0, dir;
	int rc;

	rc = lv_wtxn_begin(st, &w);
	if (rc)
		return rc;
	rc = lv_table_load(w.txn, st, t->name, &old);
	if (rc == 0) {
		lv_table_free(&old);
		rc = lv_err_set(-EEXIST, "table '%s' is already in the store", t->name);
		goto out;
	}
	if (rc != LV_ENOTABLE)
		goto out;
	lv_err_clear();
	rc = lv_meta_get_u64(w.txn, st, "next_table", &id);
	if (rc == MDB_NOTFOUND) {
		id = 1;
		rc = 0;
	}
	if (rc)
		goto out;
	t->id = (uint32_t)id;
	t->added = w.now;
	rc = lv_meta_put_u64(w.txn, st, "next_table", id + 1);
	if (!rc)
		rc = lv_table_save(&w, t);
	if (!rc)
		rc = lv_lake_table_dir(&w, t, &dir);
	if (!rc)
		rc = lv_lake_table_manifest(&w, t);
	if (!rc)
		rc = lv_lake_root_model(&w);
	if (!rc)
		rc = lv_lake_optionsets(&w);
	if (rc)
		goto out;
	return lv_wtxn_commit(&w);
out:
	lv_wtxn_abort(&w);
	return rc;
}

int lv_rows_drop(struct lv_wtxn *w, uint32_t id)
{
	unsigned char kb[4];
	MDB_val k = { 4, kb }, d;
	MDB_cursor *cur;
	int rc;

	lv_be32(kb, id);
	rc = mdb_cursor_open(w->txn, w->st->rows, &cur);
	if (rc)
		return rc;
	rc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
	while (rc == 0 && k.mv_size == 20 && lv_get_be32(k.mv_data) == id) {
		rc = mdb_cursor_del(cur, 0);
		if (!rc)
			rc = mdb_cursor_get(cur, &k, &d, MDB_GET_CURRENT);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND || rc == EINVAL ? 0 : rc;
}

int lv_table_remove(struct lv_store *st, const char *name)
{
	struct lv_wtxn w;
	struct lv_table t;
	struct lv_node n;
	char fname[LV_TABLE_NAME_MAX + 16];
	MDB_val k = { strlen(name), (void *)name };
	int rc;

	rc = lv_wtxn_begin(st, &w);
	if (rc)
		return rc;
	rc = lv_table_load(w.txn, st, name, &t);
	if (rc)
		goto out;
	rc = lv_rows_drop(&w, t.id);
	if (!rc)
		rc = lv_rows_drop(&w, t.id | 0x80000000u);
	if (!rc)
		rc = lv_rowruns_drop(&w, t.id);
	if (!rc)
		rc = mdb_del(w.txn, st->tables, &k, NULL);
	if (!rc) {
		rc = lv_tree_lookup(&w, LV_ROOT_INO, t.name, &n);
		if (rc == 0)
			rc = lv_tree_remove(&w, n.ino);
		else if (rc == -ENOENT)
			rc = 0;
	}
	if (!rc) {
		struct lv_node a;

		snprintf(fname, sizeof(fname), "%s-model.json", t.name);
		rc = lv_tree_lookup(&w, LV_ROOT_INO, LV_ATHENA_DIR, &a);
		if (rc == 0) {
			rc = lv_tree_lookup(&w, a.ino, fname, &n);
			if (rc == 0)
				rc = lv_tree_remove(&w, n.ino);
		}
		if (rc == -ENOENT)
			rc = 0;
	}
	lv_table_free(&t);
	if (!rc)
		rc = lv_lake_root_model(&w);
	if (!rc)
		rc = lv_lake_optionsets(&w);
	if (rc)
		goto out;
	return lv_wtxn_commit(&w);
out:
	lv_wtxn_abort(&w);
	return rc;
}

int lv_table_update(struct lv_store *st, const struct lv_table *t,
		    int schema_changed)
{
	struct lv_wtxn w;
	struct lv_table cur;
	int rc;

	rc = lv_wtxn_begin(st, &w);
	if (rc)
		return rc;
	/* the table must still be the one we loaded (not removed and re-added) */
	rc = lv_table_load(w.txn, st, t->name, &cur);
	if (rc)
		goto out;
	if (cur.id != t->id) {
		lv_table_free(&cur);
		rc = lv_err_set(LV_ENOTABLE, "table '%s' was removed meanwhile", t->name);
		goto out;
	}
	lv_table_free(&cur);
	rc = lv_table_save(&w, t);
	if (!rc)
		rc = lv_lake_table_manifest(&w, t);
	if (!rc && schema_changed)
		rc = lv_lake_root_model(&w);
	if (!rc && schema_changed)
		rc = lv_lake_optionsets(&w);
	if (rc)
		goto out;
	return lv_wtxn_commit(&w);
out:
	lv_wtxn_abort(&w);
	return rc;
}

struct list_ctx {
	lv_table_fn fn;
	void *arg;
};

static int list_one(void *arg, struct lv_table *t)
{
	struct list_ctx *c = arg;

	return c->fn(c->arg, t);
}

int lv_table_list(struct lv_store *st, lv_table_fn fn, void *arg)
{
	struct list_ctx c = { fn, arg };
	MDB_txn *txn;
	int rc;

	rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
	if (rc)
		return rc;
	rc = lv_table_each(txn, st, list_one, &c);
	mdb_txn_abort(txn);
	return rc;
}

int lv_table_get(struct lv_store *st, const char *name, struct lv_table *out)
{
	MDB_txn *txn;
	int rc;

	rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
	if (rc)
		return rc;
	rc = lv_table_load(txn, st, name, out);
	mdb_txn_abort(txn);
	return rc;
}
