// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * iommu.c: IOMMU groups built from the scanned PCI functions, sorted by
 * number with members sorted by BDF, and viability (every endpoint bound
 * to a vfio driver, pci-stub or nothing; bridges excluded) with the
 * blockers named.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"
#include "testutil.h"

static char *tmp;
static char sys[256];
static struct pt_ctx *ctx;

/*
 * One function at devices/pci0000:00/<bdf>: what libpci needs to list it,
 * plus a driver link and an IOMMU group link when given.
 */
static void fn(const char *bdf, const char *class, const char *drv, int grp)
{
	char g[16];

	tu_pci_fn(sys, bdf, "0x8086", "0x1234", class);
	if (drv)
		tu_pci_driver(sys, bdf, drv);
	if (grp >= 0) {
		snprintf(g, sizeof(g), "%d", grp);
		tu_pci_group(sys, bdf, g);
	}
}

static int setup(void **state)
{
	(void)state;
	tmp = tu_mktree(sys, sizeof(sys));

	/* group 10 (members interleaved by BDF with group 2's): vfio + none */
	fn("0000:00:04.0", "0x020000", "vfio-pci", 10);
	fn("0000:00:05.0", "0x020000", NULL, 2);	/* group 2: no driver */
	fn("0000:00:06.0", "0x020000", NULL, 10);
	/* group 33: pci-stub, and a vendor variant driver */
	fn("0000:00:07.0", "0x030200", "pci-stub", 33);
	fn("0000:00:07.1", "0x040300", "mlx5_vfio_pci", 33);
	/* group 9: a GPU on vfio-pci with its audio still on snd_hda_intel,
	 * behind a root port bound to pcieport in the same group */
	fn("0000:00:01.0", "0x060400", "pcieport", 9);
	fn("0000:00:08.0", "0x030000", "vfio-pci", 9);
	fn("0000:00:08.1", "0x040300", "snd_hda_intel", 9);
	/* group 100: two endpoints on host drivers, listed in BDF order */
	fn("0000:00:0b.0", "0x010802", "nvme", 100);
	fn("0000:00:0a.0", "0x020000", "e1000e", 100);
	fn("0000:00:0c.0", "0x020000", "nvgrace-gpu-vfio-pci", 100);
	/* group 1: only a host bridge */
	fn("0000:00:00.0", "0x060000", NULL, 1);
	/* no group at all */
	fn("0000:00:1f.0", "0x060100", "lpc_ich", -1);

	return tu_sysfs_ctx(&ctx, sys);
}

static int teardown(void **state)
{
	(void)state;
	tu_tree_free(ctx, tmp);
	return 0;
}

static void test_vfio_safe(void **state)
{
	(void)state;
	assert_true(pt__driver_is_vfio_safe(NULL));
	assert_true(pt__driver_is_vfio_safe("vfio-pci"));
	assert_true(pt__driver_is_vfio_safe("pci-stub"));
	assert_true(pt__driver_is_vfio_safe("mlx5_vfio_pci"));
	assert_true(pt__driver_is_vfio_safe("hisi_acc_vfio_pci"));
	assert_true(pt__driver_is_vfio_safe("nvgrace-gpu-vfio-pci"));
	assert_false(pt__driver_is_vfio_safe("nvidia"));
	assert_false(pt__driver_is_vfio_safe("e1000e"));
	assert_false(pt__driver_is_vfio_safe("pcieport"));
	assert_false(pt__driver_is_vfio_safe("vfio-pci-x"));
	assert_false(pt__driver_is_vfio_safe("pci-stub2"));
	assert_false(pt__driver_is_vfio_safe("vfio"));
	assert_false(pt__driver_is_vfio_safe("VFIO-PCI"));
	/* only a suffix after a prefix: the bare module name is no driver name */
	assert_false(pt__driver_is_vfio_safe("vfio_pci"));
}

static const char *member(struct pt_iommu_group *g, int i)
{
	struct pt_pci_dev *d = pt_iommu_group_get_member(g, i);

	return d ? pt_pci_dev_get_bdf(d) : "(none)";
}

static const char *blocker(struct pt_iommu_group *g, int i)
{
	struct pt_pci_dev *d = pt_iommu_group_get_blocker(g, i);

	return d ? pt_pci_dev_get_bdf(d) : "(none)";
}

static void test_sorted(void **state)
{
	static const int want[] = { 1, 2, 9, 10, 33, 100 };
	struct pt_iommu_group *g;
	size_t n = 0;

	(void)state;
	/* by number, not as text (100 after 33, 9 before 10) */
	pt_iommu_group_foreach(ctx, g) {
		assert_true(n < sizeof(want) / sizeof(want[0]));
		assert_int_equal(pt_iommu_group_get_number(g), want[n]);
		assert_ptr_equal(pt_iommu_group_find(ctx, want[n]), g);
		n++;
	}
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));

	g = pt_iommu_group_find(ctx, 10);
	assert_int_equal(pt_iommu_group_get_num_members(g), 2);
	assert_string_equal(member(g, 0), "0000:00:04.0");
	assert_string_equal(member(g, 1), "0000:00:06.0");
	g = pt_iommu_group_find(ctx, 100);
	assert_int_equal(pt_iommu_group_get_num_members(g), 3);
	assert_string_equal(member(g, 0), "0000:00:0a.0");
	assert_string_equal(member(g, 1), "0000:00:0b.0");
	assert_string_equal(member(g, 2), "0000:00:0c.0");
	g = pt_iommu_group_find(ctx, 9);
	assert_int_equal(pt_iommu_group_get_num_members(g), 3);
	assert_string_equal(member(g, 0), "0000:00:01.0");
	assert_string_equal(member(g, 1), "0000:00:08.0");
	assert_string_equal(member(g, 2), "0000:00:08.1");
	assert_null(pt_iommu_group_get_member(g, 3));
	assert_null(pt_iommu_group_get_member(g, -1));
}

static void test_find(void **state)
{
	(void)state;
	assert_null(pt_iommu_group_find(ctx, 0));
	assert_null(pt_iommu_group_find(ctx, 3));
	assert_null(pt_iommu_group_find(ctx, 101));
	assert_null(pt_iommu_group_find(ctx, -1));
	assert_int_equal(pt_iommu_group_get_number(pt_iommu_group_find(ctx, 33)), 33);
}

static void test_viability(void **state)
{
	struct pt_iommu_group *g;

	(void)state;
	/* vfio-pci and no driver */
	g = pt_iommu_group_find(ctx, 10);
	assert_true(pt_iommu_group_is_viable(g));
	assert_int_equal(pt_iommu_group_get_num_blockers(g), 0);
	assert_null(pt_iommu_group_get_blocker(g, 0));
	/* no driver alone */
	assert_true(pt_iommu_group_is_viable(pt_iommu_group_find(ctx, 2)));
	/* pci-stub and a *_vfio_pci variant */
	assert_true(pt_iommu_group_is_viable(pt_iommu_group_find(ctx, 33)));
	/* a lone bridge: nothing to block */
	g = pt_iommu_group_find(ctx, 1);
	assert_true(pt_iommu_group_is_viable(g));
	assert_int_equal(pt_iommu_group_get_num_members(g), 1);

	/* the bridge on pcieport does not block; the audio function does */
	g = pt_iommu_group_find(ctx, 9);
	assert_false(pt_iommu_group_is_viable(g));
	assert_int_equal(pt_iommu_group_get_num_blockers(g), 1);
	assert_string_equal(blocker(g, 0), "0000:00:08.1");
	assert_string_equal(pt_pci_dev_get_driver(pt_iommu_group_get_blocker(g, 0)),
			    "snd_hda_intel");
	assert_null(pt_iommu_group_get_blocker(g, 1));
	assert_null(pt_iommu_group_get_blocker(g, -1));

	/* two blockers, in BDF order; the vfio variant among them is none */
	g = pt_iommu_group_find(ctx, 100);
	assert_false(pt_iommu_group_is_viable(g));
	assert_int_equal(pt_iommu_group_get_num_blockers(g), 2);
	assert_string_equal(blocker(g, 0), "0000:00:0a.0");
	assert_string_equal(blocker(g, 1), "0000:00:0b.0");
}

static void test_rescan(void **state)
{
	struct pt_iommu_group *g;
	char rel[128];

	(void)state;
	assert_false(pt_iommu_group_is_viable(pt_iommu_group_find(ctx, 9)));
	/* the kernel moved the audio function to vfio-pci: a new root scans anew */
	tu_mkdir(sys, "bus/pci/drivers/vfio-pci");
	snprintf(rel, sizeof(rel), "devices/pci0000:00/0000:00:08.1/driver");
	tu_symlink(sys, rel, "../../../bus/pci/drivers/vfio-pci");
	/* still the old answer until the scan is dropped */
	assert_false(pt_iommu_group_is_viable(pt_iommu_group_find(ctx, 9)));
	assert_int_equal(pt_set_sysfs_root(ctx, sys), 0);
	g = pt_iommu_group_find(ctx, 9);
	assert_non_null(g);
	assert_true(pt_iommu_group_is_viable(g));
	assert_int_equal(pt_iommu_group_get_num_blockers(g), 0);
}

static void test_no_iommu(void **state)
{
	char *root = tu_mkdtemp(), saved[256];
	struct pt_ctx *c;

	(void)state;
	snprintf(saved, sizeof(saved), "%s", sys);
	snprintf(sys, sizeof(sys), "%s/sys", root);
	tu_mkdir(root, "sys");
	fn("0000:00:02.0", "0x030000", "i915", -1);
	fn("0000:00:1f.3", "0x040300", NULL, -1);
	assert_int_equal(pt_new(&c), 0);
	pt_set_log_priority(c, 0);
	assert_int_equal(pt_set_sysfs_root(c, sys), 0);
	assert_non_null(pt_pci_dev_get_first(c));
	assert_null(pt_iommu_group_get_first(c));
	assert_null(pt_iommu_group_find(c, 0));
	assert_int_equal(c->n_groups, 0);
	pt_unref(c);
	snprintf(sys, sizeof(sys), "%s", saved);
	tu_rmtree(root);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vfio_safe),
		cmocka_unit_test(test_sorted),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_viability),
		cmocka_unit_test(test_no_iommu),
		/* last: it changes the tree the others read */
		cmocka_unit_test(test_rescan),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
