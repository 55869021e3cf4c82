#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Run a real pt command under umockdev and compare what it prints.

    run.py --umockdev-run PATH [--device X.umockdev] --status N
           [--expect FILE [--json-key KEY]] [--stderr TEXT] -- CMD ARGS...

--expect FILE: stdout must equal FILE. A .json FILE is compared as parsed
JSON (object key order is not part of the format, array order is); with
--json-key only that key of the printed document is compared with FILE.
Without --expect stdout must be empty.
--stderr TEXT: stderr must contain TEXT; without it stderr must be empty.
--status N: the exit status pt must return.

vendor_name and product_name come from the host's udev hwdb, which a
machine may or may not have (Debian's udev package builds it). The golden
files hold null there, what a host without a hwdb prints; where the host
has one, the expected names are looked up in it here, through libudev's
own hwdb API with lsusb's modaliases, for the ids the golden file lists.
"""
import argparse
import ctypes
import ctypes.util
import difflib
import json
import os
import subprocess
import sys


class Hwdb:
    def __init__(self):
        self.hwdb = None
        name = ctypes.util.find_library("udev") or "libudev.so.1"
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            return
        for fn, res, args in (
                ("udev_new", ctypes.c_void_p, []),
                ("udev_hwdb_new", ctypes.c_void_p, [ctypes.c_void_p]),
                ("udev_hwdb_get_properties_list_entry", ctypes.c_void_p,
                 [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_uint]),
                ("udev_list_entry_get_next", ctypes.c_void_p, [ctypes.c_void_p]),
                ("udev_list_entry_get_name", ctypes.c_char_p, [ctypes.c_void_p]),
                ("udev_list_entry_get_value", ctypes.c_char_p, [ctypes.c_void_p])):
            getattr(lib, fn).restype = res
            getattr(lib, fn).argtypes = args
        self.lib = lib
        udev = lib.udev_new()
        self.hwdb = lib.udev_hwdb_new(udev) if udev else None

    def get(self, modalias, key):
        if not self.hwdb:
            return None
        e = self.lib.udev_hwdb_get_properties_list_entry(self.hwdb, modalias.encode(), 0)
        while e:
            if self.lib.udev_list_entry_get_name(e).decode() == key:
                return self.lib.udev_list_entry_get_value(e).decode()
            e = self.lib.udev_list_entry_get_next(e)
        return None


def with_hwdb_names(doc):
    """The expected document with names as this host's hwdb gives them."""
    hwdb = Hwdb()
    usb = doc.get("usb", []) if isinstance(doc, dict) else doc
    for u in usb:
        vid, pid = int(u["vendor_id"], 16), int(u["product_id"], 16)
        u["vendor_name"] = hwdb.get("usb:v%04X*" % vid, "ID_VENDOR_FROM_DATABASE")
        u["product_name"] = hwdb.get("usb:v%04Xp%04X*" % (vid, pid),
                                     "ID_MODEL_FROM_DATABASE")
    return doc


def diff(expected, actual, what):
    sys.stdout.write("".join(difflib.unified_diff(
        expected.splitlines(True), actual.splitlines(True),
        "expected " + what, "actual " + what)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--umockdev-run", required=True)
    ap.add_argument("--device", action="append", default=[])
    ap.add_argument("--status", type=int, required=True)
    ap.add_argument("--expect")
    ap.add_argument("--json-key")
    ap.add_argument("--stderr")
    ap.add_argument("cmd", nargs="+")
    a = ap.parse_args()

    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PT_") and k != "LIBUSB_DEBUG"}
    env["LC_ALL"] = "C"
    argv = [a.umockdev_run]
    for d in a.device:
        argv += ["--device", d]
    argv += ["--"] + a.cmd
    p = subprocess.run(argv, env=env, capture_output=True, text=True)
    ok = True

    print("$ " + " ".join(argv))
    if p.returncode != a.status:
        print("exit status %d, expected %d" % (p.returncode, a.status))
        ok = False
    if a.stderr is None and p.stderr:
        print("unexpected stderr:\n" + p.stderr)
        ok = False
    elif a.stderr is not None and a.stderr not in p.stderr:
        print("stderr lacks %r:\n%s" % (a.stderr, p.stderr))
        ok = False

    if not a.expect:
        if p.stdout:
            print("unexpected stdout:\n" + p.stdout)
            ok = False
    elif a.expect.endswith(".json"):
        with open(a.expect) as f:
            expected = with_hwdb_names(json.load(f))
        try:
            actual = json.loads(p.stdout)
        except ValueError as e:
            print("stdout is not JSON (%s):\n%s" % (e, p.stdout))
            return 1
        if a.json_key:
            actual = actual.get(a.json_key)
            expected = expected.get(a.json_key) if isinstance(expected, dict) else expected
        if actual != expected:
            diff(json.dumps(expected, indent=2) + "\n", json.dumps(actual, indent=2) + "\n",
                 a.expect)
            ok = False
    else:
        with open(a.expect) as f:
            expected = f.read()
        if p.stdout != expected:
            diff(expected, p.stdout, a.expect)
            ok = False

    if not ok:
        print("stderr was:\n" + p.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
