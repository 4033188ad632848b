/*
 * oauth.c - client-credentials tokens, cached and renewed before expiry.
 *
 * The token endpoint's errors (AADSTS codes) are quoted in the detail so
 * a person sees "invalid_client: AADSTS7000215: Invalid client secret"
 * rather than "400"; the form we POSTed is never quoted, since it holds
 * the secret. struct lv_oauth is defined here only, so the secret is
 * reachable from this file alone.
 *
 * A token request is retried like a data request (lv_http_retry_wait():
 * transport errors, 408, 429 with its Retry-After, 5xx), because Entra ID
 * throttles and has bad minutes like any service; a 400/401 (wrong
 * secret, wrong tenant) fails at once, since no retry can cure it.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lakeview/codec.h"
#include "lakeview/err.h"
#include "lakeview/oauth.h"
#include "lakeview/store.h"
#include "lakeview/time.h"

#define TOKEN_BODY_MAX (256 * 1024)
#define SECRET_MAX 4096

struct lv_oauth {
	char *token_url;
	char *client_id;
	char *secret;
	char *scope;
	char token[LV_OAUTH_TOKEN_MAX];
	int64_t renew_at;      /* when to fetch a new token */
};

static void wipe(char *s)
{
	if (s) {
		volatile char *p = s;

		while (*p)
			*p++ = '\0';
	}
}

int lv_oauth_new(const char *token_url, const char *client_id,
		 const char *secret, const char *scope, struct lv_oauth **out)
{
	struct lv_oauth *o = calloc(1, sizeof(*o));

	*out = NULL;
	if (!o)
		return -ENOMEM;
	o->token_url = strdup(token_url);
	o->client_id = strdup(client_id);
	o->secret = strdup(secret);
	o->scope = strdup(scope);
	if (!o->token_url || !o->client_id || !o->secret || !o->scope) {
		lv_oauth_free(o);
		return -ENOMEM;
	}
	*out = o;
	return 0;
}

int lv_oauth_dup(const struct lv_oauth *o, struct lv_oauth **out)
{
	int rc = lv_oauth_new(o->token_url, o->client_id, o->secret, o->scope, out);

	if (rc)
		return rc;
	memcpy((*out)->token, o->token, sizeof(o->token));
	(*out)->renew_at = o->renew_at;
	return 0;
}

void lv_oauth_free(struct lv_oauth *o)
{
	if (!o)
		return;
	wipe(o->secret);
	wipe(o->token);
	free(o->token_url);
	free(o->client_id);
	free(o->secret);
	free(o->scope);
	free(o);
}

int lv_oauth_token(struct lv_oauth *o, struct lv_http *h,
		   struct lv_http_retry *retry, int force, const char **token)
{
	struct lv_http_resp r;
	struct lv_buf form;
	json_t *doc = NULL;
	const char *hdrs[] = { "Content-Type: application/x-www-form-urlencoded",
			       "Accept: application/json", NULL };
	int64_t now = lv_clock_now();
	int rc;

	*token = NULL;
	if (!force && o->token[0] && now < o->renew_at) {
		*token = o->token;
		return 0;
	}
	lv_buf_init(&form, 16384);
	lv_http_resp_init(&r, TOKEN_BODY_MAX);
	rc = lv_buf_adds(&form, "grant_type=client_credentials&client_id=");
	if (!rc)
		rc = lv_url_encode(&form, o->client_id, 0);
	if (!rc)
		rc = lv_buf_adds(&form, "&client_secret=");
	if (!rc)
		rc = lv_url_encode(&form, o->secret, 0);
	if (!rc)
		rc = lv_buf_adds(&form, "&scope=");
	if (!rc)
		rc = lv_url_encode(&form, o->scope, 0);
	if (rc)
		goto out;
	for (unsigned attempt = 0;; attempt++) {
		int again;

		rc = lv_http_request(h, "POST", o->token_url, hdrs, form.p, form.len, &r);
		again = lv_http_retry_wait(retry, attempt, rc, &r, NULL);
		if (again < 0) {
			rc = again;
			goto out;
		}
		if (!again) {
			if (rc == LV_ETRANSPORT || rc == -EINVAL)
				rc = lv_err_set(rc, "token endpoint %s: %s (after %u tries)",
						o->token_url, r.error, attempt + 1);
			break;
		}
	}
	if (rc)
		goto out;
	doc = json_loadb(r.body.p ? r.body.p : "", r.body.len, 0, NULL);
	if (r.status != 200) {
		const char *e = doc ? json_string_value(json_object_get(doc, "error")) : NULL;
		const char *d = doc ? json_string_value(json_object_get(doc, "error_description")) : NULL;
		size_t dl = d ? strcspn(d, "\r\n") : 0;

		rc = lv_err_set(r.status == 400 || r.status == 401 ? LV_EAUTH : LV_EREMOTE,
				"token endpoint answered HTTP %ld%s%s%s%.*s", r.status,
				e ? ": " : "", e ? e : "", d ? ": " : "", (int)dl, d ? d : "");
		goto out;
	}
	{
		const char *tok = json_string_value(json_object_get(doc, "access_token"));
		json_t *exp = json_object_get(doc, "expires_in");
		int64_t life = json_is_integer(exp) ? json_integer_value(exp) :
			       json_is_string(exp) ? strtoll(json_string_value(exp), NULL, 10) : 3599;
		int64_t early;

		if (!tok || strlen(tok) >= sizeof(o->token)) {
			rc = lv_err_set(LV_EREMOTE, "token endpoint answered without a usable access_token");
			goto out;
		}
		memcpy(o->token, tok, strlen(tok) + 1);
		early = life / 5 > 60 ? life / 5 : 60;
		o->renew_at = now + (life > early ? life - early : life / 2);
	}
	*token = o->token;
out:
	json_decref(doc);
	wipe(form.p);
	lv_buf_free(&form);
	lv_http_resp_free(&r);
	return rc;
}

char *lv_secret_load(const char *path, const char *env)
{
	char buf[SECRET_MAX + 1], *s, *e;
	ssize_t n;
	int fd;

	if (!path) {
		const char *v = env ? getenv(env) : NULL;

		if (!v || !*v) {
			lv_err_set(LV_EAUTH, "no secret: give a secret file or set %s", env ? env : "?");
			return NULL;
		}
		return strdup(v);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		lv_err_set(LV_EAUTH, "cannot read secret file %s: %s", path, strerror(errno));
		return NULL;
	}
	if (lv_store_check_private(fd, path, "secret file", 077, LV_EAUTH)) {
		close(fd);
		return NULL;
	}
	n = read(fd, buf, SECRET_MAX);
	close(fd);
	if (n < 0) {
		lv_err_set(LV_EAUTH, "cannot read secret file %s", path);
		return NULL;
	}
	buf[n] = '\0';
	s = buf;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	e = s + strcspn(s, "\r\n");
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*e = '\0';
	if (!*s) {
		lv_err_set(LV_EAUTH, "secret file %s is empty", path);
		return NULL;
	}
	s = strdup(s);
	wipe(buf);
	return s;
}
