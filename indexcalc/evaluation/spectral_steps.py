"""Evaluation of :class:`~indexcalc.core.nodes.Decomposition` parts, on every backend.

The parts of one ``(kind, argument)`` share one decomposition per run: the first part's step
decomposes and keeps the result in the program's per-run memo (``Context.shared``, cleared when a
run starts and ends), the others read it. NumPy, JAX (``jax.numpy.linalg``), PyTorch
(``torch.linalg``) and CuPy decompose with their own ``eigh``/``svd``; dask decomposes each matrix
whole in one block with NumPy (as its ``inv`` does) into one packed array the parts slice.

Refusals (``IndexcalcError``, never NaN or inf): ``eigh`` of a matrix that is not symmetric;
the gap matrix of repeated eigenvalues (singular values), which the eigenvector (singular vector)
derivatives need; ``1/s`` of a zero singular value, which a non-square matrix's singular vector
derivatives need. Values inside a ``jax.jit`` trace cannot be inspected: there the checks are
skipped.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..core.nodes import Decomposition
from ..errors import IndexcalcError

#: relative size below which two eigenvalues (singular values) count as one, or a singular
#: value as zero; and the asymmetry ``max|A − Aᵀ| / max|A|`` above which eigh refuses a matrix
DEGENERATE = 1e-10
ASYMMETRY = 1.5e-8


# --------------------------------------------------------------------------- checks (NumPy)

def _check_symmetric(a: np.ndarray) -> None:
    with np.errstate(invalid="ignore"):  # inf − inf: NaN, left to the decomposition to refuse
        scale = float(np.max(np.abs(a))) if a.size else 0.0
        gap = float(np.max(np.abs(a - np.swapaxes(a, -1, -2)))) if a.size else 0.0
    if gap > ASYMMETRY * scale:
        raise IndexcalcError(
            f"eigh: the matrix is not symmetric (largest |A − Aᵀ| = {gap:.3g}, largest |A| = "
            f"{scale:.3g}); eigh reads symmetric matrices only: pass (A + A.T) / 2, or declare "
            "the variable with symmetric=True and bind a symmetric value")


def _check_finite(kind: str, a: np.ndarray) -> None:
    """LAPACK returns NaN for some non-finite inputs and refuses others: refuse them all."""
    if not np.all(np.isfinite(a)):
        raise IndexcalcError(f"{kind}: the decomposition failed at these values: the matrix has "
                             "NaN or infinite entries")


def _check_gaps(d: np.ndarray, scale: np.ndarray, what: str) -> None:
    n = d.shape[-1]
    if n < 2 or d.size == 0:
        return
    off = ~np.eye(n, dtype=bool)
    close = np.abs(d) <= DEGENERATE * np.maximum(scale, np.finfo(np.float64).tiny)[..., None, None]
    if np.any(close & off):
        raise IndexcalcError(
            f"{what}: repeated {'eigenvalues' if what == 'eigh' else 'singular values'} at these "
            f"values; the derivative of the {'eigenvectors' if what == 'eigh' else 'singular vectors'}"
            " does not exist there (differentiate a function of the whole eigenspace instead, "
            "e.g. V diag(f(λ)) Vᵀ, or perturb the matrix)")


def _check_nonzero(s: np.ndarray) -> None:
    if s.size == 0:
        return
    top = np.max(s, axis=-1, keepdims=True)
    if np.any(s <= DEGENERATE * np.maximum(top, np.finfo(np.float64).tiny)):
        raise IndexcalcError(
            "svd: a zero singular value at these values; the derivative of the singular vectors "
            "of a non-square matrix divides by it and does not exist there (the matrix is rank "
            "deficient)")


def _concrete(x: Any) -> np.ndarray | None:
    """``x`` as a NumPy array, or None when its value cannot be read now (a JAX tracer)."""
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "detach"):  # torch
        return x.detach().cpu().numpy()
    if hasattr(x, "get") and type(x).__module__.startswith("cupy"):
        return x.get()
    try:
        return np.asarray(x)
    except Exception:  # a tracer inside jax.jit: nothing to check
        return None


# --------------------------------------------------------------------------- derived parts

def _eigh_gaps(w: Any, xp: Any) -> Any:
    """``F[i,j] = 1/(λ_j − λ_i)`` off the diagonal, 0 on it."""
    d = w[..., None, :] - w[..., :, None]
    values = _concrete(w)
    if values is not None and values.shape[-1] > 1 and values.size:
        _check_gaps(_concrete(d), np.max(np.abs(values), axis=-1), "eigh")
    return _off_diagonal_reciprocal(d, xp)


def _svd_gaps(s: Any, xp: Any) -> Any:
    """``F[i,j] = 1/(s_j² − s_i²)`` off the diagonal, 0 on it."""
    s2 = s * s
    d = s2[..., None, :] - s2[..., :, None]
    values = _concrete(s2)
    if values is not None and values.shape[-1] > 1 and values.size:
        _check_gaps(_concrete(d), np.max(values, axis=-1), "svd")
    return _off_diagonal_reciprocal(d, xp)


def _off_diagonal_reciprocal(d: Any, xp: Any) -> Any:
    n = d.shape[-1]
    eye = xp.eye(n, dtype=d.dtype)
    return (1 - eye) / (d + eye)


def _inv_s(s: Any, xp: Any) -> Any:
    values = _concrete(s)
    if values is not None:
        _check_nonzero(values)
    return 1 / s


def _part(kind: str, part: str, parts: dict, xp: Any) -> Any:
    """One part from the decomposition's ``parts`` (``values``/``vectors`` or ``U``/``s``/``Vh``)."""
    if part == "gaps":
        return _eigh_gaps(parts["values"], xp) if kind == "eigh" else _svd_gaps(parts["s"], xp)
    if part == "inv_s":
        return _inv_s(parts["s"], xp)
    return parts[part]


# --------------------------------------------------------------------------- decompositions

#: the parts that need the vectors: without them a program calls eigvalsh (svd without U, V)
VECTOR_PARTS = frozenset({"vectors", "U", "Vh"})


def _numpy_decompose(kind: str, a: np.ndarray, vectors: bool = True) -> dict:
    _check_finite(kind, a)
    try:
        if kind == "eigh":
            _check_symmetric(a)
            sym = (a + np.swapaxes(a, -1, -2)) / 2
            if not vectors:
                return {"values": np.linalg.eigvalsh(sym)}
            w, v = np.linalg.eigh(sym)
            return {"values": w, "vectors": v}
        if not vectors:
            return {"s": np.linalg.svd(a, compute_uv=False)}
        u, s, vh = np.linalg.svd(a, full_matrices=False)
        return {"U": u, "s": s, "Vh": vh}
    except np.linalg.LinAlgError as e:
        raise IndexcalcError(f"{kind}: the decomposition failed at these values ({e})") from None


def numpy_part(kind: str, part: str, a: np.ndarray) -> np.ndarray:
    """One part of the decomposition of ``a`` with NumPy (what code generation calls too)."""
    return _part(kind, part, _numpy_decompose(kind, a), np)


def _library_decompose(linalg: Any, transpose: Callable) -> Callable:
    """The decomposition with a library's ``eigh``/``svd`` (jax.numpy, torch, cupy)."""
    def svdvals(a):
        own = getattr(linalg, "svdvals", None)
        return own(a) if own is not None else linalg.svd(a, compute_uv=False)

    def decompose(kind: str, a: Any, vectors: bool = True) -> dict:
        value = _concrete(a)
        if value is not None:
            _check_finite(kind, value)
        if kind == "eigh" and value is not None:
            _check_symmetric(value)
        try:
            if kind == "eigh" and not vectors:
                return {"values": linalg.eigvalsh((a + transpose(a)) / 2)}
            if kind == "eigh":
                w, v = linalg.eigh((a + transpose(a)) / 2)
                return {"values": w, "vectors": v}
            if not vectors:
                return {"s": svdvals(a)}
            u, s, vh = linalg.svd(a, full_matrices=False)
        except Exception as e:  # torch's LinAlgError (a RuntimeError), cupy's, …
            raise IndexcalcError(f"{kind}: the decomposition failed at these values "
                                 f"({type(e).__name__}: {str(e)[:200]})") from None
        return {"U": u, "s": s, "Vh": vh}
    return decompose


def _decomposer(backend: str) -> Callable:
    if backend == "numpy":
        return _numpy_decompose
    if backend == "jax":
        import jax.numpy as jnp
        return _library_decompose(jnp.linalg, lambda a: jnp.swapaxes(a, -1, -2))
    if backend == "torch":
        import torch
        return _library_decompose(torch.linalg, lambda a: a.transpose(-1, -2))
    if backend == "cupy":
        import cupy
        return _library_decompose(cupy.linalg, lambda a: cupy.swapaxes(a, -1, -2))
    raise IndexcalcError(f"internal: no decomposition for backend {backend!r}")


# --------------------------------------------------------------------------- dask: packed

def _pack(kind: str, a: np.ndarray) -> np.ndarray:
    """All of one block's decomposition in one array: eigh ``[V; λ]`` (n+1 × n), svd
    ``[U; s; Vhᵀ]`` (m+1+n × k)."""
    p = _numpy_decompose(kind, a)
    if kind == "eigh":
        return np.concatenate([p["vectors"], p["values"][..., None, :]], axis=-2)
    return np.concatenate([p["U"], p["s"][..., None, :], np.swapaxes(p["Vh"], -1, -2)], axis=-2)


def _unpack(kind: str, packed: np.ndarray, rows: int) -> dict:
    if kind == "eigh":
        return {"vectors": packed[..., :-1, :], "values": packed[..., -1, :]}
    return {"U": packed[..., :rows, :], "s": packed[..., rows, :],
            "Vh": np.swapaxes(packed[..., rows + 1:, :], -1, -2)}


def _dask_step(node: Decomposition, ctx: Any) -> Callable:
    """Each matrix whole in one block, decomposed by NumPy into the packed array (once per run
    and argument), the part unpacked from it block by block."""
    kind, part = node.kind, node.part
    m, n = ctx.shape(node.arg)[-2:]
    packed_rows = n + 1 if kind == "eigh" else m + n + 1
    shape = ctx.shape(node)
    key = ("dask", kind, id(node.arg))

    def run(a):
        entry = ctx.shared.get(key)
        if entry is None or entry[0] is not a:
            whole = a.rechunk({a.ndim - 2: -1, a.ndim - 1: -1})
            chunks = whole.chunks[:-2] + ((packed_rows,), (min(m, n),))
            entry = (a, whole.map_blocks(lambda b: _pack(kind, b), dtype=a.dtype, chunks=chunks))
            ctx.shared[key] = entry
        packed = entry[1]
        lead = packed.chunks[:-2]
        chunks = lead + tuple((d,) for d in shape[len(lead):])
        drop = (packed.ndim - 1,) if len(shape) == packed.ndim - 1 else ()
        return packed.map_blocks(lambda b: _part(kind, part, _unpack(kind, b, m), np),
                                 dtype=a.dtype, chunks=chunks, drop_axis=drop)
    return run


# --------------------------------------------------------------------------- the step

def decomposition_step(node: Decomposition, ctx: Any) -> Callable:
    """The step of one part: decompose (once per run for all parts of the argument), pick.

    Each part's builder records its part in ``ctx.parts_used``; by the first run every part of the
    program has, so a program that needs no vectors asks for the values alone (``eigvalsh``,
    ``svd(compute_uv=False)``). A folded constant decomposed before a later part asked for the
    vectors is decomposed again, in full."""
    if ctx.ns.name == "dask":
        return _dask_step(node, ctx)
    decompose, xp = _decomposer(ctx.ns.name), ctx.ns.xp
    kind, part, key = node.kind, node.part, (node.kind, id(node.arg))
    used = ctx.parts_used.setdefault(key, set())
    used.add(part)
    need = "vectors" if kind == "eigh" else "U"

    def run(a):
        entry = ctx.shared.get(key)
        if entry is None or entry[0] is not a or (part in VECTOR_PARTS and need not in entry[1]):
            entry = (a, decompose(kind, a, vectors=bool(used & VECTOR_PARTS)))
            ctx.shared[key] = entry
        return _part(kind, part, entry[1], xp)
    return run
