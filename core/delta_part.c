/*
 * delta_part.c - the data files of one partition of a Delta version:
 * which stay, which runs of segments become new files, and building those
 * on several threads.
 *
 * Why this shape:
 *  - A data file is a run of whole segments of the partition's CSV
 *    snapshot and keeps which (first segment, count, a signature of their
 *    chunks: delta_file_i.h). A file whose segments are all unchanged
 *    stays; the runs of segments no kept file holds are cut into files of
 *    about delta_file_mb of CSV. So an append rewrites the tail file and
 *    an update the file holding its row, not the partition.
 *  - Encoding Parquet is CPU work and the machine has more than one core:
 *    the new files of a partition are built on up to LV_DELTA_THREADS
 *    threads at once, each reading the snapshot's chunks in its own LMDB
 *    read transaction (the store is opened MDB_NOTLS, and the snapshot
 *    they read was committed before this write transaction began, so
 *    every reader sees the same bytes) and building its file in memory.
 *    The store has one writer: this thread puts the finished files into
 *    the tree, a wave of files at a time, so memory holds at most one
 *    file per thread.
 *  - Append-only partitions are read in order by one thread: whether a
 *    record is its row's newest depends on its position (delta.c).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "delta_part_i.h"
#include "lakeview/csv.h"
#include "lakeview/err.h"
#include "manifest_i.h"
#include "tree_i.h"

#define LV_DELTA_THREADS 4

struct dent {
	uint64_t seg, chunk, len;
};

struct job {
	size_t from, to;        /* entries */
	size_t index;           /* the first file's number in its name */
	struct lv_dfile *files;
	size_t nfiles;
	int rc;
	char *msg;
};

struct pool {
	struct lv_store *st;
	const struct lv_dpart *p;
	const struct dent *e;
	struct job *job;
};

/* The manifest's entries, copied: LMDB's pointers last until the next
 * write of this transaction, and this one writes files while it reads. */
static int entries(struct lv_wtxn *w, uint64_t manifest, struct dent **out, size_t *n)
{
	const struct lv_ment *m;
	uint64_t prev = 0;
	size_t cnt;
	int rc;

	*out = NULL;
	*n = 0;
	if (!manifest)
		return 0;
	rc = lv_manifest_get(w->txn, w->st, manifest, &m, &cnt);
	if (rc)
		return rc;
	*out = malloc((cnt ? cnt : 1) * sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < cnt; i++) {
		uint64_t end;

		memcpy(&(*out)[i].seg, &m[i].seg, 8);
		memcpy(&(*out)[i].chunk, &m[i].chunk, 8);
		memcpy(&end, &m[i].end, 8);
		(*out)[i].len = end - prev;
		prev = end;
	}
	*n = cnt;
	return 0;
}

/* Each record of a segment's bytes (whole records: partition.c). */
static int records(const char *p, size_t len, lv_drec_fn fn, void *arg)
{
	size_t off = 0;
	int rc = 0;

	while (!rc && off < len) {
		size_t r = lv_csv_record_len(p + off, len - off);

		if (p[off + r - 1] != '\n')
			return lv_err_set(-EIO, "a lake partition's segment ends inside a record; the store is damaged, set delta = off in lakeview.conf and report it");
		rc = fn(arg, p + off, r);
		off += r;
	}
	return rc;
}

int lv_dfile_records(struct lv_wtxn *w, uint64_t manifest, lv_drec_fn fn, void *arg)
{
	struct dent *e;
	char *copy = NULL;
	size_t n, cap = 0;
	int rc;

	rc = entries(w, manifest, &e, &n);
	for (size_t i = 0; !rc && i < n; i++) {
		const void *vp;
		size_t len;

		rc = lv_chunk_bytes(w, e[i].chunk, &vp, &len);
		if (!rc && len > cap) {
			char *c = realloc(copy, len);

			if (!c)
				rc = -ENOMEM;
			else
				copy = c, cap = len;
		}
		if (!rc) {
			memcpy(copy, vp, len);  /* the callback may write */
			rc = records(copy, len, fn, arg);
		}
	}
	free(copy);
	free(e);
	return rc;
}

/* --- building files on threads ---------------------------------------- */

struct feed {
	const struct lv_dpart *p;
	struct lv_dwriter *dw;
	uint64_t ord;
};

static int feed_record(void *arg, const char *rec, size_t len)
{
	struct feed *f = arg;
	uint64_t ord = f->ord++;

	if (f->p->keep && !f->p->keep(f->p->keep_arg, rec, len, ord))
		return 0;
	return lv_dwriter_record(f->dw, rec, len);
}

static void run_job(struct pool *pl)
{
	struct job *j = pl->job;
	struct feed f = { pl->p, NULL, 0 };
	MDB_txn *txn = NULL;
	int rc;

	rc = mdb_txn_begin(pl->st->env, NULL, MDB_RDONLY, &txn);
	if (!rc)
		rc = lv_dwriter_new(&f.dw, pl->p->t, pl->p->cols, pl->p->part,
				    pl->p->file_bytes, j->index);
	for (size_t i = j->from; !rc && i < j->to; i++) {
		unsigned char kb[8];
		MDB_val k = { 8, kb }, d;

		lv_be64(kb, pl->e[i].chunk);
		rc = mdb_get(txn, pl->st->chunks, &k, &d);
		if (rc == MDB_NOTFOUND)
			rc = -EIO;
		if (!rc && pl->p->keep) {
			rc = records(d.mv_data, d.mv_size, feed_record, &f);
		} else if (!rc) {  /* every record: one pass over the bytes */
			const char *s = d.mv_data;

			for (size_t off = 0, used = 0; !rc && off < d.mv_size; off += used)
				rc = lv_dwriter_take(f.dw, s + off, d.mv_size - off, &used);
		}
		if (!rc)
			rc = lv_dwriter_seg(f.dw, pl->e[i].seg, pl->e[i].chunk);
	}
	if (!rc)
		rc = lv_dwriter_finish(f.dw, &j->files, &j->nfiles);
	if (rc)  /* the detail is this thread's: carry it over */
		j->msg = strdup(lv_err_message(rc));
	j->rc = rc;
	lv_dwriter_free(f.dw);
	if (txn)
		mdb_txn_abort(txn);
}

static void *worker(void *arg)
{
	run_job(arg);
	return NULL;
}

/* Run @n jobs at once (this thread runs the last one). */
static void run_wave(struct pool *pl, size_t n)
{
	pthread_t th[LV_DELTA_THREADS];
	int started[LV_DELTA_THREADS] = { 0 };

	for (size_t i = 0; i + 1 < n; i++)
		started[i] = pthread_create(&th[i], NULL, worker, &pl[i]) == 0;
	run_job(&pl[n - 1]);
	for (size_t i = 0; i + 1 < n; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		else
			run_job(&pl[i]);  /* no thread: do it here */
	}
}

/* --- the partition ---------------------------------------------------- */

static json_t *file_json(const struct lv_dfile *f)
{
	char sig[20];

	snprintf(sig, sizeof(sig), "%016llx", (unsigned long long)f->sig);
	return json_pack("{s:s,s:s,s:I,s:I,s:I,s:s,s:I,s:I,s:s}", "path", f->path,
			 "part", f->part, "ino", (json_int_t)f->ino, "size", (json_int_t)f->size,
			 "rows", (json_int_t)f->rows, "stats", f->stats,
			 "seg0", (json_int_t)f->seg0, "nseg", (json_int_t)f->nseg, "sig", sig);
}

static uint64_t jint(json_t *o, const char *k)
{
	return (uint64_t)json_integer_value(json_object_get(o, k));
}

/* Is old file @f still what segments @e[at..] hold? Then mark them. */
static int still_there(json_t *f, const struct dent *e, size_t n, char *covered)
{
	uint64_t seg0 = jint(f, "seg0"), sig = 0;
	size_t nseg = (size_t)jint(f, "nseg"), at;
	const char *want = json_string_value(json_object_get(f, "sig"));
	char got[20];

	if (!nseg || !want)
		return 0;
	for (at = 0; at < n && e[at].seg != seg0; at++)
		;
	if (at == n || nseg > n - at)
		return 0;
	for (size_t i = at; i < at + nseg; i++) {
		if (covered[i])
			return 0;
		sig = lv_dseg_sig(sig, e[i].seg, e[i].chunk);
	}
	snprintf(got, sizeof(got), "%016llx", (unsigned long long)sig);
	if (strcmp(got, want))
		return 0;
	memset(covered + at, 1, nseg);
	return 1;
}

/* Cut the entries no kept file holds into jobs of about file_bytes. */
static int plan(const struct lv_dpart *p, const struct dent *e, size_t n,
		const char *covered, struct job **out, size_t *njobs)
{
	struct job *j = calloc(n ? n : 1, sizeof(*j));
	uint64_t acc = 0;
	size_t k = 0;

	if (!j)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (covered[i])
			continue;
		/* a new job after a kept file, or once one holds file_bytes
		 * (append-only: one job, read in order) */
		if (!k || j[k - 1].to != i || (!p->keep && acc >= p->file_bytes)) {
			j[k].from = i;
			j[k].index = k;
			k++;
			acc = 0;
		}
		j[k - 1].to = i + 1;
		acc += e[i].len;
	}
	*out = j;
	*njobs = k;
	return 0;
}

/* Put a finished file into the tree and name it in @adds. */
static int put_file(struct lv_wtxn *w, const struct lv_dpart *p, struct lv_dfile *f,
		    json_t *adds)
{
	char dname[64];
	uint64_t pdir;
	int rc;

	snprintf(dname, sizeof(dname), LV_DELTA_PART_COL "=%s", p->part);
	rc = lv_tree_mkdir(w, p->dir, dname, &pdir);
	if (!rc)  /* immutable: the mount keeps it in the page cache */
		rc = lv_tree_mkfile(w, pdir, f->name, LV_NODE_IMMUTABLE, &f->ino);
	if (!rc)
		rc = lv_tree_put_file(w, pdir, f->name, f->data ? f->data : "", f->size, 0,
				      &f->ino);
	if (!rc && json_array_append_new(adds, file_json(f)))
		rc = -ENOMEM;
	return rc;
}

static unsigned threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > LV_DELTA_THREADS ? LV_DELTA_THREADS : (unsigned)n;
}

int lv_dpart_write(struct lv_wtxn *w, const struct lv_dpart *p, json_t *old,
		   json_t *files, json_t *removed, json_t *adds)
{
	struct pool pl[LV_DELTA_THREADS];
	struct job *jobs = NULL;
	struct dent *e = NULL;
	char *covered = NULL;
	size_t n = 0, njobs = 0, k;
	unsigned nth = threads();
	json_t *f;
	int rc;

	rc = entries(w, p->manifest, &e, &n);
	if (rc)
		return rc;
	covered = calloc(n ? n : 1, 1);
	if (!covered) {
		rc = -ENOMEM;
		goto out;
	}
	json_array_foreach(old, k, f) {
		if (json_array_append(still_there(f, e, n, covered) ? files : removed, f)) {
			rc = -ENOMEM;
			goto out;
		}
	}
	rc = plan(p, e, n, covered, &jobs, &njobs);
	for (size_t at = 0; !rc && at < njobs; at += nth) {
		size_t wave = njobs - at < nth ? njobs - at : nth;

		for (size_t i = 0; i < wave; i++)
			pl[i] = (struct pool){ w->st, p, e, &jobs[at + i] };
		run_wave(pl, wave);
		for (size_t i = 0; i < wave; i++) {
			struct job *j = &jobs[at + i];

			if (!rc && j->rc)
				rc = lv_err_set(j->rc, "%s", j->msg ? j->msg : lv_strerror(j->rc));
			for (size_t m = 0; !rc && m < j->nfiles; m++)
				rc = put_file(w, p, &j->files[m], adds);
			lv_dfiles_free(j->files, j->nfiles);
			free(j->msg);
			j->files = NULL;
			j->msg = NULL;
		}
	}
out:
	free(jobs);
	free(covered);
	free(e);
	return rc;
}
