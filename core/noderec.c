/*
 * noderec.c - how a node of the file tree is stored: its record in the
 * "nodes" table and its directory entry key in "names".
 *
 * Why a file of its own: the write side (tree.c, fedit.c) and the read
 * side (reader.c) both decode and look up nodes, and the record layout
 * must be written in one place. Keeping it below both is what keeps the
 * tree's files free of circles (layering in tree.c's top comment).
 *
 * The record is a packed struct in host byte order followed by the name;
 * keys are big-endian so that LMDB sorts them by number.
 */
#include <errno.h>
#include <string.h>

#include "noderec_i.h"

struct node_rec {
	uint64_t parent;
	uint32_t mode;
	uint32_t flags;
	uint64_t size;
	int64_t mtime;
	uint64_t generation;
	uint64_t seq;
	int64_t commit_time;
	uint64_t snapshot_of;
	uint64_t manifest;
	uint16_t namelen;
} __attribute__((packed));

static int node_decode(uint64_t ino, const MDB_val *d, struct lv_node *n)
{
	struct node_rec r;

	if (d->mv_size < sizeof(r))
		return -EIO;
	memcpy(&r, d->mv_data, sizeof(r));
	if (r.namelen > LV_NAME_MAX || d->mv_size != sizeof(r) + r.namelen)
		return -EIO;
	n->ino = ino;
	n->parent = r.parent;
	n->mode = r.mode;
	n->flags = r.flags;
	n->size = r.size;
	n->mtime = r.mtime;
	n->generation = r.generation;
	n->seq = r.seq;
	n->commit_time = r.commit_time;
	n->snapshot_of = r.snapshot_of;
	n->manifest = r.manifest;
	memcpy(n->name, (const char *)d->mv_data + sizeof(r), r.namelen);
	n->name[r.namelen] = '\0';
	return 0;
}

int lv_noderec_get(MDB_txn *txn, struct lv_store *st, uint64_t ino,
		   struct lv_node *n)
{
	unsigned char kb[8];
	MDB_val k = { 8, kb }, d;
	int rc;

	lv_be64(kb, ino);
	rc = mdb_get(txn, st->nodes, &k, &d);
	if (rc == MDB_NOTFOUND)
		return -ENOENT;
	if (rc)
		return rc;
	return node_decode(ino, &d, n);
}

int lv_noderec_put(struct lv_wtxn *w, const struct lv_node *n)
{
	unsigned char kb[8], vb[sizeof(struct node_rec) + LV_NAME_MAX];
	struct node_rec r;
	size_t nl = strlen(n->name);
	MDB_val k = { 8, kb }, d;

	r.parent = n->parent;
	r.mode = n->mode;
	r.flags = n->flags;
	r.size = n->size;
	r.mtime = n->mtime;
	r.generation = n->generation;
	r.seq = n->seq;
	r.commit_time = n->commit_time;
	r.snapshot_of = n->snapshot_of;
	r.manifest = n->manifest;
	r.namelen = (uint16_t)nl;
	memcpy(vb, &r, sizeof(r));
	memcpy(vb + sizeof(r), n->name, nl);
	lv_be64(kb, n->ino);
	d.mv_size = sizeof(r) + nl;
	d.mv_data = vb;
	return mdb_put(w->txn, w->st->nodes, &k, &d, 0);
}

size_t lv_noderec_name_key(unsigned char *kb, uint64_t parent, const char *name)
{
	size_t nl = strlen(name);

	lv_be64(kb, parent);
	memcpy(kb + 8, name, nl);
	return 8 + nl;
}

int lv_noderec_find(MDB_txn *txn, struct lv_store *st, uint64_t parent,
		    const char *name, struct lv_node *out)
{
	unsigned char kb[8 + LV_NAME_MAX];
	MDB_val k, d;
	int rc;

	if (strlen(name) > LV_NAME_MAX)
		return -ENAMETOOLONG;
	k.mv_data = kb;
	k.mv_size = lv_noderec_name_key(kb, parent, name);
	rc = mdb_get(txn, st->names, &k, &d);
	if (rc == MDB_NOTFOUND)
		return -ENOENT;
	if (rc)
		return rc;
	if (d.mv_size != 8)
		return -EIO;
	return lv_noderec_get(txn, st, lv_get_be64(d.mv_data), out);
}
