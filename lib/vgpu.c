// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A GPU's vGPU, whole: what it offers and what it runs, wherever NVIDIA's
 * host driver shows it.
 *
 * The types of one GPU live in one of four places, by driver generation:
 * mdev_supported_types on the GPU (Turing and older), mdev_supported_types
 * on each of its VFs (Ampere and Hopper SR-IOV parts on the mdev
 * interface), nvidia/creatable_vgpu_types on each VF (the vendor-specific
 * VFIO framework of vGPU 17 and kernels >= 6.8), or, rarely, on the
 * function itself. Everything here reads what the driver states now:
 * available_instances of an mdev type, and for a per-VF type one instance
 * per VF that lists it (the list shrinks as siblings are used, and a VF
 * with a type set lists nothing). Nothing is taken from a table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"

/* Does the GPU show vGPU types through mdev parents on its VFs? */
bool pt__vgpu_vfs_have_mdev(struct pt_pci_dev *gpu)
{
	for (int i = 0; i < pt_pci_dev_get_sriov_numvfs(gpu); i++) {
		struct pt_pci_dev *vf = pt_pci_dev_get_virtfn(gpu, i);

		if (vf && pt_pci_dev_get_mdev_parent(vf))
			return true;
	}
	return false;
}

/* Do its VFs carry NVIDIA per-VF vGPU (nvidia/ on a VF)? */
bool pt__vgpu_vfs_have_nvidia(struct pt_pci_dev *gpu)
{
	for (int i = 0; i < pt_pci_dev_get_sriov_numvfs(gpu); i++) {
		struct pt_pci_dev *vf = pt_pci_dev_get_virtfn(gpu, i);

		if (vf && pt_pci_dev_has_nvidia_vgpu(vf))
			return true;
	}
	return false;
}

static int offers_of(struct pt_pci_dev *f, pt__vgpu_offer_fn fn, void *data)
{
	struct pt_mdev_parent *p = pt_pci_dev_get_mdev_parent(f);
	struct pt_mdev_type *mt;
	struct pt_vgpu_type *vt;
	int r;

	if (p) {
		pt_mdev_type_foreach(p, mt) {
			struct pt_vgpu_offer o = {
				.fn = f, .id = pt_mdev_type_get_id(mt),
				.name = pt_mdev_type_get_name(mt),
				.available = pt_mdev_type_get_available_instances(mt),
				.profile = pt_mdev_type_get_profile(mt),
			};

			if ((r = fn(&o, data)) != 0)
				return r;
		}
	}
	if (!pt_pci_dev_has_nvidia_vgpu(f))
		return 0;
	pt_vgpu_type_foreach(f, vt) {
		char id[16];
		struct pt_vgpu_offer o = {
			.fn = f, .id = id, .name = pt_vgpu_type_get_name(vt),
			.available = 1, .profile = pt_vgpu_type_get_profile(vt),
		};

		snprintf(id, sizeof(id), "%u", pt_vgpu_type_get_id(vt));
		if ((r = fn(&o, data)) != 0)
			return r;
	}
	return 0;
}

int pt__vgpu_foreach_offer(struct pt_pci_dev *gpu, pt__vgpu_offer_fn fn, void *data)
{
	int r = offers_of(gpu, fn, data);

	for (int i = 0; !r && i < pt_pci_dev_get_sriov_numvfs(gpu); i++) {
		struct pt_pci_dev *vf = pt_pci_dev_get_virtfn(gpu, i);

		if (vf)
			r = offers_of(vf, fn, data);
	}
	return r;
}

/* The name of a per-VF type id, from any function of the GPU that lists it. */
static const char *per_vf_name(struct pt_pci_dev *gpu, unsigned int id)
{
	for (int i = -1; i < pt_pci_dev_get_sriov_numvfs(gpu); i++) {
		struct pt_pci_dev *f = i < 0 ? gpu : pt_pci_dev_get_virtfn(gpu, i);
		struct pt_vgpu_type *t;

		if (!f || !pt_pci_dev_has_nvidia_vgpu(f))
			continue;
		pt_vgpu_type_foreach(f, t)
			if (pt_vgpu_type_get_id(t) == id)
				return pt_vgpu_type_get_name(t);
	}
	return NULL;
}

/* A per-VF vGPU VF's nvidia/ directory; fd or -errno. */
static int open_nvidia_dir(struct pt_pci_dev *vf)
{
	int dfd = pt__sysfs_open_pci_dev(vf->ctx, pt_pci_dev_get_bdf(vf)), fd;

	if (dfd < 0)
		return dfd;
	fd = pt__sysfs_openat_dir(dfd, "nvidia");
	close(dfd);
	return fd;
}

/* nvidia/gpu_instance_id of a per-VF vGPU VF: the MIG GPU instance; -1: none. */
static long vf_gpu_instance(struct pt_pci_dev *vf)
{
	long v;
	int fd, r;

	fd = open_nvidia_dir(vf);
	if (fd < 0)
		return -1;
	r = pt__sysfs_read_long(fd, "gpu_instance_id", &v);
	close(fd);
	return r == 0 && v >= 0 ? v : -1;
}

static int running_of(struct pt_pci_dev *gpu, struct pt_pci_dev *f,
		      pt__vgpu_running_fn fn, void *data)
{
	struct pt_mdev_parent *p = pt_pci_dev_get_mdev_parent(f);
	unsigned int cur;
	int r;

	if (p) {
		struct pt_mdev *m;

		pt_mdev_foreach(p, m) {
			struct pt_mdev_type *t;
			const char *name = NULL;
			struct pt_vgpu_profile *prof = NULL;

			pt_mdev_type_foreach(p, t)
				if (!strcmp(pt_mdev_type_get_id(t), pt_mdev_get_type_id(m))) {
					name = pt_mdev_type_get_name(t);
					prof = pt_mdev_type_get_profile(t);
				}
			if ((r = fn(f, pt_mdev_get_uuid(m), name, prof, data)) != 0)
				return r;
		}
	}
	if (pt_pci_dev_has_nvidia_vgpu(f) && (cur = pt_pci_dev_get_current_vgpu_type(f))) {
		struct pt_vgpu_profile prof, *pp = NULL;
		const char *name = per_vf_name(gpu, cur);
		char id[16];

		if (name && pt__vgpu_profile_parse(name, &prof, NULL) == 0) {
			pp = &prof;
		} else if (vf_gpu_instance(f) >= 0) {
			/*
			 * A VF with a type set lists no creatable types, so the
			 * name may be nowhere; a GPU instance says MIG-backed.
			 */
			memset(&prof, 0, sizeof(prof));
			prof.slices = -1;
			prof.max_instances = -1;
			snprintf(prof.name, sizeof(prof.name), "type %u", cur);
			pp = &prof;
		}
		snprintf(id, sizeof(id), "%u", cur);
		if ((r = fn(f, id, name, pp, data)) != 0)
			return r;
	}
	return 0;
}

int pt__vgpu_foreach_running(struct pt_pci_dev *gpu, pt__vgpu_running_fn fn, void *data)
{
	int r = running_of(gpu, gpu, fn, data);

	for (int i = 0; !r && i < pt_pci_dev_get_sriov_numvfs(gpu); i++) {
		struct pt_pci_dev *vf = pt_pci_dev_get_virtfn(gpu, i);

		if (vf)
			r = running_of(gpu, vf, fn, data);
	}
	return r;
}

/* ---- capacity ----------------------------------------------------------- */

struct cap {
	const char *want;
	char id[32];		/* the type's id where listed */
	struct pt_vgpu_profile prof;	/* parsed: .name[0] set */
	int listed;		/* sources that list the type */
	int more;		/* instances that can be created now */
	bool unknown;		/* an mdev type without available_instances */
	int max;		/* max_instance the driver states; -1 */
	int running;		/* instances of the type now */
};

static int cap_offer(const struct pt_vgpu_offer *o, void *data)
{
	struct cap *c = data;

	if (!pt__vgpu_type_matches(c->want, o->id, o->name))
		return 0;
	c->listed++;
	if (!c->id[0] && o->id)
		snprintf(c->id, sizeof(c->id), "%s", o->id);
	if (o->profile && !c->prof.name[0])
		c->prof = *o->profile;
	if (o->profile && o->profile->max_instances >= 0 && c->max < 0)
		c->max = o->profile->max_instances;
	if (o->available < 0)
		c->unknown = true;
	else
		c->more += o->available;
	return 0;
}

static int cap_running(struct pt_pci_dev *f, const char *id, const char *name,
		       struct pt_vgpu_profile *prof, void *data)
{
	struct cap *c = data;

	(void)f;
	(void)prof;
	c->running += pt__vgpu_type_matches(c->want, id, name);
	return 0;
}

/*
 * What NVML knows caps the count of VFs that offer a type: a MIG-backed
 * type takes a GPU instance of its profile that no vGPU holds; in
 * heterogeneous mode a time-sliced one takes a free placement (NVML's
 * creatable placements). Without NVML the driver's files stand alone.
 */
static int nvml_cap(struct pt_pci_dev *gpu, struct cap *c)
{
	struct pt__nvml *n;
	pt__nvml_dev_t dev;
	const char *id = c->id;
	int k;

	if (!c->prof.name[0] || pt__nvml_open(gpu->ctx, &n, NULL, 0) < 0 ||
	    pt__nvml_device(n, pt_pci_dev_get_bdf(gpu), &dev) < 0)
		return c->more;
	if (c->prof.slices > 0) {
		k = pt__nvml_gi_count(n, dev, c->prof.slices, c->prof.fb_gb,
				      !strcmp(c->prof.media, "ME") || !strcmp(c->prof.media, "MEALL"));
		k = k < 0 ? c->more : k - c->running;
	} else if (pt__nvml_hetero_mode(n, dev) == 1) {
		/* the per-VF id, or the N of an mdev type nvidia-N */
		if (strchr(id, '-'))
			id = strchr(id, '-') + 1;
		k = *id ? pt__nvml_placements(n, dev, (unsigned int)strtoul(id, NULL, 10)) : -1;
		if (k < 0)
			k = c->more;
	} else {
		k = c->more;
	}
	return k < 0 ? 0 : k < c->more ? k : c->more;
}

/*
 * Where every VF states "1 available" for itself (mdev on VFs) or lists
 * the type (per-VF VFIO), the sum counts the VFs free for it: the GPU's
 * own limit, max_instance where the driver states it, caps it.
 */
PT_EXPORT int pt_pci_dev_get_vgpu_capacity(struct pt_pci_dev *gpu, const char *profile)
{
	struct cap c = { .want = profile, .max = -1 };

	if (!gpu || !profile || !*profile)
		return -EINVAL;
	pt__vgpu_foreach_offer(gpu, cap_offer, &c);
	if (!c.listed)
		return -ENOENT;
	if (c.unknown && !c.more)
		return -ENODATA;
	pt__vgpu_foreach_running(gpu, cap_running, &c);
	if (c.max >= 0 && c.more > c.max - c.running)
		c.more = c.max > c.running ? c.max - c.running : 0;
	if (c.more > 0)
		c.more = nvml_cap(gpu, &c);
	return c.more;
}

/* ---- problems of a vgpu group's member ----------------------------------- */

struct names {
	char *list;		/* ", "-joined, each once */
	int r;
};

static int add_name(struct names *n, const char *s)
{
	size_t len = n->list ? strlen(n->list) : 0;
	char *nl;

	if (n->list) {
		const char *p = n->list;

		while ((p = strstr(p, s))) {
			size_t l = strlen(s);

			if ((p == n->list || p[-1] == ' ') && (p[l] == ',' || !p[l]))
				return 0;
			p += l;
		}
	}
	nl = realloc(n->list, len + strlen(s) + 3);
	if (!nl) {
		n->r = -ENOMEM;
		return -ENOMEM;
	}
	sprintf(nl + len, "%s%s", len ? ", " : "", s);
	n->list = nl;
	return 0;
}

static int name_offer(const struct pt_vgpu_offer *o, void *data)
{
	return add_name(data, o->profile ? o->profile->name : o->name ? o->name : o->id);
}

struct run_find {
	const char *want;	/* running the group's profile? */
	int want_mig;		/* -1: no MIG check */
	bool runs_want;
	const char *other_fn, *other_name;
	char other[96];
};

static int run_check(struct pt_pci_dev *f, const char *id, const char *name,
		     struct pt_vgpu_profile *prof, void *data)
{
	struct run_find *rf = data;

	if (pt__vgpu_type_matches(rf->want, id, name))
		rf->runs_want = true;
	if (rf->want_mig >= 0 && prof && (prof->slices != 0) != rf->want_mig &&
	    !rf->other[0]) {
		snprintf(rf->other, sizeof(rf->other), "%s (%s %s)", prof->name,
			 pt_pci_dev_get_physfn(f) ? "VF" : "on",
			 pt_pci_dev_get_bdf(f));
	}
	return 0;
}

/*
 * The mixing rule against other groups and against what runs: 1 with *why,
 * 0, -ENOMEM. *runs_want: an instance of the group's profile runs there.
 */
static int mixing_problem(struct pt_group *g, struct pt_pci_dev *gpu, char **why,
			  bool *runs_want, bool with_groups)
{
	const char *profile = pt_group_get_setting(g, "profile");
	struct pt_vgpu_profile want;
	struct run_find rf = { 0 };
	const char *gn = pt_group_get_name(g);
	struct pt_conflict *c;
	int r;

	*why = NULL;
	*runs_want = false;
	if (pt_group_get_type(g) != PT_GROUP_VGPU || !gpu || !profile)
		return 0;
	pt_conflict_foreach(gpu->ctx, c) {
		struct pt_group *x = pt_conflict_get_group(c, 0), *y = pt_conflict_get_group(c, 1);
		struct pt_group *o = x == g ? y : y == g ? x : NULL;

		if (!with_groups || !o || !pt_conflict_get_reason(c) ||
		    !strstr(pt_conflict_get_reason(c), "MIG-backed") ||
		    strcmp(pt_conflict_get_device(c), pt_pci_dev_get_bdf(gpu)))
			continue;
		r = asprintf(why, "%s would carry MIG-backed and time-sliced vGPU: group '%s' "
			     "wants %s, group '%s' wants %s; MIG-backed and time-sliced vGPU are "
			     "never mixed on one GPU: give both the same kind of profile or narrow "
			     "the rules of one of them", pt_pci_dev_get_bdf(gpu), gn, profile,
			     pt_group_get_name(o), pt_group_get_setting(o, "profile"));
		return r < 0 ? -ENOMEM : 1;
	}
	rf.want = profile;
	rf.want_mig = pt__vgpu_profile_parse(profile, &want, NULL) == 0 ?
		      want.slices > 0 : -1;
	pt__vgpu_foreach_running(gpu, run_check, &rf);
	*runs_want = rf.runs_want;
	if (rf.other[0]) {
		r = asprintf(why, "%s runs %s vGPU %s and group '%s' wants %s %s: MIG-backed "
			     "and time-sliced vGPU are never mixed on one GPU; remove those "
			     "instances or give '%s' a %s profile",
			     pt_pci_dev_get_bdf(gpu), rf.want_mig ? "time-sliced" : "MIG-backed",
			     rf.other, gn, rf.want_mig ? "MIG-backed" : "time-sliced",
			     want.name, gn, rf.want_mig ? "time-sliced" : "MIG-backed");
		return r < 0 ? -ENOMEM : 1;
	}
	return 0;
}

int pt__vgpu_mixing_problem(struct pt_group *g, struct pt_pci_dev *gpu, char **why)
{
	bool runs;

	return mixing_problem(g, gpu, why, &runs, true);
}

PT_EXPORT int pt_group_get_vgpu_problem(struct pt_group *g, struct pt_pci_dev *gpu,
					char **why)
{
	const char *profile = pt_group_get_setting(g, "profile");
	struct names offered = { 0 };
	struct pt_vgpu_profile want;
	bool runs_want;
	/* another group's profile of the other kind: a conflict (pt_conflict_get_reason) */
	int r = mixing_problem(g, gpu, why, &runs_want, false);

	if (r)
		return r;
	if (pt_group_get_type(g) != PT_GROUP_VGPU || !gpu || !profile || runs_want ||
	    pt_pci_dev_get_vgpu_capacity(gpu, profile) != -ENOENT)
		return 0;
	/* NVIDIA per-VF vGPU with SR-IOV off: the types show once apply enables the VFs */
	if (!pt_pci_dev_get_mdev_parent(gpu) && pt_pci_dev_get_sriov_numvfs(gpu) == 0 &&
	    pt_pci_dev_get_sriov_totalvfs(gpu) > 0)
		return 0;
	pt__vgpu_foreach_offer(gpu, name_offer, &offered);
	if (offered.r < 0) {
		free(offered.list);
		return offered.r;
	}
	if (pt__vgpu_profile_parse(profile, &want, NULL) == 0 && want.slices > 0)
		r = asprintf(why, "%s offers no vGPU type '%s' now: MIG-backed, it needs MIG "
			     "mode and a free GPU instance of %d slices (it offers: %s); run 'pt "
			     "group apply %s', which makes them where the GPU has room",
			     pt_pci_dev_get_bdf(gpu), profile, want.slices,
			     offered.list ? offered.list : "none", pt_group_get_name(g));
	else
		r = asprintf(why, "%s offers no vGPU type '%s' now (it offers: %s); set the profile "
		     "of group '%s' to one of them (see 'pt scan -t vgpu')",
		     pt_pci_dev_get_bdf(gpu), profile, offered.list ? offered.list : "none",
		     pt_group_get_name(g));
	free(offered.list);
	return r < 0 ? -ENOMEM : 1;
}

/* ---- MIG-backed or time-sliced: what a group would put on its GPUs ---------- */

int pt__vgpu_group_mig(struct pt_group *g)
{
	const char *profile = pt_group_get_setting(g, "profile");
	struct pt_vgpu_profile p;

	if (pt_group_get_type(g) != PT_GROUP_VGPU || !profile ||
	    pt__vgpu_profile_parse(profile, &p, NULL) < 0)
		return -1;
	return p.slices > 0;
}

/* ---- the profile setting ------------------------------------------------- */

struct cands {
	const char **v;
	size_t n, cap;
	int r;
};

static int cand_add(struct cands *c, const char *s)
{
	if (!s)
		return 0;
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i], s))
			return 0;
	if (c->n + 2 > c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 32;
		const char **nv = realloc(c->v, cap * sizeof(*nv));

		if (!nv)
			return c->r = -ENOMEM;
		c->v = nv;
		c->cap = cap;
	}
	c->v[c->n++] = s;
	c->v[c->n] = NULL;
	return 0;
}

struct known {
	const char *value;
	bool found;
	struct cands c;
};

static int known_offer(const struct pt_vgpu_offer *o, void *data)
{
	struct known *k = data;

	if (pt__vgpu_type_matches(k->value, o->id, o->name)) {
		k->found = true;
		return 1;
	}
	cand_add(&k->c, o->profile ? o->profile->name : o->name);
	return k->c.r;
}

int pt__vgpu_profile_setting_check(struct pt_ctx *ctx, const char *value,
				   char *err, size_t elen)
{
	struct pt_vgpu_profile p;
	struct known k = { .value = value };
	struct pt_mdev_parent *mp;
	struct pt_pci_dev *d;
	const char *near;
	char *end;

	if (pt__vgpu_profile_parse(value, &p, NULL) == 0)
		return 0;
	strtoul(value, &end, 10);
	if (*value && !*end)
		return 0;		/* a per-VF type id */
	if (!strncmp(value, "nvidia-", 7) && value[7]) {
		strtoul(value + 7, &end, 10);
		if (!*end)
			return 0;	/* an NVIDIA mdev type id */
	}
	pt_pci_dev_foreach(ctx, d) {
		if (k.found || k.c.r)
			break;
		pt__vgpu_foreach_offer(d, known_offer, &k);
	}
	/* and the types of mdev parents that are no PCI function (mtty) */
	pt_mdev_parent_foreach(ctx, mp) {
		struct pt_mdev_type *t;

		if (pt_mdev_parent_get_pci_dev(mp))
			continue;
		pt_mdev_type_foreach(mp, t) {
			struct pt_vgpu_offer o = {
				.id = pt_mdev_type_get_id(t), .name = pt_mdev_type_get_name(t),
			};

			if (k.found || k.c.r || known_offer(&o, &k))
				break;
		}
	}
	if (k.found || k.c.r) {
		free(k.c.v);
		return k.c.r;
	}
	near = k.c.v ? pt__closest(value, k.c.v) : NULL;
	snprintf(err, elen, "profile = %s: not a vGPU type this host offers nor an NVIDIA "
		 "profile name (<board>-<GB><series> as L40S-24Q, <board>-<slices>-<GB>"
		 "<series> as A100-3-20C)%s%s%s", value, near ? "; did you mean '" : "",
		 near ? near : "", near ? "'?" : "; see 'pt scan -t vgpu'");
	free(k.c.v);
	return -EINVAL;
}

/* ---- a GPU in a few words, for the doctor (check.c) ------------------------- */

static int sum_offer(const struct pt_vgpu_offer *o, void *data)
{
	struct pt__vgpu_summary *sm = data;

	if (!o->profile)
		return 0;
	if (o->profile->slices) {
		sm->mig_listed++;
		sm->mig_now += o->available > 0;
	} else {
		sm->ts_listed++;
		sm->ts_now += o->available > 0;
	}
	return 0;
}

static int sum_running(struct pt_pci_dev *f, const char *id, const char *name,
		       struct pt_vgpu_profile *prof, void *data)
{
	struct pt__vgpu_summary *sm = data;

	(void)f;
	(void)id;
	(void)name;
	if (prof && prof->slices)
		sm->running_mig++;
	else if (prof)
		sm->running_ts++;
	return 0;
}

void pt__vgpu_summarize(struct pt_pci_dev *gpu, struct pt__vgpu_summary *sm)
{
	memset(sm, 0, sizeof(*sm));
	if (pt_pci_dev_get_mdev_parent(gpu))
		sm->iface = "mdev";
	else if (pt__vgpu_vfs_have_mdev(gpu))
		sm->iface = "mdev on VFs";
	else if (pt__vgpu_vfs_have_nvidia(gpu) || pt_pci_dev_has_nvidia_vgpu(gpu))
		sm->iface = "per-VF VFIO";
	pt__vgpu_foreach_offer(gpu, sum_offer, sm);
	pt__vgpu_foreach_running(gpu, sum_running, sm);
	for (int i = 0; i < pt_pci_dev_get_sriov_numvfs(gpu) && !sm->placement; i++) {
		struct pt_pci_dev *vf = pt_pci_dev_get_virtfn(gpu, i);
		int fd;

		if (!vf || !pt_pci_dev_has_nvidia_vgpu(vf))
			continue;
		fd = open_nvidia_dir(vf);
		if (fd < 0)
			continue;
		sm->placement = pt__sysfs_exists(fd, "placement_id") == 0;
		close(fd);
	}
}

unsigned int pt__vgpu_vf_type_id(struct pt_pci_dev *vf, const char *profile)
{
	struct pt_vgpu_type *t;
	char *end;
	unsigned long id = strtoul(profile, &end, 10);
	bool numeric = *profile && !*end;

	pt_vgpu_type_foreach(vf, t)
		if ((numeric && pt_vgpu_type_get_id(t) == id) ||
		    pt__vgpu_type_matches(profile, NULL, pt_vgpu_type_get_name(t)))
			return pt_vgpu_type_get_id(t);
	return 0;
}
