/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Policy: rules, groups, the applied record and the planners that turn
 * groups into plans. Model files never include this header.
 */
#ifndef PT_POLICY_H
#define PT_POLICY_H

#include <net/if.h>

#include "binder.h"

/* ---- group.c: resource groups, membership, transactions ------------------ */

/* Drop loaded groups (state changed on disk, or roots changed). */
void pt__conf_free(struct pt_ctx *ctx);

/* ---- rule.c: resource rule expressions ------------------------------------ */

/* A device as a rule sees it. */
struct pt_dev_view {
	enum pt_group_type type;
	struct pt_pci_dev *pci;		/* pci, vgpu, sriov-nic groups */
	struct pt_usb_dev *usb;		/* usb groups */
	int vf_index;			/* VF being considered, -1: the device itself */
};

struct pt_rule_expr;

/*
 * Parse "FIELD OP VALUE [and FIELD OP VALUE]..." for a group type.
 * Values may be "double quoted" (\" and \\ escapes). Errors: -EINVAL and
 * err = "column N: <what>; <fix>" (e.g. unknown field with did-you-mean
 * and the valid list, unknown operator with the list, bad hex id, bad
 * number, regex error from regerror()). Regexes are compiled once here.
 */
int pt__rule_parse(const char *text, enum pt_group_type type,
		   struct pt_rule_expr **out, char *err, size_t errlen);
void pt__rule_free(struct pt_rule_expr *e);
/*
 * 1 match, 0 no match (why, when non-NULL and len > 0, names the first
 * failing clause: "clause 2 'device_id eq 20b0': device_id is 2204"),
 * or -errno.
 */
int pt__rule_match(struct pt_rule_expr *e, const struct pt_dev_view *v,
		   char *why, size_t whylen);
/*
 * The same evaluation with each field's values given as text:
 * value(field, idx, data) returns value idx (from 0) or NULL after the
 * last; none at all is an absent value. Texts are parsed by the field's
 * kind ("046d", "3", "1.5", "03:00.0"); one that does not parse: -EINVAL.
 * For sources without a device object (unit tests of USB fields).
 */
int pt__rule_match_values(struct pt_rule_expr *e,
			  const char *(*value)(const char *field, int idx,
					       void *data),
			  void *data, int vf_index, char *why, size_t whylen);
/*
 * Does the expression constrain VF indices (sriov-nic vf_index, vgpu
 * virtual_function)? When it does, pt__rule_match with v->vf_index set
 * decides each VF; with vf_index -1 those clauses are ignored.
 */
bool pt__rule_has_vf_clause(struct pt_rule_expr *e);
/* First volatile field used (USB bus, devnum), or NULL. */
const char *pt__rule_volatile_field(struct pt_rule_expr *e);

/* ---- record.c: applied.d/<group>.ini, what an apply changed -------------- */

/*
 * The state each function, PF and VF had before an apply, so release and
 * rollback restore exactly that. keep: in the record written at the end;
 * loaded: read from the file (a rolled-back apply writes only these).
 */
struct pt_rec_dev {
	char bdf[PT_BDF_LEN];
	char role[8];			/* member, sibling, vf */
	char *driver;			/* before; "" none */
	char *override;			/* before; "" none */
	bool keep, loaded;
};

struct pt_rec_pf {
	char bdf[PT_BDF_LEN];
	int numvfs;
	int autoprobe;
	bool keep, loaded;
};

struct pt_rec_vf {
	char pf[PT_BDF_LEN];
	int vf;
	char ifname[IF_NAMESIZE];
	struct pt_vf_settings before;
	bool keep, loaded;
};

struct pt_record {
	char type[16];
	struct pt_rec_dev *devs;
	size_t n_devs;
	struct pt_rec_pf *pfs;
	size_t n_pfs;
	struct pt_rec_vf *vfs;
	size_t n_vfs;
};

/* Which entries pt__record_save() writes. */
enum pt_rec_sel { PT_REC_KEPT, PT_REC_ALL, PT_REC_LOADED };

void pt__record_free(struct pt_record *rec);
/*
 * Parse a record file; -EINVAL with err = "<conf>/<relpath>:<line>: not
 * a valid record ...".
 */
int pt__record_load(struct pt_ctx *ctx, struct pt_ini_file *f,
		    struct pt_record *rec, char *err, size_t errlen);
/* Write the selected entries as relpath in st and commit; none: remove. */
int pt__record_save(struct pt_store *st, const char *relpath,
		    struct pt_record *rec, enum pt_rec_sel sel);
/* Entries stay in the next record only if planned again. */
void pt__record_unkeep(struct pt_record *rec);
struct pt_rec_dev *pt__record_dev_find(struct pt_record *rec, const char *bdf);
struct pt_rec_pf *pt__record_pf_find(struct pt_record *rec, const char *bdf);
struct pt_rec_vf *pt__record_vf_find(struct pt_record *rec, const char *pf,
				     int vf);
struct pt_rec_dev *pt__record_dev_add(struct pt_record *rec, const char *bdf,
				      const char *role, const char *driver,
				      const char *override);
struct pt_rec_pf *pt__record_pf_add(struct pt_record *rec, const char *bdf,
				    int numvfs, int autoprobe);
struct pt_rec_vf *pt__record_vf_add(struct pt_record *rec, const char *pf,
				    int vf, const char *ifname,
				    const struct pt_vf_settings *before);

#endif /* PT_POLICY_H */
