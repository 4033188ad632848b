/*
 * delta.c - Delta Lake tables of the lake: `deltalake/<table>/`, its
 * `_delta_log/` and the versions a snapshot writes.
 *
 * Why this shape:
 *  - A Delta table is files of the one lake tree (DESIGN.md §7), so the
 *    mount serves it and the push sends it with no machinery of its own.
 *    A version is one write transaction, data files first and the commit
 *    file `_delta_log/<20 digits>.json` last: no reader of the store ever
 *    sees half a version, and a crash leaves the previous one whole.
 *  - A version is built from the newest CSV snapshot of each partition
 *    (snapshots never change), right after the snapshot's commit, and its
 *    commit carries the time of those snapshots: it holds exactly their
 *    rows whatever committed in between, and a version a crash prevented
 *    is written by the next run, because a partition's newest snapshot
 *    then differs from the one the last version was built from.
 *    The push sends `_delta_log/` after the data files (push.c) and
 *    deletes retired files last, so the container is never half either.
 *  - Versions are snapshots: one per snapshot that changed the table.
 *    What the log holds (the live files per partition, the schema, the
 *    retired files) is also kept as one JSON record in the store's meta
 *    table ("delta:<table id>"), written in the same transaction, so a
 *    version costs a read of that record, not a replay of the log. The
 *    table id in the key makes a table removed and added again a new
 *    Delta table (a new metaData id, from version 0).
 *  - Partitions: Synapse Link's Delta tables are partitioned by a string
 *    column `PartitionId` (reference/delta-parquet.md §7: the staging path
 *    `deltalake/<table>_partitioned/PartitionId=*` of a public script
 *    [S29], the column in Fabric's SQL endpoint [S29b]); its value here is
 *    the lake partition's name ("2024", or "2024-05" by month), which is
 *    what a CSV reader of the same lake already knows.
 *  - In-place tables rewrite only the partitions with a newer snapshot
 *    than the last version's, and in those only the files whose segments
 *    changed (delta_file.c): a `remove` for each, an `add` for each new
 *    file. No deletion vectors (reader 3 / writer 7): an update rewrites
 *    every file holding one of its rows, so 1,000 updates spread at
 *    random over a partition rewrite all of its files.
 *  - Append-only tables keep every record in their CSV; their Delta table
 *    is the newest record of each live row (Synapse Link's merge), placed
 *    in the partition of that record; a row's newest record may leave an
 *    older partition, so these are rewritten whole.
 *  - A column added in Dataverse gives a new metaData with the column at
 *    the end; older files read it as null. Any other schema change (a
 *    decimal's scale) rewrites every partition under the new metaData.
 *  - Protocol reader 1 / writer 2, no table features, so Spark 3.4 /
 *    Delta 2.4, DuckDB and delta-kernel readers all read it.
 */
#include <errno.h>
#include <jansson.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "delta_checkpoint_i.h"
#include "delta_file_i.h"
#include "delta_part_i.h"
#include "delta_i.h"
#include "lakeview/codec.h"
#include "lakeview/err.h"
#include "model_i.h"
#include "tree_i.h"

#ifndef LV_PROJECT_VERSION
#define LV_PROJECT_VERSION "0"
#endif

int lv_delta_enabled(const struct lv_store *st)
{
	const char *v = lv_store_conf_get(st, "delta");

	if (!v || !strcasecmp(v, "off") || !strcasecmp(v, "no") || !strcmp(v, "0") ||
	    !strcasecmp(v, "false"))
		return 0;
	if (!strcasecmp(v, "on") || !strcasecmp(v, "yes") || !strcmp(v, "1") ||
	    !strcasecmp(v, "true")) {
		const char *mb = lv_store_conf_get(st, "delta_file_mb");

		if (mb && (lv_store_conf_uint(st, "delta_file_mb") < 1 ||
			   lv_store_conf_uint(st, "delta_file_mb") > LV_DELTA_FILE_MB_MAX))
			return lv_err_set(LV_ECONF, "lakeview.conf: delta_file_mb = '%.40s' is not a size of 1 to %d MiB; write one",
					  mb, LV_DELTA_FILE_MB_MAX);
		return 1;
	}
	return lv_err_set(LV_ECONF, "lakeview.conf: delta = '%.40s' is neither on nor off; write delta = on or delta = off",
			  v);
}

/* --- the state record ------------------------------------------------- */

static void state_key(const struct lv_table *t, char *k, size_t n)
{
	snprintf(k, n, "delta:%u", t->id);
}

static int state_load(MDB_txn *txn, struct lv_store *st, const struct lv_table *t,
		      json_t **out)
{
	char key[32];
	MDB_val k, d;
	int rc;

	*out = NULL;
	state_key(t, key, sizeof(key));
	k.mv_size = strlen(key);
	k.mv_data = key;
	rc = mdb_get(txn, st->meta, &k, &d);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return rc;
	*out = json_loadb(d.mv_data, d.mv_size, 0, NULL);
	if (!*out || !json_is_object(*out))
		return lv_err_set(-EIO, "table '%s': the store's Delta record is damaged; set delta = off in lakeview.conf and report it",
				  t->name);
	return 0;
}

static int state_save(struct lv_wtxn *w, const struct lv_table *t, json_t *s)
{
	char key[32], *txt = json_dumps(s, JSON_COMPACT);
	MDB_val k, d;
	int rc;

	if (!txt)
		return -ENOMEM;
	state_key(t, key, sizeof(key));
	k.mv_size = strlen(key);
	k.mv_data = key;
	d.mv_size = strlen(txt);
	d.mv_data = txt;
	rc = mdb_put(w->txn, w->st->meta, &k, &d, 0);
	free(txt);
	return rc;
}

static uint64_t jint(json_t *o, const char *k)
{
	return (uint64_t)json_integer_value(json_object_get(o, k));
}

int lv_delta_info(struct lv_store *st, const struct lv_table *t, struct lv_delta_info *out)
{
	MDB_txn *txn;
	int rc;

	rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
	if (rc)
		return rc;
	rc = lv_delta_info_txn(txn, st, t, out);
	mdb_txn_abort(txn);
	return rc;
}

int lv_delta_info_txn(MDB_txn *txn, struct lv_store *st, const struct lv_table *t,
		      struct lv_delta_info *out)
{
	json_t *s = NULL, *p, *f;
	const char *name;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	out->version = -1;
	rc = state_load(txn, st, t, &s);
	if (rc || !s)
		return rc;
	out->version = json_integer_value(json_object_get(s, "v"));
	json_object_foreach(json_object_get(s, "parts"), name, p) {
		json_array_foreach(json_object_get(p, "files"), i, f) {
			out->rows += jint(f, "rows");
			out->bytes += jint(f, "size");
			out->files++;
		}
	}
	json_decref(s);
	return 0;
}

/* --- the schema ------------------------------------------------------- */

static char *schema_string(const struct lv_dcol *cols, size_t n)
{
	json_t *fields = json_array(), *o;
	char *s;

	for (size_t i = 0; i <= n; i++)
		json_array_append_new(fields, json_pack("{s:s,s:s,s:b,s:{}}",
			"name", i < n ? cols[i].c->name : LV_DELTA_PART_COL,
			"type", i < n ? cols[i].spark : "string", "nullable", 1, "metadata"));
	o = json_pack("{s:s,s:o}", "type", "struct", "fields", fields);
	s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	return s;
}

/* Can files written under schema @old be read under @cur? Yes when @cur
 * only appends fields before the partition column. */
static int schema_extends(const char *old, const char *cur)
{
	json_t *a = json_loads(old, 0, NULL), *b = json_loads(cur, 0, NULL);
	json_t *fa = json_object_get(a, "fields"), *fb = json_object_get(b, "fields");
	size_t na = json_array_size(fa), nb = json_array_size(fb);
	int ok = na >= 1 && nb >= na;

	for (size_t i = 0; ok && i + 1 < na; i++)
		ok = json_equal(json_array_get(fa, i), json_array_get(fb, i));
	json_decref(a);
	json_decref(b);
	return ok;
}

/* --- one version ------------------------------------------------------ */

struct part {
	char name[32];
	uint64_t manifest, generation;
	int changed;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct part *)a)->name, ((const struct part *)b)->name);
}

struct version {
	struct lv_wtxn *w;
	const struct lv_table *t;
	struct lv_dcol *cols;
	uint64_t dir;               /* deltalake/<table> */
	uint64_t logdir;            /* its _delta_log */
	uint64_t file_bytes;        /* CSV bytes per data file */
	struct part *parts;
	size_t nparts;
	json_t *state, *adds;       /* adds: array of [file json] */
	int64_t ms;
	/* append-only: the newest record of each row */
	struct newest *nw;
	size_t nnw, capnw;
	uint32_t *slots;
	size_t nslots;
	uint32_t cur_part;
	uint64_t cur_ord;
};

struct newest {
	uint8_t id[16];
	uint32_t part;
	uint32_t del;
	uint64_t ord;
};

/* All 16 bytes count: Dataverse's sequential GUIDs vary in some. */
static uint32_t id_hash(const uint8_t id[16])
{
	uint64_t a, b;

	memcpy(&a, id, 8);
	memcpy(&b, id + 8, 8);
	a = (a ^ (b * 0x9e3779b97f4a7c15ull)) * 0xbf58476d1ce4e5b9ull;
	return (uint32_t)(a >> 32);
}

static struct newest *newest_find(struct version *v, const uint8_t id[16], int add)
{
	size_t mask, at;

	if (add && (v->nnw + 1) * 2 > v->nslots) {
		size_t ns = v->nslots ? v->nslots * 2 : 4096;
		uint32_t *s = calloc(ns, sizeof(*s));

		if (!s)
			return NULL;
		for (size_t i = 0; i < v->nnw; i++) {
			at = id_hash(v->nw[i].id) & (ns - 1);
			while (s[at])
				at = (at + 1) & (ns - 1);
			s[at] = (uint32_t)i + 1;
		}
		free(v->slots);
		v->slots = s;
		v->nslots = ns;
	}
	if (!v->nslots)
		return NULL;
	mask = v->nslots - 1;
	for (at = id_hash(id) & mask; v->slots[at]; at = (at + 1) & mask)
		if (!memcmp(v->nw[v->slots[at] - 1].id, id, 16))
			return &v->nw[v->slots[at] - 1];
	if (!add)
		return NULL;
	if (v->nnw == v->capnw) {
		size_t nc = v->capnw ? v->capnw * 2 : 4096;
		struct newest *n = realloc(v->nw, nc * sizeof(*n));

		if (!n)
			return NULL;
		v->nw = n;
		v->capnw = nc;
	}
	v->slots[at] = (uint32_t)v->nnw + 1;
	memset(&v->nw[v->nnw], 0, sizeof(v->nw[0]));
	memcpy(v->nw[v->nnw].id, id, 16);
	return &v->nw[v->nnw++];
}

static int note_newest(void *arg, const char *rec, size_t len)
{
	struct version *v = arg;
	struct newest *n;
	uint8_t id[16];

	if (lv_drec_id(rec, len, id))
		return lv_err_set(-EIO, "table '%s': a lake record without an Id; the store is damaged, set delta = off in lakeview.conf and report it", v->t->name);
	n = newest_find(v, id, 1);
	if (!n)
		return -ENOMEM;
	n->part = v->cur_part;
	n->ord = v->cur_ord++;
	n->del = (uint32_t)lv_drec_deleted(rec, len);
	return 0;
}

/* Append-only: is record @ord of the current partition its row's newest,
 * and the row live? (Runs on the threads of delta_part.c: reads only.) */
static int keep_newest(void *arg, const char *rec, size_t len, uint64_t ord)
{
	struct version *v = arg;
	struct newest *n;
	uint8_t id[16];

	if (lv_drec_id(rec, len, id))
		return 0;
	n = newest_find(v, id, 0);
	return n && n->part == v->cur_part && n->ord == ord && !n->del;
}

/* The partitions of the table as of its newest CSV snapshots: for each
 * live partition, its newest snapshot (the rows a version must hold), in
 * name order. v->ms becomes the time of the newest of them. */
static int list_parts(struct version *v)
{
	struct lv_node *live = NULL, *snaps = NULL, sd;
	size_t nlive = 0, nsnaps = 0;
	uint64_t tdir;
	int rc;

	rc = lv_model_table_dir(v->w, v->t, &tdir);
	if (!rc)
		rc = lv_tree_children(v->w, tdir, 1, &live, &nlive);
	if (!rc) {
		rc = lv_tree_lookup(v->w, tdir, LV_SNAPSHOT_DIR, &sd);
		if (!rc)
			rc = lv_tree_children(v->w, sd.ino, 1, &snaps, &nsnaps);
		else if (rc == -ENOENT)
			rc = 0;
	}
	if (rc)
		goto out;
	v->parts = calloc(nlive ? nlive : 1, sizeof(*v->parts));
	if (!v->parts) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nlive; i++) {
		size_t nl = strlen(live[i].name);
		struct part *p = &v->parts[v->nparts];
		const struct lv_node *newest = NULL;

		if (nl < 5 || nl - 4 >= sizeof(p->name) || strcmp(live[i].name + nl - 4, ".csv"))
			continue;
		for (size_t j = 0; j < nsnaps; j++)
			if (snaps[j].snapshot_of == live[i].ino &&
			    (!newest || snaps[j].mtime > newest->mtime))
				newest = &snaps[j];
		if (!newest)
			continue;  /* not in a snapshot yet: the next version has it */
		memcpy(p->name, live[i].name, nl - 4);
		p->name[nl - 4] = '\0';
		p->manifest = newest->manifest;
		p->generation = newest->ino;  /* a snapshot never changes */
		if (newest->mtime * 1000 > v->ms)
			v->ms = newest->mtime * 1000;
		v->nparts++;
	}
	qsort(v->parts, v->nparts, sizeof(*v->parts), by_name);
out:
	free(live);
	free(snaps);
	return rc;
}

static int put_line(struct lv_buf *b, json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	int rc;

	json_decref(o);
	if (!s)
		return -ENOMEM;
	rc = lv_buf_adds(b, s);
	if (!rc)
		rc = lv_buf_addc(b, '\n');
	free(s);
	return rc;
}

static json_t *pvalues(const char *part)
{
	return json_pack("{s:s}", LV_DELTA_PART_COL, part);
}

/* Files removed from the log at least LV_DELTA_KEEP - 1 versions ago are
 * needed by no kept version: delete them from the tree now. */
static int retire(struct version *v, int64_t ver)
{
	json_t *gone = json_object_get(v->state, "gone"), *keep = json_array(), *g;
	size_t i;
	int rc = 0;

	if (!keep)
		return -ENOMEM;
	json_array_foreach(gone, i, g) {
		struct lv_node n;

		if ((int64_t)jint(g, "v") + LV_DELTA_KEEP - 1 > ver) {
			json_array_append(keep, g);
			continue;
		}
		rc = lv_tree_get(v->w, jint(g, "ino"), &n);
		if (rc == -ENOENT) {
			rc = 0;
			continue;
		}
		if (!rc)
			rc = lv_tree_remove(v->w, n.ino);
		if (rc)
			break;
	}
	if (!rc)
		rc = json_object_set_new(v->state, "gone", keep) ? -ENOMEM : 0;
	else
		json_decref(keep);
	return rc;
}

/* The body of the table's metaData action. */
static json_t *meta_body(const struct version *v, const char *schema)
{
	return json_pack("{s:s,s:s,s:{s:s,s:{}},s:s,s:[s],s:{},s:I}",
			 "id", json_string_value(json_object_get(v->state, "id")),
			 "name", v->t->name, "format", "provider", "parquet", "options",
			 "schemaString", schema, "partitionColumns", LV_DELTA_PART_COL,
			 "configuration", "createdTime", (json_int_t)jint(v->state, "created"));
}

static int commit_version(struct version *v, int64_t ver, int newmeta, char *schema,
			  json_t *removed)
{
	struct lv_buf b;
	json_t *f, *parts = json_object_get(v->state, "parts");
	char name[40];
	uint64_t fino;
	size_t i;
	int rc;

	lv_buf_init(&b, (size_t)256 << 20);
	rc = put_line(&b, json_pack("{s:{s:I,s:s,s:{s:s},s:s,s:b}}", "commitInfo",
				    "timestamp", (json_int_t)v->ms, "operation", "WRITE",
				    "operationParameters", "mode", ver ? "Overwrite" : "Append",
				    "engineInfo", "lakeview/" LV_PROJECT_VERSION, "isBlindAppend", 0));
	if (!rc && ver == 0)
		rc = put_line(&b, json_pack("{s:{s:i,s:i}}", "protocol", "minReaderVersion", 1,
					    "minWriterVersion", 2));
	if (!rc && newmeta)
		rc = put_line(&b, json_pack("{s:o}", "metaData", meta_body(v, schema)));
	json_array_foreach(removed, i, f) {
		if (rc)
			break;
		rc = put_line(&b, json_pack("{s:{s:s,s:I,s:b,s:b,s:o,s:I}}", "remove",
			"path", json_string_value(json_object_get(f, "path")),
			"deletionTimestamp", (json_int_t)v->ms, "dataChange", 1,
			"extendedFileMetadata", 1,
			"partitionValues", pvalues(json_string_value(json_object_get(f, "part"))),
			"size", (json_int_t)jint(f, "size")));
	}
	json_array_foreach(v->adds, i, f) {
		const char *part = json_string_value(json_object_get(f, "part"));
		json_t *pe, *files;

		if (rc)
			break;
		rc = put_line(&b, json_pack("{s:{s:s,s:o,s:I,s:I,s:b,s:s}}", "add",
			"path", json_string_value(json_object_get(f, "path")),
			"partitionValues", pvalues(part), "size", (json_int_t)jint(f, "size"),
			"modificationTime", (json_int_t)v->ms, "dataChange", 1,
			"stats", json_string_value(json_object_get(f, "stats"))));
		pe = json_object_get(parts, part);
		files = json_object_get(pe, "files");
		if (!rc && (!files || json_object_set_new(f, "ms", json_integer(v->ms)) ||
			    json_array_append(files, f)))
			rc = -ENOMEM;
	}
	/* the commit file last: with it the version exists */
	snprintf(name, sizeof(name), "%020lld.json", (long long)ver);
	if (!rc)
		rc = lv_tree_mkdir(v->w, v->dir, "_delta_log", &v->logdir);
	if (!rc)  /* immutable: the mount keeps it in the page cache */
		rc = lv_tree_mkfile(v->w, v->logdir, name, LV_NODE_IMMUTABLE, &fino);
	if (!rc)
		rc = lv_tree_put_file(v->w, v->logdir, name, b.p, b.len, 0, NULL);
	lv_buf_free(&b);
	return rc;
}

static int new_state(struct version *v)
{
	uint8_t id[16];
	char g[37];

	if (RAND_bytes(id, sizeof(id)) != 1)
		return lv_err_set(-EIO, "no random bytes for a Delta table id");
	id[6] = (uint8_t)((id[6] & 0x0f) | 0x40);
	id[8] = (uint8_t)((id[8] & 0x3f) | 0x80);
	lv_guid_format(id, g);
	v->state = json_pack("{s:I,s:s,s:I,s:s,s:{},s:[]}", "v", (json_int_t)-1, "id", g,
			     "created", (json_int_t)v->ms, "schema", "", "parts", "gone");
	return v->state ? 0 : -ENOMEM;
}

int lv_delta_version(struct lv_wtxn *w, const struct lv_table *t, int *written)
{
	struct version v = { .w = w, .t = t };
	json_t *parts, *removed = json_array(), *pe, *f;
	char *schema = NULL;
	const char *pname;
	uint64_t ddir;
	int64_t ver;
	int rc, full, newmeta, any = 0;
	size_t i;
	void *tmp;

	*written = 0;
	v.file_bytes = (uint64_t)lv_store_conf_uint(w->st, "delta_file_mb");
	if (v.file_bytes > LV_DELTA_FILE_MB_MAX)  /* lv_delta_enabled() said so */
		v.file_bytes = LV_DELTA_FILE_MB_MAX;
	v.file_bytes = (v.file_bytes ? v.file_bytes : LV_DELTA_FILE_MB) << 20;
	v.adds = json_array();
	if (!removed || !v.adds) {
		rc = -ENOMEM;
		goto out;
	}
	rc = lv_dcols_of(t, &v.cols);
	if (!rc)
		rc = list_parts(&v);
	if (!v.ms)
		v.ms = w->now * 1000;
	if (!rc)
		rc = state_load(w->txn, w->st, t, &v.state);
	if (!rc && !v.state)
		rc = new_state(&v);
	if (rc)
		goto out;
	schema = schema_string(v.cols, t->ncols);
	if (!schema) {
		rc = -ENOMEM;
		goto out;
	}
	ver = json_integer_value(json_object_get(v.state, "v")) + 1;
	pname = json_string_value(json_object_get(v.state, "schema"));
	newmeta = ver == 0 || strcmp(pname ? pname : "", schema);
	full = ver == 0 || (newmeta && !schema_extends(pname, schema));
	parts = json_object_get(v.state, "parts");
	for (i = 0; i < v.nparts; i++) {
		pe = json_object_get(parts, v.parts[i].name);
		v.parts[i].changed = full || !pe || jint(pe, "gen") != v.parts[i].generation;
		any |= v.parts[i].changed;
	}
	if (t->append_only && (any || json_object_size(parts) != v.nparts))
		full = 1;  /* a row's newest record may leave any partition */
	for (i = 0; full && i < v.nparts; i++)
		v.parts[i].changed = 1;
	/* partitions of the last version that are no longer in the lake */
	json_object_foreach_safe(parts, tmp, pname, pe) {
		struct part key;

		snprintf(key.name, sizeof(key.name), "%s", pname);
		if (!bsearch(&key, v.parts, v.nparts, sizeof(key), by_name) || full) {
			json_array_extend(removed, json_object_get(pe, "files"));
			json_object_del(parts, pname);
			any = 1;
		}
	}
	if (!any && !newmeta)
		goto out;  /* nothing changed since the last version */
	rc = lv_tree_mkdir(w, LV_ROOT_INO, LV_DELTA_DIR, &ddir);
	if (!rc)
		rc = lv_tree_mkdir(w, ddir, t->name, &v.dir);
	if (rc)
		goto out;
	if (t->append_only) {
		for (i = 0; !rc && i < v.nparts; i++) {
			v.cur_part = (uint32_t)i;
			v.cur_ord = 0;
			rc = lv_dfile_records(w, v.parts[i].manifest, note_newest, &v);
		}
	}
	for (i = 0; !rc && i < v.nparts; i++) {
		json_t *old, *files;

		if (!v.parts[i].changed)
			continue;
		old = json_incref(json_object_get(json_object_get(parts, v.parts[i].name), "files"));
		files = json_array();
		rc = !files || json_object_set_new(parts, v.parts[i].name,
					 json_pack("{s:I,s:O}", "gen",
						   (json_int_t)v.parts[i].generation, "files", files))
		     ? -ENOMEM : 0;
		if (!rc) {
			struct lv_dpart dp = {
				.t = t, .cols = v.cols, .dir = v.dir, .part = v.parts[i].name,
				.manifest = v.parts[i].manifest, .file_bytes = v.file_bytes,
				.keep = t->append_only ? keep_newest : NULL, .keep_arg = &v,
			};

			v.cur_part = (uint32_t)i;
			rc = lv_dpart_write(w, &dp, old, files, removed, v.adds);
		}
		json_decref(files);
		json_decref(old);
	}
	if (rc)
		goto out;
	json_array_foreach(removed, i, f)  /* tombstones until retired */
		json_array_append_new(json_object_get(v.state, "gone"),
				      json_pack("{s:I,s:I,s:O,s:O,s:O,s:I}", "ino",
						(json_int_t)jint(f, "ino"), "v", (json_int_t)ver,
						"path", json_object_get(f, "path"),
						"part", json_object_get(f, "part"),
						"size", json_object_get(f, "size"),
						"ms", (json_int_t)v.ms));
	rc = commit_version(&v, ver, newmeta, schema, removed);
	if (!rc)
		rc = json_object_set_new(v.state, "v", json_integer(ver)) ||
		     json_object_set_new(v.state, "schema", json_string(schema)) ? -ENOMEM : 0;
	if (!rc)
		rc = retire(&v, ver);
	if (!rc && ver && ver % LV_DELTA_CHECKPOINT_EVERY == 0) {
		json_t *meta = meta_body(&v, schema);

		rc = meta ? lv_delta_checkpoint(w, v.logdir, ver, v.state, meta) : -ENOMEM;
		json_decref(meta);
	}
	if (!rc)
		rc = state_save(w, t, v.state);
	if (!rc)
		*written = 1;
out:
	free(schema);
	free(v.cols);
	free(v.parts);
	free(v.nw);
	free(v.slots);
	json_decref(v.state);
	json_decref(v.adds);
	json_decref(removed);
	return rc;
}

int lv_delta_drop(struct lv_wtxn *w, const struct lv_table *t)
{
	struct lv_node d, n;
	char key[32];
	MDB_val k;
	int rc;

	state_key(t, key, sizeof(key));
	k.mv_size = strlen(key);
	k.mv_data = key;
	rc = mdb_del(w->txn, w->st->meta, &k, NULL);
	if (rc && rc != MDB_NOTFOUND)
		return rc;
	rc = lv_tree_lookup(w, LV_ROOT_INO, LV_DELTA_DIR, &d);
	if (!rc)
		rc = lv_tree_lookup(w, d.ino, t->name, &n);
	if (!rc)
		rc = lv_tree_remove(w, n.ino);
	return rc == -ENOENT ? 0 : rc;
}
