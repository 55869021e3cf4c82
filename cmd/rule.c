// SPDX-License-Identifier: GPL-2.0-or-later
/* pt-rule: resource rules — add, list, show, remove, test. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pt.h"

#define CMD "rule"

static const struct option longopts[] = {
	{ "node", required_argument, NULL, 'N' },
	{ "explain", required_argument, NULL, 'e' },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "list-groups", no_argument, NULL, PT_OPT_LIST_GROUPS },
	{ "list-fields", required_argument, NULL, PT_OPT_LIST_FIELDS },
	PT_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pt rule add GROUP RULE MATCH... [--node PATTERN] [-n]\n"
		"       pt rule list [GROUP] [--json]\n"
		"       pt rule show GROUP RULE [--json]\n"
		"       pt rule remove GROUP RULE [-n]\n"
		"       pt rule test GROUP [RULE] [--explain DEVICE] [--json]\n"
		"\n"
		"A rule is FIELD OP VALUE clauses joined by 'and'; a group's rules are\n"
		"alternatives. Operators: eq ne lt le gt ge begins ends contains icontains\n"
		"regex. Quote values with spaces: name contains \"RTX 4090\".\n"
		"\n"
		"  -N, --node PATTERN  the rule applies on matching host names only (add)\n"
		"  -e, --explain DEV   say which clause fails for a device (test)\n"
		"  -n, --dry-run       print the change to the state files, write nothing\n"
		"  -j, --json          print JSON (list, show, test)\n"
		"  -q, --quiet         no notes on stderr\n"
		"  -v, --verbose       log more\n"
		"  -O KEY=DIR          conf.dir, sysfs.root, proc.root, dev.root, modules.dir;\n"
		"  -O lock.timeout=S   seconds a writer waits for the state lock (30)\n"
		"  -h, --help          show this help (the man page on a terminal)\n"
		"      --list-groups   print the group names, one a line (for completions)\n"
		"      --list-fields G print the rule fields of group or type G (for completions)\n"
		"\n"
		"Exit status: 0 ok, 1 failure, 2 usage, 3 nothing matched, 5 invalid state\n"
		"files, 7 permission denied, 8 no such group, rule or device. See pt-rule(8).\n");
}

struct args {
	struct pt_opts o;
	const char *node;
	const char *explain;
	const char *list_fields;
};

static int rule_opt(int c, const char *arg, void *data)
{
	struct args *a = data;

	switch (c) {
	case 'N':
		a->node = arg;
		return 0;
	case 'e':
		a->explain = arg;
		return 0;
	case PT_OPT_LIST_FIELDS:
		a->list_fields = arg;
		return 0;
	}
	return -1;
}

/* Completion helper: the fields of a group's type, or of a type by name. */
static int list_fields(struct pt_ctx *ctx, const char *what)
{
	int type = pt_group_type_parse(what);
	const char *const *f;

	if (type < 0) {
		struct pt_group *g = pt_group_find(ctx, what);

		if (!g)
			return PT_EXIT_NOTFOUND;
		type = pt_group_get_type(g);
	}
	for (f = pt_rule_fields(type); f && *f; f++)
		printf("%s\n", *f);
	return PT_EXIT_OK;
}

/*
 * MATCH as typed: one argument is the expression as it stands; several
 * are words the shell split, and a word with blanks but no quote marks
 * was a quoted value there (name contains "RTX 4090"), so it is quoted
 * again. A word with quote marks is taken as written: the grammar's own
 * quoting ('"A100"'), or single quotes, which the grammar does not know
 * and the parser reports.
 */
static char *join(int argc, char **argv)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f;

	if (argc == 1)
		return strdup(argv[0]);
	f = open_memstream(&s, &len);
	if (!f)
		return NULL;
	for (int i = 0; i < argc; i++) {
		const char *w = argv[i];

		if (i)
			fputc(' ', f);
		if ((*w && !strpbrk(w, " \t")) || strpbrk(w, "\"'")) {
			fputs(w, f);
			continue;
		}
		fputc('"', f);
		for (; *w; w++) {
			if (*w == '\\')
				fputc('\\', f);
			fputc(*w, f);
		}
		fputc('"', f);
	}
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

static int do_add(struct args *a, int argc, char **argv, struct pt_ctx *ctx)
{
	struct pt_txn *txn;
	char *match;
	int r, type, status = 0;

	if (argc < 3) {
		util_err(CMD, "add needs GROUP RULE MATCH, e.g. pt rule add gpu a100 "
		       "vendor_id eq 10de and device_id eq 20b0");
		return PT_EXIT_USAGE;
	}
	match = join(argc - 2, argv + 2);
	if (!match)
		return PT_EXIT_FAILURE;
	txn = util_txn_start(CMD, ctx, &a->o, &status);
	if (!txn) {
		free(match);
		return status;
	}
	r = pt_txn_rule_add(txn, argv[0], argv[1], match, a->node);
	status = r < 0 ? util_txn_fail(CMD, txn, r) : util_txn_finish(CMD, txn, &a->o);
	/* the group's type from the transaction: reading every group costs */
	type = status ? -ENOENT : pt_txn_group_get_type(txn, argv[0]);
	pt_txn_free(txn);
	if (type >= 0 && !a->o.quiet) {
		const char *vol = NULL;

		/* from the expression, so a dry run warns too */
		if (pt_rule_check((enum pt_group_type)type, match, NULL, &vol) == 0 && vol)
			util_err(CMD, "warning: rule '%s' depends on %s, which changes when the "
			       "device is re-plugged or the host reboots; prefer serial or "
			       "port_path", argv[1], vol);
	}
	free(match);
	return status;
}

static int do_remove(struct args *a, int argc, char **argv, struct pt_ctx *ctx)
{
	struct pt_txn *txn;
	int r, status = 0;

	if (argc != 2) {
		util_err(CMD, "remove needs GROUP RULE");
		return PT_EXIT_USAGE;
	}
	txn = util_txn_start(CMD, ctx, &a->o, &status);
	if (!txn)
		return status;
	r = pt_txn_rule_remove(txn, argv[0], argv[1]);
	status = r < 0 ? util_txn_fail(CMD, txn, r) : util_txn_finish(CMD, txn, &a->o);
	pt_txn_free(txn);
	return status;
}

static struct pt_rule *find_rule(struct pt_group *g, const char *name, int *status)
{
	struct pt_rule *r = pt_rule_find(g, name);

	if (!r) {
		util_err(CMD, "group '%s' has no rule '%s'; see 'pt rule list %s'",
		       pt_group_get_name(g), name, pt_group_get_name(g));
		*status = PT_EXIT_NOTFOUND;
	}
	return r;
}

static struct json_object *json_rule(struct pt_rule *r)
{
	struct json_object *o = json_object_new_object();
	const char *node = pt_rule_get_node(r);
	const char *vol = pt_rule_get_volatile_field(r);

	json_object_object_add(o, "group", json_object_new_string(
		pt_group_get_name(pt_rule_get_group(r))));
	json_object_object_add(o, "name", json_object_new_string(pt_rule_get_name(r)));
	json_object_object_add(o, "match", json_object_new_string(pt_rule_get_match(r)));
	json_object_object_add(o, "node", node ? json_object_new_string(node) : NULL);
	json_object_object_add(o, "applies_here", json_object_new_boolean(pt_rule_applies_here(r)));
	json_object_object_add(o, "volatile_field", vol ? json_object_new_string(vol) : NULL);
	return o;
}

static int do_list(struct args *a, int argc, char **argv, struct pt_ctx *ctx)
{
	static const char *const hdr[] = { "GROUP", "RULE", "NODE", "MATCH" };
	struct json_object *arr = NULL;
	struct util_table *t = NULL;
	struct pt_group *g, *only = NULL;
	struct pt_rule *r;
	int status = 0, n = 0;

	if (argc > 1) {
		util_err(CMD, "list takes at most a GROUP");
		return PT_EXIT_USAGE;
	}
	if (argc == 1 && !(only = util_find_group(CMD, ctx, argv[0], &status)))
		return status;
	if (!argc && pt_conf_load(ctx) < 0)
		return util_conf_fail(ctx, pt_conf_load(ctx));
	if (a->o.json)
		arr = json_object_new_array();
	else
		t = util_table_new(4, hdr);
	pt_group_foreach(ctx, g) {
		if (only && g != only)
			continue;
		pt_rule_foreach(g, r) {
			n++;
			if (arr)
				json_object_array_add(arr, json_rule(r));
			else
				util_table_add(t, (const char *const[]){ pt_group_get_name(g),
					     pt_rule_get_name(r), pt_rule_get_node(r),
					     pt_rule_get_match(r) });
		}
	}
	util_list_print(arr, t);
	if (!n) {
		if (!a->o.quiet)
			util_err(CMD, "no rules%s%s", only ? " in group " : "",
			       only ? pt_group_get_name(only) : "");
		return PT_EXIT_NOMATCH;
	}
	return PT_EXIT_OK;
}

static int do_show(struct args *a, int argc, char **argv, struct pt_ctx *ctx)
{
	struct pt_group *g;
	struct pt_rule *r;
	int status = 0;

	if (argc != 2) {
		util_err(CMD, "show needs GROUP RULE");
		return PT_EXIT_USAGE;
	}
	if (!(g = util_find_group(CMD, ctx, argv[0], &status)) || !(r = find_rule(g, argv[1], &status)))
		return status;
	if (a->o.json) {
		struct json_object *o = json_rule(r);

		util_json_print(o);
		json_object_put(o);
	} else {
		printf("group:   %s\nrule:    %s\nmatch:   %s\nnode:    %s%s\n",
		       pt_group_get_name(g), pt_rule_get_name(r), pt_rule_get_match(r),
		       pt_rule_get_node(r) ? pt_rule_get_node(r) : "(every node)",
		       pt_rule_applies_here(r) ? "" : " (not this host)");
		if (pt_rule_get_volatile_field(r))
			printf("warning: depends on %s, which changes on re-plug and reboot\n",
			       pt_rule_get_volatile_field(r));
	}
	return PT_EXIT_OK;
}

/* The devices a group of this type can hold: what test walks. */
struct cand {
	struct pt_pci_dev *pci;
	struct pt_usb_dev *usb;
	const char *never;	/* why no group of this type holds it, or NULL */
};

static const char *cand_name(struct cand *c)
{
	return c->pci ? pt_pci_dev_get_bdf(c->pci) : pt_usb_dev_get_name(c->usb);
}

static int test_one(struct args *a, struct pt_group *g, struct pt_rule *only,
		    struct cand *c, struct util_table *t, struct json_object *arr,
		    bool explain)
{
	struct pt_rule *r, *hit = NULL;
	struct json_object *o = NULL, *whys = NULL;

	if (arr) {
		o = json_object_new_object();
		whys = json_object_new_array();
	} else if (explain && c->never) {
		printf("%s: a %s group never holds %s\n", cand_name(c),
		       pt_group_type_name(pt_group_get_type(g)), c->never);
	}
	pt_rule_foreach(g, r) {
		char *why = NULL;
		int m;

		if (only && r != only)
			continue;
		m = pt_rule_test(r, c->pci, c->usb, &why);
		if (m == 1 && c->never) {
			free(why);
			/* the text output said why in the line above */
			if (arr) {
				if (asprintf(&why, "the clauses match, but a %s group never holds %s",
					     pt_group_type_name(pt_group_get_type(g)), c->never) < 0)
					why = NULL;
			} else {
				why = strdup("the clauses match, but the group never holds it (see above)");
			}
			m = 0;
		}
		if (m == 1 && !pt_rule_applies_here(r)) {
			free(why);
			if (asprintf(&why, "rule applies on nodes '%s' only", pt_rule_get_node(r)) < 0)
				why = NULL;
			m = 0;
		}
		if (m == 1 && !hit)
			hit = r;
		if (explain) {
			if (arr) {
				struct json_object *w = json_object_new_object();

				json_object_object_add(w, "rule", json_object_new_string(pt_rule_get_name(r)));
				json_object_object_add(w, "matched", json_object_new_boolean(m == 1));
				json_object_object_add(w, "why", why ? json_object_new_string(why) : NULL);
				json_object_array_add(whys, w);
			} else {
				printf("%s: rule %s: %s%s\n", cand_name(c), pt_rule_get_name(r),
				       m == 1 ? "matches" : "no match: ", m == 1 ? "" : (why ? why : "?"));
			}
		}
		free(why);
	}
	if (arr) {
		json_object_object_add(o, "device", json_object_new_string(cand_name(c)));
		json_object_object_add(o, "matched", json_object_new_boolean(hit != NULL));
		json_object_object_add(o, "rule", hit ? json_object_new_string(pt_rule_get_name(hit)) : NULL);
		if (explain)
			json_object_object_add(o, "rules", whys);
		else
			json_object_put(whys);
		json_object_array_add(arr, o);
	} else if (t && hit) {
		util_table_add(t, (const char *const[]){ cand_name(c), pt_rule_get_name(hit),
			     c->pci ? pt_pci_dev_get_display_name(c->pci) :
			     pt_usb_dev_get_display_name(c->usb) });
	}
	(void)a;
	return hit != NULL;
}

static int do_test(struct args *a, int argc, char **argv, struct pt_ctx *ctx)
{
	static const char *const hdr[] = { "DEVICE", "RULE", "NAME" };
	struct json_object *arr = NULL;
	struct util_table *t = NULL;
	struct pt_group *g;
	struct pt_rule *only = NULL;
	int status = 0, hits = 0, seen = 0;

	if (argc < 1 || argc > 2) {
		util_err(CMD, "test needs GROUP [RULE]");
		return PT_EXIT_USAGE;
	}
	if (!(g = util_find_group(CMD, ctx, argv[0], &status)))
		return status;
	if (argc == 2 && !(only = find_rule(g, argv[1], &status)))
		return status;
	if (!pt_rule_get_first(g)) {
		util_err(CMD, "group '%s' has no rules; add one with 'pt rule add %s RULE MATCH'",
		       argv[0], argv[0]);
		return PT_EXIT_NOMATCH;
	}
	if (a->o.json)
		arr = json_object_new_array();
	else if (!a->explain)
		t = util_table_new(3, hdr);

	if (pt_group_get_type(g) == PT_GROUP_USB) {
		struct pt_usb_dev *u;

		pt_usb_dev_foreach(ctx, u) {
			struct cand c = { .usb = u };

			if (a->explain ? strcmp(a->explain, pt_usb_dev_get_name(u)) :
			    pt_usb_dev_is_hub(u))
				continue;
			if (pt_usb_dev_is_hub(u))
				c.never = "a hub (pass through the devices behind it)";
			seen++;
			hits += test_one(a, g, only, &c, t, arr, a->explain != NULL);
		}
	} else {
		struct pt_pci_dev *d;
		unsigned int dom, bus, dev, fn;
		int end = 0;

		if (a->explain && !pt_pci_dev_find(ctx, a->explain)) {
			if (sscanf(a->explain, "%4x:%2x:%2x.%1x%n", &dom, &bus, &dev, &fn, &end) == 4 &&
			    end == 12 && !a->explain[end])
				util_err(CMD, "--explain %s: no PCI function %s on this host; see "
				       "'pt scan'", a->explain, a->explain);
			else
				util_err(CMD, "--explain %s: not a PCI slot; give the full "
				       "DDDD:BB:DD.F as 'pt scan' lists it", a->explain);
			json_object_put(arr);
			return PT_EXIT_NOTFOUND;
		}
		pt_pci_dev_foreach(ctx, d) {
			struct cand c = { .pci = d };
			bool fits = pt_group_type_fits_pci_dev(pt_group_get_type(g), d);

			if (a->explain ? strcmp(a->explain, pt_pci_dev_get_bdf(d)) : !fits)
				continue;
			if (!fits)
				c.never = pt_pci_dev_is_bridge(d) ? "a bridge" :
					  pt_pci_dev_is_vf(d) ? "a VF (its PF is the member)" :
					  "this kind of device";
			seen++;
			hits += test_one(a, g, only, &c, t, arr, a->explain != NULL);
		}
	}
	if (a->explain && !seen) {
		util_err(CMD, "--explain %s: no such device; see 'pt scan'", a->explain);
		json_object_put(arr);
		return PT_EXIT_NOTFOUND;
	}
	util_list_print(arr, t);
	if (!hits) {
		if (!a->o.quiet && !a->explain)
			util_err(CMD, "no device on this host matches %s%s%s", only ? "rule " : "group ",
			       only ? pt_rule_get_name(only) : argv[0], "");
		return PT_EXIT_NOMATCH;
	}
	return PT_EXIT_OK;
}

int cmd_rule(int argc, char **argv, struct pt_ctx *ctx)
{
	struct args a = { 0 };
	const char *verb;
	char **pos;
	int n, r;

	r = util_parse_verb_args(argc, argv, "N:e:n", longopts, &a.o, ctx, CMD, usage,
			       rule_opt, &a, &verb, &pos, &n);
	if (r >= 0)
		return r;
	if (a.o.list_groups || a.list_fields || !verb) {
		free(pos);
		if (a.o.list_groups)
			return util_list_groups(ctx);
		if (a.list_fields)
			return list_fields(ctx, a.list_fields);
		usage(stderr);
		return PT_EXIT_USAGE;
	}
	if (a.node && strcmp(verb, "add")) {
		util_err(CMD, "--node applies to 'add' only");
		r = PT_EXIT_USAGE;
	} else if (a.explain && strcmp(verb, "test")) {
		util_err(CMD, "--explain applies to 'test' only");
		r = PT_EXIT_USAGE;
	} else if (!strcmp(verb, "add")) {
		r = do_add(&a, n, pos, ctx);
	} else if (!strcmp(verb, "list")) {
		r = do_list(&a, n, pos, ctx);
	} else if (!strcmp(verb, "show")) {
		r = do_show(&a, n, pos, ctx);
	} else if (!strcmp(verb, "remove")) {
		r = do_remove(&a, n, pos, ctx);
	} else if (!strcmp(verb, "test")) {
		r = do_test(&a, n, pos, ctx);
	} else {
		util_err(CMD, "'%s' is not a pt rule verb; use add, list, show, remove or test",
		       verb);
		r = PT_EXIT_USAGE;
	}
	free(pos);
	return r;
}
