// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The one place that turns names into paths below the context's roots.
 * Every component is validated: no "/", no "..", no empty names, so a
 * caller's string can never walk out of the tree. Reads go through
 * directory fds; writes use O_NOFOLLOW.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "private.h"

bool pt__name_is_valid(const char *name)
{
	size_t len;

	if (!name || !*name || name[0] == '.')
		return false;
	len = strlen(name);
	if (len > PT_NAME_MAX)
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' &&
		    *p != '.')
			return false;
	return true;
}

bool pt__bdf_is_valid(const char *bdf)
{
	static const char shape[] = "xxxx:xx:xx.x";

	if (!bdf || strlen(bdf) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i]; i++) {
		if (shape[i] == 'x') {
			if (!isxdigit((unsigned char)bdf[i]) ||
			    isupper((unsigned char)bdf[i]))
				return false;
		} else if (bdf[i] != shape[i]) {
			return false;
		}
	}
	/* device 0-1f, function 0-7 */
	return strtoul(bdf + 8, NULL, 16) <= 0x1f && bdf[11] <= '7';
}

/* A sysfs file or directory name: anything but "/", "." and "..". */
static bool component_is_valid(const char *s, size_t len)
{
	if (len == 0 || len > NAME_MAX)
		return false;
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	return memchr(s, '/', len) == NULL;
}

static bool rel_is_valid(const char *rel)
{
	const char *p = rel, *slash;

	if (!rel || !*rel || rel[0] == '/')
		return false;
	for (;;) {
		slash = strchr(p, '/');
		if (!component_is_valid(p, slash ? (size_t)(slash - p) : strlen(p)))
			return false;
		if (!slash)
			return true;
		p = slash + 1;
	}
}

static int root_fd(struct pt_ctx *ctx)
{
	if (ctx->sysfs_fd < 0) {
		ctx->sysfs_fd = open(ctx->sysfs_root,
				     O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (ctx->sysfs_fd < 0) {
			int e = errno;

			dbg(ctx, "%s: %s\n", ctx->sysfs_root, strerror(e));
			return -e;
		}
	}
	return ctx->sysfs_fd;
}

int pt__sysfs_open_dir(struct pt_ctx *ctx, const char *rel)
{
	int rfd = root_fd(ctx), fd;

	if (rfd < 0)
		return rfd;
	if (!rel_is_valid(rel))
		return -EINVAL;
	fd = openat(rfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int pt__sysfs_open_pci_dev(struct pt_ctx *ctx, const char *bdf)
{
	char rel[64];

	if (!pt__bdf_is_valid(bdf))
		return -EINVAL;
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s", bdf);
	return pt__sysfs_open_dir(ctx, rel);
}

int pt__sysfs_openat_dir(int dirfd, const char *name)
{
	int fd;

	if (!rel_is_valid(name))
		return -EINVAL;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

ssize_t pt__sysfs_read(int dirfd, const char *name, char *buf, size_t len)
{
	ssize_t n;
	int fd, e;

	if (len == 0)
		return -EINVAL;
	if (!rel_is_valid(name))
		return -EINVAL;
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	e = errno;
	close(fd);
	if (n < 0)
		return -e;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return n;
}

int pt__sysfs_read_long(int dirfd, const char *name, long *val)
{
	char buf[64], *end;
	ssize_t n = pt__sysfs_read(dirfd, name, buf, sizeof(buf));
	long v;

	if (n < 0)
		return (int)n;
	errno = 0;
	v = strtol(buf, &end, 0);
	if (errno || end == buf || (*end && !isspace((unsigned char)*end)))
		return -EINVAL;
	*val = v;
	return 0;
}

int pt__sysfs_exists(int dirfd, const char *name)
{
	struct stat st;

	if (!rel_is_valid(name))
		return -EINVAL;
	return fstatat(dirfd, name, &st, 0) < 0 ? -errno : 0;
}

ssize_t pt__sysfs_readlink(int dirfd, const char *name, char *buf, size_t len)
{
	ssize_t n;

	if (len == 0 || !rel_is_valid(name))
		return -EINVAL;
	n = readlinkat(dirfd, name, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

ssize_t pt__sysfs_readlink_base(int dirfd, const char *name, char *buf,
				size_t len)
{
	char target[PATH_MAX];
	ssize_t n = pt__sysfs_readlink(dirfd, name, target, sizeof(target));
	const char *base;
	size_t blen;

	if (n < 0)
		return n;
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	blen = strlen(base);
	if (blen == 0 || blen >= len)
		return -ENAMETOOLONG;
	memcpy(buf, base, blen + 1);
	return (ssize_t)blen;
}

int pt__sysfs_write(int dirfd, const char *name, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd, e;

	if (!rel_is_valid(name))
		return -EINVAL;
	/* O_TRUNC: sysfs ignores it (as with `echo x > attr`); a fixture's
	 * regular file must not keep the tail of a longer old value */
	fd = openat(dirfd, name, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	e = errno;
	if (close(fd) < 0 && n >= 0)
		return -errno;
	if (n < 0)
		return -e;
	return (size_t)n == len ? 0 : -EIO;
}

int pt__proc_open(struct pt_ctx *ctx, const char *rel)
{
	char path[PATH_MAX];
	int fd;

	if (!rel_is_valid(rel))
		return -EINVAL;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", ctx->proc_root, rel) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* root/rel into path, rel validated; 0 or -errno. */
static int root_path(const char *root, const char *rel, char *path, size_t len)
{
	if (!rel_is_valid(rel))
		return -EINVAL;
	if ((size_t)snprintf(path, len, "%s/%s", strcmp(root, "/") ? root : "",
			     rel) >= len)
		return -ENAMETOOLONG;
	return 0;
}

ssize_t pt__dev_readlink(struct pt_ctx *ctx, const char *rel, char *buf,
			 size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int r;

	if (len == 0)
		return -EINVAL;
	r = root_path(ctx->dev_root, rel, path, sizeof(path));
	if (r < 0)
		return r;
	n = readlink(path, buf, len - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

int pt__dev_exists(struct pt_ctx *ctx, const char *rel)
{
	char path[PATH_MAX];
	struct stat st;
	int r = root_path(ctx->dev_root, rel, path, sizeof(path));

	if (r < 0)
		return r;
	return stat(path, &st) < 0 ? -errno : 0;
}

int pt__modules_open(struct pt_ctx *ctx, const char *rel)
{
	char path[PATH_MAX];
	int r = root_path(ctx->modules_dir, rel, path, sizeof(path)), fd;

	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int pt__sysfs_path_pci_ancestor(const char *path, char bdf[PT_BDF_LEN])
{
	const char *p = path, *slash;
	bool found = false;

	for (;;) {
		slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if (len == PT_BDF_LEN - 1) {
			char c[PT_BDF_LEN];

			memcpy(c, p, len);
			c[len] = '\0';
			if (pt__bdf_is_valid(c)) {
				memcpy(bdf, c, PT_BDF_LEN);
				found = true;
			}
		}
		if (!slash)
			break;
		p = slash + 1;
	}
	return found ? 0 : -ENOENT;
}

/* ---- enumeration (pci.c's scan) ------------------------------------------ */

/* Open the sysfs root itself: 0, or -errno (-ENOENT: no such directory). */
int pt__sysfs_root_check(struct pt_ctx *ctx)
{
	int fd = root_fd(ctx);

	return fd < 0 ? fd : 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int pt__sysfs_list_dir(int dirfd, char ***names, size_t *n)
{
	size_t cap = 0, cnt = 0;
	char **v = NULL;
	struct dirent *e;
	DIR *dir;
	int fd, r = 0;

	*names = NULL;
	*n = 0;
	/* fdopendir owns its fd: give it a duplicate, the caller keeps dirfd */
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		r = -errno;
		close(fd);
		return r;
	}
	for (;;) {
		errno = 0;
		e = readdir(dir);
		if (!e) {
			r = -errno;	/* 0 at the end, -errno on a failed read */
			break;
		}
		if (e->d_name[0] == '.')
			continue;
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			char **nv = realloc(v, ncap * sizeof(*nv));

			if (!nv) {
				r = -ENOMEM;
				break;
			}
			v = nv;
			cap = ncap;
		}
		v[cnt] = strdup(e->d_name);
		if (!v[cnt]) {
			r = -ENOMEM;
			break;
		}
		cnt++;
	}
	closedir(dir);
	if (r < 0) {
		for (size_t i = 0; i < cnt; i++)
			free(v[i]);
		free(v);
		return r;
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_name);
	*names = v;
	*n = cnt;
	return 0;
}

int pt__sysfs_pci_dev_path(struct pt_ctx *ctx, const char *bdf,
			   const char *attr, char *buf, size_t len)
{
	const char *root = strcmp(ctx->sysfs_root, "/") ? ctx->sysfs_root : "";
	int n;

	if (bdf && attr)
		n = snprintf(buf, len, "%s/bus/pci/devices/%s/%s", root, bdf, attr);
	else if (bdf)
		n = snprintf(buf, len, "%s/bus/pci/devices/%s", root, bdf);
	else
		n = snprintf(buf, len, "%s/bus/pci/devices", root);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
