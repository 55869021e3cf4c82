#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Golden tests of pt attach on fixture trees.

    run.py --pt BUILD/pt --fakekernel BUILD/tests/fakekernel/fakekernel
           [--gen-sysfs GEN] [SCENARIO...]

The runner of tests/apply (run.py there documents the scenario format and
the transcript) with this directory's scenarios/, golden/ and schema/, and
the run dir of the leases at @CONF@/run, so that each command's transcript
shows the leases it wrote and removed next to the conf dir's files.
PT_UPDATE_GOLDEN=1 rewrites the golden files; review the diff by hand.
"""
import importlib.util
import os
import re
import stat
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

spec = importlib.util.spec_from_file_location(
    "apply_run", os.path.join(HERE, "..", "apply", "run.py"))
runner = importlib.util.module_from_spec(spec)
spec.loader.exec_module(runner)

# tests/golden.py finds scenarios/ and golden/ below the runner's HERE
runner.HERE = HERE
runner.SANITIZER_RE = runner.golden.SANITIZER_RE
runner.SCHEMAS = os.path.join(HERE, "schema")
runner.XFAIL = {}

_init = runner.Runner.__init__


def _init_with_run_dir(self, args, profile, workdir):
    _init(self, args, profile, workdir)
    self.env["PT_RUN_DIR"] = os.path.join(self.conf, "run")
    bindir = os.path.dirname(os.path.abspath(args.pt))
    self.bins["pt-attach"] = os.path.join(bindir, "pt-attach")


runner.Runner.__init__ = _init_with_run_dir

_subst_out = runner.Runner.subst_out


def _subst_out_starttime(self, text):
    # a lease records its process's start time: the machine's, not the test's
    text = re.sub(r"starttime = [0-9]+", "starttime = @STARTTIME@", _subst_out(self, text))
    # the library's log names its source file and line: where it was built
    return re.sub(r"libpassthru: \S*/lib/(\w+\.c):[0-9]+ ", r"libpassthru: lib/\1:N ", text)


runner.Runner.subst_out = _subst_out_starttime

# Device nodes change owner (a VM's user = / group =): the tree's raw
# snapshot holds the owner of everything below dev/, so "same-as" also
# proves that stop gave every node back its owner, and "owners" prints
# the owner and mode of each dev/vfio node.
_tree_snapshot = runner.tree_snapshot


def _tree_snapshot_owners(root):
    out = _tree_snapshot(root)
    for rel, entry in list(out.items()):
        if rel.startswith("dev/") and entry[0] != "link":
            st = os.lstat(os.path.join(root, rel))
            out[rel] = entry + (st.st_uid, st.st_gid)
    return out


runner.tree_snapshot = _tree_snapshot_owners

_directive = runner.directive


def _directive_owners(words, line, body, where):
    if words[0] == "owners" and len(words) == 1:
        return "owners", None
    return _directive(words, line, body, where)


runner.directive = _directive_owners


def _owners(self):
    out = ["owners"]
    base = os.path.join(self.root, "dev", "vfio")
    for n in sorted(os.listdir(base), key=lambda x: (not x.isdigit(), x.zfill(8))):
        p = os.path.join(base, n)
        st = os.lstat(p)
        if stat.S_ISDIR(st.st_mode):
            continue
        out.append(f"  dev/vfio/{n}  {st.st_uid}:{st.st_gid} {stat.S_IMODE(st.st_mode):04o}")
    return out


runner.Runner.owners = _owners


def _transcript(args, path):
    profile, steps = runner.parse_scenario(path)
    with runner.golden.workdir("pt-apply-", args.work) as work:
        r = runner.Runner(args, profile, work)
        try:
            text = runner.golden.assemble(steps, {
                "cmd": r.run,
                "write": lambda p: runner.golden.write_file(r.conf, *p),
                "control": r.control,
                "snapshot": r.snapshot,
                "reboot": lambda p: r.reboot(),
                "same-as": r.same_as,
                "state": r.state,
                "schema": r.schema,
                "owners": lambda p: r.owners(),
            })
            r.close()
            return text, r.sanitizer
        finally:
            try:
                r.close()
            except runner.golden.ScenarioError:
                pass


runner.transcript = _transcript

# Scenarios that give device nodes to another user: only root may chown.
NEEDS_ROOT = {"devnode"}

if __name__ == "__main__":
    if os.geteuid() != 0 and NEEDS_ROOT & set(sys.argv[1:]):
        print("SKIP: giving device nodes to another user needs root")
        sys.exit(77)
    sys.exit(runner.main())
