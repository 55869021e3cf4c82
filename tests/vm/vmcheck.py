# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers for the host-side half of a vm check (checks/NN-name.py).

vm.py runs `python3 checks/NN-name.py RESULT_DIR` after the guest powered
off; RESULT_DIR holds what checks/NN-name.sh left in the guest (NAME.out,
NAME.err, NAME.rc from lib.sh's `run`, and any other file). The script
prints the same lines as a guest check:
    ok NN-name/what [- detail]        not ok NN-name/what - why
and exits with Tap.done()."""

import json
import os
import re
import sys


class Tap:
    def __init__(self, name=None, resdir=None):
        self.name = name or os.path.splitext(os.path.basename(sys.argv[0]))[0]
        self.dir = resdir if resdir is not None else sys.argv[1]
        self.failed = 0
        self.count = 0

    def ok(self, what, detail=""):
        self.count += 1
        print(f"ok {self.name}/{what}" + (f" - {detail}" if detail else ""))

    def not_ok(self, what, why):
        self.count += 1
        self.failed += 1
        print(f"not ok {self.name}/{what} - {why}")

    def check(self, cond, what, detail, why=None):
        """ok with detail when cond, else not ok with why (or detail)."""
        if cond:
            self.ok(what, detail)
        else:
            self.not_ok(what, why or detail)
        return cond

    def expect(self, what, want, got):
        return self.check(want == got, what, f"{got!r}", f"expected {want!r}, got {got!r}")

    def note(self, text):
        print(f"# {text}")

    def path(self, name):
        return os.path.join(self.dir, name)

    def read(self, name, default=None):
        try:
            with open(self.path(name), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return default

    def command(self, name, what=None, want_rc=0):
        """A command the guest ran with lib.sh's `run NAME ...`: not ok
        unless it exited want_rc; returns its stdout (None when missing)."""
        what = what or name
        out, rc = self.read(name + ".out"), self.read(name + ".rc")
        if out is None or rc is None:
            self.not_ok(what, f"the guest left no {name}.out/{name}.rc")
            return None
        err = (self.read(name + ".err") or "").strip().splitlines()
        if int(rc) != want_rc:
            self.not_ok(what, f"exit {rc.strip()}, expected {want_rc}"
                        + (": " + " | ".join(err[-3:]) if err else ""))
            return None
        return out

    def json(self, name, what=None, want_rc=0):
        """A command's stdout parsed as JSON; not ok when it is not."""
        what = what or name
        out = self.command(name, what, want_rc)
        if out is None:
            return None
        try:
            doc = json.loads(out)
        except ValueError as e:
            self.not_ok(what, f"{name}.out is not JSON: {e}")
            return None
        self.ok(what, f"exit {want_rc}, valid JSON")
        return doc

    def done(self):
        if not self.count:
            self.not_ok("results", "the host-side check reported nothing")
        return 1 if self.failed else 0


NAMED = re.compile(r"^(.*) \[([0-9a-f]{2,6})\]$")


def parse_vmm(text):
    """lspci -vmm records: [{key: value}] ("Slot", "Vendor", ...)."""
    recs, cur = [], {}
    for line in text.splitlines():
        if not line.strip():
            if cur:
                recs.append(cur)
            cur = {}
            continue
        key, sep, val = line.partition(":\t")
        if sep:
            cur[key] = val
    if cur:
        recs.append(cur)
    return recs


def split_named(value):
    """"Intel Corporation [8086]" -> ("Intel Corporation", "8086")."""
    m = NAMED.match(value or "")
    return (m.group(1), m.group(2)) if m else (value, None)


def parse_kv_blocks(text):
    """Blocks of "[name]" then "key=value" lines -> {name: {key: value}}."""
    blocks, cur = {}, None
    for line in text.splitlines():
        if line.startswith("[") and line.endswith("]"):
            cur = blocks.setdefault(line[1:-1], {})
        elif cur is not None and "=" in line:
            k, _, v = line.partition("=")
            cur[k] = v
    return blocks


def bdf_of(path):
    """The last PCI address in a sysfs path, or None."""
    found = re.findall(r"/([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7])(?=/|$)", path or "")
    return found[-1] if found else None
