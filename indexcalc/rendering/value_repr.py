"""Short, readable ``repr`` and notebook (``_repr_html_``) forms of expressions.

``repr(expr)`` says what the value is: its kind, its shape and the start of its index notation,
cut with ``…`` (``<Derivative ∂f/∂W (d, h): Σ_n X[n,d] …>``). It never raises and stays fast on
deep graphs: past :data:`RENDER_LIMIT` nodes it gives the size of the graph instead of the
notation (``str(expr)`` writes it in full). The facade attaches these to ``Expr``.
"""

from __future__ import annotations

import html

from ..core.dims import format_shape
from ..core.nodes import Derivative, Expr, Named, Sum, Tensor
from .index_notation import to_index_notation
from .latex_notation import repr_latex

#: the widest notation a repr shows, in characters
WIDTH = 72
#: graphs of more nodes print their size, not their notation (rendering them takes seconds)
RENDER_LIMIT = 400


def cut(text: str, width: int = WIDTH) -> str:
    """``text`` on one line, cut with ``…`` past ``width`` characters.

    Examples:
        >>> cut("a b c", 3), cut("a\\nb")
        ('a b …', 'a b')
    """
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width].rstrip() + " …"


def small(expr: Expr, limit: int = RENDER_LIMIT) -> bool:
    """Whether the graph of ``expr`` has at most ``limit`` distinct nodes (stops counting past).

    Examples:
        >>> import indexcalc as ic
        >>> small(ic.Tensor("x", 3) * 2), small(ic.Tensor("x", 3) * 2, limit=1)
        (True, False)
    """
    seen, stack = {id(expr)}, [expr]
    while stack:
        for child in stack.pop().children():
            if id(child) not in seen:
                if len(seen) >= limit:
                    return False
                seen.add(id(child))
                stack.append(child)
    return True


def kind(expr: Expr) -> str:
    """What the value is, in words: ``Derivative ∂f/∂W``, ``Product``, ``Named h``.

    Examples:
        >>> import indexcalc as ic
        >>> X, W = ic.tensors("X[n,d] W[d,h]")
        >>> kind(ic.grad(ic.sum(X @ W), W)), kind((X @ W).named("h"))
        ('Derivative ∂f/∂W', 'Named h')
    """
    if isinstance(expr, Derivative):
        of = expr.of.name if isinstance(expr.of, (Named, Tensor)) else "f"
        return f"Derivative ∂{of}/∂{expr.wrt.name}"
    if isinstance(expr, Named):
        return f"Named {expr.name}"
    return type(expr).__name__


def short_repr(expr: Expr) -> str:
    """``<kind shape: index notation…>``; never raises, fast on deep graphs.

    Examples:
        >>> import indexcalc as ic
        >>> X, W = ic.tensors("X[n,d] W[d,h]")
        >>> repr(X @ W)
        '<Product (n, h): Σ_d X[n,d] W[d,h]>'
        >>> repr(ic.grad(0.5 * ic.sum((X @ W) ** 2), W))
        "<Derivative ∂f/∂W (d, h): Σ_n,d' X[n,d] X[n,d'] W[d',h]>"
    """
    try:
        head = f"{kind(expr)} {format_shape(expr.shape)}"
        if isinstance(expr, Sum) and expr.is_zero:
            return f"<Zero {format_shape(expr.shape)}>"
        if not small(expr):
            return f"<{head}: a graph of over {RENDER_LIMIT} nodes; str() writes its index notation>"
        return f"<{head}: {cut(to_index_notation(expr))}>"
    except Exception as e:  # a repr must not raise, whatever the graph  # noqa: BLE001
        return f"<{type(expr).__name__} (not printable: {type(e).__name__})>"


def repr_html(expr: Expr) -> str:
    """The notebook's HTML: the kind and shape, then the index notation (cut when huge).

    Examples:
        >>> import indexcalc as ic
        >>> repr_html(ic.Tensor("X", "n d") * 2)
        '<code>Sum (n, d)</code>: <code>2 X[n,d]</code>'
    """
    head = html.escape(f"{kind(expr)} {format_shape(expr.shape)}")
    text = (to_index_notation(expr) if small(expr)
            else f"a graph of over {RENDER_LIMIT} nodes; str() writes its index notation")
    return f"<code>{head}</code>: <code>{html.escape(text)}</code>"


def repr_latex_short(expr: Expr) -> str | None:
    """The notebook's LaTeX, for graphs small enough to render (else ``None``: HTML is used)."""
    if not small(expr):
        return None
    return repr_latex(expr)


def text_html(text: str) -> str:
    """A printed value (a plan, a derivation) as preformatted HTML.

    Examples:
        >>> text_html("a < b")
        '<pre>a &lt; b</pre>'
    """
    return f"<pre>{html.escape(text)}</pre>"
