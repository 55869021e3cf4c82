#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Host half of 60-apply: exit codes and messages of pt group apply and
release in the guest, the records they wrote, and the guest's state after
the releases against the snapshot taken before the first apply."""
import re
import sys

from vmcheck import Tap

t = Tap()
before = t.read("before.txt")
if before is None:
    t.not_ok("snapshot", "no before.txt from the guest")
    sys.exit(t.done())

t.expect("dry-run-changes-nothing", before, t.read("after-dry.txt"))
out = t.command("apply-nic-dry") or ""
t.check(re.search(r"drivers_probe", out) and "driver_override" in out, "dry-run-plan",
        "plan names driver_override and drivers_probe", f"plan: {out!r}")
out = t.command("apply-nic") or ""
t.check("nic: applied" in out, "apply-nic-output", out.strip(), f"stdout {out!r}")
rec = t.read("applied-nic.ini") or ""
t.check(re.search(r"^driver = e1000e$", rec, re.M) and "role = member" in rec,
        "nic-record", "original driver e1000e recorded", f"record: {rec!r}")
out = t.command("apply-nic-again") or ""
t.check("nothing to change" in out, "apply-nic-idempotent", out.strip(), f"stdout {out!r}")
t.command("release-nic")

bridge = dict(kv.split("=") for kv in (t.read("bridge.txt") or "").split())
if bridge:
    t.command("apply-legacy", want_rc=6)
    err = t.read("apply-legacy.err") or ""
    t.check(bridge["rtl8139"] in err and "--with-group-siblings" in err, "bridge-refusal-names-sibling",
            err.strip(), f"stderr {err!r}")
    t.command("apply-legacy-siblings")
    t.command("release-legacy")

out = t.command("apply-vfs") or ""
rec = t.read("applied-vfs.ini") or ""
t.check(re.search(r"^sriov_numvfs = 0$", rec, re.M) and
        re.search(r"^sriov_drivers_autoprobe = 1$", rec, re.M) and rec.count("role = vf") == 2,
        "vfs-record", "PF's count and autoprobe before, two VFs", f"record: {rec!r}")
out = t.command("apply-vfs-again") or ""
t.check("nothing to change" in out, "apply-vfs-idempotent", out.strip(), f"stdout {out!r}")
t.command("release-vfs")

t.expect("guest-as-before", before, t.read("after.txt"))
sys.exit(t.done())
