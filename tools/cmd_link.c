/*
 * cmd_link.c - `lakectl link`: create a store for one link, and connect it
 * to a Dataverse environment (the portal's "New link").
 *
 * With a source, link checks before it writes anything that it can get a
 * token and list the tables, so a typo in a URL or a secret fails here,
 * not at the first sync. Secrets are never taken on the command line:
 * only a file name, or $LAKEVIEW_CLIENT_SECRET. The link itself is made by
 * lv_link_create() (core/link.c); this file checks the options and reads
 * the secrets, all before the first call goes out.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lakectl.h"
#include "lakeview/link.h"
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

int cmd_link(int argc, char **argv)
{
	struct lc_args a;
	const char *dir = NULL, *env = NULL, *org = NULL;
	struct lv_dv_conf dc = { 0 };
	const char *secret_file = NULL;
	char secret_abs[PATH_MAX], ca_abs[PATH_MAX], page[16] = "";
	char *secret = NULL, *sec = NULL;
	int c, rc, adopt = 0;
	struct lv_adls_conf ac = { 0 };
	const char *akey = NULL, *asas = NULL, *asec = NULL;
	char akey_abs[PATH_MAX], asas_abs[PATH_MAX], asec_abs[PATH_MAX];
	struct lv_link_conf lc = { 0 };
	struct lv_link_info info;

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
	if (dc.url && (!dc.tenant_id || !dc.client_id))
		return usage_error("link", "--dataverse-url needs --tenant-id and --client-id");
	if ((ac.account || akey || asas || asec || ac.client_id) && !ac.url)
		return usage_error("link", "the --adls-* options go with --adls-url");
	if (ac.url) {
		int kinds = !!akey + !!asas + !!(asec || ac.client_id);

		if (!ac.account)
			return usage_error("link", "--adls-url needs --adls-account");
		if (kinds > 1)
			return usage_error("link", "give one of --adls-key-file, --adls-sas-file or the --adls-client-* options");
		if (!akey && !asas && !asec && !ac.client_id && !getenv("LAKEVIEW_ADLS_KEY") &&
		    !getenv("LAKEVIEW_ADLS_SAS"))
			return usage_error("link", "--adls-url needs credentials: --adls-key-file, --adls-sas-file or --adls-client-id with a secret");
	}
	if (dc.url) {
		if (secret_file && !realpath(secret_file, secret_abs))
			return fail("cannot read secret file %s: %s", secret_file, strerror(errno));
		if (dc.ca_file && !realpath(dc.ca_file, ca_abs))
			return fail("cannot read CA file %s: %s", dc.ca_file, strerror(errno));
		if (dc.ca_file)
			dc.ca_file = ca_abs;
		secret = lv_secret_load(secret_file ? secret_abs : NULL, "LAKEVIEW_CLIENT_SECRET");
		if (!secret)
			return fail("%s; pass --client-secret-file F (the secret never goes on the command line)",
				    lv_err_message(LV_EAUTH));
		dc.secret = secret;
		lc.source = dc;
		lc.source_secret_file = secret_file ? secret_abs : NULL;
	}
	if (ac.url) {
		int kinds = !!akey + !!asas + !!(asec || ac.client_id);

		rc = 0;
		if (akey && !realpath(akey, akey_abs))
			rc = fail("cannot read key file %s: %s", akey, strerror(errno));
		else if (asas && !realpath(asas, asas_abs))
			rc = fail("cannot read SAS file %s: %s", asas, strerror(errno));
		else if (asec && !realpath(asec, asec_abs))
			rc = fail("cannot read secret file %s: %s", asec, strerror(errno));
		else if (akey || (kinds == 0 && getenv("LAKEVIEW_ADLS_KEY")))
			ac.key = sec = lv_secret_load(akey ? akey_abs : NULL, "LAKEVIEW_ADLS_KEY");
		else if (asas || (kinds == 0 && getenv("LAKEVIEW_ADLS_SAS")))
			ac.sas = sec = lv_secret_load(asas ? asas_abs : NULL, "LAKEVIEW_ADLS_SAS");
		else
			ac.secret = sec = lv_secret_load(asec ? asec_abs : NULL, "LAKEVIEW_ADLS_CLIENT_SECRET");
		if (!rc && !sec)
			rc = fail("%s", lv_err_message(LV_EAUTH));
		if (rc)
			goto out;
		lc.sink = ac;
		lc.sink_key_file = akey ? akey_abs : NULL;
		lc.sink_sas_file = asas ? asas_abs : NULL;
		lc.sink_secret_file = asec ? asec_abs : NULL;
		lc.adopt = adopt;
	}
	lc.dir = dir;
	lc.environment = env;
	lc.organization = org;
	rc = lv_link_create(&lc, &info);
	if (rc) {
		rc = fail("%s", lv_err_message(rc));
		goto out;
	}
	printf("linked %s: container %s", dir, info.container);
	if (dc.url)
		printf(", source %s (%u tables with change tracking)", dc.url, info.ntables);
	if (ac.url)
		printf(", sink %s", info.lake_url);
	putchar('\n');
out:
	if (secret) {
		memset(secret, 0, strlen(secret));
		free(secret);
	}
	if (sec) {
		memset(sec, 0, strlen(sec));
		free(sec);
	}
	return rc;
}
