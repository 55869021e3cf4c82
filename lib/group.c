// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Resource groups: the semantic layer over the INI files of conf.c.
 * A group file groups.d/<name>.ini holds one [group] section (type,
 * description, the type's settings) and any number of [rule "NAME"]
 * sections (match, node, description). Loading validates everything and
 * stops at the first error with "file:line: what (did you mean ...)".
 * Members are computed from the scan on first use; conflicts across all
 * groups likewise. Changes go through a transaction holding the lock.
 */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"

struct pt_rule {
	struct pt_rule *next;
	struct pt_group *group;
	char *name;
	char *match;
	char *node;
	struct pt_rule_expr *expr;
};

struct pt_member {
	struct pt_pci_dev *pci;
	struct pt_usb_dev *usb;
	struct pt_mdev_parent *mdev;	/* vgpu: an mdev parent that is no PCI function */
	struct pt_rule *rule;
	int *vfs;
	int n_vfs;
};

struct pt_group {
	struct pt_ctx *ctx;
	size_t index;
	char *name;
	enum pt_group_type type;
	char *file;
	char **keys;		/* settings from [group], "type" excluded */
	char **values;
	int n_settings;
	struct pt_rule *rules;
	bool members_done;
	struct pt_member *members;
	int n_members;
};

struct pt_conflict {
	struct pt_conflict *next;
	char *device;
	struct pt_group *groups[2];
	char *reason;			/* NULL: both claim the device */
};

struct pt_txn {
	struct pt_ctx *ctx;
	struct pt_store *st;
	unsigned int flags;
	/*
	 * Every group as pt_txn_begin() read and validated it: a commit
	 * validates again only the files the transaction changed and hands
	 * these, less the changed ones, to the context as its loaded state.
	 */
	struct pt_group **gs;
	size_t n_gs;
	/*
	 * Some group files were known valid from the store's record and not
	 * read (pt__store_open_lazy()): gs is not every group, and the
	 * context reads the state again when it needs it.
	 */
	bool partial;
	bool begun;			/* pt_txn_begin() succeeded */
	char error[512];
};

/* ---- types and settings ------------------------------------------------- */

static const char *const type_names[] = {
	[PT_GROUP_PCI] = "pci",
	[PT_GROUP_VGPU] = "vgpu",
	[PT_GROUP_SRIOV_NIC] = "sriov-nic",
	[PT_GROUP_USB] = "usb",
	NULL,
};
#define N_TYPES 4

PT_EXPORT const char *pt_group_type_name(enum pt_group_type type)
{
	return (unsigned int)type < N_TYPES ? type_names[type] : NULL;
}

PT_EXPORT int pt_group_type_parse(const char *name)
{
	for (int i = 0; i < N_TYPES; i++)
		if (name && !strcmp(name, type_names[i]))
			return i;
	return -EINVAL;
}

enum setting_kind { S_STRING, S_BOOL, S_INT, S_ENUM };

#define T_(t) (1u << (t))
#define ALL_TYPES (T_(PT_GROUP_PCI) | T_(PT_GROUP_VGPU) | T_(PT_GROUP_SRIOV_NIC) | T_(PT_GROUP_USB))

static const struct setting {
	const char *key;
	unsigned int types;
	enum setting_kind kind;
	long min, max;
	const char *const *choices;
	const char *help;
} settings[] = {
	{ "description", ALL_TYPES, S_STRING, 0, 0, NULL, "free text" },
	{ "profile", T_(PT_GROUP_VGPU), S_STRING, 0, 0, NULL,
	  "an mdev type id (nvidia-471) or an NVIDIA profile name (GRID A100-4C)" },
	{ "mode", T_(PT_GROUP_VGPU), S_ENUM, 0, 0,
	  (const char *const[]){ "mdev", "vf", NULL }, NULL },
	{ "heterogeneous", T_(PT_GROUP_VGPU), S_BOOL, 0, 0, NULL, NULL },
	{ "numvfs", T_(PT_GROUP_SRIOV_NIC), S_INT, 0, 65535, NULL, NULL },
	{ "vlan", T_(PT_GROUP_SRIOV_NIC), S_INT, 0, 4094, NULL, NULL },
	{ "vlan_proto", T_(PT_GROUP_SRIOV_NIC), S_ENUM, 0, 0,
	  (const char *const[]){ "802.1Q", "802.1ad", NULL }, NULL },
	{ "qos", T_(PT_GROUP_SRIOV_NIC), S_INT, 0, 7, NULL, NULL },
	{ "min_tx_rate", T_(PT_GROUP_SRIOV_NIC), S_INT, 0, 10000000, NULL, NULL },
	{ "max_tx_rate", T_(PT_GROUP_SRIOV_NIC), S_INT, 0, 10000000, NULL, NULL },
	{ "link_state", T_(PT_GROUP_SRIOV_NIC), S_ENUM, 0, 0,
	  (const char *const[]){ "auto", "enable", "disable", NULL }, NULL },
	{ "spoofchk", T_(PT_GROUP_SRIOV_NIC), S_BOOL, 0, 0, NULL, NULL },
	{ "trust", T_(PT_GROUP_SRIOV_NIC), S_BOOL, 0, 0, NULL, NULL },
	{ "query_rss", T_(PT_GROUP_SRIOV_NIC), S_BOOL, 0, 0, NULL, NULL },
	/* pt attach: how VFs and vGPU instances are placed, and migration */
	{ "placement", T_(PT_GROUP_VGPU) | T_(PT_GROUP_SRIOV_NIC), S_ENUM, 0, 0,
	  (const char *const[]){ "pack", "spread", NULL }, NULL },
	{ "live_migration", T_(PT_GROUP_VGPU), S_BOOL, 0, 0, NULL, NULL },
	{ "guest_reset", T_(PT_GROUP_USB), S_BOOL, 0, 0, NULL, NULL },
	{ "guest_resets_all", T_(PT_GROUP_USB), S_BOOL, 0, 0, NULL, NULL },
};
#define N_SETTINGS (sizeof(settings) / sizeof(settings[0]))

/* Per type: the NULL-terminated key list, built once per process. */
static const char *setting_lists[N_TYPES][N_SETTINGS + 1];
static pthread_once_t setting_lists_once = PTHREAD_ONCE_INIT;

static void setting_lists_build(void)
{
	for (int t = 0; t < N_TYPES; t++) {
		size_t n = 0;

		for (size_t i = 0; i < N_SETTINGS; i++)
			if (settings[i].types & T_(t))
				setting_lists[t][n++] = settings[i].key;
		setting_lists[t][n] = NULL;
	}
}

PT_EXPORT const char *const *pt_group_settings(enum pt_group_type type)
{
	if ((unsigned int)type >= N_TYPES)
		return NULL;
	pthread_once(&setting_lists_once, setting_lists_build);
	return setting_lists[type];
}

static const struct setting *setting_find(const char *key)
{
	for (size_t i = 0; i < N_SETTINGS; i++)
		if (!strcmp(settings[i].key, key))
			return &settings[i];
	return NULL;
}

static void join_list(char *buf, size_t len, const char *const *list)
{
	size_t n = 0;

	buf[0] = '\0';
	for (; *list && n < len; list++)
		n += snprintf(buf + n, len - n, "%s%s", n ? ", " : "", *list);
}

/*
 * Check one [group] key for a type; canon receives the value as it is
 * stored (booleans as yes/no, enums in their canonical spelling).
 */
static int setting_check(enum pt_group_type type, const char *key,
			 const char *value, char *canon, size_t clen,
			 char *err, size_t elen)
{
	const struct setting *s = setting_find(key);
	char list[200];		/* the longest list, sriov-nic's, is ~130 */

	if (!s || !(s->types & T_(type))) {
		const char *const *valid = pt_group_settings(type);
		const char *near = pt__closest(key, valid);

		join_list(list, sizeof(list), valid);
		if (s)
			snprintf(err, elen, "'%s' is not a setting of a %s group (settings: %s)",
				 key, type_names[type], list);
		else if (near)
			snprintf(err, elen, "unknown key '%s' (did you mean '%s'?)", key, near);
		else
			snprintf(err, elen, "unknown key '%s' (settings of a %s group: %s)",
				 key, type_names[type], list);
		return -EINVAL;
	}
	switch (s->kind) {
	case S_STRING:
		if (!*value && strcmp(key, "description")) {
			snprintf(err, elen, "%s: empty value; give %s", key, s->help);
			return -EINVAL;
		}
		snprintf(canon, clen, "%s", value);
		return 0;
	case S_BOOL: {
		int b = pt__parse_bool(value);

		if (b < 0) {
			snprintf(err, elen, "%s = %s: not a boolean; use yes or no", key, value);
			return -EINVAL;
		}
		snprintf(canon, clen, "%s", b ? "yes" : "no");
		return 0;
	}
	case S_INT: {
		char *end;
		long v;

		errno = 0;
		v = strtol(value, &end, 10);
		if (!*value || *end || errno || v < s->min || v > s->max) {
			snprintf(err, elen, "%s = %s: not a whole number from %ld to %ld",
				 key, value, s->min, s->max);
			return -EINVAL;
		}
		snprintf(canon, clen, "%ld", v);
		return 0;
	}
	case S_ENUM:
		for (const char *const *c = s->choices; *c; c++)
			if (!strcasecmp(value, *c)) {
				snprintf(canon, clen, "%s", *c);
				return 0;
			}
		join_list(list, sizeof(list), s->choices);
		snprintf(err, elen, "%s = %s: not one of %s", key, value, list);
		return -EINVAL;
	}
	return -EINVAL;
}

/* Checks across keys of one group. */
static int settings_cross_check(struct pt_group *g, char *err, size_t elen)
{
	const char *min = pt_group_get_setting(g, "min_tx_rate");
	const char *max = pt_group_get_setting(g, "max_tx_rate");

	if (min && max && atol(max) > 0 && atol(min) > atol(max)) {
		snprintf(err, elen, "min_tx_rate %s is above max_tx_rate %s; "
			 "min_tx_rate must not exceed max_tx_rate (0 = no limit)", min, max);
		return -EINVAL;
	}
	if (pt_group_get_setting(g, "qos") && atol(pt_group_get_setting(g, "qos")) > 0 &&
	    !pt_group_get_setting(g, "vlan")) {
		snprintf(err, elen, "qos needs vlan: the priority is carried in the VLAN tag; "
			 "set vlan too or drop qos");
		return -EINVAL;
	}
	if (pt_group_get_setting(g, "vlan_proto") && !pt_group_get_setting(g, "vlan")) {
		snprintf(err, elen, "vlan_proto needs vlan; set vlan too or drop vlan_proto");
		return -EINVAL;
	}
	return 0;
}

/* ---- loading ------------------------------------------------------------ */

/* A rule is one block: the struct, then its name, match and node. */
static void rule_free(struct pt_rule *r)
{
	pt__rule_free(r->expr);
	free(r);
}

/* see rule_expr() */
static void rules_drop_exprs(struct pt_group *g)
{
	for (struct pt_rule *r = g->rules; r; r = r->next) {
		pt__rule_free(r->expr);
		r->expr = NULL;
	}
}

static void members_free(struct pt_group *g)
{
	for (int i = 0; i < g->n_members; i++)
		free(g->members[i].vfs);
	free(g->members);
	g->members = NULL;
	g->n_members = 0;
	g->members_done = false;
}

static void group_free(struct pt_group *g)
{
	struct pt_rule *r, *n;

	if (!g)
		return;
	for (r = g->rules; r; r = n) {
		n = r->next;
		rule_free(r);
	}
	for (int i = 0; i < g->n_settings; i++) {
		free(g->keys[i]);
		free(g->values[i]);
	}
	members_free(g);
	free(g->keys);
	free(g->values);
	free(g->name);
	free(g->file);
	free(g);
}

static void conflicts_free(struct pt_ctx *ctx)
{
	struct pt_conflict *c, *n;

	for (c = ctx->conflicts; c; c = n) {
		n = c->next;
		free(c->device);
		free(c->reason);
		free(c);
	}
	ctx->conflicts = NULL;
	ctx->conflicts_done = false;
}

void pt__conf_free(struct pt_ctx *ctx)
{
	conflicts_free(ctx);
	for (size_t i = 0; i < ctx->n_cgroups; i++)
		group_free(ctx->cgroups[i]);
	free(ctx->cgroups);
	ctx->cgroups = NULL;
	ctx->n_cgroups = 0;
	free(ctx->conf_error);
	ctx->conf_error = NULL;
	for (size_t i = 0; i < ctx->n_conf_problems; i++)
		free(ctx->conf_problems[i]);
	free(ctx->conf_problems);
	ctx->conf_problems = NULL;
	ctx->n_conf_problems = 0;
	ctx->conf_loaded = false;
	ctx->conf_rc = 0;
}

/*
 * `rule "NAME"` -> NAME in buf (PT_NAME_MAX + 2 bytes: a longer name is
 * cut there, and invalid anyway), or NULL when the header is not one.
 */
static char *rule_section_name(const char *section, char *buf)
{
	size_t len = strlen(section);

	if (strncmp(section, "rule \"", 6) || len < 8 || section[len - 1] != '"')
		return NULL;
	len -= 7;
	if (len > PT_NAME_MAX + 1)
		len = PT_NAME_MAX + 1;
	memcpy(buf, section + 6, len);
	buf[len] = '\0';
	return buf;
}

static int add_setting(struct pt_group *g, const char *key, const char *value)
{
	char **k = realloc(g->keys, (g->n_settings + 1) * sizeof(*k));
	char **v;

	if (!k)
		return -ENOMEM;
	g->keys = k;
	v = realloc(g->values, (g->n_settings + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	g->values = v;
	k[g->n_settings] = strdup(key);
	v[g->n_settings] = strdup(value);
	if (!k[g->n_settings] || !v[g->n_settings])
		return -ENOMEM;
	g->n_settings++;
	return 0;
}

#define FERR(...)							\
	do {								\
		snprintf(err, elen, __VA_ARGS__);			\
		r = -EINVAL;						\
		goto fail;						\
	} while (0)

/* Build and validate one group from its file. */
static int group_from_file(struct pt_ctx *ctx, struct pt_ini_file *f,
			   struct pt_group **out, char *err, size_t elen)
{
	struct pt_group *g = calloc(1, sizeof(*g));
	struct pt_rule **tail;
	const char *base, *type;
	struct pt_ini_section *gs;
	char msg[512];
	int r;

	/* a transaction's file is kept without its views (pt__ini_drop_views) */
	if (!g || pt__ini_views(f) < 0) {
		free(g);
		return -ENOMEM;
	}
	g->ctx = ctx;
	tail = &g->rules;
	base = strrchr(f->relpath, '/');
	base = base ? base + 1 : f->relpath;
	g->name = strndup(base, strlen(base) - 4);	/* drop ".ini" */
	g->file = strdup(f->relpath);
	if (!g->name || !g->file) {
		group_free(g);
		return -ENOMEM;
	}

	gs = pt__ini_find_section(f, "group");
	if (!gs) {
		snprintf(err, elen, "%s:1: no [group] section; start the file with "
			 "[group] and type = pci|vgpu|sriov-nic|usb", f->relpath);
		group_free(g);
		return -EINVAL;
	}
	type = pt__ini_get(f, "group", "type");
	if (!type) {
		snprintf(err, elen, "%s:%d: [group] has no type; add type = "
			 "pci|vgpu|sriov-nic|usb", f->relpath, gs->line);
		group_free(g);
		return -EINVAL;
	}

	for (size_t i = 0; i < f->n_sections; i++) {
		struct pt_ini_section *s = &f->sections[i];
		char rbuf[PT_NAME_MAX + 2], *rname;
		const char *match = NULL, *node = NULL;
		struct pt_rule_expr *expr = NULL;
		struct pt_rule *rule;
		size_t ln, lm, lo;

		if (!strcmp(s->name, "group")) {
			/* the type decides which settings are valid: read it first */
			for (size_t k = 0; k < s->n_kv; k++) {
				struct pt_ini_kv *kv = &s->kv[k];

				if (strcmp(kv->key, "type"))
					continue;
				r = pt_group_type_parse(kv->value);
				if (r < 0) {
					const char *near = pt__closest(kv->value, type_names);

					if (near)
						FERR("%s:%d: unknown type '%s' (did you mean '%s'?)",
						     f->relpath, kv->line, kv->value, near);
					FERR("%s:%d: unknown type '%s'; use pci, vgpu, "
					     "sriov-nic or usb", f->relpath, kv->line, kv->value);
				}
				g->type = r;
			}
			for (size_t k = 0; k < s->n_kv; k++) {
				struct pt_ini_kv *kv = &s->kv[k];
				char canon[512];

				if (!strcmp(kv->key, "type"))
					continue;
				r = setting_check(g->type, kv->key, kv->value, canon,
						  sizeof(canon), msg, sizeof(msg));
				if (r < 0)
					FERR("%s:%d: %s", f->relpath, kv->line, msg);
				r = add_setting(g, kv->key, canon);
				if (r < 0)
					goto fail;
			}
			r = settings_cross_check(g, msg, sizeof(msg));
			if (r < 0)
				FERR("%s:%d: %s", f->relpath, gs->line, msg);
			continue;
		}
		rname = rule_section_name(s->name, rbuf);
		if (!rname && !strncmp(s->name, "rule ", 5))
			FERR("%s:%d: [%s]: quote the rule name: [rule \"%s\"]", f->relpath,
			     s->line, s->name, s->name + 5 + strspn(s->name + 5, " "));
		if (!rname) {
			const char *near = pt__closest(s->name,
				(const char *const[]){ "group", "rule", NULL });

			FERR("%s:%d: unknown section [%s]%s%s%s; sections are [group] and "
			     "[rule \"NAME\"]", f->relpath, s->line, s->name,
			     near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
		}
		if (!pt__name_is_valid(rname)) {
			FERR("%s:%d: bad rule name in [%s]; use letters, digits, '-', '_' "
			     "and '.', not starting with '.', at most %d characters",
			     f->relpath, s->line, s->name, PT_NAME_MAX);
		}
		for (size_t k = 0; k < s->n_kv; k++) {
			struct pt_ini_kv *kv = &s->kv[k];

			if (!strcmp(kv->key, "match")) {
				r = pt__rule_parse(kv->value, g->type, &expr, msg, sizeof(msg));
				if (r < 0)
					FERR("%s:%d: rule \"%s\": match: %s", f->relpath,
					     kv->line, rname, msg);
				match = kv->value;
			} else if (!strcmp(kv->key, "node")) {
				if (!*kv->value) {
					pt__rule_free(expr);
					FERR("%s:%d: rule \"%s\": empty node; give a host name "
					     "or a pattern like node1*, or drop the key",
					     f->relpath, kv->line, rname);
				}
				node = kv->value;
			} else if (!strcmp(kv->key, "description")) {
				continue;
			} else {
				const char *near = pt__closest(kv->key,
					(const char *const[]){ "match", "node", "description", NULL });

				pt__rule_free(expr);
				if (near)
					FERR("%s:%d: unknown key '%s' (did you mean '%s'?)",
					     f->relpath, kv->line, kv->key, near);
				FERR("%s:%d: unknown key '%s' (keys of a rule: match, node, "
				     "description)", f->relpath, kv->line, kv->key);
			}
		}
		if (!expr)
			FERR("%s:%d: rule \"%s\" has no match; add match = FIELD OP VALUE",
			     f->relpath, s->line, rname);
		ln = strlen(rname) + 1;
		lm = strlen(match) + 1;
		lo = node ? strlen(node) + 1 : 0;
		rule = calloc(1, sizeof(*rule) + ln + lm + lo);
		if (!rule) {
			pt__rule_free(expr);
			r = -ENOMEM;
			goto fail;
		}
		rule->group = g;
		rule->expr = expr;
		rule->name = memcpy((char *)(rule + 1), rname, ln);
		rule->match = memcpy(rule->name + ln, match, lm);
		rule->node = node ? memcpy(rule->match + lm, node, lo) : NULL;
		*tail = rule;
		tail = &rule->next;
	}
	*out = g;
	return 0;
fail:
	group_free(g);
	return r;
}

static int cmp_group(const void *a, const void *b)
{
	return strcmp((*(struct pt_group *const *)a)->name,
		      (*(struct pt_group *const *)b)->name);
}

static int cmp_problem(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int conf_problem_add(struct pt_ctx *ctx, const char *why)
{
	char **n = realloc(ctx->conf_problems, (ctx->n_conf_problems + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	ctx->conf_problems = n;
	n[ctx->n_conf_problems] = strdup(why);
	if (!n[ctx->n_conf_problems])
		return -ENOMEM;
	ctx->n_conf_problems++;
	return 0;
}

/*
 * The groups built while a store is read (pt__store_open_each): each
 * group file is validated and built as soon as it is parsed, so that one
 * file's parsed views live at a time, not a thousand.
 */
struct build {
	struct pt_ctx *ctx;
	bool keep_going;	/* skip each invalid group, listed in ctx->conf_problems */
	bool txn;		/* keep the files' text, the groups without expressions */
	struct pt_group **gs;
	size_t n, cap;
	int r;			/* the first invalid group (not keep_going): its error */
	char err[1024];
};

static int build_group(struct pt_store *st, struct pt_ini_file *f, void *data,
		       char *err, size_t elen)
{
	struct build *b = data;
	struct pt_group *g;
	int r;

	(void)st;
	/* applied.d/ holds records of pt-group apply, not groups */
	if (strncmp(f->relpath, "groups.d/", 9))
		return 0;
	/* after an invalid group, the store's own checks go on, as before */
	if (b->r < 0)
		goto done;
	r = group_from_file(b->ctx, f, &g, b->err, sizeof(b->err));
	if (r == -ENOMEM)
		goto nomem;
	if (r < 0 && b->keep_going) {
		/* an invalid group matches nothing: skipped, reported */
		if (conf_problem_add(b->ctx, b->err) < 0)
			goto nomem;
		goto done;
	}
	if (r < 0) {
		b->r = r;
		goto done;
	}
	f->validated = true;
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 16;
		struct pt_group **ng = realloc(b->gs, cap * sizeof(*ng));

		if (!ng) {
			group_free(g);
			goto nomem;
		}
		b->gs = ng;
		b->cap = cap;
	}
	if (b->txn)
		rules_drop_exprs(g);
	b->gs[b->n++] = g;
done:
	if (!b->txn)
		return 1;	/* a load keeps the groups, not the files */
	pt__ini_drop_views(f);
	return 0;
nomem:
	snprintf(err, elen, "out of memory");
	return -ENOMEM;
}

/*
 * Open the store and build all its groups into an array; on error
 * nothing is kept and err says why: a file the store refuses first, then
 * the first invalid group by path. keep_going skips each invalid group
 * file and lists it in ctx->conf_problems instead. A transaction (txn)
 * keeps every file, a load (!txn) none.
 */
static int groups_open(struct pt_ctx *ctx, bool write, bool txn, bool keep_going,
		       struct pt_store **st, struct pt_group ***out, size_t *n_out,
		       char *err, size_t elen)
{
	struct build b = { .ctx = ctx, .keep_going = keep_going, .txn = txn };
	int r;

	/*
	 * A transaction takes what the record of validated files knows valid
	 * without reading it: it edits one group, and reads that one when it
	 * does (txn_group()). A load reads them all: its commands need them.
	 */
	r = (txn ? pt__store_open_lazy : pt__store_open_each)(ctx, write, build_group, &b,
								 st, err, elen);
	if (r == 0 && b.r < 0) {
		snprintf(err, elen, "%s", b.err);
		r = b.r;
		pt__store_close(*st);
		*st = NULL;
	}
	if (r < 0) {
		while (b.n)
			group_free(b.gs[--b.n]);
		free(b.gs);
		return r;
	}
	if (b.n)
		qsort(b.gs, b.n, sizeof(*b.gs), cmp_group);
	for (size_t i = 0; i < b.n; i++)
		b.gs[i]->index = i;
	*out = b.gs;
	*n_out = b.n;
	return 0;
}

PT_EXPORT int pt_conf_load(struct pt_ctx *ctx)
{
	struct pt_store *st = NULL;
	char err[1024] = "";
	int r;

	if (ctx->conf_loaded)
		return ctx->conf_rc;
	r = pt__ctx_register_free(ctx, pt__conf_free);
	if (r < 0)
		return r;
	ctx->conf_loaded = true;
	r = groups_open(ctx, false, false, ctx->conf_keep_going, &st, &ctx->cgroups,
			&ctx->n_cgroups, err, sizeof(err));
	if (r == 0) {
		/* the files the store skipped */
		for (size_t i = 0; i < st->n_bad && r == 0; i++)
			r = conf_problem_add(ctx, st->bad[i].error);
		pt__store_close(st);
		/* in path order, whichever stage refused the file */
		if (ctx->n_conf_problems)
			qsort(ctx->conf_problems, ctx->n_conf_problems,
			      sizeof(*ctx->conf_problems), cmp_problem);
	}
	if (r < 0) {
		if (!err[0])
			snprintf(err, sizeof(err), "%s: %s", ctx->conf_dir, strerror(-r));
		ctx->conf_error = strdup(err);
		dbg(ctx, "%s\n", err);
	}
	ctx->conf_rc = r;
	return r;
}

PT_EXPORT const char *pt_conf_get_error(struct pt_ctx *ctx)
{
	return ctx->conf_error;
}

PT_EXPORT int pt_set_conf_keep_going(struct pt_ctx *ctx, bool on)
{
	if (ctx->conf_loaded)
		return -EBUSY;
	ctx->conf_keep_going = on;
	return 0;
}

PT_EXPORT int pt_conf_get_num_problems(struct pt_ctx *ctx)
{
	return pt_conf_load(ctx) < 0 ? 0 : (int)ctx->n_conf_problems;
}

PT_EXPORT const char *pt_conf_get_problem(struct pt_ctx *ctx, int idx)
{
	if (pt_conf_load(ctx) < 0 || idx < 0 || (size_t)idx >= ctx->n_conf_problems)
		return NULL;
	return ctx->conf_problems[idx];
}

/* ---- read accessors ----------------------------------------------------- */

PT_EXPORT struct pt_group *pt_group_get_first(struct pt_ctx *ctx)
{
	if (pt_conf_load(ctx) < 0)
		return NULL;
	return ctx->n_cgroups ? ctx->cgroups[0] : NULL;
}

PT_EXPORT struct pt_group *pt_group_get_next(struct pt_group *g)
{
	struct pt_ctx *ctx = g->ctx;

	return g->index + 1 < ctx->n_cgroups ? ctx->cgroups[g->index + 1] : NULL;
}

PT_EXPORT struct pt_group *pt_group_find(struct pt_ctx *ctx, const char *name)
{
	struct pt_group *g;

	pt_group_foreach(ctx, g)
		if (!strcmp(g->name, name))
			return g;
	return NULL;
}

PT_EXPORT const char *pt_group_get_name(struct pt_group *g) { return g->name; }
PT_EXPORT enum pt_group_type pt_group_get_type(struct pt_group *g) { return g->type; }
PT_EXPORT const char *pt_group_get_file(struct pt_group *g) { return g->file; }
PT_EXPORT int pt_group_get_num_settings(struct pt_group *g) { return g->n_settings; }

PT_EXPORT const char *pt_group_get_setting_key(struct pt_group *g, int idx)
{
	return idx >= 0 && idx < g->n_settings ? g->keys[idx] : NULL;
}

PT_EXPORT const char *pt_group_get_setting_value(struct pt_group *g, int idx)
{
	return idx >= 0 && idx < g->n_settings ? g->values[idx] : NULL;
}

PT_EXPORT const char *pt_group_get_setting(struct pt_group *g, const char *key)
{
	for (int i = 0; i < g->n_settings; i++)
		if (!strcmp(g->keys[i], key))
			return g->values[i];
	return NULL;
}

PT_EXPORT struct pt_rule *pt_rule_get_first(struct pt_group *g) { return g->rules; }
PT_EXPORT struct pt_rule *pt_rule_get_next(struct pt_rule *r) { return r->next; }
PT_EXPORT const char *pt_rule_get_name(struct pt_rule *r) { return r->name; }
PT_EXPORT struct pt_group *pt_rule_get_group(struct pt_rule *r) { return r->group; }
PT_EXPORT const char *pt_rule_get_match(struct pt_rule *r) { return r->match; }
PT_EXPORT const char *pt_rule_get_node(struct pt_rule *r) { return r->node; }

PT_EXPORT struct pt_rule *pt_rule_find(struct pt_group *g, const char *name)
{
	struct pt_rule *r;

	pt_rule_foreach(g, r)
		if (!strcmp(r->name, name))
			return r;
	return NULL;
}

PT_EXPORT bool pt_rule_applies_here(struct pt_rule *r)
{
	char host[HOST_NAME_MAX + 1], *dot;

	if (!r->node)
		return true;
	if (gethostname(host, sizeof(host)) < 0)
		return false;
	host[sizeof(host) - 1] = '\0';
	if (!fnmatch(r->node, host, 0))
		return true;
	/* "node1" matches the host "node1.example.com" too */
	dot = strchr(host, '.');
	if (dot) {
		*dot = '\0';
		return !fnmatch(r->node, host, 0);
	}
	return false;
}

PT_EXPORT int pt_rule_check(enum pt_group_type type, const char *match,
			    char **error, const char **volatile_field)
{
	struct pt_rule_expr *e;
	char msg[512];
	int r;

	if (error)
		*error = NULL;
	if (volatile_field)
		*volatile_field = NULL;
	r = pt__rule_parse(match, type, &e, msg, sizeof(msg));
	if (r < 0) {
		if (error)
			*error = strdup(msg);
		return r;
	}
	if (volatile_field)
		*volatile_field = pt__rule_volatile_field(e);
	pt__rule_free(e);
	return 0;
}

/*
 * A rule's expression. A transaction keeps its groups without them (they
 * were parsed to validate the file, and a command that edits one group
 * matches none); they are parsed again from the match on first use.
 * NULL: out of memory.
 */
static struct pt_rule_expr *rule_expr(struct pt_rule *r)
{
	if (!r->expr)
		pt__rule_parse(r->match, r->group->type, &r->expr, NULL, 0);
	return r->expr;
}

PT_EXPORT const char *pt_rule_get_volatile_field(struct pt_rule *r)
{
	struct pt_rule_expr *e = rule_expr(r);

	return e ? pt__rule_volatile_field(e) : NULL;
}

PT_EXPORT int pt_rule_test(struct pt_rule *r, struct pt_pci_dev *pci,
			   struct pt_usb_dev *usb, char **why)
{
	struct pt_dev_view v = {
		.type = r->group->type, .pci = pci, .usb = usb, .vf_index = -1,
	};
	char buf[512] = "";
	int m;

	if ((r->group->type == PT_GROUP_USB) != (usb != NULL) || (pci && usb))
		return -EINVAL;
	if (!rule_expr(r))
		return -ENOMEM;
	m = pt__rule_match(r->expr, &v, buf, sizeof(buf));
	if (why)
		*why = m == 0 && buf[0] ? strdup(buf) : NULL;
	return m;
}

/* ---- membership --------------------------------------------------------- */

PT_EXPORT bool pt_group_type_fits_pci_dev(enum pt_group_type type, struct pt_pci_dev *d)
{
	if (pt_pci_dev_is_bridge(d))
		return false;
	switch (type) {
	case PT_GROUP_PCI:
		return true;
	case PT_GROUP_SRIOV_NIC:
		/*
		 * SR-IOV PFs: NICs, and others whose VFs go to guests whole
		 * (NVMe); an SR-IOV GPU belongs in a vgpu group
		 */
		return (pt_pci_dev_get_class(d) >> 16) != 0x03 &&
		       pt_pci_dev_get_sriov_totalvfs(d) > 0;
	case PT_GROUP_VGPU:
		/* a VF that is an mdev parent (Ampere on mdev) is its GPU's: the PF is the member */
		if (pt_pci_dev_is_vf(d) && pt_pci_dev_get_physfn(d) &&
		    pt__vgpu_vfs_have_mdev(pt_pci_dev_get_physfn(d)))
			return false;
		if (pt_pci_dev_get_mdev_parent(d))
			return true;
		/*
		 * An NVIDIA GPU with SR-IOV off: its per-VF vGPU shows once
		 * apply enables the VFs (mode = vf)
		 */
		if (pt_pci_dev_get_vendor_id(d) == 0x10de &&
		    (pt_pci_dev_get_class(d) >> 16) == 0x03 &&
		    pt_pci_dev_get_sriov_totalvfs(d) > 0 &&
		    pt_pci_dev_get_sriov_numvfs(d) == 0)
			return true;
		for (int i = 0; i < pt_pci_dev_get_sriov_numvfs(d); i++) {
			struct pt_pci_dev *vf = pt_pci_dev_get_virtfn(d, i);

			if (vf && pt_pci_dev_has_nvidia_vgpu(vf))
				return true;
		}
		/* Ampere/Hopper on the mdev interface: the VFs are the mdev parents */
		return pt__vgpu_vfs_have_mdev(d);
	case PT_GROUP_USB:
		return false;
	}
	return false;
}

/*
 * Per-VF members hand out VFs (sriov-nic PFs, per-VF vGPU GPUs) and so
 * share their PF with other such groups; decided by the group's type, not
 * by whether the PF has VFs at this moment.
 */
static bool member_is_per_vf(struct pt_group *g, struct pt_pci_dev *pci)
{
	return g->type == PT_GROUP_SRIOV_NIC ||
	       (g->type == PT_GROUP_VGPU && pci && !pt_pci_dev_get_mdev_parent(pci));
}

/* How many VFs a per-VF member has: the group's numvfs, else the current. */
static int vf_count(struct pt_group *g, struct pt_pci_dev *d)
{
	const char *n = g->type == PT_GROUP_SRIOV_NIC ? pt_group_get_setting(g, "numvfs") : NULL;

	return n ? atoi(n) : pt_pci_dev_get_sriov_numvfs(d);
}

/* The rules that apply on this node, compiled once for members_compute(). */
struct rule_index {
	struct pt_rule **rules;
	struct pt_rule_set *set;
};

static int add_member(struct pt_group *g, struct pt_pci_dev *pci,
		      struct pt_usb_dev *usb, struct pt_mdev_parent *mdev,
		      struct rule_index *ri)
{
	struct pt_member *m = NULL;
	bool per_vf = member_is_per_vf(g, pci);
	int nvf = per_vf ? vf_count(g, pci) : 0;
	bool *admit = nvf ? calloc(nvf, sizeof(*admit)) : NULL;
	struct pt_dev_view v0 = {
		.type = g->type, .pci = pci, .usb = usb, .mdev = mdev, .vf_index = -1,
	};
	const size_t *cand;
	struct pt_rule *r;
	int nc;

	if (nvf && !admit)
		return -ENOMEM;
	/* only the rules the index says could match, in rule order */
	nc = pt__rule_set_candidates(ri->set, &v0, &cand);
	if (nc < 0) {
		free(admit);
		return nc;
	}
	for (int ci = 0; ci < nc; ci++) {
		struct pt_dev_view v = v0;

		r = ri->rules[cand[ci]];
		if (pt__rule_match(r->expr, &v, NULL, 0) != 1)
			continue;
		if (!m) {
			struct pt_member *nm = realloc(g->members,
						       (g->n_members + 1) * sizeof(*nm));

			if (!nm) {
				free(admit);
				return -ENOMEM;
			}
			g->members = nm;
			m = &nm[g->n_members++];
			memset(m, 0, sizeof(*m));
			m->pci = pci;
			m->usb = usb;
			m->mdev = mdev;
			m->rule = r;
		}
		for (int i = 0; i < nvf; i++) {
			if (admit[i])
				continue;
			v.vf_index = i;
			admit[i] = !pt__rule_has_vf_clause(r->expr) ||
				   pt__rule_match(r->expr, &v, NULL, 0) == 1;
		}
	}
	if (m && nvf) {
		m->vfs = calloc(nvf, sizeof(*m->vfs));
		if (!m->vfs) {
			free(admit);
			return -ENOMEM;
		}
		for (int i = 0; i < nvf; i++)
			if (admit[i])
				m->vfs[m->n_vfs++] = i;
	}
	free(admit);
	return 0;
}

/* The rules of g that apply on this node, indexed (ri->rules: by set index). */
static int rule_index_build(struct pt_group *g, struct rule_index *ri)
{
	struct pt_rule_expr **exprs = NULL;
	struct pt_rule *rule;
	size_t n = 0;
	int r;

	pt_rule_foreach(g, rule)
		n++;
	ri->rules = n ? calloc(n, sizeof(*ri->rules)) : NULL;
	exprs = n ? calloc(n, sizeof(*exprs)) : NULL;
	if (n && (!ri->rules || !exprs)) {
		free(exprs);
		return -ENOMEM;
	}
	n = 0;
	pt_rule_foreach(g, rule) {
		if (!pt_rule_applies_here(rule))
			continue;
		if (!rule_expr(rule)) {
			free(exprs);
			return -ENOMEM;
		}
		ri->rules[n] = rule;
		exprs[n++] = rule->expr;
	}
	r = pt__rule_set_new(g->type, exprs, n, &ri->set);
	free(exprs);
	return r;
}

int pt__group_rule_set(struct pt_group *g, struct pt_rule_set **out)
{
	struct rule_index ri = { 0 };
	int r = rule_index_build(g, &ri);

	free(ri.rules);
	*out = r < 0 ? NULL : ri.set;
	return r;
}

void pt__groups_forget_members(struct pt_ctx *ctx)
{
	conflicts_free(ctx);
	for (size_t i = 0; i < ctx->n_cgroups; i++)
		members_free(ctx->cgroups[i]);
}

static int members_compute(struct pt_group *g)
{
	struct pt_ctx *ctx = g->ctx;
	struct rule_index ri = { 0 };
	int r = 0;

	if (g->members_done)
		return 0;
	g->members_done = true;
	r = rule_index_build(g, &ri);
	if (r < 0)
		goto out;
	if (g->type == PT_GROUP_USB) {
		struct pt_usb_dev *u;

		pt_usb_dev_foreach(ctx, u)
			if (!pt_usb_dev_is_hub(u) && (r = add_member(g, NULL, u, NULL, &ri)) < 0)
				break;
	} else {
		struct pt_pci_dev *d;

		pt_pci_dev_foreach(ctx, d)
			if (pt_group_type_fits_pci_dev(g->type, d) &&
			    (r = add_member(g, d, NULL, NULL, &ri)) < 0)
				break;
	}
	if (g->type == PT_GROUP_VGPU && r >= 0) {
		/* mdev parents that are no PCI function (the mtty sample), after the GPUs */
		struct pt_mdev_parent *p;

		pt_mdev_parent_foreach(ctx, p)
			if (!pt_mdev_parent_get_pci_dev(p) &&
			    (r = add_member(g, NULL, NULL, p, &ri)) < 0)
				break;
	}
out:
	pt__rule_set_free(ri.set);
	free(ri.rules);
	if (r < 0)
		members_free(g);
	return r;
}

PT_EXPORT int pt_group_get_num_members(struct pt_group *g)
{
	members_compute(g);
	return g->n_members;
}

PT_EXPORT struct pt_member *pt_group_get_member(struct pt_group *g, int idx)
{
	members_compute(g);
	return idx >= 0 && idx < g->n_members ? &g->members[idx] : NULL;
}

PT_EXPORT struct pt_pci_dev *pt_member_get_pci_dev(struct pt_member *m) { return m->pci; }
PT_EXPORT struct pt_usb_dev *pt_member_get_usb_dev(struct pt_member *m) { return m->usb; }

PT_EXPORT struct pt_mdev_parent *pt_member_get_mdev_parent(struct pt_member *m)
{
	return m->mdev ? m->mdev : m->pci ? pt_pci_dev_get_mdev_parent(m->pci) : NULL;
}

PT_EXPORT const char *pt_member_get_name(struct pt_member *m)
{
	return m->pci ? pt_pci_dev_get_bdf(m->pci) :
	       m->usb ? pt_usb_dev_get_name(m->usb) : pt_mdev_parent_get_name(m->mdev);
}
PT_EXPORT struct pt_rule *pt_member_get_rule(struct pt_member *m) { return m->rule; }
PT_EXPORT int pt_member_get_num_vfs(struct pt_member *m) { return m->n_vfs; }

PT_EXPORT int pt_member_get_vf_index(struct pt_member *m, int idx)
{
	return idx >= 0 && idx < m->n_vfs ? m->vfs[idx] : -1;
}

/* ---- conflicts ---------------------------------------------------------- */

/*
 * Claims: a whole device (a PCI function, a USB device, a VF) is claimed
 * exclusively; a PF whose VFs a group takes one by one is claimed shared,
 * so two groups may split one PF's VFs but never share a VF, and no group
 * may take the whole PF while another takes VFs of it.
 */
struct claim {
	char key[64];
	bool shared;
	int numvfs;			/* sriov-nic PF: the count it asks for; else -1 */
	struct pt_group *g;
};

static int claim_add(struct claim **cl, size_t *n, const char *key, bool shared,
		     struct pt_group *g, int numvfs)
{
	struct claim *c = realloc(*cl, (*n + 1) * sizeof(**cl));

	if (!c)
		return -ENOMEM;
	*cl = c;
	snprintf(c[*n].key, sizeof(c[*n].key), "%s", key);
	c[*n].shared = shared;
	c[*n].numvfs = numvfs;
	c[*n].g = g;
	(*n)++;
	return 0;
}

static int cmp_claim(const void *a, const void *b)
{
	const struct claim *x = a, *y = b;
	int r = strcmp(x->key, y->key);

	return r ? r : strcmp(x->g->name, y->g->name);
}

static int conflicts_compute(struct pt_ctx *ctx)
{
	struct pt_conflict **tail = &ctx->conflicts;
	struct claim *cl = NULL;
	size_t n = 0;
	struct pt_group *g;
	int r = 0;

	if (ctx->conflicts_done)
		return 0;
	ctx->conflicts_done = true;
	pt_group_foreach(ctx, g) {
		for (int i = 0; i < pt_group_get_num_members(g) && r >= 0; i++) {
			struct pt_member *m = &g->members[i];
			struct pt_pci_dev *pf = m->pci;
			bool per_vf = member_is_per_vf(g, pf);

			if (!pf) {
				r = claim_add(&cl, &n, pt_member_get_name(m), false, g, -1);
				continue;
			}
			/* one PF has one VF count: groups splitting it must agree */
			r = claim_add(&cl, &n, pt_pci_dev_get_bdf(pf), per_vf, g,
				      g->type == PT_GROUP_SRIOV_NIC ? vf_count(g, pf) : -1);
			for (int v = 0; per_vf && v < m->n_vfs && r >= 0; v++) {
				struct pt_pci_dev *vf = pt_pci_dev_get_virtfn(pf, m->vfs[v]);
				char key[64];

				if (vf)
					snprintf(key, sizeof(key), "%s", pt_pci_dev_get_bdf(vf));
				else
					snprintf(key, sizeof(key), "%s vf %d",
						 pt_pci_dev_get_bdf(pf), m->vfs[v]);
				r = claim_add(&cl, &n, key, false, g, -1);
			}
		}
	}
	if (n)
		qsort(cl, n, sizeof(*cl), cmp_claim);
	/* every pair of claims on one key, not just neighbours */
	for (size_t i = 0; r >= 0 && i < n; i++) {
		for (size_t j = i + 1; r >= 0 && j < n && !strcmp(cl[i].key, cl[j].key); j++) {
			struct pt_conflict *c;
			char *why = NULL;

			if (cl[i].g == cl[j].g)
				continue;
			if (cl[i].shared && cl[j].shared) {
				int a = pt__vgpu_group_mig(cl[i].g), b = pt__vgpu_group_mig(cl[j].g);

				/* two vgpu groups may share a GPU, never MIG with time-sliced */
				if (a >= 0 && b >= 0 && a != b) {
					why = strdup("MIG-backed and time-sliced vGPU are never "
						     "mixed on one GPU");
					if (!why) {
						r = -ENOMEM;
						break;
					}
				} else if (cl[i].numvfs < 0 || cl[j].numvfs < 0 ||
					   cl[i].numvfs == cl[j].numvfs) {
					continue;
				} else if (asprintf(&why, "they ask for different numvfs (%d and %d)",
						    cl[i].numvfs, cl[j].numvfs) < 0) {
					r = -ENOMEM;
					break;
				}
			}
			c = calloc(1, sizeof(*c));
			if (!c || !(c->device = strdup(cl[i].key))) {
				free(c);
				free(why);
				r = -ENOMEM;
				break;
			}
			c->reason = why;
			c->groups[0] = cl[i].g;
			c->groups[1] = cl[j].g;
			*tail = c;
			tail = &c->next;
		}
	}
	free(cl);
	return r;
}

PT_EXPORT struct pt_conflict *pt_conflict_get_first(struct pt_ctx *ctx)
{
	if (pt_conf_load(ctx) < 0)
		return NULL;
	conflicts_compute(ctx);
	return ctx->conflicts;
}

PT_EXPORT struct pt_conflict *pt_conflict_get_next(struct pt_conflict *c) { return c->next; }
PT_EXPORT const char *pt_conflict_get_device(struct pt_conflict *c) { return c->device; }
PT_EXPORT const char *pt_conflict_get_reason(struct pt_conflict *c) { return c->reason; }

PT_EXPORT struct pt_group *pt_conflict_get_group(struct pt_conflict *c, int idx)
{
	return idx == 0 || idx == 1 ? c->groups[idx] : NULL;
}

/* ---- transactions ------------------------------------------------------- */

static int txn_err(struct pt_txn *t, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int txn_err(struct pt_txn *t, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->error, sizeof(t->error), fmt, ap);
	va_end(ap);
	return r;
}

static void group_file(const char *group, char *buf, size_t len)
{
	snprintf(buf, len, "groups.d/%s.ini", group);
}

PT_EXPORT int pt_txn_begin(struct pt_ctx *ctx, unsigned int flags, struct pt_txn **out)
{
	struct pt_txn *t = calloc(1, sizeof(*t));
	struct pt_group **gs = NULL;
	size_t n = 0;
	char err[1024] = "";
	bool keep_going;
	int r;

	if (!t)
		return -ENOMEM;
	t->ctx = ctx;
	t->flags = flags;
	/*
	 * A dry run takes no lock and creates nothing: a read-only store.
	 * Writes stay strict whatever pt_set_conf_keep_going() says: every
	 * file valid, none skipped (and so never overwritten unread).
	 */
	keep_going = ctx->conf_keep_going;
	ctx->conf_keep_going = false;
	r = groups_open(ctx, !(flags & PT_TXN_DRY_RUN), true, false, &t->st, &gs, &n,
			err, sizeof(err));
	ctx->conf_keep_going = keep_going;
	if (r < 0) {
		/* the same message readers get, so the command reports it */
		pt__conf_free(ctx);
		pt__ctx_register_free(ctx, pt__conf_free);	/* frees conf_error at unref */
		ctx->conf_loaded = true;
		ctx->conf_rc = r;
		ctx->conf_error = strdup(err[0] ? err : strerror(-r));
		pt_txn_free(t);
		return r;
	}
	t->gs = gs;
	t->n_gs = n;
	t->partial = t->st->n_unread > 0;
	t->begun = true;
	*out = t;
	return 0;
}

PT_EXPORT const char *pt_txn_get_error(struct pt_txn *txn)
{
	return txn->error;
}

static int txn_group(struct pt_txn *t, const char *group,
		     struct pt_ini_file **out, enum pt_group_type *type);

PT_EXPORT int pt_txn_group_get_type(struct pt_txn *txn, const char *group)
{
	enum pt_group_type type;
	struct pt_ini_file *f;
	int r = txn_group(txn, group, &f, &type);

	return r < 0 ? r : (int)type;
}

/*
 * A group file the transaction's store kept unread, now read: validated
 * as pt_txn_begin() validates every file it reads (the record said it
 * was valid; what changed since is read and checked like any file).
 */
static int validate_loaded(struct pt_store *st, struct pt_ini_file *f, void *data,
			   char *err, size_t elen)
{
	struct pt_group *g;
	int r;

	(void)st;
	r = group_from_file(data, f, &g, err, elen);
	if (r == -ENOMEM)
		snprintf(err, elen, "out of memory");
	if (r < 0)
		return r;
	group_free(g);
	f->validated = true;
	return 0;
}

/* A group's file in the transaction; 0, or -errno with the error set. */
static int txn_group(struct pt_txn *t, const char *group,
		     struct pt_ini_file **out, enum pt_group_type *type)
{
	char rel[96], err[1024] = "";
	struct pt_ini_file *f = NULL;
	const char *ty;
	int r;

	/* set on every path: gcc -O3 cannot tell that txn_err() returns < 0 */
	*out = NULL;
	if (type)
		*type = PT_GROUP_PCI;
	if (!pt__name_is_valid(group))
		return txn_err(t, -EINVAL, "'%s' is not a valid group name; %s", group,
			       PT_NAME_RULES);
	group_file(group, rel, sizeof(rel));
	f = pt__store_find(t->st, rel);
	if (f && f->unread) {
		r = pt__store_load(t->st, &f, validate_loaded, t->ctx, err, sizeof(err));
		if (r < 0)
			return txn_err(t, r, "%s", err[0] ? err : strerror(-r));
	}
	if (!f || f->deleted)
		return txn_err(t, -ENOENT, "no group '%s'; see 'pt group list'", group);
	ty = pt__ini_get(f, "group", "type");
	if (type)
		*type = ty ? (enum pt_group_type)pt_group_type_parse(ty) : PT_GROUP_PCI;
	*out = f;
	return 0;
}

PT_EXPORT int pt_txn_group_create(struct pt_txn *t, const char *name,
				  enum pt_group_type type)
{
	struct pt_ini_file *f = NULL;
	char rel[96];
	int r;

	if (!pt__name_is_valid(name))
		return txn_err(t, -EINVAL, "'%s' is not a valid group name; %s", name,
			       PT_NAME_RULES);
	if (!pt_group_type_name(type))
		return txn_err(t, -EINVAL, "invalid group type; use pci, vgpu, sriov-nic or usb");
	group_file(name, rel, sizeof(rel));
	f = pt__store_find(t->st, rel);
	if (f && !f->deleted)
		return txn_err(t, -EEXIST, "group '%s' exists already (%s); pick another "
			       "name or delete it first", name, rel);
	r = pt__store_new_file(t->st, rel, &f);
	if (r < 0)
		return txn_err(t, r, "%s: %s", rel, strerror(-r));
	r = pt__ini_set(f, "group", "type", pt_group_type_name(type));
	return r < 0 ? txn_err(t, r, "%s: %s", rel, strerror(-r)) : 0;
}

PT_EXPORT int pt_txn_group_set(struct pt_txn *t, const char *group,
			       const char *key, const char *value)
{
	enum pt_group_type type = PT_GROUP_PCI;
	struct pt_ini_file *f = NULL;
	char canon[512], msg[512];
	int r = txn_group(t, group, &f, &type);

	if (r < 0)
		return r;
	if (!strcmp(key, "type"))
		return txn_err(t, -EINVAL, "group '%s': the type is fixed at creation; "
			       "delete the group and create it again", group);
	/* a terminal escape would reach every admin who lists the group */
	for (const unsigned char *c = (const unsigned char *)value; *c; c++)
		if (*c < 0x20 || *c == 0x7f)
			return txn_err(t, -EINVAL, "group '%s': %s: control character "
				       "\\x%02x at column %zu; give one line of printable text",
				       group, key, *c, (size_t)(c - (const unsigned char *)value) + 1);
	r = setting_check(type, key, value, canon, sizeof(canon), msg, sizeof(msg));
	/* vgpu profile: a type the host offers or an NVIDIA profile name (vgpu.c) */
	if (r == 0 && type == PT_GROUP_VGPU && !strcmp(key, "profile"))
		r = pt__vgpu_profile_setting_check(t->ctx, canon, msg, sizeof(msg));
	if (r < 0)
		return txn_err(t, r, "group '%s': %s", group, msg);
	r = pt__ini_set(f, "group", key, canon);
	if (r == -EINVAL)
		return txn_err(t, r, "group '%s': %s = '%s' cannot be stored in an INI "
			       "file (leading/trailing blanks or ' ;')", group, key, value);
	return r < 0 ? txn_err(t, r, "%s: %s", f->relpath, strerror(-r)) : 0;
}

PT_EXPORT int pt_txn_group_unset(struct pt_txn *t, const char *group, const char *key)
{
	struct pt_ini_file *f = NULL;
	int r = txn_group(t, group, &f, NULL);

	if (r < 0)
		return r;
	if (!strcmp(key, "type"))
		return txn_err(t, -EINVAL, "group '%s': the type cannot be removed", group);
	if (!pt__ini_get(f, "group", key))
		return txn_err(t, -ENOENT, "group '%s' has no setting '%s'; see 'pt group "
			       "show %s'", group, key, group);
	r = pt__ini_unset(f, "group", key);
	return r < 0 ? txn_err(t, r, "%s: %s", f->relpath, strerror(-r)) : 0;
}

/* pt-group apply left a record in applied.d/: the host still carries it. */
static int applied_on_host(struct pt_txn *t, const char *group, char *why,
			   size_t len)
{
	char rel[PT_NAME_MAX + 16];

	if (pt__store_applied_relpath(group, rel, sizeof(rel)) < 0 ||
	    !pt__store_find(t->st, rel))
		return 0;
	snprintf(why, len, "is applied on this host; run 'pt group release %s' first",
		 group);
	return 1;
}

/*
 * A group in use must not disappear under its users: its application on
 * this host, and in later issues attachments (VMs) and tenant assignments.
 * Each user registers a check here that returns > 0 and writes why and
 * the fix ("is in use by VM x; detach it first") when the group is in use.
 */
static const struct {
	int (*in_use)(struct pt_txn *t, const char *group, char *why, size_t len);
} group_users[] = {
	{ applied_on_host },
	{ NULL },
};

PT_EXPORT int pt_txn_group_delete(struct pt_txn *t, const char *group)
{
	struct pt_ini_file *f = NULL;
	char why[256];
	int r = txn_group(t, group, &f, NULL);

	if (r < 0)
		return r;
	for (size_t i = 0; group_users[i].in_use; i++)
		if (group_users[i].in_use(t, group, why, sizeof(why)) > 0)
			return txn_err(t, -EBUSY, "group '%s' %s", group, why);
	r = pt__store_delete_file(t->st, f->relpath);
	return r < 0 ? txn_err(t, r, "%s: %s", f->relpath, strerror(-r)) : 0;
}

static int rule_section(const char *rule, char *buf, size_t len)
{
	return snprintf(buf, len, "rule \"%s\"", rule) >= (int)len ? -ENAMETOOLONG : 0;
}

PT_EXPORT int pt_txn_rule_add(struct pt_txn *t, const char *group, const char *rule,
			      const char *match, const char *node)
{
	enum pt_group_type type = PT_GROUP_PCI;
	struct pt_ini_file *f = NULL;
	struct pt_rule_expr *e;
	char sec[128], msg[512];
	int r = txn_group(t, group, &f, &type);

	if (r < 0)
		return r;
	if (!pt__name_is_valid(rule))
		return txn_err(t, -EINVAL, "'%s' is not a valid rule name; %s", rule,
			       PT_NAME_RULES);
	rule_section(rule, sec, sizeof(sec));
	if (pt__ini_find_section(f, sec))
		return txn_err(t, -EEXIST, "group '%s' has a rule '%s' already; remove it "
			       "first or pick another name", group, rule);
	r = pt__rule_parse(match, type, &e, msg, sizeof(msg));
	if (r < 0)
		return txn_err(t, r, "rule '%s': %s", rule, msg);
	pt__rule_free(e);
	if (node && (!*node || strpbrk(node, " \t\n;#")))
		return txn_err(t, -EINVAL, "rule '%s': node '%s' must be a host name or a "
			       "pattern like node1*, without blanks, ';' or '#'", rule, node);
	r = pt__ini_set(f, sec, "match", match);
	if (r == 0 && node)
		r = pt__ini_set(f, sec, "node", node);
	if (r == -EINVAL)
		return txn_err(t, r, "rule '%s': the match cannot be stored in an INI file "
			       "(leading/trailing blanks or ' ;'); write ';' as [;] in a regex",
			       rule);
	return r < 0 ? txn_err(t, r, "%s: %s", f->relpath, strerror(-r)) : 0;
}

PT_EXPORT int pt_txn_rule_remove(struct pt_txn *t, const char *group, const char *rule)
{
	struct pt_ini_file *f = NULL;
	char sec[128];
	int r = txn_group(t, group, &f, NULL);

	if (r < 0)
		return r;
	if (!pt__name_is_valid(rule) || rule_section(rule, sec, sizeof(sec)) < 0 ||
	    !pt__ini_find_section(f, sec))
		return txn_err(t, -ENOENT, "group '%s' has no rule '%s'; see 'pt rule list "
			       "%s'", group, rule, group);
	r = pt__ini_remove_section(f, sec);
	return r < 0 ? txn_err(t, r, "%s: %s", f->relpath, strerror(-r)) : 0;
}

/* Rule names from device ids: keep [A-Za-z0-9._-], map the rest to '-'. */
static void sanitize(char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '_' && *s != '-')
			*s = '-';
}

static bool usb_name_is_valid(const char *s)
{
	/* "1-4.2": bus, '-', dot-separated ports */
	if (!isdigit((unsigned char)*s))
		return false;
	while (isdigit((unsigned char)*s))
		s++;
	if (*s++ != '-' || !isdigit((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s) && !(*s == '.' && isdigit((unsigned char)s[1])))
			return false;
	return true;
}

static int find_usb(struct pt_txn *t, const char *spec, struct pt_usb_dev **out)
{
	struct pt_usb_dev *u, *found = NULL;
	unsigned int vid, pid;
	char serial[256] = "";
	int n = 0, k;

	if (usb_name_is_valid(spec)) {
		pt_usb_dev_foreach(t->ctx, u)
			if (!strcmp(pt_usb_dev_get_name(u), spec)) {
				*out = u;
				return 0;
			}
		return txn_err(t, -ENOENT, "no USB device %s; see 'pt scan -t usb'", spec);
	}
	k = sscanf(spec, "%4x:%4x:%255s", &vid, &pid, serial);
	if (k < 2)
		return txn_err(t, -EINVAL, "'%s' is neither a PCI slot (0000:03:00.0), a USB "
			       "device (1-4.2) nor vendor:product[:serial]", spec);
	pt_usb_dev_foreach(t->ctx, u) {
		const char *s = pt_usb_dev_get_serial(u);

		if (pt_usb_dev_get_vendor_id(u) != vid || pt_usb_dev_get_product_id(u) != pid ||
		    (k == 3 && (!s || strcmp(s, serial))))
			continue;
		found = u;
		n++;
	}
	if (!n)
		return txn_err(t, -ENOENT, "no USB device %s; see 'pt scan -t usb'", spec);
	if (n > 1)
		return txn_err(t, -EINVAL, "%d USB devices match %s; name one by serial "
			       "(vendor:product:serial) or by port (1-4.2)", n, spec);
	*out = found;
	return 0;
}

static int quote_value(char *buf, size_t len, const char *v)
{
	size_t n = 0;

	if (n + 1 < len)
		buf[n++] = '"';
	for (; *v && n + 3 < len; v++) {
		if (*v == '"' || *v == '\\')
			buf[n++] = '\\';
		buf[n++] = *v;
	}
	if (n + 1 >= len)
		return -ENAMETOOLONG;
	buf[n++] = '"';
	buf[n] = '\0';
	return 0;
}

PT_EXPORT int pt_txn_make_resource(struct pt_txn *t, const char *group,
				   const char *device, char **rule_out, char **warning)
{
	enum pt_group_type type;
	struct pt_ini_file *f;
	char name[PT_NAME_MAX + 1], match[1024], sec[128];
	const char *vol = NULL;
	int r = txn_group(t, group, &f, &type);

	*rule_out = NULL;
	*warning = NULL;
	if (r < 0)
		return r;
	if (type == PT_GROUP_USB) {
		struct pt_usb_dev *u = NULL;
		const char *serial;
		char q[512];

		r = find_usb(t, device, &u);
		if (r < 0)
			return r;
		if (pt_usb_dev_is_hub(u))
			return txn_err(t, -EINVAL, "%s is a USB hub; pass through the devices "
				       "behind it", pt_usb_dev_get_name(u));
		serial = pt_usb_dev_get_serial(u);
		if (serial && *serial && quote_value(q, sizeof(q), serial) == 0) {
			snprintf(match, sizeof(match), "vendor_id eq %04x and product_id eq "
				 "%04x and serial eq %s", pt_usb_dev_get_vendor_id(u),
				 pt_usb_dev_get_product_id(u), q);
			snprintf(name, sizeof(name), "usb-%04x-%04x-%.40s",
				 pt_usb_dev_get_vendor_id(u), pt_usb_dev_get_product_id(u), serial);
		} else {
			snprintf(match, sizeof(match), "vendor_id eq %04x and product_id eq "
				 "%04x and bus eq %d and port_path eq %s",
				 pt_usb_dev_get_vendor_id(u), pt_usb_dev_get_product_id(u),
				 pt_usb_dev_get_busnum(u), pt_usb_dev_get_port_path(u));
			snprintf(name, sizeof(name), "usb-%04x-%04x-port-%s",
				 pt_usb_dev_get_vendor_id(u), pt_usb_dev_get_product_id(u),
				 pt_usb_dev_get_name(u));
		}
	} else if (type == PT_GROUP_VGPU && !pt__bdf_is_valid(device) &&
		   pt_mdev_parent_find(t->ctx, device) &&
		   !pt_mdev_parent_get_pci_dev(pt_mdev_parent_find(t->ctx, device))) {
		/* an mdev parent that is no PCI function (mtty): by its sysfs name */
		char q[512];

		if (quote_value(q, sizeof(q), device) < 0)
			return txn_err(t, -EINVAL, "mdev parent name '%s' cannot be quoted in a rule",
				       device);
		snprintf(match, sizeof(match), "mdev_parent eq %s", q);
		snprintf(name, sizeof(name), "mdev-%.59s", device);
	} else {
		struct pt_pci_dev *d;
		const char *crit;

		if (!pt__bdf_is_valid(device))
			return txn_err(t, -EINVAL, "'%s' is not a PCI slot; give the full "
				       "DDDD:BB:DD.F as 'pt scan' lists it", device);
		d = pt_pci_dev_find(t->ctx, device);
		if (!d)
			return txn_err(t, -ENOENT, "no PCI function %s on this host; see "
				       "'pt scan'", device);
		crit = pt_pci_dev_get_critical_reason(d);
		if (crit)
			return txn_err(t, -EBUSY, "%s is host-critical (%s) and can never be "
				       "passed through; pick another device", device, crit);
		if (pt_pci_dev_is_vf(d) && type != PT_GROUP_PCI)
			return txn_err(t, -EINVAL, "%s is VF %d of %s: make the PF a resource "
				       "of %s group '%s' (its VFs follow; pick VFs with %s)",
				       device, pt_pci_dev_get_vf_index(d),
				       pt_pci_dev_get_bdf(pt_pci_dev_get_physfn(d)),
				       type_names[type], group,
				       type == PT_GROUP_VGPU ? "virtual_function" : "vf_index");
		if (!pt_group_type_fits_pci_dev(type, d))
			return txn_err(t, -EINVAL, "%s cannot be a member of %s group '%s': %s",
				       device, type_names[type], group,
				       type == PT_GROUP_SRIOV_NIC ?
				       ((pt_pci_dev_get_class(d) >> 16) == 0x03 ?
					"it is a GPU: SR-IOV GPUs belong in a vgpu group" :
					"it has no SR-IOV (sriov_totalvfs is 0)") :
				       type == PT_GROUP_VGPU ? "it offers no vGPU types (no mdev "
				       "types, no NVIDIA per-VF vGPU)" : "it is a bridge");
		snprintf(match, sizeof(match), "vendor_id eq %04x and device_id eq %04x and "
			 "subsystem_vendor_id eq %04x and subsystem_device_id eq %04x and "
			 "slot eq %s", pt_pci_dev_get_vendor_id(d), pt_pci_dev_get_device_id(d),
			 pt_pci_dev_get_subsystem_vendor_id(d),
			 pt_pci_dev_get_subsystem_device_id(d), device);
		snprintf(name, sizeof(name), "slot-%s", device);
	}
	sanitize(name);
	rule_section(name, sec, sizeof(sec));
	if (pt__ini_find_section(f, sec)) {
		const char *old = pt__ini_get(f, sec, "match");

		/* the same device made a resource twice: nothing to do */
		if (old && !strcmp(old, match)) {
			*rule_out = strdup(name);
			return *rule_out ? 0 : -ENOMEM;
		}
		return txn_err(t, -EEXIST, "group '%s' has a rule '%s' with another match; "
			       "remove it first", group, name);
	}
	r = pt_txn_rule_add(t, group, name, match, NULL);
	if (r < 0)
		return r;
	{
		struct pt_rule_expr *e;
		char msg[256];

		if (pt__rule_parse(match, type, &e, msg, sizeof(msg)) == 0) {
			vol = pt__rule_volatile_field(e);
			if (vol && asprintf(warning, "rule '%s' depends on %s: the device has "
					    "no serial number, and bus numbers follow the order in "
					    "which host controllers are found; check the rule after "
					    "a reboot or a controller change", name, vol) < 0)
				*warning = NULL;
			pt__rule_free(e);
		}
	}
	*rule_out = strdup(name);
	return *rule_out ? 0 : -ENOMEM;
}

PT_EXPORT char *pt_txn_get_diff(struct pt_txn *t)
{
	return pt__store_diff(t->st);
}

/*
 * Validate what the transaction changed: the store was valid when it
 * began (pt_txn_begin() refuses otherwise) and only dirty files differ
 * from what it read, so only those are built again. The groups of the
 * changed files (deleted ones excluded) go to *out.
 */
static int txn_validate(struct pt_txn *t, struct pt_group ***out, size_t *n_out)
{
	struct pt_store *st = t->st;
	struct pt_group **gs = NULL, **ng, *g;
	size_t n = 0;
	char err[1024] = "";
	int r = 0;

	for (size_t i = 0; i < st->n_files; i++) {
		struct pt_ini_file *f = st->files[i];
		const char *msg, *base;
		size_t len;

		if (!f->dirty || f->deleted || strncmp(f->relpath, "groups.d/", 9))
			continue;
		r = group_from_file(t->ctx, f, &g, err, sizeof(err));
		if (r == 0) {
			ng = realloc(gs, (n + 1) * sizeof(*gs));
			if (!ng) {
				group_free(g);
				r = -ENOMEM;
				break;
			}
			gs = ng;
			gs[n++] = g;
			continue;
		}
		if (r == -ENOMEM) {
			txn_err(t, r, "%s", strerror(-r));
			break;
		}
		/*
		 * An error in a changed file comes from this command line,
		 * not from a line of the file: name the group instead.
		 */
		len = strlen(f->relpath);
		if (strncmp(err, f->relpath, len) || err[len] != ':') {
			txn_err(t, r, "%s", err);
			break;
		}
		msg = strchr(err + len + 1, ':');
		base = strrchr(f->relpath, '/');
		base = base ? base + 1 : f->relpath;
		txn_err(t, r, "group '%.*s': %s", (int)strlen(base) - 4, base,
			msg ? msg + 2 : err);
		break;
	}
	if (r < 0 || !out) {
		while (n)
			group_free(gs[--n]);
		free(gs);
		return r;
	}
	*out = gs;
	*n_out = n;
	return 0;
}

PT_EXPORT int pt_txn_check(struct pt_txn *t)
{
	return txn_validate(t, NULL, NULL);
}

/*
 * After a commit: the context's groups become the transaction's, those
 * read at begin from files it did not change plus the changed ones just
 * validated - what a fresh pt_conf_load() would read back, without
 * reading and parsing every file once more.
 */
static void txn_install(struct pt_txn *t, bool *keep, struct pt_group **changed,
			size_t n_changed)
{
	struct pt_ctx *ctx = t->ctx;
	struct pt_group **gs;
	size_t n = 0;

	pt__conf_free(ctx);
	if (t->partial) {
		/* not every group was read: the context reads them when asked */
		while (n_changed)
			group_free(changed[--n_changed]);
		return;
	}
	gs = malloc((t->n_gs + n_changed + 1) * sizeof(*gs));
	if (!gs || pt__ctx_register_free(ctx, pt__conf_free) < 0) {
		/* the context reads the files again when asked */
		free(gs);
		while (n_changed)
			group_free(changed[--n_changed]);
		return;
	}
	for (size_t i = 0; i < t->n_gs; i++) {
		if (keep[i])
			gs[n++] = t->gs[i];
		else
			group_free(t->gs[i]);
	}
	for (size_t i = 0; i < n_changed; i++)
		gs[n++] = changed[i];
	free(t->gs);
	t->gs = NULL;
	t->n_gs = 0;
	if (n)
		qsort(gs, n, sizeof(*gs), cmp_group);
	for (size_t i = 0; i < n; i++)
		gs[i]->index = i;
	ctx->cgroups = gs;
	ctx->n_cgroups = n;
	ctx->conf_loaded = true;
	ctx->conf_rc = 0;
}

PT_EXPORT int pt_txn_commit(struct pt_txn *t)
{
	struct pt_group **changed = NULL;
	size_t n_changed = 0;
	bool *keep;
	int r;

	if (t->flags & PT_TXN_DRY_RUN)
		return txn_err(t, -EROFS, "a dry run writes nothing");
	/* whole-file validation (cross-key checks) before anything is written */
	r = txn_validate(t, &changed, &n_changed);
	if (r < 0)
		return r;
	/* the groups read at begin whose files stay as they were */
	keep = calloc(t->n_gs + 1, sizeof(*keep));
	if (!keep) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < t->n_gs; i++) {
		struct pt_ini_file *f = pt__store_find(t->st, t->gs[i]->file);

		keep[i] = f && !f->dirty;
	}
	r = pt__store_commit(t->st);
	if (r < 0) {
		txn_err(t, r, "writing %s failed: %s; nothing was changed",
			t->ctx->conf_dir, strerror(-r));
		goto out;
	}
	txn_install(t, keep, changed, n_changed);	/* takes the groups */
	n_changed = 0;
out:
	while (n_changed)
		group_free(changed[--n_changed]);
	free(changed);
	free(keep);
	return r;
}

PT_EXPORT void pt_txn_free(struct pt_txn *t)
{
	if (!t)
		return;
	if (t->st)
		pt__store_close(t->st);
	/*
	 * A dry run wrote nothing: what it read at begin is the state, and
	 * the context takes it rather than reading every file again.
	 */
	if ((t->flags & PT_TXN_DRY_RUN) && t->begun && !t->partial &&
	    !t->ctx->conf_loaded) {
		bool *keep = malloc((t->n_gs + 1) * sizeof(*keep));

		if (keep) {
			for (size_t i = 0; i < t->n_gs; i++)
				keep[i] = true;
			txn_install(t, keep, NULL, 0);
			free(keep);
		}
	}
	while (t->n_gs)
		group_free(t->gs[--t->n_gs]);
	free(t->gs);
	free(t);
}
