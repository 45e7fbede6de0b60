"""``ic.einsum_function``: a bare einsum as a torch or jax function with indexcalc's backward."""

from __future__ import annotations

from typing import Callable

from ..core.nodes import Tensor
from ..errors import IndexcalcError
from ..frontend.arithmetic import einsum
from .jax_function import to_jax
from .torch_function import to_torch

#: backend name -> the exporter
EXPORTERS = {"torch": to_torch, "jax": to_jax}


def einsum_function(subscripts: str, backend: str = "torch") -> Callable:
    """``numpy.einsum(subscripts, *operands)`` as a differentiable torch or jax function.

    The operands are tensors ``op0, op1, …`` whose dimensions are named by their letters, so the
    sizes are bound per call. The forward contracts along opt_einsum's path, the backward is
    indexcalc's VJP of each operand (see :func:`to_torch`, :func:`to_jax`).

    Args:
        subscripts: explicit or implicit einsum subscripts (``"ij,jk->ik"``, ``"ii"``); no
            ellipsis.
        backend: ``"torch"`` (default) or ``"jax"``.

    Raises:
        IndexcalcError: an unknown backend, an ellipsis, or subscripts einsum refuses.

    Examples:
        >>> import indexcalc as ic, torch
        >>> chain = ic.einsum_function("ij,jk,kl->il")
        >>> a, b, c = (torch.ones(2, 3, dtype=torch.float64, requires_grad=True),
        ...            torch.ones(3, 4, dtype=torch.float64), torch.ones(4, 5, dtype=torch.float64))
        >>> chain(a, b, c).sum().backward()
        >>> a.grad[0]
        tensor([20., 20., 20.], dtype=torch.float64)
    """
    if not isinstance(backend, str) or backend not in EXPORTERS:
        raise IndexcalcError(f"einsum_function: backend must be one of {', '.join(EXPORTERS)}, "
                             f"got {backend!r}")
    if not isinstance(subscripts, str):
        raise IndexcalcError(f"einsum_function: subscripts must be a string like 'ij,jk->ik', "
                             f"got {subscripts!r:.60}")
    if "." in subscripts:
        raise IndexcalcError(f"einsum_function: an ellipsis needs the operands' ranks; spell "
                             f"every axis with a letter in {subscripts!r}")
    terms = subscripts.replace(" ", "").split("->")[0].split(",")
    for term in terms:
        if not all(c.isalpha() for c in term):
            raise IndexcalcError(f"einsum_function: operand subscripts must be letters, got "
                                 f"{term!r} in {subscripts!r}")
    operands = [Tensor(_operand_name(i), tuple(term)) for i, term in enumerate(terms)]
    return EXPORTERS[backend](einsum(subscripts, *operands), *operands)


def _operand_name(i: int) -> str:
    return f"op{i}"
