/*
 * failstrdup.c - an LD_PRELOAD shim for the integration suite: the first
 * strdup() of a string holding $LVTEST_FAIL_STRDUP fails with ENOMEM, as
 * it would when memory runs out; every other call is libc's. It lets a test show
 * that an out-of-memory error is reported, not papered over (issue 13:
 * a failed strdup of the stored link restarted the table).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

char *strdup(const char *s)
{
	static char *(*real)(const char *);
	static int failed;
	const char *pat = getenv("LVTEST_FAIL_STRDUP");

	if (!failed && pat && *pat && strstr(s, pat)) {
		failed = 1;
		errno = ENOMEM;
		return NULL;
	}
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "strdup");
	return real(s);
}
