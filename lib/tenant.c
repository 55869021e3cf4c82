// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Tenants: a Unix group of admins who are not root, and the units of host
 * groups reserved for them (thick: the tenant owns them even while none of
 * its VMs runs). The desired state is tenants.d/<tenant>.ini in the store
 * of conf.c (atomic, locked, line-preserving, file:line errors):
 *
 *   [tenant]
 *   admins = acme-ops            the Unix group of the tenant's admins
 *   node = kvm-a*                optional: the nodes (fnmatch) it may use
 *
 *   [grant "gpu"]                units of host group "gpu"
 *   type = pci                   the host group's type at grant time
 *   units = 0000:03:00.0+0000:03:00.1 0000:04:00.0+0000:04:00.1
 *
 *   [grant "t4"]
 *   type = vgpu
 *   profile = nvidia-232         vgpu: the group's profile at grant time
 *   units = 6cc8890a-ab3a-547e-a8f9-1e9d19d72450@0000:02:00.0
 *
 * A unit is what the allocator hands out (alloc.c, attach.c): the PCI
 * functions of one IOMMU group joined by '+', a VF, a USB device's stable
 * key, or an mdev instance the grant made, "UUID@PARENT" (its UUID stable:
 * from "TENANT:GROUP" and the unit's slot). Units are listed in the order
 * they were granted; revoke --count N gives back the last N.
 *
 * The tenant's own group of a grant is named "TENANT:GROUP". ':' is not a
 * group-name character (sysfs.c's pt__name_is_valid), so no host group
 * can ever take that name, and a tenant's groups are told apart by their
 * prefix. A VM request naming "TENANT:GROUP" draws only from the units
 * reserved for TENANT out of GROUP; every other request sees them as
 * "reserved for tenant 'TENANT'".
 *
 * Every token of a tenant file is validated when it is read (BDFs, USB
 * keys, names): the file is input to root-run commands.
 *
 * Thick provisioning. A grant or revoke changes the host through one plan
 * (plan.c), run while the store is locked and before the tenant file is
 * committed (a plan that fails is rolled back and nothing is written; a
 * commit that fails runs the reverse plan):
 *   - mdev units are made (mdev binder) with their UUIDs, on the parents
 *     the allocator picked; per-VF vGPU units get the profile's type in
 *     current_vgpu_type (nvvgpu binder); sriov-nic VFs of a NIC get a MAC
 *     from the tenant group and the slot (vfset binder, live only); revoke
 *     removes the instances, writes type 0 and a zero MAC. A tenant VM
 *     uses them as they are (attach.c's thick()), and a reboot's losses
 *     are made again by pt tenant apply (a plan from nothing to the file,
 *     leaving out what is in place);
 *   - the device node of each granted unit (/dev/vfio/<IOMMU group>,
 *     /dev/bus/usb/BBB/DDD) is given to root:<admins> mode 0660 (devnode
 *     binder); revoked, it goes back to the kernel's and udev's defaults,
 *     root:root 0600 (vfio) and 0664 (usb);
 *   - <etc>/udev/rules.d/70-passthru-tenant-<tenant>.rules names every
 *     granted device by what survives a reboot and a re-plug (the PCI
 *     function inside the IOMMU group, the USB vendor/product/serial or
 *     port), so udev gives the nodes to the tenant again whenever they
 *     appear; removed with the last unit;
 *   - <etc>/security/limits.d/passthru-tenant-<tenant>.conf gives the
 *     tenant's group an unlimited locked-memory limit (vfio pins all of a
 *     guest's RAM), for pam_limits sessions; removed with the last unit.
 * <etc> is the conf dir's parent: /etc for /etc/passthru.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"

#define TENANTS_PREFIX	"tenants.d/"
#define MAX_UNITS	256

struct pt_grant {
	struct pt_grant *next;
	struct pt_tenant *tenant;
	char *group;			/* host group */
	char *qualified;		/* "tenant:group" */
	enum pt_group_type type;
	char *profile;			/* vgpu: the profile granted (group's, at grant) */
	char **units;			/* "fn+fn", VF BDF, "usb:...", "UUID@PARENT" */
	int n_units;
};

struct pt_tenant {
	struct pt_ctx *ctx;
	char *name;
	char *file;
	char *admins;
	char *node;
	struct pt_grant *grants;
};

struct pt_tenant_txn {
	struct pt_ctx *ctx;
	struct pt_store *st;
	unsigned int flags;
	int leasefd;
	char **notes;
	int n_notes;
	char *touched;			/* the tenant a grant or revoke changed */
	int tlockfd;			/* revoke: the tenant's lock (tenantdir.c) */
	char **warns;			/* tenants' files left out (plants), one line each */
	int n_warns;
	const char *action;		/* "grant", "revoke", "apply" */
	bool replay;			/* apply: from the host as it is, to the file */
	char **steps;			/* the host changes made (or, dry, planned) */
	int n_steps;
	char error[1024];
};

/* ---- small helpers ------------------------------------------------------- */

/* A USB unit key as attach.c makes it: "usb:VVVV:PPPP:SERIAL" or "usb:B-PORT". */
static bool usb_key_is_valid(const char *k)
{
	size_t len = strlen(k);

	if (strncmp(k, "usb:", 4) || len < 6 || len > 95)
		return false;
	for (const char *p = k + 4; *p; p++)
		if (!(*p >= '0' && *p <= '9') && !(*p >= 'a' && *p <= 'z') &&
		    !(*p >= 'A' && *p <= 'Z') && !strchr(":.-_", *p))
			return false;
	return true;
}

/* A vGPU profile as a group names it: an mdev type's id or name, an NVIDIA profile. */
static bool profile_is_valid(const char *v)
{
	size_t len = strlen(v);

	if (!len || len > 64 || v[0] == ' ' || v[len - 1] == ' ')
		return false;
	for (const char *p = v; *p; p++)
		if (!(*p >= '0' && *p <= '9') && !(*p >= 'a' && *p <= 'z') &&
		    !(*p >= 'A' && *p <= 'Z') && !strchr(" -_.:", *p))
			return false;
	return true;
}

/* A UUID as the kernel prints it: 8-4-4-4-12 lower-case hex digits. */
static bool uuid_is_valid(const char *s)
{
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	}
	return s[36] == '\0' || s[36] == '@';
}

/*
 * An mdev instance of a vgpu grant: "UUID@PARENT", the parent a PCI
 * function's BDF or a device name (mtty). Split into uuid and parent;
 * false when u is no such unit.
 */
static bool mdev_unit_split(const char *u, char uuid[37], char *parent, size_t plen)
{
	const char *at = strchr(u, '@');

	if (!at || at - u != 36 || !uuid_is_valid(u) || strlen(at + 1) >= plen ||
	    !(pt__bdf_is_valid(at + 1) || pt__name_is_valid(at + 1)))
		return false;
	memcpy(uuid, u, 36);
	uuid[36] = '\0';
	strcpy(parent, at + 1);
	return true;
}

/* One unit: BDFs joined by '+' (at most 8), one USB key, or one mdev instance. */
static bool unit_is_valid(const char *u)
{
	char buf[PT_BDF_LEN * 8 + 8];
	char *save = NULL, *tok;
	char uuid[37], parent[PT_NAME_MAX + 1];
	int n = 0;

	if (!strncmp(u, "usb:", 4))
		return usb_key_is_valid(u);
	if (strchr(u, '@'))
		return mdev_unit_split(u, uuid, parent, sizeof(parent));
	if (strlen(u) >= sizeof(buf))
		return false;
	strcpy(buf, u);
	if (!*buf || buf[0] == '+' || buf[strlen(buf) - 1] == '+' || strstr(buf, "++"))
		return false;
	for (tok = strtok_r(buf, "+", &save); tok; tok = strtok_r(NULL, "+", &save))
		if (!pt__bdf_is_valid(tok) || ++n > 8)
			return false;
	return n > 0;
}

/* Does unit u hold key (a BDF, a USB key, an mdev instance's UUID)? */
static bool unit_holds(const char *u, const char *key)
{
	size_t kl = strlen(key);

	if (strchr(u, '@'))
		return kl == 36 && !strncmp(u, key, 36) && u[36] == '@';

	for (const char *p = u; (p = strstr(p, key)); p++)
		if ((p == u || p[-1] == '+') && (p[kl] == '\0' || p[kl] == '+'))
			return true;
	return false;
}

/* ---- tenants.d: loading and validation ------------------------------------ */

static void grant_free(struct pt_grant *g)
{
	for (int i = 0; i < g->n_units; i++)
		free(g->units[i]);
	free(g->units);
	free(g->group);
	free(g->qualified);
	free(g->profile);
	free(g);
}

static void tenant_free(struct pt_tenant *t)
{
	if (!t)
		return;
	while (t->grants) {
		struct pt_grant *n = t->grants->next;

		grant_free(t->grants);
		t->grants = n;
	}
	free(t->name);
	free(t->file);
	free(t->admins);
	free(t->node);
	free(t);
}

void pt__tenants_free(struct pt_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n_tenants; i++)
		tenant_free(ctx->tenants[i]);
	free(ctx->tenants);
	free(ctx->tenants_error);
	for (size_t i = 0; i < ctx->n_tenants_unreadable; i++)
		free(ctx->tenants_unreadable[i]);
	free(ctx->tenants_unreadable);
	ctx->tenants_unreadable = NULL;
	ctx->n_tenants_unreadable = 0;
	ctx->tenants = NULL;
	ctx->tenants_error = NULL;
	ctx->n_tenants = 0;
	ctx->tenants_loaded = false;
	ctx->tenants_rc = 0;
	free(ctx->tenant_probe);
	ctx->tenant_probe = NULL;
}

static const char *const tenant_keys[] = { "admins", "node", "description", NULL };
static const char *const grant_keys[] = { "type", "units", "profile", "description", NULL };

static char *grant_section_name(const char *section)
{
	size_t len = strlen(section);

	if (strncmp(section, "grant \"", 7) || len < 9 || section[len - 1] != '"')
		return NULL;
	return strndup(section + 7, len - 8);
}

static int units_parse(struct pt_grant *g, const char *rel, int line, const char *v,
		       char *err, size_t errlen)
{
	char *copy = strdup(v), *save = NULL, *tok;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, " \t", &save); tok && !r; tok = strtok_r(NULL, " \t", &save)) {
		char **n;

		if (!unit_is_valid(tok)) {
			r = pt__seterr(err, errlen, -EINVAL,
				       "%s:%d: unit '%.100s' is not PCI functions (DDDD:BB:DD.F joined by '+'), "
				       "a USB key or an mdev instance (UUID@PARENT); restore the line pt wrote "
				       "(see the file's history)", rel, line, tok);
			break;
		}
		for (int i = 0; i < g->n_units && !r; i++)
			if (!strcmp(g->units[i], tok))
				r = pt__seterr(err, errlen, -EINVAL,
					       "%s:%d: unit '%s' is listed twice", rel, line, tok);
		if (r)
			break;
		if (g->n_units >= MAX_UNITS) {
			r = pt__seterr(err, errlen, -EINVAL, "%s:%d: more than %d units", rel, line,
				       MAX_UNITS);
			break;
		}
		n = realloc(g->units, (g->n_units + 1) * sizeof(*n));
		if (!n || !(n[g->n_units] = strdup(tok))) {
			if (n)
				g->units = n;
			r = -ENOMEM;
			break;
		}
		g->units = n;
		g->n_units++;
	}
	free(copy);
	return r;
}

static int tenant_from_file(struct pt_ctx *ctx, struct pt_ini_file *f, struct pt_tenant **out,
			    char *err, size_t errlen)
{
	const char *rel = f->relpath;
	const char *base = rel + strlen(TENANTS_PREFIX);
	struct pt_tenant *t = calloc(1, sizeof(*t));
	struct pt_grant **tail;
	bool seen_tenant = false;
	int r = 0;

	if (!t)
		return -ENOMEM;
	t->ctx = ctx;
	t->name = strndup(base, strlen(base) - 4);
	t->file = strdup(rel);
	if (!t->name || !t->file) {
		tenant_free(t);
		return -ENOMEM;
	}
	tail = &t->grants;
	for (size_t i = 0; i < f->n_sections && !r; i++) {
		struct pt_ini_section *s = &f->sections[i];
		struct pt_grant *g;
		char *gname;

		if (!strcmp(s->name, "tenant")) {
			seen_tenant = true;
			for (size_t k = 0; k < s->n_kv && !r; k++) {
				struct pt_ini_kv *kv = &s->kv[k];

				if (!strcmp(kv->key, "admins")) {
					if (!pt__name_is_valid(kv->value))
						r = pt__seterr(err, errlen, -EINVAL,
							       "%s:%d: admins '%s' is not a Unix group name",
							       rel, kv->line, kv->value);
					else if (!(t->admins = strdup(kv->value)))
						r = -ENOMEM;
				} else if (!strcmp(kv->key, "node")) {
					if (!*kv->value || strlen(kv->value) > 255 ||
					    strchr(kv->value, '/'))
						r = pt__seterr(err, errlen, -EINVAL,
							       "%s:%d: node '%s' is not a host name pattern",
							       rel, kv->line, kv->value);
					else if (!(t->node = strdup(kv->value)))
						r = -ENOMEM;
				} else if (strcmp(kv->key, "description")) {
					r = pt__unknown_key(rel, kv->line, kv->key, tenant_keys, err, errlen);
				}
			}
			continue;
		}
		gname = grant_section_name(s->name);
		if (!gname || !pt__name_is_valid(gname)) {
			free(gname);
			r = pt__seterr(err, errlen, -EINVAL,
				       "%s:%d: unknown section [%s]; use [tenant] or [grant \"GROUP\"]",
				       rel, s->line, s->name);
			break;
		}
		g = calloc(1, sizeof(*g));
		if (!g || asprintf(&g->qualified, "%s:%s", t->name, gname) < 0) {
			free(g);
			free(gname);
			r = -ENOMEM;
			break;
		}
		g->tenant = t;
		g->group = gname;
		g->type = -1;
		*tail = g;
		tail = &g->next;
		for (size_t k = 0; k < s->n_kv && !r; k++) {
			struct pt_ini_kv *kv = &s->kv[k];

			if (!strcmp(kv->key, "type")) {
				int ty = pt_group_type_parse(kv->value);

				if (ty < 0)
					r = pt__seterr(err, errlen, -EINVAL,
						       "%s:%d: type '%s' is not pci, vgpu, sriov-nic or usb",
						       rel, kv->line, kv->value);
				else
					g->type = (enum pt_group_type)ty;
			} else if (!strcmp(kv->key, "units")) {
				r = units_parse(g, rel, kv->line, kv->value, err, errlen);
			} else if (!strcmp(kv->key, "profile")) {
				if (!profile_is_valid(kv->value))
					r = pt__seterr(err, errlen, -EINVAL,
						       "%s:%d: profile '%.64s' is not a vGPU profile",
						       rel, kv->line, kv->value);
				else if (!(g->profile = strdup(kv->value)))
					r = -ENOMEM;
			} else if (strcmp(kv->key, "description")) {
				r = pt__unknown_key(rel, kv->line, kv->key, grant_keys, err, errlen);
			}
		}
		if (!r && (int)g->type < 0)
			r = pt__seterr(err, errlen, -EINVAL, "%s:%d: grant '%s' has no type", rel,
				       s->line, gname);
		if (!r && g->type == PT_GROUP_VGPU && g->n_units && !g->profile)
			r = pt__seterr(err, errlen, -EINVAL,
				       "%s:%d: vgpu grant '%s' names no profile "
				       "(the vGPU type its units are made of); restore the 'profile =' line "
				       "pt wrote", rel, s->line, gname);
		for (int u = 0; !r && u < g->n_units; u++)
			if (strchr(g->units[u], '@') && g->type != PT_GROUP_VGPU)
				r = pt__seterr(err, errlen, -EINVAL,
					       "%s:%d: unit '%s' is an mdev instance, "
					       "in a grant of type %s", rel, s->line, g->units[u],
					       pt_group_type_name(g->type));
	}
	if (!r && !seen_tenant)
		r = pt__seterr(err, errlen, -EINVAL, "%s: no [tenant] section", rel);
	if (!r && !t->admins)
		r = pt__seterr(err, errlen, -EINVAL,
			       "%s: [tenant] names no admins; add admins = UNIXGROUP", rel);
	if (r < 0) {
		tenant_free(t);
		return r == -ENOMEM ? pt__seterr(err, errlen, r, "out of memory") : r;
	}
	*out = t;
	return 0;
}

static void tenants_free_array(struct pt_tenant **ts, size_t n)
{
	while (n)
		tenant_free(ts[--n]);
	free(ts);
}

static int tenants_from_store(struct pt_ctx *ctx, struct pt_store *st, struct pt_tenant ***out,
			      size_t *n_out, char *err, size_t errlen)
{
	struct pt_tenant **ts = NULL;
	size_t n = 0;
	int r = 0;

	for (size_t i = 0; i < st->n_files && !r; i++) {
		struct pt_ini_file *f = st->files[i];
		struct pt_tenant *t = NULL;

		if (f->deleted || strncmp(f->relpath, TENANTS_PREFIX, strlen(TENANTS_PREFIX)))
			continue;
		r = tenant_from_file(ctx, f, &t, err, errlen);
		if (r < 0)
			break;
		if (pt__array_add(ts, n, t) < 0) {
			tenant_free(t);
			r = -ENOMEM;
			break;
		}
	}
	/* a unit is reserved for one tenant only: a hand edit may say otherwise */
	for (size_t a = 0; a < n && !r; a++)
		for (struct pt_grant *ga = ts[a]->grants; ga && !r; ga = ga->next)
			for (int ua = 0; ua < ga->n_units && !r; ua++)
				for (size_t b = a; b < n && !r; b++)
					for (struct pt_grant *gb = ts[b]->grants; gb && !r; gb = gb->next)
						for (int ub = 0; ub < gb->n_units && !r; ub++) {
							if (gb == ga && ub <= ua)
								continue;
							if (strcmp(ga->units[ua], gb->units[ub]))
								continue;
							r = pt__seterr(err, errlen, -EINVAL,
								       "%s: unit '%s' is also granted in %s; "
								       "a unit belongs to one tenant: fix by hand",
								       ts[a]->file, ga->units[ua], ts[b]->file);
						}
	if (r < 0) {
		tenants_free_array(ts, n);
		return r;
	}
	*out = ts;
	*n_out = n;
	return 0;
}

/* The tenants whose files this user (not root) may not read: their names. */
static int keep_unreadable(struct pt_ctx *ctx, struct pt_store *st)
{
	if (!st->n_unreadable)
		return 0;
	ctx->tenants_unreadable = calloc(st->n_unreadable, sizeof(char *));
	if (!ctx->tenants_unreadable)
		return -ENOMEM;
	for (size_t i = 0; i < st->n_unreadable; i++) {
		const char *base = st->unreadable[i] + strlen(TENANTS_PREFIX);
		char *n = strndup(base, strlen(base) - 4);	/* without ".ini" */

		if (!n)
			return -ENOMEM;
		ctx->tenants_unreadable[ctx->n_tenants_unreadable++] = n;
	}
	return 0;
}

/*
 * Not root, and tenants.d (0711) lists nothing: the tenants of the
 * caller's Unix groups (tenants.d/.admins), and the one it acts for.
 */
static int read_by_name(struct pt_ctx *ctx, struct pt_store *st, char *err, size_t errlen)
{
	char **names = NULL;
	size_t n = 0;
	int r = pt__tdir_index_read(ctx, &names, &n);

	for (size_t i = 0; i < n && r >= 0; i++)
		r = pt__store_read_tenant(st, names[i], err, errlen);
	if (r >= 0 && ctx->tenant_probe)
		r = pt__store_read_tenant(st, ctx->tenant_probe, err, errlen);
	if (r >= 0 && ctx->tenant && (!ctx->tenant_probe || strcmp(ctx->tenant, ctx->tenant_probe)))
		r = pt__store_read_tenant(st, ctx->tenant, err, errlen);
	pt__strv_free(names, n);
	return r < 0 ? r : 0;
}

PT_EXPORT int pt_tenant_load(struct pt_ctx *ctx, const char **error)
{
	char err[512] = "";
	struct pt_store *st;
	int r;

	if (!ctx->tenants_loaded) {
		r = pt__ctx_register_free(ctx, pt__tenants_free);
		if (r < 0)
			return r;
		ctx->tenants_loaded = true;
		r = pt__store_open(ctx, false, &st, err, sizeof(err));
		if (r == 0 && st->tenants_unlisted)
			r = read_by_name(ctx, st, err, sizeof(err));
		if (r == 0) {
			r = tenants_from_store(ctx, st, &ctx->tenants, &ctx->n_tenants, err,
					       sizeof(err));
			if (r == 0)
				r = keep_unreadable(ctx, st);
			pt__store_close(st);
		}
		ctx->tenants_rc = r;
		if (r < 0)
			ctx->tenants_error = strdup(err[0] ? err : strerror(-r));
	}
	if (error)
		*error = ctx->tenants_error;
	return ctx->tenants_rc;
}

PT_EXPORT struct pt_tenant *pt_tenant_get_first(struct pt_ctx *ctx)
{
	pt_tenant_load(ctx, NULL);
	return ctx->n_tenants ? ctx->tenants[0] : NULL;
}

PT_EXPORT struct pt_tenant *pt_tenant_get_next(struct pt_tenant *t)
{
	struct pt_ctx *ctx = t->ctx;

	for (size_t i = 0; i + 1 < ctx->n_tenants; i++)
		if (ctx->tenants[i] == t)
			return ctx->tenants[i + 1];
	return NULL;
}

/*
 * NULL with errno EACCES: the tenant's file is there, and this user (not
 * root, not of the tenant's group) may not read it; else ENOENT.
 */
static struct pt_tenant *tenant_lookup(struct pt_ctx *ctx, const char *name)
{
	pt_tenant_load(ctx, NULL);
	for (size_t i = 0; name && i < ctx->n_tenants; i++)
		if (!strcmp(ctx->tenants[i]->name, name))
			return ctx->tenants[i];
	return NULL;
}

PT_EXPORT struct pt_tenant *pt_tenant_find(struct pt_ctx *ctx, const char *name)
{
	struct pt_tenant *t = tenant_lookup(ctx, name);

	if (t)
		return t;
	/* not root: a tenant the index does not name is read by its name */
	if (geteuid() != 0 && pt__name_is_valid(name) &&
	    (!ctx->tenant_probe || strcmp(ctx->tenant_probe, name)) &&
	    ctx->tenants_rc == 0) {
		char *p = strdup(name);

		if (p) {
			pt__tenants_free(ctx);
			ctx->tenant_probe = p;
			if ((t = tenant_lookup(ctx, name)))
				return t;
		}
	}
	errno = ENOENT;
	for (size_t i = 0; name && i < ctx->n_tenants_unreadable; i++)
		if (!strcmp(ctx->tenants_unreadable[i], name))
			errno = EACCES;
	return NULL;
}

PT_EXPORT const char *pt_tenant_get_name(struct pt_tenant *t) { return t->name; }
PT_EXPORT const char *pt_tenant_get_file(struct pt_tenant *t) { return t->file; }
PT_EXPORT const char *pt_tenant_get_admins(struct pt_tenant *t) { return t->admins; }
PT_EXPORT const char *pt_tenant_get_node(struct pt_tenant *t) { return t->node; }
PT_EXPORT struct pt_grant *pt_grant_get_first(struct pt_tenant *t) { return t->grants; }
PT_EXPORT struct pt_grant *pt_grant_get_next(struct pt_grant *g) { return g->next; }
PT_EXPORT struct pt_tenant *pt_grant_get_tenant(struct pt_grant *g) { return g->tenant; }
PT_EXPORT const char *pt_grant_get_group(struct pt_grant *g) { return g->group; }
PT_EXPORT const char *pt_grant_get_name(struct pt_grant *g) { return g->qualified; }
PT_EXPORT enum pt_group_type pt_grant_get_type(struct pt_grant *g) { return g->type; }
PT_EXPORT int pt_grant_get_num_units(struct pt_grant *g) { return g->n_units; }
PT_EXPORT const char *pt_grant_get_unit(struct pt_grant *g, int idx)
{
	return idx >= 0 && idx < g->n_units ? g->units[idx] : NULL;
}

PT_EXPORT struct pt_grant *pt_grant_find(struct pt_tenant *t, const char *group)
{
	for (struct pt_grant *g = t->grants; g && group; g = g->next)
		if (!strcmp(g->group, group))
			return g;
	return NULL;
}

/* ---- the allocator's questions ------------------------------------------------ */

/*
 * Who holds key (a BDF or a USB key): the grant, or NULL. A load failure
 * (an invalid tenants.d) answers for every key: nothing may be allocated
 * while the reservations cannot be read.
 */
static struct pt_grant *reserved_by(struct pt_ctx *ctx, const char *key, int *load_err)
{
	*load_err = pt_tenant_load(ctx, NULL);
	if (*load_err < 0)
		return NULL;
	for (size_t i = 0; i < ctx->n_tenants; i++)
		for (struct pt_grant *g = ctx->tenants[i]->grants; g; g = g->next)
			for (int u = 0; u < g->n_units; u++)
				if (unit_holds(g->units[u], key))
					return g;
	return NULL;
}

const char *pt__tenant_block(struct pt_ctx *ctx, const char *key, const char *for_grant,
			     char *buf, size_t len)
{
	int lerr;
	struct pt_grant *g = reserved_by(ctx, key, &lerr);

	if (lerr < 0) {
		snprintf(buf, len, "tenant reservations unreadable (%.100s)",
			 ctx->tenants_error ? ctx->tenants_error : strerror(-lerr));
		return buf;
	}
	if (for_grant) {
		if (g && !strcmp(g->qualified, for_grant))
			return NULL;
		if (g)
			snprintf(buf, len, "reserved for tenant '%s'", g->tenant->name);
		else
			snprintf(buf, len, "not granted to tenant group '%s'", for_grant);
		return buf;
	}
	if (!g)
		return NULL;
	snprintf(buf, len, "reserved for tenant '%s'", g->tenant->name);
	return buf;
}

struct pt_group *pt__tenant_group_resolve(struct pt_ctx *ctx, const char *name,
					  const char **host)
{
	const char *colon = name ? strchr(name, ':') : NULL;
	char tname[PT_NAME_MAX + 1];
	struct pt_tenant *t;
	struct pt_grant *g;

	if (host)
		*host = NULL;
	if (!colon)
		return name ? pt_group_find(ctx, name) : NULL;
	if ((size_t)(colon - name) > PT_NAME_MAX)
		return NULL;
	memcpy(tname, name, colon - name);
	tname[colon - name] = '\0';
	t = pt_tenant_find(ctx, tname);
	g = t ? pt_grant_find(t, colon + 1) : NULL;
	if (!g)
		return NULL;
	if (host)
		*host = g->group;
	return pt_group_find(ctx, g->group);
}

const char *pt__tenant_holds_mdev(struct pt_ctx *ctx, const char *uuid)
{
	int lerr;
	struct pt_grant *g = uuid && strlen(uuid) == 36 ? reserved_by(ctx, uuid, &lerr) : NULL;

	return g ? g->tenant->name : NULL;
}

int pt__tenant_vf_mac(struct pt_ctx *ctx, const char *tenant_group, const char *vfbdf,
		      char out[18])
{
	int lerr;
	struct pt_grant *g = reserved_by(ctx, vfbdf, &lerr);

	if (!g || strcmp(g->qualified, tenant_group) || g->type != PT_GROUP_SRIOV_NIC)
		return -ENOENT;
	for (int i = 0; i < g->n_units; i++)
		if (!strcmp(g->units[i], vfbdf)) {
			pt__stable_mac(g->qualified, "grant", i, out);
			return 0;
		}
	return -ENOENT;
}

bool pt__group_ref_is_valid(const char *name)
{
	const char *colon = name ? strchr(name, ':') : NULL;
	char tname[PT_NAME_MAX + 1];

	if (!colon)
		return pt__name_is_valid(name);
	if ((size_t)(colon - name) > PT_NAME_MAX)
		return false;
	memcpy(tname, name, colon - name);
	tname[colon - name] = '\0';
	return pt__name_is_valid(tname) && pt__name_is_valid(colon + 1);
}

/* ---- edits ------------------------------------------------------------------------ */

static int txn_err(struct pt_tenant_txn *t, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int txn_err(struct pt_tenant_txn *t, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->error, sizeof(t->error), fmt, ap);
	va_end(ap);
	return r;
}

/* The tenant whose host side the commit provisions. */
static int txn_touch(struct pt_tenant_txn *t, const char *name, const char *action)
{
	if (t->touched && strcmp(t->touched, name))
		return txn_err(t, -EINVAL, "one grant or revoke per transaction");
	if (!t->touched && !(t->touched = strdup(name)))
		return -ENOMEM;
	t->action = action;
	return 0;
}

/* Validate the tenants as the store holds them now (edits included). */
static int txn_validate(struct pt_tenant_txn *t, struct pt_tenant ***ts, size_t *n)
{
	return tenants_from_store(t->ctx, t->st, ts, n, t->error, sizeof(t->error));
}

PT_EXPORT int pt_tenant_txn_begin(struct pt_ctx *ctx, unsigned int flags,
				  struct pt_tenant_txn **out)
{
	struct pt_tenant_txn *t = calloc(1, sizeof(*t));
	struct pt_tenant **ts = NULL;
	size_t n = 0;
	int r;

	if (!t)
		return -ENOMEM;
	t->ctx = ctx;
	t->flags = flags;
	t->leasefd = -1;
	t->tlockfd = -1;
	r = pt__store_open(ctx, !(flags & PT_TXN_DRY_RUN), &t->st, t->error, sizeof(t->error));
	/* refuse to edit while a tenant file is invalid: the admin fixes it first */
	if (r == 0)
		r = txn_validate(t, &ts, &n);
	tenants_free_array(ts, n);
	if (r < 0) {
		pt__tenants_free(ctx);
		pt__ctx_register_free(ctx, pt__tenants_free);
		ctx->tenants_loaded = true;
		ctx->tenants_rc = r;
		ctx->tenants_error = strdup(t->error);
		pt_tenant_txn_free(t);
		return r;
	}
	/* every later question reads what this transaction holds locked */
	pt__tenants_free(ctx);
	*out = t;
	return 0;
}

PT_EXPORT const char *pt_tenant_txn_get_error(struct pt_tenant_txn *t) { return t->error; }
PT_EXPORT int pt_tenant_txn_get_num_units(struct pt_tenant_txn *t) { return t->n_notes; }
PT_EXPORT const char *pt_tenant_txn_get_unit(struct pt_tenant_txn *t, int idx)
{
	return idx >= 0 && idx < t->n_notes ? t->notes[idx] : NULL;
}

static void tenant_rel(const char *name, char *rel, size_t len)
{
	snprintf(rel, len, TENANTS_PREFIX "%s.ini", name);
}

PT_EXPORT int pt_tenant_txn_create(struct pt_tenant_txn *t, const char *name,
				   const char *admins, const char *node)
{
	char rel[PT_NAME_MAX + 16];
	struct pt_ini_file *f;
	int r;

	if (!pt__name_is_valid(name))
		return txn_err(t, -EINVAL, "'%s' is not a valid tenant name; %s", name ? name : "",
			       PT_NAME_RULES);
	if (!pt__name_is_valid(admins))
		return txn_err(t, -EINVAL, "tenant '%s': admins '%s' is not a Unix group name",
			       name, admins ? admins : "");
	if (!getgrnam(admins))
		return txn_err(t, -ENOENT, "tenant '%s': no Unix group '%s' on this host; "
			       "create it first (groupadd %s)", name, admins, admins);
	if (node && (!*node || strlen(node) > 255 || strchr(node, '/')))
		return txn_err(t, -EINVAL, "tenant '%s': node '%s' is not a host name pattern",
			       name, node);
	tenant_rel(name, rel, sizeof(rel));
	if (pt__store_find(t->st, rel))
		return txn_err(t, -EEXIST, "tenant '%s' exists already; see 'pt tenant show %s'",
			       name, name);
	r = pt__store_new_file(t->st, rel, &f);
	if (!r)
		r = pt__ini_set(f, "tenant", "admins", admins);
	if (!r && node)
		r = pt__ini_set(f, "tenant", "node", node);
	if (r < 0)
		return txn_err(t, r, "%s: %s", rel, strerror(-r));
	f->dirty = true;
	return 0;
}

PT_EXPORT int pt_tenant_txn_delete(struct pt_tenant_txn *t, const char *name)
{
	char rel[PT_NAME_MAX + 16];
	struct pt_ini_file *f;
	int r;

	if (!pt__name_is_valid(name))
		return txn_err(t, -EINVAL, "'%s' is not a valid tenant name; %s", name ? name : "",
			       PT_NAME_RULES);
	tenant_rel(name, rel, sizeof(rel));
	f = pt__store_find(t->st, rel);
	if (!f)
		return txn_err(t, -ENOENT, "no tenant '%s'; see 'pt tenant list'", name);
	for (size_t i = 0; i < f->n_sections; i++) {
		char *g = grant_section_name(f->sections[i].name);

		if (g) {
			txn_err(t, -EBUSY, "tenant '%s' still holds units of group '%s'; "
				"revoke them first with 'pt tenant revoke %s %s'", name, g, name, g);
			free(g);
			return -EBUSY;
		}
	}
	r = pt__store_delete_file(t->st, rel);
	return r < 0 ? txn_err(t, r, "%s: %s", rel, strerror(-r)) : 0;
}

/* This node's name: <proc root>/sys/kernel/hostname. */
static int node_name(struct pt_ctx *ctx, char *buf, size_t len)
{
	int fd = pt__proc_open(ctx, "sys/kernel/hostname");
	ssize_t n;

	if (fd < 0)
		return fd;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -ENODATA;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int lock_leases(struct pt_tenant_txn *t)
{
	if (t->leasefd >= 0 || (t->flags & PT_TXN_DRY_RUN))
		return 0;
	t->leasefd = pt__lease_lock(t->ctx, t->error, sizeof(t->error));
	return t->leasefd < 0 ? t->leasefd : 0;
}

/* The tenant and its file in the transaction's store. */
static int txn_tenant(struct pt_tenant_txn *t, const char *name, struct pt_ini_file **f)
{
	char rel[PT_NAME_MAX + 16];

	if (!pt__name_is_valid(name))
		return txn_err(t, -EINVAL, "'%s' is not a valid tenant name; %s", name ? name : "",
			       PT_NAME_RULES);
	tenant_rel(name, rel, sizeof(rel));
	*f = pt__store_find(t->st, rel);
	if (!*f)
		return txn_err(t, -ENOENT, "no tenant '%s'; create it with 'pt tenant create %s "
			       "--admins UNIXGROUP'", name, name);
	return 0;
}

/* grant and revoke: the tenant's file, a valid group name, a count from min to 64. */
static int txn_tenant_group(struct pt_tenant_txn *t, const char *name, const char *group,
			    int count, int min, struct pt_ini_file **f)
{
	int r = txn_tenant(t, name, f);

	if (r < 0)
		return r;
	if (!pt__name_is_valid(group))
		return txn_err(t, -EINVAL, "'%s' is not a valid group name; %s", group ? group : "",
			       PT_NAME_RULES);
	if (count < min || count > 64)
		return txn_err(t, -EINVAL, "count %d: give a number from 1 to 64", count);
	return 0;
}

/* Rewrite the units line of a grant section (removing the section when empty). */
static int set_units(struct pt_ini_file *f, const char *section, char *const *units, int n)
{
	size_t len = 1;
	char *v;
	int r;

	if (n == 0)
		return pt__ini_remove_section(f, section);
	for (int i = 0; i < n; i++)
		len += strlen(units[i]) + 1;
	v = calloc(1, len);
	if (!v)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		if (i)
			strcat(v, " ");
		strcat(v, units[i]);
	}
	r = pt__ini_set(f, section, "units", v);
	free(v);
	return r;
}

/*
 * grant and revoke: a grant's units in the tenant's file, and the tenant
 * the commit provisions. 0, or -errno with the file named.
 */
static int write_units(struct pt_tenant_txn *t, struct pt_ini_file *f, const char *section,
		       char *const *units, int n, const char *name, const char *action)
{
	int r = set_units(f, section, units, n);

	if (!r)
		r = txn_touch(t, name, action);
	if (r < 0)
		return txn_err(t, r, "%s: %s", f->relpath, strerror(-r));
	f->dirty = true;
	return 0;
}

PT_EXPORT int pt_tenant_txn_grant(struct pt_tenant_txn *t, const char *name, const char *group,
				  int count)
{
	struct pt_ctx *ctx = t->ctx;
	char section[PT_NAME_MAX + 16], node[256], why[768] = "";
	const char *tnode, *e;
	struct pt_ini_file *f;
	struct pt_group *g;
	char **picked = NULL, **all = NULL;
	int r, n = 0, n_all = 0;
	struct pt_tenant **ts = NULL;
	size_t nts = 0;
	struct pt_tenant *cur = NULL;
	struct pt_grant *gr;
	const char *profile = NULL;

	r = txn_tenant_group(t, name, group, count, 1, &f);
	if (r < 0)
		return r;
	r = pt_conf_load(ctx);
	if (r < 0)
		return txn_err(t, r == -ENOMEM ? r : -EINVAL, "%s",
			       pt_conf_get_error(ctx) ? pt_conf_get_error(ctx) : strerror(-r));
	g = pt_group_find(ctx, group);
	if (!g)
		return txn_err(t, -ENOENT, "tenant '%s': no host group '%s'; see 'pt group list'",
			       name, group);
	tnode = pt__ini_get(f, "tenant", "node");
	if (tnode) {
		if (node_name(ctx, node, sizeof(node)) < 0)
			return txn_err(t, -EXDEV, "tenant '%s' may use nodes '%s' only, and this "
				       "node's name cannot be read (%s/sys/kernel/hostname)", name,
				       tnode, pt_get_proc_root(ctx));
		if (fnmatch(tnode, node, 0))
			return txn_err(t, -EXDEV, "tenant '%s' may use nodes '%s' only, not this "
				       "node '%s'; grant on one of its nodes", name, tnode, node);
	}
	snprintf(section, sizeof(section), "grant \"%s\"", group);
	{
		const char *ty = pt__ini_get(f, section, "type");
		const char *had = pt__ini_get(f, section, "profile");

		if (ty && pt_group_type_parse(ty) != (int)pt_group_get_type(g))
			return txn_err(t, -EBUSY, "tenant '%s' holds %s units of group '%s', which is "
				       "%s now; revoke them first", name, ty, group,
				       pt_group_type_name(pt_group_get_type(g)));
		profile = pt_group_get_type(g) == PT_GROUP_VGPU ?
			  pt_group_get_setting(g, "profile") : NULL;
		if (pt_group_get_type(g) == PT_GROUP_VGPU && (!profile || !profile_is_valid(profile)))
			return txn_err(t, -EINVAL, "tenant '%s': group '%s' sets no vGPU profile a "
				       "tenant file can hold; run 'pt group set %s profile=TYPE'",
				       name, group, group);
		if (had && profile && strcmp(had, profile))
			return txn_err(t, -EBUSY, "tenant '%s' holds vGPUs of profile '%s' of group "
				       "'%s', whose profile is '%s' now; revoke them first", name, had,
				       group, profile);
	}
	r = lock_leases(t);
	if (r < 0)
		return r;
	r = pt_lease_load(ctx, &e);
	if (r < 0)
		return txn_err(t, r, "%s", e ? e : strerror(-r));
	/* the reservations as this transaction holds them (earlier grants included) */
	r = txn_validate(t, &ts, &nts);
	if (r < 0)
		return r;
	pt__tenants_free(ctx);
	if (pt__ctx_register_free(ctx, pt__tenants_free) < 0) {
		tenants_free_array(ts, nts);
		return txn_err(t, -ENOMEM, "out of memory");
	}
	ctx->tenants = ts;
	ctx->n_tenants = nts;
	ctx->tenants_loaded = true;
	r = pt__attach_pick_units(ctx, g, count, &picked, &n, why, sizeof(why));
	if (r < 0) {
		if (r == -EBUSY && !strncmp(why, "it ", 3))
			txn_err(t, r, "tenant '%s': group '%s' cannot give %d now: %s", name, group,
				count, why);
		else if (r == -EBUSY)
			txn_err(t, r, "tenant '%s': group '%s' cannot give %d now (%s); grant fewer, "
				"or free units first", name, group, count, why);
		else if (r == -EOPNOTSUPP)
			txn_err(t, r, "tenant '%s': %s", name, why);
		else
			txn_err(t, r, "tenant '%s': group '%s': %s", name, group,
				why[0] ? why : strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < nts; i++)
		if (!strcmp(ts[i]->name, name))
			cur = ts[i];
	gr = cur ? pt_grant_find(cur, group) : NULL;
	/* an mdev instance to make: its stable UUID from the tenant group and its slot */
	for (int i = 0; i < n; i++) {
		char idx[16], uuid[37], qual[2 * PT_NAME_MAX + 2], *u;

		if (picked[i][0] != '@')
			continue;
		snprintf(qual, sizeof(qual), "%s:%s", name, group);
		snprintf(idx, sizeof(idx), "%d", (gr ? gr->n_units : 0) + i);
		pt__stable_uuid(qual, idx, uuid);
		if (asprintf(&u, "%s%s", uuid, picked[i]) < 0) {
			r = txn_err(t, -ENOMEM, "out of memory");
			goto out;
		}
		free(picked[i]);
		picked[i] = u;
	}
	for (int i = 0; i < n; i++)
		if (!unit_is_valid(picked[i])) {
			r = txn_err(t, -EINVAL, "tenant '%s': unit '%.100s' of group '%s' has characters "
				    "a tenant file cannot hold (a USB serial with blanks?); narrow "
				    "the group's rules to other devices", name, picked[i], group);
			goto out;
		}
	all = calloc((gr ? gr->n_units : 0) + n + 1, sizeof(*all));
	if (!all) {
		r = -ENOMEM;
		goto out;
	}
	for (int i = 0; gr && i < gr->n_units; i++)
		all[n_all++] = gr->units[i];
	for (int i = 0; i < n; i++) {
		all[n_all++] = picked[i];
		pt__strv_add(&t->notes, &t->n_notes, "%s", picked[i]);
	}
	r = pt__ini_set(f, section, "type", pt_group_type_name(pt_group_get_type(g)));
	if (!r && profile)
		r = pt__ini_set(f, section, "profile", profile);
	if (r < 0)
		txn_err(t, r, "%s: %s", f->relpath, strerror(-r));
	else
		r = write_units(t, f, section, all, n_all, name, "grant");
out:
	free(all);
	pt__strv_free(picked, n);
	pt__tenants_free(ctx);
	return r == -ENOMEM ? txn_err(t, r, "out of memory") : r;
}

/*
 * Revoke: refused while one of the tenant's own VMs holds a unit given
 * back. Its leases are the tenant's files, read as untrusted input under
 * its lock (a bounded wait: the tenant cannot hold root up); a lease
 * whose process is gone holds nothing (as gc frees it), one that cannot
 * be taken (a planted link, a FIFO, units not granted) is left out with
 * a warning.
 */
static int tenant_vms_hold(struct pt_tenant_txn *t, const char *name, const char *group,
			   struct pt_grant *gr, int keep)
{
	struct pt_ctx *ctx = t->ctx;
	struct pt_lease **ls = NULL;
	size_t n = 0;
	char err[512];
	int dfd, r;

	dfd = pt__tdir_open(ctx, name, err, sizeof(err));
	if (dfd == -ENOENT)
		return 0;
	if (dfd < 0)
		return txn_err(t, dfd == -EPERM ? -EPERM : dfd, "%s", err);
	if (!(t->flags & PT_TXN_DRY_RUN) && t->tlockfd < 0) {
		r = pt__tdir_lock(ctx, name, dfd, pt_get_lock_timeout(ctx), err, sizeof(err));
		if (r < 0) {
			close(dfd);
			return txn_err(t, r == -EWOULDBLOCK ? -EBUSY : r, "%s", err);
		}
		t->tlockfd = r;
	}
	r = pt__tenant_leases_load(ctx, name, dfd, false, &ls, &n, &t->warns, &t->n_warns, err,
				   sizeof(err));
	close(dfd);
	if (r < 0)
		return txn_err(t, r, "%s", err);
	for (size_t i = 0; i < n && !r; i++) {
		struct pt_lease *l = ls[i];

		/* gone: as gc would free it (a running lease without a pid is not) */
		if ((l->pid || !strcmp(l->state, "starting")) &&
		    !pt__lease_pid_alive(l->pid, l->starttime))
			continue;
		if (l->foreign) {
			/* not the tenant's units: they hold none of its own */
			if (pt__strv_add(&t->warns, &t->n_warns, "%s; ignored", l->foreign) < 0)
				r = txn_err(t, -ENOMEM, "out of memory");
			continue;
		}
		for (int k = 0; k < l->n_devs && !r; k++) {
			struct pt_lease_dev *d = l->devs[k];

			for (int u = keep; u < gr->n_units && !r; u++) {
				bool held = (d->usb_name && unit_holds(gr->units[u], d->usb_name)) ||
					    (d->mdev_uuid && unit_holds(gr->units[u], d->mdev_uuid));

				for (int fn = 0; fn < d->n_functions && !held; fn++)
					held = unit_holds(gr->units[u], d->functions[fn]);
				if (held)
					r = txn_err(t, -EBUSY, "tenant '%s': unit %s of group '%s' is "
						    "leased to the tenant's VM '%s'; the tenant stops it "
						    "first ('pt attach --tenant %s stop %s')", name,
						    gr->units[u], group, l->vm, name, l->vm);
			}
		}
	}
	while (n)
		pt__lease_free(ls[--n]);
	free(ls);
	return r;
}

PT_EXPORT int pt_tenant_txn_get_num_warnings(struct pt_tenant_txn *t) { return t->n_warns; }
PT_EXPORT const char *pt_tenant_txn_get_warning(struct pt_tenant_txn *t, int idx)
{
	return idx >= 0 && idx < t->n_warns ? t->warns[idx] : NULL;
}

PT_EXPORT int pt_tenant_txn_revoke(struct pt_tenant_txn *t, const char *name, const char *group,
				   int count)
{
	struct pt_ctx *ctx = t->ctx;
	char section[PT_NAME_MAX + 16];
	struct pt_tenant **ts = NULL, *cur = NULL;
	struct pt_ini_file *f;
	struct pt_grant *gr;
	struct pt_lease *l;
	size_t nts = 0;
	const char *e;
	int r, keep;

	r = txn_tenant_group(t, name, group, count, 0, &f);
	if (r < 0)
		return r;
	r = txn_validate(t, &ts, &nts);
	if (r < 0)
		return r;
	for (size_t i = 0; i < nts; i++)
		if (!strcmp(ts[i]->name, name))
			cur = ts[i];
	gr = cur ? pt_grant_find(cur, group) : NULL;
	if (!gr) {
		r = txn_err(t, -ENOENT, "tenant '%s' holds no units of group '%s'; see "
			    "'pt tenant show %s'", name, group, name);
		goto out;
	}
	if (count > gr->n_units) {
		r = txn_err(t, -EINVAL, "tenant '%s' holds %d units of group '%s', not %d; "
			    "give --count %d or less", name, gr->n_units, group, count, gr->n_units);
		goto out;
	}
	keep = count ? gr->n_units - count : 0;
	r = lock_leases(t);
	if (r < 0)
		goto out;
	r = pt_lease_load(ctx, &e);
	if (r < 0) {
		txn_err(t, r, "%s", e ? e : strerror(-r));
		goto out;
	}
	/* refused while a VM holds one of the units given back */
	pt_lease_foreach(ctx, l)
		for (int k = 0; k < l->n_devs; k++) {
			struct pt_lease_dev *d = l->devs[k];

			for (int u = keep; u < gr->n_units; u++) {
				bool held = (d->usb_name && unit_holds(gr->units[u], d->usb_name)) ||
					    (d->mdev_uuid && unit_holds(gr->units[u], d->mdev_uuid));

				for (int fn = 0; fn < d->n_functions && !held; fn++)
					held = unit_holds(gr->units[u], d->functions[fn]);
				if (held) {
					r = txn_err(t, -EBUSY, "tenant '%s': unit %s of group '%s' is "
						    "leased to VM '%s'; stop it first with 'pt attach "
						    "stop %s'", name, gr->units[u], group, l->vm, l->vm);
					goto out;
				}
			}
		}
	r = tenant_vms_hold(t, name, group, gr, keep);
	if (r < 0)
		goto out;
	for (int u = keep; u < gr->n_units; u++)
		pt__strv_add(&t->notes, &t->n_notes, "%s", gr->units[u]);
	snprintf(section, sizeof(section), "grant \"%s\"", group);
	r = write_units(t, f, section, gr->units, keep, name, "revoke");
out:
	tenants_free_array(ts, nts);
	return r == -ENOMEM ? txn_err(t, r, "out of memory") : r;
}

PT_EXPORT int pt_tenant_txn_apply(struct pt_tenant_txn *t, const char *name)
{
	struct pt_ini_file *f;
	int r;

	r = txn_tenant(t, name, &f);
	if (r < 0)
		return r;
	/* no VM start takes or frees a unit while its instances are made again */
	r = lock_leases(t);
	if (r < 0)
		return r;
	r = txn_touch(t, name, "apply");
	if (r < 0)
		return r;
	t->replay = true;
	return 0;
}

/* ---- thick provisioning ------------------------------------------------------------ */

struct node {
	char rel[64];			/* below the dev root */
	bool usb;
};

/* An mdev instance of a grant, a VF given a vGPU type, a VF given a MAC. */
struct inst {
	char uuid[37];
	char parent[PT_NAME_MAX + 1];	/* mdev: its parent */
	char bdf[PT_BDF_LEN + 1];	/* vf, mac: the VF */
	char profile[68];		/* mdev, vf: the grant's profile */
	char mac[18];			/* mac */
};

/* One tenant's host side: its nodes, instances, VFs, udev rules and limits text. */
struct prov {
	struct node *nodes;
	int n_nodes;
	struct inst *mdevs, *vftypes, *macs;
	int n_mdevs, n_vftypes, n_macs;
	char *rules;			/* NULL: no file */
	char *limits;
};

static void prov_free(struct prov *pv)
{
	free(pv->nodes);
	free(pv->mdevs);
	free(pv->vftypes);
	free(pv->macs);
	free(pv->rules);
	free(pv->limits);
	memset(pv, 0, sizeof(*pv));
}

static struct inst *inst_add(struct inst **a, int *n)
{
	struct inst *na = realloc(*a, (*n + 1) * sizeof(*na));

	if (!na)
		return NULL;
	*a = na;
	memset(&na[*n], 0, sizeof(*na));
	return &na[(*n)++];
}

/* Is the same instance (uuid, VF, VF and MAC) in the list? */
static bool inst_in(const struct inst *a, int n, const struct inst *x)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(a[i].uuid, x->uuid) && !strcmp(a[i].bdf, x->bdf) &&
		    !strcmp(a[i].mac, x->mac))
			return true;
	return false;
}

static int prov_add_node(struct prov *pv, const char *rel, bool usb)
{
	struct node *n;

	for (int i = 0; i < pv->n_nodes; i++)
		if (!strcmp(pv->nodes[i].rel, rel))
			return 0;
	n = realloc(pv->nodes, (pv->n_nodes + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	pv->nodes = n;
	snprintf(n[pv->n_nodes].rel, sizeof(n->rel), "%s", rel);
	n[pv->n_nodes++].usb = usb;
	return 0;
}

static bool prov_has_node(const struct prov *pv, const char *rel)
{
	for (int i = 0; i < pv->n_nodes; i++)
		if (!strcmp(pv->nodes[i].rel, rel))
			return true;
	return false;
}

/* The USB device of a unit key ("usb:VVVV:PPPP:SERIAL", "usb:B-PORT"), as attach.c keys it. */
static struct pt_usb_dev *usb_of_key(struct pt_ctx *ctx, const char *key)
{
	struct pt_usb_dev *u;
	char k[128];

	pt_usb_dev_foreach(ctx, u) {
		const char *serial = pt_usb_dev_get_serial(u);

		if (serial && *serial)
			snprintf(k, sizeof(k), "usb:%04x:%04x:%s", pt_usb_dev_get_vendor_id(u),
				 pt_usb_dev_get_product_id(u), serial);
		else
			snprintf(k, sizeof(k), "usb:%d-%s", pt_usb_dev_get_busnum(u),
				 pt_usb_dev_get_port_path(u));
		if (!strcmp(k, key))
			return u;
	}
	return NULL;
}

static int sbuf_add(char **buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sbuf_add(char **buf, const char *fmt, ...)
{
	va_list ap;
	char *more, *n;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&more, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	r = asprintf(&n, "%s%s", *buf ? *buf : "", more);
	free(more);
	if (r < 0)
		return -ENOMEM;
	free(*buf);
	*buf = n;
	return 0;
}

/*
 * What the host should hold for tenant tn (NULL, or no units: nothing):
 * the nodes of its units that exist now, the udev rules that give every
 * unit's node to the admins whenever it appears, the limits snippet.
 */
static int prov_build(struct pt_ctx *ctx, struct pt_tenant *tn, struct prov *pv)
{
	const char *admins = tn ? tn->admins : NULL;
	int r = 0, units = 0;

	for (struct pt_grant *g = tn ? tn->grants : NULL; g && !r; g = g->next)
		for (int i = 0; i < g->n_units && !r; i++) {
			const char *u = g->units[i];
			char rel[64];

			if (!units++)
				r = sbuf_add(&pv->rules, "# Written by pt tenant grant and revoke (passthru): the devices\n"
					     "# granted to tenant '%s' belong to its admins, Unix group '%s',\n"
					     "# whenever they appear. Do not edit; see pt-tenant(8).\n",
					     tn->name, admins);
			if (r)
				break;
			if (strchr(u, '@')) {
				struct inst *in = inst_add(&pv->mdevs, &pv->n_mdevs);

				if (!in) {
					r = -ENOMEM;
					break;
				}
				mdev_unit_split(u, in->uuid, in->parent, sizeof(in->parent));
				snprintf(in->profile, sizeof(in->profile), "%s", g->profile ? g->profile : "");
				/* the instance's own IOMMU group, whatever its number */
				r = sbuf_add(&pv->rules, "SUBSYSTEM==\"vfio\", KERNEL==\"[0-9]*\", "
					     "TEST==\"/sys/kernel/iommu_groups/$kernel/devices/%s\", "
					     "OWNER=\"root\", GROUP=\"%s\", MODE=\"0660\"\n", in->uuid,
					     admins);
			} else if (!strncmp(u, "usb:", 4)) {
				struct pt_usb_dev *d = usb_of_key(ctx, u);
				char vid[5], pid[5];
				const char *serial;

				if (sscanf(u, "usb:%4[0-9a-f]:%4[0-9a-f]:", vid, pid) == 2 &&
				    (serial = strchr(u + 4 + 5, ':')) && strlen(vid) == 4 &&
				    strlen(pid) == 4)
					r = sbuf_add(&pv->rules, "SUBSYSTEM==\"usb\", ENV{DEVTYPE}==\"usb_device\", "
						     "ATTR{idVendor}==\"%s\", ATTR{idProduct}==\"%s\", "
						     "ATTR{serial}==\"%s\", OWNER=\"root\", GROUP=\"%s\", "
						     "MODE=\"0660\"\n", vid, pid, serial + 1, admins);
				else
					r = sbuf_add(&pv->rules, "SUBSYSTEM==\"usb\", ENV{DEVTYPE}==\"usb_device\", "
						     "KERNEL==\"%s\", OWNER=\"root\", GROUP=\"%s\", "
						     "MODE=\"0660\"\n", u + 4, admins);
				if (!r && d && pt__dev_usb_rel(pt_usb_dev_get_busnum(d),
							       pt_usb_dev_get_devnum(d), rel,
							       sizeof(rel)) == 0)
					r = prov_add_node(pv, rel, true);
			} else {
				char bdf[PT_BDF_LEN + 1], num[16];
				struct pt_pci_dev *d;
				int grp;

				snprintf(bdf, sizeof(bdf), "%.*s", (int)strcspn(u, "+"), u);
				r = sbuf_add(&pv->rules, "SUBSYSTEM==\"vfio\", KERNEL==\"[0-9]*\", "
					     "TEST==\"/sys/kernel/iommu_groups/$kernel/devices/%s\", "
					     "OWNER=\"root\", GROUP=\"%s\", MODE=\"0660\"\n", bdf, admins);
				d = pt_pci_dev_find(ctx, bdf);
				grp = d ? pt_pci_dev_get_iommu_group(d) : -1;
				if (!r && g->type == PT_GROUP_VGPU) {
					/* a VF of NVIDIA per-VF vGPU: its type is written at grant */
					struct inst *in = inst_add(&pv->vftypes, &pv->n_vftypes);

					if (!in)
						r = -ENOMEM;
					else {
						snprintf(in->bdf, sizeof(in->bdf), "%s", bdf);
						snprintf(in->profile, sizeof(in->profile), "%s",
							 g->profile ? g->profile : "");
					}
				} else if (!r && g->type == PT_GROUP_SRIOV_NIC) {
					/* a VF: its MAC from the tenant group and the unit's slot */
					struct inst *in = inst_add(&pv->macs, &pv->n_macs);

					if (!in)
						r = -ENOMEM;
					else {
						snprintf(in->bdf, sizeof(in->bdf), "%s", bdf);
						pt__stable_mac(g->qualified, "grant", i, in->mac);
					}
				}
				snprintf(num, sizeof(num), "%d", grp);
				if (!r && grp >= 0 && pt__dev_vfio_group_rel(num, rel, sizeof(rel)) == 0)
					r = prov_add_node(pv, rel, false);
			}
		}
	if (!r && units)
		r = sbuf_add(&pv->limits, "# Written by pt tenant grant (passthru): vfio pins all of a guest's\n"
			     "# RAM, so the admins of tenant '%s' may lock memory. See pt-tenant(8).\n"
			     "@%s soft memlock unlimited\n@%s hard memlock unlimited\n",
			     tn->name, admins, admins);
	if (r < 0)
		prov_free(pv);
	return r;
}

/* The directory the host's configuration is in: the conf dir's parent. */
static int etc_dir(struct pt_ctx *ctx, char *buf, size_t len)
{
	const char *conf = pt_get_conf_dir(ctx);
	char cwd[PATH_MAX] = "";
	char *slash;

	if (conf[0] != '/' && !getcwd(cwd, sizeof(cwd)))
		return -errno;
	if (snprintf(buf, len, "%s%s%s", cwd, *cwd ? "/" : "", conf) >= (int)len)
		return -ENAMETOOLONG;
	while (strlen(buf) > 1 && buf[strlen(buf) - 1] == '/')
		buf[strlen(buf) - 1] = '\0';
	slash = strrchr(buf, '/');
	if (!slash)
		return -EINVAL;
	if (slash == buf)
		slash[1] = '\0';
	else
		*slash = '\0';
	return 0;
}

/* The tenant as the file said before this transaction (NULL: none). */
static struct pt_tenant *tenant_before(struct pt_tenant_txn *t, struct pt_ini_file *f)
{
	struct pt_ini_file *old = NULL;
	struct pt_tenant *tn = NULL;
	char err[256];

	if (f->orig && *f->orig && pt__ini_parse(f->relpath, f->orig, &old, err, sizeof(err)) == 0)
		tenant_from_file(t->ctx, old, &tn, err, sizeof(err));
	pt__ini_free(old);
	return tn;
}

static struct pt_mdev *mdev_of(struct pt_mdev_parent *par, const char *uuid)
{
	struct pt_mdev *m;

	pt_mdev_foreach(par, m)
		if (!strcmp(pt_mdev_get_uuid(m), uuid))
			return m;
	return NULL;
}

/* The parent's mdev type of a profile (its id, name, or the same NVIDIA profile). */
static struct pt_mdev_type *mdev_type_of(struct pt_mdev_parent *par, const char *profile)
{
	struct pt_mdev_type *t;

	pt_mdev_type_foreach(par, t)
		if (pt__vgpu_type_matches(profile, pt_mdev_type_get_id(t), pt_mdev_type_get_name(t)))
			return t;
	return NULL;
}

/* Is dev_root/rel root:gid 0660 already? */
static bool node_is_given(struct pt_ctx *ctx, const char *rel, gid_t gid)
{
	struct pt__devnode_owner o;

	return pt__devnode_read(ctx, rel, &o) == 0 && o.uid == 0 && o.gid == gid &&
	       o.mode == 0660;
}

/* The PF interface a tenant VF's MAC is set through; NULL: the VF is no NIC's. */
static const char *vf_ifname(struct pt_ctx *ctx, const char *vfbdf, struct pt_pci_dev **pfp,
			     bool *nic)
{
	struct pt_pci_dev *vf = pt_pci_dev_find(ctx, vfbdf);
	struct pt_pci_dev *pf = vf ? pt_pci_dev_get_physfn(vf) : NULL;
	struct pt_netdev *nd = pf ? pt_netdev_get_first(pf) : NULL;

	*pfp = pf;
	*nic = pf && (pt_pci_dev_get_class(pf) >> 16) == 0x02;
	return nd ? pt_netdev_get_name(nd) : NULL;
}

/*
 * The steps that make (give == true) or take back the instances, vGPU
 * types and MACs of list a that list b does not hold, as the host is now:
 * an instance there already is not made again (its node is given where
 * it is not yet), one gone is not removed.
 */
static int inst_plan(struct pt_tenant_txn *t, struct pt_plan *p, const char *tname,
		     const char *admins, gid_t gid, const struct prov *a, const struct prov *b,
		     bool give)
{
	struct pt_ctx *ctx = t->ctx;
	const char *root = pt_get_dev_root(ctx);
	char desc[PATH_MAX + 160];
	int r = 0;

	for (int i = 0; !r && i < a->n_mdevs; i++) {
		const struct inst *in = &a->mdevs[i];
		struct pt_mdev_parent *par = pt_mdev_parent_find(ctx, in->parent);
		struct pt_mdev *m = par ? mdev_of(par, in->uuid) : NULL;
		struct pt_mdev_type *ty;

		if (inst_in(b->mdevs, b->n_mdevs, in))
			continue;
		if (!give) {
			if (m)
				r = pt__mdev_plan_remove(p, par, in->uuid);
			continue;
		}
		if (!par)
			return txn_err(t, -ENODEV, "tenant '%s': mdev parent %s of instance %s is "
				       "gone; load its driver, or revoke the unit", tname, in->parent,
				       in->uuid);
		if (m) {
			/* there already: its node only, where it is not the group's yet */
			struct pt__devnode_owner o;
			char grp[16], rel[32];

			snprintf(grp, sizeof(grp), "%d", pt_mdev_get_iommu_group(m));
			if (pt_mdev_get_iommu_group(m) < 0 ||
			    pt__dev_vfio_group_rel(grp, rel, sizeof(rel)) < 0 ||
			    pt__devnode_read(ctx, rel, &o) < 0 || node_is_given(ctx, rel, gid))
				continue;
			snprintf(desc, sizeof(desc), "give %s/%s to root:%s mode 0660", root, rel,
				 admins);
			r = pt__devnode_plan_set(p, rel, 0, gid, 0660, 0, NULL, desc);
			continue;
		}
		ty = mdev_type_of(par, in->profile);
		if (!ty)
			return txn_err(t, -ENODEV, "tenant '%s': mdev parent %s offers no type of "
				       "profile '%s' now for instance %s; see 'pt scan vgpu'", tname,
				       in->parent, in->profile, in->uuid);
		r = pt__mdev_plan_create(p, ty, in->uuid, NULL);
		snprintf(desc, sizeof(desc), "give %s/vfio/<IOMMU group of mdev %s> to root:%s "
			 "mode 0660", root, in->uuid, admins);
		if (!r)
			r = pt__devnode_plan_set_mdev(p, in->uuid, 0, gid, 0660, 0, desc);
	}
	for (int i = 0; !r && i < a->n_vftypes; i++) {
		const struct inst *in = &a->vftypes[i];
		struct pt_pci_dev *vf = pt_pci_dev_find(ctx, in->bdf);
		unsigned int cur = vf ? pt_pci_dev_get_current_vgpu_type(vf) : 0, want;

		if (inst_in(b->vftypes, b->n_vftypes, in))
			continue;
		if (!give) {
			if (cur)
				r = pt__nvvgpu_plan_set_type(p, in->bdf, cur, 0);
			continue;
		}
		if (!vf)
			return txn_err(t, -ENODEV, "tenant '%s': VF %s is gone; enable its GPU's VFs "
				       "with 'pt group apply', or revoke the unit", tname, in->bdf);
		if (cur)
			continue;	/* set at grant (a type no VM set: a grant's) */
		want = pt__vgpu_vf_type_id(vf, in->profile);
		if (!want)
			return txn_err(t, -EBUSY, "tenant '%s': VF %s does not offer vGPU type '%s' "
				       "now; see 'pt scan vgpu'", tname, in->bdf, in->profile);
		r = pt__nvvgpu_plan_set_type(p, in->bdf, 0, want);
	}
	for (int i = 0; !r && i < a->n_macs; i++) {
		const struct inst *in = &a->macs[i];
		struct pt_pci_dev *pf;
		unsigned char mac[6] = { 0 };
		const char *ifname;
		bool nic;

		if (inst_in(b->macs, b->n_macs, in))
			continue;
		ifname = vf_ifname(ctx, in->bdf, &pf, &nic);
		if (!nic)
			continue;	/* an NVMe VF has no MAC */
		if (!ifname) {
			if (!give)
				continue;
			return txn_err(t, -ENODEV, "tenant '%s': PF %s of VF %s has no network "
				       "interface to set the VF's MAC through; bind the PF to its "
				       "network driver", tname, pt_pci_dev_get_bdf(pf), in->bdf);
		}
		if (give && pt__vf_mac_parse(in->mac, mac) < 0)
			return txn_err(t, -EINVAL, "tenant '%s': bad MAC %s", tname, in->mac);
		snprintf(desc, sizeof(desc), "set the MAC of VF %d of %s (%s) to %s",
			 pt_pci_dev_get_vf_index(pt_pci_dev_find(ctx, in->bdf)), ifname,
			 pt_pci_dev_get_bdf(pf), give ? in->mac : "00:00:00:00:00:00");
		r = pt__vf_plan_mac(p, pt_pci_dev_get_bdf(pf), ifname,
				    pt_pci_dev_get_vf_index(pt_pci_dev_find(ctx, in->bdf)), mac, NULL,
				    desc);
	}
	return r < 0 ? txn_err(t, r, "out of memory") : 0;
}

/*
 * A plan taking the host from one tenant's state (from) to another (to).
 * Nodes that do not exist now are left to udev (they get the rule when they
 * appear; given back: nothing to restore).
 */
static int prov_plan(struct pt_tenant_txn *t, const char *tname, const char *admins, gid_t gid,
		     const struct prov *from, const struct prov *to, bool dry,
		     struct pt_plan **out)
{
	char subject[PT_NAME_MAX + 16], etc[PATH_MAX], rel[PT_NAME_MAX + 64];
	struct pt_plan *p;
	int r;

	snprintf(subject, sizeof(subject), "tenant '%s'", tname);
	r = etc_dir(t->ctx, etc, sizeof(etc));
	if (r < 0)
		return txn_err(t, r, "%s: cannot tell its parent directory: %s",
			       pt_get_conf_dir(t->ctx), strerror(-r));
	r = pt__plan_new(t->ctx, tname, t->action, subject, dry ? PT_PLAN_DRY_RUN : 0, &p);
	if (r < 0) {
		pt_plan_free(p);
		return txn_err(t, r, "out of memory");
	}
	/* instances and vGPU types first: the node of an instance is there after it */
	r = inst_plan(t, p, tname, admins, gid, to, from, true);
	if (r < 0) {
		pt_plan_free(p);
		return r;
	}
	for (int i = 0; !r && i < to->n_nodes; i++) {
		struct pt__devnode_owner o;
		char desc[256];

		if (prov_has_node(from, to->nodes[i].rel) ||
		    pt__devnode_read(t->ctx, to->nodes[i].rel, &o) < 0 ||
		    node_is_given(t->ctx, to->nodes[i].rel, gid))
			continue;
		snprintf(desc, sizeof(desc), "give %s/%s to root:%s mode 0660",
			 pt_get_dev_root(t->ctx), to->nodes[i].rel, admins);
		r = pt__devnode_plan_set(p, to->nodes[i].rel, 0, gid, 0660, 0, NULL, desc);
	}
	for (int i = 0; !r && i < from->n_nodes; i++) {
		struct pt__devnode_owner o;
		mode_t mode = from->nodes[i].usb ? 0664 : 0600;
		char desc[256];

		if (prov_has_node(to, from->nodes[i].rel) ||
		    pt__devnode_read(t->ctx, from->nodes[i].rel, &o) < 0)
			continue;
		snprintf(desc, sizeof(desc), "give %s/%s back to root:root mode %04o",
			 pt_get_dev_root(t->ctx), from->nodes[i].rel, (unsigned int)mode);
		r = pt__devnode_plan_set(p, from->nodes[i].rel, 0, 0, mode, 0, NULL, desc);
	}
	if (!r) {
		r = inst_plan(t, p, tname, admins, gid, from, to, false);
		if (r < 0) {
			pt_plan_free(p);
			return r;
		}
	}
	for (int k = 0; k < 2 && !r; k++) {
		const char *a = k ? from->limits : from->rules, *b = k ? to->limits : to->rules;
		char desc[PATH_MAX + sizeof(rel) + 16];

		if (k)
			snprintf(rel, sizeof(rel), "security/limits.d/passthru-tenant-%s.conf", tname);
		else
			snprintf(rel, sizeof(rel), "udev/rules.d/70-passthru-tenant-%s.rules", tname);
		if ((!a && !b) || (a && b && !strcmp(a, b)))
			continue;
		/* a replay writes only what differs from the host's file */
		if (t->replay && pt__hostfile_holds(etc, rel, b) == 1)
			continue;
		snprintf(desc, sizeof(desc), "%s %s%s%s", b ? "write" : "remove", etc,
			 strcmp(etc, "/") ? "/" : "", rel);
		r = pt__hostfile_plan_write(p, etc, rel, b, desc);
	}
	if (r < 0) {
		pt_plan_free(p);
		return txn_err(t, r, "out of memory");
	}
	*out = p;
	return 0;
}

static int txn_step(struct pt_tenant_txn *t, const char *desc)
{
	char **n = realloc(t->steps, (t->n_steps + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	t->steps = n;
	if (!(n[t->n_steps] = strdup(desc)))
		return -ENOMEM;
	t->n_steps++;
	return 0;
}

/*
 * Bring the host in line with the touched tenant's file, from what it was
 * before (reverse: back again). Dry: only list the steps.
 */
static int provision(struct pt_tenant_txn *t, bool dry, bool reverse)
{
	char rel[PT_NAME_MAX + 16];
	struct prov before = { 0 }, after = { 0 };
	struct pt_tenant *tb = NULL, *ta = NULL;
	struct pt_ini_file *f;
	struct pt_plan *p = NULL;
	struct group *gr;
	const char *admins;
	int r;

	if (!t->touched)
		return 0;
	tenant_rel(t->touched, rel, sizeof(rel));
	f = pt__store_find(t->st, rel);
	if (!f)
		return 0;
	admins = pt__ini_get(f, "tenant", "admins");
	gr = admins ? getgrnam(admins) : NULL;
	if (!gr)
		return txn_err(t, -ENOENT, "tenant '%s': no Unix group '%s' on this host to give "
			       "the devices to; create it (groupadd %s)", t->touched,
			       admins ? admins : "", admins ? admins : "GROUP");
	tb = t->replay ? NULL : tenant_before(t, f);
	{
		char err[256];

		tenant_from_file(t->ctx, f, &ta, err, sizeof(err));
	}
	r = prov_build(t->ctx, tb, &before);
	if (!r)
		r = prov_build(t->ctx, ta, &after);
	if (r < 0) {
		r = txn_err(t, r, "out of memory");
		goto out;
	}
	r = reverse ? prov_plan(t, t->touched, admins, gr->gr_gid, &after, &before, dry, &p) :
		      prov_plan(t, t->touched, admins, gr->gr_gid, &before, &after, dry, &p);
	if (r < 0)
		goto out;
	if (!dry && pt_plan_get_num_steps(p) > 0) {
		r = pt_plan_execute(p);
		if (r < 0 && pt_plan_get_error(p))
			txn_err(t, r, "%s", pt_plan_get_error(p));
		else if (r < 0)
			txn_err(t, r, "tenant '%s': %s", t->touched, strerror(-r));
	}
	for (int i = 0; !reverse && i < pt_plan_get_num_steps(p); i++) {
		struct pt_step *s = pt_plan_get_step(p, i);

		if ((dry || !strcmp(pt_step_get_status(s), "done")) &&
		    txn_step(t, pt_step_get_description(s)) < 0)
			r = txn_err(t, -ENOMEM, "out of memory");
	}
out:
	pt_plan_free(p);
	prov_free(&before);
	prov_free(&after);
	tenant_free(tb);
	tenant_free(ta);
	return r;
}

PT_EXPORT int pt_tenant_txn_get_num_steps(struct pt_tenant_txn *t)
{
	if ((t->flags & PT_TXN_DRY_RUN) && !t->n_steps && t->touched && !t->error[0])
		provision(t, true, false);
	return t->n_steps;
}

PT_EXPORT const char *pt_tenant_txn_get_step(struct pt_tenant_txn *t, int idx)
{
	return idx >= 0 && idx < t->n_steps ? t->steps[idx] : NULL;
}

PT_EXPORT char *pt_tenant_txn_get_diff(struct pt_tenant_txn *t)
{
	return pt__store_diff(t->st);
}

/*
 * After a commit: each tenant's own directory (made, or put right: 2770
 * root:<admins>; removed with the tenant) and the index of the tenants
 * of each Unix group (tenants.d/.admins), by which a user who is not root
 * finds its tenants in the unlistable tenants.d.
 */
static int tenant_dirs(struct pt_tenant_txn *t)
{
	const char **groups = NULL, **names = NULL;
	size_t n_groups = 0, n_names;
	char err[512];
	int r = 0;

	for (size_t i = 0; i < t->st->n_files && !r; i++) {
		struct pt_ini_file *f = t->st->files[i];
		const char *admins = pt__ini_get(f, "tenant", "admins");
		char name[PT_NAME_MAX + 1];
		bool seen = false;
		struct group *gr;
		size_t len;

		if (strncmp(f->relpath, TENANTS_PREFIX, strlen(TENANTS_PREFIX)))
			continue;
		len = strlen(f->relpath + strlen(TENANTS_PREFIX)) - 4;
		snprintf(name, sizeof(name), "%.*s", (int)len, f->relpath + strlen(TENANTS_PREFIX));
		gr = admins ? getgrnam(admins) : NULL;
		if (f->deleted)
			r = pt__tdir_remove(t->ctx, name, err, sizeof(err));
		else if (gr)
			r = pt__tdir_create(t->ctx, name, gr->gr_gid, err, sizeof(err));
		for (size_t k = 0; k < n_groups && admins; k++)
			seen |= !strcmp(groups[k], admins);
		if (!r && admins && !seen) {
			const char **ng = realloc(groups, (n_groups + 1) * sizeof(*ng));

			if (!ng)
				r = -ENOMEM;
			else
				(groups = ng)[n_groups++] = admins;
		}
	}
	names = calloc(t->st->n_files + 1, sizeof(*names));
	if (!names && !r)
		r = -ENOMEM;
	for (size_t k = 0; k < n_groups && !r; k++) {
		n_names = 0;
		for (size_t i = 0; i < t->st->n_files; i++) {
			struct pt_ini_file *f = t->st->files[i];
			const char *admins = pt__ini_get(f, "tenant", "admins");

			if (!f->deleted && admins && !strcmp(admins, groups[k]) &&
			    !strncmp(f->relpath, TENANTS_PREFIX, strlen(TENANTS_PREFIX)))
				names[n_names++] = strndup(f->relpath + strlen(TENANTS_PREFIX),
							  strlen(f->relpath) -
							  strlen(TENANTS_PREFIX) - 4);
		}
		for (size_t i = 0; i < n_names && !r; i++)
			if (!names[i])
				r = -ENOMEM;
		if (!r && (r = pt__tdir_index_write(t->ctx, groups[k], names, n_names)) < 0)
			snprintf(err, sizeof(err), "%s/tenants.d/.admins/%s: cannot write: %s",
				 pt_get_conf_dir(t->ctx), groups[k], strerror(-r));
		for (size_t i = 0; i < n_names; i++)
			free((char *)names[i]);
	}
	free(names);
	free(groups);
	if (r == -ENOMEM)
		return txn_err(t, r, "out of memory");
	return r < 0 ? txn_err(t, r, "%s; the tenant files are written: run 'pt tenant "
			       "list' as root after fixing it", err) : 0;
}

PT_EXPORT int pt_tenant_txn_commit(struct pt_tenant_txn *t)
{
	int r;

	if (t->flags & PT_TXN_DRY_RUN)
		return txn_err(t, -EPERM, "a dry run commits nothing");
	/* each tenant's file: root's, readable by the tenant's group only */
	for (size_t i = 0; i < t->st->n_files; i++) {
		struct pt_ini_file *f = t->st->files[i];
		const char *admins;
		struct group *gr;

		if (strncmp(f->relpath, TENANTS_PREFIX, strlen(TENANTS_PREFIX)))
			continue;
		admins = pt__ini_get(f, "tenant", "admins");
		gr = admins ? getgrnam(admins) : NULL;
		f->restricted = true;
		f->gid = gr ? gr->gr_gid : 0;	/* a group gone: root alone */
	}
	/* the host first: a plan that fails is rolled back, and nothing is written */
	r = provision(t, false, false);
	if (r < 0 || t->replay)
		return r;
	r = pt__store_commit(t->st);
	if (r < 0) {
		txn_err(t, r, "%s: cannot write: %s", pt_get_conf_dir(t->ctx), strerror(-r));
		if (provision(t, false, true) < 0)
			txn_err(t, r, "%s: cannot write: %s; the devices of tenant '%s' stay "
				"provisioned: run the same pt tenant command again",
				pt_get_conf_dir(t->ctx), strerror(-r), t->touched);
		return r;
	}
	pt__tenants_free(t->ctx);
	return tenant_dirs(t);
}

PT_EXPORT void pt_tenant_txn_free(struct pt_tenant_txn *t)
{
	if (!t)
		return;
	pt__store_close(t->st);
	if (t->leasefd >= 0)
		close(t->leasefd);
	if (t->tlockfd >= 0)
		close(t->tlockfd);
	for (int i = 0; i < t->n_warns; i++)
		free(t->warns[i]);
	free(t->warns);
	for (int i = 0; i < t->n_notes; i++)
		free(t->notes[i]);
	free(t->notes);
	for (int i = 0; i < t->n_steps; i++)
		free(t->steps[i]);
	free(t->steps);
	free(t->touched);
	free(t);
}
