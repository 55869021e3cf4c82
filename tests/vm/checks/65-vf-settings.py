#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Host half of 65-vf-settings: what ptvf (the library's VF-settings path)
set on netdevsim's VFs, as iproute2 reads it back in JSON."""
import json
import sys

from vmcheck import Tap

t = Tap()
raw = t.read("after.json")
if raw is None:
    t.not_ok("ip-json", "no after.json from the guest")
    sys.exit(t.done())
link = json.loads(raw)[0]
vfs = {v["vf"]: v for v in link.get("vfinfo_list", [])}
for n in range(4):
    out = t.command(f"vf{n}")
    t.check(out == "", f"vf{n}-no-drift", "read back as set", f"ptvf reported drift: {out!r}")


def vlan(v):
    # iproute2 prints vlan_list when the kernel sends IFLA_VF_VLAN_LIST,
    # else vlan/qos on the VF; qos 0 and protocol 802.1Q are left out
    lst = v.get("vlan_list") or [v]
    return (lst[0].get("vlan"), lst[0].get("qos", 0), lst[0].get("protocol", "802.1Q"))


want = {
    0: [("vlan", vlan, (100, 3, "802.1Q"))],
    1: [("min_tx_rate", lambda v: v.get("rate", {}).get("min_tx"), 10),
        ("max_tx_rate", lambda v: v.get("rate", {}).get("max_tx"), 500),
        ("link_state", lambda v: v.get("link_state"), "disable")],
    2: [("spoofchk", lambda v: v.get("spoofchk"), False),
        ("trust", lambda v: v.get("trust"), True),
        ("query_rss", lambda v: v.get("query_rss_en"), True)],
    3: [("vlan", vlan, (42, 0, "802.1Q")),
        ("link_state", lambda v: v.get("link_state"), "enable"),
        ("spoofchk", lambda v: v.get("spoofchk"), True),
        ("trust", lambda v: v.get("trust"), False),
        ("max_tx_rate", lambda v: v.get("rate", {}).get("max_tx"), 1000)],
}
# iproute2's JSON: "rate": {"max_tx": N, "min_tx": N} (Mbit/s)
for n, items in want.items():
    v = vfs.get(n)
    if not t.check(v is not None, f"vf{n}-listed", "in ip -j link show", f"vfs: {sorted(vfs)}"):
        continue
    for name, get, exp in items:
        t.expect(f"vf{n}-{name}", exp, get(v))
# the MAC step pt attach start runs, then stop's (the MAC before, again)
before = (t.command("mac-set") or "").strip()
t.check(before.startswith("before "), "mac-before-read", before, f"ptvf printed {before!r}")
for name, want in (("mac-set", "02:1d:48:55:31:ba"), ("mac-back", before[7:])):
    raw = t.read(name + ".json")
    if not t.check(raw is not None, f"{name}-ip-json", "read", f"no {name}.json"):
        continue
    got = {v["vf"]: v for v in json.loads(raw)[0].get("vfinfo_list", [])}.get(1, {})
    t.expect(f"{name}-vf1", want, got.get("address"))
t.command("mac-back")
t.check(before[7:] != "02:1d:48:55:31:ba", "mac-changed", "the MAC set differs from the one before",
        f"netdevsim's VF 1 had {before[7:]} already")
t.command("bad", want_rc=1)
err = t.read("bad.err") or ""
t.check("vf 9" in err or "VF 9" in err or "9" in err, "bad-vf-error", err.strip(), f"stderr {err!r}")
sys.exit(t.done())
