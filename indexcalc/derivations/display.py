"""What ``ic.explain`` prints: each formula rewritten for reading, with one name per quantity.

An explanation names its intermediates (``z1``, ``h``, ``ŷ``) and its earlier results
(``dJ/dz2``); every formula it prints — local derivative, chain, step result, final result, their
matrix forms — is first rewritten by :func:`for_display`:

* an intermediate becomes a leaf that prints by its name (the printers never walk into it, so a
  step costs the size of its own formula, not of the graph below it: ``explain`` stays linear in
  the depth of the graph);
* a derivative that the rule table writes through a *named* value is written so
  (``σ'(z1)`` is ``h∘(1 − h)`` where ``h = σ(z1)`` is named, as the matrix forms write it), so that
  index lines and matrix lines use the same names.

The rewrite keeps values: a leaf stands for the node it replaces. Only the printed text uses it;
``Step.result`` and ``Derivation.result`` stay the exact expressions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping

from collections import Counter

from ..core.algebra import product, size_factors
from ..core.elementwise import rule
from ..core.graph_walk import postorder, transform
from ..core.nodes import Apply, Expr, Named, Product, Sum, Tensor
from ..core.rebuild import REBUILD


def placeholder(name: str, shape: tuple, k: int) -> Named:
    """A leaf printed as ``name``: a named stand-in tensor (``name`` need not be an identifier,
    so ``dJ/dz2`` can be one)."""
    return Named(name, Tensor(f"_explained_{k}", shape))


def by_value_table(named: Mapping[Expr, Expr]) -> dict:
    """``(id(a), fn) -> leaf`` for each named ``leaf = fn(a)``: where the rule table writes a
    derivative ``f'(a)`` through ``fn(a)``'s value (``σ'`` by ``σ``), the display uses the leaf."""
    table = {}
    for node, leaf in named.items():
        inner = node.arg if isinstance(node, Named) else node
        if isinstance(inner, Apply):
            table[(id(inner.arg), inner.fn)] = leaf
    return table


def _raw_rebuild(node: Expr, done: Callable) -> Expr:
    """``node`` with its children replaced, *not* simplified for products and sums (a chain is
    shown before its deltas collapse)."""
    if isinstance(node, Product):
        return Product(node.coef, tuple((done(f), ls) for f, ls in node.factors), node.out,
                       node.dims)
    if isinstance(node, Sum):
        return Sum(tuple((c, done(t)) for c, t in node.terms), node.shape)
    return REBUILD[type(node)](node, done)


def for_display(e: Expr, leaves: Mapping[int, Expr], by_value: Mapping) -> Expr:
    """``e`` with every node in ``leaves`` (by id) replaced by its leaf, and each ``f'(a)`` with a
    named ``g(a)`` in ``by_value`` written through it. Named nodes are kept as they are."""
    def kids(n: Expr) -> tuple:
        return () if id(n) in leaves or isinstance(n, Named) else n.children()

    done: dict[int, Expr] = {}
    for n in postorder([e], kids):
        if id(n) in leaves:
            done[id(n)] = leaves[id(n)]
            continue
        if isinstance(n, Named):
            done[id(n)] = n
            continue
        if isinstance(n, Apply):
            row = rule(n.fn).by_value
            if row and (id(n.arg), row[0]) in by_value:
                done[id(n)] = row[1](by_value[(id(n.arg), row[0])])
                continue
        if all(done[id(c)] is c for c in n.children()):
            done[id(n)] = n
        else:
            done[id(n)] = _raw_rebuild(n, lambda c: done[id(c)])
    return _one_term(done[id(e)])


def _one_term(e: Expr) -> Expr:
    """``c·p`` for a sum of one product term ``p`` is the product with coefficient ``c·p.coef``
    (index notation printed the sum ``0.5·1[n]`` as ``(0.5 1) 1[n]``)."""
    if isinstance(e, Sum) and len(e.terms) == 1 and isinstance(e.terms[0][1], Product):
        c, p = e.terms[0]
        return Product(c * p.coef, p.factors, p.out, p.dims)
    return e


def assume_normalized(e: Expr, names: frozenset, used: set | None = None) -> Expr:
    """``e`` with every sum ``Σ_i y[i]`` of a vector declared normalized (``normalized=["y"]``)
    written as 1, as the matrix forms write it (``ŷ − y``, not ``−y + Σ y ŷ``), so that index and
    matrix lines agree; the explanation prints the assumption (the names it used are added to
    ``used``). Other nodes are kept as they are.

    Examples:
        >>> import indexcalc as ic
        >>> y, p = ic.tensors("y[n] p[n]")
        >>> print(assume_normalized(ic.sum(y) * p - y, frozenset({"y"})))
        p[n] - y[n]
    """
    if not names:
        return e

    def rule_(node: Expr, done: Callable) -> Expr:
        if all(done(c) is c for c in node.children()) and not isinstance(node, Product):
            return node
        if not isinstance(node, Product):
            return REBUILD[type(node)](node, done)
        factors = [(done(f), ls) for f, ls in node.factors]
        uses = Counter(l for _, ls in factors for l in ls)
        dims = dict(enumerate(node.dims))
        kept = []
        for f, ls in factors:
            if isinstance(f, Tensor) and f.name in names and f.ndim == 1 \
                    and ls[0] not in node.out and uses[ls[0]] == 1:
                dims.pop(ls[0])  # Σ_i y[i] = 1: the factor and its summed index go
                if used is not None:
                    used.add(f.name)
            else:
                kept.append((f, ls))
        if len(kept) == len(factors) and all(f is g for (f, _), (g, _) in zip(kept, node.factors)):
            return node
        return product(kept + size_factors(node), node.out, dims, node.coef)

    return transform(e, rule_)


class Without(Mapping):
    """``base`` less ``keys``, without copying it: an explanation defines each of its many
    intermediates by the leaves of all the others, and a copy per definition made that quadratic."""

    def __init__(self, base: Mapping, *keys):
        self._base, self._keys = base, frozenset(keys)

    def __getitem__(self, key):
        if key in self._keys:
            raise KeyError(key)
        return self._base[key]

    def __contains__(self, key) -> bool:
        return key not in self._keys and key in self._base

    def __iter__(self) -> Iterator:
        return (k for k in self._base if k not in self._keys)

    def __len__(self) -> int:
        return sum(1 for _ in self)


#: Where a ``\mathrm{…}`` name starts, found at every position (a name may begin inside another).
_MATHRM = re.compile(r"(?=(\\mathrm\{[^}]*\}))")


class LatexNames:
    r"""How the matrix printer's names (``\mathrm{z1}``) are written in an explanation
    (``z_{1}``): a table that grows by one name per step, and the rewrite of a formula by it.

    The rewrite replaces names longest first, as a plain loop over the table did, but only the
    names that can occur (those the formula holds, and those their replacements hold): its cost is
    the formula's length, not the table's, so a deep graph's explanation stays linear.

    Examples:
        >>> t = LatexNames({"\\mathrm{z1}": "z_{1}"})
        >>> t.add("\\mathrm{df/dz1}", "\\mathrm{d} f")
        >>> t.rewrite("\\mathrm{z1} + \\mathrm{df/dz1} + \\mathrm{z12}")
        '{z_{1}} + {\\mathrm{d} f} + \\mathrm{z12}'
    """

    def __init__(self, fixed: Mapping[str, str]):
        self._fixed = dict(fixed)  # the intermediates' own names: no later name overrides them
        self._table: dict[str, str] = {}
        self._by_head: dict[str, list[str]] = {}  # "\mathrm{…}" -> the names that start so
        self._headless: list[str] = []  # names with no closing brace, tried in every rewrite
        self._rank: dict[str, int] = {}
        for plain, latex in self._fixed.items():
            self._put(plain, latex)

    def add(self, plain: str, latex: str) -> None:
        """Write ``plain`` as ``latex`` (unless it is an intermediate's name, which stays)."""
        if plain not in self._fixed:
            self._put(plain, latex)

    def _put(self, plain: str, latex: str) -> None:
        if plain not in self._table and plain.startswith("\\mathrm{"):
            head = _MATHRM.match(plain)
            if head:
                self._by_head.setdefault(head.group(1), []).append(plain)
            else:  # no closing brace: no head to find it by, so always tried
                self._headless.append(plain)
            self._rank[plain] = len(self._rank)  # ties in length: replaced in table order
        self._table[plain] = latex

    def rewrite(self, latex: str) -> str:
        """``latex`` with every name in the table replaced by ``{its LaTeX}``."""
        chosen: dict[str, str] = {}
        heads = set(_MATHRM.findall(latex))
        looked: set[str] = set()

        def choose(names) -> None:
            for plain in names:
                if plain not in chosen and plain != self._table[plain]:
                    chosen[plain] = "{" + self._table[plain] + "}"
                    heads.update(set(_MATHRM.findall(chosen[plain])) - looked)

        choose(self._headless)
        while heads:
            head = heads.pop()
            looked.add(head)
            choose(self._by_head.get(head, ()))
        for plain in sorted(chosen, key=lambda p: (-len(p), self._rank[p])):
            latex = latex.replace(plain, chosen[plain])
        return latex
