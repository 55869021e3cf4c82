#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Tests of fakekernel, the test "kernel" for fixture trees.

    run.py --fakekernel BIN --gen GEN-SYSFS --work DIR [TEST...]

Generates a workstation tree with tests/fixtures/gen-sysfs for each test,
starts the daemon on it, writes attributes with plain open()/write() as a
tool would (O_TRUNC, one write, close) and checks the tree the daemon
leaves: every reaction, every refusal, the control file's injected
failures, start-up and shutdown. Each write waits for the daemon's log line about it, so nothing
sleeps on a guess. Without TEST every test runs; --list names them.
"""

import argparse
import errno
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

ROOT = None          # the tree of the running test
FK = None            # the daemon of the running test

WS = "workstation"
X710_PF0 = "0000:04:00.0"     # i40e, 4 VFs (2 iavf, 2 vfio-pci), total 64
X710_PF1 = "0000:04:00.1"     # i40e, no VFs, offset 79
L4 = "0000:03:00.0"           # nvidia, 4 VFs with per-VF vGPU
T4 = "0000:02:00.0"           # nvidia, mdev types, one nvidia-232 instance
T4_MDEV = "b7f1e0a2-4c3d-4e5f-8a9b-0c1d2e3f4a5b"
GPU = "0000:01:00.0"          # vfio-pci (driver_override vfio-pci)
GPU_AUDIO = "0000:01:00.1"    # snd_hda_intel, same IOMMU group as GPU
UUID1 = "5a1c7f0e-9b2d-4c3e-8f4a-1b2c3d4e5f60"
UUID2 = "6b2d8a1f-0c3e-4d5f-9a5b-2c3d4e5f6a71"


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def eq(got, want, what):
    if got != want:
        raise Fail("%s: got %r, want %r" % (what, got, want))


# ---------------------------------------------------------------------------
# The tree
# ---------------------------------------------------------------------------

def S(rel):
    return os.path.join(ROOT, "sys", rel)


def dev(bdf, rel=""):
    return S("bus/pci/devices/%s/%s" % (bdf, rel)) if rel else S("bus/pci/devices/" + bdf)


def real(bdf):
    """The function's directory below sys/, as the kernel links to it."""
    return os.path.relpath(os.path.realpath(dev(bdf)), S(""))


def read(path):
    with open(path) as f:
        return f.read()


def readb(path):
    with open(path, "rb") as f:
        return f.read()


def link(path):
    return os.readlink(path)


def driver(bdf):
    try:
        return os.path.basename(os.readlink(dev(bdf, "driver")))
    except FileNotFoundError:
        return None


def group(bdf_or_path):
    p = bdf_or_path if "/" in bdf_or_path else dev(bdf_or_path)
    return int(os.path.basename(os.readlink(os.path.join(p, "iommu_group"))))


def exists(path):
    return os.path.lexists(path)


def netdevs():
    return sorted(os.listdir(S("class/net")))


def snapshot():
    """Every entry below sys/ and dev/: symlink targets, file contents."""
    out = {}
    for top in ("sys", "dev"):
        base = os.path.join(ROOT, top)
        for d, dirs, files in os.walk(base):
            for n in dirs + files:
                p = os.path.join(d, n)
                rel = os.path.relpath(p, ROOT)
                if os.path.islink(p):
                    out[rel] = ("link", os.readlink(p))
                elif os.path.isdir(p):
                    out[rel] = ("dir",)
                else:
                    st = os.stat(p)
                    # a write-only file is unreadable when not root: its size
                    data = readb(p) if os.access(p, os.R_OK) else st.st_size
                    out[rel] = ("file", st.st_mode & 0o7777, data)
    return out


def diff(a, b):
    keys = sorted(set(a) | set(b))
    return [k for k in keys if a.get(k) != b.get(k)]


# ---------------------------------------------------------------------------
# The daemon
# ---------------------------------------------------------------------------

class Kernel:
    def __init__(self, root, args=(), ready="fd"):
        self.root = root
        self.log = os.path.join(root, ".fakekernel", "log")
        self.errf = open(os.path.join(root, "fakekernel.stderr"), "w+")
        self.pidfile = os.path.join(root, "fakekernel.pid")
        cmd = [OPTS.fakekernel, "--root", root, "--pidfile", self.pidfile,
               "--exit-with-parent"] + list(args)
        t0 = time.monotonic()
        if ready == "fd":
            r, w = os.pipe()
            self.proc = subprocess.Popen(cmd + ["--ready-fd", str(w)], pass_fds=(w,),
                                         stderr=self.errf)
            os.close(w)
            with os.fdopen(r) as f:
                line = f.readline()     # blocks until ready (or exit: EOF)
            check(line == "ready\n", "no readiness on --ready-fd (got %r; stderr: %s)"
                  % (line, self.stderr()))
        else:
            rf = os.path.join(root, "ready")
            self.proc = subprocess.Popen(cmd + ["--ready-file", rf], stderr=self.errf)
            wait_for(lambda: os.path.exists(rf), "the --ready-file", self)
            eq(read(rf), "%d\n" % self.proc.pid, "--ready-file content")
        self.startup = time.monotonic() - t0
        self.seen = self.count()

    def stderr(self):
        with open(self.errf.name) as f:
            return f.read()

    def lines(self):
        try:
            return read(self.log).splitlines()
        except FileNotFoundError:
            return []

    def count(self):
        return sum(1 for l in self.lines() if l.startswith("#"))

    def next_line(self, what):
        """Wait for the daemon's next "#N" line; return it."""
        want = self.seen + 1
        wait_for(lambda: self.count() >= want, "the log line for " + what, self)
        self.seen = want
        return [l for l in self.lines() if l.startswith("#")][want - 1]

    def write(self, path, value, expect=None):
        """Write as a tool does and wait for the reaction. expect: "ok",
        "refused" or None; returns the log line."""
        mode = os.lstat(path).st_mode & 0o7777
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC | os.O_NOFOLLOW)
        try:
            os.write(fd, value.encode())
        finally:
            os.close(fd)
        line = self.next_line("%s <- %r" % (os.path.relpath(path, ROOT), value))
        if expect:
            check((": %s: " % expect) in line or line.endswith(": " + expect),
                  "expected %s, log says: %s" % (expect, line))
        # what a read shows afterwards: nothing for a write-only attribute,
        # and the file keeps its mode (unless it went: an mdev's remove)
        if not os.path.lexists(path):
            return line
        st = os.lstat(path)
        eq(st.st_mode & 0o7777, mode, "mode of %s after the write" % path)
        if not mode & 0o444:
            eq(st.st_size, 0, "size of write-only %s after the write" % path)
        return line

    def control(self, text):
        p = os.path.join(self.root, ".fakekernel", "control")
        with open(p, "w") as f:
            f.write(text)
        return self.next_line("the control file")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise Fail("fakekernel did not exit on SIGTERM")
        err = self.stderr()
        self.errf.close()
        eq(rc, 0, "fakekernel exit status (stderr: %s)" % err)
        eq(err, "", "fakekernel stderr")
        check(not os.path.exists(self.pidfile), "pidfile left behind")
        check(self.lines()[-1].endswith("signal 15, exiting"), "no exit line in the log")


def wait_for(cond, what, k=None, timeout=5.0):
    end = time.monotonic() + timeout
    while True:
        if cond():
            return
        if k is not None and k.proc.poll() is not None:
            raise Fail("fakekernel exited (%s) waiting for %s; stderr: %s"
                       % (k.proc.returncode, what, k.stderr()))
        if time.monotonic() > end:
            raise Fail("timed out waiting for " + what)
        time.sleep(0.005)


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------

TESTS = []


def test(tree=WS, **kw):
    def deco(fn):
        TESTS.append((fn.__name__, fn, tree, kw))
        return fn
    return deco


@test(ready="file")
def startup_and_shutdown():
    """--ready-file and --pidfile, a quiet start, SIGTERM ends it cleanly."""
    eq(read(FK.pidfile), "%d\n" % FK.proc.pid, "pidfile")
    check(any(l.startswith("ready: 40 PCI functions, 1 mdev parents, 1 mdevs")
              for l in FK.lines()), "ready line: %s" % FK.lines())
    # nothing changed by starting up
    check(not diff(snapshot(), BASE[WS]), "start-up changed the tree: %s"
          % diff(snapshot(), BASE[WS])[:5])


@test()
def override():
    p = dev(X710_PF0, "driver_override")
    eq(read(p), "(null)\n", "driver_override at start")
    FK.write(p, "vfio-pci", "ok")
    eq(read(p), "vfio-pci\n", "driver_override after a write without newline")
    FK.write(p, "pci-stub\n", "ok")
    eq(read(p), "pci-stub\n", "driver_override after a write with newline")
    FK.write(p, "\n", "ok")
    eq(read(p), "(null)\n", "driver_override cleared with a newline")
    FK.write(p, "vfio-pci\n")
    FK.write(p, "", "ok")
    eq(read(p), "(null)\n", "driver_override cleared with an empty write")
    eq(read(dev(GPU, "driver_override")), "vfio-pci\n", "the GPU's override from the fixture")


@test()
def unbind_and_bind():
    vf = "0000:04:02.0"            # an iavf VF with netdev enp4s0f0v0
    path = real(vf)
    unbind = S("bus/pci/drivers/iavf/unbind")
    bind = S("bus/pci/drivers/iavf/bind")
    uevent = read(dev(vf, "uevent"))
    check("enp4s0f0v0" in netdevs(), "fixture: the VF's netdev")

    FK.write(unbind, vf, "ok")
    check(not exists(dev(vf, "driver")), "driver link after unbind")
    check(not exists(S("bus/pci/drivers/iavf/" + vf)), "driver's device link after unbind")
    eq(read(dev(vf, "uevent")), uevent.replace("DRIVER=iavf\n", ""), "uevent after unbind")
    check("enp4s0f0v0" not in netdevs(), "the netdev leaves with its driver")
    check(not exists(dev(vf, "net")), "net/ after unbind")

    line = FK.write(unbind, vf + "\n", "refused")
    check("not bound" in line, line)
    FK.write(bind, "0000:99:00.0", "refused")

    # vfio-pci has no ids: without driver_override it does not match
    before = snapshot()
    line = FK.write(S("bus/pci/drivers/vfio-pci/bind"), vf, "refused")
    check("does not match" in line, line)
    eq(diff(snapshot(), before), [], "tree after a refused bind")

    FK.write(bind, vf, "ok")
    eq(link(dev(vf, "driver")), "../../../../bus/pci/drivers/iavf", "driver link")
    eq(link(S("bus/pci/drivers/iavf/" + vf)), "../../../../" + path, "driver's device link")
    eq(read(dev(vf, "uevent")), uevent, "uevent after bind")
    check("enp4s0f0v0" in netdevs(), "the netdev comes back with its driver")
    eq(link(S("class/net/enp4s0f0v0")), "../../" + path + "/net/enp4s0f0v0",
       "class/net link")
    eq(read(S("class/net/enp4s0f0v0/address")), "ea:d2:7c:00:01:00\n", "netdev content")

    line = FK.write(bind, vf, "refused")
    check("already bound to iavf" in line, line)
    line = FK.write(S("bus/pci/drivers/vfio-pci/unbind"), vf, "refused")
    check("bound to iavf, not vfio-pci" in line, line)

    # driver_override names another driver: the native one no longer matches
    FK.write(dev(vf, "driver_override"), "vfio-pci", "ok")
    FK.write(unbind, vf, "ok")
    line = FK.write(bind, vf, "refused")
    check("driver_override of %s is vfio-pci" % vf in line, line)
    g = group(vf)
    check(not exists(os.path.join(ROOT, "dev/vfio/%d" % g)), "fixture: group %d not on vfio" % g)
    FK.write(S("bus/pci/drivers/vfio-pci/bind"), vf, "ok")
    eq(driver(vf), "vfio-pci", "driver after bind to vfio-pci")
    check(os.path.isfile(os.path.join(ROOT, "dev/vfio/%d" % g)), "dev/vfio/%d" % g)
    cdevs = os.listdir(dev(vf, "vfio-dev"))
    eq(len(cdevs), 1, "vfio-dev entries")
    n = int(cdevs[0][4:])
    eq(read(dev(vf, "vfio-dev/%s/dev" % cdevs[0])), "236:%d\n" % n, "vfio-dev/vfioN/dev")
    check(n >= 4, "vfio cdev index %d is one the fixture does not use" % n)
    check(exists(os.path.join(ROOT, "dev/vfio/devices/vfio%d" % n)), "dev/vfio/devices node")

    FK.write(S("bus/pci/drivers/vfio-pci/unbind"), vf, "ok")
    check(not exists(os.path.join(ROOT, "dev/vfio/%d" % g)), "dev/vfio/%d after unbind" % g)
    check(not exists(dev(vf, "vfio-dev")), "vfio-dev after unbind")
    check(not exists(os.path.join(ROOT, "dev/vfio/devices/vfio%d" % n)), "cdev after unbind")


@test()
def drivers_probe():
    probe = S("bus/pci/drivers_probe")
    vf = "0000:04:02.1"
    # through the function's driver link, as "echo BDF > BDF/driver/unbind"
    FK.write(dev(vf, "driver/unbind"), vf, "ok")
    eq(driver(vf), None, "unbound through BDF/driver/unbind")
    FK.write(probe, vf, "ok")
    eq(driver(vf), "iavf", "probe without override: the native driver")
    line = FK.write(probe, vf, "ok")
    check("already bound" in line, line)
    FK.write(dev(vf, "driver_override"), "vfio-pci\n", "ok")
    FK.write(S("bus/pci/drivers/iavf/unbind"), vf, "ok")
    FK.write(probe, vf + "\n", "ok")
    eq(driver(vf), "vfio-pci", "probe with driver_override")
    # the same VF back: override cleared, unbind, probe
    FK.write(dev(vf, "driver_override"), "\n", "ok")
    FK.write(S("bus/pci/drivers/vfio-pci/unbind"), vf, "ok")
    FK.write(probe, vf, "ok")
    eq(driver(vf), "iavf", "probe after the override is cleared")

    # a VF on vfio-pci in the fixture probes to its PF's VF driver
    vf2 = "0000:04:02.2"
    FK.write(S("bus/pci/drivers/vfio-pci/unbind"), vf2, "ok")
    FK.write(probe, vf2, "ok")
    eq(driver(vf2), "iavf", "a fixture vfio-pci VF's own driver")

    # driver_override naming a driver that is not loaded: nothing binds
    FK.write(S("bus/pci/drivers/iavf/unbind"), vf2, "ok")
    FK.write(dev(vf2, "driver_override"), "nosuchdrv", "ok")
    line = FK.write(probe, vf2, "refused")
    check("nosuchdrv is not loaded" in line, line)
    eq(driver(vf2), None, "driver after probing to a missing driver")

    # the GPU was on vfio-pci at start: no driver of its own is known
    FK.write(dev(GPU, "driver_override"), "\n", "ok")
    FK.write(S("bus/pci/drivers/vfio-pci/unbind"), GPU, "ok")
    line = FK.write(probe, GPU, "refused")
    check("no driver for" in line, line)
    FK.control("native %s pci-stub\n" % GPU)
    FK.write(probe, GPU, "ok")
    eq(driver(GPU), "pci-stub", "probe to the control file's native driver")

    # a driver module "loaded" later: its directory renamed into place
    tmp = os.path.join(ROOT, "newdrv")
    os.mkdir(tmp)
    for n in ("bind", "unbind", "new_id", "remove_id", "uevent"):
        with open(os.path.join(tmp, n), "w"):
            pass
        os.chmod(os.path.join(tmp, n), 0o200)
    os.rename(tmp, S("bus/pci/drivers/newdrv"))
    line = FK.next_line("the new driver")
    check(line.endswith("bus/pci/drivers/newdrv: driver appeared"), line)
    FK.write(dev(vf2, "driver_override"), "newdrv", "ok")
    FK.write(probe, vf2, "ok")
    eq(driver(vf2), "newdrv", "bound to the driver loaded later")
    FK.write(S("bus/pci/drivers/newdrv/unbind"), vf2, "ok")
    eq(driver(vf2), None, "unbound from the driver loaded later")

    # no IOMMU group: vfio-pci refuses the function (see prepare())
    ppd = "0000:06:01.0"
    FK.write(S("bus/pci/drivers/parport_serial/unbind"), ppd, "ok")
    FK.write(dev(ppd, "driver_override"), "vfio-pci", "ok")
    line = FK.write(probe, ppd, "refused")
    check("no IOMMU group" in line, line)


def prepare_drivers_probe():
    os.unlink(dev("0000:06:01.0", "iommu_group"))


@test()
def vfio_group_node():
    """dev/vfio/<group> lives while any function of the group is on vfio-pci."""
    g = group(GPU)
    eq(group(GPU_AUDIO), g, "fixture: GPU and audio share a group")
    node = os.path.join(ROOT, "dev/vfio/%d" % g)
    check(exists(node), "fixture: dev/vfio/%d" % g)
    FK.write(dev(GPU_AUDIO, "driver_override"), "vfio-pci", "ok")
    FK.write(S("bus/pci/drivers/snd_hda_intel/unbind"), GPU_AUDIO, "ok")
    FK.write(S("bus/pci/drivers_probe"), GPU_AUDIO, "ok")
    eq(driver(GPU_AUDIO), "vfio-pci", "audio on vfio-pci")
    FK.write(S("bus/pci/drivers/vfio-pci/unbind"), GPU, "ok")
    check(exists(node), "dev/vfio/%d while the audio function is still on vfio-pci" % g)
    FK.write(S("bus/pci/drivers/vfio-pci/unbind"), GPU_AUDIO, "ok")
    check(not exists(node), "dev/vfio/%d after the last function left vfio-pci" % g)
    FK.write(S("bus/pci/drivers_probe"), GPU, "ok")
    check(exists(node), "dev/vfio/%d again" % g)


VF_SAME = ["vendor", "device", "subsystem_vendor", "subsystem_device", "class", "revision",
           "irq", "numa_node", "local_cpulist", "local_cpus", "modalias",
           "consistent_dma_mask_bits", "dma_mask_bits", "ari_enabled", "power_state",
           "current_link_speed", "current_link_width", "max_link_speed", "max_link_width",
           "reset_method", "resource", "driver_override", "msi_bus",
           "broken_parity_status", "d3cold_allowed", "remove", "rescan", "reset",
           "resource0", "resource3"]
VF_LINKS = ["physfn", "subsystem", "iommu", "iommu_group"]


@test()
def sriov():
    pf = X710_PF0
    numvfs = dev(pf, "sriov_numvfs")
    base = BASE[WS]
    vfs = ["0000:04:02.%d" % i for i in range(4)]
    paths = [real(v) for v in vfs]
    groups = [group(v) for v in vfs]
    vfio_groups = [group(v) for v in vfs if driver(v) == "vfio-pci"]
    eq(len(vfio_groups), 2, "fixture: two VFs on vfio-pci")

    before = snapshot()
    for v, why in (("2", "already enabled"), ("65", "sriov_totalvfs is 64"),
                   ("x", "not a number"), ("-1", "not a number")):
        line = FK.write(numvfs, v, "refused")
        check(why in line, line)
        eq(read(numvfs), "4\n", "sriov_numvfs after a refused %s" % v)
    FK.write(numvfs, "4\n", "ok")
    eq(diff(snapshot(), before), [], "tree after refused and same-value writes")

    FK.write(numvfs, "0", "ok")
    eq(read(numvfs), "0\n", "sriov_numvfs after 0")
    for v, p, g in zip(vfs, paths, groups):
        check(not exists(S(p)), "VF directory %s after 0" % p)
        check(not exists(dev(v)), "bus/pci/devices/%s after 0" % v)
        check(not exists(S("kernel/iommu_groups/%d" % g)), "group %d after 0" % g)
        check(not exists(S("devices/virtual/iommu/dmar1/devices/" + v)), "iommu unit link")
    for i in range(4):
        check(not exists(dev(pf, "virtfn%d" % i)), "virtfn%d after 0" % i)
    for g in vfio_groups:
        check(not exists(os.path.join(ROOT, "dev/vfio/%d" % g)), "dev/vfio/%d after 0" % g)
    check(not [n for n in netdevs() if n.startswith("enp4s0f0v")], "VF netdevs after 0")
    check(not [n for n in os.listdir(S("bus/pci/drivers/vfio-pci")) if n.startswith("0000:04")],
          "vfio-pci links after 0")
    cfg = readb(dev(pf, "config"))
    eq(cfg[0x160 + 0x10], 0, "PF config NumVFs after 0")
    eq(cfg[0x160 + 0x08] & 0x09, 0, "PF config VF Enable/MSE after 0")

    FK.write(numvfs, "4", "ok")
    eq(read(numvfs), "4\n", "sriov_numvfs after 4")
    cfg = readb(dev(pf, "config"))
    eq(cfg[0x160 + 0x10], 4, "PF config NumVFs after 4")
    eq(cfg[0x160 + 0x08] & 0x09, 0x09, "PF config VF Enable/MSE after 4")
    now = snapshot()
    for i, (v, p, g) in enumerate(zip(vfs, paths, groups)):
        eq(real(v), p, "VF %d's directory" % i)
        eq(link(dev(pf, "virtfn%d" % i)), "../" + v, "virtfn%d" % i)
        eq(group(v), g, "VF %d's group (the lowest free, as before)" % i)
        for a in VF_SAME:
            k = "sys/" + p + "/" + a
            eq(now.get(k), base.get(k), "VF %d's %s, against what gen-sysfs wrote" % (i, a))
        for a in VF_LINKS:
            k = "sys/" + p + "/" + a
            eq(now.get(k), base.get(k), "VF %d's %s link" % (i, a))
        for k in ("sys/bus/pci/devices/" + v, "sys/kernel/iommu_groups/%d/devices/%s" % (g, v),
                  "sys/kernel/iommu_groups/%d/type" % g,
                  "sys/devices/virtual/iommu/dmar1/devices/" + v):
            eq(now.get(k), base.get(k), k)
        # config space: the PF's header made a VF's, BARs from the IOV BARs
        want, got = base["sys/" + p + "/config"][2], now["sys/" + p + "/config"][2]
        eq(len(got), len(want), "VF %d config size" % i)
        eq(got[:4] + got[8:0x34] + got[0x3c:0x40], want[:4] + want[8:0x34] + want[0x3c:0x40],
           "VF %d config header" % i)
        check(b"\x10\x00\x01" not in got[0x100:0x104], "SR-IOV capability in a VF")
        # autoprobe: the PF's VF driver, learned from the fixture's VFs
        eq(driver(v), "iavf", "VF %d bound at creation" % i)
        eq(read(dev(v, "uevent")).splitlines()[0], "DRIVER=iavf", "VF %d uevent" % i)

    # autoprobe off: the VFs stay unbound
    ap = dev(pf, "sriov_drivers_autoprobe")
    FK.write(ap, "x", "refused")
    FK.write(ap, "0", "ok")
    eq(read(ap), "0\n", "sriov_drivers_autoprobe")
    FK.write(numvfs, "0", "ok")
    FK.write(numvfs, "2", "ok")
    eq([driver(v) for v in vfs[:2]], [None, None], "drivers with autoprobe 0")
    check("sd00000000" in read(dev(vfs[0], "modalias")), "subsystem id learned from VFs")
    FK.write(ap, "1\n", "ok")
    FK.write(numvfs, "0", "ok")

    # the second port: no VFs in the fixture; VF routing IDs after offset 79
    pf1 = X710_PF1
    FK.write(dev(pf1, "sriov_numvfs"), "3", "ok")
    want = ["0000:04:0a.0", "0000:04:0a.1", "0000:04:0a.2"]
    for i, v in enumerate(want):
        eq(link(dev(pf1, "virtfn%d" % i)), "../" + v, "port 1 virtfn%d" % i)
        eq(link(dev(v, "physfn")), "../0000:04:00.1", "port 1 VF %d physfn" % i)
        eq(link(dev(v)), "../../../devices/pci0000:00/0000:00:1b.4/" + v,
           "bus/pci/devices link of %s" % v)
        eq(driver(v), "iavf", "port 1 VF %d driver" % i)
        eq(read(dev(v, "device")), "0x154c\n", "port 1 VF %d device id" % i)
    eq(len({group(v) for v in want} | {group(pf1)}), 4, "each VF in its own group")
    # resource: slice i of the PF's IOV BARs
    iov = [l.split() for l in read(dev(pf1, "resource")).splitlines()]
    total = int(read(dev(pf1, "sriov_totalvfs")))
    for i, v in enumerate(want):
        res = [l.split() for l in read(dev(v, "resource")).splitlines()]
        eq(len(res), 13, "resource lines")
        for bar in (0, 3):
            start, end = int(iov[7 + bar][0], 16), int(iov[7 + bar][1], 16)
            size = (end - start + 1) // total
            eq(int(res[bar][0], 16), start + size * i, "VF %d BAR %d start" % (i, bar))
            eq(int(res[bar][1], 16), start + size * (i + 1) - 1, "VF %d BAR %d end" % (i, bar))

    # a PF without a driver cannot change its VFs
    FK.write(dev(pf1, "sriov_numvfs"), "0", "ok")
    FK.write(S("bus/pci/drivers/i40e/unbind"), pf1, "ok")
    line = FK.write(dev(pf1, "sriov_numvfs"), "2", "refused")
    check("no driver bound" in line, line)
    check(not exists(dev(pf1, "virtfn0")), "no VF from a driverless PF")


@test()
def sriov_vgpu_vfs():
    """The L4's VFs come back with their nvidia/ directory."""
    vfs = ["0000:03:00.%d" % i for i in range(4, 8)]
    table = read(dev(vfs[1], "nvidia/creatable_vgpu_types"))
    FK.write(dev(L4, "sriov_numvfs"), "0", "ok")
    check(not exists(dev(vfs[0])), "L4 VFs removed")
    FK.write(dev(L4, "sriov_numvfs"), "6", "ok")
    for i in range(6):
        v = "0000:03:00.%d" % (4 + i) if i < 4 else "0000:03:01.%d" % (i - 4)
        eq(driver(v), "nvidia", "L4 VF %d driver" % i)
        eq(read(dev(v, "nvidia/creatable_vgpu_types")), table, "L4 VF %d creatable" % i)
        eq(read(dev(v, "nvidia/current_vgpu_type")), "0\n", "L4 VF %d current" % i)
    FK.write(dev("0000:03:01.1", "nvidia/current_vgpu_type"), "562", "ok")
    eq(read(dev("0000:03:01.1", "nvidia/current_vgpu_type")), "562\n", "type on a new VF")


@test()
def vgpu():
    vf = "0000:03:00.5"
    cur = dev(vf, "nvidia/current_vgpu_type")
    crt = dev(vf, "nvidia/creatable_vgpu_types")
    table = read(crt)
    eq(table, "ID    : vGPU Name\n562   : NVIDIA L4-4Q\n", "fixture table")
    FK.write(cur, "999", "refused")
    eq(read(cur), "0\n", "current after a type that is not creatable")
    FK.write(cur, "abc", "refused")
    FK.write(cur, "562\n", "ok")
    eq(read(cur), "562\n", "current after 562")
    eq(read(crt), "ID    : vGPU Name\n", "creatable while a vGPU is set")
    line = FK.write(cur, "560", "refused")
    check("write 0 first" in line, line)
    eq(read(cur), "562\n", "current after a refused change")
    FK.write(cur, "562", "ok")
    FK.write(cur, "0", "ok")
    eq(read(cur), "0\n", "current after 0")
    eq(read(crt), table, "creatable after 0")
    # VF 0 had a type at start: clearing it makes it creatable again
    vf0 = "0000:03:00.4"
    eq(read(dev(vf0, "nvidia/current_vgpu_type")), "562\n", "fixture: VF 0's type")
    FK.write(dev(vf0, "nvidia/current_vgpu_type"), "0", "ok")
    eq(read(dev(vf0, "nvidia/creatable_vgpu_types")), table, "VF 0 creatable after 0")
    FK.control("refuse vgpu %s\n" % vf)
    line = FK.write(cur, "562", "refused")
    check("control: refuse vgpu" in line, line)
    eq(read(cur), "0\n", "current after a control refusal")


def avail(t):
    return int(read(dev(T4, "mdev_supported_types/%s/available_instances" % t)))


@test()
def mdev():
    types = sorted(os.listdir(dev(T4, "mdev_supported_types")))
    eq([avail(t) for t in types], [3 if t == "nvidia-232" else 0 for t in types],
       "fixture: available_instances")
    create = dev(T4, "mdev_supported_types/nvidia-232/create")
    FK.write(create, UUID1.upper(), "ok")     # uuid_parse takes either case
    path = real(T4) + "/" + UUID1
    g = group(S(path))
    eq(g, 33, "the lowest free group (32 holds the fixture's mdev)")
    eq(link(S(path + "/mdev_type")), "../mdev_supported_types/nvidia-232", "mdev_type")
    eq(link(S(path + "/iommu_group")), "../../../../../kernel/iommu_groups/33", "iommu_group")
    eq(link(S(path + "/driver")), "../../../../../bus/mdev/drivers/nvidia-vgpu-vfio", "driver")
    eq(link(S(path + "/subsystem")), "../../../../../bus/mdev", "subsystem")
    eq(link(dev(T4, "mdev_supported_types/nvidia-232/devices/" + UUID1)), "../../../" + UUID1,
       "type's devices link")
    eq(link(S("bus/mdev/devices/" + UUID1)), "../../../" + path, "bus/mdev link")
    eq(link(S("bus/mdev/drivers/nvidia-vgpu-vfio/" + UUID1)), "../../../../" + path,
       "mdev driver link")
    eq(link(S("kernel/iommu_groups/33/devices/" + UUID1)), "../../../../" + path, "group link")
    eq(read(S(path + "/uevent")), "DRIVER=nvidia-vgpu-vfio\nMDEV_TYPE=nvidia-232\n", "uevent")
    check(os.stat(S(path + "/remove")).st_mode & 0o777 == 0o200, "remove is write-only")
    check(exists(os.path.join(ROOT, "dev/vfio/33")), "dev/vfio/33")
    eq([avail(t) for t in types], [2 if t == "nvidia-232" else 0 for t in types],
       "available_instances after create")

    before = snapshot()
    line = FK.write(create, UUID1, "refused")
    check("exists" in line, line)
    line = FK.write(create, "not-a-uuid", "refused")
    check("not a UUID" in line, line)
    line = FK.write(dev(T4, "mdev_supported_types/nvidia-233/create"), UUID2, "refused")
    check("no instance of nvidia-233 available" in line, line)
    FK.control("refuse create %s nvidia-232\n" % T4)
    line = FK.write(create, UUID2, "refused")
    check("control: refuse create" in line, line)
    FK.control("")
    eq(diff(snapshot(), before), [], "tree after refused creates")

    # fill the GPU: 4 instances of nvidia-232 at most
    more = ["%08x-0000-4000-8000-000000000000" % i for i in range(3)]
    FK.write(create, more[0], "ok")
    FK.write(create, more[1], "ok")
    eq(avail("nvidia-232"), 0, "available when full")
    line = FK.write(create, more[2], "refused")
    check("no instance of nvidia-232 available" in line, line)

    # remove: "0" keeps it, a refusal keeps it, "1" removes it
    rm = S(path + "/remove")
    FK.write(rm, "0", "ok")
    check(exists(S(path)), "instance after remove <- 0")
    FK.control("refuse remove %s\n" % UUID1)
    FK.write(rm, "1", "refused")
    check(exists(S(path)), "instance after a refused remove")
    FK.control("")
    FK.write(rm, "1", "ok")
    for p in (S(path), S("bus/mdev/devices/" + UUID1), S("kernel/iommu_groups/33"),
              os.path.join(ROOT, "dev/vfio/33"),
              dev(T4, "mdev_supported_types/nvidia-232/devices/" + UUID1)):
        check(not exists(p), "%s after remove" % p)
    eq(avail("nvidia-232"), 1, "available after remove")
    FK.write(S("bus/mdev/devices/%s/remove" % T4_MDEV), "1\n", "ok")
    for u in more[:2]:
        FK.write(S(real(T4) + "/" + u + "/remove"), "1\n", "ok")
    # no instance left: every type offers its max_instance again
    for t in types:
        desc = read(dev(T4, "mdev_supported_types/%s/description" % t))
        eq(avail(t), int(desc.split("max_instance=")[1]), "available of %s when idle" % t)
    FK.write(dev(T4, "mdev_supported_types/nvidia-222/create"), UUID2, "ok")
    eq(avail("nvidia-222"), 15, "a different type once the GPU is idle")
    eq(avail("nvidia-232"), 0, "other types after a create")


@test()
def unhandled_writes():
    """Attributes the daemon does not emulate: write-only ones show nothing
    again, others keep what was written; one line each in the log."""
    line = FK.write(dev(X710_PF0, "reset"), "1", None)
    check("ignored: not emulated" in line, line)
    line = FK.write(S("bus/pci/drivers/vfio-pci/new_id"), "8086 154c", None)
    check("ignored: not emulated" in line, line)
    line = FK.write(dev(X710_PF0, "d3cold_allowed"), "0", None)
    check("left as written" in line, line)
    eq(read(dev(X710_PF0, "d3cold_allowed")), "0", "a plain attribute as written")


@test()
def injected_failures():
    probe = S("bus/pci/drivers_probe")
    vfs = ["0000:04:02.0", "0000:04:02.1"]

    # unknown lines are reported, not silently dropped
    FK.control("refuse frobnicate x\n")
    check(any("not understood" in l for l in FK.lines()), "bad control line reported")

    # the Nth step of an apply fails: binding the second VF to vfio-pci
    line = FK.control("# step 2 fails\nrefuse bind %s vfio-pci\n" % vfs[1])
    check(line.endswith(": 1 rule"), line)
    for v in vfs:
        FK.write(dev(v, "driver_override"), "vfio-pci", "ok")
        FK.write(S("bus/pci/drivers/iavf/unbind"), v, "ok")
    FK.write(probe, vfs[0], "ok")
    before = snapshot()
    line = FK.write(probe, vfs[1], "refused")
    check("control: refuse bind %s vfio-pci" % vfs[1] in line, line)
    eq(diff(snapshot(), before), [], "tree after the injected refusal")
    # the rollback's steps still work: the rule names vfio-pci only
    FK.write(dev(vfs[1], "driver_override"), "\n", "ok")
    FK.write(probe, vfs[1], "ok")
    eq(driver(vfs[1]), "iavf", "rolled back")
    # removing the rule lets it through
    FK.control("")
    FK.write(S("bus/pci/drivers/iavf/unbind"), vfs[1], "ok")
    FK.write(dev(vfs[1], "driver_override"), "vfio-pci", "ok")
    FK.write(probe, vfs[1], "ok")
    eq(driver(vfs[1]), "vfio-pci", "bound once the rule is gone")

    # "after N": the first N matches pass
    FK.control("refuse unbind * after 1\n")
    FK.write(S("bus/pci/drivers/vfio-pci/unbind"), vfs[0], "ok")
    FK.write(S("bus/pci/drivers/vfio-pci/unbind"), vfs[1], "refused")
    eq(driver(vfs[1]), "vfio-pci", "second unbind refused")

    FK.control("refuse driver_override %s\nrefuse sriov_numvfs %s\nrefuse probe %s\n"
               % (vfs[0], X710_PF1, vfs[0]))
    FK.write(dev(vfs[0], "driver_override"), "pci-stub", "refused")
    eq(read(dev(vfs[0], "driver_override")), "vfio-pci\n", "override kept")
    FK.write(dev(X710_PF1, "sriov_numvfs"), "2", "refused")
    eq(read(dev(X710_PF1, "sriov_numvfs")), "0\n", "numvfs kept")
    FK.write(probe, vfs[0], "refused")
    eq(driver(vfs[0]), None, "probe refused")
    FK.control("refuse sriov_numvfs %s 3\n" % X710_PF1)
    FK.write(dev(X710_PF1, "sriov_numvfs"), "3", "refused")
    FK.write(dev(X710_PF1, "sriov_numvfs"), "1", "ok")

    # a delay: the reaction comes late, as a slow driver's would
    FK.control("delay %s 300ms\n" % vfs[0])
    t0 = time.monotonic()
    FK.write(probe, vfs[0], "ok")
    took = time.monotonic() - t0
    check(took >= 0.3, "delayed reaction after %.3f s" % took)
    FK.control("delay unbind * 0.2s\n")
    t0 = time.monotonic()
    FK.write(S("bus/pci/drivers/vfio-pci/unbind"), vfs[0], "ok")
    check(time.monotonic() - t0 >= 0.2, "delayed unbind")
    t0 = time.monotonic()
    FK.write(probe, vfs[0], "ok")
    check(time.monotonic() - t0 < 0.2, "a delay for unbind does not slow a probe")

    # a write error: the attribute cannot be opened at all
    bind = "bus/pci/drivers/vfio-pci/bind"
    FK.control("fail %s\n" % bind)
    for flags in (os.O_WRONLY | os.O_TRUNC | os.O_NOFOLLOW, os.O_WRONLY | os.O_TRUNC):
        try:
            os.close(os.open(S(bind), flags))
            raise Fail("open of a failing attribute succeeded")
        except OSError as e:
            eq(e.errno, errno.ELOOP, "errno of a failing attribute")
    FK.control("")
    st = os.lstat(S(bind))
    check(not os.path.islink(S(bind)) and st.st_mode & 0o7777 == 0o200 and st.st_size == 0,
          "attribute restored when the rule goes")
    FK.write(S(bind), vfs[1], "refused")       # works again (and is already bound)


@test()
def racing_writes():
    """Writes to one attribute, each after the previous one's post-condition,
    as the library makes them: none is lost."""
    unbind = S("bus/pci/drivers/iavf/unbind")
    bind = S("bus/pci/drivers/iavf/bind")
    vfs = ["0000:04:02.0", "0000:04:02.1"]
    for _ in range(20):
        for v in vfs:
            with open(unbind, "w") as f:
                f.write(v)
            wait_for(lambda: driver(v) is None, "unbind of " + v, FK)
        for v in vfs:
            with open(bind, "w") as f:
                f.write(v)
            wait_for(lambda: driver(v) == "iavf", "bind of " + v, FK)
    FK.seen = FK.count()


@test()
def few_hundred():
    """A few hundred functions: VFs on every PF of the workstation, then a
    restart on that tree (start-up time; it learns the VFs it did not make)."""
    grow = [(X710_PF0, 64), (X710_PF1, 64), (L4, 32), ("0000:07:00.0", 8),
            ("0000:07:00.1", 8)]
    t0 = time.monotonic()
    for pf, n in grow:
        if read(dev(pf, "sriov_numvfs")) != "0\n":
            FK.write(dev(pf, "sriov_numvfs"), "0", "ok")
        FK.write(dev(pf, "sriov_numvfs"), str(n), "ok")
    took = time.monotonic() - t0
    n = len(os.listdir(S("bus/pci/devices")))
    eq(n, 206, "functions after growing the tree")
    # 22 groups of the 30 functions that are not VFs, one per VF, the mdev's
    eq(len(os.listdir(S("kernel/iommu_groups"))), 22 + 176 + 1, "IOMMU groups")
    FK.stop()
    FK.__init__(ROOT)
    print("    %d functions: 176 VFs made in %.3f s, restart %.3f s"
          % (n, took, FK.startup))
    check(any(l.startswith("ready: 206 PCI functions") for l in FK.lines()), "ready line")
    check(FK.startup < 2.0, "start-up on %d functions took %.2f s" % (n, FK.startup))
    check(took < 10.0, "176 VFs took %.2f s" % took)
    # the restarted daemon knows the VFs it did not make
    FK.write(S("bus/pci/drivers/iavf/unbind"), "0000:04:0a.5", "ok")
    FK.write(S("bus/pci/drivers_probe"), "0000:04:0a.5", "ok")
    eq(driver("0000:04:0a.5"), "iavf", "a VF's native driver after a restart")
    FK.write(dev(X710_PF1, "sriov_numvfs"), "0", "ok")
    eq(len(os.listdir(S("bus/pci/devices"))), 206 - 64, "functions after 64 -> 0")


@test()
def control_at_start():
    """A control file that is there before the daemon starts is read at
    start (and an ASan build exits clean: no leak of its path)."""
    global FK
    vf = "0000:04:02.0"            # an iavf VF
    FK.stop()
    with open(os.path.join(ROOT, ".fakekernel", "control"), "w") as f:
        f.write("refuse bind %s vfio-pci\n" % vf)
    FK = Kernel(ROOT)
    check(any(l.endswith("/.fakekernel/control: 1 rule") for l in FK.lines()),
          "the control file's rule read at start: %s" % FK.lines()[-3:])
    FK.write(dev(vf, "driver_override"), "vfio-pci", "ok")
    FK.write(S("bus/pci/drivers/iavf/unbind"), vf, "ok")
    line = FK.write(S("bus/pci/drivers/vfio-pci/bind"), vf, "refused")
    check("control: refuse bind" in line, line)
    # stop() (by the runner) checks the exit status and an empty stderr


PREPARE = {"drivers_probe": prepare_drivers_probe}

# ---------------------------------------------------------------------------

BASE = {}
OPTS = None
TREES = {WS: ["--profile", "workstation"]}


def main():
    global OPTS
    ap = argparse.ArgumentParser()
    ap.add_argument("--fakekernel", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--no-tmpfs", action="store_true",
                    help="keep the trees in --work even where /dev/shm is a tmpfs")
    ap.add_argument("tests", nargs="*")
    OPTS = ap.parse_args()
    if OPTS.list:
        for name, _, _, _ in TESTS:
            print(name)
        return 0
    names = [t[0] for t in TESTS]
    for t in OPTS.tests:
        if t not in names:
            ap.error("no test %s (--list)" % t)
    todo = [t for t in TESTS if not OPTS.tests or t[0] in OPTS.tests]

    work = os.path.abspath(OPTS.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    # the trees live in a tmpfs where there is one: a copy of a workstation
    # tree costs ~0.5 s there and several seconds on a busy disk; a failed
    # test's tree is moved to the work directory for a look
    scratch = work
    if not OPTS.no_tmpfs and os.access("/dev/shm", os.W_OK) and \
            os.statvfs("/dev/shm").f_bavail * os.statvfs("/dev/shm").f_frsize > 1 << 30:
        scratch = tempfile.mkdtemp(prefix="pt-fakekernel-", dir="/dev/shm")
    try:
        return run(todo, work, scratch)
    finally:
        if scratch != work:
            shutil.rmtree(scratch, ignore_errors=True)


def run(todo, work, scratch):
    global ROOT, FK
    # gen-sysfs is deterministic: a fresh tree per test is the pristine
    # one (and costs no more than a copy, which an unprivileged user could
    # not make of the write-only files anyway)
    def generate(tree, path):
        subprocess.run([sys.executable, OPTS.gen, "-q"] + TREES[tree] + [path], check=True)

    ROOT = os.path.join(scratch, "base-" + WS)
    generate(WS, ROOT)
    BASE[WS] = snapshot()
    shutil.rmtree(ROOT)

    failed = []
    for name, fn, tree, kw in todo:
        ROOT = os.path.join(scratch, name)
        generate(tree, ROOT)
        if name in PREPARE:
            PREPARE[name]()
        t0 = time.monotonic()
        FK = None
        try:
            FK = Kernel(ROOT, ready=kw.get("ready", "fd"))
            fn()
            FK.stop()
            print("ok   %-22s %.2f s" % (name, time.monotonic() - t0))
            shutil.rmtree(ROOT)
        except Exception as e:
            failed.append(name)
            print("FAIL %-22s %s" % (name, e))
            if not isinstance(e, Fail):
                traceback.print_exc()
            if FK and FK.proc.poll() is None:
                FK.proc.kill()
                FK.proc.wait()
            if FK:
                print("     stderr: %s" % FK.stderr().strip())
            if scratch != work:
                shutil.move(ROOT, os.path.join(work, name))
            print("     tree and log: %s" % os.path.join(work, name))
    print("%d of %d tests passed" % (len(todo) - len(failed), len(todo)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
