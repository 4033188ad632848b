/*
 * store.c - opening, creating and configuring a store; write transactions.
 *
 * A store is a directory, so that the LMDB files and lakeview.conf travel
 * together and `rm -r` undoes a link. The environment is opened with
 * MDB_NOTLS because FUSE worker threads and per-handle readers move read
 * transactions between threads, and with a map size far above any real
 * lake (the file is sparse; the map only reserves address space).
 *
 * Counters that every commit touches (next inode, next chunk, sequence)
 * are read once when a write transaction begins and written once when it
 * commits, so that a batch of a million changes costs two meta writes,
 * not two million.
 *
 * Layering: the store is the bottom of core's storage. It knows LMDB,
 * lakeview.conf and write transactions, and nothing of the file tree or
 * the lake above it: a layer that must write with a commit hangs its one
 * hook on the transaction (the tree's change log, store_i.h), and a new
 * store gets its tree from lv_tree_init(), called by whoever creates it.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lakeview/time.h"
#include "lakeview/buf.h"
#include "lakeview/codec.h"
#include "lakeview/err.h"
#include "store_i.h"

#define LV_MAPSIZE ((size_t)1 << 40)
#define LV_MAXREADERS 1022
#define LV_CONF_NAME "lakeview.conf"
#define LV_CONF_MAX (64 * 1024)

/* LMDB names its two files itself (mdb_env_open on a directory). */
static const char *const store_files[LV_STORE_NFILES] = {
	[LV_STORE_DATA] = "data.mdb",
	[LV_STORE_LOCK] = "lock.mdb",
	[LV_STORE_CONF] = LV_CONF_NAME,
};

int lv_store_file(const char *dir, enum lv_store_file which, char *buf,
		  size_t len)
{
	int n;

	if ((unsigned)which >= LV_STORE_NFILES)
		return -EINVAL;
	n = snprintf(buf, len, "%s/%s", dir, store_files[which]);
	if (n < 0 || (size_t)n >= len) {
		if (len)
			buf[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
}

const char *lv_store_dir(const struct lv_store *st)
{
	return st->dir;
}

const char *lv_store_container(const struct lv_store *st)
{
	return st->container;
}

const char *lv_store_lake_url(const struct lv_store *st)
{
	return st->lake_url;
}

static int open_dbs(struct lv_store *st, unsigned create)
{
	MDB_txn *txn;
	int rc;
	const struct {
		const char *name;
		MDB_dbi *dbi;
	} dbs[] = {
		{ "meta", &st->meta }, { "tables", &st->tables },
		{ "rows", &st->rows }, { "log", &st->log },
		{ "nodes", &st->nodes }, { "names", &st->names },
		{ "children", &st->children }, { "manifests", &st->manifests },
		{ "chunks", &st->chunks }, { "refs", &st->refs },
		{ "treelog", &st->treelog }, { "pushed", &st->pushed },
	};

	rc = mdb_txn_begin(st->env, NULL, create ? 0 : MDB_RDONLY, &txn);
	if (rc)
		return rc;
	for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
		rc = mdb_dbi_open(txn, dbs[i].name, create ? MDB_CREATE : 0,
				  dbs[i].dbi);
		if (rc == MDB_NOTFOUND)
			rc = LV_ENOSTORE;
		if (rc)
			goto out;
	}
	/* added after format 1 shipped: a store without it keeps every row
	 * state in "rows" (see rowstate.c) */
	rc = mdb_dbi_open(txn, "rowruns", create ? MDB_CREATE : 0, &st->rowruns);
	st->has_rowruns = rc == 0;
	if (rc == MDB_NOTFOUND)
		rc = 0;
	if (rc)
		goto out;
	rc = mdb_txn_commit(txn);
	return rc;
out:
	mdb_txn_abort(txn);
	return rc;
}

/* --- lakeview.conf ---------------------------------------------------- */

static void conf_free(struct lv_store *st)
{
	for (int i = 0; i < st->nconf; i++) {
		free(st->conf_key[i]);
		free(st->conf_val[i]);
	}
	st->nconf = 0;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* The keys lv_store_conf_uint() reads, with the values each may take: a
 * conf that says otherwise (page_size=-1 read by strtoul is 4294967295)
 * is refused when the store opens, naming the key. */
static const struct {
	const char *key;
	unsigned long lo, hi;
} conf_numbers[] = {
	{ "page_size", 1, 5000 },
	{ "retry_base_ms", 1, 3600000 },
	{ "retry_tries", 1, 1000 },
	{ "tables_in_flight", 1, 52 },
};

static int conf_number_check(const char *path, int lineno, const char *k,
			     const char *v)
{
	for (size_t i = 0; i < sizeof(conf_numbers) / sizeof(conf_numbers[0]); i++) {
		int64_t n;

		if (strcmp(k, conf_numbers[i].key))
			continue;
		if (lv_int_parse(v, strlen(v), 64, &n) || n < (int64_t)conf_numbers[i].lo ||
		    n > (int64_t)conf_numbers[i].hi) {
			char q[96];

			return lv_err_set(LV_ECONF, "%s line %d: %s = %s is not a whole number from %lu to %lu",
					  path, lineno, k, lv_err_quote(v, q, sizeof(q)),
					  conf_numbers[i].lo, conf_numbers[i].hi);
		}
	}
	return 0;
}

static int conf_load(struct lv_store *st)
{
	char path[4096], line[4096];
	FILE *f;
	int rc = 0, lineno = 0;

	rc = lv_store_file(st->dir, LV_STORE_CONF, path, sizeof(path));
	if (rc)
		return rc;
	f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? LV_ENOSTORE : -errno;
	/* whoever can write it can point token_url elsewhere and receive the
	 * client secret: only its owner may; its group may read it (a store
	 * shared with a group), others nothing */
	rc = lv_store_check_private(fileno(f), path, "lakeview.conf", 027, LV_ECONF);
	if (rc)
		goto out;
	while (fgets(line, sizeof(line), f)) {
		char *eq, *k, *v;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			rc = lv_err_set(LV_ECONF, "%s line %d: line too long",
					path, lineno);
			goto out;
		}
		line[strcspn(line, "\n")] = '\0';
		k = trim(line);
		if (*k == '\0' || *k == '#')
			continue;
		eq = strchr(k, '=');
		if (!eq) {
			rc = lv_err_set(LV_ECONF, "%s line %d: expected key = value",
					path, lineno);
			goto out;
		}
		*eq = '\0';
		v = trim(eq + 1);
		k = trim(k);
		rc = conf_number_check(path, lineno, k, v);
		if (rc)
			goto out;
		if (st->nconf == LV_CONF_MAX_KEYS) {
			rc = lv_err_set(LV_ECONF, "%s: more than %d keys", path,
					LV_CONF_MAX_KEYS);
			goto out;
		}
		st->conf_key[st->nconf] = strdup(k);
		st->conf_val[st->nconf] = strdup(v);
		if (!st->conf_key[st->nconf] || !st->conf_val[st->nconf]) {
			free(st->conf_key[st->nconf]);
			free(st->conf_val[st->nconf]);
			rc = -ENOMEM;
			goto out;
		}
		st->nconf++;
	}
out:
	fclose(f);
	return rc;
}

const char *lv_store_conf_get(const struct lv_store *st, const char *key)
{
	for (int i = 0; i < st->nconf; i++)
		if (strcmp(st->conf_key[i], key) == 0)
			return st->conf_val[i];
	return NULL;
}

static int conf_write(struct lv_store *st)
{
	char path[4096], tmp[4096];
	struct lv_buf b;
	int fd = -1, rc;

	lv_buf_init(&b, LV_CONF_MAX);
	rc = lv_buf_adds(&b, "# lakeview.conf - written by lakectl; see lakeview.conf(5)\n");
	for (int i = 0; !rc && i < st->nconf; i++)
		rc = lv_buf_addf(&b, "%s = %s\n", st->conf_key[i], st->conf_val[i]);
	if (rc)
		goto out;
	if (lv_store_file(st->dir, LV_STORE_CONF, path, sizeof(path)) != 0 ||
	    snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", st->dir, LV_CONF_NAME) >=
		    (int)sizeof(tmp)) {
		rc = -ENAMETOOLONG;
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	{
		ssize_t n = write(fd, b.p, b.len);

		if (n != (ssize_t)b.len) {
			rc = n < 0 ? -errno : -EIO;  /* a short write is an error */
			goto out;
		}
	}
	if (fsync(fd) != 0) {
		rc = -errno;
		goto out;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, path) != 0) {
		rc = -errno;
		goto out;
	}
	/* the rename itself must survive a crash */
	fd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
		fd = -1;
	}
out:
	if (fd >= 0)
		close(fd);
	if (rc)
		unlink(tmp);
	lv_buf_free(&b);
	return rc;
}

static void set_link_names(struct lv_store *st);

int lv_store_conf_reload(struct lv_store *st)
{
	int rc;

	lv_err_clear();
	conf_free(st);
	rc = conf_load(st);
	if (!rc)
		set_link_names(st);
	return rc;
}

unsigned lv_store_conf_uint(const struct lv_store *st, const char *key)
{
	const char *v = lv_store_conf_get(st, key);

	return v ? (unsigned)strtoul(v, NULL, 10) : 0;
}

int lv_store_conf_set(struct lv_store *st, const char *key, const char *value)
{
	int i;
	char *v = NULL;

	lv_err_clear();  /* its failures are errno codes without detail */
	if (strpbrk(key, "=\n#") || (value && strchr(value, '\n')))
		return -EINVAL;
	for (i = 0; i < st->nconf; i++)
		if (strcmp(st->conf_key[i], key) == 0)
			break;
	if (!value) {
		if (i == st->nconf)
			return 0;
		free(st->conf_key[i]);
		free(st->conf_val[i]);
		st->nconf--;
		st->conf_key[i] = st->conf_key[st->nconf];
		st->conf_val[i] = st->conf_val[st->nconf];
		return conf_write(st);
	}
	v = strdup(value);
	if (!v)
		return -ENOMEM;
	if (strcmp(key, "lake_url") == 0)
		snprintf(st->lake_url, sizeof(st->lake_url), "%s", value);
	if (i == st->nconf) {
		if (st->nconf == LV_CONF_MAX_KEYS) {
			free(v);
			return -ENOSPC;
		}
		st->conf_key[i] = strdup(key);
		if (!st->conf_key[i]) {
			free(v);
			return -ENOMEM;
		}
		st->nconf++;
	} else {
		free(st->conf_val[i]);
	}
	st->conf_val[i] = v;
	return conf_write(st);
}

/* --- open / create ---------------------------------------------------- */

static int link_name_ok(const char *s, int allow_dash)
{
	size_t n = strlen(s);

	if (n == 0 || n > LV_LINK_NAME_MAX)
		return 0;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !(allow_dash && *p == '-'))
			return 0;
	return s[0] != '-' && s[n - 1] != '-';
}

void lv_store_container_name(const char *environment,
			     const char *organization, char *buf, size_t len)
{
	snprintf(buf, len, "dataverse-%s-%s", environment, organization);
	for (char *p = buf; *p; p++)
		*p = (char)tolower((unsigned char)*p);
}

static void set_link_names(struct lv_store *st)
{
	const char *env = lv_store_conf_get(st, "environment");
	const char *org = lv_store_conf_get(st, "organization");
	const char *url = lv_store_conf_get(st, "lake_url");

	lv_store_container_name(env ? env : "", org ? org : "", st->container,
				sizeof(st->container));
	if (url && *url)
		snprintf(st->lake_url, sizeof(st->lake_url), "%s", url);
	else
		snprintf(st->lake_url, sizeof(st->lake_url),
			 "https://localhost/%s", st->container);
}

static int env_open(struct lv_store *st, unsigned flags)
{
	int rc;

	rc = mdb_env_create(&st->env);
	if (rc)
		return rc;
	rc = mdb_env_set_mapsize(st->env, LV_MAPSIZE);
	if (!rc)
		rc = mdb_env_set_maxreaders(st->env, LV_MAXREADERS);
	if (!rc)
		rc = mdb_env_set_maxdbs(st->env, 16);
	if (!rc)
		rc = mdb_env_open(st->env, st->dir,
				  MDB_NOTLS | MDB_NORDAHEAD |
					  ((flags & LV_STORE_RDONLY) ? MDB_RDONLY : 0),
				  0600);
	if (rc == ENOENT)
		rc = LV_ENOSTORE;
	else if (rc > 0)
		rc = -rc;
	return rc;
}

static struct lv_store *store_new(const char *dir, unsigned flags)
{
	struct lv_store *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->dir = strdup(dir);
	if (!st->dir) {
		free(st);
		return NULL;
	}
	st->flags = flags;
	return st;
}

void lv_store_close(struct lv_store *st)
{
	if (!st)
		return;
	if (st->rowfilter_free)
		st->rowfilter_free(st->rowfilter);
	if (st->spare_batch_free)
		st->spare_batch_free(st->spare_batch);
	if (st->env)
		mdb_env_close(st->env);
	conf_free(st);
	free(st->dir);
	free(st);
}

static int dir_is_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int empty = 1;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			empty = 0;
			break;
		}
	}
	closedir(d);
	return empty;
}

int lv_store_create(const char *dir, const char *environment,
		    const char *organization, struct lv_store **out)
{
	struct lv_store *st = NULL;
	struct lv_wtxn w;
	int rc;

	*out = NULL;
	lv_err_clear();  /* what fails below sets its own detail, or none */
	if (!link_name_ok(environment, 1))
		return lv_err_set(LV_EBADNAME,
				  "environment name '%s': use 1-%d letters, digits or '-'",
				  environment, LV_LINK_NAME_MAX);
	if (!link_name_ok(organization, 0))
		return lv_err_set(LV_EBADNAME,
				  "organization name '%s': use 1-%d letters or digits",
				  organization, LV_LINK_NAME_MAX);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return lv_err_set(-errno, "cannot create %s: %s", dir,
				  strerror(errno));
	rc = dir_is_empty(dir);
	if (rc < 0)
		return lv_err_set(rc, "cannot read %s: %s", dir, strerror(-rc));
	if (rc == 0)
		return lv_err_set(-EEXIST, "%s is not empty%s", dir,
				  access(dir, F_OK) == 0 ? " (a store exists there, or other files)" : "");
	st = store_new(dir, 0);
	if (!st)
		return -ENOMEM;
	rc = lv_store_conf_set(st, "environment", environment);
	if (!rc)
		rc = lv_store_conf_set(st, "organization", organization);
	if (rc)
		goto out;
	set_link_names(st);
	rc = env_open(st, 0);
	if (!rc)
		rc = open_dbs(st, 1);
	if (rc)
		goto out;
	rc = lv_wtxn_begin(st, &w);
	if (rc)
		goto out;
	rc = lv_meta_put_u64(w.txn, st, "format", LV_STORE_FORMAT);
	if (rc) {
		lv_wtxn_abort(&w);
		goto out;
	}
	rc = lv_wtxn_commit(&w);
	if (rc)
		goto out;
	*out = st;
	return 0;
out:
	lv_store_close(st);
	return rc;
}

int lv_store_open(const char *dir, unsigned flags, struct lv_store **out)
{
	struct lv_store *st;
	MDB_txn *txn = NULL;
	uint64_t format = 0;
	struct stat sb;
	int rc;

	*out = NULL;
	lv_err_clear();  /* what fails below sets its own detail, or none */
	if (stat(dir, &sb) != 0)
		return lv_err_set(LV_ENOSTORE, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return lv_err_set(LV_ENOSTORE, "%s is not a directory", dir);
	st = store_new(dir, flags);
	if (!st)
		return -ENOMEM;
	rc = conf_load(st);
	if (rc == LV_ENOSTORE)
		rc = lv_err_set(LV_ENOSTORE, "%s is not a lakeview store (no %s); create one with 'lakectl link'",
				dir, LV_CONF_NAME);
	if (rc)
		goto out;
	set_link_names(st);
	rc = env_open(st, flags);
	if (rc == LV_ENOSTORE)
		rc = lv_err_set(LV_ENOSTORE, "%s has no store data (data.mdb missing)", dir);
	if (rc)
		goto out;
	rc = open_dbs(st, 0);
	if (rc)
		goto out;
	rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
	if (rc)
		goto out;
	rc = lv_meta_get_u64(txn, st, "format", &format);
	mdb_txn_abort(txn);
	if (rc == MDB_NOTFOUND ||
	    (!rc && (format < LV_STORE_FORMAT_MIN || format > LV_STORE_FORMAT)))
		rc = lv_err_set(LV_EFORMAT, "%s: store format %" PRIu64 ", this lakeview reads formats %d-%d",
				dir, format, LV_STORE_FORMAT_MIN, LV_STORE_FORMAT);
	if (rc)
		goto out;
	*out = st;
	return 0;
out:
	lv_store_close(st);
	return rc;
}

/* --- meta ------------------------------------------------------------- */

int lv_meta_get_u64(MDB_txn *txn, struct lv_store *st, const char *key,
		    uint64_t *v)
{
	MDB_val k = { strlen(key), (void *)key }, d;
	int rc = mdb_get(txn, st->meta, &k, &d);

	if (rc)
		return rc;
	if (d.mv_size != 8)
		return -EIO;
	*v = lv_get_be64(d.mv_data);
	return 0;
}

int lv_meta_put_u64(MDB_txn *txn, struct lv_store *st, const char *key,
		    uint64_t v)
{
	unsigned char b[8];
	MDB_val k = { strlen(key), (void *)key }, d = { 8, b };

	lv_be64(b, v);
	return mdb_put(txn, st->meta, &k, &d, 0);
}

int lv_meta_get_str(MDB_txn *txn, struct lv_store *st, const char *key,
		    char *buf, size_t len)
{
	MDB_val k = { strlen(key), (void *)key }, d;
	int rc = mdb_get(txn, st->meta, &k, &d);

	if (rc)
		return rc;
	if (d.mv_size >= len)
		return -ENAMETOOLONG;
	memcpy(buf, d.mv_data, d.mv_size);
	buf[d.mv_size] = '\0';
	return 0;
}

int lv_meta_put_str(MDB_txn *txn, struct lv_store *st, const char *key,
		    const char *v)
{
	MDB_val k = { strlen(key), (void *)key }, d = { strlen(v), (void *)v };

	return mdb_put(txn, st->meta, &k, &d, 0);
}

/* --- write transactions ----------------------------------------------- */

static const char *const counter_names[] = {
	"next_ino", "next_chunk", "next_manifest", "next_seg", "seq",
	"tree_gen", "bytes_encoded", "chunk_bytes", "next_run",
};

static uint64_t *counter_ptr(struct lv_wtxn *w, size_t i)
{
	uint64_t *p[] = { &w->next_ino, &w->next_chunk, &w->next_manifest,
			  &w->next_seg, &w->seq, &w->tree_gen,
			  &w->bytes_encoded, &w->chunk_bytes, &w->next_run };
	return p[i];
}

int lv_wtxn_begin(struct lv_store *st, struct lv_wtxn *w)
{
	int rc;

	memset(w, 0, sizeof(*w));
	w->st = st;
	if (st->flags & LV_STORE_RDONLY)
		return -EROFS;
	rc = mdb_txn_begin(st->env, NULL, 0, &w->txn);
	if (rc) {
		lv_err_clear();  /* LMDB's code says it all; no older detail */
		return rc;
	}
	w->now = lv_clock_now();
	for (size_t i = 0; i < sizeof(counter_names) / sizeof(counter_names[0]); i++) {
		rc = lv_meta_get_u64(w->txn, st, counter_names[i], counter_ptr(w, i));
		if (rc == MDB_NOTFOUND) {
			*counter_ptr(w, i) = 0;
			rc = 0;
		}
		if (rc)
			goto out;
	}
	if (w->next_ino < 2)
		w->next_ino = 2;
	if (w->next_chunk < 1)
		w->next_chunk = 1;
	if (w->next_manifest < 1)
		w->next_manifest = 1;
	if (w->next_seg < 1)
		w->next_seg = 1;
	return 0;
out:
	mdb_txn_abort(w->txn);
	w->txn = NULL;
	lv_err_clear();
	return rc;
}

static void hook_end(struct lv_wtxn *w)
{
	if (w->hook_end)
		w->hook_end(w);
	w->hook = NULL;
	w->hook_commit = NULL;
	w->hook_end = NULL;
}

void lv_wtxn_abort(struct lv_wtxn *w)
{
	if (w->txn)
		mdb_txn_abort(w->txn);
	w->txn = NULL;
	hook_end(w);
}

int lv_wtxn_commit(struct lv_wtxn *w)
{
	int rc = 0;

	if (w->hook_commit)
		rc = w->hook_commit(w);
	if (rc)
		goto out;
	for (size_t i = 0; i < sizeof(counter_names) / sizeof(counter_names[0]); i++) {
		rc = lv_meta_put_u64(w->txn, w->st, counter_names[i], *counter_ptr(w, i));
		if (rc)
			goto out;
	}
	rc = mdb_txn_commit(w->txn);
	w->txn = NULL;
	hook_end(w);
	if (rc)
		lv_err_clear();  /* LMDB's code says it all; no older detail */
	return rc;
out:
	lv_wtxn_abort(w);
	lv_err_clear();
	return rc;
}

int lv_store_stats(struct lv_store *st, struct lv_store_stats *out)
{
	MDB_txn *txn;
	MDB_envinfo info;
	MDB_stat ms;
	uint64_t v;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
	if (rc) {
		lv_err_clear();
		return rc;
	}
	if (!lv_meta_get_u64(txn, st, "seq", &v))
		out->last_seq = v;
	if (!lv_meta_get_u64(txn, st, "last_commit", &v))
		out->last_commit = (int64_t)v;
	if (!lv_meta_get_u64(txn, st, "last_snapshot", &v))
		out->last_snapshot = (int64_t)v;
	if (!lv_meta_get_u64(txn, st, "tree_gen", &v))
		out->tree_gen = v;
	if (!lv_meta_get_u64(txn, st, "chunk_bytes", &v))
		out->chunk_bytes = v;
	if (!lv_meta_get_u64(txn, st, "bytes_encoded", &v))
		out->bytes_encoded = v;
	mdb_txn_abort(txn);
	if (mdb_env_info(st->env, &info) == 0 && mdb_env_stat(st->env, &ms) == 0) {
		out->map_used = (uint64_t)(info.me_last_pgno + 1) * ms.ms_psize;
		out->readers = info.me_numreaders;
		out->max_readers = info.me_maxreaders;
	}
	return 0;
}

int lv_store_reader_check(struct lv_store *st, int *dead)
{
	int n = 0, rc = mdb_reader_check(st->env, &n);

	if (dead)
		*dead = n;
	if (rc)
		lv_err_clear();
	return rc;
}

int lv_store_check_private(int fd, const char *path, const char *what,
		    unsigned forbidden, int rc)
{
	struct stat sb;

	if (fstat(fd, &sb) != 0)
		return lv_err_set(rc, "cannot check %s %s: %s", what, path, strerror(errno));
	if (sb.st_mode & forbidden & 022)
		return lv_err_set(rc, "%s %s can be written by others, who could change it; run: chmod %s %s",
				  what, path, forbidden == 077 ? "600" : "go-w", path);
	if (sb.st_mode & forbidden)
		return lv_err_set(rc, "%s %s can be read by others; run: chmod %s %s",
				  what, path, forbidden == 077 ? "600" : "o-rwx", path);
	return 0;
}
