"""Evaluating matrix forms: one NumPy rule per node type, run by :func:`matrix_form.fold`.

Every form evaluates to a 2-D array (an absent axis has size 1), so a transpose in the wrong
place is a wrong shape. A named subexpression is computed from its definition, once; so is each
``where`` definition (``z1 = …``), from its own form, before the forms that use it.
"""

from __future__ import annotations

from ..evaluation.linalg_steps import numpy_frechet, numpy_matrix_function

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.dims import Dim, dim_size
from ..core.elementwise import rule
from ..evaluation.spectral_steps import numpy_part
from .forms import (Add, Commutation, Explicit, Form, Identity, Leaf, Nary, Number, Ones,
                          Ref, Scaled, Unary, fold)
from ..core.nodes import Constant
from ..evaluation.compiled import bind, evaluate
from .form_text import to_text
from ..evaluation.memory import guard


@dataclass
class EvalContext:
    """What evaluation needs beyond the tree: bound arrays, dimension sizes, named values, the
    float type of the result (float32 in, float32 out) and the memory limit."""
    values: dict
    sizes: dict
    cache: dict = field(default_factory=dict)
    dtype: Any = np.float64

    def size(self, d: Dim | None) -> int:
        return 1 if d is None else dim_size(d, self.sizes)

    def shaped(self, arr: Any, shape: tuple) -> np.ndarray:
        """``arr`` laid out as a 2-D array of ``shape`` (vectors as 1 × n or n × 1)."""
        return np.asarray(arr, dtype=self.dtype).reshape(self.size(shape[0]), self.size(shape[1]))

    def bound(self) -> dict:
        """The values, with every dimension size the form bound (a piece such as ``I[::-1, :]``
        has no tensor of its own to bind ``n`` from)."""
        return {**self.sizes, **self.values}

    def guard(self, n: Form, rows: int | None = None, cols: int | None = None) -> None:
        """Refuse (``IndexcalcError``) before allocating an array past the memory limit: the
        value of form ``n``, or an intermediate of ``rows`` × ``cols``."""
        if rows is None:
            rows, cols = self.size(n.shape[0]), self.size(n.shape[1])
        guard([(lambda: f"the form {type(n).__name__} ({to_text(n)[:60]})", (rows, cols),
                np.dtype(self.dtype).itemsize)], None)


def _eval_leaf(n: Leaf, kids, ctx: EvalContext):
    src = n.source
    if isinstance(src, Constant):
        return ctx.shaped(src.value, n.shape)
    if id(src) not in ctx.cache:  # a tensor or a named subexpression, from its definition
        ctx.cache[id(src)] = evaluate(src, **ctx.bound())
    return ctx.shaped(ctx.cache[id(src)], n.shape)


def _softmax(a: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _logsumexp(a: np.ndarray, n: Unary, ctx: EvalContext) -> np.ndarray:
    """Over all entries, or (a matrix's ``axis=k``) over axis ``k`` only."""
    axis = n.param
    m = a.max(axis=axis, keepdims=True)
    out = m + np.log(np.exp(a - m).sum(axis=axis, keepdims=True))
    return ctx.shaped(out, n.shape)


def _softmax_axis(n: Unary) -> int:
    """The axis a softmax form normalizes: its ``param`` for a matrix; a vector's own axis."""
    if n.param is not None:
        return n.param
    return 0 if n.shape[0] is not None else 1


def _vec(a: np.ndarray, order: str) -> np.ndarray:
    return a.reshape(-1, 1, order="F" if order == "col" else "C")


_UNARY_EVAL: dict[str, Callable] = {
    "T": lambda a, n, ctx: a.T,
    "inv": lambda a, n, ctx: np.linalg.inv(a),
    "diag": lambda a, n, ctx: np.diag(a.ravel()).astype(ctx.dtype, copy=False),
    "diagonal": lambda a, n, ctx: ctx.shaped(np.diagonal(a), n.shape),
    "tr": lambda a, n, ctx: np.reshape(np.trace(a), (1, 1)),
    "det": lambda a, n, ctx: np.reshape(np.linalg.det(a), (1, 1)),
    "logdet": lambda a, n, ctx: np.reshape(np.linalg.slogdet(a)[1], (1, 1)),
    "sum": lambda a, n, ctx: np.reshape(a.sum(), (1, 1)),
    "func": lambda a, n, ctx: rule(n.param[0]).numpy(a, n.param[1]),
    "softmax": lambda a, n, ctx: _softmax(a, _softmax_axis(n)),
    "logsumexp": _logsumexp,
    "max": lambda a, n, ctx: ctx.shaped(a.max(axis=n.param, keepdims=True), n.shape),
    "vec": lambda a, n, ctx: _vec(a, n.param),
    "spectral": lambda a, n, ctx: ctx.shaped(numpy_part(*n.param, a), n.shape),
    "tril": lambda a, n, ctx: np.tril(a, n.param),
    "triu": lambda a, n, ctx: np.triu(a, n.param),
    "mfunc": lambda a, n, ctx: numpy_matrix_function(n.param)(a),
    "unvec": lambda a, n, ctx: a.reshape(ctx.size(n.shape[0]), ctx.size(n.shape[1]),
                                         order="F" if n.param[0] == "col" else "C"),
}


def _eval_commutation(n: Commutation, kids, ctx: EvalContext) -> np.ndarray:
    m, k = ctx.size(n.m), ctx.size(n.n)
    perm = np.arange(m * k).reshape(m, k, order="F").reshape(-1)  # vec_col(Aᵀ) picks these
    return np.eye(m * k, dtype=ctx.dtype)[perm]


def _eval_explicit(n: Explicit, kids, ctx: EvalContext) -> np.ndarray:
    """What ``mat_col[i j | k l](T)`` says: ``T``'s leading ``out_ndim`` axes flattened into
    rows and the rest into columns, the first axis fastest (``mat_row``: the last); its
    transpose in denominator layout."""
    value = np.asarray(evaluate(n.expr, **ctx.bound()))
    rows = int(np.prod(value.shape[:n.out_ndim], dtype=np.int64))
    cols = int(np.prod(value.shape[n.out_ndim:], dtype=np.int64))
    m = value.reshape((rows, cols), order="F" if n.vec == "col" else "C")
    return m.T if n.layout == "denominator" else m


def _eval_nary(n: Nary, kids, ctx):
    if n.op.startswith("frechet:"):
        return numpy_frechet(n.op[8:])(*kids)
    if n.op in ("vcat", "hcat"):
        return np.concatenate(kids, axis=0 if n.op == "vcat" else 1)
    out = kids[0]
    for k in kids[1:]:
        if n.op == "matmul":
            ctx.guard(n, out.shape[0], k.shape[1])  # a chain's intermediate may be the largest
        out = out @ k if n.op == "matmul" else np.kron(out, k) if n.op == "kron" else out * k
    return out


def _eval_scaled(n: Scaled, kids, ctx):
    out = np.full((1, 1), n.coef, dtype=ctx.dtype)
    for k in kids[:len(n.scalars)]:
        out = out * k
    return out * kids[-1] if n.body is not None else out


EVAL: dict[type, Callable] = {
    Leaf: _eval_leaf,
    Ref: lambda n, kids, ctx: ctx.cache[id(n)],  # evaluated before, in definition order
    Number: lambda n, kids, ctx: np.full((1, 1), n.value, dtype=ctx.dtype),
    Identity: lambda n, kids, ctx: np.eye(ctx.size(n.dim), dtype=ctx.dtype),
    Ones: lambda n, kids, ctx: np.ones((ctx.size(n.shape[0]), ctx.size(n.shape[1])), ctx.dtype),
    Commutation: _eval_commutation,
    Unary: lambda n, kids, ctx: _UNARY_EVAL[n.op](kids[0], n, ctx),
    Nary: _eval_nary,
    Add: lambda n, kids, ctx: sum((c * k for (c, _), k in zip(n.terms, kids)),
                                  np.zeros((ctx.size(n.shape[0]), ctx.size(n.shape[1])),
                                           ctx.dtype)),
    Scaled: _eval_scaled,
    Explicit: _eval_explicit,
}


def evaluate_form(root: Form, tensors: tuple, values: dict,
                  definitions: tuple[Ref, ...] = (), source: Any = None) -> np.ndarray:
    """The value of ``root`` with ``values`` bound to ``tensors``; a scalar comes back 0-d.
    ``definitions`` (each after those it uses) are evaluated first, each once. ``source``, the
    expression the form writes, binds every dimension it has (a derivative's lost ones from its
    variable's value or a size keyword); without it, the dimensions of ``tensors``."""
    arrays, sizes = bind([source] if source is not None else list(tensors), values)
    # a size no tensor of the form carries (the count 1/n of a mean) is bound by name
    sizes = {**{k: int(v) for k, v in values.items()
                if isinstance(v, (int, np.integer)) and not isinstance(v, bool)}, **sizes}
    floats = [a.dtype for a in arrays.values()] + [  # a derivative's variable binds dims only
        v.dtype for v in values.values() if isinstance(v, np.ndarray) and v.dtype.kind == "f"]
    ctx = EvalContext(values, sizes, dtype=np.result_type(*floats) if floats else np.float64)
    table = {cls: _guarded(fn) for cls, fn in EVAL.items()}
    for ref in definitions:
        ctx.cache[id(ref)] = fold(ref.definition, table, ctx)
    out = fold(root, table, ctx).astype(ctx.dtype, copy=False)
    return out.reshape(()) if root.shape == (None, None) else out


def _guarded(fn: Callable) -> Callable:
    """``fn`` behind the memory guard: the node's value is checked before it is computed."""
    def run(n: Form, kids: list, ctx: EvalContext) -> np.ndarray:
        ctx.guard(n)
        return fn(n, kids, ctx)
    return run
