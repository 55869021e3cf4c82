/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The plan engine (plan.c), for binders and planners. See the comment at
 * the top of plan.c for how a binder registers a step kind and how a
 * planner adds steps. Model files (pci, usb, iommu, mdev scan, critical,
 * check) never include this header.
 */
#ifndef PT_PLAN_H
#define PT_PLAN_H

#include "private.h"

struct pt_plan;
struct pt_step;

/* run() may return this: nothing was done, and nothing is to be verified. */
#define PT__STEP_SKIPPED	1

/*
 * One step kind, served by one binder (pciutils' struct pci_methods).
 * Every callback gets the step's data (step_data()) and, on failure,
 * writes one line into why.
 *   run     make the change; 0, PT__STEP_SKIPPED or -errno
 *   verify  what the kernel shows after it: 1 holds, 0 not (yet: polled
 *           for up to two seconds), -errno cannot tell. NULL: run's
 *           result is the result.
 *   undo    bring back what was there before the step (and, where the
 *           change is one of several steps, before the whole change:
 *           undo must be idempotent). 0 or -errno. NULL: nothing to undo.
 *   free    release the data (NULL: free()).
 */
struct pt__step_ops {
	const char *name;		/* "vfio.unbind": for the debug log */
	const char *kind;		/* pt_step_get_kind(): "write", ... */
	int (*run)(struct pt_plan *p, struct pt_step *s, char *why,
		   size_t wlen);
	int (*verify)(struct pt_plan *p, struct pt_step *s, char *why,
		      size_t wlen);
	int (*undo)(struct pt_plan *p, struct pt_step *s, char *why,
		    size_t wlen);
	void (*free)(void *data);
};

/*
 * The planner's hooks around execution (the engine knows nothing of what
 * they keep: a record, leases ...).
 *   begin  before the first step; an error there stops before any change
 *   end    after the last step, or after the rollback of a failed one:
 *          rc is the run's result, undone whether every change of the run
 *          was undone. Returns the result of pt_plan_execute().
 *   free   the owner, at pt_plan_free()
 */
struct pt__plan_hooks {
	int (*begin)(struct pt_plan *p, void *owner);
	int (*end)(struct pt_plan *p, void *owner, int rc, bool undone);
	void (*free)(void *owner);
};

/*
 * A new, empty plan. name: what pt_plan_get_group() returns; action:
 * "apply", "release" ...; subject: how errors name it ("group 'gpu'").
 */
int pt__plan_new(struct pt_ctx *ctx, const char *name, const char *action,
		 const char *subject, unsigned int flags, struct pt_plan **out);
void pt__plan_set_hooks(struct pt_plan *p, const struct pt__plan_hooks *h,
			void *owner);
void *pt__plan_get_owner(struct pt_plan *p);
struct pt_ctx *pt__plan_get_ctx(struct pt_plan *p);
unsigned int pt__plan_get_flags(struct pt_plan *p);
/* Keep going to the end hook without undoing a failed run (release). */
void pt__plan_set_no_rollback(struct pt_plan *p, const char *hint);

int pt__plan_error(struct pt_plan *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int pt__plan_note(struct pt_plan *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
bool pt__plan_has_error(struct pt_plan *p);

/*
 * Append a step of kind ops with data (taken over: freed on error too).
 * device: a BDF or NULL; target, value: what pt_step_get_target()/
 * _value() show. Returns the step, or NULL (-ENOMEM).
 */
struct pt_step *pt__plan_add(struct pt_plan *p, const struct pt__step_ops *ops,
			     void *data, const char *device, const char *target,
			     const char *value, const char *descfmt, ...)
	__attribute__((format(printf, 7, 8)));
/* Move step idx to the front (a module load before the first bind). */
void pt__plan_move_to_front(struct pt_plan *p, int idx);
void *pt__step_data(struct pt_step *s);
const struct pt__step_ops *pt__step_get_ops(struct pt_step *s);
/* Replace a step's description. 0 or -ENOMEM. */
int pt__step_set_description(struct pt_step *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Run one change now, outside the plan's list, as a step of kind ops
 * would run: run, then verify (polled). The data stays the caller's.
 * Undo callbacks use it to drive a device back. 0 or -errno (why set).
 */
int pt__plan_run_now(struct pt_plan *p, const struct pt__step_ops *ops,
		     void *data, char *why, size_t wlen);

/*
 * A resource shared by the plan's steps (one netlink socket per plan):
 * get returns NULL until set; close runs at pt_plan_free().
 */
void *pt__plan_get_resource(struct pt_plan *p, const void *key);
int pt__plan_set_resource(struct pt_plan *p, const void *key, void *res,
			  void (*close)(void *));

#endif /* PT_PLAN_H */
