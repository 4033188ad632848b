/*
 * dataverse_i.h - what the Dataverse client (dataverse.c) shares with the
 * sync loop (sync.c): the client itself and its one request function.
 */
#ifndef LAKEVIEW_DATAVERSE_I_H
#define LAKEVIEW_DATAVERSE_I_H

#include "lakeview/dataverse.h"
#include "lakeview/http.h"

#define URL_MAX 8192

struct lv_dv {
	struct lv_http *http;
	struct lv_oauth *oauth;
	char origin[512];         /* scheme://host[:port] */
	char api[600];            /* origin + /api/data/v9.2/ */
	unsigned page_size;
	struct lv_http_retry retry;
	char code[64];            /* error.code of the last failed request */
	struct lv_dv_shared *sh;  /* writer lock and throttle pause; NULL: none */
	int parked;               /* told 0x80072326: wait for a place first */
};

/*
 * GET @url with a token, the org's throttle and retries (Retry-After,
 * backoff, one token renewal on 401); @tracked adds the change-tracking
 * Prefer header. A non-2xx answer is LV_EREMOTE (LV_EAUTH on 401/403)
 * with the server's message as the detail and its error code in dv->code.
 */
int lv_dv_get(struct lv_dv *dv, const char *url, int tracked, struct lv_http_resp *r)
	__attribute__((warn_unused_result));

#endif
