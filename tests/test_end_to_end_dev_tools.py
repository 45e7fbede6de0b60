"""The developer tools of ``benchmarks/`` run, tiny: the fuzz batches and the depth benchmark
(their full runs are on demand; their findings are checked by their own tests). The benchmark's
entry point ``benchmarks/run.py`` has its own tests (``test_end_to_end_benchmark_run.py``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: tool -> a short run's arguments
TOOLS = {
    "fuzz_batch": ["-n", "20", "--jobs", "1"],
    "forms_fuzz": ["--count", "3", "--jobs", "1"],
    "depth_benchmark": ["--depths", "10", "30"],
}


def run_tool(name: str, args: list[str]) -> str:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / f"{name}.py"), *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{name} failed:\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.mark.parametrize("name", list(TOOLS))
def test_tool_runs(name):
    assert run_tool(name, TOOLS[name]).strip()


def test_examples_folder_holds_no_developer_tool():
    names = {p.stem for p in (ROOT / "examples").glob("*.py")}
    assert not names & (set(TOOLS) | {"benchmark", "benchmark_workloads", "benchmark_interop"})
