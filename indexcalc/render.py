"""Index (Einstein) notation: ``str(expr)``, e.g. ``Σ_d X[n,d] W[d,h]``.

Index letters come from dimension names (``X[n,d]``), primed when a product uses one dimension
for several labels; integer dimensions use ``i, j, k, …``.
"""

from __future__ import annotations

from .functions import rule
from .nodes import (Apply, Constant, Delta, Det, Expr, Inverse, LogDet, LogSumExp, Named, Product,
                    Reshape, Shared, Softmax, Sum, Tensor)
from .traverse import transform

_LETTERS = "ijklmpqrstuvwxyzabcefg"


def label_names(dims: tuple) -> list[str]:
    """Readable, distinct index names for labels of these dimensions."""
    names: list[str] = []
    used: set[str] = set()
    letters = iter(_LETTERS)
    for d in dims:
        if isinstance(d, str) and d.isidentifier():
            base = d
        else:
            base = next((c for c in letters if c not in used), "i")
        name = base
        while name in used:
            name += "'"
        used.add(name)
        names.append(name)
    return names


def _num(c: float) -> str:
    return f"{c:g}"


def _atom(s: str) -> str:
    """Parenthesize a rendering unless it is a single token."""
    return s if s.replace("_", "").replace("'", "").isalnum() or s.startswith("(") and s.endswith(")") and s.count("(") == 1 else f"({s})"


#: Renderers for node types defined outside nodes.py (type -> (node, sub) -> str), consulted first.
EXTRA: dict = {}


def _render(node: Expr, sub) -> str:
    extra = EXTRA.get(type(node))
    if extra is not None:
        return extra(node, sub)
    if isinstance(node, Tensor):
        return node.name
    if isinstance(node, Named):
        return node.name
    if isinstance(node, Shared):
        return sub(node.arg)
    if isinstance(node, Constant):
        if node.name:
            return node.name
        if node.value.ndim == 0:
            return _num(float(node.value))
        return f"C{list(node.value.shape)}"
    if isinstance(node, Delta):
        return "δ"
    if isinstance(node, Sum):
        if not node.terms:
            return "0"
        parts = []
        for i, (c, t) in enumerate(node.terms):
            s = sub(t)
            if isinstance(t, Sum):
                s = f"({s})"
            mag = abs(c)
            body = s if mag == 1.0 else f"{_num(mag)} {_atom(s)}"
            sign = "-" if c < 0 else "+"
            parts.append((("-" if c < 0 else "") if i == 0 else f" {sign} ") + body)
        return "".join(parts)
    if isinstance(node, Product):
        names = label_names(node.dims)
        used = {l for _, ls in node.factors for l in ls}
        # a summed label that no factor uses is shown by its size alone (δ_ii = n, not Σ_i n)
        summed = [names[l] for l in range(len(node.dims)) if l not in node.out and l in used]
        parts = [] if node.coef == 1.0 else [_num(node.coef)]
        for f, ls in node.factors:
            idx = ",".join(names[l] for l in ls)
            s = sub(f)
            if not isinstance(f, (Tensor, Named, Delta, Constant)):
                s = _atom(s)
            parts.append(f"{s}[{idx}]" if ls else s)
        for l in range(len(node.dims)):
            if l not in node.out and l not in used:
                parts.append(str(node.dims[l]))
        for l in node.out:
            if l not in used:
                parts.append(f"1[{names[l]}]")
        body = " ".join(parts) or "1"
        return (f"Σ_{','.join(summed)} " + body) if summed else body
    if isinstance(node, Apply):
        if node.fn == "power":
            return f"{_atom(sub(node.arg))}^{_num(node.param)}"
        return f"{rule(node.fn).text}({sub(node.arg)})"
    if isinstance(node, Softmax):
        return f"softmax({sub(node.arg)}, axis={node.axis})"
    if isinstance(node, LogSumExp):
        return f"logsumexp({sub(node.arg)}, axis={node.axes if len(node.axes) > 1 else node.axes[0]})"
    if isinstance(node, Inverse):
        return f"{_atom(sub(node.arg))}⁻¹"
    if isinstance(node, Det):
        return f"det({sub(node.arg)})"
    if isinstance(node, LogDet):
        return f"log|det({sub(node.arg)})|"
    if isinstance(node, Reshape):
        return f"reshape({sub(node.arg)}, {tuple(node.shape)})"
    raise TypeError(f"no rendering for {type(node).__name__}")


def to_index_notation(expr: Expr) -> str:
    """The expression in index notation.

    Examples:
        >>> import indexcalc as ic
        >>> X, W = ic.tensors("X[n,d] W[d,h]")
        >>> print(X @ W)
        Σ_d X[n,d] W[d,h]
    """
    return transform(expr, _render)
