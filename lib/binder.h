/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The binders: the only code that writes to the kernel, each a set of
 * step kinds of the plan engine (plan.h). Planners (policy.h) add steps
 * through the functions below; binders never touch the store. Model
 * files never include this header.
 */
#ifndef PT_BINDER_H
#define PT_BINDER_H

#include <stdbool.h>
#include <sys/types.h>

#include "plan.h"

#define PT__VFIO_DRIVER		"vfio-pci"

/* ---- vfio.c: PCI driver switches, vfio-pci and its device nodes ---------- */

/*
 * Live state of a PCI function, read now (never the scan): its driver
 * ("" none; -ENOENT: the function is gone) and driver_override ("" for
 * none or "(null)"). 0 or -errno.
 */
int pt__pci_read_driver(struct pt_ctx *ctx, const char *bdf, char *buf,
			size_t len);
int pt__pci_read_override(struct pt_ctx *ctx, const char *bdf, char *buf,
			  size_t len);
/* Is bus/pci/drivers/<driver> there? */
bool pt__pci_driver_registered(struct pt_ctx *ctx, const char *driver);

/* pt__vfio_plan_switch() flags */
enum {
	/* describe the steps as a return to the host's state */
	PT__SW_RESTORE = 1u << 0,
	/*
	 * an earlier step of the plan creates the function (a new VF): the
	 * undo of that step removes it, so these steps undo nothing
	 */
	PT__SW_CREATED = 1u << 1,
};

/*
 * The one driver switch, for binding to vfio-pci and for restoring a
 * host driver: driver_override, unbind from the current driver,
 * drivers_probe, each a step only where cur and want differ. want_drv ""
 * leaves the function without a driver. Each step's undo drives the
 * function back to cur. 0 or -errno.
 */
int pt__vfio_plan_switch(struct pt_plan *p, const char *bdf,
			 const char *cur_drv, const char *cur_ovr,
			 const char *want_drv, const char *want_ovr,
			 unsigned int flags);
/*
 * When a step of p binds to vfio-pci and vfio-pci is not registered:
 * a first step loading vfio-pci and vfio_iommu_type1 (module.c). 0 or
 * -ENOMEM.
 */
int pt__vfio_plan_module(struct pt_plan *p);
/*
 * Is /dev/vfio/<group of bdf> held open by a process? 1 yes: the node
 * refuses a second open with EBUSY, or a process under the proc root has
 * it among its fds; who is then "pid N (comm)" where a process was found,
 * else "a process (a running guest?)". 0 no (or no node), -errno.
 */
int pt__vfio_group_is_open(struct pt_ctx *ctx, const char *bdf, char *who,
			   size_t wlen);

/* ---- sriov.c: SR-IOV PFs: numvfs and drivers_autoprobe ------------------- */

/* Live sriov_numvfs and sriov_drivers_autoprobe of a PF; 0 or -errno. */
int pt__sriov_read(struct pt_ctx *ctx, const char *bdf, long *numvfs,
		   long *autoprobe);
/* The number of virtfnN links now, or -errno. */
int pt__sriov_count_virtfns(struct pt_ctx *ctx, const char *bdf);
/* VF idx's BDF from the PF's routing ID, sriov_offset and sriov_stride. */
int pt__sriov_vf_bdf(struct pt_ctx *ctx, struct pt_pci_dev *pf, int idx,
		     char out[PT_BDF_LEN]);
/* The BDF of a VF's PF, read now; 0, -ENOENT (gone or not a VF). */
int pt__sriov_read_physfn(struct pt_ctx *ctx, const char *vfbdf,
			  char out[PT_BDF_LEN]);

/* A PF's change from one value to another (the step kinds' data). */
struct pt__sriov_change {
	char bdf[PT_BDF_LEN];
	int from, to;
	int autoprobe_then;		/* numvfs: see below; -1: none */
};

/* sriov_drivers_autoprobe from -> to; undo writes from. */
int pt__sriov_plan_autoprobe(struct pt_plan *p, const char *bdf, int from,
			     int to, const char *desc);
/*
 * sriov_numvfs from -> to, one write (the kernel changes a count only
 * through 0: plan from -> 0 -> to as two steps). Verified by the virtfn
 * links and the attribute; undo goes back to from (through 0), with
 * sriov_drivers_autoprobe set to autoprobe_then first (what it was when
 * the from VFs were made, so the host's drivers take them again; -1:
 * leave it).
 */
int pt__sriov_plan_numvfs(struct pt_plan *p, const char *bdf, int from,
			  int to, int autoprobe_then, const char *desc);
extern const struct pt__step_ops pt__sriov_numvfs_ops;

/* ---- nvvgpu.c: NVIDIA per-VF vGPU ------------------------------------------ */

/*
 * Does this VF offer the vGPU type (by name or numeric id) in
 * nvidia/creatable_vgpu_types now? 1, 0, or -errno (-ENOENT: no file yet).
 */
int pt__nvvgpu_vf_offers(struct pt_ctx *ctx, const char *vfbdf,
			 const char *profile);
/*
 * Enable a GPU's VFs (sriov_numvfs from -> to) and check after it that
 * VF vfbdf offers profile.
 */
int pt__nvvgpu_plan_enable(struct pt_plan *p, const char *bdf, int from,
			   int to, const char *vfbdf, const char *profile,
			   const char *desc);
/*
 * Write a VF's nvidia/current_vgpu_type from -> to. Writing 0 (stopping
 * the type) is retried for up to 10 s while the driver answers EBUSY (a
 * guest is still letting go); undo writes from back.
 */
int pt__nvvgpu_plan_set_type(struct pt_plan *p, const char *vfbdf,
			     unsigned int from, unsigned int to);

/* ---- nvmig.c: MIG and heterogeneous vGPU, through NVML (nvml.c) -------- */

#define PT__NVMIG_MAX_GI	16

/* What a create step made, for the planner's record (filled at run). */
struct pt__nvmig_out {
	unsigned int profile_id;
	unsigned int ids[PT__NVMIG_MAX_GI];
	int n;
};

/* A GPU's MIG mode from -> to; undo sets from. A mode pending a reset fails, undone. */
int pt__nvmig_plan_mode(struct pt_plan *p, const char *bdf, int from, int to);
/*
 * As many GPU instances as the GPU can take now of the GPU-instance
 * profile for a MIG-backed vGPU profile (slices, fb_gb, media: see
 * pt__nvml_gi_profile), resolved when the step runs (after MIG mode is
 * on); their ids are added to *out. Undo destroys them.
 */
int pt__nvmig_plan_create(struct pt_plan *p, const char *bdf, int slices, int fb_gb,
			  bool media, const char *profile, struct pt__nvmig_out *out);
/* Destroy GPU instance gi (gone already: done); undo makes one of profile_id. */
int pt__nvmig_plan_destroy(struct pt_plan *p, const char *bdf, unsigned int gi,
			   unsigned int profile_id);
/* The vGPU heterogeneous mode from -> to; undo sets from. */
int pt__nvmig_plan_hetero(struct pt_plan *p, const char *bdf, int from, int to);

/* ---- mdev.c: mdev instances ------------------------------------------------ */

/*
 * Create an mdev of type t (uuid NULL: a new random one, written into
 * uuid_out when given) as a step; undo removes it.
 */
int pt__mdev_plan_create(struct pt_plan *p, struct pt_mdev_type *t,
			 const char *uuid, char uuid_out[37]);
/* Remove mdev uuid of parent as a step; undo creates it again. */
int pt__mdev_plan_remove(struct pt_plan *p, struct pt_mdev_parent *parent,
			 const char *uuid);

/* ---- devnode.c: owner and mode of device nodes ---------------------------- */

/* A device node's owner and permission bits (07777). */
struct pt__devnode_owner {
	uid_t uid;
	gid_t gid;
	mode_t mode;
};

/*
 * dev_root/rel now, no link followed (sysfs.c's pt__dev_open_node): 0,
 * -ENOENT, -ELOOP (a link on the way), -ENOTTY (not a device node; a
 * plain file stands for one below a dev root other than /dev), -errno.
 */
int pt__devnode_read(struct pt_ctx *ctx, const char *rel,
		     struct pt__devnode_owner *o);

/* pt__devnode_plan_set() flags */
enum {
	/* mode's bits are added to the node's mode (as found at run) */
	PT__DEVNODE_ADD_MODE = 1u << 0,
};

/*
 * A step: give dev_root/rel (root-relative, components validated, e.g.
 * "vfio/14" from pt__dev_vfio_group_rel(), "bus/usb/001/004" from
 * pt__dev_usb_rel()) to uid and gid ((uid_t)-1 / (gid_t)-1: keep) with
 * permission bits mode ((mode_t)-1: keep; see PT__DEVNODE_ADD_MODE). No
 * link is followed, the node is never opened; verified with fstat. Undo
 * gives the node back its before owner and mode (NULL: what the step
 * found when it ran); a node gone by then (its device removed) has
 * nothing to undo. A caller that undoes in another process (a lease
 * stopped later) records before from pt__devnode_read() and plans this
 * step again with the recorded owner as the wanted one. 0, -EINVAL,
 * -ENOMEM.
 */
int pt__devnode_plan_set(struct pt_plan *p, const char *rel, uid_t uid,
			 gid_t gid, mode_t mode, unsigned int flags,
			 const struct pt__devnode_owner *before,
			 const char *desc);
/*
 * The same for the /dev/vfio node of mdev uuid's IOMMU group, looked up
 * when the step runs (an earlier step of the plan creates the instance);
 * the node goes with the instance.
 */
int pt__devnode_plan_set_mdev(struct pt_plan *p, const char *uuid, uid_t uid,
			      gid_t gid, mode_t mode, unsigned int flags,
			      const char *desc);

/* ---- hostfile.c: configuration files other programs read ------------------ */

/*
 * A step: make base/rel (base: an existing absolute directory; rel: names
 * of [A-Za-z0-9._-], none starting with '.', created 0755 where missing)
 * hold text, 0644 root:root, or remove it (text NULL). Nothing on the way
 * is followed through a link. Undo puts back what the step found. 0,
 * -EINVAL, -ENOMEM.
 */
/*
 * Does base/rel hold text now (text NULL: is it absent)? 1, 0, or -errno
 * (-ELOOP: a link on the way). Not followed through a link.
 */
int pt__hostfile_holds(const char *base, const char *rel, const char *text);
int pt__hostfile_plan_write(struct pt_plan *p, const char *base,
			    const char *rel, const char *text,
			    const char *desc);

/* ---- module.c: loading kernel modules ----------------------------------- */

/*
 * Load a module and what it depends on with libkmod, as `modprobe NAME`
 * does, from the context's modules dir. 0 also when already loaded.
 * Only on the running system: -EOPNOTSUPP when !pt_is_live(ctx), nothing
 * loaded. -ENOENT: not in the modules dir (err names the dir and the
 * package); -EPERM/-EACCES: not root; -ELIBACC/-ELIBBAD: libkmod.so.2
 * cannot be loaded (pt__kmod_open); else -errno with kmod's reason.
 * err gets one line for the admin (also on success: "").
 */
int pt__module_load(struct pt_ctx *ctx, const char *name, char *err,
		    size_t errlen);

/*
 * libkmod's entry points, dlopen()ed once per context on first use
 * (soname NULL: "libkmod.so.2"; tests name one that is not there).
 * 0, or -ELIBACC (no such library) / -ELIBBAD (a symbol missing) with
 * why: the soname, dlerror() and the package to install. A failure is
 * kept: later calls give it again without a second dlopen.
 */
struct pt__kmod;
int pt__kmod_open(struct pt_ctx *ctx, const char *soname,
		  struct pt__kmod **out, char *why, size_t wlen);

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

/* The plan's netlink socket, opened on first use, closed with the plan. */
int pt__vf_plan_socket(struct pt_plan *p, struct pt_vf_nl **out, char *err,
		       size_t errlen);
/*
 * VF settings over netlink as a step: set the given parts of want on VF
 * vf of the PF's interface ifname (one socket per plan), read them back
 * and note what the driver did not keep. before (NULL: unknown): the
 * settings read before, which undo sets again. Sent only to the running
 * kernel: on a fixture tree the step is skipped with a note.
 */
int pt__vf_plan_settings(struct pt_plan *p, const char *pfbdf,
			 const char *ifname, int vf,
			 const struct pt_vf_settings *want, unsigned int parts,
			 const struct pt_vf_settings *before,
			 const char *desc);

/* ---- vfset.c: a VF's MAC (IFLA_VF_MAC) ---------------------------------- */

/* "02:6c:4b:d2:69:a0" -> 6 bytes; 0 or -EINVAL (any other shape). */
int pt__vf_mac_parse(const char *text, unsigned char mac[6]);
void pt__vf_mac_format(const unsigned char mac[6], char out[18]);
/*
 * RTM_SETLINK (NLM_F_REQUEST|NLM_F_ACK) for PF ifindex with
 * IFLA_VFINFO_LIST/IFLA_VF_INFO/IFLA_VF_MAC {vf, mac}, as `ip link set
 * DEV vf N mac MAC` sends it. 0, -EINVAL, -ENOMEM.
 */
int pt__vf_build_set_mac(int ifindex, int vf, const unsigned char mac[6],
			 struct nl_msg **out, char *err, size_t errlen);
/* Send it, acked; err = "eth0 vf 2: cannot set mac ...: <reason>". */
int pt__vf_nl_set_mac(struct pt_vf_nl *nl, const struct pt_vf_link *pf, int vf,
		      const unsigned char mac[6], char *err, size_t errlen);
/*
 * The VF's MAC now, through the plan's socket (the running kernel only:
 * -EOPNOTSUPP on a fixture tree). -ENODEV: no such VF, or not Ethernet.
 */
int pt__vf_plan_read_mac(struct pt_plan *p, const char *ifname, int vf,
			 unsigned char out[6], char *err, size_t errlen);
/*
 * The VF's MAC as a step: set it through the plan's one socket, read it
 * back (a driver that does not keep it fails the step). before (NULL:
 * read when the step runs): the MAC undo sets again. Sent only to the
 * running kernel: on a fixture tree the step is skipped with a note.
 */
int pt__vf_plan_mac(struct pt_plan *p, const char *pfbdf, const char *ifname,
		    int vf, const unsigned char mac[6],
		    const unsigned char *before, const char *desc);

#endif /* PT_BINDER_H */
