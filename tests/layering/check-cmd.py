#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The command side's conventions (STYLE: ndctl's util_* and cxl/json.c):

- cmd/ defines and declares no function with the library's pt_ prefix:
  its helpers are util_*, its commands cmd_*, its builders json_* (the
  types struct pt_opts, struct pt_cmd and enum pt_exit, named in pt(8),
  are not checked);
- every JSON document is written by cmd/json.c: no other file of cmd/
  turns a json-c object into text (json_object_to_json_string*) or walks
  one to print it (json_object_get_type).

Usage: check-cmd.py CMDDIR. Exit 0, or 1 naming each violation."""
import re
import sys
from pathlib import Path

cmd = Path(sys.argv[1])
# a definition or prototype at the start of a line, or a struct/enum tag
DEF = re.compile(r"^(?:static\s+|inline\s+|extern\s+)*(?:const\s+)?"
                 r"(?:struct\s+|enum\s+|unsigned\s+)?\w+[\s*]+(pt_\w+)\s*\(", re.M)
PRINT = re.compile(r"\b(json_object_to_json_string\w*|json_object_get_type)\s*\(")

bad = []


def code(path):
    text = path.read_text()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


files = sorted(cmd.glob("*.c")) + sorted(cmd.glob("*.h"))
if not files:
    bad.append(f"{cmd}: no sources")
for path in files:
    text = code(path)
    for m in DEF.finditer(text):
        bad.append(f"cmd/{path.name}: defines or declares {m.group(1)}(): the "
                   "library's prefix; command helpers are util_*")
    if path.name != "json.c":
        for m in PRINT.finditer(text):
            bad.append(f"cmd/{path.name}: calls {m.group(1)}(): JSON is printed by "
                       "cmd/json.c only")
for b in bad:
    print("FAIL: " + b)
print("cmd conventions: %s" % (f"{len(bad)} problem(s)" if bad else "ok"))
sys.exit(1 if bad else 0)
