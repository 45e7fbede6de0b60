"""Benchmark of indexcalc's derivative programs against hand-written NumPy, JAX and torch.func.

Issue 6, item 2. For each workload of ``benchmark_workloads.WORKLOADS`` the script measures, in
one run and on the same seeded float64 inputs:

* **derive + plan** — ``ic.grad``/``ic.diff``/``ic.hessian`` of the expression as the user wrote
  it, then ``ic.plan`` for the bound sizes (the median of 5 runs, each from fresh tensors);
* **indexcalc** — the evaluation time of ``ic.compile(derivative)``;
* **closed form** — the hand-written NumPy matrix formula, the yardstick;
* **jax** — ``jax.jit`` of ``jax.grad``/``jacrev``/``jacfwd``/``hessian`` of the same function
  (ahead-of-time compiled; the compile time is shown in brackets, never in the median);
* **torch** — ``torch.func.grad``/``jacrev``/``jacfwd``/``hessian`` of the same function, eager.

Times are medians of repeated calls after one warm-up call; the closed form and indexcalc are
measured in three alternating rounds and each keeps its fastest round, so that a load that comes
and goes on a shared machine does not land on one side only. Ratios divide by the closed form's
median from the same run. JAX and torch each run in a child process of their own, one after the
other, so that their idle-spinning thread pools never share the cores with another measurement
(on 2 cores they slowed the NumPy closed forms down up to 17x). Every column's value is compared with the closed form; a disagreement
is printed as MISMATCH, not hidden. "Peak" is the largest extra memory one call needs, output
included: ``tracemalloc``'s peak for the NumPy paths (closed form, indexcalc with the NumPy
backend), XLA's compiled ``memory_analysis`` (temporaries + output) for JAX; not measured for
torch. For full Jacobians the framework transform is the cheaper direction for the sizes (jacrev
when the output is smaller than the input, jacfwd otherwise). A framework column is skipped, with
the reason printed, when its dense Jacobian machinery would need more than ``--memory-limit-gib``.

Columns whose package is not installed print "n/a". Run from a checkout where indexcalc is
installed (``pip install -e .``); JAX, torch and matplotlib are optional::

    python benchmarks/benchmark.py                 # full sizes (a few minutes on 2 cores)
    python benchmarks/benchmark.py --quick --only a,c1
    python benchmarks/benchmark.py --png docs/benchmark.png
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import importlib.util
import multiprocessing
import os
import platform
import statistics
import sys
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Callable, Mapping, Sequence

import numpy as np

import benchmark_workloads as bw

#: Relative error (max |value - closed form| / max |closed form|) above which a column is wrong.
AGREEMENT_RTOL = 1e-6

FRAMEWORK_COLUMNS = ("indexcalc", "jax", "torch")

#: How many times derive + plan is measured (from fresh tensors each time); the median is shown.
SETUP_REPEATS = 5


@dataclass(frozen=True)
class Settings:
    """How long to time each measurement.

    Attributes:
        min_time: keep repeating until the timed calls add up to this many seconds...
        min_repeats: ...and at least this many calls were timed...
        max_repeats: ...but never more than this many.
        memory_limit: bytes a framework's dense Jacobian may need before its column is skipped.
        rounds: the closed form and the in-process columns are measured this many times in
            turn; each keeps its fastest round's median.
    """

    min_time: float
    min_repeats: int
    max_repeats: int
    memory_limit: int
    rounds: int = 1


@dataclass
class Cell:
    """One measured column of one workload.

    Attributes:
        seconds: median time of one call, or ``None`` when not measured.
        setup: one-off seconds before the first call (derive + plan, or JIT compile).
        peak: peak extra bytes of one call, or ``None`` when not measured.
        note: why the cell is empty, which transform ran, or a MISMATCH report.
    """

    seconds: float | None = None
    setup: float | None = None
    peak: int | None = None
    note: str = ""


@dataclass
class Row:
    """All columns of one workload."""

    workload: bw.Workload
    closed: Cell
    columns: dict[str, Cell]


# --- measuring ----------------------------------------------------------------------------------


def median_seconds(call: Callable[[], object], settings: Settings) -> float:
    """Median wall time of ``call`` over repeated runs, after one untimed warm-up run."""
    call()
    times: list[float] = []
    while len(times) < settings.max_repeats and (
        len(times) < settings.min_repeats or sum(times) < settings.min_time
    ):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def traced_peak(call: Callable[[], object]) -> int:
    """Peak bytes allocated through Python/NumPy during one ``call``, its result included."""
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def agreement_note(value: np.ndarray, reference: np.ndarray) -> str:
    """Empty when ``value`` equals the closed form ``reference``, else a MISMATCH description."""
    value = np.asarray(value)
    if value.shape != reference.shape:
        return f"MISMATCH: shape {value.shape} != closed form {reference.shape}"
    scale = max(float(np.max(np.abs(reference), initial=0.0)), np.finfo(float).tiny)
    error = float(np.max(np.abs(value - reference), initial=0.0)) / scale
    return "" if error <= AGREEMENT_RTOL else f"MISMATCH: relative error {error:.1e}"


def transform_name(workload: bw.Workload, in_size: int, result_size: int) -> str:
    """The framework transform for ``workload``: its mode, with a full Jacobian's direction chosen.

    Reverse mode pushes one cotangent per output entry, forward mode one tangent per input
    entry; a user picks the smaller, and so do we.
    """
    if workload.mode != "jacobian":
        return workload.mode
    return "jacrev" if result_size // in_size <= in_size else "jacfwd"


def dense_bytes(transform: str, in_size: int, result_size: int) -> int:
    """Bytes of the one-hot basis a framework batches over, plus the derivative it returns."""
    out_size = result_size // in_size
    basis = {"grad": 0, "jacrev": out_size**2, "jacfwd": in_size**2, "hessian": in_size**2}
    return 8 * (basis[transform] + result_size)


def gib(n_bytes: int) -> str:
    """``n_bytes`` in GiB, for messages."""
    return f"{n_bytes / 2**30:.1f} GiB"


# --- the columns --------------------------------------------------------------------------------


def closed_form_column(workload: bw.Workload, inputs: dict, settings: Settings):
    """Time the hand-written closed form; returns its :class:`Cell` and its value."""
    value = workload.closed_form(**inputs)
    seconds = median_seconds(lambda: workload.closed_form(**inputs), settings)
    peak = traced_peak(lambda: workload.closed_form(**inputs))
    return Cell(seconds=seconds, peak=peak), value


def optional_module(name: str):
    """Import an optional dependency, or return ``None`` when it is not installed."""
    if importlib.util.find_spec(name) is None:
        return None
    return importlib.import_module(name)


def load_indexcalc():
    """The indexcalc package, or ``None`` while it does not exist yet.

    A source tree without ``indexcalc/__init__.py`` is a namespace package with no origin; that
    counts as absent. Once the package exists, any error importing it propagates.
    """
    spec = importlib.util.find_spec("indexcalc")
    if spec is None or spec.origin is None or spec.origin == "namespace":
        return None
    return importlib.import_module("indexcalc")


def indexcalc_column(workload, inputs, sizes, reference, settings) -> Cell:
    """Derive with indexcalc's public API, plan, compile and time the compiled program."""
    ic = load_indexcalc()
    if ic is None:
        return Cell(note="indexcalc: not installed")
    spec = " ".join(f"{name}[{','.join(dims)}]" for name, dims in workload.shapes.items())
    derive = {"grad": ic.grad, "jacobian": ic.diff, "hessian": ic.hessian}[workload.mode]
    setups = []
    for _ in range(SETUP_REPEATS):  # the median: one run can lose a time slice to the scheduler
        tensors = dict(zip(workload.shapes, ic.tensors(spec)))
        expression = workload.function(ic, **tensors)
        start = time.perf_counter()
        derivative = derive(expression, tensors[workload.wrt])
        ic.plan(derivative, **sizes)
        setups.append(time.perf_counter() - start)
    setup = statistics.median(setups)
    program = ic.compile(derivative)
    note = agreement_note(program(**inputs), reference)
    seconds = median_seconds(lambda: program(**inputs), settings)
    peak = traced_peak(lambda: program(**inputs))
    return Cell(seconds=seconds, setup=setup, peak=peak, note=note and f"indexcalc: {note}")


def split_wrt(workload: bw.Workload, inputs: dict, convert: Callable):
    """``(x, rest)``: the converted input to differentiate by, and a dict of the others."""
    rest = {k: convert(v) for k, v in inputs.items() if k != workload.wrt}
    return convert(inputs[workload.wrt]), rest


def as_function_of_wrt(workload: bw.Workload, ops) -> Callable:
    """``f(x, rest)``: the workload's function with its differentiation variable first."""
    return lambda x, rest: workload.function(ops, **{workload.wrt: x}, **rest)


def jax_column(workload, inputs, sizes, reference, settings) -> Cell:
    """``jax.jit`` of the JAX transform of the workload's function, compiled ahead of time."""
    jax = optional_module("jax")
    if jax is None:
        return Cell(note="jax: not installed")
    jax.config.update("jax_enable_x64", True)
    ops = SimpleNamespace(sum=jax.numpy.sum, tanh=jax.numpy.tanh, softplus=jax.nn.softplus)
    name = transform_name(workload, inputs[workload.wrt].size, reference.size)
    x, rest = split_wrt(workload, inputs, jax.numpy.asarray)
    start = time.perf_counter()
    compiled = jax.jit(getattr(jax, name)(as_function_of_wrt(workload, ops))).lower(x, rest).compile()
    setup = time.perf_counter() - start
    analysis = compiled.memory_analysis()
    peak = analysis.temp_size_in_bytes + analysis.output_size_in_bytes if analysis else None
    needed = peak or dense_bytes(name, inputs[workload.wrt].size, reference.size)
    if needed > settings.memory_limit:
        return Cell(note=f"jax {name}: skipped, needs {gib(needed)} > {gib(settings.memory_limit)}")

    def call():
        return compiled(x, rest).block_until_ready()

    note = agreement_note(np.asarray(call()), reference)
    seconds = median_seconds(call, settings)
    return Cell(seconds=seconds, setup=setup, peak=peak, note=f"jax: {name} {note}".rstrip())


def torch_column(workload, inputs, sizes, reference, settings) -> Cell:
    """``torch.func`` transform of the workload's function, run eagerly."""
    torch = optional_module("torch")
    if torch is None:
        return Cell(note="torch: not installed")
    import torch.func  # noqa: F401  (a submodule, loaded explicitly)

    ops = SimpleNamespace(sum=torch.sum, tanh=torch.tanh, softplus=torch.nn.functional.softplus)
    name = transform_name(workload, inputs[workload.wrt].size, reference.size)
    needed = dense_bytes(name, inputs[workload.wrt].size, reference.size)
    if needed > settings.memory_limit:
        return Cell(note=f"torch {name}: skipped, needs ~{gib(needed)} > {gib(settings.memory_limit)}")
    x, rest = split_wrt(workload, inputs, torch.from_numpy)
    derivative = getattr(torch.func, name)(as_function_of_wrt(workload, ops))
    note = agreement_note(derivative(x, rest).numpy(), reference)
    seconds = median_seconds(lambda: derivative(x, rest), settings)
    return Cell(seconds=seconds, note=f"torch: {name} {note}".rstrip())


COLUMNS: dict[str, Callable[..., Cell]] = {
    "indexcalc": indexcalc_column,
    "jax": jax_column,
    "torch": torch_column,
}


#: Columns measured in a child process of their own: their thread pools keep spinning after a
#: call and, on a small machine, would slow down every NumPy measurement that follows them.
ISOLATED_COLUMNS = ("jax", "torch")


def measure_row(workload: bw.Workload, quick: bool, columns: Sequence[str], settings: Settings,
                seed: int) -> Row:
    """Measure the closed form and the in-process ``columns`` of one workload."""
    sizes = workload.quick_sizes if quick else workload.sizes
    print(f"measuring ({workload.key}) {dict(sizes)} ...", file=sys.stderr, flush=True)
    inputs = bw.random_inputs(workload, sizes, seed)
    closed, cells = None, {}
    for _ in range(settings.rounds):  # alternate: a load that comes and goes hits both sides
        new_closed, reference = closed_form_column(workload, inputs, settings)
        closed = faster(closed, new_closed)
        for name in columns:
            if name not in ISOLATED_COLUMNS:
                cells[name] = faster(cells.get(name),
                                     COLUMNS[name](workload, inputs, dict(sizes), reference, settings))
    return Row(workload, closed, cells)


def faster(old: Cell | None, new: Cell) -> Cell:
    """The round with the lower median (and the lower setup time) of two measurements of a cell."""
    if old is None or old.seconds is None or new.seconds is None:
        return new
    best = new if new.seconds < old.seconds else old
    setups = [c.setup for c in (old, new) if c.setup is not None]
    return Cell(best.seconds, min(setups) if setups else None, best.peak, best.note)


def column_cells(name: str, keys: Sequence[str], quick: bool, settings: Settings,
                 seed: int) -> dict[str, Cell]:
    """Measure column ``name`` of the workloads ``keys`` (the body of a child process)."""
    cells = {}
    for workload in bw.select(",".join(keys)):
        sizes = workload.quick_sizes if quick else workload.sizes
        print(f"measuring ({workload.key}) with {name} ...", file=sys.stderr, flush=True)
        inputs = bw.random_inputs(workload, sizes, seed)
        reference = workload.closed_form(**inputs)
        cells[workload.key] = COLUMNS[name](workload, inputs, dict(sizes), reference, settings)
    return cells


def isolated_column_cells(name: str, keys: Sequence[str], quick: bool, settings: Settings,
                          seed: int) -> dict[str, Cell]:
    """:func:`column_cells` run in a fresh (spawned) process, which exits before the next one."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        try:
            return pool.submit(column_cells, name, keys, quick, settings, seed).result()
        except BrokenProcessPool as error:  # e.g. killed for memory: say so in every cell
            return {key: Cell(note=f"{name}: process died ({error})") for key in keys}


def measure(workloads: Sequence[bw.Workload], quick: bool, columns: Sequence[str],
            settings: Settings, seed: int) -> list[Row]:
    """All rows: closed forms and indexcalc in this process, then each isolated column."""
    rows = [measure_row(w, quick, columns, settings, seed) for w in workloads]
    keys = [w.key for w in workloads]
    for name in (c for c in columns if c in ISOLATED_COLUMNS):
        cells = isolated_column_cells(name, keys, quick, settings, seed)
        for row in rows:
            row.columns[name] = cells[row.workload.key]
    return rows


# --- reporting ----------------------------------------------------------------------------------


def ms(seconds: float | None) -> str:
    """Milliseconds with three significant digits, or ``n/a``."""
    return "n/a" if seconds is None else f"{seconds * 1e3:.3g}"


def ratio(cell: Cell, closed: Cell) -> float | None:
    """``cell``'s median time over the closed form's, or ``None``."""
    if cell.seconds is None or not closed.seconds:
        return None
    return cell.seconds / closed.seconds


def mb(n_bytes: int | None) -> str:
    """Megabytes, or ``n/a``."""
    return "n/a" if n_bytes is None else f"{n_bytes / 1e6:.3g}"


def table_lines(rows: Sequence[Row], columns: Sequence[str]) -> list[str]:
    """The result table: one line per workload, then the notes."""
    header = ["wl", "derive+plan", "closed"]
    header += [f"{c}" for c in columns] + [f"{c}/closed" for c in columns]
    header += ["peak closed"] + [f"peak {c}" for c in columns if c != "torch"]
    lines = []
    for row in rows:
        cells = [row.columns.get(c, Cell()) for c in columns]
        setup = row.columns.get("indexcalc", Cell()).setup
        fields = [row.workload.key, ms(setup), ms(row.closed.seconds)]
        fields += [ms(c.seconds) + (f" ({ms(c.setup)})" if name == "jax" and c.setup else "")
                   for name, c in zip(columns, cells)]
        fields += ["n/a" if (r := ratio(c, row.closed)) is None else f"{r:.3g}x" for c in cells]
        fields += [mb(row.closed.peak)] + [mb(c.peak) for n, c in zip(columns, cells) if n != "torch"]
        lines.append(fields)
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines)]
    render = [" | ".join(str(x).rjust(w) for x, w in zip(line, widths)) for line in [header, *lines]]
    render.insert(1, "-+-".join("-" * w for w in widths))
    render.append("")
    render.append("times in ms (median); jax compile time in brackets; peaks in MB")
    for row in rows:
        notes = [c.note for c in row.columns.values() if c.note]
        render.append(f"({row.workload.key}) {row.workload.title}" + (f" -- {'; '.join(notes)}" if notes else ""))
    return render


def write_png(rows: Sequence[Row], columns: Sequence[str], path: str) -> None:
    """A grouped bar chart (log scale) of each column's time ratio to the closed form."""
    if optional_module("matplotlib") is None:
        print(f"--png: matplotlib is not installed (pip install matplotlib); {path} not written",
              file=sys.stderr)
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.5))
    width = 0.8 / max(len(columns), 1)
    for i, name in enumerate(columns):
        offset = (i - (len(columns) - 1) / 2) * width
        points = [(j + offset, ratio(row.columns.get(name, Cell()), row.closed))
                  for j, row in enumerate(rows)]
        points = [(x, r) for x, r in points if r is not None]
        if points:
            ax.bar(*zip(*points), width, color=f"C{i}", label=name)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_yscale("log")
    ax.set_xticks(range(len(rows)), [f"({row.workload.key})" for row in rows])
    ax.set_ylabel("time / hand-written NumPy closed form")
    ax.set_title("Derivative evaluation time relative to the closed form (lower is better)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"wrote {path}")


def versions(columns: Sequence[str]) -> str:
    """One line naming the machine, its thread settings and the versions of what is measured.

    Only indexcalc may be imported, when it runs from a source tree (no installed metadata).
    """
    parts = [f"python {platform.python_version()}", f"numpy {np.__version__}"]
    for name in columns:
        try:
            parts.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            ic = load_indexcalc() if name == "indexcalc" else None
            parts.append(f"{name} {ic.__version__} (source tree)" if ic else f"{name} n/a")
    threads = [f"{v}={os.environ[v]}" for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                 "MKL_NUM_THREADS") if v in os.environ]
    return (f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores"
            + (f" ({', '.join(threads)})" if threads else "") + "; " + ", ".join(parts))


def load_warning(when: str) -> str:
    """A warning line when other processes keep the CPUs busy (timings are then unreliable)."""
    load, cores = os.getloadavg()[0], len(os.sched_getaffinity(0))
    if load < 0.5:
        return ""
    return (f"warning: 1-minute load average {load:.2f} on {cores} cores {when}; other processes "
            "compete for the CPUs and the timings (ratios included) are noisy")


# --- command line -------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and few repeats")
    parser.add_argument("--only", metavar="KEYS", help="comma-separated workloads, e.g. a,c1")
    parser.add_argument("--columns", default=",".join(FRAMEWORK_COLUMNS),
                        help="comma-separated subset of indexcalc,jax,torch (default: all)")
    parser.add_argument("--png", metavar="PATH", help="write a bar chart of the ratios")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--memory-limit-gib", type=float, default=8.0,
                        help="skip a framework whose dense Jacobian needs more (default 8)")
    args = parser.parse_args(argv)
    args.columns = [c.strip() for c in args.columns.split(",") if c.strip()]
    unknown = set(args.columns) - set(FRAMEWORK_COLUMNS)
    if unknown:
        parser.error(f"unknown column(s) {', '.join(sorted(unknown))}; valid: {', '.join(FRAMEWORK_COLUMNS)}")
    try:
        args.workloads = bw.select(args.only)
    except ValueError as error:
        parser.error(str(error))
    return args


def main(argv: Sequence[str] | None = None) -> list[Row]:
    """Run the benchmark, print the table, optionally write the PNG; returns the rows."""
    args = parse_args(argv)
    limit = int(args.memory_limit_gib * 2**30)
    settings = (Settings(0.02, 2, 5, limit) if args.quick else Settings(1.0, 3, 100, limit, 3))
    print(versions(args.columns), flush=True)
    warnings = [load_warning("before the run")]
    rows = measure(args.workloads, args.quick, args.columns, settings, args.seed)
    warnings.append(load_warning("after the run (this benchmark's own load included)"))
    print("\n".join(table_lines(rows, args.columns) + [w for w in warnings if w]))
    if args.png:
        write_png(rows, args.columns, args.png)
    return rows


if __name__ == "__main__":
    main()
