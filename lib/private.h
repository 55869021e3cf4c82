/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libpassthru internals, grouped by the file that owns them. */
#ifndef PT_PRIVATE_H
#define PT_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <syslog.h>
#include <sys/types.h>

#include "libpassthru.h"

#define PT_EXPORT __attribute__((visibility("default")))

#define PT_BDF_LEN	13	/* "DDDD:BB:DD.F" + NUL */
#define PT_NAME_MAX	64	/* group, rule, tenant and VM names */

/* ---- log.c -------------------------------------------------------------- */

void pt__log(struct pt_ctx *ctx, int priority, const char *file, int line,
	     const char *fn, const char *format, ...)
	__attribute__((format(printf, 6, 7)));

#define pt__log_cond(ctx, prio, ...)					\
	do {								\
		if (pt_get_log_priority(ctx) >= (prio))			\
			pt__log(ctx, prio, __FILE__, __LINE__, __func__,	\
				__VA_ARGS__);				\
	} while (0)
#define err(ctx, ...)	pt__log_cond(ctx, LOG_ERR, __VA_ARGS__)
#define warn(ctx, ...)	pt__log_cond(ctx, LOG_WARNING, __VA_ARGS__)
#define info(ctx, ...)	pt__log_cond(ctx, LOG_INFO, __VA_ARGS__)
#define dbg(ctx, ...)	pt__log_cond(ctx, LOG_DEBUG, __VA_ARGS__)

/* Priority from a PT_LOG value: a number or err/warning/info/debug. */
int pt__log_priority_parse(const char *s);

/* ---- ctx.c -------------------------------------------------------------- */

struct pci_access;
struct libusb_context;
struct nl_sock;
struct nl_cache;

struct pt_ctx {
	int refcount;

	pt_log_fn log_fn;
	void *log_data;
	int log_priority;

	char *sysfs_root;
	char *dev_root;
	char *conf_dir;
	char *proc_root;
	char *modules_dir;
	int sysfs_fd;		/* O_PATH directory fd of sysfs_root, or -1 */

	/* pci.c */
	struct pci_access *pacc;
	bool pci_scanned;
	struct pt_pci_dev **pci;	/* sorted by BDF */
	size_t n_pci;

	/* iommu.c */
	bool iommu_scanned;
	struct pt_iommu_group **groups;	/* sorted by number */
	size_t n_groups;

	/* mdev.c */
	bool mdev_scanned;
	struct pt_mdev_parent *mdev_parents;

	/* critical.c */
	bool critical_scanned;

	/* usb.c */
	struct libusb_context *usb;
	bool usb_scanned;
	struct pt_usb_dev *usb_devs;

	/* netlink.c */
	struct nl_sock *nl;
	struct nl_cache *link_cache;
	bool link_cache_tried;

	/* check.c */
	bool checks_done;
	struct pt_check *checks;
};

/* Drop everything scanned (roots changed). */
void pt__ctx_flush(struct pt_ctx *ctx);

/* Duplicate a string; NULL in, NULL out. */
char *pt__strdup(const char *s);
/* Append "; reason" (or set) to a heap string; -ENOMEM. */
int pt__append_reason(char **dst, const char *reason);

/* ---- sysfs.c: the only file that builds paths below the roots ----------- */

/* Names that may become path components: no '/', no leading '.', bounded. */
bool pt__name_is_valid(const char *name);
/* "DDDD:BB:DD.F", lower-case hex. */
bool pt__bdf_is_valid(const char *bdf);

/*
 * Open a directory below the sysfs root. rel is root-relative with
 * components validated (no "..", no empty); returns an fd or -errno.
 */
int pt__sysfs_open_dir(struct pt_ctx *ctx, const char *rel);
/* Open bus/pci/devices/<bdf> (bdf validated). */
int pt__sysfs_open_pci_dev(struct pt_ctx *ctx, const char *bdf);
/* Open a directory relative to dirfd (name validated); fd or -errno. */
int pt__sysfs_openat_dir(int dirfd, const char *name);

/*
 * Read attribute name below dirfd into buf, trailing newline removed.
 * Returns the length or -errno.
 */
ssize_t pt__sysfs_read(int dirfd, const char *name, char *buf, size_t len);
/* Parse an attribute as an integer (base 0: "0x10de" and "16" both work). */
int pt__sysfs_read_long(int dirfd, const char *name, long *val);
/* Basename of a symlink's target ("driver" -> "vfio-pci"); length or -errno. */
ssize_t pt__sysfs_readlink_base(int dirfd, const char *name, char *buf,
				size_t len);
/* Raw symlink target; length or -errno. */
ssize_t pt__sysfs_readlink(int dirfd, const char *name, char *buf, size_t len);
/*
 * Write val to attribute name below dirfd: O_WRONLY|O_NOFOLLOW, one
 * write(2). 0 or -errno.
 */
int pt__sysfs_write(int dirfd, const char *name, const char *val);
/*
 * A root-relative file under proc_root ("mounts", "net/route"); fd or
 * -errno. rel validated like pt__sysfs_open_dir().
 */
int pt__proc_open(struct pt_ctx *ctx, const char *rel);
/* The nearest PCI function (BDF) on a sysfs link target path; 0 or -ENOENT. */
int pt__sysfs_path_pci_ancestor(const char *path, char bdf[PT_BDF_LEN]);

/* ---- pci.c -------------------------------------------------------------- */

struct pt_netdev {
	struct pt_netdev *next;
	struct pt_pci_dev *dev;
	char *name;
	char *address;
	char *operstate;
	int mtu;
};

struct pt_mdev_type {
	struct pt_mdev_type *next;
	struct pt_mdev_parent *parent;
	char *id;
	char *name;
	char *description;
	char *device_api;
	int available_instances;
};

struct pt_mdev {
	struct pt_mdev *next;
	struct pt_mdev_parent *parent;
	char *uuid;
	char *type_id;
	int iommu_group;
};

struct pt_mdev_parent {
	struct pt_mdev_parent *next;
	struct pt_ctx *ctx;
	char *name;			/* sysfs device name */
	char *path;			/* sysfs-root-relative device path */
	struct pt_pci_dev *pci;		/* NULL when not a PCI function */
	bool scanned;
	struct pt_mdev_type *types;
	struct pt_mdev *mdevs;
};

struct pt_vgpu_type {
	struct pt_vgpu_type *next;
	unsigned int id;
	char *name;
};

struct pci_dev;
struct pt_pci_dev {
	struct pt_ctx *ctx;
	struct pci_dev *pdev;		/* libpci's, owned by ctx->pacc */
	size_t index;			/* position in ctx->pci */
	char bdf[PT_BDF_LEN];
	int domain, bus, devnum, func;
	uint16_t vendor_id, device_id;
	uint16_t subsys_vendor_id, subsys_device_id;
	uint32_t class;
	uint8_t revision;
	char *vendor_name, *device_name, *class_name;
	char *subsys_vendor_name, *subsys_device_name;
	char *driver;
	char *driver_override;
	char *physical_slot;
	int iommu_group;
	int numa_node;
	bool bridge;
	bool boot_vga;

	int sriov_totalvfs, sriov_numvfs;
	struct pt_pci_dev *physfn;
	int vf_index;
	struct pt_pci_dev **virtfn;	/* sriov_numvfs entries, may be NULL */

	struct pt_netdev *netdevs;

	struct pt_mdev_parent *mdev_parent;

	bool nvidia_vgpu;		/* nvidia/ directory present */
	bool vgpu_scanned;
	struct pt_vgpu_type *vgpu_types;
	unsigned int current_vgpu_type;

	char *critical;			/* reasons, "; "-joined */
};

int pt__pci_scan(struct pt_ctx *ctx);
void pt__pci_free(struct pt_ctx *ctx);

/* ---- mdev.c ------------------------------------------------------------- */

/* Find mdev parents (class/mdev_bus); link PCI parents to their function. */
int pt__mdev_scan(struct pt_ctx *ctx);
void pt__mdev_free(struct pt_ctx *ctx);
int pt__vgpu_scan(struct pt_pci_dev *dev);
void pt__vgpu_free(struct pt_pci_dev *dev);
/* Parse nvidia/creatable_vgpu_types text; exposed for unit tests. */
int pt__vgpu_types_parse(const char *text, struct pt_vgpu_type **out);

/* ---- netlink.c ---------------------------------------------------------- */

/* Fill operstate/mtu/address of a netdev from rtnetlink (live only). */
int pt__netlink_fill_link(struct pt_ctx *ctx, struct pt_netdev *nd);
void pt__netlink_free(struct pt_ctx *ctx);

/* ---- iommu.c ------------------------------------------------------------ */

struct pt_iommu_group {
	struct pt_ctx *ctx;
	size_t index;			/* position in ctx->groups */
	int number;
	struct pt_pci_dev **members;
	int n_members;
	struct pt_pci_dev **blockers;
	int n_blockers;
};

int pt__iommu_scan(struct pt_ctx *ctx);
void pt__iommu_free(struct pt_ctx *ctx);
/* Driver names under which an endpoint does not block group viability. */
bool pt__driver_is_vfio_safe(const char *driver);

/* ---- critical.c --------------------------------------------------------- */

/* Mark host-critical PCI functions (dev->critical). */
int pt__critical_scan(struct pt_ctx *ctx);

/* ---- usb.c -------------------------------------------------------------- */

int pt__usb_scan(struct pt_ctx *ctx);
void pt__usb_free(struct pt_ctx *ctx);

/* ---- check.c ------------------------------------------------------------ */

int pt__check_run(struct pt_ctx *ctx);
void pt__check_free(struct pt_ctx *ctx);

#endif /* PT_PRIVATE_H */
