"""Work counted, not timed: the number of Python and built-in function calls a step makes.

Tests of growth (linear in depth, refusal before work) compare these counts: they are the same on
a loaded machine and a quiet one, and an algorithm gone quadratic multiplies them.
"""

from __future__ import annotations

import cProfile
from typing import Any, Callable


def calls(step: Callable[[], Any]) -> tuple[int, Any]:
    """``(function calls made by step(), its result)``, counted by ``cProfile``.

    Examples:
        >>> n, out = calls(lambda: sorted(range(3)))
        >>> out, n >= 2
        ([0, 1, 2], True)
    """
    profile = cProfile.Profile()
    profile.enable()
    try:
        out = step()
    finally:
        profile.disable()
    return sum(entry.callcount for entry in profile.getstats()), out
