/*
 * status.c - the link's state as one JSON document.
 *
 * Shared by `lakectl status --json` and the daemon's status file so that
 * the two never disagree. Built with jansson from the table records of
 * one read transaction; secrets are not in the store, so cannot leak here.
 * With Delta on, each table says where its Delta table stands ("delta":
 * version, rows, files, bytes; null before the first version), as the
 * portal's Count does for Delta tables. A table InProgress says how far
 * its read of the whole table is ("progress": rows so far, of about how
 * many as Dataverse counted them or null, rows per second, seconds left
 * or null), from the state each page commits.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "delta_i.h"
#include "lakeview/dataverse.h"
#include "lakeview/push.h"
#include "lakeview/status.h"
#include "lakeview/time.h"
#include "reader_i.h"
#include "table_i.h"

static json_t *iso(int64_t t)
{
	struct lv_buf b;
	json_t *v;

	if (!t)
		return json_null();
	lv_buf_init(&b, 64);
	if (lv_time_iso7z(&b, t)) {
		lv_buf_free(&b);
		return json_null();
	}
	v = json_string(b.p);
	lv_buf_free(&b);
	return v;
}

struct ctx {
	struct lv_store *st;
	MDB_txn *txn;
	int delta;
	json_t *tables;
};

static int table_status(void *arg, struct lv_table *t)
{
	struct ctx *c = arg;
	json_t *tables = c->tables, *o;
	struct lv_delta_info d;

	o = json_pack("{sssssIsbsssososo}", "name", t->name, "state", t->state,
		      "count", (json_int_t)t->count, "append_only", t->append_only,
		      "partition", t->by_month ? "Month" : "Year",
		      "last_synchronized_on", iso(t->last_sync),
		      "last_change", iso(t->last_change),
		      "initial_sync_completed", iso(t->initial_done));
	if (!o)
		return -ENOMEM;
	if (t->reason[0])
		json_object_set_new(o, "reason", json_string(t->reason));
	if (strcmp(t->state, LV_STATE_INPROGRESS) == 0) {
		struct lv_sync_progress p;
		double rate, left;

		/* a read under way: rows so far of about how many, its pace */
		if (lv_sync_progress_of(t, &p) == 0) {
			lv_sync_eta(&p, &rate, &left);
			json_object_set_new(o, "progress", json_pack("{sIsososo}",
				"rows", (json_int_t)p.read_rows,
				"of_about", p.total >= 0 ? json_integer(p.total) : json_null(),
				"rows_per_second", rate > 0 ? json_integer((json_int_t)(rate + 0.5)) : json_null(),
				"seconds_left", left >= 0 ? json_integer((json_int_t)(left + 0.5)) : json_null()));
		}
	}
	if (c->delta && lv_delta_info_txn(c->txn, c->st, t, &d) == 0)
		json_object_set_new(o, "delta", d.version < 0 ? json_null() :
			json_pack("{sIsIsIsI}", "version", (json_int_t)d.version,
				  "rows", (json_int_t)d.rows, "files", (json_int_t)d.files,
				  "bytes", (json_int_t)d.bytes));
	json_array_append_new(tables, o);
	return 0;
}

int lv_status_json(struct lv_store *st, struct lv_reader *r, struct lv_buf *out)
{
	MDB_txn *txn = lv_reader_txn(r);
	json_t *doc, *tables = json_array();
	uint64_t seq = 0, last = 0, snap = 0;
	struct lv_store_stats stats;
	struct ctx c;
	json_t *counters = NULL;
	const char *src = lv_store_conf_get(st, "dataverse_url");
	const char *sink = lv_store_conf_get(st, "adls_url") ? lv_store_lake_url(st) : NULL;
	char *s;
	int rc;

	if (!tables)
		return -ENOMEM;
	lv_meta_get_u64(txn, st, "seq", &seq);
	lv_meta_get_u64(txn, st, "last_commit", &last);
	lv_meta_get_u64(txn, st, "last_snapshot", &snap);
	c.st = st;
	c.txn = txn;
	c.delta = lv_delta_enabled(st) == 1;
	c.tables = tables;
	rc = lv_table_each(txn, st, table_status, &c);
	if (rc) {
		json_decref(tables);
		return rc;
	}
	if (lv_store_stats(st, &stats) == 0)
		counters = json_pack("{sIsIsIsIsi}", "chunk_bytes", (json_int_t)stats.chunk_bytes,
				     "bytes_encoded", (json_int_t)stats.bytes_encoded,
				     "map_used", (json_int_t)stats.map_used,
				     "tree_gen", (json_int_t)stats.tree_gen,
				     "lmdb_readers_max_used", (int)stats.readers);
	doc = json_pack("{sssssssIsososssososo}", "store", lv_store_dir(st),
			"container", lv_store_container(st),
			"lake_url", lv_store_lake_url(st),
			"last_seq", (json_int_t)seq,
			"last_commit", iso((int64_t)last),
			"last_snapshot", iso((int64_t)snap),
			"source", src ? src : "",
			"sink", sink ? json_string(sink) : json_null(),
			"tables", tables,
			"counters", counters ? counters : json_null());
	if (!doc)
		return -ENOMEM;
	if (sink) {
		struct lv_push_pending p;

		if (lv_push_pending(st, &p) == 0)
			json_object_set_new(doc, "push", json_pack("{s{sIsI}s{sIsI}s{sIsI}soss}",
				"data", "files", (json_int_t)p.files[0], "bytes", (json_int_t)p.bytes[0],
				"snapshots", "files", (json_int_t)p.files[1], "bytes", (json_int_t)p.bytes[1],
				"metadata", "files", (json_int_t)p.files[2], "bytes", (json_int_t)p.bytes[2],
				"last_push", iso(p.last_push), "last_error", p.last_error));
	}
	if (lv_store_conf_get(st, "unlinked"))
		json_object_set_new(doc, "unlinked", json_string(lv_store_conf_get(st, "unlinked")));
	s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!s)
		return -ENOMEM;
	rc = lv_buf_adds(out, s);
	free(s);
	return rc;
}
