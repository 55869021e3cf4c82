#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Host half of 75-attach-qemu: QEMU's own view (QMP query-pci, info usb)
holds every device pt attach start gave it, with its vendor/device ids
read from the guest's sysfs; the kernel saw QEMU hold them (its fds, the
USB interface claimed by usbfs); a second VM was refused; stop and
release left the guest as before."""
import json
import re
import sys

from vmcheck import Tap

t = Tap()
before = t.read("before.txt")
if before is None:
    t.not_ok("snapshot", "no before.txt from the guest")
    sys.exit(t.done())
devs = dict(kv.split("=", 1) for kv in (t.read("devices.txt") or "").split())
t.command("apply")
node = (t.read("usb-node.txt") or "").strip()
prod = (t.read("usb-product.txt") or "").strip()
speed = (t.read("usb-speed.txt") or "").strip()
hostdrv = (t.read("usb-host-drivers.txt") or "").splitlines()
t.check(hostdrv and not any(h.endswith("driver=none") for h in hostdrv), "usb-host-driver-before",
        "; ".join(hostdrv), f"interfaces before start: {hostdrv!r}")


def qemu_run(p, user):
    """One VM's run: p the file prefix, user the uid QEMU ran as."""
    args = (t.command(p + "start") or "").split()
    t.check(args, p + "start-printed", " ".join(args), "pt attach start printed nothing")
    # QMP answers, one JSON object a line: capabilities, query-pci, info usb,
    # info pci (under -S); cont; info usb (running)
    replies = []
    for line in (t.read(p + "qmp.out") or "").splitlines():
        try:
            replies.append(json.loads(line))
        except ValueError:
            t.note(f"not JSON from QMP: {line!r}")
    returns = [r["return"] for r in replies if "return" in r]
    t.check(len(returns) >= 6, p + "qmp-answers", f"{len(returns)} answers",
            f"QMP answered {len(returns)} of 6: {t.read(p + 'qemu.err')!r}")
    pci, usb_info = {}, ""
    if len(returns) >= 6:
        for bus in returns[1]:
            for d in bus.get("devices", []):
                pci[d.get("qdev_id")] = (d["id"]["vendor"], d["id"]["device"])
        usb_info = returns[5]

    # every -device vfio-pci the args name is in query-pci with the host's ids
    wanted = [a for a in args if a.startswith("vfio-pci,")]
    hosts = [dict(kv.split("=", 1) for kv in a.split(",")[1:] if "=" in kv).get("host")
             for a in wanted]
    t.check(devs.get("nic") in hosts, p + "start-gives-e1000e", devs.get("nic"), f"args {args!r}")
    pf = devs.get("nvme", "?")
    t.check(any(h and h != pf and h.rsplit(".", 1)[0] == pf.rsplit(".", 1)[0] for h in hosts),
            p + "start-gives-nvme-vf", " ".join(h for h in hosts if h), f"args {args!r}")
    t.check(any("sysfsdev=/sys/bus/mdev/devices/" in a for a in wanted),
            p + "start-gives-mtty-instance", " ".join(a for a in wanted if "sysfsdev" in a),
            f"args {args!r}")
    for a in wanted:
        opts = dict(kv.split("=", 1) for kv in a.split(",")[1:] if "=" in kv)
        qid = opts.get("id")
        ids = t.read(f"{p}ids-{qid}.txt")
        if qid not in pci:
            t.not_ok(f"{p}query-pci-{qid}", f"{a} not in query-pci: {sorted(k for k in pci if k)}")
            continue
        ven, dev = pci[qid]
        t.ok(f"{p}query-pci-{qid}", f"{opts.get('host') or opts.get('sysfsdev')} as {ven:04x}:{dev:04x}")
        if ids is not None:
            t.expect(f"{p}ids-{qid}", ids.strip(), f"{ven:04x}:{dev:04x}")
        else:
            t.not_ok(f"{p}ids-{qid}", f"the guest left no {p}ids-{qid}.txt")

    usbarg = [a for a in args if a.startswith("usb-host,")]
    t.check(len(usbarg) == 1, p + "start-usb-host", " ".join(usbarg), f"args {args!r}")
    t.check(prod and f"Product {prod}" in usb_info and f"Speed {speed} Mb/s" in usb_info,
            p + "info-usb-opened", usb_info.strip(),
            f"'info usb' does not show the host device's product {prod!r} and speed {speed!r} "
            f"(it does once usb-host opened it): {usb_info!r}")

    # the kernel's view: QEMU ran as user, held the VFIO groups and the
    # usbfs node, and took the device from its host driver
    ids = (t.read(p + "qemu-ids.txt") or "").split()
    t.check(ids[1:2] == [str(user)] and ids[6:7] == [str(user)], p + "qemu-runs-as",
            f"uid/gid {user}", f"/proc/PID/status: {ids!r}")
    fds = (t.read(p + "qemu-fds.txt") or "").split()
    t.check("/dev/vfio/vfio" in fds, p + "qemu-holds-vfio-container", "/dev/vfio/vfio", f"fds {fds!r}")
    for grp in (t.read(p + "vfio-groups.txt") or "").split():
        t.check(f"/dev/vfio/{grp}" in fds, f"{p}qemu-holds-vfio-group-{grp}", f"/dev/vfio/{grp}",
                f"QEMU's fds lack /dev/vfio/{grp}: {fds!r}")
    t.check(node and node in fds, p + "qemu-holds-usb-node", node, f"QEMU's fds lack {node!r}: {fds!r}")
    held = (t.read(p + "usb-held.txt") or "").splitlines()
    t.check(held and not set(held) & set(hostdrv), p + "usb-detached-from-host-driver",
            "; ".join(held), f"interfaces while QEMU ran: {held!r}, before: {hostdrv!r}")
    t.expect(p + "qemu-quit", "0", (t.read(p + "qemu.rc") or "").strip())
    t.command(p + "stop")
    t.expect(p + "stop-as-applied", t.read("applied.txt"), t.read(p + "stopped.txt"))


qemu_run("", 0)
t.command("start-db", want_rc=6)
err = (t.read("start-db.err") or "").strip()
t.check("leased to VM 'web'" in err and devs.get("nic", "?") in err, "second-vm-refused-message",
        err, f"stderr {err!r}")

qemu_run("u-", 1000)
# while it ran, the nodes of its devices were the user's (rw for it)
own = {w[0]: w[1] for w in (l.split() for l in (t.read("u-owners-running.txt") or "").splitlines())
       if len(w) == 3}
for grp in (t.read("u-vfio-groups.txt") or "").split():
    t.expect(f"u-node-vfio-{grp}-owner", "1000:1000", own.get(f"/dev/vfio/{grp}"))
t.expect("u-node-usb-owner", "1000:1000", own.get(node))

t.command("release")
t.expect("guest-as-before", before, t.read("after.txt"))
sys.exit(t.done())
