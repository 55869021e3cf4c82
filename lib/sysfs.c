// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The one place that turns names into paths below the context's roots.
 * Every component is validated: no "/", no "..", no empty names, so a
 * caller's string can never walk out of the tree. Reads go through
 * directory fds; writes use O_NOFOLLOW.
 *
 * A tree's own symlinks must not lead out of it either. On the live /sys
 * (a sysfs mount) the kernel's links are trusted. Any other root is a
 * captured or hand-made tree that a hostile user may have shaped, so
 * every lookup is resolved by the kernel inside the root: openat2(2)
 * with RESOLVE_IN_ROOT from the root, or RESOLVE_BENEATH from a directory
 * fd that was itself opened that way. A lookup below a directory fd that
 * leaves it (class/block/dm-0/dm/name goes up through ../../devices) is
 * redone from the root that holds the directory, with the directory's
 * root-relative path: an absolute link ("/etc/shadow") then lands on
 * <root>/etc/shadow, and ".." stops at the root. So a link target read
 * here is only ever interpreted inside the root. A kernel without
 * openat2 (before Linux 5.6) can read only the live /sys.
 *
 * Attributes are opened O_NONBLOCK | O_NOCTTY and read with one bounded
 * read (len - 1 bytes) before anything else: a stat per attribute was a
 * fifth of the scan's system calls. Only a read that gives 0 bytes or
 * fails asks fstat(2) what the file is: an empty regular file reads as
 * "", anything else (a FIFO without data, a device node) is refused
 * with -EINVAL, a directory with -EISDIR. Never a hang, on any tree.
 * The fstat ran after the open before too, so it never kept an open's
 * side effects away; what it kept away was the read. What reading first
 * changes on a hostile captured tree:
 *  - a FIFO with a live writer that has written reads as those bytes (at
 *    most len - 1 of them; the rest stay in the pipe). The tree's owner
 *    could put the same bytes in a regular file: nothing is learnt and
 *    nothing is forced that a plain attribute could not do, and only the
 *    owner's own pipe is drained. A FIFO without a writer reads 0 bytes,
 *    one with a silent writer -EAGAIN: both are still refused.
 *  - a device node gets one non-blocking read of at most len - 1 bytes
 *    (and never becomes a controlling terminal: O_NOCTTY); the open
 *    itself ran before as well. An unprivileged user cannot make one
 *    (mknod needs CAP_MKNOD). A hard link to one cannot cross file
 *    systems (the host's /dev is root's devtmpfs) and, with
 *    fs.protected_hardlinks, needs read and write access to the node:
 *    only a node the user may read anyway (a chroot's or container's
 *    /dev/null, /dev/zero, /dev/tty on the tree's file system) can be
 *    planted. Reading it gives them nothing new; what it costs is that
 *    node's read: a /dev/tty there is pt's own terminal, whose typed-ahead
 *    input would be taken as the attribute's value.
 *  - sockets cannot be opened (ENXIO); links stay inside the root (above).
 * On the live /sys every attribute is a regular kernfs file, so the
 * fstat is asked only where the kernel answered 0 bytes or an error;
 * the read path has no context to tell which tree it is on.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
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

static int sys_openat2(int dirfd, const char *path, int flags,
		       uint64_t resolve)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = resolve,
	};
	int fd;

	/* -EAGAIN: a concurrent rename anywhere on the system; retry */
	for (int i = 0; i < 8; i++) {
		fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	return fd;
}

static bool is_live(struct pt_ctx *ctx)
{
	return !strcmp(ctx->sysfs_root, "/sys");
}

/* Is fd on a sysfs mount (the kernel's own tree, links trusted)? */
static bool on_sysfs(int fd)
{
	struct statfs sf;

	return fstatfs(fd, &sf) == 0 && sf.f_type == SYSFS_MAGIC;
}

/* The path the kernel has for fd (through /proc/self/fd); 0 or -errno. */
static int fd_path(int fd, char *buf, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, len - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= len - 1)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return buf[0] == '/' ? 0 : -ENOENT;
}

/*
 * The captured roots this process reads, by the kernel's path of each.
 * A lookup that leaves its directory fd is redone from the root whose
 * path is the longest prefix of the directory's. Entries are a few
 * strings, kept for the life of the process (bounded, deduplicated).
 */
#define MAX_ROOTS	16
static pthread_mutex_t roots_lock = PTHREAD_MUTEX_INITIALIZER;
static char *roots[MAX_ROOTS];
static size_t n_roots;

static void register_root(int rfd)
{
	char path[PATH_MAX];
	size_t i;

	if (fd_path(rfd, path, sizeof(path)) < 0)
		return;
	pthread_mutex_lock(&roots_lock);
	for (i = 0; i < n_roots && strcmp(roots[i], path); i++)
		;
	if (i == n_roots) {
		if (n_roots == MAX_ROOTS) {
			free(roots[0]);
			memmove(roots, roots + 1, (MAX_ROOTS - 1) * sizeof(*roots));
			n_roots--;
		}
		roots[n_roots] = strdup(path);
		if (roots[n_roots])
			n_roots++;
	}
	pthread_mutex_unlock(&roots_lock);
}

/* Copy the registered root holding path into out; its length or -EXDEV. */
static ssize_t root_of(const char *path, char *out, size_t len)
{
	ssize_t best = -EXDEV;

	pthread_mutex_lock(&roots_lock);
	for (size_t i = 0; i < n_roots; i++) {
		size_t rl = strlen(roots[i]);

		if ((ssize_t)rl <= best || rl >= len ||
		    strncmp(path, roots[i], rl) ||
		    (path[rl] != '/' && path[rl] != '\0'))
			continue;
		memcpy(out, roots[i], rl + 1);
		best = (ssize_t)rl;
	}
	pthread_mutex_unlock(&roots_lock);
	return best;
}

/* dirfd/name looked up from the root holding dirfd, RESOLVE_IN_ROOT. */
static int open_from_root(int dirfd, const char *name, int flags)
{
	char dpath[PATH_MAX], root[PATH_MAX], rel[PATH_MAX];
	const char *drel;
	ssize_t rl;
	int rfd, fd, r, e;

	r = fd_path(dirfd, dpath, sizeof(dpath));
	if (r < 0)
		return r;
	rl = root_of(dpath, root, sizeof(root));
	if (rl < 0)
		return (int)rl;
	drel = dpath + rl;
	while (*drel == '/')
		drel++;
	if ((size_t)snprintf(rel, sizeof(rel), "%s%s%s", drel, *drel ? "/" : "",
			     name) >= sizeof(rel))
		return -ENAMETOOLONG;
	rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return -errno;
	fd = sys_openat2(rfd, rel, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
	e = errno;
	close(rfd);
	return fd < 0 ? -e : fd;
}

/*
 * Open name below dirfd, resolved inside the tree (see the top of the
 * file); an fd or -errno.
 */
static int tree_openat(int dirfd, const char *name, int flags)
{
	int fd, e;

	fd = sys_openat2(dirfd, name, flags, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
	if (fd >= 0)
		return fd;
	e = errno;
	if (e != EXDEV && e != ENOSYS)
		return -e;
	if (on_sysfs(dirfd)) {
		fd = openat(dirfd, name, flags | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	if (e == ENOSYS)
		return -ENOSYS;
	return open_from_root(dirfd, name, flags);
}

static int root_fd(struct pt_ctx *ctx)
{
	if (ctx->sysfs_fd < 0) {
		int fd = open(ctx->sysfs_root, O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0) {
			int e = errno;

			dbg(ctx, "%s: %s\n", ctx->sysfs_root, strerror(e));
			return -e;
		}
		/* known once: pt__sysfs_open_dir() runs for every function */
		ctx->sysfs_trusted = is_live(ctx) || on_sysfs(fd);
		if (!ctx->sysfs_trusted) {
			int t = sys_openat2(fd, ".", O_PATH | O_DIRECTORY,
					    RESOLVE_IN_ROOT);

			if (t < 0 && errno == ENOSYS) {
				err(ctx, "%s: reading a sysfs tree other than the live /sys needs openat2(2) (Linux 5.6 or later), which this kernel lacks; read the tree on a newer kernel\n",
				    ctx->sysfs_root);
				close(fd);
				return -ENOSYS;
			}
			if (t >= 0)
				close(t);
			register_root(fd);
		}
		ctx->sysfs_fd = fd;
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
	if (ctx->sysfs_trusted) {
		fd = openat(rfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		fd = sys_openat2(rfd, rel, O_RDONLY | O_DIRECTORY,
				 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
	}
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

/*
 * The directory above the function's own, where the kernel's virtfnN link
 * "../<vf>" leads: ".." taken after the bus/pci/devices/<bdf> link was
 * followed, as the kernel takes it when it follows virtfnN, and on a
 * captured tree never above the root (RESOLVE_IN_ROOT). So <parent>/<vf>
 * is the directory that <pf>/virtfnN leads to; a scan opens a VF there
 * with one lookup instead of walking bus/pci/devices/<vf>'s link again.
 */
int pt__sysfs_open_pci_dev_parent(struct pt_ctx *ctx, const char *bdf)
{
	char rel[64];
	int rfd = root_fd(ctx), fd;

	if (rfd < 0)
		return rfd;
	if (!pt__bdf_is_valid(bdf))
		return -EINVAL;
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/..", bdf);
	if (ctx->sysfs_trusted)
		fd = openat(rfd, rel, O_PATH | O_DIRECTORY | O_CLOEXEC);
	else
		fd = sys_openat2(rfd, rel, O_PATH | O_DIRECTORY,
				 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
	return fd < 0 ? -errno : fd;
}

/*
 * class/net/NAME is a link into the device tree (.../0000:03:00.2/net/NAME):
 * followed from the root in one lookup (RESOLVE_IN_ROOT on a captured
 * tree), not from a class/net fd, where it leaves the directory and would
 * be redone from the root.
 */
int pt__sysfs_open_netdev(struct pt_ctx *ctx, const char *name)
{
	char rel[NAME_MAX + 16];

	if (!component_is_valid(name, strlen(name)))
		return -EINVAL;
	snprintf(rel, sizeof(rel), "class/net/%s", name);
	return pt__sysfs_open_dir(ctx, rel);
}

int pt__sysfs_openat_dir(int dirfd, const char *name)
{
	if (!rel_is_valid(name))
		return -EINVAL;
	return tree_openat(dirfd, name, O_RDONLY | O_DIRECTORY);
}

/*
 * Not a regular file (a FIFO, a device node): -EINVAL; a directory:
 * -EISDIR; a regular file: 0. Asked only when a read gave 0 bytes or
 * failed (see the top of the file).
 */
static int attr_kind(int fd)
{
	struct stat sb;

	if (fstat(fd, &sb) < 0)
		return -errno;
	if (S_ISREG(sb.st_mode))
		return 0;
	return S_ISDIR(sb.st_mode) ? -EISDIR : -EINVAL;
}

ssize_t pt__sysfs_read(int dirfd, const char *name, char *buf, size_t len)
{
	ssize_t n;
	int fd, e, k;

	if (len == 0)
		return -EINVAL;
	if (!rel_is_valid(name))
		return -EINVAL;
	fd = tree_openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return fd;
	/* one bounded read, no fstat first: the common path is 3 calls */
	do {
		n = read(fd, buf, len - 1);
	} while (n < 0 && errno == EINTR);
	e = errno;
	if (n <= 0) {
		/* an empty attribute, or a FIFO without data: tell them apart */
		k = attr_kind(fd);
		if (k < 0) {
			close(fd);
			return k;
		}
	}
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

int pt__sysfs_read_range(struct pt_ctx *ctx, int dirfd, const char *name,
			 long min, long max, long *val)
{
	char buf[64], *end, where[PATH_MAX];
	ssize_t n = pt__sysfs_read(dirfd, name, buf, sizeof(buf));
	long v;

	if (n < 0)
		return (int)n;
	errno = 0;
	v = strtol(buf, &end, 0);
	if (end == buf || (*end && !isspace((unsigned char)*end)))
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max) {
		if (fd_path(dirfd, where, sizeof(where)) < 0)
			snprintf(where, sizeof(where), ".");
		warn(ctx, "%s/%s: %s is out of range, the kernel keeps it within [%ld, %ld]; attribute ignored\n",
		     where, name, buf, min, max);
		return -ERANGE;
	}
	*val = v;
	return 0;
}

int pt__sysfs_exists(int dirfd, const char *name)
{
	int fd;

	if (!rel_is_valid(name))
		return -EINVAL;
	fd = tree_openat(dirfd, name, O_PATH);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

ssize_t pt__sysfs_readlink(int dirfd, const char *name, char *buf, size_t len)
{
	const char *base = strrchr(name, '/');
	ssize_t n;
	int pfd = dirfd, e;

	if (len == 0 || !rel_is_valid(name))
		return -EINVAL;
	if (base) {
		char parent[PATH_MAX];

		if ((size_t)(base - name) >= sizeof(parent))
			return -ENAMETOOLONG;
		memcpy(parent, name, base - name);
		parent[base - name] = '\0';
		pfd = tree_openat(dirfd, parent, O_PATH | O_DIRECTORY);
		if (pfd < 0)
			return pfd;
		base++;
	} else {
		base = name;
	}
	n = readlinkat(pfd, base, buf, len - 1);
	e = errno;
	if (pfd != dirfd)
		close(pfd);
	if (n < 0)
		return -e;
	buf[n] = '\0';
	return n;
}

ssize_t pt__sysfs_readlink_sibling(int dirfd, const char *name, char *buf,
				   size_t len, bool *sibling)
{
	char target[PATH_MAX];
	ssize_t n = pt__sysfs_readlink(dirfd, name, target, sizeof(target));
	const char *base;
	size_t blen;

	if (sibling)
		*sibling = false;
	if (n < 0)
		return n;
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	blen = strlen(base);
	if (blen == 0 || blen >= len)
		return -ENAMETOOLONG;
	memcpy(buf, base, blen + 1);
	if (sibling)
		*sibling = base == target + 3 && !strncmp(target, "../", 3) &&
			   component_is_valid(base, blen);
	return (ssize_t)blen;
}

ssize_t pt__sysfs_readlink_base(int dirfd, const char *name, char *buf,
				size_t len)
{
	return pt__sysfs_readlink_sibling(dirfd, name, buf, len, NULL);
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

/* "pid N (comm)", the name's control characters as '?'. */
void pt__proc_who(struct pt_ctx *ctx, const char *pid, char *who, size_t wlen)
{
	char rel[NAME_MAX + 8], comm[64] = "";
	ssize_t n = -1;
	int fd;

	snprintf(rel, sizeof(rel), "%s/comm", pid);
	fd = pt__proc_open(ctx, rel);
	if (fd >= 0) {
		n = read(fd, comm, sizeof(comm) - 1);
		close(fd);
	}
	comm[n > 0 ? n : 0] = '\0';
	comm[strcspn(comm, "\n")] = '\0';
	for (char *c = comm; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	snprintf(who, wlen, "pid %s%s%s%s", pid, *comm ? " (" : "", comm, *comm ? ")" : "");
}

int pt__proc_dev_holder(struct pt_ctx *ctx, const char *devrel, char *who,
			size_t wlen)
{
	char want[PATH_MAX], link[PATH_MAX], rel[NAME_MAX + 8];
	struct dirent *de, *fe;
	int r = root_path(ctx->dev_root, devrel, want, sizeof(want)), found = 0;
	DIR *d;

	if (r < 0)
		return r;
	d = opendir(ctx->proc_root);
	if (!d)
		return -errno;
	while (!found && (de = readdir(d))) {
		int fd;
		DIR *fdd;

		if (!de->d_name[0] || strspn(de->d_name, "0123456789") != strlen(de->d_name))
			continue;
		snprintf(rel, sizeof(rel), "%s/fd", de->d_name);
		/* another user's process, or one that exited: not ours to see */
		fd = openat(dirfd(d), rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		fdd = fdopendir(fd);
		if (!fdd) {
			close(fd);
			continue;
		}
		while (!found && (fe = readdir(fdd))) {
			ssize_t n;

			if (fe->d_name[0] == '.')
				continue;
			n = readlinkat(dirfd(fdd), fe->d_name, link, sizeof(link) - 1);
			if (n < 0)
				continue;
			link[n] = '\0';
			found = !strcmp(link, want);
		}
		closedir(fdd);
		if (found)
			pt__proc_who(ctx, de->d_name, who, wlen);
	}
	closedir(d);
	return found;
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

/* ---- object paths: the only place PCI objects become sysfs paths -------- */

int pt__sysfs_pci_dev_rel(const char *bdf, char *buf, size_t len)
{
	if (!pt__bdf_is_valid(bdf))
		return -EINVAL;
	return snprintf(buf, len, "bus/pci/devices/%s", bdf) < (int)len ?
	       0 : -ERANGE;
}

int pt__sysfs_pci_driver_rel(const char *driver, char *buf, size_t len)
{
	if (!pt__name_is_valid(driver))
		return -EINVAL;
	return snprintf(buf, len, "bus/pci/drivers/%s", driver) < (int)len ?
	       0 : -ERANGE;
}

int pt__sysfs_open_pci_driver(struct pt_ctx *ctx, const char *driver)
{
	char rel[PT_NAME_MAX + 32];
	int r = pt__sysfs_pci_driver_rel(driver, rel, sizeof(rel));

	return r < 0 ? r : pt__sysfs_open_dir(ctx, rel);
}

int pt__sysfs_open_pci_bus(struct pt_ctx *ctx)
{
	return pt__sysfs_open_dir(ctx, PT__SYSFS_PCI_BUS);
}

ssize_t pt__sysfs_readlink_pci_dev(struct pt_ctx *ctx, const char *bdf,
				   char *buf, size_t len)
{
	ssize_t n;
	int fd;

	if (!pt__bdf_is_valid(bdf))
		return -EINVAL;
	fd = pt__sysfs_open_dir(ctx, "bus/pci/devices");
	if (fd < 0)
		return fd;
	n = pt__sysfs_readlink(fd, bdf, buf, len);
	close(fd);
	return n;
}

int pt__dev_vfio_group_rel(const char *group, char *buf, size_t len)
{
	if (!pt__name_is_valid(group))
		return -EINVAL;
	return snprintf(buf, len, "vfio/%s", group) < (int)len ? 0 : -ERANGE;
}

int pt__dev_usb_rel(int busnum, int devnum, char *buf, size_t len)
{
	/* the kernel numbers buses from 1 and devices 1..127 on each */
	if (busnum < 1 || busnum > 999 || devnum < 1 || devnum > 127)
		return -EINVAL;
	return snprintf(buf, len, "bus/usb/%03d/%03d", busnum, devnum) < (int)len ? 0 : -ERANGE;
}

int pt__dev_open_node(struct pt_ctx *ctx, const char *rel)
{
	char comp[NAME_MAX + 1];
	const char *p = rel, *slash;
	int fd, next;

	if (!rel_is_valid(rel))
		return -EINVAL;
	fd = open(ctx->dev_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* one component at a time, none of them a link: not even the last */
	for (;;) {
		size_t n;

		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (n >= sizeof(comp)) {
			close(fd);
			return -ENAMETOOLONG;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		next = openat(fd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC |
			      (slash ? O_DIRECTORY : 0));
		if (next < 0) {
			int e = errno;

			close(fd);
			/* O_NOFOLLOW|O_DIRECTORY on a link: ENOTDIR */
			return e == ENOTDIR && slash ? -ELOOP : -e;
		}
		close(fd);
		fd = next;
		if (!slash)
			break;
		p = slash + 1;
	}
	{
		struct stat st;

		if (fstat(fd, &st) < 0 || S_ISLNK(st.st_mode)) {
			close(fd);
			return -ELOOP;
		}
	}
	return fd;
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
