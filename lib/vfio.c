// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vfio binder: PCI driver switches as plan steps.
 *
 * A function moves from one driver to another per device, never with
 * new_id (it takes every function with the same ids): driver_override,
 * unbind from the current driver, drivers_probe. The same switch, the
 * other way, gives a function back to its host driver. Writes can
 * "succeed" without effect (drivers_probe binds nothing when the driver
 * refuses), so each step is done only when the driver link shows it, and
 * a function on vfio-pci only when /dev/vfio/N of its IOMMU group exists.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "binder.h"

enum sw_part { SW_OVERRIDE, SW_UNBIND, SW_PROBE };

/* One step of a switch, with the state the switch started from. */
struct sw {
	enum sw_part part;
	char bdf[PT_BDF_LEN];
	char drv[PT_NAME_MAX + 1];	/* unbind: from; probe: to */
	char ovr[PT_NAME_MAX + 1];	/* override: to */
	char from_drv[PT_NAME_MAX + 1];
	char from_ovr[PT_NAME_MAX + 1];
	bool created;			/* PT__SW_CREATED: nothing to undo */
};

/* ---- live reads ------------------------------------------------------------ */

int pt__pci_read_driver(struct pt_ctx *ctx, const char *bdf, char *buf,
			size_t len)
{
	int fd = pt__sysfs_open_pci_dev(ctx, bdf);
	ssize_t n;

	if (fd < 0)
		return fd;
	n = pt__sysfs_readlink_base(fd, "driver", buf, len);
	close(fd);
	if (n == -ENOENT) {
		buf[0] = '\0';
		return 0;
	}
	return n < 0 ? (int)n : 0;
}

int pt__pci_read_override(struct pt_ctx *ctx, const char *bdf, char *buf,
			  size_t len)
{
	int fd = pt__sysfs_open_pci_dev(ctx, bdf);
	ssize_t n;

	if (fd < 0)
		return fd;
	n = pt__sysfs_read(fd, "driver_override", buf, len);
	close(fd);
	if (n == -ENOENT || (n >= 0 && !strcmp(buf, "(null)")))
		n = 0, buf[0] = '\0';
	return n < 0 ? (int)n : 0;
}

bool pt__pci_driver_registered(struct pt_ctx *ctx, const char *driver)
{
	int fd = pt__sysfs_open_pci_driver(ctx, driver);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* The IOMMU group number of bdf as text; 0 or -errno. */
static int read_group(struct pt_ctx *ctx, const char *bdf, char *grp,
		      size_t len)
{
	int fd = pt__sysfs_open_pci_dev(ctx, bdf);
	ssize_t n;

	if (fd < 0)
		return fd;
	n = pt__sysfs_readlink_base(fd, "iommu_group", grp, len);
	close(fd);
	return n < 0 ? (int)n : 0;
}

static bool dev_node_ok(struct pt_ctx *ctx, const char *bdf)
{
	char grp[32], rel[48];

	if (read_group(ctx, bdf, grp, sizeof(grp)) < 0 ||
	    pt__dev_vfio_group_rel(grp, rel, sizeof(rel)) < 0)
		return false;
	return pt__dev_exists(ctx, rel) == 0;
}

int pt__vfio_group_is_open(struct pt_ctx *ctx, const char *bdf, char *who,
			   size_t wlen)
{
	char grp[32], rel[48], path[4096];
	int r, fd, busy;

	r = read_group(ctx, bdf, grp, sizeof(grp));
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	r = pt__dev_vfio_group_rel(grp, rel, sizeof(rel));
	if (r < 0)
		return r;
	if (pt__dev_exists(ctx, rel) < 0)
		return 0;
	if (snprintf(path, sizeof(path), "%s/%s", pt_get_dev_root(ctx), rel) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	/* a vfio group is exclusive: a second open is refused with EBUSY */
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	busy = fd < 0 && errno == EBUSY;
	if (fd >= 0)
		close(fd);
	snprintf(who, wlen, "a process (a running guest?)");
	/*
	 * Who holds it, where the proc root lets us see (as root): that also
	 * finds a holder where the node gives no EBUSY (a fixture tree).
	 */
	r = pt__proc_dev_holder(ctx, rel, who, wlen);
	return busy || r > 0;
}

/* ---- the step kinds ------------------------------------------------------------ */

static int sw_run(struct pt_plan *p, struct pt_step *s, char *why, size_t wlen)
{
	struct pt_ctx *ctx = pt__plan_get_ctx(p);
	struct sw *d = pt__step_data(s);
	const char *attr, *val;
	int fd, r;

	switch (d->part) {
	case SW_OVERRIDE:
		fd = pt__sysfs_open_pci_dev(ctx, d->bdf);
		attr = "driver_override";
		val = d->ovr[0] ? d->ovr : "\n";
		break;
	case SW_UNBIND:
		fd = pt__sysfs_open_pci_driver(ctx, d->drv);
		attr = "unbind";
		val = d->bdf;
		break;
	default:
		fd = pt__sysfs_open_pci_bus(ctx);
		attr = "drivers_probe";
		val = d->bdf;
		break;
	}
	if (fd < 0) {
		snprintf(why, wlen, "cannot open its directory: %s", strerror(-fd));
		return fd;
	}
	r = pt__sysfs_write(fd, attr, val);
	close(fd);
	if (r < 0)
		snprintf(why, wlen, "write failed: %s", strerror(-r));
	return r;
}

static int sw_verify(struct pt_plan *p, struct pt_step *s, char *why,
		     size_t wlen)
{
	struct pt_ctx *ctx = pt__plan_get_ctx(p);
	struct sw *d = pt__step_data(s);
	const char *want = d->part == SW_UNBIND ? "" : d->drv;
	char buf[256];
	int r;

	if (d->part == SW_OVERRIDE) {
		r = pt__pci_read_override(ctx, d->bdf, buf, sizeof(buf));
		if (r < 0)
			return r;
		if (strcmp(buf, d->ovr)) {
			snprintf(why, wlen, "driver_override reads '%s'", buf);
			return 0;
		}
		return 1;
	}
	r = pt__pci_read_driver(ctx, d->bdf, buf, sizeof(buf));
	if (r < 0)
		return r;
	if (strcmp(buf, want)) {
		snprintf(why, wlen, "its driver is %s", buf[0] ? buf : "none");
		return 0;
	}
	if (!strcmp(want, PT__VFIO_DRIVER) && !dev_node_ok(ctx, d->bdf)) {
		snprintf(why, wlen, "bound to vfio-pci but no /dev/vfio node for its IOMMU group appeared");
		return 0;
	}
	return 1;
}

static const struct pt__step_ops sw_ops = {
	.name = "vfio.switch", .kind = "write",
	.run = sw_run, .verify = sw_verify,
};

/* The switch's parts that differ, in order; returns how many. */
static int switch_parts(const char *cur_drv, const char *cur_ovr,
			const char *want_drv, const char *want_ovr,
			enum sw_part parts[3])
{
	int n = 0;

	if (strcmp(cur_ovr, want_ovr))
		parts[n++] = SW_OVERRIDE;
	if (cur_drv[0] && strcmp(cur_drv, want_drv))
		parts[n++] = SW_UNBIND;
	if (want_drv[0] && strcmp(cur_drv, want_drv))
		parts[n++] = SW_PROBE;
	return n;
}

static void sw_fill(struct sw *d, enum sw_part part, const char *bdf,
		    const char *cur_drv, const char *cur_ovr,
		    const char *want_drv, const char *want_ovr)
{
	memset(d, 0, sizeof(*d));
	d->part = part;
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	snprintf(d->drv, sizeof(d->drv), "%s",
		 part == SW_UNBIND ? cur_drv : want_drv);
	snprintf(d->ovr, sizeof(d->ovr), "%s", want_ovr);
	snprintf(d->from_drv, sizeof(d->from_drv), "%s", cur_drv);
	snprintf(d->from_ovr, sizeof(d->from_ovr), "%s", cur_ovr);
}

/* Drive a function to (drv, ovr) now, with the same switch. */
static int switch_now(struct pt_plan *p, const char *bdf, const char *drv,
		      const char *ovr, char *why, size_t wlen)
{
	struct pt_ctx *ctx = pt__plan_get_ctx(p);
	char cur_drv[256], cur_ovr[256];
	enum sw_part parts[3];
	struct sw d;
	int r, n;

	r = pt__pci_read_driver(ctx, bdf, cur_drv, sizeof(cur_drv));
	if (r == -ENOENT)
		return 0;	/* gone: nothing left to put back */
	if (r >= 0)
		r = pt__pci_read_override(ctx, bdf, cur_ovr, sizeof(cur_ovr));
	if (r < 0) {
		snprintf(why, wlen, "%s: cannot read its driver: %s", bdf, strerror(-r));
		return r;
	}
	n = switch_parts(cur_drv, cur_ovr, drv, ovr, parts);
	for (int i = 0; i < n; i++) {
		sw_fill(&d, parts[i], bdf, cur_drv, cur_ovr, drv, ovr);
		r = pt__plan_run_now(p, &sw_ops, &d, why, wlen);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Every step of a switch undoes the whole switch: idempotent. */
static int sw_undo(struct pt_plan *p, struct pt_step *s, char *why, size_t wlen)
{
	struct sw *d = pt__step_data(s);

	if (d->created)
		return 0;
	return switch_now(p, d->bdf, d->from_drv, d->from_ovr, why, wlen);
}

static const struct pt__step_ops sw_step_ops = {
	.name = "vfio.switch", .kind = "write",
	.run = sw_run, .verify = sw_verify, .undo = sw_undo,
};

int pt__vfio_plan_switch(struct pt_plan *p, const char *bdf,
			 const char *cur_drv, const char *cur_ovr,
			 const char *want_drv, const char *want_ovr,
			 unsigned int flags)
{
	bool restore = flags & PT__SW_RESTORE;
	char dir[PT_NAME_MAX + 32], target[PT_NAME_MAX + 64];
	enum sw_part parts[3];
	int n;

	n = switch_parts(cur_drv, cur_ovr, want_drv, want_ovr, parts);
	/* a guest holding the function: never pull it out from under it */
	if (n && !strcmp(cur_drv, PT__VFIO_DRIVER) && strcmp(want_drv, PT__VFIO_DRIVER)) {
		char who[128];
		int busy = pt__vfio_group_is_open(pt__plan_get_ctx(p), bdf, who, sizeof(who));

		if (busy > 0) {
			pt__plan_error(p, "%s: its /dev/vfio group node is open in %s; taking it off vfio-pci now would pull it out from under that process: stop the guest or close the device first (--force does not override this)",
				       bdf, who);
			return -EBUSY;
		}
	}
	for (int i = 0; i < n; i++) {
		struct sw *d = malloc(sizeof(*d));
		struct pt_step *s;
		int r;

		if (!d)
			return -ENOMEM;
		sw_fill(d, parts[i], bdf, cur_drv, cur_ovr, want_drv, want_ovr);
		d->created = flags & PT__SW_CREATED;
		switch (parts[i]) {
		case SW_OVERRIDE:
			r = pt__sysfs_pci_dev_rel(bdf, dir, sizeof(dir));
			snprintf(target, sizeof(target), "%s/driver_override", dir);
			if (!restore)
				s = pt__plan_add(p, &sw_step_ops, d, bdf, target,
						 want_ovr, "let only %s take %s",
						 want_ovr, bdf);
			else if (want_ovr[0])
				s = pt__plan_add(p, &sw_step_ops, d, bdf, target,
						 want_ovr, "set the driver_override of %s back to %s",
						 bdf, want_ovr);
			else
				s = pt__plan_add(p, &sw_step_ops, d, bdf, target,
						 "\n", "clear the driver_override of %s",
						 bdf);
			break;
		case SW_UNBIND:
			r = pt__sysfs_pci_driver_rel(cur_drv, dir, sizeof(dir));
			snprintf(target, sizeof(target), "%s/unbind", dir);
			s = pt__plan_add(p, &sw_step_ops, d, bdf, target, bdf,
					 "unbind %s from %s", bdf, cur_drv);
			break;
		default:
			r = 0;
			s = restore ?
			    pt__plan_add(p, &sw_step_ops, d, bdf,
					 PT__SYSFS_PCI_BUS "/drivers_probe", bdf,
					 "bind %s to %s again", bdf, want_drv) :
			    pt__plan_add(p, &sw_step_ops, d, bdf,
					 PT__SYSFS_PCI_BUS "/drivers_probe", bdf,
					 "bind %s to %s", bdf, want_drv);
			break;
		}
		if (!s)
			return -ENOMEM;
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- loading vfio-pci -------------------------------------------------------------- */

static int module_run(struct pt_plan *p, struct pt_step *s, char *why,
		      size_t wlen)
{
	struct pt_ctx *ctx = pt__plan_get_ctx(p);
	int r;

	(void)s;
	if (!pt_is_live(ctx))
		return 0;	/* a fixture's drivers come with the tree */
	r = pt__module_load(ctx, "vfio-pci", why, wlen);
	if (r >= 0)
		r = pt__module_load(ctx, "vfio_iommu_type1", why, wlen);
	return r;
}

static int module_verify(struct pt_plan *p, struct pt_step *s, char *why,
			 size_t wlen)
{
	(void)s;
	if (!pt__pci_driver_registered(pt__plan_get_ctx(p), PT__VFIO_DRIVER)) {
		snprintf(why, wlen, "driver %s is not registered", PT__VFIO_DRIVER);
		return 0;
	}
	return 1;
}

/* A module stays loaded when the run is undone (modprobe -r is not ours). */
static const struct pt__step_ops module_ops = {
	.name = "vfio.module", .kind = "load-module",
	.run = module_run, .verify = module_verify,
};

int pt__vfio_plan_module(struct pt_plan *p)
{
	for (int i = 0; i < pt_plan_get_num_steps(p); i++) {
		struct pt_step *s = pt_plan_get_step(p, i);
		struct sw *d = pt__step_data(s);

		if (pt__step_get_ops(s) != &sw_step_ops || d->part != SW_PROBE ||
		    strcmp(d->drv, PT__VFIO_DRIVER))
			continue;
		if (pt__pci_driver_registered(pt__plan_get_ctx(p), PT__VFIO_DRIVER))
			return 0;
		if (!pt__plan_add(p, &module_ops, NULL, NULL, PT__VFIO_DRIVER, "",
				  "load vfio-pci and vfio_iommu_type1"))
			return -ENOMEM;
		pt__plan_move_to_front(p, pt_plan_get_num_steps(p) - 1);
		return 0;
	}
	return 0;
}
