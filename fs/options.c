/*
 * options.c - the daemon's options: ONE table that fuse_opt parses and
 * that `lakeview --help` prints; lakeview(8) and fs/README.md list exactly
 * its rows (tests/docs/test_options.py holds the three together).
 *
 * Why it is shaped this way:
 *
 *  - One row per option the daemon accepts, sshfs style: ours, the
 *    fstab/systemd hints we accept and ignore, and libfuse's own, which
 *    are passed on. Each row carries the fuse_opt entry, how --help shows
 *    it and its help text, so the list, its parsing and its help cannot
 *    drift apart. fuse_opt wants a plain array of struct fuse_opt: it is
 *    copied out of the table once, in table order (fuse_opt acts on every
 *    matching entry in that order, e.g. allow_other is both ours and
 *    passed on). Anything else is an error with one clear line and exit
 *    status 2, before anything is touched - so a typo in fstab fails
 *    loudly instead of in dmesg.
 *
 *  - It is also the mount(8) helper: mount.fuse3 runs
 *    `lakeview STORE MNT -o opts` for `lakeview#STORE` / type
 *    fuse.lakeview, and mount(8) runs `mount.lakeview STORE MNT -o opts`
 *    (the installed symlink) for type lakeview. "rw", which mount(8)
 *    passes by default, is mapped to ro: the lake is read-only and
 *    refusing the default would break every fstab line.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lakeview_i.h"

/* Keys opt_proc acts on; plain flags are set through their offsets. */
enum {
	KEY_FOREGROUND,
	KEY_DEBUG,
	KEY_HELPER_FLAG,
	KEY_SLOPPY,
};

/*
 * A row: the fuse_opt entry (templ NULL: a heading or a documentation-only
 * row), how --help shows it (NULL: parsed, shown by another row; "": in
 * the section's comma list, as "-o templ") and its help text ('\n' starts
 * a continuation line).
 */
struct optrow {
	struct fuse_opt opt;
	const char *shown;
	const char *help;
};

#define LVFS_OPT(t, p, v)  { t, offsetof(struct lvfs_opts, p), v }
#define KEY(t, k)          FUSE_OPT_KEY(t, k)
#define KEEP(t)            FUSE_OPT_KEY(t, FUSE_OPT_KEY_KEEP)
#define IGNORE(t)          FUSE_OPT_KEY(t, FUSE_OPT_KEY_DISCARD)
#define SECTION(title)     { { NULL, 0, 0 }, NULL, title }
#define ROW(o, shown, help) { o, shown, help }
#define ALSO(o)            { o, NULL, NULL }
#define LISTED(o)          { o, "", NULL }
#define DOC(shown, help)   { { NULL, 0, 0 }, shown, help }

_Static_assert(LVFS_DEFAULT_TIMEOUT == 3600.0, "help says 3600");

static const struct optrow rows[] = {
	SECTION("command line:"),
	ROW(KEY("-f", KEY_FOREGROUND), "-f",
	    "stay in the foreground, log to stderr (else syslog);\n"
	    "as mount.lakeview: fake (do everything but mount)"),
	ROW(KEY("-d", KEY_DEBUG), "-d, -o debug",
	    "libfuse debug output (implies -f)"),
	ALSO(KEY("debug", KEY_DEBUG)),
	ROW(LVFS_OPT("-h", show_help, 1), "-h, --help", "this help"),
	ALSO(LVFS_OPT("--help", show_help, 1)),
	ROW(LVFS_OPT("-V", show_version, 1), "-V, --version", "versions"),
	ALSO(LVFS_OPT("--version", show_version, 1)),

	SECTION("lakeview options:"),
	ROW(LVFS_OPT("uid=%u", uid, 0), "-o uid=N",
	    "owner of every file (default: the daemon's)"),
	ALSO(LVFS_OPT("uid=", set_uid, 1)),
	ROW(LVFS_OPT("gid=%u", gid, 0), "-o gid=N",
	    "group of every file (default: the daemon's)"),
	ALSO(LVFS_OPT("gid=", set_gid, 1)),
	ROW(LVFS_OPT("umask=%o", umask, 0), "-o umask=M",
	    "octal mask on 0444 files / 0555 folders"),
	ALSO(LVFS_OPT("umask=", set_umask, 1)),
	ROW(LVFS_OPT("attr_timeout=%lf", attr_timeout, 0), "-o attr_timeout=S",
	    "kernel attribute cache, seconds (3600)"),
	ROW(LVFS_OPT("entry_timeout=%lf", entry_timeout, 0),
	    "-o entry_timeout=S", "kernel name cache, seconds (3600)"),
	ROW(LVFS_OPT("negative_timeout=%lf", negative_timeout, 0),
	    "-o negative_timeout=S", "cache of missing names (entry_timeout)"),
	ROW(LVFS_OPT("live_cache", live_cache, 1), "-o live_cache",
	    "page cache for live files too: faster repeat\n"
	    "reads; an open handle may see a short or\n"
	    "zero-padded end if the file changes meanwhile\n"
	    "(default: live files direct_io, snapshots\n"
	    "cached)"),
	ROW(LVFS_OPT("clone_fd", clone_fd, 1), "-o clone_fd",
	    "one /dev/fuse descriptor per thread"),
	ROW(LVFS_OPT("max_threads=%u", max_threads, 0), "-o max_threads=N",
	    "worker threads at most (libfuse default)"),
	ROW(LVFS_OPT("max_idle_threads=%u", max_idle_threads, 0),
	    "-o max_idle_threads=N", "idle worker threads kept"),
	ROW(LVFS_OPT("allow_other", allow_other, 1), "-o allow_other",
	    "let other users read (non-root: needs\n"
	    "user_allow_other in /etc/fuse.conf)"),
	/* always read-only: ro is implied, rw is mapped to ro */
	ROW(IGNORE("ro"), "-o ro", "read-only (always; the mount is MS_RDONLY)"),
	ROW(LVFS_OPT("rw", rw_requested, 1), "-o rw",
	    "mapped to ro (mount(8) passes rw by default);\n"
	    "writes still fail with EROFS"),
	ROW(KEEP("default_permissions"), "-o default_permissions",
	    "always on: the kernel checks the modes"),

	SECTION("mount(8) helper flags (as mount.lakeview):"),
	ROW(IGNORE("-r"), "-r", "as -o ro"),
	ROW(LVFS_OPT("-w", rw_requested, 1), "-w", "as -o rw"),
	ROW(KEY("-n", KEY_HELPER_FLAG), "-n", "ignored"),
	ROW(KEY("-v", KEY_HELPER_FLAG), "-v", "ignored"),
	ROW(KEY("-t ", KEY_HELPER_FLAG), "-t TYPE", "ignored"),
	ROW(KEY("-s", KEY_SLOPPY), "-s", "sloppy: unknown options are ignored"),

	/* fstab, mount(8) and systemd hints: accepted and ignored
	 * (x-systemd.*, x-gvfs-* and every other x-* in opt_proc) */
	SECTION("accepted and ignored (fstab, mount(8), systemd):"),
	LISTED(IGNORE("nofail")),
	LISTED(IGNORE("_netdev")),
	LISTED(IGNORE("noauto")),
	LISTED(IGNORE("auto")),
	LISTED(IGNORE("user")),
	LISTED(IGNORE("nouser")),
	LISTED(IGNORE("users")),
	LISTED(IGNORE("owner")),
	LISTED(IGNORE("group")),
	LISTED(IGNORE("defaults")),
	LISTED(IGNORE("comment=")),
	/* access-time flavours: meaningless on a read-only lake */
	LISTED(IGNORE("relatime")),
	LISTED(IGNORE("norelatime")),
	LISTED(IGNORE("strictatime")),
	LISTED(IGNORE("nostrictatime")),
	LISTED(IGNORE("diratime")),
	LISTED(IGNORE("nodiratime")),
	LISTED(IGNORE("lazytime")),
	LISTED(IGNORE("nolazytime")),
	DOC("-o x-*", "x-systemd.*, x-gvfs-*, any other x-*"),

	/* libfuse 3.14's own, passed on: mount options ... */
	SECTION("libfuse 3.14's own, passed on:"),
	ALSO(KEEP("allow_other")),
	LISTED(KEEP("allow_root")),
	LISTED(KEEP("auto_unmount")),
	LISTED(KEEP("fsname=")),
	ALSO(LVFS_OPT("fsname=", user_fsname, 1)),
	LISTED(KEEP("subtype=")),
	ALSO(LVFS_OPT("subtype=", user_subtype, 1)),
	LISTED(KEEP("max_read=")),
	LISTED(KEEP("blksize=")),
	LISTED(KEEP("context=")),
	LISTED(KEEP("fscontext=")),
	LISTED(KEEP("defcontext=")),
	LISTED(KEEP("rootcontext=")),
	LISTED(KEEP("user=")),
	LISTED(KEEP("suid")),
	LISTED(KEEP("nosuid")),
	LISTED(KEEP("dev")),
	LISTED(KEEP("nodev")),
	LISTED(KEEP("exec")),
	LISTED(KEEP("noexec")),
	LISTED(KEEP("async")),
	LISTED(KEEP("sync")),
	LISTED(KEEP("dirsync")),
	LISTED(KEEP("atime")),
	LISTED(KEEP("noatime")),
	/* ... and connection options (fuse_parse_conn_info_opts) */
	LISTED(KEEP("max_write=")),
	LISTED(KEEP("max_readahead=")),
	LISTED(KEEP("max_background=")),
	LISTED(KEEP("congestion_threshold=")),
	LISTED(KEEP("sync_read")),
	LISTED(KEEP("async_read")),
	LISTED(KEEP("atomic_o_trunc")),
	LISTED(KEEP("no_remote_lock")),
	LISTED(KEEP("no_remote_flock")),
	LISTED(KEEP("no_remote_posix_lock")),
	LISTED(KEEP("splice_read")),
	LISTED(KEEP("no_splice_read")),
	LISTED(KEEP("splice_write")),
	LISTED(KEEP("no_splice_write")),
	LISTED(KEEP("splice_move")),
	LISTED(KEEP("no_splice_move")),
	LISTED(KEEP("auto_inval_data")),
	LISTED(KEEP("no_auto_inval_data")),
	LISTED(KEEP("readdirplus=")),
	LISTED(KEEP("async_dio")),
	LISTED(KEEP("no_async_dio")),
	LISTED(KEEP("no_writeback_cache")),
	LISTED(KEEP("time_gran=")),
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

/* The fuse_opt entries of the table, in its order, then FUSE_OPT_END. */
static struct fuse_opt spec[NROWS + 1];

static void make_spec(void)
{
	size_t n = 0;
	size_t i;

	for (i = 0; i < NROWS; i++)
		if (rows[i].opt.templ != NULL)
			spec[n++] = rows[i].opt;
	spec[n] = (struct fuse_opt)FUSE_OPT_END;
}

static int opt_proc(void *data, const char *arg, int key,
		    struct fuse_args *outargs)
{
	struct lvfs_opts *o = data;

	switch (key) {
	case FUSE_OPT_KEY_NONOPT:
		if (o->store == NULL) {
			o->store = strdup(arg);
			return 0;
		}
		if (o->mountpoint == NULL) {
			o->mountpoint = strdup(arg);
			return 0;
		}
		fprintf(stderr, "lakeview: unexpected argument '%s' "
			"(usage: lakeview STORE MOUNTPOINT [-o opts])\n", arg);
		o->bad = 2;
		return -1;
	case KEY_FOREGROUND:
		if (o->helper)
			o->fake = 1;        /* mount(8) -f: fake */
		else
			o->foreground = 1;
		return 0;
	case KEY_DEBUG:
		o->debug = 1;
		o->foreground = 1;
		return 0;
	case KEY_SLOPPY:
		if (!o->helper)
			break;
		o->sloppy = 1;
		return 0;
	case KEY_HELPER_FLAG:
		if (!o->helper)
			break;
		return 0;
	case FUSE_OPT_KEY_OPT:
		if (arg[0] != '-' && strncmp(arg, "x-", 2) == 0)
			return 0;   /* x-systemd.*, x-gvfs-*, x-mount.* ... */
		if (arg[0] != '-' && o->sloppy) {
			fprintf(stderr, "lakeview: ignoring unknown option "
				"'%s' (sloppy)\n", arg);
			return 0;
		}
		break;
	default:
		break;
	}
	if (arg[0] == '-')
		fprintf(stderr, "lakeview: unknown command-line option '%s' "
			"(see lakeview --help)\n", arg);
	else
		fprintf(stderr, "lakeview: unknown mount option '%s' "
			"(see lakeview --help)\n", arg);
	o->bad = 2;
	return -1;
}

int lvfs_opts_helper_name(const char *argv0)
{
	const char *base = strrchr(argv0, '/');

	base = base ? base + 1 : argv0;
	return strncmp(base, "mount.lakeview", 14) == 0 ||
	       strncmp(base, "mount.fuse.lakeview", 19) == 0;
}

/* Print @p help with continuation lines under the help column. */
static void put_help(const char *shown, const char *help)
{
	const char *nl;

	printf("    %-24s", shown);
	while ((nl = strchr(help, '\n')) != NULL) {
		printf(" %.*s\n%28s", (int)(nl - help), help, "");
		help = nl + 1;
	}
	printf(" %s\n", help);
}

void lvfs_opts_help(const char *prog)
{
	size_t col = 0;
	size_t i;

	printf("usage: %s STORE MOUNTPOINT [-f] [-d] [-o opt,...]\n"
	       "\n"
	       "Serve the lake of a lakeview STORE, read-only, at MOUNTPOINT.\n"
	       "Caches are invalidated exactly after each commit, so long\n"
	       "timeouts never show stale files.\n", prog);
	for (i = 0; i < NROWS; i++) {
		const struct optrow *r = &rows[i];

		if (r->shown != NULL && r->shown[0] == '\0') {
			/* comma list: "-o name", wrapped at 72 columns */
			size_t w = strlen(r->opt.templ) + 3;

			if (col > 0 && col + 2 + w > 72) {
				printf(",\n");
				col = 0;
			} else if (col > 0) {
				printf(", ");
				col += 2;
			}
			if (col == 0) {
				printf("    ");
				col = 4;
			}
			printf("-o %s", r->opt.templ);
			col += w;
			continue;
		}
		if (col > 0 && (r->shown != NULL || r->help != NULL)) {
			printf("\n");
			col = 0;
		}
		if (r->opt.templ == NULL && r->shown == NULL)
			printf("\n%s\n", r->help);
		else if (r->shown != NULL)
			put_help(r->shown, r->help);
	}
	if (col > 0)
		printf("\n");
}

int lvfs_opts_parse(struct fuse_args *args, struct lvfs_opts *o)
{
	make_spec();
	return fuse_opt_parse(args, o, spec, opt_proc);
}

