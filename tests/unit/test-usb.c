// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * usb.c enumerates with libusb from the running system. Fixture sysfs
 * trees cannot feed libusb, so:
 *  - without umockdev: a foreign sysfs root gives no USB devices (libusb
 *    would list the running host's), and the running host is enumerated
 *    without failing, whatever it has;
 *  - under umockdev-run with tests/usb/host.umockdev (PT_TEST_USB_HOST=1,
 *    registered by tests/usb/CMakeLists.txt): the objects themselves, as
 *    the library hands them out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"
#include "testutil.h"

static bool under_umockdev(void)
{
	const char *e = getenv("PT_TEST_USB_HOST");

	return e && !strcmp(e, "1");
}

static void test_not_live(void **state)
{
	char *root = tu_mkdtemp(), dir[300];
	struct pt_ctx *ctx;

	(void)state;
	tu_mkdir(root, "sys/bus/usb/devices");
	snprintf(dir, sizeof(dir), "%s/sys", root);
	assert_int_equal(pt_new(&ctx), 0);
	pt_set_log_priority(ctx, 0);
	assert_int_equal(pt_set_sysfs_root(ctx, dir), 0);
	assert_false(pt_is_live(ctx));
	assert_null(pt_usb_dev_get_first(ctx));
	pt_unref(ctx);
	tu_rmtree(root);
	free(root);
}

/* Whatever this host has (often nothing): a sorted list, no failure. */
static void test_live_host(void **state)
{
	struct pt_usb_dev *u, *prev = NULL;
	struct pt_ctx *ctx;

	(void)state;
	assert_int_equal(pt_new(&ctx), 0);
	pt_set_log_priority(ctx, 0);
	pt_usb_dev_foreach(ctx, u) {
		assert_non_null(pt_usb_dev_get_name(u));
		assert_true(pt_usb_dev_get_busnum(u) > 0);
		if (prev)
			assert_true(pt_usb_dev_get_busnum(prev) <= pt_usb_dev_get_busnum(u));
		prev = u;
	}
	pt_unref(ctx);
}

static struct pt_usb_dev *by_name(struct pt_ctx *ctx, const char *name)
{
	struct pt_usb_dev *u;

	pt_usb_dev_foreach(ctx, u)
		if (!strcmp(pt_usb_dev_get_name(u), name))
			return u;
	return NULL;
}

static void test_fixture_devices(void **state)
{
	static const char *const order[] = {
		"usb1", "1-2", "1-4", "1-4.1", "1-4.3", "1-4.4", "1-10",
		"usb2", "2-1", "usb3", "usb4", "4-1", "4-2",
	};
	struct pt_usb_dev *u;
	struct pt_ctx *ctx;
	size_t i = 0;

	(void)state;
	if (!under_umockdev())
		skip();
	assert_int_equal(pt_new(&ctx), 0);
	pt_set_log_priority(ctx, 0);
	/* sorted by bus, then numerically by port path: 1-4.4 before 1-10 */
	pt_usb_dev_foreach(ctx, u) {
		assert_true(i < sizeof(order) / sizeof(order[0]));
		assert_string_equal(pt_usb_dev_get_name(u), order[i]);
		i++;
	}
	assert_int_equal(i, sizeof(order) / sizeof(order[0]));

	/* three keys with one vendor:product, told apart by serial and port */
	u = by_name(ctx, "1-4.3");
	assert_non_null(u);
	assert_int_equal(pt_usb_dev_get_vendor_id(u), 0x1050);
	assert_int_equal(pt_usb_dev_get_product_id(u), 0x0407);
	assert_string_equal(pt_usb_dev_get_serial(u), "16612003");
	assert_string_equal(pt_usb_dev_get_port_path(u), "4.3");
	assert_int_equal(pt_usb_dev_get_busnum(u), 1);
	assert_true(pt_usb_dev_get_speed(u) == 12.0);
	assert_string_equal(pt_usb_dev_get_usb_version(u), "2.00");
	assert_int_equal(pt_usb_dev_get_num_interfaces(u), 3);
	assert_string_equal(pt_usb_dev_get_interface_driver(u, 0), "usbhid");
	assert_null(pt_usb_dev_get_interface_driver(u, 2));
	assert_false(pt_usb_dev_is_hub(u));
	assert_string_equal(pt_pci_dev_get_bdf(pt_usb_dev_get_controller(u)), "0000:00:14.0");
	assert_string_equal(pt_usb_dev_get_serial(by_name(ctx, "1-2")), "16612001");
	assert_string_equal(pt_usb_dev_get_serial(by_name(ctx, "1-4.1")), "16612002");

	/* a root hub: port path "0", interfaces named <bus>-0:<cfg>.<if> */
	u = by_name(ctx, "usb4");
	assert_non_null(u);
	assert_true(pt_usb_dev_is_hub(u));
	assert_string_equal(pt_usb_dev_get_port_path(u), "0");
	assert_string_equal(pt_usb_dev_get_interface_driver(u, 0), "hub");
	assert_true(pt_usb_dev_get_speed(u) == 20000.0);
	assert_string_equal(pt_pci_dev_get_bdf(pt_usb_dev_get_controller(u)), "0000:3b:00.0");

	/* no serial: NULL; low speed */
	u = by_name(ctx, "1-10");
	assert_null(pt_usb_dev_get_serial(u));
	assert_true(pt_usb_dev_get_speed(u) == 1.5);
	pt_unref(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_live),
		cmocka_unit_test(test_live_host),
		cmocka_unit_test(test_fixture_devices),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
