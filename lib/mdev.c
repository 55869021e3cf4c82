// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mdev binder: creating and removing mediated device instances, as plan
 * steps with undo (a create is undone by a remove of that UUID, a remove
 * by a create of the same type and UUID), and as the one-step plans
 * behind pt_mdev_create() and pt_mdev_remove(). The scan of parents,
 * types and instances is model code, in mdevscan.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uuid/uuid.h>

#include "binder.h"

/* ---- creating and removing instances ------------------------------------ */

/*
 * Linux creates (removes) the instance inside the write(2) to create
 * (remove); the test kernel, tests/fakekernel, does it a moment later.
 * Either way the result is what sysfs shows after the write, polled in
 * 5 ms steps for up to 2 s: for a create <parent>/<uuid> and the type's
 * devices/<uuid> link (Linux makes that link last, after device_add()),
 * for a remove <parent>/<uuid> gone. Then the cached instances and every
 * type's available_instances follow, so pointers the caller holds to
 * types stay valid.
 */
#define MDEV_POLL_NS	(5 * 1000 * 1000L)
#define MDEV_WAIT_MS	2000

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap(void)
{
	struct timespec ts = { 0, MDEV_POLL_NS };

	nanosleep(&ts, NULL);
}

/* The lower-case form sysfs names instances by; -EINVAL when no UUID. */
static int uuid_normalize(const char *in, char out[37])
{
	uuid_t u;

	if (!in || !pt__mdev_is_uuid(in) || uuid_parse(in, u) < 0)
		return -EINVAL;
	uuid_unparse_lower(u, out);
	return 0;
}

/* <parent>/mdev_supported_types/<id> below the parent's fd; fd or -errno. */
static int type_open(int pfd, const char *id)
{
	char rel[PT_NAME_MAX + 32];

	if (!pt__name_is_valid(id))
		return -EINVAL;
	snprintf(rel, sizeof(rel), "mdev_supported_types/%s", id);
	return pt__sysfs_openat_dir(pfd, rel);
}

/* available_instances now; -1 when missing or unreadable. */
static int read_count(int tfd)
{
	long v;

	if (tfd < 0 || pt__sysfs_read_long(tfd, "available_instances", &v) < 0 ||
	    v < 0 || v > INT_MAX)
		return -1;
	return (int)v;
}

/*
 * One instance changes the count of other types too (NVIDIA: one type at
 * a time per GPU; mtty: types share the ports): read them all again.
 */
static void refresh_counts(struct pt_mdev_parent *p, int pfd)
{
	for (struct pt_mdev_type *t = p->types; t; t = t->next) {
		int fd = type_open(pfd, t->id);

		t->available_instances = read_count(fd);
		if (fd >= 0)
			close(fd);
	}
}

static int type_rank(struct pt_mdev_parent *p, const char *id)
{
	int i = 0;

	for (struct pt_mdev_type *t = p->types; t; t = t->next, i++)
		if (!strcmp(t->id, id))
			return i;
	return i;
}

/* A new instance into the parent's list, in pt__mdev_parent_fill()'s order. */
static int cache_add(struct pt_mdev_parent *p, const char *type_id,
		     const char *uuid)
{
	int rank = type_rank(p, type_id);
	struct pt_mdev *m, **pp;

	for (m = p->mdevs; m; m = m->next)
		if (!strcmp(m->uuid, uuid))
			return 0;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->parent = p;
	m->uuid = strdup(uuid);
	m->type_id = strdup(type_id);
	m->iommu_group = PT_NO_IOMMU_GROUP;
	if (!m->uuid || !m->type_id) {
		free(m->uuid);
		free(m->type_id);
		free(m);
		return -ENOMEM;
	}
	pt__mdev_read_iommu_group(p->ctx, m);
	for (pp = &p->mdevs; *pp; pp = &(*pp)->next) {
		int r = type_rank(p, (*pp)->type_id);

		if (r > rank || (r == rank && strcmp((*pp)->uuid, uuid) > 0))
			break;
	}
	m->next = *pp;
	*pp = m;
	return 0;
}

static void cache_drop(struct pt_mdev_parent *p, const char *uuid)
{
	for (struct pt_mdev **pp = &p->mdevs; *pp; pp = &(*pp)->next) {
		struct pt_mdev *m = *pp;

		if (!strcmp(m->uuid, uuid)) {
			*pp = m->next;
			free(m->uuid);
			free(m->type_id);
			free(m);
			return;
		}
	}
}

/* Does bus/mdev/devices/<uuid> exist (an instance of any parent)? */
static bool on_mdev_bus(struct pt_ctx *ctx, const char *uuid)
{
	int fd = pt__sysfs_open_dir(ctx, "bus/mdev/devices");
	bool found;

	if (fd < 0)
		return false;
	found = pt__sysfs_exists(fd, uuid) == 0;
	close(fd);
	return found;
}

/* Create instance u (normalized) of type now; 0 or -errno. */
static int create_now(struct pt_mdev_type *type, const char *u)
{
	struct pt_mdev_parent *p = type->parent;
	struct pt_ctx *ctx = p->ctx;
	char link[64];
	int pfd, tfd = -1, r;
	int64_t deadline;

	pfd = pt__sysfs_open_dir(ctx, p->path);
	if (pfd < 0) {
		err(ctx, "%s: cannot open %s: %s\n", p->name, p->path, strerror(-pfd));
		return pfd;
	}
	tfd = type_open(pfd, type->id);
	if (tfd < 0) {
		r = tfd;
		err(ctx, "%s: mdev type %s: %s\n", p->name, type->id, strerror(-r));
		goto out;
	}
	if (pt__sysfs_exists(pfd, u) == 0 || on_mdev_bus(ctx, u)) {
		dbg(ctx, "%s: mdev %s exists\n", p->name, u);
		r = -EEXIST;
		goto out;
	}
	if (read_count(tfd) == 0) {
		dbg(ctx, "%s: no instance of %s available\n", p->name, type->id);
		type->available_instances = 0;
		r = -ENOSPC;
		goto out;
	}

	r = pt__sysfs_write(tfd, "create", u);
	if (r == -EUSERS)		/* the mdev core's word for none left */
		r = -ENOSPC;
	if (r < 0) {
		err(ctx, "%s: cannot create mdev %s of type %s: %s\n", p->name, u,
		    type->id, strerror(-r));
		goto out;
	}
	deadline = now_ms() + MDEV_WAIT_MS;
	snprintf(link, sizeof(link), "devices/%s", u);
	while (pt__sysfs_exists(pfd, u) != 0 || pt__sysfs_exists(tfd, link) != 0) {
		if (now_ms() >= deadline) {
			err(ctx, "%s: mdev %s of type %s did not appear within %d ms\n",
			    p->name, u, type->id, MDEV_WAIT_MS);
			r = -ETIMEDOUT;
			goto out;
		}
		nap();
	}
	refresh_counts(p, pfd);
	r = cache_add(p, type->id, u);
	if (r < 0)
		err(ctx, "%s: mdev %s created, but not recorded: %s\n", p->name, u,
		    strerror(-r));
	else
		dbg(ctx, "%s: mdev %s of type %s created\n", p->name, u, type->id);
out:
	if (tfd >= 0)
		close(tfd);
	close(pfd);
	return r;
}

/* Remove instance u (normalized) now; its type into type_id. */
static int remove_now(struct pt_mdev_parent *parent, const char *u,
		      char type_id[NAME_MAX + 1])
{
	struct pt_ctx *ctx = parent->ctx;
	int pfd, ifd, r;
	int64_t deadline;

	pt__mdev_parent_fill(parent);
	pfd = pt__sysfs_open_dir(ctx, parent->path);
	if (pfd < 0) {
		err(ctx, "%s: cannot open %s: %s\n", parent->name, parent->path,
		    strerror(-pfd));
		return pfd;
	}
	ifd = pt__sysfs_openat_dir(pfd, u);
	if (ifd >= 0 && pt__sysfs_readlink_base(ifd, "mdev_type", type_id,
						NAME_MAX + 1) < 0) {
		close(ifd);
		ifd = -ENOENT;		/* a directory, but no mdev */
	}
	if (ifd < 0) {
		r = ifd;
		dbg(ctx, "%s: no mdev %s: %s\n", parent->name, u, strerror(-r));
		goto out;
	}
	r = pt__sysfs_write(ifd, "remove", "1");
	close(ifd);
	if (r < 0) {
		err(ctx, "%s: cannot remove mdev %s: %s\n", parent->name, u,
		    strerror(-r));
		goto out;
	}
	deadline = now_ms() + MDEV_WAIT_MS;
	while (pt__sysfs_exists(pfd, u) != -ENOENT) {
		if (now_ms() >= deadline) {
			err(ctx, "%s: mdev %s still there %d ms after remove\n",
			    parent->name, u, MDEV_WAIT_MS);
			r = -ETIMEDOUT;
			goto out;
		}
		nap();
	}
	refresh_counts(parent, pfd);
	cache_drop(parent, u);
	dbg(ctx, "%s: mdev %s of type %s removed\n", parent->name, u, type_id);
out:
	close(pfd);
	return r;
}


/* ---- the step kinds ---------------------------------------------------------- */

struct mdev_step {
	struct pt_mdev_parent *parent;
	char type_id[NAME_MAX + 1];	/* create: the type; remove: found */
	char uuid[37];
	bool written;			/* create: the kernel got the write */
};

static struct pt_mdev_type *type_find(struct pt_mdev_parent *p, const char *id)
{
	pt__mdev_parent_fill(p);
	for (struct pt_mdev_type *t = p->types; t; t = t->next)
		if (!strcmp(t->id, id))
			return t;
	return NULL;
}

static int create_run(struct pt_plan *p, struct pt_step *s, char *why,
		      size_t wlen)
{
	struct mdev_step *m = pt__step_data(s);
	struct pt_mdev_type *t = type_find(m->parent, m->type_id);
	int r;

	(void)p;
	if (!t) {
		snprintf(why, wlen, "%s offers no mdev type %s", m->parent->name,
			 m->type_id);
		return -ENOENT;
	}
	r = create_now(t, m->uuid);
	m->written = r == 0 || r == -ETIMEDOUT;
	if (r < 0)
		snprintf(why, wlen, "%s", r == -ENOSPC ? "no instance of the type is available" :
			 r == -EEXIST ? "an mdev with this UUID exists" : strerror(-r));
	return r;
}

static int remove_run(struct pt_plan *p, struct pt_step *s, char *why,
		      size_t wlen)
{
	struct mdev_step *m = pt__step_data(s);
	int r;

	(void)p;
	r = remove_now(m->parent, m->uuid, m->type_id);
	if (r < 0)
		snprintf(why, wlen, "%s", strerror(-r));
	return r;
}

/* A create is undone by removing the instance, if it is there. */
static int create_undo(struct pt_plan *p, struct pt_step *s, char *why,
		       size_t wlen)
{
	struct mdev_step *m = pt__step_data(s);
	char type_id[NAME_MAX + 1];
	int r;

	(void)p;
	if (!m->written)
		return 0;	/* an instance that was there before stays */
	r = remove_now(m->parent, m->uuid, type_id);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		snprintf(why, wlen, "cannot remove mdev %s: %s", m->uuid, strerror(-r));
	return r;
}

/* A remove is undone by creating the same type and UUID again. */
static int remove_undo(struct pt_plan *p, struct pt_step *s, char *why,
		       size_t wlen)
{
	struct mdev_step *m = pt__step_data(s);
	struct pt_mdev_type *t;
	int r;

	(void)p;
	if (!m->type_id[0])
		return 0;	/* never removed */
	t = type_find(m->parent, m->type_id);
	if (!t) {
		snprintf(why, wlen, "%s offers no mdev type %s to create %s again",
			 m->parent->name, m->type_id, m->uuid);
		return -ENOENT;
	}
	r = create_now(t, m->uuid);
	if (r == -EEXIST)
		return 0;
	if (r < 0)
		snprintf(why, wlen, "cannot create mdev %s again: %s", m->uuid,
			 strerror(-r));
	return r;
}

static const struct pt__step_ops create_ops = {
	.name = "mdev.create", .kind = "write",
	.run = create_run, .undo = create_undo,
};

static const struct pt__step_ops remove_ops = {
	.name = "mdev.remove", .kind = "write",
	.run = remove_run, .undo = remove_undo,
};

int pt__mdev_plan_create(struct pt_plan *p, struct pt_mdev_type *t,
			 const char *uuid, char uuid_out[37])
{
	struct pt_mdev_parent *par;
	struct mdev_step *m;
	char target[PATH_MAX];

	if (!t)
		return -EINVAL;
	par = t->parent;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	if (uuid) {
		if (uuid_normalize(uuid, m->uuid) < 0) {
			free(m);
			return -EINVAL;
		}
	} else {
		uuid_t bin;

		uuid_generate_random(bin);
		uuid_unparse_lower(bin, m->uuid);
	}
	if (uuid_out)
		memcpy(uuid_out, m->uuid, sizeof(m->uuid));
	m->parent = par;
	snprintf(m->type_id, sizeof(m->type_id), "%s", t->id);
	snprintf(target, sizeof(target), "%s/mdev_supported_types/%s/create",
		 par->path, t->id);
	return pt__plan_add(p, &create_ops, m, par->pci ? par->pci->bdf : NULL,
			    target, m->uuid, "create mdev %s of type %s on %s",
			    m->uuid, t->id, par->name) ? 0 : -ENOMEM;
}

int pt__mdev_plan_remove(struct pt_plan *p, struct pt_mdev_parent *parent,
			 const char *uuid)
{
	struct mdev_step *m;
	char target[PATH_MAX];

	if (!parent)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	if (uuid_normalize(uuid, m->uuid) < 0) {
		free(m);
		return -EINVAL;
	}
	m->parent = parent;
	snprintf(target, sizeof(target), "%s/%s/remove", parent->path, m->uuid);
	return pt__plan_add(p, &remove_ops, m, parent->pci ? parent->pci->bdf : NULL,
			    target, "1", "remove mdev %s from %s", m->uuid,
			    parent->name) ? 0 : -ENOMEM;
}

/* ---- the public one-step plans ---------------------------------------------- */

/* Run a one-step plan; the step's -errno, or 0. */
static int run_one(struct pt_plan *p)
{
	int r = pt_plan_execute(p);

	if (r < 0)
		dbg(pt__plan_get_ctx(p), "%s\n", pt_plan_get_error(p));
	pt_plan_free(p);
	return r;
}

PT_EXPORT int pt_mdev_create(struct pt_mdev_type *type, const char *uuid,
			     char *uuid_out)
{
	struct pt_plan *p;
	int r;

	if (!type)
		return -EINVAL;
	if (uuid && uuid_normalize(uuid, (char[37]){ 0 }) < 0) {
		dbg(type->parent->ctx, "%s: \"%s\" is not a UUID\n",
		    type->parent->name, uuid);
		return -EINVAL;
	}
	r = pt__plan_new(type->parent->ctx, type->parent->name, "mdev-create",
			 type->parent->name, 0, &p);
	if (r >= 0)
		r = pt__mdev_plan_create(p, type, uuid, uuid_out);
	if (r < 0) {
		pt_plan_free(p);
		return r;
	}
	return run_one(p);
}

PT_EXPORT int pt_mdev_remove(struct pt_mdev_parent *parent, const char *uuid)
{
	struct pt_plan *p;
	int r;

	if (!parent)
		return -EINVAL;
	if (uuid_normalize(uuid, (char[37]){ 0 }) < 0) {
		dbg(parent->ctx, "%s: \"%s\" is not a UUID\n", parent->name,
		    uuid ? uuid : "(null)");
		return -EINVAL;
	}
	r = pt__plan_new(parent->ctx, parent->name, "mdev-remove", parent->name,
			 0, &p);
	if (r >= 0)
		r = pt__mdev_plan_remove(p, parent, uuid);
	if (r < 0) {
		pt_plan_free(p);
		return r;
	}
	return run_one(p);
}
