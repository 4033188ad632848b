/*
 * err.c - error texts, the per-thread error detail, and the one mapping
 * of codes to errno.
 *
 * A code alone cannot say which line or which field was bad, and the
 * library must not print; a small thread-local buffer carries that one
 * line to whoever shows it. Thread-local because the FUSE daemon and the
 * sync client run several threads.
 *
 * The detail remembers the code it was set for, and is shown only for
 * that code (lv_err_message): a detail is a thread-wide leftover once its
 * failure has been handled, and a later failure with another code (an
 * LMDB error after a bad row of another table) must never print it.
 *
 * The errno mapping lives here, not in the daemon, because the codes are
 * core's (LMDB's among them): whoever speaks errno asks core, and nothing
 * above core needs to know LMDB.
 */
#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <string.h>

#include "lakeview/err.h"

#define LV_ERR_DETAIL_MAX 512

static __thread char detail[LV_ERR_DETAIL_MAX];
static __thread int detail_rc;  /* the code detail was set for */

static const char *const texts[] = {
	[LV_EBADJSON - LV_EFIRST] = "malformed JSON",
	[LV_EBADVALUE - LV_EFIRST] = "value of the wrong type or shape",
	[LV_EBADNAME - LV_EFIRST] = "unsafe table or column name",
	[LV_ETOOBIG - LV_EFIRST] = "value or line too large",
	[LV_ENOSTORE - LV_EFIRST] = "not a lakeview store",
	[LV_EFORMAT - LV_EFIRST] = "store written by an incompatible version",
	[LV_ENOTABLE - LV_EFIRST] = "no such table in the store",
	[LV_ESCHEMA - LV_EFIRST] = "schema change that cannot be applied",
	[LV_ECONF - LV_EFIRST] = "bad lakeview.conf",
	[LV_ECHANGED - LV_EFIRST] = "too many changes to follow",
	[LV_EREMOTE - LV_EFIRST] = "the remote service answered an error",
	[LV_ETRANSPORT - LV_EFIRST] = "connection failed",
	[LV_EAUTH - LV_EFIRST] = "credentials refused",
};

const char *lv_strerror(int rc)
{
	if (rc == 0)
		return "success";
	if (rc >= LV_EFIRST && rc < LV_ELAST)
		return texts[rc - LV_EFIRST];
	if (rc <= MDB_KEYEXIST && rc >= MDB_LAST_ERRCODE)
		return mdb_strerror(rc);
	if (rc < 0)
		return strerror(-rc);
	return strerror(rc);
}

int lv_err_errno(int rc)
{
	if (rc == 0)
		return 0;
	/* LMDB hands some errno values back positive (mdb_env_open). */
	if (rc > 0 && rc < 4096)
		return rc;
	if (rc < 0 && rc > -4096)
		return -rc;

	switch (rc) {
	case MDB_NOTFOUND:
		return ENOENT;
	case MDB_READERS_FULL:
	case MDB_TLS_FULL:
		return EMFILE;        /* every reader slot is taken */
	case MDB_MAP_RESIZED:
		return EAGAIN;        /* the writer grew the map: retry */
	case MDB_MAP_FULL:
	case MDB_TXN_FULL:
		return ENOSPC;
	case MDB_BAD_VALSIZE:
	case LV_ETOOBIG:
		return EFBIG;
	case LV_EBADNAME:
		return EINVAL;
	case LV_ENOTABLE:
		return ENOENT;
	case LV_ECHANGED:
		return ESTALE;
	case MDB_VERSION_MISMATCH:
	case MDB_INVALID:
	case MDB_INCOMPATIBLE:
	case LV_ENOSTORE:
	case LV_EFORMAT:
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_PANIC:
	default:
		return EIO;
	}
}

const char *lv_err_detail(void)
{
	return detail;
}

const char *lv_err_detail_for(int rc)
{
	if (rc == 0 || rc != detail_rc || detail[0] == '\0')
		return NULL;
	return detail;
}

const char *lv_err_message(int rc)
{
	const char *d = lv_err_detail_for(rc);

	return d ? d : lv_strerror(rc);
}

void lv_err_clear(void)
{
	detail[0] = '\0';
	detail_rc = 0;
}

int lv_err_set(int rc, const char *fmt, ...)
{
	va_list ap;

	char tmp[LV_ERR_DETAIL_MAX];

	/* through a copy: the arguments may quote the detail itself */
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	memcpy(detail, tmp, sizeof(detail));
	detail_rc = rc;
	return rc;
}

const char *lv_err_quote(const char *s, char *buf, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t j = 0, i;

	if (!len)
		return buf;
	for (i = 0; s[i] && i < 64 && j + 5 < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == '\'' || c == '"' || c == '\\') {
			buf[j++] = '\\';
			buf[j++] = 'x';
			buf[j++] = hex[c >> 4];
			buf[j++] = hex[c & 15];
		} else {
			buf[j++] = (char)c;
		}
	}
	if (s[i] && j + 4 < len) {
		memcpy(buf + j, "...", 3);
		j += 3;
	}
	buf[j] = '\0';
	return buf;
}
