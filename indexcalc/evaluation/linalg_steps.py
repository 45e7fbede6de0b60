"""Evaluation steps of ``Solve`` and ``MatrixFunction`` on every backend.

A solve reshapes ``b``'s trailing axes into columns and calls the library's ``linalg.solve``
(dask: NumPy's, on whole matrices); it never forms an inverse. A singular matrix is refused:
NumPy's LU says so, and a matrix whose condition number reaches ``1/ε`` of the dtype is refused
too (its solve would be noise — the normal equations of a rank-deficient ``lstsq``, say).

A matrix function calls its row's evaluator for the backend (:mod:`indexcalc.core.matrix_functions`),
imported on first use; a Fréchet derivative ``L_f(A, E)`` is the top-right block of
``f([[A, E], [0, A]])``, exact to working precision. Values outside a function's domain
(a non-positive-definite Cholesky, a square root or logarithm that is not real) are refused
with the row's domain in the message, never returned as NaN.
"""

from __future__ import annotations

import importlib
import math
import warnings
from typing import Any, Callable

import numpy as np

from ..core.matrix_functions import matrix_function
from ..core.nodes import MatrixFunction, Solve
from ..errors import IndexcalcError


def _concrete(x: Any) -> np.ndarray | None:
    """``x`` as a NumPy array, or ``None`` inside a trace (jax.jit) where no value exists yet."""
    try:
        if hasattr(x, "detach"):  # torch
            x = x.detach().cpu()
        if hasattr(x, "get") and not isinstance(x, np.ndarray):  # cupy
            x = x.get()
        return np.asarray(x)
    except Exception:  # a tracer: checked when the traced function runs eagerly
        return None


def _refuse_if_not_finite(x: Any, inputs: tuple, message: str) -> None:
    value = _concrete(x)
    if value is None or np.all(np.isfinite(value)):
        return
    given = [_concrete(v) for v in inputs]
    if all(g is not None and np.all(np.isfinite(g)) for g in given):
        raise IndexcalcError(message)


# --------------------------------------------------------------------------- solve

def _numpy_solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``np.linalg.solve`` that refuses a singular or numerically singular ``a``."""
    try:
        x = np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        raise IndexcalcError("solve: the matrix is singular at these values (a rank-deficient "
                             "lstsq or pinv argument, or a singular solve); no solution is "
                             "unique") from None
    limit = 1.0 / np.finfo(a.dtype if a.dtype.kind == "f" else np.float64).eps
    if a.size and np.all(np.isfinite(a)):
        cond = np.max(np.linalg.cond(a))
        if not cond < limit:
            raise IndexcalcError(f"solve: the matrix is numerically singular at these values "
                                 f"(condition number {cond:.3g} ≥ 1/ε = {limit:.3g}; for lstsq "
                                 "or pinv: the argument is rank-deficient or nearly so)")
    return x


def _solver(ctx) -> Callable:
    name = ctx.ns.name
    if name == "numpy":
        return _numpy_solve
    if name == "dask":
        import dask.array as da

        def blockwise(a, b):
            whole_a, whole_b = a.rechunk(-1), b.rechunk(-1)
            return da.map_blocks(_numpy_solve, whole_a, whole_b, dtype=b.dtype,
                                 chunks=tuple((s,) for s in b.shape))
        return blockwise
    library_solve = ctx.ns.xp.linalg.solve

    def checked(a, b):
        try:
            x = library_solve(a, b)
        except Exception as e:  # torch and cupy raise their own LinAlgError for a singular a
            if "singular" in str(e).lower() or "LinAlg" in type(e).__name__:
                raise IndexcalcError("solve: the matrix is singular at these values") from None
            raise
        _refuse_if_not_finite(x, (a, b), "solve: the matrix is singular at these values")
        return x
    return checked


def solve_step(node: Solve, ctx) -> Callable:
    """``(a, b) -> a⁻¹ b``: ``b``'s trailing axes solved for as columns of one solve."""
    solve, reshape = _solver(ctx), ctx.ns.ops.reshape
    lead = node.a.ndim - 1
    out_shape = ctx.shape(node)
    columns = out_shape[:lead] + (math.prod(out_shape[lead:]),)

    def run(a, b):
        return reshape(solve(a, reshape(b, columns)), out_shape)
    return run


# --------------------------------------------------------------------------- matrix functions

def _evaluator(fn: str, backend: str) -> Callable:
    row = matrix_function(fn)
    spec = row.evaluators.get(backend)
    if spec is None:
        has = ", ".join(row.evaluators)
        raise IndexcalcError(f"{fn} is not available on the {backend} backend (it is on: {has}); "
                             "evaluate this expression with backend='numpy'")
    module, attribute = spec.split(":")
    try:
        return getattr(importlib.import_module(module), attribute)
    except ImportError:
        extra = row.extra.get(backend)
        hint = f"pip install indexcalc[{extra}]" if extra else f"install {module.split('.')[0]}"
        raise IndexcalcError(f"{fn} on the {backend} backend needs {module.split('.')[0]!r}, "
                             f"which is not installed: {hint}") from None


def _numpy_checked(fn: str, f: Callable) -> Callable:
    """The NumPy/SciPy evaluator of ``fn`` that refuses values outside its domain."""
    row = matrix_function(fn)

    def run(a):
        if row.kind == "cholesky":
            try:
                return f((a + np.swapaxes(a, -1, -2)) / 2)
            except np.linalg.LinAlgError:
                raise IndexcalcError(f"cholesky: the matrix is not {row.domain} at these "
                                     "values") from None
        if row.kind == "primary" and row.domain and _on_negative_axis(a):
            raise IndexcalcError(f"{fn}: not defined at these values (needs {row.domain})")
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # SciPy's logm accuracy estimate
            value = np.asarray(f(a))
        if np.iscomplexobj(value):
            scale = max(float(np.max(np.abs(value))), 1.0)
            if np.max(np.abs(value.imag)) > 1e3 * np.finfo(a.dtype).eps * scale:
                raise IndexcalcError(f"{fn}: the matrix has no {row.domain.split(':')[0]} at "
                                     f"these values ({row.domain})")
            value = value.real
        if not np.all(np.isfinite(value)) and np.all(np.isfinite(a)):
            raise IndexcalcError(f"{fn}: not defined at these values ({row.domain or 'overflow'})")
        return value.astype(a.dtype, copy=False)
    return run


def _on_negative_axis(a: np.ndarray) -> bool:
    """Whether ``a`` has an eigenvalue on the closed negative real axis (0 included), where the
    principal square root and logarithm are not real or not differentiable."""
    if not np.all(np.isfinite(a)):
        return False
    lam = np.linalg.eigvals(a)
    tol = 1e3 * np.finfo(np.float64).eps * max(1.0, float(np.max(np.abs(lam))))
    return bool(np.any((np.abs(lam.imag) <= tol) & (lam.real <= tol)))


def _library_checked(fn: str, f: Callable) -> Callable:
    row = matrix_function(fn)
    message = f"{fn}: not defined at these values" + (f" (needs {row.domain})" if row.domain else "")

    def run(a):
        try:
            value = f(a)
        except Exception as e:  # torch raises its own LinAlgError for a non-PD cholesky
            if "LinAlg" in type(e).__name__ or "positive" in str(e).lower():
                raise IndexcalcError(message) from None
            raise
        _refuse_if_not_finite(value, (a,), message)
        return value
    return run


def _frechet(f: Callable, ns) -> Callable:
    """``(a, d) -> L_f(a, d[:, :, e])`` for each trailing index ``e`` of ``d``, by blocks."""
    xp, ops = ns.xp, ns.ops

    def run(a, d):
        n, tail = a.shape[0], tuple(d.shape[2:])
        k = math.prod(tail)
        moved = ops.reshape(ops.transpose(d, tuple(range(2, d.ndim)) + (0, 1)), (k, n, n))
        zero = a * 0
        out = []
        for j in range(k):
            block = xp.concatenate([xp.concatenate([a, moved[j]], 1),
                                    xp.concatenate([zero, a], 1)], 0)
            out.append(f(block)[:n, n:])
        stacked = ops.reshape(xp.stack(out), tail + (n, n))
        return ops.transpose(stacked, (len(tail), len(tail) + 1) + tuple(range(len(tail))))
    return run


def numpy_matrix_function(fn: str) -> Callable:
    """``a -> f(a)`` on NumPy arrays, refusing values outside the function's domain."""
    return _numpy_checked(fn, _evaluator(fn, "numpy"))


def numpy_frechet(fn: str) -> Callable:
    """``(a, d) -> L_f(a, d)`` on NumPy arrays (the block formula)."""
    return _frechet(numpy_matrix_function(fn), _NUMPY)


def matrix_function_step(node: MatrixFunction, ctx) -> Callable:
    """``(a) -> f(a)`` or ``(a, d) -> L_f(a, d)`` with the row's evaluator for the backend."""
    row, backend = matrix_function(node.fn), ctx.ns.name
    raw = _evaluator(node.fn, backend)
    if node.direction is not None and row.kind != "primary":
        raise IndexcalcError(f"{node.fn}: has no Fréchet-derivative node (its derivative is "
                             "written with solves)")
    if backend in ("numpy", "dask"):
        f = _numpy_checked(node.fn, raw)
        run = f if node.direction is None else _frechet(f, _NUMPY)
        if backend == "numpy":
            return run
        import dask.array as da
        shape = ctx.shape(node)
        return lambda *args: da.map_blocks(run, *[x.rechunk(-1) for x in args],
                                           dtype=args[0].dtype, chunks=tuple((s,) for s in shape))
    f = _library_checked(node.fn, raw)
    return f if node.direction is None else _frechet(f, ctx.ns)


class _NUMPY:
    """NumPy as the namespace :func:`_frechet` needs (for the dask backend's blocks)."""

    xp = np
    ops = type("ops", (), {"reshape": staticmethod(np.reshape),
                           "transpose": staticmethod(np.transpose)})
