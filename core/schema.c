/*
 * schema.c - Dataverse metadata -> lake columns.
 *
 * The mapping from Dataverse attribute types to CDM data types is written
 * down here once, as a table (map[] below), because the lake's consumers
 * bind CSV columns to model.json attributes by position and type: an
 * accidental change of one row of this table would break every reader.
 * Rows marked INFERRED are our decisions where no source settled it
 * (reference/dataverse-api.md §2.3, lake-format.md §2.4):
 *
 *   AttributeType        dataType         CSV value format
 *   Uniqueidentifier     guid             lowercase, unquoted
 *   Lookup/Owner/Customer guid            from _<name>_value (INFERRED)
 *   String, Memo         string           quoted; maxLength = MaxLength
 *   EntityName           string           quoted (INFERRED)
 *   Integer, BigInt      int64
 *   Picklist/State/Status int64           the option code (INFERRED)
 *   Decimal              decimal(38,Precision)  number text as received
 *   Money                decimal(38,4)    (INFERRED: money's DB scale 4)
 *   Double               double           number text as received
 *   Boolean              boolean          True / False
 *   DateTime createdon   dateTimeOffset   yyyy-MM-ddTHH:mm:ss.fffffff+00:00
 *   DateTime others      dateTime         yyyy-MM-ddTHH:mm:ssZ (DateOnly:
 *                                         T00:00:00Z, INFERRED; the
 *                                         column is marked DATEONLY
 *                                         when DateTimeBehavior says
 *                                         so: a DATE in Delta)
 *   Virtual with AttributeTypeName MultiSelectPicklistType
 *                        string           the codes as sent, quoted
 *   Virtual (others), PartyList, CalendarRules, ManagedProperty,
 *   Image/File, attributes with AttributeOf, IsValidForRead false: skipped
 *
 * The lake's columns are Id, SinkCreatedOn, SinkModifiedOn, the mapped
 * attributes in metadata order, then IsDelete on append-only tables;
 * attributes added later go after all of those.
 *
 * Nothing here touches the store: the table records and their JSON form
 * are table.c's; this file only decides which columns a table has.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "jrow.h"
#include "lakeview/err.h"
#include "lakeview/schema.h"
#include "table_i.h"

static const char *const reserved[] = {
	"model", "optionsetmetadata", "microsoft", "snapshot", "changelog",
	"entitysyncfailure", "deltalake",
};
/* what each reserved name stands for, in the same order */
static const char *const reserved_what[] = {
	"the lake's root holds model.json",
	"the lake's root holds OptionsetMetadata/",
	"the lake's root holds Microsoft.Athena.TrickleFeedService/",
	"every table's folder holds a Snapshot/ folder",
	"Synapse Link's ChangeLog/ folder has that name",
	"Synapse Link's EntitySyncFailure/ folder has that name",
	"the lake's root holds the Delta tables in deltalake/",
};

/* 0, or the error (with its one-line detail) for a table name the lake
 * cannot hold. */
static int table_name_check(const char *name)
{
	char q[96];

	if (!lv_name_ok(name) || strlen(name) > LV_TABLE_NAME_MAX)
		return lv_err_set(LV_EBADNAME, "schema: table name '%s' is not a Dataverse logical name (letters, digits, '_', at most %d)",
				  lv_err_quote(name, q, sizeof(q)), LV_TABLE_NAME_MAX);
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcasecmp(name, reserved[i]) == 0)
			return lv_err_set(LV_EBADNAME, "schema: table name '%s' is reserved: %s",
					  name, reserved_what[i]);
	return 0;
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (json_is_object(v))
		v = json_object_get(v, "Value");
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/*
 * A whole number of the metadata, within [lo, hi]: 0 with *v, or an
 * LV_ESCHEMA error naming the table, attribute and value (a value that
 * does not fit is not truncated into one that does).
 */
static int meta_int(json_t *n, const char *table, const char *attr,
		    const char *what, long lo, long hi, int *v)
{
	json_int_t x = json_integer_value(n);

	if (!json_is_integer(n) || x < lo || x > hi)
		return lv_err_set(LV_ESCHEMA, "schema: %s of %s.%s is %s%lld, not a whole number from %ld to %ld",
				  what, table, attr, json_is_integer(n) ? "" : "not a number: ",
				  json_is_integer(n) ? (long long)x : 0LL, lo, hi);
	*v = (int)x;
	return 0;
}

/* Map one attribute. Returns 1 when it becomes a column, 0 when skipped,
 * a negative code (with its detail) for metadata out of range. */
static int map_attr(json_t *a, const char *table, int *type, int *fmt,
		    int *maxlen, int *precision, int *scale, int *lookup)
{
	const char *at = jstr(a, "AttributeType");
	const char *tn = jstr(a, "AttributeTypeName");
	const char *name = jstr(a, "LogicalName");
	const char *beh = jstr(a, "DateTimeBehavior");
	json_t *of = json_object_get(a, "AttributeOf");
	json_t *rd = json_object_get(a, "IsValidForRead");
	json_t *ml = json_object_get(a, "MaxLength");
	json_t *pr = json_object_get(a, "Precision");

	*fmt = LV_F_PLAIN;
	*maxlen = -1;
	*precision = 0;
	*scale = 0;
	*lookup = 0;
	if (!at || !name)
		return 0;
	if (of && !json_is_null(of))
		return 0;
	if (json_is_false(rd))
		return 0;
	if (!strcmp(at, "Uniqueidentifier")) {
		*type = LV_T_GUID;
	} else if (!strcmp(at, "Lookup") || !strcmp(at, "Owner") ||
		   !strcmp(at, "Customer")) {
		*type = LV_T_GUID;
		*lookup = 1;
	} else if (!strcmp(at, "String") || !strcmp(at, "Memo")) {
		*type = LV_T_STRING;
		/* Memo holds at most 1,048,576 characters; a larger or negative
		 * MaxLength is damaged metadata */
		if (ml && !json_is_null(ml)) {
			int rc = meta_int(ml, table, name, "MaxLength", 0, 1048576, maxlen);

			if (rc)
				return rc;
			if (*maxlen == 0)
				*maxlen = -1;
		}
	} else if (!strcmp(at, "EntityName")) {
		*type = LV_T_STRING;
		*maxlen = 64;
	} else if (!strcmp(at, "Integer") || !strcmp(at, "BigInt") ||
		   !strcmp(at, "Picklist") || !strcmp(at, "State") ||
		   !strcmp(at, "Status")) {
		*type = LV_T_INT64;
	} else if (!strcmp(at, "Decimal")) {
		*type = LV_T_DECIMAL;
		*precision = 38;
		*scale = 10;
		/* the scale of decimal(38,s): Dataverse allows 0-10 */
		if (pr && !json_is_null(pr)) {
			int rc = meta_int(pr, table, name, "Precision", 0, 38, scale);

			if (rc)
				return rc;
		}
	} else if (!strcmp(at, "Money")) {
		*type = LV_T_DECIMAL;
		*precision = 38;
		*scale = 4;
	} else if (!strcmp(at, "Double")) {
		*type = LV_T_DOUBLE;
	} else if (!strcmp(at, "Boolean")) {
		*type = LV_T_BOOLEAN;
	} else if (!strcmp(at, "DateTime")) {
		if (!strcmp(name, "createdon")) {
			*type = LV_T_DATETIMEOFFSET;
			*fmt = LV_F_DATE_OFF7;
		} else {
			*type = LV_T_DATETIME;
			*fmt = LV_F_DATE_Z;
		}
		(void)beh;
	} else if (!strcmp(at, "Virtual") && tn &&
		   !strcmp(tn, "MultiSelectPicklistType")) {
		*type = LV_T_STRING;
		*fmt = LV_F_MULTI;
	} else {
		return 0;
	}
	return 1;
}

static int labels_rows(json_t *rows, json_t *label, json_t *prefix,
		       json_t *suffix)
{
	json_t *ll = json_object_get(label, "LocalizedLabels"), *l;
	size_t i;

	json_array_foreach(ll, i, l) {
		json_t *row = json_deep_copy(prefix);
		json_t *code = json_object_get(l, "LanguageCode");
		json_t *text = json_object_get(l, "Label");

		if (!row)
			return -ENOMEM;
		json_array_append_new(row, json_string("False"));
		json_array_append_new(row, json_integer(json_is_integer(code) ?
							json_integer_value(code) : 1033));
		json_array_append_new(row, json_string(json_is_string(text) ?
						       json_string_value(text) : ""));
		if (suffix)
			json_array_extend(row, suffix);
		json_array_append_new(rows, row);
	}
	return 0;
}

/* Option-set, state, status and target rows for the OptionsetMetadata CSVs. */
static int collect_options(json_t *opts, const char *table, json_t *a)
{
	const char *at = jstr(a, "AttributeType");
	const char *name = jstr(a, "LogicalName");
	json_t *os = json_object_get(a, "OptionSet"), *o;
	json_t *targets = json_object_get(a, "Targets"), *tg;
	size_t i;
	int rc = 0;

	if (!at || !name)
		return 0;
	if (json_is_array(targets)) {
		json_array_foreach(targets, i, tg) {
			char ref[LV_TABLE_NAME_MAX + 140];

			if (!json_is_string(tg))
				continue;
			if (snprintf(ref, sizeof(ref), "%.128sid", json_string_value(tg)) >= (int)sizeof(ref))
				continue;
			json_array_append_new(json_object_get(opts, "target"),
				json_pack("[ssss]", table, name, json_string_value(tg), ref));
		}
	}
	if (!json_is_object(os))
		os = json_object_get(a, "GlobalOptionSet");
	if (!json_is_object(os))
		return 0;
	json_array_foreach(json_object_get(os, "Options"), i, o) {
		json_t *val = json_object_get(o, "Value");
		json_t *label = json_object_get(o, "Label");
		json_t *prefix = NULL, *suffix = NULL;
		const char *set = NULL;

		if (!json_is_integer(val))
			continue;
		if (!strcmp(at, "State")) {
			set = "state";
			prefix = json_pack("[sI]", table, json_integer_value(val));
		} else if (!strcmp(at, "Status")) {
			json_t *state = json_object_get(o, "State");

			set = "status";
			prefix = json_pack("[sII]", table,
					   json_is_integer(state) ? json_integer_value(state) : 0,
					   json_integer_value(val));
		} else if (json_is_true(json_object_get(os, "IsGlobal"))) {
			const char *gname = jstr(os, "Name");

			set = "globaloptionset";
			prefix = json_pack("[sI]", name, json_integer_value(val));
			suffix = json_pack("[sss]", gname ? gname : name, table, "");
		} else {
			set = "optionset";
			prefix = json_pack("[ssI]", table, name, json_integer_value(val));
		}
		if (!prefix)
			rc = -ENOMEM;
		if (!rc)
			rc = labels_rows(json_object_get(opts, set), label, prefix, suffix);
		json_decref(prefix);
		json_decref(suffix);
		if (rc)
			return rc;
	}
	return 0;
}

int lv_table_from_metadata(const char *json, size_t len, int append_only,
			   int by_month, struct lv_table *t)
{
	json_error_t jerr;
	json_t *root, *attrs, *a, *opts = NULL;
	const char *name, *set, *idattr;
	size_t i;
	int rc = 0;

	memset(t, 0, sizeof(*t));
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return lv_err_set(LV_EBADJSON, "schema: %s at line %d column %d",
				  jerr.text, jerr.line, jerr.column);
	name = jstr(root, "LogicalName");
	set = jstr(root, "EntitySetName");
	idattr = jstr(root, "PrimaryIdAttribute");
	attrs = json_object_get(root, "Attributes");
	if (!name || !json_is_array(attrs)) {
		rc = lv_err_set(LV_EBADJSON, "schema: expected an EntityDefinitions document with LogicalName and Attributes (GET EntityDefinitions(LogicalName='x')?$expand=Attributes)");
		goto out;
	}
	rc = table_name_check(name);
	if (rc)
		goto out;
	snprintf(t->name, sizeof(t->name), "%s", name);
	for (char *p = t->name; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	snprintf(t->entityset, sizeof(t->entityset), "%s", set ? set : name);
	if (idattr)
		snprintf(t->idattr, sizeof(t->idattr), "%s", idattr);
	else
		snprintf(t->idattr, sizeof(t->idattr), "%.126sid", t->name);
	if (!lv_name_ok(t->idattr) || (set && !lv_name_ok(set))) {
		rc = lv_err_set(LV_EBADNAME, "schema: bad PrimaryIdAttribute or EntitySetName in table %s", t->name);
		goto out;
	}
	t->append_only = append_only;
	t->by_month = by_month;
	lv_table_set_state(t, LV_STATE_NOTSTARTED, NULL);
	rc = lv_table_add_col(t, "Id", "", "Uniqueidentifier", LV_T_GUID, LV_F_PLAIN, LV_COL_ID, -1, 0, 0);
	if (!rc)
		rc = lv_table_add_col(t, "SinkCreatedOn", "", "DateTime", LV_T_DATETIME, LV_F_SINK, LV_COL_SINK_C, -1, 0, 0);
	if (!rc)
		rc = lv_table_add_col(t, "SinkModifiedOn", "", "DateTime", LV_T_DATETIME, LV_F_SINK, LV_COL_SINK_M, -1, 0, 0);
	if (rc)
		goto out;
	opts = json_pack("{s[]s[]s[]s[]s[]}", "optionset", "globaloptionset",
			 "state", "status", "target");
	if (!opts) {
		rc = -ENOMEM;
		goto out;
	}
	json_array_foreach(attrs, i, a) {
		const char *an = jstr(a, "LogicalName");
		const char *at = jstr(a, "AttributeType"), *beh;
		int type, fmt, maxlen, prec, scale, lookup;
		char prop[LV_COL_NAME_MAX + 16];

		if (!json_is_object(a) || !an) {
			rc = lv_err_set(LV_EBADJSON, "schema: attribute %zu of table %s has no LogicalName", i, t->name);
			goto out;
		}
		rc = map_attr(a, t->name, &type, &fmt, &maxlen, &prec, &scale, &lookup);
		if (rc < 0)
			goto out;
		if (rc == 0)
			continue;
		rc = 0;
		if (!lv_name_ok(an)) {
			char q[96];

			rc = lv_err_set(LV_EBADNAME, "schema: column name '%s' of table %s is not a Dataverse logical name (letters, digits, '_')",
					lv_err_quote(an, q, sizeof(q)), t->name);
			goto out;
		}
		snprintf(prop, sizeof(prop), lookup ? "_%s_value" : "%s", an);
		beh = jstr(a, "DateTimeBehavior");
		rc = lv_table_add_col(t, an, prop, at, type, fmt,
				      type == LV_T_DATETIME && beh && !strcmp(beh, "DateOnly")
				      ? LV_COL_DATEONLY : 0, maxlen, prec, scale);
		if (!rc)
			rc = collect_options(opts, t->name, a);
		if (rc)
			goto out;
	}
	if (append_only) {
		rc = lv_table_add_col(t, "IsDelete", "", "Boolean", LV_T_BOOLEAN, LV_F_PLAIN, LV_COL_ISDELETE, -1, 0, 0);
		if (rc)
			goto out;
	}
	t->options_json = json_dumps(opts, JSON_COMPACT);
	if (!t->options_json) {
		rc = -ENOMEM;
		goto out;
	}
	lv_table_index(t);
	/* Append-only is forced for tables without createdon (lake-format §1.3) */
	if (t->icreatedon < 0 && !t->append_only) {
		t->append_only = 1;
		rc = lv_table_add_col(t, "IsDelete", "", "Boolean", LV_T_BOOLEAN, LV_F_PLAIN, LV_COL_ISDELETE, -1, 0, 0);
		if (rc)
			goto out;
		lv_table_index(t);
	}
	if (t->append_only)
		t->by_month = 0;  /* append-only tables are partitioned by Year */
out:
	json_decref(opts);
	json_decref(root);
	if (rc)
		lv_table_free(t);
	return rc;
}

/* --- schema changes -------------------------------------------------------- */

static struct lv_column *find_col(struct lv_table *t, const char *name)
{
	for (size_t i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i].name, name) == 0)
			return &t->cols[i];
	return NULL;
}

int lv_table_merge(struct lv_table *t, const struct lv_table *fresh, int *changed)
{
	int rc;

	*changed = 0;
	/* type changes first: nothing changes when one is found */
	for (size_t i = 0; i < fresh->ncols; i++) {
		const struct lv_column *f = &fresh->cols[i];
		struct lv_column *c;

		if (f->flags & (LV_COL_ID | LV_COL_SINK_C | LV_COL_SINK_M | LV_COL_ISDELETE))
			continue;
		c = find_col(t, f->name);
		if (c && (c->type != f->type || c->fmt != f->fmt))
			return lv_err_set(LV_ESCHEMA,
					  "column '%s' changed type from %s to %s in Dataverse; remove and add the table again ('lakectl tables remove', then 'tables add')",
					  f->name, c->attrtype, f->attrtype);
	}
	for (size_t i = 0; i < fresh->ncols; i++) {
		const struct lv_column *f = &fresh->cols[i];
		struct lv_column *c;

		if (f->flags & (LV_COL_ID | LV_COL_SINK_C | LV_COL_SINK_M | LV_COL_ISDELETE))
			continue;
		c = find_col(t, f->name);
		if (!c) {
			rc = lv_table_add_col(t, f->name, f->prop, f->attrtype, f->type, f->fmt,
					      f->flags & LV_COL_DATEONLY, f->maxlen, f->precision,
					      f->scale);
			if (rc)
				return rc;
			*changed = 1;
			continue;
		}
		if (c->flags & LV_COL_REMOVED) {
			c->flags &= (uint16_t)~LV_COL_REMOVED;
			*changed = 1;
		}
		if (c->maxlen != f->maxlen || c->precision != f->precision ||
		    c->scale != f->scale || strcmp(c->prop, f->prop)) {
			c->maxlen = f->maxlen;
			c->precision = f->precision;
			c->scale = f->scale;
			snprintf(c->prop, sizeof(c->prop), "%s", f->prop);
			*changed = 1;
		}
	}
	/* columns gone at the source stay, written empty */
	for (size_t i = 0; i < t->ncols; i++) {
		struct lv_column *c = &t->cols[i];

		if (c->flags & (LV_COL_ID | LV_COL_SINK_C | LV_COL_SINK_M |
				LV_COL_ISDELETE | LV_COL_REMOVED))
			continue;
		if (!find_col((struct lv_table *)fresh, c->name)) {
			c->flags |= LV_COL_REMOVED;
			*changed = 1;
		}
	}
	if (fresh->options_json && (!t->options_json ||
				    strcmp(fresh->options_json, t->options_json))) {
		char *o = strdup(fresh->options_json);

		if (!o)
			return -ENOMEM;
		free(t->options_json);
		t->options_json = o;
		*changed = 1;
	}
	if (strcmp(t->entityset, fresh->entityset)) {
		snprintf(t->entityset, sizeof(t->entityset), "%s", fresh->entityset);
		*changed = 1;
	}
	lv_table_index(t);
	return 0;
}
