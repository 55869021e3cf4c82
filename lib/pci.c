// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PCI functions. libpci (sysfs method, pointed at the context's root)
 * enumerates and names them; the attributes libpci would resolve with
 * realpath() (driver, IOMMU group) and those it does not know (SR-IOV,
 * driver_override, boot_vga) are read directly, relative to each
 * function's directory fd. See ../shared/PERF-NOTES.md for why.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pci/pci.h>

#include "private.h"

/*
 * libpci reports fatal errors through a callback that must not return.
 * The library never exits, so the callback jumps back to the scan.
 */
static __thread jmp_buf *pci_jmp;
static __thread struct pt_ctx *pci_log_ctx;

static void __attribute__((noreturn)) pci_cb_error(char *msg, ...)
{
	va_list ap;
	char buf[512];

	va_start(ap, msg);
	vsnprintf(buf, sizeof(buf), msg, ap);
	va_end(ap);
	if (pci_log_ctx)
		err(pci_log_ctx, "libpci: %s\n", buf);
	if (pci_jmp)
		longjmp(*pci_jmp, 1);
	abort();	/* unreachable: every libpci call sets pci_jmp */
}

static void pci_cb_warning(char *msg, ...)
{
	va_list ap;
	char buf[512];

	va_start(ap, msg);
	vsnprintf(buf, sizeof(buf), msg, ap);
	va_end(ap);
	if (pci_log_ctx)
		dbg(pci_log_ctx, "libpci: %s\n", buf);
}

static void pci_cb_debug(char *msg, ...)
{
	(void)msg;
}

static bool class_is_bridge(uint32_t class)
{
	switch (class >> 8) {
	case 0x0600:	/* host bridge */
	case 0x0604:	/* PCI-to-PCI bridge, root and downstream ports */
	case 0x0607:	/* CardBus bridge */
	case 0x0609:	/* semi-transparent PCI-to-PCI bridge */
		return true;
	}
	return false;
}

/*
 * Intern a name in the context's pool: thousands of VFs share a handful
 * of names, so each is kept once. Open addressing, FNV-1a.
 */
static const char *intern(struct pt_ctx *ctx, const char *s)
{
	size_t h = 2166136261u, i;

	for (const char *p = s; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	if (ctx->names_used * 2 >= ctx->names_cap) {
		size_t ncap = ctx->names_cap ? ctx->names_cap * 2 : 256;
		char **n = calloc(ncap, sizeof(*n));

		if (!n)
			return NULL;
		for (i = 0; i < ctx->names_cap; i++) {
			char *old = ctx->names[i];
			size_t oh = 2166136261u, j;

			if (!old)
				continue;
			for (const char *p = old; *p; p++)
				oh = (oh ^ (unsigned char)*p) * 16777619u;
			for (j = oh & (ncap - 1); n[j]; j = (j + 1) & (ncap - 1))
				;
			n[j] = old;
		}
		free(ctx->names);
		ctx->names = n;
		ctx->names_cap = ncap;
	}
	for (i = h & (ctx->names_cap - 1); ctx->names[i]; i = (i + 1) & (ctx->names_cap - 1))
		if (!strcmp(ctx->names[i], s))
			return ctx->names[i];
	ctx->names[i] = strdup(s);
	if (ctx->names[i])
		ctx->names_used++;
	return ctx->names[i];
}

static const char *lookup(struct pt_ctx *ctx, int flags, ...)
{
	char buf[256], *r;
	va_list ap;

	/*
	 * pci_lookup_name() takes its ids as varargs; only the ones the
	 * flags name are consumed, so pass four ints through.
	 */
	va_start(ap, flags);
	int a = va_arg(ap, int), b = va_arg(ap, int);
	int c = va_arg(ap, int), d = va_arg(ap, int);
	va_end(ap);
	r = pci_lookup_name(ctx->pacc, buf, sizeof(buf), flags | PCI_LOOKUP_NO_NUMBERS,
			    a, b, c, d);
	return r ? intern(ctx, r) : NULL;
}

/* ---- what the scan could not read ---------------------------------------- */

/*
 * Record one problem: a function left out, an attribute read as absent.
 * The message names the file and why; callers see them through
 * pt_pci_get_problem(), library users also at LOG_WARNING.
 */
static void __attribute__((format(printf, 2, 3)))
problem(struct pt_ctx *ctx, const char *fmt, ...)
{
	char **n, *msg;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		msg = NULL;
	n = realloc(ctx->pci_problems, (ctx->n_pci_problems + 1) * sizeof(*n));
	if (!n) {
		/* a partial scan must never look complete: fail it instead */
		free(msg);
		ctx->pci_scan_rc = -ENOMEM;
		return;
	}
	ctx->pci_problems = n;
	n[ctx->n_pci_problems++] = msg;
	warn(ctx, "%s\n", msg ? msg : "a PCI attribute could not be read");
}

static void problem_errno(struct pt_ctx *ctx, const char *bdf, const char *attr,
			  int e, const char *what)
{
	char path[PATH_MAX];

	pt__sysfs_pci_dev_path(ctx, bdf, attr, path, sizeof(path));
	problem(ctx, "%s: %s; %s", path, strerror(-e), what);
}

/*
 * A count or number from an attribute, range-checked: 1 read, 0 absent
 * (no such file), -1 unreadable or out of range (a problem was recorded
 * naming the file). Decimal, or hex with 0x when hex is set.
 */
static int read_num_what(struct pt_ctx *ctx, struct pt_pci_dev *d, int fd,
			 const char *name, long min, long max, long *out,
			 const char *what)
{
	char buf[64], *end, path[PATH_MAX];
	ssize_t n = pt__sysfs_read(fd, name, buf, sizeof(buf));
	long v;

	if (n == -ENOENT)
		return 0;
	if (n < 0) {
		problem_errno(ctx, d->bdf, name, (int)n, what);
		return -1;
	}
	errno = 0;
	v = strtol(buf, &end, 0);
	if (errno || end == buf || *end || v < min || v > max) {
		pt__sysfs_pci_dev_path(ctx, d->bdf, name, path, sizeof(path));
		problem(ctx, "%s: '%.20s' is not a number from %ld to %ld; %s",
			path, buf, min, max, what);
		return -1;
	}
	*out = v;
	return 1;
}

static int read_num(struct pt_ctx *ctx, struct pt_pci_dev *d, int fd,
		    const char *name, long min, long max, long *out)
{
	return read_num_what(ctx, d, fd, name, min, max, out, "read as absent");
}

/* A string attribute; ENOENT and "(null)" leave *dst NULL. */
static void read_str(struct pt_ctx *ctx, struct pt_pci_dev *d, int fd,
		     const char *name, char **dst)
{
	char buf[256];
	ssize_t n = pt__sysfs_read(fd, name, buf, sizeof(buf));

	if (n > 0 && strcmp(buf, "(null)") != 0)
		*dst = strdup(buf);
	else if (n < 0 && n != -ENOENT)
		problem_errno(ctx, d->bdf, name, (int)n, "read as absent");
}

/* netdev attributes of a captured tree: best effort, as before */
static void read_str_attr(int fd, const char *name, char **dst)
{
	char buf[256];

	if (pt__sysfs_read(fd, name, buf, sizeof(buf)) > 0 &&
	    strcmp(buf, "(null)") != 0)
		*dst = strdup(buf);
}

static int read_int_attr(int fd, const char *name, int dflt)
{
	long v;

	return pt__sysfs_read_long(fd, name, &v) == 0 && v >= INT_MIN &&
	       v <= INT_MAX ? (int)v : dflt;
}

/* The kernel's limits: PCI_SRIOV_TOTALVF is 16 bits; ids are an ida. */
#define MAX_VFS		65535
#define MAX_NUMA_NODE	1023		/* MAX_NUMNODES is 1 << NODES_SHIFT (<= 10) */

/* virtfnN targets of a PF, resolved to VF objects once all are known. */
struct vf_link {
	struct pt_pci_dev *pf;
	int index;
	bool sibling;		/* the link reads "../<bdf>" */
	char bdf[PT_BDF_LEN];
};

/*
 * class/net/NAME and the function its link leads below; under: the link
 * ends in "/<bdf>/net/NAME", the netdev's directory is the function's
 * net/NAME.
 */
struct net_link {
	char bdf[PT_BDF_LEN];
	bool under;
	char *name;
};

/* A function a narrowed scan left out, with its IOMMU group (-1: none). */
struct narrow_drop {
	char bdf[PT_BDF_LEN];
	int group;
};

struct scan_state {
	struct vf_link *links;
	size_t n_links, cap_links;
	/* a narrowed scan (pt__pci_scan_narrow); keep NULL: the full scan */
	bool (*keep)(struct pt_pci_dev *d, void *data);
	void *keep_data;
	char (*need)[PT_BDF_LEN];	/* kept whatever keep says, sorted */
	size_t n_need, cap_need;
	struct narrow_drop *drop;	/* left out, in BDF order */
	size_t n_drop, cap_drop;
	int *groups;			/* IOMMU groups of kept functions */
	size_t n_groups, cap_groups;
	char (*more)[PT_BDF_LEN];	/* what the next pass must keep too */
	size_t n_more, cap_more;
	/* the directory holding sib_pf's own, where its sibling VFs are
	 * (sib_fd: valid while sib_pf is set, -errno when it failed) */
	const struct pt_pci_dev *sib_pf;
	int sib_fd;
	/* class/net read before the walk (a full scan of a captured tree) */
	struct net_link *nets;
	size_t n_nets, cap_nets;
	bool nets_read;
};

/*
 * "X" (b NULL) or "X:Y" in hex, each at most max: true when it parses
 * (uevent's PCI_CLASS=C0330, PCI_ID=8086:1572; sscanf was a tenth of the
 * scan's instructions).
 */
static bool hex_pair(const char *s, unsigned long maxa, unsigned long maxb,
		     unsigned int *a, unsigned int *b)
{
	unsigned long x, y;
	char *end;

	if (!isxdigit((unsigned char)*s))
		return false;
	x = strtoul(s, &end, 16);
	if (x > maxa || end - s > 8)
		return false;
	*a = x;
	if (!b)
		return *end == '\0';
	if (*end != ':' || !isxdigit((unsigned char)end[1]))
		return false;
	s = end + 1;
	y = strtoul(s, &end, 16);
	if (y > maxb || end - s > 8 || *end)
		return false;
	*b = y;
	return true;
}

/*
 * The identity of a function: vendor, device, class, subsystem ids and
 * the driver. uevent carries all of them in one read; a tree without it
 * (a hand-made capture) falls back to the single attributes. 0, or 1
 * when the function cannot be listed (a problem was recorded).
 */
static int fill_ident(struct pt_ctx *ctx, struct pt_pci_dev *d, int fd)
{
	char buf[1024], drv[256], *line, *save = NULL;
	unsigned int a, b;
	bool id = false, cls = false;
	ssize_t n;
	long v;

	n = pt__sysfs_read(fd, "uevent", buf, sizeof(buf));
	if (n < 0 && n != -ENOENT) {
		problem_errno(ctx, d->bdf, "uevent", (int)n, "function left out");
		return 1;
	}
	for (line = n > 0 ? strtok_r(buf, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "DRIVER=", 7) && line[7] && !d->driver) {
			d->driver = (char *)intern(ctx, line + 7);
		} else if (!strncmp(line, "PCI_CLASS=", 10) &&
			   hex_pair(line + 10, 0xffffff, 0, &a, NULL)) {
			d->class = a;
			cls = true;
		} else if (!strncmp(line, "PCI_ID=", 7) &&
			   hex_pair(line + 7, 0xffff, 0xffff, &a, &b)) {
			d->vendor_id = a;
			d->device_id = b;
			id = true;
		} else if (!strncmp(line, "PCI_SUBSYS_ID=", 14) &&
			   hex_pair(line + 14, 0xffff, 0xffff, &a, &b)) {
			d->subsys_vendor_id = a;
			d->subsys_device_id = b;
		}
	}
	if (id && cls)
		return 0;

	/* no uevent, or one without the ids: the attributes lspci reads */
	static const struct {
		const char *name;
		long max;
	} ident[] = { { "vendor", 0xffff }, { "device", 0xffff }, { "class", 0xffffff } };
	long val[3];

	for (size_t i = 0; i < 3; i++) {
		int r = read_num_what(ctx, d, fd, ident[i].name, 0, ident[i].max,
				      &val[i], "function left out");

		if (r == 0) {
			char path[PATH_MAX];

			pt__sysfs_pci_dev_path(ctx, d->bdf, ident[i].name, path,
					       sizeof(path));
			problem(ctx, "%s: %s; function left out", path,
				strerror(ENOENT));
		}
		if (r <= 0)
			return 1;
	}
	d->vendor_id = val[0];
	d->device_id = val[1];
	d->class = val[2];
	if (read_num(ctx, d, fd, "subsystem_vendor", 0, 0xffff, &v) > 0)
		d->subsys_vendor_id = v;
	if (read_num(ctx, d, fd, "subsystem_device", 0, 0xffff, &v) > 0)
		d->subsys_device_id = v;
	if (!d->driver) {
		n = pt__sysfs_readlink_base(fd, "driver", drv, sizeof(drv));
		if (n > 0)
			d->driver = (char *)intern(ctx, drv);
		else if (n != -ENOENT)
			problem_errno(ctx, d->bdf, "driver", (int)n, "read as absent");
	}
	return 0;
}

static int add_link(struct scan_state *st, struct pt_pci_dev *pf, int index,
		    bool sibling, const char *bdf)
{
	if (st->n_links == st->cap_links) {
		size_t ncap = st->cap_links ? st->cap_links * 2 : 64;
		struct vf_link *l = realloc(st->links, ncap * sizeof(*l));

		if (!l)
			return -ENOMEM;
		st->links = l;
		st->cap_links = ncap;
	}
	st->links[st->n_links].pf = pf;
	st->links[st->n_links].index = index;
	st->links[st->n_links].sibling = sibling;
	memcpy(st->links[st->n_links].bdf, bdf, PT_BDF_LEN);
	st->n_links++;
	return 0;
}

/* SR-IOV: the counts, clamped to what the kernel can have, and the links. */
static int fill_sriov(struct pt_ctx *ctx, struct pt_pci_dev *d, int fd,
		      struct scan_state *st)
{
	char buf[PATH_MAX];
	long v;

	if (read_num(ctx, d, fd, "sriov_totalvfs", 0, MAX_VFS, &v) <= 0 || v == 0)
		return 0;
	d->sriov_totalvfs = (int)v;
	if (read_num(ctx, d, fd, "sriov_numvfs", 0, d->sriov_totalvfs, &v) <= 0 ||
	    v == 0)
		return 0;
	d->sriov_numvfs = (int)v;
	d->virtfn = calloc(d->sriov_numvfs, sizeof(*d->virtfn));
	if (!d->virtfn)
		return -ENOMEM;
	for (int i = 0; i < d->sriov_numvfs; i++) {
		char name[32];
		bool sibling;
		ssize_t n;

		snprintf(name, sizeof(name), "virtfn%d", i);
		n = pt__sysfs_readlink_sibling(fd, name, buf, sizeof(buf), &sibling);
		if (n < 0 || !pt__bdf_is_valid(buf)) {
			/* a VF going away as we look: its own entry tells */
			if (n != -ENOENT)
				problem_errno(ctx, d->bdf, name, n < 0 ? (int)n : -EINVAL,
					      "VF link read as absent");
			continue;
		}
		if (add_link(st, d, i, sibling, buf) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* The iommu_group link's number into d->iommu_group (absent: left as is). */
static void fill_iommu_group(struct pt_ctx *ctx, struct pt_pci_dev *d, int fd)
{
	char buf[PATH_MAX];
	ssize_t n;

	n = pt__sysfs_readlink_base(fd, "iommu_group", buf, sizeof(buf));
	if (n > 0) {
		char *end, path[PATH_MAX];
		long g;

		errno = 0;
		g = strtol(buf, &end, 10);
		if (errno || *end || end == buf || g < 0 || g > INT_MAX) {
			pt__sysfs_pci_dev_path(ctx, d->bdf, "iommu_group", path,
					       sizeof(path));
			problem(ctx, "%s: links to '%.20s', not a group number from 0 to %d; "
				"read as absent", path, buf, INT_MAX);
		} else {
			d->iommu_group = (int)g;
		}
	} else if (n != -ENOENT) {
		problem_errno(ctx, d->bdf, "iommu_group", (int)n, "read as absent");
	}
}

/* What fill_dev() reads after the identity (a narrowed scan: and the IOMMU group). */
static int fill_rest(struct pt_ctx *ctx, struct pt_pci_dev *d, int fd,
		     struct scan_state *st, bool iommu_done)
{
	long v;

	if (iommu_done) {
		/* a narrowed scan: what no policy decision reads waits for a reader */
		d->lazy = true;
	} else if (read_num(ctx, d, fd, "revision", 0, 0xff, &v) > 0) {
		d->revision = v;
	}
	if (read_num(ctx, d, fd, "numa_node", -1, MAX_NUMA_NODE, &v) > 0 && v >= 0)
		d->numa_node = v;
	if (!iommu_done) {
		read_str(ctx, d, fd, "driver_override", &d->driver_override);
		fill_iommu_group(ctx, d, fd);
	}
	d->bridge = class_is_bridge(d->class);
	if ((d->class >> 16) == 0x03 &&
	    read_num(ctx, d, fd, "boot_vga", 0, 1, &v) > 0)
		d->boot_vga = v == 1;
	if (d->vendor_id == 0x10de && pt__sysfs_exists(fd, "nvidia") == 0)
		d->nvidia_vgpu = true;
	/* a VF has no SR-IOV capability of its own: skip the failing open */
	if (d->bridge || d->physfn)
		return 0;
	return fill_sriov(ctx, d, fd, st);
}

/*
 * Everything pt knows about one function, read relative to its directory
 * fd: 0, 1 when it cannot be listed (a problem was recorded), -errno.
 */
static int fill_dev(struct pt_ctx *ctx, struct pt_pci_dev *d, int fd,
		    struct scan_state *st)
{
	int r = fill_ident(ctx, d, fd);

	return r ? r : fill_rest(ctx, d, fd, st, false);
}

static int cmp_key(const void *key, const void *elem)
{
	const struct pt_pci_dev *y = *(struct pt_pci_dev *const *)elem;

	return strcmp(key, y->bdf);
}

static struct pt_pci_dev *find(struct pt_ctx *ctx, const char *bdf)
{
	struct pt_pci_dev **p;

	if (!ctx->n_pci)
		return NULL;
	p = bsearch(bdf, ctx->pci, ctx->n_pci, sizeof(*ctx->pci), cmp_key);
	return p ? *p : NULL;
}

/* bus/pci/slots/NAME/address holds "DDDD:BB:DD" for each slot. */
static void fill_slots(struct pt_ctx *ctx)
{
	int fd = pt__sysfs_open_dir(ctx, "bus/pci/slots");
	struct dirent *e;
	DIR *dir;

	if (fd < 0)
		return;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return;
	}
	while ((e = readdir(dir))) {
		char addr[64], rel[NAME_MAX + 16];
		struct pt_pci_dev **p;
		int sfd;

		if (e->d_name[0] == '.')
			continue;
		snprintf(rel, sizeof(rel), "%s", e->d_name);
		sfd = pt__sysfs_openat_dir(dirfd(dir), rel);
		if (sfd < 0)
			continue;
		if (pt__sysfs_read(sfd, "address", addr, sizeof(addr)) == 10) {
			/*
			 * Every function of that device sits in the slot: the
			 * first at or after "DDDD:BB:DD" and those that follow
			 * with the same prefix (ctx->pci is sorted).
			 */
			size_t lo = 0, hi = ctx->n_pci;

			while (lo < hi) {
				size_t mid = (lo + hi) / 2;

				if (strncmp(ctx->pci[mid]->bdf, addr, 10) < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			for (p = ctx->pci + lo; p < ctx->pci + ctx->n_pci &&
			     !strncmp((*p)->bdf, addr, 10); p++)
				if (!(*p)->physical_slot)
					(*p)->physical_slot = strdup(e->d_name);
		}
		close(sfd);
	}
	closedir(dir);
}

static int cmp_link(const void *a, const void *b)
{
	return strcmp(((const struct vf_link *)a)->bdf, ((const struct vf_link *)b)->bdf);
}

/* State, address and MTU of a netdev. */
static void netdev_fill(struct pt_netdev *nd)
{
	struct pt_ctx *ctx = nd->dev->ctx;
	int nfd;

	nd->lazy = false;
	if (pt_is_live(ctx))
		pt__netlink_fill_link(ctx, nd);
	if (nd->operstate)
		return;
	/* a captured tree, or netlink unavailable */
	nfd = pt__sysfs_open_netdev(ctx, nd->name);
	if (nfd >= 0) {
		read_str_attr(nfd, "operstate", &nd->operstate);
		read_str_attr(nfd, "address", &nd->address);
		nd->mtu = read_int_attr(nfd, "mtu", -1);
		close(nfd);
	}
}

static int cmp_net_link(const void *a, const void *b)
{
	const struct net_link *x = a, *y = b;
	int c = strcmp(x->bdf, y->bdf);

	return c ? c : strcmp(x->name, y->name);
}

static void free_net_links(struct scan_state *st)
{
	for (size_t i = 0; i < st->n_nets; i++)
		free(st->nets[i].name);
	free(st->nets);
	st->nets = NULL;
	st->n_nets = st->cap_nets = 0;
}

/*
 * class/net/NAME links into the device tree: each with the function it
 * leads below, sorted by BDF and name into st->nets. 0 or -errno.
 */
static int read_net_links(struct pt_ctx *ctx, struct scan_state *st)
{
	int fd = pt__sysfs_open_dir(ctx, "class/net");
	struct dirent *e;
	DIR *dir;
	int r = 0;

	if (fd < 0)
		return 0;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	while ((e = readdir(dir))) {
		char target[PATH_MAX], bdf[PT_BDF_LEN], tail[NAME_MAX + PT_BDF_LEN + 8];
		struct net_link *l;
		size_t tl, nl;

		if (e->d_name[0] == '.')
			continue;
		if (pt__sysfs_readlink(dirfd(dir), e->d_name, target,
				       sizeof(target)) < 0 ||
		    pt__sysfs_path_pci_ancestor(target, bdf) < 0)
			continue;
		if (st->n_nets == st->cap_nets) {
			size_t ncap = st->cap_nets ? st->cap_nets * 2 : 64;

			l = realloc(st->nets, ncap * sizeof(*l));
			if (!l) {
				r = -ENOMEM;
				break;
			}
			st->nets = l;
			st->cap_nets = ncap;
		}
		l = &st->nets[st->n_nets];
		memcpy(l->bdf, bdf, PT_BDF_LEN);
		l->name = strdup(e->d_name);
		if (!l->name) {
			r = -ENOMEM;
			break;
		}
		snprintf(tail, sizeof(tail), "/%s/net/%s", bdf, e->d_name);
		tl = strlen(target);
		nl = strlen(tail);
		l->under = tl > nl && !strcmp(target + tl - nl, tail);
		st->n_nets++;
	}
	closedir(dir);
	if (r < 0) {
		free_net_links(st);
		return r;
	}
	if (st->n_nets)
		qsort(st->nets, st->n_nets, sizeof(*st->nets), cmp_net_link);
	return 0;
}

/* A netdev of d, in name order among d's; NULL: no memory. */
static struct pt_netdev *netdev_add(struct pt_pci_dev *d, const char *name,
				    bool lazy)
{
	struct pt_netdev *nd = calloc(1, sizeof(*nd)), **tail;

	if (!nd || !(nd->name = strdup(name))) {
		free(nd);
		return NULL;
	}
	nd->dev = d;
	nd->mtu = -1;
	nd->lazy = lazy;
	for (tail = &d->netdevs; *tail && strcmp((*tail)->name, nd->name) < 0;
	     tail = &(*tail)->next)
		;
	nd->next = *tail;
	*tail = nd;
	return nd;
}

/*
 * The netdevs of d, a function of a full scan of a captured tree, while
 * its directory fd is open: one read below it for each attribute
 * (net/NAME/operstate), not the walk from the root down class/net/NAME's
 * link and a directory open. On the kernel's tree both lead to one
 * directory; a link of another shape is followed as before. k: the first
 * of st->nets not yet looked at (both walks go in BDF order). 0, -ENOMEM.
 */
static int netdevs_at(struct scan_state *st, size_t *k, struct pt_pci_dev *d,
		      int fd)
{
	while (*k < st->n_nets && strcmp(st->nets[*k].bdf, d->bdf) < 0)
		(*k)++;
	for (; *k < st->n_nets && !strcmp(st->nets[*k].bdf, d->bdf); (*k)++) {
		const struct net_link *l = &st->nets[*k];
		struct pt_netdev *nd = netdev_add(d, l->name, false);
		char rel[NAME_MAX + 16];

		if (!nd)
			return -ENOMEM;
		if (!l->under) {
			netdev_fill(nd);
			continue;
		}
		snprintf(rel, sizeof(rel), "net/%s/operstate", l->name);
		read_str_attr(fd, rel, &nd->operstate);
		snprintf(rel, sizeof(rel), "net/%s/address", l->name);
		read_str_attr(fd, rel, &nd->address);
		snprintf(rel, sizeof(rel), "net/%s/mtu", l->name);
		nd->mtu = read_int_attr(fd, rel, -1);
	}
	return 0;
}

/*
 * The netdevs of every function found (lazy: their state is read on first
 * use); those a full scan of a captured tree attached during the walk are
 * there already.
 */
static int fill_netdevs(struct pt_ctx *ctx, struct scan_state *st, bool lazy)
{
	int r;

	if (st->nets_read)
		return 0;
	r = read_net_links(ctx, st);
	for (size_t i = 0; r == 0 && i < st->n_nets; i++) {
		struct pt_pci_dev *d = find(ctx, st->nets[i].bdf);
		struct pt_netdev *nd;

		if (!d)
			continue;
		nd = netdev_add(d, st->nets[i].name, lazy);
		if (!nd)
			r = -ENOMEM;
		else if (!lazy)
			netdev_fill(nd);
	}
	free_net_links(st);
	return r;
}

static void free_dev(struct pt_pci_dev *d)
{
	struct pt_netdev *nd, *nn;

	for (nd = d->netdevs; nd; nd = nn) {
		nn = nd->next;
		free(nd->name);
		free(nd->address);
		free(nd->operstate);
		free(nd);
	}
	pt__vgpu_free(d);
	free(d->display_name);
	/* d->driver is interned in the context's pool */
	free(d->driver_override);
	free(d->physical_slot);
	free(d->virtfn);
	free(d->critical);
	free(d);
}

void pt__pci_free(struct pt_ctx *ctx)
{
	pt__mdev_free(ctx);
	for (size_t i = 0; i < ctx->n_pci; i++)
		free_dev(ctx->pci[i]);
	free(ctx->pci);
	ctx->pci = NULL;
	ctx->n_pci = 0;
	ctx->pci_scanned = false;
	ctx->pci_scan_rc = 0;
	ctx->pci_last_named = NULL;
	for (size_t i = 0; i < ctx->n_pci_problems; i++)
		free(ctx->pci_problems[i]);
	free(ctx->pci_problems);
	ctx->pci_problems = NULL;
	ctx->n_pci_problems = 0;
	if (ctx->pacc)
		pci_cleanup(ctx->pacc);
	ctx->pacc = NULL;
	free(ctx->pci_ids_vendors);
	ctx->pci_ids_vendors = NULL;
	ctx->pci_ids_full = false;
	ctx->pci_n_named = 0;
	for (size_t i = 0; i < ctx->names_cap; i++)
		free(ctx->names[i]);
	free(ctx->names);
	ctx->names = NULL;
	ctx->names_cap = ctx->names_used = 0;
}

/* Where libudev looks for the compiled hardware database. */
static bool hwdb_present(void)
{
	static const char *const paths[] = {
		"/etc/systemd/hwdb/hwdb.bin", "/etc/udev/hwdb.bin",
		"/usr/lib/systemd/hwdb/hwdb.bin", "/lib/systemd/hwdb/hwdb.bin",
		"/usr/lib/udev/hwdb.bin", "/lib/udev/hwdb.bin",
	};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (access(paths[i], R_OK) == 0)
			return true;
	return false;
}

/*
 * libpci, only for names and the -s/-d filter: opened on first need, so a
 * scan that prints no name never loads pci.ids. Enumeration reads sysfs
 * directly (see the head of this file).
 */
static struct pci_access *pacc_get(struct pt_ctx *ctx)
{
	char path[PATH_MAX];
	jmp_buf jb;

	if (ctx->pacc)
		return ctx->pacc;
	ctx->pacc = pci_alloc();
	if (!ctx->pacc)
		return NULL;
	ctx->pacc->error = pci_cb_error;
	ctx->pacc->warning = pci_cb_warning;
	ctx->pacc->debug = pci_cb_debug;
	ctx->pacc->method = PCI_ACCESS_SYS_BUS_PCI;
	snprintf(path, sizeof(path), "%s/bus/pci",
		 strcmp(ctx->sysfs_root, "/") ? ctx->sysfs_root : "");
	pci_set_param(ctx->pacc, "sysfs.path", path);
	/*
	 * Without a compiled hwdb libpci's udev lookup fails on every name
	 * and leaks its udev handle each time; it would fall back to pci.ids
	 * anyway, so go there directly (lspci ends up at the same names).
	 */
	if (!hwdb_present())
		ctx->pacc->id_lookup_mode |= PCI_LOOKUP_NO_HWDB;
	if (ctx->pci_ids_path)
		pci_set_name_list_path(ctx->pacc, (char *)ctx->pci_ids_path, 0);
	pci_jmp = &jb;
	pci_log_ctx = ctx;
	if (setjmp(jb)) {
		/* pci_init failed: its error callback has logged why */
		pci_jmp = NULL;
		pci_log_ctx = NULL;
		free(ctx->pacc);	/* pci_cleanup() would touch what init left */
		ctx->pacc = NULL;
		return NULL;
	}
	pci_init(ctx->pacc);
	pci_jmp = NULL;
	pci_log_ctx = NULL;
	return ctx->pacc;
}

static bool same_ids(const struct pt_pci_dev *a, const struct pt_pci_dev *b)
{
	return a->vendor_id == b->vendor_id && a->device_id == b->device_id &&
	       (a->class >> 8) == (b->class >> 8) &&
	       a->subsys_vendor_id == b->subsys_vendor_id &&
	       a->subsys_device_id == b->subsys_device_id;
}

/* libpci's parse of the copy, quiet: an error means "load the file itself". */
static bool load_quiet(struct pci_access *pacc)
{
	jmp_buf *outer = pci_jmp, jb;
	struct pt_ctx *log_ctx = pci_log_ctx;
	volatile bool ok = false;

	pci_jmp = &jb;
	pci_log_ctx = NULL;
	if (setjmp(jb) == 0)
		ok = pci_load_name_list(pacc) == 1;
	pci_jmp = outer;
	pci_log_ctx = log_ctx;
	return ok;
}

/*
 * Make libpci's name list hold what naming d consults: before the first
 * name, the part of pci.ids for the vendors of every function scanned
 * (pciids.c says why that is all a lookup reaches); again, with d's, when
 * d brings a vendor the list lacks (a function scanned later). Whatever
 * fails, libpci loads pci.ids itself, in full, as it would without this.
 */
static void names_cover(struct pt_ctx *ctx, struct pt_pci_dev *d)
{
	struct pci_access *pacc = ctx->pacc;
	char *orig = pacc->id_file_name, proc[64];
	int orig_free = pacc->free_id_name, fd;
	bool ok;

	if (ctx->pci_ids_full)
		return;
	if (ctx->pci_ids_vendors && pt__pciids_has_function(ctx->pci_ids_vendors, d->vendor_id,
							    d->subsys_vendor_id))
		return;
	if (!ctx->pci_ids_vendors)
		ctx->pci_ids_vendors = calloc(65536 / 64, sizeof(uint64_t));
	if (!ctx->pci_ids_vendors)
		goto full;
	for (size_t i = 0; i < ctx->n_pci; i++)
		pt__pciids_want_function(ctx->pci_ids_vendors, ctx->pci[i]->vendor_id,
					 ctx->pci[i]->subsys_vendor_id);
	pt__pciids_want_function(ctx->pci_ids_vendors, d->vendor_id, d->subsys_vendor_id);
	fd = pt__pciids_subset(orig, ctx->pci_ids_vendors);
	if (fd < 0) {
		dbg(ctx, "pci.ids: %s loaded in full: %s\n", orig, strerror(-fd));
		goto full;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	pacc->free_id_name = 0;		/* orig is put back below */
	pci_set_name_list_path(pacc, proc, 0);
	ok = load_quiet(pacc);
	pacc->id_file_name = orig;
	pacc->free_id_name = orig_free;
	close(fd);
	if (ok) {
		dbg(ctx, "pci.ids: libpci loaded the part of %s for this host\n", orig);
		return;
	}
	dbg(ctx, "pci.ids: the part of %s for this host did not load; loading it in full\n",
	    orig);
full:
	/* libpci loads pacc->id_file_name at the next lookup */
	pci_free_name_list(pacc);
	free(ctx->pci_ids_vendors);
	ctx->pci_ids_vendors = NULL;
	ctx->pci_ids_full = true;
}

/*
 * Names through libpci, interned, on first use: VFs and twins share one
 * copy, and a function with the ids of the last one named takes its names
 * without a lookup.
 */
static void fill_names_now(struct pt_pci_dev *d)
{
	struct pt_ctx *ctx = d->ctx;
	struct pt_pci_dev *last = ctx->pci_last_named;
	jmp_buf jb;

	if (last && same_ids(last, d)) {
		d->vendor_name = last->vendor_name;
		d->device_name = last->device_name;
		d->class_name = last->class_name;
		d->subsys_vendor_name = last->subsys_vendor_name;
		d->subsys_device_name = last->subsys_device_name;
		return;
	}
	if (!pacc_get(ctx))
		return;
	pci_jmp = &jb;
	pci_log_ctx = ctx;
	if (setjmp(jb) == 0) {
		names_cover(ctx, d);
		d->vendor_name = lookup(ctx, PCI_LOOKUP_VENDOR, d->vendor_id, 0, 0, 0);
		d->device_name = lookup(ctx, PCI_LOOKUP_DEVICE, d->vendor_id,
					d->device_id, 0, 0);
		d->class_name = lookup(ctx, PCI_LOOKUP_CLASS, d->class >> 8, 0, 0, 0);
		if (d->subsys_vendor_id && d->subsys_vendor_id != 0xffff) {
			d->subsys_vendor_name = lookup(ctx, PCI_LOOKUP_SUBSYSTEM |
						       PCI_LOOKUP_VENDOR,
						       d->subsys_vendor_id, 0, 0, 0);
			d->subsys_device_name = lookup(ctx, PCI_LOOKUP_SUBSYSTEM |
						       PCI_LOOKUP_DEVICE,
						       d->vendor_id, d->device_id,
						       d->subsys_vendor_id,
						       d->subsys_device_id);
		}
		ctx->pci_last_named = d;
	}
	pci_jmp = NULL;
	pci_log_ctx = NULL;
}

static void fill_names(struct pt_pci_dev *d)
{
	struct pt_ctx *ctx = d->ctx;

	if (d->names_done)
		return;
	d->names_done = true;
	fill_names_now(d);
	/*
	 * Every function named: libpci's list goes, and what comes next (mdev
	 * types, USB, IOMMU groups) reuses its memory. A function named after
	 * this gets a list again (names_cover).
	 */
	if (++ctx->pci_n_named >= ctx->n_pci && ctx->pacc) {
		pci_free_name_list(ctx->pacc);
		free(ctx->pci_ids_vendors);
		ctx->pci_ids_vendors = NULL;
	}
}

static struct pt_pci_dev *new_dev(struct pt_ctx *ctx, const char *bdf)
{
	struct pt_pci_dev *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->ctx = ctx;
	memcpy(d->bdf, bdf, PT_BDF_LEN);
	d->domain = (int)strtoul(bdf, NULL, 16);
	d->bus = (int)strtoul(bdf + 5, NULL, 16);
	d->devnum = (int)strtoul(bdf + 8, NULL, 16);
	d->func = bdf[11] - '0';
	d->iommu_group = PT_NO_IOMMU_GROUP;
	d->numa_node = PT_NO_NUMA_NODE;
	d->vf_index = -1;
	return d;
}

/* ---- a narrowed scan (pt__pci_scan_narrow) ------------------------------- */

static int push_bdf(char (**v)[PT_BDF_LEN], size_t *n, size_t *cap, const char *bdf)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		char (*nv)[PT_BDF_LEN] = realloc(*v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = ncap;
	}
	memcpy((*v)[(*n)++], bdf, PT_BDF_LEN);
	return 0;
}

static int cmp_bdf(const void *a, const void *b)
{
	return strcmp(a, b);
}

static bool group_kept(const struct scan_state *st, int group)
{
	for (size_t i = 0; group >= 0 && i < st->n_groups; i++)
		if (st->groups[i] == group)
			return true;
	return false;
}

/*
 * The identity and the IOMMU group of a function; the rest only when it is
 * kept: a VF of a kept PF, asked for by an earlier pass, in the IOMMU group
 * of a kept function, or accepted by keep(). 0 kept, 1 left out, -errno.
 */
static int narrow_fill(struct pt_ctx *ctx, struct pt_pci_dev *d, int fd,
		       struct scan_state *st)
{
	int r = fill_ident(ctx, d, fd);

	if (r)
		return r;
	fill_iommu_group(ctx, d, fd);
	if (d->physfn ||
	    (st->n_need && bsearch(d->bdf, st->need, st->n_need, sizeof(*st->need), cmp_bdf)) ||
	    group_kept(st, d->iommu_group) || st->keep(d, st->keep_data))
		return fill_rest(ctx, d, fd, st, true);
	if (st->n_drop == st->cap_drop) {
		size_t ncap = st->cap_drop ? st->cap_drop * 2 : 256;
		struct narrow_drop *nd = realloc(st->drop, ncap * sizeof(*nd));

		if (!nd)
			return -ENOMEM;
		st->drop = nd;
		st->cap_drop = ncap;
	}
	memcpy(st->drop[st->n_drop].bdf, d->bdf, PT_BDF_LEN);
	st->drop[st->n_drop++].group = d->iommu_group;
	return 1;
}

/*
 * A function kept: its IOMMU group keeps the functions that follow in it,
 * and a VF whose PF was not kept (its physfn link) asks for the PF.
 */
static int narrow_kept(struct scan_state *st, struct pt_pci_dev *d, int fd)
{
	char pf[PATH_MAX];

	if (d->iommu_group >= 0 && !group_kept(st, d->iommu_group)) {
		if (st->n_groups == st->cap_groups) {
			size_t ncap = st->cap_groups ? st->cap_groups * 2 : 16;
			int *ng = realloc(st->groups, ncap * sizeof(*ng));

			if (!ng)
				return -ENOMEM;
			st->groups = ng;
			st->cap_groups = ncap;
		}
		st->groups[st->n_groups++] = d->iommu_group;
	}
	if (!d->physfn && !d->bridge &&
	    pt__sysfs_readlink_base(fd, "physfn", pf, sizeof(pf)) > 0 && pt__bdf_is_valid(pf))
		return push_bdf(&st->more, &st->n_more, &st->cap_more, pf);
	return 0;
}

/*
 * After a pass: what the full scan would relate to the kept functions but
 * this pass left out (a PF, a VF named by a kept PF's link, a function of a
 * kept IOMMU group seen before the group was known), merged into need.
 * The number of functions added, or -ENOMEM.
 */
static int narrow_more(struct pt_ctx *ctx, struct scan_state *st)
{
	size_t added = 0;
	int r = 0;

	for (size_t i = 0; !r && i < st->n_drop; i++)
		if (group_kept(st, st->drop[i].group))
			r = push_bdf(&st->more, &st->n_more, &st->cap_more, st->drop[i].bdf);
	for (size_t i = 0; !r && i < st->n_links; i++)
		r = push_bdf(&st->more, &st->n_more, &st->cap_more, st->links[i].bdf);
	for (size_t i = 0; !r && i < st->n_more; i++) {
		if (find(ctx, st->more[i]) ||
		    (st->n_need && bsearch(st->more[i], st->need, st->n_need,
					   sizeof(*st->need), cmp_bdf)))
			continue;
		r = push_bdf(&st->need, &st->n_need, &st->cap_need, st->more[i]);
		if (!r)
			qsort(st->need, st->n_need, sizeof(*st->need), cmp_bdf);
		added++;
	}
	return r < 0 ? r : (int)added;
}

/*
 * A function's directory. A VF its PF's virtfnN link names as "../<vf>"
 * is opened in the directory that holds the PF's, with one lookup, instead
 * of walking bus/pci/devices/<vf>'s link down from the root again: the
 * VFs of one PF come one after another in BDF order, so that directory is
 * opened once per PF. On the kernel's tree both name one directory (the
 * kernel makes virtfnN and bus/pci/devices/<vf> lead to the VF's device);
 * a hand-made tree where they differ is read where virtfnN leads, always
 * inside the root. Any failure there takes the usual way, so an error
 * names bus/pci/devices/<vf> as before.
 */
static int open_function(struct pt_ctx *ctx, struct scan_state *st,
			 const struct vf_link *link, const char *bdf)
{
	int fd;

	if (link && link->sibling) {
		if (st->sib_pf != link->pf) {
			if (st->sib_pf && st->sib_fd >= 0)
				close(st->sib_fd);
			st->sib_fd = pt__sysfs_open_pci_dev_parent(ctx, link->pf->bdf);
			st->sib_pf = link->pf;
		}
		if (st->sib_fd >= 0) {
			fd = pt__sysfs_openat_dir(st->sib_fd, bdf);
			if (fd >= 0)
				return fd;
		}
	}
	return pt__sysfs_open_pci_dev(ctx, bdf);
}

/*
 * Walk bus/pci/devices in BDF order. A function whose directory or ids
 * cannot be read is left out with a problem recorded; the walk itself
 * failing fails the scan (-errno).
 */
static int scan_all(struct pt_ctx *ctx, struct scan_state *st)
{
	char **names = NULL, path[PATH_MAX];
	size_t n = 0, k = 0, kn = 0;
	int dfd, r;

	r = pt__sysfs_root_check(ctx);
	if (r < 0) {
		problem(ctx, "%s: %s; the scan failed", ctx->sysfs_root, strerror(-r));
		return r;
	}
	dfd = pt__sysfs_open_dir(ctx, "bus/pci/devices");
	if (dfd == -ENOENT) {
		/* no PCI bus here (a container, a USB-only capture) */
		dbg(ctx, "%s/bus/pci/devices: %s\n", ctx->sysfs_root, strerror(-dfd));
		return 0;
	}
	if (dfd >= 0) {
		r = pt__sysfs_list_dir(dfd, &names, &n);
		if (r < 0)
			close(dfd);
	} else {
		r = dfd;
	}
	if (r < 0) {
		pt__sysfs_pci_dev_path(ctx, NULL, NULL, path, sizeof(path));
		problem(ctx, "%s: %s; the scan failed", path, strerror(-r));
		return r;
	}
	ctx->pci = n ? calloc(n, sizeof(*ctx->pci)) : NULL;
	if (n && !ctx->pci)
		r = -ENOMEM;
	/* netlink fills a live host's netdevs; a narrowed scan's wait */
	if (r == 0 && !st->keep && !pt_is_live(ctx)) {
		r = read_net_links(ctx, st);
		st->nets_read = r == 0;
	}
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct pt_pci_dev *d;
		int fd;

		if (!pt__bdf_is_valid(names[i])) {
			/*
			 * Intel VMD puts its children in domains 10000 and up;
			 * no slot name here holds more than four domain digits,
			 * and those devices cannot be passed through on their
			 * own anyway: leave them out, never alias them onto a
			 * domain-0 slot.
			 */
			dbg(ctx, "%s: not a DDDD:BB:DD.F name (VMD domain?), not listed\n",
			    names[i]);
			continue;
		}
		const struct vf_link *link = NULL;

		/* the PF came first (lower BDF) and named this one its VF */
		while (k < st->n_links && strcmp(st->links[k].bdf, names[i]) < 0)
			k++;
		if (k < st->n_links && !strcmp(st->links[k].bdf, names[i]))
			link = &st->links[k];
		fd = open_function(ctx, st, link, names[i]);
		if (fd < 0) {
			problem_errno(ctx, names[i], NULL, fd, "function left out");
			continue;
		}
		d = new_dev(ctx, names[i]);
		if (!d) {
			close(fd);
			r = -ENOMEM;
			break;
		}
		if (link)
			d->physfn = link->pf;
		r = st->keep ? narrow_fill(ctx, d, fd, st) : fill_dev(ctx, d, fd, st);
		if (r == 0 && st->keep)
			r = narrow_kept(st, d, fd);
		if (r == 0 && st->nets_read)
			r = netdevs_at(st, &kn, d, fd);
		close(fd);
		if (r != 0) {
			free_dev(d);
			r = r > 0 ? 0 : r;
			continue;
		}
		d->index = ctx->n_pci;
		ctx->pci[ctx->n_pci++] = d;
		/* a PF's links arrive in VF order, which is BDF order: keep
		 * the unresolved tail sorted for the merge above */
		if (d->sriov_numvfs && st->n_links > k)
			qsort(st->links + k, st->n_links - k, sizeof(*st->links),
			      cmp_link);
	}
	close(dfd);
	if (st->sib_pf && st->sib_fd >= 0)
		close(st->sib_fd);
	st->sib_pf = NULL;
	free_net_links(st);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

/* After the walk: VF links, slots, netdevs; a failure drops the devices. */
static int scan_finish(struct pt_ctx *ctx, struct scan_state *st, int r)
{
	if (r == 0 && ctx->pci_scan_rc < 0)
		r = ctx->pci_scan_rc;	/* a problem could not be recorded */
	for (size_t i = 0; r == 0 && i < st->n_links; i++) {
		struct pt_pci_dev *vf = find(ctx, st->links[i].bdf);

		if (!vf || (vf->physfn && vf->physfn != st->links[i].pf))
			continue;
		vf->physfn = st->links[i].pf;
		vf->vf_index = st->links[i].index;
		st->links[i].pf->virtfn[st->links[i].index] = vf;
	}
	if (r == 0) {
		fill_slots(ctx);
		r = fill_netdevs(ctx, st, st->keep != NULL);
	}
	if (r < 0) {
		char **problems = ctx->pci_problems;
		size_t n = ctx->n_pci_problems;

		dbg(ctx, "scanning PCI devices under %s failed: %s\n",
		    ctx->sysfs_root, strerror(-r));
		/* keep the problems that say why; drop the devices */
		ctx->pci_problems = NULL;
		ctx->n_pci_problems = 0;
		pt__pci_free(ctx);
		ctx->pci_problems = problems;
		ctx->n_pci_problems = n;
		ctx->pci_scanned = true;
		ctx->pci_scan_rc = r;
	}
	return r;
}

int pt__pci_scan(struct pt_ctx *ctx)
{
	struct scan_state st = { 0 };
	int r;

	if (ctx->pci_scanned)
		return ctx->pci_scan_rc;
	ctx->pci_scanned = true;

	r = scan_finish(ctx, &st, scan_all(ctx, &st));
	free(st.links);
	return r;
}

#define NARROW_PASSES	4

int pt__pci_scan_narrow(struct pt_ctx *ctx, bool (*keep)(struct pt_pci_dev *d, void *data),
			void *data)
{
	struct scan_state st = { .keep = keep, .keep_data = data };
	int r = 1, pass;

	if (ctx->pci_scanned)
		return 0;
	for (pass = 0; pass < NARROW_PASSES && r > 0; pass++) {
		if (pass) {
			/* the related functions the last pass missed: again with them */
			pt__pci_free(ctx);
			st.n_links = st.n_drop = st.n_groups = st.n_more = 0;
		}
		ctx->pci_scanned = true;
		r = scan_all(ctx, &st);
		if (r == 0 && ctx->pci_scan_rc < 0)
			r = ctx->pci_scan_rc;
		if (r == 0)
			r = narrow_more(ctx, &st);
	}
	if (r > 0) {
		/* still growing: no narrowing is worth this */
		dbg(ctx, "narrowed PCI scan: %zu functions after %d passes; scanning all\n",
		    st.n_need, pass);
		pt__pci_free(ctx);
		r = pt__pci_scan(ctx);
	} else {
		dbg(ctx, "narrowed PCI scan: %zu functions kept in %d passes\n", ctx->n_pci, pass);
		r = scan_finish(ctx, &st, r);
		r = r < 0 ? r : 1;
	}
	free(st.links);
	free(st.need);
	free(st.drop);
	free(st.groups);
	free(st.more);
	return r;
}

PT_EXPORT int pt_pci_scan(struct pt_ctx *ctx)
{
	return pt__pci_scan(ctx);
}

PT_EXPORT int pt_pci_get_num_problems(struct pt_ctx *ctx)
{
	pt__pci_scan(ctx);
	return (int)ctx->n_pci_problems;
}

PT_EXPORT const char *pt_pci_get_problem(struct pt_ctx *ctx, int idx)
{
	pt__pci_scan(ctx);
	if (idx < 0 || (size_t)idx >= ctx->n_pci_problems)
		return NULL;
	return ctx->pci_problems[idx] ? ctx->pci_problems[idx] :
	       "a PCI attribute could not be read (out of memory for the message)";
}

PT_EXPORT bool pt_pci_scan_is_complete(struct pt_ctx *ctx)
{
	return pt__pci_scan(ctx) == 0 && ctx->n_pci_problems == 0;
}

/* ---- public accessors --------------------------------------------------- */

PT_EXPORT struct pt_pci_dev *pt_pci_dev_get_first(struct pt_ctx *ctx)
{
	pt__pci_scan(ctx);
	return ctx->n_pci ? ctx->pci[0] : NULL;
}

PT_EXPORT struct pt_pci_dev *pt_pci_dev_get_next(struct pt_pci_dev *dev)
{
	struct pt_ctx *ctx = dev->ctx;

	return dev->index + 1 < ctx->n_pci ? ctx->pci[dev->index + 1] : NULL;
}

PT_EXPORT struct pt_pci_dev *pt_pci_dev_find(struct pt_ctx *ctx, const char *bdf)
{
	if (!pt__bdf_is_valid(bdf))
		return NULL;
	pt__pci_scan(ctx);
	return find(ctx, bdf);
}

PT_EXPORT struct pt_ctx *pt_pci_dev_get_ctx(struct pt_pci_dev *dev) { return dev->ctx; }
PT_EXPORT const char *pt_pci_dev_get_bdf(struct pt_pci_dev *dev) { return dev->bdf; }
PT_EXPORT int pt_pci_dev_get_domain(struct pt_pci_dev *dev) { return dev->domain; }
PT_EXPORT int pt_pci_dev_get_bus(struct pt_pci_dev *dev) { return dev->bus; }
PT_EXPORT int pt_pci_dev_get_devnum(struct pt_pci_dev *dev) { return dev->devnum; }
PT_EXPORT int pt_pci_dev_get_func(struct pt_pci_dev *dev) { return dev->func; }
PT_EXPORT uint16_t pt_pci_dev_get_vendor_id(struct pt_pci_dev *dev) { return dev->vendor_id; }
PT_EXPORT uint16_t pt_pci_dev_get_device_id(struct pt_pci_dev *dev) { return dev->device_id; }
PT_EXPORT uint16_t pt_pci_dev_get_subsystem_vendor_id(struct pt_pci_dev *dev) { return dev->subsys_vendor_id; }
PT_EXPORT uint16_t pt_pci_dev_get_subsystem_device_id(struct pt_pci_dev *dev) { return dev->subsys_device_id; }
PT_EXPORT uint32_t pt_pci_dev_get_class(struct pt_pci_dev *dev) { return dev->class; }
/* What a narrowed scan left to the first reader (fill_rest). */
static void fill_lazy(struct pt_pci_dev *d)
{
	int fd;
	long v;

	d->lazy = false;
	fd = pt__sysfs_open_pci_dev(d->ctx, d->bdf);
	if (fd < 0) {
		problem_errno(d->ctx, d->bdf, NULL, fd, "revision and driver_override read as absent");
		return;
	}
	if (read_num(d->ctx, d, fd, "revision", 0, 0xff, &v) > 0)
		d->revision = v;
	read_str(d->ctx, d, fd, "driver_override", &d->driver_override);
	close(fd);
}

PT_EXPORT uint8_t pt_pci_dev_get_revision(struct pt_pci_dev *dev)
{
	if (dev->lazy)
		fill_lazy(dev);
	return dev->revision;
}
PT_EXPORT const char *pt_pci_dev_get_vendor_name(struct pt_pci_dev *dev)
{
	fill_names(dev);
	return dev->vendor_name;
}
PT_EXPORT const char *pt_pci_dev_get_device_name(struct pt_pci_dev *dev)
{
	fill_names(dev);
	return dev->device_name;
}
PT_EXPORT const char *pt_pci_dev_get_subsystem_vendor_name(struct pt_pci_dev *dev)
{
	fill_names(dev);
	return dev->subsys_vendor_name;
}
PT_EXPORT const char *pt_pci_dev_get_subsystem_device_name(struct pt_pci_dev *dev)
{
	fill_names(dev);
	return dev->subsys_device_name;
}
PT_EXPORT const char *pt_pci_dev_get_class_name(struct pt_pci_dev *dev)
{
	fill_names(dev);
	return dev->class_name;
}
PT_EXPORT const char *pt_pci_dev_get_display_name(struct pt_pci_dev *dev)
{
	static const char fallback[] = "Device";
	int r;

	if (dev->display_name)
		return dev->display_name;
	fill_names(dev);
	if (dev->vendor_name && dev->device_name)
		r = asprintf(&dev->display_name, "%s %s", dev->vendor_name, dev->device_name);
	else if (dev->vendor_name)
		r = asprintf(&dev->display_name, "%s Device %04x", dev->vendor_name,
			     dev->device_id);
	else
		r = asprintf(&dev->display_name, "Device %04x:%04x", dev->vendor_id,
			     dev->device_id);
	if (r < 0) {
		dev->display_name = NULL;
		return fallback;
	}
	return dev->display_name;
}

PT_EXPORT const char *pt_pci_dev_get_driver(struct pt_pci_dev *dev) { return dev->driver; }
PT_EXPORT const char *pt_pci_dev_get_driver_override(struct pt_pci_dev *dev)
{
	if (dev->lazy)
		fill_lazy(dev);
	return dev->driver_override;
}
PT_EXPORT int pt_pci_dev_get_iommu_group(struct pt_pci_dev *dev) { return dev->iommu_group; }
PT_EXPORT int pt_pci_dev_get_numa_node(struct pt_pci_dev *dev) { return dev->numa_node; }
PT_EXPORT const char *pt_pci_dev_get_physical_slot(struct pt_pci_dev *dev) { return dev->physical_slot; }
PT_EXPORT bool pt_pci_dev_is_bridge(struct pt_pci_dev *dev) { return dev->bridge; }
PT_EXPORT bool pt_pci_dev_is_boot_vga(struct pt_pci_dev *dev) { return dev->boot_vga; }
PT_EXPORT int pt_pci_dev_get_sriov_totalvfs(struct pt_pci_dev *dev) { return dev->sriov_totalvfs; }
PT_EXPORT int pt_pci_dev_get_sriov_numvfs(struct pt_pci_dev *dev) { return dev->sriov_numvfs; }
PT_EXPORT bool pt_pci_dev_is_vf(struct pt_pci_dev *dev) { return dev->physfn != NULL; }
PT_EXPORT struct pt_pci_dev *pt_pci_dev_get_physfn(struct pt_pci_dev *dev) { return dev->physfn; }
PT_EXPORT int pt_pci_dev_get_vf_index(struct pt_pci_dev *dev) { return dev->vf_index; }

PT_EXPORT struct pt_pci_dev *pt_pci_dev_get_virtfn(struct pt_pci_dev *dev, int idx)
{
	if (idx < 0 || idx >= dev->sriov_numvfs || !dev->virtfn)
		return NULL;
	return dev->virtfn[idx];
}

PT_EXPORT const char *pt_pci_dev_get_critical_reason(struct pt_pci_dev *dev)
{
	pt__critical_scan(dev->ctx);
	return dev->critical;
}

PT_EXPORT struct pt_netdev *pt_netdev_get_first(struct pt_pci_dev *dev) { return dev->netdevs; }
PT_EXPORT struct pt_netdev *pt_netdev_get_next(struct pt_netdev *nd) { return nd->next; }
PT_EXPORT const char *pt_netdev_get_name(struct pt_netdev *nd) { return nd->name; }
PT_EXPORT const char *pt_netdev_get_address(struct pt_netdev *nd)
{
	if (nd->lazy)
		netdev_fill(nd);
	return nd->address;
}

PT_EXPORT const char *pt_netdev_get_operstate(struct pt_netdev *nd)
{
	if (nd->lazy)
		netdev_fill(nd);
	return nd->operstate;
}

PT_EXPORT int pt_netdev_get_mtu(struct pt_netdev *nd)
{
	if (nd->lazy)
		netdev_fill(nd);
	return nd->mtu;
}

/* ---- lspci's -s and -d selectors ---------------------------------------- */

struct pt_pci_filter {
	struct pci_filter f;
};

PT_EXPORT int pt_pci_filter_new(struct pt_ctx *ctx, const char *slot,
				const char *id, struct pt_pci_filter **out,
				const char **why)
{
	struct pt_pci_filter *pf;
	char *spec, *msg = NULL;

	*why = NULL;
	pt__pci_scan(ctx);
	if (!ctx->n_pci) {
		*why = "no PCI bus to filter";
		return -ENODEV;
	}
	if (!pacc_get(ctx)) {
		*why = "libpci could not be initialised";
		return -ENODEV;
	}
	pf = calloc(1, sizeof(*pf));
	if (!pf)
		return -ENOMEM;
	pci_filter_init(ctx->pacc, &pf->f);
	/* libpci's parsers modify their argument */
	if (slot) {
		spec = strdup(slot);
		if (!spec)
			goto enomem;
		msg = pci_filter_parse_slot(&pf->f, spec);
		free(spec);
	}
	if (!msg && id) {
		spec = strdup(id);
		if (!spec)
			goto enomem;
		msg = pci_filter_parse_id(&pf->f, spec);
		free(spec);
	}
	if (msg) {
		*why = msg;	/* a static string in libpci */
		free(pf);
		return -EINVAL;
	}
	*out = pf;
	return 0;
enomem:
	free(pf);
	return -ENOMEM;
}

PT_EXPORT bool pt_pci_filter_match(struct pt_pci_filter *f, struct pt_pci_dev *dev)
{
	struct pci_access *pacc = dev->ctx->pacc;
	struct pci_dev *p;
	bool m;

	if (!pacc)
		return false;
	/* libpci matches its own records: lend it one with what we know */
	p = pci_get_dev(pacc, dev->domain, dev->bus, dev->devnum, dev->func);
	if (!p)
		return false;
	p->vendor_id = dev->vendor_id;
	p->device_id = dev->device_id;
	p->device_class = dev->class >> 8;
	p->prog_if = dev->class & 0xff;
	p->rev_id = pt_pci_dev_get_revision(dev);
	p->known_fields = PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CLASS_EXT;
	m = pci_filter_match(&f->f, p);
	pci_free_dev(p);
	return m;
}

PT_EXPORT void pt_pci_filter_free(struct pt_pci_filter *f)
{
	free(f);
}
