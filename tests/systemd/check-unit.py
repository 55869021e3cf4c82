#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""check-unit: passthru.service, installed with "cmake --install" under a
temporary DESTDIR, is the unit pt-group(8) describes.

    check-unit.py --build DIR --prefix DIR --bindir DIR --libdir DIR
                  --mandir DIR --unit-dir DIR

Checks:
  - the unit is installed to the unit directory, with @bindir@ replaced;
  - its keys: Type=oneshot, RemainAfterExit=yes, ExecStart=<bindir>/pt-group
    apply --all --keep-going, no ExecStop (releasing at stop would take devices from
    running guests), ordered after systemd-modules-load.service and before
    libvirtd.service and virtqemud.service, WantedBy=multi-user.target,
    Documentation=man:pt-group(8); no key outside the known ones;
  - ExecStart's program is the installed pt-group link, and the installed
    binary runs ExecStart's command line: on an empty configuration
    directory it applies nothing and exits 0; with one invalid group file
    beside a valid group it applies the valid one, names the invalid file
    on stderr and exits 5 (one bad file must not strand the host at boot);
  - passthru-tenants.service, installed beside it: the same kinds of keys,
    ExecStart=<bindir>/pt-tenant apply --all, Wants= and After=
    passthru.service (the groups are applied first; Wants, not Requires:
    one invalid group file must not strand the tenants' devices), before
    libvirtd and virtqemud, Documentation=man:pt-tenant(8); the installed
    pt-tenant link runs its command line: with no tenants it exits 0,
    prints nothing and writes nothing;
  - systemd-analyze verify accepts both, with ExecStart pointed into the
    DESTDIR and MANPATH at the installed man pages (skipped when
    systemd-analyze is not installed: the key checks still run).

Exit status 0 when the checks passed, 1 when one failed.
"""

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

# The keys the unit may hold, per section; values as lists (keys repeat).
KNOWN = {
    "Unit": {"Description", "Documentation", "After", "Before", "Wants",
             "Requires", "DefaultDependencies", "Conflicts"},
    "Service": {"Type", "RemainAfterExit", "ExecStart", "TimeoutStartSec"},
    "Install": {"WantedBy"},
}


def parse_unit(text):
    """{section: {key: [values]}} of a systemd unit file (no continuation
    lines: the unit has none)."""
    out, sec = {}, None
    for n, line in enumerate(text.split("\n"), 1):
        s = line.strip()
        if not s or s[0] in "#;":
            continue
        if s.startswith("[") and s.endswith("]"):
            sec = s[1:-1]
            if sec in out:
                raise ValueError("line %d: section [%s] twice" % (n, sec))
            out[sec] = {}
            continue
        if sec is None or "=" not in s or s.endswith("\\"):
            raise ValueError("line %d: not KEY=VALUE in a section: %r" % (n, line))
        k, v = s.split("=", 1)
        out[sec].setdefault(k.strip(), []).append(v.strip())
    return out


def words(unit, sec, key):
    return [w for v in unit.get(sec, {}).get(key, []) for w in v.split()]


def key_problems(unit, label=""):
    """Keys outside KNOWN, and the oneshot keys both units must have."""
    problems = []
    for sec, keys in unit.items():
        if sec not in KNOWN:
            problems.append("%sunknown section [%s]" % (label, sec))
            continue
        for k in keys:
            if k not in KNOWN[sec]:
                problems.append("%s[%s] %s= is not a key this unit is meant to "
                                "have%s" % (label, sec, k, " (releasing at stop takes "
                                "devices from running guests)"
                                if k.startswith("ExecStop") else ""))
    want = {("Service", "Type"): ["oneshot"],
            ("Service", "RemainAfterExit"): ["yes"],
            ("Install", "WantedBy"): ["multi-user.target"]}
    for (sec, k), v in want.items():
        if unit.get(sec, {}).get(k) != v:
            problems.append("%s[%s] %s= is %s, not %s"
                            % (label, sec, k, unit.get(sec, {}).get(k), v))
    return problems


def run_installed(link, args, dest, a, roots):
    """The installed link run with args and -O KEY=DIR for each of roots,
    with no PT_ variable and the installed library."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("PT_")}
    e["LD_LIBRARY_PATH"] = dest + a.libdir
    opts = []
    for k, v in roots:
        opts += ["-O", "%s=%s" % (k, v)]
    return subprocess.run([link] + args + opts, capture_output=True, text=True,
                          env=e, timeout=60, stdin=subprocess.DEVNULL)


def check_tenants_unit(text, prog, dest, a, tmp):
    """Problems of the installed passthru-tenants.service (text), whose
    ExecStart must be prog apply --all."""
    problems = []
    if re.search(r"@[A-Za-z_]+@", text):
        problems.append("an @variable@ is left in passthru-tenants.service")
    try:
        unit = parse_unit(text)
    except ValueError as e:
        return ["passthru-tenants.service: %s" % e]
    problems += key_problems(unit, "passthru-tenants.service: ")
    exec_start = unit.get("Service", {}).get("ExecStart", [])
    argv = shlex.split(exec_start[0]) if len(exec_start) == 1 else []
    if argv != [prog, "apply", "--all"]:
        problems.append("passthru-tenants.service: ExecStart= is %s, not '%s apply "
                        "--all'" % (exec_start, prog))
    for k, w in (("Wants", "passthru.service"), ("After", "passthru.service"),
                 ("Before", "libvirtd.service"), ("Before", "virtqemud.service"),
                 ("Documentation", "man:pt-tenant(8)")):
        if w not in words(unit, "Unit", k):
            problems.append("passthru-tenants.service: not %s=%s" % (k, w))
    if "passthru.service" in words(unit, "Unit", "Requires"):
        problems.append("passthru-tenants.service: Requires=passthru.service: one "
                        "invalid group file would leave the tenants' devices unmade")
    link = dest + prog
    if not os.path.islink(link) or os.readlink(link) != "pt":
        problems.append("%s is not the installed link to pt" % prog)
    elif argv:
        conf = os.path.join(tmp, "tconf")
        empty = os.path.join(tmp, "tempty")
        os.makedirs(conf)
        os.makedirs(empty)
        r = run_installed(link, argv[1:], dest, a, (
            ("conf.dir", conf), ("sysfs.root", empty), ("proc.root", empty),
            ("run.dir", empty)))
        if r.returncode != 0 or r.stdout or r.stderr or os.listdir(conf):
            problems.append("the installed '%s' with no tenants: exit %d, stdout %r, "
                            "stderr %r, wrote %s" % (" ".join(argv), r.returncode,
                                                    r.stdout, r.stderr, os.listdir(conf)))
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for o in ("build", "prefix", "bindir", "libdir", "mandir", "unit-dir"):
        ap.add_argument("--" + o, required=True)
    a = ap.parse_args()
    unit_dir = a.unit_dir if os.path.isabs(a.unit_dir) else \
        os.path.join(a.prefix, a.unit_dir)
    problems = []
    tmp = tempfile.mkdtemp(prefix="pt-unit-")
    try:
        dest = os.path.join(tmp, "dest")
        env = dict(os.environ, DESTDIR=dest)
        r = subprocess.run(["cmake", "--install", a.build], capture_output=True,
                           text=True, env=env, timeout=300, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            print("FAIL: cmake --install %s with DESTDIR=%s: exit %d: %s"
                  % (a.build, dest, r.returncode, r.stderr.strip()))
            return 1
        installed = dest + os.path.join(unit_dir, "passthru.service")
        if not os.path.isfile(installed):
            print("FAIL: cmake --install put no passthru.service in %s" % unit_dir)
            return 1
        text = open(installed, encoding="utf-8").read()
        if re.search(r"@[A-Za-z_]+@", text):
            problems.append("an @variable@ is left in the installed unit")
        try:
            unit = parse_unit(text)
        except ValueError as e:
            print("FAIL: %s: %s" % (installed, e))
            return 1

        problems += key_problems(unit)
        exec_start = unit.get("Service", {}).get("ExecStart", [])
        argv = shlex.split(exec_start[0]) if len(exec_start) == 1 else []
        prog = os.path.join(a.bindir, "pt-group")
        if argv != [prog, "apply", "--all", "--keep-going"]:
            problems.append("ExecStart= is %s, not '%s apply --all --keep-going'"
                            % (exec_start, prog))
        if "man:pt-group(8)" not in words(unit, "Unit", "Documentation"):
            problems.append("Documentation= does not name man:pt-group(8)")
        if "systemd-modules-load.service" not in words(unit, "Unit", "After"):
            problems.append("not After=systemd-modules-load.service")
        for b in ("libvirtd.service", "virtqemud.service"):
            if b not in words(unit, "Unit", "Before"):
                problems.append("not Before=%s" % b)
        if "no" in unit.get("Unit", {}).get("DefaultDependencies", []):
            # without them the unit could run before swap and /boot are
            # there, and the host-critical check would not see them
            for w in ("local-fs.target", "swap.target"):
                if w not in words(unit, "Unit", "After"):
                    problems.append("DefaultDependencies=no but not After=%s" % w)

        # ExecStart's program: the installed link, and it runs the line
        link = dest + prog
        if not os.path.islink(link) or os.readlink(link) != "pt":
            problems.append("%s is not the installed link to pt" % prog)
        elif argv:
            conf = os.path.join(tmp, "conf")
            empty = os.path.join(tmp, "empty")
            os.makedirs(conf)
            os.makedirs(empty)
            roots = (("sysfs.root", empty), ("proc.root", empty))
            r = run_installed(link, argv[1:], dest, a, (("conf.dir", conf),) + roots)
            if r.returncode != 0 or r.stdout or "no groups" not in r.stderr:
                problems.append("the installed '%s' on an empty conf dir: exit %d, "
                                "stdout %r, stderr %r" % (" ".join(argv), r.returncode,
                                                          r.stdout, r.stderr))
            if os.listdir(conf):
                problems.append("'%s' with no groups wrote %s into the conf dir"
                                % (" ".join(argv), os.listdir(conf)))
            # one invalid file beside a valid group: the valid one is
            # applied, the invalid one named, and the unit fails (exit 5)
            bad = os.path.join(tmp, "bad")
            os.makedirs(os.path.join(bad, "groups.d"))
            with open(os.path.join(bad, "groups.d", "good.ini"), "w") as f:
                f.write("[group]\ntype = usb\n")
            with open(os.path.join(bad, "groups.d", "broken.ini"), "w") as f:
                f.write("[group]\ntype = usb\nbogus = 1\n")
            r = run_installed(link, argv[1:], dest, a, (("conf.dir", bad),) + roots)
            if (r.returncode != 5 or "good: nothing to change" not in r.stdout or
                    "groups.d/broken.ini:3: unknown key 'bogus'" not in r.stderr):
                problems.append("the installed '%s' with groups.d/broken.ini beside "
                                "a valid group: exit %d, stdout %r, stderr %r"
                                % (" ".join(argv), r.returncode, r.stdout, r.stderr))

        # passthru-tenants.service: pt-tenant apply --all after the groups
        tinstalled = dest + os.path.join(unit_dir, "passthru-tenants.service")
        ttext, tprog = "", os.path.join(a.bindir, "pt-tenant")
        if not os.path.isfile(tinstalled):
            problems.append("cmake --install put no passthru-tenants.service in %s"
                            % unit_dir)
        else:
            ttext = open(tinstalled, encoding="utf-8").read()
            problems += check_tenants_unit(ttext, tprog, dest, a, tmp)

        sa = shutil.which("systemd-analyze")
        if not sa:
            print("note: systemd-analyze is not installed; verify is skipped")
        else:
            vdir = os.path.join(tmp, "verify")
            os.makedirs(vdir)
            vunit = os.path.join(vdir, "passthru.service")
            with open(vunit, "w") as f:
                f.write(text.replace("ExecStart=" + prog, "ExecStart=" + link))
            vunits = [vunit]
            if ttext:
                vunits.append(os.path.join(vdir, "passthru-tenants.service"))
                with open(vunits[1], "w") as f:
                    f.write(ttext.replace("ExecStart=" + tprog, "ExecStart=" + dest + tprog))
            mandir = dest + a.mandir
            check_man = os.path.isfile(os.path.join(mandir, "man8", "pt-group.8"))
            if not check_man:
                print("note: no man pages installed (scdoc missing); "
                      "verify --man=no")
            e = dict(os.environ, MANPATH=mandir, SYSTEMD_LOG_COLOR="0")
            r = subprocess.run([sa, "verify", "--man=%s" % ("yes" if check_man else "no")]
                               + vunits, capture_output=True, text=True, env=e,
                               timeout=120, stdin=subprocess.DEVNULL)
            out = (r.stdout + r.stderr).strip()
            if r.returncode != 0 or "passthru" in out:
                problems.append("systemd-analyze verify: exit %d: %s"
                                % (r.returncode, out))
    finally:
        shutil.rmtree(tmp)
    for p in problems:
        print("FAIL: " + p)
    print("systemd unit: %s" % ("%d problem(s)" % len(problems) if problems else "ok"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
