#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Golden CLI tests for pt group and pt rule on fixture trees.

    run.py --pt BUILD/pt [--gen-sysfs GEN] [--umockdev-run PATH]
           [--usb-host FILE.umockdev] [SCENARIO...]

Each scenario (scenarios/NAME.scn) is a script of commands run against a
fresh, empty conf dir; the transcript of what they did is compared with
golden/NAME.out. Without SCENARIO every scenario runs. With
PT_UPDATE_GOLDEN=1 in the environment the golden files are rewritten from
what the commands print now (the expected-to-fail ones excepted: their
golden file holds what the commands SHOULD print; see XFAIL below).

Scenario files:

    # comment                    copied into the transcript
    fixture workstation          the first line that is not a comment:
    fixture usb                  "workstation": a gen-sysfs tree, named to
    fixture none                 pt through PT_SYSFS_ROOT, PT_PROC_ROOT and
                                 PT_DEV_ROOT; "usb": every command runs under
                                 umockdev-run with tests/usb/host.umockdev
                                 (USB is only enumerated live); "none": no
                                 fixture (empty roots), for state-only work.
    $ pt group create gpu --type pci
                                 a command, split like sh words (shlex);
                                 pt, pt-group and pt-rule are the binaries
                                 of the build. @HOSTNAME@ is this host's
                                 name, @CONF@ the conf dir.
    write groups.d/x.ini         write a file under the conf dir (a hand
    | [group]                    edit); its lines follow, each after "| ".
    | type = pci
    symlink groups.d/y.ini x.ini make a symbolic link under the conf dir;
    remove groups.d/y.ini        remove a file there.
    umask 077                    the umask of the commands that follow
                                 (022 until then, whatever the caller's).

The transcript holds, for each command: "$ " and the command as written,
stdout lines after "1| " (a JSON document re-printed with two-space
indents: key order is kept, json-c's spacing is not part of the format),
stderr lines after "2| ", "[exit N]", and, after a command that writes
(group create/set/unset/delete/make-resource, rule add/remove) or any
command that changed the conf dir, every entry under the conf dir with
its mode, whether it is new, changed, rewritten with the same content,
unchanged or removed, and the content of the new and changed files
after "  | "; or "files: unchanged" when nothing at all changed (same
names, modes, content, inodes and mtimes: nothing was rewritten). A line
that ends in blanks gets a "$" after them, so that no editor can drop
them unseen. The conf dir path, the fixture root and the host name read
@CONF@, @ROOT@ and @HOSTNAME@ there.
"""
import argparse
import difflib
import json
import os
import re
import shlex
import shutil
import socket
import stat
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIOS = os.path.join(HERE, "scenarios")
GOLDEN = os.path.join(HERE, "golden")

# Scenarios whose golden file says what the commands SHOULD do and the
# commands do not do yet. Each names the bug; when it is fixed the
# scenario passes, the driver reports XPASS and fails: take it out of
# this list then.
XFAIL = {
}

# A sanitizer's report fails a scenario even where it is expected to fail.
SANITIZER_RE = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: "
                          r"|ERROR: UndefinedBehaviorSanitizer")

WRITE_VERBS = {
    "group": {"create", "set", "unset", "delete", "make-resource"},
    "rule": {"add", "remove"},
}


class ScenarioError(Exception):
    pass


def parse_scenario(path):
    """(fixture, [(kind, payload, lineno)]): kinds "comment", "fixture",
    "cmd", "write" ((relpath, [lines])), "symlink" ((relpath, target)),
    "remove" (relpath) and "umask" (mask)."""
    steps = []
    fixture = None
    with open(path) as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    i = 0
    while i < len(lines):
        line, no = lines[i], i + 1
        i += 1
        if line.startswith("#") or not line.strip():
            steps.append(("comment", line, no))
        elif line.startswith("fixture "):
            if fixture is not None:
                raise ScenarioError(f"{path}:{no}: a second fixture line")
            fixture = line.split(None, 1)[1].strip()
            if fixture not in ("workstation", "usb", "none"):
                raise ScenarioError(f"{path}:{no}: unknown fixture '{fixture}'")
            steps.append(("fixture", fixture, no))
        elif line.startswith("$ "):
            if fixture is None:
                raise ScenarioError(f"{path}:{no}: a command before the fixture line")
            steps.append(("cmd", line[2:], no))
        elif line.startswith("umask "):
            try:
                steps.append(("umask", int(line.split()[1], 8), no))
            except (IndexError, ValueError):
                raise ScenarioError(f"{path}:{no}: umask takes an octal mask")
        elif line.startswith("remove "):
            rel = line.split(None, 1)[1].strip()
            if rel.startswith("/") or ".." in rel.split("/"):
                raise ScenarioError(f"{path}:{no}: remove takes a path under the conf dir")
            steps.append(("remove", rel, no))
        elif line.startswith("symlink "):
            parts = line.split()
            if len(parts) != 3 or parts[1].startswith("/") or ".." in parts[1].split("/"):
                raise ScenarioError(f"{path}:{no}: symlink PATH TARGET, PATH under the conf dir")
            steps.append(("symlink", (parts[1], parts[2]), no))
        elif line.startswith("write "):
            rel = line.split(None, 1)[1].strip()
            if rel.startswith("/") or ".." in rel.split("/"):
                raise ScenarioError(f"{path}:{no}: write takes a path under the conf dir")
            content = []
            while i < len(lines) and (lines[i] == "|" or lines[i].startswith("| ")):
                content.append(lines[i][2:])
                i += 1
            steps.append(("write", (rel, content), no))
        else:
            raise ScenarioError(f"{path}:{no}: cannot parse: {line!r}")
    if fixture is None:
        raise ScenarioError(f"{path}: no fixture line")
    return fixture, steps


def snapshot(conf):
    """{relpath: (kind, mode, content, ino, mtime_ns)} of everything under conf."""
    snap = {}
    for top, dirs, files in os.walk(conf):
        dirs.sort()
        for name in sorted(dirs) + sorted(files):
            p = os.path.join(top, name)
            rel = os.path.relpath(p, conf)
            st = os.lstat(p)
            if stat.S_ISDIR(st.st_mode):
                snap[rel + "/"] = ("dir", stat.S_IMODE(st.st_mode), None, None, None)
            elif stat.S_ISLNK(st.st_mode):
                snap[rel] = ("link", None, os.readlink(p), st.st_ino, None)
            elif stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    data = f.read()
                snap[rel] = ("file", stat.S_IMODE(st.st_mode), data, st.st_ino,
                             st.st_mtime_ns)
            else:
                snap[rel] = ("other", stat.S_IMODE(st.st_mode), None, None, None)
    return snap


def render_files(before, after):
    """Every entry under the conf dir: name and mode; the content of those
    that are new or changed; "removed" for those that went away."""
    out = ["files:"]
    for rel in sorted(set(before) | set(after)):
        if rel not in after:
            out.append(f"  {rel}  (removed)")
            continue
        kind, mode, data, ino, mtime = after[rel]
        old = before.get(rel)
        if kind == "dir":
            out.append(f"  {rel}  (dir {mode:04o}{'' if old else ', new'})")
            continue
        if kind == "link":
            out.append(f"  {rel}  (symlink to {data})")
            continue
        if kind == "other":
            out.append(f"  {rel}  (not a regular file)")
            continue
        if old is None:
            what = "new"
        elif old[2] != data or old[1] != mode:
            what = "changed"
        elif old != after[rel]:
            what = "rewritten, same content"
        else:
            what = "unchanged"
        text = data.decode("utf-8", "backslashreplace")
        out.append(f"  {rel}  ({mode:04o}, {what}{', empty' if not text else ''})")
        if what not in ("new", "changed") or not text:
            continue
        body = text.split("\n")
        if body[-1] == "":
            body.pop()
        else:
            body.append("\\ no newline at end of file")
        out += [mark_blanks("  | " + b) if b else "  |" for b in body]
    return out


def mark_blanks(line):
    """A "$" after trailing blanks, so that they are seen and kept."""
    return line + "$" if line != line.rstrip() else line


def same_state(a, b):
    return a.keys() == b.keys() and all(a[k] == b[k] for k in a)


def is_write(argv):
    """pt group create ..., pt-rule add ...: does this command write?"""
    if not argv:
        return False
    prog = os.path.basename(argv[0])
    if prog in ("pt-group", "pt-rule"):
        cmd, rest = prog[3:], argv[1:]
    elif prog == "pt" and len(argv) > 1:
        cmd, rest = argv[1], argv[2:]
    else:
        return False
    return any(a in WRITE_VERBS.get(cmd, ()) for a in rest)


def has_json_flag(argv):
    return any(a in ("--json", "-j") or (re.fullmatch(r"-[a-zA-Z]*j[a-zA-Z]*", a) and
                                         not a.startswith("--")) for a in argv)


class Runner:
    def __init__(self, args, fixture, workdir):
        self.args = args
        self.fixture = fixture
        self.conf = os.path.join(workdir, "conf")
        os.mkdir(self.conf)
        self.root = None
        self.host = socket.gethostname()
        self.sanitizer = []     # commands on which ASan/UBSan reported
        self.umask = 0o022      # modes in the transcript must not follow the caller's
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("PT_") and k != "LIBUSB_DEBUG"}
        env["LC_ALL"] = "C"
        env["PT_CONF_DIR"] = self.conf
        if fixture == "workstation":
            self.root = os.path.join(workdir, "fixture")
            subprocess.run([sys.executable, args.gen_sysfs, "-q", "--profile",
                            "workstation", self.root], check=True)
        elif fixture == "none":
            self.root = os.path.join(workdir, "empty")
            for d in ("sys", "proc", "dev"):
                os.makedirs(os.path.join(self.root, d))
        if self.root:
            env["PT_SYSFS_ROOT"] = os.path.join(self.root, "sys")
            env["PT_PROC_ROOT"] = os.path.join(self.root, "proc")
            env["PT_DEV_ROOT"] = os.path.join(self.root, "dev")
        else:
            # umockdev's preload library comes ahead of the ASan runtime of
            # a -DPT_SANITIZE=ON build; ASan must be told that is fine.
            opts = env.get("ASAN_OPTIONS", "")
            env["ASAN_OPTIONS"] = (opts + ":" if opts else "") + "verify_asan_link_order=0"
        self.env = env
        bindir = os.path.dirname(os.path.abspath(args.pt))
        self.bins = {"pt": os.path.abspath(args.pt),
                     "pt-group": os.path.join(bindir, "pt-group"),
                     "pt-rule": os.path.join(bindir, "pt-rule")}

    def subst_in(self, text):
        return text.replace("@HOSTNAME@", self.host).replace("@CONF@", self.conf)

    def subst_out(self, text):
        text = text.replace(self.conf, "@CONF@")
        if self.root:
            text = text.replace(self.root, "@ROOT@")
        if self.host:
            text = re.sub(r"(?<![\w.-])" + re.escape(self.host) + r"(?![\w-])",
                          "@HOSTNAME@", text)
        return text

    def run(self, line):
        argv = shlex.split(self.subst_in(line))
        if argv and argv[0] in self.bins:
            argv[0] = self.bins[argv[0]]
        writes = is_write(argv)
        json_out = has_json_flag(argv)
        if self.fixture == "usb":
            argv = [self.args.umockdev_run, "--device", self.args.usb_host, "--"] + argv
        before = snapshot(self.conf)
        mask = self.umask
        p = subprocess.run(argv, env=self.env, capture_output=True, text=True,
                           errors="backslashreplace", timeout=120,
                           preexec_fn=lambda: os.umask(mask))
        after = snapshot(self.conf)
        if SANITIZER_RE.search(p.stderr):
            self.sanitizer.append(line)
        out = ["$ " + line]
        stdout = p.stdout
        if stdout and json_out:
            try:
                stdout = json.dumps(json.loads(stdout), indent=2, ensure_ascii=False) + "\n"
            except ValueError as e:
                out.append(f"(stdout is not JSON: {e})")
        out += self.lines("1| ", stdout)
        out += self.lines("2| ", p.stderr)
        out.append(f"[exit {p.returncode}]")
        if not same_state(before, after):
            out += render_files(before, after)
        elif writes:
            out.append("files: unchanged")
        return [self.subst_out(x) for x in out]

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

    def symlink(self, rel, target):
        path = os.path.join(self.conf, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        os.symlink(target, path)
        return [f"symlink {rel} {target}"]

    def write(self, rel, content):
        path = os.path.join(self.conf, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write("".join(c + "\n" for c in content))
        return ["write " + rel] + [("| " + c) if c else "|" for c in content]


def transcript(args, path):
    fixture, steps = parse_scenario(path)
    workdir = tempfile.mkdtemp(prefix="pt-groups-")
    try:
        r = Runner(args, fixture, workdir)
        out = []
        for kind, payload, _ in steps:
            if kind == "comment":
                if payload and out and out[-1] and not out[-1].startswith("#"):
                    out.append("")
                out.append(payload)
            elif kind == "fixture":
                out.append("fixture " + payload)
            elif kind == "umask":
                r.umask = payload
                out.append(f"umask {payload:03o}")
            elif kind in ("write", "symlink", "remove"):
                if out and out[-1] != "" and not out[-1].startswith("#"):
                    out.append("")
                if kind == "write":
                    out += r.write(*payload)
                elif kind == "symlink":
                    out += r.symlink(*payload)
                else:
                    os.unlink(os.path.join(r.conf, payload))
                    out.append("remove " + payload)
            else:
                if out and out[-1] != "" and not out[-1].startswith("#"):
                    out.append("")
                out += r.run(payload)
        return "\n".join(out) + "\n", r.sanitizer
    finally:
        if os.environ.get("PT_KEEP_TMP"):
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pt", required=True, help="the pt binary of the build")
    ap.add_argument("--gen-sysfs", default=os.path.join(HERE, "..", "fixtures", "gen-sysfs"))
    ap.add_argument("--umockdev-run", default=shutil.which("umockdev-run"))
    ap.add_argument("--usb-host", default=os.path.join(HERE, "..", "usb", "host.umockdev"))
    ap.add_argument("--check-xfail", action="store_true",
                    help="only check that XFAIL names existing scenarios, and "
                    "that every bug-* scenario is in it")
    ap.add_argument("scenario", nargs="*", help="scenario names (default: all)")
    args = ap.parse_args()

    if args.check_xfail:
        have = {f[:-4] for f in os.listdir(SCENARIOS) if f.endswith(".scn")}
        bad = sorted(set(XFAIL) - have) + sorted(n for n in have - set(XFAIL)
                                                 if n.startswith("bug-"))
        for n in bad:
            print(f"{n}: " + ("in XFAIL but no scenarios/{n}.scn" if n in XFAIL else
                              "a bug-* scenario not in XFAIL"))
        return 1 if bad else 0

    names = args.scenario or sorted(f[:-4] for f in os.listdir(SCENARIOS)
                                    if f.endswith(".scn"))
    update = os.environ.get("PT_UPDATE_GOLDEN") == "1"
    failed, skipped = [], []
    for name in names:
        name = os.path.basename(name)
        if name.endswith(".scn"):
            name = name[:-4]
        scn = os.path.join(SCENARIOS, name + ".scn")
        gold = os.path.join(GOLDEN, name + ".out")
        try:
            fixture, _ = parse_scenario(scn)
        except (OSError, ScenarioError) as e:
            print(f"ERROR {name}: {e}")
            failed.append(name)
            continue
        if fixture == "usb" and not args.umockdev_run:
            print(f"SKIP  {name}: umockdev-run not found (Debian package umockdev)")
            skipped.append(name)
            continue
        actual, sanitized = transcript(args, scn)
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
            print(f"WROTE {gold}: what the commands print now; edit it to what "
                  "they should print (the scenario is expected to fail)")
            continue
        if update and name not in XFAIL:
            if actual != expected:
                with open(gold, "w") as f:
                    f.write(actual)
                print(f"WROTE {gold}")
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
                      "take it out of XFAIL in tests/groups/run.py")
                failed.append(name)
        elif diff:
            print(f"FAIL  {name}\n{diff}")
            failed.append(name)
        else:
            print(f"ok    {name}")
    if failed:
        print(f"{len(failed)} of {len(names)} failed: {' '.join(failed)}")
        return 1
    if skipped and len(skipped) == len(names):
        return 77
    return 0


if __name__ == "__main__":
    sys.exit(main())
