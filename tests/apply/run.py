#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Golden tests of pt group apply and pt group release on fixture trees.

    run.py --pt BUILD/pt --fakekernel BUILD/tests/fakekernel/fakekernel
           [--gen-sysfs GEN] [--check-xfail] [SCENARIO...]

Each scenario (scenarios/NAME.scn) gets a fresh gen-sysfs tree, the test
"kernel" tests/fakekernel started on it (it changes the tree as Linux
would after each sysfs write the binders make) and an empty conf dir; its
commands run against them and the transcript is compared with
golden/NAME.out. With PT_UPDATE_GOLDEN=1 in the environment the golden
files are rewritten from what the commands do now (the XFAIL ones
excepted: their golden file holds what they SHOULD do; scenarios named
bug-* must be in XFAIL). PT_KEEP_TMP=1 keeps the trees. A command on
which ASan or UBSan reports fails its scenario.

Scenario files:

    # comment                    copied into the transcript
    fixture workstation          the first line that is not a comment: the
    fixture apply                gen-sysfs profile of the tree (also: vgpu)
    $ pt group apply nic         a command, split like sh words (shlex); pt
                                 is the binary of the build, @CONF@ the
                                 conf dir, @ROOT@ the fixture root
    write groups.d/x.ini         write a file under the conf dir (a hand
    | [group]                    edit); its lines follow, each after "| "
    control                      replace the fakekernel control file
    | refuse bind 0000:06:01.0 vfio-pci
                                 (injected failures; no lines: none) and
                                 wait until the daemon has read it
    snapshot NAME                remember the whole tree (sys/ and dev/:
                                 names, modes, symlink targets, contents)
    same-as NAME                 compare the whole tree with snapshot NAME,
                                 exactly; "start" is the tree as generated
    state BDF...                 the state of these functions (below)
    reboot                       the host boots again: the daemon stops, the
                                 tree is generated anew (as "start"), the
                                 daemon starts; the conf dir stays
    schema FILE                  validate the last command's stdout (JSON)
                                 against schema/FILE

The transcript holds for each command: "$ " and the command, stdout after
"1| " (JSON re-printed with two-space indents), stderr after "2| ",
"[exit N]"; then what the daemon did (its log, one "k| " line each, "#N"
numbers left out; "kernel: no writes" after an apply or release that made
none); then what changed in the tree, per PCI function (driver, driver
override, VF count, autoprobe, virtfn links, vfio device, netdevs, vGPU
type, IOMMU group), per dev/vfio node, and every other path that changed
and none of those explains ("sysfs: unchanged" after an apply or release
that changed nothing, compared byte for byte); then the conf dir entries
that are new, changed or removed, with the content of new and changed
files ("files: unchanged" after an apply or release that changed none).
"""
import argparse
import difflib
import json
import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIOS = os.path.join(HERE, "scenarios")
GOLDEN = os.path.join(HERE, "golden")
SCHEMAS = os.path.join(HERE, "schema")

# Scenarios whose golden file says what the commands SHOULD do and the
# commands do not do yet: name -> the bug. When it is fixed the scenario
# passes, the driver reports XPASS and fails: take it out of this list.
XFAIL = {
    "bug-release-all-records": "release --all goes through groups.d, not the records "
                               "of applied.d: a group whose file went stays applied",
}

PROFILES = ("workstation", "apply", "vgpu")

# A sanitizer's report fails a scenario (an XFAIL one stays XFAIL: its bug
# may be what the sanitizer saw).
SANITIZER_RE = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: "
                          r"|ERROR: UndefinedBehaviorSanitizer")

BDF_RE = re.compile(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")

# how long the daemon may take to log a control reload (it is local and
# quick; an ASan build on a loaded 2-core machine is slower)
SYNC_TIMEOUT = 30


class ScenarioError(Exception):
    pass


# ---------------------------------------------------------------------------
# Scenario files
# ---------------------------------------------------------------------------

def parse_scenario(path):
    """(profile, [(kind, payload, lineno)])"""
    steps = []
    profile = None
    with open(path) as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    i = 0

    def body():
        nonlocal i
        content = []
        while i < len(lines) and (lines[i] == "|" or lines[i].startswith("| ")):
            content.append(lines[i][2:])
            i += 1
        return content

    while i < len(lines):
        line, no = lines[i], i + 1
        i += 1
        words = line.split()
        if line.startswith("#") or not line.strip():
            steps.append(("comment", line, no))
            continue
        if words[0] == "fixture":
            if profile is not None:
                raise ScenarioError(f"{path}:{no}: a second fixture line")
            if len(words) != 2 or words[1] not in PROFILES:
                raise ScenarioError(f"{path}:{no}: fixture takes one of {', '.join(PROFILES)}")
            profile = words[1]
            steps.append(("fixture", profile, no))
            continue
        if profile is None:
            raise ScenarioError(f"{path}:{no}: {words[0]} before the fixture line")
        if line.startswith("$ "):
            steps.append(("cmd", line[2:], no))
        elif words[0] == "write" and len(words) == 2:
            rel = words[1]
            if rel.startswith("/") or ".." in rel.split("/"):
                raise ScenarioError(f"{path}:{no}: write takes a path under the conf dir")
            steps.append(("write", (rel, body()), no))
        elif words[0] == "control" and len(words) == 1:
            steps.append(("control", body(), no))
        elif words[0] == "reboot" and len(words) == 1:
            steps.append(("reboot", None, no))
        elif words[0] in ("snapshot", "same-as") and len(words) == 2:
            steps.append((words[0], words[1], no))
        elif words[0] == "state" and len(words) > 1:
            bad = [w for w in words[1:] if not BDF_RE.match(w)]
            if bad:
                raise ScenarioError(f"{path}:{no}: state takes BDFs, not {bad[0]!r}")
            steps.append(("state", words[1:], no))
        elif words[0] == "schema" and len(words) == 2:
            if not os.path.exists(os.path.join(SCHEMAS, words[1])):
                raise ScenarioError(f"{path}:{no}: no schema/{words[1]}")
            steps.append(("schema", words[1], no))
        else:
            raise ScenarioError(f"{path}:{no}: cannot parse: {line!r}")
    if profile is None:
        raise ScenarioError(f"{path}: no fixture line")
    return profile, steps


# ---------------------------------------------------------------------------
# The tree: raw snapshots and the state of each PCI function
# ---------------------------------------------------------------------------

def tree_snapshot(root):
    """{relpath: entry} of everything below sys/ and dev/ (the daemon's
    .fakekernel/ is outside both): ("dir", mode), ("link", target) or
    ("file", mode, content). A write-only file that cannot be read (not
    root) counts by its size."""
    out = {}
    for top in ("sys", "dev"):
        base = os.path.join(root, top)
        for d, dirs, files in os.walk(base):
            dirs.sort()
            for n in sorted(dirs) + sorted(files):
                p = os.path.join(d, n)
                rel = os.path.relpath(p, root)
                st = os.lstat(p)
                mode = stat.S_IMODE(st.st_mode)
                if stat.S_ISLNK(st.st_mode):
                    out[rel] = ("link", os.readlink(p))
                elif stat.S_ISDIR(st.st_mode):
                    out[rel] = ("dir", mode)
                else:
                    try:
                        with open(p, "rb") as f:
                            data = f.read()
                    except PermissionError:
                        data = st.st_size
                    out[rel] = ("file", mode, data)
    return out


def read_attr(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "backslashreplace").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as e:
        return f"<{e.strerror}>"


def link_name(path):
    try:
        return os.path.basename(os.readlink(path))
    except (FileNotFoundError, NotADirectoryError):
        return None


def device_states(root):
    """{BDF: {field: value}} of every PCI function of the tree, and
    {dev/vfio entry: kind} of the vfio nodes."""
    sysd = os.path.join(root, "sys")
    devices = {}
    base = os.path.join(sysd, "bus", "pci", "devices")
    for bdf in sorted(os.listdir(base)):
        d = os.path.join(base, bdf)
        s = {}
        s["path"] = os.path.relpath(os.path.realpath(d), sysd)
        s["driver"] = link_name(os.path.join(d, "driver"))
        s["driver_override"] = read_attr(os.path.join(d, "driver_override"))
        s["iommu_group"] = link_name(os.path.join(d, "iommu_group"))
        s["physfn"] = link_name(os.path.join(d, "physfn"))
        names = os.listdir(d)
        if "sriov_numvfs" in names:
            s["sriov_numvfs"] = read_attr(os.path.join(d, "sriov_numvfs"))
            s["sriov_drivers_autoprobe"] = read_attr(os.path.join(d, "sriov_drivers_autoprobe"))
            vfs = sorted((int(n[6:]), link_name(os.path.join(d, n)))
                         for n in names if re.fullmatch(r"virtfn\d+", n))
            s["virtfn"] = " ".join(f"{i}={b}" for i, b in vfs) or "-"
        vd = os.path.join(d, "vfio-dev")
        s["vfio_dev"] = " ".join(sorted(os.listdir(vd))) if os.path.isdir(vd) else None
        nd = os.path.join(d, "net")
        s["net"] = " ".join(sorted(os.listdir(nd))) if os.path.isdir(nd) else None
        s["vgpu"] = read_attr(os.path.join(d, "nvidia", "current_vgpu_type"))
        devices[bdf] = s
    vfio = {}
    vbase = os.path.join(root, "dev", "vfio")
    for d, dirs, files in os.walk(vbase):
        for n in dirs + files:
            p = os.path.join(d, n)
            vfio[os.path.relpath(p, root)] = "dir" if os.path.isdir(p) else "node"
    return devices, vfio


# the fields shown per function, in order, with how "none" reads
FIELDS = [("driver", "driver", "-"), ("driver_override", "driver_override", "-"),
          ("sriov_numvfs", "sriov_numvfs", "-"),
          ("sriov_drivers_autoprobe", "sriov_drivers_autoprobe", "-"),
          ("virtfn", "virtfn", "-"), ("vfio_dev", "vfio-dev", "-"),
          ("net", "net", "-"), ("vgpu", "current_vgpu_type", "-"),
          ("iommu_group", "iommu_group", "-"), ("physfn", "physfn", "-")]


def fmt(v, none="-"):
    if v is None:
        return none
    return v if v != "" else '""'


def describe(s):
    """One function's state, "key value" pairs for the fields it has."""
    out = []
    for key, label, none in FIELDS:
        if key in s and (s[key] is not None or key in ("driver", "driver_override")):
            out.append(f"{label} {fmt(s[key], none)}")
    return ", ".join(out)


class Tree:
    """The state of a tree at one moment: raw entries and the summary."""

    def __init__(self, root):
        self.raw = tree_snapshot(root)
        self.devices, self.vfio = device_states(root)


def explained(rel, before, after):
    """Is a raw change at rel part of what the per-function summary shows?
    (A function that came or went, a driver that changed, the files the
    kernel changes with them.)"""
    bd, ad = before.devices, after.devices
    new = set(ad) - set(bd)
    gone = set(bd) - set(ad)
    moved = new | gone
    paths = {s["path"]: b for b, s in list(bd.items()) + list(ad.items())}
    changed = {b for b in set(bd) & set(ad) if bd[b] != ad[b]}
    parts = rel.split("/")
    if parts[0] == "dev":
        return parts[1:2] == ["vfio"]
    sub = "/".join(parts[1:])
    # below a function's own directory (the deepest: bridges hold theirs)
    for p, bdf in sorted(paths.items(), key=lambda x: -len(x[0])):
        if sub == p or sub.startswith(p + "/"):
            if bdf in moved:
                return True
            tail = sub[len(p) + 1:]
            if bdf not in changed:
                return False
            b, a = bd[bdf], ad[bdf]
            first = tail.split("/")[0]
            if first == "driver" or tail == "uevent":
                return b["driver"] != a["driver"]
            if first in ("driver_override", "sriov_numvfs", "sriov_drivers_autoprobe"):
                return b.get(first) != a.get(first)
            if re.fullmatch(r"virtfn\d+", first) or tail == "config":
                return b.get("virtfn") != a.get("virtfn")
            if first == "vfio-dev":
                return b["vfio_dev"] != a["vfio_dev"]
            if first == "net":
                return b["net"] != a["net"]
            if first == "nvidia":
                return b["vgpu"] != a["vgpu"]
            return False
    # links to functions elsewhere in sysfs
    m = re.fullmatch(r"bus/pci/drivers/([^/]+)/([^/]+)", sub)
    if m and BDF_RE.match(m.group(2)):
        b = m.group(2)
        return b in moved or (b in changed and bd[b]["driver"] != ad[b]["driver"])
    m = re.fullmatch(r"(bus/pci/devices|devices/virtual/iommu/[^/]+/devices)/([^/]+)", sub)
    if m:
        return m.group(2) in moved
    m = re.fullmatch(r"kernel/iommu_groups/(\d+)(/.*)?", sub)
    if m:
        groups = {s["iommu_group"] for b in moved for s in (bd.get(b), ad.get(b)) if s}
        return m.group(1) in groups
    m = re.fullmatch(r"class/net/([^/]+)", sub)
    if m:
        nets = set()
        for b in changed | moved:
            for s in (bd.get(b), ad.get(b)):
                if s and s["net"]:
                    nets.update(s["net"].split())
        return m.group(1) in nets
    return False


def render_tree_change(before, after):
    """The transcript lines of what changed between two Trees ([]: nothing)."""
    out = []
    bd, ad = before.devices, after.devices
    for bdf in sorted(set(bd) | set(ad)):
        b, a = bd.get(bdf), ad.get(bdf)
        if b == a:
            continue
        if b is None:
            out.append(f"  {bdf}  new: {describe(a)}")
        elif a is None:
            out.append(f"  {bdf}  removed (was: {describe(b)})")
        else:
            diffs = []
            for key, label, none in FIELDS:
                if b.get(key) != a.get(key):
                    diffs.append(f"{label} {fmt(b.get(key), none)} -> {fmt(a.get(key), none)}")
            if b["path"] != a["path"]:
                diffs.append(f"path {b['path']} -> {a['path']}")
            out.append(f"  {bdf}  " + ", ".join(diffs))
    for rel in sorted(set(before.vfio) | set(after.vfio)):
        if rel not in after.vfio:
            out.append(f"  {rel}  removed")
        elif rel not in before.vfio:
            out.append(f"  {rel}  new")
    other = []
    for rel in sorted(set(before.raw) | set(after.raw)):
        if before.raw.get(rel) == after.raw.get(rel):
            continue
        if explained(rel, before, after):
            continue
        what = ("new" if rel not in before.raw else
                "removed" if rel not in after.raw else "changed")
        other.append(f"  {rel}  ({what})")
    if other:
        # collapse everything below a new or removed directory
        kept = []
        for line in other:
            rel = line.split()[0]
            if any(rel.startswith(k.split()[0] + "/") for k in kept
                   if k.endswith("(new)") or k.endswith("(removed)")):
                continue
            kept.append(line)
        out += kept
    return out


def tree_diff_paths(a, b, limit=20):
    keys = sorted(set(a.raw) | set(b.raw))
    d = [k for k in keys if a.raw.get(k) != b.raw.get(k)]
    lines = []
    for k in d[:limit]:
        what = ("only in the snapshot" if k not in b.raw else
                "not in the snapshot" if k not in a.raw else "differs")
        lines.append(f"  {k}  ({what})")
    if len(d) > limit:
        lines.append(f"  ... {len(d) - limit} more")
    return lines


# ---------------------------------------------------------------------------
# The conf dir
# ---------------------------------------------------------------------------

def conf_snapshot(conf):
    snap = {}
    for top, dirs, files in os.walk(conf):
        dirs.sort()
        for name in sorted(dirs) + sorted(files):
            p = os.path.join(top, name)
            rel = os.path.relpath(p, conf)
            st = os.lstat(p)
            if stat.S_ISDIR(st.st_mode):
                snap[rel + "/"] = ("dir", stat.S_IMODE(st.st_mode), None)
            elif stat.S_ISLNK(st.st_mode):
                snap[rel] = ("link", None, os.readlink(p))
            else:
                with open(p, "rb") as f:
                    snap[rel] = ("file", stat.S_IMODE(st.st_mode), f.read())
    return snap


def render_conf_change(before, after):
    out = []
    for rel in sorted(set(before) | set(after)):
        if rel not in after:
            out.append(f"  {rel}  (removed)")
            continue
        if before.get(rel) == after[rel]:
            continue
        kind, mode, data = after[rel]
        what = "new" if rel not in before else "changed"
        if kind == "dir":
            out.append(f"  {rel}  (dir {mode:04o}, {what})")
            continue
        if kind == "link":
            out.append(f"  {rel}  (symlink to {data}, {what})")
            continue
        text = data.decode("utf-8", "backslashreplace")
        out.append(f"  {rel}  ({mode:04o}, {what}{', empty' if not text else ''})")
        body = text.split("\n")
        if body[-1] == "":
            body.pop()
        elif text:
            body.append("\\ no newline at end of file")
        out += [mark_blanks("  | " + b) if b else "  |" for b in body]
    return out


def mark_blanks(line):
    """A "$" after trailing blanks, so that they are seen and kept."""
    return line + "$" if line != line.rstrip() else line


# ---------------------------------------------------------------------------
# The daemon
# ---------------------------------------------------------------------------

class Kernel:
    """fakekernel on one tree, from start to stop."""

    def __init__(self, binary, root, ready_timeout=60):
        self.root = root
        self.state = os.path.join(root, ".fakekernel")
        os.makedirs(self.state, exist_ok=True)
        # made by the first sync: none at start is no rules (and a control
        # file there at start makes an ASan build of the daemon report a
        # leak of its path at exit, tests/fakekernel/fakekernel.c:2711)
        self.control = os.path.join(self.state, "control")
        self.control_text = ""
        self.log = os.path.join(self.state, "log")
        self.errf = open(os.path.join(root, "fakekernel.stderr"), "w+")
        r, w = os.pipe()
        self.proc = subprocess.Popen([binary, "--root", root, "--ready-fd", str(w),
                                      "--exit-with-parent"], pass_fds=(w,),
                                     stdin=subprocess.DEVNULL, stdout=self.errf,
                                     stderr=self.errf)
        os.close(w)
        with os.fdopen(r) as f:
            line = f.readline()      # EOF: it died before it was ready
        if line != "ready\n":
            code = self.proc.wait(ready_timeout)
            raise ScenarioError(f"fakekernel did not start (exit {code}): {self.stderr()}")
        self.offset = self.log_size()

    def stderr(self):
        self.errf.flush()
        with open(self.errf.name) as f:
            return f.read()

    def log_size(self):
        try:
            return os.path.getsize(self.log)
        except FileNotFoundError:
            return 0

    def read_from(self, offset):
        with open(self.log, "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "backslashreplace")

    def sync(self):
        """Everything written so far handled: rewrite the control file (the
        daemon logs its reload in order with the writes before it) and wait
        for that line. Returns the log lines since the last sync, the
        reload line left out."""
        start = self.offset
        with open(self.control, "w") as f:
            f.write(self.control_text)
        marker = re.compile(r"^#\d+ " + re.escape(self.control) + r": ", re.M)
        deadline = time.monotonic() + SYNC_TIMEOUT
        while True:
            text = self.read_from(start)
            m = marker.search(text)
            end = text.find("\n", m.start()) + 1 if m else 0
            if end:
                break
            if self.proc.poll() is not None:
                raise ScenarioError(f"fakekernel exited ({self.proc.returncode}): "
                                    f"{self.stderr()}")
            if time.monotonic() > deadline:
                raise ScenarioError("fakekernel did not log its control reload in "
                                    f"{SYNC_TIMEOUT} s")
            time.sleep(0.005)
        self.offset = start + len(text[:end].encode())
        body = text[:m.start()]
        return body.splitlines(), text[m.start():end].rstrip("\n")

    def set_control(self, lines):
        self.control_text = "".join(x + "\n" for x in lines)
        return self.sync()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise ScenarioError("fakekernel did not exit on SIGTERM")
        err = self.stderr()
        self.errf.close()
        if code != 0 or err:
            raise ScenarioError(f"fakekernel exited {code}: {err}")


# ---------------------------------------------------------------------------
# JSON schemas: the subset of JSON Schema the schema files use
# ---------------------------------------------------------------------------

JSON_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
SCHEMA_KEYS = {"$schema", "$id", "$defs", "$ref", "title", "description", "type",
               "properties", "required", "additionalProperties", "items", "enum",
               "minimum", "minItems", "pattern", "const"}


def validate(value, schema, root, where="$"):
    """Errors (strings) of value against schema."""
    unknown = set(schema) - SCHEMA_KEYS
    if unknown:
        return [f"{where}: the schema uses {sorted(unknown)}, which run.py does not check"]
    if "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/$defs/"):
            return [f"{where}: $ref {ref} not supported"]
        return validate(value, root["$defs"][ref[8:]], root, where)
    errs = []
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(JSON_TYPES[t](value) for t in types):
            return [f"{where}: {json.dumps(value)[:60]} is not of type {'/'.join(types)}"]
    if "const" in schema and value != schema["const"]:
        errs.append(f"{where}: {value!r} is not {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        errs.append(f"{where}: {value!r} is not one of {schema['enum']}")
    if "minimum" in schema and JSON_TYPES["number"](value) and value < schema["minimum"]:
        errs.append(f"{where}: {value} is below {schema['minimum']}")
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        errs.append(f"{where}: {value!r} does not match /{schema['pattern']}/")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for k in schema.get("required", []):
            if k not in value:
                errs.append(f"{where}: no key {k!r}")
        for k, v in value.items():
            if k in props:
                errs += validate(v, props[k], root, f"{where}.{k}")
            elif schema.get("additionalProperties") is False:
                errs.append(f"{where}: key {k!r} not in the schema")
            elif isinstance(schema.get("additionalProperties"), dict):
                errs += validate(v, schema["additionalProperties"], root, f"{where}.{k}")
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            errs.append(f"{where}: fewer than {schema['minItems']} items")
        if "items" in schema:
            for i, v in enumerate(value):
                errs += validate(v, schema["items"], root, f"{where}[{i}]")
    return errs


# ---------------------------------------------------------------------------
# Running a scenario
# ---------------------------------------------------------------------------

def pt_verb(argv):
    """("group", "apply") for pt group apply ..., pt-group apply ..."""
    if not argv:
        return None, None
    prog = os.path.basename(argv[0])
    rest = argv[1:]
    if prog.startswith("pt-"):
        cmd = prog[3:]
    elif prog == "pt" and rest:
        cmd, rest = rest[0], rest[1:]
    else:
        return None, None
    verb = next((a for a in rest if not a.startswith("-")), None)
    return cmd, verb


def has_json_flag(argv):
    return any(a in ("--json", "-j") or (re.fullmatch(r"-[a-zA-Z]*j[a-zA-Z]*", a) and
                                         not a.startswith("--")) for a in argv)


class Runner:
    def __init__(self, args, profile, workdir):
        self.args = args
        self.profile = profile
        self.workdir = workdir
        self.conf = os.path.join(workdir, "conf")
        os.mkdir(self.conf)
        self.root = os.path.join(workdir, "root")
        subprocess.run([sys.executable, args.gen_sysfs, "-q", "--profile", profile,
                        self.root], check=True)
        with open(os.path.join(self.root, "fixture.json")) as f:
            kver = json.load(f)["kernel"]
        self.sanitizer = []
        self.snapshots = {}
        self.last_stdout = None
        env = {k: v for k, v in os.environ.items() if not k.startswith("PT_")}
        env.update(LC_ALL="C", PT_CONF_DIR=self.conf,
                   PT_SYSFS_ROOT=os.path.join(self.root, "sys"),
                   PT_PROC_ROOT=os.path.join(self.root, "proc"),
                   PT_DEV_ROOT=os.path.join(self.root, "dev"),
                   PT_MODULES_DIR=os.path.join(self.root, "lib", "modules", kver))
        self.env = env
        bindir = os.path.dirname(os.path.abspath(args.pt))
        self.bins = {"pt": os.path.abspath(args.pt),
                     "pt-group": os.path.join(bindir, "pt-group"),
                     "pt-rule": os.path.join(bindir, "pt-rule")}
        self.kernel = None
        self.snapshots["start"] = Tree(self.root)
        self.kernel = Kernel(args.fakekernel, self.root)
        # the daemon changes nothing by starting
        now = Tree(self.root)
        if now.raw != self.snapshots["start"].raw:
            self.close()
            raise ScenarioError("the tree changed when fakekernel started:\n" +
                                "\n".join(tree_diff_paths(self.snapshots["start"], now)))

    def reboot(self):
        self.close()
        subprocess.run([sys.executable, self.args.gen_sysfs, "-q", "--profile",
                        self.profile, self.root], check=True)
        now = Tree(self.root)
        if now.raw != self.snapshots["start"].raw:
            raise ScenarioError("gen-sysfs wrote another tree after the reboot")
        # no injected failures survive a reboot (and see Kernel: no control
        # file at start)
        try:
            os.unlink(os.path.join(self.root, ".fakekernel", "control"))
        except FileNotFoundError:
            pass
        self.kernel = Kernel(self.args.fakekernel, self.root)
        return ["reboot"]

    def close(self):
        if self.kernel:
            k, self.kernel = self.kernel, None
            k.stop()

    def subst_in(self, text):
        return text.replace("@CONF@", self.conf).replace("@ROOT@", self.root)

    def subst_out(self, text):
        return text.replace(self.conf, "@CONF@").replace(self.root, "@ROOT@")

    @staticmethod
    def lines(prefix, text):
        if not text:
            return []
        body = text.split("\n")
        if body[-1] == "":
            body.pop()
        else:
            body.append("\\ no newline at end")
        return [mark_blanks(prefix + b) if b else prefix.rstrip() for b in body]

    def kernel_lines(self, log):
        out = []
        for line in log:
            line = re.sub(r"^#\d+ ", "", line)
            out.append(mark_blanks("k| " + line))
        return out

    def run(self, line):
        argv = shlex.split(self.subst_in(line))
        if argv and argv[0] in self.bins:
            argv[0] = self.bins[argv[0]]
        cmd, verb = pt_verb(argv)
        binder = cmd == "group" and verb in ("apply", "release")
        tree0, conf0 = Tree(self.root), conf_snapshot(self.conf)
        p = subprocess.run(argv, env=self.env, capture_output=True, text=True,
                           errors="backslashreplace", timeout=120,
                           preexec_fn=lambda: os.umask(0o022))
        log, _ = self.kernel.sync()
        tree1, conf1 = Tree(self.root), conf_snapshot(self.conf)
        if SANITIZER_RE.search(p.stderr):
            self.sanitizer.append(line)
        out = ["$ " + line]
        stdout = p.stdout
        self.last_stdout = stdout
        if stdout and has_json_flag(argv):
            try:
                stdout = json.dumps(json.loads(stdout), indent=2, ensure_ascii=False) + "\n"
            except ValueError as e:
                out.append(f"(stdout is not JSON: {e})")
        out += self.lines("1| ", stdout)
        out += self.lines("2| ", p.stderr)
        out.append(f"[exit {p.returncode}]")
        if log:
            out += self.kernel_lines(log)
        elif binder:
            out.append("kernel: no writes")
        change = render_tree_change(tree0, tree1)
        if change:
            out += ["sysfs:"] + change
        elif tree0.raw != tree1.raw:
            # cannot be: render_tree_change lists every raw change
            out += ["sysfs: changed, unexplained:"] + tree_diff_paths(tree0, tree1)
        elif binder:
            out.append("sysfs: unchanged")
        conf = render_conf_change(conf0, conf1)
        if conf:
            out += ["files:"] + conf
        elif binder:
            out.append("files: unchanged")
        return [self.subst_out(x) for x in out]

    def write(self, rel, content):
        path = os.path.join(self.conf, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write("".join(c + "\n" for c in content))
        return ["write " + rel] + [("| " + c) if c else "|" for c in content]

    def control(self, content):
        log, reload = self.kernel.set_control(content)
        out = ["control"] + [("| " + c) if c else "|" for c in content]
        out += self.kernel_lines(log + [reload])
        return [self.subst_out(x) for x in out]

    def snapshot(self, name):
        self.snapshots[name] = Tree(self.root)
        return [f"snapshot {name}"]

    def same_as(self, name):
        if name not in self.snapshots:
            raise ScenarioError(f"same-as {name}: no such snapshot")
        now = Tree(self.root)
        then = self.snapshots[name]
        if now.raw == then.raw:
            return [f"same-as {name}: the tree is as it was, byte for byte"]
        return ([f"same-as {name}: the tree DIFFERS:"] + render_tree_change(then, now) +
                ["  paths:"] + tree_diff_paths(then, now))

    def state(self, bdfs):
        devices, vfio = device_states(self.root)
        out = ["state"]
        for bdf in bdfs:
            s = devices.get(bdf)
            out.append(f"  {bdf}  " + (describe(s) if s else "(no such function)"))
            if s and s.get("iommu_group"):
                node = os.path.join("dev", "vfio", s["iommu_group"])
                out.append(f"    {node}: {'present' if node in vfio else 'absent'}")
        return out

    def schema(self, name):
        with open(os.path.join(SCHEMAS, name)) as f:
            schema = json.load(f)
        try:
            doc = json.loads(self.last_stdout or "")
        except ValueError as e:
            return [f"schema {name}: stdout is not JSON: {e}"]
        errs = validate(doc, schema, schema)
        try:
            import jsonschema    # a second opinion where it is installed
            v = jsonschema.Draft202012Validator(schema)
            errs += ["jsonschema: " + e.message for e in v.iter_errors(doc)]
        except ImportError:
            pass
        if errs:
            return [f"schema {name}: INVALID"] + ["  " + e for e in errs]
        return [f"schema {name}: valid"]


def transcript(args, path):
    profile, steps = parse_scenario(path)
    workdir = tempfile.mkdtemp(prefix="pt-apply-", dir=args.work)
    r = None
    try:
        r = Runner(args, profile, workdir)
        out = []
        for kind, payload, _ in steps:
            if kind == "comment":
                if payload and out and out[-1] and not out[-1].startswith("#"):
                    out.append("")
                out.append(payload)
                continue
            if kind == "fixture":
                out.append("fixture " + payload)
                continue
            if out and out[-1] != "" and not out[-1].startswith("#"):
                out.append("")
            if kind == "cmd":
                out += r.run(payload)
            elif kind == "write":
                out += r.write(*payload)
            elif kind == "control":
                out += r.control(payload)
            elif kind == "snapshot":
                out += r.snapshot(payload)
            elif kind == "reboot":
                out += r.reboot()
            elif kind == "same-as":
                out += r.same_as(payload)
            elif kind == "state":
                out += r.state(payload)
            elif kind == "schema":
                out += r.schema(payload)
        r.close()
        return "\n".join(out) + "\n", r.sanitizer
    finally:
        if r:
            try:
                r.close()
            except ScenarioError:
                pass
        if os.environ.get("PT_KEEP_TMP"):
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def default_work():
    """Trees on a tmpfs when there is one: many small files, written often."""
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        return "/dev/shm"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pt", required=True, help="the pt binary of the build")
    ap.add_argument("--fakekernel", required=True, help="the fakekernel binary of the build")
    ap.add_argument("--gen-sysfs", default=os.path.join(HERE, "..", "fixtures", "gen-sysfs"))
    ap.add_argument("--work", default=default_work(),
                    help="where the trees go (default: /dev/shm, else $TMPDIR)")
    ap.add_argument("--check-xfail", action="store_true",
                    help="only check that every XFAIL entry names a scenario and "
                    "that every bug-* scenario is in XFAIL")
    ap.add_argument("scenario", nargs="*", help="scenario names (default: all)")
    args = ap.parse_args()

    have = sorted(f[:-4] for f in os.listdir(SCENARIOS) if f.endswith(".scn"))
    if args.check_xfail:
        bad = sorted(set(XFAIL) - set(have)) + sorted(n for n in set(have) - set(XFAIL)
                                                      if n.startswith("bug-"))
        for n in bad:
            print(f"{n}: " + (f"in XFAIL but no scenarios/{n}.scn" if n in XFAIL else
                              "a bug-* scenario not in XFAIL"))
        return 1 if bad else 0

    names = args.scenario or have
    update = os.environ.get("PT_UPDATE_GOLDEN") == "1"
    failed = []
    for name in names:
        name = os.path.basename(name)
        if name.endswith(".scn"):
            name = name[:-4]
        scn = os.path.join(SCENARIOS, name + ".scn")
        gold = os.path.join(GOLDEN, name + ".out")
        try:
            actual, sanitized = transcript(args, scn)
        except (OSError, ScenarioError, subprocess.SubprocessError) as e:
            print(f"ERROR {name}: {e}")
            failed.append(name)
            continue
        if sanitized and name in XFAIL:
            # the bug it shows may be what the sanitizer saw
            print(f"XFAIL {name}: {XFAIL[name]} (a sanitizer reported on: "
                  + "; ".join(sanitized) + ")")
            continue
        if sanitized:
            print(f"FAIL  {name}: a sanitizer reported on: " + "; ".join(sanitized))
            failed.append(name)
            continue
        try:
            with open(gold) as f:
                expected = f.read()
        except FileNotFoundError:
            expected = None
        if update and name in XFAIL and expected is None:
            with open(gold, "w") as f:
                f.write(actual)
            print(f"WROTE {gold}: what the commands do now; edit it to what "
                  "they should do (the scenario is expected to fail)")
            continue
        if update and name not in XFAIL:
            if actual != expected:
                with open(gold, "w") as f:
                    f.write(actual)
                print(f"WROTE {gold}")
            else:
                print(f"ok    {name}")
            continue
        if expected is None:
            print(f"FAIL  {name}: no golden file {gold} (PT_UPDATE_GOLDEN=1 writes it)")
            failed.append(name)
            continue
        diff = "".join(difflib.unified_diff(
            expected.splitlines(True), actual.splitlines(True),
            "golden/" + name + ".out", "actual"))
        if name in XFAIL:
            if diff:
                print(f"XFAIL {name}: {XFAIL[name]}\n{diff}")
            else:
                print(f"XPASS {name}: the bug is fixed ({XFAIL[name]}); "
                      "take it out of XFAIL in tests/apply/run.py")
                failed.append(name)
        elif diff:
            print(f"FAIL  {name}\n{diff}")
            failed.append(name)
        else:
            print(f"ok    {name}")
    if failed:
        print(f"{len(failed)} of {len(names)} failed: {' '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
