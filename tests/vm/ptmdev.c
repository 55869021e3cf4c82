// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ptmdev: the library's mdev and module calls, one per run, for the
 * real-kernel checks (checks/55-mdev-create.sh). Linked against the
 * library's objects, so module.c's internals are reachable too.
 *
 *   ptmdev create PARENT TYPE [UUID]  pt_mdev_create(); then the view
 *   ptmdev remove PARENT UUID         pt_mdev_remove(); then the view
 *   ptmdev show PARENT                the view of a fresh scan
 *   ptmdev load MODULE                pt__module_load()
 *   ptmdev loaded MODULE              pt__module_is_loaded(): exit 0 or 1
 *
 * The view is what the same context holds afterwards, as "[name]" blocks
 * of key=value lines: [created] uuid=, [type:ID] available_instances=,
 * [mdev:UUID] type= iommu_group=. Errors: one line on stderr naming the
 * call and the errno ("EEXIST (File exists)"), exit 1; usage: exit 2.
 * PT_SYSFS_ROOT / PT_PROC_ROOT set the roots (a fixture with fakekernel).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binder.h"

static void view(struct pt_mdev_parent *p)
{
	struct pt_mdev_type *t;
	struct pt_mdev *m;

	pt_mdev_type_foreach(p, t)
		printf("[type:%s]\navailable_instances=%d\n", pt_mdev_type_get_id(t),
		       pt_mdev_type_get_available_instances(t));
	pt_mdev_foreach(p, m)
		printf("[mdev:%s]\ntype=%s\niommu_group=%d\n", pt_mdev_get_uuid(m),
		       pt_mdev_get_type_id(m), pt_mdev_get_iommu_group(m));
}

static int fail(const char *what, int r)
{
	const char *name = strerrorname_np(-r);

	fprintf(stderr, "ptmdev: %s: %s (%s)\n", what, name ? name : "?",
		strerror(-r));
	return 1;
}

static int usage(void)
{
	fputs("usage: ptmdev create PARENT TYPE [UUID] | remove PARENT UUID | "
	      "show PARENT | load MODULE | loaded MODULE\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	struct pt_mdev_parent *p = NULL;
	struct pt_mdev_type *t;
	struct pt_ctx *ctx;
	const char *cmd, *env;
	char what[256];
	int r, rc = 0;

	if (argc < 3)
		return usage();
	cmd = argv[1];
	r = pt_new(&ctx);
	if (r < 0)
		return fail("pt_new", r);
	if ((env = getenv("PT_SYSFS_ROOT")) && (r = pt_set_sysfs_root(ctx, env)) < 0)
		return fail("PT_SYSFS_ROOT", r);
	if ((env = getenv("PT_PROC_ROOT")) && (r = pt_set_proc_root(ctx, env)) < 0)
		return fail("PT_PROC_ROOT", r);

	if (!strcmp(cmd, "load") && argc == 3) {
		char err[512];

		r = pt__module_load(ctx, argv[2], err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "ptmdev: %s\n", err);
			snprintf(what, sizeof(what), "load %s", argv[2]);
			rc = fail(what, r);
		}
		goto out;
	}
	if (!strcmp(cmd, "loaded") && argc == 3) {
		bool yes = pt__module_is_loaded(ctx, argv[2]);

		printf("%s\n", yes ? "yes" : "no");
		rc = yes ? 0 : 1;
		goto out;
	}

	p = pt_mdev_parent_find(ctx, argv[2]);
	if (!p) {
		fprintf(stderr, "ptmdev: %s: no such mdev parent\n", argv[2]);
		rc = 1;
		goto out;
	}
	/* what the context holds before, so the calls must update it */
	pt_mdev_get_first(p);
	if (!strcmp(cmd, "create") && (argc == 4 || argc == 5)) {
		char uuid[37];

		pt_mdev_type_foreach(p, t)
			if (!strcmp(pt_mdev_type_get_id(t), argv[3]))
				break;
		if (!t) {
			fprintf(stderr, "ptmdev: %s: no mdev type %s\n", argv[2], argv[3]);
			rc = 1;
			goto out;
		}
		r = pt_mdev_create(t, argc == 5 ? argv[4] : NULL, uuid);
		if (r < 0) {
			snprintf(what, sizeof(what), "%s: create %s %s", argv[2], argv[3],
				 argc == 5 ? argv[4] : "(random)");
			rc = fail(what, r);
			goto out;
		}
		printf("[created]\nuuid=%s\n", uuid);
		view(p);
	} else if (!strcmp(cmd, "remove") && argc == 4) {
		r = pt_mdev_remove(p, argv[3]);
		if (r < 0) {
			snprintf(what, sizeof(what), "%s: remove %s", argv[2], argv[3]);
			rc = fail(what, r);
			goto out;
		}
		view(p);
	} else if (!strcmp(cmd, "show") && argc == 3) {
		view(p);
	} else {
		rc = usage();
	}
out:
	pt_unref(ctx);
	return rc;
}
