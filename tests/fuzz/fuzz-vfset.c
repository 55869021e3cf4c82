// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The netlink parsers of lib/vfset.c: RTM_NEWLINK (the VF table of a PF)
 * and NLMSG_ERROR (acks with extended-ack text). The kernel's socket
 * layer guarantees nlmsg_len fits what was received; the harness sets it
 * to the input's length, so everything inside is the fuzzer's.
 */
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "private.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nlmsghdr *nlh;
	struct pt_vf_link *l = NULL;
	char err[512], msg[512];
	void *buf;

	if (size < sizeof(*nlh) + 1 || size > 65536)
		return 0;
	/* byte 0 picks the parser; the rest is the message, aligned */
	buf = malloc(NLMSG_ALIGN(size));
	if (!buf)
		return 0;
	memset(buf, 0, NLMSG_ALIGN(size));
	memcpy(buf, data + 1, size - 1);
	nlh = buf;
	nlh->nlmsg_len = (uint32_t)(size - 1);
	if (data[0] & 1) {
		nlh->nlmsg_type = NLMSG_ERROR;
		pt__vf_parse_ack(nlh, msg, sizeof(msg));
	} else {
		nlh->nlmsg_type = RTM_NEWLINK;
		if (pt__vf_parse_link(nlh, &l, err, sizeof(err)) == 0) {
			for (int vf = -1; vf < 4; vf++)
				pt__vf_link_find(l, vf);
			pt__vf_link_free(l);
		}
	}
	free(buf);
	return 0;
}
