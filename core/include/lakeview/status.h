/**
 * @file status.h
 * @brief The link's state as JSON, for `lakectl status --json` and the
 *        FUSE daemon's `.lakeview/status.json`.
 *
 * Caveats first: the document is built from one reader's version; it
 * never contains secrets (only the names of the files or variables that
 * hold them).
 */
#ifndef LAKEVIEW_STATUS_H
#define LAKEVIEW_STATUS_H

#include "lakeview/buf.h"
#include "lakeview/reader.h"

/**
 * Append the status of the store read by @p r to @p out as one JSON
 * object: `{"store":..., "container":..., "lake_url":..., "last_seq":N,
 * "last_commit":"ISO time", "tables":[{"name":..., "state":...,
 * "count":N, "append_only":bool, "partition":"Year"|"Month",
 * "last_synchronized_on":..., "reason":...}], ...}`.
 * The caller may add members by writing before the final '}' (the
 * function leaves out->len pointing just past it).
 * @return 0, -ENOMEM, LV_ETOOBIG or an LMDB code.
 */
int lv_status_json(struct lv_store *st, struct lv_reader *r,
		   struct lv_buf *out);

#endif
