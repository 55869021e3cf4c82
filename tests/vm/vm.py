#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""passthru real-kernel tier: boot Debian's own kernel in QEMU (TCG) with a
virtual Intel IOMMU and emulated devices, run the project's binaries and the
checks in tests/vm/checks/ inside, report pass/fail per check.

  vm.py run --pt BUILD/pt [--guest-program PATH]... [--only NAME] [--shell] [--ctest]
  vm.py result NAME          (one check's result, for CTest)
  vm.py fetch                (download and build the cache only)

Everything it downloads or builds lives in the work directory (default
BUILD/tests/vm, --work or PT_VM_WORK), the cache under work/cache (or
PT_VM_CACHE): the kernel of linux-image-amd64's current ABI unpacked from
its .deb (never installed), its headers and kbuild, and the mtty and
netdevsim modules built out of tree from linux-source-6.1. Exit status:
0 all checks passed, 1 a check or the harness failed, 77 the tier cannot
run on this machine (never under CI=true, where that is a failure).
"""

import argparse
import fcntl
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP = 77
IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")
KERNEL_META = "linux-image-amd64"
# Modules the initramfs loads to mount the root disk (closure added).
INITRAMFS_MODULES = ["virtio_pci", "virtio_blk", "ext4"]
# Host files copied into the guest (programs with every library they
# need), and the Debian package each comes from.
GUEST_PROGRAMS = {"/usr/bin/lspci": "pciutils", "/usr/sbin/ip": "iproute2",
                  "/usr/bin/kmod": "kmod",
                  # pt dlopen()s it to load vfio-pci (lib/module.c); ldd of pt
                  # no longer names it (lspci's does, but pt must not rely on that)
                  "/lib/x86_64-linux-gnu/libkmod.so.2": "libkmod2",
                  # the consumer of pt attach start's arguments (75-attach-qemu)
                  "/usr/bin/qemu-system-x86_64": "qemu-system-x86",
                  "/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so": "qemu-system-x86",
                  "/usr/lib/x86_64-linux-gnu/qemu/hw-usb-host.so": "qemu-system-x86"}
KMOD_LINKS = ["modprobe", "insmod", "rmmod", "lsmod", "modinfo", "depmod"]
GUEST_DATA = {"/usr/share/misc/pci.ids": "pci.ids",
              "/usr/share/seabios/bios-256k.bin": "seabios"}
# Host tools the harness runs, and the Debian package each comes from.
HOST_TOOLS = {
    "qemu-system-x86_64": "qemu-system-x86",
    "busybox": "busybox-static",
    "kmod": "kmod",
    "depmod": "kmod",
    "cpio": "cpio",
    "mke2fs": "e2fsprogs",
    "debugfs": "e2fsprogs",
    "xz": "xz-utils",
    "make": "make",
    "gcc-12": "gcc-12",
    "apt-get": "apt",
    "dpkg-deb": "dpkg",
}
POWEROFF_GRACE = 20
CHECKS = os.path.join(HERE, "checks")
TAP = re.compile(r"^(ok|not ok) (\S+)(?: - (.*))?$")


class Skip(Exception):
    """The tier cannot run here (missing tool, no archive): 77, or 1 in CI."""


class Fail(Exception):
    """The harness itself failed."""


class DownloadFailed(Fail):
    """apt-get download failed: stale package lists, or no archive."""


def log(msg):
    print(f"vm: {msg}", file=sys.stderr, flush=True)


def sh(cmd, **kw):
    """Run cmd (a list); raise Fail with its stderr tail when it fails."""
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    r = subprocess.run(cmd, text=True, **kw)
    if r.returncode:
        tail = (r.stderr or r.stdout or "").strip().splitlines()[-15:]
        raise Fail(f"{' '.join(cmd)}: exit {r.returncode}\n  " + "\n  ".join(tail))
    return r.stdout


def rmtree(path):
    if os.path.lexists(path):
        shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.unlink(path)


def deps_packages():
    with open(os.path.join(HERE, "deps.txt")) as f:
        return [l.split("#")[0].strip() for l in f if l.split("#")[0].strip()]


# ---- host tools -------------------------------------------------------------

def missing_tools():
    miss = {t: p for t, p in HOST_TOOLS.items() if not shutil.which(t)}
    miss.update({f: p for f, p in {**GUEST_PROGRAMS, **GUEST_DATA}.items()
                 if not os.path.exists(f)})
    return miss


def ensure_tools():
    miss = missing_tools()
    if not miss:
        return
    pkgs = sorted(set(miss.values()))
    if os.geteuid() != 0:
        raise Skip(f"missing {', '.join(sorted(miss))}: install the Debian packages "
                   f"{' '.join(pkgs)} (as root: apt-get install {' '.join(deps_packages())})")
    log(f"installing {' '.join(pkgs)} (missing {', '.join(sorted(miss))})")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends"] + deps_packages()
    try:
        if subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL).returncode:
            subprocess.run(["apt-get", "update", "-q"], env=env, stdout=subprocess.DEVNULL)
            if subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL).returncode:
                raise Skip(f"apt-get install {' '.join(pkgs)} failed")
    except OSError as e:
        raise Skip(f"missing {', '.join(sorted(miss))}, and apt-get cannot run: {e}")
    miss = missing_tools()
    if miss:
        raise Skip(f"still missing after apt-get install: {', '.join(sorted(miss))}")


# ---- the guest kernel ---------------------------------------------------------

def apt_show(*pkgs):
    """{package: (candidate version, [depended-on names], Depends)} for those
    apt knows (one apt-cache call: each costs most of a second)."""
    r = subprocess.run(["apt-cache", "show", "--no-all-versions"] + list(pkgs), text=True,
                       capture_output=True)
    found = {}
    for para in r.stdout.split("\n\n"):
        f = dict(re.findall(r"^([\w-]+): (.*)$", para, re.M))
        if "Package" in f and "Version" in f:
            deps = [re.split(r"[ (]", d.strip(), 1)[0]
                    for d in re.split(r"[,|]", f.get("Depends", "")) if d.strip()]
            found[f["Package"]] = (f["Version"], deps, f.get("Depends", ""))
    return found


class Kernel:
    """linux-image-amd64's current ABI, unpacked and with mtty/netdevsim built."""

    def __init__(self, cache):
        self.cache = cache

    def resolve(self):
        meta = apt_show(KERNEL_META).get(KERNEL_META)
        if meta is None and os.geteuid() == 0:
            log(f"apt knows no {KERNEL_META}: apt-get update")
            subprocess.run(["apt-get", "update", "-q"], stdout=subprocess.DEVNULL)
            meta = apt_show(KERNEL_META).get(KERNEL_META)
        if meta is None:
            cached = sorted(d for d in os.listdir(self.cache) if d.startswith("kernel-")
                            and os.path.exists(os.path.join(self.cache, d, ".ready")))
            if cached:
                log(f"apt cannot resolve {KERNEL_META}; using the cached {cached[-1]}")
                self.set_dir(os.path.join(self.cache, cached[-1]))
                return
            raise Skip(f"apt-cache knows no {KERNEL_META}: run apt-get update "
                       "(Debian's archive must be reachable)")
        image = next((d for d in meta[1] if re.fullmatch(r"linux-image-\d.*-amd64", d)), None)
        if not image:
            raise Fail(f"{KERNEL_META} {meta[0]} depends on no linux-image-*-amd64: {meta[1]}")
        # The metapackage pins its image: "linux-image-6.1.0-56-amd64 (= 6.1.192-2)".
        m = re.search(re.escape(image) + r" \(= ([^)\s]+)\)", meta[2])
        version = m.group(1) if m else meta[0]
        self.set_dir(os.path.join(self.cache, f"kernel-{image[len('linux-image-'):]}_{version}"))

    def set_dir(self, d):
        self.dir = d
        name = os.path.basename(d)[len("kernel-"):]
        self.abi, self.version = name.split("_", 1)
        self.root = os.path.join(d, "root")
        self.vmlinuz = os.path.join(self.root, "boot", f"vmlinuz-{self.abi}")
        self.moddir = os.path.join(self.root, "lib", "modules", self.abi)
        self.headers = os.path.join(self.root, "usr", "src", f"linux-headers-{self.abi}")

    def ready(self):
        return os.path.exists(os.path.join(self.dir, ".ready"))

    def prepare(self):
        if self.ready():
            return
        t0 = time.time()
        rmtree(self.dir)
        os.makedirs(self.dir)
        debs = os.path.join(self.dir, "debs")
        os.makedirs(debs)
        os.chmod(debs, 0o777)   # apt-get download drops to _apt where it can
        common = re.sub(r"-amd64$", "-common", self.abi)
        hdeps = apt_show(f"linux-headers-{self.abi}").get(f"linux-headers-{self.abi}")
        if hdeps is None:
            raise Fail(f"apt-cache has no linux-headers-{self.abi}")
        kbuild = next((d for d in hdeps[1] if d.startswith("linux-kbuild-")), None)
        if not kbuild:
            raise Fail(f"linux-headers-{self.abi} depends on no linux-kbuild-*: {hdeps[1]}")
        series = kbuild[len("linux-kbuild-"):]                # 6.1
        source = f"linux-source-{series}"
        pkgs = [f"linux-image-{self.abi}", f"linux-headers-{self.abi}",
                f"linux-headers-{common}", kbuild, source]
        log(f"downloading kernel {self.abi} {self.version}: {' '.join(pkgs)}")
        try:
            sh(["apt-get", "download", "-q"] + [f"{p}={self.version}" for p in pkgs], cwd=debs)
        except Fail as e:
            raise DownloadFailed(str(e)) from None
        for p in pkgs[:-1]:
            deb = self.deb(debs, p)
            sh(["dpkg-deb", "-x", deb, self.root])
            os.unlink(deb)
        # The headers' Makefile includes the -common tree by absolute path.
        with open(os.path.join(self.headers, "Makefile"), "w") as f:
            f.write(f"include {self.root}/usr/src/linux-headers-{common}/Makefile\n")
        # Only mtty.c and netdevsim/ are taken from the source tarball.
        src = os.path.join(self.dir, "src")
        os.makedirs(src)
        deb = self.deb(debs, source)
        top = f"linux-source-{series}"
        sh(["sh", "-c", f'dpkg-deb --fsys-tarfile "$1" | tar -xO ./usr/src/{top}.tar.xz | '
            f'xz -dc -T2 | tar -x -C "$2" --wildcards "{top}/samples/vfio-mdev/mtty.c" '
            f'"{top}/drivers/net/netdevsim/*"', "sh", deb, src])
        os.unlink(deb)
        os.rmdir(debs)
        self.build_modules(os.path.join(src, top))
        with open(os.path.join(self.dir, ".ready"), "w") as f:
            f.write(f"{self.abi} {self.version}\n")
        log(f"kernel {self.abi} ready in {time.time() - t0:.0f} s")
        # Older kernels' caches go: one kernel is all a run uses.
        for d in os.listdir(self.cache):
            if d.startswith("kernel-") and os.path.join(self.cache, d) != self.dir:
                log(f"removing the outdated cache {d}")
                rmtree(os.path.join(self.cache, d))

    @staticmethod
    def deb(debs, pkg):
        found = [f for f in os.listdir(debs) if f.startswith(pkg + "_") and f.endswith(".deb")]
        if len(found) != 1:
            raise Fail(f"apt-get download left {found} for {pkg} in {debs}")
        return os.path.join(debs, found[0])

    def build_modules(self, src):
        """mtty and netdevsim, built against the unpacked headers and added to
        the unpacked module tree (extra/) so depmod and modprobe see them."""
        jobs = str(os.cpu_count() or 2)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
        build = os.path.join(self.dir, "build")
        units = {
            "mtty": ([os.path.join(src, "samples/vfio-mdev/mtty.c")], "obj-m := mtty.o\n", []),
            "netdevsim": ([os.path.join(src, "drivers/net/netdevsim", f) for f in
                           os.listdir(os.path.join(src, "drivers/net/netdevsim"))], None,
                          ["CONFIG_NETDEVSIM=m"]),
        }
        extra = os.path.join(self.moddir, "extra")
        os.makedirs(extra, exist_ok=True)
        for name, (files, kbuild, defs) in units.items():
            d = os.path.join(build, name)
            os.makedirs(d)
            for f in files:
                shutil.copy(f, d)
            if kbuild:
                with open(os.path.join(d, "Kbuild"), "w") as f:
                    f.write(kbuild)
            log(f"building {name}.ko against linux-headers-{self.abi}")
            sh(["make", "-C", self.headers, f"M={d}", "-j" + jobs] + defs + ["modules"], env=env)
            shutil.copy(os.path.join(d, f"{name}.ko"), extra)
        sh(["depmod", "-b", self.root, self.abi])

    def closure(self, names):
        """The .ko files (load order) that loading names needs."""
        kos = []
        for n in names:
            out = sh(["modprobe", "-d", self.root, "-S", self.abi, "--show-depends", n])
            for line in out.splitlines():
                w = line.split()
                if w and w[0] == "insmod" and w[1] not in kos:
                    kos.append(w[1])
        return kos


# ---- the guest's file systems -----------------------------------------------

def ldd_libs(path):
    """Libraries path needs: [(host path, soname path in the guest)]."""
    r = subprocess.run(["ldd", path], text=True, capture_output=True)
    if r.returncode:          # static ("not a dynamic executable")
        return []
    libs = []
    for line in r.stdout.splitlines():
        m = re.match(r"\s*(\S+) => (/\S+)", line) or re.match(r"\s*(/\S+) \(", line)
        if not m:
            if "not found" in line:
                raise Fail(f"{path}: library {line.strip()}")
            continue
        host = m.group(m.lastindex)
        if os.path.dirname(host) in ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
                                     "/lib64", "/lib", "/usr/lib"):
            guest = host
        else:             # the project's own libraries, from the build tree
            guest = "/usr/lib/x86_64-linux-gnu/" + os.path.basename(host)
        libs.append((host, guest))
    return libs


def install_file(stage, src, dst, mode=None):
    out = os.path.join(stage, dst.lstrip("/"))
    os.makedirs(os.path.dirname(out), exist_ok=True)
    if os.path.lexists(out):
        os.unlink(out)
    shutil.copy(os.path.realpath(src), out)
    if mode is not None:
        os.chmod(out, mode)
    return out


def install_program(stage, src, dst):
    install_file(stage, src, dst)
    for host, guest in ldd_libs(src):
        if not os.path.exists(os.path.join(stage, guest.lstrip("/"))):
            install_file(stage, host, guest)


def install_busybox(stage):
    bb = shutil.which("busybox")
    install_program(stage, bb, "/bin/busybox")
    for applet in sh([bb, "--list-full"]).split():
        out = os.path.join(stage, applet)
        if os.path.lexists(out):
            continue
        os.makedirs(os.path.dirname(out), exist_ok=True)
        os.symlink("/bin/busybox", out)


def read_modules_txt():
    """Module names in modules.txt (the guest itself reads the "load" marks)."""
    with open(os.path.join(HERE, "modules.txt")) as f:
        return [w[0] for w in (line.split("#")[0].split() for line in f) if w]


def install_modules(stage, kernel, kos):
    for ko in kos:
        rel = os.path.relpath(ko, kernel.root)
        if rel.startswith(".."):
            raise Fail(f"module {ko} outside {kernel.root}")
        install_file(stage, ko, "/" + rel)
    for f in ("modules.builtin", "modules.builtin.modinfo", "modules.order"):
        install_file(stage, os.path.join(kernel.moddir, f), f"/lib/modules/{kernel.abi}/{f}")
    sh(["depmod", "-b", stage, kernel.abi])


def build_root(stage, kernel, pt, programs=()):
    """The guest's / : busybox, the project's binaries and their libraries
    (pt, and test programs as /usr/bin/<name>), lspci and pci.ids,
    iproute2, kmod, the modules, the guest scripts."""
    rmtree(stage)
    for d in ("proc", "sys", "dev", "run", "tmp", "results", "root", "etc", "mnt"):
        os.makedirs(os.path.join(stage, d))
    for prog in GUEST_PROGRAMS:
        install_program(stage, prog, prog)
    os.makedirs(os.path.join(stage, "sbin"), exist_ok=True)
    for link in KMOD_LINKS:
        p = os.path.join(stage, "sbin", link)
        if not os.path.lexists(p):
            os.symlink("/usr/bin/kmod", p)
    install_program(stage, pt, "/usr/bin/pt")
    os.symlink("pt", os.path.join(stage, "usr/bin/pt-scan"))
    for prog in programs:
        install_program(stage, prog, "/usr/bin/" + os.path.basename(prog))
    for data in GUEST_DATA:
        install_file(stage, data, data)
    install_busybox(stage)
    install_modules(stage, kernel, kernel.closure(read_modules_txt() + INITRAMFS_MODULES))
    with open(os.path.join(stage, "etc/passwd"), "w") as f:
        # ptvm: the unprivileged user QEMU runs as in 75-attach-qemu
        f.write("root:x:0:0:root:/root:/bin/sh\nptvm:x:1000:1000:ptvm:/tmp:/bin/sh\n")
    with open(os.path.join(stage, "etc/group"), "w") as f:
        f.write("root:x:0:\nptvm:x:1000:\n")
    install_file(stage, os.path.join(HERE, "guest/init"), "/pt-vm/init", 0o755)
    install_file(stage, os.path.join(HERE, "guest/lib.sh"), "/pt-vm/lib.sh", 0o644)
    install_file(stage, os.path.join(HERE, "modules.txt"), "/pt-vm/modules.txt", 0o644)
    for c in check_names():
        c += ".sh"
        if os.path.exists(os.path.join(CHECKS, c)):
            install_file(stage, os.path.join(CHECKS, c), f"/pt-vm/checks/{c}", 0o755)


def build_initramfs(work, kernel):
    stage = os.path.join(work, "initramfs")
    rmtree(stage)
    for d in ("proc", "sys", "dev", "newroot"):
        os.makedirs(os.path.join(stage, d))
    install_busybox(stage)
    install_file(stage, os.path.join(HERE, "guest/initramfs-init"), "/init", 0o755)
    lst = []
    for ko in kernel.closure(INITRAMFS_MODULES):
        dst = "/modules/" + os.path.basename(ko)
        install_file(stage, ko, dst)
        lst.append(dst)
    with open(os.path.join(stage, "modules.list"), "w") as f:
        f.write("\n".join(lst) + "\n")
    # gzip -1: a third of the size, loaded faster than the kernel unpacks it.
    out = os.path.join(work, "initramfs.cpio.gz")
    sh(["sh", "-c", 'cd "$1" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1 > "$2"',
        "sh", stage, out])
    return out


def build_disk(work, stage):
    img = os.path.join(work, "root.img")
    rmtree(img)
    used = int(sh(["du", "-sm", stage]).split()[0])
    with open(img, "wb") as f:
        f.truncate((used * 2 + 64) << 20)
    sh(["mke2fs", "-q", "-F", "-t", "ext4", "-L", "ptvm-root", "-E", "root_owner=0:0",
        "-d", stage, img])
    stick = os.path.join(work, "usb-stick.img")
    with open(stick, "wb") as f:
        f.truncate(8 << 20)
    return img


# ---- booting ----------------------------------------------------------------

def machine_args(work):
    args = []
    with open(os.path.join(HERE, "machine.conf")) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                args += [w.replace("{work}", work) for w in line.split(None, 1)]
    return args


def boot(work, kernel, initrd, timeout, only, shell, verbose):
    """Run the guest; returns (status, seconds, console) with status one of
    'done', 'timeout', 'exit N'."""
    # no_timer_check: on a loaded host TCG is too slow for the kernel's
    # IO-APIC timer check, which then panics ("timer doesn't work through
    # Interrupt-remapped IO-APIC"); virtual machines skip it
    append = ["console=ttyS0", "root=/dev/vda", "rw", "intel_iommu=on", "iommu=pt",
              "no_timer_check", "panic=-1", "loglevel=4", f"pt_vm.only={only or 'all'}",
              f"pt_vm.check_timeout={os.environ.get('PT_VM_CHECK_TIMEOUT', '240')}"]
    if shell:
        append.append("pt_vm.shell=1")
    accel = os.environ.get("PT_VM_ACCEL", "tcg")
    cmd = ["qemu-system-x86_64", "-accel", accel, "-cpu", os.environ.get("PT_VM_CPU", "max"),
           "-smp", os.environ.get("PT_VM_SMP", "2"), "-m", "1024", "-nodefaults",
           "-no-user-config", "-no-reboot", "-display", "none",
           "-kernel", kernel.vmlinuz, "-initrd", initrd, "-append", " ".join(append)]
    cmd += machine_args(work)
    console = os.path.join(work, "console.log")
    with open(os.path.join(work, "qemu.cmd"), "w") as f:
        f.write(shlex.join(cmd) + "\n")
    t0 = time.time()
    if shell:
        cmd += ["-serial", "mon:stdio"]
        r = subprocess.run(cmd)
        return f"exit {r.returncode}", time.time() - t0, ""
    cmd += ["-serial", "stdio", "-monitor", "none"]
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    lines = []
    powered_off = []

    def reader():
        with open(console, "wb") as f:
            for raw in p.stdout:
                f.write(raw)
                f.flush()
                text = raw.decode("utf-8", "replace").rstrip("\r\n")
                lines.append(text)
                if text.startswith("PT-VM:") and text.endswith("] power off"):
                    powered_off.append(time.time())
                if verbose or text.startswith("PT-VM:"):
                    print(f"  |{time.time() - t0:6.1f} {text}", file=sys.stderr, flush=True)

    th = threading.Thread(target=reader, daemon=True)
    th.start()
    status = None
    while status is None:
        try:
            p.wait(timeout=1)
            status = f"exit {p.returncode}"
        except subprocess.TimeoutExpired:
            now = time.time()
            if powered_off and now - powered_off[0] > POWEROFF_GRACE:
                # The guest synced, remounted / read-only and called
                # poweroff; a rare TCG hang in the kernel's shutdown path
                # must not cost the whole timeout.
                log(f"QEMU still running {POWEROFF_GRACE} s after the guest's power off; "
                    "killing it (results are on the read-only root)")
                status = "exit 0"
            elif now - t0 > timeout:
                status = "timeout"
            if status:
                p.kill()
                p.wait()
    th.join(5)
    text = "\n".join(lines)
    if status == "exit 0" and re.search(r"^PT-VM: \[[\d.]+\] checks done$", text, re.M):
        status = "done"
    return status, time.time() - t0, text


def extract_results(work):
    out = os.path.join(work, "results")
    rmtree(out)
    os.makedirs(out)
    r = subprocess.run(["debugfs", "-R", f"rdump /results {out}", os.path.join(work, "root.img")],
                       capture_output=True, text=True)
    res = os.path.join(out, "results")
    if r.returncode or not os.path.isdir(res):
        return None
    return res


# ---- results ------------------------------------------------------------------

def parse_tap(text, default_name):
    """[(ok, name, detail)] and the other lines (comments)."""
    res, other = [], []
    for line in text.splitlines():
        m = TAP.match(line.rstrip())
        if m:
            res.append((m.group(1) == "ok", m.group(2), m.group(3) or ""))
        elif line.strip():
            other.append(line)
    return res, other


def check_names(only=None, checks=CHECKS):
    names = sorted({os.path.splitext(f)[0] for f in
                    (os.listdir(checks) if os.path.isdir(checks) else [])
                    if f.endswith((".sh", ".py"))})
    unknown = sorted(set(only or []) - set(names) - {"none"})
    if unknown:
        raise Fail(f"no check named {', '.join(unknown)} in {checks} (have {', '.join(names)})")
    return [n for n in names if not only or n in only]


def evaluate(name, resdir, guest_status, checks=CHECKS):
    """Lines for one check: the guest's own, then the host-side comparison."""
    lines, comments = [], []
    gdir = os.path.join(resdir, name) if resdir else None
    has_guest = os.path.exists(os.path.join(checks, name + ".sh"))
    if has_guest:
        tap = os.path.join(gdir, "tap") if gdir else None
        if not tap or not os.path.exists(tap):
            why = "guest timed out" if guest_status == "timeout" else f"guest {guest_status}"
            return [(False, name, f"no result from the guest ({why})")], comments
        with open(tap, errors="replace") as f:
            res, other = parse_tap(f.read(), name)
        lines += res
        comments += other
        rc = open(os.path.join(gdir, "rc")).read().strip() if os.path.exists(
            os.path.join(gdir, "rc")) else "?"
        err = os.path.join(gdir, "stderr")
        if rc != "0" and all(ok for ok, _, _ in res):
            tail = open(err, errors="replace").read().strip().splitlines()[-3:] \
                if os.path.exists(err) else []
            lines.append((False, name, f"guest script exited {rc}"
                          + (" (timed out)" if rc in ("124", "143") else "")
                          + (": " + " | ".join(tail) if tail else "")))
    host = os.path.join(checks, name + ".py")
    if os.path.exists(host):
        if has_guest and not os.path.isdir(gdir):
            lines.append((False, name, "no guest output for the host-side comparison"))
        else:
            env = dict(os.environ, PYTHONPATH=HERE, PYTHONDONTWRITEBYTECODE="1")
            r = subprocess.run([sys.executable, host, gdir or ""], text=True,
                               capture_output=True, env=env)
            res, other = parse_tap(r.stdout, name)
            lines += res
            comments += other + [l for l in r.stderr.splitlines() if l.strip()]
            if r.returncode and all(ok for ok, _, _ in res):
                lines.append((False, name, f"host-side {name}.py exited {r.returncode}"))
    if not lines:
        lines.append((False, name, "produced no result"))
    return lines, comments


def fmt(ok, name, detail):
    return f"{'ok' if ok else 'not ok'} {name}" + (f" - {detail}" if detail else "")


def report(work, names, resdir, status, secs, checks=CHECKS):
    """Print every check line and the closing count; write summary/NAME.tap
    for the per-check CTest tests. Returns the number failed."""
    summ = os.path.join(work, "summary")
    rmtree(summ)
    os.makedirs(summ)
    if status == "done":
        why = f"guest booted, ran the checks and powered off in {secs:.0f} s"
    elif status == "timeout":
        why = f"guest timed out: killed after {secs:.0f} s"
    else:
        why = f"QEMU {status} after {secs:.0f} s, before the guest finished its checks"
    allres = [(status == "done", "vm/boot", why)]
    print(fmt(*allres[0]))
    with open(os.path.join(summ, "vm-boot.tap"), "w") as f:
        f.write(fmt(*allres[0]) + "\n")
    for name in names:
        lines, comments = evaluate(name, resdir, status, checks)
        with open(os.path.join(summ, name + ".tap"), "w") as f:
            for c in comments:
                f.write((c if c.startswith("#") else f"# {c}") + "\n")
            for l in lines:
                f.write(fmt(*l) + "\n")
        for c in comments:
            print(c if c.startswith("#") else f"# {c}")
        for l in lines:
            print(fmt(*l))
        allres += lines
    failed = sum(1 for ok, _, _ in allres if not ok)
    print(f"{len(allres) - failed} passed, {failed} failed", flush=True)
    return failed


# ---- commands ----------------------------------------------------------------

class CacheLock:
    def __init__(self, cache):
        os.makedirs(cache, exist_ok=True)
        self.f = open(os.path.join(cache, ".lock"), "w")

    def __enter__(self):
        fcntl.flock(self.f, fcntl.LOCK_EX)

    def __exit__(self, *a):
        fcntl.flock(self.f, fcntl.LOCK_UN)


def prepared_kernel(args):
    ensure_tools()
    cache = args.cache or os.path.join(args.work, "cache")
    with CacheLock(cache):
        k = Kernel(cache)
        k.resolve()
        try:
            k.prepare()
        except DownloadFailed:
            # After a kernel update the old lists name files the archive
            # no longer has: refresh them once and resolve again.
            if os.geteuid() != 0:
                raise
            log("apt-get download failed: apt-get update and retry")
            subprocess.run(["apt-get", "update", "-q"], stdout=subprocess.DEVNULL)
            k = Kernel(cache)
            k.resolve()
            k.prepare()
    return k


def cmd_fetch(args):
    k = prepared_kernel(args)
    print(f"kernel {k.abi} {k.version}: {k.vmlinuz}")
    return 0


def cmd_run(args):
    work = args.work
    marker = os.path.join(work, "skipped")
    os.makedirs(work, exist_ok=True)
    for p in (marker, os.path.join(work, "summary")):
        rmtree(p)
    if not os.access(args.pt, os.X_OK):
        raise Fail(f"{args.pt}: no pt binary; build the project first")
    for prog in args.guest_program or ():
        if not os.access(prog, os.X_OK):
            raise Fail(f"{prog}: no such program; build the project first")
    names = check_names(args.only)
    t0 = time.time()
    try:
        k = prepared_kernel(args)
    except Skip as e:
        with open(marker, "w") as f:
            f.write(str(e) + "\n")
        raise
    t1 = time.time()
    stage = os.path.join(work, "rootfs")
    build_root(stage, k, args.pt, args.guest_program or ())
    initrd = build_initramfs(work, k)
    build_disk(work, stage)
    t2 = time.time()
    log(f"kernel {k.abi} {k.version}; cache {t1 - t0:.0f} s, guest image {t2 - t1:.0f} s; booting")
    only = ",".join(args.only) if args.only else None
    status, secs, console = boot(work, k, initrd, args.timeout, only, args.shell, args.verbose)
    for pat in ("Kernel panic", "PT-VM: FATAL"):
        for line in console.splitlines():
            if pat in line:
                log(f"guest: {line.strip()}")
    if status != "done" and not args.shell:
        log(f"guest {status} after {secs:.0f} s; console tail ({work}/console.log):")
        for line in console.splitlines()[-25:]:
            print(f"  | {line}", file=sys.stderr)
    resdir = extract_results(work)
    if args.shell and status == "exit 0" and resdir and os.path.exists(
            os.path.join(resdir, "done")):
        status = "done"
    failed = report(work, names, resdir, status, secs)
    log(f"total {time.time() - t0:.0f} s (guest {secs:.0f} s)")
    if args.ctest:            # the per-check CTest tests judge the checks
        return 0 if status == "done" else 1
    return 1 if failed else 0


def cmd_result(args):
    marker = os.path.join(args.work, "skipped")
    if os.path.exists(marker):
        print(f"skipped: {open(marker).read().strip()}")
        return 1 if IN_CI else SKIP
    path = os.path.join(args.work, "summary", args.name + ".tap")
    if not os.path.exists(path):
        print(f"not ok {args.name} - no result: the guest run (vm/boot) did not finish")
        return 1
    text = open(path).read()
    sys.stdout.write(text)
    res, _ = parse_tap(text, args.name)
    failed = sum(1 for ok, _, _ in res if not ok)
    print(f"{len(res) - failed} passed, {failed} failed")
    return 1 if failed or not res else 0


def main():
    # depmod, mke2fs and debugfs live in sbin, which a user's PATH may lack.
    path = os.environ.get("PATH", "").split(":")
    os.environ["PATH"] = ":".join(path + [d for d in ("/usr/sbin", "/sbin", "/usr/bin", "/bin")
                                          if d not in path])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", default=os.environ.get("PT_VM_WORK"),
                    help="work directory (default: BUILD/tests/vm next to --pt)")
    ap.add_argument("--cache", default=os.environ.get("PT_VM_CACHE"),
                    help="download/build cache (default: WORK/cache)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="build the guest, boot it, report every check")
    r.add_argument("--pt", required=True, help="the pt binary of the build to test")
    r.add_argument("--guest-program", action="append", metavar="PATH",
                   help="a test program of the build, run in the guest as its "
                   "basename (repeatable)")
    r.add_argument("--only", action="append", metavar="NAME",
                   help="run only this check (repeatable); 'none' runs none")
    r.add_argument("--shell", action="store_true",
                   help="interactive: a shell on the guest console after the checks")
    r.add_argument("--timeout", type=int, default=int(os.environ.get("PT_VM_TIMEOUT", "600")),
                   help="seconds before a hung guest is killed (default 600)")
    r.add_argument("--ctest", action="store_true",
                   help="exit 0 when the guest ran, whatever the checks said")
    r.add_argument("-v", "--verbose", action="store_true", help="echo the whole console")
    f = sub.add_parser("fetch", help="only download and build the cache")
    f.add_argument("--pt", help=argparse.SUPPRESS)
    s = sub.add_parser("result", help="one check's lines from the last run")
    s.add_argument("name")
    s.add_argument("--pt", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if not args.work:
        if not args.pt:
            ap.error("give --work or --pt")
        args.work = os.path.join(os.path.dirname(os.path.abspath(args.pt)), "tests", "vm")
    args.work = os.path.abspath(args.work)
    if args.cmd == "run":
        args.pt = os.path.abspath(args.pt)
        args.guest_program = [os.path.abspath(p) for p in args.guest_program or ()]
    try:
        return {"run": cmd_run, "fetch": cmd_fetch, "result": cmd_result}[args.cmd](args)
    except Skip as e:
        if IN_CI:
            log(f"FAIL (CI=true, so no skipping): {e}")
            return 1
        log(f"SKIP: {e}")
        return SKIP
    except Fail as e:
        log(f"FAIL: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
