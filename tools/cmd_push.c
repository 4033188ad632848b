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
#include "lakeview/time.h"

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

static const struct lc_opt unlink_opts[] = {
	LC_OPT_STORE,
	{ "delete-file-system", 0, '1', NULL, "delete the container and the store too" },
	{ "yes", 0, 'y', NULL, "confirm --delete-file-system in advance" },
	LC_OPT_END,
};

static const struct lc_opt relink_opts[] = {
	LC_OPT_STORE,
	{ "adopt", 0, 'D', NULL, "reuse a container that holds other files" },
	LC_OPT_END,
};

static const struct lc_cmd push_cmd = { "push", push_help, lc_opts_store_only };
static const struct lc_cmd unlink_cmd = { "unlink", unlink_help, unlink_opts };
static const struct lc_cmd relink_cmd = { "relink", relink_help, relink_opts };

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

int cmd_push(int argc, char **argv)
{
	struct lv_store *st;
	struct lc_args a;
	int rc;

	if (lc_parse_open(&a, &push_cmd, argc, argv, 0, &st))
		return a.status;
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
	struct lc_args args;

	if (lc_opts_parse(&args, &unlink_cmd, argc, argv))
		return args.status;
	del = lc_flag(&args, '1');
	yes = lc_flag(&args, 'y');
	rc = lc_no_args(&args);
	if (rc)
		return rc;
	dir = lc_store_dir(&args);
	if (!dir)
		return EXIT_USAGE;
	if (yes && !del)
		return usage_error("unlink", "--yes confirms --delete-file-system; give both");
	rc = lc_open(&args, 0, &st);
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
	int rc, adopt = 0;
	struct lc_args args;

	if (lc_opts_parse(&args, &relink_cmd, argc, argv))
		return args.status;
	adopt = lc_flag(&args, 'D');
	rc = lc_no_args(&args);
	if (rc)
		return rc;
	dir = lc_store_dir(&args);
	if (!dir)
		return EXIT_USAGE;
	rc = lc_open(&args, 0, &st);
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
