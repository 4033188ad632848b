/*
 * log.c - where the daemon's messages go.
 *
 * Why it is shaped this way: a mount helper has two audiences. While
 * `lakeview` starts, a person (or mount(8), or systemd) is waiting on the
 * terminal for one line that says why a mount failed; once the daemon has
 * detached, nobody reads stderr and messages belong in syslog. So
 * messages go to stderr until lvfs_log_use_syslog() is called after the
 * detach (never with -f). libfuse's own messages are routed through the
 * same place (fuse_set_log_func), and while "capture" is on - during
 * mounting - libfuse's error lines are kept instead of printed, so that
 * main.c can fold the reason into its single error line.
 *
 * libfuse logs some messages in pieces (without a newline); pieces are
 * joined per thread until the newline arrives.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "lakeview_i.h"

#define LOG_LINE_MAX 1024

static int use_syslog;
static int debug_on;
static int capture_on;
static char captured[LOG_LINE_MAX];
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static __thread char partial[LOG_LINE_MAX];
static __thread size_t partial_len;
static __thread int partial_level;

static void emit(int prio, const char *prefix, const char *line)
{
	if (use_syslog) {
		syslog(prio, "%s", line);
		return;
	}
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s%s\n", prefix, line);
	pthread_mutex_unlock(&log_lock);
}

/** Log a message: stderr ("lakeview: ..."), or syslog once detached. */
void lvfs_log(int prio, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	size_t n;
	va_list ap;

	if (prio == LOG_DEBUG && !debug_on)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	emit(prio, "lakeview: ", line);
}

/** From now on, log to syslog (called once the daemon has detached). */
void lvfs_log_use_syslog(void)
{
	openlog("lakeview", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	use_syslog = 1;
}

/** Let LOG_DEBUG messages through (-d). */
void lvfs_log_set_debug(int on)
{
	debug_on = on;
}

/**
 * While on, libfuse error messages are kept (the last one wins) rather
 * than printed; lvfs_log_captured() returns it ("" if none).
 */
void lvfs_log_capture(int on)
{
	pthread_mutex_lock(&log_lock);
	capture_on = on;
	if (on)
		captured[0] = '\0';
	pthread_mutex_unlock(&log_lock);
}

const char *lvfs_log_captured(void)
{
	return captured;
}

static void flush_partial(void)
{
	int level = partial_level;

	partial[partial_len] = '\0';
	partial_len = 0;
	if (partial[0] == '\0')
		return;
	pthread_mutex_lock(&log_lock);
	if (capture_on && level <= FUSE_LOG_ERR) {
		snprintf(captured, sizeof(captured), "%s", partial);
		pthread_mutex_unlock(&log_lock);
		return;
	}
	pthread_mutex_unlock(&log_lock);
	/* fuse_log levels use syslog's numbering; errors get our name. */
	emit(level, level <= FUSE_LOG_ERR ? "lakeview: " : "", partial);
}

/** fuse_set_log_func() target: libfuse's messages, joined into lines. */
void lvfs_fuse_log(enum fuse_log_level level, const char *fmt, va_list ap)
{
	char piece[LOG_LINE_MAX];
	const char *p;
	const char *nl;

	vsnprintf(piece, sizeof(piece), fmt, ap);
	if (partial_len == 0)
		partial_level = (int)level;
	for (p = piece; *p != '\0'; p = nl + 1) {
		size_t n;

		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		if (n > sizeof(partial) - 1 - partial_len)
			n = sizeof(partial) - 1 - partial_len;
		memcpy(partial + partial_len, p, n);
		partial_len += n;
		if (nl == NULL)
			break;
		flush_partial();
		partial_level = (int)level;
	}
}
