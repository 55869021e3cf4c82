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
#include <unistd.h>

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

bool pt__mdev_is_uuid(const char *s)
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
	pt__strv_free(names, n);
}

/* An instance's own iommu_group link: bus/mdev/devices/<uuid>/iommu_group. */
void pt__mdev_read_iommu_group(struct pt_ctx *ctx, struct pt_mdev *m)
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
int pt__mdev_parent_fill(struct pt_mdev_parent *p)
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

			if (!pt__mdev_is_uuid(uuids[j]))
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
		pt__mdev_read_iommu_group(ctx, m);
	return r;
}

/* A link target "../../devices/pci0000:00/0000:00:02.0" made root-relative. */
static char *link_to_rel(const char *target)
{
	const char *p = strstr(target, "devices/");

	return p ? strdup(p) : NULL;
}

int pt__mdev_bus_names(struct pt_ctx *ctx, char ***names, size_t *n)
{
	int fd = pt__sysfs_open_dir(ctx, "class/mdev_bus");

	*names = NULL;
	*n = 0;
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	return list_dir(fd, names, n);
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
	pt__mdev_parent_fill(p);
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
	pt__mdev_parent_fill(p);
	return p->mdevs;
}

PT_EXPORT struct pt_mdev *pt_mdev_get_next(struct pt_mdev *m) { return m->next; }
PT_EXPORT const char *pt_mdev_get_uuid(struct pt_mdev *m) { return m->uuid; }
PT_EXPORT const char *pt_mdev_get_type_id(struct pt_mdev *m) { return m->type_id; }
PT_EXPORT int pt_mdev_get_iommu_group(struct pt_mdev *m) { return m->iommu_group; }

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
	char text[16384];
	long cur;
	int dfd, fd, r = 0;

	if (dev->vgpu_scanned || !dev->nvidia_vgpu)
		return 0;
	dev->vgpu_scanned = true;
	dfd = pt__sysfs_open_pci_dev(dev->ctx, dev->bdf);
	if (dfd < 0)
		return dfd;
	fd = pt__sysfs_openat_dir(dfd, "nvidia");
	close(dfd);
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
