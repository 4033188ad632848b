/**
 * @file link.h
 * @brief The link's lifecycle: create, unlink, relink, verify, destroy —
 *        what the portal's "New link", "Unlink" and "Relink" do.
 *
 * Caveats first:
 *  - These functions never print. On failure they return the code and
 *    set the detail (lv_err_detail()) to the whole one-line message a
 *    person should see ("cannot reach Dataverse; nothing was written:
 *    ..."); `lakectl` prints it as it is.
 *  - Options are the caller's business: paths are absolute already and
 *    secrets loaded (lv_secret_load()); nothing here reads the command
 *    line or the environment.
 *  - Create, relink and unlink with a sink talk to Dataverse and the
 *    storage account and block for as long as they take (with their
 *    retries). A failed create leaves nothing behind: no store, no
 *    directory it made (a container it created stays, empty, and is
 *    claimed again by the next link).
 */
#ifndef LAKEVIEW_LINK_H
#define LAKEVIEW_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "lakeview/adls.h"
#include "lakeview/dataverse.h"
#include "lakeview/store.h"

/** What a new link is made of. */
struct lv_link_conf {
	const char *dir;            /**< the store's directory */
	const char *environment;    /**< letters, digits, '-' */
	const char *organization;   /**< letters, digits */
	/** The source (source.url NULL: none), its secret loaded. */
	struct lv_dv_conf source;
	const char *source_secret_file;  /**< absolute; saved, or NULL */
	/** The sink (sink.url NULL: none), its key, SAS or secret loaded. */
	struct lv_adls_conf sink;
	const char *sink_key_file;       /**< absolute; saved, or NULL */
	const char *sink_sas_file;       /**< absolute; saved, or NULL */
	const char *sink_secret_file;    /**< absolute; saved, or NULL */
	int adopt;                  /**< take a container holding others' files */
};

/** What lv_link_create() made. */
struct lv_link_info {
	unsigned ntables;           /**< source tables with change tracking */
	char container[16 + 2 * LV_LINK_NAME_MAX];
	char lake_url[4096];        /**< the sink's lake URL ("" without one) */
};

/**
 * Create a link: check that the source answers (a token and its tables),
 * that @p c->dir is empty or missing, and claim the sink's container
 * (created when missing; one holding files lakeview did not write is
 * refused unless @p c->adopt) — all before anything is written; then
 * create the missing parents of the directory (mode 0755), the store and
 * its lakeview.conf. A store made half is removed again.
 * @return 0; -EEXIST (the directory is used), LV_EBADNAME (environment
 *         or organization), LV_EAUTH, LV_EREMOTE, LV_ETRANSPORT, store
 *         and errno codes; the detail is the message.
 */
int lv_link_create(const struct lv_link_conf *c, struct lv_link_info *out)
	__attribute__((warn_unused_result));

/**
 * When the link of @p st was unlinked (the time, `yyyy-MM-ddTHH:mm:ssZ`),
 * or NULL while it is active. Sync and push refuse an unlinked link.
 */
const char *lv_link_unlinked(const struct lv_store *st);

/**
 * Unlink: without @p delete_file_system, stop syncing and pushing and
 * keep the store and the container (lv_link_relink() resumes). With it,
 * delete the sink's container (when the link has one); the store is then
 * for the caller to close and lv_link_destroy().
 * @return 0; lakeview.conf or storage errors (the store is kept).
 */
int lv_link_unlink(struct lv_store *st, int delete_file_system)
	__attribute__((warn_unused_result));

/** What lv_link_relink() found (filled also on failure, as far as it went). */
struct lv_link_relink {
	int sink;           /**< the link has a sink */
	int recreated;      /**< its container was gone: created again, and
			     *   the whole lake is to be pushed again */
	int kept;           /**< its container was kept and verified */
	size_t verified;    /**< kept: files found in the container */
	uint64_t pending;   /**< kept: files to push (missing or changed) */
};

/**
 * Relink: with a sink, claim its container again (see lv_link_create()
 * for @p adopt): a kept one is verified (lv_link_verify()), a deleted one
 * recreated and every push record forgotten; then the link is active
 * again. The caller pushes next.
 * @return 0; storage and lakeview.conf errors.
 */
int lv_link_relink(struct lv_store *st, int adopt, struct lv_link_relink *out)
	__attribute__((warn_unused_result));

/**
 * Verify the kept container of @p st through @p a: list it, forget the
 * push records of files it lost or that changed there, and count what is
 * to be pushed again.
 * @param verified  files found in the container
 * @param pending   files the next push sends
 * @return 0; storage or store errors (the detail is the storage's).
 */
int lv_link_verify(struct lv_store *st, struct lv_adls *a, size_t *verified,
		   uint64_t *pending) __attribute__((warn_unused_result));

/**
 * Delete the store in @p dir (closed; its files and the directory).
 * @return 0 or a negative errno.
 */
int lv_link_destroy(const char *dir) __attribute__((warn_unused_result));

#endif
