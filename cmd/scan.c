// SPDX-License-Identifier: GPL-2.0-or-later
/* pt-scan: list passthrough candidates; --check: can this host pass through? */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pt.h"

#define CMD "scan"

enum {
	T_PCI = 1 << 0,
	T_GPU = 1 << 1,
	T_VGPU = 1 << 2,
	T_SRIOV = 1 << 3,
	T_USB = 1 << 4,
	T_ALL = T_PCI | T_GPU | T_VGPU | T_SRIOV | T_USB,
};

static const struct {
	const char *name;
	int bit;
} types[] = {
	{ .name = "pci", .bit = T_PCI }, { .name = "gpu", .bit = T_GPU },
	{ .name = "vgpu", .bit = T_VGPU }, { .name = "sriov", .bit = T_SRIOV },
	{ .name = "usb", .bit = T_USB },
};

static const struct option longopts[] = {
	{ "type", required_argument, NULL, 't' },
	{ "slot", required_argument, NULL, 's' },
	{ "device", required_argument, NULL, 'd' },
	{ "group", required_argument, NULL, 'g' },
	{ "check", no_argument, NULL, 'c' },
	PT_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pt scan [options]\n"
		"       pt scan --check [--json]\n"
		"\n"
		"List every passthrough candidate on the host: PCI functions with their\n"
		"IOMMU groups, SR-IOV PFs and VFs, vGPU (mdev and NVIDIA per-VF) types and\n"
		"USB devices. Host-critical devices are marked and never candidates.\n"
		"\n"
		"  -t, --type TYPE[,TYPE]  only pci, gpu, vgpu, sriov or usb devices\n"
		"  -s, --slot SPEC         PCI slot, lspci syntax [[[[<domain>]:]<bus>]:][<slot>][.[<func>]]\n"
		"  -d, --device ID         vendor:device, lspci syntax [<vendor>]:[<device>][:<class>]\n"
		"  -g, --group N           only the functions in IOMMU group N\n"
		"  -c, --check             check the host for passthrough (IOMMU, cmdline, vfio)\n"
		"  -j, --json              print one JSON document\n"
		"  -q, --quiet             no notes on stderr\n"
		"  -v, --verbose           log more (repeat for debug)\n"
		"  -O KEY=DIR              sysfs.root, proc.root, dev.root, conf.dir, modules.dir\n"
		"  -h, --help              show this help (the man page on a terminal)\n"
		"\n"
		"Exit status: 0 listed, 2 usage, 3 nothing matched, 4 passthrough impossible\n"
		"(--check), 1 failure. See pt-scan(8).\n");
}

struct scan_args {
	struct pt_opts o;
	int types;
	const char *slot;
	const char *id;
	int group;		/* -1: any */
	struct pt_pci_filter *filter;
	unsigned int usb_vendor, usb_product;
	bool usb_vendor_set, usb_product_set;
};

static int parse_types(const char *arg, int *mask)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	*mask = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (!strcmp(tok, types[i].name))
				break;
		if (i == sizeof(types) / sizeof(types[0])) {
			util_err(CMD, "-t %s: unknown device type; use pci, gpu, vgpu, "
			       "sriov or usb", tok);
			r = -EINVAL;
			break;
		}
		*mask |= types[i].bit;
	}
	free(copy);
	return r;
}

/* -d's vendor:product for USB: the same syntax lsusb takes. */
static void parse_usb_id(struct scan_args *a)
{
	char *end;
	const char *colon = strchr(a->id, ':');

	if (!colon)
		return;
	if (colon != a->id) {
		a->usb_vendor = strtoul(a->id, &end, 16);
		a->usb_vendor_set = end == colon;
	}
	if (colon[1]) {
		a->usb_product = strtoul(colon + 1, &end, 16);
		a->usb_product_set = *end == '\0';
	}
}

static bool is_gpu(struct pt_pci_dev *d)
{
	return (pt_pci_dev_get_class(d) >> 16) == 0x03;
}

/* vGPU-capable GPUs (mdev parents, PFs of per-VF vGPU) and their vGPU VFs */
static bool is_vgpu(struct pt_pci_dev *d)
{
	return pt_group_type_fits_pci_dev(PT_GROUP_VGPU, d) || pt_pci_dev_has_nvidia_vgpu(d);
}

static bool is_sriov(struct pt_pci_dev *d)
{
	return pt_pci_dev_get_sriov_totalvfs(d) > 0 || pt_pci_dev_is_vf(d);
}

static bool pci_selected(struct scan_args *a, struct pt_pci_dev *d)
{
	int t = a->types;

	if (!(t & T_PCI)) {
		if (!((t & T_GPU) && is_gpu(d)) && !((t & T_VGPU) && is_vgpu(d)) &&
		    !((t & T_SRIOV) && is_sriov(d)))
			return false;
	}
	if (a->filter && !pt_pci_filter_match(a->filter, d))
		return false;
	if (a->group >= 0 && pt_pci_dev_get_iommu_group(d) != a->group)
		return false;
	return true;
}

static bool usb_selected(struct scan_args *a, struct pt_usb_dev *u)
{
	if (!(a->types & T_USB) || a->slot || a->group >= 0)
		return false;
	if (a->id) {
		if (!a->usb_vendor_set && !a->usb_product_set)
			return false;	/* a class selector: PCI only */
		if (a->usb_vendor_set && pt_usb_dev_get_vendor_id(u) != a->usb_vendor)
			return false;
		if (a->usb_product_set && pt_usb_dev_get_product_id(u) != a->usb_product)
			return false;
	}
	return true;
}

static void notes(struct pt_pci_dev *d, char *buf, size_t len)
{
	const char *crit = pt_pci_dev_get_critical_reason(d);
	struct pt_pci_dev *pf = pt_pci_dev_get_physfn(d);
	size_t n = 0;

#define NOTE(...)							\
	do {								\
		if (n && n < len)					\
			n += snprintf(buf + n, len - n, ", ");		\
		if (n < len)						\
			n += snprintf(buf + n, len - n, __VA_ARGS__);	\
	} while (0)
	buf[0] = '\0';
	/* a critical reason names bridges and the boot VGA device itself */
	if (crit)
		NOTE("critical: %s", crit);
	else if (pt_pci_dev_is_bridge(d))
		NOTE("bridge");
	if (pt_pci_dev_is_boot_vga(d) && !crit)
		NOTE("boot-vga");
	if (pt_pci_dev_get_sriov_totalvfs(d) > 0)
		NOTE("sriov-pf %d/%d vfs", pt_pci_dev_get_sriov_numvfs(d),
		     pt_pci_dev_get_sriov_totalvfs(d));
	if (pf)
		NOTE("vf %d of %s", pt_pci_dev_get_vf_index(d), pt_pci_dev_get_bdf(pf));
	if (pt_pci_dev_get_mdev_parent(d))
		NOTE("mdev-parent");
	if (pt_pci_dev_has_nvidia_vgpu(d))
		NOTE("nvidia-vgpu");
	if (pt_pci_dev_get_driver_override(d))
		NOTE("override=%s", pt_pci_dev_get_driver_override(d));
#undef NOTE
}

static void fmt_int(char *buf, size_t len, int v, int none)
{
	if (v == none)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%d", v);
}

static void print_pci(struct scan_args *a, struct pt_ctx *ctx, int *shown)
{
	static const char *const hdr[] = { "SLOT", "CLASS", "VENDOR:DEVICE", "DRIVER",
					   "IOMMU", "NUMA", "NAME", "NOTES" };
	struct util_table *t = util_table_new(8, hdr);
	struct pt_pci_dev *d;

	pt_pci_dev_foreach(ctx, d) {
		char cls[8], ids[16], grp[16], numa[16], note[512];

		if (!pci_selected(a, d))
			continue;
		snprintf(cls, sizeof(cls), "%04x", pt_pci_dev_get_class(d) >> 8);
		snprintf(ids, sizeof(ids), "%04x:%04x", pt_pci_dev_get_vendor_id(d),
			 pt_pci_dev_get_device_id(d));
		fmt_int(grp, sizeof(grp), pt_pci_dev_get_iommu_group(d), PT_NO_IOMMU_GROUP);
		fmt_int(numa, sizeof(numa), pt_pci_dev_get_numa_node(d), PT_NO_NUMA_NODE);
		notes(d, note, sizeof(note));
		util_table_add(t, (const char *const[]){ pt_pci_dev_get_bdf(d), cls, ids,
			     pt_pci_dev_get_driver(d), grp, numa,
			     pt_pci_dev_get_display_name(d), note });
	}
	if (util_table_rows(t)) {
		printf("%sPCI devices:\n", (*shown)++ ? "\n" : "");
		util_table_print(t, stdout);
	}
	util_table_free(t);
}

static void print_sriov(struct scan_args *a, struct pt_ctx *ctx, int *shown)
{
	static const char *const hdr[] = { "PF", "NETDEV", "LINK", "VFS", "VF SLOTS" };
	struct util_table *t = util_table_new(5, hdr);
	struct pt_pci_dev *d;

	pt_pci_dev_foreach(ctx, d) {
		char vfs[32], nds[256] = "", links[128] = "", *slots = NULL;
		size_t sl = 0;
		struct pt_netdev *nd;
		FILE *m;

		if (pt_pci_dev_get_sriov_totalvfs(d) <= 0 || !pci_selected(a, d))
			continue;
		snprintf(vfs, sizeof(vfs), "%d/%d", pt_pci_dev_get_sriov_numvfs(d),
			 pt_pci_dev_get_sriov_totalvfs(d));
		pt_netdev_foreach(d, nd) {
			size_t n = strlen(nds), l = strlen(links);

			snprintf(nds + n, sizeof(nds) - n, "%s%s", n ? "," : "",
				 pt_netdev_get_name(nd));
			snprintf(links + l, sizeof(links) - l, "%s%s", l ? "," : "",
				 pt_netdev_get_operstate(nd) ? pt_netdev_get_operstate(nd) : "?");
		}
		m = open_memstream(&slots, &sl);
		if (!m)
			continue;
		for (int i = 0; i < pt_pci_dev_get_sriov_numvfs(d); i++) {
			struct pt_pci_dev *vf = pt_pci_dev_get_virtfn(d, i);

			if (vf)
				fprintf(m, "%s%s", i ? " " : "", pt_pci_dev_get_bdf(vf));
		}
		fclose(m);
		util_table_add(t, (const char *const[]){ pt_pci_dev_get_bdf(d), nds,
			     links, vfs, slots });
		free(slots);
	}
	if (util_table_rows(t)) {
		printf("%sSR-IOV physical functions:\n", (*shown)++ ? "\n" : "");
		util_table_print(t, stdout);
	}
	util_table_free(t);
}

static void print_vgpu(struct scan_args *a, struct pt_ctx *ctx, int *shown)
{
	static const char *const hdr[] = { "PARENT", "TYPE", "NAME", "AVAIL", "API",
					   "DESCRIPTION" };
	static const char *const nhdr[] = { "VF", "CURRENT", "CREATABLE" };
	static const char *const mhdr[] = { "UUID", "PARENT", "TYPE", "IOMMU" };
	struct util_table *t = util_table_new(6, hdr), *nt = util_table_new(3, nhdr);
	struct util_table *mt = util_table_new(4, mhdr);
	struct pt_mdev_parent *p;
	struct pt_pci_dev *d;

	pt_mdev_parent_foreach(ctx, p) {
		struct pt_pci_dev *pd = pt_mdev_parent_get_pci_dev(p);
		struct pt_mdev_type *ty;

		if (pd ? !pci_selected(a, pd) : (a->slot || a->id || a->group >= 0 ||
						 !(a->types & (T_VGPU | T_PCI))))
			continue;
		struct pt_mdev *m;

		pt_mdev_foreach(p, m) {
			char grp[16];

			fmt_int(grp, sizeof(grp), pt_mdev_get_iommu_group(m), PT_NO_IOMMU_GROUP);
			util_table_add(mt, (const char *const[]){ pt_mdev_get_uuid(m),
				     pt_mdev_parent_get_name(p), pt_mdev_get_type_id(m), grp });
		}
		pt_mdev_type_foreach(p, ty) {
			char avail[16];

			snprintf(avail, sizeof(avail), "%d", pt_mdev_type_get_available_instances(ty));
			util_table_add(t, (const char *const[]){ pt_mdev_parent_get_name(p),
				     pt_mdev_type_get_id(ty), pt_mdev_type_get_name(ty), avail,
				     pt_mdev_type_get_device_api(ty),
				     pt_mdev_type_get_description(ty) });
		}
	}
	pt_pci_dev_foreach(ctx, d) {
		char cur[16], list[1024] = "";
		struct pt_vgpu_type *vt;

		if (!pt_pci_dev_has_nvidia_vgpu(d) || !pci_selected(a, d))
			continue;
		fmt_int(cur, sizeof(cur), (int)pt_pci_dev_get_current_vgpu_type(d), 0);
		pt_vgpu_type_foreach(d, vt) {
			size_t n = strlen(list);

			snprintf(list + n, sizeof(list) - n, "%s%u (%s)", n ? ", " : "",
				 pt_vgpu_type_get_id(vt), pt_vgpu_type_get_name(vt));
		}
		util_table_add(nt, (const char *const[]){ pt_pci_dev_get_bdf(d), cur, list });
	}
	if (util_table_rows(t)) {
		printf("%sMediated device (mdev) types:\n", (*shown)++ ? "\n" : "");
		util_table_print(t, stdout);
	}
	if (util_table_rows(mt)) {
		printf("%sMediated devices:\n", (*shown)++ ? "\n" : "");
		util_table_print(mt, stdout);
	}
	if (util_table_rows(nt)) {
		printf("%sNVIDIA vGPU (per VF):\n", (*shown)++ ? "\n" : "");
		util_table_print(nt, stdout);
	}
	util_table_free(t);
	util_table_free(mt);
	util_table_free(nt);
}

/* ---- vGPU profiles per GPU (issue 13) ------------------------------------ */

struct prof_rows {
	struct util_table *t;
	struct pt_pci_dev *gpu;
	const char *iface;
	char seen[64][48];
	int n_seen;
};

static void prof_row(struct prof_rows *pr, struct pt_vgpu_profile *p)
{
	const char *name;
	char fb[16], series[2], slices[16], max[16], more[16];
	int n;

	if (!p)
		return;
	name = pt_vgpu_profile_get_name(p);
	for (int i = 0; i < pr->n_seen; i++)
		if (!strcmp(pr->seen[i], name))
			return;
	if (pr->n_seen < 64)
		snprintf(pr->seen[pr->n_seen++], sizeof(pr->seen[0]), "%s", name);
	snprintf(fb, sizeof(fb), "%d", pt_vgpu_profile_get_framebuffer_gb(p));
	series[0] = pt_vgpu_profile_get_series(p);
	series[1] = '\0';
	fmt_int(slices, sizeof(slices), pt_vgpu_profile_get_gpu_instance_slices(p), 0);
	fmt_int(max, sizeof(max), pt_vgpu_profile_get_max_instances(p), -1);
	n = pt_pci_dev_get_vgpu_capacity(pr->gpu, name);
	fmt_int(more, sizeof(more), n < 0 ? -1 : n, -1);
	util_table_add(pr->t, (const char *const[]){ pt_pci_dev_get_bdf(pr->gpu), name,
		     pt_vgpu_profile_is_mig(p) ? "MIG" : "time-sliced", fb, series, slices,
		     pt_vgpu_profile_get_media(p), max, more, pr->iface });
}

static void prof_rows_of(struct prof_rows *pr, struct pt_pci_dev *f)
{
	struct pt_mdev_parent *mp = pt_pci_dev_get_mdev_parent(f);
	struct pt_mdev_type *mt;
	struct pt_vgpu_type *vt;

	if (mp) {
		pr->iface = f == pr->gpu ? "mdev" : "mdev on VFs";
		pt_mdev_type_foreach(mp, mt)
			prof_row(pr, pt_mdev_type_get_profile(mt));
	}
	if (pt_pci_dev_has_nvidia_vgpu(f)) {
		pr->iface = "per-VF VFIO";
		pt_vgpu_type_foreach(f, vt)
			prof_row(pr, pt_vgpu_type_get_profile(vt));
	}
}

/*
 * Each NVIDIA profile a GPU offers, understood: MIG-backed or time-sliced,
 * framebuffer, series, slices, media, the most per GPU where the driver
 * states it, and how many more it takes now.
 */
static void print_vgpu_profiles(struct scan_args *a, struct pt_ctx *ctx, int *shown)
{
	static const char *const hdr[] = { "GPU", "PROFILE", "KIND", "FB_GB", "SERIES",
					   "SLICES", "MEDIA", "MAX", "MORE", "INTERFACE" };
	struct prof_rows pr = { .t = util_table_new(10, hdr) };
	struct pt_pci_dev *d;

	pt_pci_dev_foreach(ctx, d) {
		if (pt_pci_dev_is_vf(d) || !pci_selected(a, d))
			continue;
		pr.gpu = d;
		pr.n_seen = 0;
		prof_rows_of(&pr, d);
		for (int i = 0; i < pt_pci_dev_get_sriov_numvfs(d); i++) {
			struct pt_pci_dev *vf = pt_pci_dev_get_virtfn(d, i);

			if (vf)
				prof_rows_of(&pr, vf);
		}
	}
	if (util_table_rows(pr.t)) {
		printf("%sNVIDIA vGPU profiles (per GPU):\n", (*shown)++ ? "\n" : "");
		util_table_print(pr.t, stdout);
	}
	util_table_free(pr.t);
}

static void print_usb(struct scan_args *a, struct pt_ctx *ctx, int *shown)
{
	static const char *const hdr[] = { "BUS-PORT", "ID", "DEVNUM", "SPEED", "USB",
					   "CLASS", "SERIAL", "DRIVERS", "NAME" };
	struct util_table *t = util_table_new(9, hdr);
	struct pt_usb_dev *u;

	pt_usb_dev_foreach(ctx, u) {
		char id[16], dn[16], speed[16], cls[8], drv[256] = "";

		if (!usb_selected(a, u))
			continue;
		snprintf(id, sizeof(id), "%04x:%04x", pt_usb_dev_get_vendor_id(u),
			 pt_usb_dev_get_product_id(u));
		snprintf(dn, sizeof(dn), "%d", pt_usb_dev_get_devnum(u));
		snprintf(speed, sizeof(speed), "%g", pt_usb_dev_get_speed(u));
		snprintf(cls, sizeof(cls), "%02x", pt_usb_dev_get_class(u));
		for (int i = 0; i < pt_usb_dev_get_num_interfaces(u); i++) {
			const char *dv = pt_usb_dev_get_interface_driver(u, i);
			size_t n = strlen(drv);

			if (dv && !strstr(drv, dv))
				snprintf(drv + n, sizeof(drv) - n, "%s%s", n ? "," : "", dv);
		}
		util_table_add(t, (const char *const[]){ pt_usb_dev_get_name(u), id, dn,
			     pt_usb_dev_get_speed(u) > 0 ? speed : NULL,
			     pt_usb_dev_get_usb_version(u), cls, pt_usb_dev_get_serial(u),
			     drv, pt_usb_dev_get_display_name(u) });
	}
	if (util_table_rows(t)) {
		printf("%sUSB devices:\n", (*shown)++ ? "\n" : "");
		util_table_print(t, stdout);
	}
	util_table_free(t);
}

static bool group_selected(struct scan_args *a, struct pt_iommu_group *g)
{
	for (int i = 0; i < pt_iommu_group_get_num_members(g); i++)
		if (pci_selected(a, pt_iommu_group_get_member(g, i)))
			return true;
	return false;
}

static void print_groups(struct scan_args *a, struct pt_ctx *ctx, int *shown)
{
	static const char *const hdr[] = { "GROUP", "VIABLE", "MEMBERS", "BLOCKED BY" };
	struct util_table *t = util_table_new(4, hdr);
	struct pt_iommu_group *g;

	pt_iommu_group_foreach(ctx, g) {
		char num[16], *mem = NULL, *blk = NULL;
		size_t ml = 0, bl = 0;
		FILE *m, *b;

		if (!group_selected(a, g))
			continue;
		snprintf(num, sizeof(num), "%d", pt_iommu_group_get_number(g));
		m = open_memstream(&mem, &ml);
		b = open_memstream(&blk, &bl);
		if (!m || !b)
			abort();
		for (int i = 0; i < pt_iommu_group_get_num_members(g); i++) {
			struct pt_pci_dev *d = pt_iommu_group_get_member(g, i);

			fprintf(m, "%s%s%s", i ? " " : "", pt_pci_dev_get_bdf(d),
				pt_pci_dev_is_bridge(d) ? "(bridge)" : "");
		}
		for (int i = 0; i < pt_iommu_group_get_num_blockers(g); i++) {
			struct pt_pci_dev *d = pt_iommu_group_get_blocker(g, i);

			fprintf(b, "%s%s (%s)", i ? ", " : "", pt_pci_dev_get_bdf(d),
				pt_pci_dev_get_driver(d));
		}
		fclose(m);
		fclose(b);
		util_table_add(t, (const char *const[]){ num,
			     pt_iommu_group_is_viable(g) ? "yes" : "no", mem, blk });
		free(mem);
		free(blk);
	}
	if (util_table_rows(t)) {
		printf("%sIOMMU groups:\n", (*shown)++ ? "\n" : "");
		util_table_print(t, stdout);
	}
	util_table_free(t);
}

static int scan_json(struct scan_args *a, struct pt_ctx *ctx)
{
	struct json_stream js;
	struct pt_mdev_parent *p;
	struct pt_iommu_group *g;
	struct pt_pci_dev *d;
	struct pt_usb_dev *u;

	/*
	 * One write(2) per 64 KiB, not per 8 KiB: glibc takes the size only
	 * with a buffer (given NULL it allocates BUFSIZ). Static: stdout is
	 * flushed at exit.
	 */
	static char outbuf[1 << 16];

	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	json_stream_begin(&js);
	json_stream_array(&js, "pci");
	pt_pci_dev_foreach(ctx, d)
		if (pci_selected(a, d))
			json_pci_dev(&js, d);
	json_stream_array_end(&js);
	json_stream_array(&js, "mdev_parents");
	pt_mdev_parent_foreach(ctx, p) {
		struct pt_pci_dev *pd = pt_mdev_parent_get_pci_dev(p);

		if (pd ? pci_selected(a, pd) : !(a->slot || a->id || a->group >= 0) &&
		    (a->types & (T_VGPU | T_PCI)))
			json_stream_item(&js, json_mdev_parent(p));
	}
	json_stream_array_end(&js);
	json_stream_array(&js, "usb");
	pt_usb_dev_foreach(ctx, u)
		if (usb_selected(a, u))
			json_stream_item(&js, json_usb_dev(u));
	json_stream_array_end(&js);
	json_stream_array(&js, "iommu_groups");
	pt_iommu_group_foreach(ctx, g)
		if (group_selected(a, g))
			json_iommu_group(&js, g);
	json_stream_array_end(&js);
	json_stream_end(&js);
	return js.total;
}

static int scan_text(struct scan_args *a, struct pt_ctx *ctx)
{
	int shown = 0;

	print_pci(a, ctx, &shown);
	print_sriov(a, ctx, &shown);
	print_vgpu(a, ctx, &shown);
	print_vgpu_profiles(a, ctx, &shown);
	print_usb(a, ctx, &shown);
	print_groups(a, ctx, &shown);
	return shown;
}

static int check(struct scan_args *a, struct pt_ctx *ctx)
{
	static const char *const names[] = {
		[PT_CHECK_OK] = "ok", [PT_CHECK_WARN] = "warn", [PT_CHECK_FAIL] = "FAIL",
	};
	enum pt_check_status worst = pt_check_get_worst(ctx);
	struct pt_check *c;

	if (a->o.json) {
		struct json_object *doc = json_object_new_object();
		struct json_object *arr = json_object_new_array();

		pt_check_foreach(ctx, c)
			json_object_array_add(arr, json_check(c));
		json_object_object_add(doc, "checks", arr);
		json_object_object_add(doc, "passthrough_possible",
				       json_object_new_boolean(worst != PT_CHECK_FAIL));
		util_json_print(doc);
		json_object_put(doc);
	} else {
		pt_check_foreach(ctx, c) {
			printf("%-4s  %-22s %s\n", names[pt_check_get_status(c)],
			       pt_check_get_id(c), pt_check_get_message(c));
			if (pt_check_get_fix(c))
				printf("      %-22s fix: %s\n", "", pt_check_get_fix(c));
		}
		printf("\npassthrough: %s\n", worst == PT_CHECK_FAIL ? "not possible on this host" :
		       worst == PT_CHECK_WARN ? "possible, with warnings" : "possible");
	}
	return worst == PT_CHECK_FAIL ? PT_EXIT_UNSUPPORTED : PT_EXIT_OK;
}

/* The listing is out, but it leaves out what the lines before it name. */
static int incomplete(int problems)
{
	util_err(CMD, "the PCI scan is incomplete (%d problem%s above): the listing "
	       "leaves out what could not be read; fix or remove the files named, "
	       "or rerun once devices have settled", problems,
	       problems == 1 ? "" : "s");
	return PT_EXIT_FAILURE;
}

int cmd_scan(int argc, char **argv, struct pt_ctx *ctx)
{
	struct scan_args a = { .types = T_ALL, .group = -1 };
	bool do_check = false;
	int c, r, n, problems;

	optind = 1;
	while ((c = getopt_long(argc, argv, "t:s:d:g:c" PT_COMMON_SHORTOPTS,
				longopts, NULL)) != -1) {
		r = util_common_opt(c, optarg, &a.o, ctx, longopts, CMD, usage);
		if (r < 0)
			return PT_OPT_EXIT_STATUS(r);
		if (r)
			continue;
		switch (c) {
		case 't':
			if (parse_types(optarg, &a.types) < 0)
				return PT_EXIT_USAGE;
			break;
		case 's':
			a.slot = optarg;
			break;
		case 'd':
			a.id = optarg;
			break;
		case 'g': {
			char *end;
			long g = strtol(optarg, &end, 10);

			if (*end || end == optarg || g < 0 || g > 1000000) {
				util_err(CMD, "--group %s: not an IOMMU group number; give "
				       "a number as in /sys/kernel/iommu_groups", optarg);
				return PT_EXIT_USAGE;
			}
			a.group = (int)g;
			break;
		}
		case 'c':
			do_check = true;
			break;
		default:
			usage(stderr);
			return PT_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		util_err(CMD, "unexpected argument '%s'; see 'pt scan --help'", argv[optind]);
		return PT_EXIT_USAGE;
	}
	/*
	 * Scan first: a root that is no directory is a usage error, a scan
	 * that failed exits 1 naming the path, and what a partial scan could
	 * not read is said before the listing (see pt-scan(8), EXIT STATUS).
	 */
	r = pt_pci_scan(ctx);
	if (r == -ENOENT || r == -ENOTDIR) {
		util_err(CMD, "sysfs root %s: %s; give the root of a sysfs tree with "
		       "-O sysfs.root=DIR (default /sys)", pt_get_sysfs_root(ctx),
		       strerror(-r));
		return PT_EXIT_USAGE;
	}
	problems = pt_pci_get_num_problems(ctx);
	for (int i = 0; i < problems; i++)
		util_err(CMD, "%s", pt_pci_get_problem(ctx, i));
	if (r < 0)
		return PT_EXIT_FAILURE;
	if (do_check) {
		r = check(&a, ctx);
		return problems && r == PT_EXIT_OK ? incomplete(problems) : r;
	}

	if (a.slot || a.id) {
		const char *why;

		r = pt_pci_filter_new(ctx, a.slot, a.id, &a.filter, &why);
		if (r == -EINVAL) {
			util_err(CMD, "%s %s: %s; see lspci(8) for the syntax",
			       a.slot ? "-s/-d" : "-d", a.slot ? a.slot : a.id, why);
			return PT_EXIT_USAGE;
		}
		if (a.id)
			parse_usb_id(&a);
	}
	n = a.o.json ? scan_json(&a, ctx) : scan_text(&a, ctx);
	pt_pci_filter_free(a.filter);
	if (problems)
		return incomplete(problems);
	if (!n) {
		if (!a.o.quiet)
			util_err(CMD, "no devices matched%s",
			       (a.types != T_ALL || a.slot || a.id || a.group >= 0) ?
			       " the filters" : " under the sysfs root");
		return PT_EXIT_NOMATCH;
	}
	return PT_EXIT_OK;
}
