"""Planned contractions on another array library (torch): each pairwise step, precompiled.

opt_einsum's ``ContractExpression`` hands every pairwise step to the backend's ``einsum`` or
``tensordot``; on torch a step that sums nothing (``c,ca->ca``: a row scaling) then costs an
einsum dispatch and, for large operands, far more than the multiply it is (29 ms against 3 ms
at n = 2000, d = 500 in the Hessian-diagonal benchmark). Here such a step is a broadcasting
multiply of two views (axes permuted, size-1 axes inserted), every other step the library's
``einsum`` on the step's own (ASCII) equation, except many small dot products (``ba,ba->a``),
which are a multiply and a sum; all written out as one straight-line function.
"""

from __future__ import annotations

from typing import Any, Callable

from .kernels import ascii_equation, straight_path


def is_elementwise(sa: str, sb: str, so: str) -> bool:
    """Whether ``sa,sb->so`` sums nothing and repeats no index: a broadcasting multiply.

    Examples:
        >>> is_elementwise("c", "ca", "ca"), is_elementwise("ab", "b", "a")
        (True, False)
    """
    return (set(sa) | set(sb)) == set(so) and len(set(sa)) == len(sa) \
        and len(set(sb)) == len(sb) and len(set(so)) == len(so)


def is_batched_dot(sa: str, sb: str, so: str) -> bool:
    """Whether ``sa,sb->so`` sums a letter of both while every kept letter is in both, or one
    operand has no letter of its own: many small dot products, which torch's einsum runs as a
    batched matrix product of 1×k matrices (``ba,ba->a``: 53 ms against 2.6 ms for multiply and
    sum at 2000×500).

    Examples:
        >>> is_batched_dot("ba", "ba", "a"), is_batched_dot("ab", "bc", "ac")
        (True, False)
    """
    if len(set(sa)) < len(sa) or len(set(sb)) < len(sb):
        return False
    shared = set(sa) & set(sb)
    summed = shared - set(so)
    batch = shared & set(so)
    own_a, own_b = set(sa) - set(sb), set(sb) - set(sa)
    return bool(summed) and bool(batch) and (not own_a or not own_b) \
        and own_a <= set(so) and own_b <= set(so)


def multiply_sum_kernel(sa: str, sb: str, so: str, transpose: Callable) -> Callable:
    """``einsum(f"{sa},{sb}->{so}", a, b)`` as ``(a * b).sum(summed axes)`` of aligned views."""
    summed = "".join(c for c in sa if c in sb and c not in so)
    full = so + summed
    fa, fb = _aligned(sa, full, transpose), _aligned(sb, full, transpose)
    axes = tuple(range(len(so), len(full)))
    return lambda a, b: (fa(a) * fb(b)).sum(axes)


def _aligned(sub: str, out: str, transpose: Callable) -> Callable:
    """A view of an operand with axes ordered as ``out``, size-1 axes for missing letters."""
    perm = [sub.index(c) for c in out if c in sub]
    index = tuple(slice(None) if c in sub else None for c in out)
    while index and index[0] is None:  # leading axes: broadcasting adds them by itself
        index = index[1:]
    moved = perm != sorted(perm)
    expand = None in index
    if moved and expand:
        return lambda a: transpose(a, perm)[index]
    if moved:
        return lambda a: transpose(a, perm)
    if expand:
        return lambda a: a[index]
    return lambda a: a


def multiply_kernel(sa: str, sb: str, so: str, transpose: Callable) -> Callable:
    """``einsum(f"{sa},{sb}->{so}", a, b)`` for an elementwise step, as ``a * b`` of views."""
    fa, fb = _aligned(sa, so, transpose), _aligned(sb, so, transpose)
    return lambda a, b: fa(a) * fb(b)


def backend_path_kernel(contraction_list: list, xp: Any, transpose: Callable) -> Callable:
    """One function of all operands running opt_einsum's planned steps with ``xp``'s arrays."""
    steps = []
    for entry in contraction_list:
        positions, eq = tuple(entry[0]), entry[2]
        inputs, out = eq.split("->")
        subs = inputs.split(",")
        if len(subs) == 2 and is_elementwise(subs[0], subs[1], out):
            kernel = multiply_kernel(subs[0], subs[1], out, transpose)
        elif len(subs) == 2 and is_batched_dot(subs[0], subs[1], out):
            kernel = multiply_sum_kernel(subs[0], subs[1], out, transpose)
        else:
            kernel = _einsum(xp, ascii_equation(eq))
        steps.append((positions, kernel))
    return straight_path(steps)


def _einsum(xp: Any, equation: str) -> Callable:
    return lambda *ops: xp.einsum(equation, *ops)
