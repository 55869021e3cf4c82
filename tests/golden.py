# SPDX-License-Identifier: GPL-2.0-or-later
"""The golden runner shared by tests/groups/run.py and tests/apply/run.py.

Both run scenario scripts (scenarios/NAME.scn) of real pt commands and
compare the transcript with golden/NAME.out. This module holds what they
share: the scenario file's skeleton (comments, the fixture line, "$ "
commands, "write" with its "| " lines; each runner adds its own
directives), running one command and writing its transcript lines, the
conf dir's snapshot, and the driver: golden comparison, PT_UPDATE_GOLDEN=1,
the XFAIL list, sanitizer reports, PT_KEEP_TMP=1.

The transcript of a command: "$ " and the command as written, stdout lines
after "1| " (a JSON document re-printed with two-space indents: key order
is kept, json-c's spacing is not part of the format), stderr lines after
"2| ", "[exit N]". A line that ends in blanks gets a "$" after them, so
that no editor can drop them unseen.

XFAIL: scenarios whose golden file says what the commands SHOULD do and the
commands do not do yet, name -> the bug. When it is fixed the scenario
passes, the driver reports XPASS and fails: take it out of the list then.
Scenarios named bug-* must be in the list. A sanitizer's report fails a
scenario; an XFAIL one stays XFAIL (its bug may be what the sanitizer saw).
"""
import argparse
import contextlib
import difflib
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import tempfile

SANITIZER_RE = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error: "
                          r"|ERROR: UndefinedBehaviorSanitizer")


class ScenarioError(Exception):
    pass


# ---------------------------------------------------------------------------
# Scenario files
# ---------------------------------------------------------------------------

def conf_path(rel, where, what):
    """rel, a path under the conf dir (no leading "/", no "..")."""
    if not rel or rel.startswith("/") or ".." in rel.split("/"):
        raise ScenarioError(f"{where}: {what} takes a path under the conf dir")
    return rel


def parse_scenario(path, fixtures, directive):
    """(fixture, [(kind, payload, lineno)]) of a scenario file.

    Comments and blank lines are ("comment", line); "fixture NAME" (one of
    fixtures) must come first and once; "$ CMD" is ("cmd", CMD);
    "write REL" is ("write", (REL, [lines])), its lines each after "| ".
    Every other line goes to directive(words, line, body, where), which
    returns (kind, payload) or raises ScenarioError; body() takes the "| "
    lines that follow it."""
    steps = []
    fixture = None
    with open(path) as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    i = 0

    def body():
        nonlocal i
        content = []
        while i < len(lines) and (lines[i] == "|" or lines[i].startswith("| ")):
            content.append(lines[i][2:])
            i += 1
        return content

    while i < len(lines):
        line, no = lines[i], i + 1
        where = f"{path}:{no}"
        i += 1
        if line.startswith("#") or not line.strip():
            steps.append(("comment", line, no))
            continue
        words = line.split()
        if words[0] == "fixture":
            if fixture is not None:
                raise ScenarioError(f"{where}: a second fixture line")
            if len(words) != 2 or words[1] not in fixtures:
                raise ScenarioError(f"{where}: fixture takes one of {', '.join(fixtures)}")
            fixture = words[1]
            steps.append(("fixture", fixture, no))
            continue
        if fixture is None:
            raise ScenarioError(f"{where}: {words[0]} before the fixture line")
        if line.startswith("$ "):
            steps.append(("cmd", line[2:], no))
        elif words[0] == "write" and len(words) > 1:
            rel = conf_path(line.split(None, 1)[1].strip(), where, "write")
            steps.append(("write", (rel, body()), no))
        else:
            kind, payload = directive(words, line, body, where)
            steps.append((kind, payload, no))
    if fixture is None:
        raise ScenarioError(f"{path}: no fixture line")
    return fixture, steps


def assemble(steps, handlers, tight=()):
    """The transcript of a scenario: comments copied (a blank line before
    a comment that follows other lines), the fixture line, and for every
    other step a blank line and what handlers[kind](payload) returns
    (kinds in tight: no blank line)."""
    out = []
    for kind, payload, _ in steps:
        if kind == "comment":
            if payload and out and out[-1] and not out[-1].startswith("#"):
                out.append("")
            out.append(payload)
            continue
        if kind == "fixture":
            out.append("fixture " + payload)
            continue
        if kind not in tight and out and out[-1] != "" and not out[-1].startswith("#"):
            out.append("")
        out += handlers[kind](payload)
    return "\n".join(out) + "\n"


@contextlib.contextmanager
def workdir(prefix, where=None):
    """A fresh directory for one scenario, removed after it (PT_KEEP_TMP=1
    keeps it and says where)."""
    d = tempfile.mkdtemp(prefix=prefix, dir=where)
    try:
        yield d
    finally:
        if os.environ.get("PT_KEEP_TMP"):
            print(f"kept {d}")
        else:
            shutil.rmtree(d, ignore_errors=True)


# ---------------------------------------------------------------------------
# Commands and their transcript
# ---------------------------------------------------------------------------

def mark_blanks(line):
    """A "$" after trailing blanks, so that they are seen and kept."""
    return line + "$" if line != line.rstrip() else line


def prefixed(prefix, text):
    """text's lines, each after prefix; a last line without a newline is
    followed by a note that says so."""
    if not text:
        return []
    body = text.split("\n")
    if body[-1] == "":
        body.pop()
    else:
        body.append("\\ no newline at end")
    return [mark_blanks(prefix + b) if b else prefix.rstrip() for b in body]


def has_json_flag(argv):
    return any(a in ("--json", "-j") or (re.fullmatch(r"-[a-zA-Z]*j[a-zA-Z]*", a) and
                                         not a.startswith("--")) for a in argv)


def binaries(pt):
    """The names a scenario may run, and the binaries of the build."""
    bindir = os.path.dirname(os.path.abspath(pt))
    return {"pt": os.path.abspath(pt),
            "pt-group": os.path.join(bindir, "pt-group"),
            "pt-rule": os.path.join(bindir, "pt-rule")}


def split_command(line, bins):
    """A scenario's command line as argv (sh words), pt* as the build's."""
    argv = shlex.split(line)
    if argv and argv[0] in bins:
        argv[0] = bins[argv[0]]
    return argv


def run_command(shown, argv, env, umask, wrap=()):
    """Run argv (after the wrap words, e.g. umockdev-run ... --) with env
    and umask; returns (the process, its transcript lines, whether a
    sanitizer reported). shown: the command as the scenario wrote it."""
    p = subprocess.run(list(wrap) + argv, env=env, capture_output=True, text=True,
                       errors="backslashreplace", timeout=120,
                       preexec_fn=lambda: os.umask(umask))
    out = ["$ " + shown]
    stdout = p.stdout
    if stdout and has_json_flag(argv):
        try:
            stdout = json.dumps(json.loads(stdout), indent=2, ensure_ascii=False) + "\n"
        except ValueError as e:
            out.append(f"(stdout is not JSON: {e})")
    out += prefixed("1| ", stdout)
    out += prefixed("2| ", p.stderr)
    out.append(f"[exit {p.returncode}]")
    return p, out, bool(SANITIZER_RE.search(p.stderr))


def write_file(conf, rel, content):
    """A hand edit: write rel under conf; its transcript lines."""
    path = os.path.join(conf, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("".join(c + "\n" for c in content))
    return ["write " + rel] + [("| " + c) if c else "|" for c in content]


# The record of validated group files (lib/conf.c): a cache whose lines
# hold inode numbers and timestamps and which a transaction writes only
# for files older than two seconds, so whether and what it holds depends
# on timing. tests/state/validated checks it; transcripts leave it out.
CONF_CACHES = {".validated", ".validated.new"}


def conf_snapshot(conf):
    """{relpath: (kind, mode, content, ino, mtime_ns)} of everything under
    conf; directories end in "/", a symlink's content is its target."""
    snap = {}
    for top, dirs, files in os.walk(conf):
        dirs.sort()
        for name in sorted(dirs) + sorted(files):
            p = os.path.join(top, name)
            rel = os.path.relpath(p, conf)
            if rel in CONF_CACHES:
                continue
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


def file_body(data):
    """A file's content as transcript lines after "  | "."""
    text = data.decode("utf-8", "backslashreplace")
    body = text.split("\n")
    if body[-1] == "":
        body.pop()
    else:
        body.append("\\ no newline at end of file")
    return [mark_blanks("  | " + b) if b else "  |" for b in body]


def conf_entry(rel, entry, what, tag=None):
    """The transcript lines of one conf dir entry (conf_snapshot's tuple, or
    None: removed): a directory with its mode, a link with its target, any
    other non-file, each with ", tag" where tag is given; a regular file with
    its mode and what happened to it, and its content when that is "new" or
    "changed"."""
    if entry is None:
        return [f"  {rel}  (removed)"]
    kind, mode, data = entry[:3]
    tail = f", {tag}" if tag else ""
    if kind == "dir":
        return [f"  {rel}  (dir {mode:04o}{tail})"]
    if kind == "link":
        return [f"  {rel}  (symlink to {data}{tail})"]
    if kind == "other":
        return [f"  {rel}  (not a regular file{tail})"]
    out = [f"  {rel}  ({mode:04o}, {what}{', empty' if not data else ''})"]
    if what in ("new", "changed") and data:
        out += file_body(data)
    return out


# ---------------------------------------------------------------------------
# The driver
# ---------------------------------------------------------------------------

def arguments(doc, scenarios):
    """An argument parser with what every runner takes; the runner adds
    its own options."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--pt", required=True, help="the pt binary of the build")
    ap.add_argument("--gen-sysfs", default=os.path.join(scenarios, "..", "..", "fixtures",
                                                        "gen-sysfs"))
    ap.add_argument("--check-xfail", action="store_true",
                    help="only check that every XFAIL entry names a scenario and "
                    "that every bug-* scenario is in XFAIL")
    ap.add_argument("scenario", nargs="*", help="scenario names (default: all)")
    return ap


def main(args, here, xfail, transcript, skip=None):
    """Run the scenarios of here/scenarios named in args (all without) and
    compare them with here/golden; the exit status. transcript(path) ->
    (text, [commands a sanitizer reported on]); skip(path) -> why the
    scenario cannot run here, or None. 77 when every scenario was
    skipped."""
    scenarios = os.path.join(here, "scenarios")
    golden = os.path.join(here, "golden")
    runner = os.path.relpath(os.path.join(here, "run.py"),
                             os.path.join(here, "..", ".."))
    have = sorted(f[:-4] for f in os.listdir(scenarios) if f.endswith(".scn"))
    if args.check_xfail:
        bad = sorted(set(xfail) - set(have)) + sorted(n for n in set(have) - set(xfail)
                                                      if n.startswith("bug-"))
        for n in bad:
            print(f"{n}: " + (f"in XFAIL but no scenarios/{n}.scn" if n in xfail else
                              "a bug-* scenario not in XFAIL"))
        return 1 if bad else 0

    names = args.scenario or have
    update = os.environ.get("PT_UPDATE_GOLDEN") == "1"
    failed, skipped = [], []
    for name in names:
        name = os.path.basename(name)
        if name.endswith(".scn"):
            name = name[:-4]
        scn = os.path.join(scenarios, name + ".scn")
        gold = os.path.join(golden, name + ".out")
        try:
            why = skip(scn) if skip else None
            if why:
                print(f"SKIP  {name}: {why}")
                skipped.append(name)
                continue
            actual, sanitized = transcript(scn)
        except (OSError, ScenarioError, subprocess.SubprocessError) as e:
            print(f"ERROR {name}: {e}")
            failed.append(name)
            continue
        if sanitized and name in xfail:
            print(f"XFAIL {name}: {xfail[name]} (a sanitizer reported on: "
                  + "; ".join(sanitized) + ")")
            continue
        if sanitized:
            print(f"FAIL  {name}: a sanitizer reported on: " + "; ".join(sanitized))
            failed.append(name)
            continue
        try:
            with open(gold) as f:
                expected = f.read()
        except FileNotFoundError:
            expected = None
        if update and name in xfail and expected is None:
            with open(gold, "w") as f:
                f.write(actual)
            print(f"WROTE {gold}: what the commands do now; edit it to what "
                  "they should do (the scenario is expected to fail)")
            continue
        if update and name not in xfail:
            if actual != expected:
                with open(gold, "w") as f:
                    f.write(actual)
                print(f"WROTE {gold}")
            else:
                print(f"ok    {name}")
            continue
        if expected is None:
            print(f"FAIL  {name}: no golden file {gold} (PT_UPDATE_GOLDEN=1 writes it)")
            failed.append(name)
            continue
        diff = "".join(difflib.unified_diff(
            expected.splitlines(True), actual.splitlines(True),
            "golden/" + name + ".out", "actual"))
        if name in xfail:
            if diff:
                print(f"XFAIL {name}: {xfail[name]}\n{diff}")
            else:
                print(f"XPASS {name}: the bug is fixed ({xfail[name]}); "
                      f"take it out of XFAIL in {runner}")
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
