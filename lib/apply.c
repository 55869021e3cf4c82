// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The apply and release planners: policy that turns a group into a plan
 * of binder steps (plan.c) and keeps the applied.d record (record.c).
 *
 * Apply binds PCI members (and, when asked, their IOMMU group siblings)
 * to vfio-pci, gives SR-IOV PFs their numvfs with drivers_autoprobe off
 * and binds the group's VFs, sets VF settings over netlink, enables the
 * VFs of NVIDIA per-VF vGPU GPUs and checks vGPU profiles; devices an
 * earlier apply took that the group no longer takes go back. Release
 * restores what the record holds. An IOMMU group goes whole or not at
 * all.
 *
 * A plan is made from its own context (the caller's roots and log, a
 * fresh scan read under the state lock), so the objects the caller holds
 * stay valid, and as scanned, across planning and pt_plan_execute().
 *
 * The record is written before the first host change, with every entry
 * the plan may touch (the earlier record's and the new ones), so a run
 * killed at any step leaves a record that release restores from. At the
 * end it holds what the group keeps; after a rollback, what it held
 * before.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "policy.h"

enum ent { E_DEV, E_PF, E_VF };

/* The planner's state behind one plan (the engine's owner). */
struct applier {
	struct pt_ctx *ctx;		/* the plan's own context */
	struct pt_plan *p;
	char *group;
	bool release;
	unsigned int flags;
	struct pt_store *store;
	char relpath[PT_NAME_MAX + 32];
	bool had_record;
	struct pt_record rec;
};

/* ---- planning the restore of recorded entries (release, reconcile) ------- */

/* Is this VF's PF going back to another VF count (which removes it)? */
static bool pf_restores_numvfs(struct applier *a, const char *vfbdf)
{
	char pf[PT_BDF_LEN], drv[256];
	struct pt_rec_pf *rp;
	long cur;
	int r;

	if (pt__pci_read_driver(a->ctx, vfbdf, drv, sizeof(drv)) == -ENOENT)
		return true;	/* gone already */
	r = pt__sriov_read_physfn(a->ctx, vfbdf, pf);
	if (r < 0)
		return false;
	/* this plan changes the PF's count: every VF goes */
	for (int i = 0; i < pt_plan_get_num_steps(a->p); i++) {
		struct pt_step *s = pt_plan_get_step(a->p, i);

		if (pt__step_get_ops(s) == &pt__sriov_numvfs_ops &&
		    pt_step_get_device(s) && !strcmp(pt_step_get_device(s), pf))
			return true;
	}
	if (!(rp = pt__record_pf_find(&a->rec, pf)))
		return false;
	if (pt__sriov_read(a->ctx, pf, &cur, NULL) < 0)
		return false;
	return cur != rp->numvfs;
}

static int plan_restore_dev(struct applier *a, size_t idx)
{
	struct pt_rec_dev *d = &a->rec.devs[idx];
	char drv[256], ovr[256];
	int r;

	r = pt__pci_read_driver(a->ctx, d->bdf, drv, sizeof(drv));
	if (r == -ENOENT)
		return pt__plan_note(a->p, "%s: gone from the host; nothing to restore", d->bdf);
	if (r >= 0)
		r = pt__pci_read_override(a->ctx, d->bdf, ovr, sizeof(ovr));
	if (r < 0) {
		pt__plan_error(a->p, "%s: cannot read its driver: %s", d->bdf, strerror(-r));
		return r;
	}
	return pt__vfio_plan_switch(a->p, d->bdf, drv, ovr, d->driver,
				    d->override, PT__SW_RESTORE);
}

/*
 * VF i of pf, on vfio-pci, held open by a process (a guest): -EBUSY
 * naming the holder, since change would remove it; --force does not
 * override this. 0 otherwise.
 */
static int refuse_vf_open(struct applier *a, struct pt_pci_dev *pf, int i,
			  struct pt_pci_dev *vf, const char *change)
{
	char who[128];

	if (!vf->driver || strcmp(vf->driver, PT__VFIO_DRIVER) ||
	    pt__vfio_group_is_open(a->ctx, vf->bdf, who, sizeof(who)) <= 0)
		return 0;
	pt__plan_error(a->p, "%s: VF %d (%s) of group '%s' is open in %s; %s would remove it: stop the guest first (--force does not override this)",
		       pf->bdf, i, vf->bdf, a->group, who, change);
	return -EBUSY;
}

static int plan_restore_pf(struct applier *a, size_t idx, bool autoprobe_phase)
{
	struct pt_pci_dev *dev;
	struct pt_rec_pf *pf = &a->rec.pfs[idx];
	long numvfs, autoprobe;
	char desc[160];
	int r;

	if (pt__sriov_read(a->ctx, pf->bdf, &numvfs, &autoprobe) < 0)
		return pt__plan_note(a->p, "%s: gone from the host; nothing to restore", pf->bdf);
	if (autoprobe_phase) {
		if (autoprobe == pf->autoprobe)
			return 0;
		snprintf(desc, sizeof(desc), "let the host's drivers probe the VFs of %s again",
			 pf->bdf);
		return pt__sriov_plan_autoprobe(a->p, pf->bdf, (int)autoprobe,
						pf->autoprobe, desc);
	}
	if (numvfs == pf->numvfs)
		return 0;
	/* the old count removes every VF: never one in a guest */
	dev = pt_pci_dev_find(a->ctx, pf->bdf);
	for (int i = 0; dev && i < dev->sriov_numvfs; i++) {
		struct pt_pci_dev *vf = pt_pci_dev_get_virtfn(dev, i);

		if (vf && (r = refuse_vf_open(a, dev, i, vf, "restoring its VF count")) < 0)
			return r;
	}
	snprintf(desc, sizeof(desc), "remove the %ld VFs of %s", numvfs, pf->bdf);
	r = pt__sriov_plan_numvfs(a->p, pf->bdf, (int)numvfs, 0, (int)autoprobe, desc);
	if (!r && pf->numvfs > 0) {
		snprintf(desc, sizeof(desc), "enable %d VFs on %s again", pf->numvfs,
			 pf->bdf);
		r = pt__sriov_plan_numvfs(a->p, pf->bdf, 0, pf->numvfs, -1, desc);
	}
	return r;
}

static int plan_restore_vf(struct applier *a, size_t idx)
{
	struct pt_rec_vf *v = &a->rec.vfs[idx];
	unsigned int parts = pt__vf_settings_parts(&v->before);
	struct pt_rec_pf *rp = pt__record_pf_find(&a->rec, v->pf);
	char desc[96];

	/* the VF goes away with the PF's old count */
	if (rp && v->vf >= rp->numvfs)
		return 0;
	if (!parts)
		return 0;
	snprintf(desc, sizeof(desc), "set VF %d of %s back as it was", v->vf,
		 v->ifname);
	return pt__vf_plan_settings(a->p, v->pf, v->ifname, v->vf, &v->before,
				    parts, NULL, desc);
}

/* Restore entries; only those flagged (touched, or !keep) when sel. */
static int plan_restore(struct applier *a, bool (*sel)(struct applier *, enum ent, size_t))
{
	int r = 0;

	/*
	 * autoprobe first: the kernel probes a VF without driver_override
	 * only when its PF's sriov_drivers_autoprobe is on
	 */
	for (size_t i = a->rec.n_pfs; i-- > 0 && !r;)
		if (sel(a, E_PF, i))
			r = plan_restore_pf(a, i, true);
	for (size_t i = a->rec.n_devs; i-- > 0 && !r;)
		if (sel(a, E_DEV, i) && !(!strcmp(a->rec.devs[i].role, "vf") &&
					pf_restores_numvfs(a, a->rec.devs[i].bdf)))
			r = plan_restore_dev(a, i);
	for (size_t i = a->rec.n_vfs; i-- > 0 && !r;)
		if (sel(a, E_VF, i))
			r = plan_restore_vf(a, i);
	for (size_t i = a->rec.n_pfs; i-- > 0 && !r;)
		if (sel(a, E_PF, i))
			r = plan_restore_pf(a, i, false);
	return r;
}

static bool sel_all(struct applier *a, enum ent k, size_t i)
{
	(void)a; (void)k; (void)i;
	return true;
}

static bool sel_stale(struct applier *a, enum ent k, size_t i)
{
	switch (k) {
	case E_DEV: return !a->rec.devs[i].keep;
	case E_PF: return !a->rec.pfs[i].keep;
	default: return !a->rec.vfs[i].keep;
	}
}

/* ---- planning an apply ------------------------------------------------------ */

static bool critical_is_storage(const char *reason)
{
	return strstr(reason, "root filesystem") || strstr(reason, "/boot") ||
	       strstr(reason, "swap");
}

/*
 * One policy for every group type: a host-critical device is changed only
 * with --force, and the storage under /, /boot and swap never. A pci
 * group binds it; an sriov-nic or vgpu group changes a PF's VF count or
 * drivers_autoprobe (which can bounce its link). change: NULL for a bind,
 * else what would be changed.
 */
static int check_critical_change(struct applier *a, struct pt_pci_dev *dev,
				 const char *change)
{
	const char *why = pt_pci_dev_get_critical_reason(dev);

	if (!why)
		return 0;
	if (critical_is_storage(why)) {
		pt__plan_error(a->p, "%s: host-critical (%s): the host cannot run without it; take it out of group '%s' (--force does not override this)",
			       dev->bdf, why, a->group);
		return -EPERM;
	}
	if (!(a->flags & PT_PLAN_FORCE)) {
		if (change)
			pt__plan_error(a->p, "%s: host-critical (%s): %s can bounce its link; take it out of group '%s', set the VF count by hand, or use --force if the host can do without it",
				       dev->bdf, why, change, a->group);
		else
			pt__plan_error(a->p, "%s: host-critical (%s); take it out of group '%s', or use --force if the host can do without it",
				       dev->bdf, why, a->group);
		return -EPERM;
	}
	return pt__plan_note(a->p, "%s: host-critical (%s): %s anyway (--force)",
			     dev->bdf, why, change ? "changed" : "bound");
}

static int check_critical(struct applier *a, struct pt_pci_dev *dev)
{
	return check_critical_change(a, dev, NULL);
}

/*
 * Bind one function to vfio-pci: record its state before (unless the
 * record has it from an earlier apply), then driver_override, unbind,
 * drivers_probe for what differs. drv/ovr: its state now.
 */
static int plan_bind(struct applier *a, const char *bdf, const char *role,
		     const char *drv, const char *ovr, unsigned int flags)
{
	struct pt_rec_dev *d = pt__record_dev_find(&a->rec, bdf);

	if (!d) {
		d = pt__record_dev_add(&a->rec, bdf, role, drv, ovr);
		if (!d)
			return -ENOMEM;
	}
	d->keep = true;
	return pt__vfio_plan_switch(a->p, bdf, drv, ovr, PT__VFIO_DRIVER,
				    PT__VFIO_DRIVER, flags);
}

static int refuse_in_use(struct applier *a, struct pt_pci_dev *dev);

static int plan_bind_dev(struct applier *a, struct pt_pci_dev *dev,
			 const char *role)
{
	char drv[256], ovr[256];
	int r;

	r = pt__pci_read_driver(a->ctx, dev->bdf, drv, sizeof(drv));
	if (r >= 0)
		r = pt__pci_read_override(a->ctx, dev->bdf, ovr, sizeof(ovr));
	if (r < 0) {
		pt__plan_error(a->p, "%s: cannot read its driver: %s", dev->bdf, strerror(-r));
		return r;
	}
	if (strcmp(drv, PT__VFIO_DRIVER)) {
		r = refuse_in_use(a, dev);
		if (r < 0)
			return r;
	}
	return plan_bind(a, dev->bdf, role, drv, ovr, 0);
}

struct targets {
	struct pt_pci_dev **devs;
	size_t n;
};

static bool targets_has(struct targets *t, struct pt_pci_dev *dev)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->devs[i] == dev)
			return true;
	return false;
}

static int targets_add(struct targets *t, struct pt_pci_dev *dev)
{
	struct pt_pci_dev **n;

	if (targets_has(t, dev))
		return 0;
	n = realloc(t->devs, (t->n + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	t->devs = n;
	t->devs[t->n++] = dev;
	return 0;
}

/*
 * Every endpoint of each target's IOMMU group must be a target too;
 * siblings are added (and returned in sib) with --with-group-siblings,
 * else -EBUSY naming them.
 */
static int check_iommu(struct applier *a, struct targets *t,
		       struct targets *sib)
{
	char *names = NULL;
	int r = 0;

	for (size_t i = 0; i < t->n; i++) {
		struct pt_pci_dev *dev = t->devs[i];
		int num = pt_pci_dev_get_iommu_group(dev);
		struct pt_iommu_group *g;

		if (num < 0) {
			pt__plan_error(a->p, "%s: has no IOMMU group, so vfio-pci cannot take it; enable the IOMMU (intel_iommu=on or AMD-Vi in the firmware), see 'pt scan --check'",
				   dev->bdf);
			r = -ENODEV;
			goto out;
		}
		g = pt_iommu_group_find(a->ctx, num);
		for (int k = 0; g && k < pt_iommu_group_get_num_members(g); k++) {
			struct pt_pci_dev *m = pt_iommu_group_get_member(g, k);
			char item[PT_BDF_LEN + 280];

			if (pt_pci_dev_is_bridge(m) || targets_has(t, m) ||
			    targets_has(sib, m))
				continue;
			r = targets_add(sib, m);
			if (r < 0)
				goto out;
			snprintf(item, sizeof(item), "%s (%s)", m->bdf,
				 m->driver ? m->driver : "no driver");
			if (pt__append_reason(&names, item) < 0) {
				r = -ENOMEM;
				goto out;
			}
		}
	}
	if (names && !(a->flags & PT_PLAN_WITH_SIBLINGS)) {
		bool recorded = true;

		/* taken by an earlier apply --with-group-siblings: boot replay */
		for (size_t i = 0; i < sib->n && recorded; i++) {
			struct pt_rec_dev *d = pt__record_dev_find(&a->rec, sib->devs[i]->bdf);

			recorded = d && !strcmp(d->role, "sibling");
		}
		if (recorded) {
			r = pt__plan_note(a->p, "IOMMU group siblings bound as recorded by an earlier --with-group-siblings: %s",
				      names);
			goto checks;
		}
	}
	if (names && !(a->flags & PT_PLAN_WITH_SIBLINGS)) {
		char *c;

		/* "; "-joined by append_reason: list them with ", " */
		while ((c = strstr(names, "; ")))
			*c = ',';
		pt__plan_error(a->p, "group '%s': IOMMU group also holds %s, outside the group: a group goes to a guest whole; add them to the group or use --with-group-siblings",
			   a->group, names);
		r = -EBUSY;
		goto out;
	}
	if (names)
		pt__plan_note(a->p, "IOMMU group siblings bound too (--with-group-siblings): %s",
			  names);
checks:
	/* siblings pass the same checks as members */
	for (size_t i = 0; i < sib->n && !r; i++)
		r = check_critical(a, sib->devs[i]);
out:
	free(names);
	return r;
}

static int plan_pci(struct applier *a, struct pt_group *g)
{
	struct targets t = { 0 }, sib = { 0 };
	int r = 0;

	for (int i = 0; i < pt_group_get_num_members(g) && !r; i++) {
		struct pt_pci_dev *dev = pt_member_get_pci_dev(pt_group_get_member(g, i));

		r = check_critical(a, dev);
		if (!r)
			r = targets_add(&t, dev);
	}
	if (!r)
		r = check_iommu(a, &t, &sib);
	for (size_t i = 0; i < t.n && !r; i++)
		r = plan_bind_dev(a, t.devs[i], "member");
	for (size_t i = 0; i < sib.n && !r; i++)
		r = plan_bind_dev(a, sib.devs[i], "sibling");
	free(t.devs);
	free(sib.devs);
	return r;
}

/* Change a PF's VF count (through 0) with autoprobe off first. */
static int plan_numvfs(struct applier *a, struct pt_pci_dev *pf, int want,
		       int autoprobe_want, const char *profile)
{
	long cur, ap;
	struct pt_rec_pf *rp;
	char desc[192], vf0[PT_BDF_LEN];
	int r = 0;

	if (pt__sriov_read(a->ctx, pf->bdf, &cur, &ap) < 0) {
		pt__plan_error(a->p, "%s: cannot read sriov_numvfs: not an SR-IOV PF?", pf->bdf);
		return -ENODEV;
	}
	rp = pt__record_pf_find(&a->rec, pf->bdf);
	if (!rp && (cur != want || (autoprobe_want >= 0 && ap != autoprobe_want)))
		rp = pt__record_pf_add(&a->rec, pf->bdf, (int)cur, (int)ap);
	if (!rp) {
		/* nothing to change and nothing recorded */
		return 0;
	}
	rp->keep = true;
	if (cur != want || (autoprobe_want >= 0 && ap != autoprobe_want)) {
		r = check_critical_change(a, pf, cur != want ?
					  "changing its VF count" :
					  "changing its sriov_drivers_autoprobe");
		if (r < 0)
			return r;
	}
	if (autoprobe_want >= 0 && ap != autoprobe_want) {
		snprintf(desc, sizeof(desc), autoprobe_want ?
			 "let the host's drivers take new VFs of %s" :
			 "keep the host's drivers off new VFs of %s", pf->bdf);
		r = pt__sriov_plan_autoprobe(a->p, pf->bdf, (int)ap, autoprobe_want,
					     desc);
	}
	if (!r && cur != want && cur != 0) {
		snprintf(desc, sizeof(desc), "remove the %ld VFs of %s (the kernel changes a count only through 0)",
			 cur, pf->bdf);
		r = pt__sriov_plan_numvfs(a->p, pf->bdf, (int)cur, 0, (int)ap, desc);
	}
	if (r || cur == want || want == 0)
		return r;
	if (!profile) {
		snprintf(desc, sizeof(desc), "enable %d VFs on %s", want, pf->bdf);
		return pt__sriov_plan_numvfs(a->p, pf->bdf, 0, want, -1, desc);
	}
	/* the vGPU types are known only once the VFs exist: check after */
	r = pt__sriov_vf_bdf(a->ctx, pf, 0, vf0);
	if (r < 0) {
		pt__plan_error(a->p, "%s: cannot compute the address of VF 0: %s", pf->bdf,
			       strerror(-r));
		return r;
	}
	snprintf(desc, sizeof(desc), "enable the %d VFs of %s; VF %s must offer vGPU type '%s'",
		 want, pf->bdf, vf0, profile);
	return pt__nvvgpu_plan_enable(a->p, pf->bdf, 0, want, vf0, profile, desc);
}

/*
 * VFs of pf bound to any driver outside this group's record: removing
 * them (a new VF count, or the PF's driver going) would cut a guest or
 * the host off. -EBUSY naming the first; --force does not override.
 */
static int refuse_vfs_in_use(struct applier *a, struct pt_pci_dev *pf,
			     const char *change)
{
	for (int i = 0; i < pf->sriov_numvfs; i++) {
		struct pt_pci_dev *vf = pt_pci_dev_get_virtfn(pf, i);

		if (!vf || !vf->driver)
			continue;
		if (pt__record_dev_find(&a->rec, vf->bdf)) {
			/* this group's own VF: only while no guest holds it */
			int r = refuse_vf_open(a, pf, i, vf, change);

			if (r < 0)
				return r;
			continue;
		}
		pt__plan_error(a->p, "%s: VF %d (%s) is bound to %s outside group '%s'%s; %s would remove it: release or unbind it first (--force does not override this)",
			       pf->bdf, i, vf->bdf, vf->driver, a->group,
			       !strcmp(vf->driver, PT__VFIO_DRIVER) ? " and may be in a guest" : "",
			       change);
		return -EBUSY;
	}
	return 0;
}

/*
 * Is dev, about to leave its driver, holding what a guest or the host
 * uses: mdev instances, or VFs outside this group? -EBUSY naming what and
 * how to free it.
 */
static int refuse_in_use(struct applier *a, struct pt_pci_dev *dev)
{
	struct pt_mdev_parent *par = pt_pci_dev_get_mdev_parent(dev);
	char *uuids = NULL;
	struct pt_mdev *m;
	int n = 0;

	if (par) {
		pt_mdev_foreach(par, m) {
			n++;
			if (pt__append_reason(&uuids, pt_mdev_get_uuid(m)) < 0) {
				free(uuids);
				return -ENOMEM;
			}
		}
	}
	if (n) {
		for (char *c = uuids; (c = strstr(c, "; ")); )
			*c = ',';
		pt__plan_error(a->p, "%s: has %d mdev instance%s (%s) that a guest may use; unbinding %s would remove %s: remove %s first (echo 1 > /sys/bus/mdev/devices/UUID/remove) (--force does not override this)",
			       dev->bdf, n, n == 1 ? "" : "s", uuids,
			       dev->driver ? dev->driver : "its driver",
			       n == 1 ? "it" : "them", n == 1 ? "it" : "them");
		free(uuids);
		return -EBUSY;
	}
	return dev->sriov_numvfs > 0 ?
	       refuse_vfs_in_use(a, dev, "unbinding its driver disables SR-IOV and") : 0;
}

static int plan_sriov(struct applier *a, struct pt_group *g)
{
	struct pt_vf_settings want;
	char err[256], desc[96];
	struct pt_vf_nl *nl = NULL;
	unsigned int wparts;
	int r;

	r = pt__vf_settings_from_group(g, &want, err, sizeof(err));
	if (r < 0) {
		pt__plan_error(a->p, "group '%s': %s", a->group, err);
		return r;
	}
	wparts = pt__vf_settings_parts(&want);

	for (int i = 0; i < pt_group_get_num_members(g) && !r; i++) {
		struct pt_member *m = pt_group_get_member(g, i);
		struct pt_pci_dev *pf = pt_member_get_pci_dev(m);
		const char *s = pt_group_get_setting(g, "numvfs");
		struct pt_netdev *nd = pt_netdev_get_first(pf);
		const char *ifname = nd ? pt_netdev_get_name(nd) : NULL;
		struct pt_vf_link *link = NULL;
		int want_n = s ? atoi(s) : pf->sriov_numvfs;
		bool recreate;
		struct targets t = { 0 }, sib = { 0 };

		/* the PF stays with its host driver: only VFs go to guests */
		if (want_n > pf->sriov_totalvfs) {
			pt__plan_error(a->p, "%s: numvfs %d is more than its sriov_totalvfs %d; set numvfs to at most %d",
				   pf->bdf, want_n, pf->sriov_totalvfs, pf->sriov_totalvfs);
			r = -ERANGE;
			break;
		}
		recreate = want_n != pf->sriov_numvfs;
		if (recreate && pf->sriov_numvfs > 0) {
			r = refuse_vfs_in_use(a, pf, "changing numvfs");
			if (r < 0)
				break;
		}
		if (!want_n) {
			pt__plan_note(a->p, "%s: no VFs enabled and numvfs not set; nothing to bind", pf->bdf);
			continue;
		}
		r = plan_numvfs(a, pf, want_n, 0, NULL);
		if (r < 0)
			break;

		/* per-VF settings over netlink on the PF's interface */
		if (wparts && !ifname) {
			pt__plan_error(a->p, "%s: has no network interface to set VF settings through; unset the VF settings of group '%s' or bind the PF to its network driver",
				   pf->bdf, a->group);
			r = -ENODEV;
			break;
		}
		if (wparts && pt_is_live(a->ctx) && !recreate) {
			if (!nl && (r = pt__vf_plan_socket(a->p, &nl, err, sizeof(err))) < 0) {
				pt__plan_error(a->p, "%s", err);
				break;
			}
			r = pt__vf_nl_get_link(nl, ifname, &link, err, sizeof(err));
			if (r < 0) {
				pt__plan_error(a->p, "%s", err);
				break;
			}
		}
		for (int k = 0; k < pt_member_get_num_vfs(m) && wparts && !r; k++) {
			int vf = pt_member_get_vf_index(m, k);
			unsigned int parts = wparts;
			const struct pt_vf_state *have = link ? pt__vf_link_find(link, vf) : NULL;

			if (!pt_is_live(a->ctx) && !recreate) {
				pt__plan_note(a->p, "%s vf %d: VF settings cannot be read from a fixture tree; not compared",
					  ifname, vf);
				continue;
			}
			if (have) {
				char **lines = NULL;

				if (pt__vf_drift(vf, &want, have, &parts, &lines) < 0) {
					r = -ENOMEM;
					break;
				}
				pt__vf_drift_free(lines);
				if (!parts)
					continue;
				if (!pt__record_vf_find(&a->rec, pf->bdf, vf) &&
				    !pt__record_vf_add(&a->rec, pf->bdf, vf, ifname, &have->s)) {
					r = -ENOMEM;
					break;
				}
			}
			{
				struct pt_rec_vf *rv = pt__record_vf_find(&a->rec, pf->bdf, vf);

				if (rv)
					rv->keep = true;
			}
			snprintf(desc, sizeof(desc), "set VF %d of %s (%s)", vf, ifname,
				 pf->bdf);
			r = pt__vf_plan_settings(a->p, pf->bdf, ifname, vf, &want, parts,
						 have ? &have->s : NULL, desc);
		}
		pt__vf_link_free(link);
		if (r < 0)
			break;

		/* bind the VFs the group takes */
		for (int k = 0; k < pt_member_get_num_vfs(m) && !r; k++) {
			int vf = pt_member_get_vf_index(m, k);
			struct pt_pci_dev *vd = recreate ? NULL : pt_pci_dev_get_virtfn(pf, vf);
			char bdf[PT_BDF_LEN];

			if (vd) {
				r = targets_add(&t, vd);
				continue;
			}
			r = pt__sriov_vf_bdf(a->ctx, pf, vf, bdf);
			if (r < 0) {
				pt__plan_error(a->p, "%s: cannot compute the address of VF %d: %s", pf->bdf, vf,
					   strerror(-r));
				break;
			}
			/* a new VF: no driver (autoprobe off), no override */
			r = plan_bind(a, bdf, "vf", "", "", PT__SW_CREATED);
		}
		if (!r)
			r = check_iommu(a, &t, &sib);
		for (size_t k = 0; k < t.n && !r; k++)
			r = plan_bind_dev(a, t.devs[k], "vf");
		for (size_t k = 0; k < sib.n && !r; k++)
			r = plan_bind_dev(a, sib.devs[k], "sibling");
		free(t.devs);
		free(sib.devs);
	}
	return r;
}

/*
 * Instances on an mdev parent that no VM's lease holds were made outside
 * passthru and may be in a guest: the group would hand out the parent's
 * instances beside them. -EBUSY naming them; --force does not override.
 */
static int refuse_foreign_mdevs(struct applier *a, struct pt_mdev_parent *par)
{
	const char *lerr = NULL;
	char *uuids = NULL;
	struct pt_mdev *m;
	int n = 0;

	if (!pt_mdev_get_first(par))
		return 0;
	if (pt_lease_load(a->ctx, &lerr) < 0) {
		pt__plan_error(a->p, "%s: has mdev instances, and the leases that would say which are passthru's cannot be read: %s",
			       pt_mdev_parent_get_name(par), lerr ? lerr : "unknown error");
		return -EIO;
	}
	if (pt_tenant_load(a->ctx, &lerr) < 0) {
		pt__plan_error(a->p, "%s: has mdev instances, and the tenant grants that would say which are passthru's cannot be read: %s",
			       pt_mdev_parent_get_name(par), lerr ? lerr : "unknown error");
		return -EIO;
	}
	pt_mdev_foreach(par, m) {
		struct pt_lease *l;
		bool leased = false;

		pt_lease_foreach(a->ctx, l)
			for (int k = 0; k < pt_lease_get_num_devices(l) && !leased; k++) {
				const char *u = pt_lease_dev_get_mdev_uuid(pt_lease_get_device(l, k));

				leased = u && !strcmp(u, pt_mdev_get_uuid(m));
			}
		/* a tenant's instance, made by its grant (tenant.c), is passthru's too */
		if (leased || pt__tenant_holds_mdev(a->ctx, pt_mdev_get_uuid(m)))
			continue;
		n++;
		if (pt__append_reason(&uuids, pt_mdev_get_uuid(m)) < 0) {
			free(uuids);
			return -ENOMEM;
		}
	}
	if (!n)
		return 0;
	for (char *c = uuids; (c = strstr(c, "; ")); )
		*c = ',';
	pt__plan_error(a->p, "%s: has %d mdev instance%s (%s) made outside passthru that a guest may use; group '%s' would hand out instances of this parent beside %s: remove %s first (echo 1 > /sys/bus/mdev/devices/UUID/remove) (--force does not override this)",
		       pt_mdev_parent_get_name(par), n, n == 1 ? "" : "s", uuids, a->group,
		       n == 1 ? "it" : "them", n == 1 ? "it" : "them");
	free(uuids);
	return -EBUSY;
}

/* mdev mode: the parent offers the group's profile, and holds no foreign instance. */
static int plan_vgpu_mdev(struct applier *a, struct pt_mdev_parent *par,
			  const char *label, const char *profile)
{
	struct pt_mdev_type *t;
	char *offers = NULL;
	int r;

	if (!par) {
		pt__plan_error(a->p, "%s: offers no mdev vGPU types (no mdev_supported_types); load the GPU's vGPU host driver or use mode = vf",
			   label);
		return -ENODEV;
	}
	if (!profile) {
		r = refuse_foreign_mdevs(a, par);
		return r < 0 ? r : pt__plan_note(a->p, "%s: no profile set in group '%s'; nothing to check",
						 label, a->group);
	}
	pt_mdev_type_foreach(par, t) {
		const char *name = pt_mdev_type_get_name(t);

		if (pt__vgpu_type_matches(profile, pt_mdev_type_get_id(t), name)) {
			free(offers);
			r = refuse_foreign_mdevs(a, par);
			if (r < 0)
				return r;
			return pt__plan_note(a->p, "%s: vGPU type %s%s%s%s: %d more can be created",
					 label, pt_mdev_type_get_id(t),
					 name ? " (" : "", name ? name : "", name ? ")" : "",
					 pt_mdev_type_get_available_instances(t));
		}
		if (pt__append_reason(&offers, pt_mdev_type_get_id(t)) < 0) {
			free(offers);
			return -ENOMEM;
		}
	}
	for (char *c = offers; c && (c = strstr(c, "; ")); )
		*c = ',';
	pt__plan_error(a->p, "%s: offers no vGPU type '%s' (it offers: %s); set the profile of group '%s' to one of them",
		   label, profile, offers ? offers : "none", a->group);
	free(offers);
	return -ENODEV;
}

static int plan_vgpu_vf(struct applier *a, struct pt_pci_dev *dev,
			const char *profile)
{
	struct pt_vgpu_profile prof;
	int r, nset = 0;

	if (dev->sriov_totalvfs <= 0) {
		pt__plan_error(a->p, "%s: has no SR-IOV VFs for NVIDIA per-VF vGPU; use mode = mdev", dev->bdf);
		return -ENODEV;
	}
	if (dev->sriov_numvfs > 0) {
		struct pt_pci_dev *vf0 = pt_pci_dev_get_virtfn(dev, 0);
		struct pt_rec_pf *rp = pt__record_pf_find(&a->rec, dev->bdf);
		int offered = 0;

		/* VFs an earlier apply enabled stay recorded */
		if (rp)
			rp->keep = true;
		for (int i = 0; i < dev->sriov_numvfs; i++) {
			struct pt_pci_dev *vf = pt_pci_dev_get_virtfn(dev, i);

			if (vf && pt_pci_dev_get_current_vgpu_type(vf))
				nset++;
			/* a VF with a type set lists no creatable types */
			else if (vf && profile && !offered &&
				 pt__nvvgpu_vf_offers(a->ctx, vf->bdf, profile) > 0)
				offered = 1, vf0 = vf;
		}
		if (!profile)
			return pt__plan_note(a->p, "%s: %d VFs, %d with a vGPU type set", dev->bdf,
					 dev->sriov_numvfs, nset);
		r = offered;
		if (r == 0 && nset == dev->sriov_numvfs)
			return pt__plan_note(a->p, "%s: every VF has a vGPU type set; none left for '%s'",
					 dev->bdf, profile);
		if (r <= 0 && pt__vgpu_profile_parse(profile, &prof, NULL) == 0 && prof.slices)
			/* MIG-backed types are offered once MIG mode is on and the GPU instances exist */
			return pt__plan_note(a->p, "%s: vGPU type '%s' is MIG-backed: its VFs offer it once the GPU is in MIG mode with GPU instances (below)",
					     dev->bdf, profile);
		if (r <= 0) {
			pt__plan_error(a->p, "%s: none of its free VFs offers vGPU type '%s' (see nvidia/creatable_vgpu_types of %s); set the profile of group '%s' to one they offer",
				   dev->bdf, profile, vf0 ? vf0->bdf : "its VFs", a->group);
			return -ENODEV;
		}
		return pt__plan_note(a->p, "%s: vGPU type '%s' offered; %d of %d VFs free", dev->bdf,
				 profile, dev->sriov_numvfs - nset, dev->sriov_numvfs);
	}
	/* as NVIDIA's sriov-manage -e: every VF, probed by the GPU's driver */
	return plan_numvfs(a, dev, dev->sriov_totalvfs, -1, profile);
}

/*
 * Ampere/Hopper on the mdev interface: the VFs are the mdev parents; apply
 * only checks that some VF offers the profile (the instances are made
 * when a VM takes one).
 */
static int plan_vgpu_vf_mdev(struct applier *a, struct pt_group *g,
			     struct pt_pci_dev *dev, const char *profile)
{
	char *why = NULL;
	int n;

	if (!profile)
		return pt__plan_note(a->p, "%s: %d VFs with mdev vGPU types", dev->bdf,
				     dev->sriov_numvfs);
	n = pt_pci_dev_get_vgpu_capacity(dev, profile);
	if (n >= 0)
		return pt__plan_note(a->p, "%s: vGPU type '%s' offered on its VFs: %d more can be created",
				     dev->bdf, profile, n);
	if (n == -ENODATA)
		return pt__plan_note(a->p, "%s: vGPU type '%s' offered on its VFs", dev->bdf,
				     profile);
	if (pt_group_get_vgpu_problem(g, dev, &why) > 0) {
		pt__plan_error(a->p, "%s", why);
		free(why);
		return -ENODEV;
	}
	free(why);
	pt__plan_error(a->p, "%s: none of its VFs offers vGPU type '%s'; set the profile of group '%s' to one they offer",
		       dev->bdf, profile, a->group);
	return -ENODEV;
}

/* ---- vgpu through NVML: MIG mode, GPU instances, heterogeneous mode (#13) ---- */

/* The GPUs of a vgpu group's members (a VF member stands for its PF), each once. */
static int group_gpus(struct pt_group *g, struct pt_pci_dev ***out)
{
	struct pt_pci_dev **v = NULL;
	int n = 0;

	for (int i = 0; i < pt_group_get_num_members(g); i++) {
		struct pt_pci_dev *d = pt_member_get_pci_dev(pt_group_get_member(g, i));
		struct pt_pci_dev **nv;
		bool seen = false;

		if (!d)
			continue;
		if (pt_pci_dev_get_physfn(d))
			d = pt_pci_dev_get_physfn(d);
		for (int k = 0; k < n; k++)
			seen |= v[k] == d;
		if (seen)
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv) {
			free(v);
			return -ENOMEM;
		}
		v = nv;
		v[n++] = d;
	}
	*out = v;
	return n;
}

static bool gi_in(const unsigned int *ids, int n, unsigned int id)
{
	for (int i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/*
 * A GPU's MIG and heterogeneous modes are the GPU's, shared by every group
 * on it: the group that turned one on records the mode before; a group
 * applied later on the same GPU takes that record over too, so the mode
 * goes back only when the last of them is released. Which other applied
 * group records a mode of bdf (mig: MIG, else heterogeneous): its name in
 * who and the mode before, or -1.
 */
static int other_gpu_mode(struct applier *a, const char *bdf, bool mig, char *who,
			  size_t wlen)
{
	int before = -1;

	for (size_t i = 0; i < a->store->n_files && before < 0; i++) {
		struct pt_ini_file *f = a->store->files[i];
		const char *rel = f->relpath;
		size_t len = strlen(rel);
		struct pt_record rec = { 0 };
		struct pt_rec_gpu *rg;
		char err[256];

		if (strncmp(rel, "applied.d/", 10) || len <= 14 || strcmp(rel + len - 4, ".ini") ||
		    !strcmp(rel, a->relpath))
			continue;
		if (pt__record_load(a->ctx, f, &rec, err, sizeof(err)) == 0 &&
		    (rg = pt__record_gpu_find(&rec, bdf)) != NULL) {
			before = mig ? rg->mig_mode : rg->hetero_mode;
			if (before >= 0)
				snprintf(who, wlen, "%.*s", (int)(len - 14), rel + 10);
		}
		pt__record_free(&rec);
	}
	return before;
}

/* How many vGPUs run on the GPU at bdf now (none known: 0). */
static int count_running(struct pt_pci_dev *f, const char *id, const char *name,
			 struct pt_vgpu_profile *prof, void *data)
{
	(void)f;
	(void)id;
	(void)name;
	(void)prof;
	(*(int *)data)++;
	return 0;
}

static int gpu_running(struct applier *a, const char *bdf)
{
	struct pt_pci_dev *gpu = pt_pci_dev_find(a->ctx, bdf);
	int n = 0;

	if (gpu)
		pt__vgpu_foreach_running(gpu, count_running, &n);
	return n;
}

/* MIG mode on and the GPU instances of prof on one GPU. */
static int plan_mig_gpu(struct applier *a, struct pt__nvml *n, pt__nvml_dev_t dev,
			struct pt_pci_dev *gpu, const struct pt_vgpu_profile *prof)
{
	unsigned int all[64];
	struct pt_rec_gpu *rg = pt__record_gpu_find(&a->rec, gpu->bdf);
	struct pt__nvml_gi_profile_info pi;
	int cur, pend, r, nall;
	bool media = !strcmp(prof->media, "ME") || !strcmp(prof->media, "MEALL");

	r = pt__nvml_mig_mode(n, dev, &cur, &pend);
	if (r == -EOPNOTSUPP) {
		pt__plan_error(a->p, "%s: does not support MIG (NVML: not supported) and group '%s' wants the MIG-backed profile %s; give '%s' a time-sliced profile (see 'pt scan -t vgpu')",
			       gpu->bdf, a->group, prof->name, a->group);
		return -ENODEV;
	}
	if (r < 0) {
		pt__plan_error(a->p, "%s: its MIG mode cannot be read through NVML: %s", gpu->bdf,
			       strerror(-r));
		return r;
	}
	if (!rg && !(rg = pt__record_gpu_add(&a->rec, gpu->bdf)))
		return -ENOMEM;
	rg->keep = true;
	if (!cur) {
		if (rg->mig_mode < 0)
			rg->mig_mode = 0;
		rg->gis.n = 0;	/* no GPU instance outlives MIG mode (a reboot) */
		r = pt__nvmig_plan_mode(a->p, gpu->bdf, 0, 1);
		if (r < 0)
			return r;
	} else {
		char who[PT_NAME_MAX + 1];

		/* MIG mode another group turned on: the last one released turns it off */
		if (rg->mig_mode < 0)
			rg->mig_mode = other_gpu_mode(a, gpu->bdf, true, who, sizeof(who));
		/* instances of an earlier apply that a reboot or reset took are made again */
		nall = pt__nvml_gi_all(n, dev, all, 64);
		if (nall < 0) {
			pt__plan_error(a->p, "%s: its GPU instances cannot be read through NVML: %s",
				       gpu->bdf, strerror(-nall));
			return nall;
		}
		for (int i = 0; i < rg->gis.n;)
			if (!gi_in(all, nall, rg->gis.ids[i]))
				rg->gis.ids[i] = rg->gis.ids[--rg->gis.n];
			else
				i++;
		if (pt__nvml_gi_profile(n, dev, prof->slices, prof->fb_gb, media, &pi) < 0) {
			pt__plan_error(a->p, "%s: NVML offers no %d-slice GPU-instance profile of about %d GB for %s; give group '%s' a profile this GPU offers (see 'pt scan -t vgpu')",
				       gpu->bdf, prof->slices, prof->fb_gb, prof->name, a->group);
			return -ENODEV;
		}
		{
			unsigned int left = 0;

			unsigned int of[PT__NVMIG_MAX_GI];

			if (n->get_gi_remaining(dev, pi.id, &left) != PT__NVML_SUCCESS)
				left = 0;
			if (!left && (rg->gis.n || pt__nvml_gi_ids(n, dev, pi.id, of,
								    PT__NVMIG_MAX_GI) > 0))
				return pt__plan_note(a->p, "%s: in MIG mode; no room for another GPU instance of %u slices (%d made by group '%s')",
						     gpu->bdf, pi.slice_count, rg->gis.n, a->group);
			if (!left) {
				pt__plan_error(a->p, "%s: in MIG mode with no room for a GPU instance of %u slices, which %s needs (%d of its instances exist); free some (release the groups or stop the VMs that use them) or give group '%s' a smaller profile",
					       gpu->bdf, pi.slice_count, prof->name, nall, a->group);
				return -ENODEV;
			}
		}
	}
	return pt__nvmig_plan_create(a->p, gpu->bdf, prof->slices, prof->fb_gb, media,
				     prof->name, &rg->gis);
}

/* Heterogeneous (mixed-size) time-sliced mode on, on one GPU. */
static int plan_hetero_gpu(struct applier *a, struct pt__nvml *n, pt__nvml_dev_t dev,
			   struct pt_pci_dev *gpu)
{
	struct pt_rec_gpu *rg = pt__record_gpu_find(&a->rec, gpu->bdf);
	int h = pt__nvml_hetero_mode(n, dev);

	/* NVML's vGPU capability "Heterogeneous Time-Slice Sizes" decides */
	if (h >= 0 && pt__nvml_hetero_capable(n, dev) == 0)
		h = -EOPNOTSUPP;
	if (h == -EOPNOTSUPP) {
		pt__plan_error(a->p, "%s: does not support heterogeneous vGPU (NVML: no \"Heterogeneous Time-Slice Sizes\"), which group '%s' asks for; set heterogeneous = no in '%s', or update the GPU's vGPU software to 17.2 or later",
			       gpu->bdf, a->group, a->group);
		return -ENODEV;
	}
	if (h < 0) {
		pt__plan_error(a->p, "%s: its heterogeneous vGPU mode cannot be read through NVML: %s",
			       gpu->bdf, strerror(-h));
		return h;
	}
	if (h == 1 && (!rg || rg->hetero_mode < 0)) {
		char who[PT_NAME_MAX + 1];
		int before = other_gpu_mode(a, gpu->bdf, false, who, sizeof(who));

		if (before < 0)
			return pt__plan_note(a->p, "%s: heterogeneous vGPU mode is on", gpu->bdf);
		/* shared: whichever of the groups is released last turns it off */
		if (!rg && !(rg = pt__record_gpu_add(&a->rec, gpu->bdf)))
			return -ENOMEM;
		rg->keep = true;
		rg->hetero_mode = before;
		return pt__plan_note(a->p, "%s: heterogeneous vGPU mode is on (group '%s' turned it on; it goes off when the last group that uses it is released)",
				     gpu->bdf, who);
	}
	if (!rg && !(rg = pt__record_gpu_add(&a->rec, gpu->bdf)))
		return -ENOMEM;
	rg->keep = true;
	if (h == 1)
		return 0;
	if (rg->hetero_mode < 0)
		rg->hetero_mode = 0;
	return pt__nvmig_plan_hetero(a->p, gpu->bdf, 0, 1);
}

static int plan_vgpu_nvml(struct applier *a, struct pt_group *g)
{
	const char *profile = pt_group_get_setting(g, "profile");
	const char *het = pt_group_get_setting(g, "heterogeneous");
	struct pt_vgpu_profile prof;
	struct pt_pci_dev **gpus = NULL;
	struct pt__nvml *n;
	char why[320];
	int r, ng;
	bool mig, hetero;

	if (!profile || pt__vgpu_profile_parse(profile, &prof, NULL) < 0)
		return 0;
	mig = prof.slices > 0;
	hetero = !mig && het && !strcmp(het, "yes");
	ng = group_gpus(g, &gpus);
	if (ng <= 0) {
		free(gpus);
		return ng;
	}
	r = pt__nvml_open(a->ctx, &n, why, sizeof(why));
	if (r < 0) {
		free(gpus);
		if (!mig && !hetero)
			return 0;	/* time-sliced, one size: nothing to ask NVML */
		pt__plan_error(a->p, "group '%s': %s needs NVML to %s: %s", a->group,
			       mig ? "the MIG-backed profile" : "heterogeneous = yes",
			       mig ? "put its GPUs in MIG mode and create GPU instances" :
			       "turn the heterogeneous vGPU mode on", why);
		return -ENODEV;
	}
	for (int i = 0; i < ng && !r; i++) {
		pt__nvml_dev_t dev;
		int cur, pend;

		r = pt__nvml_device(n, gpus[i]->bdf, &dev);
		if (r < 0) {
			if (!mig && !hetero) {
				r = 0;
				continue;
			}
			pt__plan_error(a->p, "%s: NVML does not know this GPU (%s); is the NVIDIA vGPU host driver bound to it? ('nvidia-smi -q -i %s')",
				       gpus[i]->bdf, strerror(-r), gpus[i]->bdf);
			break;
		}
		if (mig) {
			r = plan_mig_gpu(a, n, dev, gpus[i], &prof);
			continue;
		}
		/* time-sliced: never on a GPU in MIG mode */
		if (pt__nvml_mig_mode(n, dev, &cur, &pend) == 0 && cur) {
			pt__plan_error(a->p, "%s is in MIG mode and group '%s' wants the time-sliced profile %s: MIG-backed and time-sliced vGPU are never mixed on one GPU; take it out of MIG mode (release the MIG-backed group on it, or 'nvidia-smi -i %s -mig 0') or give '%s' a MIG-backed profile",
				       gpus[i]->bdf, a->group, prof.name, gpus[i]->bdf, a->group);
			r = -EBUSY;
			break;
		}
		if (hetero)
			r = plan_hetero_gpu(a, n, dev, gpus[i]);
	}
	free(gpus);
	return r;
}

/* What an apply changed through NVML, undone: instances, then the modes. */
static int plan_restore_gpus(struct applier *a, bool stale_only)
{
	int r = 0;

	for (size_t i = a->rec.n_gpus; i-- > 0 && !r;) {
		struct pt_rec_gpu *rg = a->rec.gpus[i];
		unsigned int all[64];
		struct pt__nvml *n;
		pt__nvml_dev_t dev;
		char why[320], others[128] = "";
		int cur, pend, nall, left = 0;
		size_t off = 0;

		if (stale_only && rg->keep)
			continue;
		r = pt__nvml_open(a->ctx, &n, why, sizeof(why));
		if (r < 0) {
			pt__plan_error(a->p, "%s: what group '%s' changed on this GPU through NVML cannot be undone: %s",
				       rg->bdf, a->group, why);
			return -ENODEV;
		}
		r = pt__nvml_device(n, rg->bdf, &dev);
		if (r < 0) {
			pt__plan_error(a->p, "%s: NVML does not know this GPU (%s); release it once the NVIDIA host driver has it again",
				       rg->bdf, strerror(-r));
			return r;
		}
		if (pt__nvml_mig_mode(n, dev, &cur, &pend) < 0)
			cur = 0;
		nall = cur ? pt__nvml_gi_all(n, dev, all, 64) : 0;
		if (nall < 0)
			nall = 0;
		for (int k = rg->gis.n; k-- > 0 && !r;)
			if (gi_in(all, nall, rg->gis.ids[k]))
				r = pt__nvmig_plan_destroy(a->p, rg->bdf, rg->gis.ids[k],
							   rg->gis.profile_id);
		for (int k = 0; k < nall; k++)
			if (!gi_in(rg->gis.ids, rg->gis.n, all[k])) {
				left++;
				if (off < sizeof(others))
					off += (size_t)snprintf(others + off, sizeof(others) - off,
								"%s%u", off ? ", " : "", all[k]);
			}
		if (!r && rg->mig_mode == 0 && cur) {
			char who[PT_NAME_MAX + 1];

			if (other_gpu_mode(a, rg->bdf, true, who, sizeof(who)) >= 0)
				r = pt__plan_note(a->p, "%s: MIG mode stays on: group '%s' uses it too",
						  rg->bdf, who);
			else if (left)
				r = pt__plan_note(a->p, "%s: MIG mode stays on: GPU instance%s %s, not made by group '%s', remain%s",
						  rg->bdf, left > 1 ? "s" : "", others, a->group,
						  left > 1 ? "" : "s");
			else
				r = pt__nvmig_plan_mode(a->p, rg->bdf, 1, 0);
		}
		if (!r && rg->hetero_mode == 0 && pt__nvml_hetero_mode(n, dev) == 1) {
			char who[PT_NAME_MAX + 1];
			int running = gpu_running(a, rg->bdf);

			if (other_gpu_mode(a, rg->bdf, false, who, sizeof(who)) >= 0)
				r = pt__plan_note(a->p, "%s: heterogeneous vGPU mode stays on: group '%s' uses it too",
						  rg->bdf, who);
			else if (running)
				r = pt__plan_note(a->p, "%s: heterogeneous vGPU mode stays on: %d vGPU%s run%s on it; turn it off with NVIDIA's tools once they stop",
						  rg->bdf, running, running > 1 ? "s" : "",
						  running > 1 ? "" : "s");
			else
				r = pt__nvmig_plan_hetero(a->p, rg->bdf, 1, 0);
		}
	}
	return r;
}
/* ---- end vgpu through NVML ---- */

static int plan_vgpu(struct applier *a, struct pt_group *g)
{
	const char *profile = pt_group_get_setting(g, "profile");
	const char *mode = pt_group_get_setting(g, "mode");
	int r = 0;

	for (int i = 0; i < pt_group_get_num_members(g) && !r; i++) {
		struct pt_member *mb = pt_group_get_member(g, i);
		struct pt_pci_dev *dev = pt_member_get_pci_dev(mb);
		char *why = NULL;

		if (!dev) {
			/* an mdev parent that is no PCI function: mdev mode only */
			if (mode && strcasecmp(mode, "mdev")) {
				pt__plan_error(a->p, "%s: is an mdev parent, not a PCI function: it has no VFs for mode = %s; set mode = mdev in group '%s'",
					       pt_member_get_name(mb), mode, a->group);
				return -EINVAL;
			}
			r = plan_vgpu_mdev(a, pt_member_get_mdev_parent(mb),
					   pt_member_get_name(mb), profile);
			continue;
		}
		/* MIG-backed and time-sliced vGPU are never mixed on one GPU */
		r = pt__vgpu_mixing_problem(g, dev, &why);
		if (r > 0) {
			pt__plan_error(a->p, "%s", why);
			free(why);
			return -EBUSY;
		}
		if (r < 0)
			return r;
		bool vf = mode ? !strcasecmp(mode, "vf") :
			  !pt_pci_dev_get_mdev_parent(dev) && (pt_pci_dev_has_nvidia_vgpu(dev) ||
							       pt__vgpu_vfs_have_nvidia(dev));

		/* the GPU itself stays with its host driver */
		if (!pt_pci_dev_get_mdev_parent(dev) && pt__vgpu_vfs_have_mdev(dev))
			r = plan_vgpu_vf_mdev(a, g, dev, profile);
		else if (vf)
			r = plan_vgpu_vf(a, dev, profile);
		else if (profile || pt_pci_dev_get_mdev_parent(dev))
			r = plan_vgpu_mdev(a, pt_pci_dev_get_mdev_parent(dev), dev->bdf, profile);
		else
			r = pt__plan_note(a->p, "%s: no profile set in group '%s'; nothing to check",
				      dev->bdf, a->group);
	}
	/* after the VFs, as NVIDIA's order is: sriov-manage -e, then MIG */
	return r ?: plan_vgpu_nvml(a, g);
}

/* ---- refusals ------------------------------------------------------------------ */

/* A group with a conflict is refused whole, --force or not: -EBUSY. */
static int refuse_conflicts(struct applier *a, struct pt_group *g)
{
	struct pt_conflict *c;

	pt_conflict_foreach(a->ctx, c) {
		struct pt_group *x = pt_conflict_get_group(c, 0);
		struct pt_group *y = pt_conflict_get_group(c, 1);
		struct pt_group *other = x == g ? y : x;

		if (x != g && y != g)
			continue;
		if (pt_conflict_get_reason(c) && strstr(pt_conflict_get_reason(c), "MIG-backed"))
			pt__plan_error(a->p, "group '%s': %s would carry MIG-backed and time-sliced vGPU: group '%s' wants %s, group '%s' wants %s; %s: give both the same kind of profile or narrow the rules of one of them (see 'pt group check')",
				       a->group, pt_conflict_get_device(c), a->group,
				       pt_group_get_setting(g, "profile"), pt_group_get_name(other),
				       pt_group_get_setting(other, "profile"), pt_conflict_get_reason(c));
		else if (pt_conflict_get_reason(c))
			pt__plan_error(a->p, "group '%s': %s: group '%s' splits its VFs too but %s; a function has one VF count: set the same numvfs in both (see 'pt group check')",
				       a->group, pt_conflict_get_device(c),
				       pt_group_get_name(other), pt_conflict_get_reason(c));
		else
			pt__plan_error(a->p, "group '%s': %s is also claimed by group '%s'; a device belongs to one group only: narrow the rules of one of them (see 'pt group check')",
				       a->group, pt_conflict_get_device(c),
				       pt_group_get_name(other));
		return -EBUSY;
	}
	return 0;
}

/* ---- the record around execution ---------------------------------------------- */

static int applier_begin(struct pt_plan *p, void *owner)
{
	struct applier *a = owner;
	int r;

	if (a->release)
		return 0;	/* the record is there: release restores from it */
	/* every entry the run may touch, before it touches anything */
	r = pt__record_save(a->store, a->relpath, &a->rec, PT_REC_ALL);
	if (r < 0)
		pt__plan_error(p, "group '%s': the record %s/%s could not be written before any change: %s; nothing was changed",
			       a->group, pt_get_conf_dir(a->ctx), a->relpath,
			       strerror(-r));
	return r;
}

static int applier_end(struct pt_plan *p, void *owner, int rc, bool undone)
{
	struct applier *a = owner;
	int r;

	if (rc < 0) {
		/*
		 * A failed release keeps its whole record (what is restored
		 * already plans nothing next time); a rolled-back apply goes
		 * back to the record it had; one that could not be undone
		 * keeps every entry it may have touched.
		 */
		if (!a->release && undone)
			pt__record_save(a->store, a->relpath, &a->rec, PT_REC_LOADED);
		return rc;
	}
	r = pt__record_save(a->store, a->relpath, &a->rec, PT_REC_KEPT);
	if (r < 0)
		pt__plan_error(p, "group '%s': changes made but the record %s/%s could not be written: %s; run 'pt group %s %s' again",
			       a->group, pt_get_conf_dir(a->ctx), a->relpath,
			       strerror(-r), a->release ? "release" : "apply", a->group);
	return r;
}

static void applier_free(void *owner)
{
	struct applier *a = owner;

	pt__record_free(&a->rec);
	if (a->store)
		pt__store_close(a->store);
	free(a->group);
	pt_unref(a->ctx);
	free(a);
}

static const struct pt__plan_hooks applier_hooks = {
	.begin = applier_begin,
	.end = applier_end,
	.free = applier_free,
};

/* ---- plan objects ------------------------------------------------------------ */

static int plan_new(struct pt_ctx *ctx, const char *group, unsigned int flags,
		    bool release, struct applier **out)
{
	struct applier *a = calloc(1, sizeof(*a));
	char err[512], subject[PT_NAME_MAX + 16];
	struct pt_ini_file *f;
	int r;

	*out = a;
	if (!a)
		return -ENOMEM;
	a->flags = flags;
	a->release = release;
	a->group = strdup(group ? group : "");
	if (!a->group)
		return -ENOMEM;
	/* the plan's own context: the caller's objects are never touched */
	r = pt__ctx_clone(ctx, &a->ctx);
	if (r < 0)
		return r;
	snprintf(subject, sizeof(subject), "group '%.*s'", PT_NAME_MAX, a->group);
	r = pt__plan_new(a->ctx, a->group, release ? "release" : "apply", subject,
			 flags, &a->p);
	if (r < 0) {
		pt_plan_free(a->p);
		a->p = NULL;
		return r;
	}
	pt__plan_set_hooks(a->p, &applier_hooks, a);
	if (release)
		pt__plan_set_no_rollback(a->p, "; what is not released stays recorded: fix the cause and release again");
	if (pt__store_applied_relpath(a->group, a->relpath, sizeof(a->relpath)) < 0) {
		pt__plan_error(a->p, "'%s': not a valid group name", a->group);
		return -ENOENT;
	}
	r = pt__store_open(a->ctx, !(flags & PT_PLAN_DRY_RUN), &a->store, err,
			   sizeof(err));
	if (r < 0) {
		pt__plan_error(a->p, "%s", err);
		return r;
	}
	/* a plan is made from a whole scan only: never from a partial one */
	r = pt_pci_scan(a->ctx);
	if (r < 0) {
		pt__plan_error(a->p, "group '%s': cannot scan %s/bus/pci/devices: %s; nothing planned",
			       a->group, pt_get_sysfs_root(a->ctx), strerror(-r));
		return -EIO;
	}
	if (!pt_pci_scan_is_complete(a->ctx)) {
		int n = pt_pci_get_num_problems(a->ctx);

		pt__plan_error(a->p, "group '%s': the PCI scan is incomplete (%s%s); %s plans from a whole scan only, nothing planned: try again once the devices settle, or fix what cannot be read",
			       a->group, n ? pt_pci_get_problem(a->ctx, 0) : "a read failed",
			       n > 1 ? ", and more: see 'pt scan'" : "",
			       release ? "release" : "apply");
		return -EIO;
	}
	/* a keep-going load skipped an unreadable record: never plan over it */
	if (pt__store_bad(a->store, a->relpath)) {
		pt__plan_error(a->p, "%s; group '%s' is not %s until its record is repaired",
			       pt__store_bad(a->store, a->relpath), a->group,
			       release ? "released" : "applied");
		return -EINVAL;
	}
	f = pt__store_find(a->store, a->relpath);
	if (f) {
		a->had_record = true;
		r = pt__record_load(a->ctx, f, &a->rec, err, sizeof(err));
		if (r < 0) {
			pt__plan_error(a->p, "%s", err);
			return r;
		}
	}
	return 0;
}

/* The plan to hand out: the applier's, or NULL when it has none. */
static struct pt_plan *plan_of(struct applier *a)
{
	struct pt_plan *p;

	if (!a)
		return NULL;
	if (a->p)
		return a->p;
	p = NULL;
	applier_free(a);
	return p;
}

PT_EXPORT int pt_plan_apply(struct pt_ctx *ctx, const char *group,
			    unsigned int flags, struct pt_plan **out)
{
	struct applier *a;
	struct pt_group *g;
	int r;

	r = plan_new(ctx, group, flags, false, &a);
	*out = plan_of(a);
	if (r < 0)
		return r;
	r = pt_conf_load(a->ctx);
	if (r < 0) {
		pt__plan_error(a->p, "%s", pt_conf_get_error(a->ctx));
		return r;
	}
	g = pt_group_find(a->ctx, group);
	if (!g) {
		pt__plan_error(a->p, "group '%s' not found; see 'pt group list'", group);
		return -ENOENT;
	}
	if (a->had_record && a->rec.type[0] &&
	    strcmp(a->rec.type, pt_group_type_name(pt_group_get_type(g)))) {
		pt__plan_error(a->p, "group '%s' was applied as type %s; run 'pt group release %s' first",
			       group, a->rec.type, group);
		return -EBUSY;
	}
	r = refuse_conflicts(a, g);
	if (r < 0)
		return r;
	snprintf(a->rec.type, sizeof(a->rec.type), "%s",
		 pt_group_type_name(pt_group_get_type(g)));
	/* entries of an earlier apply stay only if planned again */
	pt__record_unkeep(&a->rec);

	switch (pt_group_get_type(g)) {
	case PT_GROUP_PCI:
		r = plan_pci(a, g);
		break;
	case PT_GROUP_SRIOV_NIC:
		r = plan_sriov(a, g);
		break;
	case PT_GROUP_VGPU:
		r = plan_vgpu(a, g);
		break;
	case PT_GROUP_USB:
		r = pt__plan_note(a->p, "USB groups need no host changes: devices are passed to guests when attached");
		break;
	}
	if (r < 0)
		return r;
	if (!pt_group_get_num_members(g))
		pt__plan_note(a->p, "group '%s' has no members on this host", group);

	/* devices an earlier apply took that are no longer members go back */
	{
		int first = pt_plan_get_num_steps(a->p);

		r = plan_restore_gpus(a, true) ?: plan_restore(a, sel_stale);
		if (r < 0)
			return r;
		if (pt_plan_get_num_steps(a->p) > first)
			pt__plan_note(a->p, "devices applied before that the group no longer takes are restored");
	}
	/* vfio-pci loaded before the first bind */
	return pt__vfio_plan_module(a->p);
}

PT_EXPORT int pt_plan_release(struct pt_ctx *ctx, const char *group,
			      unsigned int flags, struct pt_plan **out)
{
	struct applier *a;
	int r;

	r = plan_new(ctx, group, flags, true, &a);
	*out = plan_of(a);
	if (r < 0)
		return r;
	if (!a->had_record) {
		pt__plan_error(a->p, "group '%s' is not applied on this host; nothing to release",
			       group);
		return -ENOENT;
	}
	pt__record_unkeep(&a->rec);
	return plan_restore_gpus(a, false) ?: plan_restore(a, sel_all);
}
