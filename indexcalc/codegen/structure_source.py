"""``ic.to_python`` code for the structure nodes: slices, scatters, concatenation, masks.

Rows of :data:`indexcalc.codegen.python_source._EMIT`, with its signature ``(writer, node) ->
expression source``; ``writer.var[id(child)]`` is a child's variable and ``writer.lines`` takes
statements that come before the assignment (``{out}`` stands for the node's own variable).

* ``Index``: basic indexing, ``a[1:3, None, ::-1]``.
* ``Scatter``: zeros, then the value written at the index (``.at[…].set`` for JAX).
* ``Concat``: ``np.concatenate([...], axis=k)``.
* ``TriMask``: ``np.tri`` (``1 − tri(k − 1)`` for the upper triangle).

A slice of a named dimension needs its size to be at least the slice's end; the code checks it
as ``evaluate`` does, and raises ``ValueError`` otherwise.
"""

from __future__ import annotations

from typing import Any

from ..core.nodes import Concat, Index, Scatter, TriMask, format_spec, named_bounds


def _checks(w: Any, spec: tuple, base: tuple) -> None:
    """``if n < need: raise ValueError(...)`` for each item on a named dimension."""
    for axis, d, need in named_bounds(spec, base):
        message = (f"index [{format_spec(spec, base)}]: axis {axis} has dimension {d!r} "
                   f"of size %d, but the index needs at least {need}")
        size = w.dim(d)
        w.lines.append(f"if {size} < {need}: raise ValueError({message!r} % {size})")


def _where(spec: tuple, shape: tuple) -> str:
    text = format_spec(spec, shape)
    return text if text else "()"


def emit_index(w: Any, node: Index) -> str:
    _checks(w, node.spec, node.arg.shape)
    return f"{w.var[id(node.arg)]}[{_where(node.spec, node.arg.shape)}]"


def emit_scatter(w: Any, node: Scatter) -> str:
    _checks(w, node.spec, node.shape)
    zeros = f"{w.m}.zeros({w.shape(node.shape)}, dtype={w.dtype})"
    where, value = _where(node.spec, node.shape), w.var[id(node.arg)]
    if w.backend == "jax":
        return f"{zeros}.at[{where}].set({value})"
    w.lines += [f"{{out}} = {zeros}", f"{{out}}[{where}] = {value}"]
    return "{out}"


def emit_concat(w: Any, node: Concat) -> str:
    parts = ", ".join(w.var[id(p)] for p in node.parts)
    return f"{w.m}.concatenate([{parts}], axis={node.axis})"


def emit_trimask(w: Any, node: TriMask) -> str:
    r, c = w.dim(node.rows), w.dim(node.cols)
    if node.upper:
        return f"1 - {w.m}.tri({r}, {c}, {node.k - 1}, dtype={w.dtype})"
    return f"{w.m}.tri({r}, {c}, {node.k}, dtype={w.dtype})"
