// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bench-conf: the state store in-process, on a conf dir of many groups.
 *
 *     bench-conf CONF_DIR [REPS] [GROUP]
 *
 * Times, each in a fresh context:
 *  - load: pt_conf_load(), which reads, parses and validates every file
 *    of the store and builds every group (what `pt group list` does
 *    before it scans anything);
 *  - add: pt_txn_begin() (the lock; every file read and validated but
 *    those the record <conf>/.validated knows valid), pt_txn_rule_add()
 *    of a rule "bench" to GROUP (g0000) and pt_txn_commit(), as `pt rule
 *    add` does; the rule is removed again, untimed, after each run. One
 *    untimed add and remove first builds the record (files written less
 *    than 2 s before are not recorded: give a fresh CONF_DIR that time).
 * Prints one line of key=value: the medians over REPS (5) runs in
 * milliseconds and the number of groups. A measurement, not a test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchutil.h"
#include "libpassthru.h"

static struct pt_ctx *ctx_new(const char *dir)
{
	struct pt_ctx *ctx;

	if (pt_new(&ctx) < 0)
		return NULL;
	if (pt_set_conf_dir(ctx, dir) < 0) {
		pt_unref(ctx);
		return NULL;
	}
	return ctx;
}

/* One transaction: begin, add (or remove) the bench rule, commit. */
static int edit(const char *dir, const char *group, bool add)
{
	struct pt_ctx *ctx = ctx_new(dir);
	struct pt_txn *t;
	int r;

	if (!ctx)
		return -1;
	r = pt_txn_begin(ctx, 0, &t);
	if (r < 0) {
		fprintf(stderr, "bench-conf: %s\n", pt_conf_get_error(ctx));
		pt_unref(ctx);
		return r;
	}
	r = add ? pt_txn_rule_add(t, group, "bench", "vendor_id eq 10de", NULL) :
		  pt_txn_rule_remove(t, group, "bench");
	if (r == 0)
		r = pt_txn_commit(t);
	if (r < 0)
		fprintf(stderr, "bench-conf: %s\n", pt_txn_get_error(t));
	pt_txn_free(t);
	pt_unref(ctx);
	return r;
}

int main(int argc, char **argv)
{
	int reps = argc > 2 ? atoi(argv[2]) : 5;
	const char *group = argc > 3 ? argv[3] : "g0000";
	double *tl, *ta, t0;
	int ngroups = 0;

	if (argc < 2 || reps < 1) {
		fprintf(stderr, "usage: bench-conf CONF_DIR [REPS] [GROUP]\n");
		return 2;
	}
	tl = calloc(reps, sizeof(*tl));
	ta = calloc(reps, sizeof(*ta));
	if (!tl || !ta)
		return 1;
	/* untimed: the record of validated files, as on a host in use */
	if (edit(argv[1], group, true) < 0 || edit(argv[1], group, false) < 0)
		return 1;
	for (int i = 0; i < reps; i++) {
		struct pt_ctx *ctx = ctx_new(argv[1]);
		struct pt_group *g;

		if (!ctx) {
			fprintf(stderr, "bench-conf: %s: not a usable conf dir (an absolute path)\n",
				argv[1]);
			return 1;
		}
		t0 = now_ms();
		if (pt_conf_load(ctx) < 0) {
			fprintf(stderr, "bench-conf: %s\n", pt_conf_get_error(ctx));
			return 1;
		}
		tl[i] = now_ms() - t0;
		ngroups = 0;
		pt_group_foreach(ctx, g)
			ngroups++;
		pt_unref(ctx);

		t0 = now_ms();
		if (edit(argv[1], group, true) < 0)
			return 1;
		ta[i] = now_ms() - t0;
		if (edit(argv[1], group, false) < 0)
			return 1;
	}
	printf("groups=%d load_ms=%.2f add_ms=%.2f\n", ngroups, median(tl, reps),
	       median(ta, reps));
	free(tl);
	free(ta);
	return 0;
}
