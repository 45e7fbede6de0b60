"""The memory guard: refuse, before allocating, a program whose largest array is too big.

A derivative tensor grows with the product of its dimensions (``∂(XW)/∂W`` at n = d = h = 2000 is
16·10¹² numbers); evaluating it would swap or be killed long after the call started. Programs
estimate every array they will create from their plans and compare the largest with a limit:
by default half of the physical memory, settable globally (:func:`set_memory_limit`) or per
program (``ic.compile(expr, memory_limit=...)``).
"""

from __future__ import annotations

import math
import os
from typing import Any, Iterable

from ..errors import IndexcalcError

#: Fraction of the physical memory one array may take by default.
DEFAULT_FRACTION = 0.5
#: Assumed physical memory where the operating system does not say (8 GiB).
FALLBACK_MEMORY = 8 * 2**30

#: The limit ``float("inf")`` stands for (larger than any array's size in bytes).
NO_LIMIT = 2**80

_limit: int | None = None  # None: the default fraction of physical memory


def physical_memory() -> int:
    """Bytes of physical memory (``os.sysconf`` on Linux and macOS; 8 GiB where unknown)."""
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return FALLBACK_MEMORY
    return pages * size if pages > 0 and size > 0 else FALLBACK_MEMORY


_UNSET = object()


class _LimitScope:
    """``with ic.memory_limit(bytes):`` sets the global limit on entry and restores it on exit."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.previous: list = []

    def __enter__(self) -> int:
        self.previous.append(set_memory_limit(self.limit))
        return memory_limit()

    def __exit__(self, *exc: Any) -> None:
        global _limit
        _limit = self.previous.pop()


def memory_limit(limit: Any = _UNSET) -> Any:
    """The global limit in bytes on the largest array an evaluation may create.

    With an argument, a context manager that sets the limit (``None``: the default) for the
    ``with`` block and restores the previous one after it.

    Examples:
        >>> import indexcalc as ic
        >>> ic.memory_limit() > 0
        True
        >>> with ic.memory_limit(10**6):
        ...     ic.memory_limit()
        1000000
        >>> ic.memory_limit() == 10**6
        False
    """
    if limit is not _UNSET:
        _checked(limit, "memory_limit")
        return _LimitScope(limit)
    return _limit if _limit is not None else int(physical_memory() * DEFAULT_FRACTION)


def set_memory_limit(limit: int | None) -> int | None:
    """Set the global limit in bytes (``None``: back to half the physical memory).

    Returns the previous setting (``None`` for the default), so a caller can restore it.

    Examples:
        >>> import indexcalc as ic
        >>> previous = ic.set_memory_limit(10**9)
        >>> ic.memory_limit()
        1000000000
        >>> _ = ic.set_memory_limit(previous)
    """
    global _limit
    previous = _limit
    _limit = _checked(limit, "set_memory_limit")
    return previous


def _checked(limit, where: str) -> int | None:
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, (int, float)) or not limit > 0:
        raise IndexcalcError(f"{where}: the memory limit must be a positive number of bytes "
                             f"(or None for the default), got {limit!r}")
    if isinstance(limit, float) and math.isinf(limit):
        return NO_LIMIT  # float("inf"): no limit
    return int(limit)


def format_bytes(n: float) -> str:
    """``n`` bytes in decimal units: ``'128 TB'``, ``'1.5 GB'``."""
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{int(n)} B"


def guard(arrays: Iterable[tuple[Any, tuple, int]], limit: int | None) -> None:
    """Raise if the largest of ``arrays`` — ``(what, shape, itemsize)`` — exceeds the limit.

    ``what`` describes the array, or is a function returning the description (rendering an
    expression costs time; only the offending array's is ever needed).

    Raises:
        IndexcalcError: naming the array, its shape and size, and what to do instead.
    """
    limit = memory_limit() if limit is None else limit
    worst, worst_bytes = None, 0
    for what, shape, itemsize in arrays:
        n = itemsize
        for s in shape:
            n *= s
        if n > worst_bytes:
            worst, worst_bytes = (what, shape), n
    if worst is None or worst_bytes <= limit:
        return
    what, shape = worst
    what = what() if callable(what) else what
    raise IndexcalcError(
        f"evaluating would create an array of shape {tuple(shape)} ({format_bytes(worst_bytes)}) "
        f"for {what}, past the memory limit of {format_bytes(limit)}. Contract it with what it "
        "multiplies instead: ic.vjp / ic.jvp never form the full derivative; ic.to_kron shows its "
        "structure (I ⊗ X, diag) without numbers; or evaluate a smaller problem. To allow it, "
        "raise the limit: ic.set_memory_limit(bytes) or ic.compile(expr, memory_limit=bytes)")
