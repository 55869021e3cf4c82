// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ptvf IFNAME VF KEY=VALUE...: set VF settings the way pt group apply's
 * netlink steps do (pt__vf_apply: one acked request per part, then the PF
 * read back) with the keys and values of an sriov-nic group. Prints what
 * the driver did not keep, one line each. For tests/vm: netdevsim's VFs
 * have no PCI function, so no group can hold them; this reaches the same
 * library code from the guest's shell.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

int main(int argc, char **argv)
{
	struct pt_vf_settings want;
	struct pt_ctx *ctx;
	char err[512], **drift = NULL;
	int r, vf;

	if (argc < 4) {
		fprintf(stderr, "usage: ptvf IFNAME VF KEY=VALUE...\n");
		return 2;
	}
	vf = atoi(argv[2]);
	pt__vf_settings_init(&want);
	for (int i = 3; i < argc; i++) {
		char *eq = strchr(argv[i], '=');

		if (!eq) {
			fprintf(stderr, "ptvf: %s: not KEY=VALUE\n", argv[i]);
			return 2;
		}
		*eq = '\0';
		if (pt__vf_settings_set(&want, argv[i], eq + 1, err, sizeof(err)) < 0) {
			fprintf(stderr, "ptvf: %s: %s\n", argv[i], err);
			return 2;
		}
	}
	if (pt__vf_settings_check(&want, err, sizeof(err)) < 0) {
		fprintf(stderr, "ptvf: %s\n", err);
		return 2;
	}
	r = pt_new(&ctx);
	if (r < 0) {
		fprintf(stderr, "ptvf: pt_new: %s\n", strerror(-r));
		return 1;
	}
	r = pt__vf_apply(ctx, argv[1], vf, &want, pt__vf_settings_parts(&want),
			 &drift, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "ptvf: %s\n", err);
		pt_unref(ctx);
		return 1;
	}
	for (char **l = drift; l && *l; l++)
		printf("%s\n", *l);
	pt__vf_drift_free(drift);
	pt_unref(ctx);
	return 0;
}
