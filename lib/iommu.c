// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * IOMMU groups: the unit the kernel hands to one guest. A group is viable
 * when every endpoint in it (bridges excluded, as vfio excludes them) is
 * bound to a vfio driver or pci-stub, or to no driver at all.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

bool pt__driver_is_vfio_safe(const char *driver)
{
	size_t len;

	if (!driver)
		return true;
	if (!strcmp(driver, "vfio-pci") || !strcmp(driver, "pci-stub"))
		return true;
	/* vendor variant drivers: mlx5_vfio_pci, nvgrace-gpu-vfio-pci, ... */
	len = strlen(driver);
	return len > 8 && (!strcmp(driver + len - 8, "vfio_pci") ||
			   !strcmp(driver + len - 8, "vfio-pci"));
}

static int cmp_group(const void *a, const void *b)
{
	const struct pt_iommu_group *x = a, *y = b;

	return (x->number > y->number) - (x->number < y->number);
}

static struct pt_iommu_group *find(struct pt_ctx *ctx, int number)
{
	struct pt_iommu_group key = { .number = number };

	if (!ctx->n_groups)
		return NULL;
	return bsearch(&key, ctx->groups, ctx->n_groups, sizeof(*ctx->groups),
		       cmp_group);
}

void pt__iommu_free(struct pt_ctx *ctx)
{
	free(ctx->groups);
	free(ctx->group_devs);
	ctx->groups = NULL;
	ctx->group_devs = NULL;
	ctx->n_groups = 0;
	ctx->iommu_scanned = false;
}

struct member_key {
	int group;
	size_t dev;		/* index in ctx->pci: BDF order */
};

static int cmp_member(const void *a, const void *b)
{
	const struct member_key *x = a, *y = b;

	if (x->group != y->group)
		return (x->group > y->group) - (x->group < y->group);
	return (x->dev > y->dev) - (x->dev < y->dev);
}

static bool blocks(const struct pt_pci_dev *d)
{
	return !d->bridge && !pt__driver_is_vfio_safe(d->driver);
}

/*
 * One sort of (group, function) pairs builds every group with its members
 * in BDF order: linear in functions but for the sort (a scan of a group
 * list per function was quadratic: 92 M instructions at 5,000 groups).
 * The groups are one array, and their members and blockers slices of one
 * more: where every function has a group of its own (SR-IOV VFs), three
 * allocations a group cost ~130 bytes, now ~70.
 */
int pt__iommu_scan(struct pt_ctx *ctx)
{
	struct pt_pci_dev **mem, **blk;
	struct member_key *keys = NULL;
	size_t n = 0, ng = 0, nb = 0;

	if (ctx->iommu_scanned)
		return 0;
	ctx->iommu_scanned = true;
	pt__pci_scan(ctx);

	if (ctx->n_pci) {
		keys = malloc(ctx->n_pci * sizeof(*keys));
		if (!keys)
			goto enomem;
	}
	for (size_t i = 0; i < ctx->n_pci; i++)
		if (ctx->pci[i]->iommu_group != PT_NO_IOMMU_GROUP)
			keys[n++] = (struct member_key){ ctx->pci[i]->iommu_group, i };
	if (!n) {
		free(keys);
		return 0;
	}
	qsort(keys, n, sizeof(*keys), cmp_member);
	for (size_t i = 0; i < n; i++) {
		ng += i == 0 || keys[i].group != keys[i - 1].group;
		nb += blocks(ctx->pci[keys[i].dev]);
	}
	ctx->groups = calloc(ng, sizeof(*ctx->groups));
	ctx->group_devs = malloc((n + nb) * sizeof(*ctx->group_devs));
	if (!ctx->groups || !ctx->group_devs)
		goto enomem;
	mem = ctx->group_devs;
	blk = ctx->group_devs + n;
	for (size_t i = 0; i < n; i++) {
		struct pt_pci_dev *d = ctx->pci[keys[i].dev];
		struct pt_iommu_group *g;

		if (i == 0 || keys[i].group != keys[i - 1].group) {
			g = &ctx->groups[ctx->n_groups];
			g->ctx = ctx;
			g->number = keys[i].group;
			g->index = ctx->n_groups++;
			g->members = mem;
			g->blockers = blk;
		}
		g = &ctx->groups[ctx->n_groups - 1];
		g->members[g->n_members++] = d;
		mem++;
		if (blocks(d)) {
			g->blockers[g->n_blockers++] = d;
			blk++;
		}
	}
	free(keys);
	return 0;
enomem:
	free(keys);
	err(ctx, "IOMMU groups: out of memory\n");
	pt__iommu_free(ctx);
	ctx->iommu_scanned = true;
	return -ENOMEM;
}

PT_EXPORT struct pt_iommu_group *pt_iommu_group_get_first(struct pt_ctx *ctx)
{
	pt__iommu_scan(ctx);
	return ctx->n_groups ? &ctx->groups[0] : NULL;
}

PT_EXPORT struct pt_iommu_group *pt_iommu_group_get_next(struct pt_iommu_group *g)
{
	struct pt_ctx *ctx = g->ctx;

	return g->index + 1 < ctx->n_groups ? &ctx->groups[g->index + 1] : NULL;
}

PT_EXPORT struct pt_iommu_group *pt_iommu_group_find(struct pt_ctx *ctx, int number)
{
	pt__iommu_scan(ctx);
	return find(ctx, number);
}

PT_EXPORT int pt_iommu_group_get_number(struct pt_iommu_group *g)
{
	return g->number;
}

PT_EXPORT int pt_iommu_group_get_num_members(struct pt_iommu_group *g)
{
	return g->n_members;
}

PT_EXPORT struct pt_pci_dev *pt_iommu_group_get_member(struct pt_iommu_group *g,
						       int idx)
{
	return idx >= 0 && idx < g->n_members ? g->members[idx] : NULL;
}

PT_EXPORT bool pt_iommu_group_is_viable(struct pt_iommu_group *g)
{
	return g->n_blockers == 0;
}

PT_EXPORT int pt_iommu_group_get_num_blockers(struct pt_iommu_group *g)
{
	return g->n_blockers;
}

PT_EXPORT struct pt_pci_dev *pt_iommu_group_get_blocker(struct pt_iommu_group *g,
							int idx)
{
	return idx >= 0 && idx < g->n_blockers ? g->blockers[idx] : NULL;
}
