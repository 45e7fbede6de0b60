"""Hypothesis profiles: ``ci`` (fixed, derandomized, reproducible) when ``CI`` is set, else ``dev``.

Pick one explicitly with ``HYPOTHESIS_PROFILE=dev|ci|thorough``.
"""

import os
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from indexcalc.evaluation import memory, shared_plans

settings.register_profile(
    "ci",
    max_examples=300,
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=100, deadline=None, print_blob=True)
settings.register_profile("thorough", max_examples=2000, deadline=None, print_blob=True)

settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(autouse=True)
def _restore_global_settings():
    """Every test leaves the library's global settings as it found them (the suite runs in any
    order): the memory limit, NumPy's error state and print options, the thread switch interval."""
    limit = memory._limit
    errstate = np.geterr()
    printoptions = np.get_printoptions()
    interval = sys.getswitchinterval()
    yield
    memory._limit = limit
    np.seterr(**errstate)
    np.set_printoptions(**printoptions)
    sys.setswitchinterval(interval)


@pytest.fixture(autouse=True)
def _empty_shared_plans():
    """Each test starts with an empty cache of shared plans and programs: a test that counts
    the planner's calls must not find another test's plans there (any order, same result)."""
    shared_plans.SHARED.clear()
