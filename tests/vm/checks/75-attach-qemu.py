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
args = (t.command("start") or "").split()
t.check(args, "start-printed", " ".join(args), "pt attach start printed nothing")

# QMP answers: one JSON object a line
replies = []
for line in (t.read("qmp.out") or "").splitlines():
    try:
        replies.append(json.loads(line))
    except ValueError:
        t.note(f"not JSON from QMP: {line!r}")
returns = [r["return"] for r in replies if "return" in r]
# capabilities, query-pci, info usb, info pci (under -S); cont; info usb (running)
t.check(len(returns) >= 6, "qmp-answers", f"{len(returns)} answers",
        f"QMP answered {len(returns)} of 6: {t.read('qemu.err')!r}")
pci = {}
if len(returns) >= 6:
    for bus in returns[1]:
        for d in bus.get("devices", []):
            pci[d.get("qdev_id")] = (d["id"]["vendor"], d["id"]["device"])
    usb_info = returns[5]
else:
    usb_info = ""

# every -device vfio-pci the args name is in query-pci with the host's ids
wanted = [a for a in args if a.startswith("vfio-pci,")]
hosts = [dict(kv.split("=", 1) for kv in a.split(",")[1:] if "=" in kv).get("host") for a in wanted]
t.check(devs.get("nic") in hosts, "start-gives-e1000e", devs.get("nic"), f"args {args!r}")
pf = devs.get("nvme", "?")
t.check(any(h and h != pf and h.rsplit(".", 1)[0] == pf.rsplit(".", 1)[0] for h in hosts),
        "start-gives-nvme-vf", " ".join(h for h in hosts if h), f"args {args!r}")
t.check(any("sysfsdev=/sys/bus/mdev/devices/" in a for a in wanted), "start-gives-mtty-instance",
        " ".join(a for a in wanted if "sysfsdev" in a), f"args {args!r}")
for a in wanted:
    opts = dict(kv.split("=", 1) for kv in a.split(",")[1:] if "=" in kv)
    qid = opts.get("id")
    ids = t.read(f"ids-{qid}.txt")
    if qid not in pci:
        t.not_ok(f"query-pci-{qid}", f"{a} not in query-pci: {sorted(k for k in pci if k)}")
        continue
    ven, dev = pci[qid]
    t.ok(f"query-pci-{qid}", f"{opts.get('host') or opts.get('sysfsdev')} as {ven:04x}:{dev:04x}")
    if ids is not None:
        t.expect(f"ids-{qid}", ids.strip(), f"{ven:04x}:{dev:04x}")
    else:
        t.not_ok(f"ids-{qid}", f"the guest left no ids-{qid}.txt")

usbarg = [a for a in args if a.startswith("usb-host,")]
t.check(len(usbarg) == 1, "start-usb-host", " ".join(usbarg), f"args {args!r}")
prod = (t.read("usb-product.txt") or "").strip()
speed = (t.read("usb-speed.txt") or "").strip()
t.check(prod and f"Product {prod}" in usb_info and f"Speed {speed} Mb/s" in usb_info,
        "info-usb-opened", usb_info.strip(),
        f"'info usb' does not show the host device's product {prod!r} and speed {speed!r} "
        f"(it does once usb-host opened it): {usb_info!r}")

# the kernel's view: QEMU held the VFIO groups, the usbfs node, and usbfs
# had the device's interfaces
fds = (t.read("qemu-fds.txt") or "").split()
t.check("/dev/vfio/vfio" in fds, "qemu-holds-vfio-container", "/dev/vfio/vfio", f"fds {fds!r}")
for grp in (t.read("vfio-groups.txt") or "").split():
    t.check(f"/dev/vfio/{grp}" in fds, f"qemu-holds-vfio-group-{grp}", f"/dev/vfio/{grp}",
            f"QEMU's fds lack /dev/vfio/{grp}: {fds!r}")
node = (t.read("usb-node.txt") or "").strip()
t.check(node and node in fds, "qemu-holds-usb-node", node, f"QEMU's fds lack {node!r}: {fds!r}")
# QEMU took the device from its host driver (ftdi_sio) while it ran
hostdrv = (t.read("usb-host-drivers.txt") or "").splitlines()
held = (t.read("usb-held.txt") or "").splitlines()
t.check(hostdrv and not any(h.endswith("driver=none") for h in hostdrv), "usb-host-driver-before",
        "; ".join(hostdrv), f"interfaces before start: {hostdrv!r}")
t.check(held and not set(held) & set(hostdrv), "usb-detached-from-host-driver",
        "; ".join(held), f"interfaces while QEMU ran: {held!r}, before: {hostdrv!r}")
t.expect("qemu-quit", "0", (t.read("qemu.rc") or "").strip())

t.command("start-db", want_rc=6)
err = (t.read("start-db.err") or "").strip()
t.check("leased to VM 'web'" in err and devs.get("nic", "?") in err, "second-vm-refused-message",
        err, f"stderr {err!r}")

t.command("stop")
t.expect("stop-as-applied", t.read("applied.txt"), t.read("stopped.txt"))
t.command("release")
t.expect("guest-as-before", before, t.read("after.txt"))
sys.exit(t.done())
