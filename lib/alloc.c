// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The allocator: which units of a group a VM's request gets. Pure
 * decisions over plain data (struct pt__unit), built by attach.c from the
 * scanned model, the groups and the leases; nothing here reads the host,
 * so it is unit-tested and benchmarked on its own.
 *
 * One pick at a time, every pick deterministic:
 *   1. only free units: not blocked (leased, reserved, host-critical, not
 *      applied), capacity left, on the VM's NUMA node when strict, and
 *      for a time-sliced vGPU request that is not heterogeneous, on a GPU
 *      that runs no other profile;
 *   2. units on the VM's preferred node first;
 *   3. placement: pack takes from the pool (PF, GPU, mdev parent) with the
 *      most taken already, spread from the one with the fewest;
 *   4. then the unit's key in byte order: BDF order for PCI units.
 * A pick updates the unit's capacity and its pool's load before the next.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"

static int pool_of(const struct pt__unit *u, const int *load)
{
	return u->pool >= 0 ? load[u->pool] : u->used;
}

/* Is a better than b for this request? */
static bool better(const struct pt__unit *a, const struct pt__unit *b,
		   const struct pt__alloc_req *rq, const int *load)
{
	if (rq->numa_node != PT_NO_NUMA_NODE) {
		bool an = a->numa_node == rq->numa_node;
		bool bn = b->numa_node == rq->numa_node;

		if (an != bn)
			return an;
	}
	if (a->pool != b->pool || a->pool < 0) {
		int la = pool_of(a, load), lb = pool_of(b, load);

		if (la != lb)
			return rq->placement == PT__PLACE_SPREAD ? la < lb : la > lb;
	}
	return strcmp(a->key, b->key) < 0;
}

/* ---- vgpu: one time-sliced profile per GPU unless heterogeneous (#13) ---- */
static bool other_profile(const struct pt__unit *u, const struct pt__alloc_req *rq)
{
	return rq->profile && !rq->heterogeneous && u->runs_profile &&
	       strcmp(u->runs_profile, rq->profile);
}
/* ---- end vgpu ---- */

static bool is_free(const struct pt__unit *u, const struct pt__alloc_req *rq)
{
	if (u->blocked || u->capacity <= 0 || other_profile(u, rq))
		return false;
	return !rq->numa_strict || rq->numa_node == PT_NO_NUMA_NODE ||
	       u->numa_node == rq->numa_node;
}

/* "N of M free: key: reason; key: reason" (reasons of the first few). */
static void explain(const struct pt__unit *units, size_t n,
		    const struct pt__alloc_req *rq, int nfree, char *why,
		    size_t whylen)
{
	size_t off;
	int shown = 0;

	if (!why || !whylen)
		return;
	off = (size_t)snprintf(why, whylen, "%d of %d free", nfree, rq->count);
	for (size_t i = 0; i < n && off < whylen && shown < 4; i++) {
		const struct pt__unit *u = &units[i];
		const char *reason = u->blocked;
		char buf[96];

		if (!reason && u->capacity <= 0)
			reason = "no capacity left";
		if (!reason && other_profile(u, rq)) {
			snprintf(buf, sizeof(buf), "its GPU runs %s (heterogeneous = no)",
				 u->runs_profile);
			reason = buf;
		}
		if (!reason && rq->numa_strict && u->numa_node != rq->numa_node) {
			snprintf(buf, sizeof(buf), "on NUMA node %d, not %d (numa_strict)",
				 u->numa_node, rq->numa_node);
			reason = buf;
		}
		if (!reason)
			continue;
		off += (size_t)snprintf(why + off, whylen - off, "%s%s: %s",
					shown ? "; " : ": ", u->key, reason);
		shown++;
	}
	if (off < whylen && n > 4 && shown == 4)
		snprintf(why + off, whylen - off, "; ...");
}

int pt__alloc_pick(struct pt__unit *units, size_t n, const struct pt__alloc_req *rq,
		   int *picked, int *pool_load, char *why, size_t whylen)
{
	int nfree = 0;

	if (rq->count <= 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		pool_load[i] = 0;
	for (size_t i = 0; i < n; i++)
		if (units[i].pool >= 0 && (size_t)units[i].pool < n)
			pool_load[units[i].pool] += units[i].used;
	/* capacity first: refuse before touching anything */
	for (size_t i = 0; i < n; i++)
		if (is_free(&units[i], rq))
			nfree += units[i].capacity;
	if (nfree < rq->count) {
		explain(units, n, rq, nfree, why, whylen);
		return -EBUSY;
	}
	for (int k = 0; k < rq->count; k++) {
		int best = -1;

		for (size_t i = 0; i < n; i++)
			if (is_free(&units[i], rq) &&
			    (best < 0 || better(&units[i], &units[best], rq, pool_load)))
				best = (int)i;
		/* cannot be: capacity was counted above */
		if (best < 0)
			return -EBUSY;
		picked[k] = best;
		units[best].capacity--;
		units[best].used++;
		if (units[best].pool >= 0)
			pool_load[units[best].pool]++;
	}
	return 0;
}
