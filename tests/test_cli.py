"""The indexcalc command line, run as a subprocess (and in-process for the table of bad inputs)."""

import inspect
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import indexcalc as ic
from indexcalc.cli import main

ROOT = pathlib.Path(__file__).resolve().parents[1]
LSQ = ["0.5*sum((X@W@v - y)**2)", "--wrt", "W", "--shape", "X=n d", "--shape", "W=d h",
       "--shape", "v=h", "--shape", "y[n]"]
X, W, v, y = ic.tensors("X[n,d] W[d,h] v[h] y[n]")
LSQ_GRAD = ic.grad(0.5 * ic.sum((X @ W @ v - y) ** 2), W)


def run(*argv):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "indexcalc", *argv], capture_output=True,
                          text=True, encoding="utf-8", env=env, cwd=ROOT, timeout=120)


def test_diff_prints_the_index_notation():
    r = run("diff", *LSQ)
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout.strip() == str(LSQ_GRAD)


def test_python_format_runs_and_check_says_ok():
    r = run("diff", *LSQ, "--format", "python", "--check")
    assert r.returncode == 0, r.stderr
    src, _, verdict = r.stdout.rpartition("check: ")
    assert verdict.startswith("max relative error")
    assert verdict.strip().endswith("(n=2, d=3, h=4): OK")
    namespace = {}
    exec(src, namespace)
    rng = np.random.default_rng(1)
    vals = {"X": rng.normal(size=(2, 3)), "W": rng.normal(size=(3, 4)), "v": rng.normal(size=4),
            "y": rng.normal(size=2)}
    want = ic.evaluate(LSQ_GRAD, **vals)
    np.testing.assert_allclose(namespace["d_by_W"](**vals), want, rtol=1e-12)


def test_check_fail_exits_1():
    # sin(1e6 x) turns by more than a radian over the finite-difference step: FD cannot follow
    r = run("diff", "sum(sin(1000000*x[i]))", "--wrt", "x", "--check")
    assert r.returncode == 1 and r.stderr == ""
    assert r.stdout.splitlines()[-1].startswith("check: FAIL (i=2)")


def test_json_format():
    r = run("diff", "sum(log(A[i,j] * x[j]))", "--wrt", "x", "--format", "json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["shape"] == ["j"] and out["wrt"] == "x"
    assert out["index"] == str(ic.grad(ic.parse("sum(log(A[i,j] * x[j]))"), "x"))
    assert {"formula", "wrt", "options", "shape", "index", "latex", "einsum", "matrix",
            "kron"} <= set(out)
    g = ic.grad(ic.parse("sum(log(A[i,j] * x[j]))"), "x")
    assert out["latex"] == ic.to_latex(g)
    assert out["kron"]["text"] == str(ic.to_kron(g)) and out["kron"]["latex"] == ic.to_kron(g).latex()
    assert out["matrix"]["text"] == str(ic.to_matrix(g))


def test_user_errors_are_one_line_exit_2_from_a_real_process():
    r = run("diff", "tanh(X[n,d] * W[d,h]", "--wrt", "W")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == "indexcalc: error: invalid syntax: '(' was never closed (at column 5)\n"
    r = run("einsum-grad", "ij,jk->ik", "--wrt", "a")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "invalid int value" in r.stderr


def test_einsum_grad():
    r = run("einsum-grad", "ij,jk->ik", "--wrt", "0")
    assert (r.returncode, r.stdout, r.stderr) == (0, "jk,ik->ij\n", "")
    r = run("einsum-grad", "ii->", "--wrt", "0")
    assert r.stdout.splitlines() == [",ia->ia", "  extra operand ia: the identity matrix (its two "
                                                 "letters span one dimension)"]
    r = run("einsum-grad", "ij,jk->ik", "--wrt", "0", "--jacobian")
    assert r.stdout.splitlines()[:2] == ["jk,ia->ikaj", "  jk: operand 1"]


def test_help_shows_worked_examples():
    r = run("--help")
    assert r.returncode == 0
    assert "examples:" in r.stdout and 'indexcalc einsum-grad "ij,jk->ik" --wrt 0' in r.stdout
    assert "examples:" in run("diff", "--help").stdout


# in-process: each bad input gives exactly one stderr line "indexcalc: error: ..." and status 2
BAD = [
    (["diff", "sum(x[i])"], "the following arguments are required: --wrt"),
    (["diff", "sum(x[i])", "--wrt", "Q"], "'Q' is not a tensor of the function"),
    (["diff", "sum(x[i])", "--wrt", "x", "--shape", "x"], "expected NAME="),
    (["diff", "sum(x[i])", "--wrt", "x", "--format", "pdf"], "invalid choice: 'pdf'"),
    (["diff", "sum(x[i])", "--wrt", "x", "--layout", "sideways"], "invalid choice"),
    (["diff", "X.__class__", "--wrt", "X", "--shape", "X=n"], "attribute access is not allowed"),
    (["diff", "__import__('os')", "--wrt", "x"], "unknown function '__import__'"),
    (["diff", "9**9**9 * x[i]", "--wrt", "x"], "too large"),
    (["diff", "(" * 300 + "x" + ")" * 300, "--wrt", "x"], "invalid syntax"),
    (["diff", "X @ y", "--wrt", "X", "--shape", "X=n d", "--shape", "y=n"], "not aligned"),
    (["diff", "x[i] * x[i] * x[i]", "--wrt", "x"], "three times"),
    (["diff", "sum(x[i])", "--wrt", "x", "--shape", "x=n -1"], "dimension"),
    (["einsum-grad", "ij,jk->ik", "--wrt", "5"], "out of range"),
    (["diff", "sum(X @ w)", "--wrt", "w"], '--shape X="n d"'),  # the flag, not shapes={…}
    (["diff", "sum(x[i])", "--wrt", "x", "--let", "h"], 'expected NAME="formula"'),
    (["diff", "sum(h)", "--wrt", "x", "--let", "h=exp(x[i])", "--shape", "h=i"], "--let"),
    (["diff", "sum(x[i])", "--wrt", "x", "--vectors", "diagonal"], "invalid choice"),
    (["diff", "sum(h)", "--let", "h=exp(x[i])", "--wrt", "h", "--check"], "--let intermediate"),
    (["einsum-grad", "ij,jk->ik->", "--wrt", "0"], "einsum"),
    (["einsum-grad", "ii", "--wrt", "0", "--jacobian", "extra"], "unrecognized arguments"),
    ([], "the following arguments are required"),
    (["frobnicate"], "invalid choice"),
]


@pytest.mark.parametrize("argv,message", BAD, ids=[" ".join(a)[:40] or "nothing" for a, _ in BAD])
def test_bad_input(argv, message, capsys):
    try:
        status = main(argv)
    except SystemExit as e:  # argparse's own errors exit from inside parse_args
        status = e.code
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert err.startswith("indexcalc: error: ") and err.count("\n") == 1 and message in err


LANDED = {"latex": "to_latex", "matrix": "to_matrix", "kron": "to_kron", "einsum": "to_einsum"}


@pytest.mark.parametrize("fmt", LANDED)
def test_formats_from_other_modules(fmt, capsys):
    argv = ["diff", *LSQ, "--format", fmt, "--layout", "numerator"]
    status = main(argv)
    out, err = capsys.readouterr()
    fn = getattr(ic, LANDED[fmt], None)
    if fn is None:  # not in this version: a clear error, not a traceback
        assert status == 2 and err == (f"indexcalc: error: --format {fmt} needs ic.{LANDED[fmt]}, "
                                       "which this version of indexcalc does not have yet\n")
        return
    assert status == 0 and err == ""
    kwargs = {"layout": "numerator"} if fmt in ("matrix", "kron") else {}
    if fmt == "einsum":  # a module that runs: its function is the derivative
        namespace = {}
        exec(out, namespace)
        rng = np.random.default_rng(3)
        vals = {"X": rng.normal(size=(2, 3)), "W": rng.normal(size=(3, 4)),
                "v": rng.normal(size=4), "y": rng.normal(size=2)}
        args = {k: vals[k] for k in inspect.signature(namespace["d_by_W"]).parameters}
        np.testing.assert_allclose(namespace["d_by_W"](**args), ic.evaluate(LSQ_GRAD, **vals),
                                   rtol=1e-12)
        return
    want = fn(LSQ_GRAD, **kwargs)
    assert out == f"{want}\n"


def test_explain(capsys):
    status = main(["diff", *LSQ, "--explain"])
    out, err = capsys.readouterr()
    if not hasattr(ic, "explain"):
        assert status == 2 and "--explain needs ic.explain" in err
        return
    assert status == 0 and out.startswith(str(ic.explain(0.5 * ic.sum((X @ W @ v - y) ** 2), W)))


def test_einsum_format_runs_with_a_delta_operand():
    r = run("diff", "X[n,d] * W[d,h]", "--wrt", "W", "--format", "einsum")
    assert r.returncode == 0, r.stderr
    namespace = {}
    exec(r.stdout, namespace)
    Xv = np.random.default_rng(4).normal(size=(2, 3))
    got = namespace["d_by_W"](Xv, h=4)  # h is in no operand: the function asks for it
    np.testing.assert_allclose(got, np.einsum("nd,hk->nhdk", Xv, np.eye(4)))


def test_einsum_format_runs_where_the_derivative_broadcasts():
    # the gradient of sum(x) is 1[n]: no operand had the axis n ("an einsum string cannot say")
    r = run("diff", "sum(x) * y", "--wrt", "x", "--shape", "x=n", "--shape", "y=m",
            "--format", "einsum")
    assert r.returncode == 0, r.stderr
    namespace = {}
    exec(r.stdout, namespace)
    yv = np.arange(1.0, 4.0)
    np.testing.assert_allclose(namespace["d_by_x"](yv, n=2), np.outer(yv, np.ones(2)))


RNN_LM = ["-sum(y * log(yhat))", "--let", "z=h_prev @ H + e @ W_e", "--let", "h=sigmoid(z)",
          "--let", "yhat=softmax(h @ U)", "--wrt", "H", "--shape", "h_prev=nh", "--shape", "H=nh nh",
          "--shape", "e=ne", "--shape", "W_e=ne nh", "--shape", "U=nh nv", "--shape", "y=nv"]


def test_let_names_intermediates_and_explain_takes_every_option(capsys):
    status = main(["diff", *RNN_LM, "--explain", "--vectors", "row", "--normalized", "y",
                   "--format", "matrix"])
    out, err = capsys.readouterr()
    assert status == 0 and err == ""
    assert "Intermediates (from H outward):" in out and "  h[nh] = σ(z[nh])" in out
    assert "row vectors" in out and "note: assumes Σ y = 1" in out
    assert out.strip().splitlines()[-2].replace(" ", "") == "h_prevᵀ(yhat−y)Uᵀdiag(h∘(1−h))"
    # the same numbers as the library's gradient of the same formula
    h_prev, H, e, W_e, U, y = ic.tensors("h_prev[nh] H[nh,nh] e[ne] W_e[ne,nh] U[nh,nv] y[nv]")
    J = -ic.sum(y * ic.log(ic.softmax(ic.sigmoid(h_prev @ H + e @ W_e) @ U)))
    rng = np.random.default_rng(5)
    vals = {t.name: rng.normal(size=tuple({"nh": 3, "ne": 4, "nv": 5}[d] for d in t.shape))
            for t in (h_prev, H, e, W_e, U)}
    vals["y"] = np.eye(5)[1]
    form = ic.to_matrix(ic.grad(J, H), vectors="row", normalized=["y"])
    assert main(["diff", *RNN_LM, "--format", "json", "--vectors", "row", "--normalized", "y",
                 "--layout", "denominator", "--explain"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["options"]["vectors"] == "row" and out["options"]["let"] == ["z", "h", "yhat"]
    assert "explain" in out and out["explain"]["latex"].startswith(r"\begin{aligned}")
    assert out["matrix"]["notes"] == ["assumes Σ y = 1 (declared normalized)"]
    np.testing.assert_allclose(form.evaluate(**vals), ic.grad(J, H).evaluate(**vals), rtol=1e-10)


def test_kron_and_explain_by_a_let_intermediate(capsys):
    argv = ["diff", "tanh(z)", "--let", "z=W_hx.T @ e + W_hh.T @ h0", "--wrt", "W_hx",
            "--shape", "e=ni", "--shape", "W_hx=ni nh", "--shape", "W_hh=nh nh", "--shape", "h0=nh",
            "--layout", "denominator", "--vec", "row", "--explain", "--format", "kron"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "row-major vec = vec(W_hxᵀ)" in out and "de-vec" in out
    assert main(["diff", "W @ sigmoid(x)", "--wrt", "x", "--shape", "W=n n", "--shape", "x=n",
                 "--explain", "--direction", "forward", "--layout", "numerator"]) == 0
    out = capsys.readouterr().out
    assert "accumulated forward, from x outward" in out and "W diag(σ'(x))" in out
    assert main(["diff", "sum(tanh(z))", "--let", "z=A @ x", "--wrt", "z", "--shape", "A=m n",
                 "--shape", "x=n", "--format", "matrix"]) == 0
    assert capsys.readouterr().out.strip() == "1 − tanh(z)∘tanh(z)"


def test_names_prints_a_subexpression_by_name(capsys):
    argv = ["diff", "-sum(y * log(softmax(sigmoid(h_prev @ H) @ U)))", "--names",
            "yhat=softmax(sigmoid(h_prev @ H) @ U)", "--wrt", "H", "--shape", "h_prev=nh",
            "--shape", "H=nh nh", "--shape", "U=nh nv", "--shape", "y=nv", "--vectors", "row",
            "--normalized", "y", "--explain", "--format", "matrix"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "yhat[nv] = softmax_nv(" in out
    assert out.strip().splitlines()[-2].replace(" ", "") == "h_prevᵀ(yhat−y)Uᵀdiag(σ'(h_prevH))"


def test_names_are_python_identifiers_in_every_option(capsys):
    # --shape and --let took only ASCII names ([A-Za-z_]): ŷ, as the asker writes it, was refused
    assert main(["diff", "sum(ŷ * x)", "--wrt", "x", "--shape", "ŷ=n", "--shape", "x=n"]) == 0
    assert capsys.readouterr().out.strip() == "ŷ[n]"
    assert main(["diff", "sum(ĥ * x)", "--wrt", "x", "--shape", "x=n", "--let", "ĥ=tanh(x)"]) == 0
    assert capsys.readouterr().out.strip() == "ĥ[n] + (1 - ĥ[n] ĥ[n]) x[n]"
