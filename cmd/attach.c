// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pt-attach: a VM's device requests (add, remove, list, show) and its
 * devices at run time (start, stop, gc, check), printed for QEMU, libvirt
 * or as JSON.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pt.h"

#define CMD "attach"

#define OPT_COUNT	0x190
#define OPT_NAME	0x191
#define OPT_PID		0x192
#define OPT_FORMAT	0x193
#define OPT_LIST_VMS	0x194
#define OPT_TENANT	0x195

/* first guest slot for multifunction devices (below it: QEMU's own) */
#define GUEST_SLOT_BASE	0x10

static const struct option longopts[] = {
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "tenant", required_argument, NULL, OPT_TENANT },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "list-vms", no_argument, NULL, OPT_LIST_VMS },
	{ "list-groups", no_argument, NULL, PT_OPT_LIST_GROUPS },
	PT_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pt attach add VM GROUP [--count N] [--name NAME] [-n]\n"
		"       pt attach remove VM NAME [-n]\n"
		"       pt attach list [VM] [--json]\n"
		"       pt attach show VM [--format qemu|libvirt|json] [--json]\n"
		"       pt attach start VM [--pid PID] [--format qemu|libvirt|json] [-n]\n"
		"       pt attach stop VM [-n]\n"
		"       pt attach gc [-n]\n"
		"       pt attach check VM [--json]\n"
		"       pt attach --tenant TENANT VERB ...\n"
		"\n"
		"A VM requests devices from resource groups (vms.d/VM.ini); start leases\n"
		"free devices to it, prepares them (mdev instances) and prints what QEMU or\n"
		"libvirt needs; stop gives them back; gc frees the leases of VMs whose\n"
		"process is gone; check says whether the VM could start now.\n"
		"With --tenant (for a tenant's admin who is not root: the tenant of its\n"
		"Unix group), the verbs act on the tenant's own VMs (tenants.d/TENANT.d),\n"
		"which draw from the tenant's groups only; start then changes nothing on\n"
		"the host (the grant prepared the devices) and needs no root.\n"
		"\n"
		"      --count N      add: how many devices of the group (default 1)\n"
		"      --name NAME    add: the request's name (default: the group's)\n"
		"      --pid PID      start: the QEMU process; gc frees the lease once it is gone\n"
		"      --format FMT   start, show: qemu (arguments), libvirt (device XML) or json\n"
		"      --tenant NAME  act on the VMs of tenant NAME (default for a tenant's admin)\n"
		"  -n, --dry-run      print the change (vms.d diff, or the allocation), change nothing\n"
		"  -j, --json         print JSON (list, show, start, stop, gc, check)\n"
		"  -q, --quiet        no notes on stderr\n"
		"  -v, --verbose      say what was done\n"
		"  -O KEY=DIR         conf.dir, run.dir, sysfs.root, proc.root, dev.root, modules.dir\n"
		"  -h, --help         show this help (the man page on a terminal)\n"
		"      --list-vms     print the VM names, one a line (for completions)\n"
		"      --list-groups  print the group names, one a line (for completions)\n"
		"\n"
		"Exit status: 0 ok, 1 failure, 2 usage, 3 no VMs, 5 invalid state files,\n"
		"6 refused (devices busy, group not applied, VM started already), 7 permission\n"
		"denied, 8 no such VM, group or lease. See pt-attach(8).\n");
}

enum fmt { F_TEXT, F_QEMU, F_LIBVIRT, F_JSON };

struct args {
	struct pt_opts o;
	int count;
	const char *name;
	int pid;
	bool pid_set;
	enum fmt format;
	bool format_set;
	bool list_vms;
	const char *tenant;
};

static int attach_opt(int c, const char *arg, void *data)
{
	struct args *a = data;
	char *end;
	long v;

	switch (c) {
	case OPT_COUNT:
		return util_parse_count(CMD, arg, &a->count);
	case OPT_NAME:
		a->name = arg;
		return 0;
	case OPT_PID:
		v = strtol(arg, &end, 10);
		if (*end || end == arg || v < 1 || v > INT_MAX) {
			util_err(CMD, "--pid %s: give the QEMU process id", arg);
			return -1;
		}
		a->pid = (int)v;
		a->pid_set = true;
		return 0;
	case OPT_FORMAT:
		a->format_set = true;
		if (!strcmp(arg, "qemu"))
			a->format = F_QEMU;
		else if (!strcmp(arg, "libvirt"))
			a->format = F_LIBVIRT;
		else if (!strcmp(arg, "json"))
			a->format = F_JSON;
		else {
			util_err(CMD, "--format %s: use qemu, libvirt or json", arg);
			return -1;
		}
		return 0;
	case OPT_LIST_VMS:
		a->list_vms = true;
		return 0;
	case OPT_TENANT:
		a->tenant = arg;
		return 0;
	}
	return -1;
}

/* The errno of a refused or failed operation as an exit status (pt(8)). */
static int attach_exit(struct pt_ctx *ctx, int r)
{
	switch (-r) {
	case EINVAL:
		/* invalid state files, or a bad name on the command line */
		return pt_vm_load(ctx, NULL) < 0 || pt_conf_load(ctx) < 0 ||
		       pt_tenant_load(ctx, NULL) < 0 ? PT_EXIT_CONFIG : PT_EXIT_USAGE;
	case EPERM:
		/* refused for safety: a link or FIFO where a tenant's file belongs */
		return PT_EXIT_REFUSED;
	case EOPNOTSUPP:
		return PT_EXIT_UNSUPPORTED;
	default:
		return util_exit_from_errno(r, UTIL_PLAN);
	}
}

static int load_vms(struct pt_ctx *ctx)
{
	const char *e;
	int r = pt_vm_load(ctx, &e);

	if (r < 0) {
		fprintf(stderr, "passthru: %s\n", e ? e : strerror(-r));
		return r == -ENOMEM ? PT_EXIT_FAILURE : r == -EACCES ? PT_EXIT_PERM :
		       r == -EPERM ? PT_EXIT_REFUSED : r == -ENOENT ? PT_EXIT_NOTFOUND :
		       PT_EXIT_CONFIG;
	}
	r = pt_conf_load(ctx);
	return r < 0 ? util_conf_fail(ctx, r) : 0;
}

/* What root's gc and a tenant's commands left alone in tenants' directories. */
static void print_warnings(const struct args *a, struct pt_attach *at)
{
	for (int i = 0; !a->o.quiet && i < pt_attach_get_num_warnings(at); i++)
		util_err(CMD, "%s", pt_attach_get_warning(at, i));
}

static void print_notes(const struct args *a, struct pt_attach *at)
{
	for (int i = 0; !a->o.quiet && i < pt_attach_get_num_notes(at); i++)
		if (a->o.verbose || a->o.dry_run)
			util_err(CMD, "%s", pt_attach_get_note(at, i));
}

/* ---- outputs ------------------------------------------------------------------ */

struct strv {
	char **v;
	int n;
};

static void strv_add(struct strv *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void strv_add(struct strv *s, const char *fmt, ...)
{
	va_list ap;
	char *x, **n;

	va_start(ap, fmt);
	if (vasprintf(&x, fmt, ap) < 0)
		x = NULL;
	va_end(ap);
	n = x ? realloc(s->v, (s->n + 1) * sizeof(*n)) : NULL;
	if (!n) {
		free(x);
		return;
	}
	s->v = n;
	s->v[s->n++] = x;
}

static void strv_free(struct strv *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

/* Do all functions of a unit sit in one slot (DDDD:BB:DD)? */
static bool one_slot(struct pt_lease_dev *d)
{
	int n = pt_lease_dev_get_num_functions(d);

	if (n < 2)
		return false;
	for (int i = 1; i < n; i++)
		if (strncmp(pt_lease_dev_get_function(d, 0), pt_lease_dev_get_function(d, i), 10))
			return false;
	return true;
}

static const char *on_off(bool b)
{
	return b ? "on" : "off";
}

/* QEMU arguments, in pairs "-device" "vfio-pci,...". */
static void qemu_args(struct pt_lease *l, struct strv *out)
{
	int slot = GUEST_SLOT_BASE;
	bool usb = false, mdev = false;

	for (int i = 0; i < pt_lease_get_num_devices(l); i++)
		mdev |= pt_lease_dev_get_mdev_uuid(pt_lease_get_device(l, i)) != NULL;
	if (mdev) {
		strv_add(out, "-uuid");
		strv_add(out, "%s", pt_lease_get_uuid(l));
	}
	/* whole slots first, at fixed guest addresses; then the rest */
	for (int i = 0; i < pt_lease_get_num_devices(l); i++) {
		struct pt_lease_dev *d = pt_lease_get_device(l, i);

		if (!one_slot(d))
			continue;
		for (int k = 0; k < pt_lease_dev_get_num_functions(d); k++) {
			const char *bdf = pt_lease_dev_get_function(d, k);

			strv_add(out, "-device");
			strv_add(out, "vfio-pci,host=%s,id=%s%s%d,addr=0x%x.%c%s", bdf,
				 pt_lease_dev_get_name(d), "-f", k, slot, bdf[11],
				 k == 0 ? ",multifunction=on" : "");
		}
		slot++;
	}
	for (int i = 0; i < pt_lease_get_num_devices(l); i++) {
		struct pt_lease_dev *d = pt_lease_get_device(l, i);

		if (one_slot(d))
			continue;
		if (pt_lease_dev_get_mdev_uuid(d)) {
			strv_add(out, "-device");
			strv_add(out, "vfio-pci,sysfsdev=/sys/bus/mdev/devices/%s,id=%s",
				 pt_lease_dev_get_mdev_uuid(d), pt_lease_dev_get_name(d));
			continue;
		}
		if (pt_lease_dev_get_type(d) == PT_GROUP_USB) {
			if (!usb) {
				strv_add(out, "-device");
				strv_add(out, "qemu-xhci,id=pt-xhci");
				usb = true;
			}
			strv_add(out, "-device");
			strv_add(out, "usb-host,bus=pt-xhci.0,hostbus=%d,hostport=%s,vendorid=0x%04x,"
				 "productid=0x%04x,guest-reset=%s,guest-resets-all=%s,id=%s",
				 pt_lease_dev_get_usb_busnum(d), pt_lease_dev_get_usb_port_path(d),
				 pt_lease_dev_get_usb_vendor_id(d), pt_lease_dev_get_usb_product_id(d),
				 on_off(pt_lease_dev_get_guest_reset(d)),
				 on_off(pt_lease_dev_get_guest_resets_all(d)),
				 pt_lease_dev_get_name(d));
			continue;
		}
		for (int k = 0; k < pt_lease_dev_get_num_functions(d); k++) {
			strv_add(out, "-device");
			if (pt_lease_dev_get_num_functions(d) > 1)
				strv_add(out, "vfio-pci,host=%s,id=%s-f%d",
					 pt_lease_dev_get_function(d, k), pt_lease_dev_get_name(d), k);
			else
				strv_add(out, "vfio-pci,host=%s,id=%s",
					 pt_lease_dev_get_function(d, k), pt_lease_dev_get_name(d));
		}
	}
}

static void xml_pci_address(char **b, const char *type, const char *bdf)
{
	char *n;

	/* "DDDD:BB:DD.F" */
	if (asprintf(&n, "%s<address%s domain='0x%.4s' bus='0x%.2s' slot='0x%.2s' function='0x%c'/>",
		     *b, type, bdf, bdf + 5, bdf + 8, bdf[11]) >= 0) {
		free(*b);
		*b = n;
	}
}

static void xml_add(char **b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void xml_add(char **b, const char *fmt, ...)
{
	va_list ap;
	char *x, *n;

	va_start(ap, fmt);
	if (vasprintf(&x, fmt, ap) < 0)
		x = NULL;
	va_end(ap);
	if (!x)
		return;
	if (asprintf(&n, "%s%s", *b, x) >= 0) {
		free(*b);
		*b = n;
	}
	free(x);
}

/* libvirt device XML: what goes inside <devices>. */
static char *libvirt_xml(struct pt_lease *l)
{
	char *b = strdup("");
	int slot = GUEST_SLOT_BASE;

	for (int i = 0; b && i < pt_lease_get_num_devices(l); i++) {
		struct pt_lease_dev *d = pt_lease_get_device(l, i);
		bool whole = one_slot(d);

		if (pt_lease_dev_get_mdev_uuid(d)) {
			xml_add(&b, "<hostdev mode='subsystem' type='mdev' model='vfio-pci'>\n"
				"  <source>\n    <address uuid='%s'/>\n  </source>\n</hostdev>\n",
				pt_lease_dev_get_mdev_uuid(d));
			continue;
		}
		if (pt_lease_dev_get_type(d) == PT_GROUP_USB) {
			bool reset = pt_lease_dev_get_guest_reset(d);
			bool all = pt_lease_dev_get_guest_resets_all(d);

			xml_add(&b, "<hostdev mode='subsystem' type='usb' managed='no'>\n"
				"  <source guestReset='%s'>\n    <vendor id='0x%04x'/>\n"
				"    <product id='0x%04x'/>\n  </source>\n</hostdev>\n",
				!reset ? "off" : all ? "on" : "uninitialized",
				pt_lease_dev_get_usb_vendor_id(d), pt_lease_dev_get_usb_product_id(d));
			continue;
		}
		if (pt_lease_dev_get_type(d) == PT_GROUP_SRIOV_NIC) {
			xml_add(&b, "<interface type='hostdev' managed='no'>\n");
			if (pt_lease_dev_get_mac(d))
				xml_add(&b, "  <mac address='%s'/>\n", pt_lease_dev_get_mac(d));
			xml_add(&b, "  <source>\n    ");
			xml_pci_address(&b, " type='pci'", pt_lease_dev_get_function(d, 0));
			xml_add(&b, "\n  </source>\n</interface>\n");
			continue;
		}
		for (int k = 0; k < pt_lease_dev_get_num_functions(d); k++) {
			const char *bdf = pt_lease_dev_get_function(d, k);

			xml_add(&b, "<hostdev mode='subsystem' type='pci' managed='no'>\n"
				"  <source>\n    ");
			xml_pci_address(&b, "", bdf);
			xml_add(&b, "\n  </source>\n");
			if (whole)
				xml_add(&b, "  <address type='pci' domain='0x0000' bus='0x00' "
					"slot='0x%02x' function='0x%c'%s/>\n", slot, bdf[11],
					k == 0 ? " multifunction='on'" : "");
			xml_add(&b, "</hostdev>\n");
		}
		if (whole)
			slot++;
	}
	return b;
}

static struct json_object *lease_json(struct pt_lease *l)
{
	struct json_object *q = json_object_new_array();
	struct strv s = { 0 };
	char *x = libvirt_xml(l);
	struct json_object *o;

	qemu_args(l, &s);
	for (int i = 0; i < s.n; i++)
		json_object_array_add(q, json_object_new_string(s.v[i]));
	o = json_lease(l, q, x);
	strv_free(&s);
	free(x);
	return o;
}

static void dev_host(struct pt_lease_dev *d, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	if (pt_lease_dev_get_mdev_uuid(d)) {
		snprintf(buf, len, "%s on %s", pt_lease_dev_get_mdev_uuid(d),
			 pt_lease_dev_get_mdev_parent(d));
		return;
	}
	if (pt_lease_dev_get_type(d) == PT_GROUP_USB) {
		snprintf(buf, len, "%s (bus %d port %s)", pt_lease_dev_get_usb_name(d),
			 pt_lease_dev_get_usb_busnum(d), pt_lease_dev_get_usb_port_path(d));
		return;
	}
	for (int k = 0; k < pt_lease_dev_get_num_functions(d) && off < len; k++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", k ? " " : "",
					pt_lease_dev_get_function(d, k));
	if (pt_lease_dev_get_mac(d) && off < len)
		snprintf(buf + off, len - off, " mac %s", pt_lease_dev_get_mac(d));
}

static void print_lease_table(struct pt_lease *l)
{
	static const char *const hdr[] = { "DEVICE", "TYPE", "GROUP", "HOST" };
	struct util_table *t = util_table_new(4, hdr);

	for (int i = 0; i < pt_lease_get_num_devices(l); i++) {
		struct pt_lease_dev *d = pt_lease_get_device(l, i);
		char type[32], host[512];

		snprintf(type, sizeof(type), "%s%s%s", pt_group_type_name(pt_lease_dev_get_type(d)),
			 pt_lease_dev_get_mode(d) ? " " : "",
			 pt_lease_dev_get_mode(d) ? pt_lease_dev_get_mode(d) : "");
		dev_host(d, host, sizeof(host));
		util_table_add(t, (const char *const[]){ pt_lease_dev_get_name(d), type,
			     pt_lease_dev_get_group(d), host });
	}
	util_table_print(t, stdout);
	util_table_free(t);
}

/* The lease in the chosen format; text: the table. */
static void print_lease(const struct args *a, struct pt_lease *l)
{
	enum fmt f = a->o.json ? F_JSON : a->format;

	if (f == F_JSON) {
		struct json_object *o = lease_json(l);

		util_json_print(o);
		json_object_put(o);
	} else if (f == F_QEMU) {
		struct strv s = { 0 };

		qemu_args(l, &s);
		for (int i = 0; i + 1 < s.n; i += 2)
			printf("%s %s\n", s.v[i], s.v[i + 1]);
		strv_free(&s);
	} else if (f == F_LIBVIRT) {
		char *x = libvirt_xml(l);

		fputs(x ? x : "", stdout);
		free(x);
	} else {
		print_lease_table(l);
	}
}

/* ---- verbs -------------------------------------------------------------------- */

static int vm_txn_start(struct pt_ctx *ctx, const struct args *a, struct pt_vm_txn **t)
{
	int r = pt_vm_txn_begin(ctx, a->o.dry_run ? PT_TXN_DRY_RUN : 0, t);
	const char *e = NULL;

	if (r == 0)
		return 0;
	/* a tenant's directory: planted files are refused for safety, its lock held */
	if ((r == -EPERM || r == -EBUSY) && pt_vm_load(ctx, &e) < 0 && e) {
		fprintf(stderr, "passthru: %s\n", e);
		return PT_EXIT_REFUSED;
	}
	return util_store_begin_fail(CMD, ctx, r, pt_vm_load);
}

static const char *txn_error(void *t) { return pt_vm_txn_get_error(t); }
static char *txn_diff(void *t) { return pt_vm_txn_get_diff(t); }
static int txn_commit(void *t) { return pt_vm_txn_commit(t); }

static int txn_exit(struct pt_ctx *ctx, int r)
{
	(void)ctx;
	return r == -EPERM ? PT_EXIT_REFUSED : util_exit_from_errno(r, UTIL_EDIT);
}

static const struct util_store_ops vm_store = {
	.error = txn_error,
	.diff = txn_diff,
	.commit = txn_commit,
	.exit_of = txn_exit,
};

static int vm_txn_finish(struct pt_ctx *ctx, const struct args *a, struct pt_vm_txn *t, int r)
{
	return util_store_finish(CMD, ctx, &a->o, &vm_store, t, r);
}

static int do_add(struct args *a, int argc, char **argv, struct pt_ctx *ctx)
{
	struct pt_vm_txn *t;
	int r;

	if ((r = util_need_args(CMD, argc, 2, 2, "add needs VM GROUP")))
		return r;
	if ((r = vm_txn_start(ctx, a, &t)))
		return r;
	r = pt_vm_txn_request_add(t, argv[0], argv[1], a->count ? a->count : 1, a->name);
	r = vm_txn_finish(ctx, a, t, r);
	if (!r && a->o.verbose && !a->o.dry_run)
		util_err(CMD, "VM '%s' requests %d from group '%s' as '%s'", argv[0],
		       a->count ? a->count : 1, argv[1], a->name ? a->name : argv[1]);
	pt_vm_txn_free(t);
	return r;
}

static int do_remove(struct args *a, int argc, char **argv, struct pt_ctx *ctx)
{
	struct pt_vm_txn *t;
	int r;

	if ((r = util_need_args(CMD, argc, 2, 2, "remove needs VM NAME")))
		return r;
	if ((r = vm_txn_start(ctx, a, &t)))
		return r;
	r = pt_vm_txn_request_remove(t, argv[0], argv[1]);
	r = vm_txn_finish(ctx, a, t, r);
	pt_vm_txn_free(t);
	return r;
}

static struct pt_vm *find_vm(struct pt_ctx *ctx, const char *name, int *status)
{
	struct pt_vm *vm;

	*status = load_vms(ctx);
	if (*status)
		return NULL;
	vm = pt_vm_find(ctx, name);
	if (!vm) {
		util_err(CMD, "no VM '%s'; see 'pt attach list'", name);
		*status = PT_EXIT_NOTFOUND;
	}
	return vm;
}

static int lease_status(struct pt_ctx *ctx)
{
	const char *e;
	int r = pt_lease_load(ctx, &e);

	if (r < 0) {
		util_err(CMD, "%s", e ? e : strerror(-r));
		return r == -EPERM ? PT_EXIT_REFUSED : util_exit_from_errno(r, UTIL_LOAD);
	}
	return 0;
}

/* The type of a request's group: a host group, or a tenant group "TENANT:GROUP". */
static const char *request_type(struct pt_ctx *ctx, const char *group)
{
	struct pt_group *g = pt_group_find(ctx, group);
	const char *colon = strchr(group, ':');
	struct pt_tenant *t;
	struct pt_grant *gr = NULL;

	if (g)
		return pt_group_type_name(pt_group_get_type(g));
	if (colon) {
		char *tn = strndup(group, colon - group);

		t = tn ? pt_tenant_find(ctx, tn) : NULL;
		gr = t ? pt_grant_find(t, colon + 1) : NULL;
		free(tn);
	}
	return gr ? pt_group_type_name(pt_grant_get_type(gr)) : "(no group)";
}

static int do_list(struct args *a, int argc, char **argv, struct pt_ctx *ctx)
{
	static const char *const hdr[] = { "VM", "REQUEST", "GROUP", "TYPE", "COUNT", "STATE" };
	struct json_object *arr = NULL;
	struct util_table *t = NULL;
	struct pt_vm *vm;
	int r, shown = 0;

	if ((r = util_need_args(CMD, argc, 0, 1, "list takes at most one VM")))
		return r;
	if ((r = load_vms(ctx)) || (r = lease_status(ctx)))
		return r;
	if (argc && !pt_vm_find(ctx, argv[0])) {
		util_err(CMD, "no VM '%s'; see 'pt attach list'", argv[0]);
		return PT_EXIT_NOTFOUND;
	}
	if (a->o.json)
		arr = json_object_new_array();
	else
		t = util_table_new(6, hdr);
	pt_vm_foreach(ctx, vm) {
		struct pt_lease *l = pt_lease_find(ctx, pt_vm_get_name(vm));
		struct pt_request *rq;

		if (argc && strcmp(argv[0], pt_vm_get_name(vm)))
			continue;
		shown++;
		if (arr) {
			json_object_array_add(arr, json_vm(vm, l, l ? lease_json(l) : NULL));
			continue;
		}
		pt_request_foreach(vm, rq) {
			const char *type = request_type(ctx, pt_request_get_group(rq));
			char n[16];

			snprintf(n, sizeof(n), "%d", pt_request_get_count(rq));
			util_table_add(t, (const char *const[]){ pt_vm_get_name(vm),
				     pt_request_get_name(rq), pt_request_get_group(rq),
				     type, n,
				     l ? pt_lease_get_state(l) : "stopped" });
		}
	}
	util_list_print(arr, t);
	if (!shown) {
		if (!a->o.quiet)
			util_err(CMD, "no VMs in %s/vms.d; add one with 'pt attach add VM GROUP'",
			       pt_get_conf_dir(ctx));
		return PT_EXIT_NOMATCH;
	}
	return PT_EXIT_OK;
}

static int do_show(struct args *a, int argc, char **argv, struct pt_ctx *ctx)
{
	static const char *const hdr[] = { "REQUEST", "GROUP", "TYPE", "COUNT" };
	struct pt_request *rq;
	struct pt_lease *l;
	struct pt_vm *vm;
	const char *blocker;
	struct util_table *t;
	int status;

	if ((status = util_need_args(CMD, argc, 1, 1, "show needs one VM")))
		return status;
	vm = find_vm(ctx, argv[0], &status);
	if (!vm)
		return status;
	if ((status = lease_status(ctx)))
		return status;
	l = pt_lease_find(ctx, argv[0]);
	if (a->format_set && a->format != F_JSON) {
		if (!l) {
			util_err(CMD, "VM '%s' is not started: it holds no devices to print; "
			       "start it with 'pt attach start %s'", argv[0], argv[0]);
			return PT_EXIT_NOTFOUND;
		}
		print_lease(a, l);
		return PT_EXIT_OK;
	}
	if (a->o.json || a->format == F_JSON) {
		struct json_object *o = json_vm(vm, l, l ? lease_json(l) : NULL);

		util_json_print(o);
		json_object_put(o);
		return PT_EXIT_OK;
	}
	printf("VM %s (%s)", pt_vm_get_name(vm), pt_vm_get_file(vm));
	if (pt_vm_get_numa_node(vm) != PT_NO_NUMA_NODE)
		printf(", numa_node %d%s", pt_vm_get_numa_node(vm),
		       pt_vm_get_numa_strict(vm) ? " (strict)" : "");
	if (l && pt_lease_get_pid(l))
		printf(", %s, pid %d\n", pt_lease_get_state(l), pt_lease_get_pid(l));
	else
		printf(", %s\n", l ? pt_lease_get_state(l) : "stopped");
	t = util_table_new(4, hdr);
	pt_request_foreach(vm, rq) {
		const char *type = request_type(ctx, pt_request_get_group(rq));
		char n[16];

		snprintf(n, sizeof(n), "%d", pt_request_get_count(rq));
		util_table_add(t, (const char *const[]){ pt_request_get_name(rq),
			     pt_request_get_group(rq),
			     type, n });
	}
	printf("\n");
	util_table_print(t, stdout);
	util_table_free(t);
	if (l) {
		printf("\n");
		print_lease_table(l);
	}
	blocker = l ? pt_lease_get_migration_blocker(l) : pt_vm_get_migration_blocker(vm);
	if (blocker)
		printf("\nlive migration: no, %s pins it to this node\n", blocker);
	else
		printf("\nlive migration: yes\n");
	return PT_EXIT_OK;
}

static int do_start(struct args *a, int argc, char **argv, struct pt_ctx *ctx, bool check)
{
	struct pt_attach *at;
	int r, status = PT_EXIT_OK;

	if ((r = util_need_args(CMD, argc, 1, 1,
				check ? "check needs one VM" : "start needs one VM")))
		return r;
	if ((r = load_vms(ctx)))
		return r;
	if (check)
		r = pt_attach_check(ctx, argv[0], &at);
	else
		r = pt_attach_start(ctx, argv[0], a->pid, a->o.dry_run ? PT_ATTACH_DRY_RUN : 0,
				    &at);
	if (!at) {
		util_err(CMD, "%s", strerror(-r));
		return PT_EXIT_FAILURE;
	}
	print_warnings(a, at);
	if (r < 0) {
		util_err(CMD, "%s", pt_attach_get_error(at) ? pt_attach_get_error(at) : strerror(-r));
		status = attach_exit(ctx, r);
	} else {
		print_notes(a, at);
		if (check && !a->o.json) {
			printf("%s: could start now\n", argv[0]);
			print_lease_table(pt_attach_get_lease(at));
		} else {
			print_lease(a, pt_attach_get_lease(at));
		}
		if (!check && !a->o.dry_run && a->o.verbose)
			util_err(CMD, "VM '%s': started, %d devices leased", argv[0],
			       pt_lease_get_num_devices(pt_attach_get_lease(at)));
	}
	pt_attach_free(at);
	return status;
}

static int do_stop(struct args *a, int argc, char **argv, struct pt_ctx *ctx)
{
	struct pt_attach *at;
	int r, status = PT_EXIT_OK;

	if ((r = util_need_args(CMD, argc, 1, 1, "stop needs one VM")))
		return r;
	r = pt_attach_stop(ctx, argv[0], a->o.dry_run ? PT_ATTACH_DRY_RUN : 0, &at);
	if (!at) {
		util_err(CMD, "%s", strerror(-r));
		return PT_EXIT_FAILURE;
	}
	if (r < 0) {
		util_err(CMD, "%s", pt_attach_get_error(at) ? pt_attach_get_error(at) : strerror(-r));
		status = attach_exit(ctx, r);
	} else {
		print_notes(a, at);
		if (a->o.json) {
			struct json_object *o = lease_json(pt_attach_get_lease(at));

			util_json_print(o);
			json_object_put(o);
		} else if (!a->o.quiet) {
			printf("%s: %s, %d devices freed\n", argv[0],
			       a->o.dry_run ? "would stop" : "stopped",
			       pt_lease_get_num_devices(pt_attach_get_lease(at)));
		}
	}
	pt_attach_free(at);
	return status;
}

static int do_gc(struct args *a, int argc, struct pt_ctx *ctx)
{
	struct pt_attach *at;
	int r, status = PT_EXIT_OK;

	if ((r = util_need_args(CMD, argc, 0, 0, "gc takes no arguments")))
		return r;
	r = pt_attach_gc(ctx, a->o.dry_run ? PT_ATTACH_DRY_RUN : 0, &at);
	if (!at) {
		util_err(CMD, "%s", strerror(-r));
		return PT_EXIT_FAILURE;
	}
	print_notes(a, at);
	print_warnings(a, at);
	if (a->o.json) {
		struct json_object *arr = json_object_new_array();

		for (int i = 0; i < pt_attach_get_num_freed(at); i++)
			json_object_array_add(arr, json_object_new_string(pt_attach_get_freed(at, i)));
		util_json_print(arr);
		json_object_put(arr);
	} else {
		for (int i = 0; i < pt_attach_get_num_freed(at); i++)
			printf("%s: %s\n", pt_attach_get_freed(at, i),
			       a->o.dry_run ? "would free the lease (its process is gone)" :
			       "lease freed (its process is gone)");
	}
	if (r < 0) {
		util_err(CMD, "%s", pt_attach_get_error(at) ? pt_attach_get_error(at) : strerror(-r));
		status = attach_exit(ctx, r);
	}
	pt_attach_free(at);
	return status;
}

static int list_vms(struct pt_ctx *ctx)
{
	struct pt_vm *vm;

	pt_vm_foreach(ctx, vm)
		printf("%s\n", pt_vm_get_name(vm));
	return PT_EXIT_OK;
}

/*
 * Whose VMs: --tenant's; for a user who is not root and is an admin of
 * exactly one tenant, that tenant's; else the host's (root's to change).
 */
static int choose_tenant(struct args *a, struct pt_ctx *ctx)
{
	const char *name = a->tenant, *other = NULL;
	struct pt_tenant *t;
	char buf[256];
	int n = 0, r;

	if (!name && geteuid() != 0) {
		pt_tenant_foreach(ctx, t) {
			if (n++)
				other = pt_tenant_get_name(t);
			else
				name = pt_tenant_get_name(t);
		}
		if (n > 1) {
			util_err(CMD, "this user is an admin of tenants '%s' and '%s'%s; say whose "
				 "VMs with --tenant TENANT", name, other, n > 2 ? " and more" : "");
			return PT_EXIT_USAGE;
		}
	}
	if (!name)
		return 0;
	/* setting it drops what was loaded (the name above among it) */
	snprintf(buf, sizeof(buf), "%s", name);
	name = buf;
	r = pt_set_tenant(ctx, name);
	if (r == -EINVAL) {
		util_err(CMD, "--tenant %s: not a valid tenant name; use letters, digits, '-', "
			 "'_' and '.', not starting with '.', at most 64 characters", name);
		return PT_EXIT_USAGE;
	}
	if (r < 0) {
		util_err(CMD, "%s", strerror(-r));
		return PT_EXIT_FAILURE;
	}
	t = pt_tenant_find(ctx, name);
	if (!t && errno == EACCES) {
		util_err(CMD, "tenant '%s': permission denied: its VMs are its admins' (members "
			 "of its Unix group) and root's", name);
		return PT_EXIT_PERM;
	}
	if (!t) {
		if (pt_tenant_load(ctx, NULL) < 0) {
			const char *e = NULL;

			pt_tenant_load(ctx, &e);
			fprintf(stderr, "passthru: %s\n", e ? e : "tenants.d is invalid");
			return PT_EXIT_CONFIG;
		}
		util_err(CMD, "no tenant '%s'; see 'pt tenant list'", name);
		return PT_EXIT_NOTFOUND;
	}
	return 0;
}

int cmd_attach(int argc, char **argv, struct pt_ctx *ctx)
{
	struct args a = { 0 };
	const char *verb;
	char **pos;
	int n, r;

	r = util_parse_verb_args(argc, argv, "n", longopts, &a.o, ctx, CMD, usage,
			       attach_opt, &a, &verb, &pos, &n);
	if (r >= 0)
		return r;
	if (a.list_vms && (r = choose_tenant(&a, ctx))) {
		free(pos);
		return r;
	}
	if (a.list_vms || a.o.list_groups || !verb) {
		free(pos);
		if (a.list_vms)
			return list_vms(ctx);
		if (a.o.list_groups)
			return util_list_groups(ctx);
		usage(stderr);
		return PT_EXIT_USAGE;
	}
	r = choose_tenant(&a, ctx);
	if (r) {
		free(pos);
		return r;
	}
	if ((a.count || a.name) && strcmp(verb, "add")) {
		util_err(CMD, "--%s applies to 'add' only", a.count ? "count" : "name");
		r = PT_EXIT_USAGE;
	} else if (a.pid_set && strcmp(verb, "start")) {
		util_err(CMD, "--pid applies to 'start' only");
		r = PT_EXIT_USAGE;
	} else if (a.format_set && strcmp(verb, "start") && strcmp(verb, "show")) {
		util_err(CMD, "--format applies to 'start' and 'show' only");
		r = PT_EXIT_USAGE;
	} else if (a.o.dry_run && (!strcmp(verb, "list") || !strcmp(verb, "show") ||
				   !strcmp(verb, "check"))) {
		util_err(CMD, "--dry-run applies to add, remove, start, stop and gc; '%s' changes "
		       "nothing", verb);
		r = PT_EXIT_USAGE;
	} else if (!strcmp(verb, "add")) {
		r = do_add(&a, n, pos, ctx);
	} else if (!strcmp(verb, "remove")) {
		r = do_remove(&a, n, pos, ctx);
	} else if (!strcmp(verb, "list")) {
		r = do_list(&a, n, pos, ctx);
	} else if (!strcmp(verb, "show")) {
		r = do_show(&a, n, pos, ctx);
	} else if (!strcmp(verb, "start")) {
		r = do_start(&a, n, pos, ctx, false);
	} else if (!strcmp(verb, "check")) {
		r = do_start(&a, n, pos, ctx, true);
	} else if (!strcmp(verb, "stop")) {
		r = do_stop(&a, n, pos, ctx);
	} else if (!strcmp(verb, "gc")) {
		r = do_gc(&a, n, ctx);
	} else {
		util_err(CMD, "'%s' is not a pt attach verb; use add, remove, list, show, start, "
		       "stop, gc or check", verb);
		r = PT_EXIT_USAGE;
	}
	free(pos);
	return r;
}
