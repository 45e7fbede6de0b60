"""``ic.to_python``: the source of a standalone NumPy (or JAX) function computing an expression.

The function is a straight-line program, one statement per distinct subexpression (children
first, as :mod:`indexcalc.evaluation.compiled` runs it): each product is one ``einsum`` over its non-delta
factors, followed by the same steps evaluation takes (size multipliers, broadcasting, a surviving
delta written through a diagonal view); elementwise functions use the stable formulas of
:mod:`indexcalc.core.elementwise`; softmax and logsumexp are shifted by the maximum.

Parameters are the tensors' names, sorted (a derivative's factor order is no guide to a
signature); call the function with keywords to be safe. Dimension sizes are read from the
arguments' shapes; one that no argument carries (``∂(XW)/∂W = X δ`` has lost ``W``) is a
keyword-only parameter, as ``evaluate`` takes it (``f(X, h=4)``).
Contraction order: pass the sizes (``to_python(expr, n=100, d=50)``) to embed the very
``opt_einsum`` path that ``evaluate`` plans for them; without sizes each einsum plans at call
time (``optimize="optimal"`` up to four operands, ``"greedy"`` beyond).

Examples:
    >>> import indexcalc as ic, numpy as np
    >>> X, w = ic.tensors("X[n,d] w[d]")
    >>> src = ic.to_python(ic.tanh(X @ w), name="layer")
    >>> print(src.split("def layer")[1].splitlines()[0])
    (X, w):
    >>> namespace = {}
    >>> exec(src, namespace)
    >>> namespace["layer"](np.ones((2, 3)), np.zeros(3))
    array([0., 0.])
"""

from __future__ import annotations

import ast
import copy
import inspect
import keyword
import math
import textwrap
from typing import Any

import numpy as np

from ..core.algebra import delta_classes
from ..core.elementwise import RULES, rule
from ..core.dims import Dim, dim_factors, dim_names
from ..errors import BindingError, IndexcalcError
from ..core.nodes import Decomposition
from ..core.nodes import (Derivative, Apply, Concat, Constant, Delta, Det, Expr, Index, Inverse, LogDet, LogSumExp, Max,
                          Named, Product, Reshape, Scatter, Shared, Softmax, Sum, Tensor, TriMask,
                          MatrixFunction, Solve)
from .linalg_source import emit_matrix_function, emit_solve
from .spectral_source import emit_decomposition
from .structure_source import emit_concat, emit_index, emit_scatter, emit_trimask
from .torch_source import torch_module
from ..core.nodes import Scan
from .scan_source import emit_scan
from ..core.graph_walk import postorder
from ..core.coercion import as_expr
from ..evaluation.compiled import plan_product

BACKENDS = {"numpy": ("numpy", "np"), "jax": ("jax.numpy", "jnp"), "torch": ("numpy", "np")}
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

#: helper functions: name -> body lines ({m} is the array module); emitted only when used
HELPERS = {
    "floats": ("(a):", "a = {m}.asarray(a)",
               'return a.astype({m}.result_type(float)) if a.dtype.kind in "biu" else a'),
    "softmax": ("(a, axis):", "z = a - {m}.max(a, axis=axis, keepdims=True)", "e = {m}.exp(z)",
                "return e / {m}.sum(e, axis=axis, keepdims=True)"),
    "logsumexp": ("(a, axes):", "m = {m}.max(a, axis=axes, keepdims=True)",
                  "m = {m}.where({m}.isfinite(m), m, 0)",
                  "s = {m}.log({m}.sum({m}.exp(a - m), axis=axes, keepdims=True)) + m",
                  "return {m}.squeeze(s, axis=axes)"),
}
DELTA_HELPER = {
    "numpy": ("(size, order, dtype):", "out = {m}.zeros((size,) * order, dtype=dtype)",
              '{m}.einsum("i" * order + "->i", out)[...] = 1', "return out"),
    "jax": ("(size, order, dtype):",
            "index = ({m}.arange(size),) * order",
            "return {m}.zeros((size,) * order, dtype=dtype).at[index].set(1)"),
}

def to_python(expr: Any, backend: str = "numpy", name: str = "f", **sizes: int) -> str:
    """The source of a module defining ``def name(<tensors>)`` that computes ``expr``.

    Args:
        expr: the expression.
        backend: ``"numpy"``, ``"jax"`` (``jax.numpy``, functional updates only), or
            ``"torch"``: a module whose function takes torch tensors and is a
            ``torch.autograd.Function`` with indexcalc's VJPs as its backward, to order 2
            (see :mod:`indexcalc.codegen.torch_source`).
        name: the function's name.
        **sizes: dimension sizes to plan for; then each einsum carries the planned path.

    Returns:
        Python source; ``exec`` it (or save it) and call ``name``.

    Raises:
        IndexcalcError: an unknown backend, a name that is not an identifier, or a tensor named
            like a Python keyword.

    Examples:
        >>> import indexcalc as ic
        >>> A, B = ic.tensors("A[m,n] B[n,k]")
        >>> "optimize=['einsum_path', (0, 1)]" in ic.to_python(A @ B, m=2, n=3, k=4)
        True
    """

    expr = as_expr(expr, "to_python")
    if not isinstance(backend, str) or backend not in BACKENDS:  # an array is unhashable
        raise IndexcalcError(f"to_python: backend must be one of {', '.join(BACKENDS)}, got "
                             f"{backend!r}")
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise IndexcalcError(f"to_python: name must be a Python identifier, got {name!r}")
    if backend == "torch":
        return torch_module(expr, name, lambda e, key: _numpy_function(e, key, sizes))
    return _Writer(expr, backend, sizes).module(name)


def _numpy_function(expr: Expr, name: str, sizes: dict) -> tuple[str, list[str], list[str]]:
    """The NumPy module defining ``name``, its tensor parameters and its keyword dimensions."""
    writer = _Writer(expr, "numpy", sizes)
    return writer.module(name), list(writer.params), writer.keywords


def _number(v: float) -> str:
    return repr(float(v)) if math.isfinite(v) else f'float("{v}")'


class _Writer:
    def __init__(self, expr: Expr, backend: str, sizes: dict):
        self.expr, self.backend = expr, backend
        self.order = postorder([expr])
        self.params = _parameters(self.order)
        self.used = set(self.params)
        self.m = self.take(BACKENDS[backend][1])
        self.helpers: dict[str, str] = {}
        self.sources: dict[str, list[str]] = {}  # helpers written from the rule table
        self.imports: list[str] = []
        self.dtype = self.take("dtype")
        self.lines: list[str] = []
        self.decompositions: dict = {}  # (kind, id(argument)) -> the variable holding it
        self.var: dict[int, str] = {}
        self.size_var: dict[str, str] = {}
        self.keywords: list[str] = []     # dimensions the caller passes by name
        self.sizes = self._check_sizes(sizes)

    def take(self, wanted: str) -> str:
        """``wanted``, or it with underscores appended until no parameter or local has it."""
        while wanted in self.used or keyword.iskeyword(wanted):
            wanted += "_"
        self.used.add(wanted)
        return wanted

    def helper(self, key: str, wanted: str | None = None) -> str:
        if key not in self.helpers:
            self.helpers[key] = self.take(wanted or "_" + key)
        return self.helpers[key]

    def _check_sizes(self, sizes: dict) -> dict | None:
        if not sizes:
            return None
        needed = {n for node in self.order for d in _node_dims(node) for n in dim_names(d)}
        missing = sorted(needed - set(sizes))
        if missing:
            raise BindingError(f"to_python: sizes were given but not for {', '.join(missing)}")
        for k, v in sizes.items():
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
                raise BindingError(f"to_python: size of {k!r} must be a non-negative int, got "
                                   f"{v!r}")
        return {k: int(v) for k, v in sizes.items()}

    # ------------------------------------------------------------------ dimensions

    def dim(self, d: Dim) -> str:
        if isinstance(d, int):
            return str(d)
        coef, names = dim_factors(d)
        parts = ([str(coef)] if coef != 1 else []) + [self.size_var[n] for n in names]
        return parts[0] if len(parts) == 1 else "(" + " * ".join(parts) + ")"

    def shape(self, dims: tuple) -> str:
        inner = ", ".join(self.dim(d) for d in dims)
        return f"({inner},)" if len(dims) == 1 else f"({inner})"

    def _read_sizes(self) -> list[str]:
        needed = sorted({n for node in self.order for d in _node_dims(node) for n in dim_names(d)})
        where: dict[str, str] = {}
        for node in self.order:
            if isinstance(node, Tensor):
                for axis, d in enumerate(node.shape):
                    if isinstance(d, str) and "*" not in d:
                        where.setdefault(d, f"{self.var[id(node)]}.shape[{axis}]")
        lines = []
        for n in needed:
            self.size_var[n] = self.take(n if n.isidentifier() else "size")
            if n in where:
                lines.append(f"{self.size_var[n]} = {where[n]}")
            elif self.size_var[n] == n:   # no input carries it: a keyword, as evaluate takes it
                self.keywords.append(n if self.sizes is None else f"{n}={self.sizes[n]}")
            else:
                raise IndexcalcError(f"to_python: dimension {n!r} is not an axis of any input "
                                     "and its name is taken by a tensor")
        return lines

    # ------------------------------------------------------------------ the program

    def module(self, name: str) -> str:
        m = self.m
        for p, node in self.params.items():
            self.var[id(node)] = p
        body = []
        if self.params:
            conv = self.helper("floats")
            converted = ", ".join(f"{conv}({p})" for p in self.params)
            body.append(f"{', '.join(self.params)} = {converted}")
            body.append(f"{self.dtype} = {m}.result_type({', '.join(self.params)})")
        else:
            body.append(f"{self.dtype} = {m}.float64")
        body += self._read_sizes()
        temps = 0
        for node in self.order:
            value = _EMIT[type(node)](self, node)
            if type(node) in _NAMES:  # already held by a variable: no statement
                self.var[id(node)] = value
                continue
            self.var[id(node)] = target = self.take(f"t{temps}")
            temps += 1
            body += [s.replace("{out}", target) for s in self.lines]
            self.lines = []
            if value != "{out}":
                body.append(f"{target} = {value.replace('{out}', target)}")
        body.append(f"return {m}.asarray({self.var[id(self.expr)]}, dtype={self.dtype})")
        text = "".join(c if c.isprintable() else " " for c in str(self.expr))
        text = text if len(text) <= 90 else text[:87] + "..."
        out = [f"# Generated by indexcalc.to_python from: {text}",
               f"import {BACKENDS[self.backend][0]} as {m}", *self.imports, ""]
        for key, fname in self.helpers.items():
            if key in self.sources:  # written from the rule table (none for an import)
                out += ["", *self.sources[key], ""] if self.sources[key] else []
                continue
            head, *rest = DELTA_HELPER[self.backend] if key == "delta" else HELPERS[key]
            out += ["", f"def {fname}{head}"] + [f"    {s.format(m=m)}" for s in rest] + [""]
        signature = ", ".join([*self.params, *(["*", *self.keywords] if self.keywords else [])])
        out += ["", f"def {name}({signature}):"] + [f"    {s}" for s in body]
        return "\n".join(out) + "\n"



def _node_dims(node: Expr) -> tuple:
    return node.shape + (node.dims if isinstance(node, Product) else ()) + (
        node.arg.shape if isinstance(node, Reshape) else ())


def _parameters(order: list[Expr]) -> dict[str, Tensor]:
    params: dict[str, Tensor] = {}
    for node in order:
        if isinstance(node, Tensor):
            other = params.setdefault(node.name, node)
            if other is not node:
                raise IndexcalcError(f"to_python: two different tensors are named {node.name!r}")
            if keyword.iskeyword(node.name):
                raise IndexcalcError(f"to_python: tensor {node.name!r} is named like a Python "
                                     "keyword; rename it to use it as a parameter")
    return dict(sorted(params.items()))


# ---------------------------------------------------------------------- one rule per node type

def _product(w: _Writer, node: Product) -> str:
    root, operands = delta_classes(node.factors)
    rep = [root.get(l, l) for l in range(len(node.dims))]  # each label's delta class
    letter: dict[int, str] = {}
    for l in [l for _, ls in operands for l in ls] + list(node.out):
        if rep[l] not in letter:
            if len(letter) == len(_LETTERS):
                raise IndexcalcError("to_python: a product with more than 52 distinct indices "
                                     "cannot be written as one einsum")
            letter[rep[l]] = _LETTERS[len(letter)]
    inputs = ["".join(letter[rep[l]] for l in ls) for _, ls in operands]
    full = "".join(letter[rep[l]] for l in node.out)
    target = "".join(dict.fromkeys(full))
    present = set("".join(inputs))
    compact = "".join(c for c in target if c in present)
    out_classes = {rep[l] for l in node.out}
    extra = [w.dim(node.dims[c]) for c in sorted(set(rep))
             if c not in out_classes and c not in letter]
    size = {letter[rep[l]]: w.dim(d) for l, d in enumerate(node.dims) if rep[l] in letter}
    value = _einsum(w, node, ",".join(inputs) + "->" + compact, [w.var[id(f)] for f, _ in operands])
    if extra:
        value = f"{value} * {' * '.join(extra)}"
    if compact != target:
        kept = _shape_of(target, {c: size[c] if c in present else "1" for c in target})
        value = f"{w.m}.broadcast_to({w.m}.reshape({value}, {kept}), {_shape_of(target, size)})"
    if full != target:
        value = _diagonal(w, full, target, size, value)
    return f"{value} * {_number(node.coef)}" if node.coef != 1.0 else value


def _shape_of(letters: str, size: dict) -> str:
    """The source of a shape tuple from the size text of each letter (already written code)."""
    inner = ", ".join(size[c] for c in letters)
    return f"({inner},)" if len(letters) == 1 else f"({inner})"


def _einsum(w: _Writer, node: Product, equation: str, ops: list[str]) -> str:
    m = w.m
    if not ops:
        return f"{m}.ones((), dtype={w.dtype})"
    if len(ops) == 1:
        term, result = equation.split("->")
        return ops[0] if term == result else f"{m}.einsum({equation!r}, {ops[0]})"
    if w.sizes is not None:

        path = [tuple(int(i) for i in step) for step in plan_product(node, w.sizes).info.path]
        path_src = repr(["einsum_path", *path] if w.backend == "numpy" else path)
    else:
        path_src = repr("optimal" if len(ops) <= 4 else "greedy")
    return f"{m}.einsum({equation!r}, {', '.join(ops)}, optimize={path_src})"


def _diagonal(w: _Writer, full: str, target: str, size: dict, value: str) -> str:
    """``value`` (axes ``target``) written on the diagonal of a zero array with axes ``full``."""
    m = w.m
    zeros = f"{m}.zeros({_shape_of(full, size)}, dtype={w.dtype})"
    if w.backend == "numpy":
        view = f"{m}.einsum({full + '->' + target!r}, {{out}})"
        w.lines += [f"{{out}} = {zeros}", f"{view}[...] = {value}"]
        return "{out}"
    index = []
    for c in full:
        j = target.index(c)
        shape = tuple(size[c] if k == j else "1" for k in range(len(target)))
        a = f"{m}.arange({size[c]})"
        index.append(a if len(target) == 1 else f"{a}.reshape(({', '.join(shape)}))")
    return f"{zeros}.at[{', '.join(index)}].set({value})"


def _sum(w: _Writer, node: Sum) -> str:
    if not node.terms:
        return f"{w.m}.zeros({w.shape(node.shape)}, dtype={w.dtype})"
    return " + ".join(w.var[id(t)] if c == 1.0 else f"{w.var[id(t)]} * {_number(c)}"
                      for c, t in node.terms)


def _apply(w: _Writer, node: Apply) -> str:
    """One library call inline (``np.tanh(t0)``); any other formula as a helper (``_sigmoid``)."""
    row = rule(node.fn)
    formula = ast.parse(row.formula, mode="eval").body
    args = {"x": w.var[id(node.arg)], "p": "" if node.param is None else _number(node.param)}
    if isinstance(formula, ast.Call) and not any(
            isinstance(n, ast.Call) for a in formula.args for n in ast.walk(a)):
        return _spelled(w, formula, args)
    key = "fn " + row.name
    params = ["a", "p"] if any(isinstance(n, ast.Name) and n.id == "p"
                               for n in ast.walk(formula)) else ["a"]
    if key not in w.sources:
        fname = w.helper(key, "_" + row.name)
        body = _spelled(w, formula, {"x": "a", "p": "p"})
        w.sources[key] = [f"def {fname}({', '.join(params)}):", f"    return {body}"]
    return f"{w.helpers[key]}({', '.join(args['x' if a == 'a' else 'p'] for a in params)})"


def _spelled(w: _Writer, formula: ast.expr, names: dict[str, str]) -> str:
    """A rule-table formula as source: ``x``, ``p`` by ``names``; ``xp.f`` by the module's ``f``,
    or, for a function the module lacks (a row's ``native``), a helper or an import."""
    class Spell(ast.NodeTransformer):
        def visit_Name(self, n):
            return ast.parse(names.get(n.id, n.id), mode="eval").body

        def visit_Attribute(self, n):
            if isinstance(n.value, ast.Name) and n.value.id == "xp":
                return ast.Name(_library_function(w, n.attr))
            return self.generic_visit(n)

    return ast.unparse(Spell().visit(copy.deepcopy(formula)))


def _library_function(w: _Writer, name: str) -> str:
    native = RULES[name].native.get(w.backend) if name in RULES else None
    if native is None:
        return f"{w.m}.{name}"
    key = "native " + name
    if key not in w.helpers:
        fname = w.helper(key, "_" + name)
        if isinstance(native, str):            # the library's own: imported under a free name
            module, attribute = native.split(":")
            w.imports.append(f"from {module} import {attribute} as {fname}")
            w.sources[key] = []
        else:                                  # NumPy has none: the kernel's source, copied
            w.sources[key] = _kernel_source(native, fname, w.m).splitlines()
    return w.helpers[key]


def _kernel_source(fn, fname: str, m: str) -> str:
    """The source of the NumPy function ``fn`` as ``def fname``, NumPy spelled ``m``."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    (definition,) = tree.body
    definition.name = fname
    if ast.get_docstring(definition) is not None:
        definition.body = definition.body[1:]
    for n in ast.walk(definition):
        if isinstance(n, ast.Name) and n.id == "np":
            n.id = m
    return ast.unparse(definition)


def _constant(w: _Writer, node: Constant) -> str:
    values = ", ".join(_number(v) for v in node.value.reshape(-1).tolist())
    if node.value.ndim == 0:
        return f"{w.m}.asarray({values}, dtype={w.dtype})"
    return f"{w.m}.asarray([{values}], dtype={w.dtype}).reshape({node.value.shape!r})"


#: One row per node type (``NODE_TYPES``): ``(writer, node) -> the source of the node's value``
#: (statements before it go to ``writer.lines``, ``{out}`` standing for the node's variable).
#: The rows of ``_NAMES`` return the variable that already holds the value.
_EMIT = {
    Tensor: lambda w, n: w.var[id(n)],
    Named: lambda w, n: w.var[id(n.arg)],
    Shared: lambda w, n: w.var[id(n.arg)],
    Derivative: lambda w, n: w.var[id(n.arg)],
    Product: _product,
    Sum: _sum,
    Apply: _apply,
    Constant: _constant,
    Delta: lambda w, n: f"{w.helper('delta')}({w.dim(n.dim)}, {n.order}, {w.dtype})",
    Softmax: lambda w, n: f"{w.helper('softmax')}({w.var[id(n.arg)]}, {n.axis})",
    LogSumExp: lambda w, n: f"{w.helper('logsumexp')}({w.var[id(n.arg)]}, {n.axes!r})",
    Max: lambda w, n: f"{w.m}.max({w.var[id(n.arg)]}, axis={n.axes!r})",
    Inverse: lambda w, n: f"{w.m}.linalg.inv({w.var[id(n.arg)]})",
    Det: lambda w, n: f"{w.m}.linalg.det({w.var[id(n.arg)]})",
    LogDet: lambda w, n: f"{w.m}.linalg.slogdet({w.var[id(n.arg)]})[1]",
    Reshape: lambda w, n: f"{w.m}.reshape({w.var[id(n.arg)]}, {w.shape(n.shape)})",
    Index: emit_index,
    Scatter: emit_scatter,
    Concat: emit_concat,
    TriMask: emit_trimask,
    Decomposition: emit_decomposition,
    Solve: emit_solve,
    MatrixFunction: emit_matrix_function,
    Scan: emit_scan,
}
_NAMES = (Tensor, Named, Shared, Derivative)
