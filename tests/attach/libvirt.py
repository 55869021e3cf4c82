#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""libvirt accepts what `pt attach show --format libvirt` prints.

    libvirt.py --pt BUILD/pt

A lease with every kind of device (a whole IOMMU group of one slot, a VF of
a sriov-nic group, an mdev vGPU, an NVIDIA per-VF vGPU, USB devices with
each guest_reset / guest_resets_all combination) is written to a run dir
(the lease format of pt-attach(8)); its XML is embedded in a minimal domain,
one domain per device and one with all of them, and each must pass
virt-xml-validate (libvirt's schema) and `virsh -c test:///default define`
(libvirt's own parser, in the test driver: no daemon, nothing started).
The guestReset values are checked too. Exit 77 without virsh or
virt-xml-validate (Debian: libvirt-clients).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import leases  # noqa: E402

LEASE = leases.WEB + """
[device "l4"]
request = l4
group = l4
type = vgpu
mode = vf
functions = 0000:03:00.4
"""

USB = """
[device "{name}"]
request = {name}
group = keys
type = usb
usb = usb:1050:0407:{serial}
busnum = 1
port_path = {port}
vendor_id = 1050
product_id = 0407
serial = {serial}
guest_reset = {reset}
guest_resets_all = {all}
"""

USB_CASES = [("key-off", "no", "no", "off"), ("key-uninit", "yes", "no", "uninitialized"),
             ("key-on", "yes", "yes", "on")]

DOMAIN = """<domain type='test'>
  <name>{name}</name>
  <memory>65536</memory>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
{devices}
    <controller type='usb' model='qemu-xhci'/>
  </devices>
</domain>
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pt", required=True)
    a = ap.parse_args()
    virsh, validate = shutil.which("virsh"), shutil.which("virt-xml-validate")
    if not virsh or not validate:
        print("SKIP: virsh or virt-xml-validate missing (Debian: libvirt-clients)")
        return 77
    tmp = tempfile.mkdtemp(prefix="pt-attach-libvirt-")
    problems = []
    try:
        os.makedirs(os.path.join(tmp, "conf", "vms.d"))
        os.makedirs(os.path.join(tmp, "run", "leases"))
        with open(os.path.join(tmp, "conf", "vms.d", "web.ini"), "w") as f:
            f.write('[request "gpus"]\ngroup = gpus\n')
        lease = LEASE + "".join(USB.format(name=n, reset=r, all=x, serial="1661200%d" % i,
                                           port="4.%d" % (i + 1))
                                for i, (n, r, x, _) in enumerate(USB_CASES))
        with open(os.path.join(tmp, "run", "leases", "web.ini"), "w") as f:
            f.write(lease)
        p = subprocess.run([a.pt, "attach", "show", "web", "--format", "libvirt",
                            "-O", "conf.dir=" + tmp + "/conf", "-O", "run.dir=" + tmp + "/run"],
                           capture_output=True, text=True)
        if p.returncode:
            print("FAIL pt attach show: exit %d: %s" % (p.returncode, p.stderr))
            return 1
        xml = p.stdout
        # top-level elements, one device each
        elems = re.findall(r"^<(hostdev|interface)\b.*?^</\1>\n", xml, re.S | re.M)
        whole = re.findall(r"(^<(hostdev|interface)\b.*?^</\2>\n)", xml, re.S | re.M)
        devices = [w[0] for w in whole]
        kinds = {
            "pci multifunction": [d for d in devices if "multifunction='on'" in d or
                                  "slot='0x10' function='0x1'" in d],
            "sriov-nic VF": [d for d in devices if d.startswith("<interface type='hostdev'")],
            "vgpu mdev": [d for d in devices if "type='mdev'" in d],
            "vgpu per-VF": [d for d in devices if "bus='0x03' slot='0x00' function='0x4'" in d],
        }
        for n, _, _, want in USB_CASES:
            kinds["usb guestReset=" + want] = [d for d in devices if "type='usb'" in d and
                                               "guestReset='%s'" % want in d]
        if len(elems) != len(devices) or len(devices) != 2 + 1 + 1 + 1 + len(USB_CASES):
            problems.append("expected %d device elements, got %d:\n%s"
                            % (5 + len(USB_CASES), len(devices), xml))
        # libvirt tells USB hostdevs apart by vendor and product: one of them
        usb_one = [d for d in devices if "type='usb'" in d][:1]
        cases = [(k, v) for k, v in kinds.items()] + \
            [("all devices", [d for d in devices if "type='usb'" not in d] + usb_one)]
        for i, (what, devs) in enumerate(cases):
            if not devs:
                problems.append("%s: no such element in the output" % what)
                continue
            path = os.path.join(tmp, "dom%d.xml" % i)
            with open(path, "w") as f:
                f.write(DOMAIN.format(name="pt%d" % i, devices="".join(devs)))
            for argv in ([validate, path, "domain"],
                         [virsh, "-q", "-c", "test:///default", "define", path]):
                r = subprocess.run(argv, capture_output=True, text=True)
                ok = r.returncode == 0
                print("%s  %-24s %s" % ("ok  " if ok else "FAIL", what, os.path.basename(argv[0])))
                if not ok:
                    problems.append("%s: %s: %s%s" % (what, " ".join(argv[:1]), r.stdout,
                                                       r.stderr))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for p in problems:
        print("FAIL", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
