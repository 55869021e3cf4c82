#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The harness can fail: vm.py's evaluation of guest results, fed made-up
results (no QEMU), must count every kind of failure as a failure - a
"not ok" line, a script that exits non-zero, a missing result, a hung
guest, a host-side comparison that fails or reports nothing - and only
all-ok results as a pass, with the closing "N passed, N failed" line."""
import contextlib
import io
import os
import sys
import tempfile

sys.dont_write_bytecode = True        # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vm  # noqa: E402

failures = 0


def expect(what, cond):
    global failures
    print(f"{'ok' if cond else 'not ok'} selftest/{what}")
    failures += not cond


def scenario(guest, host=None, status="done"):
    """guest: {name: (tap text, rc)} written as the guest would; host:
    {name: host-side script}. Returns (failed count, printed text)."""
    with tempfile.TemporaryDirectory() as tmp:
        checks, res, work = (os.path.join(tmp, d) for d in ("checks", "results", "work"))
        for d in (checks, res, work):
            os.makedirs(d)
        for name, (tap, rc) in guest.items():
            open(os.path.join(checks, name + ".sh"), "w").close()
            if tap is None:             # the guest never got to it
                continue
            os.makedirs(os.path.join(res, name))
            with open(os.path.join(res, name, "tap"), "w") as f:
                f.write(tap)
            with open(os.path.join(res, name, "rc"), "w") as f:
                f.write(f"{rc}\n")
        for name, script in (host or {}).items():
            with open(os.path.join(checks, name + ".py"), "w") as f:
                f.write(script)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            failed = vm.report(work, vm.check_names(None, checks), res, status, 1.0, checks)
        return failed, out.getvalue()


OK = "ok 10-a/x\nok 10-a/y - fine\n"
failed, out = scenario({"10-a": (OK, 0)})
expect("all-ok-passes", failed == 0 and out.rstrip().endswith("3 passed, 0 failed"))
failed, out = scenario({"10-a": (OK + "not ok 10-a/z - wrong vendor\n", 1)})
expect("not-ok-line-fails", failed == 1 and "not ok 10-a/z - wrong vendor" in out
       and out.rstrip().endswith("3 passed, 1 failed"))
failed, out = scenario({"10-a": (OK, 2)})
expect("nonzero-exit-fails", failed == 1 and "guest script exited 2" in out)
failed, out = scenario({"10-a": (OK, 0), "20-b": (None, 0)})
expect("missing-result-fails", failed == 1 and "not ok 20-b - no result" in out)
failed, out = scenario({"10-a": (None, 0)}, status="timeout")
expect("hung-guest-fails", failed == 2 and "not ok vm/boot" in out and "timed out" in out)
failed, out = scenario({"10-a": ("", 0)})
expect("silent-check-fails", failed == 1 and "produced no result" in out)
failed, out = scenario({"10-a": (OK, 0)}, {"10-a": "print('not ok 10-a/host - mismatch')\n"
                                                   "raise SystemExit(1)\n"})
expect("host-not-ok-fails", failed == 1 and "not ok 10-a/host - mismatch" in out)
failed, out = scenario({"10-a": (OK, 0)}, {"10-a": "raise SystemExit(3)\n"})
expect("host-crash-fails", failed == 1 and "host-side 10-a.py exited 3" in out)
failed, out = scenario({}, {"30-c": "print('ok 30-c/host')\n"})
expect("host-only-check-passes", failed == 0 and "ok 30-c/host" in out)
print(f"{9 - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
