"""Forward and reverse rules of the linear-algebra nodes: ``Solve`` and ``MatrixFunction``.

* ``X = solve(A, B)``: ``dX = solve(A, dB − dA X)`` (a full Jacobian: ``A⁻¹ (dB − dA X)``,
  which is ``I ⊗ A⁻¹`` and ``−Xᵀ ⊗ A⁻¹``); reverse ``G_B = solve(Aᵀ, G)``, ``G_A = −G_B Xᵀ``
  (``−A⁻ᵀ G Xᵀ``, written with solves).
* a primary matrix function ``F = f(A)``: ``dF = L_f(A, dA)``, the Fréchet derivative kept as a
  ``MatrixFunction`` node with a direction; reverse ``Ā = L_f(Aᵀ, G)`` (the adjoint of
  ``L_f(A, ·)`` for a function with a real power series). ``L_f`` is linear in its direction,
  so its own derivative along the direction is ``L_f`` again; through the matrix (a second
  derivative by ``A``) it is refused.
* ``L = cholesky(S)``: ``dL = L Φ(L⁻¹ dS L⁻ᵀ)``, Φ the lower triangle with half the diagonal,
  for the symmetric part of ``dS``; reverse ``S̄ = sym(L⁻ᵀ Φ(Lᵀ G) L⁻¹)``.
"""

from __future__ import annotations

from ..core.algebra import add, fresh_labels, product
from ..core.matrix_functions import matrix_function
from ..core.nodes import Delta, Expr, Inverse, MatrixFunction, Solve, TriMask
from ..core.solve_rewrite import transpose_matrix
from ..errors import IndexcalcError


def _swap01(e: Expr) -> Expr:
    """``e`` with its first two axes swapped (the transpose of each matrix ``e[:, :, r…]``)."""
    ls = fresh_labels(e.ndim)
    return product([(e, ls)], (ls[1], ls[0]) + ls[2:], dict(zip(ls, e.shape)))


def _sym01(e: Expr) -> Expr:
    """The symmetric part over the first two axes, ``(e + eᵀ)/2``."""
    return add([(0.5, e), (0.5, _swap01(e))], e.shape)


def _phi_mask(n) -> Expr:
    """Φ as a mask: 1 below the diagonal, ½ on it, 0 above."""
    return add([(1.0, TriMask(n, n, -1, False)), (0.5, Delta(n, 2))], (n, n))


def _masked(mask: Expr, e: Expr) -> Expr:
    ls = fresh_labels(e.ndim)
    return product([(mask, ls[:2]), (e, ls)], ls, dict(zip(ls, e.shape)))


def _tail(E: tuple) -> tuple:
    return tuple(l for l, _ in E)


# --------------------------------------------------------------------------- solve

def fw_solve(node: Solve, tan, E, x: Expr | None = None) -> Expr:
    """``x``: the solution as the enclosing ``Named`` node shows it (or the node itself)."""
    a, b, x = node.a, node.b, node if x is None else x
    batch = a.shape[:-2]
    B, (i, j), R = fresh_labels(len(batch)), fresh_labels(2), fresh_labels(b.ndim - len(batch) - 1)
    el = _tail(E)
    dims = {**dict(zip(B, batch)), i: a.shape[-1], j: a.shape[-1], **dict(zip(R, b.shape[len(batch) + 1:])), **dict(E)}
    out = B + (i,) + R + el
    terms = []
    if tan(b) is not None:
        terms.append((1.0, tan(b)))
    if tan(a) is not None:
        terms.append((-1.0, product([(tan(a), B + (i, j) + el), (x, B + (j,) + R)], out, dims)))
    change = add(terms, node.shape + tuple(d for _, d in E))
    if not E:  # a jvp: one more solve
        return Solve(a, change)
    # a full Jacobian holds A⁻¹ itself (∂X/∂B = I ⊗ A⁻¹): written with it, it reads as the
    # Kronecker product it is, and the inverse is computed once instead of solving for every
    # column of a tangent made of deltas
    k = fresh_labels(1)[0]
    dims[k] = a.shape[-1]
    return product([(Inverse(a), B + (i, k)), (change, B + (k,) + R + el)], out, dims)


def rv_solve(node: Solve, ct: Expr, dep, x: Expr | None = None) -> list:
    """``x``: the solution as the enclosing ``Named`` node shows it (or the node itself)."""
    a, b, x = node.a, node.b, node if x is None else x
    g_b = Solve(transpose_matrix(a), ct)
    out = []
    if id(b) in dep:
        out.append((b, g_b))
    if id(a) in dep:
        batch = a.shape[:-2]
        B, (i, j), R = fresh_labels(len(batch)), fresh_labels(2), fresh_labels(b.ndim - len(batch) - 1)
        dims = {**dict(zip(B, batch)), i: a.shape[-1], j: a.shape[-1],
                **dict(zip(R, b.shape[len(batch) + 1:]))}
        out.append((a, product([(g_b, B + (i,) + R), (x, B + (j,) + R)], B + (i, j), dims,
                               coef=-1.0)))
    return out


# --------------------------------------------------------------------------- matrix functions

def _second_order(node: MatrixFunction) -> IndexcalcError:
    row = matrix_function(node.fn)
    return IndexcalcError(
        f"the derivative of {row.frechet_text}(A, E) by the matrix A (a second derivative of "
        f"{node.fn} through its argument) is not supported; differentiate {node.fn} once, or "
        "evaluate the second derivative numerically (ic.check, jax.hessian)")


def fw_matrix_function(node: MatrixFunction, tan, E) -> Expr:
    row = matrix_function(node.fn)
    if row.kind == "cholesky":
        return _fw_cholesky(node, tan, E)
    if node.direction is None:
        return MatrixFunction(node.fn, node.arg, tan(node.arg))
    if tan(node.arg) is not None:
        raise _second_order(node)
    return MatrixFunction(node.fn, node.arg, tan(node.direction))


def _fw_cholesky(node: MatrixFunction, tan, E) -> Expr:
    n = node.shape[0]
    inner = Solve(node, _swap01(Solve(node, _sym01(tan(node.arg)))))  # L⁻¹ dS L⁻ᵀ
    i, a, b = fresh_labels(3)
    el = _tail(E)
    dims = {i: n, a: n, b: n, **dict(E)}
    return product([(node, (i, a)), (inner, (a, b) + el), (_phi_mask(n), (a, b))], (i, b) + el, dims)


def rv_matrix_function(node: MatrixFunction, ct: Expr, dep) -> list:
    row = matrix_function(node.fn)
    if row.kind == "cholesky":
        return [(node.arg, _rv_cholesky(node, ct))]
    adjoint = MatrixFunction(node.fn, transpose_matrix(node.arg), ct)
    if node.direction is None:
        return [(node.arg, adjoint)]
    if id(node.arg) in dep:
        raise _second_order(node)
    return [(node.direction, adjoint)]


def _rv_cholesky(node: MatrixFunction, ct: Expr) -> Expr:
    lt = transpose_matrix(node)
    p = _masked(_phi_mask(node.shape[0]), _matmul(lt, ct))  # Φ(Lᵀ G)
    y = Solve(lt, p)                                  # L⁻ᵀ Φ(Lᵀ G)
    s_bar = transpose_matrix(Solve(lt, transpose_matrix(y)))  # … L⁻¹
    return _sym01(s_bar)


def _matmul(x: Expr, y: Expr) -> Expr:
    i, j, k = fresh_labels(3)
    return product([(x, (i, j)), (y, (j, k))], (i, k), {i: x.shape[0], j: x.shape[1], k: y.shape[1]})
