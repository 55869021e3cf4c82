#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Golden CLI tests: the real pt binary on generated fixture trees.

    cli.py trees   --gen GEN --trees DIR
    cli.py golden  --pt PT --trees DIR --golden DIR [CASE...]
    cli.py schema  --golden DIR
    cli.py fixture --pt PT --trees DIR
    cli.py libs    --pt PT

trees    writes the fixture trees (tests/fixtures/gen-sysfs) into DIR.
golden   runs every case below and compares stdout, stderr and the exit
         status with DIR/<case>.out (or .json) and DIR/<case>.err (first
         line "exit N", then stderr). The tree's path reads "$TREE" there.
         PT_UPDATE_GOLDEN=1 rewrites the files instead (review the diff!).
schema   the JSON ABI across every golden *.json: snake_case keys, one type
         per key of each kind of object (null aside), the same keys in every
         object of a kind.
fixture  pt scan --json against the fixture.json the generator wrote: ids,
         class, drivers, groups, VFs, netdevs, vGPU, and the host-critical
         functions the generator planted (root disk, default route, boot VGA).
libs     the libraries the dynamic loader maps when pt starts (ldd): never
         libkmod or libcrypto, which lib/module.c loads only to load a module.
"""

import argparse
import difflib
import json
import os
import re
import shutil
import subprocess
import sys

# Trees: name -> gen-sysfs arguments.
TREES = {
    "workstation": ["--profile", "workstation"],
    "minimal": ["--profile", "minimal"],
    "scale-small": ["--profile", "scale", "--gpus", "1", "--nics", "2", "--vfs-per-nic", "4"],
    "vgpu": ["--profile", "vgpu"],
}
KVER = "6.1.0-18-amd64"

# Broken copies of a tree: name -> (tree copied, edits). Edits are
# ("write", path, text), ("rmtree", path), ("symlink", path, target: the
# old path is replaced), ("mkdir", path), ("rm", path); paths are relative
# to the copy. They carry mutant.json, not fixture.json: the lspci and
# fixture checks, which read every tree with a fixture.json, pass them by.
DEVS = "sys/bus/pci/devices/"
MUTANTS = {
    # counts out of the kernel's range (issue 11): each one reads as
    # absent with a warning naming the file; the scan never loops on them
    "counts": ("scale-small", [
        ("write", DEVS + "0000:3b:00.0/sriov_totalvfs", "2147483647\n"),
        ("write", DEVS + "0000:3b:00.0/sriov_numvfs", "2147483647\n"),
        ("write", DEVS + "0000:3b:00.1/sriov_numvfs", "4294967298\n"),
        ("write", DEVS + "0000:86:00.1/sriov_totalvfs", "65536\n"),
        ("symlink", DEVS + "0000:86:00.0/iommu_group",
         "../../../../kernel/iommu_groups/99999999999"),
        ("write", DEVS + "0000:00:1f.0/numa_node", "99999999999999999999\n"),
        ("write", DEVS + "0000:00:1f.2/revision", "0x100\n"),
    ]),
    # reads that fail mid-scan (issue 9): a VF gone between listing and
    # reading, a function whose uevent cannot be read, one without uevent
    # and vendor. Each is left out with a warning; the rest is listed.
    "unreadable": ("scale-small", [
        ("rmtree", "sys/devices/pci0000:85/0000:85:00.0/0000:86:10.2"),
        ("rm", DEVS + "0000:3b:10.1/uevent"),
        ("mkdir", DEVS + "0000:3b:10.1/uevent"),
        ("rm", DEVS + "0000:00:1f.4/uevent"),
        ("rm", DEVS + "0000:00:1f.4/vendor"),
    ]),
}

# Cases: (name, tree or None, arguments after "pt", options)
#   options: via="pt-scan" runs the pt-scan link (arguments after it);
#            env=True passes the roots as PT_*_ROOT instead of -O.
CASES = [
    # listing, the whole workstation
    ("scan", "workstation", ["scan"], {}),
    ("scan-json", "workstation", ["scan", "--json"], {}),
    ("scan-t-gpu", "workstation", ["scan", "-t", "gpu"], {}),
    ("scan-t-gpu-json", "workstation", ["scan", "-t", "gpu", "--json"], {}),
    ("scan-t-vgpu", "workstation", ["scan", "-t", "vgpu"], {}),
    ("scan-t-vgpu-json", "workstation", ["scan", "--type", "vgpu", "--json"], {}),
    ("scan-t-sriov", "workstation", ["scan", "-t", "sriov"], {}),
    ("scan-t-sriov-json", "workstation", ["scan", "-t", "sriov", "-j"], {}),
    ("scan-t-pci", "workstation", ["scan", "-t", "pci"], {}),
    ("scan-t-gpu-sriov", "workstation", ["scan", "-t", "gpu,sriov"], {}),
    # lspci's selectors
    ("scan-s-bus", "workstation", ["scan", "-s", "04:"], {}),
    ("scan-s-func-json", "workstation", ["scan", "-s", "0000:01:00.1", "--json"], {}),
    ("scan-s-dev", "workstation", ["scan", "--slot", "06:01"], {}),
    ("scan-d-vendor", "workstation", ["scan", "-d", "10de:"], {}),
    ("scan-d-class-json", "workstation", ["scan", "-d", "::0200", "--json"], {}),
    ("scan-d-id", "workstation", ["scan", "--device", "8086:154c"], {}),
    ("scan-s-d", "workstation", ["scan", "-s", "07:", "-d", ":1018"], {}),
    ("scan-group", "workstation", ["scan", "--group", "13"], {}),
    ("scan-group-json", "workstation", ["scan", "-g", "18", "--json"], {}),
    ("scan-group-vf", "workstation", ["scan", "--group", "28"], {}),
    # nothing matched: exit 3, a note on stderr, no table / empty arrays
    ("scan-nomatch", "workstation", ["scan", "-d", "1234:5678"], {}),
    ("scan-nomatch-json", "workstation", ["scan", "-d", "1234:5678", "--json"], {}),
    ("scan-nomatch-quiet", "workstation", ["scan", "-q", "--group", "999"], {}),
    ("scan-nomatch-type", "minimal", ["scan", "-t", "gpu"], {}),
    # usage errors: exit 2
    ("scan-bad-slot", "workstation", ["scan", "-s", "zz:1"], {}),
    ("scan-bad-id", "workstation", ["scan", "-d", "xyz"], {}),
    ("scan-bad-type", "workstation", ["scan", "-t", "floppy"], {}),
    ("scan-bad-group", "workstation", ["scan", "--group", "x"], {}),
    ("scan-bad-arg", "workstation", ["scan", "extra"], {}),
    ("scan-bad-option", "workstation", ["scan", "--frobnicate"], {}),
    ("scan-bad-O-key", "workstation", ["scan", "-O", "bogus.root=/x"], {}),
    ("scan-bad-O-relative", None, ["scan", "-O", "sysfs.root=relative/sys"], {}),
    # the readiness check
    ("check", "workstation", ["scan", "--check"], {}),
    ("check-json", "workstation", ["scan", "--check", "--json"], {}),
    ("check-minimal", "minimal", ["scan", "--check"], {}),
    ("check-minimal-json", "minimal", ["scan", "-c", "-j"], {}),
    # other hosts
    ("minimal", "minimal", ["scan"], {}),
    ("minimal-json", "minimal", ["scan", "--json"], {}),
    ("scale-small", "scale-small", ["scan"], {}),
    ("scale-small-sriov-json", "scale-small", ["scan", "-t", "sriov", "--json"], {}),
    # NVIDIA vGPU on both host interfaces: profiles understood
    ("vgpu-t-vgpu", "vgpu", ["scan", "-t", "vgpu"], {}),
    ("vgpu-s-json", "vgpu", ["scan", "-s", "41:00.4", "--json"], {}),
    ("vgpu-d-json", "vgpu", ["scan", "-d", "10de:26b9", "-s", "43:00", "--json"], {}),
    ("vgpu-check", "vgpu", ["scan", "--check"], {}),
    # the same through the pt-scan link and through the environment
    ("pt-scan-link", "workstation", ["-t", "vgpu"], {"via": "pt-scan"}),
    ("env-roots", "workstation", ["scan", "-t", "vgpu"], {"env": True}),
    # a root that is no directory is a usage error, never "no devices"
    ("scan-root-missing", None, ["scan", "-O", "sysfs.root=/nonexistent"], {}),
    ("scan-root-missing-check", None, ["scan", "--check", "-O", "sysfs.root=/nonexistent"], {}),
    # hostile counts and failed reads: warnings naming each file, exit 1
    ("scan-counts", "counts", ["scan"], {}),
    ("scan-counts-json", "counts", ["scan", "-t", "sriov,pci", "--json"], {}),
    ("scan-unreadable", "unreadable", ["scan", "-t", "sriov"], {}),
    ("scan-unreadable-json", "unreadable", ["scan", "--json", "-s", "1f."], {}),
    # the dispatcher
    ("help", None, ["--help"], {}),
    ("no-args", None, [], {}),
    ("list-cmds", None, ["--list-cmds"], {}),
    ("scan-list-opts", None, ["scan", "--list-opts"], {}),
    ("scan-help", None, ["scan", "--help"], {}),
    ("help-scan", None, ["help", "scan"], {}),
    ("unknown-cmd", None, ["frobnicate"], {}),
    ("unknown-help", None, ["help", "frobnicate"], {}),
]

ENV_ROOTS = {"sysfs.root": "PT_SYSFS_ROOT", "proc.root": "PT_PROC_ROOT",
             "dev.root": "PT_DEV_ROOT", "modules.dir": "PT_MODULES_DIR"}


def roots(tree_dir):
    return {"sysfs.root": os.path.join(tree_dir, "sys"),
            "proc.root": os.path.join(tree_dir, "proc"),
            "dev.root": os.path.join(tree_dir, "dev"),
            "modules.dir": os.path.join(tree_dir, "lib", "modules", KVER)}


def clean_env():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PT_")}
    # the same on a host with NVIDIA's driver: no NVML (tests/apply loads the fake)
    env["PT_NVML_LIBRARY"] = "/nonexistent/libnvidia-ml.so.1"
    env["LC_ALL"] = "C"
    env.pop("LANG", None)
    env.pop("LANGUAGE", None)
    return env


def run_pt(pt, args, tree_dir=None, via=None, env_roots=False, conf_dir=None):
    """Run pt (or its pt-<cmd> link) with the tree's roots; (rc, out, err)."""
    env = clean_env()
    argv0 = pt if not via else os.path.join(os.path.dirname(pt), via)
    opts = []
    if tree_dir:
        for k, v in roots(tree_dir).items():
            if env_roots:
                env[ENV_ROOTS[k]] = v
            else:
                opts += ["-O", "%s=%s" % (k, v)]
        # never the host's /etc/passthru
        env["PT_CONF_DIR"] = conf_dir or os.path.join(tree_dir, "etc", "passthru")
    if via:
        argv = [argv0] + opts + args
    elif args:
        argv = [argv0, args[0]] + opts + args[1:]
    else:
        argv = [argv0]
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env, timeout=120)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


# ---- trees -------------------------------------------------------------------

def make_mutant(trees, name, base, edits):
    out = os.path.join(trees, name)
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(os.path.join(trees, base), out, symlinks=True)
    os.rename(os.path.join(out, "fixture.json"), os.path.join(out, "mutant.json"))
    for e in edits:
        path = os.path.join(out, e[1])
        if e[0] == "write":
            with open(path, "w") as f:
                f.write(e[2])
        elif e[0] == "rmtree":
            shutil.rmtree(path)
        elif e[0] == "rm":
            os.unlink(path)
        elif e[0] == "mkdir":
            os.mkdir(path)
        elif e[0] == "symlink":
            os.unlink(path)
            os.symlink(e[2], path)


def cmd_trees(a):
    for name, gen_args in TREES.items():
        out = os.path.join(a.trees, name)
        subprocess.run([sys.executable, a.gen, "-q"] + gen_args + [out], check=True)
    for name, (base, edits) in MUTANTS.items():
        make_mutant(a.trees, name, base, edits)
    return 0


def tree_path(trees, name):
    d = os.path.join(trees, name)
    if not any(os.path.isfile(os.path.join(d, f)) for f in ("fixture.json", "mutant.json")):
        sys.exit("cli.py: no fixture tree %s; run 'cli.py trees' first (the "
                 "cli/trees test)" % d)
    return d


# ---- golden ------------------------------------------------------------------

def normalize(text, tree_dir):
    if tree_dir:
        text = text.replace(tree_dir, "$TREE")
    return text


def cmd_golden(a):
    update = os.environ.get("PT_UPDATE_GOLDEN") == "1"
    names = set(a.cases)
    unknown = names - {c[0] for c in CASES}
    if unknown:
        sys.exit("cli.py: no such case: %s" % ", ".join(sorted(unknown)))
    failed = []
    written = set()
    for name, tree, args, opts in CASES:
        if names and name not in names:
            continue
        tdir = tree_path(a.trees, tree) if tree else None
        rc, out, err = run_pt(a.pt, args, tdir, via=opts.get("via"),
                              env_roots=opts.get("env", False))
        out, err = normalize(out, tdir), normalize(err, tdir)
        is_json = "--json" in args or "-j" in args
        if is_json and out:
            try:
                json.loads(out)
            except ValueError as e:
                failed.append(name)
                print("FAIL %s: stdout is not JSON: %s" % (name, e))
                continue
        files = {name + (".json" if is_json else ".out"): out,
                 name + ".err": "exit %d\n%s" % (rc, err)}
        for fname, got in files.items():
            path = os.path.join(a.golden, fname)
            written.add(fname)
            if update:
                old = open(path).read() if os.path.exists(path) else None
                if old != got:
                    with open(path, "w") as f:
                        f.write(got)
                    print("updated %s" % fname)
                continue
            if not os.path.exists(path):
                failed.append(name)
                print("FAIL %s: no golden file %s (PT_UPDATE_GOLDEN=1 writes it)"
                      % (name, fname))
                continue
            want = open(path).read()
            if want != got:
                failed.append(name)
                print("FAIL %s: %s differs (pt %s)" % (name, fname, " ".join(args)))
                sys.stdout.writelines(difflib.unified_diff(
                    want.splitlines(True), got.splitlines(True),
                    "golden/" + fname, "got", n=2))
    if not names:
        stale = sorted(set(f for f in os.listdir(a.golden)
                           if f.endswith((".out", ".json", ".err"))) - written)
        for f in stale:
            if update:
                os.unlink(os.path.join(a.golden, f))
                print("removed stale %s" % f)
            else:
                failed.append(f)
                print("FAIL: golden file %s belongs to no case" % f)
    ran = len([c for c in CASES if not names or c[0] in names])
    if failed:
        print("%d of %d cases failed: %s" % (len(set(failed)), ran,
                                             " ".join(sorted(set(failed)))))
        return 1
    print("%d cases %s" % (ran, "written" if update else "match"))
    return 0


# ---- schema ------------------------------------------------------------------

SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def jtype(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def cmd_schema(a):
    types = {}      # "pci[].driver" -> {type: first file}
    keysets = {}    # "pci[]" -> {frozenset(keys): first file}
    problems = []
    files = sorted(f for f in os.listdir(a.golden) if f.endswith(".json"))
    if not files:
        print("no golden JSON files in %s" % a.golden)
        return 1

    def walk(v, path, fname):
        if isinstance(v, dict):
            keysets.setdefault(path, {}).setdefault(frozenset(v), fname)
            for k, x in v.items():
                if not SNAKE.match(k):
                    problems.append("%s: key %r of %s is not snake_case" % (fname, k, path))
                kp = "%s.%s" % (path, k)
                types.setdefault(kp, {}).setdefault(jtype(x), fname)
                walk(x, kp, fname)
        elif isinstance(v, list):
            for x in v:
                types.setdefault(path + "[]", {}).setdefault(jtype(x), fname)
                walk(x, path + "[]", fname)

    for f in files:
        text = open(os.path.join(a.golden, f)).read()
        if not text:
            continue
        doc = json.loads(text)
        # two kinds of document: pt scan's and pt scan --check's
        walk(doc, "check" if isinstance(doc, dict) and "checks" in doc else "scan", f)
    for kp, ts in sorted(types.items()):
        real = {t: f for t, f in ts.items() if t != "null"}
        if len(real) > 1:
            problems.append("%s has %d types: %s" % (kp, len(real), ", ".join(
                "%s (%s)" % (t, f) for t, f in sorted(real.items()))))
    for path, ks in sorted(keysets.items()):
        if len(ks) > 1:
            allk = frozenset().union(*ks)
            for k, f in ks.items():
                if k != allk:
                    problems.append("%s objects differ in keys: %s lacks %s" % (
                        path, f, ", ".join(sorted(allk - k))))
    for p in problems:
        print("FAIL " + p)
    print("%d golden JSON files, %d keys of %d kinds of object: %s" % (
        len(files), len(types), len(keysets), "FAILED" if problems else "ok"))
    return 1 if problems else 0


# ---- fixture -----------------------------------------------------------------

FIELDS = ("vendor_id", "device_id", "subsystem_vendor_id", "subsystem_device_id",
          "class_id", "prog_if", "revision", "driver", "driver_override", "iommu_group",
          "numa_node", "bridge", "boot_vga", "sriov_total_vfs", "sriov_num_vfs", "vfs",
          "physfn", "vf_index", "netdevs", "mdev_parent", "nvidia_vgpu")


def cmd_fixture(a):
    bad = 0
    for tree in TREES:
        tdir = tree_path(a.trees, tree)
        want = json.load(open(os.path.join(tdir, "fixture.json")))
        rc, out, err = run_pt(a.pt, ["scan", "--json"], tdir)
        if rc != 0:
            print("FAIL %s: pt scan --json exited %d: %s" % (tree, rc, err.strip()))
            bad += 1
            continue
        got = json.loads(out)
        gp = {d["slot"]: d for d in got["pci"]}
        wp = {d["slot"]: d for d in want["functions"]}
        errs = []
        if set(gp) != set(wp):
            errs.append("functions: missing %s, extra %s" % (
                sorted(set(wp) - set(gp)), sorted(set(gp) - set(wp))))
        for slot in sorted(set(gp) & set(wp)):
            for k in FIELDS:
                if gp[slot].get(k) != wp[slot][k]:
                    errs.append("%s %s: pt says %r, the tree has %r" % (
                        slot, k, gp[slot].get(k), wp[slot][k]))
            # the generator's own bridges are never candidates
            if wp[slot]["bridge"] and gp[slot]["candidate"]:
                errs.append("%s: a bridge listed as a candidate" % slot)
        groups = {str(g["group"]): g["members"] for g in got["iommu_groups"]}
        if groups != want["iommu_groups"]:
            errs.append("iommu_groups differ: pt %s, tree %s" % (groups, want["iommu_groups"]))
        for g in got["iommu_groups"]:
            blockers = sorted(b["slot"] for b in g["blockers"])
            expect = sorted(m for m in g["members"]
                            if not wp[m]["bridge"] and wp[m]["driver"] not in
                            (None, "vfio-pci", "pci-stub"))
            if blockers != expect or g["viable"] != (not expect):
                errs.append("group %d: blockers %s, viable %s; expected %s" % (
                    g["group"], blockers, g["viable"], expect))
        mdevs = [dict(uuid=m["uuid"], iommu_group=m["iommu_group"], parent=p["slot"],
                      type=m["type"]) for p in got["mdev_parents"] for m in p["mdevs"]]
        if mdevs != want["mdevs"]:
            errs.append("mdevs: pt %s, tree %s" % (mdevs, want["mdevs"]))
        host = want["host"]
        for key, what in (("root_disk", "root filesystem"), ("default_route", "default route"),
                          ("boot_vga", "boot VGA")):
            slot = host.get(key)
            if slot and what not in (gp.get(slot, {}).get("critical") or ""):
                errs.append("%s holds the %s but is not critical: %r" % (
                    slot, what, gp.get(slot, {}).get("critical")))
        for e in errs:
            print("FAIL %s: %s" % (tree, e))
        print("%s: %d functions, %d groups: %s" % (tree, len(wp), len(groups),
                                                   "FAILED" if errs else "ok"))
        bad += bool(errs)
    return 1 if bad else 0


# Loaded with dlopen() by the one code path that needs them, never at start-up.
NOT_AT_START = ("libkmod.so", "libcrypto.so")


def cmd_libs(a):
    # LD_TRACE_LOADED_OBJECTS: the loader lists what it maps, as ldd does
    env = dict(os.environ, LD_TRACE_LOADED_OBJECTS="1")
    p = subprocess.run([a.pt], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    libs = [line.split()[0] for line in p.stdout.splitlines() if line.strip()]
    if p.returncode != 0 or not any(n.startswith("libpassthru.so") for n in libs):
        print("FAIL: the loader's list for %s (exit %d) names no libpassthru: %r %s" % (
            a.pt, p.returncode, libs, p.stderr.strip()))
        return 1
    bad = [n for n in libs if n.startswith(NOT_AT_START)]
    for n in bad:
        print("FAIL: %s maps %s at start-up" % (a.pt, n))
    print("%s maps %d libraries at start-up: %s" % (a.pt, len(libs), " ".join(libs)))
    return 1 if bad else 0


def main():
    ap = argparse.ArgumentParser(prog="cli.py")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("trees")
    p.add_argument("--gen", required=True)
    p.add_argument("--trees", required=True)
    p = sub.add_parser("golden")
    p.add_argument("--pt", required=True)
    p.add_argument("--trees", required=True)
    p.add_argument("--golden", required=True)
    p.add_argument("cases", nargs="*")
    p = sub.add_parser("schema")
    p.add_argument("--golden", required=True)
    p = sub.add_parser("fixture")
    p.add_argument("--pt", required=True)
    p.add_argument("--trees", required=True)
    p = sub.add_parser("libs")
    p.add_argument("--pt", required=True)
    a = ap.parse_args()
    return {"trees": cmd_trees, "golden": cmd_golden, "schema": cmd_schema,
            "fixture": cmd_fixture, "libs": cmd_libs}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
