#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""pt attach under concurrency and under SIGKILL, on a fixture tree.

    stress.py --pt BUILD/pt --fakekernel BUILD/tests/fakekernel/fakekernel
              [--gen-sysfs GEN] concurrency [--procs 8] [--cycles N]
    stress.py ... kill [--runs 200]

The tree is the workstation profile with tests/fakekernel reacting to the
writes; three groups shared by every VM are applied first: "vfs" (the
X710's 4 VFs), "t4" (T4 vGPU instances, 3 creatable) and "gpus" (the RTX
4090 with its audio function). VM vmN requests a VF and a T4 instance, the
even ones the GPU too, so the VMs compete for every unit.

concurrency: --procs workers each run --cycles of `pt attach start vmN`
(exit 0, or 6 when the units are taken) and, after a start, `pt attach
stop vmN` (exit 0). Meanwhile a checker takes the run dir's lock shared,
reads every lease and fails on a unit in two leases, an mdev instance in
two, or more T4 instances leased than the T4 had; each worker checks that
its lease exists after its start and is gone after its stop (no lost
lease). At the end no lease is left and the tree is as after the applies,
byte for byte.

kill: --runs times `pt attach start vm0` is killed with SIGKILL after a
random delay (seeded: the run is repeatable); the lease is then absent or
whole (parses, names the VM, a known state); `pt attach stop vm0` (or `pt
attach gc` when there is none) must exit 0 and leave the tree as after the
applies, byte for byte, with no lease and no temp file in the run dir.
"""
import argparse
import configparser
import fcntl
import importlib.util
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "apply_run", os.path.join(HERE, "..", "apply", "run.py"))
runner = importlib.util.module_from_spec(spec)
spec.loader.exec_module(runner)


class Setup:
    def __init__(self, args):
        self.args = args
        self.work = tempfile.mkdtemp(prefix="pt-attach-stress-", dir=runner.default_work())
        self.root = os.path.join(self.work, "root")
        self.conf = os.path.join(self.work, "conf")
        self.run = os.path.join(self.work, "run")
        os.mkdir(self.conf)
        subprocess.run([sys.executable, args.gen_sysfs, "-q", "--profile", "workstation",
                        self.root], check=True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PT_")}
        self.env.update(LC_ALL="C", PT_CONF_DIR=self.conf, PT_RUN_DIR=self.run,
                        PT_SYSFS_ROOT=os.path.join(self.root, "sys"),
                        PT_PROC_ROOT=os.path.join(self.root, "proc"),
                        PT_DEV_ROOT=os.path.join(self.root, "dev"))
        self.kernel = runner.Kernel(args.fakekernel, self.root)
        for cmd in (["group", "create", "vfs", "--type", "sriov-nic"],
                    ["rule", "add", "vfs", "x710", "slot eq 0000:04:00.0"],
                    ["group", "create", "t4", "--type", "vgpu", "profile=nvidia-232",
                     "mode=mdev", "placement=spread"],
                    ["rule", "add", "t4", "tesla", "slot eq 0000:02:00.0"],
                    ["group", "create", "gpus", "--type", "pci"],
                    ["rule", "add", "gpus", "rtx", "slot eq 0000:01:00.0"],
                    ["group", "apply", "vfs", "-q"],
                    ["group", "apply", "gpus", "--with-group-siblings", "-q"]):
            self.pt(*cmd, check=True)
        for i in range(8):
            self.pt("attach", "add", "vm%d" % i, "vfs", check=True)
            self.pt("attach", "add", "vm%d" % i, "t4", check=True)
            if i % 2 == 0:
                self.pt("attach", "add", "vm%d" % i, "gpus", check=True)
        self.kernel.sync()
        self.applied = runner.Tree(self.root).raw

    def pt(self, *argv, check=False):
        p = subprocess.run([self.args.pt, *argv], env=self.env, capture_output=True,
                           text=True, timeout=120)
        if runner.golden.SANITIZER_RE.search(p.stderr):
            raise SystemExit("sanitizer report on pt %s:\n%s" % (" ".join(argv), p.stderr))
        if check and p.returncode:
            raise SystemExit("pt %s: exit %d: %s" % (" ".join(argv), p.returncode, p.stderr))
        return p

    def leases(self):
        d = os.path.join(self.run, "leases")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def tree_problems(self):
        self.kernel.sync()
        now = runner.Tree(self.root).raw
        if now == self.applied:
            return []
        diff = sorted(k for k in set(now) | set(self.applied) if now.get(k) != self.applied.get(k))
        return ["the tree differs from the one after the applies: " + ", ".join(diff[:10])]

    def close(self):
        self.kernel.stop()
        if os.environ.get("PT_KEEP_TMP"):
            print("kept", self.work)
        else:
            shutil.rmtree(self.work, ignore_errors=True)


def parse_lease(path):
    cp = configparser.ConfigParser(interpolation=None)
    with open(path) as f:
        cp.read_string(f.read())
    return cp


def concurrency(s, procs, cycles):
    problems = []
    lock = threading.Lock()
    stop = threading.Event()
    counts = {"started": 0, "refused": 0, "checks": 0}

    def fail(msg):
        with lock:
            problems.append(msg)

    def checker():
        lockpath = os.path.join(s.run, ".lock")
        while not stop.is_set():
            try:
                fd = os.open(lockpath, os.O_RDONLY)
            except FileNotFoundError:
                time.sleep(0.01)
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_SH)
                owner, mdevs, t4 = {}, {}, 0
                for name in s.leases():
                    if name.startswith("."):
                        continue
                    try:
                        cp = parse_lease(os.path.join(s.run, "leases", name))
                    except FileNotFoundError:
                        fail("lease %s listed but not readable under the lock" % name)
                        continue
                    vm = cp["lease"]["vm"]
                    for sec in cp.sections():
                        if not sec.startswith("device"):
                            continue
                        for f in cp[sec].get("functions", "").split():
                            if f in owner:
                                fail("double allocation: %s leased to %s and %s"
                                     % (f, owner[f], vm))
                            owner[f] = vm
                        u = cp[sec].get("mdev_uuid")
                        if u:
                            t4 += 1
                            if u in mdevs:
                                fail("mdev %s leased to %s and %s" % (u, mdevs[u], vm))
                            mdevs[u] = vm
                if t4 > 3:
                    fail("%d T4 instances leased; the T4 had 3" % t4)
                with lock:
                    counts["checks"] += 1
            finally:
                os.close(fd)
            time.sleep(0.002)

    def worker(i):
        vm = "vm%d" % i
        lease = os.path.join(s.run, "leases", vm + ".ini")
        for c in range(cycles):
            p = s.pt("attach", "start", vm, "-q")
            if p.returncode == 6:
                with lock:
                    counts["refused"] += 1
                continue
            if p.returncode != 0:
                fail("%s cycle %d: start exit %d: %s" % (vm, c, p.returncode, p.stderr.strip()))
                continue
            with lock:
                counts["started"] += 1
            if not os.path.exists(lease):
                fail("%s cycle %d: started, but no lease" % (vm, c))
            p = s.pt("attach", "stop", vm, "-q")
            if p.returncode != 0:
                fail("%s cycle %d: stop exit %d: %s (lost lease)" % (vm, c, p.returncode,
                                                                     p.stderr.strip()))
            if os.path.exists(lease):
                fail("%s cycle %d: stopped, but the lease is there" % (vm, c))

    chk = threading.Thread(target=checker)
    chk.start()
    ws = [threading.Thread(target=worker, args=(i,)) for i in range(procs)]
    t0 = time.monotonic()
    for w in ws:
        w.start()
    for w in ws:
        w.join()
    stop.set()
    chk.join()
    left = [n for n in s.leases()]
    if left:
        problems.append("leases left after every stop: %s" % left)
    problems += s.tree_problems()
    print("concurrency: %d workers x %d cycles in %.1f s: %d starts, %d refused, "
          "%d checker passes" % (procs, cycles, time.monotonic() - t0, counts["started"],
                                 counts["refused"], counts["checks"]))
    if counts["started"] == 0 or counts["checks"] == 0:
        problems.append("nothing was exercised")
    return problems


def kill(s, runs, seed):
    problems = []
    rnd = random.Random(seed)
    lease = os.path.join(s.run, "leases", "vm0.ini")
    whole = absent = 0
    # how long a whole start takes here, to spread the kills over it
    t = time.monotonic()
    s.pt("attach", "start", "vm0", "-q", check=True)
    span = time.monotonic() - t
    s.pt("attach", "stop", "vm0", "-q", check=True)
    for i in range(runs):
        p = subprocess.Popen([s.args.pt, "attach", "start", "vm0", "-q"], env=s.env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rnd.uniform(0, span * 1.2))
        p.send_signal(signal.SIGKILL)
        p.wait()
        # The fake kernel reacts to a write after it returns (inotify), the
        # kernel before: let it finish what the killed start wrote, or the
        # cleanup below may look before an mdev it created is there.
        s.kernel.sync()
        if os.path.exists(lease):
            try:
                cp = parse_lease(lease)
                if cp["lease"]["vm"] != "vm0" or \
                        cp["lease"]["state"] not in ("starting", "running"):
                    problems.append("run %d: lease with vm %s state %s" % (
                        i, cp["lease"]["vm"], cp["lease"]["state"]))
            except (configparser.Error, KeyError) as e:
                problems.append("run %d: the lease is not whole: %s" % (i, e))
            whole += 1
            r = s.pt("attach", "stop", "vm0")
        else:
            absent += 1
            r = s.pt("attach", "gc")
        if r.returncode != 0:
            problems.append("run %d: cleanup exit %d: %s" % (i, r.returncode, r.stderr.strip()))
        # the next writer removes a temp file a killed one left: gc takes the lock
        s.pt("attach", "gc", check=True)
        extra = s.leases()
        if extra:
            problems.append("run %d: left in the run dir: %s" % (i, extra))
        tp = s.tree_problems()
        if tp:
            problems += ["run %d: %s" % (i, x) for x in tp]
            break
    print("kill: %d runs (start takes %.0f ms): %d left a whole lease, %d none"
          % (runs, span * 1000, whole, absent))
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pt", required=True)
    ap.add_argument("--fakekernel", required=True)
    ap.add_argument("--gen-sysfs", default=os.path.join(HERE, "..", "fixtures", "gen-sysfs"))
    ap.add_argument("--procs", type=int, default=8)
    ap.add_argument("--cycles", type=int, default=500)
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=10)
    ap.add_argument("mode", choices=("concurrency", "kill"))
    args = ap.parse_args()
    s = Setup(args)
    try:
        if args.mode == "concurrency":
            problems = concurrency(s, args.procs, args.cycles)
        else:
            problems = kill(s, args.runs, args.seed)
    finally:
        s.close()
    for p in problems[:50]:
        print("FAIL", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
