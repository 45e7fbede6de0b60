"""Plans and programs shared by every compiled object of the same expression and sizes.

Nodes are interned, so an expression built twice while the first is alive is the very same
object: ``ic.compile`` of a new but equal expression finds the program an earlier compile of it
built (research code compiles inside loops). The cache is keyed by that node and everything a
program depends on (sizes, dtype, backend, path search, memory limit), holds at most
:data:`SHARED_SIZE` entries (least recently used dropped first) and is safe to use from many
threads: a lock guards the table, never the building, so two threads that miss at once may
each build, and the first stored wins.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable

#: Most entries the shared cache holds (plans and programs together).
SHARED_SIZE = 256


class SharedCache:
    """A bounded, thread-safe LRU table: ``get_or_build(key, build)``.

    Examples:
        >>> cache = SharedCache(2)
        >>> cache.get_or_build("a", lambda: 1), cache.get_or_build("a", lambda: 2)
        (1, 1)
        >>> _ = cache.get_or_build("b", lambda: 3), cache.get_or_build("c", lambda: 4)
        >>> "a" in cache, len(cache)
        (False, 2)
    """

    def __init__(self, size: int):
        self.size = size
        self._table: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._table)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._table

    def get_or_build(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """The value stored under ``key``, or ``build()`` stored there (outside the lock)."""
        with self._lock:
            if key in self._table:
                self._table.move_to_end(key)
                return self._table[key]
        value = build()
        with self._lock:
            value = self._table.setdefault(key, value)
            self._table.move_to_end(key)
            while len(self._table) > self.size:
                self._table.popitem(last=False)
        return value

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._table.clear()


#: The one cache of :class:`indexcalc.evaluation.compiled.Compiled` objects' plans and programs.
SHARED = SharedCache(SHARED_SIZE)


def optimize_key(optimize: Any) -> Hashable:
    """``optimize`` as part of a key: a search's name, an explicit path as text, or the
    optimizer object itself (hashable by identity; the key keeps it alive).

    Examples:
        >>> optimize_key("auto"), optimize_key([(0, 1)])
        ('auto', 'path [(0, 1)]')
    """
    if isinstance(optimize, str):
        return optimize
    if isinstance(optimize, (list, tuple)):
        return f"path {list(map(tuple, optimize))!r}"
    return optimize
