// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Leases: what a started VM holds, one INI file per VM in
 * <run dir>/leases/<vm>.ini (see pt-attach(8)). The run dir is runtime
 * state (a tmpfs: after a reboot nothing is leased). Writers hold
 * flock(LOCK_EX) on <run dir>/.lock across allocation, preparation and
 * the write; each file is replaced by rename(2) of a written, fsynced
 * temp file, so a reader (or a start killed at any point) sees a whole
 * lease or none.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "policy.h"

#define LEASE_DIR	"leases"
#define TENANTS_D	"tenants.d/"
#define LOCK_FILE	".lock"

/* ---- objects ------------------------------------------------------------ */

static void dev_free(struct pt_lease_dev *d)
{
	if (!d)
		return;
	free(d->name);
	free(d->request);
	free(d->group);
	free(d->mode);
	for (int i = 0; i < d->n_functions; i++)
		free(d->functions[i]);
	free(d->functions);
	free(d->mac);
	free(d->mac_before);
	free(d->pf);
	free(d->mdev_uuid);
	free(d->mdev_parent);
	free(d->mdev_type);
	free(d->usb_name);
	free(d->usb_port_path);
	free(d->usb_serial);
	free(d->nodes);
	free(d);
}

int pt__lease_dev_add_node(struct pt_lease_dev *d, const char *rel,
			   const struct pt__devnode_owner *before)
{
	struct pt_lease_node *n;

	for (int i = 0; i < d->n_nodes; i++)
		if (!strcmp(d->nodes[i].rel, rel))
			return 0;
	if (strlen(rel) >= sizeof(n->rel))
		return -EINVAL;
	n = realloc(d->nodes, (d->n_nodes + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	d->nodes = n;
	n = &d->nodes[d->n_nodes++];
	snprintf(n->rel, sizeof(n->rel), "%s", rel);
	n->before = *before;
	return 0;
}

/*
 * A recorded node: "vfio/<group>" or "bus/usb/<bus>/<dev>", digits only,
 * so a lease file can name nothing else below the dev root.
 */
static bool node_rel_is_valid(const char *rel)
{
	unsigned int a, b;
	int n = -1;

	if (sscanf(rel, "vfio/%u%n", &a, &n) == 1 && n > 5 && !rel[n] &&
	    strspn(rel + 5, "0123456789") == strlen(rel + 5))
		return true;
	n = -1;
	return sscanf(rel, "bus/usb/%3u/%3u%n", &a, &b, &n) == 2 && n == 15 &&
	       strspn(rel + 8, "0123456789") == 3 && rel[11] == '/' &&
	       strspn(rel + 12, "0123456789") == 3;
}

/* "REL:UID:GID:MODE ..." */
static int parse_nodes(struct pt_lease_dev *d, const char *v)
{
	char *copy = strdup(v), *save = NULL;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	for (char *t = strtok_r(copy, " ", &save); t && !r; t = strtok_r(NULL, " ", &save)) {
		struct pt__devnode_owner o;
		char *c1 = strchr(t, ':'), *end;
		unsigned long uid, gid, mode;

		if (!c1)
			r = -EINVAL;
		else {
			*c1 = '\0';
			errno = 0;
			uid = strtoul(c1 + 1, &end, 10);
			if (*end != ':')
				r = -EINVAL;
			else {
				gid = strtoul(end + 1, &end, 10);
				if (*end != ':')
					r = -EINVAL;
				else {
					mode = strtoul(end + 1, &end, 8);
					if (*end || errno || uid >= (uid_t)-1 || gid >= (gid_t)-1 ||
					    mode > 07777 || !node_rel_is_valid(t))
						r = -EINVAL;
					else {
						o.uid = (uid_t)uid;
						o.gid = (gid_t)gid;
						o.mode = (mode_t)mode;
						r = pt__lease_dev_add_node(d, t, &o);
					}
				}
			}
		}
	}
	free(copy);
	return r;
}

void pt__lease_free(struct pt_lease *l)
{
	if (!l)
		return;
	for (int i = 0; i < l->n_devs; i++)
		dev_free(l->devs[i]);
	free(l->devs);
	free(l->vm);
	free(l->state);
	free(l->blocker);
	free(l->tenant);
	free(l->foreign);
	free(l);
}

struct pt_lease *pt__lease_new(struct pt_ctx *ctx, const char *vm)
{
	struct pt_lease *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->ctx = ctx;
	l->vm = strdup(vm);
	l->state = strdup("starting");
	if (!l->vm || !l->state) {
		pt__lease_free(l);
		return NULL;
	}
	pt__stable_uuid("vm", vm, l->uuid);
	return l;
}

struct pt_lease_dev *pt__lease_dev_add(struct pt_lease *l)
{
	struct pt_lease_dev **n, *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	n = realloc(l->devs, (l->n_devs + 1) * sizeof(*n));
	if (!n) {
		free(d);
		return NULL;
	}
	d->vf_index = -1;
	d->guest_reset = true;
	l->devs = n;
	l->devs[l->n_devs++] = d;
	return d;
}

void pt__leases_free(struct pt_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n_leases; i++)
		pt__lease_free(ctx->leases[i]);
	free(ctx->leases);
	free(ctx->leases_error);
	ctx->leases = NULL;
	ctx->leases_error = NULL;
	ctx->n_leases = 0;
	ctx->leases_loaded = false;
	ctx->leases_rc = 0;
}

/* ---- stable identities ---------------------------------------------------- */

void pt__stable_uuid(const char *a, const char *b, char out[37])
{
	/* the namespace: the v5 UUID of "passthru" in the URL namespace */
	static const char ns_text[] = "passthru";
	uuid_t ns, u;
	char name[2 * PT_NAME_MAX + 16];

	uuid_generate_sha1(ns, *uuid_get_template("url"), ns_text, sizeof(ns_text) - 1);
	snprintf(name, sizeof(name), "%s/%s", a, b);
	uuid_generate_sha1(u, ns, name, strlen(name));
	uuid_unparse_lower(u, out);
}

void pt__stable_mac(const char *vm, const char *request, int idx, char out[18])
{
	uuid_t ns, u;
	char name[2 * PT_NAME_MAX + 32];

	uuid_generate_sha1(ns, *uuid_get_template("url"), "passthru-mac", 12);
	snprintf(name, sizeof(name), "%s/%s/%d", vm, request, idx);
	uuid_generate_sha1(u, ns, name, strlen(name));
	/* 02:xx: locally administered, unicast */
	snprintf(out, 18, "02:%02x:%02x:%02x:%02x:%02x", u[0], u[1], u[2], u[3], u[4]);
}

/* ---- processes -------------------------------------------------------------- */

unsigned long long pt__pid_starttime(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* after "(comm) ": state is field 3, starttime field 22 (proc(5)) */
	p = strrchr(buf, ')');
	if (!p)
		return 0;
	p++;			/* the blank before field 3 */
	for (int field = 3; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		start = strtoull(p + 1, NULL, 10);
	return start;
}

bool pt__lease_pid_alive(int pid, unsigned long long starttime)
{
	if (pid <= 0)
		return false;
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return false;
	/* the pid came back for another process */
	if (starttime) {
		unsigned long long now = pt__pid_starttime(pid);

		if (now && now != starttime)
			return false;
	}
	return true;
}

/* ---- the run dir ------------------------------------------------------------- */

static int mkdir_mode(int dirfd, const char *path, mode_t mode)
{
	if (mkdirat(dirfd, path, mode) == 0) {
		fchmodat(dirfd, path, mode, 0);
		return 0;
	}
	return errno == EEXIST ? 0 : -errno;
}

static int open_run_dir(struct pt_ctx *ctx, bool create, char *err, size_t errlen)
{
	int fd, r;

	if (create) {
		r = mkdir_mode(AT_FDCWD, ctx->run_dir, 0755);
		if (r < 0) {
			pt__seterr(err, errlen, r, "%s: cannot create: %s%s", ctx->run_dir,
				   strerror(-r), r == -EACCES || r == -EROFS ?
				   "; run as root or use -O run.dir=DIR" : "");
			return r;
		}
	}
	fd = open(ctx->run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r != -ENOENT || create)
			pt__seterr(err, errlen, r, "%s: %s", ctx->run_dir, strerror(-r));
		return r;
	}
	if (create) {
		r = mkdir_mode(fd, LEASE_DIR, 0755);
		if (r < 0) {
			pt__seterr(err, errlen, r, "%s/" LEASE_DIR ": cannot create: %s",
				   ctx->run_dir, strerror(-r));
			close(fd);
			return r;
		}
	}
	return fd;
}

/*
 * Temp files ".<vm>.ini.<pid>" are written under the lock: one found by
 * the holder of the lock was left by a writer that was killed.
 */
static void remove_stale_temps(struct pt_ctx *ctx)
{
	int dfd = open_run_dir(ctx, false, NULL, 0), ldfd;
	struct dirent *de;
	DIR *d;

	if (dfd < 0)
		return;
	ldfd = openat(dfd, LEASE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(dfd);
	if (ldfd < 0)
		return;
	d = fdopendir(ldfd);
	if (!d) {
		close(ldfd);
		return;
	}
	while ((de = readdir(d)))
		if (de->d_name[0] == '.' && strstr(de->d_name, ".ini.") &&
		    unlinkat(dirfd(d), de->d_name, 0) == 0)
			dbg(ctx, "removed stale %s/" LEASE_DIR "/%s\n", ctx->run_dir, de->d_name);
	closedir(d);
}

int pt__lease_lock(struct pt_ctx *ctx, char *err, size_t errlen)
{
	int dfd = open_run_dir(ctx, true, err, errlen), fd, r;

	if (dfd < 0)
		return dfd;
	fd = openat(dfd, LOCK_FILE, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	r = -errno;
	close(dfd);
	if (fd < 0) {
		pt__seterr(err, errlen, r, "%s/" LOCK_FILE ": %s%s", ctx->run_dir, strerror(-r),
			   r == -EACCES ? "; run as root or use -O run.dir=DIR" : "");
		return r;
	}
	while ((r = flock(fd, LOCK_EX)) < 0 && errno == EINTR)
		;
	if (r < 0) {
		r = -errno;
		pt__seterr(err, errlen, r, "%s/" LOCK_FILE ": %s", ctx->run_dir, strerror(-r));
		close(fd);
		return r;
	}
	remove_stale_temps(ctx);
	return fd;
}

/* ---- writing ------------------------------------------------------------------ */

struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void bput(struct sbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void bput(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if (b->s && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		{
			size_t cap = (b->cap + (size_t)n + 1) * 2;
			char *ns = realloc(b->s, cap);

			if (!ns) {
				b->oom = true;
				return;
			}
			b->s = ns;
			b->cap = cap;
		}
	}
}

static char *render(const struct pt_lease *l)
{
	struct sbuf b = { 0 };

	bput(&b, "# pt-attach lease: runtime state, removed by 'pt attach stop %s'\n", l->vm);
	bput(&b, "[lease]\nvm = %s\nstate = %s\npid = %d\n", l->vm, l->state, l->pid);
	if (l->starttime)
		bput(&b, "starttime = %llu\n", l->starttime);
	bput(&b, "uuid = %s\n", l->uuid);
	if (l->tenant)
		bput(&b, "tenant = %s\n", l->tenant);
	if (l->boot_id[0])
		bput(&b, "boot_id = %s\n", l->boot_id);
	for (int i = 0; i < l->n_devs; i++) {
		const struct pt_lease_dev *d = l->devs[i];

		bput(&b, "\n[device \"%s\"]\nrequest = %s\ngroup = %s\ntype = %s\n",
		     d->name, d->request, d->group, pt_group_type_name(d->type));
		if (d->mode)
			bput(&b, "mode = %s\n", d->mode);
		if (d->n_functions) {
			bput(&b, "functions =");
			for (int k = 0; k < d->n_functions; k++)
				bput(&b, " %s", d->functions[k]);
			bput(&b, "\n");
		}
		if (d->pf)
			bput(&b, "pf = %s\nvf = %d\n", d->pf, d->vf_index);
		if (d->vgpu_type)
			bput(&b, "vgpu_type = %u\n", d->vgpu_type);
		if (d->mac)
			bput(&b, "mac = %s\n", d->mac);
		if (d->mac_before)
			bput(&b, "mac_before = %s\n", d->mac_before);
		if (d->mdev_uuid)
			bput(&b, "mdev_uuid = %s\nmdev_parent = %s\nmdev_type = %s\ncreated = %s\n",
			     d->mdev_uuid, d->mdev_parent, d->mdev_type,
			     d->created ? "yes" : "no");
		if (d->usb_name)
			bput(&b, "usb = %s\nbusnum = %d\nport_path = %s\nvendor_id = %04x\n"
			     "product_id = %04x\n", d->usb_name, d->usb_busnum,
			     d->usb_port_path, d->usb_vendor, d->usb_product);
		if (d->usb_serial)
			bput(&b, "serial = %s\n", d->usb_serial);
		if (d->type == PT_GROUP_USB)
			bput(&b, "guest_reset = %s\nguest_resets_all = %s\n",
			     d->guest_reset ? "yes" : "no",
			     d->guest_resets_all ? "yes" : "no");
		if (d->migratable)
			bput(&b, "live_migration = yes\n");
		if (d->n_nodes) {
			bput(&b, "devnodes =");
			for (int k = 0; k < d->n_nodes; k++)
				bput(&b, " %s:%u:%u:%04o", d->nodes[k].rel,
				     (unsigned int)d->nodes[k].before.uid,
				     (unsigned int)d->nodes[k].before.gid,
				     (unsigned int)d->nodes[k].before.mode);
			bput(&b, "\n");
		}
	}
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s ? b.s : strdup("");
}

int pt__lease_write(struct pt_lease *l, char *err, size_t errlen)
{
	struct pt_ctx *ctx = l->ctx;
	char tmp[PT_NAME_MAX + 32], final[PT_NAME_MAX + 8];
	char *text = render(l);
	int dfd, ldfd, fd, r = 0;
	size_t len, off = 0;

	if (!text)
		return -ENOMEM;
	dfd = open_run_dir(ctx, true, err, errlen);
	if (dfd < 0) {
		free(text);
		return dfd;
	}
	ldfd = openat(dfd, LEASE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(dfd);
	if (ldfd < 0) {
		r = -errno;
		pt__seterr(err, errlen, r, "%s/" LEASE_DIR ": %s", ctx->run_dir, strerror(-r));
		free(text);
		return r;
	}
	snprintf(final, sizeof(final), "%s.ini", l->vm);
	snprintf(tmp, sizeof(tmp), ".%s.ini.%d", l->vm, (int)getpid());
	fd = openat(ldfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	fchmod(fd, 0644);
	len = strlen(text);
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (!r && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (!r && renameat(ldfd, tmp, ldfd, final) < 0)
		r = -errno;
	if (r)
		unlinkat(ldfd, tmp, 0);
	else if (fsync(ldfd) < 0)
		r = -errno;
out:
	if (r)
		pt__seterr(err, errlen, r, "%s/" LEASE_DIR "/%s: cannot write the lease: %s",
			   ctx->run_dir, final, strerror(-r));
	close(ldfd);
	free(text);
	return r;
}

int pt__lease_remove(struct pt_ctx *ctx, const char *vm, char *err, size_t errlen)
{
	char rel[PT_NAME_MAX + 16];
	int dfd = open_run_dir(ctx, false, err, errlen), r = 0;

	if (dfd == -ENOENT)
		return 0;
	if (dfd < 0)
		return dfd;
	snprintf(rel, sizeof(rel), LEASE_DIR "/%s.ini", vm);
	if (unlinkat(dfd, rel, 0) < 0 && errno != ENOENT) {
		r = -errno;
		pt__seterr(err, errlen, r, "%s/%s: cannot remove: %s", ctx->run_dir, rel,
			   strerror(-r));
	} else {
		int ldfd = openat(dfd, LEASE_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (ldfd >= 0) {
			fsync(ldfd);
			close(ldfd);
		}
	}
	close(dfd);
	return r;
}

/* ---- reading -------------------------------------------------------------------- */

static int set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
	return *dst ? 0 : -ENOMEM;
}

static int dev_from_section(struct pt_lease *l, struct pt_ini_section *s,
			    char *err, size_t errlen, const char *rel)
{
	struct pt_lease_dev *d = pt__lease_dev_add(l);
	const char *q = strchr(s->name, '"');
	int r = 0;

	if (!d)
		return -ENOMEM;
	if (!q || strlen(q) < 3) {
		return pt__seterr(err, errlen, -EINVAL, "%s:%d: bad section [%s]", rel, s->line,
				  s->name);
	}
	d->name = strndup(q + 1, strlen(q + 1) - 1);
	for (size_t k = 0; k < s->n_kv && !r; k++) {
		const char *key = s->kv[k].key, *v = s->kv[k].value;

		if (!strcmp(key, "request"))
			r = set_str(&d->request, v);
		else if (!strcmp(key, "group"))
			r = set_str(&d->group, v);
		else if (!strcmp(key, "type")) {
			int t = pt_group_type_parse(v);

			if (t < 0) {
				return pt__seterr(err, errlen, -EINVAL, "%s:%d: unknown type '%s'",
						  rel, s->kv[k].line, v);
			}
			d->type = (enum pt_group_type)t;
		} else if (!strcmp(key, "mode"))
			r = set_str(&d->mode, v);
		else if (!strcmp(key, "functions")) {
			char *copy = strdup(v), *save = NULL;

			if (!copy)
				return -ENOMEM;
			for (char *t = strtok_r(copy, " ", &save); t && !r;
			     t = strtok_r(NULL, " ", &save)) {
				char **n = realloc(d->functions, (d->n_functions + 1) * sizeof(*n));

				if (!n || !(n[d->n_functions] = strdup(t))) {
					if (n)
						d->functions = n;
					r = -ENOMEM;
					break;
				}
				d->functions = n;
				d->n_functions++;
			}
			free(copy);
		} else if (!strcmp(key, "pf"))
			r = set_str(&d->pf, v);
		else if (!strcmp(key, "vf"))
			d->vf_index = atoi(v);
		else if (!strcmp(key, "vgpu_type"))
			d->vgpu_type = (unsigned int)strtoul(v, NULL, 10);
		else if (!strcmp(key, "mac"))
			r = set_str(&d->mac, v);
		else if (!strcmp(key, "mac_before")) {
			unsigned char m[6];

			if (pt__vf_mac_parse(v, m) < 0) {
				return pt__seterr(err, errlen, -EINVAL,
						  "%s:%d: mac_before '%s' is not a MAC address",
						  rel, s->kv[k].line, v);
			}
			r = set_str(&d->mac_before, v);
		}
		else if (!strcmp(key, "mdev_uuid"))
			r = set_str(&d->mdev_uuid, v);
		else if (!strcmp(key, "mdev_parent"))
			r = set_str(&d->mdev_parent, v);
		else if (!strcmp(key, "mdev_type"))
			r = set_str(&d->mdev_type, v);
		else if (!strcmp(key, "created"))
			d->created = !strcmp(v, "yes");
		else if (!strcmp(key, "usb"))
			r = set_str(&d->usb_name, v);
		else if (!strcmp(key, "busnum"))
			d->usb_busnum = atoi(v);
		else if (!strcmp(key, "port_path"))
			r = set_str(&d->usb_port_path, v);
		else if (!strcmp(key, "vendor_id"))
			d->usb_vendor = (uint16_t)strtoul(v, NULL, 16);
		else if (!strcmp(key, "product_id"))
			d->usb_product = (uint16_t)strtoul(v, NULL, 16);
		else if (!strcmp(key, "serial"))
			r = set_str(&d->usb_serial, v);
		else if (!strcmp(key, "guest_reset"))
			d->guest_reset = !strcmp(v, "yes");
		else if (!strcmp(key, "guest_resets_all"))
			d->guest_resets_all = !strcmp(v, "yes");
		else if (!strcmp(key, "live_migration"))
			d->migratable = !strcmp(v, "yes");
		else if (!strcmp(key, "devnodes")) {
			r = parse_nodes(d, v);
			if (r == -EINVAL) {
				pt__seterr(err, errlen, r, "%s:%d: devnodes '%s' is not a list of "
					   "NODE:UID:GID:MODE (vfio/N, bus/usb/BBB/DDD)", rel,
					   s->kv[k].line, v);
				return r;
			}
		} else {
			return pt__seterr(err, errlen, -EINVAL, "%s:%d: unknown key '%s'", rel,
					  s->kv[k].line, key);
		}
	}
	if (!r && (!d->name || !d->request || !d->group)) {
		return pt__seterr(err, errlen, -EINVAL, "%s:%d: [%s] lacks request or group", rel,
				  s->line, s->name);
	}
	return r;
}

static void lease_blocker(struct pt_lease *l)
{
	for (int i = 0; i < l->n_devs && !l->blocker; i++) {
		struct pt_lease_dev *d = l->devs[i];

		if (d->migratable)
			continue;
		if (asprintf(&l->blocker, "request '%s' (%s group '%s')", d->request,
			     pt_group_type_name(d->type), d->group) < 0)
			l->blocker = NULL;
	}
}

static int lease_parse(struct pt_ctx *ctx, const char *rel, const char *text,
		       struct pt_lease **out, char *err, size_t errlen)
{
	struct pt_ini_file *f;
	struct pt_lease *l = NULL;
	const char *vm, *v;
	int r;

	r = pt__ini_parse(rel, text, &f, err, errlen);
	if (r < 0)
		return r;
	vm = pt__ini_get(f, "lease", "vm");
	if (!vm || !pt__name_is_valid(vm)) {
		pt__seterr(err, errlen, -EINVAL, "%s: no valid [lease] vm", rel);
		r = -EINVAL;
		goto out;
	}
	l = pt__lease_new(ctx, vm);
	if (!l) {
		r = -ENOMEM;
		goto out;
	}
	if ((v = pt__ini_get(f, "lease", "state")) && (r = set_str(&l->state, v)) < 0)
		goto out;
	if ((v = pt__ini_get(f, "lease", "pid")))
		l->pid = atoi(v);
	if ((v = pt__ini_get(f, "lease", "starttime")))
		l->starttime = strtoull(v, NULL, 10);
	if ((v = pt__ini_get(f, "lease", "uuid")) && strlen(v) == 36)
		memcpy(l->uuid, v, 37);
	if ((v = pt__ini_get(f, "lease", "tenant")) && (r = set_str(&l->tenant, v)) < 0)
		goto out;
	if ((v = pt__ini_get(f, "lease", "boot_id")) && strlen(v) == 36)
		memcpy(l->boot_id, v, 37);
	for (size_t i = 0; i < f->n_sections && !r; i++)
		if (!strncmp(f->sections[i].name, "device ", 7))
			r = dev_from_section(l, &f->sections[i], err, errlen, rel);
	if (!r)
		lease_blocker(l);
out:
	pt__ini_free(f);
	if (r < 0)
		pt__lease_free(l);
	else
		*out = l;
	return r;
}

static int cmp_lease(const void *a, const void *b)
{
	return strcmp((*(struct pt_lease *const *)a)->vm, (*(struct pt_lease *const *)b)->vm);
}

static int read_text(int dirfd, const char *name, char **out)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (len + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = len + 8192);

			if (!nb) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = -errno;

			free(buf);
			close(fd);
			return e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	return 0;
}

PT_EXPORT int pt_lease_load(struct pt_ctx *ctx, const char **error)
{
	char err[512] = "";
	struct dirent *de;
	DIR *d;
	int dfd, ldfd, r = 0;

	pt__leases_free(ctx);
	ctx->leases_loaded = true;
	if (pt__ctx_register_free(ctx, pt__leases_free) < 0)
		return -ENOMEM;
	if (ctx->tenant) {
		/* the tenant's own leases: its commands refuse what they cannot take */
		dfd = pt__tdir_open(ctx, ctx->tenant, err, sizeof(err));
		r = dfd < 0 ? dfd : pt__tenant_leases_load(ctx, ctx->tenant, dfd, true,
							   &ctx->leases, &ctx->n_leases, NULL,
							   NULL, err, sizeof(err));
		if (dfd >= 0)
			close(dfd);
		goto out;
	}
	dfd = open_run_dir(ctx, false, err, sizeof(err));
	if (dfd == -ENOENT)
		return 0;
	if (dfd < 0) {
		r = dfd;
		goto out;
	}
	ldfd = openat(dfd, LEASE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	close(dfd);
	if (ldfd < 0) {
		if (errno == ENOENT)
			return 0;
		r = -errno;
		pt__seterr(err, sizeof(err), r, "%s/" LEASE_DIR ": %s", ctx->run_dir, strerror(-r));
		goto out;
	}
	d = fdopendir(ldfd);
	if (!d) {
		r = -errno;
		close(ldfd);
		goto out;
	}
	while (!r && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char rel[PT_NAME_MAX + 300], *text = NULL;
		struct pt_lease *l = NULL;

		if (de->d_name[0] == '.' || len < 5 || strcmp(de->d_name + len - 4, ".ini"))
			continue;
		snprintf(rel, sizeof(rel), "%s/" LEASE_DIR "/%s", ctx->run_dir, de->d_name);
		r = read_text(dirfd(d), de->d_name, &text);
		if (r == -ENOENT) {	/* stopped meanwhile */
			r = 0;
			continue;
		}
		if (r < 0) {
			pt__seterr(err, sizeof(err), r, "%s: %s", rel, strerror(-r));
			break;
		}
		r = lease_parse(ctx, rel, text, &l, err, sizeof(err));
		free(text);
		if (r < 0)
			break;
		if (pt__array_add(ctx->leases, ctx->n_leases, l) < 0) {
			pt__lease_free(l);
			r = -ENOMEM;
			break;
		}
	}
	closedir(d);
	if (!r && ctx->n_leases)
		qsort(ctx->leases, ctx->n_leases, sizeof(*ctx->leases), cmp_lease);
out:
	ctx->leases_rc = r;
	if (r < 0) {
		if (!err[0])
			pt__seterr(err, sizeof(err), r, "%s: %s", ctx->run_dir, strerror(-r));
		ctx->leases_error = strdup(err);
		for (size_t i = 0; i < ctx->n_leases; i++)
			pt__lease_free(ctx->leases[i]);
		free(ctx->leases);
		ctx->leases = NULL;
		ctx->n_leases = 0;
	}
	if (error)
		*error = ctx->leases_error;
	return r;
}

static void ensure_loaded(struct pt_ctx *ctx)
{
	if (!ctx->leases_loaded)
		pt_lease_load(ctx, NULL);
}

PT_EXPORT struct pt_lease *pt_lease_get_first(struct pt_ctx *ctx)
{
	ensure_loaded(ctx);
	return ctx->n_leases ? ctx->leases[0] : NULL;
}

PT_EXPORT struct pt_lease *pt_lease_get_next(struct pt_lease *l)
{
	struct pt_ctx *ctx = l->ctx;

	for (size_t i = 0; i + 1 < ctx->n_leases; i++)
		if (ctx->leases[i] == l)
			return ctx->leases[i + 1];
	return NULL;
}

PT_EXPORT struct pt_lease *pt_lease_find(struct pt_ctx *ctx, const char *vm)
{
	ensure_loaded(ctx);
	for (size_t i = 0; vm && i < ctx->n_leases; i++)
		if (!strcmp(ctx->leases[i]->vm, vm))
			return ctx->leases[i];
	return NULL;
}

PT_EXPORT const char *pt_lease_get_vm(struct pt_lease *l) { return l->vm; }
PT_EXPORT const char *pt_lease_get_state(struct pt_lease *l) { return l->state; }
PT_EXPORT int pt_lease_get_pid(struct pt_lease *l) { return l->pid; }
PT_EXPORT const char *pt_lease_get_uuid(struct pt_lease *l) { return l->uuid; }
PT_EXPORT const char *pt_lease_get_migration_blocker(struct pt_lease *l)
{
	if (!l->blocker)
		lease_blocker(l);
	return l->blocker;
}
PT_EXPORT int pt_lease_get_num_devices(struct pt_lease *l) { return l->n_devs; }
PT_EXPORT struct pt_lease_dev *pt_lease_get_device(struct pt_lease *l, int idx)
{
	return idx >= 0 && idx < l->n_devs ? l->devs[idx] : NULL;
}

PT_EXPORT const char *pt_lease_dev_get_name(struct pt_lease_dev *d) { return d->name; }
PT_EXPORT const char *pt_lease_dev_get_request(struct pt_lease_dev *d) { return d->request; }
PT_EXPORT const char *pt_lease_dev_get_group(struct pt_lease_dev *d) { return d->group; }
PT_EXPORT enum pt_group_type pt_lease_dev_get_type(struct pt_lease_dev *d) { return d->type; }
PT_EXPORT const char *pt_lease_dev_get_mode(struct pt_lease_dev *d) { return d->mode; }
PT_EXPORT int pt_lease_dev_get_num_functions(struct pt_lease_dev *d) { return d->n_functions; }
PT_EXPORT const char *pt_lease_dev_get_function(struct pt_lease_dev *d, int idx)
{
	return idx >= 0 && idx < d->n_functions ? d->functions[idx] : NULL;
}
PT_EXPORT const char *pt_lease_dev_get_mac(struct pt_lease_dev *d) { return d->mac; }
PT_EXPORT const char *pt_lease_dev_get_pf(struct pt_lease_dev *d) { return d->pf; }
PT_EXPORT int pt_lease_dev_get_vf_index(struct pt_lease_dev *d) { return d->vf_index; }
PT_EXPORT const char *pt_lease_dev_get_mdev_uuid(struct pt_lease_dev *d) { return d->mdev_uuid; }
PT_EXPORT const char *pt_lease_dev_get_mdev_parent(struct pt_lease_dev *d) { return d->mdev_parent; }
PT_EXPORT const char *pt_lease_dev_get_mdev_type(struct pt_lease_dev *d) { return d->mdev_type; }
PT_EXPORT const char *pt_lease_dev_get_usb_name(struct pt_lease_dev *d) { return d->usb_name; }
PT_EXPORT int pt_lease_dev_get_usb_busnum(struct pt_lease_dev *d) { return d->usb_busnum; }
PT_EXPORT const char *pt_lease_dev_get_usb_port_path(struct pt_lease_dev *d) { return d->usb_port_path; }
PT_EXPORT uint16_t pt_lease_dev_get_usb_vendor_id(struct pt_lease_dev *d) { return d->usb_vendor; }
PT_EXPORT uint16_t pt_lease_dev_get_usb_product_id(struct pt_lease_dev *d) { return d->usb_product; }
PT_EXPORT const char *pt_lease_dev_get_usb_serial(struct pt_lease_dev *d) { return d->usb_serial; }
PT_EXPORT bool pt_lease_dev_get_guest_reset(struct pt_lease_dev *d) { return d->guest_reset; }
PT_EXPORT bool pt_lease_dev_get_guest_resets_all(struct pt_lease_dev *d) { return d->guest_resets_all; }

/* ---- a tenant's leases (tenantdir.c) ------------------------------------------ */

void pt__boot_id(struct pt_ctx *ctx, char out[37])
{
	int fd = pt__proc_open(ctx, "sys/kernel/random/boot_id");
	ssize_t n = fd >= 0 ? read(fd, out, 36) : -1;

	if (fd >= 0)
		close(fd);
	out[n == 36 ? 36 : 0] = '\0';
}

static bool uuid_is_valid(const char *u)
{
	uuid_t b;

	return u && strlen(u) == 36 && uuid_parse(u, b) == 0;
}

/*
 * Why a tenant's lease may not be taken, or NULL: a strict check of what
 * its own pt writes, and of every unit against the tenant's grants.
 */
static const char *tenant_lease_bad(struct pt_ctx *ctx, const char *tenant, const char *stem,
				    struct pt_lease *l, char *buf, size_t len)
{
	if (strcmp(l->vm, stem))
		return "names another VM than its file";
	if (!l->tenant || strcmp(l->tenant, tenant))
		return "names another tenant";
	if (strcmp(l->state, "starting") && strcmp(l->state, "running"))
		return "has an unknown state";
	if (l->pid < 0 || l->n_devs > 64 * 16)
		return "has a bad pid or too many devices";
	for (int i = 0; i < l->n_devs; i++) {
		struct pt_lease_dev *d = l->devs[i];
		const char *colon = d->group ? strchr(d->group, ':') : NULL;
		char why[160];

		if (!d->name || !pt__name_is_valid(d->request) || !colon ||
		    (size_t)(colon - d->group) != strlen(tenant) ||
		    strncmp(d->group, tenant, strlen(tenant)) || !pt__name_is_valid(colon + 1))
			return "names a group that is not one of the tenant's";
		/* a tenant's start changes nothing on the host: nothing to undo */
		if (d->n_nodes || d->mac_before || d->created)
			return "records host changes, which a tenant's start never makes";
		if (d->mdev_uuid && !uuid_is_valid(d->mdev_uuid))
			return "names a bad mdev UUID";
		for (int k = 0; k < d->n_functions; k++) {
			if (!pt__bdf_is_valid(d->functions[k]))
				return "names a bad PCI address";
			if (pt__tenant_block(ctx, d->functions[k], d->group, why, sizeof(why))) {
				snprintf(buf, len, "names %s, which is %.120s", d->functions[k], why);
				return buf;
			}
		}
		if (d->usb_name && pt__tenant_block(ctx, d->usb_name, d->group, why, sizeof(why))) {
			snprintf(buf, len, "names %.96s, which is %.120s", d->usb_name, why);
			return buf;
		}
	}
	return NULL;
}

int pt__tenant_leases_load(struct pt_ctx *ctx, const char *tenant, int dfd, bool strict,
			   struct pt_lease ***out, size_t *n_out, char ***warn, int *n_warn,
			   char *err, size_t errlen)
{
	char **names = NULL, boot[37], dname[PT_NAME_MAX + 8];
	struct pt_lease **ls = NULL;
	size_t n = 0, nn = 0;
	int r;

	*out = NULL;
	*n_out = 0;
	pt__boot_id(ctx, boot);
	pt__tdir_name(tenant, dname, sizeof(dname));
	r = pt__tdir_list(dfd, ".lease", &names, &nn);
	if (r < 0) {
		pt__seterr(err, errlen, r, "tenant '%s': " TENANTS_D "%s: %s", tenant, dname,
			   strerror(-r));
		return r;
	}
	for (size_t i = 0; i < nn && r >= 0; i++) {
		char file[PT_NAME_MAX + 8], rel[2 * PT_NAME_MAX + 32], why[256], lerr[256];
		const char *bad = NULL;
		struct pt_lease *l = NULL;
		char *text = NULL;
		int e;

		snprintf(file, sizeof(file), "%s.lease", names[i]);
		snprintf(rel, sizeof(rel), TENANTS_D "%s/%s", dname, file);
		e = pt__tdir_read(dfd, file, &text);
		if (e == -ENOENT)
			continue;		/* stopped meanwhile */
		if (e == -ENOMEM) {
			r = e;
			break;
		}
		if (e < 0)
			bad = pt__tdir_read_error(e);
		else if (lease_parse(ctx, rel, text, &l, lerr, sizeof(lerr)) < 0)
			bad = strncmp(lerr, rel, strlen(rel)) ? lerr : lerr + strlen(rel) + 1;
		else
			bad = tenant_lease_bad(ctx, tenant, names[i], l, why, sizeof(why));
		free(text);
		/* units not the tenant's: kept (gc frees it), acted on by nobody */
		if (bad && bad == why) {
			char *f = NULL;

			if (asprintf(&f, "tenant '%s': %s/%s %s", tenant, pt_get_conf_dir(ctx), rel,
				     why) < 0 || !(l->foreign = f)) {
				pt__lease_free(l);
				r = -ENOMEM;
				break;
			}
			bad = NULL;
		}
		if (!bad && l->boot_id[0] && boot[0] && strcmp(l->boot_id, boot)) {
			/* made before this boot: it holds nothing now */
			pt__lease_free(l);
			continue;
		}
		if (bad) {
			pt__lease_free(l);
			if (strict) {
				pt__seterr(err, errlen, -EPERM,
					   "tenant '%s': %s/%s %s; refusing it: remove it", tenant,
					   pt_get_conf_dir(ctx), rel, bad);
				r = -EPERM;
				break;
			}
			if (warn && pt__strv_add(warn, n_warn, "tenant '%s': %s/%s %s; ignored",
						 tenant, pt_get_conf_dir(ctx), rel, bad) < 0)
				r = -ENOMEM;
			continue;
		}
		if (pt__array_add(ls, n, l) < 0) {
			pt__lease_free(l);
			r = -ENOMEM;
			break;
		}
	}
	pt__strv_free(names, nn);
	if (r < 0) {
		if (r == -ENOMEM)
			pt__seterr(err, errlen, r, "out of memory");
		while (n)
			pt__lease_free(ls[--n]);
		free(ls);
		return r;
	}
	if (n)
		qsort(ls, n, sizeof(*ls), cmp_lease);
	*out = ls;
	*n_out = n;
	return 0;
}

int pt__tenant_lease_write(struct pt_lease *l, int dfd, char *err, size_t errlen)
{
	char file[PT_NAME_MAX + 8], *text;
	int r;

	snprintf(file, sizeof(file), "%s.lease", l->vm);
	text = render(l);
	if (!text)
		return -ENOMEM;
	r = pt__tdir_write(dfd, file, text);
	free(text);
	if (r < 0)
		pt__seterr(err, errlen, r, "tenant '%s': %s/" TENANTS_D
			   "%s.d/%s: cannot write the lease: %s", l->tenant,
			   pt_get_conf_dir(l->ctx), l->tenant, file, strerror(-r));
	return r;
}
