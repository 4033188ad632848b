/**
 * @file err.h
 * @brief Error codes of liblakeview, and the one-line detail behind them.
 *
 * Caveats first:
 *  - The library never prints and never exits. Every fallible function
 *    returns an int: 0 on success, a negative errno (-ENOENT, -ENOMEM, ...),
 *    a negative LMDB code (MDB_MAP_FULL, ...) or one of the LV_E codes
 *    below. lv_strerror() names any of them; lv_err_errno() maps any of
 *    them to errno.
 *  - Show a failure with lv_err_message(rc), never with lv_err_detail():
 *    the detail is per thread and outlives the failure that set it, and
 *    only lv_err_message() checks that it belongs to @p rc.
 *  - A detail set for the same code by an earlier failure that nobody
 *    cleared would still be shown. So the contract of every public
 *    function: when it fails it either sets the detail for the code it
 *    returns (lv_err_set) or leaves no detail for that code (lv_err_clear
 *    where it may have one, as the store's write transactions do on an
 *    LMDB error); long-running entry points (a table's sync, a push, an
 *    ingest item) clear the detail when they start.
 *  - A function that turns one code into another must set the detail
 *    again for the code it returns, or the detail is lost (by design).
 *
 * Errors caused by input (a bad JSON line, a hostile column name) leave a
 * one-line detail naming the bad thing in a thread-local buffer, together
 * with the code it explains.
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

/**
 * The line to show people for a failure with code @p rc: the detail of
 * this thread when it was set for @p rc (and not cleared since), else
 * lv_strerror(@p rc). Never NULL; valid until this thread's next
 * lv_err_set().
 */
const char *lv_err_message(int rc);

/**
 * The detail set for @p rc on this thread, or NULL when there is none
 * (never set, cleared since, set for another code, or @p rc is 0). For
 * callers that word the no-detail case themselves.
 */
const char *lv_err_detail_for(int rc);

/**
 * The detail of the last lv_err_set() on this thread, whatever its code,
 * or "" after lv_err_clear(). Inside core only, to wrap or test for a
 * detail while a failure is being handled; to show one, use
 * lv_err_message().
 */
const char *lv_err_detail(void);

/** Clear the detail of this thread (and the code it was for). */
void lv_err_clear(void);

/**
 * Set the detail of this thread for code @p rc (printf-like, truncated at
 * 512 bytes) and return @p rc, so that
 * `return lv_err_set(LV_EBADVALUE, "...")` reads well.
 */
int lv_err_set(int rc, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * Make untrusted text (a table or column name from a schema, a value from
 * a server) safe to quote in a one-line message: control bytes, DEL,
 * quotes and backslashes become \xNN, and text past 64 bytes is cut with
 * "...". Writes into @p buf (96 bytes are always enough) and returns it.
 */
const char *lv_err_quote(const char *s, char *buf, size_t len);

#endif
