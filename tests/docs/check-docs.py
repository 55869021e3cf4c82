#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""check-docs: the man pages and shell completions agree with the binaries.

    check-docs.py --srcdir DIR --bindir DIR CHECK

CHECK is one of:
  options      every long option of every command (pt --list-cmds, pt CMD
               --list-opts) is in man/pt-CMD.8.scd and offered by the bash
               completion, which is sourced and run; short and long forms
               complete alike; option values (--type, -O keys) complete to
               exactly the values the man page lists, which the binary takes;
               live values (--slot, --group, --device) come from the sysfs root
  selftest     the options check fails when an option is missing from the man
               page or from the completion, and when the man page lists a
               value the completion does not offer
  man          every man/*.scd builds with scdoc without a message and renders
               with man -l without a groff warning (the rendering part is
               skipped without man-db); required sections; SEE ALSO names no
               pt page that does not exist
  exit-status  pt(8) lists exactly the values of enum pt_exit (cmd/pt.h);
               the command pages list no value outside it
  json         the JSON schema in pt-scan(8) names every key cmd/json.c and
               cmd/scan.c emit and no other; the output of pt scan --json on a
               fixture tree has only documented keys, at documented places,
               with documented types; likewise pt group apply/release --json
               and the schema in pt-group(8)
  symbols      every function libpassthru.so exports is in libpassthru(3);
               every function libpassthru(3) declares is in libpassthru.sym
  example      the example program of libpassthru(3), built from the man page
               by the build (--example PROG), lists what the page says
  zsh          the zsh completion, run in an interactive zsh, offers the same
               commands, options and values (skipped without zsh)
  extract-example SCD OUT
               write the example program of SCD to OUT (used by the build)

Exit status 0 when the check passed, 1 when it failed, 77 when skipped.
"""

import argparse
import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77
BASH_WORDBREAKS = " \t\n\"'><=;|&(:"


# ---------------------------------------------------------------------------
# scdoc sources
# ---------------------------------------------------------------------------

def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def sections(text):
    """{"NAME": body, ...} of the '# ' headings of an scdoc source."""
    out, name = {}, None
    for line in text.split("\n"):
        if line.startswith("# "):
            name = line[2:].strip()
            out[name] = ""
        elif name:
            out[name] += line + "\n"
    return out


def literal_blocks(text):
    blocks, cur = [], None
    for line in text.split("\n"):
        if line.startswith("```"):
            if cur is None:
                cur = []
            else:
                blocks.append(cur)
                cur = None
        elif cur is not None:
            cur.append(line)
    return blocks


def option_entries(options_section):
    """Definition-list entries of an OPTIONS section:
    [(short or None, long, takes_value, [sub-definition terms])]."""
    entries = []
    for line in options_section.split("\n"):
        m = re.match(r"^(?:\*(-[A-Za-z0-9])\*, )?\*(--[A-Za-z0-9-]+)\*(.*)$", line)
        if m:
            entries.append([m.group(1), m.group(2), bool(m.group(3).strip()), []])
            continue
        m = re.match(r"^\t\*([A-Za-z0-9_.-]+)\*(?:=_[a-z]+_)?$", line)
        if m and entries:
            entries[-1][3].append(m.group(1))
    return entries


# ---------------------------------------------------------------------------
# running things
# ---------------------------------------------------------------------------

class Env:
    def __init__(self, srcdir, bindir, mandir=None, bash_completion=None):
        self.srcdir = srcdir
        self.bindir = bindir
        self.mandir = mandir or os.path.join(srcdir, "man")
        self.bash_completion = bash_completion or os.path.join(
            srcdir, "completions", "pt.bash")
        self.env = dict(os.environ)
        self.env["PATH"] = bindir + os.pathsep + self.env.get("PATH", "")
        for k in ("PT_SYSFS_ROOT", "PT_PROC_ROOT", "PT_DEV_ROOT", "PT_CONF_DIR",
                  "PT_MODULES_DIR", "PT_LOG"):
            self.env.pop(k, None)
        self.env["LC_ALL"] = "C.UTF-8"

    def pt(self, *args, env=None):
        e = dict(self.env)
        e.update(env or {})
        return subprocess.run([os.path.join(self.bindir, "pt")] + list(args),
                              capture_output=True, text=True, env=e,
                              stdin=subprocess.DEVNULL, timeout=120)

    def lines(self, *args):
        r = self.pt(*args)
        return r.returncode, [l for l in r.stdout.split("\n") if l]

    def commands(self):
        rc, cmds = self.lines("--list-cmds")
        if rc != 0:
            raise SystemExit("pt --list-cmds failed (exit %d)" % rc)
        return [c for c in cmds if c != "help"]

    def man(self, page):
        return os.path.join(self.mandir, page + ".scd")


# The harness splits a command line the way bash does for programmable
# completion (COMP_WORDBREAKS characters are words of their own), sets
# COMP_WORDS, COMP_CWORD, COMP_LINE and COMP_POINT, calls the function that
# `complete -p` names for the first word, and prints COMPREPLY.
BASH_HARNESS = r'''
COMP_WORDBREAKS=$' \t\n"\'><=;|&(:'
source "$1" || exit 1
shift
pt_complete() {
	local line=$1 cur= i n ch spec fn
	COMP_WORDS=()
	n=${#line}
	for ((i = 0; i < n; i++)); do
		ch=${line:i:1}
		if [[ $ch == [[:space:]] ]]; then
			[[ -n $cur ]] && COMP_WORDS+=("$cur")
			cur=
		elif [[ $ch == [=:] ]]; then
			[[ -n $cur ]] && COMP_WORDS+=("$cur")
			COMP_WORDS+=("$ch")
			cur=
		else
			cur+=$ch
		fi
	done
	if [[ -n $cur ]]; then
		COMP_WORDS+=("$cur")
	elif [[ $line == *[[:space:]] ]]; then
		COMP_WORDS+=("")
	fi
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$line
	COMP_POINT=${#line}
	COMPREPLY=()
	spec=$(complete -p "${COMP_WORDS[0]}" 2>/dev/null) || {
		echo "NOT-REGISTERED"
		return
	}
	fn=${spec##*-F }
	fn=${fn%% *}
	"$fn" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
	printf '%s\n' "${COMPREPLY[@]}"
}
for line in "$@"; do
	pt_complete "$line"
	printf '\036\n'
done
'''


def bash_complete(env, lines, extra_env=None):
    """{line: [candidates]} from the bash completion; None values when the
    completion is not registered for the line's first word."""
    e = dict(env.env)
    e.update(extra_env or {})
    with tempfile.NamedTemporaryFile("w", suffix=".bash", delete=False) as f:
        f.write(BASH_HARNESS)
        harness = f.name
    try:
        r = subprocess.run(["bash", "--norc", "--noprofile", harness,
                            env.bash_completion] + list(lines),
                           capture_output=True, text=True, env=e, timeout=120,
                           stdin=subprocess.DEVNULL)
    finally:
        os.unlink(harness)
    if r.returncode != 0:
        raise SystemExit("bash completion harness failed (exit %d): %s"
                         % (r.returncode, r.stderr.strip()))
    chunks = r.stdout.split("\036\n")
    out = {}
    for line, chunk in zip(lines, chunks):
        got = [c for c in chunk.split("\n") if c]
        out[line] = None if got == ["NOT-REGISTERED"] else got
    return out


# ---------------------------------------------------------------------------
# fixture trees
# ---------------------------------------------------------------------------

def _w(path, val):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(val + "\n")


def _ln(path, target):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    os.symlink(target, path)


def make_fixture(root):
    """A small sysfs tree with relative links as the kernel lays them out:
    a host bridge; a GPU bound to vfio-pci with its audio function on
    snd_hda_intel (group 12, not viable); an SR-IOV PF with a netdev and two
    VFs (one on vfio-pci alone in group 14, one on igbvf); an mdev parent
    with two types and one mdev; an NVIDIA VF with per-VF vGPU types; a
    function in PCI domain 0001. Returns the sysfs root."""
    sysfs = os.path.join(root, "sys")
    devs = [
        # bdf, parent, vendor, device, class, driver, group, extra
        ("0000:00:00.0", "pci0000:00", 0x8086, 0x3e30, 0x060000, None, 0, {}),
        ("0000:01:00.0", "pci0000:00", 0x10de, 0x1e84, 0x030000, "vfio-pci", 12, {}),
        ("0000:01:00.1", "pci0000:00", 0x10de, 0x10f8, 0x040300, "snd_hda_intel", 12, {}),
        ("0000:02:00.0", "pci0000:00", 0x8086, 0x1521, 0x020000, "igb", 13,
         {"vfs": ["0000:02:10.0", "0000:02:10.4"], "total": 7, "net": "enp2s0f0"}),
        ("0000:02:10.0", "pci0000:00", 0x8086, 0x1520, 0x020000, "vfio-pci", 14,
         {"pf": ("0000:02:00.0", 0)}),
        ("0000:02:10.4", "pci0000:00", 0x8086, 0x1520, 0x020000, "igbvf", 15,
         {"pf": ("0000:02:00.0", 1)}),
        ("0000:00:02.0", "pci0000:00", 0x8086, 0x3e92, 0x030000, "i915", 16,
         {"mdev": True}),
        ("0000:03:00.4", "pci0000:00", 0x10de, 0x27b8, 0x030200, "nvidia", 17,
         {"nvidia": True}),
        ("0001:40:00.0", "pci0001:40", 0x1b36, 0x0010, 0x010802, None, 18, {}),
    ]
    for bdf, par, ven, dev, cls, drv, grp, ex in devs:
        d = os.path.join(sysfs, "devices", par, bdf)
        for k, v in (("vendor", "0x%04x" % ven), ("device", "0x%04x" % dev),
                     ("class", "0x%06x" % cls), ("subsystem_vendor", "0x%04x" % ven),
                     ("subsystem_device", "0x0001"), ("revision", "0x01"),
                     ("numa_node", "-1"), ("irq", "0"),
                     ("driver_override", "(null)"),
                     ("resource", "0x0 0x0 0x0")):
            _w(os.path.join(d, k), v)
        if cls >> 16 == 3:
            _w(os.path.join(d, "boot_vga"), "0")
        _ln(os.path.join(sysfs, "bus/pci/devices", bdf),
            "../../../devices/%s/%s" % (par, bdf))
        if drv:
            os.makedirs(os.path.join(sysfs, "bus/pci/drivers", drv), exist_ok=True)
            _ln(os.path.join(d, "driver"), "../../../bus/pci/drivers/" + drv)
        _ln(os.path.join(d, "iommu_group"), "../../../kernel/iommu_groups/%d" % grp)
        _ln(os.path.join(sysfs, "kernel/iommu_groups/%d/devices" % grp, bdf),
            "../../../../devices/%s/%s" % (par, bdf))
        if "vfs" in ex:
            _w(os.path.join(d, "sriov_totalvfs"), str(ex["total"]))
            _w(os.path.join(d, "sriov_numvfs"), str(len(ex["vfs"])))
            for i, vf in enumerate(ex["vfs"]):
                _ln(os.path.join(d, "virtfn%d" % i), "../" + vf)
        if "pf" in ex:
            _ln(os.path.join(d, "physfn"), "../" + ex["pf"][0])
        if "net" in ex:
            n = ex["net"]
            for k, v in (("address", "3c:fd:fe:00:00:01"), ("operstate", "up"),
                         ("mtu", "1500")):
                _w(os.path.join(d, "net", n, k), v)
            _ln(os.path.join(sysfs, "class/net", n),
                "../../devices/%s/%s/net/%s" % (par, bdf, n))
        if "mdev" in ex:
            for tid, avail in (("i915-GVTg_V5_4", 1), ("i915-GVTg_V5_8", 0)):
                t = os.path.join(d, "mdev_supported_types", tid)
                _w(os.path.join(t, "name"), tid[5:])
                _w(os.path.join(t, "description"), "resolution: 1920x1200")
                _w(os.path.join(t, "device_api"), "vfio-pci")
                _w(os.path.join(t, "available_instances"), str(avail))
                os.makedirs(os.path.join(t, "devices"), exist_ok=True)
            # an NVIDIA type, whose name pt understands as a vGPU profile
            t = os.path.join(d, "mdev_supported_types", "nvidia-1300")
            _w(os.path.join(t, "name"), "NVIDIA A100-1-5CME")
            _w(os.path.join(t, "description"), "framebuffer=5120M, max_instance=1")
            _w(os.path.join(t, "device_api"), "vfio-pci")
            _w(os.path.join(t, "available_instances"), "0")
            os.makedirs(os.path.join(t, "devices"), exist_ok=True)
            uuid = "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001"
            m = os.path.join(d, uuid)
            _w(os.path.join(m, "uevent"), "MDEV_TYPE=i915-GVTg_V5_4")
            _ln(os.path.join(d, "mdev_supported_types/i915-GVTg_V5_4/devices", uuid),
                "../../../" + uuid)
            _ln(os.path.join(sysfs, "bus/mdev/devices", uuid),
                "../../../devices/%s/%s/%s" % (par, bdf, uuid))
            _ln(os.path.join(m, "iommu_group"), "../../../../kernel/iommu_groups/19")
            _ln(os.path.join(sysfs, "class/mdev_bus", bdf),
                "../../devices/%s/%s" % (par, bdf))
        if "nvidia" in ex:
            _w(os.path.join(d, "nvidia/creatable_vgpu_types"),
               "ID    : vGPU Name\n924   : NVIDIA L4-1Q\n925   : NVIDIA L4-2Q")
            _w(os.path.join(d, "nvidia/current_vgpu_type"), "0")
    os.makedirs(os.path.join(root, "proc"), exist_ok=True)
    return sysfs


# ---------------------------------------------------------------------------
# options: man pages and the bash completion against the binary
# ---------------------------------------------------------------------------

def check_options(env):
    problems = []
    cmds = env.commands()
    if not cmds:
        return ["pt --list-cmds lists no command"]
    pt8 = read(env.man("pt.8"))
    pt8_desc = sections(pt8).get("DESCRIPTION", "")

    lines = ["pt ", "pt help "]
    per_cmd = {}
    for cmd in cmds:
        rc, opts = env.lines(cmd, "--list-opts")
        if rc != 0 or not opts or not all(o.startswith("--") for o in opts):
            problems.append("pt %s --list-opts: exit %d, output %r" % (cmd, rc, opts))
            continue
        path = env.man("pt-%s.8" % cmd)
        if not os.path.exists(path):
            problems.append("%s is missing: every command of pt --list-cmds needs "
                            "its man page" % os.path.relpath(path, env.srcdir))
            entries = []
        else:
            opt_sec = sections(read(path)).get("OPTIONS")
            if opt_sec is None:
                problems.append("pt-%s(8) has no OPTIONS section" % cmd)
                opt_sec = ""
            entries = option_entries(opt_sec)
            for o in opts:
                if not re.search(r"\*%s\*" % re.escape(o), opt_sec):
                    problems.append("pt %s %s: not in the OPTIONS of man/pt-%s.8.scd "
                                    "(as *%s*)" % (cmd, o, cmd, o))
            documented = {e[1] for e in entries}
            for o in sorted(documented - set(opts)):
                problems.append("man/pt-%s.8.scd documents %s, which pt %s "
                                "--list-opts does not list" % (cmd, o, cmd))
        if not re.search(r"^\*%s\*" % re.escape(cmd), pt8_desc, re.M):
            problems.append("pt(8) does not list the command %s in its DESCRIPTION" % cmd)
        per_cmd[cmd] = (opts, entries)
        lines += ["pt %s --" % cmd, "pt-%s --" % cmd]
        for short, long_, value, _ in entries:
            lines.append("pt %s %s -" % (cmd, long_))
            if short:
                lines += ["pt %s %s " % (cmd, short), "pt %s %s " % (cmd, long_)]
            lines.append("pt %s %s " % (cmd, long_))

    got = bash_complete(env, lines)
    if got["pt "] is None:
        return problems + ["the bash completion registers nothing for pt"]
    if sorted(got["pt "]) != sorted(cmds + ["help"]):
        problems.append("bash: 'pt <TAB>' offers %s, pt --list-cmds lists %s"
                        % (got["pt "], cmds + ["help"]))
    if sorted(got["pt help "]) != sorted(cmds):
        problems.append("bash: 'pt help <TAB>' offers %s, not the commands %s"
                        % (got["pt help "], cmds))
    for cmd, (opts, entries) in per_cmd.items():
        for line in ("pt %s --" % cmd, "pt-%s --" % cmd):
            offered = got[line]
            if offered is None:
                problems.append("bash: no completion registered for %s"
                                % line.split()[0])
                continue
            for o in opts:
                if o not in offered:
                    problems.append("bash: '%s<TAB>' does not offer %s" % (line, o))
            for o in offered:
                if o not in opts:
                    problems.append("bash: '%s<TAB>' offers %s, which pt %s "
                                    "--list-opts does not list" % (line, o, cmd))
        for short, long_, value, subs in entries:
            after = got["pt %s %s -" % (cmd, long_)] or []
            if value and "--help" in after:
                problems.append("bash: pt %s %s takes a value (man page), but the "
                                "completion offers options after it; define "
                                "_pt_value_%s__%s or _pt_value_%s"
                                % (cmd, long_, cmd, long_[2:].replace("-", "_"),
                                   long_[2:].replace("-", "_")))
            if not value and "--help" not in after:
                problems.append("bash: pt %s %s is a flag (man page), but the "
                                "completion takes the next word for its value"
                                % (cmd, long_))
            if short:
                s = got["pt %s %s " % (cmd, short)]
                l = got["pt %s %s " % (cmd, long_)]
                if sorted(s) != sorted(l):
                    problems.append("bash: 'pt %s %s <TAB>' offers %s but 'pt %s %s "
                                    "<TAB>' offers %s" % (cmd, short, s, cmd, long_, l))
            if subs:
                vals = sorted(v.rstrip("=") for v in got["pt %s %s " % (cmd, long_)])
                if vals != sorted(subs):
                    problems.append("bash: 'pt %s %s <TAB>' offers %s; the man page "
                                    "lists %s" % (cmd, long_, vals, sorted(subs)))
    return problems


def check_values(env):
    """Values of scan's --type and of -O: the completion, the man pages and
    the binary agree; live values come from the sysfs root in use."""
    problems = []
    tmp = tempfile.mkdtemp(prefix="pt-docs-")
    try:
        empty = os.path.join(tmp, "empty")
        os.makedirs(empty)
        sysfs = make_fixture(os.path.join(tmp, "fix"))
        lines = ["pt scan --type ", "pt scan --type=", "pt scan -t pci,s",
                 "pt scan -O ", "pt scan --option=", "pt scan -O sysfs.root=%s/fi" % tmp,
                 "pt scan -O sysfs.root=%s --slot " % sysfs,
                 "pt scan -O sysfs.root=%s -s 00:0" % sysfs,
                 "pt scan -O sysfs.root=%s -s 0000:02:1" % sysfs,
                 "pt scan --option=sysfs.root=%s --group " % sysfs,
                 "pt scan -O sysfs.root=%s --device 10de:" % sysfs]
        got = bash_complete(env, lines)
        env_got = bash_complete(env, ["pt scan --group "],
                                {"PT_SYSFS_ROOT": sysfs})["pt scan --group "]

        types = got["pt scan --type "]
        scan_man = read(env.man("pt-scan.8"))
        documented = []
        for e in option_entries(sections(scan_man).get("OPTIONS", "")):
            if e[1] == "--type":
                documented = e[3]
        if not types or sorted(types) != sorted(documented):
            problems.append("bash: 'pt scan --type <TAB>' offers %s; pt-scan(8) lists "
                            "%s" % (types, documented))
        if sorted(got["pt scan --type="]) != sorted(types or []):
            problems.append("bash: 'pt scan --type=<TAB>' offers %s, not %s"
                            % (got["pt scan --type="], types))
        if got["pt scan -t pci,s"] != ["pci,sriov"]:
            problems.append("bash: 'pt scan -t pci,s<TAB>' offers %s, not pci,sriov"
                            % got["pt scan -t pci,s"])
        base = ["scan", "-q", "-O", "sysfs.root=" + empty, "-O", "proc.root=" + empty]
        for t in types or []:
            r = env.pt(*(base + ["--type", t]))
            if r.returncode == 2:
                problems.append("pt scan --type %s: completed, but the binary refuses "
                                "it: %s" % (t, r.stderr.strip()))
        r = env.pt(*(base + ["--type", "no-such-type"]))
        if r.returncode != 2:
            problems.append("pt scan --type no-such-type exits %d, not 2: the value "
                            "check above proves nothing" % r.returncode)

        keys = sorted(k.rstrip("=") for k in got["pt scan -O "] or [])
        pt8_keys = []
        for e in option_entries(sections(read(env.man("pt.8"))).get("OPTIONS", "")):
            if e[1] == "--option":
                pt8_keys = e[3]
        if not keys or keys != sorted(pt8_keys):
            problems.append("bash: 'pt scan -O <TAB>' offers %s; pt(8) lists %s"
                            % (keys, pt8_keys))
        if sorted(got["pt scan --option="]) != sorted(got["pt scan -O "] or []):
            problems.append("bash: 'pt scan --option=<TAB>' offers %s, not %s"
                            % (got["pt scan --option="], got["pt scan -O "]))
        # the value each key takes: a directory, a file, a number
        lib = os.path.join(tmp, "libnvidia-ml.so.1")
        open(lib, "w").close()
        value = {"nvml.library": lib, "lock.timeout": "5"}
        for k in keys:
            r = env.pt(*(base + ["-O", "%s=%s" % (k, value.get(k, empty))]))
            if r.returncode == 2:
                problems.append("pt scan -O %s=%s: completed, but the binary refuses "
                                "it: %s" % (k, value.get(k, "DIR"), r.stderr.strip()))
        for line, want in (("pt scan -O lock.timeout=", []),
                           ("pt scan -O nvml.library=%s/libnv" % tmp,
                            [lib])):
            c = bash_complete(env, [line])[line]
            if sorted(c or []) != want:
                problems.append("bash: '%s<TAB>' offers %s, not %s" % (line, c, want))
        r = env.pt(*(base + ["-O", "no.such.key=" + empty]))
        if r.returncode != 2:
            problems.append("pt scan -O no.such.key=DIR exits %d, not 2" % r.returncode)
        line = "pt scan -O sysfs.root=%s/fi" % tmp
        if got[line] != ["%s/fix/" % tmp]:
            problems.append("bash: '%s<TAB>' offers %s, not the directory %s/fix/"
                            % (line, got[line], tmp))

        expect = {
            "pt scan -O sysfs.root=%s --slot " % sysfs: sorted(
                os.listdir(os.path.join(sysfs, "bus/pci/devices"))),
            # readline replaces what follows the last ':'
            "pt scan -O sysfs.root=%s -s 00:0" % sysfs: ["00.0", "02.0"],
            "pt scan -O sysfs.root=%s -s 0000:02:1" % sysfs: ["10.0", "10.4"],
            "pt scan --option=sysfs.root=%s --group " % sysfs: sorted(
                os.listdir(os.path.join(sysfs, "kernel/iommu_groups"))),
            "pt scan -O sysfs.root=%s --device 10de:" % sysfs: ["10f8", "1e84", "27b8"],
        }
        for line, want in expect.items():
            if sorted(got[line] or []) != want:
                problems.append("bash: '%s<TAB>' offers %s, not %s"
                                % (line, got[line], want))
        want = sorted(os.listdir(os.path.join(sysfs, "kernel/iommu_groups")))
        if sorted(env_got or []) != want:
            problems.append("bash: with PT_SYSFS_ROOT set, 'pt scan --group <TAB>' "
                            "offers %s, not %s" % (env_got, want))
    finally:
        shutil.rmtree(tmp)
    return problems


def usage_verbs(env, cmd):
    """The verbs of a command, from the 'pt CMD VERB ...' lines of its usage."""
    r = env.pt(cmd, "--help")
    verbs = []
    for line in r.stdout.split("\n"):
        m = re.match(r"^(?:usage:)?\s+pt %s ([a-z][a-z-]*)\b" % re.escape(cmd),
                     line)
        if m and m.group(1) not in verbs:
            verbs.append(m.group(1))
    return verbs


# The options each verb of pt group takes (its usage and pt-group(8)): what
# 'pt group VERB --<TAB>' offers.
GROUP_COMMON_OPTS = ["--help", "--list-opts", "--option", "--quiet", "--verbose"]
GROUP_VERB_OPTS = {v: sorted(GROUP_COMMON_OPTS + o) for v, o in {
    "create": ["--type", "--dry-run"],
    "list": ["--json"],
    "apply": ["--dry-run", "--json", "--all", "--force", "--with-group-siblings",
              "--keep-going"],
    "release": ["--dry-run", "--json", "--all", "--force", "--keep-going"],
}.items()}


def check_names(env):
    """Verbs, and live names from the state of a conf dir: groups, rules and
    rule fields as the binary lists them."""
    problems = []
    tmp = tempfile.mkdtemp(prefix="pt-docs-names-")
    try:
        cmds = env.commands()
        got = bash_complete(env, ["pt %s " % c for c in cmds])
        for c in cmds:
            want = usage_verbs(env, c)
            if sorted(got["pt %s " % c] or []) != sorted(want):
                problems.append("bash: 'pt %s <TAB>' offers %s; the usage of pt %s "
                                "names the verbs %s" % (c, got["pt %s " % c], c, want))
        if "group" not in cmds or "rule" not in cmds:
            return problems
        conf = "-O conf.dir=" + tmp
        for args in (["group", "create", "gpus", "--type", "pci"],
                     ["group", "create", "nics", "--type", "sriov-nic"],
                     ["rule", "add", "gpus", "nvidia", "vendor_id", "eq", "10de"],
                     ["rule", "add", "gpus", "amd", "vendor_id", "eq", "1002"]):
            r = env.pt(*(args + ["-O", "conf.dir=" + tmp]))
            if r.returncode != 0:
                return problems + ["pt %s: exit %d: %s" % (" ".join(args), r.returncode,
                                                          r.stderr.strip())]
        rc, fields = env.lines("rule", "--list-fields", "gpus", "-O", "conf.dir=" + tmp)
        rc, pci_settings = env.lines("group", "--list-settings", "pci")
        rc, nic_settings = env.lines("group", "--list-settings", "nics", "-O",
                                     "conf.dir=" + tmp)
        expect = {
            "pt group show %s " % conf: ["gpus", "nics"],
            "pt group %s check gpus " % conf: ["gpus", "nics"],
            "pt group apply %s --dry-run " % conf: ["gpus", "nics"],
            "pt-group %s release gpus n" % conf: ["nics"],
            "pt-rule %s show gpus " % conf: ["amd", "nvidia"],
            "pt rule %s test gpus n" % conf: ["nvidia"],
            "pt rule add gpus r1 %s " % conf: sorted(fields),
            "pt rule add gpus r1 vendor_id %s " % conf: sorted(
                "eq ne lt le gt ge begins ends contains icontains regex".split()),
            "pt rule add gpus r1 vendor_id eq 10de %s " % conf: ["and"],
            "pt rule %s --list-fields=g" % conf: ["gpus"],
            # set: the settings of the group's type, as KEY=; unset: KEY
            "pt group set gpus %s " % conf: sorted(k + "=" for k in pci_settings),
            "pt group %s set nics " % conf: sorted(k + "=" for k in nic_settings),
            "pt-group %s set nics vlan=100 vlan_p" % conf: ["vlan_proto="],
            "pt group unset nics %s v" % conf: sorted(
                k for k in nic_settings if k.startswith("v")),
            # after a verb: that verb's options
            "pt group apply %s --" % conf: GROUP_VERB_OPTS["apply"],
            "pt group %s release gpus --" % conf: GROUP_VERB_OPTS["release"],
            "pt-group list -" : GROUP_VERB_OPTS["list"],
            "pt group create x -t pci --" : GROUP_VERB_OPTS["create"],
        }
        got = bash_complete(env, list(expect))
        if not fields:
            problems.append("pt rule --list-fields gpus lists no field")
        if not pci_settings or "vlan" in pci_settings or "vlan" not in nic_settings:
            problems.append("pt group --list-settings: pci lists %s, group nics (sriov-nic) "
                            "%s" % (pci_settings, nic_settings))
        for line, want in expect.items():
            if sorted(got[line] or []) != want:
                problems.append("bash: '%s<TAB>' offers %s, not %s"
                                % (line, got[line], want))
    finally:
        shutil.rmtree(tmp)
    return problems


def report(problems, what):
    for p in problems:
        print("FAIL: " + p)
    if problems:
        print("%s: %d problem(s)" % (what, len(problems)))
        return 1
    print("%s: ok" % what)
    return 0


def cmd_options(env):
    return report(check_options(env) + check_values(env) + check_names(env),
                  "options")


def cmd_selftest(env):
    """Break one thing at a time; the options check must notice each."""
    problems = []
    tmp = tempfile.mkdtemp(prefix="pt-docs-self-")
    try:
        cmds = env.commands()
        cmd = cmds[0]
        rc, opts = env.lines(cmd, "--list-opts")

        # 1. the binary grows an option the man page lacks
        fakebin = os.path.join(tmp, "bin")
        os.makedirs(fakebin)
        real = os.path.join(env.bindir, "pt")
        with open(os.path.join(fakebin, "pt"), "w") as f:
            f.write('#!/bin/sh\n"%s" "$@"; rc=$?\n'
                    'for a; do [ "$a" = --list-opts ] && echo --no-such-option; done\n'
                    'exit $rc\n' % real)
        os.chmod(os.path.join(fakebin, "pt"), 0o755)
        for c in cmds:
            os.symlink("pt", os.path.join(fakebin, "pt-" + c))
        found = check_options(Env(env.srcdir, fakebin))
        if not any("--no-such-option" in p and "man/" in p for p in found):
            problems.append("an option missing from the man page went unnoticed: %s"
                            % found)

        # 2. the man page loses an option
        mandir = os.path.join(tmp, "man")
        shutil.copytree(env.mandir, mandir)
        page = os.path.join(mandir, "pt-%s.8.scd" % cmd)
        victim = opts[0]
        text = read(page)
        with open(page, "w") as f:
            f.write(text.replace("*%s*" % victim, "*%s-gone*" % victim))
        found = check_options(Env(env.srcdir, env.bindir, mandir=mandir))
        if not any(victim in p and "not in the OPTIONS" in p for p in found):
            problems.append("%s removed from pt-%s(8) went unnoticed: %s"
                            % (victim, cmd, found))

        # 3. the completion stops offering options
        comp = os.path.join(tmp, "pt.bash")
        with open(comp, "w") as f:
            f.write(read(env.bash_completion).replace("--list-opts", "--list-nothing"))
        found = check_options(Env(env.srcdir, env.bindir, bash_completion=comp))
        if not any("does not offer" in p for p in found):
            problems.append("a completion offering no options went unnoticed: %s"
                            % found)

        # 4. the completion loses a --type value the man page lists
        with open(comp, "w") as f:
            f.write(read(env.bash_completion).replace("vgpu sriov usb", "vgpu usb"))
        found = check_values(Env(env.srcdir, env.bindir, bash_completion=comp))
        if not any("--type" in p and "sriov" in p for p in found):
            problems.append("a --type value missing from the completion went "
                            "unnoticed: %s" % found)
    finally:
        shutil.rmtree(tmp)
    return report(problems, "selftest")


# ---------------------------------------------------------------------------
# man: scdoc, man -l, sections, references
# ---------------------------------------------------------------------------

REQUIRED = {
    "8": ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "FILES",
          "EXAMPLES", "SEE ALSO"],
    "3": ["NAME", "SYNOPSIS", "DESCRIPTION", "EXAMPLES", "SEE ALSO"],
    "5": ["NAME", "SYNOPSIS", "DESCRIPTION", "FILES", "EXAMPLES", "SEE ALSO"],
}


def cmd_man(env):
    problems = []
    scdoc = shutil.which("scdoc")
    if not scdoc:
        print("SKIP: scdoc is not installed (apt-get install scdoc)")
        return SKIP
    man = shutil.which("man")
    if not man:
        print("note: man-db is not installed; rendering with man -l is not checked")
    pages = sorted(f[:-4] for f in os.listdir(env.mandir) if f.endswith(".scd"))
    cmds = env.commands()
    tmp = tempfile.mkdtemp(prefix="pt-docs-man-")
    try:
        for page in pages:
            src = env.man(page)
            text = read(src)
            name, section = page.rsplit(".", 1)
            first = text.split("\n", 1)[0]
            if not first.startswith("%s(%s)" % (name, section)):
                problems.append("%s: first line %r does not name %s(%s)"
                                % (page, first, name, section))
            secs = sections(text)
            for s in REQUIRED.get(section, []):
                if s not in secs:
                    problems.append("%s: no %s section" % (page, s))
            if section == "8" and name.startswith("pt-") and name[3:] not in cmds:
                problems.append("%s documents pt %s, which pt --list-cmds does not "
                                "list" % (page, name[3:]))
            for ref, sec in sorted(set(re.findall(
                    r"\*((?:pt|pt-[a-z-]+|libpassthru|passthru\.conf))\*\((\d)\)",
                    text))):
                if not os.path.exists(env.man("%s.%s" % (ref, sec))):
                    problems.append("%s refers to %s(%s), which does not exist"
                                    % (page, ref, sec))
            out = os.path.join(tmp, page)
            with open(src, "rb") as fin, open(out, "wb") as fout:
                r = subprocess.run([scdoc], stdin=fin, stdout=fout,
                                   stderr=subprocess.PIPE, timeout=60)
            if r.returncode != 0 or r.stderr:
                problems.append("scdoc %s: exit %d: %s"
                                % (page, r.returncode, r.stderr.decode().strip()))
                continue
            if not man:
                continue
            e = dict(env.env, MANWIDTH="80", MAN_KEEP_FORMATTING="0")
            r = subprocess.run([man, "--warnings", "-l", out], capture_output=True,
                               text=True, env=e, timeout=60,
                               stdin=subprocess.DEVNULL)
            if r.returncode != 0 or r.stderr.strip():
                problems.append("man -l %s: exit %d: %s"
                                % (page, r.returncode, r.stderr.strip()))
            rendered = re.sub(r".\x08", "", r.stdout)
            for s in REQUIRED.get(section, []):
                if not re.search(r"^%s$" % re.escape(s), rendered, re.M):
                    problems.append("man -l %s: no %s heading in the output"
                                    % (page, s))
    finally:
        shutil.rmtree(tmp)
    for cmd in cmds:
        if "pt-%s.8" % cmd not in pages:
            problems.append("pt %s has no man page man/pt-%s.8.scd" % (cmd, cmd))
    return report(problems, "man")


# ---------------------------------------------------------------------------
# exit status
# ---------------------------------------------------------------------------

def exit_values(section_text):
    return sorted(int(n) for n in re.findall(r"^\*(\d+)\*$", section_text, re.M))


def cmd_exit_status(env):
    problems = []
    hdr = read(os.path.join(env.srcdir, "cmd", "pt.h"))
    m = re.search(r"enum pt_exit \{(.*?)\};", hdr, re.S)
    enum = sorted(int(v) for v in re.findall(r"=\s*(\d+)\s*,", m.group(1))) if m else []
    if not enum:
        return report(["no enum pt_exit in cmd/pt.h"], "exit-status")
    pt8 = exit_values(sections(read(env.man("pt.8"))).get("EXIT STATUS", ""))
    if pt8 != enum:
        problems.append("pt(8) EXIT STATUS lists %s; enum pt_exit in cmd/pt.h has %s"
                        % (pt8, enum))
    for f in sorted(os.listdir(env.mandir)):
        if f.startswith("pt-") and f.endswith(".8.scd"):
            vals = exit_values(sections(read(os.path.join(env.mandir, f)))
                               .get("EXIT STATUS", ""))
            if not vals:
                problems.append("%s lists no exit status" % f)
            for v in vals:
                if v not in enum:
                    problems.append("%s lists exit status %d, which enum pt_exit "
                                    "does not have" % (f, v))
    return report(problems, "exit-status")


# ---------------------------------------------------------------------------
# JSON schema of pt-scan(8)
# ---------------------------------------------------------------------------

TYPES = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
}


def type_ok(spec, v):
    for alt in spec.split("|"):
        if alt == "null" and v is None:
            return True
        if alt.startswith("[") and alt.endswith("]"):
            if isinstance(v, list) and all(type_ok(alt[1:-1], x) for x in v):
                return True
        elif alt in TYPES and TYPES[alt](v):
            return True
    return False


def schema(scd_text, heading):
    """{"pci.netdevs.name": "string", ...} from the literal blocks of one
    '## ' part of OUTPUT: two spaces of indentation per level."""
    out_sec = sections(scd_text).get("OUTPUT", "")
    part = re.split(r"^## ", out_sec, flags=re.M)
    body = next((p for p in part if p.startswith(heading + "\n")), "")
    paths = {}
    for block in literal_blocks(body):
        stack = []
        for line in block:
            m = re.match(r"^( *)([a-z_]+)(?::\s+(\S+)|\s+(\S+))", line)
            if not m:
                continue
            depth = len(m.group(1)) // 2
            stack = stack[:depth] + [m.group(2)]
            paths[".".join(stack)] = (m.group(3) or m.group(4)).rstrip(",")
    return paths


def json_paths(v, prefix, out):
    if isinstance(v, dict):
        for k, x in v.items():
            p = prefix + "." + k if prefix else k
            out.setdefault(p, []).append(x)
            json_paths(x, p, out)
    elif isinstance(v, list):
        for x in v:
            json_paths(x, prefix, out)


def objects_at(v, parts):
    """The objects at a dotted path of a JSON document (arrays flattened)."""
    if isinstance(v, list):
        for x in v:
            yield from objects_at(x, parts)
    elif isinstance(v, dict):
        if not parts:
            yield v
        elif parts[0] in v:
            yield from objects_at(v[parts[0]], parts[1:])


def source_keys(env):
    json_c = read(os.path.join(env.srcdir, "cmd", "json.c"))
    scan_c = read(os.path.join(env.srcdir, "cmd", "scan.c"))
    keys = set()
    for fn in ("json_pci_dev", "json_mdev_parent", "json_usb_dev",
               "json_iommu_group", "json_check", "json_vgpu_profile"):
        m = re.search(r"\n[^\n]*\b%s\([^)]*\)\n\{(.*?)\n\}\n" % fn, json_c, re.S)
        if not m:
            raise SystemExit("cmd/json.c: no function %s" % fn)
        keys |= set(re.findall(r'\b(?:add|put_\w+)\(&?\w+, "(\w+)"', m.group(1)))
    keys |= set(re.findall(r'json_object_object_add\(doc, "(\w+)"', scan_c))
    keys |= set(re.findall(r'json_stream_array\(&js, "(\w+)"', scan_c))
    return keys


def cmd_json(env):
    problems = []
    text = read(env.man("pt-scan.8"))
    scan_schema = schema(text, "JSON")
    check_schema = schema(text, "JSON of --check")
    if not scan_schema or not check_schema:
        return report(["pt-scan(8) has no JSON schema under OUTPUT (## JSON and "
                       "## JSON of --check)"], "json")
    documented = {p.rsplit(".", 1)[-1] for p in list(scan_schema) + list(check_schema)}
    emitted = source_keys(env)
    for k in sorted(emitted - documented):
        problems.append("JSON key %s (cmd/json.c, cmd/scan.c) is not in pt-scan(8)" % k)
    for k in sorted(documented - emitted):
        problems.append("pt-scan(8) documents JSON key %s, which the code never "
                        "emits" % k)

    tmp = tempfile.mkdtemp(prefix="pt-docs-json-")
    try:
        sysfs = make_fixture(tmp)
        roots = ["-O", "sysfs.root=" + sysfs, "-O", "proc.root=" + tmp + "/proc"]
        for args, sch in ((["scan", "--json"], scan_schema),
                          (["scan", "--check", "--json"], check_schema)):
            r = env.pt(*(args + roots))
            try:
                doc = json.loads(r.stdout)
            except ValueError as e:
                problems.append("pt %s: not JSON (%s): %r" % (" ".join(args), e,
                                                             r.stdout[:200]))
                continue
            seen = {}
            json_paths(doc, "", seen)
            for p, vals in sorted(seen.items()):
                if p not in sch:
                    problems.append("pt %s emits %s, which pt-scan(8) does not "
                                    "document there" % (" ".join(args), p))
                    continue
                for v in vals:
                    if not type_ok(sch[p], v):
                        problems.append("pt %s: %s is %r, not %s as pt-scan(8) says"
                                        % (" ".join(args), p, v, sch[p]))
                        break
            # every documented key is in every object of its kind
            for p in sch:
                parts = p.split(".")
                for obj in objects_at(doc, parts[:-1]):
                    if parts[-1] not in obj:
                        problems.append("pt %s: documented key %s is missing"
                                        % (" ".join(args), p))
                        break
            # the fixture exercises the whole schema but USB (live only)
            for p in sorted(sch):
                if p not in seen and not p.startswith("usb."):
                    problems.append("pt %s: the fixture tree never shows %s; "
                                    "extend make_fixture()" % (" ".join(args), p))
    finally:
        shutil.rmtree(tmp)
    return report(problems + check_group_json(env), "json")


def check_doc_json(what, doc, sch, page):
    """Problems of one JSON document against a schema of page: only
    documented keys, of their documented types, every documented key in
    every object of its kind. Returns (problems, the paths seen)."""
    problems, seen = [], {}
    json_paths(doc, "", seen)
    for p, vals in sorted(seen.items()):
        if p not in sch:
            problems.append("%s emits %s, which %s does not document there"
                            % (what, p, page))
            continue
        for v in vals:
            if not type_ok(sch[p], v):
                problems.append("%s: %s is %r, not %s as %s says"
                                % (what, p, v, sch[p], page))
                break
    for p in sch:
        parts = p.split(".")
        for obj in objects_at(doc, parts[:-1]):
            if parts[-1] not in obj:
                problems.append("%s: documented key %s is missing" % (what, p))
                break
    return problems, seen


def check_group_json(env):
    """pt group apply/release --json: the schema in pt-group(8) names every
    key json_plan() and json_step() of cmd/json.c emit, and the output on
    the fixture tree (a plan, a refusal, a release of a group that is not
    applied) has only documented keys of documented types."""
    problems = []
    page = "pt-group(8)"
    sch = schema(read(env.man("pt-group.8")), "JSON of apply and release")
    if not sch:
        return ["pt-group(8) has no JSON schema under OUTPUT (## JSON of apply "
                "and release)"]
    json_c = read(os.path.join(env.srcdir, "cmd", "json.c"))
    emitted = set()
    for fn in ("json_plan", "json_step"):
        m = re.search(r"\n[^\n]*\b%s\([^)]*\)\n\{(.*?)\n\}\n" % fn, json_c, re.S)
        if not m:
            return ["cmd/json.c: no function %s" % fn]
        emitted |= set(re.findall(r'\badd\(\w+, "(\w+)"', m.group(1)))
    documented = {p.rsplit(".", 1)[-1] for p in sch}
    for k in sorted(emitted - documented):
        problems.append("JSON key %s (json_plan, json_step) is not in %s" % (k, page))
    for k in sorted(documented - emitted):
        problems.append("%s documents JSON key %s, which json_plan and json_step "
                        "never emit" % (page, k))
    tmp = tempfile.mkdtemp(prefix="pt-docs-gjson-")
    try:
        sysfs = make_fixture(tmp)
        conf = os.path.join(tmp, "conf")
        o = ["-O", "sysfs.root=" + sysfs, "-O", "proc.root=" + tmp + "/proc",
             "-O", "conf.dir=" + conf]
        # solo: the function alone in its IOMMU group; shared: the audio
        # function whose group holds the GPU too (refused)
        for args in (["group", "create", "solo", "--type", "pci"],
                     ["group", "make-resource", "solo", "0001:40:00.0"],
                     ["group", "create", "shared", "--type", "pci"],
                     ["group", "make-resource", "shared", "0000:01:00.1"]):
            r = env.pt(*(args + o))
            if r.returncode != 0:
                return problems + ["pt %s: exit %d: %s" % (" ".join(args), r.returncode,
                                                          r.stderr.strip())]
        seen = {}
        for args, rc in ((["group", "apply", "--dry-run", "--json", "solo", "shared"], 6),
                         (["group", "release", "-n", "-j", "solo"], 0)):
            what = "pt " + " ".join(args)
            r = env.pt(*(args + o))
            try:
                doc = json.loads(r.stdout)
            except ValueError as e:
                problems.append("%s: not JSON (%s): %r" % (what, e, r.stdout[:200]))
                continue
            if r.returncode != rc:
                problems.append("%s: exit %d, not %d: %s" % (what, r.returncode, rc,
                                                             r.stderr.strip()))
            if not isinstance(doc, list) or len(doc) != len(args) - 4:
                problems.append("%s: not an array of one object per group: %r"
                                % (what, doc))
            found, s = check_doc_json(what, doc, sch, page)
            problems += found
            for p, v in s.items():
                seen.setdefault(p, []).extend(v)
        for p in sorted(sch):
            if p not in seen:
                problems.append("pt group apply/release --json on the fixture never "
                                "shows %s" % p)
        results = [v for v in seen.get("result", [])]
        for want in ("planned", "refused", "not_applied"):
            if want not in results:
                problems.append("pt group apply/release --json: no result %r on the "
                                "fixture (got %s)" % (want, results))
    finally:
        shutil.rmtree(tmp)
    return problems


# ---------------------------------------------------------------------------
# libpassthru(3): symbols and the example program
# ---------------------------------------------------------------------------

def declared_functions(text):
    names = set()
    for block in literal_blocks(text):
        for line in block:
            m = re.match(r"^[a-z].*?\b(pt_[a-z0-9_]+)\(", line)
            if m and not line.startswith(("pt_", "cc ", "static")):
                names.add(m.group(1))
            m = re.match(r"^(pt_[a-z0-9_]+_foreach)\(", line)
            if m:
                names.add(m.group(1))
    return names


def cmd_symbols(env, lib):
    problems = []
    r = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True,
                       text=True, timeout=60)
    if r.returncode != 0:
        return report(["nm -D %s: %s" % (lib, r.stderr.strip())], "symbols")
    exported = {l.split()[-1].split("@")[0] for l in r.stdout.split("\n")
                if l.split() and l.split()[-1].startswith("pt_")}
    text = read(env.man("libpassthru.3"))
    declared = declared_functions(text)
    symfile = read(os.path.join(env.srcdir, "lib", "libpassthru.sym"))
    listed = set(re.findall(r"^\s*(pt_[a-z0-9_]+);", symfile, re.M))
    hdr = read(os.path.join(env.srcdir, "lib", "libpassthru.h"))
    # a foreach macro counts once the function it starts with is exported
    macros = {m for m, first in re.findall(
        r"#define (pt_[a-z0-9_]+_foreach)\([^)]*\)\s*\\\s*for \(\w+ = "
        r"(pt_[a-z0-9_]+)\(", hdr) if first in exported}
    if len(exported) < 10:
        problems.append("%s exports only %d pt_ functions" % (lib, len(exported)))
    for s in sorted(exported - declared):
        problems.append("libpassthru.so exports %s, which libpassthru(3) does not "
                        "describe" % s)
    all_macros = set(re.findall(r"#define (pt_[a-z0-9_]+_foreach)\(", hdr))
    for s in sorted(declared - listed - all_macros):
        problems.append("libpassthru(3) describes %s, which lib/libpassthru.sym does "
                        "not export" % s)
    for s in sorted(macros - declared):
        problems.append("libpassthru(3) does not describe the macro %s" % s)
    return report(problems, "symbols")


def example_source(text):
    """The first example program (the block with main) under EXAMPLES, with
    scdoc's escapes undone."""
    for block in literal_blocks(sections(text).get("EXAMPLES", "")):
        src = "\n".join(block)
        if "int main(" in src:
            return src.replace("\\\\", "\\") + "\n"
    return None


def cmd_extract_example(scd, out):
    src = example_source(read(scd))
    if src is None:
        print("%s: no example program (int main) under EXAMPLES" % scd)
        return 1
    with open(out + ".tmp", "w") as f:
        f.write("/* Generated from %s by tests/docs/check-docs.py. */\n" %
                os.path.basename(scd) + src)
    os.replace(out + ".tmp", out)
    return 0


def cmd_example(env, prog):
    """The example lists functions that are no bridge, not host-critical and
    in a viable group: on the fixture, only the VF on vfio-pci alone in its
    group, and the function without a driver in domain 0001."""
    problems = []
    tmp = tempfile.mkdtemp(prefix="pt-docs-ex-")
    try:
        sysfs = make_fixture(tmp)
        r = subprocess.run([prog, sysfs], capture_output=True, text=True,
                           env=env.env, timeout=60, stdin=subprocess.DEVNULL)
        want = "0000:02:10.0 group 14 driver vfio-pci\n0001:40:00.0 group 18 driver -\n"
        if r.returncode != 0 or r.stdout != want:
            problems.append("the libpassthru(3) example printed %r (exit %d, stderr "
                            "%r), not %r" % (r.stdout, r.returncode, r.stderr, want))
        r = subprocess.run([prog, "relative/path"], capture_output=True, text=True,
                           env=env.env, timeout=60, stdin=subprocess.DEVNULL)
        if r.returncode != 2 or "Invalid argument" not in r.stderr:
            problems.append("the example with a relative root: exit %d, %r"
                            % (r.returncode, r.stderr))
    finally:
        shutil.rmtree(tmp)
    return report(problems, "example")


# ---------------------------------------------------------------------------
# zsh
# ---------------------------------------------------------------------------

# compadd is wrapped to write every match it adds to $PT_CAPTURE; Ctrl-X
# writes the edit buffer to $PT_CAPTURE.done once completion has finished.
ZSH_RC = r'''
fpath=("$PT_COMPDIR" $fpath)
autoload -U compinit && compinit -u -D
zstyle ':completion:*' list-grouped false
compadd() {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then
    builtin compadd "$@"
    return
  fi
  local -a __hits
  builtin compadd -A __hits "$@"
  (( $#__hits )) && print -rl -- $__hits >> "$PT_CAPTURE"
  builtin compadd "$@"
}
_pt_test_done() { print -r -- "$BUFFER" > "$PT_CAPTURE.done"; }
zle -N _pt_test_done
bindkey '^X' _pt_test_done
PS1='> '
'''


def zsh_complete(env, compdir, line, timeout=30):
    tmp = tempfile.mkdtemp(prefix="pt-docs-zsh-")
    capture = os.path.join(tmp, "capture")
    rc = os.path.join(tmp, "rc.zsh")
    with open(rc, "w") as f:
        f.write(ZSH_RC)
    e = dict(env.env, PT_COMPDIR=compdir, PT_CAPTURE=capture, TERM="dumb",
             HOME=tmp)
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(shutil.which("zsh"), ["zsh", "-f", "-i"], e)
    try:
        os.write(fd, ("source %s\n" % rc).encode())
        os.write(fd, line.encode() + b"\t\x18")
        end = time.time() + timeout
        while time.time() < end and not os.path.exists(capture + ".done"):
            r, _, _ = select.select([fd], [], [], 0.1)
            if r:
                try:
                    os.read(fd, 65536)
                except OSError:
                    break
        if not os.path.exists(capture + ".done"):
            return None, None
        time.sleep(0.05)
        hits = read(capture).split("\n") if os.path.exists(capture) else []
        return [h for h in hits if h], read(capture + ".done").rstrip("\n")
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
        shutil.rmtree(tmp)


def cmd_zsh(env, zsh_file):
    if not shutil.which("zsh"):
        print("SKIP: zsh is not installed")
        return SKIP
    problems = []
    compdir = tempfile.mkdtemp(prefix="pt-docs-zfunc-")
    try:
        shutil.copy(zsh_file, os.path.join(compdir, "_pt"))
        cmds = env.commands()
        compdef = read(zsh_file).split("\n", 1)[0].split()[1:]
        for cmd in cmds:
            if "pt-" + cmd not in compdef:
                problems.append("zsh: %s does not name pt-%s on its #compdef line"
                                % (zsh_file, cmd))
        hits, buf = zsh_complete(env, compdir, "pt ")
        if hits is None:
            return report(["zsh: completion did not finish"], "zsh")
        if sorted(set(hits)) != sorted(cmds + ["help"]):
            problems.append("zsh: 'pt <TAB>' offers %s, not %s" % (hits, cmds + ["help"]))
        for cmd in cmds:
            rc, opts = env.lines(cmd, "--list-opts")
            hits, buf = zsh_complete(env, compdir, "pt %s --" % cmd)
            for o in opts:
                if o not in (hits or []):
                    problems.append("zsh: 'pt %s --<TAB>' does not offer %s (offers %s)"
                                    % (cmd, o, hits))
        hits, buf = zsh_complete(env, compdir, "pt scan --type ")
        want = ["gpu", "pci", "sriov", "usb", "vgpu"]
        if sorted(set(hits or [])) != want:
            problems.append("zsh: 'pt scan --type <TAB>' offers %s, not %s" % (hits, want))
        hits, buf = zsh_complete(env, compdir, "pt scan --ty")
        if buf != "pt scan --type=":
            problems.append("zsh: 'pt scan --ty<TAB>' gives %r" % buf)
        hits, buf = zsh_complete(env, compdir, "pt scan -O ")
        want = []
        for e in option_entries(sections(read(env.man("pt.8"))).get("OPTIONS", "")):
            if e[1] == "--option":
                want = sorted(k + "=" for k in e[3])
        if not want or sorted(set(hits or [])) != want:
            problems.append("zsh: 'pt scan -O <TAB>' offers %s, not %s" % (hits, want))
        for cmd in cmds:
            want = usage_verbs(env, cmd)
            if want:
                hits, buf = zsh_complete(env, compdir, "pt %s " % cmd)
                if sorted(set(hits or [])) != sorted(want):
                    problems.append("zsh: 'pt %s <TAB>' offers %s, not the verbs %s"
                                    % (cmd, hits, want))
        tmp = tempfile.mkdtemp(prefix="pt-docs-zfix-")
        try:
            if "rule" in cmds and "group" in cmds:
                conf = os.path.join(tmp, "conf")
                os.makedirs(conf)
                for args in (["group", "create", "gpus", "--type", "pci"],
                             ["rule", "add", "gpus", "nvidia", "vendor_id", "eq", "10de"]):
                    env.pt(*(args + ["-O", "conf.dir=" + conf]))
                hits, buf = zsh_complete(env, compdir,
                                         "pt rule -O conf.dir=%s show gpus " % conf)
                if buf != "pt rule -O conf.dir=%s show gpus nvidia " % conf:
                    problems.append("zsh: 'pt rule show gpus <TAB>' gives %r" % buf)
                hits, buf = zsh_complete(env, compdir,
                                         "pt group -O conf.dir=%s apply -n gp" % conf)
                if buf != "pt group -O conf.dir=%s apply -n gpus " % conf:
                    problems.append("zsh: 'pt group apply -n gp<TAB>' gives %r" % buf)
                for verb in ("apply", "release"):
                    hits, buf = zsh_complete(env, compdir,
                                             "pt group -O conf.dir=%s %s --" % (conf, verb))
                    if sorted(set(hits or [])) != GROUP_VERB_OPTS[verb]:
                        problems.append("zsh: 'pt group %s --<TAB>' offers %s, not %s"
                                        % (verb, hits, GROUP_VERB_OPTS[verb]))
                rc, keys = env.lines("group", "--list-settings", "gpus", "-O",
                                     "conf.dir=" + conf)
                hits, buf = zsh_complete(env, compdir,
                                         "pt group -O conf.dir=%s set gpus " % conf)
                if not keys or sorted(set(hits or [])) != sorted(k + "=" for k in keys):
                    problems.append("zsh: 'pt group set gpus <TAB>' offers %s, not the "
                                    "settings %s" % (hits, keys))
                hits, buf = zsh_complete(env, compdir,
                                         "pt group -O conf.dir=%s set gpus desc" % conf)
                if buf != "pt group -O conf.dir=%s set gpus description=" % conf:
                    problems.append("zsh: 'pt group set gpus desc<TAB>' gives %r" % buf)
            sysfs = make_fixture(tmp)
            hits, buf = zsh_complete(env, compdir,
                                     "pt scan -O sysfs.root=%s --group " % sysfs)
            want = sorted(os.listdir(os.path.join(sysfs, "kernel/iommu_groups")))
            if sorted(set(hits or [])) != want:
                problems.append("zsh: --group offers %s, not %s" % (hits, want))
            hits, buf = zsh_complete(env, compdir,
                                     "pt-scan -O sysfs.root=%s -s 0001:" % sysfs)
            if buf != "pt-scan -O sysfs.root=%s -s 0001:40:00.0 " % sysfs:
                problems.append("zsh: 'pt-scan -s 0001:<TAB>' gives %r" % buf)
        finally:
            shutil.rmtree(tmp)
    finally:
        shutil.rmtree(compdir)
    return report(problems, "zsh")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--srcdir", default=os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "..", ".."))
    ap.add_argument("--bindir", help="directory holding the built pt")
    ap.add_argument("--lib", help="libpassthru.so, for symbols")
    ap.add_argument("--example", help="the example program, for example")
    ap.add_argument("--zsh-completion", help="the zsh completion as installed "
                    "(default: completions/_pt of the sources)")
    ap.add_argument("check")
    ap.add_argument("args", nargs="*")
    a = ap.parse_args()
    if a.check == "extract-example":
        return cmd_extract_example(*a.args)
    srcdir = os.path.abspath(a.srcdir)
    if not a.bindir or not os.access(os.path.join(a.bindir, "pt"), os.X_OK):
        print("--bindir must name the directory of the built pt")
        return 2
    env = Env(srcdir, os.path.abspath(a.bindir))
    if a.check == "options":
        return cmd_options(env)
    if a.check == "selftest":
        return cmd_selftest(env)
    if a.check == "man":
        return cmd_man(env)
    if a.check == "exit-status":
        return cmd_exit_status(env)
    if a.check == "json":
        return cmd_json(env)
    if a.check == "symbols":
        return cmd_symbols(env, a.lib)
    if a.check == "example":
        return cmd_example(env, a.example)
    if a.check == "zsh":
        return cmd_zsh(env, a.zsh_completion or
                       os.path.join(srcdir, "completions", "_pt"))
    print("unknown check %s" % a.check)
    return 2


if __name__ == "__main__":
    sys.exit(main())
