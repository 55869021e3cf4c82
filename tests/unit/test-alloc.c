// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * alloc.c: the allocator's decisions over plain units. Free units only;
 * the VM's NUMA node first (or only, when strict); pack and spread over
 * pools; BDF order for ties; counts above what is free refused with
 * nothing changed and the reasons named; capacity > 1 (mdev parents).
 * Also the stable identities of lease.c: UUIDs and MACs from names.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "testutil.h"

#define U(k_, pool_, node_) { .key = (k_), .pool = (pool_), .numa_node = (node_), .capacity = 1 }

static int pick(struct pt__unit *u, size_t n, struct pt__alloc_req rq, int *picked,
		char *why, size_t whylen)
{
	int scratch[64];

	assert_true(n <= 64);
	return pt__alloc_pick(u, n, &rq, picked, scratch, why, whylen);
}

static struct pt__alloc_req req(int count)
{
	struct pt__alloc_req r = { .count = count, .numa_node = PT_NO_NUMA_NODE };

	return r;
}

static void test_bdf_order(void **state)
{
	struct pt__unit u[] = {
		U("0000:05:00.0", -1, 0), U("0000:01:00.0", -1, 0), U("0000:03:00.0", -1, 0),
	};
	int p[2];

	(void)state;
	assert_int_equal(pick(u, 3, req(2), p, NULL, 0), 0);
	assert_string_equal(u[p[0]].key, "0000:01:00.0");
	assert_string_equal(u[p[1]].key, "0000:03:00.0");
	assert_int_equal(u[1].capacity, 0);
	assert_int_equal(u[0].capacity, 1);
}

static void test_blocked_and_refusal(void **state)
{
	struct pt__unit u[] = {
		U("0000:01:00.0", -1, 0), U("0000:02:00.0", -1, 0), U("0000:03:00.0", -1, 0),
	};
	char why[256];
	int p[3];

	(void)state;
	u[0].blocked = "leased to VM 'a'";
	u[2].blocked = "host-critical (root file system)";
	assert_int_equal(pick(u, 3, req(1), p, why, sizeof(why)), 0);
	assert_string_equal(u[p[0]].key, "0000:02:00.0");
	/* two more asked, none free: refused, nothing taken */
	assert_int_equal(pick(u, 3, req(2), p, why, sizeof(why)), -EBUSY);
	assert_non_null(strstr(why, "0 of 2 free"));
	assert_non_null(strstr(why, "0000:01:00.0: leased to VM 'a'"));
	assert_non_null(strstr(why, "0000:02:00.0: no capacity left"));
	assert_non_null(strstr(why, "host-critical"));
	assert_int_equal(u[0].capacity, 1);
	assert_int_equal(u[2].capacity, 1);
}

/*
 * vGPU, heterogeneous = no: one time-sliced profile per GPU. Units whose
 * GPU runs another profile are not free (and the refusal names it); the
 * GPU that runs the same profile, or none, is; heterogeneous = yes lifts
 * the rule.
 */
static void test_vgpu_one_profile(void **state)
{
	struct pt__unit u[] = {
		U("0000:43:00.4", 0, 0), U("0000:43:00.5", 0, 0),
		U("0000:44:00.4", 2, 0), U("0000:45:00.4", 3, 0),
	};
	struct pt__alloc_req rq = req(1);
	char why[256];
	int p[3];

	(void)state;
	u[0].runs_profile = u[1].runs_profile = "L40S-24Q";
	u[3].runs_profile = "L40S-8Q";
	rq.profile = "L40S-8Q";
	/* 43:00 runs 24Q: only 44:00 (nothing) and 45:00 (8Q) are free */
	rq.count = 3;
	assert_int_equal(pick(u, 4, rq, p, why, sizeof(why)), -EBUSY);
	assert_non_null(strstr(why, "2 of 3 free"));
	assert_non_null(strstr(why, "0000:43:00.4: its GPU runs L40S-24Q (heterogeneous = no)"));
	assert_int_equal(u[0].capacity, 1);
	rq.count = 2;
	assert_int_equal(pick(u, 4, rq, p, NULL, 0), 0);
	assert_string_equal(u[p[0]].key, "0000:44:00.4");
	assert_string_equal(u[p[1]].key, "0000:45:00.4");
	/* the same profile as the GPU runs is free */
	u[2].capacity = u[3].capacity = 1;
	rq.profile = "L40S-24Q";
	rq.count = 4;
	assert_int_equal(pick(u, 4, rq, p, why, sizeof(why)), -EBUSY);
	assert_non_null(strstr(why, "3 of 4 free: 0000:45:00.4: its GPU runs L40S-8Q"));
	rq.count = 3;
	assert_int_equal(pick(u, 4, rq, p, NULL, 0), 0);
	for (int i = 0; i < 3; i++)
		assert_string_not_equal(u[p[i]].key, "0000:45:00.4");
	/* heterogeneous = yes: any GPU */
	u[0].capacity = u[1].capacity = u[2].capacity = 1;
	rq.profile = "L40S-4Q";
	rq.heterogeneous = true;
	rq.count = 3;
	assert_int_equal(pick(u, 4, rq, p, NULL, 0), 0);
}

static void test_all_or_nothing(void **state)
{
	struct pt__unit u[] = { U("a", -1, 0), U("b", -1, 0) };
	int p[3];

	(void)state;
	assert_int_equal(pick(u, 2, req(3), p, NULL, 0), -EBUSY);
	assert_int_equal(u[0].capacity + u[1].capacity, 2);
	assert_int_equal(u[0].used + u[1].used, 0);
}

static void test_numa(void **state)
{
	struct pt__unit u[] = {
		U("0000:01:00.0", -1, 0), U("0000:81:00.0", -1, 1), U("0000:82:00.0", -1, 1),
	};
	struct pt__alloc_req rq = req(1);
	char why[256];
	int p[3];

	(void)state;
	rq.numa_node = 1;
	assert_int_equal(pick(u, 3, rq, p, NULL, 0), 0);
	assert_string_equal(u[p[0]].key, "0000:81:00.0");
	/* preferred, not required: the node-0 device after the node-1 ones */
	rq.count = 2;
	assert_int_equal(pick(u, 3, rq, p, NULL, 0), 0);
	assert_string_equal(u[p[0]].key, "0000:82:00.0");
	assert_string_equal(u[p[1]].key, "0000:01:00.0");
	/* strict: node 1 is used up */
	u[0].capacity = 1;
	u[0].used = 0;
	rq.count = 1;
	rq.numa_strict = true;
	assert_int_equal(pick(u, 3, rq, p, why, sizeof(why)), -EBUSY);
	assert_non_null(strstr(why, "on NUMA node 0, not 1 (numa_strict)"));
}

/* Two PFs: 04:00.0 with VFs 04:02.0-3 (pool 0), 07:00.0 with 07:00.2-3 (pool 4). */
static void pools(struct pt__unit *u)
{
	static const char *const keys[] = {
		"0000:04:02.0", "0000:04:02.1", "0000:04:02.2", "0000:04:02.3",
		"0000:07:00.2", "0000:07:00.3",
	};

	for (int i = 0; i < 6; i++) {
		memset(&u[i], 0, sizeof(u[i]));
		u[i].key = keys[i];
		u[i].pool = i < 4 ? 0 : 4;
		u[i].capacity = 1;
	}
}

static void test_pack_spread(void **state)
{
	struct pt__unit u[6];
	struct pt__alloc_req rq = req(3);
	int p[3];

	(void)state;
	/* pack, nothing taken: BDF order, and it stays on the first PF */
	pools(u);
	assert_int_equal(pick(u, 6, rq, p, NULL, 0), 0);
	assert_string_equal(u[p[0]].key, "0000:04:02.0");
	assert_string_equal(u[p[1]].key, "0000:04:02.1");
	assert_string_equal(u[p[2]].key, "0000:04:02.2");

	/* pack with the second PF used already: fill it first */
	pools(u);
	u[5].blocked = "leased to VM 'x'";
	u[5].used = 1;
	rq.count = 2;
	assert_int_equal(pick(u, 6, rq, p, NULL, 0), 0);
	assert_string_equal(u[p[0]].key, "0000:07:00.2");
	assert_string_equal(u[p[1]].key, "0000:04:02.0");

	/* spread: alternate between the PFs */
	pools(u);
	rq.placement = PT__PLACE_SPREAD;
	rq.count = 3;
	assert_int_equal(pick(u, 6, rq, p, NULL, 0), 0);
	assert_string_equal(u[p[0]].key, "0000:04:02.0");
	assert_string_equal(u[p[1]].key, "0000:07:00.2");
	assert_string_equal(u[p[2]].key, "0000:04:02.1");
}

static void test_capacity(void **state)
{
	/* two mdev parents: instances creatable now, instances taken */
	struct pt__unit u[] = {
		{ .key = "0000:02:00.0", .pool = 0, .numa_node = 0, .capacity = 3, .used = 1 },
		{ .key = "0000:03:00.0", .pool = 1, .numa_node = 0, .capacity = 4, .used = 0 },
	};
	struct pt__alloc_req rq = req(4);
	int p[8];

	(void)state;
	assert_int_equal(pick(u, 2, rq, p, NULL, 0), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(p[i], 0 + (i == 3));	/* pack: 02:00.0 until full */
	assert_int_equal(u[0].capacity, 0);
	assert_int_equal(u[1].capacity, 3);
	rq.count = 4;
	assert_int_equal(pick(u, 2, rq, p, NULL, 0), -EBUSY);
}

static void test_deterministic(void **state)
{
	struct pt__unit a[6], b[6];
	struct pt__alloc_req rq = req(4);
	int pa[4], pb[4];

	(void)state;
	pools(a);
	pools(b);
	rq.placement = PT__PLACE_SPREAD;
	assert_int_equal(pick(a, 6, rq, pa, NULL, 0), 0);
	assert_int_equal(pick(b, 6, rq, pb, NULL, 0), 0);
	assert_memory_equal(pa, pb, sizeof(pa));
}

static void test_stable_ids(void **state)
{
	char u1[37], u2[37], u3[37], m1[18], m2[18];

	(void)state;
	pt__stable_uuid("web", "t4", u1);
	pt__stable_uuid("web", "t4", u2);
	pt__stable_uuid("web", "t4.1", u3);
	assert_string_equal(u1, u2);
	assert_string_not_equal(u1, u3);
	assert_int_equal(strlen(u1), 36);
	assert_int_equal(u1[14], '5');		/* version 5 */
	assert_true(strchr("89ab", u1[19]) != NULL);	/* RFC 4122 variant */
	pt__stable_mac("web", "nic", 0, m1);
	pt__stable_mac("web", "nic", 1, m2);
	assert_string_not_equal(m1, m2);
	assert_int_equal(strlen(m1), 17);
	assert_memory_equal(m1, "02:", 3);	/* locally administered, unicast */
}

/* A lease names its process by pid and start time (proc(5) stat field 22,
 * in clock ticks since boot); it once read field 23, the size of the
 * process's memory, so a live VM whose memory grew looked gone to gc. */
static void test_pid_starttime(void **state)
{
	unsigned long long want = 0, got;
	char buf[1024], *p;
	FILE *f;
	void *grow;
	int field;

	(void)state;
	f = fopen("/proc/self/stat", "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	p = strrchr(buf, ')') + 2;	/* field 3 */
	for (field = 3; field < 22; field++)
		p = strchr(p, ' ') + 1;
	want = strtoull(p, NULL, 10);
	got = pt__pid_starttime(getpid());
	assert_int_equal(got, want);
	grow = malloc(64 << 20);	/* vsize changes, the start time does not */
	assert_non_null(grow);
	assert_int_equal(pt__pid_starttime(getpid()), want);
	assert_true(pt__lease_pid_alive(getpid(), want));
	assert_false(pt__lease_pid_alive(getpid(), want + 1));
	free(grow);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bdf_order),
		cmocka_unit_test(test_blocked_and_refusal),
		cmocka_unit_test(test_all_or_nothing),
		cmocka_unit_test(test_numa),
		cmocka_unit_test(test_pack_spread),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_vgpu_one_profile),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_stable_ids),
		cmocka_unit_test(test_pid_starttime),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
