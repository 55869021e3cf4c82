// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fakekernel: the Linux kernel's side of the binders, on a fixture tree.
 *
 *   fakekernel --root DIR [--control FILE] [--log FILE] [--pidfile FILE]
 *              [--ready-fd N | --ready-file FILE] [--exit-with-parent]
 *
 * DIR is a tree that tests/fixtures/gen-sysfs wrote (DIR/sys, DIR/dev).
 * The daemon watches, with inotify, the directories of sysfs that hold the
 * attributes the binders write, and when a writer closes one of them
 * (IN_CLOSE_WRITE) it does to the tree what Linux would do: move driver
 * links on bind/unbind/drivers_probe, create and remove SR-IOV VFs on
 * sriov_numvfs, mdev instances on create/remove, set an NVIDIA VF's vGPU
 * type. It then puts back what the kernel shows when the attribute is read
 * (nothing for a write-only file, the new value for driver_override, ...).
 * A write the kernel would refuse leaves the tree as it was, and so does
 * one that the control file tells it to refuse: the library notices either
 * by checking the post-condition. Every reaction is one line of the log.
 *
 * The daemon never writes a regular file in place: it writes a temporary
 * file in its state directory and renames it over the target, so its own
 * writes raise no IN_CLOSE_WRITE (inotify would merge such an event with a
 * writer's next identical one, and the writer's would be lost).
 *
 * README.md next to this file documents the behaviour and the control file.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define VFIO_MAJOR 236
#define MAX_VFIO_DEVS 4096
#define MAX_GROUPS 65536

/* ------------------------------------------------------------------------
 * State
 * ---------------------------------------------------------------------- */

struct dev {
	char bdf[16];
	char *path;		/* the function's directory, below sys/ */
	char *native;		/* what drivers_probe binds without an override */
	char *override;		/* driver_override; NULL shows "(null)" */
	int wd, nvwd;
	/* SR-IOV physical function (totalvfs > 0) */
	int totalvfs, numvfs, autoprobe;
	/* virtual function (pf[0] != 0) */
	char pf[16];
	int vf_index;
	/* NVIDIA per-VF vGPU (nvidia/ present) */
	bool vgpu;
	long vgpu_cur;
	char *vgpu_saved;	/* creatable_vgpu_types while a type is set */
	/* net/ moved to the state directory while unbound from this driver */
	char *stash_driver;
};

struct parent {			/* an mdev parent (class/mdev_bus/NAME) */
	char *name, *path;
	char *driver;		/* bus/mdev driver its instances bind to */
	bool homogeneous;	/* NVIDIA: one type at a time */
};

struct mtype {
	struct parent *parent;
	char *id;
	long max, avail;
	int wd;
};

struct mdev {
	char uuid[40];
	struct mtype *type;
	char *path;
	int group, wd;
};

/* What existing VFs taught us about the VFs of a vendor:device. */
struct vfinfo {
	unsigned int vendor, device;
	char svid[16], sdid[16];
	char *driver;
	char *vgpu_table;
};

enum { W_NONE, W_BUS, W_DRIVERS, W_DRIVER, W_DEV, W_NVIDIA, W_MTYPE, W_MDEV,
       W_CONTROL };

struct watch {
	int kind;
	void *obj;
	char *dir;		/* below sys/ (W_CONTROL: absolute) */
};

enum { R_REFUSE, R_DELAY, R_NATIVE, R_FAIL, R_KILL };

struct rule {
	int kind;
	char act[32], target[PATH_MAX], arg[64];
	long after, hits, ms;
};

struct failed {			/* an attribute replaced by a symlink loop */
	char *path;
	mode_t mode;
	char *data;
	size_t len;
};

static int sysfd = -1, devfd = -1, statefd = -1, ifd = -1;
static char *root, *sys_abs, *dev_abs, *state_abs, *control_path, *control_dir,
	*control_base, *log_path;
static FILE *logfp;
static unsigned long seq;

static struct dev **devs;
static size_t ndevs;
static struct parent **parents;
static size_t nparents;
static struct mtype **mtypes;
static size_t nmtypes;
static struct mdev **mdevs;
static size_t nmdevs;
static struct vfinfo *vfinfos;
static size_t nvfinfos;
static struct watch *watches;
static int nwatches;
static struct rule *rules;
static size_t nrules;
static struct failed *fails;
static size_t nfails;
static unsigned char vfio_used[MAX_VFIO_DEVS / 8];

/* ------------------------------------------------------------------------
 * Small helpers
 * ---------------------------------------------------------------------- */

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("fakekernel: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (!p)
		die("out of memory");
	return p;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		die("out of memory");
	return p;
}

static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		die("out of memory");
	va_end(ap);
	return p;
}

/* snprintf for paths and names: truncation would be a bug here, so it
 * ends the daemon rather than act on a wrong path. */
static void __attribute__((format(printf, 3, 4)))
pathf(char *buf, size_t len, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(buf, len, f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		die("name too long: %s...", buf);
}

/* snprintf for messages: a long one is cut short. */
static void __attribute__((format(printf, 3, 4)))
msg(char *buf, size_t len, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	vsnprintf(buf, len, f, ap);
	va_end(ap);
}

#define GROW(arr, n) do { \
	void *np_ = realloc((arr), ((n) + 1) * sizeof(*(arr))); \
	if (!np_) \
		die("out of memory"); \
	(arr) = np_; \
} while (0)

/* A detail line of the current reaction (the "#N" line follows it). */
static void note(const char *fmt, ...)
{
	va_list ap;

	if (!logfp)
		return;
	fputs("  ", logfp);
	va_start(ap, fmt);
	vfprintf(logfp, fmt, ap);
	va_end(ap);
	fputc('\n', logfp);
	fflush(logfp);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static const char *base_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* dirname into buf ("" for a bare name). */
static char *dir_of(const char *path, char *buf, size_t len)
{
	const char *s = strrchr(path, '/');
	size_t n = s ? (size_t)(s - path) : 0;

	if (n >= len)
		n = len - 1;
	memcpy(buf, path, n);
	buf[n] = '\0';
	return buf;
}

static bool is_bdf(const char *s)
{
	static const char shape[] = "xxxx:xx:xx.x";

	if (strlen(s) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'x' ? !isxdigit((unsigned char)s[i]) : s[i] != shape[i])
			return false;
	return true;
}

/* The lowercase form of a UUID as uuid_parse() accepts it, or false. */
static bool uuid_norm(const char *s, char out[37])
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i])) {
			return false;
		}
		out[i] = (char)tolower((unsigned char)s[i]);
	}
	out[36] = '\0';
	return true;
}

/* Printable form of a written value for the log. */
static const char *shown(const char *v, size_t len)
{
	static char buf[160];
	size_t o = 0;

	for (size_t i = 0; i < len && o + 5 < sizeof(buf); i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '\n')
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\n");
		else if (c == '"' || c == '\\')
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\%c", c);
		else if (isprint(c))
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\x%02x", c);
	}
	buf[o] = '\0';
	return buf;
}

/* ------------------------------------------------------------------------
 * Paths below sys/: lexical, as every link in a fixture tree is relative
 * ---------------------------------------------------------------------- */

static int split(char *buf, const char **comp, int max)
{
	int n = 0;
	char *save = NULL;

	for (char *t = strtok_r(buf, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
		if (!strcmp(t, "."))
			continue;
		if (!strcmp(t, "..")) {
			if (n == 0)
				return -1;
			n--;
			continue;
		}
		if (n == max)
			return -1;
		comp[n++] = t;
	}
	return n;
}

/* dir + relative target, normalised; -EINVAL if it leaves sys/. */
static int norm_join(const char *dir, const char *target, char *out, size_t len)
{
	char buf[2 * PATH_MAX + 2];
	const char *comp[256];
	size_t o = 0;
	int n;

	if (target[0] == '/')
		return -EINVAL;
	pathf(buf, sizeof(buf), "%s/%s", dir, target);
	n = split(buf, comp, 256);
	if (n < 0)
		return -EINVAL;
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		int w = snprintf(out + o, len - o, "%s%s", i ? "/" : "", comp[i]);

		if (w < 0 || (size_t)w >= len - o)
			return -ENAMETOOLONG;
		o += (size_t)w;
	}
	return 0;
}

/* The relative path from directory `from` to `to` (both below sys/). */
static void relpath(const char *from, const char *to, char *out, size_t len)
{
	char fb[PATH_MAX], tb[PATH_MAX];
	const char *fc[256], *tc[256];
	int nf, nt, c = 0;
	size_t o = 0;

	pathf(fb, sizeof(fb), "%s", from);
	pathf(tb, sizeof(tb), "%s", to);
	nf = split(fb, fc, 256);
	nt = split(tb, tc, 256);
	while (c < nf && c < nt && !strcmp(fc[c], tc[c]))
		c++;
	out[0] = '\0';
	for (int i = c; i < nf && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, "../");
	for (int i = c; i < nt && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%s", i > c ? "/" : "", tc[i]);
	if (o >= len)
		die("name too long: %s", to);
	if (o > 0 && out[o - 1] == '/')
		out[o - 1] = '\0';
}

/* Where the symlink `link` (below sys/, in a real directory) points. */
static int link_target(const char *link, char *out, size_t len)
{
	char t[PATH_MAX], d[PATH_MAX];
	ssize_t n = readlinkat(sysfd, link, t, sizeof(t) - 1);

	if (n < 0)
		return -errno;
	t[n] = '\0';
	return norm_join(dir_of(link, d, sizeof(d)), t, out, len);
}

/* The last component of the symlink's target ("vfio-pci", "28"). */
static int link_base(const char *link, char *out, size_t len)
{
	char t[PATH_MAX];
	ssize_t n = readlinkat(sysfd, link, t, sizeof(t) - 1);

	if (n < 0)
		return -errno;
	t[n] = '\0';
	pathf(out, len, "%s", base_of(t));
	return 0;
}

static int mkdirs(int dfd, const char *rel)
{
	char buf[PATH_MAX];

	pathf(buf, sizeof(buf), "%s", rel);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdirat(dfd, buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdirat(dfd, buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Symlink `link` -> `target` (both below sys/), relative, as sysfs has them. */
static int mklink(const char *link, const char *target)
{
	char d[PATH_MAX], rel[PATH_MAX];

	dir_of(link, d, sizeof(d));
	relpath(d, target, rel, sizeof(rel));
	if (symlinkat(rel, sysfd, link) == 0)
		return 0;
	if (errno == EEXIST && unlinkat(sysfd, link, 0) == 0)
		return symlinkat(rel, sysfd, link) < 0 ? -errno : 0;
	if (errno == ENOENT && *d && mkdirs(sysfd, d) == 0)
		return symlinkat(rel, sysfd, link) < 0 ? -errno : 0;
	return -errno;
}

static void rmlink(int dfd, const char *rel)
{
	if (unlinkat(dfd, rel, 0) < 0 && errno != ENOENT)
		note("warning: removing %s: %s", rel, strerror(errno));
}

/* The directory rel below dfd, open for readdir; NULL (errno set) if none. */
static DIR *opendir_at(int dfd, const char *rel)
{
	int fd = openat(dfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;

	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d)
		close(fd);
	return d;
}

static int rm_rf_at(int dfd, const char *rel)
{
	struct stat st;
	DIR *dir;
	struct dirent *e;
	int fd;

	if (fstatat(dfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dfd, rel, 0) < 0 ? -errno : 0;
	fd = openat(dfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return -errno;
	}
	while ((e = readdir(dir)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			rm_rf_at(dirfd(dir), e->d_name);
	closedir(dir);
	return unlinkat(dfd, rel, AT_REMOVEDIR) < 0 ? -errno : 0;
}

/* Read a file (below the dirfd) whole; a write-only one is made readable
 * to its owner first (the daemon puts the file back afterwards anyway). */
static ssize_t read_at(int dfd, const char *rel, char *buf, size_t len)
{
	ssize_t n, got = 0;
	int fd = openat(dfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == EACCES) {
		struct stat st;

		if (fstatat(dfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    fchmodat(dfd, rel, (st.st_mode & 07777) | S_IRUSR, 0) == 0)
			fd = openat(dfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return -errno;
	while ((size_t)got < len - 1 &&
	       (n = read(fd, buf + got, len - 1 - (size_t)got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	return got;
}

/* An attribute's text without trailing whitespace. */
static int attr(const char *rel, char *buf, size_t len)
{
	ssize_t n = read_at(sysfd, rel, buf, len);

	if (n < 0)
		return (int)n;
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	return 0;
}

static long attr_long(const char *rel, long dflt, int base)
{
	char buf[64], *end;
	long v;

	if (attr(rel, buf, sizeof(buf)) < 0 || !*buf)
		return dflt;
	errno = 0;
	v = strtol(buf, &end, base);
	return errno || *end ? dflt : v;
}

/* Write a file whole by renaming a temporary one over it (see the top). */
static int put_at(int dfd, const char *rel, const void *data, size_t len,
		  mode_t mode)
{
	static bool warned;
	int fd = openat(statefd, "tmp/file", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			0600);
	char d[PATH_MAX];

	if (fd < 0)
		return -errno;
	if ((len && write(fd, data, len) != (ssize_t)len) || fchmod(fd, mode) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	close(fd);
	if (renameat(statefd, "tmp/file", dfd, rel) == 0)
		return 0;
	if (errno == ENOENT && *dir_of(rel, d, sizeof(d)) && mkdirs(dfd, d) == 0 &&
	    renameat(statefd, "tmp/file", dfd, rel) == 0)
		return 0;
	if (errno != EXDEV)
		return -errno;
	/* the state directory is on another file system: write in place */
	if (!warned)
		note("warning: %s is on another file system than the tree; "
		     "writing in place (events of our own writes may hide a "
		     "writer's)", state_abs);
	warned = true;
	unlinkat(statefd, "tmp/file", 0);
	fd = openat(dfd, rel, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		    mode);
	if (fd < 0)
		return -errno;
	if (len && write(fd, data, len) != (ssize_t)len) {
		int e = errno;

		close(fd);
		return -e;
	}
	fchmod(fd, mode);
	close(fd);
	return 0;
}

static int put(const char *rel, const char *text, mode_t mode)
{
	int r = put_at(sysfd, rel, text, strlen(text), mode);

	if (r < 0)
		note("warning: writing %s: %s", rel, strerror(-r));
	return r;
}

static int putf(const char *rel, mode_t mode, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		die("out of memory");
	va_end(ap);
	r = put(rel, s, mode);
	free(s);
	return r;
}

static bool exists_at(int dfd, const char *rel)
{
	struct stat st;

	return fstatat(dfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static bool is_dir(const char *rel)
{
	struct stat st;

	return fstatat(sysfd, rel, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

/* ------------------------------------------------------------------------
 * Watches
 * ---------------------------------------------------------------------- */

static int watch(const char *dir, uint32_t mask, int kind, void *obj)
{
	char *abs = kind == W_CONTROL ? xstrdup(dir) : xasprintf("%s/%s", sys_abs, dir);
	int wd = inotify_add_watch(ifd, abs, mask | IN_ONLYDIR);

	free(abs);
	if (wd < 0) {
		note("warning: watching %s: %s", dir, strerror(errno));
		return -1;
	}
	while (nwatches <= wd) {
		GROW(watches, nwatches);
		watches[nwatches++] = (struct watch){ W_NONE, NULL, NULL };
	}
	free(watches[wd].dir);
	watches[wd] = (struct watch){ kind, obj, xstrdup(dir) };
	return wd;
}

static void unwatch(int wd)
{
	if (wd < 0 || wd >= nwatches || watches[wd].kind == W_NONE)
		return;
	inotify_rm_watch(ifd, wd);
	watches[wd].kind = W_NONE;
	watches[wd].obj = NULL;
}

/* ------------------------------------------------------------------------
 * The control file
 * ---------------------------------------------------------------------- */

static long parse_ms(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || v < 0)
		return -1;
	if (!*end || !strcmp(end, "ms"))
		return (long)v;
	if (!strcmp(end, "s"))
		return (long)(v * 1000);
	return -1;
}

static void fail_apply(const char *path)
{
	struct stat st;
	struct failed f = { 0 };
	char buf[65536];
	ssize_t n;

	for (size_t i = 0; i < nfails; i++)
		if (!strcmp(fails[i].path, path))
			return;
	if (fstatat(sysfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode)) {
		note("control: fail %s: not a regular file below sys/; ignored", path);
		return;
	}
	n = read_at(sysfd, path, buf, sizeof(buf));
	f.path = xstrdup(path);
	f.mode = st.st_mode & 07777;
	f.len = n > 0 ? (size_t)n : 0;
	f.data = xmalloc(f.len + 1);
	memcpy(f.data, buf, f.len);
	/* a link to itself: every open, O_NOFOLLOW or not, fails with ELOOP */
	if (unlinkat(sysfd, path, 0) < 0 || symlinkat(base_of(path), sysfd, path) < 0) {
		note("control: fail %s: %s", path, strerror(errno));
		free(f.path);
		free(f.data);
		return;
	}
	GROW(fails, nfails);
	fails[nfails++] = f;
	note("%s now fails every open (ELOOP)", path);
}

static void fail_restore(size_t i)
{
	struct failed *f = &fails[i];

	unlinkat(sysfd, f->path, 0);
	put_at(sysfd, f->path, f->data, f->len, f->mode);
	note("%s restored", f->path);
	free(f->path);
	free(f->data);
	fails[i] = fails[--nfails];
}

/* Re-read the control file; returns the number of rules. */
static size_t control_load(void)
{
	FILE *f = fopen(control_path, "re");
	char line[PATH_MAX + 256];
	struct rule *nr = NULL;
	size_t n = 0;
	int lineno = 0;

	while (f && fgets(line, sizeof(line), f)) {
		char *tok[8], *save = NULL;
		int nt = 0;
		struct rule r = { 0 };

		lineno++;
		line[strcspn(line, "#\n")] = '\0';
		for (char *t = strtok_r(line, " \t\r", &save); t && nt < 8;
		     t = strtok_r(NULL, " \t\r", &save))
			tok[nt++] = t;
		if (nt == 0)
			continue;
		/* a trailing "after N": the first N matches pass */
		if (nt >= 3 && !strcmp(tok[nt - 2], "after")) {
			char *end;

			r.after = strtol(tok[nt - 1], &end, 10);
			if (*end || r.after < 0)
				goto bad;
			nt -= 2;
		}
		if (!strcmp(tok[0], "refuse") && (nt == 3 || nt == 4)) {
			static const char *const acts[] = {
				"bind", "unbind", "probe", "driver_override",
				"sriov_numvfs", "sriov_drivers_autoprobe",
				"create", "remove", "vgpu", NULL
			};
			bool ok = false;

			for (int i = 0; acts[i]; i++)
				ok |= !strcmp(tok[1], acts[i]);
			if (!ok)
				goto bad;
			r.kind = R_REFUSE;
			msg(r.act, sizeof(r.act), "%s", tok[1]);
			msg(r.target, sizeof(r.target), "%s", tok[2]);
			if (nt == 4)
				msg(r.arg, sizeof(r.arg), "%s", tok[3]);
		} else if (!strcmp(tok[0], "delay") && (nt == 3 || nt == 4)) {
			r.kind = R_DELAY;
			if (nt == 4)
				msg(r.act, sizeof(r.act), "%s", tok[1]);
			msg(r.target, sizeof(r.target), "%s", tok[nt - 2]);
			r.ms = parse_ms(tok[nt - 1]);
			if (r.ms < 0)
				goto bad;
		} else if (!strcmp(tok[0], "native") && nt == 3 && is_bdf(tok[1])) {
			r.kind = R_NATIVE;
			msg(r.target, sizeof(r.target), "%s", tok[1]);
			msg(r.arg, sizeof(r.arg), "%s", tok[2]);
		} else if (!strcmp(tok[0], "kill") && nt == 2) {
			/* kill PID [after N]: SIGKILL the writer at its write N+1 */
			char *end;

			r.kind = R_KILL;
			r.ms = strtol(tok[1], &end, 10);	/* the pid */
			if (*end || r.ms <= 1)
				goto bad;
		} else if (!strcmp(tok[0], "fail") && nt == 2) {
			r.kind = R_FAIL;
			msg(r.target, sizeof(r.target), "%s", tok[1]);
			if (tok[1][0] == '/' || strstr(tok[1], ".."))
				goto bad;
		} else {
			goto bad;
		}
		GROW(nr, n);
		nr[n++] = r;
		continue;
bad:
		note("error: %s:%d: not understood; line ignored", control_path, lineno);
	}
	if (f)
		fclose(f);
	free(rules);
	rules = nr;
	nrules = n;

	/* attributes that should fail: restore the others, break the new */
	for (size_t i = nfails; i-- > 0;) {
		bool keep = false;

		for (size_t j = 0; j < nrules; j++)
			keep |= rules[j].kind == R_FAIL && !strcmp(rules[j].target, fails[i].path);
		if (!keep)
			fail_restore(i);
	}
	for (size_t j = 0; j < nrules; j++)
		if (rules[j].kind == R_FAIL)
			fail_apply(rules[j].target);
	return n;
}

/* Is this action to be refused? Counts the hits of every matching rule. */
static const struct rule *refused(const char *act, const char *target,
				  const char *arg)
{
	const struct rule *hit = NULL;

	for (size_t i = 0; i < nrules; i++) {
		struct rule *r = &rules[i];

		if (r->kind != R_REFUSE || strcmp(r->act, act) ||
		    (strcmp(r->target, "*") && strcmp(r->target, target)) ||
		    (*r->arg && (!arg || strcmp(r->arg, arg))))
			continue;
		if (++r->hits > r->after && !hit)
			hit = r;
	}
	return hit;
}

static void delay(const char *act, const char *target)
{
	long ms = 0;

	for (size_t i = 0; i < nrules; i++) {
		const struct rule *r = &rules[i];

		if (r->kind == R_DELAY && (!*r->act || !strcmp(r->act, act)) &&
		    (!strcmp(r->target, "*") || !strcmp(r->target, target)) &&
		    r->ms > ms)
			ms = r->ms;
	}
	if (ms) {
		note("delaying %s of %s by %ld ms (control)", act, target, ms);
		sleep_ms(ms);
	}
}

/* ------------------------------------------------------------------------
 * PCI functions and drivers
 * ---------------------------------------------------------------------- */

static struct dev *find_dev(const char *bdf)
{
	for (size_t i = 0; i < ndevs; i++)
		if (!strcmp(devs[i]->bdf, bdf))
			return devs[i];
	return NULL;
}

static const char *native_of(struct dev *d)
{
	for (size_t i = nrules; i-- > 0;)
		if (rules[i].kind == R_NATIVE && !strcmp(rules[i].target, d->bdf))
			return strcmp(rules[i].arg, "none") ? rules[i].arg : NULL;
	return d->native;
}

static bool driver_exists(const char *drv)
{
	char rel[PATH_MAX];

	pathf(rel, sizeof(rel), "bus/pci/drivers/%s", drv);
	return is_dir(rel);
}

static int cur_driver(struct dev *d, char *out, size_t len)
{
	char rel[PATH_MAX];

	pathf(rel, sizeof(rel), "%s/driver", d->path);
	return link_base(rel, out, len);
}

static int dev_group(const char *path)
{
	char rel[PATH_MAX], g[32], *end;
	long v;

	pathf(rel, sizeof(rel), "%s/iommu_group", path);
	if (link_base(rel, g, sizeof(g)) < 0)
		return -1;
	v = strtol(g, &end, 10);
	return *end || v < 0 ? -1 : (int)v;
}

/* The lowest free IOMMU group number, as the kernel's IDA hands them out. */
static int group_alloc(void)
{
	static unsigned char used[MAX_GROUPS / 8];
	DIR *dir = opendir_at(sysfd, "kernel/iommu_groups");
	struct dirent *e;

	memset(used, 0, sizeof(used));
	if (dir) {
		while ((e = readdir(dir))) {
			char *end;
			long g = strtol(e->d_name, &end, 10);

			if (!*end && g >= 0 && g < MAX_GROUPS)
				used[g / 8] |= (unsigned char)(1 << (g % 8));
		}
		closedir(dir);
	}
	for (int g = 0; g < MAX_GROUPS; g++)
		if (!(used[g / 8] & (1 << (g % 8))))
			return g;
	return -1;
}

static void group_drop_if_empty(int g)
{
	char rel[PATH_MAX];
	struct dirent *e;
	bool empty = true;
	DIR *dir;

	pathf(rel, sizeof(rel), "kernel/iommu_groups/%d/devices", g);
	dir = opendir_at(sysfd, rel);
	if (!dir)
		return;
	while ((e = readdir(dir)))
		if (e->d_name[0] != '.')
			empty = false;
	closedir(dir);
	if (empty) {
		pathf(rel, sizeof(rel), "kernel/iommu_groups/%d", g);
		rm_rf_at(sysfd, rel);
		note("IOMMU group %d removed", g);
	}
}

static int vfio_alloc(void)
{
	for (int i = 0; i < MAX_VFIO_DEVS; i++)
		if (!(vfio_used[i / 8] & (1 << (i % 8)))) {
			vfio_used[i / 8] |= (unsigned char)(1 << (i % 8));
			return i;
		}
	return -1;
}

static void vfio_mark(const char *name, bool used)
{
	char *end;
	long i;

	if (strncmp(name, "vfio", 4) || !isdigit((unsigned char)name[4]))
		return;
	i = strtol(name + 4, &end, 10);
	if (*end || i < 0 || i >= MAX_VFIO_DEVS)
		return;
	if (used)
		vfio_used[i / 8] |= (unsigned char)(1 << (i % 8));
	else
		vfio_used[i / 8] &= (unsigned char)~(1 << (i % 8));
}

/* Mark (or free and remove) the vfioN entries of <path>/vfio-dev. */
static void vfio_dev_scan(const char *path, bool remove)
{
	char rel[PATH_MAX];
	struct dirent *e;
	DIR *dir;

	pathf(rel, sizeof(rel), "%s/vfio-dev", path);
	dir = opendir_at(sysfd, rel);
	if (!dir)
		return;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		vfio_mark(e->d_name, !remove);
		if (remove) {
			char dv[PATH_MAX];

			pathf(dv, sizeof(dv), "vfio/devices/%s", e->d_name);
			rmlink(devfd, dv);
		}
	}
	closedir(dir);
	if (remove)
		rm_rf_at(sysfd, rel);
}

/* <path>/vfio-dev/vfioN and dev/vfio/devices/vfioN (cdev); N or -1. */
static int vfio_dev_add(const char *path, bool devnode)
{
	int n = vfio_alloc();
	char rel[PATH_MAX];

	if (n < 0)
		return -1;
	pathf(rel, sizeof(rel), "%s/vfio-dev/vfio%d/dev", path, n);
	putf(rel, 0444, "%d:%d\n", VFIO_MAJOR, n);
	if (devnode) {
		pathf(rel, sizeof(rel), "vfio/devices/vfio%d", n);
		put_at(devfd, rel, "", 0, 0600);
	}
	return n;
}

static void vfio_group_node(int g, bool present)
{
	char rel[64];

	pathf(rel, sizeof(rel), "vfio/%d", g);
	if (present) {
		if (!exists_at(devfd, rel)) {
			put_at(devfd, rel, "", 0, 0600);
			note("dev/vfio/%d created", g);
		}
	} else if (exists_at(devfd, rel)) {
		rmlink(devfd, rel);
		note("dev/vfio/%d removed", g);
	}
}

/* Is any device of group g still bound to vfio-pci? */
static bool group_on_vfio(int g)
{
	char rel[PATH_MAX];
	struct dirent *e;
	bool any = false;
	DIR *dir;

	pathf(rel, sizeof(rel), "kernel/iommu_groups/%d/devices", g);
	dir = opendir_at(sysfd, rel);
	if (!dir)
		return false;
	while ((e = readdir(dir))) {
		struct dev *d;
		char drv[64];

		if (e->d_name[0] == '.' || !(d = find_dev(e->d_name)))
			continue;
		if (cur_driver(d, drv, sizeof(drv)) == 0 && !strcmp(drv, "vfio-pci"))
			any = true;
	}
	closedir(dir);
	return any;
}

static void uevent_driver(const char *path, const char *drv)
{
	char rel[PATH_MAX], buf[4096], out[4200];
	size_t o = 0;

	pathf(rel, sizeof(rel), "%s/uevent", path);
	if (read_at(sysfd, rel, buf, sizeof(buf)) < 0)
		return;
	if (drv)
		o += (size_t)snprintf(out, sizeof(out), "DRIVER=%s\n", drv);
	for (char *l = buf, *nl; *l; l = nl) {
		nl = strchr(l, '\n');
		nl = nl ? nl + 1 : l + strlen(l);
		if (strncmp(l, "DRIVER=", 7) && o + (size_t)(nl - l) < sizeof(out)) {
			memcpy(out + o, l, (size_t)(nl - l));
			o += (size_t)(nl - l);
		}
	}
	out[o] = '\0';
	put(rel, out, 0644);
}

/* class/net/NAME links of the function's net/ entries: add or remove. */
static void net_links(struct dev *d, bool add)
{
	char rel[PATH_MAX];
	struct dirent *e;
	DIR *dir;

	pathf(rel, sizeof(rel), "%s/net", d->path);
	dir = opendir_at(sysfd, rel);
	if (!dir)
		return;
	while ((e = readdir(dir))) {
		char link[PATH_MAX], target[PATH_MAX];

		if (e->d_name[0] == '.')
			continue;
		pathf(link, sizeof(link), "class/net/%s", e->d_name);
		if (add) {
			pathf(target, sizeof(target), "%s/net/%s", d->path, e->d_name);
			mklink(link, target);
		} else {
			rmlink(sysfd, link);
		}
		note("netdev %s %s", e->d_name, add ? "back" : "gone");
	}
	closedir(dir);
}

/*
 * Bind d to drv: the checks a driver core makes (driver loaded, function
 * unbound, an IOMMU group for vfio-pci) and the control file's refusals,
 * then the links. `match` also requires what the kernel's bind attribute
 * requires: driver_override names drv, or, without one, drv is the
 * function's own driver. 0, or -errno with why in `why`.
 */
static int bind_dev(struct dev *d, const char *drv, bool match, char *why,
		    size_t wlen)
{
	char rel[PATH_MAX], target[PATH_MAX], cur[64];
	const struct rule *r;

	if (!driver_exists(drv)) {
		msg(why, wlen, "driver %s is not loaded (no bus/pci/drivers/%s)", drv, drv);
		return -ENODEV;
	}
	if (cur_driver(d, cur, sizeof(cur)) == 0) {
		msg(why, wlen, "%s is already bound to %s", d->bdf, cur);
		return -EBUSY;
	}
	if (match) {
		const char *nat = native_of(d);

		if (d->override && strcmp(d->override, drv)) {
			msg(why, wlen, "driver_override of %s is %s", d->bdf, d->override);
			return -ENODEV;
		}
		if (!d->override && (!nat || strcmp(nat, drv))) {
			msg(why, wlen, "%s does not match %s (its driver is %s, "
				 "no driver_override)", drv, d->bdf, nat ? nat : "none");
			return -ENODEV;
		}
	}
	if (!strcmp(drv, "vfio-pci") && dev_group(d->path) < 0) {
		msg(why, wlen, "%s has no IOMMU group; vfio-pci refuses it", d->bdf);
		return -EINVAL;
	}
	if ((r = refused("bind", d->bdf, drv))) {
		msg(why, wlen, "control: refuse bind %s%s%s", r->target,
			 *r->arg ? " " : "", r->arg);
		return -EIO;
	}

	pathf(rel, sizeof(rel), "%s/driver", d->path);
	pathf(target, sizeof(target), "bus/pci/drivers/%s", drv);
	mklink(rel, target);
	pathf(rel, sizeof(rel), "bus/pci/drivers/%s/%s", drv, d->bdf);
	mklink(rel, d->path);
	uevent_driver(d->path, drv);
	note("%s bound to %s", d->bdf, drv);
	if (!strcmp(drv, "vfio-pci")) {
		int g = dev_group(d->path);

		vfio_dev_add(d->path, true);
		vfio_group_node(g, true);
	}
	if (d->stash_driver && !strcmp(d->stash_driver, drv)) {
		char from[PATH_MAX];

		pathf(from, sizeof(from), "stash/%s/net", d->bdf);
		pathf(rel, sizeof(rel), "%s/net", d->path);
		if (renameat(statefd, from, sysfd, rel) == 0)
			net_links(d, true);
		pathf(from, sizeof(from), "stash/%s", d->bdf);
		rm_rf_at(statefd, from);
		free(d->stash_driver);
		d->stash_driver = NULL;
	}
	return 0;
}

/* What a driver's release does to the tree: links, vfio nodes, netdevs. */
static void unbind_links(struct dev *d, const char *cur)
{
	char rel[PATH_MAX];

	pathf(rel, sizeof(rel), "%s/driver", d->path);
	rmlink(sysfd, rel);
	pathf(rel, sizeof(rel), "bus/pci/drivers/%s/%s", cur, d->bdf);
	rmlink(sysfd, rel);
	uevent_driver(d->path, NULL);
	note("%s unbound from %s", d->bdf, cur);
	if (!strcmp(cur, "vfio-pci")) {
		int g = dev_group(d->path);

		vfio_dev_scan(d->path, true);
		if (g >= 0 && !group_on_vfio(g))
			vfio_group_node(g, false);
	}
	/* the driver's netdevs go with it; they come back on a rebind */
	pathf(rel, sizeof(rel), "%s/net", d->path);
	if (is_dir(rel)) {
		char to[PATH_MAX];

		net_links(d, false);
		pathf(to, sizeof(to), "stash/%s", d->bdf);
		rm_rf_at(statefd, to);
		mkdirs(statefd, to);
		pathf(to, sizeof(to), "stash/%s/net", d->bdf);
		if (renameat(sysfd, rel, statefd, to) == 0) {
			free(d->stash_driver);
			d->stash_driver = xstrdup(cur);
		}
	}
}

/* Unbind d from its driver (from `drv` only, when given). */
static int unbind_dev(struct dev *d, const char *drv, char *why, size_t wlen)
{
	char cur[64];
	const struct rule *r;

	if (cur_driver(d, cur, sizeof(cur)) < 0) {
		msg(why, wlen, "%s is not bound to a driver", d->bdf);
		return -ENODEV;
	}
	if (drv && strcmp(cur, drv)) {
		msg(why, wlen, "%s is bound to %s, not %s", d->bdf, cur, drv);
		return -ENODEV;
	}
	if ((r = refused("unbind", d->bdf, cur))) {
		msg(why, wlen, "control: refuse unbind %s", r->target);
		return -EIO;
	}
	unbind_links(d, cur);
	return 0;
}

/* ------------------------------------------------------------------------
 * SR-IOV
 * ---------------------------------------------------------------------- */

/* The driver a PF's VFs bind to: what existing VFs of that vendor:device
 * were bound to, else the usual pairing, else the PF's own driver. */
static const char *vf_driver_of(struct dev *pf)
{
	static const char *const pairs[][2] = {
		{ "i40e", "iavf" }, { "ice", "iavf" }, { "ixgbe", "ixgbevf" },
		{ "igb", "igbvf" }, { "bnx2x", "bnx2x" }, { "bnxt_en", "bnxt_en" },
		{ "qede", "qede" }, { "mlx4_core", "mlx4_core" },
		{ "mlx5_core", "mlx5_core" }, { "nvidia", "nvidia" },
		{ "nvme", "nvme" },
	};
	static char pfdrv[64];
	char rel[PATH_MAX];
	unsigned int vendor, device;

	pathf(rel, sizeof(rel), "%s/vendor", pf->path);
	vendor = (unsigned int)attr_long(rel, 0, 16);
	pathf(rel, sizeof(rel), "%s/sriov_vf_device", pf->path);
	device = (unsigned int)attr_long(rel, 0, 16);
	for (size_t i = 0; i < nvfinfos; i++)
		if (vfinfos[i].vendor == vendor && vfinfos[i].device == device &&
		    vfinfos[i].driver)
			return vfinfos[i].driver;
	if (cur_driver(pf, pfdrv, sizeof(pfdrv)) < 0) {
		if (!native_of(pf))
			return NULL;
		pathf(pfdrv, sizeof(pfdrv), "%s", native_of(pf));
	}
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if (!strcmp(pairs[i][0], pfdrv))
			return pairs[i][1];
	return pfdrv;
}

static struct vfinfo *vfinfo_get(unsigned int vendor, unsigned int device,
				 bool create)
{
	for (size_t i = 0; i < nvfinfos; i++)
		if (vfinfos[i].vendor == vendor && vfinfos[i].device == device)
			return &vfinfos[i];
	if (!create)
		return NULL;
	GROW(vfinfos, nvfinfos);
	vfinfos[nvfinfos] = (struct vfinfo){ .vendor = vendor, .device = device };
	return &vfinfos[nvfinfos++];
}

static unsigned int rd16(const uint8_t *c, size_t off)
{
	return (unsigned int)(c[off] | c[off + 1] << 8);
}

static uint32_t rd32(const uint8_t *c, size_t off)
{
	return (uint32_t)c[off] | (uint32_t)c[off + 1] << 8 |
	       (uint32_t)c[off + 2] << 16 | (uint32_t)c[off + 3] << 24;
}

static void wr16(uint8_t *c, size_t off, unsigned int v)
{
	c[off] = (uint8_t)v;
	c[off + 1] = (uint8_t)(v >> 8);
}

static void wr32(uint8_t *c, size_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		c[off + (size_t)i] = (uint8_t)(v >> (8 * i));
}

/* Offset of the SR-IOV extended capability (and of the one before it). */
static size_t sriov_cap(const uint8_t *c, size_t len, size_t *prev)
{
	size_t off = 0x100, p = 0;

	for (int i = 0; i < 64 && off >= 0x100 && off + 0x40 <= len; i++) {
		uint32_t h = rd32(c, off);

		if (h == 0 || h == 0xffffffff)
			return 0;
		if ((h & 0xffff) == 0x0010) {
			if (prev)
				*prev = p;
			return off;
		}
		p = off;
		off = (h >> 20) & 0xffc;
	}
	return 0;
}

/* The PF's config space: VF Enable, VF MSE and NumVFs as pci_enable_sriov
 * leaves them. */
static ssize_t read_config(const char *path, uint8_t *c, size_t max)
{
	char rel[PATH_MAX];
	ssize_t got = 0, n;
	int fd;

	pathf(rel, sizeof(rel), "%s/config", path);
	fd = openat(sysfd, rel, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)got < max && (n = read(fd, c + got, max - (size_t)got)) > 0)
		got += n;
	close(fd);
	return got;
}

/* The PF's config space: VF Enable, VF MSE and NumVFs as pci_enable_sriov
 * leaves them. */
static void pf_config_numvfs(struct dev *pf, int n)
{
	char rel[PATH_MAX];
	uint8_t c[4096];
	ssize_t len = read_config(pf->path, c, sizeof(c));
	size_t off;

	if (len <= 0)
		return;
	off = sriov_cap(c, (size_t)len, NULL);
	if (!off)
		return;
	wr16(c, off + 0x08, n ? (rd16(c, off + 0x08) | 0x0009) :
				(rd16(c, off + 0x08) & ~0x0009u));
	wr16(c, off + 0x10, (unsigned int)n);
	pathf(rel, sizeof(rel), "%s/config", pf->path);
	put_at(sysfd, rel, c, (size_t)len, 0644);
}

struct res { unsigned long long start, end, flags; };

static int read_resource(const char *path, struct res r[17])
{
	char rel[PATH_MAX], buf[2048], *l = buf;
	int n = 0;

	memset(r, 0, 17 * sizeof(*r));
	pathf(rel, sizeof(rel), "%s/resource", path);
	if (read_at(sysfd, rel, buf, sizeof(buf)) < 0)
		return -1;
	while (n < 17 && l && *l) {
		if (sscanf(l, "%llx %llx %llx", &r[n].start, &r[n].end, &r[n].flags) != 3)
			break;
		n++;
		l = strchr(l, '\n');
		l = l ? l + 1 : NULL;
	}
	return n;
}

static void copy_attr(const char *from, const char *to, const char *name,
		      mode_t mode)
{
	char src[PATH_MAX], dst[PATH_MAX], buf[4096];
	ssize_t n;

	pathf(src, sizeof(src), "%s/%s", from, name);
	n = read_at(sysfd, src, buf, sizeof(buf));
	if (n < 0)
		return;
	pathf(dst, sizeof(dst), "%s/%s", to, name);
	put_at(sysfd, dst, buf, (size_t)n, mode);
}

/*
 * Create VF i of pf, as pci_iov_add_virtfn() does: the function directory
 * beside the PF, its attributes derived from the PF's (see README.md), the
 * links, and a new IOMMU group. Returns the new device or NULL.
 */
static struct dev *vf_create(struct dev *pf, int i, const char *vfbdf)
{
	char path[PATH_MAX], d[PATH_MAX], rel[PATH_MAX], tgt[PATH_MAX];
	char vendor[16] = "", pclass[16] = "", svid[16] = "", sdid[16] = "";
	unsigned int ven, vfdev, cls;
	struct res pr[17], vr[13];
	int total, g;
	uint8_t cfg[4096];
	ssize_t clen;
	struct vfinfo *vi;
	struct dev *vf;
	char buf[2048];
	size_t o = 0;

	pathf(path, sizeof(path), "%s/%s", dir_of(pf->path, d, sizeof(d)), vfbdf);
	if (mkdirs(sysfd, path) < 0)
		return NULL;

	pathf(rel, sizeof(rel), "%s/vendor", pf->path);
	attr(rel, vendor, sizeof(vendor));
	ven = (unsigned int)strtoul(vendor, NULL, 16);
	pathf(rel, sizeof(rel), "%s/sriov_vf_device", pf->path);
	vfdev = (unsigned int)attr_long(rel, 0, 16);
	pathf(rel, sizeof(rel), "%s/class", pf->path);
	attr(rel, pclass, sizeof(pclass));
	cls = (unsigned int)strtoul(pclass, NULL, 16);
	vi = vfinfo_get(ven, vfdev, false);
	pathf(rel, sizeof(rel), "%s/subsystem_vendor", pf->path);
	attr(rel, svid, sizeof(svid));
	pathf(rel, sizeof(rel), "%s/subsystem_device", pf->path);
	attr(rel, sdid, sizeof(sdid));
	if (vi && *vi->svid) {
		pathf(svid, sizeof(svid), "%s", vi->svid);
		pathf(sdid, sizeof(sdid), "%s", vi->sdid);
	}
	unsigned int sv = (unsigned int)strtoul(svid, NULL, 16);
	unsigned int sd = (unsigned int)strtoul(sdid, NULL, 16);
	char modalias[128];

	pathf(modalias, sizeof(modalias),
		 "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X", ven, vfdev, sv, sd,
		 cls >> 16, (cls >> 8) & 0xff, cls & 0xff);

#define VF_PUT(name, mode, ...) do { \
	pathf(rel, sizeof(rel), "%s/%s", path, name); \
	putf(rel, mode, __VA_ARGS__); \
} while (0)
	VF_PUT("vendor", 0444, "%s\n", vendor);
	VF_PUT("device", 0444, "0x%04x\n", vfdev);
	VF_PUT("subsystem_vendor", 0444, "%s\n", svid);
	VF_PUT("subsystem_device", 0444, "%s\n", sdid);
	VF_PUT("class", 0444, "%s\n", pclass);
	copy_attr(pf->path, path, "revision", 0444);
	VF_PUT("irq", 0444, "0\n");
	static const char *const same[] = {
		"numa_node", "local_cpulist", "local_cpus",
		"consistent_dma_mask_bits", "dma_mask_bits", "current_link_speed",
		"current_link_width", "max_link_speed", "max_link_width", NULL
	};
	for (int k = 0; same[k]; k++)
		copy_attr(pf->path, path, same[k], 0444);
	VF_PUT("modalias", 0444, "%s\n", modalias);
	VF_PUT("ari_enabled", 0444, "0\n");
	VF_PUT("power_state", 0444, "D0\n");
	VF_PUT("reset_method", 0444, "flr\n");
	VF_PUT("driver_override", 0644, "(null)\n");
	VF_PUT("enable", 0644, "0\n");
	VF_PUT("msi_bus", 0644, "1\n");
	VF_PUT("broken_parity_status", 0644, "0\n");
	VF_PUT("d3cold_allowed", 0644, "1\n");
	VF_PUT("remove", 0200, "%s", "");
	VF_PUT("rescan", 0200, "%s", "");
	VF_PUT("reset", 0200, "%s", "");
	VF_PUT("uevent", 0644, "PCI_CLASS=%X\nPCI_ID=%04X:%04X\nPCI_SUBSYS_ID=%04X:%04X\n"
	       "PCI_SLOT_NAME=%s\nMODALIAS=%s\n", cls, ven, vfdev, sv, sd, vfbdf, modalias);

	/* BARs: slice i of each of the PF's IOV resources (7..12) */
	memset(vr, 0, sizeof(vr));
	pathf(rel, sizeof(rel), "%s/sriov_totalvfs", pf->path);
	total = (int)attr_long(rel, 0, 10);
	if (read_resource(pf->path, pr) >= 13 && total > 0) {
		for (int b = 0; b < 6; b++) {
			const struct res *p = &pr[7 + b];
			unsigned long long size;

			if (!p->start && !p->end)
				continue;
			size = (p->end - p->start + 1) / (unsigned long long)total;
			vr[b].start = p->start + size * (unsigned long long)i;
			vr[b].end = vr[b].start + size - 1;
			vr[b].flags = p->flags;
		}
	}
	for (int b = 0; b < 13; b++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "0x%016llx 0x%016llx 0x%016llx\n",
				      vr[b].start, vr[b].end, vr[b].flags);
	VF_PUT("resource", 0444, "%s", buf);
	for (int b = 0; b < 6; b++)
		if (vr[b].end) {
			char name[16];

			pathf(name, sizeof(name), "resource%d", b);
			VF_PUT(name, 0600, "%s", "");
		}

	/* config space: the PF's, made a VF's */
	clen = read_config(pf->path, cfg, sizeof(cfg));
	if (clen >= 64) {
		size_t prev = 0, sc;

		wr16(cfg, 0x02, vfdev);
		wr16(cfg, 0x04, 0);		/* VFs: MSE lives in the PF */
		cfg[0x0c] = 0;
		cfg[0x0e] = 0;			/* type 0, single function */
		memset(cfg + 0x10, 0, 24);
		for (int b = 0; b < 6; b++) {
			if (!vr[b].end)
				continue;
			wr32(cfg, 0x10 + 4 * (size_t)b,
			     (uint32_t)(vr[b].start & 0xfffffff0) | (uint32_t)(vr[b].flags & 0xf));
			if ((vr[b].flags & 0x4) && b < 5)
				wr32(cfg, 0x14 + 4 * (size_t)b, (uint32_t)(vr[b].start >> 32));
		}
		wr16(cfg, 0x2c, sv);
		wr16(cfg, 0x2e, sd);
		cfg[0x3c] = cfg[0x3d] = 0;	/* no INTx */
		sc = sriov_cap(cfg, (size_t)clen, &prev);
		if (sc) {			/* VFs have no SR-IOV capability */
			uint32_t next = rd32(cfg, sc) & 0xfff00000;

			if (prev)
				wr32(cfg, prev, (rd32(cfg, prev) & 0x000fffff) | next);
			memset(cfg + sc, 0, 0x40);
			if (!prev)
				wr32(cfg, sc, next);	/* a null capability keeps the chain */
		}
		pathf(rel, sizeof(rel), "%s/config", path);
		put_at(sysfd, rel, cfg, (size_t)clen, 0644);
	}
#undef VF_PUT

	/* links */
	pathf(rel, sizeof(rel), "%s/subsystem", path);
	mklink(rel, "bus/pci");
	pathf(rel, sizeof(rel), "bus/pci/devices/%s", vfbdf);
	mklink(rel, path);
	pathf(rel, sizeof(rel), "%s/physfn", path);
	mklink(rel, pf->path);
	pathf(rel, sizeof(rel), "%s/virtfn%d", pf->path, i);
	mklink(rel, path);
	pathf(rel, sizeof(rel), "%s/iommu", pf->path);
	if (link_target(rel, tgt, sizeof(tgt)) == 0) {
		pathf(rel, sizeof(rel), "%s/iommu", path);
		mklink(rel, tgt);
		pathf(rel, sizeof(rel), "%s/devices/%s", tgt, vfbdf);
		mklink(rel, path);
	}
	/* its own IOMMU group, of the PF's group's kind */
	g = dev_group(pf->path);
	if (g >= 0) {
		int ng = group_alloc();
		char gd[64];

		pathf(gd, sizeof(gd), "kernel/iommu_groups/%d", ng);
		pathf(rel, sizeof(rel), "kernel/iommu_groups/%d", g);
		copy_attr(rel, gd, "type", 0644);
		copy_attr(rel, gd, "reserved_regions", 0444);
		pathf(rel, sizeof(rel), "%s/devices/%s", gd, vfbdf);
		mklink(rel, path);
		pathf(rel, sizeof(rel), "%s/iommu_group", path);
		mklink(rel, gd);
	}

	vf = xmalloc(sizeof(*vf));
	pathf(vf->bdf, sizeof(vf->bdf), "%s", vfbdf);
	vf->path = xstrdup(path);
	pathf(vf->pf, sizeof(vf->pf), "%s", pf->bdf);
	vf->vf_index = i;
	vf->nvwd = -1;
	vf->autoprobe = 1;
	if (vi && vi->vgpu_table) {
		pathf(rel, sizeof(rel), "%s/nvidia/creatable_vgpu_types", path);
		put(rel, vi->vgpu_table, 0444);
		pathf(rel, sizeof(rel), "%s/nvidia/current_vgpu_type", path);
		put(rel, "0\n", 0644);
		vf->vgpu = true;
	}
	{
		const char *vd = vf_driver_of(pf);

		vf->native = vd ? xstrdup(vd) : NULL;
	}
	GROW(devs, ndevs);
	devs[ndevs++] = vf;
	vf->wd = watch(vf->path, IN_CLOSE_WRITE, W_DEV, vf);
	if (vf->vgpu) {
		pathf(rel, sizeof(rel), "%s/nvidia", path);
		vf->nvwd = watch(rel, IN_CLOSE_WRITE, W_NVIDIA, vf);
	}
	note("VF %d: %s created (IOMMU group %d)", i, vfbdf, dev_group(path));
	return vf;
}

static void dev_free(struct dev *d)
{
	for (size_t i = 0; i < ndevs; i++)
		if (devs[i] == d) {
			memmove(devs + i, devs + i + 1, (ndevs - i - 1) * sizeof(*devs));
			ndevs--;
			break;
		}
	free(d->path);
	free(d->native);
	free(d->override);
	free(d->vgpu_saved);
	free(d->stash_driver);
	free(d);
}

static void vf_remove(struct dev *pf, struct dev *vf)
{
	char rel[PATH_MAX], tgt[PATH_MAX], cur[64];
	int g = dev_group(vf->path);

	/* a driver cannot refuse to let go of a function that goes away */
	if (cur_driver(vf, cur, sizeof(cur)) == 0)
		unbind_links(vf, cur);
	net_links(vf, false);
	unwatch(vf->nvwd);
	unwatch(vf->wd);
	pathf(rel, sizeof(rel), "%s/iommu", vf->path);
	if (link_target(rel, tgt, sizeof(tgt)) == 0) {
		pathf(rel, sizeof(rel), "%s/devices/%s", tgt, vf->bdf);
		rmlink(sysfd, rel);
	}
	vfio_dev_scan(vf->path, true);
	rm_rf_at(sysfd, vf->path);
	pathf(rel, sizeof(rel), "bus/pci/devices/%s", vf->bdf);
	rmlink(sysfd, rel);
	pathf(rel, sizeof(rel), "%s/virtfn%d", pf->path, vf->vf_index);
	rmlink(sysfd, rel);
	if (g >= 0) {
		pathf(rel, sizeof(rel), "kernel/iommu_groups/%d/devices/%s", g, vf->bdf);
		rmlink(sysfd, rel);
		group_drop_if_empty(g);
	}
	pathf(rel, sizeof(rel), "stash/%s", vf->bdf);
	rm_rf_at(statefd, rel);
	note("VF %d: %s removed", vf->vf_index, vf->bdf);
	dev_free(vf);
}

/* The BDF of VF i, from the PF's routing ID, offset and stride. */
static int vf_bdf(struct dev *pf, int i, char *out, size_t len)
{
	char rel[PATH_MAX];
	unsigned int dom, bus, dv, fn;
	long off, stride, rid;

	if (sscanf(pf->bdf, "%x:%x:%x.%x", &dom, &bus, &dv, &fn) != 4)
		return -EINVAL;
	pathf(rel, sizeof(rel), "%s/sriov_offset", pf->path);
	off = attr_long(rel, -1, 10);
	pathf(rel, sizeof(rel), "%s/sriov_stride", pf->path);
	stride = attr_long(rel, -1, 10);
	if (off < 0 || stride < 0)
		return -EINVAL;
	rid = (long)((bus << 8) | (dv << 3) | fn) + off + stride * i;
	if (rid > 0xffff)
		return -ERANGE;
	pathf(out, len, "%04x:%02lx:%02lx.%lx", dom, rid >> 8, (rid >> 3) & 0x1f, rid & 7);
	return 0;
}

/* ------------------------------------------------------------------------
 * mdev
 * ---------------------------------------------------------------------- */

static long mtype_count(struct mtype *t)
{
	long n = 0;

	for (size_t i = 0; i < nmdevs; i++)
		n += mdevs[i]->type == t;
	return n;
}

/* available_instances of every type of a parent, after a change. */
static void mdev_recount(struct parent *p)
{
	struct mtype *used = NULL;

	for (size_t i = 0; i < nmdevs; i++)
		if (mdevs[i]->type->parent == p)
			used = mdevs[i]->type;
	for (size_t i = 0; i < nmtypes; i++) {
		struct mtype *t = mtypes[i];
		char rel[PATH_MAX];
		long avail;

		if (t->parent != p)
			continue;
		if (p->homogeneous)
			avail = !used || used == t ? t->max - mtype_count(t) : 0;
		else
			avail = t->max - mtype_count(t);
		if (avail < 0)
			avail = 0;
		if (avail == t->avail)
			continue;
		t->avail = avail;
		pathf(rel, sizeof(rel), "%s/mdev_supported_types/%s/available_instances",
			 p->path, t->id);
		putf(rel, 0444, "%ld\n", avail);
	}
}

static struct mdev *find_mdev(const char *uuid)
{
	for (size_t i = 0; i < nmdevs; i++)
		if (!strcmp(mdevs[i]->uuid, uuid))
			return mdevs[i];
	return NULL;
}

static struct mdev *mdev_create(struct mtype *t, const char *uuid)
{
	struct parent *p = t->parent;
	char rel[PATH_MAX], tgt[PATH_MAX];
	struct mdev *m = xmalloc(sizeof(*m));
	int g = group_alloc();

	pathf(m->uuid, sizeof(m->uuid), "%s", uuid);
	m->type = t;
	m->path = xasprintf("%s/%s", p->path, uuid);
	m->group = g;
	mkdirs(sysfd, m->path);
	pathf(rel, sizeof(rel), "%s/mdev_type", m->path);
	pathf(tgt, sizeof(tgt), "%s/mdev_supported_types/%s", p->path, t->id);
	mklink(rel, tgt);
	pathf(rel, sizeof(rel), "%s/subsystem", m->path);
	mklink(rel, "bus/mdev");
	pathf(rel, sizeof(rel), "bus/mdev/devices/%s", uuid);
	mklink(rel, m->path);
	pathf(rel, sizeof(rel), "%s/remove", m->path);
	put(rel, "", 0200);
	pathf(rel, sizeof(rel), "%s/uevent", m->path);
	if (p->driver)
		putf(rel, 0644, "DRIVER=%s\nMDEV_TYPE=%s\n", p->driver, t->id);
	else
		putf(rel, 0644, "MDEV_TYPE=%s\n", t->id);
	if (g >= 0) {
		pathf(tgt, sizeof(tgt), "kernel/iommu_groups/%d", g);
		pathf(rel, sizeof(rel), "%s/type", tgt);
		put(rel, "blocked\n", 0644);
		pathf(rel, sizeof(rel), "%s/reserved_regions", tgt);
		put(rel, "", 0444);
		pathf(rel, sizeof(rel), "%s/devices/%s", tgt, uuid);
		mklink(rel, m->path);
		pathf(rel, sizeof(rel), "%s/iommu_group", m->path);
		mklink(rel, tgt);
	}
	if (p->driver) {
		pathf(rel, sizeof(rel), "%s/driver", m->path);
		pathf(tgt, sizeof(tgt), "bus/mdev/drivers/%s", p->driver);
		mklink(rel, tgt);
		pathf(rel, sizeof(rel), "bus/mdev/drivers/%s/%s", p->driver, uuid);
		mklink(rel, m->path);
		vfio_dev_add(m->path, false);
		if (g >= 0)
			vfio_group_node(g, true);
	}
	GROW(mdevs, nmdevs);
	mdevs[nmdevs++] = m;
	m->wd = watch(m->path, IN_CLOSE_WRITE, W_MDEV, m);
	mdev_recount(p);
	/*
	 * Last, as Linux's mdev_create_sysfs_files() comes after device_add():
	 * a writer that waits for the type's devices/ link finds the whole
	 * instance and the counts that include it.
	 */
	pathf(rel, sizeof(rel), "%s/mdev_supported_types/%s/devices/%s", p->path,
		 t->id, uuid);
	mklink(rel, m->path);
	return m;
}

static void mdev_remove(struct mdev *m)
{
	struct parent *p = m->type->parent;
	char rel[PATH_MAX];

	unwatch(m->wd);
	pathf(rel, sizeof(rel), "%s/mdev_supported_types/%s/devices/%s", p->path,
		 m->type->id, m->uuid);
	rmlink(sysfd, rel);
	pathf(rel, sizeof(rel), "bus/mdev/devices/%s", m->uuid);
	rmlink(sysfd, rel);
	if (p->driver) {
		pathf(rel, sizeof(rel), "bus/mdev/drivers/%s/%s", p->driver, m->uuid);
		rmlink(sysfd, rel);
	}
	vfio_dev_scan(m->path, true);
	if (m->group >= 0) {
		pathf(rel, sizeof(rel), "kernel/iommu_groups/%d/devices/%s", m->group,
			 m->uuid);
		rmlink(sysfd, rel);
		vfio_group_node(m->group, false);
		group_drop_if_empty(m->group);
	}
	for (size_t i = 0; i < nmdevs; i++)
		if (mdevs[i] == m) {
			mdevs[i] = mdevs[--nmdevs];
			break;
		}
	mdev_recount(p);
	/* last: a writer that waits for the directory to go finds the rest done */
	rm_rf_at(sysfd, m->path);
	free(m->path);
	free(m);
}

/* ------------------------------------------------------------------------
 * Reactions: one per written attribute
 * ---------------------------------------------------------------------- */

struct ev {
	const char *rel;	/* the attribute, below sys/ */
	mode_t mode;
	char val[4096];		/* as written */
	size_t len;
	char arg[4096];		/* without the trailing newline */
	bool restored;
	char result[1024];
};

/* Put back what the kernel shows on read (done first: see ev_write). */
static void ev_show(struct ev *e, const char *text)
{
	put_at(sysfd, e->rel, text, strlen(text), e->mode);
	e->restored = true;
}

#define OK(e, ...) msg((e)->result, sizeof((e)->result), "ok: " __VA_ARGS__)
#define REFUSED(e, ...) msg((e)->result, sizeof((e)->result), "refused: " __VA_ARGS__)

static void on_probe(struct ev *e)
{
	struct dev *d = find_dev(e->arg);
	const char *drv;
	char why[512], cur[64];

	ev_show(e, "");
	if (!d) {
		REFUSED(e, "no PCI function %s", e->arg);
		return;
	}
	delay("probe", d->bdf);
	if (cur_driver(d, cur, sizeof(cur)) == 0) {
		OK(e, "%s is already bound to %s; nothing to do", d->bdf, cur);
		return;
	}
	if (refused("probe", d->bdf, NULL)) {
		REFUSED(e, "control: refuse probe %s", d->bdf);
		return;
	}
	drv = d->override ? d->override : native_of(d);
	if (!drv) {
		REFUSED(e, "no driver for %s (no driver_override, no driver of its own)", d->bdf);
		return;
	}
	if (bind_dev(d, drv, false, why, sizeof(why)) < 0) {
		REFUSED(e, "%s", why);
		return;
	}
	OK(e, "%s bound to %s%s", d->bdf, drv, d->override ? " (driver_override)" : "");
}

static void on_bind(struct ev *e, const char *drv, bool bind)
{
	struct dev *d = find_dev(e->arg);
	char why[512];

	ev_show(e, "");
	if (!d) {
		REFUSED(e, "no PCI function %s", e->arg);
		return;
	}
	delay(bind ? "bind" : "unbind", d->bdf);
	if (bind ? bind_dev(d, drv, true, why, sizeof(why)) < 0 :
		   unbind_dev(d, drv, why, sizeof(why)) < 0) {
		REFUSED(e, "%s", why);
		return;
	}
	OK(e, "%s %s %s", d->bdf, bind ? "bound to" : "unbound from", drv);
}

static void on_override(struct ev *e, struct dev *d)
{
	char show[4200];

	delay("driver_override", d->bdf);
	if (refused("driver_override", d->bdf, e->arg)) {
		pathf(show, sizeof(show), "%s\n", d->override ? d->override : "(null)");
		ev_show(e, show);
		REFUSED(e, "control: refuse driver_override %s; still %s", d->bdf,
			d->override ? d->override : "(null)");
		return;
	}
	free(d->override);
	d->override = *e->arg ? xstrdup(e->arg) : NULL;
	pathf(show, sizeof(show), "%s\n", d->override ? d->override : "(null)");
	ev_show(e, show);
	OK(e, "driver_override of %s is %s", d->bdf, d->override ? d->override : "(null)");
}

static bool parse_bool(const char *s, int *v)
{
	switch (s[0]) {
	case '1': case 'y': case 'Y': case 't': case 'T':
		*v = 1;
		return s[1] == '\0' || s[0] != '1';
	case '0': case 'n': case 'N': case 'f': case 'F':
		*v = 0;
		return s[1] == '\0' || s[0] != '0';
	case 'o': case 'O':
		if (s[1] == 'n' || s[1] == 'N') {
			*v = 1;
			return true;
		}
		if (s[1] == 'f' || s[1] == 'F') {
			*v = 0;
			return true;
		}
	}
	return false;
}

static void on_autoprobe(struct ev *e, struct dev *d)
{
	char show[32];
	int v;

	delay("sriov_drivers_autoprobe", d->bdf);
	if (!parse_bool(e->arg, &v)) {
		REFUSED(e, "\"%s\" is not a boolean", shown(e->arg, strlen(e->arg)));
	} else if (refused("sriov_drivers_autoprobe", d->bdf, e->arg)) {
		REFUSED(e, "control: refuse sriov_drivers_autoprobe %s", d->bdf);
	} else {
		d->autoprobe = v;
		OK(e, "sriov_drivers_autoprobe of %s is %d", d->bdf, v);
	}
	pathf(show, sizeof(show), "%d\n", d->autoprobe);
	ev_show(e, show);
}

static void on_numvfs(struct ev *e, struct dev *pf)
{
	char show[32], drv[64], *end;
	const struct rule *r;
	long n;
	int old = pf->numvfs;

	delay("sriov_numvfs", pf->bdf);
	pathf(show, sizeof(show), "%d\n", old);
	errno = 0;
	n = strtol(e->arg, &end, 0);
	if (errno || end == e->arg || *end || n < 0 || n > 0xffff) {
		ev_show(e, show);
		REFUSED(e, "\"%s\" is not a number of VFs (EINVAL)", shown(e->arg, strlen(e->arg)));
		return;
	}
	if (n > pf->totalvfs) {
		ev_show(e, show);
		REFUSED(e, "%ld VFs requested, sriov_totalvfs is %d (ERANGE)", n, pf->totalvfs);
		return;
	}
	if (n == old) {
		ev_show(e, show);
		OK(e, "%s already has %d VFs; nothing to do", pf->bdf, old);
		return;
	}
	if (cur_driver(pf, drv, sizeof(drv)) < 0) {
		ev_show(e, show);
		REFUSED(e, "no driver bound to %s (ENOENT)", pf->bdf);
		return;
	}
	if (n && old) {
		ev_show(e, show);
		REFUSED(e, "%d VFs already enabled on %s; disable before enabling %ld (EBUSY)",
			old, pf->bdf, n);
		return;
	}
	pathf(show, sizeof(show), "%ld", n);
	if ((r = refused("sriov_numvfs", pf->bdf, show))) {
		pathf(show, sizeof(show), "%d\n", old);
		ev_show(e, show);
		REFUSED(e, "control: refuse sriov_numvfs %s%s%s", r->target,
			*r->arg ? " " : "", r->arg);
		return;
	}

	if (n == 0) {
		pathf(show, sizeof(show), "0\n");
		ev_show(e, show);
		/*
		 * The kernel's write returns once every VF is gone. Here the
		 * removal runs after the write, so VF 0 goes last: until it is
		 * gone virtfn0 is there, and a reader that counts virtfnN links
		 * from 0 never takes a half-removed set for none.
		 */
		for (int i = old - 1; i >= 0; i--) {
			char link[PATH_MAX], vb[32];
			struct dev *vf;

			pathf(link, sizeof(link), "%s/virtfn%d", pf->path, i);
			if (link_base(link, vb, sizeof(vb)) == 0 && (vf = find_dev(vb)))
				vf_remove(pf, vf);
		}
		pf->numvfs = 0;
		pf_config_numvfs(pf, 0);
		OK(e, "%d VFs of %s removed", old, pf->bdf);
		return;
	}

	/* every VF's BDF must be free */
	for (int i = 0; i < n; i++) {
		char vb[32], rel[PATH_MAX];

		if (vf_bdf(pf, i, vb, sizeof(vb)) < 0) {
			ev_show(e, "0\n");
			REFUSED(e, "VF %d of %s has no routing ID (sriov_offset/sriov_stride)", i, pf->bdf);
			return;
		}
		pathf(rel, sizeof(rel), "bus/pci/devices/%s", vb);
		if (find_dev(vb) || exists_at(sysfd, rel)) {
			ev_show(e, "0\n");
			REFUSED(e, "VF %d of %s would be %s, which exists", i, pf->bdf, vb);
			return;
		}
	}
	pathf(show, sizeof(show), "%ld\n", n);
	ev_show(e, show);
	pf->numvfs = (int)n;
	{
		struct dev **made = xmalloc((size_t)n * sizeof(*made));
		const char *vd = vf_driver_of(pf);
		int bound = 0;

		for (int i = 0; i < n; i++) {
			char vb[32];

			vf_bdf(pf, i, vb, sizeof(vb));
			made[i] = vf_create(pf, i, vb);
		}
		pf_config_numvfs(pf, (int)n);
		for (int i = 0; i < n && pf->autoprobe && vd; i++) {
			char why[512];

			if (!made[i])
				continue;
			if (bind_dev(made[i], vd, false, why, sizeof(why)) == 0)
				bound++;
			else
				note("%s not bound: %s", made[i]->bdf, why);
		}
		free(made);
		if (!pf->autoprobe)
			OK(e, "%ld VFs of %s created, left unbound (sriov_drivers_autoprobe 0)",
			   n, pf->bdf);
		else
			OK(e, "%ld VFs of %s created, %d bound to %s", n, pf->bdf, bound,
			   vd ? vd : "(none)");
	}
}

/* Does an NVIDIA creatable_vgpu_types table list id? */
static bool table_has(const char *table, long id)
{
	const char *l = strchr(table, '\n');	/* skip the header */

	while (l && *++l) {
		char *end;
		long v = strtol(l, &end, 10);

		if (end != l && v == id)
			return true;
		l = strchr(l, '\n');
	}
	return false;
}

static void on_vgpu(struct ev *e, struct dev *d)
{
	char rel[PATH_MAX], table[4096], show[32], *end, arg[32];
	long id;

	delay("vgpu", d->bdf);
	pathf(show, sizeof(show), "%ld\n", d->vgpu_cur);
	errno = 0;
	id = strtol(e->arg, &end, 10);
	if (errno || end == e->arg || *end || id < 0) {
		ev_show(e, show);
		REFUSED(e, "\"%s\" is not a vGPU type id (EINVAL)", shown(e->arg, strlen(e->arg)));
		return;
	}
	if (id == d->vgpu_cur) {
		ev_show(e, show);
		OK(e, "vGPU type of %s is already %ld", d->bdf, id);
		return;
	}
	pathf(arg, sizeof(arg), "%ld", id);
	if (refused("vgpu", d->bdf, arg)) {
		ev_show(e, show);
		REFUSED(e, "control: refuse vgpu %s", d->bdf);
		return;
	}
	pathf(rel, sizeof(rel), "%s/nvidia/creatable_vgpu_types", d->path);
	if (id == 0) {
		/* the vGPU goes: its VF can host the types it could before */
		if (d->vgpu_saved) {
			put(rel, d->vgpu_saved, 0444);
			free(d->vgpu_saved);
			d->vgpu_saved = NULL;
		}
		OK(e, "vGPU type %ld of %s cleared", d->vgpu_cur, d->bdf);
		d->vgpu_cur = 0;
		ev_show(e, "0\n");
		return;
	}
	if (d->vgpu_cur) {
		ev_show(e, show);
		REFUSED(e, "%s already hosts vGPU type %ld; write 0 first (EBUSY)", d->bdf,
			d->vgpu_cur);
		return;
	}
	if (attr(rel, table, sizeof(table)) < 0 || !table_has(table, id)) {
		ev_show(e, show);
		REFUSED(e, "type %ld is not in creatable_vgpu_types of %s (EINVAL)", id, d->bdf);
		return;
	}
	free(d->vgpu_saved);
	read_at(sysfd, rel, table, sizeof(table));
	d->vgpu_saved = xstrdup(table);
	put(rel, "ID    : vGPU Name\n", 0444);
	d->vgpu_cur = id;
	pathf(show, sizeof(show), "%ld\n", id);
	ev_show(e, show);
	OK(e, "vGPU type of %s is %ld", d->bdf, id);
}

static void on_create(struct ev *e, struct mtype *t)
{
	char uuid[37], rel[PATH_MAX];
	const struct rule *r;

	ev_show(e, "");
	delay("create", t->parent->name);
	if (!uuid_norm(e->arg, uuid)) {
		REFUSED(e, "\"%s\" is not a UUID (EINVAL)", shown(e->arg, strlen(e->arg)));
		return;
	}
	pathf(rel, sizeof(rel), "bus/mdev/devices/%s", uuid);
	if (find_mdev(uuid) || exists_at(sysfd, rel)) {
		REFUSED(e, "mdev %s exists (EEXIST)", uuid);
		return;
	}
	if (t->avail <= 0) {
		REFUSED(e, "no instance of %s available on %s", t->id, t->parent->name);
		return;
	}
	if ((r = refused("create", t->parent->name, t->id))) {
		REFUSED(e, "control: refuse create %s%s%s", r->target, *r->arg ? " " : "",
			r->arg);
		return;
	}
	mdev_create(t, uuid);
	OK(e, "mdev %s of type %s created on %s", uuid, t->id, t->parent->name);
}

static void on_remove(struct ev *e, struct mdev *m)
{
	char uuid[40], *end;
	long v;

	ev_show(e, "");
	pathf(uuid, sizeof(uuid), "%s", m->uuid);
	delay("remove", uuid);
	v = strtol(e->arg, &end, 0);
	if (end == e->arg || *end) {
		REFUSED(e, "\"%s\" is not a number (EINVAL)", shown(e->arg, strlen(e->arg)));
		return;
	}
	if (!v) {
		OK(e, "0 written: %s stays", uuid);
		return;
	}
	if (refused("remove", uuid, NULL)) {
		REFUSED(e, "control: refuse remove %s", uuid);
		return;
	}
	mdev_remove(m);
	OK(e, "mdev %s removed", uuid);
}

static void add_driver_watch(const char *name)
{
	char rel[PATH_MAX];

	pathf(rel, sizeof(rel), "bus/pci/drivers/%s", name);
	watch(rel, IN_CLOSE_WRITE, W_DRIVER, NULL);
}

static void ev_write(struct watch *w, const char *name)
{
	char rel[PATH_MAX];
	struct stat st;
	struct ev *e;
	ssize_t n;

	if (w->kind == W_CONTROL) {
		size_t nr;

		if (strcmp(name, control_base))
			return;
		nr = control_load();
		fprintf(logfp, "#%lu %s: %zu rule%s\n", ++seq, control_path, nr,
			nr == 1 ? "" : "s");
		fflush(logfp);
		return;
	}
	pathf(rel, sizeof(rel), "%s/%s", w->dir, name);
	if (fstatat(sysfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
		return;
	e = xmalloc(sizeof(*e));
	e->rel = rel;
	e->mode = st.st_mode & 07777;
	n = read_at(sysfd, rel, e->val, sizeof(e->val));
	e->len = n > 0 ? (size_t)n : 0;
	memcpy(e->arg, e->val, e->len);
	e->arg[e->len] = '\0';
	if (e->len && e->arg[e->len - 1] == '\n')	/* sysfs_streq() */
		e->arg[e->len - 1] = '\0';
	seq++;
	/* crash tests: the writer dies right after this write, before it
	 * can see the reaction (which still happens, as the kernel's would) */
	for (size_t i = 0; i < nrules; i++) {
		struct rule *r = &rules[i];

		if (r->kind != R_KILL || r->ms <= 0 || ++r->hits <= r->after)
			continue;
		kill((pid_t)r->ms, SIGKILL);
		fprintf(logfp, "#%lu killed %ld at its write %ld (%s)\n", seq, r->ms,
			r->hits, rel);
		r->ms = 0;
	}

	switch (w->kind) {
	case W_BUS:
		if (!strcmp(name, "drivers_probe"))
			on_probe(e);
		break;
	case W_DRIVER:
		if (!strcmp(name, "bind") || !strcmp(name, "unbind"))
			on_bind(e, base_of(w->dir), !strcmp(name, "bind"));
		break;
	case W_DEV: {
		struct dev *d = w->obj;

		if (!strcmp(name, "driver_override"))
			on_override(e, d);
		else if (!strcmp(name, "sriov_numvfs") && d->totalvfs > 0)
			on_numvfs(e, d);
		else if (!strcmp(name, "sriov_drivers_autoprobe") && d->totalvfs > 0)
			on_autoprobe(e, d);
		break;
	}
	case W_NVIDIA:
		if (!strcmp(name, "current_vgpu_type"))
			on_vgpu(e, w->obj);
		break;
	case W_MTYPE:
		if (!strcmp(name, "create"))
			on_create(e, w->obj);
		break;
	case W_MDEV:
		if (!strcmp(name, "remove"))
			on_remove(e, w->obj);
		break;
	}
	if (!*e->result) {
		/* not emulated: a write-only file shows nothing again */
		if (!(e->mode & 0444))
			ev_show(e, "");
		pathf(e->result, sizeof(e->result), "ignored: not emulated%s",
			 e->restored ? "" : " (left as written)");
	}
	fprintf(logfp, "#%lu %s <- \"%s\": %s\n", seq, rel, shown(e->val, e->len), e->result);
	fflush(logfp);
	free(e);
}

static void ev_dir(struct watch *w, const char *name)
{
	char rel[PATH_MAX];

	pathf(rel, sizeof(rel), "bus/pci/drivers/%s", name);
	if (w->kind != W_DRIVERS || !is_dir(rel))
		return;
	add_driver_watch(name);
	fprintf(logfp, "#%lu %s: driver appeared\n", ++seq, rel);
	fflush(logfp);
}

/* ------------------------------------------------------------------------
 * Start-up: what the tree holds
 * ---------------------------------------------------------------------- */

static void scan_pci(void)
{
	DIR *dir = opendir_at(sysfd, "bus/pci/devices");
	struct dirent *e;

	if (!dir)
		die("%s/bus/pci/devices: %s", sys_abs, strerror(errno));
	while ((e = readdir(dir))) {
		char link[PATH_MAX], path[PATH_MAX], rel[PATH_MAX], buf[4096];
		struct dev *d;

		if (!is_bdf(e->d_name))
			continue;
		pathf(link, sizeof(link), "bus/pci/devices/%s", e->d_name);
		if (link_target(link, path, sizeof(path)) < 0 || !is_dir(path))
			continue;
		d = xmalloc(sizeof(*d));
		pathf(d->bdf, sizeof(d->bdf), "%s", e->d_name);
		d->path = xstrdup(path);
		d->vf_index = -1;
		d->nvwd = -1;
		if (cur_driver(d, buf, sizeof(buf)) == 0 && strcmp(buf, "vfio-pci") &&
		    strcmp(buf, "pci-stub"))
			d->native = xstrdup(buf);
		pathf(rel, sizeof(rel), "%s/driver_override", path);
		if (attr(rel, buf, sizeof(buf)) == 0 && *buf && strcmp(buf, "(null)"))
			d->override = xstrdup(buf);
		pathf(rel, sizeof(rel), "%s/sriov_totalvfs", path);
		d->totalvfs = (int)attr_long(rel, 0, 10);
		if (d->totalvfs > 0) {
			pathf(rel, sizeof(rel), "%s/sriov_numvfs", path);
			d->numvfs = (int)attr_long(rel, 0, 10);
			pathf(rel, sizeof(rel), "%s/sriov_drivers_autoprobe", path);
			d->autoprobe = (int)attr_long(rel, 1, 10);
		}
		pathf(rel, sizeof(rel), "%s/physfn", path);
		if (link_base(rel, buf, sizeof(buf)) == 0 && is_bdf(buf))
			pathf(d->pf, sizeof(d->pf), "%s", buf);
		pathf(rel, sizeof(rel), "%s/nvidia/current_vgpu_type", path);
		if (exists_at(sysfd, rel)) {
			d->vgpu = true;
			d->vgpu_cur = attr_long(rel, 0, 10);
		}
		vfio_dev_scan(path, false);
		GROW(devs, ndevs);
		devs[ndevs++] = d;
	}
	closedir(dir);

	/* VFs: their index, and what they teach about their kind */
	for (size_t i = 0; i < ndevs; i++) {
		struct dev *pf = devs[i];

		for (int k = 0; k < pf->numvfs; k++) {
			char rel[PATH_MAX], vb[32], drv[64], v[16];
			struct dev *vf;
			struct vfinfo *vi;

			pathf(rel, sizeof(rel), "%s/virtfn%d", pf->path, k);
			if (link_base(rel, vb, sizeof(vb)) < 0 || !(vf = find_dev(vb)))
				continue;
			vf->vf_index = k;
			pathf(rel, sizeof(rel), "%s/vendor", vf->path);
			attr(rel, v, sizeof(v));
			pathf(rel, sizeof(rel), "%s/device", vf->path);
			vi = vfinfo_get((unsigned int)strtoul(v, NULL, 16),
					(unsigned int)attr_long(rel, 0, 16), true);
			if (!*vi->svid) {
				pathf(rel, sizeof(rel), "%s/subsystem_vendor", vf->path);
				attr(rel, vi->svid, sizeof(vi->svid));
				pathf(rel, sizeof(rel), "%s/subsystem_device", vf->path);
				attr(rel, vi->sdid, sizeof(vi->sdid));
			}
			if (!vi->driver && cur_driver(vf, drv, sizeof(drv)) == 0 &&
			    strcmp(drv, "vfio-pci") && strcmp(drv, "pci-stub"))
				vi->driver = xstrdup(drv);
			if (vf->vgpu) {
				char table[4096];

				pathf(rel, sizeof(rel), "%s/nvidia/creatable_vgpu_types",
					 vf->path);
				if (read_at(sysfd, rel, table, sizeof(table)) > 0 &&
				    strchr(table, '\n') && strchr(table, '\n')[1]) {
					if (!vi->vgpu_table)
						vi->vgpu_table = xstrdup(table);
				}
			}
		}
	}
	for (size_t i = 0; i < ndevs; i++) {
		struct dev *d = devs[i], *pf;
		char rel[PATH_MAX];

		/* a VF without a driver of its own binds its PF's VF driver */
		if (*d->pf && !d->native && (pf = find_dev(d->pf))) {
			const char *vd = vf_driver_of(pf);

			d->native = vd ? xstrdup(vd) : NULL;
		}
		/* a VF with a type set could host what its siblings can */
		if (d->vgpu && d->vgpu_cur && (pf = find_dev(d->pf))) {
			char v[16];
			struct vfinfo *vi;

			pathf(rel, sizeof(rel), "%s/vendor", d->path);
			attr(rel, v, sizeof(v));
			pathf(rel, sizeof(rel), "%s/device", d->path);
			vi = vfinfo_get((unsigned int)strtoul(v, NULL, 16),
					(unsigned int)attr_long(rel, 0, 16), false);
			if (vi && vi->vgpu_table)
				d->vgpu_saved = xstrdup(vi->vgpu_table);
		}
		d->wd = watch(d->path, IN_CLOSE_WRITE, W_DEV, d);
		if (d->vgpu) {
			pathf(rel, sizeof(rel), "%s/nvidia", d->path);
			d->nvwd = watch(rel, IN_CLOSE_WRITE, W_NVIDIA, d);
		}
	}
}

static void scan_drivers(void)
{
	DIR *dir = opendir_at(sysfd, "bus/pci/drivers");
	struct dirent *e;

	if (!dir)
		die("%s/bus/pci/drivers: %s", sys_abs, strerror(errno));
	while ((e = readdir(dir))) {
		char rel[PATH_MAX];

		pathf(rel, sizeof(rel), "bus/pci/drivers/%s", e->d_name);
		if (e->d_name[0] != '.' && is_dir(rel))
			add_driver_watch(e->d_name);
	}
	closedir(dir);
	watch("bus/pci/drivers", IN_CREATE | IN_MOVED_TO, W_DRIVERS, NULL);
	watch("bus/pci", IN_CLOSE_WRITE, W_BUS, NULL);
}

static long max_instance(const char *desc)
{
	const char *s = strstr(desc, "max_instance=");

	return s ? strtol(s + 13, NULL, 10) : -1;
}

static void scan_mdev(void)
{
	DIR *dir = opendir_at(sysfd, "class/mdev_bus");
	struct dirent *e;

	if (!dir)
		return;
	while ((e = readdir(dir))) {
		char link[PATH_MAX], path[PATH_MAX], rel[PATH_MAX];
		struct parent *p;
		struct dirent *te;
		DIR *tdir;

		if (e->d_name[0] == '.')
			continue;
		pathf(link, sizeof(link), "class/mdev_bus/%s", e->d_name);
		if (link_target(link, path, sizeof(path)) < 0)
			continue;
		p = xmalloc(sizeof(*p));
		p->name = xstrdup(e->d_name);
		p->path = xstrdup(path);
		GROW(parents, nparents);
		parents[nparents++] = p;
		pathf(rel, sizeof(rel), "%s/mdev_supported_types", path);
		tdir = opendir_at(sysfd, rel);
		while (tdir && (te = readdir(tdir))) {
			char td[PATH_MAX], desc[1024];
			struct mtype *t;
			struct dirent *ie;
			DIR *idir;
			long mx;

			if (te->d_name[0] == '.')
				continue;
			pathf(td, sizeof(td), "%s/mdev_supported_types/%s", path, te->d_name);
			t = xmalloc(sizeof(*t));
			t->parent = p;
			t->id = xstrdup(te->d_name);
			pathf(rel, sizeof(rel), "%s/available_instances", td);
			t->avail = attr_long(rel, 0, 10);
			pathf(rel, sizeof(rel), "%s/description", td);
			mx = attr(rel, desc, sizeof(desc)) == 0 ? max_instance(desc) : -1;
			if (mx >= 0)
				p->homogeneous = true;
			t->max = mx;
			GROW(mtypes, nmtypes);
			mtypes[nmtypes++] = t;
			pathf(rel, sizeof(rel), "%s/devices", td);
			idir = opendir_at(sysfd, rel);
			while (idir && (ie = readdir(idir))) {
				char ip[PATH_MAX], drv[64];
				struct mdev *m;

				if (ie->d_name[0] == '.')
					continue;
				pathf(link, sizeof(link), "%s/devices/%s", td, ie->d_name);
				if (link_target(link, ip, sizeof(ip)) < 0)
					continue;
				m = xmalloc(sizeof(*m));
				pathf(m->uuid, sizeof(m->uuid), "%s", ie->d_name);
				m->type = t;
				m->path = xstrdup(ip);
				m->group = dev_group(ip);
				pathf(rel, sizeof(rel), "%s/driver", ip);
				if (!p->driver && link_base(rel, drv, sizeof(drv)) == 0)
					p->driver = xstrdup(drv);
				vfio_dev_scan(ip, false);
				GROW(mdevs, nmdevs);
				mdevs[nmdevs++] = m;
				m->wd = watch(ip, IN_CLOSE_WRITE, W_MDEV, m);
			}
			if (idir)
				closedir(idir);
			t->wd = watch(td, IN_CLOSE_WRITE, W_MTYPE, t);
		}
		if (tdir)
			closedir(tdir);
	}
	closedir(dir);

	for (size_t i = 0; i < nmtypes; i++)
		if (mtypes[i]->max < 0)		/* no max_instance: what is left */
			mtypes[i]->max = mtypes[i]->avail + mtype_count(mtypes[i]);
	for (size_t i = 0; i < nparents; i++) {
		struct parent *p = parents[i];
		DIR *dd;
		struct dirent *de;
		int n = 0;
		char only[NAME_MAX + 1] = "";

		if (p->driver)
			continue;
		/* no instance to learn from: the one mdev driver there is */
		dd = opendir_at(sysfd, "bus/mdev/drivers");
		while (dd && (de = readdir(dd)))
			if (de->d_name[0] != '.') {
				n++;
				pathf(only, sizeof(only), "%s", de->d_name);
			}
		if (dd)
			closedir(dd);
		if (n == 1)
			p->driver = xstrdup(only);
	}
}

static void scan_vfio_devnodes(void)
{
	DIR *dir = opendir_at(devfd, "vfio/devices");
	struct dirent *e;

	if (!dir)
		return;
	while ((e = readdir(dir)))
		vfio_mark(e->d_name, true);
	closedir(dir);
}

/* ------------------------------------------------------------------------
 * Main
 * ---------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fputs("usage: fakekernel --root DIR [--control FILE] [--log FILE] [--pidfile FILE]\n"
	      "                  [--ready-fd N | --ready-file FILE] [--exit-with-parent]\n"
	      "Reacts to writes under DIR/sys as Linux would (see README.md).\n"
	      "  --root DIR        the fixture root (DIR/sys, DIR/dev)\n"
	      "  --control FILE    injected failures (default DIR/.fakekernel/control)\n"
	      "  --log FILE        one line per reaction (default DIR/.fakekernel/log)\n"
	      "  --pidfile FILE    write the process id there\n"
	      "  --ready-fd N      write \"ready\\n\" to fd N, then close it, once watching\n"
	      "  --ready-file FILE create FILE (holding the pid) once watching\n"
	      "  --exit-with-parent  end when the process that started it ends\n", f);
}

static void write_file(const char *path, const char *text)
{
	char *tmp = xasprintf("%s.tmp%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "we");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0 || rename(tmp, path) < 0)
		die("%s: %s", path, strerror(errno));
	free(tmp);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "control", required_argument, NULL, 'c' },
		{ "log", required_argument, NULL, 'l' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "ready-fd", required_argument, NULL, 'f' },
		{ "ready-file", required_argument, NULL, 'F' },
		{ "exit-with-parent", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char *root_arg = NULL, *control_arg = NULL, *pidfile = NULL, *ready_file = NULL, *end;
	char buf[65536] __attribute__((aligned(__alignof__(struct inotify_event))));
	int ready_fd = -1, c, sfd;
	bool with_parent = false;
	struct pollfd pfd[2];
	sigset_t mask;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': root_arg = optarg; break;
		case 'c': control_path = control_arg = optarg; break;
		case 'l': log_path = optarg; break;
		case 'p': pidfile = optarg; break;
		case 'F': ready_file = optarg; break;
		case 'P': with_parent = true; break;
		case 'f':
			ready_fd = (int)strtol(optarg, &end, 10);
			if (*end || ready_fd < 0)
				die("--ready-fd %s: not a file descriptor", optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!root_arg || optind != argc) {
		usage(stderr);
		return 2;
	}
	root = realpath(root_arg, NULL);
	if (!root)
		die("%s: %s", root_arg, strerror(errno));
	sys_abs = xasprintf("%s/sys", root);
	dev_abs = xasprintf("%s/dev", root);
	state_abs = xasprintf("%s/.fakekernel", root);
	sysfd = open(sys_abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sysfd < 0)
		die("%s: %s (is %s a gen-sysfs tree?)", sys_abs, strerror(errno), root);
	if (mkdir(dev_abs, 0755) < 0 && errno != EEXIST)
		die("%s: %s", dev_abs, strerror(errno));
	devfd = open(dev_abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mkdir(state_abs, 0755) < 0 && errno != EEXIST)
		die("%s: %s", state_abs, strerror(errno));
	statefd = open(state_abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (devfd < 0 || statefd < 0)
		die("%s: %s", devfd < 0 ? dev_abs : state_abs, strerror(errno));
	rm_rf_at(statefd, "stash");
	if (mkdirat(statefd, "tmp", 0755) < 0 && errno != EEXIST)
		die("%s/tmp: %s", state_abs, strerror(errno));
	if (!control_path)
		control_path = xasprintf("%s/control", state_abs);
	if (!log_path)
		log_path = xasprintf("%s/log", state_abs);
	logfp = fopen(log_path, "ae");
	if (!logfp)
		die("%s: %s", log_path, strerror(errno));
	{
		char *cp = realpath(control_path, NULL), d[PATH_MAX];

		/* the file may not exist yet: its directory must. The default
		 * path was ours to free; --control's is argv's. */
		if (cp) {
			if (control_path != control_arg)
				free(control_path);
			control_path = cp;
		}
		control_dir = xstrdup(dir_of(control_path, d, sizeof(d)));
		control_base = xstrdup(base_of(control_path));
		if (!*control_dir)
			control_dir = xstrdup(".");
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		die("sigprocmask: %s", strerror(errno));
	if (with_parent) {
		/* a test driver that dies (a CTest timeout) takes us along */
		pid_t parent = getppid();

		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
			die("prctl: %s", strerror(errno));
		if (getppid() != parent || parent == 1)
			return 0;
	}
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	ifd = inotify_init1(IN_CLOEXEC);
	if (sfd < 0 || ifd < 0)
		die("%s: %s", sfd < 0 ? "signalfd" : "inotify_init1", strerror(errno));
	if (watch(control_dir, IN_CLOSE_WRITE | IN_MOVED_TO, W_CONTROL, NULL) < 0)
		die("%s: cannot watch it", control_dir);

	fprintf(logfp, "fakekernel %ld: %s\n", (long)getpid(), root);
	scan_vfio_devnodes();
	scan_pci();
	scan_drivers();
	scan_mdev();
	{
		size_t nr = control_load();

		fprintf(logfp, "#%lu %s: %zu rule%s\n", ++seq, control_path, nr,
			nr == 1 ? "" : "s");
		fprintf(logfp, "ready: %zu PCI functions, %zu mdev parents, %zu mdevs, "
			"%d watches\n", ndevs, nparents, nmdevs, nwatches);
		fflush(logfp);
	}

	if (pidfile) {
		char pid[32];

		pathf(pid, sizeof(pid), "%ld\n", (long)getpid());
		write_file(pidfile, pid);
	}
	if (ready_file) {
		char pid[32];

		pathf(pid, sizeof(pid), "%ld\n", (long)getpid());
		write_file(ready_file, pid);
	}
	if (ready_fd >= 0) {
		if (write(ready_fd, "ready\n", 6) != 6)
			die("--ready-fd %d: %s", ready_fd, strerror(errno));
		close(ready_fd);
	}

	pfd[0] = (struct pollfd){ .fd = ifd, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	for (;;) {
		ssize_t n;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		if (pfd[1].revents) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				fprintf(logfp, "fakekernel %ld: signal %u, exiting\n",
					(long)getpid(), si.ssi_signo);
				break;
			}
		}
		if (!pfd[0].revents)
			continue;
		n = read(ifd, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die("reading inotify events: %s", strerror(errno));
		}
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			struct watch *w = ev->wd >= 0 && ev->wd < nwatches ? &watches[ev->wd] : NULL;

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				fprintf(logfp, "error: inotify queue overflow: writes were lost\n");
				fflush(logfp);
				continue;
			}
			if (!w || w->kind == W_NONE)
				continue;
			if (ev->mask & IN_IGNORED) {
				w->kind = W_NONE;
				continue;
			}
			if (!ev->len)
				continue;
			if (ev->mask & (IN_CREATE | IN_MOVED_TO) && w->kind == W_DRIVERS)
				ev_dir(w, ev->name);
			else if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO))
				ev_write(w, ev->name);
		}
	}
	if (pidfile)
		unlink(pidfile);
	fclose(logfp);
	return 0;
}
