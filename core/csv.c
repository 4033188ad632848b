/*
 * csv.c - the CSV dialect Synapse Link writes.
 *
 * The record terminator is "\n", and line breaks inside values stay raw
 * inside the quotes ("\r\n", a lone "\r" or "\n" alike). Why, of the two
 * terminators the public sources leave open: every reader that parses the
 * quotes (Python's csv, pandas, Spark with multiLine, the CDM tools, DuckDB
 * given its dialect) reads either; no terminator helps a reader that guesses
 * the dialect from the first line break it meets, because a value may hold
 * either kind of break (DuckDB's sniffer fails on a "\r\n" value under
 * "\n" records and on a "\n" value under "\r\n" records alike); and
 * "\n" keeps the lake byte-identical to the files Synapse Link wrote and
 * users' tools already read. So the dialect is given to DuckDB in full
 * (new_line = '\n', as the README shows), and tests/readers checks that
 * DuckDB and Python's csv agree on every cell of a lake that holds every
 * kind of break, in first records too. Rewriting values (CRLF to LF) is
 * not ours to do: the lake holds what Dataverse holds.
 *
 * Hand-written rather than printf-based: the encoder runs once per value
 * of every change, and the machine can emit CSV at ~1 GB/s only when the
 * inner loop is a scan for the two bytes that need care ('"' and NUL is
 * not one of them: NULs never reach here, the JSON decoder refuses them).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lakeview/csv.h"
#include "lakeview/err.h"

int lv_csv_quoted(struct lv_buf *b, const char *s, size_t n)
{
	size_t quotes = 0;
	char *dst;
	const char *q;
	int rc;

	for (q = memchr(s, '"', n); q; q = memchr(q + 1, '"', n - (size_t)(q + 1 - s)))
		quotes++;
	if (n + quotes + 2 < n)
		return LV_ETOOBIG;
	rc = lv_buf_grow(b, n + quotes + 2, &dst);
	if (rc)
		return rc;
	*dst++ = '"';
	if (!quotes) {
		memcpy(dst, s, n);
		dst += n;
	} else {
		for (size_t i = 0; i < n; i++) {
			*dst++ = s[i];
			if (s[i] == '"')
				*dst++ = '"';
		}
	}
	*dst++ = '"';
	b->len += n + quotes + 2;
	b->p[b->len] = '\0';
	return 0;
}

size_t lv_csv_record_len(const char *p, size_t n)
{
	int inq = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '"')
			inq = !inq;
		else if (p[i] == '\n' && !inq)
			return i + 1;
	}
	return n;
}
