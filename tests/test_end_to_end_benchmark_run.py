"""``benchmarks/run.py``'s yardsticks are right and its rows agree with them: each hand-written
NumPy form equals central finite differences of its loss; every new row, measured quick, has
indexcalc agreeing with NumPy (no MISMATCH note); the ``ic.scan`` rows are taken from
``benchmarks/rnn_scan.py`` when it exists and a line says so when it does not; the table and the
Markdown carry every row."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import run  # noqa: E402


def central_gradient(loss, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[i] = eps
        g[i] = (loss(x + step) - loss(x - step)) / (2 * eps)
    return g


def test_rnn_loop_is_the_gradient():
    v = run.rnn_values(4, seed=1)

    def loss(W):
        h, total = v["h0"], 0.0
        for x, c in zip(v["xs"], v["C"]):
            h = np.tanh(W @ h + v["U"] @ x)
            total += c @ h
        return total
    np.testing.assert_allclose(run.rnn_numpy(**v), central_gradient(loss, v["W"]), rtol=1e-6,
                               atol=1e-8)


def test_logistic_closed_form_is_the_gradient():
    v = run.logistic_values(quick=True, seed=2)

    def loss(w):
        z = v["X"] @ w
        return np.sum(np.logaddexp(0.0, z)) - v["y"] @ z
    np.testing.assert_allclose(run.logistic_numpy(**v), central_gradient(loss, v["w"]), rtol=1e-6,
                               atol=1e-8)


@pytest.mark.parametrize("k", [0, 57])
def test_latency_closed_forms_are_the_gradients(k):
    v = run.latency_values(seed=3)
    a, b = run.latency_constants(k)

    def loss(x):
        return np.sum(np.logaddexp(0.0, a * (v["A"] @ x))) + b * x @ x
    got = run.latency_numpy(k + 1, v)[k]
    np.testing.assert_allclose(got, central_gradient(loss, v["x"]), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("row", run.plan(quick=True), ids=lambda r: r[0])
def test_new_row_agrees_with_numpy(row):
    key, title, parameters = row
    result = run.measure_new_row(key, title, parameters, True, 0.0, 1)
    assert result.note == "" and result.numpy > 0 and result.indexcalc > 0


def test_scan_rows_absent_are_said_so(monkeypatch):
    monkeypatch.setattr(run.importlib.util, "find_spec", lambda name: None)
    rows, why = run.scan_rows(quick=True)
    assert rows == [] and "benchmarks/rnn_scan.py" in why


def test_scan_rows_present_are_taken(monkeypatch):
    fake = types.ModuleType("rnn_scan")
    fake.rows = lambda lengths, budget: [(f"RNN grad, n=64, T={T} ({name})", 0.5, 1.5)
                                         for T in lengths
                                         for name in ("scan", "unrolled", "scan (jax backend)")]
    monkeypatch.setitem(sys.modules, "rnn_scan", fake)
    monkeypatch.setattr(run.importlib.util, "find_spec", lambda name: object())
    rows, why = run.scan_rows(quick=True)
    assert why == "" and [(r.key, r.to_numpy(), r.to_jax()) for r in rows] == [
        ("scan-10", 0.5, 1.5), ("scan-jax-10", 0.5, 1.5)]


def test_table_and_markdown_carry_every_row():
    results = [run.Result("lsq-1", "t", 2e-3, 3e-3, 1e-3),
               run.Result("scan-10", "s", None, None, given=(0.8, 1.9))]
    text = "\n".join(run.text_lines(results, ["a note"]))
    assert "1.50x" in text and "3.00x" in text and "0.80x" in text and "a note" in text
    md = run.markdown_lines(results)
    assert len(md) == 4 and md[2].startswith("| lsq-1 | 2 | 3 | 1 | 1.50x | 3.00x | ≤ 1.3x | no |")
