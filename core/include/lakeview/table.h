/**
 * @file table.h
 * @brief Tables of a link: their schema, options and sync state.
 *
 * Caveats first:
 *  - A table's schema comes from Dataverse metadata JSON, the document
 *    `GET EntityDefinitions(LogicalName='x')?$expand=Attributes` returns.
 *    The mapping to lake columns is written down once, in schema.c, and
 *    is the same for `lakectl tables add --schema` and for the sync.
 *  - Columns are never reordered or dropped: a new attribute is appended,
 *    an attribute removed at the source stays and is written empty, a
 *    changed type fails the table (remove and add it again to fix).
 *  - Table and column names are checked: letters, digits and '_' only
 *    (Dataverse logical names), and not the lake's reserved folder names.
 */
#ifndef LAKEVIEW_TABLE_H
#define LAKEVIEW_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "lakeview/store.h"

#define LV_TABLE_NAME_MAX 128
#define LV_COL_NAME_MAX 128

/** CDM data types of lake columns (model.json `dataType`). */
enum lv_ctype {
	LV_T_GUID, LV_T_STRING, LV_T_INT64, LV_T_DECIMAL, LV_T_DOUBLE,
	LV_T_BOOLEAN, LV_T_DATETIME, LV_T_DATETIMEOFFSET,
};

/** How a value is written in the CSV. */
enum lv_cfmt {
	LV_F_PLAIN,       /**< as the type says */
	LV_F_DATE_Z,      /**< yyyy-MM-ddTHH:mm:ssZ */
	LV_F_DATE_OFF7,   /**< yyyy-MM-ddTHH:mm:ss.fffffff+00:00 (createdon) */
	LV_F_SINK,        /**< M/d/yyyy h:mm:ss AM (Sink columns) */
	LV_F_MULTI,       /**< multi-select choice: codes as a string */
};

/** Column roles. */
#define LV_COL_ID        0x01 /**< Id: the row's primary key */
#define LV_COL_SINK_C    0x02 /**< SinkCreatedOn */
#define LV_COL_SINK_M    0x04 /**< SinkModifiedOn */
#define LV_COL_ISDELETE  0x08 /**< IsDelete (append-only tables) */
#define LV_COL_REMOVED   0x10 /**< gone at the source: written empty */

struct lv_column {
	char name[LV_COL_NAME_MAX + 1];   /**< lake column name */
	char prop[LV_COL_NAME_MAX + 16];  /**< Web API property (_x_value) */
	char attrtype[32];                /**< Dataverse AttributeType */
	uint8_t type;                     /**< enum lv_ctype */
	uint8_t fmt;                      /**< enum lv_cfmt */
	uint16_t flags;                   /**< LV_COL_* */
	int32_t maxlen;                   /**< maxLength, -1 if none */
	int16_t precision, scale;         /**< decimals */
	uint32_t hash;                    /**< hash of prop, for lookups */
};

/** Sync states, as the portal shows them. */
#define LV_STATE_NOTSTARTED "NotStarted"
#define LV_STATE_INPROGRESS "InProgress"
#define LV_STATE_COMPLETED "Completed"
#define LV_STATE_FAILED "Failed"

struct lv_table {
	uint32_t id;
	char name[LV_TABLE_NAME_MAX + 1];
	char entityset[LV_TABLE_NAME_MAX + 16];
	char idattr[LV_COL_NAME_MAX + 1];
	int append_only;
	int by_month;
	char state[32];
	char reason[512];
	uint64_t count;              /**< rows, or changes when append-only */
	int64_t added;               /**< when the table was added */
	int64_t last_sync;           /**< last synchronized on */
	int64_t initial_done;        /**< initial sync completed */
	int64_t last_change;         /**< last change applied */
	size_t ncols;
	struct lv_column *cols;
	int icreatedon;              /**< index of createdon or -1 */
	int iversion;                /**< index of versionnumber or -1 */
	char *options_json;          /**< option-set rows (JSON), or NULL */
	char *sync_json;             /**< source sync state (JSON), or NULL */
};

/** Free what a table holds (not the struct itself). */
void lv_table_free(struct lv_table *t);

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

/**
 * Save a table's state, sync state and schema (in one commit). When
 * @p schema_changed, the per-table manifest, model.json and the
 * OptionsetMetadata CSVs are rewritten in the same commit.
 */
int lv_table_update(struct lv_store *st, const struct lv_table *t,
		    int schema_changed) __attribute__((warn_unused_result));

/** Is @p name a safe table or column name? */
int lv_name_ok(const char *name);

/**
 * Add a table to the store and create its lake folder, per-table
 * manifest and model.json entry, in one commit.
 * @return 0; -EEXIST if it is there already; other codes.
 */
int lv_table_add(struct lv_store *st, struct lv_table *t)
	__attribute__((warn_unused_result));

/**
 * Remove a table: its rows, folder, snapshots and manifest leave the lake
 * and model.json in one commit (the change log keeps its history).
 * @return 0; LV_ENOTABLE.
 */
int lv_table_remove(struct lv_store *st, const char *name)
	__attribute__((warn_unused_result));

/** Callback for lv_table_list(). */
typedef int (*lv_table_fn)(void *arg, const struct lv_table *t);

/** Call @p fn for each table, in name order. */
int lv_table_list(struct lv_store *st, lv_table_fn fn, void *arg);

/** Load one table. @return 0 or LV_ENOTABLE. */
int lv_table_get(struct lv_store *st, const char *name, struct lv_table *out);

#endif
