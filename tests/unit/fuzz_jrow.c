/*
 * fuzz_jrow.c - a mutation fuzzer for the JSON row decoder (core/jrow.c),
 * the first parser every byte from the Web API meets.
 *
 * No libFuzzer in Debian's gcc, so this is a small deterministic one that
 * runs as a unit test under ASan+UBSan: seed rows like the Web API's are
 * mutated (bit flips, byte insertions, deletions, duplicated and spliced
 * runs, interesting bytes) and parsed from a buffer of exactly their length,
 * so a read past the end is an ASan error.  An accepted row must keep the
 * decoder's promises: every key and string value is valid UTF-8 without
 * NUL, every number has JSON's grammar, every key is found by lv_jrow_get,
 * nested arrays iterate to their end, and parsing again gives the same.
 *
 * LVTEST_SEED picks another sequence; LVTEST_FUZZ_N the number of inputs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "jrow.h"
#include "lakeview/err.h"

static const char *const seeds[] = {
	"{\"@odata.etag\":\"W/\\\"915244\\\"\",\"accountid\":\"0a1b2c3d-0000-4000-8000-000000000001\","
	"\"name\":\"Contoso \\\"W\\\"\\r\\n\",\"revenue\":922337203685477.1234,\"n\":null,"
	"\"ok\":true,\"no\":false,\"versionnumber\":9223372036854775807}",
	"{\"uni\":\"caf\\u00e9 \\ud83d\\ude00 \xe6\x97\xa5\xe6\x9c\xac\",\"neg\":-1.5e-3,\"z\":0,"
	"\"e\":1E+20,\"nested\":{\"a\":[1,2,{\"b\":null}]},\"arr\":[\"x\",[],{},-0.5]}",
	"{\"@odata.context\":\"https://x/api/data/v9.2/$metadata#accounts\",\"value\":[]}",
	"  {\"a\":\"\\b\\f\\n\\r\\t\\/\\\\\"}  ",
	"{}",
};

static uint64_t rng;

static uint32_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static const char interesting[] = "{}[]\":,\\u0e-+.9 \x80\xc3\xed\xf0\xff\x00tfn";

/* Apply one mutation to @buf of *@n bytes (room for @cap). */
static void mutate(char *buf, size_t *n, size_t cap)
{
	size_t at = *n ? next() % *n : 0, len;

	switch (next() % 6) {
	case 0:		/* flip a bit */
		if (*n)
			buf[at] ^= (char)(1u << (next() % 8));
		break;
	case 1:		/* an interesting byte in place */
		if (*n)
			buf[at] = interesting[next() % (sizeof(interesting) - 1)];
		break;
	case 2:		/* insert one */
		if (*n < cap) {
			memmove(buf + at + 1, buf + at, *n - at);
			buf[at] = interesting[next() % (sizeof(interesting) - 1)];
			(*n)++;
		}
		break;
	case 3:		/* delete a run */
		len = *n - at ? 1 + next() % (*n - at < 8 ? *n - at : 8) : 0;
		memmove(buf + at, buf + at + len, *n - at - len);
		*n -= len;
		break;
	case 4:		/* duplicate a run */
		len = *n - at ? 1 + next() % (*n - at < 16 ? *n - at : 16) : 0;
		if (*n + len <= cap) {
			memmove(buf + at + len, buf + at, *n - at);
			*n += len;
		}
		break;
	default:	/* cut the end */
		*n = at;
		break;
	}
}

static int is_number(const char *p, size_t n)
{
	size_t i = 0;

	if (i < n && p[i] == '-')
		i++;
	if (i >= n || p[i] < '0' || p[i] > '9')
		return 0;
	if (p[i] == '0')
		i++;
	else
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	if (i < n && p[i] == '.') {
		if (++i >= n || p[i] < '0' || p[i] > '9')
			return 0;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		if (i >= n || p[i] < '0' || p[i] > '9')
			return 0;
		while (i < n && p[i] >= '0' && p[i] <= '9')
			i++;
	}
	return i == n;
}

/* The promises an accepted row keeps; 0 if one is broken. */
static int check_row(struct lv_jrow *r, const char *in, size_t n)
{
	size_t i, count = r->n;

	for (i = 0; i < r->n; i++) {
		const struct lv_jfield *f = &r->f[i];

		if (!lv_utf8_valid(f->key, f->klen) || memchr(f->key, 0, f->klen))
			return 0;
		if (lv_jrow_get(r, f->key, f->klen, lv_jrow_hash(f->key, f->klen)) != f)
			return 0;
		if (f->kind == LV_J_STR &&
		    (!lv_utf8_valid(f->val, f->vlen) || memchr(f->val, 0, f->vlen)))
			return 0;
		if (f->kind == LV_J_NUM && !is_number(f->val, f->vlen))
			return 0;
		if (f->kind == LV_J_NESTED && f->vlen && f->val[0] == '[') {
			size_t pos = 0, elen;
			const char *elem;
			int rc;

			while ((rc = lv_json_array_next(f->val, f->vlen, &pos, &elem, &elen)) == 1)
				if (elem < f->val || elem + elen > f->val + f->vlen)
					return 0;
			if (rc != 0)
				return 0;	/* the decoder accepted a bad array */
		}
	}
	/* the same bytes, the same row */
	if (lv_jrow_parse(r, in, n) != 0 || r->n != count)
		return 0;
	return 1;
}

int main(void)
{
	const char *s = getenv("LVTEST_SEED"), *ns = getenv("LVTEST_FUZZ_N");
	unsigned long seed = s ? strtoul(s, NULL, 10) : 20261205;
	unsigned long iters = ns ? strtoul(ns, NULL, 10) : 1000000, it, accepted = 0;
	struct lv_jrow r;
	char work[1024];

	rng = seed * 2654435761u + 1;
	lv_jrow_init(&r);
	for (it = 0; it < iters; it++) {
		const char *seed_row = seeds[next() % (sizeof(seeds) / sizeof(seeds[0]))];
		size_t n = strlen(seed_row), k, rounds = 1 + next() % 4;
		char *in;
		int rc;

		memcpy(work, seed_row, n);
		for (k = 0; k < rounds; k++)
			mutate(work, &n, sizeof(work));
		in = malloc(n ? n : 1);	/* exactly n bytes: ASan sees a read past */
		CHECK(in != NULL);
		memcpy(in, work, n);
		rc = lv_jrow_parse(&r, in, n);
		if (rc == 0) {
			accepted++;
			if (!check_row(&r, in, n)) {
				fprintf(stderr, "fuzz_jrow: seed %lu input %lu broke a promise: %.*s\n",
					seed, it, (int)n, in);
				free(in);
				lv_jrow_free(&r);
				return 1;
			}
		} else {
			CHECK(rc == LV_EBADJSON || rc == LV_ETOOBIG);
			CHECK(lv_err_detail()[0] != '\0');
		}
		free(in);
	}
	lv_jrow_free(&r);
	printf("fuzz_jrow: seed %lu, %lu inputs, %lu accepted\n", seed, iters, accepted);
	/* a fuzzer that never reaches the accepting paths tests nothing */
	CHECK(accepted > iters / 50);
	CHECK(accepted < iters);
	return check_done();
}
