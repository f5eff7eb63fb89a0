"""The environment the core server prepares for itself before it imports its libraries."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from common.config import PROJECT_ROOT

THREADS_AFTER_A_PRODUCT = ("import os, numpy\n"
                           "matrix = numpy.ones((256, 256))\n"
                           "matrix @ matrix\n"
                           "print(len(os.listdir('/proc/self/task')))\n")


def threads_after_a_product(prepare: str) -> int:
    environment = {name: value for name, value in os.environ.items() if name != "OPENBLAS_NUM_THREADS"}
    answer = subprocess.run([sys.executable, "-c", prepare + THREADS_AFTER_A_PRODUCT], env=environment,
                            cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    return int(answer.stdout)


def test_numpy_in_the_core_server_computes_in_the_calling_thread() -> None:
    """OpenBLAS's own threads spun after every tiny product of the server's: 3 % of its CPU under load."""
    if os.cpu_count() == 1:
        pytest.fail("this check needs a machine with 2 CPUs or more (OpenBLAS starts no thread on one)")
    assert threads_after_a_product("") > 1  # what NumPy does on its own here
    assert threads_after_a_product("from core.__main__ import prepare_environment\nprepare_environment()\n") == 1
