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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

struct profile { unsigned int id, slices, count; unsigned long long mem; };
struct gi { unsigned int id, profile, start; int busy; };
struct gpu {
	char bdf[16];
	int mig, pending, hetero;	/* mig -1: no MIG; hetero -1: unsupported */
	struct profile p[MAXP];
	int np;
	struct gi gi[MAXI];
	int ngi;
	char busy[64];
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
	}
	for (int i = 0; i < nfails; i++)
		fprintf(f, "fail %s %s %d seen=%d\n", fails[i].bdf, fails[i].call, fails[i].nth,
			fails[i].seen);
	if (fclose(f) != 0)
		return -1;
	return rename(tmp, path());
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

int nvmlDeviceGetGpuInstanceProfileInfo(void *d, unsigned int id, struct pinfo *info)
{
	struct gpu *g = ready(d);
	struct profile *p;

	if (!g)
		return ERR_INVALID_ARGUMENT;
	if (g->mig != 1)
		return ERR_NOT_SUPPORTED;
	p = profile_of(g, id);
	if (!p)
		return ERR_INVALID_ARGUMENT;
	memset(info, 0, sizeof(*info));
	info->id = p->id;
	info->slices = p->slices;
	info->count = p->count;
	info->mem = p->mem;
	return SUCCESS;
}

int nvmlDeviceGetGpuInstanceRemainingCapacity(void *d, unsigned int id, unsigned int *count)
{
	struct gpu *g = ready(d);
	struct profile *p;

	if (!g)
		return ERR_INVALID_ARGUMENT;
	if (g->mig != 1)
		return ERR_NOT_SUPPORTED;
	p = profile_of(g, id);
	if (!p)
		return ERR_INVALID_ARGUMENT;
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
	struct gpu *g = ready(d);
	unsigned int n = 0;

	if (!g)
		return ERR_INVALID_ARGUMENT;
	if (g->mig != 1)
		return ERR_NOT_SUPPORTED;
	if (!profile_of(g, id))
		return ERR_INVALID_ARGUMENT;
	for (int i = 0; i < g->ngi; i++)
		if (g->gi[i].profile == id)
			out[n++] = gi_handle(g, g->gi[i].id);
	*count = n;
	return SUCCESS;
}

int nvmlDeviceGetGpuInstanceById(void *d, unsigned int id, void **out)
{
	struct gpu *g = ready(d);

	if (!g)
		return ERR_INVALID_ARGUMENT;
	if (g->mig != 1)
		return ERR_NOT_SUPPORTED;
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
	struct gpu *g = ready(d);
	struct profile *p;
	unsigned int gid = 1, start;

	if (!g)
		return ERR_INVALID_ARGUMENT;
	if (g->mig != 1)
		return ERR_NOT_SUPPORTED;
	p = profile_of(g, id);
	if (!p)
		return ERR_INVALID_ARGUMENT;
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
