/*
 * thrift.c - the Thrift compact protocol, write side (see thrift_i.h).
 *
 * Parquet's page headers and footer are Thrift structs in the compact
 * protocol. Debian's libthrift-c-glib would bring GLib and generated code
 * for a format whose writer side is this page: varints, zigzag, field
 * headers that carry the id as a delta, lists with their size in the
 * header. The rules, from apache/thrift doc/specs/thrift-compact-protocol.md:
 *  - a field header is one byte (delta << 4 | type) when the id is 1..15
 *    above the previous field of the same struct, else the type byte and
 *    the id as a zigzag varint;
 *  - i16/i32/i64 are zigzag varints, i8 one raw byte; a bool field is its
 *    header alone (type 1 true, 2 false);
 *  - binary is a varint length and the bytes;
 *  - a list header is (size << 4 | type) below 15 elements, else
 *    0xF0 | type and the size as a varint;
 *  - a struct ends with a 0 byte, and its fields count ids from 0.
 */
#include <errno.h>
#include <string.h>

#include "thrift_i.h"

static void put(struct lv_thrift *t, const void *p, size_t n)
{
	if (!t->rc)
		t->rc = lv_buf_add(t->b, p, n);
}

static void put_varint(struct lv_thrift *t, uint64_t v)
{
	uint8_t tmp[10];

	put(t, tmp, lv_thrift_varint(tmp, v));
}

static void field(struct lv_thrift *t, int id, int type)
{
	int delta = id - t->last[t->depth];
	uint8_t c;

	if (delta > 0 && delta <= 15) {
		c = (uint8_t)(delta << 4 | type);
		put(t, &c, 1);
	} else {
		c = (uint8_t)type;
		put(t, &c, 1);
		put_varint(t, lv_thrift_zigzag(id));
	}
	t->last[t->depth] = (int16_t)id;
}

void lv_thrift_init(struct lv_thrift *t, struct lv_buf *b)
{
	memset(t, 0, sizeof(*t));
	t->b = b;
}

int lv_thrift_end(struct lv_thrift *t)
{
	put(t, "", 1);
	if (!t->rc && t->depth)
		t->rc = -EINVAL; /* a struct left open: a bug of ours */
	return t->rc;
}

void lv_thrift_i8(struct lv_thrift *t, int id, int8_t v)
{
	field(t, id, LV_THRIFT_I8);
	put(t, &v, 1);
}

void lv_thrift_i16(struct lv_thrift *t, int id, int16_t v)
{
	field(t, id, LV_THRIFT_I16);
	put_varint(t, lv_thrift_zigzag(v));
}

void lv_thrift_i32(struct lv_thrift *t, int id, int32_t v)
{
	field(t, id, LV_THRIFT_I32);
	put_varint(t, lv_thrift_zigzag(v));
}

void lv_thrift_i64(struct lv_thrift *t, int id, int64_t v)
{
	field(t, id, LV_THRIFT_I64);
	put_varint(t, lv_thrift_zigzag(v));
}

void lv_thrift_bool(struct lv_thrift *t, int id, int v)
{
	field(t, id, v ? LV_THRIFT_TRUE : LV_THRIFT_FALSE);
}

void lv_thrift_binary(struct lv_thrift *t, int id, const void *p, size_t n)
{
	field(t, id, LV_THRIFT_BINARY);
	lv_thrift_elem_binary(t, p, n);
}

void lv_thrift_string(struct lv_thrift *t, int id, const char *s)
{
	lv_thrift_binary(t, id, s, strlen(s));
}

static void open_struct(struct lv_thrift *t)
{
	if (t->depth + 1 >= LV_THRIFT_DEPTH) {
		if (!t->rc)
			t->rc = -EINVAL;
		return;
	}
	t->last[++t->depth] = 0;
}

void lv_thrift_struct(struct lv_thrift *t, int id)
{
	field(t, id, LV_THRIFT_STRUCT);
	open_struct(t);
}

void lv_thrift_struct_end(struct lv_thrift *t)
{
	put(t, "", 1);
	if (t->depth > 0)
		t->depth--;
	else if (!t->rc)
		t->rc = -EINVAL;
}

void lv_thrift_empty(struct lv_thrift *t, int id)
{
	lv_thrift_struct(t, id);
	lv_thrift_struct_end(t);
}

void lv_thrift_list(struct lv_thrift *t, int id, int type, size_t n)
{
	uint8_t c;

	field(t, id, LV_THRIFT_LIST);
	if (n < 15) {
		c = (uint8_t)(n << 4 | (size_t)type);
		put(t, &c, 1);
	} else {
		c = (uint8_t)(0xF0 | type);
		put(t, &c, 1);
		put_varint(t, n);
	}
}

void lv_thrift_elem_i32(struct lv_thrift *t, int32_t v)
{
	put_varint(t, lv_thrift_zigzag(v));
}

void lv_thrift_elem_binary(struct lv_thrift *t, const void *p, size_t n)
{
	put_varint(t, n);
	put(t, p, n);
}

void lv_thrift_elem_struct(struct lv_thrift *t)
{
	open_struct(t);
}

void lv_thrift_raw(struct lv_thrift *t, const void *p, size_t n)
{
	put(t, p, n);
}
