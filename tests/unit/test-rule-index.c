// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The rule index (rule.c, pt__rule_set_*) against the plain matcher: on
 * the trees of tests/fixtures/gen-sysfs ($PT_GEN_SYSFS, set by CTest),
 * random rules built from the devices' own values (so that equality
 * clauses hit) and from values no device has, for every group type on
 * PCI. For every (rule set, device, VF index) the rules that match when
 * each is tried plainly must be exactly the index's candidates that
 * match: the same first rule, the same VFs admitted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "testutil.h"

/* xorshift: the same rules on every run, so a failure reproduces */
static unsigned long long rng;

static unsigned int rnd(unsigned int n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned int)(rng % n);
}

/* The text a device shows for a field, as a user would write it. */
static void field_value(struct pt_pci_dev *d, const char *f, char *buf, size_t len)
{
	struct pt_pci_dev *pf = pt_pci_dev_get_physfn(d);
	const char *s = NULL;

	buf[0] = '\0';
	if (!strcmp(f, "vendor_id"))
		snprintf(buf, len, rnd(2) ? "%04x" : "0x%04X", pt_pci_dev_get_vendor_id(d));
	else if (!strcmp(f, "device_id"))
		snprintf(buf, len, "%04x", pt_pci_dev_get_device_id(d));
	else if (!strcmp(f, "subsystem_vendor_id"))
		snprintf(buf, len, "%x", pt_pci_dev_get_subsystem_vendor_id(d));
	else if (!strcmp(f, "subsystem_device_id"))
		snprintf(buf, len, "%04x", pt_pci_dev_get_subsystem_device_id(d));
	else if (!strcmp(f, "class_id"))
		snprintf(buf, len, "%04x", pt_pci_dev_get_class(d) >> 8);
	else if (!strcmp(f, "slot") || !strcmp(f, "physical_function") ||
		 !strcmp(f, "pf_slot"))
		/* the short form must find the same rules as the long one */
		snprintf(buf, len, "%s", pt_pci_dev_get_bdf(pf && strcmp(f, "slot") ? pf : d) +
			 (rnd(2) ? 5 : 0));
	else if (!strcmp(f, "iommu_group"))
		snprintf(buf, len, "%d", pt_pci_dev_get_iommu_group(d) < 0 ? 0 :
			 pt_pci_dev_get_iommu_group(d));
	else if (!strcmp(f, "numa_node") || !strcmp(f, "vf_index") ||
		 !strcmp(f, "virtual_function"))
		snprintf(buf, len, "%u", rnd(4));
	else if (!strcmp(f, "driver"))
		s = pt_pci_dev_get_driver(d);
	else if (!strcmp(f, "class"))
		s = pt_pci_dev_get_class_name(d);
	else if (!strcmp(f, "vendor"))
		s = pt_pci_dev_get_vendor_name(d);
	else if (!strcmp(f, "device"))
		s = pt_pci_dev_get_device_name(d);
	else if (!strcmp(f, "name"))
		s = pt_pci_dev_get_display_name(d);
	else if (!strcmp(f, "physical_slot"))
		s = pt_pci_dev_get_physical_slot(d);
	else if (!strcmp(f, "pf") && pt_netdev_get_first(pf ? pf : d))
		s = pt_netdev_get_name(pt_netdev_get_first(pf ? pf : d));
	else if (!strcmp(f, "type") || !strcmp(f, "type_name"))
		s = rnd(2) ? "nvidia-222" : "GRID T4-1Q";
	if (s)
		snprintf(buf, len, "%s", s);
}

/* value into a "double quoted" rule value, with \" and \\ escapes */
static void quote(const char *v, char *out, size_t len)
{
	size_t o = 0;

	out[o++] = '"';
	for (; *v && o + 3 < len; v++) {
		if (*v == '"' || *v == '\\')
			out[o++] = '\\';
		out[o++] = *v;
	}
	out[o++] = '"';
	out[o] = '\0';
}

static const char *const ops[] = {
	"eq", "eq", "eq", "eq", "eq", "ne", "lt", "ge", "begins", "ends",
	"contains", "icontains", "regex",
};

/* A random rule of type t over the devices; NULL when it does not parse. */
static struct pt_rule_expr *random_rule(struct pt_pci_dev **devs, size_t n,
					enum pt_group_type t)
{
	const char *const *fields = pt_rule_fields(t);
	size_t nf = 0, clauses = 1 + rnd(3);
	char text[1024] = "", val[300], q[700], msg[256];
	struct pt_rule_expr *e = NULL;

	while (fields[nf])
		nf++;
	for (size_t i = 0; i < clauses; i++) {
		const char *f = fields[rnd(nf)];
		const char *op = ops[rnd(sizeof(ops) / sizeof(ops[0]))];
		size_t len;

		if (rnd(8) == 0)
			snprintf(val, sizeof(val), "%s", rnd(2) ? "ffff" : "nothing-like-it");
		else
			field_value(devs[rnd(n)], f, val, sizeof(val));
		len = strlen(val);
		/* a prefix or suffix for the string operators */
		if (len > 2 && (!strcmp(op, "begins") || !strcmp(op, "contains")))
			val[1 + rnd(len - 1)] = '\0';
		else if (len > 2 && !strcmp(op, "ends"))
			memmove(val, val + len - 2, 3);
		quote(val, q, sizeof(q));
		len = strlen(text);
		snprintf(text + len, sizeof(text) - len, "%s%s %s %s", i ? " and " : "",
			 f, op, q);
	}
	if (pt__rule_parse(text, t, &e, msg, sizeof(msg)) < 0)
		return NULL;
	return e;
}

static size_t run_tree(char *const gen_args[], const unsigned long long *seeds,
		       size_t n_seeds)
{
	static const enum pt_group_type types[] = {
		PT_GROUP_PCI, PT_GROUP_SRIOV_NIC, PT_GROUP_VGPU,
	};
	char *root = tu_mkdtemp(), sys[400];
	struct pt_pci_dev **devs = NULL, *d;
	size_t n = 0, pairs = 0, indexed = 0;
	struct pt_ctx *ctx;

	tu_gen_sysfs(root, gen_args);
	snprintf(sys, sizeof(sys), "%s/sys", root);
	assert_int_equal(pt_new(&ctx), 0);
	pt_set_log_priority(ctx, 0);
	assert_int_equal(pt_set_sysfs_root(ctx, sys), 0);
	assert_int_equal(pt_pci_scan(ctx), 0);
	pt_pci_dev_foreach(ctx, d) {
		devs = realloc(devs, (n + 1) * sizeof(*devs));
		assert_non_null(devs);
		devs[n++] = d;
	}
	assert_true(n > 10);
	for (size_t si = 0; si < n_seeds; si++)
	for (size_t ti = 0; ti < sizeof(types) / sizeof(types[0]); ti++) {
		enum pt_group_type t = types[ti];
		struct pt_rule_expr *rules[300];
		struct pt_rule_set *set;
		size_t nr = 0;

		rng = seeds[si] + ti;
		while (nr < 300) {
			struct pt_rule_expr *e = random_rule(devs, n, t);

			if (e)
				rules[nr++] = e;
		}
		assert_int_equal(pt__rule_set_new(t, rules, nr, &set), 0);
		indexed += pt__rule_set_get_num_indexed(set);
		for (size_t i = 0; i < n; i++) {
			for (int vf = -1; vf < (t == PT_GROUP_PCI ? 0 : 4); vf++) {
				struct pt_dev_view v = {
					.type = t, .pci = devs[i], .vf_index = vf,
				};
				char plain[300] = { 0 }, idx[300] = { 0 };
				const size_t *cand;
				int nc;

				for (size_t r = 0; r < nr; r++) {
					int m = pt__rule_match(rules[r], &v, NULL, 0);

					assert_true(m == 0 || m == 1);
					plain[r] = (char)m;
				}
				nc = pt__rule_set_candidates(set, &v, &cand);
				assert_true(nc >= 0);
				for (int c = 0; c < nc; c++) {
					assert_true(cand[c] < nr);
					if (c)
						assert_true(cand[c - 1] < cand[c]);
					idx[cand[c]] = (char)(pt__rule_match(rules[cand[c]], &v,
									 NULL, 0) == 1);
				}
				for (size_t r = 0; r < nr; r++)
					if (plain[r] != idx[r])
						fail_msg("%s, type %d, vf %d: rule %zu matches %s "
							 "plainly, %s through the index", pt_pci_dev_get_bdf(devs[i]),
							 t, vf, r, plain[r] ? "yes" : "no",
							 idx[r] ? "yes" : "no");
				pairs += nr;
			}
		}
		pt__rule_set_free(set);
		for (size_t r = 0; r < nr; r++)
			pt__rule_free(rules[r]);
	}
	/* the index did file most rules: the test compared something */
	assert_true(indexed > 300);
	free(devs);
	pt_unref(ctx);
	tu_rmtree(root);
	free(root);
	return pairs;
}

static void test_workstation(void **state)
{
	static const unsigned long long seeds[] = {
		0x9e3779b97f4a7c15ull, 0xbf58476d1ce4e5b9ull, 0x94d049bb133111ebull,
		0x2545f4914f6cdd1dull,
	};
	char *args[] = { "--profile", "workstation", NULL };

	(void)state;
	assert_true(run_tree(args, seeds, 4) > 0);
}

static void test_scale(void **state)
{
	char *args[] = { "--profile", "scale", "--gpus", "2", "--nics", "2",
			 "--vfs-per-nic", "8", NULL };

	static const unsigned long long seeds[] = { 0x2545f4914f6cdd1dull };

	(void)state;
	assert_true(run_tree(args, seeds, 1) > 0);
}

/* An empty set, and a set of one type asked about another: refused. */
static void test_edges(void **state)
{
	struct pt_rule_expr *e;
	struct pt_rule_set *set;
	struct pt_dev_view v = { .type = PT_GROUP_USB, .vf_index = -1 };
	const size_t *cand;
	char msg[256];

	(void)state;
	assert_int_equal(pt__rule_set_new(PT_GROUP_PCI, NULL, 0, &set), 0);
	assert_int_equal(pt__rule_set_candidates(set, &v, &cand), -EINVAL);
	pt__rule_set_free(set);
	assert_int_equal(pt__rule_parse("vendor_id eq 10de", PT_GROUP_PCI, &e, msg,
					sizeof(msg)), 0);
	assert_int_equal(pt__rule_set_new(PT_GROUP_USB, &e, 1, &set), -EINVAL);
	pt__rule_free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_workstation),
		cmocka_unit_test(test_scale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
