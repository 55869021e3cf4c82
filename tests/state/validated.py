#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The record of validated group files (<conf>/.validated, lib/conf.c): a
transaction does not read a group file whose stat matches the record, and
the record never makes an invalid file look valid.

1. used: after a change, the next one reads only what it edits (PT_LOG=debug
   says how many files it took from the record).
2. stale: a file edited in place to an invalid one of the same size, its
   mtime put back (utimensat): the ctime moved, so it is read, and the
   change fails with exit 5 and the very message it gives without a record.
3. racy: a file newer than two seconds when the record is written, or with
   an mtime in the future, is not recorded.
4. untrusted: a record that claims an invalid file valid is ignored when it
   is torn, has a wrong checksum, another version, is a symbolic link,
   is group- or other-writable (for every user), or (as root) owned by
   another user; the
   same record, whole and root's, is believed (the control that shows each
   refusal above is the check's doing). The ignored record is written anew.
5. concurrent: pairs of `pt rule add` on different groups at once keep
   both rules, and leave a record whose every entry is a file as it is
   on disk and valid.
6. crash: `pt rule add` / `rule remove` SIGKILLed at random moments (inside
   the record's write too), each followed by an in-place invalid edit of
   another group: every change then refuses, naming that file (exit 5);
   a left .validated.new is harmless and removed.
"""

import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import time

sys.dont_write_bytecode = True     # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import statelib  # noqa: E402
from statelib import fail  # noqa: E402

HEAD = "passthru-validated 1 "
AGE = 2.3          # seconds: older than the record's racy window (2 s)


def fnv1a(data):
    h = 0xcbf29ce484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001b3) & 0xffffffffffffffff
    return h


def group_text(i, nrules=3):
    lines = ["[group]", "type = pci", "description = group %d" % i, ""]
    for r in range(nrules):
        lines += ['[rule "r%d"]' % r,
                  "match = vendor_id eq %04x and device_id eq %04x" % (0x1000 + i, 0x8000 + r),
                  ""]
    return "\n".join(lines)


def make_conf(st, name, n):
    conf = os.path.join(st.root, name)
    os.makedirs(os.path.join(conf, "groups.d"))
    for i in range(n):
        with open(os.path.join(conf, "groups.d", "g%d.ini" % i), "w") as f:
            f.write(group_text(i))
    return conf


def read_record(conf):
    """(entries {relpath: (dev, ino, size, mtime_ns, ctime_ns)}, raw) or
    (None, raw) when missing or not whole."""
    path = os.path.join(conf, ".validated")
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        return None, None
    lines = raw.split(b"\n")
    if not raw.endswith(b"\n") or not lines[0].startswith(HEAD.encode()):
        return None, raw
    last = lines[-2].decode()
    body = raw[:len(raw) - len(last) - 1]
    tag, count, csum = last.split(" ")
    if tag != "end" or int(csum, 16) != fnv1a(body):
        return None, raw
    ent = {}
    for ln in lines[1:-2]:
        rel, dev, ino, size, mt, ct = ln.decode().split(" ")
        ns = [int(a) * 10**9 + int(b) for a, b in (mt.split("."), ct.split("."))]
        ent[rel] = (int(dev), int(ino), int(size), ns[0], ns[1])
    if len(ent) != int(count):
        return None, raw
    return ent, raw


def stat_key(path):
    s = os.lstat(path)
    return (s.st_dev, s.st_ino, s.st_size, s.st_mtime_ns, s.st_ctime_ns)


def write_record(conf, entries, version=None, csum_delta=0):
    """A record as pt writes it, from {relpath: stat key}; version= another
    version string, csum_delta= a wrong checksum."""
    head = HEAD + (version or record_version(conf)) + "\n"
    body = head
    for rel in sorted(entries):
        dev, ino, size, mt, ct = entries[rel]
        body += "%s %d %d %d %d.%09d %d.%09d\n" % (rel, dev, ino, size, mt // 10**9,
                                                  mt % 10**9, ct // 10**9, ct % 10**9)
    data = body.encode()
    data += b"end %d %016x\n" % (len(entries), (fnv1a(data) + csum_delta) & (2**64 - 1))
    return data


VERSION = []


def record_version(conf):
    if not VERSION:
        with open(os.path.join(conf, ".validated")) as f:
            VERSION.append(f.readline()[len(HEAD):].strip())
    return VERSION[0]


def check_record(st, conf, what):
    """The record is whole, and each entry matches its file on disk, which
    a full load (pt group list) finds valid."""
    ent, raw = read_record(conf)
    if ent is None:
        fail(f"{what}: no whole record in {conf}: {raw[-200:] if raw else raw!r}")
    for rel in ent:
        if not rel.startswith("groups.d/") or "/" in rel[len("groups.d/"):]:
            fail(f"{what}: record entry {rel!r} is not a group file")
    # every file, those recorded as they are on disk included, is valid
    r = st.run("group", "list", conf=conf, check=False)
    if r.returncode not in (0, 3):
        fail(f"{what}: pt group list: exit {r.returncode}: {r.stderr.strip()}")
    s = os.stat(os.path.join(conf, ".validated"))
    if stat.S_IMODE(s.st_mode) != 0o644 or (os.geteuid() == 0 and s.st_uid != 0):
        fail(f"{what}: .validated mode {stat.S_IMODE(s.st_mode):o} uid {s.st_uid}")
    return ent


def change(st, conf, group, rule, debug=False, check=True, dry=False):
    env = dict(st.env)
    if debug:
        env["PT_LOG"] = "debug"
    argv = st.cmd("rule", "add", *(["--dry-run"] if dry else []), group, rule,
                  "vendor_id eq 10de", conf=conf)
    p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    if check and p.returncode != 0:
        fail(f"{' '.join(argv)}: exit {p.returncode}: {p.stderr.strip()}")
    return p


def known_valid(p):
    for ln in p.stderr.splitlines():
        if "group files known valid from .validated" in ln:
            return int(ln.split(": ")[-1].split(" ")[0])
    return 0


def break_in_place(path):
    """Make a valid group file invalid in place, same size, and put its
    atime and mtime back: only the ctime tells."""
    s = os.stat(path)
    with open(path, "r+b") as f:
        data = f.read()
        bad = data.replace(b"type = pci", b"type = pcx", 1)
        assert bad != data and len(bad) == len(data)
        f.seek(0)
        f.write(bad)
    os.utime(path, ns=(s.st_atime_ns, s.st_mtime_ns))
    if os.stat(path).st_mtime_ns != s.st_mtime_ns or os.stat(path).st_size != s.st_size:
        fail(f"{path}: could not restore mtime/size")


def fix_in_place(path):
    with open(path, "r+b") as f:
        data = f.read()
        f.seek(0)
        f.write(data.replace(b"type = pcx", b"type = pci", 1))


def expect_refused(st, conf, name, what, group="g1"):
    """Every change refuses with exit 5 naming groups.d/NAME; the message
    is the one given without any record."""
    p = change(st, conf, group, "x-" + what, check=False)
    if p.returncode != 5 or f"groups.d/{name}" not in p.stderr:
        fail(f"{what}: expected exit 5 naming groups.d/{name}, got exit {p.returncode}: "
             f"{p.stderr.strip()}")
    d = change(st, conf, group, "x-" + what, check=False, dry=True)
    if d.returncode != 5 or d.stderr != p.stderr:
        fail(f"{what}: --dry-run: exit {d.returncode}: {d.stderr.strip()}")
    return p.stderr


def scenario_used(st, conf):
    change(st, conf, "g0", "a")                 # no record yet: reads all, writes it
    ent = check_record(st, conf, "used")
    if len(ent) != 8:
        fail(f"used: the record holds {len(ent)} files, not 8: {sorted(ent)}")
    p = change(st, conf, "g1", "a", debug=True)
    n = known_valid(p)
    # g0 was just rewritten (racy, read); g1 is edited (read when edited)
    if n != 7:
        fail(f"used: {n} files taken from the record, not 7: {p.stderr.strip()}")
    if not any(r["name"] == "a" for r in st.rules("g1", conf=conf)):
        fail("used: the rule added to g1 is not there")
    os.unlink(os.path.join(conf, ".validated"))
    p = change(st, conf, "g2", "a", debug=True)
    if known_valid(p):
        fail("used: files taken from a deleted record")
    print("used: 7 of 8 files taken from the record; removing it only costs time")


def scenario_stale(st, conf):
    change(st, conf, "g0", "a")
    ent = check_record(st, conf, "stale")
    path = os.path.join(conf, "groups.d", "g3.ini")
    if "groups.d/g3.ini" not in ent:
        fail("stale: g3 not recorded")
    break_in_place(path)
    msg = expect_refused(st, conf, "g3.ini", "stale")
    # the same refusal, word for word, with no record at all
    os.unlink(os.path.join(conf, ".validated"))
    p = change(st, conf, "g1", "x-stale", check=False)
    if p.returncode != 5 or p.stderr != msg:
        fail(f"stale: without the record: exit {p.returncode}: {p.stderr!r} != {msg!r}")
    print("stale: an in-place edit with the mtime put back is read and refused (exit 5)")


def scenario_racy(st, conf):
    # a file made just now: validated, but not recorded (racy)
    new = os.path.join(conf, "groups.d", "g9.ini")
    with open(new, "w") as f:
        f.write(group_text(9))
    future = os.path.join(conf, "groups.d", "g4.ini")
    s = os.stat(future)
    os.utime(future, ns=(s.st_atime_ns, time.time_ns() + 3600 * 10**9))
    t0 = time.time_ns()
    change(st, conf, "g0", "a")
    ent = check_record(st, conf, "racy")
    for rel in ("groups.d/g9.ini", "groups.d/g4.ini"):
        if rel in ent:
            fail(f"racy: {rel} recorded (mtime or ctime not 2 s older than {t0})")
    for rel, key in ent.items():
        if max(key[3], key[4]) >= t0 - 2 * 10**9:
            fail(f"racy: {rel} recorded with a time within 2 s of the change")
    # an in-place same-size rewrite of the racy file is read again
    break_in_place(new)
    expect_refused(st, conf, "g9.ini", "racy")
    print("racy: files newer than 2 s (or dated in the future) are never recorded")


def scenario_untrusted(st, conf):
    change(st, conf, "g0", "a")
    check_record(st, conf, "untrusted")
    rec = os.path.join(conf, ".validated")
    path = os.path.join(conf, "groups.d", "g5.ini")
    break_in_place(path)
    time.sleep(0.01)
    forged = {}
    for i in range(8):
        rel = "groups.d/g%d.ini" % i
        forged[rel] = stat_key(os.path.join(conf, rel))
    good = write_record(conf, forged)

    def plant(data, mode=0o644, uid=None, link=False):
        for p in (rec, rec + ".target"):
            if os.path.lexists(p):
                os.unlink(p)
        target = rec + ".target" if link else rec
        with open(target, "wb") as f:
            f.write(data)
        os.chmod(target, mode)
        if uid is not None:
            os.chown(target, uid, -1)
        if link:
            os.symlink(".validated.target", rec)

    cases = [
        ("torn", lambda: plant(good[:len(good) // 2])),
        ("no end line", lambda: plant(good[:good.rindex(b"end ")])),
        ("wrong checksum", lambda: plant(write_record(conf, forged, csum_delta=1))),
        ("another version", lambda: plant(write_record(conf, forged, version="0.0.0-other"))),
        ("a symbolic link", lambda: plant(good, link=True)),
        ("group-writable", lambda: plant(good, mode=0o664)),
        ("other-writable", lambda: plant(good, mode=0o646)),
    ]
    if os.geteuid() == 0:
        cases.append(("owned by uid 65534", lambda: plant(good, uid=65534)))
    for what, setup in cases:
        setup()
        expect_refused(st, conf, "g5.ini", "untrusted-" + what.replace(" ", "-"))
    if os.path.lexists(rec + ".target"):
        os.unlink(rec + ".target")
    # the control: the same record, whole and root's alone, is believed
    plant(good)
    p = change(st, conf, "g1", "control", check=False, dry=True)
    if p.returncode != 0:
        fail(f"untrusted: control: a whole, trusted record was not used: exit "
             f"{p.returncode}: {p.stderr.strip()}")
    fix_in_place(path)
    # an ignored record is replaced by a whole one
    plant(good[:10])
    change(st, conf, "g1", "after")
    check_record(st, conf, "untrusted (rewritten)")
    print(f"untrusted: {len(cases)} kinds of bad record ignored; a whole one believed")


def scenario_concurrent(st, conf, rounds=12):
    change(st, conf, "g0", "seed")
    time.sleep(AGE)
    for i in range(rounds):
        a, b = "g%d" % (1 + 2 * (i % 3)), "g%d" % (2 + 2 * (i % 3))
        procs = [subprocess.Popen(st.cmd("rule", "add", g, "c%d" % i, "vendor_id eq 10de",
                                         conf=conf), env=st.env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                 for g in (a, b)]
        for p in procs:
            _, err = p.communicate(timeout=60)
            if p.returncode != 0:
                fail(f"concurrent: round {i}: exit {p.returncode}: {err.decode().strip()}")
        for g in (a, b):
            if not any(r["name"] == "c%d" % i for r in st.rules(g, conf=conf)):
                fail(f"concurrent: round {i}: rule c{i} missing from {g}")
        check_record(st, conf, f"concurrent round {i}")
        if i == rounds // 2:
            time.sleep(AGE)     # let the edited files age into the record
    ent = check_record(st, conf, "concurrent")
    if not ent:
        fail("concurrent: an empty record at the end")
    print(f"concurrent: {rounds} pairs of rule add kept both rules and a whole record")


def scenario_crash(st, conf, rng, iterations=40):
    change(st, conf, "g0", "seed")
    time.sleep(AGE)
    change(st, conf, "g0", "seed2")
    kills = 0
    for i in range(iterations):
        verb = ["add", "g%d" % (i % 3), "k%d" % i, "vendor_id eq 10de"] if i % 2 == 0 else \
               ["remove", "g%d" % ((i - 1) % 3), "k%d" % (i - 1)]
        p = subprocess.Popen(st.cmd("rule", *verb, conf=conf), env=st.env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, 0.012))
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            kills += 1
        p.wait(timeout=60)
        victim = "g%d.ini" % (4 + i % 4)
        vpath = os.path.join(conf, "groups.d", victim)
        break_in_place(vpath)
        expect_refused(st, conf, victim, "crash-%d" % i, group="g3")
        fix_in_place(vpath)
        if i % 10 == 9:
            time.sleep(AGE)     # the fixed files age into the record again
            change(st, conf, "g3", "age%d" % i)
            check_record(st, conf, f"crash {i}")
    change(st, conf, "g3", "final")
    check_record(st, conf, "crash")
    if os.path.exists(os.path.join(conf, ".validated.new")):
        fail("crash: .validated.new left after a whole change")
    print(f"crash: {iterations} writers ({kills} killed), never an invalid file taken as valid")


def main():
    a = statelib.args(__doc__.split("\n")[0])
    rng = random.Random(int(os.environ.get("PT_TEST_SEED", "0")) or None)
    st = statelib.State(a.pt, a.keep)
    try:
        names = ["used", "stale", "racy", "untrusted", "concurrent", "crash"]
        confs = {n: make_conf(st, n, 8) for n in names}
        time.sleep(AGE)         # every file old enough to be recorded
        scenario_used(st, confs["used"])
        scenario_stale(st, confs["stale"])
        scenario_racy(st, confs["racy"])
        scenario_untrusted(st, confs["untrusted"])
        scenario_concurrent(st, confs["concurrent"])
        scenario_crash(st, confs["crash"], rng)
    finally:
        st.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
