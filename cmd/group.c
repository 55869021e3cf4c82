// SPDX-License-Identifier: GPL-2.0-or-later
/* pt-group: resource groups — create, list, show, set, unset, delete, make-resource, check. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pt.h"

#define CMD "group"

static const struct option longopts[] = {
	{ "type", required_argument, NULL, 't' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "list-groups", no_argument, NULL, PT_OPT_LIST_GROUPS },
	PT_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

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
		"\n"
		"A resource group is a named pool of devices of one type; its rules\n"
		"(see pt rule) decide which devices belong to it.\n"
		"\n"
		"  -t, --type TYPE   the group's device type (create)\n"
		"  -n, --dry-run     print the change to the state files, write nothing\n"
		"  -j, --json        print JSON (list, show, check)\n"
		"  -q, --quiet       no notes on stderr\n"
		"  -v, --verbose     say what was done\n"
		"  -O KEY=DIR        conf.dir, sysfs.root, proc.root, dev.root, modules.dir\n"
		"  -h, --help        show this help (the man page on a terminal)\n"
		"      --list-groups print the group names, one a line (for completions)\n"
		"\n"
		"Exit status: 0 ok, 1 failure, 2 usage, 5 invalid state files, 6 refused,\n"
		"7 permission denied, 8 no such group, 9 check found problems. See pt-group(8).\n");
}

struct args {
	struct pt_opts o;
	const char *type;
};

static int need_args(int argc, int n, const char *what)
{
	if (argc < n) {
		pt_err(CMD, "%s; see 'pt group --help'", what);
		return PT_EXIT_USAGE;
	}
	return 0;
}

/* KEY=VALUE from the command line. */
static int split_kv(const char *arg, char *key, size_t klen, const char **value)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg || (size_t)(eq - arg) >= klen) {
		pt_err(CMD, "'%s' is not KEY=VALUE; e.g. vlan=100", arg);
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

	if ((r = need_args(argc, 1, "create needs a group NAME")))
		return r;
	if (!a->type) {
		pt_err(CMD, "create %s: --type is required; use --type pci, vgpu, sriov-nic "
		       "or usb", argv[0]);
		return PT_EXIT_USAGE;
	}
	type = pt_group_type_parse(a->type);
	if (type < 0) {
		pt_err(CMD, "--type %s: unknown group type; use pci, vgpu, sriov-nic or usb",
		       a->type);
		return PT_EXIT_USAGE;
	}
	txn = pt_txn_start(CMD, ctx, &a->o, &status);
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
	status = r < 0 ? pt_txn_fail(CMD, txn, r) : pt_txn_finish(CMD, txn, &a->o);
	if (!status && a->o.verbose && !a->o.dry_run)
		fprintf(stderr, "pt-group: created %s group '%s'\n", a->type, argv[0]);
	pt_txn_free(txn);
	return status;
}

static int do_set(struct args *a, int argc, char **argv, struct pt_ctx *ctx, bool unset)
{
	struct pt_txn *txn;
	int r = 0, status = 0;

	if ((r = need_args(argc, 2, unset ? "unset needs NAME KEY..." : "set needs NAME KEY=VALUE...")))
		return r;
	txn = pt_txn_start(CMD, ctx, &a->o, &status);
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
	status = r < 0 ? pt_txn_fail(CMD, txn, r) : pt_txn_finish(CMD, txn, &a->o);
	pt_txn_free(txn);
	return status;
}

static int do_delete(struct args *a, int argc, char **argv, struct pt_ctx *ctx)
{
	struct pt_txn *txn;
	int r, status = 0;

	if ((r = need_args(argc, 1, "delete needs a group NAME")))
		return r;
	txn = pt_txn_start(CMD, ctx, &a->o, &status);
	if (!txn)
		return status;
	r = pt_txn_group_delete(txn, argv[0]);
	status = r < 0 ? pt_txn_fail(CMD, txn, r) : pt_txn_finish(CMD, txn, &a->o);
	pt_txn_free(txn);
	return status;
}

/* Each device gets its rule; go on after a failure and report "added 2 of 3". */
static int do_make_resource(struct args *a, int argc, char **argv, struct pt_ctx *ctx)
{
	struct pt_txn *txn;
	int r, status = 0, added = 0, first_fail = 0;
	bool no_group = false;

	if ((r = need_args(argc, 2, "make-resource needs GROUP DEVICE...")))
		return r;
	txn = pt_txn_start(CMD, ctx, &a->o, &status);
	if (!txn)
		return status;
	for (int i = 1; i < argc; i++) {
		char *rule = NULL, *warning = NULL;

		r = pt_txn_make_resource(txn, argv[0], argv[i], &rule, &warning);
		if (r < 0) {
			status = pt_txn_fail(CMD, txn, r);
			if (!first_fail)
				first_fail = status;
			if (r == -ENOENT && !strncmp(pt_txn_get_error(txn), "no group", 8)) {
				no_group = true;
				break;
			}
			continue;
		}
		if (warning)
			pt_err(CMD, "warning: %s", warning);
		if (!a->o.quiet && !a->o.dry_run)
			printf("%s: rule %s for %s\n", argv[0], rule, argv[i]);
		added++;
		free(rule);
		free(warning);
	}
	if (added) {
		status = pt_txn_finish(CMD, txn, &a->o);
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

static int count_critical(struct pt_group *g)
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
	struct pt_pci_dev *d = pt_member_get_pci_dev(m);
	struct pt_usb_dev *u = pt_member_get_usb_dev(m);

	if (d)
		return pt_pci_dev_get_bdf(d);
	snprintf(buf, len, "%s", pt_usb_dev_get_name(u));
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

static struct json_object *json_member(struct pt_ctx *ctx, struct pt_member *m)
{
	struct json_object *o = json_object_new_object(), *vfs;
	struct pt_pci_dev *d = pt_member_get_pci_dev(m);
	struct pt_usb_dev *u = pt_member_get_usb_dev(m);
	const char *crit = d ? pt_pci_dev_get_critical_reason(d) : NULL;

	json_object_object_add(o, "device", json_object_new_string(
		d ? pt_pci_dev_get_bdf(d) : pt_usb_dev_get_name(u)));
	json_object_object_add(o, "rule", json_object_new_string(
		pt_rule_get_name(pt_member_get_rule(m))));
	if (d) {
		const char *drv = pt_pci_dev_get_driver(d);
		int grp = pt_pci_dev_get_iommu_group(d);
		struct pt_iommu_group *ig = grp == PT_NO_IOMMU_GROUP ? NULL :
					    pt_iommu_group_find(ctx, grp);

		json_object_object_add(o, "name", json_object_new_string(
			pt_pci_dev_get_display_name(d)));
		json_object_object_add(o, "driver", drv ? json_object_new_string(drv) : NULL);
		json_object_object_add(o, "iommu_group",
				       ig ? json_object_new_int(grp) : NULL);
		json_object_object_add(o, "viable", ig ? json_object_new_boolean(
			pt_iommu_group_is_viable(ig)) : NULL);
	} else {
		const char *name = pt_usb_dev_get_display_name(u);

		json_object_object_add(o, "name", name ? json_object_new_string(name) : NULL);
		json_object_object_add(o, "driver", NULL);
		json_object_object_add(o, "iommu_group", NULL);
		json_object_object_add(o, "viable", NULL);
	}
	json_object_object_add(o, "critical", crit ? json_object_new_string(crit) : NULL);
	vfs = json_object_new_array();
	for (int i = 0; i < pt_member_get_num_vfs(m); i++)
		json_object_array_add(vfs, json_object_new_int(pt_member_get_vf_index(m, i)));
	json_object_object_add(o, "vfs", vfs);
	return o;
}

static struct json_object *json_conflicts(struct pt_ctx *ctx, struct pt_group *g)
{
	struct json_object *a = json_object_new_array();
	struct pt_conflict *c;

	pt_conflict_foreach(ctx, c) {
		struct json_object *o;

		if (g && pt_conflict_get_group(c, 0) != g && pt_conflict_get_group(c, 1) != g)
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "device", json_object_new_string(pt_conflict_get_device(c)));
		json_object_object_add(o, "groups", json_object_new_array());
		for (int i = 0; i < 2; i++)
			json_object_array_add(json_object_object_get(o, "groups"),
					      json_object_new_string(pt_group_get_name(
						      pt_conflict_get_group(c, i))));
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *json_group(struct pt_ctx *ctx, struct pt_group *g, bool full)
{
	struct json_object *o = json_object_new_object(), *set, *rules, *mem;
	struct pt_rule *r;

	json_object_object_add(o, "name", json_object_new_string(pt_group_get_name(g)));
	json_object_object_add(o, "type", json_object_new_string(
		pt_group_type_name(pt_group_get_type(g))));
	json_object_object_add(o, "file", json_object_new_string(pt_group_get_file(g)));
	set = json_object_new_object();
	for (int i = 0; i < pt_group_get_num_settings(g); i++)
		json_object_object_add(set, pt_group_get_setting_key(g, i),
				       json_object_new_string(pt_group_get_setting_value(g, i)));
	json_object_object_add(o, "settings", set);
	rules = json_object_new_array();
	pt_rule_foreach(g, r)
		json_object_array_add(rules, json_object_new_string(pt_rule_get_name(r)));
	json_object_object_add(o, "rules", rules);
	mem = json_object_new_array();
	for (int i = 0; i < pt_group_get_num_members(g); i++) {
		struct pt_member *m = pt_group_get_member(g, i);

		if (full) {
			json_object_array_add(mem, json_member(ctx, m));
		} else {
			char buf[64];

			json_object_array_add(mem, json_object_new_string(member_name(m, buf, sizeof(buf))));
		}
	}
	json_object_object_add(o, "members", mem);
	json_object_object_add(o, "critical_members", json_object_new_int(count_critical(g)));
	json_object_object_add(o, "conflicts", json_conflicts(ctx, g));
	return o;
}

static int do_list(struct args *a, struct pt_ctx *ctx)
{
	static const char *const hdr[] = { "NAME", "TYPE", "RULES", "MEMBERS", "NOTES" };
	struct pt_table *t;
	struct pt_group *g;
	int r = pt_conf_load(ctx);

	if (r < 0)
		return pt_conf_fail(ctx, r);
	if (a->o.json) {
		struct json_object *arr = json_object_new_array();

		pt_group_foreach(ctx, g)
			json_object_array_add(arr, json_group(ctx, g, false));
		pt_json_print(arr);
		json_object_put(arr);
		goto out;
	}
	t = pt_table_new(5, hdr);
	pt_group_foreach(ctx, g) {
		char nr[16], nm[16], notes[128] = "";
		struct pt_rule *rule;
		int n = 0, nc = count_conflicts(ctx, g), ncrit = count_critical(g);

		pt_rule_foreach(g, rule)
			n++;
		snprintf(nr, sizeof(nr), "%d", n);
		snprintf(nm, sizeof(nm), "%d", pt_group_get_num_members(g));
		if (nc)
			snprintf(notes, sizeof(notes), "%d conflict%s", nc, nc > 1 ? "s" : "");
		if (ncrit)
			snprintf(notes + strlen(notes), sizeof(notes) - strlen(notes),
				 "%s%d host-critical", nc ? ", " : "", ncrit);
		pt_table_add(t, (const char *const[]){ pt_group_get_name(g),
			     pt_group_type_name(pt_group_get_type(g)), nr, nm, notes });
	}
	if (pt_table_rows(t))
		pt_table_print(t, stdout);
	pt_table_free(t);
out:
	if (!pt_group_get_first(ctx)) {
		if (!a->o.quiet)
			pt_err(CMD, "no groups in %s; create one with 'pt group create'",
			       pt_get_conf_dir(ctx));
		return PT_EXIT_NOMATCH;
	}
	return PT_EXIT_OK;
}

/* Loud notes on stderr for critical members (and conflicts) of one group. */
static void warn_group(struct pt_ctx *ctx, struct pt_group *g, bool conflicts)
{
	struct pt_conflict *c;

	for (int i = 0; i < pt_group_get_num_members(g); i++) {
		struct pt_pci_dev *d = pt_member_get_pci_dev(pt_group_get_member(g, i));
		const char *crit = d ? pt_pci_dev_get_critical_reason(d) : NULL;

		if (crit)
			pt_err(CMD, "WARNING: group '%s' holds host-critical %s (%s); it will "
			       "never be bound: change the rule '%s' to exclude it",
			       pt_group_get_name(g), pt_pci_dev_get_bdf(d), crit,
			       pt_rule_get_name(pt_member_get_rule(pt_group_get_member(g, i))));
	}
	pt_conflict_foreach(ctx, c) {
		struct pt_group *x = pt_conflict_get_group(c, 0), *y = pt_conflict_get_group(c, 1);

		if (conflicts && (!g || x == g || y == g))
			pt_err(CMD, "WARNING: %s is claimed by groups '%s' and '%s'; a device "
			       "belongs to one group only: narrow the rules of one of them",
			       pt_conflict_get_device(c), pt_group_get_name(x), pt_group_get_name(y));
	}
}

static int do_show(struct args *a, int argc, char **argv, struct pt_ctx *ctx)
{
	static const char *const rhdr[] = { "RULE", "NODE", "MATCH" };
	static const char *const mhdr[] = { "DEVICE", "DRIVER", "IOMMU", "VIABLE", "RULE",
					    "VFS", "NAME", "NOTES" };
	struct pt_table *t;
	struct pt_group *g;
	struct pt_rule *r;
	int status = 0;

	if ((status = need_args(argc, 1, "show needs a group NAME")))
		return status;
	g = pt_find_group(CMD, ctx, argv[0], &status);
	if (!g)
		return status;
	if (a->o.json) {
		struct json_object *o = json_group(ctx, g, true);
		struct json_object *rules = json_object_new_array();

		pt_rule_foreach(g, r) {
			struct json_object *ro = json_object_new_object();
			const char *node = pt_rule_get_node(r);

			json_object_object_add(ro, "name", json_object_new_string(pt_rule_get_name(r)));
			json_object_object_add(ro, "match", json_object_new_string(pt_rule_get_match(r)));
			json_object_object_add(ro, "node", node ? json_object_new_string(node) : NULL);
			json_object_object_add(ro, "applies_here",
					       json_object_new_boolean(pt_rule_applies_here(r)));
			json_object_array_add(rules, ro);
		}
		json_object_object_add(o, "rules", rules);
		pt_json_print(o);
		json_object_put(o);
	} else {
		int w = 9;	/* "group:", "file:" and every setting in one column */

		for (int j = 0; j < pt_group_get_num_settings(g); j++)
			if ((int)strlen(pt_group_get_setting_key(g, j)) + 1 > w)
				w = (int)strlen(pt_group_get_setting_key(g, j)) + 1;
		printf("%-*s %s\n%-*s %s\n%-*s %s/%s\n", w, "group:", pt_group_get_name(g),
		       w, "type:", pt_group_type_name(pt_group_get_type(g)), w, "file:",
		       pt_get_conf_dir(ctx), pt_group_get_file(g));
		for (int i = 0; i < pt_group_get_num_settings(g); i++)
			printf("%-*s %s\n", w, pt_group_get_setting_key(g, i),
			       pt_group_get_setting_value(g, i));
		printf("\nrules:\n");
		t = pt_table_new(3, rhdr);
		pt_rule_foreach(g, r)
			pt_table_add(t, (const char *const[]){ pt_rule_get_name(r),
				     pt_rule_get_node(r), pt_rule_get_match(r) });
		if (pt_table_rows(t))
			pt_table_print(t, stdout);
		else
			printf("(none: add one with 'pt rule add %s RULE MATCH')\n",
			       pt_group_get_name(g));
		pt_table_free(t);

		printf("\nmembers:\n");
		t = pt_table_new(8, mhdr);
		for (int i = 0; i < pt_group_get_num_members(g); i++) {
			struct pt_member *m = pt_group_get_member(g, i);
			struct pt_pci_dev *d = pt_member_get_pci_dev(m);
			struct pt_usb_dev *u = pt_member_get_usb_dev(m);
			char grp[16] = "", vfs[256] = "", notes[256] = "", buf[64];
			const char *crit = d ? pt_pci_dev_get_critical_reason(d) : NULL;

			if (d && pt_pci_dev_get_iommu_group(d) != PT_NO_IOMMU_GROUP)
				snprintf(grp, sizeof(grp), "%d", pt_pci_dev_get_iommu_group(d));
			for (int v = 0; v < pt_member_get_num_vfs(m); v++)
				snprintf(vfs + strlen(vfs), sizeof(vfs) - strlen(vfs), "%s%d",
					 v ? "," : "", pt_member_get_vf_index(m, v));
			if (crit)
				snprintf(notes, sizeof(notes), "HOST-CRITICAL: %s", crit);
			pt_table_add(t, (const char *const[]){ member_name(m, buf, sizeof(buf)),
				     d ? pt_pci_dev_get_driver(d) : NULL, grp, viability(ctx, d),
				     pt_rule_get_name(pt_member_get_rule(m)), vfs,
				     d ? pt_pci_dev_get_display_name(d) : pt_usb_dev_get_display_name(u),
				     notes });
		}
		if (pt_table_rows(t))
			pt_table_print(t, stdout);
		else
			printf("(none match on this host now)\n");
		pt_table_free(t);
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
		return pt_conf_fail(ctx, r);
	for (int i = 0; i < argc; i++)
		if (!pt_group_find(ctx, argv[i])) {
			pt_err(CMD, "no group '%s'; see 'pt group list'", argv[i]);
			json_object_put(arr);
			return PT_EXIT_NOTFOUND;
		}
	pt_group_foreach(ctx, g) {
		int nc, ncrit;
		bool named = argc == 0;

		for (int i = 0; i < argc; i++)
			named |= !strcmp(argv[i], pt_group_get_name(g));
		if (!named)
			continue;
		nc = count_conflicts(ctx, g);
		ncrit = count_critical(g);
		problems += nc + ncrit;
		if (arr) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "name", json_object_new_string(pt_group_get_name(g)));
			json_object_object_add(o, "ok", json_object_new_boolean(!nc && !ncrit));
			json_object_object_add(o, "critical_members", json_object_new_int(ncrit));
			json_object_object_add(o, "conflicts", json_conflicts(ctx, g));
			json_object_array_add(arr, o);
		} else {
			printf("%-4s  %s", nc || ncrit ? "FAIL" : "ok", pt_group_get_name(g));
			if (nc)
				printf("  %d conflict%s", nc, nc > 1 ? "s" : "");
			if (ncrit)
				printf("  %d host-critical member%s", ncrit, ncrit > 1 ? "s" : "");
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
				pt_err(CMD, "WARNING: %s is claimed by groups '%s' and '%s'; a "
				       "device belongs to one group only: narrow the rules of one "
				       "of them", pt_conflict_get_device(c), pt_group_get_name(x),
				       pt_group_get_name(y));
		}
	}
	if (arr) {
		pt_json_print(arr);
		json_object_put(arr);
	}
	return problems ? PT_EXIT_CHECK : PT_EXIT_OK;
}

static int group_opt(int c, const char *arg, void *data)
{
	struct args *a = data;

	switch (c) {
	case 't':
		a->type = arg;
		return 0;
	}
	return -1;
}

int cmd_group(int argc, char **argv, struct pt_ctx *ctx)
{
	struct args a = { 0 };
	const char *verb;
	char **pos;
	int n, r;

	r = pt_parse_verb_args(argc, argv, "t:n", longopts, &a.o, ctx, CMD, usage,
			       group_opt, &a, &verb, &pos, &n);
	if (r >= 0)
		return r;
	if (a.o.list_groups || !verb) {
		free(pos);
		if (a.o.list_groups)
			return pt_list_groups(ctx);
		usage(stderr);
		return PT_EXIT_USAGE;
	}
	if (a.type && strcmp(verb, "create")) {
		pt_err(CMD, "--type applies to 'create' only");
		r = PT_EXIT_USAGE;
	} else if (!strcmp(verb, "create")) {
		r = do_create(&a, n, pos, ctx);
	} else if (!strcmp(verb, "list")) {
		r = n ? (pt_err(CMD, "list takes no arguments"), PT_EXIT_USAGE) : do_list(&a, ctx);
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
	} else {
		pt_err(CMD, "'%s' is not a pt group verb; use create, list, show, set, "
		       "unset, delete, make-resource or check", verb);
		r = PT_EXIT_USAGE;
	}
	free(pos);
	return r;
}
