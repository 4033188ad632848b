/*
 * model.c - the lake's metadata files: the root model.json, the per-table
 * Microsoft.Athena.TrickleFeedService/<table>-model.json, and the
 * OptionsetMetadata/ CSVs.
 *
 * They are regenerated whole from the table records (and, for the root
 * model.json, the newest snapshot of each partition) inside the commit
 * that changes what they describe; lv_tree_put_file() leaves a file
 * untouched when its bytes come out the same, so regenerating is cheap
 * and never bumps a generation for nothing. lv_model_refresh() is the one
 * rewrite every change of the tables ends with (adding, removing or
 * updating a table, a batch's commit), so the four stay in step.
 *
 * model.json follows lake-format.md §2: name/description "cdm", version
 * "1.0", LocalEntity per table with the Athena annotations, attributes
 * with dataType and maxLength, the is.constrained trait on strings and
 * the is.dataFormat.numeric.shaped trait (precision, then scale) on
 * decimals, partitions with absolute `location` URLs.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lakeview/time.h"
#include "lakeview/csv.h"
#include "lakeview/err.h"
#include "model_i.h"
#include "table_i.h"
#include "tree_i.h"

#define MODEL_MAX ((size_t)256 << 20)

int lv_model_table_dir(struct lv_wtxn *w, const struct lv_table *t, uint64_t *ino)
{
	return lv_tree_mkdir(w, LV_ROOT_INO, t->name, ino);
}

static json_t *csv_format(void)
{
	return json_pack("{sssbssssssss}", "$type", "CsvFormatSettings",
			 "columnHeaders", 0, "delimiter", ",",
			 "quoteStyle", "QuoteStyle.Csv",
			 "csvStyle", "CsvStyle.QuoteAlways", "encoding", "UTF-8");
}

static char *sink_time(int64_t t)
{
	struct lv_buf b;

	lv_buf_init(&b, 64);
	if (lv_time_sink(&b, t)) {
		lv_buf_free(&b);
		return NULL;
	}
	return b.p;
}

static json_t *attributes(const struct lv_table *t)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < t->ncols; i++) {
		const struct lv_column *c = &t->cols[i];
		int maxlen = c->type == LV_T_STRING ? (c->maxlen > 0 ? c->maxlen : 4000) : -1;
		json_t *o = json_pack("{sssssi}", "name", c->name, "dataType",
				      lv_ctype_name(c->type), "maxLength", maxlen);

		if (!o) {
			json_decref(a);
			return NULL;
		}
		if (c->type == LV_T_STRING)
			json_object_set_new(o, "cdm:traits", json_pack("[{sss[{sssi}]}]",
				"traitReference", "is.constrained", "arguments",
				"name", "maximumLength", "value", maxlen));
		else if (c->type == LV_T_DECIMAL)
			json_object_set_new(o, "cdm:traits", json_pack("[{sss[{sssi}{sssi}]}]",
				"traitReference", "is.dataFormat.numeric.shaped", "arguments",
				"name", "precision", "value", (int)c->precision,
				"name", "scale", "value", (int)c->scale));
		json_array_append_new(a, o);
	}
	return a;
}

/* An entity without partitions: annotations and attributes. */
static json_t *entity(const struct lv_table *t)
{
	json_t *e, *ann;
	char *done = NULL;

	ann = json_pack("[{ssss}{ssss}]",
			"name", "Athena:PartitionGranularity",
			"value", t->by_month ? "Month" : "Year",
			"name", "Athena:InitialSyncState", "value",
			/* once the initial sync completed, later failures of a
			 * delta do not hide the table from consumers */
			t->initial_done ? LV_STATE_COMPLETED : t->state);
	if (!ann)
		return NULL;
	if (t->initial_done) {
		done = sink_time(t->initial_done);
		if (done)
			json_array_append_new(ann, json_pack("{ssss}", "name",
				"Athena:InitialSyncDataCompletedTime", "value", done));
		free(done);
	}
	e = json_pack("{sssssssoso}", "$type", "LocalEntity", "name", t->name,
		      "description", t->name, "annotations", ann,
		      "attributes", attributes(t));
	return e;
}

static int put_json(struct lv_wtxn *w, uint64_t dir, const char *name, json_t *doc)
{
	char *s;
	int rc;

	if (!doc)
		return -ENOMEM;
	s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!s)
		return -ENOMEM;
	if (strlen(s) > MODEL_MAX) {
		free(s);
		return LV_ETOOBIG;
	}
	{
		size_t n = strlen(s);

		s[n] = '\0';
		/* end with a newline, as text files do */
		char *t = realloc(s, n + 2);

		if (!t) {
			free(s);
			return -ENOMEM;
		}
		s = t;
		s[n] = '\n';
		s[n + 1] = '\0';
	}
	rc = lv_tree_put_file(w, dir, name, s, strlen(s), 0, NULL);
	free(s);
	return rc;
}

static json_t *model_doc(json_t *entities)
{
	/* steals the reference to entities */
	return json_pack("{ssssssso}", "name", "cdm", "description", "cdm",
			 "version", "1.0", "entities", entities);
}

/* Files of a directory (lv_tree_children) */
struct partlist {
	struct lv_node *v;
	size_t n;
};

static int list_children(struct lv_wtxn *w, uint64_t dir, int files,
			 struct partlist *out)
{
	return lv_tree_children(w, dir, files, &out->v, &out->n);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct lv_node *)a)->name, ((const struct lv_node *)b)->name);
}

int lv_model_table_manifest(struct lv_wtxn *w, const struct lv_table *t)
{
	struct partlist pl;
	json_t *e, *parts;
	uint64_t dir, athena;
	char fname[LV_TABLE_NAME_MAX + 16];
	int rc;

	rc = lv_model_table_dir(w, t, &dir);
	if (!rc)
		rc = lv_tree_mkdir(w, LV_ROOT_INO, LV_ATHENA_DIR, &athena);
	if (!rc)
		rc = list_children(w, dir, 1, &pl);
	if (rc)
		return rc;
	if (pl.n)
		qsort(pl.v, pl.n, sizeof(*pl.v), by_name);
	e = entity(t);
	parts = json_array();
	for (size_t i = 0; e && parts && i < pl.n; i++) {
		char loc[LV_URL_MAX + 600], pname[LV_NAME_MAX + 1];
		size_t nl = strlen(pl.v[i].name);

		if (nl < 5 || strcmp(pl.v[i].name + nl - 4, ".csv"))
			continue;
		memcpy(pname, pl.v[i].name, nl - 4);
		pname[nl - 4] = '\0';
		snprintf(loc, sizeof(loc), "%s/%s/%s", w->st->lake_url, t->name, pl.v[i].name);
		json_array_append_new(parts, json_pack("{ssssso}", "name", pname,
				      "location", loc, "fileFormatSettings", csv_format()));
	}
	free(pl.v);
	if (!e || !parts) {
		json_decref(e);
		json_decref(parts);
		return -ENOMEM;
	}
	json_object_set_new(e, "partitions", parts);
	snprintf(fname, sizeof(fname), "%s-model.json", t->name);
	return put_json(w, athena, fname, model_doc(json_pack("[o]", e)));
}

/* Root model.json ------------------------------------------------------------ */

struct root_ctx {
	struct lv_wtxn *w;
	json_t *entities;
	int rc;
};

/* Newest snapshot of the partition @p part among @p snaps (or NULL). */
static const struct lv_node *newest_snapshot(const struct partlist *snaps,
					     uint64_t part)
{
	const struct lv_node *best = NULL;

	for (size_t i = 0; i < snaps->n; i++) {
		const struct lv_node *s = &snaps->v[i];

		if (s->snapshot_of != part)
			continue;
		if (!best || s->mtime > best->mtime ||
		    (s->mtime == best->mtime && strcmp(s->name, best->name) > 0))
			best = s;
	}
	return best;
}

static int root_entity(void *arg, struct lv_table *t)
{
	struct root_ctx *c = arg;
	struct partlist live, snaps = { NULL, 0 };
	struct lv_node sd;
	json_t *e, *parts;
	uint64_t dir;
	int rc;

	rc = lv_model_table_dir(c->w, t, &dir);
	if (!rc)
		rc = list_children(c->w, dir, 1, &live);
	if (rc)
		return rc;
	rc = lv_tree_lookup(c->w, dir, LV_SNAPSHOT_DIR, &sd);
	if (rc == 0)
		rc = list_children(c->w, sd.ino, 1, &snaps);
	else if (rc == -ENOENT)
		rc = 0;
	if (rc) {
		free(live.v);
		return rc;
	}
	if (live.n)
		qsort(live.v, live.n, sizeof(*live.v), by_name);
	e = entity(t);
	parts = json_array();
	for (size_t i = 0; e && parts && i < live.n; i++) {
		const struct lv_node *s = newest_snapshot(&snaps, live.v[i].ino);
		char loc[LV_URL_MAX + 600], pname[LV_NAME_MAX + 1];
		struct lv_buf rt;
		size_t nl = strlen(live.v[i].name);

		if (!s || nl < 5)
			continue;
		memcpy(pname, live.v[i].name, nl - 4);
		pname[nl - 4] = '\0';
		snprintf(loc, sizeof(loc), "%s/%s/%s/%s", c->w->st->lake_url,
			 t->name, LV_SNAPSHOT_DIR, s->name);
		lv_buf_init(&rt, 64);
		if (lv_time_iso7z(&rt, s->mtime)) {
			lv_buf_free(&rt);
			rc = -ENOMEM;
			break;
		}
		json_array_append_new(parts, json_pack("{ssssssso}", "name", pname,
				      "location", loc, "refreshTime", rt.p,
				      "fileFormatSettings", csv_format()));
		lv_buf_free(&rt);
	}
	free(live.v);
	free(snaps.v);
	if (rc || !e || !parts) {
		json_decref(e);
		json_decref(parts);
		return rc ? rc : -ENOMEM;
	}
	json_object_set_new(e, "partitions", parts);
	json_array_append_new(c->entities, e);
	return 0;
}

int lv_model_root(struct lv_wtxn *w)
{
	struct root_ctx c = { w, json_array(), 0 };
	json_t *doc;
	int rc;

	if (!c.entities)
		return -ENOMEM;
	rc = lv_table_each(w->txn, w->st, root_entity, &c);
	if (rc) {
		json_decref(c.entities);
		return rc;
	}
	doc = model_doc(c.entities);
	return put_json(w, LV_ROOT_INO, "model.json", doc);
}

/* OptionsetMetadata ---------------------------------------------------------- */

static const char *const option_files[][2] = {
	{ "optionset", "OptionsetMetadata.csv" },
	{ "globaloptionset", "GlobalOptionsetMetadata.csv" },
	{ "state", "StateMetadata.csv" },
	{ "status", "StatusMetadata.csv" },
	{ "target", "TargetMetadata.csv" },
};

struct opt_ctx {
	struct lv_buf b[5];
	int rc;
};

static int opt_rows(void *arg, struct lv_table *t)
{
	struct opt_ctx *c = arg;
	json_t *o;
	int rc = 0;

	if (!t->options_json)
		return 0;
	o = json_loads(t->options_json, 0, NULL);
	if (!o)
		return -EIO;
	for (size_t f = 0; !rc && f < 5; f++) {
		json_t *rows = json_object_get(o, option_files[f][0]), *row, *v;
		size_t i, j;

		json_array_foreach(rows, i, row) {
			json_array_foreach(row, j, v) {
				if (j)
					rc = lv_buf_addc(&c->b[f], ',');
				if (rc)
					break;
				if (json_is_integer(v))
					rc = lv_buf_addf(&c->b[f], "%lld", (long long)json_integer_value(v));
				else if (json_is_string(v) && (!strcmp(json_string_value(v), "False") ||
							       !strcmp(json_string_value(v), "True") ||
							       !*json_string_value(v)))
					rc = lv_buf_adds(&c->b[f], json_string_value(v));
				else if (json_is_string(v))
					rc = lv_csv_quoted(&c->b[f], json_string_value(v),
							   strlen(json_string_value(v)));
				if (rc)
					break;
			}
			if (!rc)
				rc = lv_buf_addc(&c->b[f], '\n');
			if (rc)
				break;
		}
	}
	json_decref(o);
	return rc;
}

int lv_model_optionsets(struct lv_wtxn *w)
{
	struct opt_ctx c;
	uint64_t dir;
	int rc;

	for (int i = 0; i < 5; i++)
		lv_buf_init(&c.b[i], MODEL_MAX);
	rc = lv_tree_mkdir(w, LV_ROOT_INO, LV_OPTIONSET_DIR, &dir);
	if (!rc)
		rc = lv_table_each(w->txn, w->st, opt_rows, &c);
	for (int i = 0; !rc && i < 5; i++)
		rc = lv_tree_put_file(w, dir, option_files[i][1], c.b[i].p ? c.b[i].p : "",
				      c.b[i].len, 0, NULL);
	for (int i = 0; i < 5; i++)
		lv_buf_free(&c.b[i]);
	return rc;
}

int lv_model_refresh(struct lv_wtxn *w, const struct lv_table *t, int all)
{
	int rc = 0;

	if (t)
		rc = lv_model_table_manifest(w, t);
	if (!rc && all)
		rc = lv_model_root(w);
	if (!rc && all)
		rc = lv_model_optionsets(w);
	return rc;
}
