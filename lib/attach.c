// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * VMs draw devices from groups. A VM's requests are desired state in
 * vms.d/<vm>.ini (the store of conf.c); a started VM's devices are a
 * lease in the run dir (lease.c). Start allocates every request under the
 * run dir's lock (alloc.c decides), records the lease as "starting",
 * prepares the devices (mdev instances with stable UUIDs), and records it
 * as "running". Every preparation is undone by stop, by gc, and by a
 * later start of the same VM when a start was killed half-way: the undo
 * reads the host, so it is correct from any point.
 *
 * Units per group type:
 *   pci        a member with every endpoint of its IOMMU group (one unit
 *              per IOMMU group); all must be on vfio-pci (pt group apply)
 *   sriov-nic  one admitted VF on vfio-pci; pool: its PF
 *   vgpu mdev  one instance of the profile on a member's mdev parent;
 *              capacity: available_instances; pool: the parent
 *   vgpu vf    one VF on nvidia with no vGPU type set whose
 *              creatable_vgpu_types offers the profile; pool: the GPU
 *   usb        one member device, by its stable keys
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy.h"

#define VMS_PREFIX	"vms.d/"
#define MAX_COUNT	64

struct pt_request {
	struct pt_request *next;
	struct pt_vm *vm;
	char *name;
	char *group;
	int count;
};

struct pt_vm {
	struct pt_ctx *ctx;
	char *name;
	char *file;
	int numa_node;
	bool numa_strict;
	char *user, *group;		/* who QEMU runs as: its device nodes go to them */
	int user_line, group_line;
	char *blocker;
	bool blocker_done;
	struct pt_request *requests;
};

struct pt_vm_txn {
	struct pt_ctx *ctx;
	struct pt_store *st;
	unsigned int flags;
	char error[512];
	/* a tenant's VMs (pt_set_tenant): its directory, lock and files */
	const char *tenant;
	int dfd, lockfd;
	struct pt_ini_file **files;
	size_t n_files;
};

struct pt_attach {
	struct pt_ctx *ctx;
	char error[1024];
	char **warns;			/* tenants' files left out, one line each */
	int n_warns;
	struct pt_lease *lease;
	char **notes;
	int n_notes;
	char **freed;
	int n_freed;
	/* the VM's user and group ((uid_t)-1: none): start gives them its nodes */
	uid_t uid;
	gid_t gid;
	char owner[80];			/* "qemu:kvm", "qemu", "group kvm" */
};

/* ---- small helpers ---------------------------------------------------------- */

static int note(struct pt_attach *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int note(struct pt_attach *a, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = pt__strv_vadd(&a->notes, &a->n_notes, fmt, ap);
	va_end(ap);
	return r;
}

static int parse_int(const char *v, long min, long max, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || end == v || *end || n < min || n > max)
		return -EINVAL;
	*out = n;
	return 0;
}

/* ---- vms.d: loading and validation ------------------------------------------ */

static void request_free(struct pt_request *rq)
{
	free(rq->name);
	free(rq->group);
	free(rq);
}

static void vm_free(struct pt_vm *vm)
{
	if (!vm)
		return;
	while (vm->requests) {
		struct pt_request *n = vm->requests->next;

		request_free(vm->requests);
		vm->requests = n;
	}
	free(vm->name);
	free(vm->file);
	free(vm->blocker);
	free(vm->user);
	free(vm->group);
	free(vm);
}

void pt__vms_free(struct pt_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n_vms; i++)
		vm_free(ctx->vms[i]);
	free(ctx->vms);
	free(ctx->vms_error);
	ctx->vms = NULL;
	ctx->vms_error = NULL;
	ctx->n_vms = 0;
	ctx->vms_loaded = false;
	ctx->vms_rc = 0;
}

static const char *const vm_keys[] = { "numa_node", "numa_strict", "user", "group",
					"description", NULL };
static const char *const request_keys[] = { "group", "count", "description", NULL };

/* "request \"gpu\"" -> "gpu" (malloc'd), NULL when not that shape. */
static char *request_section_name(const char *section)
{
	size_t len = strlen(section);

	if (strncmp(section, "request \"", 9) || len < 11 || section[len - 1] != '"')
		return NULL;
	return strndup(section + 9, len - 10);
}

int pt__unknown_key(const char *rel, int line, const char *key,
		    const char *const *known, char *err, size_t errlen)
{
	const char *close = pt__closest(key, known);
	char list[256] = "";

	for (int i = 0; known[i]; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			 i ? ", " : "", known[i]);
	if (close)
		return pt__seterr(err, errlen, -EINVAL,
				  "%s:%d: unknown key '%s' (did you mean '%s'?)", rel, line, key,
				  close);
	return pt__seterr(err, errlen, -EINVAL, "%s:%d: unknown key '%s'; known: %s",
			  rel, line, key, list);
}

/*
 * A user or group as vms.d names it: a name as useradd(8) takes it
 * ([a-z_][a-z0-9_-]*[$]?, at most 32), or +ID, as libvirt's qemu.conf
 * takes a number.
 */
static bool owner_name_is_valid(const char *v)
{
	size_t n = strlen(v);

	if (v[0] == '+')
		return n > 1 && n <= 11 && strspn(v + 1, "0123456789") == n - 1;
	if (!n || n > 32 || !(islower((unsigned char)v[0]) || v[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!islower((unsigned char)v[i]) && !isdigit((unsigned char)v[i]) &&
		    v[i] != '_' && v[i] != '-' && !(v[i] == '$' && i == n - 1))
			return false;
	return true;
}

static int vm_from_file(struct pt_ctx *ctx, struct pt_ini_file *f, struct pt_vm **out,
			char *err, size_t errlen)
{
	const char *rel = f->relpath;
	const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
	struct pt_vm *vm = calloc(1, sizeof(*vm));
	struct pt_request **tail;
	int r = 0;

	if (!vm)
		return -ENOMEM;
	vm->ctx = ctx;
	vm->numa_node = PT_NO_NUMA_NODE;
	vm->name = strndup(base, strlen(base) - 4);
	vm->file = strdup(rel);
	if (!vm->name || !vm->file) {
		vm_free(vm);
		return -ENOMEM;
	}
	tail = &vm->requests;
	for (size_t i = 0; i < f->n_sections && !r; i++) {
		struct pt_ini_section *s = &f->sections[i];
		char *rname;

		if (!strcmp(s->name, "vm")) {
			for (size_t k = 0; k < s->n_kv && !r; k++) {
				struct pt_ini_kv *kv = &s->kv[k];
				long n;

				if (!strcmp(kv->key, "numa_node")) {
					if (parse_int(kv->value, 0, 1023, &n) < 0)
						r = pt__seterr(err, errlen, -EINVAL,
							       "%s:%d: numa_node '%s' is not a node number (0-1023)",
							       rel, kv->line, kv->value);
					else
						vm->numa_node = (int)n;
				} else if (!strcmp(kv->key, "numa_strict")) {
					int b = pt__parse_bool(kv->value);

					if (b < 0)
						r = pt__seterr(err, errlen, -EINVAL,
							       "%s:%d: numa_strict '%s' is not yes or no",
							       rel, kv->line, kv->value);
					else
						vm->numa_strict = b;
				} else if (!strcmp(kv->key, "user") || !strcmp(kv->key, "group")) {
					bool u = kv->key[0] == 'u';
					char **dst = u ? &vm->user : &vm->group;

					if (!owner_name_is_valid(kv->value))
						r = pt__seterr(err, errlen, -EINVAL,
							       "%s:%d: %s '%s' is not a %s name or +ID",
							       rel, kv->line, kv->key, kv->value,
							       u ? "user" : "group");
					else if (!(free(*dst), *dst = strdup(kv->value)))
						r = -ENOMEM;
					else if (u)
						vm->user_line = kv->line;
					else
						vm->group_line = kv->line;
				} else if (strcmp(kv->key, "description")) {
					r = pt__unknown_key(rel, kv->line, kv->key, vm_keys, err, errlen);
				}
			}
			continue;
		}
		rname = request_section_name(s->name);
		if (!rname || !pt__name_is_valid(rname)) {
			free(rname);
			r = pt__seterr(err, errlen, -EINVAL,
				       "%s:%d: unknown section [%s]; use [vm] or [request \"NAME\"]",
				       rel, s->line, s->name);
			break;
		}
		{
			struct pt_request *rq = calloc(1, sizeof(*rq));

			if (!rq) {
				free(rname);
				r = -ENOMEM;
				break;
			}
			rq->vm = vm;
			rq->name = rname;
			rq->count = 1;
			*tail = rq;
			tail = &rq->next;
			for (size_t k = 0; k < s->n_kv && !r; k++) {
				struct pt_ini_kv *kv = &s->kv[k];
				long n;

				if (!strcmp(kv->key, "group")) {
					if (!pt__group_ref_is_valid(kv->value))
						r = pt__seterr(err, errlen, -EINVAL,
							       "%s:%d: group '%s' is not a valid group name",
							       rel, kv->line, kv->value);
					else if (!(rq->group = strdup(kv->value)))
						r = -ENOMEM;
				} else if (!strcmp(kv->key, "count")) {
					if (parse_int(kv->value, 1, MAX_COUNT, &n) < 0)
						r = pt__seterr(err, errlen, -EINVAL,
							       "%s:%d: count '%s' is not a number from 1 to %d",
							       rel, kv->line, kv->value, MAX_COUNT);
					else
						rq->count = (int)n;
				} else if (strcmp(kv->key, "description")) {
					r = pt__unknown_key(rel, kv->line, kv->key, request_keys, err, errlen);
				}
			}
			if (!r && !rq->group)
				r = pt__seterr(err, errlen, -EINVAL,
					       "%s:%d: request '%s' names no group; add group = GROUP",
					       rel, s->line, rq->name);
		}
	}
	if (r < 0) {
		vm_free(vm);
		return r == -ENOMEM ? pt__seterr(err, errlen, r, "out of memory") : r;
	}
	*out = vm;
	return 0;
}

static int vms_from_store(struct pt_ctx *ctx, struct pt_store *st, struct pt_vm ***out,
			  size_t *n_out, char *err, size_t errlen)
{
	struct pt_vm **vms = NULL;
	size_t n = 0;
	int r = 0;

	for (size_t i = 0; i < st->n_files && !r; i++) {
		struct pt_ini_file *f = st->files[i];
		struct pt_vm *vm = NULL;

		if (f->deleted || strncmp(f->relpath, VMS_PREFIX, strlen(VMS_PREFIX)))
			continue;
		r = vm_from_file(ctx, f, &vm, err, errlen);
		if (r < 0)
			break;
		if (pt__array_add(vms, n, vm) < 0) {
			vm_free(vm);
			r = -ENOMEM;
			break;
		}
	}
	if (r < 0) {
		while (n)
			vm_free(vms[--n]);
		free(vms);
		return r;
	}
	/* the store's files are sorted by path: the VMs by name */
	*out = vms;
	*n_out = n;
	return 0;
}

/*
 * A tenant's VM file as its admins may write it: the requests name the
 * tenant's own groups, and nothing asks for a host change (a user or
 * group to give the nodes to: the grant gave them to the admins).
 */
static int tenant_vm_check(struct pt_ctx *ctx, struct pt_ini_file *f, struct pt_vm *vm,
			   char *err, size_t errlen)
{
	const char *tn = ctx->tenant;

	if (vm->user || vm->group)
		return pt__seterr(err, errlen, -EACCES,
				  "tenant '%s': %s:%d: %s: a tenant's VM runs as "
				  "its admins, whose devices the grant gave to their group; remove "
				  "the line", tn, f->relpath,
				  vm->user ? vm->user_line : vm->group_line, vm->user ? "user" :
				  "group");
	for (struct pt_request *rq = vm->requests; rq; rq = rq->next) {
		const char *colon = strchr(rq->group, ':');

		if (!colon)
			return pt__seterr(err, errlen, -EACCES,
					  "tenant '%s': %s: request '%s' names host "
					  "group '%s'; a tenant's VMs draw from its own groups only "
					  "('%s:GROUP')", tn, f->relpath, rq->name, rq->group, tn);
		if ((size_t)(colon - rq->group) != strlen(tn) || strncmp(rq->group, tn, strlen(tn)))
			return pt__seterr(err, errlen, -EACCES,
					  "tenant '%s': %s: request '%s' names group "
					  "'%s' of tenant '%.*s'; a tenant's VMs draw from its own groups "
					  "only", tn, f->relpath, rq->name, rq->group,
					  (int)(colon - rq->group), rq->group);
	}
	return 0;
}

/* Read and parse one VM file of the tenant's directory (untrusted). */
static int tenant_vm_file(struct pt_ctx *ctx, int dfd, const char *stem, struct pt_ini_file **out,
			  char *err, size_t errlen)
{
	char file[PT_NAME_MAX + 8], rel[2 * PT_NAME_MAX + 32], *text;
	int r;

	snprintf(file, sizeof(file), "%s.ini", stem);
	snprintf(rel, sizeof(rel), "tenants.d/%s.d/%s", ctx->tenant, file);
	r = pt__tdir_read(dfd, file, &text);
	if (r == -ENOMEM)
		return pt__seterr(err, errlen, r, "out of memory");
	if (r < 0)
		return pt__seterr(err, errlen, r == -ENOENT ? r : -EPERM, "tenant '%s': %s/%s %s; "
				  "refusing it: remove it", ctx->tenant, pt_get_conf_dir(ctx), rel,
				  pt__tdir_read_error(r));
	r = pt__ini_parse(rel, text, out, err, errlen);
	free(text);
	return r;
}

/* The tenant's VMs (ctx->tenant) from its directory; files kept in *files when asked. */
static int tenant_vms_load(struct pt_ctx *ctx, int dfd, struct pt_vm ***out, size_t *n_out,
			   struct pt_ini_file ***files, size_t *n_files, char *err, size_t errlen)
{
	struct pt_vm **vms = NULL;
	char **names = NULL;
	size_t n = 0, nn = 0, nf = 0;
	int r = pt__tdir_list(dfd, ".ini", &names, &nn);

	if (files)
		*files = calloc(nn + 1, sizeof(**files));
	if (r < 0 || (files && !*files))
		r = pt__seterr(err, errlen, r < 0 ? r : -ENOMEM, "tenant '%s': %s", ctx->tenant,
			       strerror(r < 0 ? -r : ENOMEM));
	for (size_t i = 0; i < nn && !r; i++) {
		struct pt_ini_file *f = NULL;
		struct pt_vm *vm = NULL;

		r = tenant_vm_file(ctx, dfd, names[i], &f, err, errlen);
		if (r == -ENOENT) {
			r = 0;		/* removed meanwhile */
			continue;
		}
		if (!r)
			r = vm_from_file(ctx, f, &vm, err, errlen);
		if (!r)
			r = tenant_vm_check(ctx, f, vm, err, errlen);
		if (files && f)
			(*files)[nf++] = f;
		else
			pt__ini_free(f);
		if (r < 0) {
			vm_free(vm);
			break;
		}
		if (pt__array_add(vms, n, vm) < 0) {
			vm_free(vm);
			r = -ENOMEM;
			break;
		}
	}
	pt__strv_free(names, nn);
	if (files)
		*n_files = nf;
	if (r < 0 || !out) {
		while (n)
			vm_free(vms[--n]);
		free(vms);
		return r;
	}
	*out = vms;
	*n_out = n;
	return 0;
}

PT_EXPORT int pt_vm_load(struct pt_ctx *ctx, const char **error)
{
	char err[512] = "";
	struct pt_store *st;
	int r;

	if (!ctx->vms_loaded) {
		ctx->vms_loaded = true;
		if (pt__ctx_register_free(ctx, pt__vms_free) < 0)
			return -ENOMEM;
		if (ctx->tenant) {
			int dfd = pt__tdir_open(ctx, ctx->tenant, err, sizeof(err));

			r = dfd < 0 ? dfd : tenant_vms_load(ctx, dfd, &ctx->vms, &ctx->n_vms, NULL,
							    NULL, err, sizeof(err));
			if (dfd >= 0)
				close(dfd);
		} else if ((r = pt__store_open(ctx, false, &st, err, sizeof(err))) == 0) {
			r = vms_from_store(ctx, st, &ctx->vms, &ctx->n_vms, err, sizeof(err));
			pt__store_close(st);
		}
		ctx->vms_rc = r;
		if (r < 0)
			ctx->vms_error = strdup(err[0] ? err : strerror(-r));
	}
	if (error)
		*error = ctx->vms_error;
	return ctx->vms_rc;
}

PT_EXPORT struct pt_vm *pt_vm_get_first(struct pt_ctx *ctx)
{
	pt_vm_load(ctx, NULL);
	return ctx->n_vms ? ctx->vms[0] : NULL;
}

PT_EXPORT struct pt_vm *pt_vm_get_next(struct pt_vm *vm)
{
	struct pt_ctx *ctx = vm->ctx;

	for (size_t i = 0; i + 1 < ctx->n_vms; i++)
		if (ctx->vms[i] == vm)
			return ctx->vms[i + 1];
	return NULL;
}

PT_EXPORT struct pt_vm *pt_vm_find(struct pt_ctx *ctx, const char *name)
{
	pt_vm_load(ctx, NULL);
	for (size_t i = 0; name && i < ctx->n_vms; i++)
		if (!strcmp(ctx->vms[i]->name, name))
			return ctx->vms[i];
	return NULL;
}

PT_EXPORT const char *pt_vm_get_name(struct pt_vm *vm) { return vm->name; }
PT_EXPORT const char *pt_vm_get_file(struct pt_vm *vm) { return vm->file; }
PT_EXPORT int pt_vm_get_numa_node(struct pt_vm *vm) { return vm->numa_node; }
PT_EXPORT bool pt_vm_get_numa_strict(struct pt_vm *vm) { return vm->numa_strict; }
PT_EXPORT struct pt_request *pt_request_get_first(struct pt_vm *vm) { return vm->requests; }
PT_EXPORT struct pt_request *pt_request_get_next(struct pt_request *rq) { return rq->next; }
PT_EXPORT const char *pt_request_get_name(struct pt_request *rq) { return rq->name; }
PT_EXPORT const char *pt_request_get_group(struct pt_request *rq) { return rq->group; }
PT_EXPORT int pt_request_get_count(struct pt_request *rq) { return rq->count; }

/* vgpu groups with live_migration = yes let a VM move; every other pins it. */
static bool group_migratable(struct pt_group *g)
{
	const char *v;

	if (!g || pt_group_get_type(g) != PT_GROUP_VGPU)
		return false;
	v = pt_group_get_setting(g, "live_migration");
	return v && pt__parse_bool(v) == 1;
}

PT_EXPORT const char *pt_vm_get_migration_blocker(struct pt_vm *vm)
{
	struct pt_request *rq;

	if (vm->blocker_done)
		return vm->blocker;
	vm->blocker_done = true;
	for (rq = vm->requests; rq; rq = rq->next) {
		struct pt_group *g = pt__tenant_group_resolve(vm->ctx, rq->group, NULL);
		int r;

		if (group_migratable(g))
			continue;
		if (g)
			r = asprintf(&vm->blocker, "request '%s' (%s group '%s')", rq->name,
				     pt_group_type_name(pt_group_get_type(g)), rq->group);
		else
			r = asprintf(&vm->blocker, "request '%s' (group '%s' does not exist)",
				     rq->name, rq->group);
		if (r < 0)
			vm->blocker = NULL;
		break;
	}
	return vm->blocker;
}

/* ---- vms.d: edits ----------------------------------------------------------- */

static int txn_err(struct pt_vm_txn *t, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int txn_err(struct pt_vm_txn *t, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->error, sizeof(t->error), fmt, ap);
	va_end(ap);
	return r;
}

PT_EXPORT int pt_vm_txn_begin(struct pt_ctx *ctx, unsigned int flags, struct pt_vm_txn **out)
{
	struct pt_vm_txn *t = calloc(1, sizeof(*t));
	struct pt_vm **vms = NULL;
	size_t n = 0;
	int r;

	if (!t)
		return -ENOMEM;
	t->ctx = ctx;
	t->flags = flags;
	t->dfd = t->lockfd = -1;
	if (ctx->tenant) {
		/* the tenant's own directory, under its lock (the admins' own pt holds it) */
		t->tenant = ctx->tenant;
		r = t->dfd = pt__tdir_open(ctx, ctx->tenant, t->error, sizeof(t->error));
		if (r >= 0 && !(flags & PT_TXN_DRY_RUN))
			r = t->lockfd = pt__tdir_lock(ctx, ctx->tenant, t->dfd,
						      pt_get_lock_timeout(ctx), t->error,
						      sizeof(t->error));
		if (r >= 0)
			r = tenant_vms_load(ctx, t->dfd, NULL, NULL, &t->files, &t->n_files,
					    t->error, sizeof(t->error));
	} else {
		r = pt__store_open(ctx, !(flags & PT_TXN_DRY_RUN), &t->st, t->error,
				   sizeof(t->error));
	}
	/* refuse to edit while a VM file is invalid: the admin fixes it first */
	if (r == 0 && !t->tenant)
		r = vms_from_store(ctx, t->st, &vms, &n, t->error, sizeof(t->error));
	while (n)
		vm_free(vms[--n]);
	free(vms);
	if (r < 0) {
		pt__vms_free(ctx);
		ctx->vms_loaded = true;
		pt__ctx_register_free(ctx, pt__vms_free);
		ctx->vms_rc = r;
		ctx->vms_error = strdup(t->error);
		pt_vm_txn_free(t);
		return r == -EWOULDBLOCK ? -EBUSY : r;
	}
	*out = t;
	return 0;
}

PT_EXPORT const char *pt_vm_txn_get_error(struct pt_vm_txn *t) { return t->error; }

/* The VM file of the transaction: the store's, or the tenant's directory's. */
static struct pt_ini_file *txn_file(struct pt_vm_txn *t, const char *vm)
{
	char rel[2 * PT_NAME_MAX + 32];

	if (!t->tenant) {
		snprintf(rel, sizeof(rel), VMS_PREFIX "%s.ini", vm);
		return pt__store_find(t->st, rel);
	}
	snprintf(rel, sizeof(rel), "tenants.d/%s.d/%s.ini", t->tenant, vm);
	for (size_t i = 0; i < t->n_files; i++)
		if (!t->files[i]->deleted && !strcmp(t->files[i]->relpath, rel))
			return t->files[i];
	return NULL;
}

static int txn_new_file(struct pt_vm_txn *t, const char *vm, struct pt_ini_file **out)
{
	char rel[2 * PT_NAME_MAX + 32], err[256];
	struct pt_ini_file **n;
	int r;

	if (!t->tenant) {
		snprintf(rel, sizeof(rel), VMS_PREFIX "%s.ini", vm);
		return pt__store_new_file(t->st, rel, out);
	}
	snprintf(rel, sizeof(rel), "tenants.d/%s.d/%s.ini", t->tenant, vm);
	/* one that was removed in this transaction comes back */
	for (size_t i = 0; i < t->n_files; i++)
		if (!strcmp(t->files[i]->relpath, rel)) {
			t->files[i]->deleted = false;
			*out = t->files[i];
			return 0;
		}
	n = realloc(t->files, (t->n_files + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	t->files = n;
	r = pt__ini_parse(rel, "", out, err, sizeof(err));
	if (r < 0)
		return r;
	t->files[t->n_files++] = *out;
	return 0;
}

/*
 * A tenant's request: its own group ("TENANT:GROUP" of this tenant), one
 * the tenant holds units of. Anything else is not the tenant's to draw.
 */
static int tenant_group_check(struct pt_vm_txn *t, const char *group)
{
	const char *colon = strchr(group, ':');
	struct pt_tenant *tn;

	if (!colon)
		return txn_err(t, -EACCES, "tenant '%s': '%s' is a host group; a tenant's VMs draw "
			       "from its own groups only: see 'pt tenant show %s'", t->tenant, group,
			       t->tenant);
	if ((size_t)(colon - group) != strlen(t->tenant) ||
	    strncmp(group, t->tenant, strlen(t->tenant)))
		return txn_err(t, -EACCES, "tenant '%s': group '%s' belongs to tenant '%.*s'; a "
			       "tenant's VMs draw from its own groups only", t->tenant, group,
			       (int)(colon - group), group);
	tn = pt_tenant_find(t->ctx, t->tenant);
	if (!tn)
		return txn_err(t, errno == EACCES ? -EACCES : -ENOENT, "tenant '%s': %s",
			       t->tenant, errno == EACCES ? "its file is not readable by this user: "
			       "run as one of its admins" : "no such tenant; see 'pt tenant list'");
	if (!pt_grant_find(tn, colon + 1))
		return txn_err(t, -ENOENT, "no tenant group '%s': tenant '%s' holds no units of "
			       "group '%s'; see 'pt tenant show %s'", group, t->tenant, colon + 1,
			       t->tenant);
	return 0;
}

PT_EXPORT int pt_vm_txn_request_add(struct pt_vm_txn *t, const char *vm, const char *group,
				    int count, const char *name)
{
	char rel[PT_NAME_MAX + 16], grel[PT_NAME_MAX + 16], section[PT_NAME_MAX + 16], num[16];
	struct pt_ini_file *f;
	int r;

	if (!pt__name_is_valid(vm))
		return txn_err(t, -EINVAL, "'%s' is not a valid VM name; %s", vm ? vm : "",
			       PT_NAME_RULES);
	if (!pt__group_ref_is_valid(group))
		return txn_err(t, -EINVAL, "'%s' is not a valid group name; %s",
			       group ? group : "", PT_NAME_RULES);
	if (!name && strchr(group, ':'))
		name = strchr(group, ':') + 1;
	if (!name)
		name = group;
	if (!pt__name_is_valid(name))
		return txn_err(t, -EINVAL, "'%s' is not a valid request name; %s", name,
			       PT_NAME_RULES);
	if (count < 1 || count > MAX_COUNT)
		return txn_err(t, -EINVAL, "count %d: give a number from 1 to %d", count,
			       MAX_COUNT);
	if (t->tenant) {
		r = tenant_group_check(t, group);
		if (r < 0)
			return r;
	} else if (strchr(group, ':')) {
		/* a tenant group: the tenant's grant of a host group */
		char gsec[PT_NAME_MAX + 16];
		const char *colon = strchr(group, ':');
		struct pt_ini_file *tf;

		snprintf(grel, sizeof(grel), "tenants.d/%.*s.ini", (int)(colon - group), group);
		snprintf(gsec, sizeof(gsec), "grant \"%s\"", colon + 1);
		tf = pt__store_find(t->st, grel);
		if (!tf || tf->deleted || !pt__ini_find_section(tf, gsec))
			return txn_err(t, -ENOENT, "no tenant group '%s': tenant '%.*s' holds no "
				       "units of group '%s'; see 'pt tenant list'", group,
				       (int)(colon - group), group, colon + 1);
	} else {
		snprintf(grel, sizeof(grel), "groups.d/%s.ini", group);
		if (!pt__store_find(t->st, grel))
			return txn_err(t, -ENOENT, "no group '%s'; see 'pt group list'", group);
	}
	snprintf(rel, sizeof(rel), VMS_PREFIX "%s.ini", vm);
	snprintf(section, sizeof(section), "request \"%s\"", name);
	f = txn_file(t, vm);
	if (f && pt__ini_find_section(f, section))
		return txn_err(t, -EEXIST, "VM '%s' has a request '%s' already (group %s); "
			       "give another --name or remove it first", vm, name,
			       pt__ini_get(f, section, "group"));
	if (!f) {
		r = txn_new_file(t, vm, &f);
		if (r < 0)
			return txn_err(t, r, "%s: %s", rel, strerror(-r));
	}
	snprintf(num, sizeof(num), "%d", count);
	r = pt__ini_set(f, section, "group", group);
	if (!r)
		r = pt__ini_set(f, section, "count", num);
	if (r < 0)
		return txn_err(t, r, "%s: cannot add request '%s': %s", rel, name, strerror(-r));
	f->dirty = true;
	return 0;
}

PT_EXPORT int pt_vm_txn_request_remove(struct pt_vm_txn *t, const char *vm, const char *name)
{
	char rel[PT_NAME_MAX + 16], section[PT_NAME_MAX + 16];
	struct pt_ini_file *f;
	int r;

	if (!pt__name_is_valid(vm))
		return txn_err(t, -EINVAL, "'%s' is not a valid VM name; %s", vm ? vm : "",
			       PT_NAME_RULES);
	if (!pt__name_is_valid(name))
		return txn_err(t, -EINVAL, "'%s' is not a valid request name; %s",
			       name ? name : "", PT_NAME_RULES);
	snprintf(rel, sizeof(rel), VMS_PREFIX "%s.ini", vm);
	snprintf(section, sizeof(section), "request \"%s\"", name);
	f = txn_file(t, vm);
	if (!f)
		return txn_err(t, -ENOENT, "no VM '%s'; see 'pt attach list'", vm);
	if (!pt__ini_find_section(f, section))
		return txn_err(t, -ENOENT, "VM '%s' has no request '%s'; see 'pt attach show %s'",
			       vm, name, vm);
	r = pt__ini_remove_section(f, section);
	if (r < 0)
		return txn_err(t, r, "%s: cannot remove request '%s': %s", rel, name, strerror(-r));
	f->dirty = true;
	if (f->n_sections == 0 && t->tenant)
		f->deleted = true;
	else if (f->n_sections == 0)
		r = pt__store_delete_file(t->st, rel);
	return r < 0 ? txn_err(t, r, "%s: %s", rel, strerror(-r)) : 0;
}

/* A tenant file's new text (NULL: removed), and whether it changes. */
static bool tenant_file_change(struct pt_ini_file *f, char **text)
{
	bool existed = f->orig && *f->orig;

	*text = NULL;
	if (f->deleted)
		return existed;
	if (!f->dirty)
		return false;
	*text = pt__ini_render(f);
	return !*text || !existed || strcmp(*text, f->orig);
}

PT_EXPORT char *pt_vm_txn_get_diff(struct pt_vm_txn *t)
{
	char *all = NULL;

	if (!t->tenant)
		return pt__store_diff(t->st);
	all = strdup("");
	for (size_t i = 0; all && i < t->n_files; i++) {
		struct pt_ini_file *f = t->files[i];
		char *text, *d, *n;

		if (!tenant_file_change(f, &text)) {
			free(text);
			continue;
		}
		d = pt__text_diff(f->relpath, f->orig && *f->orig ? f->orig : NULL,
				  f->deleted ? NULL : text ? text : "");
		free(text);
		if (!d || asprintf(&n, "%s%s", all, d) < 0)
			n = NULL;
		free(d);
		free(all);
		all = n;
	}
	return all;
}

/* Write the tenant's changed files into its directory (each atomic). */
static int tenant_commit(struct pt_vm_txn *t)
{
	int r = 0;

	for (size_t i = 0; i < t->n_files && !r; i++) {
		struct pt_ini_file *f = t->files[i];
		const char *file = strrchr(f->relpath, '/') + 1;
		char *text;

		if (!tenant_file_change(f, &text)) {
			free(text);
			continue;
		}
		if (f->deleted)
			r = pt__tdir_unlink(t->dfd, file);
		else
			r = text ? pt__tdir_write(t->dfd, file, text) : -ENOMEM;
		if (r < 0)
			txn_err(t, r, "tenant '%s': %s/%s: cannot write: %s", t->tenant,
				pt_get_conf_dir(t->ctx), f->relpath, strerror(-r));
		free(text);
	}
	return r;
}

PT_EXPORT int pt_vm_txn_commit(struct pt_vm_txn *t)
{
	int r;

	if (t->flags & PT_TXN_DRY_RUN)
		return txn_err(t, -EPERM, "a dry run commits nothing");
	if (t->tenant) {
		r = tenant_commit(t);
		pt__vms_free(t->ctx);
		return r;
	}
	r = pt__store_commit(t->st);
	if (r < 0)
		return txn_err(t, r, "%s: cannot write: %s", pt_get_conf_dir(t->ctx), strerror(-r));
	pt__vms_free(t->ctx);
	pt__conf_free(t->ctx);
	return 0;
}

PT_EXPORT void pt_vm_txn_free(struct pt_vm_txn *t)
{
	if (!t)
		return;
	pt__store_close(t->st);
	for (size_t i = 0; i < t->n_files; i++)
		pt__ini_free(t->files[i]);
	free(t->files);
	if (t->lockfd >= 0)
		close(t->lockfd);
	if (t->dfd >= 0)
		close(t->dfd);
	free(t);
}

/* ---- units: what a group can hand out now ------------------------------------ */

/* Who holds what: every lease but the VM being started. */
struct held {
	const char **keys;	/* BDFs, "usb:..." keys */
	const char **vms;
	size_t n;
	const char *tenant_group;	/* "TENANT:GROUP" being drawn from, or NULL */
};

static int held_add(struct held *h, const char *key, const char *vm)
{
	const char **k = realloc(h->keys, (h->n + 1) * sizeof(*k));
	const char **v;

	if (!k)
		return -ENOMEM;
	h->keys = k;
	v = realloc(h->vms, (h->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	h->vms = v;
	h->keys[h->n] = key;
	h->vms[h->n] = vm;
	h->n++;
	return 0;
}

static const char *held_by(const struct held *h, const char *key)
{
	for (size_t i = 0; i < h->n; i++)
		if (!strcmp(h->keys[i], key))
			return h->vms[i];
	return NULL;
}

/* How many mdev instances leases hold on a parent (for pack/spread). */
static int held_mdevs(struct pt_ctx *ctx, const char *parent, const char *except_vm)
{
	int n = 0;

	for (size_t i = 0; i < ctx->n_leases; i++) {
		struct pt_lease *l = ctx->leases[i];

		if (except_vm && !strcmp(l->vm, except_vm))
			continue;
		for (int k = 0; k < l->n_devs; k++)
			if (l->devs[k]->mdev_parent && !strcmp(l->devs[k]->mdev_parent, parent))
				n++;
	}
	return n;
}

static void usb_key(struct pt_usb_dev *u, char *buf, size_t len)
{
	const char *serial = pt_usb_dev_get_serial(u);

	if (serial && *serial)
		snprintf(buf, len, "usb:%04x:%04x:%s", pt_usb_dev_get_vendor_id(u),
			 pt_usb_dev_get_product_id(u), serial);
	else
		snprintf(buf, len, "usb:%d-%s", pt_usb_dev_get_busnum(u),
			 pt_usb_dev_get_port_path(u));
}

/* Every key lease l's devices hold: functions, USB key, mdev instance (by its UUID). */
static int held_lease(struct held *h, struct pt_lease *l)
{
	int r = 0;

	for (int k = 0; k < l->n_devs && !r; k++) {
		struct pt_lease_dev *d = l->devs[k];

		for (int f = 0; f < d->n_functions && !r; f++)
			r = held_add(h, d->functions[f], l->vm);
		if (!r && d->usb_name)
			r = held_add(h, d->usb_name, l->vm);
		/* a tenant's mdev instance is held by its UUID */
		if (!r && d->mdev_uuid)
			r = held_add(h, d->mdev_uuid, l->vm);
	}
	return r;
}

static int held_build(struct pt_ctx *ctx, const char *except_vm, struct held *h)
{
	int r = 0;

	for (size_t i = 0; i < ctx->n_leases && !r; i++) {
		struct pt_lease *l = ctx->leases[i];

		if (except_vm && !strcmp(l->vm, except_vm))
			continue;
		r = held_lease(h, l);
	}
	return r;
}

static void held_free(struct held *h)
{
	free(h->keys);
	free(h->vms);
}

/* What a unit is, beside what the allocator sees. */
struct usrc {
	struct pt_pci_dev *dev;		/* member, VF */
	struct pt_pci_dev **fns;	/* pci: the IOMMU group's endpoints */
	int n_fns;
	struct pt_mdev_type *mtype;	/* vgpu mdev */
	struct pt_mdev *tmdev;		/* vgpu mdev: a tenant's instance (key: its UUID) */
	struct pt_mdev_parent *tparent;
	struct pt_usb_dev *usb;
	char key[96];
	char why[160];
	char runs[48];			/* vgpu: a time-sliced profile its GPU runs */
	bool not_applied;
	bool leased;
};

struct units {
	struct pt__unit *u;
	struct usrc *s;
	size_t n;
};

static void units_free(struct units *us)
{
	for (size_t i = 0; i < us->n; i++)
		free(us->s[i].fns);
	free(us->u);
	free(us->s);
	memset(us, 0, sizeof(*us));
}

static int unit_add(struct units *us, struct pt__unit **u, struct usrc **s)
{
	struct pt__unit *nu = realloc(us->u, (us->n + 1) * sizeof(*nu));
	struct usrc *ns;

	if (!nu)
		return -ENOMEM;
	us->u = nu;
	ns = realloc(us->s, (us->n + 1) * sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	us->s = ns;
	memset(&us->u[us->n], 0, sizeof(*us->u));
	memset(&us->s[us->n], 0, sizeof(*us->s));
	*u = &us->u[us->n];
	*s = &us->s[us->n];
	(*u)->pool = -1;
	(*u)->capacity = 1;
	(*u)->numa_node = PT_NO_NUMA_NODE;
	us->n++;
	return 0;
}

/*
 * Tenants reserve units for themselves (tenant.c): the one place the
 * allocator asks. A request of a tenant group takes only its tenant's.
 */
static const char *tenant_reservation(struct pt_ctx *ctx, const struct held *h,
				      const char *key, char *buf, size_t len)
{
	return pt__tenant_block(ctx, key, h->tenant_group, buf, len);
}

static int block(struct pt__unit *u, struct usrc *s, bool not_applied, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int block(struct pt__unit *u, struct usrc *s, bool not_applied, const char *fmt, ...)
{
	va_list ap;

	if (u->blocked)
		return 0;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
	u->blocked = s->why;
	s->not_applied = not_applied;
	return 0;
}

static void block_common(struct pt_ctx *ctx, const struct held *h, struct pt__unit *u,
			 struct usrc *s, struct pt_pci_dev *dev)
{
	const char *who = held_by(h, s->key), *crit, *tenant;
	char tbuf[160];

	if (who) {
		block(u, s, false, "leased to VM '%s'", who);
		s->leased = true;
	}
	if (dev && (crit = pt_pci_dev_get_critical_reason(dev)))
		block(u, s, false, "host-critical (%s)", crit);
	if ((tenant = tenant_reservation(ctx, h, s->key, tbuf, sizeof(tbuf))))
		block(u, s, false, "%s", tenant);
}

static bool on_vfio(struct pt_pci_dev *d)
{
	const char *drv = pt_pci_dev_get_driver(d);

	return drv && !strcmp(drv, "vfio-pci");
}

static int units_pci(struct pt_ctx *ctx, struct pt_group *g, const struct held *h,
		     struct units *us)
{
	for (int i = 0; i < pt_group_get_num_members(g); i++) {
		struct pt_pci_dev *dev = pt_member_get_pci_dev(pt_group_get_member(g, i));
		int grp = pt_pci_dev_get_iommu_group(dev);
		struct pt_iommu_group *ig = grp >= 0 ? pt_iommu_group_find(ctx, grp) : NULL;
		struct pt__unit *u;
		struct usrc *s;
		bool dup = false;
		int r;

		/* one unit per IOMMU group: the first member in BDF order names it */
		for (size_t k = 0; k < us->n && !dup; k++)
			dup = pt_pci_dev_get_iommu_group(us->s[k].dev) == grp && grp >= 0;
		if (dup)
			continue;
		r = unit_add(us, &u, &s);
		if (r < 0)
			return r;
		s->dev = dev;
		snprintf(s->key, sizeof(s->key), "%s", pt_pci_dev_get_bdf(dev));
		u->key = s->key;
		u->numa_node = pt_pci_dev_get_numa_node(dev);
		if (!ig) {
			block(u, s, false, "has no IOMMU group; enable the IOMMU");
			continue;
		}
		s->fns = calloc(pt_iommu_group_get_num_members(ig) + 1, sizeof(*s->fns));
		if (!s->fns)
			return -ENOMEM;
		for (int k = 0; k < pt_iommu_group_get_num_members(ig); k++) {
			struct pt_pci_dev *f = pt_iommu_group_get_member(ig, k);
			const char *who;

			if (pt_pci_dev_is_bridge(f))
				continue;
			s->fns[s->n_fns++] = f;
			if ((who = held_by(h, pt_pci_dev_get_bdf(f)))) {
				if (f == dev)
					block(u, s, false, "leased to VM '%s'", who);
				else
					block(u, s, false, "%s is leased to VM '%s'",
					      pt_pci_dev_get_bdf(f), who);
				s->leased = true;
			}
			if (pt_pci_dev_get_critical_reason(f))
				block(u, s, false, "%s is host-critical (%s)", pt_pci_dev_get_bdf(f),
				      pt_pci_dev_get_critical_reason(f));
			{
				char tbuf[160];
				const char *tw = tenant_reservation(ctx, h, pt_pci_dev_get_bdf(f),
								    tbuf, sizeof(tbuf));

				if (tw && f == dev)
					block(u, s, false, "%s", tw);
				else if (tw)
					block(u, s, false, "%s: %s", pt_pci_dev_get_bdf(f), tw);
			}
			if (!on_vfio(f))
				block(u, s, true, "%s is on %s, not vfio-pci", pt_pci_dev_get_bdf(f),
				      pt_pci_dev_get_driver(f) ? pt_pci_dev_get_driver(f) : "no driver");
		}
		block_common(ctx, h, u, s, dev);
	}
	return 0;
}

static int units_sriov(struct pt_ctx *ctx, struct pt_group *g, const struct held *h,
		       struct units *us)
{
	for (int i = 0; i < pt_group_get_num_members(g); i++) {
		struct pt_member *m = pt_group_get_member(g, i);
		struct pt_pci_dev *pf = pt_member_get_pci_dev(m);
		int pool = -1;

		for (int k = 0; k < pt_member_get_num_vfs(m); k++) {
			int idx = pt_member_get_vf_index(m, k);
			struct pt_pci_dev *vf = pt_pci_dev_get_virtfn(pf, idx);
			struct pt__unit *u;
			struct usrc *s;
			int r = unit_add(us, &u, &s);

			if (r < 0)
				return r;
			if (pool < 0)
				pool = (int)(us->n - 1);
			u->pool = pool;
			u->numa_node = pt_pci_dev_get_numa_node(pf);
			s->dev = vf;
			if (!vf) {
				snprintf(s->key, sizeof(s->key), "%s vf %d", pt_pci_dev_get_bdf(pf), idx);
				u->key = s->key;
				block(u, s, true, "VF %d of %s does not exist", idx,
				      pt_pci_dev_get_bdf(pf));
				continue;
			}
			snprintf(s->key, sizeof(s->key), "%s", pt_pci_dev_get_bdf(vf));
			u->key = s->key;
			u->numa_node = pt_pci_dev_get_numa_node(vf);
			block_common(ctx, h, u, s, vf);
			if (held_by(h, s->key))
				u->used = 1;
			if (!on_vfio(vf))
				block(u, s, true, "%s is on %s, not vfio-pci", s->key,
				      pt_pci_dev_get_driver(vf) ? pt_pci_dev_get_driver(vf) : "no driver");
		}
	}
	return 0;
}

/* ---- vgpu: one time-sliced profile per GPU (the allocator's rule, #13) ---- */

/* The first time-sliced profile an instance on the GPU runs, into out ("" none). */
static int runs_ts(struct pt_pci_dev *f, const char *id, const char *name,
		   struct pt_vgpu_profile *prof, void *data)
{
	char *out = data;

	(void)f;
	(void)id;
	(void)name;
	if (prof && !prof->slices && prof->name[0] && !*out)
		snprintf(out, 48, "%s", prof->name);
	return 0;
}

static void vgpu_runs(struct pt_pci_dev *dev, char out[48])
{
	struct pt_pci_dev *gpu = pt_pci_dev_get_physfn(dev);

	out[0] = '\0';
	pt__vgpu_foreach_running(gpu ? gpu : dev, runs_ts, out);
}

/*
 * Every free VF lists what one more vGPU may be; the GPU's own count
 * (max instances, free GPU instances, heterogeneous placements: see
 * pt_pci_dev_get_vgpu_capacity) may be fewer: the VFs past it, in BDF
 * order, wait.
 */
static void vgpu_cap_units(struct units *us, int pool, struct pt_pci_dev *gpu,
			   const char *profile)
{
	int cap = pt_pci_dev_get_vgpu_capacity(gpu, profile), seen = 0;

	if (cap < 0)
		return;
	for (size_t i = (size_t)pool; i < us->n; i++) {
		struct pt__unit *u = &us->u[i];

		if (u->pool != pool || u->blocked || u->capacity <= 0 || u->used)
			continue;
		if (seen++ >= cap)
			block(u, &us->s[i], false, "its GPU has room for %d more %s now, "
			      "offered on the VFs before it", cap, profile);
	}
}

/* The request's profile (canonical) and heterogeneous setting. */
static void vgpu_req(struct pt_group *g, struct pt__alloc_req *req,
		     struct pt_vgpu_profile *prof)
{
	const char *profile = pt_group_get_setting(g, "profile");
	const char *het = pt_group_get_setting(g, "heterogeneous");

	if (pt_group_get_type(g) != PT_GROUP_VGPU || !profile ||
	    pt__vgpu_profile_parse(profile, prof, NULL) < 0 || prof->slices)
		return;
	req->profile = prof->name;
	req->heterogeneous = het && !strcmp(het, "yes");
}
/* ---- end vgpu ---- */

/*
 * The instances a tenant's grant made on parent par (tenant.c, "UUID@PARENT"
 * units): one unit each, free unless a VM's lease holds it; missing from
 * the host (a reboot not replayed yet): not applied.
 */
static int units_tenant_mdev(struct pt_ctx *ctx, const struct held *h,
			     struct pt_mdev_parent *par, struct units *us)
{
	const char *colon = strchr(h->tenant_group, ':');
	char tname[PT_NAME_MAX + 1];
	struct pt_tenant *tn;
	struct pt_grant *gr;

	snprintf(tname, sizeof(tname), "%.*s", (int)(colon - h->tenant_group), h->tenant_group);
	tn = pt_tenant_find(ctx, tname);
	gr = tn ? pt_grant_find(tn, colon + 1) : NULL;
	for (int i = 0; gr && i < pt_grant_get_num_units(gr); i++) {
		const char *unit = pt_grant_get_unit(gr, i), *at = strchr(unit, '@');
		struct pt_pci_dev *dev = pt_mdev_parent_get_pci_dev(par);
		const char *who;
		struct pt__unit *u;
		struct usrc *s;
		struct pt_mdev *m;
		int r;

		if (!at || strcmp(at + 1, pt_mdev_parent_get_name(par)))
			continue;
		r = unit_add(us, &u, &s);
		if (r < 0)
			return r;
		snprintf(s->key, sizeof(s->key), "%.*s", (int)(at - unit), unit);
		u->key = s->key;
		u->numa_node = dev ? pt_pci_dev_get_numa_node(dev) : PT_NO_NUMA_NODE;
		s->tparent = par;
		pt_mdev_foreach(par, m)
			if (!strcmp(pt_mdev_get_uuid(m), s->key))
				s->tmdev = m;
		if ((who = held_by(h, s->key))) {
			block(u, s, false, "leased to VM '%s'", who);
			s->leased = true;
		} else if (!s->tmdev) {
			block(u, s, true, "missing on %s (a reboot?): run 'pt tenant apply %s'",
			      pt_mdev_parent_get_name(par), tname);
		}
	}
	return 0;
}

/* One mdev parent as a unit: a GPU, a VF of one, or no PCI function (mtty). */
static int unit_mdev(struct pt_ctx *ctx, const struct held *h, const char *except_vm,
		     struct units *us, struct pt_pci_dev *dev, struct pt_mdev_parent *par,
		     const char *key, const char *profile, struct pt_pci_dev *gpu)
{
	struct pt_mdev_type *t, *found = NULL;
	struct pt__unit *u;
	struct usrc *s;
	int r = unit_add(us, &u, &s);

	if (r < 0)
		return r;
	s->dev = dev;
	snprintf(s->key, sizeof(s->key), "%s", key);
	u->key = s->key;
	u->numa_node = dev ? pt_pci_dev_get_numa_node(dev) : PT_NO_NUMA_NODE;
	if (gpu)
		vgpu_runs(gpu, s->runs);
	else
		s->runs[0] = '\0';
	if (!par)
		return block(u, s, true, "offers no mdev types");
	pt_mdev_type_foreach(par, t) {
		if (pt__vgpu_type_matches(profile, pt_mdev_type_get_id(t),
					  pt_mdev_type_get_name(t)))
			found = t;
	}
	if (!found)
		return block(u, s, true, "offers no vGPU type '%s'", profile);
	if (h->tenant_group) {
		/* the tenant's instances on this parent, made at grant */
		us->n--;
		return units_tenant_mdev(ctx, h, par, us);
	}
	s->mtype = found;
	u->capacity = pt_mdev_type_get_available_instances(found);
	u->used = held_mdevs(ctx, pt_mdev_parent_get_name(par), except_vm);
	if (dev && pt_pci_dev_get_critical_reason(dev))
		block(u, s, false, "host-critical (%s)", pt_pci_dev_get_critical_reason(dev));
	if (u->capacity <= 0 && !u->blocked)
		block(u, s, false, "no instance of %s can be created now", profile);
	return 0;
}

static int units_vgpu(struct pt_ctx *ctx, struct pt_group *g, const struct held *h,
		      const char *except_vm, struct units *us, char *err, size_t errlen)
{
	const char *profile = pt_group_get_setting(g, "profile");
	const char *mode = pt_group_get_setting(g, "mode");

	if (!profile)
		return pt__seterr(err, errlen, -EBUSY,
				  "group '%s' sets no vGPU profile; run 'pt group set %s profile=TYPE'",
				  pt_group_get_name(g), pt_group_get_name(g));
	for (int i = 0; i < pt_group_get_num_members(g); i++) {
		struct pt_member *mb = pt_group_get_member(g, i);
		struct pt_pci_dev *dev = pt_member_get_pci_dev(mb);
		/* dev is NULL for an mdev parent that is no PCI function (mtty) */
		struct pt_mdev_parent *par = pt_member_get_mdev_parent(mb);
		bool vf = dev && (mode ? !strcasecmp(mode, "vf") :
				  !par && (pt_pci_dev_has_nvidia_vgpu(dev) ||
					   pt__vgpu_vfs_have_nvidia(dev)));
		struct pt__unit *u;
		struct usrc *s;
		int r;

		if (!vf && dev && !par && pt__vgpu_vfs_have_mdev(dev)) {
			/* Ampere/Hopper on mdev: the member's VFs are the parents */
			int pool = -1, nmv = pt_member_get_num_vfs(mb);
			int n = nmv > 0 ? nmv : pt_pci_dev_get_sriov_numvfs(dev);

			for (int j = 0; j < n; j++) {
				int k = nmv > 0 ? pt_member_get_vf_index(mb, j) : j;
				struct pt_pci_dev *v = pt_pci_dev_get_virtfn(dev, k);

				if (!v || !pt_pci_dev_get_mdev_parent(v))
					continue;
				size_t first = us->n;

				r = unit_mdev(ctx, h, except_vm, us, v, pt_pci_dev_get_mdev_parent(v),
					      pt_pci_dev_get_bdf(v), profile, dev);
				if (r < 0)
					return r;
				/* none, one, or a tenant's instances on this VF */
				for (size_t x = first; x < us->n; x++) {
					if (pool < 0)
						pool = (int)x;
					us->u[x].pool = pool;
				}
			}
			if (pool >= 0)
				vgpu_cap_units(us, pool, dev, profile);
			continue;
		}
		if (!vf) {
			r = unit_mdev(ctx, h, except_vm, us, dev, par, pt_member_get_name(mb),
				      profile, dev);
			if (r < 0)
				return r;
			continue;
		}
		{
			int pool = -1, nmv = pt_member_get_num_vfs(mb);
			int n = nmv > 0 ? nmv : pt_pci_dev_get_sriov_numvfs(dev);

			/* the member's VFs (two groups may split a GPU's VFs) */
			for (int j = 0; j < n; j++) {
				int k = nmv > 0 ? pt_member_get_vf_index(mb, j) : j;
				struct pt_pci_dev *v = pt_pci_dev_get_virtfn(dev, k);
				const char *drv;

				if (!v)
					continue;
				r = unit_add(us, &u, &s);
				if (r < 0)
					return r;
				if (pool < 0)
					pool = (int)(us->n - 1);
				u->pool = pool;
				s->dev = v;
				snprintf(s->key, sizeof(s->key), "%s", pt_pci_dev_get_bdf(v));
				u->key = s->key;
				u->numa_node = pt_pci_dev_get_numa_node(v);
				vgpu_runs(dev, s->runs);
				block_common(ctx, h, u, s, v);
				if (held_by(h, s->key))
					u->used = 1;
				drv = pt_pci_dev_get_driver(v);
				if (!drv || strcmp(drv, "nvidia"))
					block(u, s, true, "is on %s, not nvidia", drv ? drv : "no driver");
				else if (h->tenant_group && !u->blocked) {
					/* a tenant's VF: its type was written at grant */
					if (!pt_pci_dev_get_current_vgpu_type(v))
						block(u, s, true, "has no vGPU type set (a reboot?): "
						      "run 'pt tenant apply'");
				} else if (pt_pci_dev_get_current_vgpu_type(v))
					block(u, s, false, "has vGPU type %u set",
					      pt_pci_dev_get_current_vgpu_type(v));
				else if (pt__nvvgpu_vf_offers(ctx, pt_pci_dev_get_bdf(v), profile) <= 0)
					block(u, s, false, "does not offer vGPU type '%s' now", profile);
			}
			if (pool >= 0)
				vgpu_cap_units(us, pool, dev, profile);
			if (pool < 0) {
				r = unit_add(us, &u, &s);
				if (r < 0)
					return r;
				s->dev = dev;
				snprintf(s->key, sizeof(s->key), "%s", pt_pci_dev_get_bdf(dev));
				u->key = s->key;
				block(u, s, true, "has no VFs enabled");
			}
		}
	}
	return 0;
}

static int units_usb(struct pt_ctx *ctx, struct pt_group *g, const struct held *h,
		     struct units *us)
{
	for (int i = 0; i < pt_group_get_num_members(g); i++) {
		struct pt_usb_dev *ud = pt_member_get_usb_dev(pt_group_get_member(g, i));
		struct pt__unit *u;
		struct usrc *s;
		int r;

		if (!ud)
			continue;
		r = unit_add(us, &u, &s);
		if (r < 0)
			return r;
		s->usb = ud;
		usb_key(ud, s->key, sizeof(s->key));
		u->key = s->key;
		block_common(ctx, h, u, s, NULL);
	}
	return 0;
}

static int units_build(struct pt_ctx *ctx, struct pt_group *g, const struct held *h,
		       const char *except_vm, struct units *us, char *err, size_t errlen)
{
	int r = -EINVAL;

	switch (pt_group_get_type(g)) {
	case PT_GROUP_PCI:
		r = units_pci(ctx, g, h, us);
		break;
	case PT_GROUP_SRIOV_NIC:
		r = units_sriov(ctx, g, h, us);
		break;
	case PT_GROUP_VGPU:
		r = units_vgpu(ctx, g, h, except_vm, us, err, errlen);
		break;
	case PT_GROUP_USB:
		r = units_usb(ctx, g, h, us);
		break;
	}
	/* the arrays grew by realloc: point the units at where their texts are now */
	for (size_t i = 0; i < us->n; i++) {
		us->u[i].key = us->s[i].key;
		us->u[i].runs_profile = us->s[i].runs[0] ? us->s[i].runs : NULL;
		if (us->u[i].blocked)
			us->u[i].blocked = us->s[i].why;
	}
	return r;
}

PT_EXPORT int pt_group_get_capacity(struct pt_ctx *ctx, struct pt_group *g, int *total,
				    int *leased, int *free_now)
{
	struct held h = { 0 };
	struct units us = { 0 };
	char err[256];
	int r, t = 0, l = 0, f = 0;

	pt_lease_load(ctx, NULL);
	r = held_build(ctx, NULL, &h);
	if (!r)
		r = units_build(ctx, g, &h, NULL, &us, err, sizeof(err));
	if (r == -EBUSY)
		r = 0;		/* no profile: nothing to count */
	for (size_t i = 0; !r && i < us.n; i++) {
		const struct pt__unit *u = &us.u[i];

		if (us.s[i].mtype) {
			/* instances leases hold plus those creatable now */
			int fr = !u->blocked && u->capacity > 0 ? u->capacity : 0;

			l += u->used;
			f += fr;
			t += u->used + fr;
			continue;
		}
		t++;
		if (us.s[i].leased)
			l++;
		else if (!u->blocked)
			f++;
	}
	units_free(&us);
	held_free(&h);
	if (r < 0)
		return r;
	if (total)
		*total = t;
	if (leased)
		*leased = l;
	if (free_now)
		*free_now = f;
	return 0;
}

/* ---- start, check, stop, gc ----------------------------------------------------- */

static struct pt_attach *attach_new(struct pt_ctx *ctx)
{
	struct pt_attach *a = calloc(1, sizeof(*a));

	if (a) {
		a->ctx = ctx;
		a->uid = (uid_t)-1;
		a->gid = (gid_t)-1;
	}
	return a;
}

#define AERR(a, r, ...) pt__seterr((a)->error, sizeof((a)->error), (r), __VA_ARGS__)

/* The VM's user (group: its group) as an id, from NSS or "+ID". */
static int owner_id(struct pt_attach *a, struct pt_vm *vm, bool group, id_t *id)
{
	const char *what = group ? "group" : "user";
	const char *name = group ? vm->group : vm->user;
	int line = group ? vm->group_line : vm->user_line;
	struct passwd pw, *pwr = NULL;
	struct group gr, *grr = NULL;
	char buf[4096];
	int r;

	if (name[0] == '+') {
		unsigned long v = strtoul(name + 1, NULL, 10);

		if (v >= (id_t)-1)
			return AERR(a, -EINVAL, "VM '%s': %s '%s' (%s:%d) is out of range",
				    vm->name, what, name, vm->file, line);
		*id = (id_t)v;
		return 0;
	}
	if (group)
		r = getgrnam_r(name, &gr, buf, sizeof(buf), &grr);
	else
		r = getpwnam_r(name, &pw, buf, sizeof(buf), &pwr);
	if (!grr && !pwr)
		return AERR(a, r ? -r : -ENOENT, "VM '%s': %s '%s' (%s:%d) %s; create it, "
			    "or name the %s QEMU runs as", vm->name, what, name, vm->file, line,
			    r ? strerror(r) : "does not exist on this host", what);
	*id = grr ? grr->gr_gid : pwr->pw_uid;
	return 0;
}

/*
 * The VM's user and group as ids, looked up now (NSS): start gives the
 * VM's device nodes to them. "+ID" is taken as it is.
 */
static int resolve_owner(struct pt_attach *a, struct pt_vm *vm)
{
	id_t id;
	int r;

	if (vm->user) {
		if ((r = owner_id(a, vm, false, &id)) < 0)
			return r;
		a->uid = (uid_t)id;
	}
	if (vm->group) {
		if ((r = owner_id(a, vm, true, &id)) < 0)
			return r;
		a->gid = (gid_t)id;
	}
	if (vm->user && vm->group)
		snprintf(a->owner, sizeof(a->owner), "%s:%s", vm->user, vm->group);
	else if (vm->user)
		snprintf(a->owner, sizeof(a->owner), "%s", vm->user);
	else if (vm->group)
		snprintf(a->owner, sizeof(a->owner), "group %s", vm->group);
	return 0;
}

/* The permission bits the VM's owner needs: rw for its user and/or group. */
static mode_t owner_bits(const struct pt_attach *a)
{
	return (a->uid != (uid_t)-1 ? 0600 : 0) | (a->gid != (gid_t)-1 ? 0060 : 0);
}

/*
 * Give dev_root/rel to the VM's owner: recorded in the lease with what it
 * was, so that stop gives it back. missing_ok: a node that is not there
 * (yet) is left (a note); else it is an error naming hint.
 */
static int plan_node(struct pt_attach *a, struct pt_plan *p, struct pt_lease_dev *d,
		     const char *rel, bool missing_ok, const char *hint)
{
	struct pt__devnode_owner before;
	const char *root = pt_get_dev_root(a->ctx);
	mode_t mode;
	int r;

	for (int k = 0; k < d->n_nodes; k++)
		if (!strcmp(d->nodes[k].rel, rel))
			return 0;	/* the unit's other function, same IOMMU group */
	r = pt__devnode_read(a->ctx, rel, &before);
	if (r == -ENOENT && missing_ok)
		return note(a, "%s/%s: not there; nothing to give to %s", root, rel, a->owner);
	if (r < 0)
		/* a link or a non-node where a node belongs: refused for safety */
		return AERR(a, r == -ELOOP || r == -ENOTTY ? -EPERM : r,
			    "request '%s': %s/%s: %s; %s", d->request, root, rel,
			    r == -ENOENT ? "missing" :
			    r == -ELOOP ? "is a link or lies behind one (refusing to follow it)" :
			    r == -ENOTTY ? "is not a device node" : strerror(-r), hint);
	r = pt__lease_dev_add_node(d, rel, &before);
	if (r < 0)
		return AERR(a, r, "out of memory");
	mode = before.mode | owner_bits(a);
	{
		char desc[PATH_MAX + 128];

		snprintf(desc, sizeof(desc), "give %s/%s to %s (mode %04o)", root, rel,
			 a->owner, (unsigned int)mode);
		r = pt__devnode_plan_set(p, rel, a->uid, a->gid, mode, 0, &before, desc);
	}
	return r < 0 ? AERR(a, r, "out of memory") : 0;
}

/* The /dev/vfio node of a PCI function's IOMMU group, given to the VM's owner. */
static int plan_pci_node(struct pt_attach *a, struct pt_plan *p, struct pt_lease_dev *d,
			 const char *bdf, bool missing_ok)
{
	struct pt_pci_dev *dev = pt_pci_dev_find(a->ctx, bdf);
	char grp[16], rel[32], hint[PT_NAME_MAX + 96];
	int g = dev ? pt_pci_dev_get_iommu_group(dev) : -1;

	if (g < 0)
		return missing_ok ? 0 : AERR(a, -ENODEV, "request '%s': %s: %s", d->request, bdf,
					     dev ? "in no IOMMU group" : "is gone");
	snprintf(grp, sizeof(grp), "%d", g);
	if (pt__dev_vfio_group_rel(grp, rel, sizeof(rel)) < 0)
		return AERR(a, -EINVAL, "request '%s': %s: bad IOMMU group %d", d->request, bdf, g);
	snprintf(hint, sizeof(hint), "is %s on vfio-pci? see 'pt group show %s'", bdf, d->group);
	return plan_node(a, p, d, rel, missing_ok, hint);
}

static enum pt__placement group_placement(struct pt_group *g)
{
	const char *v = pt_group_get_setting(g, "placement");

	return v && !strcasecmp(v, "spread") ? PT__PLACE_SPREAD : PT__PLACE_PACK;
}

static bool group_bool(struct pt_group *g, const char *key, bool dflt)
{
	const char *v = pt_group_get_setting(g, key);
	int b = v ? pt__parse_bool(v) : -1;

	return b < 0 ? dflt : b;
}

/* Fill a lease entry for unit s of group g, the k-th of its request. */
static int lease_fill(struct pt_lease *l, struct pt_lease_dev *d, struct pt_request *rq,
		      struct pt_group *g, struct usrc *s, int k)
{
	char name[PT_NAME_MAX + 16];
	int r = 0;

	if (k)
		snprintf(name, sizeof(name), "%s.%d", rq->name, k);
	else
		snprintf(name, sizeof(name), "%s", rq->name);
	d->name = strdup(name);
	d->request = strdup(rq->name);
	d->group = strdup(rq->group);
	d->type = pt_group_get_type(g);
	d->migratable = group_migratable(g);
	if (!d->name || !d->request || !d->group)
		return -ENOMEM;
	switch (d->type) {
	case PT_GROUP_PCI:
		d->functions = calloc(s->n_fns, sizeof(*d->functions));
		if (!d->functions)
			return -ENOMEM;
		for (int i = 0; i < s->n_fns; i++) {
			d->functions[i] = strdup(pt_pci_dev_get_bdf(s->fns[i]));
			if (!d->functions[i])
				return -ENOMEM;
			d->n_functions++;
		}
		break;
	case PT_GROUP_SRIOV_NIC: {
		char mac[18];

		d->functions = calloc(1, sizeof(*d->functions));
		if (!d->functions || !(d->functions[0] = strdup(s->key)))
			return -ENOMEM;
		d->n_functions = 1;
		d->pf = strdup(pt_pci_dev_get_bdf(pt_pci_dev_get_physfn(s->dev)));
		d->vf_index = pt_pci_dev_get_vf_index(s->dev);
		/* a tenant's VF has the MAC its grant set; a host VM's gets its own */
		if (!strchr(rq->group, ':') ||
		    pt__tenant_vf_mac(l->ctx, rq->group, s->key, mac) < 0)
			pt__stable_mac(l->vm, rq->name, k, mac);
		d->mac = strdup(mac);
		if (!d->pf || !d->mac)
			return -ENOMEM;
		break;
	}
	case PT_GROUP_VGPU:
		if (s->tmdev) {
			/* the tenant's instance: made at grant, kept at stop */
			d->mode = strdup("mdev");
			d->mdev_uuid = strdup(s->key);
			d->mdev_parent = strdup(pt_mdev_parent_get_name(s->tparent));
			d->mdev_type = strdup(pt_mdev_get_type_id(s->tmdev) ? pt_mdev_get_type_id(s->tmdev) : "");
			if (!d->mode || !d->mdev_uuid || !d->mdev_parent || !d->mdev_type)
				return -ENOMEM;
		} else if (s->mtype) {
			char uuid[37];

			d->mode = strdup("mdev");
			pt__stable_uuid(l->vm, name, uuid);
			d->mdev_uuid = strdup(uuid);
			d->mdev_parent = strdup(pt_mdev_parent_get_name(pt_mdev_type_get_parent(s->mtype)));
			d->mdev_type = strdup(pt_mdev_type_get_id(s->mtype));
			if (!d->mode || !d->mdev_uuid || !d->mdev_parent || !d->mdev_type)
				return -ENOMEM;
		} else {
			d->mode = strdup("vf");
			/* a tenant's VF has its type from the grant */
			d->vgpu_type = strchr(rq->group, ':') ? pt_pci_dev_get_current_vgpu_type(s->dev) :
				       pt__vgpu_vf_type_id(s->dev, pt_group_get_setting(g, "profile"));
			d->functions = calloc(1, sizeof(*d->functions));
			if (!d->mode || !d->functions || !(d->functions[0] = strdup(s->key)))
				return -ENOMEM;
			d->n_functions = 1;
		}
		break;
	case PT_GROUP_USB:
		d->usb_name = strdup(s->key);
		d->usb_port_path = strdup(pt_usb_dev_get_port_path(s->usb));
		if (pt_usb_dev_get_serial(s->usb) && *pt_usb_dev_get_serial(s->usb))
			d->usb_serial = strdup(pt_usb_dev_get_serial(s->usb));
		d->usb_busnum = pt_usb_dev_get_busnum(s->usb);
		d->usb_devnum = pt_usb_dev_get_devnum(s->usb);
		d->usb_vendor = pt_usb_dev_get_vendor_id(s->usb);
		d->usb_product = pt_usb_dev_get_product_id(s->usb);
		d->guest_reset = group_bool(g, "guest_reset", true);
		d->guest_resets_all = group_bool(g, "guest_resets_all", false);
		if (!d->usb_name || !d->usb_port_path)
			return -ENOMEM;
		break;
	}
	return r;
}

/* Allocate one request into the lease; error in a->error. */
static int allocate(struct pt_attach *a, struct pt_vm *vm, struct pt_request *rq,
		    struct held *h, struct pt_lease *l)
{
	struct pt_ctx *ctx = a->ctx;
	struct pt_group *g = pt__tenant_group_resolve(ctx, rq->group, NULL);
	struct units us = { 0 };
	struct pt__alloc_req req = {
		.count = rq->count, .numa_node = vm->numa_node,
		.numa_strict = vm->numa_strict,
	};
	char err[512] = "", why[512] = "";
	int *picked = NULL, *scratch = NULL;
	int r, n_applied = 0, n_members;
	struct pt_vgpu_profile vprof;

	if (!g && strchr(rq->group, ':') && pt_tenant_load(ctx, NULL) < 0)
		return AERR(a, -EINVAL, "VM '%s' request '%s': %s", vm->name, rq->name,
			    ctx->tenants_error ? ctx->tenants_error : "tenants.d is invalid");
	if (!g)
		return AERR(a, -ENOENT, "VM '%s' request '%s': no group '%s'; create it or "
			    "remove the request with 'pt attach remove %s %s'", vm->name,
			    rq->name, rq->group, vm->name, rq->name);
	n_members = pt_group_get_num_members(g);
	req.placement = group_placement(g);
	vgpu_req(g, &req, &vprof);
	h->tenant_group = strchr(rq->group, ':') ? rq->group : NULL;
	r = units_build(ctx, g, h, vm->name, &us, err, sizeof(err));
	h->tenant_group = NULL;
	if (r == -EBUSY)
		AERR(a, r, "VM '%s' request '%s': %s", vm->name, rq->name, err);
	if (r < 0)
		goto out;
	/* what earlier requests of this VM took from the same mdev parents */
	for (size_t i = 0; i < us.n; i++) {
		if (!us.s[i].mtype)
			continue;
		for (int k = 0; k < l->n_devs; k++)
			if (l->devs[k]->mdev_parent &&
			    !strcmp(l->devs[k]->mdev_parent, us.u[i].key)) {
				us.u[i].capacity--;
				us.u[i].used++;
			}
	}
	for (size_t i = 0; i < us.n; i++)
		n_applied += !us.s[i].not_applied;
	picked = calloc(rq->count, sizeof(*picked));
	scratch = calloc(us.n + 1, sizeof(*scratch));
	if (!picked || !scratch) {
		r = -ENOMEM;
		goto out;
	}
	r = pt__alloc_pick(us.u, us.n, &req, picked, scratch, why, sizeof(why));
	if (r == -EBUSY) {
		if (!n_members)
			AERR(a, r, "VM '%s' request '%s': group '%s' has no members on this host; "
			     "see 'pt group show %s'", vm->name, rq->name, rq->group, rq->group);
		else if (!n_applied && strchr(rq->group, ':'))
			/* the why names the replay its tenant's grant waits for */
			AERR(a, r, "VM '%s' request '%s': tenant group '%s' is not in place on "
			     "this host (%s)", vm->name, rq->name, rq->group, why);
		else if (!n_applied)
			AERR(a, r, "VM '%s' request '%s': group '%s' is not applied on this host "
			     "(%s); run 'pt group apply %s'", vm->name, rq->name, rq->group,
			     why, rq->group);
		else
			AERR(a, r, "VM '%s' request '%s': group '%s' cannot give %d now (%s); "
			     "stop a VM that holds one, or add devices to the group",
			     vm->name, rq->name, rq->group, rq->count, why);
		goto out;
	}
	if (r < 0)
		goto out;
	for (int k = 0; k < rq->count; k++) {
		struct usrc *s = &us.s[picked[k]];
		struct pt_lease_dev *d = pt__lease_dev_add(l);

		if (!d) {
			r = -ENOMEM;
			goto out;
		}
		r = lease_fill(l, d, rq, g, s, k);
		if (r < 0)
			goto out;
		/* later requests of this VM see these as taken */
		for (int f = 0; f < d->n_functions && !r; f++)
			r = held_add(h, d->functions[f], vm->name);
		if (!r && d->usb_name)
			r = held_add(h, d->usb_name, vm->name);
		if (!r && d->mdev_uuid)
			r = held_add(h, d->mdev_uuid, vm->name);
		if (r < 0)
			goto out;
	}
out:
	if (r == -ENOMEM)
		AERR(a, r, "out of memory");
	free(picked);
	free(scratch);
	units_free(&us);
	return r;
}

/* ---- preparation: plans of the engine --------------------------------------- */

/*
 * The lease around a plan's run: start records it ("starting", with the
 * starter's pid) before the first change and again ("running") after the
 * last; a start undone removes it. A stop removes it once everything it
 * held is undone, and keeps it otherwise.
 */
struct lease_hook {
	struct pt_attach *a;
	struct pt_lease *l;
	int pid;
	bool stop;
};

static int lease_begin(struct pt_plan *p, void *owner)
{
	struct lease_hook *h = owner;

	(void)p;
	if (h->stop)
		return 0;
	free(h->l->state);
	h->l->state = strdup("starting");
	h->l->pid = getpid();
	h->l->starttime = pt__pid_starttime(h->l->pid);
	if (!h->l->state)
		return -ENOMEM;
	return pt__lease_write(h->l, h->a->error, sizeof(h->a->error));
}

static int lease_end(struct pt_plan *p, void *owner, int rc, bool undone)
{
	struct lease_hook *h = owner;
	struct pt_lease *l = h->l;
	char err[256];
	int r;

	(void)p;
	if (h->stop)
		return rc ? rc : pt__lease_remove(h->a->ctx, l->vm, h->a->error,
						  sizeof(h->a->error));
	if (rc < 0) {
		/* a lease whose changes were not all undone stays, for stop and gc */
		if (undone)
			pt__lease_remove(h->a->ctx, l->vm, err, sizeof(err));
		return rc;
	}
	free(l->state);
	l->state = strdup("running");
	l->pid = h->pid;
	l->starttime = h->pid ? pt__pid_starttime(h->pid) : 0;
	if (!l->state)
		return -ENOMEM;
	r = pt__lease_write(l, h->a->error, sizeof(h->a->error));
	return r;
}

static const struct pt__plan_hooks lease_hooks = {
	.begin = lease_begin,
	.end = lease_end,
};

static bool mdev_present(struct pt_mdev_parent *p, const char *uuid)
{
	struct pt_mdev *m;

	pt_mdev_foreach(p, m)
		if (!strcmp(pt_mdev_get_uuid(m), uuid))
			return true;
	return false;
}

/*
 * A device of a tenant group ("TENANT:GROUP"): thick, its instance, vGPU
 * type and MAC made by the grant and kept until revoke (tenant.c).
 */
static bool thick(const struct pt_lease_dev *d)
{
	return d->group && strchr(d->group, ':');
}

/* The steps that give a prepared device's nodes to the VM's owner. */
static int plan_owner(struct pt_attach *a, struct pt_plan *p, struct pt_lease_dev *d)
{
	int r = 0;

	if (a->uid == (uid_t)-1 && a->gid == (gid_t)-1)
		return 0;
	if (d->mdev_uuid && thick(d)) {
		/* a tenant's instance stays after stop: its node is given back then */
		struct pt_mdev_parent *par = pt_mdev_parent_find(a->ctx, d->mdev_parent);
		char grp[16], rel[32], hint[PT_NAME_MAX + 96];
		struct pt_mdev *m;
		int g = -1;

		if (par)
			pt_mdev_foreach(par, m)
				if (!strcmp(pt_mdev_get_uuid(m), d->mdev_uuid))
					g = pt_mdev_get_iommu_group(m);
		snprintf(grp, sizeof(grp), "%d", g);
		if (g < 0 || pt__dev_vfio_group_rel(grp, rel, sizeof(rel)) < 0)
			return AERR(a, -ENODEV, "request '%s': mdev %s: in no IOMMU group", d->request,
				    d->mdev_uuid);
		snprintf(hint, sizeof(hint), "is the instance's vfio driver loaded? see 'pt group "
			 "show %s'", d->group);
		return plan_node(a, p, d, rel, false, hint);
	}
	if (d->mdev_uuid) {
		char desc[PATH_MAX + 160];

		/* the instance's own IOMMU group: known once it exists */
		snprintf(desc, sizeof(desc), "give %s/vfio/<IOMMU group of mdev %s> to %s (mode +%04o)",
			 pt_get_dev_root(a->ctx), d->mdev_uuid, a->owner,
			 (unsigned int)owner_bits(a));
		r = pt__devnode_plan_set_mdev(p, d->mdev_uuid, a->uid, a->gid, owner_bits(a),
					      PT__DEVNODE_ADD_MODE, desc);
		return r < 0 ? AERR(a, r, "out of memory") : 0;
	}
	if (d->type == PT_GROUP_USB) {
		char rel[32];

		if (d->usb_devnum <= 0 ||
		    pt__dev_usb_rel(d->usb_busnum, d->usb_devnum, rel, sizeof(rel)) < 0)
			return AERR(a, -ENODEV, "request '%s': USB device %s has no device number",
				    d->request, d->usb_name);
		return plan_node(a, p, d, rel, false, "is usbfs mounted on /dev/bus/usb?");
	}
	/* one node per IOMMU group (the functions of a pci unit share it) */
	for (int f = 0; f < d->n_functions && !r; f++)
		r = plan_pci_node(a, p, d, d->functions[f],
				  d->mode && !strcmp(d->mode, "vf"));
	return r;
}

/* Is the PF a network controller (class 02)? Only its VFs get a MAC. */
static bool pf_is_network(struct pt_ctx *ctx, const char *pfbdf)
{
	struct pt_pci_dev *pf = pfbdf ? pt_pci_dev_find(ctx, pfbdf) : NULL;

	return pf && (pt_pci_dev_get_class(pf) >> 16) == 0x02;
}

/* The PF's interface, through which its VFs' MACs are set; NULL when none. */
static const char *pf_ifname(struct pt_ctx *ctx, const char *pfbdf)
{
	struct pt_pci_dev *pf = pfbdf ? pt_pci_dev_find(ctx, pfbdf) : NULL;
	struct pt_netdev *nd = pf ? pt_netdev_get_first(pf) : NULL;

	return nd ? pt_netdev_get_name(nd) : NULL;
}

/*
 * The VF's stable MAC, set over netlink on the PF's interface before the
 * VM starts (the way libvirt sets a hostdev interface's MAC). On the
 * running system the MAC it had is read now and recorded in the lease,
 * so that stop sets it again.
 */
static int plan_mac(struct pt_attach *a, struct pt_plan *p, struct pt_lease_dev *d)
{
	const char *ifname = pf_ifname(a->ctx, d->pf);
	unsigned char mac[6], before[6];
	char desc[256], err[512], text[18];
	bool have_before = false;
	int r;

	if (!d->mac || pt__vf_mac_parse(d->mac, mac) < 0)
		return AERR(a, -EINVAL, "request '%s': bad MAC '%s'", d->request,
			    d->mac ? d->mac : "");
	if (!ifname)
		return AERR(a, -ENODEV, "request '%s': PF %s has no network interface to set "
			    "the MAC of VF %d through; bind the PF to its network driver",
			    d->request, d->pf, d->vf_index);
	if (pt_is_live(a->ctx)) {
		r = pt__vf_plan_read_mac(p, ifname, d->vf_index, before, err, sizeof(err));
		if (r < 0)
			return AERR(a, r, "request '%s': %s", d->request, err);
		pt__vf_mac_format(before, text);
		free(d->mac_before);
		d->mac_before = strdup(text);
		if (!d->mac_before)
			return AERR(a, -ENOMEM, "out of memory");
		have_before = true;
	}
	snprintf(desc, sizeof(desc), "set the MAC of VF %d of %s (%s) to %s", d->vf_index,
		 ifname, d->pf, d->mac);
	r = pt__vf_plan_mac(p, d->pf, ifname, d->vf_index, mac, have_before ? before : NULL,
			    desc);
	return r < 0 ? AERR(a, r, "out of memory") : 0;
}

/* The steps that prepare a lease's devices. */
static int plan_start(struct pt_attach *a, struct pt_plan *p, struct pt_lease *l)
{
	struct pt_ctx *ctx = a->ctx;
	int r = 0;

	for (int i = 0; i < l->n_devs && !r; i++) {
		struct pt_lease_dev *d = l->devs[i];

		if (thick(d)) {
			/* a tenant's: instance, vGPU type and MAC were made at grant */
			struct pt_mdev_parent *par = d->mdev_uuid ?
						     pt_mdev_parent_find(ctx, d->mdev_parent) : NULL;

			if (d->mdev_uuid && (!par || !mdev_present(par, d->mdev_uuid)))
				return AERR(a, -ENODEV, "request '%s': the instance %s of tenant group "
					    "'%s' is gone from %s (a reboot?): run 'pt tenant apply'",
					    d->request, d->mdev_uuid, d->group, d->mdev_parent);
		} else if (d->mdev_uuid) {
			struct pt_mdev_parent *par = pt_mdev_parent_find(ctx, d->mdev_parent);
			struct pt_mdev_type *t, *found = NULL;

			if (!par)
				return AERR(a, -ENODEV, "%s: the mdev parent is gone", d->mdev_parent);
			d->created = true;
			if (mdev_present(par, d->mdev_uuid)) {
				/* left by a start killed half-way and undone by nobody */
				note(a, "mdev %s exists on %s already", d->mdev_uuid, d->mdev_parent);
			} else {
				pt_mdev_type_foreach(par, t)
					if (!strcmp(pt_mdev_type_get_id(t), d->mdev_type))
						found = t;
				if (!found)
					return AERR(a, -ENODEV, "%s: offers no mdev type %s now",
						    d->mdev_parent, d->mdev_type);
				r = pt__mdev_plan_create(p, found, d->mdev_uuid, NULL);
			}
		} else if (d->mode && !strcmp(d->mode, "vf")) {
			r = pt__nvvgpu_plan_set_type(p, d->functions[0], 0, d->vgpu_type);
		} else if (d->type == PT_GROUP_SRIOV_NIC && pf_is_network(a->ctx, d->pf)) {
			/* a MAC only for a NIC's VF: an NVMe VF has none */
			r = plan_mac(a, p, d);
		}
		if (!r)
			r = plan_owner(a, p, d);
	}
	return r;
}

/* Give a device's nodes back their owner and mode, where they differ now. */
static int plan_owner_back(struct pt_attach *a, struct pt_plan *p, struct pt_lease_dev *d)
{
	const char *root = pt_get_dev_root(a->ctx);

	for (int k = d->n_nodes - 1; k >= 0; k--) {
		const struct pt_lease_node *n = &d->nodes[k];
		struct pt__devnode_owner now;
		char desc[PATH_MAX + 128];
		int r = pt__devnode_read(a->ctx, n->rel, &now);

		if (r == -ENOENT)
			continue;	/* gone with its device: nothing to give back */
		if (!r && now.uid == n->before.uid && now.gid == n->before.gid &&
		    now.mode == n->before.mode)
			continue;
		snprintf(desc, sizeof(desc), "give %s/%s back to %u:%u (mode %04o)", root, n->rel,
			 (unsigned int)n->before.uid, (unsigned int)n->before.gid,
			 (unsigned int)n->before.mode);
		r = pt__devnode_plan_set(p, n->rel, n->before.uid, n->before.gid,
					 n->before.mode, 0, NULL, desc);
		if (r < 0)
			return AERR(a, r, "out of memory");
	}
	return 0;
}

/*
 * The VF's MAC from before start, where start recorded one (the running
 * system) and the VF still has the MAC start set: another one is not ours.
 */
static int plan_mac_back(struct pt_attach *a, struct pt_plan *p, struct pt_lease_dev *d)
{
	unsigned char before[6], want[6], now[6];
	char desc[256], err[512];
	const char *ifname;
	int r;

	/* only what start recorded, on the running system: no scan otherwise */
	if (d->type != PT_GROUP_SRIOV_NIC || !d->mac_before || !d->mac ||
	    !pt_is_live(a->ctx) || pt__vf_mac_parse(d->mac_before, before) < 0 ||
	    pt__vf_mac_parse(d->mac, want) < 0)
		return 0;
	ifname = pf_ifname(a->ctx, d->pf);
	if (!ifname)
		return 0;
	r = pt__vf_plan_read_mac(p, ifname, d->vf_index, now, err, sizeof(err));
	if (r < 0) {
		/* the VF or its PF is gone: nothing to give back */
		note(a, "request '%s': MAC not restored: %s", d->request, err);
		return 0;
	}
	if (memcmp(now, want, 6))
		return 0;
	snprintf(desc, sizeof(desc), "set the MAC of VF %d of %s (%s) back to %s", d->vf_index,
		 ifname, d->pf, d->mac_before);
	r = pt__vf_plan_mac(p, d->pf, ifname, d->vf_index, before, NULL, desc);
	return r < 0 ? AERR(a, r, "out of memory") : 0;
}

/* The steps that undo what start prepared; read from the host, so right from any point. */
static int plan_stop(struct pt_attach *a, struct pt_plan *p, struct pt_lease *l)
{
	struct pt_ctx *ctx = a->ctx;
	int r = 0;

	for (int i = l->n_devs - 1; i >= 0 && !r; i--) {
		struct pt_lease_dev *d = l->devs[i];

		r = plan_owner_back(a, p, d);
		if (r < 0)
			break;
		r = plan_mac_back(a, p, d);
		if (r < 0)
			break;
		if (thick(d)) {
			/* a tenant's instance or VF type stays: its grant made it */
		} else if (d->mdev_uuid) {
			struct pt_mdev_parent *par = pt_mdev_parent_find(ctx, d->mdev_parent);

			if (par && mdev_present(par, d->mdev_uuid))
				r = pt__mdev_plan_remove(p, par, d->mdev_uuid);
		} else if (d->mode && !strcmp(d->mode, "vf") && d->n_functions) {
			struct pt_pci_dev *vf = pt_pci_dev_find(ctx, d->functions[0]);
			unsigned int cur = vf ? pt_pci_dev_get_current_vgpu_type(vf) : 0;

			/* only the type this lease set: another one is not ours */
			if (cur && cur == d->vgpu_type)
				r = pt__nvvgpu_plan_set_type(p, d->functions[0], cur, 0);
		}
	}
	return r;
}

/*
 * Prepare (stop: undo) a lease's devices as one plan of the engine, the
 * lease written by its hooks; dry: only say what would be done.
 */
static int run_plan(struct pt_attach *a, struct pt_lease *l, bool stop, bool dry, int pid)
{
	struct lease_hook h = { .a = a, .l = l, .pid = pid, .stop = stop };
	char subject[PT_NAME_MAX + 8], hint[PT_NAME_MAX + 96];
	struct pt_plan *p;
	int r;

	snprintf(subject, sizeof(subject), "VM '%s'", l->vm);
	r = pt__plan_new(a->ctx, l->vm, stop ? "stop" : "start", subject,
			 dry ? PT_PLAN_DRY_RUN : 0, &p);
	if (r < 0) {
		pt_plan_free(p);
		return AERR(a, r, "out of memory");
	}
	r = stop ? plan_stop(a, p, l) : plan_start(a, p, l);
	if (r == -ENOMEM)
		AERR(a, r, "out of memory");
	if (!r && stop) {
		snprintf(hint, sizeof(hint), "; the lease stays: stop the VM's process, then "
			 "run 'pt attach stop %s' again", l->vm);
		pt__plan_set_no_rollback(p, hint);
	}
	if (!r && dry) {
		for (int i = 0; i < pt_plan_get_num_steps(p); i++)
			note(a, "%s", pt_step_get_description(pt_plan_get_step(p, i)));
	} else if (!r) {
		pt__plan_set_hooks(p, &lease_hooks, &h);
		r = pt_plan_execute(p);
		if (r < 0 && pt_plan_get_error(p))
			AERR(a, r, "%s", pt_plan_get_error(p));
		for (int i = 0; i < pt_plan_get_num_steps(p); i++) {
			struct pt_step *s = pt_plan_get_step(p, i);

			if (!strcmp(pt_step_get_status(s), "done"))
				note(a, "%s", pt_step_get_description(s));
		}
	}
	for (int i = 0; i < pt_plan_get_num_notes(p); i++)
		note(a, "%s", pt_plan_get_note(p, i));
	pt_plan_free(p);
	return r;
}

/* Is vm one of the host's VMs (vms.d/<vm>.ini below the conf dir)? */
bool pt__conf_has_vm(struct pt_ctx *ctx, const char *vm)
{
	char rel[PT_NAME_MAX + 16];
	struct stat sb;
	int cfd = open(pt_get_conf_dir(ctx), O_PATH | O_DIRECTORY | O_CLOEXEC);
	bool has;

	if (cfd < 0 || !pt__name_is_valid(vm)) {
		if (cfd >= 0)
			close(cfd);
		return false;
	}
	snprintf(rel, sizeof(rel), VMS_PREFIX "%s.ini", vm);
	has = fstatat(cfd, rel, &sb, AT_SYMLINK_NOFOLLOW) == 0;
	close(cfd);
	return has;
}

static int load_state(struct pt_attach *a, struct pt_vm **vmp, const char *vm)
{
	struct pt_ctx *ctx = a->ctx;
	const char *e;
	int r;

	r = pt_vm_load(ctx, &e);
	if (r < 0)
		/* a tenant's file not its own to use, or planted: kept apart from invalid */
		return AERR(a, r == -ENOMEM || r == -EACCES || r == -EPERM || r == -ENOENT ? r :
			    -EINVAL, "%s", e ? e : strerror(-r));
	r = pt_conf_load(ctx);
	if (r < 0)
		return AERR(a, r == -ENOMEM ? r : -EINVAL, "%s",
			    pt_conf_get_error(ctx) ? pt_conf_get_error(ctx) : strerror(-r));
	if (!vmp)
		return 0;
	*vmp = pt_vm_find(ctx, vm);
	if (!*vmp && ctx->tenant && pt__conf_has_vm(ctx, vm))
		return AERR(a, -EACCES, "tenant '%s': VM '%s' is one of the host's, which are "
			    "root's; a tenant's admins act on its own VMs (see 'pt attach list')",
			    ctx->tenant, vm);
	if (!*vmp)
		return AERR(a, -ENOENT, "no VM '%s'; give it a device with 'pt attach add %s GROUP'",
			    vm, vm);
	if (!(*vmp)->requests)
		return AERR(a, -ENOENT, "VM '%s' requests no devices; add one with "
			    "'pt attach add %s GROUP'", vm, vm);
	return 0;
}

/*
 * ---- what a start reads of the host: a narrowed PCI scan ----------------------
 *
 * A start needs the members of the groups its VM asks for, and what units
 * and plans relate to them (VFs, PFs, IOMMU groups). When every rule of those
 * groups is filed under an equality clause on a field a function's uevent
 * and name give, a function none of whose values is filed can be no member:
 * the scan reads only uevent (and the IOMMU group) of each function and the
 * rest of the candidates alone (pt__pci_scan_narrow). Members are then
 * computed over the candidates exactly as over the whole host, in BDF
 * order, so the allocator sees the same units. Any other rule, or a model
 * already scanned, leaves the scan as it is.
 */
static const char *const narrow_fields[] = {
	"slot", "vendor_id", "device_id", "subsystem_vendor_id", "subsystem_device_id",
	"class_id", "driver", NULL,
};

struct narrow {
	struct pt_rule_set **sets;
	enum pt_group_type *types;
	size_t n_sets;
	char **mdev;			/* class/mdev_bus names, sorted */
	size_t n_mdev;
};

static int cmp_name(const void *key, const void *elem)
{
	return strcmp(key, *(char *const *)elem);
}

static bool narrow_keep(struct pt_pci_dev *d, void *data)
{
	struct narrow *nw = data;

	/* an mdev parent left out would pass for one that is no PCI function */
	if (nw->n_mdev && bsearch(pt_pci_dev_get_bdf(d), nw->mdev, nw->n_mdev,
				  sizeof(*nw->mdev), cmp_name))
		return true;
	for (size_t i = 0; i < nw->n_sets; i++) {
		struct pt_dev_view v = { .type = nw->types[i], .pci = d, .vf_index = -1 };
		const size_t *cand;

		/* an error keeps the function: reading it whole is never wrong */
		if (pt__rule_set_candidates(nw->sets[i], &v, &cand) != 0)
			return true;
	}
	return false;
}

int pt__attach_narrow(struct pt_ctx *ctx, struct pt_group *const *groups, size_t n)
{
	struct narrow nw = { 0 };
	int r = 0;

	if (ctx->pci_scanned)
		return 0;
	nw.sets = calloc(n + 1, sizeof(*nw.sets));
	nw.types = calloc(n + 1, sizeof(*nw.types));
	if (!nw.sets || !nw.types) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct pt_group *g = groups[i];
		struct pt_rule_set *set;

		/* no group: allocate() refuses it; a usb group reads no PCI function */
		if (!g || pt_group_get_type(g) == PT_GROUP_USB)
			continue;
		if (pt_group_get_type(g) == PT_GROUP_VGPU && !nw.mdev &&
		    (r = pt__mdev_bus_names(ctx, &nw.mdev, &nw.n_mdev)) < 0)
			goto out;
		r = pt__group_rule_set(g, &set);
		if (r < 0)
			goto out;
		nw.types[nw.n_sets] = pt_group_get_type(g);
		nw.sets[nw.n_sets++] = set;
		if (!pt__rule_set_keys_within(set, narrow_fields)) {
			dbg(ctx, "group '%s': a rule without an equality clause on %s: "
			    "scanning every PCI function\n", pt_group_get_name(g),
			    "ids, slot or driver");
			r = 0;
			goto out;
		}
	}
	r = pt__pci_scan_narrow(ctx, narrow_keep, &nw);
out:
	for (size_t i = 0; i < nw.n_sets; i++)
		pt__rule_set_free(nw.sets[i]);
	free(nw.sets);
	free(nw.types);
	for (size_t i = 0; i < nw.n_mdev; i++)
		free(nw.mdev[i]);
	free(nw.mdev);
	return r;
}

/* The groups a VM's requests name, narrowed for (pt__attach_narrow). */
static int narrow_begin(struct pt_ctx *ctx, struct pt_vm *vm)
{
	struct pt_group **groups;
	struct pt_request *rq;
	size_t n = 0;
	int r;

	if (ctx->pci_scanned)
		return 0;
	for (rq = vm->requests; rq; rq = rq->next)
		n++;
	groups = calloc(n + 1, sizeof(*groups));
	if (!groups)
		return -ENOMEM;
	n = 0;
	for (rq = vm->requests; rq; rq = rq->next)
		groups[n++] = pt__tenant_group_resolve(ctx, rq->group, NULL);
	r = pt__attach_narrow(ctx, groups, n);
	free(groups);
	return r;
}

void pt__attach_narrow_end(struct pt_ctx *ctx)
{
	pt__groups_forget_members(ctx);
	pt__iommu_free(ctx);
	pt__pci_free(ctx);
	ctx->critical_scanned = false;
}

static bool lease_alive(struct pt_lease *l)
{
	return pt__lease_pid_alive(l->pid, l->starttime);
}

static int warn_add(struct pt_attach *a, char **w, int n)
{
	int r = 0;

	for (int i = 0; i < n; i++) {
		if (!r && pt__strv_add(&a->warns, &a->n_warns, "%s", w[i]) < 0)
			r = -ENOMEM;
		free(w[i]);
	}
	free(w);
	return r;
}

/* A tenant's lease that holds nothing any more (as gc frees it). */
static bool lease_gone(struct pt_lease *l)
{
	return (l->pid || !strcmp(l->state, "starting")) && !lease_alive(l);
}

/*
 * The units a tenant's own VMs hold, for a start that draws from its
 * groups: read under the tenant's lock (a bounded wait; the fd goes to
 * *locks) as untrusted input; a lease of a process that is gone holds
 * nothing. For root's start of a host VM naming a tenant group.
 */
static int tenant_held(struct pt_attach *a, const char *tenant, struct held *h,
		       struct pt_lease ***keep, size_t *n_keep, int *lockfd, bool dry)
{
	struct pt_ctx *ctx = a->ctx;
	struct pt_lease **ls = NULL;
	char **w = NULL;
	size_t n = 0;
	int dfd, r, nw = 0;

	dfd = pt__tdir_open(ctx, tenant, a->error, sizeof(a->error));
	if (dfd == -ENOENT)
		return 0;
	if (dfd < 0)
		return dfd;
	if (!dry) {
		r = pt__tdir_lock(ctx, tenant, dfd, pt_get_lock_timeout(ctx), a->error,
				  sizeof(a->error));
		if (r < 0) {
			close(dfd);
			return r == -EWOULDBLOCK ? -EBUSY : r;
		}
		*lockfd = r;
	}
	r = pt__tenant_leases_load(ctx, tenant, dfd, false, &ls, &n, &w, &nw, a->error,
				   sizeof(a->error));
	close(dfd);
	{
		int e = warn_add(a, w, nw);	/* frees w */

		if (!r)
			r = e;
	}
	for (size_t i = 0; i < n; i++) {
		struct pt_lease *l = ls[i];

		if (!r && l->foreign && !lease_gone(l))
			r = pt__strv_add(&a->warns, &a->n_warns, "%s; ignored", l->foreign);
		if (!r && !lease_gone(l) && !l->foreign)
			r = held_lease(h, l);
		/* the keys point into the lease: it lives until the start is done */
		if (pt__array_add(*keep, *n_keep, l) < 0) {
			pt__lease_free(l);
			r = -ENOMEM;
		}
	}
	free(ls);
	return r;
}

/*
 * Start (check) a tenant's VM: bookkeeping only. Everything that needs
 * root was done by the grant (vfio-pci, the nodes given to the admins'
 * group, the udev rules), so this allocates from the tenant's groups
 * under the tenant's lock, seeing the host's leases and the tenant's, and
 * writes the lease into the tenant's directory; it changes nothing on the
 * host. A device that would need a host change is refused.
 */
static int tenant_start(struct pt_attach *a, const char *name, int pid, bool dry)
{
	struct pt_ctx *ctx = a->ctx;
	const char *tn = ctx->tenant, *e;
	struct pt_lease **host = NULL, *l = NULL, *old;
	size_t n_host = 0;
	struct held h = { 0 };
	struct pt_request *rq;
	struct pt_vm *vm = NULL;
	int dfd, lockfd = -1, r;
	char *saved;

	dfd = pt__tdir_open(ctx, tn, a->error, sizeof(a->error));
	if (dfd < 0)
		return dfd;
	if (!dry) {
		r = lockfd = pt__tdir_lock(ctx, tn, dfd, pt_get_lock_timeout(ctx), a->error,
					   sizeof(a->error));
		if (r < 0) {
			r = r == -EWOULDBLOCK ? -EBUSY : r;
			goto out;
		}
	}
	/* the grants, VMs and leases as they are under the lock */
	pt__tenants_free(ctx);
	pt__vms_free(ctx);
	r = load_state(a, &vm, name);
	if (r < 0)
		goto out;
	/* the host's leases (root's, trusted), then the tenant's own (untrusted) */
	saved = ctx->tenant;
	ctx->tenant = NULL;
	r = pt_lease_load(ctx, &e);
	if (!r) {
		host = ctx->leases;
		n_host = ctx->n_leases;
		ctx->leases = NULL;
		ctx->n_leases = 0;
	}
	ctx->tenant = saved;
	if (r < 0) {
		AERR(a, r, "%s", e ? e : strerror(-r));
		goto out;
	}
	r = pt_lease_load(ctx, &e);
	if (r < 0) {
		AERR(a, r, "%s", e ? e : strerror(-r));
		goto out;
	}
	old = pt_lease_find(ctx, name);
	if (old && (strcmp(old->state, "starting") || lease_alive(old))) {
		r = AERR(a, -EBUSY, "tenant '%s': VM '%s' is started already (%s, pid %d); stop it "
			 "first with 'pt attach stop %s'", tn, name, old->state, old->pid, name);
		goto out;
	}
	for (size_t i = 0; i < n_host && !r; i++)
		for (int k = 0; k < host[i]->n_devs && !r; k++) {
			struct pt_lease_dev *d = host[i]->devs[k];

			for (int f = 0; f < d->n_functions && !r; f++)
				r = held_add(&h, d->functions[f], host[i]->vm);
			if (!r && d->usb_name)
				r = held_add(&h, d->usb_name, host[i]->vm);
			if (!r && d->mdev_uuid)
				r = held_add(&h, d->mdev_uuid, host[i]->vm);
		}
	if (!r)
		r = held_build(ctx, name, &h);
	l = pt__lease_new(ctx, name);
	if (!r && (!l || !(l->tenant = strdup(tn))))
		r = -ENOMEM;
	for (rq = vm->requests; rq && !r; rq = rq->next)
		r = allocate(a, vm, rq, &h, l);
	if (r < 0)
		goto out;
	{
		char who[2 * PT_NAME_MAX + 2];

		snprintf(who, sizeof(who), "%s/%s", tn, name);
		pt__stable_uuid("tenant", who, l->uuid);
	}
	pt__boot_id(ctx, l->boot_id);
	for (int i = 0; i < l->n_devs && !r; i++) {
		struct pt_lease_dev *d = l->devs[i];

		struct pt_mdev_parent *par = d->mdev_uuid ? pt_mdev_parent_find(ctx, d->mdev_parent) :
					     NULL;
		struct pt_pci_dev *vf = d->mode && !strcmp(d->mode, "vf") && d->n_functions ?
					pt_pci_dev_find(ctx, d->functions[0]) : NULL;

		/* only what the grant made: an instance that exists, a VF's type set */
		if ((d->mdev_uuid && (!par || !mdev_present(par, d->mdev_uuid))) ||
		    (d->mode && !strcmp(d->mode, "vf") &&
		     (!vf || !d->vgpu_type || pt_pci_dev_get_current_vgpu_type(vf) != d->vgpu_type)))
			r = AERR(a, -EOPNOTSUPP, "tenant '%s': VM '%s' request '%s': the vGPU of group "
				 "'%s' would have to be made now, which needs root; a tenant's VM "
				 "takes only devices the grant prepared", tn, name, d->request,
				 d->group);
		/* the VF keeps the MAC it has: setting one needs root */
		free(d->mac);
		d->mac = NULL;
	}
	if (r < 0)
		goto out;
	free(l->state);
	l->state = strdup("running");
	l->pid = pid;
	l->starttime = pid ? pt__pid_starttime(pid) : 0;
	if (!l->state)
		r = -ENOMEM;
	if (!r && !dry)
		r = pt__tenant_lease_write(l, dfd, a->error, sizeof(a->error));
	if (!r && dry)
		note(a, "would write %s/tenants.d/%s.d/%s.lease", pt_get_conf_dir(ctx), tn, name);
out:
	held_free(&h);
	while (n_host)
		pt__lease_free(host[--n_host]);
	free(host);
	if (lockfd >= 0)
		close(lockfd);
	close(dfd);
	if (r == 0) {
		a->lease = l;
		pt_lease_load(ctx, NULL);
	} else {
		pt__lease_free(l);
	}
	if (r == -ENOMEM)
		AERR(a, r, "out of memory");
	return r;
}

static int do_start(struct pt_ctx *ctx, const char *name, int pid, unsigned int flags,
		    bool check, struct pt_attach **out)
{
	struct pt_attach *a = attach_new(ctx);
	bool dry = check || (flags & PT_ATTACH_DRY_RUN);
	struct held h = { 0 };
	struct pt_lease *l = NULL, *old;
	struct pt_request *rq;
	struct pt_vm *vm = NULL;
	struct pt_lease **tls = NULL;
	size_t n_tls = 0;
	int tlocks[8] = { -1, -1, -1, -1, -1, -1, -1, -1 }, n_tlocks = 0;
	const char *e;
	int r, lockfd = -1;
	bool narrowed = false;

	*out = a;
	if (!a)
		return -ENOMEM;
	if (!pt__name_is_valid(name))
		return AERR(a, -EINVAL, "'%s' is not a valid VM name; %s", name ? name : "",
			    PT_NAME_RULES);
	if (pid < 0)
		return AERR(a, -EINVAL, "pid %d: give a process id", pid);
	if (ctx->tenant)
		return tenant_start(a, name, pid, dry);
	r = load_state(a, &vm, name);
	if (r < 0)
		return r;
	r = resolve_owner(a, vm);
	if (r < 0)
		return r;
	if (!dry) {
		lockfd = pt__lease_lock(ctx, a->error, sizeof(a->error));
		if (lockfd < 0)
			return lockfd;
	}
	r = pt_lease_load(ctx, &e);
	if (r < 0) {
		AERR(a, r, "%s", e);
		goto out;
	}
	old = pt_lease_find(ctx, name);
	if (old) {
		if (strcmp(old->state, "starting") || lease_alive(old)) {
			r = AERR(a, -EBUSY, "VM '%s' is started already (%s, pid %d); stop it first "
				 "with 'pt attach stop %s'", name, old->state, old->pid, name);
			goto out;
		}
		/* a start killed half-way: undo it, then start afresh */
		note(a, "a start of VM '%s' (pid %d) was interrupted: undoing it", name, old->pid);
		r = run_plan(a, old, true, dry, 0);
		if (r < 0)
			goto out;
	}
	r = narrow_begin(ctx, vm);
	narrowed = r > 0;
	if (r < 0)
		goto out;
	r = held_build(ctx, name, &h);
	/* a request of a tenant group: what the tenant's own VMs hold of it */
	for (rq = vm->requests; rq && !r; rq = rq->next) {
		const char *colon = strchr(rq->group, ':');
		char tn[PT_NAME_MAX + 1];
		bool seen = false;

		if (!colon || (size_t)(colon - rq->group) > PT_NAME_MAX)
			continue;
		snprintf(tn, sizeof(tn), "%.*s", (int)(colon - rq->group), rq->group);
		for (struct pt_request *p = vm->requests; p != rq; p = p->next)
			seen |= !strncmp(p->group, rq->group, colon - rq->group + 1);
		if (!seen && n_tlocks < 8)
			r = tenant_held(a, tn, &h, &tls, &n_tls, &tlocks[n_tlocks++], dry);
	}
	l = pt__lease_new(ctx, name);
	if (!r && !l)
		r = -ENOMEM;
	for (rq = vm->requests; rq && !r; rq = rq->next)
		r = allocate(a, vm, rq, &h, l);
	if (r < 0)
		goto out;
	/* recorded before any change: a killed start leaves what undoes it */
	r = run_plan(a, l, false, dry, pid);
out:
	held_free(&h);
	for (int i = 0; i < n_tlocks; i++)
		if (tlocks[i] >= 0)
			close(tlocks[i]);
	while (n_tls)
		pt__lease_free(tls[--n_tls]);
	free(tls);
	if (narrowed)
		pt__attach_narrow_end(ctx);
	if (lockfd >= 0)
		close(lockfd);
	if (r == 0) {
		a->lease = l;
		pt_lease_load(ctx, NULL);	/* what a caller iterates next */
	} else {
		pt__lease_free(l);
	}
	if (r == -ENOMEM)
		AERR(a, r, "out of memory");
	return r;
}

PT_EXPORT int pt_attach_start(struct pt_ctx *ctx, const char *vm, int pid, unsigned int flags,
			      struct pt_attach **out)
{
	return do_start(ctx, vm, pid, flags, false, out);
}

PT_EXPORT int pt_attach_check(struct pt_ctx *ctx, const char *vm, struct pt_attach **out)
{
	return do_start(ctx, vm, 0, PT_ATTACH_DRY_RUN, true, out);
}

/* Take a lease out of the context's list (the caller frees it). */
static struct pt_lease *lease_take(struct pt_ctx *ctx, struct pt_lease *l)
{
	for (size_t i = 0; i < ctx->n_leases; i++)
		if (ctx->leases[i] == l) {
			memmove(&ctx->leases[i], &ctx->leases[i + 1],
				(ctx->n_leases - i - 1) * sizeof(*ctx->leases));
			ctx->n_leases--;
			return l;
		}
	return l;
}

static int free_lease(struct pt_attach *a, struct pt_lease *l, bool dry)
{
	return run_plan(a, l, true, dry, 0);
}

/*
 * Free a tenant's leases: vm's (stop), or every one whose process is gone
 * (gc, vm NULL). A tenant's lease holds no host change, so freeing it is
 * removing the file, under the tenant's lock: root never waits for a lock
 * the tenant holds (gc skips the tenant with a warning), and the files
 * are read as untrusted input (strictly by the tenant's own commands; by
 * root's gc, a file that cannot be taken is left, with a warning).
 */
static int tenant_free_leases(struct pt_attach *a, const char *tn, const char *vm, bool dry,
			      bool strict)
{
	struct pt_ctx *ctx = a->ctx;
	struct pt_lease **ls = NULL;
	size_t n = 0;
	char **w = NULL, err[1024];
	int dfd, lockfd = -1, r, nw = 0;

	dfd = pt__tdir_open(ctx, tn, err, sizeof(err));
	if (dfd == -ENOENT && !strict)
		return 0;
	if (dfd < 0)
		return strict ? AERR(a, dfd, "%s", err) :
		       pt__strv_add(&a->warns, &a->n_warns, "%s; skipped", err);
	if (!dry) {
		lockfd = pt__tdir_lock(ctx, tn, dfd, strict ? pt_get_lock_timeout(ctx) : -1, err,
				       sizeof(err));
		if (lockfd < 0) {
			close(dfd);
			if (strict)
				return AERR(a, lockfd == -EWOULDBLOCK ? -EBUSY : lockfd, "%s", err);
			return pt__strv_add(&a->warns, &a->n_warns, "%s; its leases were not "
					    "looked at", err);
		}
	}
	r = pt__tenant_leases_load(ctx, tn, dfd, strict, &ls, &n, &w, &nw, err, sizeof(err));
	if (r < 0) {
		AERR(a, r, "%s", err);
		warn_add(a, w, nw);		/* frees w */
	} else {
		r = warn_add(a, w, nw);
	}
	if (!r && vm) {
		size_t i = 0;

		while (i < n && strcmp(ls[i]->vm, vm))
			i++;
		if (i == n) {
			r = AERR(a, -ENOENT, "tenant '%s': VM '%s' holds no devices (no lease); "
				 "nothing to stop", tn, vm);
		} else {
			char file[PT_NAME_MAX + 8];

			snprintf(file, sizeof(file), "%s.lease", vm);
			r = dry ? 0 : pt__tdir_unlink(dfd, file);
			if (r < 0)
				AERR(a, r, "tenant '%s': %s/tenants.d/%s.d/%s: cannot remove: %s", tn,
				     pt_get_conf_dir(ctx), tn, file, strerror(-r));
			else
				a->lease = ls[i], ls[i] = NULL;
		}
	}
	for (size_t i = 0; !vm && !r && i < n; i++) {
		char file[PT_NAME_MAX + 8];

		if (!lease_gone(ls[i])) {
			if (ls[i]->foreign && !strict)
				r = pt__strv_add(&a->warns, &a->n_warns, "%s; ignored",
						 ls[i]->foreign);
			continue;
		}
		snprintf(file, sizeof(file), "%s.lease", ls[i]->vm);
		r = dry ? 0 : pt__tdir_unlink(dfd, file);
		if (r < 0) {
			AERR(a, r, "tenant '%s': %s/tenants.d/%s.d/%s: cannot remove: %s", tn,
			     pt_get_conf_dir(ctx), tn, file, strerror(-r));
			break;
		}
		/* freed by root's gc: "TENANT:VM" (a host VM's name has no ':') */
		r = pt__strv_add(&a->freed, &a->n_freed, "%s%s%s", ctx->tenant ? "" : tn,
				 ctx->tenant ? "" : ":", ls[i]->vm);
	}
	while (n)
		pt__lease_free(ls[--n]);
	free(ls);
	if (lockfd >= 0)
		close(lockfd);
	close(dfd);
	return r;
}

/* stop and gc: the run dir's lock (not dry; *lockfd), then the leases. */
static int lock_load(struct pt_attach *a, bool dry, int *lockfd)
{
	const char *e;
	int r;

	if (!dry) {
		*lockfd = pt__lease_lock(a->ctx, a->error, sizeof(a->error));
		if (*lockfd < 0)
			return *lockfd;
	}
	r = pt_lease_load(a->ctx, &e);
	if (r < 0)
		AERR(a, r, "%s", e);
	return r;
}

PT_EXPORT int pt_attach_stop(struct pt_ctx *ctx, const char *name, unsigned int flags,
			     struct pt_attach **out)
{
	struct pt_attach *a = attach_new(ctx);
	bool dry = flags & PT_ATTACH_DRY_RUN;
	struct pt_lease *l;
	int r, lockfd = -1;

	*out = a;
	if (!a)
		return -ENOMEM;
	if (!pt__name_is_valid(name))
		return AERR(a, -EINVAL, "'%s' is not a valid VM name; %s", name ? name : "",
			    PT_NAME_RULES);
	if (ctx->tenant) {
		r = tenant_free_leases(a, ctx->tenant, name, dry, true);
		pt_lease_load(ctx, NULL);
		return r;
	}
	r = lock_load(a, dry, &lockfd);
	if (r < 0)
		goto out;
	l = pt_lease_find(ctx, name);
	if (!l) {
		r = AERR(a, -ENOENT, "VM '%s' holds no devices (no lease in %s); nothing to stop",
			 name, pt_get_run_dir(ctx));
		goto out;
	}
	r = free_lease(a, l, dry);
	if (!r)
		a->lease = lease_take(ctx, l);
out:
	if (lockfd >= 0)
		close(lockfd);
	return r;
}

PT_EXPORT int pt_attach_gc(struct pt_ctx *ctx, unsigned int flags, struct pt_attach **out)
{
	struct pt_attach *a = attach_new(ctx);
	bool dry = flags & PT_ATTACH_DRY_RUN;
	int r, lockfd = -1;

	*out = a;
	if (!a)
		return -ENOMEM;
	if (ctx->tenant) {
		r = tenant_free_leases(a, ctx->tenant, NULL, dry, true);
		pt_lease_load(ctx, NULL);
		return r;
	}
	r = lock_load(a, dry, &lockfd);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < ctx->n_leases && !r; i++) {
		struct pt_lease *l = ctx->leases[i];

		/* a running lease without a pid is freed by stop only */
		if ((!l->pid && strcmp(l->state, "starting")) || lease_alive(l))
			continue;
		r = free_lease(a, l, dry);
		if (r < 0)
			break;
		if (pt__strv_add(&a->freed, &a->n_freed, "%s", l->vm) < 0) {
			r = -ENOMEM;
			break;
		}
	}
	/* then every tenant's VMs whose process is gone, never waiting on a tenant */
	if (!r) {
		struct pt_tenant *tn;

		pt_tenant_foreach(ctx, tn)
			if (!r)
				r = tenant_free_leases(a, pt_tenant_get_name(tn), NULL, dry, false);
	}
	if (!dry)
		pt_lease_load(ctx, NULL);
out:
	if (lockfd >= 0)
		close(lockfd);
	return r;
}

PT_EXPORT const char *pt_attach_get_error(struct pt_attach *a)
{
	return a->error[0] ? a->error : NULL;
}

PT_EXPORT struct pt_lease *pt_attach_get_lease(struct pt_attach *a) { return a->lease; }
PT_EXPORT int pt_attach_get_num_freed(struct pt_attach *a) { return a->n_freed; }
PT_EXPORT const char *pt_attach_get_freed(struct pt_attach *a, int idx)
{
	return idx >= 0 && idx < a->n_freed ? a->freed[idx] : NULL;
}
PT_EXPORT int pt_attach_get_num_warnings(struct pt_attach *a) { return a->n_warns; }
PT_EXPORT const char *pt_attach_get_warning(struct pt_attach *a, int idx)
{
	return idx >= 0 && idx < a->n_warns ? a->warns[idx] : NULL;
}
PT_EXPORT int pt_attach_get_num_notes(struct pt_attach *a) { return a->n_notes; }
PT_EXPORT const char *pt_attach_get_note(struct pt_attach *a, int idx)
{
	return idx >= 0 && idx < a->n_notes ? a->notes[idx] : NULL;
}

PT_EXPORT void pt_attach_free(struct pt_attach *a)
{
	if (!a)
		return;
	/* a lease still in the context's list belongs to it */
	if (a->lease) {
		bool listed = false;

		for (size_t i = 0; i < a->ctx->n_leases; i++)
			listed |= a->ctx->leases[i] == a->lease;
		if (!listed)
			pt__lease_free(a->lease);
	}
	for (int i = 0; i < a->n_notes; i++)
		free(a->notes[i]);
	free(a->notes);
	for (int i = 0; i < a->n_freed; i++)
		free(a->freed[i]);
	free(a->freed);
	for (int i = 0; i < a->n_warns; i++)
		free(a->warns[i]);
	free(a->warns);
	free(a);
}

/* ---- tenants: units picked for a grant (tenant.c) -------------------------------- */

int pt__attach_pick_units(struct pt_ctx *ctx, struct pt_group *g, int count, char ***units,
			  int *n, char *why, size_t whylen)
{
	struct held h = { 0 };
	struct units us = { 0 };
	struct pt__alloc_req req = { .count = count, .numa_node = PT_NO_NUMA_NODE };
	struct pt_vgpu_profile vprof;
	int *picked = NULL, *scratch = NULL, r, n_applied = 0;
	char **out = NULL;

	*units = NULL;
	*n = 0;
	if (why && whylen)
		why[0] = '\0';
	if (count < 1)
		return -EINVAL;
	req.placement = group_placement(g);
	vgpu_req(g, &req, &vprof);
	r = held_build(ctx, NULL, &h);
	if (!r)
		r = units_build(ctx, g, &h, NULL, &us, why, whylen);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < us.n; i++)
		n_applied += !us.s[i].not_applied;
	picked = calloc(count, sizeof(*picked));
	scratch = calloc(us.n + 1, sizeof(*scratch));
	out = calloc(count + 1, sizeof(*out));
	if (!picked || !scratch || !out) {
		r = -ENOMEM;
		goto out;
	}
	r = pt__alloc_pick(us.u, us.n, &req, picked, scratch, why, whylen);
	if (r == -EBUSY && !us.n)
		pt__seterr(why, whylen, r, "it has no members on this host");
	else if (r == -EBUSY && !n_applied)
		pt__seterr(why, whylen, r,
			   "it is not applied on this host: run 'pt group apply %s'",
			   pt_group_get_name(g));
	if (r < 0)
		goto out;
	for (int k = 0; k < count; k++) {
		struct usrc *s = &us.s[picked[k]];
		size_t len = 1;

		if (s->fns && s->n_fns) {
			for (int f = 0; f < s->n_fns; f++)
				len += strlen(pt_pci_dev_get_bdf(s->fns[f])) + 1;
			out[k] = calloc(1, len);
			for (int f = 0; out[k] && f < s->n_fns; f++) {
				if (f)
					strcat(out[k], "+");
				strcat(out[k], pt_pci_dev_get_bdf(s->fns[f]));
			}
		} else if (s->mtype) {
			/* an instance to make on this parent: tenant.c names it */
			if (asprintf(&out[k], "@%s", s->key) < 0)
				out[k] = NULL;
		} else {
			out[k] = strdup(s->key);
		}
		if (!out[k]) {
			r = -ENOMEM;
			goto out;
		}
	}
	*units = out;
	*n = count;
	out = NULL;
out:
	if (out)
		for (int k = 0; k < count; k++)
			free(out[k]);
	free(out);
	free(picked);
	free(scratch);
	units_free(&us);
	held_free(&h);
	return r;
}
