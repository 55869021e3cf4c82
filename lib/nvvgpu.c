// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * NVIDIA per-VF vGPU binder: a GPU's VFs enabled with a check that they
 * offer the wanted type, and a VF's nvidia/current_vgpu_type written as
 * plan steps (attach writes the type when a guest starts, 0 when it
 * stops).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "binder.h"

#define STOP_RETRY_MS	10000
#define STOP_STEP_MS	100

int pt__nvvgpu_vf_offers(struct pt_ctx *ctx, const char *vfbdf,
			 const char *profile)
{
	struct pt_vgpu_type *types = NULL, *t;
	char buf[16384];
	int fd, nfd, r, found = 0;
	ssize_t n;
	char *end;
	unsigned long id = strtoul(profile, &end, 10);
	bool numeric = *profile && !*end;

	fd = pt__sysfs_open_pci_dev(ctx, vfbdf);
	if (fd < 0)
		return fd;
	nfd = pt__sysfs_openat_dir(fd, "nvidia");
	close(fd);
	if (nfd < 0)
		return nfd;
	n = pt__sysfs_read(nfd, "creatable_vgpu_types", buf, sizeof(buf));
	close(nfd);
	if (n < 0)
		return (int)n;
	r = pt__vgpu_types_parse(buf, &types);
	for (t = types; t && r >= 0; t = t->next)
		if ((numeric && t->id == id) || pt__vgpu_type_matches(profile, NULL, t->name))
			found = 1;
	while (types) {
		t = types->next;
		free(types->name);
		free(types);
		types = t;
	}
	return r < 0 ? r : found;
}

/* ---- enabling the VFs ------------------------------------------------------------ */

struct enable {
	struct pt__sriov_change c;	/* first: the sriov step kind's data */
	char vfbdf[PT_BDF_LEN];
	char *profile;
};

static int enable_verify(struct pt_plan *p, struct pt_step *s, char *why,
			 size_t wlen)
{
	struct enable *e = pt__step_data(s);
	int r = pt__sriov_numvfs_ops.verify(p, s, why, wlen);

	if (r <= 0)
		return r;
	r = pt__nvvgpu_vf_offers(pt__plan_get_ctx(p), e->vfbdf, e->profile);
	if (r == -ENOENT)
		return 0;	/* the driver has not made it yet */
	if (r == 0)
		snprintf(why, wlen, "its VF %s does not offer vGPU type '%s'",
			 e->vfbdf, e->profile);
	return r;
}

static void enable_free(void *data)
{
	struct enable *e = data;

	if (e)
		free(e->profile);
	free(e);
}


static int enable_run(struct pt_plan *p, struct pt_step *s, char *why,
		      size_t wlen)
{
	return pt__sriov_numvfs_ops.run(p, s, why, wlen);
}

static int enable_undo(struct pt_plan *p, struct pt_step *s, char *why,
		       size_t wlen)
{
	return pt__sriov_numvfs_ops.undo(p, s, why, wlen);
}

static const struct pt__step_ops enable_step_ops = {
	.name = "nvvgpu.enable", .kind = "write",
	.run = enable_run, .verify = enable_verify, .undo = enable_undo,
	.free = enable_free,
};

int pt__nvvgpu_plan_enable(struct pt_plan *p, const char *bdf, int from,
			   int to, const char *vfbdf, const char *profile,
			   const char *desc)
{
	struct enable *e = calloc(1, sizeof(*e));
	char dir[64], target[96], val[16];
	int r;

	if (!e)
		return -ENOMEM;
	r = pt__sysfs_pci_dev_rel(bdf, dir, sizeof(dir));
	e->profile = strdup(profile);
	if (r < 0 || !e->profile) {
		enable_free(e);
		return r < 0 ? r : -ENOMEM;
	}
	snprintf(e->c.bdf, sizeof(e->c.bdf), "%s", bdf);
	snprintf(e->vfbdf, sizeof(e->vfbdf), "%s", vfbdf);
	e->c.from = from;
	e->c.to = to;
	e->c.autoprobe_then = -1;
	snprintf(target, sizeof(target), "%s/sriov_numvfs", dir);
	snprintf(val, sizeof(val), "%d", to);
	return pt__plan_add(p, &enable_step_ops, e, bdf, target, val, "%s", desc) ?
	       0 : -ENOMEM;
}

/* ---- current_vgpu_type ------------------------------------------------------------ */

struct vtype {
	char bdf[PT_BDF_LEN];
	unsigned int from, to;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int open_nvidia(struct pt_ctx *ctx, const char *bdf)
{
	int fd = pt__sysfs_open_pci_dev(ctx, bdf), nfd;

	if (fd < 0)
		return fd;
	nfd = pt__sysfs_openat_dir(fd, "nvidia");
	close(fd);
	return nfd;
}

/* Write type to bdf; 0 is retried while busy. */
static int write_type(struct pt_ctx *ctx, const char *bdf, unsigned int type,
		      char *why, size_t wlen)
{
	struct timespec ts = { 0, STOP_STEP_MS * 1000000L };
	int64_t deadline = now_ms() + STOP_RETRY_MS;
	char val[16];
	int fd, r;

	fd = open_nvidia(ctx, bdf);
	if (fd < 0) {
		snprintf(why, wlen, "%s: no nvidia directory: %s", bdf, strerror(-fd));
		return fd;
	}
	snprintf(val, sizeof(val), "%u", type);
	for (;;) {
		r = pt__sysfs_write(fd, "current_vgpu_type", val);
		if (r != -EBUSY || type != 0 || now_ms() >= deadline)
			break;
		nanosleep(&ts, NULL);
	}
	close(fd);
	if (r == -EBUSY && type == 0)
		snprintf(why, wlen, "still busy after %d s: a guest holds the VF; stop it first",
			 STOP_RETRY_MS / 1000);
	else if (r < 0)
		snprintf(why, wlen, "write failed: %s", strerror(-r));
	return r;
}

static int vtype_run(struct pt_plan *p, struct pt_step *s, char *why,
		     size_t wlen)
{
	struct vtype *v = pt__step_data(s);

	return write_type(pt__plan_get_ctx(p), v->bdf, v->to, why, wlen);
}

static int vtype_verify(struct pt_plan *p, struct pt_step *s, char *why,
			size_t wlen)
{
	struct vtype *v = pt__step_data(s);
	int fd = open_nvidia(pt__plan_get_ctx(p), v->bdf);
	long cur;
	int r;

	if (fd < 0)
		return fd;
	r = pt__sysfs_read_long(fd, "current_vgpu_type", &cur);
	close(fd);
	if (r < 0)
		return r;
	if (cur != (long)v->to) {
		snprintf(why, wlen, "current_vgpu_type reads %ld", cur);
		return 0;
	}
	return 1;
}

static int vtype_undo(struct pt_plan *p, struct pt_step *s, char *why,
		      size_t wlen)
{
	struct vtype *v = pt__step_data(s);

	if (vtype_verify(p, s, why, wlen) <= 0)
		return 0;	/* never took effect */
	return write_type(pt__plan_get_ctx(p), v->bdf, v->from, why, wlen);
}

static const struct pt__step_ops vtype_ops = {
	.name = "nvvgpu.type", .kind = "write",
	.run = vtype_run, .verify = vtype_verify, .undo = vtype_undo,
};

int pt__nvvgpu_plan_set_type(struct pt_plan *p, const char *vfbdf,
			     unsigned int from, unsigned int to)
{
	struct vtype *v = calloc(1, sizeof(*v));
	char dir[64], target[96], val[16];
	int r;

	if (!v)
		return -ENOMEM;
	r = pt__sysfs_pci_dev_rel(vfbdf, dir, sizeof(dir));
	if (r < 0) {
		free(v);
		return r;
	}
	snprintf(v->bdf, sizeof(v->bdf), "%s", vfbdf);
	v->from = from;
	v->to = to;
	snprintf(target, sizeof(target), "%s/nvidia/current_vgpu_type", dir);
	snprintf(val, sizeof(val), "%u", to);
	return pt__plan_add(p, &vtype_ops, v, vfbdf, target, val,
			    to ? "give VF %s vGPU type %u" :
			    "take the vGPU type off VF %s (was %u)",
			    vfbdf, to ? to : from) ? 0 : -ENOMEM;
}
