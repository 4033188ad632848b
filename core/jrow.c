/*
 * jrow.c - decode one flat JSON object (see jrow.h for why not jansson).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "jrow.h"
#include "lakeview/codec.h"
#include "lakeview/err.h"

#define SCRATCH_MAX ((size_t)64 << 20)

void lv_jrow_init(struct lv_jrow *r)
{
	memset(r, 0, sizeof(*r));
	lv_buf_init(&r->scratch, SCRATCH_MAX);
}

void lv_jrow_free(struct lv_jrow *r)
{
	free(r->f);
	free(r->slots);
	lv_buf_free(&r->scratch);
	memset(r, 0, sizeof(*r));
}

/* Eight bytes a step (FNV-1a took a multiply per byte, and every key of
 * every row is hashed). */
uint32_t lv_jrow_hash(const char *key, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ len, v;

	for (; len >= 8; key += 8, len -= 8) {
		memcpy(&v, key, 8);
		h = (h ^ v) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	if (len) {
		v = 0;
		memcpy(&v, key, len);
		h = (h ^ v) * 0xc4ceb9fe1a85ec53ull;
	}
	h ^= h >> 29;
	return (uint32_t)(h ^ (h >> 32));
}

int lv_utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;

	while (p < e) {
		unsigned c = *p;

		if (c < 0x80) {
			/* fast path: 8 ASCII bytes at a time */
			while (p + 8 <= e) {
				uint64_t v;

				memcpy(&v, p, 8);
				if (v & 0x8080808080808080ull)
					break;
				p += 8;
			}
			if (p < e && *p < 0x80)
				p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			if (p + 1 >= e || (p[1] & 0xc0) != 0x80)
				return 0;
			p += 2;
		} else if (c >= 0xe0 && c <= 0xef) {
			if (p + 2 >= e || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
				return 0;
			if (c == 0xe0 && p[1] < 0xa0)
				return 0;
			if (c == 0xed && p[1] >= 0xa0)
				return 0;
			p += 3;
		} else if (c >= 0xf0 && c <= 0xf4) {
			if (p + 3 >= e || (p[1] & 0xc0) != 0x80 ||
			    (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
				return 0;
			if (c == 0xf0 && p[1] < 0x90)
				return 0;
			if (c == 0xf4 && p[1] >= 0x90)
				return 0;
			p += 4;
		} else {
			return 0;
		}
	}
	return 1;
}

struct cursor {
	const char *p, *s, *e;
	struct lv_jrow *r;
};

static int fail(struct cursor *c, const char *what)
{
	return lv_err_set(LV_EBADJSON, "%s at byte %zu", what,
			  (size_t)(c->p - c->s) + 1);
}

static void ws(struct cursor *c)
{
	while (c->p < c->e && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' ||
			       *c->p == '\r'))
		c->p++;
}

static int hex4(struct cursor *c, unsigned *v)
{
	*v = 0;
	if (c->e - c->p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		int h = lv_hex_value(c->p[i]);

		if (h < 0)
			return -1;
		*v = (*v << 4) | (unsigned)h;
	}
	c->p += 4;
	return 0;
}

#define ONES 0x0101010101010101ull
#define HIGH 0x8080808080808080ull

/* Does any of the 8 bytes in @v need a look: '"', '\\', a control
 * character, or a byte of 0x80 and above? (Exact as to whether one does,
 * not as to which.) */
static inline uint64_t special8(uint64_t v)
{
	uint64_t q = v ^ (ONES * '"'), bs = v ^ (ONES * '\\');

	return (((q - ONES) & ~q) | ((bs - ONES) & ~bs) |
		((v - ONES * 0x20) & ~v) | v) & HIGH;
}

/* Skip the bytes of a string that need no care: up to the first '"',
 * '\\' or control character (or @e). ORs every byte into *high, so the
 * caller knows whether any was 0x80 or above. Eight bytes at a time. */
static const char *scan_plain(const char *p, const char *e, unsigned *high)
{
	for (;;) {
		while (e - p >= 8) {
			uint64_t v;

			memcpy(&v, p, 8);
			if (special8(v))
				break;
			p += 8;
		}
		if (p >= e)
			return p;
		{
			unsigned char ch = (unsigned char)*p;

			if (ch == '"' || ch == '\\' || ch < 0x20)
				return p;
			*high |= ch;
			p++;
		}
	}
}

/*
 * A string starting after its opening quote. Sets either (*out,*len) into
 * the source, or (*off,*len) into scratch with *scratch = 1.
 */
static int string(struct cursor *c, const char **out, size_t *off, size_t *len,
		  uint8_t *scratch)
{
	const char *start = c->p;
	struct lv_buf *b = &c->r->scratch;
	unsigned high = 0;
	int rc;

	/* fast scan: no escapes */
	c->p = scan_plain(c->p, c->e, &high);
	if (c->p < c->e && *c->p == '"') {
		if ((high & 0x80) && !lv_utf8_valid(start, (size_t)(c->p - start)))
			return fail(c, "invalid UTF-8 in string");
		*out = start;
		*len = (size_t)(c->p - start);
		*scratch = 0;
		c->p++;
		return 0;
	}
	*off = b->len;
	*scratch = 1;
	rc = lv_buf_add(b, start, (size_t)(c->p - start));
	if (rc)
		return rc;
	while (c->p < c->e && *c->p != '"') {
		unsigned char ch = (unsigned char)*c->p;

		if (ch < 0x20)
			return fail(c, "control character in string");
		if (ch != '\\') {
			const char *run = c->p;

			c->p = scan_plain(c->p, c->e, &high);
			rc = lv_buf_add(b, run, (size_t)(c->p - run));
			if (rc)
				return rc;
			continue;
		}
		c->p++;
		if (c->p >= c->e)
			break;
		switch (*c->p++) {
		case '"': rc = lv_buf_addc(b, '"'); break;
		case '\\': rc = lv_buf_addc(b, '\\'); break;
		case '/': rc = lv_buf_addc(b, '/'); break;
		case 'b': rc = lv_buf_addc(b, '\b'); break;
		case 'f': rc = lv_buf_addc(b, '\f'); break;
		case 'n': rc = lv_buf_addc(b, '\n'); break;
		case 'r': rc = lv_buf_addc(b, '\r'); break;
		case 't': rc = lv_buf_addc(b, '\t'); break;
		case 'u': {
			unsigned u, lo;
			char enc[4];
			size_t el;

			if (hex4(c, &u))
				return fail(c, "bad \\u escape");
			if (u >= 0xd800 && u <= 0xdbff) {
				if (c->e - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u')
					return fail(c, "lone surrogate in \\u escape");
				c->p += 2;
				if (hex4(c, &lo) || lo < 0xdc00 || lo > 0xdfff)
					return fail(c, "bad surrogate pair");
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
			} else if (u >= 0xdc00 && u <= 0xdfff) {
				return fail(c, "lone surrogate in \\u escape");
			}
			if (u == 0)
				return fail(c, "NUL character in string");
			if (u < 0x80) {
				enc[0] = (char)u;
				el = 1;
			} else if (u < 0x800) {
				enc[0] = (char)(0xc0 | (u >> 6));
				enc[1] = (char)(0x80 | (u & 0x3f));
				el = 2;
			} else if (u < 0x10000) {
				enc[0] = (char)(0xe0 | (u >> 12));
				enc[1] = (char)(0x80 | ((u >> 6) & 0x3f));
				enc[2] = (char)(0x80 | (u & 0x3f));
				el = 3;
			} else {
				enc[0] = (char)(0xf0 | (u >> 18));
				enc[1] = (char)(0x80 | ((u >> 12) & 0x3f));
				enc[2] = (char)(0x80 | ((u >> 6) & 0x3f));
				enc[3] = (char)(0x80 | (u & 0x3f));
				el = 4;
			}
			rc = lv_buf_add(b, enc, el);
			break;
		}
		default:
			c->p--;
			return fail(c, "bad escape in string");
		}
		if (rc)
			return rc;
	}
	if (c->p >= c->e)
		return fail(c, "unterminated string");
	c->p++;
	*len = b->len - *off;
	/* bytes from \u escapes are valid UTF-8 by construction: only raw
	 * bytes of 0x80 and above need the check */
	if ((high & 0x80) && !lv_utf8_valid(b->p + *off, *len))
		return fail(c, "invalid UTF-8 in string");
	return 0;
}

static int number(struct cursor *c)
{
	const char *p = c->p;

	if (p < c->e && *p == '-')
		p++;
	if (p >= c->e)
		return fail(c, "bad number");
	if (*p == '0') {
		p++;
	} else if (*p >= '1' && *p <= '9') {
		while (p < c->e && *p >= '0' && *p <= '9')
			p++;
	} else {
		return fail(c, "unexpected character");
	}
	if (p < c->e && *p == '.') {
		p++;
		if (p >= c->e || *p < '0' || *p > '9')
			return fail(c, "bad number");
		while (p < c->e && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < c->e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < c->e && (*p == '+' || *p == '-'))
			p++;
		if (p >= c->e || *p < '0' || *p > '9')
			return fail(c, "bad number");
		while (p < c->e && *p >= '0' && *p <= '9')
			p++;
	}
	c->p = p;
	return 0;
}

static int literal(struct cursor *c, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(c->e - c->p) < n || memcmp(c->p, lit, n))
		return fail(c, "unexpected character");
	c->p += n;
	return 0;
}

/* Skip any JSON value (used for nested objects and arrays). */
static int skip_value(struct cursor *c, int depth)
{
	const char *s;
	size_t off, len;
	uint8_t scr;
	int rc;

	if (depth > LV_JROW_MAX_DEPTH)
		return fail(c, "nesting too deep");
	ws(c);
	if (c->p >= c->e)
		return fail(c, "unexpected end");
	switch (*c->p) {
	case '"': {
		/* skipped strings are checked, not kept: scratch stays bounded
		 * by the largest value, not by the size of what is skipped */
		size_t mark = c->r->scratch.len;

		c->p++;
		rc = string(c, &s, &off, &len, &scr);
		c->r->scratch.len = mark;
		return rc;
	}
	case '{':
	case '[': {
		char close = *c->p == '{' ? '}' : ']';
		int obj = close == '}';

		c->p++;
		ws(c);
		if (c->p < c->e && *c->p == close) {
			c->p++;
			return 0;
		}
		for (;;) {
			if (obj) {
				ws(c);
				if (c->p >= c->e || *c->p != '"')
					return fail(c, "expected a key");
				c->p++;
				{
					size_t mark = c->r->scratch.len;

					rc = string(c, &s, &off, &len, &scr);
					c->r->scratch.len = mark;
				}
				if (rc)
					return rc;
				ws(c);
				if (c->p >= c->e || *c->p != ':')
					return fail(c, "expected ':'");
				c->p++;
			}
			rc = skip_value(c, depth + 1);
			if (rc)
				return rc;
			ws(c);
			if (c->p < c->e && *c->p == ',') {
				c->p++;
				continue;
			}
			if (c->p < c->e && *c->p == close) {
				c->p++;
				return 0;
			}
			return fail(c, "expected ',' or end of container");
		}
	}
	case 't': return literal(c, "true");
	case 'f': return literal(c, "false");
	case 'n': return literal(c, "null");
	default: return number(c);
	}
}

static int add_field(struct lv_jrow *r, struct lv_jfield *f)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 64;
		struct lv_jfield *nf;

		if (cap > LV_JROW_MAX_FIELDS)
			cap = LV_JROW_MAX_FIELDS;
		if (r->n == cap)
			return lv_err_set(LV_ETOOBIG, "more than %d properties in one row",
					  LV_JROW_MAX_FIELDS);
		nf = realloc(r->f, cap * sizeof(*nf));
		if (!nf)
			return -ENOMEM;
		r->f = nf;
		r->cap = cap;
	}
	r->f[r->n++] = *f;
	return 0;
}

static int index_fields(struct lv_jrow *r)
{
	size_t need = 64;

	while (need < r->n * 2)
		need *= 2;
	if (need != r->nslots) {
		uint32_t *s = realloc(r->slots, need * sizeof(*s));

		if (!s)
			return -ENOMEM;
		r->slots = s;
		r->nslots = need;
	}
	memset(r->slots, 0, r->nslots * sizeof(*r->slots));
	for (size_t i = 0; i < r->n; i++) {
		const struct lv_jfield *fi = &r->f[i];
		size_t at = fi->hash & (r->nslots - 1);

		while (r->slots[at]) {
			const struct lv_jfield *o = &r->f[r->slots[at] - 1];

			/* JSON readers keep the last of two equal keys, this
			 * decoder would find the first: refuse the ambiguity */
			if (o->hash == fi->hash && o->klen == fi->klen &&
			    memcmp(o->key, fi->key, fi->klen) == 0) {
				char k[96], q[96];
				size_t kl = fi->klen < sizeof(k) ? fi->klen : sizeof(k) - 1;

				memcpy(k, fi->key, kl);
				k[kl] = '\0';
				return lv_err_set(LV_EBADJSON, "duplicate key \"%s\" in one object",
						  lv_err_quote(k, q, sizeof(q)));
			}
			at = (at + 1) & (r->nslots - 1);
		}
		r->slots[at] = (uint32_t)i + 1;
	}
	return 0;
}

int lv_jrow_parse(struct lv_jrow *r, const char *p, size_t n)
{
	struct cursor c = { p, p, p + n, r };
	struct lv_jfield f;
	int rc;

	r->n = 0;
	lv_buf_reset(&r->scratch);
	ws(&c);
	if (c.p >= c.e || *c.p != '{')
		return fail(&c, "expected a JSON object");
	c.p++;
	ws(&c);
	if (c.p < c.e && *c.p == '}') {
		c.p++;
		goto end;
	}
	for (;;) {
		const char *vstart;

		memset(&f, 0, sizeof(f));
		ws(&c);
		if (c.p >= c.e || *c.p != '"')
			return fail(&c, "expected a property name");
		c.p++;
		rc = string(&c, &f.key, &f.koff, &f.klen, &f.key_scratch);
		if (rc)
			return rc;
		ws(&c);
		if (c.p >= c.e || *c.p != ':')
			return fail(&c, "expected ':'");
		c.p++;
		ws(&c);
		if (c.p >= c.e)
			return fail(&c, "unexpected end");
		vstart = c.p;
		switch (*c.p) {
		case '"':
			c.p++;
			f.kind = LV_J_STR;
			rc = string(&c, &f.val, &f.voff, &f.vlen, &f.val_scratch);
			break;
		case '{':
		case '[':
			f.kind = LV_J_NESTED;
			rc = skip_value(&c, 1);
			f.val = vstart;
			f.vlen = (size_t)(c.p - vstart);
			break;
		case 't':
			f.kind = LV_J_TRUE;
			rc = literal(&c, "true");
			break;
		case 'f':
			f.kind = LV_J_FALSE;
			rc = literal(&c, "false");
			break;
		case 'n':
			f.kind = LV_J_NULL;
			rc = literal(&c, "null");
			break;
		default:
			f.kind = LV_J_NUM;
			rc = number(&c);
			f.val = vstart;
			f.vlen = (size_t)(c.p - vstart);
			break;
		}
		if (rc == LV_ETOOBIG && !lv_err_detail_for(rc))
			rc = lv_err_set(rc, "a string value larger than %zu MiB at byte %zu",
					r->scratch.max >> 20, (size_t)(c.p - c.s));
		if (rc)
			return rc;
		rc = add_field(r, &f);
		if (rc)
			return rc;
		ws(&c);
		if (c.p < c.e && *c.p == ',') {
			c.p++;
			continue;
		}
		if (c.p < c.e && *c.p == '}') {
			c.p++;
			break;
		}
		return fail(&c, "expected ',' or '}'");
	}
end:
	ws(&c);
	if (c.p != c.e)
		return fail(&c, "trailing characters after the object");
	for (size_t i = 0; i < r->n; i++) {
		struct lv_jfield *fi = &r->f[i];

		if (fi->key_scratch)
			fi->key = r->scratch.p + fi->koff;
		if (fi->val_scratch)
			fi->val = r->scratch.p + fi->voff;
		fi->hash = lv_jrow_hash(fi->key, fi->klen);
	}
	return index_fields(r);
}

const struct lv_jfield *lv_jrow_get(const struct lv_jrow *r, const char *key,
				    size_t klen, uint32_t hash)
{
	size_t at;

	if (!r->nslots)
		return NULL;
	at = hash & (r->nslots - 1);
	while (r->slots[at]) {
		const struct lv_jfield *f = &r->f[r->slots[at] - 1];

		if (f->hash == hash && f->klen == klen && memcmp(f->key, key, klen) == 0)
			return f;
		at = (at + 1) & (r->nslots - 1);
	}
	return NULL;
}

int lv_json_array_next(const char *p, size_t n, size_t *pos, const char **elem,
		       size_t *elen)
{
	struct lv_jrow tmp;
	struct cursor c;
	const char *start;
	int rc;

	lv_jrow_init(&tmp);
	c.s = p;
	c.e = p + n;
	c.p = p + *pos;
	c.r = &tmp;
	ws(&c);
	if (*pos == 0) {
		if (c.p >= c.e || *c.p != '[') {
			lv_jrow_free(&tmp);
			return fail(&c, "expected an array");
		}
		c.p++;
		ws(&c);
		if (c.p < c.e && *c.p == ']') {
			lv_jrow_free(&tmp);
			*pos = (size_t)(c.p + 1 - p);
			return 0;
		}
	} else {
		if (c.p < c.e && *c.p == ']') {
			lv_jrow_free(&tmp);
			return 0;
		}
		if (c.p >= c.e || *c.p != ',') {
			lv_jrow_free(&tmp);
			return fail(&c, "expected ',' or ']'");
		}
		c.p++;
		ws(&c);
	}
	start = c.p;
	rc = skip_value(&c, 1);
	lv_jrow_free(&tmp);
	if (rc)
		return rc;
	*elem = start;
	*elen = (size_t)(c.p - start);
	ws(&c);
	*pos = (size_t)(c.p - p);
	return 1;
}
