"""Array backends: one small table per library of the operations evaluation needs.

Contractions go through opt_einsum's ``backend=`` argument; everything else a program does
(elementwise functions, softmax, inverse, determinant, broadcasting, writing a diagonal) goes
through the :class:`Namespace` of the backend. A backend's library is imported only when a program
for it is built, so ``import indexcalc`` never imports jax, torch, cupy or dask.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Callable

import numpy as np

from ..core.elementwise import ArrayNamespace, natives, rule
from ..errors import IndexcalcError
from .kernels import ascii_equation


@dataclass(frozen=True)
class Namespace:
    """How one array library does what a program needs.

    Attributes:
        name: the backend's name, as given to ``ic.compile(backend=...)``.
        xp: the library's NumPy-like module (``numpy``, ``jax.numpy``, ``torch``, ...).
        asarray: ``(value, dtype_name) -> array`` converting an input to the library's arrays.
        functions: elementwise function name -> ``(array, param) -> array``, derived from the
            rule table's formula on first use.
        ops: the remaining operations by name: ``zeros``, ``broadcast_to``, ``reshape``,
            ``transpose``, ``write_diagonal``, ``amax``, ``sum``, ``inv``, ``det``, ``logdet``;
            optionally ``building``, a context manager a program is built under (jax: eager
            evaluation of the folded constants, even inside a trace).
    """

    name: str
    xp: Any
    asarray: Callable
    functions: dict
    ops: SimpleNamespace


def _functions(backend: str, module: Any, **spellings: Callable) -> dict:
    """The rule table's functions for ``backend``, each derived from its row's formula.

    The formulas use NumPy's spellings: the rows' ``native`` entries add the functions NumPy has
    no name for (``erf``), ``spellings`` what else ``module`` lacks."""
    return _Functions(ArrayNamespace(module, **{**natives(backend), **spellings}))


class _Functions(dict):
    """Function name -> ``(array, param) -> array``, derived from the row on first use (so a
    row added to the table after a backend loaded works there too)."""

    def __init__(self, xp: ArrayNamespace):
        super().__init__()
        self.xp = xp

    def __missing__(self, name: str) -> Callable:
        self[name] = fn = rule(name).function(self.xp)
        return fn


def _blockwise(da: Any, fn: Callable) -> Callable:
    """A NumPy function run on each chunk of a dask array."""
    return lambda a: da.map_blocks(fn, a) if isinstance(a, da.Array) else fn(a)


def _index_arrays(xp: Any, full: str, target: str, shape: tuple) -> tuple:
    """Integer index arrays that address the diagonal ``target`` inside layout ``full``."""
    size = dict(zip(full, shape))
    grids = np.meshgrid(*[np.arange(size[c]) for c in target], indexing="ij", sparse=True)
    by_letter = dict(zip(target, grids))
    return tuple(xp.asarray(by_letter[c]) for c in full)


def _numpy_write_diagonal(res, full: str, target: str, shape: tuple):
    out = np.zeros(shape, dtype=np.result_type(res, np.float32))
    np.einsum(ascii_equation(f"{full}->{target}"), out)[...] = res  # a strided view of the diagonal
    return out


def _strided_write_diagonal(xp: Any, strided: Callable, zeros_like_device: Callable | None = None
                            ) -> Callable:
    """Writing through a strided view (cupy, torch): no dense identity is ever built.

    ``zeros_like_device(shape, res)``, when given, makes the output on ``res``'s device."""
    def write(res, full, target, shape):
        out = zeros_like_device(shape, res) if zeros_like_device else xp.zeros(shape, dtype=res.dtype)
        step = dict.fromkeys(target, 0)
        stride = 1
        for c, n in reversed(list(zip(full, shape))):
            step[c] += stride
            stride *= n
        size = dict(zip(full, shape))
        strided(out, tuple(size[c] for c in target), tuple(step[c] for c in target))[...] = res
        return out
    return write


def _jax_write_diagonal(xp: Any) -> Callable:
    def write(res, full, target, shape):
        out = xp.zeros(shape, dtype=res.dtype)
        return out.at[_index_arrays(xp, full, target, shape)].set(res)
    return write


def _masked_write_diagonal(xp: Any) -> Callable:
    """dask: a lazy, chunked ``where`` on index equalities (no identity is stored)."""
    def write(res, full, target, shape):
        size = dict(zip(full, shape))
        grids = xp.meshgrid(*[xp.arange(n) for n in shape], indexing="ij", sparse=True)
        first: dict = {}
        mask = None
        for c, g in zip(full, grids):
            if c in first:
                eq = first[c] == g
                mask = eq if mask is None else mask & eq
            else:
                first[c] = g
        res = xp.broadcast_to(res, tuple(size[c] for c in target))
        spread = xp.broadcast_to(xp.reshape(res, _spread_shape(full, target, size)), shape)
        return xp.where(mask, spread, 0)
    return write


def _spread_shape(full: str, target: str, size: dict) -> tuple:
    seen: set = set()
    out = []
    for c in full:
        out.append(size[c] if c not in seen else 1)
        seen.add(c)
    return tuple(out)  # ``target`` lists each class once, in first-occurrence order of ``full``


def _numpy_namespace() -> Namespace:
    ops = SimpleNamespace(
        zeros=np.zeros, broadcast_to=np.broadcast_to, reshape=np.reshape,
        transpose=np.transpose, write_diagonal=_numpy_write_diagonal,
        amax=lambda a, axis: np.max(a, axis=axis, keepdims=True, initial=-np.inf),
        sum=lambda a, axis: np.sum(a, axis=axis, keepdims=True),
        inv=np.linalg.inv, det=np.linalg.det, logdet=lambda a: np.linalg.slogdet(a)[1],
    )
    return Namespace("numpy", np, lambda v, dtype: np.asarray(v), _functions("numpy", np), ops)


def _jax_namespace() -> Namespace:
    import jax
    import jax.numpy as jnp

    ops = SimpleNamespace(
        # a program is built (its constants folded) eagerly, also when the first call is traced
        # by jax.jit: the program is kept, and a constant of one trace must not leak into the next
        building=jax.ensure_compile_time_eval,
        jit=jax.jit,  # ic.compile(..., jit=True): the whole program as one XLA computation
        zeros=jnp.zeros, broadcast_to=jnp.broadcast_to, reshape=jnp.reshape,
        transpose=jnp.transpose, write_diagonal=_jax_write_diagonal(jnp),
        amax=lambda a, axis: jnp.max(a, axis=axis, keepdims=True, initial=-jnp.inf),
        sum=lambda a, axis: jnp.sum(a, axis=axis, keepdims=True),
        inv=jnp.linalg.inv, det=jnp.linalg.det, logdet=lambda a: jnp.linalg.slogdet(a)[1],
    )
    return Namespace("jax", jnp, lambda v, dtype: jnp.asarray(v), _functions("jax", jnp), ops)


def _cupy_namespace() -> Namespace:
    import cupy
    from cupy.lib.stride_tricks import as_strided

    def strided(out, shape, steps):
        return as_strided(out, shape, tuple(s * out.itemsize for s in steps))

    ops = SimpleNamespace(
        zeros=cupy.zeros, broadcast_to=cupy.broadcast_to, reshape=cupy.reshape,
        transpose=cupy.transpose, write_diagonal=_strided_write_diagonal(cupy, strided),
        amax=lambda a, axis: cupy.max(a, axis=axis, keepdims=True),
        sum=lambda a, axis: cupy.sum(a, axis=axis, keepdims=True),
        inv=cupy.linalg.inv, det=cupy.linalg.det, logdet=lambda a: cupy.linalg.slogdet(a)[1],
    )
    return Namespace("cupy", cupy, lambda v, dtype: cupy.asarray(v), _functions("cupy", cupy),
                     ops)


def _dask_namespace() -> Namespace:
    import dask.array as da

    def asarray(v, dtype):
        # name=False: a fresh name instead of a hash of the data (tokenizing read the whole
        # array on every call: 3x the evaluation at 20000×1000); dask still copies it, so the
        # lazy result does not change if the caller's array does
        return v if isinstance(v, da.Array) else da.from_array(np.asarray(v), name=False)

    def not_chunked(what):
        def fail(a):
            raise IndexcalcError(f"{what} is not available on the dask backend; evaluate this "
                                 "expression with backend='numpy'")
        return fail

    def inv(a):  # each matrix whole in one block, inverted by NumPy (dask's own inv needs SciPy)
        whole = a.rechunk({a.ndim - 2: -1, a.ndim - 1: -1})
        return whole.map_blocks(np.linalg.inv, dtype=a.dtype)

    ops = SimpleNamespace(
        zeros=da.zeros, broadcast_to=da.broadcast_to, reshape=da.reshape,
        transpose=da.transpose, write_diagonal=_masked_write_diagonal(da),
        amax=lambda a, axis: da.max(a, axis=axis, keepdims=True),
        sum=lambda a, axis: da.sum(a, axis=axis, keepdims=True),
        inv=inv, det=not_chunked("det"), logdet=not_chunked("logdet"),
    )
    # the functions NumPy has no name for run blockwise with the NumPy kernel
    functions = _functions("dask", da, **{name: _blockwise(da, fn)
                                          for name, fn in natives("numpy").items()})
    return Namespace("dask", da, asarray, functions, ops)


def _torch_namespace() -> Namespace:
    import torch

    def tensor(v, like):
        return v if isinstance(v, torch.Tensor) else \
            torch.as_tensor(v, dtype=like.dtype, device=like.device)

    # NumPy's spellings torch lacks (a scalar operand, ``power``); the rest are torch's own
    functions = _functions(
        "torch", torch,
        logaddexp=lambda a, b: torch.logaddexp(tensor(a, b), tensor(b, a)),
        maximum=lambda a, b: torch.clamp(a, min=b) if not isinstance(b, torch.Tensor)
        else torch.maximum(a, b),
        power=torch.pow)

    def asarray(v, dtype):
        if isinstance(v, torch.Tensor):
            return v
        v = np.asarray(v)
        return torch.as_tensor(v if v.flags.writeable else v.copy())  # torch needs writable

    def strided(out, shape, steps):
        return out.as_strided(shape, steps)

    def zeros(shape, dtype=None):
        return torch.zeros(shape, dtype=getattr(torch, np.dtype(dtype or "float64").name))

    ops = SimpleNamespace(
        zeros=zeros, broadcast_to=torch.broadcast_to, reshape=torch.reshape,
        transpose=lambda a, axes: a.permute(*axes),
        write_diagonal=_strided_write_diagonal(  # on the device of the value written
            torch, strided, lambda shape, res: torch.zeros(shape, dtype=res.dtype, device=res.device)),
        amax=lambda a, axis: torch.amax(a, dim=axis, keepdim=True),
        sum=lambda a, axis: torch.sum(a, dim=axis, keepdim=True),
        inv=torch.linalg.inv, det=torch.linalg.det, logdet=lambda a: torch.linalg.slogdet(a)[1],
    )
    return Namespace("torch", torch, asarray, functions, ops)


#: backend name -> (module that must import, pip extra to suggest, namespace factory)
BACKENDS: dict[str, tuple[str, str, Callable[[], Namespace]]] = {
    "numpy": ("numpy", "", _numpy_namespace),
    "jax": ("jax", "jax", _jax_namespace),
    "torch": ("torch", "torch", _torch_namespace),
    "cupy": ("cupy", "cupy", _cupy_namespace),
    "dask": ("dask.array", "dask", _dask_namespace),
}

_LOADED: dict[str, Namespace] = {}


def namespace(name: Any) -> Namespace:
    """The :class:`Namespace` of backend ``name``, importing its library on first use.

    Raises:
        IndexcalcError: ``name`` is no backend (the message lists them), or its library is not
            installed (the message says what to install).

    Examples:
        >>> namespace("numpy").name
        'numpy'
        >>> namespace("tensorflow")
        Traceback (most recent call last):
        ...
        indexcalc.errors.IndexcalcError: unknown backend 'tensorflow'; valid: numpy, jax, torch, cupy, dask
    """
    if not isinstance(name, str) or name not in BACKENDS:
        raise IndexcalcError(f"unknown backend {name!r}; valid: {', '.join(BACKENDS)}")
    if name in _LOADED:
        return _LOADED[name]
    module, extra, factory = BACKENDS[name]
    try:
        importlib.import_module(module)
    except ImportError:
        install = f"pip install indexcalc[{extra}]" if extra != "cupy" else \
            "pip install cupy (the build for your CUDA version, e.g. cupy-cuda12x)"
        raise IndexcalcError(f"backend {name!r} needs the {module.split('.')[0]!r} package, "
                             f"which is not installed: {install}") from None
    _LOADED[name] = ns = factory()
    return ns
