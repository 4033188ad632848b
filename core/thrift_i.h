/*
 * thrift_i.h - a writer of the Thrift compact protocol, the encoding of
 * Parquet's page headers and footer (core's own, for parquet.c).
 *
 * Write-only and driven by hand: the caller emits fields in ascending id
 * order, as Parquet's IDL (parquet.thrift) numbers them. Errors are sticky:
 * after a failed append every call does nothing and lv_thrift_end()
 * returns the first code, so a footer of dozens of fields reads as the
 * list of its fields.
 */
#ifndef LAKEVIEW_THRIFT_I_H
#define LAKEVIEW_THRIFT_I_H

#include <stddef.h>
#include <stdint.h>

#include "lakeview/buf.h"

/* Compact protocol type codes (thrift-compact-protocol.md) */
enum {
	LV_THRIFT_TRUE = 1,
	LV_THRIFT_FALSE = 2,
	LV_THRIFT_I8 = 3,
	LV_THRIFT_I16 = 4,
	LV_THRIFT_I32 = 5,
	LV_THRIFT_I64 = 6,
	LV_THRIFT_DOUBLE = 7,
	LV_THRIFT_BINARY = 8,
	LV_THRIFT_LIST = 9,
	LV_THRIFT_SET = 10,
	LV_THRIFT_MAP = 11,
	LV_THRIFT_STRUCT = 12,
};

/* Nesting depth of structs (Parquet's footer needs 5). */
#define LV_THRIFT_DEPTH 16

struct lv_thrift {
	struct lv_buf *b;
	int rc;                         /* first failure, sticky */
	int depth;
	int16_t last[LV_THRIFT_DEPTH];  /* last field id per open struct */
};

/* ULEB128 of @v into @out (10 bytes always suffice); its length. */
static inline size_t lv_thrift_varint(uint8_t *out, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

static inline uint64_t lv_thrift_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

/* Start writing one top-level struct into @b (appended). */
void lv_thrift_init(struct lv_thrift *t, struct lv_buf *b);
/* End the top-level struct (its stop byte); 0 or the first failure. */
int lv_thrift_end(struct lv_thrift *t);

/* Fields of the open struct. */
void lv_thrift_i8(struct lv_thrift *t, int id, int8_t v);
void lv_thrift_i16(struct lv_thrift *t, int id, int16_t v);
void lv_thrift_i32(struct lv_thrift *t, int id, int32_t v);
void lv_thrift_i64(struct lv_thrift *t, int id, int64_t v);
void lv_thrift_bool(struct lv_thrift *t, int id, int v);
void lv_thrift_binary(struct lv_thrift *t, int id, const void *p, size_t n);
void lv_thrift_string(struct lv_thrift *t, int id, const char *s);
/* A struct field: its fields follow, then lv_thrift_struct_end(). */
void lv_thrift_struct(struct lv_thrift *t, int id);
void lv_thrift_struct_end(struct lv_thrift *t);
/* A struct field that is an empty struct (a union member like STRING{}). */
void lv_thrift_empty(struct lv_thrift *t, int id);
/*
 * A list field of @n elements of @type; the elements follow with the
 * lv_thrift_elem_ functions (structs: lv_thrift_elem_struct, fields,
 * lv_thrift_struct_end). A list needs no end.
 */
void lv_thrift_list(struct lv_thrift *t, int id, int type, size_t n);
void lv_thrift_elem_i32(struct lv_thrift *t, int32_t v);
void lv_thrift_elem_binary(struct lv_thrift *t, const void *p, size_t n);
void lv_thrift_elem_struct(struct lv_thrift *t);
/* Bytes encoded elsewhere (list elements written ahead of their list). */
void lv_thrift_raw(struct lv_thrift *t, const void *p, size_t n);

#endif
