#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The hostile-tree tier: trees, devices and state shaped by someone else.

    run.py --pt PATH [--gen-sysfs PATH] [--umockdev-run PATH] [--update]
           [--list] [SCENARIO...]

Every scenario builds its fixture in a fresh temporary directory (a
gen-sysfs tree, then the hostile change), runs the real pt commands, and
compares a transcript (each command, its exit status, stdout and stderr,
the temporary directory shown as $TMP and pids as $PID) with
golden/<scenario>.out. Each command runs under a time limit that a hang
would exceed (TIME_LIMIT s); a command that hits it fails the scenario.
Some scenarios also assert what the transcript must never hold (a secret
outside the root, a raw ESC byte). Scenarios that need root (ownership
checks) or umockdev-run are skipped, and say so, where they cannot run.

The last line is "hostile: N scenarios, V variants, S skipped, F failed";
tests/README.md's table is checked against it (tests/readme-counts).
Exit 0 when nothing failed.
"""
import argparse
import difflib
import fcntl
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
TIME_LIMIT = 20
SECRET = "SECRET-outside-the-root"
DEV = "0000:00:03.0"          # the virtio RNG of the minimal profile
NIC = "0000:00:02.0"          # virtio-net, eth0
DISK = "0000:00:01.0"         # virtio-blk, vda


class Skip(Exception):
    pass


class Scenario:
    def __init__(self, args, name):
        self.args = args
        self.name = name
        self.tmp = tempfile.mkdtemp(prefix="pt-hostile-")
        self.out = []
        self.never = [SECRET, "\x1b"]
        self.variants = 0
        self.pids = []

    # -- fixture helpers --
    def tree(self, profile="minimal"):
        subprocess.run([sys.executable, self.args.gen_sysfs, "--profile", profile,
                        "-q", self.tmp], check=True)
        self.sys = os.path.join(self.tmp, "sys")
        self.proc = os.path.join(self.tmp, "proc")
        self.conf = os.path.join(self.tmp, "conf")
        self.roots = ["-O", "sysfs.root=" + self.sys, "-O", "proc.root=" + self.proc,
                      "-O", "dev.root=" + os.path.join(self.tmp, "dev"),
                      "-O", "conf.dir=" + self.conf]
        with open(os.path.join(self.tmp, "secret"), "w") as f:
            f.write(SECRET + "\n")

    def path(self, rel):
        return os.path.join(self.sys, rel)

    def dev(self, bdf, attr=""):
        real = os.path.realpath(self.path("bus/pci/devices/" + bdf))
        return os.path.join(real, attr) if attr else real

    def write(self, path, text, mode=None):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        if mode is not None:
            os.chmod(path, mode)

    def symlink(self, target, path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.lexists(path):
            os.unlink(path)
        os.symlink(target, path)

    # -- running pt --
    def pt(self, *argv, env=None, sub=None, roots=True):
        cmd = [self.args.pt] + [argv[0]] + (self.roots if roots else []) + list(argv[1:])
        shown = "pt " + " ".join(argv)
        # the transcript shows what was typed, control characters escaped
        shown = re.sub(r"[\x00-\x1f\x7f]", lambda m: "\\x%02x" % ord(m.group()), shown)
        if sub:
            cmd = sub + ["--"] + cmd
        e = dict(os.environ)
        e.update(env or {})
        t0 = time.monotonic()
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=TIME_LIMIT, env=e, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise AssertionError("%s: still running after %d s (a hang)" % (shown, TIME_LIMIT))
        secs = time.monotonic() - t0
        self.variants += 1
        out = p.stdout.decode("utf-8", "backslashreplace")
        err = p.stderr.decode("utf-8", "backslashreplace")
        for bad in self.never:
            for what, text in (("stdout", out), ("stderr", err)):
                if bad in text:
                    raise AssertionError("%s: %s holds %r" % (shown, what, bad))
        self.out.append("$ %s\n[exit %d]\n%s" % (shown, p.returncode, out))
        if err:
            self.out.append("--- stderr\n" + err)
        return p.returncode, out, err, secs

    def note(self, text):
        self.out.append("# " + text + "\n")

    def transcript(self):
        t = "".join(self.out)
        t = t.replace(os.path.realpath(self.tmp), "$TMP").replace(self.tmp, "$TMP")
        for pid in self.pids:
            t = re.sub(r"\b%d\b" % pid, "$PID", t)
        return t

    def cleanup(self):
        for p in getattr(self, "children", []):
            try:
                os.killpg(p.pid, 9)
            except OSError:
                p.kill()
            p.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


def group(s, name="hg", rule="slot eq " + DEV):
    s.pt("group", "create", name, "--type", "pci")
    s.pt("rule", "add", name, "r1", rule)


# ---------------------------------------------------------------------------
# Scenarios. Each docstring says what it reproduces (issue 11).

def fifo_driver_override(s):
    """A FIFO at driver_override: scan and group show used to block for ever."""
    s.tree()
    os.unlink(s.dev(DEV, "driver_override"))
    os.mkfifo(s.dev(DEV, "driver_override"))
    s.pt("scan")
    group(s)
    s.pt("group", "show", "hg")


def symlink_out_of_root(s):
    """Absolute and ../ links out of a captured tree: scan printed /etc/shadow."""
    s.tree()
    secret = os.path.join(s.tmp, "secret")
    s.symlink(secret, s.dev(DEV, "driver_override"))
    s.symlink("../../../../../../../../../../secret", s.dev(NIC, "driver_override"))
    s.write(s.dev(DISK, "uevent"), "")
    s.symlink(secret, s.dev(DISK, "uevent"))
    # netdevs whose class/net links leave the root (their state is read
    # through the link): an absolute one and a ../ one, each naming the
    # NIC's BDF so that it is listed under the NIC
    for name, relative in (("evil0", False), ("evil1", True)):
        d = os.path.join(s.tmp, "outside", NIC, "net", name)
        for attr in ("operstate", "address", "mtu"):
            s.write(os.path.join(d, attr), SECRET + "\n")
        s.symlink(os.path.relpath(d, s.path("class/net")) if relative else d,
                  s.path("class/net/" + name))
    s.pt("scan")
    s.pt("scan", "--json")


def bridge_of_bridges(s):
    """A default route over 12 bridges that are each other's ports."""
    s.tree()
    for i in range(12):
        s.write(s.path("devices/virtual/net/br%d/operstate" % i), "up\n")
        s.symlink("../../devices/virtual/net/br%d" % i, s.path("class/net/br%d" % i))
        for j in range(12):
            s.symlink("../../br%d/brport" % j, s.path("devices/virtual/net/br%d/brif/br%d" % (i, j)))
    s.symlink("../../../../" + os.path.relpath(s.dev(NIC), s.path("devices")) + "/net/eth0/brport",
              s.path("devices/virtual/net/br11/brif/eth0"))
    s.write(os.path.join(s.proc, "net/route"),
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
            "br0\t00000000\t010010AC\t0003\t0\t0\t0\t00000000\t0\t0\t0\n")
    rc, out, err, secs = s.pt("scan")
    assert "default route via br0 (eth0)" in out, "eth0's NIC not marked critical"


def dm_slaves_loop(s):
    """dm devices that are each other's slaves under the root filesystem."""
    s.tree()
    for i in range(12):
        d = "devices/virtual/block/dm-%d" % i
        s.write(s.path(d + "/dev"), "253:%d\n" % i)
        s.symlink("../../" + d, s.path("class/block/dm-%d" % i))
        s.symlink("../../" + d, s.path("dev/block/253:%d" % i))
    for i in range(12):
        for j in range(12):
            s.symlink("../../dm-%d" % j, s.path("devices/virtual/block/dm-%d/slaves/dm-%d" % (i, j)))
    vda = os.path.realpath(s.path("class/block/vda"))
    s.symlink(os.path.relpath(vda, s.path("devices/virtual/block/dm-11/slaves")),
              s.path("devices/virtual/block/dm-11/slaves/vda"))
    mi = os.path.join(s.proc, "self/mountinfo")
    with open(mi) as f:
        lines = [l for l in f if " / / " not in l]
    s.write(mi, "26 1 253:0 / / rw,relatime - ext4 /dev/mapper/vg-root rw\n" + "".join(lines))
    rc, out, err, secs = s.pt("scan")
    assert "root filesystem on /dev/mapper/vg-root" in out, "the disk not marked critical"


def escape_driver_name(s):
    """A driver name and an override holding terminal escapes in a captured tree."""
    s.tree()
    s.write(s.dev(DEV, "uevent"), "DRIVER=evil\x1b]0;pwned\x07\x1b[2J\nPCI_CLASS=FF00\n")
    s.write(s.dev(DEV, "driver_override"), "x\x1b[31mred\x9b\n")
    s.pt("scan")
    rc, out, err, secs = s.pt("scan", "--json")
    assert "evil\\u001b]0;pwned\\u0007\\u001b[2J" in out, "JSON does not keep the exact name"


def usb_escape_and_width(s):
    """A USB product string with escapes, a serial in other scripts (umockdev)."""
    if not s.args.umockdev_run:
        raise Skip("umockdev-run not found")
    with open(os.path.join(SRC, "tests/usb/host.umockdev"), "rb") as f:
        d = f.read()
    d = d.replace(b"A: product=YubiKey OTP+FIDO+CCID\\n\n",
                  b"A: product=Evil\x1b]0;pwned\x07Key\x1b[2J\\n\n", 1)
    d = d.replace(b"A: serial=16612001\\n", "A: serial=Gerät-№1-日本\\n".encode(), 1)
    dev = os.path.join(s.tmp, "evil.umockdev")
    with open(dev, "wb") as f:
        f.write(d)
    sub = [s.args.umockdev_run, "--device", dev]
    env = {"ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"}
    rc, out, err, secs = s.pt("scan", "-t", "usb", sub=sub, env=env, roots=False)
    lines = out.splitlines()
    hdr = next(l for l in lines if l.startswith("BUS-PORT"))
    row = next(l for l in lines if "Gerät" in l)
    import unicodedata

    def width(t):
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in t)
    col = hdr.index("DRIVERS")
    assert width(row[:row.index("usbhid")]) == col, "columns not aligned by display width"
    s.never = [SECRET]   # JSON may hold \u001b, never the raw byte (checked below)
    rc, out, err, secs = s.pt("scan", "-t", "usb", "--json", sub=sub, env=env, roots=False)
    assert "\x1b" not in out and "Evil\\u001b]0;pwned\\u0007Key" in out


def regex_backreference(s):
    """A backreference regex: 16 s per group on pt group list."""
    s.tree()
    s.pt("group", "create", "hg", "--type", "pci")
    s.pt("rule", "add", "hg", "slow", 'name regex "(.*)(.*)(.*)(.*)(.*)\\5\\4\\3\\2\\1#"')
    s.write(os.path.join(s.conf, "groups.d/hand.ini"),
            "[group]\ntype = pci\n\n[rule \"slow\"]\n"
            "match = name regex \"(.*)(.*)(.*)(.*)(.*)\\5\\4\\3\\2\\1#\"\n")
    rc, out, err, secs = s.pt("group", "list")
    assert secs < 5, "group list took %.1f s" % secs


def lock_held(s):
    """A writer waits on a lock another process holds: it must give up, naming it."""
    s.tree()
    s.pt("group", "create", "hg", "--type", "pci")
    lock = os.path.join(s.conf, ".lock")
    # a pt-like holder: flock, then its pid and command line in the lock
    holder = subprocess.Popen([sys.executable, "-c",
        "import fcntl,os,sys,time\n"
        "fd=os.open(sys.argv[1],os.O_RDWR)\n"
        "fcntl.flock(fd,fcntl.LOCK_EX)\n"
        "os.ftruncate(fd,0); os.pwrite(fd,b'%d pt group apply gpus\\n'%os.getpid(),0)\n"
        "print('held',flush=True); time.sleep(60)\n", lock], stdout=subprocess.PIPE,
        start_new_session=True)
    s.children = [holder]
    s.pids.append(holder.pid)
    holder.stdout.readline()
    rc, out, err, secs = s.pt("group", "create", "hg2", "--type", "pci", "-O", "lock.timeout=1")
    assert 0.9 < secs < 8, "gave up after %.1f s, not about 1 s" % secs
    s.pt("rule", "add", "hg", "r1", "slot eq " + DEV, "-O", "lock.timeout=0")
    holder.kill()
    holder.wait()
    # flock(1) as any user could hold it before: holds without saying who
    f = subprocess.Popen(["flock", "-x", lock, "sleep", "60"], start_new_session=True)
    s.children = [f]
    time.sleep(0.3)
    s.pt("group", "create", "hg2", "--type", "pci", "-O", "lock.timeout=1")
    os.killpg(f.pid, 9)     # flock and the sleep that inherited the lock
    f.wait()
    s.pt("group", "create", "hg2", "--type", "pci")
    st = os.stat(lock)
    s.note("lock mode %04o, links %d" % (st.st_mode & 0o7777, st.st_nlink))


def hard_linked_lock(s):
    """A hard link planted at .lock: fchmod made the linked file 0644."""
    s.tree()
    s.pt("group", "create", "hg", "--type", "pci")
    lock = os.path.join(s.conf, ".lock")
    os.unlink(lock)
    s.write(os.path.join(s.tmp, "shadow"), "root:secret\n", 0o600)
    os.link(os.path.join(s.tmp, "shadow"), lock)
    s.pt("group", "create", "hg2", "--type", "pci")
    st = os.stat(os.path.join(s.tmp, "shadow"))
    s.note("linked file mode %04o" % (st.st_mode & 0o7777))


def untrusted_state(s):
    """As root: a world-writable conf dir and files another user planted."""
    if os.geteuid() != 0:
        raise Skip("needs root (ownership is checked only as root)")
    s.tree()
    group(s)
    s.pt("group", "list")
    os.chmod(s.conf, 0o777)
    s.pt("group", "list")
    s.pt("group", "create", "hg2", "--type", "pci")
    os.chmod(s.conf, 0o755)
    planted = os.path.join(s.conf, "groups.d/planted.ini")
    s.write(planted, "[group]\ntype = pci\n")
    os.chown(planted, 65534, 65534)
    s.pt("group", "list")
    os.unlink(planted)
    rec = os.path.join(s.conf, "applied.d/hg.ini")
    s.write(rec, "[record]\n", 0o666)
    s.pt("group", "release", "hg", "--dry-run")
    os.unlink(rec)
    os.chmod(os.path.join(s.conf, ".lock"), 0o644)
    s.pt("group", "create", "hg2", "--type", "pci")
    os.chmod(os.path.join(s.conf, ".lock"), 0o600)
    s.pt("group", "create", "hg2", "--type", "pci")


def description_control(s):
    """Control characters in a description: refused on set, escaped on show."""
    s.tree()
    s.pt("group", "create", "hg", "--type", "pci")
    s.pt("group", "set", "hg", "description=evil\x1b]0;pwned\x07")
    s.pt("group", "set", "hg", "description=Gerät №1 日本")
    s.write(os.path.join(s.conf, "groups.d/hand.ini"),
            "[group]\ntype = pci\ndescription = a\x1b[2Jb\n")
    s.pt("group", "show", "hand")
    s.pt("group", "list")


def huge_vf_count(s):
    """sriov_numvfs and sriov_totalvfs at 2147483647: 45 min a scan (lib/pci.c)."""
    s.tree("workstation")
    pf = "0000:04:00.1"
    s.write(s.dev(pf, "sriov_totalvfs"), "2147483647\n")
    s.write(s.dev(pf, "sriov_numvfs"), "2147483647\n")
    s.pt("scan", "-s", pf)
    rc, out, err, secs = s.pt("scan", "-t", "sriov", "--json")
    assert secs < 10, "scan took %.1f s" % secs


def out_of_range_numbers(s):
    """iommu_group 99999999999 read as 1215752191, numvfs 4294967298 as 2."""
    s.tree("workstation")
    dev = "0000:04:00.0"
    os.makedirs(s.path("kernel/iommu_groups/99999999999/devices"), exist_ok=True)
    s.symlink("../../../../kernel/iommu_groups/99999999999", s.dev(dev, "iommu_group"))
    s.write(s.dev(dev, "sriov_numvfs"), "4294967298\n")
    s.pt("scan", "-s", "04:00")


SCENARIOS = [fifo_driver_override, symlink_out_of_root, bridge_of_bridges,
             dm_slaves_loop, escape_driver_name, usb_escape_and_width,
             regex_backreference, lock_held, hard_linked_lock, untrusted_state,
             description_control, huge_vf_count, out_of_range_numbers]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pt", required=True)
    ap.add_argument("--gen-sysfs", default=os.path.join(SRC, "tests/fixtures/gen-sysfs"))
    ap.add_argument("--umockdev-run", default=shutil.which("umockdev-run"))
    ap.add_argument("--update", action="store_true", help="rewrite the golden files")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    if args.list:
        for fn in SCENARIOS:
            print(fn.__name__.replace("_", "-"))
        return 0
    todo = [fn for fn in SCENARIOS
            if not args.names or fn.__name__.replace("_", "-") in args.names]
    n = variants = skipped = failed = 0
    for fn in todo:
        name = fn.__name__.replace("_", "-")
        s = Scenario(args, name)
        n += 1
        try:
            fn(s)
            got = s.transcript()
            golden = os.path.join(HERE, "golden", name + ".out")
            if args.update:
                with open(golden, "w") as f:
                    f.write(got)
            with open(golden) as f:
                want = f.read()
            if got != want:
                sys.stdout.writelines(difflib.unified_diff(
                    want.splitlines(True), got.splitlines(True), golden, "got"))
                raise AssertionError("output differs from golden/%s.out" % name)
            variants += s.variants
            print("ok    %-24s %d commands" % (name, s.variants))
        except Skip as e:
            skipped += 1
            print("skip  %-24s %s" % (name, e))
        except Exception as e:  # noqa: BLE001 - every failure is reported
            failed += 1
            print("FAIL  %-24s %s" % (name, e))
        finally:
            s.cleanup()
    print("hostile: %d scenarios, %d variants, %d skipped, %d failed"
          % (n, variants, skipped, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
