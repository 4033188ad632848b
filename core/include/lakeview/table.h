/**
 * @file table.h
 * @brief Tables of a link: their schema, options and sync state, and
 *        their records in the store.
 *
 * Caveats first:
 *  - A table is built from Dataverse metadata (lakeview/schema.h); it is
 *    added, removed and saved with what goes with it in the lake through
 *    lakeview/lake.h. What is here reads records and edits a table
 *    in memory.
 *  - Columns are never reordered or dropped: a new attribute is appended,
 *    an attribute removed at the source stays and is written empty, a
 *    changed type fails the table (remove and add it again to fix).
 *  - Table and column names are checked: letters, digits and '_' only
 *    (Dataverse logical names), and not the lake's reserved folder names.
 *  - Edit the state, reason and sync state through the setters below;
 *    the other fields may be read freely.
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
#define LV_COL_DATEONLY  0x20 /**< DateTimeBehavior DateOnly: a DATE in Delta */

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

/** Is @p name a safe table or column name? */
int lv_name_ok(const char *name);

/**
 * Set the sync state of @p t (one of LV_STATE_*; NULL keeps it) and the
 * reason shown with it (truncated to fit; "" clears it; NULL keeps it).
 * Saved with the table (lv_lake_table_update() or a batch's commit).
 */
void lv_table_set_state(struct lv_table *t, const char *state,
			const char *reason);

/**
 * Replace the source's sync state of @p t (a JSON text the source owns,
 * copied; NULL drops it). @return 0 or -ENOMEM (nothing changed then).
 */
int lv_table_set_sync(struct lv_table *t, const char *json)
	__attribute__((warn_unused_result));

/** Callback for lv_table_list(). */
typedef int (*lv_table_fn)(void *arg, const struct lv_table *t);

/** Call @p fn for each table, in name order. */
int lv_table_list(struct lv_store *st, lv_table_fn fn, void *arg);

/** Load one table. @return 0 or LV_ENOTABLE. */
int lv_table_get(struct lv_store *st, const char *name, struct lv_table *out);

#endif
