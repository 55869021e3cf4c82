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
import os
import re
import shutil
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import golden  # noqa: E402
from golden import ScenarioError, conf_path  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

# Scenarios whose golden file says what the commands SHOULD do and the
# commands do not do yet: name -> the bug (tests/golden.py: XFAIL).
XFAIL = {
}

FIXTURES = ("workstation", "usb", "none")

WRITE_VERBS = {
    "group": {"create", "set", "unset", "delete", "make-resource"},
    "rule": {"add", "remove"},
}


def directive(words, line, body, where):
    """This runner's own scenario lines (tests/golden.py parses the rest)."""
    if words[0] == "umask":
        try:
            return "umask", int(words[1], 8)
        except (IndexError, ValueError):
            raise ScenarioError(f"{where}: umask takes an octal mask")
    if words[0] == "remove" and len(words) > 1:
        return "remove", conf_path(line.split(None, 1)[1].strip(), where, "remove")
    if words[0] == "symlink":
        if len(words) != 3:
            raise ScenarioError(f"{where}: symlink PATH TARGET, PATH under the conf dir")
        return "symlink", (conf_path(words[1], where, "symlink"), words[2])
    raise ScenarioError(f"{where}: cannot parse: {line!r}")


def parse_scenario(path):
    return golden.parse_scenario(path, FIXTURES, directive)


def render_files(before, after):
    """Every entry under the conf dir: name and mode; the content of those
    that are new or changed; "removed" for those that went away."""
    out = ["files:"]
    for rel in sorted(set(before) | set(after)):
        new, old = after.get(rel), before.get(rel)
        if old is None:
            what = "new"
        elif new is None or old[2] != new[2] or old[1] != new[1]:
            what = "changed"
        elif old != new:
            what = "rewritten, same content"
        else:
            what = "unchanged"
        # of the non-files only a new directory says so
        tag = "new" if old is None and new and new[0] == "dir" else None
        out += golden.conf_entry(rel, new, what, tag)
    return out


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
        self.bins = golden.binaries(args.pt)

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
        argv = golden.split_command(self.subst_in(line), self.bins)
        wrap = ()
        if self.fixture == "usb":
            wrap = (self.args.umockdev_run, "--device", self.args.usb_host, "--")
        before = golden.conf_snapshot(self.conf)
        _, out, sanitized = golden.run_command(line, argv, self.env, self.umask, wrap)
        after = golden.conf_snapshot(self.conf)
        if sanitized:
            self.sanitizer.append(line)
        if before != after:
            out += render_files(before, after)
        elif is_write(argv):
            out.append("files: unchanged")
        return [self.subst_out(x) for x in out]

    def symlink(self, rel, target):
        path = os.path.join(self.conf, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        os.symlink(target, path)
        return [f"symlink {rel} {target}"]

    def remove(self, rel):
        os.unlink(os.path.join(self.conf, rel))
        return ["remove " + rel]

    def set_umask(self, mask):
        self.umask = mask
        return [f"umask {mask:03o}"]


def transcript(args, path):
    fixture, steps = parse_scenario(path)
    with golden.workdir("pt-groups-") as work:
        r = Runner(args, fixture, work)
        text = golden.assemble(steps, {
            "cmd": r.run,
            "write": lambda p: golden.write_file(r.conf, *p),
            "symlink": lambda p: r.symlink(*p),
            "remove": r.remove,
            "umask": r.set_umask,
        }, tight=("umask",))
        return text, r.sanitizer


def main():
    ap = golden.arguments(__doc__, os.path.join(HERE, "scenarios"))
    ap.add_argument("--umockdev-run", default=shutil.which("umockdev-run"))
    ap.add_argument("--usb-host", default=os.path.join(HERE, "..", "usb", "host.umockdev"))
    args = ap.parse_args()

    def skip(scn):
        fixture, _ = parse_scenario(scn)
        if fixture == "usb" and not args.umockdev_run:
            return "umockdev-run not found (Debian package umockdev)"
        return None

    return golden.main(args, HERE, XFAIL, lambda scn: transcript(args, scn), skip)


if __name__ == "__main__":
    sys.exit(main())
