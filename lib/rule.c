// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Resource rule expressions: "FIELD OP VALUE [and FIELD OP VALUE]...".
 *
 * A lexer hands out bare words and "double quoted" values; the parser
 * checks each clause against the group type's fields (one static table,
 * below) and turns its value into the form the field's kind compares
 * with, so every mistake is reported at parse time with its column; the
 * evaluator asks the field's getter for the device's values and applies
 * the operator.
 *
 * Field kinds and how the operators apply to them (every field accepts
 * every operator; an operator never silently changes meaning):
 *   HEX4/HEX2  ids, written with or without 0x. eq..ge compare numbers;
 *              begins/ends/contains/icontains/regex see the canonical text,
 *              lower-case and zero-padded to 4 (USB class: 2) digits, so a
 *              value that could never appear there ("begins xyz") is an
 *              error rather than a rule that silently matches nothing.
 *   DEC        non-negative integers (IOMMU group, NUMA node, VF index,
 *              USB bus and devnum). Numbers for eq..ge, decimal text for the
 *              string operators. An absent value (no IOMMU group, no NUMA
 *              node) matches only "ne".
 *   NUM        USB speed in Mbit/s (may be 1.5); absent when unknown (0).
 *   STR        eq/ne exact; lt..ge numeric when both sides are numbers
 *              ("10" gt "9"), else byte-wise strcmp; begins/ends/contains
 *              case-sensitive, icontains not; regex POSIX ERE. An absent
 *              string (no driver) is "".
 *   BDF        PCI addresses: "03:00.0" means "0000:03:00.0". eq..ge
 *              compare the canonical address text, which orders as the
 *              addresses do; the string operators see that text too.
 * Multi-valued fields (vgpu type and type_name, sriov-nic pf, USB
 * interface_driver) are existential: a clause holds when any value
 * satisfies it; "ne" holds when no value equals. No value at all is
 * "absent", matching only "ne".
 *
 * Quoting: inside "..." a backslash escapes '"' and '\'; before any other
 * character it stays a backslash (as in sh), so regex "a\.b" means a\.b.
 * Bare words are taken literally. Columns in errors count bytes from 1.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy.h"

/* ---- values produced by the field getters ------------------------------- */

struct val {
	char *text;		/* canonical text */
	double num;		/* HEX, DEC, NUM kinds */
};

struct vals {
	struct val *v;
	size_t n, cap;
};

static void vals_clear(struct vals *vs)
{
	for (size_t i = 0; i < vs->n; i++)
		free(vs->v[i].text);
	vs->n = 0;
}

static void vals_free(struct vals *vs)
{
	vals_clear(vs);
	free(vs->v);
	vs->v = NULL;
	vs->cap = 0;
}

static int vals_add(struct vals *vs, const char *text, double num)
{
	if (vs->n == vs->cap) {
		size_t cap = vs->cap ? vs->cap * 2 : 4;
		struct val *nv = realloc(vs->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		vs->v = nv;
		vs->cap = cap;
	}
	vs->v[vs->n].text = strdup(text);
	if (!vs->v[vs->n].text)
		return -ENOMEM;
	vs->v[vs->n].num = num;
	vs->n++;
	return 0;
}

/* Multi-valued fields: each text once. */
static int vals_add_unique(struct vals *vs, const char *text)
{
	for (size_t i = 0; i < vs->n; i++)
		if (!strcmp(vs->v[i].text, text))
			return 0;
	return vals_add(vs, text, 0);
}

static int vals_add_str(struct vals *vs, const char *s)
{
	return vals_add(vs, s ? s : "", 0);
}

/* "%0*lx" without snprintf: the index asks for an id per rule set and device */
static int vals_add_hex(struct vals *vs, unsigned long v, int width)
{
	static const char hex[] = "0123456789abcdef";
	char buf[24], *p = buf + sizeof(buf) - 1;
	int n = 0;

	*p = '\0';
	do {
		*--p = hex[(v >> (4 * n)) & 0xf];
		n++;
	} while (n < 16 && (n < width || (v >> (4 * n))));
	return vals_add(vs, p, (double)v);
}

static int vals_add_dec(struct vals *vs, long v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%ld", v);
	return vals_add(vs, buf, (double)v);
}

static int vals_add_num(struct vals *vs, double v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%g", v);
	return vals_add(vs, buf, v);
}

/* ---- field getters ------------------------------------------------------ */

static struct pt_pci_dev *view_pf(const struct pt_dev_view *v)
{
	struct pt_pci_dev *pf = pt_pci_dev_get_physfn(v->pci);

	return pf ? pf : v->pci;
}

/* The text pt scan shows in its NAME column. */
static int get_name(const struct pt_dev_view *v, struct vals *vs)
{
	return vals_add(vs, pt_pci_dev_get_display_name(v->pci), 0);
}

static int get_vendor(const struct pt_dev_view *v, struct vals *vs)
{
	return vals_add_str(vs, pt_pci_dev_get_vendor_name(v->pci));
}

static int get_device(const struct pt_dev_view *v, struct vals *vs)
{
	return vals_add_str(vs, pt_pci_dev_get_device_name(v->pci));
}

static int get_vendor_id(const struct pt_dev_view *v, struct vals *vs)
{
	return vals_add_hex(vs, pt_pci_dev_get_vendor_id(v->pci), 4);
}

static int get_device_id(const struct pt_dev_view *v, struct vals *vs)
{
	return vals_add_hex(vs, pt_pci_dev_get_device_id(v->pci), 4);
}

static int get_subsys_vendor_id(const struct pt_dev_view *v, struct vals *vs)
{
	return vals_add_hex(vs, pt_pci_dev_get_subsystem_vendor_id(v->pci), 4);
}

static int get_subsys_device_id(const struct pt_dev_view *v, struct vals *vs)
{
	return vals_add_hex(vs, pt_pci_dev_get_subsystem_device_id(v->pci), 4);
}

static int get_class(const struct pt_dev_view *v, struct vals *vs)
{
	return vals_add_str(vs, pt_pci_dev_get_class_name(v->pci));
}

/* Base class and subclass, as lspci -nn shows them: "0300". */
static int get_class_id(const struct pt_dev_view *v, struct vals *vs)
{
	return vals_add_hex(vs, pt_pci_dev_get_class(v->pci) >> 8, 4);
}

static int get_slot(const struct pt_dev_view *v, struct vals *vs)
{
	return vals_add_str(vs, pt_pci_dev_get_bdf(v->pci));
}

static int get_physical_slot(const struct pt_dev_view *v, struct vals *vs)
{
	return vals_add_str(vs, pt_pci_dev_get_physical_slot(v->pci));
}

static int get_driver(const struct pt_dev_view *v, struct vals *vs)
{
	return vals_add_str(vs, pt_pci_dev_get_driver(v->pci));
}

static int get_iommu_group(const struct pt_dev_view *v, struct vals *vs)
{
	int g = pt_pci_dev_get_iommu_group(v->pci);

	return g < 0 ? 0 : vals_add_dec(vs, g);
}

static int get_numa_node(const struct pt_dev_view *v, struct vals *vs)
{
	int n = pt_pci_dev_get_numa_node(v->pci);

	return n < 0 ? 0 : vals_add_dec(vs, n);
}

/* The PF's BDF: physical_function (vgpu), pf_slot (sriov-nic). */
static int get_pf_slot(const struct pt_dev_view *v, struct vals *vs)
{
	return vals_add_str(vs, pt_pci_dev_get_bdf(view_pf(v)));
}

/* virtual_function (vgpu), vf_index (sriov-nic): the VF considered. */
static int get_vf_index(const struct pt_dev_view *v, struct vals *vs)
{
	return v->vf_index < 0 ? 0 : vals_add_dec(vs, v->vf_index);
}

/*
 * vgpu type ids / names: every type the GPU offers, on itself or on its
 * VFs (mdev types, NVIDIA per-VF types with ids as decimal text); and the
 * NVIDIA profile fields of those types (vgpu-profile.c). They describe the
 * GPU, whichever VF is considered.
 */
enum vgpu_what { VG_ID, VG_NAME, VG_BOARD, VG_FB, VG_SERIES, VG_SLICES, VG_MEDIA, VG_MIG };

struct vgpu_vals {
	struct vals *vs;
	enum vgpu_what what;
};

static int vgpu_offer_val(const struct pt_vgpu_offer *o, void *data)
{
	struct vgpu_vals *vv = data;
	const struct pt_vgpu_profile *p = o->profile;
	char buf[16];

	switch (vv->what) {
	case VG_ID:
		return vals_add_unique(vv->vs, o->id);
	case VG_NAME:
		return o->name ? vals_add_unique(vv->vs, o->name) : 0;
	default:
		break;
	}
	if (!p)
		return 0;
	switch (vv->what) {
	case VG_BOARD:
		return vals_add_unique(vv->vs, p->board);
	case VG_SERIES:
		snprintf(buf, sizeof(buf), "%c", p->series);
		return vals_add_unique(vv->vs, buf);
	case VG_MEDIA:
		return p->media[0] ? vals_add_unique(vv->vs, p->media) : 0;
	case VG_MIG:
		return vals_add_unique(vv->vs, p->slices ? "yes" : "no");
	case VG_FB:
	case VG_SLICES: {
		int n = vv->what == VG_FB ? p->fb_gb : p->slices;

		if (vv->what == VG_SLICES && !n)
			return 0;
		snprintf(buf, sizeof(buf), "%d", n);
		for (size_t i = 0; i < vv->vs->n; i++)
			if (!strcmp(vv->vs->v[i].text, buf))
				return 0;
		return vals_add_dec(vv->vs, n);
	}
	default:
		return 0;
	}
}

static int vgpu_vals(const struct pt_dev_view *v, struct vals *vs, enum vgpu_what what)
{
	struct vgpu_vals vv = { .vs = vs, .what = what };

	if (!v->pci) {
		/* an mdev parent that is no PCI function (mtty): its types' ids and names */
		struct pt_mdev_type *t;
		int r = 0;

		pt_mdev_type_foreach(v->mdev, t) {
			const char *s = what == VG_ID ? pt_mdev_type_get_id(t) :
					what == VG_NAME ? pt_mdev_type_get_name(t) : NULL;

			if (s && (r = vals_add_unique(vs, s)) < 0)
				break;
		}
		return r;
	}
	return pt__vgpu_foreach_offer(v->pci, vgpu_offer_val, &vv);
}

/* vgpu: the sysfs name of the mdev parent (a BDF, or "mtty" for a virtual one). */
static int get_mdev_parent(const struct pt_dev_view *v, struct vals *vs)
{
	struct pt_mdev_parent *p = v->pci ? pt_pci_dev_get_mdev_parent(v->pci) : v->mdev;

	return p ? vals_add_str(vs, pt_mdev_parent_get_name(p)) : 0;
}

static int get_type(const struct pt_dev_view *v, struct vals *vs)
{
	return vgpu_vals(v, vs, VG_ID);
}

static int get_type_name(const struct pt_dev_view *v, struct vals *vs)
{
	return vgpu_vals(v, vs, VG_NAME);
}

static int get_profile_board(const struct pt_dev_view *v, struct vals *vs)
{
	return vgpu_vals(v, vs, VG_BOARD);
}

static int get_profile_fb_gb(const struct pt_dev_view *v, struct vals *vs)
{
	return vgpu_vals(v, vs, VG_FB);
}

static int get_profile_series(const struct pt_dev_view *v, struct vals *vs)
{
	return vgpu_vals(v, vs, VG_SERIES);
}

static int get_profile_slices(const struct pt_dev_view *v, struct vals *vs)
{
	return vgpu_vals(v, vs, VG_SLICES);
}

static int get_profile_media(const struct pt_dev_view *v, struct vals *vs)
{
	return vgpu_vals(v, vs, VG_MEDIA);
}

static int get_mig(const struct pt_dev_view *v, struct vals *vs)
{
	return vgpu_vals(v, vs, VG_MIG);
}

/* sriov-nic pf: the PF's network interfaces. */
static int get_pf(const struct pt_dev_view *v, struct vals *vs)
{
	struct pt_netdev *nd;
	int r;

	pt_netdev_foreach(view_pf(v), nd)
		if ((r = vals_add_unique(vs, pt_netdev_get_name(nd))) < 0)
			return r;
	return 0;
}

static int get_usb_bus(const struct pt_dev_view *v, struct vals *vs)
{
	return vals_add_dec(vs, pt_usb_dev_get_busnum(v->usb));
}

static int get_usb_devnum(const struct pt_dev_view *v, struct vals *vs)
{
	return vals_add_dec(vs, pt_usb_dev_get_devnum(v->usb));
}

static int get_usb_port_path(const struct pt_dev_view *v, struct vals *vs)
{
	return vals_add_str(vs, pt_usb_dev_get_port_path(v->usb));
}

static int get_usb_vendor_id(const struct pt_dev_view *v, struct vals *vs)
{
	return vals_add_hex(vs, pt_usb_dev_get_vendor_id(v->usb), 4);
}

static int get_usb_product_id(const struct pt_dev_view *v, struct vals *vs)
{
	return vals_add_hex(vs, pt_usb_dev_get_product_id(v->usb), 4);
}

/* As pt scan shows them: the device's own strings, else usb.ids names. */
static int get_usb_vendor(const struct pt_dev_view *v, struct vals *vs)
{
	const char *s = pt_usb_dev_get_manufacturer(v->usb);

	return vals_add_str(vs, s ? s : pt_usb_dev_get_vendor_name(v->usb));
}

static int get_usb_product(const struct pt_dev_view *v, struct vals *vs)
{
	const char *s = pt_usb_dev_get_product(v->usb);

	return vals_add_str(vs, s ? s : pt_usb_dev_get_product_name(v->usb));
}

static int get_usb_serial(const struct pt_dev_view *v, struct vals *vs)
{
	return vals_add_str(vs, pt_usb_dev_get_serial(v->usb));
}

static int get_usb_version(const struct pt_dev_view *v, struct vals *vs)
{
	return vals_add_str(vs, pt_usb_dev_get_usb_version(v->usb));
}

static int get_usb_speed(const struct pt_dev_view *v, struct vals *vs)
{
	double s = pt_usb_dev_get_speed(v->usb);

	return s > 0 ? vals_add_num(vs, s) : 0;
}

static int get_usb_class(const struct pt_dev_view *v, struct vals *vs)
{
	return vals_add_hex(vs, pt_usb_dev_get_class(v->usb), 2);
}

/* Each interface's driver, "" for an unbound one. */
static int get_usb_interface_driver(const struct pt_dev_view *v, struct vals *vs)
{
	int r;

	for (int i = 0; i < pt_usb_dev_get_num_interfaces(v->usb); i++) {
		const char *d = pt_usb_dev_get_interface_driver(v->usb, i);

		if ((r = vals_add_unique(vs, d ? d : "")) < 0)
			return r;
	}
	return 0;
}

/* ---- the field table ---------------------------------------------------- */

enum kind { K_HEX4, K_HEX2, K_DEC, K_NUM, K_STR, K_BDF };

#define T_PCI	(1u << PT_GROUP_PCI)
#define T_VGPU	(1u << PT_GROUP_VGPU)
#define T_NIC	(1u << PT_GROUP_SRIOV_NIC)
#define T_USB	(1u << PT_GROUP_USB)
#define T_PCIS	(T_PCI | T_VGPU | T_NIC)

#define F_VF		0x1	/* selects VFs; skipped when vf_index is -1 */
#define F_VOLATILE	0x2	/* changes on re-plug or reboot */
#define F_MDEV		0x4	/* has values for an mdev parent that is no PCI function */

struct field {
	const char *name;
	enum kind kind;
	unsigned int types;
	unsigned int flags;
	int (*get)(const struct pt_dev_view *v, struct vals *vs);
};

/*
 * Filtered by type, the table lists each type's fields in the order
 * pt_rule_fields() gives them (the order of the issue); a unit test checks
 * the two agree.
 */
static const struct field fields[] = {
	{ "name", K_STR, T_PCIS, 0, get_name },
	{ "vendor", K_STR, T_PCIS, 0, get_vendor },
	{ "device", K_STR, T_PCIS, 0, get_device },
	{ "vendor_id", K_HEX4, T_PCIS, 0, get_vendor_id },
	{ "device_id", K_HEX4, T_PCIS, 0, get_device_id },
	{ "subsystem_vendor_id", K_HEX4, T_PCIS, 0, get_subsys_vendor_id },
	{ "subsystem_device_id", K_HEX4, T_PCIS, 0, get_subsys_device_id },
	{ "class", K_STR, T_PCIS, 0, get_class },
	{ "class_id", K_HEX4, T_PCIS, 0, get_class_id },
	{ "slot", K_BDF, T_PCIS, 0, get_slot },
	{ "physical_slot", K_STR, T_PCIS, 0, get_physical_slot },
	{ "driver", K_STR, T_PCIS, 0, get_driver },
	{ "iommu_group", K_DEC, T_PCIS, 0, get_iommu_group },
	{ "numa_node", K_DEC, T_PCIS, 0, get_numa_node },
	{ "type", K_STR, T_VGPU, F_MDEV, get_type },
	{ "type_name", K_STR, T_VGPU, F_MDEV, get_type_name },
	{ "mdev_parent", K_STR, T_VGPU, F_MDEV, get_mdev_parent },
	{ "physical_function", K_BDF, T_VGPU, 0, get_pf_slot },
	{ "virtual_function", K_DEC, T_VGPU, F_VF, get_vf_index },
	{ "profile_board", K_STR, T_VGPU, 0, get_profile_board },
	{ "profile_fb_gb", K_DEC, T_VGPU, 0, get_profile_fb_gb },
	{ "profile_series", K_STR, T_VGPU, 0, get_profile_series },
	{ "profile_slices", K_DEC, T_VGPU, 0, get_profile_slices },
	{ "profile_media", K_STR, T_VGPU, 0, get_profile_media },
	{ "mig", K_STR, T_VGPU, 0, get_mig },
	{ "pf", K_STR, T_NIC, 0, get_pf },
	{ "pf_slot", K_BDF, T_NIC, 0, get_pf_slot },
	{ "vf_index", K_DEC, T_NIC, F_VF, get_vf_index },
	{ "bus", K_DEC, T_USB, F_VOLATILE, get_usb_bus },
	{ "devnum", K_DEC, T_USB, F_VOLATILE, get_usb_devnum },
	{ "port_path", K_STR, T_USB, 0, get_usb_port_path },
	{ "vendor_id", K_HEX4, T_USB, 0, get_usb_vendor_id },
	{ "product_id", K_HEX4, T_USB, 0, get_usb_product_id },
	{ "vendor", K_STR, T_USB, 0, get_usb_vendor },
	{ "product", K_STR, T_USB, 0, get_usb_product },
	{ "serial", K_STR, T_USB, 0, get_usb_serial },
	{ "usb_version", K_STR, T_USB, 0, get_usb_version },
	{ "speed", K_NUM, T_USB, 0, get_usb_speed },
	{ "class", K_HEX2, T_USB, 0, get_usb_class },
	{ "interface_driver", K_STR, T_USB, 0, get_usb_interface_driver },
};

/* A field's values; a PCI field has none on an mdev parent that is no PCI function. */
static int field_get(const struct field *f, const struct pt_dev_view *v, struct vals *vs)
{
	if (v->type != PT_GROUP_USB && !v->pci && !(f->flags & F_MDEV))
		return 0;
	return f->get(v, vs);
}

#define PCI_FIELDS "name", "vendor", "device", "vendor_id", "device_id",	\
	"subsystem_vendor_id", "subsystem_device_id", "class", "class_id",	\
	"slot", "physical_slot", "driver", "iommu_group", "numa_node"

static const char *const pci_fields[] = { PCI_FIELDS, NULL };
static const char *const vgpu_fields[] = {
	PCI_FIELDS, "type", "type_name", "mdev_parent", "physical_function",
	"virtual_function", "profile_board", "profile_fb_gb", "profile_series",
	"profile_slices", "profile_media", "mig", NULL
};
static const char *const nic_fields[] = {
	PCI_FIELDS, "pf", "pf_slot", "vf_index", NULL
};
static const char *const usb_fields[] = {
	"bus", "devnum", "port_path", "vendor_id", "product_id", "vendor",
	"product", "serial", "usb_version", "speed", "class",
	"interface_driver", NULL
};

PT_EXPORT const char *const *pt_rule_fields(enum pt_group_type type)
{
	switch (type) {
	case PT_GROUP_PCI:
		return pci_fields;
	case PT_GROUP_VGPU:
		return vgpu_fields;
	case PT_GROUP_SRIOV_NIC:
		return nic_fields;
	case PT_GROUP_USB:
		return usb_fields;
	}
	return NULL;
}

static const char *type_word(enum pt_group_type type)
{
	const char *n = pt_group_type_name(type);

	return n ? n : "unknown";
}

/* The field, or NULL; *other_types: the types that have a field so named. */
static const struct field *field_lookup(const char *name, enum pt_group_type type,
					unsigned int *other_types)
{
	*other_types = 0;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (fields[i].name[0] != name[0] || strcmp(fields[i].name, name))
			continue;
		if (fields[i].types & (1u << type))
			return &fields[i];
		*other_types |= fields[i].types;
	}
	return NULL;
}

/* ---- operators ---------------------------------------------------------- */

enum op {
	OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
	OP_BEGINS, OP_ENDS, OP_CONTAINS, OP_ICONTAINS, OP_REGEX,
};

static const char *const op_names[] = {
	"eq", "ne", "lt", "le", "gt", "ge",
	"begins", "ends", "contains", "icontains", "regex", NULL
};

#define OPS_LIST "eq ne lt le gt ge begins ends contains icontains regex"

/* What people write from other languages, for the did-you-mean. */
static const struct {
	const char *alias;
	const char *op;
} op_aliases[] = {
	{ "=", "eq" }, { "==", "eq" }, { "is", "eq" }, { "equal", "eq" },
	{ "equals", "eq" },
	{ "!=", "ne" }, { "<>", "ne" }, { "not", "ne" },
	{ "<", "lt" }, { "<=", "le" }, { ">", "gt" }, { ">=", "ge" },
	{ "=~", "regex" }, { "~", "regex" }, { "match", "regex" },
	{ "matches", "regex" }, { "like", "regex" },
	{ "starts", "begins" }, { "startswith", "begins" },
	{ "beginswith", "begins" },
	{ "prefix", "begins" }, { "endswith", "ends" }, { "suffix", "ends" },
	{ "has", "contains" }, { "includes", "contains" },
	{ "in", "contains" },
};

/* ---- the parsed expression ---------------------------------------------- */

struct clause {
	const struct field *f;
	enum op op;
	char *src;		/* "device_id eq 20b0", as written */
	char *text;		/* the value, in the form the kind compares (in src's block) */
	double num;		/* numeric value (HEX, DEC, NUM; STR when is_num) */
	bool is_num;
	regex_t *re;		/* regex only: most clauses have none */
};

struct pt_rule_expr {
	enum pt_group_type type;
	struct clause *c;	/* in the same block, after the expression */
	size_t n, cap;
	/* then the clauses' texts (src and value), in the same block */
};

void pt__rule_free(struct pt_rule_expr *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++) {
		if (e->c[i].re) {
			regfree(e->c[i].re);
			free(e->c[i].re);
		}
	}
	free(e);
}

/* ---- lexer -------------------------------------------------------------- */

struct token {
	const char *start, *end;	/* source span, quotes included */
	char *text;			/* unescaped: buf, or malloc'd when longer */
	bool quoted;
	char buf[32];			/* a field, an operator, "and", an id */
};

static void token_free(struct token *t)
{
	if (t->text != t->buf)
		free(t->text);
	t->text = NULL;
}


struct parser {
	const char *src;
	const char *p;
	char *err;
	size_t errlen;
	enum pt_group_type type;
	char *pool;		/* room for the clauses' texts, in the expression's block */
	size_t pool_left;
};

static int col(struct parser *ps, const char *at)
{
	return (int)(at - ps->src) + 1;
}

static int __attribute__((format(printf, 3, 4)))
perr(struct parser *ps, const char *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!ps->err || !ps->errlen)
		return -EINVAL;
	n = snprintf(ps->err, ps->errlen, "column %d: ", col(ps, at));
	if (n >= 0 && (size_t)n < ps->errlen) {
		va_start(ap, fmt);
		vsnprintf(ps->err + n, ps->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	       c == '\v';
}

/* 1: a token, 0: end of text, or -errno. */
static int next_token(struct parser *ps, struct token *t)
{
	const char *p = ps->p, *q;
	char *out;

	while (is_space(*p))
		p++;
	ps->p = p;
	if (!*p)
		return 0;
	t->start = p;
	if (*p == '"') {
		out = t->text = malloc(strlen(p) + 1);
		if (!out)
			return -ENOMEM;
		for (q = p + 1; *q && *q != '"'; q++) {
			if (*q == '\\' && (q[1] == '"' || q[1] == '\\'))
				q++;
			*out++ = *q;
		}
		*out = '\0';
		if (!*q) {
			free(t->text);
			t->text = NULL;
			return perr(ps, p, "unterminated quote; end the value with \"");
		}
		q++;
		if (*q && !is_space(*q)) {
			free(t->text);
			t->text = NULL;
			return perr(ps, q, "expected a space after the closing quote; "
				    "quote the whole value");
		}
		t->quoted = true;
	} else {
		for (q = p; *q && !is_space(*q); q++) {
			if (*q == '"')
				return perr(ps, q, "quote inside a bare word; "
					    "quote the whole value (\"...\")");
		}
		/* most words are short: no allocation for them */
		if ((size_t)(q - p) < sizeof(t->buf)) {
			memcpy(t->buf, p, q - p);
			t->buf[q - p] = '\0';
			t->text = t->buf;
		} else if (!(t->text = strndup(p, q - p))) {
			return -ENOMEM;
		}
		t->quoted = false;
	}
	t->end = q;
	ps->p = q;
	return 1;
}

/* Is the next token there (without consuming it)? */
static bool more_tokens(struct parser *ps)
{
	const char *p = ps->p;

	while (is_space(*p))
		p++;
	return *p != '\0';
}

/* ---- value parsing ------------------------------------------------------ */

static int hex_width(enum kind k)
{
	return k == K_HEX2 ? 2 : 4;
}

/* 0, -EINVAL (not hex), -ERANGE (too large). */
static int parse_hex(const char *s, enum kind k, unsigned long *out)
{
	unsigned long max = k == K_HEX2 ? 0xff : 0xffff;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (!*s)
		return -EINVAL;
	for (const char *p = s; *p; p++)
		if (!isxdigit((unsigned char)*p))
			return -EINVAL;
	/* as strtoul(s, 16) then a range check, without the locale */
	*out = 0;
	for (const char *p = s; *p; p++) {
		unsigned int d = *p <= '9' ? *p - '0' : (*p | 0x20) - 'a' + 10;

		*out = *out * 16 + d;
		if (*out > max)
			return -ERANGE;
	}
	return 0;
}

/* Non-negative decimal integers: 0, -EINVAL, -ERANGE. */
static int parse_dec(const char *s, long *out)
{
	char *end;

	if (!*s)
		return -EINVAL;
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
	errno = 0;
	*out = strtol(s, &end, 10);
	if (errno || *out > INT_MAX)
		return -ERANGE;
	return 0;
}

/* "12", "-3", "1.5", ".5", "2.00": whole text; no exponents, hex or inf. */
static bool parse_number(const char *s, double *out)
{
	const char *p = s;
	bool digits = false;
	char *end;

	if (*p == '-' || *p == '+')
		p++;
	while (isdigit((unsigned char)*p)) {
		p++;
		digits = true;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			p++;
			digits = true;
		}
	}
	if (!digits || *p)
		return false;
	*out = strtod(s, &end);
	return *end == '\0' && isfinite(*out);
}

/* "0000:03:00.0" or "03:00.0", any case, to the canonical full form. */
static bool normalize_bdf(const char *s, char out[PT_BDF_LEN])
{
	size_t len = strlen(s);

	if (len == 7)
		snprintf(out, PT_BDF_LEN, "0000:%s", s);
	else if (len == PT_BDF_LEN - 1)
		memcpy(out, s, PT_BDF_LEN);
	else
		return false;
	for (char *p = out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return pt__bdf_is_valid(out);
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static bool only_chars(const char *s, const char *set)
{
	return s[strspn(s, set)] == '\0';
}

static int bad_hex(struct parser *ps, const char *at, const char *value,
		   const struct field *f)
{
	return perr(ps, at, "'%s' is not a hex id; write it like %s", value,
		    f->kind == K_HEX2 ? "03 or 0x03" : "10de or 0x10de");
}

static int bad_number(struct parser *ps, const char *at, const char *value,
		      const struct field *f)
{
	if (f->kind == K_NUM)
		return perr(ps, at, "'%s' is not a number; write %s in Mbit/s "
			    "like 480 or 1.5", value, f->name);
	return perr(ps, at, "'%s' is not a decimal number; write %s as a "
		    "whole number like 14", value, f->name);
}

/* Where in the source the k-th byte of a token's text came from. */
static const char *token_src(const struct token *t, size_t k)
{
	const char *q;

	if (!t->quoted)
		return t->start + k;
	for (q = t->start + 1; *q && *q != '"'; q++) {
		const char *at = q;

		if (*q == '\\' && (q[1] == '"' || q[1] == '\\'))
			q++;
		if (k-- == 0)
			return at;
	}
	return q;
}

/* Index of the ']' closing the bracket expression opened at re[i] (or of
 * the terminating NUL): "[]" and "[^]" take that ']' as a member, and
 * [:alpha:], [=a=], [.hyphen.] are skipped whole. */
static size_t bracket_end(const char *re, size_t i)
{
	i++;
	if (re[i] == '^')
		i++;
	if (re[i] == ']')
		i++;
	for (; re[i] && re[i] != ']'; i++) {
		if (re[i] == '[' && (re[i + 1] == ':' || re[i + 1] == '=' ||
				     re[i + 1] == '.')) {
			char close = re[i + 1];
			const char *end = strchr(re + i + 2, close);

			while (end && end[1] != ']')
				end = strchr(end + 1, close);
			if (end)
				i = (size_t)(end + 1 - re);
		}
	}
	return i;
}

/*
 * glibc's regcomp() copies a repeated item once per repetition ("a{9}" is
 * nine nodes, "a+" two) and copies copies when repetitions stack or nest,
 * and its parser recurses once per parenthesis. Measured on a test host:
 * a regex that compiles to 1,000 nodes takes 1 ms, 4,000 nodes 18 ms,
 * "a" followed by 18 '+' 2.6 s; 20,000 nested parentheses overflow the
 * stack. A rule is compiled by every command that reads it, so a rule's
 * regex is held to REGEX_MAX_NODES (estimated the way glibc expands it)
 * and REGEX_MAX_DEPTH parentheses.
 */
#define REGEX_MAX_NODES 1000
#define REGEX_MAX_DEPTH 32

static size_t sat_mul(size_t a, size_t b)
{
	return a && b > (REGEX_MAX_NODES + 1) / a ? REGEX_MAX_NODES + 1 :
		a * b;
}

static size_t sat_add(size_t a, size_t b)
{
	return a + b > REGEX_MAX_NODES + 1 ? REGEX_MAX_NODES + 1 : a + b;
}

/* "{m}", "{m,}", "{,n}", "{m,n}" at re[i]: its bounds (n is SIZE_MAX when
 * open) and the index of its '}'; false when it is not an interval (then
 * '{' is literal). Numbers are capped: glibc refuses more than 32767. */
static bool parse_interval(const char *re, size_t i, size_t *m, size_t *n,
			   size_t *close)
{
	size_t j = i + 1;
	bool has_m = false, has_n = false;

	*m = *n = 0;
	for (; re[j] >= '0' && re[j] <= '9'; j++) {
		has_m = true;
		*m = *m < 100000 ? *m * 10 + (size_t)(re[j] - '0') : *m;
	}
	if (re[j] == ',') {
		for (j++; re[j] >= '0' && re[j] <= '9'; j++) {
			has_n = true;
			*n = *n < 100000 ? *n * 10 + (size_t)(re[j] - '0') : *n;
		}
		if (!has_n)
			*n = SIZE_MAX;
	} else {
		*n = *m;
	}
	if (re[j] != '}' || (!has_m && !has_n))
		return false;
	*close = j;
	return true;
}

/* One level of parentheses while a regex is checked. */
struct re_frame {
	size_t total;		/* nodes so far */
	size_t last;		/* nodes of the last item (what a quantifier repeats) */
	bool last_empty;	/* the last item can match the empty string */
	bool seq_empty;		/* so can the current alternative so far */
	bool seq_before;	/* ... without its last item */
	bool alt_empty;		/* so can one of the finished alternatives */
};

static void re_item(struct re_frame *f, size_t nodes, bool empty)
{
	f->last = nodes;
	f->last_empty = empty;
	f->seq_before = f->seq_empty;
	f->seq_empty = f->seq_empty && empty;
	f->total = sat_add(f->total, nodes);
}

#define REGEX_SEE " (passthru.conf(5), Regular expressions)"

/*
 * POSIX extended regular expressions have no backreferences, but glibc's
 * regcomp(REG_EXTENDED) takes \1 to \9 as one, and matching them can take
 * time exponential in the subject: "(.*)(.*)(.*)(.*)(.*)\5\4\3\2\1#" took
 * 16 s per group on a test host. Refuse them, at their column; a '\'
 * inside a bracket expression is literal ("[\1]" is '\' or '1'). Refuse
 * too what makes regcomp() itself slow or crash: more than
 * REGEX_MAX_NODES (above), two duplication symbols in a row (undefined in
 * POSIX; ".????++++++++" took glibc 52 s), and a repetition of what can
 * match the empty string without bound ("((.?)+)?" 16 times in a row
 * took 121 ms, 32 times more than five minutes, where it was stopped:
 * glibc's epsilon closures grow exponentially with them; "(x?)+" is
 * "x*").
 */
static int check_regex_dialect(struct parser *ps, const struct token *t,
			       const char *re)
{
	struct re_frame fr[REGEX_MAX_DEPTH + 1], *f = fr;
	size_t depth = 0, m, n, close, copies;
	bool after_quant = false, quant;

	memset(fr, 0, sizeof(fr));
	f->seq_empty = true;
	for (size_t i = 0; re[i]; i++) {
		size_t at = i;

		quant = false;
		switch (re[i]) {
		case '[':
			i = bracket_end(re, i);
			re_item(f, 1, false);
			if (!re[i])
				i--;	/* unterminated: regcomp says so */
			break;
		case '(':
			if (depth == REGEX_MAX_DEPTH)
				return perr(ps, token_src(t, i), "regex '%s' nests "
					    "parentheses more than %d deep; write "
					    "it flatter" REGEX_SEE, re, REGEX_MAX_DEPTH);
			f = &fr[++depth];
			memset(f, 0, sizeof(*f));
			f->seq_empty = true;
			break;
		case ')': {
			bool empty;

			if (!depth) {	/* a literal ')' in ERE */
				re_item(f, 1, false);
				break;
			}
			empty = f->alt_empty || f->seq_empty;
			m = f->total;
			f = &fr[--depth];
			re_item(f, sat_add(m, 1), empty);
			break;
		}
		case '|':
			f->alt_empty = f->alt_empty || f->seq_empty;
			f->seq_empty = true;
			f->last = 0;
			break;
		case '^':
		case '$':
			re_item(f, 1, true);	/* anchors match no character */
			break;
		case '*':
		case '+':
		case '?':
		case '{':
			if (re[i] == '{') {
				if (!parse_interval(re, i, &m, &n, &close)) {
					re_item(f, 1, false);	/* a literal '{' */
					break;
				}
				i = close;
			} else {
				m = re[i] == '+';
				n = re[i] == '?' ? 1 : SIZE_MAX;
			}
			if (!f->last)	/* nothing to repeat: regcomp decides */
				break;
			quant = true;
			if (after_quant)
				return perr(ps, token_src(t, at), "regex '%s': '%c' "
					    "repeats a repetition, which POSIX leaves "
					    "undefined and which makes compiling slow; "
					    "write one repetition" REGEX_SEE, re, re[at]);
			if (n == SIZE_MAX && f->last_empty)
				return perr(ps, token_src(t, at), "regex '%s': '%c' "
					    "repeats something that can match the empty "
					    "string, which makes compiling take "
					    "exponential time; make the repeated part "
					    "match at least one character (\"(x?)+\" is "
					    "\"x*\")" REGEX_SEE, re, re[at]);
			/* glibc makes m copies, and two per optional one */
			if (n == SIZE_MAX)
				copies = m + 1;
			else
				copies = m + 2 * (n > m ? n - m : 0);
			if (copies < 1)
				copies = 1;
			f->total = sat_add(f->total - f->last,
					   sat_mul(f->last, copies));
			f->last = sat_mul(f->last, copies);
			if (!m) {
				f->last_empty = true;
				f->seq_empty = f->seq_before;
			}
			break;
		case '\\':
			if (re[i + 1] >= '1' && re[i + 1] <= '9')
				return perr(ps, token_src(t, i), "regex '%s': \\%c is "
					    "a backreference, which POSIX extended "
					    "regular expressions do not have and which "
					    "can make matching take exponential time; "
					    "match the text itself" REGEX_SEE, re,
					    re[i + 1]);
			if (re[i + 1])
				i++;
			re_item(f, 1, false);
			break;
		default:
			re_item(f, 1, false);
			break;
		}
		after_quant = quant;
		if (f->total > REGEX_MAX_NODES)
			break;
	}
	for (; depth; depth--)	/* unbalanced: count what is open */
		fr[depth - 1].total = sat_add(fr[depth - 1].total, fr[depth].total);
	if (fr[0].total > REGEX_MAX_NODES)
		return perr(ps, t->start, "regex '%s' compiles to more than %d "
			    "nodes (each repetition copies what it repeats, and "
			    "repetitions of repetitions multiply); use fewer or "
			    "smaller repetitions" REGEX_SEE, re, REGEX_MAX_NODES);
	return 0;
}

/*
 * Turn the value token into the clause's compared form. Takes ownership
 * of t->text.
 */
static int parse_value(struct parser *ps, struct clause *c, struct token *t)
{
	const struct field *f = c->f;
	char bdf[PT_BDF_LEN];
	regex_t *re;
	unsigned long h;
	long d;
	int r;


	if (c->op == OP_REGEX) {
		r = check_regex_dialect(ps, t, c->text);
		if (r < 0)
			return r;
		re = malloc(sizeof(*re));
		if (!re)
			return -ENOMEM;
		r = regcomp(re, c->text, REG_EXTENDED | REG_NOSUB);
		if (r) {
			char msg[256];

			regerror(r, re, msg, sizeof(msg));
			free(re);
			return perr(ps, t->start, "bad regex '%s': %s; write a POSIX "
				    "extended regular expression (regex(7))",
				    c->text, msg);
		}
		c->re = re;
		return 0;
	}

	if (c->op <= OP_GE) {
		switch (f->kind) {
		case K_HEX4:
		case K_HEX2:
			r = parse_hex(c->text, f->kind, &h);
			if (r == -ERANGE)
				return perr(ps, t->start, "'%s' is too large for %s; "
					    "it has %d hex digits", c->text, f->name,
					    hex_width(f->kind));
			if (r < 0)
				return bad_hex(ps, t->start, c->text, f);
			c->num = (double)h;
			c->is_num = true;
			return 0;
		case K_DEC:
			r = parse_dec(c->text, &d);
			if (r == -ERANGE)
				return perr(ps, t->start, "'%s' is too large for %s",
					    c->text, f->name);
			if (r < 0)
				return bad_number(ps, t->start, c->text, f);
			c->num = (double)d;
			c->is_num = true;
			return 0;
		case K_NUM:
			if (!parse_number(c->text, &c->num) || c->num < 0)
				return bad_number(ps, t->start, c->text, f);
			c->is_num = true;
			return 0;
		case K_STR:
			c->is_num = parse_number(c->text, &c->num);
			return 0;
		case K_BDF:
			if (!normalize_bdf(c->text, bdf))
				return perr(ps, t->start, "'%s' is not a PCI address; "
					    "write it like 0000:03:00.0 or 03:00.0",
					    c->text);
			strcpy(c->text, bdf);	/* room for it: parse_clause() */
			return 0;
		}
		return 0;
	}

	/*
	 * begins/ends/contains/icontains see the canonical text; a value
	 * that can never be part of it is a mistake worth reporting.
	 */
	switch (f->kind) {
	case K_HEX4:
	case K_HEX2: {
		const char *s = c->text;

		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
			s += 2;
		if (!only_chars(s, "0123456789abcdefABCDEF"))
			return bad_hex(ps, t->start, c->text, f);
		if (strlen(s) > (size_t)hex_width(f->kind))
			return perr(ps, t->start, "'%s' is longer than %s, which "
				    "has %d hex digits", c->text, f->name,
				    hex_width(f->kind));
		memmove(c->text, s, strlen(s) + 1);
		lower(c->text);
		return 0;
	}
	case K_DEC:
		if (!only_chars(c->text, "0123456789"))
			return bad_number(ps, t->start, c->text, f);
		return 0;
	case K_NUM:
		if (!only_chars(c->text, "0123456789."))
			return bad_number(ps, t->start, c->text, f);
		return 0;
	case K_BDF:
		lower(c->text);
		if (!only_chars(c->text, "0123456789abcdef:."))
			return perr(ps, t->start, "'%s' can never be part of a PCI "
				    "address; addresses look like 0000:03:00.0",
				    c->text);
		return 0;
	case K_STR:
		return 0;
	}
	return 0;
}

/* ---- parser ------------------------------------------------------------- */

static int unknown_field(struct parser *ps, const struct token *t)
{
	const char *const *names = pt_rule_fields(ps->type);
	const char *near, *tn = type_word(ps->type);
	char list[1024] = "", types[64] = "";
	unsigned int other;
	size_t n = 0;

	for (size_t i = 0; names[i]; i++) {
		int w = snprintf(list + n, sizeof(list) - n, "%s%s",
				 i ? ", " : "", names[i]);

		if (w < 0 || (size_t)w >= sizeof(list) - n)
			break;
		n += w;
	}
	field_lookup(t->text, ps->type, &other);
	if (other) {
		for (int i = PT_GROUP_PCI; i <= PT_GROUP_USB; i++) {
			size_t l = strlen(types);

			if (other & (1u << i))
				snprintf(types + l, sizeof(types) - l, "%s%s",
					 l ? ", " : "", type_word(i));
		}
		return perr(ps, t->start, "field '%s' is for %s groups, not for a "
			    "%s group; fields for a %s group: %s", t->text, types,
			    tn, tn, list);
	}
	near = pt__closest(t->text, names);
	if (near)
		return perr(ps, t->start, "unknown field '%s' (did you mean '%s'?); "
			    "fields for a %s group: %s", t->text, near, tn, list);
	return perr(ps, t->start, "unknown field '%s'; fields for a %s group: %s",
		    t->text, tn, list);
}

static int parse_op(struct parser *ps, const struct token *t, enum op *op)
{
	const char *near = NULL;

	if (t->quoted)
		return perr(ps, t->start, "expected an operator, got the quoted "
			    "string \"%s\"; operators are not quoted: " OPS_LIST,
			    t->text);
	for (int i = 0; op_names[i]; i++)
		if (!strcmp(t->text, op_names[i])) {
			*op = (enum op)i;
			return 0;
		}
	for (size_t i = 0; i < sizeof(op_aliases) / sizeof(op_aliases[0]); i++)
		if (!strcasecmp(t->text, op_aliases[i].alias))
			near = op_aliases[i].op;
	if (!near)
		near = pt__closest(t->text, op_names);
	if (near)
		return perr(ps, t->start, "unknown operator '%s' (did you mean "
			    "'%s'?); operators: " OPS_LIST, t->text, near);
	return perr(ps, t->start, "unknown operator '%s'; operators: " OPS_LIST,
		    t->text);
}

static int parse_clause(struct parser *ps, struct clause *c, bool after_and)
{
	struct token f = { 0 }, o = { 0 }, v = { 0 };
	const char *end = ps->src + strlen(ps->src);
	unsigned int other;
	int r;

	r = next_token(ps, &f);
	if (r < 0)
		return r;
	if (r == 0) {
		if (after_and)
			return perr(ps, end, "expected a clause after 'and'; "
				    "write FIELD OP VALUE or drop the 'and'");
		return perr(ps, end, "empty expression; write FIELD OP VALUE "
			    "[and FIELD OP VALUE]..., e.g. vendor_id eq 10de");
	}
	if (f.quoted) {
		r = perr(ps, f.start, "expected a field name, got the quoted "
			 "string \"%s\"; field names are not quoted", f.text);
		goto out;
	}
	c->f = field_lookup(f.text, ps->type, &other);
	if (!c->f) {
		r = unknown_field(ps, &f);
		goto out;
	}

	r = next_token(ps, &o);
	if (r < 0)
		goto out;
	if (r == 0) {
		r = perr(ps, end, "missing operator after '%s'; operators: "
			 OPS_LIST, f.text);
		goto out;
	}
	r = parse_op(ps, &o, &c->op);
	if (r < 0)
		goto out;

	r = next_token(ps, &v);
	if (r < 0)
		goto out;
	if (r == 0 || (!v.quoted && !strcmp(v.text, "and") && more_tokens(ps))) {
		r = perr(ps, r ? v.start : end, "missing value after '%s %s'; "
			 "write FIELD OP VALUE, quoting a value with spaces%s",
			 f.text, o.text, r ? " (\"and\" if you mean the word)" : "");
		goto out;
	}
	/*
	 * From the expression's block: the source text, then the value with
	 * room for the canonical PCI address that "03:00.0" becomes.
	 */
	{
		size_t ls = v.end - f.start, lt = strlen(v.text) + 1;

		if (lt < PT_BDF_LEN)
			lt = PT_BDF_LEN;
		if (ls + 1 + lt > ps->pool_left) {
			r = -EINVAL;	/* cannot happen: pt__rule_parse() sized the pool */
			goto out;
		}
		c->src = ps->pool;
		ps->pool += ls + 1 + lt;
		ps->pool_left -= ls + 1 + lt;
		memcpy(c->src, f.start, ls);
		c->src[ls] = '\0';
		c->text = c->src + ls + 1;
		strcpy(c->text, v.text);
	}
	r = parse_value(ps, c, &v);
out:
	token_free(&f);
	token_free(&o);
	token_free(&v);
	return r;
}

int pt__rule_parse(const char *text, enum pt_group_type type,
		   struct pt_rule_expr **out, char *err, size_t errlen)
{
	struct parser ps = { .src = text, .p = text, .err = err,
			     .errlen = errlen, .type = type };
	struct pt_rule_expr *e;
	size_t cap = 1, len, pool;
	int r;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (!text || !pt_rule_fields(type))
		return -EINVAL;
	/* the clauses in the same block: at most one more than the "and"s */
	for (const char *a = text; (a = strstr(a, "and")); a += 3)
		cap++;
	/*
	 * Each clause's texts: its source (a span of text) and its value
	 * (unescaped, no longer than its span, with room for a full PCI
	 * address): at most twice the text and PT_BDF_LEN + 2 a clause.
	 */
	len = strlen(text);
	pool = 2 * len + cap * (PT_BDF_LEN + 2);
	e = calloc(1, sizeof(*e) + cap * sizeof(*e->c) + pool);
	if (!e)
		return -ENOMEM;
	e->type = type;
	e->c = (struct clause *)(e + 1);
	e->cap = cap;
	ps.pool = (char *)(e->c + cap);
	ps.pool_left = pool;
	for (;;) {
		struct token t = { 0 };

		if (e->n == e->cap) {
			r = -EINVAL;	/* cannot happen: each clause after the first follows an "and" */
			goto fail;
		}
		memset(&e->c[e->n], 0, sizeof(e->c[e->n]));
		e->n++;
		r = parse_clause(&ps, &e->c[e->n - 1], e->n > 1);
		if (r < 0)
			goto fail;
		r = next_token(&ps, &t);
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		if (!t.quoted && !strcmp(t.text, "and")) {
			token_free(&t);
			continue;
		}
		r = perr(&ps, t.start, "unexpected '%s' after '%s'; join clauses "
			 "with 'and'%s", t.text, e->c[e->n - 1].src,
			 !t.quoted && !strcasecmp(t.text, "and") ?
			 " (lower case)" : "");
		token_free(&t);
		goto fail;
	}
	*out = e;
	return 0;
fail:
	pt__rule_free(e);
	return r;
}

bool pt__rule_has_vf_clause(struct pt_rule_expr *e)
{
	for (size_t i = 0; i < e->n; i++)
		if (e->c[i].f->flags & F_VF)
			return true;
	return false;
}

const char *pt__rule_volatile_field(struct pt_rule_expr *e)
{
	for (size_t i = 0; i < e->n; i++)
		if (e->c[i].f->flags & F_VOLATILE)
			return e->c[i].f->name;
	return NULL;
}

/* ---- evaluation --------------------------------------------------------- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && !memcmp(s + ls - lx, suffix, lx);
}

static int order(const struct clause *c, const struct val *v)
{
	double d;

	switch (c->f->kind) {
	case K_HEX4:
	case K_HEX2:
	case K_DEC:
	case K_NUM:
		return (v->num > c->num) - (v->num < c->num);
	case K_STR:
		if (c->is_num && parse_number(v->text, &d))
			return (d > c->num) - (d < c->num);
		return strcmp(v->text, c->text);
	case K_BDF:
		return strcmp(v->text, c->text);
	}
	return 0;
}

static bool test_one(const struct clause *c, enum op op, const struct val *v)
{
	switch (op) {
	case OP_EQ:
		return c->f->kind == K_STR ? !strcmp(v->text, c->text) :
		       order(c, v) == 0;
	case OP_NE:	/* handled by the caller: no value equals */
		return false;
	case OP_LT:
		return order(c, v) < 0;
	case OP_LE:
		return order(c, v) <= 0;
	case OP_GT:
		return order(c, v) > 0;
	case OP_GE:
		return order(c, v) >= 0;
	case OP_BEGINS:
		return !strncmp(v->text, c->text, strlen(c->text));
	case OP_ENDS:
		return ends_with(v->text, c->text);
	case OP_CONTAINS:
		return strstr(v->text, c->text) != NULL;
	case OP_ICONTAINS:
		return strcasestr(v->text, c->text) != NULL;
	case OP_REGEX:
		return regexec(c->re, v->text, 0, NULL, 0) == 0;
	}
	return false;
}

/* Existential over the values; "ne" holds when no value equals. */
static bool clause_holds(const struct clause *c, const struct vals *vs)
{
	enum op op = c->op == OP_NE ? OP_EQ : c->op;
	bool any = false;

	for (size_t i = 0; i < vs->n && !any; i++)
		any = test_one(c, op, &vs->v[i]);
	return c->op == OP_NE ? !any : any;
}

static void why_clause(char *why, size_t len, size_t idx, const struct clause *c,
		       const struct vals *vs)
{
	bool quote = c->f->kind == K_STR;
	size_t n;
	int w;

	w = snprintf(why, len, "clause %zu '%s': %s is %s", idx + 1, c->src,
		     c->f->name, vs->n == 0 ? "absent" : vs->n > 1 ? "one of " : "");
	for (size_t i = 0; i < vs->n; i++) {
		n = strlen(why);
		if (w < 0 || n + 1 >= len)
			return;
		w = snprintf(why + n, len - n, "%s%s%s%s", i ? ", " : "",
			     quote ? "'" : "", vs->v[i].text, quote ? "'" : "");
	}
}

struct source {
	const struct pt_dev_view *view;
	const char *(*value)(const char *field, int idx, void *data);
	void *data;
	int vf_index;
};

/* A value given as text, checked and made canonical for the field's kind. */
static int add_text_value(const struct field *f, const char *s, struct vals *vs)
{
	char bdf[PT_BDF_LEN];
	unsigned long h;
	double d;
	long l;

	switch (f->kind) {
	case K_HEX4:
	case K_HEX2:
		if (parse_hex(s, f->kind, &h) < 0)
			return -EINVAL;
		return vals_add_hex(vs, h, hex_width(f->kind));
	case K_DEC:
		if (parse_dec(s, &l) < 0)
			return -EINVAL;
		return vals_add_dec(vs, l);
	case K_NUM:
		if (!parse_number(s, &d) || d < 0)
			return -EINVAL;
		/* 0: unknown, as pt_usb_dev_get_speed() says it */
		return d > 0 ? vals_add_num(vs, d) : 0;
	case K_BDF:
		if (!normalize_bdf(s, bdf))
			return -EINVAL;
		return vals_add(vs, bdf, 0);
	case K_STR:
		return vals_add(vs, s, 0);
	}
	return -EINVAL;
}

static int get_values(const struct clause *c, const struct source *src,
		      struct vals *vs)
{
	const char *s;
	int r;

	vals_clear(vs);
	if (src->view)
		return field_get(c->f, src->view, vs);
	for (int i = 0; (s = src->value(c->f->name, i, src->data)); i++)
		if ((r = add_text_value(c->f, s, vs)) < 0)
			return r;
	return 0;
}

static int eval(struct pt_rule_expr *e, const struct source *src, char *why,
		size_t whylen)
{
	struct vals vs = { 0 };
	int r = 1;

	if (why && whylen)
		why[0] = '\0';
	for (size_t i = 0; i < e->n; i++) {
		const struct clause *c = &e->c[i];
		int g;

		if ((c->f->flags & F_VF) && src->vf_index < 0)
			continue;
		g = get_values(c, src, &vs);
		if (g < 0) {
			r = g;
			break;
		}
		if (!clause_holds(c, &vs)) {
			if (why && whylen)
				why_clause(why, whylen, i, c, &vs);
			r = 0;
			break;
		}
	}
	vals_free(&vs);
	return r;
}

int pt__rule_match(struct pt_rule_expr *e, const struct pt_dev_view *v,
		   char *why, size_t whylen)
{
	struct source src = { .view = v };

	if (!e || !v || v->type != e->type)
		return -EINVAL;
	if (v->type == PT_GROUP_USB ? !v->usb : !v->pci && !v->mdev)
		return -EINVAL;
	src.vf_index = v->vf_index;
	return eval(e, &src, why, whylen);
}

int pt__rule_match_values(struct pt_rule_expr *e,
			  const char *(*value)(const char *field, int idx,
					       void *data),
			  void *data, int vf_index, char *why, size_t whylen)
{
	struct source src = { .value = value, .data = data,
			      .vf_index = vf_index };

	if (!e || !value)
		return -EINVAL;
	return eval(e, &src, why, whylen);
}

/* ---- rule sets: an index over the equality clauses ------------------------ */

/*
 * A group's rules, compiled once per command, tried against thousands of
 * functions: each rule is filed under one equality clause on a field that
 * has one value per device (ids, class, driver, slot, serial), chosen by
 * how few devices share a value; rules without one are tried on every
 * device. A device is tried only against the rules filed under its own
 * values and the unfiled ones, in rule order, with the full evaluator
 * (pt__rule_match): the index only says which rules cannot match, so the
 * first matching rule is the same as without it.
 */

/* Indexable fields by selectivity: lower rank first. */
static int index_rank(const struct field *f)
{
	static const char *const order[] = {
		"slot", "serial", "physical_slot", "device_id", "product_id",
		"subsystem_device_id", "driver", "class_id", "class",
		"vendor_id", "subsystem_vendor_id",
	};

	if (f->flags & (F_VF | F_VOLATILE))
		return -1;
	/* USB class is the device's or its interfaces': not one value */
	if (f->kind == K_HEX2)
		return -1;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (!strcmp(f->name, order[i]))
			return (int)i;
	return -1;
}

struct rs_entry {
	const struct field *f;	/* NULL: free slot */
	char *text;		/* canonical value, as the field's getter writes it */
	size_t *rules;		/* ascending */
	size_t n, cap;
};

struct pt_rule_set {
	enum pt_group_type type;
	size_t n_rules;
	struct rs_entry *tab;	/* open addressing, power of two */
	size_t tab_cap, tab_used;
	size_t *always;		/* rules with no indexable clause */
	size_t n_always;
	const struct field *keyf[sizeof(fields) / sizeof(fields[0])];
	size_t n_keyf;		/* the fields rules are filed under */
	size_t *cand;		/* candidates of the last call */
	size_t cand_cap;
	struct vals vs;
};

static size_t rs_hash(const struct field *f, const char *text)
{
	size_t h = 2166136261u ^ (size_t)(f - fields);

	for (const char *p = text; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h;
}

static struct rs_entry *rs_find(struct pt_rule_set *s, const struct field *f,
				const char *text)
{
	size_t i;

	if (!s->tab_cap)
		return NULL;
	for (i = rs_hash(f, text) & (s->tab_cap - 1); s->tab[i].f;
	     i = (i + 1) & (s->tab_cap - 1))
		if (s->tab[i].f == f && !strcmp(s->tab[i].text, text))
			return &s->tab[i];
	return NULL;
}

static int rs_grow(struct pt_rule_set *s)
{
	size_t ncap = s->tab_cap ? s->tab_cap * 2 : 64;
	struct rs_entry *nt = calloc(ncap, sizeof(*nt));

	if (!nt)
		return -ENOMEM;
	for (size_t i = 0; i < s->tab_cap; i++) {
		size_t j;

		if (!s->tab[i].f)
			continue;
		for (j = rs_hash(s->tab[i].f, s->tab[i].text) & (ncap - 1); nt[j].f;
		     j = (j + 1) & (ncap - 1))
			;
		nt[j] = s->tab[i];
	}
	free(s->tab);
	s->tab = nt;
	s->tab_cap = ncap;
	return 0;
}

static int push(size_t **v, size_t *n, size_t *cap, size_t x)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		size_t *nv = realloc(*v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = ncap;
	}
	(*v)[(*n)++] = x;
	return 0;
}

static int rs_file(struct pt_rule_set *s, const struct field *f, const char *text,
		   size_t rule)
{
	struct rs_entry *e = rs_find(s, f, text);
	size_t i;

	if (!e) {
		if ((s->tab_used + 1) * 2 > s->tab_cap && rs_grow(s) < 0)
			return -ENOMEM;
		for (i = rs_hash(f, text) & (s->tab_cap - 1); s->tab[i].f;
		     i = (i + 1) & (s->tab_cap - 1))
			;
		e = &s->tab[i];
		e->text = strdup(text);
		if (!e->text)
			return -ENOMEM;
		e->f = f;
		s->tab_used++;
		for (i = 0; i < s->n_keyf && s->keyf[i] != f; i++)
			;
		if (i == s->n_keyf)
			s->keyf[s->n_keyf++] = f;
	}
	return push(&e->rules, &e->n, &e->cap, rule);
}

void pt__rule_set_free(struct pt_rule_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->tab_cap; i++) {
		free(s->tab[i].text);
		free(s->tab[i].rules);
	}
	free(s->tab);
	free(s->always);
	free(s->cand);
	vals_free(&s->vs);
	free(s);
}

int pt__rule_set_new(enum pt_group_type type, struct pt_rule_expr *const *exprs,
		     size_t n, struct pt_rule_set **out)
{
	struct pt_rule_set *s = calloc(1, sizeof(*s));
	size_t always_cap = 0;
	int r = 0;

	if (!s)
		return -ENOMEM;
	s->type = type;
	s->n_rules = n;
	for (size_t i = 0; i < n && r == 0; i++) {
		const struct clause *key = NULL;
		int best = INT_MAX;
		char text[24];

		if (!exprs[i] || exprs[i]->type != type) {
			r = -EINVAL;
			break;
		}
		for (size_t j = 0; j < exprs[i]->n; j++) {
			const struct clause *c = &exprs[i]->c[j];
			int rank = index_rank(c->f);

			if (c->op == OP_EQ && rank >= 0 && rank < best) {
				best = rank;
				key = c;
			}
		}
		if (!key) {
			r = push(&s->always, &s->n_always, &always_cap, i);
			continue;
		}
		if (key->f->kind == K_HEX4) {
			/* the text vals_add_hex() gives the device's value */
			snprintf(text, sizeof(text), "%0*lx", hex_width(key->f->kind),
				 (unsigned long)key->num);
			r = rs_file(s, key->f, text, i);
		} else {
			r = rs_file(s, key->f, key->text, i);
		}
	}
	if (r < 0) {
		pt__rule_set_free(s);
		return r;
	}
	*out = s;
	return 0;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

int pt__rule_set_candidates(struct pt_rule_set *s, const struct pt_dev_view *v,
			    const size_t **idx)
{
	size_t n = 0;
	int r;

	if (!v || v->type != s->type || (v->type == PT_GROUP_USB ? !v->usb : !v->pci && !v->mdev))
		return -EINVAL;
	for (size_t k = 0; k < s->n_keyf; k++) {
		vals_clear(&s->vs);
		r = field_get(s->keyf[k], v, &s->vs);
		if (r < 0)
			return r;
		for (size_t i = 0; i < s->vs.n; i++) {
			struct rs_entry *e = rs_find(s, s->keyf[k], s->vs.v[i].text);

			for (size_t j = 0; e && j < e->n; j++)
				if ((r = push(&s->cand, &n, &s->cand_cap, e->rules[j])) < 0)
					return r;
		}
	}
	for (size_t i = 0; i < s->n_always; i++)
		if ((r = push(&s->cand, &n, &s->cand_cap, s->always[i])) < 0)
			return r;
	/* each rule is filed once: sorting gives rule order, no duplicates
	 * unless a field has one value twice (dropped here) */
	if (n > 1)
		qsort(s->cand, n, sizeof(*s->cand), cmp_size);
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (!m || s->cand[m - 1] != s->cand[i])
			s->cand[m++] = s->cand[i];
	*idx = s->cand;
	return (int)m;
}

size_t pt__rule_set_get_num_indexed(struct pt_rule_set *s)
{
	return s->n_rules - s->n_always;
}

bool pt__rule_set_keys_within(struct pt_rule_set *s, const char *const *fields)
{
	if (s->n_always)
		return false;
	for (size_t k = 0; k < s->n_keyf; k++) {
		size_t i;

		for (i = 0; fields[i] && strcmp(fields[i], s->keyf[k]->name); i++)
			;
		if (!fields[i])
			return false;
	}
	return true;
}
