// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lib/devnode.c: device nodes change owner and mode as plan steps, below
 * the context's dev root, never through a link, and a rollback gives
 * them back what they had. A temp dir is the dev root: plain files stand
 * for the nodes there. Owners other than the test's own need root; as
 * another user the tests change only the mode.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "binder.h"

/* Another owner than the test's, when the test may give one (root). */
static uid_t other_uid(void)
{
	return geteuid() == 0 ? 4242 : geteuid();
}

static gid_t other_gid(void)
{
	return geteuid() == 0 ? 4243 : getegid();
}

static struct pt_ctx *ctx_at(const char *dev)
{
	struct pt_ctx *ctx;

	assert_int_equal(pt_new(&ctx), 0);
	assert_int_equal(pt_set_dev_root(ctx, dev), 0);
	return ctx;
}

static void mknode(const char *dev, const char *rel, mode_t mode)
{
	char p[PATH_MAX + 64];

	tu_write(dev, rel, "");
	snprintf(p, sizeof(p), "%s/%s", dev, rel);
	assert_int_equal(chmod(p, mode), 0);
}

static void owner_of(const char *dev, const char *rel, struct stat *st)
{
	char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/%s", dev, rel);
	assert_int_equal(lstat(p, st), 0);
}

/* A step that always fails: the plan rolls back what came before it. */
static int fail_run(struct pt_plan *p, struct pt_step *s, char *why, size_t wlen)
{
	(void)p;
	(void)s;
	snprintf(why, wlen, "injected");
	return -EIO;
}

static const struct pt__step_ops fail_ops = { .name = "test.fail", .kind = "write",
					      .run = fail_run };

static void test_rel_paths(void **state)
{
	char buf[32];

	(void)state;
	assert_int_equal(pt__dev_usb_rel(1, 4, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "bus/usb/001/004");
	assert_int_equal(pt__dev_usb_rel(3, 127, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "bus/usb/003/127");
	assert_int_equal(pt__dev_usb_rel(0, 4, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(pt__dev_usb_rel(1, 0, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(pt__dev_usb_rel(1, 128, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(pt__dev_usb_rel(1000, 1, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(pt__dev_usb_rel(1, 4, buf, 8), -ERANGE);
	assert_int_equal(pt__dev_vfio_group_rel("14", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "vfio/14");
	assert_int_equal(pt__dev_vfio_group_rel("..", buf, sizeof(buf)), -EINVAL);
}

static void test_set_and_rollback(void **state)
{
	char *dev = tu_mkdtemp();
	struct pt_ctx *ctx = ctx_at(dev);
	struct pt__devnode_owner before, now;
	struct pt_plan *p;
	struct stat st;

	(void)state;
	mknode(dev, "vfio/14", 0600);
	mknode(dev, "bus/usb/001/004", 0664);
	assert_int_equal(pt__devnode_read(ctx, "vfio/14", &before), 0);
	assert_int_equal(before.mode, 0600);

	/* run: both nodes change; verify holds */
	assert_int_equal(pt__plan_new(ctx, "t", "start", "VM 't'", 0, &p), 0);
	assert_int_equal(pt__devnode_plan_set(p, "vfio/14", other_uid(), other_gid(), 0660, 0,
					      &before, "give vfio/14"), 0);
	assert_int_equal(pt__devnode_plan_set(p, "bus/usb/001/004", (uid_t)-1, other_gid(),
					      0060, PT__DEVNODE_ADD_MODE, NULL, "give usb"), 0);
	assert_int_equal(pt_plan_get_num_steps(p), 2);
	assert_string_equal(pt_step_get_kind(pt_plan_get_step(p, 0)), "owner");
	assert_int_equal(pt_plan_execute(p), 0);
	pt_plan_free(p);
	owner_of(dev, "vfio/14", &st);
	assert_int_equal(st.st_uid, other_uid());
	assert_int_equal(st.st_gid, other_gid());
	assert_int_equal(st.st_mode & 07777, 0660);
	owner_of(dev, "bus/usb/001/004", &st);
	assert_int_equal(st.st_mode & 07777, 0664 | 0060);
	assert_int_equal(st.st_gid, other_gid());

	/* giving back: the recorded owner as the wanted one */
	assert_int_equal(pt__plan_new(ctx, "t", "stop", "VM 't'", 0, &p), 0);
	assert_int_equal(pt__devnode_plan_set(p, "vfio/14", before.uid, before.gid, before.mode,
					      0, NULL, "give back"), 0);
	assert_int_equal(pt_plan_execute(p), 0);
	pt_plan_free(p);
	assert_int_equal(pt__devnode_read(ctx, "vfio/14", &now), 0);
	assert_int_equal(now.uid, before.uid);
	assert_int_equal(now.gid, before.gid);
	assert_int_equal(now.mode, 0600);

	/* a later step fails: the rollback restores what each node had */
	assert_int_equal(pt__plan_new(ctx, "t", "start", "VM 't'", 0, &p), 0);
	assert_int_equal(pt__devnode_plan_set(p, "vfio/14", other_uid(), other_gid(), 0640, 0,
					      NULL, "give vfio/14"), 0);
	assert_non_null(pt__plan_add(p, &fail_ops, calloc(1, 1), NULL, "x", "y", "fail"));
	assert_int_equal(pt_plan_execute(p), -EIO);
	assert_non_null(strstr(pt_plan_get_error(p), "every change of this run was undone"));
	pt_plan_free(p);
	assert_int_equal(pt__devnode_read(ctx, "vfio/14", &now), 0);
	assert_int_equal(now.uid, before.uid);
	assert_int_equal(now.gid, before.gid);
	assert_int_equal(now.mode, 0600);

	pt_unref(ctx);
	tu_rmtree(dev);
	free(dev);
}

static void test_links_refused(void **state)
{
	char *dev = tu_mkdtemp();
	struct pt_ctx *ctx = ctx_at(dev);
	struct pt__devnode_owner o;
	struct pt_plan *p;
	struct stat st;

	(void)state;
	mknode(dev, "secret", 0600);
	tu_mkdir(dev, "vfio");
	tu_symlink(dev, "vfio/15", "../secret");	/* the node itself a link */
	tu_mkdir(dev, "real/usb/001");
	mknode(dev, "real/usb/001/002", 0600);
	tu_mkdir(dev, "bus");
	tu_symlink(dev, "bus/usb", "../real/usb");	/* a link on the way */

	assert_int_equal(pt__devnode_read(ctx, "vfio/15", &o), -ELOOP);
	assert_int_equal(pt__devnode_read(ctx, "bus/usb/001/002", &o), -ELOOP);
	assert_int_equal(pt__devnode_read(ctx, "vfio/16", &o), -ENOENT);
	assert_int_equal(pt__devnode_read(ctx, "../x", &o), -EINVAL);
	assert_int_equal(pt__devnode_read(ctx, "vfio", &o), -ENOTTY);

	assert_int_equal(pt__plan_new(ctx, "t", "start", "VM 't'", 0, &p), 0);
	assert_int_equal(pt__devnode_plan_set(p, "vfio/15", other_uid(), other_gid(), 0666, 0,
					      NULL, "give vfio/15"), 0);
	assert_int_equal(pt_plan_execute(p), -ELOOP);
	assert_non_null(strstr(pt_plan_get_error(p), "is a link or lies behind one"));
	pt_plan_free(p);
	assert_int_equal(pt__plan_new(ctx, "t", "start", "VM 't'", 0, &p), 0);
	assert_int_equal(pt__devnode_plan_set(p, "bus/usb/001/002", other_uid(), other_gid(),
					      0666, 0, NULL, "give usb"), 0);
	assert_int_equal(pt_plan_execute(p), -ELOOP);
	pt_plan_free(p);
	/* nothing behind the links changed */
	owner_of(dev, "secret", &st);
	assert_int_equal(st.st_mode & 07777, 0600);
	owner_of(dev, "real/usb/001/002", &st);
	assert_int_equal(st.st_mode & 07777, 0600);

	/* bad arguments */
	assert_int_equal(pt__plan_new(ctx, "t", "start", "VM 't'", 0, &p), 0);
	assert_int_equal(pt__devnode_plan_set(p, "vfio/14", 0, 0, 010000, 0, NULL, "x"), -EINVAL);
	assert_int_equal(pt__devnode_plan_set_mdev(p, "../x", 0, 0, 0600, 0, "x"), -EINVAL);
	pt_plan_free(p);

	pt_unref(ctx);
	tu_rmtree(dev);
	free(dev);
}

/* Under /dev itself only device nodes count: a plain file is refused. */
static void test_live_wants_char_device(void **state)
{
	struct pt_ctx *ctx = ctx_at("/dev");
	struct pt__devnode_owner o;

	(void)state;
	/* /dev/null is a character device on every Linux; read only */
	assert_int_equal(pt__devnode_read(ctx, "null", &o), 0);
	assert_int_equal(o.mode, 0666);
	pt_unref(ctx);
}

/* The mdev's node is found when the step runs, from its iommu_group link. */
static void test_mdev_node(void **state)
{
	char *root = tu_mkdtemp(), sys[PATH_MAX], dev[PATH_MAX];
	const char *uuid = "567ea647-5ef0-5680-be1b-b056d25f6937";
	char rel[128];
	struct pt_ctx *ctx;
	struct pt_plan *p;
	struct stat st;

	(void)state;
	snprintf(sys, sizeof(sys), "%s/sys", root);
	snprintf(dev, sizeof(dev), "%s/dev", root);
	tu_mkdir(root, "sys/");
	tu_mkdir(root, "dev/");
	snprintf(rel, sizeof(rel), "devices/pci0000:00/%s", uuid);
	tu_mkdir(sys, rel);
	tu_mkdir(sys, "kernel/iommu_groups/33");
	snprintf(rel, sizeof(rel), "devices/pci0000:00/%s/iommu_group", uuid);
	tu_link(sys, rel, "kernel/iommu_groups/33");
	snprintf(rel, sizeof(rel), "bus/mdev/devices/%s", uuid);
	tu_mkdir(sys, "bus/mdev/devices");
	{
		char target[PATH_MAX];

		snprintf(target, sizeof(target), "devices/pci0000:00/%s", uuid);
		tu_link(sys, rel, target);
	}
	mknode(dev, "vfio/33", 0600);
	ctx = ctx_at(dev);
	assert_int_equal(pt_set_sysfs_root(ctx, sys), 0);
	assert_int_equal(pt__plan_new(ctx, "t", "start", "VM 't'", 0, &p), 0);
	assert_int_equal(pt__devnode_plan_set_mdev(p, uuid, other_uid(), other_gid(), 0060,
						   PT__DEVNODE_ADD_MODE, "give mdev"), 0);
	assert_non_null(strstr(pt_step_get_target(pt_plan_get_step(p, 0)), "IOMMU group of mdev"));
	assert_int_equal(pt_plan_execute(p), 0);
	pt_plan_free(p);
	owner_of(dev, "vfio/33", &st);
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(st.st_uid, other_uid());
	pt_unref(ctx);
	tu_rmtree(root);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rel_paths),
		cmocka_unit_test(test_set_and_rollback),
		cmocka_unit_test(test_links_refused),
		cmocka_unit_test(test_live_wants_char_device),
		cmocka_unit_test(test_mdev_node),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
