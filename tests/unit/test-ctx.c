// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ctx.c and log.c: defaults, the root setters (normalisation, refusals,
 * dropping what was scanned), pt_is_live, reference counting, PT_LOG,
 * the log callback and the reason list helper.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "private.h"
#include "testutil.h"

/* ---- defaults and roots ------------------------------------------------- */

static void test_defaults(void **state)
{
	struct pt_ctx *ctx;
	struct utsname u;
	char mods[512];

	(void)state;
	unsetenv("PT_LOG");
	assert_int_equal(pt_new(&ctx), 0);
	assert_int_equal(uname(&u), 0);
	snprintf(mods, sizeof(mods), "/lib/modules/%s", u.release);
	assert_string_equal(pt_get_sysfs_root(ctx), "/sys");
	assert_string_equal(pt_get_dev_root(ctx), "/dev");
	assert_string_equal(pt_get_conf_dir(ctx), "/etc/passthru");
	assert_string_equal(pt_get_proc_root(ctx), "/proc");
	assert_string_equal(pt_get_modules_dir(ctx), mods);
	assert_true(pt_is_live(ctx));
	assert_int_equal(pt_get_log_priority(ctx), LOG_ERR);
	assert_null(pt_get_log_data(ctx));
	assert_int_equal(ctx->refcount, 1);
	assert_int_equal(ctx->sysfs_fd, -1);
	assert_null(pt_unref(ctx));
}

typedef int (*setter)(struct pt_ctx *, const char *);
typedef const char *(*getter)(struct pt_ctx *);

static const struct {
	const char *what;
	setter set;
	getter get;
} roots[] = {
	{ "sysfs", pt_set_sysfs_root, pt_get_sysfs_root },
	{ "dev", pt_set_dev_root, pt_get_dev_root },
	{ "conf", pt_set_conf_dir, pt_get_conf_dir },
	{ "proc", pt_set_proc_root, pt_get_proc_root },
	{ "modules", pt_set_modules_dir, pt_get_modules_dir },
};

static void test_root_setters(void **state)
{
	/* what a setter is given, what the getter returns */
	static const struct { const char *set, *get; } norm[] = {
		{ "/x/y", "/x/y" },
		/* trailing slashes go: "/x/" and "/x" are one root */
		{ "/x/y/", "/x/y" },
		{ "/x///", "/x" },
		/* inner ones and dots are kept as given */
		{ "/x//y/./z", "/x//y/./z" },
		/* "/" itself stays "/" */
		{ "/", "/" },
		{ "///", "/" },
	};
	struct pt_ctx *ctx;

	(void)state;
	assert_int_equal(pt_new(&ctx), 0);
	pt_set_log_fn(ctx, NULL, NULL);
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		const char *w = roots[i].what;
		char before[256];

		for (size_t j = 0; j < sizeof(norm) / sizeof(norm[0]); j++) {
			assert_int_equal(roots[i].set(ctx, norm[j].set), 0);
			assert_string_equal(roots[i].get(ctx), norm[j].get);
		}

		/* relative or empty: -EINVAL, the old root stays */
		assert_int_equal(roots[i].set(ctx, "/kept"), 0);
		snprintf(before, sizeof(before), "%s", roots[i].get(ctx));
		if (roots[i].set(ctx, "rel/dir") != -EINVAL ||
		    roots[i].set(ctx, "./x") != -EINVAL ||
		    roots[i].set(ctx, "") != -EINVAL ||
		    roots[i].set(ctx, NULL) != -EINVAL ||
		    roots[i].set(ctx, "~/x") != -EINVAL)
			fail_msg("%s: a relative or empty root was accepted", w);
		if (strcmp(roots[i].get(ctx), before))
			fail_msg("%s: a refused root changed it to '%s'", w,
				 roots[i].get(ctx));
	}
	pt_unref(ctx);
}

static void test_is_live(void **state)
{
	struct pt_ctx *ctx;

	(void)state;
	assert_int_equal(pt_new(&ctx), 0);
	pt_set_log_fn(ctx, NULL, NULL);
	assert_true(pt_is_live(ctx));
	assert_int_equal(pt_set_sysfs_root(ctx, "/tmp/sys"), 0);
	assert_false(pt_is_live(ctx));
	/* "/sys/" is the running system's too */
	assert_int_equal(pt_set_sysfs_root(ctx, "/sys/"), 0);
	assert_true(pt_is_live(ctx));
	assert_int_equal(pt_set_proc_root(ctx, "/tmp/proc"), 0);
	assert_false(pt_is_live(ctx));
	assert_int_equal(pt_set_proc_root(ctx, "/proc//"), 0);
	assert_true(pt_is_live(ctx));
	/* a path that resolves to /sys is still no live root by name */
	assert_int_equal(pt_set_sysfs_root(ctx, "/sys/../sys"), 0);
	assert_false(pt_is_live(ctx));
	assert_int_equal(pt_set_sysfs_root(ctx, "/sys"), 0);
	/* the other roots do not decide it */
	assert_int_equal(pt_set_dev_root(ctx, "/tmp/dev"), 0);
	assert_int_equal(pt_set_conf_dir(ctx, "/tmp/conf"), 0);
	assert_int_equal(pt_set_modules_dir(ctx, "/tmp/mods"), 0);
	assert_true(pt_is_live(ctx));
	pt_unref(ctx);
}

/* A one-function sysfs tree under root/<sub>. */
static void one_dev(const char *root, const char *sub, const char *bdf,
		    const char *device)
{
	char sys[512];

	snprintf(sys, sizeof(sys), "%s/%s", root, sub);
	tu_mkdir(root, sub);
	tu_pci_fn(sys, bdf, "0x8086", device, "0x020000");
	tu_pci_subsys(sys, bdf, "0x0000", "0x0000");
	tu_dev_attr(sys, bdf, "revision", "0x01");
	tu_pci_group(sys, bdf, "3");
}

static void test_flush_on_root_change(void **state)
{
	char *root = tu_mkdtemp(), a[256], b[256];
	struct pt_ctx *ctx;
	struct pt_pci_dev *d;

	(void)state;
	one_dev(root, "a", "0000:00:01.0", "0x1572\n");
	one_dev(root, "b", "0000:00:07.0", "0x154c\n");
	snprintf(a, sizeof(a), "%s/a", root);
	snprintf(b, sizeof(b), "%s/b/", root);
	assert_int_equal(pt_new(&ctx), 0);
	pt_set_log_fn(ctx, NULL, NULL);
	assert_int_equal(pt_set_sysfs_root(ctx, a), 0);

	d = pt_pci_dev_get_first(ctx);
	assert_non_null(d);
	assert_string_equal(pt_pci_dev_get_bdf(d), "0000:00:01.0");
	assert_non_null(pt_iommu_group_get_first(ctx));
	assert_true(ctx->pci_scanned);
	assert_true(ctx->iommu_scanned);
	assert_true(ctx->sysfs_fd >= 0);

	/* another tree: the first one's functions are gone */
	assert_int_equal(pt_set_sysfs_root(ctx, b), 0);
	assert_false(ctx->pci_scanned);
	assert_false(ctx->iommu_scanned);
	assert_int_equal(ctx->n_pci, 0);
	assert_int_equal(ctx->n_groups, 0);
	assert_int_equal(ctx->sysfs_fd, -1);
	d = pt_pci_dev_get_first(ctx);
	assert_non_null(d);
	assert_string_equal(pt_pci_dev_get_bdf(d), "0000:00:07.0");
	assert_int_equal(pt_pci_dev_get_device_id(d), 0x154c);
	assert_null(pt_pci_dev_get_next(d));
	assert_null(pt_pci_dev_find(ctx, "0000:00:01.0"));

	/* any root drops the scan, and a refused one does not */
	assert_int_equal(pt_set_dev_root(ctx, "relative"), -EINVAL);
	assert_true(ctx->pci_scanned);
	assert_int_equal(pt_set_dev_root(ctx, "/dev"), 0);
	assert_false(ctx->pci_scanned);
	assert_non_null(pt_pci_dev_get_first(ctx));
	assert_int_equal(pt_set_proc_root(ctx, "/proc"), 0);
	assert_false(ctx->pci_scanned);
	assert_non_null(pt_pci_dev_get_first(ctx));
	assert_int_equal(pt_set_modules_dir(ctx, "/lib/modules"), 0);
	assert_false(ctx->pci_scanned);

	/* the loaded state goes with a new conf dir */
	snprintf(a, sizeof(a), "%s/conf1", root);
	tu_write(root, "conf1/groups.d/gpu.ini", "[group]\ntype = pci\n");
	assert_int_equal(pt_set_conf_dir(ctx, a), 0);
	assert_non_null(pt_group_find(ctx, "gpu"));
	snprintf(a, sizeof(a), "%s/conf2", root);
	tu_write(root, "conf2/groups.d/nic.ini", "[group]\ntype = sriov-nic\n");
	assert_int_equal(pt_set_conf_dir(ctx, a), 0);
	assert_false(ctx->conf_loaded);
	assert_null(pt_group_find(ctx, "gpu"));
	assert_non_null(pt_group_find(ctx, "nic"));

	pt_unref(ctx);
	tu_rmtree(root);
	free(root);
}

static void test_refcount(void **state)
{
	struct pt_ctx *ctx;

	(void)state;
	assert_null(pt_ref(NULL));
	assert_null(pt_unref(NULL));
	assert_int_equal(pt_new(&ctx), 0);
	assert_ptr_equal(pt_ref(ctx), ctx);
	assert_int_equal(ctx->refcount, 2);
	assert_ptr_equal(pt_ref(ctx), ctx);
	assert_int_equal(ctx->refcount, 3);
	assert_ptr_equal(pt_unref(ctx), ctx);
	assert_int_equal(ctx->refcount, 2);
	/* still usable while a reference is held */
	assert_string_equal(pt_get_sysfs_root(ctx), "/sys");
	assert_ptr_equal(pt_unref(ctx), ctx);
	assert_int_equal(ctx->refcount, 1);
	/* the last one frees it (ASan and valgrind see the rest) */
	assert_null(pt_unref(ctx));
}

static void test_strdup(void **state)
{
	char *s;

	(void)state;
	assert_null(pt__strdup(NULL));
	s = pt__strdup("vfio-pci");
	assert_string_equal(s, "vfio-pci");
	free(s);
}

static void test_append_reason(void **state)
{
	char *s = NULL;

	(void)state;
	assert_int_equal(pt__append_reason(&s, "root filesystem on /dev/vda"), 0);
	assert_string_equal(s, "root filesystem on /dev/vda");
	assert_int_equal(pt__append_reason(&s, "swap on /dev/sda1"), 0);
	assert_string_equal(s, "root filesystem on /dev/vda; swap on /dev/sda1");
	/* a reason reached twice is kept once, first or last item alike */
	assert_int_equal(pt__append_reason(&s, "swap on /dev/sda1"), 0);
	assert_int_equal(pt__append_reason(&s, "root filesystem on /dev/vda"), 0);
	assert_string_equal(s, "root filesystem on /dev/vda; swap on /dev/sda1");
	/* whole items only: neither a longer nor a shorter name is a copy */
	assert_int_equal(pt__append_reason(&s, "swap on /dev/sda10"), 0);
	assert_string_equal(s, "root filesystem on /dev/vda; swap on /dev/sda1; "
			    "swap on /dev/sda10");
	assert_int_equal(pt__append_reason(&s, "swap on /dev/sda"), 0);
	assert_string_equal(s, "root filesystem on /dev/vda; swap on /dev/sda1; "
			    "swap on /dev/sda10; swap on /dev/sda");
	assert_int_equal(pt__append_reason(&s, "root filesystem"), 0);
	assert_int_equal(pt__append_reason(&s, "/dev/vda"), 0);
	assert_string_equal(s, "root filesystem on /dev/vda; swap on /dev/sda1; "
			    "swap on /dev/sda10; swap on /dev/sda; root filesystem; "
			    "/dev/vda");
	/* a middle item */
	assert_int_equal(pt__append_reason(&s, "swap on /dev/sda10"), 0);
	assert_int_equal(pt__append_reason(&s, "swap on /dev/sda"), 0);
	assert_string_equal(s, "root filesystem on /dev/vda; swap on /dev/sda1; "
			    "swap on /dev/sda10; swap on /dev/sda; root filesystem; "
			    "/dev/vda");
	free(s);

	s = NULL;
	assert_int_equal(pt__append_reason(&s, "boot VGA device"), 0);
	assert_int_equal(pt__append_reason(&s, "boot VGA device"), 0);
	assert_string_equal(s, "boot VGA device");
	free(s);
}

/* ---- logging ------------------------------------------------------------ */

static void test_log_priority_parse(void **state)
{
	(void)state;
	assert_int_equal(pt__log_priority_parse("0"), 0);
	assert_int_equal(pt__log_priority_parse("3"), LOG_ERR);
	assert_int_equal(pt__log_priority_parse("4"), LOG_WARNING);
	assert_int_equal(pt__log_priority_parse("6"), LOG_INFO);
	assert_int_equal(pt__log_priority_parse("7"), LOG_DEBUG);
	assert_int_equal(pt__log_priority_parse("err"), LOG_ERR);
	assert_int_equal(pt__log_priority_parse("error"), LOG_ERR);
	assert_int_equal(pt__log_priority_parse("warning"), LOG_WARNING);
	assert_int_equal(pt__log_priority_parse("warn"), LOG_WARNING);
	assert_int_equal(pt__log_priority_parse("notice"), LOG_NOTICE);
	assert_int_equal(pt__log_priority_parse("info"), LOG_INFO);
	assert_int_equal(pt__log_priority_parse("debug"), LOG_DEBUG);
	assert_int_equal(pt__log_priority_parse("DEBUG"), LOG_DEBUG);
	assert_int_equal(pt__log_priority_parse("Info"), LOG_INFO);

	assert_int_equal(pt__log_priority_parse(NULL), -1);
	assert_int_equal(pt__log_priority_parse(""), -1);
	assert_int_equal(pt__log_priority_parse("8"), -1);
	assert_int_equal(pt__log_priority_parse("10"), -1);
	assert_int_equal(pt__log_priority_parse("-1"), -1);
	assert_int_equal(pt__log_priority_parse("7x"), -1);
	assert_int_equal(pt__log_priority_parse("3 "), -1);
	assert_int_equal(pt__log_priority_parse("dbg"), -1);
	assert_int_equal(pt__log_priority_parse("debugging"), -1);
	assert_int_equal(pt__log_priority_parse(" debug"), -1);
}

static int prio_from_env(const char *value)
{
	struct pt_ctx *ctx;
	int p;

	if (value)
		setenv("PT_LOG", value, 1);
	else
		unsetenv("PT_LOG");
	assert_int_equal(pt_new(&ctx), 0);
	p = pt_get_log_priority(ctx);
	pt_unref(ctx);
	unsetenv("PT_LOG");
	return p;
}

static void test_log_env(void **state)
{
	(void)state;
	assert_int_equal(prio_from_env(NULL), LOG_ERR);
	assert_int_equal(prio_from_env("debug"), LOG_DEBUG);
	assert_int_equal(prio_from_env("info"), LOG_INFO);
	assert_int_equal(prio_from_env("6"), LOG_INFO);
	assert_int_equal(prio_from_env("0"), 0);
	/* a value that does not parse keeps the default */
	assert_int_equal(prio_from_env("loud"), LOG_ERR);
	assert_int_equal(prio_from_env("9"), LOG_ERR);
	assert_int_equal(prio_from_env(""), LOG_ERR);
}

struct logged {
	int n;
	struct pt_ctx *ctx;
	int priority;
	char file[256];
	int line;
	char fn[64];
	char msg[512];
};

static void log_fn(struct pt_ctx *ctx, int priority, const char *file, int line,
		   const char *fn, const char *format, va_list args)
{
	struct logged *l = pt_get_log_data(ctx);

	l->n++;
	l->ctx = ctx;
	l->priority = priority;
	snprintf(l->file, sizeof(l->file), "%s", file);
	l->line = line;
	snprintf(l->fn, sizeof(l->fn), "%s", fn);
	vsnprintf(l->msg, sizeof(l->msg), format, args);
}

static const char *base(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

static void test_log_callback(void **state)
{
	struct logged l = { 0 };
	struct pt_ctx *ctx;
	int line;

	(void)state;
	unsetenv("PT_LOG");
	assert_int_equal(pt_new(&ctx), 0);
	pt_set_log_fn(ctx, log_fn, &l);
	assert_ptr_equal(pt_get_log_data(ctx), &l);

	/* the macros the library uses: priority, file, line, function */
	line = __LINE__ + 1;
	err(ctx, "%s: %d\n", "bound", 3);
	assert_int_equal(l.n, 1);
	assert_ptr_equal(l.ctx, ctx);
	assert_int_equal(l.priority, LOG_ERR);
	assert_string_equal(l.file, __FILE__);
	assert_int_equal(l.line, line);
	assert_string_equal(l.fn, "test_log_callback");
	assert_string_equal(l.msg, "bound: 3\n");

	/* below the priority nothing is delivered */
	warn(ctx, "w\n");
	info(ctx, "i\n");
	dbg(ctx, "d\n");
	assert_int_equal(l.n, 1);
	pt_set_log_priority(ctx, LOG_INFO);
	assert_int_equal(pt_get_log_priority(ctx), LOG_INFO);
	warn(ctx, "w\n");
	assert_int_equal(l.priority, LOG_WARNING);
	info(ctx, "i\n");
	assert_int_equal(l.priority, LOG_INFO);
	dbg(ctx, "d\n");
	assert_int_equal(l.n, 3);
	assert_string_equal(l.msg, "i\n");

	/* and from inside the library: ctx.c's debug line for a new root */
	pt_set_log_priority(ctx, LOG_DEBUG);
	assert_int_equal(pt_set_sysfs_root(ctx, "/tmp/pt-no-such-root/"), 0);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.priority, LOG_DEBUG);
	assert_string_equal(base(l.file), "ctx.c");
	assert_string_equal(l.fn, "pt_set_sysfs_root");
	assert_true(l.line > 0);
	assert_string_equal(l.msg, "sysfs root /tmp/pt-no-such-root\n");

	/* no callback: nothing is called, nothing breaks */
	pt_set_log_fn(ctx, NULL, NULL);
	assert_null(pt_get_log_data(ctx));
	err(ctx, "dropped\n");
	assert_int_equal(l.n, 4);
	pt_unref(ctx);
}

static void test_log_default_stderr(void **state)
{
	char *dir = tu_mkdtemp(), path[256], buf[512];
	struct pt_ctx *ctx;
	int fd, saved, line;
	ssize_t n;

	(void)state;
	unsetenv("PT_LOG");
	snprintf(path, sizeof(path), "%s/stderr", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	assert_int_equal(pt_new(&ctx), 0);
	line = __LINE__ + 1;
	err(ctx, "no %s here\n", "vfio");
	dbg(ctx, "not shown\n");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	pt_unref(ctx);

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
	snprintf(path, sizeof(path), "libpassthru: %s:%d test_log_default_stderr: "
		 "no vfio here\n", __FILE__, line);
	assert_string_equal(buf, path);
	tu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_root_setters),
		cmocka_unit_test(test_is_live),
		cmocka_unit_test(test_flush_on_root_change),
		cmocka_unit_test(test_refcount),
		cmocka_unit_test(test_strdup),
		cmocka_unit_test(test_append_reason),
		cmocka_unit_test(test_log_priority_parse),
		cmocka_unit_test(test_log_env),
		cmocka_unit_test(test_log_callback),
		cmocka_unit_test(test_log_default_stderr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
