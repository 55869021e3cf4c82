// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The passthrough doctor: can this host give PCI devices to KVM guests,
 * and if not, what exactly to change. Every finding has a stable id, a
 * status, one sentence saying what was found, and (unless it is fine) a
 * fix that names the firmware setting or the command to run. Everything
 * is read below the context's roots: cpuinfo, cmdline and interrupts
 * from proc; class/iommu, kernel/iommu_groups, the ACPI table names and
 * module/ from sysfs; kvm from dev; modules.dep and modules.builtin from
 * the modules directory.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

struct pt_check {
	struct pt_check *next;
	const char *id;			/* static */
	enum pt_check_status status;
	char *message;
	char *fix;			/* NULL when ok */
};

enum vendor { VENDOR_UNKNOWN, VENDOR_INTEL, VENDOR_AMD };

enum module_state {
	MOD_MISSING,
	MOD_LOADED,		/* module/<name>/initstate */
	MOD_BUILTIN,		/* module/<name> without initstate, modules.builtin */
	MOD_AVAILABLE,		/* in modules.dep */
};

struct host {
	struct pt_ctx *ctx;
	struct pt_check **tail;
	int r;

	/* cpuinfo */
	bool cpuinfo_read;
	enum vendor vendor;
	bool virt_flag;			/* vmx or svm */
	bool hypervisor;		/* a virtual machine */

	/* cmdline, split; up to "--" */
	bool cmdline_read;
	char **args;
	size_t n_args;

	/* IOMMU */
	int n_groups;
	bool dmar, ivrs, viot;		/* ACPI tables */
	int dmar_units, ivhd_units, other_units;
	char other_unit[64];

	/* modules dir */
	bool modules_dir;		/* modules.dep readable */
	char *dep, *builtin;		/* file contents, or NULL */
};

/* ---- findings ----------------------------------------------------------- */

static void add(struct host *h, const char *id, enum pt_check_status status,
		const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void add(struct host *h, const char *id, enum pt_check_status status,
		const char *fix, const char *fmt, ...)
{
	struct pt_check *c;
	va_list ap;
	int n;

	if (h->r < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		goto enomem;
	c->id = id;
	c->status = status;
	va_start(ap, fmt);
	n = vasprintf(&c->message, fmt, ap);
	va_end(ap);
	if (n < 0) {
		c->message = NULL;
		goto enomem;
	}
	if (status != PT_CHECK_OK && fix && !(c->fix = strdup(fix)))
		goto enomem;
	dbg(h->ctx, "%s: %s: %s\n", id, status == PT_CHECK_OK ? "ok" :
	    status == PT_CHECK_WARN ? "warn" : "fail", c->message);
	*h->tail = c;
	h->tail = &c->next;
	return;
enomem:
	if (c) {
		free(c->message);
		free(c);
	}
	h->r = -ENOMEM;
}

static const char *iommu_name(const struct host *h)
{
	switch (h->vendor) {
	case VENDOR_INTEL:
		return "VT-d";
	case VENDOR_AMD:
		return "AMD-Vi (IOMMU)";
	default:
		return "the IOMMU";
	}
}

static const char *virt_name(const struct host *h)
{
	switch (h->vendor) {
	case VENDOR_INTEL:
		return "VT-x";
	case VENDOR_AMD:
		return "AMD-V (SVM)";
	default:
		return "hardware virtualization";
	}
}

/* ---- reading the host --------------------------------------------------- */

static char *read_fd(int fd)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, *n;
	ssize_t r;

	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 16384;
			n = realloc(buf, cap);
			if (!n)
				goto fail;
			buf = n;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	close(fd);
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

/* A whole proc file, or NULL (missing: logged). */
static char *read_proc(struct host *h, const char *rel)
{
	int fd = pt__proc_open(h->ctx, rel);
	char *s;

	if (fd < 0) {
		dbg(h->ctx, "%s/%s: %s\n", h->ctx->proc_root, rel, strerror(-fd));
		return NULL;
	}
	s = read_fd(fd);
	if (!s)
		h->r = h->r < 0 ? h->r : -ENOMEM;
	return s;
}

static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || isspace((unsigned char)p[-1])) &&
		    (!p[n] || isspace((unsigned char)p[n])))
			return true;
	return false;
}

/* "key\t\t: value" lines of the first processor. */
static void read_cpuinfo(struct host *h)
{
	char *text = read_proc(h, "cpuinfo"), *line, *save;

	if (!text)
		return;
	h->cpuinfo_read = true;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':'), *end;

		if (!colon)
			continue;
		for (end = colon; end > line && isspace((unsigned char)end[-1]); end--)
			;
		*end = '\0';
		if (!strcmp(line, "vendor_id")) {
			if (strstr(colon + 1, "GenuineIntel"))
				h->vendor = VENDOR_INTEL;
			else if (strstr(colon + 1, "AuthenticAMD") ||
				 strstr(colon + 1, "HygonGenuine"))
				h->vendor = VENDOR_AMD;
		} else if (!strcmp(line, "flags")) {
			h->virt_flag = has_word(colon + 1, "vmx") ||
				       has_word(colon + 1, "svm");
			h->hypervisor = has_word(colon + 1, "hypervisor");
			break;	/* the first processor tells */
		}
	}
	free(text);
}

static void read_cmdline(struct host *h)
{
	char *text = read_proc(h, "cmdline"), *tok, *save;

	if (!text)
		return;
	h->cmdline_read = true;
	/* arguments after "--" go to init, not to the kernel */
	for (tok = strtok_r(text, " \t\n", &save); tok && strcmp(tok, "--");
	     tok = strtok_r(NULL, " \t\n", &save)) {
		char **n = realloc(h->args, (h->n_args + 1) * sizeof(*n));

		if (!n || !(n[h->n_args] = strdup(tok))) {
			if (n)
				h->args = n;
			h->r = -ENOMEM;
			break;
		}
		h->args = n;
		h->n_args++;
	}
	free(text);
}

static bool arg_flag(const struct host *h, const char *arg)
{
	for (size_t i = 0; i < h->n_args; i++)
		if (!strcmp(h->args[i], arg))
			return true;
	return false;
}

/* One of the comma-separated options of key= is opt. */
static bool arg_has(const struct host *h, const char *key, const char *opt)
{
	size_t n = strlen(key), o = strlen(opt);

	for (size_t i = 0; i < h->n_args; i++) {
		const char *v = h->args[i];

		if (strncmp(v, key, n) || v[n] != '=')
			continue;
		for (v += n + 1; *v; v += strcspn(v, ",") + (v[strcspn(v, ",")] ? 1 : 0))
			if (!strncmp(v, opt, o) && (v[o] == ',' || !v[o]))
				return true;
	}
	return false;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static void read_iommu(struct host *h)
{
	struct dirent *e;
	DIR *dir;
	int fd;

	h->n_groups = 0;
	fd = pt__sysfs_open_dir(h->ctx, "kernel/iommu_groups");
	if (fd >= 0 && (dir = fdopendir(fd))) {
		while ((e = readdir(dir)))
			if (all_digits(e->d_name))
				h->n_groups++;
		closedir(dir);
	} else if (fd >= 0) {
		close(fd);
	}
	fd = pt__sysfs_open_dir(h->ctx, "class/iommu");
	if (fd >= 0 && (dir = fdopendir(fd))) {
		while ((e = readdir(dir))) {
			if (e->d_name[0] == '.')
				continue;
			if (!strncmp(e->d_name, "dmar", 4))
				h->dmar_units++;
			else if (!strncmp(e->d_name, "ivhd", 4))
				h->ivhd_units++;
			else if (!h->other_units++)
				snprintf(h->other_unit, sizeof(h->other_unit), "%.63s",
					 e->d_name);
		}
		closedir(dir);
	} else if (fd >= 0) {
		close(fd);
	}
	fd = pt__sysfs_open_dir(h->ctx, "firmware/acpi/tables");
	if (fd >= 0) {
		h->dmar = pt__sysfs_exists(fd, "DMAR") == 0;
		h->ivrs = pt__sysfs_exists(fd, "IVRS") == 0;
		h->viot = pt__sysfs_exists(fd, "VIOT") == 0;
		close(fd);
	}
}

static char *read_modules_file(struct host *h, const char *name)
{
	int fd = pt__modules_open(h->ctx, name);
	char *s;

	if (fd < 0) {
		dbg(h->ctx, "%s/%s: %s\n", h->ctx->modules_dir, name,
		    strerror(-fd));
		return NULL;
	}
	s = read_fd(fd);
	if (!s)
		h->r = h->r < 0 ? h->r : -ENOMEM;
	return s;
}

/*
 * The line of modules.dep ("kernel/drivers/vfio/pci/vfio-pci.ko.xz: ...")
 * or modules.builtin naming module name ('-' and '_' alike); its path is
 * copied to path.
 */
static bool modules_list_has(const char *text, const char *name, char *path,
			     size_t len)
{
	size_t nlen = strlen(name);

	for (const char *line = text; line && *line;) {
		const char *eol = strchr(line, '\n');
		size_t plen = strcspn(line, ":\n");
		const char *base = line;

		for (const char *p = line; p < line + plen; p++)
			if (*p == '/')
				base = p + 1;
		if ((size_t)(line + plen - base) > nlen && base[nlen] == '.' &&
		    !strncmp(base + nlen, ".ko", 3)) {
			size_t i;

			for (i = 0; i < nlen; i++) {
				char a = base[i] == '-' ? '_' : base[i];
				char b = name[i] == '-' ? '_' : name[i];

				if (a != b)
					break;
			}
			if (i == nlen) {
				snprintf(path, len, "%.*s", (int)plen, line);
				return true;
			}
		}
		line = eol ? eol + 1 : NULL;
	}
	return false;
}

static enum module_state module_state(struct host *h, const char *name,
				      char *path, size_t len)
{
	char rel[80];
	int fd;

	path[0] = '\0';
	snprintf(rel, sizeof(rel), "module/%s", name);
	fd = pt__sysfs_open_dir(h->ctx, rel);
	if (fd >= 0) {
		/* only loadable modules have initstate */
		bool loaded = pt__sysfs_exists(fd, "initstate") == 0;

		close(fd);
		return loaded ? MOD_LOADED : MOD_BUILTIN;
	}
	if (h->builtin && modules_list_has(h->builtin, name, path, len))
		return MOD_BUILTIN;
	if (h->dep && modules_list_has(h->dep, name, path, len))
		return MOD_AVAILABLE;
	return MOD_MISSING;
}

/* ---- the findings ------------------------------------------------------- */

static void check_cpu_virt(struct host *h)
{
	const char *flag = h->vendor == VENDOR_AMD ? "svm" : "vmx";
	char fix[256];

	if (!h->cpuinfo_read) {
		add(h, "cpu_virt", PT_CHECK_WARN,
		    "point the proc root at a mounted proc filesystem",
		    "cannot read %s/cpuinfo to tell whether the CPU supports "
		    "virtualization", h->ctx->proc_root);
		return;
	}
	if (h->virt_flag) {
		add(h, "cpu_virt", PT_CHECK_OK, NULL,
		    "the CPU supports %s (%s flag)", virt_name(h), flag);
		return;
	}
	if (h->vendor == VENDOR_UNKNOWN) {
		/* Arm and others show no such flag in cpuinfo */
		add(h, "cpu_virt", PT_CHECK_WARN,
		    "make sure the firmware starts the kernel with virtualization "
		    "enabled (on Arm: in EL2); /dev/kvm appears when KVM works",
		    "cpuinfo does not say whether this CPU supports "
		    "virtualization");
		return;
	}
	if (h->hypervisor) {
		snprintf(fix, sizeof(fix),
			 "enable nested virtualization in the hypervisor running this "
			 "machine (KVM: %s nested=1 and -cpu host) or run on bare "
			 "metal",
			 h->vendor == VENDOR_AMD ? "kvm_amd" : "kvm_intel");
		add(h, "cpu_virt", PT_CHECK_FAIL, fix,
		    "%s is not available: this is a virtual machine and its CPU "
		    "has no %s flag, so KVM cannot run guests here", virt_name(h),
		    flag);
		return;
	}
	snprintf(fix, sizeof(fix), "enable %s in the BIOS/UEFI setup",
		 h->vendor == VENDOR_AMD ?
		 "AMD-V (SVM Mode)" : "Intel VT-x (Virtualization Technology)");
	add(h, "cpu_virt", PT_CHECK_FAIL, fix,
	    "%s is not available: the CPU has no %s flag (off in the firmware "
	    "or not supported), so KVM cannot run guests", virt_name(h), flag);
}

static void check_kvm(struct host *h)
{
	const char *mod = h->vendor == VENDOR_INTEL ? "kvm_intel" :
			  h->vendor == VENDOR_AMD ? "kvm_amd" : "kvm";
	char fix[256];

	if (pt__dev_exists(h->ctx, "kvm") == 0) {
		add(h, "kvm", PT_CHECK_OK, NULL, "%s/kvm is present",
		    h->ctx->dev_root);
		return;
	}
	if (h->cpuinfo_read && !h->virt_flag && h->vendor != VENDOR_UNKNOWN)
		snprintf(fix, sizeof(fix), "KVM needs %s first (see cpu_virt); "
			 "then modprobe %s", virt_name(h), mod);
	else
		snprintf(fix, sizeof(fix), "modprobe %s (and list it in "
			 "/etc/modules-load.d/ to load it at boot)", mod);
	add(h, "kvm", PT_CHECK_WARN, fix, "%s/kvm is missing, so KVM is not usable",
	    h->ctx->dev_root);
}

static void check_iommu(struct host *h)
{
	const char *kind = NULL, *table = NULL;
	char fix[512];

	if (h->dmar_units || h->dmar) {
		kind = "Intel VT-d (DMAR)";
		table = "DMAR";
	} else if (h->ivhd_units || h->ivrs) {
		kind = "AMD-Vi (IVRS)";
		table = "IVRS";
	} else if (h->viot) {
		kind = "virtio-iommu (VIOT)";
		table = "VIOT";
	}

	if (h->n_groups > 0) {
		char other[96] = "IOMMU";

		if (!kind && h->other_units)
			snprintf(other, sizeof(other), "IOMMU (%s)", h->other_unit);
		add(h, "iommu", PT_CHECK_OK, NULL, "%s active, %d IOMMU group%s",
		    kind ? kind : other, h->n_groups, h->n_groups == 1 ? "" : "s");
		return;
	}

	if (table && !strcmp(table, "DMAR")) {
		if (arg_has(h, "intel_iommu", "off") || arg_has(h, "iommu", "off"))
			snprintf(fix, sizeof(fix), "remove %s from the kernel "
				 "command line (GRUB_CMDLINE_LINUX in "
				 "/etc/default/grub), then run update-grub and reboot",
				 arg_has(h, "intel_iommu", "off") ?
				 "intel_iommu=off" : "iommu=off");
		else
			snprintf(fix, sizeof(fix), "add intel_iommu=on to the kernel "
				 "command line (e.g. GRUB_CMDLINE_LINUX in "
				 "/etc/default/grub), then run update-grub and reboot");
		add(h, "iommu", PT_CHECK_FAIL, fix,
		    "VT-d is enabled in firmware (ACPI DMAR table) but the kernel "
		    "did not enable it: no IOMMU groups");
		return;
	}
	if (table && !strcmp(table, "IVRS")) {
		if (arg_has(h, "amd_iommu", "off") || arg_has(h, "iommu", "off"))
			snprintf(fix, sizeof(fix), "remove %s from the kernel "
				 "command line (GRUB_CMDLINE_LINUX in "
				 "/etc/default/grub), then run update-grub and reboot",
				 arg_has(h, "amd_iommu", "off") ?
				 "amd_iommu=off" : "iommu=off");
		else
			snprintf(fix, sizeof(fix), "boot a kernel built with "
				 "CONFIG_AMD_IOMMU and look for AMD-Vi errors in "
				 "dmesg (a broken IVRS table needs a firmware update)");
		add(h, "iommu", PT_CHECK_FAIL, fix,
		    "AMD-Vi is enabled in firmware (ACPI IVRS table) but the kernel "
		    "did not enable it: no IOMMU groups");
		return;
	}
	if (table) {
		add(h, "iommu", PT_CHECK_FAIL,
		    "boot a kernel built with CONFIG_VIRTIO_IOMMU",
		    "the machine describes a virtio-iommu (ACPI VIOT table) but the "
		    "kernel did not enable it: no IOMMU groups");
		return;
	}
	snprintf(fix, sizeof(fix), "enable %s in the BIOS/UEFI setup%s",
		 h->vendor == VENDOR_INTEL ?
		 "VT-d (Intel Virtualization Technology for Directed I/O)" :
		 h->vendor == VENDOR_AMD ? "AMD-Vi (usually called IOMMU)" :
		 "the IOMMU",
		 h->hypervisor ? "; in a virtual machine, give it a virtual "
		 "IOMMU (QEMU: -device intel-iommu or -device virtio-iommu)" : "");
	add(h, "iommu", PT_CHECK_FAIL, fix,
	    "no IOMMU: no ACPI DMAR or IVRS table and no IOMMU groups, so no "
	    "device can be isolated for a guest");
}

/*
 * The IOMMU options of the kernel command line. What is missing is asked
 * for only where it matters: intel_iommu=on on Intel while no IOMMU group
 * exists (kernels built with CONFIG_INTEL_IOMMU_DEFAULT_ON need none),
 * iommu=pt (or iommu.passthrough=1) always, for host I/O performance.
 */
static void check_cmdline(struct host *h)
{
	enum pt_check_status st = PT_CHECK_OK;
	char msg[512] = "", add_opts[96] = "", rm_opts[96] = "", fix[512];
	bool pt = arg_has(h, "iommu", "pt") ||
		  arg_has(h, "iommu.passthrough", "1") ||
		  arg_has(h, "iommu.passthrough", "on") ||
		  arg_has(h, "iommu.passthrough", "y");
	static const struct {
		const char *key;
		enum vendor vendor;	/* VENDOR_UNKNOWN: any */
	} offs[] = {
		{ "intel_iommu", VENDOR_INTEL },
		{ "amd_iommu", VENDOR_AMD },
		{ "iommu", VENDOR_UNKNOWN },
	};
	size_t n = 0;

#define MSG(...)							\
	n += snprintf(msg + n, n < sizeof(msg) ? sizeof(msg) - n : 0,	\
		      __VA_ARGS__)
	if (!h->cmdline_read) {
		add(h, "cmdline", PT_CHECK_WARN,
		    "point the proc root at a mounted proc filesystem",
		    "cannot read %s/cmdline", h->ctx->proc_root);
		return;
	}
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		if (!arg_has(h, offs[i].key, "off") ||
		    (offs[i].vendor && h->vendor && offs[i].vendor != h->vendor))
			continue;
		st = PT_CHECK_FAIL;
		MSG("%s%s=off turns the IOMMU off", n ? "; " : "", offs[i].key);
		snprintf(rm_opts + strlen(rm_opts), sizeof(rm_opts) - strlen(rm_opts),
			 "%s%s=off", rm_opts[0] ? " " : "", offs[i].key);
	}
	if (h->vendor == VENDOR_INTEL && !h->n_groups &&
	    !arg_has(h, "intel_iommu", "on") && !arg_has(h, "intel_iommu", "off")) {
		if (st < PT_CHECK_WARN)
			st = PT_CHECK_WARN;
		MSG("%sintel_iommu=on is not set and the kernel did not turn VT-d "
		    "on by itself", n ? "; " : "");
		snprintf(add_opts, sizeof(add_opts), "intel_iommu=on");
	}
	if (!pt) {
		const char *opt = h->vendor == VENDOR_UNKNOWN ?
				  "iommu.passthrough=1" : "iommu=pt";

		if (st < PT_CHECK_WARN)
			st = PT_CHECK_WARN;
		MSG("%s%s is not set, so the host's own devices pay for IOMMU "
		    "DMA translation (slower host I/O; guests are not affected)",
		    n ? "; " : "", opt);
		snprintf(add_opts + strlen(add_opts),
			 sizeof(add_opts) - strlen(add_opts), "%s%s",
			 add_opts[0] ? " " : "", opt);
	}
	if (st == PT_CHECK_OK) {
		const char *on = arg_has(h, "intel_iommu", "on") ? "intel_iommu=on " : "";

		add(h, "cmdline", PT_CHECK_OK, NULL,
		    "the kernel command line has %s%s", on,
		    arg_has(h, "iommu", "pt") ? "iommu=pt" : "iommu.passthrough=1");
		return;
	}
	snprintf(fix, sizeof(fix), "%s%s%s%s%s%s the kernel command line "
		 "(GRUB_CMDLINE_LINUX in /etc/default/grub), then run update-grub "
		 "and reboot",
		 rm_opts[0] ? "remove " : "", rm_opts,
		 rm_opts[0] ? (add_opts[0] ? " from and " : " from") : "",
		 add_opts[0] ? "add " : "", add_opts, add_opts[0] ? " to" : "");
	add(h, "cmdline", st, fix, "%s", msg);
#undef MSG
}

static void check_interrupt_remapping(struct host *h)
{
	char *text = read_proc(h, "interrupts"), chip[32] = "";
	char fix[512];

	if (!text) {
		add(h, "interrupt_remapping", PT_CHECK_WARN,
		    "point the proc root at a mounted proc filesystem",
		    "cannot read %s/interrupts", h->ctx->proc_root);
		return;
	}
	/* remapped MSI domains: IR-PCI-MSI, IR-IO-APIC; Arm's GIC ITS isolates MSIs */
	for (const char *p = text; (p = strpbrk(p, "IT")); p++) {
		if ((p == text || isspace((unsigned char)p[-1])) &&
		    (!strncmp(p, "IR-", 3) || !strncmp(p, "ITS-", 4))) {
			size_t len = strcspn(p, " \t\n");

			snprintf(chip, sizeof(chip), "%.*s", (int)len, p);
			break;
		}
	}
	free(text);
	if (chip[0]) {
		add(h, "interrupt_remapping", PT_CHECK_OK, NULL,
		    "interrupts are remapped (%s)", chip);
		return;
	}
	if (arg_has(h, "intremap", "off")) {
		add(h, "interrupt_remapping", PT_CHECK_FAIL,
		    "remove intremap=off from the kernel command line "
		    "(GRUB_CMDLINE_LINUX in /etc/default/grub), then run update-grub "
		    "and reboot",
		    "interrupt remapping is turned off on the kernel command line "
		    "(intremap=off), so vfio refuses to assign devices");
		return;
	}
	if (!h->n_groups) {
		snprintf(fix, sizeof(fix), "enable %s first (see iommu); interrupt "
			 "remapping comes with it", iommu_name(h));
		add(h, "interrupt_remapping", PT_CHECK_FAIL, fix,
		    "no interrupt remapping: it is part of the IOMMU, which is not "
		    "active");
		return;
	}
	add(h, "interrupt_remapping", PT_CHECK_FAIL,
	    "enable interrupt remapping (often tied to x2APIC) in the BIOS/UEFI "
	    "setup; the insecure workaround is the vfio_iommu_type1 module "
	    "option allow_unsafe_interrupts=1, which lets a guest inject "
	    "interrupts into the host",
	    "the IOMMU is active but interrupts are not remapped (no IR- "
	    "interrupt chip in /proc/interrupts), so vfio refuses to assign "
	    "devices");
}

static void check_module(struct host *h, const char *name, const char *config,
			 const char *what, enum pt_check_status missing)
{
	char path[512], fix[512];
	bool nomodule = arg_flag(h, "nomodule");

	switch (module_state(h, name, path, sizeof(path))) {
	case MOD_LOADED:
		add(h, name, PT_CHECK_OK, NULL, "%s is loaded", name);
		return;
	case MOD_BUILTIN:
		add(h, name, PT_CHECK_OK, NULL, "%s is built into the kernel", name);
		return;
	case MOD_AVAILABLE:
		if (!nomodule) {
			add(h, name, PT_CHECK_OK, NULL,
			    "%s is available (%s), loaded on first bind", name, path);
			return;
		}
		add(h, name, missing,
		    "remove nomodule from the kernel command line "
		    "(GRUB_CMDLINE_LINUX in /etc/default/grub), then run update-grub "
		    "and reboot",
		    "%s is a module (%s) but module loading is off (nomodule on the "
		    "kernel command line)%s", name, path, what);
		return;
	case MOD_MISSING:
		break;
	}
	if (nomodule)
		snprintf(fix, sizeof(fix), "boot a kernel built with %s=y, or one "
			 "without nomodule on its command line and with its modules "
			 "installed", config);
	else
		snprintf(fix, sizeof(fix), "install the modules of the running "
			 "kernel (Debian: the linux-image package of $(uname -r)) or "
			 "boot a kernel built with %s", config);
	if (h->modules_dir)
		add(h, name, missing, fix, "%s is neither loaded nor built into the "
		    "kernel, and %s/modules.dep lists no such module%s", name,
		    h->ctx->modules_dir, what);
	else if (nomodule)
		add(h, name, missing, fix, "%s is neither loaded nor built into the "
		    "kernel, and module loading is off (nomodule on the kernel "
		    "command line)%s", name, what);
	else
		add(h, name, missing, fix, "%s is neither loaded nor built into the "
		    "kernel, and there is no module directory %s%s", name,
		    h->ctx->modules_dir, what);
}

static void check_sriov(struct host *h)
{
	char list[128] = "";
	size_t n = 0;
	int count = 0;
	struct pt_pci_dev *d;

	pt_pci_dev_foreach(h->ctx, d) {
		if (pt_pci_dev_get_sriov_totalvfs(d) <= 0)
			continue;
		if (count < 4)
			n += snprintf(list + n, n < sizeof(list) ? sizeof(list) - n : 0,
				      "%s%s", count ? ", " : "", pt_pci_dev_get_bdf(d));
		else if (count == 4)
			n += snprintf(list + n, n < sizeof(list) ? sizeof(list) - n : 0,
				      ", ...");
		count++;
	}
	if (count) {
		add(h, "sriov", PT_CHECK_OK, NULL,
		    "%d SR-IOV capable physical function%s (%s)", count,
		    count == 1 ? "" : "s", list);
		return;
	}
	add(h, "sriov", PT_CHECK_WARN,
	    "enable SR-IOV (often 'SR-IOV Support' under the PCI settings) in the "
	    "BIOS/UEFI setup, and in the adapter's own firmware where it has one",
	    "no SR-IOV capable device found; only virtual functions (NIC VFs, "
	    "per-VF vGPU) need one");
}

/* The physical device a function belongs to; a VF counts as its PF's. */
static void device_key(struct pt_pci_dev *d, char key[PT_BDF_LEN])
{
	struct pt_pci_dev *pf = pt_pci_dev_get_physfn(d);

	memcpy(key, pt_pci_dev_get_bdf(pf ? pf : d), PT_BDF_LEN);
	key[10] = '\0';		/* "DDDD:BB:DD" */
}

static void check_acs(struct host *h)
{
	char msg[768];
	size_t n = 0;
	int shared = 0, groups = 0;
	struct pt_iommu_group *g;

	pt_iommu_group_foreach(h->ctx, g) {
		char first[PT_BDF_LEN] = "", key[PT_BDF_LEN];
		int members = pt_iommu_group_get_num_members(g), ndev = 0;
		bool several = false;

		groups++;
		for (int i = 0; i < members; i++) {
			struct pt_pci_dev *d = pt_iommu_group_get_member(g, i);

			if (pt_pci_dev_is_bridge(d))
				continue;
			device_key(d, key);
			if (!first[0])
				memcpy(first, key, PT_BDF_LEN);
			else if (strcmp(first, key))
				several = true;
		}
		if (!several)
			continue;
		if (shared < 3) {
			n += snprintf(msg + n, n < sizeof(msg) ? sizeof(msg) - n : 0,
				      "%sgroup %d (", shared ? ", " : "",
				      pt_iommu_group_get_number(g));
			for (int i = 0; i < members; i++) {
				struct pt_pci_dev *d = pt_iommu_group_get_member(g, i);

				if (pt_pci_dev_is_bridge(d))
					continue;
				if (ndev++ == 6) {
					n += snprintf(msg + n, n < sizeof(msg) ?
						      sizeof(msg) - n : 0, ", ...");
					break;
				}
				n += snprintf(msg + n, n < sizeof(msg) ? sizeof(msg) - n : 0,
					      "%s%s", ndev > 1 ? ", " : "",
					      pt_pci_dev_get_bdf(d));
			}
			n += snprintf(msg + n, n < sizeof(msg) ? sizeof(msg) - n : 0, ")");
		} else if (shared == 3) {
			n += snprintf(msg + n, n < sizeof(msg) ? sizeof(msg) - n : 0,
				      ", ...");
		}
		shared++;
	}
	if (!groups) {
		add(h, "acs", PT_CHECK_OK, NULL,
		    "nothing to check: there are no IOMMU groups");
		return;
	}
	if (!shared) {
		add(h, "acs", PT_CHECK_OK, NULL,
		    "every IOMMU group holds functions of one device only (%d "
		    "group%s)", groups, groups == 1 ? "" : "s");
		return;
	}
#define ACS_FIX								\
	"move the card to a slot wired to the CPU, or enable ACS (Access "	\
	"Control Services) in the BIOS/UEFI setup; the pcie_acs_override "	\
	"kernel patch is out of tree and unsafe (the devices can still reach "	\
	"each other by DMA)"
	if (shared == 1)
		add(h, "acs", PT_CHECK_WARN, ACS_FIX, "IOMMU %s holds more than one "
		    "device; they only go to a guest together", msg);
	else
		add(h, "acs", PT_CHECK_WARN, ACS_FIX, "%d IOMMU groups hold more "
		    "than one device: %s; each goes to a guest only whole", shared,
		    msg);
#undef ACS_FIX
}

/* ---- context glue ------------------------------------------------------- */

void pt__check_free(struct pt_ctx *ctx)
{
	struct pt_check *c, *n;

	for (c = ctx->checks; c; c = n) {
		n = c->next;
		free(c->message);
		free(c->fix);
		free(c);
	}
	ctx->checks = NULL;
	ctx->checks_done = false;
}

/* ---- vGPU: NVIDIA's host driver and each GPU's vGPU state (issue 13) ---- */

static bool nvidia_gpu_on_host_driver(struct pt_pci_dev *d)
{
	const char *drv = pt_pci_dev_get_driver(d);

	return pt_pci_dev_get_vendor_id(d) == 0x10de && !pt_pci_dev_is_vf(d) &&
	       (pt_pci_dev_get_class(d) >> 16) == 0x03 && drv && !strcmp(drv, "nvidia");
}

/* MIG and heterogeneous facts NVML states of one GPU. */
static void check_vgpu_nvml(struct host *h, struct pt_pci_dev *d, struct pt__nvml *n,
			    pt__nvml_dev_t dev, const struct pt__vgpu_summary *sm)
{
	const char *bdf = pt_pci_dev_get_bdf(d);
	unsigned int ids[64];
	char fix[256];
	int cur = 0, pend = 0, r, cap, mode;

	r = pt__nvml_mig_mode(n, dev, &cur, &pend);
	if (r == -EOPNOTSUPP) {
		add(h, "vgpu-mig", PT_CHECK_OK, NULL, "%s: no MIG (NVML): time-sliced vGPU only",
		    bdf);
	} else if (r < 0) {
		snprintf(fix, sizeof(fix), "check the GPU with 'nvidia-smi -q -i %s'", bdf);
		add(h, "vgpu-mig", PT_CHECK_WARN, fix, "%s: NVML cannot read its MIG mode: %s",
		    bdf, strerror(-r));
	} else if (cur != pend) {
		snprintf(fix, sizeof(fix), "stop what uses the GPU and reset it ('nvidia-smi -r -i "
			 "%s'), or set the mode back ('nvidia-smi -i %s -mig %d')", bdf, bdf, cur);
		add(h, "vgpu-mig", PT_CHECK_WARN, fix, "%s: MIG-capable, MIG mode %s, %s pending "
		    "a GPU reset (NVML)", bdf, cur ? "on" : "off", pend ? "on" : "off");
	} else if (cur) {
		int gis = pt__nvml_gi_all(n, dev, ids, 64);

		add(h, "vgpu-mig", PT_CHECK_OK, NULL, "%s: MIG mode on (NVML): %d GPU instance%s, "
		    "%d MIG-backed vGPU%s running; no time-sliced vGPU while it is on", bdf,
		    gis < 0 ? 0 : gis, gis == 1 ? "" : "s", sm->running_mig,
		    sm->running_mig == 1 ? "" : "s");
	} else {
		add(h, "vgpu-mig", PT_CHECK_OK, NULL, "%s: MIG-capable, MIG mode off (NVML): a "
		    "group with a MIG-backed profile turns it on", bdf);
	}
	if (cur)
		return;		/* heterogeneous sizes are for time-sliced vGPU */
	cap = pt__nvml_hetero_capable(n, dev);
	mode = pt__nvml_hetero_mode(n, dev);
	if (cap > 0)
		add(h, "vgpu-heterogeneous", PT_CHECK_OK, NULL, "%s: supports heterogeneous "
		    "time-slice sizes (NVML capability \"Heterogeneous Time-Slice Sizes\"); "
		    "heterogeneous mode %s", bdf, mode == 1 ? "on" : mode == 0 ? "off" :
		    "unreadable");
	else
		add(h, "vgpu-heterogeneous", PT_CHECK_WARN, "for heterogeneous = yes, update the "
		    "host driver to NVIDIA vGPU 17.2 or later (GPUs without the capability never "
		    "mix sizes: keep heterogeneous = no on them)", "%s: NVML does not list the "
		    "\"Heterogeneous Time-Slice Sizes\" capability%s: one time-sliced size at a "
		    "time", bdf, cap < 0 ? " (it cannot be read)" : "");
}

static void check_vgpu_gpu(struct host *h, struct pt_pci_dev *d, bool manager,
			   struct pt__nvml *n)
{
	const char *bdf = pt_pci_dev_get_bdf(d);
	struct pt__vgpu_summary sm;
	pt__nvml_dev_t dev;
	char fix[256];

	pt__vgpu_summarize(d, &sm);
	if (!sm.iface) {
		if (pt_pci_dev_get_sriov_totalvfs(d) > 0 && pt_pci_dev_get_sriov_numvfs(d) == 0) {
			snprintf(fix, sizeof(fix), "run '/usr/lib/nvidia/sriov-manage -e %s' after "
				 "every boot; pt group apply does it for a vgpu group with mode = vf "
				 "(passthru.service at boot)", bdf);
			add(h, "vgpu-interface", PT_CHECK_WARN, fix, "%s: its SR-IOV virtual "
			    "functions are off, and the GPU shows its vGPU types on them", bdf);
		} else {
			add(h, "vgpu-interface", PT_CHECK_WARN, "install NVIDIA's vGPU host driver "
			    "(the vGPU manager) for this GPU and reboot", "%s: on the nvidia "
			    "driver, but it offers no vGPU types (no mdev_supported_types, no "
			    "per-VF nvidia/ directory)", bdf);
		}
		return;
	}
	if (strcmp(sm.iface, "per-VF VFIO") && !manager)
		add(h, "vgpu-interface", PT_CHECK_WARN, "modprobe nvidia_vgpu_vfio (the vGPU "
		    "manager of NVIDIA's vGPU host driver)", "%s: vGPU through %s, but "
		    "nvidia_vgpu_vfio is not loaded", bdf, sm.iface);
	else
		add(h, "vgpu-interface", PT_CHECK_OK, NULL, "%s: vGPU through %s%s", bdf,
		    sm.iface, strcmp(sm.iface, "per-VF VFIO") ? " (nvidia_vgpu_vfio loaded)" :
		    " (NVIDIA's vendor-specific VFIO framework)");
	if (n && pt__nvml_device(n, bdf, &dev) == 0) {
		check_vgpu_nvml(h, d, n, dev, &sm);
		return;
	}
	/* without NVML: what the driver's files show */
	if (sm.mig_now || sm.running_mig)
		add(h, "vgpu-mig", PT_CHECK_OK, NULL, "%s: MIG mode on: %d MIG-backed vGPU%s "
		    "run%s, MIG-backed types are %screatable; no time-sliced vGPU while it is "
		    "on (from sysfs)", bdf, sm.running_mig, sm.running_mig == 1 ? "" : "s",
		    sm.running_mig == 1 ? "s" : "", sm.mig_now ? "" : "no more ");
	else if (sm.mig_listed)
		add(h, "vgpu-mig", PT_CHECK_OK, NULL, "%s: MIG-capable, MIG mode off: its "
		    "MIG-backed types have no available instances (from sysfs)", bdf);
	else if (sm.ts_listed)
		add(h, "vgpu-mig", PT_CHECK_OK, NULL, "%s: offers time-sliced types only (MIG "
		    "mode off, or no MIG; from sysfs: 'nvidia-smi -i %s -q -d MIG' tells which)",
		    bdf, bdf);
	if (!strcmp(sm.iface, "per-VF VFIO") && !sm.mig_now && !sm.running_mig) {
		if (sm.placement)
			add(h, "vgpu-heterogeneous", PT_CHECK_OK, NULL, "%s: the driver places "
			    "time-sliced vGPUs (nvidia/placement_id), as heterogeneous "
			    "(mixed-size) vGPU needs (from sysfs)", bdf);
		else
			add(h, "vgpu-heterogeneous", PT_CHECK_WARN, "for heterogeneous = yes, "
			    "install NVIDIA vGPU 17.2 or later on a GPU whose NVML capabilities "
			    "list \"Heterogeneous Time-Slice Sizes\"", "%s: its VFs show no "
			    "nvidia/placement_id: no heterogeneous (mixed-size) time-sliced vGPU "
			    "(from sysfs)", bdf);
	}
}

static void check_vgpu(struct host *h)
{
	char ver[64] = "", path[256], why[320];
	struct pt__nvml *n;
	struct pt_pci_dev *d;
	bool any = false, manager;
	int fd;

	pt_pci_dev_foreach(h->ctx, d)
		any |= nvidia_gpu_on_host_driver(d);
	if (!any)
		return;		/* no NVIDIA GPU on its host driver: nothing to say */
	fd = pt__sysfs_open_dir(h->ctx, "module/nvidia");
	if (fd >= 0) {
		if (pt__sysfs_read(fd, "version", ver, sizeof(ver)) < 0)
			ver[0] = '\0';
		close(fd);
	}
	if (ver[0])
		add(h, "vgpu-driver", PT_CHECK_OK, NULL, "NVIDIA host driver %s", ver);
	else
		add(h, "vgpu-driver", PT_CHECK_WARN, "install NVIDIA's vGPU host driver "
		    "(the vGPU manager) and reboot", "NVIDIA GPUs are on the nvidia driver, "
		    "but /sys/module/nvidia/version states no version");
	manager = module_state(h, "nvidia_vgpu_vfio", path, sizeof(path)) == MOD_LOADED;
	if (pt__nvml_open(h->ctx, &n, why, sizeof(why)) == 0) {
		const char *lib = strrchr(pt_get_nvml_library(h->ctx), '/');

		add(h, "vgpu-nvml", PT_CHECK_OK, NULL, "NVML loaded (%s): MIG and heterogeneous "
		    "facts below are NVML's", lib ? lib + 1 : pt_get_nvml_library(h->ctx));
	} else {
		n = NULL;
		add(h, "vgpu-nvml", PT_CHECK_WARN, "install the NVIDIA vGPU host driver's NVML "
		    "(libnvidia-ml.so.1), or point -O nvml.library= at it; MIG-backed and "
		    "heterogeneous groups need it", "%s; MIG and heterogeneous facts below "
		    "come from sysfs", why);
	}
	pt_pci_dev_foreach(h->ctx, d)
		if (nvidia_gpu_on_host_driver(d))
			check_vgpu_gpu(h, d, manager, n);
}

int pt__check_run(struct pt_ctx *ctx)
{
	struct host h = { .ctx = ctx, .tail = &ctx->checks };

	if (ctx->checks_done)
		return 0;
	if (pt__ctx_register_free(ctx, pt__check_free) < 0)
		return -ENOMEM;
	pt__check_free(ctx);
	ctx->checks_done = true;

	read_cpuinfo(&h);
	read_cmdline(&h);
	read_iommu(&h);
	h.dep = read_modules_file(&h, "modules.dep");
	h.modules_dir = h.dep != NULL;
	h.builtin = read_modules_file(&h, "modules.builtin");

	check_cpu_virt(&h);
	check_kvm(&h);
	check_iommu(&h);
	check_cmdline(&h);
	check_interrupt_remapping(&h);
	check_module(&h, "vfio", "CONFIG_VFIO", "", PT_CHECK_FAIL);
	check_module(&h, "vfio_pci", "CONFIG_VFIO_PCI", "", PT_CHECK_FAIL);
	check_module(&h, "vfio_iommu_type1", "CONFIG_VFIO_IOMMU_TYPE1", "",
		     PT_CHECK_FAIL);
	check_module(&h, "mdev", "CONFIG_VFIO_MDEV",
		     "; only vGPU and other mediated devices need it",
		     PT_CHECK_WARN);
	check_sriov(&h);
	check_acs(&h);
	check_vgpu(&h);

	for (size_t i = 0; i < h.n_args; i++)
		free(h.args[i]);
	free(h.args);
	free(h.dep);
	free(h.builtin);
	if (h.r < 0) {
		err(ctx, "checking the host: %s\n", strerror(-h.r));
		pt__check_free(ctx);
		return h.r;
	}
	return 0;
}

PT_EXPORT struct pt_check *pt_check_get_first(struct pt_ctx *ctx)
{
	pt__check_run(ctx);
	return ctx->checks;
}

PT_EXPORT struct pt_check *pt_check_get_next(struct pt_check *c)
{
	return c->next;
}

PT_EXPORT const char *pt_check_get_id(struct pt_check *c)
{
	return c->id;
}

PT_EXPORT enum pt_check_status pt_check_get_status(struct pt_check *c)
{
	return c->status;
}

PT_EXPORT const char *pt_check_get_message(struct pt_check *c)
{
	return c->message;
}

PT_EXPORT const char *pt_check_get_fix(struct pt_check *c)
{
	return c->fix;
}

/* A check that could not run (out of memory) proves nothing: fail. */
PT_EXPORT enum pt_check_status pt_check_get_worst(struct pt_ctx *ctx)
{
	enum pt_check_status worst = PT_CHECK_OK;

	if (pt__check_run(ctx) < 0)
		return PT_CHECK_FAIL;
	for (struct pt_check *c = ctx->checks; c; c = c->next)
		if (c->status > worst)
			worst = c->status;
	return worst;
}
