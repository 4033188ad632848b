/**
 * @file err.h
 * @brief Error codes of liblakeview, and the one-line detail behind them.
 *
 * Caveats first:
 *  - The library never prints and never exits. Every fallible function
 *    returns an int: 0 on success, a negative errno (-ENOENT, -ENOMEM, ...),
 *    a negative LMDB code (MDB_MAP_FULL, ...) or one of the LV_E codes
 *    below. lv_strerror() names any of them.
 *  - Errors caused by input (a bad JSON line, a hostile column name) also
 *    leave a one-line detail naming the bad thing in a thread-local buffer,
 *    read with lv_err_detail(). Callers that show errors to people print
 *    the detail when it is set, the code's text otherwise.
 *
 * The LV_E range sits below LMDB's (-30799 ... -30780) so that the three
 * families never collide.
 */
#ifndef LAKEVIEW_ERR_H
#define LAKEVIEW_ERR_H

#include <stdarg.h>

enum {
	LV_EFIRST = -31999,
	LV_EBADJSON = LV_EFIRST, /**< input is not the JSON we expect */
	LV_EBADVALUE,            /**< a value has the wrong type or shape */
	LV_EBADNAME,             /**< a table or column name is unsafe */
	LV_ETOOBIG,              /**< a value or line passes its ceiling */
	LV_ENOSTORE,             /**< the directory is not a lakeview store */
	LV_EFORMAT,              /**< the store was written by another format */
	LV_ENOTABLE,             /**< no such table in the store */
	LV_ESCHEMA,              /**< a schema change we cannot apply */
	LV_ECONF,                /**< lakeview.conf is malformed or unsafe */
	LV_ECHANGED,             /**< the tree changed too much to follow */
	LV_EREMOTE,              /**< the remote service answered an error */
	LV_ETRANSPORT,           /**< the connection failed (DNS, TCP, TLS) */
	LV_EAUTH,                /**< credentials refused */
	LV_ELAST
};

/** Text for any code this library returns (errno, LMDB or LV_E). */
const char *lv_strerror(int rc);

/**
 * Map any code this library returns to a positive errno, for callers that
 * speak only errno (FUSE replies). 0 maps to 0; LMDB's codes and the LV_E
 * codes map to the nearest errno (MDB_READERS_FULL to EMFILE, MDB_MAP_FULL
 * to ENOSPC, LV_ETOOBIG to EFBIG, LV_ECHANGED to ESTALE, ...). Unknown
 * codes become EIO: a caller that cannot tell what went wrong must not
 * pretend a file is missing.
 */
int lv_err_errno(int rc);

/** The detail of the last input error on this thread, or "" if none. */
const char *lv_err_detail(void);

/** Clear the detail of this thread. */
void lv_err_clear(void);

/**
 * Set the detail of this thread (printf-like, truncated at 512 bytes) and
 * return @p rc, so that `return lv_err_set(LV_EBADVALUE, "...")` reads well.
 */
int lv_err_set(int rc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
