#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Golden tests of pt attach on fixture trees.

    run.py --pt BUILD/pt --fakekernel BUILD/tests/fakekernel/fakekernel
           [--gen-sysfs GEN] [SCENARIO...]

The runner of tests/apply (run.py there documents the scenario format and
the transcript) with this directory's scenarios/, golden/ and schema/, and
the run dir of the leases at @CONF@/run, so that each command's transcript
shows the leases it wrote and removed next to the conf dir's files.
PT_UPDATE_GOLDEN=1 rewrites the golden files; review the diff by hand.
"""
import importlib.util
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

spec = importlib.util.spec_from_file_location(
    "apply_run", os.path.join(HERE, "..", "apply", "run.py"))
runner = importlib.util.module_from_spec(spec)
spec.loader.exec_module(runner)

runner.SCENARIOS = os.path.join(HERE, "scenarios")
runner.GOLDEN = os.path.join(HERE, "golden")
runner.SCHEMAS = os.path.join(HERE, "schema")
runner.XFAIL = {}

_init = runner.Runner.__init__


def _init_with_run_dir(self, args, profile, workdir):
    _init(self, args, profile, workdir)
    self.env["PT_RUN_DIR"] = os.path.join(self.conf, "run")
    bindir = os.path.dirname(os.path.abspath(args.pt))
    self.bins["pt-attach"] = os.path.join(bindir, "pt-attach")


runner.Runner.__init__ = _init_with_run_dir

_subst_out = runner.Runner.subst_out


def _subst_out_starttime(self, text):
    # a lease records its process's start time: the machine's, not the test's
    text = re.sub(r"starttime = [0-9]+", "starttime = @STARTTIME@", _subst_out(self, text))
    # the library's log names its source file and line: where it was built
    return re.sub(r"libpassthru: \S*/lib/(\w+\.c):[0-9]+ ", r"libpassthru: lib/\1:N ", text)


runner.Runner.subst_out = _subst_out_starttime

if __name__ == "__main__":
    sys.exit(runner.main())
