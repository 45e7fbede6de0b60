"""The workloads of the indexcalc benchmark (issue 6, item 2), as one table of records.

Each workload is written once, generically over an array namespace ``ops`` (``sum``, ``tanh``,
``softplus``), so the very same function is what JAX and ``torch.func`` differentiate, what
indexcalc builds its expression from, and what the tests difference numerically. Next to it sits
the hand-written NumPy closed form of the derivative: the best matrix formula, the yardstick every
other column is divided by.

Shapes follow the indexcalc convention: the derivative of ``f`` by ``x`` has shape
``f.shape + x.shape`` (output axes first, like ``jax.jacobian``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Callable, Mapping

import numpy as np

#: Number of unrolled time steps of the RNN in workload (e).
RNN_STEPS = 50

#: The NumPy array namespace the generic workload functions use in tests and finite differences.
NUMPY_OPS = SimpleNamespace(sum=np.sum, tanh=np.tanh, softplus=lambda z: np.logaddexp(0.0, z))


@dataclass(frozen=True)
class Workload:
    """One benchmark workload: a function, the variable to differentiate by, and its closed form.

    Attributes:
        key: short name used on the command line (``--only a,c1``).
        title: one-line description printed in the table legend.
        mode: ``"grad"`` (scalar by tensor), ``"jacobian"`` (full derivative tensor) or
            ``"hessian"``; selects ``ic.grad``/``ic.diff``/``ic.hessian`` and the framework
            transform.
        wrt: name of the input to differentiate by.
        shapes: input name -> dimension names, e.g. ``{"X": ("n", "d")}``.
        sizes: dimension name -> size for the full benchmark.
        quick_sizes: dimension name -> size for ``--quick`` runs and tests.
        function: ``function(ops, **inputs)``, the expression as a user writes it.
        closed_form: ``closed_form(**inputs)``, the hand-written NumPy derivative.
        binary: inputs drawn from {0, 1} (labels) instead of a normal distribution.
    """

    key: str
    title: str
    mode: str
    wrt: str
    shapes: Mapping[str, tuple[str, ...]]
    sizes: Mapping[str, int]
    quick_sizes: Mapping[str, int]
    function: Callable
    closed_form: Callable[..., np.ndarray]
    binary: tuple[str, ...] = field(default=())

    def shape_of(self, name: str, sizes: Mapping[str, int]) -> tuple[int, ...]:
        """The concrete shape of input ``name`` under ``sizes``."""
        return tuple(sizes[dim] for dim in self.shapes[name])


def random_inputs(workload: Workload, sizes: Mapping[str, int], seed: int = 0) -> dict:
    """Seeded float64 inputs for ``workload``.

    Matrices are scaled by ``1/sqrt(rows)`` so that products such as ``B @ x`` or ``h @ W_hh``
    stay of order one: the nonlinearities are then neither saturated nor linear, and the
    derivatives are numerically meaningful at every size.

    Args:
        workload: the workload whose ``shapes`` describe the inputs.
        sizes: dimension name -> size.
        seed: seed of ``numpy.random.default_rng``.

    Returns:
        dict mapping each input name to a C-contiguous float64 array.
    """
    rng = np.random.default_rng(seed)
    inputs = {}
    for name in workload.shapes:
        shape = workload.shape_of(name, sizes)
        if name in workload.binary:
            inputs[name] = rng.integers(0, 2, size=shape).astype(np.float64)
            continue
        array = rng.standard_normal(shape)
        inputs[name] = array / np.sqrt(shape[0]) if len(shape) >= 2 else array
    return inputs


# --- the functions, as a user writes them --------------------------------------------------------


def least_squares(ops, X, W, v, y):
    """(a) ``0.5*sum(((X@W)@v - y)**2)``, in the costly order (an n×h intermediate)."""
    return 0.5 * ops.sum(((X @ W) @ v - y) ** 2)


def linear_map(ops, X, W):
    """(b1) ``X @ W``."""
    return X @ W


def rnn_cell(ops, W_hx, W_hh, e, h0):
    """(b2) one tanh RNN step ``tanh(W_hx.T@e + W_hh.T@h0)``."""
    return ops.tanh(W_hx.T @ e + W_hh.T @ h0)


def quadratic_softplus(ops, x, A, B):
    """(c1) ``x@A@x + sum(softplus(B@x))``."""
    return x @ A @ x + ops.sum(ops.softplus(B @ x))


def logistic_loss(ops, w, X, y):
    """(c2) the logistic loss ``sum(softplus(X@w)) - y@(X@w)``."""
    return ops.sum(ops.softplus(X @ w)) - y @ (X @ w)


def sum_of_squares(ops, X, W):
    """(d) ``sum((X@W)**2)``."""
    return ops.sum((X @ W) ** 2)


def rnn_loss(ops, W_hh, W_hx, h0, y, **xs):
    """(e) ``0.5*||h_T - y||²`` after ``RNN_STEPS`` steps ``h_t = tanh(x_t@W_hx + h_{t-1}@W_hh)``.

    A batch of sequences, one row each (``x_t`` is batch × inputs); the loss sees the last state.
    """
    h = h0
    for t in range(RNN_STEPS):
        h = ops.tanh(xs[f"x{t}"] @ W_hx + h @ W_hh)
    return 0.5 * ops.sum((h - y) ** 2)


# --- the hand-written closed forms ---------------------------------------------------------------


def sigmoid_prime(z: np.ndarray) -> np.ndarray:
    """σ'(z) = σ(z)(1 − σ(z)) = exp(−softplus(z) − softplus(−z)): finite and exact at |z| = 1000."""
    return np.exp(-np.logaddexp(0.0, z) - np.logaddexp(0.0, -z))


def least_squares_grad(X, W, v, y):
    """(a) ``Xᵀ (X (W v) − y) vᵀ``: matrix-vector products only."""
    return np.outer(X.T @ (X @ (W @ v) - y), v)


def linear_map_jacobian(X, W):
    """(b1) ``D[n,h,d,k] = X[n,d] δ[h,k]`` written through a strided view of the h-diagonal."""
    n, d = X.shape
    h = W.shape[1]
    out = np.zeros((n, h, d, h))
    np.einsum("nhdh->nhd", out)[...] = X[:, None, :]
    return out


def rnn_cell_jacobian(W_hx, W_hh, e, h0):
    """(b2) ``D[a,b,c] = (1 − h²)[a] e[b] δ[a,c]`` written through a strided diagonal view."""
    h = np.tanh(W_hx.T @ e + W_hh.T @ h0)
    out = np.zeros((h.size, e.size, h.size))
    np.einsum("aba->ab", out)[...] = np.outer(1.0 - h * h, e)
    return out


def quadratic_softplus_hessian(x, A, B):
    """(c1) ``A + Aᵀ + Bᵀ diag(σ'(Bx)) B``."""
    d = sigmoid_prime(B @ x)
    return A + A.T + B.T @ (d[:, None] * B)


def logistic_loss_hessian(w, X, y):
    """(c2) ``Xᵀ diag(σ'(Xw)) X``."""
    d = sigmoid_prime(X @ w)
    return X.T @ (d[:, None] * X)


def sum_of_squares_hessian(X, W):
    """(d) ``H[d,h,e,k] = 2 (XᵀX)[d,e] δ[h,k]`` written through a strided diagonal view."""
    d, h = W.shape
    out = np.zeros((d, h, d, h))
    np.einsum("ahbh->abh", out)[...] = 2.0 * (X.T @ X)[:, :, None]
    return out


def rnn_loss_grad(W_hh, W_hx, h0, y, **xs):
    """(e) backpropagation through time: one forward sweep, one backward sweep."""
    states = [h0]
    for t in range(RNN_STEPS):
        states.append(np.tanh(xs[f"x{t}"] @ W_hx + states[-1] @ W_hh))
    cotangent = states[-1] - y
    grad = np.zeros_like(W_hh)
    for t in range(RNN_STEPS, 0, -1):
        pre = cotangent * (1.0 - states[t] ** 2)
        grad += states[t - 1].T @ pre
        if t > 1:
            cotangent = pre @ W_hh.T
    return grad


WORKLOADS: tuple[Workload, ...] = (
    Workload(
        "a", "grad of 0.5*sum(((X@W)@v - y)**2) by W", "grad", "W",
        {"X": ("n", "d"), "W": ("d", "h"), "v": ("h",), "y": ("n",)},
        {"n": 2000, "d": 500, "h": 300}, {"n": 7, "d": 5, "h": 4},
        least_squares, least_squares_grad,
    ),
    Workload(
        "b1", "d(X@W)/dW in full, order 4", "jacobian", "W",
        {"X": ("n", "d"), "W": ("d", "h")},
        {"n": 200, "d": 50, "h": 40}, {"n": 6, "d": 4, "h": 3},
        linear_map, linear_map_jacobian,
    ),
    Workload(
        "b2", "dh/dW_hx in full, h = tanh(W_hx.T@e + W_hh.T@h0)", "jacobian", "W_hx",
        {"W_hx": ("i", "h"), "W_hh": ("h", "h"), "e": ("i",), "h0": ("h",)},
        {"i": 200, "h": 200}, {"i": 4, "h": 5},
        rnn_cell, rnn_cell_jacobian,
    ),
    Workload(
        "c1", "Hessian of x@A@x + sum(softplus(B@x))", "hessian", "x",
        {"x": ("n",), "A": ("n", "n"), "B": ("m", "n")},
        {"n": 1000, "m": 2000}, {"n": 5, "m": 7},
        quadratic_softplus, quadratic_softplus_hessian,
    ),
    Workload(
        "c2", "Hessian of sum(softplus(X@w)) - y@(X@w)", "hessian", "w",
        {"w": ("d",), "X": ("n", "d"), "y": ("n",)},
        {"n": 5000, "d": 500}, {"n": 9, "d": 4},
        logistic_loss, logistic_loss_hessian, binary=("y",),
    ),
    Workload(
        "d", "Hessian of sum((X@W)**2) by W in full, order 4", "hessian", "W",
        {"X": ("n", "d"), "W": ("d", "h")},
        {"n": 200, "d": 40, "h": 30}, {"n": 6, "d": 3, "h": 2},
        sum_of_squares, sum_of_squares_hessian,
    ),
    Workload(
        "e", f"grad by W_hh of a loss through a {RNN_STEPS}-step tanh RNN", "grad", "W_hh",
        {"W_hh": ("h", "h"), "W_hx": ("i", "h"), "h0": ("b", "h"), "y": ("b", "h"),
         **{f"x{t}": ("b", "i") for t in range(RNN_STEPS)}},
        {"b": 64, "i": 64, "h": 256}, {"b": 3, "i": 2, "h": 4},
        rnn_loss, rnn_loss_grad,
    ),
)


def select(keys: str | None) -> tuple[Workload, ...]:
    """The workloads named in a comma-separated ``keys`` string (all of them for ``None``).

    Raises:
        ValueError: a key names no workload (the message lists the valid keys).
    """
    if not keys:
        return WORKLOADS
    by_key = {w.key: w for w in WORKLOADS}
    wanted = [k.strip() for k in keys.split(",") if k.strip()]
    unknown = [k for k in wanted if k not in by_key]
    if unknown:
        raise ValueError(f"unknown workload(s) {', '.join(unknown)}; valid: {', '.join(by_key)}")
    return tuple(by_key[k] for k in wanted)
