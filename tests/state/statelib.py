# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared helpers for the state tests: run pt on a temp conf dir, read the
group files back with a second, independent INI parser."""

import argparse
import configparser
import json
import os
import stat
import re
import shutil
import subprocess
import sys
import tempfile

# A writer's temp file in groups.d: ".<group>.ini.XXXXXX".
TEMP_RE = re.compile(r"^\.[A-Za-z0-9_.-]+\.ini\.[A-Za-z0-9]{6}$")


def tree(path):
    """{relpath: (mode, uid, gid, bytes or link target)} of everything below path."""
    out = {}
    for dirpath, dirs, files in os.walk(path):
        for name in dirs + files:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                data = os.readlink(p)
            elif stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    data = f.read()
            else:
                data = None
            out[os.path.relpath(p, path)] = (st.st_mode, st.st_uid, st.st_gid, data)
    return out


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def args(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--pt", required=True, help="the pt binary")
    p.add_argument("--commit-loop", help="the commit-loop helper")
    p.add_argument("--keep", action="store_true", help="keep the temp dir")
    return p.parse_args()


class State:
    """A temp dir with a conf dir and empty sysfs/proc/dev roots, so that
    nothing the commands do reads or touches the host's devices."""

    def __init__(self, pt, keep=False):
        self.pt = pt
        self.keep = keep
        self.root = tempfile.mkdtemp(prefix="pt-state-")
        self.conf = os.path.join(self.root, "conf")
        for d in ("sys/bus/pci/devices", "sys/class", "proc", "dev"):
            os.makedirs(os.path.join(self.root, d))
        self.env = dict(os.environ)
        self.env.update({
            "PT_CONF_DIR": self.conf,
            "PT_SYSFS_ROOT": os.path.join(self.root, "sys"),
            "PT_PROC_ROOT": os.path.join(self.root, "proc"),
            "PT_DEV_ROOT": os.path.join(self.root, "dev"),
            "PT_LOG": "err",
            "LC_ALL": "C",
        })

    def close(self):
        if self.keep:
            print(f"kept {self.root}")
        else:
            shutil.rmtree(self.root, ignore_errors=True)

    def cmd(self, *argv, conf=None):
        """The argv for pt; conf= points -O conf.dir at another dir."""
        a = [self.pt] + list(argv)
        if conf is not None:
            a[2:2] = ["-O", f"conf.dir={conf}"]
        return a

    def run(self, *argv, conf=None, check=True):
        p = subprocess.run(self.cmd(*argv, conf=conf), env=self.env,
                           capture_output=True, text=True, timeout=60)
        if check and p.returncode != 0:
            fail(f"{' '.join(argv)}: exit {p.returncode}: {p.stderr.strip()}")
        return p

    def rules(self, group, conf=None):
        """pt rule list GROUP --json, through the library's own reader.
        An empty group exits 3 (nothing matched) with []."""
        p = self.run("rule", "list", group, "--json", conf=conf, check=False)
        if p.returncode not in (0, 3):
            fail(f"rule list {group}: exit {p.returncode}: {p.stderr.strip()}")
        try:
            doc = json.loads(p.stdout)
        except json.JSONDecodeError as e:
            fail(f"pt rule list {group} --json: not JSON ({e}): {p.stdout[:200]!r}")
        if not isinstance(doc, list):
            fail(f"pt rule list {group} --json: not an array")
        return doc

    def groups_dir(self, conf=None):
        return os.path.join(conf or self.conf, "groups.d")

    def snapshot(self, conf=None):
        """{file name: bytes} of the group files; temp files apart."""
        files, temps = {}, []
        d = self.groups_dir(conf)
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            path = os.path.join(d, name)
            if name.startswith("."):
                if not TEMP_RE.match(name):
                    fail(f"unexpected hidden file {path}")
                temps.append(name)
                continue
            if os.path.islink(path) or not os.path.isfile(path):
                fail(f"{path}: not a regular file")
            with open(path, "rb") as f:
                files[name] = f.read()
        return files, temps


def strict_parse(name, data):
    """Parse a group file with Python's configparser, strictly: duplicate
    sections or keys, text outside sections, a torn last line all fail.
    Returns {section: {key: value}}."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        fail(f"{name}: not UTF-8: {e}")
    if not text:
        fail(f"{name}: empty file")
    if not text.endswith("\n"):
        fail(f"{name}: no newline at the end (torn write?): ...{text[-60:]!r}")
    cp = configparser.ConfigParser(
        strict=True, interpolation=None, delimiters=("=", ":"),
        comment_prefixes=("#", ";"), inline_comment_prefixes=(";",),
        empty_lines_in_values=False, default_section="\x00none")
    cp.optionxform = str
    try:
        cp.read_string(text, source=name)
    except configparser.Error as e:
        fail(f"{name}: does not parse: {e}")
    secs = {s: dict(cp[s]) for s in cp.sections()}
    if not secs or cp.sections()[0] != "group":
        fail(f"{name}: the first section is not [group]")
    if "type" not in secs["group"]:
        fail(f"{name}: [group] has no type")
    return secs
