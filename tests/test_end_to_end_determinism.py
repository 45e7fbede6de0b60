"""Determinism: the same input prints the same forms and plans the same way in every process.

A script builds expressions (hand-written ones and fuzz-generated graphs with their
derivatives) and prints ``str``, ``to_latex``, ``to_matrix`` and the plan of each; two
subprocesses with different ``PYTHONHASHSEED`` (so set and dict-of-object orders differ) must
print exactly the same text.
"""

import os
import subprocess
import sys
import textwrap

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SCRIPT = textwrap.dedent("""
    import sys
    sys.path.insert(0, "tests")
    import indexcalc as ic
    import fuzz_expressions as fz

    def show(e, **sizes):
        print(str(e))
        print(ic.to_latex(e))
        try:
            print(ic.to_matrix(e))
        except ic.LayoutError as err:
            print("LayoutError", err)
        print(ic.plan(e, **sizes))

    X, W, v, y, S = ic.tensors("X[n,d] W[d,h] v[h] y[n] S[d,d]")
    loss = 0.5 * ic.sum((X @ W @ v - y) ** 2)
    sizes = dict(n=5, d=3, h=4)
    for e in [loss, ic.grad(loss, W), ic.hessian(loss, v), ic.diff(ic.tanh(X @ W), W),
              ic.grad(ic.logdet(S) + ic.sum(ic.softmax(X @ W) * ic.log_softmax(X @ W)), S)]:
        show(e, **sizes)
    for seed in range(40):
        f, base, rng = fz.case(seed)
        from indexcalc.core.graph_walk import tensors_of
        for t in tensors_of(f.expr)[:1]:
            d = ic.diff(f.expr, t)
            print(seed, str(f.expr))
            print(seed, str(d))
            print(ic.plan(d, **fz.SIZES))
""")


def _run(hashseed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hashseed, "PYTHONPATH": ROOT}
    res = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout


def test_printed_forms_and_plans_do_not_depend_on_the_hash_seed():
    a, b = _run("1"), _run("4242")
    assert len(a) > 10_000
    if a != b:
        diff = next(i for i, (p, q) in enumerate(zip(a.splitlines(), b.splitlines())) if p != q)
        raise AssertionError(f"line {diff} differs:\n{a.splitlines()[diff]}\n{b.splitlines()[diff]}")
