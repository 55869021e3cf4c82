#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Host half of 10-scan-pci: pt scan --json must agree with the guest's
lspci -D -nn -k -vmm on every PCI function (ids, names, driver, IOMMU group,
slot), and with the kernel's iommu_groups and SR-IOV links."""
import sys

from vmcheck import Tap, parse_kv_blocks, parse_vmm, split_named

t = Tap()
scan = t.json("scan", "pt-scan-json")
t.json("scan-link", "pt-scan-link-json")
lspci = t.command("lspci", "lspci")
if scan is None or lspci is None:
    sys.exit(t.done())

recs = {r["Slot"]: r for r in parse_vmm(lspci)}
pci = {d["slot"]: d for d in scan["pci"]}
t.check(recs and set(recs) == set(pci), "same-functions",
        f"{len(pci)} functions",
        f"lspci only: {sorted(set(recs) - set(pci))}, pt only: {sorted(set(pci) - set(recs))}")

# (lspci key, pt id key, pt name key, what lspci prints when libpci has no name)
NAMED = [("Vendor", "vendor_id", "vendor_name", "Vendor"),
         ("Device", "device_id", "device_name", "Device"),
         ("SVendor", "subsystem_vendor_id", "subsystem_vendor_name", "Vendor"),
         ("SDevice", "subsystem_device_id", "subsystem_device_name", "Device")]


def compare(r, d):
    diffs = []

    def diff(what, want, got):
        if want != got:
            diffs.append(f"{what}: lspci {want!r}, pt {got!r}")

    cname, cid = split_named(r.get("Class"))
    diff("class_id", cid, d["class_id"])
    diff("class_name", cname, d["class_name"] if d["class_name"] else "Class")
    for key, idk, namek, generic in NAMED:
        if key not in r:        # lspci prints no subsystem when there is none
            diff(idk, "0000", d[idk])
            continue
        name, num = split_named(r[key])
        diff(idk, num, d[idk])
        diff(namek, name, d[namek] if d[namek] is not None else generic)
    diff("revision", r.get("Rev", "00"), d["revision"])
    diff("prog_if", r.get("ProgIf", "00"), d["prog_if"])
    diff("driver", r.get("Driver"), d["driver"])
    diff("iommu_group", int(r["IOMMUGroup"]) if "IOMMUGroup" in r else None, d["iommu_group"])
    diff("physical_slot", r.get("PhySlot"), d["physical_slot"])
    diff("numa_node", int(r["NUMANode"]) if "NUMANode" in r else None, d["numa_node"])
    return diffs


for slot in sorted(set(recs) & set(pci)):
    r, d = recs[slot], pci[slot]
    diffs = compare(r, d)
    t.check(not diffs, f"lspci:{slot}",
            f"{d['vendor_id']}:{d['device_id']} {d['driver'] or '-'} group "
            f"{d['iommu_group']}", "; ".join(diffs))

# IOMMU groups: pt's list against /sys/kernel/iommu_groups.
kernel = {}
for line in (t.read("groups.txt") or "").splitlines():
    g, bdf = line.split()
    kernel.setdefault(int(g), set()).add(bdf)
ptg = {g["group"]: set(g["members"]) for g in scan["iommu_groups"]}
t.check(kernel and kernel == ptg, "iommu-groups", f"{len(ptg)} groups match the kernel's",
        f"kernel {sorted((g, sorted(m)) for g, m in kernel.items())}, "
        f"pt {sorted((g, sorted(m)) for g, m in ptg.items())}")


def find(vendor, device):
    return [d for d in scan["pci"] if (d["vendor_id"], d["device_id"]) == (vendor, device)]


# The pcie-pci-bridge and the two legacy NICs behind it share one group.
bridge, e1000, rtl = find("1b36", "000e"), find("8086", "100e"), find("10ec", "8139")
if len(bridge) == 1 and len(e1000) == 1 and len(rtl) == 1:
    g = bridge[0]["iommu_group"]
    want = {bridge[0]["slot"], e1000[0]["slot"], rtl[0]["slot"]}
    t.check(g is not None and ptg.get(g) == want and
            e1000[0]["iommu_group"] == g == rtl[0]["iommu_group"], "shared-group",
            f"group {g}: {' '.join(sorted(want))}",
            f"bridge group {g} holds {sorted(ptg.get(g, []))}, e1000 in "
            f"{e1000[0]['iommu_group']}, rtl8139 in {rtl[0]['iommu_group']}")
    grp = next((x for x in scan["iommu_groups"] if x["group"] == g), {})
    t.check(grp.get("viable") is False and
            {b["slot"] for b in grp.get("blockers", [])} >= {e1000[0]["slot"], rtl[0]["slot"]},
            "shared-group-blockers", "not viable while e1000 and 8139cp hold it",
            f"group {g}: {grp}")
else:
    t.not_ok("shared-group", f"expected one pcie-pci-bridge, e1000 and rtl8139, found "
             f"{len(bridge)}, {len(e1000)}, {len(rtl)}")

# Every endpoint behind its own root port is alone in its group.
for vendor, device, what in (("1af4", "1042", "virtio-blk"), ("1af4", "1041", "virtio-net"),
                             ("1b36", "000d", "xhci"), ("1b36", "0010", "nvme-pf")):
    found = [d for d in find(vendor, device) if d["physfn"] is None]
    if len(found) != 1:
        t.not_ok(f"own-group:{what}", f"expected one {vendor}:{device}, found {len(found)}")
        continue
    d = found[0]
    t.check(ptg.get(d["iommu_group"]) == {d["slot"]}, f"own-group:{what}",
            f"{d['slot']} alone in group {d['iommu_group']}",
            f"{d['slot']} group {d['iommu_group']} holds {sorted(ptg.get(d['iommu_group'], []))}")

# SR-IOV: totals, VF lists and physfn links against sysfs.
sysfs = parse_kv_blocks(t.read("sysfs.txt") or "")
pfs = [s for s, a in sysfs.items() if int(a.get("sriov_totalvfs", 0)) > 0]
t.check(len(pfs) == 1, "sriov-pf", f"{pfs}", f"expected one SR-IOV PF in sysfs, found {pfs}")
for s in pfs:
    a, d = sysfs[s], pci.get(s, {})
    vfs = [a[k] for k in sorted((k for k in a if k.startswith("virtfn")),
                                key=lambda k: int(k[6:]))]
    t.check(d.get("sriov_total_vfs") == int(a["sriov_totalvfs"]) and
            d.get("sriov_num_vfs") == int(a["sriov_numvfs"]) == 2 and d.get("vfs") == vfs,
            f"sriov:{s}", f"{a['sriov_numvfs']}/{a['sriov_totalvfs']} VFs {' '.join(vfs)}",
            f"sysfs {a['sriov_numvfs']}/{a['sriov_totalvfs']} {vfs}, pt "
            f"{d.get('sriov_num_vfs')}/{d.get('sriov_total_vfs')} {d.get('vfs')}")
    for i, vf in enumerate(vfs):
        v = pci.get(vf, {})
        t.check(v.get("physfn") == s and v.get("vf_index") == i and
                sysfs.get(vf, {}).get("physfn") == s and v.get("driver") is None and
                ptg.get(v.get("iommu_group")) == {vf}, f"vf:{vf}",
                f"VF {i} of {s}, unbound, alone in group {v.get('iommu_group')}",
                f"pt physfn {v.get('physfn')} vf_index {v.get('vf_index')} driver "
                f"{v.get('driver')} group {v.get('iommu_group')}; sysfs physfn "
                f"{sysfs.get(vf, {}).get('physfn')}")
sys.exit(t.done())
