/* test_jrow.c - the flat JSON row decoder (core/jrow.c). */
#include <string.h>

#include "check.h"
#include "jrow.h"
#include "lakeview/err.h"

static const struct lv_jfield *get(struct lv_jrow *r, const char *k)
{
	return lv_jrow_get(r, k, strlen(k), lv_jrow_hash(k, strlen(k)));
}

static int is(const struct lv_jfield *f, int kind, const char *val)
{
	return f && f->kind == kind && f->vlen == strlen(val) &&
	       memcmp(f->val, val, f->vlen) == 0;
}

int main(void)
{
	struct lv_jrow r;
	const char *row =
		"{\"@odata.etag\":\"W/\\\"915244\\\"\",\"name\":\"Contoso \\\"W\\\"\\n\","
		"\"revenue\":922337203685477.1234,\"n\":null,\"ok\":true,\"no\":false,"
		"\"uni\":\"caf\\u00e9 \\ud83d\\ude00\",\"raw\":\"日本\","
		"\"nested\":{\"a\":[1,2,{\"b\":null}]},\"neg\":-1.5e-3}";
	char big[5000];

	lv_jrow_init(&r);
	CHECK_RC(lv_jrow_parse(&r, row, strlen(row)));
	CHECK(r.n == 10);
	CHECK(is(get(&r, "@odata.etag"), LV_J_STR, "W/\"915244\""));
	CHECK(is(get(&r, "name"), LV_J_STR, "Contoso \"W\"\n"));
	/* numbers keep their exact text */
	CHECK(is(get(&r, "revenue"), LV_J_NUM, "922337203685477.1234"));
	CHECK(is(get(&r, "neg"), LV_J_NUM, "-1.5e-3"));
	CHECK(get(&r, "n") && get(&r, "n")->kind == LV_J_NULL);
	CHECK(get(&r, "ok") && get(&r, "ok")->kind == LV_J_TRUE);
	CHECK(get(&r, "no") && get(&r, "no")->kind == LV_J_FALSE);
	CHECK(is(get(&r, "uni"), LV_J_STR, "caf\xc3\xa9 \xf0\x9f\x98\x80"));
	CHECK(is(get(&r, "raw"), LV_J_STR, "日本"));
	CHECK(get(&r, "nested") && get(&r, "nested")->kind == LV_J_NESTED);
	CHECK(get(&r, "missing") == NULL);

	/* bad input is refused with a detail naming the place */
	CHECK(lv_jrow_parse(&r, "{\"a\":1", 6) == LV_EBADJSON);
	CHECK(strstr(lv_err_detail(), "byte") != NULL);
	CHECK(lv_jrow_parse(&r, "[1]", 3) == LV_EBADJSON);
	CHECK(lv_jrow_parse(&r, "{\"a\":01}", 8) == LV_EBADJSON);
	CHECK(lv_jrow_parse(&r, "{\"a\":\"\xff\"}", 8) == LV_EBADJSON);
	CHECK(lv_jrow_parse(&r, "{\"a\":\"\xed\xa0\x80\"}", 10) == LV_EBADJSON);
	CHECK(lv_jrow_parse(&r, "{\"a\":\"\\ud800\"}", 14) == LV_EBADJSON);
	CHECK(lv_jrow_parse(&r, "{\"a\":\"\\u0000\"}", 14) == LV_EBADJSON);
	CHECK(lv_jrow_parse(&r, "{\"a\":\"x\ty\"}", 11) == LV_EBADJSON);
	CHECK(lv_jrow_parse(&r, "{\"a\":1} x", 9) == LV_EBADJSON);
	CHECK(lv_jrow_parse(&r, "{\"a\":tru}", 9) == LV_EBADJSON);

	/* a key twice: JSON readers keep the last, we would find the first;
	 * refused, escaped or not, naming the key */
	{
		static const char *const dups[] = {
			"{\"a\":1,\"b\":2,\"a\":3}",
			"{\"@odata.nextLink\":\"x\",\"@odata.nextLink\":\"y\"}",
			"{\"k\":1,\"\\u006b\":2}",
		};

		for (size_t i = 0; i < sizeof(dups) / sizeof(dups[0]); i++) {
			CHECK(lv_jrow_parse(&r, dups[i], strlen(dups[i])) == LV_EBADJSON);
			CHECK(strstr(lv_err_detail(), "duplicate key") != NULL);
		}
		CHECK(strstr(lv_err_detail(), "\"k\"") != NULL);
		/* equal keys in a nested object are that object's business */
		CHECK_RC(lv_jrow_parse(&r, "{\"a\":{\"b\":1},\"c\":{\"b\":2}}", 25));
	}

	/* nesting is bounded */
	memset(big, '[', 100);
	memcpy(big, "{\"a\":", 5);
	CHECK(lv_jrow_parse(&r, big, 100) == LV_EBADJSON);

	/* UTF-8 validator */
	CHECK(lv_utf8_valid("plain ascii text!", 17));
	CHECK(!lv_utf8_valid("\xc0\xaf", 2));          /* overlong */
	CHECK(!lv_utf8_valid("\xf4\x90\x80\x80", 4));  /* > U+10FFFF */
	CHECK(lv_utf8_valid("\xf0\x9f\x98\x80", 4));

	/* many fields: lookups stay exact */
	{
		char buf[20000];
		size_t n = 0;

		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "{");
		for (int i = 0; i < 500; i++)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s\"k%d\":%d",
					      i ? "," : "", i, i);
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "}");
		CHECK_RC(lv_jrow_parse(&r, buf, n));
		CHECK(is(get(&r, "k0"), LV_J_NUM, "0"));
		CHECK(is(get(&r, "k499"), LV_J_NUM, "499"));
		CHECK(is(get(&r, "k250"), LV_J_NUM, "250"));
	}
	/* a page whose skipped "value" array holds more escaped text than the
	 * scratch ceiling still parses: skipped strings are not kept */
	{
		size_t each = 20000, count = 4000, n = 0;
		size_t cap = count * (each + 8) + 64;
		char *page = malloc(cap);

		n += (size_t)snprintf(page + n, cap - n, "{\"value\":[");
		for (size_t i = 0; i < count; i++) {
			page[n++] = i ? ',' : ' ';
			page[n++] = '"';
			page[n++] = '\\';
			page[n++] = 'n';
			memset(page + n, 'x', each);
			n += each;
			page[n++] = '"';
		}
		n += (size_t)snprintf(page + n, cap - n, "],\"@odata.deltaLink\":\"d\"}");
		CHECK(n > ((size_t)64 << 20));
		CHECK_RC(lv_jrow_parse(&r, page, n));
		CHECK(get(&r, "value") && get(&r, "value")->kind == LV_J_NESTED);
		CHECK(is(get(&r, "@odata.deltaLink"), LV_J_STR, "d"));
		free(page);
	}
	lv_jrow_free(&r);
	return check_done();
}
