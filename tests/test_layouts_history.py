"""A form depends on its arguments only (issue 13): not on the process's history, not on which
objects are still alive, not on a trip through pickle; and names stay unambiguous.

* History: the same expressions rendered (``to_matrix``, ``to_kron``, ``str``, LaTeX) before and
  after unrelated derivations, and in a fresh process, give the same text.
* Pickle: a derivative pickled in a fresh process and loaded here renders as it did there.
* Garbage collection: a derivative whose variable object was dropped (``build()`` returning
  ``diff(X @ W, W)``) still evaluates and renders.
* Names: a user tensor named ``I``, ``C`` or ``K`` beside identities, constants and commutation
  matrices, and two anonymous constants: every form evaluates right (``tests/form_checks.py``,
  with values that are no identity, so a confusion shows) and no name is used for two things.
"""

from __future__ import annotations

import base64
import gc
import json
import os
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import indexcalc as ic
from form_checks import check_forms, failures

ROOT = Path(__file__).resolve().parent.parent

# Built and rendered the same way here and in a fresh interpreter (the source is run there).
SUBJECTS_SOURCE = '''
import indexcalc as ic
u, w, X, A, M, N, W, Y = ic.tensors("u[3] w[4] X[3,4] A[5,3] M[2,3] N[2,3] W[4,5] Y[3,3]")
SUBJECTS = {
    "outer(u, w)": (ic.outer(u, w), None),
    "diff(A @ u, u)": (ic.diff(A @ u, u), 1),
    "grad(trace(M.T @ N), M)": (ic.grad(ic.trace(M.T @ N), M), 0),
    "diff(X @ W, W)": (ic.diff(X @ W, W), 2),
    "grad(u @ X @ w, X)": (ic.grad(u @ X @ w, X), 0),
    "diff(tanh(X @ W), X)": (ic.diff(ic.tanh(X @ W), X), 2),
    "hessian(u @ Y @ u, u)": (ic.hessian(u @ Y @ u, u), 1),
    "u wᵀ + X": (ic.outer(u, w) + X, None),
}


def render(e):
    out = {"str": str(e), "latex": ic.to_latex(e)}
    for layout in ("numerator", "denominator"):
        if e.ndim <= 2:
            for vectors in ("column", "row"):
                try:
                    f = ic.to_matrix(e, layout, vectors)
                    out[f"to_matrix {layout} {vectors}"] = str(f) + " | " + f.latex()
                except ic.LayoutError as exc:
                    out[f"to_matrix {layout} {vectors}"] = "LayoutError " + str(exc)
        for vec in ("col", "row"):
            try:
                f = ic.to_kron(e, layout, vec)
                out[f"to_kron {layout} {vec}"] = str(f) + " | " + f.latex()
            except ic.LayoutError as exc:
                out[f"to_kron {layout} {vec}"] = "LayoutError " + str(exc)
    return out
'''


def _subjects() -> tuple[dict, callable]:
    namespace: dict = {}
    exec(SUBJECTS_SOURCE, namespace)  # noqa: S102 - the module's own source, shared with the child
    return namespace["SUBJECTS"], namespace["render"]


def _unrelated_derivations() -> None:
    """Derivations that share nodes with the subjects (the same tensors, the same products) and
    used to leave a trace in a side table: ``grad(u @ X @ w, X)`` returns ``outer(u, w)``."""
    u, w, X, A, M, N, W, Y = ic.tensors("u[3] w[4] X[3,4] A[5,3] M[2,3] N[2,3] W[4,5] Y[3,3]")
    for e, x in ((u @ X @ w, X), (ic.sum(A @ u), u), (ic.trace(M.T @ N), N), (ic.sum(X @ W), X),
                 (ic.sum(ic.outer(u, w) * X), X), (ic.sum((A @ u) ** 2), A)):
        for d in (ic.grad(e, x), ic.hessian(e, x)):
            for layout in ("numerator", "denominator"):
                str(d)
                if d.ndim <= 2:
                    try:
                        str(ic.to_matrix(d, layout))
                    except ic.LayoutError:
                        pass
    for e in (ic.diff(ic.outer(u, w), u), ic.diff(A @ u, A), ic.diff(X.T, X), ic.diff(W.T @ X.T, X)):
        try:
            str(ic.to_kron(e, "denominator", "row"))
        except ic.LayoutError:
            pass


def _fresh_process_renders() -> tuple[dict, dict]:
    """Each subject rendered in a fresh interpreter, and each subject pickled there (base64)."""
    child = SUBJECTS_SOURCE + '''
import base64, json, pickle, sys
texts = {k: render(e) for k, (e, _) in SUBJECTS.items()}
blobs = {k: base64.b64encode(pickle.dumps(e)).decode() for k, (e, _) in SUBJECTS.items()}
json.dump({"texts": texts, "blobs": blobs}, sys.stdout)
'''
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, "-c", child], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    return got["texts"], got["blobs"]


def test_rendering_does_not_depend_on_history_or_on_the_process():
    subjects, render = _subjects()
    before = {k: render(e) for k, (e, _) in subjects.items()}
    _unrelated_derivations()
    after = {k: render(e) for k, (e, _) in _subjects()[0].items()}  # rebuilt: the same nodes
    again = {k: render(e) for k, (e, _) in subjects.items()}
    fresh, _ = _fresh_process_renders()
    for k in subjects:
        assert after[k] == before[k], f"{k}: rendering changed after unrelated derivations"
        assert again[k] == before[k], f"{k}: rendering changed after unrelated derivations"
        assert fresh[k] == before[k], f"{k}: a fresh process renders it otherwise"


def test_outer_product_renders_as_itself_after_a_gradient_returns_it():
    # issue 13: "O = outer(u, w) prints u wᵀ in numerator layout, and w uᵀ after an unrelated
    # grad(u @ X @ w, X) returns the same node"
    u, w, X = ic.tensors("u[3] w[4] X[3,4]")
    O = ic.outer(u, w)
    vals = dict(u=np.arange(1.0, 4.0), w=np.arange(1.0, 5.0), X=np.ones((3, 4)))
    before = [str(ic.to_matrix(O, layout)) for layout in ("numerator", "denominator")]
    ic.grad(u @ X @ w, X)
    after = [str(ic.to_matrix(O, layout)) for layout in ("numerator", "denominator")]
    assert after == before
    assert not failures(check_forms(O, None, vals))


def test_pickled_derivatives_render_and_evaluate_as_in_the_process_that_built_them():
    subjects, render = _subjects()
    texts, blobs = _fresh_process_renders()
    _unrelated_derivations()
    rng = np.random.default_rng(3)
    for k, (original, out_ndim) in subjects.items():
        loaded = pickle.loads(base64.b64decode(blobs[k]))  # noqa: S301 - our own child's bytes
        assert render(loaded) == texts[k], f"{k}: renders otherwise after a pickle round trip"
        vals = {t: rng.normal(size=s) for t, s in (("u", 3), ("w", 4), ("X", (3, 4)), ("A", (5, 3)),
                                                   ("M", (2, 3)), ("N", (2, 3)), ("W", (4, 5)),
                                                   ("Y", (3, 3)))}
        np.testing.assert_allclose(ic.evaluate(loaded, **vals), ic.evaluate(original, **vals),
                                   rtol=1e-12, err_msg=k)
        bad = failures(check_forms(loaded, out_ndim, vals))
        assert not bad, f"{k} (unpickled):\n" + "\n".join(map(str, bad))


def _build():
    X, W = ic.tensors("X[n,d] W[d,h]")
    return ic.diff(X @ W, W)


def _build_gradient():
    X, W, v = ic.tensors("X[n,d] W[d,h] v[h]")
    return ic.grad(ic.sum(X @ W @ v), W)


def test_a_derivative_outlives_its_variable_object():
    # issue 13: "build() returning diff(X @ W, W) and then .evaluate(X=..., W=...) raises
    # BindingError: dimension 'h' is not bound once W is collected"
    D, G = _build(), _build_gradient()
    gc.collect()
    rng = np.random.default_rng(4)
    vals = dict(X=rng.normal(size=(5, 3)), W=rng.normal(size=(3, 4)), v=rng.normal(size=4))
    np.testing.assert_allclose(D.evaluate(**vals), np.einsum("nd,hk->nhdk", vals["X"], np.eye(4)))
    for e, out_ndim in ((D, 2), (G, 0)):
        bad = failures(check_forms(e, out_ndim, vals))
        assert not bad, f"{e}:\n" + "\n".join(map(str, bad))


# --------------------------------------------------------------------------- names

#: Words of the form notation that are not names of matrices.
_NOTATION = {"vec", "vec_row", "vec_col", "mat", "mat_col", "mat_row", "unvec", "diag", "tr", "mat", "where", "softmax", "exp", "log",
             "tanh", "sum", "det", "logdet", "inv", "sign"}


def _names(text: str) -> list[str]:
    """The matrix names in a form's text, subscripts and primes included (``I_3``, ``K_(3,4)``,
    ``C₁``, ``C'``), in order of appearance."""
    text = text.split("\nwhere")[0].replace("ᵀ", " ").replace("⁻¹", " ")
    text = re.sub(r"\[[^\]]*\]", " ", text)  # index letters of an explicit mat_col[i j | k l]
    words = re.findall(r"[^\W\d_](?:[^\W_]|[₀-₉ₙ'])*(?:_\([^)]*\)|_[^\W_]+)?", text)
    return [w for w in words if w not in _NOTATION]


# Each row: (label, build(values) -> (expression, out_ndim, values)); in every row each matrix
# (a user tensor, a constant, an identity, a commutation matrix) occurs once in the correct form,
# so a name printed twice names two different things.
def _user_I():
    I, X = ic.tensors("I[3,3] X[3,4]")
    return ic.diff(I @ X, X), 2, dict(I=np.arange(9.0).reshape(3, 3), X=np.ones((3, 4)))


def _user_I_right():
    I, X = ic.tensors("I[4,4] X[3,4]")
    return ic.diff(X @ I, X), 2, dict(I=np.arange(16.0).reshape(4, 4) - 3, X=np.ones((3, 4)))


def _user_K():
    K, X = ic.tensors("K[4,4] X[3,4]")
    return ic.diff(K @ X.T, X), 2, dict(K=np.arange(16.0).reshape(4, 4), X=np.ones((3, 4)))


def _two_constants():
    X = ic.Tensor("X", (3, 4))
    c1, c2 = ic.Constant(np.arange(9.0).reshape(3, 3) + 1), ic.Constant(np.arange(16.0).reshape(4, 4))
    return c1 @ X @ c2, None, dict(X=np.arange(12.0).reshape(3, 4))


def _user_C_and_constants():
    C, X = ic.tensors("C[3,3] X[3,4]")
    c1, c2 = ic.Constant(np.arange(9.0).reshape(3, 3) + 1), ic.Constant(np.arange(16.0).reshape(4, 4))
    return C @ c1 @ X @ c2, None, dict(C=np.eye(3)[::-1] * 2, X=np.arange(12.0).reshape(3, 4))


def _user_C_gradient():
    C, X, u = ic.tensors("C[3,3] X[3,4] u[3]")
    c1, c2 = ic.Constant(np.arange(9.0).reshape(3, 3) + 1), ic.Constant(np.arange(4.0) - 1.5)
    return ic.grad(u @ C @ c1 @ X @ c2, X), 0, dict(C=np.eye(3)[::-1] * 2, X=np.ones((3, 4)),
                                                     u=np.arange(3.0))


NAME_CASES = [
    # issue 13: "a user tensor I prints as I ⊗ I beside the identity"
    ("user I beside an identity (left)", _user_I),
    ("user I beside an identity (right)", _user_I_right),
    ("user K beside a commutation matrix", _user_K),
    # issue 13: "two anonymous constants both print as C, beside a user tensor C"
    ("two anonymous constants", _two_constants),
    ("user C beside two anonymous constants", _user_C_and_constants),
    ("user C and constants in a gradient", _user_C_gradient),
]


@pytest.mark.parametrize("label,build", NAME_CASES, ids=[c[0] for c in NAME_CASES])
def test_names_are_unambiguous_and_forms_evaluate_right(label, build):
    e, out_ndim, vals = build()
    bad = failures(check_forms(e, out_ndim, vals))
    assert not bad, f"{label}: {e}\n" + "\n".join(map(str, bad))
    forms = []
    for layout in ("numerator", "denominator"):
        if e.ndim <= 2:
            forms.append(ic.to_matrix(e, layout))
        if out_ndim is not None:
            forms.append(ic.to_kron(e, layout))
    for form in forms:
        names = _names(str(form))
        repeated = {n for n in names if names.count(n) > 1}
        assert not repeated, f"{label}: {form} uses {sorted(repeated)} for more than one matrix"
