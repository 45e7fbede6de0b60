"""Every example runs, and prints exactly what the documentation shows as its output.

Examples run as subprocesses with ``sys.executable``, as a user runs them. The benchmark is not
here: tests/test_end_to_end_benchmark.py runs it end to end (``--quick``) with its own checks.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "docs"))

import gen_outputs  # noqa: E402

EXAMPLES = gen_outputs.examples()


def test_the_examples_the_docs_promise_exist():
    names = {p.stem for p in EXAMPLES}
    assert {"quickstart", "rnn_step", "rnn_language_model", "linear_model", "bptt", "hessians",
            "einsum_queries", "codegen", "backends"} <= names


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_and_prints_what_the_docs_show(example):
    out = gen_outputs.run_example(example)   # RuntimeError with the stderr if it fails
    assert out.strip(), f"{example.name} printed nothing"
    if not gen_outputs.shown(example):
        return
    stored = gen_outputs.output_path(example)
    assert stored.exists(), f"{stored} is missing: run python docs/gen_outputs.py"
    assert out == stored.read_text(), (
        f"{example.name} now prints something else than {stored.name} (shown in the docs); "
        f"if the change is intended, run python docs/gen_outputs.py and commit")


def test_no_stale_outputs():
    expected = {gen_outputs.output_path(p) for p in EXAMPLES if gen_outputs.shown(p)}
    stored = set(gen_outputs.OUTPUTS_DIR.glob("*.txt"))
    assert stored <= expected, f"outputs of examples that no longer exist: {stored - expected}"
