#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Host half of 20-scan-usb: pt scan's USB list must match the guest's
/sys/bus/usb/devices (ids, serials, strings, bus/devnum, speed, version,
class, interface drivers, controller), and every USB device machine.conf
gives a serial must be there."""
import os
import re
import sys

from vmcheck import Tap, bdf_of, parse_kv_blocks

t = Tap()
scan = t.json("scan", "pt-scan-usb-json")
sysfs = parse_kv_blocks(t.read("usb.txt") or "")
if scan is None:
    sys.exit(t.done())
usb = {u["name"]: u for u in scan["usb"]}
t.check(sysfs and set(usb) == set(sysfs), "same-devices", f"{len(usb)} devices",
        f"sysfs only: {sorted(set(sysfs) - set(usb))}, pt only: {sorted(set(usb) - set(sysfs))}")


def compare(a, u):
    diffs = []

    def diff(what, want, got):
        if want != got:
            diffs.append(f"{what}: sysfs {want!r}, pt {got!r}")

    diff("vendor_id", a.get("idVendor"), u["vendor_id"])
    diff("product_id", a.get("idProduct"), u["product_id"])
    diff("serial", a.get("serial"), u["serial"])
    diff("manufacturer", a.get("manufacturer"), u["manufacturer"])
    diff("product", a.get("product"), u["product"])
    diff("bus", int(a["busnum"]), u["bus"])
    diff("devnum", int(a["devnum"]), u["devnum"])
    diff("speed_mbps", float(a["speed"]) if a.get("speed") else None, u["speed_mbps"])
    diff("usb_version", a.get("version", "").strip() or None, u["usb_version"])
    diff("class", a.get("bDeviceClass"), u["class"])
    drivers = sorted((v or "-") for k, v in a.items() if k.startswith("if:"))
    diff("interface_drivers", drivers, sorted(d or "-" for d in u["interface_drivers"]))
    diff("controller", bdf_of(a.get("path")), u["controller"])
    return diffs


for name in sorted(set(usb) & set(sysfs)):
    u, diffs = usb[name], compare(sysfs[name], usb[name])
    t.check(not diffs, f"sysfs:{name}", f"{u['vendor_id']}:{u['product_id']} serial "
            f"{u['serial']} {','.join(d for d in u['interface_drivers'] if d) or '-'}",
            "; ".join(diffs))

# The serials machine.conf gives must all have enumerated.
conf = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "machine.conf")).read()
want = set(re.findall(r"^-device usb-[^#\n]*\bserial=([^,\s]+)", conf, re.M))
got = {u["serial"] for u in scan["usb"]}
t.check(want and want <= got, "configured-serials", " ".join(sorted(want)),
        f"missing {sorted(want - got)}")
sys.exit(t.done())
