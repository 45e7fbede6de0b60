"""Differentiating by a named intermediate: ``ic.diff(ŷ, H)`` where ``H = (X @ W).named("H")``.

The derivative by an intermediate treats it as a variable: ``f`` is rewritten with a stand-in
tensor of the same name and shape where ``H`` occurs (every occurrence, as one node), the
derivative is taken by that tensor, and ``H`` is put back where the result uses its value, so
the result evaluates from ``H``'s definition (``ic.diff(ŷ, H).evaluate(X=…, W=…, v=…)``).
"""

from __future__ import annotations

from ..core.graph_walk import postorder
from ..core.nodes import Expr, Named, Tensor
from ..core.rebuild import REBUILD
from ..errors import IndexcalcError


def substitute(e: Expr, replace: dict) -> Expr:
    """``e`` with each node whose id is in ``replace`` replaced (its inside is not visited)."""
    if not replace:
        return e
    done: dict[int, Expr] = {}
    for n in postorder([e], lambda n: () if id(n) in replace else n.children()):
        if id(n) in replace:
            done[id(n)] = replace[id(n)]
        elif all(done[id(c)] is c for c in n.children()):
            done[id(n)] = n
        else:
            done[id(n)] = REBUILD[type(n)](n, lambda c: done[id(c)])
    return done[id(e)]


def stand_in(f: Expr, x: Named, what: str) -> tuple[Expr, Tensor]:
    """``f`` with the named intermediate ``x`` replaced by a tensor of its name and shape."""
    if not x.name.isidentifier():
        raise IndexcalcError(f"{what}: a named intermediate differentiated by needs a name like "
                             f"'H' or 'W_hx', got {x.name!r}")
    t = Tensor(x.name, x.shape)
    if any(isinstance(n, Tensor) and n.name == x.name and n is not t for n in postorder([f])):
        raise IndexcalcError(f"{what}: the intermediate {x.name!r} has the name of a tensor of "
                             f"the function; rename one of them (expr.named('…'))")
    return substitute(f, {id(x): t}), t


def restore(e: Expr, t: Tensor, x: Named) -> Expr:
    """The derivative ``e`` by the stand-in ``t``, with ``x`` back where its value is used."""
    return substitute(e, {id(t): x})


def restored(original: object, x: Tensor, e: Expr) -> Expr:
    """``e`` with the named intermediate back where its stand-in ``x`` is, when the variable
    asked for (``original``) was one; otherwise ``e`` itself."""
    return restore(e, x, original) if isinstance(original, Named) else e
