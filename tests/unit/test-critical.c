// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host-critical detection on small fixture trees: a sysfs tree laid out
 * as the kernel does it (devices/ with class/, dev/ and bus/ links into
 * it), a proc tree with mountinfo, swaps and route tables, and a dev tree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"
#include "testutil.h"

static int setup(void **state)
{
	*state = tu_host_new(TU_SYS | TU_PROC | TU_DEV);
	return 0;
}

/* rel -> devices/<path> */
static void link_dev(struct tu_host *f, const char *rel, const char *path)
{
	char target[512];

	snprintf(target, sizeof(target), "devices/%s", path);
	tu_link(f->sys, rel, target);
}

/* A PCI function at devices/<path> (its last component is the BDF). */
static void pci(struct tu_host *f, const char *path, unsigned int class)
{
	char val[16];

	snprintf(val, sizeof(val), "0x%06x", class);
	tu_pci_fn(f->sys, path, "0x8086", "0x1234", val);
}

/* A block device at devices/<path> numbered "MAJ:MIN"; partition if part > 0. */
static void blk(struct tu_host *f, const char *path, const char *devnum, int part)
{
	char rel[512], val[16];

	snprintf(rel, sizeof(rel), "devices/%s/dev", path);
	snprintf(val, sizeof(val), "%s\n", devnum);
	tu_write(f->sys, rel, val);
	if (part) {
		snprintf(rel, sizeof(rel), "devices/%s/partition", path);
		snprintf(val, sizeof(val), "%d\n", part);
		tu_write(f->sys, rel, val);
	}
	snprintf(rel, sizeof(rel), "class/block/%s", tu_base(path));
	link_dev(f, rel, path);
	snprintf(rel, sizeof(rel), "dev/block/%s", devnum);
	link_dev(f, rel, path);
}

/* slaves/<name> of the block device at devices/<upper> -> devices/<lower> */
static void slave(struct tu_host *f, const char *upper, const char *lower)
{
	char rel[512], target[512] = "";
	int depth = 2;	/* from devices/<upper>/slaves/ back to devices/.. */

	for (const char *p = upper; *p; p++)
		depth += *p == '/';
	for (int i = 0; i < depth; i++)
		strcat(target, "../");
	strcat(target, lower);
	snprintf(rel, sizeof(rel), "devices/%s/slaves/%s", upper, tu_base(lower));
	tu_symlink(f->sys, rel, target);
}

/* devices/virtual/net/<upper>/<linkname> -> the interface at devices/<lower> */
static void net_lower(struct tu_host *f, const char *upper, const char *linkname,
		      const char *lower)
{
	char rel[512], target[512];

	snprintf(rel, sizeof(rel), "devices/virtual/net/%s/%s", upper, linkname);
	snprintf(target, sizeof(target), "../../../%s", lower);
	tu_symlink(f->sys, rel, target);
}

static void mountinfo(struct tu_host *f, const char *text)
{
	tu_write(f->proc, "self/mountinfo", text);
}

/*
 * The critical reason of bdf, from the host's context: made on the first
 * call, when the test has built its tree.
 */
static const char *reason(struct tu_host *f, const char *bdf)
{
	struct pt_pci_dev *d;

	if (!f->ctx)
		tu_host_ctx(f);
	d = pt_pci_dev_find(f->ctx, bdf);
	assert_non_null(d);
	return pt_pci_dev_get_critical_reason(d);
}

#define assert_reason(f, bdf, want)				\
	do {							\
		const char *r_ = reason(f, bdf);		\
								\
		assert_non_null(r_);				\
		assert_string_equal(r_, want);			\
	} while (0)
#define assert_not_critical(f, bdf) assert_null(reason(f, bdf))

#define RP	"pci0000:00/0000:00:1d.0"
#define NVME	RP "/0000:3b:00.0"
#define AHCI	"pci0000:00/0000:00:17.0"
#define HBA	"pci0000:00/0000:00:1c.0/0000:02:00.0"

static void root_port_and_nvme(struct tu_host *f)
{
	pci(f, "pci0000:00/0000:00:00.0", 0x060000);
	pci(f, RP, 0x060400);
	pci(f, NVME, 0x010802);
	blk(f, NVME "/nvme/nvme0/nvme0n1", "259:0", 0);
	blk(f, NVME "/nvme/nvme0/nvme0n1/nvme0n1p1", "259:1", 1);
	blk(f, NVME "/nvme/nvme0/nvme0n1/nvme0n1p2", "259:2", 2);
}

static void two_sata(struct tu_host *f)
{
	pci(f, AHCI, 0x010601);
	pci(f, "pci0000:00/0000:00:1c.0", 0x060400);
	pci(f, HBA, 0x010700);
	blk(f, AHCI "/ata1/host0/target0:0:0/0:0:0:0/block/sda", "8:0", 0);
	blk(f, AHCI "/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda1", "8:1", 1);
	blk(f, AHCI "/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda2", "8:2", 2);
	blk(f, AHCI "/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda10", "8:10", 10);
	blk(f, HBA "/host1/target1:0:0/1:0:0:0/block/sdb", "8:16", 0);
	blk(f, HBA "/host1/target1:0:0/1:0:0:0/block/sdb/sdb1", "8:17", 1);
	blk(f, HBA "/host1/target1:0:0/1:0:0:0/block/sdb/sdb2", "8:18", 2);
}

static void test_nvme_partition(void **state)
{
	struct tu_host *f = *state;

	root_port_and_nvme(f);
	mountinfo(f,
		  "21 26 0:20 / /proc rw,relatime shared:12 - proc proc rw\n"
		  "26 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw\n"
		  "27 26 0:6 / /dev rw - devtmpfs udev rw\n");
	assert_reason(f, "0000:3b:00.0", "root filesystem on /dev/nvme0n1p2");
	assert_reason(f, "0000:00:1d.0", "root port");
	assert_reason(f, "0000:00:00.0", "host bridge");
}

static void test_lvm_md_two_disks(void **state)
{
	struct tu_host *f = *state;

	two_sata(f);
	pci(f, "pci0000:00/0000:00:1f.6", 0x020000);
	blk(f, "virtual/block/md0", "9:0", 0);
	slave(f, "virtual/block/md0",
	      AHCI "/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda2");
	slave(f, "virtual/block/md0",
	      HBA "/host1/target1:0:0/1:0:0:0/block/sdb/sdb2");
	blk(f, "virtual/block/dm-0", "253:0", 0);
	tu_write(f->sys, "devices/virtual/block/dm-0/dm/name", "vg-root\n");
	slave(f, "virtual/block/dm-0", "virtual/block/md0");
	mountinfo(f, "26 1 253:0 / / rw,relatime - ext4 /dev/mapper/vg-root rw\n");
	assert_reason(f, "0000:00:17.0", "root filesystem on /dev/mapper/vg-root");
	assert_reason(f, "0000:02:00.0", "root filesystem on /dev/mapper/vg-root");
	assert_reason(f, "0000:00:1c.0", "root port");
	assert_not_critical(f, "0000:00:1f.6");
}

static void test_swap(void **state)
{
	struct tu_host *f = *state;

	two_sata(f);
	root_port_and_nvme(f);
	mountinfo(f,
		  "26 1 259:2 / / rw - ext4 /dev/nvme0n1p2 rw\n"
		  "30 26 8:17 / /srv/my\\040data rw - xfs /dev/sdb1 rw\n");
	tu_write(f->proc, "swaps",
		 "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
		 "/dev/sda1                               partition\t8388604\t\t0\t\t-2\n"
		 "/dev/sda10                              partition\t8388604\t\t0\t\t-3\n"
		 "/srv/my\\040data/swap                   file\t\t1048572\t\t0\t\t-4\n");
	/* whole items are compared: sda1 is not taken for a copy of sda10 */
	assert_reason(f, "0000:00:17.0", "swap on /dev/sda1; swap on /dev/sda10");
	assert_reason(f, "0000:02:00.0", "swap file /srv/my data/swap on /dev/sdb1");
	assert_reason(f, "0000:3b:00.0", "root filesystem on /dev/nvme0n1p2");
}

static void test_boot_separate_controller(void **state)
{
	struct tu_host *f = *state;

	root_port_and_nvme(f);
	two_sata(f);
	/* an older /boot mount covered by a later one: the later one counts */
	mountinfo(f,
		  "26 1 259:2 / / rw - ext4 /dev/nvme0n1p2 rw\n"
		  "31 26 8:17 / /boot rw - ext4 /dev/sdb1 rw\n"
		  "32 26 8:2 / /boot rw shared:3 - ext4 /dev/sda2 rw\n"
		  /* no /dev link to follow: only MAJ:MIN finds this one */
		  "33 32 259:1 / /boot/efi rw - vfat /dev/disk/by-uuid/7A3B-1C2D rw\n");
	assert_reason(f, "0000:3b:00.0",
		      "root filesystem on /dev/nvme0n1p2; "
		      "/boot/efi on /dev/disk/by-uuid/7A3B-1C2D");
	assert_reason(f, "0000:00:17.0", "/boot on /dev/sda2");
	assert_not_critical(f, "0000:02:00.0");
}

static void test_btrfs_anonymous_dev(void **state)
{
	struct tu_host *f = *state;

	root_port_and_nvme(f);
	two_sata(f);
	/* 0:31 is in no dev/block: the source names the device */
	mountinfo(f,
		  "26 1 0:31 /@rootfs / rw - btrfs /dev/sda2 rw,subvolid=256\n");
	/* the filesystem spans sda2 and sdb2: both controllers carry it */
	tu_symlink(f->sys, "fs/btrfs/0f3c8e52-1111-4a0b-9c4c-3a3b2b1c0d0e/devices/sda2",
		   "../../../../devices/" AHCI "/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda2");
	tu_symlink(f->sys, "fs/btrfs/0f3c8e52-1111-4a0b-9c4c-3a3b2b1c0d0e/devices/sdb2",
		   "../../../../devices/" HBA "/host1/target1:0:0/1:0:0:0/block/sdb/sdb2");
	tu_mkdir(f->sys, "fs/btrfs/features");
	assert_reason(f, "0000:00:17.0", "root filesystem on /dev/sda2");
	assert_reason(f, "0000:02:00.0", "root filesystem on /dev/sda2");
	assert_not_critical(f, "0000:3b:00.0");
}

/* dm-1, device-mapper name luks-4f1e, on the NVMe's second partition. */
static void luks_on_nvme(struct tu_host *f)
{
	root_port_and_nvme(f);
	blk(f, "virtual/block/dm-1", "253:1", 0);
	tu_write(f->sys, "devices/virtual/block/dm-1/dm/name", "luks-4f1e\n");
	slave(f, "virtual/block/dm-1", NVME "/nvme/nvme0/nvme0n1/nvme0n1p2");
}

static void test_btrfs_on_luks_dev_links(void **state)
{
	struct tu_host *f = *state;

	luks_on_nvme(f);
	/* udev's links: /dev/mapper/root -> ../dm-1 via a by-label link */
	tu_symlink(f->dev, "mapper/root", "../disk/by-label/root");
	tu_symlink(f->dev, "disk/by-label/root", "../../dm-1");
	mountinfo(f, "26 1 0:27 / / rw - btrfs /dev/mapper/root rw\n");
	assert_reason(f, "0000:3b:00.0", "root filesystem on /dev/mapper/root");
}

static void test_dm_name_without_dev(void **state)
{
	struct tu_host *f = *state;

	luks_on_nvme(f);
	/* a captured tree: no /dev links, device-mapper names the device */
	mountinfo(f, "26 1 0:27 / / rw - btrfs /dev/mapper/luks-4f1e rw\n");
	assert_reason(f, "0000:3b:00.0", "root filesystem on /dev/mapper/luks-4f1e");
}

static void test_nvme_multipath_and_loop(void **state)
{
	struct tu_host *f = *state;

	pci(f, RP, 0x060400);
	pci(f, NVME, 0x010802);
	pci(f, RP "/0000:3c:00.0", 0x010802);
	tu_mkdir(f->sys, "devices/" NVME "/nvme/nvme0");
	tu_mkdir(f->sys, "devices/" RP "/0000:3c:00.0/nvme/nvme1");
	blk(f, "virtual/nvme-subsystem/nvme-subsys0/nvme0n1", "259:0", 0);
	blk(f, "virtual/nvme-subsystem/nvme-subsys0/nvme0n1/nvme0n1p1", "259:1", 1);
	tu_symlink(f->sys, "devices/virtual/nvme-subsystem/nvme-subsys0/nvme0",
		   "../../../" NVME "/nvme/nvme0");
	tu_symlink(f->sys, "devices/virtual/nvme-subsystem/nvme-subsys0/nvme1",
		   "../../../" RP "/0000:3c:00.0/nvme/nvme1");
	link_dev(f, "class/nvme-subsystem/nvme-subsys0",
		 "virtual/nvme-subsystem/nvme-subsys0");
	/* / on a loop device whose image lives on the multipath namespace */
	blk(f, "virtual/block/loop0", "7:0", 0);
	tu_write(f->sys, "devices/virtual/block/loop0/loop/backing_file",
		 "/images/root.img\n");
	mountinfo(f,
		  "20 1 259:1 / /images rw - xfs /dev/nvme0n1p1 rw\n"
		  "26 1 7:0 / / rw - ext4 /dev/loop0 rw\n");
	assert_reason(f, "0000:3b:00.0", "root filesystem on /dev/loop0");
	assert_reason(f, "0000:3c:00.0", "root filesystem on /dev/loop0");
}

#define NIC0	"pci0000:00/0000:00:1c.4/0000:01:00.0"
#define NIC1	"pci0000:00/0000:00:1c.4/0000:01:00.1"
#define NIC2	"pci0000:00/0000:00:1c.5/0000:05:00.0"

/* The header line of /proc/net/route. */
#define ROUTE_HDR	"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"

static void three_nics(struct tu_host *f)
{
	pci(f, "pci0000:00/0000:00:1c.4", 0x060400);
	pci(f, "pci0000:00/0000:00:1c.5", 0x060400);
	pci(f, NIC0, 0x020000);
	pci(f, NIC1, 0x020000);
	pci(f, NIC2, 0x020000);
	tu_netdev(f->sys, NIC0, "eth0", "up");
	tu_netdev(f->sys, NIC1, "eth1", "up");
	tu_netdev(f->sys, NIC2, "eth2", "up");
	tu_netdev(f->sys, "virtual", "lo", "up");
}

static void test_default_route_bond(void **state)
{
	struct tu_host *f = *state;

	three_nics(f);
	tu_netdev(f->sys, "virtual", "bond0", "up");
	net_lower(f, "bond0", "lower_eth0", NIC0 "/net/eth0");
	net_lower(f, "bond0", "lower_eth1", NIC1 "/net/eth1");
	tu_write(f->proc, "net/route",
		 ROUTE_HDR
		 "eth2\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
		 "bond0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
		 "bond0\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n");
	assert_reason(f, "0000:01:00.0", "default route via bond0 (eth0)");
	assert_reason(f, "0000:01:00.1", "default route via bond0 (eth1)");
	assert_not_critical(f, "0000:05:00.0");
}

static void test_ipv6_only_bridge(void **state)
{
	struct tu_host *f = *state;

	three_nics(f);
	/* br0 has a VLAN of eth2 as its port */
	tu_netdev(f->sys, "virtual", "br0", "up");
	tu_netdev(f->sys, "virtual", "eth2.100", "up");
	tu_symlink(f->sys, "devices/virtual/net/br0/brif/eth2.100",
		   "../../eth2.100/brport");
	net_lower(f, "eth2.100", "lower_eth2", NIC2 "/net/eth2");
	/* an IPv4 table without a default route */
	tu_write(f->proc, "net/route",
		 ROUTE_HDR
		 "eth0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n");
	tu_write(f->proc, "net/ipv6_route",
		 "fe800000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n"
		 "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000002 00000000 00000003      br0\n"
		 "00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n");
	assert_reason(f, "0000:05:00.0", "IPv6 default route via br0 (eth2)");
	assert_not_critical(f, "0000:01:00.0");
	assert_not_critical(f, "0000:01:00.1");
}

static void test_both_routes_one_nic(void **state)
{
	struct tu_host *f = *state;

	three_nics(f);
	tu_write(f->proc, "net/route",
		 ROUTE_HDR
		 "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
		 /* a rejected default route is no route */
		 "eth1\t00000000\t00000000\t0201\t0\t0\t0\t00000000\t0\t0\t0\n");
	tu_write(f->proc, "net/ipv6_route",
		 "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0\n");
	assert_reason(f, "0000:01:00.0",
		      "default route via eth0; IPv6 default route via eth0");
	assert_not_critical(f, "0000:01:00.1");
}

/*
 * Hostile or broken trees whose links form cycles with fan-out: 12
 * bridges that are each other's ports, 12 dm devices that are each
 * other's slaves. Depth alone bounds such a walk at 12^8 steps; each
 * name must be entered once. SIGALRM fails the test if the walk hangs.
 */
static void test_bridge_of_bridges(void **state)
{
	struct tu_host *f = *state;
	char path[64], rel[128], target[64];

	three_nics(f);
	for (int i = 0; i < 12; i++) {
		snprintf(path, sizeof(path), "br%d", i);
		tu_netdev(f->sys, "virtual", path, "up");
		for (int j = 0; j < 12; j++) {
			snprintf(rel, sizeof(rel), "devices/virtual/net/br%d/brif/br%d", i, j);
			snprintf(target, sizeof(target), "../../br%d/brport", j);
			tu_symlink(f->sys, rel, target);
		}
	}
	tu_symlink(f->sys, "devices/virtual/net/br11/brif/eth0",
		   "../../../../" NIC0 "/net/eth0/brport");
	tu_write(f->proc, "net/route",
		 ROUTE_HDR
		 "br0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n");
	alarm(20);
	assert_reason(f, "0000:01:00.0", "default route via br0 (eth0)");
	assert_not_critical(f, "0000:01:00.1");
	alarm(0);
}

static void test_dm_slaves_loop(void **state)
{
	struct tu_host *f = *state;
	char path[64], dm[64], num[16];

	root_port_and_nvme(f);
	for (int i = 0; i < 12; i++) {
		snprintf(path, sizeof(path), "virtual/block/dm-%d", i);
		snprintf(num, sizeof(num), "253:%d", i);
		blk(f, path, num, 0);
	}
	for (int i = 0; i < 12; i++) {
		snprintf(path, sizeof(path), "virtual/block/dm-%d", i);
		for (int j = 0; j < 12; j++) {
			snprintf(dm, sizeof(dm), "virtual/block/dm-%d", j);
			slave(f, path, dm);
		}
	}
	slave(f, "virtual/block/dm-11", NVME "/nvme/nvme0/nvme0n1/nvme0n1p2");
	mountinfo(f, "26 1 253:0 / / rw - ext4 /dev/mapper/vg-root rw\n");
	alarm(20);
	assert_reason(f, "0000:3b:00.0", "root filesystem on /dev/mapper/vg-root");
	alarm(0);
}

static void test_boot_vga(void **state)
{
	struct tu_host *f = *state;

	pci(f, "pci0000:00/0000:00:02.0", 0x030000);
	tu_write(f->sys, "devices/pci0000:00/0000:00:02.0/boot_vga", "1\n");
	pci(f, "pci0000:00/0000:00:01.0", 0x060400);
	pci(f, "pci0000:00/0000:00:01.0/0000:01:00.0", 0x030000);
	tu_write(f->sys, "devices/pci0000:00/0000:00:01.0/0000:01:00.0/boot_vga", "0\n");
	assert_reason(f, "0000:00:02.0", "boot VGA device");
	assert_not_critical(f, "0000:01:00.0");
}

static void test_bridges(void **state)
{
	struct tu_host *f = *state;

	pci(f, "pci0000:00/0000:00:00.0", 0x060000);
	pci(f, "pci0000:00/0000:00:01.0", 0x060400);
	/* a PCIe switch: upstream port, downstream port, endpoint */
	pci(f, "pci0000:00/0000:00:01.0/0000:01:00.0", 0x060400);
	pci(f, "pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:08.0", 0x060400);
	pci(f, "pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:08.0/0000:03:00.0",
	    0x010802);
	/* a root port under a second host bridge, in PCI domain 1 */
	pci(f, "pci0001:00/0001:00:02.0", 0x060400);
	pci(f, "pci0000:00/0000:00:1f.0", 0x060100);	/* ISA bridge */
	assert_reason(f, "0000:00:00.0", "host bridge");
	assert_reason(f, "0000:00:01.0", "root port");
	assert_reason(f, "0000:01:00.0", "PCI bridge");
	assert_reason(f, "0000:02:08.0", "PCI bridge");
	assert_reason(f, "0001:00:02.0", "root port");
	assert_not_critical(f, "0000:03:00.0");
	assert_not_critical(f, "0000:00:1f.0");
}

static void test_no_proc_files(void **state)
{
	struct tu_host *f = *state;

	root_port_and_nvme(f);
	three_nics(f);
	assert_not_critical(f, "0000:3b:00.0");
	assert_not_critical(f, "0000:01:00.0");
	assert_not_critical(f, "0000:05:00.0");
	/* bridges need no proc file */
	assert_reason(f, "0000:00:1d.0", "root port");
	assert_reason(f, "0000:00:00.0", "host bridge");
}

static void test_unknown_sources_skipped(void **state)
{
	struct tu_host *f = *state;

	root_port_and_nvme(f);
	/* overlay root, a zram swap, a stacking loop, a missing interface */
	blk(f, "virtual/block/zram0", "252:0", 0);
	blk(f, "virtual/block/dm-0", "253:0", 0);
	blk(f, "virtual/block/dm-1", "253:1", 0);
	slave(f, "virtual/block/dm-0", "virtual/block/dm-1");
	slave(f, "virtual/block/dm-1", "virtual/block/dm-0");
	mountinfo(f, "26 1 0:40 / / rw - overlay overlay rw,lowerdir=/a\n"
		  "27 26 253:0 / /boot rw - ext4 /dev/dm-0 rw\n"
		  "garbage line\n");
	tu_write(f->proc, "swaps", "Filename Type Size Used Priority\n"
		 "/dev/zram0 partition 1000 0 100\n");
	tu_write(f->proc, "net/route", "Iface Destination\n"
		 "wlan9\t00000000\t00000000\t0003\t0\t0\t0\t00000000\t0\t0\t0\n");
	assert_not_critical(f, "0000:3b:00.0");
	assert_reason(f, "0000:00:1d.0", "root port");
}

/* Reasons are joined with "; " and deduplicated by whole item. */
static void test_reason_join(void **state)
{
	char *r = NULL;

	(void)state;
	assert_int_equal(pt__append_reason(&r, "swap on /dev/sda10"), 0);
	assert_int_equal(pt__append_reason(&r, "swap on /dev/sda1"), 0);
	assert_int_equal(pt__append_reason(&r, "swap on /dev/sda10"), 0);
	assert_int_equal(pt__append_reason(&r, "swap on /dev/sda1"), 0);
	assert_string_equal(r, "swap on /dev/sda10; swap on /dev/sda1");
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nvme_partition, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_lvm_md_two_disks, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_swap, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_boot_separate_controller, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_btrfs_anonymous_dev, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_btrfs_on_luks_dev_links, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_dm_name_without_dev, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_bridge_of_bridges, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_dm_slaves_loop, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_nvme_multipath_and_loop, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_default_route_bond, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_only_bridge, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_both_routes_one_nic, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_boot_vga, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_bridges, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_no_proc_files, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_sources_skipped, setup, tu_host_teardown),
		cmocka_unit_test(test_reason_join),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
