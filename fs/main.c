/*
 * main.c - `lakeview STORE MOUNTPOINT [-f] [-d] [-o opt,...]`: start-up,
 * detaching, shutdown (the options are options.c's).
 *
 * Why it is shaped this way:
 *
 *  - The options are one table in options.c, which parses them and
 *    prints --help from the same rows; main() acts on the result.
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
	fs.o.helper = lvfs_opts_helper_name(argv[0]);
	fs.o.attr_timeout = LVFS_DEFAULT_TIMEOUT;
	fs.o.entry_timeout = LVFS_DEFAULT_TIMEOUT;
	fs.o.negative_timeout = -1.0;
	atomic_init(&fs.open_handles, 0);
	ready.fs = &fs;
	fuse_set_log_func(lvfs_fuse_log);

	if (lvfs_opts_parse(&args, &fs.o) != 0) {
		ret = fs.o.bad ? fs.o.bad : 2;
		goto out_args;
	}
	if (fs.o.show_help) {
		lvfs_opts_help(fs.o.helper ? "mount.lakeview" : "lakeview");
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
	    (!fs.o.user_subtype && fuse_opt_add_arg(&args, "-osubtype=lakeview") != 0) ||
	    (!fs.o.user_fsname && add_fsname(&args, fs.store_path) != 0) ||
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
