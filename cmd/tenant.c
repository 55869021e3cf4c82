// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pt-tenant: tenants (a Unix group of admins) and the units of host groups
 * granted to them: create, list, show, delete, grant, revoke.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pt.h"

#define CMD "tenant"

#define OPT_ADMINS		0x1a0
#define OPT_NODE		0x1a1
#define OPT_COUNT		0x1a2
#define OPT_LIST_TENANTS	0x1a3
#define OPT_ALL			0x1a4

static const struct option longopts[] = {
	{ "admins", required_argument, NULL, OPT_ADMINS },
	{ "node", required_argument, NULL, OPT_NODE },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "list-tenants", no_argument, NULL, OPT_LIST_TENANTS },
	{ "list-groups", no_argument, NULL, PT_OPT_LIST_GROUPS },
	PT_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pt tenant create NAME --admins UNIXGROUP [--node PATTERN] [-n]\n"
		"       pt tenant delete NAME [-n]\n"
		"       pt tenant list [--json]\n"
		"       pt tenant show NAME [--json]\n"
		"       pt tenant grant NAME GROUP --count N [-n] [--json]\n"
		"       pt tenant revoke NAME GROUP [--count N] [-n] [--json]\n"
		"       pt tenant apply NAME... | --all [-n] [--json]\n"
		"\n"
		"A tenant is a Unix group of admins who are not root (tenants.d/NAME.ini).\n"
		"grant reserves N units of a host group for it, picked as the allocator\n"
		"picks for a VM; they form the tenant's group NAME:GROUP, which VM requests\n"
		"may name and nothing else draws from. revoke gives units back (the last\n"
		"granted first; all without --count), refused while a VM holds one.\n"
		"grant also makes the vGPU instances (mdev, stable UUIDs) or writes the VFs'\n"
		"vGPU types, sets VF MACs, gives the units' device nodes to the Unix group\n"
		"(0660) and writes udev rules and a limits.d snippet beside the conf dir;\n"
		"revoke undoes it. apply (at boot: --all) makes again what a reboot lost.\n"
		"Tenant files are readable by root and their group only.\n"
		"\n"
		"      --admins GROUP  create: the Unix group of the tenant's admins\n"
		"      --node PATTERN  create: the nodes (fnmatch pattern) it may get units on\n"
		"      --count N       grant: how many units (1-64); revoke: how many to give back\n"
		"      --all           apply: every tenant\n"
		"  -n, --dry-run       print the change (the tenants.d diff), change nothing\n"
		"  -j, --json          print JSON (a change: tenant, group, action, units)\n"
		"  -q, --quiet         no result lines\n"
		"  -v, --verbose       say what was done\n"
		"  -O KEY=DIR          conf.dir, run.dir, sysfs.root, proc.root, dev.root, modules.dir\n"
		"  -h, --help          show this help (the man page on a terminal)\n"
		"      --list-tenants  print the tenant names, one a line (for completions)\n"
		"      --list-groups   print the group names, one a line (for completions)\n"
		"\n"
		"Exit status: 0 ok, 1 failure, 2 usage, 3 no tenants, 5 invalid state files,\n"
		"6 refused (units busy or too few free, tenant holds units, wrong node),\n"
		"7 permission denied, 8 no such tenant, group or Unix group. See pt-tenant(8).\n");
}

struct args {
	struct pt_opts o;
	const char *admins;
	const char *node;
	int count;
	bool list_tenants;
	bool all;
};

static int tenant_opt(int c, const char *arg, void *data)
{
	struct args *a = data;

	switch (c) {
	case OPT_ADMINS:
		a->admins = arg;
		return 0;
	case OPT_NODE:
		a->node = arg;
		return 0;
	case OPT_COUNT:
		return util_parse_count(CMD, arg, &a->count);
	case OPT_LIST_TENANTS:
		a->list_tenants = true;
		return 0;
	case OPT_ALL:
		a->all = true;
		return 0;
	}
	return -1;
}

/* The errno of a refused or failed operation as an exit status (pt(8)). */
static int tenant_exit(struct pt_ctx *ctx, int r)
{
	switch (-r) {
	case EINVAL:
		/* invalid state files, or a bad name or count on the command line */
		return pt_tenant_load(ctx, NULL) < 0 || pt_conf_load(ctx) < 0 ?
		       PT_EXIT_CONFIG : PT_EXIT_USAGE;
	case EXDEV:
	case ELOOP:	/* a link where a grant writes: never followed */
		return PT_EXIT_REFUSED;
	case EOPNOTSUPP:
		return PT_EXIT_UNSUPPORTED;
	default:
		return util_exit_from_errno(r, UTIL_EDIT);
	}
}

static int load_tenants(struct pt_ctx *ctx)
{
	const char *e;
	int r = pt_tenant_load(ctx, &e);

	if (r < 0) {
		fprintf(stderr, "passthru: %s\n", e ? e : strerror(-r));
		return r == -ENOMEM ? PT_EXIT_FAILURE :
		       r == -EACCES ? PT_EXIT_PERM : PT_EXIT_CONFIG;
	}
	return 0;
}

static int txn_start(struct pt_ctx *ctx, const struct args *a, struct pt_tenant_txn **t)
{
	int r = pt_tenant_txn_begin(ctx, a->o.dry_run ? PT_TXN_DRY_RUN : 0, t);

	return r == 0 ? 0 : util_store_begin_fail(CMD, ctx, r, pt_tenant_load);
}

static const char *txn_error(void *t) { return pt_tenant_txn_get_error(t); }
static char *txn_diff(void *t) { return pt_tenant_txn_get_diff(t); }
static int txn_commit(void *t) { return pt_tenant_txn_commit(t); }

static const struct util_store_ops tenant_store = {
	.error = txn_error,
	.diff = txn_diff,
	.commit = txn_commit,
	.exit_of = tenant_exit,
};

static int txn_finish(struct pt_ctx *ctx, const struct args *a, struct pt_tenant_txn *t, int r)
{
	return util_store_finish(CMD, ctx, &a->o, &tenant_store, t, r);
}

/* The JSON document of a change: {"tenant", "group", "action", "dry_run", "units", "steps"}. */
static struct json_object *change_json(const char *tenant, const char *group, const char *action,
				       bool dry, struct pt_tenant_txn *t)
{
	struct json_object *units = json_object_new_array();
	struct json_object *steps = json_object_new_array();

	for (int i = 0; t && i < pt_tenant_txn_get_num_units(t); i++)
		json_object_array_add(units, json_object_new_string(pt_tenant_txn_get_unit(t, i)));
	for (int i = 0; t && i < pt_tenant_txn_get_num_steps(t); i++)
		json_object_array_add(steps, json_object_new_string(pt_tenant_txn_get_step(t, i)));
	return json_tenant_change(tenant, group, action, dry, units, steps);
}

static void print_change(const char *tenant, const char *group, const char *action, bool dry,
			 struct pt_tenant_txn *t)
{
	struct json_object *o = change_json(tenant, group, action, dry, t);

	util_json_print(o);
	json_object_put(o);
}

static int do_create(struct args *a, int argc, char **argv, struct pt_ctx *ctx)
{
	struct pt_tenant_txn *t;
	int r;

	if ((r = util_need_args(CMD, argc, 1, 1, "create needs NAME")))
		return r;
	if (!a->admins) {
		util_err(CMD, "create needs --admins UNIXGROUP: the group of the tenant's admins");
		return PT_EXIT_USAGE;
	}
	if ((r = txn_start(ctx, a, &t)))
		return r;
	r = pt_tenant_txn_create(t, argv[0], a->admins, a->node);
	r = txn_finish(ctx, a, t, r);
	if (!r && a->o.json)
		print_change(argv[0], NULL, "create", a->o.dry_run, NULL);
	if (!r && a->o.verbose && !a->o.dry_run)
		util_err(CMD, "tenant '%s' created, admins: Unix group '%s'", argv[0], a->admins);
	pt_tenant_txn_free(t);
	return r;
}

static int do_delete(struct args *a, int argc, char **argv, struct pt_ctx *ctx)
{
	struct pt_tenant_txn *t;
	int r;

	if ((r = util_need_args(CMD, argc, 1, 1, "delete needs NAME")))
		return r;
	if ((r = txn_start(ctx, a, &t)))
		return r;
	r = pt_tenant_txn_delete(t, argv[0]);
	r = txn_finish(ctx, a, t, r);
	if (!r && a->o.json)
		print_change(argv[0], NULL, "delete", a->o.dry_run, NULL);
	if (!r && a->o.verbose && !a->o.dry_run)
		util_err(CMD, "tenant '%s' deleted", argv[0]);
	pt_tenant_txn_free(t);
	return r;
}

static int do_grant(struct args *a, int argc, char **argv, struct pt_ctx *ctx, bool revoke)
{
	struct pt_tenant_txn *t;
	int r, n;

	if ((r = util_need_args(CMD, argc, 2, 2, revoke ? "revoke needs NAME GROUP" :
				"grant needs NAME GROUP --count N")))
		return r;
	if (!revoke && !a->count) {
		util_err(CMD, "grant needs --count N: how many units of group '%s'", argv[1]);
		return PT_EXIT_USAGE;
	}
	if ((r = txn_start(ctx, a, &t)))
		return r;
	if (revoke)
		r = pt_tenant_txn_revoke(t, argv[0], argv[1], a->count);
	else
		r = pt_tenant_txn_grant(t, argv[0], argv[1], a->count);
	r = txn_finish(ctx, a, t, r);
	/* files of the tenant's directory revoke left out: planted, or not its own */
	for (int i = 0; !a->o.quiet && i < pt_tenant_txn_get_num_warnings(t); i++)
		util_err(CMD, "%s", pt_tenant_txn_get_warning(t, i));
	n = pt_tenant_txn_get_num_units(t);
	if (!r && a->o.json)
		print_change(argv[0], argv[1], revoke ? "revoke" : "grant", a->o.dry_run, t);
	else if (!r && !a->o.quiet) {
		for (int i = 0; i < n; i++)
			printf("%s:%s: %s %s\n", argv[0], argv[1],
			       revoke ? (a->o.dry_run ? "would give back" : "gave back") :
			       (a->o.dry_run ? "would reserve" : "reserved"),
			       pt_tenant_txn_get_unit(t, i));
		for (int i = 0; i < pt_tenant_txn_get_num_steps(t); i++)
			printf("%s: %s%s\n", argv[0], a->o.dry_run ? "would " : "",
			       pt_tenant_txn_get_step(t, i));
	}
	pt_tenant_txn_free(t);
	return r;
}

/* One tenant's apply; its change goes into arr (--json) or to stdout. */
static int apply_one(struct args *a, struct pt_ctx *ctx, const char *name, struct json_object *arr)
{
	struct pt_tenant_txn *t;
	int r, n;

	if ((r = txn_start(ctx, a, &t)))
		return r;
	r = pt_tenant_txn_apply(t, name);
	r = txn_finish(ctx, a, t, r);
	n = r ? 0 : pt_tenant_txn_get_num_steps(t);
	if (!r && arr)
		json_object_array_add(arr, change_json(name, NULL, "apply", a->o.dry_run, t));
	else if (!r && !a->o.quiet && !n)
		printf("%s: nothing to change\n", name);
	else if (!r && !a->o.quiet)
		for (int i = 0; i < n; i++)
			printf("%s: %s%s\n", name, a->o.dry_run ? "would " : "",
			       pt_tenant_txn_get_step(t, i));
	pt_tenant_txn_free(t);
	return r;
}

/*
 * apply NAME... or --all: each tenant on its own (its own lock and plan),
 * going on after one fails ("applied 1 of 2 tenants").
 */
static int do_apply(struct args *a, int argc, char **argv, struct pt_ctx *ctx)
{
	struct json_object *arr = a->o.json ? json_object_new_array() : NULL;
	char **names = NULL;
	int r, rc = 0, n = 0, ok = 0;

	if (a->all && argc) {
		util_err(CMD, "apply takes NAME... or --all, not both");
		r = PT_EXIT_USAGE;
		goto out;
	}
	if (!a->all && !argc) {
		util_err(CMD, "apply needs NAME... or --all");
		r = PT_EXIT_USAGE;
		goto out;
	}
	if (a->all) {
		struct pt_tenant *tn;

		if ((r = load_tenants(ctx)))
			goto out;
		pt_tenant_foreach(ctx, tn)
			n++;
		names = calloc(n + 1, sizeof(*names));
		if (!names) {
			r = PT_EXIT_FAILURE;
			goto out;
		}
		n = 0;
		/* the transactions reload the tenants: keep the names */
		pt_tenant_foreach(ctx, tn)
			if (!(names[n++] = strdup(pt_tenant_get_name(tn)))) {
				r = PT_EXIT_FAILURE;
				goto out;
			}
	} else {
		names = calloc(argc + 1, sizeof(*names));
		if (!names) {
			r = PT_EXIT_FAILURE;
			goto out;
		}
		for (n = 0; n < argc; n++)
			if (!(names[n] = strdup(argv[n]))) {
				r = PT_EXIT_FAILURE;
				goto out;
			}
	}
	for (int i = 0; i < n; i++) {
		r = apply_one(a, ctx, names[i], arr);
		if (r && !rc)
			rc = r;
		ok += !r;
	}
	if (ok < n && n > 1)
		util_err(CMD, "applied %d of %d tenants", ok, n);
	r = rc;
out:
	if (arr) {
		if (!r || ok)
			util_json_print(arr);
		json_object_put(arr);
	}
	for (int i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

static int do_list(struct args *a, int argc, struct pt_ctx *ctx)
{
	static const char *const hdr[] = { "TENANT", "ADMINS", "NODE", "GROUPS", "UNITS" };
	struct json_object *arr = a->o.json ? json_object_new_array() : NULL;
	struct util_table *t = arr ? NULL : util_table_new(5, hdr);
	struct pt_tenant *tn;
	int r, shown = 0;

	if ((r = util_need_args(CMD, argc, 0, 0, "list takes no arguments")) ||
	    (r = load_tenants(ctx))) {
		json_object_put(arr);
		util_table_free(t);
		return r;
	}
	pt_tenant_foreach(ctx, tn) {
		struct pt_grant *g;
		char ng[16], nu[16];
		int groups = 0, units = 0;

		shown++;
		if (arr) {
			json_object_array_add(arr, json_tenant(tn));
			continue;
		}
		pt_grant_foreach(tn, g) {
			groups++;
			units += pt_grant_get_num_units(g);
		}
		snprintf(ng, sizeof(ng), "%d", groups);
		snprintf(nu, sizeof(nu), "%d", units);
		util_table_add(t, (const char *const[]){ pt_tenant_get_name(tn),
			     pt_tenant_get_admins(tn),
			     pt_tenant_get_node(tn) ? pt_tenant_get_node(tn) : "*", ng, nu });
	}
	util_list_print(arr, t);
	if (!shown) {
		if (!a->o.quiet)
			util_err(CMD, "no tenants in %s/tenants.d; create one with 'pt tenant create "
			       "NAME --admins UNIXGROUP'", pt_get_conf_dir(ctx));
		return PT_EXIT_NOMATCH;
	}
	return PT_EXIT_OK;
}

static int do_show(struct args *a, int argc, char **argv, struct pt_ctx *ctx)
{
	static const char *const hdr[] = { "GROUP", "FROM", "TYPE", "UNIT" };
	struct pt_tenant *tn;
	struct pt_grant *g;
	struct util_table *t;
	int r;

	if ((r = util_need_args(CMD, argc, 1, 1, "show needs one tenant")) ||
	    (r = load_tenants(ctx)))
		return r;
	tn = pt_tenant_find(ctx, argv[0]);
	if (!tn && errno == EACCES) {
		util_err(CMD, "tenant '%s': permission denied: its file is readable by root and "
			 "the tenant's admins only; ask root, or run as a member of its group",
			 argv[0]);
		return PT_EXIT_PERM;
	}
	if (!tn) {
		util_err(CMD, "no tenant '%s'; see 'pt tenant list'", argv[0]);
		return PT_EXIT_NOTFOUND;
	}
	if (a->o.json) {
		struct json_object *o = json_tenant(tn);

		util_json_print(o);
		json_object_put(o);
		return PT_EXIT_OK;
	}
	printf("tenant %s (%s), admins: Unix group %s, nodes: %s\n", pt_tenant_get_name(tn),
	       pt_tenant_get_file(tn), pt_tenant_get_admins(tn),
	       pt_tenant_get_node(tn) ? pt_tenant_get_node(tn) : "any");
	if (!pt_grant_get_first(tn)) {
		printf("\nno units granted; grant some with 'pt tenant grant %s GROUP --count N'\n",
		       pt_tenant_get_name(tn));
		return PT_EXIT_OK;
	}
	t = util_table_new(4, hdr);
	pt_grant_foreach(tn, g)
		for (int i = 0; i < pt_grant_get_num_units(g); i++)
			util_table_add(t, (const char *const[]){ pt_grant_get_name(g),
				     pt_grant_get_group(g), pt_group_type_name(pt_grant_get_type(g)),
				     pt_grant_get_unit(g, i) });
	printf("\n");
	util_table_print(t, stdout);
	util_table_free(t);
	return PT_EXIT_OK;
}

static int list_tenants(struct pt_ctx *ctx)
{
	struct pt_tenant *t;

	pt_tenant_foreach(ctx, t)
		printf("%s\n", pt_tenant_get_name(t));
	return PT_EXIT_OK;
}

int cmd_tenant(int argc, char **argv, struct pt_ctx *ctx)
{
	struct args a = { 0 };
	const char *verb;
	char **pos;
	int n, r;

	r = util_parse_verb_args(argc, argv, "n", longopts, &a.o, ctx, CMD, usage,
			       tenant_opt, &a, &verb, &pos, &n);
	if (r >= 0)
		return r;
	if (a.list_tenants || a.o.list_groups || !verb) {
		free(pos);
		if (a.list_tenants)
			return list_tenants(ctx);
		if (a.o.list_groups)
			return util_list_groups(ctx);
		usage(stderr);
		return PT_EXIT_USAGE;
	}
	if ((a.admins || a.node) && strcmp(verb, "create")) {
		util_err(CMD, "--%s applies to 'create' only", a.admins ? "admins" : "node");
		r = PT_EXIT_USAGE;
	} else if (a.all && strcmp(verb, "apply")) {
		util_err(CMD, "--all applies to 'apply' only");
		r = PT_EXIT_USAGE;
	} else if (a.count && strcmp(verb, "grant") && strcmp(verb, "revoke")) {
		util_err(CMD, "--count applies to 'grant' and 'revoke' only");
		r = PT_EXIT_USAGE;
	} else if (a.o.dry_run && (!strcmp(verb, "list") || !strcmp(verb, "show"))) {
		util_err(CMD, "--dry-run applies to create, delete, grant, revoke and apply; '%s' "
		       "changes nothing", verb);
		r = PT_EXIT_USAGE;
	} else if (!strcmp(verb, "create")) {
		r = do_create(&a, n, pos, ctx);
	} else if (!strcmp(verb, "delete")) {
		r = do_delete(&a, n, pos, ctx);
	} else if (!strcmp(verb, "list")) {
		r = do_list(&a, n, ctx);
	} else if (!strcmp(verb, "show")) {
		r = do_show(&a, n, pos, ctx);
	} else if (!strcmp(verb, "grant")) {
		r = do_grant(&a, n, pos, ctx, false);
	} else if (!strcmp(verb, "revoke")) {
		r = do_grant(&a, n, pos, ctx, true);
	} else if (!strcmp(verb, "apply")) {
		r = do_apply(&a, n, pos, ctx);
	} else {
		util_err(CMD, "'%s' is not a pt tenant verb; use create, delete, list, show, grant, "
		       "revoke or apply", verb);
		r = PT_EXIT_USAGE;
	}
	free(pos);
	return r;
}
