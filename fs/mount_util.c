/*
 * mount_util.c - the mount point's life around the daemon: checks before
 * mounting, stale-mount recovery, and readiness reporting.
 *
 * Why it is shaped this way: the commonest complaints about FUSE daemons
 * are not about reading files but about mounting them (peers-and-style
 * A.3 #3-#5): a daemon killed by OOM leaves "Transport endpoint is not
 * connected" behind and the next start fails; allow_other fails deep in
 * fusermount with an unhelpful message; systemd cannot tell when the
 * mount is usable. Each check here returns a one-line reason that main.c
 * prints as is, and the readiness check is the real one: the mount point
 * answers a stat() from the new filesystem (its device changed), not
 * merely "mount(2) returned".
 *
 * sd_notify is done by hand (no libsystemd): one datagram to
 * $NOTIFY_SOCKET, a path or an abstract socket written "@name".
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lakeview_i.h"

#define FUSE_SUPER_MAGIC_ 0x65735546
#define STALE_MAX 8   /* stacked dead mounts detached at most */

/** Is the FUSE device there? @return 0, or -1 with @p why set. */
int lvfs_check_dev_fuse(char *why, size_t len)
{
	struct stat st;

	if (stat("/dev/fuse", &st) != 0) {
		snprintf(why, len, "/dev/fuse: %s (load the fuse module: "
			 "modprobe fuse; in a container, pass the device)",
			 strerror(errno));
		return -1;
	}
	if (!S_ISCHR(st.st_mode)) {
		snprintf(why, len, "/dev/fuse is not a character device");
		return -1;
	}
	return 0;
}

/**
 * allow_other as a non-root user needs user_allow_other in
 * /etc/fuse.conf, or fusermount3 refuses. Say so up front.
 * @return 0, or -1 with @p why set.
 */
int lvfs_check_allow_other(char *why, size_t len)
{
	char line[512];
	FILE *f;
	int found = 0;

	if (geteuid() == 0)
		return 0;
	f = fopen("/etc/fuse.conf", "re");
	if (f != NULL) {
		while (!found && fgets(line, sizeof(line), f) != NULL) {
			char *p = line;
			char *end;

			end = strchr(p, '#');
			if (end != NULL)
				*end = '\0';
			while (*p == ' ' || *p == '\t')
				p++;
			end = p + strlen(p);
			while (end > p && (end[-1] == '\n' || end[-1] == ' ' ||
					   end[-1] == '\t' || end[-1] == '\r'))
				*--end = '\0';
			found = strcmp(p, "user_allow_other") == 0;
		}
		fclose(f);
	}
	if (!found) {
		snprintf(why, len, "option allow_other needs the line "
			 "'user_allow_other' in /etc/fuse.conf (ask root to "
			 "add it), or mount as root");
		return -1;
	}
	return 0;
}

/* Lazily detach a dead FUSE mount at @p mnt. */
static int detach_stale(const char *mnt, char *why, size_t len)
{
	pid_t pid;
	int status;

	if (geteuid() == 0) {
		if (umount2(mnt, MNT_DETACH) != 0) {
			snprintf(why, len, "mount point %s is a dead FUSE mount "
				 "and detaching it failed: %s", mnt,
				 strerror(errno));
			return -1;
		}
		return 0;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(why, len, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		execlp("fusermount3", "fusermount3", "-u", "-z", "--", mnt,
		       (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(why, len, "mount point %s is a dead FUSE mount and "
			 "'fusermount3 -u -z' could not detach it", mnt);
		return -1;
	}
	return 0;
}

static int is_empty_dir(const char *path, int *empty)
{
	struct dirent *d;
	DIR *dir;

	*empty = 1;
	dir = opendir(path);
	if (dir == NULL)
		return -errno;
	for (;;) {
		errno = 0;
		d = readdir(dir);
		if (d == NULL)
			break;
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0) {
			*empty = 0;
			break;
		}
	}
	closedir(dir);
	return 0;
}

/**
 * Make @p mnt ready to be mounted on: detach a dead FUSE mount left by a
 * killed daemon (stat fails with ENOTCONN), then require an existing,
 * empty directory. @return 0, or -1 with @p why set.
 */
int lvfs_prepare_mountpoint(const char *mnt, char *why, size_t len)
{
	struct statfs sf;
	struct stat st;
	int empty;
	int tries;
	int rc;

	/*
	 * stat() alone is not enough: with long attribute timeouts the kernel
	 * may answer it from its cache even after the daemon died, while
	 * statfs() always asks the daemon.
	 */
	for (tries = 0; ; tries++) {
		if (stat(mnt, &st) == 0 && statfs(mnt, &sf) == 0)
			break;
		if (errno != ENOTCONN || tries == STALE_MAX) {
			snprintf(why, len, "mount point %s: %s", mnt,
				 strerror(errno));
			return -1;
		}
		if (detach_stale(mnt, why, len) != 0)
			return -1;
		lvfs_log(LOG_NOTICE, "%s: detached a stale mount left by a "
			 "daemon that died", mnt);
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, len, "mount point %s is not a directory", mnt);
		return -1;
	}
	rc = is_empty_dir(mnt, &empty);
	if (rc != 0) {
		snprintf(why, len, "mount point %s: %s", mnt, strerror(-rc));
		return -1;
	}
	if (!empty) {
		snprintf(why, len, "mount point %s is not empty", mnt);
		return -1;
	}
	return 0;
}

/**
 * Does @p mnt answer from a FUSE filesystem now (its device is no longer
 * @p before)? The stat() goes through the new mount, so it returns only
 * once the daemon has answered INIT and GETATTR.
 * @return 0 when it does, -1 otherwise.
 */
int lvfs_mount_answers(const char *mnt, dev_t before)
{
	struct statfs sf;
	struct stat st;

	if (stat(mnt, &st) != 0 || st.st_dev == before)
		return -1;
	if (statfs(mnt, &sf) != 0 || sf.f_type != FUSE_SUPER_MAGIC_)
		return -1;
	return 0;
}

/** Send @p state ("READY=1", "STOPPING=1", ...) to $NOTIFY_SOCKET. */
void lvfs_sd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t salen;
	size_t n;
	int fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@'))
		return;
	n = strlen(path);
	if (n >= sizeof(sa.sun_path))
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, n);
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';   /* abstract namespace, no NUL */
	else
		salen++;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		   (struct sockaddr *)&sa, salen) < 0)
		lvfs_log(LOG_WARNING, "NOTIFY_SOCKET %s: %s", path,
			 strerror(errno));
	close(fd);
}
