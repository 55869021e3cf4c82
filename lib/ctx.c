// SPDX-License-Identifier: GPL-2.0-or-later
/* The library context: roots, logging, and ownership of scanned objects. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "private.h"

char *pt__strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

int pt__parse_bool(const char *v)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i]))
			return 1;
		if (!strcasecmp(v, no[i]))
			return 0;
	}
	return -EINVAL;
}

int pt__seterr(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return r;
}

int pt__strv_vadd(char ***v, int *n, const char *fmt, va_list ap)
{
	char *s, **nv;

	if (vasprintf(&s, fmt, ap) < 0)
		return -ENOMEM;
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv) {
		free(s);
		return -ENOMEM;
	}
	*v = nv;
	nv[(*n)++] = s;
	return 0;
}

int pt__strv_add(char ***v, int *n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = pt__strv_vadd(v, n, fmt, ap);
	va_end(ap);
	return r;
}

void pt__strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

int pt__append_reason(char **dst, const char *reason)
{
	char *n;

	if (!*dst) {
		*dst = strdup(reason);
		return *dst ? 0 : -ENOMEM;
	}
	/*
	 * The same reason reached twice (root on LVM over two disks of one
	 * controller) is kept once. Compare whole items: "swap on /dev/sda1"
	 * is no copy of "swap on /dev/sda10".
	 */
	for (const char *p = *dst, *end;; p = end + 2) {
		end = strstr(p, "; ");
		if (!end)
			end = p + strlen(p);
		if ((size_t)(end - p) == strlen(reason) &&
		    !strncmp(p, reason, end - p))
			return 0;
		if (!*end)
			break;
	}
	if (asprintf(&n, "%s; %s", *dst, reason) < 0)
		return -ENOMEM;
	free(*dst);
	*dst = n;
	return 0;
}

/*
 * What the context frees: the device model it scans (below), and what
 * the files above it registered on first use (loaded groups, checks).
 */
static void (*const model_free[])(struct pt_ctx *) = {
	pt__usb_free, pt__iommu_free, pt__pci_free, pt__netlink_free,
};

int pt__ctx_register_free(struct pt_ctx *ctx, void (*fn)(struct pt_ctx *))
{
	void (**n)(struct pt_ctx *);

	for (size_t i = 0; i < ctx->n_frees; i++)
		if (ctx->frees[i] == fn)
			return 0;
	n = realloc(ctx->frees, (ctx->n_frees + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	ctx->frees = n;
	ctx->frees[ctx->n_frees++] = fn;
	return 0;
}

void pt__ctx_flush(struct pt_ctx *ctx)
{
	/* the upper layers first: they point into the model */
	for (size_t i = ctx->n_frees; i-- > 0;)
		ctx->frees[i](ctx);
	for (size_t i = 0; i < sizeof(model_free) / sizeof(*model_free); i++)
		model_free[i](ctx);
	ctx->critical_scanned = false;
}

int pt__ctx_clone(struct pt_ctx *ctx, struct pt_ctx **out)
{
	struct pt_ctx *n;
	int r;

	*out = NULL;
	r = pt_new(&n);
	if (r < 0)
		return r;
	n->log_fn = ctx->log_fn;
	n->log_data = ctx->log_data;
	n->log_priority = ctx->log_priority;
	n->lock_timeout = ctx->lock_timeout;
	n->conf_keep_going = ctx->conf_keep_going;
	if ((r = pt_set_sysfs_root(n, ctx->sysfs_root)) < 0 ||
	    (r = pt_set_dev_root(n, ctx->dev_root)) < 0 ||
	    (r = pt_set_conf_dir(n, ctx->conf_dir)) < 0 ||
	    (r = pt_set_proc_root(n, ctx->proc_root)) < 0 ||
	    (ctx->modules_dir && (r = pt_set_modules_dir(n, ctx->modules_dir)) < 0) ||
	    (ctx->run_dir && (r = pt_set_run_dir(n, ctx->run_dir)) < 0) ||
	    (ctx->tenant && (r = pt_set_tenant(n, ctx->tenant)) < 0) ||
	    (ctx->nvml_library && (r = pt_set_nvml_library(n, ctx->nvml_library)) < 0)) {
		pt_unref(n);
		return r;
	}
	*out = n;
	return 0;
}

static int set_root(struct pt_ctx *ctx, char **slot, const char *dir)
{
	char *n;
	size_t len;

	if (!dir || dir[0] != '/')
		return -EINVAL;
	n = strdup(dir);
	if (!n)
		return -ENOMEM;
	/* "/x/" and "/x" are one root; keep "/" itself. */
	len = strlen(n);
	while (len > 1 && n[len - 1] == '/')
		n[--len] = '\0';
	free(*slot);
	*slot = n;
	pt__ctx_flush(ctx);
	return 0;
}

PT_EXPORT int pt_set_sysfs_root(struct pt_ctx *ctx, const char *dir)
{
	int r = set_root(ctx, &ctx->sysfs_root, dir);

	if (r < 0)
		return r;
	if (ctx->sysfs_fd >= 0)
		close(ctx->sysfs_fd);
	ctx->sysfs_fd = -1;
	dbg(ctx, "sysfs root %s\n", ctx->sysfs_root);
	return 0;
}

PT_EXPORT const char *pt_get_sysfs_root(struct pt_ctx *ctx)
{
	return ctx->sysfs_root;
}

PT_EXPORT int pt_set_dev_root(struct pt_ctx *ctx, const char *dir)
{
	return set_root(ctx, &ctx->dev_root, dir);
}

PT_EXPORT const char *pt_get_dev_root(struct pt_ctx *ctx)
{
	return ctx->dev_root;
}

PT_EXPORT int pt_set_conf_dir(struct pt_ctx *ctx, const char *dir)
{
	return set_root(ctx, &ctx->conf_dir, dir);
}

PT_EXPORT const char *pt_get_conf_dir(struct pt_ctx *ctx)
{
	return ctx->conf_dir;
}

PT_EXPORT int pt_set_proc_root(struct pt_ctx *ctx, const char *dir)
{
	return set_root(ctx, &ctx->proc_root, dir);
}

PT_EXPORT const char *pt_get_proc_root(struct pt_ctx *ctx)
{
	return ctx->proc_root;
}

PT_EXPORT int pt_set_modules_dir(struct pt_ctx *ctx, const char *dir)
{
	return set_root(ctx, &ctx->modules_dir, dir);
}

PT_EXPORT const char *pt_get_modules_dir(struct pt_ctx *ctx)
{
	return ctx->modules_dir;
}

PT_EXPORT int pt_set_lock_timeout(struct pt_ctx *ctx, int seconds)
{
	if (seconds < 0)
		return -EINVAL;
	ctx->lock_timeout = seconds;
	return 0;
}

PT_EXPORT int pt_get_lock_timeout(struct pt_ctx *ctx)
{
	return ctx->lock_timeout;
}

PT_EXPORT int pt_set_run_dir(struct pt_ctx *ctx, const char *dir)
{
	return set_root(ctx, &ctx->run_dir, dir);
}

PT_EXPORT const char *pt_get_run_dir(struct pt_ctx *ctx)
{
	return ctx->run_dir;
}

PT_EXPORT int pt_set_tenant(struct pt_ctx *ctx, const char *tenant)
{
	char *n = NULL;

	if (tenant && !pt__name_is_valid(tenant))
		return -EINVAL;
	if (tenant && !(n = strdup(tenant)))
		return -ENOMEM;
	free(ctx->tenant);
	ctx->tenant = n;
	pt__ctx_flush(ctx);
	return 0;
}

PT_EXPORT const char *pt_get_tenant(struct pt_ctx *ctx)
{
	return ctx->tenant;
}

PT_EXPORT bool pt_is_live(struct pt_ctx *ctx)
{
	return !strcmp(ctx->sysfs_root, "/sys") &&
	       !strcmp(ctx->proc_root, "/proc");
}

static void log_stderr(struct pt_ctx *ctx, int priority, const char *file,
		       int line, const char *fn, const char *format,
		       va_list args)
{
	(void)ctx;
	(void)priority;
	fprintf(stderr, "libpassthru: %s:%d %s: ", file, line, fn);
	vfprintf(stderr, format, args);
}

PT_EXPORT int pt_new(struct pt_ctx **out)
{
	struct pt_ctx *ctx;
	struct utsname u;
	const char *env;
	char *mods;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->refcount = 1;
	ctx->sysfs_fd = -1;
	ctx->lock_timeout = PT_LOCK_TIMEOUT_DEFAULT;
	ctx->log_priority = LOG_ERR;
	/* Like KMOD_LOG: PT_LOG raises verbosity; default sink is stderr. */
	ctx->log_fn = log_stderr;
	env = secure_getenv("PT_LOG");
	if (env && pt__log_priority_parse(env) >= 0)
		ctx->log_priority = pt__log_priority_parse(env);

	if (uname(&u) < 0 || asprintf(&mods, "/lib/modules/%s", u.release) < 0)
		mods = NULL;
	ctx->sysfs_root = strdup("/sys");
	ctx->dev_root = strdup("/dev");
	ctx->conf_dir = strdup("/etc/passthru");
	ctx->proc_root = strdup("/proc");
	ctx->modules_dir = mods;
	ctx->run_dir = strdup("/run/passthru");
	if (!ctx->sysfs_root || !ctx->dev_root || !ctx->conf_dir ||
	    !ctx->proc_root || !ctx->modules_dir || !ctx->run_dir) {
		pt_unref(ctx);
		return -ENOMEM;
	}
	*out = ctx;
	return 0;
}

PT_EXPORT struct pt_ctx *pt_ref(struct pt_ctx *ctx)
{
	if (ctx)
		ctx->refcount++;
	return ctx;
}

PT_EXPORT struct pt_ctx *pt_unref(struct pt_ctx *ctx)
{
	if (!ctx || --ctx->refcount > 0)
		return ctx;
	pt__ctx_flush(ctx);
	if (ctx->sysfs_fd >= 0)
		close(ctx->sysfs_fd);
	free(ctx->sysfs_root);
	free(ctx->dev_root);
	free(ctx->conf_dir);
	free(ctx->proc_root);
	free(ctx->modules_dir);
	free(ctx->run_dir);
	free(ctx->tenant);
	free(ctx->nvml_library);
	free(ctx->frees);
	free(ctx);
	return NULL;
}
