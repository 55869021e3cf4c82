// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pt-group: resource groups — create, list, show, set, unset, delete,
 * make-resource, check; apply and release put them on the host.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pt.h"

#define CMD "group"

/* apply and release only; long options without a short form */
#define OPT_ALL		0x180
#define OPT_FORCE	0x181
#define OPT_SIBLINGS	0x182
#define OPT_LIST_SETTINGS 0x183
#define OPT_KEEP_GOING	0x184

static const struct option longopts[] = {
	{ "type", required_argument, NULL, 't' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "with-group-siblings", no_argument, NULL, OPT_SIBLINGS },
	{ "keep-going", no_argument, NULL, OPT_KEEP_GOING },
	{ "list-groups", no_argument, NULL, PT_OPT_LIST_GROUPS },
	{ "list-settings", required_argument, NULL, OPT_LIST_SETTINGS },
	PT_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

/*
 * The options each verb takes beyond -q, -v, -O, -h and --list-opts; any
 * other is a usage error, and 'pt group VERB --list-opts' lists these.
 */
enum {
	V_TYPE = 1 << 0, V_DRY_RUN = 1 << 1, V_JSON = 1 << 2, V_ALL = 1 << 3,
	V_FORCE = 1 << 4, V_SIBLINGS = 1 << 5, V_KEEP_GOING = 1 << 6,
};

static const struct verb_opts {
	const char *verb;
	unsigned int opts;
} verb_opts[] = {
	{ "create", V_TYPE | V_DRY_RUN },
	{ "list", V_JSON },
	{ "show", V_JSON },
	{ "set", V_DRY_RUN },
	{ "unset", V_DRY_RUN },
	{ "delete", V_DRY_RUN },
	{ "make-resource", V_DRY_RUN },
	{ "check", V_JSON },
	{ "apply", V_DRY_RUN | V_JSON | V_ALL | V_FORCE | V_SIBLINGS | V_KEEP_GOING },
	{ "release", V_DRY_RUN | V_JSON | V_ALL | V_FORCE | V_KEEP_GOING },
};

/* The V_* bit of a long option; 0 for those every verb takes. */
static unsigned int opt_bit(const char *name)
{
	static const struct { const char *name; unsigned int bit; } map[] = {
		{ "type", V_TYPE }, { "dry-run", V_DRY_RUN }, { "json", V_JSON },
		{ "all", V_ALL }, { "force", V_FORCE }, { "with-group-siblings", V_SIBLINGS },
		{ "keep-going", V_KEEP_GOING },
		/* completion helpers of the command, not of a verb */
		{ "list-groups", ~0u }, { "list-settings", ~0u },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i].name, name))
			return map[i].bit;
	return 0;
}

static const struct verb_opts *find_verb(const char *verb)
{
	for (size_t i = 0; i < sizeof(verb_opts) / sizeof(verb_opts[0]); i++)
		if (!strcmp(verb_opts[i].verb, verb))
			return &verb_opts[i];
	return NULL;
}

/* 'apply', 'apply' and 'release', 'a', 'b' and 'c': the verbs taking bit */
static void verbs_taking(unsigned int bit, char *buf, size_t len)
{
	size_t n = 0, k = 0, total = 0;

	for (size_t i = 0; i < sizeof(verb_opts) / sizeof(verb_opts[0]); i++)
		total += !!(verb_opts[i].opts & bit);
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(verb_opts) / sizeof(verb_opts[0]) && n < len; i++) {
		if (!(verb_opts[i].opts & bit))
			continue;
		k++;
		n += snprintf(buf + n, len - n, "%s'%s'", k == 1 ? "" : k == total ? " and " : ", ",
			      verb_opts[i].verb);
	}
}

/*
 * 'pt group VERB --list-opts': the long options of VERB (for completions),
 * when a known verb comes before --list-opts. Returns -1 otherwise.
 */
static int list_verb_opts(int argc, char **argv)
{
	const struct verb_opts *v = NULL;
	bool asked = false, other = false;

	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--list-opts"))
			asked = true;
		else if (argv[i][0] != '-' || !argv[i][1]) {
			if (!v && !other && !(v = find_verb(argv[i])))
				other = true;
		} else if (!strcmp(argv[i], "-t") || !strcmp(argv[i], "--type") ||
			   !strcmp(argv[i], "-O") || !strcmp(argv[i], "--option") ||
			   !strcmp(argv[i], "--list-settings")) {
			i++;	/* its value is no verb */
		}
	}
	if (!asked || !v)
		return -1;
	for (const struct option *l = longopts; l->name; l++) {
		unsigned int bit = opt_bit(l->name);

		if (bit == ~0u || (bit && !(v->opts & bit)))
			continue;
		printf("--%s\n", l->name);
	}
	return PT_EXIT_OK;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pt group create NAME --type pci|vgpu|sriov-nic|usb [KEY=VALUE...] [-n]\n"
		"       pt group list [--json]\n"
		"       pt group show NAME [--json]\n"
		"       pt group set NAME KEY=VALUE... [-n]\n"
		"       pt group unset NAME KEY... [-n]\n"
		"       pt group delete NAME [-n]\n"
		"       pt group make-resource GROUP DEVICE... [-n]\n"
		"       pt group check [NAME...] [--json]\n"
		"       pt group apply (NAME...|--all [--keep-going]) [--with-group-siblings] [--force]\n"
		"                      [-n] [--json]\n"
		"       pt group release (NAME...|--all [--keep-going]) [--force] [-n] [--json]\n"
		"\n"
		"A resource group is a named pool of devices of one type; its rules\n"
		"(see pt rule) decide which devices belong to it. apply binds them for\n"
		"passthrough (vfio-pci, VFs, vGPU checks); release gives them back.\n"
		"\n"
		"  -t, --type TYPE   the group's device type (create)\n"
		"  -n, --dry-run     print the change (state files, or the steps of apply\n"
		"                    and release), change nothing\n"
		"  -j, --json        print JSON (list, show, check, apply, release)\n"
		"      --all         apply: every group; release: every record in applied.d\n"
		"      --keep-going  with --all: skip each invalid state file (reported, exit\n"
		"                    5) and apply or release the rest (passthru.service)\n"
		"      --with-group-siblings\n"
		"                    apply: bind the other devices of each member's IOMMU\n"
		"                    group to vfio-pci too\n"
		"      --force       apply: bind host-critical members, or change the VF\n"
		"                    count of a host-critical PF, too (never the storage\n"
		"                    of /, /boot and swap, a device in use, a conflict)\n"
		"  -q, --quiet       no notes on stderr, no result line per group\n"
		"  -v, --verbose     say what was done; apply, release: every step\n"
		"  -O KEY=DIR        conf.dir, sysfs.root, proc.root, dev.root, modules.dir;\n"
		"  -O lock.timeout=S seconds a writer waits for the state lock (30)\n"
		"  -h, --help        show this help (the man page on a terminal)\n"
		"      --list-groups print the group names, one a line (for completions)\n"
		"      --list-settings G\n"
		"                    print the settings of group or type G (for completions)\n"
		"\n"
		"Exit status: 0 ok, 1 failure, 2 usage, 4 passthrough not possible, 5 invalid\n"
		"state files, 6 refused, 7 permission denied, 8 no such group, 9 check found\n"
		"problems. See pt-group(8).\n");
}

struct args {
	struct pt_opts o;
	const char *type;
	bool all;
	bool force;
	bool siblings;
	bool keep_going;
	const char *list_settings;
};

/* KEY=VALUE from the command line. */
static int split_kv(const char *arg, char *key, size_t klen, const char **value)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg || (size_t)(eq - arg) >= klen) {
		util_err(CMD, "'%s' is not KEY=VALUE; e.g. vlan=100", arg);
		return PT_EXIT_USAGE;
	}
	memcpy(key, arg, eq - arg);
	key[eq - arg] = '\0';
	*value = eq + 1;
	return 0;
}

static int do_create(struct args *a, int argc, char **argv, struct pt_ctx *ctx)
{
	struct pt_txn *txn;
	int r, type, status = 0;

	if ((r = util_need_args(CMD, argc, 1, INT_MAX, "create needs a group NAME")))
		return r;
	if (!a->type) {
		util_err(CMD, "create %s: --type is required; use --type pci, vgpu, sriov-nic "
		       "or usb", argv[0]);
		return PT_EXIT_USAGE;
	}
	type = pt_group_type_parse(a->type);
	if (type < 0) {
		util_err(CMD, "--type %s: unknown group type; use pci, vgpu, sriov-nic or usb",
		       a->type);
		return PT_EXIT_USAGE;
	}
	txn = util_txn_start(CMD, ctx, &a->o, &status);
	if (!txn)
		return status;
	r = pt_txn_group_create(txn, argv[0], type);
	for (int i = 1; r == 0 && i < argc; i++) {
		char key[64];
		const char *value;

		status = split_kv(argv[i], key, sizeof(key), &value);
		if (status) {
			pt_txn_free(txn);
			return status;
		}
		r = pt_txn_group_set(txn, argv[0], key, value);
	}
	status = r < 0 ? util_txn_fail(CMD, txn, r) : util_txn_finish(CMD, txn, &a->o);
	if (!status && a->o.verbose && !a->o.dry_run)
		fprintf(stderr, "pt-group: created %s group '%s'\n", a->type, argv[0]);
	pt_txn_free(txn);
	return status;
}

static int do_set(struct args *a, int argc, char **argv, struct pt_ctx *ctx, bool unset)
{
	struct pt_txn *txn;
	int r = 0, status = 0;

	if ((r = util_need_args(CMD, argc, 2, INT_MAX,
				unset ? "unset needs NAME KEY..." : "set needs NAME KEY=VALUE...")))
		return r;
	txn = util_txn_start(CMD, ctx, &a->o, &status);
	if (!txn)
		return status;
	for (int i = 1; r == 0 && i < argc; i++) {
		char key[64];
		const char *value;

		if (unset) {
			r = pt_txn_group_unset(txn, argv[0], argv[i]);
			continue;
		}
		status = split_kv(argv[i], key, sizeof(key), &value);
		if (status) {
			pt_txn_free(txn);
			return status;
		}
		r = pt_txn_group_set(txn, argv[0], key, value);
	}
	status = r < 0 ? util_txn_fail(CMD, txn, r) : util_txn_finish(CMD, txn, &a->o);
	pt_txn_free(txn);
	return status;
}

static int do_delete(struct args *a, int argc, char **argv, struct pt_ctx *ctx)
{
	struct pt_txn *txn;
	int r, status = 0;

	if ((r = util_need_args(CMD, argc, 1, INT_MAX, "delete needs a group NAME")))
		return r;
	txn = util_txn_start(CMD, ctx, &a->o, &status);
	if (!txn)
		return status;
	r = pt_txn_group_delete(txn, argv[0]);
	status = r < 0 ? util_txn_fail(CMD, txn, r) : util_txn_finish(CMD, txn, &a->o);
	pt_txn_free(txn);
	return status;
}

/* Each device gets its rule; go on after a failure and report "added 2 of 3". */
static int do_make_resource(struct args *a, int argc, char **argv, struct pt_ctx *ctx)
{
	struct pt_txn *txn;
	int r, status = 0, added = 0, first_fail = 0;
	bool no_group = false;

	if ((r = util_need_args(CMD, argc, 2, INT_MAX, "make-resource needs GROUP DEVICE...")))
		return r;
	txn = util_txn_start(CMD, ctx, &a->o, &status);
	if (!txn)
		return status;
	for (int i = 1; i < argc; i++) {
		char *rule = NULL, *warning = NULL;

		r = pt_txn_make_resource(txn, argv[0], argv[i], &rule, &warning);
		if (r < 0) {
			status = util_txn_fail(CMD, txn, r);
			if (!first_fail)
				first_fail = status;
			if (r == -ENOENT && !strncmp(pt_txn_get_error(txn), "no group", 8)) {
				no_group = true;
				break;
			}
			continue;
		}
		if (warning)
			util_err(CMD, "warning: %s", warning);
		if (!a->o.quiet && !a->o.dry_run)
			printf("%s: rule %s for %s\n", argv[0], rule, argv[i]);
		added++;
		free(rule);
		free(warning);
	}
	if (added) {
		status = util_txn_finish(CMD, txn, &a->o);
		if (status)
			added = 0;
	}
	if (argc - 1 > 1 && !a->o.quiet && !no_group)
		fprintf(stderr, "pt-group: %s %d of %d devices to group '%s'\n",
			a->o.dry_run ? "would add" : "added", added, argc - 1, argv[0]);
	pt_txn_free(txn);
	return first_fail ? first_fail : status;
}

/* ---- reading ---------------------------------------------------------- */

int util_group_count_critical(struct pt_group *g)
{
	int n = 0;

	for (int i = 0; i < pt_group_get_num_members(g); i++) {
		struct pt_pci_dev *d = pt_member_get_pci_dev(pt_group_get_member(g, i));

		n += d && pt_pci_dev_get_critical_reason(d);
	}
	return n;
}

static int count_conflicts(struct pt_ctx *ctx, struct pt_group *g)
{
	struct pt_conflict *c;
	int n = 0;

	pt_conflict_foreach(ctx, c)
		n += !g || pt_conflict_get_group(c, 0) == g || pt_conflict_get_group(c, 1) == g;
	return n;
}

static const char *member_name(struct pt_member *m, char *buf, size_t len)
{
	snprintf(buf, len, "%s", pt_member_get_name(m));
	return buf;
}

static const char *viability(struct pt_ctx *ctx, struct pt_pci_dev *d)
{
	struct pt_iommu_group *ig;

	if (!d || pt_pci_dev_get_iommu_group(d) == PT_NO_IOMMU_GROUP)
		return "-";
	ig = pt_iommu_group_find(ctx, pt_pci_dev_get_iommu_group(d));
	return ig && pt_iommu_group_is_viable(ig) ? "yes" : "no";
}

static int do_list(struct args *a, struct pt_ctx *ctx)
{
	static const char *const hdr[] = { "NAME", "TYPE", "RULES", "MEMBERS", "NOTES" };
	struct util_table *t;
	struct pt_group *g;
	int r = pt_conf_load(ctx);

	if (r < 0)
		return util_conf_fail(ctx, r);
	if (a->o.json) {
		struct json_object *arr = json_object_new_array();

		pt_group_foreach(ctx, g)
			json_object_array_add(arr, json_group(ctx, g, false));
		util_json_print(arr);
		json_object_put(arr);
		goto out;
	}
	t = util_table_new(5, hdr);
	pt_group_foreach(ctx, g) {
		char nr[16], nm[16], notes[128] = "";
		struct util_applied ap = { 0 };
		struct pt_rule *rule;
		int n = 0, nc = count_conflicts(ctx, g), ncrit = util_group_count_critical(g);

		pt_rule_foreach(g, rule)
			n++;
		snprintf(nr, sizeof(nr), "%d", n);
		snprintf(nm, sizeof(nm), "%d", pt_group_get_num_members(g));
		if (nc)
			snprintf(notes, sizeof(notes), "%d conflict%s", nc, nc > 1 ? "s" : "");
		if (ncrit)
			snprintf(notes + strlen(notes), sizeof(notes) - strlen(notes),
				 "%s%d host-critical", nc ? ", " : "", ncrit);
		util_applied_get(ctx, g, &ap);
		if (ap.applied)
			snprintf(notes + strlen(notes), sizeof(notes) - strlen(notes),
				 "%sapplied", notes[0] ? ", " : "");
		if (ap.n_drift)
			snprintf(notes + strlen(notes), sizeof(notes) - strlen(notes),
				 ", %d drifted", ap.n_drift);
		util_applied_free(&ap);
		util_table_add(t, (const char *const[]){ pt_group_get_name(g),
			     pt_group_type_name(pt_group_get_type(g)), nr, nm, notes });
	}
	util_list_print(NULL, t);
out:
	if (!pt_group_get_first(ctx)) {
		if (!a->o.quiet)
			util_err(CMD, "no groups in %s; create one with 'pt group create'",
			       pt_get_conf_dir(ctx));
		return PT_EXIT_NOMATCH;
	}
	return PT_EXIT_OK;
}

/* Loud notes on stderr for critical members (and conflicts) of one group. */
/* One line for a conflict: what, who, the fix. */
void util_warn_conflict(const char *cmd, struct pt_conflict *c)
{
	const char *x = pt_group_get_name(pt_conflict_get_group(c, 0));
	const char *y = pt_group_get_name(pt_conflict_get_group(c, 1));

	if (pt_conflict_get_reason(c) && strstr(pt_conflict_get_reason(c), "MIG-backed"))
		util_err(cmd, "WARNING: %s is shared by vgpu groups '%s' (profile %s) and '%s' "
			 "(profile %s): %s; give both the same kind of profile or narrow the "
			 "rules of one of them", pt_conflict_get_device(c), x,
			 pt_group_get_setting(pt_conflict_get_group(c, 0), "profile"), y,
			 pt_group_get_setting(pt_conflict_get_group(c, 1), "profile"),
			 pt_conflict_get_reason(c));
	else if (pt_conflict_get_reason(c))
		util_err(cmd, "WARNING: %s: groups '%s' and '%s' split its VFs but %s; "
			 "a function has one VF count: set the same numvfs in both",
			 pt_conflict_get_device(c), x, y, pt_conflict_get_reason(c));
	else
		util_err(cmd, "WARNING: %s is claimed by groups '%s' and '%s'; a device "
			 "belongs to one group only: narrow the rules of one of them",
			 pt_conflict_get_device(c), x, y);
}

/* vgpu members that cannot serve the group now; each printed when loud. */
static int count_vgpu_problems(struct pt_group *g, bool loud, struct json_object *arr)
{
	int n = 0;

	for (int i = 0; i < pt_group_get_num_members(g); i++) {
		struct pt_pci_dev *d = pt_member_get_pci_dev(pt_group_get_member(g, i));
		char *why = NULL;

		if (d && pt_group_get_vgpu_problem(g, d, &why) > 0) {
			n++;
			if (loud)
				util_err(CMD, "group '%s': %s", pt_group_get_name(g), why);
			if (arr)
				json_object_array_add(arr, json_object_new_string(why));
		}
		free(why);
	}
	return n;
}

static void warn_group(struct pt_ctx *ctx, struct pt_group *g, bool conflicts)
{
	struct pt_conflict *c;

	for (int i = 0; i < pt_group_get_num_members(g); i++) {
		struct pt_pci_dev *d = pt_member_get_pci_dev(pt_group_get_member(g, i));
		const char *crit = d ? pt_pci_dev_get_critical_reason(d) : NULL;

		if (crit)
			util_err(CMD, "WARNING: group '%s' holds host-critical %s (%s); apply "
			       "leaves it alone unless --force (the disk of /, /boot or swap: "
			       "always): change the rule '%s' to exclude it",
			       pt_group_get_name(g), pt_pci_dev_get_bdf(d), crit,
			       pt_rule_get_name(pt_member_get_rule(pt_group_get_member(g, i))));
	}
	pt_conflict_foreach(ctx, c) {
		struct pt_group *x = pt_conflict_get_group(c, 0), *y = pt_conflict_get_group(c, 1);

		if (conflicts && (!g || x == g || y == g))
			util_warn_conflict(CMD, c);
	}
	count_vgpu_problems(g, true, NULL);
}

/*
 * The VF indices of a member as ranges, as the kernel writes CPU lists:
 * "0-31", "0-3,8", "5"; "" for none. Ends in "..." when buf is too short.
 */
static void vf_ranges(struct pt_member *m, char *buf, size_t len)
{
	int n = pt_member_get_num_vfs(m);
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < n; ) {
		int first = pt_member_get_vf_index(m, i), last = first, w;

		while (i + 1 < n && pt_member_get_vf_index(m, i + 1) == last + 1)
			last = pt_member_get_vf_index(m, ++i);
		i++;
		w = last > first ?
		    snprintf(buf + used, len - used, "%s%d-%d", used ? "," : "", first, last) :
		    snprintf(buf + used, len - used, "%s%d", used ? "," : "", first);
		if (w < 0 || (size_t)w >= len - used) {
			if (len >= 4)
				strcpy(buf + len - 4, "...");
			return;
		}
		used += (size_t)w;
	}
}

/*
 * pt tenant: the units of g reserved for tenants, one line each ("reserved:
 * 2 for tenant acme (acme:vfs): ..."), or a "reserved" array in o.
 */
static void show_reserved(struct pt_ctx *ctx, struct pt_group *g, struct json_object *o)
{
	struct json_object *arr = o ? json_object_new_array() : NULL;
	struct pt_tenant *t;
	struct pt_grant *gr;
	const char *e;

	if (pt_tenant_load(ctx, &e) < 0)
		util_err(CMD, "WARNING: tenant reservations unreadable: %s", e ? e : "invalid tenants.d");
	pt_tenant_foreach(ctx, t) {
		gr = pt_grant_find(t, pt_group_get_name(g));
		if (!gr)
			continue;
		if (arr) {
			json_object_array_add(arr, json_grant(gr));
			continue;
		}
		printf("reserved: %d for tenant %s (%s):", pt_grant_get_num_units(gr),
		       pt_tenant_get_name(t), pt_grant_get_name(gr));
		for (int i = 0; i < pt_grant_get_num_units(gr); i++)
			printf(" %s", pt_grant_get_unit(gr, i));
		printf("\n");
	}
	if (o)
		json_object_object_add(o, "reserved", arr);
}

static int do_show(struct args *a, int argc, char **argv, struct pt_ctx *ctx)
{
	static const char *const rhdr[] = { "RULE", "NODE", "MATCH" };
	static const char *const mhdr[] = { "DEVICE", "DRIVER", "IOMMU", "VIABLE", "RULE",
					    "VFS", "NAME", "NOTES" };
	struct util_table *t;
	struct pt_group *g;
	struct pt_rule *r;
	struct util_applied ap = { 0 };
	int status = 0, total = 0, leased = 0, free_now = 0, cap;

	if ((status = util_need_args(CMD, argc, 1, INT_MAX, "show needs a group NAME")))
		return status;
	g = util_find_group(CMD, ctx, argv[0], &status);
	if (!g)
		return status;
	/* units in total, leased to VMs, free to allocate now (pt-attach(8)) */
	cap = pt_group_get_capacity(ctx, g, &total, &leased, &free_now);
	if (cap < 0)
		util_err(CMD, "WARNING: %s: capacity unknown: %s", pt_group_get_name(g),
			 strerror(-cap));
	if (a->o.json) {
		struct json_object *o = json_group(ctx, g, true);
		struct json_object *rules = json_object_new_array();

		pt_rule_foreach(g, r)
			json_object_array_add(rules, json_group_rule(r));
		json_object_object_add(o, "rules", rules);
		json_object_object_add(o, "capacity", cap < 0 ? NULL :
				       json_group_capacity(g, total, leased, free_now));
		/* "reserved" once any tenant exists (golden files of other tiers keep) */
		if (pt_tenant_get_first(ctx))
			show_reserved(ctx, g, o);
		util_json_print(o);
		json_object_put(o);
	} else {
		int w = 9;	/* "group:", "file:" and every setting in one column */

		for (int j = 0; j < pt_group_get_num_settings(g); j++)
			if ((int)strlen(pt_group_get_setting_key(g, j)) + 1 > w)
				w = (int)strlen(pt_group_get_setting_key(g, j)) + 1;
		printf("%-*s %s\n%-*s %s\n%-*s %s/%s\n", w, "group:", pt_group_get_name(g),
		       w, "type:", pt_group_type_name(pt_group_get_type(g)), w, "file:",
		       pt_get_conf_dir(ctx), pt_group_get_file(g));
		util_applied_get(ctx, g, &ap);
		if (ap.applied)
			printf("%-*s yes (%s/applied.d/%s.ini)%s\n", w, "applied:",
			       pt_get_conf_dir(ctx), pt_group_get_name(g),
			       ap.n_drift ? ", with drift: see the members" : "");
		else
			printf("%-*s no\n", w, "applied:");
		if (cap >= 0 && pt_group_get_type(g) == PT_GROUP_VGPU)
			printf("%-*s %d total, %d leased, %d free (vGPU instances creatable now)\n",
			       w, "capacity:", total, leased, free_now);
		else if (cap >= 0)
			printf("%-*s %d total, %d leased, %d free\n", w, "capacity:", total, leased,
			       free_now);
		for (int i = 0; i < pt_group_get_num_settings(g); i++)
			printf("%-*s %s\n", w, pt_group_get_setting_key(g, i),
			       pt_group_get_setting_value(g, i));
		printf("\nrules:\n");
		t = util_table_new(3, rhdr);
		pt_rule_foreach(g, r)
			util_table_add(t, (const char *const[]){ pt_rule_get_name(r),
				     pt_rule_get_node(r), pt_rule_get_match(r) });
		if (util_table_rows(t))
			util_table_print(t, stdout);
		else
			printf("(none: add one with 'pt rule add %s RULE MATCH')\n",
			       pt_group_get_name(g));
		util_table_free(t);

		printf("\nmembers:\n");
		t = util_table_new(8, mhdr);
		for (int i = 0; i < pt_group_get_num_members(g); i++) {
			struct pt_member *m = pt_group_get_member(g, i);
			struct pt_pci_dev *d = pt_member_get_pci_dev(m);
			struct pt_usb_dev *u = pt_member_get_usb_dev(m);
			char grp[16] = "", vfs[256] = "", notes[512] = "", buf[64];
			const char *crit = d ? pt_pci_dev_get_critical_reason(d) : NULL;
			char *vwhy = NULL;
			int vmore;

			if (d && pt_pci_dev_get_iommu_group(d) != PT_NO_IOMMU_GROUP)
				snprintf(grp, sizeof(grp), "%d", pt_pci_dev_get_iommu_group(d));
			vf_ranges(m, vfs, sizeof(vfs));
			if (crit)
				snprintf(notes, sizeof(notes), "HOST-CRITICAL: %s", crit);
			else if (d && pt_group_get_vgpu_problem(g, d, &vwhy) > 0)
				snprintf(notes, sizeof(notes), "VGPU: %s", vwhy);
			else if (d && pt_group_get_type(g) == PT_GROUP_VGPU &&
				 pt_group_get_setting(g, "profile") &&
				 (vmore = pt_pci_dev_get_vgpu_capacity(d,
					pt_group_get_setting(g, "profile"))) >= 0)
				snprintf(notes, sizeof(notes), "%d more %s now", vmore,
					 pt_group_get_setting(g, "profile"));
			free(vwhy);
			vwhy = NULL;
			if (util_applied_drift(&ap, m))
				snprintf(notes + strlen(notes), sizeof(notes) - strlen(notes),
					 "%sDRIFT: %s", notes[0] ? "; " : "",
					 strchr(util_applied_drift(&ap, m), ' ') + 1);
			else if (util_applied_member(&ap, m))
				snprintf(notes + strlen(notes), sizeof(notes) - strlen(notes),
					 "%sapplied", notes[0] ? "; " : "");
			util_table_add(t, (const char *const[]){ member_name(m, buf, sizeof(buf)),
				     d ? pt_pci_dev_get_driver(d) : NULL, grp, viability(ctx, d),
				     pt_rule_get_name(pt_member_get_rule(m)), vfs,
				     d ? pt_pci_dev_get_display_name(d) :
				     u ? pt_usb_dev_get_display_name(u) : "mdev parent (no PCI function)",
				     notes });
		}
		if (util_table_rows(t))
			util_table_print(t, stdout);
		else
			printf("(none match on this host now)\n");
		util_table_free(t);
		util_applied_free(&ap);
		if (pt_tenant_get_first(ctx))
			printf("\n");
		show_reserved(ctx, g, NULL);
	}
	if (!a->o.quiet)
		warn_group(ctx, g, true);
	return PT_EXIT_OK;
}

/* For provisioning scripts: non-zero when any group has a problem. */
static int do_check(struct args *a, int argc, char **argv, struct pt_ctx *ctx)
{
	struct json_object *arr = a->o.json ? json_object_new_array() : NULL;
	struct pt_group *g;
	int problems = 0, r = pt_conf_load(ctx);

	if (r < 0)
		return util_conf_fail(ctx, r);
	for (int i = 0; i < argc; i++)
		if (!pt_group_find(ctx, argv[i])) {
			util_err(CMD, "no group '%s'; see 'pt group list'", argv[i]);
			json_object_put(arr);
			return PT_EXIT_NOTFOUND;
		}
	pt_group_foreach(ctx, g) {
		int nc, ncrit, nv;
		bool named = argc == 0;
		struct json_object *vp;

		for (int i = 0; i < argc; i++)
			named |= !strcmp(argv[i], pt_group_get_name(g));
		if (!named)
			continue;
		vp = arr ? json_object_new_array() : NULL;
		nc = count_conflicts(ctx, g);
		ncrit = util_group_count_critical(g);
		nv = count_vgpu_problems(g, false, vp);
		problems += nc + ncrit + nv;
		if (arr) {
			struct json_object *o = json_group_check(ctx, g, nc, ncrit);

			json_group_check_vgpu(o, vp);
			json_object_array_add(arr, o);
		} else {
			printf("%-4s  %s", nc || ncrit || nv ? "FAIL" : "ok", pt_group_get_name(g));
			if (nc)
				printf("  %d conflict%s", nc, nc > 1 ? "s" : "");
			if (ncrit)
				printf("  %d host-critical member%s", ncrit, ncrit > 1 ? "s" : "");
			if (nv)
				printf("  %d vGPU problem%s", nv, nv > 1 ? "s" : "");
			putchar('\n');
			if (!a->o.quiet)
				warn_group(ctx, g, false);
		}
	}
	/* each conflict once, not once per group it involves */
	if (!arr && !a->o.quiet && problems) {
		struct pt_conflict *c;

		pt_conflict_foreach(ctx, c) {
			struct pt_group *x = pt_conflict_get_group(c, 0), *y = pt_conflict_get_group(c, 1);
			bool named = argc == 0;

			for (int i = 0; i < argc; i++)
				named |= !strcmp(argv[i], pt_group_get_name(x)) ||
					 !strcmp(argv[i], pt_group_get_name(y));
			if (named)
				util_warn_conflict(CMD, c);
		}
	}
	if (arr) {
		util_json_print(arr);
		json_object_put(arr);
	}
	return problems ? PT_EXIT_CHECK : PT_EXIT_OK;
}

/* ---- apply and release ------------------------------------------------ */

/* Exit status of a refused plan (see the binders block of libpassthru.h). */
/* Safe for a shell word as it is: no quoting needed. */
static bool shell_plain(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_./:,=+@%-", *s))
			return false;
	return true;
}

/* Append s to the malloc'd buffer *b (NULL: abort on no memory). */
static void append(char **b, const char *s)
{
	size_t n = *b ? strlen(*b) : 0;
	char *x = realloc(*b, n + strlen(s) + 1);

	if (!x)
		abort();
	strcpy(x + n, s);
	*b = x;
}

/*
 * value as a shell word: as it is, or in '' with each ' written '\''.
 * One trailing newline is left out: sysfs drops it ("\n" clears
 * driver_override), as echo adds it.
 */
static void append_quoted(char **b, const char *value)
{
	size_t n = strlen(value);
	char *v = strndup(value, n && value[n - 1] == '\n' ? n - 1 : n);

	if (!v)
		abort();
	if (shell_plain(v)) {
		append(b, v);
		free(v);
		return;
	}
	append(b, "'");
	for (const char *p = v; *p; p++) {
		char c[2] = { *p, 0 };

		append(b, *p == '\'' ? "'\\''" : *p == '\n' ? "\\n" : c);
	}
	append(b, "'");
	free(v);
}

/*
 * What a step changes, as one column: "TARGET = VALUE" for a sysfs write,
 * "IFACE vf N ARGS" for a netlink request (ip-link's words), the module
 * for a load. malloc'd.
 */
static char *step_what(struct pt_step *s)
{
	const char *kind = pt_step_get_kind(s), *target = pt_step_get_target(s);
	const char *value = pt_step_get_value(s);
	char *b = NULL;

	append(&b, target ? target : "-");
	if (!value)
		return b;
	if (!strcmp(kind, "write")) {
		append(&b, " = ");
		append_quoted(&b, value);
	} else if (*value) {
		append(&b, " ");
		append(&b, value);
	}
	return b;
}

/*
 * The steps of a plan, one a line, the columns aligned: index, status
 * (with_status), kind, what it changes and "# description".
 */
static void print_steps(FILE *f, struct pt_plan *p, bool with_status)
{
	int n = pt_plan_get_num_steps(p);
	int wi = snprintf(NULL, 0, "%d", n), wk = 0, ws = 0, ww = 0;
	char **what = calloc(n ? n : 1, sizeof(*what));

	if (!what)
		abort();
	for (int i = 0; i < n; i++) {
		struct pt_step *s = pt_plan_get_step(p, i);
		int l;

		what[i] = step_what(s);
		l = (int)strlen(pt_step_get_kind(s));
		wk = l > wk ? l : wk;
		l = (int)strlen(pt_step_get_status(s));
		ws = l > ws ? l : ws;
		l = (int)strlen(what[i]);
		ww = l > ww ? l : ww;
	}
	for (int i = 0; i < n; i++) {
		struct pt_step *s = pt_plan_get_step(p, i);
		const char *desc = pt_step_get_description(s);

		fprintf(f, "  %*d  ", wi, i + 1);
		if (with_status)
			fprintf(f, "%-*s  ", ws, pt_step_get_status(s));
		fprintf(f, "%-*s  ", wk, pt_step_get_kind(s));
		if (desc && *desc)
			fprintf(f, "%-*s  # %s\n", ww, what[i], desc);
		else
			fprintf(f, "%s\n", what[i]);
		free(what[i]);
	}
	free(what);
}

static int count_steps(struct pt_plan *p, const char *status)
{
	int n = 0;

	for (int i = 0; i < pt_plan_get_num_steps(p); i++)
		n += !strcmp(pt_step_get_status(pt_plan_get_step(p, i)), status);
	return n;
}

/* "pt-group: GROUP: NOTE", unless the note names the group itself. */
static void print_notes(struct pt_plan *p, const char *group)
{
	size_t n = strlen(group);

	for (int i = 0; i < pt_plan_get_num_notes(p); i++) {
		const char *note = pt_plan_get_note(p, i);

		if (!strncmp(note, "group '", 7) && !strncmp(note + 7, group, n) &&
		    note[7 + n] == '\'')
			util_err(CMD, "%s", note);
		else
			util_err(CMD, "%s: %s", group, note);
	}
}

/*
 * One group: plan, print or run the plan, report. Returns the exit status
 * for this group (0: it went as asked). *stop is set when the next groups
 * would fail the same way (the state files are invalid).
 */
static int apply_one(struct args *a, struct pt_ctx *ctx, bool release, const char *group,
		     struct json_object *arr, bool *stop)
{
	unsigned int flags = (a->o.dry_run ? PT_PLAN_DRY_RUN : 0) |
			     (a->siblings ? PT_PLAN_WITH_SIBLINGS : 0) |
			     (a->force ? PT_PLAN_FORCE : 0);
	const char *result, *error = NULL;
	struct pt_plan *p = NULL;
	char ebuf[512];
	bool unchanged = false;
	int r, status = PT_EXIT_OK, n;

	r = release ? pt_plan_release(ctx, group, flags, &p) :
		      pt_plan_apply(ctx, group, flags, &p);
	if (!p) {
		util_err(CMD, "%s: %s", group, strerror(r < 0 ? -r : ENOMEM));
		if (arr)
			json_object_array_add(arr, json_plan(NULL, group,
				release ? "release" : "apply", a->o.dry_run, "failed",
				strerror(r < 0 ? -r : ENOMEM)));
		return PT_EXIT_FAILURE;
	}
	if (r == -ENOENT && release && pt_group_find(ctx, group)) {
		/* a group that exists but is not applied: nothing to undo */
		result = "not_applied";
		if (!arr && !a->o.quiet)
			printf("%s: not applied; nothing to release\n", group);
	} else if (r == -ENOENT && release && pt_conf_load(ctx) == 0) {
		/* neither a group nor a record of that name */
		snprintf(ebuf, sizeof(ebuf), "group '%s' not found, and nothing is applied "
			 "under that name; see 'pt group list'", group);
		error = ebuf;
		util_err(CMD, "%s", error);
		result = "refused";
		status = PT_EXIT_NOTFOUND;
	} else if (r < 0) {
		error = pt_plan_get_error(p);
		if (!error && r == -EINVAL)
			error = pt_conf_get_error(ctx);
		if (!error || !*error)
			error = strerror(-r);
		util_err(CMD, "%s", error);
		result = "refused";
		status = util_exit_from_errno(r, UTIL_PLAN);
		*stop = r == -EINVAL;
	} else if (a->o.dry_run) {
		n = pt_plan_get_num_steps(p);
		result = n ? "planned" : "unchanged";
		if (!arr) {
			if (n)
				printf("%s: %d step%s\n", group, n, n == 1 ? "" : "s");
			else
				printf("%s: nothing to change\n", group);
			print_steps(stdout, p, false);
		}
	} else {
		r = pt_plan_execute(p);
		n = count_steps(p, "done");
		if (r < 0) {
			error = pt_plan_get_error(p);
			if (!error || !*error)
				error = strerror(-r);
			util_err(CMD, "%s", error);
			result = "failed";
			status = util_exit_from_errno(r, UTIL_RUN);
		} else if (!release && !pt_plan_get_num_steps(p)) {
			result = "unchanged";
			unchanged = true;
		} else {
			result = release ? "released" : "applied";
		}
		if (!arr && (r < 0 ? a->o.verbose : !a->o.quiet || a->o.verbose)) {
			if (r < 0 && release)
				printf("%s: failed after %d change%s; the rest stays "
				       "recorded\n", group, n, n == 1 ? "" : "s");
			else if (r < 0)
				printf("%s: failed, %d change%s undone\n", group,
				       count_steps(p, "undone"),
				       count_steps(p, "undone") == 1 ? "" : "s");
			else if (unchanged)
				printf("%s: nothing to change\n", group);
			else
				printf("%s: %s, %d change%s\n", group, result, n,
				       n == 1 ? "" : "s");
		}
		if (!arr && a->o.verbose)
			print_steps(stdout, p, true);
	}
	if (!a->o.quiet)
		print_notes(p, group);
	if (arr)
		json_object_array_add(arr, json_plan(p, group, pt_plan_get_action(p),
						     a->o.dry_run, result, error));
	pt_plan_free(p);
	return status;
}

/*
 * apply/release GROUP... or --all: each group on its own, going on after
 * one fails; the status is that of the first failure.
 */
static int do_apply(struct args *a, int argc, char **argv, struct pt_ctx *ctx, bool release)
{
	const char *verb = release ? "release" : "apply";
	struct json_object *arr = a->o.json ? json_object_new_array() : NULL;
	int n = argc, ok = 0, first_fail = 0, bad = 0, r;
	bool stop = false;

	if (!argc && !a->all) {
		util_err(CMD, "%s needs a group NAME or --all; see 'pt group --help'", verb);
		json_object_put(arr);
		return PT_EXIT_USAGE;
	}
	if (argc && a->all) {
		util_err(CMD, "%s: give group NAMEs or --all, not both", verb);
		json_object_put(arr);
		return PT_EXIT_USAGE;
	}
	if (a->keep_going && !a->all) {
		util_err(CMD, "%s: --keep-going goes with --all; a group named on its own "
			 "is applied or released only while every state file is valid", verb);
		json_object_put(arr);
		return PT_EXIT_USAGE;
	}
	if (a->keep_going) {
		/* boot: an invalid file is skipped (it matches nothing) and reported */
		r = pt_set_conf_keep_going(ctx, true);
		if (r == 0)
			r = pt_conf_load(ctx);
		if (r < 0) {
			json_object_put(arr);
			return util_conf_fail(ctx, r);
		}
		bad = pt_conf_get_num_problems(ctx);
		for (int i = 0; i < bad; i++)
			util_err(CMD, "%s; skipped", pt_conf_get_problem(ctx, i));
		if (bad)
			first_fail = PT_EXIT_CONFIG;
	}
	if (a->all && release) {
		char **names = NULL;

		/* every record in applied.d, also one whose group file is gone */
		r = pt_conf_load(ctx);
		if (r >= 0)
			r = pt_applied_list(ctx, &names);
		if (r < 0) {
			json_object_put(arr);
			return util_conf_fail(ctx, r);
		}
		n = r;
		for (int i = 0; i < n; i++) {
			if (!stop || a->keep_going) {
				r = apply_one(a, ctx, release, names[i], arr, &stop);
				if (r == PT_EXIT_OK)
					ok++;
				else if (!first_fail)
					first_fail = r;
			}
			free(names[i]);
		}
		free(names);
		if (!n && !a->o.quiet)
			util_err(CMD, "nothing applied in %s/applied.d; nothing to release",
				 pt_get_conf_dir(ctx));
	} else if (a->all) {
		struct pt_group *g;

		r = pt_conf_load(ctx);
		if (r < 0) {
			json_object_put(arr);
			return util_conf_fail(ctx, r);
		}
		/* plans run on their own context: the groups stay valid */
		n = 0;
		pt_group_foreach(ctx, g) {
			if (stop && !a->keep_going)
				break;
			n++;
			r = apply_one(a, ctx, release, pt_group_get_name(g), arr, &stop);
			if (r == PT_EXIT_OK)
				ok++;
			else if (!first_fail)
				first_fail = r;
		}
		if (!n && !a->o.quiet)
			util_err(CMD, "no groups in %s; nothing to %s", pt_get_conf_dir(ctx), verb);
	}
	for (int i = 0; i < argc && !stop; i++) {
		r = apply_one(a, ctx, release, argv[i], arr, &stop);
		if (r == PT_EXIT_OK)
			ok++;
		else if (!first_fail)
			first_fail = r;
	}
	if (arr) {
		util_json_print(arr);
		json_object_put(arr);
	}
	if (bad)
		util_err(CMD, "%s %d of %d group%s; %d invalid state file%s skipped, "
			 "fix %s and run 'pt group %s --all' again", a->o.dry_run ? "planned" :
			 release ? "released" : "applied", ok, n, n == 1 ? "" : "s", bad,
			 bad == 1 ? "" : "s", bad == 1 ? "it" : "them", verb);
	else if (n > 1 && first_fail && !a->o.quiet)
		util_err(CMD, "%s %d of %d groups", a->o.dry_run ? "planned" :
		       release ? "released" : "applied", ok, n);
	return first_fail;
}

static int group_opt(int c, const char *arg, void *data)
{
	struct args *a = data;

	switch (c) {
	case 't':
		a->type = arg;
		return 0;
	case OPT_ALL:
		a->all = true;
		return 0;
	case OPT_FORCE:
		a->force = true;
		return 0;
	case OPT_SIBLINGS:
		a->siblings = true;
		return 0;
	case OPT_KEEP_GOING:
		a->keep_going = true;
		return 0;
	case OPT_LIST_SETTINGS:
		a->list_settings = arg;
		return 0;
	}
	return -1;
}

/*
 * Scan the PCI functions before a verb that reads the host: a sysfs root
 * that is not there is a usage error (exit 2), a scan that failed exits
 * 1 with the path and errno, and what a scan could not read is a warning
 * each (apply and release then refuse to plan). -1 to go on.
 */
static int scan_host(struct pt_ctx *ctx, struct args *a)
{
	int r = pt_pci_scan(ctx);

	if (r == -ENOENT || r == -ENOTDIR) {
		util_err(CMD, "sysfs root %s: %s; give the root of a sysfs tree with "
			 "-O sysfs.root=DIR (default /sys)", pt_get_sysfs_root(ctx),
			 strerror(-r));
		return PT_EXIT_USAGE;
	}
	if (r < 0) {
		util_err(CMD, "cannot scan %s/bus/pci/devices: %s", pt_get_sysfs_root(ctx),
			 strerror(-r));
		return PT_EXIT_FAILURE;
	}
	for (int i = 0; !a->o.quiet && i < pt_pci_get_num_problems(ctx); i++)
		util_err(CMD, "WARNING: %s", pt_pci_get_problem(ctx, i));
	return -1;
}

/* Completion helper: the settings of a group's type, or of a type by name. */
static int list_settings(struct pt_ctx *ctx, const char *what)
{
	int type = pt_group_type_parse(what);

	if (type < 0) {
		struct pt_group *g = pt_group_find(ctx, what);

		if (!g)
			return PT_EXIT_NOTFOUND;
		type = pt_group_get_type(g);
	}
	for (const char *const *k = pt_group_settings(type); k && *k; k++)
		printf("%s\n", *k);
	return PT_EXIT_OK;
}

/* An option the verb does not take: a usage error naming the verbs that do. */
static int check_verb_opts(const struct args *a, const char *verb)
{
	const struct verb_opts *v = find_verb(verb);
	unsigned int used = (a->type ? V_TYPE : 0) | (a->o.dry_run ? V_DRY_RUN : 0) |
			    (a->o.json ? V_JSON : 0) | (a->all ? V_ALL : 0) |
			    (a->force ? V_FORCE : 0) | (a->siblings ? V_SIBLINGS : 0) |
			    (a->keep_going ? V_KEEP_GOING : 0);
	char verbs[256];

	if (!v || !(used & ~v->opts))
		return 0;
	for (const struct option *l = longopts; l->name; l++) {
		unsigned int bit = opt_bit(l->name);

		if (bit == ~0u || !(bit & used & ~v->opts))
			continue;
		verbs_taking(bit, verbs, sizeof(verbs));
		util_err(CMD, "--%s applies to %s only", l->name, verbs);
		break;
	}
	return PT_EXIT_USAGE;
}

int cmd_group(int argc, char **argv, struct pt_ctx *ctx)
{
	struct args a = { 0 };
	const char *verb;
	char **pos;
	int n, r;

	r = list_verb_opts(argc, argv);
	if (r >= 0)
		return r;
	r = util_parse_verb_args(argc, argv, "t:n", longopts, &a.o, ctx, CMD, usage,
			       group_opt, &a, &verb, &pos, &n);
	if (r >= 0)
		return r;
	if (a.o.list_groups || a.list_settings || !verb) {
		free(pos);
		if (a.o.list_groups)
			return util_list_groups(ctx);
		if (a.list_settings)
			return list_settings(ctx, a.list_settings);
		usage(stderr);
		return PT_EXIT_USAGE;
	}
	/* verbs that read the host: a scan that failed is an error, never "no devices" */
	if (strcmp(verb, "create") && strcmp(verb, "set") && strcmp(verb, "unset") &&
	    strcmp(verb, "delete") && (r = scan_host(ctx, &a)) >= 0) {
		free(pos);
		return r;
	}
	if ((r = check_verb_opts(&a, verb))) {
		;
	} else if (!strcmp(verb, "create")) {
		r = do_create(&a, n, pos, ctx);
	} else if (!strcmp(verb, "list")) {
		r = n ? (util_err(CMD, "list takes no arguments"), PT_EXIT_USAGE) : do_list(&a, ctx);
	} else if (!strcmp(verb, "show")) {
		r = do_show(&a, n, pos, ctx);
	} else if (!strcmp(verb, "set")) {
		r = do_set(&a, n, pos, ctx, false);
	} else if (!strcmp(verb, "unset")) {
		r = do_set(&a, n, pos, ctx, true);
	} else if (!strcmp(verb, "delete")) {
		r = do_delete(&a, n, pos, ctx);
	} else if (!strcmp(verb, "make-resource")) {
		r = do_make_resource(&a, n, pos, ctx);
	} else if (!strcmp(verb, "check")) {
		r = do_check(&a, n, pos, ctx);
	} else if (!strcmp(verb, "apply")) {
		r = do_apply(&a, n, pos, ctx, false);
	} else if (!strcmp(verb, "release")) {
		r = do_apply(&a, n, pos, ctx, true);
	} else {
		util_err(CMD, "'%s' is not a pt group verb; use create, list, show, set, "
		       "unset, delete, make-resource, check, apply or release", verb);
		r = PT_EXIT_USAGE;
	}
	free(pos);
	return r;
}
