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
	const struct pt_iommu_group *x = *(struct pt_iommu_group *const *)a;
	const struct pt_iommu_group *y = *(struct pt_iommu_group *const *)b;

	return (x->number > y->number) - (x->number < y->number);
}

static struct pt_iommu_group *find(struct pt_ctx *ctx, int number)
{
	struct pt_iommu_group key = { .number = number }, *kp = &key, **p;

	if (!ctx->n_groups)
		return NULL;
	p = bsearch(&kp, ctx->groups, ctx->n_groups, sizeof(*ctx->groups),
		    cmp_group);
	return p ? *p : NULL;
}

static int add_dev(struct pt_iommu_group *g, struct pt_pci_dev *d)
{
	struct pt_pci_dev **m;

	m = realloc(g->members, (g->n_members + 1) * sizeof(*m));
	if (!m)
		return -ENOMEM;
	g->members = m;
	m[g->n_members++] = d;
	if (d->bridge || pt__driver_is_vfio_safe(d->driver))
		return 0;
	m = realloc(g->blockers, (g->n_blockers + 1) * sizeof(*m));
	if (!m)
		return -ENOMEM;
	g->blockers = m;
	m[g->n_blockers++] = d;
	return 0;
}

void pt__iommu_free(struct pt_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n_groups; i++) {
		free(ctx->groups[i]->members);
		free(ctx->groups[i]->blockers);
		free(ctx->groups[i]);
	}
	free(ctx->groups);
	ctx->groups = NULL;
	ctx->n_groups = 0;
	ctx->iommu_scanned = false;
}

int pt__iommu_scan(struct pt_ctx *ctx)
{
	struct pt_pci_dev *d;
	size_t cap = 0;
	int r;

	if (ctx->iommu_scanned)
		return 0;
	ctx->iommu_scanned = true;
	pt__pci_scan(ctx);

	/* PCI functions come sorted by BDF, so members come out sorted too. */
	for (size_t i = 0; i < ctx->n_pci; i++) {
		struct pt_iommu_group *g = NULL;

		d = ctx->pci[i];
		if (d->iommu_group == PT_NO_IOMMU_GROUP)
			continue;
		/* groups mostly arrive in order: look at the last first */
		for (size_t j = ctx->n_groups; j-- > 0;)
			if (ctx->groups[j]->number == d->iommu_group) {
				g = ctx->groups[j];
				break;
			}
		if (!g) {
			if (ctx->n_groups == cap) {
				struct pt_iommu_group **n;

				cap = cap ? cap * 2 : 32;
				n = realloc(ctx->groups, cap * sizeof(*n));
				if (!n)
					goto enomem;
				ctx->groups = n;
			}
			g = calloc(1, sizeof(*g));
			if (!g)
				goto enomem;
			g->ctx = ctx;
			g->number = d->iommu_group;
			ctx->groups[ctx->n_groups++] = g;
		}
		r = add_dev(g, d);
		if (r < 0)
			goto enomem;
	}
	if (ctx->n_groups)	/* no IOMMU: groups is NULL, qsort(NULL) is UB */
		qsort(ctx->groups, ctx->n_groups, sizeof(*ctx->groups), cmp_group);
	for (size_t i = 0; i < ctx->n_groups; i++)
		ctx->groups[i]->index = i;
	return 0;
enomem:
	err(ctx, "IOMMU groups: out of memory\n");
	pt__iommu_free(ctx);
	ctx->iommu_scanned = true;
	return -ENOMEM;
}

PT_EXPORT struct pt_iommu_group *pt_iommu_group_get_first(struct pt_ctx *ctx)
{
	pt__iommu_scan(ctx);
	return ctx->n_groups ? ctx->groups[0] : NULL;
}

PT_EXPORT struct pt_iommu_group *pt_iommu_group_get_next(struct pt_iommu_group *g)
{
	struct pt_ctx *ctx = g->ctx;

	return g->index + 1 < ctx->n_groups ? ctx->groups[g->index + 1] : NULL;
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
