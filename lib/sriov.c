// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * sriov binder: a PF's sriov_numvfs and sriov_drivers_autoprobe as plan
 * steps. A count changes only through 0; a step is done when the virtfnN
 * links and the attribute both show the new count.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "binder.h"

static int read_long(struct pt_ctx *ctx, const char *bdf, const char *attr,
		     long *v)
{
	int fd = pt__sysfs_open_pci_dev(ctx, bdf);
	int r;

	if (fd < 0)
		return fd;
	r = pt__sysfs_read_long(fd, attr, v);
	close(fd);
	return r;
}

int pt__sriov_read(struct pt_ctx *ctx, const char *bdf, long *numvfs,
		   long *autoprobe)
{
	int r = read_long(ctx, bdf, "sriov_numvfs", numvfs);

	return r < 0 || !autoprobe ? r :
	       read_long(ctx, bdf, "sriov_drivers_autoprobe", autoprobe);
}

int pt__sriov_count_virtfns(struct pt_ctx *ctx, const char *bdf)
{
	int fd = pt__sysfs_open_pci_dev(ctx, bdf);
	char name[32];
	int n = 0;

	if (fd < 0)
		return fd;
	for (;;) {
		snprintf(name, sizeof(name), "virtfn%d", n);
		if (pt__sysfs_exists(fd, name) < 0)
			break;
		n++;
	}
	close(fd);
	return n;
}

int pt__sriov_vf_bdf(struct pt_ctx *ctx, struct pt_pci_dev *pf, int idx,
		     char out[PT_BDF_LEN])
{
	long off, stride;
	unsigned int rid;
	int r;

	r = read_long(ctx, pf->bdf, "sriov_offset", &off);
	if (r < 0)
		return r;
	r = read_long(ctx, pf->bdf, "sriov_stride", &stride);
	if (r < 0)
		return r;
	rid = (unsigned int)(pf->bus << 8 | pf->devnum << 3 | pf->func);
	rid += (unsigned int)(off + (long)idx * stride);
	if (rid > 0xffff)
		return -ERANGE;
	snprintf(out, PT_BDF_LEN, "%04x:%02x:%02x.%x", pf->domain & 0xffff,
		 rid >> 8, (rid >> 3) & 0x1f, rid & 7);
	return 0;
}

int pt__sriov_read_physfn(struct pt_ctx *ctx, const char *vfbdf,
			  char out[PT_BDF_LEN])
{
	char pf[64];
	ssize_t n;
	int fd;

	fd = pt__sysfs_open_pci_dev(ctx, vfbdf);
	if (fd < 0)
		return fd;
	n = pt__sysfs_readlink_base(fd, "physfn", pf, sizeof(pf));
	close(fd);
	if (n < 0)
		return (int)n;
	if (!pt__bdf_is_valid(pf))
		return -ENOENT;
	memcpy(out, pf, PT_BDF_LEN);
	return 0;
}

static int write_int(struct pt_ctx *ctx, const char *bdf, const char *attr,
		     int v, char *why, size_t wlen)
{
	char val[16];
	int fd, r;

	fd = pt__sysfs_open_pci_dev(ctx, bdf);
	if (fd < 0) {
		snprintf(why, wlen, "cannot open %s: %s", bdf, strerror(-fd));
		return fd;
	}
	snprintf(val, sizeof(val), "%d", v);
	r = pt__sysfs_write(fd, attr, val);
	close(fd);
	if (r < 0)
		snprintf(why, wlen, "write failed: %s", strerror(-r));
	return r;
}

/* ---- sriov_drivers_autoprobe ----------------------------------------------------- */

static int autoprobe_run(struct pt_plan *p, struct pt_step *s, char *why,
			 size_t wlen)
{
	struct pt__sriov_change *c = pt__step_data(s);

	return write_int(pt__plan_get_ctx(p), c->bdf, "sriov_drivers_autoprobe",
			 c->to, why, wlen);
}

static int autoprobe_is(struct pt_plan *p, const char *bdf, int want,
			char *why, size_t wlen)
{
	long v;
	int r = read_long(pt__plan_get_ctx(p), bdf, "sriov_drivers_autoprobe", &v);

	if (r < 0)
		return r;
	if (v != want) {
		snprintf(why, wlen, "sriov_drivers_autoprobe reads '%ld'", v);
		return 0;
	}
	return 1;
}

static int autoprobe_verify(struct pt_plan *p, struct pt_step *s, char *why,
			    size_t wlen)
{
	struct pt__sriov_change *c = pt__step_data(s);

	return autoprobe_is(p, c->bdf, c->to, why, wlen);
}

static const struct pt__step_ops autoprobe_back_ops;

static int autoprobe_undo(struct pt_plan *p, struct pt_step *s, char *why,
			  size_t wlen)
{
	struct pt__sriov_change *c = pt__step_data(s);
	struct pt__sriov_change back = { .from = c->to, .to = c->from };
	long v;

	memcpy(back.bdf, c->bdf, sizeof(back.bdf));
	if (read_long(pt__plan_get_ctx(p), c->bdf, "sriov_drivers_autoprobe", &v) == -ENOENT ||
	    v == c->from)
		return 0;
	return pt__plan_run_now(p, &autoprobe_back_ops, &back, why, wlen);
}

static const struct pt__step_ops autoprobe_back_ops = {
	.name = "sriov.autoprobe", .kind = "write",
	.run = autoprobe_run, .verify = autoprobe_verify,
};

static const struct pt__step_ops autoprobe_ops = {
	.name = "sriov.autoprobe", .kind = "write",
	.run = autoprobe_run, .verify = autoprobe_verify, .undo = autoprobe_undo,
};

static int add_change(struct pt_plan *p, const struct pt__step_ops *ops,
		      const char *bdf, const char *attr, int from, int to,
		      int autoprobe_then, const char *desc)
{
	struct pt__sriov_change *c = calloc(1, sizeof(*c));
	char dir[64], target[96], val[16];
	int r;

	if (!c)
		return -ENOMEM;
	r = pt__sysfs_pci_dev_rel(bdf, dir, sizeof(dir));
	if (r < 0) {
		free(c);
		return r;
	}
	snprintf(c->bdf, sizeof(c->bdf), "%s", bdf);
	c->from = from;
	c->to = to;
	c->autoprobe_then = autoprobe_then;
	snprintf(target, sizeof(target), "%s/%s", dir, attr);
	snprintf(val, sizeof(val), "%d", to);
	return pt__plan_add(p, ops, c, bdf, target, val, "%s", desc) ? 0 : -ENOMEM;
}

int pt__sriov_plan_autoprobe(struct pt_plan *p, const char *bdf, int from,
			     int to, const char *desc)
{
	return add_change(p, &autoprobe_ops, bdf, "sriov_drivers_autoprobe",
			  from, to, -1, desc);
}

/* ---- sriov_numvfs ------------------------------------------------------------------ */

static int numvfs_run(struct pt_plan *p, struct pt_step *s, char *why,
		      size_t wlen)
{
	struct pt__sriov_change *c = pt__step_data(s);

	return write_int(pt__plan_get_ctx(p), c->bdf, "sriov_numvfs", c->to,
			 why, wlen);
}

static int numvfs_is(struct pt_ctx *ctx, const char *bdf, int want, char *why,
		     size_t wlen)
{
	int n = pt__sriov_count_virtfns(ctx, bdf);
	long v;
	int r;

	if (n < 0)
		return n;
	if (n != want) {
		snprintf(why, wlen, "%d VFs present", n);
		return 0;
	}
	r = read_long(ctx, bdf, "sriov_numvfs", &v);
	if (r < 0)
		return r;
	if (v != want) {
		snprintf(why, wlen, "sriov_numvfs reads %ld", v);
		return 0;
	}
	return 1;
}

static int numvfs_verify(struct pt_plan *p, struct pt_step *s, char *why,
			 size_t wlen)
{
	struct pt__sriov_change *c = pt__step_data(s);

	return numvfs_is(pt__plan_get_ctx(p), c->bdf, c->to, why, wlen);
}

static const struct pt__step_ops numvfs_now_ops = {
	.name = "sriov.numvfs", .kind = "write",
	.run = numvfs_run, .verify = numvfs_verify,
};

/* Back to c->from, through 0; idempotent. */
static int numvfs_undo(struct pt_plan *p, struct pt_step *s, char *why,
		       size_t wlen)
{
	struct pt__sriov_change *c = pt__step_data(s);
	struct pt__sriov_change now = { .from = 0 };
	long cur;
	int r;

	if (read_long(pt__plan_get_ctx(p), c->bdf, "sriov_numvfs", &cur) < 0)
		return 0;	/* gone */
	if (cur == c->from)
		return 0;
	memcpy(now.bdf, c->bdf, sizeof(now.bdf));
	if (cur != 0) {
		now.to = 0;
		r = pt__plan_run_now(p, &numvfs_now_ops, &now, why, wlen);
		if (r < 0)
			return r;
	}
	if (c->from == 0)
		return 0;
	if (c->autoprobe_then >= 0) {
		struct pt__sriov_change ap = { .to = c->autoprobe_then };

		memcpy(ap.bdf, c->bdf, sizeof(ap.bdf));
		r = pt__plan_run_now(p, &autoprobe_back_ops, &ap, why, wlen);
		if (r < 0)
			return r;
	}
	now.to = c->from;
	return pt__plan_run_now(p, &numvfs_now_ops, &now, why, wlen);
}

const struct pt__step_ops pt__sriov_numvfs_ops = {
	.name = "sriov.numvfs", .kind = "write",
	.run = numvfs_run, .verify = numvfs_verify, .undo = numvfs_undo,
};

int pt__sriov_plan_numvfs(struct pt_plan *p, const char *bdf, int from,
			  int to, int autoprobe_then, const char *desc)
{
	return add_change(p, &pt__sriov_numvfs_ops, bdf, "sriov_numvfs", from,
			  to, autoprobe_then, desc);
}
