// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ptvf IFNAME VF KEY=VALUE...: set VF settings the way pt group apply's
 * netlink steps do (one step of a plan: one acked request per part, then
 * the PF read back) with the keys and values of an sriov-nic group. Prints what
 * the driver did not keep, one line each. For tests/vm: netdevsim's VFs
 * have no PCI function, so no group can hold them; this reaches the same
 * library code from the guest's shell.
 *
 * ptvf IFNAME VF mac=MAC: the VF's MAC the way pt attach start sets it
 * (and stop sets the old one again): the MAC before, read through the
 * plan's socket and printed ("before MAC"), then the MAC step (set, read
 * back; its undo holds the MAC before).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

static int mac_main(const char *ifname, int vf, const char *text)
{
	unsigned char mac[6], before[6];
	char err[512] = "", btext[18];
	struct pt_plan *p = NULL;
	struct pt_ctx *ctx;
	int r;

	if (pt__vf_mac_parse(text, mac) < 0) {
		fprintf(stderr, "ptvf: mac=%s: not a MAC\n", text);
		return 2;
	}
	r = pt_new(&ctx);
	if (r < 0) {
		fprintf(stderr, "ptvf: pt_new: %s\n", strerror(-r));
		return 1;
	}
	r = pt__plan_new(ctx, ifname, "vf-mac", ifname, 0, &p);
	if (r >= 0)
		r = pt__vf_plan_read_mac(p, ifname, vf, before, err, sizeof(err));
	if (r >= 0) {
		pt__vf_mac_format(before, btext);
		printf("before %s\n", btext);
		r = pt__vf_plan_mac(p, "", ifname, vf, mac, before, "ptvf mac");
		if (r < 0)
			snprintf(err, sizeof(err), "%s vf %d: %s", ifname, vf, strerror(-r));
	}
	if (r >= 0) {
		r = pt_plan_execute(p);
		if (r < 0)
			snprintf(err, sizeof(err), "%s", pt_plan_get_error(p));
	}
	if (r < 0)
		fprintf(stderr, "ptvf: %s\n", err);
	pt_plan_free(p);
	pt_unref(ctx);
	return r < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct pt_vf_settings want;
	struct pt_ctx *ctx;
	struct pt_vf_link *link = NULL;
	struct pt_plan *p = NULL;
	struct pt_vf_nl *nl = NULL;
	char err[512] = "";
	int r, vf, ret = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: ptvf IFNAME VF KEY=VALUE...\n");
		return 2;
	}
	vf = atoi(argv[2]);
	if (!strncmp(argv[3], "mac=", 4))
		return mac_main(argv[1], vf, argv[3] + 4);
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
	/* one netlink step of a plan, as apply runs it */
	r = pt__plan_new(ctx, argv[1], "vf-settings", argv[1], 0, &p);
	if (r >= 0)
		r = pt__vf_plan_socket(p, &nl, err, sizeof(err));
	if (r >= 0)
		r = pt__vf_nl_get_link(nl, argv[1], &link, err, sizeof(err));
	if (r >= 0) {
		const struct pt_vf_state *have = pt__vf_link_find(link, vf);

		r = pt__vf_plan_settings(p, "", argv[1], vf, &want,
					 pt__vf_settings_parts(&want),
					 have ? &have->s : NULL, "ptvf");
		if (r < 0)
			snprintf(err, sizeof(err), "%s vf %d: %s", argv[1], vf, strerror(-r));
	}
	if (r >= 0) {
		r = pt_plan_execute(p);
		if (r < 0)
			snprintf(err, sizeof(err), "%s", pt_plan_get_error(p));
	}
	if (r < 0) {
		fprintf(stderr, "ptvf: %s\n", err);
		ret = 1;
	}
	/* what the driver did not keep, as apply notes it */
	for (int i = 0; p && i < pt_plan_get_num_notes(p); i++)
		if (strstr(pt_plan_get_note(p, i), "read back after setting"))
			printf("%s\n", pt_plan_get_note(p, i));
	pt__vf_link_free(link);
	pt_plan_free(p);
	pt_unref(ctx);
	return ret;
}
