// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * module.c: is a module loaded (<sysfs>/module/<name>), and loading one
 * through libkmod. Nothing here may load a real module: a load is only
 * ever tried on a context whose modules dir is a temporary directory
 * holding no module at all, with names no kernel has; every other
 * context has fixture roots, where loading is refused outright.
 * libkmod itself is dlopen()ed on the first load tried: the tests run in
 * order, and until test_load_not_found this process must not map it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "testutil.h"

/* No kernel has a module of this name, and no modprobe.d names it. */
#define NO_SUCH	"pt-unit-no-such-module"
#define NO_SUCH_LIB "libpt-unit-no-such-kmod.so.2"

/* Is a file whose name starts with lib mapped into this process? */
static bool mapped(const char *lib)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[4096];
	bool found = false;

	assert_non_null(f);
	while (!found && fgets(line, sizeof(line), f)) {
		const char *base = strrchr(line, '/');

		found = base && !strncmp(base + 1, lib, strlen(lib));
	}
	fclose(f);
	return found;
}

static char *tmp;
static char sys[300], mods[300];

static int setup(void **state)
{
	(void)state;
	tmp = tu_mkdtemp();
	snprintf(sys, sizeof(sys), "%s/sys", tmp);
	snprintf(mods, sizeof(mods), "%s/lib/modules/6.1.0-99-amd64", tmp);
	tu_mkdir(tmp, "sys");
	tu_mkdir(tmp, "lib/modules/6.1.0-99-amd64");

	/* loaded, loading, unloading, built in (no initstate) */
	tu_write(sys, "module/vfio_pci/initstate", "live\n");
	tu_write(sys, "module/vfio_pci/refcnt", "0\n");
	tu_write(sys, "module/vfio_iommu_type1/initstate", "live\n");
	tu_write(sys, "module/mtty/initstate", "coming\n");
	tu_write(sys, "module/netdevsim/initstate", "going\n");
	tu_write(sys, "module/kvm/parameters/halt_poll_ns", "200000\n");
	/* a file is no module */
	tu_write(sys, "module/stray", "x\n");
	tu_mkdir(sys, "bus/pci/drivers");

	/* a modules dir with empty indexes: it knows no module */
	tu_write(mods, "modules.dep", "");
	tu_write(mods, "modules.alias", "");
	tu_write(mods, "modules.symbols", "");
	tu_write(mods, "modules.builtin", "");
	tu_write(mods, "modules.order", "");
	tu_mkdir(mods, "kernel");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_tree_free(NULL, tmp);
	return 0;
}

static struct pt_ctx *fixture_ctx(void)
{
	struct pt_ctx *ctx;

	assert_int_equal(pt_new(&ctx), 0);
	pt_set_log_priority(ctx, 0);
	assert_int_equal(pt_set_sysfs_root(ctx, sys), 0);
	assert_int_equal(pt_set_modules_dir(ctx, mods), 0);
	assert_false(pt_is_live(ctx));
	return ctx;
}

static void test_is_loaded(void **state)
{
	struct pt_ctx *ctx = fixture_ctx();

	(void)state;
	/* "vfio-pci" is vfio_pci in /sys/module, as modprobe spells either */
	assert_true(pt__module_is_loaded(ctx, "vfio-pci"));
	assert_true(pt__module_is_loaded(ctx, "vfio_pci"));
	assert_true(pt__module_is_loaded(ctx, "vfio_iommu_type1"));
	assert_true(pt__module_is_loaded(ctx, "kvm"));		/* built in */
	assert_false(pt__module_is_loaded(ctx, "mtty"));	/* init running */
	assert_false(pt__module_is_loaded(ctx, "netdevsim"));	/* unloading */
	assert_false(pt__module_is_loaded(ctx, "stray"));
	assert_false(pt__module_is_loaded(ctx, "vfio"));
	assert_false(pt__module_is_loaded(ctx, NO_SUCH));
	/* names that are no module name never become paths */
	assert_false(pt__module_is_loaded(ctx, NULL));
	assert_false(pt__module_is_loaded(ctx, ""));
	assert_false(pt__module_is_loaded(ctx, "../module/vfio_pci"));
	assert_false(pt__module_is_loaded(ctx, "vfio_pci/initstate"));
	assert_false(pt__module_is_loaded(ctx, ".."));
	pt_unref(ctx);
}

static void test_is_loaded_no_module_dir(void **state)
{
	char *root = tu_mkdtemp(), dir[300];
	struct pt_ctx *ctx;

	(void)state;
	tu_mkdir(root, "sys/bus");
	snprintf(dir, sizeof(dir), "%s/sys", root);
	assert_int_equal(pt_new(&ctx), 0);
	pt_set_log_priority(ctx, 0);
	assert_int_equal(pt_set_sysfs_root(ctx, dir), 0);
	assert_false(pt__module_is_loaded(ctx, "vfio_pci"));
	pt_unref(ctx);
	tu_rmtree(root);
	free(root);
}

/* A fixture tree is not the running kernel: nothing is loaded, whatever the name. */
static void test_load_not_live(void **state)
{
	struct pt_ctx *ctx = fixture_ctx();
	char err[512];

	(void)state;
	assert_int_equal(pt__module_load(ctx, "vfio-pci", err, sizeof(err)), -EOPNOTSUPP);
	assert_non_null(strstr(err, "vfio-pci"));
	assert_non_null(strstr(err, sys));
	assert_int_equal(pt__module_load(ctx, NO_SUCH, err, sizeof(err)), -EOPNOTSUPP);
	/* the running sysfs with a fixture /proc is no running system either */
	assert_int_equal(pt_set_sysfs_root(ctx, "/sys"), 0);
	assert_int_equal(pt_set_proc_root(ctx, tmp), 0);
	assert_false(pt_is_live(ctx));
	assert_int_equal(pt__module_load(ctx, "vfio-pci", err, sizeof(err)), -EOPNOTSUPP);
	/* no buffer for the message is fine */
	assert_int_equal(pt__module_load(ctx, "vfio-pci", NULL, 0), -EOPNOTSUPP);
	/* refused before libkmod is needed: it was never loaded */
	assert_false(mapped("libkmod.so"));
	assert_null(ctx->kmod);
	pt_unref(ctx);
}

static void test_load_bad_name(void **state)
{
	struct pt_ctx *ctx = fixture_ctx();
	char err[512];

	(void)state;
	assert_int_equal(pt__module_load(ctx, NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(pt__module_load(ctx, "", err, sizeof(err)), -EINVAL);
	assert_int_equal(pt__module_load(ctx, "../../x", err, sizeof(err)), -EINVAL);
	assert_int_equal(pt__module_load(ctx, "a b", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "a b"));
	pt_unref(ctx);
}

/*
 * No libkmod on the host: one line naming the library, dlerror()'s reason
 * and the package; nothing is loaded, and the failure is kept.
 */
static void test_load_no_libkmod(void **state)
{
	struct pt__kmod *k = (struct pt__kmod *)1;
	struct pt_ctx *ctx;
	char err[512], why[320];

	(void)state;
	assert_int_equal(pt_new(&ctx), 0);
	pt_set_log_priority(ctx, 0);
	assert_int_equal(pt_set_modules_dir(ctx, mods), 0);
	assert_true(pt_is_live(ctx));
	assert_int_equal(pt__kmod_open(ctx, NO_SUCH_LIB, &k, why, sizeof(why)), -ELIBACC);
	assert_null(k);
	assert_non_null(strstr(why, NO_SUCH_LIB " cannot be loaded: "));
	assert_non_null(strstr(why, "cannot open shared object file"));
	assert_non_null(strstr(why, "(Debian: apt-get install libkmod2)"));
	/* the load reports it, as one line, without trying again */
	assert_int_equal(pt__module_load(ctx, NO_SUCH, err, sizeof(err)), -ELIBACC);
	assert_non_null(strstr(err, "module " NO_SUCH ": not loaded: " NO_SUCH_LIB
			       " cannot be loaded: "));
	assert_non_null(strstr(err, "libkmod2"));
	assert_null(strchr(err, '\n'));
	assert_false(mapped("libkmod.so"));
	pt_unref(ctx);
}

/* libkmod.so.2 has every entry point module.c calls. */
static void test_kmod_symbols(void **state)
{
	struct pt__kmod *k = NULL;
	struct pt_ctx *ctx;
	char why[320] = "";

	(void)state;
	assert_int_equal(pt_new(&ctx), 0);
	pt_set_log_priority(ctx, 0);
	assert_int_equal(pt__kmod_open(ctx, NULL, &k, why, sizeof(why)), 0);
	assert_non_null(k);
	assert_string_equal(why, "");
	assert_true(mapped("libkmod.so"));
	pt_unref(ctx);
}

/*
 * The running system's roots, but the modules dir is the temporary one:
 * libkmod looks the name up there, finds nothing and loads nothing.
 */
static void test_load_not_found(void **state)
{
	struct pt_ctx *ctx;
	char err[512];

	(void)state;
	assert_int_equal(pt_new(&ctx), 0);
	pt_set_log_priority(ctx, 0);
	assert_int_equal(pt_set_modules_dir(ctx, mods), 0);
	assert_true(pt_is_live(ctx));
	assert_string_equal(pt_get_modules_dir(ctx), mods);
	assert_int_equal(pt__module_load(ctx, NO_SUCH, err, sizeof(err)), -ENOENT);
	/* "module X not found in DIR; install the kernel's modules package" */
	assert_non_null(strstr(err, "module " NO_SUCH " not found in "));
	assert_non_null(strstr(err, mods));
	assert_non_null(strstr(err, "linux-image-"));
	/* a directory without any index */
	assert_int_equal(pt_set_modules_dir(ctx, tmp), 0);
	assert_int_equal(pt__module_load(ctx, NO_SUCH "-2", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, tmp));
	/* the lookups went through libkmod, loaded on the first one */
	assert_true(mapped("libkmod.so"));
	pt_unref(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_is_loaded),
		cmocka_unit_test(test_is_loaded_no_module_dir),
		cmocka_unit_test(test_load_not_live),
		cmocka_unit_test(test_load_bad_name),
		cmocka_unit_test(test_load_no_libkmod),
		cmocka_unit_test(test_load_not_found),
		cmocka_unit_test(test_kmod_symbols),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
