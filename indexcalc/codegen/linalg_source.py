"""``ic.to_python`` code for the linear-algebra nodes: solves and matrix functions.

Rows of :data:`indexcalc.codegen.python_source._EMIT` (signature ``(writer, node) -> expression
source``). A solve is ``linalg.solve`` on ``b`` reshaped to columns (never an inverse); a matrix
function imports its row's evaluator (``from scipy.linalg import expm``; JAX:
``jax.scipy.linalg``) and a Fréchet derivative ``L_f(A, E)`` is a helper taking the top-right
block of ``f([[A, E], [0, A]])`` for each trailing index of ``E``.
"""

from __future__ import annotations

from typing import Any

from ..core.matrix_functions import matrix_function
from ..core.nodes import MatrixFunction, Solve
from ..errors import IndexcalcError

_SOLVE = ["def {f}(a, b):",
          "    lead = b.shape[:a.ndim - 1]",
          "    x = {m}.linalg.solve(a, b.reshape(lead + (-1,)))",
          "    return x.reshape(b.shape)"]

_FRECHET = ["def {f}(fn, a, d):",
            "    n, tail = a.shape[0], d.shape[2:]",
            "    moved = {m}.moveaxis(d.reshape((n, n, -1)), 2, 0)",
            "    zero = {m}.zeros_like(a)",
            "    blocks = [fn({m}.block([[a, e], [zero, a]]))[:n, n:] for e in moved]",
            "    return {m}.moveaxis({m}.stack(blocks), 0, 2).reshape(d.shape)"]

_SYMMETRIC_CHOLESKY = ["def {f}(a):",
                       "    return {m}.linalg.cholesky((a + a.T) / 2)"]


def _helper(w: Any, key: str, lines: list[str]) -> str:
    if key not in w.sources:
        fname = w.helper(key, "_" + key)
        w.sources[key] = [line.format(f=fname, m=w.m) for line in lines]
    return w.helpers[key]


def emit_solve(w: Any, node: Solve) -> str:
    return f"{_helper(w, 'solve', _SOLVE)}({w.var[id(node.a)]}, {w.var[id(node.b)]})"


def _function(w: Any, fn: str) -> str:
    """The name the generated module calls ``fn`` by (an import, or a helper)."""
    row = matrix_function(fn)
    if row.kind == "cholesky":
        return _helper(w, "cholesky", _SYMMETRIC_CHOLESKY)
    spec = row.evaluators.get(w.backend)
    if spec is None:
        raise IndexcalcError(f"to_python: {fn} is not available on the {w.backend} backend (it "
                             f"is on: {', '.join(row.evaluators)}); use backend='numpy'")
    key = "native " + fn
    if key not in w.helpers:
        module, attribute = spec.split(":")
        fname = w.helper(key, "_" + fn)
        w.imports.append(f"from {module} import {attribute} as {fname}")
        w.sources[key] = []
    return w.helpers[key]


def emit_matrix_function(w: Any, node: MatrixFunction) -> str:
    f = _function(w, node.fn)
    if node.direction is None:
        return f"{f}({w.var[id(node.arg)]})"
    frechet = _helper(w, "frechet", _FRECHET)
    return f"{frechet}({f}, {w.var[id(node.arg)]}, {w.var[id(node.direction)]})"
