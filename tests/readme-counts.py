#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Fail when tests/README.md's table is stale: every count that follows
from the tree (fuzz corpora, hostile scenarios and the pt commands of
their golden transcripts, the CI fuzz time of tests/run-all) is counted
here and compared with the table. Counts that only a run produces (kills
survived) are compared by the suite itself (tests/readme_counts.py)."""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import readme_counts  # noqa: E402

ok = True
for h in ("rule", "store", "vfset", "tree", "pciids"):
    d = os.path.join(HERE, "fuzz/corpus", h)
    n = len([x for x in os.listdir(d) if not x.startswith(".")])
    ok &= readme_counts.check("fuzz-%s corpus" % h, n)
    r = len([x for x in os.listdir(d) if x.startswith("repro-")])
    if r:
        ok &= readme_counts.check("fuzz-%s reproducers" % h, r)
names = subprocess.run([sys.executable, os.path.join(HERE, "hostile/run.py"), "--pt", "none",
                        "--list"], stdout=subprocess.PIPE, check=True).stdout.split()
ok &= readme_counts.check("hostile scenarios", len(names))
variants = 0
for n in names:
    with open(os.path.join(HERE, "hostile/golden", n.decode() + ".out")) as f:
        variants += sum(1 for l in f if l.startswith("$ pt "))
ok &= readme_counts.check("hostile variants", variants)
with open(os.path.join(HERE, "run-all")) as f:
    m = re.search(r"PT_FUZZ_TIME=\$\{PT_FUZZ_TIME:-(\d+)\}", f.read())
ok &= bool(m) and readme_counts.check("fuzz seconds per harness in CI", int(m.group(1)))
print("tests/README.md counts: %s" % ("ok" if ok else "STALE"))
sys.exit(0 if ok else 1)
