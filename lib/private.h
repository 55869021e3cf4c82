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
	char **names;			/* interned PCI names, open addressing */
	size_t names_cap, names_used;
	int pci_scan_rc;		/* 0, or -errno: the scan failed */
	char **pci_problems;		/* what the scan could not read */
	size_t n_pci_problems;
	struct pt_pci_dev *pci_last_named;	/* name lookups reuse its names */

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

	/* group.c */
	bool conf_loaded;
	int conf_rc;
	char *conf_error;
	struct pt_group **cgroups;	/* sorted by name */
	size_t n_cgroups;
	bool conflicts_done;
	struct pt_conflict *conflicts;

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

/* ---- mdev.c ------------------------------------------------------------- */

/* Find mdev parents (class/mdev_bus); link PCI parents to their function. */
int pt__mdev_scan(struct pt_ctx *ctx);
void pt__mdev_free(struct pt_ctx *ctx);
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
/*
 * Load a module and what it depends on with libkmod, as `modprobe NAME`
 * does, from the context's modules dir. 0 also when already loaded.
 * Only on the running system: -EOPNOTSUPP when !pt_is_live(ctx), nothing
 * loaded. -ENOENT: not in the modules dir (err names the dir and the
 * package); -EPERM/-EACCES: not root; else -errno with kmod's reason.
 * err gets one line for the admin (also on success: "").
 */
int pt__module_load(struct pt_ctx *ctx, const char *name, char *err,
		    size_t errlen);

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
	int dirfd;			/* conf dir, O_PATH */
	int lockfd;			/* -1 when read-only */
	struct pt_ini_file **files;
	size_t n_files;
};

int pt__store_open(struct pt_ctx *ctx, bool write, struct pt_store **out,
		   char *err, size_t errlen);
struct pt_ini_file *pt__store_find(struct pt_store *st, const char *relpath);
/* A new, empty file in the store (dirty); -EEXIST if present. */
int pt__store_new_file(struct pt_store *st, const char *relpath,
		       struct pt_ini_file **out);
/* Mark a file for removal on commit. */
int pt__store_delete_file(struct pt_store *st, const char *relpath);
/* "applied.d/<group>.ini" into buf: 0, -EINVAL (bad name), -ERANGE (buf). */
int pt__store_applied_relpath(const char *group, char *buf, size_t len);
/* Unified diff ("--- a/x", "+++ b/x", "@@ ... @@" hunks) of dirty files. */
char *pt__store_diff(struct pt_store *st);
/*
 * Write every dirty file atomically: <dir>/.<name>.XXXXXX created
 * O_EXCL|O_NOFOLLOW mode 0644 (fchmod, owner root when running as root),
 * write, fsync, rename over the target, fsync the directory; deleted files
 * unlinked and the directory fsynced. 0 or -errno; on error nothing half-
 * written remains (temp files removed).
 */
int pt__store_commit(struct pt_store *st);
void pt__store_close(struct pt_store *st);

/* ---- group.c: resource groups, membership, transactions ------------------ */

/* Drop loaded groups (state changed on disk, or roots changed). */
void pt__conf_free(struct pt_ctx *ctx);

/* ---- rule.c: resource rule expressions ------------------------------------ */

/* A device as a rule sees it. */
struct pt_dev_view {
	enum pt_group_type type;
	struct pt_pci_dev *pci;		/* pci, vgpu, sriov-nic groups */
	struct pt_usb_dev *usb;		/* usb groups */
	int vf_index;			/* VF being considered, -1: the device itself */
};

struct pt_rule_expr;

/*
 * Parse "FIELD OP VALUE [and FIELD OP VALUE]..." for a group type.
 * Values may be "double quoted" (\" and \\ escapes). Errors: -EINVAL and
 * err = "column N: <what>; <fix>" (e.g. unknown field with did-you-mean
 * and the valid list, unknown operator with the list, bad hex id, bad
 * number, regex error from regerror()). Regexes are compiled once here.
 */
int pt__rule_parse(const char *text, enum pt_group_type type,
		   struct pt_rule_expr **out, char *err, size_t errlen);
void pt__rule_free(struct pt_rule_expr *e);
/*
 * 1 match, 0 no match (why, when non-NULL and len > 0, names the first
 * failing clause: "clause 2 'device_id eq 20b0': device_id is 2204"),
 * or -errno.
 */
int pt__rule_match(struct pt_rule_expr *e, const struct pt_dev_view *v,
		   char *why, size_t whylen);
/*
 * The same evaluation with each field's values given as text:
 * value(field, idx, data) returns value idx (from 0) or NULL after the
 * last; none at all is an absent value. Texts are parsed by the field's
 * kind ("046d", "3", "1.5", "03:00.0"); one that does not parse: -EINVAL.
 * For sources without a device object (unit tests of USB fields).
 */
int pt__rule_match_values(struct pt_rule_expr *e,
			  const char *(*value)(const char *field, int idx,
					       void *data),
			  void *data, int vf_index, char *why, size_t whylen);
/*
 * Does the expression constrain VF indices (sriov-nic vf_index, vgpu
 * virtual_function)? When it does, pt__rule_match with v->vf_index set
 * decides each VF; with vf_index -1 those clauses are ignored.
 */
bool pt__rule_has_vf_clause(struct pt_rule_expr *e);
/* First volatile field used (USB bus, devnum), or NULL. */
const char *pt__rule_volatile_field(struct pt_rule_expr *e);

/*
 * A rule set: expressions of one group type compiled into an index over
 * their equality clauses on single-valued fields (ids, class, driver,
 * slot, serial), built once per command. pt__rule_set_candidates() gives,
 * in ascending order, the indices (into exprs) of the rules that could
 * match v: every rule that pt__rule_match() says matches v, at any
 * vf_index, is among them. Its array stays valid until the next call.
 * Count or -errno. The expressions must outlive the set.
 */
struct pt_rule_set;
int pt__rule_set_new(enum pt_group_type type, struct pt_rule_expr *const *exprs,
		     size_t n, struct pt_rule_set **out);
void pt__rule_set_free(struct pt_rule_set *s);
int pt__rule_set_candidates(struct pt_rule_set *s, const struct pt_dev_view *v,
			    const size_t **idx);
/* How many rules are filed under a clause (the rest are tried on every device). */
size_t pt__rule_set_get_num_indexed(struct pt_rule_set *s);

/* ---- vfset.c: SR-IOV VF settings over rtnetlink ------------------------- */

/*
 * One VF's settings, desired (from a group) or observed (from the kernel).
 * -1 (vlan_proto: 0) is "unset" in a desired struct and "not reported by
 * the kernel or driver" in an observed one.
 */
struct pt_vf_settings {
	int vlan;			/* 0..4094, 0: untagged */
	int vlan_proto;			/* ETH_P_8021Q or ETH_P_8021AD, host order */
	int qos;			/* 0..7 (needs vlan) */
	int min_tx_rate, max_tx_rate;	/* Mbps, 0: no limit */
	int link_state;			/* IFLA_VF_LINK_STATE_AUTO/ENABLE/DISABLE */
	int spoofchk, trust, query_rss;	/* 0 or 1 */
};

/*
 * What one request sets, in the order the kernel applies them. vlan
 * carries qos and proto; rate carries min and max together.
 */
enum {
	PT_VF_PART_VLAN = 1u << 0,
	PT_VF_PART_RATE = 1u << 1,
	PT_VF_PART_SPOOFCHK = 1u << 2,
	PT_VF_PART_LINK_STATE = 1u << 3,
	PT_VF_PART_QUERY_RSS = 1u << 4,
	PT_VF_PART_TRUST = 1u << 5,
	PT_VF_PARTS = 0x3fu,
};

/* All unset. */
void pt__vf_settings_init(struct pt_vf_settings *s);
/* Is this sriov-nic [group] key a VF setting (vlan ... query_rss)? */
bool pt__vf_setting_is_key(const char *key);
/*
 * Set one key from its text as lib/group.c accepts it (booleans yes/no/
 * true/false/on/off/1/0, enums case-insensitive, group.c's ranges).
 * -ENOENT: not a VF key; -EINVAL: bad value, err says why.
 */
int pt__vf_settings_set(struct pt_vf_settings *s, const char *key,
			const char *value, char *err, size_t errlen);
/* Cross-key checks (qos/vlan_proto need vlan, min <= max); 0 or -EINVAL. */
int pt__vf_settings_check(const struct pt_vf_settings *s, char *err,
			  size_t errlen);
/* From an sriov-nic group's settings (other keys ignored); 0 or -EINVAL. */
int pt__vf_settings_from_group(struct pt_group *g, struct pt_vf_settings *s,
			       char *err, size_t errlen);
/* PT_VF_PART_* bits of the settings that are set. */
unsigned int pt__vf_settings_parts(const struct pt_vf_settings *s);
/* "802.1Q"/"802.1ad", "auto"/"enable"/"disable"; NULL for other values. */
const char *pt__vf_vlan_proto_name(int proto);
const char *pt__vf_link_state_name(int state);
/*
 * The parts as `ip link set DEV vf N` arguments, exactly what the request
 * carries: "vlan 100 qos 3 proto 802.1ad min_tx_rate 0 max_tx_rate 1000
 * spoofchk off state disable query_rss on trust on". cur: the VF's
 * observed settings (for the rate not given). 0, -EINVAL, -ENOSPC.
 */
int pt__vf_describe(const struct pt_vf_settings *want, unsigned int parts,
		    const struct pt_vf_settings *cur, char *buf, size_t len);

struct nl_msg;
struct nlmsghdr;

/*
 * RTM_SETLINK (NLM_F_REQUEST|NLM_F_ACK) for PF ifindex with
 * IFLA_VFINFO_LIST/IFLA_VF_INFO holding the given parts of want for VF
 * vf, encoded as iproute2 does (802.1Q vlan as IFLA_VF_VLAN, 802.1ad as
 * IFLA_VF_VLAN_LIST; IFLA_VF_RATE with the rate not given taken from cur,
 * -EINVAL when cur does not know it). -ENODATA: none of the parts is set.
 */
int pt__vf_build_set(int ifindex, int vf, const struct pt_vf_settings *want,
		     unsigned int parts, const struct pt_vf_settings *cur,
		     struct nl_msg **out, char *err, size_t errlen);
/*
 * RTM_GETLINK for one link (by ifindex, or by name when ifindex <= 0)
 * with IFLA_EXT_MASK = RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS.
 */
int pt__vf_build_get(int ifindex, const char *name, struct nl_msg **out);

/* A VF as the PF's RTM_NEWLINK reports it. */
struct pt_vf_state {
	int vf;
	unsigned char mac[32];
	int mac_len;			/* the PF's address length; 0: no MAC */
	bool legacy_rate;		/* only IFLA_VF_TX_RATE (max) was given */
	struct pt_vf_settings s;
};

struct pt_vf_link {
	int ifindex;
	char name[16];			/* IFNAMSIZ */
	int num_vf;			/* IFLA_NUM_VF, -1 when absent */
	struct pt_vf_state *vfs;	/* sorted by vf */
	int n_vfs;
};

/*
 * Parse a PF's RTM_NEWLINK (IFLA_VFINFO_LIST: mac, vlan/qos, proto from
 * IFLA_VF_VLAN_LIST, IFLA_VF_RATE or legacy IFLA_VF_TX_RATE, spoofchk,
 * link state, rss_query_en, trust; a driver's -1 stays -1). 0, -EBADMSG
 * with err, -ENOMEM.
 */
int pt__vf_parse_link(const struct nlmsghdr *nlh, struct pt_vf_link **out,
		      char *err, size_t errlen);
void pt__vf_link_free(struct pt_vf_link *l);
const struct pt_vf_state *pt__vf_link_find(const struct pt_vf_link *l, int vf);
/*
 * An NLMSG_ERROR: its error (0 for an ack, else -errno), the extended-ack
 * text in msg ("" when none); -EBADMSG when malformed.
 */
int pt__vf_parse_ack(const struct nlmsghdr *nlh, char *msg, size_t msglen);

/*
 * Desired vs observed (have NULL: the VF is missing). Returns the number
 * of lines ("vf 2: vlan is 0, want 100") or -ENOMEM; *lines is NULL-
 * terminated (NULL when none), freed with pt__vf_drift_free(). parts
 * (may be NULL) gets the PT_VF_PART_* to send again. An unset qos/proto
 * is compared as 0/802.1Q when vlan is set (what the request sends).
 */
int pt__vf_drift(int vf, const struct pt_vf_settings *want,
		 const struct pt_vf_state *have, unsigned int *parts,
		 char ***lines);
void pt__vf_drift_free(char **lines);

/*
 * The socket: NETLINK_ROUTE with extended acks. Opening fails with
 * -EOPNOTSUPP when the context is not live (fixture roots): VF settings
 * never reach the running kernel from a fixture run.
 */
struct pt_vf_nl;
int pt__vf_nl_open(struct pt_ctx *ctx, struct pt_vf_nl **out, char *err,
		   size_t errlen);
void pt__vf_nl_close(struct pt_vf_nl *nl);
/* The PF (interface name) with its VFs; err: "eth0: cannot read ...". */
int pt__vf_nl_get_link(struct pt_vf_nl *nl, const char *pf,
		       struct pt_vf_link **out, char *err, size_t errlen);
/*
 * Set the given parts of want on VF vf of pf (as read by get_link, which
 * also gives the rate not being changed), one acked request per part.
 * Stops at the first refusal: -errno, err = "eth0 vf 2: cannot set trust
 * on: Operation not supported (<kernel's extended ack>)". Parts already
 * sent stay applied; undo them by setting the values read before.
 */
int pt__vf_nl_set(struct pt_vf_nl *nl, const struct pt_vf_link *pf, int vf,
		  const struct pt_vf_settings *want, unsigned int parts,
		  char *err, size_t errlen);

/* ---- bind.c --------------------------------------------------------------- */

/*
 * Set the given parts of want on VF vf of ifname over netlink and read
 * them back: returns the number of lines in *drift (what the driver did
 * not keep, "vf 2: vlan is 0, want 100"; free with pt__vf_drift_free())
 * or -errno with err set. Used by apply's netlink steps.
 */
int pt__vf_apply(struct pt_ctx *ctx, const char *ifname, int vf,
		 const struct pt_vf_settings *want, unsigned int parts,
		 char ***drift, char *err, size_t errlen);

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
