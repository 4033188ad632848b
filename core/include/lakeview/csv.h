/**
 * @file csv.h
 * @brief The lake's CSV dialect, and the value formats of Synapse Link.
 *
 * Caveats first: the dialect is fixed, not configurable: no header, ','
 * between fields, '"' around strings and dates with embedded quotes
 * doubled, UTF-8 without BOM, every record ends with "\n", CR and LF
 * inside values stay raw inside the quotes. GUIDs, numbers and booleans
 * are never quoted; null is nothing at all between two commas.
 */
#ifndef LAKEVIEW_CSV_H
#define LAKEVIEW_CSV_H

#include <stddef.h>

#include "lakeview/buf.h"

/** Append @p s (@p n bytes) as a quoted CSV field. */
int lv_csv_quoted(struct lv_buf *b, const char *s, size_t n)
	__attribute__((warn_unused_result));

/**
 * Length of the first record in @p p (including its "\n"), honouring
 * quotes; @p n if the data ends without a terminator.
 */
size_t lv_csv_record_len(const char *p, size_t n);

#endif
