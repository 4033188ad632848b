/**
 * @file schema.h
 * @brief Dataverse metadata -> lake columns: building a table from an
 *        EntityDefinitions document, and following its later changes.
 *
 * Caveats first:
 *  - A table's schema comes from Dataverse metadata JSON, the document
 *    `GET EntityDefinitions(LogicalName='x')?$expand=Attributes` returns.
 *    The mapping to lake columns is written down once, in schema.c, and
 *    is the same for `lakectl tables add --schema` and for the sync.
 *  - Columns are never reordered or dropped (see lakeview/table.h); a
 *    changed type is refused, never applied.
 *  - Nothing here touches the store: the result is a struct lv_table in
 *    memory, added or saved through lakeview/lake.h.
 */
#ifndef LAKEVIEW_SCHEMA_H
#define LAKEVIEW_SCHEMA_H

#include <stddef.h>

#include "lakeview/table.h"

/**
 * Build a table from Dataverse metadata JSON (see the caveats).
 * @param json,len    the metadata document
 * @param append_only, by_month  table options
 * @param out         filled; free with lv_table_free()
 * @return 0, LV_EBADJSON, LV_EBADNAME, LV_EBADVALUE (with the detail).
 */
int lv_table_from_metadata(const char *json, size_t len, int append_only,
			   int by_month, struct lv_table *out);

/**
 * Bring @p t up to the metadata in @p fresh (built by
 * lv_table_from_metadata): new attributes are appended, attributes gone
 * at the source are flagged LV_COL_REMOVED (kept, written empty), lengths
 * and option sets follow the source.
 * @param changed  set to 1 when anything changed
 * @return 0; LV_ESCHEMA when a column changed type (nothing is changed;
 *         the detail says what and how to fix it).
 */
int lv_table_merge(struct lv_table *t, const struct lv_table *fresh,
		   int *changed);

#endif
