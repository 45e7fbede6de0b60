"""Straight-line programs: an expression compiled for one set of sizes, one dtype, one backend.

Building a program walks the graph once, children first (hash-consing already made each distinct
subexpression one node), and emits one step per node that computes something: ``Named`` and
``Shared`` are aliases, tensors are input slots, and every node that depends on no tensor is
computed once at build time (constant folding). Each step knows which values die after it, so a
value is released as soon as its last reader has run and the peak memory is that of the live
values, not of the whole graph. Before anything is allocated the memory guard compares the
largest array the program will create with the limit.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any, Callable

import numpy as np

from .backends import Namespace
from .backend_kernels import backend_path_kernel
from .kernels import path_kernel
from ..core.dims import dim_size
from ..core.elementwise import rule
from .memory import guard
from ..core.nodes import Decomposition
from ..core.nodes import (Derivative, Apply, Concat, Constant, Delta, Det, Expr, Index, Inverse, LogDet, LogSumExp, Max,
                          Named, Product, Reshape, Scan, Scatter, Shared, Softmax, Sum, Tensor, TriMask,
                          MatrixFunction, Solve)
from .linalg_steps import matrix_function_step, solve_step
from .spectral_steps import decomposition_step
from .scan_steps import body_plans, scan_step
from .straight_line import identity, interpret, program_function
from .structure_steps import concat_step, index_step, scatter_step, trimask_value
from ..errors import IndexcalcError


class Context:
    """What a step builder may use: sizes, dtype, the backend and the product plans."""

    def __init__(self, sizes: dict, dtype: np.dtype, ns: Namespace, plans: dict):
        self.sizes, self.dtype, self.ns, self.plans = sizes, dtype, ns, plans
        self.shared: dict = {}  # one run's values that several steps share (a decomposition)
        self.parts_used: dict = {}  # (kind, id(argument)) -> the parts of it the program uses

    def shape(self, node: Expr) -> tuple:
        return tuple(dim_size(d, self.sizes) for d in node.shape)


# --------------------------------------------------------------------------- products

def _product_step(node: Product, ctx: Context, coef: float = 1.0) -> Callable:
    plan = ctx.plans[id(node)]
    ns = ctx.ns
    scale = plan.multiplier * node.coef * coef
    if plan.info is None:  # no operands: a constant, broadcast
        contract, fresh = (lambda: ns.xp.asarray(np.asarray(1.0, dtype=ctx.dtype))), False
    elif ns.name == "numpy":
        contract, fresh = path_kernel(plan.info.contraction_list, dict(zip(plan.letters, plan.sizes)))
    elif ns.name == "torch":  # elementwise steps as broadcasting multiplies, not einsum
        contract, fresh = backend_path_kernel(plan.info.contraction_list, ns.xp,
                                              ns.ops.transpose), True
    else:
        expression, oe_name = plan.expression, ns.name
        contract, fresh = (lambda *ops: expression(*ops, backend=oe_name)), True
    if scale != 1.0:
        contract = _scaled(contract, scale, fresh and ns.name == "numpy")
    if plan.compact != plan.target:  # writing a diagonal broadcasts by itself: reshape only
        contract = _broadcasting(contract, plan, ns, plan.full == plan.target)
    if plan.full != plan.target:
        write, full, target, shape = ns.ops.write_diagonal, plan.full, plan.target, plan.full_shape
        inner = contract
        contract = lambda *ops: write(inner(*ops), full, target, shape)  # noqa: E731
    return contract


def _scaled(contract: Callable, scale: float, in_place: bool) -> Callable:
    """The size multipliers and the coefficient, applied to the compact result (the smallest)."""
    if in_place:
        def run(*ops):
            res = contract(*ops)
            if isinstance(res, np.ndarray) and res.ndim:
                res *= scale
                return res
            return res * scale
        return run
    return lambda *ops: contract(*ops) * scale


def _broadcasting(contract: Callable, plan, ns: Namespace, view: bool) -> Callable:
    size = dict(zip(plan.full, plan.full_shape))
    have, want = plan.compact, plan.target
    expanded = tuple(size[c] if c in have else 1 for c in want)
    shape = tuple(size[c] for c in want)
    reshape, broadcast_to = ns.ops.reshape, ns.ops.broadcast_to
    # ``compact`` lists its letters in ``target`` order, so a reshape adds the new axes
    if not view:
        return lambda *ops: reshape(contract(*ops), expanded)
    return lambda *ops: broadcast_to(reshape(contract(*ops), expanded), shape)


def _product_arrays(node: Product, ctx: Context, itemsize: int) -> list:
    """The arrays a product creates: each pairwise intermediate and its result."""
    plan = ctx.plans[id(node)]
    def what():
        return f"the product {_short(node)} (einsum {plan.equation!r})"
    size = dict(zip(plan.letters, plan.sizes))
    out = [(what, plan.full_shape if plan.full != plan.target else
            tuple(size[c] for c in plan.compact), itemsize)]
    target = tuple(size[c] for c in plan.target)
    if math.prod(target) > np.iinfo(np.intp).max:   # a broadcast view allocates nothing, but
        out.append((what, target, itemsize))        # NumPy cannot index one of 1_(10^20)
    if plan.info is not None:
        for entry in plan.info.contraction_list[:-1]:
            letters = entry[2].split("->")[1]
            out.append((lambda: f"an intermediate {letters!r} of {what()}",
                        tuple(size[c] for c in letters), itemsize))
    return out


def _short(node: Expr, width: int = 60) -> str:
    text = str(node)
    return text if len(text) <= width else text[:width - 1] + "…"


# --------------------------------------------------------------------------- other nodes

def _zero_step(node: Sum, ctx: Context) -> Callable:
    """A sum of no terms (an exact zero); sums with terms are accumulated by :class:`Program`."""
    shape, dtype, zeros = ctx.shape(node), ctx.dtype, ctx.ns.ops.zeros
    return lambda: zeros(shape, dtype=dtype)


def _compact_base(a: np.ndarray) -> tuple:
    """``(base, shape)`` when ``a`` is a broadcast view (a zero stride); else ``(None, None)``."""
    if not isinstance(a, np.ndarray) or 0 not in a.strides or a.size <= 1:
        return None, None
    return a[tuple(slice(0, 1) if s == 0 else slice(None) for s in a.strides)], a.shape


def _apply_step(node: Apply, ctx: Context) -> Callable:
    fn, param = ctx.ns.functions[rule(node.fn).name], node.param
    if ctx.ns.name != "numpy":
        return lambda a: fn(a, param)

    def run(a):
        base, shape = _compact_base(a)
        if base is not None:  # f of a broadcast value: compute once per distinct element
            return np.broadcast_to(fn(base, param), shape)
        return fn(a, param)
    return run


def _softmax_step(node: Softmax, ctx: Context) -> Callable:
    ops, xp, axis = ctx.ns.ops, ctx.ns.xp, node.axis

    def run(a):
        e = xp.exp(a - ops.amax(a, axis))
        return e / ops.sum(e, axis)
    return run


def _logsumexp_step(node: LogSumExp, ctx: Context) -> Callable:
    ops, xp, axes = ctx.ns.ops, ctx.ns.xp, tuple(node.axes)

    def run(a):
        m = ops.amax(a, axes)
        m = xp.where(xp.isfinite(m), m, 0)
        with np.errstate(divide="ignore"):  # all −inf: log 0 = −inf is the right answer
            s = xp.log(ops.sum(xp.exp(a - m), axes)) + m
        return ops.reshape(s, tuple(n for i, n in enumerate(a.shape) if i not in axes))
    return run


def _max_step(node: Max, ctx: Context) -> Callable:
    ops, axes = ctx.ns.ops, tuple(node.axes)

    def run(a):
        return ops.reshape(ops.amax(a, axes), tuple(n for i, n in enumerate(a.shape) if i not in axes))
    return run


def _inverse_step(node: Inverse, ctx: Context) -> Callable:
    inv = ctx.ns.ops.inv

    def run(a):
        try:
            return inv(a)
        except np.linalg.LinAlgError:
            raise IndexcalcError("inv: the matrix is singular at these values") from None
    return run


def _delta_value(node: Delta, ctx: Context) -> Callable:
    n, order, dtype = dim_size(node.dim, ctx.sizes), node.order, ctx.dtype

    def run():
        out = np.zeros((n,) * order, dtype=dtype)
        np.einsum("i" * order + "->i", out)[...] = 1
        return ctx.ns.xp.asarray(out) if ctx.ns.name != "numpy" else out
    return run


def _constant_value(node: Constant, ctx: Context) -> Callable:
    value = node.value.astype(ctx.dtype, copy=False)
    if ctx.ns.name != "numpy":
        value = ctx.ns.asarray(value, ctx.dtype)
    return lambda: value


def _reshape_step(node: Reshape, ctx: Context) -> Callable:
    shape, reshape = ctx.shape(node), ctx.ns.ops.reshape
    return lambda a: reshape(a, shape)


def _input(node: Tensor, ctx: Context) -> None:
    """No step: a tensor's value is an input slot, filled by :meth:`Program.run`."""
    return None


def _alias(node: Named | Shared | Derivative, ctx: Context) -> None:
    """No step: the node is its argument's value under another name (the same slot)."""
    return None


def _scan_step(node: Scan, ctx: Context) -> Callable:
    return scan_step(node, ctx, _SCAN_TOOLS)


def _body_program(roots: list, root: Expr, ctx: Context) -> "Program":
    """A scan's body (all of ``roots``, output ``root``) compiled as a program of its own,
    planned once and run at every step."""
    order, plans = body_plans(roots, ctx.sizes)
    return Program(order, root, Context(ctx.sizes, ctx.dtype, ctx.ns, plans), None)


#: One row per node type (``NODE_TYPES``): ``(node, ctx) -> step function of the children's
#: values``, or ``None`` for the rows :func:`_input` and :func:`_alias`, which take no step.
BUILDERS: dict[type, Callable] = {
    Tensor: _input,
    Named: _alias,
    Shared: _alias,
    Derivative: _alias,
    Product: _product_step,
    Sum: _zero_step,
    Apply: _apply_step,
    Softmax: _softmax_step,
    LogSumExp: _logsumexp_step,
    Max: _max_step,
    Inverse: _inverse_step,
    Det: lambda n, ctx: ctx.ns.ops.det,
    LogDet: lambda n, ctx: ctx.ns.ops.logdet,
    Reshape: _reshape_step,
    Delta: _delta_value,
    Constant: _constant_value,
    Index: index_step,
    Scatter: scatter_step,
    Concat: concat_step,
    TriMask: trimask_value,
    Decomposition: decomposition_step,
    Solve: solve_step,
    MatrixFunction: matrix_function_step,
    Scan: _scan_step,
}

#: Calls of a program that run its steps from a list before its function is generated.
INTERPRETED_CALLS = 2

#: Nodes that are another node's value under a new name: no step, the same slot.
ALIASES = tuple(t for t, row in BUILDERS.items() if row is _alias)


def _node_step(node: Expr, ctx: Context, plans: dict) -> tuple[Callable, tuple]:
    """The step of one node of a scan's body, and the nodes it takes (the body's own plans)."""
    return BUILDERS[type(node)](node, Context(ctx.sizes, ctx.dtype, ctx.ns, plans)), _operands(node)


#: What a scan's loop borrows from the programs (see :func:`indexcalc.evaluation.scan_steps.scan_step`).
_SCAN_TOOLS = SimpleNamespace(program=lambda roots, root, ctx: _body_program(roots, root, ctx),
                              step=_node_step, operands=lambda node: _operands(node),
                              is_alias=lambda node: isinstance(node, ALIASES))


# --------------------------------------------------------------------------- the program

class Program:
    """Steps ``(function, argument slots, result slot, slots to release)`` run in order.

    A sum is accumulated term by term as soon as each term is computed (its terms then die at
    once instead of all living until the last one is ready: the 50 per-step gradients of an
    unrolled RNN); a sum ``c·P`` of one product used nowhere else is that product's step with the
    coefficient folded into its compact result.
    """

    def __init__(self, order: list, root: Expr, ctx: Context, memory_limit: int | None):
        guard(_arrays(order, ctx, np.dtype(ctx.dtype).itemsize), memory_limit)
        self._ctx = ctx
        self.plans = ctx.plans  # the product plans it was built from
        self._slot: dict[int, int] = {}
        self.constants: dict[int, Any] = {}
        self._known: set[int] = set()  # slots whose value is known now, before any input
        self.inputs: list[tuple[str, int]] = []
        self._steps: list[tuple] = []
        fused, streamed = _plan_sums(order, root)
        self._streamed: dict[int, list] = {}  # term id -> [(sum node, coef)]
        self._count: dict[int, int] = {}      # sum id -> accumulations emitted
        self._runtime: dict[int, bool] = {}   # sum id -> was the last accumulation a step
        for node in streamed:
            for c, t in node.terms:
                self._streamed.setdefault(id(t), []).append((node, c))
        skip = {id(p) for p in fused.values()}
        for node in order:
            if id(node) in skip:
                continue
            builder = BUILDERS[type(node)]
            if builder is _alias:
                self._slot[id(node)] = self._slot[id(node.arg)]
            elif builder is _input:
                self.inputs.append((node.name, self._new_slot(node)))
            elif id(node) in fused:
                (c, product), = node.terms
                self._emit(node, _product_step(product, ctx, c), _operands(product))
            elif isinstance(node, Sum) and id(node) in self._count:
                pass  # accumulated as its terms were computed
            else:
                self._emit(node, builder(node, ctx), _operands(node))
            for total, c in self._streamed.get(id(node), ()):
                self._accumulate(total, c, node)
        self.size = len(self._slot) + 1
        self.output = self._slot[id(root)]
        self.steps = _with_releases(self._steps, self.output)
        self._function: Callable | None = None
        self._calls = 0
        self._jitted: Callable | None = None

    def _new_slot(self, node: Expr) -> int:
        self._slot[id(node)] = s = len(self._slot)
        return s

    def _emit(self, node: Expr, fn: Callable, operands: tuple) -> None:
        args = tuple(self._slot[id(k)] for k in operands)
        out = self._slot.get(id(node))
        out = self._new_slot(node) if out is None else out
        if all(a in self._known for a in args):  # depends on no tensor: fold it now
            with np.errstate(over="ignore", under="ignore"):
                self.constants[out] = fn(*[self.constants[a] for a in args])
            self._known.add(out)
        else:
            self._steps.append((fn, args, out))
            self._known.discard(out)  # a sum folded so far: its constant part is the start value

    def _accumulate(self, total: Sum, c: float, term: Expr) -> None:
        k = self._count.get(id(total), 0)
        self._count[id(total)] = k + 1
        in_place = k >= 2 and self._runtime[id(total)] and self._ctx.ns.name == "numpy"
        if k == 0:
            fn, operands = identity if c == 1.0 else (lambda v: v * c), (term,)
        else:
            fn, operands = _accumulator(c, in_place), (total, term)
        before = len(self._steps)
        self._emit(total, fn, operands)
        self._runtime[id(total)] = len(self._steps) > before

    @property
    def function(self) -> Callable:
        """The steps written out as one Python function of the input arrays (by name),
        generated on first use (see :mod:`indexcalc.evaluation.straight_line`)."""
        if self._function is None:
            self._function = program_function(self.steps, self.inputs, self.constants,
                                              self.output)
        return self._function

    def run(self, arrays: dict) -> Any:
        """The output for the input ``arrays`` (tensor name -> array).

        The first :data:`INTERPRETED_CALLS` calls run the steps from a list: generating the
        function costs about as much as 20–100 interpreted calls save (a one-off
        ``ic.evaluate`` of a deep graph would pay it for nothing); later calls run the function.
        """
        self._ctx.shared.clear()  # a decomposition's parts share one run's result (spectral_steps)
        try:
            if self._function is None and self._calls < INTERPRETED_CALLS:
                self._calls += 1
                return interpret(self.steps, self.inputs, self.constants, self.output,
                                 self.size, arrays)
            return self.function(arrays)
        finally:
            self._ctx.shared.clear()

    def jitted(self, jit: Callable) -> Callable:
        """:attr:`function` traced by ``jit`` (``jax.jit``), once: every compiled object that
        shares this program shares its trace."""
        if self._jitted is None:
            self._jitted = jit(self.function)
        return self._jitted


def _accumulator(c: float, in_place: bool) -> Callable:
    """``total + c·v``; in place when ``total`` is an array this sum allocated itself."""
    if not in_place:
        if c == 1.0:
            return lambda total, v: total + v
        if c == -1.0:
            return lambda total, v: total - v
        return lambda total, v: total + v * c

    def add(total, v):
        if not (isinstance(total, np.ndarray) and total.ndim and total.dtype == v.dtype
                and total.shape == np.shape(v)):
            return total + v * c
        if c == 1.0:
            return np.add(total, v, out=total)
        if c == -1.0:
            return np.subtract(total, v, out=total)
        total += v * c
        return total
    return add


def _plan_sums(order: list, root: Expr) -> tuple[dict, list]:
    """Sums to fuse into their single product term (id -> product), and sums to stream."""
    parents: dict[int, int] = {}
    for node in order:
        for k in set(map(id, node.children())):
            parents[k] = parents.get(k, 0) + 1
    fused, streamed = {}, []
    for node in order:
        if not isinstance(node, Sum) or not node.terms:
            continue
        if len(node.terms) == 1 and isinstance(node.terms[0][1], Product) \
                and parents.get(id(node.terms[0][1])) == 1 and node.terms[0][1] is not root:
            fused[id(node)] = node.terms[0][1]
        else:
            streamed.append(node)
    return fused, streamed


def _operands(node: Expr) -> tuple:
    """The children whose values a step takes: a product's deltas are planned, not passed."""
    if isinstance(node, Product):
        return tuple(f for f, _ in node.factors if not isinstance(f, Delta))
    return node.children()


def _with_releases(steps: list, output: int) -> list:
    last: dict[int, int] = {}
    for i, (_, args, _) in enumerate(steps):
        for a in args:
            last[a] = i
    release: list[list] = [[] for _ in steps]
    for s, i in last.items():
        if s != output and s != steps[i][2]:  # an accumulation reads and rewrites its sum
            release[i].append(s)
    return [(fn, args, out, tuple(release[i])) for i, (fn, args, out) in enumerate(steps)]


def _arrays(order: list, ctx: Context, itemsize: int):
    """Every array the program will allocate, as ``(what, shape, itemsize)``."""
    for node in order:
        if isinstance(node, (Tensor,) + ALIASES) or isinstance(node, Reshape):
            continue
        if isinstance(node, Product):
            yield from _product_arrays(node, ctx, itemsize)
            continue
        if isinstance(node, LogSumExp):   # exp(a − max a): its argument's whole shape, even
            yield ((lambda n=node: f"exp of the argument of {_short(n)}"),   # of a broadcast
                   ctx.shape(node.arg), itemsize)
        yield ((lambda n=node: f"the {type(n).__name__} node {_short(n)}"), ctx.shape(node),
               itemsize)
