/*
 * link.c - the link's lifecycle: create, unlink, relink, verify, destroy.
 *
 * These used to live in the command line, so a test could only drive them
 * through lakectl and the rule for a container's name was written twice.
 * Here they are core functions lakectl calls and tests drive directly;
 * they never print: each failure returns its code with the whole message
 * a person should see as the detail, and the caller prints it. Options,
 * file names and secrets are resolved by the caller first.
 *
 * This is core's top module. The layering of core, top to bottom: a
 * module calls only modules on the rows below its own, never up or
 * sideways, and core calls nothing of fs/ or tools/ (`nm` on core's
 * objects shows no circle, and tests/unit/test_layering.py checks this
 * table against them):
 *
 *   link                          the lifecycle (this file)
 *   status                        the status document
 *   sync                          sources and publishers: the sync loop,
 *   dataverse                     the Dataverse client; the push to the
 *   push, snapshot, lake          storage account, snapshots, the lake's
 *                                 tables
 *   delta                         Delta tables: versions and their log,
 *   delta_checkpoint, delta_part  checkpoints, a partition's files,
 *   delta_file                    a data file and its statistics
 *   batch                         applying changes: the batch;
 *   partition, encode,            partitions and their segments, CSV
 *   changelog, item               records, the change log, items;
 *   rowstate                      row states;
 *   rowfilter                     the filters of row ids
 *   model, schema                 the metadata: model.json and manifests,
 *   table                         the Dataverse mapping; table records
 *   adls_queue                    beside the metadata, used only by the
 *   adls                          rows above: the clients of the cloud
 *   oauth, adls_sign              services (of the store, they read only
 *   http                          lakeview.conf)
 *   tree                          the file tree: nodes and names;
 *   fedit                         editing a file's content;
 *   treelog                       the tree's change log;
 *   reader                        reading the tree;
 *   manifest, noderec             manifests and chunks, node records
 *   store                         the store: LMDB, lakeview.conf
 *   parquet_nested                Parquet files of nested records;
 *   parquet                       Parquet files: pages, row groups;
 *   parquet_col                   Parquet columns: schema, stats, footer
 *   csv, jrow, time, codec,       CSV, JSON rows, the clock, encoders,
 *   thrift                        Thrift's compact protocol
 *   buf                           bounded buffers
 *   err                           errors
 */
#include <errno.h>
#include <limits.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lakeview/err.h"
#include "lakeview/link.h"
#include "lakeview/push.h"
#include "lakeview/time.h"
#include "lakeview/tree.h"

/* The detail becomes "<what>: <detail, or the code's text>". */
static int fail_as(int rc, const char *what)
{
	return lv_err_set(rc, "%s: %s", what, lv_err_message(rc));
}

static int conf_failed(int rc, const char *dir)
{
	if (dir)
		return lv_err_set(rc, "cannot write %s/lakeview.conf: %s", dir,
				  lv_strerror(rc));
	return lv_err_set(rc, "cannot write lakeview.conf: %s", lv_strerror(rc));
}

/* Delete a store's files, and its directory when @and_dir; 0 or -errno. */
static int remove_store(const char *dir, int and_dir)
{
	char p[PATH_MAX];

	for (int i = 0; i < LV_STORE_NFILES; i++) {
		int rc = lv_store_file(dir, (enum lv_store_file)i, p, sizeof(p));

		if (rc)
			return rc;
		if (unlink(p) != 0 && errno != ENOENT)
			return -errno;
	}
	if (and_dir && rmdir(dir) != 0)
		return -errno;
	return 0;
}

/*
 * Create the missing parents of the store directory, as `mkdir -p` would
 * (mode 0755): `link --store /var/lib/lakeview/prod` works on a system
 * where /var/lib/lakeview does not exist yet.
 */
static int make_parents(const char *dir)
{
	char p[PATH_MAX];
	size_t n = strlen(dir);

	if (n >= sizeof(p))
		return lv_err_set(-ENAMETOOLONG, "cannot create the store: path too long: %s", dir);
	memcpy(p, dir, n + 1);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	for (char *s = p + 1; (s = strchr(s, '/')) != NULL; s++) {
		struct stat sb;

		*s = '\0';
		if (stat(p, &sb) != 0 && mkdir(p, 0755) != 0 && errno != EEXIST)
			return lv_err_set(-errno, "cannot create the store: cannot create %s: %s",
					  p, strerror(errno));
		*s = '/';
	}
	return 0;
}

static int count_table(void *arg, const struct lv_dv_table *t)
{
	(void)t;
	(*(unsigned *)arg)++;
	return 0;
}

/* Does the source answer: a token, and its tables? */
static int check_source(const struct lv_link_conf *c, unsigned *ntables)
{
	struct lv_dv *dv = NULL;
	int rc;

	rc = lv_dv_new(&c->source, &dv);
	if (!rc)
		rc = lv_dv_tables(dv, 1, count_table, ntables);
	lv_dv_free(dv);
	if (rc)
		return fail_as(rc, "cannot reach Dataverse; nothing was written");
	return 0;
}

/* Refuse a used directory before anything reaches the cloud. */
static int check_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int used = 0;

	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			used = 1;
	if (d)
		closedir(d);
	if (used)
		return lv_err_set(-EEXIST, "cannot create the store: %s is not empty (a store exists there, or other files)", dir);
	return 0;
}

/* Create or claim the sink's container; its lake URL into @out. */
static int claim_sink(const struct lv_link_conf *c, struct lv_link_info *out)
{
	struct lv_adls *a = NULL;
	int rc;

	rc = lv_adls_new(&c->sink, &a);
	if (!rc)
		rc = lv_adls_container_claim(a, out->container, c->adopt);
	if (!rc)
		rc = lv_adls_lake_url(c->sink.url, c->sink.account, out->container,
				      out->lake_url, sizeof(out->lake_url));
	lv_adls_free(a);
	if (rc)
		return fail_as(rc, "cannot use the storage account; nothing was written");
	return 0;
}

/* One lakeview.conf entry; a NULL value is not written. */
struct conf_kv {
	const char *key, *value;
};

static int conf_put(struct lv_store *st, const struct conf_kv *kv, size_t n)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < n; i++)
		if (kv[i].value)
			rc = lv_store_conf_set(st, kv[i].key, kv[i].value);
	return rc;
}

static int conf_source(struct lv_store *st, const struct lv_link_conf *c)
{
	const struct lv_dv_conf *dc = &c->source;
	char page[16];
	const struct conf_kv kv[] = {
		{ "dataverse_url", dc->url },
		{ "tenant_id", dc->tenant_id },
		{ "client_id", dc->client_id },
		{ "client_secret_file", c->source_secret_file },
		{ "token_url", dc->token_url },
		{ "ca_file", dc->ca_file },
		{ "page_size", dc->page_size ? page : NULL },
	};

	snprintf(page, sizeof(page), "%u", dc->page_size);
	return conf_put(st, kv, sizeof(kv) / sizeof(kv[0]));
}

static int conf_sink(struct lv_store *st, const struct lv_link_conf *c,
		     const char *lake_url)
{
	const struct lv_adls_conf *ac = &c->sink;
	const struct conf_kv kv[] = {
		{ "adls_url", ac->url },
		{ "adls_account", ac->account },
		{ "adls_key_file", c->sink_key_file },
		{ "adls_sas_file", c->sink_sas_file },
		{ "adls_client_secret_file", c->sink_secret_file },
		{ "adls_tenant_id", ac->tenant_id },
		{ "adls_client_id", ac->client_id },
		{ "adls_token_url", ac->token_url },
		{ "lake_url", lake_url },
	};

	return conf_put(st, kv, sizeof(kv) / sizeof(kv[0]));
}

int lv_link_create(const struct lv_link_conf *c, struct lv_link_info *out)
{
	struct lv_store *st = NULL;
	int rc, made_dir;

	memset(out, 0, sizeof(*out));
	lv_store_container_name(c->environment, c->organization, out->container,
				sizeof(out->container));
	if (c->source.url) {
		rc = check_source(c, &out->ntables);
		if (rc)
			return rc;
	}
	rc = check_dir(c->dir);
	if (!rc && c->sink.url)
		rc = claim_sink(c, out);
	if (!rc)
		rc = make_parents(c->dir);
	if (rc)
		return rc;
	made_dir = access(c->dir, F_OK) != 0;
	rc = lv_store_create(c->dir, c->environment, c->organization, &st);
	if (rc)
		return fail_as(rc, "cannot create the store");
	rc = lv_tree_init(st);  /* the tree's root: the store is below the tree */
	if (rc)
		rc = fail_as(rc, "cannot create the store");
	if (!rc && c->source.url) {
		rc = conf_source(st, c);
		if (rc)
			rc = conf_failed(rc, c->dir);
	}
	if (!rc && c->sink.url) {
		rc = conf_sink(st, c, out->lake_url);
		if (rc)
			rc = conf_failed(rc, c->dir);
	}
	lv_store_close(st);
	if (rc)  /* a half-made store would refuse the next link */
		(void)remove_store(c->dir, made_dir);
	return rc;
}

const char *lv_link_unlinked(const struct lv_store *st)
{
	const char *u = lv_store_conf_get(st, "unlinked");

	return u && *u ? u : NULL;
}

int lv_link_unlink(struct lv_store *st, int delete_file_system)
{
	struct lv_adls *a = NULL;
	char when[64];
	int rc;

	if (!delete_file_system) {
		rc = lv_time_iso(when, sizeof(when), (int64_t)time(NULL));
		if (!rc)
			rc = lv_store_conf_set(st, "unlinked", when);
		return rc ? conf_failed(rc, NULL) : 0;
	}
	if (!lv_store_conf_get(st, "adls_url"))
		return 0;
	rc = lv_adls_from_store(st, &a);
	if (!rc)
		rc = lv_adls_container_delete(a, lv_store_container(st));
	lv_adls_free(a);
	if (rc)
		return fail_as(rc, "cannot delete the container; the store is kept");
	return 0;
}

struct verify {
	char **names, **etags;
	size_t n;
};

static int collect_name(void *arg, const char *name, const char *etag)
{
	struct verify *v = arg;
	char **p = realloc(v->names, (v->n + 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	v->names = p;
	p = realloc(v->etags, (v->n + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	v->etags = p;
	v->names[v->n] = strdup(name);
	v->etags[v->n] = strdup(etag);
	if (!v->names[v->n] || !v->etags[v->n])
		return -ENOMEM;
	v->n++;
	return 0;
}

int lv_link_verify(struct lv_store *st, struct lv_adls *a, size_t *verified,
		   uint64_t *pending)
{
	struct verify v = { NULL, NULL, 0 };
	struct lv_push_pending before, after;
	int rc;

	*verified = 0;
	*pending = 0;
	/* files the container lost are pushed again */
	rc = lv_push_pending(st, &before);
	if (!rc)
		rc = lv_adls_list(a, lv_store_container(st), NULL, collect_name, &v);
	if (!rc)
		rc = lv_push_verify(st, (const char *const *)v.names,
				    (const char *const *)v.etags, v.n);
	if (!rc)
		rc = lv_push_pending(st, &after);
	if (!rc) {
		*verified = v.n;
		*pending = after.files[0] + after.files[1] + after.files[2];
	}
	for (size_t i = 0; i < v.n; i++) {
		free(v.names[i]);
		free(v.etags[i]);
	}
	free(v.names);
	free(v.etags);
	return rc;
}

int lv_link_relink(struct lv_store *st, int adopt, struct lv_link_relink *out)
{
	struct lv_adls *a = NULL;
	int rc = 0, existed;

	memset(out, 0, sizeof(*out));
	if (lv_store_conf_get(st, "adls_url")) {
		out->sink = 1;
		rc = lv_adls_from_store(st, &a);
		if (rc) {
			rc = fail_as(rc, "cannot connect to the storage account");
			goto out;
		}
		existed = lv_adls_container_exists(a, lv_store_container(st));
		if (existed < 0) {
			rc = fail_as(existed, "cannot reach the storage account");
			goto out;
		}
		rc = lv_adls_container_claim(a, lv_store_container(st), adopt);
		if (rc) {
			rc = fail_as(rc, "cannot use the container");
			goto out;
		}
		if (!existed) {
			out->recreated = 1;
			rc = lv_push_forget(st);
		} else {
			rc = lv_link_verify(st, a, &out->verified, &out->pending);
			out->kept = !rc;
		}
		if (rc) {
			rc = fail_as(rc, "cannot verify the container");
			goto out;
		}
	}
	rc = lv_store_conf_set(st, "unlinked", NULL);
	if (rc)
		rc = conf_failed(rc, NULL);
out:
	lv_adls_free(a);
	return rc;
}

int lv_link_destroy(const char *dir)
{
	int rc = remove_store(dir, 1);

	if (rc)
		return lv_err_set(rc, "cannot remove the store %s: %s", dir, strerror(-rc));
	return 0;
}
