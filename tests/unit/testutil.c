// SPDX-License-Identifier: GPL-2.0-or-later
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libpassthru.h"
#include "testutil.h"

char *tu_mkdtemp(void)
{
	char tmpl[] = "/tmp/pt-unit-XXXXXX";
	char *d = mkdtemp(tmpl);

	if (!d)
		abort();
	return strdup(d);
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void tu_rmtree(const char *dir)
{
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* root/rel into path[PATH_MAX]; a test tree never needs more */
static void join(char *path, const char *root, const char *rel)
{
	if (snprintf(path, PATH_MAX, "%s/%s", root, rel) >= PATH_MAX)
		abort();
}

void tu_mkdir(const char *root, const char *rel)
{
	char path[PATH_MAX];

	join(path, root, rel);
	for (char *p = path + strlen(root) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			abort();
		*p = '/';
	}
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		abort();
}

static void mkparent(const char *root, const char *rel)
{
	char *copy = strdup(rel), *slash = strrchr(copy, '/');

	if (slash) {
		*slash = '\0';
		tu_mkdir(root, copy);
	}
	free(copy);
}

void tu_write(const char *root, const char *rel, const char *content)
{
	char path[PATH_MAX];
	FILE *f;

	mkparent(root, rel);
	join(path, root, rel);
	f = fopen(path, "w");
	if (!f)
		abort();
	fputs(content, f);
	fclose(f);
}

void tu_symlink(const char *root, const char *rel, const char *target)
{
	char path[PATH_MAX];

	mkparent(root, rel);
	join(path, root, rel);
	unlink(path);
	if (symlink(target, path) < 0)
		abort();
}

/* ---- sysfs trees -------------------------------------------------------- */

const char *tu_base(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

/* value, with a newline at the end as sysfs has (added when missing) */
static void write_line(const char *sys, const char *rel, const char *value)
{
	size_t n = strlen(value);
	char *v;

	if (!n || value[n - 1] == '\n') {
		tu_write(sys, rel, value);
		return;
	}
	if (asprintf(&v, "%s\n", value) < 0)
		abort();
	tu_write(sys, rel, v);
	free(v);
}

static void relf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void relf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		fail_msg("test tree path too long: %s", buf);
}

/* path, or pci0000:00/<path> for a bare BDF ("virtual" stays) */
static const char *dpath(const char *path, char *buf, size_t len)
{
	if (strchr(path, '/') || !strchr(path, ':'))
		return path;
	relf(buf, len, "pci0000:00/%s", path);
	return buf;
}

void tu_link(const char *sys, const char *rel, const char *target)
{
	char t[PATH_MAX] = "";
	size_t n = 0;

	for (const char *p = rel; *p; p++)
		if (*p == '/')
			n += 3;
	if (n + strlen(target) >= sizeof(t))
		fail_msg("test tree link too long: %s", rel);
	for (size_t i = 0; i < n; i += 3)
		strcat(t, "../");
	strcat(t, target);
	tu_symlink(sys, rel, t);
}

void tu_dev_attr(const char *sys, const char *path, const char *name, const char *value)
{
	char rel[PATH_MAX], p[64];

	relf(rel, sizeof(rel), "devices/%s/%s", dpath(path, p, sizeof(p)), name);
	write_line(sys, rel, value);
}

void tu_dev_link(const char *sys, const char *path, const char *name, const char *target)
{
	char rel[PATH_MAX], p[64];

	relf(rel, sizeof(rel), "devices/%s/%s", dpath(path, p, sizeof(p)), name);
	tu_link(sys, rel, target);
}

void tu_pci_fn(const char *sys, const char *path, const char *vendor,
	       const char *device, const char *class)
{
	char rel[PATH_MAX], t[PATH_MAX], p[64];

	tu_dev_attr(sys, path, "vendor", vendor);
	tu_dev_attr(sys, path, "device", device);
	tu_dev_attr(sys, path, "class", class);
	tu_dev_attr(sys, path, "irq", "0");
	tu_dev_attr(sys, path, "resource", "0x0000000000000000 0x0000000000000000 "
		    "0x0000000000000000");
	relf(rel, sizeof(rel), "bus/pci/devices/%s", tu_base(path));
	relf(t, sizeof(t), "devices/%s", dpath(path, p, sizeof(p)));
	tu_link(sys, rel, t);
}

void tu_pci_driver(const char *sys, const char *path, const char *drv)
{
	char rel[PATH_MAX];

	relf(rel, sizeof(rel), "bus/pci/drivers/%s", drv);
	tu_mkdir(sys, rel);
	tu_dev_link(sys, path, "driver", rel);
}

void tu_pci_group(const char *sys, const char *path, const char *group)
{
	char rel[PATH_MAX];

	relf(rel, sizeof(rel), "kernel/iommu_groups/%s/devices", group);
	tu_mkdir(sys, rel);
	relf(rel, sizeof(rel), "kernel/iommu_groups/%s", group);
	tu_dev_link(sys, path, "iommu_group", rel);
}

void tu_pci_vf(const char *sys, const char *pf, int idx, const char *vf)
{
	char name[32], t[PATH_MAX], p[64];

	relf(name, sizeof(name), "virtfn%d", idx);
	relf(t, sizeof(t), "devices/%s", dpath(vf, p, sizeof(p)));
	tu_dev_link(sys, pf, name, t);
	relf(t, sizeof(t), "devices/%s", dpath(pf, p, sizeof(p)));
	tu_dev_link(sys, vf, "physfn", t);
}

void tu_netdev(const char *sys, const char *path, const char *name,
	       const char *operstate)
{
	char rel[PATH_MAX], t[PATH_MAX], p[64];

	relf(rel, sizeof(rel), "%s/net/%s", dpath(path, p, sizeof(p)), name);
	if (operstate)
		tu_dev_attr(sys, rel, "operstate", operstate);
	else
		tu_mkdir(sys, rel);
	relf(t, sizeof(t), "devices/%s", rel);
	relf(rel, sizeof(rel), "class/net/%s", name);
	tu_link(sys, rel, t);
}

void tu_mdev_type_attr(const char *sys, const char *dir, const char *type,
		       const char *name, const char *value)
{
	char rel[PATH_MAX];

	relf(rel, sizeof(rel), "%s/mdev_supported_types/%s/%s", dir, type, name);
	tu_write(sys, rel, value);
}

void tu_mdev_type(const char *sys, const char *dir, const char *type,
		  const char *name, const char *available)
{
	char rel[PATH_MAX];

	tu_mdev_type_attr(sys, dir, type, "name", name);
	tu_mdev_type_attr(sys, dir, type, "available_instances", available);
	tu_mdev_type_attr(sys, dir, type, "device_api", "vfio-pci\n");
	relf(rel, sizeof(rel), "%s/mdev_supported_types/%s/devices", dir, type);
	tu_mkdir(sys, rel);
}

void tu_pci_subsys(const char *sys, const char *path, const char *vendor,
		   const char *device)
{
	tu_dev_attr(sys, path, "subsystem_vendor", vendor);
	tu_dev_attr(sys, path, "subsystem_device", device);
}

void tu_pci_vgpu(const char *sys, const char *path, const char *creatable,
		 const char *current)
{
	if (creatable)
		tu_dev_attr(sys, path, "nvidia/creatable_vgpu_types", creatable);
	if (current)
		tu_dev_attr(sys, path, "nvidia/current_vgpu_type", current);
}

/* ---- fixture hosts and contexts ----------------------------------------- */

struct tu_host *tu_host_new(unsigned int roots)
{
	struct tu_host *h = calloc(1, sizeof(*h));

	if (!h)
		abort();
	h->root = tu_mkdtemp();
	if (roots & TU_SYS) {
		relf(h->sys, sizeof(h->sys), "%s/sys", h->root);
		tu_mkdir(h->root, "sys/bus/pci/devices");
	}
	if (roots & TU_PROC) {
		relf(h->proc, sizeof(h->proc), "%s/proc", h->root);
		tu_mkdir(h->root, "proc");
	}
	if (roots & TU_DEV) {
		relf(h->dev, sizeof(h->dev), "%s/dev", h->root);
		tu_mkdir(h->root, "dev");
	}
	if (roots & TU_CONF)
		relf(h->conf, sizeof(h->conf), "%s/etc-passthru", h->root);
	return h;
}

struct pt_ctx *tu_host_ctx(struct tu_host *h)
{
	assert_int_equal(pt_new(&h->ctx), 0);
	pt_set_log_priority(h->ctx, 0);
	if (*h->sys)
		assert_int_equal(pt_set_sysfs_root(h->ctx, h->sys), 0);
	if (*h->proc)
		assert_int_equal(pt_set_proc_root(h->ctx, h->proc), 0);
	if (*h->dev)
		assert_int_equal(pt_set_dev_root(h->ctx, h->dev), 0);
	if (*h->mods)
		assert_int_equal(pt_set_modules_dir(h->ctx, h->mods), 0);
	if (*h->conf)
		assert_int_equal(pt_set_conf_dir(h->ctx, h->conf), 0);
	return h->ctx;
}

int tu_host_teardown(void **state)
{
	struct tu_host *h = *state;

	tu_tree_free(h->ctx, h->root);
	free(h);
	return 0;
}

struct pt_pci_dev *tu_pci_dev(struct pt_ctx *ctx, const char *bdf)
{
	struct pt_pci_dev *d = pt_pci_dev_find(ctx, bdf);

	if (!d)
		fail_msg("%s not found", bdf);
	return d;
}

char *tu_mktree(char *sys, size_t len)
{
	char *dir = tu_mkdtemp();

	relf(sys, len, "%s/sys", dir);
	tu_mkdir(dir, "sys");
	return dir;
}

int tu_sysfs_ctx(struct pt_ctx **ctx, const char *sys)
{
	int r = pt_new(ctx);

	if (r < 0)
		return r;
	pt_set_log_priority(*ctx, 0);
	return pt_set_sysfs_root(*ctx, sys);
}

void tu_tree_free(struct pt_ctx *ctx, char *dir)
{
	pt_unref(ctx);
	tu_rmtree(dir);
	free(dir);
}

/* ---- generated trees and the test kernel --------------------------------- */

void tu_gen_sysfs(const char *dir, char *const args[])
{
	const char *gen = getenv("PT_GEN_SYSFS");
	char *argv[16];
	int status = 0, n = 0;
	pid_t pid;

	if (!gen || !*gen)
		fail_msg("PT_GEN_SYSFS is not set: the path of tests/fixtures/gen-sysfs "
			 "(CTest sets it)");
	argv[n++] = (char *)gen;
	argv[n++] = "-q";
	for (int i = 0; args[i]; i++) {
		if (n == 14)
			fail_msg("%s: more than 12 arguments", gen);
		argv[n++] = args[i];
	}
	argv[n++] = (char *)dir;
	argv[n] = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execv(gen, argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("%s %s: status %#x", gen, dir, status);
}

const char *tu_fakekernel_path(void)
{
	static char path[PATH_MAX];
	const char *env = getenv("PT_FAKEKERNEL");
	char *slash;
	ssize_t n;

	if (env && *env)
		return access(env, X_OK) == 0 ? env : NULL;
	n = readlink("/proc/self/exe", path, sizeof(path) - 64);
	if (n < 0)
		return NULL;
	path[n] = '\0';
	slash = strrchr(path, '/');
	if (!slash)
		return NULL;
	strcpy(slash, "/../fakekernel/fakekernel");
	return access(path, X_OK) == 0 ? path : NULL;
}

pid_t tu_fakekernel_start(const char *fk, const char *root)
{
	char buf[8] = "";
	int fds[2];
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char fd[16];

		close(fds[0]);
		snprintf(fd, sizeof(fd), "%d", fds[1]);
		execl(fk, fk, "--root", root, "--ready-fd", fd, "--exit-with-parent",
		      (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	/* "ready\n" once every watch is in place; EOF when it failed */
	if (read(fds[0], buf, sizeof(buf) - 1) != 6 || strcmp(buf, "ready\n")) {
		int status = 0;

		close(fds[0]);
		waitpid(pid, &status, 0);
		fail_msg("%s did not start: status %#x", fk, status);
	}
	close(fds[0]);
	return pid;
}

void tu_fakekernel_stop(pid_t *pid)
{
	int status;

	if (*pid <= 0)
		return;
	assert_int_equal(kill(*pid, SIGTERM), 0);
	assert_int_equal(waitpid(*pid, &status, 0), *pid);
	*pid = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}
