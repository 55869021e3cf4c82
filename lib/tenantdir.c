// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A tenant's own directory: <conf>/tenants.d/<tenant>.d/, made by root
 * when the tenant is created (root:<admins>, mode 2770) and removed with
 * it. The tenant's admins, who are not root, write there what their VMs
 * ask for and hold; nothing else of pt's state is theirs to write:
 *
 *   <tenant>.d/<vm>.ini     a VM's requests (the format of vms.d)
 *   <tenant>.d/<vm>.lease   a started VM's lease (the format of leases/)
 *   <tenant>.d/.lock        flock'ed by every change of the directory
 *
 * Every file there is untrusted input, to root above all (gc, revoke,
 * a host VM drawing from a tenant group): it is opened relative to the
 * directory's fd with O_NOFOLLOW|O_NONBLOCK (a planted symlink fails,
 * a FIFO never blocks), must be a regular file with one link, at most
 * TDIR_FILE_MAX bytes, text without NUL; the callers parse it strictly
 * and check every unit it names against the tenant's grants. Root never
 * acts on the host from it: a tenant's start changes nothing on the host
 * (everything that needs root was done by the grant), so a tenant's lease
 * holds no host change to undo, and freeing one is removing the file.
 *
 * The tenant lock is one the tenant can hold (forever, if it likes), so
 * root never waits on it for long: root takes it with a bounded wait
 * (revoke, a host VM drawing the tenant's units) or not at all (gc skips
 * a tenant whose lock is held), after the run dir's lock, never before.
 *
 * tenants.d/ itself is 0711: other users reach the files whose names they
 * know but list nothing. A non-root user finds its tenants through
 * tenants.d/.admins/<unixgroup> (0640 root:<unixgroup>, the names of the
 * tenants whose admins that group is), written by root's tenant changes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "policy.h"

#define TENANTS_DIR	"tenants.d"
#define INDEX_DIR	".admins"
#define TDIR_LOCK	".lock"
#define TDIR_FILE_MAX	(64 * 1024)

/* <conf>/tenants.d as an O_PATH fd (never through a link), or -errno. */
static int open_tenants_dir(struct pt_ctx *ctx)
{
	int cfd = open(pt_get_conf_dir(ctx), O_PATH | O_DIRECTORY | O_CLOEXEC), fd, e;

	if (cfd < 0)
		return -errno;
	fd = openat(cfd, TENANTS_DIR, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	e = errno;
	close(cfd);
	return fd < 0 ? -e : fd;
}

void pt__tdir_name(const char *tenant, char *buf, size_t len)
{
	snprintf(buf, len, "%s.d", tenant);
}

int pt__tdir_open(struct pt_ctx *ctx, const char *tenant, char *err, size_t errlen)
{
	char name[PT_NAME_MAX + 8];
	struct stat sb;
	int tfd, fd, e;

	if (!pt__name_is_valid(tenant))
		return pt__seterr(err, errlen, -EINVAL, "'%s' is not a valid tenant name",
				  tenant ? tenant : "");
	tfd = open_tenants_dir(ctx);
	if (tfd < 0)
		return pt__seterr(err, errlen, tfd, "%s/" TENANTS_DIR ": %s", pt_get_conf_dir(ctx),
				  strerror(-tfd));
	pt__tdir_name(tenant, name, sizeof(name));
	fd = openat(tfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	e = errno;
	close(tfd);
	if (fd < 0) {
		if (e == ENOENT)
			return pt__seterr(err, errlen, -ENOENT, "tenant '%s' has no directory %s/"
					  TENANTS_DIR "/%s; root makes it with 'pt tenant grant' or "
					  "'pt tenant create'", tenant, pt_get_conf_dir(ctx), name);
		if (e == EACCES)
			return pt__seterr(err, errlen, -EACCES,
					  "tenant '%s': permission denied: its "
					  "VMs are its admins' (members of its Unix group) and root's",
					  tenant);
		return pt__seterr(err, errlen, e == ENOTDIR ? -ELOOP : -e, "tenant '%s': %s/"
				  TENANTS_DIR "/%s: %s", tenant, pt_get_conf_dir(ctx), name,
				  e == ENOTDIR ? "not a directory (or a link to one)" : strerror(e));
	}
	/* made by root: a directory someone else owns is not the tenant's */
	if (fstat(fd, &sb) < 0 || sb.st_uid != 0 || (sb.st_mode & 0002)) {
		close(fd);
		return pt__seterr(err, errlen, -EPERM, "tenant '%s': %s/" TENANTS_DIR "/%s is not "
				  "root's (owner %u, mode %04o); remove it and run 'pt tenant grant' "
				  "again", tenant, pt_get_conf_dir(ctx), name,
				  (unsigned int)sb.st_uid, (unsigned int)(sb.st_mode & 07777));
	}
	return fd;
}

static int make_lock(int dfd, gid_t gid)
{
	int fd = openat(dfd, TDIR_LOCK, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			0660);

	if (fd < 0)
		return errno == EEXIST ? 0 : -errno;
	if (fchown(fd, 0, gid) < 0 || fchmod(fd, 0660) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	close(fd);
	return 0;
}

int pt__tdir_create(struct pt_ctx *ctx, const char *tenant, gid_t gid, char *err,
		    size_t errlen)
{
	char name[PT_NAME_MAX + 8];
	int tfd, fd, r;

	pt__tdir_name(tenant, name, sizeof(name));
	tfd = open_tenants_dir(ctx);
	if (tfd < 0)
		return pt__seterr(err, errlen, tfd, "%s/" TENANTS_DIR ": %s", pt_get_conf_dir(ctx),
				  strerror(-tfd));
	if (mkdirat(tfd, name, 0700) < 0 && errno != EEXIST) {
		r = -errno;
		close(tfd);
		return pt__seterr(err, errlen, r, "%s/" TENANTS_DIR "/%s: cannot create: %s",
				  pt_get_conf_dir(ctx), name, strerror(-r));
	}
	fd = openat(tfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	r = fd < 0 ? -errno : 0;
	close(tfd);
	if (r < 0)
		return pt__seterr(err, errlen, r == -ENOTDIR ? -ELOOP : r, "%s/" TENANTS_DIR
				  "/%s: %s", pt_get_conf_dir(ctx), name,
				  r == -ENOTDIR ? "not a directory (or a link to one); remove it" :
				  strerror(-r));
	/* owner and group first, then the mode: never open to the wrong group */
	if ((geteuid() == 0 && fchown(fd, 0, gid) < 0) || fchmod(fd, 02770) < 0)
		r = -errno;
	if (!r)
		r = make_lock(fd, gid);
	close(fd);
	return r < 0 ? pt__seterr(err, errlen, r, "%s/" TENANTS_DIR "/%s: %s", pt_get_conf_dir(ctx),
				  name, strerror(-r)) : 0;
}

int pt__tdir_remove(struct pt_ctx *ctx, const char *tenant, char *err, size_t errlen)
{
	char name[PT_NAME_MAX + 8];
	struct dirent *de;
	int tfd, fd, r = 0;
	DIR *d;

	pt__tdir_name(tenant, name, sizeof(name));
	tfd = open_tenants_dir(ctx);
	if (tfd < 0)
		return tfd == -ENOENT ? 0 : pt__seterr(err, errlen, tfd, "%s/" TENANTS_DIR ": %s",
						       pt_get_conf_dir(ctx), strerror(-tfd));
	fd = openat(tfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		r = errno == ENOENT ? 0 : -errno;
		close(tfd);
		return r < 0 ? pt__seterr(err, errlen, r, "%s/" TENANTS_DIR "/%s: %s",
					  pt_get_conf_dir(ctx), name, strerror(-r)) : 0;
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		close(tfd);
		return -ENOMEM;
	}
	/* the tenant's files: unlinked, never followed (a link goes, not its target) */
	while (!r && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    unlinkat(dirfd(d), de->d_name, 0) < 0)
			r = pt__seterr(err, errlen, errno == EISDIR ? -ENOTEMPTY : -errno,
				       "%s/" TENANTS_DIR "/%s/%s: cannot remove: %s; remove it by hand",
				       pt_get_conf_dir(ctx), name, de->d_name, strerror(errno));
	closedir(d);
	if (!r && unlinkat(tfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		r = pt__seterr(err, errlen, -errno, "%s/" TENANTS_DIR "/%s: cannot remove: %s",
			       pt_get_conf_dir(ctx), name, strerror(errno));
	close(tfd);
	return r;
}

int pt__tdir_lock(struct pt_ctx *ctx, const char *tenant, int dfd, int wait_s, char *err,
		  size_t errlen)
{
	struct timespec end, now;
	struct stat sb;
	int fd, r;

	fd = openat(dfd, TDIR_LOCK, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		/* removed by the tenant: a new one, theirs to use */
		fd = openat(dfd, TDIR_LOCK, O_RDONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			    O_NONBLOCK | O_CLOEXEC, 0660);
		if (fd >= 0)
			fchmod(fd, 0660);
	}
	if (fd < 0)
		return pt__seterr(err, errlen, errno == ELOOP ? -EPERM : -errno,
				  "tenant '%s': %s/" TENANTS_DIR "/%s.d/" TDIR_LOCK ": %s", tenant,
				  pt_get_conf_dir(ctx), tenant,
				  errno == ELOOP ? "is a symbolic link; refusing to follow it: "
				  "remove it" : strerror(errno));
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_nlink != 1) {
		close(fd);
		return pt__seterr(err, errlen, -EPERM, "tenant '%s': %s/" TENANTS_DIR "/%s.d/"
				  TDIR_LOCK ": not a regular file with one link; refusing it: "
				  "remove it", tenant, pt_get_conf_dir(ctx), tenant);
	}
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += wait_s;
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		r = -errno;
		if (r == -EINTR)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (r != -EWOULDBLOCK || wait_s < 0 || now.tv_sec > end.tv_sec ||
		    (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
			break;
		nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
	}
	close(fd);
	if (r == -EWOULDBLOCK)
		return pt__seterr(err, errlen, -EWOULDBLOCK, "tenant '%s': %s/" TENANTS_DIR "/%s.d/"
				  TDIR_LOCK " is held by another process%s%d s; try again when the "
				  "tenant's pt command is done (or stop the process holding it)",
				  tenant, pt_get_conf_dir(ctx), tenant,
				  wait_s > 0 ? "; gave up after " : "", wait_s > 0 ? wait_s : 0);
	return pt__seterr(err, errlen, r, "tenant '%s': lock: %s", tenant, strerror(-r));
}

int pt__tdir_read(int dfd, const char *name, char **text)
{
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), r = 0;
	size_t len = 0;
	struct stat sb;
	char *buf;
	ssize_t n;

	*text = NULL;
	if (fd < 0)
		return errno == ELOOP ? -ELOOP : -errno;
	if (fstat(fd, &sb) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_nlink != 1) {
		r = !S_ISREG(sb.st_mode) ? -EBADF : -EMLINK;
		goto out;
	}
	if (sb.st_size > TDIR_FILE_MAX) {
		r = -EFBIG;
		goto out;
	}
	buf = malloc(TDIR_FILE_MAX + 2);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	while (len <= TDIR_FILE_MAX) {
		n = read(fd, buf + len, TDIR_FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : 0;
			break;
		}
		len += (size_t)n;
	}
	if (!r && len > TDIR_FILE_MAX)
		r = -EFBIG;
	if (!r && memchr(buf, '\0', len))
		r = -EILSEQ;
	if (r < 0) {
		free(buf);
		goto out;
	}
	buf[len] = '\0';
	*text = buf;
out:
	close(fd);
	return r;
}

const char *pt__tdir_read_error(int r)
{
	switch (-r) {
	case ELOOP:
		return "is a symbolic link (never followed)";
	case EBADF:
		return "is not a regular file (a FIFO, device or directory is never read)";
	case EMLINK:
		return "has more than one link (a hard link to another file is never read)";
	case EFBIG:
		return "is larger than 64 KiB";
	case EILSEQ:
		return "contains a NUL byte";
	default:
		return strerror(-r);
	}
}

int pt__tdir_write(int dfd, const char *name, const char *text)
{
	char tmp[PT_NAME_MAX + 32];
	unsigned char rnd[6];
	size_t len = strlen(text), off = 0;
	int fd = -1, r = 0;

	for (int tries = 0; fd < 0 && tries < 100; tries++) {
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			memset(rnd, tries, sizeof(rnd));
		snprintf(tmp, sizeof(tmp), ".%s.%02x%02x%02x%02x%02x%02x", name, rnd[0], rnd[1],
			 rnd[2], rnd[3], rnd[4], rnd[5]);
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0660);
		if (fd < 0 && errno != EEXIST)
			return -errno;
	}
	if (fd < 0)
		return -EEXIST;
	if (fchmod(fd, 0660) < 0)
		r = -errno;
	while (!r && off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		else
			off += (size_t)n;
	}
	if (!r && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && !r)
		r = -errno;
	/* rename(2) replaces a link planted at name, never what it points to */
	if (!r && renameat(dfd, tmp, dfd, name) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(dfd, tmp, 0);
	else
		fsync(dfd);
	return r;
}

int pt__tdir_unlink(int dfd, const char *name)
{
	if (unlinkat(dfd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	fsync(dfd);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int pt__tdir_list(int dfd, const char *suffix, char ***out, size_t *n_out)
{
	size_t sl = strlen(suffix), n = 0;
	char **names = NULL;
	struct dirent *de;
	int fd = dup(dfd), r = 0;
	DIR *d;

	*out = NULL;
	*n_out = 0;
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char stem[PT_NAME_MAX + 1], **nn;

		/* the tenant's own temp files, the lock, other names: not ours */
		if (len <= sl || len - sl > PT_NAME_MAX || strcmp(de->d_name + len - sl, suffix))
			continue;
		memcpy(stem, de->d_name, len - sl);
		stem[len - sl] = '\0';
		if (!pt__name_is_valid(stem))
			continue;
		nn = realloc(names, (n + 1) * sizeof(*nn));
		if (!nn || !(nn[n] = strdup(stem))) {
			if (nn)
				names = nn;
			r = -ENOMEM;
			break;
		}
		names = nn;
		n++;
	}
	closedir(d);
	if (r < 0) {
		while (n)
			free(names[--n]);
		free(names);
		return r;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	*out = names;
	*n_out = n;
	return 0;
}

/* ---- tenants.d/.admins: which tenants a Unix group administers ---------- */

int pt__tdir_index_write(struct pt_ctx *ctx, const char *admins, const char *const *tenants,
			 size_t n)
{
	struct group *gr = getgrnam(admins);
	char tmp[PT_NAME_MAX + 32];
	int tfd, dfd, fd, r = 0;
	char *text = NULL;
	size_t len = 1;

	if (geteuid() != 0)
		return 0;
	tfd = open_tenants_dir(ctx);
	if (tfd < 0)
		return tfd;
	if (mkdirat(tfd, INDEX_DIR, 0711) < 0 && errno != EEXIST) {
		r = -errno;
		close(tfd);
		return r;
	}
	dfd = openat(tfd, INDEX_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(tfd);
	if (dfd < 0)
		return -errno;
	if (fchmod(dfd, 0711) < 0) {
		r = -errno;
		goto out;
	}
	if (!n || !gr) {
		if (unlinkat(dfd, admins, 0) < 0 && errno != ENOENT)
			r = -errno;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		len += strlen(tenants[i]) + 1;
	text = calloc(1, len);
	if (!text) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		strcat(text, tenants[i]);
		strcat(text, "\n");
	}
	snprintf(tmp, sizeof(tmp), ".%s.%d", admins, (int)getpid());
	unlinkat(dfd, tmp, 0);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	if (fchown(fd, 0, gr->gr_gid) < 0 || fchmod(fd, 0640) < 0 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (!r && renameat(dfd, tmp, dfd, admins) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(dfd, tmp, 0);
out:
	free(text);
	close(dfd);
	return r;
}

/* Add the tenant names of one index file to *names (valid names only, no repeats). */
static int index_add(int dfd, const char *group, char ***names, size_t *n)
{
	char *text, *save = NULL;
	int r = pt__tdir_read(dfd, group, &text);

	if (r < 0)
		return r == -ENOMEM ? r : 0;
	for (char *t = strtok_r(text, "\n", &save); t && !r; t = strtok_r(NULL, "\n", &save)) {
		bool dup = false;
		char **nn;

		if (!pt__name_is_valid(t))
			continue;
		for (size_t i = 0; i < *n && !dup; i++)
			dup = !strcmp((*names)[i], t);
		if (dup)
			continue;
		nn = realloc(*names, (*n + 1) * sizeof(*nn));
		if (!nn || !(nn[*n] = strdup(t))) {
			if (nn)
				*names = nn;
			r = -ENOMEM;
			break;
		}
		*names = nn;
		(*n)++;
	}
	free(text);
	return r;
}

int pt__tdir_index_read(struct pt_ctx *ctx, char ***names, size_t *n)
{
	gid_t gids[NGROUPS_MAX + 1];
	int tfd, dfd, ng, r = 0;

	*names = NULL;
	*n = 0;
	tfd = open_tenants_dir(ctx);
	if (tfd < 0)
		return tfd == -ENOENT ? 0 : tfd;
	dfd = openat(tfd, INDEX_DIR, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(tfd);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	ng = getgroups(NGROUPS_MAX, gids);
	if (ng < 0)
		ng = 0;
	gids[ng++] = getegid();
	for (int i = 0; i < ng && !r; i++) {
		struct group *gr = getgrgid(gids[i]);

		if (gr && pt__name_is_valid(gr->gr_name))
			r = index_add(dfd, gr->gr_name, names, n);
	}
	close(dfd);
	if (*n)
		qsort(*names, *n, sizeof(**names), cmp_str);
	return r;
}

bool pt__in_group(gid_t gid)
{
	gid_t gids[NGROUPS_MAX + 1];
	int ng = getgroups(NGROUPS_MAX, gids);

	if (getegid() == gid)
		return true;
	for (int i = 0; i < ng; i++)
		if (gids[i] == gid)
			return true;
	return false;
}
