#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Tenants and real Unix users: what a tenant admin who is not root can not
do to the state, and what root-run commands do with files planted in
tenants.d.

Run as root (skipped, exit 77, otherwise or without setpriv(1)). The
tenant admin is uid 65534 (nobody) with gid and only group "users": an
admin of tenant "acme", whose --admins is "users" (tenant "globex" has
"nogroup"). As that user, each change (tenant create, grant,
revoke, delete; group create; attach add, start) is refused with exit 7
and a message, and the conf dir and run dir are unchanged byte for byte
(names, modes, owners, contents). As root, a symlink to another file and
a FIFO planted in tenants.d are refused with exit 5 naming the file:
never followed, never blocking, nothing read through them.

Tenant files are 0640 root:<the tenant's Unix group>: the tenant admin
reads its own tenant (show, list) and not another's (show exits 7, list
leaves it out, open(2) fails with EACCES); a file left 0644 by an older
pt is put right by the next tenant change.
"""
import grp
import os
import shutil
import stat
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import statelib  # noqa: E402

NOBODY = 65534



def main():
    a = statelib.args(__doc__)
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        print("SKIP: needs root and setpriv(1) to run commands as another user")
        return 77
    try:
        users = grp.getgrnam("users").gr_gid
    except KeyError:
        print("SKIP: no Unix group 'users'")
        return 77
    s = statelib.State(a.pt, keep=a.keep)
    try:
        # the tenant user must reach the dirs, as on a host: /etc is 0755
        os.chmod(s.root, 0o755)
        run_dir = os.path.join(s.root, "run")
        s.env["PT_RUN_DIR"] = run_dir
        s.run("tenant", "create", "acme", "--admins", "users")
        s.run("tenant", "create", "globex", "--admins", "nogroup")
        s.run("group", "create", "vfs", "--type", "sriov-nic")
        # a grant as pt writes it (the units need not exist to be revoked)
        with open(os.path.join(s.conf, "tenants.d", "acme.ini"), "a") as f:
            f.write("\n[grant \"vfs\"]\ntype = sriov-nic\nunits = 0000:04:02.0\n")
        s.run("tenant", "show", "acme")
        s.run("attach", "add", "a1", "acme:vfs")
        os.makedirs(os.path.join(run_dir, "leases"), mode=0o755)
        # each tenant's file: root's, readable by its own group only
        td = os.path.join(s.conf, "tenants.d")
        for name, gid in (("acme", users), ("globex", NOBODY)):
            st = os.stat(os.path.join(td, f"{name}.ini"))
            if (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) != (0o640, 0, gid):
                statelib.fail(f"tenants.d/{name}.ini: mode {stat.S_IMODE(st.st_mode):o} "
                              f"{st.st_uid}:{st.st_gid}, want 640 0:{gid}")
        print("ok: tenant files are 0640 root:<tenant group>")
        before = statelib.tree(s.root)

        as_tenant = ["setpriv", f"--reuid={NOBODY}", f"--regid={users}",
                     f"--groups={users}", "--"]
        refused = [
            ("tenant", "create", "evil", "--admins", "users"),
            ("tenant", "grant", "acme", "vfs", "--count", "1"),
            ("tenant", "grant", "globex", "vfs", "--count", "1"),
            ("tenant", "revoke", "acme", "vfs"),
            ("tenant", "revoke", "globex", "vfs"),
            ("tenant", "delete", "globex"),
            ("group", "create", "mine", "--type", "pci"),
            ("group", "delete", "vfs"),
            ("attach", "add", "a2", "globex:vfs"),
            ("attach", "add", "a2", "vfs"),
            ("attach", "start", "a1"),
        ]
        for argv in refused:
            p = subprocess.run(as_tenant + s.cmd(*argv), env=s.env, capture_output=True,
                               text=True, timeout=60)
            what = "pt " + " ".join(argv)
            if p.returncode != 7:
                statelib.fail(f"{what} as uid {NOBODY}: exit {p.returncode}, want 7 "
                              f"(permission denied): {p.stderr.strip()}")
            if not p.stderr.strip() or "\n" in p.stderr.strip():
                statelib.fail(f"{what} as uid {NOBODY}: want one line on stderr, got "
                              f"{p.stderr!r}")
            now = statelib.tree(s.root)
            if now != before:
                diff = sorted(k for k in set(now) | set(before) if now.get(k) != before.get(k))
                statelib.fail(f"{what} as uid {NOBODY} changed {diff}")
            print(f"ok: {what} as uid {NOBODY}: exit 7: {p.stderr.strip()}")

        # reads: its own tenant, never another's
        def as_user(*argv):
            return subprocess.run(as_tenant + s.cmd(*argv), env=s.env, capture_output=True,
                                  text=True, timeout=60)
        p = as_user("tenant", "show", "acme")
        if p.returncode != 0 or "0000:04:02.0" not in p.stdout:
            statelib.fail(f"pt tenant show acme as its admin: exit {p.returncode}: "
                          f"{p.stdout}{p.stderr}")
        p = as_user("tenant", "show", "globex")
        if p.returncode != 7 or "globex" not in p.stderr or "\n" in p.stderr.strip():
            statelib.fail(f"pt tenant show globex as acme's admin: exit {p.returncode}, "
                          f"want 7 naming it: {p.stderr!r}")
        print(f"ok: pt tenant show globex as acme's admin: exit 7: {p.stderr.strip()}")
        p = as_user("tenant", "list", "--json")
        if p.returncode != 0 or '"acme"' not in p.stdout or "globex" in p.stdout:
            statelib.fail(f"pt tenant list as acme's admin: exit {p.returncode}, want acme "
                          f"only: {p.stdout}{p.stderr}")
        print("ok: pt tenant list as acme's admin shows acme only")
        p = subprocess.run(as_tenant + ["cat", os.path.join(td, "globex.ini")],
                           capture_output=True, text=True, timeout=30)
        if p.returncode == 0 or "Permission denied" not in p.stderr:
            statelib.fail(f"cat tenants.d/globex.ini as acme's admin: exit {p.returncode}: "
                          f"{p.stdout}{p.stderr}")
        print("ok: acme's admin cannot open tenants.d/globex.ini")
        if statelib.tree(s.root) != before:
            statelib.fail("a read as the tenant admin changed the state")
        # a file an older pt left 0644 is put right by the next tenant change
        os.chmod(os.path.join(td, "globex.ini"), 0o644)
        s.run("tenant", "create", "initech", "--admins", "users")
        s.run("tenant", "delete", "initech")
        st = os.stat(os.path.join(td, "globex.ini"))
        if (stat.S_IMODE(st.st_mode), st.st_gid) != (0o640, NOBODY):
            statelib.fail(f"tenants.d/globex.ini left {stat.S_IMODE(st.st_mode):o} by the "
                          "next tenant change")
        print("ok: a 0644 tenant file is 0640 again after the next tenant change")
        before = statelib.tree(s.root)

        # planted by whoever could write there: root never follows or blocks
        secret = os.path.join(s.root, "secret")
        with open(secret, "w") as f:
            f.write("[tenant]\nadmins = users\n")
        for kind in ("symlink", "fifo"):
            plant = os.path.join(td, "planted.ini")
            if kind == "symlink":
                os.symlink(secret, plant)
            else:
                os.mkfifo(plant)
            for argv in (("tenant", "list"), ("tenant", "revoke", "acme", "vfs"),
                         ("attach", "start", "a1")):
                p = subprocess.run(s.cmd(*argv), env=s.env, capture_output=True, text=True,
                                   timeout=30)
                what = "pt " + " ".join(argv)
                if p.returncode != 5 or "tenants.d/planted.ini" not in p.stderr:
                    statelib.fail(f"{what} with a {kind} in tenants.d: exit {p.returncode}, "
                                  f"want 5 naming it: {p.stderr.strip()}")
                print(f"ok: {what} with a planted {kind}: exit 5: {p.stderr.strip()}")
            os.unlink(plant)
        if statelib.tree(s.root) != dict(before, secret=statelib.tree(s.root)["secret"]):
            statelib.fail("a root-run command changed the state while a plant was there")
    finally:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
