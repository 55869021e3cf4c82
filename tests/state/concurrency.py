#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Concurrent writers never lose each other's changes; readers never see a
torn file.

1. 8 processes x 50 `pt rule add` at once into one group, while readers
   run `pt rule list --json` in a loop: all 400 rules present, with the
   right match text; every reader run succeeded and never saw the count go
   down; the file parses with configparser too; no temp file left behind.
2. 8 processes x 25 into 8 different groups (8 files, one lock).
"""

import os
import sys
import threading
import time

sys.dont_write_bytecode = True     # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import statelib  # noqa: E402
from statelib import fail  # noqa: E402

WORKERS = 8
PER_WORKER = 50


def match_of(w, i):
    return f"vendor_id eq 8086 and device_id eq {w:02x}{i:02x}"


def writer(st, w, group_of, errors, use_O, per_worker):
    for i in range(per_worker):
        # half the runs name the conf dir with -O, half through PT_CONF_DIR
        conf = st.conf if (use_O and i % 2) else None
        p = st.run("rule", "add", group_of(w), f"w{w}-r{i:02d}",
                   *match_of(w, i).split(), conf=conf, check=False)
        if p.returncode != 0:
            errors.append(f"writer {w} rule {i}: exit {p.returncode}: "
                          f"{p.stderr.strip()}")
            return


def reader(st, group, stop, errors, counts):
    last = 0
    while not stop.is_set():
        p = st.run("rule", "list", group, "--json", check=False)
        if p.returncode not in (0, 3):      # 3: none yet, prints []
            errors.append(f"reader: exit {p.returncode}: {p.stderr.strip()}")
            return
        try:
            n = len(statelib.json.loads(p.stdout))
        except ValueError as e:
            errors.append(f"reader: bad JSON: {e}")
            return
        if n < last:
            errors.append(f"reader: {group} went from {last} rules to {n}")
            return
        last = n
        counts.append(n)


def check_group(st, group, expect):
    """expect: {rule name: match}; both through pt and configparser."""
    got = {r["name"]: r for r in st.rules(group)}
    if set(got) != set(expect):
        missing = sorted(set(expect) - set(got))
        extra = sorted(set(got) - set(expect))
        fail(f"{group}: {len(got)} rules, expected {len(expect)}; "
             f"missing {missing[:10]} extra {extra[:10]}")
    for name, m in expect.items():
        if got[name]["match"] != m:
            fail(f"{group}/{name}: match {got[name]['match']!r}, expected {m!r}")
        if got[name]["node"] is not None:
            fail(f"{group}/{name}: node {got[name]['node']!r}, expected null")
    files, _ = st.snapshot()
    secs = statelib.strict_parse(f"{group}.ini", files[f"{group}.ini"])
    rules = {s[len('rule "'):-1]: v for s, v in secs.items()
             if s.startswith('rule "') and s.endswith('"')}
    if len(secs) != len(expect) + 1 or set(rules) != set(expect):
        fail(f"{group}.ini: configparser sees {len(secs)} sections, "
             f"expected {len(expect) + 1}")
    for name, m in expect.items():
        if rules[name].get("match") != m:
            fail(f"{group}.ini [rule \"{name}\"]: match {rules[name].get('match')!r}")


def round_(st, label, group_of, groups, per_worker):
    for g in groups:
        st.run("group", "create", g, "--type", "pci")
    errors, counts = [], []
    stop = threading.Event()
    readers = [threading.Thread(target=reader,
                                args=(st, groups[0], stop, errors, counts))]
    writers = [threading.Thread(target=writer,
                                args=(st, w, group_of, errors, w % 2 == 0,
                                      per_worker))
               for w in range(WORKERS)]
    t0 = time.monotonic()
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join()
    elapsed = time.monotonic() - t0
    stop.set()
    for t in readers:
        t.join()
    if errors:
        fail(f"{label}: " + "; ".join(errors[:5]))
    expect = {}
    for w in range(WORKERS):
        for i in range(per_worker):
            expect.setdefault(group_of(w), {})[f"w{w}-r{i:02d}"] = match_of(w, i)
    for g in groups:
        check_group(st, g, expect.get(g, {}))
    files, temps = st.snapshot()
    if temps:
        fail(f"{label}: temp files left behind by writers that were not killed: {temps}")
    if set(files) != {f"{g}.ini" for g in groups}:
        fail(f"{label}: unexpected files {sorted(files)}")
    if not counts:
        fail(f"{label}: the readers never ran")
    print(f"{label}: {WORKERS}x{per_worker} rule adds in {elapsed:.1f}s, "
          f"{len(counts)} reads alongside (saw {min(counts)}..{max(counts)} rules)")


def main():
    a = statelib.args(__doc__)
    groups = [f"g{w}" for w in range(WORKERS)]
    for label, group_of, names, n in (
            ("one group", lambda w: "shared", ["shared"], PER_WORKER),
            ("eight groups", lambda w: groups[w], groups, PER_WORKER // 2)):
        st = statelib.State(a.pt, a.keep)
        try:
            round_(st, label, group_of, names, n)
        finally:
            st.close()
    print("ok")


if __name__ == "__main__":
    main()
