#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Host half of 50-test-modules: pt scan's mdev parents (the mtty sample
driver) against the guest's sysfs: types with names, APIs and available
instances, and the mdev created there with its IOMMU group."""
import sys

from vmcheck import Tap, parse_kv_blocks

t = Tap()
scan = t.json("scan", "pt-scan-vgpu-json")
sysfs = parse_kv_blocks(t.read("mdev.txt") or "")
if scan is None:
    sys.exit(t.done())
parents = {p["name"]: p for p in scan["mdev_parents"]}
p = parents.get("mtty")
if not t.check(p is not None, "mtty-parent", "mtty listed", f"parents: {sorted(parents)}"):
    sys.exit(t.done())
types = {x["id"]: x for x in p["types"]}
want = {k[5:]: v for k, v in sysfs.items() if k.startswith("type:")}
t.check(want and set(types) == set(want), "mtty-types", " ".join(sorted(types)),
        f"sysfs {sorted(want)}, pt {sorted(types)}")
for tid in sorted(set(types) & set(want)):
    a, x = want[tid], types[tid]
    diffs = [f"{k}: sysfs {a.get(k)!r}, pt {x[k]!r}" for k in ("name", "device_api")
             if a.get(k) != x[k]]
    if str(x["available_instances"]) != a.get("available_instances"):
        diffs.append(f"available_instances: sysfs {a.get('available_instances')}, "
                     f"pt {x['available_instances']}")
    t.check(not diffs, f"type:{tid}", f"{x['name']} ({x['device_api']}, "
            f"{x['available_instances']} available)", "; ".join(diffs))
mdevs = {m["uuid"]: m for m in p["mdevs"]}
smdevs = {k[5:]: v for k, v in sysfs.items() if k.startswith("mdev:")}
t.check(smdevs and {u: (m["type"], m["iommu_group"]) for u, m in mdevs.items()} ==
        {u: (a["type"], int(a["iommu_group"])) for u, a in smdevs.items()}, "mdevs",
        " ".join(f"{u} {m['type']} group {m['iommu_group']}" for u, m in mdevs.items()),
        f"sysfs {smdevs}, pt {mdevs}")
sys.exit(t.done())
