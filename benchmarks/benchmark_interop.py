"""Benchmark: indexcalc's exported backward and structure queries against PyTorch and JAX.

Four workloads at two sizes each, float64, one table (milliseconds, best of several runs after a
warm-up; lower is better):

* **einsum chain** ``ij,jk,kl->il``: forward + backward of ``Σ out ⊙ R``. indexcalc:
  ``ic.einsum_function`` (torch) and ``ic.to_jax`` under ``jax.jit``; against ``torch.einsum``
  with torch's autograd and ``jax.jit(jax.grad)`` of ``jnp.einsum``.
* **attention** ``softmax(QKᵀ/√d) V``: the same, all three inputs' gradients.
* **Hessian diagonal** of the logistic loss: ``ic.hessian_diagonal`` compiled for torch and (jit)
  for jax, against ``torch.diag(torch.func.hessian(f))`` and ``jnp.diag(jax.hessian(f))``.
* **HVP** of the logistic loss: ``ic.hvp`` compiled, against ``torch.func.jvp`` of
  ``torch.func.grad`` and ``jax.jvp`` of ``jax.grad`` (jit).

Run ``python benchmarks/benchmark_interop.py`` (``--quick`` for small sizes and one run each: a
smoke test). Needs torch and jax (``pip install -e '.[torch,jax]'``); a missing one's columns
print as ``n/a``.
"""

from __future__ import annotations

import importlib.util
import math
import sys
import time

import numpy as np

import indexcalc as ic

QUICK = "--quick" in sys.argv
HAS_TORCH = importlib.util.find_spec("torch") is not None
HAS_JAX = importlib.util.find_spec("jax") is not None
if HAS_TORCH:
    import torch
    torch.set_num_threads(1)  # a shared machine: two spinning OpenMP threads stall each other
if HAS_JAX:
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)

RUNS = 1 if QUICK else 7


def best_ms(fn) -> float:
    fn()  # warm-up: plans, traces, compiles
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1e3 * min(times)


def block(x):
    """Wait for JAX's asynchronous dispatch (a tuple of arrays or one)."""
    for a in x if isinstance(x, tuple) else (x,):
        a.block_until_ready()
    return x


def arrays(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) / math.sqrt(s[-1]) for s in shapes]


# --------------------------------------------------------------------------- exported backward

def exported_rows(name, expr, inputs, reference_torch, reference_jax, shapes):
    """(indexcalc torch, torch autograd, indexcalc jax, jax grad) for forward + backward."""
    vals = arrays(shapes)
    R = np.random.default_rng(9).standard_normal(
        np.broadcast_shapes(reference_numpy_shape(expr, inputs, shapes)))
    out = []
    if HAS_TORCH:
        fn = ic.to_torch(expr, *inputs)
        ts = [torch.tensor(v, requires_grad=True) for v in vals]
        tR = torch.tensor(R)

        def run(f):
            def step():
                for t in ts:
                    t.grad = None
                (f(*ts) * tR).sum().backward()
            return step
        out += [best_ms(run(fn)), best_ms(run(reference_torch))]
    else:
        out += [None, None]
    if HAS_JAX:
        fn = ic.to_jax(expr, *inputs)
        js = [jnp.asarray(v) for v in vals]
        jR = jnp.asarray(R)
        argnums = tuple(range(len(js)))

        def grad_of(f):
            g = jax.jit(jax.grad(lambda *a: jnp.sum(f(*a) * jR), argnums=argnums))
            return lambda: block(g(*js))
        out += [best_ms(grad_of(fn)), best_ms(grad_of(reference_jax))]
    else:
        out += [None, None]
    return out


def reference_numpy_shape(expr, inputs, shapes):
    return ic.evaluate(expr, **{t.name: np.zeros(s) for t, s in zip(inputs, shapes)}).shape


def chain(n):
    A, B, C = ic.tensors("A[i,j] B[j,k] C[k,l]")
    return (ic.einsum("ij,jk,kl->il", A, B, C), (A, B, C),
            lambda a, b, c: (torch.einsum("ij,jk,kl->il", a, b, c)),
            lambda a, b, c: jnp.einsum("ij,jk,kl->il", a, b, c),
            [(n, n // 2), (n // 2, n), (n, n // 4)])


def attention(t, d):
    Q, K, V = ic.tensors("Q[t,d] K[s,d] V[s,v]")
    scale = 1.0 / math.sqrt(d)
    return (ic.softmax(Q @ K.T * scale, axis=1) @ V, (Q, K, V),
            lambda q, k, v: torch.softmax(q @ k.T * scale, dim=1) @ v,
            lambda q, k, v: jax.nn.softmax(q @ k.T * scale, axis=1) @ v,
            [(t, d), (t, d), (t, d)])


# --------------------------------------------------------------------------- structure queries

def logistic():
    X, y, w = ic.tensors("X[n,d] y[n] w[d]")
    return ic.sum(ic.log(1 + ic.exp(-y * (X @ w)))), X, y, w


def structure_rows(query, n, d):
    f, X, y, w = logistic()
    v = ic.Tensor("v", ("d",))
    rng = np.random.default_rng(1)
    vals = {"X": rng.standard_normal((n, d)) / math.sqrt(d), "y": rng.choice([-1.0, 1.0], n),
            "w": rng.standard_normal(d), "v": rng.standard_normal(d)}
    expr = ic.hessian_diagonal(f, w) if query == "diag" else ic.hvp(f, w, v)
    out = []
    if HAS_TORCH:
        tv = {k: torch.tensor(a) for k, a in vals.items()}
        mine = ic.compile(expr, backend="torch")

        def loss(wt):
            return torch.nn.functional.softplus(-tv["y"] * (tv["X"] @ wt)).sum()
        if query == "diag":
            def theirs():
                return torch.diag(torch.func.hessian(loss)(tv["w"]))
        else:
            def theirs():
                return torch.func.jvp(torch.func.grad(loss), (tv["w"],), (tv["v"],))[1]
        check(mine(**tv).numpy(), theirs().numpy(), query)
        out += [best_ms(lambda: mine(**tv)), best_ms(theirs)]
    else:
        out += [None, None]
    if HAS_JAX:
        jv = {k: jnp.asarray(a) for k, a in vals.items()}
        names = sorted(jv)
        mine_c = ic.compile(expr, backend="jax")
        mine = jax.jit(lambda *a: mine_c(**dict(zip(names, a))))

        def loss(wj):
            return jnp.sum(jnp.logaddexp(0.0, -jv["y"] * (jv["X"] @ wj)))
        if query == "diag":
            theirs = jax.jit(lambda wj: jnp.diag(jax.hessian(loss)(wj)))
            args = (jv["w"],)
        else:
            theirs = jax.jit(lambda wj, vj: jax.jvp(jax.grad(loss), (wj,), (vj,))[1])
            args = (jv["w"], jv["v"])
        check(np.asarray(mine(*[jv[k] for k in names])), np.asarray(theirs(*args)), query)
        out += [best_ms(lambda: block(mine(*[jv[k] for k in names]))),
                best_ms(lambda: block(theirs(*args)))]
    else:
        out += [None, None]
    return out


def check(a, b, what):
    if not np.allclose(a, b, rtol=1e-8, atol=1e-10):
        raise SystemExit(f"{what}: indexcalc and the reference disagree")


# --------------------------------------------------------------------------- table

def main():
    if QUICK:
        sizes = {"chain": [16], "attention": [(8, 4)], "logistic": [(20, 5)]}
    else:
        sizes = {"chain": [128, 512], "attention": [(128, 32), (512, 64)],
                 "logistic": [(500, 100), (2000, 500)]}
    rows = []
    for n in sizes["chain"]:
        expr, inputs, rt, rj, shapes = chain(n)
        rows.append(("einsum chain fwd+bwd", f"n={n}",
                     exported_rows("chain", expr, inputs, rt, rj, shapes)))
    for t, d in sizes["attention"]:
        expr, inputs, rt, rj, shapes = attention(t, d)
        rows.append(("attention fwd+bwd", f"T={t}, d={d}",
                     exported_rows("attention", expr, inputs, rt, rj, shapes)))
    for n, d in sizes["logistic"]:
        rows.append(("Hessian diagonal", f"n={n}, d={d}", structure_rows("diag", n, d)))
    for n, d in sizes["logistic"]:
        rows.append(("HVP", f"n={n}, d={d}", structure_rows("hvp", n, d)))

    head = ("workload", "size", "ic→torch", "torch", "ic→jax", "jax")
    cells = [head] + [(w, s, *("n/a" if x is None else f"{x:.2f}" for x in t)) for w, s, t in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(head))]
    print("milliseconds, best of", RUNS, "(float64)")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(head, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for c in cells[1:]:
        print("| " + " | ".join(x.ljust(w) for x, w in zip(c, widths)) + " |")


if __name__ == "__main__":
    main()
