// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * NVIDIA MIG and heterogeneous vGPU binder: the GPU changes NVML makes
 * (nvml.c loads it), as plan steps with verify and undo:
 *   nvmig.mode    a GPU's MIG mode on or off;
 *   nvmig.create  as many GPU instances of one profile as the GPU can
 *                 take now (NVML's remaining capacity), their ids added
 *                 to the planner's record; undo destroys them;
 *   nvmig.destroy one GPU instance; undo makes one of its profile again;
 *   nvmig.hetero  a GPU's vGPU heterogeneous (mixed-size) mode.
 * GPU instances do not survive a reboot or a GPU reset: the next apply
 * (passthru.service) makes them again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binder.h"

struct mig_switch;

struct mig {
	char bdf[PT_BDF_LEN];
	int from, to;			/* mode, or hetero mode */
	const struct mig_switch *sw;	/* mode, hetero */
	/* create */
	int slices, fb_gb;
	bool media;
	unsigned int profile_id;
	unsigned int made[PT__NVMIG_MAX_GI];
	int n_made;
	struct pt__nvmig_out *out;
	int out_base;			/* out->n before this step */
	/* destroy */
	unsigned int gi;
};

static int dev_of(struct pt_plan *p, const char *bdf, struct pt__nvml **n,
		  pt__nvml_dev_t *dev, char *why, size_t wlen)
{
	int r = pt__nvml_open(pt__plan_get_ctx(p), n, why, wlen);

	if (r < 0)
		return r;
	r = pt__nvml_device(*n, bdf, dev);
	if (r < 0)
		snprintf(why, wlen, "NVML does not know %s: %s", bdf, strerror(-r));
	return r;
}

static int fail(struct pt__nvml *n, int rc, char *why, size_t wlen, const char *what)
{
	snprintf(why, wlen, "%s: %s", what, pt__nvml_strerror(n, rc));
	return pt__nvml_errno(rc) ?: -EIO;
}

/* ---- MIG mode -------------------------------------------------------------- */

static int set_mode(struct pt_plan *p, const char *bdf, int mode, char *why, size_t wlen)
{
	struct pt__nvml *n;
	pt__nvml_dev_t dev;
	int act = PT__NVML_SUCCESS, rc, r, cur, pend;
	char procs[160];

	r = dev_of(p, bdf, &n, &dev, why, wlen);
	if (r < 0)
		return r;
	rc = n->w_set_mig_mode(dev, (unsigned int)mode, &act);
	if (rc != PT__NVML_SUCCESS)
		return fail(n, rc, why, wlen, mode ? "turning MIG mode on" : "turning MIG mode off");
	if (act == PT__NVML_SUCCESS)
		return 0;
	/* pending a GPU reset: put the pending mode back, change nothing */
	if (pt__nvml_mig_mode(n, dev, &cur, &pend) == 0 && pend != cur)
		n->w_set_mig_mode(dev, (unsigned int)cur, &rc);
	if (pt__nvml_processes(pt__plan_get_ctx(p), n, dev, procs, sizeof(procs)) <= 0)
		procs[0] = '\0';
	snprintf(why, wlen, "MIG mode %s needs a reset of the GPU, which is busy (%s%s); stop "
		 "the processes and VMs that use it, reset it (nvidia-smi -r -i %s), then apply "
		 "again", mode ? "on" : "off", procs[0] ? "in use by " : "",
		 procs[0] ? procs : pt__nvml_strerror(n, act), bdf);
	return -EBUSY;
}

/* The MIG mode now (pending a reset: still the old one), or -errno. */
static int get_mode(struct pt__nvml *n, pt__nvml_dev_t dev)
{
	int cur, pend, r = pt__nvml_mig_mode(n, dev, &cur, &pend);

	return r < 0 ? r : cur;
}

/* ---- GPU instances ----------------------------------------------------------- */

static int destroy_id(struct pt__nvml *n, pt__nvml_dev_t dev, unsigned int id,
		      char *why, size_t wlen)
{
	pt__nvml_gi_t gi;
	int rc = n->get_gi_by_id(dev, id, &gi);
	char what[64];

	if (rc == PT__NVML_ERROR_NOT_FOUND || rc == PT__NVML_ERROR_INVALID_ARGUMENT)
		return 0;	/* gone already */
	snprintf(what, sizeof(what), "destroying GPU instance %u", id);
	if (rc != PT__NVML_SUCCESS)
		return fail(n, rc, why, wlen, what);
	rc = n->w_destroy_gi(gi);
	if (rc == PT__NVML_ERROR_IN_USE) {
		snprintf(why, wlen, "GPU instance %u is in use (a vGPU or a process runs on it); "
			 "stop the VM or process that uses it first", id);
		return -EBUSY;
	}
	return rc == PT__NVML_SUCCESS ? 0 : fail(n, rc, why, wlen, what);
}

static int create_run(struct pt_plan *p, struct pt_step *s, char *why, size_t wlen)
{
	struct mig *m = pt__step_data(s);
	struct pt__nvml_gi_profile_info pi;
	struct pt__nvml *n;
	pt__nvml_dev_t dev;
	unsigned int left = 0;
	int r, rc;

	r = dev_of(p, m->bdf, &n, &dev, why, wlen);
	if (r < 0)
		return r;
	/* the profiles are known once MIG mode is on: resolved now */
	r = pt__nvml_gi_profile(n, dev, m->slices, m->fb_gb, m->media, &pi);
	if (r < 0) {
		snprintf(why, wlen, "the GPU has no %d-slice GPU-instance profile of about %d GB%s",
			 m->slices, m->fb_gb, m->media ? " with media engines" : "");
		return r;
	}
	m->profile_id = pi.id;
	rc = n->get_gi_remaining(dev, pi.id, &left);
	if (rc != PT__NVML_SUCCESS)
		return fail(n, rc, why, wlen, "reading the GPU instances it can take");
	m->n_made = 0;
	m->out_base = m->out ? m->out->n : 0;
	while (left-- > 0 && m->out_base + m->n_made < PT__NVMIG_MAX_GI) {
		struct pt__nvml_gi_info info;
		pt__nvml_gi_t gi;

		rc = n->w_create_gi(dev, pi.id, &gi);
		if (rc == PT__NVML_SUCCESS) {
			memset(&info, 0, sizeof(info));
			rc = n->gi_get_info(gi, &info);
		}
		if (rc != PT__NVML_SUCCESS) {
			char what[96];

			snprintf(what, sizeof(what), "creating GPU instance %d of profile %u",
				 m->n_made + 1, pi.id);
			r = fail(n, rc, why, wlen, what);
			/* this step's own instances go again: the step did nothing */
			while (m->n_made > 0)
				destroy_id(n, dev, m->made[--m->n_made], NULL, 0);
			return r;
		}
		m->made[m->n_made++] = info.id;
	}
	if (m->out) {
		m->out->profile_id = m->profile_id;
		for (int i = 0; i < m->n_made; i++)
			m->out->ids[m->out_base + i] = m->made[i];
		m->out->n = m->out_base + m->n_made;
	}
	return 0;
}

static int create_verify(struct pt_plan *p, struct pt_step *s, char *why, size_t wlen)
{
	struct mig *m = pt__step_data(s);
	struct pt__nvml *n;
	pt__nvml_dev_t dev;
	int r;

	r = dev_of(p, m->bdf, &n, &dev, why, wlen);
	if (r < 0)
		return r;
	for (int i = 0; i < m->n_made; i++) {
		pt__nvml_gi_t gi;

		if (n->get_gi_by_id(dev, m->made[i], &gi) != PT__NVML_SUCCESS) {
			snprintf(why, wlen, "GPU instance %u is not there", m->made[i]);
			return 0;
		}
	}
	return 1;
}

static int create_undo(struct pt_plan *p, struct pt_step *s, char *why, size_t wlen)
{
	struct mig *m = pt__step_data(s);
	struct pt__nvml *n;
	pt__nvml_dev_t dev;
	int r;

	r = dev_of(p, m->bdf, &n, &dev, why, wlen);
	while (!r && m->n_made > 0) {
		r = destroy_id(n, dev, m->made[m->n_made - 1], why, wlen);
		if (!r)
			m->n_made--;
	}
	if (m->out)
		m->out->n = m->out_base + m->n_made;
	return r;
}

static const struct pt__step_ops create_ops = {
	.name = "nvmig.create", .kind = "nvml",
	.run = create_run, .verify = create_verify, .undo = create_undo,
};

int pt__nvmig_plan_create(struct pt_plan *p, const char *bdf, int slices, int fb_gb,
			  bool media, const char *profile, struct pt__nvmig_out *out)
{
	struct mig *m = calloc(1, sizeof(*m));
	char val[96];

	if (!m)
		return -ENOMEM;
	snprintf(m->bdf, sizeof(m->bdf), "%s", bdf);
	m->slices = slices;
	m->fb_gb = fb_gb;
	m->media = media;
	m->out = out;
	snprintf(val, sizeof(val), "create_gpu_instances %dg.%dgb%s", slices, fb_gb,
		 media ? "+me" : "");
	return pt__plan_add(p, &create_ops, m, bdf, bdf, val,
			    "create on %s the GPU instances of %d slices that %s needs, as many "
			    "as the GPU can take", bdf, slices, profile) ? 0 : -ENOMEM;
}

static int destroy_run(struct pt_plan *p, struct pt_step *s, char *why, size_t wlen)
{
	struct mig *m = pt__step_data(s);
	struct pt__nvml *n;
	pt__nvml_dev_t dev;
	int r = dev_of(p, m->bdf, &n, &dev, why, wlen);

	return r < 0 ? r : destroy_id(n, dev, m->gi, why, wlen);
}

static int destroy_verify(struct pt_plan *p, struct pt_step *s, char *why, size_t wlen)
{
	struct mig *m = pt__step_data(s);
	struct pt__nvml *n;
	pt__nvml_dev_t dev;
	pt__nvml_gi_t gi;
	int r = dev_of(p, m->bdf, &n, &dev, why, wlen);

	if (r < 0)
		return r;
	if (n->get_gi_by_id(dev, m->gi, &gi) == PT__NVML_SUCCESS) {
		snprintf(why, wlen, "GPU instance %u is still there", m->gi);
		return 0;
	}
	return 1;
}

static int destroy_undo(struct pt_plan *p, struct pt_step *s, char *why, size_t wlen)
{
	struct mig *m = pt__step_data(s);
	struct pt__nvml *n;
	pt__nvml_dev_t dev;
	pt__nvml_gi_t gi;
	int r = dev_of(p, m->bdf, &n, &dev, why, wlen), rc;

	if (r < 0)
		return r;
	if (n->get_gi_by_id(dev, m->gi, &gi) == PT__NVML_SUCCESS)
		return 0;	/* never destroyed */
	rc = n->w_create_gi(dev, m->profile_id, &gi);
	return rc == PT__NVML_SUCCESS ? 0 :
	       fail(n, rc, why, wlen, "making the GPU instance again");
}

static const struct pt__step_ops destroy_ops = {
	.name = "nvmig.destroy", .kind = "nvml",
	.run = destroy_run, .verify = destroy_verify, .undo = destroy_undo,
};

int pt__nvmig_plan_destroy(struct pt_plan *p, const char *bdf, unsigned int gi,
			   unsigned int profile_id)
{
	struct mig *m = calloc(1, sizeof(*m));
	char val[48];

	if (!m)
		return -ENOMEM;
	snprintf(m->bdf, sizeof(m->bdf), "%s", bdf);
	m->gi = gi;
	m->profile_id = profile_id;
	snprintf(val, sizeof(val), "destroy_gpu_instance %u", gi);
	return pt__plan_add(p, &destroy_ops, m, bdf, bdf, val,
			    "destroy GPU instance %u of %s", gi, bdf) ? 0 : -ENOMEM;
}

/* ---- heterogeneous mode ---------------------------------------------------------- */

static int set_hetero(struct pt_plan *p, const char *bdf, int mode, char *why, size_t wlen)
{
	struct pt__nvml_hetero h = { .version = PT__NVML_HETERO_V1, .mode = (unsigned int)mode };
	struct pt__nvml *n;
	pt__nvml_dev_t dev;
	int r = dev_of(p, bdf, &n, &dev, why, wlen), rc;

	if (r < 0)
		return r;
	rc = n->w_set_hetero(dev, &h);
	if (rc == PT__NVML_ERROR_IN_USE) {
		snprintf(why, wlen, "vGPUs run on it: the mode changes only on an idle GPU; stop "
			 "the VMs that use %s first", bdf);
		return -EBUSY;
	}
	return rc == PT__NVML_SUCCESS ? 0 :
	       fail(n, rc, why, wlen, "setting the heterogeneous vGPU mode");
}

/* ---- the two switches (MIG mode, heterogeneous mode): one step shape ----------- */

struct mig_switch {
	int (*set)(struct pt_plan *p, const char *bdf, int mode, char *why, size_t wlen);
	int (*get)(struct pt__nvml *n, pt__nvml_dev_t dev);
	const char *read_what;		/* "... cannot be read" */
	const char *is_what;		/* "... is on" */
};

static const struct mig_switch mig_mode = {
	.set = set_mode, .get = get_mode,
	.read_what = "MIG mode", .is_what = "MIG mode",
};

static const struct mig_switch hetero_mode = {
	.set = set_hetero, .get = pt__nvml_hetero_mode,
	.read_what = "the heterogeneous mode", .is_what = "heterogeneous mode",
};

static int switch_run(struct pt_plan *p, struct pt_step *s, char *why, size_t wlen)
{
	struct mig *m = pt__step_data(s);

	return m->sw->set(p, m->bdf, m->to, why, wlen);
}

static int switch_verify(struct pt_plan *p, struct pt_step *s, char *why, size_t wlen)
{
	struct mig *m = pt__step_data(s);
	struct pt__nvml *n;
	pt__nvml_dev_t dev;
	int r = dev_of(p, m->bdf, &n, &dev, why, wlen);

	if (r < 0)
		return r;
	r = m->sw->get(n, dev);
	if (r < 0) {
		snprintf(why, wlen, "%s cannot be read: %s", m->sw->read_what, strerror(-r));
		return r;
	}
	if (r != m->to) {
		snprintf(why, wlen, "%s is %s", m->sw->is_what, r ? "on" : "off");
		return 0;
	}
	return 1;
}

static int switch_undo(struct pt_plan *p, struct pt_step *s, char *why, size_t wlen)
{
	struct mig *m = pt__step_data(s);

	if (switch_verify(p, s, why, wlen) <= 0)
		return 0;	/* never took effect */
	return m->sw->set(p, m->bdf, m->from, why, wlen);
}

static const struct pt__step_ops mode_ops = {
	.name = "nvmig.mode", .kind = "nvml",
	.run = switch_run, .verify = switch_verify, .undo = switch_undo,
};

static const struct pt__step_ops hetero_ops = {
	.name = "nvmig.hetero", .kind = "nvml",
	.run = switch_run, .verify = switch_verify, .undo = switch_undo,
};

static struct mig *switch_new(const struct mig_switch *sw, const char *bdf, int from, int to)
{
	struct mig *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	snprintf(m->bdf, sizeof(m->bdf), "%s", bdf);
	m->sw = sw;
	m->from = from;
	m->to = to;
	return m;
}

int pt__nvmig_plan_mode(struct pt_plan *p, const char *bdf, int from, int to)
{
	struct mig *m = switch_new(&mig_mode, bdf, from, to);

	if (!m)
		return -ENOMEM;
	return pt__plan_add(p, &mode_ops, m, bdf, bdf, to ? "mig_mode 1" : "mig_mode 0",
			    to ? "put %s in MIG mode" : "take %s out of MIG mode (it was off)",
			    bdf) ? 0 : -ENOMEM;
}

int pt__nvmig_plan_hetero(struct pt_plan *p, const char *bdf, int from, int to)
{
	struct mig *m = switch_new(&hetero_mode, bdf, from, to);

	if (!m)
		return -ENOMEM;
	return pt__plan_add(p, &hetero_ops, m, bdf, bdf,
			    to ? "vgpu_heterogeneous_mode 1" : "vgpu_heterogeneous_mode 0",
			    to ? "turn the heterogeneous (mixed-size) vGPU mode of %s on" :
			    "turn the heterogeneous vGPU mode of %s off (it was off)",
			    bdf) ? 0 : -ENOMEM;
}
