"""NumPy kernels for planned contractions: each pairwise step of an opt_einsum path, precompiled.

opt_einsum decides the order; this module turns each of its pairwise steps into the cheapest
NumPy call for the bound sizes, chosen once when the program is built: a broadcasting multiply
when nothing is summed, one BLAS ``dot`` (operands passed as transposed views, not copies, where
their memory order allows) when something is, a batched ``matmul`` when both operands also share
an output axis. Doing the dispatch once removes opt_einsum's per-call parsing and dispatch
(about 10 µs a step, a fifth of a small RNN's evaluation).
"""

from __future__ import annotations

import string
from typing import Callable

import numpy as np

from ..errors import IndexcalcError
from .straight_line import build_function

ASCII_LETTERS = string.ascii_letters

Kernel = Callable[..., np.ndarray]



def ascii_equation(equation: str) -> str:
    """``equation`` with its index symbols renamed to ASCII letters, first seen first.

    opt_einsum names the 53rd and later labels of a product with other Unicode letters, which
    ``numpy.einsum`` does not read; one pairwise step or diagonal uses far fewer than 52.

    Examples:
        >>> ascii_equation("aé,éb->ab")
        'ab,bc->ac'
    """
    letters = dict.fromkeys(c for c in equation if c not in ",->.")
    if len(letters) > len(ASCII_LETTERS):
        raise IndexcalcError(f"an einsum step with {len(letters)} distinct indices: NumPy reads "
                             f"at most {len(ASCII_LETTERS)}")
    rename = dict(zip(letters, ASCII_LETTERS))
    return "".join(rename.get(c, c) for c in equation)

def _identity(a: np.ndarray) -> np.ndarray:
    return a


def _identity_perm(perm: list) -> bool:
    return perm == sorted(perm)


def _presum(sub: str, keep: str) -> tuple[str, tuple]:
    """Letters of ``sub`` that ``keep`` lacks are summed before the pairwise step."""
    axes = tuple(i for i, c in enumerate(sub) if c not in keep)
    return "".join(c for c in sub if c in keep), axes


def _aligned(sub: str, out: str) -> Callable[[np.ndarray], np.ndarray]:
    """A view of an operand with axes ordered as ``out`` and size-1 axes for missing letters."""
    perm = [sub.index(c) for c in out if c in sub]
    index = tuple(slice(None) if c in sub else None for c in out)
    while index and index[0] is None:  # leading axes: broadcasting adds them by itself
        index = index[1:]
    move = not _identity_perm(perm)
    expand = any(i is None for i in index)
    if move and expand:
        return lambda a: a.transpose(perm)[index]
    if move:
        return lambda a: a.transpose(perm)
    if expand:
        return lambda a: a[index]
    return lambda a: a


def _matrix(sub: str, rows: list, cols: list, size: dict) -> Callable[[np.ndarray], np.ndarray]:
    """``a`` as a (rows × cols) matrix: a reshape of ``a`` or of its transpose, whichever is a view."""
    r = int(np.prod([size[c] for c in rows]))
    k = int(np.prod([size[c] for c in cols]))
    natural = [sub.index(c) for c in rows + cols]
    swapped = [sub.index(c) for c in cols + rows]
    if _identity_perm(natural):
        return lambda a: a.reshape(r, k)
    if _identity_perm(swapped):
        return lambda a: a.reshape(k, r).T  # a transposed view: BLAS reads it without a copy
    return lambda a: a.transpose(natural).reshape(r, k)


def pair_kernel(sa: str, sb: str, so: str, size: dict) -> tuple[Kernel, bool]:
    """A kernel computing ``einsum(f"{sa},{sb}->{so}", a, b)``; and whether it returns new memory."""
    if len(set(sa)) < len(sa) or len(set(sb)) < len(sb):  # a diagonal inside an operand
        eq = ascii_equation(f"{sa},{sb}->{so}")
        return (lambda a, b: np.einsum(eq, a, b)), True
    ka, axes_a = _presum(sa, sb + so)
    kb, axes_b = _presum(sb, sa + so)
    contracted = [c for c in ka if c in kb and c not in so]
    if not contracted:
        fa, fb = _aligned(ka, so), _aligned(kb, so)
        kernel = lambda a, b: np.multiply(fa(a), fb(b))  # noqa: E731
    elif _result_order(kb, ka, so) == list(so) != _result_order(ka, kb, so):
        # b's free axes lead the output: swap the operands so the result needs no transpose
        # (a transposed result would make every later elementwise step stride through memory)
        swapped = _dot_kernel(kb, ka, so, [c for c in kb if c in contracted], size)
        kernel = lambda a, b: swapped(b, a)  # noqa: E731
    else:
        kernel = _dot_kernel(ka, kb, so, contracted, size)
    if axes_a or axes_b:
        inner = kernel
        kernel = lambda a, b: inner(a.sum(axis=axes_a) if axes_a else a,  # noqa: E731
                                    b.sum(axis=axes_b) if axes_b else b)
    return kernel, True


def _result_order(sa: str, sb: str, so: str) -> list:
    """The axes a dot of ``a`` by ``b`` produces: batch, then a's free axes, then b's."""
    return ([c for c in so if c in sa and c in sb] + [c for c in sa if c in so and c not in sb]
            + [c for c in sb if c in so and c not in sa])


def _dot_kernel(sa: str, sb: str, so: str, contracted: list, size: dict) -> Kernel:
    batch = [c for c in so if c in sa and c in sb]
    fa = [c for c in sa if c in so and c not in sb]
    fb = [c for c in sb if c in so and c not in sa]
    made = batch + fa + fb
    shape = tuple(size[c] for c in made)
    back = [made.index(c) for c in so]
    unpermute = _identity if _identity_perm(back) else (lambda r: r.transpose(back))
    if batch:
        if all(size[c] == 1 for c in fa) or all(size[c] == 1 for c in fb):
            eq = ascii_equation(f"{sa},{sb}->{so}")  # many matrix–vector products: einsum's loop
            return lambda a, b: np.einsum(eq, a, b)
        nb = int(np.prod([size[c] for c in batch]))
        na = int(np.prod([size[c] for c in fa]))
        nk = int(np.prod([size[c] for c in contracted]))
        nf = int(np.prod([size[c] for c in fb]))
        pa = [sa.index(c) for c in batch + fa + contracted]
        pb = [sb.index(c) for c in batch + contracted + fb]
        return lambda a, b: unpermute(np.matmul(a.transpose(pa).reshape(nb, na, nk),
                                                b.transpose(pb).reshape(nb, nk, nf)).reshape(shape))
    if len(contracted) == 1 and len(fa) <= 1 and len(fb) <= 1 and (fa or fb):
        # a matrix or vector each: np.dot takes them as they are (a transposed operand as its
        # .T view) and returns the result's shape; no reshape on either side
        ta = "".join(fa + contracted) != sa
        tb = "".join(contracted + fb) != sb
        if unpermute is not _identity:
            return lambda a, b: unpermute(np.dot(a.T if ta else a, b.T if tb else b))
        if ta and tb:
            return lambda a, b: np.dot(a.T, b.T)
        if ta:
            return lambda a, b: np.dot(a.T, b)
        if tb:
            return lambda a, b: np.dot(a, b.T)
        return np.dot
    ma = _matrix(sa, fa, contracted, size)
    mb = _matrix(sb, contracted, fb, size)
    return lambda a, b: unpermute(np.dot(ma(a), mb(b)).reshape(shape))


def unary_kernel(sa: str, so: str) -> tuple[Kernel, bool]:
    """``einsum(f"{sa}->{so}", a)``: nothing, a transposed view, or a reduction."""
    if sa == so:
        return (lambda a: a), False
    if sorted(sa) == sorted(so) and len(set(sa)) == len(sa):
        perm = [sa.index(c) for c in so]
        return (lambda a: a.transpose(perm)), False
    eq = ascii_equation(f"{sa}->{so}")
    return (lambda a: np.einsum(eq, a)), False  # may be a view (a diagonal): never written to


def path_kernel(contraction_list: list, size: dict) -> tuple[Kernel, bool]:
    """One function of all operands running the planned pairwise steps in order.

    ``contraction_list`` is opt_einsum's: per step the operand positions to pop (descending) and
    the step's einsum string; the step's result is appended to the operand list.
    """
    steps = []
    fresh_last = False
    for entry in contraction_list:
        positions, eq = entry[0], entry[2]
        inputs, out = eq.split("->")
        subs = inputs.split(",")
        if len(subs) == 2:
            kernel, fresh_last = pair_kernel(subs[0], subs[1], out, size)
        else:
            kernel, fresh = unary_kernel(subs[0], out)
            fresh_last = fresh_last and fresh
        steps.append((tuple(positions), kernel))
    if len(steps) == 1 and steps[0][0] in ((1, 0), (0, 1)):
        # the common case, one pairwise product: the kernel itself, its subscripts in operand
        # order (opt_einsum pops position 1 first), so no wrapper reorders the operands
        subs, out = contraction_list[0][2].split("->")
        first, second = subs.split(",")
        if steps[0][0] == (1, 0):
            first, second = second, first
        return pair_kernel(first, second, out, size)
    return straight_path(steps), fresh_last


def straight_path(steps: list) -> Kernel:
    """The steps written out as one function: each operand and intermediate a local variable,
    released (``del``) once read (opt_einsum's list of positions, replayed once here)."""
    params = [f"o{i}" for i in range(_operand_count(steps))]
    live = list(params)
    scope: dict = {}
    body = []
    for k, (positions, kernel) in enumerate(steps):
        args = [live.pop(p) for p in positions]
        scope[f"k{k}"] = kernel
        body.append(f"t{k} = k{k}({', '.join(args)})")
        body.append(f"del {', '.join(args)}")
        live.append(f"t{k}")
    body.append(f"return {live[0]}")
    return build_function("path", params, body, scope)


def _operand_count(steps: list) -> int:
    """How many operands the path starts from: each step pops its positions, pushes one."""
    return 1 + sum(len(p) - 1 for p, _ in steps)
