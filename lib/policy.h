/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Policy: rules, groups, the applied record and the planners that turn
 * groups into plans. Model files never include this header.
 */
#ifndef PT_POLICY_H
#define PT_POLICY_H

#include <net/if.h>

#include "binder.h"

/* What a name of a group, VM or tenant may be (pt__name_is_valid), for errors. */
#define PT_NAME_RULES \
	"use letters, digits, '-', '_' and '.', not starting with '.', at most 64 characters"

/* ---- group.c: resource groups, membership, transactions ------------------ */

/* Drop loaded groups (state changed on disk, or roots changed). */
void pt__conf_free(struct pt_ctx *ctx);

/* ---- rule.c: resource rule expressions ------------------------------------ */

/* A device as a rule sees it. */
struct pt_dev_view {
	enum pt_group_type type;
	struct pt_pci_dev *pci;		/* pci, vgpu, sriov-nic groups */
	struct pt_usb_dev *usb;		/* usb groups */
	struct pt_mdev_parent *mdev;	/* vgpu: an mdev parent that is no PCI function */
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
/*
 * Is every rule of s filed under one of fields (NULL-terminated names)?
 * Then a device none of whose values of those fields is filed matches no
 * rule of s (attach narrows its scan by that).
 */
bool pt__rule_set_keys_within(struct pt_rule_set *s, const char *const *fields);

/* ---- record.c: applied.d/<group>.ini, what an apply changed -------------- */

/*
 * The state each function, PF and VF had before an apply, so release and
 * rollback restore exactly that. keep: in the record written at the end;
 * loaded: read from the file (a rolled-back apply writes only these).
 */
struct pt_rec_dev {
	char bdf[PT_BDF_LEN];
	char role[8];			/* member, sibling, vf */
	char *driver;			/* before; "" none */
	char *override;			/* before; "" none */
	bool keep, loaded;
};

struct pt_rec_pf {
	char bdf[PT_BDF_LEN];
	int numvfs;
	int autoprobe;
	bool keep, loaded;
};

struct pt_rec_vf {
	char pf[PT_BDF_LEN];
	int vf;
	char ifname[IF_NAMESIZE];
	struct pt_vf_settings before;
	bool keep, loaded;
};

/*
 * vgpu: what an apply changed on a GPU through NVML (nvmig.c): its MIG
 * mode and heterogeneous mode before (-1: not changed) and the GPU
 * instances it made (filled when the create step runs). One allocation
 * each: the create step writes into it.
 */
struct pt_rec_gpu {
	char bdf[PT_BDF_LEN];
	int mig_mode;
	int hetero_mode;
	struct pt__nvmig_out gis;
	bool keep, loaded;
};

struct pt_record {
	char type[16];
	struct pt_rec_gpu **gpus;
	size_t n_gpus;
	struct pt_rec_dev *devs;
	size_t n_devs;
	struct pt_rec_pf *pfs;
	size_t n_pfs;
	struct pt_rec_vf *vfs;
	size_t n_vfs;
};

/* Which entries pt__record_save() writes. */
enum pt_rec_sel { PT_REC_KEPT, PT_REC_ALL, PT_REC_LOADED };

void pt__record_free(struct pt_record *rec);
/*
 * Parse a record file; -EINVAL with err = "<conf>/<relpath>:<line>: not
 * a valid record ...".
 */
int pt__record_load(struct pt_ctx *ctx, struct pt_ini_file *f,
		    struct pt_record *rec, char *err, size_t errlen);
/* Write the selected entries as relpath in st and commit; none: remove. */
int pt__record_save(struct pt_store *st, const char *relpath,
		    struct pt_record *rec, enum pt_rec_sel sel);
/* Entries stay in the next record only if planned again. */
void pt__record_unkeep(struct pt_record *rec);
struct pt_rec_dev *pt__record_dev_find(struct pt_record *rec, const char *bdf);
struct pt_rec_pf *pt__record_pf_find(struct pt_record *rec, const char *bdf);
struct pt_rec_vf *pt__record_vf_find(struct pt_record *rec, const char *pf,
				     int vf);
struct pt_rec_dev *pt__record_dev_add(struct pt_record *rec, const char *bdf,
				      const char *role, const char *driver,
				      const char *override);
struct pt_rec_pf *pt__record_pf_add(struct pt_record *rec, const char *bdf,
				    int numvfs, int autoprobe);
struct pt_rec_gpu *pt__record_gpu_find(struct pt_record *rec, const char *bdf);
struct pt_rec_gpu *pt__record_gpu_add(struct pt_record *rec, const char *bdf);
struct pt_rec_vf *pt__record_vf_add(struct pt_record *rec, const char *pf,
				    int vf, const char *ifname,
				    const struct pt_vf_settings *before);

/* ---- alloc.c: the allocator's decisions, over plain data ------------------ */

/*
 * One unit a request can take: a PCI function with its IOMMU group, a VF,
 * an mdev parent (capacity: instances creatable now), a USB device.
 */
struct pt__unit {
	const char *key;		/* identity; ties are broken by it (BDF order) */
	int pool;			/* PF, GPU or parent index; -1: none */
	int numa_node;			/* PT_NO_NUMA_NODE when unknown */
	int capacity;			/* how many more it can serve (exclusive: 1) */
	int used;			/* taken from it already (for pack/spread) */
	const char *blocked;		/* why it may not be allocated, or NULL */
	/* vgpu: the time-sliced profile its GPU runs now (canonical name), or NULL */
	const char *runs_profile;
};

enum pt__placement { PT__PLACE_PACK = 0, PT__PLACE_SPREAD = 1 };

struct pt__alloc_req {
	int count;
	int numa_node;			/* preferred, PT_NO_NUMA_NODE: none */
	bool numa_strict;		/* required */
	enum pt__placement placement;
	/*
	 * vgpu: the time-sliced profile asked for (canonical name) and the
	 * group's heterogeneous setting; with heterogeneous false, a unit
	 * whose GPU runs another profile is not free (one profile per GPU).
	 */
	const char *profile;
	bool heterogeneous;
};

/*
 * Pick count units, one at a time: free ones (not blocked, capacity
 * left, on the VM's node when strict), those on the VM's node first, then
 * by placement (pack: the pool with the most taken, spread: the fewest),
 * then by key. Each pick updates capacity, used and the pool's load.
 * picked[] gets count unit indices (a unit of capacity > 1 may repeat).
 * 0, or -EBUSY with why = "1 of 2 free: 0000:04:02.2: leased to vm-a; ..."
 * (nothing changed in units then). pool_load: scratch of n ints.
 */
int pt__alloc_pick(struct pt__unit *units, size_t n, const struct pt__alloc_req *rq,
		   int *picked, int *pool_load, char *why, size_t whylen);

/* ---- lease.c: leases in the run dir ------------------------------------------ */

/* A device node a lease gave away (below the dev root). */
struct pt_lease_node {
	char rel[32];			/* "vfio/14", "bus/usb/001/004" */
	struct pt__devnode_owner before;
};

struct pt_lease_dev {
	char *name, *request, *group;
	enum pt_group_type type;
	char *mode;			/* vgpu: "mdev" or "vf" */
	char **functions;
	int n_functions;
	char *mac, *pf;
	char *mac_before;		/* the VF's MAC before start set mac (live only) */
	int vf_index;
	char *mdev_uuid, *mdev_parent, *mdev_type;
	char *usb_name, *usb_port_path, *usb_serial;
	int usb_busnum;
	int usb_devnum;			/* at start only (not recorded: it changes) */
	uint16_t usb_vendor, usb_product;
	bool guest_reset, guest_resets_all;
	unsigned int vgpu_type;		/* vgpu vf: the type start writes */
	bool migratable;		/* vgpu with live_migration = yes */
	bool created;			/* start made the mdev instance */
	/*
	 * Device nodes start gave to the VM's user/group, with the owner
	 * and mode each had before (what stop gives back). Not the node of
	 * an mdev instance: it goes with the instance.
	 */
	struct pt_lease_node *nodes;
	int n_nodes;
};

struct pt_lease {
	struct pt_ctx *ctx;
	char *vm;
	char *state;			/* "starting", "running" */
	int pid;
	unsigned long long starttime;	/* of pid, from /proc/PID/stat; 0 unknown */
	char uuid[37];
	char *blocker;
	struct pt_lease_dev **devs;
	int n_devs;
	/*
	 * A tenant's VM (tenantdir.c): the lease is <tenant>.d/<vm>.lease,
	 * written by the tenant's admins, and records the boot it was made
	 * in (a lease of an earlier boot holds nothing).
	 */
	char *tenant;
	char boot_id[37];
	char *foreign;			/* why it names units not the tenant's, or NULL */
};

void pt__leases_free(struct pt_ctx *ctx);
struct pt_lease *pt__lease_new(struct pt_ctx *ctx, const char *vm);
struct pt_lease_dev *pt__lease_dev_add(struct pt_lease *l);
void pt__lease_free(struct pt_lease *l);
/* Record a node of d (once: a node already recorded is kept). 0, -ENOMEM. */
int pt__lease_dev_add_node(struct pt_lease_dev *d, const char *rel,
			   const struct pt__devnode_owner *before);
/* The run dir's lock (created with the run dir and leases/): fd or -errno. */
int pt__lease_lock(struct pt_ctx *ctx, char *err, size_t errlen);
/* Write a lease atomically (temp, fsync, rename, fsync dir). */
int pt__lease_write(struct pt_lease *l, char *err, size_t errlen);
int pt__lease_remove(struct pt_ctx *ctx, const char *vm, char *err, size_t errlen);
/* Is the recorded process alive (this machine's /proc)? */
bool pt__lease_pid_alive(int pid, unsigned long long starttime);
unsigned long long pt__pid_starttime(int pid);
/* RFC 4122 v5 (SHA-1) UUID of "passthru:" + the parts joined by '/'. */
void pt__stable_uuid(const char *a, const char *b, char out[37]);
/* A locally administered unicast MAC from VM and request names. */
void pt__stable_mac(const char *vm, const char *request, int idx, char out[18]);

/*
 * A tenant's leases, read from its directory (dfd) as untrusted input:
 * strictly parsed, the lease of an earlier boot left out, every unit
 * checked against the tenant's grants (one naming another: l->foreign
 * says why; root acts on none of its units). strict: the first file that
 * cannot be taken is an error (-EPERM, message in err); else it is left
 * out with a one-line warning added to *warn (n_warn), naming the tenant
 * and the file.
 */
int pt__tenant_leases_load(struct pt_ctx *ctx, const char *tenant, int dfd, bool strict,
			   struct pt_lease ***out, size_t *n, char ***warn, int *n_warn,
			   char *err, size_t errlen);
/* Write a tenant's lease (l->tenant) into its directory dfd. */
int pt__tenant_lease_write(struct pt_lease *l, int dfd, char *err, size_t errlen);
/* This boot's id (proc root's sys/kernel/random/boot_id), "" when unknown. */
void pt__boot_id(struct pt_ctx *ctx, char out[37]);

/* ---- tenantdir.c: a tenant's own directory, <conf>/tenants.d/<t>.d --------- */

void pt__tdir_name(const char *tenant, char *buf, size_t len);
/* Open it (O_NOFOLLOW, root's): an fd or -errno with err set. */
int pt__tdir_open(struct pt_ctx *ctx, const char *tenant, char *err, size_t errlen);
/* Root: make it (2770 root:gid) with its lock; remove it and its files. */
int pt__tdir_create(struct pt_ctx *ctx, const char *tenant, gid_t gid, char *err,
		    size_t errlen);
int pt__tdir_remove(struct pt_ctx *ctx, const char *tenant, char *err, size_t errlen);
/*
 * flock its .lock (O_NOFOLLOW, a regular file with one link): wait at
 * most wait_s seconds (< 0: do not wait; -EWOULDBLOCK). An fd or -errno.
 */
int pt__tdir_lock(struct pt_ctx *ctx, const char *tenant, int dfd, int wait_s, char *err,
		  size_t errlen);
/*
 * Read an untrusted file of the directory: -ELOOP (a link), -EBADF (not
 * a regular file), -EMLINK (hard-linked), -EFBIG, -EILSEQ (a NUL byte).
 */
int pt__tdir_read(int dfd, const char *name, char **text);
const char *pt__tdir_read_error(int r);
/* Replace name atomically (temp, fsync, rename: a planted link is replaced). */
int pt__tdir_write(int dfd, const char *name, const char *text);
int pt__tdir_unlink(int dfd, const char *name);
/* The stems of the names that end in suffix and are valid names, sorted. */
int pt__tdir_list(int dfd, const char *suffix, char ***names, size_t *n);
/* tenants.d/.admins/<admins>: the tenants of a Unix group (root writes). */
int pt__tdir_index_write(struct pt_ctx *ctx, const char *admins, const char *const *tenants,
			 size_t n);
/* The tenants of the caller's groups, from the index. */
int pt__tdir_index_read(struct pt_ctx *ctx, char ***names, size_t *n);
/* Is the caller in Unix group gid (effective or supplementary)? */
bool pt__in_group(gid_t gid);

/* ---- attach.c ------------------------------------------------------------- */

void pt__vms_free(struct pt_ctx *ctx);
/*
 * An unknown key at rel:line of a vms.d or tenants.d file: the error (the
 * known key it is closest to, or the list of known keys) in err; -EINVAL.
 */
int pt__unknown_key(const char *rel, int line, const char *key, const char *const *known,
		    char *err, size_t errlen);
/* Is vm one of the host's VMs (vms.d/<vm>.ini exists)? */
bool pt__conf_has_vm(struct pt_ctx *ctx, const char *vm);
/*
 * For tenant.c's grant: pick count units of host group g as a VM start
 * would (leases, reservations, host-critical and not-applied units
 * excluded; the group's placement). *units gets count malloc'd strings:
 * a pci unit's functions joined by '+', a VF's BDF, a USB key, or for an
 * mdev instance to make "@PARENT" (the parent chosen; a parent is picked
 * as often as instances of it are wanted). -EBUSY with why ("1 of 2
 * free: ...").
 */
/*
 * attach.c: a start's narrowed PCI scan (pt__pci_scan_narrow) for the
 * members of groups: 1 when the model now holds only the functions those
 * members can be and what relates to them (pt__attach_narrow_end() drops
 * it, and every group's members, before anything else enumerates the
 * host); 0 when the model is whole (scanned already, or a rule of a group
 * has no equality clause on slot, ids, class_id or driver: then nothing is
 * scanned here); -errno.
 */
int pt__attach_narrow(struct pt_ctx *ctx, struct pt_group *const *groups, size_t n);
void pt__attach_narrow_end(struct pt_ctx *ctx);
int pt__attach_pick_units(struct pt_ctx *ctx, struct pt_group *g, int count, char ***units,
			  int *n, char *why, size_t whylen);

/* ---- tenant.c: tenants and the units reserved for them -------------------- */

void pt__tenants_free(struct pt_ctx *ctx);
/*
 * Why key (a BDF or USB key) may not be allocated, or NULL: reserved for
 * a tenant (for_grant NULL: any; else any other than the tenant group
 * "TENANT:GROUP" named), not granted to for_grant, or the reservations
 * cannot be read (then nothing is free). The text is in buf.
 */
const char *pt__tenant_block(struct pt_ctx *ctx, const char *key, const char *for_grant,
			     char *buf, size_t len);
/*
 * A request's group: "GROUP" (a host group) or "TENANT:GROUP" (that
 * tenant's grant of host group GROUP; *host gets GROUP). NULL: no such.
 */
struct pt_group *pt__tenant_group_resolve(struct pt_ctx *ctx, const char *name,
					  const char **host);
/*
 * The tenant an mdev instance was made for by its grant (the instances of
 * vgpu grants of mode mdev), or NULL (also when tenants.d is unreadable).
 */
const char *pt__tenant_holds_mdev(struct pt_ctx *ctx, const char *uuid);
/*
 * The MAC the grant of tenant group "TENANT:GROUP" gave VF vfbdf (its
 * stable MAC from the tenant group and the unit's slot): 0, or -ENOENT.
 */
int pt__tenant_vf_mac(struct pt_ctx *ctx, const char *tenant_group, const char *vfbdf,
		      char out[18]);
/* "GROUP" or "TENANT:GROUP" with valid names. */
bool pt__group_ref_is_valid(const char *name);
/* group.c: the index members are computed with (pt__rule_set_free() it). */
int pt__group_rule_set(struct pt_group *g, struct pt_rule_set **out);
/* group.c: drop every group's members and the conflicts (the model changes). */
void pt__groups_forget_members(struct pt_ctx *ctx);

#endif /* PT_POLICY_H */
