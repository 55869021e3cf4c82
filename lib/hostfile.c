// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * hostfile binder: whole configuration files that other parts of the
 * host read (udev rules, pam_limits snippets), written as steps of a plan.
 * A file is replaced atomically (temp file, fsync, rename) with mode 0644
 * and owner root:root; directories are created 0755 one component at a
 * time, and nothing on the way is followed through a symlink (O_NOFOLLOW
 * on every component and on the file). Undo puts back what the step found
 * (the old text, or no file).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "binder.h"

#define HOSTFILE_MAX	(256 * 1024)

struct hostfile {
	char *base;		/* an existing directory, absolute */
	char *rel;		/* "udev/rules.d/70-x.rules" below it */
	char *text;		/* NULL: no file */
	bool have_before;
	char *before;		/* as found at run; NULL: no file */
};

static void hf_free(void *data)
{
	struct hostfile *h = data;

	free(h->base);
	free(h->rel);
	free(h->text);
	free(h->before);
	free(h);
}

/*
 * The directory of h->rel, opened component by component below base
 * (created 0755 where missing when create), and the file's name. fd or
 * -errno.
 */
static int open_parent(const struct hostfile *h, bool create, const char **name)
{
	char comp[NAME_MAX + 1];
	const char *p = h->rel, *slash;
	int fd = open(h->base, O_RDONLY | O_DIRECTORY | O_CLOEXEC), next;

	if (fd < 0)
		return -errno;
	while ((slash = strchr(p, '/'))) {
		size_t n = (size_t)(slash - p);

		memcpy(comp, p, n);
		comp[n] = '\0';
		if (create && mkdirat(fd, comp, 0755) == 0) {
			next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (next >= 0 && fchmod(next, 0755) < 0) {
				close(next);
				next = -1;
			}
		} else {
			next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0) {
			int e = errno == ENOTDIR ? ELOOP : errno;

			close(fd);
			return -e;
		}
		close(fd);
		fd = next;
		p = slash + 1;
	}
	*name = p;
	return fd;
}

/* The file's text now: 0 with *text (NULL: no file), or -errno. */
static int read_now(const struct hostfile *h, char **text)
{
	const char *name;
	char *buf;
	struct stat sb;
	ssize_t n;
	int dfd = open_parent(h, false, &name), fd;

	*text = NULL;
	if (dfd == -ENOENT)
		return 0;
	if (dfd < 0)
		return dfd;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	close(dfd);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size > HOSTFILE_MAX) {
		close(fd);
		return -EINVAL;
	}
	buf = calloc(1, sb.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	n = read(fd, buf, sb.st_size);
	close(fd);
	if (n != sb.st_size) {
		free(buf);
		return n < 0 ? -errno : -EIO;
	}
	*text = buf;
	return 0;
}

/* Make the file hold text (NULL: remove it). 0 or -errno. */
static int put(const struct hostfile *h, const char *text)
{
	const char *name;
	char tmp[NAME_MAX + 1];
	unsigned int rnd = 0;
	int dfd = open_parent(h, text != NULL, &name), fd, r = 0;
	size_t len, done = 0;

	if (dfd == -ENOENT && !text)
		return 0;
	if (dfd < 0)
		return dfd;
	if (!text) {
		r = unlinkat(dfd, name, 0) < 0 && errno != ENOENT ? -errno : 0;
		if (!r)
			fsync(dfd);
		close(dfd);
		return r;
	}
	if (getrandom(&rnd, sizeof(rnd), 0) < 0)
		rnd = (unsigned int)getpid();
	if (snprintf(tmp, sizeof(tmp), ".%s.%08x", name, rnd) >= (int)sizeof(tmp)) {
		close(dfd);
		return -ENAMETOOLONG;
	}
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		close(dfd);
		return r;
	}
	if (geteuid() == 0 && fchown(fd, 0, 0) < 0)
		r = -errno;
	if (!r && fchmod(fd, 0644) < 0)
		r = -errno;
	for (len = strlen(text); !r && done < len;) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		else
			done += n;
	}
	if (!r && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && renameat(dfd, tmp, dfd, name) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(dfd, tmp, 0);
	else
		fsync(dfd);
	close(dfd);
	return r;
}

static int hf_run(struct pt_plan *p, struct pt_step *s, char *why, size_t wlen)
{
	struct hostfile *h = pt__step_data(s);
	int r;

	(void)p;
	if (!h->have_before) {
		r = read_now(h, &h->before);
		if (r < 0) {
			snprintf(why, wlen, "cannot read: %s%s", strerror(-r), r == -ELOOP ?
				 " (links are never followed there: remove the link)" : "");
			return r;
		}
		h->have_before = true;
	}
	r = put(h, h->text);
	if (r < 0)
		snprintf(why, wlen, "cannot %s: %s%s", h->text ? "write" : "remove",
			 strerror(-r), r == -ELOOP ?
			 " (links are never followed there: remove the link)" : "");
	return r;
}

static int hf_verify(struct pt_plan *p, struct pt_step *s, char *why, size_t wlen)
{
	struct hostfile *h = pt__step_data(s);
	char *now;
	int r = read_now(h, &now);

	(void)p;
	if (r < 0) {
		snprintf(why, wlen, "cannot read back: %s", strerror(-r));
		return r;
	}
	r = h->text ? now && !strcmp(now, h->text) : !now;
	if (!r)
		snprintf(why, wlen, "%s", h->text ? "does not hold what was written" :
			 "is still there");
	free(now);
	return r;
}

static int hf_undo(struct pt_plan *p, struct pt_step *s, char *why, size_t wlen)
{
	struct hostfile *h = pt__step_data(s);
	int r;

	(void)p;
	if (!h->have_before)
		return 0;
	r = put(h, h->before);
	if (r < 0)
		snprintf(why, wlen, "cannot put back: %s", strerror(-r));
	return r;
}

static const struct pt__step_ops hostfile_ops = {
	.name = "hostfile.write",
	.kind = "write",
	.run = hf_run,
	.verify = hf_verify,
	.undo = hf_undo,
	.free = hf_free,
};

/* rel: components of [A-Za-z0-9._-], none starting with '.', no "//". */
static bool rel_ok(const char *rel)
{
	const char *p = rel;

	if (!*rel || strlen(rel) >= PATH_MAX)
		return false;
	for (;;) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (!n || n > NAME_MAX - 10 || p[0] == '.')
			return false;
		for (size_t i = 0; i < n; i++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789._-", p[i]))
				return false;
		if (!end)
			return true;
		p = end + 1;
	}
}

int pt__hostfile_holds(const char *base, const char *rel, const char *text)
{
	struct hostfile h = { .base = (char *)base, .rel = (char *)rel };
	char *now = NULL;
	int r;

	if (!base || base[0] != '/' || !rel || !rel_ok(rel))
		return -EINVAL;
	r = read_now(&h, &now);
	if (r < 0)
		return r;
	r = text ? now && !strcmp(now, text) : !now;
	free(now);
	return r;
}

int pt__hostfile_plan_write(struct pt_plan *p, const char *base, const char *rel,
			    const char *text, const char *desc)
{
	struct hostfile *h;

	if (!base || base[0] != '/' || !rel || !rel_ok(rel) ||
	    (text && strlen(text) > HOSTFILE_MAX))
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->base = strdup(base);
	h->rel = strdup(rel);
	h->text = text ? strdup(text) : NULL;
	if (!h->base || !h->rel || (text && !h->text)) {
		hf_free(h);
		return -ENOMEM;
	}
	if (!pt__plan_add(p, &hostfile_ops, h, NULL, rel, text ? "written" : "removed",
			  "%s", desc))
		return -ENOMEM;
	return 0;
}
