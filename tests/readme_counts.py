# SPDX-License-Identifier: GPL-2.0-or-later
"""The counts of tests/README.md's table, kept true by the tests.

Each row of the table "| key | what | count | ... |" holds a number the
suites produce. check(key, value) compares a suite's own count with the
row; tests call it after a full run, and readme-counts.py (a ctest)
compares every count that follows from the tree (corpora, scenarios,
golden transcripts, the CI fuzz time) without running anything.
"""
import os
import re

README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "README.md")


def table():
    rows = {}
    with open(README) as f:
        for line in f:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) >= 3 and re.match(r"^\d+", cells[2]):
                rows[cells[0].strip("`")] = int(re.match(r"^\d+", cells[2]).group())
    return rows


def check(key, value):
    rows = table()
    if key not in rows:
        print("tests/README.md: no row '%s' (its count is %d)" % (key, value))
        return False
    if rows[key] != value:
        print("tests/README.md: '%s' says %d, the suite counts %d: update the table"
              % (key, rows[key], value))
        return False
    return True
