// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sysfs.c: the one file that turns names into paths below the roots.
 * Name and BDF validation, every helper's refusal of paths that could
 * walk out of a root, and what each helper reads, writes and returns on
 * a small temporary tree.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "private.h"
#include "testutil.h"

static int setup(void **state)
{
	struct tu_host *f = tu_host_new(TU_SYS | TU_PROC | TU_DEV);

	snprintf(f->mods, sizeof(f->mods), "%s/modules", f->root);
	tu_mkdir(f->root, "modules");
	tu_write(f->sys, "bus/pci/devices/0000:00:02.0/vendor", "0x10de\n");
	tu_write(f->sys, "bus/pci/devices/0000:00:02.0/device", "0x1eb8\n");
	tu_write(f->sys, "a/num", "16\n");
	tu_write(f->sys, "a/hex", "0x10de\n");
	tu_write(f->sys, "a/neg", "-1\n");
	tu_write(f->sys, "a/word", "abc\n");
	tu_write(f->sys, "a/tail", "12abc\n");
	tu_write(f->sys, "a/empty", "");
	tu_write(f->sys, "a/huge", "99999999999999999999999\n");
	tu_write(f->sys, "a/blanks", "  vfio-pci  \n\n");
	tu_write(f->sys, "a/text", "hello world\n");
	tu_symlink(f->sys, "a/driver", "../../bus/pci/drivers/vfio-pci");
	tu_symlink(f->sys, "a/plain", "vfio-pci");
	tu_symlink(f->sys, "a/slash", "../drivers/");
	tu_symlink(f->sys, "a/dangling", "../nowhere");
	tu_symlink(f->sys, "a/textlink", "text");
	tu_write(f->sys, "a/sub/secret", "x\n");
	tu_write(f->proc, "mounts", "/dev/vda1 / ext4 rw 0 0\n");
	tu_write(f->proc, "net/route", "Iface\tDestination\n");
	tu_symlink(f->dev, "disk/by-uuid/1234", "../../vda1");
	tu_write(f->dev, "vda1", "");
	tu_symlink(f->dev, "broken", "nothing-here");
	tu_write(f->mods, "modules.dep", "kernel/drivers/vfio/vfio.ko:\n");

	tu_host_ctx(f);
	*state = f;
	return 0;
}

/* ---- names -------------------------------------------------------------- */

static void test_name_is_valid(void **state)
{
	char name[PT_NAME_MAX + 2];

	(void)state;
	assert_true(pt__name_is_valid("gpu"));
	assert_true(pt__name_is_valid("gpu-pool_1.a"));
	assert_true(pt__name_is_valid("A100"));
	assert_true(pt__name_is_valid("a.."));	/* dots only forbidden in front */
	assert_false(pt__name_is_valid(NULL));
	assert_false(pt__name_is_valid(""));
	assert_false(pt__name_is_valid("."));
	assert_false(pt__name_is_valid(".."));
	assert_false(pt__name_is_valid(".hidden"));
	assert_false(pt__name_is_valid("a/b"));
	assert_false(pt__name_is_valid("a b"));
	assert_false(pt__name_is_valid("a;b"));
	assert_false(pt__name_is_valid("a\"b"));
	assert_false(pt__name_is_valid("caf\xc3\xa9"));

	memset(name, 'x', PT_NAME_MAX);
	name[PT_NAME_MAX] = '\0';
	assert_true(pt__name_is_valid(name));
	name[PT_NAME_MAX] = 'x';
	name[PT_NAME_MAX + 1] = '\0';
	assert_false(pt__name_is_valid(name));
}

static void test_bdf_is_valid(void **state)
{
	(void)state;
	assert_true(pt__bdf_is_valid("0000:00:00.0"));
	assert_true(pt__bdf_is_valid("0000:03:00.0"));
	assert_true(pt__bdf_is_valid("ffff:ff:1f.7"));
	assert_true(pt__bdf_is_valid("0001:40:1a.3"));
	assert_false(pt__bdf_is_valid(NULL));
	assert_false(pt__bdf_is_valid(""));
	assert_false(pt__bdf_is_valid("03:00.0"));	/* no domain */
	assert_false(pt__bdf_is_valid("0000:03:00.0 "));
	assert_false(pt__bdf_is_valid("0000:03:00"));
	assert_false(pt__bdf_is_valid("0000:0A:00.0"));	/* upper case */
	assert_false(pt__bdf_is_valid("0000:03:00.8"));	/* function 0-7 */
	assert_false(pt__bdf_is_valid("0000:03:20.0"));	/* device 0-1f */
	assert_false(pt__bdf_is_valid("0000:03:00:0"));
	assert_false(pt__bdf_is_valid("0000.03:00.0"));
	assert_false(pt__bdf_is_valid("0000:0g:00.0"));
	assert_false(pt__bdf_is_valid("pci0:00:00.0"));
}

static void test_path_pci_ancestor(void **state)
{
	char bdf[PT_BDF_LEN];

	(void)state;
	/* the nearest function, not the first one on the path */
	assert_int_equal(pt__sysfs_path_pci_ancestor(
		"../../devices/pci0000:00/0000:00:1c.0/0000:03:00.0/net/eth0", bdf), 0);
	assert_string_equal(bdf, "0000:03:00.0");
	/* virtio: the netdev hangs off a child of the function */
	assert_int_equal(pt__sysfs_path_pci_ancestor(
		"../../devices/pci0000:00/0000:00:05.0/virtio1/net/eth1", bdf), 0);
	assert_string_equal(bdf, "0000:00:05.0");
	assert_int_equal(pt__sysfs_path_pci_ancestor("0001:40:00.0", bdf), 0);
	assert_string_equal(bdf, "0001:40:00.0");

	memcpy(bdf, "unchanged!!!", PT_BDF_LEN);
	assert_int_equal(pt__sysfs_path_pci_ancestor(
		"../../devices/virtual/net/lo", bdf), -ENOENT);
	/* a root bus name is no function, nor is an upper-case address */
	assert_int_equal(pt__sysfs_path_pci_ancestor(
		"../../devices/pci0000:00/0000:00:1C.0/x", bdf), -ENOENT);
	assert_int_equal(pt__sysfs_path_pci_ancestor("", bdf), -ENOENT);
	assert_string_equal(bdf, "unchanged!!!");
}

/* ---- directories -------------------------------------------------------- */

static void test_open_dir(void **state)
{
	struct tu_host *f = *state;
	char buf[64];
	int fd;

	fd = pt__sysfs_open_dir(f->ctx, "a/sub");
	assert_true(fd >= 0);
	assert_int_equal(pt__sysfs_read(fd, "secret", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "x");
	close(fd);
	fd = pt__sysfs_open_dir(f->ctx, "a");
	assert_true(fd >= 0);
	close(fd);

	/* nothing that could leave the root or is not a plain relative path */
	assert_int_equal(pt__sysfs_open_dir(f->ctx, NULL), -EINVAL);
	assert_int_equal(pt__sysfs_open_dir(f->ctx, ""), -EINVAL);
	assert_int_equal(pt__sysfs_open_dir(f->ctx, "/a"), -EINVAL);
	assert_int_equal(pt__sysfs_open_dir(f->ctx, ".."), -EINVAL);
	assert_int_equal(pt__sysfs_open_dir(f->ctx, "a/../a"), -EINVAL);
	assert_int_equal(pt__sysfs_open_dir(f->ctx, "a/.."), -EINVAL);
	assert_int_equal(pt__sysfs_open_dir(f->ctx, "./a"), -EINVAL);
	assert_int_equal(pt__sysfs_open_dir(f->ctx, "a//sub"), -EINVAL);
	assert_int_equal(pt__sysfs_open_dir(f->ctx, "a/"), -EINVAL);
	/* "..." and ".x" are ordinary sysfs names */
	assert_int_equal(pt__sysfs_open_dir(f->ctx, "a/..."), -ENOENT);
	assert_int_equal(pt__sysfs_open_dir(f->ctx, "a/.x"), -ENOENT);

	assert_int_equal(pt__sysfs_open_dir(f->ctx, "nope"), -ENOENT);
	assert_int_equal(pt__sysfs_open_dir(f->ctx, "a/num"), -ENOTDIR);
}

static void test_open_dir_root(void **state)
{
	struct tu_host *f = *state;
	char other[300];
	int fd;

	/* the root's fd is opened once and dropped when the root changes */
	fd = pt__sysfs_open_dir(f->ctx, "a");
	assert_true(fd >= 0);
	close(fd);
	assert_true(f->ctx->sysfs_fd >= 0);
	snprintf(other, sizeof(other), "%s/other", f->root);
	tu_mkdir(f->root, "other/b");
	assert_int_equal(pt_set_sysfs_root(f->ctx, other), 0);
	assert_int_equal(f->ctx->sysfs_fd, -1);
	assert_int_equal(pt__sysfs_open_dir(f->ctx, "a"), -ENOENT);
	fd = pt__sysfs_open_dir(f->ctx, "b");
	assert_true(fd >= 0);
	close(fd);

	/* a root that does not exist: every open reports it */
	snprintf(other, sizeof(other), "%s/missing", f->root);
	assert_int_equal(pt_set_sysfs_root(f->ctx, other), 0);
	assert_int_equal(pt__sysfs_open_dir(f->ctx, "b"), -ENOENT);
	assert_int_equal(pt__sysfs_open_pci_dev(f->ctx, "0000:00:02.0"), -ENOENT);
	assert_int_equal(f->ctx->sysfs_fd, -1);

	/* "/" is a root like any other */
	assert_int_equal(pt_set_sysfs_root(f->ctx, "/"), 0);
	fd = pt__sysfs_open_dir(f->ctx, "tmp");
	assert_true(fd >= 0);
	close(fd);
}

static void test_open_pci_dev(void **state)
{
	struct tu_host *f = *state;
	char buf[32];
	int fd;

	fd = pt__sysfs_open_pci_dev(f->ctx, "0000:00:02.0");
	assert_true(fd >= 0);
	assert_int_equal(pt__sysfs_read(fd, "vendor", buf, sizeof(buf)), 6);
	assert_string_equal(buf, "0x10de");
	close(fd);
	assert_int_equal(pt__sysfs_open_pci_dev(f->ctx, "0000:00:03.0"), -ENOENT);
	assert_int_equal(pt__sysfs_open_pci_dev(f->ctx, "00:02.0"), -EINVAL);
	assert_int_equal(pt__sysfs_open_pci_dev(f->ctx, "../../../a"), -EINVAL);
	assert_int_equal(pt__sysfs_open_pci_dev(f->ctx, NULL), -EINVAL);
}

/*
 * The directory holding a function's own, ".." taken after its link, and
 * never above the root: an absolute link or too many ".." stop there.
 */
static void test_open_pci_dev_parent(void **state)
{
	struct tu_host *f = *state;
	char buf[32];
	int fd;

	tu_write(f->sys, "devices/pci0000:00/0000:00:04.0/vendor", "0x8086\n");
	tu_symlink(f->sys, "bus/pci/devices/0000:00:04.0",
		   "../../../devices/pci0000:00/0000:00:04.0");
	tu_write(f->sys, "devices/pci0000:00/0000:00:05.0/vendor", "0x15b3\n");
	tu_symlink(f->sys, "bus/pci/devices/0000:00:08.0", "/");
	tu_symlink(f->sys, "bus/pci/devices/0000:00:09.0",
		   "../../../../../../../../../..");

	fd = pt__sysfs_open_pci_dev_parent(f->ctx, "0000:00:04.0");
	assert_true(fd >= 0);
	assert_int_equal(pt__sysfs_read(fd, "0000:00:05.0/vendor", buf, sizeof(buf)), 6);
	assert_string_equal(buf, "0x15b3");
	close(fd);
	/* a directory, not a link: its parent is bus/pci/devices */
	fd = pt__sysfs_open_pci_dev_parent(f->ctx, "0000:00:02.0");
	assert_true(fd >= 0);
	assert_int_equal(pt__sysfs_read(fd, "0000:00:02.0/vendor", buf, sizeof(buf)), 6);
	assert_string_equal(buf, "0x10de");
	close(fd);
	for (int i = 0; i < 2; i++) {
		fd = pt__sysfs_open_pci_dev_parent(f->ctx, i ? "0000:00:09.0" : "0000:00:08.0");
		assert_true(fd >= 0);
		assert_int_equal(pt__sysfs_read(fd, "a/num", buf, sizeof(buf)), 2);
		close(fd);
	}
	assert_int_equal(pt__sysfs_open_pci_dev_parent(f->ctx, "0000:00:03.0"), -ENOENT);
	assert_int_equal(pt__sysfs_open_pci_dev_parent(f->ctx, "../x"), -EINVAL);
}

static void test_openat_dir(void **state)
{
	struct tu_host *f = *state;
	int a = pt__sysfs_open_dir(f->ctx, "a"), fd;

	assert_true(a >= 0);
	fd = pt__sysfs_openat_dir(a, "sub");
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(pt__sysfs_openat_dir(a, ".."), -EINVAL);
	assert_int_equal(pt__sysfs_openat_dir(a, "sub/.."), -EINVAL);
	assert_int_equal(pt__sysfs_openat_dir(a, "/tmp"), -EINVAL);
	assert_int_equal(pt__sysfs_openat_dir(a, ""), -EINVAL);
	assert_int_equal(pt__sysfs_openat_dir(a, "none"), -ENOENT);
	assert_int_equal(pt__sysfs_openat_dir(a, "num"), -ENOTDIR);
	close(a);
}

/* ---- reading ------------------------------------------------------------ */

static void test_read(void **state)
{
	struct tu_host *f = *state;
	int a = pt__sysfs_open_dir(f->ctx, "a");
	char buf[64], small[6];

	assert_true(a >= 0);
	assert_int_equal(pt__sysfs_read(a, "num", buf, sizeof(buf)), 2);
	assert_string_equal(buf, "16");
	/* trailing newlines and blanks go; leading blanks stay */
	assert_int_equal(pt__sysfs_read(a, "blanks", buf, sizeof(buf)), 10);
	assert_string_equal(buf, "  vfio-pci");
	assert_int_equal(pt__sysfs_read(a, "text", buf, sizeof(buf)), 11);
	assert_string_equal(buf, "hello world");
	assert_int_equal(pt__sysfs_read(a, "empty", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	/* at most len - 1 bytes, always terminated */
	assert_int_equal(pt__sysfs_read(a, "text", small, sizeof(small)), 5);
	assert_string_equal(small, "hello");
	assert_int_equal(pt__sysfs_read(a, "text", buf, 0), -EINVAL);
	/* links are followed for reading */
	assert_int_equal(pt__sysfs_read(a, "textlink", buf, sizeof(buf)), 11);
	assert_string_equal(buf, "hello world");
	assert_int_equal(pt__sysfs_read(a, "sub/secret", buf, sizeof(buf)), 1);

	assert_int_equal(pt__sysfs_read(a, "none", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(pt__sysfs_read(a, "sub", buf, sizeof(buf)), -EISDIR);
	assert_int_equal(pt__sysfs_read(a, "../a/num", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(pt__sysfs_read(a, "/etc/passwd", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(pt__sysfs_read(a, "", buf, sizeof(buf)), -EINVAL);
	close(a);
}

/*
 * A hostile captured tree: a FIFO where an attribute should be is never
 * opened for a blocking read, an absolute link or one with too many ".."
 * stays inside the root, and a link up through the root's own
 * directories (class/block/dm-0 -> ../../devices/...) still reads.
 */
static void test_read_hostile(void **state)
{
	struct tu_host *f = *state;
	char path[PATH_MAX], outside[PATH_MAX], buf[64];
	int a, c;

	snprintf(path, sizeof(path), "%s/a/fifo", f->sys);
	assert_int_equal(mkfifo(path, 0600), 0);
	snprintf(outside, sizeof(outside), "%s/outside", f->root);
	tu_write(f->root, "outside", "SECRET\n");
	tu_symlink(f->sys, "a/abs", outside);
	tu_symlink(f->sys, "a/up", "../../../../../../../../outside");
	tu_symlink(f->sys, "a/absdir", f->root);
	tu_write(f->sys, "devices/virtual/block/dm-0/dm/name", "vg-root\n");
	tu_symlink(f->sys, "class/block/dm-0", "../../devices/virtual/block/dm-0");

	a = pt__sysfs_open_dir(f->ctx, "a");
	assert_true(a >= 0);
	/* returns at once: O_NONBLOCK, and a FIFO is not a regular file */
	assert_int_equal(pt__sysfs_read(a, "fifo", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(pt__sysfs_read(a, "abs", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(pt__sysfs_read(a, "up", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(pt__sysfs_exists(a, "abs"), -ENOENT);
	assert_int_equal(pt__sysfs_openat_dir(a, "absdir"), -ENOENT);
	assert_int_equal(pt__sysfs_read(a, "absdir/outside", buf, sizeof(buf)),
			 -ENOENT);
	close(a);
	/* the root itself through an absolute link: stays the root */
	assert_int_equal(pt__sysfs_open_dir(f->ctx, "a/absdir/outside"), -ENOENT);

	c = pt__sysfs_open_dir(f->ctx, "class/block");
	assert_true(c >= 0);
	assert_int_equal(pt__sysfs_read(c, "dm-0/dm/name", buf, sizeof(buf)), 7);
	assert_string_equal(buf, "vg-root");
	close(c);
}

/*
 * Read first, stat only on 0 bytes or an error (see the top of sysfs.c):
 * an empty regular attribute is "", a FIFO without a writer (0 bytes) or
 * with a silent one (EAGAIN) is refused at once, a FIFO whose writer has
 * written reads as what it wrote, like a regular file with that text.
 */
static void test_read_fifo(void **state)
{
	struct tu_host *f = *state;
	char path[PATH_MAX], buf[64];
	int a, w;

	snprintf(path, sizeof(path), "%s/a/fifo", f->sys);
	assert_int_equal(mkfifo(path, 0600), 0);
	a = pt__sysfs_open_dir(f->ctx, "a");
	assert_true(a >= 0);

	strcpy(buf, "junk");
	assert_int_equal(pt__sysfs_read(a, "empty", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(pt__sysfs_read(a, "fifo", buf, sizeof(buf)), -EINVAL);

	/* O_RDWR: this process holds the write end (Linux allows it) */
	w = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	assert_true(w >= 0);
	assert_int_equal(pt__sysfs_read(a, "fifo", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(write(w, "up\n", 3), 3);
	assert_int_equal(pt__sysfs_read(a, "fifo", buf, sizeof(buf)), 2);
	assert_string_equal(buf, "up");
	/* drained: refused again */
	assert_int_equal(pt__sysfs_read(a, "fifo", buf, sizeof(buf)), -EINVAL);
	close(w);
	close(a);
}

static void test_read_range(void **state)
{
	struct tu_host *f = *state;
	int a = pt__sysfs_open_dir(f->ctx, "a");
	long v = 7;

	assert_true(a >= 0);
	assert_int_equal(pt__sysfs_read_range(f->ctx, a, "num", 0, 65535, &v), 0);
	assert_int_equal(v, 16);
	assert_int_equal(pt__sysfs_read_range(f->ctx, a, "num", 0, 15, &v), -ERANGE);
	assert_int_equal(pt__sysfs_read_range(f->ctx, a, "neg", 0, 15, &v), -ERANGE);
	assert_int_equal(pt__sysfs_read_range(f->ctx, a, "huge", 0, 15, &v), -ERANGE);
	assert_int_equal(pt__sysfs_read_range(f->ctx, a, "word", 0, 15, &v), -EINVAL);
	assert_int_equal(pt__sysfs_read_range(f->ctx, a, "none", 0, 15, &v), -ENOENT);
	assert_int_equal(v, 16);
	close(a);
}

static void test_read_long(void **state)
{
	struct tu_host *f = *state;
	int a = pt__sysfs_open_dir(f->ctx, "a");
	long v = 12345;

	assert_true(a >= 0);
	assert_int_equal(pt__sysfs_read_long(a, "num", &v), 0);
	assert_int_equal(v, 16);
	assert_int_equal(pt__sysfs_read_long(a, "hex", &v), 0);
	assert_int_equal(v, 0x10de);
	assert_int_equal(pt__sysfs_read_long(a, "neg", &v), 0);
	assert_int_equal(v, -1);

	v = 777;
	assert_int_equal(pt__sysfs_read_long(a, "word", &v), -EINVAL);
	assert_int_equal(pt__sysfs_read_long(a, "tail", &v), -EINVAL);
	assert_int_equal(pt__sysfs_read_long(a, "empty", &v), -EINVAL);
	assert_int_equal(pt__sysfs_read_long(a, "huge", &v), -EINVAL);
	assert_int_equal(pt__sysfs_read_long(a, "none", &v), -ENOENT);
	assert_int_equal(pt__sysfs_read_long(a, "..", &v), -EINVAL);
	assert_int_equal(v, 777);	/* untouched on every error */
	close(a);
}

static void test_exists(void **state)
{
	struct tu_host *f = *state;
	int a = pt__sysfs_open_dir(f->ctx, "a");

	assert_true(a >= 0);
	assert_int_equal(pt__sysfs_exists(a, "num"), 0);
	assert_int_equal(pt__sysfs_exists(a, "sub"), 0);
	assert_int_equal(pt__sysfs_exists(a, "sub/secret"), 0);
	assert_int_equal(pt__sysfs_exists(a, "textlink"), 0);
	/* links are followed: a dangling one does not exist */
	assert_int_equal(pt__sysfs_exists(a, "dangling"), -ENOENT);
	assert_int_equal(pt__sysfs_exists(a, "none"), -ENOENT);
	assert_int_equal(pt__sysfs_exists(a, "num/x"), -ENOTDIR);
	assert_int_equal(pt__sysfs_exists(a, ".."), -EINVAL);
	assert_int_equal(pt__sysfs_exists(a, "/"), -EINVAL);
	close(a);
}

static void test_readlink(void **state)
{
	struct tu_host *f = *state;
	int a = pt__sysfs_open_dir(f->ctx, "a");
	char buf[PATH_MAX], small[8];

	assert_true(a >= 0);
	assert_int_equal(pt__sysfs_readlink(a, "driver", buf, sizeof(buf)), 30);
	assert_string_equal(buf, "../../bus/pci/drivers/vfio-pci");
	assert_int_equal(pt__sysfs_readlink(a, "dangling", buf, sizeof(buf)), 10);
	assert_string_equal(buf, "../nowhere");
	assert_int_equal(pt__sysfs_readlink(a, "num", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(pt__sysfs_readlink(a, "none", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(pt__sysfs_readlink(a, "..", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(pt__sysfs_readlink(a, "driver", buf, 0), -EINVAL);

	assert_int_equal(pt__sysfs_readlink_base(a, "driver", buf, sizeof(buf)), 8);
	assert_string_equal(buf, "vfio-pci");
	assert_int_equal(pt__sysfs_readlink_base(a, "plain", buf, sizeof(buf)), 8);
	assert_string_equal(buf, "vfio-pci");
	assert_int_equal(pt__sysfs_readlink_base(a, "dangling", buf, sizeof(buf)), 7);
	assert_string_equal(buf, "nowhere");
	/* the base and its NUL must fit: 8 + 1 > 8 */
	assert_int_equal(pt__sysfs_readlink_base(a, "driver", small, sizeof(small)),
			 -ENAMETOOLONG);
	/* a target ending in '/' has no base */
	assert_int_equal(pt__sysfs_readlink_base(a, "slash", buf, sizeof(buf)),
			 -ENAMETOOLONG);
	assert_int_equal(pt__sysfs_readlink_base(a, "num", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(pt__sysfs_readlink_base(a, "none", buf, sizeof(buf)), -ENOENT);

	/* "../<base>" only: a PF's virtfnN next to it */
	{
		static const struct {
			const char *link, *target;
			bool sibling;
		} sib[] = {
			{ "s1", "../0000:0a:02.0", true },
			{ "s2", "../../0000:0a:02.0", false },
			{ "s3", "0000:0a:02.0", false },
			{ "s4", "..//0000:0a:02.0", false },
			{ "s5", "x/../0000:0a:02.0", false },
			{ "s6", "/0000:0a:02.0", false },
			{ "s7", "../..", false },
		};

		for (size_t i = 0; i < sizeof(sib) / sizeof(sib[0]); i++) {
			char rel[16];
			bool is = !sib[i].sibling;

			snprintf(rel, sizeof(rel), "a/%s", sib[i].link);
			tu_symlink(f->sys, rel, sib[i].target);
			assert_true(pt__sysfs_readlink_sibling(a, sib[i].link, buf,
							       sizeof(buf), &is) > 0);
			assert_int_equal(is, sib[i].sibling);
		}
		assert_int_equal(pt__sysfs_readlink_sibling(a, "s1", buf, sizeof(buf), NULL), 12);
		assert_string_equal(buf, "0000:0a:02.0");
	}
	close(a);
}

/* ---- writing ------------------------------------------------------------ */

static void test_write(void **state)
{
	struct tu_host *f = *state;
	int a = pt__sysfs_open_dir(f->ctx, "a");
	char buf[64], path[512];
	struct stat st;

	assert_true(a >= 0);
	/* a shorter value leaves no tail of the longer old one */
	assert_int_equal(pt__sysfs_write(a, "text", "bye"), 0);
	assert_int_equal(pt__sysfs_read(a, "text", buf, sizeof(buf)), 3);
	assert_string_equal(buf, "bye");
	assert_int_equal(pt__sysfs_write(a, "sub/secret", "0000:00:02.0\n"), 0);
	assert_int_equal(pt__sysfs_read(a, "sub/secret", buf, sizeof(buf)), 12);
	assert_string_equal(buf, "0000:00:02.0");

	/* never through a symlink, never creating a file */
	assert_int_equal(pt__sysfs_write(a, "textlink", "x"), -ELOOP);
	assert_int_equal(pt__sysfs_read(a, "text", buf, sizeof(buf)), 3);
	assert_string_equal(buf, "bye");
	assert_int_equal(pt__sysfs_write(a, "new_id", "10de 1eb8"), -ENOENT);
	snprintf(path, sizeof(path), "%s/a/new_id", f->sys);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(pt__sysfs_write(a, "../a/text", "x"), -EINVAL);
	assert_int_equal(pt__sysfs_write(a, "sub", "x"), -EISDIR);
	close(a);
}

/* ---- the other roots ---------------------------------------------------- */

static void test_proc_open(void **state)
{
	struct tu_host *f = *state;
	char buf[64];
	ssize_t n;
	int fd;

	fd = pt__proc_open(f->ctx, "mounts");
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_int_equal(n, 24);
	buf[n] = '\0';
	assert_string_equal(buf, "/dev/vda1 / ext4 rw 0 0\n");
	fd = pt__proc_open(f->ctx, "net/route");
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(pt__proc_open(f->ctx, "swaps"), -ENOENT);
	assert_int_equal(pt__proc_open(f->ctx, "../proc/mounts"), -EINVAL);
	assert_int_equal(pt__proc_open(f->ctx, "/proc/mounts"), -EINVAL);
	assert_int_equal(pt__proc_open(f->ctx, ""), -EINVAL);
}

static void test_dev(void **state)
{
	struct tu_host *f = *state;
	char buf[64];

	assert_int_equal(pt__dev_readlink(f->ctx, "disk/by-uuid/1234", buf,
					  sizeof(buf)), 10);
	assert_string_equal(buf, "../../vda1");
	assert_int_equal(pt__dev_readlink(f->ctx, "vda1", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(pt__dev_readlink(f->ctx, "sdz", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(pt__dev_readlink(f->ctx, "../dev/vda1", buf, sizeof(buf)),
			 -EINVAL);
	assert_int_equal(pt__dev_readlink(f->ctx, "disk/by-uuid/1234", buf, 0), -EINVAL);

	/* exists follows links */
	assert_int_equal(pt__dev_exists(f->ctx, "vda1"), 0);
	assert_int_equal(pt__dev_exists(f->ctx, "disk/by-uuid/1234"), 0);
	assert_int_equal(pt__dev_exists(f->ctx, "broken"), -ENOENT);
	assert_int_equal(pt__dev_exists(f->ctx, "sdz"), -ENOENT);
	assert_int_equal(pt__dev_exists(f->ctx, "disk/.."), -EINVAL);

	/* "/" is a root like any other */
	assert_int_equal(pt_set_dev_root(f->ctx, "/"), 0);
	assert_int_equal(pt__dev_exists(f->ctx, "tmp"), 0);
	assert_int_equal(pt__dev_readlink(f->ctx, "proc/self", buf, sizeof(buf)) > 0, 1);
}

static void test_modules_open(void **state)
{
	struct tu_host *f = *state;
	int fd = pt__modules_open(f->ctx, "modules.dep");

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(pt__modules_open(f->ctx, "modules.builtin"), -ENOENT);
	assert_int_equal(pt__modules_open(f->ctx, "../modules/modules.dep"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_is_valid),
		cmocka_unit_test(test_bdf_is_valid),
		cmocka_unit_test(test_path_pci_ancestor),
		cmocka_unit_test_setup_teardown(test_open_dir, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_open_dir_root, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_open_pci_dev, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_open_pci_dev_parent, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_openat_dir, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_read, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_read_long, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_read_hostile, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_read_fifo, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_read_range, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_exists, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_readlink, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_write, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_proc_open, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_dev, setup, tu_host_teardown),
		cmocka_unit_test_setup_teardown(test_modules_open, setup, tu_host_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
