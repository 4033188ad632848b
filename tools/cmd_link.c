/*
 * cmd_link.c - `lakectl link`: create a store for one link.
 */
#include <stdio.h>
#include <string.h>

#include "lakectl.h"

static const char help[] =
	"usage: lakectl link --store DIR --environment ENV --organization ORG\n"
	"\n"
	"Create a store for one link: Dataverse environment ENV, organization\n"
	"unique name ORG, lake container dataverse-ENV-ORG. Refuses a directory\n"
	"that already holds a store or any other file.\n";

int cmd_link(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "environment", required_argument, NULL, 'e' },
		{ "organization", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *env = NULL, *org = NULL;
	struct lv_store *st;
	int c, rc;

	if (want_help(argc, argv, help))
		return 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 's': dir = optarg; break;
		case 'e': env = optarg; break;
		case 'o': org = optarg; break;
		case ':': return usage_error("link", "option %s needs a value", argv[optind - 1]);
		default: return usage_error("link", "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("link", "unexpected argument '%s'", argv[optind]);
	dir = store_arg(dir, "link");
	if (!dir)
		return EXIT_USAGE;
	if (!env || !org)
		return usage_error("link", "--environment and --organization are required");
	rc = lv_store_create(dir, env, org, &st);
	if (rc)
		return fail_rc(rc, "cannot create the store");
	printf("linked %s: container %s\n", dir, lv_store_container(st));
	lv_store_close(st);
	return 0;
}
