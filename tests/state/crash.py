#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Crash safety: writers SIGKILLed at random moments leave every group file
whole - the old content or the new, byte for byte, never torn or empty.

A. 200 `pt` writers (rule add, group set, rule remove) killed after a
   random delay. The oracle for "new" is the same command run to the end
   on a copy of the conf dir.
B. 200 kills of tests/state/commit-loop (after 0-20 ms, stretched where a
   start takes longer), which does nothing but commit, so
   most kills land inside the write window (temp file written, fsynced,
   renamed). The file must always read "description = commit N" with N
   never going back, and be otherwise identical to the seed.

Temp files a killed writer leaves must be ignored by readers, and removed
by the next writer: never more than one is seen.
"""

import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

sys.dont_write_bytecode = True     # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import statelib  # noqa: E402
from statelib import fail  # noqa: E402

ITERATIONS = 200


def kill_after(argv, env, delay):
    """Start argv, SIGKILL it after delay seconds; (killed, returncode, err)."""
    p = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    time.sleep(delay)   # a spin would steal the writer's CPU on 2 cores
    killed = p.poll() is None
    if killed:
        p.send_signal(signal.SIGKILL)
    _, err = p.communicate(timeout=60)
    return killed, p.returncode, err.decode(errors="replace")


def check_parses(files):
    rules = {}
    for name, data in files.items():
        secs = statelib.strict_parse(name, data)
        rules[name] = sorted(s for s in secs if s.startswith("rule "))
    return rules


def part_a(a, rng):
    st = statelib.State(a.pt, a.keep)
    scratch = os.path.join(st.root, "scratch")
    try:
        st.run("group", "create", "g", "--type", "pci")
        st.run("group", "create", "h", "--type", "pci")
        for i in range(20):
            st.run("rule", "add", "g", f"base{i}", "vendor_id", "eq", "8086",
                   "and", "device_id", "eq", f"{i:04x}")
        st.run("rule", "add", "h", "keep", "class_id", "eq", "0300")
        durations, outcome = [], {"old": 0, "new": 0}
        max_temps = 0
        for i in range(ITERATIONS):
            old, temps = st.snapshot()
            live_rules = [r[len('rule "'):-1] for r in check_parses(old)["g.ini"]]
            kind = i % 3
            if kind == 0:
                op = ["rule", "add", "g", f"c{i}", "vendor_id", "eq", "10de",
                      "and", "device_id", "eq", f"{i:04x}"]
            elif kind == 1:
                op = ["group", "set", "g", f"description=iteration {i}"]
            else:
                victims = [r for r in live_rules if r.startswith("c")] or live_rules
                op = ["rule", "remove", "g", rng.choice(victims)]
            # the oracle: the same change, run to the end on a copy
            shutil.rmtree(scratch, ignore_errors=True)
            shutil.copytree(st.conf, scratch, symlinks=True)
            t0 = time.monotonic()
            st.run(*op, conf=scratch)
            durations.append(time.monotonic() - t0)
            new, _ = st.snapshot(scratch)
            if new == old:
                fail(f"{' '.join(op)}: changed nothing on the copy")
            # the kill: 0-20 ms, stretched to cover a whole run on slow hosts
            hi = max(0.020, 1.5 * statistics.median(durations))
            delay = 0 if i % 10 == 0 else rng.uniform(0, hi)
            killed, rc, err = kill_after(st.cmd(*op), st.env, delay)
            if not killed and rc != 0:
                fail(f"{' '.join(op)}: exit {rc}: {err.strip()}")
            live, temps = st.snapshot()
            max_temps = max(max_temps, len(temps))
            if len(temps) > 1:
                fail(f"iteration {i}: stale temp files piled up: {temps}")
            for name in set(old) | set(new) | set(live):
                if name not in live:
                    if name in old and name in new:
                        fail(f"iteration {i}: {name} vanished")
                    continue
                if live[name] not in (old.get(name), new.get(name)):
                    fail(f"iteration {i} ({' '.join(op)}, killed={killed}, "
                         f"delay {delay * 1000:.1f} ms): {name} is neither the "
                         f"old nor the new content:\n{live[name].decode()!r}")
            if live not in (old, new):
                fail(f"iteration {i}: a mix of old and new files")
            if not killed and live != new:
                fail(f"iteration {i}: {' '.join(op)} finished but the files "
                     f"are not the new content")
            outcome["new" if live == new else "old"] += 1
            # both readers agree with the files, temp files or not
            rules = check_parses(live)
            listed = sorted(f'rule "{r["name"]}"' for r in st.rules("g"))
            if listed != rules["g.ini"]:
                fail(f"iteration {i}: pt rule list and configparser disagree")
        if [r["name"] for r in st.rules("h")] != ["keep"]:
            fail("h.ini changed")
        print(f"A: {ITERATIONS} pt writers killed after 0-{hi * 1000:.0f} ms "
              f"(a full run takes {statistics.median(durations) * 1000:.1f} ms): "
              f"{outcome['old']} left the old content, {outcome['new']} the new; "
              f"at most {max_temps} temp file seen")
        if not outcome["old"] or not outcome["new"]:
            fail("the kills never landed on one side of the commit: "
                 "the test did not test anything")
    finally:
        st.close()


def part_b(a, rng):
    st = statelib.State(a.pt, a.keep)
    try:
        gdir = st.groups_dir()
        os.makedirs(gdir)
        seed = ["# written by crash.py: commit-loop bumps the description",
                "[group]", "type = pci", "description = commit 0", ""]
        for r in range(150):
            seed += [f'[rule "r{r}"]',
                     f"match = vendor_id eq 10de and device_id eq {r:04x}", ""]
        seed = "\n".join(seed[:-1]) + "\n"
        with open(os.path.join(gdir, "loop.ini"), "w") as f:
            f.write(seed)
        line = re.compile(r"^description = commit (\d+)$", re.M)
        # how long a start and one commit take (long under sanitizers)
        runs = []
        for _ in range(3):
            t0 = time.monotonic()
            p = subprocess.run([a.commit_loop, st.conf, "loop", "1"],
                               env=st.env, capture_output=True, text=True)
            if p.returncode != 0:
                fail(f"commit-loop: exit {p.returncode}: {p.stderr.strip()}")
            runs.append(time.monotonic() - t0)
        hi = max(0.020, 1.5 * statistics.median(runs))
        last, with_temp, advanced = 0, 0, 0
        for i in range(ITERATIONS):
            delay = 0 if i % 20 == 0 else rng.uniform(0, hi)
            killed, rc, err = kill_after([a.commit_loop, st.conf, "loop"],
                                         st.env, delay)
            if not killed:
                fail(f"commit-loop exited by itself ({rc}): {err.strip()}")
            files, temps = st.snapshot()
            if set(files) != {"loop.ini"}:
                fail(f"iteration {i}: files {sorted(files)}")
            text = files["loop.ini"].decode()
            m = line.search(text)
            if not m:
                fail(f"iteration {i}: no description line in:\n{text[:300]!r}")
            n = int(m.group(1))
            expect = seed.replace("description = commit 0\n",
                                  f"description = commit {n}\n")
            if text != expect:
                fail(f"iteration {i}: loop.ini is torn or altered "
                     f"({len(text)} bytes, expected {len(expect)})")
            if n < last:
                fail(f"iteration {i}: went back from commit {last} to {n}")
            advanced += n > last
            last = n
            if len(temps) > 1:
                fail(f"iteration {i}: stale temp files piled up: {temps}")
            with_temp += len(temps)
            statelib.strict_parse("loop.ini", files["loop.ini"])
            if i % 20 == 19 and len(st.rules("loop")) != 150:
                fail(f"iteration {i}: pt rule list does not see 150 rules")
        print(f"B: {ITERATIONS} kills of commit-loop after 0-{hi * 1000:.0f} ms "
              f"(start and one commit: {statistics.median(runs) * 1000:.1f} ms): "
              f"{last} commits made, "
              f"{advanced} kills after progress, {with_temp} left a temp file "
              f"(killed inside the write window)")
        if not last or not with_temp:
            fail("commit-loop never committed, or never died inside a commit: "
                 "the test did not test anything")
    finally:
        st.close()


def main():
    a = statelib.args(__doc__)
    if not a.commit_loop:
        fail("--commit-loop is required")
    seed = int(os.environ.get("PT_TEST_SEED", time.time_ns() % 1000000))
    print(f"seed {seed} (set PT_TEST_SEED to repeat)")
    rng = random.Random(seed)
    part_a(a, rng)
    part_b(a, rng)
    print("ok")


if __name__ == "__main__":
    main()
