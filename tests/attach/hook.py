#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The libvirt hook (hooks/libvirt-qemu-passthru) as libvirt runs it.

    hook.py --pt BUILD/pt

With a lease of VM "web" (a GPU with its audio function, a VF, an mdev
instance) in a run dir: `prepare begin` lets web start with its devices,
refuses a domain "db" that names web's GPU or mdev (exit 1, the message
names the VM holding it), refuses web naming a passthrough device its lease
does not hold, lets a domain without host devices through; `release end`
frees web's lease, and again (no lease) is no error. pt comes from PATH.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import leases  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
HOOK = os.path.join(HERE, "..", "..", "hooks", "libvirt-qemu-passthru")

LEASE = leases.WEB


def pci(b, s, f):
    return ("<hostdev mode='subsystem' type='pci' managed='no'><source>"
            "<address domain='0x0000' bus='0x%s' slot='0x%s' function='0x%s'/>"
            "</source></hostdev>" % (b, s, f))


MDEV = ("<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source>"
        "<address uuid='4C0219BC-85DA-5A76-814D-A7AB86A05CA8'/></source></hostdev>")
VF = ("<interface type='hostdev' managed='no'><mac address='02:6c:4b:d2:69:a0'/><source>"
      "<address type='pci' domain='0x0000' bus='0x04' slot='0x02' function='0x0'/>"
      "</source></interface>")


def domain(name, *devs):
    return ("<domain type='kvm'><name>%s</name><memory>65536</memory><devices>%s"
            "<disk type='file' device='disk'><source file='/x.img'/><target dev='vda'/></disk>"
            "</devices></domain>" % (name, "".join(devs)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pt", required=True)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="pt-attach-hook-")
    problems = []
    try:
        for d in ("conf/vms.d", "run/leases", "sys", "proc", "bin"):
            os.makedirs(os.path.join(tmp, d))
        with open(os.path.join(tmp, "conf/vms.d/web.ini"), "w") as f:
            f.write('[request "gpus"]\ngroup = gpus\n')
        with open(os.path.join(tmp, "run/leases/web.ini"), "w") as f:
            f.write(LEASE)
        os.symlink(os.path.abspath(a.pt), os.path.join(tmp, "bin", "pt"))
        env = {k: v for k, v in os.environ.items() if not k.startswith("PT_")}
        env.update(PATH=os.path.join(tmp, "bin") + ":" + env.get("PATH", "/usr/bin:/bin"),
                   PT_CONF_DIR=tmp + "/conf", PT_RUN_DIR=tmp + "/run",
                   PT_SYSFS_ROOT=tmp + "/sys", PT_PROC_ROOT=tmp + "/proc", LC_ALL="C")
        cases = [
            ("web starts with its own devices", ["web", "prepare", "begin", "-"],
             domain("web", pci("01", "00", "0"), pci("01", "00", "1"), VF, MDEV), 0, None),
            ("db names web's GPU", ["db", "prepare", "begin", "-"],
             domain("db", pci("01", "00", "0")), 1, "0000:01:00.0 is leased to VM 'web'"),
            ("db names web's mdev", ["db", "prepare", "begin", "-"],
             domain("db", MDEV), 1, "is leased to VM 'web'"),
            ("web names a device its lease lacks", ["web", "prepare", "begin", "-"],
             domain("web", pci("01", "00", "0"), pci("06", "00", "0")), 1,
             "names 0000:06:00.0, which its lease does not hold"),
            ("a domain without host devices", ["plain", "prepare", "begin", "-"],
             domain("plain"), 0, None),
            ("other operations pass", ["db", "started", "begin", "-"],
             domain("db", pci("01", "00", "0")), 0, None),
            ("release end frees web's lease", ["web", "release", "end", "-"],
             domain("web"), 0, None),
            ("release end without a lease", ["web", "release", "end", "-"],
             domain("web"), 0, None),
            ("db may use the GPU now", ["db", "prepare", "begin", "-"],
             domain("db", pci("01", "00", "0")), 0, None),
        ]
        for what, args, xml, want, msg in cases:
            p = subprocess.run([sys.executable, HOOK] + args, input=xml, env=env,
                               capture_output=True, text=True)
            ok = p.returncode == want and (msg is None or msg in p.stderr) and \
                (msg is not None or not p.stderr)
            print("%s  %s (exit %d)%s" % ("ok  " if ok else "FAIL", what, p.returncode,
                                           (": " + p.stderr.strip()) if p.stderr else ""))
            if not ok:
                problems.append(what)
            if what.startswith("release end frees") and \
                    os.path.exists(os.path.join(tmp, "run/leases/web.ini")):
                problems.append("the lease of web is still there after release end")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
