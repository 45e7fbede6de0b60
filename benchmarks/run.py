"""The performance benchmark's one entry point (issue 18): every row a ratio to the hand-written
NumPy form and to JAX, measured side by side in one run.

Rows:

* **rnn-T** — ``∂L/∂W`` of the RNN ``h_t = tanh(W h_{t−1} + U x_t)``, ``L = Σ_t c_tᵀ h_t``,
  n = 64, inputs of 32, T = 10, 100, 1000, unrolled with indexcalc; against the NumPy BPTT
  loop and ``jax.grad`` of ``jax.lax.scan`` (jitted). The ``ic.scan`` rows come from
  ``benchmarks/rnn_scan.py`` when it exists (its ``rows()``), else a line says they are absent;
* **logistic** — the logistic-loss gradient as derived (``−Xᵀy + Xᵀσ(Xw)``) against the closed
  form ``Xᵀ(σ(Xw) − y)``, n = 5000, d = 500;
* **lsq-S** — the least-squares gradient of workload (a) at three sizes (the smallest is where a
  fixed cost per call shows);
* **latency** — first value of 100 distinct small expressions: build, differentiate, compile,
  evaluate once, per expression; NumPy's is the closed form's first call, JAX's the first call
  of a fresh ``jax.jit(jax.grad(f))`` (trace + compile + run);
* the rows of ``benchmarks/benchmark.py`` (a, b1, …, e) with the same two yardsticks.

Times are medians of repeated calls after a warm-up; NumPy and indexcalc alternate rounds and
keep their fastest; JAX runs in a child process of its own (its thread pool would otherwise
slow the NumPy measurements on a small machine), float64. Every indexcalc and JAX value is
compared with the NumPy one; a disagreement prints MISMATCH in the row. Targets are reported,
never asserted::

    python benchmarks/run.py                      # the full table (several minutes on 2 cores)
    python benchmarks/run.py --quick              # small sizes, a smoke test
    python benchmarks/run.py --svg docs/img/performance.svg --markdown table.md
"""

from __future__ import annotations

import argparse
import importlib.util
import multiprocessing
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Callable, Sequence

if __name__ == "__main__":
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_var, "1")  # one BLAS thread: see docs/performance.md
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]

import numpy as np  # noqa: E402

import benchmark  # noqa: E402
import benchmark_workloads as bw  # noqa: E402
import indexcalc as ic  # noqa: E402

RNN_N, RNN_D = 64, 32
LSQ_SIZES = ({"n": 200, "d": 50, "h": 40}, {"n": 1000, "d": 200, "h": 100},
             {"n": 2000, "d": 500, "h": 300})
LATENCY_COUNT = 100

#: row key prefix -> (target ratio to NumPy, what the issue asks), reported in the table
TARGETS = {"rnn": 1.0, "lsq-1": 1.3, "logistic": 1.1, "a": 1.1, "b1": 1.1, "b2": 1.1, "c1": 1.1,
           "c2": 1.1, "d": 1.1, "e": 1.1}


@dataclass
class Result:
    """One row: seconds per call of each column (``None``: not measured) and notes."""

    key: str
    title: str
    numpy: float | None
    indexcalc: float | None
    jax: float | None = None
    note: str = ""
    given: tuple | None = None  # (ratio to NumPy, ratio to JAX) measured elsewhere (rnn_scan)

    def to_numpy(self) -> float | None:
        return self.given[0] if self.given else _ratio(self.indexcalc, self.numpy)

    def to_jax(self) -> float | None:
        return self.given[1] if self.given else _ratio(self.indexcalc, self.jax)


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


# --- the cases ----------------------------------------------------------------------------------


def rnn_values(T: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    n, d = RNN_N, RNN_D
    return {"W": rng.normal(size=(n, n)) / np.sqrt(n), "U": rng.normal(size=(n, d)) / np.sqrt(d),
            "h0": rng.normal(size=n), "xs": rng.normal(size=(T, d)), "C": rng.normal(size=(T, n))}


def rnn_numpy(W, U, h0, xs, C):
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


def rnn_indexcalc(T: int) -> Callable:
    W, U, h0 = ic.tensors(f"W[{RNN_N},{RNN_N}] U[{RNN_N},{RNN_D}] h0[{RNN_N}]")
    xs, C = ic.Tensor("xs", (T, RNN_D)), ic.Tensor("C", (T, RNN_N))
    h, loss = h0, 0.0
    for t in range(T):
        h = ic.tanh(W @ h + U @ xs[t])
        loss = loss + C[t] @ h
    return ic.compile(ic.grad(loss, W))


def logistic_values(quick: bool, seed: int = 0) -> dict:
    n, d = (50, 8) if quick else (5000, 500)
    rng = np.random.default_rng(seed)
    return {"X": rng.normal(size=(n, d)) / np.sqrt(d), "w": rng.normal(size=d),
            "y": rng.integers(0, 2, n).astype(float)}


def logistic_numpy(X, w, y):
    """``Xᵀ(σ(Xw) − y)``: X read twice."""
    return X.T @ (1.0 / (1.0 + np.exp(-(X @ w))) - y)


def logistic_indexcalc() -> Callable:
    X, w, y = ic.tensors("X[n,d] w[d] y[n]")
    return ic.compile(ic.grad(ic.sum(ic.softplus(X @ w)) - y @ (X @ w), w))


def lsq_indexcalc() -> Callable:
    X, W, v, y = ic.tensors("X[n,d] W[d,h] v[h] y[n]")
    return ic.compile(ic.grad(bw.least_squares(ic, X=X, W=W, v=v, y=y), W))


def latency_constants(k: int) -> tuple[float, float]:
    return 1.0 + k / 100, 0.5 + k / 1000


def latency_values(seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    return {"A": rng.normal(size=(20, 10)) / np.sqrt(10), "x": rng.normal(size=10)}


def latency_indexcalc(count: int, values: dict) -> list:
    """Per distinct expression ``Σ softplus(a·Ax) + b·x·x``: build, grad, compile, one value."""
    out = []
    for k in range(count):
        a, b = latency_constants(k)
        A, x = ic.tensors("A[m,n] x[n]")
        out.append(ic.compile(ic.grad(ic.sum(ic.softplus(a * (A @ x))) + b * (x @ x), x))(**values))
    return out


def latency_numpy(count: int, values: dict) -> list:
    A, x = values["A"], values["x"]
    out = []
    for k in range(count):
        a, b = latency_constants(k)
        out.append(a * A.T @ (1.0 / (1.0 + np.exp(-a * (A @ x)))) + 2 * b * x)
    return out


# --- measuring ----------------------------------------------------------------------------------


def median_time(call: Callable[[], object], budget: float, min_repeats: int = 3) -> float:
    """Median seconds of ``call`` after one warm-up call, repeated for about ``budget`` seconds."""
    call()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < min_repeats or (time.perf_counter() - start < budget and len(times) < 1000):
        t = time.perf_counter()
        call()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def side_by_side(numpy_call: Callable, ic_call: Callable, budget: float, rounds: int) -> tuple:
    """Fastest-round medians of the NumPy and indexcalc calls, measured in alternation."""
    a = b = float("inf")
    for _ in range(rounds):
        a = min(a, median_time(numpy_call, budget))
        b = min(b, median_time(ic_call, budget))
    return a, b


def agreement(value, reference, what: str) -> str:
    note = benchmark.agreement_note(np.asarray(value), np.asarray(reference))
    return f"{what}: {note}" if note else ""


def plan(quick: bool) -> list[tuple[str, str, dict]]:
    """``(key, title, parameters)`` of the new rows, in order."""
    lengths = (10,) if quick else (10, 100, 1000)
    rows = [(f"rnn-{T}", f"RNN grad by W, n={RNN_N}, T={T}, unrolled", {"T": T}) for T in lengths]
    rows.append(("logistic", "logistic-loss gradient, derived vs Xᵀ(σ(Xw) − y)", {}))
    sizes = ({"n": 7, "d": 5, "h": 4},) if quick else LSQ_SIZES
    rows += [(f"lsq-{i + 1}", "least-squares grad (a), n,d,h = " +
              ",".join(str(s[k]) for k in "ndh"), {"sizes": s}) for i, s in enumerate(sizes)]
    rows.append(("latency", f"first value of {5 if quick else LATENCY_COUNT} distinct small "
                 "expressions (per expression)", {"count": 5 if quick else LATENCY_COUNT}))
    return rows


def measure_new_row(key: str, title: str, p: dict, quick: bool, budget: float, rounds: int) -> Result:
    """NumPy and indexcalc columns of one new row (JAX is measured in its own process)."""
    print(f"measuring {key} ...", file=sys.stderr, flush=True)
    if key.startswith("rnn"):
        values, f = rnn_values(p["T"]), rnn_indexcalc(p["T"])
        numpy_call, ic_call = (lambda: rnn_numpy(**values)), (lambda: f(**values))
    elif key == "logistic":
        values, f = logistic_values(quick), logistic_indexcalc()
        numpy_call, ic_call = (lambda: logistic_numpy(**values)), (lambda: f(**values))
    elif key.startswith("lsq"):
        values, f = bw.random_inputs(bw.WORKLOADS[0], p["sizes"]), lsq_indexcalc()
        numpy_call = lambda: bw.least_squares_grad(**values)  # noqa: E731
        ic_call = lambda: f(**values)  # noqa: E731
    else:  # latency: one pass each, no warm-up (the first value is what is measured)
        values, count = latency_values(), p["count"]
        ic.evaluate(ic.tensors("A[m,n]")[0] * 1.0, A=values["A"])  # imports done
        t = time.perf_counter()
        mine = latency_indexcalc(count, values)
        ic_time = (time.perf_counter() - t) / count
        t = time.perf_counter()
        ref = latency_numpy(count, values)
        np_time = (time.perf_counter() - t) / count
        notes = [agreement(m, r, "indexcalc") for m, r in zip(mine, ref)]
        return Result(key, title, np_time, ic_time, note=next((n for n in notes if n), ""))
    note = agreement(ic_call(), numpy_call(), "indexcalc")
    np_time, ic_time = side_by_side(numpy_call, ic_call, budget, rounds)
    return Result(key, title, np_time, ic_time, note=note)


def jax_times(rows: list, quick: bool, budget: float) -> dict:
    """key -> (seconds, note) of JAX for the new rows (the body of a child process)."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    out = {}

    def rnn_loss(W, U, h0, xs, C):
        def step(h, x):
            h = jnp.tanh(W @ h + U @ x)
            return h, h
        return jnp.sum(jax.lax.scan(step, h0, xs)[1] * C)

    def logistic_loss(w, X, y):
        z = X @ w
        return jnp.sum(jax.nn.softplus(z)) - y @ z

    def lsq_loss(W, X, v, y):
        return 0.5 * jnp.sum(((X @ W) @ v - y) ** 2)

    for key, _, p in rows:
        if key.startswith("rnn"):
            values, ref = rnn_values(p["T"]), None
            g = jax.jit(jax.grad(rnn_loss))
            args = [jnp.asarray(values[k]) for k in ("W", "U", "h0", "xs", "C")]
            ref = rnn_numpy(**values)
        elif key == "logistic":
            values = logistic_values(quick)
            g = jax.jit(jax.grad(logistic_loss))
            args = [jnp.asarray(values[k]) for k in ("w", "X", "y")]
            ref = logistic_numpy(**values)
        elif key.startswith("lsq"):
            values = bw.random_inputs(bw.WORKLOADS[0], p["sizes"])
            g = jax.jit(jax.grad(lsq_loss))
            args = [jnp.asarray(values[k]) for k in ("W", "X", "v", "y")]
            ref = bw.least_squares_grad(**values)
        else:
            values = latency_values()
            A, x = jnp.asarray(values["A"]), jnp.asarray(values["x"])
            refs = latency_numpy(p["count"], values)
            t = time.perf_counter()
            got = []
            for k in range(p["count"]):
                a, b = latency_constants(k)
                f = (lambda a, b: lambda x: jnp.sum(jax.nn.softplus(a * (A @ x))) + b * (x @ x))(a, b)
                got.append(jax.jit(jax.grad(f))(x).block_until_ready())
            seconds = (time.perf_counter() - t) / p["count"]
            notes = [agreement(m, r, "jax") for m, r in zip(got, refs)]
            out[key] = (seconds, next((n for n in notes if n), ""))
            continue
        note = agreement(g(*args), ref, "jax")
        out[key] = (median_time(lambda: g(*args).block_until_ready(), budget), note)
    return out


def in_child(function: Callable, *args):
    """``function(*args)`` in a fresh (spawned) process, which exits before the next one."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def scan_rows(quick: bool) -> tuple[list[Result], str]:
    """The ``ic.scan`` rows of ``benchmarks/rnn_scan.py`` (its ``rows()``: ``(name, ratio to
    NumPy, ratio to JAX)``), or a line saying why there are none."""
    if importlib.util.find_spec("rnn_scan") is None:
        return [], ("scan rows: benchmarks/rnn_scan.py does not exist yet (ic.scan, issue 18 "
                    "item 1); only the unrolled RNN is measured")
    import rnn_scan

    lengths = (10,) if quick else (10, 100, 1000)
    out = []
    for name, to_numpy, to_jax in rnn_scan.rows(lengths, 0.3 if quick else 1.0):
        if "unrolled" in name:
            continue  # measured here
        label = name[name.index("(") + 1:name.rindex(")")]  # "scan", "scan (jax backend)"
        prefix = "scan-jax" if "jax" in label else label.replace(" ", "-")
        T = name.split("T=")[-1].split(" ")[0]
        out.append(Result(f"{prefix}-{T}", name, None, None, given=(to_numpy, to_jax)))
    return out, ""


def existing_rows(quick: bool, budget: float, rounds: int) -> list[Result]:
    """The rows of ``benchmarks/benchmark.py``, with its indexcalc and JAX columns."""
    limit = 8 * 2**30
    settings = benchmark.Settings(budget, 2 if quick else 3, 5 if quick else 100, limit, rounds)
    columns = ["indexcalc"] + (["jax"] if importlib.util.find_spec("jax") else [])
    out = []
    for row in benchmark.measure(bw.WORKLOADS, quick, columns, settings, 0):
        mine, jax = row.columns["indexcalc"], row.columns.get("jax", benchmark.Cell())
        notes = [c.note for c in (mine, jax) if "MISMATCH" in c.note or "skipped" in c.note]
        out.append(Result(row.workload.key, row.workload.title, row.closed.seconds, mine.seconds,
                          jax.seconds, "; ".join(notes)))
    return out


def measure_all(quick: bool, only_new: bool = False) -> tuple[list[Result], list[str]]:
    budget, rounds = (0.02, 1) if quick else (0.5, 3)
    rows = plan(quick)
    results = [measure_new_row(k, t, p, quick, budget, rounds) for k, t, p in rows]
    notes = []
    if importlib.util.find_spec("jax"):
        times = in_child(jax_times, rows, quick, budget)
        for r in results:
            r.jax, note = times[r.key]
            r.note = "; ".join(n for n in (r.note, note) if n)
    else:
        notes.append("jax is not installed: the JAX column is empty (pip install indexcalc[jax])")
    scans, why = scan_rows(quick)
    after_rnn = len([r for r in rows if r[0].startswith("rnn")])
    results[after_rnn:after_rnn] = scans
    notes += [why] if why else []
    if not only_new:
        results += existing_rows(quick, budget, rounds)
    return results, notes


# --- reporting ----------------------------------------------------------------------------------


def target_of(key: str) -> float | None:
    """The issue's target ratio to NumPy for a row (the RNN rows share one)."""
    if key.startswith(("rnn", "scan")):
        return TARGETS["rnn"]
    return TARGETS.get(key)


def fmt_ms(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1e3:.3g}"


def fmt_ratio(r: float | None) -> str:
    return "n/a" if r is None else f"{r:.2f}x"


def table(results: Sequence[Result]) -> list[list[str]]:
    header = ["row", "numpy ms", "indexcalc ms", "jax ms", "ic/numpy", "ic/jax", "target", "met"]
    lines = [header]
    for r in results:
        target = target_of(r.key)
        ratio = r.to_numpy()
        met = "" if target is None or ratio is None else ("yes" if ratio <= target else "no")
        lines.append([r.key, fmt_ms(r.numpy), fmt_ms(r.indexcalc), fmt_ms(r.jax), fmt_ratio(ratio),
                      fmt_ratio(r.to_jax()), "" if target is None else f"≤ {target}x", met])
    return lines


def text_lines(results: Sequence[Result], notes: Sequence[str]) -> list[str]:
    lines = table(results)
    widths = [max(len(x) for x in col) for col in zip(*lines)]
    out = [" | ".join(x.rjust(w) for x, w in zip(line, widths)) for line in lines]
    out.insert(1, "-+-".join("-" * w for w in widths))
    out += [""] + [f"{r.key}: {r.title}" + (f" -- {r.note}" if r.note else "") for r in results]
    return out + list(notes)


def markdown_lines(results: Sequence[Result]) -> list[str]:
    lines = table(results)
    out = ["| " + " | ".join(lines[0]) + " |", "|" + "---|" + "---:|" * (len(lines[0]) - 1)]
    return out + ["| " + " | ".join(line) + " |" for line in lines[1:]]


def write_plot(results: Sequence[Result], path: str) -> None:
    """Bars (log scale) of indexcalc's time over NumPy's and over JAX's, per row."""
    if importlib.util.find_spec("matplotlib") is None:
        print(f"matplotlib is not installed (pip install indexcalc[plot]); {path} not written",
              file=sys.stderr)
        return
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "indexcalc"  # the same table draws the same file
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 4.5))
    xs = np.arange(len(results))
    for i, (label, ratio) in enumerate((("indexcalc / NumPy", Result.to_numpy),
                                        ("indexcalc / JAX", Result.to_jax))):
        points = [(x + (i - 0.5) * 0.4, ratio(r)) for x, r in zip(xs, results)]
        points = [(x, v) for x, v in points if v is not None]
        if points:
            ax.bar(*zip(*points), 0.4, color=f"C{i}", label=label)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_xticks(xs, [r.key for r in results], rotation=45, ha="right")
    ax.set_ylabel("time ratio (lower is better)")
    ax.set_title("indexcalc's time relative to hand-written NumPy and to JAX")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, metadata={"Date": None} if path.endswith(".svg") else None)
    print(f"wrote {path}")


def main(argv: Sequence[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and few repeats")
    parser.add_argument("--new-only", action="store_true", help="skip benchmark.py's rows")
    parser.add_argument("--svg", metavar="PATH", help="write the plot (SVG or PNG by suffix)")
    parser.add_argument("--markdown", metavar="PATH", help="write the table as Markdown")
    args = parser.parse_args(argv)
    print(benchmark.versions(["indexcalc", "jax"]), flush=True)
    warning = benchmark.load_warning("before the run")
    results, notes = measure_all(args.quick, args.new_only)
    after = benchmark.load_warning("after the run (this benchmark's own load included)")
    print("\n".join(text_lines(results, notes) + [w for w in (warning, after) if w]))
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write("\n".join(markdown_lines(results)) + "\n")
    if args.svg:
        write_plot(results, args.svg)
    return results


if __name__ == "__main__":
    main()
