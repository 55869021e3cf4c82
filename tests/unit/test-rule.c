// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Rule expressions: lexer, parser and evaluator. PCI, vGPU and SR-IOV NIC
 * fields are read from devices the real scanner finds in a small fixture
 * sysfs tree; USB fields (libusb enumerates only the live system) go
 * through pt__rule_match_values() with values given as text.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "testutil.h"

static char *root;
static struct pt_ctx *ctx;

/* ---- the fixture tree --------------------------------------------------- */

struct fdev {
	const char *bdf;
	const char *vendor, *device, *class;
	const char *subvendor, *subdevice;
	const char *driver;		/* NULL: unbound */
	const char *iommu_group;	/* NULL: none */
	const char *numa_node;		/* NULL: no file */
};

static void add_pci(const struct fdev *d)
{
	char path[64];

	snprintf(path, sizeof(path), "pci%.4s:%.2s/%s", d->bdf, d->bdf + 5, d->bdf);
	tu_pci_fn(root, path, d->vendor, d->device, d->class);
	tu_pci_subsys(root, path, d->subvendor ? d->subvendor : "0x0000\n",
		      d->subdevice ? d->subdevice : "0x0000\n");
	tu_dev_attr(root, path, "revision", "0xa1\n");
	tu_dev_attr(root, path, "irq", "16\n");
	tu_dev_attr(root, path, "resource",
		    "0x00000000fd000000 0x00000000fdffffff 0x0000000000040200\n");
	if (d->numa_node)
		tu_dev_attr(root, path, "numa_node", d->numa_node);
	if (d->driver)
		tu_pci_driver(root, path, d->driver);
	if (d->iommu_group)
		tu_pci_group(root, path, d->iommu_group);
}

static const struct fdev fixture[] = {
	/* a T4 offering mdev types, in physical slot "10" */
	{ "0000:00:02.0", "0x10de\n", "0x1eb8\n", "0x030200\n", "0x10de\n",
	  "0x12a2\n", "nvidia", "14", "0\n" },
	/* an A10 with NVIDIA per-VF vGPU on two VFs */
	{ "0000:00:03.0", "0x10de\n", "0x2236\n", "0x030200\n", "0x10de\n",
	  "0x1482\n", "nvidia", "15", "0\n" },
	{ "0000:00:03.4", "0x10de\n", "0x2236\n", "0x030200\n", NULL, NULL,
	  "nvidia", "16", "0\n" },
	{ "0000:00:03.5", "0x10de\n", "0x2236\n", "0x030200\n", NULL, NULL,
	  "nvidia", "17", "0\n" },
	/* an X710 PF with two VFs and two netdevs; no NUMA node */
	{ "0000:00:04.0", "0x8086\n", "0x1572\n", "0x020000\n", "0x8086\n",
	  "0x0007\n", "i40e", "20", "-1\n" },
	{ "0000:00:04.2", "0x8086\n", "0x154c\n", "0x020000\n", NULL, NULL,
	  "iavf", "21", "-1\n" },
	{ "0000:00:04.3", "0x8086\n", "0x154c\n", "0x020000\n", NULL, NULL,
	  NULL, "22", "-1\n" },
	/* an audio function nobody knows: no driver, no IOMMU group */
	{ "0000:00:1f.3", "0x8086\n", "0xfff0\n", "0x040300\n", NULL, NULL,
	  NULL, NULL, NULL },
	/* unknown vendor in PCI domain 1 */
	{ "0001:40:00.0", "0xfff0\n", "0x1234\n", "0x120000\n", "0x0001\n",
	  "0x0002\n", "vfio-pci", "7", "1\n" },
};

static int setup(void **state)
{
	(void)state;
	root = tu_mkdtemp();
	for (size_t i = 0; i < sizeof(fixture) / sizeof(fixture[0]); i++)
		add_pci(&fixture[i]);

	tu_write(root, "bus/pci/slots/10/address", "0000:00:02\n");
	tu_symlink(root, "class/mdev_bus/0000:00:02.0",
		   "../../devices/pci0000:00/0000:00:02.0");
	tu_mdev_type(root, "devices/pci0000:00/0000:00:02.0", "nvidia-222",
		     "GRID T4-1B\n", "4\n");
	tu_mdev_type(root, "devices/pci0000:00/0000:00:02.0", "nvidia-223",
		     "GRID T4-2B\n", "4\n");

	tu_write(root, "devices/pci0000:00/0000:00:03.0/sriov_totalvfs", "4\n");
	tu_write(root, "devices/pci0000:00/0000:00:03.0/sriov_numvfs", "2\n");
	tu_pci_vf(root, "0000:00:03.0", 0, "0000:00:03.4");
	tu_pci_vf(root, "0000:00:03.0", 1, "0000:00:03.5");
	tu_pci_vgpu(root, "0000:00:03.4", "ID    : vGPU Name\n"
		    "557   : NVIDIA A10-4Q\n558   : NVIDIA A10-8Q\n", "0\n");
	tu_pci_vgpu(root, "0000:00:03.5", "ID    : vGPU Name\n"
		    "557   : NVIDIA A10-4Q\n", "0\n");

	tu_write(root, "devices/pci0000:00/0000:00:04.0/sriov_totalvfs", "8\n");
	tu_write(root, "devices/pci0000:00/0000:00:04.0/sriov_numvfs", "2\n");
	tu_pci_vf(root, "0000:00:04.0", 0, "0000:00:04.2");
	tu_pci_vf(root, "0000:00:04.0", 1, "0000:00:04.3");
	tu_netdev(root, "0000:00:04.0", "enp0s4f0", "up\n");
	tu_netdev(root, "0000:00:04.0", "enp0s4f0d1", "up\n");
	tu_netdev(root, "0000:00:04.2", "enp0s4f0v0", "up\n");

	if (pt_new(&ctx) < 0 || pt_set_sysfs_root(ctx, root) < 0)
		return -1;
	/* the fixture must scan as intended, or every test below is moot */
	if (!pt_pci_dev_find(ctx, "0000:00:02.0") ||
	    !pt_pci_dev_find(ctx, "0001:40:00.0"))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_tree_free(ctx, root);
	return 0;
}

/* ---- helpers ------------------------------------------------------------ */

static struct pt_pci_dev *dev(const char *bdf)
{
	return tu_pci_dev(ctx, bdf);
}

static char why[512];

/* Parse (which must succeed) and match one PCI function. */
static int match_vf(enum pt_group_type type, const char *bdf, int vf_index,
		    const char *expr)
{
	struct pt_dev_view v = { .type = type, .pci = dev(bdf), .vf_index = vf_index };
	struct pt_rule_expr *e;
	char err[512];
	int r;

	r = pt__rule_parse(expr, type, &e, err, sizeof(err));
	if (r < 0)
		fail_msg("'%s' did not parse: %s", expr, err);
	r = pt__rule_match(e, &v, why, sizeof(why));
	pt__rule_free(e);
	return r;
}

static int match(enum pt_group_type type, const char *bdf, const char *expr)
{
	return match_vf(type, bdf, -1, expr);
}

#define YES(type, bdf, expr) do {						\
	int r_ = match(type, bdf, expr);					\
	if (r_ != 1)								\
		fail_msg("%s: '%s' should match, got %d (%s)", bdf, expr, r_, why); \
} while (0)
#define NO(type, bdf, expr) do {						\
	int r_ = match(type, bdf, expr);					\
	if (r_ != 0)								\
		fail_msg("%s: '%s' should not match, got %d", bdf, expr, r_);	\
} while (0)

#define PCI	PT_GROUP_PCI
#define VGPU	PT_GROUP_VGPU
#define NIC	PT_GROUP_SRIOV_NIC
#define USB	PT_GROUP_USB

static char perr_buf[1024];

/* Parse, expecting failure; returns the message. */
static const char *parse_error(enum pt_group_type type, const char *expr)
{
	struct pt_rule_expr *e = NULL;
	int r = pt__rule_parse(expr, type, &e, perr_buf, sizeof(perr_buf));

	if (r != -EINVAL) {
		pt__rule_free(e);
		fail_msg("'%s' should fail to parse, got %d", expr, r);
	}
	assert_null(e);
	return perr_buf;
}

#define PARSES(type, expr) do {						\
	struct pt_rule_expr *e_;						\
	char m_[512];								\
	if (pt__rule_parse(expr, type, &e_, m_, sizeof(m_)) < 0)		\
		fail_msg("'%s' did not parse: %s", expr, m_);			\
	pt__rule_free(e_);							\
} while (0)
#define ERR_IS(type, expr, msg) assert_string_equal(parse_error(type, expr), msg)
#define ERR_BEGINS(type, expr, msg) do {					\
	const char *m_ = parse_error(type, expr);				\
	if (strncmp(m_, msg, strlen(msg)))					\
		fail_msg("'%s': error '%s' does not begin with '%s'", expr, m_, msg); \
} while (0)

/* ---- field lists -------------------------------------------------------- */

static void test_fields(void **state)
{
	static const char *const vgpu_extra[] = {
		"type", "type_name", "mdev_parent", "physical_function", "virtual_function",
		"profile_board", "profile_fb_gb", "profile_series", "profile_slices",
		"profile_media", "mig", NULL
	};
	static const char *const nic_extra[] = { "pf", "pf_slot", "vf_index", NULL };
	const char *const *pci = pt_rule_fields(PT_GROUP_PCI);
	const char *const *usb = pt_rule_fields(PT_GROUP_USB);
	size_t n;

	(void)state;
	assert_string_equal(pci[0], "name");
	assert_string_equal(pci[3], "vendor_id");
	for (n = 0; pci[n]; n++)
		;
	assert_int_equal(n, 14);
	assert_string_equal(pci[13], "numa_node");
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(pt_rule_fields(PT_GROUP_VGPU)[i], pci[i]);
		assert_string_equal(pt_rule_fields(PT_GROUP_SRIOV_NIC)[i], pci[i]);
	}
	for (size_t i = 0; vgpu_extra[i]; i++)
		assert_string_equal(pt_rule_fields(PT_GROUP_VGPU)[n + i], vgpu_extra[i]);
	assert_null(pt_rule_fields(PT_GROUP_VGPU)[n + 11]);
	for (size_t i = 0; nic_extra[i]; i++)
		assert_string_equal(pt_rule_fields(PT_GROUP_SRIOV_NIC)[n + i],
				    nic_extra[i]);
	assert_null(pt_rule_fields(PT_GROUP_SRIOV_NIC)[n + 3]);
	assert_string_equal(usb[0], "bus");
	assert_string_equal(usb[11], "interface_driver");
	assert_null(usb[12]);
	assert_null(pt_rule_fields((enum pt_group_type)7));

	/* every listed field parses for its type (the table agrees) */
	for (int t = PT_GROUP_PCI; t <= PT_GROUP_USB; t++) {
		for (const char *const *f = pt_rule_fields(t); *f; f++) {
			char expr[128], err[512];
			struct pt_rule_expr *e;

			snprintf(expr, sizeof(expr), "%s regex .", *f);
			if (pt__rule_parse(expr, t, &e, err, sizeof(err)) < 0)
				fail_msg("%s: %s", expr, err);
			pt__rule_free(e);
		}
	}
}

/* ---- operators per field kind ------------------------------------------- */

static void test_hex_field(void **state)
{
	const char *g = "0000:00:02.0";	/* device_id 1eb8, vendor 10de */

	(void)state;
	YES(PCI, g, "device_id eq 1eb8");
	YES(PCI, g, "device_id eq 0x1EB8");
	YES(PCI, g, "device_id eq 0X01eb8");
	NO(PCI, g, "device_id eq 1eb9");
	YES(PCI, g, "device_id ne 1eb9");
	NO(PCI, g, "device_id ne 1eb8");
	YES(PCI, g, "device_id lt 1eb9");
	NO(PCI, g, "device_id lt 1eb8");
	YES(PCI, g, "device_id le 1eb8");
	NO(PCI, g, "device_id le 1eb7");
	YES(PCI, g, "device_id gt 1eb7");
	NO(PCI, g, "device_id gt 1eb8");
	YES(PCI, g, "device_id ge 1eb8");
	NO(PCI, g, "device_id ge 1eb9");
	/* numerically, not as text: "10de" sorts before "9" but 0x10de > 9 */
	YES(PCI, g, "vendor_id gt 9");
	NO(PCI, g, "vendor_id lt 9");
	YES(PCI, g, "device_id begins 1e");
	YES(PCI, g, "device_id begins 0x1E");
	NO(PCI, g, "device_id begins eb");
	YES(PCI, g, "device_id ends b8");
	NO(PCI, g, "device_id ends 1e");
	YES(PCI, g, "device_id contains eb");
	NO(PCI, g, "device_id contains be");
	YES(PCI, g, "device_id icontains EB");
	YES(PCI, g, "device_id regex ^1e.8$");
	NO(PCI, g, "device_id regex ^1E");
	/* the canonical text is zero-padded to 4 digits */
	YES(PCI, "0001:40:00.0", "subsystem_vendor_id eq 1");
	YES(PCI, "0001:40:00.0", "subsystem_vendor_id begins 000");
	YES(PCI, "0001:40:00.0", "subsystem_vendor_id regex ^0001$");
	YES(PCI, "0001:40:00.0", "subsystem_device_id eq 0x0002");
	YES(PCI, g, "subsystem_device_id eq 12a2 and subsystem_vendor_id eq 10de");
	/* class_id is base class + subclass, as lspci -nn shows it */
	YES(PCI, g, "class_id eq 0302");
	YES(PCI, "0000:00:04.0", "class_id eq 200 and class_id begins 02");
	NO(PCI, g, "class_id eq 0300");
}

static void test_dec_field(void **state)
{
	const char *g = "0000:00:02.0";	/* IOMMU group 14, NUMA node 0 */
	const char *a = "0000:00:1f.3";	/* neither */

	(void)state;
	YES(PCI, g, "iommu_group eq 14");
	NO(PCI, g, "iommu_group eq 15");
	YES(PCI, g, "iommu_group ne 15");
	NO(PCI, g, "iommu_group ne 14");
	/* numbers, not text: 14 > 9 though "14" < "9" */
	YES(PCI, g, "iommu_group gt 9");
	NO(PCI, g, "iommu_group lt 9");
	YES(PCI, g, "iommu_group le 14");
	YES(PCI, g, "iommu_group ge 14");
	NO(PCI, g, "iommu_group ge 15");
	YES(PCI, g, "iommu_group begins 1");
	YES(PCI, g, "iommu_group ends 4");
	YES(PCI, g, "iommu_group contains 14");
	YES(PCI, g, "iommu_group icontains 4");
	YES(PCI, g, "iommu_group regex ^[0-9]{2}$");
	YES(PCI, g, "numa_node eq 0");
	YES(PCI, "0001:40:00.0", "numa_node eq 1");

	/* absent values match only ne */
	YES(PCI, a, "iommu_group ne 14");
	NO(PCI, a, "iommu_group eq 0");
	NO(PCI, a, "iommu_group lt 1000");
	NO(PCI, a, "iommu_group le 1000");
	NO(PCI, a, "iommu_group gt 0");
	NO(PCI, a, "iommu_group ge 0");
	NO(PCI, a, "iommu_group begins 1");
	NO(PCI, a, "iommu_group regex .*");
	assert_string_equal(why, "clause 1 'iommu_group regex .*': iommu_group is absent");
	YES(PCI, "0000:00:04.0", "numa_node ne 0");
	NO(PCI, "0000:00:04.0", "numa_node ge 0");
	NO(PCI, a, "numa_node eq 0");
}

static void test_string_field(void **state)
{
	const char *g = "0000:00:02.0";	/* driver nvidia */
	const char *a = "0000:00:1f.3";	/* unbound */

	(void)state;
	YES(PCI, g, "driver eq nvidia");
	NO(PCI, g, "driver eq NVIDIA");
	YES(PCI, g, "driver ne vfio-pci");
	NO(PCI, g, "driver ne nvidia");
	/* byte-wise order for words */
	YES(PCI, g, "driver lt o");
	YES(PCI, g, "driver le nvidia");
	NO(PCI, g, "driver lt nvidia");
	YES(PCI, g, "driver gt nvidi");
	YES(PCI, g, "driver ge nvidia");
	NO(PCI, g, "driver gt z");
	YES(PCI, g, "driver begins nv");
	NO(PCI, g, "driver begins NV");
	YES(PCI, g, "driver ends dia");
	NO(PCI, g, "driver ends nv");
	YES(PCI, g, "driver contains vid");
	NO(PCI, g, "driver contains VID");
	YES(PCI, g, "driver icontains VID");
	NO(PCI, g, "driver icontains vfio");
	YES(PCI, g, "driver regex ^nv.*a$");
	YES(PCI, g, "driver regex (vfio|nvidia)");
	NO(PCI, g, "driver regex ^vfio");
	/* no driver is the empty string */
	YES(PCI, a, "driver eq \"\"");
	NO(PCI, a, "driver ne \"\"");
	NO(PCI, g, "driver eq \"\"");
	YES(PCI, g, "driver ne \"\"");
	NO(PCI, a, "driver eq nvidia");
	assert_string_equal(why, "clause 1 'driver eq nvidia': driver is ''");
	/* physical slot "10": numeric order when both sides are numbers */
	YES(PCI, g, "physical_slot eq 10");
	YES(PCI, g, "physical_slot gt 9");
	NO(PCI, g, "physical_slot lt 9");
	YES(PCI, g, "physical_slot ge 10.0");
	NO(PCI, g, "physical_slot eq 10.0");	/* eq stays exact */
	/* ... and byte-wise when one side is not */
	YES(PCI, g, "physical_slot lt 9a");
	NO(PCI, g, "physical_slot gt 9a");
	YES(PCI, a, "physical_slot eq \"\"");
}

static void test_names(void **state)
{
	struct pt_pci_dev *g = dev("0000:00:02.0");
	char expr[600];

	(void)state;
	/* vendor + device name, as pt scan shows them */
	assert_non_null(pt_pci_dev_get_vendor_name(g));
	assert_non_null(pt_pci_dev_get_device_name(g));
	snprintf(expr, sizeof(expr), "name eq \"%s %s\"",
		 pt_pci_dev_get_vendor_name(g), pt_pci_dev_get_device_name(g));
	YES(PCI, "0000:00:02.0", expr);
	snprintf(expr, sizeof(expr), "vendor eq \"%s\" and device eq \"%s\"",
		 pt_pci_dev_get_vendor_name(g), pt_pci_dev_get_device_name(g));
	YES(PCI, "0000:00:02.0", expr);
	YES(PCI, "0000:00:02.0", "vendor icontains nvidia and name begins NVIDIA");
	/* a device pci.ids does not know; a vendor it does not know either */
	snprintf(expr, sizeof(expr), "name eq \"%s Device fff0\"",
		 pt_pci_dev_get_vendor_name(dev("0000:00:1f.3")));
	YES(PCI, "0000:00:1f.3", expr);
	YES(PCI, "0000:00:1f.3", "device eq \"\"");
	YES(PCI, "0001:40:00.0", "name eq \"Device fff0:1234\"");
	YES(PCI, "0001:40:00.0", "vendor eq \"\" and device eq \"\"");
	/* class names */
	YES(PCI, "0000:00:04.0", "class eq \"Ethernet controller\"");
	YES(PCI, "0000:00:02.0", "class eq \"3D controller\"");
	YES(PCI, "0000:00:02.0", "class icontains \"3d CONTROLLER\"");
	NO(PCI, "0000:00:02.0", "class eq \"VGA compatible controller\"");
}

static void test_bdf_field(void **state)
{
	const char *g = "0000:00:02.0";
	const char *x = "0001:40:00.0";

	(void)state;
	YES(PCI, g, "slot eq 0000:00:02.0");
	YES(PCI, g, "slot eq 00:02.0");		/* domain 0 implied */
	YES(PCI, g, "slot eq 0000:00:02.0");
	YES(PCI, "0000:00:1f.3", "slot eq 00:1F.3");
	YES(PCI, x, "slot eq 0001:40:00.0");
	NO(PCI, x, "slot eq 40:00.0");		/* that is 0000:40:00.0 */
	YES(PCI, x, "slot ne 40:00.0");
	NO(PCI, g, "slot ne 00:02.0");
	YES(PCI, g, "slot lt 00:03.0");
	YES(PCI, g, "slot le 00:02.0");
	NO(PCI, g, "slot gt 00:02.0");
	YES(PCI, x, "slot gt ff:1f.7");		/* domain 1 sorts after 0 */
	YES(PCI, x, "slot ge 0001:00:00.0");
	YES(PCI, g, "slot begins 0000:00:");
	NO(PCI, g, "slot begins 00:02");	/* the text has the domain */
	YES(PCI, g, "slot ends .0");
	YES(PCI, g, "slot contains :02.");
	YES(PCI, g, "slot icontains 00:02");
	YES(PCI, g, "slot regex ^0000:00:0[0-3]\\.0$");
	/* the PF's address for VFs and for the PF itself */
	YES(NIC, "0000:00:04.0", "pf_slot eq 00:04.0");
	YES(NIC, "0000:00:04.2", "pf_slot eq 00:04.0 and slot eq 00:04.2");
	YES(VGPU, "0000:00:03.0", "physical_function eq 0000:00:03.0");
	YES(VGPU, "0000:00:03.5", "physical_function eq 00:03.0");
	NO(VGPU, g, "physical_function eq 00:03.0");
}

/* ---- multi-valued fields ------------------------------------------------ */

static void test_multi_valued(void **state)
{
	const char *t4 = "0000:00:02.0", *a10 = "0000:00:03.0";
	const char *nic = "0000:00:04.0";

	(void)state;
	/* mdev types of the T4 */
	YES(VGPU, t4, "type eq nvidia-223");
	YES(VGPU, t4, "type eq nvidia-222");
	NO(VGPU, t4, "type eq nvidia-224");
	YES(VGPU, t4, "type_name eq \"GRID T4-2B\"");
	YES(VGPU, t4, "type_name ne \"GRID T4-8Q\"");
	NO(VGPU, t4, "type_name ne \"GRID T4-2B\"");	/* one value equals */
	assert_string_equal(why, "clause 1 'type_name ne \"GRID T4-2B\"': "
			    "type_name is one of 'GRID T4-1B', 'GRID T4-2B'");
	YES(VGPU, t4, "type_name regex 2B$");
	NO(VGPU, t4, "type_name regex 8Q$");
	YES(VGPU, t4, "type begins nvidia-");
	/* per-VF vGPU types of the A10's VFs: ids as decimal text, once each */
	YES(VGPU, a10, "type eq 557");
	YES(VGPU, a10, "type eq 558");
	YES(VGPU, a10, "type gt 557");		/* 558 */
	NO(VGPU, a10, "type gt 558");
	YES(VGPU, a10, "type_name contains A10-8Q");
	NO(VGPU, a10, "type_name eq \"NVIDIA A10-2Q\"");
	assert_string_equal(why, "clause 1 'type_name eq \"NVIDIA A10-2Q\"': "
			    "type_name is one of 'NVIDIA A10-4Q', 'NVIDIA A10-8Q'");
	/* no types at all: absent, only ne holds */
	NO(VGPU, nic, "type eq 557");
	assert_string_equal(why, "clause 1 'type eq 557': type is absent");
	YES(VGPU, nic, "type ne 557");
	NO(VGPU, nic, "type_name regex .");
	/* the PF's netdevs, for the PF and for its VFs */
	YES(NIC, nic, "pf eq enp0s4f0");
	YES(NIC, nic, "pf eq enp0s4f0d1");
	YES(NIC, "0000:00:04.2", "pf eq enp0s4f0");
	NO(NIC, nic, "pf eq enp0s4f0v0");
	NO(NIC, nic, "pf ne enp0s4f0");
	YES(NIC, nic, "pf ne eth0");
	YES(NIC, nic, "pf ends d1");
	NO(NIC, nic, "pf begins eth");
	assert_string_equal(why, "clause 1 'pf begins eth': "
			    "pf is one of 'enp0s4f0', 'enp0s4f0d1'");
	NO(NIC, "0000:00:1f.3", "pf regex .");
	assert_string_equal(why, "clause 1 'pf regex .': pf is absent");
}

/* ---- VF clauses --------------------------------------------------------- */

static bool has_vf_clause(enum pt_group_type type, const char *expr)
{
	struct pt_rule_expr *e;
	char err[512];
	bool r;

	if (pt__rule_parse(expr, type, &e, err, sizeof(err)) < 0)
		fail_msg("%s: %s", expr, err);
	r = pt__rule_has_vf_clause(e);
	pt__rule_free(e);
	return r;
}

static void test_vf_clauses(void **state)
{
	const char *nic = "0000:00:04.0", *a10 = "0000:00:03.0";
	const char *expr = "pf_slot eq 00:04.0 and vf_index lt 2";

	(void)state;
	assert_true(has_vf_clause(NIC, expr));
	assert_false(has_vf_clause(NIC, "pf_slot eq 00:04.0"));
	assert_true(has_vf_clause(VGPU, "virtual_function eq 0"));
	assert_false(has_vf_clause(VGPU, "type eq 557"));

	/* vf_index -1: the device itself; VF clauses do not apply */
	assert_int_equal(match_vf(NIC, nic, -1, expr), 1);
	assert_int_equal(match_vf(NIC, nic, -1, "vf_index eq 7"), 1);
	assert_int_equal(match_vf(NIC, nic, 0, expr), 1);
	assert_int_equal(match_vf(NIC, nic, 1, expr), 1);
	assert_int_equal(match_vf(NIC, nic, 2, expr), 0);
	assert_string_equal(why, "clause 2 'vf_index lt 2': vf_index is 2");
	assert_int_equal(match_vf(NIC, nic, 5, "vf_index ne 5"), 0);
	assert_int_equal(match_vf(NIC, nic, 3, "vf_index regex ^[0-3]$"), 1);
	/* the device clauses still decide */
	assert_int_equal(match_vf(NIC, nic, 0, "pf_slot eq 00:05.0 and vf_index lt 2"), 0);
	assert_string_equal(why, "clause 1 'pf_slot eq 00:05.0': pf_slot is 0000:00:04.0");

	assert_int_equal(match_vf(VGPU, a10, -1, "virtual_function ge 1"), 1);
	assert_int_equal(match_vf(VGPU, a10, 0, "virtual_function ge 1"), 0);
	assert_string_equal(why, "clause 1 'virtual_function ge 1': virtual_function is 0");
	assert_int_equal(match_vf(VGPU, a10, 1, "virtual_function ge 1 and type eq 557"), 1);
}

/* ---- why texts ---------------------------------------------------------- */

static void test_why(void **state)
{
	const char *g = "0000:00:02.0";

	(void)state;
	NO(PCI, g, "vendor_id eq 10de and device_id eq 20b0");
	assert_string_equal(why, "clause 2 'device_id eq 20b0': device_id is 1eb8");
	NO(PCI, g, "vendor_id eq 0x8086");
	assert_string_equal(why, "clause 1 'vendor_id eq 0x8086': vendor_id is 10de");
	NO(PCI, g, "slot eq 00:03.0");
	assert_string_equal(why, "clause 1 'slot eq 00:03.0': slot is 0000:00:02.0");
	NO(PCI, g, "iommu_group gt  20");	/* the clause as written */
	assert_string_equal(why, "clause 1 'iommu_group gt  20': iommu_group is 14");
	NO(PCI, g, "driver eq nvidia and class eq \"VGA compatible controller\"");
	assert_string_equal(why, "clause 2 'class eq \"VGA compatible controller\"': "
			    "class is '3D controller'");

	/* a match clears why; a tiny buffer truncates safely */
	YES(PCI, g, "driver eq nvidia");
	assert_string_equal(why, "");
	{
		struct pt_dev_view v = { .type = PCI, .pci = dev(g), .vf_index = -1 };
		struct pt_rule_expr *e;
		char small[12];

		assert_int_equal(pt__rule_parse("driver eq x", PCI, &e, NULL, 0), 0);
		assert_int_equal(pt__rule_match(e, &v, small, sizeof(small)), 0);
		assert_string_equal(small, "clause 1 'd");
		assert_int_equal(pt__rule_match(e, &v, NULL, 0), 0);
		/* the view must be of the expression's type */
		v.type = NIC;
		assert_int_equal(pt__rule_match(e, &v, NULL, 0), -EINVAL);
		v.type = USB;
		assert_int_equal(pt__rule_match(e, &v, NULL, 0), -EINVAL);
		pt__rule_free(e);
	}
}

/* ---- quoting ------------------------------------------------------------ */

/* value(): the current table row is "field=value" strings. */
static const char *row_value(const char *field, int idx, void *data)
{
	const char *const *row = data;
	size_t len = strlen(field);
	int seen = 0;

	for (; *row; row++)
		if (!strncmp(*row, field, len) && (*row)[len] == '=' && seen++ == idx)
			return *row + len + 1;
	return NULL;
}

static int match_row(enum pt_group_type type, const char *const *row,
		     const char *expr, int vf_index)
{
	struct pt_rule_expr *e;
	char err[512];
	int r;

	r = pt__rule_parse(expr, type, &e, err, sizeof(err));
	if (r < 0)
		fail_msg("'%s' did not parse: %s", expr, err);
	r = pt__rule_match_values(e, row_value, (void *)row, vf_index, why,
				  sizeof(why));
	pt__rule_free(e);
	return r;
}

static void test_quoting(void **state)
{
	static const char *const row[] = {
		"driver=say \"hi\"", "physical_slot=a\\b", "class=two  spaces",
		"vendor=and", NULL
	};

	(void)state;
	assert_int_equal(match_row(PCI, row, "driver eq \"say \\\"hi\\\"\"", -1), 1);
	assert_int_equal(match_row(PCI, row, "driver eq 'say", -1), 0);
	assert_int_equal(match_row(PCI, row, "physical_slot eq \"a\\\\b\"", -1), 1);
	/* a backslash before anything else stays (as in sh) */
	assert_int_equal(match_row(PCI, row, "physical_slot eq \"a\\b\"", -1), 1);
	assert_int_equal(match_row(PCI, row, "physical_slot eq a\\b", -1), 1);
	assert_int_equal(match_row(PCI, row, "physical_slot regex \"^a\\\\\\\\b$\"", -1), 1);
	assert_int_equal(match_row(PCI, row, "class eq \"two  spaces\"", -1), 1);
	assert_int_equal(match_row(PCI, row, "class eq \"two spaces\"", -1), 0);
	assert_int_equal(match_row(PCI, row, "\tclass   begins  \"two \"  and "
				   "driver\tcontains \"\\\"\" ", -1), 1);
	/* "and" as a value, quoted or last */
	assert_int_equal(match_row(PCI, row, "vendor eq \"and\" and class begins two", -1), 1);
	assert_int_equal(match_row(PCI, row, "vendor eq and", -1), 1);
}

/* ---- parse errors ------------------------------------------------------- */

static void test_errors(void **state)
{
	(void)state;
	ERR_IS(PCI, "", "column 1: empty expression; write FIELD OP VALUE "
	       "[and FIELD OP VALUE]..., e.g. vendor_id eq 10de");
	ERR_IS(PCI, "   ", "column 4: empty expression; write FIELD OP VALUE "
	       "[and FIELD OP VALUE]..., e.g. vendor_id eq 10de");
	ERR_IS(PCI, "vendr_id eq 10de",
	       "column 1: unknown field 'vendr_id' (did you mean 'vendor_id'?); "
	       "fields for a pci group: name, vendor, device, vendor_id, device_id, "
	       "subsystem_vendor_id, subsystem_device_id, class, class_id, slot, "
	       "physical_slot, driver, iommu_group, numa_node");
	ERR_BEGINS(PCI, "driver eq x and Device_ID eq 1",
		   "column 17: unknown field 'Device_ID' (did you mean 'device_id'?);");
	ERR_BEGINS(USB, "prodcut eq x", "column 1: unknown field 'prodcut' "
		   "(did you mean 'product'?); fields for a usb group: bus, devnum, ");
	ERR_BEGINS(PCI, "colour eq red", "column 1: unknown field 'colour'; "
		   "fields for a pci group: name,");
	/* a field of another type */
	ERR_BEGINS(PCI, "vf_index eq 1", "column 1: field 'vf_index' is for "
		   "sriov-nic groups, not for a pci group; fields for a pci group: "
		   "name, ");
	ERR_BEGINS(USB, "slot eq 00:02.0", "column 1: field 'slot' is for pci, "
		   "vgpu, sriov-nic groups, not for a usb group; fields for a usb "
		   "group: bus, devnum, port_path,");
	ERR_BEGINS(NIC, "type_name eq x", "column 1: field 'type_name' is for "
		   "vgpu groups, not for a sriov-nic group; fields for a sriov-nic "
		   "group: name, ");
	ERR_BEGINS(VGPU, "bus eq 1", "column 1: field 'bus' is for usb groups, "
		   "not for a vgpu group;");
	ERR_IS(PCI, "\"driver\" eq x", "column 1: expected a field name, got the "
	       "quoted string \"driver\"; field names are not quoted");

	/* backreferences: not POSIX ERE, exponential in glibc; at their column */
	ERR_BEGINS(PCI, "driver regex (a)\\1", "column 17: regex '(a)\\1': \\1 is "
		   "a backreference");
	ERR_BEGINS(PCI, "name regex \"(.*)(.*)(.*)(.*)(.*)\\5\\4\\3\\2\\1#\"",
		   "column 33: regex '(.*)(.*)(.*)(.*)(.*)\\5\\4\\3\\2\\1#': \\5 is a "
		   "backreference");
	/* a quoted '\\' counts two source columns; "x\\\"y" has a quote */
	ERR_BEGINS(PCI, "driver regex \"\\\"a\\\\\\\\\\9\"", "column 22: regex");
	ERR_BEGINS(PCI, "driver regex x and driver regex (b)\\2", "column 36: regex");
	PARSES(PCI, "driver regex [\\1]");
	PARSES(PCI, "driver regex \\\\1");
	PARSES(PCI, "driver regex []\\1]");
	PARSES(PCI, "driver regex [[:digit:]\\1]");

	/* what glibc's regcomp() expands: copies per repetition multiply */
	PARSES(PCI, "driver regex \"[a-z]{255}\"");
	PARSES(PCI, "driver regex \"^(vfio|nvidia)(-pci)?[0-9]+$\"");
	PARSES(PCI, "driver regex \"(a{9}){100}\"");	/* (9 + the group) x 100 */
	PARSES(PCI, "driver regex \"(ab*){2}(c|d?){2}x*\"");
	ERR_BEGINS(PCI, "driver regex \"(ab{10}){100}\"", "column 14: regex "
		   "'(ab{10}){100}' compiles to more than 1000 nodes");
	ERR_BEGINS(PCI, "driver regex \"a{0,30}b{0,30}{0,30}\"", "column 29: regex");
	ERR_BEGINS(PCI, "driver regex \"(a{0,30}){0,30}\"", "column 14: regex "
		   "'(a{0,30}){0,30}' compiles to more than 1000 nodes");
	/* two duplication symbols in a row: undefined in POSIX; 52 s in glibc */
	ERR_IS(PCI, "name regex \".????++++++++k\"", "column 15: regex "
	       "'.????++++++++k': '?' repeats a repetition, which POSIX leaves "
	       "undefined and which makes compiling slow; write one repetition "
	       "(passthru.conf(5), Regular expressions)");
	ERR_BEGINS(PCI, "name regex \"(.a)++++++++:2e\"", "column 18: regex "
		   "'(.a)++++++++:2e': '+' repeats a repetition");	/* fuzz-rule: 13 s */
	ERR_BEGINS(PCI, "driver regex \"a{,3}{,300}{,300}\"", "column 20: regex "
		   "'a{,3}{,300}{,300}': '{' repeats a repetition");	/* crashed regcomp() */
	PARSES(PCI, "driver regex \"a{2}b{,3}c\"");
	/* repeating what can match nothing: exponential epsilon closures */
	ERR_IS(PCI, "driver regex \"((.?)+)?x\"", "column 20: regex '((.?)+)?x': "
	       "'+' repeats something that can match the empty string, which "
	       "makes compiling take exponential time; make the repeated part "
	       "match at least one character (\"(x?)+\" is \"x*\") "
	       "(passthru.conf(5), Regular expressions)");
	ERR_BEGINS(PCI, "driver regex \"(a|)*\"", "column 19: regex '(a|)*': '*' "
		   "repeats something that can match the empty string");
	ERR_BEGINS(PCI, "driver regex \"(a*b?){2,}\"", "column 21: regex");
	ERR_BEGINS(PCI, "driver regex \"(^)+\"", "column 18: regex");
	PARSES(PCI, "driver regex \"(a*b)+\"");
	PARSES(PCI, "driver regex \"(a?)?(b*){1}\"");	/* at most once: no loop */
	PARSES(PCI, "driver regex \"(a?b|c)+\"");
	/* parentheses nest at most 32 deep (glibc's parser recurses) */
	ERR_BEGINS(PCI, "driver regex \"((((((((((((((((((((((((((((((((("
		   "a)))))))))))))))))))))))))))))))))\"", "column 47: regex '"
		   "(((((((((((((((((((((((((((((((((a)))))))))))))))))))))))))))))))))' "
		   "nests parentheses more than 32 deep");
	PARSES(PCI, "driver regex \"(((((((((((((((((((((((((((((((("
		   "a))))))))))))))))))))))))))))))))\"");

	/* operators */
	ERR_IS(PCI, "driver equal x", "column 8: unknown operator 'equal' "
	       "(did you mean 'eq'?); operators: eq ne lt le gt ge begins ends "
	       "contains icontains regex");
	ERR_IS(PCI, "driver == x", "column 8: unknown operator '==' (did you mean "
	       "'eq'?); operators: eq ne lt le gt ge begins ends contains "
	       "icontains regex");
	ERR_BEGINS(PCI, "driver EQ x", "column 8: unknown operator 'EQ' "
		   "(did you mean 'eq'?)");
	ERR_BEGINS(PCI, "driver beginswith x", "column 8: unknown operator "
		   "'beginswith' (did you mean 'begins'?)");
	ERR_IS(PCI, "driver frobnicates x", "column 8: unknown operator "
	       "'frobnicates'; operators: eq ne lt le gt ge begins ends contains "
	       "icontains regex");
	ERR_IS(PCI, "driver \"eq\" x", "column 8: expected an operator, got "
	       "the quoted string \"eq\"; operators are not quoted: eq ne lt le "
	       "gt ge begins ends contains icontains regex");
	ERR_IS(PCI, "driver", "column 7: missing operator after 'driver'; "
	       "operators: eq ne lt le gt ge begins ends contains icontains regex");

	/* values */
	ERR_IS(PCI, "driver eq", "column 10: missing value after 'driver eq'; "
	       "write FIELD OP VALUE, quoting a value with spaces");
	ERR_IS(PCI, "driver eq and slot eq 00:02.0", "column 11: missing value "
	       "after 'driver eq'; write FIELD OP VALUE, quoting a value with "
	       "spaces (\"and\" if you mean the word)");
	ERR_IS(PCI, "vendor_id eq xyz", "column 14: 'xyz' is not a hex id; "
	       "write it like 10de or 0x10de");
	ERR_IS(PCI, "vendor_id eq 0x", "column 14: '0x' is not a hex id; "
	       "write it like 10de or 0x10de");
	ERR_IS(PCI, "vendor_id eq -1", "column 14: '-1' is not a hex id; "
	       "write it like 10de or 0x10de");
	ERR_IS(PCI, "class_id eq 030000", "column 13: '030000' is too large for "
	       "class_id; it has 4 hex digits");
	ERR_IS(PCI, "device_id begins 12345", "column 18: '12345' is longer than "
	       "device_id, which has 4 hex digits");
	ERR_IS(PCI, "device_id contains 1g", "column 20: '1g' is not a hex id; "
	       "write it like 10de or 0x10de");
	ERR_IS(USB, "class eq 100", "column 10: '100' is too large for class; "
	       "it has 2 hex digits");
	ERR_IS(USB, "class eq nine", "column 10: 'nine' is not a hex id; "
	       "write it like 03 or 0x03");
	ERR_IS(PCI, "iommu_group eq 0x1f", "column 16: '0x1f' is not a decimal "
	       "number; write iommu_group as a whole number like 14");
	ERR_IS(PCI, "numa_node eq -1", "column 14: '-1' is not a decimal "
	       "number; write numa_node as a whole number like 14");
	ERR_IS(PCI, "iommu_group eq 99999999999", "column 16: '99999999999' is "
	       "too large for iommu_group");
	ERR_IS(PCI, "iommu_group begins x", "column 20: 'x' is not a decimal "
	       "number; write iommu_group as a whole number like 14");
	ERR_IS(USB, "speed ge fast", "column 10: 'fast' is not a number; "
	       "write speed in Mbit/s like 480 or 1.5");
	ERR_IS(USB, "speed ge 1e3", "column 10: '1e3' is not a number; "
	       "write speed in Mbit/s like 480 or 1.5");
	ERR_IS(PCI, "slot eq 3:00.0", "column 9: '3:00.0' is not a PCI address; "
	       "write it like 0000:03:00.0 or 03:00.0");
	ERR_IS(PCI, "slot eq 00:20.0", "column 9: '00:20.0' is not a PCI address; "
	       "write it like 0000:03:00.0 or 03:00.0");
	ERR_IS(PCI, "slot begins 0000:zz", "column 13: '0000:zz' can never be part "
	       "of a PCI address; addresses look like 0000:03:00.0");

	/* regex errors point at the value */
	ERR_BEGINS(PCI, "driver eq x and driver regex \"(nv\"",
		   "column 30: bad regex '(nv': ");
	ERR_BEGINS(PCI, "name regex a{2", "column 12: bad regex 'a{2': ");
	{
		const char *m = parse_error(PCI, "driver regex [[:nope:]]");

		assert_non_null(strstr(m, "; write a POSIX extended regular "
				       "expression (regex(7))"));
	}

	/* quoting */
	ERR_IS(PCI, "driver eq \"nvidia", "column 11: unterminated quote; end "
	       "the value with \"");
	ERR_IS(PCI, "driver eq x and name eq \"a \\\" b", "column 25: "
	       "unterminated quote; end the value with \"");
	ERR_IS(PCI, "driver eq \"a\"b", "column 14: expected a space after the "
	       "closing quote; quote the whole value");
	ERR_IS(PCI, "driver eq a\"b\"", "column 12: quote inside a bare word; "
	       "quote the whole value (\"...\")");

	/* joining */
	ERR_IS(PCI, "driver eq nvidia slot eq 00:02.0", "column 18: unexpected "
	       "'slot' after 'driver eq nvidia'; join clauses with 'and'");
	ERR_IS(PCI, "driver eq nvidia AND slot eq 00:02.0", "column 18: "
	       "unexpected 'AND' after 'driver eq nvidia'; join clauses with "
	       "'and' (lower case)");
	ERR_IS(PCI, "driver eq \"x y\" z", "column 17: unexpected 'z' after "
	       "'driver eq \"x y\"'; join clauses with 'and'");
	ERR_IS(PCI, "driver eq nvidia and", "column 21: expected a clause after "
	       "'and'; write FIELD OP VALUE or drop the 'and'");
	ERR_IS(PCI, "driver eq nvidia and and", "column 22: unknown field 'and'; "
	       "fields for a pci group: name, vendor, device, vendor_id, "
	       "device_id, subsystem_vendor_id, subsystem_device_id, class, "
	       "class_id, slot, physical_slot, driver, iommu_group, numa_node");

	/* a short buffer still gets a terminated, truncated message */
	{
		struct pt_rule_expr *e = (void *)1;
		char small[10];

		assert_int_equal(pt__rule_parse("bogus", PCI, &e, small,
						sizeof(small)), -EINVAL);
		assert_null(e);
		assert_string_equal(small, "column 1:");
		assert_int_equal(pt__rule_parse("bogus", PCI, &e, NULL, 0), -EINVAL);
		assert_int_equal(pt__rule_parse("driver eq x", (enum pt_group_type)9,
						&e, small, sizeof(small)), -EINVAL);
	}
}

/* ---- volatile fields ---------------------------------------------------- */

static const char *volatile_field(enum pt_group_type type, const char *expr)
{
	static char name[32];
	struct pt_rule_expr *e;
	const char *f;

	assert_int_equal(pt__rule_parse(expr, type, &e, NULL, 0), 0);
	f = pt__rule_volatile_field(e);
	snprintf(name, sizeof(name), "%s", f ? f : "(none)");
	pt__rule_free(e);
	return name;
}

static void test_volatile(void **state)
{
	(void)state;
	assert_string_equal(volatile_field(USB, "vendor_id eq 046d and bus eq 1"), "bus");
	assert_string_equal(volatile_field(USB, "devnum eq 3 and bus eq 1"), "devnum");
	assert_string_equal(volatile_field(USB, "vendor_id eq 046d and product_id eq c52b "
					   "and serial eq X"), "(none)");
	assert_string_equal(volatile_field(USB, "port_path eq 2.3"), "(none)");
	assert_string_equal(volatile_field(PCI, "slot eq 00:02.0"), "(none)");
}

/* ---- USB fields, through the comparison core ---------------------------- */

static const char *const logitech[] = {
	"bus=1", "devnum=12", "port_path=2.3", "vendor_id=046d",
	"product_id=c52b", "vendor=Logitech", "product=USB Receiver",
	"serial=", "usb_version=2.00", "speed=12", "class=00",
	"interface_driver=usbhid", "interface_driver=", NULL
};

static const char *const disk[] = {
	"bus=4", "devnum=2", "port_path=1", "vendor_id=0x0781",
	"product_id=5583", "vendor=SanDisk", "product=Ultra Fit",
	"serial=4C530001", "usb_version=3.20", "speed=5000", "class=0",
	"interface_driver=uas", NULL
};

static const char *const slow[] = {
	"bus=2", "devnum=9", "port_path=1.4.2", "vendor_id=04d9",
	"product_id=1503", "vendor=", "product=", "serial=",
	"usb_version=1.10", "speed=1.5", "class=3", NULL	/* unconfigured */
};

static const char *const unknown_speed[] = { "speed=0", NULL };

static void test_usb(void **state)
{
	static const struct {
		const char *const *row;
		const char *expr;
		int want;
	} t[] = {
		/* decimal, volatile */
		{ logitech, "bus eq 1 and devnum eq 12", 1 },
		{ logitech, "devnum gt 9", 1 },		/* numbers: 12 > 9 */
		{ logitech, "devnum lt 9", 0 },
		{ disk, "bus ge 4 and bus le 4 and bus ne 3", 1 },
		{ disk, "devnum begins 2", 1 },
		/* hex ids */
		{ logitech, "vendor_id eq 46d", 1 },
		{ logitech, "vendor_id eq 0x046D and product_id eq c52b", 1 },
		{ disk, "vendor_id eq 781", 1 },
		{ logitech, "product_id gt 9999", 1 },	/* 0xc52b > 0x9999 */
		{ logitech, "product_id lt 0xc52c and product_id ge c52b", 1 },
		{ logitech, "vendor_id begins 04 and vendor_id ends 6d", 1 },
		{ logitech, "vendor_id contains 46D", 1 },
		{ logitech, "vendor_id regex ^046d$", 1 },
		{ disk, "vendor_id regex ^781", 0 },	/* canonical: 0781 */
		/* class: hex, 2 digits */
		{ logitech, "class eq 0", 1 },
		{ slow, "class eq 03 and class regex ^03$", 1 },
		{ slow, "class gt 2 and class lt 0x0a", 1 },
		{ disk, "class ne 0", 0 },
		/* strings */
		{ logitech, "vendor eq Logitech and product eq \"USB Receiver\"", 1 },
		{ logitech, "product icontains receiver", 1 },
		{ logitech, "product contains receiver", 0 },
		{ disk, "serial eq 4C530001", 1 },
		{ disk, "serial begins 4C5 and serial ends 01", 1 },
		{ logitech, "serial eq \"\"", 1 },
		{ slow, "vendor eq \"\" and product eq \"\"", 1 },
		{ logitech, "port_path eq 2.3", 1 },
		{ slow, "port_path begins 1.4.", 1 },
		{ slow, "port_path regex ^1(\\.[0-9]+)*$", 1 },
		/* usb_version: numeric order when both sides are numbers */
		{ disk, "usb_version ge 3", 1 },
		{ logitech, "usb_version lt 3", 1 },
		{ logitech, "usb_version eq 2.00", 1 },
		{ logitech, "usb_version eq 2", 0 },	/* eq is exact */
		{ disk, "usb_version gt 10", 0 },	/* 3.20 < 10 as numbers */
		{ disk, "usb_version gt 10x", 1 },	/* "3.20" > "10x" as text */
		{ slow, "usb_version lt 2", 1 },
		/* speed, a number that may be fractional; 0 is unknown */
		{ slow, "speed eq 1.5", 1 },
		{ slow, "speed lt 12", 1 },
		{ disk, "speed ge 5000 and speed gt 480", 1 },
		{ logitech, "speed le 12.0 and speed ge 12", 1 },
		{ slow, "speed begins 1.", 1 },
		{ unknown_speed, "speed lt 100000", 0 },
		{ unknown_speed, "speed ne 480", 1 },
		/* interface drivers: existential, "" for an unbound interface */
		{ logitech, "interface_driver eq usbhid", 1 },
		{ logitech, "interface_driver eq \"\"", 1 },
		{ logitech, "interface_driver ne usbhid", 0 },
		{ disk, "interface_driver ne usbhid", 1 },
		{ disk, "interface_driver eq \"\"", 0 },
		{ slow, "interface_driver eq usbhid", 0 },	/* none: absent */
		{ slow, "interface_driver ne usbhid", 1 },
		{ logitech, "interface_driver icontains HID", 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int r = match_row(USB, t[i].row, t[i].expr, -1);

		if (r != t[i].want)
			fail_msg("row %zu '%s': got %d, want %d (%s)", i, t[i].expr,
				 r, t[i].want, why);
	}

	/* why texts for USB kinds */
	assert_int_equal(match_row(USB, logitech, "vendor_id eq 046d and "
				   "product_id eq c52c", -1), 0);
	assert_string_equal(why, "clause 2 'product_id eq c52c': product_id is c52b");
	assert_int_equal(match_row(USB, slow, "speed ge 12", -1), 0);
	assert_string_equal(why, "clause 1 'speed ge 12': speed is 1.5");
	assert_int_equal(match_row(USB, logitech, "interface_driver eq uas", -1), 0);
	assert_string_equal(why, "clause 1 'interface_driver eq uas': "
			    "interface_driver is one of 'usbhid', ''");
	assert_int_equal(match_row(USB, slow, "class eq 0", -1), 0);
	assert_string_equal(why, "clause 1 'class eq 0': class is 03");
	assert_int_equal(match_row(USB, unknown_speed, "speed gt 1", -1), 0);
	assert_string_equal(why, "clause 1 'speed gt 1': speed is absent");

	/* a value text that does not fit the field's kind */
	{
		static const char *const bad[] = { "vendor_id=logi", NULL };

		assert_int_equal(match_row(USB, bad, "vendor_id eq 046d", -1), -EINVAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_hex_field),
		cmocka_unit_test(test_dec_field),
		cmocka_unit_test(test_string_field),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_bdf_field),
		cmocka_unit_test(test_multi_valued),
		cmocka_unit_test(test_vf_clauses),
		cmocka_unit_test(test_why),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_volatile),
		cmocka_unit_test(test_usb),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
