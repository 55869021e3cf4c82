// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vfset.c: VF settings from group keys, the RTM_SETLINK/RTM_GETLINK
 * requests (parsed back attribute by attribute), RTM_NEWLINK replies and
 * NLMSG_ERROR acks built here as the kernel lays them out, drift texts.
 * No socket is opened: the real kernel is tests/vm's (netdevsim).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "policy.h"
#include "testutil.h"

static struct pt_vf_settings unset(void)
{
	struct pt_vf_settings s;

	pt__vf_settings_init(&s);
	return s;
}

/* ---- settings from group keys ------------------------------------------ */

static void set_ok(struct pt_vf_settings *s, const char *key, const char *value)
{
	char err[256] = "";
	int r = pt__vf_settings_set(s, key, value, err, sizeof(err));

	if (r)
		print_error("%s = %s: %d %s\n", key, value, r, err);
	assert_int_equal(r, 0);
}

static void set_fails(const char *key, const char *value, int want_r,
		      const char *msg)
{
	struct pt_vf_settings s = unset(), before = s;
	char err[256] = "";

	assert_int_equal(pt__vf_settings_set(&s, key, value, err, sizeof(err)), want_r);
	assert_string_equal(err, msg);
	assert_memory_equal(&s, &before, sizeof(s));	/* untouched */
}

static void test_settings_set(void **state)
{
	struct pt_vf_settings s = unset();

	(void)state;
	assert_int_equal(s.vlan, -1);
	assert_int_equal(s.vlan_proto, 0);
	assert_int_equal(pt__vf_settings_parts(&s), 0);

	set_ok(&s, "vlan", "100");
	set_ok(&s, "vlan_proto", "802.1AD");
	set_ok(&s, "qos", "7");
	set_ok(&s, "min_tx_rate", "0");
	set_ok(&s, "max_tx_rate", "10000000");
	set_ok(&s, "link_state", "Disable");
	set_ok(&s, "spoofchk", "no");
	set_ok(&s, "trust", "TRUE");
	set_ok(&s, "query_rss", "on");
	assert_int_equal(s.vlan, 100);
	assert_int_equal(s.vlan_proto, ETH_P_8021AD);
	assert_int_equal(s.qos, 7);
	assert_int_equal(s.min_tx_rate, 0);
	assert_int_equal(s.max_tx_rate, 10000000);
	assert_int_equal(s.link_state, IFLA_VF_LINK_STATE_DISABLE);
	assert_int_equal(s.spoofchk, 0);
	assert_int_equal(s.trust, 1);
	assert_int_equal(s.query_rss, 1);
	assert_int_equal(pt__vf_settings_parts(&s), PT_VF_PARTS);

	set_ok(&s, "vlan_proto", "802.1q");
	assert_int_equal(s.vlan_proto, ETH_P_8021Q);
	set_ok(&s, "link_state", "auto");
	assert_int_equal(s.link_state, IFLA_VF_LINK_STATE_AUTO);
	set_ok(&s, "link_state", "enable");
	assert_int_equal(s.link_state, IFLA_VF_LINK_STATE_ENABLE);
	set_ok(&s, "spoofchk", "1");
	assert_int_equal(s.spoofchk, 1);
	set_ok(&s, "trust", "off");
	assert_int_equal(s.trust, 0);
	set_ok(&s, "vlan", "0");
	assert_int_equal(s.vlan, 0);
	assert_int_equal(pt__vf_settings_check(&s, NULL, 0), 0);
}

static void test_settings_invalid(void **state)
{
	(void)state;
	set_fails("vlan", "4095", -EINVAL, "vlan = 4095: not a whole number from 0 to 4094");
	set_fails("vlan", "-1", -EINVAL, "vlan = -1: not a whole number from 0 to 4094");
	set_fails("vlan", "10x", -EINVAL, "vlan = 10x: not a whole number from 0 to 4094");
	set_fails("vlan", "", -EINVAL, "vlan = : not a whole number from 0 to 4094");
	set_fails("qos", "8", -EINVAL, "qos = 8: not a whole number from 0 to 7");
	set_fails("max_tx_rate", "10000001", -EINVAL,
		  "max_tx_rate = 10000001: not a whole number from 0 to 10000000");
	set_fails("min_tx_rate", "99999999999999999999", -EINVAL,
		  "min_tx_rate = 99999999999999999999: not a whole number from 0 to 10000000");
	set_fails("vlan_proto", "8021q", -EINVAL,
		  "vlan_proto = 8021q: not one of 802.1Q, 802.1ad");
	set_fails("link_state", "up", -EINVAL,
		  "link_state = up: not one of auto, enable, disable");
	set_fails("trust", "maybe", -EINVAL, "trust = maybe: not a boolean; use yes or no");
	set_fails("query_rss", "", -EINVAL, "query_rss = : not a boolean; use yes or no");
	set_fails("numvfs", "4", -ENOENT, "'numvfs' is not a VF setting");
	set_fails("vlna", "4", -ENOENT, "'vlna' is not a VF setting");
}

static void check_fails(struct pt_vf_settings s, const char *msg)
{
	char err[256] = "";

	assert_int_equal(pt__vf_settings_check(&s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, msg);
}

static void test_settings_check(void **state)
{
	struct pt_vf_settings s;

	(void)state;
	s = unset();
	s.qos = 3;
	check_fails(s, "qos needs vlan: the priority is carried in the VLAN tag; "
		    "set vlan too or drop qos");
	s.qos = 0;	/* nothing to carry: accepted, as lib/group.c does */
	assert_int_equal(pt__vf_settings_check(&s, NULL, 0), 0);
	s = unset();
	s.vlan_proto = ETH_P_8021AD;
	check_fails(s, "vlan_proto needs vlan; set vlan too or drop vlan_proto");
	s = unset();
	s.min_tx_rate = 500;
	s.max_tx_rate = 100;
	check_fails(s, "min_tx_rate 500 is above max_tx_rate 100; "
		    "min_tx_rate must not exceed max_tx_rate (0 = no limit)");
	s.max_tx_rate = 0;	/* 0: no limit */
	assert_int_equal(pt__vf_settings_check(&s, NULL, 0), 0);
	s = unset();
	s.vlan_proto = 0x0800;
	s.vlan = 5;
	check_fails(s, "VF settings out of range");
	s = unset();
	s.link_state = 3;
	check_fails(s, "VF settings out of range");
	s = unset();
	s.trust = 2;
	check_fails(s, "VF settings out of range");
	s = unset();
	s.vlan = -7;
	check_fails(s, "VF settings out of range");
}

/*
 * The VF keys are exactly the sriov-nic settings bar numvfs, description
 * and placement (pt attach's).
 */
static void test_keys_match_group_table(void **state)
{
	const char *const *keys = pt_group_settings(PT_GROUP_SRIOV_NIC);
	int n = 0;

	(void)state;
	assert_non_null(keys);
	for (; *keys; keys++) {
		bool other = !strcmp(*keys, "numvfs") || !strcmp(*keys, "description") ||
			     !strcmp(*keys, "placement");

		if (pt__vf_setting_is_key(*keys) == other)
			fail_msg("group key '%s': VF setting is %d", *keys, !other);
		n += !other;
	}
	assert_int_equal(n, 9);
	assert_false(pt__vf_setting_is_key("profile"));
	assert_false(pt__vf_setting_is_key("guest_reset"));
}

static void test_from_group(void **state)
{
	char *conf = tu_mkdtemp();
	struct pt_ctx *ctx;
	struct pt_vf_settings s;
	struct pt_group *g;
	char err[512] = "";

	(void)state;
	tu_write(conf, "groups.d/uplink.ini",
		 "[group]\n"
		 "type = sriov-nic\n"
		 "description = tenant uplinks\n"
		 "numvfs = 8\n"
		 "vlan = 100\n"
		 "vlan_proto = 802.1ad\n"
		 "qos = 3\n"
		 "max_tx_rate = 1000\n"
		 "link_state = Disable\n"	/* hand-edited spellings */
		 "spoofchk = Off\n"
		 "trust = yes\n");
	tu_write(conf, "groups.d/plain.ini",
		 "[group]\n"
		 "type = sriov-nic\n"
		 "numvfs = 2\n");
	tu_write(conf, "groups.d/gpu.ini", "[group]\ntype = pci\n");
	assert_int_equal(pt_new(&ctx), 0);
	assert_int_equal(pt_set_conf_dir(ctx, conf), 0);
	if (pt_conf_load(ctx))
		fail_msg("conf: %s", pt_conf_get_error(ctx));

	g = pt_group_find(ctx, "uplink");
	assert_non_null(g);
	assert_int_equal(pt__vf_settings_from_group(g, &s, err, sizeof(err)), 0);
	assert_int_equal(s.vlan, 100);
	assert_int_equal(s.vlan_proto, ETH_P_8021AD);
	assert_int_equal(s.qos, 3);
	assert_int_equal(s.min_tx_rate, -1);
	assert_int_equal(s.max_tx_rate, 1000);
	assert_int_equal(s.link_state, IFLA_VF_LINK_STATE_DISABLE);
	assert_int_equal(s.spoofchk, 0);
	assert_int_equal(s.trust, 1);
	assert_int_equal(s.query_rss, -1);
	assert_int_equal(pt__vf_settings_parts(&s),
			 PT_VF_PART_VLAN | PT_VF_PART_RATE | PT_VF_PART_LINK_STATE |
			 PT_VF_PART_SPOOFCHK | PT_VF_PART_TRUST);

	g = pt_group_find(ctx, "plain");
	assert_non_null(g);
	assert_int_equal(pt__vf_settings_from_group(g, &s, err, sizeof(err)), 0);
	assert_int_equal(pt__vf_settings_parts(&s), 0);

	g = pt_group_find(ctx, "gpu");
	assert_non_null(g);
	assert_int_equal(pt__vf_settings_from_group(g, &s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "group 'gpu' is a pci group; VF settings belong to "
			    "sriov-nic groups");
	pt_unref(ctx);
	tu_rmtree(conf);
	free(conf);
}

/* ---- RTM_SETLINK -------------------------------------------------------- */

/* Attribute types of a nest, in order; returns how many. */
static int nest_types(struct nlattr *nest, int *types, int max)
{
	struct nlattr *a;
	int rem, n = 0;

	nla_for_each_nested(a, nest, rem) {
		assert_true(n < max);
		types[n++] = nla_type(a);
	}
	assert_int_equal(rem, 0);
	return n;
}

/*
 * Check the envelope of a VF request (RTM_SETLINK + ack, ifindex, one
 * IFLA_VFINFO_LIST holding one IFLA_VF_INFO and nothing else) and return
 * the IFLA_VF_INFO's attributes, with their types in order.
 */
static int open_set(struct nl_msg *msg, int ifindex, struct nlattr **vt,
		    int *types)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nlattr *tb[IFLA_MAX + 1];
	struct ifinfomsg *ifi;
	int top[8], inner[4];

	assert_int_equal(h->nlmsg_type, RTM_SETLINK);
	assert_int_equal(h->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	assert_true(nlmsg_valid_hdr(h, sizeof(*ifi)));
	ifi = nlmsg_data(h);
	assert_int_equal(ifi->ifi_family, AF_UNSPEC);
	assert_int_equal(ifi->ifi_index, ifindex);
	assert_int_equal(ifi->ifi_flags, 0);
	assert_int_equal(ifi->ifi_change, 0);

	/* Top level: IFLA_VFINFO_LIST alone. */
	{
		struct nlattr *a;
		int rem, n = 0;

		nlmsg_for_each_attr(a, h, sizeof(*ifi), rem) {
			assert_true(n < 8);
			top[n++] = nla_type(a);
		}
		assert_int_equal(rem, 0);
		assert_int_equal(n, 1);
		assert_int_equal(top[0], IFLA_VFINFO_LIST);
	}
	assert_int_equal(nlmsg_parse(h, sizeof(*ifi), tb, IFLA_MAX, NULL), 0);
	assert_int_equal(nest_types(tb[IFLA_VFINFO_LIST], inner, 4), 1);
	assert_int_equal(inner[0], IFLA_VF_INFO);
	{
		struct nlattr *info = nla_data(tb[IFLA_VFINFO_LIST]);

		assert_int_equal(nla_parse_nested(vt, IFLA_VF_MAX, info, NULL), 0);
		return nest_types(info, types, 16);
	}
}

static struct nl_msg *build_ok(int ifindex, int vf, const struct pt_vf_settings *want,
			       unsigned int parts, const struct pt_vf_settings *cur)
{
	struct nl_msg *msg = NULL;
	char err[256] = "";
	int r = pt__vf_build_set(ifindex, vf, want, parts, cur, &msg, err, sizeof(err));

	if (r)
		print_error("build: %d %s\n", r, err);
	assert_int_equal(r, 0);
	assert_non_null(msg);
	return msg;
}

static void *attr_exact(struct nlattr *a, size_t len)
{
	assert_non_null(a);
	assert_int_equal(nla_len(a), (int)len);
	return nla_data(a);
}

static void test_set_vlan(void **state)
{
	struct nlattr *vt[IFLA_VF_MAX + 1];
	struct pt_vf_settings s = unset();
	struct ifla_vf_vlan *v;
	struct nl_msg *msg;
	int types[16];

	(void)state;
	/* vlan alone: 802.1Q, qos 0, as the legacy IFLA_VF_VLAN (ip's choice). */
	s.vlan = 100;
	msg = build_ok(7, 3, &s, PT_VF_PARTS, NULL);
	assert_int_equal(open_set(msg, 7, vt, types), 1);
	assert_int_equal(types[0], IFLA_VF_VLAN);
	v = attr_exact(vt[IFLA_VF_VLAN], sizeof(*v));
	assert_int_equal(v->vf, 3);
	assert_int_equal(v->vlan, 100);
	assert_int_equal(v->qos, 0);
	nlmsg_free(msg);

	/* Explicit 802.1Q and a qos: still IFLA_VF_VLAN. */
	s.vlan_proto = ETH_P_8021Q;
	s.qos = 5;
	msg = build_ok(7, 0, &s, PT_VF_PART_VLAN, NULL);
	assert_int_equal(open_set(msg, 7, vt, types), 1);
	v = attr_exact(vt[IFLA_VF_VLAN], sizeof(*v));
	assert_int_equal(v->vf, 0);
	assert_int_equal(v->vlan, 100);
	assert_int_equal(v->qos, 5);
	nlmsg_free(msg);

	/* vlan 0 clears the tag. */
	s = unset();
	s.vlan = 0;
	msg = build_ok(2, 1, &s, PT_VF_PARTS, NULL);
	assert_int_equal(open_set(msg, 2, vt, types), 1);
	v = attr_exact(vt[IFLA_VF_VLAN], sizeof(*v));
	assert_int_equal(v->vlan, 0);
	assert_int_equal(v->qos, 0);
	nlmsg_free(msg);
}

static void test_set_vlan_8021ad(void **state)
{
	struct nlattr *vt[IFLA_VF_MAX + 1];
	struct pt_vf_settings s = unset();
	struct ifla_vf_vlan_info *vi;
	struct nlattr *a;
	struct nl_msg *msg;
	const unsigned char *p;
	int types[16], inner[4];

	(void)state;
	s.vlan = 200;
	s.qos = 2;
	s.vlan_proto = ETH_P_8021AD;
	msg = build_ok(9, 12, &s, PT_VF_PARTS, NULL);
	assert_int_equal(open_set(msg, 9, vt, types), 1);
	assert_int_equal(types[0], IFLA_VF_VLAN_LIST);
	assert_null(vt[IFLA_VF_VLAN]);
	assert_int_equal(nest_types(vt[IFLA_VF_VLAN_LIST], inner, 4), 1);
	assert_int_equal(inner[0], IFLA_VF_VLAN_INFO);
	a = nla_data(vt[IFLA_VF_VLAN_LIST]);
	vi = attr_exact(a, sizeof(*vi));
	assert_int_equal(vi->vf, 12);
	assert_int_equal(vi->vlan, 200);
	assert_int_equal(vi->qos, 2);
	/* Network byte order on the wire: 88 a8. */
	assert_int_equal(vi->vlan_proto, htons(ETH_P_8021AD));
	p = (const unsigned char *)&vi->vlan_proto;
	assert_int_equal(p[0], 0x88);
	assert_int_equal(p[1], 0xa8);
	nlmsg_free(msg);
}

static void test_set_rate(void **state)
{
	struct nlattr *vt[IFLA_VF_MAX + 1];
	struct pt_vf_settings s = unset(), cur = unset();
	struct ifla_vf_rate *rt;
	struct nl_msg *msg = NULL;
	char err[256] = "";
	int types[16];

	(void)state;
	s.min_tx_rate = 100;
	s.max_tx_rate = 2500;
	msg = build_ok(4, 1, &s, PT_VF_PARTS, NULL);
	assert_int_equal(open_set(msg, 4, vt, types), 1);
	assert_int_equal(types[0], IFLA_VF_RATE);
	assert_null(vt[IFLA_VF_TX_RATE]);
	rt = attr_exact(vt[IFLA_VF_RATE], sizeof(*rt));
	assert_int_equal(rt->vf, 1);
	assert_int_equal(rt->min_tx_rate, 100);
	assert_int_equal(rt->max_tx_rate, 2500);
	nlmsg_free(msg);

	/* max alone: min keeps its current value, as ip does. */
	s = unset();
	s.max_tx_rate = 1000;
	cur.min_tx_rate = 10;
	cur.max_tx_rate = 0;
	msg = build_ok(4, 1, &s, PT_VF_PART_RATE, &cur);
	assert_int_equal(open_set(msg, 4, vt, types), 1);
	rt = attr_exact(vt[IFLA_VF_RATE], sizeof(*rt));
	assert_int_equal(rt->min_tx_rate, 10);
	assert_int_equal(rt->max_tx_rate, 1000);
	nlmsg_free(msg);

	/* min alone, current max unknown or no current state: refused. */
	s = unset();
	s.min_tx_rate = 50;
	cur = unset();
	msg = NULL;
	assert_int_equal(pt__vf_build_set(4, 1, &s, PT_VF_PARTS, &cur, &msg, err,
					  sizeof(err)), -EINVAL);
	assert_null(msg);
	assert_string_equal(err, "max_tx_rate is needed: the kernel sets min_tx_rate "
			    "and max_tx_rate together and the VF's current max_tx_rate "
			    "is unknown; set both");
	assert_int_equal(pt__vf_build_set(4, 1, &s, PT_VF_PARTS, NULL, &msg, err,
					  sizeof(err)), -EINVAL);
	assert_null(msg);
}

/* Each boolean-ish setting alone: exactly its attribute, with vf and value. */
static void test_set_single(void **state)
{
	static const struct {
		const char *key, *value;
		int attr;
		uint32_t setting;
	} cases[] = {
		{ "spoofchk", "no", IFLA_VF_SPOOFCHK, 0 },
		{ "spoofchk", "yes", IFLA_VF_SPOOFCHK, 1 },
		{ "trust", "yes", IFLA_VF_TRUST, 1 },
		{ "trust", "no", IFLA_VF_TRUST, 0 },
		{ "query_rss", "yes", IFLA_VF_RSS_QUERY_EN, 1 },
		{ "query_rss", "no", IFLA_VF_RSS_QUERY_EN, 0 },
		{ "link_state", "auto", IFLA_VF_LINK_STATE, IFLA_VF_LINK_STATE_AUTO },
		{ "link_state", "enable", IFLA_VF_LINK_STATE, IFLA_VF_LINK_STATE_ENABLE },
		{ "link_state", "disable", IFLA_VF_LINK_STATE, IFLA_VF_LINK_STATE_DISABLE },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct nlattr *vt[IFLA_VF_MAX + 1];
		struct pt_vf_settings s = unset();
		struct nl_msg *msg;
		uint32_t *pair;
		int types[16];

		set_ok(&s, cases[i].key, cases[i].value);
		msg = build_ok(11, 6, &s, PT_VF_PARTS, NULL);
		assert_int_equal(open_set(msg, 11, vt, types), 1);
		assert_int_equal(types[0], cases[i].attr);
		/* ifla_vf_spoofchk/trust/rss_query_en/link_state: {vf, value}. */
		pair = attr_exact(vt[cases[i].attr], 2 * sizeof(uint32_t));
		assert_int_equal(pair[0], 6);
		assert_int_equal(pair[1], cases[i].setting);
		nlmsg_free(msg);
	}
}

static void test_set_all(void **state)
{
	static const int order[] = {
		IFLA_VF_VLAN_LIST, IFLA_VF_RATE, IFLA_VF_SPOOFCHK,
		IFLA_VF_LINK_STATE, IFLA_VF_RSS_QUERY_EN, IFLA_VF_TRUST,
	};
	struct nlattr *vt[IFLA_VF_MAX + 1];
	struct pt_vf_settings s = unset();
	struct ifla_vf_trust *tr;
	struct ifla_vf_spoofchk *sp;
	struct ifla_vf_link_state *ls;
	struct ifla_vf_rss_query_en *rq;
	struct ifla_vf_rate *rt;
	struct ifla_vf_vlan_info *vi;
	struct nl_msg *msg = NULL;
	char err[256] = "";
	int types[16], n;

	(void)state;
	set_ok(&s, "vlan", "42");
	set_ok(&s, "vlan_proto", "802.1ad");
	set_ok(&s, "qos", "1");
	set_ok(&s, "min_tx_rate", "5");
	set_ok(&s, "max_tx_rate", "50");
	set_ok(&s, "link_state", "enable");
	set_ok(&s, "spoofchk", "yes");
	set_ok(&s, "trust", "no");
	set_ok(&s, "query_rss", "yes");
	msg = build_ok(3, 63, &s, PT_VF_PARTS, NULL);
	n = open_set(msg, 3, vt, types);
	/* Every part once, in the order the kernel's do_setvfinfo applies them. */
	assert_int_equal(n, 6);
	for (int i = 0; i < n; i++)
		assert_int_equal(types[i], order[i]);
	vi = attr_exact(nla_data(vt[IFLA_VF_VLAN_LIST]), sizeof(*vi));
	assert_int_equal(vi->vf, 63);
	assert_int_equal(vi->vlan, 42);
	assert_int_equal(vi->qos, 1);
	assert_int_equal(ntohs(vi->vlan_proto), ETH_P_8021AD);
	rt = attr_exact(vt[IFLA_VF_RATE], sizeof(*rt));
	assert_int_equal(rt->vf, 63);
	assert_int_equal(rt->min_tx_rate, 5);
	assert_int_equal(rt->max_tx_rate, 50);
	sp = attr_exact(vt[IFLA_VF_SPOOFCHK], sizeof(*sp));
	assert_int_equal(sp->vf, 63);
	assert_int_equal(sp->setting, 1);
	ls = attr_exact(vt[IFLA_VF_LINK_STATE], sizeof(*ls));
	assert_int_equal(ls->vf, 63);
	assert_int_equal(ls->link_state, IFLA_VF_LINK_STATE_ENABLE);
	rq = attr_exact(vt[IFLA_VF_RSS_QUERY_EN], sizeof(*rq));
	assert_int_equal(rq->vf, 63);
	assert_int_equal(rq->setting, 1);
	tr = attr_exact(vt[IFLA_VF_TRUST], sizeof(*tr));
	assert_int_equal(tr->vf, 63);
	assert_int_equal(tr->setting, 0);
	nlmsg_free(msg);

	/* A subset of parts: just those. */
	msg = build_ok(3, 63, &s, PT_VF_PART_TRUST | PT_VF_PART_RATE, NULL);
	assert_int_equal(open_set(msg, 3, vt, types), 2);
	assert_int_equal(types[0], IFLA_VF_RATE);
	assert_int_equal(types[1], IFLA_VF_TRUST);
	nlmsg_free(msg);

	/* Parts asked for that are not set: nothing to send. */
	s = unset();
	s.trust = 1;
	msg = NULL;
	assert_int_equal(pt__vf_build_set(3, 0, &s, PT_VF_PART_VLAN | PT_VF_PART_RATE,
					  NULL, &msg, err, sizeof(err)), -ENODATA);
	assert_null(msg);
	assert_string_equal(err, "no VF setting to change");
}

static void test_set_invalid(void **state)
{
	struct pt_vf_settings s = unset();
	struct nl_msg *msg = NULL;
	char err[256] = "";

	(void)state;
	s.trust = 1;
	assert_int_equal(pt__vf_build_set(0, 0, &s, PT_VF_PARTS, NULL, &msg, err,
					  sizeof(err)), -EINVAL);
	assert_string_equal(err, "invalid PF ifindex 0 or VF index 0");
	assert_int_equal(pt__vf_build_set(5, -1, &s, PT_VF_PARTS, NULL, &msg, err,
					  sizeof(err)), -EINVAL);
	assert_string_equal(err, "invalid PF ifindex 5 or VF index -1");
	s.qos = 4;		/* qos without vlan */
	assert_int_equal(pt__vf_build_set(5, 0, &s, PT_VF_PARTS, NULL, &msg, err,
					  sizeof(err)), -EINVAL);
	assert_string_equal(err, "qos needs vlan: the priority is carried in the VLAN "
			    "tag; set vlan too or drop qos");
	assert_null(msg);
}

static void test_describe(void **state)
{
	struct pt_vf_settings s = unset(), cur = unset();
	char buf[256], small[8];

	(void)state;
	s.vlan = 100;
	assert_int_equal(pt__vf_describe(&s, PT_VF_PARTS, NULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "vlan 100");
	set_ok(&s, "qos", "3");
	set_ok(&s, "vlan_proto", "802.1ad");
	set_ok(&s, "max_tx_rate", "1000");
	set_ok(&s, "spoofchk", "no");
	set_ok(&s, "link_state", "disable");
	set_ok(&s, "query_rss", "yes");
	set_ok(&s, "trust", "yes");
	cur.min_tx_rate = 0;
	cur.max_tx_rate = 0;
	assert_int_equal(pt__vf_describe(&s, PT_VF_PARTS, &cur, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "vlan 100 qos 3 proto 802.1ad min_tx_rate 0 "
			    "max_tx_rate 1000 spoofchk off state disable query_rss on "
			    "trust on");
	assert_int_equal(pt__vf_describe(&s, PT_VF_PART_TRUST, NULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "trust on");
	assert_int_equal(pt__vf_describe(&s, PT_VF_PART_RATE, NULL, buf, sizeof(buf)),
			 -EINVAL);
	/* the reason, not lost */
	assert_string_equal(buf, "min_tx_rate is needed: the kernel sets min_tx_rate "
			    "and max_tx_rate together and the VF's current min_tx_rate "
			    "is unknown; set both");
	assert_int_equal(pt__vf_describe(&s, PT_VF_PARTS, &cur, small, sizeof(small)),
			 -ENOSPC);
}

/* ---- RTM_GETLINK -------------------------------------------------------- */

static void test_get_request(void **state)
{
	struct nlattr *tb[IFLA_MAX + 1];
	struct ifinfomsg *ifi;
	struct nlmsghdr *h;
	struct nl_msg *msg;
	struct nlattr *a;
	int rem, n = 0;

	(void)state;
	assert_int_equal(pt__vf_build_get(0, "enp3s0f0", &msg), 0);
	h = nlmsg_hdr(msg);
	assert_int_equal(h->nlmsg_type, RTM_GETLINK);
	/* One link, no dump, no ack: the RTM_NEWLINK is the answer. */
	assert_int_equal(h->nlmsg_flags, NLM_F_REQUEST);
	ifi = nlmsg_data(h);
	assert_int_equal(ifi->ifi_index, 0);
	assert_int_equal(ifi->ifi_family, AF_UNSPEC);
	nlmsg_for_each_attr(a, h, sizeof(*ifi), rem)
		n++;
	assert_int_equal(n, 2);
	assert_int_equal(nlmsg_parse(h, sizeof(*ifi), tb, IFLA_MAX, NULL), 0);
	assert_non_null(tb[IFLA_IFNAME]);
	assert_string_equal(nla_get_string(tb[IFLA_IFNAME]), "enp3s0f0");
	assert_non_null(tb[IFLA_EXT_MASK]);
	assert_int_equal(nla_len(tb[IFLA_EXT_MASK]), 4);
	assert_int_equal(nla_get_u32(tb[IFLA_EXT_MASK]),
			 RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS);
	nlmsg_free(msg);

	assert_int_equal(pt__vf_build_get(17, NULL, &msg), 0);
	h = nlmsg_hdr(msg);
	ifi = nlmsg_data(h);
	assert_int_equal(ifi->ifi_index, 17);
	assert_int_equal(nlmsg_parse(h, sizeof(*ifi), tb, IFLA_MAX, NULL), 0);
	assert_null(tb[IFLA_IFNAME]);
	assert_int_equal(nla_get_u32(tb[IFLA_EXT_MASK]),
			 RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS);
	nlmsg_free(msg);

	assert_int_equal(pt__vf_build_get(0, "a-name-far-too-long", &msg), -EINVAL);
	assert_null(msg);
	assert_int_equal(pt__vf_build_get(0, "", &msg), -EINVAL);
	assert_int_equal(pt__vf_build_get(0, NULL, &msg), -EINVAL);
}

/* ---- RTM_NEWLINK replies, laid out as rtnl_fill_vfinfo() does ------------ */

struct kvf {
	uint32_t vf;
	unsigned char mac[6];
	uint32_t vlan, qos;
	uint16_t proto;			/* host order; 0: no IFLA_VF_VLAN_LIST */
	uint32_t min, max;
	bool legacy;			/* only IFLA_VF_TX_RATE (old kernel) */
	uint32_t spoofchk, link_state, rss, trust;
};

static void put_vf(struct nl_msg *msg, const struct kvf *k)
{
	struct nlattr *info, *vl, *stats;
	struct ifla_vf_mac mac = { .vf = k->vf };
	struct ifla_vf_broadcast bc;
	struct ifla_vf_vlan vlan = { .vf = k->vf, .vlan = k->vlan, .qos = k->qos };
	struct ifla_vf_rate rate = { .vf = k->vf, .min_tx_rate = k->min, .max_tx_rate = k->max };
	struct ifla_vf_tx_rate txr = { .vf = k->vf, .rate = k->max };
	struct ifla_vf_spoofchk sp = { .vf = k->vf, .setting = k->spoofchk };
	struct ifla_vf_link_state ls = { .vf = k->vf, .link_state = k->link_state };
	struct ifla_vf_rss_query_en rq = { .vf = k->vf, .setting = k->rss };
	struct ifla_vf_trust tr = { .vf = k->vf, .setting = k->trust };
	struct ifla_vf_vlan_info vi = {
		.vf = k->vf, .vlan = k->vlan, .qos = k->qos, .vlan_proto = htons(k->proto),
	};

	memcpy(mac.mac, k->mac, 6);
	memset(&bc, 0xff, sizeof(bc));
	info = nla_nest_start(msg, IFLA_VF_INFO);
	assert_non_null(info);
	assert_int_equal(nla_put(msg, IFLA_VF_MAC, sizeof(mac), &mac), 0);
	assert_int_equal(nla_put(msg, IFLA_VF_BROADCAST, sizeof(bc), &bc), 0);
	assert_int_equal(nla_put(msg, IFLA_VF_VLAN, sizeof(vlan), &vlan), 0);
	if (!k->legacy)
		assert_int_equal(nla_put(msg, IFLA_VF_RATE, sizeof(rate), &rate), 0);
	assert_int_equal(nla_put(msg, IFLA_VF_TX_RATE, sizeof(txr), &txr), 0);
	assert_int_equal(nla_put(msg, IFLA_VF_SPOOFCHK, sizeof(sp), &sp), 0);
	assert_int_equal(nla_put(msg, IFLA_VF_LINK_STATE, sizeof(ls), &ls), 0);
	assert_int_equal(nla_put(msg, IFLA_VF_RSS_QUERY_EN, sizeof(rq), &rq), 0);
	assert_int_equal(nla_put(msg, IFLA_VF_TRUST, sizeof(tr), &tr), 0);
	if (k->proto) {
		vl = nla_nest_start(msg, IFLA_VF_VLAN_LIST);
		assert_int_equal(nla_put(msg, IFLA_VF_VLAN_INFO, sizeof(vi), &vi), 0);
		nla_nest_end(msg, vl);
	}
	stats = nla_nest_start(msg, IFLA_VF_STATS);
	assert_int_equal(nla_put_u64(msg, IFLA_VF_STATS_RX_PACKETS, 12345), 0);
	nla_nest_end(msg, stats);
	nla_nest_end(msg, info);
}

static struct nl_msg *newlink(int ifindex, const char *name, int num_vf,
			      const struct kvf *vfs, int n)
{
	static const unsigned char pfmac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex };
	/* Room for many VFs (libnl's default is a page). */
	struct nl_msg *msg = nlmsg_alloc_size(65536);
	struct nlattr *list;

	assert_non_null(msg);
	assert_non_null(nlmsg_put(msg, 0, 0, RTM_NEWLINK, 0, 0));
	assert_int_equal(nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO), 0);
	assert_int_equal(nla_put_string(msg, IFLA_IFNAME, name), 0);
	assert_int_equal(nla_put_u32(msg, IFLA_MTU, 1500), 0);
	assert_int_equal(nla_put(msg, IFLA_ADDRESS, 6, pfmac), 0);
	if (num_vf >= 0)
		assert_int_equal(nla_put_u32(msg, IFLA_NUM_VF, (uint32_t)num_vf), 0);
	if (vfs) {
		list = nla_nest_start(msg, IFLA_VFINFO_LIST);
		for (int i = 0; i < n; i++)
			put_vf(msg, &vfs[i]);
		nla_nest_end(msg, list);
	}
	return msg;
}

static struct pt_vf_link *parse_ok(struct nl_msg *msg)
{
	struct pt_vf_link *l = NULL;
	char err[256] = "";
	int r = pt__vf_parse_link(nlmsg_hdr(msg), &l, err, sizeof(err));

	if (r)
		print_error("parse: %d %s\n", r, err);
	assert_int_equal(r, 0);
	assert_non_null(l);
	return l;
}

static void test_parse_reply(void **state)
{
	const struct kvf vfs[] = {
		/* reported out of order: the parser sorts */
		{ .vf = 2, .mac = { 0x02, 0, 0, 0, 0, 2 }, .vlan = 100, .qos = 3,
		  .proto = ETH_P_8021AD, .min = 10, .max = 1000, .spoofchk = 0,
		  .link_state = IFLA_VF_LINK_STATE_DISABLE, .rss = 1, .trust = 1 },
		{ .vf = 0, .mac = { 0x02, 0, 0, 0, 0, 0 }, .vlan = 0, .qos = 0,
		  .proto = ETH_P_8021Q, .min = 0, .max = 0, .spoofchk = 1,
		  .link_state = IFLA_VF_LINK_STATE_AUTO, .rss = 0, .trust = 0 },
		/* a driver without trust/rss/spoofchk support reports -1 */
		{ .vf = 1, .mac = { 0xde, 0xad, 0xbe, 0xef, 0, 1 }, .vlan = 7, .qos = 0,
		  .proto = 0, .min = 0, .max = 300, .spoofchk = UINT32_MAX,
		  .link_state = IFLA_VF_LINK_STATE_ENABLE, .rss = UINT32_MAX,
		  .trust = UINT32_MAX },
	};
	static const unsigned char mac2[6] = { 0x02, 0, 0, 0, 0, 2 };
	struct nl_msg *msg = newlink(5, "enp3s0f0", 3, vfs, 3);
	struct pt_vf_link *l = parse_ok(msg);
	const struct pt_vf_state *v;

	(void)state;
	assert_int_equal(l->ifindex, 5);
	assert_string_equal(l->name, "enp3s0f0");
	assert_int_equal(l->num_vf, 3);
	assert_int_equal(l->n_vfs, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(l->vfs[i].vf, i);

	v = pt__vf_link_find(l, 2);
	assert_non_null(v);
	assert_int_equal(v->mac_len, 6);
	assert_memory_equal(v->mac, mac2, 6);
	assert_int_equal(v->s.vlan, 100);
	assert_int_equal(v->s.qos, 3);
	assert_int_equal(v->s.vlan_proto, ETH_P_8021AD);
	assert_int_equal(v->s.min_tx_rate, 10);
	assert_int_equal(v->s.max_tx_rate, 1000);
	assert_false(v->legacy_rate);
	assert_int_equal(v->s.spoofchk, 0);
	assert_int_equal(v->s.link_state, IFLA_VF_LINK_STATE_DISABLE);
	assert_int_equal(v->s.query_rss, 1);
	assert_int_equal(v->s.trust, 1);

	v = pt__vf_link_find(l, 0);
	assert_non_null(v);
	assert_int_equal(v->s.vlan, 0);
	assert_int_equal(v->s.vlan_proto, ETH_P_8021Q);
	assert_int_equal(v->s.spoofchk, 1);
	assert_int_equal(v->s.trust, 0);
	assert_int_equal(v->s.query_rss, 0);
	assert_int_equal(v->s.link_state, IFLA_VF_LINK_STATE_AUTO);

	v = pt__vf_link_find(l, 1);
	assert_non_null(v);
	assert_int_equal(v->mac[0], 0xde);
	assert_int_equal(v->s.vlan, 7);
	assert_int_equal(v->s.vlan_proto, 0);	/* no IFLA_VF_VLAN_LIST */
	assert_int_equal(v->s.max_tx_rate, 300);
	assert_int_equal(v->s.spoofchk, -1);
	assert_int_equal(v->s.trust, -1);
	assert_int_equal(v->s.query_rss, -1);
	assert_int_equal(v->s.link_state, IFLA_VF_LINK_STATE_ENABLE);

	assert_null(pt__vf_link_find(l, 3));
	assert_null(pt__vf_link_find(l, -1));
	pt__vf_link_free(l);
	nlmsg_free(msg);
}

static void test_parse_reply_legacy_and_empty(void **state)
{
	const struct kvf old[] = {
		{ .vf = 0, .vlan = 5, .max = 400, .legacy = true, .spoofchk = 1,
		  .link_state = 0, .rss = 0, .trust = 0 },
	};
	struct nl_msg *msg;
	struct pt_vf_link *l;

	(void)state;
	msg = newlink(8, "eth1", -1, old, 1);
	l = parse_ok(msg);
	assert_int_equal(l->num_vf, -1);
	assert_int_equal(l->n_vfs, 1);
	assert_true(l->vfs[0].legacy_rate);
	assert_int_equal(l->vfs[0].s.max_tx_rate, 400);
	assert_int_equal(l->vfs[0].s.min_tx_rate, -1);
	pt__vf_link_free(l);
	nlmsg_free(msg);

	/* A PF with SR-IOV off: IFLA_NUM_VF 0, no list. */
	msg = newlink(9, "eth2", 0, NULL, 0);
	l = parse_ok(msg);
	assert_int_equal(l->num_vf, 0);
	assert_int_equal(l->n_vfs, 0);
	assert_null(l->vfs);
	assert_null(pt__vf_link_find(l, 0));
	pt__vf_link_free(l);
	nlmsg_free(msg);
}

/* A reply with 64 VFs (grows the array several times). */
static void test_parse_reply_many(void **state)
{
	struct kvf vfs[64];
	struct nl_msg *msg;
	struct pt_vf_link *l;

	(void)state;
	for (int i = 0; i < 64; i++) {
		memset(&vfs[i], 0, sizeof(vfs[i]));
		vfs[i].vf = (uint32_t)(63 - i);
		vfs[i].vlan = (uint32_t)(100 + 63 - i);
		vfs[i].proto = ETH_P_8021Q;
		vfs[i].max = (uint32_t)(63 - i) * 10;
	}
	msg = newlink(3, "pf0", 64, vfs, 64);
	l = parse_ok(msg);
	assert_int_equal(l->n_vfs, 64);
	for (int i = 0; i < 64; i++) {
		assert_int_equal(l->vfs[i].vf, i);
		assert_int_equal(l->vfs[i].s.vlan, 100 + i);
		assert_int_equal(l->vfs[i].s.max_tx_rate, i * 10);
	}
	pt__vf_link_free(l);
	nlmsg_free(msg);
}

static void parse_fails(struct nl_msg *msg, const char *err_prefix)
{
	struct pt_vf_link *l = (struct pt_vf_link *)&l;
	char err[256] = "";

	assert_int_equal(pt__vf_parse_link(nlmsg_hdr(msg), &l, err, sizeof(err)), -EBADMSG);
	assert_null(l);
	if (strncmp(err, err_prefix, strlen(err_prefix)))
		fail_msg("error '%s' does not start with '%s'", err, err_prefix);
	nlmsg_free(msg);
}

static void test_parse_reply_malformed(void **state)
{
	const struct kvf twice[] = { { .vf = 1 }, { .vf = 1 } };
	struct ifinfomsg ifi = { .ifi_index = 4 };
	struct nlattr *list, *info;
	struct nl_msg *msg;

	(void)state;
	/* Not a link message. */
	msg = nlmsg_alloc_simple(RTM_NEWADDR, 0);
	assert_int_equal(nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO), 0);
	parse_fails(msg, "netlink message type 20 is not RTM_NEWLINK");

	/* Shorter than struct ifinfomsg. */
	msg = nlmsg_alloc_simple(RTM_NEWLINK, 0);
	assert_int_equal(nlmsg_append(msg, &ifi, 8, NLMSG_ALIGNTO), 0);
	parse_fails(msg, "RTM_NEWLINK shorter than its header");

	/* The same VF twice. */
	parse_fails(newlink(4, "eth0", 2, twice, 2), "vf 1 reported twice");

	/* IFLA_VF_RATE cut short. */
	msg = newlink(4, "eth0", 1, NULL, 0);
	list = nla_nest_start(msg, IFLA_VFINFO_LIST);
	info = nla_nest_start(msg, IFLA_VF_INFO);
	{
		uint32_t short_rate[2] = { 0, 100 };

		assert_int_equal(nla_put(msg, IFLA_VF_RATE, sizeof(short_rate),
					 short_rate), 0);
	}
	nla_nest_end(msg, info);
	nla_nest_end(msg, list);
	parse_fails(msg, "malformed IFLA_VF_INFO");

	/* An IFLA_VF_INFO that names no VF. */
	msg = newlink(4, "eth0", 1, NULL, 0);
	list = nla_nest_start(msg, IFLA_VFINFO_LIST);
	info = nla_nest_start(msg, IFLA_VF_INFO);
	assert_int_equal(nla_put_u32(msg, IFLA_VF_STATS, 0), 0);
	nla_nest_end(msg, info);
	nla_nest_end(msg, list);
	parse_fails(msg, "IFLA_VF_INFO without a VF index");

	/* A short IFLA_VF_VLAN_INFO inside the list. */
	msg = newlink(4, "eth0", 1, NULL, 0);
	list = nla_nest_start(msg, IFLA_VFINFO_LIST);
	info = nla_nest_start(msg, IFLA_VF_INFO);
	{
		struct ifla_vf_mac mac = { .vf = 0 };
		struct nlattr *vl;
		uint32_t v[2] = { 0, 5 };

		assert_int_equal(nla_put(msg, IFLA_VF_MAC, sizeof(mac), &mac), 0);
		vl = nla_nest_start(msg, IFLA_VF_VLAN_LIST);
		assert_int_equal(nla_put(msg, IFLA_VF_VLAN_INFO, sizeof(v), v), 0);
		nla_nest_end(msg, vl);
	}
	nla_nest_end(msg, info);
	nla_nest_end(msg, list);
	parse_fails(msg, "vf 0: short IFLA_VF_VLAN_INFO");
}

/* ---- acks --------------------------------------------------------------- */

static struct nl_msg *ack_msg(int error, uint16_t flags, const void *echo,
			      size_t echolen, const char *text)
{
	struct nl_msg *msg = nlmsg_alloc_simple(NLMSG_ERROR, flags);
	struct nlmsgerr e = { .error = error };

	assert_non_null(msg);
	e.msg.nlmsg_type = RTM_SETLINK;
	e.msg.nlmsg_len = (uint32_t)(NLMSG_HDRLEN + echolen);
	e.msg.nlmsg_seq = 77;
	assert_int_equal(nlmsg_append(msg, &e, sizeof(e), 0), 0);
	if (echolen)
		assert_int_equal(nlmsg_append(msg, (void *)echo, echolen, NLMSG_ALIGNTO), 0);
	if (text) {
		assert_int_equal(nla_put_string(msg, NLMSGERR_ATTR_MSG, text), 0);
		assert_int_equal(nla_put_u32(msg, NLMSGERR_ATTR_OFFS, 36), 0);
	}
	return msg;
}

static void test_ack(void **state)
{
	static const char echo[] = "0123456789abcdefghijklmnopq";	/* 28 bytes, unaligned 27+1 */
	struct nlmsghdr bad = { .nlmsg_len = NLMSG_HDRLEN, .nlmsg_type = NLMSG_ERROR };
	struct nl_msg *msg;
	char text[128];

	(void)state;
	/* Plain ack (the kernel caps it). */
	msg = ack_msg(0, NLM_F_CAPPED, NULL, 0, NULL);
	assert_int_equal(pt__vf_parse_ack(nlmsg_hdr(msg), text, sizeof(text)), 0);
	assert_string_equal(text, "");
	nlmsg_free(msg);

	/* Refusal with extended ack, capped. */
	msg = ack_msg(-EOPNOTSUPP, NLM_F_CAPPED | NLM_F_ACK_TLVS, NULL, 0,
		      "VF trust is not supported");
	assert_int_equal(pt__vf_parse_ack(nlmsg_hdr(msg), text, sizeof(text)), -EOPNOTSUPP);
	assert_string_equal(text, "VF trust is not supported");
	nlmsg_free(msg);

	/* Refusal echoing the request (no NETLINK_CAP_ACK): TLVs after it. */
	msg = ack_msg(-EINVAL, NLM_F_ACK_TLVS, echo, 27, "invalid vlan");
	assert_int_equal(pt__vf_parse_ack(nlmsg_hdr(msg), text, sizeof(text)), -EINVAL);
	assert_string_equal(text, "invalid vlan");
	nlmsg_free(msg);

	/* Refusal without TLVs (kernel before 4.12). */
	msg = ack_msg(-EBUSY, 0, echo, 16, NULL);
	assert_int_equal(pt__vf_parse_ack(nlmsg_hdr(msg), text, sizeof(text)), -EBUSY);
	assert_string_equal(text, "");
	nlmsg_free(msg);

	/* A small buffer truncates the text. */
	msg = ack_msg(-EPERM, NLM_F_CAPPED | NLM_F_ACK_TLVS, NULL, 0, "no permission here");
	assert_int_equal(pt__vf_parse_ack(nlmsg_hdr(msg), text, 6), -EPERM);
	assert_string_equal(text, "no pe");
	nlmsg_free(msg);

	/* Malformed: not an error message, too short, error out of range. */
	msg = nlmsg_alloc_simple(RTM_NEWLINK, 0);
	assert_int_equal(pt__vf_parse_ack(nlmsg_hdr(msg), text, sizeof(text)), -EBADMSG);
	nlmsg_free(msg);
	assert_int_equal(pt__vf_parse_ack(&bad, text, sizeof(text)), -EBADMSG);
	msg = ack_msg(5, 0, NULL, 0, NULL);
	assert_int_equal(pt__vf_parse_ack(nlmsg_hdr(msg), text, sizeof(text)), -EBADMSG);
	nlmsg_free(msg);
	/* TLVs said to follow an echo longer than the message. */
	msg = ack_msg(-EINVAL, NLM_F_ACK_TLVS, NULL, 0, NULL);
	((struct nlmsgerr *)nlmsg_data(nlmsg_hdr(msg)))->msg.nlmsg_len = 4096;
	assert_int_equal(pt__vf_parse_ack(nlmsg_hdr(msg), text, sizeof(text)), -EBADMSG);
	nlmsg_free(msg);
}

/* ---- drift -------------------------------------------------------------- */

static void drift_is(int vf, const struct pt_vf_settings *want,
		     const struct pt_vf_state *have, unsigned int want_parts,
		     const char *const *expect)
{
	unsigned int parts = 0xdead;
	char **lines = (char **)&lines;
	int n = pt__vf_drift(vf, want, have, &parts, &lines), i;

	for (i = 0; expect[i]; i++) {
		if (i >= n || strcmp(lines[i], expect[i]))
			fail_msg("line %d: got '%s', want '%s'", i,
				 i < n ? lines[i] : "(none)", expect[i]);
	}
	if (n != i)
		fail_msg("%d lines, want %d; extra: '%s'", n, i, lines[i]);
	if (!n)
		assert_null(lines);
	else
		assert_null(lines[n]);
	assert_int_equal(parts, want_parts);
	pt__vf_drift_free(lines);
}

static struct pt_vf_state observed(int vf)
{
	struct pt_vf_state st;

	memset(&st, 0, sizeof(st));
	st.vf = vf;
	st.mac_len = 6;
	st.s.vlan = 0;
	st.s.qos = 0;
	st.s.vlan_proto = ETH_P_8021Q;
	st.s.min_tx_rate = 0;
	st.s.max_tx_rate = 0;
	st.s.link_state = IFLA_VF_LINK_STATE_AUTO;
	st.s.spoofchk = 1;
	st.s.trust = 0;
	st.s.query_rss = 0;
	return st;
}

static void test_drift(void **state)
{
	struct pt_vf_settings want = unset();
	struct pt_vf_state have = observed(2);

	(void)state;
	/* Nothing wanted: no drift, whatever the VF is. */
	drift_is(2, &want, &have, 0, (const char *const[]){ NULL });

	set_ok(&want, "vlan", "100");
	drift_is(2, &want, &have, PT_VF_PART_VLAN,
		 (const char *const[]){ "vf 2: vlan is 0, want 100", NULL });
	have.s.vlan = 100;
	drift_is(2, &want, &have, 0, (const char *const[]){ NULL });

	/* Unset qos/proto are what the request sends: 0 and 802.1Q. */
	have.s.qos = 4;
	have.s.vlan_proto = ETH_P_8021AD;
	drift_is(2, &want, &have, PT_VF_PART_VLAN, (const char *const[]){
		 "vf 2: qos is 4, want 0",
		 "vf 2: vlan_proto is 802.1ad, want 802.1Q", NULL });
	set_ok(&want, "qos", "4");
	set_ok(&want, "vlan_proto", "802.1ad");
	drift_is(2, &want, &have, 0, (const char *const[]){ NULL });
	/* A kernel that does not report the protocol. */
	have.s.vlan_proto = 0;
	drift_is(2, &want, &have, PT_VF_PART_VLAN, (const char *const[]){
		 "vf 2: vlan_proto is not reported by the kernel, want 802.1ad", NULL });
	have.s.vlan_proto = 0x9100;
	drift_is(2, &want, &have, PT_VF_PART_VLAN, (const char *const[]){
		 "vf 2: vlan_proto is 0x9100, want 802.1ad", NULL });

	/* Untagged: the protocol does not matter unless asked for. */
	want = unset();
	set_ok(&want, "vlan", "0");
	have = observed(2);
	have.s.vlan_proto = ETH_P_8021AD;
	drift_is(2, &want, &have, 0, (const char *const[]){ NULL });

	/* Every other setting. */
	want = unset();
	have = observed(5);
	set_ok(&want, "min_tx_rate", "10");
	set_ok(&want, "max_tx_rate", "1000");
	set_ok(&want, "link_state", "disable");
	set_ok(&want, "spoofchk", "no");
	set_ok(&want, "trust", "yes");
	set_ok(&want, "query_rss", "yes");
	drift_is(5, &want, &have,
		 PT_VF_PART_RATE | PT_VF_PART_LINK_STATE | PT_VF_PART_SPOOFCHK |
		 PT_VF_PART_TRUST | PT_VF_PART_QUERY_RSS,
		 (const char *const[]){
			 "vf 5: min_tx_rate is 0, want 10",
			 "vf 5: max_tx_rate is 0, want 1000",
			 "vf 5: spoofchk is yes, want no",
			 "vf 5: link_state is auto, want disable",
			 "vf 5: query_rss is no, want yes",
			 "vf 5: trust is no, want yes", NULL });
	/* Only max differs: the rate part is resent, one line. */
	have.s.min_tx_rate = 10;
	have.s.max_tx_rate = 999;
	have.s.link_state = IFLA_VF_LINK_STATE_DISABLE;
	have.s.spoofchk = 0;
	have.s.trust = 1;
	have.s.query_rss = 1;
	drift_is(5, &want, &have, PT_VF_PART_RATE, (const char *const[]){
		 "vf 5: max_tx_rate is 999, want 1000", NULL });

	/* What the driver does not report. */
	have = observed(1);
	have.s.trust = -1;
	have.s.query_rss = -1;
	have.s.link_state = 7;
	have.s.min_tx_rate = -1;
	want = unset();
	set_ok(&want, "trust", "no");
	set_ok(&want, "query_rss", "no");
	set_ok(&want, "link_state", "enable");
	set_ok(&want, "min_tx_rate", "0");
	set_ok(&want, "vlan", "3");
	have.s.vlan = -1;
	drift_is(1, &want, &have,
		 PT_VF_PART_VLAN | PT_VF_PART_RATE | PT_VF_PART_LINK_STATE |
		 PT_VF_PART_QUERY_RSS | PT_VF_PART_TRUST,
		 (const char *const[]){
			 "vf 1: vlan is not reported by the driver, want 3",
			 "vf 1: min_tx_rate is not reported by the driver, want 0",
			 "vf 1: link_state is 7, want enable",
			 "vf 1: query_rss is not reported by the driver, want no",
			 "vf 1: trust is not reported by the driver, want no", NULL });
	have.s.link_state = -1;
	want = unset();
	set_ok(&want, "link_state", "auto");
	drift_is(1, &want, &have, PT_VF_PART_LINK_STATE, (const char *const[]){
		 "vf 1: link_state is not reported by the driver, want auto", NULL });

	/* A VF the PF does not report at all. */
	drift_is(9, &want, NULL, PT_VF_PART_LINK_STATE, (const char *const[]){
		 "vf 9: not reported by the PF", NULL });
	want = unset();
	drift_is(9, &want, NULL, 0, (const char *const[]){ NULL });
}

/* Drift read back from a parsed reply: the loop apply will run. */
static void test_drift_from_reply(void **state)
{
	const struct kvf vfs[] = {
		{ .vf = 0, .vlan = 100, .qos = 0, .proto = ETH_P_8021Q, .max = 1000,
		  .spoofchk = 0, .trust = 1 },
		{ .vf = 1, .vlan = 0, .qos = 0, .proto = ETH_P_8021Q, .max = 0,
		  .spoofchk = 1, .trust = 0 },
	};
	struct nl_msg *msg = newlink(5, "eth0", 2, vfs, 2);
	struct pt_vf_link *l = parse_ok(msg);
	struct pt_vf_settings want = unset();
	char **lines;
	unsigned int parts;

	(void)state;
	set_ok(&want, "vlan", "100");
	set_ok(&want, "max_tx_rate", "1000");
	set_ok(&want, "spoofchk", "no");
	set_ok(&want, "trust", "yes");
	assert_int_equal(pt__vf_drift(0, &want, pt__vf_link_find(l, 0), &parts, &lines), 0);
	assert_null(lines);
	assert_int_equal(parts, 0);
	assert_int_equal(pt__vf_drift(1, &want, pt__vf_link_find(l, 1), &parts, &lines), 4);
	assert_string_equal(lines[0], "vf 1: vlan is 0, want 100");
	assert_string_equal(lines[1], "vf 1: max_tx_rate is 0, want 1000");
	assert_string_equal(lines[2], "vf 1: spoofchk is yes, want no");
	assert_string_equal(lines[3], "vf 1: trust is no, want yes");
	assert_int_equal(parts, PT_VF_PART_VLAN | PT_VF_PART_RATE |
			 PT_VF_PART_SPOOFCHK | PT_VF_PART_TRUST);
	pt__vf_drift_free(lines);
	pt__vf_link_free(l);
	nlmsg_free(msg);
}

/* ---- the VF MAC (IFLA_VF_MAC) ---------------------------------------------- */

static void test_mac_text(void **state)
{
	static const char *const bad[] = {
		"", "02:6c:4b:d2:69", "02:6c:4b:d2:69:a0:", "02-6c-4b-d2-69-a0",
		"02:6c:4b:d2:69:g0", " 2:6c:4b:d2:69:a0", "02:6c:4b:d2:69:+a", "026c4bd269a0ffff1",
	};
	unsigned char m[6];
	char text[18];

	(void)state;
	assert_int_equal(pt__vf_mac_parse("02:6c:4b:d2:69:a0", m), 0);
	assert_int_equal(m[0], 0x02);
	assert_int_equal(m[5], 0xa0);
	pt__vf_mac_format(m, text);
	assert_string_equal(text, "02:6c:4b:d2:69:a0");
	assert_int_equal(pt__vf_mac_parse("DE:AD:BE:EF:00:01", m), 0);
	pt__vf_mac_format(m, text);
	assert_string_equal(text, "de:ad:be:ef:00:01");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(pt__vf_mac_parse(bad[i], m), -EINVAL);
	assert_int_equal(pt__vf_mac_parse(NULL, m), -EINVAL);
}

static void test_set_mac(void **state)
{
	static const unsigned char mac[6] = { 0x02, 0x6c, 0x4b, 0xd2, 0x69, 0xa0 };
	struct nlattr *vt[IFLA_VF_MAX + 1];
	struct ifla_vf_mac *v;
	struct nl_msg *msg = NULL;
	char err[256] = "";
	int types[16];

	(void)state;
	/* as ip link set DEV vf 5 mac MAC: one IFLA_VF_MAC {vf, mac[32]} */
	assert_int_equal(pt__vf_build_set_mac(9, 5, mac, &msg, err, sizeof(err)), 0);
	assert_int_equal(open_set(msg, 9, vt, types), 1);
	assert_int_equal(types[0], IFLA_VF_MAC);
	v = attr_exact(vt[IFLA_VF_MAC], sizeof(*v));
	assert_int_equal(v->vf, 5);
	assert_memory_equal(v->mac, mac, 6);
	for (size_t i = 6; i < sizeof(v->mac); i++)
		assert_int_equal(v->mac[i], 0);
	nlmsg_free(msg);

	msg = (struct nl_msg *)&msg;
	assert_int_equal(pt__vf_build_set_mac(0, 5, mac, &msg, err, sizeof(err)), -EINVAL);
	assert_null(msg);
	assert_string_equal(err, "invalid PF ifindex 0 or VF index 5");
	assert_int_equal(pt__vf_build_set_mac(3, -1, mac, &msg, err, sizeof(err)), -EINVAL);
}

/* On a fixture tree the MAC step is planned, shown, and skipped with a note. */
static void test_plan_mac_fixture(void **state)
{
	static const unsigned char mac[6] = { 0x02, 0, 0, 0, 0, 7 };
	char *root = tu_mkdtemp();
	struct pt_ctx *ctx;
	struct pt_plan *p;
	unsigned char got[6];
	char err[512] = "";

	(void)state;
	assert_int_equal(pt_new(&ctx), 0);
	assert_int_equal(pt_set_sysfs_root(ctx, root), 0);
	assert_int_equal(pt__plan_new(ctx, "web", "start", "VM 'web'", 0, &p), 0);
	assert_int_equal(pt__vf_plan_mac(p, "0000:04:00.0", "enp4s0f0", 2, mac, NULL,
					 "set the MAC"), 0);
	assert_int_equal(pt__vf_plan_mac(p, "0000:04:00.0", "", 2, mac, NULL, "x"), -EINVAL);
	assert_int_equal(pt__vf_plan_mac(p, "0000:04:00.0", "enp4s0f0", -1, mac, NULL, "x"),
			 -EINVAL);
	assert_int_equal(pt_plan_get_num_steps(p), 1);
	assert_string_equal(pt_step_get_kind(pt_plan_get_step(p, 0)), "netlink");
	assert_string_equal(pt_step_get_target(pt_plan_get_step(p, 0)), "enp4s0f0 vf 2");
	assert_string_equal(pt_step_get_value(pt_plan_get_step(p, 0)), "mac 02:00:00:00:00:07");
	/* reading the MAC needs the running kernel */
	assert_int_equal(pt__vf_plan_read_mac(p, "enp4s0f0", 2, got, err, sizeof(err)),
			 -EOPNOTSUPP);
	assert_int_equal(pt_plan_execute(p), 0);
	assert_string_equal(pt_step_get_status(pt_plan_get_step(p, 0)), "skipped");
	assert_int_equal(pt_plan_get_num_notes(p), 1);
	assert_non_null(strstr(pt_plan_get_note(p, 0), "a VF MAC goes to the running kernel only"));
	pt_plan_free(p);
	pt_unref(ctx);
	tu_rmtree(root);
	free(root);
}

/* ---- the socket stays closed off the running system ---------------------- */

static void test_not_live(void **state)
{
	char *root = tu_mkdtemp();
	struct pt_vf_nl *nl = (struct pt_vf_nl *)&nl;
	struct pt_ctx *ctx;
	char err[512] = "", expect[1024];

	(void)state;
	assert_int_equal(pt_new(&ctx), 0);
	assert_int_equal(pt_set_sysfs_root(ctx, root), 0);
	assert_false(pt_is_live(ctx));
	assert_int_equal(pt__vf_nl_open(ctx, &nl, err, sizeof(err)), -EOPNOTSUPP);
	assert_null(nl);
	snprintf(expect, sizeof(expect), "VF settings are changed over netlink on the "
		 "running system only; sysfs root %s / proc root /proc are not it", root);
	assert_string_equal(err, expect);
	pt__vf_nl_close(NULL);
	pt_unref(ctx);
	tu_rmtree(root);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settings_set),
		cmocka_unit_test(test_settings_invalid),
		cmocka_unit_test(test_settings_check),
		cmocka_unit_test(test_keys_match_group_table),
		cmocka_unit_test(test_from_group),
		cmocka_unit_test(test_set_vlan),
		cmocka_unit_test(test_set_vlan_8021ad),
		cmocka_unit_test(test_set_rate),
		cmocka_unit_test(test_set_single),
		cmocka_unit_test(test_set_all),
		cmocka_unit_test(test_set_invalid),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_get_request),
		cmocka_unit_test(test_parse_reply),
		cmocka_unit_test(test_parse_reply_legacy_and_empty),
		cmocka_unit_test(test_parse_reply_many),
		cmocka_unit_test(test_parse_reply_malformed),
		cmocka_unit_test(test_ack),
		cmocka_unit_test(test_drift),
		cmocka_unit_test(test_drift_from_reply),
		cmocka_unit_test(test_not_live),
		cmocka_unit_test(test_mac_text),
		cmocka_unit_test(test_set_mac),
		cmocka_unit_test(test_plan_mac_fixture),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
