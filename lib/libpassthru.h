/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libpassthru - device passthrough management for Linux KVM hosts
 *
 * One opaque context (struct pt_ctx) owns the libpci access, the libusb
 * context, the netlink socket and every object it scanned. Objects are
 * opaque, owned by the context and filled lazily on the first
 * *_get_first() call. Functions returning int give 0 or a negative errno;
 * functions returning pointers give NULL on failure or when absent.
 * The library never prints and never exits: it logs through the callback
 * set with pt_set_log_fn().
 */
#ifndef LIBPASSTHRU_H
#define LIBPASSTHRU_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pt_ctx;
struct pt_pci_dev;
struct pt_netdev;
struct pt_mdev_type;
struct pt_mdev;
struct pt_vgpu_type;
struct pt_iommu_group;
struct pt_usb_dev;
struct pt_check;

/* ---- context (ctx.c) ---------------------------------------------------- */

int pt_new(struct pt_ctx **ctx);
struct pt_ctx *pt_ref(struct pt_ctx *ctx);
struct pt_ctx *pt_unref(struct pt_ctx *ctx);

/*
 * Roots. Every path the library reads or writes is relative to one of
 * these. Defaults: "/sys", "/dev", "/etc/passthru", "/proc" and
 * "/lib/modules/<uname -r>". Setting a root drops everything scanned so
 * far. Returns -EINVAL for a relative or empty path, -ENOMEM.
 */
int pt_set_sysfs_root(struct pt_ctx *ctx, const char *dir);
const char *pt_get_sysfs_root(struct pt_ctx *ctx);
int pt_set_dev_root(struct pt_ctx *ctx, const char *dir);
const char *pt_get_dev_root(struct pt_ctx *ctx);
int pt_set_conf_dir(struct pt_ctx *ctx, const char *dir);
const char *pt_get_conf_dir(struct pt_ctx *ctx);
int pt_set_proc_root(struct pt_ctx *ctx, const char *dir);
const char *pt_get_proc_root(struct pt_ctx *ctx);
int pt_set_modules_dir(struct pt_ctx *ctx, const char *dir);
const char *pt_get_modules_dir(struct pt_ctx *ctx);

/*
 * How long a writer of the state (pt_txn_commit, apply, release) waits
 * for another writer's lock on <conf dir>/.lock, in seconds; 0: not at
 * all. Then it fails with -ETIMEDOUT, naming the holder. Default
 * PT_LOCK_TIMEOUT_DEFAULT. -EINVAL for a negative value.
 */
#define PT_LOCK_TIMEOUT_DEFAULT	30
int pt_set_lock_timeout(struct pt_ctx *ctx, int seconds);
int pt_get_lock_timeout(struct pt_ctx *ctx);

/*
 * True when the sysfs and proc roots are the running system's ("/sys",
 * "/proc"). Live-only sources (libusb enumeration, netlink link state,
 * mount and route tables) are consulted only then.
 */
bool pt_is_live(struct pt_ctx *ctx);

/* ---- logging (log.c) ---------------------------------------------------- */

/* Priorities are syslog's: LOG_ERR (3) .. LOG_DEBUG (7). */
typedef void (*pt_log_fn)(struct pt_ctx *ctx, int priority, const char *file,
			  int line, const char *fn, const char *format,
			  va_list args);
void pt_set_log_fn(struct pt_ctx *ctx, pt_log_fn fn, void *data);
void *pt_get_log_data(struct pt_ctx *ctx);
int pt_get_log_priority(struct pt_ctx *ctx);
void pt_set_log_priority(struct pt_ctx *ctx, int priority);

/* ---- PCI functions (pci.c) ---------------------------------------------- */

#define PT_NO_IOMMU_GROUP	(-1)
#define PT_NO_NUMA_NODE		(-1)

struct pt_pci_dev *pt_pci_dev_get_first(struct pt_ctx *ctx);
struct pt_pci_dev *pt_pci_dev_get_next(struct pt_pci_dev *dev);
#define pt_pci_dev_foreach(ctx, dev) \
	for (dev = pt_pci_dev_get_first(ctx); dev; dev = pt_pci_dev_get_next(dev))

/*
 * Scan the PCI functions now (the iterators above scan on first use):
 * 0 when bus/pci/devices was listed, or a negative errno when the scan
 * failed and lists nothing (-ENOENT, -ENOTDIR: the sysfs root is not a
 * directory; another: reading bus/pci/devices failed). A root without
 * bus/pci/devices is a host without PCI: 0 and no functions.
 */
int pt_pci_scan(struct pt_ctx *ctx);
/*
 * What the scan could not read, one message each ("<path>: <why>; function
 * left out" or "...; read as absent"): a function whose directory or ids
 * could not be read is left out, an attribute that could not be read or
 * holds a number out of the kernel's range reads as absent. Messages stay
 * valid until the context is flushed or released.
 */
int pt_pci_get_num_problems(struct pt_ctx *ctx);
const char *pt_pci_get_problem(struct pt_ctx *ctx, int idx);
/*
 * True when the scan succeeded and read everything: anything that changes
 * the host (apply, release) must refuse to plan from a scan that is not.
 */
bool pt_pci_scan_is_complete(struct pt_ctx *ctx);

/* Look one function up by its full BDF "DDDD:BB:DD.F"; NULL if absent. */
struct pt_pci_dev *pt_pci_dev_find(struct pt_ctx *ctx, const char *bdf);

struct pt_ctx *pt_pci_dev_get_ctx(struct pt_pci_dev *dev);
const char *pt_pci_dev_get_bdf(struct pt_pci_dev *dev);
int pt_pci_dev_get_domain(struct pt_pci_dev *dev);
int pt_pci_dev_get_bus(struct pt_pci_dev *dev);
int pt_pci_dev_get_devnum(struct pt_pci_dev *dev);
int pt_pci_dev_get_func(struct pt_pci_dev *dev);
uint16_t pt_pci_dev_get_vendor_id(struct pt_pci_dev *dev);
uint16_t pt_pci_dev_get_device_id(struct pt_pci_dev *dev);
uint16_t pt_pci_dev_get_subsystem_vendor_id(struct pt_pci_dev *dev);
uint16_t pt_pci_dev_get_subsystem_device_id(struct pt_pci_dev *dev);
/* 24-bit class code: base class, subclass, programming interface. */
uint32_t pt_pci_dev_get_class(struct pt_pci_dev *dev);
uint8_t pt_pci_dev_get_revision(struct pt_pci_dev *dev);
/* Names from pci.ids / hwdb through libpci; NULL when unknown. */
const char *pt_pci_dev_get_vendor_name(struct pt_pci_dev *dev);
const char *pt_pci_dev_get_device_name(struct pt_pci_dev *dev);
const char *pt_pci_dev_get_subsystem_vendor_name(struct pt_pci_dev *dev);
const char *pt_pci_dev_get_subsystem_device_name(struct pt_pci_dev *dev);
const char *pt_pci_dev_get_class_name(struct pt_pci_dev *dev);
/*
 * "<vendor name> <device name>", as pt scan's NAME column and the rule
 * field `name` show it; falls back to "<vendor name> Device 1234" and
 * "Device 10de:1234" when names are unknown. Never NULL.
 */
const char *pt_pci_dev_get_display_name(struct pt_pci_dev *dev);
/* Bound driver, or NULL when none. */
const char *pt_pci_dev_get_driver(struct pt_pci_dev *dev);
/* driver_override, or NULL when unset. */
const char *pt_pci_dev_get_driver_override(struct pt_pci_dev *dev);
int pt_pci_dev_get_iommu_group(struct pt_pci_dev *dev);
int pt_pci_dev_get_numa_node(struct pt_pci_dev *dev);
const char *pt_pci_dev_get_physical_slot(struct pt_pci_dev *dev);
/* PCI-to-PCI bridges, host bridges and root/downstream ports. */
bool pt_pci_dev_is_bridge(struct pt_pci_dev *dev);
/* boot_vga attribute is 1. */
bool pt_pci_dev_is_boot_vga(struct pt_pci_dev *dev);

/* SR-IOV. totalvfs is 0 for a function without the capability. */
int pt_pci_dev_get_sriov_totalvfs(struct pt_pci_dev *dev);
int pt_pci_dev_get_sriov_numvfs(struct pt_pci_dev *dev);
bool pt_pci_dev_is_vf(struct pt_pci_dev *dev);
/* For a VF: its PF and its index (the N of the PF's virtfnN); else NULL/-1. */
struct pt_pci_dev *pt_pci_dev_get_physfn(struct pt_pci_dev *dev);
int pt_pci_dev_get_vf_index(struct pt_pci_dev *dev);
/* For a PF: VF number idx, or NULL. */
struct pt_pci_dev *pt_pci_dev_get_virtfn(struct pt_pci_dev *dev, int idx);

/*
 * lspci's selectors, parsed by libpci: slot "[[[[<domain>]:]<bus>]:][<slot>][.[<func>]]"
 * and id "[<vendor>]:[<device>][:<class>[:<prog-if>]]"; either may be NULL.
 * On a syntax error returns -EINVAL and sets *why to libpci's message.
 */
struct pt_pci_filter;
int pt_pci_filter_new(struct pt_ctx *ctx, const char *slot, const char *id,
		      struct pt_pci_filter **out, const char **why);
bool pt_pci_filter_match(struct pt_pci_filter *f, struct pt_pci_dev *dev);
void pt_pci_filter_free(struct pt_pci_filter *f);

/*
 * Host-critical: the function carries the root filesystem, /boot, swap or
 * the default route, is the boot VGA device, or is a bridge/root port.
 * Returns NULL when not critical, else a reason ("root filesystem on
 * /dev/vda"). Several reasons are joined with "; ".
 */
const char *pt_pci_dev_get_critical_reason(struct pt_pci_dev *dev);

/* Network interfaces of a PCI function (net/ in sysfs). */
struct pt_netdev *pt_netdev_get_first(struct pt_pci_dev *dev);
struct pt_netdev *pt_netdev_get_next(struct pt_netdev *nd);
#define pt_netdev_foreach(dev, nd) \
	for (nd = pt_netdev_get_first(dev); nd; nd = pt_netdev_get_next(nd))
const char *pt_netdev_get_name(struct pt_netdev *nd);
/* MAC address "aa:bb:cc:dd:ee:ff", or NULL. */
const char *pt_netdev_get_address(struct pt_netdev *nd);
/* RFC 2863 operational state: "up", "down", "unknown", ... */
const char *pt_netdev_get_operstate(struct pt_netdev *nd);
int pt_netdev_get_mtu(struct pt_netdev *nd);

/* ---- mediated devices and vGPU types (mdev.c) --------------------------- */

/*
 * An mdev parent: a device registered in class/mdev_bus. GPUs are PCI
 * functions; sample drivers such as mtty are virtual devices.
 */
struct pt_mdev_parent;
struct pt_mdev_parent *pt_mdev_parent_get_first(struct pt_ctx *ctx);
struct pt_mdev_parent *pt_mdev_parent_get_next(struct pt_mdev_parent *p);
#define pt_mdev_parent_foreach(ctx, p) \
	for (p = pt_mdev_parent_get_first(ctx); p; p = pt_mdev_parent_get_next(p))
/* Device name in sysfs: a BDF for PCI parents, "mtty" for the sample. */
const char *pt_mdev_parent_get_name(struct pt_mdev_parent *p);
/* The PCI function, or NULL for a parent that is no PCI device. */
struct pt_pci_dev *pt_mdev_parent_get_pci_dev(struct pt_mdev_parent *p);
struct pt_mdev_parent *pt_pci_dev_get_mdev_parent(struct pt_pci_dev *dev);
struct pt_mdev_parent *pt_mdev_parent_find(struct pt_ctx *ctx, const char *name);

/* mdev types of a parent (mdev_supported_types/). */
struct pt_mdev_type *pt_mdev_type_get_first(struct pt_mdev_parent *p);
struct pt_mdev_type *pt_mdev_type_get_next(struct pt_mdev_type *t);
#define pt_mdev_type_foreach(p, t) \
	for (t = pt_mdev_type_get_first(p); t; t = pt_mdev_type_get_next(t))
struct pt_mdev_parent *pt_mdev_type_get_parent(struct pt_mdev_type *t);
const char *pt_mdev_type_get_id(struct pt_mdev_type *t);
const char *pt_mdev_type_get_name(struct pt_mdev_type *t);
const char *pt_mdev_type_get_description(struct pt_mdev_type *t);
const char *pt_mdev_type_get_device_api(struct pt_mdev_type *t);
int pt_mdev_type_get_available_instances(struct pt_mdev_type *t);

/* Existing mdev instances on a parent. */
struct pt_mdev *pt_mdev_get_first(struct pt_mdev_parent *p);
struct pt_mdev *pt_mdev_get_next(struct pt_mdev *m);
#define pt_mdev_foreach(p, m) \
	for (m = pt_mdev_get_first(p); m; m = pt_mdev_get_next(m))
const char *pt_mdev_get_uuid(struct pt_mdev *m);
const char *pt_mdev_get_type_id(struct pt_mdev *m);
int pt_mdev_get_iommu_group(struct pt_mdev *m);

/* NVIDIA per-VF vGPU (nvidia/creatable_vgpu_types, current_vgpu_type). */
bool pt_pci_dev_has_nvidia_vgpu(struct pt_pci_dev *dev);
struct pt_vgpu_type *pt_vgpu_type_get_first(struct pt_pci_dev *dev);
struct pt_vgpu_type *pt_vgpu_type_get_next(struct pt_vgpu_type *t);
#define pt_vgpu_type_foreach(dev, t) \
	for (t = pt_vgpu_type_get_first(dev); t; t = pt_vgpu_type_get_next(t))
unsigned int pt_vgpu_type_get_id(struct pt_vgpu_type *t);
const char *pt_vgpu_type_get_name(struct pt_vgpu_type *t);
/* current_vgpu_type; 0 when none is set or the file is absent. */
unsigned int pt_pci_dev_get_current_vgpu_type(struct pt_pci_dev *dev);

/*
 * NVIDIA vGPU profiles, understood (vgpu-profile.c): time-sliced
 * <board>-<GB><series> (L40S-24Q) and MIG-backed
 * <board>-<slices>-<GB><series>[ME|NOME|MEALL|GFX] (A100-3-20C). NULL when
 * the type's name is not an NVIDIA profile name. Owned by the type.
 */
struct pt_vgpu_profile;
struct pt_vgpu_profile *pt_mdev_type_get_profile(struct pt_mdev_type *t);
struct pt_vgpu_profile *pt_vgpu_type_get_profile(struct pt_vgpu_type *t);
/* Canonical name without "GRID "/"NVIDIA ": A100-3-20C. */
const char *pt_vgpu_profile_get_name(struct pt_vgpu_profile *p);
const char *pt_vgpu_profile_get_board(struct pt_vgpu_profile *p);
int pt_vgpu_profile_get_framebuffer_gb(struct pt_vgpu_profile *p);
/* 'A', 'B', 'C' or 'Q'. */
char pt_vgpu_profile_get_series(struct pt_vgpu_profile *p);
bool pt_vgpu_profile_is_mig(struct pt_vgpu_profile *p);
/* GPU-instance slices of a MIG-backed profile; 0 for a time-sliced one. */
int pt_vgpu_profile_get_gpu_instance_slices(struct pt_vgpu_profile *p);
/* "ME", "NOME", "MEALL", "GFX", or NULL. */
const char *pt_vgpu_profile_get_media(struct pt_vgpu_profile *p);
/* Instances per GPU where the driver states it (mdev max_instance); else -1. */
int pt_vgpu_profile_get_max_instances(struct pt_vgpu_profile *p);

/*
 * How many more vGPU instances of a profile (type id, name or NVIDIA
 * profile name) the GPU can take now, summed over the GPU and its VFs from
 * the driver's own files (available_instances; one per VF that lists the
 * type in creatable_vgpu_types). -ENOENT: nothing on the GPU lists it;
 * -ENODATA: listed, but the driver states no count.
 */
int pt_pci_dev_get_vgpu_capacity(struct pt_pci_dev *gpu, const char *profile);

/* ---- IOMMU groups (iommu.c) --------------------------------------------- */

struct pt_iommu_group *pt_iommu_group_get_first(struct pt_ctx *ctx);
struct pt_iommu_group *pt_iommu_group_get_next(struct pt_iommu_group *g);
#define pt_iommu_group_foreach(ctx, g) \
	for (g = pt_iommu_group_get_first(ctx); g; g = pt_iommu_group_get_next(g))
struct pt_iommu_group *pt_iommu_group_find(struct pt_ctx *ctx, int number);
int pt_iommu_group_get_number(struct pt_iommu_group *g);
int pt_iommu_group_get_num_members(struct pt_iommu_group *g);
struct pt_pci_dev *pt_iommu_group_get_member(struct pt_iommu_group *g, int idx);
/*
 * Viable for a guest now: every endpoint (bridges excluded) is bound to
 * vfio-pci or pci-stub, or to no driver.
 */
bool pt_iommu_group_is_viable(struct pt_iommu_group *g);
/* Endpoints that keep the group from being viable, idx from 0. */
int pt_iommu_group_get_num_blockers(struct pt_iommu_group *g);
struct pt_pci_dev *pt_iommu_group_get_blocker(struct pt_iommu_group *g, int idx);

/* ---- USB devices (usb.c) ------------------------------------------------ */

/*
 * Enumerated with libusb-1.0 from the running system; strings and
 * interface drivers read from sysfs. Empty when the context's sysfs root
 * is not the running system's.
 */
struct pt_usb_dev *pt_usb_dev_get_first(struct pt_ctx *ctx);
struct pt_usb_dev *pt_usb_dev_get_next(struct pt_usb_dev *dev);
#define pt_usb_dev_foreach(ctx, dev) \
	for (dev = pt_usb_dev_get_first(ctx); dev; dev = pt_usb_dev_get_next(dev))
/* sysfs name, e.g. "1-2.3" */
const char *pt_usb_dev_get_name(struct pt_usb_dev *dev);
int pt_usb_dev_get_busnum(struct pt_usb_dev *dev);
int pt_usb_dev_get_devnum(struct pt_usb_dev *dev);
/* "2.3" (port numbers from the root hub, dot-separated); "0" for a root hub */
const char *pt_usb_dev_get_port_path(struct pt_usb_dev *dev);
uint16_t pt_usb_dev_get_vendor_id(struct pt_usb_dev *dev);
uint16_t pt_usb_dev_get_product_id(struct pt_usb_dev *dev);
const char *pt_usb_dev_get_vendor_name(struct pt_usb_dev *dev);
const char *pt_usb_dev_get_product_name(struct pt_usb_dev *dev);
const char *pt_usb_dev_get_manufacturer(struct pt_usb_dev *dev);
const char *pt_usb_dev_get_product(struct pt_usb_dev *dev);
const char *pt_usb_dev_get_serial(struct pt_usb_dev *dev);
/*
 * "<manufacturer> <product>" from the device's strings, each falling back
 * to the hwdb's vendor/product name; NULL when none is known.
 */
const char *pt_usb_dev_get_display_name(struct pt_usb_dev *dev);
/* Mbit/s: 1.5, 12, 480, 5000, 10000, 20000; 0 when unknown */
double pt_usb_dev_get_speed(struct pt_usb_dev *dev);
/* bcdUSB as "2.00", "3.20" */
const char *pt_usb_dev_get_usb_version(struct pt_usb_dev *dev);
uint8_t pt_usb_dev_get_class(struct pt_usb_dev *dev);
bool pt_usb_dev_is_hub(struct pt_usb_dev *dev);
int pt_usb_dev_get_num_interfaces(struct pt_usb_dev *dev);
/* Driver bound to interface idx, or NULL when none. */
const char *pt_usb_dev_get_interface_driver(struct pt_usb_dev *dev, int idx);
/* PCI host controller the device hangs off, or NULL. */
struct pt_pci_dev *pt_usb_dev_get_controller(struct pt_usb_dev *dev);

/* ---- host checks (check.c) ---------------------------------------------- */

enum pt_check_status {
	PT_CHECK_OK = 0,
	PT_CHECK_WARN = 1,
	PT_CHECK_FAIL = 2,
};

/* Findings of the passthrough readiness check, run on first call. */
struct pt_check *pt_check_get_first(struct pt_ctx *ctx);
struct pt_check *pt_check_get_next(struct pt_check *c);
#define pt_check_foreach(ctx, c) \
	for (c = pt_check_get_first(ctx); c; c = pt_check_get_next(c))
/* Stable identifier, e.g. "iommu", "cmdline", "interrupt_remapping". */
const char *pt_check_get_id(struct pt_check *c);
enum pt_check_status pt_check_get_status(struct pt_check *c);
/* What was found, one sentence. */
const char *pt_check_get_message(struct pt_check *c);
/* What to do about it; NULL for PT_CHECK_OK. */
const char *pt_check_get_fix(struct pt_check *c);
/* Worst status of all findings. */
enum pt_check_status pt_check_get_worst(struct pt_ctx *ctx);


/* ---- resource groups and rules (group.c, rule.c, conf.c) ----------------- */

/*
 * A resource group is a named pool of devices of one type; its resource
 * rules decide which physical devices belong to it (any rule matching
 * makes a member; a rule is a conjunction of "FIELD OP VALUE" clauses).
 * State lives in INI files under the conf dir (groups.d/<group>.ini),
 * described in passthru.conf(5).
 */
enum pt_group_type {
	PT_GROUP_PCI = 0,
	PT_GROUP_VGPU = 1,
	PT_GROUP_SRIOV_NIC = 2,
	PT_GROUP_USB = 3,
};

/* "pci", "vgpu", "sriov-nic", "usb"; NULL for an invalid value. */
const char *pt_group_type_name(enum pt_group_type type);
/* The type for a name, or -EINVAL. */
int pt_group_type_parse(const char *name);
/*
 * Can this PCI function belong to a group of this type? pci: any
 * endpoint; vgpu: an mdev parent or a GPU whose VFs offer NVIDIA per-VF
 * vGPU; sriov-nic: an SR-IOV PF; usb: never.
 */
bool pt_group_type_fits_pci_dev(enum pt_group_type type, struct pt_pci_dev *dev);
/* NULL-terminated lists: the rule fields and the settings a type takes. */
const char *const *pt_rule_fields(enum pt_group_type type);
const char *const *pt_group_settings(enum pt_group_type type);

/*
 * Load and validate the state under the conf dir (done on first use by
 * every accessor below). 0, or -EINVAL with pt_conf_get_error() set to
 * "groups.d/gpu.ini:12: unknown key 'vlna' (did you mean 'vlan'?)", or
 * another -errno (-EACCES) with the message likewise.
 */
int pt_conf_load(struct pt_ctx *ctx);
const char *pt_conf_get_error(struct pt_ctx *ctx);

/*
 * Keep going past invalid state files (before the first load; -EBUSY
 * after it): a file that cannot be read or parsed, and a group file that
 * does not validate, is skipped and counts as absent (an invalid group
 * matches nothing), and pt_conf_load() succeeds with the rest. Each
 * skipped file is one problem line, "groups.d/x.ini:3: unknown key ...".
 * Plans made from such a context (pt_plan_apply, pt_plan_release) load
 * the same way and refuse a group whose record could not be read. For
 * boot (pt group apply --all --keep-going); interactive writes stay strict.
 */
int pt_set_conf_keep_going(struct pt_ctx *ctx, bool on);
int pt_conf_get_num_problems(struct pt_ctx *ctx);
const char *pt_conf_get_problem(struct pt_ctx *ctx, int idx);

struct pt_group;
struct pt_rule;
struct pt_member;
struct pt_conflict;

struct pt_group *pt_group_get_first(struct pt_ctx *ctx);
struct pt_group *pt_group_get_next(struct pt_group *g);
#define pt_group_foreach(ctx, g) \
	for (g = pt_group_get_first(ctx); g; g = pt_group_get_next(g))
struct pt_group *pt_group_find(struct pt_ctx *ctx, const char *name);
const char *pt_group_get_name(struct pt_group *g);
enum pt_group_type pt_group_get_type(struct pt_group *g);
/* The file holding it, relative to the conf dir: "groups.d/gpu.ini". */
const char *pt_group_get_file(struct pt_group *g);
/* Settings in file order; a key's value or NULL when unset. */
int pt_group_get_num_settings(struct pt_group *g);
const char *pt_group_get_setting_key(struct pt_group *g, int idx);
const char *pt_group_get_setting_value(struct pt_group *g, int idx);
const char *pt_group_get_setting(struct pt_group *g, const char *key);

struct pt_rule *pt_rule_get_first(struct pt_group *g);
struct pt_rule *pt_rule_get_next(struct pt_rule *r);
#define pt_rule_foreach(g, r) \
	for (r = pt_rule_get_first(g); r; r = pt_rule_get_next(r))
struct pt_rule *pt_rule_find(struct pt_group *g, const char *name);
const char *pt_rule_get_name(struct pt_rule *r);
struct pt_group *pt_rule_get_group(struct pt_rule *r);
/* The match expression as written in the file. */
const char *pt_rule_get_match(struct pt_rule *r);
/* The node pattern (fnmatch(3) on the host name), or NULL for every node. */
const char *pt_rule_get_node(struct pt_rule *r);
/* The rule applies on this host (no node pattern, or it matches). */
bool pt_rule_applies_here(struct pt_rule *r);
/* Name of a volatile field the rule depends on (USB bus, devnum), or NULL. */
const char *pt_rule_get_volatile_field(struct pt_rule *r);
/*
 * Check a match expression for a group type without storing it: 0, or
 * -EINVAL with *error (malloc'd) "column N: ..."; *volatile_field names a
 * volatile field it depends on, or NULL. Either pointer may be NULL.
 */
int pt_rule_check(enum pt_group_type type, const char *match, char **error,
		  const char **volatile_field);

/*
 * Test one device against a rule: 1 it matches, 0 it does not (and *why,
 * when why is not NULL, is set to a malloc'd sentence naming the first
 * clause that failed: "clause 2 'device_id eq 20b0': device_id is 2204"),
 * or a negative errno. Exactly one of pci/usb is given.
 */
int pt_rule_test(struct pt_rule *r, struct pt_pci_dev *pci,
		 struct pt_usb_dev *usb, char **why);

/*
 * Members: the devices the group's rules match now on this host. PCI,
 * vGPU and SR-IOV NIC groups have PCI functions (for sriov-nic the PFs;
 * their VFs that the rules admit are listed per member); USB groups have
 * USB devices. A vgpu group may also hold an mdev parent that is no PCI
 * function (the kernel's mtty sample): its pci and usb devices are NULL.
 */
int pt_group_get_num_members(struct pt_group *g);
struct pt_member *pt_group_get_member(struct pt_group *g, int idx);
struct pt_pci_dev *pt_member_get_pci_dev(struct pt_member *m);
struct pt_usb_dev *pt_member_get_usb_dev(struct pt_member *m);
/* vgpu: the mdev parent instances are made on (NULL: none, or per-VF vGPU). */
struct pt_mdev_parent *pt_member_get_mdev_parent(struct pt_member *m);
/* The member's name: a BDF, a USB device name (1-4), or an mdev parent's ("mtty"). */
const char *pt_member_get_name(struct pt_member *m);
/* The first rule that matched. */
struct pt_rule *pt_member_get_rule(struct pt_member *m);
/* sriov-nic / vgpu per-VF: the VF indices the rules admit (all by default). */
int pt_member_get_num_vfs(struct pt_member *m);
int pt_member_get_vf_index(struct pt_member *m, int idx);

/* Devices claimed by two groups. Each conflict names the device and both. */
struct pt_conflict *pt_conflict_get_first(struct pt_ctx *ctx);
struct pt_conflict *pt_conflict_get_next(struct pt_conflict *c);
#define pt_conflict_foreach(ctx, c) \
	for (c = pt_conflict_get_first(ctx); c; c = pt_conflict_get_next(c))
/* "0000:03:00.0", "0000:03:00.0 vf 2" or a USB name "1-4.2" */
const char *pt_conflict_get_device(struct pt_conflict *c);
struct pt_group *pt_conflict_get_group(struct pt_conflict *c, int idx);
/*
 * NULL when both groups claim the device; else why two groups that may
 * share it conflict: "they ask for different numvfs (4 and 8)" (two
 * sriov-nic groups splitting one PF's VFs), "MIG-backed and time-sliced
 * vGPU are never mixed on one GPU" (a MIG-backed and a time-sliced vgpu
 * group sharing a GPU).
 */
const char *pt_conflict_get_reason(struct pt_conflict *c);
/*
 * A vgpu group's member GPU that cannot serve the group now: the GPU runs
 * vGPU instances of the other kind (MIG-backed vs time-sliced), or neither
 * it nor its VFs list the group's profile (a GPU whose VFs apply will
 * enable is not judged before). 1 with *why (malloc'd, one line with the
 * fix), 0 when fine or not a vgpu group, or -ENOMEM.
 */
int pt_group_get_vgpu_problem(struct pt_group *g, struct pt_pci_dev *gpu, char **why);

/*
 * Changes go through a transaction: pt_txn_begin() takes the exclusive
 * lock on the conf dir and loads the state fresh (refusing, with -EINVAL
 * and pt_conf_get_error(), while any file is invalid); each call edits
 * the files in memory and validates; pt_txn_get_diff() shows what would
 * be written (for --dry-run); pt_txn_commit() writes every changed file
 * atomically (temp file, fsync, rename, fsync of the directory). Hand
 * edits and comments outside the changed lines are kept. A group file that
 * a transaction knows valid from <conf>/.validated (its stat unchanged
 * since a transaction validated it) is read only when edited.
 * pt_txn_free() releases the lock, discarding uncommitted changes. After a
 * commit the context holds the committed state, as a fresh load would
 * read it back (groups obtained before are gone).
 * Errors: -EINVAL (bad name, value, rule; message in pt_txn_get_error()),
 * -EEXIST, -ENOENT, -EBUSY (group in use), -EACCES, -EIO.
 */
struct pt_txn;
/* A dry run opens the state read-only: no lock, nothing created, no commit. */
#define PT_TXN_DRY_RUN	(1u << 0)
int pt_txn_begin(struct pt_ctx *ctx, unsigned int flags, struct pt_txn **out);
const char *pt_txn_get_error(struct pt_txn *txn);
/* The type of group as the transaction has it (pt_group_type), or -ENOENT. */
int pt_txn_group_get_type(struct pt_txn *txn, const char *group);
int pt_txn_group_create(struct pt_txn *txn, const char *name,
			enum pt_group_type type);
int pt_txn_group_set(struct pt_txn *txn, const char *group, const char *key,
		     const char *value);
int pt_txn_group_unset(struct pt_txn *txn, const char *group, const char *key);
int pt_txn_group_delete(struct pt_txn *txn, const char *group);
int pt_txn_rule_add(struct pt_txn *txn, const char *group, const char *rule,
		    const char *match, const char *node);
int pt_txn_rule_remove(struct pt_txn *txn, const char *group, const char *rule);
/*
 * Add a rule that matches exactly this device by stable keys (PCI:
 * vendor_id, device_id, subsystem ids and slot; USB: vendor_id,
 * product_id and serial, or bus and port_path without a serial). device
 * is a BDF or a USB name ("1-4.2") or "vendor:product[:serial]". The
 * rule's name is returned in *rule (malloc'd); *warning (malloc'd or
 * NULL) says when the rule depends on a volatile field.
 */
int pt_txn_make_resource(struct pt_txn *txn, const char *group,
			 const char *device, char **rule, char **warning);
/*
 * Validate the changed files whole (cross-key checks such as qos needing
 * vlan), as pt_txn_commit() does first; 0 or -EINVAL with the error set.
 */
int pt_txn_check(struct pt_txn *txn);
/* Unified diff of every file the transaction changed; malloc'd. */
char *pt_txn_get_diff(struct pt_txn *txn);
int pt_txn_commit(struct pt_txn *txn);
void pt_txn_free(struct pt_txn *txn);

/* ---- binders: apply and release groups on the host (bind.c) -------------- */

/*
 * pt_plan_apply() computes what makes the host match a group's state:
 * PCI members (and their IOMMU group siblings) bound to vfio-pci through
 * driver_override, SR-IOV PFs given their numvfs with drivers_autoprobe
 * off, their VFs configured over netlink and bound to vfio-pci, NVIDIA
 * per-VF vGPU GPUs given their VFs, vGPU profiles validated. Each change
 * is one step: a sysfs write (with the state the kernel must show after
 * it), a module load or a netlink request. pt_plan_release() computes the
 * undoing of what an apply recorded (applied.d/<group>.ini in the conf
 * dir, see passthru.conf(5)).
 *
 * Unless PT_PLAN_DRY_RUN is given the plan holds the state lock (the
 * conf dir's .lock) until pt_plan_free(), so plan and execution see one
 * state. Planning refuses, returning a negative errno with the plan still
 * returned in *out (NULL only for -ENOMEM) and pt_plan_get_error() naming
 * the device, why and the fix:
 *   -ENOENT  no such group; release: the group is not applied (ok: no steps)
 *   -EBUSY   an IOMMU group holds endpoints outside the group (named);
 *            PT_PLAN_WITH_SIBLINGS binds them too
 *   -EPERM   a host-critical device (PT_PLAN_FORCE overrides all but the
 *            storage behind /, /boot and swap)
 *   -ERANGE  numvfs above sriov_totalvfs
 *   -ENODEV  a vGPU profile no member offers; vfio-pci not loadable
 *   -EINVAL  the state files are invalid (pt_conf_get_error())
 */
struct pt_plan;
struct pt_step;

#define PT_PLAN_DRY_RUN		(1u << 0)
#define PT_PLAN_WITH_SIBLINGS	(1u << 1)
#define PT_PLAN_FORCE		(1u << 2)

int pt_plan_apply(struct pt_ctx *ctx, const char *group, unsigned int flags,
		  struct pt_plan **out);
int pt_plan_release(struct pt_ctx *ctx, const char *group, unsigned int flags,
		    struct pt_plan **out);
const char *pt_plan_get_group(struct pt_plan *p);
/* "apply" or "release". */
const char *pt_plan_get_action(struct pt_plan *p);
/* The refusal or failure, one line naming the object and the fix; or NULL. */
const char *pt_plan_get_error(struct pt_plan *p);
int pt_plan_get_num_steps(struct pt_plan *p);
struct pt_step *pt_plan_get_step(struct pt_plan *p, int idx);
/*
 * Notes for the admin, in order: capacity of vGPU profiles, siblings
 * added, netlink steps not sent on a fixture tree, drift read back.
 */
int pt_plan_get_num_notes(struct pt_plan *p);
const char *pt_plan_get_note(struct pt_plan *p, int idx);
/*
 * Run the steps in order, checking after each what the kernel shows
 * (polling up to two seconds). On the first failure every change made in
 * this run is undone in reverse order and the error names the step;
 * returns its -errno. On success the record in applied.d is written (or
 * removed by a release). Netlink steps are sent only to the running
 * kernel (pt_is_live()); on a fixture tree they are skipped with a note.
 */
int pt_plan_execute(struct pt_plan *p);
void pt_plan_free(struct pt_plan *p);
/*
 * The groups applied on this host: one name per record in applied.d,
 * sorted, also one whose group file is gone. Returns how many, with
 * *names a NULL-terminated array (NULL when none) the caller frees, each
 * name and the array; or a negative errno (-EINVAL: invalid state files,
 * see pt_conf_get_error()).
 */
int pt_applied_list(struct pt_ctx *ctx, char ***names);
/*
 * Is group applied here, and does what its record says still hold? Reads
 * the record and each recorded function's driver now. Returns -ENOENT
 * when the group is not applied, else the number of drift lines, with
 * *devices the recorded functions (BDFs) and *drift one line per recorded
 * binding that no longer holds ("0000:04:00.1: recorded on vfio-pci, now
 * on i40e"); both NULL-terminated (NULL when empty), freed by the caller
 * (each string, then the array). Other negative errnos: the state could
 * not be read.
 */
int pt_applied_check(struct pt_ctx *ctx, const char *group, char ***devices,
		     char ***drift);

/* "load-module", "write" or "netlink". */
const char *pt_step_get_kind(struct pt_step *s);
/* The device it changes: a BDF, or NULL (module loads). */
const char *pt_step_get_device(struct pt_step *s);
/*
 * What it changes: a path relative to the sysfs root
 * ("bus/pci/devices/0000:03:00.0/driver_override"), a module name, or
 * "eth0 vf 2".
 */
const char *pt_step_get_target(struct pt_step *s);
/* The value written ("vfio-pci", "0000:03:00.0", "4"), or the netlink
 * request as ip-link arguments ("vlan 100 qos 3 spoofchk on"). */
const char *pt_step_get_value(struct pt_step *s);
/* What the step is for: "bind 0000:03:00.0 to vfio-pci (was e1000e)". */
const char *pt_step_get_description(struct pt_step *s);
/* "planned", "done", "skipped", "failed" or "undone". */
const char *pt_step_get_status(struct pt_step *s);

/* ---- mdev instances (mdev.c) ---------------------------------------------- */

/*
 * Create an mdev of a type on its parent with the given UUID (NULL: a new
 * random one from libuuid); the UUID used is copied to uuid_out (37
 * bytes) when not NULL. The instance directory must appear (polled up to
 * two seconds). 0, -EINVAL (bad UUID), -ENOSPC (no available instances),
 * -EEXIST, -ETIMEDOUT, -errno of the write.
 */
int pt_mdev_create(struct pt_mdev_type *type, const char *uuid,
		   char *uuid_out);
/* Remove an mdev by UUID from its parent; 0, -ENOENT, -ETIMEDOUT, -errno. */
int pt_mdev_remove(struct pt_mdev_parent *parent, const char *uuid);

/* ---- VMs, the allocator and leases (attach.c, alloc.c, lease.c) ---------- */

/*
 * Runtime state (leases) lives under the run dir, default "/run/passthru"
 * (a tmpfs: after a reboot nothing is leased). Like the other roots,
 * setting it drops what was loaded. -EINVAL for a relative or empty
 * path, -ENOMEM.
 */
int pt_set_run_dir(struct pt_ctx *ctx, const char *dir);
const char *pt_get_run_dir(struct pt_ctx *ctx);
/*
 * Act on a tenant's VMs (NULL: the host's): pt_vm_*, pt_lease_* and
 * pt_attach_* then read and write the tenant's own directory,
 * <conf>/tenants.d/<tenant>.d/, which its admins may write (see
 * pt-tenant(8)); its requests draw only from the tenant's groups and
 * start changes nothing on the host. 0, -EINVAL (a bad name), -ENOMEM.
 */
int pt_set_tenant(struct pt_ctx *ctx, const char *tenant);
const char *pt_get_tenant(struct pt_ctx *ctx);
/*
 * NVIDIA's NVML, loaded at run time for MIG and heterogeneous vGPU:
 * an absolute path of the library to dlopen instead of
 * libnvidia-ml.so.1 (tests load a fake one). 0 or -EINVAL.
 */
int pt_set_nvml_library(struct pt_ctx *ctx, const char *path);
const char *pt_get_nvml_library(struct pt_ctx *ctx);

/*
 * A VM's device requests: vms.d/<vm>.ini under the conf dir (see
 * passthru.conf(5)), kept by the same store as the groups. VM names follow
 * the group-name rules. pt_vm_load() loads them (done on first use by the
 * accessors): 0, or -EINVAL with *error (owned by the context)
 * "vms.d/web.ini:4: unknown key 'cont' (did you mean 'count'?)".
 */
struct pt_vm;
struct pt_request;
int pt_vm_load(struct pt_ctx *ctx, const char **error);
struct pt_vm *pt_vm_get_first(struct pt_ctx *ctx);
struct pt_vm *pt_vm_get_next(struct pt_vm *vm);
#define pt_vm_foreach(ctx, vm) \
	for (vm = pt_vm_get_first(ctx); vm; vm = pt_vm_get_next(vm))
struct pt_vm *pt_vm_find(struct pt_ctx *ctx, const char *name);
const char *pt_vm_get_name(struct pt_vm *vm);
/* "vms.d/<vm>.ini" */
const char *pt_vm_get_file(struct pt_vm *vm);
/* [vm] numa_node, or PT_NO_NUMA_NODE; numa_strict (default no). */
int pt_vm_get_numa_node(struct pt_vm *vm);
bool pt_vm_get_numa_strict(struct pt_vm *vm);
/*
 * NULL when every request's group lets the VM be live-migrated (vgpu
 * groups with live_migration = yes), else the first request that pins it,
 * as "request 'nic' (sriov-nic group 'vfs')". Groups are looked up in the
 * context's loaded state.
 */
const char *pt_vm_get_migration_blocker(struct pt_vm *vm);

struct pt_request *pt_request_get_first(struct pt_vm *vm);
struct pt_request *pt_request_get_next(struct pt_request *rq);
#define pt_request_foreach(vm, rq) \
	for (rq = pt_request_get_first(vm); rq; rq = pt_request_get_next(rq))
const char *pt_request_get_name(struct pt_request *rq);
const char *pt_request_get_group(struct pt_request *rq);
int pt_request_get_count(struct pt_request *rq);

/*
 * Edits of vms.d, as pt_txn_begin() does for groups: the exclusive state
 * lock, line-preserving edits, a diff for --dry-run (PT_TXN_DRY_RUN opens
 * read-only), an atomic commit. add: the group must exist; count 1..64;
 * name defaults to the group's name (-EEXIST when the VM has it already).
 * remove: -ENOENT when the VM or request is missing; the file goes with
 * its last section. Errors as pt_txn_*, message in pt_vm_txn_get_error().
 */
struct pt_vm_txn;
int pt_vm_txn_begin(struct pt_ctx *ctx, unsigned int flags, struct pt_vm_txn **out);
const char *pt_vm_txn_get_error(struct pt_vm_txn *t);
int pt_vm_txn_request_add(struct pt_vm_txn *t, const char *vm, const char *group,
			  int count, const char *name);
int pt_vm_txn_request_remove(struct pt_vm_txn *t, const char *vm, const char *name);
char *pt_vm_txn_get_diff(struct pt_vm_txn *t);
int pt_vm_txn_commit(struct pt_vm_txn *t);
void pt_vm_txn_free(struct pt_vm_txn *t);

/*
 * Leases: what a started VM holds, in <run dir>/leases/<vm>.ini. A lease
 * is "starting" while pt attach start prepares the devices (its pid is
 * the starter's), "running" after (its pid the one given to start, or 0).
 */
struct pt_lease;
struct pt_lease_dev;
/* (Re)read the run dir; 0, or -errno with *error (owned by the context). */
int pt_lease_load(struct pt_ctx *ctx, const char **error);
struct pt_lease *pt_lease_get_first(struct pt_ctx *ctx);
struct pt_lease *pt_lease_get_next(struct pt_lease *l);
#define pt_lease_foreach(ctx, l) \
	for (l = pt_lease_get_first(ctx); l; l = pt_lease_get_next(l))
struct pt_lease *pt_lease_find(struct pt_ctx *ctx, const char *vm);
const char *pt_lease_get_vm(struct pt_lease *l);
/* "starting" or "running" */
const char *pt_lease_get_state(struct pt_lease *l);
int pt_lease_get_pid(struct pt_lease *l);
/* The VM's UUID (SHA-1 name-based, RFC 4122 v5, from the VM name). */
const char *pt_lease_get_uuid(struct pt_lease *l);
/* As pt_vm_get_migration_blocker(), from what the lease recorded. */
const char *pt_lease_get_migration_blocker(struct pt_lease *l);
int pt_lease_get_num_devices(struct pt_lease *l);
struct pt_lease_dev *pt_lease_get_device(struct pt_lease *l, int idx);

/* "<request>" for the first unit of a request, "<request>.<n>" after. */
const char *pt_lease_dev_get_name(struct pt_lease_dev *d);
const char *pt_lease_dev_get_request(struct pt_lease_dev *d);
const char *pt_lease_dev_get_group(struct pt_lease_dev *d);
enum pt_group_type pt_lease_dev_get_type(struct pt_lease_dev *d);
/* vgpu: "mdev" or "vf"; else NULL. */
const char *pt_lease_dev_get_mode(struct pt_lease_dev *d);
/* PCI functions handed to the guest: a pci unit's IOMMU group, a VF. */
int pt_lease_dev_get_num_functions(struct pt_lease_dev *d);
const char *pt_lease_dev_get_function(struct pt_lease_dev *d, int idx);
/* sriov-nic: the VF's MAC "52:54:..", its PF and index; else NULL/-1. */
const char *pt_lease_dev_get_mac(struct pt_lease_dev *d);
const char *pt_lease_dev_get_pf(struct pt_lease_dev *d);
int pt_lease_dev_get_vf_index(struct pt_lease_dev *d);
/* vgpu mdev: the instance's UUID, parent and type; else NULL. */
const char *pt_lease_dev_get_mdev_uuid(struct pt_lease_dev *d);
const char *pt_lease_dev_get_mdev_parent(struct pt_lease_dev *d);
const char *pt_lease_dev_get_mdev_type(struct pt_lease_dev *d);
/* usb: stable keys and where it is now; else NULL / 0. */
const char *pt_lease_dev_get_usb_name(struct pt_lease_dev *d);
int pt_lease_dev_get_usb_busnum(struct pt_lease_dev *d);
const char *pt_lease_dev_get_usb_port_path(struct pt_lease_dev *d);
uint16_t pt_lease_dev_get_usb_vendor_id(struct pt_lease_dev *d);
uint16_t pt_lease_dev_get_usb_product_id(struct pt_lease_dev *d);
const char *pt_lease_dev_get_usb_serial(struct pt_lease_dev *d);
/* usb group settings guest_reset (default yes), guest_resets_all (no). */
bool pt_lease_dev_get_guest_reset(struct pt_lease_dev *d);
bool pt_lease_dev_get_guest_resets_all(struct pt_lease_dev *d);

/*
 * Start: allocate every request of the VM under the run dir's lock, all
 * or nothing, prepare the devices (mdev instances created with their
 * stable UUIDs, per-VF vGPU types written) with rollback, record the lease. PT_ATTACH_DRY_RUN and
 * pt_attach_check() decide the same way and change nothing (check takes
 * no lock). Stop: undo what start prepared, free the lease. gc: stop
 * every lease whose recorded process is gone. Returns 0 or -errno with
 * the attach object still returned (NULL only for -ENOMEM):
 *   -ENOENT  no such VM (start, check) or no lease (stop)
 *   -EBUSY   a group cannot serve its request now: every unit leased,
 *            host-critical, reserved, or the group not applied (the error
 *            names the `pt group apply` to run); the VM runs already
 *   -EINVAL  the state files are invalid
 *   else     a failed change, already undone
 * The changes (mdev instances, NVIDIA per-VF vGPU types) are steps of one
 * plan of the engine.
 */
struct pt_attach;
#define PT_ATTACH_DRY_RUN	(1u << 0)
int pt_attach_start(struct pt_ctx *ctx, const char *vm, int pid, unsigned int flags,
		    struct pt_attach **out);
int pt_attach_check(struct pt_ctx *ctx, const char *vm, struct pt_attach **out);
int pt_attach_stop(struct pt_ctx *ctx, const char *vm, unsigned int flags,
		   struct pt_attach **out);
int pt_attach_gc(struct pt_ctx *ctx, unsigned int flags, struct pt_attach **out);
const char *pt_attach_get_error(struct pt_attach *a);
/* start/check: the lease made (or that would be); stop: the one freed. */
struct pt_lease *pt_attach_get_lease(struct pt_attach *a);
/* gc: the VMs whose leases were freed (or would be). */
int pt_attach_get_num_freed(struct pt_attach *a);
const char *pt_attach_get_freed(struct pt_attach *a, int idx);
/* What was done or would be, for the admin: "create mdev ... on ...". */
/*
 * Files of tenants' directories that root's gc left alone (a planted
 * link or FIFO, a lease naming units not granted), one line each.
 */
int pt_attach_get_num_warnings(struct pt_attach *a);
const char *pt_attach_get_warning(struct pt_attach *a, int idx);
int pt_attach_get_num_notes(struct pt_attach *a);
const char *pt_attach_get_note(struct pt_attach *a, int idx);
void pt_attach_free(struct pt_attach *a);

/*
 * Capacity of a group now: units in total, leased, and free to allocate
 * (vgpu mdev: instances creatable now plus those leased). 0 or -errno.
 */
int pt_group_get_capacity(struct pt_ctx *ctx, struct pt_group *g, int *total, int *leased,
			  int *free_now);

/*
 * Tenants: a Unix group of admins and the units of host groups reserved
 * for them, in tenants.d/<tenant>.ini. A grant of host group GROUP is the
 * tenant's group "TENANT:GROUP" (':' is never in a host group's name);
 * VM requests may name it and draw only from its units, which no other
 * request gets. See pt-tenant(8).
 */
struct pt_tenant;
struct pt_grant;
/* (Re)read tenants.d; 0, or -errno with *error (owned by the context). */
int pt_tenant_load(struct pt_ctx *ctx, const char **error);
struct pt_tenant *pt_tenant_get_first(struct pt_ctx *ctx);
struct pt_tenant *pt_tenant_get_next(struct pt_tenant *t);
#define pt_tenant_foreach(ctx, t) \
	for (t = pt_tenant_get_first(ctx); t; t = pt_tenant_get_next(t))
/* NULL with errno EACCES when the tenant's file is not this user's to read. */
struct pt_tenant *pt_tenant_find(struct pt_ctx *ctx, const char *name);
const char *pt_tenant_get_name(struct pt_tenant *t);
const char *pt_tenant_get_file(struct pt_tenant *t);
/* The Unix group of the tenant's admins. */
const char *pt_tenant_get_admins(struct pt_tenant *t);
/* The nodes (an fnmatch(3) pattern) it may be granted units on; NULL: any. */
const char *pt_tenant_get_node(struct pt_tenant *t);
struct pt_grant *pt_grant_get_first(struct pt_tenant *t);
struct pt_grant *pt_grant_get_next(struct pt_grant *g);
#define pt_grant_foreach(t, g) \
	for (g = pt_grant_get_first(t); g; g = pt_grant_get_next(g))
/* The grant of host group "group", or NULL. */
struct pt_grant *pt_grant_find(struct pt_tenant *t, const char *group);
struct pt_tenant *pt_grant_get_tenant(struct pt_grant *g);
/* The host group, and the tenant's group name "TENANT:GROUP". */
const char *pt_grant_get_group(struct pt_grant *g);
const char *pt_grant_get_name(struct pt_grant *g);
enum pt_group_type pt_grant_get_type(struct pt_grant *g);
/*
 * Units in the order granted: a PCI unit's functions joined by '+'
 * ("0000:03:00.0+0000:03:00.1"), a VF's BDF, a USB key ("usb:046d:c52b:SERIAL").
 */
int pt_grant_get_num_units(struct pt_grant *g);
const char *pt_grant_get_unit(struct pt_grant *g, int idx);

/*
 * Edits of tenants.d under the state lock, as pt_txn_begin() (a dry run
 * opens read-only and takes no lock). create: -EEXIST, -ENOENT (no such
 * Unix group). delete: -EBUSY while it holds units. grant: count units
 * picked by the allocator's rules (placement, BDF order) among those no
 * VM holds and no tenant has, under the run dir's lease lock (held until
 * the transaction is freed); -EBUSY naming what is free, -EXDEV when the
 * tenant's node pattern does not match this node. A grant of a vgpu
 * group of mode mdev reserves instances that its commit makes (with
 * stable UUIDs), of mode vf VFs whose vGPU type the commit writes; a
 * grant of sriov-nic VFs sets their MACs. revoke: the last count units (0: all); -EBUSY
 * while a VM's lease holds one. Errors: pt_tenant_txn_get_error().
 */
struct pt_tenant_txn;
int pt_tenant_txn_begin(struct pt_ctx *ctx, unsigned int flags, struct pt_tenant_txn **out);
const char *pt_tenant_txn_get_error(struct pt_tenant_txn *t);
int pt_tenant_txn_create(struct pt_tenant_txn *t, const char *name, const char *admins,
			 const char *node);
int pt_tenant_txn_delete(struct pt_tenant_txn *t, const char *name);
int pt_tenant_txn_grant(struct pt_tenant_txn *t, const char *name, const char *group,
			int count);
int pt_tenant_txn_revoke(struct pt_tenant_txn *t, const char *name, const char *group,
			 int count);
/*
 * Bring the host in line with the tenant's grants as its file holds them
 * (at boot: pt tenant apply --all): make the mdev instances that are
 * missing with their UUIDs, write the vGPU types of its VFs and their
 * MACs, give its device nodes to its group, write its udev rules and
 * limits.d snippet where they differ. Nothing already in place is
 * changed; the file is not. -ENOENT: no such tenant.
 */
int pt_tenant_txn_apply(struct pt_tenant_txn *t, const char *name);
/* The units the last grant reserved or revoke gave back, in that order. */
int pt_tenant_txn_get_num_units(struct pt_tenant_txn *t);
const char *pt_tenant_txn_get_unit(struct pt_tenant_txn *t, int idx);
/*
 * The host changes of a grant, revoke or apply (mdev instances made or
 * removed, vGPU types and VF MACs written, device nodes given to the
 * tenant's group or back, its udev rules and limits.d files), one line each: after
 * pt_tenant_txn_commit() those made; in a PT_TXN_DRY_RUN transaction those
 * the commit would make.
 */
/* revoke: files of the tenant's directory left out (plants), one line each */
int pt_tenant_txn_get_num_warnings(struct pt_tenant_txn *t);
const char *pt_tenant_txn_get_warning(struct pt_tenant_txn *t, int idx);
int pt_tenant_txn_get_num_steps(struct pt_tenant_txn *t);
const char *pt_tenant_txn_get_step(struct pt_tenant_txn *t, int idx);
char *pt_tenant_txn_get_diff(struct pt_tenant_txn *t);
int pt_tenant_txn_commit(struct pt_tenant_txn *t);
void pt_tenant_txn_free(struct pt_tenant_txn *t);

#ifdef __cplusplus
}
#endif

#endif /* LIBPASSTHRU_H */
