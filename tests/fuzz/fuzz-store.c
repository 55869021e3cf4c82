// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The store: the INI model (parse, the line-preserving edits, render) and
 * what is built on it through the library's API: a group file loaded with
 * pt_conf_load() (groups, rules, conflicts) and an applied record read by
 * pt_plan_release() and pt_plan_apply() as dry runs, on an empty sysfs
 * tree. Input: one byte of flags, then the file's text.
 *   bit 0: the text is applied.d/fz.ini (else groups.d/fz.ini)
 *   bit 1: also try an edit: set, unset and remove on the model
 *   bit 2: the text is the record of validated files (<conf>/.validated)
 *          beside a valid group file: a transaction must begin whatever
 *          it holds (a record never makes a valid store fail)
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "libpassthru.h"
#include "private.h"

static void quiet(struct pt_ctx *ctx, int priority, const char *file, int line,
		  const char *fn, const char *format, va_list args)
{
	(void)ctx; (void)priority; (void)file; (void)line; (void)fn;
	(void)format; (void)args;
}

static void model(const char *rel, const char *text, bool edit)
{
	struct pt_ini_file *f, *g;
	char err[512];

	if (pt__ini_parse(rel, text, &f, err, sizeof(err)) < 0)
		return;
	if (edit && f->n_sections) {
		/* each edit re-parses: names from the model are copied first */
		char *sec = strdup(f->sections[0].name), *key = NULL;

		if (sec && f->sections[0].n_kv)
			key = strdup(f->sections[0].kv[0].key);
		if (sec) {
			pt__ini_set(f, sec, "description", "fuzz");
			if (key)
				pt__ini_unset(f, sec, key);
			pt__ini_remove_section(f, sec);
		}
		free(sec);
		free(key);
	}
	{
		char *out = pt__ini_render(f);

		/* what the store writes must read back */
		if (out && pt__ini_parse(rel, out, &g, err, sizeof(err)) == 0)
			pt__ini_free(g);
		else if (out && !edit)
			abort();
		free(out);
	}
	pt__ini_free(f);
}

/* The record's reader (lib/conf.c valid_read) on data, through a dry-run begin. */
static int record(const uint8_t *data, size_t size, const char *tmp)
{
	char conf[PATH_MAX + 8], path[PATH_MAX + 64];
	struct pt_ctx *ctx;
	struct pt_txn *t = NULL;

	snprintf(conf, sizeof(conf), "%s/conf", tmp);
	fuzz_clear(tmp);
	snprintf(path, sizeof(path), "%s/groups.d", conf);
	fuzz_mkdirs(path);
	snprintf(path, sizeof(path), "%s/groups.d/fz.ini", conf);
	fuzz_write(path, "[group]\ntype = pci\n", 19);
	snprintf(path, sizeof(path), "%s/.validated", conf);
	fuzz_write(path, data, size);
	if (pt_new(&ctx) < 0)
		abort();
	pt_set_log_fn(ctx, quiet, NULL);
	pt_set_conf_dir(ctx, conf);
	if (pt_txn_begin(ctx, PT_TXN_DRY_RUN, &t) < 0 ||
	    pt_txn_group_get_type(t, "fz") != PT_GROUP_PCI)
		abort();
	pt_txn_free(t);
	pt_unref(ctx);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char conf[PATH_MAX + 8], sys[PATH_MAX + 8], path[PATH_MAX + 64];
	const char *tmp = fuzz_tmpdir();
	bool applied, edit;
	struct pt_ctx *ctx;
	struct pt_plan *p = NULL;
	char *text;

	if (size < 1 || size > 65536)
		return 0;
	if (data[0] & 4)
		return record(data + 1, size - 1, tmp);
	applied = data[0] & 1;
	edit = data[0] & 2;
	text = strndup((const char *)data + 1, size - 1);
	if (!text)
		return 0;
	model(applied ? "applied.d/fz.ini" : "groups.d/fz.ini", text, edit);

	snprintf(conf, sizeof(conf), "%s/conf", tmp);
	snprintf(sys, sizeof(sys), "%s/sys", tmp);
	fuzz_clear(tmp);
	snprintf(path, sizeof(path), "%s/groups.d", conf);
	fuzz_mkdirs(path);
	snprintf(path, sizeof(path), "%s/applied.d", conf);
	fuzz_mkdirs(path);
	snprintf(path, sizeof(path), "%s/bus/pci/devices", sys);
	fuzz_mkdirs(path);
	snprintf(path, sizeof(path), "%s/%s/fz.ini", conf,
		 applied ? "applied.d" : "groups.d");
	fuzz_write(path, data + 1, size - 1);
	if (applied) {
		/* a record needs its group, which needs a type */
		snprintf(path, sizeof(path), "%s/groups.d/fz.ini", conf);
		fuzz_write(path, "[group]\ntype = pci\n", 19);
	}

	if (pt_new(&ctx) < 0)
		abort();
	pt_set_log_fn(ctx, quiet, NULL);
	pt_set_conf_dir(ctx, conf);
	pt_set_sysfs_root(ctx, sys);
	pt_set_proc_root(ctx, sys);
	pt_set_dev_root(ctx, sys);
	pt_set_lock_timeout(ctx, 0);
	if (pt_conf_load(ctx) == 0) {
		struct pt_group *g;
		struct pt_conflict *c;

		pt_group_foreach(ctx, g)
			pt_group_get_num_members(g);
		pt_conflict_foreach(ctx, c)
			pt_conflict_get_group(c, 0);
	}
	pt_plan_release(ctx, "fz", PT_PLAN_DRY_RUN, &p);
	pt_plan_free(p);
	p = NULL;
	pt_plan_apply(ctx, "fz", PT_PLAN_DRY_RUN, &p);
	pt_plan_free(p);
	pt_unref(ctx);
	free(text);
	return 0;
}
