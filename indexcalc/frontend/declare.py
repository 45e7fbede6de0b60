"""``ic.tensors``: declare several variables in one string."""

from __future__ import annotations

import re

from ..errors import ParseError
from ..core.graph_walk import one_tensor_per_name
from ..core.nodes import Tensor

_DECL = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[([^\]]*)\])?\s*(?:,\s*)?")


def tensors(spec: str) -> tuple[Tensor, ...]:
    """Variables from a declaration string like ``"X[n,d] W[d,h] v[h] y[n] c"``.

    A name without brackets is a scalar. Returns the tensors in order.

    Examples:
        >>> import indexcalc as ic
        >>> X, v = ic.tensors("X[n,d] v[d]")
        >>> X.shape, v.shape
        (('n', 'd'), ('d',))
    """
    if not isinstance(spec, str):
        raise ParseError(f"tensors: expected a string like 'X[n,d] v[d]', got {spec!r:.60}")
    out, pos = [], 0
    while pos < len(spec):
        m = _DECL.match(spec, pos)
        if not m or m.end() == pos:
            raise ParseError(f"tensors: cannot read {spec!r}\n"
                             f"          {' ' * (pos + 1)}^ expected a declaration like X[n,d]")
        out.append(Tensor(m.group(1), m.group(2) or ()))
        pos = m.end()
    if not out:
        raise ParseError("tensors: the declaration string is empty; write e.g. 'X[n,d] v[d]'")
    one_tensor_per_name(out, "tensors")
    return tuple(out)
