"""What an exported function needs whatever the framework: its inputs, its compiled forward, and
the compiled vector-Jacobian product for each input, built once and on first use.

The VJP of input ``x`` is ``ic.vjp(f, x, G)`` with a cotangent tensor ``G`` of ``f``'s shape; its
own VJPs (the second derivative a framework asks for under ``create_graph``) come from the same
class applied to it, so every order is symbolic.
"""

from __future__ import annotations

from typing import Any

from ..calculus.derivatives import vjp
from ..core.coercion import as_expr
from ..core.graph_walk import postorder
from ..core.nodes import Expr, Tensor, is_zero
from ..errors import BindingError, IndexcalcError
from ..evaluation.compiled import Compiled


class Exported:
    """An expression with its ordered inputs, compiled for one backend.

    Args:
        expr: the function.
        inputs: the tensors, in the order the exported callable takes them; every tensor of
            ``expr`` must be among them. None: every tensor of ``expr``, by name.
        backend: ``"torch"`` or ``"jax"``.
        what: the public name, for messages.

    Examples:
        >>> import indexcalc as ic
        >>> A, x = ic.tensors("A[m,n] x[n]")
        >>> e = Exported(A @ x, (A, x), "numpy", "demo")
        >>> [t.name for t in e.inputs], e.cotangent.shape
        (['A', 'x'], ('m',))
        >>> print(e.vjp_expr(1))
        Σ_m A[m,n] G[m]
    """

    def __init__(self, expr: Any, inputs: tuple, backend: str, what: str):
        self.expr = as_expr(expr, what)
        self.inputs = _inputs(self.expr, inputs, what)
        self.names = [t.name for t in self.inputs]
        self.backend = backend
        self.what = what
        self.forward = Compiled(self.expr, backend)
        self.cotangent = Tensor(_fresh_name("G", self.names), self.expr.shape)
        self._vjps: dict[int, Any] = {}
        self._vjp_exprs: dict[int, Expr] = {}

    def vjp_expr(self, i: int) -> Expr:
        """``Σ_I G[I] ∂f[I]/∂inputs[i]``, of ``inputs[i]``'s shape (built once)."""
        if i not in self._vjp_exprs:
            self._vjp_exprs[i] = vjp(self.expr, self.inputs[i], self.cotangent)
        return self._vjp_exprs[i]

    def vjp_is_zero(self, i: int) -> bool:
        """Whether ``f`` does not depend on ``inputs[i]`` (its VJP simplified to zero)."""
        return is_zero(self.vjp_expr(i))

    def vjp(self, i: int, make: Any) -> Any:
        """``make(vjp_expr(i), inputs + (G,))``, made once (the framework's function of it)."""
        if i not in self._vjps:
            self._vjps[i] = make(self.vjp_expr(i), (*self.inputs, self.cotangent))
        return self._vjps[i]

    def values(self, arrays: tuple) -> dict:
        """The keyword values of a call: the arrays by name, and every named dimension's size
        (the derivative may have lost the tensor that carried it)."""
        if len(arrays) != len(self.inputs):
            raise BindingError(f"{self.what}: expected {len(self.inputs)} array(s) for "
                               f"{', '.join(self.names)}, got {len(arrays)}")
        values: dict[str, Any] = dict(zip(self.names, arrays))
        for t, a in zip(self.inputs, arrays):
            shape = getattr(a, "shape", None)
            if shape is None or len(shape) != len(t.shape):
                continue  # the compiled call names the culprit
            for d, n in zip(t.shape, shape):
                if isinstance(d, str) and "*" not in d and d not in values:
                    values[d] = int(n)
        return values


def _inputs(expr: Expr, inputs: tuple, what: str) -> tuple:
    found = {n.name: n for n in postorder([expr]) if isinstance(n, Tensor)}
    if not inputs:
        return tuple(found[k] for k in sorted(found))
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise IndexcalcError(f"{what}: input {i} must be an ic.Tensor (the variables, in the "
                                 f"order the function takes them), got {type(t).__name__}")
    names = [t.name for t in inputs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise IndexcalcError(f"{what}: input {twice[0]!r} is listed twice")
    missing = sorted(set(found) - set(names))
    if missing:
        raise BindingError(f"{what}: the function uses tensor {missing[0]!r}, which is not among "
                           f"the inputs ({', '.join(names)}); list it, or bind it first with "
                           "a constant")
    for t in inputs:
        if t.name in found and found[t.name] is not t:
            raise BindingError(f"{what}: input {t.name!r} is not the tensor of that name the "
                               "function uses (another shape or symmetry)")
    return tuple(inputs)


def _fresh_name(stem: str, taken: list[str]) -> str:
    name, k = stem, 0
    while name in taken:
        k += 1
        name = f"{stem}{k}"
    return name
