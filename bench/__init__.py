"""Benchmarks for the scale targets of DESIGN.md §5: `python -m bench [names...]`.

A package of its own, outside `kiemdich`, because nothing here ships: it generates a province's
worth of data in a throw-away database (`kiemdich_bench`), times the code that answers officials,
and prints the figures next to a baseline measured in the same run. It prints PASS/MISS against
the targets but never fails on a time, since a noisy machine is not a broken build.

Importing this package must not import Django: `bench.posters` runs as a child process that sets
Django up itself, and `bench.__main__` has to point DATABASE_URL at the bench database first.
"""

import os

#: The only database the benchmarks write to; dropped and recreated at every run. Two benchmark
#: runs on one server (two branches of work) each name their own with KIEMDICH_BENCH_DB.
BENCH_DB = os.environ.get("KIEMDICH_BENCH_DB", "kiemdich_bench")
