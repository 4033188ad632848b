/*
 * table.c - struct lv_table and its records: names, columns, the JSON
 * form, and load, save, insert, delete, list in the store.
 *
 * A table record is a small JSON document keyed by the table's logical
 * name: its schema (the lake columns), options, sync state and counters.
 * JSON rather than a packed struct because it changes shape as features
 * come, is read once per batch, and `mdb_dump` shows it to a person.
 * Each table also gets a numeric id that never returns after the table is
 * removed, so the row state of a removed table can never leak into a table
 * added later under the same name.
 *
 * This is the bottom of the metadata: it knows the store and nothing of
 * the lake's files. What goes with a table's coming and going (its
 * folder, manifest, model.json, row states) is the lake's tables'
 * business (lake.c); how Dataverse metadata becomes columns is schema.c's.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jrow.h"
#include "lakeview/err.h"
#include "table_i.h"

int lv_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > LV_COL_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_')
			return 0;
	return 1;
}

void lv_table_free(struct lv_table *t)
{
	free(t->cols);
	free(t->options_json);
	free(t->sync_json);
	t->cols = NULL;
	t->options_json = NULL;
	t->sync_json = NULL;
	t->ncols = 0;
}

int lv_table_add_col(struct lv_table *t, const char *name, const char *prop,
		      const char *attrtype, int type, int fmt, int flags,
		      int maxlen, int precision, int scale)
{
	struct lv_column *c, *nc;

	if (t->ncols >= LV_TABLE_MAX_COLS)
		return lv_err_set(LV_ETOOBIG, "table %s: more than %d columns",
				  t->name, LV_TABLE_MAX_COLS);
	for (size_t i = 0; i < t->ncols; i++)
		if (strcasecmp(t->cols[i].name, name) == 0)
			return lv_err_set(LV_EBADVALUE, "table %s: column '%s' appears twice",
					  t->name, name);
	nc = realloc(t->cols, (t->ncols + 1) * sizeof(*nc));
	if (!nc)
		return -ENOMEM;
	t->cols = nc;
	c = &t->cols[t->ncols++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->prop, sizeof(c->prop), "%s", prop);
	snprintf(c->attrtype, sizeof(c->attrtype), "%s", attrtype);
	c->type = (uint8_t)type;
	c->fmt = (uint8_t)fmt;
	c->flags = (uint16_t)flags;
	c->maxlen = maxlen;
	c->precision = (int16_t)precision;
	c->scale = (int16_t)scale;
	c->hash = lv_jrow_hash(c->prop, strlen(c->prop));
	return 0;
}

void lv_table_index(struct lv_table *t)
{
	t->icreatedon = -1;
	t->iversion = -1;
	for (size_t i = 0; i < t->ncols; i++) {
		t->cols[i].hash = lv_jrow_hash(t->cols[i].prop, strlen(t->cols[i].prop));
		if (strcmp(t->cols[i].name, "createdon") == 0 && !(t->cols[i].flags & LV_COL_REMOVED))
			t->icreatedon = (int)i;
		if (strcmp(t->cols[i].name, "versionnumber") == 0)
			t->iversion = (int)i;
	}
}

static const char *const type_names[] = {
	[LV_T_GUID] = "guid", [LV_T_STRING] = "string", [LV_T_INT64] = "int64",
	[LV_T_DECIMAL] = "decimal", [LV_T_DOUBLE] = "double",
	[LV_T_BOOLEAN] = "boolean", [LV_T_DATETIME] = "dateTime",
	[LV_T_DATETIMEOFFSET] = "dateTimeOffset",
};

const char *lv_ctype_name(int type)
{
	if (type < 0 || type > LV_T_DATETIMEOFFSET)
		return "unclassified";
	return type_names[type];
}

char *lv_table_to_json(const struct lv_table *t)
{
	json_t *o, *cols;
	char *s;

	cols = json_array();
	for (size_t i = 0; cols && i < t->ncols; i++) {
		const struct lv_column *c = &t->cols[i];

		json_array_append_new(cols, json_pack("{sssssssisisisisisi}",
			"name", c->name, "prop", c->prop, "attrtype", c->attrtype,
			"type", (int)c->type, "fmt", (int)c->fmt, "flags", (int)c->flags,
			"maxlen", (int)c->maxlen, "precision", (int)c->precision,
			"scale", (int)c->scale));
	}
	o = json_pack("{sIsssssssbsbsssssIsIsIsIsIso}",
		      "id", (json_int_t)t->id, "name", t->name,
		      "entityset", t->entityset, "idattr", t->idattr,
		      "append_only", t->append_only, "by_month", t->by_month,
		      "state", t->state, "reason", t->reason,
		      "count", (json_int_t)t->count, "added", (json_int_t)t->added,
		      "last_sync", (json_int_t)t->last_sync,
		      "initial_done", (json_int_t)t->initial_done,
		      "last_change", (json_int_t)t->last_change,
		      "columns", cols);
	if (!o)
		return NULL;
	if (t->options_json)
		json_object_set_new(o, "options", json_loads(t->options_json, 0, NULL));
	if (t->sync_json)
		json_object_set_new(o, "sync", json_loads(t->sync_json, 0, NULL));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

int lv_table_from_json(const char *s, size_t len, struct lv_table *t)
{
	json_t *o, *cols, *c, *v;
	json_error_t jerr;
	size_t i;
	int rc = 0;

	memset(t, 0, sizeof(*t));
	o = json_loadb(s, len, 0, &jerr);
	if (!o)
		return -EIO;
	t->id = (uint32_t)json_integer_value(json_object_get(o, "id"));
	snprintf(t->name, sizeof(t->name), "%s", json_string_value(json_object_get(o, "name")) ?: "");
	snprintf(t->entityset, sizeof(t->entityset), "%s", json_string_value(json_object_get(o, "entityset")) ?: "");
	snprintf(t->idattr, sizeof(t->idattr), "%s", json_string_value(json_object_get(o, "idattr")) ?: "");
	t->append_only = json_is_true(json_object_get(o, "append_only"));
	t->by_month = json_is_true(json_object_get(o, "by_month"));
	snprintf(t->state, sizeof(t->state), "%s", json_string_value(json_object_get(o, "state")) ?: "");
	snprintf(t->reason, sizeof(t->reason), "%s", json_string_value(json_object_get(o, "reason")) ?: "");
	t->count = (uint64_t)json_integer_value(json_object_get(o, "count"));
	t->added = json_integer_value(json_object_get(o, "added"));
	t->last_sync = json_integer_value(json_object_get(o, "last_sync"));
	t->initial_done = json_integer_value(json_object_get(o, "initial_done"));
	t->last_change = json_integer_value(json_object_get(o, "last_change"));
	cols = json_object_get(o, "columns");
	json_array_foreach(cols, i, c) {
		rc = lv_table_add_col(t, json_string_value(json_object_get(c, "name")) ?: "?",
				      json_string_value(json_object_get(c, "prop")) ?: "",
				      json_string_value(json_object_get(c, "attrtype")) ?: "",
				      (int)json_integer_value(json_object_get(c, "type")),
				      (int)json_integer_value(json_object_get(c, "fmt")),
				      (int)json_integer_value(json_object_get(c, "flags")),
				      (int)json_integer_value(json_object_get(c, "maxlen")),
				      (int)json_integer_value(json_object_get(c, "precision")),
				      (int)json_integer_value(json_object_get(c, "scale")));
		if (rc)
			goto out;
	}
	v = json_object_get(o, "options");
	if (v) {
		t->options_json = json_dumps(v, JSON_COMPACT);
		if (!t->options_json)
			rc = -ENOMEM;
	}
	v = json_object_get(o, "sync");
	if (!rc && v && !json_is_null(v)) {
		t->sync_json = json_dumps(v, JSON_COMPACT);
		if (!t->sync_json)
			rc = -ENOMEM;
	}
	lv_table_index(t);
out:
	json_decref(o);
	if (rc)
		lv_table_free(t);
	return rc;
}

void lv_table_set_state(struct lv_table *t, const char *state,
			const char *reason)
{
	if (state)
		snprintf(t->state, sizeof(t->state), "%s", state);
	if (reason)
		snprintf(t->reason, sizeof(t->reason), "%s", reason);
}

int lv_table_set_sync(struct lv_table *t, const char *json)
{
	char *s = NULL;

	if (json) {
		s = strdup(json);
		if (!s)
			return -ENOMEM;
	}
	free(t->sync_json);
	t->sync_json = s;
	return 0;
}

/* --- records in the store ---------------------------------------------------- */

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

int lv_table_insert(struct lv_wtxn *w, struct lv_table *t)
{
	struct lv_table old;
	uint64_t id = 0;
	int rc;

	rc = lv_table_load(w->txn, w->st, t->name, &old);
	if (rc == 0) {
		lv_table_free(&old);
		return lv_err_set(-EEXIST, "table '%s' is already in the store", t->name);
	}
	if (rc != LV_ENOTABLE)
		return rc;
	lv_err_clear();
	rc = lv_meta_get_u64(w->txn, w->st, "next_table", &id);
	if (rc == MDB_NOTFOUND) {
		id = 1;
		rc = 0;
	}
	if (rc)
		return rc;
	t->id = (uint32_t)id;
	t->added = w->now;
	rc = lv_meta_put_u64(w->txn, w->st, "next_table", id + 1);
	if (!rc)
		rc = lv_table_save(w, t);
	return rc;
}

int lv_table_delete(struct lv_wtxn *w, const char *name)
{
	MDB_val k = { strlen(name), (void *)name };

	return mdb_del(w->txn, w->st->tables, &k, NULL);
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
