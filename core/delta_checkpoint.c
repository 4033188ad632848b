/*
 * delta_checkpoint.c - Delta checkpoints: the state of a table at a
 * version as one Parquet file, so a reader never replays more than ten
 * JSON commits.
 *
 * Why this shape:
 *  - Classic single-file checkpoints (`<20 digits>.checkpoint.parquet`)
 *    every LV_DELTA_CHECKPOINT_EVERY versions, as Delta 2.4 writes them
 *    by default (delta.checkpointInterval 10, not at version 0), and
 *    `_last_checkpoint` = {"version","size"} without "parts", which Trino
 *    misreads (reference/delta-parquet.md §6.8).
 *  - The columns are Spark's, in Spark's order (txn, add, remove,
 *    metaData, protocol) with every field Delta 2.4 writes, all optional:
 *    readers that check the layout (Trino, Photon) then find what they
 *    expect; the fields lakeview has no use for (txn, tags, deletion
 *    vectors) are null in every row, which costs one run of levels each.
 *  - Rows come from the state delta.c keeps (the live files, the
 *    retired files not yet deleted as tombstones), written by the nested
 *    writer (parquet_nested.c) into the tree in the version's own write
 *    transaction, after the commit file it summarises.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "delta_checkpoint_i.h"
#include "delta_file_i.h"
#include "parquet_i.h"
#include "tree_i.h"

#define O LV_PQN_OPTIONAL
#define STR(n) { n, O, LV_PQN_STRING, 0 }
#define I32(n) { n, O, LV_PQN_INT32, 0 }
#define I64(n) { n, O, LV_PQN_INT64, 0 }
#define BOOL(n) { n, O, LV_PQN_BOOLEAN, 0 }
#define MAP(n) { n, O, LV_PQN_MAP, 1 }, \
	{ "key_value", LV_PQN_REPEATED, LV_PQN_GROUP, 2 }, \
	{ "key", LV_PQN_REQUIRED, LV_PQN_STRING, 0 }, STR("value")
#define DV { "deletionVector", O, LV_PQN_GROUP, 6 }, STR("storageType"), \
	STR("pathOrInlineDv"), I32("offset"), I32("sizeInBytes"), I64("cardinality"), \
	I64("maxRowIndex")

/* Delta 2.4's checkpoint schema (Checkpoints.scala, actions.scala) */
static const struct lv_pqn schema[] = {
	{ "spark_schema", LV_PQN_REQUIRED, LV_PQN_GROUP, 5 },
	{ "txn", O, LV_PQN_GROUP, 3 }, STR("appId"), I64("version"), I64("lastUpdated"),
	{ "add", O, LV_PQN_GROUP, 8 }, STR("path"), MAP("partitionValues"), I64("size"),
		I64("modificationTime"), BOOL("dataChange"), MAP("tags"), DV, STR("stats"),
	{ "remove", O, LV_PQN_GROUP, 7 }, STR("path"), I64("deletionTimestamp"),
		BOOL("dataChange"), BOOL("extendedFileMetadata"), MAP("partitionValues"),
		I64("size"), DV,
	{ "metaData", O, LV_PQN_GROUP, 8 }, STR("id"), STR("name"), STR("description"),
		{ "format", O, LV_PQN_GROUP, 2 }, STR("provider"), MAP("options"),
		STR("schemaString"),
		{ "partitionColumns", O, LV_PQN_LIST, 1 },
		{ "list", LV_PQN_REPEATED, LV_PQN_GROUP, 1 }, STR("element"),
		MAP("configuration"), I64("createdTime"),
	{ "protocol", O, LV_PQN_GROUP, 2 }, I32("minReaderVersion"), I32("minWriterVersion"),
};

static int add_row(json_t *rows, const char *kind, json_t *body)
{
	json_t *r = body ? json_pack("{s:o}", kind, body) : NULL;

	return !r || json_array_append_new(rows, r) ? -ENOMEM : 0;
}

int lv_delta_checkpoint(struct lv_wtxn *w, uint64_t logdir, int64_t ver, json_t *state,
			json_t *meta)
{
	json_t *rows = json_array(), *pe, *f, *last;
	struct lv_buf b;
	const char *pname;
	char name[48], *s = NULL;
	uint64_t fino;
	size_t i;
	int rc;

	lv_buf_init(&b, (size_t)256 << 20);
	if (!rows)
		return -ENOMEM;
	rc = add_row(rows, "protocol", json_pack("{s:i,s:i}", "minReaderVersion", 1,
						 "minWriterVersion", 2));
	if (!rc)
		rc = add_row(rows, "metaData", json_deep_copy(meta));
	json_object_foreach(json_object_get(state, "parts"), pname, pe) {
		json_array_foreach(json_object_get(pe, "files"), i, f) {
			if (rc)
				break;
			rc = add_row(rows, "add", json_pack("{s:O,s:{s:O},s:O,s:O,s:b,s:O}",
				"path", json_object_get(f, "path"),
				"partitionValues", LV_DELTA_PART_COL, json_object_get(f, "part"),
				"size", json_object_get(f, "size"),
				"modificationTime", json_object_get(f, "ms"),
				"dataChange", 0, "stats", json_object_get(f, "stats")));
		}
	}
	/* tombstones: files removed whose data is still kept */
	json_array_foreach(json_object_get(state, "gone"), i, f) {
		if (rc)
			break;
		rc = add_row(rows, "remove", json_pack("{s:O,s:O,s:b,s:b,s:{s:O},s:O}",
			"path", json_object_get(f, "path"),
			"deletionTimestamp", json_object_get(f, "ms"),
			"dataChange", 0, "extendedFileMetadata", 1,
			"partitionValues", LV_DELTA_PART_COL, json_object_get(f, "part"),
			"size", json_object_get(f, "size")));
	}
	if (!rc)
		rc = lv_parquet_nested_write(schema, sizeof(schema) / sizeof(schema[0]), rows, &b);
	snprintf(name, sizeof(name), "%020lld.checkpoint.parquet", (long long)ver);
	if (!rc)
		rc = lv_tree_mkfile(w, logdir, name, LV_NODE_IMMUTABLE, &fino);
	if (!rc)
		rc = lv_tree_put_file(w, logdir, name, b.p, b.len, 0, NULL);
	last = rc ? NULL : json_pack("{s:I,s:I,s:I}", "version", (json_int_t)ver, "size",
				     (json_int_t)json_array_size(rows), "sizeInBytes",
				     (json_int_t)b.len);
	s = last ? json_dumps(last, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (!rc && !s)
		rc = -ENOMEM;
	if (!rc)
		rc = lv_tree_put_file(w, logdir, "_last_checkpoint", s, strlen(s), 0, NULL);
	free(s);
	json_decref(last);
	json_decref(rows);
	lv_buf_free(&b);
	return rc;
}
