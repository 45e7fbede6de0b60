"""The indexcalc command line, run as a subprocess (and in-process for the table of bad inputs)."""

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
    assert set(out) == {"formula", "wrt", "shape", "index", "einsum", "matrix"}


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
    want = fn(LSQ_GRAD, **kwargs)
    if fmt == "einsum":
        ops = [o.name if isinstance(o, ic.Tensor) else f"({o})" for o in want[1]]
        want = f"einsum({want[0]!r}, {', '.join(ops)})"
    assert out == f"{want}\n"


def test_explain(capsys):
    status = main(["diff", *LSQ, "--explain"])
    out, err = capsys.readouterr()
    if not hasattr(ic, "explain"):
        assert status == 2 and "--explain needs ic.explain" in err
        return
    assert status == 0 and out.startswith(str(ic.explain(0.5 * ic.sum((X @ W @ v - y) ** 2), W)))
