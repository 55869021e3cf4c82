/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libpassthru internals, grouped by the file that owns them. */
#ifndef PT_PRIVATE_H
#define PT_PRIVATE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <syslog.h>
#include <time.h>
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

	/* frees registered by the files above the model (pt__ctx_register_free) */
	void (**frees)(struct pt_ctx *ctx);
	size_t n_frees;

	pt_log_fn log_fn;
	void *log_data;
	int log_priority;

	char *sysfs_root;
	char *dev_root;
	char *conf_dir;
	char *proc_root;
	char *modules_dir;
	int sysfs_fd;		/* O_PATH directory fd of sysfs_root, or -1 */
	bool sysfs_trusted;	/* sysfs_fd is the live /sys or a sysfs mount */
	char *nvml_library;	/* NULL: libnvidia-ml.so.1 (nvml.c) */
	struct pt__nvml *nvml;	/* loaded on first use (nvml.c) */
	struct pt__kmod *kmod;	/* libkmod, loaded on first use (module.c) */

	/* pci.c */
	struct pci_access *pacc;
	bool pci_scanned;
	struct pt_pci_dev **pci;	/* sorted by BDF */
	size_t n_pci;
	char **names;			/* interned PCI names, open addressing */
	size_t names_cap, names_used;
	int pci_scan_rc;		/* 0, or -errno: the scan failed */
	char **pci_problems;		/* what the scan could not read */
	size_t n_pci_problems;
	struct pt_pci_dev *pci_last_named;	/* name lookups reuse its names */
	uint64_t *pci_ids_vendors;	/* 65,536 bits: vendor blocks libpci holds */
	bool pci_ids_full;		/* libpci loads pci.ids itself, in full */
	size_t pci_n_named;		/* functions named: all, and the list goes */
	const char *pci_ids_path;	/* NULL: libpci's default; not owned (tests) */

	/* iommu.c */
	bool iommu_scanned;
	struct pt_iommu_group *groups;	/* sorted by number, one block */
	size_t n_groups;
	struct pt_pci_dev **group_devs;	/* the groups' members, then blockers */

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

	/* group.c */
	bool conf_loaded;
	int conf_rc;
	char *conf_error;
	bool conf_keep_going;		/* skip invalid state files, list them */
	char **conf_problems;		/* what was skipped, one line each */
	size_t n_conf_problems;
	struct pt_group **cgroups;	/* sorted by name */
	size_t n_cgroups;
	bool conflicts_done;
	struct pt_conflict *conflicts;

	/* check.c */
	bool checks_done;
	struct pt_check *checks;

	/* conf.c */
	int lock_timeout;		/* seconds a writer waits for .lock */
	/* attach.c (vms.d) and lease.c (the run dir) */
	char *run_dir;
	/* pt_set_tenant(): the VMs and leases are this tenant's (tenantdir.c) */
	char *tenant;
	bool vms_loaded;
	int vms_rc;
	char *vms_error;
	struct pt_vm **vms;		/* sorted by name */
	size_t n_vms;
	bool leases_loaded;
	int leases_rc;
	char *leases_error;
	struct pt_lease **leases;	/* sorted by VM name */
	size_t n_leases;

	/* tenant.c (tenants.d) */
	bool tenants_loaded;
	int tenants_rc;
	char *tenants_error;
	struct pt_tenant **tenants;	/* sorted by name */
	size_t n_tenants;
	char **tenants_unreadable;	/* not root: other tenants' names */
	size_t n_tenants_unreadable;
	char *tenant_probe;		/* not root: a tenant asked for by name */
};

/* Drop everything scanned and loaded (roots changed). */
void pt__ctx_flush(struct pt_ctx *ctx);
/*
 * A file above the model registers what frees its part of the context
 * (once; again is a no-op). pt__ctx_flush() runs them newest first, then
 * frees the model. 0 or -ENOMEM.
 */
int pt__ctx_register_free(struct pt_ctx *ctx, void (*fn)(struct pt_ctx *ctx));
/* A new context with ctx's roots and log: a scan of its own. */
int pt__ctx_clone(struct pt_ctx *ctx, struct pt_ctx **out);

/* Duplicate a string; NULL in, NULL out. */
char *pt__strdup(const char *s);
/* A boolean as the state files spell it (yes/true/on/1, no/false/off/0): 1, 0 or -EINVAL. */
int pt__parse_bool(const char *v);
/* Format a one-line error into err (errlen bytes; none: left out); returns r. */
int pt__seterr(char *err, size_t errlen, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Append a formatted string to a heap array of n strings: 0 or -ENOMEM. */
int pt__strv_add(char ***v, int *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int pt__strv_vadd(char ***v, int *n, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
/* Free a heap array of n heap strings (NULL: nothing). */
void pt__strv_free(char **v, size_t n);
/*
 * Append item to the heap array arr of n elements (both lvalues, n
 * counted up): 0, or -ENOMEM with arr and n as they were.
 */
#define pt__array_add(arr, n, item) __extension__ ({				\
	__typeof__(arr) na__ = realloc((arr), ((n) + 1) * sizeof(*na__));	\
									\
	if (na__) {							\
		na__[(n)++] = (item);					\
		(arr) = na__;						\
	}								\
	na__ ? 0 : -ENOMEM;						\
})
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
/*
 * Open bus/pci/devices/<bdf>/.. (O_PATH): the directory that holds the
 * function's own, where its VFs' directories sit when its virtfnN links
 * read "../<vf bdf>". fd or -errno.
 */
int pt__sysfs_open_pci_dev_parent(struct pt_ctx *ctx, const char *bdf);
/* Open class/net/<name>, the netdev's directory (name: one component). */
int pt__sysfs_open_netdev(struct pt_ctx *ctx, const char *name);
/* Open a directory relative to dirfd (name validated); fd or -errno. */
int pt__sysfs_openat_dir(int dirfd, const char *name);

/*
 * Read attribute name below dirfd into buf, trailing newline removed.
 * Returns the length or -errno. Opened O_NONBLOCK | O_NOCTTY and resolved
 * inside the tree (a captured root: openat2 RESOLVE_IN_ROOT); one bounded
 * read. An empty regular file is "" (0); a FIFO without data or a device
 * node giving nothing is -EINVAL, a directory -EISDIR (see sysfs.c's head
 * comment for a FIFO whose writer has written). -ENOSYS: a captured root
 * on a kernel without openat2.
 */
ssize_t pt__sysfs_read(int dirfd, const char *name, char *buf, size_t len);
/* Parse an attribute as an integer (base 0: "0x10de" and "16" both work). */
int pt__sysfs_read_long(int dirfd, const char *name, long *val);
/*
 * An integer attribute the kernel keeps within [min, max] (sriov_numvfs
 * <= 65535): a value outside it, or too large for a long, is an
 * unreadable attribute: -ERANGE and a warning naming the file. Not a
 * number: -EINVAL. Else 0 and *val, or the read's -errno.
 */
int pt__sysfs_read_range(struct pt_ctx *ctx, int dirfd, const char *name,
			 long min, long max, long *val);
/* Basename of a symlink's target ("driver" -> "vfio-pci"); length or -errno. */
ssize_t pt__sysfs_readlink_base(int dirfd, const char *name, char *buf,
				size_t len);
/*
 * pt__sysfs_readlink_base(), and *sibling: the target is "../<basename>",
 * a directory next to dirfd's (a PF's virtfnN link to its VF).
 */
ssize_t pt__sysfs_readlink_sibling(int dirfd, const char *name, char *buf,
				   size_t len, bool *sibling);
/* 0 when name below dirfd exists (an ACPI table mode 0400 too), or -errno. */
int pt__sysfs_exists(int dirfd, const char *name);
/* Raw symlink target; length or -errno. */
ssize_t pt__sysfs_readlink(int dirfd, const char *name, char *buf, size_t len);
/*
 * Write val to attribute name below dirfd: O_WRONLY|O_TRUNC|O_NOFOLLOW,
 * one write(2). 0 or -errno.
 */
int pt__sysfs_write(int dirfd, const char *name, const char *val);
/*
 * A root-relative file under proc_root ("mounts", "net/route"); fd or
 * -errno. rel validated like pt__sysfs_open_dir().
 */
int pt__proc_open(struct pt_ctx *ctx, const char *rel);
/*
 * Does a process under proc_root hold dev_root/devrel open (a link in
 * <pid>/fd/ to it)? 1 with "pid N (comm)" in who, 0 when no process we
 * may look into does, -errno when proc_root cannot be read.
 */
int pt__proc_dev_holder(struct pt_ctx *ctx, const char *devrel, char *who,
			size_t wlen);
/* "pid N (comm)" of the process pid (decimal) under proc_root. */
void pt__proc_who(struct pt_ctx *ctx, const char *pid, char *who, size_t wlen);
/* Raw target of the symlink dev_root/rel; length or -errno. */
ssize_t pt__dev_readlink(struct pt_ctx *ctx, const char *rel, char *buf,
			 size_t len);
/* 0 when dev_root/rel exists (links followed), else -errno. */
int pt__dev_exists(struct pt_ctx *ctx, const char *rel);
/* A file below modules_dir ("modules.dep"); fd or -errno. */
int pt__modules_open(struct pt_ctx *ctx, const char *rel);
/* The nearest PCI function (BDF) on a sysfs link target path; 0 or -ENOENT. */
int pt__sysfs_path_pci_ancestor(const char *path, char bdf[PT_BDF_LEN]);
/* Open the sysfs root: 0 or -errno (-ENOENT: it does not exist). */
int pt__sysfs_root_check(struct pt_ctx *ctx);
/*
 * The entries of an open directory, sorted by strcmp, dot names left out:
 * *names is an array of *n heap strings (free each, then the array).
 * 0 or -errno (a failed getdents is an error, never a short list).
 */
int pt__sysfs_list_dir(int dirfd, char ***names, size_t *n);
/*
 * "<root>/bus/pci/devices[/<bdf>[/<attr>]]" for messages (never opened);
 * 0 or -ENAMETOOLONG.
 */
int pt__sysfs_pci_dev_path(struct pt_ctx *ctx, const char *bdf,
			   const char *attr, char *buf, size_t len);

/*
 * Object paths, root-relative: only sysfs.c turns objects into paths.
 * Names are validated (-EINVAL); -ERANGE when buf is too small.
 */
#define PT__SYSFS_PCI_BUS	"bus/pci"
/* "bus/pci/devices/<bdf>" */
int pt__sysfs_pci_dev_rel(const char *bdf, char *buf, size_t len);
/* "bus/pci/drivers/<driver>" */
int pt__sysfs_pci_driver_rel(const char *driver, char *buf, size_t len);
int pt__sysfs_open_pci_driver(struct pt_ctx *ctx, const char *driver);
int pt__sysfs_open_pci_bus(struct pt_ctx *ctx);
/* Raw target of the bus/pci/devices/<bdf> link; length or -errno. */
ssize_t pt__sysfs_readlink_pci_dev(struct pt_ctx *ctx, const char *bdf,
				   char *buf, size_t len);
/* "vfio/<group>", below the dev root. */
int pt__dev_vfio_group_rel(const char *group, char *buf, size_t len);
/* "bus/usb/BBB/DDD" (usbfs), below the dev root; numbers range-checked. */
int pt__dev_usb_rel(int busnum, int devnum, char *buf, size_t len);
/*
 * An O_PATH fd of dev_root/rel, walked one component at a time with
 * O_NOFOLLOW: a link anywhere on the way, the last component included,
 * is -ELOOP. rel validated like pt__sysfs_open_dir(). fd or -errno.
 */
int pt__dev_open_node(struct pt_ctx *ctx, const char *rel);

/* ---- pci.c -------------------------------------------------------------- */

struct pt_netdev {
	struct pt_netdev *next;
	struct pt_pci_dev *dev;
	char *name;
	char *address;
	char *operstate;
	int mtu;
	bool lazy;			/* the three above not read yet */
};

struct pt_mdev_type {
	struct pt_mdev_type *next;
	struct pt_mdev_parent *parent;
	char *id;
	char *name;
	char *description;
	char *device_api;
	int available_instances;
	struct pt_vgpu_profile *profile;	/* vgpu-profile.c, on first use */
	bool profile_done;
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
	struct pt_vgpu_profile *profile;	/* vgpu-profile.c, on first use */
	bool profile_done;
};

struct pt_pci_dev {
	struct pt_ctx *ctx;
	size_t index;			/* position in ctx->pci */
	char bdf[PT_BDF_LEN];
	int domain, bus, devnum, func;
	uint16_t vendor_id, device_id;
	uint16_t subsys_vendor_id, subsys_device_id;
	uint32_t class;
	uint8_t revision;
	const char *vendor_name, *device_name, *class_name;	/* interned */
	const char *subsys_vendor_name, *subsys_device_name;
	char *display_name;		/* built on first use */
	char *driver;
	char *driver_override;
	char *physical_slot;
	int iommu_group;
	int numa_node;
	bool bridge;
	bool boot_vga;
	bool lazy;			/* revision, driver_override not read yet */

	int sriov_totalvfs, sriov_numvfs;
	struct pt_pci_dev *physfn;
	int vf_index;
	struct pt_pci_dev **virtfn;	/* sriov_numvfs entries, may be NULL */

	struct pt_netdev *netdevs;

	struct pt_mdev_parent *mdev_parent;

	bool names_done;		/* names looked up (lazily) */
	bool nvidia_vgpu;		/* nvidia/ directory present */
	bool vgpu_scanned;
	struct pt_vgpu_type *vgpu_types;
	unsigned int current_vgpu_type;

	char *critical;			/* reasons, "; "-joined */
};

int pt__pci_scan(struct pt_ctx *ctx);
void pt__pci_free(struct pt_ctx *ctx);
/*
 * A scan of only the functions keep() accepts (it sees the identity, the
 * driver and the IOMMU group; every other function costs one uevent read
 * and one readlink) and of what the full scan relates to them: the VFs of a
 * kept PF, the PF of a kept VF, every function of a kept function's IOMMU
 * group, found again in further passes where the order hid them. Each kept
 * function is read as pt__pci_scan() reads it. 1: the model holds only
 * those (drop it with pt__pci_free() before anything enumerates the host);
 * 0: it was complete already, or scanned whole; -errno as pt__pci_scan().
 */
int pt__pci_scan_narrow(struct pt_ctx *ctx, bool (*keep)(struct pt_pci_dev *d, void *data),
			void *data);

/* ---- pciids.c ----------------------------------------------------------- */

/*
 * A copy of the pci.ids at path (or at path without ".gz", as libpci looks)
 * that holds the blocks of the vendors in want (65,536 bits) and every
 * line outside vendor blocks: a memfd at offset 0, or -ENOTSUP where the
 * copy could name anything differently from the whole file (compressed,
 * not a regular file, a line libpci would stop at, ...), or -errno.
 */
int pt__pciids_subset(const char *path, const uint64_t *want);
/* Add the vendors libpci consults to name a function with these ids. */
void pt__pciids_want_function(uint64_t *set, uint16_t vendor, uint16_t subsys_vendor);
bool pt__pciids_wants(const uint64_t *set, uint16_t vendor);
/* Whether set holds what pt__pciids_want_function() adds for these ids. */
bool pt__pciids_has_function(const uint64_t *set, uint16_t vendor, uint16_t subsys_vendor);

/* ---- mdev.c ------------------------------------------------------------- */

/* Find mdev parents (class/mdev_bus); link PCI parents to their function. */
int pt__mdev_scan(struct pt_ctx *ctx);
/* The device names under class/mdev_bus, sorted: 0, or -errno (names freed). */
int pt__mdev_bus_names(struct pt_ctx *ctx, char ***names, size_t *n);
void pt__mdev_free(struct pt_ctx *ctx);
/* Read a parent's types and instances (once). */
int pt__mdev_parent_fill(struct pt_mdev_parent *p);
/* An instance's IOMMU group from bus/mdev/devices/<uuid>/iommu_group. */
void pt__mdev_read_iommu_group(struct pt_ctx *ctx, struct pt_mdev *m);
bool pt__mdev_is_uuid(const char *s);
int pt__vgpu_scan(struct pt_pci_dev *dev);
void pt__vgpu_free(struct pt_pci_dev *dev);
/* Parse nvidia/creatable_vgpu_types text; exposed for unit tests. */
int pt__vgpu_types_parse(const char *text, struct pt_vgpu_type **out);

/* ---- module.c: kernel modules ------------------------------------------- */

/*
 * Is <sysfs root>/module/<name> there ('-' read as '_'), and live (a
 * built-in module has no initstate)?
 */
bool pt__module_is_loaded(struct pt_ctx *ctx, const char *name);

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

/* ---- conf.c: INI files and the locked, atomic state store ----------------- */

/*
 * One INI file, read with inih. Two views: the parsed sections/keys (for
 * reading and validation, with line numbers) and the raw lines (for edits
 * that keep the admin's comments and layout).
 */
struct pt_ini_kv {
	char *key;
	char *value;
	int line;			/* 1-based */
};

struct pt_ini_section {
	char *name;			/* text between [ and ]: "group", "rule \"a100\"" */
	int line;
	struct pt_ini_kv *kv;
	size_t n_kv;
};

struct pt_ini_file {
	char *relpath;			/* relative to the conf dir: "groups.d/gpu.ini" */
	struct pt_ini_section *sections;
	size_t n_sections;
	char **lines;			/* without newlines */
	size_t n_lines;
	char *orig;			/* content as read ("" for a new file) */
	bool dirty;
	bool deleted;
	/*
	 * A file for root and one Unix group (a tenant's, tenants.d): written
	 * 0640 root:gid instead of 0644 root:root, and rewritten at the next
	 * commit when the file on disk has another mode or group.
	 */
	bool restricted;
	unsigned int gid;
	/*
	 * Set by the store's reader (on_file) when the file passed its
	 * validation: a transaction's store may then remember it in the
	 * record of validated files (see pt__store_open_lazy()).
	 */
	bool validated;
	/*
	 * Not read: a groups.d file whose stat matched the record of
	 * validated files at open (pt__store_open_lazy()); relpath only,
	 * no content until pt__store_load() reads it.
	 */
	bool unread;
};

/*
 * Parse text with inih. On a syntax error returns -EINVAL with err set to
 * "<relpath>:<line>: <what>". Keys before any section are an error.
 */
int pt__ini_parse(const char *relpath, const char *text,
		  struct pt_ini_file **out, char *err, size_t errlen);
void pt__ini_free(struct pt_ini_file *f);
struct pt_ini_section *pt__ini_find_section(struct pt_ini_file *f,
					    const char *section);
/* Value of key in section, or NULL. */
const char *pt__ini_get(struct pt_ini_file *f, const char *section,
			const char *key);
/*
 * Line-preserving edits; each re-parses the file so both views agree.
 * set: replace the key's line, else append it to the section (created at
 * the end of the file when missing). 0 or -errno.
 */
int pt__ini_set(struct pt_ini_file *f, const char *section, const char *key,
		const char *value);
int pt__ini_unset(struct pt_ini_file *f, const char *section, const char *key);
int pt__ini_remove_section(struct pt_ini_file *f, const char *section);
/* The file's text as it would be written. malloc'd. */
char *pt__ini_render(struct pt_ini_file *f);
/*
 * A store of many files need not hold every file's parsed views (lines,
 * sections, keys: several times the text): drop frees them from a file
 * that is not dirty and keeps its text (orig); pt__ini_views() parses
 * the text again, and every pt__ini_* call above does so first. Code
 * that reads f->sections or f->lines itself calls pt__ini_views() on a
 * file that may have been dropped. 0, or -ENOMEM.
 */
void pt__ini_drop_views(struct pt_ini_file *f);
int pt__ini_views(struct pt_ini_file *f);

/* The closest candidate by edit distance (<= 2, or a third of the length). */
const char *pt__closest(const char *word, const char *const *candidates);

/*
 * The state directory. pt__store_open(write=true) creates the conf dir
 * and groups.d/ (0755) when missing and takes flock(LOCK_EX) on
 * <conf>/.lock (opened O_NOFOLLOW); then it reads every groups.d/ *.ini
 * and applied.d/ *.ini (each may be missing; files sorted by relpath,
 * other names ignored). Parse errors, in either directory: -EINVAL,
 * message "<relpath>:<line>: <what>" in err. A read-only open takes no
 * lock (renames keep readers whole). Files are "groups.d/<name>.ini" or
 * "applied.d/<name>.ini" (the record of pt-group apply; applied.d/ is
 * created 0755 by the first commit that writes there); other relpaths
 * are -EINVAL.
 */
struct pt_store {
	struct pt_ctx *ctx;
	/*
	 * pt__store_open_each(): called with each file just read and parsed,
	 * before the next is read; < 0 stops the open with that error (err
	 * set by it), 1 drops the file (not kept in the store), 0 keeps it.
	 */
	int (*on_file)(struct pt_store *st, struct pt_ini_file *f, void *data,
		       char *err, size_t errlen);
	void *on_file_data;
	int dirfd;			/* conf dir, O_PATH */
	int lockfd;			/* -1 when read-only */
	uid_t euid;			/* geteuid() at open: the trust checks apply to root */
	struct pt_ini_file **files;
	size_t n_files, cap_files;
	/* ctx->conf_keep_going: the files that could not be read, skipped */
	struct pt_store_bad {
		char *relpath;
		char *error;
	} *bad;
	size_t n_bad;
	/*
	 * Not root: tenants.d files this user may not read (another
	 * tenant's, 0640 root:GROUP), skipped; their relpaths.
	 */
	char **unreadable;
	size_t n_unreadable;
	/* Not root: tenants.d (0711) could not be listed; read by name only */
	bool tenants_unlisted;
	/*
	 * pt__store_open_lazy(): groups.d files known valid from the record
	 * of validated files are kept unread; how many were (never falls).
	 */
	bool lazy;
	size_t n_unread;
	struct pt_valid_entry *valid;	/* the record as read: sorted by relpath */
	size_t n_valid;
	char *valid_text;		/* its text, to write it only when it changes */
	char *valid_buf;		/* the same, cut up: the entries' relpaths */
	struct timespec opened;		/* CLOCK_REALTIME before the first file was read */
};

int pt__store_open(struct pt_ctx *ctx, bool write, struct pt_store **out,
		   char *err, size_t errlen);
/*
 * The same, handing each file to on_file as it is read (see struct
 * pt_store): one file's views at a time instead of every file's.
 */
int pt__store_open_each(struct pt_ctx *ctx, bool write,
			int (*on_file)(struct pt_store *st, struct pt_ini_file *f,
				       void *data, char *err, size_t errlen),
			void *data, struct pt_store **out, char *err, size_t errlen);
/*
 * A read-only store holding one file, relpath ("applied.d/gpu.ini"), or
 * none when it does not exist: the same checks as pt__store_open() for
 * the conf dir, relpath's directory and the file, without reading every
 * other file (a record looked up per group stays linear in the groups).
 */
int pt__store_open_file(struct pt_ctx *ctx, const char *relpath,
			struct pt_store **out, char *err, size_t errlen);
/*
 * pt__store_open_each() for a transaction: a groups.d file whose
 * (dev, inode, size, mtime, ctime) match the record of validated files
 * (<conf>/.validated, see lib/conf.c) and that passes the trust checks
 * is not read or handed to on_file: it is kept unread (f->unread) until
 * pt__store_load(). A writer (write=true) then writes the record again,
 * under the lock, when what it knows valid changed: the unread files and
 * those on_file marked validated, less the racily new ones.
 */
int pt__store_open_lazy(struct pt_ctx *ctx, bool write,
			int (*on_file)(struct pt_store *st, struct pt_ini_file *f,
				       void *data, char *err, size_t errlen),
			void *data, struct pt_store **out, char *err, size_t errlen);
/*
 * Read an unread file (*f) now, with every check of a full open, and
 * hand it to on_file to validate (< 0: its error, err set). *f becomes
 * the file as read, or NULL when it disappeared. 0 or -errno.
 */
int pt__store_load(struct pt_store *st, struct pt_ini_file **f,
		   int (*on_file)(struct pt_store *st, struct pt_ini_file *f,
				  void *data, char *err, size_t errlen),
		   void *data, char *err, size_t errlen);
struct pt_ini_file *pt__store_find(struct pt_store *st, const char *relpath);
/* Why relpath was skipped as invalid (keep-going loads), or NULL. */
const char *pt__store_bad(struct pt_store *st, const char *relpath);
/* A new, empty file in the store (dirty); -EEXIST if present. */
int pt__store_new_file(struct pt_store *st, const char *relpath,
		       struct pt_ini_file **out);
/* Mark a file for removal on commit. */
int pt__store_delete_file(struct pt_store *st, const char *relpath);
/* "applied.d/<group>.ini" into buf: 0, -EINVAL (bad name), -ERANGE (buf). */
int pt__store_applied_relpath(const char *group, char *buf, size_t len);
/* Unified diff ("--- a/x", "+++ b/x", "@@ ... @@" hunks) of dirty files. */
char *pt__store_diff(struct pt_store *st);
/* The same of one text: from NULL (a new file) or to NULL (removed). */
char *pt__text_diff(const char *relpath, const char *from, const char *to);
/*
 * Read tenants.d/<name>.ini into the store by name (a user who is not
 * root and cannot list tenants.d): 0 also when missing or unreadable
 * (then listed in unreadable), else -errno with err set.
 */
int pt__store_read_tenant(struct pt_store *st, const char *name, char *err, size_t errlen);
/*
 * Write every dirty file atomically: <dir>/.<name>.XXXXXX created
 * O_EXCL|O_NOFOLLOW mode 0644 (fchmod, owner root when running as root),
 * write, fsync, rename over the target, fsync the directory; deleted files
 * unlinked and the directory fsynced. 0 or -errno; on error nothing half-
 * written remains (temp files removed).
 */
int pt__store_commit(struct pt_store *st);
void pt__store_close(struct pt_store *st);

/* ---- nvml.c: NVIDIA's NVML, loaded at run time ------------------------------ */

/*
 * The few NVML entry points passthru calls, declared from NVIDIA's
 * published API (Debian ships no NVML header) and resolved with dlsym
 * from libnvidia-ml.so.1 (or the library set with pt_set_nvml_library()).
 * Nothing links against NVML. The w_ entries change the GPU: only the
 * binder nvmig.c calls them (tests/layering checks).
 */
typedef struct pt__nvml_dev *pt__nvml_dev_t;
typedef struct pt__nvml_gi *pt__nvml_gi_t;

struct pt__nvml_gi_profile_info {	/* nvmlGpuInstanceProfileInfo_t */
	unsigned int id, is_p2p_supported, slice_count, instance_count;
	unsigned int multiprocessor_count, copy_engine_count, decoder_count;
	unsigned int encoder_count, jpeg_count, ofa_count;
	unsigned long long memory_size_mb;
};

struct pt__nvml_gi_info {		/* nvmlGpuInstanceInfo_t */
	pt__nvml_dev_t device;
	unsigned int id, profile_id;
	unsigned int placement_start, placement_size;
};

struct pt__nvml_hetero {		/* nvmlVgpuHeterogeneousMode_v1_t */
	unsigned int version, mode;
};
#define PT__NVML_HETERO_V1	0x1000008u	/* sizeof | 1 << 24 */

struct pt__nvml_placements {		/* nvmlVgpuPlacementList_v1_t */
	unsigned int version, placement_size, count;
	unsigned int *placement_ids;
};
struct pt__nvml_process {		/* nvmlProcessInfo_t (v2, v3) */
	unsigned int pid;
	unsigned long long used_gpu_memory;
	unsigned int gpu_instance_id, compute_instance_id;
};

#define PT__NVML_PLACEMENTS_V1	((unsigned int)(sizeof(struct pt__nvml_placements) | 1u << 24))
/* nvmlDeviceVgpuCapability_t: NVML's "Heterogeneous Time-Slice Sizes" */
#define PT__NVML_VGPU_CAP_HETEROGENEOUS_TIMESLICE_SIZES	2

enum {					/* nvmlReturn_t values passthru tells apart */
	PT__NVML_SUCCESS = 0,
	PT__NVML_ERROR_INVALID_ARGUMENT = 2,
	PT__NVML_ERROR_NOT_SUPPORTED = 3,
	PT__NVML_ERROR_NO_PERMISSION = 4,
	PT__NVML_ERROR_NOT_FOUND = 6,
	PT__NVML_ERROR_INSUFFICIENT_SIZE = 7,
	PT__NVML_ERROR_DRIVER_NOT_LOADED = 9,
	PT__NVML_ERROR_RESET_REQUIRED = 16,
	PT__NVML_ERROR_IN_USE = 19,
	PT__NVML_ERROR_INSUFFICIENT_RESOURCES = 23,
};

#define PT__NVML_GI_PROFILE_MAX	16	/* profile ids tried: 0 .. MAX-1 */

struct pt__nvml {
	void *dl;
	int (*init)(void);
	int (*shutdown)(void);
	const char *(*error_string)(int);
	int (*get_handle_by_pci_bus_id)(const char *, pt__nvml_dev_t *);
	int (*get_mig_mode)(pt__nvml_dev_t, unsigned int *, unsigned int *);
	int (*get_gi_profile_info)(pt__nvml_dev_t, unsigned int,
				   struct pt__nvml_gi_profile_info *);
	int (*get_gi_remaining)(pt__nvml_dev_t, unsigned int, unsigned int *);
	int (*get_gis)(pt__nvml_dev_t, unsigned int, pt__nvml_gi_t *, unsigned int *);
	int (*get_gi_by_id)(pt__nvml_dev_t, unsigned int, pt__nvml_gi_t *);
	int (*gi_get_info)(pt__nvml_gi_t, struct pt__nvml_gi_info *);
	int (*get_hetero)(pt__nvml_dev_t, struct pt__nvml_hetero *);
	int (*get_vgpu_cap)(pt__nvml_dev_t, unsigned int, unsigned int *);
	int (*get_creatable_placements)(pt__nvml_dev_t, unsigned int,
					struct pt__nvml_placements *);
	int (*get_compute_procs)(pt__nvml_dev_t, unsigned int *,
				 struct pt__nvml_process *);
	/* writes: nvmig.c only */
	int (*w_set_mig_mode)(pt__nvml_dev_t, unsigned int, int *);
	int (*w_create_gi)(pt__nvml_dev_t, unsigned int, pt__nvml_gi_t *);
	int (*w_destroy_gi)(pt__nvml_gi_t);
	int (*w_set_hetero)(pt__nvml_dev_t, const struct pt__nvml_hetero *);
};

/*
 * NVML, loaded and initialised once per context. 0, or -errno with why
 * set ("libnvidia-ml.so.1 cannot be loaded: ...; install the NVIDIA
 * host driver or set -O nvml.library=PATH"): -ENOENT no library, -ENODEV
 * nvmlInit failed (no NVIDIA driver loaded), -ENOSYS an entry point
 * missing. A failure is remembered: a context tries once.
 */
int pt__nvml_open(struct pt_ctx *ctx, struct pt__nvml **out, char *why, size_t wlen);
/* NVML's handle of the GPU at bdf; 0 or -errno (-ENODEV: NVML does not know it). */
int pt__nvml_device(struct pt__nvml *n, const char *bdf, pt__nvml_dev_t *dev);
/* An NVML return code as an errno, and as NVML's text. */
int pt__nvml_errno(int rc);
const char *pt__nvml_strerror(struct pt__nvml *n, int rc);
/* MIG mode now and pending (after a reset); -EOPNOTSUPP: no MIG on this GPU. */
int pt__nvml_mig_mode(struct pt__nvml *n, pt__nvml_dev_t dev, int *cur, int *pending);
/*
 * The GPU-instance profile for a MIG-backed vGPU profile: slices as the
 * type name says, the memory nearest its framebuffer, the media-engine
 * variant (profile ids 7 and 8, "+me") only for a name with ME. 0 with
 * *info, -ENOENT none, -errno.
 */
int pt__nvml_gi_profile(struct pt__nvml *n, pt__nvml_dev_t dev, int slices, int fb_gb,
			bool media, struct pt__nvml_gi_profile_info *info);
/* The ids of the GPU instances of profile_id now: count (<= max) or -errno. */
int pt__nvml_gi_ids(struct pt__nvml *n, pt__nvml_dev_t dev, unsigned int profile_id,
		    unsigned int *ids, unsigned int max);
/* Every GPU instance of the GPU: count (<= max) or -errno. */
int pt__nvml_gi_all(struct pt__nvml *n, pt__nvml_dev_t dev, unsigned int *ids,
		    unsigned int max);
/* Heterogeneous time-slice mode: 0/1, -EOPNOTSUPP not supported, -errno. */
int pt__nvml_hetero_mode(struct pt__nvml *n, pt__nvml_dev_t dev);
/* The processes that use the GPU, "pid N (comm), ..." in who: count or -errno. */
int pt__nvml_processes(struct pt_ctx *ctx, struct pt__nvml *n, pt__nvml_dev_t dev,
		       char *who, size_t wlen);
/* The "Heterogeneous Time-Slice Sizes" vGPU capability: 0/1 or -errno. */
int pt__nvml_hetero_capable(struct pt__nvml *n, pt__nvml_dev_t dev);
/* How many placements NVML offers for one more vGPU of type_id now, or -errno. */
int pt__nvml_placements(struct pt__nvml *n, pt__nvml_dev_t dev, unsigned int type_id);
/*
 * GPU instances of the GI profile of a MIG-backed vGPU profile (slices,
 * fb_gb, media) that exist now, or -errno (-ENOENT: no such GI profile).
 */
int pt__nvml_gi_count(struct pt__nvml *n, pt__nvml_dev_t dev, int slices, int fb_gb,
		      bool media);

/* ---- vgpu-profile.c: NVIDIA vGPU profile names --------------------------- */

struct pt_vgpu_profile {
	char name[48];		/* canonical: A100-3-20C, L40S-24Q, H100XM-1-10CME */
	char board[24];		/* A100, H100XM, L40S */
	int fb_gb;		/* framebuffer, GB */
	char series;		/* 'A', 'B', 'C' or 'Q' */
	int slices;		/* GPU-instance slices; 0: time-sliced */
	char media[8];		/* "", "ME", "NOME", "MEALL", "GFX" */
	int max_instances;	/* per GPU, as the driver states it; -1: not stated */
};

/*
 * Parse "A100-3-20C", "GRID A100-4C", "NVIDIA L40S-24Q" or a
 * creatable_vgpu_types line "1414 : NVIDIA H200X-1-18C" (*id, when given:
 * the line's id, else 0). 0 or -EINVAL; max_instances is -1.
 */
int pt__vgpu_profile_parse(const char *text, struct pt_vgpu_profile *out,
			   unsigned int *id);
/* max_instance=N of an mdev type description; -1 when absent. */
int pt__vgpu_description_max_instances(const char *desc);
/*
 * Does a wanted profile (a group's profile setting) name this type: its
 * id, its name, or the same NVIDIA profile ("A100-4C" is "GRID A100-4C")?
 */
bool pt__vgpu_type_matches(const char *want, const char *id, const char *name);

/* ---- vgpu.c: a GPU's vGPU, on the GPU or its VFs ---------------------------- */

struct pt_vgpu_offer {
	struct pt_pci_dev *fn;		/* the GPU or the VF that offers it */
	const char *id;			/* mdev type id, or a per-VF id in decimal */
	const char *name;		/* may be NULL */
	int available;			/* more now; -1: not stated */
	struct pt_vgpu_profile *profile;	/* NULL: not an NVIDIA profile name */
};
typedef int (*pt__vgpu_offer_fn)(const struct pt_vgpu_offer *o, void *data);
typedef int (*pt__vgpu_running_fn)(struct pt_pci_dev *fn, const char *id,
				   const char *name, struct pt_vgpu_profile *prof,
				   void *data);
/* Every type the GPU, or one of its VFs, offers; stops at a non-zero return. */
int pt__vgpu_foreach_offer(struct pt_pci_dev *gpu, pt__vgpu_offer_fn fn, void *data);
/* Every vGPU instance on the GPU or its VFs (mdevs, per-VF current types). */
int pt__vgpu_foreach_running(struct pt_pci_dev *gpu, pt__vgpu_running_fn fn,
			     void *data);
bool pt__vgpu_vfs_have_mdev(struct pt_pci_dev *gpu);
/* The id of the vGPU type a VF offers under a profile (name or id); 0: none. */
unsigned int pt__vgpu_vf_type_id(struct pt_pci_dev *vf, const char *profile);
bool pt__vgpu_vfs_have_nvidia(struct pt_pci_dev *gpu);
/*
 * The never-mixed rule for a vgpu group's GPU: another group with the other
 * kind of profile shares it, or it runs instances of the other kind.
 * 1 with *why (malloc'd, names both groups or the instance), 0, -ENOMEM.
 */
int pt__vgpu_mixing_problem(struct pt_group *g, struct pt_pci_dev *gpu, char **why);
/* 1: the group's profile is MIG-backed, 0: time-sliced, -1: unknown. */
int pt__vgpu_group_mig(struct pt_group *g);
/* A GPU's vGPU in a few words, for the doctor. */
struct pt__vgpu_summary {
	const char *iface;		/* "mdev", "mdev on VFs", "per-VF VFIO", NULL */
	int mig_listed, ts_listed;	/* types listed, by kind */
	int mig_now, ts_now;		/* of those, creatable now */
	int running_mig, running_ts;	/* instances, by kind (named ones) */
	bool placement;			/* VFs show nvidia/placement_id */
};
void pt__vgpu_summarize(struct pt_pci_dev *gpu, struct pt__vgpu_summary *sm);
/* The profile = value of a vgpu group: 0, or -EINVAL with err (did-you-mean). */
int pt__vgpu_profile_setting_check(struct pt_ctx *ctx, const char *value,
				   char *err, size_t elen);

#endif /* PT_PRIVATE_H */
