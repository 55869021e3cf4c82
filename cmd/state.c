// SPDX-License-Identifier: GPL-2.0-or-later
/* Shared handling of the state dir for the commands that read or change it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pt.h"

int util_conf_fail(struct pt_ctx *ctx, int r)
{
	const char *e = pt_conf_get_error(ctx);

	fprintf(stderr, "passthru: %s\n", e ? e : strerror(-r));
	/* a bad file, a symlinked one, one too large: the state is invalid;
	 * one that could not be made or read (a missing parent): a failure */
	return util_exit_from_errno(r, UTIL_LOAD);
}

int util_txn_fail(const char *cmd, struct pt_txn *txn, int r)
{
	const char *e = pt_txn_get_error(txn);

	util_err(cmd, "%s", e && *e ? e : strerror(-r));
	return util_exit_from_errno(r, UTIL_EDIT);
}

struct pt_txn *util_txn_start(const char *cmd, struct pt_ctx *ctx,
			    const struct pt_opts *o, int *status)
{
	struct pt_txn *txn;
	int r = pt_txn_begin(ctx, o->dry_run ? PT_TXN_DRY_RUN : 0, &txn);

	if (r == 0)
		return txn;
	/* readers and writers word a broken state dir the same way */
	if (pt_conf_get_error(ctx)) {
		*status = util_conf_fail(ctx, r);
		return NULL;
	}
	if (r == -EACCES || r == -EPERM || r == -EROFS)
		util_err(cmd, "%s: %s; run as root or point -O conf.dir= at a writable "
		       "directory", pt_get_conf_dir(ctx), strerror(-r));
	else
		util_err(cmd, "%s: %s", pt_get_conf_dir(ctx), strerror(-r));
	*status = util_exit_from_errno(r, UTIL_EDIT);
	if (*status == PT_EXIT_USAGE)
		*status = PT_EXIT_CONFIG;
	return NULL;
}

int util_txn_finish(const char *cmd, struct pt_txn *txn, const struct pt_opts *o)
{
	int r;

	if (o->dry_run) {
		char *diff;

		/* refuse what the real run would refuse */
		r = pt_txn_check(txn);
		if (r < 0)
			return util_txn_fail(cmd, txn, r);
		diff = pt_txn_get_diff(txn);

		if (diff)
			fputs(diff, stdout);
		free(diff);
		return PT_EXIT_OK;
	}
	r = pt_txn_commit(txn);
	return r < 0 ? util_txn_fail(cmd, txn, r) : PT_EXIT_OK;
}

int util_store_begin_fail(const char *cmd, struct pt_ctx *ctx, int r,
			  int (*load)(struct pt_ctx *ctx, const char **error))
{
	bool perm = r == -EACCES || r == -EPERM || r == -EROFS;
	const char *e = NULL;

	if (load(ctx, &e) < 0 && e) {
		fprintf(stderr, "passthru: %s\n", e);
		return perm ? PT_EXIT_PERM : PT_EXIT_CONFIG;
	}
	util_err(cmd, "%s: %s%s", pt_get_conf_dir(ctx), strerror(-r),
		 r == -EACCES || r == -EROFS ? "; run as root or point -O conf.dir= at a "
		 "writable directory" : "");
	return perm ? PT_EXIT_PERM : PT_EXIT_CONFIG;
}

static int store_fail(const char *cmd, struct pt_ctx *ctx, const struct util_store_ops *ops,
		      void *txn, int r)
{
	util_err(cmd, "%s", ops->error(txn));
	return ops->exit_of ? ops->exit_of(ctx, r) : util_exit_from_errno(r, UTIL_EDIT);
}

int util_store_finish(const char *cmd, struct pt_ctx *ctx, const struct pt_opts *o,
		      const struct util_store_ops *ops, void *txn, int r)
{
	if (r < 0)
		return store_fail(cmd, ctx, ops, txn, r);
	if (o->dry_run) {
		char *diff = ops->diff(txn);

		if (diff && !o->json)
			fputs(diff, stdout);
		free(diff);
		return PT_EXIT_OK;
	}
	r = ops->commit(txn);
	return r < 0 ? store_fail(cmd, ctx, ops, txn, r) : PT_EXIT_OK;
}

int util_parse_verb_args(int argc, char **argv, const char *shortopts,
		       const struct option *longopts, struct pt_opts *o,
		       struct pt_ctx *ctx, const char *cmd, void (*usage_fn)(FILE *),
		       int (*opt_fn)(int c, const char *arg, void *data), void *data,
		       const char **verb, char ***pos_out, int *n_out)
{
	char optstring[64];
	char **pos;
	int c, r, n = 0;

	snprintf(optstring, sizeof(optstring), "+%s%s", shortopts, PT_COMMON_SHORTOPTS);
	pos = calloc(argc + 1, sizeof(*pos));
	if (!pos)
		return PT_EXIT_FAILURE;
	optind = 1;
	*verb = NULL;
	while (optind < argc) {
		c = getopt_long(argc, argv, optstring, longopts, NULL);
		if (c == -1) {
			/* after "--" everything is an argument */
			if (optind > 1 && !strcmp(argv[optind - 1], "--")) {
				while (optind < argc)
					pos[n++] = argv[optind++];
				break;
			}
			pos[n++] = argv[optind++];
			continue;
		}
		r = util_common_opt(c, optarg, o, ctx, longopts, cmd, usage_fn);
		if (r < 0) {
			free(pos);
			return PT_OPT_EXIT_STATUS(r);
		}
		if (r)
			continue;
		/* every command with verbs completes group names */
		if (c == PT_OPT_LIST_GROUPS) {
			o->list_groups = true;
			continue;
		}
		if (opt_fn(c, optarg, data) < 0) {
			free(pos);
			fprintf(stderr, "Try 'pt %s --help' for more information.\n", cmd);
			return PT_EXIT_USAGE;
		}
	}
	*verb = n ? pos[0] : NULL;
	if (n)
		memmove(pos, pos + 1, n * sizeof(*pos));
	*pos_out = pos;
	*n_out = n ? n - 1 : 0;
	return -1;
}

int util_need_args(const char *cmd, int argc, int lo, int hi, const char *what)
{
	if (argc < lo || argc > hi) {
		util_err(cmd, "%s; see 'pt %s --help'", what, cmd);
		return PT_EXIT_USAGE;
	}
	return 0;
}

int util_parse_count(const char *cmd, const char *arg, int *count)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*end || end == arg || v < 1 || v > 64) {
		util_err(cmd, "--count %s: give a number from 1 to 64", arg);
		return -1;
	}
	*count = (int)v;
	return 0;
}

int util_list_groups(struct pt_ctx *ctx)
{
	struct pt_group *g;

	pt_group_foreach(ctx, g)
		printf("%s\n", pt_group_get_name(g));
	return PT_EXIT_OK;
}

struct pt_group *util_find_group(const char *cmd, struct pt_ctx *ctx, const char *name,
			       int *status)
{
	struct pt_group *g;
	int r = pt_conf_load(ctx);

	if (r < 0) {
		*status = util_conf_fail(ctx, r);
		return NULL;
	}
	g = pt_group_find(ctx, name);
	if (!g) {
		util_err(cmd, "no group '%s'; see 'pt group list'", name);
		*status = PT_EXIT_NOTFOUND;
	}
	return g;
}
