// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SR-IOV VF settings over rtnetlink: vlan/qos/proto, tx rates, spoof
 * check, link state, RSS query and trust of a PF's VFs.
 *
 * Three layers, each usable alone:
 *  - settings: a plain struct filled from a group's [group] keys;
 *  - messages: the RTM_SETLINK request for one VF and the RTM_GETLINK
 *    request for the PF are built, and the RTM_NEWLINK reply and the
 *    kernel's ack are parsed, without a socket (unit-tested);
 *  - the socket: a NETLINK_ROUTE socket that sends those and reads the
 *    answer, live contexts only.
 *
 * The requests are encoded as iproute2's `ip link set DEV vf N ...` encodes
 * them (ip/iplink.c, iplink_parse_vf): vlan with proto 802.1Q as the legacy
 * IFLA_VF_VLAN, 802.1ad as IFLA_VF_VLAN_LIST/IFLA_VF_VLAN_INFO with the
 * protocol in network byte order; min and max tx rate together in one
 * IFLA_VF_RATE, the one not given taken from the VF's current value.
 *
 * libnl-route-3's VF API (rtnl_link_vf_*, lib/route/link/sriov.c) is not
 * used: its IFLA_VF_VLAN_INFO writer puts vlan_proto in host byte order
 * (its parser does ntohs), so 802.1ad would reach the kernel as 0xa888;
 * its parser drops a vlan or rate of 0 as "not set", so "no limit" and
 * "not reported" look alike to a drift check; and it changes links only
 * through rtnl_link_build_change_request() with whole link objects. The
 * attributes are few; they are written and read here with libnl-3's nla_*.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "binder.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* ---- settings ----------------------------------------------------------- */

enum vf_key_kind { K_INT, K_BOOL, K_PROTO, K_LINK_STATE };

/* The sriov-nic [group] keys that are VF settings; ranges as lib/group.c. */
static const struct vf_key {
	const char *key;
	enum vf_key_kind kind;
	int min, max;
	size_t off;
} vf_keys[] = {
	{ "vlan", K_INT, 0, 4094, offsetof(struct pt_vf_settings, vlan) },
	{ "vlan_proto", K_PROTO, 0, 0, offsetof(struct pt_vf_settings, vlan_proto) },
	{ "qos", K_INT, 0, 7, offsetof(struct pt_vf_settings, qos) },
	{ "min_tx_rate", K_INT, 0, 10000000, offsetof(struct pt_vf_settings, min_tx_rate) },
	{ "max_tx_rate", K_INT, 0, 10000000, offsetof(struct pt_vf_settings, max_tx_rate) },
	{ "link_state", K_LINK_STATE, 0, 0, offsetof(struct pt_vf_settings, link_state) },
	{ "spoofchk", K_BOOL, 0, 0, offsetof(struct pt_vf_settings, spoofchk) },
	{ "trust", K_BOOL, 0, 0, offsetof(struct pt_vf_settings, trust) },
	{ "query_rss", K_BOOL, 0, 0, offsetof(struct pt_vf_settings, query_rss) },
};
#define N_VF_KEYS (sizeof(vf_keys) / sizeof(vf_keys[0]))

void pt__vf_settings_init(struct pt_vf_settings *s)
{
	s->vlan = -1;
	s->vlan_proto = 0;
	s->qos = -1;
	s->min_tx_rate = -1;
	s->max_tx_rate = -1;
	s->link_state = -1;
	s->spoofchk = -1;
	s->trust = -1;
	s->query_rss = -1;
}

bool pt__vf_setting_is_key(const char *key)
{
	for (size_t i = 0; i < N_VF_KEYS; i++)
		if (!strcmp(vf_keys[i].key, key))
			return true;
	return false;
}

const char *pt__vf_vlan_proto_name(int proto)
{
	switch (proto) {
	case ETH_P_8021Q:
		return "802.1Q";
	case ETH_P_8021AD:
		return "802.1ad";
	}
	return NULL;
}

const char *pt__vf_link_state_name(int state)
{
	switch (state) {
	case IFLA_VF_LINK_STATE_AUTO:
		return "auto";
	case IFLA_VF_LINK_STATE_ENABLE:
		return "enable";
	case IFLA_VF_LINK_STATE_DISABLE:
		return "disable";
	}
	return NULL;
}

int pt__vf_settings_set(struct pt_vf_settings *s, const char *key,
			const char *value, char *err, size_t errlen)
{
	const struct vf_key *k = NULL;
	int *field;

	for (size_t i = 0; i < N_VF_KEYS; i++)
		if (!strcmp(vf_keys[i].key, key))
			k = &vf_keys[i];
	if (!k) {
		snprintf(err, errlen, "'%s' is not a VF setting", key);
		return -ENOENT;
	}
	field = (int *)((char *)s + k->off);
	switch (k->kind) {
	case K_INT: {
		char *end;
		long v;

		errno = 0;
		v = strtol(value, &end, 10);
		if (!*value || *end || errno || v < k->min || v > k->max) {
			snprintf(err, errlen, "%s = %s: not a whole number from %d to %d",
				 key, value, k->min, k->max);
			return -EINVAL;
		}
		*field = (int)v;
		return 0;
	}
	case K_BOOL: {
		int b = pt__parse_bool(value);

		if (b < 0) {
			snprintf(err, errlen, "%s = %s: not a boolean; use yes or no",
				 key, value);
			return -EINVAL;
		}
		*field = b;
		return 0;
	}
	case K_PROTO:
		if (!strcasecmp(value, "802.1Q")) {
			*field = ETH_P_8021Q;
			return 0;
		}
		if (!strcasecmp(value, "802.1ad")) {
			*field = ETH_P_8021AD;
			return 0;
		}
		snprintf(err, errlen, "%s = %s: not one of 802.1Q, 802.1ad", key, value);
		return -EINVAL;
	case K_LINK_STATE:
		for (int st = IFLA_VF_LINK_STATE_AUTO; st <= IFLA_VF_LINK_STATE_DISABLE; st++)
			if (!strcasecmp(value, pt__vf_link_state_name(st))) {
				*field = st;
				return 0;
			}
		snprintf(err, errlen, "%s = %s: not one of auto, enable, disable",
			 key, value);
		return -EINVAL;
	}
	return -EINVAL;
}

int pt__vf_settings_check(const struct pt_vf_settings *s, char *err,
			  size_t errlen)
{
	if (s->vlan < -1 || s->vlan > 4094 || s->qos < -1 || s->qos > 7 ||
	    s->min_tx_rate < -1 || s->max_tx_rate < -1 ||
	    s->spoofchk < -1 || s->trust < -1 || s->query_rss < -1 ||
	    (s->vlan_proto && !pt__vf_vlan_proto_name(s->vlan_proto)) ||
	    (s->link_state >= 0 && !pt__vf_link_state_name(s->link_state)) ||
	    s->spoofchk > 1 || s->trust > 1 || s->query_rss > 1) {
		snprintf(err, errlen, "VF settings out of range");
		return -EINVAL;
	}
	if (s->min_tx_rate >= 0 && s->max_tx_rate > 0 &&
	    s->min_tx_rate > s->max_tx_rate) {
		snprintf(err, errlen, "min_tx_rate %d is above max_tx_rate %d; "
			 "min_tx_rate must not exceed max_tx_rate (0 = no limit)",
			 s->min_tx_rate, s->max_tx_rate);
		return -EINVAL;
	}
	if (s->qos > 0 && s->vlan < 0) {
		snprintf(err, errlen, "qos needs vlan: the priority is carried in "
			 "the VLAN tag; set vlan too or drop qos");
		return -EINVAL;
	}
	if (s->vlan_proto && s->vlan < 0) {
		snprintf(err, errlen, "vlan_proto needs vlan; set vlan too or drop vlan_proto");
		return -EINVAL;
	}
	return 0;
}

int pt__vf_settings_from_group(struct pt_group *g, struct pt_vf_settings *s,
			       char *err, size_t errlen)
{
	char why[256];
	int n, r;

	pt__vf_settings_init(s);
	if (pt_group_get_type(g) != PT_GROUP_SRIOV_NIC) {
		snprintf(err, errlen, "group '%s' is a %s group; VF settings belong "
			 "to sriov-nic groups", pt_group_get_name(g),
			 pt_group_type_name(pt_group_get_type(g)));
		return -EINVAL;
	}
	n = pt_group_get_num_settings(g);
	for (int i = 0; i < n; i++) {
		const char *key = pt_group_get_setting_key(g, i);

		if (!pt__vf_setting_is_key(key))
			continue;
		r = pt__vf_settings_set(s, key, pt_group_get_setting_value(g, i),
					why, sizeof(why));
		if (r < 0) {
			snprintf(err, errlen, "group '%s' (%s): %s", pt_group_get_name(g),
				 pt_group_get_file(g), why);
			return r;
		}
	}
	r = pt__vf_settings_check(s, why, sizeof(why));
	if (r < 0)
		snprintf(err, errlen, "group '%s' (%s): %s", pt_group_get_name(g),
			 pt_group_get_file(g), why);
	return r;
}

unsigned int pt__vf_settings_parts(const struct pt_vf_settings *s)
{
	unsigned int p = 0;

	if (s->vlan >= 0)
		p |= PT_VF_PART_VLAN;
	if (s->min_tx_rate >= 0 || s->max_tx_rate >= 0)
		p |= PT_VF_PART_RATE;
	if (s->spoofchk >= 0)
		p |= PT_VF_PART_SPOOFCHK;
	if (s->link_state >= 0)
		p |= PT_VF_PART_LINK_STATE;
	if (s->query_rss >= 0)
		p |= PT_VF_PART_QUERY_RSS;
	if (s->trust >= 0)
		p |= PT_VF_PART_TRUST;
	return p;
}

/* The effective qos and proto a vlan request carries (ip's defaults). */
static int want_qos(const struct pt_vf_settings *s)
{
	return s->qos >= 0 ? s->qos : 0;
}

static int want_proto(const struct pt_vf_settings *s)
{
	return s->vlan_proto ? s->vlan_proto : ETH_P_8021Q;
}

/*
 * IFLA_VF_RATE carries both rates; the one not wanted keeps its current
 * value, as `ip link set ... vf N max_tx_rate X` does.
 */
static int rate_pair(const struct pt_vf_settings *want,
		     const struct pt_vf_settings *cur, unsigned int *min,
		     unsigned int *max, char *err, size_t errlen)
{
	int lo = want->min_tx_rate, hi = want->max_tx_rate;

	if (lo < 0)
		lo = cur ? cur->min_tx_rate : -1;
	if (hi < 0)
		hi = cur ? cur->max_tx_rate : -1;
	if (lo < 0 || hi < 0) {
		const char *missing = lo < 0 ? "min_tx_rate" : "max_tx_rate";

		snprintf(err, errlen, "%s is needed: the kernel sets min_tx_rate and "
			 "max_tx_rate together and the VF's current %s is unknown; "
			 "set both", missing, missing);
		return -EINVAL;
	}
	*min = (unsigned int)lo;
	*max = (unsigned int)hi;
	return 0;
}

static const char *on_off(int v)
{
	return v ? "on" : "off";
}

/* On -EINVAL (a rate alone, the other one unknown) buf holds the reason. */
int pt__vf_describe(const struct pt_vf_settings *want, unsigned int parts,
		    const struct pt_vf_settings *cur, char *buf, size_t len)
{
	size_t n = 0;
	int r;

#define ADD(...) do {							\
		if (n < len)						\
			n += snprintf(buf + n, len - n, __VA_ARGS__);	\
	} while (0)
	if (len)
		buf[0] = '\0';
	parts &= pt__vf_settings_parts(want);
	if (parts & PT_VF_PART_VLAN) {
		ADD("%svlan %d", n ? " " : "", want->vlan);
		if (want_qos(want))
			ADD(" qos %d", want_qos(want));
		if (want_proto(want) != ETH_P_8021Q)
			ADD(" proto %s", pt__vf_vlan_proto_name(want_proto(want)));
	}
	if (parts & PT_VF_PART_RATE) {
		unsigned int lo, hi;

		r = rate_pair(want, cur, &lo, &hi, buf, len);
		if (r < 0)
			return r;
		ADD("%smin_tx_rate %u max_tx_rate %u", n ? " " : "", lo, hi);
	}
	if (parts & PT_VF_PART_SPOOFCHK)
		ADD("%sspoofchk %s", n ? " " : "", on_off(want->spoofchk));
	if (parts & PT_VF_PART_LINK_STATE)
		ADD("%sstate %s", n ? " " : "", pt__vf_link_state_name(want->link_state));
	if (parts & PT_VF_PART_QUERY_RSS)
		ADD("%squery_rss %s", n ? " " : "", on_off(want->query_rss));
	if (parts & PT_VF_PART_TRUST)
		ADD("%strust %s", n ? " " : "", on_off(want->trust));
#undef ADD
	return n < len ? 0 : -ENOSPC;
}

/* ---- messages ----------------------------------------------------------- */

int pt__vf_build_set(int ifindex, int vf, const struct pt_vf_settings *want,
		     unsigned int parts, const struct pt_vf_settings *cur,
		     struct nl_msg **out, char *err, size_t errlen)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	unsigned int lo = 0, hi = 0;
	struct nlattr *list, *info;
	struct nl_msg *msg;
	uint32_t idx = (uint32_t)vf;
	int r;

	*out = NULL;
	if (ifindex <= 0 || vf < 0 || vf == INT_MAX) {
		snprintf(err, errlen, "invalid PF ifindex %d or VF index %d", ifindex, vf);
		return -EINVAL;
	}
	r = pt__vf_settings_check(want, err, errlen);
	if (r < 0)
		return r;
	parts &= pt__vf_settings_parts(want);
	if (!parts) {
		snprintf(err, errlen, "no VF setting to change");
		return -ENODATA;
	}
	if (parts & PT_VF_PART_RATE) {
		r = rate_pair(want, cur, &lo, &hi, err, errlen);
		if (r < 0)
			return r;
	}

	msg = nlmsg_alloc_simple(RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK);
	if (!msg)
		goto nomem;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0)
		goto nomem;
	list = nla_nest_start(msg, IFLA_VFINFO_LIST);
	if (!list)
		goto nomem;
	info = nla_nest_start(msg, IFLA_VF_INFO);
	if (!info)
		goto nomem;

	/* In the order the kernel applies them (do_setvfinfo). */
	if (parts & PT_VF_PART_VLAN) {
		if (want_proto(want) == ETH_P_8021Q) {
			struct ifla_vf_vlan v = {
				.vf = idx, .vlan = (uint32_t)want->vlan,
				.qos = (uint32_t)want_qos(want),
			};

			if (nla_put(msg, IFLA_VF_VLAN, sizeof(v), &v) < 0)
				goto nomem;
		} else {
			struct ifla_vf_vlan_info v = {
				.vf = idx, .vlan = (uint32_t)want->vlan,
				.qos = (uint32_t)want_qos(want),
				.vlan_proto = htons((uint16_t)want_proto(want)),
			};
			struct nlattr *vl = nla_nest_start(msg, IFLA_VF_VLAN_LIST);

			if (!vl || nla_put(msg, IFLA_VF_VLAN_INFO, sizeof(v), &v) < 0)
				goto nomem;
			nla_nest_end(msg, vl);
		}
	}
	if (parts & PT_VF_PART_RATE) {
		struct ifla_vf_rate v = { .vf = idx, .min_tx_rate = lo, .max_tx_rate = hi };

		if (nla_put(msg, IFLA_VF_RATE, sizeof(v), &v) < 0)
			goto nomem;
	}
	if (parts & PT_VF_PART_SPOOFCHK) {
		struct ifla_vf_spoofchk v = { .vf = idx, .setting = (uint32_t)want->spoofchk };

		if (nla_put(msg, IFLA_VF_SPOOFCHK, sizeof(v), &v) < 0)
			goto nomem;
	}
	if (parts & PT_VF_PART_LINK_STATE) {
		struct ifla_vf_link_state v = {
			.vf = idx, .link_state = (uint32_t)want->link_state,
		};

		if (nla_put(msg, IFLA_VF_LINK_STATE, sizeof(v), &v) < 0)
			goto nomem;
	}
	if (parts & PT_VF_PART_QUERY_RSS) {
		struct ifla_vf_rss_query_en v = {
			.vf = idx, .setting = (uint32_t)want->query_rss,
		};

		if (nla_put(msg, IFLA_VF_RSS_QUERY_EN, sizeof(v), &v) < 0)
			goto nomem;
	}
	if (parts & PT_VF_PART_TRUST) {
		struct ifla_vf_trust v = { .vf = idx, .setting = (uint32_t)want->trust };

		if (nla_put(msg, IFLA_VF_TRUST, sizeof(v), &v) < 0)
			goto nomem;
	}
	nla_nest_end(msg, info);
	nla_nest_end(msg, list);
	*out = msg;
	return 0;
nomem:
	nlmsg_free(msg);
	snprintf(err, errlen, "out of memory building the netlink request");
	return -ENOMEM;
}

int pt__vf_build_set_mac(int ifindex, int vf, const unsigned char mac[6],
			 struct nl_msg **out, char *err, size_t errlen)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	struct ifla_vf_mac v = { .vf = (uint32_t)vf };
	struct nlattr *list, *info;
	struct nl_msg *msg;

	*out = NULL;
	if (ifindex <= 0 || vf < 0 || vf == INT_MAX) {
		snprintf(err, errlen, "invalid PF ifindex %d or VF index %d", ifindex, vf);
		return -EINVAL;
	}
	/* the kernel takes the PF's address length from ifla_vf_mac.mac[32] */
	memcpy(v.mac, mac, 6);
	msg = nlmsg_alloc_simple(RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK);
	if (!msg || nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    !(list = nla_nest_start(msg, IFLA_VFINFO_LIST)) ||
	    !(info = nla_nest_start(msg, IFLA_VF_INFO)) ||
	    nla_put(msg, IFLA_VF_MAC, sizeof(v), &v) < 0) {
		nlmsg_free(msg);
		snprintf(err, errlen, "out of memory building the netlink request");
		return -ENOMEM;
	}
	nla_nest_end(msg, info);
	nla_nest_end(msg, list);
	*out = msg;
	return 0;
}

int pt__vf_mac_parse(const char *text, unsigned char mac[6])
{
	unsigned int b[6];
	int n = -1;

	if (!text || strlen(text) != 17 ||
	    sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5], &n) != 6 || n != 17)
		return -EINVAL;
	for (int i = 0; i < 17; i++)
		if (i % 3 == 2 ? text[i] != ':' : !isxdigit((unsigned char)text[i]))
			return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (unsigned char)b[i];
	return 0;
}

void pt__vf_mac_format(const unsigned char mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
}

int pt__vf_build_get(int ifindex, const char *name, struct nl_msg **out)
{
	struct ifinfomsg ifi = {
		.ifi_family = AF_UNSPEC,
		.ifi_index = ifindex > 0 ? ifindex : 0,
	};
	struct nl_msg *msg;

	*out = NULL;
	if (ifindex <= 0 && (!name || !*name || strlen(name) >= IFNAMSIZ))
		return -EINVAL;
	msg = nlmsg_alloc_simple(RTM_GETLINK, NLM_F_REQUEST);
	if (!msg)
		return -ENOMEM;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    (ifindex <= 0 && nla_put_string(msg, IFLA_IFNAME, name) < 0) ||
	    nla_put_u32(msg, IFLA_EXT_MASK,
			RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS) < 0) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	*out = msg;
	return 0;
}

static struct nla_policy link_policy[IFLA_MAX + 1] = {
	[IFLA_IFNAME] = { .type = NLA_STRING },
	[IFLA_NUM_VF] = { .type = NLA_U32 },
	[IFLA_VFINFO_LIST] = { .type = NLA_NESTED },
};

static struct nla_policy vf_policy[IFLA_VF_MAX + 1] = {
	[IFLA_VF_MAC] = { .minlen = sizeof(struct ifla_vf_mac) },
	[IFLA_VF_VLAN] = { .minlen = sizeof(struct ifla_vf_vlan) },
	[IFLA_VF_TX_RATE] = { .minlen = sizeof(struct ifla_vf_tx_rate) },
	[IFLA_VF_SPOOFCHK] = { .minlen = sizeof(struct ifla_vf_spoofchk) },
	[IFLA_VF_LINK_STATE] = { .minlen = sizeof(struct ifla_vf_link_state) },
	[IFLA_VF_RATE] = { .minlen = sizeof(struct ifla_vf_rate) },
	[IFLA_VF_RSS_QUERY_EN] = { .minlen = sizeof(struct ifla_vf_rss_query_en) },
	[IFLA_VF_TRUST] = { .minlen = sizeof(struct ifla_vf_trust) },
	[IFLA_VF_VLAN_LIST] = { .type = NLA_NESTED },
};

/* A driver that does not implement a boolean reports (u32)-1. */
static int vf_bool(uint32_t v)
{
	return v == UINT32_MAX ? -1 : (int)(v != 0);
}

/* The VF index an attribute carries (every ifla_vf_* starts with __u32 vf). */
static int attr_vf(const struct nlattr *a, uint32_t *vf)
{
	if (!a || nla_len(a) < (int)sizeof(uint32_t))
		return -ENOENT;
	memcpy(vf, nla_data(a), sizeof(*vf));
	return 0;
}

static int parse_vf(struct nlattr *vfi, int addr_len, struct pt_vf_state *st,
		    char *err, size_t errlen)
{
	static const int with_index[] = {
		IFLA_VF_MAC, IFLA_VF_VLAN, IFLA_VF_RATE, IFLA_VF_TX_RATE,
		IFLA_VF_SPOOFCHK, IFLA_VF_LINK_STATE, IFLA_VF_RSS_QUERY_EN,
		IFLA_VF_TRUST,
	};
	struct nlattr *t[IFLA_VF_MAX + 1];
	uint32_t vf = UINT32_MAX;
	int r;

	r = nla_parse_nested(t, IFLA_VF_MAX, vfi, vf_policy);
	if (r < 0) {
		snprintf(err, errlen, "malformed IFLA_VF_INFO: %s", nl_geterror(r));
		return -EBADMSG;
	}
	memset(st, 0, sizeof(*st));
	pt__vf_settings_init(&st->s);
	for (size_t i = 0; i < sizeof(with_index) / sizeof(with_index[0]); i++)
		if (!attr_vf(t[with_index[i]], &vf))
			break;
	if (vf >= INT_MAX) {
		snprintf(err, errlen, "IFLA_VF_INFO without a VF index");
		return -EBADMSG;
	}
	st->vf = (int)vf;

	if (t[IFLA_VF_MAC]) {
		struct ifla_vf_mac m;

		memcpy(&m, nla_data(t[IFLA_VF_MAC]), sizeof(m));
		st->mac_len = addr_len;
		memcpy(st->mac, m.mac, (size_t)addr_len);
	}
	if (t[IFLA_VF_VLAN]) {
		struct ifla_vf_vlan v;

		memcpy(&v, nla_data(t[IFLA_VF_VLAN]), sizeof(v));
		st->s.vlan = (int)v.vlan;
		st->s.qos = (int)v.qos;
	}
	if (t[IFLA_VF_VLAN_LIST]) {
		struct nlattr *a;
		int rem;

		/* The kernel reports one entry (MAX_VLAN_LIST_LEN); take the first. */
		nla_for_each_nested(a, t[IFLA_VF_VLAN_LIST], rem) {
			struct ifla_vf_vlan_info v;

			if (nla_type(a) != IFLA_VF_VLAN_INFO)
				continue;
			if (nla_len(a) < (int)sizeof(v)) {
				snprintf(err, errlen, "vf %d: short IFLA_VF_VLAN_INFO", st->vf);
				return -EBADMSG;
			}
			memcpy(&v, nla_data(a), sizeof(v));
			st->s.vlan = (int)v.vlan;
			st->s.qos = (int)v.qos;
			st->s.vlan_proto = ntohs(v.vlan_proto);
			break;
		}
	}
	if (t[IFLA_VF_RATE]) {
		struct ifla_vf_rate v;

		memcpy(&v, nla_data(t[IFLA_VF_RATE]), sizeof(v));
		st->s.min_tx_rate = (int)v.min_tx_rate;
		st->s.max_tx_rate = (int)v.max_tx_rate;
	} else if (t[IFLA_VF_TX_RATE]) {
		/* Kernels before 3.16: one (maximum) rate. */
		struct ifla_vf_tx_rate v;

		memcpy(&v, nla_data(t[IFLA_VF_TX_RATE]), sizeof(v));
		st->s.max_tx_rate = (int)v.rate;
		st->legacy_rate = true;
	}
	if (t[IFLA_VF_SPOOFCHK]) {
		struct ifla_vf_spoofchk v;

		memcpy(&v, nla_data(t[IFLA_VF_SPOOFCHK]), sizeof(v));
		st->s.spoofchk = vf_bool(v.setting);
	}
	if (t[IFLA_VF_LINK_STATE]) {
		struct ifla_vf_link_state v;

		memcpy(&v, nla_data(t[IFLA_VF_LINK_STATE]), sizeof(v));
		st->s.link_state = v.link_state <= INT_MAX ? (int)v.link_state : -1;
	}
	if (t[IFLA_VF_RSS_QUERY_EN]) {
		struct ifla_vf_rss_query_en v;

		memcpy(&v, nla_data(t[IFLA_VF_RSS_QUERY_EN]), sizeof(v));
		st->s.query_rss = vf_bool(v.setting);
	}
	if (t[IFLA_VF_TRUST]) {
		struct ifla_vf_trust v;

		memcpy(&v, nla_data(t[IFLA_VF_TRUST]), sizeof(v));
		st->s.trust = vf_bool(v.setting);
	}
	return 0;
}

static int cmp_vf(const void *a, const void *b)
{
	const struct pt_vf_state *x = a, *y = b;

	return (x->vf > y->vf) - (x->vf < y->vf);
}

int pt__vf_parse_link(const struct nlmsghdr *nlh, struct pt_vf_link **out,
		      char *err, size_t errlen)
{
	struct nlmsghdr *h = (struct nlmsghdr *)nlh;
	struct nlattr *tb[IFLA_MAX + 1];
	struct pt_vf_link *l;
	struct ifinfomsg ifi;
	struct nlattr *a;
	size_t cap = 0;
	int addr_len = ETH_ALEN;
	int r, rem;

	*out = NULL;
	if (nlh->nlmsg_type != RTM_NEWLINK) {
		snprintf(err, errlen, "netlink message type %u is not RTM_NEWLINK",
			 nlh->nlmsg_type);
		return -EBADMSG;
	}
	if (!nlmsg_valid_hdr(h, sizeof(ifi))) {
		snprintf(err, errlen, "RTM_NEWLINK shorter than its header");
		return -EBADMSG;
	}
	r = nlmsg_parse(h, sizeof(ifi), tb, IFLA_MAX, link_policy);
	if (r < 0) {
		snprintf(err, errlen, "malformed RTM_NEWLINK: %s", nl_geterror(r));
		return -EBADMSG;
	}
	memcpy(&ifi, nlmsg_data(h), sizeof(ifi));
	l = calloc(1, sizeof(*l));
	if (!l)
		goto nomem;
	l->ifindex = ifi.ifi_index;
	l->num_vf = tb[IFLA_NUM_VF] ? (int)nla_get_u32(tb[IFLA_NUM_VF]) : -1;
	if (tb[IFLA_IFNAME])
		snprintf(l->name, sizeof(l->name), "%.*s", nla_len(tb[IFLA_IFNAME]),
			 (const char *)nla_data(tb[IFLA_IFNAME]));
	if (tb[IFLA_ADDRESS] && nla_len(tb[IFLA_ADDRESS]) > 0 &&
	    nla_len(tb[IFLA_ADDRESS]) <= (int)sizeof(l->vfs->mac))
		addr_len = nla_len(tb[IFLA_ADDRESS]);

	if (tb[IFLA_VFINFO_LIST]) {
		nla_for_each_nested(a, tb[IFLA_VFINFO_LIST], rem) {
			if (nla_type(a) != IFLA_VF_INFO)
				continue;
			if ((size_t)l->n_vfs == cap) {
				size_t ncap = cap ? cap * 2 : 8;
				struct pt_vf_state *n = realloc(l->vfs, ncap * sizeof(*n));

				if (!n)
					goto nomem;
				l->vfs = n;
				cap = ncap;
			}
			r = parse_vf(a, addr_len, &l->vfs[l->n_vfs], err, errlen);
			if (r < 0)
				goto fail;
			l->n_vfs++;
		}
		if (rem > 0) {
			snprintf(err, errlen, "IFLA_VFINFO_LIST: %d bytes of trailing "
				 "garbage (list truncated?)", rem);
			r = -EBADMSG;
			goto fail;
		}
	}
	if (l->n_vfs)
		qsort(l->vfs, (size_t)l->n_vfs, sizeof(*l->vfs), cmp_vf);
	for (int i = 1; i < l->n_vfs; i++)
		if (l->vfs[i].vf == l->vfs[i - 1].vf) {
			snprintf(err, errlen, "vf %d reported twice", l->vfs[i].vf);
			r = -EBADMSG;
			goto fail;
		}
	*out = l;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	r = -ENOMEM;
fail:
	pt__vf_link_free(l);
	return r;
}

void pt__vf_link_free(struct pt_vf_link *l)
{
	if (!l)
		return;
	free(l->vfs);
	free(l);
}

const struct pt_vf_state *pt__vf_link_find(const struct pt_vf_link *l, int vf)
{
	int lo = 0, hi = l->n_vfs - 1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;

		if (l->vfs[mid].vf == vf)
			return &l->vfs[mid];
		if (l->vfs[mid].vf < vf)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

int pt__vf_parse_ack(const struct nlmsghdr *nlh, char *msg, size_t msglen)
{
	struct nlmsghdr *h = (struct nlmsghdr *)nlh;
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct nlmsgerr e;
	size_t off;

	if (msglen)
		msg[0] = '\0';
	if (nlh->nlmsg_type != NLMSG_ERROR || !nlmsg_valid_hdr(h, sizeof(e)))
		return -EBADMSG;
	memcpy(&e, nlmsg_data(h), sizeof(e));
	if (e.error > 0 || e.error < -4095)
		return -EBADMSG;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return e.error;
	/*
	 * The TLVs follow the nlmsgerr, and the echoed request's payload
	 * unless the kernel capped it (always for an ack, and for errors
	 * with NETLINK_CAP_ACK).
	 */
	off = sizeof(e);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (e.msg.nlmsg_len < NLMSG_HDRLEN)
			return -EBADMSG;
		off += e.msg.nlmsg_len - NLMSG_HDRLEN;
	}
	off = NLMSG_ALIGN(off);
	if (off > (size_t)nlmsg_datalen(h))
		return -EBADMSG;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)nlmsg_data(h) + off),
		      nlmsg_datalen(h) - (int)off, NULL) < 0)
		return -EBADMSG;
	if (tb[NLMSGERR_ATTR_MSG] && nla_len(tb[NLMSGERR_ATTR_MSG]) > 0 && msglen)
		snprintf(msg, msglen, "%.*s", nla_len(tb[NLMSGERR_ATTR_MSG]),
			 (const char *)nla_data(tb[NLMSGERR_ATTR_MSG]));
	return e.error;
}

/* ---- drift -------------------------------------------------------------- */

struct lines {
	char **v;
	int n;
	int r;
};

static void add_line(struct lines *L, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add_line(struct lines *L, const char *fmt, ...)
{
	char **nv;
	va_list ap;
	char *s;

	if (L->r < 0)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0) {
		va_end(ap);
		L->r = -ENOMEM;
		return;
	}
	va_end(ap);
	nv = realloc(L->v, (size_t)(L->n + 2) * sizeof(*nv));
	if (!nv) {
		free(s);
		L->r = -ENOMEM;
		return;
	}
	L->v = nv;
	L->v[L->n++] = s;
	L->v[L->n] = NULL;
}

static const char *yes_no(int v)
{
	return v ? "yes" : "no";
}

/* Compare one integer field; -1 observed is "not reported". */
static bool int_drift(struct lines *L, int vf, const char *key, int want, int have)
{
	if (have < 0) {
		add_line(L, "vf %d: %s is not reported by the driver, want %d", vf, key, want);
		return true;
	}
	if (have != want) {
		add_line(L, "vf %d: %s is %d, want %d", vf, key, have, want);
		return true;
	}
	return false;
}

static bool bool_drift(struct lines *L, int vf, const char *key, int want, int have)
{
	if (have < 0) {
		add_line(L, "vf %d: %s is not reported by the driver, want %s", vf, key,
			 yes_no(want));
		return true;
	}
	if (have != want) {
		add_line(L, "vf %d: %s is %s, want %s", vf, key, yes_no(have), yes_no(want));
		return true;
	}
	return false;
}

int pt__vf_drift(int vf, const struct pt_vf_settings *want,
		 const struct pt_vf_state *have, unsigned int *parts,
		 char ***lines)
{
	unsigned int p = 0, set = pt__vf_settings_parts(want);
	struct lines L = { NULL, 0, 0 };
	const struct pt_vf_settings *h;

	if (parts)
		*parts = 0;
	*lines = NULL;
	if (!have) {
		if (set) {
			add_line(&L, "vf %d: not reported by the PF", vf);
			p = set;
		}
		goto out;
	}
	h = &have->s;
	if (set & PT_VF_PART_VLAN) {
		bool d = int_drift(&L, vf, "vlan", want->vlan, h->vlan);

		if (h->vlan >= 0)
			d |= int_drift(&L, vf, "qos", want_qos(want), h->qos);
		/* The protocol of an untagged VF means nothing unless asked for. */
		if (want->vlan > 0 || want->vlan_proto) {
			int wp = want_proto(want);

			if (!h->vlan_proto && want->vlan_proto && wp != ETH_P_8021Q) {
				add_line(&L, "vf %d: vlan_proto is not reported by the "
					 "kernel, want %s", vf, pt__vf_vlan_proto_name(wp));
				d = true;
			} else if (h->vlan_proto && h->vlan_proto != wp) {
				const char *hn = pt__vf_vlan_proto_name(h->vlan_proto);

				if (hn)
					add_line(&L, "vf %d: vlan_proto is %s, want %s", vf,
						 hn, pt__vf_vlan_proto_name(wp));
				else
					add_line(&L, "vf %d: vlan_proto is 0x%04x, want %s",
						 vf, (unsigned int)h->vlan_proto,
						 pt__vf_vlan_proto_name(wp));
				d = true;
			}
		}
		if (d)
			p |= PT_VF_PART_VLAN;
	}
	if (set & PT_VF_PART_RATE) {
		bool d = false;

		if (want->min_tx_rate >= 0)
			d |= int_drift(&L, vf, "min_tx_rate", want->min_tx_rate,
				       h->min_tx_rate);
		if (want->max_tx_rate >= 0)
			d |= int_drift(&L, vf, "max_tx_rate", want->max_tx_rate,
				       h->max_tx_rate);
		if (d)
			p |= PT_VF_PART_RATE;
	}
	if ((set & PT_VF_PART_SPOOFCHK) &&
	    bool_drift(&L, vf, "spoofchk", want->spoofchk, h->spoofchk))
		p |= PT_VF_PART_SPOOFCHK;
	if (set & PT_VF_PART_LINK_STATE) {
		const char *hn = pt__vf_link_state_name(h->link_state);
		const char *wn = pt__vf_link_state_name(want->link_state);

		if (h->link_state < 0) {
			add_line(&L, "vf %d: link_state is not reported by the driver, "
				 "want %s", vf, wn);
			p |= PT_VF_PART_LINK_STATE;
		} else if (h->link_state != want->link_state) {
			if (hn)
				add_line(&L, "vf %d: link_state is %s, want %s", vf, hn, wn);
			else
				add_line(&L, "vf %d: link_state is %d, want %s", vf,
					 h->link_state, wn);
			p |= PT_VF_PART_LINK_STATE;
		}
	}
	if ((set & PT_VF_PART_QUERY_RSS) &&
	    bool_drift(&L, vf, "query_rss", want->query_rss, h->query_rss))
		p |= PT_VF_PART_QUERY_RSS;
	if ((set & PT_VF_PART_TRUST) &&
	    bool_drift(&L, vf, "trust", want->trust, h->trust))
		p |= PT_VF_PART_TRUST;
out:
	if (L.r < 0) {
		pt__vf_drift_free(L.v);
		return L.r;
	}
	if (parts)
		*parts = p;
	*lines = L.v;
	return L.n;
}

void pt__vf_drift_free(char **lines)
{
	if (!lines)
		return;
	for (char **l = lines; *l; l++)
		free(*l);
	free(lines);
}

/* ---- the socket --------------------------------------------------------- */

struct pt_vf_nl {
	struct pt_ctx *ctx;
	struct nl_sock *sk;
};

/* libnl's error codes back to an errno for the caller. */
static int nle_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_INTR:
		return -EINTR;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_BAD_SOCK:
		return -EBADF;
	case NLE_MSG_TRUNC:
	case NLE_MSG_TOOSHORT:
		return -EBADMSG;
	}
	return -EIO;
}

int pt__vf_nl_open(struct pt_ctx *ctx, struct pt_vf_nl **out, char *err,
		   size_t errlen)
{
	struct pt_vf_nl *nl;
	int one = 1, r;

	*out = NULL;
	if (!pt_is_live(ctx)) {
		snprintf(err, errlen, "VF settings are changed over netlink on the "
			 "running system only; sysfs root %s / proc root %s are not it",
			 pt_get_sysfs_root(ctx), pt_get_proc_root(ctx));
		return -EOPNOTSUPP;
	}
	nl = calloc(1, sizeof(*nl));
	if (nl)
		nl->sk = nl_socket_alloc();
	if (!nl || !nl->sk) {
		free(nl);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	nl->ctx = ctx;
	r = nl_connect(nl->sk, NETLINK_ROUTE);
	if (r < 0) {
		snprintf(err, errlen, "cannot open a rtnetlink socket: %s", nl_geterror(r));
		dbg(ctx, "%s\n", err);
		nl_socket_free(nl->sk);
		free(nl);
		return nle_errno(r);
	}
	/* Each request says itself whether it wants an ack. */
	nl_socket_disable_auto_ack(nl->sk);
	nl_socket_enable_msg_peek(nl->sk);
	/* The kernel's reason as text (4.12+), and acks without the echo. */
	if (setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		       &one, sizeof(one)) < 0)
		dbg(ctx, "rtnetlink: no extended acks: %s\n", strerror(errno));
	if (setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_CAP_ACK,
		       &one, sizeof(one)) < 0)
		dbg(ctx, "rtnetlink: no capped acks: %s\n", strerror(errno));
	*out = nl;
	return 0;
}

void pt__vf_nl_close(struct pt_vf_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	free(nl);
}

/*
 * Send msg and wait for its answer: with want_reply the RTM_NEWLINK that
 * answers it (copied to *reply), else the ack. The kernel's error comes
 * back as -errno with its extended-ack text in why.
 */
static int talk(struct pt_vf_nl *nl, struct nl_msg *msg, bool want_reply,
		struct nlmsghdr **reply, char *why, size_t whylen)
{
	uint32_t seq;
	int r;

	if (whylen)
		why[0] = '\0';
	r = nl_send_auto(nl->sk, msg);
	if (r < 0) {
		snprintf(why, whylen, "%s", nl_geterror(r));
		return nle_errno(r);
	}
	seq = nlmsg_hdr(msg)->nlmsg_seq;
	for (;;) {
		struct sockaddr_nl peer;
		unsigned char *buf = NULL;
		struct nlmsghdr *h;
		int n, rem;

		n = nl_recv(nl->sk, &peer, &buf, NULL);
		if (n <= 0) {
			free(buf);
			snprintf(why, whylen, "%s", n < 0 ? nl_geterror(n) :
				 "the kernel closed the socket");
			return n < 0 ? nle_errno(n) : -ECONNRESET;
		}
		if (peer.nl_pid != 0) {		/* not from the kernel */
			free(buf);
			continue;
		}
		rem = n;
		for (h = (struct nlmsghdr *)buf; nlmsg_ok(h, rem); h = nlmsg_next(h, &rem)) {
			if (h->nlmsg_seq != seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				r = pt__vf_parse_ack(h, why, whylen);
				if (r < 0 || !want_reply) {
					free(buf);
					return r;
				}
				continue;
			}
			if (want_reply && h->nlmsg_type == RTM_NEWLINK) {
				*reply = malloc(h->nlmsg_len);
				if (!*reply) {
					free(buf);
					return -ENOMEM;
				}
				memcpy(*reply, h, h->nlmsg_len);
				free(buf);
				return 0;
			}
		}
		free(buf);
	}
}

/* ": Operation not supported (the driver's text)" */
static void reason(char *buf, size_t len, int r, const char *why)
{
	if (why && *why)
		snprintf(buf, len, "%s (%s)", strerror(-r), why);
	else
		snprintf(buf, len, "%s", strerror(-r));
}

int pt__vf_nl_get_link(struct pt_vf_nl *nl, const char *pf,
		       struct pt_vf_link **out, char *err, size_t errlen)
{
	struct nlmsghdr *reply = NULL;
	struct nl_msg *msg;
	char why[256], text[384];
	int r;

	*out = NULL;
	r = pt__vf_build_get(0, pf, &msg);
	if (r < 0) {
		snprintf(err, errlen, "%s: not a valid interface name", pf ? pf : "(null)");
		return r;
	}
	dbg(nl->ctx, "%s: RTM_GETLINK with VF info\n", pf);
	r = talk(nl, msg, true, &reply, why, sizeof(why));
	nlmsg_free(msg);
	if (r < 0) {
		reason(text, sizeof(text), r, why);
		snprintf(err, errlen, "%s: cannot read its VF settings: %s", pf, text);
		dbg(nl->ctx, "%s\n", err);
		return r;
	}
	r = pt__vf_parse_link(reply, out, why, sizeof(why));
	free(reply);
	if (r < 0) {
		snprintf(err, errlen, "%s: cannot read its VF settings: %s", pf, why);
		dbg(nl->ctx, "%s\n", err);
	}
	return r;
}

int pt__vf_nl_set(struct pt_vf_nl *nl, const struct pt_vf_link *pf, int vf,
		  const struct pt_vf_settings *want, unsigned int parts,
		  char *err, size_t errlen)
{
	const struct pt_vf_state *cur = pt__vf_link_find(pf, vf);
	char why[256], what[128], text[384];
	int r;

	parts &= pt__vf_settings_parts(want);
	/* One request per setting, so a refusal names the setting. */
	for (unsigned int part = 1; part & PT_VF_PARTS; part <<= 1) {
		struct nl_msg *msg;

		if (!(parts & part))
			continue;
		r = pt__vf_describe(want, part, cur ? &cur->s : NULL, what, sizeof(what));
		if (r < 0)
			snprintf(what, sizeof(what), "%s", part == PT_VF_PART_RATE ?
				 "tx rate" : "setting");
		r = pt__vf_build_set(pf->ifindex, vf, want, part, cur ? &cur->s : NULL,
				     &msg, why, sizeof(why));
		if (r < 0) {
			snprintf(err, errlen, "%s vf %d: cannot set %s: %s", pf->name, vf,
				 what, why);
			dbg(nl->ctx, "%s\n", err);
			return r;
		}
		dbg(nl->ctx, "ip link set dev %s vf %d %s\n", pf->name, vf, what);
		r = talk(nl, msg, false, NULL, why, sizeof(why));
		nlmsg_free(msg);
		if (r < 0) {
			reason(text, sizeof(text), r, why);
			snprintf(err, errlen, "%s vf %d: cannot set %s: %s", pf->name, vf,
				 what, text);
			dbg(nl->ctx, "%s\n", err);
			return r;
		}
	}
	return 0;
}

int pt__vf_nl_set_mac(struct pt_vf_nl *nl, const struct pt_vf_link *pf, int vf,
		      const unsigned char mac[6], char *err, size_t errlen)
{
	char why[256], text[384], m[18];
	struct nl_msg *msg;
	int r;

	pt__vf_mac_format(mac, m);
	r = pt__vf_build_set_mac(pf->ifindex, vf, mac, &msg, why, sizeof(why));
	if (r < 0) {
		snprintf(err, errlen, "%s vf %d: cannot set mac %s: %s", pf->name, vf, m, why);
		return r;
	}
	dbg(nl->ctx, "ip link set dev %s vf %d mac %s\n", pf->name, vf, m);
	r = talk(nl, msg, false, NULL, why, sizeof(why));
	nlmsg_free(msg);
	if (r < 0) {
		reason(text, sizeof(text), r, why);
		snprintf(err, errlen, "%s vf %d: cannot set mac %s: %s", pf->name, vf, m, text);
		dbg(nl->ctx, "%s\n", err);
	}
	return r;
}

/* ---- the plan step: one socket per plan ---------------------------------- */

struct vfstep {
	char ifname[IF_NAMESIZE];
	int vf;
	struct pt_vf_settings want;
	unsigned int parts;
	bool has_before;
	struct pt_vf_settings before;
};

static void plan_nl_close(void *nl)
{
	pt__vf_nl_close(nl);
}

int pt__vf_plan_socket(struct pt_plan *p, struct pt_vf_nl **out, char *err,
		       size_t errlen)
{
	static const char key = 0;
	struct pt_vf_nl *nl = pt__plan_get_resource(p, &key);
	int r;

	if (!nl) {
		r = pt__vf_nl_open(pt__plan_get_ctx(p), &nl, err, errlen);
		if (r < 0)
			return r;
		r = pt__plan_set_resource(p, &key, nl, plan_nl_close);
		if (r < 0)
			return r;
	}
	*out = nl;
	return 0;
}

/* The plan's netlink socket and the PF's link as the kernel reports it now. */
static int plan_link(struct pt_plan *p, const char *ifname, struct pt_vf_nl **nl,
		     struct pt_vf_link **link, char *why, size_t wlen)
{
	int r = pt__vf_plan_socket(p, nl, why, wlen);

	return r < 0 ? r : pt__vf_nl_get_link(*nl, ifname, link, why, wlen);
}

/* Set parts of want, read back; notes what the driver did not keep. */
static int vf_set(struct pt_plan *p, const char *ifname, int vf,
		  const struct pt_vf_settings *want, unsigned int parts,
		  char *why, size_t wlen)
{
	struct pt_vf_link *link = NULL;
	struct pt_vf_nl *nl;
	char **lines = NULL;
	int r;

	r = plan_link(p, ifname, &nl, &link, why, wlen);
	if (r < 0)
		return r;
	r = pt__vf_nl_set(nl, link, vf, want, parts, why, wlen);
	pt__vf_link_free(link);
	link = NULL;
	if (r < 0)
		return r;
	r = pt__vf_nl_get_link(nl, ifname, &link, why, wlen);
	if (r < 0)
		return r;
	r = pt__vf_drift(vf, want, pt__vf_link_find(link, vf), NULL, &lines);
	pt__vf_link_free(link);
	if (r < 0) {
		snprintf(why, wlen, "out of memory");
		return r;
	}
	for (char **l = lines; l && *l; l++)
		pt__plan_note(p, "%s: read back after setting: %s (the driver did not keep it)",
			      ifname, *l);
	pt__vf_drift_free(lines);
	return 0;
}

static int vfstep_run(struct pt_plan *p, struct pt_step *s, char *why,
		      size_t wlen)
{
	struct vfstep *v = pt__step_data(s);
	int r;

	if (!pt_is_live(pt__plan_get_ctx(p))) {
		r = pt__plan_note(p, "%s: not sent: VF settings go to the running kernel only, not to a fixture tree",
				  pt_step_get_target(s));
		return r < 0 ? r : PT__STEP_SKIPPED;
	}
	return vf_set(p, v->ifname, v->vf, &v->want, v->parts, why, wlen);
}

static int vfstep_undo(struct pt_plan *p, struct pt_step *s, char *why,
		       size_t wlen)
{
	struct vfstep *v = pt__step_data(s);
	unsigned int parts = pt__vf_settings_parts(&v->before);

	if (!v->has_before || !parts)
		return 0;
	return vf_set(p, v->ifname, v->vf, &v->before, parts, why, wlen);
}

static const struct pt__step_ops vfstep_ops = {
	.name = "vfset.settings", .kind = "netlink",
	.run = vfstep_run, .undo = vfstep_undo,
};

int pt__vf_plan_settings(struct pt_plan *p, const char *pfbdf,
			 const char *ifname, int vf,
			 const struct pt_vf_settings *want, unsigned int parts,
			 const struct pt_vf_settings *before,
			 const char *desc)
{
	struct vfstep *v;
	char args[512], target[IF_NAMESIZE + 32];
	int r;

	r = pt__vf_describe(want, parts, before, args, sizeof(args));
	if (r < 0) {
		/* -EINVAL: args holds the reason (a rate alone, the other unknown) */
		if (r == -EINVAL)
			pt__plan_error(p, "%s: %s vf %d: %s", pt__plan_get_subject(p),
				       ifname, vf, args);
		return r;
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	snprintf(v->ifname, sizeof(v->ifname), "%s", ifname);
	v->vf = vf;
	v->want = *want;
	v->parts = parts;
	if (before) {
		v->has_before = true;
		v->before = *before;
	}
	snprintf(target, sizeof(target), "%s vf %d", ifname, vf);
	return pt__plan_add(p, &vfstep_ops, v, pfbdf, target, args, "%s", desc) ?
	       0 : -ENOMEM;
}

/* ---- the VF MAC as a step ---------------------------------------------------- */

struct macstep {
	char ifname[IF_NAMESIZE];
	int vf;
	unsigned char mac[6];
	bool has_before;
	unsigned char before[6];
};

/* The VF's MAC now, over the plan's socket. */
static int mac_read(struct pt_plan *p, const char *ifname, int vf, unsigned char out[6],
		    char *why, size_t wlen)
{
	const struct pt_vf_state *st;
	struct pt_vf_link *link = NULL;
	struct pt_vf_nl *nl;
	int r;

	r = plan_link(p, ifname, &nl, &link, why, wlen);
	if (r < 0)
		return r;
	st = pt__vf_link_find(link, vf);
	if (!st || st->mac_len != 6) {
		snprintf(why, wlen, "%s vf %d: %s", ifname, vf,
			 st ? "the PF's addresses are not 6 bytes (not Ethernet)" :
			 "the PF reports no such VF");
		pt__vf_link_free(link);
		return -ENODEV;
	}
	memcpy(out, st->mac, 6);
	pt__vf_link_free(link);
	return 0;
}

int pt__vf_plan_read_mac(struct pt_plan *p, const char *ifname, int vf, unsigned char out[6],
			 char *err, size_t errlen)
{
	return mac_read(p, ifname, vf, out, err, errlen);
}

/* Set mac on the VF and read it back: the driver must show it. */
static int mac_set(struct pt_plan *p, const char *ifname, int vf, const unsigned char mac[6],
		   char *why, size_t wlen)
{
	struct pt_vf_link *link = NULL;
	unsigned char now[6];
	struct pt_vf_nl *nl;
	char a[18], b[18];
	int r;

	r = plan_link(p, ifname, &nl, &link, why, wlen);
	if (r < 0)
		return r;
	r = pt__vf_nl_set_mac(nl, link, vf, mac, why, wlen);
	pt__vf_link_free(link);
	if (r < 0)
		return r;
	r = mac_read(p, ifname, vf, now, why, wlen);
	if (r < 0)
		return r;
	if (memcmp(now, mac, 6)) {
		pt__vf_mac_format(now, a);
		pt__vf_mac_format(mac, b);
		snprintf(why, wlen, "%s vf %d: read back mac %s after setting %s (the driver "
			 "did not keep it)", ifname, vf, a, b);
		return -EIO;
	}
	return 0;
}

static int macstep_run(struct pt_plan *p, struct pt_step *s, char *why, size_t wlen)
{
	struct macstep *m = pt__step_data(s);
	int r;

	if (!pt_is_live(pt__plan_get_ctx(p))) {
		r = pt__plan_note(p, "%s: not sent: a VF MAC goes to the running kernel only, not to a fixture tree",
				  pt_step_get_target(s));
		return r < 0 ? r : PT__STEP_SKIPPED;
	}
	if (!m->has_before) {
		r = mac_read(p, m->ifname, m->vf, m->before, why, wlen);
		if (r < 0)
			return r;
		m->has_before = true;
	}
	return mac_set(p, m->ifname, m->vf, m->mac, why, wlen);
}

static int macstep_undo(struct pt_plan *p, struct pt_step *s, char *why, size_t wlen)
{
	struct macstep *m = pt__step_data(s);

	if (!m->has_before || !pt_is_live(pt__plan_get_ctx(p)))
		return 0;
	return mac_set(p, m->ifname, m->vf, m->before, why, wlen);
}

static const struct pt__step_ops macstep_ops = {
	.name = "vfset.mac", .kind = "netlink",
	.run = macstep_run, .undo = macstep_undo,
};

int pt__vf_plan_mac(struct pt_plan *p, const char *pfbdf, const char *ifname, int vf,
		    const unsigned char mac[6], const unsigned char *before, const char *desc)
{
	char target[IF_NAMESIZE + 32], value[32];
	struct macstep *m;

	if (!ifname || strlen(ifname) >= IF_NAMESIZE || !*ifname || vf < 0)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	snprintf(m->ifname, sizeof(m->ifname), "%s", ifname);
	m->vf = vf;
	memcpy(m->mac, mac, 6);
	if (before) {
		m->has_before = true;
		memcpy(m->before, before, 6);
	}
	snprintf(target, sizeof(target), "%s vf %d", ifname, vf);
	snprintf(value, sizeof(value), "mac ");
	pt__vf_mac_format(mac, value + 4);
	return pt__plan_add(p, &macstep_ops, m, pfbdf, target, value, "%s", desc) ? 0 : -ENOMEM;
}
