// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * devnode binder: the owner and mode of device nodes below the context's
 * dev root (/dev/vfio/N, /dev/bus/usb/BBB/DDD), so that a QEMU that runs
 * as an unprivileged user can open what it was given, the way libvirt's
 * DAC security driver hands a domain's nodes to its user and group.
 *
 * A node is reached through an O_PATH fd walked one component at a time
 * with O_NOFOLLOW (sysfs.c): a link anywhere is refused, so a planted
 * link never turns a chown onto another file. Ownership changes through
 * that fd (fchownat AT_EMPTY_PATH); the mode through /proc/self/fd/N,
 * which names the same inode (fchmod refuses O_PATH fds). Opening the
 * node itself is never done: a vfio group is exclusive and opening it
 * has effects.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "binder.h"

struct devnode {
	char rel[PATH_MAX];
	char mdev_uuid[37];		/* "": rel is the node */
	uid_t uid;
	gid_t gid;
	mode_t mode;
	unsigned int flags;
	bool have_before;
	struct pt__devnode_owner before;
	bool have_want;			/* the mode/owner run computed */
	struct pt__devnode_owner want;
};

/* ---- reads ---------------------------------------------------------------- */

static int node_open(struct pt_ctx *ctx, const char *rel, struct stat *st)
{
	int fd = pt__dev_open_node(ctx, rel);

	if (fd < 0)
		return fd;
	if (fstat(fd, st) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	/* a device node; below a dev root other than /dev (a fixture), plain files stand in */
	if (!S_ISCHR(st->st_mode) &&
	    !(S_ISREG(st->st_mode) && strcmp(pt_get_dev_root(ctx), "/dev"))) {
		close(fd);
		return -ENOTTY;
	}
	return fd;
}

int pt__devnode_read(struct pt_ctx *ctx, const char *rel, struct pt__devnode_owner *o)
{
	struct stat st;
	int fd = node_open(ctx, rel, &st);

	if (fd < 0)
		return fd;
	close(fd);
	o->uid = st.st_uid;
	o->gid = st.st_gid;
	o->mode = st.st_mode & 07777;
	return 0;
}

/* The rel of the /dev/vfio node of mdev uuid's IOMMU group, read now. */
static int mdev_node_rel(struct pt_ctx *ctx, const char *uuid, char *rel, size_t len)
{
	char grp[32];
	int dfd, fd;
	ssize_t n;

	if (!pt__name_is_valid(uuid))
		return -EINVAL;
	dfd = pt__sysfs_open_dir(ctx, "bus/mdev/devices");
	if (dfd < 0)
		return dfd;
	fd = pt__sysfs_openat_dir(dfd, uuid);
	close(dfd);
	if (fd < 0)
		return fd;
	n = pt__sysfs_readlink_base(fd, "iommu_group", grp, sizeof(grp));
	close(fd);
	if (n < 0)
		return (int)n;
	return pt__dev_vfio_group_rel(grp, rel, len);
}

/* ---- the step kind ---------------------------------------------------------- */

static int set_owner(int fd, const struct pt__devnode_owner *o, const struct stat *st)
{
	char proc[64];

	if ((o->uid != st->st_uid || o->gid != st->st_gid) &&
	    fchownat(fd, "", o->uid, o->gid, AT_EMPTY_PATH) < 0)
		return -errno;
	if (o->mode != (st->st_mode & 07777)) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if (chmod(proc, o->mode) < 0)
			return -errno;
	}
	return 0;
}

static void owner_text(const struct pt__devnode_owner *o, char *buf, size_t len)
{
	snprintf(buf, len, "%u:%u mode %04o", (unsigned int)o->uid,
		 (unsigned int)o->gid, (unsigned int)o->mode);
}

static int dn_resolve(struct pt_ctx *ctx, struct devnode *d, char *why, size_t wlen)
{
	int r;

	if (!d->mdev_uuid[0])
		return 0;
	r = mdev_node_rel(ctx, d->mdev_uuid, d->rel, sizeof(d->rel));
	if (r < 0)
		snprintf(why, wlen, "mdev %s: cannot find its IOMMU group: %s", d->mdev_uuid,
			 strerror(-r));
	return r;
}

static int dn_run(struct pt_plan *p, struct pt_step *s, char *why, size_t wlen)
{
	struct pt_ctx *ctx = pt__plan_get_ctx(p);
	struct devnode *d = pt__step_data(s);
	struct stat st;
	int fd, r;

	r = dn_resolve(ctx, d, why, wlen);
	if (r < 0)
		return r;
	fd = node_open(ctx, d->rel, &st);
	if (fd < 0) {
		snprintf(why, wlen, "%s/%s: %s", pt_get_dev_root(ctx), d->rel,
			 fd == -ELOOP ? "is a link or lies behind one; refusing to follow it" :
			 fd == -ENOTTY ? "is not a device node" : strerror(-fd));
		return fd;
	}
	if (!d->have_before) {
		d->before.uid = st.st_uid;
		d->before.gid = st.st_gid;
		d->before.mode = st.st_mode & 07777;
		d->have_before = true;
	}
	d->want.uid = d->uid == (uid_t)-1 ? st.st_uid : d->uid;
	d->want.gid = d->gid == (gid_t)-1 ? st.st_gid : d->gid;
	if (d->mode == (mode_t)-1)
		d->want.mode = st.st_mode & 07777;
	else if (d->flags & PT__DEVNODE_ADD_MODE)
		d->want.mode = (st.st_mode & 07777) | d->mode;
	else
		d->want.mode = d->mode;
	d->have_want = true;
	r = set_owner(fd, &d->want, &st);
	close(fd);
	if (r < 0) {
		char t[64];

		owner_text(&d->want, t, sizeof(t));
		snprintf(why, wlen, "%s/%s: cannot set %s: %s", pt_get_dev_root(ctx), d->rel, t,
			 strerror(-r));
	}
	return r;
}

static int dn_verify(struct pt_plan *p, struct pt_step *s, char *why, size_t wlen)
{
	struct pt_ctx *ctx = pt__plan_get_ctx(p);
	struct devnode *d = pt__step_data(s);
	struct pt__devnode_owner now;
	int r = pt__devnode_read(ctx, d->rel, &now);

	if (r < 0)
		return r;
	if (now.uid == d->want.uid && now.gid == d->want.gid && now.mode == d->want.mode)
		return 1;
	{
		char a[64], b[64];

		owner_text(&now, a, sizeof(a));
		owner_text(&d->want, b, sizeof(b));
		snprintf(why, wlen, "%s/%s: is %s, want %s", pt_get_dev_root(ctx), d->rel, a, b);
	}
	return 0;
}

static int dn_undo(struct pt_plan *p, struct pt_step *s, char *why, size_t wlen)
{
	struct pt_ctx *ctx = pt__plan_get_ctx(p);
	struct devnode *d = pt__step_data(s);
	struct stat st;
	int fd, r;

	if (!d->have_before || !d->rel[0])
		return 0;
	fd = node_open(ctx, d->rel, &st);
	if (fd == -ENOENT)
		return 0;		/* the node went with its device */
	if (fd < 0) {
		snprintf(why, wlen, "%s/%s: %s", pt_get_dev_root(ctx), d->rel, strerror(-fd));
		return fd;
	}
	r = set_owner(fd, &d->before, &st);
	close(fd);
	if (r < 0) {
		char t[64];

		owner_text(&d->before, t, sizeof(t));
		snprintf(why, wlen, "%s/%s: cannot restore %s: %s", pt_get_dev_root(ctx),
			 d->rel, t, strerror(-r));
	}
	return r;
}

static const struct pt__step_ops devnode_ops = {
	.name = "devnode.owner", .kind = "owner",
	.run = dn_run, .verify = dn_verify, .undo = dn_undo,
};

static int plan_add(struct pt_plan *p, struct devnode *d, const char *desc)
{
	char node[PATH_MAX + 16], value[64];

	if (d->mdev_uuid[0])
		snprintf(node, sizeof(node), "%s/vfio/<IOMMU group of mdev %s>",
			 pt_get_dev_root(pt__plan_get_ctx(p)), d->mdev_uuid);
	else
		snprintf(node, sizeof(node), "%s/%s", pt_get_dev_root(pt__plan_get_ctx(p)), d->rel);
	if (d->uid == (uid_t)-1)
		snprintf(value, sizeof(value), "-");
	else
		snprintf(value, sizeof(value), "%u", (unsigned int)d->uid);
	snprintf(value + strlen(value), sizeof(value) - strlen(value), ":");
	if (d->gid == (gid_t)-1)
		snprintf(value + strlen(value), sizeof(value) - strlen(value), "-");
	else
		snprintf(value + strlen(value), sizeof(value) - strlen(value), "%u",
			 (unsigned int)d->gid);
	if (d->mode != (mode_t)-1)
		snprintf(value + strlen(value), sizeof(value) - strlen(value), " %s%04o",
			 d->flags & PT__DEVNODE_ADD_MODE ? "+" : "", (unsigned int)d->mode);
	if (!pt__plan_add(p, &devnode_ops, d, NULL, node, value, "%s", desc))
		return -ENOMEM;
	return 0;
}

static struct devnode *dn_new(uid_t uid, gid_t gid, mode_t mode, unsigned int flags,
			      const struct pt__devnode_owner *before)
{
	struct devnode *d;

	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->uid = uid;
	d->gid = gid;
	d->mode = mode;
	d->flags = flags;
	if (before) {
		d->before = *before;
		d->have_before = true;
	}
	return d;
}

int pt__devnode_plan_set(struct pt_plan *p, const char *rel, uid_t uid, gid_t gid,
			 mode_t mode, unsigned int flags,
			 const struct pt__devnode_owner *before, const char *desc)
{
	struct devnode *d;

	if (!rel || strlen(rel) >= PATH_MAX || (mode > 07777 && mode != (mode_t)-1))
		return -EINVAL;
	d = dn_new(uid, gid, mode, flags, before);
	if (!d)
		return -ENOMEM;
	snprintf(d->rel, sizeof(d->rel), "%s", rel);
	return plan_add(p, d, desc);
}

int pt__devnode_plan_set_mdev(struct pt_plan *p, const char *uuid, uid_t uid, gid_t gid,
			      mode_t mode, unsigned int flags, const char *desc)
{
	struct devnode *d;

	if (!uuid || !pt__name_is_valid(uuid) || strlen(uuid) != 36 ||
	    (mode > 07777 && mode != (mode_t)-1))
		return -EINVAL;
	d = dn_new(uid, gid, mode, flags, NULL);
	if (!d)
		return -ENOMEM;
	snprintf(d->mdev_uuid, sizeof(d->mdev_uuid), "%s", uuid);
	return plan_add(p, d, desc);
}
