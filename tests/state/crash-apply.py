#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Crash consistency of host changes: pt group apply and release SIGKILLed
between any two of their sysfs writes, on a gen-sysfs tree with
tests/fakekernel as the kernel.

    crash-apply.py --pt BUILD/pt --fakekernel BUILD/tests/fakekernel/fakekernel
                   [--runs N] [--seed S]

For each group (a pci group and an sriov-nic group whose apply enables VFs
and binds them) the writes W of a full apply and of a full release are
counted first. Then every run picks a write index k (round robin, so every
index is hit; then at random) and fakekernel's "kill PID after k" rule
SIGKILLs the pt process right after its write k+1:
  - a killed apply, then release: the tree is back byte for byte (every
    file's content and mode, every link, under sys/ and dev/) and no record
    is left;
  - a killed apply, then apply: the tree is the fully applied one, and a
    further apply plans nothing (it converges);
  - a killed release, then release: the tree is back byte for byte.
This needs the record written before the first host change.
Prints "crash-apply: K kills survived (apply A, release R), every write
index hit" (tests/README.md is checked against it); exit 0 when all held.
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
GROUPS = [
    # name, create args, rule
    ("nic", ["--type", "pci"], "slot eq 0000:04:00.1"),
    # the default-route PF: apply changes its VF count only with --force
    ("vfs", ["--type", "sriov-nic", "numvfs=4"], "slot eq 0000:07:00.1"),
]


class Fail(Exception):
    pass


class Kernel:
    def __init__(self, binary, root):
        self.state = os.path.join(root, ".fakekernel")
        os.makedirs(self.state, exist_ok=True)
        self.control = os.path.join(self.state, "control")
        self.log = os.path.join(self.state, "log")
        self.errf = open(os.path.join(root, "fakekernel.stderr"), "w+")
        r, w = os.pipe()
        self.proc = subprocess.Popen([binary, "--root", root, "--ready-fd", str(w),
                                      "--exit-with-parent"], pass_fds=(w,),
                                     stdin=subprocess.DEVNULL, stdout=self.errf,
                                     stderr=self.errf)
        os.close(w)
        with os.fdopen(r) as f:
            if f.readline() != "ready\n":
                raise Fail("fakekernel did not start")
        self.offset = self.size()

    def size(self):
        try:
            return os.path.getsize(self.log)
        except FileNotFoundError:
            return 0

    def sync(self, text=""):
        """Load control text; wait until the daemon logged the reload (after
        every write before it). Returns the log lines since the last sync."""
        start = self.offset
        with open(self.control, "w") as f:
            f.write(text)
        marker = re.compile(r"^#\d+ " + re.escape(self.control) + r": ", re.M)
        deadline = time.monotonic() + 30
        while True:
            with open(self.log, "rb") as f:
                f.seek(start)
                body = f.read().decode("utf-8", "replace")
            m = marker.search(body)
            if m:
                end = body.find("\n", m.start()) + 1
                if end:
                    break
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise Fail("fakekernel did not log its control reload")
            time.sleep(0.003)
        self.offset = start + len(body[:end].encode())
        return body[:m.start()].splitlines()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)


def walk(root):
    """Every path under sys/ and dev/: rel -> (kind, mode, target or stat)."""
    out = {}
    stack = [os.path.join(root, "sys"), os.path.join(root, "dev")]
    while stack:
        d = stack.pop()
        with os.scandir(d) as it:
            for e in it:
                st = e.stat(follow_symlinks=False)
                rel = os.path.relpath(e.path, root)
                if e.is_symlink():
                    out[rel] = ("link", os.readlink(e.path))
                elif e.is_dir(follow_symlinks=False):
                    out[rel] = ("dir", st.st_mode & 0o7777)
                    stack.append(e.path)
                else:
                    out[rel] = ("file", st.st_mode & 0o7777, st.st_size, st.st_mtime_ns)
    return out


def content(root, rel, mode):
    if not mode & 0o444:
        return b""           # write-only: nothing to read back
    with open(os.path.join(root, rel), "rb") as f:
        return f.read()


class Snapshot:
    """A tree's every entry, with file contents: taken once, then compared
    with the tree cheaply (a file whose size and mtime did not change was
    not written; one that did is read and compared byte for byte)."""

    def __init__(self, root):
        self.root = root
        self.meta = walk(root)
        self.data = {rel: content(root, rel, v[1]) for rel, v in self.meta.items()
                     if v[0] == "file"}

    def diff(self, limit=8):
        """"" when the tree is this snapshot, byte for byte; else what differs."""
        now = walk(self.root)
        out = []
        for rel in sorted(set(self.meta) | set(now)):
            a, b = self.meta.get(rel), now.get(rel)
            if a == b:
                continue
            if a and b and a[0] == b[0] == "file" and a[1] == b[1] and \
                    content(self.root, rel, b[1]) == self.data[rel]:
                continue     # rewritten with the same bytes
            out.append("%s: %r -> %r" % (rel, a, b))
            if len(out) >= limit:
                break
        return "; ".join(out)


class Run:
    def __init__(self, args):
        self.args = args
        self.tmp = tempfile.mkdtemp(prefix="pt-crash-")
        subprocess.run([sys.executable, os.path.join(SRC, "tests/fixtures/gen-sysfs"),
                        "--profile", "apply", "-q", self.tmp], check=True)
        self.conf = os.path.join(self.tmp, "conf")
        self.roots = ["-O", "sysfs.root=" + os.path.join(self.tmp, "sys"),
                      "-O", "dev.root=" + os.path.join(self.tmp, "dev"),
                      "-O", "proc.root=" + os.path.join(self.tmp, "proc"),
                      "-O", "modules.dir=" + os.path.join(self.tmp, "lib/modules",
                                                          os.listdir(os.path.join(self.tmp, "lib/modules"))[0]),
                      "-O", "conf.dir=" + self.conf]
        self.kernel = Kernel(args.fakekernel, self.tmp)

    def pt(self, *argv, check=True):
        p = subprocess.run([self.args.pt, argv[0]] + self.roots + list(argv[1:]),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        if check and p.returncode != 0:
            raise Fail("pt %s: exit %d: %s" % (" ".join(argv), p.returncode,
                                                p.stderr.decode().strip()))
        return p

    def writes(self, *argv):
        self.kernel.sync()
        self.pt(*argv)
        return len([l for l in self.kernel.sync() if " <- " in l])

    def killed(self, k, *argv):
        """pt ARGV, SIGKILLed by fakekernel right after its write k+1."""
        self.kernel.sync()
        p = subprocess.Popen(["sh", "-c", 'read x; exec "$@"', "sh", self.args.pt, argv[0]]
                             + self.roots + list(argv[1:]), stdin=subprocess.PIPE,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.kernel.sync("kill %d after %d\n" % (p.pid, k))
        p.stdin.write(b"\n")
        p.stdin.close()
        code = p.wait(60)
        lines = self.kernel.sync()
        if code != -signal.SIGKILL:
            raise Fail("pt %s: not killed at write %d (exit %d)" % (" ".join(argv), k + 1, code))
        return lines

    def record(self, g):
        return os.path.exists(os.path.join(self.conf, "applied.d", g + ".ini"))

    def converged(self, g):
        p = self.pt("group", "apply", "--force", "-n", "--json", g)
        doc = json.loads(p.stdout)
        runs = doc if isinstance(doc, list) else doc.get("groups", [doc])
        results = {r.get("result") for r in runs if isinstance(r, dict)}
        return results == {"unchanged"}, results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pt", required=True)
    ap.add_argument("--fakekernel", required=True)
    ap.add_argument("--runs", type=int, default=int(os.environ.get("PT_CRASH_RUNS", "100")),
                    help="runs, shared by the groups: each a killed apply and a killed release")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("PT_CRASH_SEED", "11")))
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    r = Run(args)
    kills = {"apply": 0, "release": 0}
    failed = 0
    try:
        r.kernel.sync()
        s0 = Snapshot(r.tmp)
        for g, create, rule in GROUPS:
            r.pt("group", "create", g, *create)
            r.pt("rule", "add", g, "r", rule)
            wa = r.writes("group", "apply", "--force", g)
            s1 = Snapshot(r.tmp)
            wr = r.writes("group", "release", g)
            if s0.diff():
                raise Fail("%s: a full release does not restore the tree: %s"
                           % (g, s0.diff()))
            print("%s: apply makes %d writes, release %d" % (g, wa, wr))
            per = args.runs // len(GROUPS)
            if per < max(wa, wr):
                raise Fail("%s: %d runs cannot hit each of %d write indexes; give --runs %d"
                           % (g, per, max(wa, wr), max(wa, wr) * len(GROUPS)))
            for i in range(per):
                ka = i if i < wa else rnd.randrange(wa)
                kr = i if i < wr else rnd.randrange(wr)
                try:
                    # a killed apply, then release (even runs) or apply (odd)
                    r.killed(ka, "group", "apply", "--force", g)
                    kills["apply"] += 1
                    if not r.record(g):
                        raise Fail("apply killed at write %d left no record" % (ka + 1))
                    if i % 2:
                        r.pt("group", "apply", "--force", g)
                        r.kernel.sync()
                        if s1.diff():
                            raise Fail("apply after a kill at write %d differs from a "
                                       "full apply: %s" % (ka + 1, s1.diff()))
                        ok, res = r.converged(g)
                        if not ok:
                            raise Fail("apply after a kill at write %d does not converge: %s"
                                       % (ka + 1, res))
                    r.pt("group", "release", g)
                    r.kernel.sync()
                    if s0.diff() or r.record(g):
                        raise Fail("release after apply killed at write %d: %s"
                                   % (ka + 1, s0.diff() or "the record is left"))
                    # a killed release, then release
                    r.pt("group", "apply", "--force", g)
                    r.killed(kr, "group", "release", g)
                    kills["release"] += 1
                    r.pt("group", "release", g)
                    r.kernel.sync()
                    if s0.diff() or r.record(g):
                        raise Fail("release after release killed at write %d: %s"
                                   % (kr + 1, s0.diff() or "the record is left"))
                except Fail as e:
                    failed += 1
                    print("FAIL %s run %d: %s" % (g, i, e))
                    if failed >= 5:
                        raise
                    # start the next run from a clean tree
                    r.pt("group", "release", g, check=False)
                    r.kernel.sync()
                    if s0.diff():
                        raise Fail("cannot get back to the start tree")
    except Fail as e:
        print("FAIL: %s" % e)
        failed += 1
    finally:
        r.kernel.stop()
        shutil.rmtree(r.tmp, ignore_errors=True)
    total = kills["apply"] + kills["release"]
    print("crash-apply: %d kills survived (apply %d, release %d), every write index hit%s"
          % (total - failed, kills["apply"], kills["release"],
             "" if not failed else "; %d FAILED" % failed))
    if not failed and "PT_CRASH_RUNS" not in os.environ and args.runs == 100:
        sys.path.insert(0, os.path.dirname(HERE))
        import readme_counts
        if not readme_counts.check("crash kills survived", total):
            return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
