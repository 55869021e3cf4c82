// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PCI functions. libpci (sysfs method, pointed at the context's root)
 * enumerates and names them; the attributes libpci would resolve with
 * realpath() (driver, IOMMU group) and those it does not know (SR-IOV,
 * driver_override, boot_vga) are read directly, relative to each
 * function's directory fd. See ../shared/PERF-NOTES.md for why.
 */
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

	return pt__sysfs_read_long(fd, name, &v) == 0 ? (int)v : dflt;
}

/* virtfnN targets of a PF, resolved to VF objects once all are known. */
struct vf_link {
	struct pt_pci_dev *pf;
	int index;
	char bdf[PT_BDF_LEN];
};

struct scan_state {
	struct vf_link *links;
	size_t n_links;
};

/*
 * uevent carries the driver, the full class and the subsystem ids in one
 * read; a tree without it (a hand-made capture) falls back to the single
 * attributes.
 */
static void fill_uevent(struct pt_pci_dev *d, int fd)
{
	char buf[1024], drv[256], *line, *save = NULL;
	unsigned int a, b;

	if (pt__sysfs_read(fd, "uevent", buf, sizeof(buf)) <= 0) {
		long cls;

		if (pt__sysfs_read_long(fd, "class", &cls) == 0)
			d->class = (uint32_t)cls & 0xffffff;
		d->subsys_vendor_id = read_int_attr(fd, "subsystem_vendor", 0);
		d->subsys_device_id = read_int_attr(fd, "subsystem_device", 0);
		if (pt__sysfs_readlink_base(fd, "driver", drv, sizeof(drv)) > 0)
			d->driver = strdup(drv);
		return;
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "DRIVER=", 7) && line[7])
			d->driver = strdup(line + 7);
		else if (sscanf(line, "PCI_CLASS=%x", &a) == 1)
			d->class = a & 0xffffff;
		else if (sscanf(line, "PCI_SUBSYS_ID=%x:%x", &a, &b) == 2) {
			d->subsys_vendor_id = a;
			d->subsys_device_id = b;
		}
	}
}

static int fill_dev(struct pt_ctx *ctx, struct pt_pci_dev *d, int fd,
		    struct scan_state *st)
{
	char buf[PATH_MAX];
	int n;

	fill_uevent(d, fd);
	d->revision = read_int_attr(fd, "revision", 0);
	d->numa_node = read_int_attr(fd, "numa_node", PT_NO_NUMA_NODE);
	if (d->numa_node < 0)
		d->numa_node = PT_NO_NUMA_NODE;
	read_str_attr(fd, "driver_override", &d->driver_override);
	d->iommu_group = PT_NO_IOMMU_GROUP;
	if (pt__sysfs_readlink_base(fd, "iommu_group", buf, sizeof(buf)) > 0) {
		char *end;
		long g = strtol(buf, &end, 10);

		if (!*end && g >= 0)
			d->iommu_group = (int)g;
	}
	d->bridge = class_is_bridge(d->class);
	if ((d->class >> 16) == 0x03)
		d->boot_vga = read_int_attr(fd, "boot_vga", 0) == 1;
	if (d->vendor_id == 0x10de) {
		int nv = pt__sysfs_openat_dir(fd, "nvidia");

		if (nv >= 0) {
			d->nvidia_vgpu = true;
			close(nv);
		}
	}
	if (d->bridge)
		return 0;

	d->vf_index = -1;
	d->sriov_totalvfs = read_int_attr(fd, "sriov_totalvfs", 0);
	if (d->sriov_totalvfs <= 0) {
		d->sriov_totalvfs = 0;
		return 0;
	}
	d->sriov_numvfs = read_int_attr(fd, "sriov_numvfs", 0);
	if (d->sriov_numvfs <= 0)
		return 0;
	d->virtfn = calloc(d->sriov_numvfs, sizeof(*d->virtfn));
	if (!d->virtfn)
		return -ENOMEM;
	for (n = 0; n < d->sriov_numvfs; n++) {
		char name[32];
		struct vf_link *l;

		snprintf(name, sizeof(name), "virtfn%d", n);
		if (pt__sysfs_readlink_base(fd, name, buf, sizeof(buf)) < 0 ||
		    !pt__bdf_is_valid(buf))
			continue;
		l = realloc(st->links, (st->n_links + 1) * sizeof(*st->links));
		if (!l)
			return -ENOMEM;
		st->links = l;
		l[st->n_links].pf = d;
		l[st->n_links].index = n;
		memcpy(l[st->n_links].bdf, buf, PT_BDF_LEN);
		st->n_links++;
	}
	return 0;
}

static int cmp_dev(const void *a, const void *b)
{
	const struct pt_pci_dev *x = *(struct pt_pci_dev *const *)a;
	const struct pt_pci_dev *y = *(struct pt_pci_dev *const *)b;

	return strcmp(x->bdf, y->bdf);
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
		int sfd;

		if (e->d_name[0] == '.')
			continue;
		snprintf(rel, sizeof(rel), "%s", e->d_name);
		sfd = pt__sysfs_openat_dir(dirfd(dir), rel);
		if (sfd < 0)
			continue;
		if (pt__sysfs_read(sfd, "address", addr, sizeof(addr)) == 10) {
			/* every function of that device sits in the slot */
			for (size_t i = 0; i < ctx->n_pci; i++) {
				struct pt_pci_dev *d = ctx->pci[i];

				if (!strncmp(d->bdf, addr, 10) && !d->physical_slot)
					d->physical_slot = strdup(e->d_name);
			}
		}
		close(sfd);
	}
	closedir(dir);
}

/* class/net/NAME links into the device tree: attach each to its function. */
static int fill_netdevs(struct pt_ctx *ctx)
{
	int fd = pt__sysfs_open_dir(ctx, "class/net");
	struct dirent *e;
	DIR *dir;

	if (fd < 0)
		return 0;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	while ((e = readdir(dir))) {
		char target[PATH_MAX], bdf[PT_BDF_LEN];
		struct pt_pci_dev *d;
		struct pt_netdev *nd, **tail;
		int nfd;

		if (e->d_name[0] == '.')
			continue;
		if (pt__sysfs_readlink(dirfd(dir), e->d_name, target,
				       sizeof(target)) < 0 ||
		    pt__sysfs_path_pci_ancestor(target, bdf) < 0)
			continue;
		d = find(ctx, bdf);
		if (!d)
			continue;
		nd = calloc(1, sizeof(*nd));
		if (!nd || !(nd->name = strdup(e->d_name))) {
			free(nd);
			closedir(dir);
			return -ENOMEM;
		}
		nd->dev = d;
		nd->mtu = -1;
		if (pt_is_live(ctx))
			pt__netlink_fill_link(ctx, nd);
		if (!nd->operstate) {
			/* a captured tree, or netlink unavailable */
			nfd = pt__sysfs_openat_dir(dirfd(dir), e->d_name);
			if (nfd >= 0) {
				read_str_attr(nfd, "operstate", &nd->operstate);
				read_str_attr(nfd, "address", &nd->address);
				nd->mtu = read_int_attr(nfd, "mtu", -1);
				close(nfd);
			}
		}
		/* keep each function's netdevs sorted by name */
		for (tail = &d->netdevs; *tail && strcmp((*tail)->name, nd->name) < 0;
		     tail = &(*tail)->next)
			;
		nd->next = *tail;
		*tail = nd;
	}
	closedir(dir);
	return 0;
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
	free(d->driver);
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
	if (ctx->pacc)
		pci_cleanup(ctx->pacc);
	ctx->pacc = NULL;
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

static int pci_open(struct pt_ctx *ctx)
{
	char path[PATH_MAX];
	int fd;

	fd = pt__sysfs_open_dir(ctx, "bus/pci/devices");
	if (fd < 0) {
		/* no PCI bus here (or a wrong root): nothing to list */
		dbg(ctx, "%s/bus/pci/devices: %s\n", ctx->sysfs_root,
		    strerror(-fd));
		return fd;
	}
	close(fd);
	ctx->pacc = pci_alloc();
	if (!ctx->pacc)
		return -ENOMEM;
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
	pci_init(ctx->pacc);
	return 0;
}

/* One PCI function from libpci's list into ctx->pci. */
static int add_dev(struct pt_ctx *ctx, struct pci_dev *p, size_t *cap)
{
	struct pt_pci_dev *d;

	/*
	 * Intel VMD puts its children in domains 10000 and up; no slot name
	 * here holds more than four domain digits, and those devices cannot
	 * be passed through on their own anyway: leave them out, never alias
	 * them onto a domain-0 slot.
	 */
	if ((unsigned int)p->domain > 0xffff) {
		dbg(ctx, "%x:%02x:%02x.%d: domain beyond 0xffff (VMD), not listed\n",
		    (unsigned int)p->domain, p->bus, p->dev, p->func);
		return 0;
	}
	if (ctx->n_pci == *cap) {
		struct pt_pci_dev **np;
		size_t ncap = *cap ? *cap * 2 : 64;

		np = realloc(ctx->pci, ncap * sizeof(*np));
		if (!np)
			return -ENOMEM;
		ctx->pci = np;
		*cap = ncap;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	ctx->pci[ctx->n_pci++] = d;
	d->ctx = ctx;
	d->iommu_group = PT_NO_IOMMU_GROUP;
	d->numa_node = PT_NO_NUMA_NODE;
	d->vf_index = -1;
	pci_fill_info(p, PCI_FILL_IDENT | PCI_FILL_CLASS);
	d->domain = p->domain;
	d->bus = p->bus;
	d->devnum = p->dev;
	d->func = p->func;
	snprintf(d->bdf, sizeof(d->bdf), "%04x:%02x:%02x.%x",
		 (unsigned int)p->domain & 0xffff, p->bus & 0xff, p->dev & 0x1f,
		 p->func & 7);
	d->vendor_id = p->vendor_id;
	d->device_id = p->device_id;
	/* p->device_class lacks the programming interface; uevent has it */
	d->class = (uint32_t)p->device_class << 8;
	return 0;
}

/* Names through libpci, interned: VFs and twins share one copy. */
static void fill_names(struct pt_ctx *ctx, struct pt_pci_dev *d)
{
	d->vendor_name = lookup(ctx, PCI_LOOKUP_VENDOR, d->vendor_id, 0, 0, 0);
	d->device_name = lookup(ctx, PCI_LOOKUP_DEVICE, d->vendor_id, d->device_id, 0, 0);
	d->class_name = lookup(ctx, PCI_LOOKUP_CLASS, d->class >> 8, 0, 0, 0);
	if (d->subsys_vendor_id && d->subsys_vendor_id != 0xffff) {
		d->subsys_vendor_name = lookup(ctx, PCI_LOOKUP_SUBSYSTEM | PCI_LOOKUP_VENDOR,
					       d->subsys_vendor_id, 0, 0, 0);
		d->subsys_device_name = lookup(ctx, PCI_LOOKUP_SUBSYSTEM | PCI_LOOKUP_DEVICE,
					       d->vendor_id, d->device_id,
					       d->subsys_vendor_id, d->subsys_device_id);
	}
}

/*
 * Everything between opening libpci and the last name lookup: libpci may
 * longjmp out of any of it, so the caller's frame holds no state that
 * changes here (see pci_cb_error).
 */
static int scan_all(struct pt_ctx *ctx, struct scan_state *st)
{
	size_t cap = 0;
	int r = pci_open(ctx);

	if (r < 0)
		return r == -ENOENT ? 0 : r;
	pci_scan_bus(ctx->pacc);
	for (struct pci_dev *p = ctx->pacc->devices, *next; p; p = next) {
		next = p->next;
		r = add_dev(ctx, p, &cap);
		/*
		 * Everything needed is copied out: free libpci's record (424
		 * bytes and more) now, before pci.ids is loaded for the names,
		 * so the two never weigh on memory together.
		 */
		pci_free_dev(p);
		ctx->pacc->devices = next;
		if (r < 0)
			return r;
	}
	if (ctx->n_pci)		/* an empty bus leaves ctx->pci NULL */
		qsort(ctx->pci, ctx->n_pci, sizeof(*ctx->pci), cmp_dev);
	for (size_t i = 0; i < ctx->n_pci; i++) {
		struct pt_pci_dev *d = ctx->pci[i];
		int fd;

		d->index = i;
		fd = pt__sysfs_open_pci_dev(ctx, d->bdf);
		if (fd < 0) {
			dbg(ctx, "%s: %s\n", d->bdf, strerror(-fd));
			continue;
		}
		r = fill_dev(ctx, d, fd, st);
		close(fd);
		if (r < 0)
			return r;
		fill_names(ctx, d);
	}
	return 0;
}

int pt__pci_scan(struct pt_ctx *ctx)
{
	struct scan_state st = { 0 };
	jmp_buf jb;
	int r;

	if (ctx->pci_scanned)
		return 0;
	ctx->pci_scanned = true;

	pci_jmp = &jb;
	pci_log_ctx = ctx;
	r = setjmp(jb) ? -EIO : scan_all(ctx, &st);
	pci_jmp = NULL;
	pci_log_ctx = NULL;

	for (size_t i = 0; r == 0 && i < st.n_links; i++) {
		struct pt_pci_dev *vf = find(ctx, st.links[i].bdf);

		if (!vf)
			continue;
		vf->physfn = st.links[i].pf;
		vf->vf_index = st.links[i].index;
		st.links[i].pf->virtfn[st.links[i].index] = vf;
	}
	free(st.links);
	if (r == 0) {
		fill_slots(ctx);
		r = fill_netdevs(ctx);
	}
	if (r < 0) {
		err(ctx, "scanning PCI devices under %s failed: %s\n",
		    ctx->sysfs_root, strerror(-r));
		pt__pci_free(ctx);
		ctx->pci_scanned = true;
	}
	return r;
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
PT_EXPORT uint8_t pt_pci_dev_get_revision(struct pt_pci_dev *dev) { return dev->revision; }
PT_EXPORT const char *pt_pci_dev_get_vendor_name(struct pt_pci_dev *dev) { return dev->vendor_name; }
PT_EXPORT const char *pt_pci_dev_get_device_name(struct pt_pci_dev *dev) { return dev->device_name; }
PT_EXPORT const char *pt_pci_dev_get_subsystem_vendor_name(struct pt_pci_dev *dev) { return dev->subsys_vendor_name; }
PT_EXPORT const char *pt_pci_dev_get_subsystem_device_name(struct pt_pci_dev *dev) { return dev->subsys_device_name; }
PT_EXPORT const char *pt_pci_dev_get_class_name(struct pt_pci_dev *dev) { return dev->class_name; }
PT_EXPORT const char *pt_pci_dev_get_display_name(struct pt_pci_dev *dev)
{
	static const char fallback[] = "Device";
	int r;

	if (dev->display_name)
		return dev->display_name;
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
PT_EXPORT const char *pt_pci_dev_get_driver_override(struct pt_pci_dev *dev) { return dev->driver_override; }
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
PT_EXPORT const char *pt_netdev_get_address(struct pt_netdev *nd) { return nd->address; }
PT_EXPORT const char *pt_netdev_get_operstate(struct pt_netdev *nd) { return nd->operstate; }
PT_EXPORT int pt_netdev_get_mtu(struct pt_netdev *nd) { return nd->mtu; }

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
	if (!ctx->pacc) {
		*why = "no PCI bus to filter";
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
	p->rev_id = dev->revision;
	p->known_fields = PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CLASS_EXT;
	m = pci_filter_match(&f->f, p);
	pci_free_dev(p);
	return m;
}

PT_EXPORT void pt_pci_filter_free(struct pt_pci_filter *f)
{
	free(f);
}
