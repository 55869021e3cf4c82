// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The plan engine: every host change passthru makes is a step of a plan,
 * run in order, each checked against what the kernel shows after it, and
 * undone in reverse order when a later step fails.
 *
 * The engine knows no group, no record and no device type. It knows step
 * kinds: a binder (vfio.c, sriov.c, vfset.c, mdev.c, nvvgpu.c) serves
 * each of its kinds with an ops table, the way pciutils' struct
 * pci_methods serves an access method:
 *
 *	static const struct pt__step_ops unbind_ops = {
 *		.name = "vfio.unbind", .kind = "write",
 *		.run = unbind_run,	  make the change: 0, PT__STEP_SKIPPED, -errno
 *		.verify = driver_verify,  1 holds, 0 not yet (polled 2 s), -errno
 *		.undo = switch_undo,	  back to the state before; idempotent
 *		.free = NULL,		  the data's destructor (NULL: free())
 *	};
 *
 * and offers planners a typed function that adds its steps, e.g.
 * pt__vfio_plan_switch(p, bdf, from, to): the binder allocates its own
 * data (a struct the engine never looks into) and calls
 *
 *	pt__plan_add(p, &unbind_ops, data, bdf, target, value,
 *		     "unbind %s from %s", bdf, drv);
 *
 * target and value are what `pt group apply -n` shows ("bus/pci/drivers/
 * e1000/unbind", "0000:06:00.0"). Binders never touch the store.
 *
 * A planner (apply.c for groups; attach will be another) creates a plan
 * with pt__plan_new(), refuses with pt__plan_error() or explains with
 * pt__plan_note(), adds steps through the binders' functions and sets
 * hooks (pt__plan_set_hooks) to keep its own state: begin runs before
 * the first change (apply.c writes the applied.d record there, so a
 * crash at any step leaves a record that release can restore from), end
 * after the last step or the rollback. Resources one plan's steps share
 * (a netlink socket) hang on the plan (pt__plan_set_resource) and close
 * with it.
 *
 * pt_plan_execute() runs the steps; when one fails (run returns -errno,
 * or verify does not hold within two seconds) it undoes that step and
 * every earlier one, newest first, unless the planner asked for no
 * rollback (a release stops where it failed and stays recorded).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plan.h"

#define VERIFY_TIMEOUT_MS	2000
#define VERIFY_STEP_MS		5

enum step_status { S_PLANNED, S_DONE, S_SKIPPED, S_FAILED, S_UNDONE };

static const char *const status_names[] = {
	"planned", "done", "skipped", "failed", "undone",
};

struct pt_step {
	const struct pt__step_ops *ops;
	void *data;
	char *device;
	char *target;
	char *value;
	char *desc;
	enum step_status status;
};

struct resource {
	const void *key;
	void *res;
	void (*close)(void *);
};

struct pt_plan {
	struct pt_ctx *ctx;
	char *name;
	char *action;
	char *subject;
	unsigned int flags;
	char *error;
	struct pt_step *steps;
	int n_steps;
	char **notes;
	int n_notes;
	struct resource *res;
	size_t n_res;
	const struct pt__plan_hooks *hooks;
	void *owner;
	bool no_rollback;
	char *fail_hint;
	bool executed;
};

/* ---- building a plan ------------------------------------------------------ */

int pt__plan_new(struct pt_ctx *ctx, const char *name, const char *action,
		 const char *subject, unsigned int flags, struct pt_plan **out)
{
	struct pt_plan *p = calloc(1, sizeof(*p));

	*out = p;
	if (!p)
		return -ENOMEM;
	p->ctx = ctx;
	p->flags = flags;
	p->name = strdup(name ? name : "");
	p->action = strdup(action);
	p->subject = strdup(subject);
	if (!p->name || !p->action || !p->subject)
		return -ENOMEM;
	return 0;
}

void pt__plan_set_hooks(struct pt_plan *p, const struct pt__plan_hooks *h,
			void *owner)
{
	p->hooks = h;
	p->owner = owner;
}

void *pt__plan_get_owner(struct pt_plan *p)
{
	return p->owner;
}

struct pt_ctx *pt__plan_get_ctx(struct pt_plan *p)
{
	return p->ctx;
}

unsigned int pt__plan_get_flags(struct pt_plan *p)
{
	return p->flags;
}

const char *pt__plan_get_subject(struct pt_plan *p)
{
	return p->subject;
}

void pt__plan_set_no_rollback(struct pt_plan *p, const char *hint)
{
	p->no_rollback = true;
	free(p->fail_hint);
	p->fail_hint = pt__strdup(hint);
}

int pt__plan_error(struct pt_plan *p, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	free(p->error);
	p->error = s;
	return s ? 0 : -ENOMEM;
}

bool pt__plan_has_error(struct pt_plan *p)
{
	return p->error != NULL;
}

int pt__plan_note(struct pt_plan *p, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = pt__strv_vadd(&p->notes, &p->n_notes, fmt, ap);
	va_end(ap);
	if (r < 0)
		return r;
	dbg(p->ctx, "%s: note: %s\n", p->name, p->notes[p->n_notes - 1]);
	return 0;
}

static void data_free(const struct pt__step_ops *ops, void *data)
{
	if (ops->free)
		ops->free(data);
	else
		free(data);
}

struct pt_step *pt__plan_add(struct pt_plan *p, const struct pt__step_ops *ops,
			     void *data, const char *device, const char *target,
			     const char *value, const char *descfmt, ...)
{
	struct pt_step *n, *s;
	va_list ap;
	char *desc;
	int r;

	va_start(ap, descfmt);
	r = vasprintf(&desc, descfmt, ap);
	va_end(ap);
	n = r < 0 ? NULL : realloc(p->steps, (p->n_steps + 1) * sizeof(*n));
	if (!n) {
		if (r >= 0)
			free(desc);
		data_free(ops, data);
		return NULL;
	}
	p->steps = n;
	s = &p->steps[p->n_steps];
	memset(s, 0, sizeof(*s));
	s->ops = ops;
	s->data = data;
	s->desc = desc;
	s->device = pt__strdup(device);
	s->target = strdup(target ? target : "");
	s->value = strdup(value ? value : "");
	p->n_steps++;
	if ((device && !s->device) || !s->target || !s->value)
		return NULL;
	return s;
}

void pt__plan_move_to_front(struct pt_plan *p, int idx)
{
	struct pt_step tmp;

	if (idx <= 0 || idx >= p->n_steps)
		return;
	tmp = p->steps[idx];
	memmove(&p->steps[1], &p->steps[0], idx * sizeof(*p->steps));
	p->steps[0] = tmp;
}

void *pt__step_data(struct pt_step *s)
{
	return s->data;
}

const struct pt__step_ops *pt__step_get_ops(struct pt_step *s)
{
	return s->ops;
}

int pt__step_set_description(struct pt_step *s, const char *fmt, ...)
{
	va_list ap;
	char *d;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&d, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	free(s->desc);
	s->desc = d;
	return 0;
}

void *pt__plan_get_resource(struct pt_plan *p, const void *key)
{
	for (size_t i = 0; i < p->n_res; i++)
		if (p->res[i].key == key)
			return p->res[i].res;
	return NULL;
}

int pt__plan_set_resource(struct pt_plan *p, const void *key, void *res,
			  void (*close)(void *))
{
	struct resource *n = realloc(p->res, (p->n_res + 1) * sizeof(*n));

	if (!n) {
		close(res);
		return -ENOMEM;
	}
	p->res = n;
	p->res[p->n_res++] = (struct resource){ key, res, close };
	return 0;
}

/* ---- running steps ---------------------------------------------------------- */

/* run, then verify (polled): 0, PT__STEP_SKIPPED or -errno with why. */
static int run_verify(struct pt_plan *p, struct pt_step *s, char *why,
		      size_t wlen)
{
	struct timespec ts = { 0, VERIFY_STEP_MS * 1000000L };
	int waited = 0, r;

	why[0] = '\0';
	r = s->ops->run(p, s, why, wlen);
	if (r < 0 || r == PT__STEP_SKIPPED || !s->ops->verify)
		return r < 0 ? r : r == PT__STEP_SKIPPED ? r : 0;
	for (;;) {
		why[0] = '\0';
		r = s->ops->verify(p, s, why, wlen);
		if (r != 0 || waited >= VERIFY_TIMEOUT_MS)
			break;
		nanosleep(&ts, NULL);
		waited += VERIFY_STEP_MS;
	}
	if (r == 0)
		return -ETIMEDOUT;
	if (r < 0)
		snprintf(why, wlen, "cannot read the result: %s", strerror(-r));
	return r < 0 ? r : 0;
}

int pt__plan_run_now(struct pt_plan *p, const struct pt__step_ops *ops,
		     void *data, char *why, size_t wlen)
{
	struct pt_step s = { .ops = ops, .data = data };
	int r;

	dbg(p->ctx, "%s: %s now\n", p->name, ops->name);
	r = run_verify(p, &s, why, wlen);
	return r < 0 ? r : 0;
}

/* Undo steps last..0 that ran; 0, or the number that failed. */
static int rollback(struct pt_plan *p, int last)
{
	int failed = 0;

	for (int i = last; i >= 0; i--) {
		struct pt_step *s = &p->steps[i];
		char why[512];
		int r;

		if (s->status != S_DONE && s->status != S_FAILED)
			continue;
		if (!s->ops->undo)
			continue;
		why[0] = '\0';
		dbg(p->ctx, "%s: undo step %d: %s\n", p->name, i + 1, s->desc);
		r = s->ops->undo(p, s, why, sizeof(why));
		if (r < 0) {
			failed++;
			pt__plan_note(p, "rollback: %s: %s", s->desc,
				      why[0] ? why : strerror(-r));
		}
	}
	for (int i = 0; i <= last; i++)
		if (p->steps[i].status == S_DONE && !failed)
			p->steps[i].status = S_UNDONE;
	if (failed)
		pt__plan_note(p, "rollback: %d undo steps failed", failed);
	return failed;
}

PT_EXPORT int pt_plan_execute(struct pt_plan *p)
{
	bool undone = false;
	int r = 0;

	if (!p || p->executed || (p->flags & PT_PLAN_DRY_RUN) || p->error)
		return -EINVAL;
	p->executed = true;
	if (p->hooks && p->hooks->begin) {
		r = p->hooks->begin(p, p->owner);
		if (r < 0)
			return r;
	}
	for (int i = 0; i < p->n_steps; i++) {
		struct pt_step *s = &p->steps[i];
		char why[512];
		int failed_undo = 0;

		dbg(p->ctx, "%s: step %d: %s\n", p->name, i + 1, s->desc);
		r = run_verify(p, s, why, sizeof(why));
		if (r >= 0) {
			s->status = r == PT__STEP_SKIPPED ? S_SKIPPED : S_DONE;
			r = 0;
			continue;
		}
		s->status = S_FAILED;
		if (!p->no_rollback) {
			failed_undo = rollback(p, i);
			undone = !failed_undo;
		}
		pt__plan_error(p, "%s: step %d (%s) failed: %s: %s%s%s",
			       p->subject, i + 1, s->desc, s->target, why,
			       r == -ETIMEDOUT && pt_is_live(p->ctx) ?
			       "; see the kernel log (dmesg)" : "",
			       p->no_rollback ? (p->fail_hint ? p->fail_hint : "") :
			       undone ? "; every change of this run was undone" :
			       "; some changes could not be undone (see the notes); check with 'pt scan'");
		break;
	}
	if (p->hooks && p->hooks->end)
		r = p->hooks->end(p, p->owner, r, undone);
	return r;
}

PT_EXPORT void pt_plan_free(struct pt_plan *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->n_steps; i++) {
		struct pt_step *s = &p->steps[i];

		data_free(s->ops, s->data);
		free(s->device);
		free(s->target);
		free(s->value);
		free(s->desc);
	}
	free(p->steps);
	for (int i = 0; i < p->n_notes; i++)
		free(p->notes[i]);
	free(p->notes);
	for (size_t i = p->n_res; i-- > 0;)
		p->res[i].close(p->res[i].res);
	free(p->res);
	if (p->hooks && p->hooks->free)
		p->hooks->free(p->owner);
	free(p->error);
	free(p->name);
	free(p->action);
	free(p->subject);
	free(p->fail_hint);
	free(p);
}

/* ---- reading a plan ------------------------------------------------------------ */

PT_EXPORT const char *pt_plan_get_group(struct pt_plan *p)
{
	return p->name;
}

PT_EXPORT const char *pt_plan_get_action(struct pt_plan *p)
{
	return p->action;
}

PT_EXPORT const char *pt_plan_get_error(struct pt_plan *p)
{
	return p->error;
}

PT_EXPORT int pt_plan_get_num_steps(struct pt_plan *p)
{
	return p->n_steps;
}

PT_EXPORT struct pt_step *pt_plan_get_step(struct pt_plan *p, int idx)
{
	return idx >= 0 && idx < p->n_steps ? &p->steps[idx] : NULL;
}

PT_EXPORT int pt_plan_get_num_notes(struct pt_plan *p)
{
	return p->n_notes;
}

PT_EXPORT const char *pt_plan_get_note(struct pt_plan *p, int idx)
{
	return idx >= 0 && idx < p->n_notes ? p->notes[idx] : NULL;
}

PT_EXPORT const char *pt_step_get_kind(struct pt_step *s)
{
	return s->ops->kind;
}

PT_EXPORT const char *pt_step_get_device(struct pt_step *s)
{
	return s->device;
}

PT_EXPORT const char *pt_step_get_target(struct pt_step *s)
{
	return s->target;
}

PT_EXPORT const char *pt_step_get_value(struct pt_step *s)
{
	return s->value;
}

PT_EXPORT const char *pt_step_get_description(struct pt_step *s)
{
	return s->desc;
}

PT_EXPORT const char *pt_step_get_status(struct pt_step *s)
{
	return status_names[s->status];
}
