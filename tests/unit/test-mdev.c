// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mdev.c: mdev parents from class/mdev_bus (a PCI GPU and the mtty
 * sample's virtual device), their types and instances, and NVIDIA's
 * per-VF vGPU files (creatable_vgpu_types, current_vgpu_type).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"
#include "testutil.h"

static char *tmp;
static char sys[256];
static struct pt_ctx *ctx;

#define U1 "4b20d080-1b54-4048-85b3-a6a62d165c01"
#define U2 "0a8e6c9a-3f2b-4d8e-9f7a-1c2d3e4f5a6b"
#define U3 "f3b1c9e2-7d4a-4e5f-8a9b-0c1d2e3f4a5b"
#define U4 "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001"

static void w(const char *rel, const char *val)
{
	tu_write(sys, rel, val);
}

/* A PCI function at devices/pci0000:00/<bdf> that libpci lists. */
static void fn(const char *bdf, const char *vendor, const char *device,
	       const char *class)
{
	char rel[256], t[256];

#define A(name, v) do {							\
	snprintf(rel, sizeof(rel), "devices/pci0000:00/%s/%s", bdf, name);	\
	w(rel, v);							\
} while (0)
	A("vendor", vendor);
	A("device", device);
	A("class", class);
	A("irq", "0\n");
	A("resource", "0x0000000000000000 0x0000000000000000 0x0000000000000000\n");
#undef A
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s", bdf);
	snprintf(t, sizeof(t), "../../../devices/pci0000:00/%s", bdf);
	tu_symlink(sys, rel, t);
}

/* <parent dir>/mdev_supported_types/<type>/<attr> */
static void type_attr(const char *dir, const char *type, const char *name,
		      const char *val)
{
	char rel[512];

	snprintf(rel, sizeof(rel), "%s/mdev_supported_types/%s/%s", dir, type, name);
	w(rel, val);
}

/* An instance of type on the parent at dir: its device and links. */
static void instance(const char *dir, const char *type, const char *uuid,
		     int group)
{
	char rel[512], t[512];
	int depth = 1;

	for (const char *p = dir; *p; p++)
		depth += *p == '/';
	/* the mdev device sits under its parent */
	snprintf(rel, sizeof(rel), "%s/%s/mdev_type", dir, uuid);
	tu_symlink(sys, rel, "../mdev_supported_types/x");
	snprintf(rel, sizeof(rel), "%s/mdev_supported_types/%s/devices/%s", dir,
		 type, uuid);
	snprintf(t, sizeof(t), "../../../%s", uuid);
	tu_symlink(sys, rel, t);
	if (group < 0)
		return;
	snprintf(rel, sizeof(rel), "bus/mdev/devices/%s", uuid);
	snprintf(t, sizeof(t), "../../../%s/%s", dir, uuid);
	tu_symlink(sys, rel, t);
	snprintf(rel, sizeof(rel), "kernel/iommu_groups/%d/devices", group);
	tu_mkdir(sys, rel);
	snprintf(rel, sizeof(rel), "%s/%s/iommu_group", dir, uuid);
	t[0] = '\0';
	for (int i = 0; i < depth + 1; i++)
		strcat(t, "../");
	snprintf(t + strlen(t), sizeof(t) - strlen(t), "kernel/iommu_groups/%d", group);
	tu_symlink(sys, rel, t);
}

#define GPU	"devices/pci0000:00/0000:00:02.0"
#define MTTY	"devices/virtual/mtty/mtty"

static int setup(void **state)
{
	(void)state;
	tmp = tu_mkdtemp();
	snprintf(sys, sizeof(sys), "%s/sys", tmp);
	tu_mkdir(tmp, "sys");

	/* a T4 offering two mdev types (created out of order) */
	fn("0000:00:02.0", "0x10de\n", "0x1eb8\n", "0x030200\n");
	tu_symlink(sys, "class/mdev_bus/0000:00:02.0", "../../" GPU);
	type_attr(GPU, "nvidia-223", "name", "GRID T4-2B\n");
	type_attr(GPU, "nvidia-222", "name", "GRID T4-1B\n");
	type_attr(GPU, "nvidia-222", "description",
		  "num_heads=4, frl_config=45, framebuffer=1024M, "
		  "max_resolution=5120x2880, max_instance=16\n");
	type_attr(GPU, "nvidia-222", "available_instances", "14\n");
	type_attr(GPU, "nvidia-222", "device_api", "vfio-pci\n");
	tu_mkdir(sys, GPU "/mdev_supported_types/nvidia-223/devices");
	instance(GPU, "nvidia-222", U1, 30);
	instance(GPU, "nvidia-222", U2, 32);
	instance(GPU, "nvidia-223", U4, -1);	/* no bus/mdev entry */
	/* not a UUID: ignored */
	tu_symlink(sys, GPU "/mdev_supported_types/nvidia-222/devices/README", "../x");

	/* the mtty sample: a parent that is no PCI function */
	tu_symlink(sys, "class/mdev_bus/mtty", "../../" MTTY);
	type_attr(MTTY, "mtty-2", "name", "Dual port serial\n");
	type_attr(MTTY, "mtty-2", "available_instances", "12\n");
	type_attr(MTTY, "mtty-2", "device_api", "vfio-pci\n");
	type_attr(MTTY, "mtty-1", "name", "Single port serial\n");
	type_attr(MTTY, "mtty-1", "available_instances", "24\n");
	type_attr(MTTY, "mtty-1", "device_api", "vfio-pci\n");
	type_attr(MTTY, "mtty-1", "description", "\n");
	instance(MTTY, "mtty-2", U3, 31);

	/* a parent named like a function that is not on the bus */
	tu_symlink(sys, "class/mdev_bus/0000:00:09.0",
		   "../../devices/pci0000:00/0000:00:09.0");
	/* entries that are no device: a plain file, a link outside devices/ */
	w("class/mdev_bus/.hidden", "");
	w("class/mdev_bus/junk", "x\n");
	tu_symlink(sys, "class/mdev_bus/odd", "../../nowhere/odd");

	/* a GPU that is no mdev parent */
	fn("0000:00:03.0", "0x10de\n", "0x1eb8\n", "0x030200\n");

	/* an A10 whose VFs offer NVIDIA per-VF vGPU */
	fn("0000:00:04.0", "0x10de\n", "0x2236\n", "0x030200\n");
	fn("0000:00:04.4", "0x10de\n", "0x2236\n", "0x030200\n");
	fn("0000:00:04.5", "0x10de\n", "0x2236\n", "0x030200\n");
	fn("0000:00:04.6", "0x10de\n", "0x2236\n", "0x030200\n");
	w("devices/pci0000:00/0000:00:04.4/nvidia/creatable_vgpu_types",
	  "ID    : vGPU Name\n557   : NVIDIA A10-4Q\n558   : NVIDIA A10-8Q\n");
	w("devices/pci0000:00/0000:00:04.4/nvidia/current_vgpu_type", "0\n");
	/* a VF with a type set: the kernel lists nothing creatable then */
	w("devices/pci0000:00/0000:00:04.5/nvidia/creatable_vgpu_types",
	  "ID    : vGPU Name\n");
	w("devices/pci0000:00/0000:00:04.5/nvidia/current_vgpu_type", "558\n");
	/* nvidia/ without either file */
	tu_mkdir(sys, "devices/pci0000:00/0000:00:04.6/nvidia");
	/* an nvidia/ directory on a function of another vendor means nothing */
	fn("0000:00:05.0", "0x8086\n", "0x1572\n", "0x020000\n");
	w("devices/pci0000:00/0000:00:05.0/nvidia/current_vgpu_type", "557\n");

	if (pt_new(&ctx) < 0)
		return -1;
	pt_set_log_priority(ctx, 0);
	return pt_set_sysfs_root(ctx, sys);
}

static int teardown(void **state)
{
	(void)state;
	pt_unref(ctx);
	tu_rmtree(tmp);
	free(tmp);
	return 0;
}

static struct pt_pci_dev *dev(const char *bdf)
{
	struct pt_pci_dev *d = pt_pci_dev_find(ctx, bdf);

	if (!d)
		fail_msg("%s not found", bdf);
	return d;
}

/* ---- parents ------------------------------------------------------------ */

static void test_parents(void **state)
{
	static const char *const want[] = { "0000:00:02.0", "0000:00:09.0", "mtty" };
	struct pt_mdev_parent *p;
	size_t n = 0;

	(void)state;
	pt_mdev_parent_foreach(ctx, p) {
		assert_true(n < 3);
		assert_string_equal(pt_mdev_parent_get_name(p), want[n]);
		assert_ptr_equal(pt_mdev_parent_find(ctx, want[n]), p);
		n++;
	}
	assert_int_equal(n, 3);

	p = pt_mdev_parent_find(ctx, "0000:00:02.0");
	assert_ptr_equal(pt_mdev_parent_get_pci_dev(p), dev("0000:00:02.0"));
	assert_string_equal(p->path, GPU);
	assert_ptr_equal(pt_pci_dev_get_mdev_parent(dev("0000:00:02.0")), p);

	p = pt_mdev_parent_find(ctx, "mtty");
	assert_null(pt_mdev_parent_get_pci_dev(p));
	assert_string_equal(p->path, MTTY);

	/* named like a function, but none is on the bus */
	assert_null(pt_mdev_parent_get_pci_dev(pt_mdev_parent_find(ctx, "0000:00:09.0")));
	assert_null(pt_mdev_type_get_first(pt_mdev_parent_find(ctx, "0000:00:09.0")));
	assert_null(pt_mdev_get_first(pt_mdev_parent_find(ctx, "0000:00:09.0")));

	assert_null(pt_mdev_parent_find(ctx, "junk"));
	assert_null(pt_mdev_parent_find(ctx, "odd"));
	assert_null(pt_mdev_parent_find(ctx, "0000:00:03.0"));
	assert_null(pt_pci_dev_get_mdev_parent(dev("0000:00:03.0")));
	assert_null(pt_pci_dev_get_mdev_parent(dev("0000:00:04.0")));
}

static void test_parent_via_pci_first(void **state)
{
	struct pt_ctx *c;
	struct pt_pci_dev *d;

	(void)state;
	/* asking a function first scans the parents as well */
	assert_int_equal(pt_new(&c), 0);
	pt_set_log_priority(c, 0);
	assert_int_equal(pt_set_sysfs_root(c, sys), 0);
	d = pt_pci_dev_find(c, "0000:00:02.0");
	assert_non_null(d);
	assert_false(c->mdev_scanned);
	assert_non_null(pt_pci_dev_get_mdev_parent(d));
	assert_true(c->mdev_scanned);
	/* and a new root drops the link with the rest */
	assert_int_equal(pt_set_sysfs_root(c, sys), 0);
	assert_null(c->mdev_parents);
	assert_false(c->mdev_scanned);
	d = pt_pci_dev_find(c, "0000:00:02.0");
	assert_string_equal(pt_mdev_parent_get_name(pt_pci_dev_get_mdev_parent(d)),
			    "0000:00:02.0");
	pt_unref(c);
}

static void test_no_mdev_bus(void **state)
{
	char *root = tu_mkdtemp(), dir[300];
	struct pt_ctx *c;

	(void)state;
	tu_mkdir(root, "sys/bus/pci/devices");
	snprintf(dir, sizeof(dir), "%s/sys", root);
	assert_int_equal(pt_new(&c), 0);
	pt_set_log_priority(c, 0);
	assert_int_equal(pt_set_sysfs_root(c, dir), 0);
	assert_null(pt_mdev_parent_get_first(c));
	assert_int_equal(pt__mdev_scan(c), 0);
	assert_null(pt_mdev_parent_find(c, "mtty"));
	pt_unref(c);
	tu_rmtree(root);
	free(root);
}

/* ---- types and instances ------------------------------------------------ */

static void test_types(void **state)
{
	struct pt_mdev_parent *p = pt_mdev_parent_find(ctx, "0000:00:02.0");
	struct pt_mdev_type *t;

	(void)state;
	t = pt_mdev_type_get_first(p);
	assert_non_null(t);
	assert_ptr_equal(pt_mdev_type_get_parent(t), p);
	assert_string_equal(pt_mdev_type_get_id(t), "nvidia-222");
	assert_string_equal(pt_mdev_type_get_name(t), "GRID T4-1B");
	assert_string_equal(pt_mdev_type_get_description(t),
			    "num_heads=4, frl_config=45, framebuffer=1024M, "
			    "max_resolution=5120x2880, max_instance=16");
	assert_string_equal(pt_mdev_type_get_device_api(t), "vfio-pci");
	assert_int_equal(pt_mdev_type_get_available_instances(t), 14);
	t = pt_mdev_type_get_next(t);
	assert_non_null(t);
	/* attributes that are missing: NULL and -1 */
	assert_string_equal(pt_mdev_type_get_id(t), "nvidia-223");
	assert_string_equal(pt_mdev_type_get_name(t), "GRID T4-2B");
	assert_null(pt_mdev_type_get_description(t));
	assert_null(pt_mdev_type_get_device_api(t));
	assert_int_equal(pt_mdev_type_get_available_instances(t), -1);
	assert_null(pt_mdev_type_get_next(t));

	p = pt_mdev_parent_find(ctx, "mtty");
	t = pt_mdev_type_get_first(p);
	assert_string_equal(pt_mdev_type_get_id(t), "mtty-1");
	assert_string_equal(pt_mdev_type_get_name(t), "Single port serial");
	assert_string_equal(pt_mdev_type_get_description(t), "");	/* empty file */
	assert_int_equal(pt_mdev_type_get_available_instances(t), 24);
	t = pt_mdev_type_get_next(t);
	assert_string_equal(pt_mdev_type_get_id(t), "mtty-2");
	assert_string_equal(pt_mdev_type_get_name(t), "Dual port serial");
	assert_string_equal(pt_mdev_type_get_device_api(t), "vfio-pci");
	assert_int_equal(pt_mdev_type_get_available_instances(t), 12);
	assert_null(pt_mdev_type_get_next(t));
}

static void test_instances(void **state)
{
	struct pt_mdev_parent *p = pt_mdev_parent_find(ctx, "0000:00:02.0");
	struct pt_mdev *m;

	(void)state;
	/* by type, then by UUID; README skipped */
	m = pt_mdev_get_first(p);
	assert_non_null(m);
	assert_string_equal(pt_mdev_get_uuid(m), U2);
	assert_string_equal(pt_mdev_get_type_id(m), "nvidia-222");
	assert_int_equal(pt_mdev_get_iommu_group(m), 32);
	m = pt_mdev_get_next(m);
	assert_non_null(m);
	assert_string_equal(pt_mdev_get_uuid(m), U1);
	assert_string_equal(pt_mdev_get_type_id(m), "nvidia-222");
	assert_int_equal(pt_mdev_get_iommu_group(m), 30);
	m = pt_mdev_get_next(m);
	assert_non_null(m);
	assert_string_equal(pt_mdev_get_uuid(m), U4);
	assert_string_equal(pt_mdev_get_type_id(m), "nvidia-223");
	assert_int_equal(pt_mdev_get_iommu_group(m), PT_NO_IOMMU_GROUP);
	assert_null(pt_mdev_get_next(m));

	m = pt_mdev_get_first(pt_mdev_parent_find(ctx, "mtty"));
	assert_non_null(m);
	assert_string_equal(pt_mdev_get_uuid(m), U3);
	assert_string_equal(pt_mdev_get_type_id(m), "mtty-2");
	assert_int_equal(pt_mdev_get_iommu_group(m), 31);
	assert_null(pt_mdev_get_next(m));
}

/* ---- NVIDIA per-VF vGPU -------------------------------------------------- */

/* "557=NVIDIA A10-4Q,558=..." from a parsed list, freed after. */
static void parsed(const char *text, char *out, size_t len)
{
	struct pt_vgpu_type *t, *n, *head = NULL;
	size_t used = 0;

	assert_int_equal(pt__vgpu_types_parse(text, &head), 0);
	out[0] = '\0';
	for (t = head; t; t = n) {
		n = t->next;
		used += snprintf(out + used, len - used, "%s%u=%s", used ? "," : "",
				 t->id, t->name);
		free(t->name);
		free(t);
	}
}

static void test_vgpu_parse(void **state)
{
	char got[1024], longline[400];

	(void)state;
	parsed("ID    : vGPU Name\n557   : NVIDIA A10-4Q\n558   : NVIDIA A10-8Q\n",
	       got, sizeof(got));
	assert_string_equal(got, "557=NVIDIA A10-4Q,558=NVIDIA A10-8Q");
	/* only the header, or nothing */
	parsed("ID    : vGPU Name\n", got, sizeof(got));
	assert_string_equal(got, "");
	parsed("", got, sizeof(got));
	assert_string_equal(got, "");
	/* odd spacing: none, tabs, leading, trailing, CRLF, no final newline */
	parsed("557:NVIDIA A10-4Q\n\t558\t:\tNVIDIA A10-8Q\t\n  559 :  NVIDIA A10-12Q  "
	       "\r\n560 : NVIDIA A10-24Q", got, sizeof(got));
	assert_string_equal(got, "557=NVIDIA A10-4Q,558=NVIDIA A10-8Q,"
			    "559=NVIDIA A10-12Q,560=NVIDIA A10-24Q");
	/* a name may hold a colon; only the first one separates */
	parsed("561 : NVIDIA A10:odd\n", got, sizeof(got));
	assert_string_equal(got, "561=NVIDIA A10:odd");
	/* garbage lines go, good lines around them stay */
	parsed("garbage\n557 : NVIDIA A10-4Q\n: no id\n12x : bad id\n0 : zero\n"
	       "-5 : negative\n4294967296 : too big\n558 NVIDIA A10-8Q\n\n"
	       "   \n4294967295 : max\n", got, sizeof(got));
	assert_string_equal(got, "557=NVIDIA A10-4Q,4294967295=max");
	/* a line longer than the parser's buffer is skipped whole */
	memset(longline, 'x', sizeof(longline));
	memcpy(longline, "600 : ", 6);
	longline[sizeof(longline) - 1] = '\0';
	{
		char text[512];

		snprintf(text, sizeof(text), "%s\n601 : ok\n", longline);
		parsed(text, got, sizeof(got));
		assert_string_equal(got, "601=ok");
	}
}

static void test_vgpu_sysfs(void **state)
{
	struct pt_pci_dev *d = dev("0000:00:04.4");
	struct pt_vgpu_type *t;

	(void)state;
	assert_true(pt_pci_dev_has_nvidia_vgpu(d));
	t = pt_vgpu_type_get_first(d);
	assert_non_null(t);
	assert_int_equal(pt_vgpu_type_get_id(t), 557);
	assert_string_equal(pt_vgpu_type_get_name(t), "NVIDIA A10-4Q");
	t = pt_vgpu_type_get_next(t);
	assert_non_null(t);
	assert_int_equal(pt_vgpu_type_get_id(t), 558);
	assert_string_equal(pt_vgpu_type_get_name(t), "NVIDIA A10-8Q");
	assert_null(pt_vgpu_type_get_next(t));
	assert_int_equal(pt_pci_dev_get_current_vgpu_type(d), 0);

	d = dev("0000:00:04.5");
	assert_true(pt_pci_dev_has_nvidia_vgpu(d));
	assert_int_equal(pt_pci_dev_get_current_vgpu_type(d), 558);
	assert_null(pt_vgpu_type_get_first(d));

	d = dev("0000:00:04.6");	/* nvidia/ with no files */
	assert_true(pt_pci_dev_has_nvidia_vgpu(d));
	assert_null(pt_vgpu_type_get_first(d));
	assert_int_equal(pt_pci_dev_get_current_vgpu_type(d), 0);

	/* the PF itself has no nvidia/; another vendor's nvidia/ is ignored */
	d = dev("0000:00:04.0");
	assert_false(pt_pci_dev_has_nvidia_vgpu(d));
	assert_null(pt_vgpu_type_get_first(d));
	assert_int_equal(pt_pci_dev_get_current_vgpu_type(d), 0);
	d = dev("0000:00:05.0");
	assert_false(pt_pci_dev_has_nvidia_vgpu(d));
	assert_int_equal(pt_pci_dev_get_current_vgpu_type(d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parents),
		cmocka_unit_test(test_parent_via_pci_first),
		cmocka_unit_test(test_no_mdev_bus),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_instances),
		cmocka_unit_test(test_vgpu_parse),
		cmocka_unit_test(test_vgpu_sysfs),
	};

	/* one tree and one context: every test only reads */
	return cmocka_run_group_tests(tests, setup, teardown);
}
