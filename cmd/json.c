// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * JSON builders, one per object, and the printers: every JSON document the
 * commands write goes out through here. The keys are an ABI: snake_case,
 * one type per key (null where a value is absent), additions only. The
 * schema is documented in pt-scan(8) (json_plan and json_step:
 * pt-group(8)) and pinned by the golden tests and tests/docs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pt.h"

struct json_object *json_hex(unsigned int v, int width)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%0*x", width, v);
	return json_object_new_string(buf);
}

static struct json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static struct json_object *int_or_null(int v, int none)
{
	return v == none ? NULL : json_object_new_int(v);
}

static void add(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

struct json_object *json_mdev_parent(struct pt_mdev_parent *p)
{
	struct json_object *o = json_object_new_object(), *a;
	struct pt_pci_dev *d = pt_mdev_parent_get_pci_dev(p);
	struct pt_mdev_type *t;
	struct pt_mdev *m;

	add(o, "name", json_object_new_string(pt_mdev_parent_get_name(p)));
	add(o, "slot", d ? json_object_new_string(pt_pci_dev_get_bdf(d)) : NULL);
	a = json_object_new_array();
	pt_mdev_type_foreach(p, t) {
		struct json_object *to = json_object_new_object();

		add(to, "id", json_object_new_string(pt_mdev_type_get_id(t)));
		add(to, "name", str_or_null(pt_mdev_type_get_name(t)));
		add(to, "description", str_or_null(pt_mdev_type_get_description(t)));
		add(to, "device_api", str_or_null(pt_mdev_type_get_device_api(t)));
		add(to, "available_instances",
		    int_or_null(pt_mdev_type_get_available_instances(t), -1));
		add(to, "profile", json_vgpu_profile(pt_mdev_type_get_profile(t)));
		json_object_array_add(a, to);
	}
	add(o, "types", a);
	a = json_object_new_array();
	pt_mdev_foreach(p, m) {
		struct json_object *mo = json_object_new_object();

		add(mo, "uuid", json_object_new_string(pt_mdev_get_uuid(m)));
		add(mo, "type", json_object_new_string(pt_mdev_get_type_id(m)));
		add(mo, "iommu_group", int_or_null(pt_mdev_get_iommu_group(m), PT_NO_IOMMU_GROUP));
		json_object_array_add(a, mo);
	}
	add(o, "mdevs", a);
	return o;
}

struct json_object *json_usb_dev(struct pt_usb_dev *u)
{
	struct json_object *o = json_object_new_object(), *a;
	struct pt_pci_dev *hc = pt_usb_dev_get_controller(u);
	double speed = pt_usb_dev_get_speed(u);

	add(o, "name", json_object_new_string(pt_usb_dev_get_name(u)));
	add(o, "bus", json_object_new_int(pt_usb_dev_get_busnum(u)));
	add(o, "devnum", json_object_new_int(pt_usb_dev_get_devnum(u)));
	add(o, "port_path", json_object_new_string(pt_usb_dev_get_port_path(u)));
	add(o, "vendor_id", json_hex(pt_usb_dev_get_vendor_id(u), 4));
	add(o, "product_id", json_hex(pt_usb_dev_get_product_id(u), 4));
	add(o, "vendor_name", str_or_null(pt_usb_dev_get_vendor_name(u)));
	add(o, "product_name", str_or_null(pt_usb_dev_get_product_name(u)));
	add(o, "manufacturer", str_or_null(pt_usb_dev_get_manufacturer(u)));
	add(o, "product", str_or_null(pt_usb_dev_get_product(u)));
	add(o, "serial", str_or_null(pt_usb_dev_get_serial(u)));
	add(o, "speed_mbps", speed > 0 ? json_object_new_double(speed) : NULL);
	add(o, "usb_version", str_or_null(pt_usb_dev_get_usb_version(u)));
	add(o, "class", json_hex(pt_usb_dev_get_class(u), 2));
	add(o, "hub", json_object_new_boolean(pt_usb_dev_is_hub(u)));
	a = json_object_new_array();
	for (int i = 0; i < pt_usb_dev_get_num_interfaces(u); i++) {
		const char *drv = pt_usb_dev_get_interface_driver(u, i);

		json_object_array_add(a, str_or_null(drv));
	}
	add(o, "interface_drivers", a);
	add(o, "controller", hc ? json_object_new_string(pt_pci_dev_get_bdf(hc)) : NULL);
	return o;
}

struct json_object *json_check(struct pt_check *c)
{
	static const char *const names[] = {
		[PT_CHECK_OK] = "ok", [PT_CHECK_WARN] = "warn", [PT_CHECK_FAIL] = "fail",
	};
	struct json_object *o = json_object_new_object();

	add(o, "id", json_object_new_string(pt_check_get_id(c)));
	add(o, "status", json_object_new_string(names[pt_check_get_status(c)]));
	add(o, "message", json_object_new_string(pt_check_get_message(c)));
	add(o, "fix", str_or_null(pt_check_get_fix(c)));
	return o;
}

struct json_object *json_step(struct pt_step *s, int index)
{
	struct json_object *o = json_object_new_object();

	add(o, "index", json_object_new_int(index));
	add(o, "kind", json_object_new_string(pt_step_get_kind(s)));
	add(o, "device", str_or_null(pt_step_get_device(s)));
	add(o, "target", json_object_new_string(pt_step_get_target(s)));
	add(o, "value", str_or_null(pt_step_get_value(s)));
	add(o, "description", str_or_null(pt_step_get_description(s)));
	add(o, "status", json_object_new_string(pt_step_get_status(s)));
	return o;
}

struct json_object *json_plan(struct pt_plan *p, const char *group, const char *action,
			      bool dry_run, const char *result, const char *error)
{
	struct json_object *o = json_object_new_object(), *a;

	add(o, "group", json_object_new_string(group));
	add(o, "action", json_object_new_string(action));
	add(o, "dry_run", json_object_new_boolean(dry_run));
	add(o, "result", json_object_new_string(result));
	add(o, "error", str_or_null(error));
	a = json_object_new_array();
	for (int i = 0; p && i < pt_plan_get_num_steps(p); i++)
		json_object_array_add(a, json_step(pt_plan_get_step(p, i), i + 1));
	add(o, "steps", a);
	a = json_object_new_array();
	for (int i = 0; p && i < pt_plan_get_num_notes(p); i++)
		json_object_array_add(a, json_object_new_string(pt_plan_get_note(p, i)));
	add(o, "notes", a);
	return o;
}

/* ---- groups (pt group) ---------------------------------------------------- */

static void json_member_vgpu(struct json_object *o, struct pt_member *m);

/* ---- applied state ------------------------------------------------------------ */

void util_applied_free(struct util_applied *ap)
{
	for (char **p = ap->devices; p && *p; p++)
		free(*p);
	for (char **p = ap->drift; p && *p; p++)
		free(*p);
	free(ap->devices);
	free(ap->drift);
	memset(ap, 0, sizeof(*ap));
}

int util_applied_get(struct pt_ctx *ctx, struct pt_group *g, struct util_applied *ap)
{
	int r = pt_applied_check(ctx, pt_group_get_name(g), &ap->devices, &ap->drift);

	ap->applied = r >= 0;
	ap->n_drift = r > 0 ? r : 0;
	return r == -ENOENT ? 0 : r;
}

static bool listed(char **list, const char *bdf)
{
	for (char **p = list; p && *p; p++)
		if (!strcmp(*p, bdf))
			return true;
	return false;
}

bool util_applied_member(struct util_applied *ap, struct pt_member *m)
{
	struct pt_pci_dev *d = pt_member_get_pci_dev(m);

	if (!ap->applied || !d)
		return false;
	if (listed(ap->devices, pt_pci_dev_get_bdf(d)))
		return true;
	for (int i = 0; i < pt_member_get_num_vfs(m); i++) {
		struct pt_pci_dev *vf = pt_pci_dev_get_virtfn(d, pt_member_get_vf_index(m, i));

		if (vf && listed(ap->devices, pt_pci_dev_get_bdf(vf)))
			return true;
	}
	return false;
}

const char *util_applied_drift(struct util_applied *ap, struct pt_member *m)
{
	struct pt_pci_dev *d = pt_member_get_pci_dev(m);
	size_t n;

	if (!d)
		return NULL;
	n = strlen(pt_pci_dev_get_bdf(d));
	for (char **p = ap->drift; p && *p; p++)
		if (!strncmp(*p, pt_pci_dev_get_bdf(d), n) && (*p)[n] == ':')
			return *p;
	return NULL;
}

static struct json_object *json_strv(char **v)
{
	struct json_object *a = json_object_new_array();

	for (char **p = v; p && *p; p++)
		json_object_array_add(a, json_object_new_string(*p));
	return a;
}

struct json_object *json_member(struct pt_ctx *ctx, struct pt_member *m,
			       struct util_applied *ap)
{
	struct json_object *o = json_object_new_object(), *vfs;
	struct pt_pci_dev *d = pt_member_get_pci_dev(m);
	struct pt_usb_dev *u = pt_member_get_usb_dev(m);
	const char *crit = d ? pt_pci_dev_get_critical_reason(d) : NULL;

	json_object_object_add(o, "device", json_object_new_string(pt_member_get_name(m)));
	json_object_object_add(o, "rule", json_object_new_string(
		pt_rule_get_name(pt_member_get_rule(m))));
	if (d) {
		const char *drv = pt_pci_dev_get_driver(d);
		int grp = pt_pci_dev_get_iommu_group(d);
		struct pt_iommu_group *ig = grp == PT_NO_IOMMU_GROUP ? NULL :
					    pt_iommu_group_find(ctx, grp);

		json_object_object_add(o, "name", json_object_new_string(
			pt_pci_dev_get_display_name(d)));
		json_object_object_add(o, "driver", drv ? json_object_new_string(drv) : NULL);
		json_object_object_add(o, "iommu_group",
				       ig ? json_object_new_int(grp) : NULL);
		json_object_object_add(o, "viable", ig ? json_object_new_boolean(
			pt_iommu_group_is_viable(ig)) : NULL);
	} else {
		const char *name = u ? pt_usb_dev_get_display_name(u) : "mdev parent (no PCI function)";

		json_object_object_add(o, "name", name ? json_object_new_string(name) : NULL);
		json_object_object_add(o, "driver", NULL);
		json_object_object_add(o, "iommu_group", NULL);
		json_object_object_add(o, "viable", NULL);
	}
	json_object_object_add(o, "critical", crit ? json_object_new_string(crit) : NULL);
	json_member_vgpu(o, m);
	vfs = json_object_new_array();
	for (int i = 0; i < pt_member_get_num_vfs(m); i++)
		json_object_array_add(vfs, json_object_new_int(pt_member_get_vf_index(m, i)));
	json_object_object_add(o, "vfs", vfs);
	json_object_object_add(o, "applied", json_object_new_boolean(util_applied_member(ap, m)));
	json_object_object_add(o, "drift", util_applied_drift(ap, m) ?
			       json_object_new_string(util_applied_drift(ap, m)) : NULL);
	return o;
}

struct json_object *json_conflicts(struct pt_ctx *ctx, struct pt_group *g)
{
	struct json_object *a = json_object_new_array();
	struct pt_conflict *c;

	pt_conflict_foreach(ctx, c) {
		struct json_object *o;

		if (g && pt_conflict_get_group(c, 0) != g && pt_conflict_get_group(c, 1) != g)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "device", json_object_new_string(pt_conflict_get_device(c)));
		json_object_object_add(o, "reason", pt_conflict_get_reason(c) ?
				       json_object_new_string(pt_conflict_get_reason(c)) : NULL);
		json_object_object_add(o, "groups", json_object_new_array());
		for (int i = 0; i < 2; i++)
			json_object_array_add(json_object_object_get(o, "groups"),
					      json_object_new_string(pt_group_get_name(
						      pt_conflict_get_group(c, i))));
		json_object_array_add(a, o);
	}
	return a;
}

struct json_object *json_group_capacity(struct pt_group *g, int total, int leased, int free_now)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "total", json_object_new_int(total));
	json_object_object_add(o, "leased", json_object_new_int(leased));
	json_object_object_add(o, "free", json_object_new_int(free_now));
	/* vgpu: what is free is what can be created (mdev) or set (per VF) now */
	if (pt_group_get_type(g) == PT_GROUP_VGPU)
		json_object_object_add(o, "vgpu_creatable", json_object_new_int(free_now));
	return o;
}

struct json_object *json_group(struct pt_ctx *ctx, struct pt_group *g, bool full)
{
	struct json_object *o = json_object_new_object(), *set, *rules, *mem;
	struct util_applied ap = { 0 };
	struct pt_rule *r;

	util_applied_get(ctx, g, &ap);

	json_object_object_add(o, "name", json_object_new_string(pt_group_get_name(g)));
	json_object_object_add(o, "type", json_object_new_string(
		pt_group_type_name(pt_group_get_type(g))));
	json_object_object_add(o, "file", json_object_new_string(pt_group_get_file(g)));
	set = json_object_new_object();
	for (int i = 0; i < pt_group_get_num_settings(g); i++)
		json_object_object_add(set, pt_group_get_setting_key(g, i),
				       json_object_new_string(pt_group_get_setting_value(g, i)));
	json_object_object_add(o, "settings", set);
	rules = json_object_new_array();
	pt_rule_foreach(g, r)
		json_object_array_add(rules, json_object_new_string(pt_rule_get_name(r)));
	json_object_object_add(o, "rules", rules);
	mem = json_object_new_array();
	for (int i = 0; i < pt_group_get_num_members(g); i++) {
		struct pt_member *m = pt_group_get_member(g, i);

		if (full) {
			json_object_array_add(mem, json_member(ctx, m, &ap));
		} else {
			json_object_array_add(mem, json_object_new_string(pt_member_get_name(m)));
		}
	}
	json_object_object_add(o, "members", mem);
	json_object_object_add(o, "critical_members", json_object_new_int(util_group_count_critical(g)));
	json_object_object_add(o, "conflicts", json_conflicts(ctx, g));
	json_object_object_add(o, "applied", json_object_new_boolean(ap.applied));
	json_object_object_add(o, "drift", json_strv(ap.drift));
	util_applied_free(&ap);
	return o;
}

/* A rule as `pt group show --json` lists it. */
struct json_object *json_group_rule(struct pt_rule *r)
{
	struct json_object *ro = json_object_new_object();
	const char *node = pt_rule_get_node(r);

	json_object_object_add(ro, "name", json_object_new_string(pt_rule_get_name(r)));
	json_object_object_add(ro, "match", json_object_new_string(pt_rule_get_match(r)));
	json_object_object_add(ro, "node", node ? json_object_new_string(node) : NULL);
	json_object_object_add(ro, "applies_here",
			       json_object_new_boolean(pt_rule_applies_here(r)));
	return ro;
}

/* One group of `pt group check --json`. */
struct json_object *json_group_check(struct pt_ctx *ctx, struct pt_group *g,
				     int n_conflicts, int n_critical)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(pt_group_get_name(g)));
	json_object_object_add(o, "ok", json_object_new_boolean(!n_conflicts && !n_critical));
	json_object_object_add(o, "critical_members", json_object_new_int(n_critical));
	json_object_object_add(o, "conflicts", json_conflicts(ctx, g));
	return o;
}

/* ---- pt attach (VMs, leases); schema in pt-attach(8) ---------------------- */

struct json_object *json_request(struct pt_request *rq)
{
	struct json_object *o = json_object_new_object();

	add(o, "name", json_object_new_string(pt_request_get_name(rq)));
	add(o, "group", json_object_new_string(pt_request_get_group(rq)));
	add(o, "count", json_object_new_int(pt_request_get_count(rq)));
	return o;
}

struct json_object *json_lease_dev(struct pt_lease_dev *d)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	enum pt_group_type t = pt_lease_dev_get_type(d);

	add(o, "name", json_object_new_string(pt_lease_dev_get_name(d)));
	add(o, "request", json_object_new_string(pt_lease_dev_get_request(d)));
	add(o, "group", json_object_new_string(pt_lease_dev_get_group(d)));
	add(o, "type", json_object_new_string(pt_group_type_name(t)));
	add(o, "mode", str_or_null(pt_lease_dev_get_mode(d)));
	for (int i = 0; i < pt_lease_dev_get_num_functions(d); i++)
		json_object_array_add(a, json_object_new_string(pt_lease_dev_get_function(d, i)));
	add(o, "functions", a);
	add(o, "mac", str_or_null(pt_lease_dev_get_mac(d)));
	add(o, "pf", str_or_null(pt_lease_dev_get_pf(d)));
	add(o, "vf_index", int_or_null(pt_lease_dev_get_vf_index(d), -1));
	add(o, "mdev_uuid", str_or_null(pt_lease_dev_get_mdev_uuid(d)));
	add(o, "mdev_parent", str_or_null(pt_lease_dev_get_mdev_parent(d)));
	add(o, "mdev_type", str_or_null(pt_lease_dev_get_mdev_type(d)));
	if (t == PT_GROUP_USB) {
		struct json_object *u = json_object_new_object();

		add(u, "name", json_object_new_string(pt_lease_dev_get_usb_name(d)));
		add(u, "busnum", json_object_new_int(pt_lease_dev_get_usb_busnum(d)));
		add(u, "port_path", json_object_new_string(pt_lease_dev_get_usb_port_path(d)));
		add(u, "vendor_id", json_hex(pt_lease_dev_get_usb_vendor_id(d), 4));
		add(u, "product_id", json_hex(pt_lease_dev_get_usb_product_id(d), 4));
		add(u, "serial", str_or_null(pt_lease_dev_get_usb_serial(d)));
		add(u, "guest_reset", json_object_new_boolean(pt_lease_dev_get_guest_reset(d)));
		add(u, "guest_resets_all",
		    json_object_new_boolean(pt_lease_dev_get_guest_resets_all(d)));
		add(o, "usb", u);
	} else {
		add(o, "usb", NULL);
	}
	return o;
}

struct json_object *json_lease(struct pt_lease *l, struct json_object *qemu,
			       const char *libvirt)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	const char *blocker = pt_lease_get_migration_blocker(l);

	add(o, "vm", json_object_new_string(pt_lease_get_vm(l)));
	add(o, "state", json_object_new_string(pt_lease_get_state(l)));
	add(o, "pid", int_or_null(pt_lease_get_pid(l), 0));
	add(o, "uuid", json_object_new_string(pt_lease_get_uuid(l)));
	add(o, "live_migration", json_object_new_boolean(!blocker));
	add(o, "migration_blocker", str_or_null(blocker));
	for (int i = 0; i < pt_lease_get_num_devices(l); i++)
		json_object_array_add(a, json_lease_dev(pt_lease_get_device(l, i)));
	add(o, "devices", a);
	add(o, "qemu_args", qemu ? qemu : json_object_new_array());
	add(o, "libvirt_xml", str_or_null(libvirt));
	return o;
}

struct json_object *json_vm(struct pt_vm *vm, struct pt_lease *l, struct json_object *lease)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();
	struct pt_request *rq;
	const char *blocker = pt_vm_get_migration_blocker(vm);

	add(o, "name", json_object_new_string(pt_vm_get_name(vm)));
	add(o, "file", json_object_new_string(pt_vm_get_file(vm)));
	add(o, "numa_node", int_or_null(pt_vm_get_numa_node(vm), PT_NO_NUMA_NODE));
	add(o, "numa_strict", json_object_new_boolean(pt_vm_get_numa_strict(vm)));
	pt_request_foreach(vm, rq)
		json_object_array_add(a, json_request(rq));
	add(o, "requests", a);
	add(o, "running", json_object_new_boolean(l != NULL));
	add(o, "live_migration", json_object_new_boolean(!blocker));
	add(o, "migration_blocker", str_or_null(blocker));
	add(o, "lease", lease);
	return o;
}

/* ---- pt tenant ------------------------------------------------------------------ */

struct json_object *json_grant(struct pt_grant *g)
{
	struct json_object *o = json_object_new_object();
	struct json_object *units = json_object_new_array();

	json_object_object_add(o, "name", json_object_new_string(pt_grant_get_name(g)));
	json_object_object_add(o, "group", json_object_new_string(pt_grant_get_group(g)));
	json_object_object_add(o, "type",
			       json_object_new_string(pt_group_type_name(pt_grant_get_type(g))));
	for (int i = 0; i < pt_grant_get_num_units(g); i++)
		json_object_array_add(units, json_object_new_string(pt_grant_get_unit(g, i)));
	json_object_object_add(o, "units", units);
	return o;
}

struct json_object *json_tenant(struct pt_tenant *t)
{
	struct json_object *o = json_object_new_object();
	struct json_object *grants = json_object_new_array();
	struct pt_grant *g;

	json_object_object_add(o, "name", json_object_new_string(pt_tenant_get_name(t)));
	json_object_object_add(o, "file", json_object_new_string(pt_tenant_get_file(t)));
	json_object_object_add(o, "admins", json_object_new_string(pt_tenant_get_admins(t)));
	json_object_object_add(o, "node", pt_tenant_get_node(t) ?
			       json_object_new_string(pt_tenant_get_node(t)) : NULL);
	pt_grant_foreach(t, g)
		json_object_array_add(grants, json_grant(g));
	json_object_object_add(o, "grants", grants);
	return o;
}

struct json_object *json_tenant_change(const char *tenant, const char *group, const char *action,
				       bool dry_run, struct json_object *units,
				       struct json_object *steps)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "tenant", json_object_new_string(tenant));
	json_object_object_add(o, "group", group ? json_object_new_string(group) : NULL);
	json_object_object_add(o, "action", json_object_new_string(action));
	json_object_object_add(o, "dry_run", json_object_new_boolean(dry_run));
	json_object_object_add(o, "units", units);
	json_object_object_add(o, "steps", steps);
	return o;
}

/* ---- vGPU profiles (issue 13) ------------------------------------------- */

/* An NVIDIA vGPU profile understood; null when the type's name is not one. */
struct json_object *json_vgpu_profile(struct pt_vgpu_profile *p)
{
	struct json_object *o;
	char series[2];

	if (!p)
		return NULL;
	o = json_object_new_object();
	series[0] = pt_vgpu_profile_get_series(p);
	series[1] = '\0';
	add(o, "name", json_object_new_string(pt_vgpu_profile_get_name(p)));
	add(o, "board", json_object_new_string(pt_vgpu_profile_get_board(p)));
	add(o, "framebuffer_gb", json_object_new_int(pt_vgpu_profile_get_framebuffer_gb(p)));
	add(o, "series", json_object_new_string(series));
	add(o, "mig", json_object_new_boolean(pt_vgpu_profile_is_mig(p)));
	add(o, "gpu_instance_slices",
	    int_or_null(pt_vgpu_profile_get_gpu_instance_slices(p), 0));
	add(o, "media", str_or_null(pt_vgpu_profile_get_media(p)));
	add(o, "max_instances", int_or_null(pt_vgpu_profile_get_max_instances(p), -1));
	return o;
}

/* vgpu groups: what the member GPU can do for the group's profile now. */
static void json_member_vgpu(struct json_object *o, struct pt_member *m)
{
	struct pt_group *g = pt_rule_get_group(pt_member_get_rule(m));
	struct pt_pci_dev *d = pt_member_get_pci_dev(m);
	const char *prof = pt_group_get_setting(g, "profile");
	bool vg = d && pt_group_get_type(g) == PT_GROUP_VGPU && prof;
	char *why = NULL;
	int more = vg ? pt_pci_dev_get_vgpu_capacity(d, prof) : -1;

	add(o, "vgpu_problem", vg && pt_group_get_vgpu_problem(g, d, &why) > 0 ?
	    json_object_new_string(why) : NULL);
	add(o, "vgpu_available", more >= 0 ? json_object_new_int(more) : NULL);
	free(why);
}

/* pt group check --json: the vGPU problems of a group (json_group_check's object). */
void json_group_check_vgpu(struct json_object *o, struct json_object *problems)
{
	if (json_object_array_length(problems))
		add(o, "ok", json_object_new_boolean(false));
	add(o, "vgpu_problems", problems);
}

/* ---- printing ------------------------------------------------------------- */

void util_json_print(struct json_object *doc)
{
	puts(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
					    JSON_C_TO_STRING_SPACED |
					    JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* ---- streaming a large document (pt scan --json) --------------------------- */

/*
 * pt scan --json is streamed: each item is printed as it comes, so memory
 * stays flat with thousands of functions. The layout is exactly json-c's
 * pretty printing (JSON_C_TO_STRING_PRETTY | _SPACED | _NOSLASHESCAPE) of
 * the whole document, byte for byte, written straight to stdout at the
 * item's depth.
 *
 * PCI functions and IOMMU groups, thousands of each, are written key by
 * key (json_pci_dev, json_iommu_group) without building a json-c object:
 * building and freeing a 31-key object per function was 216 M of 557 M
 * instructions at 4,999 functions (json-c's linkhash grows twice for each),
 * walking it another 127 M (bench/README.md). The other items are objects
 * from their builders, walked by js_value(). Either way a string is
 * escaped by json-c (js_string).
 */

/* The item being printed, flushed to stdout once per item (or when full). */
static struct {
	char b[1 << 15];
	size_t n;
} jo;

static void jo_flush(void)
{
	fwrite(jo.b, 1, jo.n, stdout);
	jo.n = 0;
}

static inline void jo_putc(char c)
{
	if (jo.n == sizeof(jo.b))
		jo_flush();
	jo.b[jo.n++] = c;
}

static void jo_write(const char *s, size_t len)
{
	if (jo.n + len > sizeof(jo.b)) {
		jo_flush();
		if (len > sizeof(jo.b)) {
			fwrite(s, 1, len, stdout);
			return;
		}
	}
	memcpy(jo.b + jo.n, s, len);
	jo.n += len;
}

static void jo_puts(const char *s)
{
	jo_write(s, strlen(s));
}

/* ",\n" and the spaces of the deepest indent written in one piece */
static const char js_spaces[] = ",\n                                ";

static void js_indent(int level)
{
	for (size_t n = 2 * (size_t)level; n; ) {
		size_t k = n < sizeof(js_spaces) - 3 ? n : sizeof(js_spaces) - 3;

		jo_write(js_spaces + 2, k);
		n -= k;
	}
}

#define JS_FLAGS (JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | \
		  JSON_C_TO_STRING_NOSLASHESCAPE)

/* One string object, reused: json-c escapes every string printed here. */
static struct json_object *js_scratch;

/*
 * A string as json-c prints it. json-c escapes only control characters,
 * '"' and '\\' ('/' not, with NOSLASHESCAPE), so a string without them
 * prints as itself between quotes; any other goes through json-c.
 */
static void js_string(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p >= 0x20 && *p != '"' && *p != '\\')
		p++;
	if (!*p) {
		jo_putc('"');
		jo_write(s, (size_t)(p - (const unsigned char *)s));
		jo_putc('"');
		return;
	}
	if (!js_scratch)
		js_scratch = json_object_new_string("");
	if (!js_scratch || json_object_set_string(js_scratch, s) != 1)
		abort();
	jo_puts(json_object_to_json_string_ext(js_scratch, JS_FLAGS));
}

static void js_int(int64_t v)
{
	char num[24], *p = num + sizeof(num);
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	jo_write(p, (size_t)(num + sizeof(num) - p));
}

/* json_hex()'s text: "%0*x" between quotes */
static void js_hex(unsigned int v, int width)
{
	static const char hex[] = "0123456789abcdef";
	char num[16], *p = num + sizeof(num);

	*--p = '"';
	do {
		*--p = hex[v & 0xf];
		v >>= 4;
		width--;
	} while (v || width > 0);
	*--p = '"';
	jo_write(p, (size_t)(num + sizeof(num) - p));
}

static void js_value(struct json_object *o, int level)
{
	bool had = false;

	switch (json_object_get_type(o)) {
	case json_type_null:
		jo_puts("null");
		return;
	case json_type_boolean:
		jo_puts(json_object_get_boolean(o) ? "true" : "false");
		return;
	case json_type_int:
		js_int(json_object_get_int64(o));
		return;
	case json_type_string:
		js_string(json_object_get_string(o));
		return;
	case json_type_object:
		jo_puts("{\n");
		json_object_object_foreach(o, key, val) {
			if (had)
				jo_puts(",\n");
			had = true;
			js_indent(level + 1);
			js_string(key);
			jo_puts(": ");
			if (val)
				js_value(val, level + 1);
			else
				jo_puts("null");
		}
		if (had)
			jo_putc('\n');
		js_indent(level);
		jo_putc('}');
		return;
	case json_type_array:
		jo_puts("[\n");
		for (size_t i = 0; i < json_object_array_length(o); i++) {
			struct json_object *v = json_object_array_get_idx(o, i);

			if (had)
				jo_puts(",\n");
			had = true;
			js_indent(level + 1);
			if (v)
				js_value(v, level + 1);
			else
				jo_puts("null");
		}
		if (had)
			jo_putc('\n');
		js_indent(level);
		jo_putc(']');
		return;
	default:
		jo_puts(json_object_to_json_string_ext(o, JS_FLAGS));
	}
}

/*
 * An object or array written as it goes, laid out as js_value() lays out
 * one: "{" newline, members one level deeper, each after ",\n" but the
 * first, then a newline (when there was a member) and the closing bracket
 * at the object's own depth.
 */
struct jw {
	int level;
	bool had;
};

static void jw_open(struct jw *w, int level, char c)
{
	jo_putc(c);
	jo_putc('\n');
	w->level = level;
	w->had = false;
}

static void jw_close(struct jw *w, char c)
{
	if (w->had)
		jo_putc('\n');
	js_indent(w->level);
	jo_putc(c);
}

/* Before an array's next item: ",\n" after the first, the indent. */
static void jw_next(struct jw *w)
{
	size_t n = 2 * (size_t)(w->level + 1);

	if (n > sizeof(js_spaces) - 3) {
		if (w->had)
			jo_write(",\n", 2);
		js_indent(w->level + 1);
	} else if (w->had) {
		jo_write(js_spaces, n + 2);
	} else {
		jo_write(js_spaces + 2, n);
	}
	w->had = true;
}

/*
 * ",\n", the indent and "key": in one copy (160,000 keys at 4,999
 * functions). Keys are this file's own snake_case literals: nothing to
 * escape.
 */
static void jw_key(struct jw *w, const char *key)
{
	size_t ind = 2 * (size_t)(w->level + 1), klen = strlen(key);
	size_t need = 2 + ind + 1 + klen + 3;
	char *p;

	if (ind > sizeof(js_spaces) - 3 || need > sizeof(jo.b)) {
		jw_next(w);
		jo_putc('"');
		jo_write(key, klen);
		jo_write("\": ", 3);
		return;
	}
	if (jo.n + need > sizeof(jo.b))
		jo_flush();
	p = jo.b + jo.n;
	if (w->had) {
		*p++ = ',';
		*p++ = '\n';
	}
	memcpy(p, js_spaces + 2, ind);
	p += ind;
	*p++ = '"';
	memcpy(p, key, klen);
	p += klen;
	memcpy(p, "\": ", 3);
	jo.n = (size_t)(p + 3 - jo.b);
	w->had = true;
}

/* A member of w, as add() would put it into an object. */
static void put_str(struct jw *w, const char *key, const char *s)
{
	jw_key(w, key);
	if (s)
		js_string(s);
	else
		jo_write("null", 4);
}

static void put_hex(struct jw *w, const char *key, unsigned int v, int width)
{
	jw_key(w, key);
	js_hex(v, width);
}

static void put_int(struct jw *w, const char *key, int64_t v)
{
	jw_key(w, key);
	js_int(v);
}

/* null when v is none */
static void put_int_or_null(struct jw *w, const char *key, int v, int none)
{
	jw_key(w, key);
	if (v == none)
		jo_write("null", 4);
	else
		js_int(v);
}

static void put_bool(struct jw *w, const char *key, bool b)
{
	jw_key(w, key);
	jo_puts(b ? "true" : "false");
}

/* A json-c value (NULL: null), freed. */
static void put_json(struct jw *w, const char *key, struct json_object *v)
{
	jw_key(w, key);
	if (v)
		js_value(v, w->level + 1);
	else
		jo_write("null", 4);
	json_object_put(v);
}

/* An array member: fill it with jw_next() and values, then jw_close(a, ']'). */
static void put_array(struct jw *w, const char *key, struct jw *a)
{
	jw_key(w, key);
	jw_open(a, w->level + 1, '[');
}

void json_stream_begin(struct json_stream *js)
{
	fputs("{", stdout);
	js->first_key = true;
	js->total = 0;
}

void json_stream_array(struct json_stream *js, const char *key)
{
	printf("%s\n  \"%s\": [", js->first_key ? "" : ",", key);
	js->first_key = false;
	js->in_array = 0;
}

/* The next item of the open array: an object streamed into o. */
static void item_begin(struct json_stream *js, struct jw *o)
{
	jo_puts(js->in_array++ ? ",\n    " : "\n    ");
	jw_open(o, 2, '{');
}

static void item_end(struct json_stream *js, struct jw *o)
{
	jw_close(o, '}');
	jo_flush();
	js->total++;
}

void json_stream_item(struct json_stream *js, struct json_object *o)
{
	jo_puts(js->in_array++ ? ",\n    " : "\n    ");
	js_value(o, 2);
	jo_flush();
	json_object_put(o);
	js->total++;
}

void json_pci_dev(struct json_stream *js, struct pt_pci_dev *d)
{
	struct pt_pci_dev *pf = pt_pci_dev_get_physfn(d);
	uint32_t cls = pt_pci_dev_get_class(d);
	struct pt_netdev *nd;
	struct jw o, a;

	item_begin(js, &o);
	put_str(&o, "slot", pt_pci_dev_get_bdf(d));
	put_hex(&o, "vendor_id", pt_pci_dev_get_vendor_id(d), 4);
	put_hex(&o, "device_id", pt_pci_dev_get_device_id(d), 4);
	put_hex(&o, "subsystem_vendor_id", pt_pci_dev_get_subsystem_vendor_id(d), 4);
	put_hex(&o, "subsystem_device_id", pt_pci_dev_get_subsystem_device_id(d), 4);
	put_hex(&o, "class_id", cls >> 8, 4);
	put_hex(&o, "prog_if", cls & 0xff, 2);
	put_hex(&o, "revision", pt_pci_dev_get_revision(d), 2);
	put_str(&o, "vendor_name", pt_pci_dev_get_vendor_name(d));
	put_str(&o, "device_name", pt_pci_dev_get_device_name(d));
	put_str(&o, "subsystem_vendor_name", pt_pci_dev_get_subsystem_vendor_name(d));
	put_str(&o, "subsystem_device_name", pt_pci_dev_get_subsystem_device_name(d));
	put_str(&o, "class_name", pt_pci_dev_get_class_name(d));
	put_str(&o, "driver", pt_pci_dev_get_driver(d));
	put_str(&o, "driver_override", pt_pci_dev_get_driver_override(d));
	put_int_or_null(&o, "iommu_group", pt_pci_dev_get_iommu_group(d), PT_NO_IOMMU_GROUP);
	put_int_or_null(&o, "numa_node", pt_pci_dev_get_numa_node(d), PT_NO_NUMA_NODE);
	put_str(&o, "physical_slot", pt_pci_dev_get_physical_slot(d));
	put_bool(&o, "bridge", pt_pci_dev_is_bridge(d));
	put_bool(&o, "boot_vga", pt_pci_dev_is_boot_vga(d));
	put_str(&o, "critical", pt_pci_dev_get_critical_reason(d));
	put_bool(&o, "candidate", !pt_pci_dev_is_bridge(d) &&
				  !pt_pci_dev_get_critical_reason(d));
	put_int(&o, "sriov_total_vfs", pt_pci_dev_get_sriov_totalvfs(d));
	put_int(&o, "sriov_num_vfs", pt_pci_dev_get_sriov_numvfs(d));
	put_array(&o, "vfs", &a);
	for (int i = 0; i < pt_pci_dev_get_sriov_numvfs(d); i++) {
		struct pt_pci_dev *vf = pt_pci_dev_get_virtfn(d, i);

		if (vf) {
			jw_next(&a);
			js_string(pt_pci_dev_get_bdf(vf));
		}
	}
	jw_close(&a, ']');
	put_str(&o, "physfn", pf ? pt_pci_dev_get_bdf(pf) : NULL);
	put_int_or_null(&o, "vf_index", pt_pci_dev_get_vf_index(d), -1);

	put_array(&o, "netdevs", &a);
	pt_netdev_foreach(d, nd) {
		struct jw n;

		jw_next(&a);
		jw_open(&n, a.level + 1, '{');
		put_str(&n, "name", pt_netdev_get_name(nd));
		put_str(&n, "address", pt_netdev_get_address(nd));
		put_str(&n, "operstate", pt_netdev_get_operstate(nd));
		put_int_or_null(&n, "mtu", pt_netdev_get_mtu(nd), -1);
		jw_close(&n, '}');
	}
	jw_close(&a, ']');

	put_bool(&o, "mdev_parent", pt_pci_dev_get_mdev_parent(d) != NULL);
	if (pt_pci_dev_has_nvidia_vgpu(d)) {
		/* a few GPUs: built as an object */
		struct json_object *v = json_object_new_object(), *ta;
		struct pt_vgpu_type *t;
		unsigned int cur = pt_pci_dev_get_current_vgpu_type(d);

		add(v, "current_vgpu_type", cur ? json_object_new_int64(cur) : NULL);
		ta = json_object_new_array();
		pt_vgpu_type_foreach(d, t) {
			struct json_object *to = json_object_new_object();

			add(to, "id", json_object_new_int64(pt_vgpu_type_get_id(t)));
			add(to, "name", json_object_new_string(pt_vgpu_type_get_name(t)));
			add(to, "profile", json_vgpu_profile(pt_vgpu_type_get_profile(t)));
			json_object_array_add(ta, to);
		}
		add(v, "creatable_vgpu_types", ta);
		put_json(&o, "nvidia_vgpu", v);
	} else {
		put_json(&o, "nvidia_vgpu", NULL);
	}
	item_end(js, &o);
}

void json_iommu_group(struct json_stream *js, struct pt_iommu_group *g)
{
	struct jw o, a;

	item_begin(js, &o);
	put_int(&o, "group", pt_iommu_group_get_number(g));
	put_bool(&o, "viable", pt_iommu_group_is_viable(g));
	put_array(&o, "members", &a);
	for (int i = 0; i < pt_iommu_group_get_num_members(g); i++) {
		jw_next(&a);
		js_string(pt_pci_dev_get_bdf(pt_iommu_group_get_member(g, i)));
	}
	jw_close(&a, ']');
	put_array(&o, "blockers", &a);
	for (int i = 0; i < pt_iommu_group_get_num_blockers(g); i++) {
		struct pt_pci_dev *b = pt_iommu_group_get_blocker(g, i);
		struct jw bo;

		jw_next(&a);
		jw_open(&bo, a.level + 1, '{');
		put_str(&bo, "slot", pt_pci_dev_get_bdf(b));
		put_str(&bo, "driver", pt_pci_dev_get_driver(b));
		jw_close(&bo, '}');
	}
	jw_close(&a, ']');
	item_end(js, &o);
}

void json_stream_array_end(struct json_stream *js)
{
	(void)js;
	fputs("\n  ]", stdout);
}

void json_stream_end(struct json_stream *js)
{
	(void)js;
	fputs("\n}\n", stdout);
	json_object_put(js_scratch);
	js_scratch = NULL;
}
