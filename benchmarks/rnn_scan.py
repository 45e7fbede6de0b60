"""The RNN gradient through time: ``ic.scan`` against a hand-written NumPy BPTT loop and JAX.

Issue 18, item 1. The recurrence ``h_t = tanh(W h_{t−1} + U x_t)`` with the loss
``L = Σ_t c_tᵀ h_t``, its gradient by ``W`` at n = 64 (inputs of size 32), for T = 10, 100, 1000:

* **numpy** — the hand-written loop: forward, keeping the states, then backward through time
  accumulating ``∂L/∂W``; the yardstick every ratio divides by;
* **scan** — ``ic.compile(ic.grad(L, W))`` of ``L`` written with ``ic.scan`` (one node; the
  gradient is a reverse scan over the step's VJP and one contraction over time);
* **unrolled** — the same RNN unrolled with indexcalc (one node per step; T ≤ 100 by default);
* **jax** — ``jax.jit(jax.grad(L))`` of ``L`` written with ``jax.lax.scan`` (in a child process,
  so that its thread pool never shares the cores with the NumPy measurements);
* **scan (jax backend)** — the same ``ic.scan`` gradient compiled with ``backend="jax"``, where
  the loop is one jitted ``jax.lax.scan`` (measured in the JAX child process, float64).

Run as a script, the BLAS uses one thread unless ``OPENBLAS_NUM_THREADS`` (or ``OMP_``/``MKL_``)
says otherwise; the table prints the setting. Times are medians of repeated calls after a
warm-up call; numpy and indexcalc alternate rounds
and keep their fastest round. Every value is compared with the NumPy loop's (a disagreement
raises). ``rows()`` returns ``(name, ratio to NumPy, ratio to JAX)`` for the collected benchmark;
run the file for a table::

    python benchmarks/rnn_scan.py            # T = 10, 100, 1000
    python benchmarks/rnn_scan.py --quick    # T = 10, 100, fewer repeats
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Callable

if __name__ == "__main__":  # before NumPy loads its BLAS
    # one BLAS thread unless told otherwise: on a shared 2-core machine OpenBLAS's threads made a
    # (1000 × 32)·(32 × 64) product 25x slower, penalizing whichever side batches its products
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

if __package__ in (None, ""):  # run as a script from anywhere in a checkout
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import indexcalc as ic

N, D = 64, 32
LENGTHS = (10, 100, 1000)
UNROLLED_UP_TO = 100  # deriving the unrolled RNN grows with T (≈1 s at T = 1000)


def inputs(T: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    return {"W": rng.normal(size=(N, N)) / np.sqrt(N), "U": rng.normal(size=(N, D)) / np.sqrt(D),
            "h0": rng.normal(size=N), "xs": rng.normal(size=(T, D)), "C": rng.normal(size=(T, N))}


def numpy_bptt(W, U, h0, xs, C):
    """∂L/∂W by the textbook loop: forward keeping the states, then backward through time."""
    hs = [h0]
    for x in xs:
        hs.append(np.tanh(W @ hs[-1] + U @ x))
    dW = np.zeros_like(W)
    g = np.zeros_like(h0)
    for t in range(len(xs) - 1, -1, -1):
        dpre = (g + C[t]) * (1.0 - hs[t + 1] ** 2)
        dW += np.outer(dpre, hs[t])
        g = W.T @ dpre
    return dW


def scan_gradient(T: int, backend: str = "numpy") -> Callable:
    W, U, h0 = ic.tensors(f"W[{N},{N}] U[{N},{D}] h0[{N}]")
    xs, C = ic.Tensor("xs", (T, D)), ic.Tensor("C", (T, N))
    H = ic.scan(lambda h, x: ic.tanh(W @ h + U @ x), h0, xs)
    return ic.compile(ic.grad(ic.sum(H * C), W), backend=backend)


def unrolled_gradient(T: int) -> Callable:
    W, U, h0 = ic.tensors(f"W[{N},{N}] U[{N},{D}] h0[{N}]")
    xs, C = ic.Tensor("xs", (T, D)), ic.Tensor("C", (T, N))
    h, loss = h0, 0.0
    for t in range(T):
        h = ic.tanh(W @ h + U @ xs[t])
        loss = loss + C[t] @ h
    return ic.compile(ic.grad(loss, W))


def _median_time(fn: Callable, values: dict, budget: float) -> float:
    fn(**values)  # warm-up: plans, caches
    times, start = [], time.perf_counter()
    while len(times) < 5 or (time.perf_counter() - start < budget and len(times) < 200):
        t0 = time.perf_counter()
        fn(**values)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _jax_times(lengths: tuple, budget: float) -> dict:
    """Median seconds of the jitted JAX gradient for each T (run in a child process)."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return {}
    jax.config.update("jax_enable_x64", True)

    def loss(W, U, h0, xs, C):
        def step(h, x):
            h = jnp.tanh(W @ h + U @ x)
            return h, h
        _, hs = jax.lax.scan(step, h0, xs)
        return jnp.sum(hs * C)

    jitted = jax.jit(jax.grad(loss))

    def grad(W, U, h0, xs, C):
        return jitted(W, U, h0, xs, C)
    out = {}
    for T in lengths:
        v = {k: jnp.asarray(a) for k, a in inputs(T).items()}
        ref = numpy_bptt(**inputs(T))
        got = np.asarray(grad(**v))
        if not np.allclose(got, ref, rtol=1e-9, atol=1e-9):
            raise AssertionError(f"jax disagrees with the NumPy loop at T = {T}")
        out[T] = _median_time(lambda **kw: grad(**kw).block_until_ready(), v, budget)
        ours = scan_gradient(T, backend="jax")  # ic.scan on the jax backend: a jitted lax.scan
        if not np.allclose(np.asarray(ours(**v)), ref, rtol=1e-9, atol=1e-9):
            raise AssertionError(f"ic.scan on the jax backend disagrees at T = {T}")
        out[("scan-jax", T)] = _median_time(lambda **kw: ours(**kw).block_until_ready(), v, budget)
    return out


def _measure(lengths: tuple, budget: float, unrolled_up_to: int) -> list[dict]:
    results = []
    for T in lengths:
        v = inputs(T)
        ref = numpy_bptt(**v)
        scan = scan_gradient(T)
        if not np.allclose(scan(**v), ref, rtol=1e-10, atol=1e-10):
            raise AssertionError(f"ic.scan's gradient disagrees with the NumPy loop at T = {T}")
        row = {"T": T, "numpy": [], "scan": []}
        for _ in range(3):  # alternate, keep each side's fastest round
            row["numpy"].append(_median_time(numpy_bptt, v, budget / 3))
            row["scan"].append(_median_time(scan, v, budget / 3))
        row = {"T": T, "numpy": min(row["numpy"]), "scan": min(row["scan"])}
        if T <= unrolled_up_to:
            unrolled = unrolled_gradient(T)
            if not np.allclose(unrolled(**v), ref, rtol=1e-10, atol=1e-10):
                raise AssertionError(f"the unrolled gradient disagrees at T = {T}")
            row["unrolled"] = _median_time(unrolled, v, budget / 3)
        results.append(row)
    return results


def measure(lengths: tuple = LENGTHS, budget: float = 1.0,
            unrolled_up_to: int = UNROLLED_UP_TO) -> list[dict]:
    """Seconds per call of each column, one dict per T (JAX measured in a child process)."""
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=ctx) as pool:
        jax_times = pool.submit(_jax_times, tuple(lengths), budget).result()
    results = _measure(tuple(lengths), budget, unrolled_up_to)
    for row in results:
        row["jax"] = jax_times.get(row["T"])
        if ("scan-jax", row["T"]) in jax_times:
            row["scan (jax backend)"] = jax_times["scan-jax", row["T"]]
    return results


def rows(lengths: tuple = LENGTHS, budget: float = 1.0) -> list[tuple]:
    """``(name, ratio to the NumPy loop, ratio to JAX)`` for each measured column and T (the
    JAX ratio is ``None`` where JAX is not installed)."""
    out = []
    for r in measure(lengths, budget):
        for name in ("scan", "unrolled", "scan (jax backend)"):
            if name in r:
                out.append((f"RNN grad, n={N}, T={r['T']} ({name})", r[name] / r["numpy"],
                            r[name] / r["jax"] if r["jax"] else None))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="T = 10, 100 and shorter timing")
    args = parser.parse_args(argv)
    lengths, budget = ((10, 100), 0.3) if args.quick else (LENGTHS, 1.0)
    results = measure(lengths, budget)
    head = f"{'T':>5} {'numpy loop':>11} {'ic.scan':>9} {'unrolled':>9} {'jax scan':>9}" \
           f" {'scan/numpy':>11} {'scan/jax':>9} {'unrolled/numpy':>15} {'ic.scan on jax/jax':>19}"
    threads = ", ".join(f"{v}={os.environ[v]}" for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                         "MKL_NUM_THREADS") if v in os.environ)
    print(f"RNN h_t = tanh(W h_t-1 + U x_t), dL/dW, n = {N}, d = {D} (times in ms; "
          f"{threads or 'BLAS threads: default'})")
    print(head)
    for r in results:
        jax, unrolled = r["jax"], r.get("unrolled")
        cells = [f"{r['numpy'] * 1e3:.3f}", f"{r['scan'] * 1e3:.3f}",
                 f"{unrolled * 1e3:.3f}" if unrolled else "—", f"{jax * 1e3:.3f}" if jax else "n/a",
                 f"{r['scan'] / r['numpy']:.2f}x", f"{r['scan'] / jax:.2f}x" if jax else "n/a",
                 f"{unrolled / r['numpy']:.2f}x" if unrolled else "—",
                 f"{r['scan (jax backend)'] / jax:.2f}x" if "scan (jax backend)" in r else "n/a"]
        widths = (11, 9, 9, 9, 11, 9, 15, 19)
        print(f"{r['T']:>5} " + " ".join(f"{c:>{w}}" for c, w in zip(cells, widths)))

if __name__ == "__main__":
    main()
