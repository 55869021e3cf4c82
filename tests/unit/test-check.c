// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The passthrough doctor on fixture hosts: sysfs (IOMMU units, groups,
 * ACPI table names, modules, PCI functions), proc (cpuinfo, cmdline,
 * interrupts), dev (kvm) and a modules directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"
#include "testutil.h"

static void pci(struct tu_host *f, const char *path, unsigned int class, int group);

static int setup(void **state)
{
	struct tu_host *f = tu_host_new(TU_SYS | TU_PROC | TU_DEV);

	snprintf(f->mods, sizeof(f->mods), "%s/lib/modules/6.1.0-28-amd64",
		 f->root);
	tu_mkdir(f->root, "sys/module");
	*state = f;
	/* every host has a host bridge (tests may give it an IOMMU group) */
	pci(f, "pci0000:00/0000:00:00.0", 0x060000, -1);
	return 0;
}

/* ---- fixture pieces ----------------------------------------------------- */

/* A PCI function at devices/<path>, in IOMMU group (or -1). */
static void pci(struct tu_host *f, const char *path, unsigned int class, int group)
{
	char val[16];

	snprintf(val, sizeof(val), "0x%06x", class);
	tu_pci_fn(f->sys, path, "0x8086", "0x1572", val);
	if (group < 0)
		return;
	snprintf(val, sizeof(val), "%d", group);
	tu_pci_group(f->sys, path, val);
}

static void cpuinfo(struct tu_host *f, const char *vendor, const char *flags)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "processor\t: 0\nvendor_id\t: %s\ncpu family\t: 6\n"
		 "model name\t: Some CPU\nflags\t\t: %s\n"
		 "vmx flags\t: vnmi preemption_timer\n\n"
		 "processor\t: 1\nvendor_id\t: %s\nflags\t\t: fpu vme\n\n",
		 vendor, flags, vendor);
	tu_write(f->proc, "cpuinfo", text);
}

#define INTEL_FLAGS	"fpu vme de pse tsc msr pae mce cx8 apic vmx smx est tm2 x2apic"
#define AMD_FLAGS	"fpu vme de pse tsc msr pae mce cx8 apic svm extapic cr8_legacy"

/* A file of the modules directory. */
static void mods(struct tu_host *f, const char *name, const char *text)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "lib/modules/6.1.0-28-amd64/%s", name);
	tu_write(f->root, rel, text);
}

static void cmdline(struct tu_host *f, const char *text)
{
	tu_write(f->proc, "cmdline", text);
}

#define IRQ_HEAD "           CPU0       CPU1       \n"
#define IRQ_IR							\
	IRQ_HEAD						\
	"  0:         36          0   IO-APIC   2-edge      timer\n"	\
	" 24:          0          0  DMAR-MSI   0-edge      dmar0\n"	\
	"124:     163523          0  IR-PCI-MSI 1048576-edge      ahci[0000:00:17.0]\n" \
	"NMI:          0          0   Non-maskable interrupts\n"
#define IRQ_NO_IR						\
	IRQ_HEAD						\
	"  0:         36          0   IO-APIC   2-edge      timer\n"	\
	" 28:          0          0  PCI-MSI 1048576-edge      ahci[0000:00:17.0]\n" \
	"NMI:          0          0   Non-maskable interrupts\n"

static void module_loaded(struct tu_host *f, const char *name)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "module/%s/initstate", name);
	tu_write(f->sys, rel, "live\n");
}

/* A built-in module with parameters: module/<name> without initstate. */
static void module_builtin_params(struct tu_host *f, const char *name)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "module/%s/parameters", name);
	tu_mkdir(f->sys, rel);
}

#define DEP_VFIO							\
	"kernel/drivers/vfio/vfio.ko.xz: kernel/virt/lib/irqbypass.ko.xz\n"	\
	"kernel/drivers/vfio/vfio_iommu_type1.ko.xz: kernel/drivers/vfio/vfio.ko.xz\n" \
	"kernel/drivers/vfio/pci/vfio-pci.ko.xz: kernel/drivers/vfio/pci/vfio-pci-core.ko.xz\n" \
	"kernel/drivers/vfio/pci/vfio-pci-core.ko.xz: kernel/drivers/vfio/vfio.ko.xz\n" \
	"kernel/drivers/vfio/mdev/mdev.ko.xz:\n"

/* An Intel host with VT-d on, without vfio modules. */
static void good_intel_no_modules(struct tu_host *f)
{
	cpuinfo(f, "GenuineIntel", INTEL_FLAGS);
	cmdline(f, "BOOT_IMAGE=/boot/vmlinuz-6.1.0-28-amd64 root=/dev/sda2 ro "
		"quiet intel_iommu=on iommu=pt\n");
	tu_write(f->proc, "interrupts", IRQ_IR);
	tu_write(f->dev, "kvm", "");
	tu_mkdir(f->sys, "class/iommu/dmar0");
	tu_mkdir(f->sys, "class/iommu/dmar1");
	tu_write(f->sys, "firmware/acpi/tables/DMAR", "DMAR");
	tu_write(f->sys, "firmware/acpi/tables/APIC", "APIC");
	pci(f, "pci0000:00/0000:00:00.0", 0x060000, 0);
	pci(f, "pci0000:00/0000:00:01.0", 0x060400, 1);
	/* a GPU and its audio function: one device, one group */
	pci(f, "pci0000:00/0000:00:01.0/0000:01:00.0", 0x030000, 1);
	pci(f, "pci0000:00/0000:00:01.0/0000:01:00.1", 0x040300, 1);
	/* an SR-IOV NIC with one VF enabled, in its own group */
	pci(f, "pci0000:00/0000:00:1c.0", 0x060400, 2);
	pci(f, "pci0000:00/0000:00:1c.0/0000:3b:00.0", 0x020000, 3);
	tu_write(f->sys, "devices/pci0000:00/0000:00:1c.0/0000:3b:00.0/sriov_totalvfs", "64\n");
	tu_write(f->sys, "devices/pci0000:00/0000:00:1c.0/0000:3b:00.0/sriov_numvfs", "1\n");
	pci(f, "pci0000:00/0000:00:1c.0/0000:3b:02.0", 0x020000, 4);
	tu_symlink(f->sys, "devices/pci0000:00/0000:00:1c.0/0000:3b:00.0/virtfn0",
		   "../0000:3b:02.0");
	tu_symlink(f->sys, "devices/pci0000:00/0000:00:1c.0/0000:3b:02.0/physfn",
		   "../0000:3b:00.0");
}

/* A host where everything but what a test changes is fine (Intel). */
static void good_intel(struct tu_host *f)
{
	good_intel_no_modules(f);
	module_loaded(f, "vfio");
	module_loaded(f, "vfio_pci");
	module_builtin_params(f, "vfio_iommu_type1");
	mods(f, "modules.dep", DEP_VFIO);
	mods(f, "modules.builtin", "kernel/drivers/vfio/vfio_iommu_type1.ko\n");
}

/* ---- assertions --------------------------------------------------------- */

static struct pt_check *get(struct pt_ctx *ctx, const char *id)
{
	struct pt_check *c;

	pt_check_foreach(ctx, c)
		if (!strcmp(pt_check_get_id(c), id))
			return c;
	fail_msg("no finding '%s'", id);
	return NULL;
}

static void expect(struct pt_ctx *ctx, const char *id,
		   enum pt_check_status status, const char *msg_has,
		   const char *fix_has)
{
	struct pt_check *c = get(ctx, id);
	const char *m = pt_check_get_message(c), *fx = pt_check_get_fix(c);

	if (pt_check_get_status(c) != status)
		fail_msg("%s: status %d, want %d: %s", id, pt_check_get_status(c),
			 status, m);
	assert_non_null(m);
	if (msg_has && !strstr(m, msg_has))
		fail_msg("%s: message '%s' lacks '%s'", id, m, msg_has);
	if (status == PT_CHECK_OK) {
		assert_null(fx);
		return;
	}
	assert_non_null(fx);
	if (fix_has && !strstr(fx, fix_has))
		fail_msg("%s: fix '%s' lacks '%s'", id, fx, fix_has);
}

static void expect_fix_has(struct pt_ctx *ctx, const char *id, const char *word)
{
	const char *fx = pt_check_get_fix(get(ctx, id));

	assert_non_null(fx);
	if (!strstr(fx, word))
		fail_msg("%s: fix '%s' lacks '%s'", id, fx, word);
}

static void expect_msg(struct pt_ctx *ctx, const char *id, const char *exact)
{
	assert_string_equal(pt_check_get_message(get(ctx, id)), exact);
}

/* ---- tests -------------------------------------------------------------- */

static void test_intel_all_ok(void **state)
{
	static const char *const ids[] = {
		"cpu_virt", "kvm", "iommu", "cmdline", "interrupt_remapping",
		"vfio", "vfio_pci", "vfio_iommu_type1", "mdev", "sriov", "acs",
	};
	struct tu_host *f = *state;
	struct pt_ctx *ctx;
	struct pt_check *c;
	size_t i = 0;

	good_intel(f);
	ctx = tu_host_ctx(f);
	pt_check_foreach(ctx, c) {
		assert_true(i < sizeof(ids) / sizeof(ids[0]));
		assert_string_equal(pt_check_get_id(c), ids[i]);
		if (pt_check_get_status(c) != PT_CHECK_OK)
			fail_msg("%s: %s", ids[i], pt_check_get_message(c));
		assert_null(pt_check_get_fix(c));
		i++;
	}
	assert_int_equal(i, sizeof(ids) / sizeof(ids[0]));
	assert_int_equal(pt_check_get_worst(ctx), PT_CHECK_OK);
	expect_msg(ctx, "cpu_virt", "the CPU supports VT-x (vmx flag)");
	expect_msg(ctx, "iommu", "Intel VT-d (DMAR) active, 5 IOMMU groups");
	expect_msg(ctx, "cmdline", "the kernel command line has intel_iommu=on iommu=pt");
	expect_msg(ctx, "interrupt_remapping", "interrupts are remapped (IR-PCI-MSI)");
	expect_msg(ctx, "vfio", "vfio is loaded");
	expect_msg(ctx, "vfio_pci", "vfio_pci is loaded");
	expect_msg(ctx, "vfio_iommu_type1", "vfio_iommu_type1 is built into the kernel");
	expect_msg(ctx, "mdev", "mdev is available (kernel/drivers/vfio/mdev/mdev.ko.xz), "
		   "loaded on first bind");
	expect_msg(ctx, "sriov", "1 SR-IOV capable physical function (0000:3b:00.0)");
	expect_msg(ctx, "acs", "every IOMMU group holds functions of one device only (5 groups)");
	/* a second call runs nothing again */
	assert_ptr_equal(pt_check_get_first(ctx), ctx->checks);
}

static void test_amd_ok(void **state)
{
	struct tu_host *f = *state;
	struct pt_ctx *ctx;

	cpuinfo(f, "AuthenticAMD", AMD_FLAGS);
	cmdline(f, "BOOT_IMAGE=/vmlinuz root=UUID=0a1b ro iommu=pt\n");
	tu_write(f->proc, "interrupts", IRQ_HEAD
		 " 25:      0     0  IR-PCI-MSI 2048-edge  AMD-Vi\n");
	tu_write(f->dev, "kvm", "");
	tu_mkdir(f->sys, "class/iommu/ivhd0");
	tu_write(f->sys, "firmware/acpi/tables/IVRS", "IVRS");
	/* nothing loaded yet: all from modules.dep, zstd-compressed */
	mods(f, "modules.dep",
		 "kernel/drivers/vfio/vfio.ko.zst:\n"
		 "kernel/drivers/vfio/pci/vfio-pci.ko.zst: kernel/drivers/vfio/vfio.ko.zst\n"
		 "kernel/drivers/vfio/vfio_iommu_type1.ko.zst: kernel/drivers/vfio/vfio.ko.zst\n"
		 "kernel/drivers/vfio/mdev/mdev.ko.zst:\n");
	pci(f, "pci0000:00/0000:00:00.0", 0x060000, 0);
	pci(f, "pci0000:00/0000:00:01.1", 0x060400, 1);
	pci(f, "pci0000:00/0000:00:01.1/0000:01:00.0", 0x010802, 1);
	ctx = tu_host_ctx(f);
	expect(ctx, "cpu_virt", PT_CHECK_OK, "AMD-V (SVM) (svm flag)", NULL);
	expect(ctx, "kvm", PT_CHECK_OK, "/kvm is present", NULL);
	expect_msg(ctx, "iommu", "AMD-Vi (IVRS) active, 2 IOMMU groups");
	expect_msg(ctx, "cmdline", "the kernel command line has iommu=pt");
	expect(ctx, "interrupt_remapping", PT_CHECK_OK, "IR-PCI-MSI", NULL);
	expect_msg(ctx, "vfio_pci", "vfio_pci is available "
		   "(kernel/drivers/vfio/pci/vfio-pci.ko.zst), loaded on first bind");
	expect(ctx, "vfio_iommu_type1", PT_CHECK_OK, "available", NULL);
	/* no SR-IOV device: a warning naming the BIOS option */
	expect(ctx, "sriov", PT_CHECK_WARN, "no SR-IOV capable device", "SR-IOV");
	expect_fix_has(ctx, "sriov", "BIOS");
	assert_int_equal(pt_check_get_worst(ctx), PT_CHECK_WARN);
}

static void test_no_iommu_intel(void **state)
{
	struct tu_host *f = *state;
	struct pt_ctx *ctx;

	cpuinfo(f, "GenuineIntel", INTEL_FLAGS);
	cmdline(f, "BOOT_IMAGE=/vmlinuz root=/dev/sda2 ro quiet\n");
	tu_write(f->proc, "interrupts", IRQ_NO_IR);
	tu_write(f->dev, "kvm", "");
	tu_mkdir(f->sys, "firmware/acpi/tables");
	tu_write(f->sys, "firmware/acpi/tables/APIC", "APIC");
	module_loaded(f, "vfio");
	mods(f, "modules.dep", DEP_VFIO);
	ctx = tu_host_ctx(f);
	expect(ctx, "iommu", PT_CHECK_FAIL, "no IOMMU", "VT-d");
	expect_fix_has(ctx, "iommu", "BIOS/UEFI");
	/* no hypervisor flag: bare metal, no word about virtual IOMMUs */
	assert_null(strstr(pt_check_get_fix(get(ctx, "iommu")), "virtual"));
	expect(ctx, "interrupt_remapping", PT_CHECK_FAIL, "not active", "VT-d");
	expect(ctx, "cmdline", PT_CHECK_WARN, "intel_iommu=on is not set",
	       "add intel_iommu=on iommu=pt to the kernel command line");
	expect_fix_has(ctx, "cmdline", "update-grub");
	expect(ctx, "acs", PT_CHECK_OK, "no IOMMU groups", NULL);
	assert_int_equal(pt_check_get_worst(ctx), PT_CHECK_FAIL);
}

static void test_no_iommu_amd_vm(void **state)
{
	struct tu_host *f = *state;
	struct pt_ctx *ctx;

	/* a guest without nested virtualization, as this project's CI VM */
	cpuinfo(f, "AuthenticAMD", "fpu vme de pse tsc msr pae hypervisor lahf_lm");
	cmdline(f, "console=ttyS0 nomodule -- --init-arg iommu=pt\n");
	tu_write(f->proc, "interrupts", IRQ_NO_IR);
	/* no modules dir, nomodule, nothing built in */
	ctx = tu_host_ctx(f);
	expect(ctx, "cpu_virt", PT_CHECK_FAIL, "virtual machine", "nested");
	expect_fix_has(ctx, "cpu_virt", "kvm_amd");
	expect(ctx, "kvm", PT_CHECK_WARN, "/kvm is missing", "AMD-V (SVM)");
	expect(ctx, "iommu", PT_CHECK_FAIL, "no IOMMU", "AMD-Vi");
	expect_fix_has(ctx, "iommu", "IOMMU");
	expect_fix_has(ctx, "iommu", "virtual IOMMU");
	/* iommu=pt after "--" goes to init, not to the kernel */
	expect(ctx, "cmdline", PT_CHECK_WARN, "iommu=pt is not set", "add iommu=pt");
	expect(ctx, "vfio_pci", PT_CHECK_FAIL, "module loading is off (nomodule",
	       "CONFIG_VFIO_PCI");
	expect(ctx, "mdev", PT_CHECK_WARN, "only vGPU", "CONFIG_VFIO_MDEV");
	expect(ctx, "sriov", PT_CHECK_WARN, "no SR-IOV", "SR-IOV");
	assert_int_equal(pt_check_get_worst(ctx), PT_CHECK_FAIL);
}

static void test_dmar_without_groups(void **state)
{
	struct tu_host *f = *state;
	struct pt_ctx *ctx;

	cpuinfo(f, "GenuineIntel", INTEL_FLAGS);
	cmdline(f, "BOOT_IMAGE=/vmlinuz root=/dev/sda2 ro quiet iommu=pt\n");
	tu_write(f->proc, "interrupts", IRQ_NO_IR);
	tu_write(f->sys, "firmware/acpi/tables/DMAR", "DMAR");
	ctx = tu_host_ctx(f);
	expect(ctx, "iommu", PT_CHECK_FAIL,
	       "VT-d is enabled in firmware (ACPI DMAR table) but the kernel did not enable it",
	       "add intel_iommu=on to the kernel command line");
	expect_fix_has(ctx, "iommu", "GRUB_CMDLINE_LINUX in /etc/default/grub");
	expect_fix_has(ctx, "iommu", "update-grub and reboot");
	expect(ctx, "cmdline", PT_CHECK_WARN, "intel_iommu=on is not set",
	       "add intel_iommu=on to the kernel command line");
	assert_int_equal(pt_check_get_worst(ctx), PT_CHECK_FAIL);
}

static void test_intel_iommu_off(void **state)
{
	struct tu_host *f = *state;
	struct pt_ctx *ctx;

	cpuinfo(f, "GenuineIntel", INTEL_FLAGS);
	cmdline(f, "root=/dev/sda2 intel_iommu=igfx_off,off amd_iommu=off\n");
	tu_write(f->sys, "firmware/acpi/tables/DMAR", "DMAR");
	ctx = tu_host_ctx(f);
	expect(ctx, "iommu", PT_CHECK_FAIL, "did not enable it", "remove intel_iommu=off");
	/* amd_iommu=off means nothing on Intel */
	expect_msg(ctx, "cmdline", "intel_iommu=off turns the IOMMU off; iommu=pt is "
		   "not set, so the host's own devices pay for IOMMU DMA translation "
		   "(slower host I/O; guests are not affected)");
	expect_fix_has(ctx, "cmdline",
		       "remove intel_iommu=off from and add iommu=pt to the kernel command line");
	assert_int_equal(pt_check_get_status(get(ctx, "cmdline")), PT_CHECK_FAIL);
}

static void test_no_interrupt_remapping(void **state)
{
	struct tu_host *f = *state;
	struct pt_ctx *ctx;

	good_intel(f);
	tu_write(f->proc, "interrupts", IRQ_NO_IR);
	ctx = tu_host_ctx(f);
	expect(ctx, "interrupt_remapping", PT_CHECK_FAIL,
	       "the IOMMU is active but interrupts are not remapped", "x2APIC");
	expect_fix_has(ctx, "interrupt_remapping", "allow_unsafe_interrupts=1");
	expect_fix_has(ctx, "interrupt_remapping", "insecure");
	assert_int_equal(pt_check_get_worst(ctx), PT_CHECK_FAIL);
}

static void test_intremap_off(void **state)
{
	struct tu_host *f = *state;
	struct pt_ctx *ctx;

	good_intel(f);
	tu_write(f->proc, "interrupts", IRQ_NO_IR);
	cmdline(f, "root=/dev/sda2 intel_iommu=on iommu=pt intremap=off\n");
	ctx = tu_host_ctx(f);
	expect(ctx, "interrupt_remapping", PT_CHECK_FAIL, "intremap=off",
	       "remove intremap=off");
}

static void test_modules(void **state)
{
	struct tu_host *f = *state;
	struct pt_ctx *ctx;

	/* vfio loaded, vfio_pci only in modules.dep, type1 nowhere, no mdev */
	good_intel_no_modules(f);
	module_loaded(f, "vfio");
	mods(f, "modules.dep",
		 "kernel/drivers/vfio/vfio.ko.xz:\n"
		 "kernel/drivers/vfio/pci/vfio-pci.ko.xz: kernel/drivers/vfio/vfio.ko.xz\n"
		 "kernel/drivers/vfio/pci/vfio-pci-core.ko.xz: kernel/drivers/vfio/vfio.ko.xz\n"
		 "kernel/drivers/vfio/vfio_iommu_type1_x.ko.xz:\n");
	ctx = tu_host_ctx(f);
	expect_msg(ctx, "vfio", "vfio is loaded");
	expect_msg(ctx, "vfio_pci", "vfio_pci is available "
		   "(kernel/drivers/vfio/pci/vfio-pci.ko.xz), loaded on first bind");
	expect(ctx, "vfio_iommu_type1", PT_CHECK_FAIL,
	       "modules.dep lists no such module", "CONFIG_VFIO_IOMMU_TYPE1");
	expect_fix_has(ctx, "vfio_iommu_type1", "install the modules of the running kernel");
	expect(ctx, "mdev", PT_CHECK_WARN, "neither loaded nor built into the kernel",
	       "CONFIG_VFIO_MDEV");
	assert_int_equal(pt_check_get_worst(ctx), PT_CHECK_FAIL);
}

static void test_modules_nomodule(void **state)
{
	struct tu_host *f = *state;
	struct pt_ctx *ctx;

	good_intel(f);
	cmdline(f, "root=/dev/sda2 intel_iommu=on iommu=pt nomodule\n");
	ctx = tu_host_ctx(f);
	/* loaded and built-in ones are fine; a module cannot be loaded */
	expect(ctx, "vfio", PT_CHECK_OK, "loaded", NULL);
	expect(ctx, "vfio_iommu_type1", PT_CHECK_OK, "built into the kernel", NULL);
	expect(ctx, "mdev", PT_CHECK_WARN, "module loading is off", "remove nomodule");
}

static void test_modules_builtin_list(void **state)
{
	struct tu_host *f = *state;
	struct pt_ctx *ctx;

	/* built in without parameters: no module/ directory, only the list */
	good_intel_no_modules(f);
	mods(f, "modules.builtin",
		 "kernel/drivers/vfio/vfio.ko\n"
		 "kernel/drivers/vfio/vfio_iommu_type1.ko\n"
		 "kernel/drivers/vfio/pci/vfio-pci.ko\n");
	mods(f, "modules.dep", "kernel/drivers/vfio/mdev/mdev.ko:\n");
	ctx = tu_host_ctx(f);
	expect_msg(ctx, "vfio", "vfio is built into the kernel");
	expect_msg(ctx, "vfio_pci", "vfio_pci is built into the kernel");
	expect_msg(ctx, "vfio_iommu_type1", "vfio_iommu_type1 is built into the kernel");
	expect(ctx, "mdev", PT_CHECK_OK, "available", NULL);
	assert_int_equal(pt_check_get_worst(ctx), PT_CHECK_OK);
}

/* A PCH group: two devices behind a root port without ACS, all in group 7. */
static void pch_group(struct tu_host *f)
{
	pci(f, "pci0000:00/0000:00:1c.4", 0x060400, 7);
	pci(f, "pci0000:00/0000:00:1c.4/0000:05:00.0", 0x020000, 7);
	pci(f, "pci0000:00/0000:00:1c.4/0000:06:00.0", 0x0c0330, 7);
}

static void test_acs(void **state)
{
	struct tu_host *f = *state;
	struct pt_ctx *ctx;

	good_intel(f);
	pch_group(f);
	/* a second shared group */
	pci(f, "pci0000:00/0000:00:14.0", 0x0c0330, 8);
	pci(f, "pci0000:00/0000:00:14.2", 0x050000, 8);
	pci(f, "pci0000:00/0000:00:16.0", 0x078000, 8);
	/* a PF and its VF share group 9: one device, no warning for it */
	pci(f, "pci0000:00/0000:5e:00.0", 0x020000, 9);
	tu_write(f->sys, "devices/pci0000:00/0000:5e:00.0/sriov_totalvfs", "8\n");
	tu_write(f->sys, "devices/pci0000:00/0000:5e:00.0/sriov_numvfs", "1\n");
	pci(f, "pci0000:00/0000:5e:10.0", 0x020000, 9);
	tu_symlink(f->sys, "devices/pci0000:00/0000:5e:00.0/virtfn0", "../0000:5e:10.0");
	tu_symlink(f->sys, "devices/pci0000:00/0000:5e:10.0/physfn", "../0000:5e:00.0");
	ctx = tu_host_ctx(f);
	expect_msg(ctx, "acs", "2 IOMMU groups hold more than one device: group 7 "
		   "(0000:05:00.0, 0000:06:00.0), group 8 (0000:00:14.0, "
		   "0000:00:14.2, 0000:00:16.0); each goes to a guest only whole");
	expect(ctx, "acs", PT_CHECK_WARN, NULL, "ACS");
	expect_fix_has(ctx, "acs", "CPU");
	expect_fix_has(ctx, "acs", "pcie_acs_override");
	expect_fix_has(ctx, "acs", "unsafe");
	assert_int_equal(pt_check_get_worst(ctx), PT_CHECK_WARN);
}

static void test_acs_one_group(void **state)
{
	struct tu_host *f = *state;
	struct pt_ctx *ctx;

	good_intel(f);
	pch_group(f);
	ctx = tu_host_ctx(f);
	expect_msg(ctx, "acs", "IOMMU group 7 (0000:05:00.0, 0000:06:00.0) holds "
		   "more than one device; they only go to a guest together");
}

static void test_nothing_readable(void **state)
{
	struct tu_host *f = *state;
	struct pt_ctx *ctx;

	/* a PCI bus with a host bridge and nothing else */
	ctx = tu_host_ctx(f);
	expect(ctx, "cpu_virt", PT_CHECK_WARN, "cannot read", NULL);
	expect(ctx, "cmdline", PT_CHECK_WARN, "cannot read", NULL);
	expect(ctx, "interrupt_remapping", PT_CHECK_WARN, "cannot read", NULL);
	expect(ctx, "iommu", PT_CHECK_FAIL, "no IOMMU", "the IOMMU");
	expect(ctx, "vfio", PT_CHECK_FAIL, "no module directory", "CONFIG_VFIO");
	assert_int_equal(pt_check_get_worst(ctx), PT_CHECK_FAIL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_intel_all_ok, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_amd_ok, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_no_iommu_intel, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_no_iommu_amd_vm, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_dmar_without_groups, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_intel_iommu_off, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_no_interrupt_remapping, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_intremap_off, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_modules, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_modules_nomodule, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_modules_builtin_list, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_acs, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_acs_one_group, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_nothing_readable, setup, tu_host_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
