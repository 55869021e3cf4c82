// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A hostile sysfs tree: the input is a list of operations that shape a
 * small tree (two PCI functions, a default route and a root filesystem
 * for the host-critical walk) and then everything a scan reads is read:
 * PCI functions, IOMMU groups, host-critical reasons, checks.
 *
 * Operations (one byte each, then their arguments):
 *   0 WRITE  attr len bytes   an attribute's content
 *   1 FIFO   attr             a FIFO where the attribute should be
 *   2 ESCAPE attr how         a link out of the root: absolute, or ../ x 12
 *   3 NUMBER attr u32         a decimal number (VF counts kept below 64:
 *                             a count in the millions is perf's part of
 *                             issue 11, in lib/pci.c)
 *   4 VIRTFN n dev            virtfnN of function 0 -> function dev
 *   5 GROUP  dev u16          the function's iommu_group link
 *   6 BRIDGE a b              net a gets net b as a bridge port (cycles)
 *   7 LOWER  a b              net a has lower_<b>
 *   8 SLAVE  a b              block dm-a has dm-b (or the disk) as slave
 * Oracles: no read may block (libFuzzer's -timeout), nothing outside the
 * root may be read (a planted SECRET must never appear in a value), and
 * the sanitizers.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "libpassthru.h"

#define SECRET "SECRET-outside-the-root"

/* Attributes read by passthru itself (libpci reads vendor, device, class,
 * irq, resource with blocking opens: not planted with FIFOs here). */
static const char *const attrs[] = {
	"driver_override", "uevent", "sriov_totalvfs", "sriov_numvfs",
	"numa_node", "revision", "boot_vga", "subsystem_vendor",
	"subsystem_device", "driver", "physfn", "iommu_group",
};
#define N_ATTRS (sizeof(attrs) / sizeof(attrs[0]))

static const char *const devs[] = {
	"pci0000:00/0000:00:02.0", "pci0000:00/0000:00:03.0",
};

static char root[PATH_MAX], sys[PATH_MAX + 8], proc[PATH_MAX + 8];

static void quiet(struct pt_ctx *ctx, int priority, const char *file, int line,
		  const char *fn, const char *format, va_list args)
{
	(void)ctx; (void)priority; (void)file; (void)line; (void)fn;
	(void)format; (void)args;
}

static void fuzz_write_str(const char *path, const char *s)
{
	fuzz_write(path, s, strlen(s));
}

static void put(const char *rel, const char *text)
{
	char path[PATH_MAX * 2], *slash;

	snprintf(path, sizeof(path), "%s/%s", sys, rel);
	slash = strrchr(path, '/');
	*slash = '\0';
	fuzz_mkdirs(path);
	*slash = '/';
	unlink(path);
	fuzz_write_str(path, text);
}

static void link_at(const char *rel, const char *target)
{
	char path[PATH_MAX * 2], *slash;

	snprintf(path, sizeof(path), "%s/%s", sys, rel);
	slash = strrchr(path, '/');
	*slash = '\0';
	fuzz_mkdirs(path);
	*slash = '/';
	unlink(path);
	rmdir(path);
	if (symlink(target, path) < 0)
		abort();
}

static void base_tree(void)
{
	char rel[256], target[256], path[PATH_MAX * 2];

	for (size_t i = 0; i < 2; i++) {
		snprintf(rel, sizeof(rel), "devices/%s/vendor", devs[i]);
		put(rel, "0x8086\n");
		snprintf(rel, sizeof(rel), "devices/%s/device", devs[i]);
		put(rel, "0x1572\n");
		snprintf(rel, sizeof(rel), "devices/%s/class", devs[i]);
		put(rel, "0x020000\n");
		snprintf(rel, sizeof(rel), "devices/%s/irq", devs[i]);
		put(rel, "0\n");
		snprintf(rel, sizeof(rel), "devices/%s/resource", devs[i]);
		put(rel, "0x0000000000000000 0x0000000000000000 0x0000000000000000\n");
		snprintf(rel, sizeof(rel), "bus/pci/devices/%s", strchr(devs[i], '/') + 1);
		snprintf(target, sizeof(target), "../../../devices/%s", devs[i]);
		link_at(rel, target);
	}
	put("devices/pci0000:00/0000:00:02.0/net/net0/operstate", "up\n");
	link_at("class/net/net0", "../../devices/pci0000:00/0000:00:02.0/net/net0");
	put("devices/pci0000:00/0000:00:03.0/block/sda/dev", "8:0\n");
	link_at("class/block/sda", "../../devices/pci0000:00/0000:00:03.0/block/sda");
	link_at("dev/block/8:0", "../../devices/pci0000:00/0000:00:03.0/block/sda");
	snprintf(path, sizeof(path), "%s/kernel/iommu_groups", sys);
	fuzz_mkdirs(path);
	snprintf(path, sizeof(path), "%s/net/route", proc);
	fuzz_mkdirs(proc);
	snprintf(path, sizeof(path), "%s/net", proc);
	fuzz_mkdirs(path);
	snprintf(path, sizeof(path), "%s/net/route", proc);
	fuzz_write_str(path, "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n"
		       "br0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\n");
	snprintf(path, sizeof(path), "%s/self", proc);
	fuzz_mkdirs(path);
	snprintf(path, sizeof(path), "%s/self/mountinfo", proc);
	fuzz_write_str(path, "26 1 253:0 / / rw - ext4 /dev/dm-0 rw\n");
	snprintf(path, sizeof(path), "%s/outside", root);
	fuzz_write_str(path, SECRET "\n");
}

static void net(int i)
{
	char rel[128], target[128];

	snprintf(rel, sizeof(rel), "devices/virtual/net/br%d/operstate", i);
	put(rel, "up\n");
	snprintf(rel, sizeof(rel), "class/net/br%d", i);
	snprintf(target, sizeof(target), "../../devices/virtual/net/br%d", i);
	link_at(rel, target);
}

static void dm(int i)
{
	char rel[128], target[128], num[16];

	snprintf(rel, sizeof(rel), "devices/virtual/block/dm-%d/dev", i);
	snprintf(num, sizeof(num), "253:%d\n", i);
	put(rel, num);
	snprintf(rel, sizeof(rel), "class/block/dm-%d", i);
	snprintf(target, sizeof(target), "../../devices/virtual/block/dm-%d", i);
	link_at(rel, target);
	snprintf(rel, sizeof(rel), "dev/block/253:%d", i);
	link_at(rel, target);
}

static void check_value(const char *v)
{
	if (v && strstr(v, "SECRET"))
		abort();	/* read through a link out of the root */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct pt_ctx *ctx;
	char rel[256], buf[64], path[PATH_MAX * 2];

	if (size > 512)
		return 0;
	if (!root[0]) {
		snprintf(root, sizeof(root), "%s", fuzz_tmpdir());
		snprintf(sys, sizeof(sys), "%s/sys", root);
		snprintf(proc, sizeof(proc), "%s/proc", root);
	}
	fuzz_clear(root);
	base_tree();
	net(0);
	dm(0);
	link_at("devices/virtual/block/dm-0/slaves/sda", "../../../../pci0000:00/0000:00:03.0/block/sda");
	while (p < end) {
		uint8_t op = *p++ % 9;
		const char *dev = devs[0];
		size_t a = p < end ? *p++ % N_ATTRS : 0;

		snprintf(rel, sizeof(rel), "devices/%s/%s", dev, attrs[a]);
		switch (op) {
		case 0: {
			size_t len = p < end ? *p++ % 32 : 0;

			if ((size_t)(end - p) < len)
				len = (size_t)(end - p);
			memcpy(buf, p, len);
			buf[len] = '\0';
			p += len;
			/* the oracle's marker must come from outside the root,
			 * never from the input itself (libFuzzer learns strstr's
			 * argument and writes it) */
			for (char *s = buf; (s = memmem(s, len - (size_t)(s - buf), "SECRET", 6)); )
				*s = 's';
			put(rel, buf);
			break;
		}
		case 1:
			snprintf(path, sizeof(path), "%s/%s", sys, rel);
			unlink(path);
			rmdir(path);
			mkfifo(path, 0600);
			break;
		case 2:
			snprintf(path, sizeof(path), "%s/outside", root);
			link_at(rel, p < end && (*p++ & 1) ? path :
				"../../../../../../../../../../../../outside");
			break;
		case 3: {
			uint32_t v = 0;

			for (int i = 0; i < 4 && p < end; i++)
				v = v << 8 | *p++;
			if (!strncmp(attrs[a], "sriov_", 6))
				v %= 64;
			snprintf(buf, sizeof(buf), "%u\n", v);
			put(rel, buf);
			break;
		}
		case 4: {
			int n = (int)(a % 4);
			const char *to = devs[p < end ? *p++ % 2 : 1];

			snprintf(rel, sizeof(rel), "devices/%s/virtfn%d", dev, n);
			snprintf(path, sizeof(path), "../%s", strchr(to, '/') + 1);
			link_at(rel, path);
			break;
		}
		case 5: {
			unsigned int g = 0;

			for (int i = 0; i < 2 && p < end; i++)
				g = g << 8 | *p++;
			snprintf(rel, sizeof(rel), "devices/%s/iommu_group", devs[a % 2]);
			snprintf(path, sizeof(path), "../../../kernel/iommu_groups/%u", g);
			link_at(rel, path);
			snprintf(path, sizeof(path), "%s/kernel/iommu_groups/%u/devices", sys, g);
			fuzz_mkdirs(path);
			break;
		}
		case 6:
		case 7: {
			int x = (int)(a % 12), y = p < end ? *p++ % 13 : 0;
			char name[16];

			net(x);
			if (y < 12)
				net(y);
			snprintf(name, sizeof(name), y < 12 ? "br%d" : "net0", y);
			snprintf(rel, sizeof(rel), "devices/virtual/net/br%d/%s%s", x,
				 op == 6 ? "brif/" : "lower_", name);
			link_at(rel, y < 12 ? "../../br0" : "../../../../pci0000:00/0000:00:02.0/net/net0");
			break;
		}
		case 8: {
			int x = (int)(a % 12), y = p < end ? *p++ % 12 : 0;

			dm(x);
			dm(y);
			snprintf(rel, sizeof(rel), "devices/virtual/block/dm-%d/slaves/dm-%d", x, y);
			snprintf(path, sizeof(path), "../../dm-%d", y);
			link_at(rel, path);
			break;
		}
		}
	}

	if (pt_new(&ctx) < 0)
		abort();
	pt_set_log_fn(ctx, quiet, NULL);
	pt_set_sysfs_root(ctx, sys);
	pt_set_proc_root(ctx, proc);
	pt_set_dev_root(ctx, proc);
	pt_set_conf_dir(ctx, proc);
	{
		struct pt_pci_dev *d;
		struct pt_iommu_group *g;
		struct pt_check *c;

		pt_pci_dev_foreach(ctx, d) {
			check_value(pt_pci_dev_get_driver(d));
			check_value(pt_pci_dev_get_driver_override(d));
			check_value(pt_pci_dev_get_critical_reason(d));
			pt_pci_dev_get_sriov_numvfs(d);
			pt_pci_dev_get_iommu_group(d);
		}
		pt_iommu_group_foreach(ctx, g)
			pt_iommu_group_is_viable(g);
		pt_check_foreach(ctx, c)
			pt_check_get_message(c);
	}
	pt_unref(ctx);
	return 0;
}
