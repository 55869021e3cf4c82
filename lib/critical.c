// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host-critical PCI functions: those the running host cannot give to a
 * guest without losing itself. Found from the running system (below the
 * context's roots, so a captured tree works too), never configured:
 *
 *  - the disks under /, /boot, /boot/efi and every active swap area,
 *    through partitions, device-mapper (LVM, LUKS, multipath), md, bcache,
 *    loop devices, multi-device btrfs and NVMe native multipath;
 *  - the NICs under the IPv4 and IPv6 default routes, through bonds,
 *    teams, VLANs, macvlans (lower_* links) and bridges (brif/);
 *  - the boot VGA device, host bridges, root ports and PCI bridges.
 *
 * A source that is missing (no mountinfo, no route table) is skipped.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

/* Stacking deeper than this (LUKS on LVM on md on partitions...) is a loop. */
#define MAX_DEPTH	8

#define RTF_UP		0x0001
#define RTF_REJECT	0x0200

struct mount {
	unsigned int major, minor;
	char *point;
	char *fstype;
	char *source;
};

struct scan {
	struct pt_ctx *ctx;
	int r;				/* first error (-ENOMEM) */
	struct mount *mounts;		/* in mountinfo order */
	size_t n_mounts;
};

static void mark(struct scan *s, const char *bdf, const char *reason)
{
	struct pt_pci_dev *d = pt_pci_dev_find(s->ctx, bdf);

	if (!d) {
		dbg(s->ctx, "%s (%s): not a PCI function of this tree\n", bdf,
		    reason);
		return;
	}
	dbg(s->ctx, "%s: critical: %s\n", bdf, reason);
	if (pt__append_reason(&d->critical, reason) < 0 && !s->r)
		s->r = -ENOMEM;
}

/* Mark the nearest PCI function on a sysfs path; false when there is none. */
static bool mark_path(struct scan *s, const char *path, const char *reason)
{
	char bdf[PT_BDF_LEN];

	if (pt__sysfs_path_pci_ancestor(path, bdf) < 0)
		return false;
	mark(s, bdf, reason);
	return true;
}

/* Target of the link dir/name below the sysfs root; length or -errno. */
static ssize_t sysfs_link(struct scan *s, const char *dir, const char *name,
			  char *buf, size_t len)
{
	int fd = pt__sysfs_open_dir(s->ctx, dir);
	ssize_t n;

	if (fd < 0)
		return fd;
	n = pt__sysfs_readlink(fd, name, buf, len);
	close(fd);
	return n;
}

static char *component_before_last(const char *path, char *buf, size_t len)
{
	const char *last = strrchr(path, '/'), *prev;

	if (!last || last == path)
		return NULL;
	for (prev = last - 1; prev > path && *prev != '/'; prev--)
		;
	if (*prev == '/')
		prev++;
	if ((size_t)(last - prev) >= len || last == prev)
		return NULL;
	memcpy(buf, prev, last - prev);
	buf[last - prev] = '\0';
	return buf;
}

/* "nvme12": a controller's name in an NVMe subsystem directory. */
static bool is_name_digits(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(s, prefix, n) || !s[n])
		return false;
	for (s += n; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/*
 * NVMe native multipath: the namespace head hangs off
 * devices/virtual/nvme-subsystem/nvme-subsysN, whose nvmeM links lead to
 * the controllers, one per path, each on its PCI function.
 */
static bool mark_nvme_subsys(struct scan *s, const char *path,
			     const char *reason)
{
	char subsys[NAME_MAX + 1], rel[NAME_MAX + 32], target[PATH_MAX];
	const char *p = path, *slash;
	struct dirent *e;
	bool found = false;
	DIR *dir;
	int fd;

	subsys[0] = '\0';
	for (;;) {
		size_t len;

		slash = strchr(p, '/');
		len = slash ? (size_t)(slash - p) : strlen(p);
		if (len < sizeof(subsys)) {
			memcpy(subsys, p, len);
			subsys[len] = '\0';
			if (is_name_digits(subsys, "nvme-subsys"))
				break;
		}
		subsys[0] = '\0';
		if (!slash)
			break;
		p = slash + 1;
	}
	if (!subsys[0])
		return false;
	snprintf(rel, sizeof(rel), "class/nvme-subsystem/%s", subsys);
	fd = pt__sysfs_open_dir(s->ctx, rel);
	if (fd < 0) {
		dbg(s->ctx, "%s: %s\n", rel, strerror(-fd));
		return false;
	}
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return false;
	}
	while ((e = readdir(dir))) {
		if (!is_name_digits(e->d_name, "nvme"))
			continue;
		if (pt__sysfs_readlink(dirfd(dir), e->d_name, target,
				       sizeof(target)) > 0 &&
		    mark_path(s, target, reason))
			found = true;
	}
	closedir(dir);
	return found;
}

static void mark_file(struct scan *s, const char *path, const char *reason,
		      int depth);

/*
 * A block device by kernel name (class/block/NAME): its own PCI function,
 * or, for a device without one, what it is built on.
 */
static void mark_block(struct scan *s, const char *name, const char *reason,
		       int depth)
{
	char target[PATH_MAX], rel[NAME_MAX + 32], buf[PATH_MAX];
	struct dirent *e;
	DIR *dir;
	int fd, sfd;

	if (depth > MAX_DEPTH) {
		dbg(s->ctx, "%s (%s): stacked deeper than %d, stopping\n", name,
		    reason, MAX_DEPTH);
		return;
	}
	if (sysfs_link(s, "class/block", name, target, sizeof(target)) < 0) {
		dbg(s->ctx, "class/block/%s (%s): no such block device\n", name,
		    reason);
		return;
	}
	if (mark_path(s, target, reason) || mark_nvme_subsys(s, target, reason))
		return;

	snprintf(rel, sizeof(rel), "class/block/%s", name);
	fd = pt__sysfs_open_dir(s->ctx, rel);
	if (fd < 0)
		return;
	/* a partition of a virtual disk (md0p1): the disk is its parent */
	if (pt__sysfs_read(fd, "partition", buf, sizeof(buf)) >= 0 &&
	    component_before_last(target, buf, sizeof(buf)))
		mark_block(s, buf, reason, depth + 1);
	/* device-mapper, md, bcache: the devices below */
	sfd = pt__sysfs_openat_dir(fd, "slaves");
	if (sfd >= 0) {
		dir = fdopendir(sfd);
		if (dir) {
			while ((e = readdir(dir)))
				if (e->d_name[0] != '.')
					mark_block(s, e->d_name, reason, depth + 1);
			closedir(dir);
		} else {
			close(sfd);
		}
	}
	/* a loop device: the filesystem holding its backing file */
	if (pt__sysfs_read(fd, "loop/backing_file", buf, sizeof(buf)) > 0)
		mark_file(s, buf, reason, depth + 1);
	close(fd);
}

/* "254:0" to its kernel name through dev/block; 0 or -errno. */
static int devnum_name(struct scan *s, unsigned int major, unsigned int minor,
		       char *name, size_t len)
{
	char num[32];
	int fd = pt__sysfs_open_dir(s->ctx, "dev/block");
	ssize_t n;

	if (fd < 0)
		return fd;
	snprintf(num, sizeof(num), "%u:%u", major, minor);
	n = pt__sysfs_readlink_base(fd, num, name, len);
	close(fd);
	return n < 0 ? (int)n : 0;
}

/*
 * dir(rel) joined with a link target, "." and ".." resolved without
 * leaving the root; an absolute target must point into /dev.
 */
static int join_rel(const char *rel, const char *target, char *out, size_t len)
{
	char tmp[PATH_MAX], *tok, *save;
	const char *slash = strrchr(rel, '/');
	size_t n = 0;
	int w;

	if (target[0] == '/') {
		if (strncmp(target, "/dev/", 5))
			return -EINVAL;
		w = snprintf(tmp, sizeof(tmp), "%s", target + 5);
	} else if (slash) {
		w = snprintf(tmp, sizeof(tmp), "%.*s/%s", (int)(slash - rel),
			     rel, target);
	} else {
		w = snprintf(tmp, sizeof(tmp), "%s", target);
	}
	if (w < 0 || (size_t)w >= sizeof(tmp) || len == 0)
		return -ENAMETOOLONG;
	out[0] = '\0';
	for (tok = strtok_r(tmp, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		size_t tl = strlen(tok);

		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..")) {
			char *p;

			if (!n)
				return -EINVAL;
			p = strrchr(out, '/');
			n = p ? (size_t)(p - out) : 0;
			out[n] = '\0';
			continue;
		}
		if (n + (n ? 1 : 0) + tl + 1 > len)
			return -ENAMETOOLONG;
		if (n)
			out[n++] = '/';
		memcpy(out + n, tok, tl + 1);
		n += tl;
	}
	return n ? 0 : -EINVAL;
}

/* The dm-N whose dm/name is dmname; 0 or -ENOENT. */
static int dm_name(struct scan *s, const char *dmname, char *name, size_t len)
{
	int fd = pt__sysfs_open_dir(s->ctx, "class/block"), r = -ENOENT;
	struct dirent *e;
	DIR *dir;

	if (fd < 0)
		return fd;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	while ((e = readdir(dir))) {
		char rel[NAME_MAX + 16], buf[256];

		if (strncmp(e->d_name, "dm-", 3))
			continue;
		snprintf(rel, sizeof(rel), "%s/dm/name", e->d_name);
		if (pt__sysfs_read(dirfd(dir), rel, buf, sizeof(buf)) >= 0 &&
		    !strcmp(buf, dmname) && strlen(e->d_name) < len) {
			strcpy(name, e->d_name);
			r = 0;
			break;
		}
	}
	closedir(dir);
	return r;
}

/*
 * A device node path as mount and swap tables show it ("/dev/sda2",
 * "/dev/mapper/vg-root", "/dev/disk/by-uuid/...") to a kernel block device
 * name: follow the links under the dev root, then check class/block.
 */
static int dev_name(struct scan *s, const char *path, char *name, size_t len)
{
	char rel[PATH_MAX], target[PATH_MAX], next[PATH_MAX], probe[PATH_MAX];
	const char *base;
	int i;

	if (strncmp(path, "/dev/", 5) || strlen(path + 5) >= sizeof(rel))
		return -EINVAL;
	strcpy(rel, path + 5);
	for (i = 0; i < MAX_DEPTH; i++) {
		if (pt__dev_readlink(s->ctx, rel, target, sizeof(target)) < 0 ||
		    join_rel(rel, target, next, sizeof(next)) < 0)
			break;
		strcpy(rel, next);
	}
	base = strrchr(rel, '/');
	base = base ? base + 1 : rel;
	if (strlen(base) < len &&
	    sysfs_link(s, "class/block", base, probe, sizeof(probe)) >= 0) {
		strcpy(name, base);
		return 0;
	}
	/* no /dev to look in (a captured tree): ask device-mapper */
	if (!strncmp(rel, "mapper/", 7) && !strchr(rel + 7, '/'))
		return dm_name(s, rel + 7, name, len);
	return -ENOENT;
}

/* Every device of the multi-device btrfs that holds name. */
static void mark_btrfs(struct scan *s, const char *name, const char *reason,
		       int depth)
{
	int fd = pt__sysfs_open_dir(s->ctx, "fs/btrfs");
	struct dirent *e, *m;
	char target[PATH_MAX];
	DIR *dir, *devs;

	if (fd < 0)
		return;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return;
	}
	while ((e = readdir(dir))) {
		char rel[NAME_MAX + 16];
		int dfd;

		if (e->d_name[0] == '.')
			continue;
		snprintf(rel, sizeof(rel), "%s/devices", e->d_name);
		dfd = pt__sysfs_openat_dir(dirfd(dir), rel);
		if (dfd < 0)
			continue;
		if (pt__sysfs_readlink(dfd, name, target, sizeof(target)) < 0) {
			close(dfd);
			continue;
		}
		devs = fdopendir(dfd);
		if (!devs) {
			close(dfd);
			break;
		}
		while ((m = readdir(devs)))
			if (m->d_name[0] != '.' && strcmp(m->d_name, name))
				mark_block(s, m->d_name, reason, depth + 1);
		closedir(devs);
		break;
	}
	closedir(dir);
}

static void mark_mount(struct scan *s, const struct mount *m,
		       const char *reason, int depth)
{
	char name[NAME_MAX + 1];

	if (m->major && devnum_name(s, m->major, m->minor, name, sizeof(name)) == 0) {
		mark_block(s, name, reason, depth);
	} else if (dev_name(s, m->source, name, sizeof(name)) == 0) {
		/* btrfs and others report an anonymous 0:N device */
		mark_block(s, name, reason, depth);
	} else {
		dbg(s->ctx, "%s (%s %s on %u:%u): no block device found\n",
		    m->point, m->fstype, m->source, m->major, m->minor);
		return;
	}
	if (!strcmp(m->fstype, "btrfs"))
		mark_btrfs(s, name, reason, depth);
}

/* The mount holding path: the longest mount point that prefixes it. */
static const struct mount *mount_of(struct scan *s, const char *path)
{
	const struct mount *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct mount *m = &s->mounts[i];
		size_t len = strlen(m->point);

		if (!strcmp(m->point, "/"))
			len = 0;
		else if (strncmp(path, m->point, len) ||
			 (path[len] != '/' && path[len] != '\0'))
			continue;
		/* later mounts cover earlier ones on the same point */
		if (!best || len >= best_len) {
			best = m;
			best_len = len;
		}
	}
	return best;
}

static void mark_file(struct scan *s, const char *path, const char *reason,
		      int depth)
{
	const struct mount *m;

	if (depth > MAX_DEPTH)
		return;
	m = path[0] == '/' ? mount_of(s, path) : NULL;
	if (!m) {
		dbg(s->ctx, "%s (%s): no mount holds it\n", path, reason);
		return;
	}
	mark_mount(s, m, reason, depth);
}

static const struct mount *mount_at(struct scan *s, const char *point)
{
	for (size_t i = s->n_mounts; i-- > 0;)
		if (!strcmp(s->mounts[i].point, point))
			return &s->mounts[i];
	return NULL;
}

/* Undo the octal escapes (\040 for a space) of mountinfo and swaps. */
static void unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' &&
		    r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') << 6 | (r[2] - '0') << 3 |
				      (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

static FILE *proc_fopen(struct scan *s, const char *rel)
{
	int fd = pt__proc_open(s->ctx, rel);
	FILE *f;

	if (fd < 0) {
		dbg(s->ctx, "%s/%s: %s; skipped\n", s->ctx->proc_root, rel,
		    strerror(-fd));
		return NULL;
	}
	f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

static void mounts_free(struct scan *s)
{
	for (size_t i = 0; i < s->n_mounts; i++) {
		free(s->mounts[i].point);
		free(s->mounts[i].fstype);
		free(s->mounts[i].source);
	}
	free(s->mounts);
	s->mounts = NULL;
	s->n_mounts = 0;
}

/*
 * mountinfo: "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root
 * rw,errors=continue" (proc(5)): MAJ:MIN is field 3, the mount point
 * field 5; optional fields run up to "-", then fstype and source.
 */
static int parse_mountinfo_line(char *line, struct mount *m)
{
	char *f[6], *save, *tok, *fstype, *source;
	int i;

	tok = strtok_r(line, " \n", &save);
	for (i = 0; i < 6 && tok; i++) {
		f[i] = tok;
		tok = strtok_r(NULL, " \n", &save);
	}
	if (i < 6)
		return -EINVAL;
	while (tok && strcmp(tok, "-"))
		tok = strtok_r(NULL, " \n", &save);
	fstype = strtok_r(NULL, " \n", &save);
	source = strtok_r(NULL, " \n", &save);
	if (!tok || !fstype || !source ||
	    sscanf(f[2], "%u:%u", &m->major, &m->minor) != 2)
		return -EINVAL;
	unescape(f[4]);
	unescape(source);
	m->point = strdup(f[4]);
	m->fstype = strdup(fstype);
	m->source = strdup(source);
	if (!m->point || !m->fstype || !m->source) {
		free(m->point);
		free(m->fstype);
		free(m->source);
		return -ENOMEM;
	}
	return 0;
}

static int read_mounts(struct scan *s)
{
	FILE *f = proc_fopen(s, "self/mountinfo");
	char *line = NULL;
	size_t cap = 0, alloc = 0;
	int r = 0;

	if (!f)
		return 0;
	while (getline(&line, &cap, f) > 0) {
		struct mount m = { 0 };

		r = parse_mountinfo_line(line, &m);
		if (r == -EINVAL) {
			r = 0;
			continue;
		}
		if (r < 0)
			break;
		if (s->n_mounts == alloc) {
			struct mount *n;

			alloc = alloc ? alloc * 2 : 32;
			n = realloc(s->mounts, alloc * sizeof(*n));
			if (!n) {
				free(m.point);
				free(m.fstype);
				free(m.source);
				r = -ENOMEM;
				break;
			}
			s->mounts = n;
		}
		s->mounts[s->n_mounts++] = m;
	}
	free(line);
	fclose(f);
	return r;
}

static void mark_mounts(struct scan *s)
{
	static const struct {
		const char *point;
		const char *what;
	} points[] = {
		{ "/", "root filesystem" },
		{ "/boot", "/boot" },
		{ "/boot/efi", "/boot/efi" },
	};
	char reason[PATH_MAX + 64];

	for (size_t i = 0; i < sizeof(points) / sizeof(points[0]); i++) {
		const struct mount *m = mount_at(s, points[i].point);

		if (!m)
			continue;
		snprintf(reason, sizeof(reason), "%s on %s", points[i].what,
			 m->source);
		mark_mount(s, m, reason, 0);
	}
}

/* swaps: "Filename Type Size Used Priority", one active area a line. */
static void mark_swaps(struct scan *s)
{
	FILE *f = proc_fopen(s, "swaps");
	char *line = NULL, reason[2 * PATH_MAX + 32];
	size_t cap = 0;

	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		char name[NAME_MAX + 1], *file, *type, *save;
		const struct mount *m;

		file = strtok_r(line, " \t\n", &save);
		type = strtok_r(NULL, " \t\n", &save);
		if (!file || !type || file[0] != '/')
			continue;	/* the header, or garbage */
		unescape(file);
		if (!strcmp(type, "partition")) {
			snprintf(reason, sizeof(reason), "swap on %s", file);
			if (dev_name(s, file, name, sizeof(name)) == 0)
				mark_block(s, name, reason, 0);
			else
				dbg(s->ctx, "swap %s: no block device found\n", file);
		} else {
			m = mount_of(s, file);
			if (!m) {
				dbg(s->ctx, "swap file %s: no mount holds it\n", file);
				continue;
			}
			snprintf(reason, sizeof(reason), "swap file %s on %s",
				 file, m->source);
			mark_mount(s, m, reason, 0);
		}
	}
	free(line);
	fclose(f);
}

/*
 * A network interface to the PCI functions carrying it. Virtual uppers
 * (bond, team, VLAN, macvlan, failover) lead down through lower_*
 * links, bridges through brif/.
 */
static void mark_netdev(struct scan *s, const char *prefix, const char *top,
			const char *ifname, int depth)
{
	char target[PATH_MAX], bdf[PT_BDF_LEN], rel[NAME_MAX + 16];
	char reason[3 * NAME_MAX];
	struct dirent *e;
	DIR *dir;
	int fd, bfd;

	if (depth > MAX_DEPTH) {
		dbg(s->ctx, "%s: interfaces stacked deeper than %d\n", top,
		    MAX_DEPTH);
		return;
	}
	if (sysfs_link(s, "class/net", ifname, target, sizeof(target)) < 0) {
		dbg(s->ctx, "class/net/%s: no such interface\n", ifname);
		return;
	}
	if (pt__sysfs_path_pci_ancestor(target, bdf) == 0) {
		if (!strcmp(top, ifname))
			snprintf(reason, sizeof(reason), "%s via %s", prefix, top);
		else
			snprintf(reason, sizeof(reason), "%s via %s (%s)", prefix,
				 top, ifname);
		mark(s, bdf, reason);
		return;
	}
	snprintf(rel, sizeof(rel), "class/net/%s", ifname);
	fd = pt__sysfs_open_dir(s->ctx, rel);
	if (fd < 0)
		return;
	bfd = pt__sysfs_openat_dir(fd, "brif");
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
	} else {
		while ((e = readdir(dir)))
			if (!strncmp(e->d_name, "lower_", 6) && e->d_name[6])
				mark_netdev(s, prefix, top, e->d_name + 6, depth + 1);
		closedir(dir);
	}
	if (bfd < 0)
		return;
	dir = fdopendir(bfd);
	if (!dir) {
		close(bfd);
		return;
	}
	while ((e = readdir(dir)))
		if (e->d_name[0] != '.')
			mark_netdev(s, prefix, top, e->d_name, depth + 1);
	closedir(dir);
}

/*
 * route: "Iface Destination Gateway Flags RefCnt Use Metric Mask ...",
 * addresses in hex; the default route has destination and mask 0.
 */
static void mark_routes_v4(struct scan *s)
{
	FILE *f = proc_fopen(s, "net/route");
	char *line = NULL;
	size_t cap = 0;

	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		char ifname[64], dest[16], mask[16];
		unsigned int flags;

		if (sscanf(line, "%63s %15s %*s %x %*s %*s %*s %15s", ifname,
			   dest, &flags, mask) != 4)
			continue;	/* the header */
		if (strcmp(dest, "00000000") || strcmp(mask, "00000000") ||
		    !(flags & RTF_UP) || (flags & RTF_REJECT))
			continue;
		mark_netdev(s, "default route", ifname, ifname, 0);
	}
	free(line);
	fclose(f);
}

/*
 * ipv6_route: "dest plen src splen nexthop metric refcnt use flags
 * iface", hex without separators; the default route is ::/0. Unreachable
 * routes (RTF_REJECT, on lo) are no route.
 */
static void mark_routes_v6(struct scan *s)
{
	FILE *f = proc_fopen(s, "net/ipv6_route");
	char *line = NULL;
	size_t cap = 0;

	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		char dest[40], plen[8], ifname[64];
		unsigned int flags;

		if (sscanf(line, "%39s %7s %*s %*s %*s %*s %*s %*s %x %63s", dest,
			   plen, &flags, ifname) != 4)
			continue;
		if (strspn(dest, "0") != 32 || dest[32] || strcmp(plen, "00") ||
		    !(flags & RTF_UP) || (flags & RTF_REJECT))
			continue;
		mark_netdev(s, "IPv6 default route", ifname, ifname, 0);
	}
	free(line);
	fclose(f);
}

/* A bridge whose parent in the device tree is the root bus "pciDDDD:BB". */
static bool is_root_port(struct scan *s, struct pt_pci_dev *d)
{
	char target[PATH_MAX], parent[NAME_MAX + 1];

	if (pt__sysfs_readlink_pci_dev(s->ctx, d->bdf, target, sizeof(target)) < 0 ||
	    !component_before_last(target, parent, sizeof(parent)))
		return false;
	return !strncmp(parent, "pci", 3) && strchr(parent, ':') &&
	       !pt__bdf_is_valid(parent);
}

static void mark_devices(struct scan *s)
{
	for (size_t i = 0; i < s->ctx->n_pci; i++) {
		struct pt_pci_dev *d = s->ctx->pci[i];

		if (d->boot_vga)
			mark(s, d->bdf, "boot VGA device");
		if (!d->bridge)
			continue;
		if ((d->class >> 8) == 0x0600)
			mark(s, d->bdf, "host bridge");
		else if ((d->class >> 8) == 0x0604 && is_root_port(s, d))
			mark(s, d->bdf, "root port");
		else
			mark(s, d->bdf, "PCI bridge");
	}
}

int pt__critical_scan(struct pt_ctx *ctx)
{
	struct scan s = { .ctx = ctx };
	int r;

	if (ctx->critical_scanned)
		return 0;
	ctx->critical_scanned = true;
	r = pt__pci_scan(ctx);
	if (r < 0)
		return r;
	if (!ctx->n_pci)
		return 0;

	/*
	 * The running system's mount and route tables describe only the
	 * running system's devices: with a captured sysfs tree and the live
	 * /proc they would mark whatever sits at the same addresses there.
	 */
	if (!strcmp(ctx->proc_root, "/proc") && strcmp(ctx->sysfs_root, "/sys")) {
		dbg(ctx, "sysfs root %s is not the running system's: mounts, swap "
		    "and routes of /proc not used\n", ctx->sysfs_root);
	} else {
		r = read_mounts(&s);
		if (r < 0)
			s.r = r;
		mark_mounts(&s);
		mark_swaps(&s);
		mark_routes_v4(&s);
		mark_routes_v6(&s);
		mounts_free(&s);
	}
	mark_devices(&s);
	if (s.r < 0)
		err(ctx, "finding host-critical devices: %s\n", strerror(-s.r));
	return s.r;
}
