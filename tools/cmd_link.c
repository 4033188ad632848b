/*
 * cmd_link.c - `lakectl link`: create a store for one link, and connect it
 * to a Dataverse environment (the portal's "New link").
 *
 * With a source, link checks before it writes anything that it can get a
 * token and list the tables, so a typo in a URL or a secret fails here,
 * not at the first sync. Secrets are never taken on the command line:
 * only a file name, or $LAKEVIEW_CLIENT_SECRET.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "lakectl.h"
#include "lakeview/adls.h"
#include "lakeview/dataverse.h"
#include "lakeview/oauth.h"

static const char help[] =
	"usage: lakectl link --store DIR --environment ENV --organization ORG\n"
	"         [--dataverse-url URL --tenant-id T --client-id C\n"
	"          (--client-secret-file F | $LAKEVIEW_CLIENT_SECRET)\n"
	"          [--token-url URL] [--ca-file F] [--page-size N]]\n"
	"         [--adls-url URL --adls-account NAME\n"
	"          (--adls-key-file F | --adls-sas-file F |\n"
	"           --adls-tenant-id T --adls-client-id C --adls-client-secret-file F)\n"
	"          [--adopt]]\n"
	"\n"
	"Create a store for one link: Dataverse environment ENV, organization\n"
	"unique name ORG, lake container dataverse-ENV-ORG. Missing parent\n"
	"directories are created (mode 0755); a directory that already holds a\n"
	"store or any other file is refused.\n"
	"\n"
	"With --dataverse-url the store syncs from that environment (lakectl\n"
	"sync): the app registration's tenant and client id, and its secret in\n"
	"a file (first line) or $LAKEVIEW_CLIENT_SECRET. link first checks that\n"
	"it can get a token and list the tables, and writes nothing otherwise.\n"
	"--token-url overrides https://login.microsoftonline.com/T/oauth2/v2.0/token;\n"
	"--ca-file trusts a private CA (TLS is always verified).\n"
	"\n"
	"With --adls-url the lake is also pushed to that storage account\n"
	"(https://ACCOUNT.blob.core.windows.net, or an endpoint with the account\n"
	"in its path such as Azurite's), container dataverse-ENV-ORG, with an\n"
	"account key, a SAS token or an app registration (secrets in files, or\n"
	"$LAKEVIEW_ADLS_KEY / $LAKEVIEW_ADLS_SAS / $LAKEVIEW_ADLS_CLIENT_SECRET).\n"
	"link creates the container when missing and refuses one holding files\n"
	"it did not write, unless --adopt. model.json locations then point at\n"
	"https://ACCOUNT.dfs.core.windows.net/CONTAINER (fixed at link time).\n";

static const struct lc_opt opts[] = {
	LC_OPT_STORE,
	{ "environment", 0, 'e', "ENV", "Dataverse environment name (required)" },
	{ "organization", 0, 'o', "ORG", "organization unique name (required)" },
	{ "dataverse-url", 0, 'u', "URL", "source: the environment's Web API URL" },
	{ "tenant-id", 0, 't', "T", "source: Entra ID tenant of the app" },
	{ "client-id", 0, 'c', "C", "source: the app (client) id" },
	{ "client-secret-file", 0, 'f', "F", "source: file holding the client secret" },
	{ "token-url", 0, 'k', "URL", "source: token endpoint (default: Entra ID's)" },
	{ "ca-file", 0, 'a', "F", "source: CA certificates to trust (PEM)" },
	{ "page-size", 0, 'p', "N", "source: rows per page, 1 to 5000" },
	{ "adls-url", 0, 'A', "URL", "sink: the storage account's dfs endpoint" },
	{ "adls-account", 0, 'N', "NAME", "sink: storage account name" },
	{ "adls-key-file", 0, 'K', "F", "sink: file holding the account key" },
	{ "adls-sas-file", 0, 'S', "F", "sink: file holding a SAS token" },
	{ "adls-tenant-id", 0, 'T', "T", "sink: Entra ID tenant of the app" },
	{ "adls-client-id", 0, 'C', "C", "sink: the app (client) id" },
	{ "adls-client-secret-file", 0, 'F', "F", "sink: file holding the client secret" },
	{ "adls-token-url", 0, 'U', "URL", "sink: token endpoint (default: Entra ID's)" },
	{ "adopt", 0, 'D', NULL, "sink: use a container that holds other files" },
	LC_OPT_END,
};

static const struct lc_cmd cmd = { "link", help, opts };

/*
 * Create the missing parents of the store directory, as `mkdir -p` would
 * (mode 0755): `link --store /var/lib/lakeview/prod` works on a system
 * where /var/lib/lakeview does not exist yet. 0, or fail()'s 1.
 */
static int make_parents(const char *dir)
{
	char p[PATH_MAX];
	size_t n = strlen(dir);

	if (n >= sizeof(p))
		return fail("cannot create the store: path too long: %s", dir);
	memcpy(p, dir, n + 1);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	for (char *s = p + 1; (s = strchr(s, '/')) != NULL; s++) {
		struct stat sb;

		*s = '\0';
		if (stat(p, &sb) != 0 && mkdir(p, 0755) != 0 && errno != EEXIST)
			return fail("cannot create the store: cannot create %s: %s", p, strerror(errno));
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

int cmd_link(int argc, char **argv)
{
	struct lc_args a;
	const char *dir = NULL, *env = NULL, *org = NULL;
	struct lv_dv_conf dc = { 0 };
	const char *secret_file = NULL;
	char secret_abs[PATH_MAX], ca_abs[PATH_MAX], page[16] = "";
	struct lv_store *st = NULL;
	struct lv_dv *dv = NULL;
	char *secret = NULL;
	unsigned ntables = 0;
	int c, rc, adopt = 0, created = 0, made_dir = 0;
	struct lv_adls_conf ac = { 0 };
	const char *akey = NULL, *asas = NULL, *asec = NULL;
	char akey_abs[PATH_MAX], asas_abs[PATH_MAX], asec_abs[PATH_MAX];
	char lake_url[4096], container[256];
	struct lv_adls *adls = NULL;

	if (lc_opts_begin(&a, &cmd, argc, argv))
		return a.status;
	while ((c = lc_opts_next(&a)) > 0) {
		switch (c) {
		case 'e': env = optarg; break;
		case 'o': org = optarg; break;
		case 'u': dc.url = optarg; break;
		case 't': dc.tenant_id = optarg; break;
		case 'c': dc.client_id = optarg; break;
		case 'f': secret_file = optarg; break;
		case 'k': dc.token_url = optarg; break;
		case 'a': dc.ca_file = optarg; break;
		case 'p': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end || v < 1 || v > 5000)
				return usage_error("link", "--page-size is 1 to 5000, not '%s'", optarg);
			dc.page_size = (unsigned)v;
			snprintf(page, sizeof(page), "%lu", v);
			break;
		}
		case 'A': ac.url = optarg; break;
		case 'N': ac.account = optarg; break;
		case 'K': akey = optarg; break;
		case 'S': asas = optarg; break;
		case 'T': ac.tenant_id = optarg; break;
		case 'C': ac.client_id = optarg; break;
		case 'F': asec = optarg; break;
		case 'U': ac.token_url = optarg; break;
		case 'D': adopt = 1; break;
		}
	}
	if (c < 0)
		return -c;
	if (optind < argc)
		return usage_error("link", "unexpected argument '%s'", argv[optind]);
	dir = lc_store_dir(&a);
	if (!dir)
		return EXIT_USAGE;
	if (!env || !org)
		return usage_error("link", "--environment and --organization are required");
	if ((dc.tenant_id || dc.client_id || secret_file || dc.token_url) && !dc.url)
		return usage_error("link", "--tenant-id, --client-id and the secret go with --dataverse-url");
	if (dc.url) {
		if (!dc.tenant_id || !dc.client_id)
			return usage_error("link", "--dataverse-url needs --tenant-id and --client-id");
		if (secret_file && !realpath(secret_file, secret_abs))
			return fail("cannot read secret file %s: %s", secret_file, strerror(errno));
		if (dc.ca_file && !realpath(dc.ca_file, ca_abs))
			return fail("cannot read CA file %s: %s", dc.ca_file, strerror(errno));
		if (dc.ca_file)
			dc.ca_file = ca_abs;
		secret = lv_secret_load(secret_file ? secret_abs : NULL, "LAKEVIEW_CLIENT_SECRET");
		if (!secret)
			return fail("%s; pass --client-secret-file F (the secret never goes on the command line)",
				    lv_err_detail());
		dc.secret = secret;
		rc = lv_dv_new(&dc, &dv);
		if (!rc)
			rc = lv_dv_tables(dv, 1, count_table, &ntables);
		memset(secret, 0, strlen(secret));
		free(secret);
		if (rc) {
			rc = fail_rc(rc, "cannot reach Dataverse; nothing was written");
			goto out;
		}
	}
	{
		/* refuse a used directory before anything reaches the cloud */
		DIR *d = opendir(dir);
		struct dirent *e;
		int used = 0;

		while (d && (e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				used = 1;
		if (d)
			closedir(d);
		if (used)
			return fail("cannot create the store: %s is not empty (a store exists there, or other files)", dir);
	}
	if ((ac.account || akey || asas || asec || ac.client_id) && !ac.url)
		return usage_error("link", "the --adls-* options go with --adls-url");
	if (ac.url) {
		char *sec = NULL;
		int kinds = !!akey + !!asas + !!(asec || ac.client_id);

		if (!ac.account)
			return usage_error("link", "--adls-url needs --adls-account");
		if (kinds > 1)
			return usage_error("link", "give one of --adls-key-file, --adls-sas-file or the --adls-client-* options");
		if (akey && !realpath(akey, akey_abs))
			return fail("cannot read key file %s: %s", akey, strerror(errno));
		if (asas && !realpath(asas, asas_abs))
			return fail("cannot read SAS file %s: %s", asas, strerror(errno));
		if (asec && !realpath(asec, asec_abs))
			return fail("cannot read secret file %s: %s", asec, strerror(errno));
		if (akey || (kinds == 0 && getenv("LAKEVIEW_ADLS_KEY"))) {
			sec = lv_secret_load(akey ? akey_abs : NULL, "LAKEVIEW_ADLS_KEY");
			ac.key = sec;
		} else if (asas || (kinds == 0 && getenv("LAKEVIEW_ADLS_SAS"))) {
			sec = lv_secret_load(asas ? asas_abs : NULL, "LAKEVIEW_ADLS_SAS");
			ac.sas = sec;
		} else if (asec || ac.client_id) {
			sec = lv_secret_load(asec ? asec_abs : NULL, "LAKEVIEW_ADLS_CLIENT_SECRET");
			ac.secret = sec;
		} else {
			return usage_error("link", "--adls-url needs credentials: --adls-key-file, --adls-sas-file or --adls-client-id with a secret");
		}
		if (!sec) {
			rc = fail("%s", lv_err_detail());
			goto out;
		}
		snprintf(container, sizeof(container), "dataverse-%s-%s", env, org);
		for (char *q = container; *q; q++)
			if (*q >= 'A' && *q <= 'Z')
				*q = (char)(*q - 'A' + 'a');
		rc = lv_adls_new(&ac, &adls);
		if (!rc)
			rc = lv_adls_container_claim(adls, container, adopt);
		if (!rc)
			rc = lv_adls_lake_url(ac.url, ac.account, container, lake_url, sizeof(lake_url));
		memset(sec, 0, strlen(sec));
		free(sec);
		if (rc) {
			rc = fail_rc(rc, "cannot use the storage account; nothing was written");
			goto out;
		}
	}
	rc = make_parents(dir);
	if (rc)
		goto out;
	made_dir = access(dir, F_OK) != 0;
	rc = lv_store_create(dir, env, org, &st);
	if (rc) {
		rc = fail_rc(rc, "cannot create the store");
		goto out;
	}
	created = 1;
	if (dc.url) {
		rc = lv_store_conf_set(st, "dataverse_url", dc.url);
		if (!rc)
			rc = lv_store_conf_set(st, "tenant_id", dc.tenant_id);
		if (!rc)
			rc = lv_store_conf_set(st, "client_id", dc.client_id);
		if (!rc && secret_file)
			rc = lv_store_conf_set(st, "client_secret_file", secret_abs);
		if (!rc && dc.token_url)
			rc = lv_store_conf_set(st, "token_url", dc.token_url);
		if (!rc && dc.ca_file)
			rc = lv_store_conf_set(st, "ca_file", dc.ca_file);
		if (!rc && page[0])
			rc = lv_store_conf_set(st, "page_size", page);
		if (rc) {
			rc = fail("cannot write %s/lakeview.conf: %s", dir, lv_strerror(rc));
			goto out;
		}
	}
	if (ac.url) {
		rc = lv_store_conf_set(st, "adls_url", ac.url);
		if (!rc)
			rc = lv_store_conf_set(st, "adls_account", ac.account);
		if (!rc && akey)
			rc = lv_store_conf_set(st, "adls_key_file", akey_abs);
		if (!rc && asas)
			rc = lv_store_conf_set(st, "adls_sas_file", asas_abs);
		if (!rc && asec)
			rc = lv_store_conf_set(st, "adls_client_secret_file", asec_abs);
		if (!rc && ac.tenant_id)
			rc = lv_store_conf_set(st, "adls_tenant_id", ac.tenant_id);
		if (!rc && ac.client_id)
			rc = lv_store_conf_set(st, "adls_client_id", ac.client_id);
		if (!rc && ac.token_url)
			rc = lv_store_conf_set(st, "adls_token_url", ac.token_url);
		if (!rc)
			rc = lv_store_conf_set(st, "lake_url", lake_url);
		if (rc) {
			rc = fail("cannot write %s/lakeview.conf: %s", dir, lv_strerror(rc));
			goto out;
		}
	}
	printf("linked %s: container %s", dir, lv_store_container(st));
	if (dc.url)
		printf(", source %s (%u tables with change tracking)", dc.url, ntables);
	if (ac.url)
		printf(", sink %s", lake_url);
	putchar('\n');
out:
	lv_adls_free(adls);
	lv_dv_free(dv);
	lv_store_close(st);
	if (rc && created)  /* a half-made store would refuse the next link */
		(void)remove_store(dir, made_dir);
	return rc;
}
