// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * group.c through the public API: loading groups.d/ with its errors
 * (file:line, did-you-mean), settings per type with their ranges and
 * cross-key checks, transactions (create, set, unset, delete, rules, dry
 * runs, whole-file checks), make-resource, membership per type and the
 * conflicts between groups. A fixture sysfs tree stands in for the host;
 * each test gets a fresh conf dir.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "policy.h"
#include "testutil.h"

static char *tmp;
static char sys[256];
static char conf[300];
static struct pt_ctx *ctx;

/* ---- the host ----------------------------------------------------------- */

static void w(const char *rel, const char *val)
{
	tu_write(sys, rel, val);
}

static void build_host(void)
{
	/* a root port and the boot VGA device: host-critical */
	tu_pci_fn(sys, "0000:00:1c.0", "0x8086\n", "0xa340\n", "0x060400\n");
	tu_pci_fn(sys, "0000:00:02.0", "0x8086\n", "0x3e92\n", "0x030000\n");
	w("devices/pci0000:00/0000:00:02.0/boot_vga", "1\n");

	/* a T4 with mdev types */
	tu_pci_fn(sys, "0000:03:00.0", "0x10de\n", "0x1eb8\n", "0x030200\n");
	tu_pci_subsys(sys, "0000:03:00.0", "0x10de\n", "0x12a2\n");
	tu_symlink(sys, "class/mdev_bus/0000:03:00.0",
		   "../../devices/pci0000:00/0000:03:00.0");
	tu_mdev_type_attr(sys, "devices/pci0000:00/0000:03:00.0", "nvidia-222", "name",
			  "GRID T4-1B\n");

	/* the mtty sample: an mdev parent that is no PCI function */
	tu_symlink(sys, "class/mdev_bus/mtty", "../../devices/virtual/mtty/mtty");
	tu_mdev_type(sys, "devices/virtual/mtty/mtty", "mtty-1", "Single port serial\n", "24\n");
	tu_mdev_type(sys, "devices/virtual/mtty/mtty", "mtty-2", "Dual port serial\n", "12\n");

	/* an A10 whose two VFs offer NVIDIA per-VF vGPU */
	tu_pci_fn(sys, "0000:04:00.0", "0x10de\n", "0x2236\n", "0x030200\n");
	tu_pci_subsys(sys, "0000:04:00.0", "0x10de\n", "0x1482\n");
	w("devices/pci0000:00/0000:04:00.0/sriov_totalvfs", "4\n");
	w("devices/pci0000:00/0000:04:00.0/sriov_numvfs", "2\n");
	tu_pci_fn(sys, "0000:04:00.4", "0x10de\n", "0x2236\n", "0x030200\n");
	tu_pci_fn(sys, "0000:04:00.5", "0x10de\n", "0x2236\n", "0x030200\n");
	tu_pci_vf(sys, "0000:04:00.0", 0, "0000:04:00.4");
	tu_pci_vf(sys, "0000:04:00.0", 1, "0000:04:00.5");
	tu_pci_vgpu(sys, "0000:04:00.4", "ID    : vGPU Name\n557   : NVIDIA A10-4Q\n", NULL);
	tu_pci_vgpu(sys, "0000:04:00.5", "ID    : vGPU Name\n557   : NVIDIA A10-4Q\n", NULL);

	/* an X710: PF 0 with four VFs, PF 1 with SR-IOV off */
	tu_pci_fn(sys, "0000:05:00.0", "0x8086\n", "0x1572\n", "0x020000\n");
	tu_pci_subsys(sys, "0000:05:00.0", "0x8086\n", "0x0007\n");
	w("devices/pci0000:00/0000:05:00.0/sriov_totalvfs", "8\n");
	w("devices/pci0000:00/0000:05:00.0/sriov_numvfs", "4\n");
	for (int i = 0; i < 4; i++) {
		char bdf[PT_BDF_LEN];

		snprintf(bdf, sizeof(bdf), "0000:05:02.%d", i);
		tu_pci_fn(sys, bdf, "0x8086\n", "0x154c\n", "0x020000\n");
		tu_pci_vf(sys, "0000:05:00.0", i, bdf);
	}
	tu_netdev(sys, "0000:05:00.0", "enp5s0f0", "up\n");
	tu_pci_fn(sys, "0000:05:00.1", "0x8086\n", "0x1572\n", "0x020000\n");
	tu_pci_subsys(sys, "0000:05:00.1", "0x8086\n", "0x0007\n");
	w("devices/pci0000:00/0000:05:00.1/sriov_totalvfs", "8\n");
	w("devices/pci0000:00/0000:05:00.1/sriov_numvfs", "0\n");
	tu_netdev(sys, "0000:05:00.1", "enp5s0f1", "up\n");

	/* an NVMe drive */
	tu_pci_fn(sys, "0000:06:00.0", "0x8086\n", "0xf1a8\n", "0x010802\n");
	tu_pci_subsys(sys, "0000:06:00.0", "0x8086\n", "0x390b\n");
}

static int setup(void **state)
{
	(void)state;
	tmp = tu_mktree(sys, sizeof(sys));
	build_host();
	snprintf(conf, sizeof(conf), "%s/conf0", tmp);
	tu_mkdir(tmp, "conf0");
	if (tu_sysfs_ctx(&ctx, sys) < 0)
		return -1;
	return pt_set_conf_dir(ctx, conf);
}

static int teardown(void **state)
{
	(void)state;
	tu_tree_free(ctx, tmp);
	return 0;
}

/* ---- helpers ------------------------------------------------------------ */

/* A fresh conf dir for the context, created or not. */
static void conf_new(bool create)
{
	static int n;
	char rel[32];

	snprintf(rel, sizeof(rel), "conf%d", ++n);
	snprintf(conf, sizeof(conf), "%s/%s", tmp, rel);
	if (create)
		tu_mkdir(tmp, rel);
	assert_int_equal(pt_set_conf_dir(ctx, conf), 0);
}

static void put(const char *group, const char *text)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "groups.d/%s.ini", group);
	tu_write(conf, rel, text);
}

/* The file as it is on disk, or "(none)". */
static char filebuf[4096];
static const char *file(const char *group)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/groups.d/%s.ini", conf, group);
	f = fopen(path, "r");
	if (!f)
		return "(none)";
	n = fread(filebuf, 1, sizeof(filebuf) - 1, f);
	fclose(f);
	filebuf[n] = '\0';
	return filebuf;
}

static bool exists(const char *rel)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", conf, rel);
	return lstat(path, &st) == 0;
}

/*
 * Replace groups.d/ of the current conf dir with one file and drop what
 * was loaded, as a commit does (a new conf dir would drop the PCI scan
 * too, and rescanning for each of the many cases below is slow).
 */
static void reset(void)
{
	char rel[320];

	mkdir(conf, 0755);
	snprintf(rel, sizeof(rel), "%s/groups.d", conf);
	tu_rmtree(rel);
	pt__conf_free(ctx);
}

static void only_file(const char *group, const char *text)
{
	reset();
	put(group, text);
}

/* Load one group file, expecting -EINVAL. */
static const char *load_error(const char *group, const char *text)
{
	int r;

	only_file(group, text);
	r = pt_conf_load(ctx);
	if (r != -EINVAL)
		fail_msg("groups.d/%s.ini loaded with %d:\n%s", group, r, text);
	assert_non_null(pt_conf_get_error(ctx));
	return pt_conf_get_error(ctx);
}

#define LOAD_ERR(group, text, msg) assert_string_equal(load_error(group, text), msg)

static struct pt_group *load_ok(const char *group, const char *text)
{
	int r;

	only_file(group, text);
	r = pt_conf_load(ctx);
	if (r != 0)
		fail_msg("groups.d/%s.ini: %d: %s", group, r, pt_conf_get_error(ctx));
	return pt_group_find(ctx, group);
}

/* "BDF" or "BDF[0,1]" per member, space-separated. */
static char membuf[1024];
static const char *members(struct pt_group *g)
{
	size_t n = 0;

	membuf[0] = '\0';
	for (int i = 0; i < pt_group_get_num_members(g); i++) {
		struct pt_member *m = pt_group_get_member(g, i);

		n += snprintf(membuf + n, sizeof(membuf) - n, "%s%s", n ? " " : "",
			      pt_member_get_name(m));
		for (int v = 0; v < pt_member_get_num_vfs(m); v++)
			n += snprintf(membuf + n, sizeof(membuf) - n, "%s%d",
				      v ? "," : "[", pt_member_get_vf_index(m, v));
		if (pt_member_get_num_vfs(m))
			n += snprintf(membuf + n, sizeof(membuf) - n, "]");
	}
	return membuf;
}

/* "device: group group; ..." */
static char conflbuf[1024];
static const char *conflicts(void)
{
	struct pt_conflict *c;
	size_t n = 0;

	conflbuf[0] = '\0';
	pt_conflict_foreach(ctx, c)
		n += snprintf(conflbuf + n, sizeof(conflbuf) - n, "%s%s: %s %s",
			      n ? "; " : "", pt_conflict_get_device(c),
			      pt_group_get_name(pt_conflict_get_group(c, 0)),
			      pt_group_get_name(pt_conflict_get_group(c, 1)));
	return conflbuf;
}

static struct pt_txn *begin(unsigned int flags)
{
	struct pt_txn *t = NULL;
	int r = pt_txn_begin(ctx, flags, &t);

	if (r != 0)
		fail_msg("pt_txn_begin: %d: %s", r, pt_conf_get_error(ctx));
	return t;
}

/* A txn call that must fail with r and message msg. */
#define TXN_ERR(t, call, r, msg) do {						\
	assert_int_equal((call), (r));						\
	assert_string_equal(pt_txn_get_error(t), (msg));			\
} while (0)

/* ---- types and their settings ------------------------------------------- */

static void test_types(void **state)
{
	static const char *const pci[] = { "description", NULL };
	static const char *const vgpu[] = {
		"description", "profile", "mode", "heterogeneous", "placement",
		"live_migration", NULL
	};
	static const char *const nic[] = {
		"description", "numvfs", "vlan", "vlan_proto", "qos", "min_tx_rate",
		"max_tx_rate", "link_state", "spoofchk", "trust", "query_rss", "placement",
		NULL
	};
	static const char *const usb[] = {
		"description", "guest_reset", "guest_resets_all", NULL
	};
	static const char *const *const want[] = { pci, vgpu, nic, usb };

	(void)state;
	assert_string_equal(pt_group_type_name(PT_GROUP_PCI), "pci");
	assert_string_equal(pt_group_type_name(PT_GROUP_VGPU), "vgpu");
	assert_string_equal(pt_group_type_name(PT_GROUP_SRIOV_NIC), "sriov-nic");
	assert_string_equal(pt_group_type_name(PT_GROUP_USB), "usb");
	assert_null(pt_group_type_name((enum pt_group_type)4));
	assert_null(pt_group_type_name((enum pt_group_type)-1));
	assert_int_equal(pt_group_type_parse("pci"), PT_GROUP_PCI);
	assert_int_equal(pt_group_type_parse("sriov-nic"), PT_GROUP_SRIOV_NIC);
	assert_int_equal(pt_group_type_parse("usb"), PT_GROUP_USB);
	assert_int_equal(pt_group_type_parse("vgpu"), PT_GROUP_VGPU);
	assert_int_equal(pt_group_type_parse("PCI"), -EINVAL);
	assert_int_equal(pt_group_type_parse("sriov_nic"), -EINVAL);
	assert_int_equal(pt_group_type_parse(""), -EINVAL);
	assert_int_equal(pt_group_type_parse(NULL), -EINVAL);

	for (int t = 0; t < 4; t++) {
		const char *const *got = pt_group_settings(t);
		size_t i;

		for (i = 0; want[t][i]; i++) {
			assert_non_null(got[i]);
			assert_string_equal(got[i], want[t][i]);
		}
		assert_null(got[i]);
	}
	assert_null(pt_group_settings((enum pt_group_type)4));
}

static void test_fits(void **state)
{
	struct pt_pci_dev *d;

	(void)state;
	conf_new(false);
#define FITS(bdf, type) pt_group_type_fits_pci_dev(type, pt_pci_dev_find(ctx, bdf))
	/* pci: any endpoint, never a bridge */
	assert_true(FITS("0000:06:00.0", PT_GROUP_PCI));
	assert_true(FITS("0000:05:02.1", PT_GROUP_PCI));
	assert_true(FITS("0000:00:02.0", PT_GROUP_PCI));
	assert_false(FITS("0000:00:1c.0", PT_GROUP_PCI));
	/* sriov-nic: network PFs with SR-IOV, even with it switched off */
	assert_true(FITS("0000:05:00.0", PT_GROUP_SRIOV_NIC));
	assert_true(FITS("0000:05:00.1", PT_GROUP_SRIOV_NIC));
	assert_false(FITS("0000:05:02.0", PT_GROUP_SRIOV_NIC));
	assert_false(FITS("0000:04:00.0", PT_GROUP_SRIOV_NIC));	/* an SR-IOV GPU */
	assert_false(FITS("0000:06:00.0", PT_GROUP_SRIOV_NIC));
	/* vgpu: an mdev parent, or a PF whose VFs offer per-VF vGPU */
	assert_true(FITS("0000:03:00.0", PT_GROUP_VGPU));
	assert_true(FITS("0000:04:00.0", PT_GROUP_VGPU));
	assert_false(FITS("0000:04:00.4", PT_GROUP_VGPU));
	assert_false(FITS("0000:05:00.0", PT_GROUP_VGPU));
	/* usb: no PCI function */
	pt_pci_dev_foreach(ctx, d)
		assert_false(pt_group_type_fits_pci_dev(PT_GROUP_USB, d));
#undef FITS
}

/* ---- loading ------------------------------------------------------------ */

static void test_load_nothing(void **state)
{
	(void)state;
	/* no conf dir at all: no groups, no error */
	conf_new(false);
	assert_int_equal(pt_conf_load(ctx), 0);
	assert_null(pt_conf_get_error(ctx));
	assert_null(pt_group_get_first(ctx));
	assert_null(pt_group_find(ctx, "gpu"));
	assert_null(pt_conflict_get_first(ctx));
	assert_false(exists(""));	/* reading creates nothing */

	/* other names in groups.d/ are not groups */
	conf_new(true);
	put("README", "[group]\ntype = pci\n");
	tu_write(conf, "groups.d/notes.txt", "hello\n");
	tu_write(conf, "groups.d/gpu.ini~", "[group]\ntype = pci\n");
	assert_int_equal(pt_conf_load(ctx), 0);
	assert_non_null(pt_group_find(ctx, "README"));	/* .ini: it is one */
	assert_null(pt_group_find(ctx, "notes"));
	assert_null(pt_group_find(ctx, "gpu"));
}

static void test_load(void **state)
{
	struct pt_group *g;
	struct pt_rule *r;

	(void)state;
	conf_new(true);
	put("nic", "# edge NICs\n"
	    "[group]\n"
	    "type = sriov-nic\n"
	    "description = Edge uplinks\n"
	    "vlan = 100\n"
	    "spoofchk = On\n"
	    "link_state = Enable\n"
	    "vlan_proto = 802.1AD\n"
	    "\n"
	    "[rule \"left\"]\n"
	    "match = pf eq enp5s0f0 and vf_index lt 2\n"
	    "description = the first two VFs\n"
	    "[rule \"any\"]\n"
	    "match = vendor_id eq 8086\n"
	    "node = nomatch-*\n");
	put("gpu", "[group]\ntype = pci\n[rule \"t4\"]\nmatch = slot eq 03:00.0\n");
	assert_int_equal(pt_conf_load(ctx), 0);
	assert_null(pt_conf_get_error(ctx));

	/* sorted by name */
	g = pt_group_get_first(ctx);
	assert_string_equal(pt_group_get_name(g), "gpu");
	assert_string_equal(pt_group_get_file(g), "groups.d/gpu.ini");
	assert_int_equal(pt_group_get_type(g), PT_GROUP_PCI);
	assert_int_equal(pt_group_get_num_settings(g), 0);
	g = pt_group_get_next(g);
	assert_string_equal(pt_group_get_name(g), "nic");
	assert_null(pt_group_get_next(g));

	/* settings in file order, type excluded, values canonical */
	assert_int_equal(pt_group_get_type(g), PT_GROUP_SRIOV_NIC);
	assert_int_equal(pt_group_get_num_settings(g), 5);
	assert_string_equal(pt_group_get_setting_key(g, 0), "description");
	assert_string_equal(pt_group_get_setting_value(g, 0), "Edge uplinks");
	assert_string_equal(pt_group_get_setting_key(g, 1), "vlan");
	assert_string_equal(pt_group_get_setting_key(g, 2), "spoofchk");
	assert_string_equal(pt_group_get_setting_value(g, 2), "yes");
	assert_string_equal(pt_group_get_setting(g, "link_state"), "enable");
	assert_string_equal(pt_group_get_setting(g, "vlan_proto"), "802.1ad");
	assert_string_equal(pt_group_get_setting(g, "vlan"), "100");
	assert_null(pt_group_get_setting(g, "qos"));
	assert_null(pt_group_get_setting(g, "type"));
	assert_null(pt_group_get_setting_key(g, 5));
	assert_null(pt_group_get_setting_value(g, -1));

	/* rules in file order */
	r = pt_rule_get_first(g);
	assert_string_equal(pt_rule_get_name(r), "left");
	assert_ptr_equal(pt_rule_get_group(r), g);
	assert_string_equal(pt_rule_get_match(r), "pf eq enp5s0f0 and vf_index lt 2");
	assert_null(pt_rule_get_node(r));
	assert_true(pt_rule_applies_here(r));
	assert_null(pt_rule_get_volatile_field(r));
	r = pt_rule_get_next(r);
	assert_string_equal(pt_rule_get_name(r), "any");
	assert_string_equal(pt_rule_get_node(r), "nomatch-*");
	assert_false(pt_rule_applies_here(r));
	assert_null(pt_rule_get_next(r));
	assert_ptr_equal(pt_rule_find(g, "any"), r);
	assert_null(pt_rule_find(g, "none"));
}

static void test_load_errors(void **state)
{
	char want[1024], *msg;

	(void)state;
	LOAD_ERR("x", "type = pci\n",
		 "groups.d/x.ini:1: key 'type' before any [section] header; add the "
		 "header above it");
	LOAD_ERR("x", "[rule \"a\"]\nmatch = slot eq 03:00.0\n",
		 "groups.d/x.ini:1: no [group] section; start the file with [group] "
		 "and type = pci|vgpu|sriov-nic|usb");
	LOAD_ERR("x", "# c\n[group]\ndescription = x\n",
		 "groups.d/x.ini:2: [group] has no type; add type = "
		 "pci|vgpu|sriov-nic|usb");
	LOAD_ERR("x", "[group]\ntype = sriov_nic\n",
		 "groups.d/x.ini:2: unknown type 'sriov_nic' (did you mean 'sriov-nic'?)");
	LOAD_ERR("x", "[group]\ntype = banana\n",
		 "groups.d/x.ini:2: unknown type 'banana'; use pci, vgpu, sriov-nic or usb");
	/* keys: did-you-mean within the type, the list otherwise */
	LOAD_ERR("nic", "[group]\ntype = sriov-nic\nvlna = 5\n",
		 "groups.d/nic.ini:3: unknown key 'vlna' (did you mean 'vlan'?)");
	LOAD_ERR("gpu", "[group]\ntype = pci\nfoo = 5\n",
		 "groups.d/gpu.ini:3: unknown key 'foo' (settings of a pci group: "
		 "description)");
	LOAD_ERR("gpu", "[group]\ntype = pci\nvlan = 5\n",
		 "groups.d/gpu.ini:3: 'vlan' is not a setting of a pci group "
		 "(settings: description)");
	/* the type is read first, wherever it stands */
	LOAD_ERR("v", "[group]\nprofile = nvidia-222\ntype = usb\n",
		 "groups.d/v.ini:2: 'profile' is not a setting of a usb group "
		 "(settings: description, guest_reset, guest_resets_all)");
	/* sections */
	LOAD_ERR("x", "[group]\ntype = pci\n[grup]\n",
		 "groups.d/x.ini:3: unknown section [grup] (did you mean 'group'?); "
		 "sections are [group] and [rule \"NAME\"]");
	LOAD_ERR("x", "[group]\ntype = pci\n[something]\n",
		 "groups.d/x.ini:3: unknown section [something]; sections are [group] "
		 "and [rule \"NAME\"]");
	LOAD_ERR("x", "[group]\ntype = pci\n\n[rule a100]\nmatch = slot eq 03:00.0\n",
		 "groups.d/x.ini:4: [rule a100]: quote the rule name: [rule \"a100\"]");
	LOAD_ERR("x", "[group]\ntype = pci\n[rule \".a\"]\nmatch = slot eq 03:00.0\n",
		 "groups.d/x.ini:3: bad rule name in [rule \".a\"]; use letters, "
		 "digits, '-', '_' and '.', not starting with '.', at most 64 characters");
	/* rules */
	LOAD_ERR("x", "[group]\ntype = pci\n[rule \"a\"]\ndescription = none\n",
		 "groups.d/x.ini:3: rule \"a\" has no match; add match = FIELD OP VALUE");
	LOAD_ERR("x", "[group]\ntype = pci\n[rule \"a\"]\nmatch = slot eq 03:00.0\n"
		 "node =\n",
		 "groups.d/x.ini:5: rule \"a\": empty node; give a host name or a "
		 "pattern like node1*, or drop the key");
	LOAD_ERR("x", "[group]\ntype = pci\n[rule \"a\"]\nmach = slot eq 03:00.0\n",
		 "groups.d/x.ini:4: unknown key 'mach' (did you mean 'match'?)");
	LOAD_ERR("x", "[group]\ntype = pci\n[rule \"a\"]\nmatch = slot eq 03:00.0\n"
		 "zzzzzz = 1\n",
		 "groups.d/x.ini:5: unknown key 'zzzzzz' (keys of a rule: match, node, "
		 "description)");
	/* a match error is the rule parser's, placed at the match line */
	assert_int_equal(pt_rule_check(PT_GROUP_PCI, "vendr_id eq 10de", &msg, NULL),
			 -EINVAL);
	snprintf(want, sizeof(want), "groups.d/x.ini:6: rule \"b\": match: %s", msg);
	free(msg);
	LOAD_ERR("x", "[group]\ntype = pci\n[rule \"a\"]\nmatch = slot eq 03:00.0\n"
		 "[rule \"b\"]\nmatch = vendr_id eq 10de\n", want);
	/* a field of another type is an error too */
	assert_int_equal(pt_rule_check(PT_GROUP_PCI, "vf_index eq 1", &msg, NULL),
			 -EINVAL);
	snprintf(want, sizeof(want), "groups.d/x.ini:4: rule \"a\": match: %s", msg);
	free(msg);
	LOAD_ERR("x", "[group]\ntype = pci\n[rule \"a\"]\nmatch = vf_index eq 1\n", want);
}

static void test_load_error_sticks(void **state)
{
	struct pt_txn *t = NULL;

	(void)state;
	conf_new(true);
	put("a", "[group]\ntype = pci\n");
	put("b", "[group]\ntype = vgpu\nmode = both\n");
	put("c", "[group]\ntype = usb\nguest_reset = sometimes\n");
	/* the first bad file, by name, is reported; nothing is loaded */
	assert_int_equal(pt_conf_load(ctx), -EINVAL);
	assert_string_equal(pt_conf_get_error(ctx),
			    "groups.d/b.ini:3: mode = both: not one of mdev, vf");
	assert_null(pt_group_get_first(ctx));
	assert_null(pt_group_find(ctx, "a"));
	assert_null(pt_conflict_get_first(ctx));
	assert_int_equal(pt_conf_load(ctx), -EINVAL);
	/* a transaction refuses to start on invalid state, saying why */
	assert_int_equal(pt_txn_begin(ctx, 0, &t), -EINVAL);
	assert_null(t);
	assert_string_equal(pt_conf_get_error(ctx),
			    "groups.d/b.ini:3: mode = both: not one of mdev, vf");
	assert_int_equal(pt_txn_begin(ctx, PT_TXN_DRY_RUN, &t), -EINVAL);
	assert_null(t);
}

/* ---- the record of validated files --------------------------------------- */

static char logbuf[2048];

static void log_capture(struct pt_ctx *c, int prio, const char *f, int line,
			const char *fn, const char *fmt, va_list ap)
{
	size_t n = strlen(logbuf);

	(void)c; (void)prio; (void)f; (void)line; (void)fn;
	if (n < sizeof(logbuf) - 1)
		vsnprintf(logbuf + n, sizeof(logbuf) - n, fmt, ap);
}

/*
 * A transaction takes the group files an earlier one recorded valid
 * (<conf>/.validated) without reading them; it reads the group it edits
 * or asks about, and afterwards the context reads every group again.
 */
static void test_txn_record(void **state)
{
	struct pt_txn *t = NULL;
	struct pt_group *g;
	char want[512];

	(void)state;
	conf_new(true);
	put("a", "[group]\ntype = pci\n");
	put("b", "[group]\ntype = usb\n");
	put("c", "[group]\ntype = pci\ndescription = c\n");
	/* files newer than 2 s are never recorded (the racy window) */
	nanosleep(&(struct timespec){ .tv_sec = 2, .tv_nsec = 300000000 }, NULL);
	assert_int_equal(pt_txn_begin(ctx, 0, &t), 0);
	assert_int_equal(pt_txn_rule_add(t, "a", "r1", "vendor_id eq 10de", NULL), 0);
	assert_int_equal(pt_txn_commit(t), 0);
	pt_txn_free(t);

	logbuf[0] = '\0';
	pt_set_log_fn(ctx, log_capture, NULL);
	pt_set_log_priority(ctx, LOG_DEBUG);
	assert_int_equal(pt_txn_begin(ctx, 0, &t), 0);
	pt_set_log_priority(ctx, LOG_ERR);
	pt_set_log_fn(ctx, NULL, NULL);
	/* a was just written (racy, read); b and c come from the record */
	snprintf(want, sizeof(want), "%s: 2 group files known valid from .validated, not read\n",
		 conf);
	assert_non_null(strstr(logbuf, want));
	assert_int_equal(pt_txn_group_get_type(t, "b"), PT_GROUP_USB);
	assert_int_equal(pt_txn_group_get_type(t, "nope"), -ENOENT);
	assert_int_equal(pt_txn_rule_add(t, "c", "r2", "vendor_id eq 10de", NULL), 0);
	assert_int_equal(pt_txn_commit(t), 0);
	pt_txn_free(t);
	/* every group, as on disk */
	assert_int_equal(pt_conf_load(ctx), 0);
	assert_non_null(g = pt_group_find(ctx, "a"));
	assert_non_null(pt_rule_find(g, "r1"));
	assert_non_null(g = pt_group_find(ctx, "b"));
	assert_int_equal(pt_group_get_type(g), PT_GROUP_USB);
	assert_non_null(g = pt_group_find(ctx, "c"));
	assert_non_null(pt_rule_find(g, "r2"));
	assert_string_equal(pt_group_get_setting(g, "description"), "c");

	/* a dry run that kept files unread leaves the context to read them */
	assert_int_equal(pt_txn_begin(ctx, PT_TXN_DRY_RUN, &t), 0);
	assert_int_equal(pt_txn_rule_add(t, "b", "r3", "vendor_id eq 046d", NULL), 0);
	pt_txn_free(t);
	assert_int_equal(pt_conf_load(ctx), 0);
	assert_non_null(pt_group_find(ctx, "a"));
	assert_non_null(g = pt_group_find(ctx, "b"));
	assert_null(pt_rule_find(g, "r3"));
	assert_non_null(pt_group_find(ctx, "c"));
}

/* ---- settings ----------------------------------------------------------- */

static void test_settings(void **state)
{
	struct pt_group *g;

	(void)state;
	/* ranges, at and past each end */
#define NIC_OK(kv, key, val) do {						\
	g = load_ok("nic", "[group]\ntype = sriov-nic\n" kv "\n");		\
	assert_non_null(g);							\
	assert_string_equal(pt_group_get_setting(g, key), val);		\
} while (0)
#define NIC_ERR(kv, msg) LOAD_ERR("nic", "[group]\ntype = sriov-nic\n" kv "\n",	\
				  "groups.d/nic.ini:3: " msg)
	NIC_OK("numvfs = 0", "numvfs", "0");
	NIC_OK("numvfs = 65535", "numvfs", "65535");
	NIC_ERR("numvfs = 65536", "numvfs = 65536: not a whole number from 0 to 65535");
	NIC_OK("vlan = 4094", "vlan", "4094");
	NIC_OK("vlan = 007", "vlan", "7");
	NIC_ERR("vlan = 4095", "vlan = 4095: not a whole number from 0 to 4094");
	NIC_ERR("vlan = -1", "vlan = -1: not a whole number from 0 to 4094");
	NIC_ERR("vlan = 12abc", "vlan = 12abc: not a whole number from 0 to 4094");
	NIC_ERR("vlan = 0x10", "vlan = 0x10: not a whole number from 0 to 4094");
	NIC_ERR("vlan =", "vlan = : not a whole number from 0 to 4094");
	NIC_OK("qos = 7\nvlan = 1", "qos", "7");
	NIC_ERR("qos = 8", "qos = 8: not a whole number from 0 to 7");
	NIC_OK("max_tx_rate = 10000000", "max_tx_rate", "10000000");
	NIC_ERR("min_tx_rate = 10000001",
		"min_tx_rate = 10000001: not a whole number from 0 to 10000000");
	NIC_ERR("max_tx_rate = 99999999999999999999",
		"max_tx_rate = 99999999999999999999: not a whole number from 0 to 10000000");
	NIC_OK("vlan_proto = 802.1q\nvlan = 5", "vlan_proto", "802.1Q");
	NIC_ERR("vlan_proto = 802.1x", "vlan_proto = 802.1x: not one of 802.1Q, 802.1ad");
	NIC_OK("link_state = AUTO", "link_state", "auto");
	NIC_ERR("link_state = up", "link_state = up: not one of auto, enable, disable");
	/* booleans, every spelling */
	NIC_OK("trust = yes", "trust", "yes");
	NIC_OK("trust = TRUE", "trust", "yes");
	NIC_OK("trust = on", "trust", "yes");
	NIC_OK("trust = 1", "trust", "yes");
	NIC_OK("trust = No", "trust", "no");
	NIC_OK("trust = false", "trust", "no");
	NIC_OK("trust = off", "trust", "no");
	NIC_OK("query_rss = 0", "query_rss", "no");
	NIC_ERR("spoofchk = maybe", "spoofchk = maybe: not a boolean; use yes or no");
	NIC_ERR("spoofchk = 2", "spoofchk = 2: not a boolean; use yes or no");
	/* description may be empty */
	NIC_OK("description =", "description", "");
#undef NIC_OK
#undef NIC_ERR

	g = load_ok("v", "[group]\ntype = vgpu\nprofile = GRID A100-4C\nmode = VF\n"
		    "heterogeneous = on\n");
	assert_string_equal(pt_group_get_setting(g, "profile"), "GRID A100-4C");
	assert_string_equal(pt_group_get_setting(g, "mode"), "vf");
	assert_string_equal(pt_group_get_setting(g, "heterogeneous"), "yes");
	LOAD_ERR("v", "[group]\ntype = vgpu\nprofile =\n",
		 "groups.d/v.ini:3: profile: empty value; give an mdev type id "
		 "(nvidia-471) or an NVIDIA profile name (GRID A100-4C)");
	g = load_ok("u", "[group]\ntype = usb\nguest_reset = off\nguest_resets_all = yes\n");
	assert_string_equal(pt_group_get_setting(g, "guest_reset"), "no");
	assert_string_equal(pt_group_get_setting(g, "guest_resets_all"), "yes");
	LOAD_ERR("u", "[group]\ntype = usb\nguest_reset = x\n",
		 "groups.d/u.ini:3: guest_reset = x: not a boolean; use yes or no");
}

static void test_cross_checks(void **state)
{
	struct pt_group *g;

	(void)state;
	/* reported at the [group] line */
	LOAD_ERR("nic", "# rates\n[group]\ntype = sriov-nic\nmin_tx_rate = 500\n"
		 "max_tx_rate = 100\n",
		 "groups.d/nic.ini:2: min_tx_rate 500 is above max_tx_rate 100; "
		 "min_tx_rate must not exceed max_tx_rate (0 = no limit)");
	LOAD_ERR("nic", "[group]\ntype = sriov-nic\nqos = 3\n",
		 "groups.d/nic.ini:1: qos needs vlan: the priority is carried in the "
		 "VLAN tag; set vlan too or drop qos");
	LOAD_ERR("nic", "[group]\ntype = sriov-nic\nvlan_proto = 802.1ad\n",
		 "groups.d/nic.ini:1: vlan_proto needs vlan; set vlan too or drop "
		 "vlan_proto");
	/* what passes: max 0 is no limit, qos 0 needs nothing, equal rates */
	g = load_ok("nic", "[group]\ntype = sriov-nic\nmin_tx_rate = 500\n"
		    "max_tx_rate = 0\nqos = 0\n");
	assert_string_equal(pt_group_get_setting(g, "min_tx_rate"), "500");
	assert_non_null(load_ok("nic", "[group]\ntype = sriov-nic\nmin_tx_rate = 100\n"
				"max_tx_rate = 100\nvlan = 0\nqos = 7\n"
				"vlan_proto = 802.1Q\n"));
}

/* ---- transactions ------------------------------------------------------- */

static void test_txn(void **state)
{
	struct pt_txn *t;
	struct pt_group *g;
	char *diff;

	(void)state;
	conf_new(false);
	t = begin(0);
	/* a writing transaction creates the conf dir and takes the lock */
	assert_true(exists("groups.d"));
	assert_true(exists(".lock"));

	assert_int_equal(pt_txn_group_create(t, "gpu", PT_GROUP_PCI), 0);
	assert_int_equal(pt_txn_group_create(t, "nic", PT_GROUP_SRIOV_NIC), 0);
	TXN_ERR(t, pt_txn_group_create(t, "gpu", PT_GROUP_VGPU), -EEXIST,
		"group 'gpu' exists already (groups.d/gpu.ini); pick another name or "
		"delete it first");
	TXN_ERR(t, pt_txn_group_create(t, ".gpu", PT_GROUP_PCI), -EINVAL,
		"'.gpu' is not a valid group name; use letters, digits, '-', '_' and "
		"'.', not starting with '.', at most 64 characters");
	TXN_ERR(t, pt_txn_group_create(t, "a/b", PT_GROUP_PCI), -EINVAL,
		"'a/b' is not a valid group name; use letters, digits, '-', '_' and "
		"'.', not starting with '.', at most 64 characters");
	TXN_ERR(t, pt_txn_group_create(t, "x", (enum pt_group_type)9), -EINVAL,
		"invalid group type; use pci, vgpu, sriov-nic or usb");

	assert_int_equal(pt_txn_group_set(t, "gpu", "description", "GPUs for CI"), 0);
	assert_int_equal(pt_txn_group_set(t, "nic", "vlan", "100"), 0);
	assert_int_equal(pt_txn_group_set(t, "nic", "trust", "ON"), 0);
	assert_int_equal(pt_txn_group_set(t, "nic", "vlan", "200"), 0);	/* replaced */
	TXN_ERR(t, pt_txn_group_set(t, "nope", "vlan", "1"), -ENOENT,
		"no group 'nope'; see 'pt group list'");
	TXN_ERR(t, pt_txn_group_set(t, "nic", "type", "pci"), -EINVAL,
		"group 'nic': the type is fixed at creation; delete the group and "
		"create it again");
	TXN_ERR(t, pt_txn_group_set(t, "nic", "vlan", "5000"), -EINVAL,
		"group 'nic': vlan = 5000: not a whole number from 0 to 4094");
	TXN_ERR(t, pt_txn_group_set(t, "nic", "vlna", "5"), -EINVAL,
		"group 'nic': unknown key 'vlna' (did you mean 'vlan'?)");
	TXN_ERR(t, pt_txn_group_set(t, "gpu", "vlan", "5"), -EINVAL,
		"group 'gpu': 'vlan' is not a setting of a pci group (settings: "
		"description)");
	TXN_ERR(t, pt_txn_group_set(t, "gpu", "description", " padded"), -EINVAL,
		"group 'gpu': description = ' padded' cannot be stored in an INI file "
		"(leading/trailing blanks or ' ;')");
	TXN_ERR(t, pt_txn_group_set(t, "../x", "description", "a"), -EINVAL,
		"'../x' is not a valid group name; use letters, digits, '-', '_' and "
		"'.', not starting with '.', at most 64 characters");

	assert_int_equal(pt_txn_rule_add(t, "gpu", "t4", "slot eq 03:00.0", NULL), 0);
	assert_int_equal(pt_txn_rule_add(t, "gpu", "nvme", "class_id eq 0108",
					 "node1*"), 0);
	assert_int_equal(pt_txn_rule_add(t, "nic", "left",
					 "pf eq enp5s0f0 and vf_index lt 2", NULL), 0);
	TXN_ERR(t, pt_txn_rule_add(t, "gpu", "t4", "slot eq 04:00.0", NULL), -EEXIST,
		"group 'gpu' has a rule 't4' already; remove it first or pick another "
		"name");
	TXN_ERR(t, pt_txn_rule_add(t, "gpu", "bad name", "slot eq 04:00.0", NULL),
		-EINVAL, "'bad name' is not a valid rule name; use letters, digits, "
		"'-', '_' and '.', not starting with '.', at most 64 characters");
	{
		char *msg, want[600];

		assert_int_equal(pt_rule_check(PT_GROUP_PCI, "vf_index eq 1", &msg, NULL),
				 -EINVAL);
		snprintf(want, sizeof(want), "rule 'vf': %s", msg);
		free(msg);
		TXN_ERR(t, pt_txn_rule_add(t, "gpu", "vf", "vf_index eq 1", NULL),
			-EINVAL, want);
	}
	TXN_ERR(t, pt_txn_rule_add(t, "gpu", "n", "slot eq 04:00.0", "node 1"), -EINVAL,
		"rule 'n': node 'node 1' must be a host name or a pattern like node1*, "
		"without blanks, ';' or '#'");
	TXN_ERR(t, pt_txn_rule_add(t, "gpu", "n", "slot eq 04:00.0", ""), -EINVAL,
		"rule 'n': node '' must be a host name or a pattern like node1*, "
		"without blanks, ';' or '#'");
	TXN_ERR(t, pt_txn_rule_add(t, "gpu", "n", "slot eq 04:00.0", "a;b"), -EINVAL,
		"rule 'n': node 'a;b' must be a host name or a pattern like node1*, "
		"without blanks, ';' or '#'");
	TXN_ERR(t, pt_txn_rule_add(t, "nope", "n", "slot eq 04:00.0", NULL), -ENOENT,
		"no group 'nope'; see 'pt group list'");

	diff = pt_txn_get_diff(t);
	assert_non_null(diff);
	assert_non_null(strstr(diff, "+++ b/groups.d/gpu.ini\n"));
	assert_non_null(strstr(diff, "+match = slot eq 03:00.0\n"));
	free(diff);
	/* nothing on disk before the commit */
	assert_string_equal(file("gpu"), "(none)");
	assert_int_equal(pt_txn_commit(t), 0);
	pt_txn_free(t);

	assert_string_equal(file("gpu"),
			    "[group]\n"
			    "type = pci\n"
			    "description = GPUs for CI\n"
			    "\n"
			    "[rule \"t4\"]\n"
			    "match = slot eq 03:00.0\n"
			    "\n"
			    "[rule \"nvme\"]\n"
			    "match = class_id eq 0108\n"
			    "node = node1*\n");
	assert_string_equal(file("nic"),
			    "[group]\n"
			    "type = sriov-nic\n"
			    "vlan = 200\n"
			    "trust = yes\n"
			    "\n"
			    "[rule \"left\"]\n"
			    "match = pf eq enp5s0f0 and vf_index lt 2\n");
	/* the context reloads after a commit */
	g = pt_group_find(ctx, "gpu");
	assert_non_null(g);
	assert_string_equal(pt_group_get_setting(g, "description"), "GPUs for CI");
	assert_string_equal(pt_rule_get_node(pt_rule_find(g, "nvme")), "node1*");

	/* unset, rule remove, delete */
	t = begin(0);
	assert_int_equal(pt_txn_group_unset(t, "gpu", "description"), 0);
	TXN_ERR(t, pt_txn_group_unset(t, "gpu", "description"), -ENOENT,
		"group 'gpu' has no setting 'description'; see 'pt group show gpu'");
	TXN_ERR(t, pt_txn_group_unset(t, "gpu", "type"), -EINVAL,
		"group 'gpu': the type cannot be removed");
	TXN_ERR(t, pt_txn_group_unset(t, "nope", "vlan"), -ENOENT,
		"no group 'nope'; see 'pt group list'");
	assert_int_equal(pt_txn_rule_remove(t, "gpu", "t4"), 0);
	TXN_ERR(t, pt_txn_rule_remove(t, "gpu", "t4"), -ENOENT,
		"group 'gpu' has no rule 't4'; see 'pt rule list gpu'");
	TXN_ERR(t, pt_txn_rule_remove(t, "gpu", "\"x"), -ENOENT,
		"group 'gpu' has no rule '\"x'; see 'pt rule list gpu'");
	assert_int_equal(pt_txn_group_delete(t, "nic"), 0);
	TXN_ERR(t, pt_txn_group_delete(t, "nic"), -ENOENT,
		"no group 'nic'; see 'pt group list'");
	/* a deleted group's name is free again in the same transaction */
	TXN_ERR(t, pt_txn_group_set(t, "nic", "vlan", "1"), -ENOENT,
		"no group 'nic'; see 'pt group list'");
	assert_int_equal(pt_txn_commit(t), 0);
	pt_txn_free(t);
	assert_string_equal(file("gpu"),
			    "[group]\n"
			    "type = pci\n"
			    "\n"
			    "[rule \"nvme\"]\n"
			    "match = class_id eq 0108\n"
			    "node = node1*\n");
	assert_string_equal(file("nic"), "(none)");
	assert_null(pt_group_find(ctx, "nic"));
	assert_null(pt_rule_find(pt_group_find(ctx, "gpu"), "t4"));

	/* deleted and created again in one transaction: a new file */
	t = begin(0);
	assert_int_equal(pt_txn_group_delete(t, "gpu"), 0);
	assert_int_equal(pt_txn_group_create(t, "gpu", PT_GROUP_VGPU), 0);
	assert_int_equal(pt_txn_group_set(t, "gpu", "mode", "mdev"), 0);
	assert_int_equal(pt_txn_commit(t), 0);
	pt_txn_free(t);
	assert_string_equal(file("gpu"), "[group]\ntype = vgpu\nmode = mdev\n");
	assert_int_equal(pt_group_get_type(pt_group_find(ctx, "gpu")), PT_GROUP_VGPU);

	/* freeing without a commit writes nothing */
	t = begin(0);
	assert_int_equal(pt_txn_group_create(t, "lost", PT_GROUP_USB), 0);
	pt_txn_free(t);
	assert_string_equal(file("lost"), "(none)");
	assert_null(pt_group_find(ctx, "lost"));
}

static void test_txn_keeps_hand_edits(void **state)
{
	struct pt_txn *t;

	(void)state;
	conf_new(true);
	put("gpu", "# owned by the CI team\n[group]\ntype = pci   ; fixed\n"
	    "description = CI\n\n[rule \"t4\"]\nmatch = slot eq 03:00.0\n");
	t = begin(0);
	assert_int_equal(pt_txn_group_set(t, "gpu", "description", "CI runners"), 0);
	assert_int_equal(pt_txn_commit(t), 0);
	pt_txn_free(t);
	assert_string_equal(file("gpu"), "# owned by the CI team\n[group]\n"
			    "type = pci   ; fixed\ndescription = CI runners\n\n"
			    "[rule \"t4\"]\nmatch = slot eq 03:00.0\n");
}

static void test_dry_run(void **state)
{
	struct pt_txn *t;
	char *diff;

	(void)state;
	/* no conf dir: a dry run creates none */
	conf_new(false);
	t = begin(PT_TXN_DRY_RUN);
	assert_false(exists(""));
	assert_int_equal(pt_txn_group_create(t, "gpu", PT_GROUP_PCI), 0);
	assert_int_equal(pt_txn_rule_add(t, "gpu", "t4", "slot eq 03:00.0", NULL), 0);
	assert_int_equal(pt_txn_check(t), 0);
	diff = pt_txn_get_diff(t);
	assert_non_null(diff);
	assert_non_null(strstr(diff, "+type = pci\n"));
	free(diff);
	TXN_ERR(t, pt_txn_commit(t), -EROFS, "a dry run writes nothing");
	pt_txn_free(t);
	assert_false(exists(""));
	assert_null(pt_group_find(ctx, "gpu"));

	/* an existing dir: no lock file, no change */
	conf_new(true);
	put("gpu", "[group]\ntype = pci\n");
	t = begin(PT_TXN_DRY_RUN);
	assert_false(exists(".lock"));
	assert_int_equal(pt_txn_group_delete(t, "gpu"), 0);
	assert_int_equal(pt_txn_commit(t), -EROFS);
	pt_txn_free(t);
	assert_false(exists(".lock"));
	assert_string_equal(file("gpu"), "[group]\ntype = pci\n");
	assert_non_null(pt_group_find(ctx, "gpu"));
}

static void test_txn_check(void **state)
{
	struct pt_txn *t;

	(void)state;
	conf_new(true);
	put("edge", "[group]\ntype = sriov-nic\nvlan = 100\n");
	put("core", "[group]\ntype = sriov-nic\n");
	t = begin(0);
	assert_int_equal(pt_txn_check(t), 0);
	/* each call alone is valid; together they break a cross-key rule */
	assert_int_equal(pt_txn_group_set(t, "edge", "qos", "3"), 0);
	assert_int_equal(pt_txn_check(t), 0);
	assert_int_equal(pt_txn_group_unset(t, "edge", "vlan"), 0);
	/* named by group, not by a line of a file the user never wrote */
	TXN_ERR(t, pt_txn_check(t), -EINVAL,
		"group 'edge': qos needs vlan: the priority is carried in the VLAN "
		"tag; set vlan too or drop qos");
	TXN_ERR(t, pt_txn_commit(t), -EINVAL,
		"group 'edge': qos needs vlan: the priority is carried in the VLAN "
		"tag; set vlan too or drop qos");
	pt_txn_free(t);
	assert_string_equal(file("edge"), "[group]\ntype = sriov-nic\nvlan = 100\n");

	t = begin(0);
	assert_int_equal(pt_txn_group_set(t, "core", "max_tx_rate", "100"), 0);
	assert_int_equal(pt_txn_group_set(t, "core", "min_tx_rate", "200"), 0);
	TXN_ERR(t, pt_txn_check(t), -EINVAL,
		"group 'core': min_tx_rate 200 is above max_tx_rate 100; min_tx_rate "
		"must not exceed max_tx_rate (0 = no limit)");
	assert_int_equal(pt_txn_group_set(t, "core", "max_tx_rate", "0"), 0);
	assert_int_equal(pt_txn_check(t), 0);
	assert_int_equal(pt_txn_commit(t), 0);
	pt_txn_free(t);
	assert_string_equal(pt_group_get_setting(pt_group_find(ctx, "core"),
						 "min_tx_rate"), "200");
}

/* applied.d/ holds pt-group apply's records: not groups, but they pin one. */
static const char applied_rec[] =
	"# Written by pt-group apply: what it changed on this host. pt-group release undoes it.\n"
	"[applied]\n"
	"type = pci\n"
	"\n"
	"[device \"0000:03:00.0\"]\n"
	"role = member\n"
	"driver = e1000e\n"
	"driver_override =\n";

static void test_applied_not_groups(void **state)
{
	struct pt_group *g;
	struct pt_txn *t;
	char path[512];
	int n = 0;

	(void)state;
	conf_new(true);
	put("gpu", "[group]\ntype = pci\n");
	tu_write(conf, "applied.d/gpu.ini", applied_rec);
	/* a record whose group file is gone, and one that is no group file */
	tu_write(conf, "applied.d/ghost.ini", applied_rec);
	assert_int_equal(pt_conf_load(ctx), 0);
	assert_null(pt_conf_get_error(ctx));
	pt_group_foreach(ctx, g) {
		assert_string_equal(pt_group_get_name(g), "gpu");
		assert_string_equal(pt_group_get_file(g), "groups.d/gpu.ini");
		n++;
	}
	assert_int_equal(n, 1);
	assert_null(pt_group_find(ctx, "ghost"));

	/* an applied group cannot be deleted, also not in a dry run */
	t = begin(PT_TXN_DRY_RUN);
	TXN_ERR(t, pt_txn_group_delete(t, "gpu"), -EBUSY,
		"group 'gpu' is applied on this host; run 'pt group release gpu' first");
	pt_txn_free(t);
	t = begin(0);
	TXN_ERR(t, pt_txn_group_delete(t, "gpu"), -EBUSY,
		"group 'gpu' is applied on this host; run 'pt group release gpu' first");
	/* a record is no group to delete either */
	TXN_ERR(t, pt_txn_group_delete(t, "ghost"), -ENOENT,
		"no group 'ghost'; see 'pt group list'");
	/* other edits go on, and the records are left as they are */
	assert_int_equal(pt_txn_group_set(t, "gpu", "description", "GPUs"), 0);
	assert_int_equal(pt_txn_commit(t), 0);
	pt_txn_free(t);
	assert_string_equal(file("gpu"), "[group]\ntype = pci\ndescription = GPUs\n");
	assert_true(exists("applied.d/gpu.ini"));
	assert_true(exists("applied.d/ghost.ini"));
	assert_null(pt_group_find(ctx, "ghost"));

	/* released (the record gone): the group can be deleted */
	snprintf(path, sizeof(path), "%s/applied.d/gpu.ini", conf);
	assert_int_equal(unlink(path), 0);
	pt__conf_free(ctx);
	t = begin(0);
	assert_int_equal(pt_txn_group_delete(t, "gpu"), 0);
	assert_int_equal(pt_txn_commit(t), 0);
	pt_txn_free(t);
	assert_string_equal(file("gpu"), "(none)");
	assert_null(pt_group_find(ctx, "gpu"));
	assert_true(exists("applied.d/ghost.ini"));

	/* a broken record is a broken state file: reported by file and line */
	tu_write(conf, "applied.d/ghost.ini", "[applied]\ntype = pci\ntype = usb\n");
	pt__conf_free(ctx);
	assert_int_equal(pt_conf_load(ctx), -EINVAL);
	assert_string_equal(pt_conf_get_error(ctx),
		"applied.d/ghost.ini:3: duplicate key 'type' in [applied] (first on line 2); keep one");
}

static void test_make_resource(void **state)
{
	char *rule = (char *)"stale", *warning = (char *)"stale", want[512];
	const char *crit;
	struct pt_txn *t;

	(void)state;
	conf_new(true);
	put("gpu", "[group]\ntype = pci\n");
	put("nic", "[group]\ntype = sriov-nic\n");
	put("vg", "[group]\ntype = vgpu\n");
	put("u", "[group]\ntype = usb\n");
	t = begin(0);

	assert_int_equal(pt_txn_make_resource(t, "gpu", "0000:06:00.0", &rule,
					      &warning), 0);
	assert_string_equal(rule, "slot-0000-06-00.0");
	assert_null(warning);
	free(rule);
	/* the same device again: the same rule, nothing added */
	assert_int_equal(pt_txn_make_resource(t, "gpu", "0000:06:00.0", &rule,
					      &warning), 0);
	assert_string_equal(rule, "slot-0000-06-00.0");
	free(rule);
	/* a VF may be a resource of a pci group */
	assert_int_equal(pt_txn_make_resource(t, "gpu", "0000:05:02.1", &rule,
					      &warning), 0);
	assert_string_equal(rule, "slot-0000-05-02.1");
	free(rule);
	/* a PF of an sriov-nic group, a GPU of a vgpu group */
	assert_int_equal(pt_txn_make_resource(t, "nic", "0000:05:00.0", &rule,
					      &warning), 0);
	free(rule);
	assert_int_equal(pt_txn_make_resource(t, "vg", "0000:04:00.0", &rule,
					      &warning), 0);
	free(rule);

	TXN_ERR(t, pt_txn_make_resource(t, "gpu", "06:00.0", &rule, &warning), -EINVAL,
		"'06:00.0' is not a PCI slot; give the full DDDD:BB:DD.F as 'pt scan' "
		"lists it");
	assert_null(rule);
	assert_null(warning);
	TXN_ERR(t, pt_txn_make_resource(t, "gpu", "0000:07:00.0", &rule, &warning),
		-ENOENT, "no PCI function 0000:07:00.0 on this host; see 'pt scan'");
	crit = pt_pci_dev_get_critical_reason(pt_pci_dev_find(ctx, "0000:00:02.0"));
	assert_string_equal(crit, "boot VGA device");
	TXN_ERR(t, pt_txn_make_resource(t, "gpu", "0000:00:02.0", &rule, &warning),
		-EBUSY, "0000:00:02.0 is host-critical (boot VGA device) and can never "
		"be passed through; pick another device");
	crit = pt_pci_dev_get_critical_reason(pt_pci_dev_find(ctx, "0000:00:1c.0"));
	assert_non_null(crit);
	snprintf(want, sizeof(want), "0000:00:1c.0 is host-critical (%s) and can never "
		 "be passed through; pick another device", crit);
	TXN_ERR(t, pt_txn_make_resource(t, "gpu", "0000:00:1c.0", &rule, &warning),
		-EBUSY, want);
	TXN_ERR(t, pt_txn_make_resource(t, "nic", "0000:05:02.1", &rule, &warning),
		-EINVAL, "0000:05:02.1 is VF 1 of 0000:05:00.0: make the PF a resource "
		"of sriov-nic group 'nic' (its VFs follow; pick VFs with vf_index)");
	TXN_ERR(t, pt_txn_make_resource(t, "vg", "0000:04:00.5", &rule, &warning),
		-EINVAL, "0000:04:00.5 is VF 1 of 0000:04:00.0: make the PF a resource "
		"of vgpu group 'vg' (its VFs follow; pick VFs with virtual_function)");
	TXN_ERR(t, pt_txn_make_resource(t, "nic", "0000:04:00.0", &rule, &warning),
		-EINVAL, "0000:04:00.0 cannot be a member of sriov-nic group 'nic': it "
		"is a GPU: SR-IOV GPUs belong in a vgpu group");
	TXN_ERR(t, pt_txn_make_resource(t, "vg", "0000:06:00.0", &rule, &warning),
		-EINVAL, "0000:06:00.0 cannot be a member of vgpu group 'vg': it offers "
		"no vGPU types (no mdev types, no NVIDIA per-VF vGPU)");
	TXN_ERR(t, pt_txn_make_resource(t, "none", "0000:06:00.0", &rule, &warning),
		-ENOENT, "no group 'none'; see 'pt group list'");
	/* USB devices are enumerated only on the live system: none here */
	TXN_ERR(t, pt_txn_make_resource(t, "u", "1-4.2", &rule, &warning), -ENOENT,
		"no USB device 1-4.2; see 'pt scan -t usb'");
	TXN_ERR(t, pt_txn_make_resource(t, "u", "046d:c52b", &rule, &warning), -ENOENT,
		"no USB device 046d:c52b; see 'pt scan -t usb'");
	TXN_ERR(t, pt_txn_make_resource(t, "u", "mouse", &rule, &warning), -EINVAL,
		"'mouse' is neither a PCI slot (0000:03:00.0), a USB device (1-4.2) nor "
		"vendor:product[:serial]");
	assert_int_equal(pt_txn_commit(t), 0);
	pt_txn_free(t);

	assert_string_equal(file("gpu"),
			    "[group]\n"
			    "type = pci\n"
			    "\n"
			    "[rule \"slot-0000-06-00.0\"]\n"
			    "match = vendor_id eq 8086 and device_id eq f1a8 and "
			    "subsystem_vendor_id eq 8086 and subsystem_device_id eq 390b "
			    "and slot eq 0000:06:00.0\n"
			    "\n"
			    "[rule \"slot-0000-05-02.1\"]\n"
			    "match = vendor_id eq 8086 and device_id eq 154c and "
			    "subsystem_vendor_id eq 0000 and subsystem_device_id eq 0000 "
			    "and slot eq 0000:05:02.1\n");
	/* the rules match exactly their device */
	assert_string_equal(members(pt_group_find(ctx, "gpu")),
			    "0000:05:02.1 0000:06:00.0");
	assert_string_equal(members(pt_group_find(ctx, "nic")), "0000:05:00.0[0,1,2,3]");
	assert_string_equal(members(pt_group_find(ctx, "vg")), "0000:04:00.0[0,1]");

	/* a rule of that name with another match is not overwritten */
	t = begin(0);
	assert_int_equal(pt_txn_rule_remove(t, "gpu", "slot-0000-06-00.0"), 0);
	assert_int_equal(pt_txn_rule_add(t, "gpu", "slot-0000-06-00.0",
					 "class_id eq 0108", NULL), 0);
	TXN_ERR(t, pt_txn_make_resource(t, "gpu", "0000:06:00.0", &rule, &warning),
		-EEXIST, "group 'gpu' has a rule 'slot-0000-06-00.0' with another "
		"match; remove it first");
	pt_txn_free(t);
}

/* ---- membership --------------------------------------------------------- */

static void test_members_pci(void **state)
{
	struct pt_group *g;
	struct pt_member *m;

	(void)state;
	/* every Intel endpoint, the boot VGA device too; never the root port */
	g = load_ok("gpu", "[group]\ntype = pci\n[rule \"intel\"]\nmatch = vendor_id eq 8086\n");
	assert_string_equal(members(g), "0000:00:02.0 0000:05:00.0 0000:05:00.1 "
			    "0000:05:02.0 0000:05:02.1 0000:05:02.2 0000:05:02.3 "
			    "0000:06:00.0");
	m = pt_group_get_member(g, 0);
	assert_ptr_equal(pt_member_get_rule(m), pt_rule_find(g, "intel"));
	assert_null(pt_member_get_usb_dev(m));
	assert_int_equal(pt_member_get_num_vfs(m), 0);
	assert_int_equal(pt_member_get_vf_index(m, 0), -1);
	assert_null(pt_group_get_member(g, 8));
	assert_null(pt_group_get_member(g, -1));

	/* any rule makes a member; the first that matched is named */
	g = load_ok("gpu", "[group]\ntype = pci\n"
		    "[rule \"nvme\"]\nmatch = class_id eq 0108\n"
		    "[rule \"all-intel\"]\nmatch = vendor_id eq 8086 and class_id eq 0108\n"
		    "[rule \"t4\"]\nmatch = device_id eq 1eb8\n"
		    "[rule \"elsewhere\"]\nmatch = device_id eq 1572\nnode = nomatch-*\n");
	assert_string_equal(members(g), "0000:03:00.0 0000:06:00.0");
	assert_string_equal(pt_rule_get_name(pt_member_get_rule(pt_group_get_member(g, 0))),
			    "t4");
	assert_string_equal(pt_rule_get_name(pt_member_get_rule(pt_group_get_member(g, 1))),
			    "nvme");
	/* no rules: no members */
	g = load_ok("gpu", "[group]\ntype = pci\n");
	assert_int_equal(pt_group_get_num_members(g), 0);
	assert_string_equal(members(g), "");
}

static void test_members_sriov(void **state)
{
	struct pt_group *g;

	(void)state;
	/* network PFs only: no VFs, no SR-IOV GPU; all current VFs by default */
	g = load_ok("nic", "[group]\ntype = sriov-nic\n[rule \"r\"]\nmatch = vendor_id ne 0\n");
	assert_string_equal(members(g), "0000:05:00.0[0,1,2,3] 0000:05:00.1");
	/* numvfs decides how many VFs there will be */
	g = load_ok("nic", "[group]\ntype = sriov-nic\nnumvfs = 6\n"
		    "[rule \"r\"]\nmatch = vendor_id eq 8086\n");
	assert_string_equal(members(g), "0000:05:00.0[0,1,2,3,4,5] "
			    "0000:05:00.1[0,1,2,3,4,5]");
	/* vf_index clauses select VFs; rules add up */
	g = load_ok("nic", "[group]\ntype = sriov-nic\n"
		    "[rule \"low\"]\nmatch = pf eq enp5s0f0 and vf_index lt 2\n"
		    "[rule \"three\"]\nmatch = pf_slot eq 05:00.0 and vf_index eq 3\n");
	assert_string_equal(members(g), "0000:05:00.0[0,1,3]");
	assert_string_equal(pt_rule_get_name(pt_member_get_rule(pt_group_get_member(g, 0))),
			    "low");
	/* a rule that admits no VF still makes the PF a member */
	g = load_ok("nic", "[group]\ntype = sriov-nic\n"
		    "[rule \"r\"]\nmatch = pf eq enp5s0f1 and vf_index gt 100\n");
	assert_string_equal(members(g), "0000:05:00.1");
	assert_int_equal(pt_member_get_num_vfs(pt_group_get_member(g, 0)), 0);
	g = load_ok("nic", "[group]\ntype = sriov-nic\n"
		    "[rule \"r\"]\nmatch = pf eq enp9s0\n");
	assert_int_equal(pt_group_get_num_members(g), 0);
}

static void test_members_vgpu(void **state)
{
	struct pt_group *g;

	(void)state;
	/* the mdev parent whole; the per-VF GPU with its VFs */
	g = load_ok("vg", "[group]\ntype = vgpu\n[rule \"nv\"]\nmatch = vendor_id eq 10de\n");
	assert_string_equal(members(g), "0000:03:00.0 0000:04:00.0[0,1]");
	g = load_ok("vg", "[group]\ntype = vgpu\n[rule \"nv\"]\n"
		    "match = vendor_id eq 10de and virtual_function eq 1\n");
	assert_string_equal(members(g), "0000:03:00.0 0000:04:00.0[1]");
	g = load_ok("vg", "[group]\ntype = vgpu\n[rule \"a10\"]\n"
		    "match = type_name eq \"NVIDIA A10-4Q\"\n");
	assert_string_equal(members(g), "0000:04:00.0[0,1]");
	g = load_ok("vg", "[group]\ntype = vgpu\n[rule \"t4\"]\nmatch = type eq nvidia-222\n");
	assert_string_equal(members(g), "0000:03:00.0");
}

/* An mdev parent that is no PCI function (mtty) is a vgpu member, after the GPUs. */
static void test_members_mdev_virtual(void **state)
{
	struct pt_group *g;
	struct pt_member *m;

	(void)state;
	g = load_ok("vg", "[group]\ntype = vgpu\n[rule \"m\"]\nmatch = mdev_parent eq mtty\n");
	assert_string_equal(members(g), "mtty");
	m = pt_group_get_member(g, 0);
	assert_null(pt_member_get_pci_dev(m));
	assert_null(pt_member_get_usb_dev(m));
	assert_string_equal(pt_mdev_parent_get_name(pt_member_get_mdev_parent(m)), "mtty");
	/* its types' ids and names are rule values; PCI fields are absent */
	g = load_ok("vg", "[group]\ntype = vgpu\n[rule \"m\"]\n"
		    "match = type_name eq \"Dual port serial\"\n");
	assert_string_equal(members(g), "mtty");
	g = load_ok("vg", "[group]\ntype = vgpu\n[rule \"m\"]\nmatch = type eq mtty-1\n");
	assert_string_equal(members(g), "mtty");
	g = load_ok("vg", "[group]\ntype = vgpu\n[rule \"m\"]\n"
		    "match = mdev_parent eq mtty and vendor_id eq 10de\n");
	assert_string_equal(members(g), "");
	/* a PCI parent's mdev_parent is its BDF */
	g = load_ok("vg", "[group]\ntype = vgpu\n[rule \"m\"]\n"
		    "match = mdev_parent eq 0000:03:00.0\n");
	assert_string_equal(members(g), "0000:03:00.0");
	assert_string_equal(pt_mdev_parent_get_name(
		pt_member_get_mdev_parent(pt_group_get_member(g, 0))), "0000:03:00.0");
	/* a pci group never holds it */
	g = load_ok("p", "[group]\ntype = pci\n[rule \"m\"]\nmatch = vendor_id ne ffff\n");
	assert_null(strstr(members(g), "mtty"));
}

static void test_node_patterns(void **state)
{
	char host[HOST_NAME_MAX + 1], text[512], pat[HOST_NAME_MAX + 2];
	struct pt_group *g;
	struct pt_rule *r;

	(void)state;
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	host[sizeof(host) - 1] = '\0';

	snprintf(text, sizeof(text), "[group]\ntype = pci\n"
		 "[rule \"here\"]\nmatch = class_id eq 0108\nnode = %s\n"
		 "[rule \"there\"]\nmatch = device_id eq 1eb8\nnode = %s-not\n", host, host);
	g = load_ok("gpu", text);
	assert_true(pt_rule_applies_here(pt_rule_find(g, "here")));
	assert_false(pt_rule_applies_here(pt_rule_find(g, "there")));
	assert_string_equal(members(g), "0000:06:00.0");

	/* fnmatch patterns: the first letter and a star, a class, '?' */
	snprintf(pat, sizeof(pat), "%c*", host[0]);
	snprintf(text, sizeof(text), "[group]\ntype = pci\n[rule \"a\"]\n"
		 "match = class_id eq 0108\nnode = %s\n", pat);
	g = load_ok("gpu", text);
	r = pt_rule_find(g, "a");
	assert_true(pt_rule_applies_here(r));
	snprintf(pat, sizeof(pat), "%s", host);
	pat[0] = '?';
	snprintf(text, sizeof(text), "[group]\ntype = pci\n[rule \"a\"]\n"
		 "match = class_id eq 0108\nnode = [%c]%s\n", host[0], host + 1);
	g = load_ok("gpu", text);
	assert_true(pt_rule_applies_here(pt_rule_find(g, "a")));
	snprintf(text, sizeof(text), "[group]\ntype = pci\n[rule \"a\"]\n"
		 "match = class_id eq 0108\nnode = %s\n", pat);
	g = load_ok("gpu", text);
	assert_true(pt_rule_applies_here(pt_rule_find(g, "a")));
	snprintf(text, sizeof(text), "[group]\ntype = pci\n[rule \"a\"]\n"
		 "match = class_id eq 0108\nnode = %s?\n", host);
	g = load_ok("gpu", text);
	assert_false(pt_rule_applies_here(pt_rule_find(g, "a")));
	assert_int_equal(pt_group_get_num_members(g), 0);

	/* a short pattern matches a host's FQDN by its first label */
	if (strchr(host, '.')) {
		*strchr(host, '.') = '\0';
		snprintf(text, sizeof(text), "[group]\ntype = pci\n[rule \"a\"]\n"
			 "match = class_id eq 0108\nnode = %s\n", host);
		g = load_ok("gpu", text);
		assert_true(pt_rule_applies_here(pt_rule_find(g, "a")));
	}
}

/* ---- conflicts ---------------------------------------------------------- */

static void test_conflict_pci(void **state)
{
	(void)state;
	reset();
	put("gpu2", "[group]\ntype = pci\n[rule \"nvme\"]\nmatch = class_id eq 0108\n");
	put("gpu1", "[group]\ntype = pci\n[rule \"s\"]\nmatch = slot eq 06:00.0\n"
	    "[rule \"t4\"]\nmatch = slot eq 03:00.0\n");
	put("other", "[group]\ntype = pci\n[rule \"t4\"]\nmatch = slot eq 03:00.0\n"
	    "node = nomatch-*\n");
	assert_int_equal(pt_conf_load(ctx), 0);
	/* the device and both groups; a rule for another node claims nothing */
	assert_string_equal(conflicts(), "0000:06:00.0: gpu1 gpu2");
	assert_null(pt_conflict_get_group(pt_conflict_get_first(ctx), 2));
	assert_null(pt_conflict_get_group(pt_conflict_get_first(ctx), -1));
	assert_null(pt_conflict_get_next(pt_conflict_get_first(ctx)));

	/* one group claiming a device twice is no conflict */
	reset();
	put("gpu", "[group]\ntype = pci\n[rule \"a\"]\nmatch = slot eq 06:00.0\n"
	    "[rule \"b\"]\nmatch = class_id eq 0108\n");
	assert_int_equal(pt_conf_load(ctx), 0);
	assert_null(pt_conflict_get_first(ctx));
	assert_string_equal(members(pt_group_find(ctx, "gpu")), "0000:06:00.0");
}

/* enp5s0f0's VFs with vf_index <vfs> as sriov-nic group name (numvfs if not 0). */
static void vf_group(const char *name, int numvfs, const char *vfs)
{
	char text[256], nv[32] = "";

	if (numvfs)
		snprintf(nv, sizeof(nv), "numvfs = %d\n", numvfs);
	snprintf(text, sizeof(text), "[group]\ntype = sriov-nic\n%s[rule \"r\"]\n"
		 "match = pf eq enp5s0f0 and vf_index %s\n", nv, vfs);
	put(name, text);
}

static void test_conflict_sriov(void **state)
{
	(void)state;
	/* two groups splitting one PF's VFs: no conflict */
	reset();
	vf_group("nic-a", 0, "lt 2");
	vf_group("nic-b", 0, "ge 2");
	assert_int_equal(pt_conf_load(ctx), 0);
	assert_string_equal(members(pt_group_find(ctx, "nic-a")), "0000:05:00.0[0,1]");
	assert_string_equal(members(pt_group_find(ctx, "nic-b")), "0000:05:00.0[2,3]");
	assert_null(pt_conflict_get_first(ctx));

	/* overlapping on VF 1: a conflict naming the VF */
	reset();
	vf_group("nic-a", 0, "lt 2");
	vf_group("nic-b", 0, "ge 1");
	assert_int_equal(pt_conf_load(ctx), 0);
	assert_string_equal(conflicts(), "0000:05:02.1: nic-a nic-b");

	/* a VF that does not exist yet is named by PF and index */
	reset();
	vf_group("nic-a", 6, "ge 5");
	vf_group("nic-b", 6, "eq 5");
	assert_int_equal(pt_conf_load(ctx), 0);
	assert_string_equal(conflicts(), "0000:05:00.0 vf 5: nic-a nic-b");

	/* a pci group taking the PF whole against two that split it: two */
	reset();
	vf_group("nic-a", 0, "lt 2");
	vf_group("nic-b", 0, "ge 2");
	put("all", "[group]\ntype = pci\n[rule \"r\"]\nmatch = slot eq 05:00.0\n");
	assert_int_equal(pt_conf_load(ctx), 0);
	assert_string_equal(conflicts(), "0000:05:00.0: all nic-a; "
			    "0000:05:00.0: all nic-b");

	/* a pci group taking a VF that an sriov-nic group hands out */
	reset();
	vf_group("nic-a", 0, "lt 2");
	put("vfs", "[group]\ntype = pci\n[rule \"r\"]\nmatch = slot eq 05:02.1\n");
	assert_int_equal(pt_conf_load(ctx), 0);
	assert_string_equal(conflicts(), "0000:05:02.1: nic-a vfs");
}

/*
 * Regression (lib/group.c, conflicts_compute/add_member): whether an sriov-nic
 * member claims its PF shared (VFs split between groups) or whole is
 * taken from m->vfs != NULL, and add_member allocates m->vfs only when
 * the PF has VFs (sriov_numvfs, or the group's numvfs, above 0). So two
 * groups that split a PF's VFs by vf_index conflict while SR-IOV is off
 * ("0000:05:00.1: nic-a nic-b") and stop conflicting once VFs exist; the
 * same two groups on 0000:05:00.0 (four VFs) do not conflict. A vgpu
 * group on a GPU whose VFs are not created yet is hit the same way.
 * Expected: no conflict; per-VF-ness follows the group type (sriov-nic,
 * vgpu without an mdev parent), not the current VF count.
 */
static void test_conflict_sriov_off(void **state)
{
	(void)state;
	reset();
	put("nic-a", "[group]\ntype = sriov-nic\n[rule \"r\"]\n"
	    "match = pf eq enp5s0f1 and vf_index lt 2\n");
	put("nic-b", "[group]\ntype = sriov-nic\n[rule \"r\"]\n"
	    "match = pf eq enp5s0f1 and vf_index ge 2\n");
	assert_int_equal(pt_conf_load(ctx), 0);
	assert_string_equal(members(pt_group_find(ctx, "nic-a")), "0000:05:00.1");
	assert_string_equal(members(pt_group_find(ctx, "nic-b")), "0000:05:00.1");
	assert_string_equal(conflicts(), "");
}

/* ---- rule checks and tests ---------------------------------------------- */

static void test_rule_check(void **state)
{
	const char *vol = "stale";
	char *msg = (char *)"stale";

	(void)state;
	assert_int_equal(pt_rule_check(PT_GROUP_PCI, "vendor_id eq 10de", &msg, &vol), 0);
	assert_null(msg);
	assert_null(vol);
	assert_int_equal(pt_rule_check(PT_GROUP_SRIOV_NIC, "vf_index lt 4", NULL, NULL), 0);
	assert_int_equal(pt_rule_check(PT_GROUP_USB, "bus eq 1 and port_path eq 4.2",
				       &msg, &vol), 0);
	assert_null(msg);
	assert_string_equal(vol, "bus");
	assert_int_equal(pt_rule_check(PT_GROUP_USB, "vendor_id eq 046d", &msg, &vol), 0);
	assert_null(vol);

	vol = "stale";
	assert_int_equal(pt_rule_check(PT_GROUP_PCI, "vendor_id eq", &msg, &vol), -EINVAL);
	assert_non_null(msg);
	assert_int_equal(strncmp(msg, "column ", 7), 0);
	assert_null(vol);
	free(msg);
	assert_int_equal(pt_rule_check(PT_GROUP_PCI, "vf_index eq 1", NULL, NULL), -EINVAL);
	assert_int_equal(pt_rule_check(PT_GROUP_VGPU, "virtual_function eq 1", NULL, NULL),
			 0);
}

static void test_rule_test(void **state)
{
	struct pt_group *g;
	struct pt_rule *r;
	char *why = (char *)"stale";

	(void)state;
	g = load_ok("gpu", "[group]\ntype = pci\n[rule \"t4\"]\n"
		    "match = vendor_id eq 10de and device_id eq 1eb8\n");
	r = pt_rule_find(g, "t4");
	assert_int_equal(pt_rule_test(r, pt_pci_dev_find(ctx, "0000:03:00.0"), NULL, &why), 1);
	assert_null(why);
	assert_int_equal(pt_rule_test(r, pt_pci_dev_find(ctx, "0000:04:00.0"), NULL, &why), 0);
	assert_string_equal(why, "clause 2 'device_id eq 1eb8': device_id is 2236");
	free(why);
	assert_int_equal(pt_rule_test(r, pt_pci_dev_find(ctx, "0000:06:00.0"), NULL, NULL), 0);
	/* a PCI group's rule takes a PCI function, nothing else */
	assert_int_equal(pt_rule_test(r, NULL, NULL, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_fits),
		cmocka_unit_test(test_load_nothing),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_load_error_sticks),
		cmocka_unit_test(test_txn_record),
		cmocka_unit_test(test_settings),
		cmocka_unit_test(test_cross_checks),
		cmocka_unit_test(test_txn),
		cmocka_unit_test(test_txn_keeps_hand_edits),
		cmocka_unit_test(test_dry_run),
		cmocka_unit_test(test_txn_check),
		cmocka_unit_test(test_applied_not_groups),
		cmocka_unit_test(test_make_resource),
		cmocka_unit_test(test_members_pci),
		cmocka_unit_test(test_members_sriov),
		cmocka_unit_test(test_members_vgpu),
		cmocka_unit_test(test_members_mdev_virtual),
		cmocka_unit_test(test_node_patterns),
		cmocka_unit_test(test_conflict_pci),
		cmocka_unit_test(test_conflict_sriov),
		cmocka_unit_test(test_conflict_sriov_off),
		cmocka_unit_test(test_rule_check),
		cmocka_unit_test(test_rule_test),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
