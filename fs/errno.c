/*
 * errno.c - the one mapping from liblakeview return codes to errno.
 *
 * Why a file of its own: liblakeview returns three families of codes
 * (negative errno, LMDB's MDB_* codes, its own LV_E* codes), and FUSE
 * replies speak only errno. The design rule is that this translation
 * happens in exactly one function, so a new code is mapped once and every
 * handler agrees on what a user sees for it.
 */
#include <errno.h>
#include <lmdb.h>

#include "lakeview/err.h"
#include "lakeview_i.h"

/**
 * Map a liblakeview return code to a positive errno for fuse_reply_err().
 * 0 maps to 0. Unknown codes become EIO: a daemon that cannot tell what
 * went wrong must not pretend the file is missing.
 */
int lvfs_errno(int rc)
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
