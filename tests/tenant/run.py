#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Golden tests of pt tenant on fixture trees.

    run.py --pt BUILD/pt --fakekernel BUILD/tests/fakekernel/fakekernel
           [--gen-sysfs GEN] [SCENARIO...]

The runner of tests/attach (leases at @CONF@/run; tests/apply/run.py
documents the scenario format and the transcript) with this directory's
scenarios/, golden/ and schema/. Scenarios name Unix groups every Debian
system has (users, nogroup) as tenant admins. PT_UPDATE_GOLDEN=1 rewrites
the golden files; review the diff by hand.
"""
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

spec = importlib.util.spec_from_file_location(
    "attach_run", os.path.join(HERE, "..", "attach", "run.py"))
attach = importlib.util.module_from_spec(spec)
spec.loader.exec_module(attach)
runner = attach.runner

# tests/golden.py finds scenarios/ and golden/ below the runner's HERE
runner.HERE = HERE
runner.SCHEMAS = os.path.join(HERE, "schema")
runner.XFAIL = {}

_init = runner.Runner.__init__


def _init_with_tenant(self, args, profile, workdir):
    _init(self, args, profile, workdir)
    bindir = os.path.dirname(os.path.abspath(args.pt))
    self.bins["pt-tenant"] = os.path.join(bindir, "pt-tenant")


runner.Runner.__init__ = _init_with_tenant

if __name__ == "__main__":
    sys.exit(runner.main())
