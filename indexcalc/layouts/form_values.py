"""Evaluating matrix forms: one NumPy rule per node type, run by :func:`matrix_form.fold`.

Every form evaluates to a 2-D array (an absent axis has size 1), so a transpose in the wrong
place is a wrong shape. A named subexpression is computed from its definition, once; so is each
``where`` definition (``z1 = …``), from its own form, before the forms that use it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.dims import Dim, dim_size
from ..core.elementwise import rule
from .forms import (Add, Commutation, Explicit, Form, Identity, Leaf, Nary, Number, Ones,
                          Ref, Scaled, Unary, fold)
from ..core.nodes import Constant
from ..evaluation.compiled import bind, evaluate


@dataclass
class EvalContext:
    """What evaluation needs beyond the tree: bound arrays, dimension sizes, named values."""
    values: dict
    sizes: dict
    cache: dict = field(default_factory=dict)

    def size(self, d: Dim | None) -> int:
        return 1 if d is None else dim_size(d, self.sizes)

    def shaped(self, arr: Any, shape: tuple) -> np.ndarray:
        """``arr`` laid out as a 2-D array of ``shape`` (vectors as 1 × n or n × 1)."""
        return np.asarray(arr, dtype=np.float64).reshape(self.size(shape[0]), self.size(shape[1]))


def _eval_leaf(n: Leaf, kids, ctx: EvalContext):
    src = n.source
    if isinstance(src, Constant):
        return ctx.shaped(src.value, n.shape)
    if id(src) not in ctx.cache:  # a tensor or a named subexpression, from its definition
        ctx.cache[id(src)] = evaluate(src, **{**ctx.sizes, **ctx.values})
    return ctx.shaped(ctx.cache[id(src)], n.shape)


def _softmax(a: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _logsumexp(a: np.ndarray) -> np.ndarray:
    m = a.max()
    return np.reshape(m + np.log(np.exp(a - m).sum()), (1, 1))


def _vec(a: np.ndarray, order: str) -> np.ndarray:
    return a.reshape(-1, 1, order="F" if order == "col" else "C")


_UNARY_EVAL: dict[str, Callable] = {
    "T": lambda a, n, ctx: a.T,
    "inv": lambda a, n, ctx: np.linalg.inv(a),
    "diag": lambda a, n, ctx: np.diag(a.ravel()),
    "diagonal": lambda a, n, ctx: ctx.shaped(np.diagonal(a), n.shape),
    "tr": lambda a, n, ctx: np.reshape(np.trace(a), (1, 1)),
    "det": lambda a, n, ctx: np.reshape(np.linalg.det(a), (1, 1)),
    "logdet": lambda a, n, ctx: np.reshape(np.linalg.slogdet(a)[1], (1, 1)),
    "sum": lambda a, n, ctx: np.reshape(a.sum(), (1, 1)),
    "func": lambda a, n, ctx: rule(n.param[0]).numpy(a, n.param[1]),
    "softmax": lambda a, n, ctx: _softmax(a, n.param if min(a.shape) > 1 else int(a.shape[0] == 1)),
    "logsumexp": lambda a, n, ctx: _logsumexp(a),
    "vec": lambda a, n, ctx: _vec(a, n.param),
    "tril": lambda a, n, ctx: np.tril(a, n.param),
    "triu": lambda a, n, ctx: np.triu(a, n.param),
    "unvec": lambda a, n, ctx: a.reshape(ctx.size(n.shape[0]), ctx.size(n.shape[1]),
                                         order="F" if n.param[0] == "col" else "C"),
}


def _eval_commutation(n: Commutation, kids, ctx: EvalContext) -> np.ndarray:
    m, k = ctx.size(n.m), ctx.size(n.n)
    perm = np.arange(m * k).reshape(m, k, order="F").reshape(-1)  # vec_col(Aᵀ) picks these
    return np.eye(m * k)[perm]


def _eval_explicit(n: Explicit, kids, ctx: EvalContext) -> np.ndarray:
    """What ``mat_col[i j | k l](T)`` says: ``T``'s leading ``out_ndim`` axes flattened into
    rows and the rest into columns, the first axis fastest (``mat_row``: the last); its
    transpose in denominator layout."""
    value = np.asarray(evaluate(n.expr, **{**ctx.sizes, **ctx.values}), dtype=np.float64)
    rows = int(np.prod(value.shape[:n.out_ndim], dtype=np.int64))
    cols = int(np.prod(value.shape[n.out_ndim:], dtype=np.int64))
    m = value.reshape((rows, cols), order="F" if n.vec == "col" else "C")
    return m.T if n.layout == "denominator" else m


def _eval_nary(n: Nary, kids, ctx):
    if n.op in ("vcat", "hcat"):
        return np.concatenate(kids, axis=0 if n.op == "vcat" else 1)
    out = kids[0]
    for k in kids[1:]:
        out = out @ k if n.op == "matmul" else np.kron(out, k) if n.op == "kron" else out * k
    return out


def _eval_scaled(n: Scaled, kids, ctx):
    out = np.full((1, 1), n.coef)
    for k in kids[:len(n.scalars)]:
        out = out * k
    return out * kids[-1] if n.body is not None else out


EVAL: dict[type, Callable] = {
    Leaf: _eval_leaf,
    Ref: lambda n, kids, ctx: ctx.cache[id(n)],  # evaluated before, in definition order
    Number: lambda n, kids, ctx: np.full((1, 1), n.value),
    Identity: lambda n, kids, ctx: np.eye(ctx.size(n.dim)),
    Ones: lambda n, kids, ctx: np.ones((ctx.size(n.shape[0]), ctx.size(n.shape[1]))),
    Commutation: _eval_commutation,
    Unary: lambda n, kids, ctx: _UNARY_EVAL[n.op](kids[0], n, ctx),
    Nary: _eval_nary,
    Add: lambda n, kids, ctx: sum((c * k for (c, _), k in zip(n.terms, kids)),
                                  np.zeros((ctx.size(n.shape[0]), ctx.size(n.shape[1])))),
    Scaled: _eval_scaled,
    Explicit: _eval_explicit,
}


def evaluate_form(root: Form, tensors: tuple, values: dict,
                  definitions: tuple[Ref, ...] = ()) -> np.ndarray:
    """The value of ``root`` with ``values`` bound to ``tensors``; a scalar comes back 0-d.
    ``definitions`` (each after those it uses) are evaluated first, each once."""
    _, sizes = bind(list(tensors), values)
    ctx = EvalContext(values, sizes)
    for ref in definitions:
        ctx.cache[id(ref)] = fold(ref.definition, EVAL, ctx)
    out = fold(root, EVAL, ctx)
    return out.reshape(()) if root.shape == (None, None) else out
