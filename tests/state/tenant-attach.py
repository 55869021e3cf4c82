#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A tenant's admin, a real Unix user who is not root, runs the tenant's
own VMs (pt attach as the tenant) on a fixture tree, and nothing else.

Run as root (skipped, exit 77, otherwise or without setpriv(1)). Tenant
"acme" has the admins "users"; its admin is uid 65534 with gid and only
group "users". Tenant "globex" ("nogroup") holds another VF of the same
PF. As acme's admin:
- tenants.d is 0711 (it lists nothing), acme.d is 2770 root:users;
- pt attach add web acme:vfs, start --format qemu: exit 0 and the QEMU
  argument of acme's VF; the lease is in acme.d, the host untouched;
- a host group, globex's group, globex's VMs, a host VM, a VM file
  edited by hand to name a host group: exit 7, one line naming the
  tenant, the state unchanged;
- a symlink to a root-only file and a FIFO planted in acme.d: the
  tenant's own commands exit 6 naming the file; root's gc and revoke
  neither follow nor block on them (a one-line warning each), and the
  file behind the link is not changed;
- root's revoke is refused (6) while web's lease holds the unit, and
  goes through once web is stopped, or once the process recorded by
  --pid is gone (as gc would free it); root's gc frees such a lease.
"""
import grp
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import statelib  # noqa: E402

NOBODY = 65534



def main():
    ap = statelib.argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pt", required=True)
    ap.add_argument("--gen-sysfs", required=True)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        print("SKIP: needs root and setpriv(1) to run commands as another user")
        return 77
    try:
        users = grp.getgrnam("users").gr_gid
        grp.getgrnam("nogroup")
    except KeyError:
        print("SKIP: no Unix group 'users' or 'nogroup'")
        return 77
    top = tempfile.mkdtemp(prefix="pt-tenant-attach-")
    try:
        os.chmod(top, 0o755)
        root = os.path.join(top, "root")
        subprocess.run([sys.executable, a.gen_sysfs, "-q", "--profile", "workstation", root],
                       check=True)
        with open(os.path.join(root, "fixture.json")) as f:
            kver = json.load(f)["kernel"]
        conf = os.path.join(top, "etc", "passthru")
        os.makedirs(os.path.dirname(conf))
        env = {k: v for k, v in os.environ.items() if not k.startswith("PT_")}
        env.update(LC_ALL="C", PT_CONF_DIR=conf, PT_RUN_DIR=os.path.join(top, "run"),
                   PT_SYSFS_ROOT=os.path.join(root, "sys"),
                   PT_PROC_ROOT=os.path.join(root, "proc"),
                   PT_DEV_ROOT=os.path.join(root, "dev"),
                   PT_MODULES_DIR=os.path.join(root, "lib", "modules", kver))
        as_admin = ["setpriv", f"--reuid={NOBODY}", f"--regid={users}", f"--groups={users}",
                    "--"]

        def pt(*argv, user=False, want=0, timeout=30):
            p = subprocess.run((as_admin if user else []) + [a.pt] + list(argv), env=env,
                               capture_output=True, text=True, timeout=timeout)
            who = f"as uid {NOBODY}" if user else "as root"
            what = "pt " + " ".join(argv)
            if want is not None and p.returncode != want:
                statelib.fail(f"{what} {who}: exit {p.returncode}, want {want}: "
                              f"{p.stdout}{p.stderr}")
            return p

        def refused(want, *argv, user=True, name="acme"):
            before = statelib.tree(top)
            p = pt(*argv, user=user, want=want)
            err = p.stderr.strip()
            if not err or "\n" in err or f"tenant '{name}'" not in err:
                statelib.fail(f"pt {' '.join(argv)}: want one line naming tenant '{name}', "
                              f"got {p.stderr!r}")
            if statelib.tree(top) != before:
                statelib.fail(f"pt {' '.join(argv)} changed the state")
            print(f"ok: pt {' '.join(argv)}: exit {want}: {err}")

        # the fixture's X710 VFs 2 and 3 are on vfio-pci: one for each tenant
        pt("group", "create", "vfs", "--type", "sriov-nic")
        pt("rule", "add", "vfs", "x710", "slot eq 0000:04:00.0")
        pt("tenant", "create", "acme", "--admins", "users")
        pt("tenant", "create", "globex", "--admins", "nogroup")
        pt("tenant", "grant", "acme", "vfs", "--count", "1")
        pt("tenant", "grant", "globex", "vfs", "--count", "1")
        pt("attach", "add", "hostvm", "acme:vfs")
        td = os.path.join(conf, "tenants.d")
        acme = os.path.join(td, "acme.d")
        for path, want in ((td, (0o711, 0, 0)), (acme, (0o2770, 0, users))):
            st = os.stat(path)
            if (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) != want:
                statelib.fail(f"{path}: mode {stat.S_IMODE(st.st_mode):o} "
                              f"{st.st_uid}:{st.st_gid}, want {want[0]:o} 0:{want[2]}")
        p = subprocess.run(as_admin + ["ls", td], capture_output=True, text=True)
        if p.returncode == 0:
            statelib.fail(f"ls tenants.d as the tenant admin listed {p.stdout!r}")
        print("ok: tenants.d is 0711 (not listable), acme.d 2770 root:users")
        p = pt("tenant", "list", user=True)
        if "acme" not in p.stdout or "globex" in p.stdout:
            statelib.fail(f"tenant list as acme's admin: {p.stdout}")
        print("ok: acme's admin lists acme only")

        # the tenant's own VM, started without root
        sys_before = statelib.tree(root)
        pt("attach", "add", "web", "acme:vfs", user=True)
        p = pt("attach", "start", "web", "--format", "qemu", user=True)
        if p.stdout != "-device vfio-pci,host=0000:04:02.2,id=vfs\n":
            statelib.fail(f"attach start web as acme's admin printed {p.stdout!r}")
        if not os.path.isfile(os.path.join(acme, "web.lease")):
            statelib.fail("no acme.d/web.lease after the tenant's start")
        if statelib.tree(root) != sys_before:
            statelib.fail("the tenant's start changed the fixture tree")
        print(f"ok: acme's admin starts web: {p.stdout.strip()}")
        p = pt("attach", "list", user=True)
        if "web" not in p.stdout or "running" not in p.stdout or "hostvm" in p.stdout:
            statelib.fail(f"attach list as acme's admin: {p.stdout}")
        print("ok: acme's admin lists its own VMs only")

        # what is not acme's
        refused(7, "attach", "add", "db", "vfs")
        refused(7, "attach", "add", "db", "globex:vfs")
        refused(7, "attach", "--tenant", "globex", "list", name="globex")
        refused(7, "attach", "start", "hostvm")
        with open(os.path.join(top, "evil.ini"), "w") as f:
            f.write('[request "x"]\ngroup = vfs\ncount = 1\n')
        subprocess.run(as_admin + ["cp", os.path.join(top, "evil.ini"),
                                   os.path.join(acme, "evil.ini")], check=True)
        refused(7, "attach", "start", "evil")
        os.unlink(os.path.join(acme, "evil.ini"))

        # plants: a link to a root-only file, a FIFO
        secret = os.path.join(top, "secret")
        with open(secret, "w") as f:
            f.write("[lease]\nvm = x\n")
        os.chmod(secret, 0o600)
        secret_before = statelib.tree(top)["secret"]
        for kind, name in (("symlink", "x.lease"), ("fifo", "y.lease"), ("symlink", "z.ini")):
            plant = os.path.join(acme, name)
            if kind == "symlink":
                os.symlink(secret, plant)
            else:
                os.mkfifo(plant)
            os.lchown(plant, NOBODY, users)
            refused(6, "attach", "list")
            if name.endswith(".lease"):
                p = pt("attach", "gc", timeout=20)
                if f"acme.d/{name}" not in p.stderr or "ignored" not in p.stderr:
                    statelib.fail(f"gc with a planted {kind}: {p.stderr!r}")
                print(f"ok: root's gc with a planted {kind}: {p.stderr.strip()}")
                p = pt("tenant", "revoke", "acme", "vfs", want=6, timeout=20)
                if f"acme.d/{name}" not in p.stderr or "leased to the tenant's VM 'web'" \
                        not in p.stderr:
                    statelib.fail(f"revoke with a planted {kind}: {p.stderr!r}")
                print(f"ok: root's revoke with a planted {kind}: exit 6: "
                      f"{' / '.join(p.stderr.strip().splitlines())}")
            os.unlink(plant)
        if statelib.tree(top)["secret"] != secret_before:
            statelib.fail("the file behind the planted link changed")
        print("ok: nothing followed the planted links")

        # revoke while in use, then after stop, then after the pid is gone
        refused(6, "tenant", "revoke", "acme", "vfs", user=False)
        pt("attach", "stop", "web", user=True)
        pt("tenant", "revoke", "acme", "vfs", "-n")
        dead = subprocess.Popen(["true"])
        dead.wait()
        pt("attach", "start", "web", "--pid", str(dead.pid), "-q", user=True)
        p = pt("tenant", "revoke", "acme", "vfs")
        print(f"ok: revoke once web's process is gone: {p.stdout.strip()}")
        p = pt("attach", "gc")
        if "acme:web: lease freed" not in p.stdout or os.path.exists(
                os.path.join(acme, "web.lease")):
            statelib.fail(f"root's gc did not free acme's stale lease: {p.stdout}{p.stderr}")
        print(f"ok: root's gc frees acme's stale lease: {p.stdout.strip()}")
        pt("attach", "remove", "web", "vfs", user=True)
        pt("attach", "remove", "hostvm", "vfs")
        pt("tenant", "delete", "acme")
        if os.path.exists(acme):
            statelib.fail("tenants.d/acme.d outlived the tenant")
        print("ok: delete removes the tenant's directory")
    finally:
        if a.keep:
            print(f"kept {top}")
        else:
            shutil.rmtree(top, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
