/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared pieces of the pt commands. */
#ifndef PT_CMD_H
#define PT_CMD_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

#include "libpassthru.h"

/*
 * Exit status of every pt command; documented under EXIT STATUS in pt(8)
 * and each pt-<cmd>(8). Never derived from an errno by masking.
 */
enum pt_exit {
	PT_EXIT_OK = 0,		/* success */
	PT_EXIT_FAILURE = 1,	/* the operation failed (I/O, kernel refused) */
	PT_EXIT_USAGE = 2,	/* bad command line */
	PT_EXIT_NOMATCH = 3,	/* nothing matched the filters */
	PT_EXIT_UNSUPPORTED = 4,/* passthrough is not possible on this host */
	PT_EXIT_CONFIG = 5,	/* state files under the conf dir are invalid */
	PT_EXIT_REFUSED = 6,	/* refused for safety: host-critical, not viable, busy */
	PT_EXIT_PERM = 7,	/* permission denied */
	PT_EXIT_NOTFOUND = 8,	/* a named object does not exist */
	PT_EXIT_CHECK = 9,	/* a check found problems (conflicts, host-critical members) */
};

/* What a library call was asked to do, for util_exit_from_errno(). */
enum util_stage {
	UTIL_LOAD,	/* read the state files */
	UTIL_EDIT,	/* change them (a transaction) */
	UTIL_PLAN,	/* plan host changes */
	UTIL_RUN,	/* make them */
	UTIL_STAGES
};

/* Map a negative errno from the library to an exit status: one table. */
int util_exit_from_errno(int neg_errno, enum util_stage stage);

/*
 * Options every command takes. Commands that write add
 * { "dry-run", no_argument, NULL, 'n' } and "n" themselves.
 */
struct pt_opts {
	bool json;
	bool dry_run;
	bool list_groups;	/* --list-groups, for the completions */
	bool quiet;
	int verbose;
};

#define PT_COMMON_SHORTOPTS "jqvO:h"
#define PT_OPT_LIST_OPTS 0x100
#define PT_OPT_LIST_GROUPS 0x101	/* completion: group names, one a line */
#define PT_OPT_LIST_FIELDS 0x102	/* completion: rule fields of a group or type */
#define PT_COMMON_LONGOPTS						\
	{ "json", no_argument, NULL, 'j' },				\
	{ "quiet", no_argument, NULL, 'q' },				\
	{ "verbose", no_argument, NULL, 'v' },				\
	{ "option", required_argument, NULL, 'O' },			\
	{ "help", no_argument, NULL, 'h' },				\
	{ "list-opts", no_argument, NULL, PT_OPT_LIST_OPTS }

/*
 * Handle one of the common options. Returns 1 when handled, 0 when c is
 * not a common option, or PT_OPT_EXIT(status) when the command must leave
 * now with that status (--help, --list-opts, a bad -O).
 */
#define PT_OPT_EXIT(status)	(-(status) - 1)
#define PT_OPT_EXIT_STATUS(r)	(-(r) - 1)
int util_common_opt(int c, const char *arg, struct pt_opts *o,
		  struct pt_ctx *ctx, const struct option *longopts,
		  const char *cmd, void (*usage)(FILE *));

/* Apply "-O key=value"; 0 or -EINVAL with a message printed. */
int util_apply_O(struct pt_ctx *ctx, const char *kv);

/* Print "pt-<cmd>: " + message to stderr. */
void util_err(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Print a JSON document to stdout, pretty and with a final newline. */
void util_json_print(struct json_object *doc);

/* ---- table.c: aligned columns and escaped output -------------------------- */
/*
 * Replace stdout and stderr by streams that show control characters
 * escaped ("\x1b"); called first in main(). util_escape_json(true): stdout
 * carries a JSON document, written exact (json-c escapes; \u for what it
 * leaves raw).
 */
void util_escape_stdio(void);
void util_escape_json(bool on);
/* s with control characters and non-UTF-8 bytes as \xHH; its display width. */
char *util_escape(const char *s, size_t *width);
struct util_table;
struct util_table *util_table_new(int ncols, const char *const *headers);
void util_table_add(struct util_table *t, const char *const *cells);
/* Print with two spaces between columns; the last column is not padded. */
void util_table_print(struct util_table *t, FILE *f);
int util_table_rows(struct util_table *t);
void util_table_free(struct util_table *t);
/* A list command's output: the JSON array arr, else t's rows (none: nothing); frees both. */
void util_list_print(struct json_object *arr, struct util_table *t);

/* ---- json.c: one builder per object --------------------------------------- */
struct json_object *json_mdev_parent(struct pt_mdev_parent *p);
struct json_object *json_vgpu_profile(struct pt_vgpu_profile *p);
void json_group_check_vgpu(struct json_object *o, struct json_object *problems);
struct json_object *json_usb_dev(struct pt_usb_dev *u);
struct json_object *json_check(struct pt_check *c);
/* A step of a plan, numbered from 1 (apply and release). */
struct json_object *json_step(struct pt_step *s, int index);
/*
 * One group's run of apply or release: the plan's steps and notes (p may
 * be NULL when none could be made), the result and the error, or NULL.
 */
struct json_object *json_plan(struct pt_plan *p, const char *group, const char *action,
			      bool dry_run, const char *result, const char *error);
/* pt attach: a request, a leased device, a lease with its outputs, a VM. */
struct json_object *json_request(struct pt_request *rq);
struct json_object *json_lease_dev(struct pt_lease_dev *d);
struct json_object *json_lease(struct pt_lease *l, struct json_object *qemu,
			       const char *libvirt);
struct json_object *json_vm(struct pt_vm *vm, struct pt_lease *l, struct json_object *lease);
/* pt tenant: a tenant with its grants, a grant, a change (grant, revoke, create, delete). */
struct json_object *json_tenant(struct pt_tenant *t);
struct json_object *json_grant(struct pt_grant *g);
struct json_object *json_tenant_change(const char *tenant, const char *group, const char *action,
				       bool dry_run, struct json_object *units,
				       struct json_object *steps);
/* "%04x" of an id */
struct json_object *json_hex(unsigned int v, int width);

/*
 * A document of arrays of objects, streamed to stdout: each object is
 * printed and freed as it comes (json_stream_item), so memory stays flat
 * with thousands of functions. The bytes are exactly json-c's pretty
 * printing of the whole document (util_json_print).
 */
struct json_stream {
	int in_array;		/* objects printed in the open array */
	bool first_key;
	int total;
};
void json_stream_begin(struct json_stream *js);
void json_stream_array(struct json_stream *js, const char *key);
void json_stream_item(struct json_stream *js, struct json_object *o);
/* The next item, written key by key: a PCI function, an IOMMU group. */
void json_pci_dev(struct json_stream *js, struct pt_pci_dev *d);
void json_iommu_group(struct json_stream *js, struct pt_iommu_group *g);
void json_stream_array_end(struct json_stream *js);
void json_stream_end(struct json_stream *js);
/* What applied.d says of a group, and what of it no longer holds. */
struct util_applied {
	bool applied;
	char **devices;		/* recorded BDFs */
	char **drift;		/* "BDF: recorded on vfio-pci, now on i40e" */
	int n_drift;
};
/* 0 (applied or not), or a negative errno: the record could not be read. */
int util_applied_get(struct pt_ctx *ctx, struct pt_group *g, struct util_applied *ap);
void util_applied_free(struct util_applied *ap);
bool util_applied_member(struct util_applied *ap, struct pt_member *m);
/* The drift line of a member's function, or NULL. */
const char *util_applied_drift(struct util_applied *ap, struct pt_member *m);
/* A group member with its device's state (show --json). */
struct json_object *json_member(struct pt_ctx *ctx, struct pt_member *m,
				struct util_applied *ap);
/* The conflicts involving g (NULL: all). */
struct json_object *json_conflicts(struct pt_ctx *ctx, struct pt_group *g);
/* A group; full: members as objects, else as names (list --json). */
struct json_object *json_group(struct pt_ctx *ctx, struct pt_group *g, bool full);
/* {"total", "leased", "free"[, "vgpu_creatable"]}: pt_group_get_capacity() */
struct json_object *json_group_capacity(struct pt_group *g, int total, int leased, int free_now);
struct json_object *json_group_rule(struct pt_rule *r);
struct json_object *json_group_check(struct pt_ctx *ctx, struct pt_group *g,
				     int n_conflicts, int n_critical);
/* "WARNING: ..." for a conflict, on stderr. */
void util_warn_conflict(const char *cmd, struct pt_conflict *c);
/* Members of g on host-critical devices. */
int util_group_count_critical(struct pt_group *g);

/* Load the state and find a group, reporting either failure; NULL with *status set. */
struct pt_group *util_find_group(const char *cmd, struct pt_ctx *ctx, const char *name,
			       int *status);

/* Print the group names, one a line (for completions); exit status. */
int util_list_groups(struct pt_ctx *ctx);

/* Report an invalid state dir ("passthru: groups.d/x.ini:12: ..."); returns the exit status. */
int util_conf_fail(struct pt_ctx *ctx, int r);
/* Report a failed transaction step; returns the exit status. */
int util_txn_fail(const char *cmd, struct pt_txn *txn, int r);
/* Begin a transaction, reporting failures; NULL with *status set on error. */
struct pt_txn *util_txn_start(const char *cmd, struct pt_ctx *ctx,
			    const struct pt_opts *o, int *status);
/* Commit, or print the diff for --dry-run; returns the exit status. */
int util_txn_finish(const char *cmd, struct pt_txn *txn, const struct pt_opts *o);

/*
 * The tail every store command shares, for any kind of transaction
 * (pt_vm_txn, pt_tenant_txn ...): the kind's accessors, and how its
 * errno maps to an exit status (NULL: util_exit_from_errno(r, UTIL_EDIT)).
 */
struct util_store_ops {
	const char *(*error)(void *txn);
	char *(*diff)(void *txn);
	int (*commit)(void *txn);
	int (*exit_of)(struct pt_ctx *ctx, int r);
};
/*
 * A begin that failed with r: the state's own error when load (the kind's
 * pt_*_load) names one, else the conf dir and why. Returns the status.
 */
int util_store_begin_fail(const char *cmd, struct pt_ctx *ctx, int r,
			  int (*load)(struct pt_ctx *ctx, const char **error));
/*
 * r: the edit's result. Report a failed edit; with --dry-run print the
 * diff (not with --json); else commit. Returns the exit status.
 */
int util_store_finish(const char *cmd, struct pt_ctx *ctx, const struct pt_opts *o,
		      const struct util_store_ops *ops, void *txn, int r);

/*
 * "pt <cmd> VERB ARGS..." with options anywhere after the command (before
 * "--"). Common options are handled; the command's own go to opt_fn (0
 * handled, -1 unknown). Returns -1 to go on with *verb (NULL when none was
 * given) and the positional arguments in *pos (free it), else the exit
 * status to leave with.
 */
int util_parse_verb_args(int argc, char **argv, const char *shortopts,
		       const struct option *longopts, struct pt_opts *o,
		       struct pt_ctx *ctx, const char *cmd, void (*usage_fn)(FILE *),
		       int (*opt_fn)(int c, const char *arg, void *data), void *data,
		       const char **verb, char ***pos, int *n);

/*
 * A verb given too few (lo) or too many (hi) positional arguments: what
 * it needs, and where to look, on stderr. 0, or the exit status.
 */
int util_need_args(const char *cmd, int argc, int lo, int hi, const char *what);
/* "--count N" of a command whose count is 1 to 64: 0, or -1 with why on stderr. */
int util_parse_count(const char *cmd, const char *arg, int *count);

/* ---- commands ------------------------------------------------------------- */
int cmd_scan(int argc, char **argv, struct pt_ctx *ctx);
int cmd_rule(int argc, char **argv, struct pt_ctx *ctx);
int cmd_group(int argc, char **argv, struct pt_ctx *ctx);
int cmd_attach(int argc, char **argv, struct pt_ctx *ctx);
int cmd_tenant(int argc, char **argv, struct pt_ctx *ctx);

#endif
