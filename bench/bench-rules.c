// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench-rules: rule matching in-process, the plain matcher against the
 * rule index (lib/rule.c, pt__rule_set_*), on a scanned sysfs tree.
 *
 *     bench-rules SYSFS_ROOT [RULES] [REPS]
 *
 * RULES (1000) rules of the shape the issue measured, "vendor_id eq V and
 * device_id eq D": all but two name ids no function has, so the plain
 * matcher tries every rule on most functions; the last rule matches the
 * most common function (the VFs), one in the middle matches another.
 * Each function of the tree is matched once, first matching rule wins, as
 * group membership does. Prints one line of key=value: the medians over
 * REPS (5) runs, in milliseconds, and the matches (the same for both, or
 * the program fails). A measurement, not a test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchutil.h"
#include "policy.h"

int main(int argc, char **argv)
{
	int nrules = argc > 2 ? atoi(argv[2]) : 1000;
	int reps = argc > 3 ? atoi(argv[3]) : 5;
	struct pt_pci_dev **devs = NULL, *d, *common = NULL, *other = NULL;
	struct pt_rule_expr **rules;
	double *tp, *ti, *tb;
	struct pt_ctx *ctx;
	size_t n = 0;
	long mp = 0, mi = 0;

	if (argc < 2 || nrules < 2 || reps < 1) {
		fprintf(stderr, "usage: bench-rules SYSFS_ROOT [RULES] [REPS]\n");
		return 2;
	}
	if (pt_new(&ctx) < 0 || pt_set_sysfs_root(ctx, argv[1]) < 0 ||
	    pt_pci_scan(ctx) < 0) {
		fprintf(stderr, "bench-rules: cannot scan %s\n", argv[1]);
		return 1;
	}
	pt_pci_dev_foreach(ctx, d) {
		devs = realloc(devs, (n + 1) * sizeof(*devs));
		if (!devs)
			return 1;
		devs[n++] = d;
		if (pt_pci_dev_is_vf(d))
			common = d;
		else if (!pt_pci_dev_is_bridge(d))
			other = d;
	}
	if (!common)
		common = devs[n - 1];
	if (!other)
		other = devs[0];
	rules = calloc(nrules, sizeof(*rules));
	tp = calloc(reps, sizeof(*tp));
	ti = calloc(reps, sizeof(*ti));
	tb = calloc(reps, sizeof(*tb));
	if (!rules || !tp || !ti || !tb)
		return 1;
	for (int i = 0; i < nrules; i++) {
		char text[128], msg[256];
		unsigned int v = 0x1000 + i / 50, dv = 0x8000 + i;

		if (i == nrules - 1 || i == nrules / 2) {
			d = i == nrules - 1 ? common : other;
			v = pt_pci_dev_get_vendor_id(d);
			dv = pt_pci_dev_get_device_id(d);
		}
		snprintf(text, sizeof(text), "vendor_id eq %04x and device_id eq %04x", v, dv);
		if (pt__rule_parse(text, PT_GROUP_PCI, &rules[i], msg, sizeof(msg)) < 0) {
			fprintf(stderr, "bench-rules: %s: %s\n", text, msg);
			return 1;
		}
	}
	for (int rep = 0; rep < reps; rep++) {
		struct pt_rule_set *set;
		double t0;

		mp = mi = 0;
		t0 = now_ms();
		for (size_t i = 0; i < n; i++) {
			struct pt_dev_view v = { .type = PT_GROUP_PCI, .pci = devs[i], .vf_index = -1 };

			for (int r = 0; r < nrules; r++)
				if (pt__rule_match(rules[r], &v, NULL, 0) == 1) {
					mp += r + 1;
					break;
				}
		}
		tp[rep] = now_ms() - t0;

		t0 = now_ms();
		if (pt__rule_set_new(PT_GROUP_PCI, rules, nrules, &set) < 0)
			return 1;
		tb[rep] = now_ms() - t0;
		for (size_t i = 0; i < n; i++) {
			struct pt_dev_view v = { .type = PT_GROUP_PCI, .pci = devs[i], .vf_index = -1 };
			const size_t *cand;
			int nc = pt__rule_set_candidates(set, &v, &cand);

			for (int c = 0; c < nc; c++)
				if (pt__rule_match(rules[cand[c]], &v, NULL, 0) == 1) {
					mi += (long)cand[c] + 1;
					break;
				}
		}
		ti[rep] = now_ms() - t0;
		pt__rule_set_free(set);
		if (mp != mi) {
			fprintf(stderr, "bench-rules: plain and indexed disagree\n");
			return 1;
		}
	}
	printf("functions=%zu rules=%d plain_ms=%.2f indexed_ms=%.2f build_ms=%.2f "
	       "matched_sum=%ld\n", n, nrules, median(tp, reps), median(ti, reps),
	       median(tb, reps), mi);
	for (int i = 0; i < nrules; i++)
		pt__rule_free(rules[i]);
	free(rules);
	free(devs);
	free(tp);
	free(ti);
	free(tb);
	pt_unref(ctx);
	return 0;
}
