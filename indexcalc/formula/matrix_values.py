"""Matrix notation's values: the expression each node of a read formula stands for.

:class:`ValueBuilder` is the second half of :class:`indexcalc.formula.matrix_reader._Reading`:
once every node's shape ``(rows, cols)`` is known (:mod:`.matrix_shapes`), a node's expression is
built from its children's: a juxtaposition is ``matmul`` (or a scaling, or ``u vᵀ`` an outer
product), ``⊗`` is ``np.kron`` on the operands as matrices, a block matrix concatenates them.
"""

from __future__ import annotations

import re
from typing import Any

from ..core.algebra import product
from ..core.dims import dim_mul
from ..core.elementwise import RULES, apply
from ..core.linalg_nodes import DECOMPOSITION_CALLS
from ..core.matrix_functions import MATRIX_FUNCTIONS
from ..core.nodes import Expr, zero
from ..errors import ParseError
from ..frontend import arithmetic, axes, extrema, linalg, matrices, shaping
from .calls import ELEMENTWISE as PYTHON_ELEMENTWISE, FUNCTIONS
from .matrix_syntax import Node

#: Elementwise functions by the name indexcalc prints (``σ``, ``σ'``) and by their own.
ELEMENTWISE = {**{name: name for name in RULES if name != "power"},
               **{row.text: name for name, row in RULES.items() if name != "power"}}
SQUARE_TO_SCALAR = {"tr": matrices.trace, "trace": matrices.trace, "det": matrices.det,
                    "logdet": matrices.logdet}
#: The library's calls a printed form writes by name, read as the Python notation reads them: a
#: function of a square matrix (``expm(A)``), its Fréchet derivative (``L_exp(A, E)``), both of
#: the matrix's shape; a part of a decomposition (``eigvecsh(S)``, ``svdvals(A)``).
MATRIX_CALLS = {name: FUNCTIONS[name] for row in MATRIX_FUNCTIONS.values()
                for name in (row.text, row.frechet_text)[:2 if row.kind == "primary" else 1]}
DECOMPOSITION_PARTS = {name: FUNCTIONS[name] for name in DECOMPOSITION_CALLS.values()}
#: What a printed form writes as a call that reshapes (:meth:`ValueBuilder._call`), and ``K_(m,n)``.
_SHAPING = ("vec", "vec_row", "unvec", "unvec_row", "unvec_", "unvec_row_", "kron", "K_")
SAME_SHAPE = {"inv": matrices.inv, "tril": shaping.tril, "triu": shaping.triu,
              "softmax": axes.softmax}
#: A call only matrix notation reads (a printed ``tr(C)``, ``vec(square(B))``; ``σ(x)`` is index
#: notation's too): parse's auto mode reads such text as matrix notation where Python's refuses it.
ONLY_MATRIX_CALL = re.compile(r"(?<![\w'])(?:" + "|".join(sorted(
    {n for table in (SQUARE_TO_SCALAR, MATRIX_CALLS, DECOMPOSITION_PARTS, SAME_SHAPE, _SHAPING)
     for n in table} - set(FUNCTIONS) - set(PYTHON_ELEMENTWISE) - set(ELEMENTWISE),
    key=len, reverse=True)) + r")\(")


class ValueBuilder:
    """Building a node's expression; the reading supplies ``solver``, ``shape``, ``leaves``,
    ``refs``, ``fail`` and ``_dim``."""

    def build(self, n: Node, kids: list) -> Any:
        k = n.kind
        r, c = self.solver.shape(self.shape(n))
        dims = tuple(d for d in (r, c) if d is not None)
        if k == "number":
            return n.args[0]
        if k in ("ones", "ones_matrix"):
            return 1.0 if not dims else _ones(dims)
        if k in ("zero", "zero_matrix"):
            return 0.0 if not dims else zero(dims)
        if id(n) in self.leaves:
            return self.leaves[id(n)]
        if k == "identity" or k == "name":   # I, I_n
            return matrices.eye(r)
        if k == "commutation":
            m, q = (self._dim(n, t) for t in n.args)
            four = arithmetic.einsum("ad,bc->abcd", matrices.eye(m), matrices.eye(q))
            return matrices.reshape(four, dim_mul(m, q), dim_mul(q, m))
        if k == "T":
            x = kids[0]
            return axes.transpose(x) if isinstance(x, Expr) and x.ndim == 2 else x
        if k in ("inv", "mpow") and isinstance(kids[0], Expr) and kids[0].ndim == 0:
            return arithmetic.power(kids[0], -1.0 if k == "inv" else n.args[1])  # det(X)⁻¹
        if k == "inv":
            return matrices.inv(kids[0])
        if k == "rpow":
            return n.args[1] ** kids[0]
        if k == "mpow":
            if n.args[1] < 1:
                raise self.fail(n, "a matrix power takes a whole number ≥ 1 (X^-1 is the "
                                   "inverse, X^∘p the elementwise power)", ParseError)
            # shared squarings: A^99999999999999999999 is ~67 products, not a loop of 10^20
            if not isinstance(kids[0], Expr):
                try:
                    return float(kids[0]) ** n.args[1]  # a number: 2^3
                except OverflowError:
                    raise self.fail(n, "this power of a number overflows a float",
                                    ParseError) from None
            return linalg.matrix_power(kids[0], n.args[1])
        if k == "hpow":
            return arithmetic.power(kids[0], n.args[1])
        if k == "npow":
            if isinstance(kids[0], Expr) and kids[0].ndim > 0:
                raise self.fail(n, "x^p with p not a whole number ≥ 1 is a scalar's power; write "
                                   "X^∘p for the elementwise power", ParseError)
            return arithmetic.power(kids[0], n.args[1])
        if k == "logdet":
            return matrices.logdet(kids[0])
        if k == "add":
            kids = [self._fit(t, dims) for t in kids]
            out = n.args[0][0] * kids[0]
            for (sign, _), t in zip(n.args[1:], kids[1:]):
                out = out + sign * t
            return out
        if k == "matmul":
            return self._product(n, *kids)
        if k in ("hadamard", "hdiv"):
            a, b = (self._fit(t, dims) for t in kids)
            return a * b if k == "hadamard" else a * arithmetic.power(b, -1.0)
        if k == "kron":
            return self._kron(n, n.args, kids)
        if k == "block":
            return self._block(n, kids)
        return self._call(n, kids, dims)

    def _product(self, n: Node, a: Any, b: Any) -> Any:
        (r1, c1), (r2, c2) = (self.solver.shape(self.shape(x)) for x in n.args)
        if (r1, c1) == (None, None) or (r2, c2) == (None, None):
            return a * b
        if c1 is None:
            return matrices.outer(a, b)
        if r2 is None:   # a row on the right (one row: the left's one column), C x in the row
            left, right = (self._as2d(x, v) for x, v in zip(n.args, (a, b)))   # convention
            return self._unshaped(n, axes.matmul(left, right))
        return axes.matmul(a, b)

    @staticmethod
    def _fit(x: Any, dims: tuple) -> Any:
        """A term of a sum (or ``∘``) in the solved shape ``dims``: a vector ``y`` beside a
        matrix ``C`` of one column (``y + C``) is that column, never NumPy's ``(n,) + (n, 1)``
        outer broadcast to ``n × n``."""
        if isinstance(x, Expr) and x.ndim and x.ndim != len(dims):
            return matrices.reshape(x, *dims) if dims else matrices.reshape(x)
        return x

    def _as2d(self, node: Node, x: Any) -> Expr:
        r, c = self.solver.shape(self.shape(node))
        return matrices.reshape(x, 1 if r is None else r, 1 if c is None else c)

    def _kron(self, n: Node, operands: tuple, kids: list) -> Any:
        """``⊗`` of ``operands`` (``kron(A, B)``'s arguments: the call's node has the shape)."""
        parts = [(x, v) for x, v in zip(operands, kids)
                 if self.solver.shape(self.shape(x)) != (None, None)]
        scale = 1.0
        for x, v in zip(operands, kids):
            if self.solver.shape(self.shape(x)) == (None, None):
                scale = scale * v
        if not parts:
            return scale
        if len(parts) == 1:
            return scale * parts[0][1]
        out = matrices.kron(*(self._as2d(x, v) for x, v in parts))
        return scale * self._unshaped(n, out)

    def _unshaped(self, n: Node, x: Expr) -> Expr:
        dims = tuple(d for d in self.solver.shape(self.shape(n)) if d is not None)
        return matrices.reshape(x, *dims) if dims else matrices.reshape(x)

    def _block(self, n: Node, kids: list) -> Expr:
        it = iter(zip((x for row in n.args for x in row), kids))
        rows = []
        for row in n.args:
            parts = [self._as2d(x, v) for x, v in (next(it) for _ in row)]
            rows.append(parts[0] if len(parts) == 1 else shaping.concatenate(parts, axis=1))
        out = rows[0] if len(rows) == 1 else shaping.concatenate(rows, axis=0)
        return self._unshaped(n, out)

    def _call(self, n: Node, kids: list, dims: tuple) -> Any:
        name, args, keywords = n.args
        keywords = dict(keywords)
        x = kids[0]
        if name == "diag":
            return matrices.diag(x)
        if name == "diagonal":
            return matrices.diagonal(x)
        if name in SQUARE_TO_SCALAR:
            return SQUARE_TO_SCALAR[name](x)
        if name == "sum":
            return axes.sum(x)
        if name in ("logsumexp", "max"):
            fn = axes.logsumexp if name == "logsumexp" else extrema.max
            return fn(x, keywords["axis"]) if keywords else fn(x)
        if name in ("vec", "vec_row"):
            if not isinstance(x, Expr) or x.ndim < 2:
                return self._unshaped(n, arithmetic.as_expr(x))
            return shaping.vec(x, "col" if name == "vec" else "row")
        if name == "transpose":
            return axes.transpose(x) if isinstance(x, Expr) and x.ndim == 2 else x
        if name in ("unvec", "unvec_row"):
            return shaping.unvec(x, dims, "col" if name == "unvec" else "row")
        if name == "kron":
            return self._kron(n, args, kids)
        if name in ("tril", "triu"):
            return SAME_SHAPE[name](x, keywords.get("k", 0))
        if name == "softmax":
            return axes.softmax(x, keywords.get("axis", -1)) if isinstance(x, Expr) \
                and x.ndim == 2 else axes.softmax(x)
        if name == "inv":
            return matrices.inv(x)
        if name in MATRIX_CALLS:
            return MATRIX_CALLS[name].call(*kids)
        if name in DECOMPOSITION_PARTS:
            return DECOMPOSITION_PARTS[name].call(x)
        return apply(ELEMENTWISE[name], arithmetic.as_expr(x))


def _ones(dims: tuple) -> Expr:
    labels = tuple("ij"[:len(dims)])
    return product([], labels, dict(zip(labels, dims)), 1.0)
