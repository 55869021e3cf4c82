// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * mdev.c: mdev parents from class/mdev_bus (a PCI GPU and the mtty
 * sample's virtual device), their types and instances, and NVIDIA's
 * per-VF vGPU files (creatable_vgpu_types, current_vgpu_type); creating
 * and removing instances with tests/fakekernel reacting to the writes as
 * Linux would ($PT_FAKEKERNEL, set by CTest), and without it (timeouts).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <uuid/uuid.h>

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
	tmp = tu_mktree(sys, sizeof(sys));

	/* a T4 offering two mdev types (created out of order) */
	tu_pci_fn(sys, "0000:00:02.0", "0x10de\n", "0x1eb8\n", "0x030200\n");
	tu_symlink(sys, "class/mdev_bus/0000:00:02.0", "../../" GPU);
	tu_mdev_type_attr(sys, GPU, "nvidia-223", "name", "GRID T4-2B\n");
	tu_mdev_type_attr(sys, GPU, "nvidia-222", "name", "GRID T4-1B\n");
	tu_mdev_type_attr(sys, GPU, "nvidia-222", "description",
		  "num_heads=4, frl_config=45, framebuffer=1024M, "
		  "max_resolution=5120x2880, max_instance=16\n");
	tu_mdev_type_attr(sys, GPU, "nvidia-222", "available_instances", "14\n");
	tu_mdev_type_attr(sys, GPU, "nvidia-222", "device_api", "vfio-pci\n");
	tu_mkdir(sys, GPU "/mdev_supported_types/nvidia-223/devices");
	instance(GPU, "nvidia-222", U1, 30);
	instance(GPU, "nvidia-222", U2, 32);
	instance(GPU, "nvidia-223", U4, -1);	/* no bus/mdev entry */
	/* not a UUID: ignored */
	tu_symlink(sys, GPU "/mdev_supported_types/nvidia-222/devices/README", "../x");

	/* the mtty sample: a parent that is no PCI function */
	tu_symlink(sys, "class/mdev_bus/mtty", "../../" MTTY);
	tu_mdev_type_attr(sys, MTTY, "mtty-2", "name", "Dual port serial\n");
	tu_mdev_type_attr(sys, MTTY, "mtty-2", "available_instances", "12\n");
	tu_mdev_type_attr(sys, MTTY, "mtty-2", "device_api", "vfio-pci\n");
	tu_mdev_type_attr(sys, MTTY, "mtty-1", "name", "Single port serial\n");
	tu_mdev_type_attr(sys, MTTY, "mtty-1", "available_instances", "24\n");
	tu_mdev_type_attr(sys, MTTY, "mtty-1", "device_api", "vfio-pci\n");
	tu_mdev_type_attr(sys, MTTY, "mtty-1", "description", "\n");
	instance(MTTY, "mtty-2", U3, 31);

	/* a parent named like a function that is not on the bus */
	tu_symlink(sys, "class/mdev_bus/0000:00:09.0",
		   "../../devices/pci0000:00/0000:00:09.0");
	/* entries that are no device: a plain file, a link outside devices/ */
	w("class/mdev_bus/.hidden", "");
	w("class/mdev_bus/junk", "x\n");
	tu_symlink(sys, "class/mdev_bus/odd", "../../nowhere/odd");

	/* a GPU that is no mdev parent */
	tu_pci_fn(sys, "0000:00:03.0", "0x10de\n", "0x1eb8\n", "0x030200\n");

	/* an A10 whose VFs offer NVIDIA per-VF vGPU */
	tu_pci_fn(sys, "0000:00:04.0", "0x10de\n", "0x2236\n", "0x030200\n");
	tu_pci_fn(sys, "0000:00:04.4", "0x10de\n", "0x2236\n", "0x030200\n");
	tu_pci_fn(sys, "0000:00:04.5", "0x10de\n", "0x2236\n", "0x030200\n");
	tu_pci_fn(sys, "0000:00:04.6", "0x10de\n", "0x2236\n", "0x030200\n");
	tu_pci_vgpu(sys, "0000:00:04.4",
		    "ID    : vGPU Name\n557   : NVIDIA A10-4Q\n558   : NVIDIA A10-8Q\n", "0\n");
	/* a VF with a type set: the kernel lists nothing creatable then */
	tu_pci_vgpu(sys, "0000:00:04.5", "ID    : vGPU Name\n", "558\n");
	/* nvidia/ without either file */
	tu_mkdir(sys, "devices/pci0000:00/0000:00:04.6/nvidia");
	/* an nvidia/ directory on a function of another vendor means nothing */
	tu_pci_fn(sys, "0000:00:05.0", "0x8086\n", "0x1572\n", "0x020000\n");
	tu_pci_vgpu(sys, "0000:00:05.0", NULL, "557\n");

	return tu_sysfs_ctx(&ctx, sys);
}

static int teardown(void **state)
{
	(void)state;
	tu_tree_free(ctx, tmp);
	return 0;
}

static struct pt_pci_dev *dev(const char *bdf)
{
	return tu_pci_dev(ctx, bdf);
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

/* ---- creating and removing instances --------------------------------------- */

/*
 * Each test gets its own tree (the "kernel" changes it): the mtty sample
 * (two types, one mtty-2 instance in IOMMU group 31) and a T4 whose
 * types carry max_instance= (NVIDIA: one type at a time per GPU).
 */
static char *kroot;
static char ksys[300];
static pid_t kpid;
static struct pt_ctx *kctx;

#define KU3	"f3b1c9e2-7d4a-4e5f-8a9b-0c1d2e3f4a5b"	/* the mtty-2 instance */
#define KNEW	"5a1c7f0e-9b2d-4c3e-8f4a-1b2c3d4e5f60"
#define KNEW_UP	"5A1C7F0E-9B2D-4C3E-8F4A-1B2C3D4E5F60"
#define T4	"devices/pci0000:00/0000:00:02.0"

static void kw(const char *rel, const char *val)
{
	tu_write(ksys, rel, val);
}

static void ktype(const char *dir, const char *type, const char *name,
		  const char *desc, const char *avail)
{
	tu_mdev_type(ksys, dir, type, name, avail);
	tu_mdev_type_attr(ksys, dir, type, "description", desc);
	tu_mdev_type_attr(ksys, dir, type, "create", "");
}

static void build_tree(void)
{
	kroot = tu_mktree(ksys, sizeof(ksys));
	tu_mkdir(kroot, "sys/bus/mdev/devices");
	tu_mkdir(kroot, "sys/bus/pci/devices");
	tu_mkdir(kroot, "sys/bus/pci/drivers");
	tu_mkdir(kroot, "sys/kernel/iommu_groups");

	tu_symlink(ksys, "class/mdev_bus/mtty", "../../" MTTY);
	ktype(MTTY, "mtty-1", "Single port serial\n", "\n", "24\n");
	ktype(MTTY, "mtty-2", "Dual port serial\n", "\n", "12\n");
	/* KU3 of mtty-2, laid out as Linux lays it out */
	tu_symlink(ksys, MTTY "/" KU3 "/mdev_type", "../mdev_supported_types/mtty-2");
	kw(MTTY "/" KU3 "/remove", "");
	tu_symlink(ksys, MTTY "/" KU3 "/subsystem", "../../../../../bus/mdev");
	tu_symlink(ksys, MTTY "/" KU3 "/iommu_group",
		   "../../../../../kernel/iommu_groups/31");
	tu_symlink(ksys, MTTY "/mdev_supported_types/mtty-2/devices/" KU3,
		   "../../../" KU3);
	tu_symlink(ksys, "bus/mdev/devices/" KU3, "../../../" MTTY "/" KU3);
	kw("kernel/iommu_groups/31/type", "blocked\n");
	tu_symlink(ksys, "kernel/iommu_groups/31/devices/" KU3,
		   "../../../../" MTTY "/" KU3);

	tu_symlink(ksys, "class/mdev_bus/0000:00:02.0", "../../" T4);
	ktype(T4, "nvidia-222", "GRID T4-1B\n", "num_heads=4, frl_config=45, "
	      "framebuffer=1024M, max_resolution=5120x2880, max_instance=16\n", "16\n");
	ktype(T4, "nvidia-223", "GRID T4-2B\n", "num_heads=4, frl_config=45, "
	      "framebuffer=2048M, max_resolution=5120x2880, max_instance=8\n", "8\n");
}

static void start_kernel(void)
{
	const char *fk = tu_fakekernel_path();

	if (!fk)
		fail_msg("no fakekernel: build the fakekernel target or set PT_FAKEKERNEL");
	kpid = tu_fakekernel_start(fk, kroot);
}

static void stop_kernel(void)
{
	tu_fakekernel_stop(&kpid);
}

static int ksetup(bool with_kernel)
{
	build_tree();
	if (with_kernel)
		start_kernel();
	return tu_sysfs_ctx(&kctx, ksys);
}

static int ksetup_kernel(void **state)
{
	(void)state;
	return ksetup(true);
}

static int ksetup_no_kernel(void **state)
{
	(void)state;
	return ksetup(false);
}

static int kteardown(void **state)
{
	(void)state;
	stop_kernel();
	tu_tree_free(kctx, kroot);
	kctx = NULL;
	return 0;
}

static struct pt_mdev_type *ktype_find(const char *parent, const char *id)
{
	struct pt_mdev_parent *p = pt_mdev_parent_find(kctx, parent);
	struct pt_mdev_type *t;

	assert_non_null(p);
	pt_mdev_type_foreach(p, t)
		if (!strcmp(pt_mdev_type_get_id(t), id))
			return t;
	fail_msg("no type %s on %s", id, parent);
	return NULL;
}

/* "uuid:type:group uuid:type:group" of the cached instances. */
static void cached(const char *parent, char *out, size_t len)
{
	struct pt_mdev *m;
	size_t used = 0;

	out[0] = '\0';
	pt_mdev_foreach(pt_mdev_parent_find(kctx, parent), m)
		used += snprintf(out + used, len - used, "%s%s:%s:%d", used ? " " : "",
				 pt_mdev_get_uuid(m), pt_mdev_get_type_id(m),
				 pt_mdev_get_iommu_group(m));
}

static bool kexists(const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", ksys, rel);
	return lstat(path, &st) == 0;
}

static long kread_long(const char *rel)
{
	char path[PATH_MAX];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", ksys, rel);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* The basename of a link in the tree, as the kernel (here: the daemon) made it. */
static void klink_base(const char *rel, char *out, size_t len)
{
	char path[PATH_MAX], t[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", ksys, rel);
	n = readlink(path, t, sizeof(t) - 1);
	if (n < 0)
		fail_msg("%s: not a link", rel);
	t[n] = '\0';
	{
		const char *b = strrchr(t, '/') ? strrchr(t, '/') + 1 : t;
		size_t bl = strlen(b);

		if (bl >= len)
			fail_msg("%s: link target too long", rel);
		memcpy(out, b, bl + 1);
	}
}

/* Lines of the daemon's log holding text. */
static int klog_count(const char *text)
{
	char path[PATH_MAX], line[1024];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/.fakekernel/log", kroot);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, text) != NULL;
	fclose(f);
	return n;
}

/*
 * The daemon logs a write once it has reacted, a moment after the tree
 * shows the result: wait for the line (2 s at most).
 */
static bool klog_wait(const char *text)
{
	for (int i = 0; i < 400; i++) {
		struct timespec ts = { 0, 5 * 1000 * 1000L };

		if (klog_count(text))
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

#define AVAIL(dir, type) kread_long(dir "/mdev_supported_types/" type "/available_instances")

static void test_create(void **state)
{
	struct pt_mdev_type *t = ktype_find("mtty", "mtty-2");
	char out[37] = "", want[512], got[512], grp[32];

	(void)state;
	assert_int_equal(pt_mdev_type_get_available_instances(t), 12);
	cached("mtty", got, sizeof(got));
	assert_string_equal(got, KU3 ":mtty-2:31");

	/* upper case in, the kernel's lower-case name out */
	assert_int_equal(pt_mdev_create(t, KNEW_UP, out), 0);
	assert_string_equal(out, KNEW);
	assert_true(kexists(MTTY "/" KNEW));
	assert_true(kexists(MTTY "/mdev_supported_types/mtty-2/devices/" KNEW));
	assert_true(kexists("bus/mdev/devices/" KNEW));
	klink_base(MTTY "/" KNEW "/mdev_type", got, sizeof(got));
	assert_string_equal(got, "mtty-2");
	assert_true(klog_wait("mdev " KNEW " of type mtty-2 created on mtty"));

	/* the cache follows: the instance (with the group the kernel gave
	 * it) in scan order, and the counts as sysfs shows them now */
	klink_base(MTTY "/" KNEW "/iommu_group", grp, sizeof(grp));
	snprintf(want, sizeof(want), "%s:mtty-2:%s %s:mtty-2:31", KNEW, grp, KU3);
	cached("mtty", got, sizeof(got));
	assert_string_equal(got, want);
	assert_int_equal(AVAIL(MTTY, "mtty-2"), 11);
	assert_int_equal(pt_mdev_type_get_available_instances(t), 11);
	assert_int_equal(pt_mdev_type_get_available_instances(
				 ktype_find("mtty", "mtty-1")), AVAIL(MTTY, "mtty-1"));

	/* a new context reads the same from sysfs */
	{
		struct pt_ctx *c;
		struct pt_mdev *m;
		char again[512];
		size_t used = 0;

		assert_int_equal(pt_new(&c), 0);
		pt_set_log_priority(c, 0);
		assert_int_equal(pt_set_sysfs_root(c, ksys), 0);
		again[0] = '\0';
		pt_mdev_foreach(pt_mdev_parent_find(c, "mtty"), m)
			used += snprintf(again + used, sizeof(again) - used, "%s%s:%s:%d",
					 used ? " " : "", pt_mdev_get_uuid(m),
					 pt_mdev_get_type_id(m), pt_mdev_get_iommu_group(m));
		assert_string_equal(again, want);
		pt_unref(c);
	}
}

static void test_create_random(void **state)
{
	struct pt_mdev_type *t = ktype_find("mtty", "mtty-1");
	char out[37], rel[256], got[512];
	struct pt_mdev *m;
	uuid_t u;
	int n = 0;

	(void)state;
	memset(out, 'x', sizeof(out));
	assert_int_equal(pt_mdev_create(t, NULL, out), 0);
	assert_int_equal(strlen(out), 36);
	assert_int_equal(uuid_parse(out, u), 0);
	/* version 4 (random), RFC 4122 variant, lower case */
	assert_int_equal(out[14], '4');
	assert_non_null(strchr("89ab", out[19]));
	for (const char *c = out; *c; c++)
		assert_false(isupper((unsigned char)*c));
	snprintf(rel, sizeof(rel), MTTY "/mdev_supported_types/mtty-1/devices/%s", out);
	assert_true(kexists(rel));
	assert_int_equal(pt_mdev_type_get_available_instances(t), 23);

	/* no uuid_out: created all the same */
	assert_int_equal(pt_mdev_create(t, NULL, NULL), 0);
	assert_int_equal(pt_mdev_type_get_available_instances(t), 22);
	pt_mdev_foreach(pt_mdev_parent_find(kctx, "mtty"), m)
		n += !strcmp(pt_mdev_get_type_id(m), "mtty-1");
	assert_int_equal(n, 2);
	cached("mtty", got, sizeof(got));
	assert_non_null(strstr(got, out));
}

static void test_remove(void **state)
{
	struct pt_mdev_parent *p = pt_mdev_parent_find(kctx, "mtty");
	struct pt_mdev_type *t2 = ktype_find("mtty", "mtty-2");
	char got[512];

	(void)state;
	/* a held instance list is filled first: the removal must update it */
	cached("mtty", got, sizeof(got));
	assert_string_equal(got, KU3 ":mtty-2:31");
	assert_int_equal(pt_mdev_remove(p, "F3B1C9E2-7D4A-4E5F-8A9B-0C1D2E3F4A5B"), 0);
	assert_false(kexists(MTTY "/" KU3));
	assert_false(kexists("bus/mdev/devices/" KU3));
	assert_false(kexists(MTTY "/mdev_supported_types/mtty-2/devices/" KU3));
	assert_true(klog_wait("mdev " KU3 " removed"));
	assert_null(pt_mdev_get_first(p));
	assert_int_equal(AVAIL(MTTY, "mtty-2"), 13);
	assert_int_equal(pt_mdev_type_get_available_instances(t2), 13);
	/* gone: a second removal finds nothing */
	assert_int_equal(pt_mdev_remove(p, KU3), -ENOENT);

	/* create and remove again, on a parent whose instances were never listed */
	assert_int_equal(pt_mdev_create(t2, KNEW, NULL), 0);
	assert_int_equal(pt_mdev_type_get_available_instances(t2), 12);
	assert_int_equal(pt_mdev_remove(p, KNEW), 0);
	assert_null(pt_mdev_get_first(p));
	assert_int_equal(pt_mdev_type_get_available_instances(t2), 13);
}

static void test_nvidia_one_type(void **state)
{
	struct pt_mdev_type *t222 = ktype_find("0000:00:02.0", "nvidia-222");
	struct pt_mdev_type *t223 = ktype_find("0000:00:02.0", "nvidia-223");
	struct pt_mdev_parent *p = pt_mdev_type_get_parent(t222);
	char out[37], got[512];

	(void)state;
	assert_int_equal(pt_mdev_type_get_available_instances(t222), 16);
	assert_int_equal(pt_mdev_type_get_available_instances(t223), 8);
	assert_int_equal(pt_mdev_create(t223, NULL, out), 0);
	/* one type at a time: the other type's count went to 0 as well */
	assert_int_equal(pt_mdev_type_get_available_instances(t223), 7);
	assert_int_equal(pt_mdev_type_get_available_instances(t222), 0);
	assert_int_equal(AVAIL(T4, "nvidia-222"), 0);

	/* none left: refused before anything is written */
	assert_int_equal(pt_mdev_create(t222, KNEW, NULL), -ENOSPC);
	assert_false(kexists(T4 "/" KNEW));

	assert_int_equal(pt_mdev_remove(p, out), 0);
	/* the daemon has handled every write up to the remove: no create of 222 */
	snprintf(got, sizeof(got), "mdev %s removed", out);
	assert_true(klog_wait(got));
	assert_int_equal(klog_count("nvidia-222/create <-"), 0);
	assert_int_equal(klog_count("nvidia-223/create <-"), 1);
	assert_int_equal(pt_mdev_type_get_available_instances(t222), 16);
	assert_int_equal(pt_mdev_type_get_available_instances(t223), 8);
	cached("0000:00:02.0", got, sizeof(got));
	assert_string_equal(got, "");
	/* and now the other type can be had */
	assert_int_equal(pt_mdev_create(t222, KNEW, NULL), 0);
	assert_int_equal(pt_mdev_type_get_available_instances(t223), 0);
	assert_int_equal(pt_mdev_type_get_available_instances(t222), 15);
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"", "x", "../../../../etc/passwd", "mtty-2/create",
		"5a1c7f0e-9b2d-4c3e-8f4a-1b2c3d4e5f6",		/* short */
		"5a1c7f0e-9b2d-4c3e-8f4a-1b2c3d4e5f600",	/* long */
		"5a1c7f0e-9b2d-4c3e-8f4a-1b2c3d4e5f6g",		/* not hex */
		"5a1c7f0e9b2d-4c3e-8f4a-1b2c3d4e5f600",		/* a dash moved */
		"{5a1c7f0e-9b2d-4c3e-8f4a-1b2c3d4e5f6}",
		" 5a1c7f0e-9b2d-4c3e-8f4a-1b2c3d4e5f6",
	};
	struct pt_mdev_type *t = ktype_find("mtty", "mtty-1");
	struct pt_mdev_parent *p = pt_mdev_type_get_parent(t);
	char got[512];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(pt_mdev_create(t, bad[i], NULL), -EINVAL);
		assert_int_equal(pt_mdev_remove(p, bad[i]), -EINVAL);
	}
	assert_int_equal(pt_mdev_create(NULL, KNEW, NULL), -EINVAL);
	assert_int_equal(pt_mdev_remove(NULL, KNEW), -EINVAL);
	assert_int_equal(pt_mdev_remove(p, NULL), -EINVAL);

	/* one UUID, one instance: on any type, in either case */
	assert_int_equal(pt_mdev_create(t, KU3, NULL), -EEXIST);
	assert_int_equal(pt_mdev_create(ktype_find("mtty", "mtty-2"),
					"F3B1C9E2-7D4A-4E5F-8A9B-0C1D2E3F4A5B", NULL),
			 -EEXIST);
	/* the UUID is taken on the mdev bus, by another parent's instance */
	assert_int_equal(pt_mdev_create(ktype_find("0000:00:02.0", "nvidia-222"),
					KU3, NULL), -EEXIST);
	/* no such instance */
	assert_int_equal(pt_mdev_remove(p, KNEW), -ENOENT);
	/* an instance of mtty is none of the T4's */
	assert_int_equal(pt_mdev_remove(pt_mdev_parent_find(kctx, "0000:00:02.0"),
					KU3), -ENOENT);

	/* nothing was written, nothing changed */
	cached("mtty", got, sizeof(got));
	assert_string_equal(got, KU3 ":mtty-2:31");
	assert_int_equal(pt_mdev_type_get_available_instances(t), 24);
	/* once the daemon has handled one write, it has seen all before it */
	assert_int_equal(pt_mdev_create(t, KNEW, NULL), 0);
	assert_true(klog_wait("mdev " KNEW " of type mtty-1 created"));
	assert_int_equal(klog_count("create <-"), 1);
	assert_int_equal(klog_count("remove <-"), 0);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* No kernel reacts: the writes land in plain files, nothing appears or goes. */
static void test_timeout(void **state)
{
	struct pt_mdev_type *t = ktype_find("mtty", "mtty-2");
	struct pt_mdev_parent *p = pt_mdev_type_get_parent(t);
	char out[37], got[512];
	double t0;

	(void)state;
	t0 = now_s();
	assert_int_equal(pt_mdev_create(t, KNEW, out), -ETIMEDOUT);
	assert_true(now_s() - t0 >= 1.9);
	/* the UUID it waited for is the caller's to clean up after */
	assert_string_equal(out, KNEW);
	assert_false(kexists(MTTY "/" KNEW));
	cached("mtty", got, sizeof(got));
	assert_string_equal(got, KU3 ":mtty-2:31");
	assert_int_equal(pt_mdev_type_get_available_instances(t), 12);

	t0 = now_s();
	assert_int_equal(pt_mdev_remove(p, KU3), -ETIMEDOUT);
	assert_true(now_s() - t0 >= 1.9);
	assert_true(kexists(MTTY "/" KU3));
	cached("mtty", got, sizeof(got));
	assert_string_equal(got, KU3 ":mtty-2:31");
}

/* What the write itself fails with comes back. */
static void test_write_error(void **state)
{
	struct pt_mdev_type *t = ktype_find("mtty", "mtty-1");
	char path[PATH_MAX];

	(void)state;
	snprintf(path, sizeof(path), "%s/" MTTY "/mdev_supported_types/mtty-1/create",
		 ksys);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(pt_mdev_create(t, KNEW, NULL), -EISDIR);
	assert_int_equal(rmdir(path), 0);
	/* no create attribute at all */
	assert_int_equal(pt_mdev_create(t, KNEW, NULL), -ENOENT);
	/* a symlink is never written through */
	assert_int_equal(symlink("/dev/null", path), 0);
	assert_int_equal(pt_mdev_create(t, KNEW, NULL), -ELOOP);
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

	/* each its own tree, context and (when named) test kernel */
	const struct CMUnitTest changes[] = {
		cmocka_unit_test_setup_teardown(test_create, ksetup_kernel, kteardown),
		cmocka_unit_test_setup_teardown(test_create_random, ksetup_kernel, kteardown),
		cmocka_unit_test_setup_teardown(test_remove, ksetup_kernel, kteardown),
		cmocka_unit_test_setup_teardown(test_nvidia_one_type, ksetup_kernel, kteardown),
		cmocka_unit_test_setup_teardown(test_refused, ksetup_kernel, kteardown),
		cmocka_unit_test_setup_teardown(test_timeout, ksetup_no_kernel, kteardown),
		cmocka_unit_test_setup_teardown(test_write_error, ksetup_no_kernel, kteardown),
	};
	int failed;

	/* one tree and one context: every test only reads */
	failed = cmocka_run_group_tests(tests, setup, teardown);
	return failed + cmocka_run_group_tests(changes, NULL, NULL);
}
