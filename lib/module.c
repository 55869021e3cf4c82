// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kernel modules: is one loaded (<sysfs>/module/<name>), and loading one
 * with its dependencies through libkmod, as `modprobe NAME` does (the
 * modprobe.d blacklist applies to aliases only; a module already loaded
 * is success; install commands and softdeps are honoured). Only the
 * running kernel is ever asked to load anything: on fixture roots
 * (!pt_is_live) a load is refused and the caller checks the tree instead.
 *
 * libkmod is loaded at run time, on the first load asked for, with
 * dlopen("libkmod.so.2") (as systemd does since v257, and as nvml.c
 * loads NVML): linked, it brought libz, libzstd, liblzma and libcrypto
 * into every command, ~1.4 MiB resident and the dynamic loader's work,
 * though only a live apply or attach ever loads a module. Its header
 * still types every entry point below.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <libkmod.h>

#include "binder.h"

/* "vfio-pci" as /sys/module names it: "vfio_pci". */
static void modname(const char *name, char *out, size_t len)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < len; i++)
		out[i] = name[i] == '-' ? '_' : name[i];
	out[i] = '\0';
}

bool pt__module_is_loaded(struct pt_ctx *ctx, const char *name)
{
	char mod[PT_NAME_MAX + 1], state[32];
	bool loaded = false;
	int fd, mfd;

	if (!pt__name_is_valid(name))
		return false;
	modname(name, mod, sizeof(mod));
	fd = pt__sysfs_open_dir(ctx, "module");
	if (fd < 0)
		return false;
	mfd = pt__sysfs_openat_dir(fd, mod);
	close(fd);
	if (mfd < 0)
		return false;
	/*
	 * A loadable module shows initstate ("coming" while its init runs,
	 * "going" while it unloads); a built-in one has none.
	 */
	if (pt__sysfs_read(mfd, "initstate", state, sizeof(state)) >= 0)
		loaded = !strcmp(state, "live");
	else
		loaded = true;
	close(mfd);
	return loaded;
}

#define KMOD_SONAME	"libkmod.so.2"

struct pt__kmod {
	void *dl;
	int rc;			/* 0 loaded; -errno: the first try failed */
	char why[320];
	__typeof__(kmod_new) *new;
	__typeof__(kmod_unref) *unref;
	__typeof__(kmod_set_log_fn) *set_log_fn;
	__typeof__(kmod_set_log_priority) *set_log_priority;
	__typeof__(kmod_list_next) *list_next;
	__typeof__(kmod_module_new_from_lookup) *module_new_from_lookup;
	__typeof__(kmod_module_get_module) *module_get_module;
	__typeof__(kmod_module_get_name) *module_get_name;
	__typeof__(kmod_module_probe_insert_module) *module_probe_insert_module;
	__typeof__(kmod_module_unref) *module_unref;
	__typeof__(kmod_module_unref_list) *module_unref_list;
};

#define S(field) { "kmod_" #field, offsetof(struct pt__kmod, field) }
static const struct {
	const char *name;
	size_t off;
} kmod_syms[] = {
	S(new), S(unref), S(set_log_fn), S(set_log_priority), S(list_next),
	S(module_new_from_lookup), S(module_get_module), S(module_get_name),
	S(module_probe_insert_module), S(module_unref), S(module_unref_list),
};
#undef S

static void kmod_free(struct pt_ctx *ctx)
{
	if (!ctx->kmod)
		return;
	if (ctx->kmod->dl)
		dlclose(ctx->kmod->dl);
	free(ctx->kmod);
	ctx->kmod = NULL;
}

static int kmod_dlopen(struct pt__kmod *k, const char *soname)
{
	const char *e;

	dlerror();
	k->dl = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!k->dl) {
		e = dlerror();
		snprintf(k->why, sizeof(k->why), "%s cannot be loaded: %s; install "
			 "libkmod (Debian: apt-get install libkmod2)", soname,
			 e ? e : "not found");
		return -ELIBACC;
	}
	for (size_t i = 0; i < sizeof(kmod_syms) / sizeof(*kmod_syms); i++) {
		void *f;

		dlerror();
		f = dlsym(k->dl, kmod_syms[i].name);
		if (!f) {
			e = dlerror();
			snprintf(k->why, sizeof(k->why), "%s lacks %s: %s; reinstall "
				 "libkmod (Debian: apt-get install --reinstall libkmod2)",
				 soname, kmod_syms[i].name, e ? e : "no such symbol");
			return -ELIBBAD;
		}
		memcpy((char *)k + kmod_syms[i].off, &f, sizeof(f));
	}
	return 0;
}

int pt__kmod_open(struct pt_ctx *ctx, const char *soname,
		  struct pt__kmod **out, char *why, size_t wlen)
{
	struct pt__kmod *k = ctx->kmod;
	int r;

	*out = NULL;
	if (!k) {
		k = calloc(1, sizeof(*k));
		if (!k)
			return -ENOMEM;
		r = pt__ctx_register_free(ctx, kmod_free);
		if (r < 0) {
			free(k);
			return r;
		}
		ctx->kmod = k;
		k->rc = kmod_dlopen(k, soname ? soname : KMOD_SONAME);
		dbg(ctx, "%s: %s\n", soname ? soname : KMOD_SONAME,
		    k->rc ? k->why : "loaded");
	}
	if (k->rc) {
		if (why && wlen)
			snprintf(why, wlen, "%s", k->why);
		return k->rc;
	}
	*out = k;
	return 0;
}

/* libkmod's messages go to the context's log, never to stderr. */
static void kmod_log(void *data, int priority, const char *file, int line,
		     const char *fn, const char *format, va_list args)
{
	struct pt_ctx *ctx = data;
	char msg[512];

	(void)priority;
	(void)file;
	(void)line;
	(void)fn;
	if (pt_get_log_priority(ctx) < LOG_DEBUG)
		return;
	vsnprintf(msg, sizeof(msg), format, args);
	dbg(ctx, "libkmod: %s", msg);
}

static bool modules_dir_is_default(struct pt_ctx *ctx)
{
	struct utsname u;
	char def[sizeof(u.release) + 16];

	if (uname(&u) < 0)
		return false;
	snprintf(def, sizeof(def), "/lib/modules/%s", u.release);
	return !strcmp(ctx->modules_dir, def);
}

static const char *kernel_release(struct utsname *u)
{
	return uname(u) == 0 ? u->release : "$(uname -r)";
}

int pt__module_load(struct pt_ctx *ctx, const char *name, char *err,
		    size_t errlen)
{
	struct kmod_list *list = NULL, *l;
	struct kmod_ctx *kctx = NULL;
	struct pt__kmod *k = NULL;
	struct utsname u;
	char msg[512] = "", why[320];
	int r;

	if (!pt__name_is_valid(name)) {
		snprintf(msg, sizeof(msg), "\"%s\" is no module name",
			 name ? name : "");
		r = -EINVAL;
		goto out;
	}
	if (!pt_is_live(ctx)) {
		snprintf(msg, sizeof(msg), "module %s: not loaded: %s is not the "
			 "running system's sysfs", name, ctx->sysfs_root);
		dbg(ctx, "%s\n", msg);
		r = -EOPNOTSUPP;
		goto out;
	}
	r = pt__kmod_open(ctx, NULL, &k, why, sizeof(why));
	if (r < 0) {
		snprintf(msg, sizeof(msg), "module %s: not loaded: %s", name, why);
		goto fail;
	}
	kctx = k->new(modules_dir_is_default(ctx) ? NULL : ctx->modules_dir,
		      NULL);
	if (!kctx) {
		snprintf(msg, sizeof(msg), "module %s: libkmod cannot start on %s",
			 name, ctx->modules_dir);
		r = -ENOMEM;
		goto fail;
	}
	k->set_log_fn(kctx, kmod_log, ctx);
	k->set_log_priority(kctx, pt_get_log_priority(ctx));

	r = k->module_new_from_lookup(kctx, name, &list);
	if (r < 0) {
		snprintf(msg, sizeof(msg), "module %s: lookup in %s failed: %s",
			 name, ctx->modules_dir, strerror(-r));
		goto fail;
	}
	if (!list) {
		snprintf(msg, sizeof(msg), "module %s not found in %s; install the "
			 "kernel's modules package (Debian: linux-image-%s)",
			 name, ctx->modules_dir, kernel_release(&u));
		r = -ENOENT;
		goto fail;
	}
	/* kmod_list_foreach(), through the loaded kmod_list_next */
	for (l = list; l; l = k->list_next(list, l)) {
		struct kmod_module *mod = k->module_get_module(l);
		const char *mname = k->module_get_name(mod);

		/* modprobe NAME: the blacklist stops aliases only; loaded is ok */
		r = k->module_probe_insert_module(mod,
						    KMOD_PROBE_APPLY_BLACKLIST_ALIAS_ONLY,
						    NULL, NULL, NULL, NULL);
		if (r > 0) {
			snprintf(msg, sizeof(msg), "module %s: %s is blacklisted in "
				 "modprobe.d; load it by its own name", name, mname);
			r = -EPERM;
		} else if (r == -EPERM || r == -EACCES) {
			snprintf(msg, sizeof(msg), "module %s: cannot load %s: %s; run "
				 "as root", name, mname, strerror(-r));
		} else if (r == -ENOENT) {
			/* the file is there: init_module met a symbol or a
			 * parameter it does not know */
			snprintf(msg, sizeof(msg), "module %s: cannot load %s: unknown "
				 "symbol in module, or unknown parameter (see dmesg)",
				 name, mname);
		} else if (r < 0) {
			snprintf(msg, sizeof(msg), "module %s: cannot load %s: %s",
				 name, mname, strerror(-r));
		} else {
			dbg(ctx, "module %s: %s loaded\n", name, mname);
		}
		k->module_unref(mod);
		if (r < 0)
			break;
	}
	if (r < 0)
		goto fail;
	goto out;
fail:
	/* the caller reports msg; a second line on stderr would repeat it */
	dbg(ctx, "%s\n", msg);
out:
	if (list)
		k->module_unref_list(list);
	if (kctx)
		k->unref(kctx);
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
	return r;
}
