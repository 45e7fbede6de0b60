"""Structure queries: a Hessian-vector product, the diagonal of a Hessian or of a Jacobian.

Each is a plain expression built from the symbolic derivative, so the planner contracts only what
the answer needs: the Hessian-vector product is forward-over-reverse with the vector as the
tangent (no ``x.shape + x.shape`` tensor anywhere), and a diagonal is taken term by term inside
the derivative's sum, so each term is one einsum whose repeated index the planner never expands
(the logistic loss at n = 2000, d = 500: 8 MFLOPs for the diagonal against 2,004 for the full
Hessian; the trace of a Hessian is ``ic.sum(ic.hessian_diagonal(f, x))``).

The diagonals are *not* :class:`~indexcalc.core.nodes.Derivative` nodes: a ``Derivative`` says its
axes are ``of.shape + wrt.shape``, and a diagonal of shape ``x.shape`` would read as a gradient in
every layout. So they print, lay out and evaluate as the expressions they are; a dimension that
only the variable carried (``∂²(Σ x²)/∂x² = 2 δ`` has diagonal ``2·1[n]``) is bound at evaluation
by its size (``n=…``), as the binding error says.
"""

from __future__ import annotations

from typing import Any

from ..core.algebra import add, fresh_labels, product
from ..core.coercion import as_expr
from ..core.dims import dims_equal, format_shape
from ..core.nodes import Derivative, Expr, Named, Shared, Sum
from ..errors import ShapeError
from .derivatives import _wrt, grad, hessian, jacobian, jvp
from .named_variables import restored


def hvp(f: Any, x: Any, v: Any) -> Expr:
    """The Hessian-vector product ``Σ_J ∂²f/∂x[I]∂x[J] · v[J]`` of a scalar ``f``, shape ``x.shape``.

    Forward over reverse with ``v`` as the tangent: the Hessian is never built, and the product
    costs a small multiple of evaluating ``f``.

    Args:
        f: a scalar expression.
        x: the variable (an ``ic.Tensor``).
        v: an expression of ``x``'s shape.

    Raises:
        ShapeError: ``f`` is not a scalar, or ``v`` does not have ``x``'s shape.

    Examples:
        >>> import indexcalc as ic
        >>> B, x, v = ic.tensors("B[n,n] x[n] v[n]")
        >>> print(ic.to_matrix(ic.hvp(x @ B @ x, x, v)))
        B v + Bᵀ v
    """
    asked = x
    f, x = _wrt(f, x, "hvp")
    v = as_expr(v, "hvp: the vector")
    if len(v.shape) != len(x.shape) or not all(map(dims_equal, v.shape, x.shape)):
        raise ShapeError(f"hvp: the vector has shape {format_shape(v.shape)} but x has shape "
                         f"{format_shape(x.shape)}")
    return restored(asked, x, jvp(grad(f, x), x, v))


def hessian_diagonal(f: Any, x: Any) -> Expr:
    """``∂²f/∂x[I]∂x[I]`` for every ``I``: the diagonal of the Hessian of a scalar ``f``, shape ``x.shape``.

    The same numbers as ``ic.diagonal(ic.hessian(f, x))`` for a vector ``x`` (and for any ``x``,
    the Hessian's ``x.shape + x.shape`` tensor read at equal index pairs), planned without it.

    Raises:
        ShapeError: ``f`` is not a scalar.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> X, w = ic.tensors("X[n,d] w[d]")
        >>> h = ic.hessian_diagonal(ic.sum(ic.exp(X @ w)), w)
        >>> h.shape
        ('d',)
        >>> h.evaluate(X=np.ones((2, 3)), w=np.zeros(3))
        array([2., 2., 2.])
    """
    asked = x
    f, x = _wrt(f, x, "hessian_diagonal")
    return restored(asked, x, _paired_diagonal(hessian(f, x), x.ndim))


def jacobian_diagonal(f: Any, x: Any) -> Expr:
    """``∂f[I]/∂x[I]`` for every ``I``, for ``f`` of ``x``'s shape: the Jacobian's diagonal.

    Raises:
        ShapeError: ``f`` does not have ``x``'s shape.

    Examples:
        >>> import indexcalc as ic, numpy as np
        >>> x = ic.Tensor("x", "n")
        >>> print(ic.jacobian_diagonal(ic.tanh(x), x))
        1 - tanh(x[n]) tanh(x[n])
        >>> ic.jacobian_diagonal(ic.softmax(x), x).evaluate(x=np.zeros(2))
        array([0.25, 0.25])
    """
    asked = x
    f, x = _wrt(f, x, "jacobian_diagonal")
    if len(f.shape) != len(x.shape) or not all(map(dims_equal, f.shape, x.shape)):
        raise ShapeError(f"jacobian_diagonal: the function has shape {format_shape(f.shape)} but "
                         f"x has shape {format_shape(x.shape)}; the diagonal needs both alike "
                         "(take ic.jacobian for the full derivative)")
    return restored(asked, x, _paired_diagonal(jacobian(f, x), x.ndim))


def _paired_diagonal(d: Expr, k: int) -> Expr:
    """``d[I, I]`` for ``d`` of shape ``S + S`` with ``len(S) == k``: taken inside every term of a
    sum (and through the wrappers that only name or share a value), so each product keeps its
    repeated index instead of being built in full first."""
    if isinstance(d, (Derivative, Named, Shared)):
        return _paired_diagonal(d.arg, k)
    shape = d.shape[:k]
    if isinstance(d, Sum):
        return add([(c, _paired_diagonal(t, k)) for c, t in d.terms], shape)
    labels = fresh_labels(k)
    return product([(d, labels + labels)], labels, dict(zip(labels, shape)))
