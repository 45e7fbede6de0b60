"""Cost of each stage against the depth of a graph: a chain ``x → sin(x) → sin(sin(x)) → …``.

For depths 10, 10², 10³, 10⁴ it times building the chain, its gradient, ``str``, ``to_latex``,
``to_python``, ``to_matrix``, ``to_kron``, ``explain``, ``hessian``, ``check``, ``compile`` (with its first call, which
plans) and ``evaluate``, and prints one row per stage: the growth across a row should be linear
(×10 per column). A step past ``--timeout`` seconds prints ``timeout`` and the row goes on; one
that raises prints the error's kind. Not a timed test: the suite runs it tiny
(``--depths 10 30``) to keep it working.

Run: ``python benchmarks/depth_benchmark.py [--depths 10 100 1000 10000] [--timeout 60]``
"""

from __future__ import annotations

import argparse
import signal
import sys
import time

import numpy as np

import indexcalc as ic


class _Timeout(Exception):
    pass


def _alarm(signum, frame):  # noqa: ARG001 - the signal handler's signature
    raise _Timeout


def timed(step, limit: float) -> tuple[str, object]:
    """``step()`` timed, as text: seconds, ``timeout`` past ``limit``, or the error's kind."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    start = time.perf_counter()
    try:
        out = step()
    except _Timeout:
        return "timeout", None
    except RecursionError:
        return "RecursionError", None
    except Exception as e:  # noqa: BLE001 - the table reports it and goes on
        return type(e).__name__, None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return f"{time.perf_counter() - start:.3f}", out


def row(depth: int, limit: float) -> dict[str, str]:
    x = ic.Tensor("x", "n")
    value = np.linspace(0.1, 0.5, 3)
    times: dict[str, str] = {}

    def build():
        e = x
        for _ in range(depth):
            e = ic.sin(e)
        return ic.sum(e)

    times["build"], f = timed(build, limit)
    if f is None:
        return times
    times["grad"], g = timed(lambda: ic.grad(f, x), limit)
    g = g if g is not None else f
    steps = {
        "str": lambda: str(g),
        "to_latex": lambda: ic.to_latex(g),
        "to_python": lambda: ic.to_python(g),
        "to_matrix": lambda: str(ic.to_matrix(g)),
        "to_kron": lambda: str(ic.to_kron(g)),
        "explain": lambda: str(ic.explain(f, x)),
        "hessian": lambda: ic.hessian(f, x),
        "check": lambda: ic.check(f, x, x=value),
        "compile": lambda: ic.compile(g)(x=value),
        "evaluate": lambda: ic.evaluate(g, x=value),
    }
    for name, step in steps.items():
        times[name], _ = timed(step, limit)
    return times


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depths", type=int, nargs="+", default=[10, 100, 1000, 10_000])
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per step")
    args = parser.parse_args(argv)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))  # the default: nothing raised
    rows = {d: row(d, args.timeout) for d in args.depths}
    stages = list(dict.fromkeys(k for r in rows.values() for k in r))
    print("seconds per stage, by depth of a sin chain (and its gradient)")
    print(f"{'stage':<10}" + "".join(f"{d:>12}" for d in args.depths))
    for stage in stages:
        print(f"{stage:<10}" + "".join(f"{rows[d].get(stage, '-'):>12}" for d in args.depths))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
