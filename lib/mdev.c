// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Mediated devices. Parents register in class/mdev_bus; each offers types
 * under mdev_supported_types/<type>/ (name, description,
 * available_instances, device_api, devices/) and its instances appear as
 * <type>/devices/<uuid> links. Writing a UUID to <type>/create makes an
 * instance (<parent>/<uuid>), writing 1 to its remove takes it away.
 * NVIDIA's newer per-VF vGPU replaces mdev with
 * nvidia/creatable_vgpu_types and nvidia/current_vgpu_type on each VF of
 * the GPU.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uuid/uuid.h>

#include "private.h"

static void free_parent(struct pt_mdev_parent *p)
{
	struct pt_mdev_type *t, *tn;
	struct pt_mdev *m, *mn;

	for (t = p->types; t; t = tn) {
		tn = t->next;
		free(t->id);
		free(t->name);
		free(t->description);
		free(t->device_api);
		free(t->profile);
		free(t);
	}
	for (m = p->mdevs; m; m = mn) {
		mn = m->next;
		free(m->uuid);
		free(m->type_id);
		free(m);
	}
	free(p->name);
	free(p->path);
	free(p);
}

void pt__mdev_free(struct pt_ctx *ctx)
{
	struct pt_mdev_parent *p, *n;

	for (p = ctx->mdev_parents; p; p = n) {
		n = p->next;
		free_parent(p);
	}
	ctx->mdev_parents = NULL;
	ctx->mdev_scanned = false;
	for (size_t i = 0; i < ctx->n_pci; i++)
		ctx->pci[i]->mdev_parent = NULL;
}

static char *read_attr(int fd, const char *name)
{
	char buf[4096];

	return pt__sysfs_read(fd, name, buf, sizeof(buf)) >= 0 ? strdup(buf) : NULL;
}

static bool is_uuid(const char *s)
{
	static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

	if (strlen(s) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'x' ? !isxdigit((unsigned char)s[i]) : s[i] != '-')
			return false;
	return true;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entry names of a directory fd (consumed), no dot entries. */
static int list_dir(int fd, char ***out, size_t *n_out)
{
	char **names = NULL, **nn;
	size_t n = 0;
	struct dirent *e;
	DIR *dir = fdopendir(fd);

	if (!dir) {
		close(fd);
		return -errno;
	}
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		nn = realloc(names, (n + 1) * sizeof(*names));
		if (!nn || !(nn[n] = strdup(e->d_name))) {
			names = nn ? nn : names;
			while (n)
				free(names[--n]);
			free(names);
			closedir(dir);
			return -ENOMEM;
		}
		names = nn;
		n++;
	}
	closedir(dir);
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	*out = names;
	*n_out = n;
	return 0;
}

static void free_list(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* An instance's own iommu_group link: bus/mdev/devices/<uuid>/iommu_group. */
static void read_iommu_group(struct pt_ctx *ctx, struct pt_mdev *m)
{
	char rel[96], grp[32];
	int fd;

	snprintf(rel, sizeof(rel), "bus/mdev/devices/%s", m->uuid);
	fd = pt__sysfs_open_dir(ctx, rel);
	if (fd < 0)
		return;
	if (pt__sysfs_readlink_base(fd, "iommu_group", grp, sizeof(grp)) > 0)
		m->iommu_group = atoi(grp);
	close(fd);
}

/* Types and instances of one parent, read on first use. */
static int parent_fill(struct pt_mdev_parent *p)
{
	struct pt_ctx *ctx = p->ctx;
	struct pt_mdev_type **ttail = &p->types;
	struct pt_mdev **mtail = &p->mdevs;
	char **types = NULL;
	size_t n_types = 0;
	int dfd, tfd, r;

	if (p->scanned)
		return 0;
	p->scanned = true;
	dfd = pt__sysfs_open_dir(ctx, p->path);
	if (dfd < 0)
		return dfd;
	tfd = pt__sysfs_openat_dir(dfd, "mdev_supported_types");
	close(dfd);
	if (tfd < 0)
		return tfd == -ENOENT ? 0 : tfd;
	r = list_dir(dup(tfd), &types, &n_types);
	if (r < 0) {
		close(tfd);
		return r;
	}
	for (size_t i = 0; i < n_types; i++) {
		struct pt_mdev_type *t;
		char **uuids = NULL;
		size_t n_uuids = 0;
		long avail;
		int fd = pt__sysfs_openat_dir(tfd, types[i]);

		if (fd < 0)
			continue;
		t = calloc(1, sizeof(*t));
		if (!t) {
			close(fd);
			r = -ENOMEM;
			break;
		}
		t->parent = p;
		t->id = strdup(types[i]);
		t->name = read_attr(fd, "name");
		t->description = read_attr(fd, "description");
		t->device_api = read_attr(fd, "device_api");
		t->available_instances =
			pt__sysfs_read_long(fd, "available_instances", &avail) == 0 ?
			(int)avail : -1;
		*ttail = t;
		ttail = &t->next;

		int devfd = pt__sysfs_openat_dir(fd, "devices");

		close(fd);
		if (devfd < 0 || list_dir(devfd, &uuids, &n_uuids) < 0)
			continue;
		for (size_t j = 0; j < n_uuids; j++) {
			struct pt_mdev *m;

			if (!is_uuid(uuids[j]))
				continue;
			m = calloc(1, sizeof(*m));
			if (!m)
				break;
			m->parent = p;
			m->uuid = strdup(uuids[j]);
			m->type_id = strdup(types[i]);
			m->iommu_group = PT_NO_IOMMU_GROUP;
			*mtail = m;
			mtail = &m->next;
		}
		free_list(uuids, n_uuids);
	}
	close(tfd);
	free_list(types, n_types);

	for (struct pt_mdev *m = p->mdevs; m; m = m->next)
		read_iommu_group(ctx, m);
	return r;
}

/* A link target "../../devices/pci0000:00/0000:00:02.0" made root-relative. */
static char *link_to_rel(const char *target)
{
	const char *p = strstr(target, "devices/");

	return p ? strdup(p) : NULL;
}

int pt__mdev_scan(struct pt_ctx *ctx)
{
	struct pt_mdev_parent **tail = &ctx->mdev_parents;
	char **names = NULL;
	size_t n = 0;
	int fd, r;

	if (ctx->mdev_scanned)
		return 0;
	pt__pci_scan(ctx);
	ctx->mdev_scanned = true;
	fd = pt__sysfs_open_dir(ctx, "class/mdev_bus");
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	r = list_dir(dup(fd), &names, &n);
	if (r < 0) {
		close(fd);
		return r;
	}
	for (size_t i = 0; i < n; i++) {
		char target[PATH_MAX];
		struct pt_mdev_parent *p;

		if (pt__sysfs_readlink(fd, names[i], target, sizeof(target)) < 0)
			continue;
		p = calloc(1, sizeof(*p));
		if (!p) {
			r = -ENOMEM;
			break;
		}
		p->ctx = ctx;
		p->name = strdup(names[i]);
		p->path = link_to_rel(target);
		if (!p->name || !p->path) {
			free_parent(p);
			continue;
		}
		if (pt__bdf_is_valid(p->name)) {
			p->pci = pt_pci_dev_find(ctx, p->name);
			if (p->pci)
				p->pci->mdev_parent = p;
		}
		*tail = p;
		tail = &p->next;
	}
	close(fd);
	free_list(names, n);
	return r;
}

PT_EXPORT struct pt_mdev_parent *pt_mdev_parent_get_first(struct pt_ctx *ctx)
{
	pt__mdev_scan(ctx);
	return ctx->mdev_parents;
}

PT_EXPORT struct pt_mdev_parent *pt_mdev_parent_get_next(struct pt_mdev_parent *p)
{
	return p->next;
}

PT_EXPORT const char *pt_mdev_parent_get_name(struct pt_mdev_parent *p)
{
	return p->name;
}

PT_EXPORT struct pt_pci_dev *pt_mdev_parent_get_pci_dev(struct pt_mdev_parent *p)
{
	return p->pci;
}

PT_EXPORT struct pt_mdev_parent *pt_pci_dev_get_mdev_parent(struct pt_pci_dev *dev)
{
	pt__mdev_scan(dev->ctx);
	return dev->mdev_parent;
}

PT_EXPORT struct pt_mdev_parent *pt_mdev_parent_find(struct pt_ctx *ctx,
						     const char *name)
{
	struct pt_mdev_parent *p;

	pt_mdev_parent_foreach(ctx, p)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

PT_EXPORT struct pt_mdev_type *pt_mdev_type_get_first(struct pt_mdev_parent *p)
{
	parent_fill(p);
	return p->types;
}

PT_EXPORT struct pt_mdev_type *pt_mdev_type_get_next(struct pt_mdev_type *t) { return t->next; }
PT_EXPORT struct pt_mdev_parent *pt_mdev_type_get_parent(struct pt_mdev_type *t) { return t->parent; }
PT_EXPORT const char *pt_mdev_type_get_id(struct pt_mdev_type *t) { return t->id; }
PT_EXPORT const char *pt_mdev_type_get_name(struct pt_mdev_type *t) { return t->name; }
PT_EXPORT const char *pt_mdev_type_get_description(struct pt_mdev_type *t) { return t->description; }
PT_EXPORT const char *pt_mdev_type_get_device_api(struct pt_mdev_type *t) { return t->device_api; }
PT_EXPORT int pt_mdev_type_get_available_instances(struct pt_mdev_type *t) { return t->available_instances; }

PT_EXPORT struct pt_mdev *pt_mdev_get_first(struct pt_mdev_parent *p)
{
	parent_fill(p);
	return p->mdevs;
}

PT_EXPORT struct pt_mdev *pt_mdev_get_next(struct pt_mdev *m) { return m->next; }
PT_EXPORT const char *pt_mdev_get_uuid(struct pt_mdev *m) { return m->uuid; }
PT_EXPORT const char *pt_mdev_get_type_id(struct pt_mdev *m) { return m->type_id; }
PT_EXPORT int pt_mdev_get_iommu_group(struct pt_mdev *m) { return m->iommu_group; }

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

	if (!in || !is_uuid(in) || uuid_parse(in, u) < 0)
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

/* A new instance into the parent's list, in parent_fill()'s order. */
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
	read_iommu_group(p->ctx, m);
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

PT_EXPORT int pt_mdev_create(struct pt_mdev_type *type, const char *uuid,
			     char *uuid_out)
{
	struct pt_mdev_parent *p;
	struct pt_ctx *ctx;
	char u[37], link[64];
	int pfd, tfd = -1, r;
	int64_t deadline;

	if (!type)
		return -EINVAL;
	p = type->parent;
	ctx = p->ctx;
	if (uuid) {
		if (uuid_normalize(uuid, u) < 0) {
			dbg(ctx, "%s: \"%s\" is not a UUID\n", p->name, uuid);
			return -EINVAL;
		}
	} else {
		uuid_t bin;

		uuid_generate_random(bin);
		uuid_unparse_lower(bin, u);
	}
	if (uuid_out)
		memcpy(uuid_out, u, sizeof(u));

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

PT_EXPORT int pt_mdev_remove(struct pt_mdev_parent *parent, const char *uuid)
{
	struct pt_ctx *ctx;
	char u[37], type_id[NAME_MAX + 1];
	int pfd, ifd, r;
	int64_t deadline;

	if (!parent)
		return -EINVAL;
	ctx = parent->ctx;
	if (uuid_normalize(uuid, u) < 0) {
		dbg(ctx, "%s: \"%s\" is not a UUID\n", parent->name,
		    uuid ? uuid : "(null)");
		return -EINVAL;
	}
	parent_fill(parent);
	pfd = pt__sysfs_open_dir(ctx, parent->path);
	if (pfd < 0) {
		err(ctx, "%s: cannot open %s: %s\n", parent->name, parent->path,
		    strerror(-pfd));
		return pfd;
	}
	ifd = pt__sysfs_openat_dir(pfd, u);
	if (ifd >= 0 && pt__sysfs_readlink_base(ifd, "mdev_type", type_id,
						sizeof(type_id)) < 0) {
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

/* ---- NVIDIA per-VF vGPU ------------------------------------------------- */

/*
 * creatable_vgpu_types is a table: a header line "ID    : vGPU Name", then
 * one "<id> : <name>" line per type the VF can take now.
 */
int pt__vgpu_types_parse(const char *text, struct pt_vgpu_type **out)
{
	struct pt_vgpu_type *head = NULL, **tail = &head;
	const char *line = text;

	while (line && *line) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		char buf[256], *colon, *end, *name;
		unsigned long id;

		if (len < sizeof(buf)) {
			memcpy(buf, line, len);
			buf[len] = '\0';
			colon = strchr(buf, ':');
			errno = 0;
			id = strtoul(buf, &end, 10);
			while (end && isspace((unsigned char)*end))
				end++;
			if (colon && end == colon && end != buf && !errno &&
			    id > 0 && id <= UINT_MAX) {
				struct pt_vgpu_type *t;

				name = colon + 1;
				while (isspace((unsigned char)*name))
					name++;
				for (size_t l = strlen(name);
				     l && isspace((unsigned char)name[l - 1]); l--)
					name[l - 1] = '\0';
				t = calloc(1, sizeof(*t));
				if (!t || !(t->name = strdup(name))) {
					free(t);
					*out = head;
					return -ENOMEM;
				}
				t->id = (unsigned int)id;
				*tail = t;
				tail = &t->next;
			}
		}
		line = eol ? eol + 1 : NULL;
	}
	*out = head;
	return 0;
}

void pt__vgpu_free(struct pt_pci_dev *dev)
{
	struct pt_vgpu_type *t, *n;

	for (t = dev->vgpu_types; t; t = n) {
		n = t->next;
		free(t->name);
		free(t->profile);
		free(t);
	}
	dev->vgpu_types = NULL;
	dev->vgpu_scanned = false;
}

int pt__vgpu_scan(struct pt_pci_dev *dev)
{
	char rel[64], text[16384];
	long cur;
	int fd, r = 0;

	if (dev->vgpu_scanned || !dev->nvidia_vgpu)
		return 0;
	dev->vgpu_scanned = true;
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/nvidia", dev->bdf);
	fd = pt__sysfs_open_dir(dev->ctx, rel);
	if (fd < 0)
		return fd;
	if (pt__sysfs_read(fd, "creatable_vgpu_types", text, sizeof(text)) >= 0)
		r = pt__vgpu_types_parse(text, &dev->vgpu_types);
	if (pt__sysfs_read_long(fd, "current_vgpu_type", &cur) == 0 && cur > 0)
		dev->current_vgpu_type = (unsigned int)cur;
	close(fd);
	return r;
}

PT_EXPORT bool pt_pci_dev_has_nvidia_vgpu(struct pt_pci_dev *dev)
{
	return dev->nvidia_vgpu;
}

PT_EXPORT struct pt_vgpu_type *pt_vgpu_type_get_first(struct pt_pci_dev *dev)
{
	pt__vgpu_scan(dev);
	return dev->vgpu_types;
}

PT_EXPORT struct pt_vgpu_type *pt_vgpu_type_get_next(struct pt_vgpu_type *t) { return t->next; }
PT_EXPORT unsigned int pt_vgpu_type_get_id(struct pt_vgpu_type *t) { return t->id; }
PT_EXPORT const char *pt_vgpu_type_get_name(struct pt_vgpu_type *t) { return t->name; }

PT_EXPORT unsigned int pt_pci_dev_get_current_vgpu_type(struct pt_pci_dev *dev)
{
	pt__vgpu_scan(dev);
	return dev->current_vgpu_type;
}
