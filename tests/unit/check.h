/*
 * check.h - the unit tests' assertion macro (LMDB's mtest style): print
 * the failing expression with its place, count, and let main() end with
 * "N passed, N failed" and a non-zero exit on any failure.
 */
#ifndef LV_CHECK_H
#define LV_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(expr) do { \
	if (expr) { \
		check_passed++; \
	} else { \
		check_failed++; \
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #expr); \
	} \
} while (0)

#define CHECK_RC(expr) do { \
	int check_rc_ = (expr); \
	if (check_rc_ == 0) { \
		check_passed++; \
	} else { \
		check_failed++; \
		fprintf(stderr, "%s:%d: %s returned %d (%s)\n", __FILE__, __LINE__, \
			#expr, check_rc_, lv_strerror(check_rc_)); \
	} \
} while (0)

static char check_tmp_[4096];

static void check_tmp_remove_(void)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", check_tmp_);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", check_tmp_);
}

/*
 * A fresh directory <$LAKEVIEW_TEST_TMP or /tmp>/<prefix>-XXXXXX in @p buf,
 * removed with everything in it when the test exits. 0, or -1.
 */
static inline int check_tmpdir(char *buf, size_t len, const char *prefix)
{
	const char *t = getenv("LAKEVIEW_TEST_TMP");

	snprintf(check_tmp_, sizeof(check_tmp_), "%s/%s-XXXXXX", t ? t : "/tmp", prefix);
	if (!mkdtemp(check_tmp_))
		return -1;
	atexit(check_tmp_remove_);
	snprintf(buf, len, "%s", check_tmp_);
	return 0;
}

static inline int check_done(void)
{
	printf("%d passed, %d failed\n", check_passed, check_failed);
	return check_failed ? 1 : 0;
}

#endif
