// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * rtnetlink through libnl-route-3: link state of the running system's
 * network interfaces. One RTM_GETLINK dump fills a cache on first use.
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "private.h"

static int link_cache(struct pt_ctx *ctx)
{
	int r;

	if (ctx->link_cache)
		return 0;
	if (ctx->link_cache_tried)
		return -ENOTCONN;
	ctx->link_cache_tried = true;
	ctx->nl = nl_socket_alloc();
	if (!ctx->nl)
		return -ENOMEM;
	r = nl_connect(ctx->nl, NETLINK_ROUTE);
	if (r < 0)
		goto fail;
	r = rtnl_link_alloc_cache(ctx->nl, AF_UNSPEC, &ctx->link_cache);
	if (r < 0)
		goto fail;
	return 0;
fail:
	dbg(ctx, "rtnetlink: %s\n", nl_geterror(r));
	nl_socket_free(ctx->nl);
	ctx->nl = NULL;
	return -ENOTCONN;
}

int pt__netlink_fill_link(struct pt_ctx *ctx, struct pt_netdev *nd)
{
	struct rtnl_link *link;
	struct nl_addr *addr;
	char buf[64];
	int r = link_cache(ctx);

	if (r < 0)
		return r;
	link = rtnl_link_get_by_name(ctx->link_cache, nd->name);
	if (!link)
		return -ENODEV;
	rtnl_link_operstate2str(rtnl_link_get_operstate(link), buf, sizeof(buf));
	nd->operstate = strdup(buf);
	nd->mtu = (int)rtnl_link_get_mtu(link);
	addr = rtnl_link_get_addr(link);
	if (addr && nl_addr_get_len(addr) == 6) {
		const unsigned char *a = nl_addr_get_binary_addr(addr);

		if (asprintf(&nd->address, "%02x:%02x:%02x:%02x:%02x:%02x",
			     a[0], a[1], a[2], a[3], a[4], a[5]) < 0)
			nd->address = NULL;
	}
	rtnl_link_put(link);
	return nd->operstate ? 0 : -ENOMEM;
}

void pt__netlink_free(struct pt_ctx *ctx)
{
	if (ctx->link_cache)
		nl_cache_free(ctx->link_cache);
	ctx->link_cache = NULL;
	if (ctx->nl)
		nl_socket_free(ctx->nl);
	ctx->nl = NULL;
	ctx->link_cache_tried = false;
}
