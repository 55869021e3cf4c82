// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vgpu-profile.c and vgpu.c: NVIDIA type names parsed into their fields;
 * then, on the gen-sysfs vgpu tree ($PT_GEN_SYSFS, set by CTest), the
 * profiles of scanned types, a GPU's offers on itself or its VFs, its
 * capacity from the driver's files, what it runs, and the profile setting's
 * did-you-mean.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"
#include "testutil.h"

static void parses(const char *text, const char *name, const char *board, int fb,
		   char series, int slices, const char *media, unsigned int id)
{
	struct pt_vgpu_profile p;
	unsigned int got_id = 99;

	assert_int_equal(pt__vgpu_profile_parse(text, &p, &got_id), 0);
	assert_string_equal(p.name, name);
	assert_string_equal(p.board, board);
	assert_int_equal(p.fb_gb, fb);
	assert_int_equal(p.series, series);
	assert_int_equal(p.slices, slices);
	assert_string_equal(p.media, media);
	assert_int_equal(p.max_instances, -1);
	assert_int_equal(got_id, id);
}

static void test_time_sliced(void **state)
{
	(void)state;
	parses("L40S-24Q", "L40S-24Q", "L40S", 24, 'Q', 0, "", 0);
	parses("A40-8C", "A40-8C", "A40", 8, 'C', 0, "", 0);
	parses("GRID T4-16Q", "T4-16Q", "T4", 16, 'Q', 0, "", 0);
	parses("NVIDIA L4-1B", "L4-1B", "L4", 1, 'B', 0, "", 0);
	parses("A16-1A", "A16-1A", "A16", 1, 'A', 0, "", 0);
	parses("  NVIDIA A100-40C \n", "A100-40C", "A100", 40, 'C', 0, "", 0);
}

static void test_mig_backed(void **state)
{
	(void)state;
	parses("A100-1-5C", "A100-1-5C", "A100", 5, 'C', 1, "", 0);
	parses("A100-3-20C", "A100-3-20C", "A100", 20, 'C', 3, "", 0);
	parses("H100XM-1-10C", "H100XM-1-10C", "H100XM", 10, 'C', 1, "", 0);
	parses("NVIDIA H200X-1-18C", "H200X-1-18C", "H200X", 18, 'C', 1, "", 0);
	parses("A100-1-5CME", "A100-1-5CME", "A100", 5, 'C', 1, "ME", 0);
	parses("H100XM-7-80CNOME", "H100XM-7-80CNOME", "H100XM", 80, 'C', 7, "NOME", 0);
	parses("A100-7-40CMEALL", "A100-7-40CMEALL", "A100", 40, 'C', 7, "MEALL", 0);
	parses("RTXPRO6000-1-24QGFX", "RTXPRO6000-1-24QGFX", "RTXPRO6000", 24, 'Q', 1, "GFX", 0);
}

static void test_creatable_line(void **state)
{
	(void)state;
	parses("1414 : NVIDIA H200X-1-18C", "H200X-1-18C", "H200X", 18, 'C', 1, "", 1414);
	parses("562   : NVIDIA L4-4Q", "L4-4Q", "L4", 4, 'Q', 0, "", 562);
}

static void test_not_profiles(void **state)
{
	static const char *const bad[] = {
		"", "A100", "A100-", "-5C", "A100-5", "A100-5X", "A100-3-20", "A100-1-5CXX",
		"A100-5CME",		/* media only on MIG-backed */
		"A100-0-5C", "A100-9-5C", "A100-1-2-5C", "A100--5C", "A1 00-5C",
		"nvidia-232", "i915-GVTg_V5_4", "mtty-1", "0 : A100-5C", "12345C-",
		"A100-99999C", "ID    : vGPU Name",
	};
	struct pt_vgpu_profile p;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pt__vgpu_profile_parse(bad[i], &p, NULL) != -EINVAL)
			fail_msg("'%s' parsed as a profile", bad[i]);
	}
	assert_int_equal(pt__vgpu_profile_parse(NULL, &p, NULL), -EINVAL);
}

static void test_max_instances(void **state)
{
	(void)state;
	assert_int_equal(pt__vgpu_description_max_instances(
		"num_heads=1, frl_config=60, framebuffer=5120M, max_resolution=4096x2160, "
		"max_instance=7"), 7);
	assert_int_equal(pt__vgpu_description_max_instances("max_instance=16, x=1"), 16);
	assert_int_equal(pt__vgpu_description_max_instances("num_heads=4"), -1);
	assert_int_equal(pt__vgpu_description_max_instances("max_instance=x"), -1);
	assert_int_equal(pt__vgpu_description_max_instances("max_instance=7x"), -1);
	assert_int_equal(pt__vgpu_description_max_instances(NULL), -1);
}

static void test_matches(void **state)
{
	(void)state;
	assert_true(pt__vgpu_type_matches("nvidia-232", "nvidia-232", "GRID T4-4Q"));
	assert_true(pt__vgpu_type_matches("GRID T4-4Q", "nvidia-232", "GRID T4-4Q"));
	assert_true(pt__vgpu_type_matches("T4-4Q", "nvidia-232", "GRID T4-4Q"));
	assert_true(pt__vgpu_type_matches("NVIDIA A100-3-20C", "1300", "GRID A100-3-20C"));
	assert_false(pt__vgpu_type_matches("A100-3-20C", "1300", "NVIDIA A100-4-20C"));
	assert_false(pt__vgpu_type_matches("A100-1-5CME", "1300", "NVIDIA A100-1-5C"));
	assert_false(pt__vgpu_type_matches("T4-4Q", "nvidia-232", NULL));
	assert_false(pt__vgpu_type_matches(NULL, "nvidia-232", "GRID T4-4Q"));
}

/* ---- on the gen-sysfs vgpu tree ----------------------------------------- */

static char *tmp;
static struct pt_ctx *ctx;

static int setup_tree(void **state)
{
	char sys[512];

	(void)state;
	tmp = tu_mkdtemp();
	tu_gen_sysfs(tmp, (char *[]){ "--profile", "vgpu", NULL });
	snprintf(sys, sizeof(sys), "%s/sys", tmp);
	return tu_sysfs_ctx(&ctx, sys);
}

static int teardown_tree(void **state)
{
	(void)state;
	tu_tree_free(ctx, tmp);
	return 0;
}

static struct pt_pci_dev *dev(const char *bdf)
{
	return tu_pci_dev(ctx, bdf);
}

static void test_scanned_profiles(void **state)
{
	struct pt_pci_dev *vf = dev("0000:41:00.5");
	struct pt_mdev_parent *p = pt_pci_dev_get_mdev_parent(vf);
	struct pt_vgpu_profile *pr;
	struct pt_mdev_type *t;
	struct pt_vgpu_type *vt;
	int n = 0;

	(void)state;
	assert_non_null(p);
	pt_mdev_type_foreach(p, t) {
		pr = pt_mdev_type_get_profile(t);
		assert_non_null(pr);
		if (!strcmp(pt_vgpu_profile_get_name(pr), "A100-1-5C")) {
			assert_true(pt_vgpu_profile_is_mig(pr));
			assert_int_equal(pt_vgpu_profile_get_max_instances(pr), 7);
			assert_int_equal(pt_vgpu_profile_get_gpu_instance_slices(pr), 1);
			assert_null(pt_vgpu_profile_get_media(pr));
			n++;
		}
		if (!strcmp(pt_vgpu_profile_get_name(pr), "A100-40C")) {
			assert_false(pt_vgpu_profile_is_mig(pr));
			assert_int_equal(pt_vgpu_profile_get_max_instances(pr), 1);
			assert_int_equal(pt_vgpu_profile_get_framebuffer_gb(pr), 40);
			assert_int_equal(pt_vgpu_profile_get_series(pr), 'C');
			n++;
		}
	}
	assert_int_equal(n, 2);
	/* per-VF: the driver states no max */
	vt = pt_vgpu_type_get_first(dev("0000:42:00.6"));
	assert_non_null(vt);
	pr = pt_vgpu_type_get_profile(vt);
	assert_non_null(pr);
	assert_string_equal(pt_vgpu_profile_get_board(pr), "H100XM");
	assert_int_equal(pt_vgpu_profile_get_max_instances(pr), -1);
	/* not an NVIDIA name: no profile */
	pt_mdev_type_foreach(pt_pci_dev_get_mdev_parent(dev("0000:02:00.0")), t)
		assert_non_null(pt_mdev_type_get_profile(t));
}

static void test_capacity(void **state)
{
	struct pt_pci_dev *a100 = dev("0000:41:00.0"), *h100 = dev("0000:42:00.0");

	(void)state;
	/*
	 * mdev on VFs: 15 free VFs, capped by max_instance less what runs
	 * (without NVML: it would cap by the free GPU instances too); a type
	 * no free GPU instance carries is available nowhere
	 */
	assert_int_equal(pt_pci_dev_get_vgpu_capacity(a100, "A100-1-5C"), 7);
	assert_int_equal(pt_pci_dev_get_vgpu_capacity(a100, "A100-3-20C"), 2);
	assert_int_equal(pt_pci_dev_get_vgpu_capacity(a100, "NVIDIA A100-2-10C"), 0);
	assert_int_equal(pt_pci_dev_get_vgpu_capacity(a100, "A100-7-40C"), 0);
	assert_int_equal(pt_pci_dev_get_vgpu_capacity(a100, "A100-40C"), 0);
	assert_int_equal(pt_pci_dev_get_vgpu_capacity(a100, "L40S-4Q"), -ENOENT);
	/* per-VF VFIO: the free VFs that list it */
	assert_int_equal(pt_pci_dev_get_vgpu_capacity(h100, "H100XM-1-10C"), 30);
	assert_int_equal(pt_pci_dev_get_vgpu_capacity(h100, "H100XM-7-80C"), -ENOENT);
	/* mdev on the GPU itself: available_instances */
	assert_int_equal(pt_pci_dev_get_vgpu_capacity(dev("0000:02:00.0"), "T4-4Q"), 3);
	assert_int_equal(pt_pci_dev_get_vgpu_capacity(a100, ""), -EINVAL);
}

static int count_running(struct pt_pci_dev *f, const char *id, const char *name,
			 struct pt_vgpu_profile *prof, void *data)
{
	char *seen = data;

	(void)id;
	snprintf(seen + strlen(seen), 512 - strlen(seen), "%s=%s%s;", pt_pci_dev_get_bdf(f),
		 name ? name : "?", prof && prof->slices ? "(mig)" : "");
	(void)prof;
	return 0;
}

static void test_running(void **state)
{
	char seen[512] = "";

	(void)state;
	pt__vgpu_foreach_running(dev("0000:41:00.0"), count_running, seen);
	assert_string_equal(seen, "0000:41:00.4=NVIDIA A100-2-10C(mig);");
	seen[0] = '\0';
	pt__vgpu_foreach_running(dev("0000:43:00.0"), count_running, seen);
	/* a VF with a type set lists none: a name no free VF lists is unknown */
	assert_string_equal(seen, "0000:43:00.4=?;0000:43:00.5=NVIDIA L40S-8Q;"
			    "0000:43:00.6=NVIDIA L40S-4Q;");
	/* the H100's two instances: named by the free VFs, MIG-backed */
	seen[0] = '\0';
	pt__vgpu_foreach_running(dev("0000:42:00.0"), count_running, seen);
	assert_string_equal(seen, "0000:42:00.4=NVIDIA H100XM-1-10C(mig);"
			    "0000:42:00.5=NVIDIA H100XM-1-10C(mig);");
	/* an unnamed type in a GPU instance is MIG-backed all the same */
	{
		struct pt_ctx *c2;
		char sys[512];

		snprintf(sys, sizeof(sys), "%s/sys", tmp);
		tu_write(sys, "bus/pci/devices/0000:43:00.4/nvidia/gpu_instance_id", "3\n");
		assert_int_equal(pt_new(&c2), 0);
		assert_int_equal(pt_set_sysfs_root(c2, sys), 0);
		seen[0] = '\0';
		pt__vgpu_foreach_running(pt_pci_dev_find(c2, "0000:43:00.0"), count_running, seen);
		assert_non_null(strstr(seen, "0000:43:00.4=?(mig);"));
		pt_unref(c2);
		tu_write(sys, "bus/pci/devices/0000:43:00.4/nvidia/gpu_instance_id", "-1\n");
	}
	assert_true(pt__vgpu_vfs_have_mdev(dev("0000:41:00.0")));
	assert_false(pt__vgpu_vfs_have_mdev(dev("0000:42:00.0")));
	assert_true(pt__vgpu_vfs_have_nvidia(dev("0000:42:00.0")));
	/* the GPU is the member, not its VFs */
	assert_true(pt_group_type_fits_pci_dev(PT_GROUP_VGPU, dev("0000:41:00.0")));
	assert_false(pt_group_type_fits_pci_dev(PT_GROUP_VGPU, dev("0000:41:00.4")));
}

static void test_setting_check(void **state)
{
	char err[512];

	(void)state;
	assert_int_equal(pt__vgpu_profile_setting_check(ctx, "A100-3-20C", err, sizeof(err)), 0);
	assert_int_equal(pt__vgpu_profile_setting_check(ctx, "nvidia-232", err, sizeof(err)), 0);
	assert_int_equal(pt__vgpu_profile_setting_check(ctx, "1312", err, sizeof(err)), 0);
	assert_int_equal(pt__vgpu_profile_setting_check(ctx, "A100-3-20", err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "did you mean 'A100-3-20C'?"));
	assert_int_equal(pt__vgpu_profile_setting_check(ctx, "zzzz", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "see 'pt scan -t vgpu'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_sliced),
		cmocka_unit_test(test_mig_backed),
		cmocka_unit_test(test_creatable_line),
		cmocka_unit_test(test_not_profiles),
		cmocka_unit_test(test_max_instances),
		cmocka_unit_test(test_matches),
	};
	const struct CMUnitTest tree_tests[] = {
		cmocka_unit_test(test_scanned_profiles),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_running),
		cmocka_unit_test(test_setting_check),
	};
	int r = cmocka_run_group_tests_name("parse", tests, NULL, NULL);

	return r | cmocka_run_group_tests_name("tree", tree_tests, setup_tree, teardown_tree);
}
