/*
 * cmd_push.c - the sink side of a link: `lakectl push`, `unlink`, `relink`.
 *
 * unlink stops the link (sync and push refuse to run) and keeps the data,
 * or, with --delete-file-system and a confirmation, deletes the container
 * and the store. relink resumes a kept link, verifying the container, or
 * recreates a deleted container and pushes everything again.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lakectl.h"
#include "lakeview/adls.h"
#include "lakeview/push.h"
#include "lakeview/link.h"

static const char push_help[] =
	"usage: lakectl push --store DIR\n"
	"\n"
	"Push every lake file that changed since the last push to the linked\n"
	"storage container: data files first, per-table manifests next,\n"
	"model.json last, then delete the files that left the lake. Only new\n"
	"blocks travel; snapshots are server-side copies where possible. An\n"
	"interrupted push resumes where it stopped.\n";

static const char unlink_help[] =
	"usage: lakectl unlink --store DIR [--delete-file-system [--yes]]\n"
	"\n"
	"Stop syncing and pushing this link. The store and the container stay,\n"
	"so 'lakectl relink' can resume. With --delete-file-system, delete the\n"
	"storage container and the local store too, after a confirmation that\n"
	"--yes answers in advance. This cannot be undone.\n";

static const char relink_help[] =
	"usage: lakectl relink --store DIR [--adopt]\n"
	"\n"
	"Resume an unlinked link. If the container was kept and holds this\n"
	"link's data, it is verified and reused (files missing from it are\n"
	"pushed again); if it was deleted, it is recreated and the whole lake\n"
	"is pushed. (The cloud service requires deleting a kept container before\n"
	"relinking; lakeview does not.)\n";

int link_active(struct lv_store *st)
{
	const char *u = lv_link_unlinked(st);

	if (u)
		return fail("this link was unlinked (%s); run 'lakectl relink --store %s' to resume",
			    u, lv_store_dir(st));
	return 0;
}

static void print_stats(const struct lv_push_stats *s)
{
	printf("push: %u uploaded, %u copied on the server, %u deleted, %u unchanged; "
	       "%llu bytes sent (files over 4 MiB go as blocks: %llu sent, %llu reused)\n",
	       s->uploaded, s->copied, s->deleted, s->unchanged,
	       (unsigned long long)s->bytes_sent, (unsigned long long)s->blocks_sent,
	       (unsigned long long)s->blocks_reused);
}

int do_push(struct lv_store *st)
{
	struct lv_push_stats s;
	struct lv_adls *a;
	int rc;

	rc = lv_adls_from_store(st, &a);
	if (rc)
		return fail_rc(rc, "cannot connect to the storage account");
	rc = lv_push(st, a, &s);
	if (rc)
		rc = fail("push failed after %u files: %s; run 'lakectl push' again to resume",
			  s.uploaded + s.copied + s.deleted,
			  lv_err_message(rc));
	else
		print_stats(&s);
	lv_adls_free(a);
	return rc;
}

static int simple_opts(int argc, char **argv, const char *cmd, const char **dir,
		       int *flag1, const char *f1, int *flag2, const char *f2)
{
	const struct option opts[] = {
		{ "store", required_argument, NULL, 's' },
		{ f1 ? f1 : "-", no_argument, NULL, '1' },
		{ f2 ? f2 : "--", no_argument, NULL, '2' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	if (check_exact(argc, argv, opts))
		return EXIT_USAGE;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		switch (c) {
		case 's': *dir = optarg; break;
		case '1': *flag1 = 1; break;
		case '2': *flag2 = 1; break;
		case ':': return usage_error(cmd, "option %s needs a value", argv[optind - 1]);
		default: return usage_error(cmd, "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind != argc)
		return usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	*dir = store_arg(*dir, cmd);
	return *dir ? 0 : EXIT_USAGE;
}

int cmd_push(int argc, char **argv)
{
	const char *dir = NULL;
	struct lv_store *st;
	int rc, x = 0, y = 0;

	if (want_help(argc, argv, push_help))
		return 0;
	rc = simple_opts(argc, argv, "push", &dir, &x, NULL, &y, NULL);
	if (rc)
		return rc;
	rc = open_store(dir, 0, &st);
	if (rc)
		return rc;
	rc = link_active(st);
	if (!rc)
		rc = do_push(st);
	lv_store_close(st);
	return rc;
}

int cmd_unlink(int argc, char **argv)
{
	const char *dir = NULL;
	struct lv_store *st;
	int rc, del = 0, yes = 0;

	if (want_help(argc, argv, unlink_help))
		return 0;
	rc = simple_opts(argc, argv, "unlink", &dir, &del, "delete-file-system", &yes, "yes");
	if (rc)
		return rc;
	if (yes && !del)
		return usage_error("unlink", "--yes confirms --delete-file-system; give both");
	rc = open_store(dir, 0, &st);
	if (rc)
		return rc;
	if (!del) {
		rc = lv_link_unlink(st, 0);
		if (rc)
			rc = fail("%s", lv_err_message(rc));
		else
			printf("unlinked %s: syncing and pushing stopped; the store%s kept (lakectl relink resumes)\n",
			       dir, lv_store_conf_get(st, "adls_url") ? " and the container are" : " is");
		lv_store_close(st);
		return rc;
	}
	if (!yes) {
		char answer[16] = "";

		printf("Delete %s%s%s and the store %s? This cannot be undone. [y/N] ",
		       lv_store_conf_get(st, "adls_url") ? "container " : "",
		       lv_store_conf_get(st, "adls_url") ? lv_store_container(st) : "",
		       lv_store_conf_get(st, "adls_url") ? "" : "", dir);
		fflush(stdout);
		if (!isatty(0) || !fgets(answer, sizeof(answer), stdin) ||
		    (answer[0] != 'y' && answer[0] != 'Y')) {
			if (!isatty(0))
				putchar('\n');
			lv_store_close(st);
			return fail("nothing deleted%s", isatty(0) ? "" : " (no terminal to confirm on: pass --yes)");
		}
	}
	rc = lv_link_unlink(st, 1);
	if (rc) {
		rc = fail("%s", lv_err_message(rc));
		lv_store_close(st);
		return rc;
	}
	if (lv_store_conf_get(st, "adls_url"))
		printf("deleted container %s\n", lv_store_container(st));
	lv_store_close(st);
	rc = lv_link_destroy(dir);
	if (rc)
		return fail("%s", lv_err_message(rc));
	printf("deleted store %s\n", dir);
	return 0;
}

int cmd_relink(int argc, char **argv)
{
	const char *dir = NULL;
	struct lv_store *st;
	struct lv_link_relink r;
	int rc, adopt = 0, y = 0;

	if (want_help(argc, argv, relink_help))
		return 0;
	rc = simple_opts(argc, argv, "relink", &dir, &adopt, "adopt", &y, NULL);
	if (rc)
		return rc;
	rc = open_store(dir, 0, &st);
	if (rc)
		return rc;
	rc = lv_link_relink(st, adopt, &r);
	if (r.recreated)
		printf("container %s was deleted: recreated it; the whole lake is pushed again\n",
		       lv_store_container(st));
	else if (r.kept)
		printf("container %s was kept: verified %zu files and reused it; %llu missing or changed files are pushed again\n",
		       lv_store_container(st), r.verified, (unsigned long long)r.pending);
	if (rc) {
		rc = fail("%s", lv_err_message(rc));
		goto out;
	}
	printf("relinked %s: 'lakectl sync' resumes where the link stopped\n", dir);
	if (r.sink)
		rc = do_push(st);
out:
	lv_store_close(st);
	return rc;
}
