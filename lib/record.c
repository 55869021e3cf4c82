// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The applied record: applied.d/<group>.ini holds the state each function,
 * PF and VF had before an apply changed it ([device "BDF"] role, driver,
 * driver_override; [pf "BDF"] sriov_numvfs, sriov_drivers_autoprobe;
 * [vf "PF/N"] interface and the VF settings read before). Release and
 * rollback restore exactly that. The planner writes it before the first
 * host change, so whatever step a crash stops at, the record names every
 * device the plan may have touched (see passthru.conf(5)).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

/* A validated BDF into a PT_BDF_LEN buffer (no truncation warnings). */
static void bdf_copy(char dst[PT_BDF_LEN], const char *src)
{
	size_t l = strnlen(src, PT_BDF_LEN - 1);

	memcpy(dst, src, l);
	dst[l] = '\0';
}

void pt__record_free(struct pt_record *rec)
{
	for (size_t i = 0; i < rec->n_devs; i++) {
		free(rec->devs[i].driver);
		free(rec->devs[i].override);
	}
	free(rec->devs);
	for (size_t i = 0; i < rec->n_gpus; i++)
		free(rec->gpus[i]);
	free(rec->gpus);
	free(rec->pfs);
	free(rec->vfs);
	memset(rec, 0, sizeof(*rec));
}

struct pt_rec_dev *pt__record_dev_find(struct pt_record *rec, const char *bdf)
{
	for (size_t i = 0; i < rec->n_devs; i++)
		if (!strcmp(rec->devs[i].bdf, bdf))
			return &rec->devs[i];
	return NULL;
}

struct pt_rec_pf *pt__record_pf_find(struct pt_record *rec, const char *bdf)
{
	for (size_t i = 0; i < rec->n_pfs; i++)
		if (!strcmp(rec->pfs[i].bdf, bdf))
			return &rec->pfs[i];
	return NULL;
}

struct pt_rec_vf *pt__record_vf_find(struct pt_record *rec, const char *pf, int vf)
{
	for (size_t i = 0; i < rec->n_vfs; i++)
		if (!strcmp(rec->vfs[i].pf, pf) && rec->vfs[i].vf == vf)
			return &rec->vfs[i];
	return NULL;
}

struct pt_rec_dev *pt__record_dev_add(struct pt_record *rec, const char *bdf,
				const char *role, const char *driver,
				const char *override)
{
	struct pt_rec_dev *n = realloc(rec->devs, (rec->n_devs + 1) * sizeof(*n));

	if (!n)
		return NULL;
	rec->devs = n;
	n = &rec->devs[rec->n_devs];
	memset(n, 0, sizeof(*n));
	bdf_copy(n->bdf, bdf);
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

struct pt_rec_pf *pt__record_pf_add(struct pt_record *rec, const char *bdf, int numvfs,
			      int autoprobe)
{
	struct pt_rec_pf *n = realloc(rec->pfs, (rec->n_pfs + 1) * sizeof(*n));

	if (!n)
		return NULL;
	rec->pfs = n;
	n = &rec->pfs[rec->n_pfs++];
	memset(n, 0, sizeof(*n));
	bdf_copy(n->bdf, bdf);
	n->numvfs = numvfs;
	n->autoprobe = autoprobe;
	return n;
}

struct pt_rec_vf *pt__record_vf_add(struct pt_record *rec, const char *pf, int vf,
			      const char *ifname,
			      const struct pt_vf_settings *before)
{
	struct pt_rec_vf *n = realloc(rec->vfs, (rec->n_vfs + 1) * sizeof(*n));

	if (!n)
		return NULL;
	rec->vfs = n;
	n = &rec->vfs[rec->n_vfs++];
	memset(n, 0, sizeof(*n));
	bdf_copy(n->pf, pf);
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

static int load_gpu(struct pt_record *rec, struct pt_ini_section *sec, const char *bdf);

int pt__record_load(struct pt_ctx *ctx, struct pt_ini_file *f,
		    struct pt_record *rec, char *err, size_t errlen)
{

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
			if (!pt__record_dev_add(rec, arg, role, drv, ovr))
				return -ENOMEM;
			rec->devs[rec->n_devs - 1].keep = rec->devs[rec->n_devs - 1].loaded = true;
		} else if (!section_arg(sec->name, "pf", arg, sizeof(arg)) &&
			   pt__bdf_is_valid(arg)) {
			int n, a;

			if (parse_int(kv_get(sec, "sriov_numvfs"), &n) < 0 ||
			    parse_int(kv_get(sec, "sriov_drivers_autoprobe"), &a) < 0 ||
			    a > 1)
				goto bad;
			if (!pt__record_pf_add(rec, arg, n, a))
				return -ENOMEM;
			rec->pfs[rec->n_pfs - 1].keep = rec->pfs[rec->n_pfs - 1].loaded = true;
		} else if (!section_arg(sec->name, "gpu", arg, sizeof(arg)) &&
			   pt__bdf_is_valid(arg)) {
			int r = load_gpu(rec, sec, arg);

			if (r == -ENOMEM)
				return r;
			if (r < 0)
				goto bad;
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
			if (!pt__record_vf_add(rec, arg, vf, ifn, &s))
				return -ENOMEM;
			rec->vfs[rec->n_vfs - 1].keep = rec->vfs[rec->n_vfs - 1].loaded = true;
		} else {
			goto bad;
		}
		continue;
bad:
		snprintf(err, errlen, "%s/%s:%d: not a valid record of pt-group apply; restore the file or remove it to forget what was applied",
			 pt_get_conf_dir(ctx), f->relpath, sec->line);
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

/* ---- vgpu: [gpu "BDF"], what NVML changed (#13) ---- */
struct pt_rec_gpu *pt__record_gpu_find(struct pt_record *rec, const char *bdf)
{
	for (size_t i = 0; i < rec->n_gpus; i++)
		if (!strcmp(rec->gpus[i]->bdf, bdf))
			return rec->gpus[i];
	return NULL;
}

struct pt_rec_gpu *pt__record_gpu_add(struct pt_record *rec, const char *bdf)
{
	struct pt_rec_gpu **n = realloc(rec->gpus, (rec->n_gpus + 1) * sizeof(*n));
	struct pt_rec_gpu *g;

	if (!n)
		return NULL;
	rec->gpus = n;
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	bdf_copy(g->bdf, bdf);
	g->mig_mode = g->hetero_mode = -1;
	rec->gpus[rec->n_gpus++] = g;
	return g;
}

static int load_gpu(struct pt_record *rec, struct pt_ini_section *sec, const char *bdf)
{
	const char *ids = kv_get(sec, "gpu_instances");
	struct pt_rec_gpu *g;
	int v;

	g = pt__record_gpu_add(rec, bdf);
	if (!g)
		return -ENOMEM;
	g->keep = g->loaded = true;
	if (kv_get(sec, "mig_mode")) {
		if (parse_int(kv_get(sec, "mig_mode"), &v) < 0 || v > 1)
			return -EINVAL;
		g->mig_mode = v;
	}
	if (kv_get(sec, "heterogeneous_mode")) {
		if (parse_int(kv_get(sec, "heterogeneous_mode"), &v) < 0 || v > 1)
			return -EINVAL;
		g->hetero_mode = v;
	}
	if (kv_get(sec, "gpu_instance_profile")) {
		if (parse_int(kv_get(sec, "gpu_instance_profile"), &v) < 0)
			return -EINVAL;
		g->gis.profile_id = (unsigned int)v;
	}
	while (ids && *ids) {
		char *end;
		unsigned long id = strtoul(ids, &end, 10);

		if (end == ids || id > 0xffff || g->gis.n >= PT__NVMIG_MAX_GI ||
		    (*end && *end != ' '))
			return -EINVAL;
		g->gis.ids[g->gis.n++] = (unsigned int)id;
		ids = end + (*end == ' ');
	}
	return 0;
}

/* Nothing changed on it (yet): not written. */
static bool gpu_empty(const struct pt_rec_gpu *g)
{
	return g->mig_mode < 0 && g->hetero_mode < 0 && !g->gis.n;
}

static int save_gpu(struct pt_ini_file *f, const struct pt_rec_gpu *g)
{
	char sec[96], ids[PT__NVMIG_MAX_GI * 6 + 1] = "";
	size_t off = 0;
	int r;

	snprintf(sec, sizeof(sec), "gpu \"%s\"", g->bdf);
	r = 0;
	if (g->mig_mode >= 0)
		r = ini_set_int(f, sec, "mig_mode", g->mig_mode);
	if (!r && g->hetero_mode >= 0)
		r = ini_set_int(f, sec, "heterogeneous_mode", g->hetero_mode);
	if (r || (g->mig_mode < 0 && !g->gis.n))
		return r;	/* no MIG change */
	r = ini_set_int(f, sec, "gpu_instance_profile", (int)g->gis.profile_id);
	for (int i = 0; i < g->gis.n && off < sizeof(ids); i++)
		off += (size_t)snprintf(ids + off, sizeof(ids) - off, "%s%u", i ? " " : "",
					g->gis.ids[i]);
	return r ?: pt__ini_set(f, sec, "gpu_instances", ids);
}
/* ---- end vgpu ---- */

/* Entries stay in the new record only if planned again. */
void pt__record_unkeep(struct pt_record *rec)
{
	for (size_t i = 0; i < rec->n_devs; i++)
		rec->devs[i].keep = false;
	for (size_t i = 0; i < rec->n_pfs; i++)
		rec->pfs[i].keep = false;
	for (size_t i = 0; i < rec->n_vfs; i++)
		rec->vfs[i].keep = false;
	for (size_t i = 0; i < rec->n_gpus; i++)
		rec->gpus[i]->keep = false;
}

static bool sel(enum pt_rec_sel s, bool keep, bool loaded)
{
	return s == PT_REC_ALL || (s == PT_REC_KEPT ? keep : loaded);
}

static bool record_empty(const struct pt_record *rec, enum pt_rec_sel s)
{
	for (size_t i = 0; i < rec->n_devs; i++)
		if (sel(s, rec->devs[i].keep, rec->devs[i].loaded))
			return false;
	for (size_t i = 0; i < rec->n_pfs; i++)
		if (sel(s, rec->pfs[i].keep, rec->pfs[i].loaded))
			return false;
	for (size_t i = 0; i < rec->n_vfs; i++)
		if (sel(s, rec->vfs[i].keep, rec->vfs[i].loaded))
			return false;
	for (size_t i = 0; i < rec->n_gpus; i++)
		if (sel(s, rec->gpus[i]->keep, rec->gpus[i]->loaded) &&
		    !gpu_empty(rec->gpus[i]))
			return false;
	return true;
}

/* Write the kept entries as the new record (or remove it when none). */
int pt__record_save(struct pt_store *st, const char *relpath,
		    struct pt_record *rec, enum pt_rec_sel s)
{
	struct pt_ini_file *f = pt__store_find(st, relpath);
	char sec[96];
	int r = 0;

	if (record_empty(rec, s)) {
		if (f)
			r = pt__store_delete_file(st, relpath);
		return r < 0 ? r : pt__store_commit(st);
	}
	if (f) {
		while (f->n_sections && !r) {
			snprintf(sec, sizeof(sec), "%s", f->sections[0].name);
			r = pt__ini_remove_section(f, sec);
		}
	} else {
		r = pt__store_new_file(st, relpath, &f);
	}
	if (r < 0)
		return r;
	r = pt__ini_set(f, "applied", "type", rec->type);
	for (size_t i = 0; i < rec->n_devs && !r; i++) {
		struct pt_rec_dev *d = &rec->devs[i];

		if (!sel(s, d->keep, d->loaded))
			continue;
		snprintf(sec, sizeof(sec), "device \"%s\"", d->bdf);
		r = pt__ini_set(f, sec, "role", d->role) ?:
		    pt__ini_set(f, sec, "driver", d->driver) ?:
		    pt__ini_set(f, sec, "driver_override", d->override);
	}
	for (size_t i = 0; i < rec->n_pfs && !r; i++) {
		struct pt_rec_pf *pf = &rec->pfs[i];

		if (!sel(s, pf->keep, pf->loaded))
			continue;
		snprintf(sec, sizeof(sec), "pf \"%s\"", pf->bdf);
		r = ini_set_int(f, sec, "sriov_numvfs", pf->numvfs) ?:
		    ini_set_int(f, sec, "sriov_drivers_autoprobe", pf->autoprobe);
	}
	for (size_t i = 0; i < rec->n_vfs && !r; i++) {
		struct pt_rec_vf *vf = &rec->vfs[i];

		if (!sel(s, vf->keep, vf->loaded))
			continue;
		snprintf(sec, sizeof(sec), "vf \"%s/%d\"", vf->pf, vf->vf);
		r = pt__ini_set(f, sec, "interface", vf->ifname) ?:
		    ini_set_vf(f, sec, &vf->before);
	}
	for (size_t i = 0; i < rec->n_gpus && !r; i++)
		if (sel(s, rec->gpus[i]->keep, rec->gpus[i]->loaded) &&
		    !gpu_empty(rec->gpus[i]))
			r = save_gpu(f, rec->gpus[i]);
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
	return pt__store_commit(st);
}


/* ---- the records there are ---------------------------------------------------- */

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

PT_EXPORT int pt_applied_list(struct pt_ctx *ctx, char ***out)
{
	struct pt_store *st;
	char err[512], **names = NULL;
	int r, n = 0;

	*out = NULL;
	r = pt__store_open(ctx, false, &st, err, sizeof(err));
	if (r < 0)
		return r;
	for (size_t i = 0; i < st->n_files; i++) {
		const char *rel = st->files[i]->relpath;
		size_t len = strlen(rel);
		char **nn;

		if (strncmp(rel, "applied.d/", 10) || len <= 14 ||
		    strcmp(rel + len - 4, ".ini"))
			continue;
		nn = realloc(names, (n + 2) * sizeof(*nn));
		if (!nn || !(nn[n] = strndup(rel + 10, len - 14))) {
			names = nn ? nn : names;
			r = -ENOMEM;
			break;
		}
		names = nn;
		names[++n] = NULL;
	}
	pt__store_close(st);
	if (r < 0) {
		for (int i = 0; i < n; i++)
			free(names[i]);
		free(names);
		return r;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	*out = names;
	return n;
}

PT_EXPORT int pt_applied_check(struct pt_ctx *ctx, const char *group,
			       char ***devices, char ***drift)
{
	char relpath[PT_NAME_MAX + 32], err[512];
	struct pt_record rec = { 0 };
	char **devs = NULL, **lines = NULL;
	size_t nd = 0, nl = 0;
	struct pt_ini_file *f;
	struct pt_store *st;
	int r;

	*devices = *drift = NULL;
	if (pt__store_applied_relpath(group, relpath, sizeof(relpath)) < 0)
		return -ENOENT;
	/* this group's record alone: a listing asks once per group */
	r = pt__store_open_file(ctx, relpath, &st, err, sizeof(err));
	if (r < 0)
		return r;
	f = pt__store_find(st, relpath);
	r = f ? pt__record_load(ctx, f, &rec, err, sizeof(err)) : -ENOENT;
	pt__store_close(st);
	for (size_t i = 0; r >= 0 && i < rec.n_devs; i++) {
		struct pt_rec_dev *d = &rec.devs[i];
		char drv[256], *line = NULL, **n;
		int e = pt__pci_read_driver(ctx, d->bdf, drv, sizeof(drv));

		n = realloc(devs, (nd + 2) * sizeof(*n));
		if (!n || !(n[nd] = strdup(d->bdf))) {
			devs = n ? n : devs;
			r = -ENOMEM;
			break;
		}
		devs = n;
		devs[++nd] = NULL;
		/* a recorded binding that no longer holds */
		if (e == -ENOENT)
			e = asprintf(&line, "%s: recorded on vfio-pci, gone from the host", d->bdf);
		else if (e < 0)
			e = asprintf(&line, "%s: recorded on vfio-pci, cannot read its driver: %s",
				     d->bdf, strerror(-e));
		else if (strcmp(drv, "vfio-pci"))
			e = asprintf(&line, "%s: recorded on vfio-pci, now %s%s", d->bdf,
				     drv[0] ? "on " : "without a driver", drv);
		else
			continue;
		n = e < 0 ? NULL : realloc(lines, (nl + 2) * sizeof(*n));
		if (!n) {
			free(line);
			r = -ENOMEM;
			break;
		}
		lines = n;
		lines[nl++] = line;
		lines[nl] = NULL;
	}
	pt__record_free(&rec);
	if (r < 0) {
		for (size_t i = 0; i < nd; i++)
			free(devs[i]);
		for (size_t i = 0; i < nl; i++)
			free(lines[i]);
		free(devs);
		free(lines);
		return r;
	}
	*devices = devs;
	*drift = lines;
	return (int)nl;
}
