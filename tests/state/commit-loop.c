// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A writer that does nothing but commit, for the crash-safety test to
 * SIGKILL at random moments: most of its time is spent inside
 * pt__store_commit() (temp file written, fsynced, renamed), so kills land
 * in the write window far more often than with a whole `pt` command.
 *
 *   commit-loop CONF_DIR GROUP [MAX]
 *
 * Each round takes the lock, reads groups.d/GROUP.ini, turns
 * "description = commit N" into "commit N+1" and commits. It stops after
 * MAX rounds (default 100000) or when killed. Exit 0, or 1 with a message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

int main(int argc, char **argv)
{
	char rel[256], err[1024], val[64];
	long max = argc > 3 ? atol(argv[3]) : 100000;
	struct pt_ctx *ctx;
	int r;

	if (argc < 3) {
		fprintf(stderr, "usage: commit-loop CONF_DIR GROUP [MAX]\n");
		return 2;
	}
	snprintf(rel, sizeof(rel), "groups.d/%s.ini", argv[2]);
	r = pt_new(&ctx);
	if (r < 0 || pt_set_conf_dir(ctx, argv[1]) < 0) {
		fprintf(stderr, "commit-loop: cannot set up a context: %s\n",
			strerror(r < 0 ? -r : EINVAL));
		return 1;
	}
	for (long i = 0; i < max; i++) {
		struct pt_store *st;
		struct pt_ini_file *f;
		const char *cur;
		long n;

		r = pt__store_open(ctx, true, &st, err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "commit-loop: %s\n", err);
			return 1;
		}
		f = pt__store_find(st, rel);
		cur = f ? pt__ini_get(f, "group", "description") : NULL;
		if (!cur || sscanf(cur, "commit %ld", &n) != 1) {
			fprintf(stderr, "commit-loop: %s: no 'description = commit N' in [group]\n",
				rel);
			return 1;
		}
		snprintf(val, sizeof(val), "commit %ld", n + 1);
		r = pt__ini_set(f, "group", "description", val);
		if (!r)
			r = pt__store_commit(st);
		pt__store_close(st);
		if (r < 0) {
			fprintf(stderr, "commit-loop: %s: commit: %s\n", rel,
				strerror(-r));
			return 1;
		}
	}
	pt_unref(ctx);
	return 0;
}
