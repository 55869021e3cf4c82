#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Golden tests of pt tenant on fixture trees.

    run.py --pt BUILD/pt --fakekernel BUILD/tests/fakekernel/fakekernel
           [--gen-sysfs GEN] [SCENARIO...]

The runner of tests/attach (leases at @CONF@/run; tests/apply/run.py
documents the scenario format and the transcript) with this directory's
scenarios/, golden/ and schema/. Scenarios name Unix groups every Debian
system has (users, nogroup) as tenant admins. PT_UPDATE_GOLDEN=1 rewrites
the golden files; review the diff by hand.

Thick provisioning shows in the transcript: a device node below
@ROOT@/dev whose owner or mode changed ("dev/vfio/26  root:root 0600 ->
root:users 0660") or that appeared with another owner than the kernel's
root:root 0600 (an mdev instance's node given at once: "dev/vfio/138
(new) root:users 0660"), and the host files pt writes beside the conf dir
(@ETC@/udev/rules.d, @ETC@/security/limits.d; @ETC@ is the conf dir's
parent), each new or changed one with its text.

Two scenario lines of this runner plant and remove things where the host
files go (a failure to inject):
    host-link REL TARGET         a symlink @ETC@/REL -> TARGET
    host-rm REL                  remove @ETC@/REL (a link or a file)
"""
import grp
import importlib.util
import os
import stat
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

spec = importlib.util.spec_from_file_location(
    "attach_run", os.path.join(HERE, "..", "attach", "run.py"))
attach = importlib.util.module_from_spec(spec)
spec.loader.exec_module(attach)
runner = attach.runner

# tests/golden.py finds scenarios/ and golden/ below the runner's HERE
runner.HERE = HERE
runner.SCHEMAS = os.path.join(HERE, "schema")
runner.XFAIL = {}

_init = runner.Runner.__init__


def _init_with_tenant(self, args, profile, workdir):
    _init(self, args, profile, workdir)
    bindir = os.path.dirname(os.path.abspath(args.pt))
    self.bins["pt-tenant"] = os.path.join(bindir, "pt-tenant")


runner.Runner.__init__ = _init_with_tenant

HOST_DIRS = ("udev/rules.d", "security/limits.d")
# the owner and mode tests/fakekernel gives a node it makes (the kernel's)
DEFAULT_OWNER = "root:root 0600"


def owners(root):
    """{rel: "user:group mode"} of every file below root/dev."""
    out = {}
    for dirpath, _dirs, files in os.walk(os.path.join(root, "dev")):
        for name in files:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            try:
                g = grp.getgrgid(st.st_gid).gr_name
            except KeyError:
                g = str(st.st_gid)
            u = "root" if st.st_uid == 0 else str(st.st_uid)
            out[os.path.relpath(p, root)] = f"{u}:{g} {stat.S_IMODE(st.st_mode):04o}"
    return out


def host_files(etc):
    """{rel: (mode, text)} of the files pt writes below etc."""
    out = {}
    for d in HOST_DIRS:
        top = os.path.join(etc, d)
        if not os.path.isdir(top):
            continue
        for name in sorted(os.listdir(top)):
            p = os.path.join(top, name)
            with open(p) as f:
                out[f"{d}/{name}"] = (stat.S_IMODE(os.lstat(p).st_mode), f.read())
    return out


_Tree = runner.Tree


class TreeWithOwners(_Tree):
    def __init__(self, root):
        super().__init__(root)
        self.owners = owners(root)


runner.Tree = TreeWithOwners
_render = runner.render_tree_change


def render_with_owners(before, after):
    out = _render(before, after)
    bo, ao = getattr(before, "owners", {}), getattr(after, "owners", {})
    for rel in sorted(set(bo) & set(ao)):
        if bo[rel] != ao[rel]:
            out.append(f"  {rel}  {bo[rel]} -> {ao[rel]}")
    # a node that appeared (an mdev instance's) and was given away at once
    for rel in sorted(set(ao) - set(bo)):
        if before is not None and hasattr(before, "owners") and ao[rel] != DEFAULT_OWNER:
            out.append(f"  {rel}  (new) {ao[rel]}")
    return out


runner.render_tree_change = render_with_owners
_run = runner.Runner.run
_subst_out = runner.Runner.subst_out


def run_with_host_files(self, line):
    before = host_files(self.workdir)
    out = _run(self, line)
    after = host_files(self.workdir)
    for rel in sorted(set(before) | set(after)):
        if before.get(rel) == after.get(rel):
            continue
        if rel not in after:
            out.append(f"host: @ETC@/{rel} removed")
            continue
        mode, text = after[rel]
        out.append(f"host: @ETC@/{rel} ({mode:04o}, {'changed' if rel in before else 'new'})")
        out += [("  | " + x).rstrip() for x in text.splitlines()]
    return [x.replace(self.workdir, "@ETC@") for x in out]


def subst_out(self, text):
    return _subst_out(self, text).replace(self.workdir, "@ETC@")


runner.Runner.run = run_with_host_files
runner.Runner.subst_out = subst_out

_directive = runner.directive


def directive(words, line, body, where):
    if words[0] == "host-link" and len(words) == 3:
        return "host-link", (words[1], words[2])
    if words[0] == "host-rm" and len(words) == 2:
        return "host-rm", words[1]
    return _directive(words, line, body, where)


def host_path(r, rel):
    if rel.startswith("/") or ".." in rel.split("/"):
        raise runner.ScenarioError(f"{rel}: a path below @ETC@, please")
    return os.path.join(r.workdir, rel)


def host_link(r, rel, target):
    p = host_path(r, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    os.symlink(target, p)
    return [f"host-link @ETC@/{rel} -> {target}"]


def host_rm(r, rel):
    os.unlink(host_path(r, rel))
    return [f"host-rm @ETC@/{rel}"]


runner.directive = directive
_assemble = runner.golden.assemble


def assemble(steps, handlers, tight=()):
    r = handlers["cmd"].__self__
    handlers = dict(handlers)
    handlers["host-link"] = lambda p: host_link(r, *p)
    handlers["host-rm"] = lambda p: host_rm(r, p)
    return _assemble(steps, handlers, tight)


runner.golden.assemble = assemble

if __name__ == "__main__":
    sys.exit(runner.main())
