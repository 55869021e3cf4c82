#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The layering of lib/ (see COMMON layering in README and libpassthru(3)):

- the device model (pci, usb, iommu, mdev scan, critical, check, netlink
  reads) and the base (ctx, log, sysfs, conf) include only private.h of
  the internal headers, and call no plan, binder or policy function;
- plan.c (the engine) includes plan.h only: it knows no binder or policy;
- binders include no policy header and never touch the store;
- only sysfs.c turns PCI objects into sysfs paths.

Usage: check-layers.py LIBDIR. Exit 0, or 1 naming each violation."""
import re
import sys
from pathlib import Path

lib = Path(sys.argv[1])
MODEL = ["pci.c", "pciids.c", "usb.c", "iommu.c", "mdevscan.c", "critical.c", "check.c",
         "netlink.c", "vgpu-profile.c", "nvml.c"]
BASE = ["ctx.c", "log.c", "sysfs.c", "conf.c"]
ENGINE = ["plan.c"]
BINDERS = ["vfio.c", "sriov.c", "vfset.c", "devnode.c", "nvvgpu.c", "mdev.c", "module.c",
           "hostfile.c", "nvmig.c"]
HEADERS = {"private.h": [], "plan.h": ["private.h"],
           "binder.h": ["plan.h"], "policy.h": ["binder.h"]}
ALLOWED = {f: {"private.h"} for f in MODEL + BASE}
ALLOWED.update({f: {"plan.h"} for f in ENGINE})
ALLOWED.update({f: {"binder.h"} for f in BINDERS})
# calls a lower layer must not make: plan engine, binders, policy, store
UPPER = re.compile(r"\b(pt__plan_\w+|pt_plan_\w+|pt__vfio_\w+|pt__sriov_\w+|"
                   r"pt__vf_plan_\w+|pt__nvvgpu_\w+|pt__nvmig_\w+|->w_\w+|pt__mdev_plan_\w+|pt__devnode_\w+|"
                   r"pt__module_load|pt__record_\w+|pt_group_\w+|pt_conf_\w+|"
                   r"pt__conf_free|pt__rule_\w+|pt_txn_\w+)\s*\(")
STORE = re.compile(r"\bpt__(store|ini)_\w+\s*\(")
PATHS = re.compile(r'"bus/pci/(devices|drivers)/%')

bad = []


def includes(path):
    return re.findall(r'^#include\s+"([^"]+)"', path.read_text(), re.M)


def code(path):
    text = path.read_text()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


for name, allowed in HEADERS.items():
    got = set(includes(lib / name)) - {"libpassthru.h"}
    if got != set(allowed):
        bad.append(f"lib/{name}: includes {sorted(got)}, want {allowed}")
for name, allowed in ALLOWED.items():
    path = lib / name
    if not path.exists():
        bad.append(f"lib/{name}: missing (update tests/layering/check-layers.py)")
        continue
    got = set(includes(path))
    if got - allowed:
        bad.append(f"lib/{name}: includes {sorted(got - allowed)}; "
                   f"a {'model' if name in MODEL else 'lower-layer'} file may include only {sorted(allowed)}")
    text = code(path)
    if name in MODEL + BASE:
        for m in sorted(set(UPPER.findall(text))):
            bad.append(f"lib/{name}: calls {m}() of a layer above it")
    if name in BINDERS + ENGINE:
        for m in sorted(set(STORE.findall(text))):
            bad.append(f"lib/{name}: touches the store (pt__{m}_*)")
for path in sorted(lib.glob("*.c")):
    if path.name != "sysfs.c" and PATHS.search(code(path)):
        bad.append(f"lib/{path.name}: formats a bus/pci path itself; use the sysfs.c helpers")
# every file is placed in a layer (policy files are the rest)
known = set(ALLOWED)
for path in sorted(lib.glob("*.c")):
    if path.name not in known and "policy.h" not in includes(path):
        bad.append(f"lib/{path.name}: in no layer: include policy.h or list it here")

for b in bad:
    print(b)
sys.exit(1 if bad else 0)
