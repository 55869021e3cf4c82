#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Host half of 40-critical: on a real kernel pt scan marks the PCI function
behind / (virtio-blk) and the one carrying the default route critical, and
no candidate; when the route moves to the e1000 the mark moves with it;
devices nothing uses (nvme, rtl8139, the idle NIC) stay candidates."""
import sys

from vmcheck import Tap, bdf_of, parse_kv_blocks

t = Tap()
facts = parse_kv_blocks(t.read("facts.txt") or "")
scan = t.json("scan", "pt-scan-json")
moved = t.json("scan-moved", "pt-scan-json-route-moved")
root, route, mv = facts.get("root", {}), facts.get("route", {}), facts.get("moved", {})
root_bdf, nic_bdf, alt_bdf = bdf_of(root.get("path")), bdf_of(route.get("path")), \
    bdf_of(mv.get("path"))
t.check(root.get("source", "").startswith("/dev/vd") and root_bdf, "guest-root-on-virtio",
        f"/ is {root.get('source')} ({root.get('majmin')}) on {root_bdf}", f"root facts {root}")
t.check(route.get("dev") and nic_bdf, "guest-default-route",
        f"default route via {route.get('dev')} on {nic_bdf}", f"route facts {route}")


def devs(doc):
    return {d["slot"]: d for d in doc["pci"]} if doc else {}


def critical(doc, bdf, what, why):
    d = devs(doc).get(bdf)
    if d is None:
        t.not_ok(what, f"{bdf} not in pt scan")
        return
    t.check(d["critical"] is not None and d["candidate"] is False, what,
            f"{bdf} critical: {d['critical']}", f"{bdf} ({why}) critical {d['critical']!r}, "
            f"candidate {d['candidate']}")


def not_critical(doc, bdf, what):
    d = devs(doc).get(bdf)
    if d is None:
        t.not_ok(what, f"{bdf} not in pt scan")
        return
    t.check(d["critical"] is None and d["candidate"] is True, what, f"{bdf} is a candidate",
            f"{bdf} critical {d['critical']!r}, candidate {d['candidate']}")


if scan and root_bdf and nic_bdf:
    critical(scan, root_bdf, "root-disk", "holds /")
    critical(scan, nic_bdf, "default-route", "carries the default route")
    if alt_bdf:
        not_critical(scan, alt_bdf, "idle-nic")
    for d in scan["pci"]:
        if (d["vendor_id"], d["device_id"]) in (("1b36", "0010"), ("10ec", "8139")):
            not_critical(scan, d["slot"], f"unused:{d['slot']}")
if moved and alt_bdf and root_bdf:
    t.check("dev " + mv.get("dev", "?") in mv.get("route", ""), "guest-route-moved",
            mv.get("route", ""), f"moved facts {mv}")
    critical(moved, alt_bdf, "route-moved-marks-e1000", "carries the default route now")
    not_critical(moved, nic_bdf, "route-moved-frees-old-nic")
    critical(moved, root_bdf, "route-moved-root-still-critical", "holds /")
sys.exit(t.done())
