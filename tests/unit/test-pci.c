// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pci.c on a fixture sysfs tree laid out as the kernel does it: functions
 * under devices/pci<domain>:<bus>/..., bus/pci/devices links to them, and
 * the driver, iommu_group, physfn/virtfnN and class/net links relative as
 * in sysfs. libpci's sysfs backend enumerates it and names the functions
 * from pci.ids; pci.c reads the rest.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"
#include "testutil.h"

static char *tmp;
static char sys[256];
static struct pt_ctx *ctx;

/* ---- building the tree (testutil's builders) ---------------------------- */

/* A network interface at devices/<path>/net/<name>, with what pci.c reads. */
static void netdev(const char *path, const char *name, const char *operstate,
		   const char *address, const char *mtu)
{
	char rel[512];

	tu_netdev(sys, path, name, operstate);
	snprintf(rel, sizeof(rel), "%s/net/%s", path, name);
	tu_dev_attr(sys, rel, "ifindex", "2\n");
	if (address)
		tu_dev_attr(sys, rel, "address", address);
	if (mtu)
		tu_dev_attr(sys, rel, "mtu", mtu);
}

#define R	"pci0000:00"
#define RP	"pci0000:00/0000:00:1c.0"
#define NIC	"pci0000:00/0000:00:1c.0/0000:0a:00.0"

/*
 * Created out of order on purpose: the list must come out sorted by BDF.
 * pci.ids names: 8086 Intel Corporation, 8086:1572 X710, 10de:1eb8 T4.
 */
static void build(void)
{
	/* the X710 PF behind a root port: uevent as the kernel writes it */
	tu_pci_fn(sys, NIC, "0x8086\n", "0x1572\n", "0x020000\n");
	tu_pci_subsys(sys, NIC, "0x8086\n", "0x0007\n");
	tu_dev_attr(sys, NIC, "uevent", "DRIVER=i40e\nPCI_CLASS=20000\nPCI_ID=8086:1572\n"
	     "PCI_SUBSYS_ID=8086:0007\nPCI_SLOT_NAME=0000:0a:00.0\n"
	     "MODALIAS=pci:v00008086d00001572sv00008086sd00000007bc02sc00i00\n");
	tu_pci_driver(sys, NIC, "i40e");
	tu_dev_attr(sys, NIC, "revision", "0x02\n");
	tu_dev_attr(sys, NIC, "numa_node", "-1\n");
	tu_dev_attr(sys, NIC, "driver_override", "(null)\n");
	tu_pci_group(sys, NIC, "20");
	tu_dev_attr(sys, NIC, "sriov_totalvfs", "8\n");
	tu_dev_attr(sys, NIC, "sriov_numvfs", "3\n");
	tu_pci_vf(sys, NIC, 0, RP "/0000:0a:02.0");
	tu_pci_vf(sys, NIC, 1, RP "/0000:0a:02.1");
	/* virtfn2 is missing: numvfs is 3 but only two VFs appeared */
	netdev(NIC, "enp10s0f0np0", "up\n", "3c:fd:fe:00:00:01\n", "9000\n");
	netdev(NIC, "enp10s0f0d1", "down\n", "3c:fd:fe:00:00:02\n", "1500\n");

	/* its VFs: one bound to iavf with an override, one unbound */
	tu_pci_fn(sys, RP "/0000:0a:02.1", "0x8086\n", "0x154c\n", "0x020000\n");
	tu_pci_group(sys, RP "/0000:0a:02.1", "22");
	tu_pci_fn(sys, RP "/0000:0a:02.0", "0x8086\n", "0x154c\n", "0x020000\n");
	tu_pci_driver(sys, RP "/0000:0a:02.0", "iavf");
	tu_dev_attr(sys, RP "/0000:0a:02.0", "driver_override", "vfio-pci\n");
	tu_pci_group(sys, RP "/0000:0a:02.0", "21");
	netdev(RP "/0000:0a:02.0", "enp10s0f0v0", "up\n", NULL, NULL);

	/* the PF's second port: no uevent (a hand-made capture) */
	tu_pci_fn(sys, RP "/0000:0a:00.1", "0x8086\n", "0x1572\n", "0x020000\n");
	tu_pci_subsys(sys, RP "/0000:0a:00.1", "0x8086\n", "0x0000\n");
	tu_pci_driver(sys, RP "/0000:0a:00.1", "i40e");
	tu_dev_attr(sys, RP "/0000:0a:00.1", "numa_node", "0\n");
	/* boot_vga on a network function is ignored */
	tu_dev_attr(sys, RP "/0000:0a:00.1", "boot_vga", "1\n");
	tu_dev_attr(sys, RP "/0000:0a:00.1", "sriov_totalvfs", "0\n");

	/* the root port: a bridge, with an sriov_totalvfs nobody reads */
	tu_pci_fn(sys, RP, "0x8086\n", "0xa340\n", "0x060400\n");
	tu_pci_driver(sys, RP, "pcieport");
	tu_pci_group(sys, RP, "5");
	tu_dev_attr(sys, RP, "sriov_totalvfs", "4\n");

	tu_pci_fn(sys, R "/0000:00:00.0", "0x8086\n", "0x3e30\n", "0x060000\n");	/* host */
	tu_pci_fn(sys, R "/0000:00:1f.0", "0x8086\n", "0xa306\n", "0x060100\n");	/* ISA */
	tu_pci_fn(sys, R "/0000:00:1d.0", "0x8086\n", "0xa330\n", "0x060700\n");	/* CardBus */
	tu_pci_fn(sys, R "/0000:00:1e.0", "0x8086\n", "0x244e\n", "0x060940\n");	/* semi-transp. */

	/* the boot VGA device and a second display controller */
	tu_pci_fn(sys, R "/0000:00:02.0", "0x8086\n", "0x3e92\n", "0x030000\n");
	tu_dev_attr(sys, R "/0000:00:02.0", "boot_vga", "1\n");
	tu_pci_driver(sys, R "/0000:00:02.0", "i915");
	tu_pci_group(sys, R "/0000:00:02.0", "1");
	tu_pci_fn(sys, R "/0000:00:03.0", "0x10de\n", "0x1eb8\n", "0x030200\n");
	tu_pci_subsys(sys, R "/0000:00:03.0", "0x10de\n", "0x12a2\n");
	tu_dev_attr(sys, R "/0000:00:03.0", "boot_vga", "0\n");
	tu_dev_attr(sys, R "/0000:00:03.0", "revision", "0xa1\n");
	tu_dev_attr(sys, R "/0000:00:03.0", "numa_node", "1\n");
	tu_pci_group(sys, R "/0000:00:03.0", "15");

	/*
	 * xHCI with a uevent only: no subsystem files, no driver link. Its
	 * class file says prog-if 00 where uevent says 30, so the test can
	 * tell which one was read (the kernel's two always agree).
	 */
	tu_pci_fn(sys, R "/0000:00:14.0", "0x8086\n", "0xa36d\n", "0x0c0300\n");
	tu_dev_attr(sys, R "/0000:00:14.0", "uevent", "DRIVER=xhci_hcd\nPCI_CLASS=C0330\n"
	     "PCI_ID=8086:A36D\nPCI_SUBSYS_ID=1028:085C\n"
	     "PCI_SLOT_NAME=0000:00:14.0\n");

	/* audio: a device pci.ids does not know; a group link that is no number */
	tu_pci_fn(sys, R "/0000:00:1f.3", "0x8086\n", "0xfff0\n", "0x040300\n");
	tu_dev_link(sys, R "/0000:00:1f.3", "iommu_group", "kernel/iommu_groups/x1");

	/* virtio-net: the interface sits under virtio1, a child of the function */
	tu_pci_fn(sys, R "/0000:00:05.0", "0x1af4\n", "0x1041\n", "0x020000\n");
	tu_dev_attr(sys, R "/0000:00:05.0", "uevent", "DRIVER=virtio-pci\nPCI_CLASS=20000\n"
	     "PCI_SUBSYS_ID=1AF4:1100\n");
	netdev(R "/0000:00:05.0/virtio1", "eth1", "up\n", "52:54:00:12:34:56\n",
	       "1500\n");
	/* loopback: a netdev with no PCI function at all */
	tu_write(sys, "devices/virtual/net/lo/operstate", "unknown\n");
	tu_symlink(sys, "class/net/lo", "../../devices/virtual/net/lo");

	/* NVMe without uevent: class with prog-if from the class file */
	tu_pci_fn(sys, R "/0000:00:1b.0/0000:0b:00.0", "0x8086\n", "0xf1a8\n", "0x010802\n");
	tu_pci_subsys(sys, R "/0000:00:1b.0/0000:0b:00.0", "0x8086\n", "0x390b\n");
	tu_pci_driver(sys, R "/0000:00:1b.0/0000:0b:00.0", "nvme");
	tu_dev_attr(sys, R "/0000:00:1b.0/0000:0b:00.0", "revision", "0x03\n");

	/* an accelerator of an unknown vendor in PCI domain 1 */
	tu_pci_fn(sys, "pci0001:40/0001:40:00.0", "0xfff0\n", "0x1234\n", "0x120000\n");
	tu_pci_driver(sys, "pci0001:40/0001:40:00.0", "vfio-pci");
	tu_pci_group(sys, "pci0001:40/0001:40:00.0", "7");

	/* slots: the X710's two functions sit in "5", the T4 in "7" */
	tu_write(sys, "bus/pci/slots/5/address", "0000:0a:00\n");
	tu_write(sys, "bus/pci/slots/7/address", "0000:00:03\n");
	tu_write(sys, "bus/pci/slots/9/address", "0001:00:00\n");	/* empty */
	tu_write(sys, "bus/pci/slots/bad/address", "0000:0b\n");	/* malformed */
	tu_mkdir(sys, "bus/pci/slots/noaddr");
}

static int setup(void **state)
{
	(void)state;
	tmp = tu_mktree(sys, sizeof(sys));
	build();
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

/* ---- tests -------------------------------------------------------------- */

static void test_enumeration(void **state)
{
	static const char *const order[] = {
		"0000:00:00.0", "0000:00:02.0", "0000:00:03.0", "0000:00:05.0",
		"0000:00:14.0", "0000:00:1c.0", "0000:00:1d.0", "0000:00:1e.0",
		"0000:00:1f.0", "0000:00:1f.3", "0000:0a:00.0", "0000:0a:00.1",
		"0000:0a:02.0", "0000:0a:02.1", "0000:0b:00.0", "0001:40:00.0",
	};
	struct pt_pci_dev *d;
	size_t n = 0;

	(void)state;
	pt_pci_dev_foreach(ctx, d) {
		assert_true(n < sizeof(order) / sizeof(order[0]));
		assert_string_equal(pt_pci_dev_get_bdf(d), order[n]);
		assert_ptr_equal(pt_pci_dev_get_ctx(d), ctx);
		assert_ptr_equal(pt_pci_dev_find(ctx, order[n]), d);
		n++;
	}
	assert_int_equal(n, sizeof(order) / sizeof(order[0]));

	d = dev("0001:40:00.0");
	assert_int_equal(pt_pci_dev_get_domain(d), 1);
	assert_int_equal(pt_pci_dev_get_bus(d), 0x40);
	assert_int_equal(pt_pci_dev_get_devnum(d), 0);
	assert_int_equal(pt_pci_dev_get_func(d), 0);
	d = dev("0000:00:1f.3");
	assert_int_equal(pt_pci_dev_get_domain(d), 0);
	assert_int_equal(pt_pci_dev_get_bus(d), 0);
	assert_int_equal(pt_pci_dev_get_devnum(d), 0x1f);
	assert_int_equal(pt_pci_dev_get_func(d), 3);

	assert_null(pt_pci_dev_find(ctx, "0000:00:04.0"));
	assert_null(pt_pci_dev_find(ctx, "00:02.0"));
	assert_null(pt_pci_dev_find(ctx, "0000:0A:00.0"));
	assert_null(pt_pci_dev_find(ctx, ""));
}

static void test_ids(void **state)
{
	struct pt_pci_dev *d = dev("0000:0a:00.0");

	(void)state;
	assert_int_equal(pt_pci_dev_get_vendor_id(d), 0x8086);
	assert_int_equal(pt_pci_dev_get_device_id(d), 0x1572);
	assert_int_equal(pt_pci_dev_get_subsystem_vendor_id(d), 0x8086);
	assert_int_equal(pt_pci_dev_get_subsystem_device_id(d), 0x0007);
	assert_int_equal(pt_pci_dev_get_revision(d), 0x02);

	d = dev("0000:00:03.0");	/* no uevent: subsystem from the files */
	assert_int_equal(pt_pci_dev_get_vendor_id(d), 0x10de);
	assert_int_equal(pt_pci_dev_get_device_id(d), 0x1eb8);
	assert_int_equal(pt_pci_dev_get_subsystem_vendor_id(d), 0x10de);
	assert_int_equal(pt_pci_dev_get_subsystem_device_id(d), 0x12a2);
	assert_int_equal(pt_pci_dev_get_revision(d), 0xa1);

	d = dev("0000:00:14.0");	/* uevent only, upper-case hex */
	assert_int_equal(pt_pci_dev_get_subsystem_vendor_id(d), 0x1028);
	assert_int_equal(pt_pci_dev_get_subsystem_device_id(d), 0x085c);
	assert_int_equal(pt_pci_dev_get_revision(d), 0);	/* no file */

	d = dev("0000:0a:02.1");	/* neither: 0 */
	assert_int_equal(pt_pci_dev_get_subsystem_vendor_id(d), 0);
	assert_int_equal(pt_pci_dev_get_subsystem_device_id(d), 0);
}

static void test_class(void **state)
{
	(void)state;
	/* from uevent, with the programming interface */
	assert_int_equal(pt_pci_dev_get_class(dev("0000:00:14.0")), 0x0c0330);
	assert_int_equal(pt_pci_dev_get_class(dev("0000:0a:00.0")), 0x020000);
	/* without uevent, from the class file, with the programming interface */
	assert_int_equal(pt_pci_dev_get_class(dev("0000:0b:00.0")), 0x010802);
	assert_int_equal(pt_pci_dev_get_class(dev("0000:00:1e.0")), 0x060940);
	assert_int_equal(pt_pci_dev_get_class(dev("0000:00:03.0")), 0x030200);
}

static void test_names(void **state)
{
	struct pt_pci_dev *d = dev("0000:0a:00.0");

	(void)state;
	assert_string_equal(pt_pci_dev_get_vendor_name(d), "Intel Corporation");
	assert_string_equal(pt_pci_dev_get_device_name(d),
			    "Ethernet Controller X710 for 10GbE SFP+");
	assert_string_equal(pt_pci_dev_get_class_name(d), "Ethernet controller");
	assert_string_equal(pt_pci_dev_get_subsystem_vendor_name(d), "Intel Corporation");
	assert_string_equal(pt_pci_dev_get_subsystem_device_name(d),
			    "Ethernet Converged Network Adapter X710-2");
	/* one copy of each name: the second port shares the first's */
	assert_ptr_equal(pt_pci_dev_get_device_name(dev("0000:0a:00.1")),
			 pt_pci_dev_get_device_name(d));
	assert_ptr_equal(pt_pci_dev_get_vendor_name(dev("0000:00:02.0")),
			 pt_pci_dev_get_vendor_name(d));

	d = dev("0000:00:03.0");
	assert_string_equal(pt_pci_dev_get_vendor_name(d), "NVIDIA Corporation");
	assert_string_equal(pt_pci_dev_get_device_name(d), "TU104GL [Tesla T4]");
	assert_string_equal(pt_pci_dev_get_class_name(d), "3D controller");
	assert_string_equal(pt_pci_dev_get_class_name(dev("0000:0b:00.0")),
			    "Non-Volatile memory controller");
	assert_string_equal(pt_pci_dev_get_class_name(dev("0000:00:1c.0")), "PCI bridge");

	/* no subsystem: no subsystem names */
	d = dev("0000:0a:02.1");
	assert_string_equal(pt_pci_dev_get_device_name(d),
			    "Ethernet Virtual Function 700 Series");
	assert_null(pt_pci_dev_get_subsystem_vendor_name(d));
	assert_null(pt_pci_dev_get_subsystem_device_name(d));

	/* unknown ids: NULL, never a number */
	d = dev("0000:00:1f.3");
	assert_string_equal(pt_pci_dev_get_vendor_name(d), "Intel Corporation");
	assert_null(pt_pci_dev_get_device_name(d));
	d = dev("0001:40:00.0");
	assert_null(pt_pci_dev_get_vendor_name(d));
	assert_null(pt_pci_dev_get_device_name(d));
	assert_string_equal(pt_pci_dev_get_class_name(d), "Processing accelerators");
}

static void test_display_name(void **state)
{
	struct pt_pci_dev *d = dev("0000:0a:00.0");

	(void)state;
	assert_string_equal(pt_pci_dev_get_display_name(d),
			    "Intel Corporation Ethernet Controller X710 for 10GbE SFP+");
	/* built once */
	assert_ptr_equal(pt_pci_dev_get_display_name(d), pt_pci_dev_get_display_name(d));
	assert_string_equal(pt_pci_dev_get_display_name(dev("0000:00:03.0")),
			    "NVIDIA Corporation TU104GL [Tesla T4]");
	/* known vendor, unknown device */
	assert_string_equal(pt_pci_dev_get_display_name(dev("0000:00:1f.3")),
			    "Intel Corporation Device fff0");
	/* neither known */
	assert_string_equal(pt_pci_dev_get_display_name(dev("0001:40:00.0")),
			    "Device fff0:1234");
}

static void test_driver(void **state)
{
	(void)state;
	/* from uevent */
	assert_string_equal(pt_pci_dev_get_driver(dev("0000:0a:00.0")), "i40e");
	assert_string_equal(pt_pci_dev_get_driver(dev("0000:00:14.0")), "xhci_hcd");
	assert_string_equal(pt_pci_dev_get_driver(dev("0000:00:05.0")), "virtio-pci");
	/* from the driver link */
	assert_string_equal(pt_pci_dev_get_driver(dev("0000:0a:00.1")), "i40e");
	assert_string_equal(pt_pci_dev_get_driver(dev("0000:0a:02.0")), "iavf");
	assert_string_equal(pt_pci_dev_get_driver(dev("0000:0b:00.0")), "nvme");
	assert_string_equal(pt_pci_dev_get_driver(dev("0001:40:00.0")), "vfio-pci");
	/* none */
	assert_null(pt_pci_dev_get_driver(dev("0000:0a:02.1")));
	assert_null(pt_pci_dev_get_driver(dev("0000:00:1f.3")));

	/* driver_override: "(null)" is the kernel's way to say unset */
	assert_null(pt_pci_dev_get_driver_override(dev("0000:0a:00.0")));
	assert_string_equal(pt_pci_dev_get_driver_override(dev("0000:0a:02.0")),
			    "vfio-pci");
	assert_null(pt_pci_dev_get_driver_override(dev("0000:0a:02.1")));
}

static void test_iommu_numa_slot(void **state)
{
	(void)state;
	assert_int_equal(pt_pci_dev_get_iommu_group(dev("0000:0a:00.0")), 20);
	assert_int_equal(pt_pci_dev_get_iommu_group(dev("0000:0a:02.1")), 22);
	assert_int_equal(pt_pci_dev_get_iommu_group(dev("0001:40:00.0")), 7);
	assert_int_equal(pt_pci_dev_get_iommu_group(dev("0000:0a:00.1")),
			 PT_NO_IOMMU_GROUP);
	/* a link whose name is no number */
	assert_int_equal(pt_pci_dev_get_iommu_group(dev("0000:00:1f.3")),
			 PT_NO_IOMMU_GROUP);

	assert_int_equal(pt_pci_dev_get_numa_node(dev("0000:0a:00.0")), PT_NO_NUMA_NODE);
	assert_int_equal(pt_pci_dev_get_numa_node(dev("0000:0a:00.1")), 0);
	assert_int_equal(pt_pci_dev_get_numa_node(dev("0000:00:03.0")), 1);
	assert_int_equal(pt_pci_dev_get_numa_node(dev("0000:00:14.0")), PT_NO_NUMA_NODE);

	/* every function of the slot's device, nothing else */
	assert_string_equal(pt_pci_dev_get_physical_slot(dev("0000:0a:00.0")), "5");
	assert_string_equal(pt_pci_dev_get_physical_slot(dev("0000:0a:00.1")), "5");
	assert_string_equal(pt_pci_dev_get_physical_slot(dev("0000:00:03.0")), "7");
	assert_null(pt_pci_dev_get_physical_slot(dev("0000:0a:02.0")));
	assert_null(pt_pci_dev_get_physical_slot(dev("0000:0b:00.0")));
	assert_null(pt_pci_dev_get_physical_slot(dev("0000:00:00.0")));
	assert_null(pt_pci_dev_get_physical_slot(dev("0001:40:00.0")));
}

static void test_bridge_and_vga(void **state)
{
	(void)state;
	assert_true(pt_pci_dev_is_bridge(dev("0000:00:00.0")));	/* host */
	assert_true(pt_pci_dev_is_bridge(dev("0000:00:1c.0")));	/* root port */
	assert_true(pt_pci_dev_is_bridge(dev("0000:00:1d.0")));	/* CardBus */
	assert_true(pt_pci_dev_is_bridge(dev("0000:00:1e.0")));	/* semi-transparent */
	assert_false(pt_pci_dev_is_bridge(dev("0000:00:1f.0")));	/* ISA: an endpoint */
	assert_false(pt_pci_dev_is_bridge(dev("0000:0a:00.0")));
	assert_false(pt_pci_dev_is_bridge(dev("0000:00:02.0")));
	/* a bridge's SR-IOV attributes are not read */
	assert_int_equal(pt_pci_dev_get_sriov_totalvfs(dev("0000:00:1c.0")), 0);

	assert_true(pt_pci_dev_is_boot_vga(dev("0000:00:02.0")));
	assert_false(pt_pci_dev_is_boot_vga(dev("0000:00:03.0")));	/* "0" */
	assert_false(pt_pci_dev_is_boot_vga(dev("0000:0a:00.1")));	/* not display */
	assert_false(pt_pci_dev_is_boot_vga(dev("0000:0a:00.0")));	/* no file */
}

static void test_sriov(void **state)
{
	struct pt_pci_dev *pf = dev("0000:0a:00.0");
	struct pt_pci_dev *v0 = dev("0000:0a:02.0"), *v1 = dev("0000:0a:02.1");

	(void)state;
	assert_int_equal(pt_pci_dev_get_sriov_totalvfs(pf), 8);
	assert_int_equal(pt_pci_dev_get_sriov_numvfs(pf), 3);
	assert_false(pt_pci_dev_is_vf(pf));
	assert_null(pt_pci_dev_get_physfn(pf));
	assert_int_equal(pt_pci_dev_get_vf_index(pf), -1);
	assert_ptr_equal(pt_pci_dev_get_virtfn(pf, 0), v0);
	assert_ptr_equal(pt_pci_dev_get_virtfn(pf, 1), v1);
	assert_null(pt_pci_dev_get_virtfn(pf, 2));	/* the link is missing */
	assert_null(pt_pci_dev_get_virtfn(pf, 3));
	assert_null(pt_pci_dev_get_virtfn(pf, -1));

	assert_true(pt_pci_dev_is_vf(v0));
	assert_true(pt_pci_dev_is_vf(v1));
	assert_ptr_equal(pt_pci_dev_get_physfn(v0), pf);
	assert_ptr_equal(pt_pci_dev_get_physfn(v1), pf);
	assert_int_equal(pt_pci_dev_get_vf_index(v0), 0);
	assert_int_equal(pt_pci_dev_get_vf_index(v1), 1);
	assert_int_equal(pt_pci_dev_get_sriov_totalvfs(v0), 0);
	assert_null(pt_pci_dev_get_virtfn(v0, 0));

	/* sriov_totalvfs 0 and no file alike: no capability */
	assert_int_equal(pt_pci_dev_get_sriov_totalvfs(dev("0000:0a:00.1")), 0);
	assert_int_equal(pt_pci_dev_get_sriov_numvfs(dev("0000:0a:00.1")), 0);
	assert_int_equal(pt_pci_dev_get_sriov_totalvfs(dev("0000:00:03.0")), 0);
	assert_false(pt_pci_dev_is_vf(dev("0000:00:03.0")));
	assert_int_equal(pt_pci_dev_get_vf_index(dev("0000:00:03.0")), -1);
}

static void test_netdevs(void **state)
{
	struct pt_netdev *nd;

	(void)state;
	/* sorted by name, from class/net, values from sysfs (not live) */
	nd = pt_netdev_get_first(dev("0000:0a:00.0"));
	assert_non_null(nd);
	assert_string_equal(pt_netdev_get_name(nd), "enp10s0f0d1");
	assert_string_equal(pt_netdev_get_operstate(nd), "down");
	assert_string_equal(pt_netdev_get_address(nd), "3c:fd:fe:00:00:02");
	assert_int_equal(pt_netdev_get_mtu(nd), 1500);
	nd = pt_netdev_get_next(nd);
	assert_non_null(nd);
	assert_string_equal(pt_netdev_get_name(nd), "enp10s0f0np0");
	assert_string_equal(pt_netdev_get_operstate(nd), "up");
	assert_string_equal(pt_netdev_get_address(nd), "3c:fd:fe:00:00:01");
	assert_int_equal(pt_netdev_get_mtu(nd), 9000);
	assert_null(pt_netdev_get_next(nd));

	/* the VF's, with attributes missing */
	nd = pt_netdev_get_first(dev("0000:0a:02.0"));
	assert_non_null(nd);
	assert_string_equal(pt_netdev_get_name(nd), "enp10s0f0v0");
	assert_string_equal(pt_netdev_get_operstate(nd), "up");
	assert_null(pt_netdev_get_address(nd));
	assert_int_equal(pt_netdev_get_mtu(nd), -1);
	assert_null(pt_netdev_get_next(nd));

	/* virtio: the interface under a child device belongs to the function */
	nd = pt_netdev_get_first(dev("0000:00:05.0"));
	assert_non_null(nd);
	assert_string_equal(pt_netdev_get_name(nd), "eth1");
	assert_string_equal(pt_netdev_get_address(nd), "52:54:00:12:34:56");
	assert_null(pt_netdev_get_next(nd));

	/* the root port above the PF gets none of the PF's interfaces */
	assert_null(pt_netdev_get_first(dev("0000:00:1c.0")));
	assert_null(pt_netdev_get_first(dev("0000:0a:02.1")));
	assert_null(pt_netdev_get_first(dev("0000:00:03.0")));
}

static void test_filter(void **state)
{
	struct pt_pci_filter *f;
	const char *why = "stale";
	struct pt_pci_dev *d;
	char got[512];

	(void)state;
#define MATCHES(slot, id, want) do {						\
	size_t n_ = 0;								\
	got[0] = '\0';								\
	assert_int_equal(pt_pci_filter_new(ctx, slot, id, &f, &why), 0);	\
	assert_null(why);							\
	pt_pci_dev_foreach(ctx, d)						\
		if (pt_pci_filter_match(f, d))					\
			n_ += snprintf(got + n_, sizeof(got) - n_, "%s%s",	\
				       n_ ? " " : "", pt_pci_dev_get_bdf(d));	\
	pt_pci_filter_free(f);							\
	if (strcmp(got, want))							\
		fail_msg("-s %s -d %s: got '%s', want '%s'", slot ? slot : "-",	\
			 id ? id : "-", got, want);				\
} while (0)
	/* -s [[[[<domain>]:]<bus>]:][<slot>][.[<func>]] */
	MATCHES("0a:00.1", NULL, "0000:0a:00.1");
	MATCHES("0000:0a:00.0", NULL, "0000:0a:00.0");
	MATCHES("0a:", NULL, "0000:0a:00.0 0000:0a:00.1 0000:0a:02.0 0000:0a:02.1");
	MATCHES("0a:02", NULL, "0000:0a:02.0 0000:0a:02.1");
	MATCHES(".3", NULL, "0000:00:1f.3");
	MATCHES("1f.", NULL, "0000:00:1f.0 0000:00:1f.3");
	MATCHES("1:", NULL, "");		/* bus 1 */
	MATCHES("1::", NULL, "0001:40:00.0");	/* domain 1 */
	MATCHES("0001:40:00.0", NULL, "0001:40:00.0");
	/* -d [<vendor>]:[<device>][:<class>[:<prog-if>]] */
	MATCHES(NULL, "8086:154c", "0000:0a:02.0 0000:0a:02.1");
	MATCHES(NULL, "10de:", "0000:00:03.0");
	MATCHES(NULL, ":1572", "0000:0a:00.0 0000:0a:00.1");
	MATCHES(NULL, "::0c03", "0000:00:14.0");
	MATCHES(NULL, "::0c03:30", "0000:00:14.0");
	MATCHES(NULL, "::0c03:00", "");
	MATCHES(NULL, "::0108:02", "0000:0b:00.0");
	MATCHES(NULL, "::0604", "0000:00:1c.0");
	MATCHES(NULL, "8086::0300", "0000:00:02.0");
	/* both, and neither */
	MATCHES("0a:", "::0200", "0000:0a:00.0 0000:0a:00.1 0000:0a:02.0 0000:0a:02.1");
	MATCHES("0a:00", "8086:1572", "0000:0a:00.0 0000:0a:00.1");
	MATCHES("0a:02.0", "8086:1572", "");
	MATCHES(NULL, NULL, "0000:00:00.0 0000:00:02.0 0000:00:03.0 0000:00:05.0 "
		"0000:00:14.0 0000:00:1c.0 0000:00:1d.0 0000:00:1e.0 0000:00:1f.0 "
		"0000:00:1f.3 0000:0a:00.0 0000:0a:00.1 0000:0a:02.0 0000:0a:02.1 "
		"0000:0b:00.0 0001:40:00.0");
#undef MATCHES

	/* syntax errors: -EINVAL and libpci's own message, nothing returned */
	f = NULL;
	assert_int_equal(pt_pci_filter_new(ctx, "zz:00.0", NULL, &f, &why), -EINVAL);
	assert_string_equal(why, "Invalid bus number");
	assert_null(f);
	assert_int_equal(pt_pci_filter_new(ctx, "00.9", NULL, &f, &why), -EINVAL);
	assert_string_equal(why, "Invalid function number");
	assert_int_equal(pt_pci_filter_new(ctx, "0:0:0:0", NULL, &f, &why), -EINVAL);
	assert_string_equal(why, "Too many fields");
	assert_int_equal(pt_pci_filter_new(ctx, NULL, "xyz:", &f, &why), -EINVAL);
	assert_string_equal(why, "Invalid vendor ID");
	assert_int_equal(pt_pci_filter_new(ctx, NULL, "8086:qq", &f, &why), -EINVAL);
	assert_string_equal(why, "Invalid device ID");
	assert_int_equal(pt_pci_filter_new(ctx, NULL, "::zz", &f, &why), -EINVAL);
	assert_string_equal(why, "Invalid class code");
	assert_int_equal(pt_pci_filter_new(ctx, NULL, "::0c03:zz", &f, &why), -EINVAL);
	assert_string_equal(why, "Invalid programming interface code");
	/* a good slot does not save a bad id */
	assert_int_equal(pt_pci_filter_new(ctx, "0a:", "8086:qq", &f, &why), -EINVAL);
	assert_string_equal(why, "Invalid device ID");
	assert_null(f);
	/* the caller's strings are left alone (libpci edits its copy) */
	{
		char slot[] = "0a:00.1", id[] = "8086:1572:0200";

		assert_int_equal(pt_pci_filter_new(ctx, slot, id, &f, &why), 0);
		pt_pci_filter_free(f);
		assert_string_equal(slot, "0a:00.1");
		assert_string_equal(id, "8086:1572:0200");
	}
}

/* ---- other trees -------------------------------------------------------- */

static void test_no_pci_bus(void **state)
{
	char *root = tu_mkdtemp(), dir[300];
	struct pt_pci_filter *f = NULL;
	struct pt_ctx *c;
	const char *why = NULL;

	(void)state;
	tu_mkdir(root, "sys/class/net");
	tu_mkdir(root, "sys/bus/usb");
	snprintf(dir, sizeof(dir), "%s/sys", root);
	assert_int_equal(pt_new(&c), 0);
	pt_set_log_priority(c, 0);
	assert_int_equal(pt_set_sysfs_root(c, dir), 0);
	assert_null(pt_pci_dev_get_first(c));
	assert_null(pt_pci_dev_find(c, "0000:00:00.0"));
	assert_int_equal(pt__pci_scan(c), 0);
	assert_null(pt_iommu_group_get_first(c));
	assert_int_equal(pt_pci_filter_new(c, "00:00.0", NULL, &f, &why), -ENODEV);
	assert_string_equal(why, "no PCI bus to filter");
	assert_null(f);

	assert_true(pt_pci_scan_is_complete(c));

	/*
	 * a root that does not exist at all: the scan fails (never "no
	 * devices"), lists nothing, and its one problem names the root
	 */
	snprintf(dir, sizeof(dir), "%s/nothing", root);
	assert_int_equal(pt_set_sysfs_root(c, dir), 0);
	assert_null(pt_pci_dev_get_first(c));
	assert_int_equal(pt_pci_scan(c), -ENOENT);
	assert_false(pt_pci_scan_is_complete(c));
	assert_int_equal(pt_pci_get_num_problems(c), 1);
	assert_non_null(strstr(pt_pci_get_problem(c, 0), dir));
	assert_non_null(strstr(pt_pci_get_problem(c, 0), "No such file or directory"));
	assert_null(pt_pci_get_problem(c, 1));
	pt_unref(c);
	tu_rmtree(root);
	free(root);
}

static void test_empty_devices_dir(void **state)
{
	char *root = tu_mkdtemp(), dir[300];
	struct pt_ctx *c;

	(void)state;
	tu_mkdir(root, "sys/bus/pci/devices");
	snprintf(dir, sizeof(dir), "%s/sys", root);
	assert_int_equal(pt_new(&c), 0);
	pt_set_log_priority(c, 0);
	assert_int_equal(pt_set_sysfs_root(c, dir), 0);
	assert_null(pt_pci_dev_get_first(c));
	assert_int_equal(c->n_pci, 0);
	pt_unref(c);
	tu_rmtree(root);
	free(root);
}

/*
 * Regression (lib/pci.c, add_dev): a function in a PCI domain above 0xffff (Intel
 * VMD puts the NVMe drives behind it in domains 10000 and up; lspci shows
 * "10000:01:00.0") gets its domain masked to 16 bits: it is listed as
 * "0000:00:02.0", a second entry with the BDF of the domain-0 function
 * there, whose sysfs directory then supplies its driver, IOMMU group and
 * the rest, and pt_pci_dev_find() returns either. Expected: one entry
 * per BDF, the domain-0 function untouched, the VMD child under its own
 * domain (or left out with a debug message) -- never aliased.
 */
static void test_vmd_domain(void **state)
{
	char *root, dir[300], saved[256];
	struct pt_pci_dev *d, *prev = NULL;
	struct pt_ctx *c;

	(void)state;
	root = tu_mkdtemp();
	snprintf(saved, sizeof(saved), "%s", sys);
	snprintf(sys, sizeof(sys), "%s/sys", root);
	tu_mkdir(root, "sys");
	tu_pci_fn(sys, R "/0000:00:02.0", "0x8086\n", "0x3e92\n", "0x030000\n");
	tu_pci_driver(sys, R "/0000:00:02.0", "i915");
	tu_pci_fn(sys, "pci10000:00/10000:00:02.0", "0x8086\n", "0xf1a8\n", "0x010802\n");
	tu_pci_driver(sys, "pci10000:00/10000:00:02.0", "nvme");
	snprintf(dir, sizeof(dir), "%s/sys", root);
	snprintf(sys, sizeof(sys), "%s", saved);

	assert_int_equal(pt_new(&c), 0);
	pt_set_log_priority(c, 0);
	assert_int_equal(pt_set_sysfs_root(c, dir), 0);
	pt_pci_dev_foreach(c, d) {
		if (prev && !strcmp(pt_pci_dev_get_bdf(prev), pt_pci_dev_get_bdf(d)))
			fail_msg("two functions listed as %s", pt_pci_dev_get_bdf(d));
		if (pt_pci_dev_get_device_id(d) == 0xf1a8)
			assert_int_equal(pt_pci_dev_get_domain(d), 0x10000);
		prev = d;
	}
	d = pt_pci_dev_find(c, "0000:00:02.0");
	assert_non_null(d);
	assert_int_equal(pt_pci_dev_get_device_id(d), 0x3e92);
	assert_string_equal(pt_pci_dev_get_driver(d), "i915");
	pt_unref(c);
	tu_rmtree(root);
	free(root);
}

/* A context on a second tree built with the same helpers below root/sys. */
static struct pt_ctx *second_tree(char *root, void (*build_fn)(void))
{
	char saved[256];
	struct pt_ctx *c;

	snprintf(saved, sizeof(saved), "%s", sys);
	snprintf(sys, sizeof(sys), "%s/sys", root);
	tu_mkdir(root, "sys");
	build_fn();
	assert_int_equal(pt_new(&c), 0);
	pt_set_log_priority(c, 0);
	assert_int_equal(pt_set_sysfs_root(c, sys), 0);
	snprintf(sys, sizeof(sys), "%s", saved);
	return c;
}

static bool has_problem(struct pt_ctx *c, const char *a, const char *b)
{
	for (int i = 0; i < pt_pci_get_num_problems(c); i++) {
		const char *p = pt_pci_get_problem(c, i);

		if (strstr(p, a) && (!b || strstr(p, b)))
			return true;
	}
	return false;
}

static void build_counts(void)
{
	/* numvfs = totalvfs = INT_MAX: read as absent, never looped over */
	tu_pci_fn(sys, R "/0000:00:01.0", "0x8086\n", "0x1572\n", "0x020000\n");
	tu_dev_attr(sys, R "/0000:00:01.0", "sriov_totalvfs", "2147483647\n");
	tu_dev_attr(sys, R "/0000:00:01.0", "sriov_numvfs", "2147483647\n");
	/* numvfs that wraps to 2 in 32 bits, and above totalvfs */
	tu_pci_fn(sys, R "/0000:00:02.0", "0x8086\n", "0x1572\n", "0x020000\n");
	tu_dev_attr(sys, R "/0000:00:02.0", "sriov_totalvfs", "8\n");
	tu_dev_attr(sys, R "/0000:00:02.0", "sriov_numvfs", "4294967298\n");
	tu_pci_fn(sys, R "/0000:00:03.0", "0x8086\n", "0x1572\n", "0x020000\n");
	tu_dev_attr(sys, R "/0000:00:03.0", "sriov_totalvfs", "8\n");
	tu_dev_attr(sys, R "/0000:00:03.0", "sriov_numvfs", "9\n");
	/* totalvfs just past the 16-bit field; a negative count */
	tu_pci_fn(sys, R "/0000:00:04.0", "0x8086\n", "0x1572\n", "0x020000\n");
	tu_dev_attr(sys, R "/0000:00:04.0", "sriov_totalvfs", "65536\n");
	tu_pci_fn(sys, R "/0000:00:05.0", "0x8086\n", "0x1572\n", "0x020000\n");
	tu_dev_attr(sys, R "/0000:00:05.0", "sriov_totalvfs", "-3\n");
	/* an IOMMU group that wraps to 1215752191 in 32 bits */
	tu_pci_fn(sys, R "/0000:00:06.0", "0x8086\n", "0x1572\n", "0x020000\n");
	tu_pci_group(sys, R "/0000:00:06.0", "99999999999");
	/* NUMA node and revision out of range, vendor past 16 bits */
	tu_pci_fn(sys, R "/0000:00:07.0", "0x8086\n", "0x1572\n", "0x020000\n");
	tu_dev_attr(sys, R "/0000:00:07.0", "numa_node", "4096\n");
	tu_dev_attr(sys, R "/0000:00:07.0", "revision", "0x1ff\n");
	tu_pci_fn(sys, R "/0000:00:08.0", "0x18086\n", "0x1572\n", "0x020000\n");
	/* in range at the limits: kept */
	tu_pci_fn(sys, R "/0000:00:09.0", "0x8086\n", "0x1572\n", "0x020000\n");
	tu_dev_attr(sys, R "/0000:00:09.0", "sriov_totalvfs", "65535\n");
	tu_pci_group(sys, R "/0000:00:09.0", "2147483647");
}

/*
 * Issue 11: counts are clamped to what the kernel can have (numvfs <=
 * totalvfs <= 65535, groups and nodes in range); a number out of range is
 * an unreadable attribute, read as absent, with a problem naming the file.
 */
static void test_counts_in_range(void **state)
{
	char *root = tu_mkdtemp();
	struct pt_ctx *c = second_tree(root, build_counts);
	struct pt_pci_dev *d;

	(void)state;
	assert_int_equal(pt_pci_scan(c), 0);
	d = pt_pci_dev_find(c, "0000:00:01.0");
	assert_int_equal(pt_pci_dev_get_sriov_totalvfs(d), 0);
	assert_int_equal(pt_pci_dev_get_sriov_numvfs(d), 0);
	assert_true(has_problem(c, "0000:00:01.0/sriov_totalvfs", "2147483647"));
	d = pt_pci_dev_find(c, "0000:00:02.0");
	assert_int_equal(pt_pci_dev_get_sriov_totalvfs(d), 8);
	assert_int_equal(pt_pci_dev_get_sriov_numvfs(d), 0);
	assert_true(has_problem(c, "0000:00:02.0/sriov_numvfs", "from 0 to 8"));
	assert_int_equal(pt_pci_dev_get_sriov_numvfs(pt_pci_dev_find(c, "0000:00:03.0")), 0);
	assert_true(has_problem(c, "0000:00:03.0/sriov_numvfs", "'9'"));
	assert_int_equal(pt_pci_dev_get_sriov_totalvfs(pt_pci_dev_find(c, "0000:00:04.0")), 0);
	assert_true(has_problem(c, "0000:00:04.0/sriov_totalvfs", "65536"));
	assert_true(has_problem(c, "0000:00:05.0/sriov_totalvfs", "'-3'"));
	d = pt_pci_dev_find(c, "0000:00:06.0");
	assert_int_equal(pt_pci_dev_get_iommu_group(d), PT_NO_IOMMU_GROUP);
	assert_true(has_problem(c, "0000:00:06.0/iommu_group", "99999999999"));
	d = pt_pci_dev_find(c, "0000:00:07.0");
	assert_int_equal(pt_pci_dev_get_numa_node(d), PT_NO_NUMA_NODE);
	assert_int_equal(pt_pci_dev_get_revision(d), 0);
	assert_true(has_problem(c, "0000:00:07.0/numa_node", "4096"));
	assert_true(has_problem(c, "0000:00:07.0/revision", "0x1ff"));
	/* no uevent and a vendor out of range: the function is left out */
	assert_null(pt_pci_dev_find(c, "0000:00:08.0"));
	assert_true(has_problem(c, "0000:00:08.0/vendor", "function left out"));
	d = pt_pci_dev_find(c, "0000:00:09.0");
	assert_int_equal(pt_pci_dev_get_sriov_totalvfs(d), 65535);
	assert_int_equal(pt_pci_dev_get_iommu_group(d), 2147483647);
	assert_int_equal(pt_pci_get_num_problems(c), 9);
	assert_false(pt_pci_scan_is_complete(c));
	pt_unref(c);
	tu_rmtree(root);
	free(root);
}

static void build_unreadable(void)
{
	char rel[300];

	tu_pci_fn(sys, R "/0000:00:01.0", "0x8086\n", "0x1572\n", "0x020000\n");
	/* a VF gone between the listing and the read: a dangling link */
	tu_pci_fn(sys, R "/0000:00:02.0", "0x8086\n", "0x154c\n", "0x020000\n");
	snprintf(rel, sizeof(rel), "%s/devices/%s/0000:00:02.0", sys, R);
	tu_rmtree(rel);
	/* a uevent that cannot be read (a directory: EISDIR) */
	tu_pci_fn(sys, R "/0000:00:03.0", "0x8086\n", "0x1572\n", "0x020000\n");
	snprintf(rel, sizeof(rel), "devices/%s/0000:00:03.0/uevent", R);
	tu_mkdir(sys, rel);
	/* no uevent, no class */
	tu_pci_fn(sys, R "/0000:00:04.0", "0x8086\n", "0x1572\n", "0x020000\n");
	snprintf(rel, sizeof(rel), "%s/devices/%s/0000:00:04.0/class", sys, R);
	assert_int_equal(unlink(rel), 0);
	/* an optional attribute that cannot be read: read as absent */
	tu_pci_fn(sys, R "/0000:00:05.0", "0x8086\n", "0x1572\n", "0x020000\n");
	snprintf(rel, sizeof(rel), "devices/%s/0000:00:05.0/driver_override", R);
	tu_mkdir(sys, rel);
}

/*
 * Issue 9: a function that cannot be read is left out with a problem
 * naming the path and errno; the rest is listed; the scan is not complete.
 */
static void test_unreadable_function(void **state)
{
	char *root = tu_mkdtemp();
	struct pt_ctx *c = second_tree(root, build_unreadable);
	struct pt_pci_dev *d;
	int n = 0;

	(void)state;
	assert_int_equal(pt_pci_scan(c), 0);
	pt_pci_dev_foreach(c, d)
		n++;
	assert_int_equal(n, 2);
	assert_non_null(pt_pci_dev_find(c, "0000:00:01.0"));
	assert_null(pt_pci_dev_find(c, "0000:00:02.0"));
	assert_true(has_problem(c, "bus/pci/devices/0000:00:02.0: No such file or directory",
				"function left out"));
	assert_null(pt_pci_dev_find(c, "0000:00:03.0"));
	assert_true(has_problem(c, "0000:00:03.0/uevent: Is a directory", "function left out"));
	assert_null(pt_pci_dev_find(c, "0000:00:04.0"));
	assert_true(has_problem(c, "0000:00:04.0/class: No such file", "function left out"));
	d = pt_pci_dev_find(c, "0000:00:05.0");
	assert_non_null(d);
	assert_null(pt_pci_dev_get_driver_override(d));
	assert_true(has_problem(c, "0000:00:05.0/driver_override: Is a directory",
				"read as absent"));
	assert_int_equal(pt_pci_get_num_problems(c), 4);
	assert_false(pt_pci_scan_is_complete(c));
	pt_unref(c);
	tu_rmtree(root);
	free(root);
}

static void test_no_iommu(void **state)
{
	char *root = tu_mkdtemp(), dir[300], saved[256];
	struct pt_pci_dev *d;
	struct pt_ctx *c;
	int n = 0;

	(void)state;
	/* the same helpers on a second tree: two functions, no groups */
	snprintf(saved, sizeof(saved), "%s", sys);
	snprintf(sys, sizeof(sys), "%s/sys", root);
	tu_mkdir(root, "sys");
	tu_pci_fn(sys, R "/0000:00:02.0", "0x8086\n", "0x3e92\n", "0x030000\n");
	tu_pci_fn(sys, R "/0000:00:1f.3", "0x8086\n", "0xa348\n", "0x040300\n");
	tu_pci_driver(sys, R "/0000:00:1f.3", "snd_hda_intel");
	snprintf(dir, sizeof(dir), "%s/sys", root);
	snprintf(sys, sizeof(sys), "%s", saved);

	assert_int_equal(pt_new(&c), 0);
	pt_set_log_priority(c, 0);
	assert_int_equal(pt_set_sysfs_root(c, dir), 0);
	pt_pci_dev_foreach(c, d) {
		assert_int_equal(pt_pci_dev_get_iommu_group(d), PT_NO_IOMMU_GROUP);
		n++;
	}
	assert_int_equal(n, 2);
	assert_null(pt_iommu_group_get_first(c));
	assert_null(pt_iommu_group_find(c, 0));
	assert_string_equal(pt_pci_dev_get_driver(pt_pci_dev_find(c, "0000:00:1f.3")),
			    "snd_hda_intel");
	pt_unref(c);
	tu_rmtree(root);
	free(root);
}

/*
 * VFs a PF's virtfnN link names as "../<vf>" (the kernel's and
 * gen-sysfs's shape) are opened next to the PF's directory. Where that
 * directory is missing, the scan still reads the VF through
 * bus/pci/devices; a link of another shape takes that way too.
 */
static void test_sibling_vfs(void **state)
{
#define PF	"pci0000:00/0000:00:01.0/0000:01:00.0"
#define SIB	"pci0000:00/0000:00:01.0/"
	char *root = tu_mkdtemp(), dir[300], saved[256];
	struct pt_pci_dev *pf, *v;
	struct pt_ctx *c;

	(void)state;
	snprintf(saved, sizeof(saved), "%s", sys);
	snprintf(sys, sizeof(sys), "%s/sys", root);
	tu_mkdir(root, "sys");
	tu_pci_fn(sys, PF, "0x15b3\n", "0x101d\n", "0x020000\n");
	tu_pci_group(sys, PF, "40");
	tu_dev_attr(sys, PF, "sriov_totalvfs", "8\n");
	tu_dev_attr(sys, PF, "sriov_numvfs", "4\n");
	/* 01:00.2: next to the PF, as bus/pci/devices says too */
	tu_pci_fn(sys, SIB "0000:01:00.2", "0x15b3\n", "0x101e\n", "0x020000\n");
	tu_pci_group(sys, SIB "0000:01:00.2", "41");
	tu_dev_attr(sys, SIB "0000:01:00.2", "driver_override", "vfio-pci\n");
	tu_dev_attr(sys, SIB "0000:01:00.2", "numa_node", "1\n");
	/* 01:00.3: not next to the PF; bus/pci/devices leads elsewhere */
	tu_pci_fn(sys, "pci0000:00/0000:00:02.0/0000:01:00.3", "0x15b3\n", "0x101e\n",
		  "0x020000\n");
	tu_pci_group(sys, "pci0000:00/0000:00:02.0/0000:01:00.3", "42");
	/* 01:00.4: a link through the root port, not "../<vf>" */
	tu_pci_fn(sys, SIB "0000:01:00.4", "0x15b3\n", "0x101e\n", "0x020000\n");
	tu_pci_group(sys, SIB "0000:01:00.4", "43");
	/* 01:00.5: next to the PF again, after the other shapes */
	tu_pci_fn(sys, SIB "0000:01:00.5", "0x15b3\n", "0x101e\n", "0x020000\n");
	tu_pci_group(sys, SIB "0000:01:00.5", "44");
	snprintf(dir, sizeof(dir), "%s/sys", root);
	snprintf(sys, sizeof(sys), "%s", saved);
	/* the links as the kernel writes them: relative to the PF */
	tu_symlink(dir, "devices/" PF "/virtfn0", "../0000:01:00.2");
	tu_symlink(dir, "devices/" PF "/virtfn1", "../0000:01:00.3");
	tu_symlink(dir, "devices/" PF "/virtfn2", "../../0000:00:01.0/0000:01:00.4");
	tu_symlink(dir, "devices/" PF "/virtfn3", "../0000:01:00.5");

	assert_int_equal(pt_new(&c), 0);
	pt_set_log_priority(c, 0);
	assert_int_equal(pt_set_sysfs_root(c, dir), 0);
	pf = pt_pci_dev_find(c, "0000:01:00.0");
	assert_non_null(pf);
	assert_int_equal(pt_pci_get_num_problems(c), 0);
	for (int i = 0; i < 4; i++) {
		static const char *const bdf[] = {
			"0000:01:00.2", "0000:01:00.3", "0000:01:00.4", "0000:01:00.5",
		};

		v = pt_pci_dev_find(c, bdf[i]);
		assert_non_null(v);
		assert_ptr_equal(pt_pci_dev_get_virtfn(pf, i), v);
		assert_ptr_equal(pt_pci_dev_get_physfn(v), pf);
		assert_int_equal(pt_pci_dev_get_iommu_group(v), 41 + i);
		assert_int_equal(pt_pci_dev_get_device_id(v), 0x101e);
	}
	v = pt_pci_dev_find(c, "0000:01:00.2");
	assert_string_equal(pt_pci_dev_get_driver_override(v), "vfio-pci");
	assert_int_equal(pt_pci_dev_get_numa_node(v), 1);
	pt_unref(c);
	tu_rmtree(root);
	free(root);
#undef PF
#undef SIB
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enumeration),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_class),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_display_name),
		cmocka_unit_test(test_driver),
		cmocka_unit_test(test_iommu_numa_slot),
		cmocka_unit_test(test_bridge_and_vga),
		cmocka_unit_test(test_sriov),
		cmocka_unit_test(test_sibling_vfs),
		cmocka_unit_test(test_netdevs),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_no_pci_bus),
		cmocka_unit_test(test_empty_devices_dir),
		cmocka_unit_test(test_no_iommu),
		cmocka_unit_test(test_vmd_domain),
		cmocka_unit_test(test_counts_in_range),
		cmocka_unit_test(test_unreadable_function),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
