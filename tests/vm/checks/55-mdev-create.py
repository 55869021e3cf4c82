#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Host half of 55-mdev-create: after each library call the context's own
view (what ptmdev printed: its cached types' available_instances and
instances, updated by pt_mdev_create/pt_mdev_remove, never rescanned) and a
fresh scan's view must equal what the kernel showed at that point."""
import sys

from vmcheck import Tap, parse_kv_blocks

t = Tap()


def sysfs(name):
    text = t.read(name + ".sysfs")
    if text is None:
        t.not_ok(name, f"the guest left no {name}.sysfs")
        return None
    return parse_kv_blocks(text)


def compare(what, run, dump):
    out = t.command(run, what)
    want = sysfs(dump)
    if out is None or want is None:
        return
    got = parse_kv_blocks(out)
    got.pop("created", None)
    diffs = []
    for name in sorted(set(got) | set(want)):
        if got.get(name) != want.get(name):
            diffs.append(f"{name}: library {got.get(name)}, sysfs {want.get(name)}")
    mdevs = sorted(k[5:] for k in got if k.startswith("mdev:"))
    counts = " ".join(f"{k[5:]}={v.get('available_instances')}"
                      for k, v in sorted(got.items()) if k.startswith("type:"))
    t.check(not diffs and any(k.startswith("type:") for k in got), what,
            f"{counts}; mdevs {mdevs or 'none'}", "; ".join(diffs) or "no types")


compare("view-after-create", "create", "created")
compare("view-fresh-scan", "show", "created")
compare("view-after-remove", "remove", "removed")

# the instance pt_mdev_create reported is the one the kernel made
out = t.read("create.out") or ""
made = parse_kv_blocks(out).get("created", {}).get("uuid")
created = sysfs("created") or {}
t.check(made and f"mdev:{made}" in created, "created-uuid", made or "",
        f"ptmdev said {made!r}; sysfs had {sorted(created)}")
sys.exit(t.done())
