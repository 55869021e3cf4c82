#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Host half of 30-doctor: pt scan --check must find Intel VT-d active,
interrupts remapped, the command line right and vfio available, all ok,
and say passthrough is possible; its CPU and KVM findings must agree with
what the guest's cpuinfo and /dev/kvm say."""
import sys

from vmcheck import Tap, parse_kv_blocks

t = Tap()
doc = t.json("check", "pt-scan-check-json")
f = parse_kv_blocks(t.read("facts.txt") or "").get("facts", {})
if doc is None:
    sys.exit(t.done())
checks = {c["id"]: c for c in doc.get("checks", [])}
for c in doc.get("checks", []):
    t.note(f"doctor: {c['status']:4} {c['id']}: {c['message']}"
           + (f" (fix: {c['fix']})" if c["fix"] else ""))

# The guest really has what the doctor must find (else the test proves nothing).
t.check(int(f.get("dmar", 0)) > 0 and f.get("ir_chips", "").strip() and
        "intel_iommu=on" in f.get("cmdline", ""), "guest-has-vtd",
        f"dmar units {f.get('dmar')}, {f.get('ir_chips', '').strip()}, {f.get('groups')} groups",
        f"guest facts {f}")


def status(cid, want, contains=None):
    c = checks.get(cid)
    if c is None:
        t.not_ok(cid, f"no '{cid}' finding in {sorted(checks)}")
        return
    good = c["status"] == want and (contains is None or contains in c["message"])
    t.check(good, cid, f"{c['status']}: {c['message']}",
            f"expected {want}" + (f" mentioning '{contains}'" if contains else "")
            + f", got {c['status']}: {c['message']}")


status("iommu", "ok", "Intel VT-d")
status("interrupt_remapping", "ok", "IR-")
status("cmdline", "ok")
for m in ("vfio", "vfio_pci", "vfio_iommu_type1"):
    status(m, "ok", "loaded" if f.get(f"module_{m}") == "loaded" else None)
status("mdev", "ok")
status("sriov", "ok")
# CPU virtualization and KVM: whatever the guest CPU offers, the doctor must
# say the same (TCG's "max" CPU has svm but no vmx; no kvm module is loaded).
status("cpu_virt", "ok" if f.get("cpu_flags", "").strip() else "fail")
status("kvm", "ok" if f.get("dev_kvm") == "yes" else "warn")
worst = max((c["status"] for c in checks.values()), key=["ok", "warn", "fail"].index,
            default="ok")
t.check(doc.get("passthrough_possible") is True and worst != "fail", "passthrough-possible",
        f"passthrough_possible true (worst finding: {worst})",
        f"passthrough_possible {doc.get('passthrough_possible')}, worst {worst}")
text = t.command("check-text", "pt-scan-check-text")
if text is not None:
    t.check("passthrough: possible" in text, "pt-scan-check-text",
            text.strip().splitlines()[-1], f"no 'passthrough: possible' line in {text!r}")
sys.exit(t.done())
