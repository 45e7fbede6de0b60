"""Random expression graphs with a NumPy twin; their checks are ``tests/fuzz_checks.py``.

Shared by ``tests/test_calculus_fuzz.py`` (a fast seeded batch in the suite) and
``benchmarks/fuzz_batch.py`` (the large batch, run on demand). Not a test module itself.

``build(rng)`` grows a DAG over a few variables (dimensions of distinct sizes 3, 4, 5) by applying
random operations to random members of a pool (so subgraphs are shared): arithmetic, einsum,
elementwise and matrix functions, reductions, and the structure nodes (slices ``x[1:]``,
``x[::-1]``, ints, ``None``, ``...``; ``stack``, ``concatenate``, ``tril``/``triu``, ``where``).
Alongside every expression it builds an independent NumPy function computing the same value.
``check_stages`` runs the expression through the later stages: ``simplify`` (value unchanged),
``to_python`` (the generated source, executed, equals ``evaluate``), ``to_latex`` (well formed,
``tests/_latex.py``) and ``str``, and so does the gradient of a scalarization of it (which holds
the scatters and sliced deltas only derivatives build). ``check_all`` then checks, in float64:

* the value against the NumPy twin;
* ``diff(f, x)`` for every variable against central differences of the twin;
* ``grad`` of a scalarized ``f`` (``Σ C∘f``), and the adjoint identity ⟨u, J v⟩ = ⟨Jᵀ u, v⟩ of
  ``jvp``/``vjp`` (both also against a directional finite difference);
* second order: ``hessian`` of the scalarized ``f`` and ``diff(diff(f, x), y)``, against central
  differences of the (already checked) first derivative.

The graph checker (``tests/graph_check.py``) runs on the expression and after every ``diff``,
``grad``, ``hessian`` and ``simplify``. A failure is a :class:`Finding` naming the seed, the check
and the expression.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Callable

import numpy as np

import indexcalc as ic
from indexcalc.core.dims import dim_size, dims_equal
from indexcalc.core.graph_walk import postorder

#: Distinct sizes, so that a transposed or misplaced axis changes a shape instead of hiding.
SIZES = {"a": 3, "b": 4, "c": 5}
VARIABLES = {"x": ("a",), "y": ("b",), "A": ("a", "b"), "B": ("b", "c"), "S": ("a", "a"),
             "s": ()}
#: Whether the current build uses dimension names (bound at evaluation) or ints.
_MODE = {"named": True}
#: Largest magnitude a generated value may reach (larger ones are rejected, not failures).
BOUND = 1e3


@dataclass(frozen=True)
class Node:
    """An expression and a NumPy function of the variables' values computing the same thing."""

    expr: ic.Expr
    ref: Callable[[dict], np.ndarray]
    what: str


@dataclass(frozen=True)
class Finding:
    seed: int
    check: str
    detail: str
    expr: str

    def __str__(self) -> str:
        return f"seed {self.seed}: {self.check}: {self.detail}\n  f = {self.expr}"


def shape_of(e: ic.Expr) -> tuple[int, ...]:
    return tuple(dim_size(d, SIZES) for d in e.shape)


def variable(name: str) -> ic.Tensor:
    """The variable ``name`` with named or int dimensions, per the current mode."""
    shape = VARIABLES[name]
    return ic.Tensor(name, shape if _MODE["named"] else tuple(SIZES[d] for d in shape))


def values(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Base values: entries of moderate size, away from 0 so kinks are not straddled."""
    out = {}
    for name, shape in VARIABLES.items():
        v = rng.uniform(0.3, 1.2, size=tuple(SIZES[d] for d in shape)) * rng.choice([-1, 1], size=tuple(SIZES[d] for d in shape))
        out[name] = np.asarray(v, dtype=np.float64)
    return out


# --------------------------------------------------------------------------- operations
# op(rng, pool) -> Node or None (None: no operand in the pool fits)

def _pick(rng, pool, pred=lambda n: True):
    """A pool member that fits, mostly one of the newest (so graphs grow deep, not just wide)."""
    fits = [n for n in pool if pred(n)]
    if not fits:
        return None
    if rng.random() < 0.7:
        fits = fits[-3:]
    return fits[rng.integers(len(fits))]


def _positive(n: Node) -> Node:
    """``n∘n + 0.5``: a positive argument for log, sqrt and fractional powers."""
    return Node(n.expr * n.expr + 0.5, lambda v, r=n.ref: r(v) * r(v) + 0.5, f"({n.what})²+½")


ELEMENTWISE = {
    "exp": (ic.exp, np.exp, False), "log": (ic.log, np.log, True),
    "tanh": (ic.tanh, np.tanh, False),
    "sigmoid": (ic.sigmoid, lambda a: 1 / (1 + np.exp(-a)), False),
    "softplus": (ic.softplus, lambda a: np.log1p(np.exp(a)), False),
    "relu": (ic.relu, lambda a: np.maximum(a, 0), False), "sin": (ic.sin, np.sin, False),
    "cos": (ic.cos, np.cos, False), "sqrt": (ic.sqrt, np.sqrt, True),
    "square": (ic.square, np.square, False), "abs": (ic.abs, np.abs, False),
}


def op_elementwise(rng, pool):
    name = list(ELEMENTWISE)[rng.integers(len(ELEMENTWISE))]
    fn, ref, positive = ELEMENTWISE[name]
    n = _pick(rng, pool)
    if positive:
        n = _positive(n)
    return Node(fn(n.expr), lambda v: ref(n.ref(v)), f"{name}({n.what})")


def op_power(rng, pool):
    p = [2, 3, -1, 0.5, 1.5, -2][rng.integers(6)]
    n = _pick(rng, pool)
    if p != int(p) or p < 0:
        n = _positive(n)
    return Node(n.expr ** p, lambda v: n.ref(v) ** p, f"({n.what})**{p}")


def _broadcastable(s, t) -> bool:
    return all(a == b for a, b in zip(reversed(s), reversed(t)))


ARITH = {"+": (lambda a, b: a + b), "-": (lambda a, b: a - b), "*": (lambda a, b: a * b)}


def op_arith(rng, pool):
    a = _pick(rng, pool)
    kind = rng.integers(4)
    sym = list(ARITH) [rng.integers(3)]
    f = ARITH[sym]
    if kind == 0:  # a NumPy array (a suffix of a's shape, size-1 axes for names) on either side
        k = rng.integers(len(a.expr.shape) + 1)
        if _MODE["named"]:
            k = 0
        c = rng.normal(size=shape_of(a.expr)[len(a.expr.shape) - k:])
        if rng.integers(2):
            return Node(f(c, a.expr), lambda v: f(c, a.ref(v)), f"C{c.shape}{sym}{a.what}")
        return Node(f(a.expr, c), lambda v: f(a.ref(v), c), f"{a.what}{sym}C{c.shape}")
    if kind == 1:  # a Python number
        c = float(rng.normal())
        return Node(f(c, a.expr), lambda v: f(c, a.ref(v)), f"{c:.3g}{sym}{a.what}")
    if kind == 2:  # division by a positive expression
        b = _positive(_pick(rng, pool, lambda n: _broadcastable(n.expr.shape, a.expr.shape)))
        return Node(a.expr / b.expr, lambda v: a.ref(v) / b.ref(v), f"{a.what}/{b.what}")
    b = _pick(rng, pool, lambda n: _broadcastable(n.expr.shape, a.expr.shape))
    return Node(f(a.expr, b.expr), lambda v: f(a.ref(v), b.ref(v)), f"({a.what}{sym}{b.what})")


def op_matmul(rng, pool):
    a = _pick(rng, pool, lambda n: n.expr.ndim in (1, 2))
    if a is None:
        return None
    b = _pick(rng, pool, lambda n: n.expr.ndim in (1, 2) and n.expr.shape[0] == a.expr.shape[-1])
    if b is None:
        return None
    return Node(a.expr @ b.expr, lambda v: a.ref(v) @ b.ref(v), f"({a.what}@{b.what})")


def op_transpose(rng, pool):
    a = _pick(rng, pool, lambda n: n.expr.ndim >= 2)
    if a is None:
        return None
    perm = tuple(int(i) for i in rng.permutation(a.expr.ndim))
    if rng.integers(2):
        return Node(a.expr.T, lambda v: a.ref(v).T, f"{a.what}.T")
    return Node(a.expr.transpose(*perm), lambda v: a.ref(v).transpose(perm), f"{a.what}.transpose{perm}")


def op_reduce(rng, pool):
    a = _pick(rng, pool, lambda n: n.expr.ndim >= 1)
    if a is None:
        return None
    axis = int(rng.integers(-a.expr.ndim, a.expr.ndim))
    kind = rng.integers(5)
    if kind == 0:
        ax = None if rng.integers(2) else axis
        return Node(ic.sum(a.expr, ax), lambda v: np.sum(a.ref(v), axis=ax), f"sum({a.what},{ax})")
    if kind == 1:
        return Node(ic.softmax(a.expr, axis), lambda v: _np_softmax(a.ref(v), axis),
                    f"softmax({a.what},{axis})")
    if kind == 2:
        return Node(ic.log_softmax(a.expr, axis),
                    lambda v: np.log(_np_softmax(a.ref(v), axis)), f"log_softmax({a.what},{axis})")
    if kind == 3:
        ax = None if rng.integers(2) else axis
        return Node(ic.logsumexp(a.expr, ax), lambda v: _np_lse(a.ref(v), ax),
                    f"logsumexp({a.what},{ax})")
    return Node(ic.norm(a.expr), lambda v: np.sqrt(np.sum(a.ref(v) ** 2)), f"norm({a.what})")


def _np_softmax(a, axis):
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _np_lse(a, axis):
    return np.log(np.sum(np.exp(a), axis=axis))


def _well_conditioned(rng, pool):
    """``3 I + ½ tanh(M)`` for a square ``M`` of the pool: eigenvalues within [2.5, 3.5]·…"""
    m = _pick(rng, pool, lambda n: n.expr.ndim == 2 and n.expr.shape[0] == n.expr.shape[1])
    if m is None:
        return None
    n = shape_of(m.expr)[0]
    e = ic.eye(m.expr.shape[0]) * 3.0 + 0.4 * ic.tanh(m.expr)
    return Node(e, lambda v: 3.0 * np.eye(n) + 0.4 * np.tanh(m.ref(v)), f"(3I+.4tanh({m.what}))")


def op_matrix_function(rng, pool):
    m = _well_conditioned(rng, pool)
    if m is None:
        return None
    kind = rng.integers(3)
    if kind == 0:
        return Node(ic.inv(m.expr), lambda v: np.linalg.inv(m.ref(v)), f"inv{m.what}")
    if kind == 1:
        return Node(ic.det(m.expr), lambda v: np.linalg.det(m.ref(v)), f"det{m.what}")
    return Node(ic.logdet(m.expr), lambda v: np.linalg.slogdet(m.ref(v))[1], f"logdet{m.what}")


def op_structure(rng, pool):
    kind = rng.integers(5)
    if kind == 0:
        m = _pick(rng, pool, lambda n: n.expr.ndim == 2 and n.expr.shape[0] == n.expr.shape[1])
        if m is None:
            return None
        if rng.integers(2):
            return Node(ic.trace(m.expr), lambda v: np.trace(m.ref(v)), f"tr({m.what})")
        return Node(ic.diagonal(m.expr), lambda v: np.diagonal(m.ref(v)).copy(), f"diagonal({m.what})")
    if kind == 1:
        u = _pick(rng, pool, lambda n: n.expr.ndim == 1)
        if u is None:
            return None
        return Node(ic.diag(u.expr), lambda v: np.diag(u.ref(v)), f"diag({u.what})")
    if kind == 2:
        u = _pick(rng, pool, lambda n: n.expr.ndim <= 1)
        w = _pick(rng, pool, lambda n: n.expr.ndim <= 2)
        return Node(ic.outer(u.expr, w.expr), lambda v: np.multiply.outer(u.ref(v), w.ref(v)),
                    f"outer({u.what},{w.what})")
    if kind == 3:
        a = _pick(rng, pool, lambda n: n.expr.ndim == 2)
        b = _pick(rng, pool, lambda n: n.expr.ndim == 2)
        if a is None:
            return None
        return Node(ic.kron(a.expr, b.expr), lambda v: np.kron(a.ref(v), b.ref(v)),
                    f"kron({a.what},{b.what})")
    a = _pick(rng, pool, lambda n: n.expr.ndim >= 1)
    if a is None:
        return None
    shp = shape_of(a.expr)
    size = int(np.prod(shp))
    choices = [(-1,), (size,)] + [(d, -1) for d in (2, 3, 4) if size % d == 0 and size > d]
    if _MODE["named"]:
        choices = [(-1,)]
    new = choices[rng.integers(len(choices))]
    return Node(a.expr.reshape(*new), lambda v: a.ref(v).reshape(new), f"{a.what}.reshape{new}")


def op_einsum(rng, pool):
    """A random einsum: 1-3 operands, letters shared by equal dimensions (traces, diagonals)."""
    k = int(rng.integers(1, 4))
    ops = [_pick(rng, pool, lambda n: n.expr.ndim <= 3) for _ in range(k)]
    letters = iter(string.ascii_lowercase)
    by_dim: dict = {}
    terms = []
    for o in ops:
        term = ""
        for d in o.expr.shape:
            have = by_dim.setdefault(d, [])
            if have and rng.random() < 0.45:
                term += have[rng.integers(len(have))]
            else:
                have.append(next(letters))
                term += have[-1]
        terms.append(term)
    used = sorted(set("".join(terms)))
    if rng.integers(3) == 0:
        subs = ",".join(terms)
    else:
        out = [c for c in rng.permutation(used) if rng.random() < 0.6]
        subs = ",".join(terms) + "->" + "".join(out)
    if k == 1 and len(terms[0]) >= 1 and "->" in subs and rng.integers(3) == 0:
        # an ellipsis over the leading axes, kept in front of the output
        lead = int(rng.integers(1, len(terms[0]) + 1))
        body, out = terms[0][lead:], subs.split("->")[1]
        out = "".join(c for c in out if c in body)
        subs = "..." + body + "->..." + out
    exprs = [o.expr for o in ops]
    return Node(ic.einsum(subs, *exprs), lambda v: np.einsum(subs, *[o.ref(v) for o in ops]),
                f"einsum({subs!r},{','.join(o.what for o in ops)})")


def op_unary(rng, pool):
    """The other spellings: unary minus, a number to a tensor power, function forms."""
    a = _pick(rng, pool)
    kind = rng.integers(4)
    if kind == 0:
        return Node(-a.expr, lambda v: -a.ref(v), f"-{a.what}")
    if kind == 1:
        return Node(1.5 ** a.expr, lambda v: 1.5 ** a.ref(v), f"1.5**{a.what}")
    if kind == 2 and a.expr.ndim == 2:
        return Node(ic.transpose(a.expr), lambda v: a.ref(v).T, f"transpose({a.what})")
    if a.expr.ndim:
        return Node(a.expr.sum(0), lambda v: a.ref(v).sum(0), f"{a.what}.sum(0)")
    return Node(ic.let("hl", a.expr), a.ref, f"[hl:={a.what}]")


def op_named(rng, pool):
    a = _pick(rng, pool)
    name = f"h{rng.integers(100)}"
    return Node(a.expr.named(name), a.ref, f"[{name}:={a.what}]")


def _index_item(rng, d, size: int):
    """One random basic index for an axis of dimension ``d`` (a named one takes only the forms
    whose length does not depend on the bound size: ``:``, ``::-1``, an int, ``a:b``)."""
    if size == 0:  # an empty axis (an empty slice further down): only slices fit
        return [slice(None), slice(None, None, -1), slice(1, None)][rng.integers(3)]
    a = int(rng.integers(0, size))
    b = int(rng.integers(a + 1, size + 1))
    forms = {"full": slice(None), "reversed": slice(None, None, -1), "int": a,
             "range": slice(a, b)}
    if isinstance(d, int):
        forms.update({"from 1": slice(1, None), "negative int": a - size,
                      "every other": slice(None, None, 2), "reversed from -2": slice(-2, None, -1)})
    return list(forms.values())[rng.integers(len(forms))]


def _format_index(idx: tuple) -> str:
    def one(it):
        if it is None or it is Ellipsis:
            return {None: "None", Ellipsis: "..."}[it]
        if isinstance(it, slice):
            return ":".join("" if v is None else str(v) for v in (it.start, it.stop, it.step)).rstrip(":") or ":"
        return str(it)
    return ", ".join(map(one, idx))


def op_index(rng, pool):
    """``x[idx]``: slices (``1:``, ``::-1``, ``a:b``, …), ints, ``None`` and ``...``."""
    a = _pick(rng, pool, lambda n: n.expr.ndim >= 1)
    if a is None:
        return None
    items = [_index_item(rng, d, n) for d, n in zip(a.expr.shape, shape_of(a.expr))]
    if rng.random() < 0.3:
        items.insert(int(rng.integers(len(items) + 1)), None)
    if rng.random() < 0.2 and isinstance(items[-1], slice) and items[-1] == slice(None):
        items[-1] = Ellipsis
    idx = tuple(items)
    return Node(a.expr[idx], lambda v: np.asarray(a.ref(v))[idx].copy(),
                f"{a.what}[{_format_index(idx)}]")


def _same_shape(s, t) -> bool:
    return len(s) == len(t) and all(map(dims_equal, s, t))


def op_stack(rng, pool):
    a = _pick(rng, pool)
    parts = [a] + [_pick(rng, pool, lambda n: _same_shape(n.expr.shape, a.expr.shape))
                   for _ in range(int(rng.integers(1, 3)))]
    axis = int(rng.integers(-a.expr.ndim - 1, a.expr.ndim + 1))
    return Node(ic.stack([p.expr for p in parts], axis=axis),
                lambda v: np.stack([p.ref(v) for p in parts], axis=axis),
                f"stack([{', '.join(p.what for p in parts)}], {axis})")


def op_concatenate(rng, pool):
    a = _pick(rng, pool, lambda n: n.expr.ndim >= 1)
    if a is None:
        return None
    ax = int(rng.integers(a.expr.ndim))
    d = a.expr.shape[ax]

    def fits(n):
        s = n.expr.shape
        if len(s) != a.expr.ndim or not _same_shape(s[:ax] + s[ax + 1:], a.expr.shape[:ax] + a.expr.shape[ax + 1:]):
            return False
        # ints join ints (sizes add); a name joins only itself (n and n give 2*n)
        return isinstance(s[ax], int) if isinstance(d, int) else dims_equal(s[ax], d)

    parts = [a] + [_pick(rng, pool, fits) for _ in range(int(rng.integers(1, 3)))]
    axis = ax - a.expr.ndim if rng.integers(2) else ax
    return Node(ic.concatenate([p.expr for p in parts], axis=axis),
                lambda v: np.concatenate([p.ref(v) for p in parts], axis=axis),
                f"concatenate([{', '.join(p.what for p in parts)}], {axis})")


def op_triangle(rng, pool):
    a = _pick(rng, pool, lambda n: n.expr.ndim >= 2)
    if a is None:
        return None
    k = int(rng.integers(-1, 2))
    fn, ref = ((ic.tril, np.tril), (ic.triu, np.triu))[rng.integers(2)]
    return Node(fn(a.expr, k), lambda v: ref(a.ref(v), k), f"{fn.__name__}({a.what}, {k})")


def op_where(rng, pool):
    """``where(mask, a, b)`` with a constant mask over a suffix of ``a``'s (int) axes."""
    def int_shape(n):
        return all(isinstance(d, int) for d in n.expr.shape)

    a = _pick(rng, pool, int_shape)
    if a is None:
        return None
    k = int(rng.integers(a.expr.ndim + 1))
    mask = rng.random(size=shape_of(a.expr)[a.expr.ndim - k:]) < 0.5
    if rng.integers(2):
        b = _pick(rng, pool, lambda n: int_shape(n) and n.expr.ndim <= a.expr.ndim
                  and _broadcastable(n.expr.shape, a.expr.shape))
        return Node(ic.where(mask, a.expr, b.expr), lambda v: np.where(mask, a.ref(v), b.ref(v)),
                    f"where(M{mask.shape}, {a.what}, {b.what})")
    c = float(rng.normal())
    return Node(ic.where(mask, a.expr, c), lambda v: np.where(mask, a.ref(v), c),
                f"where(M{mask.shape}, {a.what}, {c:.3g})")


OPS = {
    "elementwise": (op_elementwise, 4), "power": (op_power, 1), "arith": (op_arith, 4),
    "matmul": (op_matmul, 2), "transpose": (op_transpose, 1), "reduce": (op_reduce, 2),
    "matrix_function": (op_matrix_function, 1), "structure": (op_structure, 2),
    "einsum": (op_einsum, 3), "named": (op_named, 1), "unary": (op_unary, 1),
    "index": (op_index, 3), "stack": (op_stack, 1), "concatenate": (op_concatenate, 1),
    "triangle": (op_triangle, 1), "where": (op_where, 1),
}
_NAMES = list(OPS)
_WEIGHTS = np.array([w for _, w in OPS.values()], dtype=float) / sum(w for _, w in OPS.values())


def build(rng: np.random.Generator, steps: int, base: dict) -> tuple[Node, list[str]]:
    """A random expression of about ``steps`` operations and the ops used."""
    pool = [Node(variable(n), lambda v, n=n: v[n], n) for n in VARIABLES]
    used = []
    last = pool[rng.integers(len(pool))]
    tries = 0
    while len(used) < steps and tries < 20 * steps:
        tries += 1
        kind = _NAMES[rng.choice(len(_NAMES), p=_WEIGHTS)]
        node = OPS[kind][0](rng, pool)
        if node is None or int(np.prod(shape_of(node.expr) or (1,))) > 64:
            continue
        try:
            with np.errstate(all="ignore"):
                val = np.asarray(node.ref(base))
        except ValueError:  # the twin of a reduction over an empty axis (x[3:]): not a case
            continue
        if not np.all(np.isfinite(val)) or (val.size and np.max(np.abs(val)) > BOUND):
            continue
        pool.append(node)
        used.append(kind)
    # the largest graph of the pool (the newest one may be a small side branch)
    last = max(pool, key=lambda n: len(postorder([n.expr])))
    return last, used


def case(seed: int, steps: int | None = None) -> tuple[Node, dict, np.random.Generator]:
    """The expression, base values and the generator state for ``seed``."""
    rng = np.random.default_rng(seed)
    base = values(rng)
    steps = int(rng.integers(1, 13)) if steps is None else steps
    _MODE["named"] = bool(rng.integers(2))
    f, _ = build(rng, steps, base)
    return f, base, rng


def run_one(seed: int, steps: int | None = None, second_order: bool = True,
            derivatives: bool = True, stages: bool = True) -> list[Finding]:
    """Build the expression for ``seed`` and check its derivatives and/or its trip through the
    later stages (``check_stages``); any exception is a finding too."""
    from fuzz_checks import check_all, check_stages, gradient_case  # they import this module

    what = "?"
    try:
        f, base, rng = case(seed, steps)
        what = f.what
        bad = check_stages(f, base) if stages else []
        if stages and (grad := gradient_case(f, base, rng)) is not None:
            bad += [(f"{grad[0].what}: {c}", d) for c, d in check_stages(*grad)]
        if derivatives:
            bad += check_all(f, base, rng, second_order)
        return [Finding(seed, c, d, what) for c, d in bad]
    except Exception as exc:  # noqa: BLE001 - every escape is a finding, reported with its type
        return [Finding(seed, "exception", f"{type(exc).__name__}: {exc}", what)]
