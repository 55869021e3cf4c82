#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Cross-check pt scan --json against lspci on the same sysfs.

    lspci-check.py --pt PT --trees DIR     every fixture tree below DIR
    lspci-check.py --pt PT --live          this machine (/sys, /proc)

For each PCI function lspci -D -nn -k -vmm prints, pt must list the same
function with the same vendor, device, subsystem and class ids, revision,
prog-if, names (vendor, device, subsystem vendor and device, class, as
lspci prints them from the same pci.ids/hwdb), driver, IOMMU group, NUMA
node and physical slot; and pt must list no function lspci does not.
Fixture trees are read with -A linux-sysfs -O sysfs.path=TREE/sys/bus/pci:
without -A, lspci falls back to other access methods when the path is
wrong and would list the host's devices. Exit 77 (skipped) when lspci is
missing, or for --live when the machine has no PCI bus.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys

KVER = "6.1.0-18-amd64"
# what libpci prints (-nn) for an id pci.ids does not name
FALLBACK_NAMES = {"Class", "Device", "Vendor", "Unknown vendor", "Unknown device"}
NAMED = re.compile(r"^(.*) \[([0-9a-f]{4})\]$")


def clean_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PT_")}
    env["LC_ALL"] = "C"
    return env


def lspci(extra):
    p = subprocess.run(["lspci", "-D", "-nn", "-k", "-vmm"] + extra,
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=clean_env(), timeout=300)
    # "Unable to load libkmod resources" when the module tree does not
    # match the running kernel: harmless, -k still reads the driver link
    err = [l for l in p.stderr.decode().splitlines() if "libkmod" not in l]
    if p.returncode != 0 or err:
        sys.exit("lspci %s failed (%d): %s" % (" ".join(extra), p.returncode,
                                               "\n".join(err)))
    recs = {}
    for block in p.stdout.decode().split("\n\n"):
        rec = {}
        for line in block.splitlines():
            key, _, val = line.partition(":\t")
            rec[key] = val
        if rec:
            recs[rec["Slot"]] = rec
    return recs


def pt_json(pt, tree=None):
    argv = [pt, "scan", "--json"]
    if tree:
        argv += ["-O", "sysfs.root=%s/sys" % tree, "-O", "proc.root=%s/proc" % tree,
                 "-O", "dev.root=%s/dev" % tree,
                 "-O", "modules.dir=%s/lib/modules/%s" % (tree, KVER)]
    env = clean_env()
    if tree:
        env["PT_CONF_DIR"] = os.path.join(tree, "etc", "passthru")
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env, timeout=300)
    if p.returncode not in (0, 3):
        sys.exit("%s failed (%d): %s" % (" ".join(argv), p.returncode,
                                         p.stderr.decode().strip()))
    return {d["slot"]: d for d in json.loads(p.stdout.decode())["pci"]}


def compare(where, recs, devs, need_groups):
    errs = []
    n = 0

    def eq(slot, what, got, want):
        nonlocal n
        n += 1
        if got != want:
            errs.append("%s %s: pt %r, lspci %r" % (slot, what, got, want))

    if set(recs) != set(devs):
        errs.append("functions: only lspci has %s; only pt has %s" % (
            sorted(set(recs) - set(devs)), sorted(set(devs) - set(recs))))
    for slot in sorted(set(recs) & set(devs)):
        r, d = recs[slot], devs[slot]
        for key, idk, namek, absent_ids in (
                ("Class", "class_id", "class_name", None),
                ("Vendor", "vendor_id", "vendor_name", None),
                ("Device", "device_id", "device_name", None),
                ("SVendor", "subsystem_vendor_id", "subsystem_vendor_name", ("0000", "ffff")),
                ("SDevice", "subsystem_device_id", "subsystem_device_name", None)):
            if key not in r:
                if absent_ids is None and key != "SDevice":
                    errs.append("%s: lspci printed no %s" % (slot, key))
                elif absent_ids:
                    eq(slot, idk + " (lspci: none)", d[idk] in absent_ids, True)
                continue
            m = NAMED.match(r[key])
            if not m:
                errs.append("%s %s: cannot parse lspci's %r" % (slot, key, r[key]))
                continue
            name, ident = m.groups()
            eq(slot, idk, d[idk], ident)
            if name in FALLBACK_NAMES and d[namek] is None:
                n += 1
            elif key == "Class" and d[namek] == r[key]:
                # a class known only by its base class: libpci names it
                # "Unassigned class [ffff]" itself and -nn adds nothing
                n += 1
            else:
                eq(slot, namek, d[namek], name)
        eq(slot, "revision", d["revision"], r.get("Rev", "00"))
        if "ProgIf" in r:
            eq(slot, "prog_if", d["prog_if"], r["ProgIf"])
        eq(slot, "driver", d["driver"], r.get("Driver"))
        eq(slot, "iommu_group", d["iommu_group"],
           int(r["IOMMUGroup"]) if "IOMMUGroup" in r else None)
        eq(slot, "numa_node", d["numa_node"],
           int(r["NUMANode"]) if "NUMANode" in r else None)
        eq(slot, "physical_slot", d["physical_slot"], r.get("PhySlot"))
        if need_groups and "IOMMUGroup" not in r:
            errs.append("%s: lspci printed no IOMMUGroup on a tree with IOMMU groups"
                        % slot)
    for e in errs:
        print("FAIL %s: %s" % (where, e))
    print("%s: %d functions, %d fields compared: %s" % (
        where, len(recs), n, "FAILED" if errs else "ok"))
    return not errs and n > 0


def main():
    ap = argparse.ArgumentParser(prog="lspci-check.py")
    ap.add_argument("--pt", required=True)
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--trees")
    g.add_argument("--live", action="store_true")
    a = ap.parse_args()
    if not shutil.which("lspci"):
        print("lspci not found (Debian package pciutils): skipped")
        return 77
    ok = True
    if a.live:
        if not os.path.isdir("/sys/bus/pci/devices") or \
                not os.listdir("/sys/bus/pci/devices"):
            print("no PCI bus on this machine: skipped")
            return 77
        recs = lspci([])
        ok = compare("live", recs, pt_json(a.pt),
                     os.path.isdir("/sys/kernel/iommu_groups") and
                     bool(os.listdir("/sys/kernel/iommu_groups")))
        return 0 if ok else 1
    trees = sorted(t for t in os.listdir(a.trees)
                   if os.path.isfile(os.path.join(a.trees, t, "fixture.json")))
    if not trees:
        sys.exit("no fixture trees below %s; run the cli/trees test first" % a.trees)
    for t in trees:
        tree = os.path.join(a.trees, t)
        fixture = json.load(open(os.path.join(tree, "fixture.json")))
        recs = lspci(["-A", "linux-sysfs", "-O", "sysfs.path=%s/sys/bus/pci" % tree])
        # guard against lspci reading the host instead of the tree
        if set(recs) != {f["slot"] for f in fixture["functions"]}:
            print("FAIL %s: lspci did not list the tree's functions" % t)
            ok = False
            continue
        ok &= compare(t, recs, pt_json(a.pt, tree), fixture["iommu"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
