// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The binders: make the host match a group (apply) and undo it (release).
 *
 * Both first compute a plan: every change is one step, a sysfs write, a
 * module load or a netlink request, in the order it will run, each with
 * what the kernel must show after it (the driver link names vfio-pci and
 * /dev/vfio/N exists, the virtfnN links are there ...). Writes can
 * "succeed" without effect (drivers_probe binds nothing when the driver
 * refuses), so a step is done only when that post-condition holds,
 * polled for up to two seconds; the test "kernel" of the fixture trees
 * reacts asynchronously, the real one mostly synchronously.
 *
 * PCI functions are bound to vfio-pci per device: driver_override, unbind
 * from the current driver, drivers_probe. Never new_id: it takes every
 * function with the same ids. An IOMMU group goes whole or not at all.
 *
 * What an apply changed is recorded in applied.d/<group>.ini (the state
 * each function, PF and VF had before); release and rollback restore
 * exactly that. The plan holds the state lock from planning to free.
 */
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "private.h"

#define VERIFY_TIMEOUT_MS	2000
#define VERIFY_STEP_MS		5
#define VFIO			"vfio-pci"

enum step_kind { K_MODULE, K_WRITE, K_NETLINK };

enum verify {
	V_NONE,
	V_DRIVER,		/* device's driver is vwant ("" none); vfio: + dev node */
	V_VALUE,		/* attribute reads vwant */
	V_NUMVFS,		/* exactly vint virtfn links */
	V_DRIVER_LOADED,	/* bus/pci/drivers/<vwant> exists */
	V_VGPU_PROFILE,		/* VF 0 of the device offers profile vwant */
};

enum step_status { S_PLANNED, S_DONE, S_SKIPPED, S_FAILED, S_UNDONE };

static const char *const status_names[] = {
	"planned", "done", "skipped", "failed", "undone",
};

/* What a run changed, with the state before: the record. */
struct rdev {
	char bdf[PT_BDF_LEN];
	char role[8];			/* member, sibling, vf */
	char *driver;			/* before; "" none */
	char *override;			/* before; "" none */
	bool touched;			/* changed in this run */
	bool keep;			/* in the new record */
};

struct rpf {
	char bdf[PT_BDF_LEN];
	int numvfs;
	int autoprobe;
	bool touched;
	bool keep;
};

struct rvf {
	char pf[PT_BDF_LEN];
	int vf;
	char ifname[IF_NAMESIZE];
	struct pt_vf_settings before;
	bool touched;
	bool keep;
};

struct record {
	char type[16];
	struct rdev *devs;
	size_t n_devs;
	struct rpf *pfs;
	size_t n_pfs;
	struct rvf *vfs;
	size_t n_vfs;
};

struct pt_step {
	enum step_kind kind;
	char *device;
	char *dir;			/* sysfs-root-relative directory */
	char *attr;
	char *target;
	char *value;
	char *desc;
	enum verify verify;
	char *vwant;
	int vint;
	char vbdf[PT_BDF_LEN];		/* V_VGPU_PROFILE: the VF to look at */
	/* netlink */
	char ifname[IF_NAMESIZE];
	int vf;
	struct pt_vf_settings want;
	unsigned int parts;
	/* the record entry it changes: 'd', 'p', 'v' and the index */
	char rkind;
	size_t ridx;
	enum step_status status;
};

struct pt_plan {
	struct pt_ctx *ctx;
	char *group;
	bool release;
	unsigned int flags;
	char *error;
	struct pt_step *steps;
	int n_steps;
	char **notes;
	int n_notes;
	struct pt_store *store;
	char relpath[PT_NAME_MAX + 32];
	bool had_record;
	struct record rec;
	bool executed;
};

/* ---- small helpers ------------------------------------------------------ */

static __attribute__((format(printf, 2, 3)))
int plan_error(struct pt_plan *p, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	free(p->error);
	p->error = s;
	return s ? 0 : -ENOMEM;
}

static __attribute__((format(printf, 2, 3)))
int plan_note(struct pt_plan *p, const char *fmt, ...)
{
	char **n;
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	n = realloc(p->notes, (p->n_notes + 1) * sizeof(*n));
	if (!n) {
		free(s);
		return -ENOMEM;
	}
	p->notes = n;
	p->notes[p->n_notes++] = s;
	dbg(p->ctx, "%s: note: %s\n", p->group, s);
	return 0;
}

static __attribute__((format(printf, 2, 3)))
char *xasprintf(struct pt_plan *p, const char *fmt, ...)
{
	va_list ap;
	char *s;

	(void)p;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static struct pt_step *step_new(struct pt_plan *p, enum step_kind kind)
{
	struct pt_step *n = realloc(p->steps, (p->n_steps + 1) * sizeof(*n));

	if (!n)
		return NULL;
	p->steps = n;
	n = &p->steps[p->n_steps++];
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->vf = -1;
	n->rkind = 0;
	return n;
}

static void step_clear(struct pt_step *s)
{
	free(s->device);
	free(s->dir);
	free(s->attr);
	free(s->target);
	free(s->value);
	free(s->desc);
	free(s->vwant);
}

/*
 * A sysfs write step: dir/attr = value, then verify. desc is taken over
 * (malloc'd, may be NULL on ENOMEM: then -ENOMEM).
 */
static int add_write(struct pt_plan *p, const char *device, const char *dir,
		     const char *attr, const char *value, char *desc,
		     enum verify v, const char *vwant, int vint,
		     char rkind, size_t ridx)
{
	struct pt_step *s;

	if (!desc)
		return -ENOMEM;
	s = step_new(p, K_WRITE);
	if (!s) {
		free(desc);
		return -ENOMEM;
	}
	s->desc = desc;
	s->device = pt__strdup(device);
	s->dir = strdup(dir);
	s->attr = strdup(attr);
	s->value = strdup(value);
	s->target = xasprintf(p, "%s/%s", dir, attr);
	s->verify = v;
	s->vwant = pt__strdup(vwant);
	s->vint = vint;
	s->rkind = rkind;
	s->ridx = ridx;
	if ((device && !s->device) || !s->dir || !s->attr || !s->value ||
	    !s->target || (vwant && !s->vwant))
		return -ENOMEM;
	return 0;
}

static char *dev_dir(struct pt_plan *p, const char *bdf)
{
	return xasprintf(p, "bus/pci/devices/%s", bdf);
}

/* ---- reading the live state (never the scan cache) ---------------------- */

/* The function's driver into buf ("" none); 0 or -errno (-ENOENT: gone). */
static int read_driver(struct pt_ctx *ctx, const char *bdf, char *buf,
		       size_t len)
{
	int fd = pt__sysfs_open_pci_dev(ctx, bdf);
	ssize_t n;

	if (fd < 0)
		return fd;
	n = pt__sysfs_readlink_base(fd, "driver", buf, len);
	close(fd);
	if (n == -ENOENT) {
		buf[0] = '\0';
		return 0;
	}
	return n < 0 ? (int)n : 0;
}

/* driver_override ("" for "(null)" or none); 0 or -errno. */
static int read_override(struct pt_ctx *ctx, const char *bdf, char *buf,
			 size_t len)
{
	int fd = pt__sysfs_open_pci_dev(ctx, bdf);
	ssize_t n;

	if (fd < 0)
		return fd;
	n = pt__sysfs_read(fd, "driver_override", buf, len);
	close(fd);
	if (n == -ENOENT || (n >= 0 && !strcmp(buf, "(null)")))
		n = 0, buf[0] = '\0';
	return n < 0 ? (int)n : 0;
}

static int read_attr_long(struct pt_ctx *ctx, const char *bdf,
			  const char *attr, long *v)
{
	int fd = pt__sysfs_open_pci_dev(ctx, bdf);
	int r;

	if (fd < 0)
		return fd;
	r = pt__sysfs_read_long(fd, attr, v);
	close(fd);
	return r;
}

static int count_virtfns(struct pt_ctx *ctx, const char *bdf)
{
	int fd = pt__sysfs_open_pci_dev(ctx, bdf);
	char name[32];
	int n = 0;

	if (fd < 0)
		return fd;
	for (;;) {
		snprintf(name, sizeof(name), "virtfn%d", n);
		if (pt__sysfs_exists(fd, name) < 0)
			break;
		n++;
	}
	close(fd);
	return n;
}

static bool driver_loaded(struct pt_ctx *ctx, const char *drv)
{
	char rel[PT_NAME_MAX + 32];
	int fd;

	if (!pt__name_is_valid(drv))
		return false;
	snprintf(rel, sizeof(rel), "bus/pci/drivers/%s", drv);
	fd = pt__sysfs_open_dir(ctx, rel);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* The VF's BDF from the PF's routing ID, sriov_offset and sriov_stride. */
static int vf_bdf(struct pt_ctx *ctx, struct pt_pci_dev *pf, int idx,
		  char out[PT_BDF_LEN])
{
	long off, stride;
	unsigned int rid;
	int r;

	r = read_attr_long(ctx, pf->bdf, "sriov_offset", &off);
	if (r < 0)
		return r;
	r = read_attr_long(ctx, pf->bdf, "sriov_stride", &stride);
	if (r < 0)
		return r;
	rid = (unsigned int)(pf->bus << 8 | pf->devnum << 3 | pf->func);
	rid += (unsigned int)(off + (long)idx * stride);
	if (rid > 0xffff)
		return -ERANGE;
	snprintf(out, PT_BDF_LEN, "%04x:%02x:%02x.%x", pf->domain & 0xffff,
		 rid >> 8, (rid >> 3) & 0x1f, rid & 7);
	return 0;
}

/* Does VF 0 of this GPU offer the profile (by name or numeric id)? */
static int vf_offers_profile(struct pt_ctx *ctx, const char *vfbdf,
			     const char *profile)
{
	struct pt_vgpu_type *types = NULL, *t;
	char buf[16384];
	int fd, r, found = 0;
	ssize_t n;
	char *end;
	unsigned long id = strtoul(profile, &end, 10);
	bool numeric = *profile && !*end;

	fd = pt__sysfs_open_pci_dev(ctx, vfbdf);
	if (fd < 0)
		return fd;
	n = pt__sysfs_read(fd, "nvidia/creatable_vgpu_types", buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return (int)n;
	r = pt__vgpu_types_parse(buf, &types);
	if (r < 0)
		return r;
	for (t = types; t; t = t->next)
		if ((numeric && t->id == id) || pt__vgpu_type_matches(profile, NULL, t->name))
			found = 1;
	while (types) {
		t = types->next;
		free(types->name);
		free(types);
		types = t;
	}
	return found;
}

/* ---- verification --------------------------------------------------------- */

static bool dev_node_ok(struct pt_ctx *ctx, const char *bdf)
{
	char grp[32], rel[48];
	int fd = pt__sysfs_open_pci_dev(ctx, bdf);
	ssize_t n;

	if (fd < 0)
		return false;
	n = pt__sysfs_readlink_base(fd, "iommu_group", grp, sizeof(grp));
	close(fd);
	if (n < 0)
		return false;
	snprintf(rel, sizeof(rel), "vfio/%s", grp);
	return pt__dev_exists(ctx, rel) == 0;
}

/* Exactly s->vint virtfn links: 1, 0 (why set) or -errno. */
static int virtfns_are(struct pt_ctx *ctx, struct pt_step *s, char *why,
		       size_t wlen)
{
	int n = count_virtfns(ctx, s->device);

	if (n < 0)
		return n;
	if (n != s->vint) {
		snprintf(why, wlen, "%d VFs present", n);
		return 0;
	}
	return 1;
}

/* 1 holds, 0 not (yet), -errno cannot tell. why: what was seen. */
static int verify_once(struct pt_ctx *ctx, struct pt_step *s, char *why,
		       size_t wlen)
{
	char buf[256];
	long v;
	int r;

	switch (s->verify) {
	case V_NONE:
		return 1;
	case V_DRIVER:
		r = read_driver(ctx, s->device, buf, sizeof(buf));
		if (r < 0)
			return r;
		if (strcmp(buf, s->vwant)) {
			snprintf(why, wlen, "its driver is %s", buf[0] ? buf : "none");
			return 0;
		}
		if (!strcmp(s->vwant, VFIO) && !dev_node_ok(ctx, s->device)) {
			snprintf(why, wlen, "bound to vfio-pci but no /dev/vfio node for its IOMMU group appeared");
			return 0;
		}
		return 1;
	case V_VALUE: {
		int fd = pt__sysfs_open_dir(ctx, s->dir);
		ssize_t n;

		if (fd < 0)
			return fd;
		n = pt__sysfs_read(fd, s->attr, buf, sizeof(buf));
		close(fd);
		if (n < 0)
			return (int)n;
		if (!strcmp(buf, "(null)"))
			buf[0] = '\0';
		if (strcmp(buf, s->vwant)) {
			snprintf(why, wlen, "%s reads '%s'", s->attr, buf);
			return 0;
		}
		return 1;
	}
	case V_NUMVFS:
		r = virtfns_are(ctx, s, why, wlen);
		if (r <= 0)
			return r;
		r = read_attr_long(ctx, s->device, "sriov_numvfs", &v);
		if (r < 0)
			return r;
		if (v != s->vint) {
			snprintf(why, wlen, "sriov_numvfs reads %ld", v);
			return 0;
		}
		return 1;
	case V_DRIVER_LOADED:
		if (!driver_loaded(ctx, s->vwant)) {
			snprintf(why, wlen, "driver %s is not registered", s->vwant);
			return 0;
		}
		return 1;
	case V_VGPU_PROFILE:
		r = virtfns_are(ctx, s, why, wlen);
		if (r <= 0)
			return r;
		r = vf_offers_profile(ctx, s->vbdf, s->vwant);
		if (r == -ENOENT)
			return 0;	/* the driver has not made it yet */
		if (r < 0)
			return r;
		if (!r)
			snprintf(why, wlen, "its VF %s does not offer vGPU type '%s'",
				 s->vbdf, s->vwant);
		return r;
	}
	return -EINVAL;
}

static int verify(struct pt_ctx *ctx, struct pt_step *s, char *why,
		  size_t wlen)
{
	struct timespec ts = { 0, VERIFY_STEP_MS * 1000000L };
	int waited = 0, r;

	for (;;) {
		r = verify_once(ctx, s, why, wlen);
		if (r != 0 || waited >= VERIFY_TIMEOUT_MS)
			break;
		nanosleep(&ts, NULL);
		waited += VERIFY_STEP_MS;
	}
	if (r == 0)
		return -ETIMEDOUT;
	if (r < 0)
		snprintf(why, wlen, "cannot read the result: %s", strerror(-r));
	return r < 0 ? r : 0;
}

/* ---- the record ------------------------------------------------------------ */

static void record_free(struct record *rec)
{
	for (size_t i = 0; i < rec->n_devs; i++) {
		free(rec->devs[i].driver);
		free(rec->devs[i].override);
	}
	free(rec->devs);
	free(rec->pfs);
	free(rec->vfs);
	memset(rec, 0, sizeof(*rec));
}

static struct rdev *rec_dev_find(struct record *rec, const char *bdf)
{
	for (size_t i = 0; i < rec->n_devs; i++)
		if (!strcmp(rec->devs[i].bdf, bdf))
			return &rec->devs[i];
	return NULL;
}

static struct rpf *rec_pf_find(struct record *rec, const char *bdf)
{
	for (size_t i = 0; i < rec->n_pfs; i++)
		if (!strcmp(rec->pfs[i].bdf, bdf))
			return &rec->pfs[i];
	return NULL;
}

static struct rvf *rec_vf_find(struct record *rec, const char *pf, int vf)
{
	for (size_t i = 0; i < rec->n_vfs; i++)
		if (!strcmp(rec->vfs[i].pf, pf) && rec->vfs[i].vf == vf)
			return &rec->vfs[i];
	return NULL;
}

static struct rdev *rec_dev_add(struct record *rec, const char *bdf,
				const char *role, const char *driver,
				const char *override)
{
	struct rdev *n = realloc(rec->devs, (rec->n_devs + 1) * sizeof(*n));

	if (!n)
		return NULL;
	rec->devs = n;
	n = &rec->devs[rec->n_devs];
	memset(n, 0, sizeof(*n));
	snprintf(n->bdf, sizeof(n->bdf), "%s", bdf);
	snprintf(n->role, sizeof(n->role), "%s", role);
	n->driver = strdup(driver);
	n->override = strdup(override);
	if (!n->driver || !n->override) {
		free(n->driver);
		free(n->override);
		return NULL;
	}
	rec->n_devs++;
	return n;
}

static struct rpf *rec_pf_add(struct record *rec, const char *bdf, int numvfs,
			      int autoprobe)
{
	struct rpf *n = realloc(rec->pfs, (rec->n_pfs + 1) * sizeof(*n));

	if (!n)
		return NULL;
	rec->pfs = n;
	n = &rec->pfs[rec->n_pfs++];
	memset(n, 0, sizeof(*n));
	snprintf(n->bdf, sizeof(n->bdf), "%s", bdf);
	n->numvfs = numvfs;
	n->autoprobe = autoprobe;
	return n;
}

static struct rvf *rec_vf_add(struct record *rec, const char *pf, int vf,
			      const char *ifname,
			      const struct pt_vf_settings *before)
{
	struct rvf *n = realloc(rec->vfs, (rec->n_vfs + 1) * sizeof(*n));

	if (!n)
		return NULL;
	rec->vfs = n;
	n = &rec->vfs[rec->n_vfs++];
	memset(n, 0, sizeof(*n));
	snprintf(n->pf, sizeof(n->pf), "%s", pf);
	snprintf(n->ifname, sizeof(n->ifname), "%s", ifname);
	n->vf = vf;
	n->before = *before;
	return n;
}

/* "device \"0000:03:00.0\"" -> the quoted part into out; 0 or -EINVAL. */
static int section_arg(const char *section, const char *word, char *out,
		       size_t len)
{
	size_t wl = strlen(word), al;
	const char *a;

	if (strncmp(section, word, wl) || section[wl] != ' ' ||
	    section[wl + 1] != '"')
		return -EINVAL;
	a = section + wl + 2;
	al = strlen(a);
	if (al < 2 || a[al - 1] != '"' || al - 1 >= len)
		return -EINVAL;
	memcpy(out, a, al - 1);
	out[al - 1] = '\0';
	return 0;
}

static const char *kv_get(struct pt_ini_section *sec, const char *key)
{
	for (size_t i = 0; i < sec->n_kv; i++)
		if (!strcmp(sec->kv[i].key, key))
			return sec->kv[i].value;
	return NULL;
}

static int parse_int(const char *s, int *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > 0x7fffffff)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static int record_load(struct pt_plan *p, struct pt_ini_file *f)
{
	struct record *rec = &p->rec;

	for (size_t i = 0; i < f->n_sections; i++) {
		struct pt_ini_section *sec = &f->sections[i];
		char arg[64];
		const char *v;

		if (!strcmp(sec->name, "applied")) {
			v = kv_get(sec, "type");
			snprintf(rec->type, sizeof(rec->type), "%s", v ? v : "");
		} else if (!section_arg(sec->name, "device", arg, sizeof(arg)) &&
			   pt__bdf_is_valid(arg)) {
			const char *role = kv_get(sec, "role");
			const char *drv = kv_get(sec, "driver");
			const char *ovr = kv_get(sec, "driver_override");

			if (!role || (strcmp(role, "member") && strcmp(role, "sibling") &&
				      strcmp(role, "vf")) ||
			    !drv || !ovr || (*drv && !pt__name_is_valid(drv)) ||
			    (*ovr && !pt__name_is_valid(ovr)))
				goto bad;
			if (!rec_dev_add(rec, arg, role, drv, ovr))
				return -ENOMEM;
			rec->devs[rec->n_devs - 1].keep = true;
		} else if (!section_arg(sec->name, "pf", arg, sizeof(arg)) &&
			   pt__bdf_is_valid(arg)) {
			int n, a;

			if (parse_int(kv_get(sec, "sriov_numvfs"), &n) < 0 ||
			    parse_int(kv_get(sec, "sriov_drivers_autoprobe"), &a) < 0 ||
			    a > 1)
				goto bad;
			if (!rec_pf_add(rec, arg, n, a))
				return -ENOMEM;
			rec->pfs[rec->n_pfs - 1].keep = true;
		} else if (!section_arg(sec->name, "vf", arg, sizeof(arg))) {
			struct pt_vf_settings s;
			char *slash = strchr(arg, '/');
			const char *ifn = kv_get(sec, "interface");
			int vf;

			if (!slash || !ifn || strlen(ifn) >= IF_NAMESIZE)
				goto bad;
			*slash = '\0';
			if (!pt__bdf_is_valid(arg) || parse_int(slash + 1, &vf) < 0)
				goto bad;
			pt__vf_settings_init(&s);
			for (size_t k = 0; k < sec->n_kv; k++) {
				if (!strcmp(sec->kv[k].key, "interface"))
					continue;
				if (pt__vf_settings_set(&s, sec->kv[k].key,
							sec->kv[k].value, NULL, 0) < 0)
					goto bad;
			}
			if (!rec_vf_add(rec, arg, vf, ifn, &s))
				return -ENOMEM;
			rec->vfs[rec->n_vfs - 1].keep = true;
		} else {
			goto bad;
		}
		continue;
bad:
		plan_error(p, "%s/%s:%d: not a valid record of pt-group apply; restore the file or remove it to forget what was applied",
			   pt_get_conf_dir(p->ctx), f->relpath, sec->line);
		return -EINVAL;
	}
	return 0;
}

static int ini_set_int(struct pt_ini_file *f, const char *sec, const char *key,
		       int v)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%d", v);
	return pt__ini_set(f, sec, key, buf);
}

/* Settings as the group's keys: what was read before the change. */
static int ini_set_vf(struct pt_ini_file *f, const char *sec,
		      const struct pt_vf_settings *s)
{
	int r = 0;

	if (s->vlan >= 0)
		r = r ?: ini_set_int(f, sec, "vlan", s->vlan);
	if (s->vlan >= 0 && pt__vf_vlan_proto_name(s->vlan_proto))
		r = r ?: pt__ini_set(f, sec, "vlan_proto",
				     pt__vf_vlan_proto_name(s->vlan_proto));
	if (s->qos >= 0)
		r = r ?: ini_set_int(f, sec, "qos", s->qos);
	if (s->min_tx_rate >= 0)
		r = r ?: ini_set_int(f, sec, "min_tx_rate", s->min_tx_rate);
	if (s->max_tx_rate >= 0)
		r = r ?: ini_set_int(f, sec, "max_tx_rate", s->max_tx_rate);
	if (pt__vf_link_state_name(s->link_state))
		r = r ?: pt__ini_set(f, sec, "link_state",
				     pt__vf_link_state_name(s->link_state));
	if (s->spoofchk >= 0)
		r = r ?: pt__ini_set(f, sec, "spoofchk", s->spoofchk ? "yes" : "no");
	if (s->trust >= 0)
		r = r ?: pt__ini_set(f, sec, "trust", s->trust ? "yes" : "no");
	if (s->query_rss >= 0)
		r = r ?: pt__ini_set(f, sec, "query_rss", s->query_rss ? "yes" : "no");
	return r;
}

/* Entries stay in the new record only if planned again. */
static void record_unkeep(struct record *rec)
{
	for (size_t i = 0; i < rec->n_devs; i++)
		rec->devs[i].keep = false;
	for (size_t i = 0; i < rec->n_pfs; i++)
		rec->pfs[i].keep = false;
	for (size_t i = 0; i < rec->n_vfs; i++)
		rec->vfs[i].keep = false;
}

static bool record_empty(const struct record *rec)
{
	for (size_t i = 0; i < rec->n_devs; i++)
		if (rec->devs[i].keep)
			return false;
	for (size_t i = 0; i < rec->n_pfs; i++)
		if (rec->pfs[i].keep)
			return false;
	for (size_t i = 0; i < rec->n_vfs; i++)
		if (rec->vfs[i].keep)
			return false;
	return true;
}

/* Write the kept entries as the new record (or remove it when none). */
static int record_save(struct pt_plan *p)
{
	struct record *rec = &p->rec;
	struct pt_ini_file *f = pt__store_find(p->store, p->relpath);
	char sec[96];
	int r = 0;

	if (record_empty(rec)) {
		if (f)
			r = pt__store_delete_file(p->store, p->relpath);
		return r < 0 ? r : pt__store_commit(p->store);
	}
	if (f) {
		while (f->n_sections && !r) {
			snprintf(sec, sizeof(sec), "%s", f->sections[0].name);
			r = pt__ini_remove_section(f, sec);
		}
	} else {
		r = pt__store_new_file(p->store, p->relpath, &f);
	}
	if (r < 0)
		return r;
	r = pt__ini_set(f, "applied", "type", rec->type);
	for (size_t i = 0; i < rec->n_devs && !r; i++) {
		struct rdev *d = &rec->devs[i];

		if (!d->keep)
			continue;
		snprintf(sec, sizeof(sec), "device \"%s\"", d->bdf);
		r = pt__ini_set(f, sec, "role", d->role) ?:
		    pt__ini_set(f, sec, "driver", d->driver) ?:
		    pt__ini_set(f, sec, "driver_override", d->override);
	}
	for (size_t i = 0; i < rec->n_pfs && !r; i++) {
		struct rpf *pf = &rec->pfs[i];

		if (!pf->keep)
			continue;
		snprintf(sec, sizeof(sec), "pf \"%s\"", pf->bdf);
		r = ini_set_int(f, sec, "sriov_numvfs", pf->numvfs) ?:
		    ini_set_int(f, sec, "sriov_drivers_autoprobe", pf->autoprobe);
	}
	for (size_t i = 0; i < rec->n_vfs && !r; i++) {
		struct rvf *vf = &rec->vfs[i];

		if (!vf->keep)
			continue;
		snprintf(sec, sizeof(sec), "vf \"%s/%d\"", vf->pf, vf->vf);
		r = pt__ini_set(f, sec, "interface", vf->ifname) ?:
		    ini_set_vf(f, sec, &vf->before);
	}
	if (r < 0)
		return r;
	/* the same record again: write nothing */
	if (f->orig) {
		char *text = pt__ini_render(f);

		if (!text)
			return -ENOMEM;
		if (!strcmp(text, f->orig))
			f->dirty = false;
		free(text);
	}
	return pt__store_commit(p->store);
}

/* ---- planning the restore of recorded entries (release, reconcile) ------- */

/* Is this VF's PF going back to another VF count (which removes it)? */
static bool pf_restores_numvfs(struct pt_plan *p, const char *vfbdf)
{
	char pf[64];
	struct rpf *rp;
	ssize_t n;
	long cur;
	int fd;

	fd = pt__sysfs_open_pci_dev(p->ctx, vfbdf);
	if (fd < 0)
		return true;	/* gone already */
	n = pt__sysfs_readlink_base(fd, "physfn", pf, sizeof(pf));
	close(fd);
	if (n < 0)
		return false;
	/* this plan changes the PF's count: every VF goes */
	for (int i = 0; i < p->n_steps; i++)
		if (p->steps[i].kind == K_WRITE && p->steps[i].device &&
		    !strcmp(p->steps[i].device, pf) &&
		    !strcmp(p->steps[i].attr, "sriov_numvfs"))
			return true;
	if (!(rp = rec_pf_find(&p->rec, pf)))
		return false;
	if (read_attr_long(p->ctx, pf, "sriov_numvfs", &cur) < 0)
		return false;
	return cur != rp->numvfs;
}

static int plan_restore_dev(struct pt_plan *p, size_t idx)
{
	struct rdev *d = &p->rec.devs[idx];
	char drv[256], ovr[256];
	char *dir;
	int r;

	r = read_driver(p->ctx, d->bdf, drv, sizeof(drv));
	if (r == -ENOENT) {
		plan_note(p, "%s: gone from the host; nothing to restore", d->bdf);
		return 0;
	}
	if (r < 0)
		goto rerr;
	r = read_override(p->ctx, d->bdf, ovr, sizeof(ovr));
	if (r < 0)
		goto rerr;
	if (!strcmp(drv, d->driver) && !strcmp(ovr, d->override))
		return 0;
	dir = dev_dir(p, d->bdf);
	if (!dir)
		return -ENOMEM;
	if (drv[0] && strcmp(drv, d->driver)) {
		char ddir[sizeof("bus/pci/drivers/") + 256];

		snprintf(ddir, sizeof(ddir), "bus/pci/drivers/%s", drv);
		r = add_write(p, d->bdf, ddir, "unbind", d->bdf,
			      xasprintf(p, "unbind %s from %s", d->bdf, drv),
			      V_DRIVER, "", 0, 'd', idx);
		if (r < 0)
			goto out;
	}
	if (strcmp(ovr, d->override)) {
		r = add_write(p, d->bdf, dir, "driver_override",
			      d->override[0] ? d->override : "\n",
			      d->override[0] ?
			      xasprintf(p, "set the driver_override of %s back to %s", d->bdf, d->override) :
			      xasprintf(p, "clear the driver_override of %s", d->bdf),
			      V_VALUE, d->override, 0, 'd', idx);
		if (r < 0)
			goto out;
	}
	if (d->driver[0] && strcmp(drv, d->driver))
		r = add_write(p, d->bdf, "bus/pci", "drivers_probe", d->bdf,
			      xasprintf(p, "bind %s to %s again", d->bdf, d->driver),
			      V_DRIVER, d->driver, 0, 'd', idx);
out:
	free(dir);
	return r;
rerr:
	plan_error(p, "%s: cannot read its driver: %s", d->bdf, strerror(-r));
	return r;
}

static int plan_restore_pf(struct pt_plan *p, size_t idx, bool autoprobe_phase)
{
	struct rpf *pf = &p->rec.pfs[idx];
	long numvfs, autoprobe;
	char val[16];
	char *dir;
	int r;

	if (read_attr_long(p->ctx, pf->bdf, "sriov_numvfs", &numvfs) < 0 ||
	    read_attr_long(p->ctx, pf->bdf, "sriov_drivers_autoprobe", &autoprobe) < 0) {
		plan_note(p, "%s: gone from the host; nothing to restore", pf->bdf);
		return 0;
	}
	dir = dev_dir(p, pf->bdf);
	if (!dir)
		return -ENOMEM;
	r = 0;
	if (autoprobe_phase) {
		if (autoprobe == pf->autoprobe)
			goto out;
		snprintf(val, sizeof(val), "%d", pf->autoprobe);
		r = add_write(p, pf->bdf, dir, "sriov_drivers_autoprobe", val,
			      xasprintf(p, "let the host's drivers probe the VFs of %s again", pf->bdf),
			      V_VALUE, val, 0, 'p', idx);
		goto out;
	}
	if (numvfs != pf->numvfs) {
		r = add_write(p, pf->bdf, dir, "sriov_numvfs", "0",
			      xasprintf(p, "remove the %ld VFs of %s", numvfs, pf->bdf),
			      V_NUMVFS, NULL, 0, 'p', idx);
		if (!r && pf->numvfs > 0) {
			snprintf(val, sizeof(val), "%d", pf->numvfs);
			r = add_write(p, pf->bdf, dir, "sriov_numvfs", val,
				      xasprintf(p, "enable %d VFs on %s again", pf->numvfs, pf->bdf),
				      V_NUMVFS, NULL, pf->numvfs, 'p', idx);
		}
	}
out:
	free(dir);
	return r;
}

static int add_netlink(struct pt_plan *p, const char *pfbdf, const char *ifname,
		       int vf, const struct pt_vf_settings *want,
		       unsigned int parts, const struct pt_vf_settings *cur,
		       char *desc, char rkind, size_t ridx)
{
	char args[512];
	struct pt_step *s;
	int r;

	if (!desc)
		return -ENOMEM;
	r = pt__vf_describe(want, parts, cur, args, sizeof(args));
	if (r < 0) {
		if (r == -EINVAL)
			plan_error(p, "group '%s': %s vf %d: %s", p->group, ifname, vf, args);
		free(desc);
		return r;
	}
	s = step_new(p, K_NETLINK);
	if (!s) {
		free(desc);
		return -ENOMEM;
	}
	s->desc = desc;
	s->device = strdup(pfbdf);
	s->target = xasprintf(p, "%s vf %d", ifname, vf);
	s->value = strdup(args);
	snprintf(s->ifname, sizeof(s->ifname), "%s", ifname);
	s->vf = vf;
	s->want = *want;
	s->parts = parts;
	s->rkind = rkind;
	s->ridx = ridx;
	return s->device && s->target && s->value ? 0 : -ENOMEM;
}

static int plan_restore_vf(struct pt_plan *p, size_t idx)
{
	struct rvf *v = &p->rec.vfs[idx];
	unsigned int parts = pt__vf_settings_parts(&v->before);
	struct rpf *rp = rec_pf_find(&p->rec, v->pf);

	/* the VF goes away with the PF's old count */
	if (rp && v->vf >= rp->numvfs)
		return 0;
	if (!parts)
		return 0;
	return add_netlink(p, v->pf, v->ifname, v->vf, &v->before, parts, NULL,
			   xasprintf(p, "set VF %d of %s back as it was", v->vf, v->ifname),
			   'v', idx);
}

/* Restore entries; only those flagged (touched, or !keep) when sel. */
static int plan_restore(struct pt_plan *p, bool (*sel)(struct pt_plan *, char, size_t))
{
	int r = 0;

	/*
	 * autoprobe first: the kernel probes a VF without driver_override
	 * only when its PF's sriov_drivers_autoprobe is on
	 */
	for (size_t i = p->rec.n_pfs; i-- > 0 && !r;)
		if (sel(p, 'p', i))
			r = plan_restore_pf(p, i, true);
	for (size_t i = p->rec.n_devs; i-- > 0 && !r;)
		if (sel(p, 'd', i) && !(!strcmp(p->rec.devs[i].role, "vf") &&
					pf_restores_numvfs(p, p->rec.devs[i].bdf)))
			r = plan_restore_dev(p, i);
	for (size_t i = p->rec.n_vfs; i-- > 0 && !r;)
		if (sel(p, 'v', i))
			r = plan_restore_vf(p, i);
	for (size_t i = p->rec.n_pfs; i-- > 0 && !r;)
		if (sel(p, 'p', i))
			r = plan_restore_pf(p, i, false);
	return r;
}

static bool sel_all(struct pt_plan *p, char k, size_t i)
{
	(void)p; (void)k; (void)i;
	return true;
}

static bool sel_stale(struct pt_plan *p, char k, size_t i)
{
	switch (k) {
	case 'd': return !p->rec.devs[i].keep;
	case 'p': return !p->rec.pfs[i].keep;
	default: return !p->rec.vfs[i].keep;
	}
}

static bool sel_touched(struct pt_plan *p, char k, size_t i)
{
	switch (k) {
	case 'd': return p->rec.devs[i].touched;
	case 'p': return p->rec.pfs[i].touched;
	default: return p->rec.vfs[i].touched;
	}
}

/* ---- planning an apply ------------------------------------------------------ */

static bool critical_is_storage(const char *reason)
{
	return strstr(reason, "root filesystem") || strstr(reason, "/boot") ||
	       strstr(reason, "swap");
}

static int check_critical(struct pt_plan *p, struct pt_pci_dev *dev)
{
	const char *why = pt_pci_dev_get_critical_reason(dev);

	if (!why)
		return 0;
	if (critical_is_storage(why)) {
		plan_error(p, "%s: host-critical (%s): the host cannot run without it; take it out of group '%s' (--force does not override this)",
			   dev->bdf, why, p->group);
		return -EPERM;
	}
	if (!(p->flags & PT_PLAN_FORCE)) {
		plan_error(p, "%s: host-critical (%s); take it out of group '%s', or use --force if the host can do without it",
			   dev->bdf, why, p->group);
		return -EPERM;
	}
	return plan_note(p, "%s: host-critical (%s): bound anyway (--force)",
			 dev->bdf, why);
}

/*
 * Bind one function to vfio-pci: record its state before (unless the
 * record has it from an earlier apply), then driver_override, unbind,
 * drivers_probe for what differs. drv/ovr: its state now.
 */
static int plan_bind(struct pt_plan *p, const char *bdf, const char *role,
		     const char *drv, const char *ovr)
{
	struct rdev *d = rec_dev_find(&p->rec, bdf);
	size_t idx;
	char *dir;
	int r = 0;

	if (!d) {
		d = rec_dev_add(&p->rec, bdf, role, drv, ovr);
		if (!d)
			return -ENOMEM;
	}
	d->keep = true;
	idx = (size_t)(d - p->rec.devs);
	if (!strcmp(drv, VFIO) && !strcmp(ovr, VFIO))
		return 0;
	dir = dev_dir(p, bdf);
	if (!dir)
		return -ENOMEM;
	if (strcmp(ovr, VFIO))
		r = add_write(p, bdf, dir, "driver_override", VFIO,
			      xasprintf(p, "let only vfio-pci take %s", bdf),
			      V_VALUE, VFIO, 0, 'd', idx);
	if (!r && drv[0] && strcmp(drv, VFIO)) {
		char ddir[sizeof("bus/pci/drivers/") + 256];

		snprintf(ddir, sizeof(ddir), "bus/pci/drivers/%s", drv);
		r = add_write(p, bdf, ddir, "unbind", bdf,
			      xasprintf(p, "unbind %s from %s", bdf, drv),
			      V_DRIVER, "", 0, 'd', idx);
	}
	if (!r && strcmp(drv, VFIO))
		r = add_write(p, bdf, "bus/pci", "drivers_probe", bdf,
			      xasprintf(p, "bind %s to vfio-pci", bdf),
			      V_DRIVER, VFIO, 0, 'd', idx);
	free(dir);
	return r;
}

static int plan_bind_dev(struct pt_plan *p, struct pt_pci_dev *dev,
			 const char *role)
{
	char drv[256], ovr[256];
	int r;

	r = read_driver(p->ctx, dev->bdf, drv, sizeof(drv));
	if (r >= 0)
		r = read_override(p->ctx, dev->bdf, ovr, sizeof(ovr));
	if (r < 0) {
		plan_error(p, "%s: cannot read its driver: %s", dev->bdf, strerror(-r));
		return r;
	}
	return plan_bind(p, dev->bdf, role, drv, ovr);
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
static int check_iommu(struct pt_plan *p, struct targets *t,
		       struct targets *sib)
{
	char *names = NULL;
	int r = 0;

	for (size_t i = 0; i < t->n; i++) {
		struct pt_pci_dev *dev = t->devs[i];
		int num = pt_pci_dev_get_iommu_group(dev);
		struct pt_iommu_group *g;

		if (num < 0) {
			plan_error(p, "%s: has no IOMMU group, so vfio-pci cannot take it; enable the IOMMU (intel_iommu=on or AMD-Vi in the firmware), see 'pt scan --check'",
				   dev->bdf);
			r = -ENODEV;
			goto out;
		}
		g = pt_iommu_group_find(p->ctx, num);
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
	if (names && !(p->flags & PT_PLAN_WITH_SIBLINGS)) {
		bool recorded = true;

		/* taken by an earlier apply --with-group-siblings: boot replay */
		for (size_t i = 0; i < sib->n && recorded; i++) {
			struct rdev *d = rec_dev_find(&p->rec, sib->devs[i]->bdf);

			recorded = d && !strcmp(d->role, "sibling");
		}
		if (recorded) {
			r = plan_note(p, "IOMMU group siblings bound as recorded by an earlier --with-group-siblings: %s",
				      names);
			goto checks;
		}
	}
	if (names && !(p->flags & PT_PLAN_WITH_SIBLINGS)) {
		char *c;

		/* "; "-joined by append_reason: list them with ", " */
		while ((c = strstr(names, "; ")))
			*c = ',';
		plan_error(p, "group '%s': IOMMU group also holds %s, outside the group: a group goes to a guest whole; add them to the group or use --with-group-siblings",
			   p->group, names);
		r = -EBUSY;
		goto out;
	}
	if (names)
		plan_note(p, "IOMMU group siblings bound too (--with-group-siblings): %s",
			  names);
checks:
	/* siblings pass the same checks as members */
	for (size_t i = 0; i < sib->n && !r; i++)
		r = check_critical(p, sib->devs[i]);
out:
	free(names);
	return r;
}

static int plan_module(struct pt_plan *p)
{
	struct pt_step *s;

	if (driver_loaded(p->ctx, VFIO))
		return 0;
	s = step_new(p, K_MODULE);
	if (!s)
		return -ENOMEM;
	s->target = strdup("vfio-pci");
	s->value = strdup("");
	s->desc = strdup("load vfio-pci and vfio_iommu_type1");
	s->verify = V_DRIVER_LOADED;
	s->vwant = strdup(VFIO);
	return s->target && s->value && s->desc && s->vwant ? 0 : -ENOMEM;
}

static int plan_pci(struct pt_plan *p, struct pt_group *g)
{
	struct targets t = { 0 }, sib = { 0 };
	int r = 0;

	for (int i = 0; i < pt_group_get_num_members(g) && !r; i++) {
		struct pt_pci_dev *dev = pt_member_get_pci_dev(pt_group_get_member(g, i));

		r = check_critical(p, dev);
		if (!r)
			r = targets_add(&t, dev);
	}
	if (!r)
		r = check_iommu(p, &t, &sib);
	for (size_t i = 0; i < t.n && !r; i++)
		r = plan_bind_dev(p, t.devs[i], "member");
	for (size_t i = 0; i < sib.n && !r; i++)
		r = plan_bind_dev(p, sib.devs[i], "sibling");
	free(t.devs);
	free(sib.devs);
	return r;
}

/* Change a PF's VF count (through 0) with autoprobe off first. */
static int plan_numvfs(struct pt_plan *p, struct pt_pci_dev *pf, int want,
		       int autoprobe_want)
{
	long cur, ap;
	struct rpf *rp;
	size_t idx;
	char val[16];
	char *dir;
	int r = 0;

	if (read_attr_long(p->ctx, pf->bdf, "sriov_numvfs", &cur) < 0 ||
	    read_attr_long(p->ctx, pf->bdf, "sriov_drivers_autoprobe", &ap) < 0) {
		plan_error(p, "%s: cannot read sriov_numvfs: not an SR-IOV PF?", pf->bdf);
		return -ENODEV;
	}
	rp = rec_pf_find(&p->rec, pf->bdf);
	if (!rp && (cur != want || (autoprobe_want >= 0 && ap != autoprobe_want)))
		rp = rec_pf_add(&p->rec, pf->bdf, (int)cur, (int)ap);
	if (!rp) {
		/* nothing to change and nothing recorded */
		return 0;
	}
	rp->keep = true;
	idx = (size_t)(rp - p->rec.pfs);
	dir = dev_dir(p, pf->bdf);
	if (!dir)
		return -ENOMEM;
	if (autoprobe_want >= 0 && ap != autoprobe_want) {
		snprintf(val, sizeof(val), "%d", autoprobe_want);
		r = add_write(p, pf->bdf, dir, "sriov_drivers_autoprobe", val,
			      autoprobe_want ? xasprintf(p, "let the host's drivers take new VFs of %s", pf->bdf) :
			      xasprintf(p, "keep the host's drivers off new VFs of %s", pf->bdf),
			      V_VALUE, val, 0, 'p', idx);
	}
	if (!r && cur != want && cur != 0)
		r = add_write(p, pf->bdf, dir, "sriov_numvfs", "0",
			      xasprintf(p, "remove the %ld VFs of %s (the kernel changes a count only through 0)", cur, pf->bdf),
			      V_NUMVFS, NULL, 0, 'p', idx);
	if (!r && cur != want && want != 0) {
		snprintf(val, sizeof(val), "%d", want);
		r = add_write(p, pf->bdf, dir, "sriov_numvfs", val,
			      xasprintf(p, "enable %d VFs on %s", want, pf->bdf),
			      V_NUMVFS, NULL, want, 'p', idx);
	}
	free(dir);
	return r;
}

static int vf_in_use_elsewhere(struct pt_plan *p, struct pt_pci_dev *pf)
{
	for (int i = 0; i < pf->sriov_numvfs; i++) {
		struct pt_pci_dev *vf = pt_pci_dev_get_virtfn(pf, i);

		if (vf && vf->driver && !strcmp(vf->driver, VFIO) &&
		    !rec_dev_find(&p->rec, vf->bdf)) {
			plan_error(p, "%s: VF %d (%s) is bound to vfio-pci outside group '%s' and may be in a guest; changing numvfs would remove it; release it first",
				   pf->bdf, i, vf->bdf, p->group);
			return -EBUSY;
		}
	}
	return 0;
}

static int plan_sriov(struct pt_plan *p, struct pt_group *g)
{
	struct pt_vf_settings want;
	char err[256];
	struct pt_vf_nl *nl = NULL;
	unsigned int wparts;
	int r;

	r = pt__vf_settings_from_group(g, &want, err, sizeof(err));
	if (r < 0) {
		plan_error(p, "group '%s': %s", p->group, err);
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
			plan_error(p, "%s: numvfs %d is more than its sriov_totalvfs %d; set numvfs to at most %d",
				   pf->bdf, want_n, pf->sriov_totalvfs, pf->sriov_totalvfs);
			r = -ERANGE;
			break;
		}
		recreate = want_n != pf->sriov_numvfs;
		if (recreate && pf->sriov_numvfs > 0) {
			r = vf_in_use_elsewhere(p, pf);
			if (r < 0)
				break;
		}
		if (!want_n) {
			plan_note(p, "%s: no VFs enabled and numvfs not set; nothing to bind", pf->bdf);
			continue;
		}
		r = plan_numvfs(p, pf, want_n, 0);
		if (r < 0)
			break;

		/* per-VF settings over netlink on the PF's interface */
		if (wparts && !ifname) {
			plan_error(p, "%s: has no network interface to set VF settings through; unset the VF settings of group '%s' or bind the PF to its network driver",
				   pf->bdf, p->group);
			r = -ENODEV;
			break;
		}
		if (wparts && pt_is_live(p->ctx) && !recreate) {
			if (!nl && (r = pt__vf_nl_open(p->ctx, &nl, err, sizeof(err))) < 0) {
				plan_error(p, "%s", err);
				break;
			}
			r = pt__vf_nl_get_link(nl, ifname, &link, err, sizeof(err));
			if (r < 0) {
				plan_error(p, "%s", err);
				break;
			}
		}
		for (int k = 0; k < pt_member_get_num_vfs(m) && wparts && !r; k++) {
			int vf = pt_member_get_vf_index(m, k);
			unsigned int parts = wparts;
			const struct pt_vf_state *have = link ? pt__vf_link_find(link, vf) : NULL;
			size_t ridx = 0;
			char rk = 0;

			if (!pt_is_live(p->ctx) && !recreate) {
				plan_note(p, "%s vf %d: VF settings cannot be read from a fixture tree; not compared",
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
				if (!rec_vf_find(&p->rec, pf->bdf, vf) &&
				    !rec_vf_add(&p->rec, pf->bdf, vf, ifname, &have->s)) {
					r = -ENOMEM;
					break;
				}
			}
			{
				struct rvf *rv = rec_vf_find(&p->rec, pf->bdf, vf);

				if (rv) {
					rv->keep = true;
					rk = 'v';
					ridx = (size_t)(rv - p->rec.vfs);
				}
			}
			r = add_netlink(p, pf->bdf, ifname, vf, &want, parts,
					have ? &have->s : NULL,
					xasprintf(p, "set VF %d of %s (%s)", vf, ifname, pf->bdf),
					rk, ridx);
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
			r = vf_bdf(p->ctx, pf, vf, bdf);
			if (r < 0) {
				plan_error(p, "%s: cannot compute the address of VF %d: %s", pf->bdf, vf,
					   strerror(-r));
				break;
			}
			/* a new VF: no driver (autoprobe off), no override */
			r = plan_bind(p, bdf, "vf", "", "");
		}
		if (!r)
			r = check_iommu(p, &t, &sib);
		for (size_t k = 0; k < t.n && !r; k++)
			r = plan_bind_dev(p, t.devs[k], "vf");
		for (size_t k = 0; k < sib.n && !r; k++)
			r = plan_bind_dev(p, sib.devs[k], "sibling");
		free(t.devs);
		free(sib.devs);
	}
	pt__vf_nl_close(nl);
	return r;
}

static int plan_vgpu_mdev(struct pt_plan *p, struct pt_pci_dev *dev,
			  const char *profile)
{
	struct pt_mdev_parent *par = pt_pci_dev_get_mdev_parent(dev);
	struct pt_mdev_type *t;
	char *offers = NULL;

	if (!par) {
		plan_error(p, "%s: offers no mdev vGPU types (no mdev_supported_types); load the GPU's vGPU host driver or use mode = vf",
			   dev->bdf);
		return -ENODEV;
	}
	pt_mdev_type_foreach(par, t) {
		const char *name = pt_mdev_type_get_name(t);

		if (pt__vgpu_type_matches(profile, pt_mdev_type_get_id(t), name)) {
			free(offers);
			return plan_note(p, "%s: vGPU type %s%s%s%s: %d more can be created",
					 dev->bdf, pt_mdev_type_get_id(t),
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
	plan_error(p, "%s: offers no vGPU type '%s' (it offers: %s); set the profile of group '%s' to one of them",
		   dev->bdf, profile, offers ? offers : "none", p->group);
	free(offers);
	return -ENODEV;
}

static int plan_vgpu_vf(struct pt_plan *p, struct pt_pci_dev *dev,
			const char *profile)
{
	char bdf[PT_BDF_LEN];
	struct pt_step *s;
	int r, nset = 0;

	if (dev->sriov_totalvfs <= 0) {
		plan_error(p, "%s: has no SR-IOV VFs for NVIDIA per-VF vGPU; use mode = mdev", dev->bdf);
		return -ENODEV;
	}
	if (dev->sriov_numvfs > 0) {
		struct pt_pci_dev *vf0 = pt_pci_dev_get_virtfn(dev, 0);
		struct rpf *rp = rec_pf_find(&p->rec, dev->bdf);
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
				 vf_offers_profile(p->ctx, vf->bdf, profile) > 0)
				offered = 1, vf0 = vf;
		}
		if (!profile)
			return plan_note(p, "%s: %d VFs, %d with a vGPU type set", dev->bdf,
					 dev->sriov_numvfs, nset);
		r = offered;
		if (r == 0 && nset == dev->sriov_numvfs)
			return plan_note(p, "%s: every VF has a vGPU type set; none left for '%s'",
					 dev->bdf, profile);
		if (r <= 0) {
			plan_error(p, "%s: none of its free VFs offers vGPU type '%s' (see nvidia/creatable_vgpu_types of %s); set the profile of group '%s' to one they offer",
				   dev->bdf, profile, vf0 ? vf0->bdf : "its VFs", p->group);
			return -ENODEV;
		}
		return plan_note(p, "%s: vGPU type '%s' offered; %d of %d VFs free", dev->bdf,
				 profile, dev->sriov_numvfs - nset, dev->sriov_numvfs);
	}
	/* as NVIDIA's sriov-manage -e: every VF, probed by the GPU's driver */
	r = plan_numvfs(p, dev, dev->sriov_totalvfs, -1);
	if (r < 0 || !profile)
		return r;
	r = vf_bdf(p->ctx, dev, 0, bdf);
	if (r < 0) {
		plan_error(p, "%s: cannot compute the address of VF 0: %s", dev->bdf, strerror(-r));
		return r;
	}
	/* the types are known only once the VFs exist: check after */
	s = &p->steps[p->n_steps - 1];
	s->verify = V_VGPU_PROFILE;
	free(s->vwant);
	s->vwant = strdup(profile);
	snprintf(s->vbdf, sizeof(s->vbdf), "%s", bdf);
	free(s->desc);
	s->desc = xasprintf(p, "enable the %d VFs of %s; VF %s must offer vGPU type '%s'",
			    dev->sriov_totalvfs, dev->bdf, bdf, profile);
	return s->vwant && s->desc ? 0 : -ENOMEM;
}

/*
 * Ampere/Hopper on the mdev interface: the VFs are the mdev parents; apply
 * only checks that some VF offers the profile (the instances are made
 * when a VM takes one).
 */
static int plan_vgpu_vf_mdev(struct pt_plan *p, struct pt_pci_dev *dev,
			     const char *profile)
{
	char *why = NULL;
	int n;

	if (!profile)
		return plan_note(p, "%s: %d VFs with mdev vGPU types", dev->bdf,
				 dev->sriov_numvfs);
	n = pt_pci_dev_get_vgpu_capacity(dev, profile);
	if (n >= 0)
		return plan_note(p, "%s: vGPU type '%s' offered on its VFs: %d more can be created",
				 dev->bdf, profile, n);
	if (n == -ENODATA)
		return plan_note(p, "%s: vGPU type '%s' offered on its VFs", dev->bdf, profile);
	if (pt_group_get_vgpu_problem(pt_group_find(p->ctx, p->group), dev, &why) > 0) {
		plan_error(p, "%s", why);
		free(why);
		return -ENODEV;
	}
	free(why);
	plan_error(p, "%s: none of its VFs offers vGPU type '%s'; set the profile of group '%s' to one they offer",
		   dev->bdf, profile, p->group);
	return -ENODEV;
}

static int plan_vgpu(struct pt_plan *p, struct pt_group *g)
{
	const char *profile = pt_group_get_setting(g, "profile");
	const char *mode = pt_group_get_setting(g, "mode");
	int r = 0;

	for (int i = 0; i < pt_group_get_num_members(g) && !r; i++) {
		struct pt_pci_dev *dev = pt_member_get_pci_dev(pt_group_get_member(g, i));
		char *why = NULL;

		/* MIG-backed and time-sliced vGPU are never mixed on one GPU */
		r = pt__vgpu_mixing_problem(g, dev, &why);
		if (r > 0) {
			plan_error(p, "%s", why);
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
			r = plan_vgpu_vf_mdev(p, dev, profile);
		else if (vf)
			r = plan_vgpu_vf(p, dev, profile);
		else if (profile)
			r = plan_vgpu_mdev(p, dev, profile);
		else
			r = plan_note(p, "%s: no profile set in group '%s'; nothing to check",
				      dev->bdf, p->group);
	}
	return r;
}

/* ---- plan objects ------------------------------------------------------------ */

static int plan_new(struct pt_ctx *ctx, const char *group, unsigned int flags,
		    bool release, struct pt_plan **out)
{
	struct pt_plan *p = calloc(1, sizeof(*p));
	char err[512];
	struct pt_ini_file *f;
	int r;

	*out = p;
	if (!p)
		return -ENOMEM;
	p->ctx = ctx;
	p->flags = flags;
	p->release = release;
	p->group = strdup(group ? group : "");
	if (!p->group)
		return -ENOMEM;
	if (pt__store_applied_relpath(group ? group : "", p->relpath,
				      sizeof(p->relpath)) < 0) {
		plan_error(p, "'%s': not a valid group name", group ? group : "");
		return -ENOENT;
	}
	r = pt__store_open(ctx, !(flags & PT_PLAN_DRY_RUN), &p->store, err,
			   sizeof(err));
	if (r < 0) {
		plan_error(p, "%s", err);
		return r;
	}
	f = pt__store_find(p->store, p->relpath);
	if (f) {
		p->had_record = true;
		r = record_load(p, f);
		if (r < 0)
			return r;
	}
	return 0;
}

PT_EXPORT int pt_plan_apply(struct pt_ctx *ctx, const char *group,
			    unsigned int flags, struct pt_plan **out)
{
	struct pt_plan *p;
	struct pt_group *g;
	int r;

	r = plan_new(ctx, group, flags, false, &p);
	*out = p;
	if (r < 0)
		return r;
	r = pt_conf_load(ctx);
	if (r < 0) {
		plan_error(p, "%s", pt_conf_get_error(ctx));
		return r;
	}
	g = pt_group_find(ctx, group);
	if (!g) {
		plan_error(p, "group '%s' not found; see 'pt group list'", group);
		return -ENOENT;
	}
	if (p->had_record && p->rec.type[0] &&
	    strcmp(p->rec.type, pt_group_type_name(pt_group_get_type(g)))) {
		plan_error(p, "group '%s' was applied as type %s; run 'pt group release %s' first",
			   group, p->rec.type, group);
		return -EBUSY;
	}
	snprintf(p->rec.type, sizeof(p->rec.type), "%s",
		 pt_group_type_name(pt_group_get_type(g)));
	/* entries of an earlier apply stay only if planned again */
	record_unkeep(&p->rec);

	switch (pt_group_get_type(g)) {
	case PT_GROUP_PCI:
		r = plan_pci(p, g);
		break;
	case PT_GROUP_SRIOV_NIC:
		r = plan_sriov(p, g);
		break;
	case PT_GROUP_VGPU:
		r = plan_vgpu(p, g);
		break;
	case PT_GROUP_USB:
		r = plan_note(p, "USB groups need no host changes: devices are passed to guests when attached");
		break;
	}
	if (r < 0)
		return r;
	if (!pt_group_get_num_members(g))
		plan_note(p, "group '%s' has no members on this host", group);

	/* devices an earlier apply took that are no longer members go back */
	{
		int first = p->n_steps;

		r = plan_restore(p, sel_stale);
		if (r < 0)
			return r;
		if (p->n_steps > first)
			plan_note(p, "devices applied before that the group no longer takes are restored");
	}
	/* vfio-pci loaded before the first bind */
	for (int i = 0; i < p->n_steps; i++) {
		if (p->steps[i].kind == K_WRITE && p->steps[i].verify == V_DRIVER &&
		    !strcmp(p->steps[i].vwant, VFIO)) {
			struct pt_step tmp;

			r = plan_module(p);
			if (r < 0 || p->steps[p->n_steps - 1].kind != K_MODULE)
				break;
			/* move the module load to the front */
			tmp = p->steps[p->n_steps - 1];
			memmove(&p->steps[1], &p->steps[0],
				(p->n_steps - 1) * sizeof(*p->steps));
			p->steps[0] = tmp;
			break;
		}
	}
	return r;
}

PT_EXPORT int pt_plan_release(struct pt_ctx *ctx, const char *group,
			      unsigned int flags, struct pt_plan **out)
{
	struct pt_plan *p;
	int r;

	r = plan_new(ctx, group, flags, true, &p);
	*out = p;
	if (r < 0)
		return r;
	if (!p->had_record) {
		plan_error(p, "group '%s' is not applied on this host; nothing to release",
			   group);
		return -ENOENT;
	}
	record_unkeep(&p->rec);
	return plan_restore(p, sel_all);
}

/* ---- execution --------------------------------------------------------------- */

static void mark_touched(struct pt_plan *p, struct pt_step *s)
{
	switch (s->rkind) {
	case 'd':
		p->rec.devs[s->ridx].touched = true;
		break;
	case 'p':
		p->rec.pfs[s->ridx].touched = true;
		break;
	case 'v':
		p->rec.vfs[s->ridx].touched = true;
		break;
	}
}

int pt__vf_apply(struct pt_ctx *ctx, const char *ifname, int vf,
		 const struct pt_vf_settings *want, unsigned int parts,
		 char ***drift, char *err, size_t errlen)
{
	struct pt_vf_nl *nl = NULL;
	struct pt_vf_link *link = NULL;
	int r;

	*drift = NULL;
	r = pt__vf_nl_open(ctx, &nl, err, errlen);
	if (r < 0)
		return r;
	r = pt__vf_nl_get_link(nl, ifname, &link, err, errlen);
	if (r < 0)
		goto out;
	r = pt__vf_nl_set(nl, link, vf, want, parts, err, errlen);
	if (r < 0)
		goto out;
	/* read back what the driver kept */
	pt__vf_link_free(link);
	link = NULL;
	r = pt__vf_nl_get_link(nl, ifname, &link, err, errlen);
	if (r < 0)
		goto out;
	r = pt__vf_drift(vf, want, pt__vf_link_find(link, vf), NULL, drift);
	if (r < 0)
		snprintf(err, errlen, "out of memory");
out:
	pt__vf_link_free(link);
	pt__vf_nl_close(nl);
	return r;
}

static int run_netlink(struct pt_plan *p, struct pt_step *s, char *why,
		       size_t wlen)
{
	char **lines = NULL;
	int r;

	r = pt__vf_apply(p->ctx, s->ifname, s->vf, &s->want, s->parts, &lines,
			 why, wlen);
	for (char **l = lines; r > 0 && l && *l; l++)
		plan_note(p, "%s: read back after setting: %s (the driver did not keep it)",
			  s->ifname, *l);
	pt__vf_drift_free(lines);
	return r < 0 ? r : 0;
}

static int run_step(struct pt_plan *p, struct pt_step *s, char *why,
		    size_t wlen)
{
	int fd, r;

	why[0] = '\0';
	switch (s->kind) {
	case K_MODULE:
		if (!pt_is_live(p->ctx))
			break;	/* a fixture's drivers come with the tree */
		r = pt__module_load(p->ctx, "vfio-pci", why, wlen);
		if (r < 0)
			return r;
		r = pt__module_load(p->ctx, "vfio_iommu_type1", why, wlen);
		if (r < 0)
			return r;
		break;
	case K_WRITE:
		fd = pt__sysfs_open_dir(p->ctx, s->dir);
		if (fd < 0) {
			snprintf(why, wlen, "cannot open %s: %s", s->dir, strerror(-fd));
			return fd;
		}
		r = pt__sysfs_write(fd, s->attr, s->value);
		close(fd);
		if (r < 0) {
			snprintf(why, wlen, "write failed: %s", strerror(-r));
			return r;
		}
		break;
	case K_NETLINK:
		if (!pt_is_live(p->ctx)) {
			s->status = S_SKIPPED;
			return plan_note(p, "%s: not sent: VF settings go to the running kernel only, not to a fixture tree",
					 s->target);
		}
		return run_netlink(p, s, why, wlen);
	}
	return verify(p->ctx, s, why, wlen);
}

static int rollback(struct pt_plan *p)
{
	int first = p->n_steps, failed = 0;

	if (plan_restore(p, sel_touched) < 0) {
		plan_note(p, "rollback could not be planned; check the devices above with 'pt scan'");
		return -1;
	}
	for (int i = first; i < p->n_steps; i++) {
		struct pt_step *s = &p->steps[i];
		char why[512];
		int r = run_step(p, s, why, sizeof(why));

		if (r < 0) {
			s->status = S_FAILED;
			failed++;
			plan_note(p, "rollback: %s: %s", s->desc, why);
		} else if (s->status != S_SKIPPED) {
			s->status = S_DONE;
		}
	}
	/* the undo steps are not part of the plan shown */
	for (int i = first; i < p->n_steps; i++)
		step_clear(&p->steps[i]);
	p->n_steps = first;
	for (int i = 0; i < first; i++)
		if (p->steps[i].status == S_DONE)
			p->steps[i].status = failed ? S_DONE : S_UNDONE;
	if (failed)
		plan_note(p, "rollback: %d undo steps failed", failed);
	return failed ? -1 : 0;
}

/* A failed release keeps the entries whose steps did not all run. */
static void release_keep_unfinished(struct pt_plan *p, int failed)
{
	for (int i = failed; i < p->n_steps; i++) {
		struct pt_step *s = &p->steps[i];

		switch (s->rkind) {
		case 'd':
			p->rec.devs[s->ridx].keep = true;
			break;
		case 'p':
			p->rec.pfs[s->ridx].keep = true;
			break;
		case 'v':
			p->rec.vfs[s->ridx].keep = true;
			break;
		}
	}
	/* VFs whose PF keeps its count are not removed: they stay too */
	for (size_t i = 0; i < p->rec.n_devs; i++)
		if (!strcmp(p->rec.devs[i].role, "vf") && !p->rec.devs[i].touched)
			p->rec.devs[i].keep = true;
}

PT_EXPORT int pt_plan_execute(struct pt_plan *p)
{
	int r = 0;

	if (!p || p->executed || (p->flags & PT_PLAN_DRY_RUN) || p->error)
		return -EINVAL;
	p->executed = true;
	for (int i = 0; i < p->n_steps; i++) {
		struct pt_step *s = &p->steps[i];
		char why[512];

		dbg(p->ctx, "%s: step %d: %s\n", p->group, i + 1, s->desc);
		r = run_step(p, s, why, sizeof(why));
		if (r < 0) {
			s->status = S_FAILED;
			int undo = 0;

			mark_touched(p, s);
			if (p->release) {
				release_keep_unfinished(p, i);
				record_save(p);
			} else {
				undo = rollback(p);
			}
			s = &p->steps[i];	/* rollback may move the steps */
			plan_error(p, "group '%s': step %d (%s) failed: %s: %s%s%s",
				   p->group, i + 1, s->desc, s->target, why,
				   r == -ETIMEDOUT && pt_is_live(p->ctx) ?
				   "; see the kernel log (dmesg)" : "",
				   p->release ? "; what is not released stays recorded: fix the cause and release again" :
				   !undo ? "; every change of this run was undone" :
				   "; some changes could not be undone (see the notes); check with 'pt scan'");
			break;
		}
		if (s->status != S_SKIPPED)
			s->status = S_DONE;
		mark_touched(p, s);
	}
	if (!r) {
		r = record_save(p);
		if (r < 0)
			plan_error(p, "group '%s': changes made but the record %s/%s could not be written: %s; run 'pt group apply %s' again",
				   p->group, pt_get_conf_dir(p->ctx), p->relpath,
				   strerror(-r), p->group);
	}
	/* the host changed: what was scanned is stale */
	pt__ctx_flush(p->ctx);
	return r;
}

PT_EXPORT void pt_plan_free(struct pt_plan *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->n_steps; i++)
		step_clear(&p->steps[i]);
	free(p->steps);
	for (int i = 0; i < p->n_notes; i++)
		free(p->notes[i]);
	free(p->notes);
	free(p->error);
	free(p->group);
	record_free(&p->rec);
	if (p->store)
		pt__store_close(p->store);
	free(p);
}

PT_EXPORT const char *pt_plan_get_group(struct pt_plan *p)
{
	return p->group;
}

PT_EXPORT const char *pt_plan_get_action(struct pt_plan *p)
{
	return p->release ? "release" : "apply";
}

PT_EXPORT const char *pt_plan_get_error(struct pt_plan *p)
{
	return p->error;
}

PT_EXPORT int pt_plan_get_num_steps(struct pt_plan *p)
{
	return p->n_steps;
}

PT_EXPORT struct pt_step *pt_plan_get_step(struct pt_plan *p, int idx)
{
	return idx >= 0 && idx < p->n_steps ? &p->steps[idx] : NULL;
}

PT_EXPORT int pt_plan_get_num_notes(struct pt_plan *p)
{
	return p->n_notes;
}

PT_EXPORT const char *pt_plan_get_note(struct pt_plan *p, int idx)
{
	return idx >= 0 && idx < p->n_notes ? p->notes[idx] : NULL;
}

PT_EXPORT const char *pt_step_get_kind(struct pt_step *s)
{
	static const char *const kinds[] = { "load-module", "write", "netlink" };

	return kinds[s->kind];
}

PT_EXPORT const char *pt_step_get_device(struct pt_step *s)
{
	return s->device;
}

PT_EXPORT const char *pt_step_get_target(struct pt_step *s)
{
	return s->target;
}

PT_EXPORT const char *pt_step_get_value(struct pt_step *s)
{
	return s->value;
}

PT_EXPORT const char *pt_step_get_description(struct pt_step *s)
{
	return s->desc;
}

PT_EXPORT const char *pt_step_get_status(struct pt_step *s)
{
	return status_names[s->status];
}
