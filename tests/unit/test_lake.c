/*
 * test_lake.c - applying changes (core/batch.c and its parts) over many
 * batches: row states kept in runs and merged into the base, the filter
 * of known rows, items parsed ahead, rows in the partition of their year,
 * and the change log read back: every change it keeps gives back the
 * exact record it wrote to the lake.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "lakeview/err.h"
#include "lakeview/batch.h"
#include "lakeview/changelog.h"
#include "lakeview/reader.h"
#include "lakeview/lake.h"
#include "lakeview/schema.h"
#include "lakeview/tree.h"
#include "reader_i.h"

#define ROWS 400
#define BATCHES 30   /* more than the runs kept before a merge */

static char dir[4096];

static const char meta[] =
	"{\"LogicalName\":\"lv_thing\",\"EntitySetName\":\"lv_things\","
	"\"PrimaryIdAttribute\":\"lv_thingid\",\"ChangeTrackingEnabled\":true,"
	"\"Attributes\":["
	"{\"LogicalName\":\"lv_thingid\",\"AttributeType\":\"Uniqueidentifier\"},"
	"{\"LogicalName\":\"lv_name\",\"AttributeType\":\"String\",\"MaxLength\":100},"
	"{\"LogicalName\":\"lv_count\",\"AttributeType\":\"Integer\"},"
	"{\"LogicalName\":\"createdon\",\"AttributeType\":\"DateTime\"},"
	"{\"LogicalName\":\"versionnumber\",\"AttributeType\":\"BigInt\"}]}";

/* What the test expects of each row. */
struct row {
	long version;   /* newest applied, 0: never */
	int live;
	int year;
};

static struct row rows[ROWS];
static long next_version = 1;

static void guid(int i, char out[37])
{
	snprintf(out, 37, "7e57da7a-0000-4000-8000-%012x", (unsigned)(i * 2654435761u) & 0xffffff);
}

static int upsert(char *buf, size_t len, int i, long version, int year)
{
	char g[37];

	guid(i, g);
	return snprintf(buf, len,
			"{\"@odata.etag\":\"W/\\\"%ld\\\"\",\"lv_thingid\":\"%s\","
			"\"lv_name\":\"row %d, \\\"v%ld\\\"\",\"lv_count\":%ld,"
			"\"createdon\":\"%d-0%d-0%dT10:00:00Z\",\"versionnumber\":%ld}",
			version, g, i, version, version % 1000, year, 1 + i % 9,
			1 + i % 9, version);
}

static int tombstone(char *buf, size_t len, int i)
{
	char g[37];

	guid(i, g);
	return snprintf(buf, len,
			"{\"@odata.context\":\"https://x/api/data/v9.2/$metadata#lv_things/$deletedEntity\","
			"\"id\":\"%s\",\"reason\":\"deleted\"}", g);
}

/* Collects a file's bytes. */
struct bytes {
	char *p;
	size_t len;
};

static int collect(void *arg, const void *p, size_t len)
{
	struct bytes *b = arg;
	char *n = realloc(b->p, b->len + len + 1);

	if (!n)
		return -ENOMEM;
	memcpy(n + b->len, p, len);
	b->p = n;
	b->len += len;
	n[b->len] = '\0';
	return 0;
}

/*
 * Does every live row stand in the partition of its year, once, and no
 * other row anywhere? Returns how many records the partitions hold, or
 * -1 (and says why) when a row is missing, misplaced or there twice.
 */
static int rows_in_their_year(struct lv_store *st)
{
	struct lv_reader *r;
	struct lv_node dirn, n;
	uint64_t cookie = 0;
	int seen[ROWS] = { 0 }, records = 0, bad = 0;

	if (lv_reader_begin(st, &r))
		return -1;
	if (lv_path_lookup(r, "lv_thing", &dirn)) {
		lv_reader_end(r);
		return -1;
	}
	while (lv_dir_next(r, dirn.ino, &cookie, &n) == 1) {
		struct bytes b = { NULL, 0 };
		int year;

		if (!strstr(n.name, ".csv"))
			continue;
		year = (int)strtol(n.name, NULL, 10);
		if (lv_file_chunks(r, &n, collect, &b)) {
			bad++;
			free(b.p);
			continue;
		}
		for (char *p = b.p, *e; p && *p; p = e + 1) {
			char g[37];
			int i;

			e = strchr(p, '\n');
			if (!e)
				break;
			records++;
			for (i = 0; i < ROWS; i++) {
				guid(i, g);
				if (strncmp(p, g, 36) == 0)
					break;
			}
			if (i == ROWS || !rows[i].live || rows[i].year != year || seen[i]++) {
				fprintf(stderr, "%s: record %.36s: row %d, live %d, year %d, seen %d\n",
					n.name, p, i, i < ROWS ? rows[i].live : -1,
					i < ROWS ? rows[i].year : -1, i < ROWS ? seen[i] : -1);
				bad++;
			}
		}
		free(b.p);
	}
	lv_reader_end(r);
	for (int i = 0; i < ROWS; i++)
		if (rows[i].live && !seen[i]) {
			fprintf(stderr, "row %d (year %d) is not in the lake\n", i, rows[i].year);
			bad++;
		}
	return bad ? -1 : records;
}

struct logcheck {
	unsigned long changes, bad;
	uint64_t last_seq;
	struct bytes want;  /* every live row's lake record, concatenated */
	char **newest;    /* newest upsert record per row, from the log */
};

static int row_of(const uint8_t id[16])
{
	unsigned v = ((unsigned)id[13] << 16) | ((unsigned)id[14] << 8) | id[15];

	for (int i = 0; i < ROWS; i++)
		if ((((unsigned)i * 2654435761u) & 0xffffff) == v)
			return i;
	return -1;
}

static int on_change(void *arg, const struct lv_change *c)
{
	struct logcheck *lc = arg;
	int i = row_of(c->id);

	if (c->seq != lc->last_seq + 1 || i < 0 || c->record_len < 40 ||
	    c->record[c->record_len - 1] != '\n')
		lc->bad++;
	lc->last_seq = c->seq;
	lc->changes++;
	if (i >= 0 && !c->del) {
		free(lc->newest[i]);
		lc->newest[i] = strndup(c->record, c->record_len);
	}
	if (i >= 0 && c->del) {
		free(lc->newest[i]);
		lc->newest[i] = NULL;
	}
	return 0;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Does the lake hold exactly the newest logged record of every live row? */
static int lake_matches_log(struct lv_store *st, struct logcheck *lc)
{
	struct lv_reader *r;
	struct lv_node dirn, n;
	uint64_t cookie = 0;
	char **lines = NULL, **want = NULL;
	size_t nl = 0, nw = 0;
	int ok = 0;

	lc->want.len = 0;
	if (lv_reader_begin(st, &r))
		return 0;
	if (lv_path_lookup(r, "lv_thing", &dirn))
		goto out;
	while (lv_dir_next(r, dirn.ino, &cookie, &n) == 1)
		if (strstr(n.name, ".csv") && lv_file_chunks(r, &n, collect, &lc->want))
			goto out;
	lines = calloc(ROWS + 1, sizeof(*lines));
	want = calloc(ROWS + 1, sizeof(*want));
	if (!lines || !want)
		goto out;
	for (char *p = lc->want.p, *e; p && p < lc->want.p + lc->want.len; p = e + 1) {
		e = strchr(p, '\n');
		if (!e || nl == ROWS)
			goto out;
		*e = '\0';
		lines[nl++] = p;
	}
	for (int i = 0; i < ROWS; i++)
		if (lc->newest[i]) {
			lc->newest[i][strlen(lc->newest[i]) - 1] = '\0';
			want[nw++] = lc->newest[i];
		}
	qsort(lines, nl, sizeof(*lines), cmp_line);
	qsort(want, nw, sizeof(*want), cmp_line);
	ok = nl == nw;
	for (size_t i = 0; ok && i < nl; i++)
		ok = strcmp(lines[i], want[i]) == 0;
	if (!ok)
		fprintf(stderr, "lake has %zu records, the log's newest %zu; first: %s | %s\n",
			nl, nw, nl ? lines[0] : "-", nw ? want[0] : "-");
out:
	free(lines);
	free(want);
	lv_reader_end(r);
	return ok;
}

int main(void)
{
	struct lv_store *st;
	struct lv_table t;
	struct lv_batch *b;
	struct lv_batch_stats bs;
	struct lv_item *it;
	struct logcheck lc;
	unsigned long applied = 0, skipped = 0;
	char line[1024];
	unsigned seed = 20240601;
	int a, live = 0;

	if (check_tmpdir(dir, sizeof(dir), "lake"))
		return 1;
	strncat(dir, "/s", sizeof(dir) - strlen(dir) - 1);
	setenv("LAKEVIEW_NOW", "1700000000", 1);
	CHECK_RC(lv_store_create(dir, "env", "org", &st));
	CHECK_RC(lv_tree_init(st));
	CHECK_RC(lv_table_from_metadata(meta, strlen(meta), 0, 0, &t));
	CHECK_RC(lv_lake_table_add(st, &t));
	lv_table_free(&t);
	CHECK_RC(lv_item_new(&it));

	/* creates, updates (some moving the row to another year), deletes,
	 * stale versions and repeats, over many batches; every second batch
	 * through items parsed ahead */
	for (int k = 0; k < BATCHES; k++) {
		CHECK_RC(lv_batch_begin(st, "lv_thing", &b));
		for (int j = 0; j < 60; j++) {
			int i = (int)(rand_r(&seed) % ROWS), r = (int)(rand_r(&seed) % 10), n;
			int expect = 1;

			if (r < 6 || !rows[i].version) {
				int year = rows[i].version && r != 0 ? rows[i].year : 2019 + (int)(rand_r(&seed) % 4);

				n = upsert(line, sizeof(line), i, next_version, year);
				rows[i].version = next_version++;
				rows[i].year = year;
				live += !rows[i].live;
				rows[i].live = 1;
			} else if (r < 8) {
				n = tombstone(line, sizeof(line), i);
				expect = rows[i].live;
				live -= rows[i].live;
				rows[i].live = 0;
			} else {
				/* the newest version again, or an older one: skipped */
				n = upsert(line, sizeof(line), i, rows[i].version - (r == 9), rows[i].year);
				expect = 0;
			}
			if (k % 2) {
				CHECK(lv_item_parse(it, line, (size_t)n) == 0);
				CHECK_RC(lv_batch_apply(b, it, &a));
			} else {
				CHECK_RC(lv_batch_item(b, line, (size_t)n, &a));
			}
			CHECK(a == expect);
			applied += (unsigned long)a;
			skipped += (unsigned long)!a;
		}
		CHECK_RC(lv_batch_commit(b, &bs));
		/* a store opened afresh now and then: no filter, states read
		 * from the runs and the base as they are */
		if (k % 7 == 6) {
			lv_store_close(st);
			CHECK_RC(lv_store_open(dir, 0, &st));
		}
	}

	/* the log: one change per applied item, in order, each giving back
	 * the record it wrote; the newest of every live row is in the lake */
	memset(&lc, 0, sizeof(lc));
	lc.newest = calloc(ROWS, sizeof(*lc.newest));
	CHECK(lc.newest != NULL);
	CHECK_RC(lv_log_each(st, 1, on_change, &lc));
	CHECK(lc.changes == applied && lc.bad == 0);
	CHECK(lake_matches_log(st, &lc));
	/* every live row once, in the file of the year it was last given */
	CHECK(live > 0 && rows_in_their_year(st) == live);

	/* reading from the middle of a group */
	{
		struct logcheck mid;

		memset(&mid, 0, sizeof(mid));
		mid.newest = calloc(ROWS, sizeof(*mid.newest));
		mid.last_seq = 99;
		CHECK_RC(lv_log_each(st, 100, on_change, &mid));
		CHECK(mid.changes == applied - 99 && mid.bad == 0);
		for (int i = 0; i < ROWS; i++)
			free(mid.newest[i]);
		free(mid.newest);
	}

	/* everything again: every item is a duplicate or stale now */
	CHECK_RC(lv_batch_begin(st, "lv_thing", &b));
	for (int i = 0; i < ROWS; i++) {
		int n;

		if (!rows[i].version)
			continue;
		n = upsert(line, sizeof(line), i, rows[i].version, rows[i].year);
		CHECK_RC(lv_batch_item(b, line, (size_t)n, &a));
		CHECK(a == 0);
	}
	CHECK_RC(lv_batch_commit(b, &bs));
	CHECK(bs.applied == 0);

	/* a bad line fails alone: the batch is dropped, the store unchanged */
	CHECK_RC(lv_batch_begin(st, "lv_thing", &b));
	CHECK(lv_item_parse(it, "{\"lv_thingid\":", 14) == LV_EBADJSON);
	CHECK(lv_batch_apply(b, it, &a) == LV_EBADJSON && *lv_err_detail());
	lv_batch_abort(b);

	printf("%lu applied, %lu skipped, %d live\n", applied, skipped, live);
	for (int i = 0; i < ROWS; i++)
		free(lc.newest[i]);
	free(lc.newest);
	free(lc.want.p);
	lv_item_free(it);
	lv_store_close(st);
	return check_done();
}
