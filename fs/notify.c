/*
 * notify.c - the notifier thread: commits become kernel cache invalidations.
 *
 * Why it is shaped this way: every peer of this daemon guesses freshness
 * with timers, and users see stale listings (peers-and-style A.3, #1).
 * We own the change log, so entries and attributes are handed to the
 * kernel with long timeouts, and after each commit this thread tells the
 * kernel exactly what changed:
 *
 *   - a node whose content or attributes changed: notify_inval_inode
 *     (drops its attributes and page cache);
 *   - a name that appeared or disappeared: notify_inval_entry on the
 *     parent (drops the dentry, negative ones included) and
 *     notify_inval_inode on the parent (its attributes and readdir cache);
 *   - when the change log no longer reaches back (LV_ECHANGED): every node
 *     of the version we last processed and of the new one.
 *
 * It finds commits by polling the tree generation with a fresh reader
 * every LVFS_POLL_MS, and wakes early on inotify events on data.mdb
 * (LMDB writes the file with pwrite, so each commit raises IN_MODIFY).
 * So a commit is visible through the mount well within a second.
 *
 * Deadlock rule (fuse_lowlevel.h): notify calls must not be made from a
 * request handler of a related operation, nor while holding a lock such
 * a handler needs. This thread handles no requests and holds no lock of
 * the daemon while it notifies; the only thing it holds is its own LMDB
 * readers, which no handler waits for.
 *
 * Two readers: "prev" stays at the version last processed (to tell
 * whether a changed name existed before), "cur" is refreshed each tick.
 * After a batch they swap, so prev pins at most one commit's worth of
 * old pages.
 */
#define _GNU_SOURCE   /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "lakeview/err.h"
#include "lakeview_i.h"

#define WALK_MAX_DIRS 65536   /* directories visited by one full walk */

struct lvfs_notifier {
	struct lvfs *fs;
	pthread_t thread;
	int stop[2];
	int ino_fd;
	struct lv_reader *cur;
	struct lv_reader *prev;
	uint64_t gen;
	time_t last_check;
	unsigned long batch_inval;
	int refresh_failed;
};

static void inval_inode(struct lvfs_notifier *nt, uint64_t ino)
{
	int rc;

	rc = fuse_lowlevel_notify_inval_inode(nt->fs->se, ino, 0, 0);
	nt->batch_inval++;
	if (rc != 0 && rc != -ENOENT)
		lvfs_log(LOG_DEBUG, "inval_inode %llu: %s",
			 (unsigned long long)ino, strerror(-rc));
}

static void inval_entry(struct lvfs_notifier *nt, uint64_t parent,
			const char *name)
{
	int rc;

	rc = fuse_lowlevel_notify_inval_entry(nt->fs->se, parent, name,
					      strlen(name));
	nt->batch_inval++;
	if (rc != 0 && rc != -ENOENT)
		lvfs_log(LOG_DEBUG, "inval_entry %llu/%s: %s",
			 (unsigned long long)parent, name, strerror(-rc));
}

/* Is @p name in @p parent the node @p ino in the version of @p r? */
static int names_node(struct lv_reader *r, uint64_t parent, const char *name,
		      uint64_t ino)
{
	struct lv_node n;

	return lv_node_lookup(r, parent, name, &n) == 0 && n.ino == ino;
}

/* lv_tree_changes() callback: one changed node. */
static int on_change(void *arg, uint64_t ino, uint64_t parent,
		     const char *name)
{
	struct lvfs_notifier *nt = arg;

	inval_inode(nt, ino);
	if (name == NULL || name[0] == '\0' || ino == LV_ROOT_INO)
		return 0;
	/* Same name, same node before and after: only its content changed. */
	if (names_node(nt->prev, parent, name, ino) &&
	    names_node(nt->cur, parent, name, ino))
		return 0;
	inval_entry(nt, parent, name);
	inval_inode(nt, parent);
	return 0;
}

/* Invalidate every node of the version @p r sees (LV_ECHANGED). */
static void invalidate_tree(struct lvfs_notifier *nt, struct lv_reader *r)
{
	uint64_t *stack;
	size_t depth = 0;

	stack = malloc(WALK_MAX_DIRS * sizeof(*stack));
	if (stack == NULL)
		return;
	inval_inode(nt, LV_ROOT_INO);
	stack[depth++] = LV_ROOT_INO;
	while (depth > 0) {
		uint64_t dir = stack[--depth];
		uint64_t cookie = 0;
		struct lv_node child;

		while (lv_dir_next(r, dir, &cookie, &child) == 1) {
			inval_entry(nt, dir, child.name);
			inval_inode(nt, child.ino);
			if (S_ISDIR(child.mode) && depth < WALK_MAX_DIRS)
				stack[depth++] = child.ino;
		}
	}
	free(stack);
}

static void tick(struct lvfs_notifier *nt)
{
	struct lvfs *fs = nt->fs;
	struct lv_reader *tmp;
	uint64_t gen;
	time_t now;
	int rc;

	rc = lv_reader_refresh(nt->cur);
	if (rc != 0) {
		if (!nt->refresh_failed)
			lvfs_log(LOG_ERR, "notifier: cannot read the store: %s",
				 lv_strerror(rc));
		nt->refresh_failed = 1;
		return;
	}
	nt->refresh_failed = 0;
	gen = lv_reader_tree_gen(nt->cur);
	if (gen != nt->gen) {
		nt->batch_inval = 0;
		rc = lv_tree_changes(nt->cur, nt->gen, on_change, nt);
		if (rc != 0) {
			if (rc == LV_ECHANGED)
				lvfs_log(LOG_NOTICE, "change log no longer reaches "
					 "tree generation %llu: invalidating "
					 "everything", (unsigned long long)nt->gen);
			else
				lvfs_log(LOG_WARNING, "notifier: change log: %s; "
					 "invalidating everything",
					 lv_strerror(rc));
			invalidate_tree(nt, nt->prev);
			invalidate_tree(nt, nt->cur);
		}
		lvfs_log(LOG_DEBUG, "tree generation %llu -> %llu: %lu "
			 "invalidations", (unsigned long long)nt->gen,
			 (unsigned long long)gen, nt->batch_inval);
		nt->gen = gen;
		tmp = nt->prev;
		nt->prev = nt->cur;
		nt->cur = tmp;
		lvfs_pool_refresh_idle(&fs->pool);
	}

	now = time(NULL);
	if (now - nt->last_check >= LVFS_READER_CHECK_S) {
		int dead = 0;

		nt->last_check = now;
		if (lv_store_reader_check(fs->st, &dead) == 0 && dead > 0)
			lvfs_log(LOG_NOTICE, "cleared %d reader slots of dead "
				 "processes", dead);
	}
}

static void drain(int fd)
{
	char buf[4096] __attribute__((aligned(8)));

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static void *notifier_main(void *arg)
{
	struct lvfs_notifier *nt = arg;

	for (;;) {
		struct pollfd pfd[2];
		nfds_t n = 1;
		int rc;

		pfd[0].fd = nt->stop[0];
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		if (nt->ino_fd >= 0) {
			pfd[1].fd = nt->ino_fd;
			pfd[1].events = POLLIN;
			pfd[1].revents = 0;
			n = 2;
		}
		rc = poll(pfd, n, LVFS_POLL_MS);
		if (rc < 0 && errno != EINTR) {
			lvfs_log(LOG_ERR, "notifier: poll: %s", strerror(errno));
			usleep(LVFS_POLL_MS * 1000);
		}
		if (pfd[0].revents != 0)
			break;
		if (n == 2 && (pfd[1].revents & POLLIN))
			drain(nt->ino_fd);
		tick(nt);
	}
	return NULL;
}

/** Start the notifier of @p fs (after the session is mounted). */
int lvfs_notifier_start(struct lvfs *fs)
{
	struct lvfs_notifier *nt;
	char path[4096];
	int rc;

	nt = calloc(1, sizeof(*nt));
	if (nt == NULL)
		return -ENOMEM;
	nt->fs = fs;
	nt->ino_fd = -1;
	nt->stop[0] = -1;
	nt->stop[1] = -1;
	nt->last_check = time(NULL);

	if (pipe2(nt->stop, O_CLOEXEC) != 0) {
		rc = -errno;
		goto err;
	}
	rc = lv_reader_begin(fs->st, &nt->cur);
	if (rc != 0)
		goto err;
	rc = lv_reader_begin(fs->st, &nt->prev);
	if (rc != 0)
		goto err;
	nt->gen = lv_reader_tree_gen(nt->prev);

	nt->ino_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (nt->ino_fd >= 0) {
		if (lv_store_file(fs->store_path, LV_STORE_DATA, path,
				  sizeof(path)) != 0 ||
		    inotify_add_watch(nt->ino_fd, path,
				      IN_MODIFY | IN_CLOSE_WRITE) < 0) {
			lvfs_log(LOG_DEBUG, "inotify on %s: %s; polling only",
				 path, strerror(errno));
			close(nt->ino_fd);
			nt->ino_fd = -1;
		}
	}

	rc = -pthread_create(&nt->thread, NULL, notifier_main, nt);
	if (rc != 0)
		goto err;
	fs->nt = nt;
	return 0;
err:
	if (nt->ino_fd >= 0)
		close(nt->ino_fd);
	if (nt->cur != NULL)
		lv_reader_end(nt->cur);
	if (nt->prev != NULL)
		lv_reader_end(nt->prev);
	if (nt->stop[0] >= 0) {
		close(nt->stop[0]);
		close(nt->stop[1]);
	}
	free(nt);
	return rc;
}

/** Stop and free the notifier (no-op if it was not started). */
void lvfs_notifier_stop(struct lvfs *fs)
{
	struct lvfs_notifier *nt = fs->nt;
	ssize_t w;

	if (nt == NULL)
		return;
	do {
		w = write(nt->stop[1], "x", 1);
	} while (w < 0 && errno == EINTR);
	pthread_join(nt->thread, NULL);
	if (nt->ino_fd >= 0)
		close(nt->ino_fd);
	lv_reader_end(nt->cur);
	lv_reader_end(nt->prev);
	close(nt->stop[0]);
	close(nt->stop[1]);
	free(nt);
	fs->nt = NULL;
}
