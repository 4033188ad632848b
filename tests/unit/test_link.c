/*
 * test_link.c - the link's lifecycle (core/link.c) driven the way lakectl
 * drives it: create (names refused, a used directory refused, missing
 * parents made, lakeview.conf written, an unreachable source writing
 * nothing), unlink and relink (the "unlinked" mark), unlink with the file
 * system, destroy. No network: the source is a closed local port.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "lakeview/err.h"
#include "lakeview/link.h"

static char base[4096];

static int exists(const char *dir, const char *file)
{
	char p[4300];

	snprintf(p, sizeof(p), "%s%s%s", dir, file ? "/" : "", file ? file : "");
	return access(p, F_OK) == 0;
}

/* Does @dir/lakeview.conf hold the line "key = value"? */
static int conf_has(const char *dir, const char *key, const char *value)
{
	char p[4300], line[1024], want[1024];
	FILE *f;
	int found = 0;

	snprintf(p, sizeof(p), "%s/lakeview.conf", dir);
	snprintf(want, sizeof(want), "%s = %s\n", key, value);
	f = fopen(p, "r");
	while (f && !found && fgets(line, sizeof(line), f))
		found = strcmp(line, want) == 0;
	if (f)
		fclose(f);
	return found;
}

static int starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int main(void)
{
	struct lv_link_conf c = { 0 };
	struct lv_link_info info;
	struct lv_link_relink r;
	struct lv_store *st;
	char dir[4300], used[4200], bad[4200], nosrc[4200];
	const char *u;
	FILE *f;

	if (check_tmpdir(base, sizeof(base), "link"))
		return 1;

	/* names that cannot form a container name: refused, nothing made */
	snprintf(bad, sizeof(bad), "%s/bad", base);
	c.dir = bad;
	c.environment = "no env";
	c.organization = "org";
	CHECK(lv_link_create(&c, &info) == LV_EBADNAME);
	CHECK(starts(lv_err_detail(), "cannot create the store: environment name 'no env'"));
	CHECK(!exists(bad, NULL));
	c.environment = "env";
	c.organization = "org-1";
	CHECK(lv_link_create(&c, &info) == LV_EBADNAME);
	CHECK(starts(lv_err_detail(), "cannot create the store: organization name"));
	CHECK(!exists(bad, NULL));

	/* a used directory: refused, its file left alone */
	snprintf(used, sizeof(used), "%s/used", base);
	CHECK(mkdir(used, 0755) == 0);
	snprintf(dir, sizeof(dir), "%s/keep.txt", used);
	f = fopen(dir, "w");
	CHECK(f != NULL);
	if (f)
		fclose(f);
	c.dir = used;
	c.organization = "org";
	CHECK(lv_link_create(&c, &info) == -EEXIST);
	CHECK(starts(lv_err_detail(), "cannot create the store: "));
	CHECK(strstr(lv_err_detail(), "is not empty") != NULL);
	CHECK(exists(used, "keep.txt"));
	CHECK(!exists(used, "data.mdb"));

	/* a source that does not answer: nothing written */
	snprintf(nosrc, sizeof(nosrc), "%s/nosrc", base);
	c.dir = nosrc;
	c.source.url = "http://127.0.0.1:1";
	c.source.token_url = "http://127.0.0.1:1/token";
	c.source.tenant_id = "t";
	c.source.client_id = "c";
	c.source.secret = "s";
	c.source.retry_tries = 1;
	c.source.retry_base_ms = 1;
	CHECK(lv_link_create(&c, &info) != 0);
	CHECK(starts(lv_err_detail(), "cannot reach Dataverse; nothing was written: "));
	CHECK(!exists(nosrc, NULL));
	memset(&c.source, 0, sizeof(c.source));

	/* a link without source or sink, missing parents made */
	snprintf(dir, sizeof(dir), "%s/a/b/store", base);
	c.dir = dir;
	c.environment = "Prod-EU";
	c.organization = "Org1";
	CHECK_RC(lv_link_create(&c, &info));
	CHECK(strcmp(info.container, "dataverse-prod-eu-org1") == 0);
	CHECK(info.lake_url[0] == '\0' && info.ntables == 0);
	CHECK(exists(dir, "data.mdb"));
	CHECK(conf_has(dir, "environment", "Prod-EU"));
	CHECK(conf_has(dir, "organization", "Org1"));
	/* the one container-name rule */
	{
		char name[16 + 2 * LV_LINK_NAME_MAX];

		lv_store_container_name("Prod-EU", "Org1", name, sizeof(name));
		CHECK(strcmp(name, info.container) == 0);
	}
	/* a second link in the same place is refused */
	CHECK(lv_link_create(&c, &info) == -EEXIST);
	CHECK(exists(dir, "data.mdb"));

	/* unlink keeps the store and marks it; relink clears the mark */
	CHECK_RC(lv_store_open(dir, 0, &st));
	CHECK(strcmp(lv_store_container(st), "dataverse-prod-eu-org1") == 0);
	CHECK(lv_link_unlinked(st) == NULL);
	CHECK_RC(lv_link_unlink(st, 0));
	u = lv_link_unlinked(st);
	CHECK(u && strlen(u) == 20 && u[10] == 'T' && u[19] == 'Z');
	lv_store_close(st);
	CHECK(exists(dir, "data.mdb"));
	CHECK_RC(lv_store_open(dir, 0, &st));
	CHECK(lv_link_unlinked(st) != NULL);
	CHECK_RC(lv_link_relink(st, 0, &r));
	CHECK(r.sink == 0 && r.recreated == 0 && r.kept == 0);
	CHECK(lv_link_unlinked(st) == NULL);
	/* with the file system: no sink, so only the store goes */
	CHECK_RC(lv_link_unlink(st, 1));
	lv_store_close(st);
	CHECK(exists(dir, "data.mdb"));
	CHECK_RC(lv_link_destroy(dir));
	CHECK(!exists(dir, NULL));
	CHECK(exists(base, "a/b"));
	CHECK(lv_link_destroy(dir) == -ENOENT);
	CHECK(starts(lv_err_detail(), "cannot remove the store "));
	return check_done();
}
