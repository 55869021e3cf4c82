// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * NVIDIA's NVML, loaded at run time with dlopen("libnvidia-ml.so.1") as
 * nvtop and NVIDIA's own tools do, for what sysfs does not say about a
 * GPU: its MIG mode, its GPU instances and their profiles, and its vGPU
 * heterogeneous (mixed-size) mode. Never linked: a host without NVIDIA's
 * driver runs passthru as before, and only a group that needs these
 * facts is refused, with the fix. The library is the context's setting
 * (pt_set_nvml_library(), -O nvml.library=, PT_NVML_LIBRARY), which is
 * how the tests load tests/fakenvml through this same path.
 *
 * This file only reads; the entry points that change the GPU (w_*) are
 * resolved here, once, and called by the binder nvmig.c.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define NVML_SONAME	"libnvidia-ml.so.1"

struct sym {
	const char *name;
	size_t off;
};

#define S(field, name) { name, offsetof(struct pt__nvml, field) }
static const struct sym syms[] = {
	S(init, "nvmlInit_v2"),
	S(shutdown, "nvmlShutdown"),
	S(error_string, "nvmlErrorString"),
	S(get_handle_by_pci_bus_id, "nvmlDeviceGetHandleByPciBusId_v2"),
	S(get_mig_mode, "nvmlDeviceGetMigMode"),
	S(get_gi_profile_info, "nvmlDeviceGetGpuInstanceProfileInfo"),
	S(get_gi_remaining, "nvmlDeviceGetGpuInstanceRemainingCapacity"),
	S(get_gis, "nvmlDeviceGetGpuInstances"),
	S(get_gi_by_id, "nvmlDeviceGetGpuInstanceById"),
	S(gi_get_info, "nvmlGpuInstanceGetInfo"),
	S(get_hetero, "nvmlDeviceGetVgpuHeterogeneousMode"),
	S(get_vgpu_cap, "nvmlDeviceGetVgpuCapabilities"),
	S(get_creatable_placements, "nvmlDeviceGetVgpuTypeCreatablePlacements"),
	S(get_compute_procs, "nvmlDeviceGetComputeRunningProcesses_v3"),
	S(w_set_mig_mode, "nvmlDeviceSetMigMode"),
	S(w_create_gi, "nvmlDeviceCreateGpuInstance"),
	S(w_destroy_gi, "nvmlGpuInstanceDestroy"),
	S(w_set_hetero, "nvmlDeviceSetVgpuHeterogeneousMode"),
};
#undef S

struct nvml_state {
	struct pt__nvml n;
	int rc;			/* 0 loaded; -errno: the first try failed */
	char why[320];
};

static void nvml_free(struct pt_ctx *ctx)
{
	struct nvml_state *st = (struct nvml_state *)ctx->nvml;

	if (!st)
		return;
	if (!st->rc && st->n.shutdown)
		st->n.shutdown();
	if (st->n.dl)
		dlclose(st->n.dl);
	free(st);
	ctx->nvml = NULL;
}

PT_EXPORT int pt_set_nvml_library(struct pt_ctx *ctx, const char *path)
{
	char *n;

	if (!path || path[0] != '/')
		return -EINVAL;
	n = strdup(path);
	if (!n)
		return -ENOMEM;
	nvml_free(ctx);
	free(ctx->nvml_library);
	ctx->nvml_library = n;
	return 0;
}

PT_EXPORT const char *pt_get_nvml_library(struct pt_ctx *ctx)
{
	return ctx->nvml_library ? ctx->nvml_library : NVML_SONAME;
}

static int load(struct pt_ctx *ctx, struct nvml_state *st)
{
	const char *lib = pt_get_nvml_library(ctx);
	const char *e;
	int rc;

	dlerror();
	st->n.dl = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!st->n.dl) {
		e = dlerror();
		snprintf(st->why, sizeof(st->why), "NVML (%s) cannot be loaded: %s; "
			 "install the NVIDIA host driver, or set -O nvml.library=PATH",
			 lib, e ? e : "not found");
		return -ENOENT;
	}
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		void *f = dlsym(st->n.dl, syms[i].name);

		if (!f) {
			snprintf(st->why, sizeof(st->why), "NVML (%s) lacks %s: the NVIDIA "
				 "driver is older than vGPU 17; update the host driver", lib,
				 syms[i].name);
			return -ENOSYS;
		}
		memcpy((char *)&st->n + syms[i].off, &f, sizeof(f));
	}
	rc = st->n.init();
	if (rc != PT__NVML_SUCCESS) {
		snprintf(st->why, sizeof(st->why), "NVML (%s) cannot start: %s; load the "
			 "NVIDIA host driver (modprobe nvidia) and check 'nvidia-smi'", lib,
			 st->n.error_string(rc));
		st->n.shutdown = NULL;
		return -ENODEV;
	}
	return 0;
}

int pt__nvml_open(struct pt_ctx *ctx, struct pt__nvml **out, char *why, size_t wlen)
{
	struct nvml_state *st = (struct nvml_state *)ctx->nvml;
	int r;

	*out = NULL;
	if (!st) {
		st = calloc(1, sizeof(*st));
		if (!st)
			return -ENOMEM;
		r = pt__ctx_register_free(ctx, nvml_free);
		if (r < 0) {
			free(st);
			return r;
		}
		ctx->nvml = &st->n;
		st->rc = load(ctx, st);
		dbg(ctx, "nvml %s: %s\n", pt_get_nvml_library(ctx),
		    st->rc ? st->why : "loaded");
	}
	if (st->rc) {
		if (why)
			snprintf(why, wlen, "%s", st->why);
		return st->rc;
	}
	*out = &st->n;
	return 0;
}

int pt__nvml_errno(int rc)
{
	switch (rc) {
	case PT__NVML_SUCCESS: return 0;
	case PT__NVML_ERROR_INVALID_ARGUMENT: return -EINVAL;
	case PT__NVML_ERROR_NOT_SUPPORTED: return -EOPNOTSUPP;
	case PT__NVML_ERROR_NO_PERMISSION: return -EACCES;
	case PT__NVML_ERROR_NOT_FOUND: return -ENOENT;
	case PT__NVML_ERROR_INSUFFICIENT_SIZE: return -ENOSPC;
	case PT__NVML_ERROR_DRIVER_NOT_LOADED: return -ENODEV;
	case PT__NVML_ERROR_IN_USE: return -EBUSY;
	case PT__NVML_ERROR_INSUFFICIENT_RESOURCES: return -ENOSPC;
	default: return -EIO;
	}
}

const char *pt__nvml_strerror(struct pt__nvml *n, int rc)
{
	const char *s = n && n->error_string ? n->error_string(rc) : NULL;

	return s ? s : "unknown NVML error";
}

int pt__nvml_device(struct pt__nvml *n, const char *bdf, pt__nvml_dev_t *dev)
{
	int rc = n->get_handle_by_pci_bus_id(bdf, dev);

	return rc == PT__NVML_ERROR_NOT_FOUND ? -ENODEV : pt__nvml_errno(rc);
}

int pt__nvml_mig_mode(struct pt__nvml *n, pt__nvml_dev_t dev, int *cur, int *pending)
{
	unsigned int c = 0, p = 0;
	int rc = n->get_mig_mode(dev, &c, &p);

	if (rc != PT__NVML_SUCCESS)
		return pt__nvml_errno(rc);
	*cur = !!c;
	*pending = !!p;
	return 0;
}

int pt__nvml_gi_profile(struct pt__nvml *n, pt__nvml_dev_t dev, int slices, int fb_gb,
			bool media, struct pt__nvml_gi_profile_info *info)
{
	long long want = (long long)fb_gb * 1024, best = -1;
	int found = -ENOENT;

	for (unsigned int id = 0; id < PT__NVML_GI_PROFILE_MAX; id++) {
		struct pt__nvml_gi_profile_info pi;
		/* 1_SLICE_REV1, 2_SLICE_REV1: the "+me" profiles */
		bool me = id == 7 || id == 8;
		long long d;

		memset(&pi, 0, sizeof(pi));
		if (n->get_gi_profile_info(dev, id, &pi) != PT__NVML_SUCCESS)
			continue;
		if ((int)pi.slice_count != slices || me != media)
			continue;
		d = (long long)pi.memory_size_mb - want;
		if (d < 0)
			d = -d;
		if (best < 0 || d < best) {
			best = d;
			*info = pi;
			found = 0;
		}
	}
	return found;
}

static int gi_ids(struct pt__nvml *n, pt__nvml_dev_t dev, unsigned int profile_id,
		  unsigned int *ids, unsigned int max)
{
	pt__nvml_gi_t gis[64];
	unsigned int count = 0;
	int rc = n->get_gis(dev, profile_id, gis, &count);

	if (rc != PT__NVML_SUCCESS)
		return pt__nvml_errno(rc);
	if (count > 64)
		count = 64;
	for (unsigned int i = 0; i < count && i < max; i++) {
		struct pt__nvml_gi_info gi;

		memset(&gi, 0, sizeof(gi));
		rc = n->gi_get_info(gis[i], &gi);
		if (rc != PT__NVML_SUCCESS)
			return pt__nvml_errno(rc);
		ids[i] = gi.id;
	}
	return (int)(count < max ? count : max);
}

int pt__nvml_gi_ids(struct pt__nvml *n, pt__nvml_dev_t dev, unsigned int profile_id,
		    unsigned int *ids, unsigned int max)
{
	return gi_ids(n, dev, profile_id, ids, max);
}

int pt__nvml_gi_all(struct pt__nvml *n, pt__nvml_dev_t dev, unsigned int *ids,
		    unsigned int max)
{
	unsigned int total = 0;

	for (unsigned int id = 0; id < PT__NVML_GI_PROFILE_MAX && total < max; id++) {
		struct pt__nvml_gi_profile_info pi;
		int r;

		if (n->get_gi_profile_info(dev, id, &pi) != PT__NVML_SUCCESS)
			continue;
		r = gi_ids(n, dev, id, ids + total, max - total);
		if (r < 0)
			return r;
		total += (unsigned int)r;
	}
	return (int)total;
}

int pt__nvml_hetero_mode(struct pt__nvml *n, pt__nvml_dev_t dev)
{
	struct pt__nvml_hetero h = { .version = PT__NVML_HETERO_V1 };
	int rc = n->get_hetero(dev, &h);

	return rc == PT__NVML_SUCCESS ? !!h.mode : pt__nvml_errno(rc);
}

int pt__nvml_hetero_capable(struct pt__nvml *n, pt__nvml_dev_t dev)
{
	unsigned int v = 0;
	int rc = n->get_vgpu_cap(dev, PT__NVML_VGPU_CAP_HETEROGENEOUS_TIMESLICE_SIZES, &v);

	return rc == PT__NVML_SUCCESS ? !!v : pt__nvml_errno(rc);
}

int pt__nvml_placements(struct pt__nvml *n, pt__nvml_dev_t dev, unsigned int type_id)
{
	unsigned int ids[64];
	struct pt__nvml_placements pl = {
		.version = PT__NVML_PLACEMENTS_V1, .count = 64, .placement_ids = ids,
	};
	int rc = n->get_creatable_placements(dev, type_id, &pl);

	return rc == PT__NVML_SUCCESS ? (int)pl.count : pt__nvml_errno(rc);
}

int pt__nvml_gi_count(struct pt__nvml *n, pt__nvml_dev_t dev, int slices, int fb_gb,
		      bool media)
{
	struct pt__nvml_gi_profile_info pi;
	unsigned int ids[64];
	int r = pt__nvml_gi_profile(n, dev, slices, fb_gb, media, &pi);

	return r < 0 ? r : gi_ids(n, dev, pi.id, ids, 64);
}

int pt__nvml_processes(struct pt_ctx *ctx, struct pt__nvml *n, pt__nvml_dev_t dev,
		       char *who, size_t wlen)
{
	struct pt__nvml_process p[16];
	unsigned int count = 16;
	size_t off = 0;
	int rc = n->get_compute_procs(dev, &count, p);

	who[0] = '\0';
	if (rc != PT__NVML_SUCCESS)
		return pt__nvml_errno(rc);
	for (unsigned int i = 0; i < count && i < 16 && off < wlen; i++) {
		char pid[16], one[96];

		snprintf(pid, sizeof(pid), "%u", p[i].pid);
		pt__proc_who(ctx, pid, one, sizeof(one));
		off += (size_t)snprintf(who + off, wlen - off, "%s%s", i ? ", " : "", one);
	}
	return (int)count;
}
