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
    nvml                         append lines to tests/fakenvml's state
    | fail 0000:44:00.0 nvmlDeviceCreateGpuInstance 3
                                 (injected failures, a busy GPU: see
                                 tests/fakenvml/fakenvml.c)
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
none); then what changed in the tree (nvml/state, what tests/fakenvml holds,
included), per PCI function (driver, driver
override, VF count, autoprobe, virtfn links, vfio device, netdevs, vGPU
type, IOMMU group), per dev/vfio node, and every other path that changed
and none of those explains ("sysfs: unchanged" after an apply or release
that changed nothing, compared byte for byte); then the conf dir entries
that are new, changed or removed, with the content of new and changed
files ("files: unchanged" after an apply or release that changed none).
"""
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import golden  # noqa: E402
from golden import ScenarioError, mark_blanks  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMAS = os.path.join(HERE, "schema")

# Scenarios whose golden file says what the commands SHOULD do and the
# commands do not do yet: name -> the bug (tests/golden.py: XFAIL).
XFAIL = {
}

PROFILES = ("workstation", "apply", "vgpu")

BDF_RE = re.compile(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")

# how long the daemon may take to log a control reload (it is local and
# quick; an ASan build on a loaded 2-core machine is slower)
SYNC_TIMEOUT = 30


# ---------------------------------------------------------------------------
# Scenario files
# ---------------------------------------------------------------------------

def directive(words, line, body, where):
    """This runner's own scenario lines (tests/golden.py parses the rest)."""
    if words[0] == "control" and len(words) == 1:
        return "control", body()
    if words[0] == "nvml" and len(words) == 1:
        return "nvml", body()
    if words[0] == "reboot" and len(words) == 1:
        return "reboot", None
    if words[0] in ("snapshot", "same-as") and len(words) == 2:
        return words[0], words[1]
    if words[0] == "state" and len(words) > 1:
        bad = [w for w in words[1:] if not BDF_RE.match(w)]
        if bad:
            raise ScenarioError(f"{where}: state takes BDFs, not {bad[0]!r}")
        return "state", words[1:]
    if words[0] == "schema" and len(words) == 2:
        if not os.path.exists(os.path.join(SCHEMAS, words[1])):
            raise ScenarioError(f"{where}: no schema/{words[1]}")
        return "schema", words[1]
    raise ScenarioError(f"{where}: cannot parse: {line!r}")


def parse_scenario(path):
    """(profile, [(kind, payload, lineno)])"""
    return golden.parse_scenario(path, PROFILES, directive)


# ---------------------------------------------------------------------------
# The tree: raw snapshots and the state of each PCI function
# ---------------------------------------------------------------------------

def tree_snapshot(root):
    """{relpath: entry} of everything below sys/ and dev/ (the daemon's
    .fakekernel/ is outside both): ("dir", mode), ("link", target) or
    ("file", mode, content). A write-only file that cannot be read (not
    root) counts by its size."""
    out = {}
    for top in ("sys", "dev", "nvml"):
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


def nvml_change(before, after):
    """tests/fakenvml's state, the lines gone ("n| -") and new ("n| +")."""
    key = os.path.join("nvml", "state")
    a, b = before.raw.get(key), after.raw.get(key)
    if a == b or not a or not b:
        return []
    old = a[2].decode().splitlines()
    new = b[2].decode().splitlines()
    return (["n| -" + x for x in old if x not in new] +
            ["n| +" + x for x in new if x not in old])


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

def render_conf_change(before, after):
    """The conf dir entries that are new, changed (kind, mode, content) or
    removed, with the content of new and changed files."""
    out = []
    for rel in sorted(set(before) | set(after)):
        if rel in before and rel in after and before[rel][:3] == after[rel][:3]:
            continue
        what = "new" if rel not in before else "changed"
        out += golden.conf_entry(rel, after.get(rel), what, what)
    return out


# ---------------------------------------------------------------------------
# The daemon
# ---------------------------------------------------------------------------

class Kernel:
    """fakekernel on one tree, from start to stop."""

    def __init__(self, binary, root, ready_timeout=60):
        self.root = root
        self.state = os.path.join(root, ".fakekernel")
        os.makedirs(self.state, exist_ok=True)
        # no rules at start: no injected failure survives a reboot
        self.control = os.path.join(self.state, "control")
        self.control_text = ""
        with open(self.control, "w") as f:
            f.write(self.control_text)
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
        # NVML is tests/fakenvml over the tree's nvml/state (no file: no driver)
        if args.fakenvml:
            env.update(PT_NVML_LIBRARY=os.path.abspath(args.fakenvml),
                       FAKENVML_STATE=os.path.join(self.root, "nvml", "state"))
        self.env = env
        self.bins = golden.binaries(args.pt)
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

    def kernel_lines(self, log):
        out = []
        for line in log:
            line = re.sub(r"^#\d+ ", "", line)
            out.append(mark_blanks("k| " + line))
        return out

    def run(self, line):
        argv = golden.split_command(self.subst_in(line), self.bins)
        cmd, verb = pt_verb(argv)
        binder = cmd == "group" and verb in ("apply", "release")
        tree0, conf0 = Tree(self.root), golden.conf_snapshot(self.conf)
        p, out, sanitized = golden.run_command(line, argv, self.env, 0o022)
        log, _ = self.kernel.sync()
        tree1, conf1 = Tree(self.root), golden.conf_snapshot(self.conf)
        if sanitized:
            self.sanitizer.append(line)
        self.last_stdout = p.stdout
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
        out += nvml_change(tree0, tree1)
        conf = render_conf_change(conf0, conf1)
        if conf:
            out += ["files:"] + conf
        elif binder:
            out.append("files: unchanged")
        return [self.subst_out(x) for x in out]

    def nvml(self, lines):
        """Append lines to tests/fakenvml's state (injected failures, a busy GPU)."""
        with open(os.path.join(self.root, "nvml", "state"), "a") as f:
            f.write("".join(line + "\n" for line in lines))
        return ["nvml"] + ["| " + line for line in lines]

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
    with golden.workdir("pt-apply-", args.work) as work:
        r = Runner(args, profile, work)
        try:
            text = golden.assemble(steps, {
                "cmd": r.run,
                "write": lambda p: golden.write_file(r.conf, *p),
                "control": r.control,
                "nvml": r.nvml,
                "snapshot": r.snapshot,
                "reboot": lambda p: r.reboot(),
                "same-as": r.same_as,
                "state": r.state,
                "schema": r.schema,
            })
            r.close()
            return text, r.sanitizer
        finally:
            try:
                r.close()
            except ScenarioError:
                pass


def default_work():
    """Trees on a tmpfs when there is one: many small files, written often."""
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        return "/dev/shm"
    return None


def main():
    ap = golden.arguments(__doc__, os.path.join(HERE, "scenarios"))
    ap.add_argument("--fakekernel", required=True, help="the fakekernel binary of the build")
    ap.add_argument("--fakenvml", help="tests/fakenvml's library of the build (PT_NVML_LIBRARY)")
    ap.add_argument("--work", default=default_work(),
                    help="where the trees go (default: /dev/shm, else $TMPDIR)")
    args = ap.parse_args()
    return golden.main(args, HERE, XFAIL, lambda scn: transcript(args, scn))


if __name__ == "__main__":
    sys.exit(main())
