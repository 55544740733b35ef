"""The test suite. This package is imported before tests/conftest.py and every test module.

Native thread pools: one thread each (OpenBLAS, OpenMP, MKL) in the test processes and every
subprocess they start. With two xdist workers the suite already keeps both cores busy, and a
second thread per pool only spins: one topic-model fit (scikit-learn, bot/ask/model.py) took
7.3 s of CPU with two threads and 1.6 s with one, with the same weights to the last bit (load 7,
30 Nov 2026). The variables are read when a library loads, so they are set here, before any
test module imports numpy; xdist's workers and the bot and CLI subprocesses inherit them.
A variable already set wins.
"""

import os

for _pool in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_pool, "1")
