#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Write the USB trees the usb/ tests run under, in umockdev's record format.

The .umockdev files are what umockdev-record prints: one paragraph per
sysfs device, P: path, E: udev properties, A: text attributes (\\n
escaped), H: binary attributes in hex, L: links, N: the /dev node. This
script only spells the descriptors out so that they can be read and
changed; the test usb/fixture-up-to-date checks that the committed files
are what it writes. Regenerate with

    python3 tests/usb/mkfixture.py host > tests/usb/host.umockdev
    python3 tests/usb/mkfixture.py no-usb > tests/usb/no-usb.umockdev

The host: the chipset's xHCI controller (PCI 0000:00:14.0) with its USB 2
root hub (bus 1) and USB 3 root hub (bus 2), and a USB 3.2 Gen 2x2 card
(0000:3b:00.0, behind root port 0000:00:1c.0) with buses 3 and 4.

  usb1    1d6b:0002 root hub                         hub
  1-2     1050:0407 YubiKey, serial 16612001         usbhid, usbhid, -
  1-4     05e3:0610 USB 2.1 hub (no serial)          hub
  1-4.1   1050:0407 YubiKey, serial 16612002         usbhid, usbhid, -
  1-4.3   1050:0407 YubiKey, serial 16612003         usbhid, usbhid, -
  1-4.4   cafe:4011 CDC ACM gadget, no strings       cdc_acm, cdc_acm
  1-10    046d:c077 low-speed mouse, no serial       usbhid
  usb2    1d6b:0003 root hub, 5 Gbit/s               hub
  2-1     0781:5583 SanDisk stick, 5 Gbit/s          usb-storage
  usb3    1d6b:0002 root hub (card)                  hub
  usb4    1d6b:0003 root hub (card), 20 Gbit/s       hub
  4-1     0781:55af SanDisk SSD, 10 Gbit/s           uas (2 alt settings)
  4-2     174c:2364 ASMedia NVMe bridge, 20 Gbit/s   uas

The three YubiKeys share vendor:product and all strings but the serial.
udev enumerates 1-10 before 1-2 (syspath order), so the tests also see
that pt sorts port paths numerically. libusb 1.0.26 has no name for
20 Gbit/s, so usb4 and 4-2 take the sysfs speed fallback. Vendor cafe
(TinyUSB's) is in no usb.ids, so its names are unknown on every host.

no-usb: the same xHCI controller bound to vfio-pci (given to a guest), so
the host has no USB bus at all.
"""
import os
import struct
import sys

KERNEL = "6.1.0-28-amd64"


class Controller:
    """A PCI xHCI function: ids pci.ids names in full, so that libpci never
    falls back to the hwdb for them (and leaks where there is none)."""

    def __init__(self, path, vid, did, svid, sdid, rev, bar, irq):
        self.path, self.bdf = path, path.rsplit("/", 1)[1]
        self.vid, self.did, self.svid, self.sdid = vid, did, svid, sdid
        self.rev, self.bar, self.irq = rev, bar, irq


# Sunrise Point-LP USB 3.0 xHCI in a Dell Latitude E7470, on the root bus.
PCH = Controller("/devices/pci0000:00/0000:00:14.0", 0x8086, 0x9d2f, 0x1028, 0x06dc,
                 0x21, 0xa1100000, 125)
# An ASMedia ASM3242 USB 3.2 Gen 2x2 card behind root port 00:1c.0; it
# reports no subsystem.
ASM = Controller("/devices/pci0000:00/0000:00:1c.0/0000:3b:00.0", 0x1b21, 0x3242, 0, 0,
                 0x00, 0xb4000000, 142)


def dev_desc(bcd_usb, cls, sub, proto, mps0, vid, pid, bcd_dev, i_mfr, i_prod,
             i_ser, n_cfg=1):
    return struct.pack("<BBHBBBBHHHBBBB", 18, 1, bcd_usb, cls, sub, proto, mps0,
                       vid, pid, bcd_dev, i_mfr, i_prod, i_ser, n_cfg)


def config(value, attrs, max_power, body, n_intf):
    return struct.pack("<BBHBBBBB", 9, 2, 9 + len(body), n_intf, value, 0, attrs,
                       max_power) + body


def intf(num, n_ep, cls, sub, proto, alt=0):
    return struct.pack("<BBBBBBBBB", 9, 4, num, alt, n_ep, cls, sub, proto, 0)


def ep(addr, attrs, mps, interval):
    return struct.pack("<BBBBHB", 7, 5, addr, attrs, mps, interval)


def ss_companion(burst=0, attrs=0, bytes_per_interval=0):
    return struct.pack("<BBBBH", 6, 0x30, burst, attrs, bytes_per_interval)


def hid(report_len):
    return struct.pack("<BBHBBBH", 9, 0x21, 0x0111, 0, 1, 0x22, report_len)


def cdc_functional():
    # header, call management, ACM, union
    return (bytes([5, 0x24, 0x00, 0x10, 0x01]) + bytes([5, 0x24, 0x01, 0x00, 0x01]) +
            bytes([4, 0x24, 0x02, 0x02]) + bytes([5, 0x24, 0x06, 0x00, 0x01]))


def ccid_class():
    # CCID class descriptor: bcdCCID 1.10, one slot, the rest left zero
    return bytes([54, 0x21, 0x10, 0x01, 0x00, 0x07]) + bytes(48)


def hub_config(ss=False):
    body = intf(0, 1, 0x09, 0, 0) + ep(0x81, 0x03, 2 if ss else 1, 12)
    if ss:
        body += ss_companion(0, 0, 2)
    return config(1, 0xe0, 0, body, 1)


def yubikey_config():
    body = (intf(0, 1, 0x03, 0x01, 0x01) + hid(71) + ep(0x81, 0x03, 8, 10) +
            intf(1, 2, 0x03, 0x00, 0x00) + hid(34) + ep(0x04, 0x03, 64, 2) +
            ep(0x84, 0x03, 64, 2) +
            intf(2, 3, 0x0b, 0x00, 0x00) + ccid_class() +
            ep(0x02, 0x02, 64, 0) + ep(0x85, 0x02, 64, 0) + ep(0x83, 0x03, 8, 255))
    return config(1, 0x80, 15, body, 3)


def acm_config():
    body = (bytes([8, 0x0b, 0, 2, 0x02, 0x02, 0x00, 0]) +  # IAD
            intf(0, 1, 0x02, 0x02, 0x00) + cdc_functional() + ep(0x81, 0x03, 8, 16) +
            intf(1, 2, 0x0a, 0x00, 0x00) + ep(0x02, 0x02, 64, 0) + ep(0x82, 0x02, 64, 0))
    return config(1, 0x80, 50, body, 2)


def mouse_config():
    body = intf(0, 1, 0x03, 0x01, 0x02) + hid(52) + ep(0x81, 0x03, 4, 10)
    return config(1, 0xa0, 50, body, 1)


def storage_config():
    body = (intf(0, 2, 0x08, 0x06, 0x50) + ep(0x81, 0x02, 1024, 0) + ss_companion(15) +
            ep(0x02, 0x02, 1024, 0) + ss_companion(15))
    return config(1, 0x80, 112, body, 1)


def uas_config():
    """Bulk-only transport at alt 0, UAS at alt 1 (four pipes): one
    interface with two alternate settings."""
    def pipe(pid):
        return bytes([4, 0x24, pid, 0])
    body = (intf(0, 2, 0x08, 0x06, 0x50) + ep(0x81, 0x02, 1024, 0) + ss_companion(15) +
            ep(0x02, 0x02, 1024, 0) + ss_companion(15) +
            intf(0, 4, 0x08, 0x06, 0x62, alt=1) +
            ep(0x81, 0x02, 1024, 0) + ss_companion(15, 5) + pipe(3) +
            ep(0x02, 0x02, 1024, 0) + ss_companion(15, 5) + pipe(4) +
            ep(0x83, 0x02, 1024, 0) + ss_companion(15, 5) + pipe(2) +
            ep(0x04, 0x02, 1024, 0) + ss_companion(0) + pipe(1))
    return config(1, 0x80, 112, body, 1)


def A(key, val):
    return "A: %s=%s" % (key, str(val).replace("\\", "\\\\").replace("\n", "\\n"))


class Dev:
    def __init__(self, name, parent, busnum, devnum, speed, desc, conf, intfs,
                 mfr=None, prod=None, serial=None, maxchild=0, removable="removable",
                 hc=None):
        self.name, self.parent, self.busnum, self.devnum = name, parent, busnum, devnum
        self.speed, self.desc, self.conf, self.intfs = speed, desc, conf, intfs
        self.mfr, self.prod, self.serial = mfr, prod, serial
        self.maxchild, self.removable = maxchild, removable
        self.path = (parent.path if parent else hc.path) + "/" + name
        d = struct.unpack("<BBHBBBBHHHBBBB", desc)
        self.bcd_usb, self.cls, self.sub, self.proto, self.mps0 = d[2:7]
        self.vid, self.pid, self.bcd_dev = d[7:10]
        self.cfg_attrs, self.max_power = conf[7], conf[8]

    def devpath(self):
        return "0" if self.name.startswith("usb") else self.name.split("-", 1)[1]

    def dotdots(self):
        return "../" * (len(self.path.strip("/").split("/")))

    def lines(self):
        out = []
        blob = (self.desc + self.conf).hex().upper()
        node = "bus/usb/%03d/%03d" % (self.busnum, self.devnum)
        minor = (self.busnum - 1) * 128 + self.devnum - 1
        out.append("P: " + self.path)
        out.append("N: %s=%s" % (node, blob))
        out += ["E: BUSNUM=%03d" % self.busnum, "E: DEVNAME=/dev/" + node,
                "E: DEVNUM=%03d" % self.devnum, "E: DEVTYPE=usb_device",
                "E: DRIVER=usb", "E: MAJOR=189", "E: MINOR=%d" % minor,
                "E: PRODUCT=%x/%x/%x" % (self.vid, self.pid, self.bcd_dev),
                "E: SUBSYSTEM=usb",
                "E: TYPE=%d/%d/%d" % (self.cls, self.sub, self.proto)]
        out += [A("authorized", "1\n"), A("avoid_reset_quirk", "0\n"),
                A("bConfigurationValue", "1\n"),
                A("bDeviceClass", "%02x\n" % self.cls),
                A("bDeviceProtocol", "%02x\n" % self.proto),
                A("bDeviceSubClass", "%02x\n" % self.sub),
                A("bMaxPacketSize0", "%d\n" % self.mps0),
                A("bMaxPower", "%dmA\n" % (self.max_power * (8 if self.speed >= 5000 else 2))),
                A("bNumConfigurations", "1\n"),
                A("bNumInterfaces", "%2d\n" % len(self.intfs)),
                A("bcdDevice", "%04x\n" % self.bcd_dev),
                A("bmAttributes", "%2x\n" % self.cfg_attrs),
                A("busnum", "%d\n" % self.busnum), A("configuration", "\n")]
        out.append("H: descriptors=" + blob)
        out += [A("dev", "189:%d\n" % minor), A("devnum", "%d\n" % self.devnum),
                A("devpath", self.devpath() + "\n"),
                "L: driver=%sbus/usb/drivers/usb" % self.dotdots(),
                A("idProduct", "%04x\n" % self.pid), A("idVendor", "%04x\n" % self.vid)]
        for key, val in (("manufacturer", self.mfr), ("product", self.prod)):
            if val is not None:
                out.append(A(key, val + "\n"))
        out += [A("maxchild", "%d\n" % self.maxchild), A("quirks", "0x0\n"),
                A("removable", self.removable + "\n")]
        if self.serial is not None:
            out.append(A("serial", self.serial + "\n"))
        out += [A("speed", ("%g" % self.speed) + "\n"),
                A("version", "%2x.%02x\n" % (self.bcd_usb >> 8, self.bcd_usb & 0xff))]
        paras = ["\n".join(out)]
        for num, (cls, sub, proto, n_ep, driver) in enumerate(self.intfs):
            # a root hub "usb1" names its interfaces "1-0:1.0", as the kernel does
            iname = "%s:1.%d" % ("%d-0" % self.busnum if self.name.startswith("usb")
                                 else self.name, num)
            ipath = self.path + "/" + iname
            alias = "usb:v%04Xp%04Xd%04Xdc%02Xdsc%02Xdp%02Xic%02Xisc%02Xip%02Xin%02X" % (
                self.vid, self.pid, self.bcd_dev, self.cls, self.sub, self.proto,
                cls, sub, proto, num)
            lines = ["P: " + ipath, "E: DEVTYPE=usb_interface"]
            if driver:
                lines.append("E: DRIVER=" + driver)
            lines += ["E: INTERFACE=%d/%d/%d" % (cls, sub, proto), "E: MODALIAS=" + alias,
                      "E: PRODUCT=%x/%x/%x" % (self.vid, self.pid, self.bcd_dev),
                      "E: SUBSYSTEM=usb",
                      "E: TYPE=%d/%d/%d" % (self.cls, self.sub, self.proto),
                      A("authorized", "1\n"), A("bAlternateSetting", " 0\n"),
                      A("bInterfaceClass", "%02x\n" % cls),
                      A("bInterfaceNumber", "%02x\n" % num),
                      A("bInterfaceProtocol", "%02x\n" % proto),
                      A("bInterfaceSubClass", "%02x\n" % sub),
                      A("bNumEndpoints", "%02x\n" % n_ep)]
            if driver:
                lines.append("L: driver=%sbus/usb/drivers/%s" % (
                    "../" * len(ipath.strip("/").split("/")), driver))
            lines += [A("modalias", alias + "\n"), A("supports_autosuspend", "1\n")]
            paras.append("\n".join(lines))
        return paras


def pci_controller(hc, driver="xhci_hcd"):
    cfg = bytearray(64)
    struct.pack_into("<HHHHBBBBBBBB", cfg, 0, hc.vid, hc.did, 0x0406, 0x0290,
                     hc.rev, 0x30, 0x03, 0x0c, 0, 0, 0x80 if hc.svid else 0, 0)
    struct.pack_into("<I", cfg, 0x10, hc.bar | 4)
    struct.pack_into("<HH", cfg, 0x2c, hc.svid, hc.sdid)
    cfg[0x3c], cfg[0x3d] = 0xff, 0x01
    res = ("0x%016x 0x%016x 0x0000000000140204\n" % (hc.bar, hc.bar + 0xffff) +
           "0x0000000000000000 0x0000000000000000 0x0000000000000000\n" * 12)
    alias = "pci:v%08Xd%08Xsv%08Xsd%08Xbc0Csc03i30" % (hc.vid, hc.did, hc.svid, hc.sdid)
    dotdots = "../" * len(hc.path.strip("/").split("/"))
    lines = ["P: " + hc.path, "E: DRIVER=" + driver, "E: PCI_CLASS=C0330",
             "E: PCI_ID=%04X:%04X" % (hc.vid, hc.did), "E: PCI_SLOT_NAME=" + hc.bdf,
             "E: PCI_SUBSYS_ID=%04X:%04X" % (hc.svid, hc.sdid), "E: SUBSYSTEM=pci",
             "E: MODALIAS=" + alias,
             A("class", "0x0c0330\n"), "H: config=" + bytes(cfg).hex().upper(),
             A("device", "0x%04x\n" % hc.did), A("dma_mask_bits", "64\n"),
             "L: driver=%sbus/pci/drivers/%s" % (dotdots, driver), A("enable", "1\n"),
             A("irq", "%d\n" % hc.irq), A("local_cpulist", "0-7\n"),
             A("modalias", alias + "\n"),
             A("numa_node", "-1\n"), A("resource", res),
             A("revision", "0x%02x\n" % hc.rev),
             A("subsystem_device", "0x%04x\n" % hc.sdid),
             A("subsystem_vendor", "0x%04x\n" % hc.svid),
             A("vendor", "0x%04x\n" % hc.vid)]
    return "\n".join(lines)


def host():
    hcd = "Linux %s xhci-hcd" % KERNEL
    yk = dict(mfr="Yubico", prod="YubiKey OTP+FIDO+CCID")
    yk_intfs = [(3, 1, 1, 1, "usbhid"), (3, 0, 0, 2, "usbhid"), (11, 0, 0, 3, None)]

    def yubikey(name, parent, devnum, serial):
        return Dev(name, parent, 1, devnum, 12,
                   dev_desc(0x0200, 0, 0, 0, 64, 0x1050, 0x0407, 0x0543, 1, 2, 3),
                   yubikey_config(), yk_intfs, serial=serial, **yk)

    usb1 = Dev("usb1", None, 1, 1, 480,
               dev_desc(0x0200, 9, 0, 1, 64, 0x1d6b, 0x0002, 0x0601, 3, 2, 1),
               hub_config(), [(9, 0, 0, 1, "hub")], mfr=hcd, prod="xHCI Host Controller",
               serial=PCH.bdf, maxchild=12, removable="unknown", hc=PCH)
    hub = Dev("1-4", usb1, 1, 4, 480,
              dev_desc(0x0210, 9, 0, 2, 64, 0x05e3, 0x0610, 0x9226, 1, 2, 0),
              hub_config(), [(9, 0, 0, 1, "hub")], mfr="GenesysLogic", prod="USB2.1 Hub",
              maxchild=4)
    usb2 = Dev("usb2", None, 2, 1, 5000,
               dev_desc(0x0300, 9, 0, 3, 9, 0x1d6b, 0x0003, 0x0601, 3, 2, 1),
               hub_config(ss=True), [(9, 0, 0, 1, "hub")], mfr=hcd,
               prod="xHCI Host Controller", serial=PCH.bdf, maxchild=6, removable="unknown",
               hc=PCH)
    usb3 = Dev("usb3", None, 3, 1, 480,
               dev_desc(0x0200, 9, 0, 1, 64, 0x1d6b, 0x0002, 0x0601, 3, 2, 1),
               hub_config(), [(9, 0, 0, 1, "hub")], mfr=hcd, prod="xHCI Host Controller",
               serial=ASM.bdf, maxchild=2, removable="unknown", hc=ASM)
    usb4 = Dev("usb4", None, 4, 1, 20000,
               dev_desc(0x0320, 9, 0, 3, 9, 0x1d6b, 0x0003, 0x0601, 3, 2, 1),
               hub_config(ss=True), [(9, 0, 0, 1, "hub")], mfr=hcd,
               prod="xHCI Host Controller", serial=ASM.bdf, maxchild=2, removable="unknown",
               hc=ASM)
    devs = [
        usb1,
        yubikey("1-2", usb1, 3, "16612001"),
        hub,
        yubikey("1-4.1", hub, 6, "16612002"),
        yubikey("1-4.3", hub, 7, "16612003"),
        Dev("1-4.4", hub, 1, 8, 12,
            dev_desc(0x0200, 0xef, 2, 1, 64, 0xcafe, 0x4011, 0x0100, 0, 0, 0),
            acm_config(), [(2, 2, 0, 1, "cdc_acm"), (10, 0, 0, 2, "cdc_acm")]),
        Dev("1-10", usb1, 1, 5, 1.5,
            dev_desc(0x0200, 0, 0, 0, 8, 0x046d, 0xc077, 0x7200, 1, 2, 0),
            mouse_config(), [(3, 1, 2, 1, "usbhid")], mfr="Logitech",
            prod="USB Optical Mouse"),
        usb2,
        Dev("2-1", usb2, 2, 2, 5000,
            dev_desc(0x0320, 0, 0, 0, 9, 0x0781, 0x5583, 0x0100, 1, 2, 3),
            storage_config(), [(8, 6, 0x50, 2, "usb-storage")], mfr="SanDisk",
            prod="Ultra Fit", serial="4C530001230517111432"),
        usb3,
        usb4,
        Dev("4-1", usb4, 4, 2, 10000,
            dev_desc(0x0320, 0, 0, 0, 9, 0x0781, 0x55af, 0x1012, 2, 3, 1),
            uas_config(), [(8, 6, 0x62, 4, "uas")], mfr="SanDisk",
            prod="Extreme Pro 55AF", serial="32343133464E343032353537"),
        Dev("4-2", usb4, 4, 3, 20000,
            dev_desc(0x0320, 0, 0, 0, 9, 0x174c, 0x2364, 0x0100, 2, 3, 1),
            uas_config(), [(8, 6, 0x62, 4, "uas")], mfr="ASMedia",
            prod="ASM236x series", serial="AAAABBBBCCCC0001"),
    ]
    paras = [pci_controller(PCH), pci_controller(ASM)]
    for d in devs:
        paras += d.lines()
    return "\n\n".join(paras) + "\n"


FIXTURES = {
    "host": host,
    "no-usb": lambda: pci_controller(PCH, "vfio-pci") + "\n",
}


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        stale = []
        for name, make in FIXTURES.items():
            path = os.path.join(sys.argv[2], name + ".umockdev")
            with open(path) as f:
                if f.read() != make():
                    stale.append(path)
        for path in stale:
            print("%s differs from what %s writes; regenerate it" % (path, sys.argv[0]))
        return 1 if stale else 0
    if len(sys.argv) != 2 or sys.argv[1] not in FIXTURES:
        print("usage: %s host|no-usb  |  --check DIR" % sys.argv[0], file=sys.stderr)
        return 2
    sys.stdout.write(FIXTURES[sys.argv[1]]())
    return 0


if __name__ == "__main__":
    sys.exit(main())
