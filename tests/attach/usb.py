#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""pt attach with USB devices, under umockdev (tests/usb/host.umockdev: three
YubiKeys 1050:0407, serials 16612001-3, at ports 2, 4.1 and 4.3 of bus 1).

    usb.py --pt BUILD/pt --umockdev-run UMOCKDEV_RUN

A usb group of two keys by serial; VM a takes one: QEMU gets an xhci
controller and usb-host by bus and port (never the device number) with the
group's guest_reset settings, libvirt a hostdev by vendor/product with
guestReset='uninitialized'; VM b asking for both is refused (exit 6) while
a runs; after a stops, b gets both, in key order.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = r'''
P="$1"
$P group create keys --type usb guest_reset=yes guest_resets_all=no >/dev/null || exit 10
$P group make-resource keys 1050:0407:16612002 1050:0407:16612003 >/dev/null 2>&1 || exit 11
$P attach add a keys || exit 12
$P attach add b keys --count 2 || exit 13
echo "== start a"; $P attach start a --format qemu; echo "rc=$?"
echo "== show a"; $P attach show a --format libvirt; echo "rc=$?"
echo "== check b"; $P attach check b; echo "rc=$?"
echo "== stop a"; $P attach stop a -q; echo "rc=$?"
echo "== start b"; $P attach start b --format qemu; echo "rc=$?"
echo "== stop b"; $P attach stop b -q; echo "rc=$?"
'''

WANT = """== start a
-device qemu-xhci,id=pt-xhci
-device usb-host,bus=pt-xhci.0,hostbus=1,hostport=4.1,vendorid=0x1050,productid=0x0407,guest-reset=on,guest-resets-all=off,id=keys
rc=0
== show a
<hostdev mode='subsystem' type='usb' managed='no'>
  <source guestReset='uninitialized'>
    <vendor id='0x1050'/>
    <product id='0x0407'/>
  </source>
</hostdev>
rc=0
== check b
pt-attach: VM 'b' request 'keys': group 'keys' cannot give 2 now (1 of 2 free: usb:1050:0407:16612002: leased to VM 'a'); stop a VM that holds one, or add devices to the group
rc=6
== stop a
rc=0
== start b
-device qemu-xhci,id=pt-xhci
-device usb-host,bus=pt-xhci.0,hostbus=1,hostport=4.1,vendorid=0x1050,productid=0x0407,guest-reset=on,guest-resets-all=off,id=keys
-device usb-host,bus=pt-xhci.0,hostbus=1,hostport=4.3,vendorid=0x1050,productid=0x0407,guest-reset=on,guest-resets-all=off,id=keys.1
rc=0
== stop b
rc=0
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pt", required=True)
    ap.add_argument("--umockdev-run", required=True)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="pt-attach-usb-")
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PT_")}
        env.update(PT_CONF_DIR=tmp + "/conf", PT_RUN_DIR=tmp + "/run", LC_ALL="C")
        p = subprocess.run([a.umockdev_run, "--device",
                            os.path.join(HERE, "..", "usb", "host.umockdev"), "--",
                            "sh", "-c", "exec 2>&1\n" + SCRIPT, "sh", os.path.abspath(a.pt)],
                           env=env, capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if p.stdout != WANT or p.returncode:
        sys.stdout.write("FAIL: exit %d\n--- want\n%s--- got\n%s%s" % (
            p.returncode, WANT, p.stdout, p.stderr))
        return 1
    print("ok: USB allocation, QEMU and libvirt output, refusal, release")
    return 0


if __name__ == "__main__":
    sys.exit(main())
