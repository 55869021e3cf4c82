// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * USB devices. libusb-1.0 enumerates them and gives what the descriptors
 * say (ids, class, bcdUSB, speed, topology); the strings and the drivers
 * bound to the interfaces of the active configuration come from sysfs,
 * bus/usb/devices/<name>/ and its <name>:<cfg>.<intf>/driver links, the
 * way modern lsusb reads them. No device is ever opened: opening a usbfs
 * node resumes a suspended device, and reading string descriptors from the
 * device itself wakes it up too. Vendor and product names come from the
 * udev hwdb (usb.ids, compiled), the database lsusb uses.
 *
 * Live only: libusb has no notion of a sysfs root; it always lists the
 * running host's devices (through /dev/bus/usb, /sys and udev). Pairing
 * those with the strings of a captured tree under another root would
 * describe devices that are not there, so when the context's roots are
 * not the running system's (!pt_is_live()) the list is empty. Tests run
 * the real enumeration under umockdev, which redirects /sys and /dev for
 * the whole process and so keeps the roots at their live defaults.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libudev.h>
#include <libusb.h>

#include "private.h"

/* USB allows 7 tiers below the root hub; libusb_get_port_numbers() needs 7. */
#define USB_MAX_DEPTH	7

struct pt_usb_dev {
	struct pt_usb_dev *next;
	struct pt_ctx *ctx;
	/* "usb1" or "1-4.2"; "255-" and 7 ports of up to 3 digits fit */
	char name[40];
	char port_path[32];		/* "4.2", "0" for a root hub */
	uint8_t ports[USB_MAX_DEPTH];
	int n_ports;
	int busnum, devnum;
	uint16_t vendor_id, product_id;
	char *vendor_name, *product_name;
	char *manufacturer, *product, *serial;
	char *display_name;		/* built on first use */
	double speed;
	char usb_version[8];		/* "2.00" */
	uint8_t class;
	int n_intf;
	char **intf_driver;		/* n_intf entries, NULL where unbound */
	char controller[PT_BDF_LEN];	/* "" when not below a PCI function */
};

static void free_dev(struct pt_usb_dev *d)
{
	for (int i = 0; i < d->n_intf; i++)
		free(d->intf_driver[i]);
	free(d->intf_driver);
	free(d->vendor_name);
	free(d->product_name);
	free(d->manufacturer);
	free(d->product);
	free(d->serial);
	free(d->display_name);
	free(d);
}

void pt__usb_free(struct pt_ctx *ctx)
{
	struct pt_usb_dev *d, *n;

	for (d = ctx->usb_devs; d; d = n) {
		n = d->next;
		free_dev(d);
	}
	ctx->usb_devs = NULL;
	ctx->usb_scanned = false;
	if (ctx->usb)
		libusb_exit(ctx->usb);
	ctx->usb = NULL;
}

/* A string attribute; NULL when absent or empty (no string descriptor). */
static char *read_str_attr(int fd, const char *name)
{
	/* 126 UTF-16 code units of a string descriptor, as UTF-8 */
	char buf[512];

	return pt__sysfs_read(fd, name, buf, sizeof(buf)) > 0 ? strdup(buf) : NULL;
}

static double speed_mbps(enum libusb_speed s)
{
	switch (s) {
	case LIBUSB_SPEED_LOW:		return 1.5;
	case LIBUSB_SPEED_FULL:		return 12;
	case LIBUSB_SPEED_HIGH:		return 480;
	case LIBUSB_SPEED_SUPER:	return 5000;
	case LIBUSB_SPEED_SUPER_PLUS:	return 10000;
#if LIBUSB_API_VERSION >= 0x0100010A
	case LIBUSB_SPEED_SUPER_PLUS_X2: return 20000;
#endif
	default:			return 0;
	}
}

/* Name from the hwdb for a modalias, as lsusb does it; NULL when unknown. */
static char *hwdb_get(struct udev_hwdb *hwdb, const char *modalias,
		      const char *key)
{
	struct udev_list_entry *e;

	if (!hwdb)
		return NULL;
	udev_list_entry_foreach(e, udev_hwdb_get_properties_list_entry(hwdb, modalias, 0))
		if (!strcmp(udev_list_entry_get_name(e), key))
			return pt__strdup(udev_list_entry_get_value(e));
	return NULL;
}

static int fill_names(struct pt_usb_dev *d, struct udev_hwdb *hwdb)
{
	char alias[32];

	snprintf(alias, sizeof(alias), "usb:v%04X*", d->vendor_id);
	d->vendor_name = hwdb_get(hwdb, alias, "ID_VENDOR_FROM_DATABASE");
	snprintf(alias, sizeof(alias), "usb:v%04Xp%04X*", d->vendor_id,
		 d->product_id);
	d->product_name = hwdb_get(hwdb, alias, "ID_MODEL_FROM_DATABASE");
	return 0;
}

/*
 * Strings, the PCI controller and the interface drivers from
 * bus/usb/devices/<name>. The interfaces are those of the configuration
 * sysfs reports active; libusb supplies their numbers from the cached
 * descriptors (no device I/O).
 */
static int fill_sysfs(struct pt_usb_dev *d, libusb_device *ldev)
{
	struct pt_ctx *ctx = d->ctx;
	struct libusb_config_descriptor *conf = NULL;
	char rel[64], target[PATH_MAX];
	long cfg;
	int bfd, fd, r = 0;

	bfd = pt__sysfs_open_dir(ctx, "bus/usb/devices");
	if (bfd < 0) {
		dbg(ctx, "%s/bus/usb/devices: %s\n", ctx->sysfs_root, strerror(-bfd));
		return 0;
	}
	if (pt__sysfs_readlink(bfd, d->name, target, sizeof(target)) >= 0 &&
	    pt__sysfs_path_pci_ancestor(target, d->controller) < 0)
		d->controller[0] = '\0';
	fd = pt__sysfs_openat_dir(bfd, d->name);
	if (fd < 0) {
		dbg(ctx, "bus/usb/devices/%s: %s\n", d->name, strerror(-fd));
		close(bfd);
		return 0;
	}
	d->manufacturer = read_str_attr(fd, "manufacturer");
	d->product = read_str_attr(fd, "product");
	d->serial = read_str_attr(fd, "serial");

	/* empty while unconfigured: no interfaces then */
	if (pt__sysfs_read_long(fd, "bConfigurationValue", &cfg) < 0 ||
	    cfg < 0 || cfg > UINT8_MAX ||
	    libusb_get_config_descriptor_by_value(ldev, (uint8_t)cfg, &conf) < 0)
		goto out;
	d->intf_driver = calloc(conf->bNumInterfaces ? conf->bNumInterfaces : 1,
				sizeof(*d->intf_driver));
	if (!d->intf_driver) {
		r = -ENOMEM;
		goto out;
	}
	d->n_intf = conf->bNumInterfaces;
	for (int i = 0; i < d->n_intf; i++) {
		const struct libusb_interface *intf = &conf->interface[i];
		char drv[NAME_MAX + 1];
		int ifd;

		if (intf->num_altsetting < 1)
			continue;
		/* a root hub "usb1" names its interfaces "1-0:1.0" */
		if (d->n_ports == 0)
			snprintf(rel, sizeof(rel), "%d-0:%ld.%u", d->busnum, cfg,
				 intf->altsetting[0].bInterfaceNumber);
		else
			snprintf(rel, sizeof(rel), "%s:%ld.%u", d->name, cfg,
				 intf->altsetting[0].bInterfaceNumber);
		ifd = pt__sysfs_openat_dir(bfd, rel);
		if (ifd < 0)
			continue;
		if (pt__sysfs_readlink_base(ifd, "driver", drv, sizeof(drv)) > 0) {
			d->intf_driver[i] = strdup(drv);
			if (!d->intf_driver[i])
				r = -ENOMEM;
		}
		close(ifd);
	}
out:
	libusb_free_config_descriptor(conf);
	close(fd);
	close(bfd);
	return r;
}

/* Speed libusb could not name (libusb < 1.0.27 knows no 20 Gbit/s). */
static double sysfs_speed(struct pt_usb_dev *d)
{
	char rel[64], buf[32], *end;
	long v;
	int fd;

	snprintf(rel, sizeof(rel), "bus/usb/devices/%s", d->name);
	fd = pt__sysfs_open_dir(d->ctx, rel);
	if (fd < 0)
		return 0;
	if (pt__sysfs_read(fd, "speed", buf, sizeof(buf)) <= 0) {
		close(fd);
		return 0;
	}
	close(fd);
	/* "1.5" is the only fraction; strtod() would follow the locale */
	if (!strcmp(buf, "1.5"))
		return 1.5;
	v = strtol(buf, &end, 10);
	return *end || end == buf || v < 0 ? 0 : (double)v;
}

static int new_dev(struct pt_ctx *ctx, libusb_device *ldev,
		   struct udev_hwdb *hwdb, struct pt_usb_dev **out)
{
	struct libusb_device_descriptor desc;
	struct pt_usb_dev *d;
	int r, n;

	*out = NULL;
	r = libusb_get_device_descriptor(ldev, &desc);
	if (r < 0) {
		dbg(ctx, "bus %u device %u: no device descriptor: %s\n",
		    libusb_get_bus_number(ldev), libusb_get_device_address(ldev),
		    libusb_strerror(r));
		return 0;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->ctx = ctx;
	d->busnum = libusb_get_bus_number(ldev);
	d->devnum = libusb_get_device_address(ldev);
	n = libusb_get_port_numbers(ldev, d->ports, USB_MAX_DEPTH);
	d->n_ports = n > 0 ? n : 0;
	if (d->n_ports == 0) {
		snprintf(d->name, sizeof(d->name), "usb%d", d->busnum);
		strcpy(d->port_path, "0");
	} else {
		size_t pl = 0, nl;

		nl = (size_t)snprintf(d->name, sizeof(d->name), "%d-", d->busnum);
		for (int i = 0; i < d->n_ports; i++) {
			pl += (size_t)snprintf(d->port_path + pl, sizeof(d->port_path) - pl,
					       "%s%u", i ? "." : "", d->ports[i]);
		}
		snprintf(d->name + nl, sizeof(d->name) - nl, "%s", d->port_path);
	}
	d->vendor_id = desc.idVendor;
	d->product_id = desc.idProduct;
	d->class = desc.bDeviceClass;
	snprintf(d->usb_version, sizeof(d->usb_version), "%x.%02x",
		 desc.bcdUSB >> 8, desc.bcdUSB & 0xff);
	d->speed = speed_mbps(libusb_get_device_speed(ldev));
	if (d->speed == 0)
		d->speed = sysfs_speed(d);
	r = fill_names(d, hwdb);
	if (r == 0)
		r = fill_sysfs(d, ldev);
	if (r < 0) {
		free_dev(d);
		return r;
	}
	*out = d;
	return 0;
}

/* By bus, then port path numerically ("2" < "4" < "4.1" < "10"). */
static int cmp_dev(const void *a, const void *b)
{
	const struct pt_usb_dev *x = *(struct pt_usb_dev *const *)a;
	const struct pt_usb_dev *y = *(struct pt_usb_dev *const *)b;

	if (x->busnum != y->busnum)
		return x->busnum < y->busnum ? -1 : 1;
	for (int i = 0; i < x->n_ports && i < y->n_ports; i++)
		if (x->ports[i] != y->ports[i])
			return x->ports[i] < y->ports[i] ? -1 : 1;
	if (x->n_ports != y->n_ports)
		return x->n_ports < y->n_ports ? -1 : 1;
	return x->devnum < y->devnum ? -1 : x->devnum > y->devnum;
}

int pt__usb_scan(struct pt_ctx *ctx)
{
	struct pt_usb_dev **devs = NULL, **tail = &ctx->usb_devs;
	libusb_device **list = NULL;
	struct udev_hwdb *hwdb = NULL;
	struct udev *udev = NULL;
	ssize_t n;
	size_t nd = 0;
	int r = 0;

	if (ctx->usb_scanned)
		return 0;
	ctx->usb_scanned = true;
	if (!pt_is_live(ctx)) {
		dbg(ctx, "USB: sysfs root %s, proc root %s are not the running "
		    "system's; libusb lists only the running system's devices, "
		    "so no USB devices are listed\n", ctx->sysfs_root,
		    ctx->proc_root);
		return 0;
	}
	if (!ctx->usb) {
		r = libusb_init(&ctx->usb);
		if (r < 0) {
			/* no /dev/bus/usb, no USB at all: nothing to list */
			dbg(ctx, "USB: libusb_init: %s; no USB devices listed\n",
			    libusb_strerror(r));
			ctx->usb = NULL;
			return 0;
		}
	}
	n = libusb_get_device_list(ctx->usb, &list);
	if (n < 0) {
		dbg(ctx, "USB: libusb_get_device_list: %s\n",
		    libusb_strerror((int)n));
		return 0;
	}
	udev = udev_new();
	hwdb = udev ? udev_hwdb_new(udev) : NULL;
	if (!hwdb)
		dbg(ctx, "USB: no udev hwdb; vendor and product names unknown\n");
	if (n > 0) {
		devs = calloc((size_t)n, sizeof(*devs));
		if (!devs) {
			r = -ENOMEM;
			goto out;
		}
	}
	for (ssize_t i = 0; i < n; i++) {
		r = new_dev(ctx, list[i], hwdb, &devs[nd]);
		if (r < 0)
			goto out;
		if (devs[nd])
			nd++;
	}
	if (nd)
		qsort(devs, nd, sizeof(*devs), cmp_dev);
	for (size_t i = 0; i < nd; i++) {
		*tail = devs[i];
		tail = &devs[i]->next;
	}
	nd = 0;
out:
	/* on failure, what was built but not linked */
	for (size_t i = 0; i < nd; i++)
		free_dev(devs[i]);
	free(devs);
	libusb_free_device_list(list, 1);
	udev_hwdb_unref(hwdb);
	udev_unref(udev);
	if (r < 0) {
		err(ctx, "scanning USB devices failed: %s\n", strerror(-r));
		pt__usb_free(ctx);
		ctx->usb_scanned = true;
	}
	return r;
}

/* ---- public accessors --------------------------------------------------- */

PT_EXPORT struct pt_usb_dev *pt_usb_dev_get_first(struct pt_ctx *ctx)
{
	pt__usb_scan(ctx);
	return ctx->usb_devs;
}

PT_EXPORT struct pt_usb_dev *pt_usb_dev_get_next(struct pt_usb_dev *d) { return d->next; }
PT_EXPORT const char *pt_usb_dev_get_name(struct pt_usb_dev *d) { return d->name; }
PT_EXPORT int pt_usb_dev_get_busnum(struct pt_usb_dev *d) { return d->busnum; }
PT_EXPORT int pt_usb_dev_get_devnum(struct pt_usb_dev *d) { return d->devnum; }
PT_EXPORT const char *pt_usb_dev_get_port_path(struct pt_usb_dev *d) { return d->port_path; }
PT_EXPORT uint16_t pt_usb_dev_get_vendor_id(struct pt_usb_dev *d) { return d->vendor_id; }
PT_EXPORT uint16_t pt_usb_dev_get_product_id(struct pt_usb_dev *d) { return d->product_id; }
PT_EXPORT const char *pt_usb_dev_get_vendor_name(struct pt_usb_dev *d) { return d->vendor_name; }
PT_EXPORT const char *pt_usb_dev_get_product_name(struct pt_usb_dev *d) { return d->product_name; }
PT_EXPORT const char *pt_usb_dev_get_manufacturer(struct pt_usb_dev *d) { return d->manufacturer; }
PT_EXPORT const char *pt_usb_dev_get_product(struct pt_usb_dev *d) { return d->product; }
PT_EXPORT const char *pt_usb_dev_get_serial(struct pt_usb_dev *d) { return d->serial; }
PT_EXPORT double pt_usb_dev_get_speed(struct pt_usb_dev *d) { return d->speed; }
PT_EXPORT const char *pt_usb_dev_get_usb_version(struct pt_usb_dev *d) { return d->usb_version; }
PT_EXPORT uint8_t pt_usb_dev_get_class(struct pt_usb_dev *d) { return d->class; }
PT_EXPORT bool pt_usb_dev_is_hub(struct pt_usb_dev *d) { return d->class == LIBUSB_CLASS_HUB; }
PT_EXPORT int pt_usb_dev_get_num_interfaces(struct pt_usb_dev *d) { return d->n_intf; }

PT_EXPORT const char *pt_usb_dev_get_interface_driver(struct pt_usb_dev *d, int idx)
{
	return idx >= 0 && idx < d->n_intf ? d->intf_driver[idx] : NULL;
}

PT_EXPORT struct pt_pci_dev *pt_usb_dev_get_controller(struct pt_usb_dev *d)
{
	return d->controller[0] ? pt_pci_dev_find(d->ctx, d->controller) : NULL;
}

PT_EXPORT const char *pt_usb_dev_get_display_name(struct pt_usb_dev *dev)
{
	const char *mf = dev->manufacturer ? dev->manufacturer : dev->vendor_name;
	const char *pr = dev->product ? dev->product : dev->product_name;

	if (dev->display_name)
		return dev->display_name;
	if (!mf && !pr)
		return NULL;
	if (asprintf(&dev->display_name, "%s%s%s", mf ? mf : "", mf && pr ? " " : "",
		     pr ? pr : "") < 0) {
		dev->display_name = NULL;
		return pr ? pr : mf;
	}
	return dev->display_name;
}
