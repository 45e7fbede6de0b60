"""The public derivatives: ``diff``/``jacobian``, ``jvp`` (forward), ``grad``, ``vjp`` (reverse), ``hessian``.

* **Forward** (:mod:`indexcalc.calculus.forward`): every node gets a tangent of shape
  ``node.shape + E``. The full derivative ``∂f/∂x`` is the tangent when ``x`` is seeded with the
  identity (a product of deltas, ``E = x.shape``); ``jvp`` seeds ``x`` with the tangent (``E = ()``).
* **Reverse** (:mod:`indexcalc.calculus.reverse`): the cotangent of ``f`` flows to the leaves,
  parents before children, so a gradient costs a small multiple of evaluating ``f``.

Every result is built with the simplifying constructors, so deltas are eliminated as the chain is
assembled.
"""

from __future__ import annotations

from typing import Any

from ..core.algebra import add, fresh_labels, product
from ..core.coercion import as_expr
from ..core.dim_meeting import renamed
from ..core.dims import dims_equal, format_shape
from ..core.graph_walk import one_tensor_per_name, tensors_of
from ..core.nodes import Constant, Delta, Derivative, Expr, Named, Tensor
from ..errors import IndexcalcError, ShapeError
from ..formula.reader import formula_and_variable
from .forward import _dims, forward, identity_seed
from .named_variables import restore, restored, stand_in
from .reverse import reverse


def _wrt(f: Any, x: Any, what: str) -> tuple[Expr, Tensor]:
    f = as_expr(f, f"{what}: the function")
    if isinstance(x, Named):  # a named intermediate: by a stand-in tensor (named_variables)
        f, x = stand_in(f, x, what)
    if not isinstance(x, Tensor):
        raise IndexcalcError(f"{what}: differentiate by a variable (ic.Tensor) or a named "
                             f"intermediate, got {type(x).__name__}; name the intermediate "
                             f"(expr.named('H')) or differentiate by the tensors it is built from")
    one_tensor_per_name([x, *tensors_of(f)], what)
    return f, x


CONVENTIONS = ("symmetric", "cookbook")


def symmetrize(d: Expr, x: Tensor, convention: str | None) -> Expr:
    """The derivative by a symmetric matrix variable, from the unconstrained derivative ``d``.

    ``"symmetric"`` (default): ``(G + Gᵀ)/2``; ``"cookbook"``: ``G + Gᵀ − diag(diag(G))``.
    """
    # ``in`` and ``==`` compare an array elementwise (NumPy's ambiguous truth value): strings only
    if convention is not None and (not isinstance(convention, str) or convention not in CONVENTIONS):
        raise IndexcalcError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    if not x.symmetric:
        return d
    convention = "symmetric" if convention is None else convention
    lead = fresh_labels(d.ndim - 2)
    a, b = fresh_labels(2)
    n = x.shape[0]
    dims = {**_dims(lead, d.shape[:-2]), a: n, b: n}
    g = product([(d, lead + (a, b))], lead + (a, b), dims)
    gt = product([(d, lead + (b, a))], lead + (a, b), dims)
    if convention == "symmetric":
        return add([(0.5, g), (0.5, gt)], d.shape)
    if convention == "cookbook":
        diagonal = product([(d, lead + (a, a)), (Delta(n, 2), (a, b))], lead + (a, b), dims)
        return add([(1.0, g), (1.0, gt), (-1.0, diagonal)], d.shape)
    raise IndexcalcError(f"convention must be one of {CONVENTIONS}, got {convention!r}")


def _strings(f: Any, x: Any, shapes: Any) -> tuple[Any, Any]:
    """Formula strings for ``f`` and the variable's name for ``x`` (see :func:`ic.parse`)."""
    if isinstance(f, str) or isinstance(x, str):
        return formula_and_variable(f, x, shapes)
    return f, x


def diff(f: Any, x: Any, convention: str | None = None, *, shapes: Any = None) -> Expr:
    """The full derivative tensor ``∂f/∂x`` of shape ``f.shape + x.shape`` (jax.jacobian's layout).

    Args:
        f: an expression.
        x: the variable (an ``ic.Tensor``), or a named intermediate of ``f``
            (``(X @ W).named("H")``): the derivative by it as if it were a variable, which
            evaluates from its definition (see :mod:`indexcalc.calculus.named_variables`).
        convention: for a symmetric ``x``: ``"symmetric"`` (default) or ``"cookbook"``.
        shapes: tensor shapes when ``f`` is a formula string (``x`` may then be a name).

    Examples:
        >>> import indexcalc as ic
        >>> X, W, v = ic.tensors("X[n,d] W[d,h] v[h]")
        >>> D = ic.diff(X @ W, W)
        >>> D.shape
        ('n', 'h', 'd', 'h')
        >>> print(D)
        n,h,d,h' ↦ X[n,d] δ[h,h']
        >>> H = (X @ W).named("H")
        >>> print(ic.diff(H @ v, H))  # by the named intermediate H
        n,n',h ↦ v[h] δ[n,n']
    """
    f, x = _strings(f, x, shapes)
    named = x if isinstance(x, Named) else None
    f, x = _wrt(f, x, "diff")
    seed, E = identity_seed(x)
    d = symmetrize(forward(f, x, seed, E), x, convention)
    return Derivative(d if named is None else restore(d, x, named), f, x, f.ndim)


jacobian = diff


def jvp(f: Any, x: Any, tangent: Any) -> Expr:
    """``Σ_J ∂f[I]/∂x[J] · tangent[J]`` of shape ``f.shape``, by forward accumulation.

    Examples:
        >>> import indexcalc as ic
        >>> A, x, t = ic.tensors("A[m,n] x[n] t[n]")
        >>> print(ic.to_matrix(ic.jvp(A @ x, x, t)))
        A t
    """
    asked = x
    f, x = _wrt(f, x, "jvp")
    t = as_expr(tangent, "jvp: tangent")
    t = renamed(t, x.shape)
    _same_shape(t, x, "jvp: the tangent", "x")
    # a symmetric x moves in the symmetric matrices: the tangent projected, (t + tᵀ)/2, so that
    # jvp = Σ diff(f, x) ∘ t as diff's (default) convention has it
    t = symmetrize(t, x, "symmetric")
    return restored(asked, x, forward(f, x, t, ()))


def vjp(f: Any, x: Any, cotangent: Any) -> Expr:
    """``Σ_I cotangent[I] · ∂f[I]/∂x[J]`` of shape ``x.shape``, by reverse accumulation.

    Examples:
        >>> import indexcalc as ic
        >>> A, x, u = ic.tensors("A[m,n] x[n] u[m]")
        >>> print(ic.to_matrix(ic.vjp(A @ x, x, u)))
        Aᵀ u
    """
    asked = x
    f, x = _wrt(f, x, "vjp")
    c = as_expr(cotangent, "vjp: cotangent")
    c = renamed(c, f.shape)  # a NumPy cotangent takes f's dimension names (dim_meeting)
    _same_shape(c, f, "vjp: the cotangent", "f")
    return restored(asked, x, symmetrize(reverse(f, x, c), x, None))


def grad(f: Any, x: Any, convention: str | None = None, *, shapes: Any = None) -> Expr:
    """The gradient of a scalar ``f``: shape ``x.shape``, by reverse accumulation.

    Examples:
        >>> import indexcalc as ic
        >>> X, W, v, y = ic.tensors("X[n,d] W[d,h] v[h] y[n]")
        >>> g = ic.grad(0.5 * ic.sum((X @ W @ v - y) ** 2), W)
        >>> g.shape
        ('d', 'h')
        >>> ic.grad("0.5*sum((X@W@v - y)**2)", "W", shapes={"X": "n d", "W": "d h", "v": "h",
        ...                                                  "y": "n"}) is g
        True
    """
    f, x = _strings(f, x, shapes)
    named = x if isinstance(x, Named) else None
    f, x = _wrt(f, x, "grad")
    if f.shape != ():
        raise ShapeError(f"grad applies to scalar functions; this one has shape "
                         f"{format_shape(f.shape)}. Try ic.jacobian (the full derivative), ic.vjp, "
                         f"or sum the function first")
    g = symmetrize(reverse(f, x, Constant(1.0)), x, convention)
    return Derivative(g if named is None else restore(g, x, named), f, x, 0)


def hessian(f: Any, x: Any, convention: str | None = None, *, shapes: Any = None) -> Expr:
    """``∂²f/∂x²`` of a scalar ``f``, shape ``x.shape + x.shape`` (forward over reverse).

    Examples:
        >>> import indexcalc as ic
        >>> B, x = ic.tensors("B[n,n] x[n]")
        >>> H = ic.hessian(x @ B @ x, x)
        >>> H.shape
        ('n', 'n')
        >>> print(ic.to_matrix(H))
        Bᵀ + B
    """
    f, x = _strings(f, x, shapes)
    g = grad(f, x, convention)
    return diff(g, x, convention)


def _same_shape(a: Expr, b: Expr, what: str, other: str) -> None:
    if len(a.shape) != len(b.shape) or not all(map(dims_equal, a.shape, b.shape)):
        raise ShapeError(f"{what} has shape {format_shape(a.shape)} but {other} has shape "
                         f"{format_shape(b.shape)}")

