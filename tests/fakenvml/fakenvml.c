// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fakenvml: a stand-in for NVIDIA's libnvidia-ml.so.1 in tests. It
 * exports the NVML entry points passthru resolves (lib/nvml.c), with
 * NVML's names and semantics, over a state file named by $FAKENVML_STATE
 * (tests/fixtures/gen-sysfs writes one beside a vgpu tree: nvml/state).
 * Each call reads the file; each change writes it back, so a test sees
 * what the GPU now holds. No state file: nvmlInit fails as without the
 * NVIDIA driver. Lines (README.md):
 *   gpu BDF mig=0|1 pending=0|1 hetero=0|1|-   (- : not supported;
 *       without mig=: no MIG on this GPU; a later line of the same GPU
 *       changes what it names)
 *   profile BDF id=N slices=S count=C mem=MB  (MIG's GPU-instance profiles)
 *   gi BDF id=N profile=P start=S busy=0|1    (a GPU instance; busy: in use)
 *   busy BDF WHO                              (the GPU is in use: a MIG mode
 *                                              change stays pending a reset)
 *   fail BDF CALL N                           (the Nth call of CALL on BDF,
 *                                              0: every one, fails with
 *                                              NVML_ERROR_UNKNOWN; the
 *                                              calls are counted in seen=)
 *   vgpu BDF interface=mdev|vf fb=GB          (the GPU's vGPU host interface
 *                                              and framebuffer)
 *   type BDF id=N max=M slices=S fb=GB me=0|1 name=NAME  (its vGPU types)
 * A GPU with a vgpu line has its VFs in the fixture tree beside the state
 * file (DIR/nvml/state: DIR/sys) kept as the driver keeps them: after
 * each change, nvidia/creatable_vgpu_types (per-VF) or each mdev type's
 * available_instances (mdev on the VFs) say what one more vGPU may be
 * now, and a VF's nvidia/gpu_instance_id names no GPU instance that is
 * gone (README.md: the rules).
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SUCCESS			0
#define ERR_UNINITIALIZED	1
#define ERR_INVALID_ARGUMENT	2
#define ERR_NOT_SUPPORTED	3
#define ERR_NOT_FOUND		6
#define ERR_DRIVER_NOT_LOADED	9
#define ERR_IN_USE		19
#define ERR_INSUFFICIENT_RESOURCES 23
#define ERR_UNKNOWN		999

#define MAXG 16
#define MAXP 16
#define MAXI 64
#define MAXF 16
#define MAXT 32
#define MAXVF 64

struct profile { unsigned int id, slices, count; unsigned long long mem; };
struct gi { unsigned int id, profile, start; int busy; };
struct vtype { unsigned int id, max, slices, fb, me; char name[64]; };
struct gpu {
	char bdf[16];
	int mig, pending, hetero;	/* mig -1: no MIG; hetero -1: unsupported */
	struct profile p[MAXP];
	int np;
	struct gi gi[MAXI];
	int ngi;
	char busy[64];
	char iface[8];			/* "mdev", "vf"; "": no vgpu line */
	unsigned int fb;
	struct vtype t[MAXT];
	int nt;
};
struct failure { char bdf[16], call[48]; int nth, seen; };

static struct gpu gpus[MAXG];
static int ngpus;
static struct failure fails[MAXF];
static int nfails;
static int inited;

/* nvmlGpuInstanceProfileInfo_t, nvmlGpuInstanceInfo_t, heterogeneous mode */
struct pinfo {
	unsigned int id, p2p, slices, count, sms, ces, decs, encs, jpegs, ofas;
	unsigned long long mem;
};
struct giinfo { void *device; unsigned int id, profile, start, size; };
struct hetero { unsigned int version, mode; };

static const char *path(void)
{
	return getenv("FAKENVML_STATE");
}

static int load(void)
{
	FILE *f = path() ? fopen(path(), "r") : NULL;
	char line[256];

	ngpus = 0;
	nfails = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char kind[16], bdf[16], rest[200] = "";
		struct gpu *g = NULL;

		if (sscanf(line, "%15s %15s %199[^\n]", kind, bdf, rest) < 2 || kind[0] == '#')
			continue;
		for (int i = 0; i < ngpus; i++)
			if (!strcmp(gpus[i].bdf, bdf))
				g = &gpus[i];
		if (!strcmp(kind, "gpu") && (g || ngpus < MAXG)) {
			/* a later line of the same GPU changes what it names */
			char h[4] = "";

			if (!g) {
				g = &gpus[ngpus++];
				memset(g, 0, sizeof(*g));
				snprintf(g->bdf, sizeof(g->bdf), "%s", bdf);
				g->mig = g->hetero = -1;
			}
			if (strstr(rest, "mig=")) {
				sscanf(strstr(rest, "mig="), "mig=%d", &g->mig);
				g->pending = g->mig;
			}
			if (strstr(rest, "pending="))
				sscanf(strstr(rest, "pending="), "pending=%d", &g->pending);
			if (strstr(rest, "hetero=") &&
			    sscanf(strstr(rest, "hetero="), "hetero=%3s", h) == 1)
				g->hetero = h[0] == '-' ? -1 : atoi(h);
		} else if (!strcmp(kind, "profile") && g && g->np < MAXP) {
			struct profile *p = &g->p[g->np++];

			sscanf(rest, "id=%u slices=%u count=%u mem=%llu", &p->id, &p->slices,
			       &p->count, &p->mem);
		} else if (!strcmp(kind, "gi") && g && g->ngi < MAXI) {
			struct gi *x = &g->gi[g->ngi++];

			sscanf(rest, "id=%u profile=%u start=%u busy=%d", &x->id, &x->profile,
			       &x->start, &x->busy);
		} else if (!strcmp(kind, "vgpu") && g) {
			sscanf(rest, "interface=%7s fb=%u", g->iface, &g->fb);
		} else if (!strcmp(kind, "type") && g && g->nt < MAXT) {
			struct vtype *t = &g->t[g->nt++];

			if (sscanf(rest, "id=%u max=%u slices=%u fb=%u me=%u name=%63[^\n]", &t->id,
				   &t->max, &t->slices, &t->fb, &t->me, t->name) != 6)
				g->nt--;
		} else if (!strcmp(kind, "busy") && g) {
			snprintf(g->busy, sizeof(g->busy), "%.*s", (int)sizeof(g->busy) - 1, rest);
		} else if (!strcmp(kind, "fail") && nfails < MAXF) {
			struct failure *x = &fails[nfails++];

			memset(x, 0, sizeof(*x));
			snprintf(x->bdf, sizeof(x->bdf), "%s", bdf);
			if (sscanf(rest, "%47s %d seen=%d", x->call, &x->nth, &x->seen) < 1)
				nfails--;
		}
	}
	fclose(f);
	return 0;
}

static void sync_tree(void);

static int save(void)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.new", path());
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "# fakenvml state (tests/fakenvml/README.md)\n");
	for (int i = 0; i < ngpus; i++) {
		struct gpu *g = &gpus[i];

		fprintf(f, "gpu %s", g->bdf);
		if (g->mig >= 0)
			fprintf(f, " mig=%d pending=%d", g->mig, g->pending);
		if (g->hetero >= 0)
			fprintf(f, " hetero=%d", g->hetero);
		else
			fprintf(f, " hetero=-");
		fprintf(f, "\n");
		for (int k = 0; k < g->np; k++)
			fprintf(f, "profile %s id=%u slices=%u count=%u mem=%llu\n", g->bdf,
				g->p[k].id, g->p[k].slices, g->p[k].count, g->p[k].mem);
		for (int k = 0; k < g->ngi; k++)
			fprintf(f, "gi %s id=%u profile=%u start=%u busy=%d\n", g->bdf,
				g->gi[k].id, g->gi[k].profile, g->gi[k].start, g->gi[k].busy);
		if (g->busy[0])
			fprintf(f, "busy %s %s\n", g->bdf, g->busy);
		if (g->iface[0])
			fprintf(f, "vgpu %s interface=%s fb=%u\n", g->bdf, g->iface, g->fb);
		for (int k = 0; k < g->nt; k++)
			fprintf(f, "type %s id=%u max=%u slices=%u fb=%u me=%u name=%s\n", g->bdf,
				g->t[k].id, g->t[k].max, g->t[k].slices, g->t[k].fb, g->t[k].me,
				g->t[k].name);
	}
	for (int i = 0; i < nfails; i++)
		fprintf(f, "fail %s %s %d seen=%d\n", fails[i].bdf, fails[i].call, fails[i].nth,
			fails[i].seen);
	if (fclose(f) != 0)
		return -1;
	if (rename(tmp, path()) < 0)
		return -1;
	sync_tree();
	return 0;
}

/* Does this call on this GPU fail now? Counts the calls in the state file. */
static int failing(struct gpu *g, const char *call)
{
	int hit = 0, seen = 0;

	for (int i = 0; i < nfails; i++) {
		struct failure *x = &fails[i];

		if (strcmp(x->bdf, g->bdf) || strcmp(x->call, call))
			continue;
		x->seen++;
		seen = 1;
		if (!x->nth || x->nth == x->seen)
			hit = 1;
	}
	if (seen)
		save();
	return hit;
}

static struct gpu *dev(void *d)
{
	long i = (long)(size_t)d - 1;

	return i >= 0 && i < ngpus ? &gpus[i] : NULL;
}

static struct gpu *ready(void *d)
{
	if (!inited || load() < 0)
		return NULL;
	return dev(d);
}

static struct profile *profile_of(struct gpu *g, unsigned int id)
{
	for (int i = 0; i < g->np; i++)
		if (g->p[i].id == id)
			return &g->p[i];
	return NULL;
}

static unsigned int used_slices(struct gpu *g)
{
	unsigned int n = 0;

	for (int i = 0; i < g->ngi; i++) {
		struct profile *p = profile_of(g, g->gi[i].profile);

		n += p ? p->slices : 0;
	}
	return n;
}

/* 7 compute slices (8 memory slices) as on A100 and H100 */
static unsigned int remaining(struct gpu *g, struct profile *p)
{
	unsigned int left = 7 - used_slices(g), of = 0;

	for (int i = 0; i < g->ngi; i++)
		of += g->gi[i].profile == p->id;
	if (of >= p->count)
		return 0;
	left /= p->slices;
	return left < p->count - of ? left : p->count - of;
}

static struct gi *gi_of_id(struct gpu *g, unsigned int id)
{
	for (int i = 0; i < g->ngi; i++)
		if (g->gi[i].id == id)
			return &g->gi[i];
	return NULL;
}

/* ---- the fixture tree, kept as the driver keeps it ---------------------- */

/* A path of the tree; one too long is cut (and then found nowhere). */
static void pathf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(buf, len, fmt, ap) >= (int)len)
		buf[0] = '\0';
	va_end(ap);
}

/* DIR of DIR/nvml/state, where the tree is DIR/sys; NULL: no tree */
static int tree_root(char *out, size_t len)
{
	const char *p = path();
	size_t n = p ? strlen(p) : 0;

	if (n < 12 || strcmp(p + n - 11, "/nvml/state") || n - 11 >= len)
		return -1;
	memcpy(out, p, n - 11);
	out[n - 11] = '\0';
	return 0;
}

static long read_long(const char *file, long dflt)
{
	FILE *f = fopen(file, "r");
	long v = dflt;

	if (!f)
		return dflt;
	if (fscanf(f, "%ld", &v) != 1)
		v = dflt;
	fclose(f);
	return v;
}

/*
 * Replace a file of the tree with text, keeping its mode; written beside
 * the state file and renamed into place, so the test kernel (which reacts
 * to writes closed in the tree) sees no write. Unchanged: left alone.
 */
static void put(const char *root, const char *file, const char *text)
{
	char tmp[1100], old[8192];
	struct stat st;
	size_t n = 0;
	FILE *f;

	if (stat(file, &st) < 0)
		return;
	f = fopen(file, "r");
	if (f) {
		n = fread(old, 1, sizeof(old) - 1, f);
		fclose(f);
	}
	old[n] = '\0';
	if (n == strlen(text) && !memcmp(old, text, n))
		return;
	pathf(tmp, sizeof(tmp), "%s/nvml/.tree.new", root);
	f = fopen(tmp, "w");
	if (!f)
		return;
	fputs(text, f);
	if (fclose(f) == 0 && chmod(tmp, st.st_mode & 07777) == 0)
		rename(tmp, file);
	else
		unlink(tmp);
}

struct vf {
	char dir[1100];
	long current;		/* per-VF: current_vgpu_type; mdev: the instance's type */
	long gi, placement;
	int has_instance;
};

/* The type the mdev instance on a VF has ("nvidia-N": N), 0: none. */
static long mdev_instance(const char *dir)
{
	char p[1400], link[256];
	struct dirent *e;
	long id = 0;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		ssize_t n;
		char *b;

		if (strlen(e->d_name) != 36)
			continue;
		pathf(p, sizeof(p), "%s/%s/mdev_type", dir, e->d_name);
		n = readlink(p, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		b = strrchr(link, '/');
		b = b ? b + 1 : link;
		if (!strncmp(b, "nvidia-", 7))
			id = atol(b + 7);
	}
	closedir(d);
	return id;
}

static int used_by_vf(struct vf *vfs, int n, unsigned int gi)
{
	for (int i = 0; i < n; i++)
		if (vfs[i].gi == (long)gi)
			return 1;
	return 0;
}

/* Does a GPU instance of profile p carry the MIG-backed type t? */
static int gi_fits(const struct vtype *t, const struct profile *p)
{
	long d = (long)p->mem - (long)t->fb * 1024;

	return p->slices == t->slices && d > -1024 && d < 1024 &&
	       (p->id == 7 || p->id == 8) == !!t->me;
}

static const struct vtype *type_of(struct gpu *g, long id)
{
	for (int i = 0; i < g->nt; i++)
		if ((long)g->t[i].id == id)
			return &g->t[i];
	return NULL;
}

/*
 * Heterogeneous mode: the placements (in GB of framebuffer) free for one
 * more t, aligned to its size and clear of what runs; ids into out.
 */
static int placements(struct gpu *g, const struct vtype *t, struct vf *vfs, int n,
		      unsigned int *out, int max)
{
	int k = 0;

	for (unsigned int p = 0; t->fb && p + t->fb <= g->fb; p += t->fb) {
		int clear = 1;

		for (int i = 0; i < n && clear; i++) {
			const struct vtype *r = type_of(g, vfs[i].current);

			if (r && vfs[i].placement >= 0 &&
			    !(p + t->fb <= (unsigned long)vfs[i].placement ||
			      (unsigned long)vfs[i].placement + r->fb <= p))
				clear = 0;
		}
		if (clear && k < max)
			out[k++] = p;
		else if (clear)
			k++;
	}
	return k;
}

static int read_vfs(const char *root, struct gpu *g, struct vf *vfs)
{
	int n = 0;

	for (; n < MAXVF; n++) {
		struct vf *v = &vfs[n];
		char f[1200];
		struct stat st;

		pathf(v->dir, sizeof(v->dir), "%s/sys/bus/pci/devices/%s/virtfn%d", root,
			 g->bdf, n);
		if (stat(v->dir, &st) < 0)
			break;
		v->current = 0;
		v->gi = v->placement = -1;
		if (!strcmp(g->iface, "vf")) {
			pathf(f, sizeof(f), "%s/nvidia/current_vgpu_type", v->dir);
			v->current = read_long(f, 0);
			pathf(f, sizeof(f), "%s/nvidia/gpu_instance_id", v->dir);
			v->gi = read_long(f, -1);
			pathf(f, sizeof(f), "%s/nvidia/placement_id", v->dir);
			v->placement = read_long(f, -1);
		} else {
			v->current = mdev_instance(v->dir);
		}
		v->has_instance = v->current > 0;
	}
	return n;
}

/* May one more vGPU of type t be made on g now (README.md)? */
static int creatable(struct gpu *g, const struct vtype *t, struct vf *vfs, int n)
{
	unsigned int running = 0, fb = 0, slot;
	int others = 0;

	for (int i = 0; i < n; i++) {
		const struct vtype *r = type_of(g, vfs[i].current);

		if (!r)
			continue;
		running += r == t;
		others += r != t;
		fb += r->fb;
	}
	if (running >= t->max || !!t->slices != (g->mig == 1))
		return 0;
	if (t->slices) {
		for (int i = 0; i < g->ngi; i++) {
			struct profile *p = profile_of(g, g->gi[i].profile);

			if (p && !g->gi[i].busy && !used_by_vf(vfs, n, g->gi[i].id) &&
			    gi_fits(t, p))
				return 1;
		}
		return 0;
	}
	if (g->hetero == 1)
		return placements(g, t, vfs, n, &slot, 1) > 0;
	return !others && fb + t->fb <= g->fb;
}

static void sync_gpu(const char *root, struct gpu *g)
{
	static struct vf vfs[MAXVF];
	char table[4096], f[1200];
	int n = read_vfs(root, g, vfs);
	size_t off;

	off = (size_t)snprintf(table, sizeof(table), "ID    : vGPU Name\n");
	for (int k = 0; k < g->nt; k++)
		if (creatable(g, &g->t[k], vfs, n) && off < sizeof(table))
			off += (size_t)snprintf(table + off, sizeof(table) - off, "%-6u: %s\n",
						g->t[k].id, g->t[k].name);
	for (int i = 0; i < n; i++) {
		if (!strcmp(g->iface, "vf")) {
			pathf(f, sizeof(f), "%s/nvidia/creatable_vgpu_types", vfs[i].dir);
			put(root, f, vfs[i].current ? "ID    : vGPU Name\n" : table);
			if (vfs[i].gi >= 0 && !gi_of_id(g, (unsigned int)vfs[i].gi)) {
				pathf(f, sizeof(f), "%s/nvidia/gpu_instance_id", vfs[i].dir);
				put(root, f, "-1\n");
			}
			continue;
		}
		for (int k = 0; k < g->nt; k++) {
			int one = !vfs[i].has_instance && creatable(g, &g->t[k], vfs, n);

			pathf(f, sizeof(f), "%s/mdev_supported_types/nvidia-%u/available_instances",
				 vfs[i].dir, g->t[k].id);
			put(root, f, one ? "1\n" : "0\n");
		}
	}
}

static void sync_tree(void)
{
	char root[1024];

	if (tree_root(root, sizeof(root)) < 0)
		return;
	for (int i = 0; i < ngpus; i++)
		if (gpus[i].iface[0])
			sync_gpu(root, &gpus[i]);
}

/* ---- the entry points ---------------------------------------------------- */

int nvmlInit_v2(void)
{
	if (load() < 0)
		return ERR_DRIVER_NOT_LOADED;
	inited = 1;
	return SUCCESS;
}

int nvmlShutdown(void)
{
	if (!inited)
		return ERR_UNINITIALIZED;
	inited = 0;
	return SUCCESS;
}

const char *nvmlErrorString(int rc)
{
	switch (rc) {
	case SUCCESS: return "Success";
	case ERR_UNINITIALIZED: return "Uninitialized";
	case ERR_INVALID_ARGUMENT: return "Invalid Argument";
	case ERR_NOT_SUPPORTED: return "Not Supported";
	case ERR_NOT_FOUND: return "Not Found";
	case ERR_DRIVER_NOT_LOADED: return "Driver Not Loaded";
	case ERR_IN_USE: return "In use by another client";
	case ERR_INSUFFICIENT_RESOURCES: return "Insufficient Resources";
	default: return "Unknown Error";
	}
}

int nvmlDeviceGetHandleByPciBusId_v2(const char *bdf, void **out)
{
	if (!inited || load() < 0)
		return ERR_UNINITIALIZED;
	for (int i = 0; i < ngpus; i++)
		if (!strcasecmp(gpus[i].bdf, bdf)) {
			*out = (void *)(size_t)(i + 1);
			return SUCCESS;
		}
	return ERR_NOT_FOUND;
}

int nvmlDeviceGetMigMode(void *d, unsigned int *cur, unsigned int *pending)
{
	struct gpu *g = ready(d);

	if (!g)
		return ERR_INVALID_ARGUMENT;
	if (g->mig < 0)
		return ERR_NOT_SUPPORTED;
	*cur = (unsigned int)g->mig;
	*pending = (unsigned int)g->pending;
	return SUCCESS;
}

int nvmlDeviceSetMigMode(void *d, unsigned int mode, int *activation)
{
	struct gpu *g = ready(d);

	if (!g)
		return ERR_INVALID_ARGUMENT;
	if (g->mig < 0)
		return ERR_NOT_SUPPORTED;
	if (failing(g, "nvmlDeviceSetMigMode"))
		return ERR_UNKNOWN;
	/* MIG off with GPU instances left: NVML refuses */
	if (!mode && g->ngi)
		return ERR_IN_USE;
	g->pending = !!mode;
	if (g->busy[0] && g->pending != g->mig) {
		*activation = ERR_IN_USE;	/* pending a reset */
	} else {
		g->mig = g->pending;
		*activation = SUCCESS;
	}
	return save() < 0 ? ERR_UNKNOWN : SUCCESS;
}

/* The GPU of handle d with MIG on: SUCCESS, or the NVML error for the call. */
static int mig_gpu(void *d, struct gpu **gp)
{
	*gp = ready(d);
	if (!*gp)
		return ERR_INVALID_ARGUMENT;
	return (*gp)->mig != 1 ? ERR_NOT_SUPPORTED : SUCCESS;
}

/* As mig_gpu(), and its GPU instance profile id. */
static int mig_profile(void *d, unsigned int id, struct gpu **gp, struct profile **pp)
{
	int r = mig_gpu(d, gp);

	if (r != SUCCESS)
		return r;
	*pp = profile_of(*gp, id);
	return *pp ? SUCCESS : ERR_INVALID_ARGUMENT;
}

int nvmlDeviceGetGpuInstanceProfileInfo(void *d, unsigned int id, struct pinfo *info)
{
	struct profile *p;
	struct gpu *g;
	int r = mig_profile(d, id, &g, &p);

	if (r != SUCCESS)
		return r;
	memset(info, 0, sizeof(*info));
	info->id = p->id;
	info->slices = p->slices;
	info->count = p->count;
	info->mem = p->mem;
	return SUCCESS;
}

int nvmlDeviceGetGpuInstanceRemainingCapacity(void *d, unsigned int id, unsigned int *count)
{
	struct profile *p;
	struct gpu *g;
	int r = mig_profile(d, id, &g, &p);

	if (r != SUCCESS)
		return r;
	*count = remaining(g, p);
	return SUCCESS;
}

static void *gi_handle(struct gpu *g, unsigned int id)
{
	return (void *)(size_t)(((size_t)(g - gpus) << 16 | id) + 1);
}

static struct gi *gi_of(void *h, struct gpu **gp)
{
	size_t v = (size_t)h - 1;
	struct gpu *g;

	if (!inited || load() < 0 || (long)(v >> 16) >= ngpus)
		return NULL;
	g = &gpus[v >> 16];
	*gp = g;
	for (int i = 0; i < g->ngi; i++)
		if (g->gi[i].id == (v & 0xffff))
			return &g->gi[i];
	return NULL;
}

int nvmlDeviceGetGpuInstances(void *d, unsigned int id, void **out, unsigned int *count)
{
	unsigned int n = 0;
	struct profile *p;
	struct gpu *g;
	int r = mig_profile(d, id, &g, &p);

	if (r != SUCCESS)
		return r;
	for (int i = 0; i < g->ngi; i++)
		if (g->gi[i].profile == id)
			out[n++] = gi_handle(g, g->gi[i].id);
	*count = n;
	return SUCCESS;
}

int nvmlDeviceGetGpuInstanceById(void *d, unsigned int id, void **out)
{
	struct gpu *g;
	int r = mig_gpu(d, &g);

	if (r != SUCCESS)
		return r;
	for (int i = 0; i < g->ngi; i++)
		if (g->gi[i].id == id) {
			*out = gi_handle(g, id);
			return SUCCESS;
		}
	return ERR_NOT_FOUND;
}

int nvmlGpuInstanceGetInfo(void *h, struct giinfo *info)
{
	struct gpu *g;
	struct gi *x = gi_of(h, &g);
	struct profile *p;

	if (!x)
		return ERR_INVALID_ARGUMENT;
	p = profile_of(g, x->profile);
	memset(info, 0, sizeof(*info));
	info->device = (void *)(size_t)(g - gpus + 1);
	info->id = x->id;
	info->profile = x->profile;
	info->start = x->start;
	info->size = p ? p->slices : 0;
	return SUCCESS;
}

int nvmlDeviceCreateGpuInstance(void *d, unsigned int id, void **out)
{
	unsigned int gid = 1, start;
	struct profile *p;
	struct gpu *g;
	int r = mig_profile(d, id, &g, &p);

	if (r != SUCCESS)
		return r;
	if (failing(g, "nvmlDeviceCreateGpuInstance"))
		return ERR_UNKNOWN;
	if (!remaining(g, p) || g->ngi >= MAXI)
		return ERR_INSUFFICIENT_RESOURCES;
	/* the lowest free id, placed after what is used */
	for (int again = 1; again;) {
		again = 0;
		for (int i = 0; i < g->ngi; i++)
			if (g->gi[i].id == gid) {
				gid++;
				again = 1;
			}
	}
	start = used_slices(g);
	g->gi[g->ngi++] = (struct gi){ .id = gid, .profile = id, .start = start };
	*out = gi_handle(g, gid);
	return save() < 0 ? ERR_UNKNOWN : SUCCESS;
}

int nvmlGpuInstanceDestroy(void *h)
{
	struct gpu *g;
	struct gi *x = gi_of(h, &g);

	if (!x)
		return ERR_INVALID_ARGUMENT;
	if (x->busy)
		return ERR_IN_USE;
	if (failing(g, "nvmlGpuInstanceDestroy"))
		return ERR_UNKNOWN;
	*x = g->gi[--g->ngi];
	return save() < 0 ? ERR_UNKNOWN : SUCCESS;
}

int nvmlDeviceGetVgpuHeterogeneousMode(void *d, struct hetero *h)
{
	struct gpu *g = ready(d);

	if (!g || !h || h->version != 0x1000008u)
		return ERR_INVALID_ARGUMENT;
	if (g->hetero < 0)
		return ERR_NOT_SUPPORTED;
	h->mode = (unsigned int)g->hetero;
	return SUCCESS;
}

int nvmlDeviceSetVgpuHeterogeneousMode(void *d, const struct hetero *h)
{
	struct gpu *g = ready(d);

	if (!g || !h || h->version != 0x1000008u || h->mode > 1)
		return ERR_INVALID_ARGUMENT;
	if (g->hetero < 0)
		return ERR_NOT_SUPPORTED;
	if (failing(g, "nvmlDeviceSetVgpuHeterogeneousMode"))
		return ERR_UNKNOWN;
	g->hetero = (int)h->mode;
	return save() < 0 ? ERR_UNKNOWN : SUCCESS;
}

/* NVML_DEVICE_VGPU_CAP_HETEROGENEOUS_TIMESLICE_SIZES: the hetero= line */
int nvmlDeviceGetVgpuCapabilities(void *d, unsigned int cap, unsigned int *result)
{
	struct gpu *g = ready(d);

	if (!g || !result)
		return ERR_INVALID_ARGUMENT;
	if (cap != 2)
		return ERR_NOT_SUPPORTED;
	*result = g->hetero >= 0;
	return SUCCESS;
}

/* nvmlVgpuPlacementList_v1_t */
struct placements { unsigned int version, size, count; unsigned int *ids; };

/*
 * The placements free for one more vGPU of a type, in heterogeneous mode
 * (the model of README.md: in GB of framebuffer, aligned to the type's
 * size, clear of the placement_id of each VF that runs one).
 */
int nvmlDeviceGetVgpuTypeCreatablePlacements(void *d, unsigned int type, struct placements *pl)
{
	static struct vf vfs[MAXVF];
	struct gpu *g = ready(d);
	const struct vtype *t;
	char root[1024];
	unsigned int ids[64];
	int n, k;

	if (!g || !pl || pl->version != (unsigned int)(sizeof(*pl) | 1u << 24))
		return ERR_INVALID_ARGUMENT;
	if (g->hetero != 1 || strcmp(g->iface, "vf") || tree_root(root, sizeof(root)) < 0)
		return ERR_NOT_SUPPORTED;
	t = type_of(g, type);
	if (!t || t->slices)
		return ERR_INVALID_ARGUMENT;
	n = read_vfs(root, g, vfs);
	k = placements(g, t, vfs, n, ids, 64);
	if (k > 64)
		k = 64;
	if ((unsigned int)k > pl->count || !pl->ids) {
		pl->count = (unsigned int)k;
		return 7;	/* NVML_ERROR_INSUFFICIENT_SIZE */
	}
	memcpy(pl->ids, ids, (size_t)k * sizeof(*ids));
	pl->count = (unsigned int)k;
	pl->size = t->fb;
	return SUCCESS;
}

/* nvmlProcessInfo_t: the busy line's "pid N" is the one process */
struct process { unsigned int pid; unsigned long long mem; unsigned int gi, ci; };

int nvmlDeviceGetComputeRunningProcesses_v3(void *d, unsigned int *count, struct process *p)
{
	struct gpu *g = ready(d);
	unsigned int pid;

	if (!g || !count)
		return ERR_INVALID_ARGUMENT;
	if (!g->busy[0] || sscanf(g->busy, "pid %u", &pid) != 1) {
		*count = 0;
		return SUCCESS;
	}
	if (*count < 1 || !p) {
		*count = 1;
		return 7;	/* NVML_ERROR_INSUFFICIENT_SIZE */
	}
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->gi = p->ci = 0xffffffffu;
	*count = 1;
	return SUCCESS;
}
