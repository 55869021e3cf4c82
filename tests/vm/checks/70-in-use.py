#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Host half of 70-in-use: each refusal names the device that holds the
target and how to free it, leaves no record, and changes nothing; the
guest ends as it began."""
import sys

from vmcheck import Tap

t = Tap()
before = t.read("before.txt")
if before is None:
    t.not_ok("snapshot", "no before.txt from the guest")
    sys.exit(t.done())

pf = dict(kv.split("=") for kv in (t.read("pf.txt") or "").split())
if pf:
    for run in ("apply-pf", "apply-pf-force", "apply-vfs"):
        t.command(run, want_rc=6)
        err = (t.read(run + ".err") or "").strip()
        t.check(len(err.splitlines()) == 1 and pf["pf"] in err and pf["vf"] in err and
                "bound to vfio-pci outside group" in err and "--force does not override" in err,
                run + "-message", err, f"stderr {err!r}")
    t.expect("pf-refusals-change-nothing", t.read("pf-before.txt"), t.read("pf-after.txt"))
    t.expect("pf-no-record", "", (t.read("pf-records.txt") or "").strip())

mtty = dict(kv.split("=") for kv in (t.read("mtty.txt") or "").split())
if mtty:
    t.command("resource-tty")
    for run in ("apply-tty", "apply-tty-force"):
        t.command(run, want_rc=6)
        err = (t.read(run + ".err") or "").strip()
        t.check(len(err.splitlines()) == 1 and err.startswith("pt-group: mtty: has 1 mdev instance") and
                mtty["uuid"] in err and "made outside passthru" in err and
                "--force does not override" in err, run + "-message", err, f"stderr {err!r}")
    t.expect("mtty-refusals-change-nothing", t.read("mtty-before.txt"), t.read("mtty-after.txt"))
    out = t.command("apply-tty-free") or ""
    err = t.read("apply-tty-free.err") or ""
    t.check("mtty: vGPU type mtty-2" in err, "apply-tty-free-note", err.strip(), f"stderr {err!r}")
    t.command("release-tty")

t.expect("guest-as-before", before, t.read("after.txt"))
sys.exit(t.done())
