/*
 * main.c - `lakeview STORE MOUNTPOINT [-f] [-d] [-o opt,...]`: options,
 * start-up, detaching, shutdown.
 *
 * Why it is shaped this way:
 *
 *  - One fuse_opt table holds every option the daemon accepts, one line
 *    each (sshfs style): ours, the fstab/systemd hints we accept and
 *    ignore, and libfuse's own, which are passed on. Anything else is an
 *    error with one clear line and exit status 2, before anything is
 *    touched - so a typo in fstab fails loudly instead of in dmesg.
 *
 *  - It is also the mount(8) helper: mount.fuse3 runs
 *    `lakeview STORE MNT -o opts` for `lakeview#STORE` / type
 *    fuse.lakeview, and mount(8) runs `mount.lakeview STORE MNT -o opts`
 *    (the installed symlink) for type lakeview. "rw", which mount(8)
 *    passes by default, is mapped to ro: the lake is read-only and
 *    refusing the default would break every fstab line.
 *
 *  - Detaching waits for the mount to answer: the parent exits 0 only
 *    once a stat() of the mount point has been served by the daemon, or
 *    non-zero with the daemon's one-line reason. The child reports over
 *    a pipe; its stderr stays the caller's until then.
 *
 *  - Set-up and tear-down follow libfuse's label cascade, each label
 *    undoing one step, in reverse order.
 */
#define _GNU_SOURCE   /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lakeview/err.h"
#include "lakeview_i.h"

#ifndef LAKEVIEW_VERSION
#define LAKEVIEW_VERSION "unknown"
#endif

#define START_TIMEOUT_MS 60000   /* parent's wait for the mount to answer */
#define READY_TRIES 600          /* 600 x 100 ms */

enum {
	KEY_HELP,
	KEY_VERSION,
	KEY_FOREGROUND,
	KEY_DEBUG,
	KEY_RO,
	KEY_RW,
	KEY_HELPER_FLAG,
	KEY_SLOPPY,
	KEY_FSNAME,
	KEY_SUBTYPE,
};

#define LVFS_OPT(t, p, v) { t, offsetof(struct lvfs_opts, p), v }
#define KEEP(t)           FUSE_OPT_KEY(t, FUSE_OPT_KEY_KEEP)
#define IGNORE(t)         FUSE_OPT_KEY(t, FUSE_OPT_KEY_DISCARD)

static const struct fuse_opt lvfs_opt_spec[] = {
	/* lakeview's own */
	LVFS_OPT("uid=%u",               uid, 0),
	LVFS_OPT("uid=",                 set_uid, 1),
	LVFS_OPT("gid=%u",               gid, 0),
	LVFS_OPT("gid=",                 set_gid, 1),
	LVFS_OPT("umask=%o",             umask, 0),
	LVFS_OPT("umask=",               set_umask, 1),
	LVFS_OPT("attr_timeout=%lf",     attr_timeout, 0),
	LVFS_OPT("entry_timeout=%lf",    entry_timeout, 0),
	LVFS_OPT("negative_timeout=%lf", negative_timeout, 0),
	LVFS_OPT("live_cache",           live_cache, 1),
	LVFS_OPT("clone_fd",             clone_fd, 1),
	LVFS_OPT("max_threads=%u",       max_threads, 0),
	LVFS_OPT("max_idle_threads=%u",  max_idle_threads, 0),
	LVFS_OPT("allow_other",          allow_other, 1),
	/* always read-only: ro is implied, rw is mapped to ro */
	FUSE_OPT_KEY("ro",               KEY_RO),
	FUSE_OPT_KEY("rw",               KEY_RW),
	/* command line */
	FUSE_OPT_KEY("-f",               KEY_FOREGROUND),
	FUSE_OPT_KEY("-d",               KEY_DEBUG),
	FUSE_OPT_KEY("debug",            KEY_DEBUG),
	FUSE_OPT_KEY("-h",               KEY_HELP),
	FUSE_OPT_KEY("--help",           KEY_HELP),
	FUSE_OPT_KEY("-V",               KEY_VERSION),
	FUSE_OPT_KEY("--version",        KEY_VERSION),
	/* mount(8) helper flags (as mount.lakeview; -f means "fake" there) */
	FUSE_OPT_KEY("-r",               KEY_RO),
	FUSE_OPT_KEY("-w",               KEY_RW),
	FUSE_OPT_KEY("-n",               KEY_HELPER_FLAG),
	FUSE_OPT_KEY("-v",               KEY_HELPER_FLAG),
	FUSE_OPT_KEY("-t ",              KEY_HELPER_FLAG),
	FUSE_OPT_KEY("-s",               KEY_SLOPPY),
	/* fstab, mount(8) and systemd hints: accepted and ignored
	 * (x-systemd.*, x-gvfs-* and every other x-* in opt_proc) */
	IGNORE("nofail"),
	IGNORE("_netdev"),
	IGNORE("noauto"),
	IGNORE("auto"),
	IGNORE("user"),
	IGNORE("nouser"),
	IGNORE("users"),
	IGNORE("owner"),
	IGNORE("group"),
	IGNORE("defaults"),
	IGNORE("comment="),
	/* access-time flavours: meaningless on a read-only lake */
	IGNORE("relatime"),
	IGNORE("norelatime"),
	IGNORE("strictatime"),
	IGNORE("nostrictatime"),
	IGNORE("diratime"),
	IGNORE("nodiratime"),
	IGNORE("lazytime"),
	IGNORE("nolazytime"),
	/* libfuse 3.14's own, passed on: mount options ... */
	KEEP("allow_other"),
	KEEP("allow_root"),
	KEEP("auto_unmount"),
	KEEP("default_permissions"),
	KEEP("fsname="),
	FUSE_OPT_KEY("fsname=",          KEY_FSNAME),
	KEEP("subtype="),
	FUSE_OPT_KEY("subtype=",         KEY_SUBTYPE),
	KEEP("max_read="),
	KEEP("blksize="),
	KEEP("context="),
	KEEP("fscontext="),
	KEEP("defcontext="),
	KEEP("rootcontext="),
	KEEP("user="),
	KEEP("suid"),
	KEEP("nosuid"),
	KEEP("dev"),
	KEEP("nodev"),
	KEEP("exec"),
	KEEP("noexec"),
	KEEP("async"),
	KEEP("sync"),
	KEEP("dirsync"),
	KEEP("atime"),
	KEEP("noatime"),
	/* ... and connection options (fuse_parse_conn_info_opts) */
	KEEP("max_write="),
	KEEP("max_readahead="),
	KEEP("max_background="),
	KEEP("congestion_threshold="),
	KEEP("sync_read"),
	KEEP("async_read"),
	KEEP("atomic_o_trunc"),
	KEEP("no_remote_lock"),
	KEEP("no_remote_flock"),
	KEEP("no_remote_posix_lock"),
	KEEP("splice_read"),
	KEEP("no_splice_read"),
	KEEP("splice_write"),
	KEEP("no_splice_write"),
	KEEP("splice_move"),
	KEEP("no_splice_move"),
	KEEP("auto_inval_data"),
	KEEP("no_auto_inval_data"),
	KEEP("readdirplus="),
	KEEP("async_dio"),
	KEEP("no_async_dio"),
	KEEP("no_writeback_cache"),
	KEEP("time_gran="),
	FUSE_OPT_END
};

/* Options seen that change what main() adds itself. */
static int user_fsname;
static int user_subtype;

static void usage(const char *prog)
{
	printf(
"usage: %s STORE MOUNTPOINT [-f] [-d] [-o opt,...]\n"
"\n"
"Serve the lake of a lakeview STORE, read-only, at MOUNTPOINT.\n"
"\n"
"    -f                     stay in the foreground, log to stderr\n"
"    -d, -o debug           libfuse debug output (implies -f)\n"
"    -h, --help             this help\n"
"    -V, --version          versions\n"
"\n"
"lakeview options:\n"
"    -o ro                  read-only (always; rw is mapped to ro)\n"
"    -o uid=N, gid=N        owner of every file (default: the daemon's)\n"
"    -o umask=M             octal mask on 0444 files / 0555 folders\n"
"    -o attr_timeout=S      kernel attribute cache, seconds (%.0f)\n"
"    -o entry_timeout=S     kernel name cache, seconds (%.0f)\n"
"    -o negative_timeout=S  cache of missing names (entry_timeout)\n"
"    -o live_cache          page cache for live files too: faster repeat\n"
"                           reads; an open handle may see a short or\n"
"                           zero-padded end if the file changes meanwhile\n"
"                           (default: live files direct_io, snapshots\n"
"                           cached)\n"
"    -o max_threads=N       worker threads at most (libfuse default)\n"
"    -o max_idle_threads=N  idle worker threads kept\n"
"    -o clone_fd            one /dev/fuse descriptor per thread\n"
"    -o allow_other         let other users read (non-root: needs\n"
"                           user_allow_other in /etc/fuse.conf)\n"
"    -o default_permissions always on: the kernel checks the modes\n"
"\n"
"Accepted and ignored (fstab): nofail, _netdev, noauto, auto, user,\n"
"users, defaults, comment=, x-systemd.*, x-gvfs-*, other x-*.\n"
"Caches are invalidated exactly after each commit, so long timeouts\n"
"never show stale files.\n"
"\n", prog, LVFS_DEFAULT_TIMEOUT, LVFS_DEFAULT_TIMEOUT);
	printf("libfuse options:\n");
	fuse_lowlevel_help();
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
	case KEY_HELP:
		o->show_help = 1;
		return 0;
	case KEY_VERSION:
		o->show_version = 1;
		return 0;
	case KEY_RO:
		return 0;
	case KEY_RW:
		o->rw_requested = 1;
		return 0;
	case KEY_FSNAME:
		user_fsname = 1;
		return 0;
	case KEY_SUBTYPE:
		user_subtype = 1;
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

static int is_helper_name(const char *argv0)
{
	const char *base = strrchr(argv0, '/');

	base = base ? base + 1 : argv0;
	return strncmp(base, "mount.lakeview", 14) == 0 ||
	       strncmp(base, "mount.fuse.lakeview", 19) == 0;
}

/* "-ofsname=<path>" with commas and backslashes escaped for fuse_opt. */
static int add_fsname(struct fuse_args *args, const char *path)
{
	static const char prefix[] = "-ofsname=";
	size_t n = strlen(path);
	char *opt;
	char *d;
	int rc;

	opt = malloc(sizeof(prefix) + 2 * n);
	if (opt == NULL)
		return -1;
	memcpy(opt, prefix, sizeof(prefix) - 1);
	d = opt + sizeof(prefix) - 1;
	for (; *path != '\0'; path++) {
		if (*path == ',' || *path == '\\')
			*d++ = '\\';
		*d++ = *path;
	}
	*d = '\0';
	rc = fuse_opt_add_arg(args, opt);
	free(opt);
	return rc;
}

/* An absolute path for @p p without resolving its last component (which
 * may be a dead mount whose stat fails). */
static char *absolute(const char *p)
{
	char cwd[PATH_MAX];
	size_t n;
	char *out;

	if (p[0] == '/')
		return strdup(p);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	n = strlen(cwd) + strlen(p) + 2;
	out = malloc(n);
	if (out != NULL)
		snprintf(out, n, "%s/%s", cwd, p);
	return out;
}

/*
 * Fork. The parent waits on a pipe for the child's verdict and exits with
 * it (0 once the mount answers); it never returns. The child returns the
 * pipe's write end.
 */
static int detach(const char *mnt)
{
	struct pollfd pfd;
	int status;
	pid_t pid;
	int p[2];
	char code;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) != 0) {
		fprintf(stderr, "lakeview: pipe: %s\n", strerror(errno));
		exit(1);
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "lakeview: fork: %s\n", strerror(errno));
		exit(1);
	}
	if (pid == 0) {
		close(p[0]);
		setsid();
		return p[1];
	}

	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	do {
		n = poll(&pfd, 1, START_TIMEOUT_MS);
	} while (n < 0 && errno == EINTR);
	if (n == 0) {
		fprintf(stderr, "lakeview: %s did not answer within %d s; "
			"stopping the daemon\n", mnt, START_TIMEOUT_MS / 1000);
		kill(pid, SIGTERM);
		_exit(1);
	}
	do {
		n = read(p[0], &code, 1);
	} while (n < 0 && errno == EINTR);
	if (n == 1)
		_exit((unsigned char)code);
	/* No verdict: the child died before it could say why. */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(status))
		fprintf(stderr, "lakeview: the daemon was killed by signal %d "
			"while starting\n", WTERMSIG(status));
	else
		fprintf(stderr, "lakeview: the daemon exited while starting\n");
	_exit(1);
}

/* Tell the waiting parent (if any) the exit code; 0 means mounted. */
static void report(int *fd, int code)
{
	char c = (char)code;
	ssize_t n;

	if (*fd < 0)
		return;
	do {
		n = write(*fd, &c, 1);
	} while (n < 0 && errno == EINTR);
	close(*fd);
	*fd = -1;
}

struct ready_ctx {
	struct lvfs *fs;
	dev_t before;
	int fd;          /* pipe to the parent, -1 in the foreground */
	int ready;
	atomic_int stopping;   /* the session loop has ended */
};

/* Waits until the mount answers, then says so (parent, systemd). */
static void *ready_main(void *arg)
{
	struct ready_ctx *rc = arg;
	char state[64];
	int devnull;
	int i;

	for (i = 0; i < READY_TRIES; i++) {
		if (lvfs_mount_answers(rc->fs->mnt_path, rc->before) == 0)
			break;
		/* (Not fuse_session_exited(): the loop resets it on return.) */
		if (atomic_load(&rc->stopping))
			return NULL;
		usleep(100 * 1000);
	}
	if (i == READY_TRIES) {
		lvfs_log(LOG_ERR, "%s does not answer; giving up",
			 rc->fs->mnt_path);
		kill(getpid(), SIGTERM);
		return NULL;
	}
	rc->ready = 1;
	if (rc->fd >= 0) {
		devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (devnull >= 0) {
			dup2(devnull, STDIN_FILENO);
			dup2(devnull, STDOUT_FILENO);
			dup2(devnull, STDERR_FILENO);
			close(devnull);
		}
		lvfs_log_use_syslog();
		report(&rc->fd, 0);
	}
	lvfs_log(LOG_INFO, "serving %s at %s", rc->fs->store_path,
		 rc->fs->mnt_path);
	snprintf(state, sizeof(state), "READY=1\nMAINPID=%ld", (long)getpid());
	lvfs_sd_notify(state);
	return NULL;
}

/* Threads of ours must not take SIGTERM/SIGINT/SIGHUP: libfuse's loop
 * only notices them in the main thread. */
static void block_signals(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

static int store_error(const char *store, int rc)
{
	const char *detail = lv_err_detail_for(rc);

	if (detail)
		fprintf(stderr, "lakeview: %s\n", detail);
	else if (rc == LV_ENOSTORE || rc == -ENOENT)
		fprintf(stderr, "lakeview: %s is not a lakeview store\n", store);
	else if (rc == LV_EFORMAT)
		fprintf(stderr, "lakeview: %s: store of an incompatible format\n",
			store);
	else
		fprintf(stderr, "lakeview: %s: %s\n", store, lv_strerror(rc));
	return 1;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_loop_config *loop_cfg = NULL;
	struct ready_ctx ready = { .fd = -1 };
	struct fuse_session *se;
	pthread_t ready_thread;
	struct lvfs fs;
	struct stat st;
	sigset_t oldmask;
	char why[1024];
	int ret = 1;
	int rc;

	memset(&fs, 0, sizeof(fs));
	fs.o.helper = is_helper_name(argv[0]);
	fs.o.attr_timeout = LVFS_DEFAULT_TIMEOUT;
	fs.o.entry_timeout = LVFS_DEFAULT_TIMEOUT;
	fs.o.negative_timeout = -1.0;
	atomic_init(&fs.open_handles, 0);
	ready.fs = &fs;
	fuse_set_log_func(lvfs_fuse_log);

	if (fuse_opt_parse(&args, &fs.o, lvfs_opt_spec, opt_proc) != 0) {
		ret = fs.o.bad ? fs.o.bad : 2;
		goto out_args;
	}
	if (fs.o.show_help) {
		usage(fs.o.helper ? "mount.lakeview" : "lakeview");
		ret = 0;
		goto out_args;
	}
	if (fs.o.show_version) {
		printf("lakeview %s (libfuse %s, FUSE_USE_VERSION %d)\n",
		       LAKEVIEW_VERSION, fuse_pkgversion(), FUSE_USE_VERSION);
		ret = 0;
		goto out_args;
	}
	ret = 2;
	if (fs.o.store == NULL || fs.o.mountpoint == NULL) {
		fprintf(stderr, "lakeview: usage: lakeview STORE MOUNTPOINT "
			"[-f] [-d] [-o opt,...]\n");
		goto out_args;
	}
	if (fs.o.umask > 0777) {
		fprintf(stderr, "lakeview: umask=%o: not a file mode mask\n",
			fs.o.umask);
		goto out_args;
	}
	if (fs.o.attr_timeout < 0 || fs.o.entry_timeout < 0) {
		fprintf(stderr, "lakeview: timeouts must not be negative\n");
		goto out_args;
	}
	if (fs.o.negative_timeout < 0)
		fs.o.negative_timeout = fs.o.entry_timeout;
	if (fs.o.fake) {
		ret = 0;
		goto out_args;
	}
	ret = 1;
	fs.uid = fs.o.set_uid ? (uid_t)fs.o.uid : getuid();
	fs.gid = fs.o.set_gid ? (gid_t)fs.o.gid : getgid();
	fs.umask = fs.o.set_umask ? (mode_t)fs.o.umask : 0;
	fs.started = time(NULL);
	lvfs_log_set_debug(fs.o.debug);
	if (fs.o.rw_requested)
		lvfs_log(LOG_DEBUG, "option rw ignored: the lake is read-only");

	/* Checks that need no daemon: one line each, before forking. */
	if (lvfs_check_dev_fuse(why, sizeof(why)) != 0 ||
	    (fs.o.allow_other && lvfs_check_allow_other(why, sizeof(why)) != 0)) {
		fprintf(stderr, "lakeview: %s\n", why);
		goto out_args;
	}
	fs.mnt_path = absolute(fs.o.mountpoint);
	if (fs.mnt_path == NULL ||
	    lvfs_prepare_mountpoint(fs.mnt_path, why, sizeof(why)) != 0) {
		fprintf(stderr, "lakeview: %s\n", fs.mnt_path ? why :
			strerror(errno));
		goto out_args;
	}
	free(fs.mnt_path);
	fs.mnt_path = realpath(fs.o.mountpoint, NULL);
	fs.store_path = realpath(fs.o.store, NULL);
	if (fs.mnt_path == NULL) {
		fprintf(stderr, "lakeview: mount point %s: %s\n",
			fs.o.mountpoint, strerror(errno));
		goto out_args;
	}
	if (fs.store_path == NULL) {
		fprintf(stderr, "lakeview: store %s: %s\n", fs.o.store,
			strerror(errno));
		goto out_args;
	}
	if (stat(fs.mnt_path, &st) != 0) {
		fprintf(stderr, "lakeview: mount point %s: %s\n", fs.mnt_path,
			strerror(errno));
		goto out_args;
	}
	ready.before = st.st_dev;

	if (!fs.o.foreground)
		ready.fd = detach(fs.mnt_path);
	if (chdir("/") != 0)
		lvfs_log(LOG_DEBUG, "chdir /: %s", strerror(errno));

	rc = lv_store_open(fs.store_path, LV_STORE_RDONLY, &fs.st);
	if (rc != 0) {
		ret = store_error(fs.store_path, rc);
		goto out_args;
	}
	lvfs_pool_init(&fs.pool, fs.st);
	lvfs_pcache_init(&fs.pcache);

	/* What we always ask of libfuse; user options came first. */
	if (fuse_opt_add_arg(&args, "-oro") != 0 ||
	    fuse_opt_add_arg(&args, "-odefault_permissions") != 0 ||
	    (!user_subtype && fuse_opt_add_arg(&args, "-osubtype=lakeview") != 0) ||
	    (!user_fsname && add_fsname(&args, fs.store_path) != 0) ||
	    (fs.o.debug && fuse_opt_add_arg(&args, "-odebug") != 0)) {
		fprintf(stderr, "lakeview: out of memory\n");
		goto err_out1;
	}
	fs.conn_opts = fuse_parse_conn_info_opts(&args);
	if (fs.conn_opts == NULL) {
		fprintf(stderr, "lakeview: bad connection option\n");
		goto err_out1;
	}

	lvfs_log_capture(!fs.o.debug);
	se = fuse_session_new(&args, &lvfs_ops, sizeof(lvfs_ops), &fs);
	if (se == NULL) {
		fprintf(stderr, "lakeview: %s\n", lvfs_log_captured()[0] ?
			lvfs_log_captured() : "cannot create the FUSE session");
		goto err_out1;
	}
	fs.se = se;
	if (fuse_set_signal_handlers(se) != 0) {
		fprintf(stderr, "lakeview: cannot install signal handlers\n");
		goto err_out2;
	}
	if (fuse_session_mount(se, fs.mnt_path) != 0) {
		fprintf(stderr, "lakeview: cannot mount on %s: %s\n",
			fs.mnt_path, lvfs_log_captured()[0] ?
			lvfs_log_captured() : "fuse_session_mount failed");
		goto err_out3;
	}
	lvfs_log_capture(0);

	block_signals(&oldmask);
	rc = lvfs_notifier_start(&fs);
	if (rc == 0) {
		rc = -pthread_create(&ready_thread, NULL, ready_main, &ready);
		if (rc != 0)
			lvfs_notifier_stop(&fs);
	}
	pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
	if (rc != 0) {
		fprintf(stderr, "lakeview: cannot start threads: %s\n",
			strerror(-rc));
		goto err_out4;
	}

	loop_cfg = fuse_loop_cfg_create();
	if (loop_cfg == NULL) {
		ret = 1;
		goto err_out5;
	}
	fuse_loop_cfg_set_clone_fd(loop_cfg, (unsigned)fs.o.clone_fd);
	if (fs.o.max_idle_threads > 0)
		fuse_loop_cfg_set_idle_threads(loop_cfg, fs.o.max_idle_threads);
	if (fs.o.max_threads > 0)
		fuse_loop_cfg_set_max_threads(loop_cfg, fs.o.max_threads);
	/* 0, or the number of the signal that ended it (a clean shutdown),
	 * or a negative errno. */
	rc = fuse_session_loop_mt(se, loop_cfg);
	ret = rc < 0 ? 1 : 0;
	atomic_store(&ready.stopping, 1);
	if (rc < 0)
		lvfs_log(LOG_ERR, "session loop: %s", strerror(-rc));
	lvfs_sd_notify("STOPPING=1");
	lvfs_log(LOG_INFO, "unmounting %s", fs.mnt_path);
	fuse_loop_cfg_destroy(loop_cfg);
err_out5:
	atomic_store(&ready.stopping, 1);
	/* Unmount first: it aborts a stat() the ready thread may wait on. */
	fuse_session_unmount(se);
	pthread_join(ready_thread, NULL);
	lvfs_notifier_stop(&fs);
	if (!ready.ready && ready.fd >= 0)
		ret = 1;   /* stopped before it answered: the parent must fail */
	goto err_out3;
err_out4:
	fuse_session_unmount(se);
err_out3:
	fuse_remove_signal_handlers(se);
err_out2:
	fuse_session_destroy(se);
err_out1:
	lvfs_pcache_destroy(&fs.pcache);
	lvfs_pool_destroy(&fs.pool);
	lv_store_close(fs.st);
out_args:
	report(&ready.fd, ret == 0 ? 1 : ret);
	free(fs.conn_opts);
	free(fs.o.store);
	free(fs.o.mountpoint);
	free(fs.store_path);
	free(fs.mnt_path);
	fuse_opt_free_args(&args);
	return ret;
}
