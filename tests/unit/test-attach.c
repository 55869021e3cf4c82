// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A start's narrowed PCI scan (attach.c pt__attach_narrow, pci.c
 * pt__pci_scan_narrow) against the full scan, on the trees of
 * tests/fixtures/gen-sysfs ($PT_GEN_SYSFS, set by CTest): for groups of
 * every PCI type with a rule on the slot of every function, on the ids of
 * every device kind and on every driver, and for the groups the golden
 * attach scenarios (tests/attach) use, together, the members (in order,
 * with their VFs), what the allocator is told of each (driver, NUMA node,
 * IOMMU group and its functions, host-critical reasons, VFs) and the
 * allocator's pick of one unit must be the same text on a context that
 * scanned every function and on one narrowed for those groups. A rule the
 * narrowing cannot use (no equality clause on slot, ids, class_id, driver)
 * must leave the model whole.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "private.h"
#include "testutil.h"

struct buf {
	char *s;
	size_t n, cap;
};

static void __attribute__((format(printf, 2, 3))) put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		assert_non_null(b->s);
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->n, n + 1, fmt, ap);
	va_end(ap);
	b->n += n;
}

/* What the allocator and the plans read of a function. */
static void put_fn(struct buf *b, struct pt_ctx *ctx, struct pt_pci_dev *d)
{
	int grp = pt_pci_dev_get_iommu_group(d);
	struct pt_iommu_group *ig = grp >= 0 ? pt_iommu_group_find(ctx, grp) : NULL;
	struct pt_netdev *nd;

	put(b, " %s drv=%s numa=%d crit=%s rev=%02x ovr=%s vgpu=%u group=%d[",
	    pt_pci_dev_get_bdf(d), pt_pci_dev_get_driver(d) ? pt_pci_dev_get_driver(d) : "-",
	    pt_pci_dev_get_numa_node(d),
	    pt_pci_dev_get_critical_reason(d) ? pt_pci_dev_get_critical_reason(d) : "-",
	    pt_pci_dev_get_revision(d),
	    pt_pci_dev_get_driver_override(d) ? pt_pci_dev_get_driver_override(d) : "-",
	    pt_pci_dev_get_current_vgpu_type(d), grp);
	for (int k = 0; ig && k < pt_iommu_group_get_num_members(ig); k++)
		put(b, " %s", pt_pci_dev_get_bdf(pt_iommu_group_get_member(ig, k)));
	put(b, "] pf=%s net=", pt_pci_dev_get_physfn(d) ?
	    pt_pci_dev_get_bdf(pt_pci_dev_get_physfn(d)) : "-");
	pt_netdev_foreach(d, nd)
		put(b, "%s/%s/%s/%d,", pt_netdev_get_name(nd),
		    pt_netdev_get_operstate(nd) ? pt_netdev_get_operstate(nd) : "-",
		    pt_netdev_get_address(nd) ? pt_netdev_get_address(nd) : "-",
		    pt_netdev_get_mtu(nd));
	put(b, "\n");
}

/* Members, what each unit is made of, capacity and a pick of one unit. */
static void put_group(struct buf *b, struct pt_ctx *ctx, struct pt_group *g)
{
	char why[512] = "", **units = NULL;
	int total = -1, leased = -1, free_now = -1, n = 0, r;

	put(b, "group %s: %d members\n", pt_group_get_name(g), pt_group_get_num_members(g));
	for (int i = 0; i < pt_group_get_num_members(g); i++) {
		struct pt_member *m = pt_group_get_member(g, i);
		struct pt_pci_dev *d = pt_member_get_pci_dev(m);

		put(b, "member %s rule %s vfs", pt_member_get_name(m),
		    pt_rule_get_name(pt_member_get_rule(m)));
		for (int k = 0; k < pt_member_get_num_vfs(m); k++)
			put(b, " %d", pt_member_get_vf_index(m, k));
		put(b, "\n");
		if (!d)
			continue;
		put_fn(b, ctx, d);
		for (int k = 0; k < pt_pci_dev_get_sriov_numvfs(d); k++)
			if (pt_pci_dev_get_virtfn(d, k))
				put_fn(b, ctx, pt_pci_dev_get_virtfn(d, k));
	}
	r = pt_group_get_capacity(ctx, g, &total, &leased, &free_now);
	put(b, "capacity %d: %d %d %d\n", r, total, leased, free_now);
	r = pt__attach_pick_units(ctx, g, 1, &units, &n, why, sizeof(why));
	put(b, "pick %d (%s):", r, why);
	for (int i = 0; i < n; i++) {
		put(b, " %s", units[i]);
		free(units[i]);
	}
	free(units);
	put(b, "\n");
}

struct tree {
	char *root, sys[400], proc[400], dev[400], conf[400];
};

static struct pt_ctx *ctx_new(const struct tree *t)
{
	struct pt_ctx *ctx;

	assert_int_equal(pt_new(&ctx), 0);
	pt_set_log_priority(ctx, 0);
	assert_int_equal(pt_set_sysfs_root(ctx, t->sys), 0);
	assert_int_equal(pt_set_proc_root(ctx, t->proc), 0);
	assert_int_equal(pt_set_dev_root(ctx, t->dev), 0);
	assert_int_equal(pt_set_conf_dir(ctx, t->conf), 0);
	assert_int_equal(pt_set_run_dir(ctx, t->conf), 0);
	return ctx;
}

/* groups: "name|type|settings|match[#match...]" lines, one group each. */
static void write_groups(const struct tree *t, const char *const *groups, size_t n)
{
	static char made[8][64];
	static size_t n_made;

	for (size_t i = 0; i < n_made; i++) {
		char path[1024];

		snprintf(path, sizeof(path), "%s/groups.d/%s.ini", t->conf, made[i]);
		unlink(path);
	}
	n_made = 0;
	for (size_t i = 0; i < n; i++) {
		char name[64], type[32], settings[200], match[300], rel[100], text[1000];

		assert_int_equal(sscanf(groups[i], "%63[^|]|%31[^|]|%199[^|]|%299[^\n]", name,
					type, settings, match), 4);
		snprintf(rel, sizeof(rel), "groups.d/%s.ini", name);
		snprintf(made[n_made++], sizeof(made[0]), "%s", name);
		char *save = NULL, *m;
		size_t len;
		int k = 0;

		snprintf(text, sizeof(text), "[group]\ntype = %s\n%s\n", type,
			 strcmp(settings, "-") ? settings : "");
		for (char *p = text; (p = strchr(p, ';')); )
			*p = '\n';
		for (m = strtok_r(match, "#", &save); m; m = strtok_r(NULL, "#", &save)) {
			len = strlen(text);
			snprintf(text + len, sizeof(text) - len, "\n[rule \"r%d\"]\nmatch = %s\n",
				 k++, m);
		}
		tu_write(t->conf, rel, text);
	}
}

/* 1 narrowed, 0 whole: and the text of every group on both contexts equal. */
static int compare(const struct tree *t, const char *const *groups, size_t n)
{
	struct pt_ctx *full = ctx_new(t), *nar = ctx_new(t);
	struct pt_group *gs[8];
	struct buf a = { 0 }, b = { 0 };
	int narrowed;

	write_groups(t, groups, n);
	assert_int_equal(pt_conf_load(full), 0);
	assert_int_equal(pt_conf_load(nar), 0);
	assert_int_equal(pt_pci_scan(full), 0);
	assert_true(n <= 8);
	for (size_t i = 0; i < n; i++) {
		char name[64];

		sscanf(groups[i], "%63[^|]", name);
		gs[i] = pt_group_find(nar, name);
		assert_non_null(gs[i]);
	}
	narrowed = pt__attach_narrow(nar, gs, n);
	assert_true(narrowed >= 0);
	for (size_t i = 0; i < n; i++) {
		put_group(&a, full, pt_group_find(full, pt_group_get_name(gs[i])));
		put_group(&b, nar, gs[i]);
	}
	if (strcmp(a.s, b.s)) {
		print_error("full scan:\n%s\nnarrowed:\n%s\n", a.s, b.s);
		fail_msg("%s: the narrowed scan differs for %s", t->root, groups[0]);
	}
	if (narrowed) {
		pt__attach_narrow_end(nar);
		/* dropped: the next reader sees the whole host again */
		assert_int_equal(pt_pci_scan(nar), 0);
		assert_int_equal(nar->n_pci, full->n_pci);
	}
	free(a.s);
	free(b.s);
	pt_unref(full);
	pt_unref(nar);
	return narrowed;
}

static void tree_make(struct tree *t, const char *profile)
{
	t->root = tu_mkdtemp();
	tu_gen_sysfs(t->root, (char *[]){ "--profile", (char *)profile, NULL });
	snprintf(t->sys, sizeof(t->sys), "%s/sys", t->root);
	snprintf(t->proc, sizeof(t->proc), "%s/proc", t->root);
	snprintf(t->dev, sizeof(t->dev), "%s/dev", t->root);
	snprintf(t->conf, sizeof(t->conf), "%s/conf", t->root);
	tu_mkdir(t->root, "conf");
}

/* Every function's slot, every ids pair, every driver, as each PCI type. */
static void every_rule(const char *profile)
{
	static const char *const types[] = { "pci", "sriov-nic", "vgpu" };
	struct tree t;
	struct pt_ctx *ctx;
	struct pt_pci_dev *d;
	char **rules = NULL;
	unsigned int *fits = NULL;	/* bit k: try as types[k] */
	size_t n = 0, narrowed = 0, tried = 0;

	tree_make(&t, profile);
	ctx = ctx_new(&t);
	pt_pci_dev_foreach(ctx, d) {
		char r[3][200];

		/* VFs are alike: the first two of each PF stand for the rest */
		if (pt_pci_dev_get_physfn(d) && pt_pci_dev_get_vf_index(d) > 1)
			snprintf(r[0], sizeof(r[0]), "slot eq %s",
				 pt_pci_dev_get_bdf(pt_pci_dev_get_physfn(d)));
		else
			snprintf(r[0], sizeof(r[0]), "slot eq %s", pt_pci_dev_get_bdf(d));
		snprintf(r[1], sizeof(r[1]), "vendor_id eq %04x and device_id eq %04x",
			 pt_pci_dev_get_vendor_id(d), pt_pci_dev_get_device_id(d));
		snprintf(r[2], sizeof(r[2]), "driver eq \"%s\"",
			 pt_pci_dev_get_driver(d) ? pt_pci_dev_get_driver(d) : "none");
		for (int k = 0; k < 3; k++) {
			size_t i;

			for (i = 0; i < n && strcmp(rules[i], r[k]); i++)
				;
			if (i == n) {
				rules = realloc(rules, (n + 1) * sizeof(*rules));
				fits = realloc(fits, (n + 1) * sizeof(*fits));
				assert_true(rules && fits);
				rules[n] = strdup(r[k]);
				fits[n++] = 1;
			}
			if (pt_group_type_fits_pci_dev(PT_GROUP_SRIOV_NIC, d))
				fits[i] |= 2;
			if (pt_group_type_fits_pci_dev(PT_GROUP_VGPU, d))
				fits[i] |= 4;
		}
	}
	pt_unref(ctx);
	for (size_t i = 0; i < n; i++) {
		/* every rule as pci; as the others where a device of the rule fits */
		for (size_t k = 0; k < 3; k++) {
			if (!(fits[i] & (1u << k)))
				continue;
			char line[400];
			const char *g[1] = { line };

			snprintf(line, sizeof(line), "g|%s|-|%s", types[k], rules[i]);
			narrowed += compare(&t, g, 1);
			tried++;
		}
		free(rules[i]);
	}
	free(rules);
	free(fits);
	/* every one of these rules is indexable: each start was narrowed */
	assert_int_equal(narrowed, tried);
	tu_rmtree(t.root);
	free(t.root);
}

static void test_workstation(void **state)
{
	(void)state;
	every_rule("workstation");
}

static void test_vgpu(void **state)
{
	(void)state;
	every_rule("vgpu");
}

static void test_apply(void **state)
{
	(void)state;
	every_rule("apply");
}

/* The groups of tests/attach/scenarios, as one VM asks for them together. */
static void test_scenarios(void **state)
{
	static const char *const ws[] = {
		"gpus|pci|-|slot eq 0000:01:00.0",
		"uplink|sriov-nic|-|slot eq 0000:04:00.0",
		"t4|vgpu|profile = nvidia-232;mode = mdev|slot eq 0000:02:00.0",
		"vfs|sriov-nic|-|slot eq 0000:07:00.0#slot eq 0000:04:00.0",
	};
	static const char *const vg[] = {
		"a|vgpu|profile = A100-8C;mode = vf|slot eq 0000:44:00.0",
		"l|vgpu|profile = L40S-2Q;mode = vf;heterogeneous = no|slot eq 0000:43:00.0",
		"l4|vgpu|profile = NVIDIA L4-4Q;mode = vf|slot eq 0000:03:00.0",
	};
	static const char *const whole[] = {
		"gpus|pci|-|slot eq 0000:01:00.0",
		"tty|vgpu|profile = mtty-2;mode = mdev|mdev_parent eq mtty",
	};
	struct tree t;

	(void)state;
	tree_make(&t, "workstation");
	assert_int_equal(compare(&t, ws, 4), 1);
	/* a rule on no indexable field: the start scans every function */
	assert_int_equal(compare(&t, whole, 2), 0);
	tu_rmtree(t.root);
	free(t.root);
	tree_make(&t, "vgpu");
	assert_int_equal(compare(&t, vg, 3), 1);
	tu_rmtree(t.root);
	free(t.root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scenarios),
		cmocka_unit_test(test_workstation),
		cmocka_unit_test(test_vgpu),
		cmocka_unit_test(test_apply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
