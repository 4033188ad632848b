/*
 * lakeview_i.h - internal header of the lakeview FUSE daemon.
 *
 * Why it is shaped this way: the daemon is a thin publisher of the file
 * tree that liblakeview keeps in LMDB. One struct lvfs holds everything a
 * request handler needs (it is the session's userdata, so no globals leak
 * between files), and each concern lives in its own file with a small
 * interface declared here:
 *
 *   main.c        start-up cascade, detaching, shutdown
 *   options.c     the option table: parsing and --help from one source
 *   ops.c         the fuse_lowlevel_ops table (thin handlers)
 *   handle.c      open file handles: one version each, reads, read-ahead
 *   readers.c     pool of short-lived LMDB readers for metadata requests
 *   pagecache.c   which file generation may live in the kernel page cache
 *   notify.c      notifier thread: commits -> notify_inval_* calls
 *   vnode.c       the virtual nodes: .lakeview/ and its status.json
 *   xattr.c       the user.lakeview.* extended attributes
 *   mount_util.c  mount point checks, stale-mount recovery, readiness
 *   log.c         stderr or syslog, libfuse's log routed through it
 *
 * Every buffer and table below has a named ceiling (LVFS_*_MAX).
 */
#ifndef LAKEVIEW_FS_I_H
#define LAKEVIEW_FS_I_H

#ifndef FUSE_USE_VERSION
#define FUSE_USE_VERSION 314
#endif

#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <syslog.h>

#include "lakeview/buf.h"
#include "lakeview/store.h"
#include "lakeview/reader.h"
#include "lakeview/treelog.h"

/*
 * Inode numbers of the virtual nodes. Store inodes are allocated upwards
 * from 1 and never reused, so the top of the range cannot collide.
 */
#define LVFS_INO_CTL     (UINT64_MAX - 1)  /* /.lakeview (hidden) */
#define LVFS_INO_STATUS  (UINT64_MAX - 2)  /* /.lakeview/status.json */
#define LVFS_CTL_NAME    ".lakeview"
#define LVFS_STATUS_NAME "status.json"

/* Defaults and ceilings. */
#define LVFS_DEFAULT_TIMEOUT 3600.0     /* entry/attr timeout, seconds */
#define LVFS_POOL_MAX        16         /* idle metadata readers kept */
#define LVFS_PCACHE_SLOTS    4096       /* page-cache records (power of 2) */
#define LVFS_PCACHE_PROBE    8          /* linear probe length */
#define LVFS_STATUS_MAX      (1 << 20)  /* status.json ceiling */
#define LVFS_DIRBUF_MAX      (1 << 20)  /* one readdir reply */
#define LVFS_READ_IOV_MAX    1023       /* writev limit minus the header */
#define LVFS_XATTR_MAX       (LV_PATH_MAX + 64)
#define LVFS_POLL_MS         150        /* notifier poll period */
#define LVFS_READER_CHECK_S  60         /* mdb_reader_check period */
#define LVFS_BLKSIZE         131072     /* st_blksize: one read-ahead */
#define LVFS_READAHEAD       (4 << 20)  /* store pages asked ahead of a read */
#define LVFS_ADVISE_GAP      65536      /* ... as one range across such gaps */

/* Command line and -o options (fuse_opt fills this; see options.c). */
struct lvfs_opts {
	char *store;
	char *mountpoint;
	int foreground;
	int debug;
	int show_help;
	int show_version;
	int helper;          /* invoked as mount.lakeview (mount(8) helper) */
	int fake;            /* mount(8) -f: do everything but mount */
	int sloppy;          /* mount(8) -s: ignore unknown options */
	int rw_requested;    /* "rw" was given: mapped to ro, logged */
	int allow_other;
	unsigned uid;
	unsigned gid;
	unsigned umask;
	int set_uid;
	int set_gid;
	int set_umask;
	double attr_timeout;
	double entry_timeout;
	double negative_timeout;
	int live_cache;      /* page cache for live files too (see ops.c) */
	int clone_fd;
	unsigned max_threads;
	unsigned max_idle_threads;
	int bad;             /* exit code for an option error, 0 if none */
	int user_fsname;     /* fsname= given: main() adds none */
	int user_subtype;    /* subtype= given: main() adds none */
};

/* Pool of readers for lookup/getattr/readdir (readers.c). */
struct lvfs_pool {
	pthread_mutex_t lock;
	struct lv_store *st;
	struct lv_reader *idle[LVFS_POOL_MAX];
	unsigned nidle;
};

/* One record per inode whose pages may be cached (pagecache.c). */
struct lvfs_pc_slot {
	uint64_t ino;        /* 0: free */
	uint64_t gen;        /* generation whose bytes the cache may hold */
	unsigned users;      /* open handles reading through the cache */
};

struct lvfs_pcache {
	pthread_mutex_t lock;
	struct lvfs_pc_slot slot[LVFS_PCACHE_SLOTS];
};

struct lvfs_notifier;

/* The daemon: the session's userdata. */
struct lvfs {
	struct lvfs_opts o;
	char *store_path;            /* absolute */
	char *mnt_path;              /* absolute */
	struct lv_store *st;
	struct fuse_session *se;
	struct fuse_conn_info_opts *conn_opts;
	uid_t uid;
	gid_t gid;
	mode_t umask;
	time_t started;
	atomic_long open_handles;
	struct lvfs_pool pool;
	struct lvfs_pcache pcache;
	struct lvfs_notifier *nt;
};

/* An open file handle (fi->fh). Directories use fh 0. */
enum lvfs_fh_kind {
	LVFS_FH_FILE = 1,
	LVFS_FH_STATUS = 2,
};

struct lvfs_fh {
	int kind;
	int direct_io;            /* bypasses the page cache */
	pthread_mutex_t lock;     /* readers: one thread at a time */
	struct lv_reader *r;      /* FILE: begun at open, ended at release */
	struct lv_node node;      /* FILE: the version this handle reads */
	uint64_t ahead;           /* FILE: store pages asked for up to here */
	struct lv_buf doc;        /* STATUS: the document made at open */
};

/* ops.c */
extern const struct fuse_lowlevel_ops lvfs_ops;
/*
 * One directory entry into a readdir reply buffer of @p rem bytes: with
 * the node's attributes when @p n is given, else (".", "..", virtual
 * entries) only @p ino and @p type. @return its size, 0 if it did not fit.
 */
size_t lvfs_dirent_add(fuse_req_t req, struct lvfs *fs, int plus, char *buf,
		       size_t rem, const char *name, const struct lv_node *n,
		       uint64_t ino, mode_t type, off_t next);

/* handle.c */
/** A new handle (counted in open_handles); NULL when out of memory. */
struct lvfs_fh *lvfs_fh_new(struct lvfs *fs);
/** Free a handle of either kind: ends its reader, uncounts it. */
void lvfs_fh_free(struct lvfs *fs, struct lvfs_fh *h);
/**
 * Open lake file @p ino into @p h: begin its reader, pick direct_io or
 * the page cache. @return 0, -EISDIR or a liblakeview code.
 */
int lvfs_fh_open_file(struct lvfs *fs, fuse_ino_t ino, struct lvfs_fh *h,
		      struct fuse_file_info *fi);
/** Reply to a read of @p size bytes at @p off of the handle's version. */
void lvfs_fh_read(fuse_req_t req, fuse_ino_t ino, struct lvfs_fh *h,
		  size_t size, off_t off);

/* log.c */
void lvfs_log(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void lvfs_log_use_syslog(void);
void lvfs_log_set_debug(int on);
void lvfs_log_capture(int on);
const char *lvfs_log_captured(void);
void lvfs_fuse_log(enum fuse_log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* options.c */
/**
 * Parse @p args into @p o with the option table (libfuse's own options
 * stay in @p args). @return 0, or -1 after printing one line; o->bad then
 * holds the exit status (2).
 */
int lvfs_opts_parse(struct fuse_args *args, struct lvfs_opts *o);
/** Print --help, every row of the option table, to stdout. */
void lvfs_opts_help(const char *prog);
/** Was the daemon run as mount.lakeview (mount(8)'s helper)? */
int lvfs_opts_helper_name(const char *argv0);

/* readers.c */
void lvfs_pool_init(struct lvfs_pool *p, struct lv_store *st);
int lvfs_pool_get(struct lvfs_pool *p, struct lv_reader **out);
void lvfs_pool_put(struct lvfs_pool *p, struct lv_reader *r);
void lvfs_pool_refresh_idle(struct lvfs_pool *p);
void lvfs_pool_destroy(struct lvfs_pool *p);

/* pagecache.c */
void lvfs_pcache_init(struct lvfs_pcache *pc);
void lvfs_pcache_open(struct lvfs_pcache *pc, uint64_t ino, uint64_t gen,
		      int track, int *keep_cache, int *direct_io);
int lvfs_pcache_other_version(struct lvfs_pcache *pc, uint64_t ino,
			      uint64_t gen);
void lvfs_pcache_release(struct lvfs_pcache *pc, uint64_t ino);
void lvfs_pcache_destroy(struct lvfs_pcache *pc);

/* notify.c */
int lvfs_notifier_start(struct lvfs *fs);
void lvfs_notifier_stop(struct lvfs *fs);

/*
 * vnode.c: the virtual nodes (.lakeview/, status.json). ops.c asks
 * lvfs_vnode_is (lvfs_vnode_is_entry for a name) once per operation and,
 * when true, hands the request to the lvfs_vnode_* of that operation,
 * which replies.
 */
/** Is @p ino one of the virtual nodes? */
int lvfs_vnode_is(uint64_t ino);
/** Does the name @p name in @p parent lead to (or within) a virtual node? */
int lvfs_vnode_is_entry(uint64_t parent, const char *name);
void lvfs_vnode_lookup(fuse_req_t req, struct lvfs *fs, uint64_t parent,
		       const char *name);
/** Attributes; with a status handle @p h, the size of its document. */
void lvfs_vnode_getattr(fuse_req_t req, struct lvfs *fs, uint64_t ino,
			const struct lvfs_fh *h);
/**
 * Fill @p h for status.json (its document is generated now, direct_io).
 * @return 0, -EISDIR for the folder, or a liblakeview code.
 */
int lvfs_vnode_open(struct lvfs *fs, uint64_t ino, struct lvfs_fh *h,
		    struct fuse_file_info *fi);
void lvfs_vnode_read(fuse_req_t req, const struct lvfs_fh *h, size_t size,
		     off_t off);
void lvfs_vnode_opendir(fuse_req_t req, uint64_t ino,
			struct fuse_file_info *fi);
/**
 * Entries of .lakeview/ from offset @p off into @p buf; *@p len gets the
 * bytes used. @return 0, or -ENOTDIR for status.json. Does not reply.
 */
int lvfs_vnode_readdir(fuse_req_t req, struct lvfs *fs, uint64_t ino,
		       off_t off, int plus, char *buf, size_t size,
		       size_t *len);
void lvfs_vnode_getxattr(fuse_req_t req);
void lvfs_vnode_listxattr(fuse_req_t req, size_t size);

/* xattr.c */
int lvfs_xattr_get(struct lv_reader *r, const struct lv_node *n,
		   const char *name, char *buf, size_t len);
int lvfs_xattr_list(const struct lv_node *n, char *buf, size_t len);

/* mount_util.c */
int lvfs_check_dev_fuse(char *why, size_t len);
int lvfs_check_allow_other(char *why, size_t len);
int lvfs_prepare_mountpoint(const char *mnt, char *why, size_t len);
int lvfs_mount_answers(const char *mnt, dev_t before);
void lvfs_sd_notify(const char *state);

#endif
