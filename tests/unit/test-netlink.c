// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * netlink.c asks the running kernel (rtnetlink through libnl) for link
 * state, so only what every Linux host has can be checked here: an
 * interface that does not exist, and the loopback device. Skipped where
 * no NETLINK_ROUTE socket can be opened (some sandboxes).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>

#include "private.h"
#include "testutil.h"

static bool netlink_available(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static void nd_clear(struct pt_netdev *nd)
{
	free(nd->operstate);
	free(nd->address);
	memset(nd, 0, sizeof(*nd));
}

static void test_no_such_link(void **state)
{
	struct pt_netdev nd = { .name = (char *)"pt-nosuch0", .mtu = -1 };
	struct pt_ctx *ctx;
	int r;

	(void)state;
	assert_int_equal(pt_new(&ctx), 0);
	pt_set_log_priority(ctx, 0);
	r = pt__netlink_fill_link(ctx, &nd);
	if (netlink_available()) {
		assert_int_equal(r, -ENODEV);
		assert_non_null(ctx->link_cache);
	} else {
		assert_int_equal(r, -ENOTCONN);
	}
	/* nothing filled in */
	assert_null(nd.operstate);
	assert_null(nd.address);
	assert_int_equal(nd.mtu, -1);
	pt_unref(ctx);
}

static void test_loopback(void **state)
{
	struct pt_netdev nd = { .name = (char *)"lo", .mtu = -1 };
	struct pt_ctx *ctx;

	(void)state;
	if (!netlink_available())
		skip();
	assert_int_equal(pt_new(&ctx), 0);
	pt_set_log_priority(ctx, 0);
	assert_int_equal(pt__netlink_fill_link(ctx, &nd), 0);
	assert_string_equal(nd.operstate, "unknown");
	assert_int_equal(nd.mtu, 65536);
	/* a 6-byte all-zero hardware address */
	assert_string_equal(nd.address, "00:00:00:00:00:00");
	nd_clear(&nd);

	/* the cache is reused; a new root drops it with the rest */
	nd.name = (char *)"lo";
	assert_non_null(ctx->link_cache);
	assert_int_equal(pt__netlink_fill_link(ctx, &nd), 0);
	nd_clear(&nd);
	assert_int_equal(pt_set_proc_root(ctx, "/proc"), 0);
	assert_null(ctx->link_cache);
	assert_null(ctx->nl);
	assert_false(ctx->link_cache_tried);
	nd.name = (char *)"lo";
	assert_int_equal(pt__netlink_fill_link(ctx, &nd), 0);
	assert_string_equal(nd.operstate, "unknown");
	nd_clear(&nd);
	pt_unref(ctx);
}

static void test_failed_once(void **state)
{
	struct pt_netdev nd = { .name = (char *)"lo", .mtu = -1 };
	struct pt_ctx *ctx;

	(void)state;
	/* after a failed connect the socket is not tried again */
	assert_int_equal(pt_new(&ctx), 0);
	pt_set_log_priority(ctx, 0);
	ctx->link_cache_tried = true;
	assert_int_equal(pt__netlink_fill_link(ctx, &nd), -ENOTCONN);
	assert_null(nd.operstate);
	assert_null(ctx->nl);
	pt_unref(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_such_link),
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_failed_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
