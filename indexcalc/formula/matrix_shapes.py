"""Matrix notation's shapes: a small unification over dimensions.

Every value of a matrix formula has a shape ``(rows, cols)`` whose entries are a dimension, ``None``
(the axis is not there: a column vector is ``(n, None)``, a scalar ``(None, None)``), or a
:class:`Var` still unknown: the size of ``I``, ``1`` or ``0``, which is inferred from what they
meet. Equal shapes are unified (``+``, ``∘``, a square ``inv``); a product's and a Kronecker
product's rule waits until enough of their operands' shapes are known (a juxtaposition of a scalar
scales, of vectors ``u vᵀ`` is an outer product); the Kronecker sides are products of dimensions,
solved by division once all but one factor is known. What stays unknown at the end is an error
asking for a subscript (``I_n``, ``1_n``): a size is never guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core.dims import dim_factors, dim_mul, dims_equal, format_dim
from ..errors import ShapeError


class Var:
    """An unknown dimension (or ``None``, when ``may_vanish``) of the value written ``what``."""

    def __init__(self, what: str, may_vanish: bool):
        self.what = what
        self.may_vanish = may_vanish


def show(d: Any) -> str:
    return "1" if d is None else "?" if isinstance(d, Var) else format_dim(d)


def show_shape(shape: tuple) -> str:
    r, c = shape
    if r is None and c is None:
        return "a scalar"
    if c is None:
        return f"a column of {show(r)}"
    if r is None:
        return f"a row of {show(c)}"
    return f"{show(r)} × {show(c)}"


def divide(total: Any, part: Any) -> Any:
    """``total / part`` as a dimension, or raise ``ValueError`` when ``part`` does not divide."""
    ct, nt = dim_factors(total)
    cp, np_ = dim_factors(part)
    names = list(nt)
    for n in np_:
        if n not in names:
            raise ValueError
        names.remove(n)
    if cp == 0 or ct % cp:
        raise ValueError
    return dim_mul(ct // cp, *names)


def square_root(d: Any) -> Any:
    """The dimension whose square is ``d``, or None."""
    c, names = dim_factors(d)
    r = round(c ** 0.5)
    if r * r != c or any(names.count(n) % 2 for n in names):
        return None
    return dim_mul(r, *sorted(names)[::2])


class Solver:
    """Bindings of the unknowns and the constraints that wait for them."""

    def __init__(self, fail: Callable[[Any, str], Exception]):
        self.bound: dict[Var, Any] = {}
        self.waiting: list[tuple[Any, Callable[[], bool]]] = []
        self.fail = fail   # fail(node, message) -> the exception to raise

    def find(self, t: Any) -> Any:
        while isinstance(t, Var) and t in self.bound:
            t = self.bound[t]
        return t

    def known(self, t: Any) -> bool:
        return not isinstance(self.find(t), Var)

    def shape(self, shape: tuple) -> tuple:
        return (self.find(shape[0]), self.find(shape[1]))

    def unify(self, a: Any, b: Any, node: Any, what: str) -> None:
        a, b = self.find(a), self.find(b)
        if a is b:
            return
        if isinstance(a, Var) and isinstance(b, Var) and not a.may_vanish:
            a, b = b, a   # the representative keeps the stricter kind (I's size never vanishes)
        for x, y in ((a, b), (b, a)):
            if isinstance(x, Var):
                self.bound[x] = 1 if y is None and not x.may_vanish else y  # I_1 meets a number
                return
        if a is None and b == 1 or b is None and a == 1:   # an axis of size 1 is as good as none
            return
        if a is None or b is None or not dims_equal(a, b):
            raise self.fail(node, f"{what}: dimensions {show(a)} and {show(b)} do not match")

    def unify_shapes(self, s: tuple, t: tuple, node: Any, what: str) -> None:
        s2, t2 = self.shape(s), self.shape(t)
        try:
            self.unify(s[0], t[0], node, what)
            self.unify(s[1], t[1], node, what)
        except ShapeError:
            raise self.fail(node, f"{what}: {show_shape(s2)} and {show_shape(t2)} do not "
                                  "conform") from None

    def wait(self, node: Any, rule: Callable[[], bool]) -> None:
        """Run ``rule`` now and whenever something is bound, until it says it is done."""
        if not rule():
            self.waiting.append((node, rule))

    def settle(self) -> None:
        progress = True
        while progress and self.waiting:
            progress = False
            for item in list(self.waiting):
                if item[1]():
                    self.waiting.remove(item)
                    progress = True

    def split_krons(self) -> None:
        """A Kronecker side of known size whose factors are both unknown (``I ⊗ I``, ``1 ⊗ 1``)
        has the same value however it splits: the first factor takes it all."""
        while True:
            stalled = [(node, rule) for node, rule in self.waiting
                       if getattr(rule, "factors", None) is not None
                       and self.known(rule.factors[2])
                       and all(isinstance(self.find(f), Var) for f in rule.factors[:2])]
            if not stalled:
                return
            x, y, z = stalled[0][1].factors
            second = self.find(y)
            self.unify(x, z, stalled[0][0], "a Kronecker product")
            self.unify(y, None if second.may_vanish else 1, stalled[0][0], "a Kronecker product")
            self.settle()

    def fall_back(self) -> None:
        """Stalled rules take their fallback reading, one at a time."""
        while True:
            stalled = [rule for _, rule in self.waiting if getattr(rule, "fallback", None)]
            if not stalled:
                return
            rule = stalled[0]
            rule.fallback()
            rule.fallback = None
            self.settle()

    # ------------------------------------------------------------------ the waiting rules

    def product(self, node: Any, a: tuple, b: tuple, out: tuple) -> None:
        """``out`` is the shape of the juxtaposition ``a b``."""
        def rule() -> bool:
            r1, c1 = self.shape(a)
            r2, c2 = self.shape(b)
            what = f"the product of {show_shape((r1, c1))} and {show_shape((r2, c2))}"
            if (r1, c1) == (None, None):           # a scalar scales
                self.unify_shapes(out, b, node, what)
            elif (r2, c2) == (None, None):
                self.unify_shapes(out, a, node, what)
            elif c1 is None and r2 is None:        # column (or scalar) by row: outer product
                self.unify_shapes(out, (r1, c2), node, what)
            elif not isinstance(c1, Var) and not isinstance(r2, Var) \
                    and c1 is not None and r2 is not None:   # both inner sizes are known
                if dims_equal(c1, r2):
                    self.unify_shapes(out, (r1, c2), node, what)
                elif c1 == 1 and r1 is None:       # a vector of one entry scales
                    self.unify_shapes(out, b, node, what)
                elif r2 == 1 and c2 is None:
                    self.unify_shapes(out, a, node, what)
                else:
                    raise self.fail(node, f"{what} do not conform")
            elif c1 is None or r2 is None:         # then a side is absent on both
                other = r2 if c1 is None else c1
                if other == 1:   # x (1 × k): an axis of size 1 or a scalar x: which one?
                    rest = r1 if c1 is None else c2
                    if not self.present(rest):
                        return False
                    self.unify_shapes(out, (r1, c2), node, what)
                    return True
                if self.present(other):            # x S: x must be the scalar
                    scalar = self.shape(a if c1 is None else b)
                    if any(self.present(d) for d in scalar):
                        raise self.fail(node, f"{what} do not conform")
                    self.unify_shapes(scalar, (None, None), node, what)
                else:
                    self.unify(r2 if c1 is None else c1, None, node, what)
                return False
            elif self.present(c1) or self.present(r2):      # a contraction over c1 = r2
                self.unify(c1, r2, node, what)
                self.unify_shapes(out, (r1, c2), node, what)
            else:
                return False
            return True

        def contract() -> None:   # when nothing else decides: two compound values' product
            sides = (self.find(a[1]), self.find(b[0]))
            if any(not isinstance(d, Var) or d.what in ("vector of ones", "zero")
                   for d in sides):
                return   # a 1 or 0 of unknown size: that size is left to the text
            self.unify(a[1], b[0], node, "a product")
            self.unify_shapes(out, (a[0], b[1]), node, "a product")
        rule.fallback = contract
        self.wait(node, rule)

    def present(self, t: Any) -> bool:
        """Whether the axis is surely there: a dimension other than 1, or an unknown that
        cannot vanish."""
        t = self.find(t)
        return t is not None and t != 1 and not (isinstance(t, Var) and t.may_vanish)

    def elementwise(self, node: Any, a: tuple, b: tuple, out: tuple) -> None:
        """``out`` is the shape of ``a ∘ b`` (a scalar broadcasts)."""
        def rule() -> bool:
            sa, sb = self.shape(a), self.shape(b)
            what = f"the elementwise product of {show_shape(sa)} and {show_shape(sb)}"
            if sa == (None, None):
                self.unify_shapes(out, b, node, what)
            elif sb == (None, None):
                self.unify_shapes(out, a, node, what)
            elif not any(isinstance(d, Var) for d in sa + sb) and any(
                    {x, y} & {1, None} and x != y for x, y in zip(sa, sb)):
                # an axis of size 1 broadcasts (as NumPy's), against an axis of any size
                self.unify_shapes(out, tuple(y if x in (1, None) else x
                                             for x, y in zip(sa, sb)), node, what)
            elif any(d is not None and not isinstance(d, Var) for d in sa + sb):
                self.unify_shapes(a, b, node, what)
                self.unify_shapes(out, a, node, what)
            else:
                return False
            return True
        self.wait(node, rule)

    def kron(self, node: Any, a: tuple, b: tuple, out: tuple, split: bool = True) -> None:
        """``out`` is the shape of ``a ⊗ b``: each side the product of the operands' sides.
        ``split``: whether the value is the same however a known side splits between unknown
        factors (``I ⊗ I``; not ``vec(M)`` of an unknown ``M``)."""
        for side in (0, 1):
            def rule(side=side) -> bool:
                return self._kron_side(node, a[side], b[side], out[side])
            rule.factors = (a[side], b[side], out[side]) if split else None
            self.wait(node, rule)

    def _kron_side(self, node: Any, x: Any, y: Any, z: Any) -> bool:
        x, y, z = self.find(x), self.find(y), self.find(z)
        what = "a Kronecker product"
        if not isinstance(x, Var) and not isinstance(y, Var):
            dims = [d for d in (x, y) if d is not None]
            self.unify(z, dim_mul(*dims) if dims else None, node, what)
            return True
        if isinstance(z, Var):
            return False
        if z is None:
            self.unify(x, None, node, what)
            self.unify(y, None, node, what)
            return True
        if x is y:   # vec(I): a side is the square of one unknown
            root = square_root(z)
            if root is None:
                raise self.fail(node, f"{what}: {show(z)} is no square")
            self.unify(x, root, node, what)
            return True
        known, unknown = (x, y) if isinstance(y, Var) else (y, x)
        if isinstance(known, Var):
            return False
        try:
            self.unify(unknown, z if known is None else divide(z, known), node, what)
        except ValueError:
            raise self.fail(node, f"{what}: a side of {show(z)} is no multiple of "
                                  f"{show(known)}") from None
        return True

    def diag(self, node: Any, v: tuple, out: tuple) -> None:
        """``out`` is the square shape of ``diag(v)``, ``v`` a vector."""
        def rule() -> bool:
            r, c = self.shape(v)
            if r is None and c is None:
                raise self.fail(node, "diag takes a vector, got a scalar")
            rows, cols = (d is not None and not isinstance(d, Var) for d in (r, c))
            if rows and cols:
                raise self.fail(node, f"diag takes a vector, got {show_shape((r, c))} (use "
                                      "diagonal() for a matrix's diagonal)")
            if c is None or rows:
                self.unify(c, None, node, "diag")
                d = r
            elif r is None or cols:
                self.unify(r, None, node, "diag")
                d = c
            else:
                return False
            self.unify_shapes(out, (d, d), node, "diag")
            return True
        self.wait(node, rule)
